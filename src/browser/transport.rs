//! Sends the core's requests: `fetch` with `keepalive` (survives page hide), no credentials,
//! no custom headers (so no CORS preflight). Batches are gzip-compressed by the browser's own
//! CompressionStream when it exists, which adds no bytes to the agent.

use super::handles::Guard;
use crate::agent::Request;
use alloc::format;
use js_sys::{Promise, Uint8Array};
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
    let Ok(f) = js_sys::Reflect::get(promise, &JsValue::from_str("then")) else { return };
    let Some(f) = f.dyn_ref::<js_sys::Function>() else { return };
    let _ = f.call2(promise, &guard.wrap(ok.unchecked_ref()), &guard.wrap(err.unchecked_ref()));
}

pub fn send(guard: &Guard, req: Request) {
    if req.compress {
        if let Some(p) = gzip(&req.body) {
            let url = format!("{}&enc=gzip", req.url);
            let fallback = req;
            let g = guard.clone();
            let ok = Closure::<dyn FnMut(JsValue)>::once_into_js(move |buf: JsValue| post(&g, &url, &Uint8Array::new(&buf)));
            let g = guard.clone();
            // Compression failing is not a reason to lose the batch.
            let err = Closure::<dyn FnMut(JsValue)>::once_into_js(move |_e: JsValue| post(&g, &fallback.url, &Uint8Array::from(&fallback.body[..])));
            then(guard, &p, ok, err);
            return;
        }
    }
    post(guard, &req.url, &Uint8Array::from(&req.body[..]));
}

fn gzip(bytes: &[u8]) -> Option<Promise> {
    let cs = CompressionStream::new("gzip").ok()?;
    let parts = js_sys::Array::of1(&Uint8Array::from(bytes));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).ok()?;
    let stream = blob.stream().pipe_through(cs.unchecked_ref());
    let resp = web_sys::Response::new_with_opt_readable_stream(Some(stream.unchecked_ref())).ok()?;
    resp.array_buffer().ok()
}

fn post(guard: &Guard, url: &str, body: &Uint8Array) {
    let Some(window) = web_sys::window() else { return };
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(body);
    // Not in web-sys's RequestInit yet; a plain property works in every engine.
    let _ = js_sys::Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::TRUE);
    init.set_mode(web_sys::RequestMode::Cors);
    init.set_credentials(web_sys::RequestCredentials::Omit);
    let promise = window.fetch_with_str_and_init(url, &init);
    // A dead collector must not become an unhandled rejection in the page's console.
    let swallow = Closure::<dyn FnMut(JsValue)>::once_into_js(|_e: JsValue| {});
    let noop = Closure::<dyn FnMut(JsValue)>::once_into_js(|_r: JsValue| {});
    then(guard, &promise, noop, swallow);
}
