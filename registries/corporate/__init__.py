"""国税庁 法人番号 (corporate number) registry: download, decode, parse, check digits, rules, Web-API."""
