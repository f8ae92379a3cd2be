"""CLI commands for releases, registered on ``kiban.cli.main``: ``kiban publish``, ``kiban releases ...``."""

from __future__ import annotations

import json
import sys

import click


@click.command()
@click.option("--dataset", "datasets", multiple=True, help="Publish only these datasets (default: all).")
@click.pass_obj
def publish(paths, datasets: tuple[str, ...]) -> None:
    """Freeze the current lake state into an immutable release under KIBAN_HOME/releases/ (moves `latest`)."""
    from kiban.progress import bar
    from kiban.releases.checks import PublishBlocked
    from kiban.releases.publish import publish as run_publish

    try:
        with bar("publish") as update:
            result = run_publish(paths, datasets=list(datasets) or None, echo=click.echo,
                                 progress=lambda step, done, total: update(done, total, f"publish: {step}"))
    except PublishBlocked as e:
        raise click.ClickException(str(e)) from e
    click.echo(result.summary())
    for v in result.removed:
        click.echo(f"removed release {v} (retention policy)")


@click.group()
def releases() -> None:
    """Published releases: list, show, verify checksums, rebuild SQL views."""


def _manifest(paths, version: str) -> dict:
    from kiban.releases.store import ReleaseNotFound, ReleaseStore

    try:
        return ReleaseStore.of(paths).manifest(version)
    except (ReleaseNotFound, ValueError) as e:
        raise click.ClickException(str(e)) from e


@releases.command("list")
@click.pass_obj
def releases_list(paths) -> None:
    """Complete releases, oldest first; `*` marks latest."""
    from kiban.releases.store import ReleaseStore

    store = ReleaseStore.of(paths)
    latest = store.latest()
    for v in store.versions():
        m = store.manifest(v)
        rows = sum(d["rows"] for d in m["datasets"].values())
        click.echo(f"{'*' if v == latest else ' '} {v}  snapshot {m['lake']['snapshot_id']:>5}  "
                   f"{len(m['datasets'])} datasets  {rows:,} rows  {m['created_at']}")


@releases.command("show")
@click.argument("version", default="latest")
@click.option("--json", "as_json", is_flag=True, help="Print the whole manifest.")
@click.pass_obj
def releases_show(paths, version: str, as_json: bool) -> None:
    """Summarise a release's manifest (VERSION or `latest`)."""
    m = _manifest(paths, version)
    if as_json:
        click.echo(json.dumps(m, ensure_ascii=False, indent=1))
        return
    click.echo(f"release {m['version']} created {m['created_at']}, lake snapshot {m['lake']['snapshot_id']}")
    click.echo(f"time travel: {m['lake']['time_travel']}")
    for name, d in m["datasets"].items():
        q = d["quality"]
        click.echo(f"  {name:32s} {d['rows']:>10,} rows  {d['format']:10s} schema {d['schema_version']} "
                   f"({d['schema_hash']})  checks {q.get('passed')}/{q.get('checks')}")
    click.echo(f"retention: {m['retention']['statement']}")


@releases.command("verify")
@click.argument("version", default="latest")
@click.pass_obj
def releases_verify(paths, version: str) -> None:
    """Recompute every checksum of a release; exit 1 on any mismatch (KIBAN_RELEASES=s3://...: the objects)."""
    from kiban.releases.manifest import verify
    from kiban.releases.objectstore import configured
    from kiban.releases.store import ReleaseNotFound, ReleaseStore

    remote = configured()
    if remote is not None:
        try:
            m = remote.manifest(version)
        except (ReleaseNotFound, ValueError) as e:
            raise click.ClickException(str(e)) from e
        problems = remote.verify(m)
        where = f"{remote.url}{m['version']}/"
    else:
        m = _manifest(paths, version)
        problems = verify(ReleaseStore.of(paths).root / m["version"], m)
        where = f"release {m['version']}"
    for p in problems:
        click.echo(f"MISMATCH {p}", err=True)
    if problems:
        sys.exit(1)
    click.echo(f"{where}: {len(m['files'])} files verified")


@releases.command("views")
@click.argument("version", default="latest")
@click.pass_obj
def releases_views(paths, version: str) -> None:
    """Rebuild a release's release.duckdb (views files written before paths were relative to the folder)."""
    from kiban.releases.store import ReleaseStore
    from kiban.releases.views import build_views

    m = _manifest(paths, version)
    click.echo(build_views(ReleaseStore.of(paths).root / m["version"], m))


COMMANDS = (publish, releases)
