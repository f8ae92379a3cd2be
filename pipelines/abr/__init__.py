"""Address domain: 総務省 全国地方公共団体コード and デジタル庁 アドレス・ベース・レジストリ (ABR)."""
