"""The ``kiban`` command line. Thin: every command calls the same code the Dagster assets use.

Start-up stays small (``kiban sql`` answers in a fraction of a second): this module imports only click and the
configuration; each command imports what it needs, and command groups defined elsewhere are imported only when
named (:class:`KibanGroup`). Failures end in one line and a documented exit code (:mod:`kiban.exits`).
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import click

from kiban.config import paths as resolve_paths


class Failed(click.ClickException):
    """A failure explained in one line, with its exit code (``kiban.exits.Exit``)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class KibanGroup(click.Group):
    """The ``kiban`` group: lazily registered command groups, and one error layer for every command.

    ``LAZY`` names ``module:attribute`` holding a command or a sequence of commands, imported on first use. Any
    exception a command lets escape becomes one line on stderr and an exit code (:func:`kiban.exits.describe`);
    ``KIBAN_DEBUG=1`` re-raises it with its traceback.
    """

    LAZY: tuple[str, ...] = ("kiban.releases.cli:COMMANDS", "kiban.intake.cli:reports", "kiban.addresses.cli:addresses")

    def _load_lazy(self) -> None:
        if getattr(self, "_lazy_loaded", False):
            return
        self._lazy_loaded = True
        for spec in self.LAZY:
            module, attr = spec.split(":")
            found = getattr(importlib.import_module(module), attr)
            for command in found if isinstance(found, list | tuple) else [found]:
                self.add_command(command)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None:
            self._load_lazy()
            command = super().get_command(ctx, cmd_name)
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_lazy()
        return super().list_commands(ctx)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except (Exception, KeyboardInterrupt) as exc:
            if os.environ.get("KIBAN_DEBUG") and not isinstance(exc, KeyboardInterrupt):
                raise
            from kiban.exits import describe

            code, line = describe(exc, ctx.invoked_subcommand)
            raise Failed(line, int(code)) from exc


@click.group(cls=KibanGroup)
@click.option("--home", envvar="KIBAN_HOME", default="data", show_default=True,
              help="Data directory (KIBAN_HOME).")
@click.pass_context
def main(ctx: click.Context, home: str) -> None:
    """Kiban (基盤): base registries and municipal reports, validated and queryable.

    \b
    Exit codes: 0 ok; 1 some input rejected or a check failed; 2 usage; 3 input not readable (file, download);
    4 SQL refused or failed; 5 home, lake or release not usable; 70 internal error; 130 interrupted.
    """
    ctx.obj = resolve_paths(home)


@main.command()
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--as-of", default=None, help="Query the lake as it was at this timestamp (time travel).")
@click.option("--max-rows", default=40, show_default=True, help="Rows shown in table format (0 = all).")
@click.pass_obj
def sql(paths, query: str, fmt: str, as_of: str | None, max_rows: int) -> None:
    """Run read-only SQL against the registry, e.g. kiban sql "select count(*) from corporations".

    Only reading statements run (SELECT, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN); a table ends with the true row
    count. Export with --format csv|json > FILE.
    """
    from kiban import query as q

    out = q.run(paths, query, fmt=fmt, as_of=as_of, max_rows=max_rows)
    click.echo(out, nl=not out.endswith("\n"))


@main.group()
def ingest() -> None:
    """Load a source file (local path or URL) through archive, validation and the lake."""


def _fetch_if_url(paths, target: str) -> tuple[Path, str | None]:
    if target.startswith(("http://", "https://")):
        from kiban.progress import bar
        from registries.http import download, redact

        with bar(f"download {Path(redact(target).split('?')[0]).name}", transfer=True) as update:
            dl = download(target, paths.staging, progress=lambda done, total: update(done, total))
        return Path(dl.path), redact(target)
    path = Path(target)
    if not path.exists():
        raise FileNotFoundError(2, "no such file", target)
    return path, None


def _run_ingest(paths, source, targets: tuple[str, ...]) -> None:
    from kiban.load.files import ingest_file
    from kiban.progress import bar

    failed = 0
    for target in targets:
        path, url = _fetch_if_url(paths, target)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for i, f in enumerate(files):
            with bar(f"load {f.name} ({i + 1}/{len(files)}): archive, validate, lake") as update:
                update(0, None)
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
    from registries.corporate.load import corporate_source

    source = corporate_source(None if kind == "auto" else kind, None if encoding == "auto" else encoding)
    _run_ingest(paths, source, targets)


@ingest.command("municipalities")
@click.argument("targets", nargs=-1, required=True)
@click.pass_obj
def ingest_municipalities(paths, targets: tuple[str, ...]) -> None:
    """総務省 全国地方公共団体コード: the .xls as published (or a zip holding it), a folder, or a URL.

    Replaces the tables municipalities and municipality_codes (the master carries its own history).
    """
    from registries.municipalities.load import municipalities_source

    expanded = []
    for t in targets:
        folder = Path(t)
        if not t.startswith(("http://", "https://")) and folder.is_dir():
            expanded += sorted(str(p) for p in folder.rglob("*") if p.suffix.lower() in (".xls", ".zip"))
        else:
            expanded.append(t)
    _run_ingest(paths, municipalities_source(), tuple(expanded))


@ingest.command("abr")
@click.argument("targets", nargs=-1, required=True)
@click.pass_obj
def ingest_abr(paths, targets: tuple[str, ...]) -> None:
    """デジタル庁 アドレス・ベース・レジストリ: mt_*.csv.zip files, folders, zips of them, or URLs.

    \b
    The load unit is a SET: one master file with the 位置参照拡張 (_pos) files beside it whose scope
    overlaps (mt_town_all.csv.zip + mt_town_pos_pref13.csv.zip ...), because the point is joined onto
    the master. So:
      FILE        a master: its set (the _pos files next to it); a _pos file: the masters next to it
      FOLDER      every set of the ABR files in it
      ZIP         any other zip of ABR files is loaded as it is (paired the same way inside)
      URL         one file; a URL ending in .json is the DCAT-US feed
                  (https://dataset.address-br.digital.go.jp/api/feed/dcat-us/1.1.json): only files that
                  changed are downloaded (state in KIBAN_HOME/downloads/abr)
    A file replaces its scope's rows (all / prefNN / cityNNNNNN) in its table; a set whose files were
    loaded before is skipped (same sha256).
    """
    from registries.abr.load import ingest_targets

    results = ingest_targets(paths, targets)
    for r in results:
        swapped = r.info.get("swapped_fixed")
        click.echo(r.summary() + (f" [swapped lat/lon fixed: {swapped}]" if swapped else ""))
    if not results:
        click.echo("no ABR files found")
    if not all(r.ok for r in results) or not results:
        sys.exit(1)


@ingest.command("moj-map")
@click.argument("targets", nargs=-1, required=True)
@click.pass_obj
def ingest_moj_map(paths, targets: tuple[str, ...]) -> None:
    """法務省 登記所備付地図データ (地図XML): zips as published (zip of zips), XML files, folders, or URLs.

    \b
    A file replaces the parcels of the (団体, 地図名) scopes it holds; 地区外/別図 are excluded and counted;
    a file with illegal XML characters is quarantined. The parcel registry (ABR join) is recomputed after.
    """
    from kiban.load.files import ingest_file
    from kiban.load.files import load_raw as ingest_raw
    from registries.http import redact
    from registries.moj_map.fetch import download_changed
    from registries.moj_map.load import moj_map_source
    from registries.moj_map.parcel_registry import refresh

    results = []
    for target in targets:
        if target.startswith(("http://", "https://")):  # fetched as the Dagster asset does: only if it changed
            raws = download_changed(paths.ensure(), [target])
            if not raws:
                click.echo(f"{redact(target)}: not modified since the last download")
            loaded = [ingest_raw(paths, moj_map_source(), raw) for raw in raws]
        else:
            path = Path(target)
            if not path.exists():
                raise click.ClickException(f"{target}: no such file")
            files = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".zip", ".xml")) if path.is_dir() \
                else [path]
            loaded = [ingest_file(paths, moj_map_source(), f, source_url=str(f.resolve())) for f in files]
        for r in loaded:
            counts = {k: r.info[k] for k in ("excluded_outside", "excluded_betsuzu", "arbitrary_crs",
                                             "dangling_idref") if r.info.get(k)}
            click.echo(r.summary() + (f" {counts}" if counts else ""))
        results += loaded
    if any(r.status == "loaded" for r in results):
        rows = refresh(paths)
        click.echo(f"parcel registry recomputed ({', '.join(f'{k}={v}' for k, v in rows.items())})")
    if not results or not all(r.ok for r in results):
        sys.exit(1)


@ingest.command("corporate-api")
@click.argument("endpoint", type=click.Choice(["num", "diff"]))
@click.argument("args", nargs=-1, required=True)
@click.pass_obj
def ingest_corporate_api(paths, endpoint: str, args: tuple[str, ...]) -> None:
    """国税庁 法人番号 Web-API v4: `num NUMBER...` or `diff FROM TO` (YYYY-MM-DD, at most 50 days).

    Application ID from KIBAN_NTA_APP_ID (never logged); base URL from KIBAN_NTA_API_URL. Every `divide` page is
    fetched; the rows are loaded like a 差分 file with source_kind = api.
    """
    from registries.corporate.load import ingest_api_result
    from registries.corporate.webapi import NtaWebApi, WebApiError

    api = NtaWebApi()
    try:
        if endpoint == "num":
            result, label = api.num(list(args)), f"api_num_{args[0]}_{len(args)}.csv"
        else:
            if len(args) != 2:
                raise click.UsageError("diff takes FROM and TO")
            result, label = api.diff(args[0], args[1]), f"api_diff_{args[0]}_{args[1]}.csv"
    except WebApiError as e:
        raise click.ClickException(str(e)) from e
    outcome = ingest_api_result(paths, result, label)
    click.echo(outcome.summary())
    if not outcome.ok:
        sys.exit(1)


@main.command()
@click.option("--quiet", is_flag=True, help="No progress (bar or phase lines); only the summary.")
@click.pass_obj
def demo(paths, quiet: bool) -> None:
    """Run the main job end to end on the bundled sample data (no network), then show what was produced."""
    from kiban.demo import run_demo

    run_demo(paths, echo=(lambda s: None) if quiet else click.echo, show_progress=False if quiet else None)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Processes serving this port (each accepts reports; with N > 1 one more process stores them).")
@click.pass_obj
def serve(paths, host: str, port: int, workers: int) -> None:
    """Serve the HTTP API and status page (read-only data; report intake)."""
    import os

    import uvicorn

    from kiban.serve.app import create_app

    try:
        app = create_app(paths)
    except ValueError as e:  # a bad configuration (e.g. KIBAN_OIDC_*): name it, serve nothing
        raise click.ClickException(str(e)) from e
    if workers == 1:
        uvicorn.run(app, host=host, port=port, log_level="info")
        return
    os.environ["KIBAN_HOME"] = str(paths.home)  # the workers build the same app (kiban.serve.app:app_from_env)
    from kiban.intake import writer

    # one more process stores, at a lower CPU priority (KIBAN_INTAKE_WRITER_NICE, default 10): the N accept
    storing = writer.start(paths, int(os.environ.get("KIBAN_INTAKE_WRITER_NICE", "10")))
    try:
        uvicorn.run("kiban.serve.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                    log_level="info")
    finally:
        storing.terminate()
        storing.wait()


@main.command()
@click.pass_obj
def daemon(paths) -> None:
    """Run the Dagster daemon on Kiban's code location (automation conditions, sensors, the run queue), instance
    under KIBAN_HOME: ``dagster-daemon run -m pipelines.definitions``. Each run is its own process (ADR 0006)."""
    _exec_dagster(paths, "dagster-daemon", ("run", "-m", "pipelines.definitions"))


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.pass_obj
def dagster(paths, args: tuple[str, ...]) -> None:
    """Run a dagster CLI command on Kiban's code location, instance under KIBAN_HOME (e.g. `kiban dagster dev`)."""
    if args[:1] in (("dev",), ("job",), ("asset",), ("definitions",)) and "-m" not in args and "-f" not in args:
        args = (*args, "-m", "pipelines.definitions")
    _exec_dagster(paths, "dagster", args)


def _exec_dagster(paths, executable: str, args: tuple[str, ...]) -> None:
    """Replace this process by this environment's ``executable`` (works without activating .venv)."""
    import os

    from kiban.orchestration import prepare_dagster_home

    prepare_dagster_home(paths)
    bindir = str(Path(sys.executable).parent)
    os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")  # its children find theirs
    argv = [str(Path(bindir) / executable), *args]
    os.execvp(argv[0], argv)


@main.group()
def report() -> None:
    """Reports built from the municipal reports (全国集計)."""


@report.command("national")
@click.argument("kind", type=click.Choice(["disaster", "migration"]))
@click.option("--as-of", default=None, help="As known at this time (ISO 8601 with offset); default now.")
@click.option("--subject", default=None, help="disaster: the 災害ID (subject_key); default the latest disaster.")
@click.option("--number", default=1, show_default=True, type=int, help="報告番号: this is the N-th report (第N報).")
@click.option("--reporter", default="Kiban 全国集計", show_default=True, help="報告者 printed in the header.")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="FILE.csv, FILE.xlsx (print-ready, A3 landscape), FILE.html or FILE.pdf")
@click.pass_obj
def report_national(paths, kind: str, as_of: str | None, subject: str | None, number: int, reporter: str,
                    output: Path) -> None:
    """第4号様式(その2) 被害状況即報 per prefecture (disaster) or the system-migration summary (migration)."""
    from kiban.national_report import RendererMissing, write

    try:
        out = write(paths, kind, as_of, output, subject=subject, number=number, reporter=reporter)
    except (ValueError, RendererMissing, RuntimeError) as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"wrote {out}")


@main.command("indicators")
@click.option("--backfill", default=0, show_default=True, help="Also compute as known at N past arrival times.")
@click.pass_obj
def indicators_refresh(paths, backfill: int) -> None:
    """Compute every indicator now and append it to indicator_values (the time series)."""
    from kiban.indicators import refresh

    if backfill:
        click.echo(f"backfilled {refresh.backfill(paths, refresh.arrival_times(paths, backfill))} rows")
    click.echo(f"appended {refresh.refresh(paths)} indicator values")


if __name__ == "__main__":
    main()
