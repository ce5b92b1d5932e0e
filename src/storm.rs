//! Guard-rails against mutation storms, as pure decisions with the time as input: what the
//! browser glue (`browser/recorder.rs`) may record when, and the `Degrade` events saying why
//! it recorded less. The reader enforces the per-batch caps it is given; this decides what
//! follows when one trips.
//!
//! * A batch over `batch_max_nodes`, `delivery_max_records` or `listing_max_chars` is dropped and a full snapshot
//!   replaces it ([`StormGuard::oversize`]). Such snapshots are at least
//!   `snapshot_min_interval_ms` apart; until the next one is due nothing is recorded
//!   incrementally (the mirror no longer matches the page, and the snapshot shows the result).
//! * Rates are counted in one-second windows: observer deliveries (what unthrottled batches
//!   would be) and characters of mutation data recorded. Over either limit, flushes are held
//!   to one per `throttle_min_ms`; while the characters stay over, the interval doubles each
//!   window up to `throttle_max_ms`, but a page quiet for `quiet_ms` is flushed at once (its
//!   final state is never late). After `calm_ms` under both limits every change is
//!   recorded at once again. Coalescing loses nothing but intermediate states: listings carry
//!   final values.
//! * Values the reader truncated are tallied per kind and reported at most once per
//!   `capped_report_interval_ms` per kind.

use crate::config::{
    DOM_ATTR_MAX_CHARS, DOM_BATCH_MAX_NODES, DOM_DELIVERY_MAX_RECORDS, DOM_CAPPED_REPORT_INTERVAL_MS, DOM_CSS_MAX_CHARS, DOM_CSS_READ_MAX_MS, DOM_LISTING_MAX_CHARS,
    DOM_STORM_BATCHES_PER_S_MAX, DOM_STORM_CALM_MS, DOM_STORM_CHARS_PER_S_MAX, DOM_STORM_QUIET_MS, DOM_STORM_SNAPSHOT_MIN_INTERVAL_MS,
    DOM_STORM_THROTTLE_MAX_MS, DOM_STORM_THROTTLE_MIN_MS, DOM_TEXT_MAX_CHARS,
};
use crate::event::{DegradeAction, DegradeReason, EventData};
use alloc::vec::Vec;

/// Rate windows are this long.
const WINDOW_MS: u64 = 1_000;

/// The limits one guard applies (defaults from `config`; tests shrink them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StormLimits {
    pub batch_max_nodes: u32,
    pub delivery_max_records: u32,
    pub listing_max_chars: u32,
    pub snapshot_min_interval_ms: u64,
    pub batches_per_s_max: u32,
    pub chars_per_s_max: u64,
    pub throttle_min_ms: u32,
    pub throttle_max_ms: u32,
    pub calm_ms: u64,
    pub quiet_ms: u64,
    pub capped_report_interval_ms: u64,
    pub attr_max_chars: u32,
    pub text_max_chars: u32,
    pub css_max_chars: u32,
    pub css_read_max_ms: u32,
}

impl Default for StormLimits {
    fn default() -> Self {
        StormLimits {
            batch_max_nodes: DOM_BATCH_MAX_NODES,
            delivery_max_records: DOM_DELIVERY_MAX_RECORDS,
            listing_max_chars: DOM_LISTING_MAX_CHARS,
            snapshot_min_interval_ms: DOM_STORM_SNAPSHOT_MIN_INTERVAL_MS,
            batches_per_s_max: DOM_STORM_BATCHES_PER_S_MAX,
            chars_per_s_max: DOM_STORM_CHARS_PER_S_MAX,
            throttle_min_ms: DOM_STORM_THROTTLE_MIN_MS,
            throttle_max_ms: DOM_STORM_THROTTLE_MAX_MS,
            calm_ms: DOM_STORM_CALM_MS,
            quiet_ms: DOM_STORM_QUIET_MS,
            capped_report_interval_ms: DOM_CAPPED_REPORT_INTERVAL_MS,
            attr_max_chars: DOM_ATTR_MAX_CHARS,
            text_max_chars: DOM_TEXT_MAX_CHARS,
            css_max_chars: DOM_CSS_MAX_CHARS,
            css_read_max_ms: DOM_CSS_READ_MAX_MS,
        }
    }
}

/// Kinds of values the reader truncates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capped {
    Attribute,
    Text,
    Stylesheet,
}

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    count: u32,
    max: u64,
    last_report_ms: Option<u64>,
}

/// See the module doc.
#[derive(Debug)]
pub struct StormGuard {
    lim: StormLimits,
    window_start_ms: Option<u64>,
    deliveries: u64,
    chars: u64,
    /// 0: not throttled.
    interval_ms: u32,
    throttle_reason: DegradeReason,
    calm_since_ms: Option<u64>,
    last_flush_ms: u64,
    last_storm_snapshot_ms: Option<u64>,
    snapshot_due_ms: Option<u64>,
    capped: [Tally; 3],
    events: Vec<EventData>,
}

impl StormGuard {
    pub fn new(lim: StormLimits) -> StormGuard {
        StormGuard {
            lim,
            window_start_ms: None,
            deliveries: 0,
            chars: 0,
            interval_ms: 0,
            throttle_reason: DegradeReason::BatchesPerSecond,
            calm_since_ms: None,
            last_flush_ms: 0,
            last_storm_snapshot_ms: None,
            snapshot_due_ms: None,
            capped: [Tally::default(); 3],
            events: Vec::new(),
        }
    }

    pub fn limits(&self) -> &StormLimits {
        &self.lim
    }

    /// The current flush interval while throttled, 0 otherwise.
    pub fn throttle_ms(&self) -> u32 {
        self.interval_ms
    }

    /// The page's observer made `n` more deliveries, counted at `now_ms`.
    pub fn changes(&mut self, now_ms: u64, n: u64) {
        self.roll(now_ms);
        self.deliveries = self.deliveries.saturating_add(n);
    }

    /// A batch was recorded at `now_ms`: `chars` of listing and serialized nodes.
    pub fn flushed(&mut self, now_ms: u64, chars: u64) {
        self.roll(now_ms);
        self.chars = self.chars.saturating_add(chars);
        self.last_flush_ms = now_ms;
    }

    /// When pending changes may be recorded (`now_ms` itself unless throttled); `None` while
    /// a replacement snapshot is awaited (see [`snapshot_due_ms`](Self::snapshot_due_ms)).
    pub fn flush_at_ms(&mut self, now_ms: u64) -> Option<u64> {
        self.roll(now_ms);
        if self.snapshot_due_ms.is_some() {
            return None;
        }
        Some(if self.interval_ms == 0 { now_ms } else { now_ms.max(self.last_flush_ms + self.interval_ms as u64) })
    }

    /// As [`flush_at_ms`](Self::flush_at_ms) for a page whose last change was `quiet_for_ms`
    /// ago: one quiet for `quiet_ms` is flushed at once; otherwise the time to flush, or to
    /// look again (when it would have been quiet long enough), whichever comes first.
    pub fn flush_or_check_at_ms(&mut self, now_ms: u64, quiet_for_ms: u64) -> Option<u64> {
        let at = self.flush_at_ms(now_ms)?;
        if at <= now_ms || quiet_for_ms >= self.lim.quiet_ms {
            return Some(now_ms);
        }
        Some(at.min(now_ms + (self.lim.quiet_ms - quiet_for_ms)))
    }

    /// When the replacement snapshot for a dropped batch is due, if one is awaited.
    pub fn snapshot_due_ms(&self) -> Option<u64> {
        self.snapshot_due_ms
    }

    /// A batch was over a per-batch cap (`BatchNodes`, `ObserverRecords` or `ListingChars`):
    /// it is dropped, and a full snapshot replaces it at the returned time.
    pub fn oversize(&mut self, now_ms: u64, reason: DegradeReason, measured: u64) -> u64 {
        let limit = match reason {
            DegradeReason::ListingChars => self.lim.listing_max_chars,
            DegradeReason::ObserverRecords => self.lim.delivery_max_records,
            _ => self.lim.batch_max_nodes,
        };
        self.events.push(EventData::Degrade { reason, measured, limit: limit as u64, action: DegradeAction::Snapshot });
        let earliest = match self.last_storm_snapshot_ms {
            Some(t) => now_ms.max(t + self.lim.snapshot_min_interval_ms),
            None => now_ms,
        };
        let due = self.snapshot_due_ms.map_or(earliest, |d| d.min(earliest));
        self.snapshot_due_ms = Some(due);
        due
    }

    /// A full snapshot begins at `now_ms` (any: a replacement, a checkout, a rollover). It
    /// stands in for an awaited replacement, and only a replacement counts for the interval.
    pub fn snapshot_started(&mut self, now_ms: u64) {
        if self.snapshot_due_ms.take().is_some() {
            self.last_storm_snapshot_ms = Some(now_ms);
        }
        self.last_flush_ms = now_ms;
    }

    /// The reader truncated `count` values of `kind`, the longest `measured` (characters;
    /// rules for stylesheets).
    pub fn capped(&mut self, now_ms: u64, kind: Capped, count: u32, measured: u64) {
        if count == 0 {
            return;
        }
        let t = &mut self.capped[kind as usize];
        t.count = t.count.saturating_add(count);
        t.max = t.max.max(measured);
        self.report(now_ms);
    }

    /// Periodic check (the agent's tick): closes rate windows and reports tallies due.
    pub fn poll(&mut self, now_ms: u64) {
        self.roll(now_ms);
        self.report(now_ms);
    }

    /// `Degrade` events to record, oldest first.
    pub fn take_events(&mut self) -> Vec<EventData> {
        core::mem::take(&mut self.events)
    }

    fn report(&mut self, now_ms: u64) {
        for (i, kind) in [Capped::Attribute, Capped::Text, Capped::Stylesheet].into_iter().enumerate() {
            let t = &mut self.capped[i];
            if t.count == 0 || t.last_report_ms.is_some_and(|l| now_ms < l + self.lim.capped_report_interval_ms) {
                continue;
            }
            let (reason, limit) = match kind {
                Capped::Attribute => (DegradeReason::LongAttribute, self.lim.attr_max_chars),
                Capped::Text => (DegradeReason::LongText, self.lim.text_max_chars),
                Capped::Stylesheet => (DegradeReason::LongStylesheet, self.lim.css_max_chars),
            };
            self.events.push(EventData::Degrade {
                reason,
                measured: t.max,
                limit: limit as u64,
                action: DegradeAction::Truncate { count: t.count },
            });
            *t = Tally { count: 0, max: 0, last_report_ms: Some(now_ms) };
        }
    }

    /// Closes the windows that ended by `now_ms`.
    fn roll(&mut self, now_ms: u64) {
        let Some(start) = self.window_start_ms else {
            self.window_start_ms = Some(now_ms);
            return;
        };
        if now_ms < start + WINDOW_MS {
            return;
        }
        let (d, c) = (core::mem::take(&mut self.deliveries), core::mem::take(&mut self.chars));
        self.evaluate(start, start + WINDOW_MS, d, c);
        let windows = (now_ms - start) / WINDOW_MS;
        if windows > 1 {
            // The windows in between saw nothing.
            self.evaluate(start + WINDOW_MS, start + windows * WINDOW_MS, 0, 0);
        }
        self.window_start_ms = Some(start + windows * WINDOW_MS);
    }

    /// One closed window `[from, to)` with `d` deliveries and `c` characters.
    fn evaluate(&mut self, from_ms: u64, to_ms: u64, d: u64, c: u64) {
        let over_c = c > self.lim.chars_per_s_max;
        let over_d = d > self.lim.batches_per_s_max as u64;
        if over_c || over_d {
            self.calm_since_ms = None;
            let (reason, measured, limit) = if over_c {
                (DegradeReason::CharsPerSecond, c, self.lim.chars_per_s_max)
            } else {
                (DegradeReason::BatchesPerSecond, d, self.lim.batches_per_s_max as u64)
            };
            let next = if self.interval_ms == 0 {
                self.lim.throttle_min_ms
            } else if over_c {
                self.interval_ms.saturating_mul(2).min(self.lim.throttle_max_ms)
            } else {
                self.interval_ms
            };
            if next != self.interval_ms {
                self.interval_ms = next;
                self.throttle_reason = reason;
                let action = DegradeAction::Throttle { interval_ms: next };
                self.events.push(EventData::Degrade { reason, measured, limit, action });
            }
        } else if self.interval_ms > 0 {
            let since = *self.calm_since_ms.get_or_insert(from_ms);
            if to_ms - since >= self.lim.calm_ms {
                self.interval_ms = 0;
                self.calm_since_ms = None;
                let reason = self.throttle_reason;
                let (measured, limit) = match reason {
                    DegradeReason::CharsPerSecond => (c, self.lim.chars_per_s_max),
                    _ => (d, self.lim.batches_per_s_max as u64),
                };
                self.events.push(EventData::Degrade { reason, measured, limit, action: DegradeAction::Resume });
            }
        }
    }
}
