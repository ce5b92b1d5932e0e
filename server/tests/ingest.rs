//! Ingest: the success path and every refusal (each stores nothing and leaves the collector healthy).

mod common;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use common::*;
use insp_agent::event::{Body as EnvBody, SCHEMA_VERSION};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

async fn session_count(h: &Harness, wid: u64) -> usize {
    let r = h.api(&format!("/api/sites/{wid}/sessions")).await;
    r.assert(StatusCode::OK);
    r.json.as_array().unwrap().len()
}

/// The collector still takes a good envelope after a refusal.
async fn still_healthy(h: &Harness, wid: u64) {
    let env = envelope(wid, "healthy", 1, EnvBody::Meta(meta(0, 2_000, vec![])));
    h.post_env(&env).await.assert(StatusCode::OK);
}

#[tokio::test]
async fn accepts_gzip_and_plain_envelopes() {
    let h = Harness::new().await;
    let wid = h.site(&[]).await;
    let env = envelope(
        wid,
        "s1",
        7,
        EnvBody::Meta(meta(0, 2_000, vec![tag("plan", Some("pro"))])),
    );
    let r = h.post_env(&env).await;
    r.assert(StatusCode::OK);
    assert_eq!(r.json, serde_json::json!({ "ok": true }));

    // Uncompressed (no enc) with any content type.
    let env = envelope(wid, "s1", 7, EnvBody::Events(batch(0, 1_500, 3_000)));
    let req = Request::post(format!("/i/v1?wid={wid}"))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(insp_agent::codec::encode(&env)))
        .unwrap();
    h.send(req).await.assert(StatusCode::OK);

    let s = h.api("/api/sessions/s1").await;
    s.assert(StatusCode::OK);
    assert_eq!(s.json["start_ms"], 1_000);
    assert_eq!(s.json["last_activity_ms"], 3_000);
    assert_eq!(s.json["tags"]["plan"], "pro");
}

#[tokio::test]
async fn unknown_wid_is_403() {
    let h = Harness::new().await;
    let wid = h.site(&[]).await;
    let env = envelope(99, "s1", 1, EnvBody::Meta(meta(0, 2_000, vec![])));
    h.post_env(&env).await.assert(StatusCode::FORBIDDEN);
    assert_eq!(session_count(&h, wid).await, 0);
    still_healthy(&h, wid).await;
}

#[tokio::test]
async fn origin_not_allowed_is_403_and_allowed_origin_is_reflected() {
    let h = Harness::new().await;
    let wid = h.site(&["https://shop.example"]).await;
    let env = envelope(wid, "s1", 1, EnvBody::Meta(meta(0, 2_000, vec![])));
    let body = gzip(&insp_agent::codec::encode(&env));
    let uri = format!("/i/v1?wid={wid}&enc=gzip");

    let r = h
        .post(&uri, body.clone(), Some("https://evil.example"))
        .await;
    r.assert(StatusCode::FORBIDDEN);
    // The refusal is readable by the page (it carries no data), so the agent sees a 4xx and
    // stops instead of retrying what looks like a network failure.
    assert_eq!(r.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "https://evil.example");
    // A site with an allow-list needs an Origin.
    h.post(&uri, body.clone(), None)
        .await
        .assert(StatusCode::FORBIDDEN);
    assert_eq!(session_count(&h, wid).await, 0);

    // Case and trailing slash do not matter; the request's Origin is reflected.
    let r = h.post(&uri, body, Some("https://Shop.example")).await;
    r.assert(StatusCode::OK);
    assert_eq!(
        r.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://Shop.example"
    );
    assert_eq!(session_count(&h, wid).await, 1);
}

#[tokio::test]
async fn preflight_is_answered() {
    let h = Harness::new().await;
    let req = Request::options("/i/v1?wid=1")
        .header(header::ORIGIN, "https://shop.example")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
        .body(Body::empty())
        .unwrap();
    let r = h.send(req).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        r.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://shop.example"
    );
    assert!(r.headers[header::ACCESS_CONTROL_ALLOW_METHODS]
        .to_str()
        .unwrap()
        .contains("POST"));
}

#[tokio::test]
async fn malformed_bodies_are_400() {
    let h = Harness::new().await;
    let wid = h.site(&[]).await;
    let good = insp_agent::codec::encode(&envelope(
        wid,
        "s1",
        1,
        EnvBody::Meta(meta(0, 2_000, vec![])),
    ));
    let gz = format!("/i/v1?wid={wid}&enc=gzip");
    let plain = format!("/i/v1?wid={wid}");

    // Not gzip at all; gzip cut short.
    h.post(&gz, good.clone(), None)
        .await
        .assert(StatusCode::BAD_REQUEST);
    let zipped = gzip(&good);
    h.post(&gz, zipped[..zipped.len() / 2].to_vec(), None)
        .await
        .assert(StatusCode::BAD_REQUEST);
    // Bad postcard: garbage, truncated, trailing bytes.
    h.post(
        &plain,
        b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff".to_vec(),
        None,
    )
    .await
    .assert(StatusCode::BAD_REQUEST);
    h.post(&plain, good[..good.len() - 3].to_vec(), None)
        .await
        .assert(StatusCode::BAD_REQUEST);
    let mut trailing = good.clone();
    trailing.push(0);
    h.post(&plain, trailing, None)
        .await
        .assert(StatusCode::BAD_REQUEST);
    h.post(&gz, gzip(b"hello"), None)
        .await
        .assert(StatusCode::BAD_REQUEST);
    // Wrong schema version.
    let mut env = envelope(wid, "s1", 1, EnvBody::Meta(meta(0, 2_000, vec![])));
    env.v = SCHEMA_VERSION + 1;
    let r = h.post_env(&env).await;
    r.assert(StatusCode::BAD_REQUEST);
    assert!(r.json["error"].as_str().unwrap().contains("schema version"));
    // Query: missing / bad wid, unknown enc.
    h.post("/i/v1", good.clone(), None)
        .await
        .assert(StatusCode::BAD_REQUEST);
    h.post("/i/v1?wid=abc", good.clone(), None)
        .await
        .assert(StatusCode::BAD_REQUEST);
    h.post(&format!("/i/v1?wid={wid}&enc=br"), good.clone(), None)
        .await
        .assert(StatusCode::BAD_REQUEST);
    // Empty ids.
    let mut env = envelope(wid, "", 1, EnvBody::Meta(meta(0, 2_000, vec![])));
    h.post_env(&env).await.assert(StatusCode::BAD_REQUEST);
    env.sid = "x".repeat(1000);
    h.post_env(&env).await.assert(StatusCode::BAD_REQUEST);
    // More tags in one delta than the agent ever keeps.
    let tags = (0..=insp_agent::config::TAGS_PER_SESSION_MAX)
        .map(|i| tag(&format!("k{i}"), None))
        .collect();
    h.post_env(&envelope(wid, "s1", 1, EnvBody::Meta(meta(0, 2_000, tags))))
        .await
        .assert(StatusCode::BAD_REQUEST);

    assert_eq!(session_count(&h, wid).await, 0);
    still_healthy(&h, wid).await;
}

#[tokio::test]
async fn wid_mismatch_is_400() {
    let h = Harness::new().await;
    let a = h.site(&[]).await;
    let b = h.site(&[]).await;
    let env = envelope(a, "s1", 1, EnvBody::Meta(meta(0, 2_000, vec![])));
    let r = h
        .post(
            &format!("/i/v1?wid={b}&enc=gzip"),
            gzip(&insp_agent::codec::encode(&env)),
            None,
        )
        .await;
    r.assert(StatusCode::BAD_REQUEST);
    assert!(r.json["error"].as_str().unwrap().contains("wid"));
    assert_eq!(session_count(&h, a).await + session_count(&h, b).await, 0);
}

#[tokio::test]
async fn same_sid_under_another_site_is_400() {
    let h = Harness::new().await;
    let a = h.site(&[]).await;
    let b = h.site(&[]).await;
    h.post_env(&envelope(
        a,
        "shared",
        1,
        EnvBody::Meta(meta(0, 2_000, vec![])),
    ))
    .await
    .assert(StatusCode::OK);
    let r = h
        .post_env(&envelope(
            b,
            "shared",
            1,
            EnvBody::Events(batch(0, 2_000, 2_100)),
        ))
        .await;
    r.assert(StatusCode::BAD_REQUEST);
    assert_eq!(session_count(&h, b).await, 0);
    let s = h.api("/api/sessions/shared").await;
    assert_eq!(s.json["wid"], a);
}

#[tokio::test]
async fn oversize_body_is_413_with_or_without_content_length() {
    let h = Harness::new().await;
    let wid = h.site(&[]).await;
    let uri = format!("/i/v1?wid={wid}");
    let big = vec![7u8; 2 * 1024 * 1024];

    // Announced size: refused before reading.
    let req = Request::post(&uri)
        .header(header::CONTENT_LENGTH, big.len())
        .body(Body::from(big.clone()))
        .unwrap();
    h.send(req).await.assert(StatusCode::PAYLOAD_TOO_LARGE);

    // No Content-Length (streamed): refused once the cap is passed.
    let chunks = big
        .chunks(64 * 1024)
        .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
        .collect::<Vec<_>>();
    let req = Request::post(&uri)
        .body(Body::from_stream(futures_util::stream::iter(chunks)))
        .unwrap();
    h.send(req).await.assert(StatusCode::PAYLOAD_TOO_LARGE);

    assert_eq!(session_count(&h, wid).await, 0);
    still_healthy(&h, wid).await;
}

/// A valid gzip stream of `zero_bytes` zeros, built from one repeated full-flush deflate
/// segment so the test never compresses (or holds) the whole input.
fn gzip_bomb(zero_bytes: u64) -> Vec<Vec<u8>> {
    use flate2::{Compress, Compression, Crc, FlushCompress};
    const CHUNK: usize = 16 << 20;
    assert_eq!(zero_bytes % CHUNK as u64, 0);
    let zeros = vec![0u8; CHUNK];
    let mut c = Compress::new(Compression::best(), false);
    let mut segment = |input: &[u8], flush| {
        let mut out = Vec::with_capacity(CHUNK / 256);
        c.compress_vec(input, &mut out, flush).unwrap();
        out
    };
    // After a full flush the compressor's state is reset, so every later chunk encodes alike.
    let first = segment(&zeros, FlushCompress::Full);
    let repeat = segment(&zeros, FlushCompress::Full);
    let end = segment(&[], FlushCompress::Finish);

    let mut chunk_crc = Crc::new();
    chunk_crc.update(&zeros);
    let mut crc = Crc::new();
    let mut parts = vec![vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff], first];
    crc.combine(&chunk_crc);
    for _ in 1..zero_bytes / CHUNK as u64 {
        parts.push(repeat.clone());
        crc.combine(&chunk_crc);
    }
    parts.push(end);
    let mut trailer = crc.sum().to_le_bytes().to_vec();
    trailer.extend_from_slice(&(zero_bytes as u32).to_le_bytes());
    parts.push(trailer);
    parts
}

#[test]
fn gzip_bomb_generator_is_valid_gzip() {
    use std::io::Read;
    let bomb: Vec<u8> = gzip_bomb(32 << 20).concat();
    let mut n = 0u64;
    let mut dec = flate2::read::GzDecoder::new(bomb.as_slice());
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let k = dec.read(&mut buf).unwrap();
        if k == 0 {
            break;
        }
        assert!(buf[..k].iter().all(|&b| b == 0));
        n += k as u64;
    }
    assert_eq!(n, 32 << 20);
}

#[tokio::test]
async fn gzip_bomb_is_413_quickly() {
    let h = Harness::new().await;
    let wid = h.site(&[]).await;
    let parts = gzip_bomb(1 << 30);
    let size: usize = parts.iter().map(Vec::len).sum();
    // Small enough to pass the upload cap: the refusal must come from the inflate cap.
    assert!(
        size < insp_server::limits::MAX_BODY_BYTES,
        "bomb is {size} bytes"
    );

    let started = Instant::now();
    let stream = futures_util::stream::iter(parts.into_iter().map(Ok::<_, std::io::Error>));
    let req = Request::post(format!("/i/v1?wid={wid}&enc=gzip"))
        .body(Body::from_stream(stream))
        .unwrap();
    let r = h.send(req).await;
    r.assert(StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.json["error"].as_str().unwrap().contains("decompressed"));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );

    // A small body may not inflate past the ratio cap either, though under the size cap.
    let small = gzip_bomb(16 << 20).concat();
    assert!(small.len() * insp_server::limits::MAX_INFLATE_RATIO < 16 << 20);
    h.post(&format!("/i/v1?wid={wid}&enc=gzip"), small, None)
        .await
        .assert(StatusCode::PAYLOAD_TOO_LARGE);

    assert_eq!(session_count(&h, wid).await, 0);
    still_healthy(&h, wid).await;
}

#[tokio::test]
async fn rate_limit_is_429_with_retry_after_per_client() {
    let h = Harness::with(|s| {
        s.limits.rate_limit_burst = 3.0;
        s.limits.rate_limit_per_s = 0.5;
    })
    .await;
    let wid = h.site(&[]).await;
    let env = envelope(wid, "s1", 1, EnvBody::Meta(meta(0, 2_000, vec![])));
    let body = gzip(&insp_agent::codec::encode(&env));
    let from = |ip: &str| {
        let mut req = Request::post(format!("/i/v1?wid={wid}&enc=gzip"))
            .header(header::ORIGIN, "https://shop.example")
            .body(Body::from(body.clone()))
            .unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(ip.parse().unwrap(), 40000)));
        req
    };
    for _ in 0..3 {
        h.send(from("192.0.2.1")).await.assert(StatusCode::OK);
    }
    let r = h.send(from("192.0.2.1")).await;
    r.assert(StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    // Readable by the page, so the agent can back off.
    assert_eq!(
        r.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://shop.example"
    );
    // Another client has its own bucket.
    h.send(from("192.0.2.2")).await.assert(StatusCode::OK);
}

#[tokio::test]
async fn stalled_upload_is_408() {
    let h = Harness::with(|s| s.limits.body_read_timeout = Duration::from_millis(200)).await;
    let wid = h.site(&[]).await;
    // Sends a few bytes, then nothing, forever.
    let stream = futures_util::StreamExt::chain(
        futures_util::stream::iter([Ok::<_, std::io::Error>(vec![0x1f, 0x8b])]),
        futures_util::stream::pending(),
    );
    let started = Instant::now();
    let req = Request::post(format!("/i/v1?wid={wid}&enc=gzip"))
        .body(Body::from_stream(stream))
        .unwrap();
    h.send(req).await.assert(StatusCode::REQUEST_TIMEOUT);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(session_count(&h, wid).await, 0);
    still_healthy(&h, wid).await;
}
