//! A macrotask the agent can post to itself: a `MessageChannel` message, so the page runs
//! between two of them. Unlike `setTimeout(0)` it is neither clamped to 4 ms when nested nor
//! throttled to once a second in background tabs. Dropping the handle closes the channel.

use super::handles::Guard;
use core::cell::Cell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

pub struct Task {
    channel: web_sys::MessageChannel,
    posted: Cell<bool>,
    _closure: Closure<dyn FnMut()>,
}

impl Task {
    /// `f` runs once per `post()` that found no message already on its way.
    pub fn new(guard: &Guard, f: impl FnMut() + 'static) -> Option<Task> {
        let channel = web_sys::MessageChannel::new().ok()?;
        let closure = Closure::<dyn FnMut()>::new(f);
        let func = guard.wrap(closure.as_ref().unchecked_ref());
        // Setting `onmessage` also starts the port.
        channel.port1().set_onmessage(Some(&func));
        Some(Task { channel, posted: Cell::new(false), _closure: closure })
    }

    /// Schedules the task; at most one message is in flight.
    pub fn post(&self) {
        if !self.posted.replace(true) && self.channel.port2().post_message(&JsValue::NULL).is_err() {
            self.posted.set(false);
        }
    }

    /// Called first thing by the task's function: later `post()`s schedule it again.
    pub fn begin(&self) {
        self.posted.set(false);
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        let port = self.channel.port1();
        port.set_onmessage(None);
        port.close();
        self.channel.port2().close();
    }
}
