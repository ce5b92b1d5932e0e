//! Delivery integrity: the `crc` parameter is checked after decompression (a mismatch stores
//! nothing), and `GET /api/sessions/{id}` reports missing seqs and the agent's gap markers.

mod common;

use axum::http::StatusCode;
use common::*;
use insp_agent::event::{Body as EnvBody, Event, EventBatch, EventData, GapReason};
use insp_agent::transport::crc32;

fn url(wid: u64, crc: u32, gzip: bool) -> String {
    format!(
        "/i/v1?wid={wid}&crc={crc:08x}{}",
        if gzip { "&enc=gzip" } else { "" }
    )
}

#[tokio::test]
async fn a_matching_crc_is_accepted_compressed_or_not() {
    let h = Harness::new().await;
    let wid = h.site(&[]).await;
    let env = envelope(wid, "s1", 1, EnvBody::Events(batch(0, 1_000, 2_000)));
    let raw = insp_agent::codec::encode(&env);
    let crc = crc32(&raw);
    h.post(&url(wid, crc, true), gzip(&raw), None)
        .await
        .assert(StatusCode::OK);
    let env = envelope(wid, "s1", 1, EnvBody::Events(batch(1, 2_000, 3_000)));
    let raw = insp_agent::codec::encode(&env);
    h.post(&url(wid, crc32(&raw), false), raw, None)
        .await
        .assert(StatusCode::OK);
    // Upper case hex and fewer digits parse too.
    let env = envelope(wid, "s1", 1, EnvBody::Events(batch(2, 3_000, 4_000)));
    let raw = insp_agent::codec::encode(&env);
    let c = crc32(&raw);
    h.post(&format!("/i/v1?wid={wid}&crc={c:X}"), raw, None)
        .await
        .assert(StatusCode::OK);
    let s = h.api("/api/sessions/s1").await;
    s.assert(StatusCode::OK);
    assert_eq!(s.json["delivery"][0]["batches"], 3);
}

#[tokio::test]
async fn a_crc_mismatch_is_400_and_stores_nothing() {
    let h = Harness::new().await;
    let wid = h.site(&[]).await;
    let env = envelope(wid, "s1", 1, EnvBody::Events(batch(0, 1_000, 2_000)));
    let raw = insp_agent::codec::encode(&env);
    let crc = crc32(&raw);
    // A corrupted body that still decodes: one byte of a note's text flipped.
    let mut bad = raw.clone();
    let n = bad.len();
    bad[n - 2] ^= 0x01;
    assert!(insp_agent::codec::decode(&bad).is_ok());
    let r = h.post(&url(wid, crc, true), gzip(&bad), None).await;
    r.assert(StatusCode::BAD_REQUEST);
    assert!(
        r.json["error"].as_str().unwrap().contains("checksum"),
        "{:?}",
        r.json
    );
    let r = h.post(&url(wid, crc ^ 1, false), raw.clone(), None).await;
    r.assert(StatusCode::BAD_REQUEST);
    h.api("/api/sessions/s1")
        .await
        .assert(StatusCode::NOT_FOUND);
    for q in ["crc=", "crc=xyz", "crc=123456789"] {
        h.post(&format!("/i/v1?wid={wid}&{q}"), raw.clone(), None)
            .await
            .assert(StatusCode::BAD_REQUEST);
    }
    // The right one still goes in.
    h.post(&url(wid, crc, false), raw, None)
        .await
        .assert(StatusCode::OK);
    h.api("/api/sessions/s1").await.assert(StatusCode::OK);
}

fn with_gap(seq: u32, t0: u64, from: u32, to: u32, reason: GapReason) -> EventBatch {
    let mut b = batch(seq, t0, t0 + 500);
    b.events.push(Event {
        dt_ms: 7,
        data: EventData::Gap {
            from_seq: from,
            to_seq: to,
            dropped_bytes: 12_345,
            reason,
        },
    });
    b
}

#[tokio::test]
async fn the_session_api_reports_missing_seqs_per_page_load_and_gap_markers() {
    let h = Harness::new().await;
    let wid = h.site(&[]).await;
    let h = &h;
    let post = |pid: u32, b: EventBatch| {
        let env = envelope(wid, "s1", pid, EnvBody::Events(b));
        async move { h.post_env(&env).await.assert(StatusCode::OK).status }
    };
    // Page load 1: 0, 1, then 2..=4 dropped by the agent (marker in 5), 6, then 8 (7 missing).
    post(1, batch(0, 1_000, 1_500)).await;
    post(1, batch(1, 2_000, 2_500)).await;
    post(1, with_gap(5, 6_000, 2, 4, GapReason::MemoryBound)).await;
    post(1, batch(6, 7_000, 7_500)).await;
    post(
        1,
        with_gap(8, 9_000, 7, 7, GapReason::Rejected { status: 413 }),
    )
    .await;
    // A duplicate changes nothing (and does not duplicate the marker).
    post(1, with_gap(5, 6_000, 2, 4, GapReason::MemoryBound)).await;
    // Page load 2 starts late: 0 and 1 missing.
    post(2, batch(2, 10_000, 10_500)).await;
    // Page load 3: only meta so far.
    let mut m = meta(0, 11_000, vec![]);
    m.pages.push(page(0, 11_000, "https://shop.example/c"));
    h.post_env(&envelope(wid, "s1", 3, EnvBody::Meta(m)))
        .await
        .assert(StatusCode::OK);

    let s = h.api("/api/sessions/s1").await;
    s.assert(StatusCode::OK);
    let d = &s.json["delivery"];
    assert_eq!(
        d[0],
        serde_json::json!({
            "pid": 1,
            "batches": 5,
            "last_seq": 8,
            "missing": [
                {"first_seq": 2, "last_seq": 4},
                {"first_seq": 7, "last_seq": 7}
            ],
            "gaps": [
                {"seq": 5, "t_ms": 6_007, "from_seq": 2, "to_seq": 4, "dropped_bytes": 12_345,
                 "reason": "memory_bound", "status": null},
                {"seq": 8, "t_ms": 9_007, "from_seq": 7, "to_seq": 7, "dropped_bytes": 12_345,
                 "reason": "rejected", "status": 413}
            ]
        })
    );
    assert_eq!(d[1]["pid"], 2);
    assert_eq!(
        d[1]["missing"],
        serde_json::json!([{"first_seq": 0, "last_seq": 1}])
    );
    assert_eq!(
        d[2],
        serde_json::json!({"pid": 3, "batches": 0, "last_seq": null, "missing": [], "gaps": []})
    );
    assert_eq!(d.as_array().unwrap().len(), 3);

    // Replay still plays across the gap marker (it is not a document change).
    let ev = h.api("/api/sessions/s1/events").await;
    ev.assert(StatusCode::OK);
    let gaps = ev.json["gaps"].as_array().unwrap();
    assert!(gaps
        .iter()
        .any(|g| g["pid"] == 1 && g["first_seq"] == 2 && g["last_seq"] == 4));
}

#[tokio::test]
async fn an_existing_database_gains_the_gap_table() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let h = Harness::at(tmp.path(), |_| {}).await;
        let wid = h.site(&[]).await;
        let env = envelope(wid, "s1", 1, EnvBody::Events(batch(0, 1_000, 1_500)));
        h.post_env(&env).await.assert(StatusCode::OK);
    }
    let h = Harness::at(tmp.path(), |_| {}).await;
    let env = envelope(
        1,
        "s1",
        1,
        EnvBody::Events(with_gap(2, 3_000, 1, 1, GapReason::MemoryBound)),
    );
    h.post_env(&env).await.assert(StatusCode::OK);
    let s = h.api("/api/sessions/s1").await;
    assert_eq!(s.json["delivery"][0]["gaps"][0]["from_seq"], 1);
    assert_eq!(
        s.json["delivery"][0]["missing"],
        serde_json::json!([{"first_seq": 1, "last_seq": 1}])
    );
}
