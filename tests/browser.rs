//! Browser glue in headless Chromium (wasm-bindgen-test): queue drain, push replacement,
//! cookies, the loader's guard, and teardown.
#![cfg(target_arch = "wasm32")]

use insp_agent::browser::App;
use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn window() -> JsValue {
    web_sys::window().unwrap().into()
}

fn entry(items: &[JsValue]) -> JsValue {
    items.iter().collect::<Array>().into()
}

fn s(x: &str) -> JsValue {
    JsValue::from_str(x)
}

fn set_queue(entries: &[JsValue]) -> Array {
    let q: Array = entries.iter().collect();
    Reflect::set(&window(), &s("__insp"), &q).unwrap();
    q
}

fn config() -> JsValue {
    let c = Object::new();
    // Nothing listens on port 9: sends fail quietly, which is also under test.
    Reflect::set(&c, &s("collector"), &s("http://127.0.0.1:9")).unwrap();
    c.into()
}

fn push(q: &JsValue, e: JsValue) {
    let f: Function = Reflect::get(q, &s("push")).unwrap().dyn_into().unwrap();
    f.call1(q, &e).unwrap();
}

fn cookie() -> String {
    web_sys::window().unwrap().document().unwrap().dyn_into::<web_sys::HtmlDocument>().unwrap().cookie().unwrap()
}

fn clear_cookies() {
    let doc: web_sys::HtmlDocument = web_sys::window().unwrap().document().unwrap().dyn_into().unwrap();
    for name in ["__insp_vid", "__insp_ses", "__insp_ident"] {
        doc.set_cookie(&format!("{name}=; path=/; max-age=0")).unwrap();
    }
}

#[wasm_bindgen_test]
fn drains_queued_commands_in_order_then_replaces_push() {
    clear_cookies();
    let tags = Object::new();
    Reflect::set(&tags, &s("plan"), &s("free")).unwrap();
    let q = set_queue(&[
        entry(&[s("wid"), JsValue::from_f64(12.0)]),
        entry(&[s("tagSession"), tags.clone().into()]),
        entry(&[s("identify"), s("first")]),
        entry(&[s("identify"), s("second")]),
    ]);
    let app = App::start(&config()).expect("starts");
    {
        let a = app.agent();
        assert_eq!(a.wid(), Some(12));
        assert_eq!(a.identity(), Some("second"), "drained in order");
        assert_eq!(a.tags().get("plan").and_then(|t| t.value.as_deref()), Some("free"));
    }
    assert_eq!(q.length(), 0, "drained entries are not kept");
    // Later pushes go straight to the agent, nested objects flattened.
    let nested = Object::new();
    let user = Object::new();
    Reflect::set(&user, &s("plan"), &s("pro")).unwrap();
    Reflect::set(&nested, &s("user"), &user).unwrap();
    push(&q, entry(&[s("tagSession"), nested.into()]));
    assert_eq!(app.agent().tags().get("user.plan").and_then(|t| t.value.as_deref()), Some("pro"));
    assert_eq!(q.length(), 0, "push no longer appends");
    // Garbage cannot throw into the page.
    push(&q, JsValue::NULL);
    push(&q, entry(&[s("nope")]));
    push(&q, entry(&[s("tagSession"), Function::new_no_args("return 1").into()]));
    drop(app);
    // Teardown restores Array.prototype.push so the page keeps queueing.
    push(&q, entry(&[s("virtualPage")]));
    assert_eq!(q.length(), 1);
}

/// Cookies are written once the site settings are known (here the settings request fails at
/// once and the most private defaults apply; see browser/gate.rs).
async fn settled(app: &App) {
    for _ in 0..400 {
        if app.agent().recording() {
            return;
        }
        let p = js_sys::Promise::new(&mut |resolve, _| {
            web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 5).unwrap();
        });
        wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
    }
    panic!("the agent never started recording");
}

#[wasm_bindgen_test]
async fn identity_and_visitor_cookies_carry_to_the_next_page_load() {
    clear_cookies();
    set_queue(&[entry(&[s("wid"), s("3")]), entry(&[s("identify"), s("ann@example.com")])]);
    let first = App::start(&config()).unwrap();
    assert!(!cookie().contains("__insp_vid"), "no cookie before the settings are known");
    settled(&first).await;
    let vid = first.agent().session().vid.clone();
    let sid = first.agent().session().sid.clone();
    drop(first);
    let c = cookie();
    assert!(c.contains("__insp_ident=ann%40example.com") || c.contains("__insp_ident=ann@example.com"), "{c}");
    assert!(c.contains(&format!("__insp_vid={vid}")), "{c}");

    set_queue(&[entry(&[s("wid"), s("3")])]);
    let second = App::start(&config()).unwrap();
    settled(&second).await;
    assert_eq!(second.agent().identity(), Some("ann@example.com"));
    assert_eq!(second.agent().session().vid, vid);
    assert_eq!(second.agent().session().sid, sid, "same session while active");
    let q = Reflect::get(&window(), &s("__insp")).unwrap();
    push(&q, entry(&[s("identify"), s("bob")]));
    assert!(cookie().contains("__insp_ident=bob"));
}

#[wasm_bindgen_test]
fn entry_points_go_through_the_loader_guard() {
    clear_cookies();
    let q = set_queue(&[entry(&[s("wid"), JsValue::from_f64(1.0)])]);
    // Test-only helper: the shipped loader's wrap is written in loader.js.
    let wrap = Function::new_with_args(
        "f",
        "return function(){ window.__guarded = (window.__guarded || 0) + 1; return f.apply(this, arguments); }",
    );
    let c = config();
    Reflect::set(&c, &s("wrap"), &wrap).unwrap();
    Reflect::set(&window(), &s("__guarded"), &JsValue::from_f64(0.0)).unwrap();
    let app = App::start(&c).unwrap();
    push(&q, entry(&[s("virtualPage"), s("/x")]));
    let n = Reflect::get(&window(), &s("__guarded")).unwrap().as_f64().unwrap();
    assert!(n >= 1.0, "push went through wrap");
    drop(app);
}

#[wasm_bindgen_test]
fn a_missing_queue_is_created() {
    Reflect::delete_property(window().unchecked_ref::<Object>(), &s("__insp")).unwrap();
    let app = App::start(&config()).unwrap();
    let q = Reflect::get(&window(), &s("__insp")).unwrap();
    assert!(Array::is_array(&q));
    push(&q, entry(&[s("wid"), JsValue::from_f64(4.0)]));
    assert_eq!(app.agent().wid(), Some(4));
}
