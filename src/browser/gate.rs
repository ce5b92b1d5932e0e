//! The privacy gate in the page: fetches the site settings (with credentials, so the
//! collector sees its own opt-out cookie), configures the DOM reader with them, and starts the
//! DOM recording only while the core allows recording (settings known, consent not withheld,
//! not opted out), stopping it again when consent is withdrawn. The decisions are the core's
//! (`crate::agent` gate, `crate::privacy`); this only carries them out.

use super::handles::Guard;
use super::recorder::{DomDriver, Reader};
use super::{after, dom};
use crate::agent::{Agent, PrivacyStart};
use alloc::rc::Rc;
use core::cell::{Cell, RefCell};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// How the agent starts in a page: it waits for the site settings; GPC as the browser says.
pub fn privacy_start() -> PrivacyStart {
    PrivacyStart { await_settings: true, gpc: gpc() }
}

/// `navigator.globalPrivacyControl === true`.
fn gpc() -> bool {
    web_sys::window()
        .and_then(|w| Reflect::get(&w.navigator(), &JsValue::from_str("globalPrivacyControl")).ok())
        .is_some_and(|v| v.as_bool() == Some(true))
}

/// The DOM recording, started and stopped as the gate says.
pub struct DomSlot {
    guard: Guard,
    agent: Rc<RefCell<Agent>>,
    reader: Option<Reader>,
    driver: RefCell<Option<Rc<DomDriver>>>,
    /// Settings generation the reader was last configured with.
    configured: Cell<Option<u32>>,
    /// The reader cannot run here: not retried.
    unusable: Cell<bool>,
}

impl DomSlot {
    pub fn new(guard: &Guard, agent: Rc<RefCell<Agent>>, reader: Option<Reader>) -> Rc<DomSlot> {
        Rc::new(DomSlot {
            guard: guard.clone(),
            agent,
            reader,
            driver: RefCell::new(None),
            configured: Cell::new(None),
            unusable: Cell::new(false),
        })
    }

    /// The running DOM recording, if any.
    pub fn driver(&self) -> Option<Rc<DomDriver>> {
        self.driver.borrow().clone()
    }

    /// Starts or stops the DOM recording to match the gate; reconfigures the reader when the
    /// settings changed.
    pub fn sync(&self) {
        let (on, generation) = {
            let a = self.agent.borrow();
            (a.recording(), a.settings_generation())
        };
        if !on {
            // Dropping the driver disconnects the reader and undoes its patches.
            let old = self.driver.borrow_mut().take();
            drop(old);
            return;
        }
        if self.driver.borrow().is_some() {
            if self.configured.get() != Some(generation) {
                self.configure(generation);
            }
            return;
        }
        if self.unusable.get() {
            return;
        }
        let Some(reader) = self.reader.as_ref().map(|r| JsValue::clone(r).unchecked_into::<Reader>()) else { return };
        self.configure(generation);
        match DomDriver::start(&self.guard, self.agent.clone(), reader, Default::default()) {
            Some(d) => *self.driver.borrow_mut() = Some(Rc::new(d)),
            None => self.unusable.set(true),
        }
    }

    /// `reader.configure({censorInputs, denyParams})` (a reader without it keeps its defaults).
    fn configure(&self, generation: u32) {
        self.configured.set(Some(generation));
        let Some(reader) = &self.reader else { return };
        let Ok(f) = Reflect::get(reader, &JsValue::from_str("configure")) else { return };
        let Some(f) = f.dyn_ref::<js_sys::Function>() else { return };
        let opts = Object::new();
        let a = self.agent.borrow();
        let _ = Reflect::set(&opts, &JsValue::from_str("censorInputs"), &JsValue::from_bool(a.settings().censor_inputs));
        let deny: Array = a.url_deny_params().iter().map(|d| JsValue::from_str(d)).collect();
        drop(a);
        let _ = Reflect::set(&opts, &JsValue::from_str("denyParams"), &deny);
        let _ = f.call1(reader, &opts);
    }

    /// The periodic tick: match the gate, then the driver's own checks.
    pub fn poll(&self) {
        self.sync();
        if let Some(d) = self.driver() {
            d.poll();
        }
    }

    /// Page hide: record pending changes now.
    pub fn flush(&self) {
        if let Some(d) = self.driver() {
            d.flush();
        }
    }
}

/// Sends the settings request when the core asks for it (once the site is known), and hands
/// the answer back; then the DOM recording follows the gate.
pub fn fetch_settings(guard: &Guard, agent: &Rc<RefCell<Agent>>, slot: &Rc<DomSlot>) {
    let Some(url) = agent.borrow_mut().settings_request(dom::now_ms()) else { return };
    let done = {
        let agent = agent.clone();
        let slot = slot.clone();
        move |body: Option<alloc::vec::Vec<u8>>| {
            let mut a = agent.borrow_mut();
            // `Start` and the first page view are recorded now: with the location of now.
            let (href, title) = dom::location();
            a.set_location(href, title);
            a.settings_reply(dom::now_ms(), body.as_deref());
            drop(a);
            after(&agent);
            slot.sync();
        }
    };
    let Some(window) = web_sys::window() else {
        done(None);
        return;
    };
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    init.set_mode(web_sys::RequestMode::Cors);
    // The collector's opt-out cookie travels with it (and nothing else is sent).
    init.set_credentials(web_sys::RequestCredentials::Include);
    let promise = window.fetch_with_str_and_init(&url, &init);
    let done = Rc::new(RefCell::new(Some(done)));
    let finish = move |body: Option<alloc::vec::Vec<u8>>| {
        if let Some(f) = done.borrow_mut().take() {
            f(body);
        }
    };
    let finish = Rc::new(finish);
    let g = guard.clone();
    let f_ok = finish.clone();
    let ok = Closure::<dyn FnMut(JsValue)>::once_into_js(move |resp: JsValue| {
        let Some(resp) = resp.dyn_ref::<web_sys::Response>().filter(|r| r.ok()) else {
            f_ok(None);
            return;
        };
        let Ok(buf) = resp.array_buffer() else {
            f_ok(None);
            return;
        };
        let f1 = f_ok.clone();
        let f2 = f_ok.clone();
        let got = Closure::<dyn FnMut(JsValue)>::once_into_js(move |b: JsValue| f1(Some(Uint8Array::new(&b).to_vec())));
        let failed = Closure::<dyn FnMut(JsValue)>::once_into_js(move |_e: JsValue| f2(None));
        then(&g, &buf, got, failed);
    });
    let f_err = finish.clone();
    let err = Closure::<dyn FnMut(JsValue)>::once_into_js(move |_e: JsValue| f_err(None));
    then(guard, &promise, ok, err);
}

/// `promise.then(ok, err)` with plain functions, each behind the loader's guard.
fn then(guard: &Guard, promise: &JsValue, ok: JsValue, err: JsValue) {
    let Ok(f) = Reflect::get(promise, &JsValue::from_str("then")) else { return };
    let Some(f) = f.dyn_ref::<js_sys::Function>() else { return };
    let _ = f.call2(promise, &guard.wrap(ok.unchecked_ref()), &guard.wrap(err.unchecked_ref()));
}
