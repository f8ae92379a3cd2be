"""総務省 全国地方公共団体コード: the municipality master (``municipalities``, ``municipality_codes``)."""
