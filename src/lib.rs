//! insp recorder agent.
//!
//! The pure core (everything but `browser`) has no wasm-bindgen, web-sys or js-sys in it and is
//! tested natively; `browser` is the only code that touches JavaScript or the DOM.
extern crate alloc;

/// Tunables, with units in their names.
pub mod config;
/// The one wire schema shared with the collector and the viewer.
pub mod event;
/// Binary encoding of the schema.
pub mod codec;
/// JavaScript values as plain data.
pub mod value;
/// JavaScript's Number-to-string conversion.
pub mod jsnum;
/// A stable sort with little code per element type (the wasm size budget).
pub mod sort;
/// Queue entries -> commands, with warnings that name the command.
pub mod command;
/// Tag flattening, stringification, limits and merge rules.
pub mod tags;
/// GA/GTM `dataLayer` entries -> `GA: ` session tags.
pub mod ga;
/// Session and visitor lifecycle (cookies, timeouts); takes `now` as input.
pub mod session;
/// The agent's state machine: commands in, requests out; no I/O.
pub mod agent;
/// Every privacy decision (ignore, mask, whitelist, secret fields, URL redaction), pure.
pub mod privacy;
/// Site settings fetched from the collector (censoring, network, GPC, deny-lists).
pub mod settings;
/// Visit recording decisions: pointer sampling, throttles, navigation dedupe, own-traffic filters.
pub mod sampling;
/// Delivery policy: outbox, retries with backoff, memory bound, keepalive budget, storage, CRC.
pub mod transport;
/// DOM recording as pure logic: packed streams, the mirror, snapshot and mutation bookkeeping.
pub mod dom;
/// Storm guard-rails: throttles, replacement snapshots and truncation reports, pure.
pub mod storm;
/// Replay: a session's batches as a timeline, and the recorded document at any offset.
pub mod replay;
/// Export of a recording in rrweb's event format, for rrweb's own Replayer.
pub mod rrweb;

/// Browser glue: the wasm-bindgen facade, queue drain, cookies, timers, transport.
#[cfg(target_arch = "wasm32")]
pub mod browser;
