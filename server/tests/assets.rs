//! Embedded agent files and dashboard, the examples directory, and the JSON 404.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;
use insp_server::assets::{self, Source};

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn every_embedded_file_is_served_with_its_headers() {
    let h = Harness::new().await;
    if assets::all().is_empty() {
        eprintln!("note: dist/ and www/ are empty; only the 404 path is exercised");
    }
    for a in assets::all() {
        let url = format!("/{}", a.path);
        let r = h.send(get(&url)).await;
        r.assert(StatusCode::OK);
        assert_eq!(r.bytes, a.bytes, "{url}");
        assert_eq!(
            r.headers[header::CONTENT_TYPE],
            assets::content_type(a.path)
        );
        match a.source {
            Source::Dist => {
                assert_eq!(r.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*", "{url}");
                assert_eq!(
                    r.headers[header::CACHE_CONTROL],
                    "public, max-age=3600",
                    "{url}"
                );
            }
            Source::Www => assert!(r.headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none()),
        }
        // Revalidation.
        let etag = r.headers[header::ETAG].clone();
        let r = h
            .send(
                Request::get(&url)
                    .header(header::IF_NONE_MATCH, etag)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    }
}

#[tokio::test]
async fn agent_files_have_their_contract() {
    let h = Harness::new().await;
    let Some(js) = assets::find("/inspectlet.js") else {
        eprintln!("note: dist/ not built; skipping");
        return;
    };
    // Any query string (the snippet adds a cache buster).
    let r = h.send(get("/inspectlet.js?v=3&wid=1")).await;
    r.assert(StatusCode::OK);
    assert_eq!(r.bytes, js.bytes);
    assert_eq!(
        r.headers[header::CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(r.headers[header::CACHE_CONTROL], "public, max-age=3600");

    let r = h.send(get("/insp.wasm")).await;
    r.assert(StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/wasm");
    assert_eq!(r.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    for name in ["/insp.mjs", "/insp.d.ts"] {
        h.send(get(name)).await.assert(StatusCode::OK);
    }

    // Compressed per Accept-Encoding.
    for enc in ["gzip", "br"] {
        let req = Request::get("/inspectlet.js")
            .header(header::ACCEPT_ENCODING, enc)
            .body(Body::empty())
            .unwrap();
        let r = h.send(req).await;
        r.assert(StatusCode::OK);
        assert_eq!(r.headers[header::CONTENT_ENCODING], enc);
        assert!(r.bytes.len() < js.bytes.len());
    }
}

#[tokio::test]
async fn dashboard_index_at_root() {
    let h = Harness::new().await;
    let Some(index) = assets::find("/index.html") else {
        eprintln!("note: www/index.html absent; skipping");
        return;
    };
    let r = h.send(get("/")).await;
    r.assert(StatusCode::OK);
    assert_eq!(r.bytes, index.bytes);
    assert_eq!(r.headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
}

#[tokio::test]
async fn examples_dir_is_served_when_configured() {
    let examples = tempfile::tempdir().unwrap();
    std::fs::write(examples.path().join("index.html"), "<p>demo</p>").unwrap();
    let dir = examples.path().to_owned();
    let h = Harness::with(move |s| s.examples_dir = Some(dir)).await;
    let r = h.send(get("/examples/index.html")).await;
    r.assert(StatusCode::OK);
    assert_eq!(r.bytes, b"<p>demo</p>");
    h.send(get("/examples/")).await.assert(StatusCode::OK);

    // Not configured: nothing there.
    let h = Harness::new().await;
    h.send(get("/examples/index.html"))
        .await
        .assert(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unknown_paths_are_json_404() {
    let h = Harness::new().await;
    for path in ["/nope", "/api/nope", "/../Cargo.toml", "/i/v2"] {
        let r = h.send(get(path)).await;
        r.assert(StatusCode::NOT_FOUND);
    }
    let r = h.send(get("/i/v1?wid=1")).await;
    r.assert(StatusCode::METHOD_NOT_ALLOWED);
}
