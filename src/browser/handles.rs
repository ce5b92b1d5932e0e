//! Self-tearing-down handles for everything the agent hooks into the page: dropping one
//! removes the timer or listener, so teardown is just `Drop`.

use alloc::boxed::Box;
use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// The loader's `wrap(fn)`: returns a function that calls `fn` inside try/catch and turns the
/// agent off after the first failure. Absent (in tests), functions are used as they are.
#[derive(Clone)]
pub struct Guard {
    wrap: Option<Function>,
}

impl Guard {
    pub fn from_config(config: &JsValue) -> Guard {
        let wrap = Reflect::get(config, &JsValue::from_str("wrap")).ok().and_then(|w| w.dyn_into::<Function>().ok());
        Guard { wrap }
    }

    pub fn wrap(&self, f: &Function) -> Function {
        match &self.wrap {
            Some(w) => w.call1(&JsValue::UNDEFINED, f).ok().and_then(|g| g.dyn_into().ok()).unwrap_or_else(|| f.clone()),
            None => f.clone(),
        }
    }
}

pub struct Interval {
    id: i32,
    _closure: Closure<dyn FnMut()>,
}

impl Interval {
    pub fn new(guard: &Guard, period_ms: u32, f: impl FnMut() + 'static) -> Interval {
        let closure = Closure::<dyn FnMut()>::new(f);
        let func = guard.wrap(closure.as_ref().unchecked_ref());
        let id = web_sys::window()
            .and_then(|w| w.set_interval_with_callback_and_timeout_and_arguments_0(&func, period_ms as i32).ok())
            .unwrap_or(0);
        Interval { id, _closure: closure }
    }
}

impl Drop for Interval {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            w.clear_interval_with_handle(self.id);
        }
    }
}

pub struct Listener {
    target: web_sys::EventTarget,
    kind: &'static str,
    func: Function,
    _closure: Closure<dyn FnMut()>,
}

impl Listener {
    fn on(target: web_sys::EventTarget, guard: &Guard, kind: &'static str, f: Box<dyn FnMut()>) -> Option<Listener> {
        let closure = Closure::<dyn FnMut()>::wrap(f);
        let func = guard.wrap(closure.as_ref().unchecked_ref());
        target.add_event_listener_with_callback(kind, &func).ok()?;
        Some(Listener { target, kind, func, _closure: closure })
    }

    pub fn on_window(guard: &Guard, kind: &'static str, f: impl FnMut() + 'static) -> Option<Listener> {
        Self::on(web_sys::window()?.into(), guard, kind, Box::new(f))
    }

    pub fn on_document(guard: &Guard, kind: &'static str, f: impl FnMut() + 'static) -> Option<Listener> {
        Self::on(web_sys::window()?.document()?.into(), guard, kind, Box::new(f))
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.target.remove_event_listener_with_callback(self.kind, &self.func);
    }
}
