#!/usr/bin/env bash
# Benchmarks (never run by the tests): whole-process time of render, render --check,
# plan and simulate on the default config, and render on synthetic configs of growing size,
# so the scaling is visible as ratios measured in one run on the same (noisy, 2-core)
# machine; then simulate's cost per deployment-strategy-step (examples/simulate_bench.rs).
#
#   scripts/bench.sh            # needs hyperfine (installed with apt-get when missing, as root)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
cargo build --release --quiet --examples --bins
bin=$PWD/target/release/scalegen
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin" render --out "$work/default" >/dev/null
for size in "10 40" "25 40" "50 40" "50 10" "50 20"; do
  set -- $size
  target/release/examples/synthetic "$work/syn-$1x$2" "$1" "$2"
done
syn() { echo "$bin render --config $work/syn-$1/territories.toml --calendars $work/syn-$1/calendars --out $work/out-$1"; }

hyperfine --warmup 3 --min-runs 20 --export-markdown "$work/default.md" \
  -n "render (default)" "$bin render --out $work/default" \
  -n "render --check (default)" "$bin render --check --out $work/default" \
  -n "plan 2026 (default)" "$bin plan --from 2026-01-01 --to 2026-12-31 --format json" \
  -n "simulate 2026 (default)" "$bin simulate --from 2026-01-01 --to 2027-01-01 --format json"
hyperfine --warmup 1 --min-runs 5 --export-markdown "$work/synthetic.md" \
  -n "render 10x40" "$(syn 10x40)" \
  -n "render 25x40" "$(syn 25x40)" \
  -n "render 50x40" "$(syn 50x40)" \
  -n "render 50x10" "$(syn 50x10)" \
  -n "render 50x20" "$(syn 50x20)"
cat "$work/default.md" "$work/synthetic.md"
echo "peak memory (KiB), render 50x40: $( { /usr/bin/time -f %M $(syn 50x40) >/dev/null; } 2>&1 | tail -n 1)"
target/release/examples/simulate_bench 5
