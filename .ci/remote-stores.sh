#!/usr/bin/env bash
# Install the real triplestores the remote-store tests run against, non-interactively:
#   - Oxigraph server: the `oxigraph` binary from PyPI, same version as pyoxigraph, into the
#     active Python environment (python -m pip);
#   - Virtuoso Open Source 7: Debian's virtuoso-opensource-7-bin (virtuoso-t, isql-vt).
# Nothing is started here: tests/remote/conftest.py (and tests/conftest.py in remote mode,
# STANCEGRAPH_TEST_STORE=oxigraph|virtuoso) starts each server on free loopback ports with
# its own data directory (and a private virtuoso.ini), and stops it by PID.
#
#   .ci/remote-stores.sh          # install what is missing
#   .ci/remote-stores.sh --test   # ... then run the remote suite (python -m pytest tests/remote)
#
# A store that cannot be installed (no apt, not root, no network) is reported and its tests
# skip with the reason; the script itself only fails if the test run fails.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
command -v "$PY" >/dev/null 2>&1 || PY=python3

# -- Oxigraph server (PyPI wheel with the binary), matching pyoxigraph's version
if "$PY" -c 'import shutil,sys,os; p=os.path.join(os.path.dirname(sys.executable),"oxigraph"); sys.exit(0 if os.access(p, os.X_OK) or shutil.which("oxigraph") else 1)'; then
  echo "== oxigraph: present"
else
  ver=$("$PY" -c 'from importlib.metadata import version; print(version("pyoxigraph"))' 2>/dev/null || true)
  spec="oxigraph${ver:+==$ver}"
  echo "== pip install $spec"
  "$PY" -m pip install -q "$spec" || echo "!! could not install $spec; the Oxigraph remote tests will skip"
fi

# -- Virtuoso 7 (Debian)
if command -v virtuoso-t >/dev/null 2>&1 && command -v isql-vt >/dev/null 2>&1; then
  echo "== virtuoso: present ($(virtuoso-t -? 2>&1 | head -n 2 | tail -n 1 | tr -s ' '))"
elif command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "== apt-get install virtuoso-opensource-7-bin"
  apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends virtuoso-opensource-7-bin >/dev/null 2>&1 \
    || echo "!! could not install virtuoso-opensource-7-bin; the Virtuoso remote tests will skip"
else
  echo "!! no apt-get or not root: the Virtuoso remote tests will skip"
fi

if [ "${1:-}" = "--test" ]; then
  exec "$PY" -m pytest tests/remote -q
fi
