"""全国地方公共団体コード (JIS X 0401/0402 + 検査数字): the 総務省 municipality master, its history and code forms."""
