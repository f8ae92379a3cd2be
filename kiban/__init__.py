"""kiban."""
