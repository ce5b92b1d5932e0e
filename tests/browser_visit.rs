//! Visit recording in headless Chromium (wasm-bindgen-test): every observer of
//! `browser/interactions.rs`, `navigation.rs` and `hooks.rs` against real and synthetic events,
//! with the real DOM reader (node ids) and the real js/hooks.mjs wrappers: that they record,
//! that wrapped page functions keep their `this`, return values and exceptions (Tag
//! Manager-style wrappers installed before and after the agent included), and that teardown
//! restores the page.
#![cfg(target_arch = "wasm32")]

use insp_agent::agent::{Agent, StartEnv};
use insp_agent::browser::recorder::{DomDriver, DomOptions, Guard, Reader};
use insp_agent::browser::visit::{Visit, VisitOptions};
use insp_agent::browser::App;
use insp_agent::event::{EventData, MouseKind, NavKind, Prop};
use insp_agent::value::Value;
use js_sys::{Array, Function, Object, Promise, Reflect};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const READER_SOURCE: &str = include_str!("../js/reader.mjs");
const HOOKS_SOURCE: &str = include_str!("../js/hooks.mjs");
const COLLECTOR: &str = "http://127.0.0.1:9";

#[wasm_bindgen(module = "/tests/browser_visit.js")]
extern "C" {
    #[wasm_bindgen(js_name = importModule)]
    fn import_module(source: &str) -> Promise;
    fn sleep(ms: u32) -> Promise;
    #[wasm_bindgen(js_name = buildVisitPage)]
    fn build_visit_page();
    fn el(id: &str) -> JsValue;
    #[wasm_bindgen(js_name = freshElement)]
    fn fresh_element() -> JsValue;
    #[wasm_bindgen(js_name = innerButton)]
    fn inner_button() -> JsValue;
    fn mouse(target: &JsValue, kind: &str, x: i32, y: i32);
    fn touch(target: &JsValue, kind: &str, x: i32, y: i32);
    #[wasm_bindgen(js_name = typeInto)]
    fn type_into(id: &str, text: &str);
    fn choose(id: &str, index: u32);
    #[wasm_bindgen(js_name = playVideo)]
    fn play_video() -> Promise;
    #[wasm_bindgen(js_name = dispatchError)]
    fn dispatch_error(message: &str, filename: &str, line: u32, col: u32, stack: JsValue);
    #[wasm_bindgen(js_name = dispatchRejection)]
    fn dispatch_rejection(reason: JsValue);
    #[wasm_bindgen(js_name = brokenImage)]
    fn broken_image() -> Promise;
    #[wasm_bindgen(js_name = dispatchPageshow)]
    fn dispatch_pageshow(persisted: bool);
    #[wasm_bindgen(js_name = pushState)]
    fn push_state(url: &str) -> JsValue;
    #[wasm_bindgen(js_name = replaceState)]
    fn replace_state(url: &str) -> JsValue;
    #[wasm_bindgen(js_name = setHash)]
    fn set_hash(h: &str);
    fn back();
    fn href() -> String;
    #[wasm_bindgen(js_name = pushStateCrossOrigin)]
    fn push_state_cross_origin() -> String;
    #[wasm_bindgen(js_name = installPageHistoryWrapper)]
    fn install_page_history_wrapper();
    #[wasm_bindgen(js_name = pushThisWasHistory)]
    fn push_this_was_history() -> bool;
    #[wasm_bindgen(js_name = removePageHistoryWrapper)]
    fn remove_page_history_wrapper();
    #[wasm_bindgen(js_name = nativePush)]
    fn native_push(url: &str);
    #[wasm_bindgen(js_name = rememberNative)]
    fn remember_native();
    #[wasm_bindgen(js_name = nativesRestored)]
    fn natives_restored() -> bool;
    #[wasm_bindgen(js_name = networkNative)]
    fn network_native() -> bool;
    #[wasm_bindgen(js_name = wrappersLookNative)]
    fn wrappers_look_native() -> bool;
    #[wasm_bindgen(js_name = fetchPage)]
    fn fetch_page(init: JsValue) -> Promise;
    #[wasm_bindgen(js_name = fetchFails)]
    fn fetch_fails(url: &str) -> Promise;
    #[wasm_bindgen(js_name = xhrSendUnopened)]
    fn xhr_send_unopened() -> String;
    #[wasm_bindgen(js_name = xhrPage)]
    fn xhr_page() -> Promise;
    #[wasm_bindgen(js_name = xhrBadMethod)]
    fn xhr_bad_method() -> String;
    #[wasm_bindgen(js_name = resetDataLayer)]
    fn reset_data_layer(entries: JsValue);
    #[wasm_bindgen(js_name = dlPush)]
    fn dl_push(entry: JsValue) -> f64;
    #[wasm_bindgen(variadic)]
    fn gtag(args: &[JsValue]);
    #[wasm_bindgen(js_name = installGtm)]
    fn install_gtm(name: &str);
    #[wasm_bindgen(js_name = gtmCalls)]
    fn gtm_calls(name: &str) -> u32;
    #[wasm_bindgen(js_name = dataLayerPushIsOwn)]
    fn data_layer_push_is_own() -> bool;
}

async fn wait(p: Promise) -> JsValue {
    JsFuture::from(p).await.unwrap()
}

async fn pause(ms: u32) {
    wait(sleep(ms)).await;
}

fn s(x: &str) -> JsValue {
    JsValue::from_str(x)
}

fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &s(k), v).unwrap();
    }
    o.into()
}

async fn create(source: &str, name: &str) -> JsValue {
    let module = wait(import_module(source)).await;
    let f: Function = Reflect::get(&module, &s(name)).unwrap().dyn_into().unwrap();
    f.call1(&JsValue::NULL, &web_sys::window().unwrap().into()).unwrap()
}

fn env() -> StartEnv {
    let w = web_sys::window().unwrap();
    StartEnv {
        now_ms: js_sys::Date::now() as u64,
        rand: [11, 22, 33],
        collector: COLLECTOR.into(),
        default_wid: Some(1),
        url: w.location().href().unwrap(),
        title: "visit".into(),
        referrer: String::new(),
        width: 800,
        height: 600,
        cookies: String::new(),
    }
}

fn fast() -> VisitOptions {
    VisitOptions { mouse_gap_ms: 20, mouse_batch_ms: 100, scroll_ms: 50, resize_ms: 50 }
}

/// The agent, the real reader (snapshot taken, so nodes have ids), the real hooks and the
/// visit recording, as `App` wires them (without the tick: tests poll by hand).
struct Rig {
    agent: Rc<RefCell<Agent>>,
    reader: JsValue,
    visit: Option<Visit>,
    dom: Option<DomDriver>,
}

impl Rig {
    async fn new(opts: VisitOptions) -> Rig {
        Rig::with_agent(Agent::new(env()), opts).await
    }

    async fn with_agent(agent: Agent, opts: VisitOptions) -> Rig {
        Rig::with_reader_options(agent, opts, JsValue::UNDEFINED).await
    }

    async fn with_reader_options(agent: Agent, opts: VisitOptions, reader_opts: JsValue) -> Rig {
        let agent = Rc::new(RefCell::new(agent));
        let reader = create(READER_SOURCE, "createReader").await;
        if !reader_opts.is_undefined() {
            let f: Function = Reflect::get(&reader, &s("configure")).unwrap().dyn_into().unwrap();
            f.call1(&reader, &reader_opts).unwrap();
        }
        let hooks = create(HOOKS_SOURCE, "createHooks").await;
        let guard = Guard::from_config(&JsValue::UNDEFINED);
        let dom_opts = DomOptions { checkout_interval_ms: u64::MAX, ..Default::default() };
        let dom = DomDriver::start(&guard, agent.clone(), reader.clone().unchecked_into::<Reader>(), dom_opts).expect("reader starts");
        for _ in 0..200 {
            if !dom.walking() {
                break;
            }
            pause(5).await;
        }
        assert!(!dom.walking(), "snapshot done");
        let config = obj(&[("collector", s(COLLECTOR)), ("reader", reader.clone()), ("hooks", hooks)]);
        let visit = Visit::start(&guard, agent.clone(), &config, opts);
        Rig { agent, reader, visit: Some(visit), dom: Some(dom) }
    }

    fn id(&self, node: &JsValue) -> u32 {
        let f: Function = Reflect::get(&self.reader, &s("idOf")).unwrap().dyn_into().unwrap();
        f.call1(&self.reader, node).unwrap().as_f64().unwrap() as u32
    }

    fn events(&self) -> Vec<EventData> {
        self.agent.borrow().buffered_events().map(|(_, e)| e.clone()).collect()
    }

    fn visit(&self) -> &Visit {
        self.visit.as_ref().unwrap()
    }

    fn tag(&self, key: &str) -> Option<Option<String>> {
        self.agent.borrow().tags().get(key).map(|t| t.value.clone())
    }

    fn stop(&mut self) {
        self.visit = None;
        self.dom = None;
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.stop();
    }
}

fn mice(ev: &[EventData]) -> Vec<(MouseKind, u32, i32, i32)> {
    ev.iter()
        .filter_map(|e| match e {
            EventData::Mouse { kind, id, x, y } => Some((*kind, *id, *x, *y)),
            _ => None,
        })
        .collect()
}

fn navs(ev: &[EventData]) -> Vec<(String, NavKind)> {
    ev.iter()
        .filter_map(|e| match e {
            EventData::Navigation { url, kind } => Some((url.clone(), *kind)),
            _ => None,
        })
        .collect()
}

#[wasm_bindgen_test]
async fn clicks_and_touches_name_their_target_node() {
    build_visit_page();
    let rig = Rig::new(fast()).await;
    let btn = el("btn");
    let id = rig.id(&btn);
    assert_ne!(id, 0, "the button is recorded");
    for kind in ["mousedown", "mouseup", "click", "dblclick", "contextmenu"] {
        mouse(&btn, kind, 10, 12);
    }
    touch(&btn, "touchstart", 5, 6);
    touch(&btn, "touchend", 7, 8);
    // Inside an open shadow root: the inner button, not its host.
    let inner = inner_button();
    mouse(&inner, "click", 1, 2);
    // A node the recording does not have yet (added in this task): id 0.
    let loose = fresh_element();
    mouse(&loose, "click", 3, 4);
    let got = mice(&rig.events());
    use MouseKind::*;
    assert_eq!(
        got,
        vec![
            (Down, id, 10, 12),
            (Up, id, 10, 12),
            (Click, id, 10, 12),
            (DblClick, id, 10, 12),
            (ContextMenu, id, 10, 12),
            (TouchStart, id, 5, 6),
            (TouchEnd, id, 7, 8),
            (Click, rig.id(&inner), 1, 2),
            (Click, 0, 3, 4),
        ]
    );
    assert_ne!(rig.id(&inner), rig.id(&el("host")));
}

#[wasm_bindgen_test]
async fn pointer_movement_is_sampled_batched_and_idle_when_still() {
    build_visit_page();
    let rig = Rig::new(fast()).await;
    let btn = el("btn");
    // A burst in one task: the first position, and the last one as the resting position.
    for i in 0..30 {
        mouse(&btn, "mousemove", i, i * 2);
    }
    // The pointer rests a while: a tick keeps where it rests.
    pause(40).await;
    rig.visit().poll();
    // Then a few moves spread over time.
    for i in 0..4 {
        pause(30).await;
        mouse(&btn, "mousemove", 100 + i, 100);
    }
    pause(120).await;
    rig.visit().poll();
    let moves: Vec<Vec<(i32, i32, u32)>> = rig
        .events()
        .into_iter()
        .filter_map(|e| match e {
            EventData::MouseMove { positions } => Some(positions),
            _ => None,
        })
        .collect();
    let all: Vec<(i32, i32)> = moves.iter().flatten().map(|p| (p.0, p.1)).collect();
    assert_eq!(all.first(), Some(&(0, 0)));
    assert!(all.contains(&(29, 58)), "the burst's resting position: {all:?}");
    assert_eq!(all.last(), Some(&(103, 100)), "{all:?}");
    assert!(all.len() <= 7, "sampled: {all:?}");
    assert!(!moves.is_empty() && moves.len() <= 3, "batched: {moves:?}");
    // Nothing moves: polling records nothing.
    let n = rig.events().len();
    for _ in 0..5 {
        rig.visit().poll();
    }
    pause(150).await;
    rig.visit().poll();
    assert_eq!(rig.events().len(), n);
}

#[wasm_bindgen_test]
async fn window_scroll_is_throttled_and_ends_at_the_final_position() {
    build_visit_page();
    let rig = Rig::new(fast()).await;
    let w = web_sys::window().unwrap();
    let doc: JsValue = w.document().unwrap().into();
    let doc_id = rig.id(&doc);
    assert_ne!(doc_id, 0);
    for y in [100.0, 200.0, 300.0, 400.0] {
        w.scroll_to_with_x_and_y(0.0, y);
        pause(5).await;
    }
    pause(80).await;
    rig.visit().poll();
    let scrolls: Vec<(u32, i32, i32)> = rig
        .events()
        .into_iter()
        .filter_map(|e| match e {
            EventData::Scroll { id, x, y } => Some((id, x, y)),
            _ => None,
        })
        .collect();
    assert!(!scrolls.is_empty());
    assert!(scrolls.len() < 4, "throttled: {scrolls:?}");
    assert_eq!(scrolls.last(), Some(&(doc_id, 0, 400)));
    w.scroll_to_with_x_and_y(0.0, 0.0);
}

#[wasm_bindgen_test]
async fn a_resize_to_the_same_size_records_nothing() {
    build_visit_page();
    let rig = Rig::new(fast()).await;
    let w = web_sys::window().unwrap();
    w.dispatch_event(&web_sys::Event::new("resize").unwrap()).unwrap();
    pause(60).await;
    rig.visit().poll();
    rig.visit().flush();
    assert!(!rig.events().iter().any(|e| matches!(e, EventData::Viewport { .. })));
}

#[wasm_bindgen_test]
async fn focus_form_values_and_select_options_are_recorded() {
    build_visit_page();
    // Values in clear (`censorInputs` off): what passes is what readValue lets through.
    let rig = Rig::with_reader_options(Agent::new(env()), fast(), obj(&[("censorInputs", JsValue::FALSE)])).await;
    let name = el("name");
    let name_id = rig.id(&name);
    type_into("name", "Ada");
    type_into("pw", "hunter2");
    choose("sel", 2);
    let _ = name.unchecked_ref::<web_sys::HtmlElement>().blur();
    pause(20).await; // the reader's batch runs in its own macrotask
    let ev = rig.events();
    let focus: Vec<(u32, bool)> = ev
        .iter()
        .filter_map(|e| match e {
            EventData::Focus { id, focused } => Some((*id, *focused)),
            _ => None,
        })
        .collect();
    assert!(focus.contains(&(name_id, true)), "{focus:?}");
    assert!(focus.contains(&(name_id, false)), "{focus:?}");
    let props: Vec<(u32, Prop)> = ev
        .iter()
        .filter_map(|e| match e {
            EventData::Mutation(m) => Some(m.props.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(props.contains(&(name_id, Prop::Value("Ada".into()))), "{props:?}");
    let sel_id = rig.id(&el("sel"));
    assert!(props.contains(&(sel_id, Prop::Value("c".into()))), "{props:?}");
    assert!(props.iter().any(|(_, p)| matches!(p, Prop::Selected(true))), "option state: {props:?}");
    // Values pass through the reader's readValue: the password never appears in clear.
    let all = format!("{ev:?}");
    assert!(!all.contains("hunter2"));
}

#[wasm_bindgen_test]
async fn media_play_and_pause_carry_the_media_time() {
    build_visit_page();
    let rig = Rig::new(fast()).await;
    let vid = el("vid");
    let id = rig.id(&vid);
    wait(play_video()).await;
    let media: Vec<(u32, bool, u32)> = rig
        .events()
        .into_iter()
        .filter_map(|e| match e {
            EventData::Media { id, playing, time_ms } => Some((id, playing, time_ms)),
            _ => None,
        })
        .collect();
    assert!(media.len() >= 2, "{media:?}");
    assert_eq!((media[0].0, media[0].1), (id, true));
    let last = media.last().unwrap();
    assert_eq!((last.0, last.1), (id, false));
    assert!(last.2 >= media[0].2);
}

#[wasm_bindgen_test]
async fn visibility_device_and_bfcache_return() {
    build_visit_page();
    let rig = Rig::new(fast()).await;
    let ev = rig.events();
    let dev = ev.iter().find_map(|e| match e {
        EventData::Device(d) => Some(d.clone()),
        _ => None,
    });
    let dev = dev.expect("one Device event at start");
    assert!(dev.user_agent.contains("Mozilla"), "{dev:?}");
    assert!(dev.screen_width > 0 && dev.pixel_ratio_pct > 0 && !dev.language.is_empty() && !dev.time_zone.is_empty(), "{dev:?}");
    assert_eq!(ev.iter().filter(|e| matches!(e, EventData::Device(_))).count(), 1);

    let doc = web_sys::window().unwrap().document().unwrap();
    doc.dispatch_event(&web_sys::Event::new("visibilitychange").unwrap()).unwrap();
    assert!(rig.events().contains(&EventData::Visibility { hidden: false }));

    dispatch_pageshow(false);
    assert!(navs(&rig.events()).is_empty(), "a plain load is not a return");
    let _ = rig.agent.borrow_mut().take_snapshot_request();
    dispatch_pageshow(true);
    assert_eq!(navs(&rig.events()), vec![(href(), NavKind::Pop)]);
    assert!(rig.agent.borrow_mut().take_snapshot_request(), "a new full snapshot is asked for");
}

#[wasm_bindgen_test]
async fn history_hash_and_popstate_navigations() {
    build_visit_page();
    let start = href();
    remember_native();
    let rig = Rig::new(fast()).await;
    assert!(push_state("/visit-a?q=1").is_undefined(), "pushState's own result");
    let a = href();
    replace_state("/visit-a?q=1"); // same URL: state only
    replace_state("/visit-b");
    let b = href();
    set_hash("#part");
    pause(30).await; // popstate and hashchange are queued
    let h = href();
    back();
    pause(60).await;
    assert_eq!(push_state_cross_origin(), "SecurityError", "the page's exception passes through");
    let got = navs(&rig.events());
    assert_eq!(
        got,
        vec![(a.clone(), NavKind::Push), (b.clone(), NavKind::Replace), (h.clone(), NavKind::Hash), (b.clone(), NavKind::Hash)],
        "popstate and hashchange of one fragment change are one navigation"
    );
    assert!(a.ends_with("/visit-a?q=1"), "with the query string: {a}");
    // A pushState through a reference saved before the agent loaded: seen on the tick.
    native_push(&start);
    assert_eq!(navs(&rig.events()).len(), 4);
    rig.visit().poll();
    assert_eq!(navs(&rig.events()).last(), Some(&(start.clone(), NavKind::Push)), "the tick's URL check");
}

#[wasm_bindgen_test]
async fn history_wrapper_keeps_this_result_and_restores_on_teardown() {
    build_visit_page();
    let start = href();
    remember_native();
    // A page (or framework) wrapper installed before the agent: returns 42, records `this`.
    install_page_history_wrapper();
    let mut rig = Rig::new(fast()).await;
    assert_eq!(push_state("/visit-c").as_f64(), Some(42.0), "the result of what was wrapped");
    assert!(push_this_was_history());
    assert_eq!(navs(&rig.events()).len(), 1);
    rig.stop();
    // Ours removed: the page's own wrapper is back in place.
    assert_eq!(push_state("/visit-d").as_f64(), Some(42.0));
    remove_page_history_wrapper();
    assert!(natives_restored());
    replace_state(&start);
}

#[wasm_bindgen_test]
async fn a_wrapper_installed_over_ours_stays_and_ours_goes_inert() {
    build_visit_page();
    let start = href();
    remember_native();
    let mut rig = Rig::new(fast()).await;
    install_page_history_wrapper(); // after the agent
    assert_eq!(push_state("/visit-e").as_f64(), Some(42.0));
    assert_eq!(navs(&rig.events()).len(), 1, "recorded once through both wrappers");
    let agent = rig.agent.clone();
    rig.stop();
    assert_eq!(push_state("/visit-f").as_f64(), Some(42.0), "the page's wrapper still works");
    assert_eq!(agent.borrow().buffered_events().filter(|(_, e)| matches!(e, EventData::Navigation { .. })).count(), 1);
    remove_page_history_wrapper();
    replace_state(&start);
}

#[wasm_bindgen_test]
async fn fetch_and_xhr_are_recorded_without_changing_what_the_page_sees() {
    build_visit_page();
    remember_native();
    let mut rig = Rig::new(fast()).await;
    assert!(wrappers_look_native(), "same name and length as the functions wrapped");
    let page = format!("{}/", web_sys::window().unwrap().location().origin().unwrap());
    let r: Array = wait(fetch_page(JsValue::UNDEFINED)).await.into();
    assert_eq!(r.get(0).as_f64(), Some(200.0));
    assert!(r.get(1).as_f64().unwrap() > 0.0);
    assert_eq!(r.get(2).as_bool(), Some(true), "a real Response");
    let post = obj(&[("method", s("post")), ("body", s("héllo"))]);
    let _ = wait(fetch_page(post)).await;
    // The page still sees failures, as they are.
    assert_eq!(wait(fetch_fails("http://127.0.0.1:1/nothing")).await.as_string().as_deref(), Some("TypeError"));
    // The agent's own requests (to the collector) are not the page's.
    let _ = wait(fetch_fails(&format!("{COLLECTOR}/i/v1?wid=1"))).await;
    assert_eq!(xhr_send_unopened(), "InvalidStateError", "a synchronous exception passes through");
    let x: Array = wait(xhr_page()).await.into();
    assert_eq!(x.get(0).as_f64(), Some(200.0));
    assert_eq!(xhr_bad_method(), "SyntaxError");
    pause(10).await;
    let net: Vec<_> = rig
        .events()
        .into_iter()
        .filter_map(|e| match e {
            EventData::Network(n) => Some(n),
            _ => None,
        })
        .collect();
    assert_eq!(net.len(), 4, "{net:?}");
    assert!(net[0].fetch && net[0].method == "GET" && net[0].url == page && net[0].status == 200);
    assert!(net[1].method == "POST" && net[1].request_bytes == 6, "UTF-8 body size: {:?}", net[1]);
    assert_eq!((net[2].status, net[2].url.as_str()), (0, "http://127.0.0.1:1/nothing"));
    let xhr = &net[3];
    assert!(!xhr.fetch && xhr.method == "GET" && xhr.status == 200 && xhr.response_bytes == x.get(1).as_f64().unwrap() as u32, "{xhr:?}");
    assert!(!net.iter().any(|n| n.url.starts_with(COLLECTOR)));
    rig.stop();
    assert!(natives_restored(), "fetch, XMLHttpRequest and History restored");
}

#[wasm_bindgen_test]
async fn errors_and_rejections_but_not_the_agents_own() {
    build_visit_page();
    let rig = Rig::new(fast()).await;
    let long = "x".repeat(20_000);
    dispatch_error("boom", "https://shop.example/app.js", 3, 4, JsValue::from_str(&format!("Error: boom\n    at f (https://shop.example/app.js:3:4)\n{long}")));
    dispatch_error("ours", &format!("{COLLECTOR}/inspectlet.js?wid=1"), 1, 1, JsValue::from_str(&format!("Error: ours\n    at g ({COLLECTOR}/inspectlet.js?wid=1:1:1)")));
    dispatch_rejection(js_sys::TypeError::new("nope").into());
    dispatch_rejection(JsValue::from_str("plain reason"));
    wait(broken_image()).await;
    let errors: Vec<_> = rig
        .events()
        .into_iter()
        .filter_map(|e| match e {
            EventData::Error(x) => Some(x),
            _ => None,
        })
        .collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    let e = &errors[0];
    assert_eq!((e.message.as_str(), e.source.as_str(), e.line, e.column, e.rejection), ("boom", "https://shop.example/app.js", 3, 4, false));
    assert!(e.stack.starts_with("Error: boom") && e.stack.chars().count() == insp_agent::config::ERROR_STACK_MAX_CHARS, "capped");
    assert_eq!((errors[1].message.as_str(), errors[1].rejection), ("TypeError: nope", true));
    assert!(errors[1].stack.contains("TypeError"));
    assert_eq!(errors[2].message, "plain reason");
}

#[wasm_bindgen_test]
async fn data_layer_entries_before_and_after_start_with_gtm_wrappers_either_side() {
    build_visit_page();
    // Already there at start, with Tag Manager's push installed before the agent.
    reset_data_layer(Array::of1(&obj(&[("event", s("purchase")), ("value", JsValue::from_f64(5.0))])).into());
    install_gtm("before");
    let mut rig = Rig::new(fast()).await;
    assert_eq!(rig.tag("GA: purchase"), Some(None));
    assert_eq!(rig.tag("GA: value"), Some(Some("5".into())));
    // A later push: goes through Tag Manager's push once, its result returned.
    let r = dl_push(obj(&[("event", s("signup")), ("plan", s("pro"))]));
    assert_eq!(r, 1002.0, "Tag Manager's return value");
    assert_eq!(gtm_calls("before"), 1);
    assert_eq!(rig.tag("GA: signup"), Some(None));
    assert_eq!(rig.tag("GA: plan"), Some(Some("pro".into())));
    // Tag Manager wrapping after the agent: still one capture per push, its result returned.
    install_gtm("after");
    let r = dl_push(obj(&[("event", s("cart"))]));
    assert_eq!(r, 2003.0);
    assert_eq!((gtm_calls("before"), gtm_calls("after")), (2, 1));
    assert_eq!(rig.tag("GA: cart"), Some(None));
    // gtag pushes its `arguments`.
    gtag(&[s("event"), s("login"), obj(&[("method", s("password"))])]);
    assert_eq!(rig.tag("GA: login"), Some(None));
    assert_eq!(rig.tag("GA: method"), Some(Some("password".into())));
    rig.stop();
    // Ours is inert under Tag Manager's "after" wrapper; pushes still work.
    assert_eq!(dl_push(obj(&[("event", s("late"))])), 2005.0);
    reset_data_layer(JsValue::NULL);
}

#[wasm_bindgen_test]
async fn a_data_layer_created_after_start_is_found_on_the_tick_and_restored_on_teardown() {
    build_visit_page();
    reset_data_layer(JsValue::NULL);
    let mut rig = Rig::new(fast()).await;
    reset_data_layer(Array::of1(&obj(&[("event", s("late_start"))])).into());
    rig.visit().poll();
    assert_eq!(rig.tag("GA: late_start"), Some(None));
    assert!(data_layer_push_is_own());
    assert_eq!(dl_push(obj(&[("event", s("again"))])), 2.0, "Array push's result");
    assert_eq!(rig.tag("GA: again"), Some(None));
    // Replaced by a new array: watched anew.
    reset_data_layer(Array::of1(&obj(&[("event", s("replaced"))])).into());
    rig.visit().poll();
    assert_eq!(rig.tag("GA: replaced"), Some(None));
    rig.stop();
    assert!(!data_layer_push_is_own(), "push restored to Array.prototype.push");
    reset_data_layer(JsValue::NULL);
}

#[wasm_bindgen_test]
async fn disable_ga_capture_before_load_means_no_hook_at_all() {
    build_visit_page();
    reset_data_layer(Array::of1(&obj(&[("event", s("early"))])).into());
    let mut agent = Agent::new(env());
    agent.push(&Value::Array(vec![Value::str("disableGACapture")]), js_sys::Date::now() as u64);
    let rig = Rig::with_agent(agent, fast()).await;
    rig.visit().poll();
    assert!(!data_layer_push_is_own(), "not hooked");
    dl_push(obj(&[("event", s("later"))]));
    assert!(rig.agent.borrow().tags().iter().next().is_none());
    drop(rig);
    reset_data_layer(JsValue::NULL);
}

#[wasm_bindgen_test]
async fn the_app_records_the_visit_and_tears_it_down() {
    build_visit_page();
    remember_native();
    let start = href();
    let reader = create(READER_SOURCE, "createReader").await;
    let hooks = create(HOOKS_SOURCE, "createHooks").await;
    Reflect::set(&web_sys::window().unwrap(), &s("__insp"), &Array::of1(&Array::of2(&s("wid"), &JsValue::from_f64(3.0)))).unwrap();
    let config = obj(&[("collector", s(COLLECTOR)), ("reader", reader), ("hooks", hooks)]);
    let app = App::start(&config).expect("starts");
    // The collector does not answer: the most private settings apply, then the recording
    // starts (the Device event with it, on the next tick).
    pause(600).await;
    mouse(&el("btn"), "click", 1, 1);
    push_state("/visit-app");
    let ev: Vec<EventData> = app.agent().buffered_events().map(|(_, e)| e.clone()).collect();
    assert!(ev.iter().any(|e| matches!(e, EventData::Mouse { kind: MouseKind::Click, .. })), "{ev:?}");
    assert!(ev.iter().any(|e| matches!(e, EventData::Navigation { kind: NavKind::Push, .. })));
    assert!(ev.iter().any(|e| matches!(e, EventData::Device(_))), "{ev:?}");
    drop(app);
    assert!(natives_restored());
    replace_state(&start);
}

#[wasm_bindgen_test]
async fn requests_are_not_wrapped_while_the_site_setting_is_off() {
    use insp_agent::agent::PrivacyStart;
    use insp_agent::settings::{SettingsReply, SiteSettings, SETTINGS_VERSION};
    build_visit_page();
    remember_native();
    let agent = Agent::with_privacy(env(), PrivacyStart { await_settings: true, gpc: false });
    let mut rig = Rig::with_agent(agent, fast()).await;
    // Before the settings arrive nothing is recorded: not wrapped.
    rig.visit().poll();
    assert!(network_native(), "not wrapped before the settings");
    let reply = |record_network| {
        SettingsReply { v: SETTINGS_VERSION, record: true, settings: SiteSettings { record_network, ..SiteSettings::default() } }.encode()
    };
    let now = js_sys::Date::now() as u64;
    rig.agent.borrow_mut().settings_reply(now, Some(&reply(false)));
    rig.visit().poll();
    assert!(network_native(), "the site does not record requests");
    let _ = wait(fetch_page(JsValue::UNDEFINED)).await;
    assert!(!rig.events().iter().any(|e| matches!(e, EventData::Network(_))));
    // Settings that turn it on (a later answer): wrapped on the next tick, recorded.
    rig.agent.borrow_mut().settings_reply(now + 1, Some(&reply(true)));
    rig.visit().poll();
    assert!(!network_native());
    let _ = wait(fetch_page(JsValue::UNDEFINED)).await;
    pause(10).await;
    assert_eq!(rig.events().iter().filter(|e| matches!(e, EventData::Network(_))).count(), 1);
    rig.agent.borrow_mut().settings_reply(now + 2, Some(&reply(false)));
    rig.visit().poll();
    assert!(network_native(), "unwrapped again");
    rig.stop();
}
