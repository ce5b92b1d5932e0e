//! The one error type: every refusal and failure becomes `{"error": "<reason>"}` with its status.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

#[derive(Debug)]
pub enum Error {
    /// 400: malformed request or body.
    BadRequest(String),
    /// 401: API call without the right key.
    Unauthorized,
    /// 403: unknown site or origin not allowed.
    Forbidden(String),
    /// 404
    NotFound(String),
    /// 405
    MethodNotAllowed,
    /// 408: the body did not arrive in time.
    Timeout,
    /// 413: body too large, as sent or once decompressed.
    TooLarge(String),
    /// 429: client over its rate limit.
    RateLimited { retry_after_s: u64 },
    /// 500: storage or other internal failure; the detail is logged, not sent.
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn bad_request(reason: impl Into<String>) -> Self {
        Error::BadRequest(reason.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Unauthorized => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Error::Timeout => StatusCode::REQUEST_TIMEOUT,
            Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn reason(&self) -> String {
        match self {
            Error::BadRequest(r)
            | Error::Forbidden(r)
            | Error::NotFound(r)
            | Error::TooLarge(r) => r.clone(),
            Error::Unauthorized => "missing or wrong API key".into(),
            Error::MethodNotAllowed => "method not allowed".into(),
            Error::Timeout => "request body not received in time".into(),
            Error::RateLimited { .. } => "rate limit exceeded".into(),
            Error::Internal(_) => "internal error".into(),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Internal(detail) => write!(f, "internal error: {detail}"),
            other => write!(f, "{}: {}", other.status().as_u16(), other.reason()),
        }
    }
}

impl std::error::Error for Error {}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if let Error::Internal(detail) = &self {
            eprintln!("insp: internal error: {detail}");
        }
        let mut res = (
            self.status(),
            Json(serde_json::json!({ "error": self.reason() })),
        )
            .into_response();
        match self {
            Error::RateLimited { retry_after_s } => {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
            }
            Error::Unauthorized => {
                res.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        res
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Internal(format!("sqlite: {e}"))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Internal(format!("io: {e}"))
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(e: tokio::task::JoinError) -> Self {
        Error::Internal(format!("blocking task: {e}"))
    }
}

impl From<axum::extract::rejection::PathRejection> for Error {
    fn from(e: axum::extract::rejection::PathRejection) -> Self {
        Error::BadRequest(e.body_text())
    }
}
