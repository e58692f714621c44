#!/usr/bin/env bash
# Quick start, step 1: install, start the Gong API simulator, and run
#   meltano run tap-gong-flows <loader>
# against it. The loader defaults to target-jsonl (files under output/, no server needed);
# DEMO_LOADER=target-postgres lands in PostgreSQL instead (configure TARGET_POSTGRES_* first),
# and DEMO_START_POSTGRES=1 with it starts a throwaway local server for the demo (the one the
# end-to-end tests use, tools/throwaway_postgres.py), deleted afterwards.
source "$(dirname "$0")/_venv.sh"
if [ "${DEMO_START_POSTGRES:-0}" = 1 ]; then
  # Run this script again with TARGET_POSTGRES_* pointing at a server that lives as long as it.
  DEMO_START_POSTGRES=0 DEMO_LOADER="${DEMO_LOADER:-target-postgres}" \
    exec "$VENV_BIN/python" -m tools.throwaway_postgres -- bash "$PWD/scripts/demo.sh"
fi
LOADER="${DEMO_LOADER:-target-jsonl}"
PROSPECTS="${DEMO_PROSPECTS:-1000}"
# Gong answers in hundreds of milliseconds; so does the simulator here (DEMO_LATENCY=0 for none).
LATENCY="${DEMO_LATENCY:-0.4}"

echo "==> Installing tap-gong-flows and Meltano into .venv"
"$VENV_BIN/pip" install --quiet --disable-pip-version-check -e . 'meltano>=4,<5'
echo "==> Installing the Meltano plugins (tap-gong-flows, $LOADER)"
"$VENV_BIN/meltano" --environment=simulator install --clean extractor tap-gong-flows >/dev/null
"$VENV_BIN/meltano" --environment=simulator install loader "$LOADER" >/dev/null
if [[ "$LOADER" == target-postgres* ]] && [ -z "${TARGET_POSTGRES_HOST:-}${TARGET_POSTGRES_SQLALCHEMY_URL:-}" ] \
  && ! "$VENV_BIN/meltano" --environment=simulator config print "$LOADER" 2>/dev/null \
    | grep -q '"host"\|"sqlalchemy_url"'; then
  echo "No PostgreSQL configured for $LOADER: export TARGET_POSTGRES_HOST, _PORT, _USER," >&2
  echo "_PASSWORD and _DATABASE (see README, Into PostgreSQL), or run with DEMO_START_POSTGRES=1" >&2
  echo "to use a throwaway local server." >&2
  exit 1
fi

mkdir -p output
rm -f output/*.jsonl
LOG="output/simulator.log"
"$VENV_BIN/gong-api-simulator" --port 0 --prospects "$PROSPECTS" --latency "$LATENCY" \
  --write-ids output/demo_prospect_ids.txt >"$LOG" 2>&1 &
SIM_PID=$!
trap 'kill "$SIM_PID" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q "listening on" "$LOG" 2>/dev/null && break
  sleep 0.1
done
SIM_URL=$(grep -o 'http://[0-9.:]*' "$LOG" | head -1)
[ -n "$SIM_URL" ] || { echo "The simulator did not start:" >&2; cat "$LOG" >&2; exit 1; }
echo "==> Gong API simulator on $SIM_URL with $PROSPECTS prospects, answering in about $LATENCY s"

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
  SCHEMA="${TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA:-gong_engage}"
  echo
  echo "Done. The data landed in the PostgreSQL schema $SCHEMA (README, Sync modes)."
  if command -v psql >/dev/null && [ -n "${TARGET_POSTGRES_HOST:-}" ]; then
    TABLE="$SCHEMA.assigned_flows" WHERE="WHERE _sdc_deleted_at IS NULL" WHAT="Open flow instances"
    if [ "$LOADER" = target-postgres-append ]; then
      TABLE="${TABLE}_snapshots" WHERE="" WHAT="Rows of every snapshot so far"
    fi
    echo "$WHAT in $TABLE, by status:"
    PGPASSWORD="${TARGET_POSTGRES_PASSWORD:-}" psql --no-psqlrc --host="$TARGET_POSTGRES_HOST" \
      --port="${TARGET_POSTGRES_PORT:-5432}" --username="${TARGET_POSTGRES_USER:-${USER:-postgres}}" \
      --dbname="${TARGET_POSTGRES_DATABASE:-postgres}" --command \
      "SELECT \"flowInstanceStatus\", count(*) FROM $TABLE $WHERE GROUP BY 1 ORDER BY 2 DESC" \
      || echo "(psql could not query $TABLE)"
  fi
fi
