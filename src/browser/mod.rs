//! Browser glue: the only code that touches JavaScript or the DOM. Everything it does is
//! reading inputs for the core (`crate::agent`) and carrying out the core's decisions.
//!
//! Every entry point from JavaScript (queue push, timers, listeners, promise callbacks) goes
//! through the loader's `wrap` guard, so a trap in wasm can never throw into the page.

mod convert;
mod dom;
mod handles;
mod queue;
pub mod recorder;
mod task;
mod transport;

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
    dom: Option<Rc<recorder::DomDriver>>,
}

thread_local! {
    static RUNNING: RefCell<Option<App>> = const { RefCell::new(None) };
}

/// Entry point called by the loader once the wasm is instantiated:
/// `start({ collector, wid, wrap, reader })` (`reader`: `createReader(window)` from
/// js/reader.mjs; without it there is no DOM recording). A second call is ignored.
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
        let agent = Rc::new(RefCell::new(Agent::new(env)));

        let queue = queue::QueueHook::install(&guard, {
            let agent = agent.clone();
            move |entry: &JsValue| {
                let value = convert::to_value(entry);
                let mut a = agent.borrow_mut();
                let (href, title) = dom::location();
                a.set_location(href, title);
                a.push(&value, dom::now_ms());
                drop(a);
                after(&agent);
            }
        })?;

        let dom = recorder::Reader::from_config(config)
            .and_then(|reader| recorder::DomDriver::start(&guard, agent.clone(), reader, Default::default()))
            .map(Rc::new);

        let tick = Interval::new(&guard, TICK_INTERVAL_MS, {
            let agent = agent.clone();
            let guard = guard.clone();
            let dom = dom.clone();
            move || {
                if let Some(d) = &dom {
                    d.poll();
                }
                pump(&guard, &agent, false)
            }
        });

        // Page hide is the last reliable moment to send; `unload` would break the bfcache.
        let flush = {
            let agent = agent.clone();
            let guard = guard.clone();
            let dom = dom.clone();
            move || {
                if let Some(d) = &dom {
                    d.flush();
                }
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
        Some(App { agent, _queue: queue, _tick: tick, _listeners: listeners.into_iter().flatten().collect(), dom })
    }

    pub fn agent(&self) -> core::cell::Ref<'_, Agent> {
        self.agent.borrow()
    }

    /// The DOM recording, when the start config carried a reader.
    pub fn dom(&self) -> Option<&recorder::DomDriver> {
        self.dom.as_deref()
    }
}

/// Runs the pending side effects the core asked for: console lines and cookies.
fn after(agent: &Rc<RefCell<Agent>>) {
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

fn pump(guard: &Guard, agent: &Rc<RefCell<Agent>>, force: bool) {
    let requests = agent.borrow_mut().tick(dom::now_ms(), force);
    after(agent);
    for req in requests {
        transport::send(guard, req);
    }
}
