#!/usr/bin/env bash
# Installs what building and testing insp needs, and only what is missing (idempotent):
#   the wasm32 target, wasm-bindgen-cli matching Cargo.lock exactly, Debian's chromium and
#   chromium-driver (for browser tests; skipped with `setup.sh build`), and npm dev dependencies
#   (binaryen's wasm-opt for the shipped wasm, and the test and benchmark tools).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
want_browser=1
[ "${1:-}" = build ] && want_browser=0
export PATH="$HOME/.cargo/bin:$PATH"

say() { echo "setup: $*"; }

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

[ -f Cargo.lock ] || cargo generate-lockfile
wbg_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)"
have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
if [ "$have" != "$wbg_version" ]; then
  say "installing wasm-bindgen-cli $wbg_version (found '${have:-none}'; takes about five minutes)"
  # Not --locked: one of its locked dependencies is not served by this registry.
  cargo install wasm-bindgen-cli --version "$wbg_version"
fi

if [ "$want_browser" = 1 ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; }; then
  say "installing Debian chromium and chromium-driver"
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium chromium-driver >/dev/null
fi

if { [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  say "installing npm dev dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi
say "ok"
