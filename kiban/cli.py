"""The ``kiban`` command line. Thin: every command calls the same code the Dagster assets use."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kiban.config import paths as resolve_paths


@click.group()
@click.option("--home", envvar="KIBAN_HOME", default="data", show_default=True,
              help="Data directory (KIBAN_HOME).")
@click.pass_context
def main(ctx: click.Context, home: str) -> None:
    """Kiban (基盤): base registries and municipal reports, validated and queryable."""
    ctx.obj = resolve_paths(home)


@main.command()
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--as-of", default=None, help="Query the lake as it was at this timestamp (time travel).")
@click.option("--max-rows", default=40, show_default=True, help="Rows shown in table format (0 = all).")
@click.pass_obj
def sql(paths, query: str, fmt: str, as_of: str | None, max_rows: int) -> None:
    """Run read-only SQL against the registry, e.g. kiban sql "select count(*) from corporations"."""
    import duckdb

    from kiban import query as q

    try:
        out = q.run(paths, query, fmt=fmt, as_of=as_of, max_rows=max_rows)
    except (duckdb.Error, ValueError) as e:
        raise click.ClickException(str(e)) from e
    click.echo(out, nl=not out.endswith("\n"))


@main.group()
def ingest() -> None:
    """Load a source file (local path or URL) through archive, validation and the lake."""


def _fetch_if_url(paths, target: str) -> tuple[Path, str | None]:
    if target.startswith(("http://", "https://")):
        from registries.http import download, redact

        dl = download(target, paths.staging)
        return Path(dl.path), redact(target)
    path = Path(target)
    if not path.exists():
        raise click.ClickException(f"{target}: no such file")
    return path, None


def _run_ingest(paths, source, targets: tuple[str, ...]) -> None:
    from kiban.loads import ingest_file

    failed = 0
    for target in targets:
        path, url = _fetch_if_url(paths, target)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            result = ingest_file(paths, source, f, source_url=url or str(f.resolve()),
                                 original_name=Path(url).name if url else f.name)
            info = result.info.get("encoding")
            click.echo(result.summary() + (f" [encoding: {info}]" if info else ""))
            failed += not result.ok
    if failed:
        sys.exit(1)


@ingest.command("corporate")
@click.argument("targets", nargs=-1, required=True)
@click.option("--kind", type=click.Choice(["full", "diff", "auto"]), default="auto", show_default=True,
              help="全件 (full) or 差分 (diff); auto decides from the file name.")
@click.option("--encoding", type=click.Choice(["auto", "utf-8", "cp932"]), default="auto", show_default=True,
              help="Declare the variant (CSV・Unicode = utf-8, CSV・Shift-JIS = cp932); auto detects and reports.")
@click.pass_obj
def ingest_corporate(paths, targets: tuple[str, ...], kind: str, encoding: str) -> None:
    """国税庁 法人番号: 全件/差分 zip or CSV (Unicode or Shift_JIS), a folder of them, or a URL."""
    from kiban.sources.corporate import corporate_source

    source = corporate_source(None if kind == "auto" else kind, None if encoding == "auto" else encoding)
    _run_ingest(paths, source, targets)


@main.command()
@click.option("--quiet", is_flag=True)
@click.pass_obj
def demo(paths, quiet: bool) -> None:
    """Run the main job end to end on the bundled sample data (no network), then show what was produced."""
    from kiban.demo import run_demo

    run_demo(paths, echo=(lambda s: None) if quiet else click.echo)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.pass_obj
def serve(paths, host: str, port: int) -> None:
    """Serve the HTTP API and status page (read-only data; report intake)."""
    import uvicorn

    from kiban.serve.app import create_app

    uvicorn.run(create_app(paths), host=host, port=port, log_level="info")


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.pass_obj
def dagster(paths, args: tuple[str, ...]) -> None:
    """Run the dagster CLI on Kiban's code location with the instance under KIBAN_HOME (e.g. `kiban dagster dev`)."""
    import os

    from kiban.orchestration import prepare_dagster_home

    prepare_dagster_home(paths)
    argv = ["dagster", *args]
    if args and args[0] in ("dev",) and "-m" not in args:
        argv += ["-m", "pipelines.definitions"]
    if args[:1] == ("dev",):
        argv = ["dagster", *args] + (["-m", "pipelines.definitions"] if "-m" not in args else [])
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main()
