//! The agent as a state machine: queue entries and clock ticks in; requests, cookies and
//! console lines out. The browser glue does the I/O, so every rule here is tested natively.

use crate::codec;
use crate::command::{self, Command};
use crate::config::{BATCH_MAX_AGE_MS, BATCH_MAX_BYTES, IDENTITY_COOKIE_MAX_AGE_S, META_DEBOUNCE_MS};
use crate::dom::diff::DomRecorder;
use crate::event::{Body, Envelope, Event, EventBatch, EventData, Meta, PageView, Tag, SCHEMA_VERSION};
use crate::session::{self, Session, SetCookie, IDENTITY_COOKIE};
use crate::tags::TagSet;
use crate::value::Value;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

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

/// One HTTP request for the glue to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Full URL, without the `enc` parameter (the glue adds `&enc=gzip` if it compresses).
    pub url: String,
    pub body: Vec<u8>,
    /// Recording batches are worth compressing; small metadata requests are not.
    pub compress: bool,
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
}

impl Agent {
    pub fn new(env: StartEnv) -> Agent {
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
        };
        agent.cookies.extend(agent.session.cookies());
        agent.page_view(env.now_ms, env.url.clone(), env.title, false);
        agent.record(env.now_ms, EventData::Start { url: env.url, referrer: env.referrer, width: env.width, height: env.height });
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
        self.debug_log(|| format!("command {:?}", cmd));
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
                let url = name.unwrap_or(href);
                self.page_view(now_ms, url.clone(), title.clone(), true);
                self.record(now_ms, EventData::Page { url, title });
            }
            Command::Debug(on) => self.debug = on,
            Command::Collector(base) => self.collector = base,
            // Consent gating arrives with the privacy work; the command is accepted now.
            Command::Consent(_) => {}
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

    /// Called by the glue's timer and on page hide (`force`): returns what is due to be sent.
    pub fn tick(&mut self, now_ms: u64, force: bool) -> Vec<Request> {
        let mut out = Vec::new();
        // Nothing leaves the browser before the site is known.
        let Some(wid) = self.wid else { return out };
        let meta_due = self.meta_due_ms.is_some_and(|due| force || now_ms >= due);
        if meta_due {
            self.meta_due_ms = None;
            let meta = Meta {
                mseq: self.mseq,
                t_ms: now_ms,
                session_start_ms: self.session.start_ms,
                identity: if self.identity_dirty { self.identity.clone() } else { None },
                tags: core::mem::take(&mut self.pending_tags),
                pages: core::mem::take(&mut self.pending_pages),
            };
            self.mseq += 1;
            self.identity_dirty = false;
            out.push(self.request(wid, Body::Meta(meta), false));
        }
        let batch_due = !self.events.is_empty()
            && (force || self.events_bytes >= BATCH_MAX_BYTES || now_ms.saturating_sub(self.batch_t0_ms) >= BATCH_MAX_AGE_MS);
        if batch_due {
            let batch = EventBatch {
                seq: self.seq,
                t0_ms: self.batch_t0_ms,
                t1_ms: now_ms.max(self.batch_t0_ms),
                events: core::mem::take(&mut self.events),
            };
            self.seq += 1;
            self.events_bytes = 0;
            self.batch_t0_ms = now_ms;
            out.push(self.request(wid, Body::Events(batch), true));
        }
        out
    }

    /// Cookies to write since the last call.
    pub fn take_cookies(&mut self) -> Vec<SetCookie> {
        core::mem::take(&mut self.cookies)
    }

    /// Console lines since the last call (debug lines only when `debug` is on).
    pub fn take_log(&mut self) -> Vec<(Level, String)> {
        core::mem::take(&mut self.log)
    }

    fn request(&self, wid: u64, body: Body, compress: bool) -> Request {
        let env = Envelope {
            v: SCHEMA_VERSION,
            wid,
            vid: self.session.vid.clone(),
            sid: self.session.sid.clone(),
            pid: self.pid,
            body,
        };
        Request { url: format!("{}/i/v1?wid={}", self.collector, wid), body: codec::encode(&env), compress }
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
        self.pending_pages.push(PageView { idx: self.page_idx, t_ms: now_ms, url, title, virtual_ });
        self.page_idx += 1;
        self.schedule_meta(now_ms);
    }

    fn schedule_meta(&mut self, now_ms: u64) {
        if self.meta_due_ms.is_none() {
            self.meta_due_ms = Some(now_ms + META_DEBOUNCE_MS);
        }
    }

    fn record(&mut self, now_ms: u64, data: EventData) {
        if self.events.is_empty() {
            self.batch_t0_ms = now_ms;
        }
        let dt_ms = now_ms.saturating_sub(self.batch_t0_ms).min(u32::MAX as u64) as u32;
        let ev = Event { dt_ms, data };
        self.events_bytes += postcard::experimental::serialized_size(&ev).unwrap_or(0);
        self.events.push(ev);
    }
}
