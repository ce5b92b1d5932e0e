//! DOM recording in headless Chromium (wasm-bindgen-test): the real reader (js/reader.mjs)
//! feeding the real `DomRecorder`, checked against the live page with an independent
//! rendering of it (tests/browser_dom.mjs): snapshot, mutations, changes between snapshot
//! slices, the agent's driver, teardown, and slice durations on a large page.
#![cfg(target_arch = "wasm32")]

use insp_agent::browser::recorder::{parse_adopted, DomDriver, DomOptions, Guard, Reader};
use insp_agent::browser::App;
use insp_agent::dom::diff::DomRecorder;
use insp_agent::dom::mirror::Mirror;
use insp_agent::agent::{Agent, StartEnv};
use insp_agent::event::{Body, DegradeAction, DegradeReason, EventData, Mutation, NodeKind, Prop};
use insp_agent::storm::StormLimits;
use js_sys::{Function, Object, Promise, Reflect};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The shipped reader, as written. (`#[wasm_bindgen(module = "/js/reader.mjs")]` cannot be
/// used: the test runner serves `.mjs` as application/octet-stream, which browsers refuse
/// for module scripts; see `importModule` in browser_dom.js.)
const READER_SOURCE: &str = include_str!("../js/reader.mjs");

thread_local! {
    static CREATE_READER: std::cell::RefCell<Option<Function>> = const { std::cell::RefCell::new(None) };
}

/// `createReader(window)` from js/reader.mjs.
async fn create_reader() -> Reader {
    if CREATE_READER.with(|c| c.borrow().is_none()) {
        let module = JsFuture::from(import_module(READER_SOURCE)).await.expect("js/reader.mjs imports");
        let f: Function = Reflect::get(&module, &"createReader".into()).unwrap().dyn_into().expect("exports createReader");
        CREATE_READER.with(|c| *c.borrow_mut() = Some(f));
    }
    let f = CREATE_READER.with(|c| c.borrow().clone().unwrap());
    f.call1(&JsValue::NULL, &window()).unwrap().unchecked_into()
}

#[wasm_bindgen(module = "/tests/browser_dom.js")]
extern "C" {
    #[wasm_bindgen(js_name = importModule)]
    fn import_module(source: &str) -> Promise;
    fn sleep(ms: u32) -> Promise;
    #[wasm_bindgen(js_name = liveCanonical)]
    fn live_canonical() -> String;
    #[wasm_bindgen(js_name = liveProps)]
    fn live_props() -> String;
    #[wasm_bindgen(js_name = resetPage)]
    fn reset_page();
    #[wasm_bindgen(js_name = buildRichPage)]
    fn build_rich_page() -> Promise;
    #[wasm_bindgen(js_name = mutateRichPage)]
    fn mutate_rich_page();
    #[wasm_bindgen(js_name = cssomText)]
    fn cssom_text() -> String;
    #[wasm_bindgen(js_name = navigateFrame)]
    fn navigate_frame() -> Promise;
    #[wasm_bindgen(js_name = patchesRestored)]
    fn patches_restored() -> bool;
    #[wasm_bindgen(js_name = buildRandomPage)]
    fn build_random_page(n: u32, seed: u32);
    #[wasm_bindgen(js_name = randomMutations)]
    fn random_mutations(count: u32);
    #[wasm_bindgen(js_name = buildLargePage)]
    fn build_large_page(n: u32) -> u32;
    #[wasm_bindgen(js_name = appendMany)]
    fn append_many(n: u32);
    #[wasm_bindgen(js_name = detachStep)]
    fn detach_step(step: u32);
    #[wasm_bindgen(js_name = frameStep)]
    fn frame_step(step: u32) -> Promise;
    #[wasm_bindgen(js_name = showPassword)]
    fn show_password(show: bool);
    #[wasm_bindgen(js_name = failingReader)]
    fn failing_reader() -> JsValue;
    #[wasm_bindgen(js_name = startTicker)]
    fn start_ticker(hz: u32) -> Function;
    #[wasm_bindgen(js_name = giantValues)]
    fn giant_values(n: u32, rules: u32);
}

async fn wait(p: Promise) {
    JsFuture::from(p).await.unwrap();
}

/// Lets the observer deliver (a macrotask later, its microtasks have run).
async fn tick() {
    wait(sleep(0)).await;
}

fn window() -> JsValue {
    web_sys::window().unwrap().into()
}

fn now_ms() -> f64 {
    web_sys::window().unwrap().performance().unwrap().now()
}

/// The reader and the core, driven by hand (no macrotasks): what `DomDriver` does.
struct Rig {
    reader: Reader,
    rec: DomRecorder,
    changes: Rc<Cell<u32>>,
    _on_change: Closure<dyn FnMut()>,
}

impl Rig {
    async fn new() -> Rig {
        let reader = create_reader().await;
        // These tests check fidelity: values as typed (censoring is tested in browser_privacy.rs).
        let opts = Object::new();
        Reflect::set(&opts, &"censorInputs".into(), &JsValue::FALSE).unwrap();
        let configure: Function = Reflect::get(&reader, &"configure".into()).unwrap().dyn_into().unwrap();
        configure.call1(&reader, &opts).unwrap();
        let changes = Rc::new(Cell::new(0));
        let c = changes.clone();
        let on_change = Closure::<dyn FnMut()>::new(move || c.set(c.get() + 1));
        assert!(reader.start(on_change.as_ref().unchecked_ref()), "reader starts");
        Rig { reader, rec: DomRecorder::new(), changes, _on_change: on_change }
    }

    fn snapshot_begin(&mut self) {
        assert!(self.reader.snapshot_start());
        self.rec.snapshot_begin();
    }

    /// One slice; true while the walk goes on.
    fn slice(&mut self, budget_ms: f64) -> bool {
        let chunk = self.reader.snapshot_slice(budget_ms).expect("the walk does not fail");
        self.rec.snapshot_chunk(&chunk).expect("the core accepts the chunk");
        self.reader.walking()
    }

    fn snapshot_end(&mut self) {
        let snap = self.rec.snapshot_end(0, 0, 800, 600);
        assert!(snap.is_some(), "snapshot complete: {:?}", self.rec.take_error());
    }

    fn snapshot(&mut self) {
        self.snapshot_begin();
        while self.slice(50.0) {}
        self.snapshot_end();
    }

    /// One mutation batch, as the driver does it.
    fn flush(&mut self) -> Option<Mutation> {
        let listing = self.reader.take_listing().expect("the listing does not fail");
        if listing.is_empty() {
            return None;
        }
        let needed = self.rec.mutation_begin(&listing);
        let stream = if needed.is_empty() { String::new() } else { self.reader.serialize(&needed).expect("serializes") };
        let m = self.rec.mutation_finish(&stream);
        assert!(self.rec.take_error().is_none(), "stream problem: {:?}", self.rec.take_error());
        m
    }

    fn mirror(&self) -> &Mirror {
        self.rec.mirror()
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.reader.disconnect();
    }
}

/// Props of every element (but `Css`), in document order, in the form of `liveProps()`.
fn mirror_props(m: &Mirror) -> String {
    let mut lines = Vec::new();
    let Some(root) = m.root() else { return String::new() };
    for id in m.descendants(root) {
        let Some(NodeKind::Element(e)) = m.node(id) else { continue };
        let mut p: Vec<String> = e
            .props
            .iter()
            .filter_map(|p| match p {
                Prop::Value(v) => Some(format!("v={v}")),
                Prop::Checked(b) => Some(format!("k={}", *b as u8)),
                Prop::Selected(b) => Some(format!("z={}", *b as u8)),
                Prop::Scroll { x, y } if (*x, *y) != (0, 0) => Some(format!("o={x},{y}")),
                Prop::Size { w, h } => Some(format!("w={w},{h}")),
                Prop::Opaque => Some("O".into()),
                _ => None,
            })
            .collect();
        if !p.is_empty() {
            p.sort();
            lines.push(format!("{} {}", e.tag, p.join(" ")));
        }
    }
    lines.join("\n")
}

/// The props of the element whose `id` attribute is `html_id`.
fn props_of(m: &Mirror, html_id: &str) -> Vec<Prop> {
    let Some(root) = m.root() else { return Vec::new() };
    m.descendants(root)
        .find_map(|id| {
            let e = m.element(id)?;
            e.attrs.iter().any(|(n, v)| n == "id" && v == html_id).then(|| e.props.clone())
        })
        .unwrap_or_default()
}

/// The `Css` prop of the element whose `id` attribute is `html_id`.
fn css_of(m: &Mirror, html_id: &str) -> Option<String> {
    props_of(m, html_id).into_iter().find_map(|p| match p {
        Prop::Css(c) => Some(c),
        _ => None,
    })
}

fn first_difference(want: &str, got: &str) -> String {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let i = w.iter().zip(&g).position(|(a, b)| a != b).unwrap_or(w.len().min(g.len()));
    let from = i.saturating_sub(3);
    format!(
        "first difference at line {i}\n--- page\n{}\n--- mirror\n{}",
        w[from..(i + 4).min(w.len())].join("\n"),
        g[from..(i + 4).min(g.len())].join("\n")
    )
}

#[track_caller]
fn assert_matches_page(m: &Mirror, what: &str) {
    let (want, got) = (live_canonical(), m.canonical());
    assert!(want == got, "{what}: mirror differs from the page; {}", first_difference(&want, &got));
    let (want, got) = (live_props(), mirror_props(m));
    assert!(want == got, "{what}: props differ; {}", first_difference(&want, &got));
}

#[wasm_bindgen_test]
async fn snapshot_then_mutations_match_the_page() {
    wait(build_rich_page()).await;
    let mut rig = Rig::new().await;
    rig.snapshot();
    assert_matches_page(rig.mirror(), "snapshot");
    assert_eq!(css_of(rig.mirror(), "cssom").as_deref(), Some(cssom_text().as_str()), "rules inserted by script are inlined");
    assert_eq!(props_of(rig.mirror(), "pw"), vec![Prop::Value(String::new())], "a password is never recorded");
    assert_eq!(props_of(rig.mirror(), "text"), vec![Prop::Value("typed".into())]);
    assert_eq!(props_of(rig.mirror(), "scroller"), vec![Prop::Scroll { x: 0, y: 30 }]);
    assert_eq!(rig.flush(), None, "nothing changed after the walk");

    mutate_rich_page();
    tick().await;
    assert_eq!(rig.changes.get(), 1, "one notification for the whole task");
    let m = rig.flush().expect("a mutation");
    assert!(!m.adds.is_empty() && !m.removes.is_empty() && !m.attrs.is_empty() && !m.texts.is_empty() && !m.props.is_empty(), "{m:?}");
    assert_matches_page(rig.mirror(), "after mutations");
    assert_eq!(css_of(rig.mirror(), "cssom").as_deref(), Some(cssom_text().as_str()), "insertRule is recorded");

    // "Show password" turns the field into a text field: still never recorded.
    show_password(true);
    tick().await;
    rig.flush();
    assert_eq!(props_of(rig.mirror(), "pw"), vec![Prop::Value(String::new())]);
    assert!(!rig.mirror().canonical().contains("hunter"), "no password in the mirror");
    show_password(false);
    tick().await;
    rig.flush();
    assert_matches_page(rig.mirror(), "after the password round trip");

    // A frame navigating: its new document replaces the old one.
    wait(navigate_frame()).await;
    tick().await;
    assert!(rig.flush().is_some());
    assert_matches_page(rig.mirror(), "after frame navigation");

    // A second full snapshot (checkout) keeps the ids: an empty batch follows.
    let before = rig.mirror().canonical();
    rig.snapshot();
    assert_eq!(rig.mirror().canonical(), before);
    assert_eq!(rig.flush(), None);

    drop(rig);
    assert!(patches_restored(), "disconnect restores every patched prototype");
    reset_page();
}

#[wasm_bindgen_test]
async fn changes_between_slices_end_up_in_the_mirror() {
    for seed in 1..=6u32 {
        build_random_page(1500, seed);
        let mut rig = Rig::new().await;
        rig.snapshot_begin();
        let mut slices = 0;
        // A zero budget walks 32 nodes per slice; the page changes after every slice, and
        // the observer delivers between some of them (detached nodes may change unobserved).
        while rig.slice(0.0) {
            random_mutations(4);
            if slices % 3 == 0 {
                tick().await;
            }
            slices += 1;
        }
        rig.snapshot_end();
        tick().await;
        rig.flush();
        assert_matches_page(rig.mirror(), &format!("seed {seed}: after a walk of {slices} slices"));
        for round in 0..5 {
            random_mutations(20);
            tick().await;
            random_mutations(5);
            tick().await;
            rig.flush();
            assert_matches_page(rig.mirror(), &format!("seed {seed}: mutation round {round}"));
        }
    }
    reset_page();
}

#[wasm_bindgen_test]
async fn a_node_detached_across_deliveries_is_serialized_again() {
    build_random_page(10, 7);
    let mut rig = Rig::new().await;
    rig.snapshot();
    detach_step(0);
    tick().await;
    rig.flush();
    // Removed in one delivery, changed while nothing observes it, added back in another.
    detach_step(1);
    tick().await;
    detach_step(2);
    tick().await;
    rig.flush();
    assert_matches_page(rig.mirror(), "re-added node");
    // Detached again, changed, added back and then moved in one task: the move's remove in
    // that delivery does not make the earlier unobserved changes seen.
    detach_step(1);
    tick().await;
    detach_step(3);
    tick().await;
    rig.flush();
    assert_matches_page(rig.mirror(), "re-added and moved node");
    // Removed, changed and added back within one task (one delivery: all of it observed).
    detach_step(4);
    tick().await;
    rig.flush();
    assert_matches_page(rig.mirror(), "node removed, changed and re-added in one task");
    drop(rig);
    reset_page();
}

#[wasm_bindgen_test]
async fn a_node_moved_out_of_a_moved_frames_old_document() {
    build_random_page(10, 7);
    wait(frame_step(0)).await;
    let mut rig = Rig::new().await;
    rig.snapshot();
    assert_matches_page(rig.mirror(), "frame built");
    let loaded = frame_step(1);
    tick().await;
    rig.flush();
    wait(loaded).await;
    tick().await;
    rig.flush();
    assert_matches_page(rig.mirror(), "frame moved, a node of its old document moved out in a new element");
    drop(rig);
    reset_page();
}

#[wasm_bindgen_test]
async fn adopted_stylesheets_are_listed() {
    build_random_page(10, 3);
    let mut rig = Rig::new().await;
    let doc = web_sys::window().unwrap().document().unwrap();
    // Test-only: constructable stylesheets through plain JS.
    let adopt = Function::new_with_args(
        "css",
        "const s = new CSSStyleSheet(); s.replaceSync(css); document.adoptedStyleSheets = [s]; return s;",
    );
    let sheet = adopt.call1(&JsValue::NULL, &"main { color: red; }".into()).unwrap();
    rig.snapshot();
    let list = rig.reader.take_adopted().expect("the walk found the document's adopted sheet");
    let doc_id = rig.mirror().root().unwrap();
    assert_eq!(parse_adopted(&list), vec![(doc_id, vec!["main { color: red; }".to_string()])]);
    // Changing an adopted sheet lists its roots again.
    let replace: Function = Reflect::get(&sheet, &"replaceSync".into()).unwrap().dyn_into().unwrap();
    replace.call1(&sheet, &"main { color: blue; }".into()).unwrap();
    assert!(rig.changes.get() >= 1);
    rig.flush();
    let list = rig.reader.take_adopted().expect("listed again");
    assert_eq!(parse_adopted(&list), vec![(doc_id, vec!["main { color: blue; }".to_string()])]);
    Reflect::set(&doc, &"adoptedStyleSheets".into(), &js_sys::Array::new()).unwrap();
    let list = rig.reader.take_adopted().expect("the setter is observed");
    assert_eq!(parse_adopted(&list), vec![(doc_id, vec![])]);
    drop(rig);
    reset_page();
}

#[wasm_bindgen_test]
async fn the_agent_records_the_dom_through_the_guard() {
    build_random_page(300, 11);
    let q = js_sys::Array::of1(&js_sys::Array::of2(&"wid".into(), &JsValue::from_f64(5.0)));
    Reflect::set(&window(), &"__insp".into(), &q).unwrap();
    let config = Object::new();
    Reflect::set(&config, &"collector".into(), &"http://127.0.0.1:9".into()).unwrap();
    Reflect::set(&config, &"reader".into(), &create_reader().await.into()).unwrap();
    // Test-only counting guard (the shipped one is in loader.js).
    let wrap = Function::new_with_args(
        "f",
        "return function(){ window.__domGuarded = (window.__domGuarded || 0) + 1; return f.apply(this, arguments); }",
    );
    Reflect::set(&config, &"wrap".into(), &wrap).unwrap();
    let app = App::start(&config).expect("starts");
    // DOM recording starts once the site settings are known (here: the request fails at once,
    // and the most private defaults apply).
    for _ in 0..200 {
        if app.dom().is_some() {
            break;
        }
        wait(sleep(5)).await;
    }
    let driver = app.dom().expect("DOM recording runs");
    for _ in 0..200 {
        if !driver.walking() {
            break;
        }
        wait(sleep(5)).await;
    }
    assert!(!driver.walking(), "the snapshot completes");
    assert_matches_page(app.agent().dom().mirror(), "driver snapshot");
    random_mutations(30);
    wait(sleep(20)).await;
    assert_matches_page(app.agent().dom().mirror(), "driver mutations");
    let guarded = Reflect::get(&window(), &"__domGuarded".into()).unwrap().as_f64().unwrap_or(0.0);
    assert!(guarded >= 2.0, "slices and observer callbacks go through wrap ({guarded})");
    // `app.dom()` hands out a shared handle: the recording stops with the last one.
    drop(driver);
    drop(app);
    assert!(patches_restored(), "the agent's teardown restores the page");
    reset_page();
}

/// Events the agent would send now, in order.
fn sent_events(agent: &Rc<std::cell::RefCell<Agent>>) -> Vec<EventData> {
    let reqs = agent.borrow_mut().tick(1 << 52, true);
    let mut out = Vec::new();
    for r in reqs {
        if let Body::Events(b) = insp_agent::codec::decode(&r.body).expect("decodes").body {
            out.extend(b.events.into_iter().map(|e| e.data));
        }
    }
    out
}

fn kinds(events: &[EventData]) -> Vec<&'static str> {
    events
        .iter()
        .map(|e| match e {
            EventData::Start { .. } => "Start",
            EventData::FullSnapshot(_) => "FullSnapshot",
            EventData::Mutation(_) => "Mutation",
            EventData::AdoptedSheets { .. } => "AdoptedSheets",
            EventData::Degrade { .. } => "Degrade",
            _ => "other",
        })
        .collect()
}

#[wasm_bindgen_test]
async fn the_driver_records_snapshot_mutations_and_checkouts() {
    build_random_page(200, 5);
    let env = StartEnv { default_wid: Some(1), ..Default::default() };
    let agent = Rc::new(std::cell::RefCell::new(Agent::new(env)));
    let opts = DomOptions { slice_budget_ms: 1.0, checkout_interval_ms: 0, ..Default::default() };
    let driver = DomDriver::start(&insp_agent_guard(), agent.clone(), create_reader().await, opts).unwrap();
    while driver.walking() {
        wait(sleep(2)).await;
    }
    random_mutations(10);
    wait(sleep(10)).await;
    // A checkout is due at every poll with a zero interval; pending changes are flushed first.
    random_mutations(10);
    tick().await;
    driver.poll();
    assert!(driver.walking());
    while driver.walking() {
        wait(sleep(2)).await;
    }
    assert_matches_page(agent.borrow().dom().mirror(), "after the checkout");
    let events = sent_events(&agent);
    let k = kinds(&events);
    assert_eq!(k, ["Start", "FullSnapshot", "Mutation", "Mutation", "FullSnapshot"], "{k:?}");
    // The checkout describes the same page as the first snapshot plus the mutations.
    let (EventData::FullSnapshot(first), EventData::FullSnapshot(second)) = (&events[1], &events[4]) else { unreachable!() };
    let mut replay = Mirror::from_snapshot(first);
    for e in &events[2..4] {
        let EventData::Mutation(m) = e else { unreachable!() };
        replay.apply_mutation(m).expect("applies");
    }
    assert_eq!(replay.canonical(), Mirror::from_snapshot(second).canonical());
    drop(driver);
    reset_page();
}

#[wasm_bindgen_test]
async fn a_reader_that_keeps_failing_is_given_up() {
    let fake = failing_reader();
    let agent = Rc::new(std::cell::RefCell::new(Agent::new(Default::default())));
    let driver = DomDriver::start(&insp_agent_guard(), agent, fake.clone().unchecked_into(), DomOptions::default()).unwrap();
    wait(sleep(50)).await;
    let calls = Reflect::get(&fake, &"calls".into()).unwrap();
    let count = |k: &str| Reflect::get(&calls, &k.into()).unwrap().as_f64().unwrap();
    assert_eq!(count("snapshotStart"), 3.0, "a failed walk is retried, up to the limit");
    assert_eq!(count("snapshotSlice"), 3.0);
    assert_eq!(count("disconnect"), 1.0, "then the reader is disconnected");
    assert!(!driver.walking());
    drop(driver);
}

#[wasm_bindgen_test]
async fn slice_durations_on_a_large_page() {
    let nodes = build_large_page(40_000);
    // Printed at the end: console output lands in the page, which the mirror compares.
    let mut report = Vec::new();
    // Warm-up walk (JIT), not measured.
    {
        let mut rig = Rig::new().await;
        rig.snapshot();
    }
    for budget in [2.0, 4.0] {
        let mut rig = Rig::new().await;
        rig.snapshot_begin();
        let (mut js, mut total, mut bytes) = (Vec::new(), Vec::new(), 0usize);
        loop {
            let t0 = now_ms();
            let chunk = rig.reader.snapshot_slice(budget).unwrap();
            let t1 = now_ms();
            rig.rec.snapshot_chunk(&chunk).unwrap();
            let t2 = now_ms();
            bytes += chunk.len();
            js.push(t1 - t0);
            total.push(t2 - t0);
            if !rig.reader.walking() {
                break;
            }
            tick().await;
        }
        let t0 = now_ms();
        rig.snapshot_end();
        let end_ms = now_ms() - t0;
        let stats = |v: &mut Vec<f64>| {
            v.sort_by(|a, b| a.partial_cmp(b).unwrap());
            (v[v.len() - 1], v[v.len() / 2], v.iter().sum::<f64>())
        };
        let order: Vec<String> = js.iter().map(|v| format!("{v:.1}")).collect();
        report.push(format!("  reader slices in order: {}", order.join(" ")));
        let (jmax, jmed, jsum) = stats(&mut js);
        let (tmax, tmed, tsum) = stats(&mut total);
        report.push(format!(
            "large page: {nodes} nodes, budget {budget} ms: {} slices, {} KB packed; reader max {jmax:.1} / median {jmed:.1} / sum {jsum:.1} ms; with core parse max {tmax:.1} / median {tmed:.1} / sum {tsum:.1} ms; snapshot_end {end_ms:.1} ms",
            js.len(),
            bytes / 1024
        ));
        if budget == 4.0 {
            assert_matches_page(rig.mirror(), "large page");
            // One large mutation batch.
            append_many(5000);
            tick().await;
            let t0 = now_ms();
            let listing = rig.reader.take_listing().unwrap();
            let t1 = now_ms();
            let needed = rig.rec.mutation_begin(&listing);
            let t2 = now_ms();
            let stream = rig.reader.serialize(&needed).unwrap();
            let t3 = now_ms();
            let m = rig.rec.mutation_finish(&stream).unwrap();
            let t4 = now_ms();
            report.push(format!(
                "large page: a batch adding 5,000 nodes: {:.1} ms (takeListing {:.1}, mutation_begin {:.1}, serialize {:.1}, mutation_finish {:.1}; {} adds, {} KB)",
                t4 - t0,
                t1 - t0,
                t2 - t1,
                t3 - t2,
                t4 - t3,
                m.adds.len(),
                stream.len() / 1024
            ));
        }
    }
    // The same through the agent's driver (macrotask per slice, default budget).
    let agent = Rc::new(std::cell::RefCell::new(Agent::new(Default::default())));
    let opts = DomOptions::default();
    let driver = DomDriver::start(&insp_agent_guard(), agent.clone(), create_reader().await, opts).unwrap();
    while driver.walking() {
        wait(sleep(5)).await;
    }
    let mut d = driver.slice_durations_ms();
    let last = d.pop().unwrap();
    let order: Vec<String> = d.iter().map(|v| format!("{v:.1}")).collect();
    d.sort_by(|a, b| a.partial_cmp(b).unwrap());
    report.push(format!(
        "large page via DomDriver (budget {} ms): {} macrotasks; walking: max {:.1} / median {:.1} / sum {:.1} ms; last (end, record FullSnapshot, flush) {last:.1} ms\n  in order: {}",
        opts.slice_budget_ms,
        d.len() + 1,
        d[d.len() - 1],
        d[d.len() / 2],
        d.iter().sum::<f64>(),
        order.join(" ")
    ));
    drop(driver);
    reset_page();
    for line in report {
        console_log!("{line}");
    }
}

/// The agent's guard as tests build it: no `wrap` in the config, functions used as they are.
fn insp_agent_guard() -> Guard {
    Guard::from_config(&JsValue::UNDEFINED)
}

// ---- storm guard-rails ---------------------------------------------------------------------

async fn driver_with(limits: StormLimits) -> (Rc<std::cell::RefCell<Agent>>, DomDriver) {
    let env = StartEnv { default_wid: Some(1), ..Default::default() };
    let agent = Rc::new(std::cell::RefCell::new(Agent::new(env)));
    let opts = DomOptions { storm: limits, ..Default::default() };
    let driver = DomDriver::start(&insp_agent_guard(), agent.clone(), create_reader().await, opts).unwrap();
    while driver.walking() {
        wait(sleep(2)).await;
    }
    (agent, driver)
}

fn degrades(events: &[EventData]) -> Vec<(DegradeReason, DegradeAction)> {
    events
        .iter()
        .filter_map(|e| match e {
            EventData::Degrade { reason, action, .. } => Some((*reason, *action)),
            _ => None,
        })
        .collect()
}

async fn settle(driver: &DomDriver, ms: u32) {
    wait(sleep(ms)).await;
    while driver.walking() {
        wait(sleep(2)).await;
    }
}

#[wasm_bindgen_test]
async fn a_batch_over_the_node_cap_becomes_a_snapshot() {
    build_random_page(200, 5);
    let lim = StormLimits { batch_max_nodes: 100, snapshot_min_interval_ms: 300, ..Default::default() };
    let (agent, driver) = driver_with(lim).await;
    // One new subtree of about 1,000 nodes: the serialization stops at the cap.
    append_many(1000);
    settle(&driver, 20).await;
    assert_matches_page(agent.borrow().dom().mirror(), "after the replacement snapshot");
    // Small batches are recorded incrementally again.
    random_mutations(5);
    settle(&driver, 20).await;
    assert_matches_page(agent.borrow().dom().mirror(), "after a small batch");
    // Many new roots at once (counted before serializing); within the interval: the snapshot
    // waits for it and nothing is recorded meanwhile.
    for _ in 0..150 {
        append_many(2);
    }
    settle(&driver, 20).await;
    random_mutations(3);
    settle(&driver, 400).await;
    assert_matches_page(agent.borrow().dom().mirror(), "after the delayed snapshot");
    let events = sent_events(&agent);
    let k: Vec<&str> = kinds(&events).into_iter().filter(|k| *k != "other").collect();
    assert_eq!(k, ["Start", "FullSnapshot", "Degrade", "FullSnapshot", "Mutation", "Degrade", "FullSnapshot"], "{k:?}");
    let d = degrades(&events);
    assert_eq!(d, [(DegradeReason::BatchNodes, DegradeAction::Snapshot), (DegradeReason::BatchNodes, DegradeAction::Snapshot)]);
    drop(driver);
    reset_page();
}

#[wasm_bindgen_test]
async fn a_listing_over_the_character_cap_becomes_a_snapshot() {
    build_random_page(200, 5);
    let lim = StormLimits { listing_max_chars: 2_000, batch_max_nodes: 100_000, ..Default::default() };
    let (agent, driver) = driver_with(lim).await;
    // 600 new children of one parent: its list of children alone is over 2,000 characters.
    for _ in 0..600 {
        append_many(2);
    }
    settle(&driver, 20).await;
    assert_matches_page(agent.borrow().dom().mirror(), "after the replacement snapshot");
    let events = sent_events(&agent);
    let d = degrades(&events);
    assert_eq!(d.first(), Some(&(DegradeReason::ListingChars, DegradeAction::Snapshot)), "{d:?}");
    drop(driver);
    reset_page();
}

#[wasm_bindgen_test]
async fn a_fast_ticker_is_throttled_and_its_final_value_recorded() {
    build_random_page(50, 7);
    let (agent, driver) = driver_with(StormLimits::default()).await;
    let stop = start_ticker(120);
    for _ in 0..10 {
        wait(sleep(250)).await;
        driver.poll();
    }
    let ticks = stop.call0(&JsValue::NULL).unwrap().as_f64().unwrap();
    settle(&driver, 150).await;
    driver.poll();
    assert_matches_page(agent.borrow().dom().mirror(), "after the ticker");
    let events = sent_events(&agent);
    let mutations = kinds(&events).iter().filter(|k| **k == "Mutation").count();
    let d = degrades(&events);
    assert_eq!(d.first(), Some(&(DegradeReason::BatchesPerSecond, DegradeAction::Throttle { interval_ms: 100 })), "{d:?}");
    // About 1 s unthrottled, then at most 10 a second.
    assert!((mutations as f64) < ticks * 0.6, "{mutations} batches for {ticks} ticks");
    let flushes = driver.flush_durations_ms();
    console_log!("ticker: {ticks} ticks, {mutations} batches, flush max {:.1} ms", flushes.iter().cloned().fold(0.0, f64::max));
    drop(driver);
    reset_page();
}

#[wasm_bindgen_test]
async fn giant_values_are_capped_with_a_marker() {
    build_random_page(20, 8);
    let lim = StormLimits { attr_max_chars: 1_000, text_max_chars: 2_000, css_max_chars: 500, ..Default::default() };
    let (agent, driver) = driver_with(lim).await;
    giant_values(50_000, 200);
    settle(&driver, 20).await;
    let events = sent_events(&agent);
    let d = degrades(&events);
    assert!(d.contains(&(DegradeReason::LongAttribute, DegradeAction::Truncate { count: 1 })), "{d:?}");
    assert!(d.contains(&(DegradeReason::LongText, DegradeAction::Truncate { count: 1 })), "{d:?}");
    assert!(d.iter().any(|(r, _)| *r == DegradeReason::LongStylesheet), "{d:?}");
    let a = agent.borrow();
    let m = a.dom().mirror();
    let c = m.canonical();
    assert!(c.contains("insp:not-recorded;length=50022"), "attribute marker");
    assert!(c.contains("characters not recorded]"), "text marker");
    assert!(!c.contains(&"A".repeat(1_001)) && !c.contains(&"x".repeat(2_001)), "nothing giant recorded");
    let css = css_of(m, "giant-css").expect("the CSSOM-built sheet is inlined");
    assert!(css.len() < 700 && css.contains("more rules not read */"), "{css}");
    drop(a);
    drop(driver);
    reset_page();
}

#[wasm_bindgen_test]
async fn a_delivery_of_too_many_records_is_not_read_and_becomes_a_snapshot() {
    build_random_page(100, 9);
    let lim = StormLimits { delivery_max_records: 50, ..Default::default() };
    let (agent, driver) = driver_with(lim).await;
    for _ in 0..150 {
        append_many(2);
    }
    settle(&driver, 20).await;
    assert_matches_page(agent.borrow().dom().mirror(), "after the replacement snapshot");
    // A small delivery afterwards is read and recorded as usual.
    random_mutations(3);
    settle(&driver, 20).await;
    assert_matches_page(agent.borrow().dom().mirror(), "after a small batch");
    let events = sent_events(&agent);
    let d = degrades(&events);
    assert_eq!(d, [(DegradeReason::ObserverRecords, DegradeAction::Snapshot)], "{d:?}");
    let k: Vec<&str> = kinds(&events).into_iter().filter(|k| *k != "other").collect();
    assert_eq!(k, ["Start", "FullSnapshot", "Degrade", "FullSnapshot", "Mutation"], "{k:?}");
    drop(driver);
    reset_page();
}
