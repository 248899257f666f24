#!/usr/bin/env bash
# Database benchmark of the listener-and-journal migrations (never run by the tests).
#
# Starts its own throwaway PostgreSQL cluster in a temporary directory, listening only on a
# unix socket there (as the `postgres` user, or `nobody`, when run as root, like the test
# harness), applies the rendered V…__listener_and_journal.sql and R__scaling_config.sql of
# the default configuration, and prints, measured in one run on the same machine:
#   1. publish_event events/s on the NOTIFY path vs a bare pg_notify of the same envelope;
#   2. publish_event events/s on the journal path (thresholds 0) vs a bare INSERT of the row;
#   3. replay_pending(BATCH) with 1 and 4 concurrent workers draining EVENTS journaled events
#      (events/s; a LISTEN session counts what arrives: none may arrive twice);
#   4. the latency percentiles of publish_event under 4 publishers + 4 replayers.
# Publishing runs as a login role granted scaling_publisher with app.territory set, the bare
# statements as the same role (same row-level security). No listener is connected while
# publishing. Stops and removes only the cluster it started.
#
#   scripts/bench-db.sh
#   DURATION=5 ROUNDS=3 EVENTS=100000 BATCHES="500 50 5000" CLIENTS="1 4" scripts/bench-db.sh
#   BENCH_NICE=-10 scripts/bench-db.sh    # as root: run server and clients at that priority
#   SERVER_OPTS="-c synchronous_commit=on -c fsync=on" BATCHES=50 scripts/bench-db.sh
#                                         # durable commits instead of the test harness's
#   V_FILE=/tmp/main/V226__listener_and_journal.sql scripts/bench-db.sh
#                                         # another versioned file (e.g. main's), same R file
#
# Each publish figure is the best of ROUNDS alternating runs (bare, publish_event, bare, …),
# and the last column the median over the rounds of each round's own ratio (the two runs of
# a round share the machine's load, so it is the steadier figure on a busy machine); each
# replay figure is the best of ROUNDS drains. The machine's load average is printed before
# and after.
#
# Tools: psql and pgbench of the PostgreSQL server packages (SCALEGEN_TEST_PG_BIN overrides
# the directory, as for the tests), cargo for scalegen itself.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${DURATION:-5}
rounds=${ROUNDS:-3}
events=${EVENTS:-100000}
batches=${BATCHES:-500}
clients=${CLIENTS:-1 4}

pgbin=${SCALEGEN_TEST_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$pgbin/initdb" ] && [ -x "$pgbin/pgbench" ] || {
  echo "bench-db: need initdb, pg_ctl, psql and pgbench (set SCALEGEN_TEST_PG_BIN)" >&2
  exit 2
}

cargo build --release --quiet --bin scalegen
bin=$PWD/target/release/scalegen

prio=()
if [ -n "${BENCH_NICE:-}" ]; then
  [ "$(id -u)" = 0 ] || [ "${BENCH_NICE}" -ge 0 ] || { echo "bench-db: BENCH_NICE < 0 needs root" >&2; exit 2; }
  prio=(nice -n "$BENCH_NICE")
fi

work=$(mktemp -d)
as_pg=()
if [ "$(id -u)" = 0 ]; then
  user=postgres
  id "$user" >/dev/null 2>&1 || user=nobody
  chown "$user" "$work"
  as_pg=(runuser -u "$user" --)
fi
data=$work/data
started=
listener=
poller=
cleanup() {
  [ -n "$poller" ] && kill "$poller" 2>/dev/null || true
  [ -n "$listener" ] && kill "$listener" 2>/dev/null || true
  [ -n "$started" ] && "${as_pg[@]}" "$pgbin/pg_ctl" -D "$data" stop -m immediate >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The test harness's server settings (tests/support/pg.rs): durability off, unix socket only;
# autovacuum off so that it does not run in the middle of one measurement and not another
# (the benchmark vacuums the journal itself where it matters).
"${as_pg[@]}" "$pgbin/initdb" -D "$data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C >/dev/null
"${prio[@]}" "${as_pg[@]}" "$pgbin/pg_ctl" -D "$data" -l "$work/server.log" -w -t 60 \
  -o "-k $work -c listen_addresses='' -p 5432 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c autovacuum=off ${SERVER_OPTS:-}" \
  start >/dev/null
started=1
export PGHOST=$work PGPORT=5432 PGDATABASE=bench
psql() { "${prio[@]}" "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
su_sql() { psql -U postgres -At -c "$1"; }

"$bin" render --out "$work/out" >/dev/null
psql -U postgres -d postgres -c "CREATE DATABASE bench"
psql -U postgres -1 -f "${V_FILE:-$(ls "$work"/out/db/V*__listener_and_journal.sql)}" 2>/dev/null
psql -U postgres -1 -f "$work/out/db/R__scaling_config.sql" 2>/dev/null
su_sql "CREATE ROLE bench_publisher LOGIN IN ROLE scaling_publisher;
        ALTER ROLE bench_publisher SET app.territory = 'DE';
        CREATE ROLE bench_replayer LOGIN IN ROLE scaling_replayer;" >/dev/null

channel=$(su_sql "SELECT channel FROM scaling_backpressure_settings")
payload='{"lead": 4711, "status": "qualified", "owner": "sales-de-07", "note": "callback requested for Tuesday"}'
envelope=$(su_sql "SELECT scaling_envelope(1000000, 'DE', 'lead.status.changed', '$payload', now())")
echo "envelope: ${#envelope} bytes"
su_sql "SELECT format('SELECT publish_event(%L, %L, %L);', 'DE', 'lead.status.changed', '$payload')" >"$work/publish.sql"
su_sql "SELECT format('SELECT pg_notify(%L, %L);', '$channel', '$envelope')" >"$work/notify.sql"
su_sql "SELECT format('INSERT INTO scaling_event_journal (territory, event_type, payload, critical) VALUES (%L, %L, %L, false);',
                      'DE', 'lead.status.changed', '$payload')" >"$work/insert.sql"

thresholds() { su_sql "UPDATE scaling_backpressure_settings SET journal_threshold = $1, critical_threshold = $2" >/dev/null; }
fresh_journal() { su_sql "TRUNCATE scaling_event_journal" >/dev/null; }

# Clock ticks of CPU the cluster used so far: the postmaster, its live children and the
# children it reaped (backends of finished runs; see settle).
pm_pid=$(head -n 1 "$data/postmaster.pid")
hz=$(getconf CLK_TCK)
cluster_ticks() {
  local t=0 p stat
  for p in "$pm_pid" $(pgrep -P "$pm_pid"); do
    stat=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null) || continue
    set -- $stat
    t=$((t + ${12} + ${13}))
    [ "$p" = "$pm_pid" ] && t=$((t + ${14} + ${15}))
  done
  echo "$t"
}

# Waits until the backends of finished clients are gone, so that the postmaster has reaped
# them and their CPU time is in its own counters.
settle() {
  until [ "$(su_sql "SELECT count(*) FROM pg_stat_activity
                     WHERE usename IN ('bench_publisher', 'bench_replayer')")" = 0 ]; do
    sleep 0.05
  done
  sleep 0.2
}

# One pgbench run: pgbench_run SCRIPT CLIENTS [pgbench options] prints "events/s CPU-us/event",
# the second being the server's CPU time per event (less disturbed by other load than events/s).
pgbench_run() {
  local script=$1 c=$2 t0 t1 out
  shift 2
  t0=$(cluster_ticks)
  out=$("${prio[@]}" "$pgbin/pgbench" -n -M prepared -U bench_publisher -c "$c" -j "$(( c < 2 ? c : 2 ))" \
    -T "$duration" -f "$script" "$@" bench 2>/dev/null)
  settle
  t1=$(cluster_ticks)
  awk -v t0="$t0" -v t1="$t1" -v hz="$hz" '
    /^number of transactions actually processed/ { n = $NF }
    /^tps = / { tps = $3 }
    END { printf "%.0f %.1f\n", tps, (t1 - t0) / hz * 1e6 / n }' <<<"$out"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
max() { awk -v a="$1" -v b="${2:-0}" 'BEGIN { print (a > b) ? a : b }'; }
min() { awk -v a="$1" -v b="${2:-1e18}" 'BEGIN { print (a < b) ? a : b }'; }

# Runs the bare statement and publish_event alternately $rounds times; prints one table row.
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { printf "%.2f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

compare() {
  local path=$1 c=$2 bare=$3 setup=$4 tps=(0 0) cpu=(1e18 1e18) i r round_tps round_cpu
  local tps_ratios='' cpu_ratios=''
  for _ in $(seq "$rounds"); do
    i=0
    for script in "$bare" "$work/publish.sql"; do
      $setup
      read -r -a r <<<"$(pgbench_run "$script" "$c")"
      round_tps[i]=${r[0]} round_cpu[i]=${r[1]}
      tps[i]=$(max "${r[0]}" "${tps[i]}")
      cpu[i]=$(min "${r[1]}" "${cpu[i]}")
      i=$((i + 1))
    done
    tps_ratios+=" $(ratio "${round_tps[0]}" "${round_tps[1]}")"
    cpu_ratios+=" $(ratio "${round_cpu[1]}" "${round_cpu[0]}")"
  done
  printf '%-8s %-8s %10s %14s %6s   %8s %8s %6s   %6s %6s\n' "$path" "$c" "${tps[0]}" "${tps[1]}" \
    "$(ratio "${tps[0]}" "${tps[1]}")" "${cpu[0]}" "${cpu[1]}" "$(ratio "${cpu[1]}" "${cpu[0]}")" \
    "$(median <<<"$tps_ratios")" "$(median <<<"$cpu_ratios")"
}
notify_path() { thresholds 0.7 0.95; }
journal_path() { thresholds 0 0; fresh_journal; }

echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "== publish_event vs the bare statement (best of $rounds alternating runs of ${duration}s; target: ratio <= 1.5)"
echo "   events/s: ratio = bare / publish_event;   server CPU us per event: ratio = publish_event / bare"
echo "   paired: median over the rounds of each round's ratio (events/s, cpu)"
printf '%-8s %-8s %10s %14s %6s   %8s %8s %6s   %13s\n' path clients bare publish_event ratio 'cpu bare' 'cpu pub' ratio paired
for c in $clients; do
  compare notify "$c" "$work/notify.sql" notify_path
  compare journal "$c" "$work/insert.sql" journal_path
done
thresholds 0.7 0.95

# Fills the journal with $events pending rows of the benchmark's size (as the superuser).
fill_journal() {
  fresh_journal
  su_sql "INSERT INTO scaling_event_journal (territory, event_type, payload, critical)
          SELECT (ARRAY['AT', 'CH', 'DE'])[1 + i % 3],
                 (ARRAY['lead.status.changed', 'sample.delivered', 'credit.checked'])[1 + i % 3],
                 jsonb_set('$payload'::jsonb, '{lead}', to_jsonb(i)), i % 3 = 2
            FROM generate_series(1, $events) AS i" >/dev/null
  su_sql "VACUUM ANALYZE scaling_event_journal" >/dev/null
}

# One replay worker: replay_pending(batch) in a loop, one transaction per call, as the
# CronJob's role; with a deadline it keeps polling an empty journal until then.
replay_worker() {
  local batch=$1 deadline=${2:-}
  local until_empty="EXIT WHEN n = 0;"
  [ -n "$deadline" ] && until_empty="EXIT WHEN clock_timestamp() > '$deadline'; IF n = 0 THEN PERFORM pg_sleep(0.01); END IF;"
  psql -U bench_replayer -c "SET ROLE scaling_replayer" \
    -c "DO \$\$ DECLARE n int; BEGIN LOOP n := replay_pending($batch); COMMIT; $until_empty END LOOP; END \$\$"
}

# Starts a LISTEN session that reads what arrives every 5 ms (psql prints notifications after
# each command), as a live consumer does: a listener that stopped reading would hold back
# the xmin horizon and slow every replay down.
start_listener() {
  rm -f "$work/listen.in" "$work/listen.out" "$work/listen.stop"
  mkfifo "$work/listen.in"
  psql -U postgres -A <"$work/listen.in" >"$work/listen.out" 2>&1 &
  listener=$!
  exec 7>"$work/listen.in"
  echo "LISTEN $channel; SELECT 'listening';" >&7
  until grep -q listening "$work/listen.out" 2>/dev/null; do sleep 0.05; done
  (while [ ! -e "$work/listen.stop" ]; do echo "SELECT 1;" >&7 || break; sleep 0.005; done) &
  poller=$!
}

# Lets the listener read everything and stops it; sets $received and $duplicates.
stop_listener() {
  touch "$work/listen.stop"
  wait "$poller"
  poller=
  echo "SELECT 'drained';" >&7
  exec 7>&-
  wait "$listener"
  listener=
  grep -o 'payload "{"id": [0-9]*' "$work/listen.out" | grep -o '[0-9]*$' | sort -n >"$work/ids" || true
  received=$(wc -l <"$work/ids")
  duplicates=$(uniq -d "$work/ids" | wc -l)
}

echo
echo "== replay_pending draining $events journaled events (events/s, a live listener counting; target: 4 workers >= 2x 1 worker)"
echo "   (cores: server CPU used / wall time; cpu us: server CPU per event, listener included)"
printf '%-7s %-8s %8s %10s %10s %11s %7s %8s\n' batch workers seconds events/s received duplicates cores 'cpu us'
for batch in $batches; do
  declare -A rate=()
  for workers in 1 2 4; do
    rate[$workers]=0
    for _ in $(seq "$rounds"); do
      fill_journal
      start_listener
      c0=$(cluster_ticks)
      t0=$(date +%s.%N)
      pids=()
      for _ in $(seq "$workers"); do replay_worker "$batch" & pids+=($!); done
      wait "${pids[@]}"
      t1=$(date +%s.%N)
      settle
      c1=$(cluster_ticks)
      left=$(su_sql "SELECT count(*) FROM scaling_event_journal WHERE published_at IS NULL")
      stop_listener
      secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
      r=$(awk -v n="$events" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
      rate[$workers]=$(max "$r" "${rate[$workers]}")
      cores=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v s="$secs" 'BEGIN { printf "%.2f", (b - a) / hz / s }')
      us=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v n="$events" 'BEGIN { printf "%.1f", (b - a) / hz * 1e6 / n }')
      printf '%-7s %-8s %8s %10s %10s %11s %7s %8s' "$batch" "$workers" "$secs" "$r" "$received" "$duplicates" "$cores" "$us"
      [ "$left" = 0 ] || printf '  (%s left pending!)' "$left"
      echo
    done
  done
  echo "batch $batch: 4 workers / 1 worker = $(ratio "${rate[4]}" "${rate[1]}"), 2 workers / 1 worker = $(ratio "${rate[2]}" "${rate[1]}") (best runs)"
done

echo
echo "== publish_event latency (${duration}s, NOTIFY path; 4 replayers draining $events events alongside)"
for replayers in 0 4; do
  fill_journal
  deadline=$(su_sql "SELECT clock_timestamp() + interval '$duration seconds' + interval '2 seconds'")
  pids=()
  for _ in $(seq "$replayers"); do replay_worker 500 "$deadline" & pids+=($!); done
  rm -f "$work"/lat.*
  read -r tps _ <<<"$(pgbench_run "$work/publish.sql" 4 --log --log-prefix="$work/lat")"
  [ "${#pids[@]}" = 0 ] || wait "${pids[@]}"
  replayed=$(su_sql "SELECT count(*) FROM scaling_event_journal WHERE published_at IS NOT NULL")
  cat "$work"/lat.* | awk '{ print $3 }' | sort -n >"$work/lat"
  n=$(wc -l <"$work/lat")
  pct() { sed -n "$(awk -v n="$n" -v p="$1" 'BEGIN { i = int(n * p / 100 + 0.999); print (i < 1 ? 1 : i) }')p" "$work/lat"; }
  printf '4 publishers + %s replayers: %.0f events/s, latency p50 %s us, p99 %s us, max %s us; replayed %s\n' \
    "$replayers" "$tps" "$(pct 50)" "$(pct 99)" "$(tail -n 1 "$work/lat")" "$replayed"
done
echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
