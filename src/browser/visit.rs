//! The rest of a visit, beside the DOM: interactions (`interactions.rs`), navigation
//! (`navigation.rs`), errors, requests and `dataLayer` (`hooks.rs`). One handle for `App`:
//! started once, polled on the agent's tick, flushed on page hide, and torn down on drop (the
//! page's wrapped functions are restored first, so no wrapper can call into a dropped closure).

use super::handles::Guard;
use super::hooks::{Hooks, PageHooks};
use super::interactions::Interactions;
pub use super::interactions::VisitOptions;
use super::navigation::Navigation;
use super::recorder::Reader;
use crate::agent::Agent;
use alloc::rc::Rc;
use core::cell::RefCell;
use wasm_bindgen::JsValue;

pub struct Visit {
    hooks: Option<Hooks>,
    interactions: Interactions,
    navigation: Navigation,
    page: PageHooks,
}

impl Visit {
    /// Starts from the agent's start config: `reader` (node ids) and `hooks` (js/hooks.mjs)
    /// are used when present; without them clicks have no node and History API calls, requests
    /// and `dataLayer` are not seen (popstate, hashchange and the tick's URL check still are).
    pub fn start(guard: &Guard, agent: Rc<RefCell<Agent>>, config: &JsValue, opts: VisitOptions) -> Visit {
        let hooks = Hooks::from_config(config);
        let interactions = Interactions::start(guard, agent.clone(), Reader::from_config(config), opts);
        let navigation = Navigation::start(guard, agent.clone(), hooks.as_ref());
        let page = PageHooks::start(guard, agent, hooks.clone());
        Visit { hooks, interactions, navigation, page }
    }

    /// The agent's tick: held-back pointer, scroll and size; a `dataLayer` that appeared; a URL
    /// that changed unseen.
    pub fn poll(&self) {
        self.interactions.poll();
        self.navigation.poll();
        self.page.poll();
    }

    /// Page hide: everything held back, now.
    pub fn flush(&self) {
        self.interactions.flush();
    }
}

impl Drop for Visit {
    fn drop(&mut self) {
        if let Some(h) = &self.hooks {
            h.disconnect();
        }
    }
}
