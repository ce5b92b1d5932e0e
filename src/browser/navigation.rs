//! Navigation inside a page load: `pushState` / `replaceState` (wrapped by js/hooks.mjs),
//! `popstate`, `hashchange`, and a return from the back/forward cache (`pageshow` with
//! `persisted`). Each change of URL becomes a `Navigation` event and a page view
//! (`Agent::navigation`); a URL that did not change is nothing (`sampling::NavTracker`). The
//! agent's tick also compares `location.href` with the last URL seen, which catches a History
//! call made through a reference saved before the agent loaded (reported as `Push`).
//!
//! A bfcache return also asks for a new full snapshot, records a page view again and sends
//! what is pending.

use super::dom;
use super::handles::Guard;
use super::hooks::{EventHandle, Hooks};
use crate::agent::Agent;
use crate::config::URL_MAX_CHARS;
use crate::event::NavKind;
use crate::sampling::{cap, NavTracker};
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;
use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

pub struct Navigation {
    state: Rc<State>,
    _handles: Vec<EventHandle>,
    _on_history: Option<Closure<dyn FnMut(JsValue)>>,
}

struct State {
    agent: Rc<RefCell<Agent>>,
    tracker: RefCell<NavTracker>,
}

impl Navigation {
    pub fn start(guard: &Guard, agent: Rc<RefCell<Agent>>, hooks: Option<&Hooks>) -> Navigation {
        let (href, _) = dom::location();
        let state = Rc::new(State { agent, tracker: RefCell::new(NavTracker::new(&href)) });
        let mut handles = Vec::new();
        let s = state.clone();
        handles.extend(EventHandle::on_window(guard, "popstate", false, move |_| s.check(NavKind::Pop)));
        let s = state.clone();
        handles.extend(EventHandle::on_window(guard, "hashchange", false, move |_| s.check(NavKind::Hash)));
        let s = state.clone();
        handles.extend(EventHandle::on_window(guard, "pageshow", false, move |ev| s.on_pageshow(&ev)));
        let on_history = hooks.map(|h| {
            let s = state.clone();
            let closure = Closure::<dyn FnMut(JsValue)>::new(move |kind: JsValue| {
                s.check(if kind.as_f64() == Some(1.0) { NavKind::Replace } else { NavKind::Push });
            });
            h.history(&guard.wrap(closure.as_ref().unchecked_ref()));
            closure
        });
        Navigation { state, _handles: handles, _on_history: on_history }
    }

    /// On the agent's tick: a URL change no hook or event reported.
    pub fn poll(&self) {
        self.state.check(NavKind::Push);
    }
}

impl State {
    fn check(&self, trigger: NavKind) {
        // On every tick: one read of `location.href`; the title only when the URL changed.
        let Some(href) = web_sys::window().and_then(|w| w.location().href().ok()) else { return };
        let kind = self.tracker.borrow_mut().observe(&href, trigger);
        let Some(kind) = kind else { return };
        let title = web_sys::window().and_then(|w| w.document()).map(|d| d.title()).unwrap_or_default();
        let Ok(mut a) = self.agent.try_borrow_mut() else { return };
        a.navigation(dom::now_ms(), cap(&href, URL_MAX_CHARS), title, kind);
        drop(a);
        super::after(&self.agent);
    }

    fn on_pageshow(&self, ev: &web_sys::Event) {
        let persisted = Reflect::get(ev, &JsValue::from_str("persisted")).ok().and_then(|v| v.as_bool()).unwrap_or(false);
        if !persisted {
            return;
        }
        let (href, title) = dom::location();
        self.tracker.borrow_mut().observe(&href, NavKind::Pop);
        let Ok(mut a) = self.agent.try_borrow_mut() else { return };
        a.bfcache_restored(dom::now_ms(), cap(&href, URL_MAX_CHARS), title);
        drop(a);
        super::after(&self.agent);
    }
}
