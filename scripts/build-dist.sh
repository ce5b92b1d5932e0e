#!/usr/bin/env bash
# Builds the shippable agent into dist/:
#   dist/insp.wasm       the agent (wasm-bindgen output, then wasm-opt -Oz when one is available)
#   dist/inspectlet.js   one classic script: (function(){ "use strict"; <glue>; <js/reader.mjs>;
#                        <js/hooks.mjs>; <js/loader.js> })(), the two modules without `export`
#   dist/insp.mjs        ESM entry for single-page apps (copied from js/)
#   dist/insp.d.ts       its TypeScript declarations (copied from js/)
# Idempotent: every output is written to a temporary file first and moved into place.
# Fails if the shipped JavaScript contains any string-to-code or HTML-parsing sink.
#
# Size passes (all on by default): wasm-opt on the module, short import/export names shared by
# module and glue (scripts/wasm-short-names.mjs), and terser on dist/inspectlet.js (the pinned
# npm dev dependency; `npm ci` installs it). INSP_MINIFY=0 builds a readable, debuggable
# dist/inspectlet.js with wasm-bindgen's own names (no short names, no terser).
# INSP_WASM_NAMES=1 keeps the wasm function names (wasm-opt -g) for CPU profiles;
# INSP_DIST_DIR=DIR writes the four files there instead of dist/ (a profiling build beside the
# shipped one).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

die() { echo "build-dist: $*" >&2; exit 1; }

target_dir="${CARGO_TARGET_DIR:-$root/target}"
wasm_in="$target_dir/wasm32-unknown-unknown/wasm/insp_agent.wasm"
wbg_dir="$target_dir/wbg"
dist="${INSP_DIST_DIR:-$root/dist}"

# 1. The agent, for the browser.
cargo build -p insp-agent --lib --target wasm32-unknown-unknown --profile wasm
[ -f "$wasm_in" ] || die "cargo did not produce $wasm_in"

# 2. wasm-bindgen (the CLI version must equal the wasm-bindgen crate version in Cargo.lock).
wbg="$(command -v wasm-bindgen || echo "$HOME/.cargo/bin/wasm-bindgen")"
[ -x "$wbg" ] || die "wasm-bindgen CLI not found (cargo install wasm-bindgen-cli --version <the version in Cargo.lock>)"
rm -rf "$wbg_dir"
"$wbg" --target no-modules --no-typescript --out-dir "$wbg_dir" "$wasm_in"
glue="$wbg_dir/insp_agent.js"
wasm_bg="$wbg_dir/insp_agent_bg.wasm"
[ -f "$glue" ] && [ -f "$wasm_bg" ] || die "wasm-bindgen did not produce $glue and $wasm_bg"

mkdir -p "$dist"
tmp="$(mktemp -d "$dist/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# 3. Optional size pass with wasm-opt: $WASM_OPT, else the pinned npm `binaryen` in
#    node_modules (after `npm ci`), else one on PATH; INSP_WASM_OPT=0 skips it. Versions older
#    than WASM_OPT_MIN are skipped: Debian's binaryen 108 turns wasm-bindgen's externref table
#    into a funcref table and the agent fails at start-up. The features are the ones rustc
#    enables by default for wasm32. --low-memory-unused (addresses below 1024 are never used:
#    rustc links wasm32 with the stack first, so they are the far end of the 1 MiB stack) lets
#    it fold constant offsets into loads and stores: about 0.9 kB less after gzip.
WASM_OPT_MIN=132
wasm_opt_names="--strip-debug"
if [ "${INSP_WASM_NAMES:-0}" = 1 ]; then wasm_opt_names="-g"; fi
wasm_opt="${WASM_OPT:-}"
if [ -z "$wasm_opt" ] && [ -x "$root/node_modules/.bin/wasm-opt" ]; then wasm_opt="$root/node_modules/.bin/wasm-opt"; fi
if [ -z "$wasm_opt" ]; then wasm_opt="$(command -v wasm-opt || true)"; fi
cp "$wasm_bg" "$tmp/insp.wasm"
if [ "${INSP_WASM_OPT:-1}" = 0 ]; then
  echo "build-dist: wasm-opt skipped (INSP_WASM_OPT=0)"
elif [ -z "$wasm_opt" ]; then
  echo "build-dist: no wasm-opt (npm ci installs one); shipping the module as wasm-bindgen wrote it"
else
  opt_version="$("$wasm_opt" --version 2>/dev/null | sed -n 's/^wasm-opt version \([0-9][0-9]*\).*/\1/p' | head -1)"
  if [ -z "$opt_version" ] || [ "$opt_version" -lt "$WASM_OPT_MIN" ]; then
    echo "build-dist: warning: $wasm_opt is version '${opt_version:-unknown}', older than $WASM_OPT_MIN; not used" >&2
  elif "$wasm_opt" -Oz --converge --low-memory-unused $wasm_opt_names --strip-producers --strip-target-features --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals --enable-reference-types --enable-multivalue \
      -o "$tmp/insp.opt.wasm" "$wasm_bg"; then
    echo "build-dist: wasm-opt $opt_version -Oz --converge: $(wc -c < "$wasm_bg") -> $(wc -c < "$tmp/insp.opt.wasm") B"
    mv -f "$tmp/insp.opt.wasm" "$tmp/insp.wasm"
  else
    echo "build-dist: warning: wasm-opt failed; shipping the module as wasm-bindgen wrote it" >&2
  fi
fi

# 3b. Short names for the glue <-> module interface (see scripts/wasm-short-names.mjs).
minify="${INSP_MINIFY:-1}"
if [ "$minify" != 0 ]; then
  command -v node >/dev/null 2>&1 || die "node is needed for the size passes (INSP_MINIFY=0 builds without them)"
  node "$root/scripts/wasm-short-names.mjs" "$tmp/insp.wasm" "$glue" "$tmp/insp.short.wasm" "$tmp/glue.js" \
    || die "renaming the wasm-bindgen imports failed"
  mv -f "$tmp/insp.short.wasm" "$tmp/insp.wasm"
  glue="$tmp/glue.js"
fi

# 4. One classic script: the glue's top-level `let wasm_bindgen` stays local to the IIFE, so the
#    page's global scope is untouched (the only global is window.__inspAgent, set by the loader).
#    js/reader.mjs (the DOM reader) is an ES module for wasm-bindgen tests; here its one
#    `export function createReader` loses the `export` and becomes local to the IIFE too, and
#    the loader hands `createReader(window)` to the agent as `config.reader`.
reader="$root/js/reader.mjs"
if [ -f "$reader" ]; then
  [ "$(grep -cE '^export function createReader\b' "$reader")" = 1 ] \
    || die "js/reader.mjs must contain exactly one line starting 'export function createReader'"
  sed -E 's/^export function createReader\b/function createReader/' "$reader" > "$tmp/reader.js"
  if grep -nE '^\s*(export|import)\b' "$tmp/reader.js" >&2; then
    die "js/reader.mjs has module syntax besides its one export (lines above); it is shipped as a classic script"
  fi
fi
# js/hooks.mjs (the wrappers around History, fetch, XMLHttpRequest and dataLayer) likewise: its
# one `export function createHooks` becomes local, and the loader passes `createHooks(window)`
# to the agent as `config.hooks`.
hooks="$root/js/hooks.mjs"
if [ -f "$hooks" ]; then
  [ "$(grep -cE '^export function createHooks\b' "$hooks")" = 1 ] \
    || die "js/hooks.mjs must contain exactly one line starting 'export function createHooks'"
  sed -E 's/^export function createHooks\b/function createHooks/' "$hooks" > "$tmp/hooks.js"
  if grep -nE '^\s*(export|import)\b' "$tmp/hooks.js" >&2; then
    die "js/hooks.mjs has module syntax besides its one export (lines above); it is shipped as a classic script"
  fi
fi
{
  printf '/* insp agent loader. Built by scripts/build-dist.sh; do not edit. */\n'
  printf '(function(){ "use strict";\n'
  cat "$glue"
  printf '\n;\n'
  if [ -f "$tmp/reader.js" ]; then
    cat "$tmp/reader.js"
    printf '\n;\n'
  fi
  if [ -f "$tmp/hooks.js" ]; then
    cat "$tmp/hooks.js"
    printf '\n;\n'
  fi
  cat "$root/js/loader.js"
  printf '\n})();\n'
} > "$tmp/inspectlet.js"
cp "$root/js/insp.mjs" "$tmp/insp.mjs"
cp "$root/js/insp.d.ts" "$tmp/insp.d.ts"

# 5. No string-to-code and no HTML parsing in anything we ship: pages with a strict CSP or
#    Trusted Types must be able to load it, and it must never be an injection vector.
#    Comments are not exempt: keep these words out of the shipped files entirely.
sinks='\beval\(|new Function|\bFunction\(|set(Timeout|Interval)\(\s*["'\''`]|innerHTML|outerHTML|document\.write|insertAdjacentHTML'
bad=0
for f in "$tmp/inspectlet.js" "$tmp/insp.mjs"; do
  if grep -nE "$sinks" "$f" >&2; then
    echo "build-dist: forbidden sink in $(basename "$f") (lines above)" >&2
    bad=1
  fi
done
[ "$bad" = 0 ] || die "refusing to ship; if the lines come from the wasm-bindgen glue, the Rust side must stop importing what generates them"

# 6. Syntax check when node is available (a broken loader would fail silently in pages).
if command -v node >/dev/null 2>&1; then
  node --check "$tmp/inspectlet.js" || die "dist/inspectlet.js does not parse"
fi

# 7. Minify (INSP_MINIFY=0 skips it): terser, pinned in package.json. Only local names are
#    mangled (no property mangling: the wasm-bindgen import keys, `wasm.*` exports, the reader's
#    and hooks' config keys and every DOM API name stay as written); the IIFE keeps the page's
#    global scope untouched as before. The sink check and the syntax check run again on the
#    minified file, which is what ships.
if [ "$minify" != 0 ]; then
  terser="$root/node_modules/.bin/terser"
  [ -x "$terser" ] || die "terser not found in node_modules (run npm ci, or INSP_MINIFY=0 for an unminified build)"
  raw_js="$(wc -c < "$tmp/inspectlet.js")"
  "$terser" "$tmp/inspectlet.js" --compress passes=2 --mangle --comments false \
    --preamble '/* insp agent loader. Built by scripts/build-dist.sh; do not edit. */' \
    -o "$tmp/inspectlet.min.js" || die "terser failed"
  if grep -nE "$sinks" "$tmp/inspectlet.min.js" >&2; then
    die "forbidden sink in the minified inspectlet.js (lines above)"
  fi
  node --check "$tmp/inspectlet.min.js" || die "the minified inspectlet.js does not parse"
  mv -f "$tmp/inspectlet.min.js" "$tmp/inspectlet.js"
  echo "build-dist: terser: $raw_js -> $(wc -c < "$tmp/inspectlet.js") B inspectlet.js"
fi

for f in insp.wasm inspectlet.js insp.mjs insp.d.ts; do
  mv -f "$tmp/$f" "$dist/$f"
done
echo "build-dist: $(wc -c < "$dist/insp.wasm") B insp.wasm, $(wc -c < "$dist/inspectlet.js") B inspectlet.js -> $dist"
