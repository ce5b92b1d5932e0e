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

// Storm guard-rails (`crate::storm` decides, `browser/recorder.rs` and the reader obey; each
// trip is recorded as an `EventData::Degrade`).

/// A mutation batch that would serialize more nodes than this (new nodes with their subtrees)
/// is not recorded incrementally: a full snapshot, sliced like the first one, replaces it.
/// Reading and recording costs about 10 µs per node on a desktop, so this keeps the batch's
/// task near 20 ms.
pub const DOM_BATCH_MAX_NODES: u32 = 2_000;
/// ... likewise a batch with an observer delivery of more records than this (each at least
/// one changed node; reading them costs about a microsecond each): they are not even read ...
pub const DOM_DELIVERY_MAX_RECORDS: u32 = 5_000;
/// ... and a batch whose listing (current children of changed parents, changed values)
/// passes this many characters: the reader stops building it.
pub const DOM_LISTING_MAX_CHARS: u32 = 1_000_000;
/// Such replacement snapshots are taken at most this often; until the next one is due,
/// changes are not recorded (the snapshot shows their result).
pub const DOM_STORM_SNAPSHOT_MIN_INTERVAL_MS: u64 = 5_000;
/// Over this many observer deliveries (about one per page task that changed the DOM) in one
/// second, changes are recorded at most every `DOM_STORM_THROTTLE_MIN_MS` (a 60 fps ticker:
/// 10 batches a second instead of 60, final values only) ...
pub const DOM_STORM_BATCHES_PER_S_MAX: u32 = 30;
/// ... and over this many characters of mutation data (listing and serialized nodes) in one
/// second, the interval doubles each second it stays over, up to `DOM_STORM_THROTTLE_MAX_MS`.
pub const DOM_STORM_CHARS_PER_S_MAX: u64 = 256 * 1024;
pub const DOM_STORM_THROTTLE_MIN_MS: u32 = 100;
pub const DOM_STORM_THROTTLE_MAX_MS: u32 = 2_000;
/// The throttle ends after this long under both limits.
pub const DOM_STORM_CALM_MS: u64 = 3_000;
/// A throttled flush goes at once when the page has not changed the DOM for this long: the
/// throttle only holds back changes while more keep coming, so a page's state is never
/// recorded late once it stops changing.
pub const DOM_STORM_QUIET_MS: u64 = 40;
/// Values truncated by the caps below are reported at most this often per kind (the counts
/// add up in between).
pub const DOM_CAPPED_REPORT_INTERVAL_MS: u64 = 10_000;
/// Attribute values longer than this (a giant `data:` URL) are recorded as the marker
/// `insp:not-recorded;length=N` instead.
pub const DOM_ATTR_MAX_CHARS: u32 = 256 * 1024;
/// Texts (text nodes, comments, form values) keep their first this many characters, followed
/// by `…[insp: N characters not recorded]`.
pub const DOM_TEXT_MAX_CHARS: u32 = 256 * 1024;
/// Stylesheets read through the CSSOM (inlined `link` sheets, changed `style` sheets, adopted
/// sheets) are cut at this many characters, followed by `/* insp: cut at ... */`; reading
/// stops there too. (A `style` element's own text is a text node: `DOM_TEXT_MAX_CHARS`.)
pub const DOM_CSS_MAX_CHARS: u32 = 1024 * 1024;
/// ... or once reading one sheet's rules took this long: Chromium spends one to two
/// microseconds per rule's text (measured: 256 KiB of short rules, about 10,000, took 11 to
/// 32 ms), so only sheets of several thousand rules on a slow device are cut. This one cap
/// depends on the device's speed.
pub const DOM_CSS_READ_MAX_MS: u32 = 15;

// Delivery (`crate::transport`; decisions in the core, I/O in `browser/transport.rs`).

/// Requests in flight at once while the collector answers; one (a probe) while it fails.
pub const OUTBOX_MAX_IN_FLIGHT: usize = 4;
/// Backoff after the first failed attempt (5xx, 408, 429 without Retry-After, network error);
/// doubled after each further failure ...
pub const RETRY_BASE_MS: u64 = 1_000;
/// ... up to this.
pub const RETRY_CAP_MS: u64 = 60_000;
/// Each backoff delay is shortened by a random share of up to this many percent, so agents
/// that failed together do not retry together.
pub const RETRY_JITTER_PCT: u64 = 50;
/// `Retry-After` is honoured up to this many seconds.
pub const RETRY_AFTER_MAX_S: u64 = 600;
/// An attempt without an answer after this long counts as a network error.
pub const REQUEST_TIMEOUT_MS: u64 = 30_000;
/// Encoded (uncompressed) bytes of undelivered requests kept in memory; over it the oldest
/// event batches are dropped, a `Gap` is recorded and a new full snapshot taken.
pub const OUTBOX_MAX_BYTES: usize = 2 * 1024 * 1024;
/// Keepalive request bodies in flight at once. Browsers allow 64 KiB per page, shared with
/// the page's own keepalive fetches and beacons; page hide splits the tail to fit.
pub const KEEPALIVE_BUDGET_BYTES: usize = 60 * 1024;
/// A keepalive fetch rejected within this long was refused by the browser (quota), not by the
/// network: the body goes by `navigator.sendBeacon` instead.
pub const KEEPALIVE_REFUSED_MS: u32 = 20;
/// `sessionStorage` key holding undelivered requests across page loads of a tab.
pub const OUTBOX_STORAGE_KEY: &str = "__insp_outbox";
/// Encoded bytes of undelivered requests kept in `sessionStorage` (stored one byte per char,
/// so twice this in UTF-16; a write over the quota is retried with a quarter, then dropped).
pub const OUTBOX_PERSIST_MAX_BYTES: usize = 1024 * 1024;
/// While the collector is unreachable, the outbox is written to storage at most this often
/// (and always on page hide).
pub const OUTBOX_PERSIST_INTERVAL_MS: u64 = 2_000;
/// After recording dropped for the memory bound, a new full snapshot is asked for at most this
/// often while the collector stays unreachable (at once when it answers again).
pub const GAP_SNAPSHOT_MIN_INTERVAL_MS: u64 = 30_000;

// Visit recording (`crate::sampling`, `browser/interactions.rs`, `browser/navigation.rs`,
// `browser/hooks.rs`).

/// Pointer positions are sampled at most this often ...
pub const MOUSE_SAMPLE_MIN_GAP_MS: u64 = 50;
/// ... and batched into one `MouseMove` event per this long.
pub const MOUSE_BATCH_MS: u64 = 500;
/// Window scroll positions are recorded at most this often (the final one always).
pub const SCROLL_THROTTLE_MS: u64 = 100;
/// Viewport sizes are recorded at most this often while resizing (the final one always).
pub const RESIZE_THROTTLE_MS: u64 = 250;
/// Interactions refresh the session (and its cookie) at most this often.
pub const ACTIVITY_REFRESH_MS: u64 = 5_000;
/// Error messages and sources longer than this are truncated ...
pub const ERROR_MESSAGE_MAX_CHARS: usize = 1_000;
/// ... and stacks longer than this.
pub const ERROR_STACK_MAX_CHARS: usize = 4_000;
/// Errors recorded per page load at most (a page throwing in a loop).
pub const ERRORS_PER_PAGE_MAX: u32 = 100;
/// Requests (fetch, XMLHttpRequest) recorded per page load at most.
pub const NETWORK_EVENTS_PER_PAGE_MAX: u32 = 1_000;

/// How long the agent waits for the collector's site settings before it records with the
/// most private defaults (`SiteSettings::fallback`); a failed request falls back at once.
pub const SETTINGS_TIMEOUT_MS: u64 = 10_000;

// Replay (`crate::replay`).

/// A replayed frame lists the clicks of this long before its moment (a viewer draws them
/// fading out).
pub const REPLAY_CLICK_SHOWN_MS: u64 = 1_000;
