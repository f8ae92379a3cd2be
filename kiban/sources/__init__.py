"""Source families: how each registry lands in the lake."""
