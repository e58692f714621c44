#!/usr/bin/env bash
# Quick start, step 1: install, start the Gong API simulator, and run
#   meltano run tap-gong-flows <loader>
# against it. The loader defaults to target-jsonl (files under output/, no server needed);
# DEMO_LOADER=target-postgres lands in PostgreSQL instead (configure TARGET_POSTGRES_* first),
# and DEMO_START_POSTGRES=1 with it starts a throwaway local server for the demo (the one the
# end-to-end tests use, tools/throwaway_postgres.py), deleted afterwards. With target-postgres
# the demo syncs twice (track_finished_flows on; some flow instances finish in between) and
# runs the dbt models after each sync (dbt-postgres:build), then prints the flow performance.
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
MODELS=0
[ "$LOADER" = target-postgres ] && MODELS=1
echo "==> Installing the Meltano plugins (tap-gong-flows, $LOADER$([ $MODELS = 1 ] && echo ', dbt-postgres'))"
"$VENV_BIN/meltano" --environment=simulator install --clean extractor tap-gong-flows >/dev/null
"$VENV_BIN/meltano" --environment=simulator install loader "$LOADER" >/dev/null
if [ $MODELS = 1 ]; then
  "$VENV_BIN/meltano" --environment=simulator install transformer dbt-postgres >/dev/null
  # dbt builds the models in the warehouse target-postgres loads (README, Analytics models).
  export DBT_POSTGRES_HOST="${DBT_POSTGRES_HOST:-${TARGET_POSTGRES_HOST:-}}"
  export DBT_POSTGRES_PORT="${DBT_POSTGRES_PORT:-${TARGET_POSTGRES_PORT:-5432}}"
  export DBT_POSTGRES_USER="${DBT_POSTGRES_USER:-${TARGET_POSTGRES_USER:-${USER:-postgres}}}"
  export DBT_POSTGRES_PASSWORD="${DBT_POSTGRES_PASSWORD:-${TARGET_POSTGRES_PASSWORD:-}}"
  export DBT_POSTGRES_DBNAME="${DBT_POSTGRES_DBNAME:-${TARGET_POSTGRES_DATABASE:-postgres}}"
  export DBT_POSTGRES_SCHEMA="${DBT_POSTGRES_SCHEMA:-analytics}"
fi
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
SIM_PID=""
trap '[ -z "$SIM_PID" ] || kill "$SIM_PID" 2>/dev/null || true' EXIT
start_simulator() {  # extra arguments go to the simulator; sets SIM_PID and SIM_URL
  "$VENV_BIN/gong-api-simulator" --port 0 --prospects "$PROSPECTS" --latency "$LATENCY" \
    --write-ids output/demo_prospect_ids.txt "$@" >"$LOG" 2>&1 &
  SIM_PID=$!
  for _ in $(seq 100); do
    grep -q "listening on" "$LOG" 2>/dev/null && break
    sleep 0.1
  done
  SIM_URL=$(grep -o 'http://[0-9.:]*' "$LOG" | head -1)
  [ -n "$SIM_URL" ] || { echo "The simulator did not start:" >&2; cat "$LOG" >&2; exit 1; }
}
start_simulator
echo "==> Gong API simulator on $SIM_URL with $PROSPECTS prospects, answering in about $LATENCY s"

if [ $MODELS = 1 ]; then
  # Two syncs with a state between them, so that track_finished_flows finds the outcomes.
  STATE_SUFFIX=demo
  "$VENV_BIN/meltano" --environment=simulator state clear --force \
    "simulator:tap-gong-flows-to-target-postgres:$STATE_SUFFIX" >/dev/null 2>&1 || true
  export TAP_GONG_FLOWS_TRACK_FINISHED_FLOWS=true
  echo "==> meltano run tap-gong-flows target-postgres dbt-postgres:build (first sync)"
  TAP_GONG_FLOWS_API_URL="$SIM_URL" "$VENV_BIN/meltano" --environment=simulator \
    run --state-id-suffix "$STATE_SUFFIX" tap-gong-flows target-postgres dbt-postgres:build
  kill "$SIM_PID" && wait "$SIM_PID" 2>/dev/null || true
  start_simulator --finished-share 0.3
  echo "==> Time passes: about 30% of the open flow instances finish (simulator on $SIM_URL)"
  echo "==> meltano run tap-gong-flows target-postgres dbt-postgres:build (second sync)"
  TAP_GONG_FLOWS_API_URL="$SIM_URL" "$VENV_BIN/meltano" --environment=simulator \
    run --state-id-suffix "$STATE_SUFFIX" tap-gong-flows target-postgres dbt-postgres:build
else
  echo "==> meltano run tap-gong-flows $LOADER"
  TAP_GONG_FLOWS_API_URL="$SIM_URL" "$VENV_BIN/meltano" --environment=simulator \
    run --no-state-update tap-gong-flows "$LOADER"
fi

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
    elif [ $MODELS = 1 ]; then
      WHAT="Flow instances the last sync found open or brought the outcome of"
    fi
    echo "$WHAT in $TABLE, by status:"
    PGPASSWORD="${TARGET_POSTGRES_PASSWORD:-}" psql --no-psqlrc --host="$TARGET_POSTGRES_HOST" \
      --port="${TARGET_POSTGRES_PORT:-5432}" --username="${TARGET_POSTGRES_USER:-${USER:-postgres}}" \
      --dbname="${TARGET_POSTGRES_DATABASE:-postgres}" --command \
      "SELECT \"flowInstanceStatus\", count(*) FROM $TABLE $WHERE GROUP BY 1 ORDER BY 2 DESC" \
      || echo "(psql could not query $TABLE)"
  fi
  if [ $MODELS = 1 ]; then
    echo
    echo "Flow performance ($DBT_POSTGRES_SCHEMA.gong_engage__flow_performance, README, Analytics models):"
    PERFORMANCE="SELECT flow_name, folder_name, prospects_enrolled AS enrolled, open_instances AS open,
      finished_no_reply AS no_reply, finished_response AS replied, finished_other AS other,
      round(reply_rate, 3) AS reply_rate, round(median_days_to_finish::numeric, 1) AS median_days
      FROM $DBT_POSTGRES_SCHEMA.gong_engage__flow_performance
      ORDER BY prospects_enrolled DESC, flow_name"
    if command -v psql >/dev/null; then
      PGPASSWORD="$DBT_POSTGRES_PASSWORD" psql --no-psqlrc --host="$DBT_POSTGRES_HOST" \
        --port="$DBT_POSTGRES_PORT" --username="$DBT_POSTGRES_USER" \
        --dbname="$DBT_POSTGRES_DBNAME" --command "$PERFORMANCE" \
        || echo "(psql could not query the flow performance)"
    else  # dbt's own preview (narrower columns)
      "$VENV_BIN/meltano" --environment=simulator invoke dbt-postgres --quiet show --limit 1000 \
        --inline "$PERFORMANCE" || echo "(dbt could not query the flow performance)"
    fi
  fi
fi
