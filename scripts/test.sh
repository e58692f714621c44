#!/usr/bin/env bash
# Quick start, step 2: install the dev dependencies and run every check and test.
# Extra arguments go to pytest, e.g. scripts/test.sh -m "not e2e" for the fast tests alone.
source "$(dirname "$0")/_venv.sh"
echo "==> Installing tap-gong-flows with its dev dependencies into .venv"
"$VENV_BIN/pip" install --quiet --disable-pip-version-check -e '.[dev]'
echo "==> ruff"
"$VENV_BIN/ruff" check .
"$VENV_BIN/ruff" format --check .
echo "==> mypy"
"$VENV_BIN/mypy"
echo "==> pytest"
"$VENV_BIN/pytest" "$@"
