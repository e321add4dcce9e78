#!/usr/bin/env bash
# Smoke run of every benchmark in bench/ at a tiny size: does each still run from a fresh clone?
# The figures it prints mean nothing (a few requests, one order); a crash, a failed assertion or a
# hang (SMOKE_TIMEOUT s per benchmark) makes it exit 1. CI (.ci/run) runs it before the tests.
#
#   bash bench/smoke.sh                                          # SQLite
#   bash bench/smoke.sh sales_page order_one                     # only those
#   TEST_DATABASE_URL=postgresql://… bash bench/smoke.sh         # sales_page, dashboard_load and
#                                                                # listings_import on PostgreSQL too (own schema/database)
#
# The benchmarks run SMOKE_JOBS at a time (default 3; each has its own throwaway files, ports,
# redis-server, and on PostgreSQL its own schema or database), longest first. All thirteen at once
# took as long as the slowest one but put eight Chromiums on two CPUs (load 10-16), and waits sized
# for a working machine ran out (CI went red on worker_memory and handoff_live_view that way).
# The order-loop ones (Chromium, real worker processes) run one order per phase, on SQLite as always;
# tracking_sweep.py runs through bench/order_loop.py (their runner) so that the runner is smoked too.
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${SMOKE_PYTHON:-.venv/bin/python}"  # not PYTHON: run.sh uses that for the base python3
TIMEOUT="${SMOKE_TIMEOUT:-240}"
JOBS="${SMOKE_JOBS:-3}"
LOGS="$(mktemp -d "${TMPDIR:-/tmp}/bench-smoke.XXXXXX")"
trap 'rm -rf "$LOGS"' EXIT

# name | environment | script — longest first (alone, on 2 CPUs), so the last to start are short
BENCHES=(
  "order_schedule|BENCH_SPACED=1 BENCH_DENSE=0|bench/order_schedule.py"
  "dashboard_load|BENCH_ORDERS=500 BENCH_DASHBOARDS=4 BENCH_SECONDS=2 BENCH_BASELINE_SECONDS=0.5 BENCH_WRITE_WINDOW=50 BENCH_WRITES_PER_SECOND=2|bench/dashboard_load.py"
  "order_one|BENCH_PAIRS=1 BENCH_BLOCKS=1 BENCH_BLOCK=1 BENCH_WORKER_ORDERS=0|bench/order_one.py"
  "order_one_walmart|BENCH_PAIRS=1|bench/order_one_walmart.py"
  "handoff_live_view|BENCH_SECONDS=1 BENCH_CLICKS=2|bench/handoff_live_view.py"
  "order_one_aliexpress|BENCH_PAIRS=1|bench/order_one_aliexpress.py"
  "order_one_amazon|BENCH_PAIRS=1|bench/order_one_amazon.py"
  "scale|BENCH_ORDERS=2000 BENCH_RUNS=2|bench/scale.py"
  "worker_memory|BENCH_ORDERS=1 BENCH_CAPPED_ORDERS=0 BENCH_VARIANT_ORDERS=0|bench/worker_memory.py"
  "sales_page|BENCH_ORDERS=500 BENCH_RUNS=3 BENCH_COMPARE_INDEX=1|bench/sales_page.py"
  "tracking_sweep|BENCH_SWEEP=4 BENCH_CHUNK=2 BENCH_BASE_CHUNK=2|bench/order_loop.py 2"
  "listings_import|BENCH_ROWS=200 BENCH_RUNS=1|bench/listings_import.py"
  "parse_amazon_history|BENCH_ROUNDS=1|bench/parse_amazon_history.py"
)

if [ $# -gt 0 ]; then  # bash bench/smoke.sh sales_page order_one: only those
  chosen=()
  for entry in "${BENCHES[@]}"; do
    for want in "$@"; do [ "${entry%%|*}" = "$want" ] && chosen+=("$entry"); done
  done
  [ ${#chosen[@]} = $# ] || { echo "bench/smoke.sh: choose from: ${BENCHES[*]%%|*}" >&2; exit 2; }
  BENCHES=("${chosen[@]}")
fi

started=$(date +%s.%N)
echo "=== bench smoke: ${#BENCHES[@]} benchmarks at a tiny size, $JOBS at a time ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))" \
  "on SQLite${TEST_DATABASE_URL:+ and PostgreSQL}"
for entry in "${BENCHES[@]}"; do
  IFS='|' read -r name vars script <<<"$entry"
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
  (
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086  # $vars and $script are word lists on purpose
    timeout --kill-after=10 "$TIMEOUT" env $vars "$PY" $script >"$LOGS/$name.log" 2>&1
    echo $? >"$LOGS/$name.rc"
    echo "$t0 $(date +%s.%N)" | awk '{printf "%.1f", $2 - $1}' >"$LOGS/$name.s"
  ) &
done
wait

failed=()
for entry in "${BENCHES[@]}"; do
  IFS='|' read -r name vars script <<<"$entry"
  rc=$(cat "$LOGS/$name.rc")
  if [ "$rc" = 0 ]; then
    echo "--- ok   $name ($(cat "$LOGS/$name.s") s): $vars $script"
    tail -n 4 "$LOGS/$name.log" | cut -c1-200 | sed 's/^/    /'
  else
    [ "$rc" = 124 ] || [ "$rc" = 137 ] && rc="$rc: timed out after $TIMEOUT s"
    echo "--- FAIL $name (exit $rc, $(cat "$LOGS/$name.s") s): $vars $script"
    sed 's/^/    /' "$LOGS/$name.log"
    failed+=("$name")
  fi
done
total=$(echo "$started $(date +%s.%N)" | awk '{printf "%.0f", $2 - $1}')
if [ ${#failed[@]} -gt 0 ]; then
  echo "bench smoke: FAILED: ${failed[*]} (${total} s)"
  exit 1
fi
echo "bench smoke: all ${#BENCHES[@]} ran (${total} s)"
