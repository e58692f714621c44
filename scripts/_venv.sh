# Sourced by the other scripts: make sure .venv exists with a Python 3.11+ and pip.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "tap-gong-flows needs Python 3.11 or newer; '$PYTHON' is $("$PYTHON" --version 2>&1)." >&2
  echo "Point PYTHON at one, e.g. PYTHON=python3.12 $0" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
VENV_BIN="$PWD/.venv/bin"
"$VENV_BIN/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
