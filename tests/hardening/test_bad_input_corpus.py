"""Every file of the bad-input corpus (``corpus.py``) through its real door: refused clearly, kept, harmless.

The default suite feeds ``DEFAULT_CASES`` (every source and door, and every case that found a bug); ``make
test-slow`` feeds the rest. The home is prepared with only what the selected cases need (the master always; the
source a duplicate or a scope-shrink case compares against).

For each case: one line of the door's output names the file and the rule (and no traceback is printed or
logged), the ledger gains exactly one row for it with that outcome, its quarantine report on disk carries the
rule, the raw bytes are in the archive, and every published table (rows and exact files) is what it was.
A symbolic link in the landing folder is never read: no ledger row, nothing archived, nothing changed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiban.archive import FetchLog, RawArchive
from kiban.config import Paths
from kiban.config import paths as make_paths
from kiban.load.files import ingest_file, ingest_pending
from kiban.load.model import describe

corpus = sys.modules["hardening_corpus"]
state = sys.modules["hardening_lakestate"]

SAMPLES = corpus.SAMPLES
REPORT_DIR = Path(__file__).resolve().parents[2] / "test-artifacts" / "hardening"
CLI_COMMAND = {"corporate": ["ingest", "corporate"], "municipalities": ["ingest", "municipalities"],
               "abr": ["ingest", "abr"], "moj_map": ["ingest", "moj-map"], "reports": ["reports", "ingest"]}


#: One or more cases of every source and door, and each case that revealed a bug (see docs/hardening.md).
DEFAULT_CASES = (
    "corporate/cli/zip_bomb", "corporate/cli/member_path_traversal", "corporate/cli/huge_field",
    "corporate/cli/truncated_zip", "corporate/cli/wrong_column_count",
    "municipalities/cli/truncated_half", "municipalities/cli/nul_block", "municipalities/cli/zip_bomb",
    "abr/cli/nul_in_field", "abr/cli/set_zip_bomb", "abr/cli/member_path_traversal", "abr/cli/wrong_header",
    "moj_map/cli/zip_nested_40_deep", "moj_map/cli/billion_laughs", "moj_map/cli/nested_zip_bomb",
    "land_price/fetch/deep_nesting", "land_price/fetch/huge_field",
    "reports/cli/formula_cmd", "reports/cli/xlsx_formula", "reports/cli/json_huge_field", "reports/cli/broken_quote",
    "reports/cli/header_only_csv", "reports/cli/json_deep",
    "reports/landing/symlink_outside", "reports/landing/formula",
    "reports/http/other_municipality", "reports/http/xlsx_bomb", "reports/http/path_traversal_name",
)


def _needs_loaded(case) -> bool:
    """The case is judged against data of its source already loaded (a duplicate, a shrinking replacement)."""
    return case.expect == "duplicate" or "scope_shrink" in case.rules


def _prepare(paths: Paths, sources: set[str]) -> dict[str, str]:
    """A home with the municipality master and the samples of ``sources`` loaded (the published state the
    corpus must not touch); returns the reporter tokens."""
    from kiban.intake.tokens import TokenStore
    from kiban.load import Arrival
    from kiban.load.runner import run_one
    from registries.abr.load import abr_source, build_sets, write_set
    from registries.corporate.load import corporate_source
    from registries.land_price.load import land_price_source
    from registries.moj_map.load import moj_map_source
    from registries.municipalities.load import municipalities_source
    from registries.reports.load import reports_source

    loads = [(municipalities_source(), SAMPLES / "municipalities" / "000925835.xls")]
    if "corporate" in sources:
        loads += [(corporate_source(), SAMPLES / "corporate" / "00_zenkoku_all_20261030.zip"),
                  (corporate_source(), SAMPLES / "corporate" / "diff_20261102.zip")]
    if "moj_map" in sources:
        loads.append((moj_map_source(), SAMPLES / "moj_map" / "13101-0001.zip"))
    if "land_price" in sources:
        loads.append((land_price_source(), SAMPLES / "land_price" / "xpt002_2024_13_7276_3225.json"))
    if "abr" in sources:
        loads += [(abr_source(), write_set(s, paths.home / "sets"))
                  for s in build_sets(sorted((SAMPLES / "abr").glob("mt_*.csv.zip")))]
    for source, path in loads:
        result = ingest_file(paths, source, path)
        assert result.status == "loaded", result.summary()
    shutil.rmtree(paths.home / "sets", ignore_errors=True)
    if "reports" in sources:
        report = RawArchive(paths.raw).put_file(SAMPLES / "reports" / "files" / "00002_disaster_damage_462047.json")
        assert run_one(paths, reports_source(), Arrival(report)).status == "loaded"
    store = TokenStore(paths)
    return {"own": store.add(corpus.KUMAMOTO_CITY)[1], "other": store.add(corpus.YATSUSHIRO)[1]}


@pytest.fixture(scope="module")
def world(request, tmp_path_factory):
    """(home, tokens, corpus folder, cases, HTTP client): prepared once, cases run in order on the same home."""
    from starlette.testclient import TestClient

    from kiban.serve.app import create_app

    everything = {c.id: c for c in corpus.generate(None)}
    selected = [everything[item.callspec.params["case_id"]] for item in request.session.items
                if item.module is request.module and "case_id" in getattr(item, "callspec", None).params]
    root = tmp_path_factory.mktemp("corpus")
    paths = make_paths(root / "home").ensure()
    saved = os.environ.get("KIBAN_HOME")
    os.environ["KIBAN_HOME"] = str(paths.home)
    tokens = _prepare(paths, {c.source for c in selected if _needs_loaded(c)})
    cases = corpus.generate(root / "files")
    client = TestClient(create_app(paths))
    client.__enter__()
    outcomes: list[tuple[str, str, str, str]] = []
    yield {"paths": paths, "tokens": tokens, "dir": root / "files", "client": client, "outcomes": outcomes,
           "cases": {c.id: c for c in cases}}
    client.__exit__(None, None, None)
    if saved is None:
        os.environ.pop("KIBAN_HOME", None)
    else:
        os.environ["KIBAN_HOME"] = saved
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    lines = [f"bad-input corpus: {len(outcomes)} of {len(cases)} cases fed through their doors", *(
        f"  {o[0]:15s} {o[1]:8s} {o[2]:28s} {o[3]}" for o in outcomes)]
    (REPORT_DIR / "corpus.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n" + "\n".join(lines))


def _feed(world: dict, case) -> tuple[str, bool]:
    """Feed one case through its door; returns (everything the door printed or answered, door said ok)."""
    paths: Paths = world["paths"]
    path = world["dir"] / case.file
    if case.door == "cli":
        from kiban.cli import main

        target = path
        if case.arrives_as != path.name:
            target = path.with_name(case.arrives_as)
            shutil.copyfile(path, target)
        args = ["--home", str(paths.home), *CLI_COMMAND[case.source]]
        for k, v in case.options.items():
            args += [k, v]
        result = CliRunner().invoke(main, [*args, str(target)], catch_exceptions=True)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        return result.output, result.exit_code == 0
    if case.door == "fetch":
        from registries.land_price.load import land_price_source

        raw = RawArchive(paths.raw).put_file(path, original_name=case.arrives_as, source="http://example.invalid/")
        FetchLog(paths.raw, "land_price").record(raw)
        results = ingest_pending(paths, land_price_source())
        return "\n".join(r.summary() for r in results), all(r.ok for r in results)
    if case.door == "landing":
        from kiban.intake.cli import _describe
        from kiban.intake.landing import ingest_landing

        paths.landing.mkdir(parents=True, exist_ok=True)
        dropped = paths.landing / case.arrives_as
        if case.link_to is not None:
            target = SAMPLES / "reports" / "files" / "00004_disaster_damage_462047.csv" \
                if case.link_to == "@good" else Path(case.link_to)
            dropped.symlink_to(target)
        else:
            shutil.copyfile(path, dropped)
        os.utime(dropped, (time.time() - 60, time.time() - 60), follow_symlinks=False)
        results = ingest_landing(paths, settle=0)
        return "\n".join(_describe(r) for r in results), all(r.ok for r in results)
    assert case.door == "http"
    client = world["client"]
    token = world["tokens"][case.token]
    r = client.post("/v1/reports?wait=true", headers={"Authorization": f"Bearer {token}"},
                    files={"file": (case.arrives_as, path.read_bytes())})
    body = r.json()
    lines = [describe(e) for e in body.get("reasons", [])]
    return json.dumps(body, ensure_ascii=False) + "\n" + "\n".join(lines), r.status_code in (200, 202)


def _archived(paths: Paths, row: dict, data: bytes) -> bool:
    """The raw bytes of the case are in the archive: as the object itself, or as a member of an ABR set zip."""
    kept = RawArchive(paths.raw).path_for(row["sha256"])
    if not kept.exists():
        return False
    if row["sha256"] == hashlib.sha256(data).hexdigest():
        return kept.read_bytes() == data
    with zipfile.ZipFile(kept) as zf:  # kiban ingest abr archives a set: the file exactly as published, inside
        return any(zf.read(n) == data for n in zf.namelist())


@pytest.mark.parametrize("case_id", [c.id if c.id in DEFAULT_CASES else pytest.param(c.id, marks=pytest.mark.slow)
                                     for c in corpus.generate(None)])
def test_a_bad_file_is_refused_clearly_kept_and_harmless(world, case_id, caplog):
    case = world["cases"][case_id]
    paths: Paths = world["paths"]
    data = (world["dir"] / case.file).read_bytes()
    before_state, before_ids = state.published_state(paths), {r["load_id"] for r in state.ledger(paths)}
    caplog.set_level(logging.WARNING)
    output, ok = _feed(world, case)
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert "Traceback" not in output and not tracebacks, (output, [r.getMessage() for r in tracebacks])
    new = [r for r in state.ledger(paths) if r["load_id"] not in before_ids]
    assert state.published_state(paths) == before_state, "published state changed"
    if case.expect == "ignored":
        assert new == [] and ok
        assert not any(p.read_bytes() == Path(case.link_to).read_bytes() for p in (paths.raw / "sha256").rglob("*")
                       if p.is_file() and case.link_to != "@good")
        assert (paths.landing / case.arrives_as).is_symlink()  # left where it was, never followed
        world["outcomes"].append((case.source, case.door, case.case, "ignored (not followed)"))
        return
    assert len(new) == 1, (output, new)
    row = new[0]
    assert _archived(paths, row, data), "raw bytes not kept in the archive"
    if case.expect == "duplicate":
        assert row["status"] == "duplicate" and row["duplicate_of"], output
        assert ok and ("skipped" in output or "DUPLICATE" in output or '"duplicate"' in output), output
        world["outcomes"].append((case.source, case.door, case.case, f"duplicate of {row['duplicate_of'][:24]}"))
        return
    assert row["status"] == "quarantined", (output, row["status"])
    assert not ok
    rules = [e["rule"] for e in row["detail"]["errors"]]
    assert rules and rules[0] in case.rules, (case.rules, rules, output)
    shown = row["source_file"]
    lines = [ln for ln in output.splitlines() if shown in ln and f"[{rules[0]}]" in ln]
    assert lines, f"no line names {shown!r} and [{rules[0]}]:\n{output}"
    report = state.quarantine_report(paths, row["load_id"])
    assert report is not None, "no quarantine report on disk"
    assert rules[0] in [e["rule"] for e in report["errors"]] and Path(report["raw_path"]).exists()
    world["outcomes"].append((case.source, case.door, case.case, rules[0]))

