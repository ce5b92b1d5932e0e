//! Storage semantics seen through the API: search, merge rules, idempotence, auth, persistence.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;
use insp_agent::event::Body as EnvBody;
use insp_server::Store;

fn ids(r: &Reply) -> Vec<String> {
    r.json
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn tagged(
    h: &Harness,
    wid: u64,
    sid: &str,
    start_ms: u64,
    tags: Vec<insp_agent::event::Tag>,
) {
    let mut m = meta(0, start_ms + 10, tags);
    m.session_start_ms = start_ms;
    h.post_env(&envelope(wid, sid, 1, EnvBody::Meta(m)))
        .await
        .assert(StatusCode::OK);
}

#[tokio::test]
async fn tag_search_key_value_and_conjunction() {
    let h = Harness::new().await;
    let wid = h.site(&[]).await;
    tagged(
        &h,
        wid,
        "a",
        1_000,
        vec![tag("plan", Some("pro")), tag("vip", None)],
    )
    .await;
    tagged(&h, wid, "b", 2_000, vec![tag("plan", Some("free"))]).await;
    tagged(
        &h,
        wid,
        "c",
        3_000,
        vec![
            tag("plan", Some("Pro")),
            tag("vip", None),
            tag("q", Some("a=b")),
        ],
    )
    .await;
    tagged(&h, wid, "d", 4_000, vec![]).await;

    let q = |s: &str| format!("/api/sites/{wid}/sessions{s}");
    // Newest first.
    assert_eq!(ids(&h.api(&q("")).await), ["d", "c", "b", "a"]);
    assert_eq!(ids(&h.api(&q("?tag=plan")).await), ["c", "b", "a"]);
    // Exact and case-sensitive.
    assert_eq!(ids(&h.api(&q("?tag=plan=pro")).await), ["a"]);
    assert_eq!(ids(&h.api(&q("?tag=plan=Pro")).await), ["c"]);
    assert_eq!(ids(&h.api(&q("?tag=plan=pr")).await), Vec::<String>::new());
    // AND.
    assert_eq!(ids(&h.api(&q("?tag=vip&tag=plan=Pro")).await), ["c"]);
    assert_eq!(
        ids(&h.api(&q("?tag=vip&tag=plan=free")).await),
        Vec::<String>::new()
    );
    // Split at the first '=' (URL-encoded or not).
    assert_eq!(ids(&h.api(&q("?tag=q=a=b")).await), ["c"]);
    assert_eq!(ids(&h.api(&q("?tag=q%3Da%3Db")).await), ["c"]);
    // Paging.
    assert_eq!(ids(&h.api(&q("?limit=2")).await), ["d", "c"]);
    assert_eq!(ids(&h.api(&q("?limit=2&offset=2")).await), ["b", "a"]);

    let r = h.api(&q("?tag=vip")).await;
    let c = &r.json[0];
    assert_eq!(
        c["tags"],
        serde_json::json!({ "plan": "Pro", "vip": null, "q": "a=b" })
    );
    for k in [
        "id",
        "wid",
        "visitor_id",
        "identity",
        "start_ms",
        "last_activity_ms",
        "page_count",
        "tags",
    ] {
        assert!(c.get(k).is_some(), "missing {k}");
    }

    h.api(&q("?tag=")).await.assert(StatusCode::BAD_REQUEST);
    h.api(&q("?limit=x")).await.assert(StatusCode::BAD_REQUEST);
    h.api("/api/sites/99/sessions")
        .await
        .assert(StatusCode::NOT_FOUND);
    h.api("/api/sites/abc/sessions")
        .await
        .assert(StatusCode::BAD_REQUEST);
    h.api("/api/sessions/nope")
        .await
        .assert(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn tags_and_identity_replace_but_never_go_back_in_time() {
    let h = Harness::new().await;
    let wid = h.site(&[]).await;
    let send = |mseq: u32, t_ms: u64, tags, identity: Option<&str>| {
        let mut m = meta(mseq, t_ms, tags);
        m.identity = identity.map(Into::into);
        envelope(wid, "s", 3, EnvBody::Meta(m))
    };
    let old = send(
        0,
        2_000,
        vec![tag("plan", Some("free")), tag("step", Some("1"))],
        Some("anon@x"),
    );
    let new = send(
        1,
        2_000,
        vec![tag("plan", Some("pro")), tag("flag", None)],
        Some("ann@x"),
    );
    let newer = send(2, 5_000, vec![tag("step", None)], None);

    h.post_env(&old).await.assert(StatusCode::OK);
    h.post_env(&new).await.assert(StatusCode::OK);
    h.post_env(&newer).await.assert(StatusCode::OK);
    // The older delta is retried after the newer ones landed: nothing goes back.
    h.post_env(&old).await.assert(StatusCode::OK);
    h.post_env(&new).await.assert(StatusCode::OK);

    let s = h.api("/api/sessions/s").await;
    assert_eq!(
        s.json["tags"],
        serde_json::json!({ "plan": "pro", "step": null, "flag": null })
    );
    assert_eq!(s.json["identity"], "ann@x");

    // A key repeated within one delta ends with its last value.
    h.post_env(&send(
        3,
        6_000,
        vec![tag("plan", Some("a")), tag("plan", Some("b"))],
        Some("bob@x"),
    ))
    .await;
    let s = h.api("/api/sessions/s").await;
    assert_eq!(s.json["tags"]["plan"], "b");
    assert_eq!(s.json["identity"], "bob@x");
    assert_eq!(s.json["last_activity_ms"], 6_000);

    // Delivered out of order from the start: the newer write wins too.
    let mut m1 = meta(0, 1_000, vec![tag("k", Some("old"))]);
    m1.identity = Some("old".into());
    let mut m2 = meta(1, 1_500, vec![tag("k", Some("new"))]);
    m2.identity = Some("new".into());
    h.post_env(&envelope(wid, "t", 1, EnvBody::Meta(m2)))
        .await
        .assert(StatusCode::OK);
    h.post_env(&envelope(wid, "t", 1, EnvBody::Meta(m1)))
        .await
        .assert(StatusCode::OK);
    let t = h.api("/api/sessions/t").await;
    assert_eq!(t.json["tags"]["k"], "new");
    assert_eq!(t.json["identity"], "new");
}

#[tokio::test]
async fn redelivery_is_idempotent() {
    let h = Harness::new().await;
    let wid = h.site(&[]).await;
    let mut m = meta(0, 2_000, vec![tag("plan", Some("pro"))]);
    m.pages = vec![
        page(0, 1_200, "https://shop.example/"),
        page(1, 1_800, "https://shop.example/cart"),
    ];
    let meta_env = envelope(wid, "s", 9, EnvBody::Meta(m));
    let b0 = envelope(wid, "s", 9, EnvBody::Events(batch(0, 1_100, 1_900)));
    let b1 = envelope(wid, "s", 9, EnvBody::Events(batch(1, 1_900, 2_500)));
    // A second tab of the same session: same seq, other pid, stored separately.
    let other_tab = envelope(wid, "s", 10, EnvBody::Events(batch(0, 2_000, 2_200)));

    for _ in 0..3 {
        for env in [&b0, &meta_env, &b1, &other_tab] {
            h.post_env(env).await.assert(StatusCode::OK);
        }
    }
    let s = h.api("/api/sessions/s").await;
    assert_eq!(s.json["page_count"], 2);
    assert_eq!(s.json["pages"].as_array().unwrap().len(), 2);
    assert_eq!(s.json["pages"][1]["url"], "https://shop.example/cart");
    assert_eq!(s.json["pages"][1]["virtual"], true);
    assert_eq!(s.json["start_ms"], 1_000);
    assert_eq!(s.json["last_activity_ms"], 2_500);
    assert_eq!(
        ids(&h.api(&format!("/api/sites/{wid}/sessions")).await),
        ["s"]
    );

    // Exactly one row per (sid, pid, seq), and it decodes with the agent's codec.
    let (count, first): (i64, Vec<u8>) = {
        let conn = rusqlite::Connection::open(h.dir.join("insp.sqlite")).unwrap();
        let count = conn
            .query_row("SELECT count(*) FROM batches", [], |r| r.get(0))
            .unwrap();
        let first = conn
            .query_row(
                "SELECT data FROM batches WHERE pid = 9 AND seq = 0",
                [],
                |r| r.get(0),
            )
            .unwrap();
        (count, first)
    };
    assert_eq!(count, 3);
    assert_eq!(insp_agent::codec::decode(&first).unwrap(), b0);
}

#[tokio::test]
async fn api_requires_the_key() {
    let h = Harness::new().await;
    let wid = h.site(&["https://shop.example"]).await;
    for path in [
        "/api/sites".to_string(),
        format!("/api/sites/{wid}/sessions"),
        "/api/sessions/x".into(),
    ] {
        let r = h
            .send(Request::get(&path).body(Body::empty()).unwrap())
            .await;
        r.assert(StatusCode::UNAUTHORIZED);
        let r = h
            .send(
                Request::get(&path)
                    .header(header::AUTHORIZATION, "Bearer wrong")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        r.assert(StatusCode::UNAUTHORIZED);
    }
    let r = h.api("/api/sites").await;
    r.assert(StatusCode::OK);
    assert_eq!(
        r.json,
        serde_json::json!([{ "wid": wid, "origins": ["https://shop.example"] }])
    );
}

#[tokio::test]
async fn data_survives_reopening_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let wid;
    {
        let h = Harness::at(tmp.path(), |_| {}).await;
        wid = h.site(&[]).await;
        let mut m = meta(0, 2_000, vec![tag("plan", Some("pro"))]);
        m.identity = Some("ann@x".into());
        m.pages = vec![page(0, 1_200, "https://shop.example/")];
        h.post_env(&envelope(wid, "s", 1, EnvBody::Meta(m)))
            .await
            .assert(StatusCode::OK);
        h.post_env(&envelope(
            wid,
            "s",
            1,
            EnvBody::Events(batch(0, 1_100, 1_900)),
        ))
        .await
        .assert(StatusCode::OK);
    } // store and connections dropped here

    let h = Harness::at(tmp.path(), |_| {}).await;
    let s = h.api("/api/sessions/s").await;
    s.assert(StatusCode::OK);
    assert_eq!(s.json["identity"], "ann@x");
    assert_eq!(s.json["tags"]["plan"], "pro");
    assert_eq!(s.json["page_count"], 1);
    assert_eq!(s.json["last_activity_ms"], 2_000);
    // Re-delivery after the restart is still a no-op.
    h.post_env(&envelope(
        wid,
        "s",
        1,
        EnvBody::Events(batch(0, 1_100, 1_900)),
    ))
    .await
    .assert(StatusCode::OK);
    let n: i64 = rusqlite::Connection::open(tmp.path().join("insp.sqlite"))
        .unwrap()
        .query_row("SELECT count(*) FROM batches", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
    // New sites continue the sequence.
    assert_eq!(h.store.create_site(vec![]).await.unwrap().wid, wid + 1);
}
