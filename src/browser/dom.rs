//! Reads the page facts the core needs and writes cookies and console lines.

use crate::agent::StartEnv;
use crate::session::SetCookie;
use alloc::format;
use alloc::string::String;
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};

pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

fn rand_u64() -> u64 {
    // Ids only need to be unique; two Math.random() halves avoid a dependency on crypto.
    let hi = (js_sys::Math::random() * 4294967296.0) as u64;
    let lo = (js_sys::Math::random() * 4294967296.0) as u64;
    (hi << 32) | lo
}

fn config_str(config: &JsValue, key: &str) -> Option<String> {
    Reflect::get(config, &JsValue::from_str(key)).ok()?.as_string()
}

pub fn start_env(config: &JsValue) -> Option<StartEnv> {
    let window = web_sys::window()?;
    let document = window.document()?;
    let collector = config_str(config, "collector").unwrap_or_default();
    let default_wid = Reflect::get(config, &JsValue::from_str("wid"))
        .ok()
        .and_then(|w| w.as_string().or_else(|| w.as_f64().map(crate::jsnum::number_to_string)))
        .and_then(|s| s.trim().parse::<u64>().ok())
        .filter(|w| *w > 0);
    let html: Option<&web_sys::HtmlDocument> = document.dyn_ref();
    Some(StartEnv {
        now_ms: now_ms(),
        rand: [rand_u64(), rand_u64(), rand_u64()],
        collector: String::from(collector.trim_end_matches('/')),
        default_wid,
        url: window.location().href().unwrap_or_default(),
        title: document.title(),
        referrer: document.referrer(),
        width: window.inner_width().ok().and_then(|v| v.as_f64()).unwrap_or(0.0) as u32,
        height: window.inner_height().ok().and_then(|v| v.as_f64()).unwrap_or(0.0) as u32,
        cookies: html.and_then(|h| h.cookie().ok()).unwrap_or_default(),
    })
}

/// `location.href` and `document.title` now.
pub fn location() -> (String, String) {
    let Some(w) = web_sys::window() else { return Default::default() };
    let title = w.document().map(|d| d.title()).unwrap_or_default();
    (w.location().href().unwrap_or_default(), title)
}

pub fn hidden() -> bool {
    web_sys::window().and_then(|w| w.document()).map(|d| d.hidden()).unwrap_or(false)
}

pub fn set_cookie(c: &SetCookie) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    let Some(html) = doc.dyn_ref::<web_sys::HtmlDocument>() else { return };
    let secure = web_sys::window().and_then(|w| w.location().protocol().ok()).is_some_and(|p| p == "https:");
    let line = format!(
        "{}={}; path=/; max-age={}; SameSite=Lax{}",
        c.name,
        c.value,
        c.max_age_s,
        if secure { "; Secure" } else { "" }
    );
    let _ = html.set_cookie(&line);
}

pub fn warn(line: &str) {
    web_sys::console::warn_1(&JsValue::from_str(line));
}

pub fn log(line: &str) {
    web_sys::console::log_1(&JsValue::from_str(line));
}
