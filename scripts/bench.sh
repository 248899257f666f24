#!/usr/bin/env bash
# Benchmarks (never run by the tests). Every ratio below comes from commands measured in
# the same hyperfine run on the same machine, so the noise of a shared 2-core machine
# hits both sides alike; times are medians of whole processes (start-up included).
#
#   scripts/bench.sh                  # everything (a few minutes)
#   BENCH_SIZES="10x40 50x40" scripts/bench.sh   # fewer synthetic sizes
#
# Prints:
#  1. render / render --check of the default config against `kubectl kustomize` of the
#     output and `cp -r` of the output (render and cp both write every byte into an
#     empty directory; --check compares with an up-to-date one);
#  2. synthetic configurations (examples/synthetic.rs: TERRITORIESxENTRIES): median time,
#     mean CPU time and peak memory (max RSS) of render (up-to-date output, as in pre-commit and CI),
#     render --check and `plan` over a year, and the growth exponent b in time ∝ size^b
#     (b = 1 is linear) from the smallest to the largest size of each series;
#  3. simulate over a year (examples/simulate_bench.rs, when it exists);
#  4. the SQL benchmarks (scripts/bench-db.sh, when it exists).
# Needs hyperfine and kubectl (installed with apt-get when missing, as root).
set -euo pipefail
cd "$(dirname "$0")/.."
need() {
  command -v "$1" >/dev/null && return
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}
need hyperfine hyperfine
need kubectl kubernetes-client
cargo build --release --quiet --examples --bins
bin=$PWD/target/release/scalegen
synthetic=$PWD/target/release/examples/synthetic
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
territory_sizes=${BENCH_SIZES:-"10x40 50x40 200x40 676x40"}
entry_sizes=${BENCH_ENTRY_SIZES:-"3x1000 3x10000"}
year=(--from 2026-01-01 --to 2026-12-31)

echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "scalegen $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo '+changes')"

# Median seconds of the command named $2 in hyperfine's CSV $1.
median() { awk -F, -v name="$2" 'NR > 1 && $1 == name { print $4 }' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
ms() { awk -v s="$1" 'BEGIN { printf "%.1f ms", s * 1000 }'; }
# Mean CPU time (user + system) of the command named $2 in hyperfine's CSV $1: on a busy
# machine the wall-clock median includes waiting for a core, this does not.
cpu() { awk -F, -v name="$2" 'NR > 1 && $1 == name { printf "%.0f ms cpu", ($5 + $6) * 1000 }' "$1"; }
# Peak resident memory (MiB) of one run of the command.
peak() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1 | awk '{ printf "%.0f MiB", $1 / 1024 }'; }
# Exponent b of time ∝ size^b between two (size, seconds) points.
growth() { awk -v n1="$1" -v t1="$2" -v n2="$3" -v t2="$4" 'BEGIN { printf "%.2f", log(t2 / t1) / log(n2 / n1) }'; }

echo
echo "== 1. default configuration: render vs kubectl kustomize and cp -r of its output"
"$bin" render --out "$work/default" >/dev/null
hyperfine -N --style basic --warmup 5 --min-runs 30 --prepare "rm -rf $work/fresh $work/copy" \
  --export-csv "$work/default.csv" \
  -n render "$bin render --out $work/fresh" \
  -n check "$bin render --check --out $work/default" \
  -n kustomize "kubectl kustomize $work/default" \
  -n cp "cp -r $work/default $work/copy" >/dev/null
d=$work/default.csv
printf '%-28s %10s  (%s)\n' "render (empty dir)" "$(ms "$(median "$d" render)")" "$(cpu "$d" render)" \
  "render --check" "$(ms "$(median "$d" check)")" "$(cpu "$d" check)" \
  "kubectl kustomize" "$(ms "$(median "$d" kustomize)")" "$(cpu "$d" kustomize)" \
  "cp -r" "$(ms "$(median "$d" cp)")" "$(cpu "$d" cp)"
echo "render / kustomize         $(ratio "$(median "$d" render)" "$(median "$d" kustomize)")   (target <= 0.1)"
echo "render --check / kustomize $(ratio "$(median "$d" check)" "$(median "$d" kustomize)")   (target <= 0.1)"
echo "render / cp -r             $(ratio "$(median "$d" render)" "$(median "$d" cp)")"
echo "render --check / cp -r     $(ratio "$(median "$d" check)" "$(median "$d" cp)")"

# Benchmarks one synthetic size; appends "size render check plan" medians to $work/series.
synthetic_size() {
  local size=$1 t=${1%x*} e=${1#*x}
  local dir=$work/syn-$size out=$work/out-$size
  "$synthetic" "$dir" "$t" "$e"
  local input=(--config "$dir/territories.toml" --calendars "$dir/calendars")
  # A size may be beyond what the cluster accepts (3x10000: ScaledObjects over etcd's
  # limit): render then exits 2 after the whole pipeline, and that is what is timed.
  local ignore=() rc=0
  "$bin" render "${input[@]}" --out "$out" >/dev/null 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "note: $size: render exits $rc (objects over the cluster's limits); timing the refusal"
    ignore=(-i)
  fi
  hyperfine -N --style basic "${ignore[@]}" --warmup 1 --min-runs 3 --max-runs 10 --export-csv "$work/$size.csv" \
    -n render "$bin render ${input[*]} --out $out" \
    -n check "$bin render --check ${input[*]} --out $out" \
    -n plan "$bin plan ${input[*]} ${year[*]}" >/dev/null
  local c=$work/$size.csv
  printf '%-9s render %10s %12s %8s   check %10s %12s %8s   plan %10s %12s %8s\n' "$size" \
    "$(ms "$(median "$c" render)")" "$(cpu "$c" render)" "$(peak "$bin" render "${input[@]}" --out "$out")" \
    "$(ms "$(median "$c" check)")" "$(cpu "$c" check)" "$(peak "$bin" render --check "${input[@]}" --out "$out")" \
    "$(ms "$(median "$c" plan)")" "$(cpu "$c" plan)" "$(peak "$bin" plan "${input[@]}" "${year[@]}")"
  echo "$size $(median "$c" render) $(median "$c" check) $(median "$c" plan)" >>"$work/series-$2"
}

# Prints the growth exponents of a series file (first line vs last line); $2 picks the
# size factor: 1 = territories, 2 = entries.
series_growth() {
  local first last n1 n2
  first=$(head -n 1 "$1"); last=$(tail -n 1 "$1")
  n1=$(echo "${first%% *}" | tr x ' ' | cut -d' ' -f"$2"); n2=$(echo "${last%% *}" | tr x ' ' | cut -d' ' -f"$2")
  set -- $first $last
  echo "growth ${1} → ${5} (size ×$(ratio "$n2" "$n1")): exponent b in time ∝ size^b:" \
    "render $(growth "$n1" "$2" "$n2" "$6"), check $(growth "$n1" "$3" "$n2" "$7"), plan $(growth "$n1" "$4" "$n2" "$8")   (1.00 = linear)"
}

echo
echo "== 2. synthetic configurations (median, peak memory)"
for size in $territory_sizes; do synthetic_size "$size" territories; done
series_growth "$work/series-territories" 1
for size in $entry_sizes; do synthetic_size "$size" entries; done
series_growth "$work/series-entries" 2

echo
echo "== 3. simulate over a year (default configuration)"
if [ -f examples/simulate_bench.rs ]; then
  cargo run --release --quiet --example simulate_bench
else
  echo "examples/simulate_bench.rs does not exist on this branch"
fi

echo
echo "== 4. SQL (V226 functions)"
if [ -f scripts/bench-db.sh ]; then
  bash scripts/bench-db.sh
else
  echo "scripts/bench-db.sh does not exist on this branch"
fi
