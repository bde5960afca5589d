#!/usr/bin/env bash
# Browser tests of the web explorer (tests/test_browser.py): headless Chromium from Debian,
# driven by Playwright for Python. Playwright's own browser download is never used (it does
# not work in CI): the tests launch /usr/bin/chromium. Run inside the environment .ci/run
# prepared (or any venv with the package installed); extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
PY=${PYTHON:-python}

if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "== apt-get install chromium"
  apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
if ! "$PY" -c "import playwright" >/dev/null 2>&1; then
  echo "== pip install playwright"
  "$PY" -m pip install -q playwright
fi

# Here a skip would hide a broken setup: insist on both before running.
[ -x /usr/bin/chromium ] || { echo "!! /usr/bin/chromium is missing" >&2; exit 1; }
"$PY" -c "import playwright" || { echo "!! playwright is not importable" >&2; exit 1; }
echo "== browser tests ($(/usr/bin/chromium --version 2>/dev/null || echo chromium))"
exec "$PY" -m pytest tests/test_browser.py -rs "$@"
