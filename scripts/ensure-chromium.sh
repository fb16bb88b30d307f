#!/usr/bin/env bash
# Makes sure headless Chromium (Debian's `chromium`) is there for the report's browser check
# (test/e2e/cli/report-html.e2e.test.ts): found on the PATH (or $CHROMIUM), or installed from
# Debian's packages when running as root. Exits non-zero, saying why, when neither works.
set -euo pipefail
if [[ -n "${CHROMIUM:-}" ]] && "$CHROMIUM" --version >/dev/null 2>&1; then exit 0; fi
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi
if [[ "$(id -u)" != "0" ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: no chromium on the PATH and cannot apt-get install it (not root or no apt)" >&2
  exit 1
fi
echo "ensure-chromium: installing Debian's chromium" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
chromium --version
