"""The read-only HTTP app (``kiban serve``): snapshot API, status page, report intake, catalog."""
