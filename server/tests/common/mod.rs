//! Shared test harness: an `app(state)` over a SQLite store in a temp dir, envelope builders
//! using the agent crate's own types and codec, and request helpers.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use insp_agent::event::{
    Body as EnvBody, Envelope, Event, EventBatch, EventData, Meta, PageView, Tag, SCHEMA_VERSION,
};
use insp_server::{app, AppState, Settings, SqliteStore, Store};
use std::io::Write;
use std::sync::Arc;
use tower::ServiceExt;

pub const KEY: &str = "test-key";

pub struct Harness {
    /// Removed with the harness unless the test keeps it.
    pub tmp: Option<tempfile::TempDir>,
    pub dir: std::path::PathBuf,
    pub store: Arc<SqliteStore>,
    pub app: Router,
}

impl Harness {
    pub async fn new() -> Self {
        Self::with(|_| {}).await
    }

    /// A harness whose settings `tweak` adjusts (limits, ...).
    pub async fn with(tweak: impl FnOnce(&mut Settings)) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let mut h = Self::at(tmp.path(), tweak).await;
        h.tmp = Some(tmp);
        h
    }

    /// A harness on an existing data directory (which it leaves in place).
    pub async fn at(dir: &std::path::Path, tweak: impl FnOnce(&mut Settings)) -> Self {
        let store = Arc::new(SqliteStore::open(dir).unwrap());
        let mut settings = Settings::new(KEY);
        // Tests send many requests from one (absent) peer; the rate-limit test lowers this.
        settings.limits.rate_limit_burst = 1e9;
        tweak(&mut settings);
        let app = app(AppState::new(store.clone(), settings));
        Harness {
            tmp: None,
            dir: dir.to_owned(),
            store,
            app,
        }
    }

    pub async fn site(&self, origins: &[&str]) -> u64 {
        self.store
            .create_site(origins.iter().map(|s| s.to_string()).collect())
            .await
            .unwrap()
            .wid
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        Reply {
            status,
            headers,
            json,
            bytes: bytes.to_vec(),
        }
    }

    /// POST an envelope, gzip-compressed as the agent sends it.
    pub async fn post_env(&self, env: &Envelope) -> Reply {
        self.post(
            &format!("/i/v1?wid={}&enc=gzip", env.wid),
            gzip(&insp_agent::codec::encode(env)),
            None,
        )
        .await
    }

    pub async fn post(&self, uri: &str, body: Vec<u8>, origin: Option<&str>) -> Reply {
        let mut req = Request::post(uri).header(header::CONTENT_TYPE, "text/plain;charset=UTF-8");
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        self.send(req.body(Body::from(body)).unwrap()).await
    }

    pub async fn api(&self, path: &str) -> Reply {
        let req = Request::get(path).header(header::AUTHORIZATION, format!("Bearer {KEY}"));
        self.send(req.body(Body::empty()).unwrap()).await
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: serde_json::Value,
    pub bytes: Vec<u8>,
}

impl Reply {
    #[track_caller]
    pub fn assert(&self, status: StatusCode) -> &Self {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.bytes)
        );
        if status.is_success()
            && self
                .headers
                .get(header::CONTENT_TYPE)
                .is_some_and(|c| c == "application/json")
        {
            return self;
        }
        if !status.is_success() {
            assert!(
                self.json["error"].is_string(),
                "refusal without JSON reason: {:?}",
                self.bytes
            );
        }
        self
    }
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

pub fn envelope(wid: u64, sid: &str, pid: u32, body: EnvBody) -> Envelope {
    Envelope {
        v: SCHEMA_VERSION,
        wid,
        vid: format!("vid-{sid}"),
        sid: sid.into(),
        pid,
        body,
    }
}

pub fn tag(key: &str, value: Option<&str>) -> Tag {
    Tag {
        key: key.into(),
        value: value.map(Into::into),
    }
}

pub fn meta(mseq: u32, t_ms: u64, tags: Vec<Tag>) -> Meta {
    Meta {
        mseq,
        t_ms,
        session_start_ms: 1_000,
        identity: None,
        tags,
        pages: vec![],
    }
}

pub fn page(idx: u32, t_ms: u64, url: &str) -> PageView {
    PageView {
        idx,
        t_ms,
        url: url.into(),
        title: format!("title {idx}"),
        virtual_: idx > 0,
    }
}

pub fn batch(seq: u32, t0_ms: u64, t1_ms: u64) -> EventBatch {
    EventBatch {
        seq,
        t0_ms,
        t1_ms,
        events: vec![
            Event {
                dt_ms: 0,
                data: EventData::Start {
                    url: "https://shop.example/".into(),
                    referrer: String::new(),
                    width: 1280,
                    height: 720,
                },
            },
            Event {
                dt_ms: 5,
                data: EventData::Note {
                    text: format!("batch {seq}"),
                },
            },
        ],
    }
}
