#!/usr/bin/env bash
# Headless Chromium and Japanese fonts for the browser tests and PDF reports, from Debian's packages.
# Nothing is downloaded when both are present; otherwise installs them with apt-get (as root, or via sudo).
# Playwright drives this Chromium (executable_path); `playwright install` is never used.
set -euo pipefail

have_chromium() { command -v chromium >/dev/null 2>&1; }
have_fonts() { fc-list 2>/dev/null | grep -qi "noto sans cjk"; }

if have_chromium && have_fonts; then
  exit 0
fi
if [ "$(id -u)" = "0" ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo"
else
  echo "tools/browser-deps.sh: chromium and fonts-noto-cjk are needed for the browser tests; install them as root:" >&2
  echo "  apt-get install -y --no-install-recommends chromium fonts-noto-cjk" >&2
  exit 1
fi
echo "installing chromium and fonts-noto-cjk (Debian packages) for the browser tests" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk fontconfig >/dev/null
