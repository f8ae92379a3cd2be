#!/usr/bin/env bash
# PostgreSQL's server binaries (initdb, pg_ctl) for the cluster tests and benchmarks, from Debian's packages.
# The tests start their own server in a temporary folder on a free port of 127.0.0.1 (tests/cluster/parts.py);
# this only installs the binaries when they are missing (as root, or via sudo). Nothing is started here.
set -euo pipefail

have_postgres() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; }

if have_postgres; then
  exit 0
fi
if [ "$(id -u)" = "0" ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo"
else
  echo "tools/postgres-deps.sh: PostgreSQL is needed for the cluster tests; install it as root:" >&2
  echo "  apt-get install -y --no-install-recommends postgresql" >&2
  exit 1
fi
echo "installing postgresql (Debian packages) for the cluster tests" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# the package's own cluster is not used (nor started: policy-rc.d-less containers skip it anyway)
$SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
