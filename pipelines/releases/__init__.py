"""公開版 (release): immutable, versioned releases of the lake."""
