"""デジタル庁 アドレス・ベース・レジストリ (ABR): DCAT catalog, incremental fetch, parsing and staging."""
