//! What the visitor does with the page: pointer movement (sampled), clicks and touches, window
//! scroll and viewport size (throttled), focus, media playback, tab visibility, plus the one
//! `Device` event of the page load. Every listener is a capture-phase, passive [`EventHandle`]
//! on window (so it sees events first, and those that do not bubble), removed on drop.
//!
//! * Node ids come from the DOM reader (`idOf`), 0 for a node not recorded; without a reader
//!   everything but node ids is still recorded. Targets inside open shadow roots are found
//!   through `composedPath()`.
//! * Element scrolling is not recorded here: the reader lists it as `Prop::Scroll` changes in
//!   the DOM recording (one per macrotask at most), which replay and the rrweb export apply.
//! * Form values are not read here either: `input`/`change` reach the reader, whose
//!   `readValue` is the only path of a form value into the recording.
//! * Idle costs nothing: no timers of its own; the agent's tick only releases what the
//!   sampler and throttles hold back (nothing when they are idle).

use super::dom;
use super::handles::Guard;
use super::hooks::EventHandle;
use super::recorder::Reader;
use crate::agent::Agent;
use crate::config::{MOUSE_BATCH_MS, MOUSE_SAMPLE_MIN_GAP_MS, RESIZE_THROTTLE_MS, SCROLL_THROTTLE_MS, URL_MAX_CHARS};
use crate::event::{DeviceInfo, EventData, MouseKind, NodeId};
use crate::sampling::{cap, MoveBatch, MouseSampler, Throttle};
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// The id the reader gave `node`, 0 when it has none (js/reader.mjs `idOf`).
    #[wasm_bindgen(method, js_name = idOf)]
    fn id_of_node(this: &Reader, node: &JsValue) -> u32;
}

/// Tunables of visit recording (defaults from `crate::config`; tests shrink them).
#[derive(Debug, Clone, Copy)]
pub struct VisitOptions {
    pub mouse_gap_ms: u64,
    pub mouse_batch_ms: u64,
    pub scroll_ms: u64,
    pub resize_ms: u64,
}

impl Default for VisitOptions {
    fn default() -> Self {
        VisitOptions {
            mouse_gap_ms: MOUSE_SAMPLE_MIN_GAP_MS,
            mouse_batch_ms: MOUSE_BATCH_MS,
            scroll_ms: SCROLL_THROTTLE_MS,
            resize_ms: RESIZE_THROTTLE_MS,
        }
    }
}

pub struct Interactions {
    state: Rc<State>,
    _handles: Vec<EventHandle>,
}

struct State {
    agent: Rc<RefCell<Agent>>,
    reader: Option<Reader>,
    mouse: RefCell<MouseSampler>,
    scroll: RefCell<Throttle<(i32, i32)>>,
    viewport: RefCell<Throttle<(u32, u32)>>,
    /// The `Device` event waits for the recording to start (site settings known).
    device_pending: core::cell::Cell<bool>,
}

impl Interactions {
    pub fn start(guard: &Guard, agent: Rc<RefCell<Agent>>, reader: Option<Reader>, opts: VisitOptions) -> Interactions {
        let state = Rc::new(State {
            agent,
            reader,
            mouse: RefCell::new(MouseSampler::new(opts.mouse_gap_ms, opts.mouse_batch_ms)),
            scroll: RefCell::new(Throttle::new(opts.scroll_ms)),
            viewport: RefCell::new(Throttle::new(opts.resize_ms)),
            device_pending: core::cell::Cell::new(true),
        });
        // The size at start is in `Start`: only changes are recorded.
        if let Some((w, h)) = inner_size() {
            let _ = state.viewport.borrow_mut().offer(0, (w, h));
        }
        let mut handles = Vec::new();
        let mut on = |kind: &'static str, f: fn(&State, &web_sys::Event)| {
            let s = state.clone();
            handles.extend(EventHandle::on_window(guard, kind, true, move |ev| f(&s, &ev)));
        };
        on("mousemove", State::on_move);
        on("touchmove", State::on_move);
        on("click", |s, ev| s.on_mouse(ev, MouseKind::Click));
        on("dblclick", |s, ev| s.on_mouse(ev, MouseKind::DblClick));
        on("contextmenu", |s, ev| s.on_mouse(ev, MouseKind::ContextMenu));
        on("mousedown", |s, ev| s.on_mouse(ev, MouseKind::Down));
        on("mouseup", |s, ev| s.on_mouse(ev, MouseKind::Up));
        on("touchstart", |s, ev| s.on_mouse(ev, MouseKind::TouchStart));
        on("touchend", |s, ev| s.on_mouse(ev, MouseKind::TouchEnd));
        on("scroll", State::on_scroll);
        on("resize", State::on_resize);
        on("focus", |s, ev| s.on_focus(ev, true));
        on("blur", |s, ev| s.on_focus(ev, false));
        on("play", State::on_media);
        on("pause", State::on_media);
        on("seeked", State::on_media);
        // Capture on window runs before the agent's own `visibilitychange` listener (which
        // flushes on hide), so the event leaves with that flush.
        on("visibilitychange", |s, _| {
            s.record(dom::now_ms(), EventData::Visibility { hidden: dom::hidden() }, false);
        });
        state.device();
        Interactions { state, _handles: handles }
    }

    /// On the agent's tick: what the sampler and throttles held back and is due now.
    pub fn poll(&self) {
        let now = dom::now_ms();
        let s = &self.state;
        s.device();
        let batch = s.mouse.borrow_mut().poll(now);
        s.moves(batch);
        let scroll = s.scroll.borrow_mut().poll(now);
        s.scrolled(scroll);
        let size = s.viewport.borrow_mut().poll(now);
        s.resized(size);
    }

    /// Everything held back, now (page hide).
    pub fn flush(&self) {
        let s = &self.state;
        let batch = s.mouse.borrow_mut().flush();
        s.moves(batch);
        let scroll = s.scroll.borrow_mut().flush();
        s.scrolled(scroll);
        let size = s.viewport.borrow_mut().flush();
        s.resized(size);
    }
}

impl State {
    /// Records at `t_ms` (which may be a little in the past: a batch's or a held-back value's
    /// own time; the agent keeps its buffer in time order). A busy agent (re-entered from
    /// within its own work) loses the event rather than panic.
    fn record(&self, t_ms: u64, data: EventData, active: bool) {
        if let Ok(mut a) = self.agent.try_borrow_mut() {
            a.record_visit_at(t_ms, data, active);
        }
    }

    /// The page load's one `Device` event, once the recording runs.
    fn device(&self) {
        if !self.device_pending.get() || !self.agent.try_borrow().is_ok_and(|a| a.recording()) {
            return;
        }
        self.device_pending.set(false);
        self.record(dom::now_ms(), EventData::Device(device()), false);
    }

    fn id_of(&self, node: &JsValue) -> NodeId {
        match &self.reader {
            Some(r) if !node.is_undefined() && !node.is_null() => r.id_of_node(node),
            _ => 0,
        }
    }

    /// The event's target, inside open shadow roots too.
    fn target_id(&self, ev: &web_sys::Event) -> NodeId {
        let path = ev.composed_path();
        let t = if path.length() > 0 { path.get(0) } else { ev.target().map(JsValue::from).unwrap_or(JsValue::UNDEFINED) };
        self.id_of(&t)
    }

    fn on_move(&self, ev: &web_sys::Event) {
        let Some((x, y)) = point(ev) else { return };
        let batch = self.mouse.borrow_mut().offer(dom::now_ms(), x, y);
        self.moves(batch);
    }

    fn moves(&self, batch: Option<MoveBatch>) {
        if let Some(b) = batch {
            self.record(b.t_ms, EventData::MouseMove { positions: b.positions }, true);
        }
    }

    fn on_mouse(&self, ev: &web_sys::Event, kind: MouseKind) {
        let (x, y) = point(ev).unwrap_or((0, 0));
        let id = self.target_id(ev);
        // The pointer's way here goes first.
        let batch = self.mouse.borrow_mut().flush();
        self.moves(batch);
        self.record(dom::now_ms(), EventData::Mouse { kind, id, x, y }, true);
    }

    fn on_scroll(&self, ev: &web_sys::Event) {
        // Only the viewport (the event targets the document); elements are the reader's.
        let Some(t) = ev.target() else { return };
        if t.dyn_ref::<web_sys::Document>().is_none() {
            return;
        }
        let Some(w) = web_sys::window() else { return };
        let pos = (w.scroll_x().unwrap_or(0.0).round() as i32, w.scroll_y().unwrap_or(0.0).round() as i32);
        let out = self.scroll.borrow_mut().offer(dom::now_ms(), pos);
        self.scrolled(out);
    }

    fn scrolled(&self, v: Option<(u64, (i32, i32))>) {
        let Some((t, (x, y))) = v else { return };
        let doc: JsValue = web_sys::window().and_then(|w| w.document()).map(JsValue::from).unwrap_or(JsValue::UNDEFINED);
        let id = self.id_of(&doc);
        // Before the first snapshot the document has no id; the snapshot has the offset.
        if id != 0 {
            self.record(t, EventData::Scroll { id, x, y }, true);
        }
    }

    fn on_resize(&self, ev: &web_sys::Event) {
        // `resize` also fires on elements (capture sees them); only the window's counts.
        if ev.target().is_some_and(|t| t.dyn_ref::<web_sys::Window>().is_none()) {
            return;
        }
        let Some(size) = inner_size() else { return };
        let out = self.viewport.borrow_mut().offer(dom::now_ms(), size);
        self.resized(out);
    }

    fn resized(&self, v: Option<(u64, (u32, u32))>) {
        if let Some((t, (width, height))) = v {
            self.record(t, EventData::Viewport { width, height }, false);
        }
    }

    fn on_focus(&self, ev: &web_sys::Event, focused: bool) {
        let id = self.target_id(ev);
        // The window's own focus and blur have no node.
        if id != 0 {
            self.record(dom::now_ms(), EventData::Focus { id, focused }, true);
        }
    }

    fn on_media(&self, ev: &web_sys::Event) {
        let Some(t) = ev.target() else { return };
        let Some(m) = t.dyn_ref::<web_sys::HtmlMediaElement>() else { return };
        let id = self.id_of(m.as_ref());
        if id == 0 {
            return;
        }
        let time = m.current_time();
        let time_ms = if time.is_finite() && time > 0.0 { (time * 1000.0).min(u32::MAX as f64) as u32 } else { 0 };
        self.record(dom::now_ms(), EventData::Media { id, playing: !m.paused(), time_ms }, true);
    }
}

/// Viewport coordinates of a mouse or touch event (first touch; `changedTouches` for an end).
fn point(ev: &web_sys::Event) -> Option<(i32, i32)> {
    if let Some(m) = ev.dyn_ref::<web_sys::MouseEvent>() {
        return Some((m.client_x(), m.client_y()));
    }
    let t = ev.dyn_ref::<web_sys::TouchEvent>()?;
    let touch = t.touches().get(0).or_else(|| t.changed_touches().get(0))?;
    Some((touch.client_x(), touch.client_y()))
}

fn inner_size() -> Option<(u32, u32)> {
    let w = web_sys::window()?;
    let num = |v: Result<JsValue, JsValue>| v.ok().and_then(|v| v.as_f64()).unwrap_or(0.0).max(0.0) as u32;
    Some((num(w.inner_width()), num(w.inner_height())))
}

/// The IANA time zone of the browser. `Temporal.Now.timeZoneId()` where it exists: it costs
/// well under a millisecond, while a page's first `Intl.DateTimeFormat` costs 15-40 ms of
/// main thread (ICU start-up; measured in Chromium 156 on the bench machine), so that one is
/// only the fallback. A throwing or fake `Temporal` falls back too.
fn time_zone() -> String {
    let key = |o: &JsValue, k: &str| Reflect::get(o, &JsValue::from_str(k)).ok().filter(|v| !v.is_undefined() && !v.is_null());
    let from_temporal = key(&js_sys::global(), "Temporal")
        .and_then(|t| key(&t, "Now"))
        .and_then(|now| {
            let f = key(&now, "timeZoneId")?.dyn_into::<js_sys::Function>().ok()?;
            f.call0(&now).ok()?.as_string()
        })
        .filter(|s| !s.is_empty());
    if let Some(tz) = from_temporal {
        return tz;
    }
    let dtf = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    Reflect::get(&dtf.resolved_options(), &JsValue::from_str("timeZone")).ok().and_then(|v| v.as_string()).unwrap_or_default()
}

/// The browser, screen and locale, read once.
fn device() -> DeviceInfo {
    let Some(w) = web_sys::window() else {
        return DeviceInfo {
            user_agent: String::new(),
            screen_width: 0,
            screen_height: 0,
            pixel_ratio_pct: 100,
            language: String::new(),
            time_zone: String::new(),
            referrer: String::new(),
        };
    };
    let nav = w.navigator();
    let (sw, sh) = w
        .screen()
        .ok()
        .map(|s| (s.width().unwrap_or(0).max(0) as u32, s.height().unwrap_or(0).max(0) as u32))
        .unwrap_or((0, 0));
    let time_zone = time_zone();
    DeviceInfo {
        user_agent: cap(&nav.user_agent().unwrap_or_default(), 512),
        screen_width: sw,
        screen_height: sh,
        pixel_ratio_pct: (w.device_pixel_ratio() * 100.0).round().clamp(0.0, u32::MAX as f64) as u32,
        language: cap(&nav.language().unwrap_or_default(), 64),
        time_zone: cap(&time_zone, 64),
        referrer: cap(&w.document().map(|d| d.referrer()).unwrap_or_default(), URL_MAX_CHARS),
    }
}
