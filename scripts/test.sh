#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is missing, then runs native unit
# tests, browser tests (wasm-bindgen-test in headless Chromium), the collector's tests, and the
# end-to-end tests (playwright-core driving Debian's Chromium against a real collector).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"

bash scripts/setup.sh

echo "== native tests (agent core + collector)"
cargo test --workspace

echo "== browser tests (wasm-bindgen-test, headless Chromium)"
# The runner's default limit (20 s) is for a whole test binary; browser_dom's large-page
# tests in a debug build take longer than that on a busy 2-core machine.
CHROMEDRIVER=/usr/bin/chromedriver \
WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-600}" \
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test -p insp-agent --target wasm32-unknown-unknown --test browser --test browser_dom --test browser_visit --test browser_privacy

echo "== build the agent and the release collector"
bash scripts/build-dist.sh
cargo build --release -p insp-server

echo "== end-to-end tests (playwright-core + Chromium)"
INSP_BIN="$root/target/release/insp" node --test --test-concurrency=1 tests/e2e/

# A smoke test of the benchmark harness (bench/README.md): fails only if the harness itself
# crashes, never on the figures (a shared CI machine is too noisy for thresholds). About 3.5
# minutes; writes bench/results/quick.{json,md} (ignored by git), never the committed latest.*.
echo "== benchmark smoke test (node bench/run.mjs --quick; figures are informative only)"
node bench/run.mjs --quick --print
