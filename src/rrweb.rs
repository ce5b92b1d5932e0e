//! Export of a recording in rrweb's event format (`eventWithTime[]`, rrweb 2.x), so that
//! rrweb's own `Replayer` plays insp recordings.
//!
//! # Mapping
//! * Each page load, while it is on screen (see [`crate::replay`]: from its first snapshot
//!   until another page load takes over), becomes rrweb events. Segments after a gap are
//!   skipped until their first snapshot (the replayer keeps showing the last document).
//! * `FullSnapshot` -> `Meta` (type 4: `href`, `width`, `height`) then `FullSnapshot`
//!   (type 2: `{node, initialOffset: {top, left}}`), then one `Mutation` with
//!   `isAttachIframe: true` adding each same-origin iframe's document (rrweb builds iframe
//!   content from such adds, never inline), then the adopted stylesheets in effect.
//! * Nodes: `Document` 0 (`compatMode: "BackCompat"` in quirks mode), `DocumentType` 1,
//!   `Element` 2 (`tagName` as recorded: lower case for HTML, case kept for SVG, which rrweb
//!   accepts; `isSVG` for the SVG namespace, `inspNs: "mathml"` for MathML, which rrweb
//!   builds as HTML but keeps in its metadata), `Text` 3 (`isStyle` under `style`), `Comment`
//!   5. CDATA sections become Text 3: rrweb builds type 4 with `createCDATASection`, which
//!   throws in HTML documents (the only place a page shows CDATA is SVG/MathML in HTML).
//!   An open shadow root is not an rrweb node: its host gets `isShadowHost: true` and the
//!   root's children follow the host's own children with `isShadow: true`. Nodes inside an
//!   iframe's document carry `rootId` = that document's id.
//! * Props as rrweb's recorder writes them: `Value` -> `value` attribute (input, textarea,
//!   select; not for checkbox/radio/submit/button inputs; a textarea with a value gets no
//!   children), `Checked` / `Selected` -> `checked` / `selected` = `true` (or the attribute
//!   removed), `Css` -> `_cssText` on `link`/`style` (a `link` loses `rel` and `href`, and
//!   its text children are written empty, as rrweb does), `Scroll` -> `rr_scrollLeft` /
//!   `rr_scrollTop` (numbers) in snapshots and a Scroll event (source 3) otherwise,
//!   `Opaque` -> rrweb's blocked shape `{class: "... rr-block", rr_width: "Wpx",
//!   rr_height: "Hpx"}` with no children (sizes from `Size`; the `id` is kept as well).
//! * `Mutation` -> IncrementalSnapshot source 0 `{texts, attributes, removes, adds}`, plus
//!   Input events (source 5) for value/checked changes and Scroll events after it. rrweb
//!   builds each add without children (`skipChild`), so every added subtree is written
//!   node by node in preorder (`nextId: null` inside, the real `nextId` for its root, roots
//!   of one parent written last-first so each `nextId` exists). A `Move` becomes a remove
//!   of the node from its old parent and an add of its whole subtree re-serialized from
//!   the exporter's own [`Mirror`], which applies every event in step. A node that becomes
//!   `Opaque` is re-added the same way.
//! * `AdoptedSheets` -> source 15 with fresh `styleId`s and the sheet text split into rules
//!   (a shadow root's sheets target its host, as rrweb expects).
//! * `Page` and `Note` -> Custom events (type 5) tagged `insp-page` / `insp-note`.
//! * Pointer, focus, scroll, viewport, media, navigation, error, request, device and
//!   visibility events: see [`visit`] (sources 1, 2, 3, 4, 7 and custom `insp-*` events).
//! * URLs in `src`, `href`, `xlink:href`, `srcset`, `background` (table cells), `object`
//!   `data`, `style` attributes and in CSS `url(...)` are made absolute against the page URL
//!   (`Start`, then `Page` events), as rrweb's recorder does. `url(#id)` and `href="#id"` on
//!   SVG `use` stay relative. Iframes lose `src`/`srcdoc` (content comes from the recording;
//!   an unrecorded one keeps its URL as `rr_src`); `script` elements get `type="text/inert"`
//!   and no text, so nothing runs even in a replayer that allows scripts.
//! * Timestamps are ms since epoch (the timeline's monotonic event times).
//!
//! Depth is capped at [`MAX_DEPTH`] levels below a serialized root (deeper content is left
//! out), which keeps both this serializer and rrweb's recursive builder within their stacks.
//!
//! JSON is built as [`Json`] values (no serde_json in the agent) and written by
//! [`Json::write`] / [`to_json`].

use crate::dom::mirror::Mirror;
use crate::event::{AddNode, Element, EventData, Mutation, NodeId, NodeKind, Ns, Prop, PropKind};
use crate::replay::{PageLoad, Timeline};
use alloc::borrow::ToOwned;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

mod visit;

/// rrweb ids of the text nodes made to carry a sheet (see [`Exporter::serialize`]): above
/// every recorded node id and every document alias.
const CSS_CARRIER_IDS: i64 = 1 << 40;

/// Levels of nesting written below a serialized root.
pub const MAX_DEPTH: u32 = 1000;

// rrweb's enums.
const EV_FULL_SNAPSHOT: i64 = 2;
const EV_INCREMENTAL: i64 = 3;
const EV_META: i64 = 4;
const EV_CUSTOM: i64 = 5;
const SRC_MUTATION: i64 = 0;
const SRC_SCROLL: i64 = 3;
const SRC_INPUT: i64 = 5;
const SRC_ADOPTED: i64 = 15;
const NT_DOCUMENT: i64 = 0;
const NT_DOCTYPE: i64 = 1;
const NT_ELEMENT: i64 = 2;
const NT_TEXT: i64 = 3;
const NT_COMMENT: i64 = 5;

/// A JSON value; objects keep their insertion order.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    /// A number that may have a fraction (written as Rust prints it; not finite: `null`).
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    pub fn str(s: impl Into<String>) -> Json {
        Json::Str(s.into())
    }

    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Arr(a) => Some(a),
            _ => None,
        }
    }

    /// Writes compact JSON.
    pub fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(i) => {
                use core::fmt::Write;
                let _ = write!(out, "{i}");
            }
            Json::Num(n) => {
                use core::fmt::Write;
                if n.is_finite() {
                    let _ = write!(out, "{n}");
                } else {
                    out.push_str("null");
                }
            }
            Json::Str(s) => write_str(out, s),
            Json::Arr(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            Json::Obj(m) => {
                out.push('{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(out, k);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    pub fn to_json(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }
}

fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // U+2028/9 are valid JSON but not valid in older JavaScript string literals, and
            // exports may be inlined into a <script>; `<` keeps `</script>` from closing it.
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' || c == '<' => {
                use core::fmt::Write;
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON array of events.
pub fn to_json(events: &[Json]) -> String {
    let mut s = String::with_capacity(events.len() * 64);
    s.push('[');
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        e.write(&mut s);
    }
    s.push(']');
    s
}

fn obj(pairs: Vec<(&str, Json)>) -> Json {
    Json::Obj(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn int(v: impl Into<i64>) -> Json {
    Json::Int(v.into())
}

fn event(ty: i64, t_ms: u64, data: Json) -> Json {
    obj(vec![
        ("type", int(ty)),
        ("data", data),
        ("timestamp", Json::Int(t_ms.min(i64::MAX as u64) as i64)),
    ])
}

/// The whole session as rrweb events, ordered by timestamp.
pub fn export(timeline: &Timeline) -> Vec<Json> {
    let loads = timeline.page_loads();
    let mut out: Vec<(u64, Json)> = Vec::new();
    let mut style_ids = 0i64;
    // Fresh rrweb ids for re-attached frame documents, above every recorded node id.
    let mut doc_aliases = 1i64 << 32;
    for (i, load) in loads.iter().enumerate() {
        let Some(shown) = load.shown_ms else { continue };
        // On screen until the next load (in `load_at`'s order) takes over.
        let until = loads
            .iter()
            .enumerate()
            .filter_map(|(j, l)| l.shown_ms.map(|s| (s, j)))
            .filter(|&(s, j)| (s, j) > (shown, i) && j != i)
            .map(|(s, _)| s)
            .min();
        let mut ex = Exporter {
            out: &mut out,
            mirror: Mirror::new(),
            active: None,
            base: String::new(),
            doc_base: String::new(),
            adopted: BTreeMap::new(),
            style_ids: &mut style_ids,
            doc_alias: BTreeMap::new(),
            attached: BTreeSet::new(),
            doc_aliases: &mut doc_aliases,
            empty_selects: BTreeSet::new(),
            width: 0,
            height: 0,
        };
        ex.load(load, until);
    }
    // Stable: events of one load keep their order.
    out.sort_by_key(|(t, _)| *t);
    out.into_iter().map(|(_, e)| e).collect()
}

/// The whole session as a JSON array of rrweb events.
pub fn export_json(timeline: &Timeline) -> String {
    to_json(&export(timeline))
}

struct Exporter<'a> {
    out: &'a mut Vec<(u64, Json)>,
    mirror: Mirror,
    /// What relative URLs resolve against: the page URL, or the page's `<base href>`.
    doc_base: String,
    /// The segment being played, once a snapshot of it was seen.
    active: Option<u32>,
    base: String,
    adopted: BTreeMap<NodeId, Vec<String>>,
    style_ids: &'a mut i64,
    /// The rrweb id of a frame document attached more than once (see [`Exporter::attach_one`]).
    doc_alias: BTreeMap<NodeId, i64>,
    /// Frame documents attached so far.
    attached: BTreeSet<NodeId>,
    doc_aliases: &'a mut i64,
    /// Selects whose last Input event deselected every option (see [`Exporter::select_input`]).
    empty_selects: BTreeSet<NodeId>,
    width: u32,
    height: u32,
}

/// What a node's serialization depends on besides the node itself.
#[derive(Clone, Copy, Default)]
struct Ctx {
    /// The iframe document the node belongs to (not for the top document).
    root_id: Option<NodeId>,
    /// Parent is an open shadow root.
    shadow: bool,
    /// Parent is an HTML `style`.
    in_style: bool,
    /// Inside an SVG `style`: rrweb does not treat its text as CSS, but its URLs must still be
    /// absolute (the replay's document has another base).
    in_svg_style: bool,
    /// Parent is a `script`.
    in_script: bool,
    /// Parent's CSS is carried by `_cssText`.
    css_captured: bool,
    depth: u32,
}

impl Exporter<'_> {
    fn push(&mut self, t: u64, e: Json) {
        self.out.push((t, e));
    }

    fn load(&mut self, load: &PageLoad, until: Option<u64>) {
        for e in &load.events {
            if until.is_some_and(|u| e.t_ms >= u) {
                break;
            }
            if self.active.is_some_and(|s| s != e.segment) {
                // A gap: nothing is known until the next snapshot.
                self.active = None;
                self.adopted.clear();
            }
            let t = e.t_ms;
            match &e.data {
                EventData::Start {
                    url, width, height, ..
                } => {
                    self.base.clone_from(url);
                    self.update_base();
                    self.width = *width;
                    self.height = *height;
                }
                EventData::Page { url, title } => {
                    self.base.clone_from(url);
                    self.update_base();
                    let payload = obj(vec![("url", Json::str(url)), ("title", Json::str(title))]);
                    self.push(
                        t,
                        event(
                            EV_CUSTOM,
                            t,
                            obj(vec![("tag", Json::str("insp-page")), ("payload", payload)]),
                        ),
                    );
                }
                EventData::Note { text } => {
                    let payload = obj(vec![("text", Json::str(text))]);
                    self.push(
                        t,
                        event(
                            EV_CUSTOM,
                            t,
                            obj(vec![("tag", Json::str("insp-note")), ("payload", payload)]),
                        ),
                    );
                }
                EventData::FullSnapshot(s) => {
                    let _ = self.mirror.load_tree(&s.tree);
                    self.update_base();
                    let Some(root) = self.mirror.root() else {
                        // Nothing usable: wait for the next snapshot.
                        self.active = None;
                        continue;
                    };
                    self.active = Some(e.segment);
                    // rrweb's mirror starts afresh with a full snapshot.
                    self.attached.clear();
                    self.doc_alias.clear();
                    self.empty_selects.clear();
                    if s.width > 0 && s.height > 0 {
                        self.width = s.width;
                        self.height = s.height;
                    }
                    let meta = obj(vec![
                        ("href", Json::str(&self.base)),
                        ("width", int(self.width)),
                        ("height", int(self.height)),
                    ]);
                    self.push(t, event(EV_META, t, meta));
                    let node = self.serialize(root, Ctx::default(), true);
                    let data = obj(vec![
                        ("node", node),
                        (
                            "initialOffset",
                            obj(vec![("top", int(s.scroll_y)), ("left", int(s.scroll_x))]),
                        ),
                    ]);
                    self.push(t, event(EV_FULL_SNAPSHOT, t, data));
                    let mut adds = Vec::new();
                    let docs: Vec<NodeId> = self
                        .mirror
                        .descendants(root)
                        .filter(|&d| {
                            d != root
                                && matches!(self.mirror.node(d), Some(NodeKind::Document { .. }))
                        })
                        .collect();
                    for d in docs {
                        self.attach_one(d, &mut adds);
                    }
                    if !adds.is_empty() {
                        let data = obj(vec![
                            ("source", int(SRC_MUTATION)),
                            ("texts", Json::Arr(vec![])),
                            ("attributes", Json::Arr(vec![])),
                            ("removes", Json::Arr(vec![])),
                            ("adds", Json::Arr(adds)),
                            ("isAttachIframe", Json::Bool(true)),
                        ]);
                        self.push(t, event(EV_INCREMENTAL, t, data));
                    }
                    let targets: Vec<NodeId> = self.adopted.keys().copied().collect();
                    for target in targets {
                        self.emit_adopted(t, target);
                    }
                }
                EventData::Mutation(m) if self.active.is_some() => self.mutation(t, m),
                EventData::AdoptedSheets { target, sheets } => {
                    self.adopted.insert(*target, sheets.clone());
                    if self.active.is_some() {
                        self.emit_adopted(t, *target);
                    }
                }
                // Relative URLs follow History API navigations.
                EventData::Navigation { url, .. } => {
                    self.base.clone_from(url);
                    self.update_base();
                    self.visit_event(t, &e.data);
                }
                // Interactions, errors, requests, device, visibility: rrweb/visit.rs.
                other => self.visit_event(t, other),
            }
        }
    }

    /// What a URL attribute of a `tag` element in document `root` (`None`: the top document)
    /// resolves against (a `base` element's own `href` against the document URL).
    fn url_base(&self, tag: &str, root: Option<NodeId>) -> String {
        match root {
            None if tag == "base" => self.base.clone(),
            None => self.doc_base.clone(),
            Some(doc) => {
                let (url, base) = self.frame_bases(doc);
                if tag == "base" {
                    url
                } else {
                    base
                }
            }
        }
    }

    /// What relative URLs in document `root` (`None`: the top document) resolve against.
    fn base_in(&self, root: Option<NodeId>) -> String {
        match root {
            None => self.doc_base.clone(),
            Some(doc) => self.frame_bases(doc).1,
        }
    }

    /// An iframe document's URL (its iframe's `FrameUrl`; an `about:` document inherits the
    /// base of the document holding the iframe) and its base (after its `<base href>`).
    fn frame_bases(&self, doc: NodeId) -> (String, String) {
        let iframe = self.mirror.parent(doc);
        let outer = iframe.map(|f| self.doc_of(f));
        let parent_base = || match outer {
            Some(Some(d)) if d != doc => self.frame_bases(d).1,
            _ => self.doc_base.clone(),
        };
        let frame_url = iframe
            .and_then(|f| self.mirror.element(f))
            .and_then(|e| {
                e.props.iter().find_map(|p| match p {
                    Prop::FrameUrl(u) => Some(u.clone()),
                    _ => None,
                })
            })
            .filter(|u| scheme_len(u).is_some() && !u.starts_with("about:"));
        let url = frame_url.unwrap_or_else(parent_base);
        let base = match self.base_href_in(doc) {
            Some(href) => resolve_url(&url, &href),
            None => url.clone(),
        };
        (url, base)
    }

    /// The `href` of document `doc`'s first `<base href>` in its head.
    fn base_href_in(&self, doc: NodeId) -> Option<String> {
        let html = self.mirror.children(doc).find(|&c| {
            self.mirror
                .element(c)
                .is_some_and(|e| e.tag == "html" && e.ns == Ns::Html)
        })?;
        let head = self.mirror.children(html).find(|&c| {
            self.mirror
                .element(c)
                .is_some_and(|e| e.tag == "head" && e.ns == Ns::Html)
        })?;
        self.mirror
            .children(head)
            .find_map(|c| match self.mirror.element(c) {
                Some(e) if e.tag == "base" && e.ns == Ns::Html => e
                    .attrs
                    .iter()
                    .find(|(n, _)| n == "href")
                    .map(|(_, v)| v.clone()),
                _ => None,
            })
    }

    /// The iframe document `id` is in (`None`: the top document).
    fn doc_of(&self, id: NodeId) -> Option<NodeId> {
        let mut p = self.mirror.parent(id);
        while let Some(a) = p {
            if matches!(self.mirror.node(a), Some(NodeKind::Document { .. })) {
                return (!self.is_top_doc(a)).then_some(a);
            }
            p = self.mirror.parent(a);
        }
        None
    }

    /// Relative URLs resolve against the page's first `<base href>`, or the page URL.
    fn update_base(&mut self) {
        self.doc_base = match crate::replay::base_element(&self.mirror) {
            Some((_, href)) => resolve_url(&self.base, &href),
            None => self.base.clone(),
        };
    }

    fn emit_adopted(&mut self, t: u64, target: NodeId) {
        let Some(sheets) = self.adopted.get(&target) else {
            return;
        };
        let id = match self.mirror.node(target) {
            Some(NodeKind::Document { .. }) => target,
            Some(NodeKind::ShadowRoot) => match self.mirror.parent(target) {
                Some(host) => host,
                None => return,
            },
            _ => return,
        };
        let root = if self.is_top_doc(target) {
            None
        } else if matches!(self.mirror.node(target), Some(NodeKind::Document { .. })) {
            Some(target)
        } else {
            self.doc_of(target)
        };
        let base = self.base_in(root);
        let mut style_ids = Vec::new();
        let mut styles = Vec::new();
        for sheet in sheets {
            *self.style_ids += 1;
            let sid = *self.style_ids;
            let css = absolutize_css(sheet, &base);
            let rules: Vec<Json> = split_rules(&css)
                .into_iter()
                .enumerate()
                .map(|(i, r)| obj(vec![("rule", Json::str(r)), ("index", int(i as i64))]))
                .collect();
            style_ids.push(int(sid));
            styles.push(obj(vec![
                ("styleId", int(sid)),
                ("rules", Json::Arr(rules)),
            ]));
        }
        let data = obj(vec![
            ("source", int(SRC_ADOPTED)),
            ("id", Json::Int(self.rid(id))),
            ("styles", Json::Arr(styles)),
            ("styleIds", Json::Arr(style_ids)),
        ]);
        self.push(t, event(EV_INCREMENTAL, t, data));
    }

    // ---- context ----

    fn is_top_doc(&self, id: NodeId) -> bool {
        self.mirror.root() == Some(id)
    }

    /// The context of a child of `parent` (`pctx` being the parent's own context).
    fn child_ctx(&self, parent: NodeId, pctx: Ctx) -> Ctx {
        let mut c = Ctx {
            root_id: pctx.root_id,
            depth: pctx.depth + 1,
            ..Ctx::default()
        };
        match self.mirror.node(parent) {
            Some(NodeKind::Document { .. }) if !self.is_top_doc(parent) => c.root_id = Some(parent),
            Some(NodeKind::ShadowRoot) => c.shadow = true,
            Some(NodeKind::Element(e)) => {
                c.in_style = e.tag == "style" && e.ns == Ns::Html;
                c.in_svg_style = e.tag == "style" && e.ns == Ns::Svg;
                c.in_script = e.tag == "script" && matches!(e.ns, Ns::Html | Ns::Svg);
                c.css_captured = has_css(e);
            }
            _ => {}
        }
        c
    }

    /// The context of `id` where it stands now (walks up to its document).
    fn ctx_of(&self, id: NodeId) -> Ctx {
        let Some(parent) = self.mirror.parent(id) else {
            return Ctx::default();
        };
        let mut c = self.child_ctx(parent, Ctx::default());
        c.depth = 0;
        if c.root_id.is_none() {
            let mut p = self.mirror.parent(parent);
            while let Some(a) = p {
                if matches!(self.mirror.node(a), Some(NodeKind::Document { .. })) {
                    if !self.is_top_doc(a) {
                        c.root_id = Some(a);
                    }
                    break;
                }
                p = self.mirror.parent(a);
            }
        }
        c
    }

    // ---- serialization ----

    /// rrweb's `serializedNodeWithId` for `id`; with `deep`, children included (iframe
    /// documents excepted: they are attached by their own adds).
    fn serialize(&self, id: NodeId, ctx: Ctx, deep: bool) -> Json {
        let mut o: Vec<(String, Json)> = Vec::new();
        let mut kids: Vec<Json> = Vec::new();
        let kind = self.mirror.node(id);
        match kind {
            Some(NodeKind::Document { quirks }) => {
                o.push(("type".into(), int(NT_DOCUMENT)));
                if *quirks {
                    o.push(("compatMode".into(), Json::str("BackCompat")));
                }
            }
            Some(NodeKind::Doctype {
                name,
                public_id,
                system_id,
            }) => {
                o.push(("type".into(), int(NT_DOCTYPE)));
                o.push(("name".into(), Json::str(name)));
                o.push(("publicId".into(), Json::str(public_id)));
                o.push(("systemId".into(), Json::str(system_id)));
            }
            Some(NodeKind::Element(e)) => {
                o.push(("type".into(), int(NT_ELEMENT)));
                o.push(("tagName".into(), Json::str(&e.tag)));
                let has_doc = self.mirror.first_child(id).is_some_and(|c| {
                    matches!(self.mirror.node(c), Some(NodeKind::Document { .. }))
                });
                o.push((
                    "attributes".into(),
                    Json::Obj(self.attributes(e, has_doc, true, ctx.root_id)),
                ));
                if e.ns == Ns::Svg {
                    o.push(("isSVG".into(), Json::Bool(true)));
                }
                // rrweb has no MathML namespace (it builds these as HTML elements); the
                // namespace stays in the node's metadata for tools reading the mirror.
                if e.ns == Ns::MathMl {
                    o.push(("inspNs".into(), Json::str("mathml")));
                }
                if self
                    .mirror
                    .first_child(id)
                    .is_some_and(|c| matches!(self.mirror.node(c), Some(NodeKind::ShadowRoot)))
                {
                    o.push(("isShadowHost".into(), Json::Bool(true)));
                }
            }
            Some(NodeKind::Text(t)) | Some(NodeKind::CData(t)) => {
                o.push(("type".into(), int(NT_TEXT)));
                let text = if ctx.in_script || (ctx.in_style && ctx.css_captured) {
                    String::new()
                } else if ctx.in_style || ctx.in_svg_style {
                    absolutize_css(t, &self.base_in(ctx.root_id))
                } else {
                    t.clone()
                };
                o.push(("textContent".into(), Json::Str(text)));
                if ctx.in_style {
                    o.push(("isStyle".into(), Json::Bool(true)));
                }
            }
            Some(NodeKind::Comment(t)) => {
                o.push(("type".into(), int(NT_COMMENT)));
                o.push(("textContent".into(), Json::str(t)));
            }
            // Not rrweb nodes; callers never ask for them.
            Some(NodeKind::ShadowRoot) | None => return Json::Null,
        }
        if deep && self.children_written(id) && ctx.depth < MAX_DEPTH {
            let mut shadow = Vec::new();
            for c in self.mirror.children(id) {
                match self.mirror.node(c) {
                    Some(NodeKind::ShadowRoot) => {
                        let sctx = self.child_ctx(id, ctx);
                        for sc in self.mirror.children(c) {
                            if matches!(
                                self.mirror.node(sc),
                                Some(NodeKind::Document { .. } | NodeKind::ShadowRoot)
                            ) {
                                continue;
                            }
                            let cctx = self.child_ctx(c, sctx);
                            shadow.push(self.serialize(sc, cctx, true));
                        }
                    }
                    // An iframe's document: attached by its own add.
                    Some(NodeKind::Document { .. }) => {}
                    Some(_) => kids.push(self.serialize(c, self.child_ctx(id, ctx), true)),
                    None => {}
                }
            }
            kids.extend(shadow);
            // rrweb puts `_cssText` into the element's text children (`applyCssSplits`): with
            // element children only, the CSS would go nowhere. An empty text node carries it
            // (a fresh id: the page has no such node; only a `link`'s children show it).
            if let Some(NodeKind::Element(e)) = kind {
                let css_el = e.ns == Ns::Html && matches!(e.tag.as_str(), "style" | "link");
                let has_text = kids
                    .iter()
                    .any(|k| k.get("type").and_then(Json::as_i64) == Some(NT_TEXT));
                if css_el && has_css(e) && !kids.is_empty() && !has_text {
                    let mut t = vec![
                        ("type", int(NT_TEXT)),
                        ("textContent", Json::str("")),
                        ("isStyle", Json::Bool(true)),
                    ];
                    if let Some(r) = ctx.root_id {
                        t.push(("rootId", Json::Int(self.rid(r))));
                    }
                    t.push(("id", Json::Int(CSS_CARRIER_IDS + id as i64)));
                    kids.insert(0, obj(t));
                }
            }
        }
        if matches!(kind, Some(NodeKind::Document { .. } | NodeKind::Element(_))) {
            o.push(("childNodes".into(), Json::Arr(kids)));
        }
        if let Some(r) = ctx.root_id {
            o.push(("rootId".into(), Json::Int(self.rid(r))));
        }
        if ctx.shadow {
            o.push(("isShadow".into(), Json::Bool(true)));
        }
        o.push(("id".into(), Json::Int(self.rid(id))));
        Json::Obj(o)
    }

    /// Whether rrweb gets the children of `id` (not for opaque elements, nor a textarea
    /// whose value is written as an attribute).
    fn children_written(&self, id: NodeId) -> bool {
        match self.mirror.node(id) {
            Some(NodeKind::Element(e)) => {
                !(is_opaque(e) || (e.tag == "textarea" && value_of(e).is_some()))
            }
            Some(NodeKind::Document { .. }) | Some(NodeKind::ShadowRoot) => true,
            _ => false,
        }
    }

    /// The element's rrweb attributes (`snapshot`: scroll offsets included).
    fn attributes(
        &self,
        e: &Element,
        has_doc: bool,
        snapshot: bool,
        root: Option<NodeId>,
    ) -> Vec<(String, Json)> {
        let tag = e.tag.as_str();
        let html = e.ns == Ns::Html;
        let base = self.base_in(root);
        if is_opaque(e) {
            let mut a = Vec::new();
            // rrweb keeps only the class; the id is kept too, so page CSS that places the box
            // by id still applies.
            if let Some((_, id)) = e.attrs.iter().find(|(n, _)| n == "id") {
                a.push(("id".into(), Json::str(id)));
            }
            let class = e
                .attrs
                .iter()
                .find(|(n, _)| n == "class")
                .map(|(_, v)| v.as_str())
                .unwrap_or("");
            a.push(("class".into(), Json::Str(block_class(class))));
            if let Some((w, h)) = size_of(e) {
                a.push(("rr_width".into(), Json::Str(format!("{w}px"))));
                a.push(("rr_height".into(), Json::Str(format!("{h}px"))));
            }
            return a;
        }
        let mut a: Vec<(String, Json)> = Vec::with_capacity(e.attrs.len() + 2);
        for (n, v) in &e.attrs {
            if html && matches!(tag, "video" | "audio") && n.eq_ignore_ascii_case("autoplay") {
                continue;
            }
            if html && tag == "iframe" && matches!(n.as_str(), "src" | "srcdoc") {
                if n == "src" && !has_doc && !v.is_empty() {
                    set(&mut a, "rr_src", Json::Str(resolve_url(&base, v)));
                }
                continue;
            }
            if tag == "script" && n == "type" {
                continue;
            }
            let n = &attr_name(e, n);
            set(
                &mut a,
                n,
                Json::Str(transform_attr(tag, n, v, &self.url_base(tag, root))),
            );
        }
        if tag == "script" && matches!(e.ns, Ns::Html | Ns::Svg) {
            set(&mut a, "type", Json::str("text/inert"));
        }
        if !html {
            return a;
        }
        let input_type = e
            .attrs
            .iter()
            .find(|(n, _)| n == "type")
            .map(|(_, v)| v.to_ascii_lowercase())
            .unwrap_or_default();
        for p in &e.props {
            match p {
                // rrweb writes no value for these: their value is not what the user sees.
                Prop::Value(_)
                    if tag == "input"
                        && matches!(
                            input_type.as_str(),
                            "radio" | "checkbox" | "submit" | "button"
                        ) => {}
                Prop::Value(v) if matches!(tag, "input" | "textarea" | "select") => {
                    set(&mut a, "value", Json::str(v));
                }
                Prop::Checked(b) if tag == "input" => {
                    if *b {
                        set(&mut a, "checked", Json::Bool(true));
                    } else {
                        a.retain(|(n, _)| n != "checked");
                    }
                }
                Prop::Selected(b) if tag == "option" => {
                    if *b {
                        set(&mut a, "selected", Json::Bool(true));
                    } else {
                        a.retain(|(n, _)| n != "selected");
                    }
                }
                Prop::Css(css) if matches!(tag, "style" | "link") => {
                    let mut css = absolutize_css(css, &base);
                    if tag == "link" {
                        a.retain(|(n, _)| n != "rel" && n != "href");
                        // rrweb turns a link into a style only for a non-empty `_cssText`
                        // (else it sets a `_csstext` attribute): an empty sheet is a comment.
                        if css.is_empty() {
                            css.push_str("/**/");
                        }
                    }
                    set(&mut a, "_cssText", Json::Str(css));
                }
                Prop::Scroll { x, y } if snapshot => {
                    if *x != 0 {
                        set(&mut a, "rr_scrollLeft", int(*x));
                    }
                    if *y != 0 {
                        set(&mut a, "rr_scrollTop", int(*y));
                    }
                }
                _ => {}
            }
        }
        a
    }

    /// An add attaching iframe document `doc` (whole, minus nested iframe documents).
    ///
    /// A document attached again (its iframe moved, or re-added whole) gets a fresh rrweb id:
    /// rrweb never unmaps a removed iframe's document (a `contentDocument` is not a child),
    /// and its builder returns a node already mapped under an id with equal metadata (every
    /// document of one mode) without building its children, so the new frame stayed empty.
    fn attach_one(&mut self, doc: NodeId, adds: &mut Vec<Json>) {
        let Some(iframe) = self.mirror.parent(doc) else {
            return;
        };
        if !matches!(self.mirror.node(iframe), Some(NodeKind::Element(_))) {
            return;
        }
        if !self.attached.insert(doc) {
            *self.doc_aliases += 1;
            self.doc_alias.insert(doc, *self.doc_aliases);
        }
        let ctx = Ctx {
            root_id: None,
            ..self.ctx_of(doc)
        };
        // The document itself carries no rootId (rrweb's serializer gives it none).
        let node = self.serialize(
            doc,
            Ctx {
                root_id: None,
                shadow: false,
                ..ctx
            },
            true,
        );
        adds.push(obj(vec![
            ("parentId", int(iframe)),
            ("nextId", Json::Null),
            ("node", node),
        ]));
    }

    /// `doc` and every iframe document inside it, in document order.
    fn attach_all(&mut self, doc: NodeId, adds: &mut Vec<Json>) {
        let docs: Vec<NodeId> = self
            .mirror
            .descendants(doc)
            .filter(|&d| matches!(self.mirror.node(d), Some(NodeKind::Document { .. })))
            .collect();
        for d in docs {
            self.attach_one(d, adds);
        }
    }

    /// Adds for the subtree at `root` (now in the mirror), node by node in preorder.
    ///
    /// Form controls with a state get an Input event too (`inputs`): rrweb seeks through a
    /// virtual DOM whose diff reuses the real element of a moved node, where a value set
    /// before (the dirty value) wins over the `value` attribute of the new build.
    fn flat_adds(
        &mut self,
        root: NodeId,
        adds: &mut Vec<Json>,
        scrolls: &mut Vec<(NodeId, i32, i32)>,
        inputs: &mut Vec<(NodeId, String, bool)>,
    ) {
        // (node, rrweb parent id, nextId, ctx)
        let Some(parent) = self.mirror.parent(root) else {
            return;
        };
        let mut stack: Vec<(NodeId, NodeId, Option<NodeId>, Ctx)> = Vec::new();
        let rctx = self.ctx_of(root);
        let rparent = self.rr_parent(parent);
        stack.push((root, rparent, self.mirror.next_sibling(root), rctx));
        while let Some((id, pid, next, ctx)) = stack.pop() {
            match self.mirror.node(id) {
                None => {}
                Some(NodeKind::ShadowRoot) => {
                    // Its children go to the host, flagged isShadow.
                    let host = pid;
                    let kids: Vec<NodeId> = self.mirror.children(id).collect();
                    for &k in kids.iter().rev() {
                        let kctx = self.child_ctx(id, ctx);
                        stack.push((k, host, None, kctx));
                    }
                    let _ = next;
                }
                Some(NodeKind::Document { .. }) => self.attach_all(id, adds),
                Some(_) => {
                    adds.push(obj(vec![
                        ("parentId", Json::Int(self.rid(pid))),
                        ("nextId", next.map_or(Json::Null, int)),
                        ("node", self.serialize(id, ctx, false)),
                    ]));
                    if let Some(NodeKind::Element(e)) = self.mirror.node(id) {
                        if let Some((x, y)) = scroll_of(e) {
                            if x != 0 || y != 0 {
                                scrolls.push((id, x, y));
                            }
                        }
                        if is_select(e) {
                            let v = value_of(e).unwrap_or("").to_owned();
                            if let Some(v) = self.select_input(id, &v) {
                                inputs.push((id, v, false));
                            }
                        } else if let Some((v, b)) = input_state(e) {
                            inputs.push((id, v, b));
                        }
                    }
                    if ctx.depth < MAX_DEPTH && self.children_written(id) {
                        let kids: Vec<NodeId> = self.mirror.children(id).collect();
                        for &k in kids.iter().rev() {
                            stack.push((k, id, None, self.child_ctx(id, ctx)));
                        }
                    }
                }
            }
        }
    }

    /// The rrweb node standing for `parent` as a parent: a shadow root's host.
    fn rr_parent(&self, parent: NodeId) -> NodeId {
        match self.mirror.node(parent) {
            Some(NodeKind::ShadowRoot) => self.mirror.parent(parent).unwrap_or(parent),
            _ => parent,
        }
    }

    /// Whether `id` is inside content rrweb does not get (an opaque element, a textarea
    /// whose value stands for its text).
    fn hidden(&self, id: NodeId) -> bool {
        let mut cur = self.mirror.parent(id);
        while let Some(p) = cur {
            if matches!(self.mirror.node(p), Some(NodeKind::Element(_)))
                && !self.children_written(p)
            {
                return true;
            }
            cur = self.mirror.parent(p);
        }
        false
    }

    /// Removes of the children of every shadow root and frame document inside `id`'s subtree
    /// (`id` itself excepted), deepest first: rrweb's removal unmaps a node's children but
    /// neither its shadow root's (rrdom's `Mirror.removeNodeFromMap`) nor an iframe's
    /// document's, so a later add of the same ids would reuse stale nodes (its builder returns
    /// a mapped node with equal metadata as it is).
    fn unmap_inner(&self, id: NodeId, removes: &mut Vec<Json>) {
        let roots: Vec<NodeId> = self
            .mirror
            .descendants(id)
            .filter(|&d| {
                d != id
                    && matches!(
                        self.mirror.node(d),
                        Some(NodeKind::ShadowRoot | NodeKind::Document { .. })
                    )
                    && !self.hidden(d)
            })
            .collect();
        for &r in roots.iter().rev() {
            let shadow = matches!(self.mirror.node(r), Some(NodeKind::ShadowRoot));
            let parent = if shadow {
                match self.mirror.parent(r) {
                    Some(host) => host,
                    None => continue,
                }
            } else {
                r
            };
            for c in self.mirror.children(r) {
                if !matches!(
                    self.mirror.node(c),
                    Some(NodeKind::Document { .. } | NodeKind::ShadowRoot)
                ) {
                    removes.push(remove_json(self.rid(parent), c, shadow));
                }
            }
        }
    }

    /// The Input event text for select `id` now holding `value`, if one is needed.
    ///
    /// A select's options' `selected` attributes carry its selection; Input events
    /// (`select.value = text` in rrweb) are sent only to deselect every option (an empty
    /// value, which dirties no option) and for the first value after that. rrweb matches the
    /// text against the options as it built them (URLs made absolute in a `<style>` inside
    /// an option, its `:hover` rewriting), picks the first of equal values, and, when seeking,
    /// applies a node's last Input event after every later change; and the option it selects
    /// becomes dirty, so later `selected` attributes would no longer apply.
    fn select_input(&mut self, id: NodeId, value: &str) -> Option<String> {
        if value.is_empty() {
            self.empty_selects.insert(id);
            Some(String::new())
        } else if self.empty_selects.remove(&id) {
            Some(value.to_owned())
        } else {
            None
        }
    }

    /// The rrweb id of node `id` (a re-attached frame document has a fresh one).
    fn rid(&self, id: NodeId) -> i64 {
        self.doc_alias.get(&id).copied().unwrap_or(id as i64)
    }

    /// `id` or one of its ancestors is in `set`.
    fn under(&self, id: NodeId, set: &BTreeSet<NodeId>) -> bool {
        let mut cur = Some(id);
        while let Some(c) = cur {
            if set.contains(&c) {
                return true;
            }
            cur = self.mirror.parent(c);
        }
        false
    }

    fn mutation(&mut self, t: u64, m: &Mutation) {
        let root = self.mirror.root();
        // ---- before applying: what rrweb must remove ----
        let moves: Vec<NodeId> = m
            .adds
            .iter()
            .filter_map(|a| match a.node {
                AddNode::Move(id) => Some(id),
                AddNode::New(_) => None,
            })
            .collect();
        let new_ids: Vec<NodeId> = m
            .adds
            .iter()
            .filter_map(|a| match &a.node {
                AddNode::New(tree) => Some(tree.nodes.iter().map(|n| n.id)),
                AddNode::Move(_) => None,
            })
            .flatten()
            .collect();
        // Re-added whole rather than patched: an element that becomes opaque (rrweb's blocked
        // shape is made when a node is built), and a `style` / `link` whose CSS changed
        // (rrweb rebuilds a `_cssText` change without the element's children, which empties
        // a `<style>` that has text).
        let readd: Vec<NodeId> = m
            .props
            .iter()
            .filter(|(id, p)| match p {
                Prop::Opaque => self.mirror.element(*id).is_some_and(|e| !is_opaque(e)),
                Prop::Css(_) => self.mirror.element(*id).is_some_and(|e| !is_opaque(e)),
                Prop::Clear(PropKind::Opaque) => self.mirror.element(*id).is_some_and(is_opaque),
                Prop::Clear(PropKind::Css) => self
                    .mirror
                    .element(*id)
                    .is_some_and(|e| has_css(e) && !is_opaque(e)),
                _ => false,
            })
            .map(|(id, _)| *id)
            // A host given an empty shadow root: rrweb attaches a shadow root only when it
            // builds a host flagged `isShadowHost` or adds a shadow child, so it is built again.
            .chain(m.adds.iter().filter_map(|a| match &a.node {
                AddNode::New(tree)
                    if tree.nodes.len() == 1
                        && matches!(tree.nodes[0].kind, NodeKind::ShadowRoot)
                        && self.mirror.element(a.parent).is_some_and(|e| !is_opaque(e)) =>
                {
                    Some(a.parent)
                }
                _ => None,
            }))
            .collect();
        let removed: BTreeSet<NodeId> = m
            .removes
            .iter()
            .chain(&moves)
            .chain(&readd)
            .copied()
            .filter(|&id| self.mirror.contains(id) && Some(id) != root && !self.hidden(id))
            .collect();
        let mut removes = Vec::new();
        for &id in &removed {
            let parent = self.mirror.parent(id);
            // Removing an ancestor removes this one too.
            if parent.is_some_and(|p| self.under(p, &removed)) {
                continue;
            }
            let Some(parent) = parent else { continue };
            match self.mirror.node(id) {
                // Not rrweb nodes: remove what they hold.
                Some(NodeKind::ShadowRoot) | Some(NodeKind::Document { .. }) => {
                    let shadow = matches!(self.mirror.node(id), Some(NodeKind::ShadowRoot));
                    let rp = if shadow { parent } else { id };
                    for c in self.mirror.children(id) {
                        self.unmap_inner(c, &mut removes);
                        removes.push(remove_json(self.rid(rp), c, shadow));
                    }
                }
                _ => {
                    self.unmap_inner(id, &mut removes);
                    let shadow = matches!(self.mirror.node(parent), Some(NodeKind::ShadowRoot));
                    removes.push(remove_json(self.rid(self.rr_parent(parent)), id, shadow));
                }
            }
        }
        // A "new" node whose id is attached elsewhere and not removed is skipped by the
        // mirror: it must not be re-added.
        let dup: BTreeSet<NodeId> = new_ids
            .iter()
            .copied()
            .filter(|id| self.mirror.contains(*id) && !removed.contains(id))
            .collect();

        // ---- apply ----
        let _ = self.mirror.apply_mutation(m);
        self.update_base();

        // ---- after: what rrweb must add ----
        let cands: BTreeSet<NodeId> = new_ids
            .iter()
            .filter(|id| !dup.contains(id))
            .chain(&moves)
            .chain(&readd)
            .copied()
            .filter(|&id| self.mirror.contains(id) && Some(id) != root && !self.hidden(id))
            .collect();
        let roots: BTreeSet<NodeId> = cands
            .iter()
            .copied()
            .filter(|&id| {
                !self
                    .mirror
                    .parent(id)
                    .is_some_and(|p| self.under(p, &cands))
            })
            .collect();
        let mut adds = Vec::new();
        let mut scrolls = Vec::new();
        let mut inputs = Vec::new();
        let mut done: BTreeSet<NodeId> = BTreeSet::new();
        for &r in &roots {
            if done.contains(&r) {
                continue;
            }
            // Later siblings that are roots too go first, so every nextId exists.
            let mut chain = vec![r];
            let mut cur = self.mirror.next_sibling(r);
            while let Some(c) = cur {
                if !roots.contains(&c) || done.contains(&c) {
                    break;
                }
                chain.push(c);
                cur = self.mirror.next_sibling(c);
            }
            for &c in chain.iter().rev() {
                done.insert(c);
                self.flat_adds(c, &mut adds, &mut scrolls, &mut inputs);
            }
        }

        // ---- values of nodes that stayed ----
        let stays = |id: NodeId, ex: &Self| {
            ex.mirror.contains(id) && !ex.under(id, &cands) && !ex.hidden(id)
        };
        let mut texts = Vec::new();
        for (id, text) in &m.texts {
            if !stays(*id, self) {
                continue;
            }
            let ctx = self.ctx_of(*id);
            if ctx.in_script {
                continue;
            }
            let value = if ctx.in_style || ctx.in_svg_style {
                absolutize_css(text, &self.base_in(ctx.root_id))
            } else {
                text.clone()
            };
            texts.push(obj(vec![("id", int(*id)), ("value", Json::Str(value))]));
        }
        let mut attrs: BTreeMap<NodeId, Vec<(String, Json)>> = BTreeMap::new();
        for ch in &m.attrs {
            if !stays(ch.id, self) {
                continue;
            }
            let Some(e) = self.mirror.element(ch.id) else {
                continue;
            };
            let tag = e.tag.as_str();
            let name = &attr_name(e, &ch.name);
            let name = name.as_str();
            let html = e.ns == Ns::Html;
            let skip = (html && tag == "iframe" && matches!(name, "src" | "srcdoc"))
                || (tag == "script" && name == "type")
                || (is_opaque(e) && !matches!(name, "class" | "id"))
                || (html && tag == "link" && has_css(e) && matches!(name, "rel" | "href"))
                // Form state the export carries as these attributes: the page's own changes
                // of them do not override it (props report the state).
                || (html && state_attr(e, name));
            if skip {
                continue;
            }
            let value = match &ch.value {
                None => Json::Null,
                Some(_) if is_opaque(e) && name == "class" => Json::Str(block_class(
                    e.attrs
                        .iter()
                        .find(|(n, _)| n == "class")
                        .map(|(_, v)| v.as_str())
                        .unwrap_or(""),
                )),
                Some(v) => Json::Str(transform_attr(
                    tag,
                    name,
                    v,
                    &self.url_base(tag, self.doc_of(ch.id)),
                )),
            };
            set(attrs.entry(ch.id).or_default(), name, value);
        }
        for (id, p) in &m.props {
            if !stays(*id, self) {
                continue;
            }
            let Some(e) = self.mirror.element(*id) else {
                continue;
            };
            match p {
                Prop::Value(v) if is_select(e) => {
                    if let Some(v) = self.select_input(*id, v) {
                        inputs.push((*id, v, false));
                    }
                }
                Prop::Value(_) if is_check(e) => {
                    inputs.push((*id, check_value(e), checked_of(e)));
                }
                Prop::Value(v) => inputs.push((*id, v.clone(), checked_of(e))),
                Prop::Checked(b) => {
                    let v = if is_check(e) {
                        check_value(e)
                    } else {
                        value_of(e).map(str::to_owned).unwrap_or_default()
                    };
                    inputs.push((*id, v, *b));
                }
                Prop::Selected(b) => {
                    let v = if *b { Json::str("") } else { Json::Null };
                    set(attrs.entry(*id).or_default(), "selected", v);
                }
                Prop::Scroll { x, y } => scrolls.push((*id, *x, *y)),
                Prop::Size { w, h } if is_opaque(e) => {
                    set(
                        attrs.entry(*id).or_default(),
                        "style",
                        Json::Str(format!("width: {w}px; height: {h}px;")),
                    );
                }
                Prop::Clear(PropKind::Value) if e.tag == "select" => {}
                // The value is the default one again: the `value` attribute (textarea: its text).
                Prop::Clear(PropKind::Value) => {
                    let v = if e.tag == "textarea" {
                        self.mirror
                            .children(*id)
                            .filter_map(|c| match self.mirror.node(c) {
                                Some(NodeKind::Text(t)) => Some(t.as_str()),
                                _ => None,
                            })
                            .collect::<String>()
                    } else {
                        e.attrs
                            .iter()
                            .find(|(n, _)| n == "value")
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default()
                    };
                    inputs.push((*id, v, checked_of(e)));
                }
                Prop::Clear(PropKind::Checked) => {
                    let v = e
                        .attrs
                        .iter()
                        .find(|(n, _)| n == "value")
                        .map(|(_, v)| v.clone())
                        .unwrap_or_else(|| "on".into());
                    let v = if is_check(e) {
                        v
                    } else {
                        value_of(e).map(str::to_owned).unwrap_or(v)
                    };
                    let b = e.attrs.iter().any(|(n, _)| n == "checked");
                    inputs.push((*id, v, b));
                }
                Prop::Clear(PropKind::Selected) => {
                    let b = e.attrs.iter().any(|(n, _)| n == "selected");
                    let v = if b { Json::str("") } else { Json::Null };
                    set(attrs.entry(*id).or_default(), "selected", v);
                }
                Prop::Clear(PropKind::Scroll) => scrolls.push((*id, 0, 0)),
                // Css / Opaque: re-added whole above; FrameUrl: only the base of later URLs.
                Prop::Size { .. }
                | Prop::Opaque
                | Prop::Css(_)
                | Prop::FrameUrl(_)
                | Prop::Clear(_) => {}
            }
        }
        let attributes: Vec<Json> = attrs
            .into_iter()
            .map(|(id, a)| obj(vec![("id", int(id)), ("attributes", Json::Obj(a))]))
            .collect();
        if !(adds.is_empty() && removes.is_empty() && texts.is_empty() && attributes.is_empty()) {
            let data = obj(vec![
                ("source", int(SRC_MUTATION)),
                ("texts", Json::Arr(texts)),
                ("attributes", Json::Arr(attributes)),
                ("removes", Json::Arr(removes)),
                ("adds", Json::Arr(adds)),
            ]);
            self.push(t, event(EV_INCREMENTAL, t, data));
        }
        for (id, text, checked) in inputs {
            let data = obj(vec![
                ("source", int(SRC_INPUT)),
                ("id", int(id)),
                ("text", Json::Str(text)),
                ("isChecked", Json::Bool(checked)),
            ]);
            self.push(t, event(EV_INCREMENTAL, t, data));
        }
        for (id, x, y) in scrolls {
            let data = obj(vec![
                ("source", int(SRC_SCROLL)),
                ("id", Json::Int(self.rid(id))),
                ("x", int(x)),
                ("y", int(y)),
            ]);
            self.push(t, event(EV_INCREMENTAL, t, data));
        }
    }
}

fn remove_json(parent: i64, id: NodeId, shadow: bool) -> Json {
    let mut o = vec![("parentId", Json::Int(parent)), ("id", int(id))];
    if shadow {
        o.push(("isShadow", Json::Bool(true)));
    }
    obj(o)
}

fn set(a: &mut Vec<(String, Json)>, name: &str, v: Json) {
    match a.iter_mut().find(|(n, _)| n == name) {
        Some(slot) => slot.1 = v,
        None => a.push((name.to_owned(), v)),
    }
}

fn block_class(class: &str) -> String {
    if class.split_ascii_whitespace().any(|c| c == "rr-block") {
        class.to_owned()
    } else if class.trim().is_empty() {
        "rr-block".into()
    } else {
        format!("{class} rr-block")
    }
}

/// The attribute name rrweb's replayer ends up with: it builds every element but SVG ones
/// in the HTML namespace with `setAttribute`, which lower-cases the name (its virtual DOM,
/// used when seeking, drops a mixed-case name instead: repros/standalone-rrweb-attr-names.mjs).
fn attr_name(e: &Element, name: &str) -> String {
    if e.ns == Ns::Svg {
        name.to_owned()
    } else {
        name.to_ascii_lowercase()
    }
}

/// Whether attribute `name` of HTML element `e` is written from a form-state prop
/// (`value`, `checked`, `selected`), so the page's own attribute is not what rrweb gets.
fn state_attr(e: &Element, name: &str) -> bool {
    let has = |k: fn(&Prop) -> bool| e.props.iter().any(k);
    match (e.tag.as_str(), name) {
        ("input", "value") => {
            let ty = e
                .attrs
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("type"))
                .map(|(_, v)| v.to_ascii_lowercase())
                .unwrap_or_default();
            !matches!(ty.as_str(), "radio" | "checkbox" | "submit" | "button")
                && has(|p| matches!(p, Prop::Value(_)))
        }
        ("textarea" | "select", "value") => has(|p| matches!(p, Prop::Value(_))),
        ("input", "checked") => has(|p| matches!(p, Prop::Checked(_))),
        ("option", "selected") => has(|p| matches!(p, Prop::Selected(_))),
        _ => false,
    }
}

fn is_opaque(e: &Element) -> bool {
    e.props.iter().any(|p| matches!(p, Prop::Opaque))
}

fn has_css(e: &Element) -> bool {
    e.props.iter().any(|p| matches!(p, Prop::Css(_)))
}

fn value_of(e: &Element) -> Option<&str> {
    e.props.iter().find_map(|p| match p {
        Prop::Value(v) => Some(v.as_str()),
        _ => None,
    })
}

/// What an Input event carries for an HTML form control whose state was recorded: the value
/// (a checkbox's or radio's `value` attribute, else `on`) and the checkedness.
fn input_state(e: &Element) -> Option<(String, bool)> {
    if e.ns != Ns::Html || !matches!(e.tag.as_str(), "input" | "textarea" | "select") {
        return None;
    }
    if is_check(e) {
        let checked = e.props.iter().find_map(|p| match p {
            Prop::Checked(b) => Some(*b),
            _ => None,
        })?;
        return Some((check_value(e), checked));
    }
    value_of(e).map(|v| (v.to_owned(), checked_of(e)))
}

/// A checkbox or radio input: its value is its `value` attribute (else `on`), whatever value
/// was recorded while it was of another type (rrweb's Input event would set the attribute).
fn is_check(e: &Element) -> bool {
    e.ns == Ns::Html
        && e.tag == "input"
        && e.attrs.iter().any(|(n, v)| {
            n.eq_ignore_ascii_case("type")
                && matches!(v.to_ascii_lowercase().as_str(), "checkbox" | "radio")
        })
}

fn check_value(e: &Element) -> String {
    e.attrs
        .iter()
        .find(|(n, _)| n == "value")
        .map_or_else(|| "on".into(), |(_, v)| v.clone())
}

fn is_select(e: &Element) -> bool {
    e.ns == Ns::Html && e.tag == "select"
}

fn checked_of(e: &Element) -> bool {
    e.props.iter().any(|p| matches!(p, Prop::Checked(true)))
}

fn size_of(e: &Element) -> Option<(u32, u32)> {
    e.props.iter().find_map(|p| match p {
        Prop::Size { w, h } => Some((*w, *h)),
        _ => None,
    })
}

fn scroll_of(e: &Element) -> Option<(i32, i32)> {
    e.props.iter().find_map(|p| match p {
        Prop::Scroll { x, y } => Some((*x, *y)),
        _ => None,
    })
}

// ---- URLs ----

/// rrweb's `transformAttribute`: URL-valued attributes made absolute against `base`.
pub fn transform_attr(tag: &str, name: &str, value: &str, base: &str) -> String {
    if value.is_empty() {
        return value.to_owned();
    }
    match name {
        "src" => resolve_url(base, value),
        "href" if !(tag == "use" && value.starts_with('#')) => resolve_url(base, value),
        "xlink:href" if !value.starts_with('#') => resolve_url(base, value),
        "background" if matches!(tag, "table" | "td" | "th") => resolve_url(base, value),
        "data" if tag == "object" => resolve_url(base, value),
        "srcset" => absolutize_srcset(value, base),
        "style" => absolutize_css(value, base),
        _ => value.to_owned(),
    }
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{c}')
}

fn scheme_len(s: &str) -> Option<usize> {
    let mut it = s.char_indices();
    match it.next() {
        Some((_, c)) if c.is_ascii_alphabetic() => {}
        _ => return None,
    }
    for (i, c) in it {
        if c == ':' {
            return Some(i);
        }
        if !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) {
            return None;
        }
    }
    None
}

/// Resolves the URL reference `r` against the absolute URL `base` (RFC 3986 section 5, with
/// the browser's trimming of surrounding whitespace). `r` comes back unchanged when it is
/// already absolute, empty, or when `base` is not a hierarchical URL (`about:blank`, ...).
pub fn resolve_url(base: &str, r: &str) -> String {
    let r = r.trim_matches(is_ws);
    if r.is_empty() || scheme_len(r).is_some() {
        return r.to_owned();
    }
    let Some(sl) = scheme_len(base) else {
        return r.to_owned();
    };
    let scheme = &base[..sl];
    let rest = &base[sl + 1..];
    let Some(after) = rest.strip_prefix("//") else {
        return r.to_owned();
    };
    let auth_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let authority = &after[..auth_end];
    let tail = &after[auth_end..];
    let tail = tail.split('#').next().unwrap_or("");
    let (path, query) = match tail.find('?') {
        Some(q) => (&tail[..q], &tail[q..]),
        None => (tail, ""),
    };
    let path = if path.is_empty() { "/" } else { path };
    let origin = format!("{scheme}://{authority}");
    if let Some(net) = r.strip_prefix("//") {
        return format!("{scheme}://{net}");
    }
    if r.starts_with('/') {
        let (p, q) = split_path(r);
        return format!("{origin}{}{q}", remove_dots(p));
    }
    if r.starts_with('?') {
        return format!("{origin}{path}{r}");
    }
    if r.starts_with('#') {
        return format!("{origin}{path}{query}{r}");
    }
    let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    let (p, q) = split_path(r);
    format!("{origin}{}{q}", remove_dots(&format!("{dir}{p}")))
}

fn split_path(r: &str) -> (&str, &str) {
    let i = r.find(['?', '#']).unwrap_or(r.len());
    (&r[..i], &r[i..])
}

fn remove_dots(path: &str) -> String {
    let segs: Vec<&str> = path.split('/').collect();
    let mut out: Vec<&str> = Vec::new();
    let n = segs.len();
    for (i, s) in segs.iter().enumerate().skip(1) {
        let last = i == n - 1;
        match *s {
            "." => {
                if last {
                    out.push("");
                }
            }
            ".." => {
                out.pop();
                if last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let mut p = String::from("/");
    p.push_str(&out.join("/"));
    p
}

/// rrweb's `getAbsoluteSrcsetString`.
pub fn absolutize_srcset(value: &str, base: &str) -> String {
    if value.trim().is_empty() {
        return value.to_owned();
    }
    let chars: Vec<char> = value.chars().collect();
    let mut pos = 0;
    let mut out: Vec<String> = Vec::new();
    loop {
        while pos < chars.len() && (is_ws(chars[pos]) || chars[pos] == ',') {
            pos += 1;
        }
        if pos >= chars.len() {
            break;
        }
        let start = pos;
        while pos < chars.len() && !is_ws(chars[pos]) {
            pos += 1;
        }
        let url: String = chars[start..pos].iter().collect();
        if let Some(u) = url.strip_suffix(',') {
            out.push(resolve_url(base, u));
            continue;
        }
        let url = resolve_url(base, &url);
        let mut desc = String::new();
        let mut in_parens = false;
        loop {
            let Some(&c) = chars.get(pos) else {
                out.push(format!("{url}{desc}").trim().to_owned());
                break;
            };
            if !in_parens {
                if c == ',' {
                    pos += 1;
                    out.push(format!("{url}{desc}").trim().to_owned());
                    break;
                } else if c == '(' {
                    in_parens = true;
                }
            } else if c == ')' {
                in_parens = false;
            }
            desc.push(c);
            pos += 1;
        }
    }
    out.join(", ")
}

/// Every `url(...)` in CSS text made absolute against `base` (`url(#id)`, `data:` and
/// `blob:` URLs unchanged). Malformed `url(` are copied as they are.
pub fn absolutize_css(css: &str, base: &str) -> String {
    let imports = absolutize_imports(css, base);
    let css = imports.as_str();
    let b = css.as_bytes();
    let mut out = String::with_capacity(css.len());
    let mut i = 0;
    let mut copied = 0;
    while i + 4 <= b.len() {
        if !b[i..i + 4].eq_ignore_ascii_case(b"url(") {
            i += 1;
            continue;
        }
        let open = i + 4;
        let mut j = open;
        while j < b.len() && is_ws(b[j] as char) {
            j += 1;
        }
        let (target, end, quote) = if j < b.len() && (b[j] == b'"' || b[j] == b'\'') {
            let q = b[j];
            let mut k = j + 1;
            while k < b.len() && b[k] != q {
                if b[k] == b'\\' {
                    k += 1;
                }
                k += 1;
            }
            if k >= b.len() {
                i = open;
                continue;
            }
            let mut e = k + 1;
            while e < b.len() && is_ws(b[e] as char) {
                e += 1;
            }
            if e >= b.len() || b[e] != b')' {
                i = open;
                continue;
            }
            (&css[j + 1..k], e + 1, Some(q as char))
        } else {
            match css[j..].find(')') {
                Some(k) => (css[j..j + k].trim_matches(is_ws), j + k + 1, None),
                None => {
                    i = open;
                    continue;
                }
            }
        };
        let keep = target.is_empty()
            || target.starts_with('#')
            || target.get(..5).is_some_and(|p| {
                p.eq_ignore_ascii_case("data:") || p.eq_ignore_ascii_case("blob:")
            });
        out.push_str(&css[copied..i]);
        let resolved = if keep {
            target.to_owned()
        } else {
            resolve_url(base, target)
        };
        out.push_str("url(");
        if let Some(q) = quote {
            out.push(q);
            out.push_str(&resolved);
            out.push(q);
        } else {
            out.push_str(&resolved);
        }
        out.push(')');
        copied = end;
        i = end;
    }
    out.push_str(&css[copied..]);
    out
}

/// The string form of `@import "x"` made absolute against `base` (the `url()` form is left
/// to [`absolutize_css`]).
fn absolutize_imports(css: &str, base: &str) -> String {
    let b = css.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while i + 7 <= b.len() {
        if !b[i..i + 7].eq_ignore_ascii_case(b"@import") {
            i += 1;
            continue;
        }
        let mut j = i + 7;
        while j < b.len() && is_ws(b[j] as char) {
            j += 1;
        }
        if j >= b.len() || !(b[j] == b'"' || b[j] == b'\'') {
            i = j.max(i + 1);
            continue;
        }
        let q = b[j];
        let mut k = j + 1;
        while k < b.len() && b[k] != q {
            if b[k] == b'\\' {
                k += 1;
            }
            k += 1;
        }
        if k >= b.len() {
            break;
        }
        let target = &css[j + 1..k];
        if !target.is_empty() && !target.starts_with('#') {
            out.push_str(&css[copied..j + 1]);
            out.push_str(&resolve_url(base, target));
            copied = k;
        }
        i = k + 1;
    }
    out.push_str(&css[copied..]);
    out
}

/// Splits stylesheet text into its top-level rules (for `insertRule`): a rule ends at the
/// `}` closing its block or at a `;` outside any block; strings, comments and escapes are
/// skipped over.
pub fn split_rules(css: &str) -> Vec<String> {
    let b = css.as_bytes();
    let mut rules = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut i = 0;
    let flush = |from: usize, to: usize, rules: &mut Vec<String>| {
        let r = css[from..to].trim();
        if !r.is_empty() {
            rules.push(r.to_owned());
        }
    };
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'"' | b'\'' => {
                let q = b[i];
                i += 1;
                while i < b.len() && b[i] != q && b[i] != b'\n' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = match css[i + 2..].find("*/") {
                    Some(k) => i + 2 + k + 1,
                    None => b.len(),
                };
                if depth == 0 && css[start..i.min(b.len())].trim_start().starts_with("/*") {
                    // A comment between rules belongs to none.
                    start = (i + 1).min(b.len());
                }
            }
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    flush(start, i + 1, &mut rules);
                    start = i + 1;
                }
            }
            b';' if depth == 0 => {
                flush(start, i + 1, &mut rules);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < b.len() {
        flush(start, b.len(), &mut rules);
    }
    rules
}
