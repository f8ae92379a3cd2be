"""Immutable, versioned open-data releases (公開版): publish, manifest, verify, retention, views, change feed.

Public entry points: :func:`kiban.releases.publish.publish`, :class:`kiban.releases.store.ReleaseStore`,
:func:`kiban.releases.manifest.verify`, :func:`kiban.releases.changes.changes`.
"""
