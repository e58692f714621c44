#!/usr/bin/env bash
# Quick start, step 1: install, start the Gong API simulator, and run
#   meltano run tap-gong-flows <loader>
# against it. The loader defaults to target-jsonl (files under output/, no server needed);
# DEMO_LOADER=target-postgres lands in PostgreSQL instead (configure TARGET_POSTGRES_* first).
source "$(dirname "$0")/_venv.sh"
LOADER="${DEMO_LOADER:-target-jsonl}"
PROSPECTS="${DEMO_PROSPECTS:-1000}"

echo "==> Installing tap-gong-flows and Meltano into .venv"
"$VENV_BIN/pip" install --quiet --disable-pip-version-check -e . 'meltano>=4,<5'
echo "==> Installing the Meltano plugins (tap-gong-flows, $LOADER)"
"$VENV_BIN/meltano" --environment=simulator install --clean extractor tap-gong-flows >/dev/null
"$VENV_BIN/meltano" --environment=simulator install loader "$LOADER" >/dev/null

mkdir -p output
rm -f output/*.jsonl
LOG="output/simulator.log"
"$VENV_BIN/gong-api-simulator" --port 0 --prospects "$PROSPECTS" \
  --write-ids output/demo_prospect_ids.txt >"$LOG" 2>&1 &
SIM_PID=$!
trap 'kill "$SIM_PID" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q "listening on" "$LOG" 2>/dev/null && break
  sleep 0.1
done
SIM_URL=$(grep -o 'http://[0-9.:]*' "$LOG" | head -1)
[ -n "$SIM_URL" ] || { echo "The simulator did not start:" >&2; cat "$LOG" >&2; exit 1; }
echo "==> Gong API simulator on $SIM_URL with $PROSPECTS prospects"

echo "==> meltano run tap-gong-flows $LOADER"
TAP_GONG_FLOWS_API_URL="$SIM_URL" "$VENV_BIN/meltano" --environment=simulator \
  run --no-state-update tap-gong-flows "$LOADER"

if [ "$LOADER" = "target-jsonl" ]; then
  echo
  echo "Done. The data landed in $(pwd)/output/:"
  for f in output/*.jsonl; do
    printf '  %-40s %s records\n' "$f" "$(wc -l <"$f" | tr -d ' ')"
  done
  echo "First record:"
  head -1 output/assigned_flows.jsonl
else
  echo "Done. The data landed in the PostgreSQL schema configured for $LOADER (default gong_engage)."
fi
