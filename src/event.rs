//! The one schema shared by agent, collector and viewer: what crosses the wire.
//!
//! Every agent -> collector request carries one [`Envelope`]. Enums are encoded by variant
//! index (see `codec`), so new variants are only ever appended, never reordered.

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// Bumped when an existing shape changes incompatibly; appending variants does not bump it.
pub const SCHEMA_VERSION: u16 = 1;

/// One request body, before compression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub v: u16,
    /// Site id.
    pub wid: u64,
    /// Long-lived visitor id (cookie `__insp_vid`).
    pub vid: String,
    /// Session id (cookie `__insp_ses`).
    pub sid: String,
    /// Page-load id: random per document, so two tabs of one session never collide.
    pub pid: u32,
    pub body: Body,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Body {
    /// Identity, tags and page views: small, sent on their own, merged by the collector.
    Meta(Meta),
    /// The recording stream of one page load.
    Events(EventBatch),
}

/// Session metadata delta. Idempotent to re-deliver: every write carries its version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// Per page-load counter of meta packets; with `t_ms` it orders writes across retries.
    pub mseq: u32,
    /// Wall-clock time (ms since epoch) when this delta was produced.
    pub t_ms: u64,
    /// Session start (ms since epoch), as the agent knows it.
    pub session_start_ms: u64,
    pub identity: Option<String>,
    /// Tags set by this delta; `value: None` is a tag without value.
    pub tags: Vec<Tag>,
    pub pages: Vec<PageView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageView {
    /// Index of this view within the page load (0 = the load itself).
    pub idx: u32,
    pub t_ms: u64,
    pub url: String,
    pub title: String,
    /// `true` for `virtualPage` and History API navigations.
    pub virtual_: bool,
}

/// A contiguous slice of one page load's recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventBatch {
    /// 0, 1, 2, ... per page load; the collector stores each (sid, pid, seq) once.
    pub seq: u32,
    /// Time range covered, ms since epoch.
    pub t0_ms: u64,
    pub t1_ms: u64,
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// ms since the batch's `t0_ms`.
    pub dt_ms: u32,
    pub data: EventData,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EventData {
    /// Start of a page load's recording: where and how big.
    Start { url: String, referrer: String, width: u32, height: u32 },
    /// A page view inside the load (virtualPage, History API).
    Page { url: String, title: String },
    /// Free-form marker from the agent itself (for example a degrade reason).
    Note { text: String },
}
