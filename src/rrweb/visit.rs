//! rrweb export of the visit events beside the DOM (a child of `rrweb`, so it shares the
//! exporter's mirror and helpers).
//!
//! * `MouseMove` -> IncrementalSnapshot source 1 `{positions: [{x, y, id, timeOffset}]}`,
//!   stamped with the time of the last position and negative offsets, as rrweb's recorder
//!   writes them. insp does not record the node under the pointer, so `id` is the top
//!   document (rrweb's replayer needs a node it knows to move its pointer at all).
//! * `Mouse` -> source 2 `{type, id, x, y, pointerType}` with rrweb's `MouseInteractions`
//!   (MouseUp 0, MouseDown 1, Click 2, ContextMenu 3, DblClick 4, TouchStart 7, TouchEnd 9;
//!   `pointerType` 0 mouse, 2 touch). A target rrweb does not have (id 0, content of an opaque
//!   element) becomes its nearest exported ancestor, else the document, so the click still
//!   shows where it happened.
//! * `Focus` -> source 2 with type Focus 5 / Blur 6 (only for elements rrweb has).
//! * `Scroll` -> source 3 `{id, x, y}`; `Viewport` -> source 4 `{width, height}`.
//! * `Media` -> source 7 `{type: Play 0 | Pause 1, id, currentTime}` (seconds). A seek is
//!   recorded as the state after it, which replays the same way.
//! * `Navigation` -> Custom `insp-navigation` `{url, kind}`. Not a Meta event: rrweb's
//!   replayer, when seeking, drops everything before the last Meta, taking it for the start
//!   of a new full snapshot.
//! * `Error`, `Network`, `Device`, `Visibility` -> Custom events `insp-error`, `insp-network`,
//!   `insp-device`, `insp-visibility` with the fields of the insp event.
//! * `Degrade` -> Custom `insp-degrade` `{reason, measured, limit, action[, intervalMs | count]}`
//!   (names in camel case: `batchNodes`, `throttle`, ...).
//!
//! Node-bound events (pointer, scroll, focus, media) are written only while a snapshot of the
//! segment is in effect; the custom events always.

use super::{event, int, obj, Exporter, Json, EV_CUSTOM, EV_INCREMENTAL, SRC_SCROLL};
use crate::event::{DegradeAction, DegradeReason, EventData, MouseKind, NavKind, NodeId, NodeKind};
use alloc::vec::Vec;

const SRC_MOUSE_MOVE: i64 = 1;
const SRC_MOUSE_INTERACTION: i64 = 2;
const SRC_VIEWPORT_RESIZE: i64 = 4;
const SRC_MEDIA_INTERACTION: i64 = 7;

const MI_FOCUS: i64 = 5;
const MI_BLUR: i64 = 6;

/// rrweb's `MouseInteractions` number and `PointerTypes` for a pointer event.
pub fn mouse_interaction(kind: MouseKind) -> (i64, i64) {
    match kind {
        MouseKind::Up => (0, 0),
        MouseKind::Down => (1, 0),
        MouseKind::Click => (2, 0),
        MouseKind::ContextMenu => (3, 0),
        MouseKind::DblClick => (4, 0),
        MouseKind::TouchStart => (7, 2),
        MouseKind::TouchEnd => (9, 2),
    }
}

pub fn degrade_reason_name(r: DegradeReason) -> &'static str {
    match r {
        DegradeReason::BatchNodes => "batchNodes",
        DegradeReason::ListingChars => "listingChars",
        DegradeReason::BatchesPerSecond => "batchesPerSecond",
        DegradeReason::CharsPerSecond => "charsPerSecond",
        DegradeReason::LongAttribute => "longAttribute",
        DegradeReason::LongText => "longText",
        DegradeReason::LongStylesheet => "longStylesheet",
        DegradeReason::ObserverRecords => "observerRecords",
    }
}

/// The action's name and its number field, if any.
pub fn degrade_action_name(a: DegradeAction) -> (&'static str, Option<(&'static str, u32)>) {
    match a {
        DegradeAction::Snapshot => ("snapshot", None),
        DegradeAction::Throttle { interval_ms } => ("throttle", Some(("intervalMs", interval_ms))),
        DegradeAction::Resume => ("resume", None),
        DegradeAction::Truncate { count } => ("truncate", Some(("count", count))),
    }
}

fn clamp_i64(v: u64) -> i64 {
    v.min(i64::MAX as u64) as i64
}

pub fn nav_kind_name(kind: NavKind) -> &'static str {
    match kind {
        NavKind::Push => "push",
        NavKind::Replace => "replace",
        NavKind::Pop => "pop",
        NavKind::Hash => "hash",
    }
}

impl Exporter<'_> {
    /// One visit event at time `t` (see the module doc); other events are not handled here.
    pub(super) fn visit_event(&mut self, t: u64, data: &EventData) {
        let active = self.active.is_some();
        match data {
            EventData::MouseMove { positions } if active => {
                let (Some(root), Some(last)) = (self.mirror.root(), positions.last()) else {
                    return;
                };
                let end = t + last.2 as u64;
                let list = positions
                    .iter()
                    .map(|&(x, y, dt)| {
                        obj(vec![
                            ("x", int(x)),
                            ("y", int(y)),
                            ("id", int(root)),
                            ("timeOffset", int(dt as i64 - last.2 as i64)),
                        ])
                    })
                    .collect();
                self.incremental(end, SRC_MOUSE_MOVE, vec![("positions", Json::Arr(list))]);
            }
            EventData::Mouse { kind, id, x, y } if active => {
                let Some(target) = self.rr_target(*id) else {
                    return;
                };
                let (ty, pointer) = mouse_interaction(*kind);
                self.incremental(
                    t,
                    SRC_MOUSE_INTERACTION,
                    vec![
                        ("type", int(ty)),
                        ("id", int(target)),
                        ("x", int(*x)),
                        ("y", int(*y)),
                        ("pointerType", int(pointer)),
                    ],
                );
            }
            EventData::Focus { id, focused } if active && self.exported_element(*id) => {
                let ty = if *focused { MI_FOCUS } else { MI_BLUR };
                self.incremental(
                    t,
                    SRC_MOUSE_INTERACTION,
                    vec![("type", int(ty)), ("id", int(*id))],
                );
            }
            EventData::Scroll { id, x, y } if active && self.exported_element(*id) => {
                self.incremental(
                    t,
                    SRC_SCROLL,
                    vec![
                        ("id", Json::Int(self.rid(*id))),
                        ("x", int(*x)),
                        ("y", int(*y)),
                    ],
                );
            }
            EventData::Viewport { width, height } => {
                self.width = *width;
                self.height = *height;
                if active {
                    self.incremental(
                        t,
                        SRC_VIEWPORT_RESIZE,
                        vec![("width", int(*width)), ("height", int(*height))],
                    );
                }
            }
            EventData::Media {
                id,
                playing,
                time_ms,
            } if active && self.exported_element(*id) => {
                self.incremental(
                    t,
                    SRC_MEDIA_INTERACTION,
                    vec![
                        ("type", int(if *playing { 0 } else { 1 })),
                        ("id", int(*id)),
                        ("currentTime", Json::Num(*time_ms as f64 / 1000.0)),
                    ],
                );
            }
            EventData::Navigation { url, kind } => {
                self.custom(
                    t,
                    "insp-navigation",
                    vec![
                        ("url", Json::str(url)),
                        ("kind", Json::str(nav_kind_name(*kind))),
                    ],
                );
            }
            EventData::Error(e) => self.custom(
                t,
                "insp-error",
                vec![
                    ("message", Json::str(&e.message)),
                    ("source", Json::str(&e.source)),
                    ("line", int(e.line)),
                    ("column", int(e.column)),
                    ("stack", Json::str(&e.stack)),
                    ("rejection", Json::Bool(e.rejection)),
                ],
            ),
            EventData::Network(n) => self.custom(
                t,
                "insp-network",
                vec![
                    ("method", Json::str(&n.method)),
                    ("url", Json::str(&n.url)),
                    ("status", int(n.status)),
                    ("durationMs", int(n.duration_ms)),
                    ("requestBytes", int(n.request_bytes)),
                    ("responseBytes", int(n.response_bytes)),
                    ("api", Json::str(if n.fetch { "fetch" } else { "xhr" })),
                ],
            ),
            EventData::Device(d) => self.custom(
                t,
                "insp-device",
                vec![
                    ("userAgent", Json::str(&d.user_agent)),
                    ("screenWidth", int(d.screen_width)),
                    ("screenHeight", int(d.screen_height)),
                    (
                        "devicePixelRatio",
                        Json::Num(d.pixel_ratio_pct as f64 / 100.0),
                    ),
                    ("language", Json::str(&d.language)),
                    ("timeZone", Json::str(&d.time_zone)),
                    ("referrer", Json::str(&d.referrer)),
                ],
            ),
            EventData::Visibility { hidden } => {
                self.custom(t, "insp-visibility", vec![("hidden", Json::Bool(*hidden))])
            }
            EventData::Degrade { reason, measured, limit, action } => {
                let (name, n) = degrade_action_name(*action);
                let mut fields = vec![
                    ("reason", Json::str(degrade_reason_name(*reason))),
                    ("measured", int(clamp_i64(*measured))),
                    ("limit", int(clamp_i64(*limit))),
                    ("action", Json::str(name)),
                ];
                if let Some((key, v)) = n {
                    fields.push((key, int(v)));
                }
                self.custom(t, "insp-degrade", fields)
            }
            _ => {}
        }
    }

    fn incremental(&mut self, t: u64, source: i64, fields: Vec<(&str, Json)>) {
        let mut all = vec![("source", int(source))];
        all.extend(fields);
        self.push(t, event(EV_INCREMENTAL, t, obj(all)));
    }

    fn custom(&mut self, t: u64, tag: &str, payload: Vec<(&str, Json)>) {
        self.push(
            t,
            event(
                EV_CUSTOM,
                t,
                obj(vec![("tag", Json::str(tag)), ("payload", obj(payload))]),
            ),
        );
    }

    /// An element (or document) node the rrweb export contains.
    fn exported_element(&self, id: NodeId) -> bool {
        id != 0
            && matches!(
                self.mirror.node(id),
                Some(NodeKind::Element(_)) | Some(NodeKind::Document { .. })
            )
            && !self.hidden(id)
    }

    /// The node rrweb knows standing for a pointer target: itself, its nearest exported
    /// ancestor, else the top document.
    fn rr_target(&self, id: NodeId) -> Option<NodeId> {
        let mut cur = (id != 0 && self.mirror.contains(id)).then_some(id);
        while let Some(n) = cur {
            if self.exported_element(n) {
                return Some(n);
            }
            cur = self.mirror.parent(n);
        }
        self.mirror.root()
    }
}
