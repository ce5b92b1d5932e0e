//! Replay endpoints, under `/api` (bearer key):
//!
//! * `GET /sessions/{id}/events`: every stored event, decoded, with absolute times, per page
//!   load, and the gaps (missing batches).
//! * `GET /sessions/{id}/rrweb`: the recording in rrweb's event format (a JSON array for
//!   rrweb's `Replayer`; see `insp_agent::rrweb`).
//! * `GET /sessions/{id}/html?at=MS`: the page as the Rust engine rebuilds it `MS` after the
//!   session start, as HTML under a CSP that lets no script run.
//!
//! Batches are decoded with the agent's own codec (`insp_agent::codec::decode`) and played
//! with `insp_agent::replay::Timeline`; all of it runs on a blocking thread.

use crate::error::{Error, Result};
use crate::store::{Store, StoredBatch};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use insp_agent::event::Body;
use insp_agent::replay::Timeline;
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

/// The policy of `/html`: markup and styles only, never a script.
pub const HTML_CSP: &str = "default-src 'none'; style-src 'unsafe-inline' *; img-src * data:";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sessions/{id}/events", get(events))
        .route("/sessions/{id}/rrweb", get(rrweb))
        .route("/sessions/{id}/html", get(html))
}

/// A session's timeline: its stored batches decoded (a batch that fails to decode is left
/// out, which shows as a gap), offsets from the session start the store knows.
/// `None` for an unknown session.
pub async fn load_timeline(store: &dyn Store, sid: &str) -> Result<Option<Timeline>> {
    let Some(session) = store.session(sid).await? else {
        return Ok(None);
    };
    let batches = store.batches(sid).await?;
    let start_ms = session.session.start_ms;
    Ok(Some(
        tokio::task::spawn_blocking(move || build_timeline(batches, start_ms)).await?,
    ))
}

fn build_timeline(batches: Vec<StoredBatch>, start_ms: u64) -> Timeline {
    let decoded = batches.into_iter().filter_map(|b| {
        let env = insp_agent::codec::decode(&b.data).ok()?;
        match env.body {
            Body::Events(batch) => Some((b.pid, batch)),
            Body::Meta(_) => None,
        }
    });
    let tl = Timeline::new(decoded);
    let start = if tl.page_loads().is_empty() {
        start_ms
    } else {
        start_ms.min(tl.start_ms())
    };
    tl.with_start_ms(start)
}

/// Decoded timelines kept for the next request (the dashboard asks for many offsets of one
/// session in a row): at most this many sessions ...
const CACHE_SESSIONS: usize = 4;
/// ... of at most this many stored bytes in all.
const CACHE_MAX_BYTES: u64 = 256 * 1024 * 1024;

struct CacheEntry {
    /// Identity of the store (tests run several in one process).
    store: usize,
    sid: String,
    /// `Store::batch_stamp` and the session start when it was built.
    stamp: (u64, u64),
    start_ms: u64,
    tl: Arc<Timeline>,
}

/// Least recently used first.
static CACHE: Mutex<Vec<CacheEntry>> = Mutex::new(Vec::new());

/// [`load_timeline`] through a small cache, invalidated by any new batch (batches are
/// insert-only) or a new session start.
async fn cached_timeline(state: &AppState, sid: &str) -> Result<Arc<Timeline>> {
    let store = state.store.as_ref();
    let session = store
        .session(sid)
        .await?
        .ok_or_else(|| Error::NotFound("unknown session".into()))?;
    let start_ms = session.session.start_ms;
    let stamp = store.batch_stamp(sid).await?;
    let key = Arc::as_ptr(&state.store) as *const () as usize;
    {
        let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = cache.iter().position(|e| {
            e.store == key && e.sid == sid && e.stamp == stamp && e.start_ms == start_ms
        }) {
            let e = cache.remove(i);
            let tl = e.tl.clone();
            cache.push(e);
            return Ok(tl);
        }
    }
    let batches = store.batches(sid).await?;
    let tl =
        Arc::new(tokio::task::spawn_blocking(move || build_timeline(batches, start_ms)).await?);
    if stamp.1 <= CACHE_MAX_BYTES {
        let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
        cache.retain(|e| !(e.store == key && e.sid == sid));
        cache.push(CacheEntry {
            store: key,
            sid: sid.to_owned(),
            stamp,
            start_ms,
            tl: tl.clone(),
        });
        while cache.len() > CACHE_SESSIONS
            || cache.iter().map(|e| e.stamp.1).sum::<u64>() > CACHE_MAX_BYTES
        {
            cache.remove(0);
        }
    }
    Ok(tl)
}

async fn timeline_or_404(state: &AppState, sid: &str) -> Result<Arc<Timeline>> {
    cached_timeline(state, sid).await
}

#[derive(Serialize)]
struct GapJson {
    pid: u32,
    first_seq: u32,
    last_seq: u32,
    from_ms: Option<u64>,
    to_ms: u64,
}

/// The events endpoint's document (also used by `insp replay --events`).
pub fn events_json(sid: &str, tl: &Timeline) -> Value {
    let start = tl.start_ms();
    let loads: Vec<Value> = tl
        .page_loads()
        .iter()
        .map(|l| {
            let events: Vec<Value> = l
                .events
                .iter()
                .map(|e| {
                    json!({
                        "t_ms": e.t_ms,
                        "offset_ms": e.t_ms.saturating_sub(start),
                        "seq": e.seq,
                        "data": serde_json::to_value(&e.data).unwrap_or(Value::Null),
                    })
                })
                .collect();
            json!({
                "pid": l.pid,
                "start_ms": l.start_ms,
                "end_ms": l.end_ms,
                "shown_ms": l.shown_ms,
                "seqs": l.seqs,
                "events": events,
            })
        })
        .collect();
    let gaps: Vec<GapJson> = tl
        .gaps()
        .iter()
        .map(|g| GapJson {
            pid: g.pid,
            first_seq: g.first_seq,
            last_seq: g.last_seq,
            from_ms: g.from_ms,
            to_ms: g.to_ms,
        })
        .collect();
    json!({
        "id": sid,
        "start_ms": start,
        "end_ms": tl.end_ms(),
        "duration_ms": tl.duration_ms(),
        "gaps": gaps,
        "page_loads": loads,
    })
}

fn json_response(body: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

async fn events(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response> {
    let tl = timeline_or_404(&state, &id).await?;
    let body = tokio::task::spawn_blocking(move || events_json(&id, &tl).to_string()).await?;
    Ok(json_response(body))
}

async fn rrweb(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response> {
    let tl = timeline_or_404(&state, &id).await?;
    let body = tokio::task::spawn_blocking(move || insp_agent::rrweb::export_json(&tl)).await?;
    Ok(json_response(body))
}

async fn html(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let mut at = None;
    for (k, v) in form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes()) {
        if k == "at" {
            at = Some(
                v.parse::<u64>()
                    .map_err(|_| Error::bad_request("at must be a number of ms"))?,
            );
        }
    }
    let at =
        at.ok_or_else(|| Error::bad_request("missing at parameter (ms from session start)"))?;
    let tl = timeline_or_404(&state, &id).await?;
    let frame = tokio::task::spawn_blocking(move || {
        tl.frame_at(at)
            .map(|f| (f.html(), f.pid, f.stale, f.t_ms, f.pointer, f.clicks))
    })
    .await?;
    let Some((html, pid, stale, t_ms, pointer, clicks)) = frame else {
        return Err(Error::NotFound(
            "nothing recorded to show at this time".into(),
        ));
    };
    let mut res = html.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(HTML_CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-insp-pid", HeaderValue::from(pid));
    h.insert(
        "x-insp-stale",
        HeaderValue::from_static(if stale { "true" } else { "false" }),
    );
    h.insert("x-insp-event-ms", HeaderValue::from(t_ms));
    // The pointer and recent clicks, for the viewer to draw over the document (viewport px).
    if let Some((x, y)) = pointer {
        if let Ok(v) = HeaderValue::from_str(&format!("{x},{y}")) {
            h.insert("x-insp-pointer", v);
        }
    }
    if !clicks.is_empty() {
        let list: Vec<String> = clicks
            .iter()
            .map(|(x, y, age)| format!("{x},{y},{age}"))
            .collect();
        if let Ok(v) = HeaderValue::from_str(&list.join(";")) {
            h.insert("x-insp-clicks", v);
        }
    }
    Ok(res)
}
