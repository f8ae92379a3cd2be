# Kiban: `make demo` runs the main job on bundled sample data; `make test` runs the tests.
# Needs only python3.11 and make: uv is bootstrapped from PyPI into .tools/, the project into .venv/.
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_NO_PROGRESS := 1

.PHONY: demo test test-slow test-cluster lint bench venv spark-env browser-deps postgres-deps

venv: .venv/.synced

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	touch $@

demo: venv
	.venv/bin/kiban demo

test: venv browser-deps
	.venv/bin/ruff check .
	.venv/bin/pytest -n 2 --dist loadfile

test-slow: venv spark-env browser-deps
	.venv/bin/pytest -m slow

# The cluster profile against real parts the tests start: PostgreSQL (Debian's binaries) and moto's S3 server.
test-cluster: venv postgres-deps
	.venv/bin/pytest -m cluster tests/cluster

postgres-deps:
	@bash tools/postgres-deps.sh

# Debian's chromium + fonts-noto-cjk for the browser tests and PDF reports (installed when missing, as root).
browser-deps:
	@bash tools/browser-deps.sh

# Spark for the interoperability tests, in its own interpreter (kept apart from Great Expectations).
spark-env: .venv-spark/.ok

.venv-spark/.ok: | $(UV)
	$(UV) venv --quiet --python $(PYTHON) .venv-spark
	$(UV) pip install --quiet --python .venv-spark/bin/python pyspark==4.3.0
	touch $@

lint: venv
	.venv/bin/ruff check .
