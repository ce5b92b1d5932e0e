//! Replay endpoints: batches ingested through `POST /i/v1`, then read back as decoded events,
//! as rrweb events and as HTML at an offset; and `insp replay` on the same data directory.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;
use insp_agent::event::{
    Add, AddNode, Body as EnvBody, Element, Event, EventBatch, EventData, FlatNode, FullSnapshot,
    Mutation, NodeKind, Ns, Prop, Tree,
};

const T0: u64 = 1_700_000_000_000;

fn node(id: u32, n: u32, kind: NodeKind) -> FlatNode {
    FlatNode { id, n, kind }
}

fn elem(tag: &str, attrs: &[(&str, &str)], props: Vec<Prop>) -> NodeKind {
    NodeKind::Element(Element {
        tag: tag.into(),
        ns: Ns::Html,
        attrs: attrs
            .iter()
            .map(|(a, b)| ((*a).into(), (*b).into()))
            .collect(),
        props,
    })
}

/// `#document > [doctype, html > [head, body > [h1 "Hello", <script>, input]]]`
fn document() -> Tree {
    Tree {
        nodes: vec![
            node(1, 2, NodeKind::Document { quirks: false }),
            node(
                2,
                0,
                NodeKind::Doctype {
                    name: "html".into(),
                    public_id: String::new(),
                    system_id: String::new(),
                },
            ),
            node(3, 2, elem("html", &[], vec![])),
            node(4, 0, elem("head", &[], vec![])),
            node(5, 3, elem("body", &[], vec![])),
            node(6, 1, elem("h1", &[("id", "t")], vec![])),
            node(7, 0, NodeKind::Text("Hello".into())),
            node(8, 1, elem("script", &[], vec![])),
            node(9, 0, NodeKind::Text("alert(1)".into())),
            node(10, 0, elem("img", &[("src", "logo.png")], vec![])),
        ],
    }
}

fn ev(dt_ms: u32, data: EventData) -> Event {
    Event { dt_ms, data }
}

fn text_change(id: u32, s: &str) -> EventData {
    EventData::Mutation(Mutation {
        texts: vec![(id, s.into())],
        ..Default::default()
    })
}

/// pid 5: seq 0 (start + snapshot at +10), seq 1 (text at +1000, new <p> at +1500), seq 2
/// missing, seq 3 (text at +3000, lost context), seq 4 (checkout at +4000, text at +4100).
fn batches() -> Vec<EventBatch> {
    let snap = |t: Tree| {
        EventData::FullSnapshot(FullSnapshot {
            tree: t,
            scroll_x: 0,
            scroll_y: 0,
            width: 800,
            height: 600,
        })
    };
    vec![
        EventBatch {
            seq: 0,
            t0_ms: T0,
            t1_ms: T0 + 10,
            events: vec![
                ev(
                    0,
                    EventData::Start {
                        url: "https://shop.example/cart/".into(),
                        referrer: String::new(),
                        width: 800,
                        height: 600,
                    },
                ),
                ev(10, snap(document())),
            ],
        },
        EventBatch {
            seq: 1,
            t0_ms: T0 + 1000,
            t1_ms: T0 + 1500,
            events: vec![
                ev(0, text_change(7, "Hello, world")),
                ev(
                    500,
                    EventData::Mutation(Mutation {
                        adds: vec![Add {
                            parent: 5,
                            next: Some(8),
                            node: AddNode::New(Tree {
                                nodes: vec![
                                    node(20, 1, elem("p", &[], vec![])),
                                    node(21, 0, NodeKind::Text("new".into())),
                                ],
                            }),
                        }],
                        ..Default::default()
                    }),
                ),
            ],
        },
        EventBatch {
            seq: 3,
            t0_ms: T0 + 3000,
            t1_ms: T0 + 3000,
            events: vec![ev(0, text_change(7, "lost context"))],
        },
        EventBatch {
            seq: 4,
            t0_ms: T0 + 4000,
            t1_ms: T0 + 4100,
            events: vec![
                ev(0, snap(document())),
                ev(100, text_change(7, "after checkout")),
            ],
        },
    ]
}

async fn recorded(h: &Harness, sid: &str) -> u64 {
    let wid = h.site(&[]).await;
    let mut m = meta(0, T0, vec![]);
    m.session_start_ms = T0 - 1000; // the collector's session start precedes the first batch
    h.post_env(&envelope(wid, sid, 5, EnvBody::Meta(m)))
        .await
        .assert(StatusCode::OK);
    // Out of order, and one twice.
    let mut bs = batches();
    bs.reverse();
    bs.push(batches()[0].clone());
    for b in bs {
        h.post_env(&envelope(wid, sid, 5, EnvBody::Events(b)))
            .await
            .assert(StatusCode::OK);
    }
    wid
}

#[tokio::test]
async fn events_are_decoded_with_absolute_times_per_page_load() {
    let h = Harness::new().await;
    recorded(&h, "s1").await;
    let r = h.api("/api/sessions/s1/events").await;
    r.assert(StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/json");
    let j = &r.json;
    assert_eq!(j["id"], "s1");
    assert_eq!(j["start_ms"], T0 - 1000);
    assert_eq!(j["end_ms"], T0 + 4100);
    assert_eq!(j["duration_ms"], 5100);
    assert_eq!(
        j["gaps"],
        serde_json::json!([{ "pid": 5, "first_seq": 2, "last_seq": 2, "from_ms": T0 + 1500, "to_ms": T0 + 3000 }])
    );
    let loads = j["page_loads"].as_array().unwrap();
    assert_eq!(loads.len(), 1);
    let l = &loads[0];
    assert_eq!(l["pid"], 5);
    assert_eq!(l["seqs"], serde_json::json!([0, 1, 3, 4]));
    assert_eq!(l["shown_ms"], T0 + 10);
    let evs = l["events"].as_array().unwrap();
    assert_eq!(evs.len(), 7);
    assert_eq!(evs[0]["t_ms"], T0);
    assert_eq!(evs[0]["offset_ms"], 1000);
    assert_eq!(evs[0]["data"]["Start"]["url"], "https://shop.example/cart/");
    assert_eq!(evs[1]["t_ms"], T0 + 10);
    assert_eq!(
        evs[1]["data"]["FullSnapshot"]["tree"]["nodes"][0]["kind"]["Document"]["quirks"],
        false
    );
    assert_eq!(
        evs[2]["data"]["Mutation"]["texts"][0],
        serde_json::json!([7, "Hello, world"])
    );
    assert_eq!(evs[3]["t_ms"], T0 + 1500);
    assert_eq!(evs[4]["seq"], 3);
}

#[tokio::test]
async fn rrweb_export_is_a_json_array_of_rrweb_events() {
    let h = Harness::new().await;
    recorded(&h, "s2").await;
    let r = h.api("/api/sessions/s2/rrweb").await;
    r.assert(StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/json");
    let evs = r.json.as_array().unwrap();
    let types: Vec<i64> = evs.iter().map(|e| e["type"].as_i64().unwrap()).collect();
    // Meta + snapshot, two mutations, (gap: the lost mutation is skipped), Meta + checkout,
    // one mutation.
    assert_eq!(types, vec![4, 2, 3, 3, 4, 2, 3]);
    assert_eq!(
        evs[0]["data"],
        serde_json::json!({ "href": "https://shop.example/cart/", "width": 800, "height": 600 })
    );
    assert_eq!(evs[0]["timestamp"], T0 + 10);
    let root = &evs[1]["data"]["node"];
    assert_eq!(root["type"], 0);
    assert_eq!(root["id"], 1);
    let body = &root["childNodes"][1]["childNodes"][1];
    assert_eq!(body["tagName"], "body");
    assert_eq!(
        body["childNodes"][0]["childNodes"][0]["textContent"],
        "Hello"
    );
    assert_eq!(body["childNodes"][1]["attributes"]["type"], "text/inert");
    assert_eq!(
        body["childNodes"][2]["attributes"]["src"],
        "https://shop.example/cart/logo.png"
    );
    let add = &evs[3]["data"]["adds"];
    assert_eq!(add[0]["parentId"], 5);
    assert_eq!(add[0]["nextId"], 8);
    assert_eq!(add[0]["node"]["tagName"], "p");
    assert_eq!(add[1]["parentId"], 20);
    assert_eq!(add[1]["node"]["textContent"], "new");
    assert!(!String::from_utf8_lossy(&r.bytes).contains("lost context"));
    assert_eq!(evs[6]["data"]["texts"][0]["value"], "after checkout");
}

#[tokio::test]
async fn html_at_an_offset_under_a_strict_csp() {
    let h = Harness::new().await;
    recorded(&h, "s3").await;
    let html = |at: u64| {
        let h = &h;
        async move { h.api(&format!("/api/sessions/s3/html?at={at}")).await }
    };
    // Offsets count from the collector's session start (T0 - 1000): nothing before the
    // snapshot at T0 + 10.
    html(1009).await.assert(StatusCode::NOT_FOUND);

    let r = html(1010).await;
    r.assert(StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert_eq!(
        r.headers[header::CONTENT_SECURITY_POLICY],
        "default-src 'none'; style-src 'unsafe-inline' *; img-src * data:"
    );
    assert_eq!(r.headers["x-insp-pid"], "5");
    assert_eq!(r.headers["x-insp-stale"], "false");
    let body = String::from_utf8(r.bytes.clone()).unwrap();
    assert!(body.starts_with("<!DOCTYPE html>"), "{body}");
    assert!(body.contains(r#"<h1 id="t">Hello</h1>"#), "{body}");
    assert!(
        !body.contains("alert"),
        "scripts lose their content: {body}"
    );

    let body = String::from_utf8(html(2600).await.bytes).unwrap();
    assert!(
        body.contains(r#"<h1 id="t">Hello, world</h1><p>new</p><script"#),
        "{body}"
    );

    // In the gap: the last document before it, flagged.
    let r = html(4500).await;
    r.assert(StatusCode::OK);
    assert_eq!(r.headers["x-insp-stale"], "true");
    assert!(String::from_utf8_lossy(&r.bytes).contains("Hello, world</h1><p>new</p>"));

    // After the checkout.
    let body = String::from_utf8(html(5000).await.bytes).unwrap();
    assert!(body.contains(r#"<h1 id="t">Hello</h1><script"#), "{body}");
    let body = String::from_utf8(html(999_999).await.bytes).unwrap();
    assert!(body.contains(r#"<h1 id="t">after checkout</h1>"#), "{body}");

    h.api("/api/sessions/s3/html")
        .await
        .assert(StatusCode::BAD_REQUEST);
    h.api("/api/sessions/s3/html?at=-1")
        .await
        .assert(StatusCode::BAD_REQUEST);
    h.api("/api/sessions/s3/html?at=soon")
        .await
        .assert(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unknown_sessions_and_sessions_without_events() {
    let h = Harness::new().await;
    for p in ["events", "rrweb", "html?at=0"] {
        h.api(&format!("/api/sessions/nope/{p}"))
            .await
            .assert(StatusCode::NOT_FOUND);
    }
    // Meta only: known, but nothing to play.
    let wid = h.site(&[]).await;
    h.post_env(&envelope(
        wid,
        "m",
        1,
        EnvBody::Meta(meta(0, 2_000, vec![])),
    ))
    .await
    .assert(StatusCode::OK);
    let r = h.api("/api/sessions/m/events").await;
    r.assert(StatusCode::OK);
    assert_eq!(r.json["page_loads"], serde_json::json!([]));
    assert_eq!(r.json["start_ms"], 1_000);
    let r = h.api("/api/sessions/m/rrweb").await;
    r.assert(StatusCode::OK);
    assert_eq!(r.json, serde_json::json!([]));
    h.api("/api/sessions/m/html?at=0")
        .await
        .assert(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn replay_endpoints_require_the_key() {
    let h = Harness::new().await;
    recorded(&h, "s4").await;
    for p in ["events", "rrweb", "html?at=2000"] {
        let path = format!("/api/sessions/s4/{p}");
        h.send(Request::get(&path).body(Body::empty()).unwrap())
            .await
            .assert(StatusCode::UNAUTHORIZED);
        h.send(
            Request::get(&path)
                .header(header::AUTHORIZATION, "Bearer nope")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .assert(StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn insp_replay_prints_the_same_html() {
    let h = Harness::new().await;
    recorded(&h, "s5").await;
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_insp"))
            .arg("replay")
            .args(args)
            .arg("--data")
            .arg(&h.dir)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let via_http = String::from_utf8(h.api("/api/sessions/s5/html?at=2600").await.bytes).unwrap();
    let (ok, stdout, stderr) = run(&["s5", "--at", "2600"]);
    assert!(ok, "{stderr}");
    assert_eq!(stdout.trim_end_matches('\n'), via_http);

    let (ok, stdout, _) = run(&["s5", "--format", "canonical"]);
    assert!(ok);
    assert!(stdout.contains("#text \"after checkout\""), "{stdout}");

    let (ok, stdout, _) = run(&["s5", "--format", "rrweb"]);
    assert!(ok);
    let rr: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(rr, h.api("/api/sessions/s5/rrweb").await.json);

    let (ok, stdout, _) = run(&["s5", "--format", "events"]);
    assert!(ok);
    let ev: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(ev, h.api("/api/sessions/s5/events").await.json);

    let (ok, _, stderr) = run(&["s5", "--at", "0"]);
    assert!(!ok);
    assert!(stderr.contains("nothing recorded"), "{stderr}");
    let (ok, _, stderr) = run(&["nope", "--at", "0"]);
    assert!(!ok);
    assert!(stderr.contains("unknown session"), "{stderr}");
}

#[test]
fn openapi_documents_the_replay_routes() {
    let spec =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap();
    for path in [
        "/api/sessions/{id}/events",
        "/api/sessions/{id}/rrweb",
        "/api/sessions/{id}/html",
    ] {
        assert!(
            spec.contains(&format!("\n  {path}:\n")),
            "openapi.yaml lacks {path}"
        );
    }
}

#[tokio::test]
async fn new_batches_show_up_at_once() {
    // Replay caches decoded sessions; any stored batch (even one filling an old gap) must be
    // seen by the next request.
    let h = Harness::new().await;
    let wid = recorded(&h, "s6").await;
    let end = "/api/sessions/s6/html?at=999999";
    assert!(String::from_utf8_lossy(&h.api(end).await.bytes).contains("after checkout"));
    let late = EventBatch {
        seq: 5,
        t0_ms: T0 + 5000,
        t1_ms: T0 + 5000,
        events: vec![ev(0, text_change(7, "later still"))],
    };
    h.post_env(&envelope(wid, "s6", 5, EnvBody::Events(late)))
        .await
        .assert(StatusCode::OK);
    assert!(String::from_utf8_lossy(&h.api(end).await.bytes).contains("later still"));

    // The lost seq 2 arrives after all: no gap any more, and its text shows in the middle.
    let r = h.api("/api/sessions/s6/html?at=4500").await;
    assert_eq!(r.headers["x-insp-stale"], "true");
    let filled = EventBatch {
        seq: 2,
        t0_ms: T0 + 2000,
        t1_ms: T0 + 2000,
        events: vec![ev(0, text_change(7, "filled"))],
    };
    h.post_env(&envelope(wid, "s6", 5, EnvBody::Events(filled)))
        .await
        .assert(StatusCode::OK);
    let r = h.api("/api/sessions/s6/html?at=3500").await;
    assert_eq!(r.headers["x-insp-stale"], "false");
    assert!(String::from_utf8_lossy(&r.bytes).contains(">filled</h1>"));
    let r = h.api("/api/sessions/s6/html?at=4500").await;
    assert_eq!(r.headers["x-insp-stale"], "false");
    assert!(String::from_utf8_lossy(&r.bytes).contains(">lost context</h1>"));
    assert_eq!(
        h.api("/api/sessions/s6/events").await.json["gaps"],
        serde_json::json!([])
    );
}
