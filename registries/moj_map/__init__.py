"""法務省 登記所備付地図データ (地図XML): streaming parser, staging of 筆 polygons, sample generator."""
