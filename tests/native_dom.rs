//! DOM core: packed parser, snapshot assembly, mutation bookkeeping, mirror serializers.

use insp_agent::dom::diff::DomRecorder;
use insp_agent::dom::mirror::{Mirror, Part, Problem};
use insp_agent::dom::packed::{self, Dup, ListItem, PackedErrorKind, PropRef, TreeBuilder};
use insp_agent::dom::SEP;
use insp_agent::event::{Add, AddNode, AttrChange, Element, FlatNode, FullSnapshot, Mutation, NodeKind, Ns, Prop, Tree};

/// Builds a packed stream token by token.
#[derive(Default, Clone)]
struct P(String);

impl P {
    fn new() -> Self {
        P(String::new())
    }
    fn t(mut self, tok: impl ToString) -> Self {
        self.0.push_str(&tok.to_string());
        self.0.push(SEP);
        self
    }
    fn doc(self, id: u32) -> Self {
        self.t("D").t(id).t(0)
    }
    fn doctype(self, id: u32) -> Self {
        self.t("d").t(id).t("html").t("").t("")
    }
    /// An HTML element, left open.
    fn el(self, id: u32, tag: &str, attrs: &[(&str, &str)]) -> Self {
        self.elx(id, tag, "", attrs, &[])
    }
    fn elx(self, id: u32, tag: &str, ns: &str, attrs: &[(&str, &str)], props: &[(&str, &str)]) -> Self {
        let mut p = self.t("e").t(id).t(tag).t(ns).t(attrs.len());
        for (n, v) in attrs {
            p = p.t(n).t(v);
        }
        p = p.t(props.len());
        for (c, v) in props {
            p = p.t(c).t(v);
        }
        p
    }
    fn text(self, id: u32, s: &str) -> Self {
        self.t("t").t(id).t(s)
    }
    fn end(self) -> Self {
        self.t("/")
    }
    fn s(&self) -> &str {
        &self.0
    }
}

fn tokens_of(s: &str) -> Vec<&str> {
    s.split_terminator(SEP).collect()
}

/// D1 > [doctype 2, html 3 > [head 4, body 5 > [div#a 6 > "hello" 7, ul 8 > li 9/11/13 > "1"/"2"/"3", p 15]]]
fn base() -> P {
    P::new()
        .doc(1)
        .doctype(2)
        .el(3, "html", &[])
        .el(4, "head", &[])
        .end()
        .el(5, "body", &[])
        .el(6, "div", &[("id", "a")])
        .text(7, "hello")
        .end()
        .el(8, "ul", &[])
        .el(9, "li", &[])
        .text(10, "1")
        .end()
        .el(11, "li", &[])
        .text(12, "2")
        .end()
        .el(13, "li", &[])
        .text(14, "3")
        .end()
        .end()
        .el(15, "p", &[])
        .end()
        .end()
        .end()
        .end()
}

fn recorder(snapshot: &str) -> (DomRecorder, FullSnapshot) {
    let mut r = DomRecorder::new();
    r.snapshot_begin();
    assert!(r.is_snapshotting());
    r.snapshot_chunk(snapshot).unwrap();
    let snap = r.snapshot_end(0, 0, 800, 600).expect("snapshot");
    assert!(!r.is_snapshotting());
    (r, snap)
}

/// One batch; `ser` gives the reader's serialization of a requested id.
fn batch(r: &mut DomRecorder, listing: &str, ser: &dyn Fn(u32) -> String) -> (Vec<u32>, Option<Mutation>) {
    let req = r.mutation_begin(listing);
    let nodes: String = req.iter().map(|&id| ser(id)).collect();
    (req.clone(), r.mutation_finish(&nodes))
}

fn no_ser(id: u32) -> String {
    panic!("unexpected request for {id}")
}

/// Replays snapshot + mutations on a fresh mirror (through the wire encoding) and checks it
/// matches the recorder's mirror.
fn assert_replays(r: &DomRecorder, snap: &FullSnapshot, muts: &[Mutation]) {
    let mut m = Mirror::from_snapshot(snap);
    for mu in muts {
        let bytes = postcard::to_allocvec(mu).unwrap();
        let back: Mutation = postcard::from_bytes(&bytes).unwrap();
        m.apply_mutation(&back).expect("replay applies cleanly");
    }
    assert_eq!(m.canonical(), r.mirror().canonical());
    assert_eq!(m.len(), r.mirror().len());
}

fn canon_children(m: &Mirror, id: u32) -> Vec<u32> {
    m.children(id).collect()
}

// ---------------------------------------------------------------- parser

#[test]
fn parses_a_snapshot_into_a_flat_tree() {
    let tree = packed::parse_snapshot(base().s()).unwrap();
    assert_eq!(tree.nodes.len(), 15);
    assert_eq!(tree.nodes[0], FlatNode { id: 1, n: 2, kind: NodeKind::Document { quirks: false } });
    assert_eq!(tree.nodes[1].kind, NodeKind::Doctype { name: "html".into(), public_id: "".into(), system_id: "".into() });
    let ids: Vec<u32> = tree.nodes.iter().map(|n| n.id).collect();
    assert_eq!(ids, (1..=15).collect::<Vec<_>>());
    let counts: Vec<u32> = tree.nodes.iter().map(|n| n.n).collect();
    assert_eq!(counts, vec![2, 0, 2, 0, 3, 1, 0, 3, 1, 0, 1, 0, 1, 0, 0]);
    assert_eq!(
        tree.nodes[5].kind,
        NodeKind::Element(Element { tag: "div".into(), ns: Ns::Html, attrs: vec![("id".into(), "a".into())], props: vec![] })
    );
}

/// A document with every kind of node, namespace and prop.
fn rich() -> P {
    P::new()
        .doc(1)
        .t("d")
        .t(2)
        .t("html")
        .t("-//W3C//DTD HTML 4.01//EN")
        .t("http://www.w3.org/TR/html4/strict.dtd")
        .el(3, "html", &[("lang", "en")])
        .el(4, "head", &[])
        .elx(5, "link", "", &[("rel", "stylesheet"), ("href", "/a.css"), ("media", "screen")], &[("s", "b{color:red}")])
        .end()
        .elx(6, "style", "", &[], &[("s", "i{x:y}")])
        .text(7, "i{}")
        .end()
        .el(8, "script", &[("src", "x.js")])
        .text(9, "alert(1)")
        .end()
        .end()
        .el(10, "body", &[("class", "a b")])
        .el(11, "x-host", &[])
        .t("S")
        .t(12)
        .el(13, "slot", &[])
        .end()
        .end()
        .text(14, "light")
        .end()
        .elx(15, "svg", "s", &[("viewBox", "0 0 1 1")], &[])
        .elx(16, "linearGradient", "http://www.w3.org/2000/svg", &[], &[])
        .end()
        .t("x")
        .t(17)
        .t("cdata]]>")
        .end()
        .elx(18, "math", "m", &[], &[])
        .end()
        .elx(19, "input", "", &[("value", "old"), ("type", "checkbox")], &[("v", "new"), ("k", "1")])
        .end()
        .elx(20, "textarea", "", &[], &[("v", "\ntyped")])
        .end()
        .elx(21, "select", "", &[], &[])
        .elx(22, "option", "", &[], &[("z", "1")])
        .end()
        .end()
        .elx(23, "div", "", &[], &[("o", "10,-20"), ("w", "300,150")])
        .end()
        .el(24, "iframe", &[("src", "/frame")])
        .doc(25)
        .el(26, "html", &[])
        .el(27, "body", &[])
        .text(28, "in \"frame\" & <b>")
        .end()
        .end()
        .end()
        .end()
        .elx(29, "iframe", "", &[("src", "https://other.example/")], &[("O", ""), ("w", "640,480")])
        .end()
        .t("c")
        .t(30)
        .t("a --> b")
        .el(31, "pre", &[])
        .text(32, "\nx")
        .end()
        .el(33, "p", &[])
        .text(34, "1 < 2 & \u{a0}")
        .end()
        .elx(35, "foo", "urn:x", &[("b", "2"), ("a", "1")], &[])
        .end()
        .end()
        .end()
        .end()
}

#[test]
fn chunk_splits_at_every_token_boundary_give_the_same_tree() {
    let full = rich();
    let whole = packed::parse_snapshot(full.s()).unwrap();
    let toks = tokens_of(full.s());
    let mut offsets = vec![0];
    let mut at = 0;
    for t in &toks {
        at += t.len() + 1;
        offsets.push(at);
    }
    // Every single split point, and every pair of split points.
    for &a in &offsets {
        let mut b = TreeBuilder::snapshot();
        b.feed(&full.s()[..a]).unwrap();
        b.feed(&full.s()[a..]).unwrap();
        assert_eq!(b.into_snapshot_tree().unwrap(), whole, "split at {a}");
    }
    for (i, &a) in offsets.iter().enumerate().step_by(3) {
        for &c in &offsets[i..] {
            let mut b = TreeBuilder::snapshot();
            for part in [&full.s()[..a], &full.s()[a..c], &full.s()[c..]] {
                b.feed(part).unwrap();
            }
            assert_eq!(b.into_snapshot_tree().unwrap(), whole);
        }
    }
    // One token per chunk.
    let mut b = TreeBuilder::snapshot();
    for w in offsets.windows(2) {
        b.feed(&full.s()[w[0]..w[1]]).unwrap();
    }
    assert_eq!(b.into_snapshot_tree().unwrap(), whole);
}

#[test]
fn chunks_cut_inside_a_token_are_joined() {
    let full = rich();
    let whole = packed::parse_snapshot(full.s()).unwrap();
    let s = full.s();
    for a in (0..s.len()).filter(|&i| s.is_char_boundary(i)) {
        let mut b = TreeBuilder::snapshot();
        b.feed(&s[..a]).unwrap();
        b.feed(&s[a..]).unwrap();
        assert_eq!(b.into_snapshot_tree().unwrap(), whole, "split at byte {a}");
    }
}

#[test]
fn rich_snapshot_kinds_namespaces_and_props() {
    let tree = packed::parse_snapshot(rich().s()).unwrap();
    let find = |id: u32| tree.nodes.iter().find(|n| n.id == id).unwrap();
    let el = |id: u32| match &find(id).kind {
        NodeKind::Element(e) => e.clone(),
        k => panic!("{k:?}"),
    };
    assert_eq!(find(12).kind, NodeKind::ShadowRoot);
    assert_eq!(el(15).ns, Ns::Svg);
    assert_eq!(el(16).ns, Ns::Svg, "known namespace URIs are normalized");
    assert_eq!(el(16).tag, "linearGradient");
    assert_eq!(el(18).ns, Ns::MathMl);
    assert_eq!(el(35).ns, Ns::Other("urn:x".into()));
    assert_eq!(find(17).kind, NodeKind::CData("cdata]]>".into()));
    assert_eq!(find(25).kind, NodeKind::Document { quirks: false });
    assert_eq!(el(19).props, vec![Prop::Value("new".into()), Prop::Checked(true)]);
    assert_eq!(el(22).props, vec![Prop::Selected(true)]);
    assert_eq!(el(23).props, vec![Prop::Scroll { x: 10, y: -20 }, Prop::Size { w: 300, h: 150 }]);
    assert_eq!(el(29).props, vec![Prop::Opaque, Prop::Size { w: 640, h: 480 }]);
    assert_eq!(el(5).props, vec![Prop::Css("b{color:red}".into())]);
}

#[test]
fn writer_round_trips() {
    let tree = packed::parse_snapshot(rich().s()).unwrap();
    let mut out = String::new();
    packed::write_tree(&mut out, &tree);
    assert_eq!(packed::parse_snapshot(&out).unwrap(), tree);
    let mut out = String::new();
    packed::write_tree(&mut out, &packed::parse_snapshot(base().s()).unwrap());
    assert_eq!(out, base().0);
}

#[test]
fn malformed_input_is_an_error_not_a_panic() {
    use PackedErrorKind::*;
    let cases: Vec<(P, PackedErrorKind)> = vec![
        (P::new().t("q").t(1), NotADocument),
        (P::new().doc(1).t("q").t(2).end(), UnknownItem),
        (P::new().doc(1).text(0, "x").end(), ZeroId),
        (P::new().t("D").t("x").t(0).end(), BadNumber),
        (P::new().t("D").t("99999999999").t(0).end(), BadNumber),
        (P::new().t("D").t("-1").t(0).end(), BadNumber),
        (P::new().t("D").t(1).t(2).end(), BadFlag),
        (P::new().doc(1).end().end(), UnexpectedClose),
        (P::new().doc(1).end().text(2, "x"), TrailingData),
        (P::new().doc(1).end().doc(2).end(), TrailingData),
        (P::new().doc(1).elx(2, "a", "", &[], &[("q", "1")]).end().end(), BadProp),
        (P::new().doc(1).elx(2, "a", "", &[], &[("k", "2")]).end().end(), BadFlag),
        (P::new().doc(1).elx(2, "a", "", &[], &[("o", "1")]).end().end(), BadNumber),
        (P::new().doc(1).t("e").t(2).t("a").t("").t("x").end(), BadNumber),
    ];
    for (p, kind) in cases {
        let e = packed::parse_snapshot(p.s()).unwrap_err();
        assert_eq!(e.kind, kind, "{:?}", p.s());
    }
    // Structure: an unclosed document, a cut item, a close with nothing open.
    assert_eq!(packed::parse_snapshot(P::new().doc(1).el(2, "a", &[]).s()).unwrap_err().kind, Unclosed);
    assert_eq!(packed::parse_snapshot(P::new().doc(1).t("e").t(2).s()).unwrap_err().kind, Truncated);
    assert_eq!(packed::parse_snapshot("D\u{0}1\u{0}0").unwrap_err().kind, Truncated);
    assert_eq!(packed::parse_nodes(P::new().end().s(), Dup::FirstWins).unwrap_err().kind, UnexpectedClose);
    // A count far beyond the input: no huge allocation, just truncated.
    let p = P::new().doc(1).t("e").t(2).t("a").t("").t(u32::MAX).t("n").t("v");
    assert_eq!(packed::parse_snapshot(p.s()).unwrap_err().kind, Truncated);
    assert_eq!(packed::parse_listing(P::new().t("C").t(1).t(u32::MAX).t(2).s()).unwrap_err().kind, Truncated);
    // The error is sticky and reported with its offset.
    let mut b = TreeBuilder::snapshot();
    b.feed(P::new().doc(1).s()).unwrap();
    let e = b.feed(P::new().t("?").t(2).s()).unwrap_err();
    assert_eq!((e.kind, e.at), (UnknownItem, 6));
    assert!(b.feed(P::new().end().s()).is_err());
    // The recorder rejects the snapshot as a whole and keeps its mirror.
    let (mut r, _) = recorder(base().s());
    r.snapshot_begin();
    r.snapshot_chunk(P::new().doc(1).el(2, "html", &[]).s()).unwrap();
    assert!(r.snapshot_end(0, 0, 1, 1).is_none());
    assert_eq!(r.mirror().len(), 15);
    assert!(r.take_error().is_some());
    assert_eq!(DomRecorder::new().snapshot_chunk("").unwrap_err().kind, NoSnapshot);
}

#[test]
fn deep_nesting_uses_no_recursion() {
    // Deep enough that any recursion would overflow a 2 MiB test-thread stack.
    const DEPTH: u32 = 100_000;
    let mut s = P::new().doc(1);
    for i in 0..DEPTH {
        s = s.el(i + 2, "div", &[]);
    }
    s = s.text(DEPTH + 2, "deep");
    for _ in 0..=DEPTH {
        s = s.end();
    }
    let (r, snap) = recorder(s.s());
    assert_eq!(snap.tree.nodes.len(), DEPTH as usize + 2);
    let m = r.mirror();
    assert_eq!(m.len(), DEPTH as usize + 2);
    assert_eq!(m.subtree(1).unwrap(), snap.tree);
    assert_eq!(m.descendants(1).count(), DEPTH as usize + 2);
    assert!(m.to_html().starts_with("<div><div>"));
    // Removing the whole chain and dropping everything is flat too.
    let mut m2 = m.clone();
    m2.apply_mutation(&Mutation { removes: vec![2], ..Default::default() }).unwrap();
    assert_eq!(m2.len(), 1);
    drop(snap);
}

#[test]
fn repeated_id_in_a_snapshot_later_position_wins() {
    // 5 (with child 6) is walked under 3, then moves under 4 and is walked again there.
    let s = P::new()
        .doc(1)
        .el(2, "body", &[])
        .el(3, "div", &[])
        .el(5, "span", &[])
        .text(6, "old")
        .end()
        .text(7, "stays")
        .end()
        .el(4, "div", &[])
        .el(5, "span", &[])
        .text(6, "new")
        .end()
        .end()
        .end()
        .end();
    let (r, _) = recorder(s.s());
    let m = r.mirror();
    assert_eq!(canon_children(m, 3), vec![7]);
    assert_eq!(canon_children(m, 4), vec![5]);
    assert_eq!(m.node(6), Some(&NodeKind::Text("new".into())));
    assert_eq!(m.len(), 7);
    // An id repeating inside its own open occurrence cannot be a move: that copy is skipped.
    let s = P::new().doc(1).el(2, "a", &[]).el(2, "b", &[]).text(3, "x").end().text(4, "y").end().end();
    let tree = packed::parse_snapshot(s.s()).unwrap();
    let ids: Vec<u32> = tree.nodes.iter().map(|n| n.id).collect();
    assert_eq!(ids, vec![1, 2, 4]);
    // A node dropped, then an ancestor of its later copy dropped too: counts stay right.
    let s = P::new()
        .doc(1)
        .el(2, "a", &[])
        .text(3, "t")
        .end()
        .el(4, "b", &[])
        .el(2, "a", &[])
        .text(3, "t")
        .end()
        .end()
        .el(4, "b", &[])
        .end()
        .end();
    let tree = packed::parse_snapshot(s.s()).unwrap();
    let m = Mirror::from_snapshot(&FullSnapshot { tree: tree.clone(), scroll_x: 0, scroll_y: 0, width: 0, height: 0 });
    assert_eq!(m.canonical(), "#document\n  <b>\n");
    assert_eq!(tree.nodes.len(), 2);
}

#[test]
fn listing_items() {
    let l = P::new()
        .t("C")
        .t(5)
        .t(3)
        .t(6)
        .t(8)
        .t(15)
        .t("A")
        .t(6)
        .t("id")
        .t("b")
        .t("a")
        .t(6)
        .t("title")
        .t("T")
        .t(7)
        .t("hi")
        .t("P")
        .t(19)
        .t("v")
        .t("x");
    let items = packed::parse_listing(l.s()).unwrap();
    assert_eq!(
        items,
        vec![
            ListItem::Children { parent: 5, ids: vec![6, 8, 15] },
            ListItem::Attr { id: 6, name: "id", value: Some("b") },
            ListItem::Attr { id: 6, name: "title", value: None },
            ListItem::Text { id: 7, text: "hi" },
            ListItem::Prop { id: 19, prop: PropRef::Value("x") },
        ]
    );
    assert!(packed::parse_listing("").unwrap().is_empty());
    assert_eq!(packed::parse_listing(P::new().t("Z").t(1).s()).unwrap_err().kind, PackedErrorKind::UnknownItem);
}

#[test]
fn nul_in_text_is_written_as_replacement_char() {
    let tree = Tree { nodes: vec![FlatNode { id: 1, n: 0, kind: NodeKind::Text("a\0b".into()) }] };
    let mut out = String::new();
    packed::write_tree(&mut out, &tree);
    assert_eq!(out, "t\u{0}1\u{0}a\u{FFFD}b\u{0}");
}

// ---------------------------------------------------------------- snapshot assembly

#[test]
fn snapshot_assembly_matches_the_stream() {
    let (r, snap) = recorder(rich().s());
    assert_eq!((snap.width, snap.height), (800, 600));
    assert_eq!(r.mirror().subtree(1).unwrap(), snap.tree);
    assert_eq!(r.mirror().root(), Some(1));
    assert_eq!(r.mirror().parent(25), Some(24));
    assert_eq!(r.mirror().first_child(11), Some(12));
    assert_eq!(r.mirror().descendants(11).collect::<Vec<_>>(), vec![11, 12, 13, 14]);
    // A second snapshot replaces everything.
    let mut r = r;
    r.snapshot_begin();
    let half = base();
    let (a, b) = half.s().split_at(half.s().len() / 2);
    let cut = a.rfind(SEP).unwrap() + 1;
    r.snapshot_chunk(&half.s()[..cut]).unwrap();
    r.snapshot_chunk(&[&a[cut..], b].concat()).unwrap();
    let snap2 = r.snapshot_end(1, 2, 3, 4).unwrap();
    assert_eq!(r.mirror().len(), 15);
    assert!(!r.mirror().contains(35));
    assert_eq!((snap2.scroll_x, snap2.scroll_y), (1, 2));
}

#[test]
fn snapshot_of_40k_nodes_is_fast() {
    let mut p = P::new().doc(1).el(2, "html", &[]).el(3, "body", &[]);
    let mut id = 4;
    for i in 0..4000 {
        p = p.el(id, "div", &[("class", "row"), ("data-i", &i.to_string())]);
        id += 1;
        for _ in 0..4 {
            p = p.el(id, "span", &[("class", "cell")]).text(id + 1, "some cell text").end();
            id += 2;
        }
        p = p.text(id, "\n").end();
        id += 1;
    }
    p = p.end().end().end();
    let s = p.0;
    let t0 = std::time::Instant::now();
    let (r, snap) = recorder(&s);
    let dt = t0.elapsed();
    assert_eq!(snap.tree.nodes.len(), 40_003);
    assert_eq!(r.mirror().len(), 40_003);
    eprintln!("40k-node snapshot: {dt:?} ({} bytes)", s.len());
    // Generous: debug builds are ~10x slower than the few ms of a release build.
    assert!(dt.as_millis() < 2_000);
}

// ---------------------------------------------------------------- mutation bookkeeping

fn children_item(parent: u32, ids: &[u32]) -> P {
    let mut p = P::new().t("C").t(parent).t(ids.len());
    for i in ids {
        p = p.t(i);
    }
    p
}

fn cat(ps: &[P]) -> String {
    ps.iter().map(|p| p.0.as_str()).collect()
}

#[test]
fn add_then_remove_in_one_batch_emits_nothing() {
    let (mut r, _) = recorder(base().s());
    // The transient node never shows in the current list of its parent.
    let (req, m) = batch(&mut r, &cat(&[children_item(8, &[9, 11, 13])]), &no_ser);
    assert!(req.is_empty());
    assert_eq!(m, None);
    // A listing with nothing at all.
    assert_eq!(batch(&mut r, "", &no_ser).1, None);
    // mutation_finish without a plan.
    assert_eq!(r.mutation_finish(""), None);
}

#[test]
fn append_and_insert_are_single_adds() {
    let (mut r, snap) = recorder(base().s());
    let ser = |id: u32| P::new().el(id, "li", &[]).text(id + 100, "new").end().0;
    let (req, m) = batch(&mut r, &cat(&[children_item(8, &[50, 9, 11, 60, 13, 70])]), &ser);
    assert_eq!(req, vec![50, 60, 70]);
    let m = m.unwrap();
    assert!(m.removes.is_empty());
    let shape: Vec<(u32, Option<u32>, u32)> = m
        .adds
        .iter()
        .map(|a| match &a.node {
            AddNode::New(t) => (a.parent, a.next, t.nodes[0].id),
            AddNode::Move(id) => panic!("unexpected move {id}"),
        })
        .collect();
    assert_eq!(shape, vec![(8, None, 70), (8, Some(13), 60), (8, Some(9), 50)]);
    assert_eq!(canon_children(r.mirror(), 8), vec![50, 9, 11, 60, 13, 70]);
    assert_eq!(r.mirror().node(160), Some(&NodeKind::Text("new".into())));
    assert_replays(&r, &snap, &[m]);
}

#[test]
fn remove_takes_the_subtree() {
    let (mut r, snap) = recorder(base().s());
    let (_, m) = batch(&mut r, &cat(&[children_item(8, &[9, 13])]), &no_ser);
    let m = m.unwrap();
    assert_eq!(m.removes, vec![11]);
    assert!(m.adds.is_empty());
    assert!(!r.mirror().contains(12));
    assert_eq!(r.mirror().len(), 13);
    assert_replays(&r, &snap, &[m]);
}

#[test]
fn move_keeps_id_and_subtree() {
    let (mut r, snap) = recorder(base().s());
    // li 11 (with its text 12) moves from the ul into the p.
    let (req, m) = batch(&mut r, &cat(&[children_item(8, &[9, 13]), children_item(15, &[11])]), &no_ser);
    assert!(req.is_empty());
    let m = m.unwrap();
    assert!(m.removes.is_empty());
    assert_eq!(m.adds, vec![Add { parent: 15, next: None, node: AddNode::Move(11) }]);
    assert_eq!(canon_children(r.mirror(), 15), vec![11]);
    assert_eq!(canon_children(r.mirror(), 11), vec![12]);
    assert_replays(&r, &snap, &[m]);
}

#[test]
fn move_within_parent_moves_only_what_the_lis_does_not_keep() {
    let (mut r, snap) = recorder(base().s());
    // 9 11 13 -> 13 9 11: one move (13 before 9), not three.
    let (_, m) = batch(&mut r, &cat(&[children_item(8, &[13, 9, 11])]), &no_ser);
    let m = m.unwrap();
    assert_eq!(m.adds, vec![Add { parent: 8, next: Some(9), node: AddNode::Move(13) }]);
    assert_eq!(canon_children(r.mirror(), 8), vec![13, 9, 11]);
    // Full reversal: 13 9 11 -> 11 9 13: two moves.
    let (_, m2) = batch(&mut r, &cat(&[children_item(8, &[11, 9, 13])]), &no_ser);
    let m2 = m2.unwrap();
    assert_eq!(m2.adds.len(), 2);
    assert_eq!(canon_children(r.mirror(), 8), vec![11, 9, 13]);
    assert_replays(&r, &snap, &[m, m2]);
}

#[test]
fn remove_parent_with_a_child_moved_out_first() {
    let (mut r, snap) = recorder(base().s());
    // li 11 moves to the body, then the ul (with 9 and 13) is removed.
    let listing = cat(&[children_item(8, &[9, 13]), children_item(5, &[6, 11, 15])]);
    let (_, m) = batch(&mut r, &listing, &no_ser);
    let m = m.unwrap();
    assert_eq!(m.removes, vec![8]);
    assert_eq!(m.adds, vec![Add { parent: 5, next: Some(15), node: AddNode::Move(11) }]);
    assert_eq!(canon_children(r.mirror(), 5), vec![6, 11, 15]);
    assert_eq!(canon_children(r.mirror(), 11), vec![12]);
    assert!(!r.mirror().contains(9) && !r.mirror().contains(10) && !r.mirror().contains(8));
    assert_replays(&r, &snap, &[m]);
}

#[test]
fn nested_changes_are_ignored() {
    let (mut r, snap) = recorder(base().s());
    // The ul is removed; a list for it (a removed parent) and for a new node are ignored,
    // and an attribute on a removed node is not emitted.
    let listing = cat(&[
        children_item(5, &[6, 40, 15]),
        children_item(8, &[9, 41]),
        children_item(40, &[42]),
        P::new().t("A").t(9).t("x").t("1"),
        P::new().t("A").t(40).t("x").t("1"),
    ]);
    let ser = |id: u32| P::new().el(id, "section", &[("x", "1")]).el(42, "b", &[]).end().end().0;
    let (req, m) = batch(&mut r, &listing, &ser);
    assert_eq!(req, vec![40]);
    let m = m.unwrap();
    assert_eq!(m.removes, vec![8]);
    assert_eq!(m.adds.len(), 1);
    assert!(m.attrs.is_empty());
    assert_eq!(r.mirror().canonical().matches("<section x=\"1\">").count(), 1);
    assert_eq!(canon_children(r.mirror(), 40), vec![42]);
    assert_replays(&r, &snap, &[m]);
}

#[test]
fn attributes_collapse_to_the_final_value() {
    let (mut r, snap) = recorder(base().s());
    let listing = cat(&[
        P::new().t("A").t(6).t("id").t("b"),
        P::new().t("A").t(6).t("title").t("t1"),
        P::new().t("A").t(6).t("id").t("c"),
        P::new().t("a").t(6).t("title"),
        P::new().t("A").t(15).t("class").t("x"),
        P::new().t("A").t(15).t("class").t("y"),
        // Equal to the mirror: nothing to send.
        P::new().t("A").t(9).t("z").t("1"),
        P::new().t("a").t(9).t("z"),
        // Unknown node, non-element node: ignored.
        P::new().t("A").t(999).t("x").t("1"),
        P::new().t("A").t(7).t("x").t("1"),
    ]);
    let (_, m) = batch(&mut r, &listing, &no_ser);
    let m = m.unwrap();
    assert_eq!(
        m.attrs,
        vec![
            AttrChange { id: 6, name: "id".into(), value: Some("c".into()) },
            AttrChange { id: 15, name: "class".into(), value: Some("y".into()) },
        ]
    );
    assert_replays(&r, &snap, std::slice::from_ref(&m));
    // Now removing one and re-sending the same value.
    let (_, m2) = batch(&mut r, &cat(&[P::new().t("a").t(6).t("id"), P::new().t("A").t(15).t("class").t("y")]), &no_ser);
    let m2 = m2.unwrap();
    assert_eq!(m2.attrs, vec![AttrChange { id: 6, name: "id".into(), value: None }]);
    assert_replays(&r, &snap, &[m, m2]);
}

#[test]
fn text_is_final_and_props_replace_their_kind() {
    let s = P::new().doc(1).elx(2, "input", "", &[], &[("v", "a"), ("k", "0")]).end().text(3, "t").t("c").t(4).t("c").end();
    let (mut r, snap) = recorder(s.s());
    let listing = cat(&[
        P::new().t("T").t(3).t("x"),
        P::new().t("T").t(3).t("y"),
        P::new().t("T").t(4).t("c"),
        P::new().t("P").t(2).t("v").t("ab"),
        P::new().t("P").t(2).t("v").t("abc"),
        P::new().t("P").t(2).t("k").t("0"),
        P::new().t("P").t(2).t("o").t("0,5"),
    ]);
    let (_, m) = batch(&mut r, &listing, &no_ser);
    let m = m.unwrap();
    assert_eq!(m.texts, vec![(3, "y".to_string())]);
    assert_eq!(m.props, vec![(2, Prop::Value("abc".into())), (2, Prop::Scroll { x: 0, y: 5 })]);
    match r.mirror().node(2) {
        Some(NodeKind::Element(e)) => {
            assert_eq!(e.props, vec![Prop::Value("abc".into()), Prop::Checked(false), Prop::Scroll { x: 0, y: 5 }])
        }
        k => panic!("{k:?}"),
    }
    assert_replays(&r, &snap, &[m]);
}

#[test]
fn re_add_of_a_node_removed_earlier_is_reserialized() {
    let (mut r, snap) = recorder(base().s());
    let (_, m1) = batch(&mut r, &cat(&[children_item(5, &[8, 15])]), &no_ser);
    let m1 = m1.unwrap();
    assert_eq!(m1.removes, vec![6]);
    // The reader still knows node 6 (same id) and puts it back, changed meanwhile.
    let ser = |id: u32| {
        assert_eq!(id, 6);
        P::new().el(6, "div", &[("id", "z")]).text(7, "changed").end().0
    };
    let (req, m2) = batch(&mut r, &cat(&[children_item(5, &[6, 8, 15])]), &ser);
    assert_eq!(req, vec![6]);
    let m2 = m2.unwrap();
    assert!(matches!(&m2.adds[..], [Add { parent: 5, next: Some(8), node: AddNode::New(_) }]));
    assert_eq!(r.mirror().node(7), Some(&NodeKind::Text("changed".into())));
    assert_replays(&r, &snap, &[m1, m2]);
}

#[test]
fn mirror_node_wrapped_into_new_content_is_new_content() {
    let (mut r, snap) = recorder(base().s());
    // div 6 is wrapped: body gets a new section 40 that contains 6.
    let listing = cat(&[children_item(5, &[40, 8, 15])]);
    let ser = |id: u32| P::new().el(id, "section", &[]).el(6, "div", &[("id", "a")]).text(7, "hello").end().end().0;
    let (req, m) = batch(&mut r, &listing, &ser);
    assert_eq!(req, vec![40]);
    let m = m.unwrap();
    assert_eq!(m.removes, vec![6]);
    assert_eq!(m.adds.len(), 1);
    assert_eq!(r.mirror().parent(6), Some(40));
    assert_eq!(r.mirror().parent(7), Some(6));
    assert_eq!(r.mirror().len(), 16);
    assert_replays(&r, &snap, &[m]);
}

#[test]
fn serialized_copy_of_a_node_kept_elsewhere_is_dropped() {
    let (mut r, snap) = recorder(base().s());
    // An inconsistent reader serializes the p (15, still in the body) inside new content.
    let listing = cat(&[children_item(6, &[7, 40])]);
    let ser = |id: u32| P::new().el(id, "b", &[]).el(15, "p", &[]).end().text(41, "ok").end().0;
    let (_, m) = batch(&mut r, &listing, &ser);
    let m = m.unwrap();
    match &m.adds[0].node {
        AddNode::New(t) => assert_eq!(t.nodes.iter().map(|n| n.id).collect::<Vec<_>>(), vec![40, 41]),
        n => panic!("{n:?}"),
    }
    assert_eq!(r.mirror().parent(15), Some(5));
    assert_replays(&r, &snap, &[m]);
}

#[test]
fn swapping_parent_and_child_never_moves_a_node_into_itself() {
    let (mut r, snap) = recorder(base().s());
    // ul 8 > li 9  becomes  li 9 > ul 8, in the body where the ul was.
    let listing = cat(&[children_item(8, &[11, 13]), children_item(9, &[10, 8]), children_item(5, &[6, 9, 15])]);
    let (_, m) = batch(&mut r, &listing, &no_ser);
    let m = m.unwrap();
    assert!(m.removes.is_empty());
    assert_eq!(canon_children(r.mirror(), 5), vec![6, 9, 15]);
    assert_eq!(canon_children(r.mirror(), 9), vec![10, 8]);
    assert_eq!(canon_children(r.mirror(), 8), vec![11, 13]);
    assert_replays(&r, &snap, &[m]);
}

#[test]
fn inconsistent_cycle_in_a_listing_does_not_break_anything() {
    let (mut r, snap) = recorder(base().s());
    // ul under its own li: the pair is out of the document.
    let listing = cat(&[children_item(9, &[10, 8])]);
    let (_, m) = batch(&mut r, &listing, &no_ser);
    let m = m.unwrap();
    assert_eq!(m.removes, vec![8]);
    assert!(!r.mirror().contains(9));
    assert_replays(&r, &snap, &[m]);
}

#[test]
fn shadow_roots_may_be_omitted_from_their_host_list() {
    let s = P::new().doc(1).el(2, "x-a", &[]).t("S").t(3).text(4, "in").end().text(5, "light").end().end();
    let (mut r, snap) = recorder(s.s());
    let ser = |id: u32| P::new().text(id, "more").0;
    let (_, m1) = batch(&mut r, &cat(&[children_item(2, &[5, 6])]), &ser);
    let m1 = m1.unwrap();
    assert!(m1.removes.is_empty());
    assert_eq!(canon_children(r.mirror(), 2), vec![3, 5, 6]);
    // Listed explicitly works the same.
    let (_, m2) = batch(&mut r, &cat(&[children_item(2, &[3, 6])]), &no_ser);
    let m2 = m2.unwrap();
    assert_eq!(m2.removes, vec![5]);
    assert_eq!(canon_children(r.mirror(), 2), vec![3, 6]);
    // A shadow root attached later arrives as a new child listed first.
    let ser = |id: u32| P::new().t("S").t(id).text(21, "late").end().0;
    let (_, m3) = batch(&mut r, &cat(&[children_item(6, &[])]), &no_ser);
    assert_eq!(m3, None);
    let s2 = P::new().doc(1).el(2, "x-b", &[]).text(3, "l").end().end();
    let (mut r2, snap2) = recorder(s2.s());
    let (_, m4) = batch(&mut r2, &cat(&[children_item(2, &[20, 3])]), &ser);
    let m4 = m4.unwrap();
    assert_eq!(r2.mirror().canonical(), "#document\n  <x-b>\n    #shadow-root\n      #text \"late\"\n    #text \"l\"\n");
    assert_replays(&r, &snap, &[m1, m2]);
    assert_replays(&r2, &snap2, &[m4]);
}

#[test]
fn iframe_document_is_replaced_through_its_list() {
    let s = P::new().doc(1).el(2, "iframe", &[]).doc(3).el(4, "p", &[]).end().end().end().end();
    let (mut r, snap) = recorder(s.s());
    let ser = |id: u32| P::new().doc(id).el(31, "b", &[]).end().end().0;
    let (req, m) = batch(&mut r, &cat(&[children_item(2, &[30])]), &ser);
    assert_eq!(req, vec![30]);
    let m = m.unwrap();
    assert_eq!(m.removes, vec![3]);
    assert_eq!(r.mirror().canonical(), "#document\n  <iframe>\n    #document\n      <b>\n");
    assert_replays(&r, &snap, &[m]);
}

#[test]
fn requested_but_not_serialized_is_not_added() {
    let (mut r, snap) = recorder(base().s());
    let listing = cat(&[children_item(8, &[9, 50, 11, 51, 13])]);
    // The reader only managed 51 (and garbage after it).
    let (req, m) = batch(&mut r, &listing, &|id| if id == 51 { P::new().text(51, "x").0 + "?\u{0}" } else { String::new() });
    assert_eq!(req, vec![50, 51]);
    let m = m.unwrap();
    assert_eq!(m.adds.len(), 1);
    assert_eq!(canon_children(r.mirror(), 8), vec![9, 11, 51, 13]);
    assert!(r.take_error().is_some());
    assert_replays(&r, &snap, &[m]);
}

#[test]
fn invalid_listing_is_dropped_whole() {
    let (mut r, _) = recorder(base().s());
    let req = r.mutation_begin(&(children_item(8, &[9, 50]).0 + "C\u{0}8\u{0}x\u{0}"));
    assert!(req.is_empty());
    assert_eq!(r.mutation_finish(""), None);
    assert_eq!(r.take_error().unwrap().kind, PackedErrorKind::BadNumber);
}

#[test]
fn snapshot_between_begin_and_finish_drops_the_plan() {
    let (mut r, _) = recorder(base().s());
    let req = r.mutation_begin(&children_item(8, &[9, 50]).0);
    assert_eq!(req, vec![50]);
    r.snapshot_begin();
    r.snapshot_chunk(base().s()).unwrap();
    r.snapshot_end(0, 0, 1, 1).unwrap();
    assert_eq!(r.mutation_finish(&P::new().text(50, "x").0), None);
}

// ---------------------------------------------------------------- mirror

#[test]
fn apply_is_lenient_and_reports_each_problem() {
    let (r, _) = recorder(base().s());
    let mut m = r.mirror().clone();
    let leaf = |id: u32| Tree { nodes: vec![FlatNode { id, n: 0, kind: NodeKind::Text("n".into()) }] };
    let mu = Mutation {
        removes: vec![999, 1, 11],
        adds: vec![
            Add { parent: 999, next: None, node: AddNode::New(leaf(60)) },
            Add { parent: 15, next: Some(999), node: AddNode::New(leaf(61)) },
            Add { parent: 7, next: None, node: AddNode::New(leaf(62)) },
            Add { parent: 9, next: None, node: AddNode::Move(8) },
            Add { parent: 9, next: None, node: AddNode::Move(1) },
            Add { parent: 15, next: None, node: AddNode::New(leaf(10)) },
            Add { parent: 15, next: None, node: AddNode::Move(998) },
            Add { parent: 6, next: Some(7), node: AddNode::New(leaf(63)) },
        ],
        attrs: vec![AttrChange { id: 7, name: "x".into(), value: Some("1".into()) }],
        texts: vec![(6, "x".into()), (7, "bye".into())],
        props: vec![(998, Prop::Checked(true))],
    };
    let err = m.apply_mutation(&mu).unwrap_err();
    let got: Vec<(Part, usize, Problem)> = err.issues.iter().map(|i| (i.part, i.index, i.problem)).collect();
    assert_eq!(
        got,
        vec![
            (Part::Remove, 0, Problem::Unknown),
            (Part::Remove, 1, Problem::Root),
            (Part::Add, 0, Problem::Unknown),
            (Part::Add, 1, Problem::BadNext),
            (Part::Add, 2, Problem::NotAContainer),
            (Part::Add, 3, Problem::Cycle),
            (Part::Add, 4, Problem::Root),
            (Part::Add, 5, Problem::Duplicate),
            (Part::Add, 6, Problem::Unknown),
            (Part::Attr, 0, Problem::WrongKind),
            (Part::Text, 0, Problem::WrongKind),
            (Part::Prop, 0, Problem::Unknown),
        ]
    );
    // What was valid was applied.
    assert!(!m.contains(11) && !m.contains(12));
    assert_eq!(canon_children(&m, 15), vec![61]);
    assert_eq!(canon_children(&m, 6), vec![63, 7]);
    assert_eq!(m.node(7), Some(&NodeKind::Text("bye".into())));
    assert!(err.to_string().contains("12 operation(s)"));
}

#[test]
fn malformed_trees_load_what_they_can() {
    let t = |id: u32, n: u32, kind: NodeKind| FlatNode { id, n, kind };
    let el = |tag: &str| NodeKind::Element(Element { tag: tag.into(), ns: Ns::Html, attrs: vec![], props: vec![] });
    let tree = Tree {
        nodes: vec![
            t(1, 4, NodeKind::Document { quirks: true }),
            t(2, 1, NodeKind::Text("leaf with a child".into())),
            t(3, 0, el("lost")),
            t(2, 0, el("dup")),
            t(0, 0, el("zero")),
            t(4, 9, el("short")),
        ],
    };
    let mut m = Mirror::new();
    let err = m.load_tree(&tree).unwrap_err();
    let probs: Vec<Problem> = err.issues.iter().map(|i| i.problem).collect();
    assert_eq!(probs, vec![Problem::NotAContainer, Problem::Duplicate, Problem::ZeroId, Problem::Malformed]);
    assert_eq!(m.canonical(), "#document\n  #text \"leaf with a child\"\n  <short>\n");
    assert!(Mirror::new().load_tree(&Tree::default()).is_err());
    assert_eq!(Mirror::new().canonical(), "");
}

#[test]
fn canonical_sample() {
    let (r, _) = recorder(rich().s());
    let expected = r#"#document
  #doctype html|-//W3C//DTD HTML 4.01//EN|http://www.w3.org/TR/html4/strict.dtd
  <html lang="en">
    <head>
      <link href="/a.css" media="screen" rel="stylesheet">
      <style>
        #text "i{}"
      <script src="x.js">
    <body class="a b">
      <x-host>
        #shadow-root
          <slot>
        #text "light"
      <svg:svg viewBox="0 0 1 1">
        <svg:linearGradient>
        #cdata "cdata]]>"
      <math:math>
      <input type="checkbox" value="old">
      <textarea>
      <select>
        <option>
      <div>
      <iframe src="/frame">
        #document
          <html>
            <body>
              #text "in \"frame\" & <b>"
      <iframe src="https://other.example/">
      #comment "a --> b"
      <pre>
        #text "\nx"
      <p>
        #text "1 < 2 & \u00a0"
      <{urn:x}foo a="1" b="2">
"#;
    assert_eq!(r.mirror().canonical(), expected.replace("\\u00a0", "\u{a0}"));
}

#[test]
fn canonical_escapes_like_json_and_sorts_by_utf16() {
    let s = P::new()
        .doc(1)
        .el(2, "p", &[("\u{ff61}", "1"), ("\u{10000}", "2"), ("b", "q\"\\\u{1}\u{8}\u{c}\u{7f}\u{2028}")])
        .text(3, "tab\tcr\rnl\n\u{1f}é😀")
        .end()
        .end();
    let (r, _) = recorder(s.s());
    // U+10000 is a surrogate pair (D800 DC00), which sorts before U+FF61 in UTF-16.
    assert_eq!(
        r.mirror().canonical(),
        "#document\n  <p b=\"q\\\"\\\\\\u0001\\b\\f\u{7f}\u{2028}\" \u{10000}=\"2\" \u{ff61}=\"1\">\n    #text \"tab\\tcr\\rnl\\n\\u001fé😀\"\n"
    );
}

#[test]
fn to_html_sample() {
    let (r, _) = recorder(rich().s());
    let html = r.mirror().to_html();
    let expected = concat!(
        r#"<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">"#,
        r#"<html lang="en"><head>"#,
        r#"<style media="screen">b{color:red}</style>"#,
        r#"<style>i{x:y}</style>"#,
        r#"<script type="text/inert" src="x.js"></script>"#,
        r#"</head><body class="a b">"#,
        r#"<x-host><template shadowrootmode="open"><slot></slot></template>light</x-host>"#,
        r#"<svg viewBox="0 0 1 1"><linearGradient></linearGradient><![CDATA[cdata]]]]><![CDATA[>]]></svg>"#,
        r#"<math></math>"#,
        r#"<input type="checkbox" value="new" checked="">"#,
        "<textarea>\n\ntyped</textarea>",
        r#"<select><option selected=""></option></select>"#,
        r#"<div></div>"#,
        r#"<iframe src="/frame" srcdoc="&lt;html&gt;&lt;body&gt;in &quot;frame&quot; &amp;amp; &amp;lt;b&amp;gt;&lt;/body&gt;&lt;/html&gt;"></iframe>"#,
        r#"<iframe data-insp-opaque="" style="width:640px;height:480px"></iframe>"#,
        r#"<!--a --&gt; b-->"#,
        "<pre>\n\nx</pre>",
        "<p>1 &lt; 2 &amp; &nbsp;</p>",
        r#"<foo b="2" a="1"></foo>"#,
        "</body></html>"
    );
    assert_eq!(html, expected);
}

#[test]
fn to_html_defuses_raw_text_and_hostile_names() {
    let s = P::new()
        .doc(1)
        .el(2, "style", &[])
        .text(3, "a{}</STYLE><script>x()</script>")
        .end()
        .el(4, "bad tag", &[("ok", "1"), ("on\"x", "2"), ("a b", "3")])
        .end()
        .t("c")
        .t(5)
        .t("->x")
        .el(6, "br", &[])
        .end()
        .el(7, "input", &[("checked", "")])
        .elx(8, "b", "", &[], &[])
        .end()
        .end()
        .end();
    let (mut r, _) = recorder(s.s());
    assert_eq!(
        r.mirror().to_html(),
        "<style>a{}<\\/STYLE><script>x()</script></style><insp-invalid ok=\"1\"></insp-invalid><!---&gt;x--><br><input checked=\"\">"
    );
    // A Checked(false) prop removes the attribute.
    let (_, m) = batch(&mut r, &P::new().t("P").t(7).t("k").t("0").0, &no_ser);
    assert!(m.is_some());
    assert!(r.mirror().to_html().ends_with("<input>"));
}

#[test]
fn nested_iframes_stop_at_eight_levels_of_srcdoc() {
    let mut p = P::new().doc(1);
    let mut id = 2;
    for _ in 0..10 {
        p = p.el(id, "iframe", &[]).doc(id + 1);
        id += 2;
    }
    p = p.text(id, "&");
    for _ in 0..10 {
        p = p.end().end();
    }
    let (r, _) = recorder(p.end().s());
    let html = r.mirror().to_html();
    assert_eq!(html.matches("srcdoc=").count(), 8);
    assert_eq!(html.matches("iframe").count(), 2 * 9, "the 9th iframe is written, without its document");
    // The innermost written iframe is empty, escaped once per enclosing srcdoc.
    let mut inner = "<iframe></iframe>".to_string();
    for _ in 0..8 {
        inner = inner.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;");
    }
    assert!(html.contains(&inner));
    assert!(!html.contains("#text"));
    assert_eq!(r.mirror().canonical().lines().count(), 22);
}

#[test]
fn navigation_api() {
    let (r, _) = recorder(base().s());
    let m = r.mirror();
    assert_eq!(m.root(), Some(1));
    assert_eq!(m.len(), 15);
    assert!(!m.is_empty());
    assert_eq!(m.children(8).collect::<Vec<_>>(), vec![9, 11, 13]);
    assert_eq!(m.child_count(8), 3);
    assert_eq!((m.first_child(8), m.last_child(8)), (Some(9), Some(13)));
    assert_eq!((m.prev_sibling(11), m.next_sibling(11)), (Some(9), Some(13)));
    assert_eq!((m.prev_sibling(9), m.next_sibling(13)), (None, None));
    assert_eq!(m.parent(1), None);
    assert_eq!(m.parent(10), Some(9));
    assert!(m.element(6).is_some() && m.element(7).is_none());
    assert_eq!(m.descendants(8).collect::<Vec<_>>(), vec![8, 9, 10, 11, 12, 13, 14]);
    assert_eq!(m.children(999).count(), 0);
    assert_eq!(m.descendants(999).count(), 0);
    assert!(m.subtree(999).is_none());
    let sub = m.subtree(8).unwrap();
    assert_eq!(sub.nodes.len(), 7);
    let mut copy = Mirror::new();
    copy.load_tree(&sub).unwrap();
    assert_eq!(copy.canonical(), "#document\n".replace("#document", "<ul>") + "  <li>\n    #text \"1\"\n  <li>\n    #text \"2\"\n  <li>\n    #text \"3\"\n");
}

#[test]
fn clear_removes_a_prop_and_frame_url_pins_the_srcdoc_base() {
    use insp_agent::event::PropKind;
    let s = P::new()
        .doc(1)
        .el(2, "html", &[])
        .elx(3, "link", "", &[("rel", "stylesheet")], &[("s", "b{x:y}")])
        .end()
        .elx(4, "iframe", "", &[], &[("u", "https://ex.com/d/f.html")])
        .doc(5)
        .el(6, "html", &[])
        .el(7, "head", &[])
        .end()
        .end()
        .end()
        .end()
        .end()
        .end();
    let (mut r, snap) = recorder(s.s());
    assert!(r.mirror().to_html().contains("&lt;head&gt;&lt;base href=&quot;https://ex.com/d/f.html&quot;&gt;&lt;/head&gt;"));
    // A clear of a prop the element lacks is no change; one of a prop it has removes it.
    let listing = cat(&[P::new().t("P").t(3).t("X").t("s"), P::new().t("P").t(3).t("X").t("v"), P::new().t("P").t(4).t("u").t("https://ex.com/g.html")]);
    let (_, m) = batch(&mut r, &listing, &no_ser);
    let m = m.unwrap();
    assert_eq!(m.props, vec![(3, Prop::Clear(PropKind::Css)), (4, Prop::FrameUrl("https://ex.com/g.html".into()))]);
    match r.mirror().node(3) {
        Some(NodeKind::Element(e)) => assert!(e.props.is_empty()),
        k => panic!("{k:?}"),
    }
    let mut w = String::new();
    packed::write_prop(&mut w, &Prop::Clear(PropKind::FrameUrl));
    assert_eq!(tokens_of(&w), vec!["X", "u"]);
    assert_replays(&r, &snap, &[m]);
}

#[test]
fn a_snapshot_ended_in_steps_equals_one_ended_at_once() {
    use insp_agent::dom::diff::DomRecorder;
    let stream = "D\u{0}1\u{0}0\u{0}e\u{0}2\u{0}html\u{0}\u{0}0\u{0}0\u{0}e\u{0}3\u{0}body\u{0}\u{0}1\u{0}class\u{0}x\u{0}0\u{0}t\u{0}4\u{0}hi\u{0}/\u{0}/\u{0}/\u{0}";
    let mut a = DomRecorder::new();
    a.snapshot_begin();
    a.snapshot_chunk(stream).unwrap();
    let want = a.snapshot_end(1, 2, 3, 4).unwrap();
    let mut b = DomRecorder::new();
    b.snapshot_begin();
    b.snapshot_chunk("D\u{0}9\u{0}0\u{0}/\u{0}").unwrap();
    b.snapshot_end(0, 0, 0, 0).unwrap();
    b.snapshot_begin();
    b.snapshot_chunk(stream).unwrap();
    assert!(b.snapshot_seal());
    let old = b.snapshot_retire();
    assert_eq!(old.root(), Some(9));
    assert!(b.mirror().is_empty());
    b.snapshot_load();
    assert_eq!(b.snapshot_take(1, 2, 3, 4), Some(want));
    assert_eq!(b.mirror().canonical(), a.mirror().canonical());
    // An incomplete stream: not sealed, the mirror unchanged.
    b.snapshot_begin();
    b.snapshot_chunk("D\u{0}5\u{0}0\u{0}").unwrap();
    assert!(!b.snapshot_seal());
    assert!(b.take_error().is_some());
    assert_eq!(b.mirror().canonical(), a.mirror().canonical());
}
