//! insp collector: ingest from the wasm agent, storage, the JSON API and the embedded
//! dashboard and agent files.
//!
//! `main.rs` only parses the command line; [`app`] builds the whole HTTP surface from an
//! [`AppState`], which is what tests drive.

/// Embedded static files (agent build, dashboard).
pub mod assets;
/// Command line: `serve`, `site add|list`, `replay`.
pub mod cli;
/// Runtime settings and the API key file.
pub mod config;
/// The one error type and its JSON responses.
pub mod error;
/// Limits and tunables, with units in their names.
pub mod limits;
/// Per-client token buckets.
pub mod ratelimit;
/// HTTP handlers: ingest, API, static files.
pub mod routes;
/// `insp site add|set` flags for site settings.
pub mod site_cli;
/// Storage trait and the embedded SQLite store.
pub mod store;

use axum::Router;
use std::sync::Arc;
use tokio::sync::Semaphore;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;

pub use config::Settings;
pub use error::{Error, Result};
pub use store::{SqliteStore, Store};

/// Everything handlers share; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub settings: Arc<Settings>,
    pub rate_limiter: Arc<ratelimit::RateLimiter>,
    /// Permits for decompress + decode (see `limits::MAX_CONCURRENT_DECODES`).
    pub decode_permits: Arc<Semaphore>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, settings: Settings) -> Self {
        let l = &settings.limits;
        AppState {
            rate_limiter: Arc::new(ratelimit::RateLimiter::new(
                l.rate_limit_per_s,
                l.rate_limit_burst,
                l.rate_limit_max_clients,
            )),
            decode_permits: Arc::new(Semaphore::new(l.max_concurrent_decodes.max(1))),
            store,
            settings: Arc::new(settings),
        }
    }
}

/// The whole HTTP surface.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new()
        .merge(routes::ingest::router())
        .merge(routes::settings::router())
        .merge(routes::optout::router())
        .nest("/api", routes::api::router(state.clone()));
    if let Some(dir) = &state.settings.examples_dir {
        router = router.nest_service("/examples", ServeDir::new(dir));
    }
    router
        .fallback(routes::assets::serve)
        .method_not_allowed_fallback(|| async { Error::MethodNotAllowed })
        // gzip or brotli per Accept-Encoding; tiny bodies (ingest acks) are left alone.
        .layer(CompressionLayer::new())
        .with_state(state)
}
