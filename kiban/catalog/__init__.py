"""Catalog metadata generated from the contracts and release manifests: DCAT (JSON-LD), CKAN-compatible
package/resource dicts, Frictionless ``datapackage.json`` and the HTML data dictionary (データ辞書)."""
