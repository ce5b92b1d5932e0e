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
use crate::event::{EventData, NodeId};
use alloc::rc::{Rc, Weak};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use js_sys::{Function, Reflect};
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
}

impl Reader {
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
}

impl Default for DomOptions {
    fn default() -> Self {
        DomOptions { slice_budget_ms: DOM_SNAPSHOT_SLICE_MS as f64, checkout_interval_ms: DOM_CHECKOUT_INTERVAL_MS }
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
    /// Durations of the latest snapshot's macrotasks (ms; the last one also ends the snapshot,
    /// records it and the changes made meanwhile), for tests and diagnostics.
    slice_ms: RefCell<Vec<f64>>,
    _on_change: Closure<dyn FnMut()>,
}

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
            Inner {
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
        if !inner.reader.start(&on_change) {
            return None;
        }
        inner.begin_snapshot();
        Some(DomDriver { inner })
    }

    /// Called by the agent's periodic tick: starts a checkout when one is due.
    pub fn poll(&self) {
        let inner = &self.inner;
        if inner.stopped.get() || inner.walking.get() {
            return;
        }
        let rollover = inner.agent.borrow_mut().take_snapshot_request();
        let due = dom::now_ms().saturating_sub(inner.last_snapshot_ms.get()) >= inner.opts.checkout_interval_ms;
        if rollover || due || inner.resync.get() {
            // What changed since the last batch belongs before the checkout.
            if !rollover {
                inner.flush();
            }
            inner.begin_snapshot();
        } else if inner.pending.get() {
            // The batch's macrotask normally ran long ago; this only bounds the delay.
            inner.flush();
        }
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
        if self.walking.get() {
            let t0 = perf_now_ms();
            if self.reader.walking() {
                self.slice();
            } else {
                self.finish_snapshot();
            }
            self.slice_ms.borrow_mut().push(perf_now_ms() - t0);
        } else if self.resync.get() {
            self.begin_snapshot();
        } else if self.pending.get() {
            self.flush();
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
        self.walking.set(true);
        self.resync.set(false);
        self.pending.set(false);
        self.last_snapshot_ms.set(dom::now_ms());
        self.slice_ms.borrow_mut().clear();
        self.post();
    }

    fn slice(&self) {
        let Some(chunk) = self.reader.snapshot_slice(self.opts.slice_budget_ms) else {
            self.snapshot_failed();
            return;
        };
        // A rejected chunk makes `snapshot_end` return `None`: handled there.
        let _ = self.agent.borrow_mut().dom_mut().snapshot_chunk(&chunk);
        // The next task walks on, or ends the snapshot (its own task: building the event
        // costs about as much as a slice).
        self.post();
    }

    fn finish_snapshot(&self) {
        self.walking.set(false);
        let (sx, sy, w, h) = viewport();
        let snap = self.agent.borrow_mut().dom_mut().snapshot_end(sx, sy, w, h);
        let Some(snap) = snap else {
            self.snapshot_failed();
            return;
        };
        self.agent.borrow_mut().record_dom(dom::now_ms(), EventData::FullSnapshot(snap));
        // Changes made during the walk, and adopted stylesheets the walk found.
        self.flush();
    }

    fn snapshot_failed(&self) {
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

    /// Lists what changed and records it as one `Mutation`.
    fn flush(&self) {
        if self.stopped.get() || self.walking.get() {
            return;
        }
        self.pending.set(false);
        let Some(listing) = self.reader.take_listing() else {
            self.failed();
            return;
        };
        if !listing.is_empty() {
            let needed = self.agent.borrow_mut().dom_mut().mutation_begin(&listing);
            let stream = if needed.is_empty() { Some(String::new()) } else { self.reader.serialize(&needed) };
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
