//! Carries out the outbox's sends (the policy is `crate::transport`): `fetch`, no credentials,
//! no custom headers (so no CORS preflight), and every outcome (status and `Retry-After`, which
//! the collector exposes to the page by CORS, or a network error) goes back to the agent, which
//! decides about retries; retries leave by the agent's periodic tick.
//!
//! * Normal sends: batches are gzip-compressed by the browser's own CompressionStream when it
//!   exists (no bytes added to the agent), then posted with `keepalive` when the compressed
//!   body fits in the keepalive budget the core keeps (so it survives the page being unloaded).
//! * Page hide (`Request::keepalive`): the body goes as it is (an asynchronous compression may
//!   never finish on an unloading page) with `keepalive`; when the browser refuses that (it
//!   rejects at once, for example over the 64 KiB keepalive quota), with `navigator.sendBeacon`.
//!
//! `window.__inspAgent.outbox()` (when the loader made `__inspAgent`) returns the outbox's
//! counters, for diagnostics and the end-to-end tests.

use super::dom;
use super::handles::Guard;
use crate::agent::{Agent, Outcome, Request};
use crate::config::KEEPALIVE_REFUSED_MS;
use alloc::rc::{Rc, Weak};
use core::cell::RefCell;
use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    type CompressionStream;
    #[wasm_bindgen(constructor, catch)]
    fn new(format: &str) -> Result<CompressionStream, JsValue>;
}

/// `promise.then(ok, err)` with plain functions, each behind the loader's guard.
fn then(guard: &Guard, promise: &JsValue, ok: JsValue, err: JsValue) {
    let Ok(f) = Reflect::get(promise, &JsValue::from_str("then")) else { return };
    let Some(f) = f.dyn_ref::<Function>() else { return };
    let _ = f.call2(promise, &guard.wrap(ok.unchecked_ref()), &guard.wrap(err.unchecked_ref()));
}

type AgentRef = Weak<RefCell<Agent>>;

/// Sends one request of the outbox; its outcome goes back to the agent.
pub fn send(guard: &Guard, agent: &Rc<RefCell<Agent>>, req: Request) {
    let agent = Rc::downgrade(agent);
    if req.keepalive {
        send_on_hide(guard, agent, req);
        return;
    }
    if req.compress {
        if let Some(p) = gzip(&req.body) {
            let (g, a, r) = (guard.clone(), agent.clone(), req.clone());
            let ok = Closure::<dyn FnMut(JsValue)>::once_into_js(move |buf: JsValue| {
                post(&g, &a, &r, &r.url_for(true), &Uint8Array::new(&buf))
            });
            let (g, a) = (guard.clone(), agent);
            // Compression failing is not a reason to lose the batch.
            let err = Closure::<dyn FnMut(JsValue)>::once_into_js(move |_e: JsValue| {
                post(&g, &a, &req, &req.url_for(false), &Uint8Array::from(&req.body[..]))
            });
            then(guard, &p, ok, err);
            return;
        }
    }
    post(guard, &agent, &req, &req.url_for(false), &Uint8Array::from(&req.body[..]));
}

fn gzip(bytes: &[u8]) -> Option<Promise> {
    let cs = CompressionStream::new("gzip").ok()?;
    let parts = js_sys::Array::of1(&Uint8Array::from(bytes));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).ok()?;
    let stream = blob.stream().pipe_through(cs.unchecked_ref());
    let resp = web_sys::Response::new_with_opt_readable_stream(Some(stream.unchecked_ref())).ok()?;
    resp.array_buffer().ok()
}

/// `window.fetch(url, {method: 'POST', body, keepalive, mode: 'cors', credentials: 'omit'})`;
/// `Err` if it throws.
fn fetch(url: &str, body: &Uint8Array, keepalive: bool) -> Result<JsValue, JsValue> {
    let window = web_sys::window().ok_or(JsValue::NULL)?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(body);
    // Not in web-sys's RequestInit yet; a plain property works in every engine.
    Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::from_bool(keepalive))?;
    init.set_mode(web_sys::RequestMode::Cors);
    init.set_credentials(web_sys::RequestCredentials::Omit);
    let f: Function = Reflect::get(&window, &JsValue::from_str("fetch"))?.dyn_into()?;
    f.call2(&window, &JsValue::from_str(url), &init)
}

/// Hands the outcome to the agent; then lets it send what is next (`pump`), unless the outcome
/// came synchronously from inside a send.
fn report(guard: &Guard, agent: &AgentRef, id: u64, attempt: u32, outcome: Outcome, pump: bool) {
    let Some(a) = agent.upgrade() else { return };
    a.borrow_mut().delivered(id, attempt, outcome, dom::now_ms());
    if pump {
        super::pump(guard, &a, false);
    } else {
        super::after(&a);
    }
}

/// Reads the answer: the status, and `Retry-After` when it is a number of seconds.
fn outcome_of(resp: &JsValue) -> Outcome {
    let Some(resp) = resp.dyn_ref::<web_sys::Response>() else { return Outcome::Failed };
    let retry_after_s = resp
        .headers()
        .get("retry-after")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok());
    Outcome::Status { status: resp.status(), retry_after_s }
}

fn post(guard: &Guard, agent: &AgentRef, req: &Request, url: &str, body: &Uint8Array) {
    let (id, attempt) = (req.id, req.attempt);
    let keepalive = agent
        .upgrade()
        .is_some_and(|a| a.borrow_mut().reserve_keepalive(id, attempt, body.length() as usize, dom::now_ms()));
    let promise = match fetch(url, body, keepalive) {
        Ok(p) => p,
        Err(_) => return report(guard, agent, id, attempt, Outcome::Failed, false),
    };
    let (g, a) = (guard.clone(), agent.clone());
    let ok = Closure::<dyn FnMut(JsValue)>::once_into_js(move |resp: JsValue| {
        report(&g, &a, id, attempt, outcome_of(&resp), true)
    });
    // A dead collector must not become an unhandled rejection in the page's console.
    let (g, a) = (guard.clone(), agent.clone());
    let err = Closure::<dyn FnMut(JsValue)>::once_into_js(move |_e: JsValue| {
        report(&g, &a, id, attempt, Outcome::Failed, true)
    });
    then(guard, &promise, ok, err);
}

fn perf_now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or_else(js_sys::Date::now)
}

/// Page hide: uncompressed, keepalive; `sendBeacon` when the browser refuses the fetch.
fn send_on_hide(guard: &Guard, agent: AgentRef, req: Request) {
    let url = req.url_for(false);
    let body = Uint8Array::from(&req.body[..]);
    let t0 = perf_now_ms();
    let promise = match fetch(&url, &body, true) {
        Ok(p) => p,
        Err(_) => {
            let queued = beacon(&url, &body);
            return report(guard, &agent, req.id, req.attempt, Outcome::Beacon { queued }, false);
        }
    };
    let (id, attempt) = (req.id, req.attempt);
    let (g, a) = (guard.clone(), agent.clone());
    let ok = Closure::<dyn FnMut(JsValue)>::once_into_js(move |resp: JsValue| {
        report(&g, &a, id, attempt, outcome_of(&resp), true)
    });
    let (g, a) = (guard.clone(), agent);
    let err = Closure::<dyn FnMut(JsValue)>::once_into_js(move |_e: JsValue| {
        // Refused before any network could happen (keepalive quota): a beacon may still go.
        let outcome = if perf_now_ms() - t0 <= KEEPALIVE_REFUSED_MS as f64 {
            Outcome::Beacon { queued: beacon(&url, &body) }
        } else {
            Outcome::Failed
        };
        report(&g, &a, id, attempt, outcome, false)
    });
    then(guard, &promise, ok, err);
}

/// `navigator.sendBeacon(url, body)`: true when the browser queued it.
fn beacon(url: &str, body: &Uint8Array) -> bool {
    let Some(nav) = web_sys::window().map(|w| w.navigator()) else { return false };
    let Ok(f) = Reflect::get(&nav, &JsValue::from_str("sendBeacon")).and_then(|f| f.dyn_into::<Function>()) else {
        return false;
    };
    f.call2(&nav, &JsValue::from_str(url), body).is_ok_and(|r| r.is_truthy())
}

/// `window.__inspAgent.outbox()`: the outbox's counters. Removed on drop.
pub struct StatsHook {
    target: Object,
    _closure: Closure<dyn FnMut() -> JsValue>,
}

impl StatsHook {
    pub fn install(guard: &Guard, agent: &Rc<RefCell<Agent>>) -> Option<StatsHook> {
        let window = web_sys::window()?;
        let target: Object = Reflect::get(&window, &JsValue::from_str("__inspAgent")).ok()?.dyn_into().ok()?;
        let agent = Rc::downgrade(agent);
        let closure = Closure::<dyn FnMut() -> JsValue>::new(move || {
            let Some(a) = agent.upgrade() else { return JsValue::NULL };
            let s = a.borrow().outbox_stats();
            let o = Object::new();
            let set = |k: &str, v: f64| {
                let _ = Reflect::set(&o, &JsValue::from_str(k), &JsValue::from_f64(v));
            };
            set("items", s.items as f64);
            set("bytes", s.bytes as f64);
            set("peakBytes", s.peak_bytes as f64);
            set("inFlight", s.in_flight as f64);
            set("keepaliveBytes", s.keepalive_bytes as f64);
            set("failures", s.failures as f64);
            set("blockedUntilMs", s.blocked_until_ms as f64);
            set("delivered", s.delivered as f64);
            set("droppedItems", s.dropped_items as f64);
            set("droppedBytes", s.dropped_bytes as f64);
            set("rejected", s.rejected as f64);
            set("restored", s.restored as f64);
            set("maxBytes", a.borrow().outbox().policy().max_pending_bytes as f64);
            // Recorded, not sealed yet (gap markers included): with `items` 0, everything
            // recorded so far has reached the collector.
            set("unsealed", a.borrow().unsealed_events() as f64);
            o.into()
        });
        let f = guard.wrap(closure.as_ref().unchecked_ref());
        Reflect::set(&target, &JsValue::from_str("outbox"), &f).ok()?;
        Some(StatsHook { target, _closure: closure })
    }
}

impl Drop for StatsHook {
    fn drop(&mut self) {
        let _ = Reflect::delete_property(&self.target, &JsValue::from_str("outbox"));
    }
}
