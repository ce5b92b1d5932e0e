//! Storage behind one trait. The embedded SQLite store is the default; a PostgreSQL store
//! will implement the same trait. Methods are async so a network database fits without
//! blocking; the SQLite store runs its calls on blocking threads.

mod site_settings;
mod sqlite;

pub use sqlite::SqliteStore;

use crate::error::Result;
use async_trait::async_trait;
use insp_agent::event::Envelope;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Site {
    pub wid: u64,
    /// Origins allowed to post (`scheme://host[:port]`); empty = any origin.
    pub origins: Vec<String>,
}

impl Site {
    pub fn allows_origin(&self, origin: Option<&str>) -> bool {
        if self.origins.is_empty() {
            return true;
        }
        // A browser always sends Origin on a cross-origin POST; without one we cannot tell.
        match origin {
            Some(o) => self.origins.iter().any(|a| *a == normalize_origin(o)),
            None => false,
        }
    }
}

/// `HTTPS://Example.com:443/` -> `https://example.com:443`: compare origins case-insensitively
/// and without a trailing slash, which is how people type them on the command line.
pub fn normalize_origin(origin: &str) -> String {
    origin.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// Checks and normalizes an origin given to `insp site add`.
pub fn parse_origin(origin: &str) -> Result<String, String> {
    let o = normalize_origin(origin);
    let Some((scheme, rest)) = o.split_once("://") else {
        return Err(format!("origin {origin:?}: expected scheme://host[:port]"));
    };
    if scheme.is_empty() || rest.is_empty() || rest.contains(['/', '?', '#', ' ']) {
        return Err(format!(
            "origin {origin:?}: expected scheme://host[:port], without a path"
        ));
    }
    Ok(o)
}

/// One session as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionSummary {
    pub id: String,
    pub wid: u64,
    pub visitor_id: String,
    pub identity: Option<String>,
    pub start_ms: u64,
    pub last_activity_ms: u64,
    pub page_count: u64,
    /// Tag key -> value (`null` for a tag without value).
    pub tags: BTreeMap<String, Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PageRecord {
    /// Page load the view belongs to.
    pub pid: u32,
    pub idx: u32,
    pub t_ms: u64,
    pub url: String,
    pub title: String,
    #[serde(rename = "virtual")]
    pub virtual_: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionDetail {
    #[serde(flatten)]
    pub session: SessionSummary,
    /// Page views, in time order.
    pub pages: Vec<PageRecord>,
    /// Per page load: the event batches missing so far and the gaps the agent reported.
    pub delivery: Vec<LoadDelivery>,
}

/// Delivery of one page load's recording (batches `0, 1, 2, ...`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadDelivery {
    pub pid: u32,
    /// Event batches stored.
    pub batches: u64,
    /// Highest seq stored; `None` before any batch.
    pub last_seq: Option<u32>,
    /// Seqs below `last_seq` never stored: still on their way, or lost. A batch lost at the
    /// end of a page load cannot be seen here.
    pub missing: Vec<SeqRange>,
    /// `Gap` events the agent recorded: batches it dropped on purpose (memory bound while
    /// the collector was unreachable, or refused by the collector).
    pub gaps: Vec<GapMarker>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SeqRange {
    pub first_seq: u32,
    pub last_seq: u32,
}

/// One `EventData::Gap` as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GapMarker {
    /// The batch that carried the marker, and the marker's time (ms since epoch).
    pub seq: u32,
    pub t_ms: u64,
    /// Batches `from_seq..=to_seq` were dropped by the agent.
    pub from_seq: u32,
    pub to_seq: u32,
    pub dropped_bytes: u64,
    /// `memory_bound` or `rejected` (then `status` is the collector's answer).
    pub reason: String,
    pub status: Option<u16>,
}

/// One stored event batch, as `Store::batches` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBatch {
    /// Page load the batch belongs to.
    pub pid: u32,
    pub seq: u32,
    pub t0_ms: u64,
    pub t1_ms: u64,
    /// The uncompressed envelope carrying the batch (`insp_agent::codec::decode`).
    pub data: Vec<u8>,
}

/// A `tag=` filter: the key, and the exact value when one was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagFilter {
    pub key: String,
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct SessionQuery {
    /// All must match.
    pub tags: Vec<TagFilter>,
    pub limit: u32,
    pub offset: u64,
}

/// What an ingest did; the response is the same either way, this is for callers and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ingested {
    Stored,
    /// An event batch already stored under the same (sid, pid, seq).
    Duplicate,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Creates a site with the next wid (1, 2, ...).
    async fn create_site(&self, origins: Vec<String>) -> Result<Site>;
    /// Creates site `wid` unless it exists; returns the stored site.
    async fn ensure_site(&self, wid: u64, origins: Vec<String>) -> Result<Site>;
    async fn site(&self, wid: u64) -> Result<Option<Site>>;
    async fn sites(&self) -> Result<Vec<Site>>;

    /// Merges one validated envelope. `raw` is its uncompressed encoding, kept for event
    /// batches so replay decodes them with `insp_agent::codec::decode`. Idempotent; a `sid`
    /// already recorded under another wid is a `BadRequest`.
    async fn ingest(&self, env: Envelope, raw: Vec<u8>) -> Result<Ingested>;

    /// Sessions of a site, newest first.
    async fn sessions(&self, wid: u64, query: SessionQuery) -> Result<Vec<SessionSummary>>;
    async fn session(&self, sid: &str) -> Result<Option<SessionDetail>>;
    /// Every stored event batch of a session, ordered by (pid, seq); empty for an unknown one.
    async fn batches(&self, sid: &str) -> Result<Vec<StoredBatch>>;
    /// (number of batches, their total size in bytes) of a session: changes whenever a batch
    /// is stored, so replay can cache what it decoded (batches are never rewritten).
    async fn batch_stamp(&self, sid: &str) -> Result<(u64, u64)>;

    /// A site's settings (the defaults until changed); `None` for an unknown site.
    async fn site_settings(&self, wid: u64) -> Result<Option<insp_agent::settings::SiteSettings>>;
    /// Replaces a site's settings (normalized, see `SiteSettings::normalize`) and returns what
    /// was stored; `None` for an unknown site.
    async fn set_site_settings(
        &self,
        wid: u64,
        settings: insp_agent::settings::SiteSettings,
    ) -> Result<Option<insp_agent::settings::SiteSettings>>;
}
