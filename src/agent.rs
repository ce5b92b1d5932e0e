//! The agent as a state machine: queue entries and clock ticks in; requests, cookies and
//! console lines out. The browser glue does the I/O, so every rule here is tested natively.

use crate::codec;
use crate::command::{self, Command};
use crate::config::{
    BATCH_MAX_AGE_MS, BATCH_MAX_BYTES, GAP_SNAPSHOT_MIN_INTERVAL_MS, IDENTITY_COOKIE_MAX_AGE_S, META_DEBOUNCE_MS,
};
use crate::dom::diff::DomRecorder;
use crate::event::{Body, Envelope, Event, EventBatch, EventData, GapReason, Meta, PageView, Tag, SCHEMA_VERSION};
use crate::session::{self, Session, SetCookie, IDENTITY_COOKIE};
use crate::tags::TagSet;
use crate::transport::{Dropped, Entry, GapMark, Outbox, Policy, Stats, Verdict};
pub use crate::transport::{Outcome, Request};
use crate::value::Value;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

mod gate;
mod visit;

pub use gate::PrivacyStart;

/// What the page looked like when the agent started.
#[derive(Debug, Clone, Default)]
pub struct StartEnv {
    pub now_ms: u64,
    /// Fresh randomness for ids.
    pub rand: [u64; 3],
    /// Collector base URL (scheme://host[:port]), from the loader's own script URL.
    pub collector: String,
    /// `wid` from the loader's URL, used when the queue carries none.
    pub default_wid: Option<u64>,
    pub url: String,
    pub title: String,
    pub referrer: String,
    pub width: u32,
    pub height: u32,
    /// `document.cookie` as read at start.
    pub cookies: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Debug,
    Warn,
}

pub struct Agent {
    collector: String,
    wid: Option<u64>,
    session: Session,
    pid: u32,
    rand_state: u64,
    identity: Option<String>,
    identity_dirty: bool,
    tags: TagSet,
    pending_tags: Vec<Tag>,
    pending_pages: Vec<PageView>,
    page_idx: u32,
    meta_due_ms: Option<u64>,
    mseq: u32,
    /// The latest meta delta sealed (outbox id, session, delta): while it waits undelivered,
    /// the next one absorbs it, so a long outage keeps one pending delta, not one per call.
    unsent_meta: Option<(u64, String, Meta)>,
    seq: u32,
    events: Vec<Event>,
    events_bytes: usize,
    batch_t0_ms: u64,
    ga_capture: bool,
    debug: bool,
    /// URL and title of the latest page view, to restart a session on the same page.
    last_page: (String, String),
    /// Current `location.href` and `document.title`, as last told by the glue.
    location: (String, String),
    cookies: Vec<SetCookie>,
    log: Vec<(Level, String)>,
    /// The DOM recording's core; the browser glue feeds it and records its events.
    dom: DomRecorder,
    /// A new session started: its recording needs a full snapshot of its own.
    snapshot_request: bool,
    /// Visit recording (interactions, navigation; see `agent/visit.rs`).
    visit: visit::VisitState,
    /// Site settings, consent and opt-out: whether anything may be recorded or sent
    /// (see `agent/gate.rs`).
    gate: gate::Gate,
    /// Sealed requests until the collector confirms them (see `crate::transport`).
    outbox: Outbox,
    /// Recording was dropped and no full snapshot follows it yet: one is asked for (at most
    /// every `GAP_SNAPSHOT_MIN_INTERVAL_MS` while the collector stays unreachable).
    gap_snapshot_owed: bool,
    gap_snapshot_ms: Option<u64>,
    /// The collector refused a request: warned once, later ones are debug lines.
    rejected_warned: bool,
}

impl Agent {
    /// An agent that records at once with the default site settings (see [`Agent::with_privacy`]).
    pub fn new(env: StartEnv) -> Agent {
        Agent::with_privacy(env, PrivacyStart::default())
    }

    /// An agent that, with `await_settings`, records nothing, writes no cookie and sends
    /// nothing until the site settings are known (see `agent/gate.rs`).
    pub fn with_privacy(env: StartEnv, privacy: PrivacyStart) -> Agent {
        let optout_cookie = session::cookie_value(&env.cookies, crate::privacy::OPTOUT_COOKIE).is_some();
        let vid = session::cookie_value(&env.cookies, session::VISITOR_COOKIE);
        let ses = session::cookie_value(&env.cookies, session::SESSION_COOKIE);
        let session = Session::resume(vid, ses, env.now_ms, [env.rand[0], env.rand[1]]);
        let identity = session::cookie_value(&env.cookies, IDENTITY_COOKIE)
            .and_then(session::uri_decode)
            .filter(|s| !s.is_empty());
        let mut agent = Agent {
            collector: env.collector,
            wid: env.default_wid,
            session,
            pid: env.rand[2] as u32,
            rand_state: env.rand[2] ^ 0x9E37_79B9_7F4A_7C15,
            identity_dirty: identity.is_some(),
            identity,
            tags: TagSet::default(),
            pending_tags: Vec::new(),
            pending_pages: Vec::new(),
            page_idx: 0,
            meta_due_ms: None,
            mseq: 0,
            unsent_meta: None,
            seq: 0,
            events: Vec::new(),
            events_bytes: 0,
            batch_t0_ms: env.now_ms,
            ga_capture: true,
            debug: false,
            last_page: (String::new(), String::new()),
            location: (env.url.clone(), env.title.clone()),
            cookies: Vec::new(),
            log: Vec::new(),
            dom: DomRecorder::new(),
            snapshot_request: false,
            visit: Default::default(),
            gate: gate::Gate::new(privacy, optout_cookie, env.referrer, env.width, env.height),
            outbox: Outbox::default(),
            gap_snapshot_owed: false,
            gap_snapshot_ms: None,
            rejected_warned: false,
        };
        // Cookies, the first page view and `Start` wait for the privacy gate.
        agent.open_if_allowed(env.now_ms);
        agent
    }

    pub fn wid(&self) -> Option<u64> {
        self.wid
    }
    pub fn session(&self) -> &Session {
        &self.session
    }
    pub fn identity(&self) -> Option<&str> {
        self.identity.as_deref()
    }
    pub fn tags(&self) -> &TagSet {
        &self.tags
    }
    pub fn debug(&self) -> bool {
        self.debug
    }
    pub fn ga_capture(&self) -> bool {
        self.ga_capture
    }
    pub fn collector(&self) -> &str {
        &self.collector
    }

    /// The page's current URL and title, refreshed by the glue before each command.
    pub fn set_location(&mut self, href: String, title: String) {
        self.location = (href, title);
    }
    pub fn dom(&self) -> &DomRecorder {
        &self.dom
    }
    pub fn dom_mut(&mut self) -> &mut DomRecorder {
        &mut self.dom
    }

    /// Records an event of the DOM recording (snapshot, mutation, adopted sheets).
    pub fn record_dom(&mut self, now_ms: u64, data: EventData) {
        self.record(now_ms, data);
    }

    /// True once after a session rollover: the glue then takes a new full snapshot.
    pub fn take_snapshot_request(&mut self) -> bool {
        core::mem::take(&mut self.snapshot_request)
    }

    /// Handles one entry pushed on `window.__insp`. Never fails: bad entries become warnings.
    pub fn push(&mut self, entry: &Value, now_ms: u64) {
        let parsed = command::parse(entry);
        for w in parsed.warnings {
            self.log.push((Level::Warn, w));
        }
        let Some(cmd) = parsed.command else { return };
        self.debug_log(|| format!("command {}", cmd.describe()));
        match cmd {
            Command::Wid(w) => {
                if self.wid.is_some_and(|old| old != w) {
                    self.log.push((Level::Warn, format!("wid: site id changed from {} to {}", self.wid.unwrap_or(0), w)));
                }
                self.wid = Some(w);
            }
            Command::Identify(id) => {
                self.activity(now_ms);
                if self.identity.as_deref() != Some(id.as_str()) {
                    self.cookies.push(SetCookie {
                        name: IDENTITY_COOKIE,
                        value: session::uri_encode(&id),
                        max_age_s: IDENTITY_COOKIE_MAX_AGE_S,
                    });
                    self.identity = Some(id);
                    self.identity_dirty = true;
                    self.schedule_meta(now_ms);
                }
            }
            Command::TagSession(tags) => {
                self.activity(now_ms);
                let applied = self.tags.apply(&tags);
                for w in applied.warnings {
                    self.log.push((Level::Warn, w));
                }
                if !applied.changed.is_empty() {
                    self.pending_tags.retain(|t| !applied.changed.iter().any(|c| c.key == t.key));
                    self.pending_tags.extend(applied.changed);
                    self.schedule_meta(now_ms);
                }
            }
            Command::DisableGaCapture => self.ga_capture = false,
            Command::VirtualPage(name) => {
                self.activity(now_ms);
                // Without a name the view is the page's current URL (SPAs call it after
                // pushState); a name stands for the URL of a view the address bar does not show.
                let (href, title) = self.location.clone();
                let absorbable = name.is_none();
                let url = name.unwrap_or(href);
                // The page view of a History navigation to this URL already counted it.
                if absorbable && self.absorbs_virtual_page(&url, &title) {
                    return;
                }
                self.page_view(now_ms, url.clone(), title.clone(), true);
                self.record(now_ms, EventData::Page { url, title });
            }
            Command::Debug(on) => self.debug = on,
            Command::Collector(base) => self.collector = base,
            Command::Consent(granted) => self.set_consent(granted, now_ms),
        }
    }

    /// One `dataLayer` entry (already in the array at start, or pushed later). `arguments`
    /// objects from gtag arrive as array-likes (`Value::Object` with keys "0", "1", ...).
    pub fn data_layer(&mut self, entry: &Value, now_ms: u64) {
        if !self.ga_capture {
            return;
        }
        let tags = match entry {
            Value::Object(pairs) if pairs.first().is_some_and(|(k, _)| k == "0") => crate::ga::map_arguments(pairs),
            other => crate::ga::map_entry(other),
        };
        if tags.is_empty() {
            return;
        }
        let applied = self.tags.apply(&tags);
        if !applied.changed.is_empty() {
            self.pending_tags.retain(|t| !applied.changed.iter().any(|c| c.key == t.key));
            self.pending_tags.extend(applied.changed);
            self.schedule_meta(now_ms);
        }
    }

    /// Called by the glue's timer and on page hide (`force`): seals what is due into the
    /// outbox and returns the requests to send now. On page hide the whole tail is sealed (in
    /// batches that each fit the keepalive budget) and everything that fits in that budget is
    /// returned, uncompressed, to be sent with `keepalive`; the rest is for storage
    /// ([`Agent::take_persist`]).
    pub fn tick(&mut self, now_ms: u64, force: bool) -> Vec<Request> {
        // Nothing leaves the browser before the site settings are known, without consent,
        // or after an opt-out (see `agent/gate.rs`).
        if !self.gate_tick(now_ms) {
            return Vec::new();
        }
        // Nothing of this page load leaves the browser before the site is known.
        if let Some(wid) = self.wid {
            self.seal(wid, now_ms, force);
        }
        let drops = self.outbox.enforce_bound();
        self.note_drops(now_ms, drops, GapReason::MemoryBound);
        self.ask_gap_snapshot(now_ms);
        if force {
            // The gap marker just recorded goes with the tail.
            if let Some(wid) = self.wid {
                self.seal(wid, now_ms, true);
            }
            self.outbox.hide(now_ms)
        } else {
            let r = self.next_rand();
            self.outbox.poll(now_ms, r)
        }
    }

    fn seal(&mut self, wid: u64, now_ms: u64, force: bool) {
        let meta_due = self.meta_due_ms.is_some_and(|due| force || now_ms >= due);
        if meta_due {
            self.meta_due_ms = None;
            let mut meta = Meta {
                mseq: self.mseq,
                t_ms: now_ms,
                session_start_ms: self.session.start_ms,
                identity: if self.identity_dirty { self.identity.clone() } else { None },
                tags: self.take_allowed_tags(),
                pages: core::mem::take(&mut self.pending_pages),
            };
            self.mseq += 1;
            self.identity_dirty = false;
            if let Some((id, sid, older)) = self.unsent_meta.take() {
                // Still waiting (not in flight): merged into this one, which supersedes it
                // (its version is newer; later tags and identity win).
                if sid == self.session.sid && self.outbox.withdraw(id) {
                    meta = merge_meta(older, meta);
                }
            }
            let id = self.enqueue(wid, Body::Meta(meta.clone()), false);
            self.unsent_meta = Some((id, self.session.sid.clone(), meta));
        }
        let batch_due = !self.events.is_empty()
            && (force || self.events_bytes >= BATCH_MAX_BYTES || now_ms.saturating_sub(self.batch_t0_ms) >= BATCH_MAX_AGE_MS);
        if !batch_due {
            return;
        }
        let events = core::mem::take(&mut self.events);
        let t0 = self.batch_t0_ms;
        self.events_bytes = 0;
        self.batch_t0_ms = now_ms;
        // On page hide the tail goes uncompressed with keepalive: split it so that each batch
        // fits in the keepalive budget (an event larger than that gets a batch of its own,
        // which only storage can carry).
        let chunks = if force { split_events(events, self.chunk_max_bytes()) } else { alloc::vec![events] };
        // Batch i covers [its first event, the next batch's first event); the last ends now.
        let starts: Vec<u64> = chunks
            .iter()
            .enumerate()
            .map(|(i, c)| if i == 0 { t0 } else { t0 + c.first().map_or(0, |e| e.dt_ms as u64) })
            .collect();
        for (i, mut events) in chunks.into_iter().enumerate() {
            let start = starts[i];
            let end = starts.get(i + 1).copied().unwrap_or(now_ms).max(start);
            let rebase = (start - t0) as u32;
            for e in &mut events {
                e.dt_ms = e.dt_ms.saturating_sub(rebase);
            }
            let batch = EventBatch { seq: self.seq, t0_ms: start, t1_ms: end, events };
            self.seq += 1;
            self.enqueue(wid, Body::Events(batch), true);
        }
    }

    /// Largest sum of encoded event sizes in one batch sent at page hide.
    fn chunk_max_bytes(&self) -> usize {
        let empty = Envelope {
            v: SCHEMA_VERSION,
            wid: self.wid.unwrap_or(0),
            vid: self.session.vid.clone(),
            sid: self.session.sid.clone(),
            pid: self.pid,
            body: Body::Events(EventBatch { seq: u32::MAX, t0_ms: u64::MAX, t1_ms: u64::MAX, events: Vec::new() }),
        };
        // + the event count's varint.
        self.outbox.policy().keepalive_budget_bytes.saturating_sub(codec::encode(&empty).len() + 8).max(1)
    }

    /// The outcome of a request the glue sent (`id` and `attempt` from the [`Request`]).
    pub fn delivered(&mut self, id: u64, attempt: u32, outcome: Outcome, now_ms: u64) {
        let r = self.next_rand();
        match self.outbox.result(id, attempt, outcome, now_ms, r) {
            Verdict::Rejected { status, dropped } => {
                let what = if dropped.meta { "metadata" } else { "a recording batch" };
                let line = format!("the collector refused {what} (HTTP {status}); it is dropped, not retried");
                if self.rejected_warned {
                    self.debug_log(|| line);
                } else {
                    self.rejected_warned = true;
                    self.log.push((Level::Warn, line));
                }
                if !dropped.meta {
                    self.note_drops(now_ms, alloc::vec![dropped], GapReason::Rejected { status });
                    self.ask_gap_snapshot(now_ms);
                }
            }
            Verdict::Retry { at_ms } => {
                self.debug_log(|| {
                    let why = match outcome {
                        Outcome::Status { status, .. } => format!("HTTP {status}"),
                        Outcome::Failed => String::from("no answer"),
                        Outcome::Beacon { .. } => String::from("beacon"),
                    };
                    format!("request {id} failed ({why}); retry at {at_ms}")
                });
            }
            _ => {}
        }
    }

    /// Before posting a body of `bytes` (after compression): whether to send it with
    /// `keepalive` (it fits in the keepalive budget, which is then counted).
    pub fn reserve_keepalive(&mut self, id: u64, attempt: u32, bytes: usize, now_ms: u64) -> bool {
        self.outbox.reserve_keepalive(id, attempt, bytes, now_ms)
    }

    /// Whether to write the outbox to storage now (always on page hide when there is
    /// something to write or clear; otherwise while the collector is unreachable, throttled).
    pub fn take_persist(&mut self, now_ms: u64, hide: bool) -> bool {
        self.outbox.persist_due(now_ms, hide)
    }

    /// The storage blob (see [`Outbox::persist`]); `existing` is what storage holds now.
    /// `None`: remove the key.
    pub fn persist_blob(&mut self, existing: Option<&[u8]>, max_bytes: usize) -> Option<Vec<u8>> {
        self.outbox.persist(existing, max_bytes)
    }

    /// At start: requests an earlier page load of this tab stored; they are sent first.
    pub fn restore_outbox(&mut self, blob: &[u8]) -> usize {
        let n = self.outbox.restore(blob);
        if n > 0 {
            self.debug_log(|| format!("restored {n} undelivered requests"));
        }
        n
    }

    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    pub fn outbox_stats(&self) -> Stats {
        self.outbox.stats()
    }

    /// Events recorded but not sealed into a batch yet (they leave with the next batch, at
    /// the latest `BATCH_MAX_AGE_MS` after the first of them). Gap markers are recorded here
    /// too: the outbox may be empty while the marker explaining a hole is still among them.
    pub fn unsealed_events(&self) -> usize {
        self.events.len()
    }

    /// Delivery tunables (tests shrink them).
    pub fn set_delivery_policy(&mut self, policy: Policy) {
        self.outbox.set_policy(policy);
    }

    /// Records a `Gap` for the batches of this page load (and session) that were dropped (with
    /// the gaps those batches described, merged where contiguous), and owes a full snapshot
    /// unless one is already on its way after them.
    fn note_drops(&mut self, now_ms: u64, drops: Vec<Dropped>, reason: GapReason) {
        for d in drops {
            self.debug_log(|| format!("dropped batches {}..={} of page load {} ({} B)", d.from_seq, d.to_seq, d.pid, d.bytes));
            if d.meta || d.pid != self.pid || d.sid != self.session.sid {
                continue;
            }
            let mut marks = d.carried.clone();
            marks.push(GapMark { from_seq: d.from_seq, to_seq: d.to_seq, bytes: d.bytes, reason });
            crate::sort::sort_by_key(&mut marks, |m| m.from_seq);
            let mut merged: Vec<GapMark> = Vec::new();
            for m in marks {
                match merged.last_mut() {
                    Some(l) if l.reason == m.reason && l.to_seq.checked_add(1) == Some(m.from_seq) => {
                        l.to_seq = m.to_seq;
                        l.bytes += m.bytes;
                    }
                    _ => merged.push(m),
                }
            }
            for m in merged {
                self.record(
                    now_ms,
                    EventData::Gap { from_seq: m.from_seq, to_seq: m.to_seq, dropped_bytes: m.bytes, reason: m.reason },
                );
            }
            let snapshot_follows = self.outbox.has_snapshot_after(&d.sid, d.pid, d.to_seq)
                || self.events.iter().any(|e| matches!(e.data, EventData::FullSnapshot(_)));
            if !snapshot_follows {
                self.gap_snapshot_owed = true;
            }
        }
    }

    /// Turns an owed snapshot into a snapshot request: at once the first time and when the
    /// collector answers, otherwise at most every `GAP_SNAPSHOT_MIN_INTERVAL_MS` (a snapshot
    /// that is itself dropped again would otherwise be retaken in a loop).
    fn ask_gap_snapshot(&mut self, now_ms: u64) {
        if !self.gap_snapshot_owed {
            return;
        }
        let due = self.outbox.healthy()
            || self.gap_snapshot_ms.is_none_or(|t| now_ms >= t.saturating_add(GAP_SNAPSHOT_MIN_INTERVAL_MS));
        if due {
            self.gap_snapshot_owed = false;
            self.gap_snapshot_ms = Some(now_ms);
            self.snapshot_request = true;
        }
    }

    /// Cookies to write since the last call.
    pub fn take_cookies(&mut self) -> Vec<SetCookie> {
        // None are written before the privacy gate opens (they wait), or after an opt-out.
        if !self.cookies_allowed() {
            return Vec::new();
        }
        core::mem::take(&mut self.cookies)
    }

    /// Console lines since the last call (debug lines only when `debug` is on).
    pub fn take_log(&mut self) -> Vec<(Level, String)> {
        core::mem::take(&mut self.log)
    }

    fn enqueue(&mut self, wid: u64, body: Body, compress: bool) -> u64 {
        let (meta, seq, snapshot, gaps) = match &body {
            Body::Meta(m) => (true, m.mseq, false, Vec::new()),
            Body::Events(b) => (
                false,
                b.seq,
                b.events.iter().any(|e| matches!(e.data, EventData::FullSnapshot(_))),
                b.events
                    .iter()
                    .filter_map(|e| match e.data {
                        EventData::Gap { from_seq, to_seq, dropped_bytes, reason } => {
                            Some(GapMark { from_seq, to_seq, bytes: dropped_bytes, reason })
                        }
                        _ => None,
                    })
                    .collect(),
            ),
        };
        let env = Envelope {
            v: SCHEMA_VERSION,
            wid,
            vid: self.session.vid.clone(),
            sid: self.session.sid.clone(),
            pid: self.pid,
            body,
        };
        self.outbox.push(Entry {
            meta,
            sid: self.session.sid.clone(),
            pid: self.pid,
            seq,
            url: format!("{}/i/v1?wid={}", self.collector, wid),
            body: codec::encode(&env),
            compress,
            snapshot,
            gaps,
        })
    }

    fn debug_log(&mut self, line: impl FnOnce() -> String) {
        if self.debug {
            self.log.push((Level::Debug, line()));
        }
    }

    fn next_rand(&mut self) -> u64 {
        // xorshift64*: ids after a session rollover only need to differ, not be secret.
        let mut x = self.rand_state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rand_state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// User activity keeps the session alive; after 30 idle minutes it starts a new one.
    fn activity(&mut self, now_ms: u64) {
        let r = self.next_rand();
        if self.session.touch(now_ms, r) {
            // A new session starts from this page: it carries identity, tags and the page again.
            self.debug_log(|| String::from("session expired; new session"));
            self.identity_dirty = self.identity.is_some();
            self.pending_tags = self.tags.iter().cloned().collect();
            self.pending_pages.clear();
            let (url, title) = self.last_page.clone();
            self.page_idx = 0;
            self.seq = 0;
            self.snapshot_request = true;
            self.page_view(now_ms, url, title, false);
        }
        self.cookies.extend(self.session.cookies());
    }

    fn page_view(&mut self, now_ms: u64, url: String, title: String, virtual_: bool) {
        self.last_page = (url.clone(), title.clone());
        // What is sent carries no deny-listed URL parameter (src/privacy.rs).
        let url = self.redact_url(url);
        self.pending_pages.push(PageView { idx: self.page_idx, t_ms: now_ms, url, title, virtual_ });
        self.page_idx += 1;
        self.schedule_meta(now_ms);
    }

    fn schedule_meta(&mut self, now_ms: u64) {
        if self.meta_due_ms.is_none() {
            self.meta_due_ms = Some(now_ms + META_DEBOUNCE_MS);
        }
    }

    fn record(&mut self, now_ms: u64, mut data: EventData) {
        // Nothing is recorded while the privacy gate is closed; URLs lose deny-listed values.
        if !self.gate.open() {
            return;
        }
        self.redact_event(&mut data);
        if self.events.is_empty() {
            self.batch_t0_ms = now_ms;
        }
        let dt_ms = now_ms.saturating_sub(self.batch_t0_ms).min(u32::MAX as u64) as u32;
        let ev = Event { dt_ms, data };
        self.events_bytes += codec::encoded_len(&ev);
        self.events.push(ev);
    }
}

/// `newer` with what `older` set that it does not set again.
fn merge_meta(older: Meta, mut newer: Meta) -> Meta {
    if newer.identity.is_none() {
        newer.identity = older.identity;
    }
    let mut tags: Vec<Tag> = older.tags.into_iter().filter(|t| !newer.tags.iter().any(|n| n.key == t.key)).collect();
    tags.append(&mut newer.tags);
    newer.tags = tags;
    let mut pages = older.pages;
    pages.append(&mut newer.pages);
    newer.pages = pages;
    newer
}

/// Splits events, in order, into runs whose encoded sizes sum to at most `max_bytes` (an event
/// larger than that alone in its run). Never returns an empty run.
fn split_events(events: Vec<Event>, max_bytes: usize) -> Vec<Vec<Event>> {
    let mut out: Vec<Vec<Event>> = Vec::new();
    let mut cur: Vec<Event> = Vec::new();
    let mut size = 0usize;
    for e in events {
        let n = codec::encoded_len(&e);
        if !cur.is_empty() && size + n > max_bytes {
            out.push(core::mem::take(&mut cur));
            size = 0;
        }
        size += n;
        cur.push(e);
    }
    if !cur.is_empty() || out.is_empty() {
        out.push(cur);
    }
    out
}
