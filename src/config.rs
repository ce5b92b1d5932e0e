//! Every tunable of the agent, in one place, with units in the names.

/// A session ends after this long without activity.
pub const SESSION_IDLE_TIMEOUT_MS: u64 = 30 * 60 * 1000;
/// A session never lasts longer than this.
pub const SESSION_MAX_DURATION_MS: u64 = 24 * 60 * 60 * 1000;
/// Visitor cookie lifetime.
pub const VISITOR_COOKIE_MAX_AGE_S: u64 = 365 * 24 * 60 * 60;
/// Identity cookie lifetime.
pub const IDENTITY_COOKIE_MAX_AGE_S: u64 = 365 * 24 * 60 * 60;

/// Tags and identity are held this long so several calls in a row travel in one request.
pub const META_DEBOUNCE_MS: u64 = 300;
/// Recording batches are flushed at least this often.
pub const BATCH_MAX_AGE_MS: u64 = 5_000;
/// ... or as soon as they reach this many encoded bytes (before compression).
pub const BATCH_MAX_BYTES: usize = 256 * 1024;
/// How often the browser glue asks the core for work.
pub const TICK_INTERVAL_MS: u32 = 250;

/// Tag limits: over a limit, keys/values are truncated and extra tags dropped, with a warning.
pub const TAG_KEY_MAX_CHARS: usize = 128;
pub const TAG_VALUE_MAX_CHARS: usize = 1024;
pub const TAGS_PER_SESSION_MAX: usize = 256;
/// Nested objects deeper than this are not flattened further (guards against cycles).
pub const TAG_MAX_DEPTH: usize = 8;
/// Identity longer than this is truncated.
pub const IDENTITY_MAX_CHARS: usize = 256;
/// virtualPage names / URLs longer than this are truncated.
pub const URL_MAX_CHARS: usize = 2048;

/// The DOM snapshot walks the page in slices of about this long, letting the page run between
/// them (one macrotask per slice; passing the chunk to wasm and parsing it add about a fifth).
pub const DOM_SNAPSHOT_SLICE_MS: u32 = 3;
/// A full snapshot is taken again this often (checkout), so a long recording can be played
/// from the middle; also after a session rollover.
pub const DOM_CHECKOUT_INTERVAL_MS: u64 = 5 * 60 * 1000;
/// After this many failures (a walk, listing or stream that could not be recorded) without a
/// good mutation batch in between, DOM recording stops for the page load.
pub const DOM_MAX_FAILURES: u32 = 3;
