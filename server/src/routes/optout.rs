//! Visitor opt-out, as Inspectlet offers it: `GET /exclude/{wid}` opts this browser out of
//! recording on one site, `GET /optout` out of every site of this collector. Both set a cookie
//! on the collector's own domain and show a short confirmation page; `?undo=1` removes it.
//!
//! The agent learns about it from its settings request (`GET /i/v1/settings`, sent with
//! credentials): the collector sees its own cookie and answers "do not record". That needs the
//! cookie to travel on a request from the site's page to the collector:
//! * collector and site on the same site (`insp.shop.example` for `shop.example`, or
//!   `127.0.0.1` with other ports in tests): `SameSite=Lax` is enough, and it works in every
//!   browser;
//! * collector on another site: the cookie is a third-party cookie there. Over https it is set
//!   `SameSite=None; Secure` (behind a TLS proxy: `X-Forwarded-Proto: https`), which Chrome
//!   sends unless third-party cookies are blocked; Safari and Firefox (and Chrome with
//!   third-party cookies off) keep or partition it, so the opt-out does not reach the agent
//!   there. For those visitors a site offers its own opt-out: the first-party cookie
//!   `__insp_optout` (any value) on the site's domain, which the agent honours itself.

use crate::error::{Error, Result};
use crate::AppState;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// Cookie for every site of this collector.
pub const OPTOUT_ALL_COOKIE: &str = "__insp_optout";
/// Cookie for one site: `__insp_optout_{wid}`.
pub const OPTOUT_SITE_COOKIE_PREFIX: &str = "__insp_optout_";
/// Five years.
const OPTOUT_MAX_AGE_S: u64 = 5 * 365 * 24 * 60 * 60;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/exclude/{wid}", get(exclude))
        .route("/optout", get(optout_all))
}

/// Whether the request carries an opt-out cookie for site `wid` (or for every site).
pub fn opted_out(headers: &HeaderMap, wid: u64) -> bool {
    let site = format!("{OPTOUT_SITE_COOKIE_PREFIX}{wid}");
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.split_once('='))
        .any(|(k, v)| {
            let k = k.trim();
            !v.trim().is_empty() && (k == OPTOUT_ALL_COOKIE || k == site)
        })
}

/// The request reached us over https (directly or through a proxy that says so).
fn https(headers: &HeaderMap) -> bool {
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').next().unwrap_or("").trim().eq_ignore_ascii_case("https"))
        .unwrap_or(false);
    let forwarded = headers
        .get(header::FORWARDED)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("proto=https"));
    proto || forwarded
}

fn undo(query: Option<&str>) -> bool {
    form_urlencoded::parse(query.unwrap_or("").as_bytes()).any(|(k, v)| k == "undo" && v != "0")
}

async fn exclude(
    State(state): State<AppState>,
    wid: Result<Path<u64>, PathRejection>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let Path(wid) = wid?;
    if state.store.site(wid).await?.is_none() {
        return Err(Error::NotFound("unknown site".into()));
    }
    let name = format!("{OPTOUT_SITE_COOKIE_PREFIX}{wid}");
    let undo = undo(query.as_deref());
    let body = if undo {
        format!("<h1>Recording allowed again</h1><p>This browser may be recorded again on site {wid}.</p>")
    } else {
        format!(
            "<h1>You have opted out</h1><p>Your visits to site {wid} will not be recorded in this browser \
             (a cookie on this domain remembers it; clearing this site's cookies undoes it). \
             <a href=\"?undo=1\">Undo</a></p>"
        )
    };
    Ok(page(&headers, &name, undo, &body))
}

async fn optout_all(headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let undo = undo(query.as_deref());
    let body = if undo {
        "<h1>Recording allowed again</h1><p>This browser may be recorded again on the sites of this collector.</p>"
    } else {
        "<h1>You have opted out</h1><p>Your visits to every site recorded by this collector will not be \
         recorded in this browser (a cookie on this domain remembers it; clearing this site's cookies undoes it). \
         <a href=\"?undo=1\">Undo</a></p>"
    };
    page(&headers, OPTOUT_ALL_COOKIE, undo, body)
}

fn page(headers: &HeaderMap, cookie: &str, undo: bool, body: &str) -> Response {
    let attrs = if https(headers) { "SameSite=None; Secure" } else { "SameSite=Lax" };
    let (value, max_age) = if undo { ("", 0) } else { ("1", OPTOUT_MAX_AGE_S) };
    let set = format!("{cookie}={value}; Path=/; Max-Age={max_age}; HttpOnly; {attrs}");
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width\"><title>Session recording opt-out</title><style>body{{font:16px/1.5 \
         system-ui,sans-serif;max-width:36em;margin:3em auto;padding:0 1em}}</style></head><body>{body}</body></html>"
    );
    let mut res = (StatusCode::OK, html).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
    );
    if let Ok(v) = HeaderValue::from_str(&set) {
        h.insert(header::SET_COOKIE, v);
    }
    res
}
