"""The HTML data dictionary (データ辞書) of one dataset: columns, types, ja/en descriptions, code tables, quality."""

from __future__ import annotations

from html import escape
from typing import Any

from schemas.contract import Contract


def _e(value: object) -> str:
    return escape("" if value is None else str(value))


def _columns(contract: Contract) -> str:
    rows = []
    for c in contract.columns:
        rule = []
        if c.pattern:
            rule.append(f"pattern <code>{_e(c.pattern)}</code>")
        if c.codes:
            rule.append(f'codes <a href="#codes-{_e(c.codes.name)}">{_e(c.codes.ja)}</a>')
        if c.min_value is not None or c.max_value is not None:
            rule.append(f"range {_e(c.min_value)} – {_e(c.max_value)}")
        key = "PK" if c.name in contract.primary_key else ""
        rows.append(
            f"<tr><td><code>{_e(c.name)}</code></td><td>{_e(c.type)}</td><td>{'' if c.nullable else '必須'}</td>"
            f"<td>{key}</td><td>{_e(c.ja)}</td><td>{_e(c.en)}</td><td>{_e(c.source_name)}</td>"
            f"<td>{'; '.join(rule)}</td></tr>")
    return ("<table><thead><tr><th>列 column</th><th>型 type</th><th>必須 required</th><th>key</th>"
            "<th>説明</th><th>description</th><th>原典項目名 source field</th><th>制約 constraints</th></tr></thead>"
            "<tbody>" + "".join(rows) + "</tbody></table>")


def _code_tables(contract: Contract) -> str:
    out = []
    for t in contract.code_tables():
        rows = "".join(f"<tr><td><code>{_e(k)}</code></td><td>{_e(v)}</td><td>{_e(t.en_labels.get(k, ''))}</td></tr>"
                       for k, v in t.codes.items())
        out.append(f'<h3 id="codes-{_e(t.name)}">{_e(t.ja)} ({_e(t.en)})</h3>'
                   f"<table><thead><tr><th>コード</th><th>名称</th><th>label</th></tr></thead><tbody>{rows}</tbody>"
                   "</table>")
    return "".join(out) or "<p>なし (none)</p>"


def _quality(quality: dict[str, Any] | None) -> str:
    if not quality:
        return "<p>品質検査結果はまだありません (no quality results yet: the dataset has not been released).</p>"
    head = (f"<p>{_e(quality.get('passed'))} / {_e(quality.get('checks'))} checks passed on "
            f"{_e(quality.get('rows'))} rows ({_e(quality.get('engine'))}). "
            f"Blocking failures: {_e(', '.join(quality.get('blocking_failures', [])) or 'none')}. "
            f"Warnings: {_e(', '.join(quality.get('warnings', [])) or 'none')}.</p>")
    rows = "".join(
        f"<tr class=\"{'ok' if r['success'] else 'fail'}\"><td><code>{_e(r['name'])}</code></td>"
        f"<td>{'blocking' if r['blocking'] else 'warning'}</td><td>{'pass' if r['success'] else 'FAIL'}</td>"
        f"<td>{_e(r.get('unexpected_count'))}</td><td>{_e(r.get('description'))}</td></tr>"
        for r in quality.get("results", []))
    return head + ("<table><thead><tr><th>check</th><th>severity</th><th>result</th><th>unexpected</th>"
                   f"<th>rule</th></tr></thead><tbody>{rows}</tbody></table>" if rows else "")


_STYLE = ("body{font-family:sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;margin:1em 0}"
          "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}"
          "tr.fail td{background:#fdd}code{font-size:90%}")


def render(contract: Contract, quality: dict[str, Any] | None = None, release: dict[str, Any] | None = None) -> str:
    """A standalone HTML page (UTF-8) for ``contract``; ``release`` is the manifest's dataset entry if released."""
    rel = ""
    if release:
        rel = (f"<p>Release <b>{_e(release.get('version'))}</b>: {_e(release.get('rows'))} rows, format "
               f"{_e(release.get('format'))}, partitioned by {_e(', '.join(release.get('partition_dirs', [])) or '—')}, "
               f"sorted by {_e(', '.join(release.get('sort_by', [])) or '—')}.</p>")
    return f"""<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>{_e(contract.title_ja)} — データ辞書</title>
<style>{_STYLE}</style></head><body>
<h1>{_e(contract.title_ja)}<br><small>{_e(contract.title_en)}</small></h1>
<p><code>{_e(contract.name)}</code> · schema {_e(contract.version)} · hash <code>{_e(contract.schema_hash())}</code>
 · group {_e(contract.group)} · owner {_e(contract.owner)}</p>
<p>{_e(contract.description)}</p>
{rel}
<h2>ライセンス・出典 (licence and attribution)</h2>
<p>{_e(contract.licence)}</p><p>{_e(contract.attribution) or '—'}</p>
<h2>列 (columns)</h2>
{_columns(contract)}
<p>Primary key: {_e(', '.join(contract.primary_key) or '—')}</p>
<h2>コード表 (code tables)</h2>
{_code_tables(contract)}
<h2>品質検査 (latest quality results)</h2>
{_quality(quality)}
</body></html>
"""
