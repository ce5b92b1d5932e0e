//! Site settings: `GET /i/v1/settings?wid=N` for the agent (postcard `SettingsReply`, CORS with
//! credentials, so the collector sees its own opt-out cookie), and `GET|PUT
//! /api/sites/{wid}/settings` for the site owner (JSON, bearer key).

use super::optout;
use crate::error::{Error, Result};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use insp_agent::privacy;
use insp_agent::settings::{SettingsReply, SiteSettings, SETTINGS_ENTRY_MAX_CHARS, SETTINGS_LIST_MAX, SETTINGS_VERSION};
use serde::Deserialize;

/// `/i/v1/settings` (outside the API key).
pub fn router() -> Router<AppState> {
    Router::new().route("/i/v1/settings", get(agent_settings))
}

/// `/sites/{wid}/settings`, nested under `/api` (behind the key).
pub fn api_router() -> Router<AppState> {
    Router::new().route("/sites/{wid}/settings", get(get_settings).put(put_settings))
}

async fn agent_settings(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let origin = headers.get(header::ORIGIN).cloned();
    let result = reply(&state, &headers, query.as_deref()).await;
    let ok = result.is_ok();
    let mut res = match result {
        Ok(body) => {
            let mut r = (StatusCode::OK, body).into_response();
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
            r
        }
        Err(e) => e.into_response(),
    };
    let h = res.headers_mut();
    // The answer depends on the cookie: never cached, never shared.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store, private"));
    h.insert(header::VARY, HeaderValue::from_static("Origin, Cookie, Sec-GPC"));
    if let (true, Some(origin)) = (ok, origin) {
        // Credentials need the exact origin, never `*`.
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
    }
    res
}

async fn reply(state: &AppState, headers: &HeaderMap, query: Option<&str>) -> Result<Vec<u8>> {
    let mut wid = None;
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if k == "wid" {
            wid = Some(v.parse::<u64>().map_err(|_| Error::bad_request("wid must be a number"))?);
        }
    }
    let wid = wid.ok_or_else(|| Error::bad_request("missing wid parameter"))?;
    let site = state.store.site(wid).await?.ok_or_else(|| Error::Forbidden("unknown site".into()))?;
    let origin = headers.get(header::ORIGIN).map(|v| v.to_str().unwrap_or("\u{0}"));
    if !site.allows_origin(origin) {
        return Err(Error::Forbidden("origin not allowed for this site".into()));
    }
    let settings = state.store.site_settings(wid).await?.unwrap_or_default();
    let gpc = headers.get("sec-gpc").and_then(|v| v.to_str().ok()).is_some_and(|v| v.trim() == "1");
    let record = privacy::should_record(!optout::opted_out(headers, wid), &settings, gpc, false);
    Ok(SettingsReply { v: SETTINGS_VERSION, record, settings }.encode())
}

async fn get_settings(
    State(state): State<AppState>,
    wid: Result<Path<u64>, PathRejection>,
) -> Result<Json<SiteSettings>> {
    let Path(wid) = wid?;
    state
        .store
        .site_settings(wid)
        .await?
        .map(Json)
        .ok_or_else(|| Error::NotFound("unknown site".into()))
}

/// Fields given replace the stored ones; absent ones stay.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    pub censor_inputs: Option<bool>,
    pub record_network: Option<bool>,
    pub honor_gpc: Option<bool>,
    pub url_deny_params: Option<Vec<String>>,
    pub blocked_tag_keys: Option<Vec<String>>,
}

impl SettingsPatch {
    /// Checks the lists: at most `SETTINGS_LIST_MAX` entries of at most
    /// `SETTINGS_ENTRY_MAX_CHARS` characters; URL parameter names without `=`, `&`, `#`.
    pub fn validate(&self) -> std::result::Result<(), String> {
        for (what, list) in [("url_deny_params", &self.url_deny_params), ("blocked_tag_keys", &self.blocked_tag_keys)] {
            let Some(list) = list else { continue };
            if list.len() > SETTINGS_LIST_MAX {
                return Err(format!("{what}: at most {SETTINGS_LIST_MAX} entries"));
            }
            for e in list {
                if e.trim().is_empty() || e.chars().count() > SETTINGS_ENTRY_MAX_CHARS {
                    return Err(format!("{what}: entries must be 1..={SETTINGS_ENTRY_MAX_CHARS} characters"));
                }
                if what == "url_deny_params" && e.contains(['=', '&', '#', '?']) {
                    return Err(format!("{what}: {e:?} is not a parameter name"));
                }
            }
        }
        Ok(())
    }

    pub fn apply(self, s: &mut SiteSettings) {
        if let Some(v) = self.censor_inputs {
            s.censor_inputs = v;
        }
        if let Some(v) = self.record_network {
            s.record_network = v;
        }
        if let Some(v) = self.honor_gpc {
            s.honor_gpc = v;
        }
        if let Some(v) = self.url_deny_params {
            s.url_deny_params = v;
        }
        if let Some(v) = self.blocked_tag_keys {
            s.blocked_tag_keys = v;
        }
        s.normalize();
    }
}

async fn put_settings(
    State(state): State<AppState>,
    wid: Result<Path<u64>, PathRejection>,
    body: Bytes,
) -> Result<Json<SiteSettings>> {
    let Path(wid) = wid?;
    let patch: SettingsPatch =
        serde_json::from_slice(&body).map_err(|e| Error::bad_request(format!("settings: {e}")))?;
    patch.validate().map_err(Error::bad_request)?;
    let mut s = state
        .store
        .site_settings(wid)
        .await?
        .ok_or_else(|| Error::NotFound("unknown site".into()))?;
    patch.apply(&mut s);
    state
        .store
        .set_site_settings(wid, s)
        .await?
        .map(Json)
        .ok_or_else(|| Error::NotFound("unknown site".into()))
}
