//! HTTP handlers, one module per surface.

/// `GET /api/...`: sites and sessions for the dashboard (bearer key).
pub mod api;
/// Embedded agent files and dashboard, and the JSON 404 for everything else.
pub mod assets;
/// `POST /i/v1`: what the agent sends.
pub mod ingest;
/// `GET /exclude/{wid}`, `GET /optout`: visitor opt-out pages and cookies.
pub mod optout;
/// `GET /i/v1/settings` (agent) and `GET|PUT /api/sites/{wid}/settings` (owner).
pub mod settings;
/// `GET /api/sessions/{id}/events|rrweb|html`: replay (under the API's bearer key).
pub mod replay;
