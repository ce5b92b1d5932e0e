//! `POST /i/v1?wid=N[&crc=XXXXXXXX][&enc=gzip]`: one envelope from the agent.
//!
//! The body is `insp_agent::codec::encode(&Envelope)`, gzip-compressed when `enc=gzip`. `crc`
//! is the CRC-32 (8 hex digits) of the uncompressed body (`insp_agent::transport::crc32`): a
//! body that does not match it (corrupted on the way or in the tab's storage) is refused with
//! 400 before anything is stored. Requests without `crc` (older agents) are not checked. Any
//! content type is accepted: the agent sends text/plain (no CORS preflight, and sendBeacon
//! cannot set headers). Input is hostile: every check runs before the next, more expensive
//! step, and a refusal stores nothing.

use crate::error::{Error, Result};
use crate::limits::{
    Limits, ID_MAX_BYTES, INFLATE_RATIO_FLOOR_BYTES, META_PAGES_MAX, META_TAGS_MAX,
    PREFLIGHT_MAX_AGE_S,
};
use crate::AppState;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use http_body_util::BodyExt;
use insp_agent::event::{Body as EnvBody, Envelope, SCHEMA_VERSION};
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

pub fn router() -> Router<AppState> {
    Router::new().route("/i/v1", post(ingest).options(preflight))
}

async fn ingest(State(state): State<AppState>, req: Request) -> Response {
    let origin = req.headers().get(header::ORIGIN).cloned();
    // Set once the Origin may read our answer (see `accept`).
    let mut reflect = false;
    let result = accept(&state, req, &mut reflect).await;
    let mut res = match result {
        Ok(()) => Json(serde_json::json!({ "ok": true })).into_response(),
        Err(e) => e.into_response(),
    };
    // A refusal carries no data, so any page may read it: the agent then sees the 4xx and
    // stops retrying instead of taking it for a network failure.
    let readable = reflect || res.status().is_client_error();
    let h = res.headers_mut();
    h.append(header::VARY, HeaderValue::from_static("Origin"));
    if let (true, Some(origin)) = (readable, origin) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("Retry-After"),
        );
    }
    res
}

async fn accept(state: &AppState, req: Request, reflect: &mut bool) -> Result<()> {
    let limits = &state.settings.limits;

    // Cheapest first: the rate limit protects everything after it. A 429 is readable by any
    // page (it carries no data) so the agent can honour Retry-After.
    let ip = client_ip(&req, state.settings.trust_forwarded_for);
    if let Err(retry_after_s) = state.rate_limiter.check(ip) {
        *reflect = true;
        return Err(Error::RateLimited { retry_after_s });
    }

    let params = Params::parse(req.uri().query())?;
    let site = state
        .store
        .site(params.wid)
        .await?
        .ok_or_else(|| Error::Forbidden("unknown site".into()))?;
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .map(|v| v.to_str().unwrap_or("\u{0}"));
    if !site.allows_origin(origin) {
        return Err(Error::Forbidden("origin not allowed for this site".into()));
    }
    *reflect = true;

    // Refuse an announced oversize body before reading any of it.
    if content_length(req.headers()).is_some_and(|n| n > limits.max_body_bytes as u64) {
        return Err(too_large_body(limits));
    }
    let body = tokio::time::timeout(
        limits.body_read_timeout,
        read_capped(req.into_body(), limits),
    )
    .await
    .map_err(|_| Error::Timeout)??;

    // Inflate + decode are CPU work on blocking threads, a few at a time.
    let permit = state
        .decode_permits
        .acquire()
        .await
        .map_err(|_| Error::Internal("decode permits closed".into()))?;
    let decode_limits = limits.clone();
    let (env, raw) =
        tokio::task::spawn_blocking(move || decode(body, params.gzip, params.crc, &decode_limits))
            .await??;
    drop(permit);

    if env.wid != params.wid {
        return Err(Error::bad_request(
            "envelope wid does not match the wid parameter",
        ));
    }
    for (name, id) in [("sid", &env.sid), ("vid", &env.vid)] {
        if id.is_empty() || id.len() > ID_MAX_BYTES {
            return Err(Error::bad_request(format!(
                "{name} must be 1..={ID_MAX_BYTES} bytes"
            )));
        }
    }
    if let EnvBody::Meta(m) = &env.body {
        if m.tags.len() > META_TAGS_MAX || m.pages.len() > META_PAGES_MAX {
            return Err(Error::bad_request(format!(
                "meta carries over {META_TAGS_MAX} tags or {META_PAGES_MAX} pages"
            )));
        }
    }
    // Tag keys the site blocks are dropped, never stored (see routes/settings.rs).
    let mut env = env;
    if let EnvBody::Meta(m) = &mut env.body {
        if !m.tags.is_empty() {
            if let Some(s) = state.store.site_settings(params.wid).await? {
                m.tags.retain(|t| !s.tag_key_blocked(&t.key));
            }
        }
    }
    state.store.ingest(env, raw).await?;
    Ok(())
}

/// Answers the CORS preflight a page sends if it ever posts with a non-simple request. The
/// origin is checked on the POST itself (where the wid's site is known).
async fn preflight(headers: HeaderMap) -> Response {
    let mut h = HeaderMap::new();
    let origin = headers
        .get(header::ORIGIN)
        .cloned()
        .unwrap_or(HeaderValue::from_static("*"));
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, OPTIONS"),
    );
    let allow_headers = headers
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned()
        .unwrap_or(HeaderValue::from_static("content-type"));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, allow_headers);
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from(PREFLIGHT_MAX_AGE_S),
    );
    h.insert(
        header::VARY,
        HeaderValue::from_static("Origin, Access-Control-Request-Headers"),
    );
    (StatusCode::NO_CONTENT, h).into_response()
}

struct Params {
    wid: u64,
    gzip: bool,
    /// CRC-32 of the uncompressed body, when the agent sent one.
    crc: Option<u32>,
}

impl Params {
    fn parse(query: Option<&str>) -> Result<Params> {
        let (mut wid, mut gzip, mut crc) = (None, false, None);
        for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match &*k {
                "wid" => {
                    wid = Some(
                        v.parse::<u64>()
                            .map_err(|_| Error::bad_request("wid must be a number"))?,
                    )
                }
                "enc" => match &*v {
                    "gzip" => gzip = true,
                    "" | "identity" => gzip = false,
                    _ => return Err(Error::bad_request("enc must be gzip or absent")),
                },
                "crc" => {
                    if v.is_empty() || v.len() > 8 || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err(Error::bad_request("crc must be 1 to 8 hex digits"));
                    }
                    crc = u32::from_str_radix(&v, 16).ok();
                }
                // Unknown parameters (cache busters, newer agents) are ignored.
                _ => {}
            }
        }
        let wid = wid.ok_or_else(|| Error::bad_request("missing wid parameter"))?;
        Ok(Params { wid, gzip, crc })
    }
}

/// The peer address, or with `trust_forwarded_for` the last `X-Forwarded-For` entry (the one
/// our proxy appended; earlier entries are client-controlled).
fn client_ip(req: &Request, trust_forwarded_for: bool) -> IpAddr {
    if trust_forwarded_for {
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .last()
            .and_then(|s| s.trim().parse::<IpAddr>().ok());
        if let Some(ip) = forwarded {
            return ip;
        }
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip())
        // Only in-process callers (tests) have no peer; they share one bucket.
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn too_large_body(limits: &Limits) -> Error {
    Error::TooLarge(format!("body over {} bytes", limits.max_body_bytes))
}

/// Reads the body frame by frame, stopping as soon as it passes the limit: a lying or absent
/// Content-Length cannot make us buffer more.
async fn read_capped(mut body: Body, limits: &Limits) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Error::bad_request(format!("reading body: {e}")))?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limits.max_body_bytes {
                return Err(too_large_body(limits));
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf)
}

/// Inflates (streaming, capped by size and ratio, so a gzip bomb stops at the cap with memory
/// bounded by it), checks the checksum and decodes with the agent's own codec. Returns the
/// envelope and its uncompressed bytes.
fn decode(
    body: Vec<u8>,
    gzip: bool,
    crc: Option<u32>,
    limits: &Limits,
) -> Result<(Envelope, Vec<u8>)> {
    let raw = if gzip {
        let cap = limits.max_decoded_bytes.min(
            body.len()
                .saturating_mul(limits.max_inflate_ratio)
                .max(INFLATE_RATIO_FLOOR_BYTES),
        );
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(body.as_slice())
            .take(cap as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|_| Error::bad_request("malformed gzip body"))?;
        if out.len() > cap {
            return Err(Error::TooLarge(format!(
                "body over {cap} bytes once decompressed"
            )));
        }
        out
    } else {
        body
    };
    if let Some(expected) = crc {
        // flate2's CRC-32 (crc32fast): an implementation independent of the agent's.
        let mut c = flate2::Crc::new();
        c.update(&raw);
        if c.sum() != expected {
            return Err(Error::bad_request(format!(
                "checksum mismatch: body has crc {:08x}, the crc parameter says {expected:08x}",
                c.sum()
            )));
        }
    }
    let env =
        insp_agent::codec::decode(&raw).map_err(|_| Error::bad_request("malformed envelope"))?;
    if env.v != SCHEMA_VERSION {
        return Err(Error::bad_request(format!(
            "unsupported schema version {} (this collector speaks {SCHEMA_VERSION})",
            env.v
        )));
    }
    Ok((env, raw))
}
