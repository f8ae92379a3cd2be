"""The CLI tells the truth: true row counts, plain read-only refusals, one line and a documented exit code."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiban.cli import main
from kiban.exits import Exit

KIBAN = str(Path(sys.executable).with_name("kiban"))


def _kiban(home, *args: str, env: dict | None = None):
    return CliRunner().invoke(main, ["--home", str(home.home), *args], env=env)


def _one_line_error(output: str) -> str:
    lines = [ln for ln in output.splitlines() if ln.strip()]
    assert len(lines) == 1, output
    assert "Traceback" not in output
    return lines[0]


@pytest.fixture(scope="module")
def http_404():
    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_truncated_table_states_the_true_row_count_and_how_to_see_all(lake_home):
    out = _kiban(lake_home, "sql", "SELECT * FROM things ORDER BY n")
    assert out.exit_code == 0, out.output
    assert out.output.rstrip().endswith("47 rows, first 40 shown (--max-rows 0 shows all; --format csv or json "
                                        "writes every row)")
    assert "│ r38" in out.output and "│ r39" not in out.output  # rows 1..40 in order, none elided
    every = _kiban(lake_home, "sql", "SELECT * FROM things", "--max-rows", "0")
    assert every.output.rstrip().endswith("47 rows") and "│ r45" in every.output
    small = _kiban(lake_home, "sql", "SELECT count(*) AS n FROM things")
    assert small.output.rstrip().endswith("1 row")


def test_csv_and_json_hold_every_row(lake_home):
    csv_out = _kiban(lake_home, "sql", "SELECT id FROM things", "--format", "csv")
    assert len(csv_out.output.strip().splitlines()) == 48


def test_a_writing_statement_is_refused_plainly_with_exit_4(lake_home, fingerprint):
    before = fingerprint(lake_home.home)
    out = _kiban(lake_home, "sql", f"COPY things TO '{lake_home.home / 'x.csv'}'")
    assert out.exit_code == Exit.QUERY == 4
    line = _one_line_error(out.output)
    assert "kiban sql is read-only: COPY statements are not run" in line
    assert fingerprint(lake_home.home) == before


def test_an_sql_error_is_one_line_with_exit_4(lake_home):
    out = _kiban(lake_home, "sql", "SELECT * FROM no_such_table")
    assert out.exit_code == 4
    line = _one_line_error(out.output)
    assert "no_such_table" in line and "SHOW TABLES" in line


def test_a_download_404_names_the_url_with_exit_3(lake_home, http_404):
    url = f"{http_404}/missing/00_zenkoku_all_20261101.zip"
    out = _kiban(lake_home, "ingest", "corporate", url)
    assert out.exit_code == Exit.INPUT == 3
    line = _one_line_error(out.output)
    assert url in line and "HTTP 404" in line and "download" in line


def test_connection_refused_names_the_url_with_exit_3(lake_home, monkeypatch):
    from registries.http import Backoff

    monkeypatch.setattr(Backoff, "delay", lambda self, attempt, rng=None: 0.0)
    url = f"http://127.0.0.1:{_closed_port()}/mt_town_all.csv.zip"
    out = _kiban(lake_home, "ingest", "corporate", url)
    assert out.exit_code == 3
    line = _one_line_error(out.output)
    assert url in line and "ConnectError" in line


def test_a_missing_file_is_exit_3(lake_home, tmp_path):
    out = _kiban(lake_home, "ingest", "corporate", str(tmp_path / "nope.zip"))
    assert out.exit_code == 3
    assert "no such file" in _one_line_error(out.output) and "nope.zip" in out.output


def test_an_unexpected_error_is_one_line_exit_70_and_kiban_debug_shows_the_traceback(lake_home, monkeypatch):
    import kiban.query

    def boom(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(kiban.query, "run", boom)
    out = _kiban(lake_home, "sql", "SELECT 1")
    assert out.exit_code == Exit.INTERNAL == 70
    assert "internal error: ZeroDivisionError" in _one_line_error(out.output)
    debug = _kiban(lake_home, "sql", "SELECT 1", env={"KIBAN_DEBUG": "1"})
    assert isinstance(debug.exception, ZeroDivisionError)


def test_a_home_without_data_is_exit_5_and_is_not_created(tmp_path):
    out = CliRunner().invoke(main, ["--home", str(tmp_path / "nowhere"), "sql", "SELECT 1"])
    assert out.exit_code == Exit.STATE == 5
    assert "no Kiban data" in _one_line_error(out.output)
    assert not (tmp_path / "nowhere").exists()


def test_a_usage_error_is_exit_2(lake_home):
    assert _kiban(lake_home, "sql", "SELECT 1", "--format", "xml").exit_code == 2


def test_lazily_registered_groups_are_listed_and_run(lake_home):
    helped = _kiban(lake_home, "--help")
    assert all(name in helped.output for name in ("publish", "releases", "reports", "sql", "ingest"))
    assert _kiban(lake_home, "releases", "list").exit_code == 0


def test_the_installed_command_ends_in_one_line_and_the_documented_code(lake_home, http_404):
    env = {**os.environ, "KIBAN_HOME": str(lake_home.home)}
    cases = [
        (["sql", "DELETE FROM things"], 4, "kiban sql is read-only: DELETE statements are not run"),
        (["sql", "SELECT nonsense FROM things"], 4, "SQL failed"),
        (["ingest", "corporate", f"{http_404}/gone.zip"], 3, "HTTP 404"),
        (["ingest", "abr", "/nonexistent/mt_town_all.csv.zip"], 3, "no such file"),
        (["sql", "SELECT count(*) AS n FROM things", "--format", "csv"], 0, None),
    ]
    for args, code, text in cases:
        done = subprocess.run([KIBAN, *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == code, (args, done.stdout, done.stderr)
        if text is not None:
            assert text in _one_line_error(done.stderr)
        else:
            assert done.stdout == "n\n47\n" and done.stderr == ""


def test_importing_the_cli_loads_neither_pyarrow_nor_pandas_nor_the_intake():
    probe = ("import sys, kiban.cli; print(sorted(m for m in ('pyarrow', 'pandas', 'numpy', 'kiban.intake.cli', "
             "'kiban.releases.cli', 'duckdb') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
