//! Serves the embedded files; anything else is a JSON 404.

use crate::assets::{self, Source};
use crate::error::Error;
use crate::limits::AGENT_CACHE_MAX_AGE_S;
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// Router fallback: GET/HEAD of an embedded file, or 404.
pub async fn serve(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let asset = match (method, assets::find(uri.path())) {
        (Method::GET | Method::HEAD, Some(a)) => a,
        _ => return Error::NotFound("not found".into()).into_response(),
    };

    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(assets::content_type(asset.path)),
    );
    h.insert(header::ETAG, HeaderValue::from_static(asset.etag));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    match asset.source {
        Source::Dist => {
            let cache = format!("public, max-age={AGENT_CACHE_MAX_AGE_S}");
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_str(&cache).expect("ascii"),
            );
            // Pages on any site load the agent and fetch the wasm cross-origin.
            h.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
            h.insert(
                "cross-origin-resource-policy",
                HeaderValue::from_static("cross-origin"),
            );
        }
        // The dashboard changes with the binary: revalidate (cheap, thanks to the ETag).
        Source::Www => {
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        }
    }

    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == asset.etag || t.trim() == "*")
        });
    if fresh {
        return (StatusCode::NOT_MODIFIED, h).into_response();
    }
    (StatusCode::OK, h, Body::from(asset.bytes)).into_response()
}
