// Attribution of wasm function names (a names-kept build: INSP_WASM_NAMES=1) to crate/module
// groups, shared by bench/size-profile.mjs (code bytes) and bench/profile.mjs (CPU self time).

// Rules are tried in order on the demangled name; the first match names the group. Generic
// functions instantiated for our types carry the generic's path first (`core::ptr::drop_in_place
// <insp_agent::..>`), so ours are matched by the outer path, not by any mention of the crate.
// rustc's v0 mangling leaves crate disambiguators (`core[c5930c85a12de822]`): dropped.
export const strip = (n) => n.replace(/::h[0-9a-f]{16}$/, '').replace(/\[[0-9a-f]{8,}\]/g, '');
export function group(name) {
  const n = strip(name);
  const outer = n.replace(/^<+/, '');
  const rules = [
    [/core::fmt::(float|num)|core::num::flt2dec|core::num::dec2flt|float_to_decimal|flt2dec/, 'core::fmt (numbers)'],
    [/^(core::fmt|<?&?T as core::fmt|core::fmt::|.*as core::fmt::(Debug|Display|Write)>)/, 'core::fmt'],
    [/^(core::panicking|core::panic|std::panicking|rust_begin_unwind|core::result::unwrap_failed|core::option::expect_failed|core::slice::index::.*fail|core::str::slice_error_fail)/, 'panics'],
    [/dlmalloc|__rust_alloc|__rust_dealloc|__rust_realloc|__rdl_|alloc::alloc::/, 'allocator'],
    [/^(postcard|serde|serde_core)::|as serde(_core)?::(ser|de)::|serde(_core)?::(ser|de)|postcard/, 'serde/postcard'],
    // wasm-bindgen's externref pass wraps each export in a shim that the exported function is
    // then inlined into: "start externref shim" is mostly `start` itself.
    [/externref shim$/, 'exports (externref shims, bodies inlined)'],
    [/^(wasm_bindgen|js_sys|web_sys|wasm_bindgen_futures)::|__wbg|__wbindgen|externref/, 'wasm-bindgen/js-sys/web-sys'],
    [/^(alloc::raw_vec|alloc::vec|alloc::string|alloc::collections|alloc::rc|alloc::sync|alloc::str|alloc::slice|alloc::fmt|alloc::boxed|hashbrown|alloc::)/, 'alloc (Vec/String/BTree)'],
    [/^(core::str|core::unicode|core::char)/, 'core::str/unicode'],
    [/^(core::ptr::drop_in_place)/, 'drop glue'],
    [/^(memcpy|memmove|memset|memcmp|compiler_builtins|__)/, 'compiler-builtins (mem*)'],
    [/^core::/, 'core (other)'],
    [/^std::/, 'std (other)'],
  ];
  for (const [re, g] of rules) if (re.test(n) || re.test(outer)) return g;
  const m = outer.match(/^insp_agent::([a-z_0-9]+)(?:::([a-z_0-9]+))?/);
  if (m) {
    if (m[1] === 'browser' || m[1] === 'dom' || m[1] === 'agent') return `insp_agent::${m[1]}::${m[2] || ''}`.replace(/::$/, '');
    return `insp_agent::${m[1]}`;
  }
  if (/insp_agent::/.test(n)) {
    const mm = n.match(/insp_agent::([a-z_0-9]+)(?:::([a-z_0-9]+))?/);
    return `insp_agent::${mm[1]}${['browser', 'dom', 'agent'].includes(mm[1]) && mm[2] ? '::' + mm[2] : ''} (generic)`;
  }
  if (/^func\d+$|no names/.test(n)) return '(unnamed)';
  return '(other)';
}

