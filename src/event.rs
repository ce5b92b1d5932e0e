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
    /// The whole document: the first event of a page load's DOM recording, and again at each
    /// checkout so a long recording can be played from the middle.
    FullSnapshot(FullSnapshot),
    /// Changes since the previous snapshot or mutation, final values only.
    Mutation(Mutation),
    /// The adopted stylesheets of a document or shadow root (`target`), replaced as a whole.
    AdoptedSheets { target: NodeId, sheets: Vec<String> },
    /// Pointer positions, sampled and batched: `(x, y, ms after this event's time)`, in
    /// page-viewport CSS pixels.
    MouseMove { positions: Vec<(i32, i32, u32)> },
    /// A discrete pointer interaction on node `id` (0 when the target is not recorded).
    Mouse { kind: MouseKind, id: NodeId, x: i32, y: i32 },
    /// Scroll position of the document (`id` = the document's node id) or of an element.
    Scroll { id: NodeId, x: i32, y: i32 },
    /// The viewport was resized.
    Viewport { width: u32, height: u32 },
    /// Focus moved to (`focused`) or away from node `id`.
    Focus { id: NodeId, focused: bool },
    /// A media element started or stopped playing, at `time_ms` into the media.
    Media { id: NodeId, playing: bool, time_ms: u32 },
    /// A History API or hash navigation inside the page load (also recorded as a page view).
    Navigation { url: String, kind: NavKind },
    /// An uncaught error or unhandled promise rejection.
    Error(ErrorInfo),
    /// A fetch or XMLHttpRequest the page made (never the agent's own), without bodies.
    Network(NetworkInfo),
    /// The browser and screen, once per page load.
    Device(DeviceInfo),
    /// The tab became hidden (`true`) or visible again; idle time costs nothing.
    Visibility { hidden: bool },
    /// The agent gave up on batches `from_seq..=to_seq` of this page load (and session): they
    /// will never arrive. Informational: replay already cuts at the missing seqs and resumes
    /// at the next `FullSnapshot`, which the agent takes after a gap.
    Gap { from_seq: u32, to_seq: u32, dropped_bytes: u64, reason: GapReason },
    /// A guard-rail of the recorder tripped (limits in `config`, decisions in `storm`): what
    /// it `measured` against which `limit`, and what it records instead from here on.
    Degrade { reason: DegradeReason, measured: u64, limit: u64, action: DegradeAction },
}

/// What a guard-rail measured (`EventData::Degrade`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DegradeReason {
    /// Nodes one mutation batch would have serialized (new roots it asked for, or at least
    /// `limit` + 1 when the reader stopped serializing at the cap).
    BatchNodes,
    /// Characters of one batch's mutation listing.
    ListingChars,
    /// Change deliveries of the page's DOM observer within one second.
    BatchesPerSecond,
    /// Characters of mutation data recorded within one second.
    CharsPerSecond,
    /// Characters of the longest attribute value over the cap.
    LongAttribute,
    /// Characters of the longest text (text node, comment, form value) over the cap.
    LongText,
    /// Rules of the largest stylesheet cut at the character cap (`limit`) or after
    /// `DOM_CSS_READ_MAX_MS` of reading; the rest of its rules are not read.
    LongStylesheet,
    /// Records of the page's DOM observer in one delivery (each at least one changed node):
    /// so many that they are not even read.
    ObserverRecords,
}

/// What the recorder does instead (`EventData::Degrade`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DegradeAction {
    /// The batch is not recorded incrementally: a full snapshot (at the latest
    /// `DOM_STORM_SNAPSHOT_MIN_INTERVAL_MS` after the previous such snapshot) replaces it.
    Snapshot,
    /// Changes are recorded at most every `interval_ms` (final values, so nothing is lost but
    /// intermediate states).
    Throttle { interval_ms: u32 },
    /// The page calmed down: every change is recorded again as it happens.
    Resume,
    /// `count` values were recorded only up to `limit` characters, followed by a marker; an
    /// attribute is replaced by `insp:not-recorded;length=N` (see `config::DOM_ATTR_MAX_CHARS`
    /// and the two after it).
    Truncate { count: u32 },
}

/// Why recording was dropped before it reached the collector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GapReason {
    /// Undelivered data passed the agent's memory bound (the collector was unreachable).
    MemoryBound,
    /// The collector refused the batch with this HTTP status (4xx): it is not retried.
    Rejected { status: u16 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MouseKind {
    Click,
    DblClick,
    ContextMenu,
    Down,
    Up,
    TouchStart,
    TouchEnd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NavKind {
    Push,
    Replace,
    Pop,
    Hash,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorInfo {
    pub message: String,
    pub source: String,
    pub line: u32,
    pub column: u32,
    /// Capped (see config).
    pub stack: String,
    /// `true` for an unhandled promise rejection.
    pub rejection: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkInfo {
    pub method: String,
    pub url: String,
    /// 0 when the request failed without a response.
    pub status: u16,
    pub duration_ms: u32,
    pub request_bytes: u32,
    pub response_bytes: u32,
    /// `true` for fetch, `false` for XMLHttpRequest.
    pub fetch: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub user_agent: String,
    pub screen_width: u32,
    pub screen_height: u32,
    /// devicePixelRatio × 100.
    pub pixel_ratio_pct: u32,
    pub language: String,
    pub time_zone: String,
    pub referrer: String,
}

/// Node ids are assigned by the browser reader and stable for a page load; 0 is never a node.
pub type NodeId = u32;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FullSnapshot {
    pub tree: Tree,
    pub scroll_x: i32,
    pub scroll_y: i32,
    pub width: u32,
    pub height: u32,
}

/// A subtree in preorder, flat (no recursion, so a deep page cannot overflow a stack while
/// encoding or decoding): every node is followed by the subtrees of its `n` children.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Tree {
    pub nodes: Vec<FlatNode>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlatNode {
    pub id: NodeId,
    /// Number of children.
    pub n: u32,
    pub kind: NodeKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum NodeKind {
    /// A document: the page itself, or a same-origin iframe's (then the only child of the
    /// `iframe` element).
    Document { quirks: bool },
    Doctype { name: String, public_id: String, system_id: String },
    Element(Element),
    Text(String),
    Comment(String),
    CData(String),
    /// An open shadow root: always the first child of its host element.
    ShadowRoot,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Element {
    /// Lower case for HTML elements; case preserved for SVG and other namespaces.
    pub tag: String,
    pub ns: Ns,
    /// In the page's order.
    pub attrs: Vec<(String, String)>,
    /// Live state that attributes do not show.
    pub props: Vec<Prop>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ns {
    Html,
    Svg,
    MathMl,
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Prop {
    /// Current value of an input, textarea or select (after the privacy rules).
    Value(String),
    Checked(bool),
    /// An `option` that is selected.
    Selected(bool),
    /// The rules of a stylesheet owned by this `link` or `style` element, inlined as text
    /// (same-origin linked sheets, and sheets changed through the CSSOM).
    Css(String),
    Scroll { x: i32, y: i32 },
    /// Layout size in CSS pixels, for boxes whose content is not recorded.
    Size { w: u32, h: u32 },
    /// Content deliberately not recorded (cross-origin iframe, ignored element).
    Opaque,
    /// On an `iframe`: the URL of its current same-origin document, the base its relative
    /// URLs resolve against.
    FrameUrl(String),
    /// In a `Mutation`: the element no longer has a prop of this kind (a `link` lost its
    /// sheet, an element stopped being opaque).
    Clear(PropKind),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PropKind {
    Value,
    Checked,
    Selected,
    Css,
    Scroll,
    Size,
    Opaque,
    FrameUrl,
}

/// One observer batch, reduced to final values. Replay applies, in this order: `removes`,
/// then `adds` in sequence (each `next` sibling is already in place when its add is
/// applied), then `attrs`, `texts` and `props`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Mutation {
    /// Nodes detached together with their subtrees (a node moved elsewhere is not here).
    pub removes: Vec<NodeId>,
    pub adds: Vec<Add>,
    pub attrs: Vec<AttrChange>,
    pub texts: Vec<(NodeId, String)>,
    /// Changed live state (form values, stylesheet text, ...), replacing the prop of that kind.
    pub props: Vec<(NodeId, Prop)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Add {
    pub parent: NodeId,
    /// Insert before this sibling; `None` appends.
    pub next: Option<NodeId>,
    pub node: AddNode,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AddNode {
    /// A node already in the tree, moved here with its subtree.
    Move(NodeId),
    /// A new subtree.
    New(Tree),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttrChange {
    pub id: NodeId,
    pub name: String,
    /// `None`: the attribute was removed.
    pub value: Option<String>,
}
