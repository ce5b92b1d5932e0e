//! `window.__insp`: drains what the page queued before the agent loaded, in order, then
//! replaces `push` so later commands go straight to the agent.

use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::handles::Guard;

const QUEUE: &str = "__insp";

pub struct QueueHook {
    queue: JsValue,
    _closure: Closure<dyn FnMut(JsValue, JsValue, JsValue, JsValue)>,
}

impl QueueHook {
    pub fn install(guard: &Guard, mut handle: impl FnMut(&JsValue) + 'static) -> Option<QueueHook> {
        let window: JsValue = web_sys::window()?.into();
        let key = JsValue::from_str(QUEUE);
        let mut queue = Reflect::get(&window, &key).ok()?;
        if !queue.is_object() {
            queue = Array::new().into();
            Reflect::set(&window, &key, &queue).ok()?;
        }
        if let Some(arr) = queue.dyn_ref::<Array>() {
            // Copy first: a command may push more entries while being handled.
            let pending: alloc::vec::Vec<JsValue> = arr.iter().collect();
            arr.set_length(0);
            for entry in &pending {
                handle(entry);
            }
        }
        // `push(a, b, ...)` like Array.prototype.push; four arguments cover every real use.
        let closure = Closure::<dyn FnMut(JsValue, JsValue, JsValue, JsValue)>::new(
            move |a: JsValue, b: JsValue, c: JsValue, d: JsValue| {
                for entry in [a, b, c, d] {
                    if !entry.is_undefined() {
                        handle(&entry);
                    }
                }
            },
        );
        let func = guard.wrap(closure.as_ref().unchecked_ref());
        Reflect::set(&queue, &JsValue::from_str("push"), &func).ok()?;
        Some(QueueHook { queue, _closure: closure })
    }
}

impl Drop for QueueHook {
    fn drop(&mut self) {
        // Back to Array.prototype.push: commands queue up again instead of hitting a dead closure.
        let _ = Reflect::delete_property(self.queue.unchecked_ref::<js_sys::Object>(), &JsValue::from_str("push"));
    }
}
