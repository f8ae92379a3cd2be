"""``kiban reports ...``: templates, ingest (the same batch path as the landing sensor), tokens."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from registries.reports.fields import REPORT_TYPES


@click.group("reports")
def reports() -> None:
    """Municipal reports (市区町村報告): templates, ingest, reporter tokens."""


@reports.command("template")
@click.argument("report_type", type=click.Choice(REPORT_TYPES))
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="xlsx", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def template(report_type: str, fmt: str, output: Path) -> None:
    """Write the submission template of REPORT_TYPE (Japanese headers; XLSX with notes and code lists)."""
    from registries.reports.template import write_template

    click.echo(f"wrote {write_template(report_type, fmt, output)}")


def _describe(r) -> str:
    from kiban.intake.receipts import from_result
    from kiban.load.model import describe

    rec = from_result(r)
    line = f"{rec.status.upper():24s} {r.source_file}  {r.load_id}  ({len(rec.report_ids)} reports)"
    if r.status == "duplicate":
        line += f"  [same content loaded before by {r.duplicate_of}]"
    for e in r.errors[:20]:  # one line each: file, row, column, message, [rule], value
        line += f"\n    - {describe(e)}"
    if len(r.errors) > 20:
        line += f"\n    ... {len(r.errors) - 20} more (see {r.quarantine_report})"
    for w in r.warnings[:5]:
        line += f"\n    ~ warning {w.get('column') or ''}: {w.get('message')} [{w.get('rule')}]"
    return line


@reports.command("ingest")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.pass_obj
def ingest(paths, files: tuple[Path, ...]) -> None:
    """Archive and load FILES (CSV/XLSX/JSON, or folders of them) as one batch.

    Exit status 0 when every submission was accepted, 1 when any was quarantined (reasons printed).
    """
    import time

    from kiban.archive import RawArchive
    from kiban.load import Arrival
    from kiban.load.runner import run_batch
    from registries.reports.load import reports_source

    t0 = time.perf_counter()
    expanded = [p for f in files for p in (sorted(x for x in f.rglob("*") if x.is_file()) if f.is_dir() else [f])]
    archive = RawArchive(paths.raw)
    results = run_batch(paths, reports_source(), [Arrival(archive.put_file(f), channel="file") for f in expanded])
    for r in results:
        click.echo(_describe(r))
    stored = sum(r.rows.get("report_versions", 0) for r in results)
    click.echo(f"batch {results[0].batch_id if results else '-'}: {len(results)} submissions, {stored} report "
               f"versions stored in {time.perf_counter() - t0:.1f} s")
    if any(r.status == "quarantined" for r in results):
        sys.exit(1)


@reports.group("tokens")
def tokens() -> None:
    """Bearer tokens for POST /v1/reports (stored hashed in KIBAN_HOME/intake/tokens.json)."""


@tokens.command("add")
@click.argument("lg_code")
@click.option("--label", default="")
@click.pass_obj
def tokens_add(paths, lg_code: str, label: str) -> None:
    """Create a token for LG_CODE (a municipality, or a prefecture PP000c for 代理入力); printed once."""
    from kiban.intake.tokens import TokenStore

    try:
        rec, token = TokenStore(paths).add(lg_code, label)
    except ValueError as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"token {rec.token_id} for {rec.lg_code} (shown once, store it now):")
    click.echo(token)


@tokens.command("list")
@click.pass_obj
def tokens_list(paths) -> None:
    """Token ids, 団体コード and state (never the tokens)."""
    from kiban.intake.tokens import TokenStore

    for r in TokenStore(paths).list():
        click.echo(f"{r.token_id}  {r.lg_code}  {'revoked' if r.revoked else 'active '}  {r.created_at}  {r.label}")


@tokens.command("revoke")
@click.argument("token_id")
@click.pass_obj
def tokens_revoke(paths, token_id: str) -> None:
    from kiban.intake.tokens import TokenStore

    if not TokenStore(paths).revoke(token_id):
        raise click.ClickException(f"no active token {token_id}")
    click.echo(f"revoked {token_id}")


@reports.group("audit")
def audit() -> None:
    """The intake's audit log (KIBAN_HOME/intake/audit/*.jsonl, hash-chained)."""


@audit.command("verify")
@click.pass_obj
def audit_verify(paths) -> None:
    """Check every record's hash, its link to the one before and the files' modes; exit 1 on any problem."""
    from kiban.intake.audit import audit_dir, verify

    v = verify(audit_dir(paths))
    for p in v.problems[:50]:
        click.echo(f"  - {p}", err=True)
    if not v.ok:
        raise click.ClickException(f"audit log broken: {len(v.problems)} problems in {v.records} records")
    span = f" ({v.first_at} .. {v.last_at})" if v.records else ""
    click.echo(f"audit log ok: {v.records} records in {v.files} files{span}; head {v.head}")
