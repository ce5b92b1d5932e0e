//! Browser glue: the only code that touches JavaScript or the DOM. Everything it does is
//! reading inputs for the core (`crate::agent`) and carrying out the core's decisions.
//!
//! Every entry point from JavaScript (queue push, timers, listeners, promise callbacks) goes
//! through the loader's `wrap` guard, so a trap in wasm can never throw into the page.

/// `JsValue` -> `Value`; also `String(x)` for numbers, which `crate::jsnum` uses in wasm.
pub(crate) mod convert;
mod dom;
/// Site settings fetch, consent and opt-out: when the DOM recording runs.
pub mod gate;
mod handles;
mod queue;
pub mod recorder;
mod storage;
mod task;
mod transport;
// Visit recording beside the DOM: interactions, navigation, errors, requests, dataLayer.
pub mod hooks;
mod interactions;
mod navigation;
pub mod visit;

use crate::agent::{Agent, Level};
use crate::config::TICK_INTERVAL_MS;
use alloc::rc::Rc;
use core::cell::RefCell;
use handles::{Guard, Interval, Listener};
use wasm_bindgen::prelude::*;

/// A running agent. Dropping it stops timers, removes listeners and restores the queue.
pub struct App {
    agent: Rc<RefCell<Agent>>,
    _queue: queue::QueueHook,
    _tick: Interval,
    _listeners: alloc::vec::Vec<Listener>,
    dom: Rc<gate::DomSlot>,
    _outbox_stats: Option<transport::StatsHook>,
    _visit: Rc<visit::Visit>,
}

thread_local! {
    static RUNNING: RefCell<Option<App>> = const { RefCell::new(None) };
}

/// Entry point called by the loader once the wasm is instantiated:
/// `start({ collector, wid, wrap, reader, hooks })` (`reader`: `createReader(window)` from
/// js/reader.mjs, without it there is no DOM recording; `hooks`: `createHooks(window)` from
/// js/hooks.mjs, without it no History API, request or dataLayer recording). A second call is
/// ignored.
#[wasm_bindgen]
pub fn start(config: JsValue) {
    if RUNNING.with(|r| r.borrow().is_some()) {
        return;
    }
    if let Some(app) = App::start(&config) {
        RUNNING.with(|r| *r.borrow_mut() = Some(app));
    }
}

/// Stops the running agent (used by tests and by a future opt-out).
#[wasm_bindgen]
pub fn stop() {
    RUNNING.with(|r| r.borrow_mut().take());
}

impl App {
    /// Starts an agent against `window.__insp`; `None` when there is no document.
    pub fn start(config: &JsValue) -> Option<App> {
        let guard = Guard::from_config(config);
        let env = dom::start_env(config)?;
        // Nothing is recorded, stored or sent before the site settings are known (browser/gate.rs).
        let agent = Rc::new(RefCell::new(Agent::with_privacy(env, gate::privacy_start())));
        let dom = gate::DomSlot::new(&guard, agent.clone(), recorder::Reader::from_config(config));
        // What an earlier page load of this tab could not deliver goes first.
        storage::restore(&mut agent.borrow_mut());

        let queue = queue::QueueHook::install(&guard, {
            let agent = agent.clone();
            let guard = guard.clone();
            let dom = dom.clone();
            move |entry: &JsValue| {
                let value = convert::to_value(entry);
                let mut a = agent.borrow_mut();
                let (href, title) = dom::location();
                a.set_location(href, title);
                a.push(&value, dom::now_ms());
                drop(a);
                after(&agent);
                // `wid` may arrive now, `consent` may open or close the gate.
                gate::fetch_settings(&guard, &agent, &dom);
                dom.sync();
            }
        })?;
        gate::fetch_settings(&guard, &agent, &dom);
        dom.sync();

        // After the queue drain (so `disableGACapture` is known): see browser/visit.rs.
        let visit = Rc::new(visit::Visit::start(&guard, agent.clone(), config, Default::default()));

        let tick = Interval::new(&guard, TICK_INTERVAL_MS, {
            let agent = agent.clone();
            let guard = guard.clone();
            let dom = dom.clone();
            let visit = visit.clone();
            move || {
                dom.poll();
                visit.poll();
                pump(&guard, &agent, false)
            }
        });

        // Page hide is the last reliable moment to send; `unload` would break the bfcache.
        let flush = {
            let agent = agent.clone();
            let guard = guard.clone();
            let dom = dom.clone();
            let visit = visit.clone();
            move || {
                dom.flush();
                visit.flush();
                pump(&guard, &agent, true)
            }
        };
        let listeners = alloc::vec![
            Listener::on_document(&guard, "visibilitychange", {
                let flush = flush.clone();
                move || {
                    if dom::hidden() {
                        flush()
                    }
                }
            }),
            Listener::on_window(&guard, "pagehide", flush),
        ];
        after(&agent);
        let outbox_stats = transport::StatsHook::install(&guard, &agent);
        Some(App {
            agent,
            _queue: queue,
            _tick: tick,
            _listeners: listeners.into_iter().flatten().collect(),
            dom,
            _outbox_stats: outbox_stats,
            _visit: visit,
        })
    }

    pub fn agent(&self) -> core::cell::Ref<'_, Agent> {
        self.agent.borrow()
    }

    /// The DOM recording, when the start config carried a reader and the privacy gate is
    /// open (see browser/gate.rs).
    pub fn dom(&self) -> Option<Rc<recorder::DomDriver>> {
        self.dom.driver()
    }
}

/// Runs the pending side effects the core asked for: console lines and cookies.
pub(crate) fn after(agent: &Rc<RefCell<Agent>>) {
    let mut a = agent.borrow_mut();
    for (level, line) in a.take_log() {
        match level {
            Level::Warn => dom::warn(&alloc::format!("insp: {line}")),
            Level::Debug => dom::log(&alloc::format!("insp: {line}")),
        }
    }
    for c in a.take_cookies() {
        dom::set_cookie(&c);
    }
}

/// Seals and sends what is due (`force`: page hide), and writes undelivered requests to
/// storage when the core asks for it. Also called after each answer from the collector.
pub(crate) fn pump(guard: &Guard, agent: &Rc<RefCell<Agent>>, force: bool) {
    let now = dom::now_ms();
    let requests = agent.borrow_mut().tick(now, force);
    after(agent);
    for req in requests {
        transport::send(guard, agent, req);
    }
    let mut a = agent.borrow_mut();
    if a.take_persist(now, force) {
        storage::persist(&mut a);
    }
}
