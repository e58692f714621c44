#!/usr/bin/env bash
# Make .venv-pyairbyte: PyAirbyte (the `airbyte` package) in a virtualenv of its own, for the
# end-to-end test tests/test_pyairbyte_e2e.py. PyAirbyte pins its own duckdb, pydantic and
# airbyte-cdk and needs a Python older than 3.13, so it does not go into .venv.
#
# The versions are those of scripts/pyairbyte-requirements.txt. A venv already made from the
# same file is kept as it is; delete .venv-pyairbyte to make it again.
# PYAIRBYTE_PYTHON picks the interpreter (default: python3.12, else python3.11).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV=.venv-pyairbyte
REQUIREMENTS=scripts/pyairbyte-requirements.txt
STAMP="$VENV/.requirements.sha256"
wanted="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"

if [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$wanted" ]; then
  echo "==> $VENV is up to date ($(grep -m1 '^airbyte==' "$REQUIREMENTS"))"
  exit 0
fi

fits() {  # a Python that PyAirbyte supports: 3.10 to 3.12
  "$1" -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] < (3, 13))' 2>/dev/null
}
PYTHON="${PYAIRBYTE_PYTHON:-}"
if [ -z "$PYTHON" ]; then
  for candidate in python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null && fits "$candidate"; then
      PYTHON="$candidate"
      break
    fi
  done
fi
if [ -z "$PYTHON" ] || ! fits "$PYTHON"; then
  echo "PyAirbyte needs Python 3.10, 3.11 or 3.12; none found (set PYAIRBYTE_PYTHON)." >&2
  exit 1
fi

echo "==> Making $VENV with $("$PYTHON" --version) and $(grep -m1 '^airbyte==' "$REQUIREMENTS")"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
echo "$wanted" > "$STAMP"
