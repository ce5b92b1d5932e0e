//! Privacy in headless Chromium (wasm-bindgen-test): the JavaScript reader's transcription of
//! the rules (js/reader.mjs, "privacy") agrees with src/privacy.rs.
//!
//! * Rules: every pure function of both sides on the same fixed and random inputs.
//! * Pages: the real reader records a page full of private content (tests/browser_privacy.js)
//!   through the real `DomRecorder`, snapshot then changes made after load; an independent
//!   walk of the live page in Rust applying src/privacy.rs (the oracle) must give exactly the
//!   mirror's content, and no canary may appear in any string the reader handed to wasm.
#![cfg(target_arch = "wasm32")]

use insp_agent::browser::recorder::Reader;
use insp_agent::dom::diff::DomRecorder;
use insp_agent::dom::mirror::Mirror;
use insp_agent::event::{NodeKind, Prop};
use insp_agent::privacy::*;
use js_sys::{Array, Function, Object, Promise, Reflect};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const READER_SOURCE: &str = include_str!("../js/reader.mjs");
const HTML_NS: &str = "http://www.w3.org/1999/xhtml";
const SVG_NS: &str = "http://www.w3.org/2000/svg";
const MATH_NS: &str = "http://www.w3.org/1998/Math/MathML";

#[wasm_bindgen(module = "/tests/browser_privacy.js")]
extern "C" {
    #[wasm_bindgen(js_name = importModule)]
    fn import_module(source: &str) -> Promise;
    fn sleep(ms: u32) -> Promise;
    #[wasm_bindgen(js_name = resetPage)]
    fn reset_page();
    #[wasm_bindgen(js_name = buildPrivacyPage)]
    fn build_privacy_page();
    #[wasm_bindgen(js_name = privacyStep)]
    fn privacy_step(step: u32) -> bool;
    #[wasm_bindgen(js_name = stickySecrets)]
    fn sticky_secrets(step: i32) -> Array;
    fn canaries() -> Array;
    fn visible() -> Array;
}

async fn create_reader() -> Reader {
    let module = JsFuture::from(import_module(READER_SOURCE)).await.expect("js/reader.mjs imports");
    let f: Function = Reflect::get(&module, &"createReader".into()).unwrap().dyn_into().unwrap();
    f.call1(&JsValue::NULL, &web_sys::window().unwrap().into()).unwrap().unchecked_into()
}

fn get(v: &JsValue, k: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
}

fn call(v: &JsValue, method: &str, args: &[JsValue]) -> JsValue {
    let f: Function = get(v, method).dyn_into().unwrap_or_else(|_| panic!("no method {method}"));
    f.apply(v, &args.iter().collect::<Array>()).unwrap()
}

fn text(v: &JsValue) -> String {
    v.as_string().unwrap_or_default()
}

fn attr(el: &JsValue, name: &str) -> Option<String> {
    call(el, "getAttribute", &[name.into()]).as_string()
}

async fn tick() {
    JsFuture::from(sleep(0)).await.unwrap();
}

// ---- the rules, side by side -----------------------------------------------------------------

struct Js {
    rules: JsValue,
}

impl Js {
    fn f(&self, name: &str, args: &[JsValue]) -> JsValue {
        call(&self.rules, name, args)
    }
    fn s(&self, name: &str, args: &[JsValue]) -> String {
        text(&self.f(name, args))
    }
    fn b(&self, name: &str, args: &[JsValue]) -> bool {
        self.f(name, args).as_bool().unwrap_or_else(|| panic!("{name}: not a boolean"))
    }
    fn n(&self, name: &str, args: &[JsValue]) -> i32 {
        self.f(name, args).as_f64().unwrap_or_else(|| panic!("{name}: not a number")) as i32
    }
}

fn num(n: i32) -> JsValue {
    JsValue::from_f64(n as f64)
}

fn jstr(s: &str) -> JsValue {
    JsValue::from_str(s)
}

fn treat_js(t: Option<Treat>) -> JsValue {
    num(t.map_or(-1, |t| t as i32))
}

fn list(v: &[String]) -> JsValue {
    v.iter().map(|s| jstr(s)).collect::<Array>().into()
}

/// Strings built from the pieces that matter to the rules, at random.
fn random_strings(seed: u32, n: usize) -> Vec<String> {
    const PIECES: &[&str] = &[
        "inspectletIgnore", "INSPECTLET-SENSITIVE", "inspectlet-whitelist", "inspectlet", "Ignore", " ", "\t", "\n",
        "\u{A0}", "a", "B", "token", "Token", "=", "&", "?", "#", "/", "%5F", "%41", "%", "+", "_", "-", ".", "access",
        "Session", "Id", "4111", "1111", "5555", "4444", "0", "7", "😀", "é", "İ", "cvv", "Pin", "card", "Number", "cc-",
        "one-time-code", "password", "otp", "2fa", "REDACTED", "code", "auth", "x", "\u{0}",
    ];
    let mut state = seed.wrapping_mul(2654435761).max(1);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    (0..n)
        .map(|_| {
            let len = next() % 9;
            (0..len).map(|_| PIECES[(next() as usize) % PIECES.len()]).collect::<String>()
        })
        .collect()
}

#[wasm_bindgen_test]
async fn javascript_and_rust_rules_agree() {
    let reader = create_reader().await;
    let js = Js { rules: get(&reader, "rules") };
    let deny = deny_list(&["email".to_string(), "X".to_string()]);
    assert_eq!(js.f("denyList", &[list(&["email".into(), "X".into()])]).dyn_into::<Array>().unwrap().length() as usize, deny.len());
    let mut inputs: Vec<String> = [
        "", "inspectletIgnore", "a inspectletignore", "inspectlet-whitelist x", "Inspectlet-Whitelist", "héllo 😀!",
        "4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111112", "https://a.example/p?a=1&access_token=x#/r?sessionId=9",
        "/reset?token=abc&x=1", "?code", "cardCvc", "userPIN_codeX2fa", "cc-number", "section-x CC-EXP-month", "x%5Ftoken=1",
        "PASSWORD", "Hidden", "datetime", " text",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    inputs.extend(random_strings(7, 3000));
    for s in &inputs {
        let v = jstr(s);
        assert_eq!(js.n("classFlags", &[v.clone()]), class_flags(s) as i32, "classFlags({s:?})");
        assert_eq!(js.s("mask", &[v.clone()]), mask(s), "mask({s:?})");
        assert_eq!(js.s("inputType", &[v.clone()]), input_type(Some(s)), "inputType({s:?})");
        let w: Vec<String> = js.f("words", &[v.clone()]).dyn_into::<Array>().unwrap().iter().map(|x| text(&x)).collect();
        assert_eq!(w, words(s), "words({s:?})");
        assert_eq!(js.b("secretName", &[v.clone()]), secret_name(s), "secretName({s:?})");
        assert_eq!(js.b("looksLikeCard", &[v.clone()]), looks_like_card(s), "looksLikeCard({s:?})");
        assert_eq!(js.b("paramDenied", &[v.clone(), list(&deny)]), param_denied(s, &deny), "paramDenied({s:?})");
        assert_eq!(js.s("redactUrl", &[v.clone(), list(&deny)]), redact_url(s, &deny), "redactUrl({s:?})");
        for ty in ["input", "textarea", "select"] {
            let f = FieldAttrs { html_tag: ty, input_type: "text", autocomplete: Some(s), name: Some(s), ..Default::default() };
            let j = js.b("isSecretField", &[jstr(ty), jstr("text"), v.clone(), JsValue::NULL, v.clone(), JsValue::NULL]);
            assert_eq!(j, is_secret_field(&f), "isSecretField({ty}, {s:?})");
        }
        for rule in [Treat::Keep, Treat::Mask, Treat::Drop] {
            let r = js.f("fieldValue", &[num(rule as i32), v.clone()]).dyn_into::<Array>().unwrap();
            let (want, card) = field_value(rule, s);
            assert_eq!((text(&r.get(0)), r.get(1).as_bool().unwrap()), (want.into_owned(), card), "fieldValue({rule:?}, {s:?})");
            for name in ["value", "href", "title", "class"] {
                for field in [false, true] {
                    let r = js.f("attrValue", &[num(rule as i32), jstr(name), v.clone(), JsValue::from_bool(field), list(&deny)]);
                    let r: Array = r.dyn_into().unwrap();
                    let (want, card) = attr_value(rule, name, s, &deny, field);
                    assert_eq!((text(&r.get(0)), r.get(1).as_bool().unwrap()), (want.into_owned(), card), "attrValue({rule:?}, {name}, {s:?}, {field})");
                }
            }
        }
    }
    // Context and rule tables, exhaustively.
    let tags = ["", "div", "style", "textarea", "select", "input", "option", "script"];
    let rules = [None, Some(Treat::Keep), Some(Treat::Mask), Some(Treat::Drop)];
    for ctx in 0u8..128 {
        assert_eq!(js.n("textRule", &[num(ctx as i32)]), text_rule(ctx) as i32, "textRule({ctx})");
        for sel in [false, true] {
            assert_eq!(js.b("optionSelected", &[num(ctx as i32), JsValue::from_bool(sel)]), option_selected(ctx, sel));
        }
        for flags in 0u8..8 {
            assert_eq!(js.n("elementCtx", &[num(ctx as i32), num(flags as i32)]), element_ctx(ctx, flags).map_or(-1, |c| c as i32));
        }
        for tag in tags {
            for rule in rules {
                assert_eq!(js.n("childrenCtx", &[num(ctx as i32), jstr(tag), treat_js(rule)]), children_ctx(ctx, tag, rule) as i32, "childrenCtx({ctx}, {tag}, {rule:?})");
            }
        }
        for name in ["value", "title", "alt", "placeholder", "aria-label", "href", "class", "label"] {
            for rule in rules {
                assert_eq!(js.n("attrRule", &[num(ctx as i32), jstr(name), treat_js(rule)]), attr_rule(ctx, name, rule) as i32);
            }
        }
        for secret in [false, true] {
            for c in [false, true] {
                for on in [false, true] {
                    let args = [num(ctx as i32), JsValue::from_bool(secret), JsValue::from_bool(c), JsValue::from_bool(on)];
                    assert_eq!(js.n("valueRule", &args), value_rule(ctx, secret, c, on) as i32);
                }
            }
        }
    }
    for tag in ["input", "textarea", "select", "div"] {
        for ty in ["text", "password", "checkbox", "radio", "submit", "button", "reset", "image", "email", "number", "hidden", "file", "range"] {
            assert_eq!(js.b("censorable", &[jstr(tag), jstr(ty)]), censorable(tag, ty), "censorable({tag}, {ty})");
            let f = FieldAttrs { html_tag: tag, input_type: ty, ..Default::default() };
            let j = js.b("isSecretField", &[jstr(tag), jstr(ty), JsValue::NULL, JsValue::NULL, JsValue::NULL, JsValue::NULL]);
            assert_eq!(j, is_secret_field(&f), "isSecretField({tag}, {ty})");
        }
    }
    // The browser's own normalization of `type` is what Rust's input_type models.
    let doc = web_sys::window().unwrap().document().unwrap();
    for t in ["PASSWORD", "Email", "datetime", "bogus", "", "hidden", "DATETIME-LOCAL"] {
        let el: JsValue = doc.create_element("input").unwrap().into();
        call(&el, "setAttribute", &[jstr("type"), jstr(t)]);
        assert_eq!(text(&get(&el, "type")), input_type(Some(t)), "type={t:?}");
    }
}

// ---- pages: the oracle -----------------------------------------------------------------------

struct Oracle {
    censor: bool,
    deny: Vec<String>,
    sticky: Vec<String>,
    lines: Vec<String>,
    props: Vec<String>,
}

fn quote(s: &str) -> String {
    text(&js_sys::JSON::stringify(&jstr(s)).unwrap().into())
}

fn bare(s: &str) -> String {
    let q = quote(s);
    q[1..q.len() - 1].to_string()
}

fn value_mode(ty: &str) -> bool {
    !matches!(ty, "checkbox" | "radio" | "button" | "submit" | "reset" | "image" | "hidden" | "file")
}

impl Oracle {
    fn run(censor: bool, sticky: Vec<String>) -> Oracle {
        let mut o = Oracle { censor, deny: deny_list(&[]), sticky, lines: Vec::new(), props: Vec::new() };
        let doc: JsValue = web_sys::window().unwrap().document().unwrap().into();
        o.walk(&doc, 0, 0);
        o
    }

    fn kids(n: &JsValue) -> Vec<JsValue> {
        let mut out = Vec::new();
        if get(n, "nodeType").as_f64() == Some(1.0) {
            let ns = text(&get(n, "namespaceURI"));
            let tag = text(&get(n, "localName"));
            if tag == "script" && (ns == HTML_NS || ns == SVG_NS) {
                return out;
            }
            if ns == HTML_NS && (tag == "iframe" || tag == "frame") {
                let d = get(n, "contentDocument");
                if !d.is_null() && !d.is_undefined() {
                    out.push(d);
                }
                return out;
            }
            let sr = get(n, "shadowRoot");
            if !sr.is_null() && !sr.is_undefined() {
                out.push(sr);
            }
        }
        let list = get(n, "childNodes");
        let len = get(&list, "length").as_f64().unwrap_or(0.0) as u32;
        for i in 0..len {
            let c = Reflect::get_u32(&list, i).unwrap();
            if get(&c, "nodeType").as_f64() != Some(7.0) {
                out.push(c);
            }
        }
        out
    }

    fn line(&mut self, depth: usize, s: String) {
        self.lines.push(format!("{}{}", "  ".repeat(depth), s));
    }

    fn walk(&mut self, n: &JsValue, pctx: Ctx, depth: usize) {
        let t = get(n, "nodeType").as_f64().unwrap_or(0.0) as u32;
        let child_ctx = match t {
            9 => {
                self.line(depth, "#document".into());
                pctx & CTX_INHERITED
            }
            11 => {
                self.line(depth, "#shadow-root".into());
                pctx & CTX_INHERITED
            }
            10 => {
                let s = format!("#doctype {}|{}|{}", bare(&text(&get(n, "name"))), bare(&text(&get(n, "publicId"))), bare(&text(&get(n, "systemId"))));
                self.line(depth, s);
                return;
            }
            3 | 8 | 4 => {
                let kind = match t {
                    3 => "#text",
                    8 => "#comment",
                    _ => "#cdata",
                };
                let data = text(&get(n, "data")).replace('\u{0}', "\u{FFFD}");
                let s = format!("{kind} {}", quote(&apply(text_rule(pctx), &data)));
                self.line(depth, s);
                return;
            }
            1 => match self.element(n, pctx, depth) {
                Some(c) => c,
                None => return,
            },
            _ => return,
        };
        for c in Self::kids(n) {
            self.walk(&c, child_ctx, depth + 1);
        }
    }

    /// Emits the element; the context of its children, or `None` when it has none.
    fn element(&mut self, el: &JsValue, pctx: Ctx, depth: usize) -> Option<Ctx> {
        let ns = text(&get(el, "namespaceURI"));
        let local = text(&get(el, "localName"));
        let (prefix, html) = match ns.as_str() {
            HTML_NS => (String::new(), local.to_ascii_lowercase()),
            SVG_NS => ("svg:".to_string(), String::new()),
            MATH_NS => ("math:".to_string(), String::new()),
            "" => (String::new(), String::new()),
            other => (format!("{{{}}}", bare(other)), String::new()),
        };
        let tag = if html.is_empty() { local.clone() } else { html.clone() };
        let flags = class_flags(&attr(el, "class").unwrap_or_default());
        let Some(ectx) = element_ctx(pctx, flags) else {
            self.line(depth, format!("<{prefix}{}>", bare(&tag)));
            let r = call(el, "getBoundingClientRect", &[]);
            let w = get(&r, "width").as_f64().unwrap().round().max(0.0);
            let h = get(&r, "height").as_f64().unwrap().round().max(0.0);
            self.props.push(format!("{tag} O w={w},{h}"));
            return None;
        };
        let ty = if html == "input" { text(&get(el, "type")) } else { String::new() };
        let mut rule = None;
        if matches!(html.as_str(), "input" | "textarea" | "select") {
            let (ac, xac, name, id) = (attr(el, "autocomplete"), attr(el, "x-autocompletetype"), attr(el, "name"), attr(el, "id"));
            let f = FieldAttrs {
                html_tag: &html,
                input_type: &ty,
                autocomplete: ac.as_deref(),
                x_autocompletetype: xac.as_deref(),
                name: name.as_deref(),
                id: id.as_deref(),
            };
            let secret = is_secret_field(&f)
                || id.as_ref().is_some_and(|i| self.sticky.contains(i))
                || looks_like_card(&text(&get(el, "value")))
                || attr(el, "value").is_some_and(|v| looks_like_card(&v));
            rule = Some(value_rule(ectx, secret, censorable(&html, &ty), self.censor));
        }
        let names: Array = call(el, "getAttributeNames", &[]).dyn_into().unwrap();
        let mut attrs: Vec<(String, String)> = names
            .iter()
            .map(|n| {
                let n = text(&n);
                let v = attr(el, &n).unwrap_or_default().replace('\u{0}', "\u{FFFD}");
                let (v, _) = attr_value(attr_rule(ectx, &n, rule), &n, &v, &self.deny, rule.is_some());
                (n, v.into_owned())
            })
            .collect();
        attrs.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
        let a: String = attrs.iter().map(|(n, v)| format!(" {}={}", bare(n), quote(v))).collect();
        self.line(depth, format!("<{prefix}{}{a}>", bare(&tag)));
        let mut p: Vec<String> = Vec::new();
        if html == "input" && (ty == "checkbox" || ty == "radio") {
            p.push(format!("k={}", get(el, "checked").as_bool().unwrap() as u8));
        }
        if (html == "input" && value_mode(&ty)) || html == "textarea" || html == "select" {
            let value = text(&get(el, "value"));
            let (v, _) = field_value(rule.unwrap(), &value);
            p.push(format!("v={}", v.replace('\u{0}', "\u{FFFD}")));
        }
        if html == "option" {
            p.push(format!("z={}", option_selected(pctx, get(el, "selected").as_bool().unwrap()) as u8));
        }
        if (html == "iframe" || html == "frame") && get(el, "contentDocument").is_null() {
            p.push("O".into());
            p.push(format!("w={},{}", get(el, "offsetWidth").as_f64().unwrap(), get(el, "offsetHeight").as_f64().unwrap()));
        }
        if !p.is_empty() {
            p.sort();
            self.props.push(format!("{tag} {}", p.join(" ")));
        }
        Some(children_ctx(ectx, &html, rule))
    }
}

fn mirror_props(m: &Mirror) -> Vec<String> {
    let mut lines = Vec::new();
    let Some(root) = m.root() else { return lines };
    for id in m.descendants(root) {
        let Some(NodeKind::Element(e)) = m.node(id) else { continue };
        let mut p: Vec<String> = e
            .props
            .iter()
            .filter_map(|p| match p {
                Prop::Value(v) => Some(format!("v={v}")),
                Prop::Checked(b) => Some(format!("k={}", *b as u8)),
                Prop::Selected(b) => Some(format!("z={}", *b as u8)),
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
    lines
}

fn first_difference(want: &[String], got: &[String]) -> String {
    let i = want.iter().zip(got).position(|(a, b)| a != b).unwrap_or(want.len().min(got.len()));
    let from = i.saturating_sub(3);
    format!(
        "first difference at line {i}\n--- oracle (Rust rules on the live page)\n{}\n--- mirror (what the reader recorded)\n{}",
        want[from..(i + 4).min(want.len())].join("\n"),
        got[from..(i + 4).min(got.len())].join("\n")
    )
}

// ---- pages: the recording --------------------------------------------------------------------

struct Rig {
    reader: Reader,
    rec: DomRecorder,
    /// Every string the reader handed over (what crosses into wasm, then the wire).
    streams: String,
    _on_change: Closure<dyn FnMut()>,
}

impl Rig {
    async fn new(censor: bool) -> Rig {
        let reader = create_reader().await;
        let opts = Object::new();
        Reflect::set(&opts, &"censorInputs".into(), &JsValue::from_bool(censor)).unwrap();
        call(&reader, "configure", &[opts.into()]);
        let n = Rc::new(Cell::new(0));
        let on_change = Closure::<dyn FnMut()>::new(move || n.set(n.get() + 1));
        assert!(reader.start(on_change.as_ref().unchecked_ref()));
        Rig { reader, rec: DomRecorder::new(), streams: String::new(), _on_change: on_change }
    }

    fn snapshot(&mut self) {
        assert!(self.reader.snapshot_start());
        self.rec.snapshot_begin();
        loop {
            let chunk = self.reader.snapshot_slice(50.0).expect("the walk does not fail");
            self.streams.push_str(&chunk);
            self.rec.snapshot_chunk(&chunk).expect("the core accepts the chunk");
            if !self.reader.walking() {
                break;
            }
        }
        assert!(self.rec.snapshot_end(0, 0, 800, 600).is_some(), "{:?}", self.rec.take_error());
    }

    fn flush(&mut self) {
        let listing = self.reader.take_listing().expect("the listing does not fail");
        self.streams.push_str(&listing);
        if listing.is_empty() {
            return;
        }
        let needed = self.rec.mutation_begin(&listing);
        let stream = if needed.is_empty() { String::new() } else { self.reader.serialize(&needed).expect("serializes") };
        self.streams.push_str(&stream);
        self.rec.mutation_finish(&stream);
        assert!(self.rec.take_error().is_none(), "stream problem");
    }

    #[track_caller]
    fn check(&self, censor: bool, step: i32, what: &str) {
        let sticky: Vec<String> = sticky_secrets(step).iter().map(|v| text(&v)).collect();
        let o = Oracle::run(censor, sticky);
        let got: Vec<String> = self.rec.mirror().canonical().lines().map(String::from).collect();
        assert!(o.lines == got, "{what}: recorded DOM differs from the rules; {}", first_difference(&o.lines, &got));
        let got = mirror_props(self.rec.mirror());
        assert!(o.props == got, "{what}: recorded props differ from the rules; {}", first_difference(&o.props, &got));
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.reader.disconnect();
    }
}

#[wasm_bindgen_test]
async fn the_reader_records_exactly_what_the_rules_allow() {
    for censor in [true, false] {
        build_privacy_page();
        let mut rig = Rig::new(censor).await;
        rig.snapshot();
        rig.check(censor, -1, &format!("censor {censor}: snapshot"));
        let mut step = 0;
        while privacy_step(step) {
            tick().await;
            rig.flush();
            rig.check(censor, step as i32, &format!("censor {censor}: after step {step}"));
            step += 1;
        }
        // A checkout (new full snapshot) agrees with the mutations.
        let before = rig.rec.mirror().canonical();
        rig.snapshot();
        assert_eq!(rig.rec.mirror().canonical(), before, "censor {censor}: checkout");
        if censor {
            for c in canaries().iter() {
                let c = text(&c);
                assert!(!rig.streams.contains(&c), "canary {c:?} reached the recording");
            }
            for v in visible().iter() {
                let v = text(&v);
                assert!(rig.streams.contains(&v), "{v:?} should be recorded");
            }
        }
        drop(rig);
        reset_page();
    }
}

#[wasm_bindgen_test]
async fn placeholders_masks_and_the_reader_api() {
    build_privacy_page();
    let mut rig = Rig::new(true).await;
    rig.snapshot();
    let m = rig.rec.mirror();
    let root = m.root().unwrap();
    let by_id = |html_id: &str| {
        m.descendants(root).find(|&id| m.element(id).is_some_and(|e| e.attrs.iter().any(|(n, v)| n == "id" && v == html_id)))
    };
    // An ignored element keeps nothing but its tag and size.
    let placeholders: Vec<_> = m
        .descendants(root)
        .filter(|&id| m.element(id).is_some_and(|e| e.props.contains(&Prop::Opaque) && e.tag != "iframe"))
        .collect();
    assert_eq!(placeholders.len(), 3, "#ign, #ign-inline, #ign-host");
    for &p in &placeholders {
        let e = m.element(p).unwrap();
        assert!(e.attrs.is_empty(), "no attributes: {e:?}");
        assert!(m.descendants(p).count() == 1, "no children");
        assert!(e.props.iter().any(|x| matches!(x, Prop::Size { .. })));
    }
    let ign = m.element(placeholders[0]).unwrap();
    assert!(ign.props.contains(&Prop::Size { w: 120, h: 40 }), "{:?}", ign.props);
    assert!(by_id("sens").is_some(), "a sensitive element keeps its attributes");
    let html = m.to_html();
    assert!(html.contains("data-insp-opaque"), "replay draws a box");
    // The reader's API for the visit recording.
    let doc = web_sys::window().unwrap().document().unwrap();
    let el = |id: &str| -> JsValue { doc.get_element_by_id(id).unwrap().into() };
    let inner = call(&el("ign-in"), "closest", &[jstr("div")]);
    assert!(call(&rig.reader, "ignored", &[el("ign-in")]).as_bool().unwrap());
    assert!(!call(&rig.reader, "ignored", &[el("plain")]).as_bool().unwrap());
    let ign_id = call(&rig.reader, "idOf", &[inner.clone()]).as_f64().unwrap();
    assert!(ign_id > 0.0);
    assert_eq!(call(&rig.reader, "idOf", &[el("ign-in")]).as_f64().unwrap(), ign_id, "inside: the placeholder's id");
    assert_eq!(text(&call(&rig.reader, "readValue", &[el("ign-in")])), "");
    assert_eq!(text(&call(&rig.reader, "readValue", &[el("pw")])), "");
    assert_eq!(text(&call(&rig.reader, "readValue", &[el("plain")])), "*".repeat("CENSOR_CANARY_1".len()));
    assert_eq!(text(&call(&rig.reader, "readValue", &[el("wl")])), "WL_VISIBLE_1");
    assert!(!call(&rig.reader, "lastMasked", &[]).as_bool().unwrap());
    assert_eq!(text(&call(&rig.reader, "readValue", &[el("sens-wl")])), "*".repeat(13), "sensitive beats whitelist");
    assert_eq!(text(&call(&rig.reader, "readValue", &[el("cc")])), "");
    assert!(call(&rig.reader, "lastMasked", &[]).as_bool().unwrap());
    assert_eq!(text(&call(&rig.reader, "readValue", &[el("file")])), "");
    drop(rig);
    reset_page();
}
