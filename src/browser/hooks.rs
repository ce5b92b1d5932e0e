//! The page's errors, requests and `dataLayer`, and the two handle types visit recording
//! builds on: [`Hooks`] (the JavaScript wrappers of js/hooks.mjs, undone by `disconnect`) and
//! [`EventHandle`] (a listener that receives its event, removed on drop).
//!
//! * Errors: `error` on window (bubbling phase, so failed resource loads, which do not bubble,
//!   stay out) and `unhandledrejection` -> `Error` events, capped, at most
//!   `ERRORS_PER_PAGE_MAX` per page load, never the agent's own (`sampling::is_agent_error`).
//! * Requests: js/hooks.mjs wraps fetch and XMLHttpRequest and reports each finished request;
//!   the agent's own (`{collector}/i/...`) are dropped here -> `Network` events, at most
//!   `NETWORK_EVENTS_PER_PAGE_MAX` per page load. The wrappers are in place only while the
//!   recording runs and the site setting `record_network` is on ([`network_capture_enabled`],
//!   checked on every tick: the settings arrive after start).
//! * `dataLayer`: entries there at start and every later push -> `Agent::data_layer` (`GA: `
//!   tags). The array is looked for again on every tick (a page may create or replace it after
//!   the agent loaded). With `disableGACapture` nothing is hooked at all (and a hook in place
//!   is removed on the next tick).

use super::convert;
use super::dom;
use super::handles::Guard;
use crate::agent::Agent;
use crate::config::{ERRORS_PER_PAGE_MAX, ERROR_MESSAGE_MAX_CHARS, ERROR_STACK_MAX_CHARS, NETWORK_EVENTS_PER_PAGE_MAX, URL_MAX_CHARS};
use crate::event::{ErrorInfo, EventData, NetworkInfo};
use crate::sampling::{cap, is_agent_error, is_agent_url, Budget};
use alloc::boxed::Box;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use js_sys::{Array, Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// The object `createHooks(window)` returns (js/hooks.mjs). Its methods never throw.
    #[derive(Clone)]
    pub type Hooks;

    /// Wraps `pushState`/`replaceState`; `on_nav(0 | 1)` after each call returned.
    #[wasm_bindgen(method)]
    pub fn history(this: &Hooks, on_nav: &Function) -> bool;
    /// Wraps fetch and XMLHttpRequest; `on_request(isFetch, method, url, status, ms, reqBytes,
    /// respBytes)` when each request ends.
    #[wasm_bindgen(method)]
    pub fn network(this: &Hooks, on_request: &Function) -> bool;
    /// Watches `window.dataLayer`: the entries already there when it starts watching an array,
    /// else null; `on_entry(entry)` for each later push.
    #[wasm_bindgen(method, js_name = dataLayer)]
    pub fn data_layer(this: &Hooks, on_entry: &Function) -> JsValue;
    /// Undoes one group: "history", "network" or "dataLayer".
    #[wasm_bindgen(method)]
    pub fn unhook(this: &Hooks, group: &str);
    /// Undoes every wrapper.
    #[wasm_bindgen(method)]
    pub fn disconnect(this: &Hooks);
}

impl Hooks {
    /// `config.hooks`, when it looks like the hooks object.
    pub fn from_config(config: &JsValue) -> Option<Hooks> {
        let hooks = Reflect::get(config, &JsValue::from_str("hooks")).ok()?;
        let f = Reflect::get(&hooks, &JsValue::from_str("dataLayer")).ok()?;
        f.is_function().then(|| hooks.unchecked_into())
    }
}

/// An event listener that receives its event, behind the guard; removed on drop. `capture`
/// listeners on window see every event of the document first (and those that do not bubble);
/// all are passive, so the page's scrolling never waits for the agent.
pub struct EventHandle {
    target: web_sys::EventTarget,
    kind: &'static str,
    capture: bool,
    func: Function,
    _closure: Closure<dyn FnMut(web_sys::Event)>,
}

impl EventHandle {
    pub fn new(
        target: &web_sys::EventTarget,
        guard: &Guard,
        kind: &'static str,
        capture: bool,
        f: impl FnMut(web_sys::Event) + 'static,
    ) -> Option<EventHandle> {
        let closure = Closure::<dyn FnMut(web_sys::Event)>::wrap(Box::new(f));
        let func = guard.wrap(closure.as_ref().unchecked_ref());
        let opts = web_sys::AddEventListenerOptions::new();
        opts.set_capture(capture);
        opts.set_passive(true);
        target.add_event_listener_with_callback_and_add_event_listener_options(kind, &func, &opts).ok()?;
        Some(EventHandle { target: target.clone(), kind, capture, func, _closure: closure })
    }

    pub fn on_window(guard: &Guard, kind: &'static str, capture: bool, f: impl FnMut(web_sys::Event) + 'static) -> Option<EventHandle> {
        EventHandle::new(&web_sys::window()?.into(), guard, kind, capture, f)
    }
}

impl Drop for EventHandle {
    fn drop(&mut self) {
        let _ = self.target.remove_event_listener_with_callback_and_bool(self.kind, &self.func, self.capture);
    }
}

/// Whether the page's requests are recorded: the site setting `record_network`, once the
/// recording runs (before the settings arrive nothing is recorded anyway, and the fallback
/// settings say no).
pub fn network_capture_enabled(agent: &Agent) -> bool {
    agent.recording() && agent.settings().record_network
}

/// Errors, requests and `dataLayer`; see the module doc. Dropping it removes the listeners;
/// the wrappers in js/hooks.mjs are undone by whoever owns the [`Hooks`] (before this drops).
pub struct PageHooks {
    state: Rc<State>,
    _handles: Vec<EventHandle>,
}

/// `(isFetch, method, url, status, durationMs, requestBytes, responseBytes)`.
type OnRequest = dyn FnMut(JsValue, JsValue, JsValue, JsValue, JsValue, JsValue, JsValue);
type OnEntry = dyn FnMut(JsValue);

struct State {
    agent: Rc<RefCell<Agent>>,
    hooks: Option<Hooks>,
    errors: Cell<Budget>,
    requests: Cell<Budget>,
    /// The guarded `on_entry` for `hooks.dataLayer`, and whether an array is hooked.
    on_entry: RefCell<Option<(Function, Closure<OnEntry>)>>,
    dl_hooked: Cell<bool>,
    /// The guarded `on_request` for `hooks.network`, and whether fetch and XHR are wrapped.
    on_request: RefCell<Option<(Function, Closure<OnRequest>)>>,
    net_hooked: Cell<bool>,
}

impl PageHooks {
    pub fn start(guard: &Guard, agent: Rc<RefCell<Agent>>, hooks: Option<Hooks>) -> PageHooks {
        let state = Rc::new(State {
            agent,
            hooks,
            errors: Cell::new(Budget::new(ERRORS_PER_PAGE_MAX)),
            requests: Cell::new(Budget::new(NETWORK_EVENTS_PER_PAGE_MAX)),
            on_entry: RefCell::new(None),
            dl_hooked: Cell::new(false),
            on_request: RefCell::new(None),
            net_hooked: Cell::new(false),
        });
        let mut handles = Vec::new();
        let s = state.clone();
        handles.extend(EventHandle::on_window(guard, "error", false, move |ev| s.on_error(&ev)));
        let s = state.clone();
        handles.extend(EventHandle::on_window(guard, "unhandledrejection", false, move |ev| s.on_rejection(&ev)));

        if state.hooks.is_some() {
            let s = Rc::downgrade(&state);
            let closure = Closure::<OnRequest>::new(
                move |fetch: JsValue, method: JsValue, url: JsValue, status: JsValue, ms: JsValue, req: JsValue, resp: JsValue| {
                    let num = |v: &JsValue| v.as_f64().filter(|n| n.is_finite() && *n >= 0.0).unwrap_or(0.0);
                    let info = NetworkInfo {
                        method: cap(&method.as_string().unwrap_or_default(), 16),
                        url: url.as_string().unwrap_or_default(),
                        status: num(&status).min(u16::MAX as f64) as u16,
                        duration_ms: num(&ms).min(u32::MAX as f64) as u32,
                        request_bytes: num(&req).min(u32::MAX as f64) as u32,
                        response_bytes: num(&resp).min(u32::MAX as f64) as u32,
                        fetch: fetch.as_bool().unwrap_or(false),
                    };
                    if let Some(s) = s.upgrade() {
                        s.on_request(info);
                    }
                },
            );
            let func = guard.wrap(closure.as_ref().unchecked_ref());
            *state.on_request.borrow_mut() = Some((func, closure));

            let s = Rc::downgrade(&state);
            let closure = Closure::<OnEntry>::new(move |entry: JsValue| {
                if let Some(s) = s.upgrade() {
                    s.on_data_layer(&entry);
                }
            });
            let func = guard.wrap(closure.as_ref().unchecked_ref());
            *state.on_entry.borrow_mut() = Some((func, closure));
        }
        let hooks = PageHooks { state, _handles: handles };
        hooks.poll();
        hooks
    }

    /// On the agent's tick (and at start): wraps or unwraps fetch and XMLHttpRequest as the
    /// site setting says; hooks `window.dataLayer` when it appeared or was replaced, unless GA
    /// capture is off.
    pub fn poll(&self) {
        let s = &self.state;
        let Some(h) = &s.hooks else { return };
        if let Ok(want) = s.agent.try_borrow().map(|a| network_capture_enabled(&a)) {
            if want != s.net_hooked.get() {
                if want {
                    if let Some((func, _)) = s.on_request.borrow().as_ref() {
                        s.net_hooked.set(h.network(func));
                    }
                } else {
                    h.unhook("network");
                    s.net_hooked.set(false);
                }
            }
        }
        let capture = s.agent.try_borrow().map(|a| a.ga_capture()).unwrap_or(true);
        if !capture {
            if s.dl_hooked.replace(false) {
                h.unhook("dataLayer");
            }
            return;
        }
        let existing = {
            let on_entry = s.on_entry.borrow();
            let Some((func, _)) = on_entry.as_ref() else { return };
            h.data_layer(func)
        };
        if let Some(arr) = existing.dyn_ref::<Array>() {
            s.dl_hooked.set(true);
            // Converted first: a getter in an entry must not run while the agent is borrowed.
            let values: Vec<_> = arr.iter().map(|e| convert::to_value(&e)).collect();
            let now = dom::now_ms();
            if let Ok(mut a) = s.agent.try_borrow_mut() {
                for v in &values {
                    a.data_layer(v, now);
                }
            }
        }
    }
}

impl State {
    fn collector(&self) -> String {
        self.agent.try_borrow().map(|a| String::from(a.collector())).unwrap_or_default()
    }

    fn record(&self, data: EventData) {
        if let Ok(mut a) = self.agent.try_borrow_mut() {
            a.record_visit(dom::now_ms(), data, false);
        }
    }

    fn take(budget: &Cell<Budget>) -> bool {
        let mut b = budget.get();
        let ok = b.take();
        budget.set(b);
        ok
    }

    fn on_error(&self, ev: &web_sys::Event) {
        // Failed resource loads are plain events, and never reach the bubbling phase anyway.
        let Some(e) = ev.dyn_ref::<web_sys::ErrorEvent>() else { return };
        let error = e.error();
        let stack = string_prop(&error, "stack");
        let source = e.filename();
        if is_agent_error(&source, &stack, &self.collector()) || !State::take(&self.errors) {
            return;
        }
        self.record(EventData::Error(ErrorInfo {
            message: cap(&e.message(), ERROR_MESSAGE_MAX_CHARS),
            source: cap(&source, URL_MAX_CHARS),
            line: e.lineno(),
            column: e.colno(),
            stack: cap(&stack, ERROR_STACK_MAX_CHARS),
            rejection: false,
        }));
    }

    fn on_rejection(&self, ev: &web_sys::Event) {
        let Some(e) = ev.dyn_ref::<web_sys::PromiseRejectionEvent>() else { return };
        let reason = e.reason();
        let stack = string_prop(&reason, "stack");
        let collector = self.collector();
        // A rejection has no source; its stack's top frame stands for it.
        if !stack.is_empty() && is_agent_error(&first_frame_url(&stack), &stack, &collector) {
            return;
        }
        if !State::take(&self.errors) {
            return;
        }
        self.record(EventData::Error(ErrorInfo {
            message: cap(&describe(&reason), ERROR_MESSAGE_MAX_CHARS),
            source: String::new(),
            line: 0,
            column: 0,
            stack: cap(&stack, ERROR_STACK_MAX_CHARS),
            rejection: true,
        }));
    }

    fn on_request(&self, mut info: NetworkInfo) {
        let collector = self.collector();
        if is_agent_url(&info.url, &collector) {
            return;
        }
        let enabled = self.agent.try_borrow().map(|a| network_capture_enabled(&a)).unwrap_or(false);
        if !enabled || !State::take(&self.requests) {
            return;
        }
        info.url = cap(&info.url, URL_MAX_CHARS);
        self.record(EventData::Network(info));
    }

    fn on_data_layer(&self, entry: &JsValue) {
        let value = convert::to_value(entry);
        if let Ok(mut a) = self.agent.try_borrow_mut() {
            a.data_layer(&value, dom::now_ms());
        }
    }
}

/// `v[key]` when it is a string (a throwing getter reads as empty).
fn string_prop(v: &JsValue, key: &str) -> String {
    if !v.is_object() {
        return String::new();
    }
    Reflect::get(v, &JsValue::from_str(key)).ok().and_then(|s| s.as_string()).unwrap_or_default()
}

/// A rejection reason as text, without running the page's `toString`: a string as it is, an
/// error's `name: message`, other values by type.
fn describe(reason: &JsValue) -> String {
    if let Some(s) = reason.as_string() {
        return s;
    }
    if let Some(n) = reason.as_f64() {
        return crate::jsnum::number_to_string(n);
    }
    if let Some(b) = reason.as_bool() {
        return format!("{b}");
    }
    if reason.is_undefined() {
        return String::from("undefined");
    }
    if reason.is_null() {
        return String::from("null");
    }
    let message = string_prop(reason, "message");
    let name = string_prop(reason, "name");
    match (name.is_empty(), message.is_empty()) {
        (false, false) => format!("{name}: {message}"),
        (true, false) => message,
        (false, true) => name,
        (true, true) => {
            let ctor = Reflect::get(reason, &JsValue::from_str("constructor")).ok();
            let cname = ctor.map(|c| string_prop(&c, "name")).unwrap_or_default();
            if cname.is_empty() {
                String::from("[object]")
            } else {
                format!("[object {cname}]")
            }
        }
    }
}

/// The script URL of a stack's first frame (Chromium `at f (URL:1:2)` or `at URL:1:2`,
/// Firefox/Safari `f@URL:1:2`), without line and column.
fn first_frame_url(stack: &str) -> String {
    for line in stack.lines() {
        let Some(i) = line.find("://") else { continue };
        let start = line[..i].rfind(['(', '@', ' ']).map_or(0, |j| j + 1);
        let mut url = line[start..].trim_end_matches(')');
        // Drop `:line:col`.
        for _ in 0..2 {
            if let Some((head, tail)) = url.rsplit_once(':') {
                if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) {
                    url = head;
                }
            }
        }
        return String::from(url);
    }
    String::new()
}
