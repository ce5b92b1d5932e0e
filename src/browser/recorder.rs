//! DOM recording in the page: drives the JavaScript reader (`js/reader.mjs`) and feeds what it
//! reads to the core's [`DomRecorder`], whose events the agent records.
//!
//! * Start: the reader observes the document (mutations, CSSOM, form values) before the walk
//!   begins, then a full snapshot is taken in slices of about `slice_budget_ms`, one macrotask
//!   each, so the page runs in between. Changes seen meanwhile are listed after the walk.
//! * Mutations: the reader calls `onChange` at most once until its listing is taken; that
//!   schedules one macrotask, which takes the listing, asks the core which nodes it needs,
//!   has the reader serialize those and records the resulting `Mutation`. Everything the page
//!   did in between lands in one batch, with three calls into JavaScript.
//! * Checkout: a new full snapshot every `checkout_interval_ms`, and after a session rollover.
//! * Storms (`crate::storm` decides): the reader is given the caps (listing characters, nodes
//!   per batch, value lengths); a batch over one is dropped and a sliced full snapshot replaces
//!   it, at most every `DOM_STORM_SNAPSHOT_MIN_INTERVAL_MS` (nothing is recorded until then);
//!   flushes are held back while the page changes too often or too much. Every trip is
//!   recorded as a `Degrade` event.
//! * Failures (a walk, listing or serialization the reader gave up on, a stream the core
//!   rejected) are repaired by a new snapshot; after `DOM_MAX_FAILURES` failures without a
//!   good batch in between, recording stops.
//!
//! Dropping the [`DomDriver`] disconnects the observer and undoes the reader's patches.

use super::dom;
pub use super::handles::Guard;
use super::task::Task;
use crate::agent::Agent;
use crate::config::{DOM_CHECKOUT_INTERVAL_MS, DOM_MAX_FAILURES, DOM_SNAPSHOT_SLICE_MS};
use crate::dom::SEP;
use crate::event::{DegradeReason, EventData, NodeId};
use crate::storm::{Capped, StormGuard, StormLimits};
use alloc::rc::{Rc, Weak};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use js_sys::{Function, JsString, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// The object `createReader(window)` returns (js/reader.mjs). Its methods never throw.
    pub type Reader;

    /// Starts observing; `on_change` is called at most once until the next `take_listing`.
    #[wasm_bindgen(method)]
    pub fn start(this: &Reader, on_change: &Function) -> bool;
    /// Begins a full snapshot; false when the reader is not started.
    #[wasm_bindgen(method, js_name = snapshotStart)]
    pub fn snapshot_start(this: &Reader) -> bool;
    /// The next chunk of the snapshot stream; `None` when the walk failed.
    #[wasm_bindgen(method, js_name = snapshotSlice)]
    pub fn snapshot_slice(this: &Reader, budget_ms: f64) -> Option<String>;
    /// `snapshot_slice` as a `JsString` (the recorder's path: see [`utf8`]).
    #[wasm_bindgen(method, js_name = snapshotSlice)]
    fn snapshot_slice_js(this: &Reader, budget_ms: f64) -> Option<JsString>;
    /// True until the last chunk has been returned.
    #[wasm_bindgen(method)]
    pub fn walking(this: &Reader) -> bool;
    /// The mutation listing for everything changed since the last one ("" when nothing);
    /// `None` when it failed (the mirror must be rebuilt by a snapshot).
    #[wasm_bindgen(method, js_name = takeListing)]
    pub fn take_listing(this: &Reader) -> Option<String>;
    /// Node stream for ids placed by the last listing; `None` when it failed.
    #[wasm_bindgen(method)]
    pub fn serialize(this: &Reader, ids: &[u32]) -> Option<String>;
    /// Adopted stylesheets of changed roots, `(id count css{count})*`; `None` when none changed.
    #[wasm_bindgen(method, js_name = takeAdopted)]
    pub fn take_adopted(this: &Reader) -> Option<String>;
    /// Stops observing and restores everything the reader patched.
    #[wasm_bindgen(method)]
    pub fn disconnect(this: &Reader);
    /// `take_listing` abandoned past `max_chars` (then `over()` is how far it got).
    #[wasm_bindgen(method, js_name = takeListing)]
    pub fn take_listing_capped(this: &Reader, max_chars: u32) -> Option<String>;
    /// `serialize` abandoned past `max_nodes` (then `over()` is the nodes walked).
    #[wasm_bindgen(method, js_name = serialize)]
    pub fn serialize_capped(this: &Reader, ids: &[u32], max_nodes: u32) -> Option<JsString>;
    // The guard-rail methods below are optional (a reader without them runs uncapped).
    /// Value caps (attribute, text and stylesheet characters), records per delivery, and the
    /// time one stylesheet may be read.
    #[wasm_bindgen(method, catch, js_name = setLimits)]
    pub fn set_limits(this: &Reader, attr: u32, text: u32, css: u32, records: u32, css_ms: u32) -> Result<(), JsValue>;
    /// Why the last call was refused by a cap: "l CHARS", "r RECORDS", "n NODES"; "" if not.
    #[wasm_bindgen(method, catch, js_name = over)]
    fn over_raw(this: &Reader) -> Result<JsValue, JsValue>;
    /// Observer deliveries so far.
    #[wasm_bindgen(method, catch)]
    pub fn deliveries(this: &Reader) -> Result<f64, JsValue>;
    /// ms since the last change the reader saw.
    #[wasm_bindgen(method, catch, js_name = quietMs)]
    pub fn quiet_ms(this: &Reader) -> Result<f64, JsValue>;
    /// Values truncated since the last call: "attrs longest texts longest sheets rules".
    #[wasm_bindgen(method, catch, js_name = takeCapped)]
    pub fn take_capped(this: &Reader) -> Result<Option<String>, JsValue>;
}

#[wasm_bindgen]
extern "C" {
    /// The page's `TextEncoder` (wasm-bindgen's glue needs it too).
    type Utf8Encoder;
    #[wasm_bindgen(catch, constructor, js_class = "TextEncoder")]
    fn new() -> Result<Utf8Encoder, JsValue>;
    #[wasm_bindgen(method, js_class = "TextEncoder", js_name = encode)]
    fn encode(this: &Utf8Encoder, s: &JsString) -> Uint8Array;
}

std::thread_local! {
    static UTF8: Option<Utf8Encoder> = Utf8Encoder::new().ok();
}

/// Below this many UTF-16 units the glue's own copy is as fast (one call instead of three).
const UTF8_NATIVE_MIN_UNITS: u32 = 4096;

/// A reader string in wasm memory. wasm-bindgen's `String` return copies ASCII one character
/// at a time in JavaScript: about 30 ms of a 10k-element snapshot's ~140 ms (CPU profile,
/// bench/profile.mjs). The native `TextEncoder` plus one bulk copy does the same in a few ms;
/// both turn lone surrogates into U+FFFD.
fn utf8(s: JsString) -> String {
    if s.length() >= UTF8_NATIVE_MIN_UNITS {
        if let Some(bytes) = UTF8.with(|e| e.as_ref().map(|e| e.encode(&s).to_vec())) {
            if let Ok(out) = String::from_utf8(bytes) {
                return out;
            }
        }
    }
    String::from(s)
}

impl Reader {
    /// The cap the last `take_listing_capped` or `serialize_capped` was refused by, if any.
    pub fn over(&self) -> Option<(DegradeReason, u64)> {
        let s = self.over_raw().ok()?.as_string()?;
        let (kind, n) = s.split_once(' ')?;
        let n = n.parse().ok()?;
        let reason = match kind {
            "l" => DegradeReason::ListingChars,
            "r" => DegradeReason::ObserverRecords,
            "n" => DegradeReason::BatchNodes,
            _ => return None,
        };
        Some((reason, n))
    }

    /// `config.reader`, when it looks like a reader.
    pub fn from_config(config: &JsValue) -> Option<Reader> {
        let reader = Reflect::get(config, &JsValue::from_str("reader")).ok()?;
        let f = Reflect::get(&reader, &JsValue::from_str("snapshotSlice")).ok()?;
        f.is_function().then(|| reader.unchecked_into())
    }
}

/// Tunables of one driver (defaults from `crate::config`; tests shrink them).
#[derive(Debug, Clone, Copy)]
pub struct DomOptions {
    pub slice_budget_ms: f64,
    pub checkout_interval_ms: u64,
    pub storm: StormLimits,
}

impl Default for DomOptions {
    fn default() -> Self {
        DomOptions {
            slice_budget_ms: DOM_SNAPSHOT_SLICE_MS as f64,
            checkout_interval_ms: DOM_CHECKOUT_INTERVAL_MS,
            storm: StormLimits::default(),
        }
    }
}

/// Running DOM recording; see the module doc.
pub struct DomDriver {
    inner: Rc<Inner>,
}

struct Inner {
    reader: Reader,
    agent: Rc<RefCell<Agent>>,
    opts: DomOptions,
    /// `None` only while failing to start.
    task: Option<Task>,
    /// A snapshot walk is in progress.
    walking: Cell<bool>,
    /// The reader reported changes not listed yet.
    pending: Cell<bool>,
    /// Start of the latest snapshot (ms since epoch), for checkouts.
    last_snapshot_ms: Cell<u64>,
    /// The mirror no longer matches the page: take a snapshot at the next occasion.
    resync: Cell<bool>,
    failures: Cell<u32>,
    stopped: Cell<bool>,
    /// Durations of the latest snapshot's macrotasks (ms; the last four end the snapshot and
    /// record it, see `end_step`), for tests and diagnostics.
    slice_ms: RefCell<Vec<f64>>,
    /// Durations of the mutation batches' macrotasks (ms), the latest `FLUSH_MS_KEPT`.
    flush_ms: RefCell<Vec<f64>>,
    storm: RefCell<StormGuard>,
    /// The reader's delivery count at the last look.
    deliveries: Cell<f64>,
    /// A pending `setTimeout` (a throttled flush or an awaited snapshot): it posts the task.
    timer: Cell<Option<i32>>,
    timer_at: Cell<u64>,
    /// Step of a snapshot's end in progress (see `end_step`), 0 when none.
    ending: Cell<u8>,
    /// The mirror a snapshot replaced, dropped in a task of its own.
    retired: RefCell<Option<crate::dom::mirror::Mirror>>,
    on_timer: Option<Function>,
    _on_change: Closure<dyn FnMut()>,
    _on_timer: Closure<dyn FnMut()>,
}

/// Flush durations kept for diagnostics.
const FLUSH_MS_KEPT: usize = 64;

impl DomDriver {
    /// Starts observing and the first snapshot. `None` when the reader cannot run here.
    pub fn start(guard: &Guard, agent: Rc<RefCell<Agent>>, reader: Reader, opts: DomOptions) -> Option<DomDriver> {
        let inner = Rc::new_cyclic(|weak: &Weak<Inner>| {
            let w = weak.clone();
            let task = Task::new(guard, move || {
                if let Some(inner) = w.upgrade() {
                    inner.run();
                }
            });
            let w = weak.clone();
            let on_change = Closure::<dyn FnMut()>::new(move || {
                // Called from the reader's observer callback: only note it and schedule.
                if let Some(inner) = w.upgrade() {
                    inner.pending.set(true);
                    inner.post();
                }
            });
            let w = weak.clone();
            let on_timer = Closure::<dyn FnMut()>::new(move || {
                if let Some(inner) = w.upgrade() {
                    inner.timer.set(None);
                    inner.post();
                }
            });
            Inner {
                storm: RefCell::new(StormGuard::new(opts.storm)),
                deliveries: Cell::new(0.0),
                timer: Cell::new(None),
                timer_at: Cell::new(0),
                ending: Cell::new(0),
                retired: RefCell::new(None),
                on_timer: Some(guard.wrap(on_timer.as_ref().unchecked_ref())),
                flush_ms: RefCell::new(Vec::new()),
                _on_timer: on_timer,
                reader,
                agent,
                opts,
                task,
                walking: Cell::new(false),
                pending: Cell::new(false),
                last_snapshot_ms: Cell::new(0),
                resync: Cell::new(false),
                failures: Cell::new(0),
                stopped: Cell::new(false),
                slice_ms: RefCell::new(Vec::new()),
                _on_change: on_change,
            }
        });
        inner.task.as_ref()?;
        let on_change = guard.wrap(inner._on_change.as_ref().unchecked_ref());
        let lim = &opts.storm;
        let _ = inner.reader.set_limits(
            lim.attr_max_chars,
            lim.text_max_chars,
            lim.css_max_chars,
            lim.delivery_max_records,
            lim.css_read_max_ms,
        );
        if !inner.reader.start(&on_change) {
            return None;
        }
        inner.begin_snapshot();
        Some(DomDriver { inner })
    }

    /// Called by the agent's periodic tick: starts a checkout when one is due.
    pub fn poll(&self) {
        let inner = &self.inner;
        if inner.stopped.get() {
            return;
        }
        let now = dom::now_ms();
        inner.note_deliveries(now);
        inner.storm.borrow_mut().poll(now);
        inner.record_storm(now);
        if inner.walking.get() {
            return;
        }
        let rollover = inner.agent.borrow_mut().take_snapshot_request();
        let due = now.saturating_sub(inner.last_snapshot_ms.get()) >= inner.opts.checkout_interval_ms;
        let storm_due = inner.storm.borrow().snapshot_due_ms().is_some_and(|d| d <= now);
        if rollover || due || storm_due || inner.resync.get() {
            // What changed since the last batch belongs before the checkout.
            if !rollover {
                inner.flush();
            }
            inner.begin_snapshot();
        } else if inner.pending.get() {
            // The batch's macrotask normally ran long ago; this only bounds the delay.
            inner.flush_when_allowed();
        }
    }

    /// Durations (ms) of the latest mutation batches' macrotasks.
    pub fn flush_durations_ms(&self) -> Vec<f64> {
        self.inner.flush_ms.borrow().clone()
    }

    /// Records pending changes now (page hide: the macrotask may never run).
    pub fn flush(&self) {
        if !self.inner.walking.get() {
            self.inner.flush();
        }
    }

    /// True while a snapshot walk is in progress.
    pub fn walking(&self) -> bool {
        self.inner.walking.get()
    }

    /// Durations (ms) of the latest snapshot's macrotasks, the last one ending it.
    pub fn slice_durations_ms(&self) -> Vec<f64> {
        self.inner.slice_ms.borrow().clone()
    }
}

impl Drop for DomDriver {
    fn drop(&mut self) {
        self.inner.clear_timer();
        self.inner.stopped.set(true);
        self.inner.reader.disconnect();
    }
}

impl Inner {
    fn post(&self) {
        if let Some(t) = &self.task {
            t.post();
        }
    }

    fn run(&self) {
        if let Some(t) = &self.task {
            t.begin();
        }
        if self.stopped.get() {
            return;
        }
        // (Not borrowed in the `if let` below: that borrow would last through its else arms.)
        let storm_due = self.storm.borrow().snapshot_due_ms();
        if self.walking.get() {
            let t0 = perf_now_ms();
            if self.ending.get() == 0 && self.reader.walking() {
                self.slice();
            } else {
                self.end_step();
            }
            self.slice_ms.borrow_mut().push(perf_now_ms() - t0);
        } else if self.resync.get() {
            self.begin_snapshot();
        } else if let Some(due) = storm_due {
            // Nothing is recorded until the replacement snapshot.
            let now = dom::now_ms();
            if due <= now {
                self.begin_snapshot();
            } else {
                self.schedule(due - now);
            }
        } else if self.pending.get() {
            self.flush_when_allowed();
        }
    }

    /// Flushes now, or when the throttle allows (a timer then posts the task again).
    fn flush_when_allowed(&self) {
        let now = dom::now_ms();
        self.note_deliveries(now);
        // A reader without `quietMs` counts as always quiet (never held back).
        let quiet = self.reader.quiet_ms().map_or(u64::MAX, |q| q.max(0.0) as u64);
        let at = self.storm.borrow_mut().flush_or_check_at_ms(now, quiet);
        match at {
            Some(at) if at > now => self.schedule(at - now),
            _ => {
                let t0 = perf_now_ms();
                self.flush();
                let mut d = self.flush_ms.borrow_mut();
                if d.len() >= FLUSH_MS_KEPT {
                    d.remove(0);
                }
                d.push(perf_now_ms() - t0);
            }
        }
        self.record_storm(now);
    }

    /// Posts the task in `delay_ms` (an earlier pending timer stays; a later one is moved).
    fn schedule(&self, delay_ms: u64) {
        if self.stopped.get() {
            return;
        }
        let at = dom::now_ms().saturating_add(delay_ms);
        if self.timer.get().is_some() {
            if self.timer_at.get() <= at {
                return;
            }
            self.clear_timer();
        }
        let (Some(w), Some(f)) = (web_sys::window(), self.on_timer.as_ref()) else { return };
        let delay = delay_ms.min(i32::MAX as u64) as i32;
        if let Ok(id) = w.set_timeout_with_callback_and_timeout_and_arguments_0(f, delay) {
            self.timer.set(Some(id));
            self.timer_at.set(at);
        }
    }

    fn clear_timer(&self) {
        if let (Some(id), Some(w)) = (self.timer.take(), web_sys::window()) {
            w.clear_timeout_with_handle(id);
        }
    }

    /// Tells the guard about the observer deliveries since the last look.
    fn note_deliveries(&self, now: u64) {
        let Ok(n) = self.reader.deliveries() else { return };
        let last = self.deliveries.replace(n);
        if n > last {
            self.storm.borrow_mut().changes(now, (n - last) as u64);
        }
    }

    /// Records the guard's `Degrade` events, after telling it what the reader truncated.
    fn record_storm(&self, now: u64) {
        if let Ok(Some(c)) = self.reader.take_capped() {
            let v: Vec<u64> = c.split(' ').map(|t| t.parse().unwrap_or(0)).collect();
            if v.len() == 6 {
                let mut g = self.storm.borrow_mut();
                g.capped(now, Capped::Attribute, v[0] as u32, v[1]);
                g.capped(now, Capped::Text, v[2] as u32, v[3]);
                g.capped(now, Capped::Stylesheet, v[4] as u32, v[5]);
            }
        }
        let events = self.storm.borrow_mut().take_events();
        if !events.is_empty() {
            let mut agent = self.agent.borrow_mut();
            for e in events {
                agent.record_dom(now, e);
            }
        }
    }

    /// A batch over a cap: dropped; a snapshot replaces it now or when the guard allows.
    fn oversize(&self, reason: DegradeReason, measured: u64) {
        let now = dom::now_ms();
        let due = self.storm.borrow_mut().oversize(now, reason, measured);
        self.record_storm(now);
        if due <= now {
            self.begin_snapshot();
        } else {
            self.schedule(due - now);
        }
    }

    fn begin_snapshot(&self) {
        if self.stopped.get() || self.walking.get() || !self.reader.snapshot_start() {
            return;
        }
        let mut agent = self.agent.borrow_mut();
        agent.dom_mut().take_error();
        agent.dom_mut().snapshot_begin();
        drop(agent);
        self.storm.borrow_mut().snapshot_started(dom::now_ms());
        self.walking.set(true);
        self.resync.set(false);
        self.pending.set(false);
        self.last_snapshot_ms.set(dom::now_ms());
        self.slice_ms.borrow_mut().clear();
        self.post();
    }

    fn slice(&self) {
        let Some(chunk) = self.reader.snapshot_slice_js(self.opts.slice_budget_ms).map(utf8) else {
            self.snapshot_failed();
            return;
        };
        // A rejected chunk makes `snapshot_end` return `None`: handled there.
        let _ = self.agent.borrow_mut().dom_mut().snapshot_chunk(&chunk);
        // The next task walks on, or ends the snapshot (its own task: building the event
        // costs about as much as a slice).
        self.post();
    }

    /// Ends the snapshot in steps, a task each, so that a large page's end is spread out (each
    /// step costs about as much as a few slices on a 80,000-node page): seal the tree and
    /// retire the old mirror; drop the old mirror; build the new one; record the event, then
    /// (next task) the changes made during the walk and the adopted stylesheets it found.
    fn end_step(&self) {
        let step = self.ending.get();
        self.ending.set(step + 1);
        match step {
            0 => {
                let mut agent = self.agent.borrow_mut();
                if !agent.dom_mut().snapshot_seal() {
                    drop(agent);
                    self.snapshot_failed();
                    return;
                }
                let old = agent.dom_mut().snapshot_retire();
                *self.retired.borrow_mut() = Some(old);
            }
            1 => drop(self.retired.borrow_mut().take()),
            2 => self.agent.borrow_mut().dom_mut().snapshot_load(),
            _ => {
                self.ending.set(0);
                self.walking.set(false);
                let (sx, sy, w, h) = viewport();
                let snap = self.agent.borrow_mut().dom_mut().snapshot_take(sx, sy, w, h);
                let Some(snap) = snap else {
                    self.snapshot_failed();
                    return;
                };
                let now = dom::now_ms();
                self.agent.borrow_mut().record_dom(now, EventData::FullSnapshot(snap));
                // What the walk truncated; then the changes made during it.
                self.record_storm(now);
                self.pending.set(true);
            }
        }
        self.post();
    }

    fn snapshot_failed(&self) {
        self.ending.set(0);
        self.retired.borrow_mut().take();
        self.walking.set(false);
        self.failed();
    }

    /// The mirror no longer matches the page: a new snapshot, unless failures keep coming
    /// (a snapshot that succeeds does not count as recovery: only a good batch after it does).
    fn failed(&self) {
        let n = self.failures.get() + 1;
        self.failures.set(n);
        if n >= DOM_MAX_FAILURES {
            self.stopped.set(true);
            self.reader.disconnect();
            return;
        }
        if !self.resync.replace(true) {
            self.post();
        }
    }

    /// Lists what changed and records it as one `Mutation` (none while a replacement snapshot
    /// is awaited: the mirror no longer matches the page).
    fn flush(&self) {
        if self.stopped.get() || self.walking.get() || self.storm.borrow().snapshot_due_ms().is_some() {
            return;
        }
        self.pending.set(false);
        let lim = self.opts.storm;
        let Some(listing) = self.reader.take_listing_capped(lim.listing_max_chars) else {
            match self.reader.over() {
                Some((reason, n)) => self.oversize(reason, n),
                None => self.failed(),
            }
            return;
        };
        if !listing.is_empty() {
            let needed = self.agent.borrow_mut().dom_mut().mutation_begin(&listing);
            if needed.len() as u64 > lim.batch_max_nodes as u64 {
                self.oversize(DegradeReason::BatchNodes, needed.len() as u64);
                return;
            }
            let stream = if needed.is_empty() {
                Some(String::new())
            } else {
                match self.reader.serialize_capped(&needed, lim.batch_max_nodes) {
                    None => {
                        if let Some((reason, n)) = self.reader.over() {
                            self.oversize(reason, n);
                            return;
                        }
                        None
                    }
                    s => s.map(utf8),
                }
            };
            let chars = listing.len() + stream.as_ref().map_or(0, |s| s.len());
            self.storm.borrow_mut().flushed(dom::now_ms(), chars as u64);
            let mut agent = self.agent.borrow_mut();
            let m = agent.dom_mut().mutation_finish(stream.as_deref().unwrap_or(""));
            // A stream the core rejected leaves the mirror behind the page, as does a failed
            // serialization (what it could record is recorded all the same).
            let ok = stream.is_some() && agent.dom_mut().take_error().is_none();
            if let Some(m) = m {
                agent.record_dom(dom::now_ms(), EventData::Mutation(m));
            }
            drop(agent);
            if ok {
                self.failures.set(0);
            } else {
                self.failed();
            }
        }
        if let Some(adopted) = self.reader.take_adopted() {
            let now = dom::now_ms();
            let mut agent = self.agent.borrow_mut();
            for (target, sheets) in parse_adopted(&adopted) {
                agent.record_dom(now, EventData::AdoptedSheets { target, sheets });
            }
        }
    }
}

fn perf_now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or_else(js_sys::Date::now)
}

/// Viewport scroll offset and size, in CSS pixels.
fn viewport() -> (i32, i32, u32, u32) {
    let Some(w) = web_sys::window() else { return (0, 0, 0, 0) };
    let num = |v: Result<JsValue, JsValue>| v.ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
    let sx = w.scroll_x().unwrap_or(0.0).round() as i32;
    let sy = w.scroll_y().unwrap_or(0.0).round() as i32;
    (sx, sy, num(w.inner_width()) as u32, num(w.inner_height()) as u32)
}

/// Parses the reader's adopted-stylesheet list: `(id count css{count})*`, each token followed
/// by `SEP`. A malformed tail is dropped.
pub fn parse_adopted(s: &str) -> Vec<(NodeId, Vec<String>)> {
    let mut out = Vec::new();
    let mut t = s.split(SEP);
    while let (Some(id), Some(count)) = (t.next(), t.next()) {
        let (Ok(id), Ok(count)) = (id.parse::<NodeId>(), count.parse::<usize>()) else { break };
        let mut sheets = Vec::new();
        for _ in 0..count {
            match t.next() {
                Some(css) => sheets.push(String::from(css)),
                None => return out,
            }
        }
        out.push((id, sheets));
    }
    out
}
