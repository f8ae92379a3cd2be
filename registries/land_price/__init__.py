"""国土交通省 不動産情報ライブラリ (reinfolib) API: 地価公示・都道府県地価調査 points (XPT002)."""
