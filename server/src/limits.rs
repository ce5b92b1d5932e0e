//! Every limit and tunable of the collector, in one place, with units in the names.
//!
//! The constants are defaults; [`Limits`] carries the values a running server uses, so tests and
//! flags can change them.

use std::time::Duration;

/// Largest upload accepted as sent (compressed or not). Agent batches are flushed at 256 KiB
/// before compression (`insp_agent::config::BATCH_MAX_BYTES`), so this leaves ample room.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest envelope after decompression: bounds memory per request.
pub const MAX_DECODED_BYTES: usize = 16 * 1024 * 1024;
/// Largest decompressed/compressed ratio: a small body may not expand into a large one.
/// gzip tops out near 1032:1 on zeros; real recordings stay far below 256.
pub const MAX_INFLATE_RATIO: usize = 256;
/// ... except below this decompressed size (tiny meta packets can compress unusually well).
pub const INFLATE_RATIO_FLOOR_BYTES: usize = 64 * 1024;
/// Whole-body read deadline: a stalled or trickling upload cannot hold a connection open.
pub const BODY_READ_TIMEOUT_MS: u64 = 10_000;
/// Decompress + decode runs on blocking threads; this many at once bounds CPU and memory
/// (each holds up to MAX_BODY_BYTES + MAX_DECODED_BYTES).
pub const MAX_CONCURRENT_DECODES: usize = 4;

/// Token bucket per client IP (IPv6 per /64): sustained requests per second ...
pub const RATE_LIMIT_PER_S: f64 = 20.0;
/// ... and burst size. One tab sends about one batch per 5 s plus meta, so a NAT of many
/// visitors fits.
pub const RATE_LIMIT_BURST: f64 = 100.0;
/// Buckets tracked at most; idle (full) buckets are pruned when this is reached.
pub const RATE_LIMIT_MAX_CLIENTS: usize = 100_000;

/// `sid` / `vid` longer than this are refused (the agent generates short random ids).
pub const ID_MAX_BYTES: usize = 128;

/// Tags in one meta delta: the agent never sends more than it keeps per session.
pub const META_TAGS_MAX: usize = insp_agent::config::TAGS_PER_SESSION_MAX;
/// Page views in one meta delta (each is a row; bounds the work of one request).
pub const META_PAGES_MAX: usize = 1_000;

/// Sessions per API page, by default and at most.
pub const API_PAGE_DEFAULT: u32 = 50;
pub const API_PAGE_MAX: u32 = 500;
/// `tag=` filters per query at most (each one is a sub-query).
pub const API_TAG_FILTERS_MAX: usize = 16;

/// Cache lifetime of the agent files (`/inspectlet.js`, `/insp.wasm`, ...).
pub const AGENT_CACHE_MAX_AGE_S: u64 = 3600;
/// Browsers may cache an ingest preflight this long.
pub const PREFLIGHT_MAX_AGE_S: u64 = 86_400;

/// SQLite waits this long for a lock held by another process (e.g. `insp site add`).
pub const SQLITE_BUSY_TIMEOUT_MS: u64 = 5_000;

/// Length of a generated API key, in random bytes (printed as hex).
pub const API_KEY_BYTES: usize = 24;

/// The limits a running server applies; `Default` is the constants above.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_decoded_bytes: usize,
    pub max_inflate_ratio: usize,
    pub body_read_timeout: Duration,
    pub max_concurrent_decodes: usize,
    pub rate_limit_per_s: f64,
    pub rate_limit_burst: f64,
    pub rate_limit_max_clients: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: MAX_BODY_BYTES,
            max_decoded_bytes: MAX_DECODED_BYTES,
            max_inflate_ratio: MAX_INFLATE_RATIO,
            body_read_timeout: Duration::from_millis(BODY_READ_TIMEOUT_MS),
            max_concurrent_decodes: MAX_CONCURRENT_DECODES,
            rate_limit_per_s: RATE_LIMIT_PER_S,
            rate_limit_burst: RATE_LIMIT_BURST,
            rate_limit_max_clients: RATE_LIMIT_MAX_CLIENTS,
        }
    }
}
