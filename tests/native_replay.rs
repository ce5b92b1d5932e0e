//! Replay: the timeline (snapshots, mutations, checkouts, gaps, bad references, page loads)
//! and the rrweb export (node shapes, ids, adds/removes, Move conversion, URLs).
//!
//! `write_rrweb_fixture` (ignored) writes the export of [`fixture_session`] and what the
//! Rust engine says the document is, for `tests/e2e/rrweb-replayer.test.mjs`.

use insp_agent::event::{
    Add, AddNode, AttrChange, Element, Event, EventBatch, EventData, FlatNode, FullSnapshot,
    Mutation, NodeId, NodeKind, Ns, Prop, Tree,
};
use insp_agent::replay::Timeline;
use insp_agent::rrweb::{self, Json};

// ---------------------------------------------------------------- tree builders

/// A node of a test tree (nested, flattened by [`tree`]).
#[derive(Clone)]
enum N {
    Doc(NodeId, Vec<N>),
    Doctype(NodeId),
    El(
        NodeId,
        &'static str,
        Ns,
        Vec<(&'static str, &'static str)>,
        Vec<Prop>,
        Vec<N>,
    ),
    Text(NodeId, &'static str),
    Comment(NodeId, &'static str),
    CData(NodeId, &'static str),
    Shadow(NodeId, Vec<N>),
}

fn el(id: NodeId, tag: &'static str, attrs: &[(&'static str, &'static str)], kids: Vec<N>) -> N {
    N::El(id, tag, Ns::Html, attrs.to_vec(), vec![], kids)
}

fn elp(
    id: NodeId,
    tag: &'static str,
    attrs: &[(&'static str, &'static str)],
    props: Vec<Prop>,
    kids: Vec<N>,
) -> N {
    N::El(id, tag, Ns::Html, attrs.to_vec(), props, kids)
}

fn svg(id: NodeId, tag: &'static str, attrs: &[(&'static str, &'static str)], kids: Vec<N>) -> N {
    N::El(id, tag, Ns::Svg, attrs.to_vec(), vec![], kids)
}

fn text(id: NodeId, s: &'static str) -> N {
    N::Text(id, s)
}

fn flatten(n: &N, out: &mut Vec<FlatNode>) {
    let (id, kind, kids): (NodeId, NodeKind, &[N]) = match n {
        N::Doc(id, k) => (*id, NodeKind::Document { quirks: false }, k),
        N::Doctype(id) => (
            *id,
            NodeKind::Doctype {
                name: "html".into(),
                public_id: String::new(),
                system_id: String::new(),
            },
            &[],
        ),
        N::El(id, tag, ns, attrs, props, k) => (
            *id,
            NodeKind::Element(Element {
                tag: (*tag).into(),
                ns: ns.clone(),
                attrs: attrs
                    .iter()
                    .map(|(a, b)| ((*a).into(), (*b).into()))
                    .collect(),
                props: props.clone(),
            }),
            k,
        ),
        N::Text(id, s) => (*id, NodeKind::Text((*s).into()), &[]),
        N::Comment(id, s) => (*id, NodeKind::Comment((*s).into()), &[]),
        N::CData(id, s) => (*id, NodeKind::CData((*s).into()), &[]),
        N::Shadow(id, k) => (*id, NodeKind::ShadowRoot, k),
    };
    out.push(FlatNode {
        id,
        n: kids.len() as u32,
        kind,
    });
    for k in kids {
        flatten(k, out);
    }
}

fn tree(n: N) -> Tree {
    let mut nodes = Vec::new();
    flatten(&n, &mut nodes);
    Tree { nodes }
}

fn snap(n: N) -> EventData {
    EventData::FullSnapshot(FullSnapshot {
        tree: tree(n),
        scroll_x: 0,
        scroll_y: 40,
        width: 1024,
        height: 768,
    })
}

fn snap_tree(t: Tree) -> EventData {
    EventData::FullSnapshot(FullSnapshot {
        tree: t,
        scroll_x: 0,
        scroll_y: 0,
        width: 1024,
        height: 768,
    })
}

fn start(url: &str) -> EventData {
    EventData::Start {
        url: url.into(),
        referrer: String::new(),
        width: 1024,
        height: 768,
    }
}

fn ev(dt_ms: u32, data: EventData) -> Event {
    Event { dt_ms, data }
}

fn batch(seq: u32, t0_ms: u64, events: Vec<Event>) -> EventBatch {
    let t1_ms = t0_ms + events.iter().map(|e| e.dt_ms as u64).max().unwrap_or(0);
    EventBatch {
        seq,
        t0_ms,
        t1_ms,
        events,
    }
}

fn add_new(parent: NodeId, next: Option<NodeId>, n: N) -> Add {
    Add {
        parent,
        next,
        node: AddNode::New(tree(n)),
    }
}

fn add_move(parent: NodeId, next: Option<NodeId>, id: NodeId) -> Add {
    Add {
        parent,
        next,
        node: AddNode::Move(id),
    }
}

fn attr(id: NodeId, name: &str, value: Option<&str>) -> AttrChange {
    AttrChange {
        id,
        name: name.into(),
        value: value.map(Into::into),
    }
}

fn mutation(m: Mutation) -> EventData {
    EventData::Mutation(m)
}

/// `#document > [doctype, html > [head, body > [...body]]]` with ids 1..=4 and body 5.
fn page(body: Vec<N>) -> N {
    N::Doc(
        1,
        vec![
            N::Doctype(2),
            el(
                3,
                "html",
                &[],
                vec![el(4, "head", &[], vec![]), el(5, "body", &[], body)],
            ),
        ],
    )
}

const T0: u64 = 1_700_000_000_000;

// ---------------------------------------------------------------- timeline

fn simple_session() -> Vec<(u32, EventBatch)> {
    let s = page(vec![el(10, "p", &[("id", "a")], vec![text(11, "one")])]);
    vec![
        (
            9,
            batch(
                0,
                T0,
                vec![
                    ev(0, start("https://x.example/")),
                    ev(10, snap(s)),
                    ev(
                        100,
                        mutation(Mutation {
                            adds: vec![add_new(
                                5,
                                None,
                                el(12, "p", &[("id", "b")], vec![text(13, "two")]),
                            )],
                            ..Default::default()
                        }),
                    ),
                ],
            ),
        ),
        (
            9,
            batch(
                1,
                T0 + 1000,
                vec![
                    ev(
                        0,
                        mutation(Mutation {
                            texts: vec![(11, "uno".into())],
                            ..Default::default()
                        }),
                    ),
                    ev(
                        50,
                        mutation(Mutation {
                            attrs: vec![attr(10, "class", Some("x"))],
                            removes: vec![12],
                            ..Default::default()
                        }),
                    ),
                ],
            ),
        ),
    ]
}

#[test]
fn snapshot_then_mutations_at_several_offsets() {
    let tl = Timeline::new(simple_session());
    assert_eq!(tl.start_ms(), T0);
    assert_eq!(tl.page_loads().len(), 1);
    assert!(tl.gaps().is_empty());
    assert_eq!(tl.duration_ms(), 1050);

    // Before the snapshot: nothing to show.
    assert_eq!(tl.html_at(0), None);
    assert_eq!(tl.html_at(9), None);

    let at10 = tl.html_at(10).unwrap();
    assert!(at10.contains(r#"<p id="a">one</p>"#), "{at10}");
    assert!(!at10.contains("two"));
    assert!(at10.starts_with("<!DOCTYPE html>"), "{at10}");

    let at100 = tl.html_at(100).unwrap();
    assert!(
        at100.contains(r#"<p id="a">one</p><p id="b">two</p>"#),
        "{at100}"
    );

    let at1000 = tl.html_at(1000).unwrap();
    assert!(
        at1000.contains(r#"<p id="a">uno</p><p id="b">two</p>"#),
        "{at1000}"
    );

    let end = tl.html_at(5000).unwrap();
    assert!(
        end.contains(r#"<p class="x" id="a">uno</p></body>"#)
            || end.contains(r#"<p id="a" class="x">uno</p></body>"#),
        "{end}"
    );
    let canon = tl.canonical_at(5000).unwrap();
    assert_eq!(
        canon,
        "#document\n  #doctype html||\n  <html>\n    <head>\n    <body>\n      <p class=\"x\" id=\"a\">\n        #text \"uno\"\n"
    );

    let f = tl.frame_at(1000).unwrap();
    assert_eq!(f.pid, 9);
    assert_eq!(f.url, "https://x.example/");
    assert_eq!((f.width, f.height, f.scroll_y), (1024, 768, 40));
    assert_eq!(f.snapshot_ms, T0 + 10);
    assert_eq!(f.t_ms, T0 + 1000);
    assert!(!f.stale);
    assert_eq!(f.issues, 0);
}

#[test]
fn offsets_can_start_at_the_collector_session_start() {
    let tl = Timeline::new(simple_session()).with_start_ms(T0 - 500);
    assert_eq!(tl.html_at(509), None);
    assert!(tl.html_at(510).unwrap().contains("one"));
    assert_eq!(tl.duration_ms(), 1550);
}

#[test]
fn checkouts_make_the_middle_playable() {
    // The first snapshot is followed by a mutation that the checkout already contains; a
    // mutation before the checkout that would conflict with it must not matter after it.
    let first = page(vec![el(10, "p", &[], vec![text(11, "before")])]);
    let checkout = page(vec![el(
        20,
        "div",
        &[("id", "co")],
        vec![text(21, "checked out")],
    )]);
    let batches = vec![
        (
            1,
            batch(
                0,
                T0,
                vec![
                    ev(0, snap(first)),
                    ev(
                        5,
                        mutation(Mutation {
                            texts: vec![(11, "edited".into())],
                            ..Default::default()
                        }),
                    ),
                ],
            ),
        ),
        (
            1,
            batch(
                1,
                T0 + 100,
                vec![
                    // Garbage that only a replay from the first snapshot would see.
                    ev(
                        0,
                        mutation(Mutation {
                            removes: vec![5],
                            ..Default::default()
                        }),
                    ),
                    ev(50, snap(checkout)),
                    ev(
                        60,
                        mutation(Mutation {
                            texts: vec![(21, "after".into())],
                            ..Default::default()
                        }),
                    ),
                ],
            ),
        ),
    ];
    let tl = Timeline::new(batches);
    assert!(tl.html_at(5).unwrap().contains("<p>edited</p>"));
    // The bogus remove of <body> applies when replaying from the first snapshot ...
    let mid = tl.canonical_at(100).unwrap();
    assert!(!mid.contains("<body>"), "{mid}");
    // ... and is gone once the checkout is the starting point.
    let co = tl.frame_at(150).unwrap();
    assert_eq!(co.snapshot_ms, T0 + 150);
    assert!(co.html().contains(r#"<div id="co">checked out</div>"#));
    assert!(tl
        .html_at(160)
        .unwrap()
        .contains(r#"<div id="co">after</div>"#));
    assert!(!tl.html_at(160).unwrap().contains("edited"));
}

#[test]
fn gaps_are_reported_and_playback_resumes_at_the_next_snapshot() {
    let s1 = page(vec![el(10, "p", &[], vec![text(11, "v1")])]);
    let s2 = page(vec![el(10, "p", &[], vec![text(11, "v3")])]);
    let batches = vec![
        (4, batch(0, T0, vec![ev(0, snap(s1))])),
        (
            4,
            batch(
                1,
                T0 + 100,
                vec![ev(
                    0,
                    mutation(Mutation {
                        texts: vec![(11, "v2".into())],
                        ..Default::default()
                    }),
                )],
            ),
        ),
        // seq 2 lost.
        (
            4,
            batch(
                3,
                T0 + 300,
                vec![ev(
                    0,
                    mutation(Mutation {
                        texts: vec![(11, "after gap".into())],
                        ..Default::default()
                    }),
                )],
            ),
        ),
        (
            4,
            batch(
                4,
                T0 + 400,
                vec![
                    ev(0, snap(s2)),
                    ev(
                        10,
                        mutation(Mutation {
                            texts: vec![(11, "v4".into())],
                            ..Default::default()
                        }),
                    ),
                ],
            ),
        ),
        (
            4,
            batch(
                5,
                T0 + 500,
                vec![ev(
                    0,
                    mutation(Mutation {
                        texts: vec![(11, "v5".into())],
                        ..Default::default()
                    }),
                )],
            ),
        ),
    ];
    let tl = Timeline::new(batches);
    assert_eq!(tl.gaps().len(), 1);
    let g = tl.gaps()[0];
    assert_eq!((g.pid, g.first_seq, g.last_seq), (4, 2, 2));
    assert_eq!(g.from_ms, Some(T0 + 100));
    assert_eq!(g.to_ms, T0 + 300);

    assert!(tl.html_at(150).unwrap().contains("v2"));
    // After the gap, before the next snapshot: the last known document, flagged stale; the
    // mutation after the gap is not applied to a document it may not fit.
    let f = tl.frame_at(350).unwrap();
    assert!(f.stale);
    assert!(f.html().contains("<p>v2</p>"), "{}", f.html());
    let f = tl.frame_at(400).unwrap();
    assert!(!f.stale);
    assert!(f.html().contains("<p>v3</p>"));
    assert!(tl.html_at(410).unwrap().contains("<p>v4</p>"));
    assert!(tl.html_at(10_000).unwrap().contains("<p>v5</p>"));
}

#[test]
fn a_load_whose_first_batches_are_missing_starts_at_its_first_snapshot() {
    let s = page(vec![text(10, "late start")]);
    let batches = vec![
        (
            2,
            batch(
                3,
                T0,
                vec![ev(
                    0,
                    mutation(Mutation {
                        texts: vec![(10, "x".into())],
                        ..Default::default()
                    }),
                )],
            ),
        ),
        (2, batch(4, T0 + 100, vec![ev(0, snap(s))])),
    ];
    let tl = Timeline::new(batches);
    assert_eq!(tl.gaps().len(), 1);
    assert_eq!(
        (
            tl.gaps()[0].first_seq,
            tl.gaps()[0].last_seq,
            tl.gaps()[0].from_ms
        ),
        (0, 2, None)
    );
    assert_eq!(tl.html_at(50), None);
    assert!(tl.html_at(100).unwrap().contains("late start"));
}

#[test]
fn bad_references_never_panic() {
    let s = page(vec![el(10, "p", &[], vec![text(11, "t")])]);
    let bad = Mutation {
        removes: vec![999, 1],
        adds: vec![
            add_new(12345, None, el(50, "b", &[], vec![])),
            add_move(10, None, 3), // html into its own descendant
            add_move(5, Some(777), 999),
            add_new(5, Some(4242), el(51, "i", &[], vec![text(52, "kept")])),
            Add {
                parent: 5,
                next: None,
                node: AddNode::New(Tree { nodes: vec![] }),
            },
            Add {
                parent: 5,
                next: None,
                node: AddNode::New(Tree {
                    nodes: vec![FlatNode {
                        id: 60,
                        n: 5,
                        kind: NodeKind::Element(Element {
                            tag: "u".into(),
                            ns: Ns::Html,
                            attrs: vec![],
                            props: vec![],
                        }),
                    }],
                }),
            },
        ],
        attrs: vec![
            attr(11, "class", Some("text nodes have none")),
            attr(888, "x", None),
        ],
        texts: vec![(10, "p is not text".into()), (31337, "?".into())],
        props: vec![(11, Prop::Value("v".into())), (9999, Prop::Checked(true))],
    };
    let batches = vec![(
        1,
        batch(
            0,
            T0,
            vec![
                ev(0, snap(s)),
                ev(10, mutation(bad)),
                ev(
                    20,
                    mutation(Mutation {
                        texts: vec![(52, "still works".into())],
                        ..Default::default()
                    }),
                ),
            ],
        ),
    )];
    let tl = Timeline::new(batches.clone());
    let f = tl.frame_at(100).unwrap();
    assert!(f.issues > 0);
    let html = f.html();
    assert!(html.contains("<i>still works</i>"), "{html}");
    assert!(html.contains("<p>t</p>"), "{html}");
    // And the exporter copes with the same input.
    let out = rrweb::export(&tl);
    assert!(out
        .iter()
        .any(|e| e.get("type").and_then(Json::as_i64) == Some(2)));

    // Malformed snapshots and an empty one.
    let broken = Tree {
        nodes: vec![FlatNode {
            id: 1,
            n: 3,
            kind: NodeKind::Document { quirks: false },
        }],
    };
    let tl = Timeline::new(vec![(
        1,
        batch(
            0,
            T0,
            vec![ev(0, snap_tree(broken)), ev(1, snap_tree(Tree::default()))],
        ),
    )]);
    let _ = tl.html_at(0);
    let _ = tl.html_at(10);
    let _ = rrweb::export_json(&tl);
    // No batches at all.
    let tl = Timeline::new(Vec::new());
    assert_eq!(tl.html_at(0), None);
    assert_eq!(rrweb::export(&tl), vec![]);
}

#[test]
fn the_last_page_load_to_show_something_wins() {
    let a = page(vec![text(10, "page A")]);
    let b = page(vec![text(10, "page B")]);
    let batches = vec![
        (
            100,
            batch(
                0,
                T0,
                vec![
                    ev(0, start("https://x.example/a")),
                    ev(1, snap(a)),
                    ev(
                        900,
                        mutation(Mutation {
                            texts: vec![(10, "A late".into())],
                            ..Default::default()
                        }),
                    ),
                ],
            ),
        ),
        // B starts at +500 but shows its first snapshot at +700.
        (
            200,
            batch(
                0,
                T0 + 500,
                vec![ev(0, start("https://x.example/b")), ev(200, snap(b))],
            ),
        ),
    ];
    let tl = Timeline::new(batches);
    assert_eq!(
        tl.page_loads().iter().map(|l| l.pid).collect::<Vec<_>>(),
        vec![100, 200]
    );
    assert!(tl.html_at(600).unwrap().contains("page A"));
    assert_eq!(tl.frame_at(600).unwrap().url, "https://x.example/a");
    let f = tl.frame_at(700).unwrap();
    assert_eq!((f.pid, f.url.as_str()), (200, "https://x.example/b"));
    assert!(f.html().contains("page B"));
    // A's later events do not bring it back.
    assert!(tl.html_at(2000).unwrap().contains("page B"));

    // rrweb: A's events stop where B takes over.
    let out = rrweb::export(&tl);
    let metas: Vec<&str> = out
        .iter()
        .filter(|e| e.get("type").and_then(Json::as_i64) == Some(4))
        .map(|e| {
            e.get("data")
                .unwrap()
                .get("href")
                .unwrap()
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(metas, vec!["https://x.example/a", "https://x.example/b"]);
    assert!(!rrweb::to_json(&out).contains("A late"));
}

#[test]
fn duplicates_and_clocks_going_backwards() {
    let s = page(vec![text(10, "x")]);
    let batches = vec![
        (
            1,
            batch(
                1,
                T0 + 50,
                vec![ev(
                    0,
                    mutation(Mutation {
                        texts: vec![(10, "y".into())],
                        ..Default::default()
                    }),
                )],
            ),
        ),
        (1, batch(0, T0 + 100, vec![ev(0, snap(s.clone()))])),
        (
            1,
            batch(
                0,
                T0 + 100,
                vec![ev(0, snap(page(vec![text(10, "duplicate")])))],
            ),
        ),
    ];
    let tl = Timeline::new(batches);
    let l = &tl.page_loads()[0];
    assert_eq!(l.seqs, vec![0, 1]);
    // seq 1's clock is earlier than seq 0's: its event is held at seq 0's time.
    assert_eq!(
        l.events.iter().map(|e| e.t_ms).collect::<Vec<_>>(),
        vec![T0 + 100, T0 + 100]
    );
    assert!(tl.html_at(tl.duration_ms()).unwrap().contains(">y</body>"));
}

#[test]
fn adopted_sheets_are_written_as_styles() {
    let s = page(vec![el(
        10,
        "div",
        &[],
        vec![N::Shadow(11, vec![text(12, "in shadow")])],
    )]);
    let batches = vec![(
        1,
        batch(
            0,
            T0,
            vec![
                ev(
                    0,
                    EventData::AdoptedSheets {
                        target: 1,
                        sheets: vec!["p { color: red }".into()],
                    },
                ),
                ev(1, snap(s)),
                ev(
                    2,
                    EventData::AdoptedSheets {
                        target: 11,
                        sheets: vec![":host { display: block }".into(), "b {}".into()],
                    },
                ),
            ],
        ),
    )];
    let tl = Timeline::new(batches);
    let f = tl.frame_at(10).unwrap();
    assert_eq!(f.adopted.len(), 2);
    let html = f.html();
    assert!(
        html.contains(r#"<style data-insp-adopted="">p { color: red }</style></html>"#),
        "{html}"
    );
    assert!(html.contains("in shadow<style data-insp-adopted=\"\">:host { display: block }\nb {}</style></template>"), "{html}");
    assert!(!f.canonical().contains("data-insp-adopted"));
}

// ---------------------------------------------------------------- rrweb export

fn ty(e: &Json) -> (i64, Option<i64>) {
    (
        e.get("type").unwrap().as_i64().unwrap(),
        e.get("data")
            .and_then(|d| d.get("source"))
            .and_then(Json::as_i64),
    )
}

fn arr<'a>(j: &'a Json, key: &str) -> &'a [Json] {
    j.get(key)
        .and_then(Json::as_array)
        .unwrap_or_else(|| panic!("no array {key} in {}", j.to_json()))
}

fn num(j: &Json, key: &str) -> i64 {
    j.get(key)
        .and_then(Json::as_i64)
        .unwrap_or_else(|| panic!("no number {key} in {}", j.to_json()))
}

fn s<'a>(j: &'a Json, key: &str) -> &'a str {
    j.get(key)
        .and_then(Json::as_str)
        .unwrap_or_else(|| panic!("no string {key} in {}", j.to_json()))
}

/// The serialized node with `id` anywhere under `n`.
fn find(n: &Json, id: i64) -> Option<&Json> {
    if n.get("id").and_then(Json::as_i64) == Some(id) {
        return Some(n);
    }
    n.get("childNodes")
        .and_then(Json::as_array)?
        .iter()
        .find_map(|c| find(c, id))
}

fn attrs(n: &Json) -> &Json {
    n.get("attributes").unwrap()
}

/// The fixture session shared with the e2e test: one page load with every kind of node,
/// mutations (new subtrees, a move, a remove, texts, attributes, props), adopted sheets, a
/// checkout, and changes inside a shadow root and an iframe after it.
pub fn fixture_session() -> Vec<(u32, EventBatch)> {
    let doc = N::Doc(
        1,
        vec![
            N::Doctype(2),
            el(
                3,
                "html",
                &[("lang", "en")],
                vec![
                    el(
                        4,
                        "head",
                        &[],
                        vec![
                            elp(5, "style", &[], vec![Prop::Css("body { color: rgb(1, 2, 3); }\n.bg { background-image: url(\"img/bg.png\"); }".into())], vec![text(6, "body{color:red}")]),
                            elp(7, "link", &[("rel", "stylesheet"), ("href", "/css/site.css")], vec![Prop::Css("h1 { color: rgb(0, 128, 0); }".into())], vec![]),
                        ],
                    ),
                    el(
                        8,
                        "body",
                        &[],
                        vec![
                            el(9, "h1", &[("id", "title")], vec![text(10, "Hello")]),
                            el(11, "div", &[("id", "list")], vec![el(12, "p", &[("id", "a")], vec![text(13, "A")]), el(14, "p", &[("id", "b")], vec![text(15, "B")])]),
                            el(16, "div", &[("id", "target"), ("class", "bg")], vec![]),
                            el(17, "img", &[("id", "logo"), ("src", "img/logo.png"), ("srcset", "img/a.png 1x, /img/b.png 2x")], vec![]),
                            elp(18, "input", &[("id", "name"), ("type", "text")], vec![Prop::Value("Ada".into())], vec![]),
                            elp(19, "input", &[("id", "agree"), ("type", "checkbox")], vec![Prop::Checked(true)], vec![]),
                            el(20, "div", &[("id", "host")], vec![N::Shadow(21, vec![el(22, "span", &[("id", "inner")], vec![text(23, "shadow text")])])]),
                            el(
                                24,
                                "iframe",
                                &[("id", "frame"), ("src", "/frame.html")],
                                vec![N::Doc(25, vec![el(26, "html", &[], vec![el(27, "head", &[], vec![]), el(28, "body", &[], vec![el(29, "p", &[("id", "in-frame")], vec![text(30, "in frame")])])])])],
                            ),
                            elp(31, "div", &[("id", "ad"), ("class", "ad")], vec![Prop::Opaque, Prop::Size { w: 300, h: 250 }], vec![]),
                            svg(32, "svg", &[("id", "pic"), ("width", "20"), ("height", "20")], vec![svg(33, "circle", &[("r", "5"), ("cx", "10"), ("cy", "10")], vec![]), svg(34, "title", &[], vec![N::CData(35, "c-data")])]),
                            N::Comment(36, "note"),
                            el(37, "div", &[("id", "scroller"), ("style", "height: 50px; overflow: auto")], vec![el(38, "div", &[("style", "height: 500px")], vec![])]),
                            elp(39, "textarea", &[("id", "ta")], vec![Prop::Value("typed text".into())], vec![text(45, "default")]),
                        ],
                    ),
                ],
            ),
        ],
    );
    let b0 = batch(
        0,
        T0,
        vec![
            ev(0, start("https://shop.example/app/page.html")),
            ev(5, snap(doc)),
        ],
    );
    let b1 = batch(
        1,
        T0 + 1000,
        vec![
            ev(
                100,
                mutation(Mutation {
                    adds: vec![add_new(
                        11,
                        None,
                        el(40, "p", &[("id", "c")], vec![text(41, "C")]),
                    )],
                    attrs: vec![attr(9, "class", Some("big"))],
                    texts: vec![(10, "Hello, world".into())],
                    ..Default::default()
                }),
            ),
            ev(
                200,
                mutation(Mutation {
                    removes: vec![14],
                    adds: vec![add_move(16, None, 12)],
                    ..Default::default()
                }),
            ),
            ev(
                300,
                mutation(Mutation {
                    props: vec![
                        (18, Prop::Value("Grace".into())),
                        (19, Prop::Checked(false)),
                        (37, Prop::Scroll { x: 0, y: 120 }),
                        (39, Prop::Value("edited text".into())),
                    ],
                    ..Default::default()
                }),
            ),
            ev(
                400,
                EventData::AdoptedSheets {
                    target: 1,
                    sheets: vec!["p { margin: 3px; }".into()],
                },
            ),
        ],
    );
    let mut batches = vec![(7u32, b0), (7u32, b1)];
    // The checkout is the document as the Rust engine has it at that moment.
    let now = Timeline::new(batches.clone()).frame_at(2000).unwrap();
    let checkout = now.mirror.subtree(1).unwrap();
    let b2 = batch(
        2,
        T0 + 3000,
        vec![
            ev(0, snap_tree(checkout)),
            ev(
                100,
                mutation(Mutation {
                    adds: vec![
                        add_new(
                            16,
                            None,
                            el(
                                50,
                                "span",
                                &[("id", "after-checkout")],
                                vec![text(51, "late")],
                            ),
                        ),
                        add_new(
                            21,
                            None,
                            el(52, "b", &[("id", "bold")], vec![text(53, "bold")]),
                        ),
                    ],
                    texts: vec![(30, "frame updated".into())],
                    ..Default::default()
                }),
            ),
            // Move the first list item before the span added just above, inside #target.
            ev(
                200,
                mutation(Mutation {
                    adds: vec![add_move(16, Some(12), 40)],
                    ..Default::default()
                }),
            ),
            // New CSS for the <style> (which has a text child) and the <link>; a change of
            // the textarea's text, which rrweb does not have (its value stands for it).
            ev(
                300,
                mutation(Mutation {
                    props: vec![
                        (5, Prop::Css("body { color: rgb(4, 5, 6); }".into())),
                        (7, Prop::Css("h1 { color: rgb(0, 0, 255); }".into())),
                    ],
                    texts: vec![(45, "new default".into())],
                    ..Default::default()
                }),
            ),
        ],
    );
    batches.push((7, b2));
    batches
}

#[test]
fn rrweb_full_snapshot_shape() {
    let tl = Timeline::new(fixture_session());
    let out = rrweb::export(&tl);
    // Meta, FullSnapshot, iframe attach: first three, at the snapshot's time.
    assert_eq!(ty(&out[0]), (4, None));
    let meta = out[0].get("data").unwrap();
    assert_eq!(s(meta, "href"), "https://shop.example/app/page.html");
    assert_eq!((num(meta, "width"), num(meta, "height")), (1024, 768));
    assert_eq!(num(&out[0], "timestamp"), (T0 + 5) as i64);
    assert_eq!(ty(&out[1]), (2, None));
    let data = out[1].get("data").unwrap();
    assert_eq!(num(data.get("initialOffset").unwrap(), "top"), 40);
    let root = data.get("node").unwrap();
    assert_eq!((num(root, "type"), num(root, "id")), (0, 1));
    assert!(root.get("compatMode").is_none());
    let dt = find(root, 2).unwrap();
    assert_eq!((num(dt, "type"), s(dt, "name")), (1, "html"));
    let html = find(root, 3).unwrap();
    assert_eq!((num(html, "type"), s(html, "tagName")), (2, "html"));
    assert_eq!(s(attrs(html), "lang"), "en");

    // Inlined CSS: _cssText with absolute url(); link loses rel/href; style text emptied.
    let style = find(root, 5).unwrap();
    assert_eq!(
        s(attrs(style), "_cssText"),
        "body { color: rgb(1, 2, 3); }\n.bg { background-image: url(\"https://shop.example/app/img/bg.png\"); }"
    );
    let st = find(root, 6).unwrap();
    assert_eq!((num(st, "type"), s(st, "textContent")), (3, ""));
    assert_eq!(st.get("isStyle"), Some(&Json::Bool(true)));
    let link = find(root, 7).unwrap();
    assert_eq!(attrs(link).get("href"), None);
    assert_eq!(attrs(link).get("rel"), None);
    assert_eq!(s(attrs(link), "_cssText"), "h1 { color: rgb(0, 128, 0); }");

    // URLs.
    let img = find(root, 17).unwrap();
    assert_eq!(
        s(attrs(img), "src"),
        "https://shop.example/app/img/logo.png"
    );
    assert_eq!(
        s(attrs(img), "srcset"),
        "https://shop.example/app/img/a.png 1x, https://shop.example/img/b.png 2x"
    );

    // Form state.
    assert_eq!(s(attrs(find(root, 18).unwrap()), "value"), "Ada");
    assert_eq!(
        attrs(find(root, 19).unwrap()).get("checked"),
        Some(&Json::Bool(true))
    );
    assert_eq!(attrs(find(root, 19).unwrap()).get("value"), None);

    // Shadow DOM: the host is flagged, the root's children follow with isShadow, the shadow
    // root itself (21) is no rrweb node.
    let host = find(root, 20).unwrap();
    assert_eq!(host.get("isShadowHost"), Some(&Json::Bool(true)));
    let inner = &arr(host, "childNodes")[0];
    assert_eq!(
        (num(inner, "id"), inner.get("isShadow")),
        (22, Some(&Json::Bool(true)))
    );
    assert!(find(root, 21).is_none());

    // Iframe: no children inline, no src; its document comes in an attach mutation.
    let iframe = find(root, 24).unwrap();
    assert!(arr(iframe, "childNodes").is_empty());
    assert_eq!(attrs(iframe).get("src"), None);
    assert!(find(root, 25).is_none());
    assert_eq!(ty(&out[2]), (3, Some(0)));
    let attach = out[2].get("data").unwrap();
    assert_eq!(attach.get("isAttachIframe"), Some(&Json::Bool(true)));
    let add = &arr(attach, "adds")[0];
    assert_eq!(
        (num(add, "parentId"), add.get("nextId")),
        (24, Some(&Json::Null))
    );
    let fdoc = add.get("node").unwrap();
    assert_eq!((num(fdoc, "type"), num(fdoc, "id")), (0, 25));
    assert!(fdoc.get("rootId").is_none());
    let fp = find(fdoc, 29).unwrap();
    assert_eq!(num(fp, "rootId"), 25);
    assert_eq!(s(&arr(fp, "childNodes")[0], "textContent"), "in frame");

    // Opaque: rrweb's blocked shape.
    let ad = find(root, 31).unwrap();
    assert_eq!(
        attrs(ad),
        &Json::Obj(vec![
            ("id".into(), Json::str("ad")),
            ("class".into(), Json::str("ad rr-block")),
            ("rr_width".into(), Json::str("300px")),
            ("rr_height".into(), Json::str("250px")),
        ])
    );
    assert!(arr(ad, "childNodes").is_empty());

    // SVG, CDATA as text, comment.
    let pic = find(root, 32).unwrap();
    assert_eq!(pic.get("isSVG"), Some(&Json::Bool(true)));
    assert_eq!(
        find(root, 33).unwrap().get("isSVG"),
        Some(&Json::Bool(true))
    );
    let cdata = find(root, 35).unwrap();
    assert_eq!((num(cdata, "type"), s(cdata, "textContent")), (3, "c-data"));
    let c = find(root, 36).unwrap();
    assert_eq!((num(c, "type"), s(c, "textContent")), (5, "note"));
}

#[test]
fn rrweb_mutations_adds_removes_and_moves() {
    let tl = Timeline::new(fixture_session());
    let out = rrweb::export(&tl);
    let muts: Vec<&Json> = out
        .iter()
        .filter(|e| ty(e) == (3, Some(0)))
        .map(|e| e.get("data").unwrap())
        .collect();
    // [0] attach (first snapshot), [1] new p#c + attr + text, [2] move/remove,
    // [3] attach (checkout), [4] adds after checkout, [5] move with nextId, [6] new CSS.
    assert_eq!(muts.len(), 7, "{}", rrweb::to_json(&out));

    let m = muts[1];
    let adds = arr(m, "adds");
    assert_eq!(adds.len(), 2, "new subtrees are written node by node");
    assert_eq!(
        (
            num(&adds[0], "parentId"),
            adds[0].get("nextId"),
            num(adds[0].get("node").unwrap(), "id")
        ),
        (11, Some(&Json::Null), 40)
    );
    assert_eq!(
        (
            num(&adds[1], "parentId"),
            num(adds[1].get("node").unwrap(), "id")
        ),
        (40, 41)
    );
    assert!(arr(adds[0].get("node").unwrap(), "childNodes").is_empty());
    assert_eq!(s(&arr(m, "texts")[0], "value"), "Hello, world");
    let a = &arr(m, "attributes")[0];
    assert_eq!(
        (num(a, "id"), s(a.get("attributes").unwrap(), "class")),
        (9, "big")
    );

    // Move: a remove from the old parent, then the whole subtree re-added.
    let m = muts[2];
    let removes = arr(m, "removes");
    let pairs: Vec<(i64, i64)> = removes
        .iter()
        .map(|r| (num(r, "parentId"), num(r, "id")))
        .collect();
    assert!(
        pairs.contains(&(11, 14)) && pairs.contains(&(11, 12)),
        "{pairs:?}"
    );
    let adds = arr(m, "adds");
    let ids: Vec<(i64, i64)> = adds
        .iter()
        .map(|a| (num(a, "parentId"), num(a.get("node").unwrap(), "id")))
        .collect();
    assert_eq!(ids, vec![(16, 12), (12, 13)]);
    assert_eq!(s(adds[1].get("node").unwrap(), "textContent"), "A");

    // Props: Input events and a scroll, then the adopted sheet.
    let inputs: Vec<&Json> = out
        .iter()
        .filter(|e| ty(e) == (3, Some(5)))
        .map(|e| e.get("data").unwrap())
        .collect();
    assert_eq!(inputs.len(), 3);
    assert_eq!(
        (num(inputs[2], "id"), s(inputs[2], "text")),
        (39, "edited text")
    );
    assert_eq!(
        (
            num(inputs[0], "id"),
            s(inputs[0], "text"),
            inputs[0].get("isChecked")
        ),
        (18, "Grace", Some(&Json::Bool(false)))
    );
    assert_eq!(
        (
            num(inputs[1], "id"),
            s(inputs[1], "text"),
            inputs[1].get("isChecked")
        ),
        (19, "on", Some(&Json::Bool(false)))
    );
    let scrolls: Vec<&Json> = out
        .iter()
        .filter(|e| ty(e) == (3, Some(3)))
        .map(|e| e.get("data").unwrap())
        .collect();
    assert_eq!((num(scrolls[0], "id"), num(scrolls[0], "y")), (37, 120));
    let adopted: Vec<&Json> = out
        .iter()
        .filter(|e| ty(e) == (3, Some(15)))
        .map(|e| e.get("data").unwrap())
        .collect();
    // Once when it happens, once again after the checkout.
    assert_eq!(adopted.len(), 2);
    assert_eq!(num(adopted[0], "id"), 1);
    let style = &arr(adopted[0], "styles")[0];
    assert_eq!(
        arr(adopted[0], "styleIds")[0].as_i64(),
        Some(num(style, "styleId"))
    );
    assert_eq!(s(&arr(style, "rules")[0], "rule"), "p { margin: 3px; }");

    // The checkout: a second Meta + FullSnapshot with the scroll written as rr_scrollTop and
    // the form state of that moment.
    let fulls: Vec<&Json> = out
        .iter()
        .filter(|e| ty(e).0 == 2)
        .map(|e| e.get("data").unwrap().get("node").unwrap())
        .collect();
    assert_eq!(fulls.len(), 2);
    assert_eq!(num(attrs(find(fulls[1], 37).unwrap()), "rr_scrollTop"), 120);
    assert_eq!(s(attrs(find(fulls[1], 18).unwrap()), "value"), "Grace");
    assert_eq!(attrs(find(fulls[1], 19).unwrap()).get("checked"), None);

    // After the checkout: adds into a shadow root go to the host with isShadow; text in the
    // iframe document.
    let m = muts[4];
    let adds = arr(m, "adds");
    let b = adds
        .iter()
        .find(|a| num(a.get("node").unwrap(), "id") == 52)
        .unwrap();
    assert_eq!(num(b, "parentId"), 20);
    assert_eq!(
        b.get("node").unwrap().get("isShadow"),
        Some(&Json::Bool(true))
    );
    assert_eq!(s(&arr(m, "texts")[0], "value"), "frame updated");

    // A move before an existing sibling keeps nextId.
    let m = muts[5];
    let r = &arr(m, "removes")[0];
    assert_eq!((num(r, "parentId"), num(r, "id")), (11, 40));
    let a = &arr(m, "adds")[0];
    assert_eq!(
        (
            num(a, "parentId"),
            num(a, "nextId"),
            num(a.get("node").unwrap(), "id")
        ),
        (16, 12, 40)
    );

    // New CSS: the <style> and <link> are removed and built again (rrweb would empty a
    // <style> with text on a `_cssText` attribute change); the <style>'s text child comes
    // back empty (rrweb moves the CSS into it). The change to the textarea's text is not
    // sent: rrweb has its value instead of its children.
    let m = muts[6];
    let removes: Vec<(i64, i64)> = arr(m, "removes")
        .iter()
        .map(|r| (num(r, "parentId"), num(r, "id")))
        .collect();
    assert_eq!(removes, vec![(4, 5), (4, 7)]);
    let adds: Vec<(i64, Option<i64>, i64)> = arr(m, "adds")
        .iter()
        .map(|a| {
            (
                num(a, "parentId"),
                a.get("nextId").and_then(Json::as_i64),
                num(a.get("node").unwrap(), "id"),
            )
        })
        .collect();
    assert_eq!(adds, vec![(4, None, 7), (4, Some(7), 5), (5, None, 6)]);
    let style = arr(m, "adds")[1].get("node").unwrap();
    assert_eq!(s(attrs(style), "_cssText"), "body { color: rgb(4, 5, 6); }");
    assert!(arr(m, "texts").is_empty());
    let fulls_ta = find(fulls[1], 39).unwrap();
    assert_eq!(s(attrs(fulls_ta), "value"), "edited text");
    assert!(arr(fulls_ta, "childNodes").is_empty());

    // Timestamps never go back.
    let ts: Vec<i64> = out.iter().map(|e| num(e, "timestamp")).collect();
    assert!(ts.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn rrweb_moves_into_new_content_and_sibling_order() {
    // body > [ul#1 > li 10, li 11, li 12]; one batch: new div 20 at the start of body, then
    // li 12 moved into it, li 10 moved after li 11, two new items appended to ul, in order.
    let s0 = page(vec![el(
        9,
        "ul",
        &[],
        vec![
            el(10, "li", &[], vec![]),
            el(11, "li", &[], vec![]),
            el(12, "li", &[], vec![]),
        ],
    )]);
    let m = Mutation {
        adds: vec![
            add_new(5, Some(9), el(20, "div", &[], vec![])),
            add_move(20, None, 12),
            add_move(9, None, 10),
            add_new(9, None, el(30, "li", &[("n", "30")], vec![])),
            add_new(9, None, el(31, "li", &[("n", "31")], vec![])),
        ],
        ..Default::default()
    };
    let tl = Timeline::new(vec![(
        1,
        batch(0, T0, vec![ev(0, snap(s0)), ev(1, mutation(m))]),
    )]);
    let out = rrweb::export(&tl);
    let data = out
        .iter()
        .rev()
        .find(|e| ty(e) == (3, Some(0)))
        .unwrap()
        .get("data")
        .unwrap();
    let adds: Vec<(i64, Option<i64>, i64)> = arr(data, "adds")
        .iter()
        .map(|a| {
            (
                num(a, "parentId"),
                a.get("nextId").and_then(Json::as_i64),
                num(a.get("node").unwrap(), "id"),
            )
        })
        .collect();
    // Replaying these in order on the old document (minus the removes) must give the new
    // one: simulate with plain vectors.
    let removes: Vec<i64> = arr(data, "removes").iter().map(|r| num(r, "id")).collect();
    let mut kids: std::collections::BTreeMap<i64, Vec<i64>> = Default::default();
    kids.insert(5, vec![9]);
    kids.insert(9, vec![10, 11, 12]);
    for r in &removes {
        for v in kids.values_mut() {
            v.retain(|x| x != r);
        }
    }
    for (p, next, id) in &adds {
        let v = kids.entry(*p).or_default();
        match next {
            Some(n) => {
                let i = v
                    .iter()
                    .position(|x| x == n)
                    .unwrap_or_else(|| panic!("nextId {n} not present when adding {id}: {adds:?}"));
                v.insert(i, *id);
            }
            None => v.push(*id),
        }
    }
    assert_eq!(kids[&5], vec![20, 9]);
    assert_eq!(kids[&20], vec![12]);
    assert_eq!(kids[&9], vec![11, 10, 30, 31]);
    let canon = tl.canonical_at(10).unwrap();
    assert!(canon.contains("<div>\n        <li>\n      <ul>\n        <li>\n        <li>\n        <li n=\"30\">\n        <li n=\"31\">\n"), "{canon}");
}

#[test]
fn rrweb_gap_skips_to_the_next_snapshot() {
    let s1 = page(vec![el(10, "p", &[], vec![text(11, "v1")])]);
    let batches = vec![
        (4, batch(0, T0, vec![ev(0, snap(s1.clone()))])),
        (
            4,
            batch(
                2,
                T0 + 300,
                vec![ev(
                    0,
                    mutation(Mutation {
                        texts: vec![(11, "lost context".into())],
                        ..Default::default()
                    }),
                )],
            ),
        ),
        (
            4,
            batch(
                3,
                T0 + 400,
                vec![
                    ev(0, snap(s1)),
                    ev(
                        10,
                        mutation(Mutation {
                            texts: vec![(11, "v4".into())],
                            ..Default::default()
                        }),
                    ),
                ],
            ),
        ),
    ];
    let json = rrweb::export_json(&Timeline::new(batches));
    assert!(!json.contains("lost context"));
    assert!(json.contains("v4"));
    assert_eq!(json.matches("{\"type\":2,\"data\"").count(), 2, "{json}");
}

#[test]
fn rrweb_new_opaque_and_custom_events() {
    let s0 = page(vec![el(
        10,
        "iframe",
        &[("src", "https://ads.example/x")],
        vec![],
    )]);
    let batches = vec![(
        1,
        batch(
            0,
            T0,
            vec![
                ev(0, start("https://x.example/dir/")),
                ev(1, snap(s0)),
                ev(
                    2,
                    mutation(Mutation {
                        props: vec![(10, Prop::Opaque), (10, Prop::Size { w: 10, h: 20 })],
                        ..Default::default()
                    }),
                ),
                ev(
                    3,
                    EventData::Page {
                        url: "https://x.example/other".into(),
                        title: "Other".into(),
                    },
                ),
                ev(
                    4,
                    EventData::Note {
                        text: "degraded".into(),
                    },
                ),
            ],
        ),
    )];
    let out = rrweb::export(&Timeline::new(batches));
    let full = out
        .iter()
        .find(|e| ty(e).0 == 2)
        .unwrap()
        .get("data")
        .unwrap()
        .get("node")
        .unwrap();
    // An unrecorded iframe keeps its URL as rr_src only.
    let f = find(full, 10).unwrap();
    assert_eq!(s(attrs(f), "rr_src"), "https://ads.example/x");
    assert_eq!(attrs(f).get("src"), None);
    // Becoming opaque: removed and re-added in the blocked shape.
    let m = out
        .iter()
        .find(|e| ty(e) == (3, Some(0)))
        .unwrap()
        .get("data")
        .unwrap();
    assert_eq!(num(&arr(m, "removes")[0], "id"), 10);
    let node = arr(m, "adds")[0].get("node").unwrap();
    assert_eq!(s(attrs(node), "rr_width"), "10px");
    let customs: Vec<&str> = out
        .iter()
        .filter(|e| ty(e).0 == 5)
        .map(|e| s(e.get("data").unwrap(), "tag"))
        .collect();
    assert_eq!(customs, vec!["insp-page", "insp-note"]);
}

#[test]
fn urls_are_made_absolute() {
    let b = "https://shop.example/app/page.html?q=1#top";
    assert_eq!(
        rrweb::resolve_url(b, "img/a.png"),
        "https://shop.example/app/img/a.png"
    );
    assert_eq!(
        rrweb::resolve_url(b, "../a.png"),
        "https://shop.example/a.png"
    );
    assert_eq!(
        rrweb::resolve_url(b, "../../../a.png"),
        "https://shop.example/a.png"
    );
    assert_eq!(
        rrweb::resolve_url(b, "./x/./y/../z?k=v#f"),
        "https://shop.example/app/x/z?k=v#f"
    );
    assert_eq!(
        rrweb::resolve_url(b, "/root.css"),
        "https://shop.example/root.css"
    );
    assert_eq!(
        rrweb::resolve_url(b, "//cdn.example/lib.js"),
        "https://cdn.example/lib.js"
    );
    assert_eq!(
        rrweb::resolve_url(b, "?page=2"),
        "https://shop.example/app/page.html?page=2"
    );
    assert_eq!(
        rrweb::resolve_url(b, "#sec"),
        "https://shop.example/app/page.html?q=1#sec"
    );
    assert_eq!(
        rrweb::resolve_url(b, "  spaced.png \n"),
        "https://shop.example/app/spaced.png"
    );
    assert_eq!(
        rrweb::resolve_url(b, "data:image/png;base64,AAA"),
        "data:image/png;base64,AAA"
    );
    assert_eq!(rrweb::resolve_url(b, "mailto:a@b.c"), "mailto:a@b.c");
    assert_eq!(rrweb::resolve_url(b, ""), "");
    assert_eq!(
        rrweb::resolve_url("https://h.example", "a"),
        "https://h.example/a"
    );
    assert_eq!(rrweb::resolve_url("about:blank", "a.png"), "a.png");
    assert_eq!(rrweb::resolve_url("", "a.png"), "a.png");
    assert_eq!(
        rrweb::resolve_url("https://h.example/d/", ".."),
        "https://h.example/"
    );

    assert_eq!(
        rrweb::absolutize_srcset("a.png 1x,b.png 2x, c.png", b),
        "https://shop.example/app/a.png 1x, https://shop.example/app/b.png 2x, https://shop.example/app/c.png"
    );
    assert_eq!(
        rrweb::absolutize_css(
            "a{background:url(x.png)} b{background:URL( 'y.png' )} c{mask:url(#m)} d{src:url(data:font/woff,AA)} e{x:url(\"/z.png\")} f{u:url(",
            b
        ),
        "a{background:url(https://shop.example/app/x.png)} b{background:url('https://shop.example/app/y.png')} c{mask:url(#m)} d{src:url(data:font/woff,AA)} e{x:url(\"https://shop.example/z.png\")} f{u:url("
    );
    assert_eq!(
        rrweb::absolutize_css("é url(ü.png) ø", b),
        "é url(https://shop.example/app/ü.png) ø"
    );
    assert_eq!(rrweb::transform_attr("use", "href", "#icon", b), "#icon");
    assert_eq!(
        rrweb::transform_attr("a", "href", "#icon", b),
        "https://shop.example/app/page.html?q=1#icon"
    );
    assert_eq!(rrweb::transform_attr("div", "title", "x.png", b), "x.png");
}

#[test]
fn css_rules_are_split_for_insert_rule() {
    assert_eq!(
        rrweb::split_rules("@import url(\"a;b.css\"); /* c } */ a { color: red } @media (x) { b { c: d } } e{content:\"}\"}  "),
        vec![
            "@import url(\"a;b.css\");".to_string(),
            "a { color: red }".into(),
            "@media (x) { b { c: d } }".into(),
            "e{content:\"}\"}".into()
        ]
    );
    assert!(rrweb::split_rules("  ").is_empty());
    assert_eq!(rrweb::split_rules("a{"), vec!["a{".to_string()]);
}

#[test]
fn json_is_escaped() {
    let j = Json::Obj(vec![(
        "k\"".into(),
        Json::Arr(vec![
            Json::str("a\\b\n\u{1}</script>\u{2028}"),
            Json::Int(-3),
            Json::Null,
            Json::Bool(true),
        ]),
    )]);
    assert_eq!(
        j.to_json(),
        r#"{"k\"":["a\\b\n\u0001\u003c/script>\u2028",-3,null,true]}"#
    );
}

/// Writes the fixture for `tests/e2e/rrweb-replayer.test.mjs`: `{events, duration_ms,
/// start_ms, checkout_offset_ms, canonical_end, canonical_mid}` to $INSP_RRWEB_FIXTURE
/// (default target/e2e/rrweb-fixture.json).
#[test]
#[ignore]
fn write_rrweb_fixture() {
    let tl = Timeline::new(fixture_session());
    let events = rrweb::export_json(&tl);
    let end = tl.duration_ms();
    let mid = 1250; // after the move, before the form changes
    let mut out = String::new();
    out.push_str("{\"events\":");
    out.push_str(&events);
    let mut field = |k: &str, v: Json| {
        out.push_str(&format!(",\"{k}\":"));
        v.write(&mut out);
    };
    field("start_ms", Json::Int(tl.start_ms() as i64));
    field("duration_ms", Json::Int(end as i64));
    field("mid_offset_ms", Json::Int(mid));
    field("canonical_end", Json::Str(tl.canonical_at(end).unwrap()));
    field(
        "canonical_mid",
        Json::Str(tl.canonical_at(mid as u64).unwrap()),
    );
    out.push('}');
    let path = std::env::var("INSP_RRWEB_FIXTURE").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/target/e2e/rrweb-fixture.json").into()
    });
    if let Some(dir) = std::path::Path::new(&path).parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(&path, out).unwrap();
    eprintln!("wrote {path}");
}

#[test]
fn html_pins_relative_urls_to_the_page() {
    // Shown from the collector (srcdoc), relative URLs would resolve against the dashboard.
    let s = page(vec![el(10, "img", &[("src", "a.png")], vec![])]);
    let tl = Timeline::new(vec![(
        1,
        batch(
            0,
            T0,
            vec![
                ev(0, start("https://x.example/shop/cart.html")),
                ev(1, snap(s)),
            ],
        ),
    )]);
    let html = tl.html_at(1).unwrap();
    assert!(
        html.contains(r#"<head><base href="https://x.example/shop/cart.html"></head>"#),
        "{html}"
    );
    assert!(!tl.canonical_at(1).unwrap().contains("base"));

    // The page's own <base> is made absolute instead.
    let s = N::Doc(
        1,
        vec![el(
            3,
            "html",
            &[],
            vec![
                el(
                    4,
                    "head",
                    &[],
                    vec![el(6, "base", &[("href", "../static/")], vec![])],
                ),
                el(5, "body", &[], vec![]),
            ],
        )],
    );
    let tl = Timeline::new(vec![(
        1,
        batch(
            0,
            T0,
            vec![
                ev(0, start("https://x.example/shop/cart.html")),
                ev(1, snap(s)),
            ],
        ),
    )]);
    let html = tl.html_at(1).unwrap();
    assert!(
        html.contains(r#"<head><base href="https://x.example/static/"></head>"#),
        "{html}"
    );
}

#[test]
fn rrweb_urls_follow_the_pages_base_element() {
    let doc = N::Doc(
        1,
        vec![el(
            3,
            "html",
            &[],
            vec![
                el(
                    4,
                    "head",
                    &[],
                    vec![el(6, "base", &[("href", "../static/")], vec![])],
                ),
                el(
                    5,
                    "body",
                    &[],
                    vec![el(7, "img", &[("src", "a.png")], vec![])],
                ),
            ],
        )],
    );
    let tl = Timeline::new(vec![(
        1,
        batch(
            0,
            T0,
            vec![
                ev(0, start("https://x.example/shop/cart.html")),
                ev(1, snap(doc)),
            ],
        ),
    )]);
    let out = rrweb::export(&tl);
    let root = out[1].get("data").unwrap().get("node").unwrap();
    assert_eq!(
        s(attrs(find(root, 6).unwrap()), "href"),
        "https://x.example/static/"
    );
    assert_eq!(
        s(attrs(find(root, 7).unwrap()), "src"),
        "https://x.example/static/a.png"
    );
}

#[test]
fn frames_follow_navigation_viewport_and_document_scroll() {
    use insp_agent::event::NavKind;
    let s = page(vec![text(10, "x")]);
    let tl = Timeline::new(vec![(
        1,
        batch(
            0,
            T0,
            vec![
                ev(0, start("https://x.example/a")),
                ev(1, snap(s)),
                ev(
                    2,
                    EventData::Scroll {
                        id: 1,
                        x: 0,
                        y: 900,
                    },
                ),
                ev(3, EventData::Scroll { id: 10, x: 0, y: 5 }),
                ev(
                    4,
                    EventData::Viewport {
                        width: 400,
                        height: 300,
                    },
                ),
                ev(
                    5,
                    EventData::Navigation {
                        url: "https://x.example/b".into(),
                        kind: NavKind::Push,
                    },
                ),
            ],
        ),
    )]);
    let f = tl.frame_at(1).unwrap();
    assert_eq!(
        (f.scroll_y, f.width, f.url.as_str()),
        (40, 1024, "https://x.example/a")
    );
    let f = tl.frame_at(10).unwrap();
    assert_eq!((f.scroll_x, f.scroll_y), (0, 900));
    assert_eq!((f.width, f.height), (400, 300));
    assert_eq!(f.url, "https://x.example/b");
}

/// The rrweb mutation events (source 0) of an export, and every Input event (source 5).
fn muts_and_inputs(out: &[Json]) -> (Vec<&Json>, Vec<&Json>) {
    let m = out
        .iter()
        .filter(|e| ty(e) == (3, Some(0)))
        .map(|e| e.get("data").unwrap())
        .collect();
    let i = out
        .iter()
        .filter(|e| ty(e) == (3, Some(5)))
        .map(|e| e.get("data").unwrap())
        .collect();
    (m, i)
}

#[test]
fn rrweb_moved_frame_gets_a_fresh_document() {
    // body > [div 9 > iframe 10 > #document 11 > html 12 > body 13 > p 14, section 20]; the
    // iframe moves into the section twice.
    let frame_doc = N::Doc(
        11,
        vec![el(
            12,
            "html",
            &[],
            vec![el(13, "body", &[], vec![el(14, "p", &[], vec![])])],
        )],
    );
    let s0 = page(vec![
        el(9, "div", &[], vec![el(10, "iframe", &[], vec![frame_doc])]),
        el(20, "section", &[], vec![]),
    ]);
    let mv = |to| {
        mutation(Mutation {
            adds: vec![add_move(to, None, 10)],
            ..Default::default()
        })
    };
    let tl = Timeline::new(vec![(
        1,
        batch(0, T0, vec![ev(0, snap(s0)), ev(1, mv(20)), ev(2, mv(9))]),
    )]);
    let out = rrweb::export(&tl);
    let (muts, _) = muts_and_inputs(&out);
    // [attach at the snapshot, move 1, move 2]
    assert_eq!(muts.len(), 3, "{}", rrweb::to_json(&out));
    let mut doc_ids = vec![num(arr(muts[0], "adds")[0].get("node").unwrap(), "id")];
    assert_eq!(doc_ids[0], 11);
    for (m, from) in muts[1..].iter().zip([9, 20]) {
        // The frame document's children are unmapped before the iframe goes (rrweb would keep
        // them), under the document's current rrweb id.
        let removes: Vec<(i64, i64)> = arr(m, "removes")
            .iter()
            .map(|r| (num(r, "parentId"), num(r, "id")))
            .collect();
        assert_eq!(
            removes,
            vec![(*doc_ids.last().unwrap(), 12), (from, 10)],
            "{}",
            m.to_json()
        );
        let doc = arr(m, "adds")
            .iter()
            .map(|a| a.get("node").unwrap())
            .find(|n| num(n, "type") == 0)
            .unwrap();
        let id = num(doc, "id");
        assert!(
            !doc_ids.contains(&id),
            "document id {id} reused: {}",
            m.to_json()
        );
        // Its nodes name the fresh id as their root.
        assert_eq!(num(find(doc, 14).unwrap(), "rootId"), id);
        doc_ids.push(id);
    }
}

#[test]
fn rrweb_empty_shadow_root_rebuilds_its_host_and_selects_use_options() {
    let s0 = page(vec![
        el(9, "div", &[], vec![]),
        el(
            30,
            "select",
            &[],
            vec![
                elp(
                    31,
                    "option",
                    &[],
                    vec![Prop::Selected(true)],
                    vec![text(32, "a")],
                ),
                elp(
                    33,
                    "option",
                    &[],
                    vec![Prop::Selected(false)],
                    vec![text(34, "b")],
                ),
            ],
        ),
    ]);
    let m = Mutation {
        adds: vec![add_new(9, None, N::Shadow(40, vec![]))],
        props: vec![
            (30, Prop::Value("b".into())),
            (31, Prop::Selected(false)),
            (33, Prop::Selected(true)),
        ],
        ..Default::default()
    };
    let none = Mutation {
        props: vec![
            (30, Prop::Value(String::new())),
            (33, Prop::Selected(false)),
        ],
        ..Default::default()
    };
    let again = Mutation {
        props: vec![(30, Prop::Value("a".into())), (31, Prop::Selected(true))],
        ..Default::default()
    };
    let tl = Timeline::new(vec![(
        1,
        batch(
            0,
            T0,
            vec![
                ev(0, snap(s0)),
                ev(1, mutation(m)),
                ev(2, mutation(none)),
                ev(3, mutation(again)),
            ],
        ),
    )]);
    let out = rrweb::export(&tl);
    let (muts, inputs) = muts_and_inputs(&out);
    // The host is removed and built again, flagged as a shadow host.
    let host = arr(muts[0], "adds")
        .iter()
        .map(|a| a.get("node").unwrap())
        .find(|n| num(n, "id") == 9)
        .unwrap();
    assert_eq!(
        host.get("isShadowHost").and_then(Json::as_bool),
        Some(true),
        "{}",
        muts[0].to_json()
    );
    assert!(arr(muts[0], "removes").iter().any(|r| num(r, "id") == 9));
    // The selection goes as the options' `selected` attributes.
    let sel: Vec<(i64, Json)> = arr(muts[0], "attributes")
        .iter()
        .map(|a| (num(a, "id"), attrs(a).get("selected").cloned().unwrap()))
        .collect();
    assert_eq!(sel, vec![(31, Json::Null), (33, Json::str(""))]);
    // Input events only to deselect every option, and for the first value after that.
    let texts: Vec<(i64, &str)> = inputs
        .iter()
        .map(|i| (num(i, "id"), s(i, "text")))
        .collect();
    assert_eq!(texts, vec![(30, ""), (30, "a")], "{}", rrweb::to_json(&out));
}

#[test]
fn frames_carry_the_pointer_and_recent_clicks() {
    use insp_agent::event::MouseKind;
    let mut batches = simple_session();
    batches.push((
        9,
        batch(
            2,
            T0 + 2000,
            vec![
                ev(
                    0,
                    EventData::MouseMove {
                        positions: vec![(10, 20, 0), (30, 40, 100), (50, 60, 400)],
                    },
                ),
                ev(
                    450,
                    EventData::Mouse {
                        kind: MouseKind::Click,
                        id: 10,
                        x: 70,
                        y: 80,
                    },
                ),
                ev(
                    500,
                    EventData::Mouse {
                        kind: MouseKind::Down,
                        id: 10,
                        x: 71,
                        y: 81,
                    },
                ),
            ],
        ),
    ));
    let tl = Timeline::new(batches);
    let at = |ms| {
        let f = tl.frame_at(ms).unwrap();
        (f.pointer, f.clicks)
    };
    assert_eq!(at(1999), (None, vec![]));
    // Positions of a batch later than the moment are not reached yet.
    assert_eq!(at(2150), (Some((30, 40)), vec![]));
    assert_eq!(at(2400), (Some((50, 60)), vec![]));
    assert_eq!(at(2460), (Some((70, 80)), vec![(70, 80, 10)]));
    // A press is a position, not a click.
    assert_eq!(at(2600), (Some((71, 81)), vec![(70, 80, 150)]));
    // Clicks fade out after REPLAY_CLICK_SHOWN_MS; the pointer stays.
    assert_eq!(at(4000), (Some((71, 81)), vec![]));
}
