//! The dashboard's JSON API, behind `Authorization: Bearer KEY`.

use crate::error::{Error, Result};
use crate::limits::{API_PAGE_DEFAULT, API_PAGE_MAX, API_TAG_FILTERS_MAX};
use crate::store::{SessionDetail, SessionQuery, SessionSummary, Site, TagFilter};
use crate::AppState;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/sites", get(list_sites))
        .route("/sites/{wid}/sessions", get(list_sessions))
        .route("/sessions/{id}", get(get_session))
        .merge(super::replay::router())
        .merge(super::settings::api_router())
        .route_layer(middleware::from_fn_with_state(state, require_key))
}

async fn require_key(State(state): State<AppState>, req: Request, next: Next) -> Result<Response> {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match given {
        Some(key) if constant_time_eq(key.as_bytes(), state.settings.api_key.as_bytes()) => {
            Ok(next.run(req).await)
        }
        _ => Err(Error::Unauthorized),
    }
}

/// Comparison time does not depend on where the first difference is.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn list_sites(State(state): State<AppState>) -> Result<Json<Vec<Site>>> {
    Ok(Json(state.store.sites().await?))
}

/// `?tag=KEY&tag=KEY=VALUE&limit=N&offset=N`: filters are ANDed; `KEY=VALUE` splits at the
/// first `=` and matches the value exactly.
async fn list_sessions(
    State(state): State<AppState>,
    wid: Result<Path<u64>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<SessionSummary>>> {
    let Path(wid) = wid?;
    let mut q = SessionQuery {
        limit: API_PAGE_DEFAULT,
        ..Default::default()
    };
    for (k, v) in form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes()) {
        match &*k {
            "tag" => {
                let (key, value) = match v.split_once('=') {
                    Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                    None => (v.into_owned(), None),
                };
                if key.is_empty() {
                    return Err(Error::bad_request("tag filter needs a key"));
                }
                q.tags.push(TagFilter { key, value });
            }
            "limit" => {
                q.limit = v
                    .parse()
                    .map_err(|_| Error::bad_request("limit must be a number"))?;
                q.limit = q.limit.min(API_PAGE_MAX);
            }
            "offset" => {
                q.offset = v
                    .parse()
                    .map_err(|_| Error::bad_request("offset must be a number"))?
            }
            _ => {}
        }
    }
    if q.tags.len() > API_TAG_FILTERS_MAX {
        return Err(Error::bad_request(format!(
            "at most {API_TAG_FILTERS_MAX} tag filters"
        )));
    }
    if state.store.site(wid).await?.is_none() {
        return Err(Error::NotFound("unknown site".into()));
    }
    Ok(Json(state.store.sessions(wid, q).await?))
}

async fn get_session(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SessionDetail>> {
    state
        .store
        .session(&id)
        .await?
        .map(Json)
        .ok_or_else(|| Error::NotFound("unknown session".into()))
}
