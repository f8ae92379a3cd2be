"""デジタル庁 アドレス・ベース・レジストリ (ABR): six tables, loaded from sets (master + 位置参照拡張)."""
