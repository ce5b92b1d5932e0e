//! Delivery policy: the outbox of encoded requests, retries, the memory bound, the keepalive
//! budget on page hide, persistence across page loads of a tab, and the request checksum.
//! Decisions only: no I/O; time and randomness come in as parameters, so every rule is tested
//! natively with a fake clock (`tests/native_transport.rs`).
//!
//! # Lifecycle of a request
//! The agent seals a meta delta or an event batch, encodes it and [`Outbox::push`]es it. The
//! outbox hands it out as a [`Request`] (by [`Outbox::poll`], or [`Outbox::hide`] on page hide)
//! and keeps it until [`Outbox::result`] reports the outcome of that attempt:
//!
//! * 2xx: delivered, forgotten.
//! * 5xx, 408, 429, a network error or no answer within `request_timeout_ms`: retried after a
//!   jittered exponential backoff (`Retry-After` seconds instead, when the answer carries it).
//!   While retrying the collector is *degraded*: one request at a time (a probe), in order.
//! * Any other 4xx: the collector refuses this content; dropped, never retried.
//!
//! Order: restored requests of earlier page loads first, then meta, then event batches by seq.
//! Pending bytes are bounded (`max_pending_bytes`): over it the oldest event batches not in
//! flight are dropped (never meta, never the newest batch) and reported as [`Dropped`] so the
//! agent can record a `Gap` and ask for a new full snapshot. The gap markers a dropped batch
//! carried come back with it ([`Dropped::carried`]) and are recorded again, so the batches that
//! do arrive always explain every hole.
//!
//! Batches of *earlier* page loads (restored from storage) cannot get a `Gap` in their own
//! stream from the agent, which records only its own page load: when one of them is dropped,
//! or left out of storage for lack of room, a *placeholder* takes its place: a tiny batch with
//! the same session, page load and seq (the envelope header is copied from the dropped body)
//! holding only `Gap` events: its own seq, and the gaps it carried. Replay cuts at a batch
//! whose `Gap` covers its own seq as at a missing one. Placeholders are never dropped.
//!
//! At-least-once delivery: a request may reach the collector twice (a keepalive re-send at page
//! hide, a re-send of a persisted request on the next page load); the collector stores each
//! (sid, pid, seq) once and merges meta by version, so what is stored is exactly once.

use crate::config::{
    KEEPALIVE_BUDGET_BYTES, OUTBOX_MAX_BYTES, OUTBOX_MAX_IN_FLIGHT, OUTBOX_PERSIST_INTERVAL_MS,
    OUTBOX_PERSIST_MAX_BYTES, REQUEST_TIMEOUT_MS, RETRY_AFTER_MAX_S, RETRY_BASE_MS, RETRY_CAP_MS,
    RETRY_JITTER_PCT,
};
use crate::event::{Body, Envelope, Event, EventBatch, EventData, GapReason};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// Checksum
// ---------------------------------------------------------------------------------------------

const CRC_TABLE: [u32; 256] = crc_table();

const fn crc_table() -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

/// CRC-32 (IEEE 802.3, the one gzip and zlib use) of `bytes`. Sent as the `crc` query
/// parameter (8 hex digits) of every request: the collector checks it against the body after
/// decompression and stores nothing on a mismatch.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in bytes {
        c = CRC_TABLE[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

// ---------------------------------------------------------------------------------------------
// Policy
// ---------------------------------------------------------------------------------------------

/// The tunables of delivery (defaults from `crate::config`; tests shrink them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Requests in flight at once while the collector answers (one while it does not).
    pub max_in_flight: usize,
    /// Backoff after the first failure; doubled after each further one ...
    pub retry_base_ms: u64,
    /// ... up to this.
    pub retry_cap_ms: u64,
    /// Each backoff delay is shortened by a random share of up to this many percent.
    pub retry_jitter_pct: u64,
    /// A longer `Retry-After` is cut to this.
    pub retry_after_max_ms: u64,
    /// An attempt without an answer after this long counts as a network error.
    pub request_timeout_ms: u64,
    /// Encoded bytes of undelivered requests kept in memory.
    pub max_pending_bytes: usize,
    /// Bodies of keepalive requests in flight at once (the browser allows 64 KiB per page,
    /// shared with the page's own keepalive requests and beacons).
    pub keepalive_budget_bytes: usize,
    /// Encoded bytes kept in `sessionStorage`.
    pub persist_max_bytes: usize,
    /// While the collector is unreachable, the outbox is written to storage at most this often.
    pub persist_interval_ms: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_in_flight: OUTBOX_MAX_IN_FLIGHT,
            retry_base_ms: RETRY_BASE_MS,
            retry_cap_ms: RETRY_CAP_MS,
            retry_jitter_pct: RETRY_JITTER_PCT,
            retry_after_max_ms: RETRY_AFTER_MAX_S * 1000,
            request_timeout_ms: REQUEST_TIMEOUT_MS,
            max_pending_bytes: OUTBOX_MAX_BYTES,
            keepalive_budget_bytes: KEEPALIVE_BUDGET_BYTES,
            persist_max_bytes: OUTBOX_PERSIST_MAX_BYTES,
            persist_interval_ms: OUTBOX_PERSIST_INTERVAL_MS,
        }
    }
}

impl Policy {
    /// The backoff before retry number `failures` (1 = after the first failure):
    /// `min(cap, base * 2^(failures-1))`, shortened by `rand % (jitter + 1)` where `jitter` is
    /// `retry_jitter_pct` percent of it. So the delay lies in `[d - d*pct/100, d]`.
    pub fn backoff_ms(&self, failures: u32, rand: u64) -> u64 {
        let exp = failures.saturating_sub(1).min(40);
        let d = self.retry_base_ms.saturating_mul(1u64 << exp).min(self.retry_cap_ms);
        let jitter = d / 100 * self.retry_jitter_pct.min(100) + d % 100 * self.retry_jitter_pct.min(100) / 100;
        d - rand % (jitter + 1)
    }

    /// The delay for a `Retry-After: seconds` answer: at least that long (capped at
    /// `retry_after_max_ms`), plus up to a tenth more at random.
    pub fn retry_after_delay_ms(&self, seconds: u64, rand: u64) -> u64 {
        let ms = seconds.saturating_mul(1000).min(self.retry_after_max_ms);
        ms + rand % (ms / 10 + 1)
    }
}

// ---------------------------------------------------------------------------------------------
// Requests and outcomes
// ---------------------------------------------------------------------------------------------

/// One HTTP request for the glue to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The outbox entry, and which attempt this is: both go back with the outcome.
    pub id: u64,
    pub attempt: u32,
    /// Collector URL without `crc` and `enc` (see [`Request::url_for`]).
    pub url: String,
    /// The encoded envelope, uncompressed.
    pub body: Vec<u8>,
    /// [`crc32`] of `body`.
    pub crc: u32,
    /// Worth compressing (recording batches; metadata requests are small).
    pub compress: bool,
    /// Page hide: send `body` as it is (an asynchronous compression may never finish on an
    /// unloading page) with `keepalive`; its bytes are already counted against the keepalive
    /// budget. When the browser refuses the keepalive fetch, `sendBeacon` it.
    /// Otherwise the glue asks [`Outbox::reserve_keepalive`] with the final body size.
    pub keepalive: bool,
}

impl Request {
    /// The URL to post to: `url&crc=XXXXXXXX`, plus `&enc=gzip` when the body is compressed.
    pub fn url_for(&self, gzip: bool) -> String {
        format!("{}&crc={:08x}{}", self.url, self.crc, if gzip { "&enc=gzip" } else { "" })
    }
}

/// What became of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The collector answered; `retry_after_s` from a `Retry-After: <seconds>` header.
    Status { status: u16, retry_after_s: Option<u64> },
    /// No readable answer: connection refused or reset, CORS refusal, offline, aborted.
    Failed,
    /// The keepalive fetch was refused and the body was handed to `sendBeacon` (`queued`: it
    /// accepted it). A beacon's fate is unknown: the request stays pending, and a re-send that
    /// duplicates it is harmless.
    Beacon { queued: bool },
}

/// The outbox's reading of an outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// Back to pending; nothing is sent before `at_ms`.
    Retry { at_ms: u64 },
    /// Refused (4xx other than 408/429): dropped, not retried.
    Rejected { status: u16, dropped: Dropped },
    /// Handed to `sendBeacon`; stays pending.
    Beaconed,
    /// An unknown entry (already delivered or dropped) or an attempt superseded by a newer one.
    Ignored,
}

/// Requests the outbox gave up on: batches `from_seq..=to_seq` of one page load (`meta`:
/// meta deltas, `from_seq..=to_seq` their `mseq`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    pub sid: String,
    pub pid: u32,
    pub meta: bool,
    pub from_seq: u32,
    pub to_seq: u32,
    pub items: u32,
    /// Encoded (uncompressed) bytes.
    pub bytes: u64,
    /// The gap markers the dropped batches carried: they must be recorded again, or the
    /// holes they described would go unexplained.
    pub carried: Vec<GapMark>,
}

/// A `Gap` event's content: batches `from_seq..=to_seq` dropped, `bytes` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GapMark {
    pub from_seq: u32,
    pub to_seq: u32,
    pub bytes: u64,
    pub reason: GapReason,
}

/// What is pushed into the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Meta delta (`seq` is its `mseq`) or event batch (`seq` is the batch seq).
    pub meta: bool,
    pub sid: String,
    pub pid: u32,
    pub seq: u32,
    pub url: String,
    pub body: Vec<u8>,
    pub compress: bool,
    /// The batch carries a `FullSnapshot`.
    pub snapshot: bool,
    /// The `Gap` events the batch carries.
    pub gaps: Vec<GapMark>,
}

/// Counters and state for diagnostics and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Undelivered requests (pending and in flight) and their encoded bytes.
    pub items: usize,
    pub bytes: usize,
    pub in_flight: usize,
    /// Bodies of keepalive requests in flight.
    pub keepalive_bytes: usize,
    /// Consecutive failed attempts (0: the collector answers).
    pub failures: u32,
    /// Nothing is sent before this (ms since epoch).
    pub blocked_until_ms: u64,
    pub delivered: u64,
    /// Dropped by the memory bound.
    pub dropped_items: u64,
    pub dropped_bytes: u64,
    /// Refused by the collector (4xx).
    pub rejected: u64,
    /// Restored from storage at start.
    pub restored: u64,
    /// Largest `bytes` seen.
    pub peak_bytes: usize,
}

// ---------------------------------------------------------------------------------------------
// The outbox
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct Flight {
    attempt: u32,
    /// `Outbox::epoch` when sent: only a failure of a request sent after the latest failure
    /// makes the backoff longer (four requests failing together are one failure).
    epoch: u32,
    sent_ms: u64,
}

#[derive(Debug, Clone)]
struct Item {
    id: u64,
    /// 0: restored from an earlier page load; 1: this one.
    group: u8,
    e: Entry,
    crc: u32,
    attempt: u32,
    flight: Option<Flight>,
    /// A placeholder (see the module doc): never dropped by the memory bound.
    keep: bool,
}

impl Item {
    fn key(&self) -> (u8, bool, u64) {
        // Restored first (in their stored order); then meta; then batches in the order sealed,
        // which is seq order within a page load.
        (self.group, self.group == 1 && !self.e.meta, self.id)
    }
}

/// Undelivered requests; see the module doc.
#[derive(Debug, Clone)]
pub struct Outbox {
    policy: Policy,
    items: Vec<Item>,
    next_id: u64,
    bytes: usize,
    /// Keepalive bodies in flight: (id, attempt, bytes, sent_ms).
    keepalive: Vec<(u64, u32, usize, u64)>,
    failures: u32,
    epoch: u32,
    blocked_until_ms: u64,
    /// Changed since the last write to storage.
    dirty: bool,
    /// Storage holds a write of ours.
    stored: bool,
    last_persist_ms: Option<u64>,
    /// Page loads whose requests this outbox owns (its own and the restored ones); stored
    /// requests of others (a same-origin frame of the tab) are kept when writing.
    owned_pids: Vec<u32>,
    stats: Stats,
}

impl Default for Outbox {
    fn default() -> Self {
        Outbox::new(Policy::default())
    }
}

impl Outbox {
    pub fn new(policy: Policy) -> Outbox {
        Outbox {
            policy,
            items: Vec::new(),
            next_id: 1,
            bytes: 0,
            keepalive: Vec::new(),
            failures: 0,
            epoch: 0,
            blocked_until_ms: 0,
            dirty: false,
            stored: false,
            last_persist_ms: None,
            owned_pids: Vec::new(),
            stats: Stats::default(),
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn set_policy(&mut self, policy: Policy) {
        self.policy = policy;
    }

    /// Undelivered requests.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Encoded bytes of undelivered requests.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The collector answered the latest attempt (no failure since).
    pub fn healthy(&self) -> bool {
        self.failures == 0
    }

    pub fn stats(&self) -> Stats {
        Stats {
            items: self.items.len(),
            bytes: self.bytes,
            in_flight: self.items.iter().filter(|i| i.flight.is_some()).count(),
            keepalive_bytes: self.keepalive_bytes(),
            failures: self.failures,
            blocked_until_ms: self.blocked_until_ms,
            ..self.stats
        }
    }

    /// `(pid, seq)` of the undelivered event batches, in send order (diagnostics, tests).
    pub fn batches(&self) -> Vec<(u32, u32)> {
        self.items.iter().filter(|i| !i.e.meta).map(|i| (i.e.pid, i.e.seq)).collect()
    }

    /// Adds a request; returns its id.
    pub fn push(&mut self, e: Entry) -> u64 {
        let crc = crc32(&e.body);
        self.insert(e, crc, 1)
    }

    fn insert(&mut self, e: Entry, crc: u32, group: u8) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        if !self.owned_pids.contains(&e.pid) {
            self.owned_pids.push(e.pid);
        }
        self.bytes += e.body.len();
        self.stats.peak_bytes = self.stats.peak_bytes.max(self.bytes);
        let item = Item { id, group, e, crc, attempt: 0, flight: None, keep: false };
        let key = item.key();
        let at = self.items.partition_point(|i| i.key() <= key);
        self.items.insert(at, item);
        self.dirty = true;
        id
    }

    fn remove(&mut self, idx: usize) -> Item {
        let it = self.items.remove(idx);
        self.bytes -= it.e.body.len();
        self.dirty = true;
        it
    }

    fn position(&self, id: u64) -> Option<usize> {
        self.items.iter().position(|i| i.id == id)
    }

    fn keepalive_bytes(&self) -> usize {
        self.keepalive.iter().map(|k| k.2).sum()
    }

    /// Takes back request `id` of this page load if it is still waiting (not in flight):
    /// true when it was removed.
    pub fn withdraw(&mut self, id: u64) -> bool {
        match self.position(id) {
            Some(i) if self.items[i].group == 1 && self.items[i].flight.is_none() => {
                self.remove(i);
                true
            }
            _ => false,
        }
    }

    /// A batch carrying a full snapshot is still to be delivered after batch `seq` of (sid, pid).
    pub fn has_snapshot_after(&self, sid: &str, pid: u32, seq: u32) -> bool {
        self.items.iter().any(|i| !i.e.meta && i.e.snapshot && i.e.pid == pid && i.e.seq > seq && i.e.sid == sid)
    }

    fn launch(&mut self, idx: usize, now_ms: u64, keepalive: bool) -> Request {
        let epoch = self.epoch;
        let it = &mut self.items[idx];
        it.attempt += 1;
        it.flight = Some(Flight { attempt: it.attempt, epoch, sent_ms: now_ms });
        if keepalive {
            self.keepalive.push((it.id, it.attempt, it.e.body.len(), now_ms));
        }
        Request {
            id: it.id,
            attempt: it.attempt,
            url: it.e.url.clone(),
            body: it.e.body.clone(),
            crc: it.crc,
            compress: it.e.compress && !keepalive,
            keepalive,
        }
    }

    /// Attempts without an answer for `request_timeout_ms` count as failed.
    fn expire(&mut self, now_ms: u64, rand: u64) {
        let timeout = self.policy.request_timeout_ms;
        self.keepalive.retain(|k| now_ms < k.3.saturating_add(timeout));
        let late: Vec<(u64, u32)> = self
            .items
            .iter()
            .filter_map(|i| i.flight.filter(|f| now_ms >= f.sent_ms.saturating_add(timeout)).map(|f| (i.id, f.attempt)))
            .collect();
        for (id, attempt) in late {
            let _ = self.result(id, attempt, Outcome::Failed, now_ms, rand);
        }
    }

    /// The requests to send now: pending ones in order, up to `max_in_flight` in flight (one
    /// while the collector is failing), none before the backoff has passed.
    pub fn poll(&mut self, now_ms: u64, rand: u64) -> Vec<Request> {
        self.expire(now_ms, rand);
        let mut out = Vec::new();
        if now_ms < self.blocked_until_ms {
            return out;
        }
        let cap = if self.failures > 0 { 1 } else { self.policy.max_in_flight.max(1) };
        let mut flying = self.items.iter().filter(|i| i.flight.is_some()).count();
        for idx in 0..self.items.len() {
            if flying >= cap {
                break;
            }
            if self.items[idx].flight.is_none() {
                out.push(self.launch(idx, now_ms, false));
                flying += 1;
            }
        }
        out
    }

    /// Page hide: everything undelivered that fits in the keepalive budget, uncompressed, in
    /// order (a request that does not fit is skipped, later smaller ones still go), ignoring
    /// backoff and the in-flight cap. Requests in flight without keepalive (which an unloading
    /// page cancels) are sent again. What does not fit stays for storage.
    pub fn hide(&mut self, now_ms: u64) -> Vec<Request> {
        let mut left = self.policy.keepalive_budget_bytes.saturating_sub(self.keepalive_bytes());
        let mut out = Vec::new();
        for idx in 0..self.items.len() {
            let it = &self.items[idx];
            let kept_alive = it.flight.is_some_and(|f| self.keepalive.iter().any(|k| k.0 == it.id && k.1 == f.attempt));
            let size = it.e.body.len();
            if kept_alive || size > left {
                continue;
            }
            left -= size;
            out.push(self.launch(idx, now_ms, true));
        }
        out
    }

    /// Before posting a body of `bytes` (after compression) for attempt `attempt` of `id`:
    /// true (and counted) when it fits in the keepalive budget, so it is sent with `keepalive`
    /// and survives the page being unloaded.
    pub fn reserve_keepalive(&mut self, id: u64, attempt: u32, bytes: usize, now_ms: u64) -> bool {
        let current = self.position(id).is_some_and(|i| self.items[i].flight.is_some_and(|f| f.attempt == attempt));
        if !current || self.keepalive_bytes() + bytes > self.policy.keepalive_budget_bytes {
            return false;
        }
        self.keepalive.retain(|k| !(k.0 == id && k.1 == attempt));
        self.keepalive.push((id, attempt, bytes, now_ms));
        true
    }

    /// The outcome of attempt `attempt` of request `id`.
    pub fn result(&mut self, id: u64, attempt: u32, outcome: Outcome, now_ms: u64, rand: u64) -> Verdict {
        self.keepalive.retain(|k| !(k.0 == id && k.1 == attempt));
        let Some(idx) = self.position(id) else { return Verdict::Ignored };
        let flight = self.items[idx].flight;
        let current = flight.is_some_and(|f| f.attempt == attempt);
        // This attempt is the newest and was sent after the latest failure: its answer tells
        // how the collector is doing now.
        let news = current && flight.is_some_and(|f| f.epoch == self.epoch);
        match outcome {
            Outcome::Status { status: 200..=299, .. } => {
                self.remove(idx);
                self.stats.delivered += 1;
                if news {
                    self.failures = 0;
                }
                Verdict::Delivered
            }
            Outcome::Status { status, .. } if (400..=499).contains(&status) && status != 408 && status != 429 => {
                let it = self.remove(idx);
                self.stats.rejected += 1;
                if news {
                    // The collector answers: it is only this request it does not want.
                    self.failures = 0;
                }
                Verdict::Rejected {
                    status,
                    dropped: Dropped {
                        sid: it.e.sid,
                        pid: it.e.pid,
                        meta: it.e.meta,
                        from_seq: it.e.seq,
                        to_seq: it.e.seq,
                        items: 1,
                        bytes: it.e.body.len() as u64,
                        carried: it.e.gaps,
                    },
                }
            }
            Outcome::Beacon { queued: true } => {
                if current {
                    self.items[idx].flight = None;
                }
                Verdict::Beaconed
            }
            Outcome::Status { .. } | Outcome::Failed | Outcome::Beacon { queued: false } => {
                if !current {
                    return Verdict::Ignored;
                }
                self.items[idx].flight = None;
                let escalate = news;
                if escalate {
                    self.failures += 1;
                    self.epoch += 1;
                }
                let retry_after = match outcome {
                    Outcome::Status { retry_after_s, .. } => retry_after_s,
                    _ => None,
                };
                let delay = match retry_after {
                    Some(s) if s > 0 => Some(self.policy.retry_after_delay_ms(s, rand)),
                    _ if escalate => Some(self.policy.backoff_ms(self.failures, rand)),
                    _ => None,
                };
                if let Some(d) = delay {
                    self.blocked_until_ms = self.blocked_until_ms.max(now_ms.saturating_add(d));
                }
                self.dirty = true;
                Verdict::Retry { at_ms: self.blocked_until_ms.max(now_ms) }
            }
        }
    }

    /// Keeps undelivered bytes under `max_pending_bytes` by dropping the oldest event batches
    /// that are not in flight (never meta, never the newest batch). Consecutive batches of one
    /// page load come back as one [`Dropped`].
    pub fn enforce_bound(&mut self) -> Vec<Dropped> {
        let mut drops: Vec<Dropped> = Vec::new();
        if self.bytes <= self.policy.max_pending_bytes {
            return drops;
        }
        let mut newest = self.items.iter().rposition(|i| !i.e.meta);
        let mut idx = 0;
        let mut holders = Vec::new();
        while self.bytes > self.policy.max_pending_bytes && idx < self.items.len() {
            let it = &self.items[idx];
            if it.e.meta || it.keep || it.flight.is_some() || Some(idx) == newest {
                idx += 1;
                continue;
            }
            let it = self.remove(idx);
            if it.group == 0 {
                holders.extend(placeholder(&it.e, GapReason::MemoryBound));
            }
            if let Some(n) = newest.as_mut() {
                *n -= 1;
            }
            let len = it.e.body.len() as u64;
            self.stats.dropped_items += 1;
            self.stats.dropped_bytes += len;
            match drops.last_mut() {
                Some(d) if d.sid == it.e.sid && d.pid == it.e.pid && d.to_seq.checked_add(1) == Some(it.e.seq) => {
                    d.to_seq = it.e.seq;
                    d.items += 1;
                    d.bytes += len;
                    d.carried.extend(it.e.gaps);
                }
                _ => drops.push(Dropped {
                    sid: it.e.sid,
                    pid: it.e.pid,
                    meta: false,
                    from_seq: it.e.seq,
                    to_seq: it.e.seq,
                    items: 1,
                    bytes: len,
                    carried: it.e.gaps,
                }),
            }
        }
        for e in holders {
            let crc = crc32(&e.body);
            let id = self.insert(e, crc, 0);
            if let Some(i) = self.position(id) {
                self.items[i].keep = true;
            }
        }
        drops
    }

    // -----------------------------------------------------------------------------------------
    // Persistence
    // -----------------------------------------------------------------------------------------

    /// Whether to write the outbox to storage now: always on page hide (when there is anything
    /// to write or to clear); otherwise when it changed, at most every `persist_interval_ms`,
    /// while the collector is failing or while storage still holds an earlier write.
    pub fn persist_due(&mut self, now_ms: u64, hide: bool) -> bool {
        let due = if hide {
            !self.items.is_empty() || self.stored
        } else {
            self.dirty
                && (self.failures > 0 || self.stored)
                && self.last_persist_ms.is_none_or(|t| now_ms >= t.saturating_add(self.policy.persist_interval_ms))
        };
        if due {
            self.last_persist_ms = Some(now_ms);
        }
        due
    }

    /// The storage blob: the undelivered requests (all meta; event batches newest first while
    /// they fit in `max_bytes` of bodies), then those of other page loads found in `existing`
    /// (what storage holds now) while they fit. `None`: nothing to keep (remove the key).
    pub fn persist(&mut self, existing: Option<&[u8]>, max_bytes: usize) -> Option<Vec<u8>> {
        let mut budget = max_bytes;
        let mut keep = alloc::vec![false; self.items.len()];
        for (k, it) in keep.iter_mut().zip(&self.items) {
            if it.e.meta && it.e.body.len() <= budget {
                budget -= it.e.body.len();
                *k = true;
            }
        }
        for (k, it) in keep.iter_mut().zip(&self.items).rev() {
            if !it.e.meta && it.e.body.len() <= budget {
                budget -= it.e.body.len();
                *k = true;
            }
        }
        let mut items: Vec<StoredItem> = self
            .items
            .iter()
            .zip(&keep)
            .filter(|(_, k)| **k)
            .map(|(it, _)| StoredItem::from_entry(&it.e, it.crc))
            .collect();
        // Batches left out stand as placeholders, so the next page load still explains them.
        for (it, _) in self.items.iter().zip(&keep).filter(|(it, k)| !**k && !it.e.meta) {
            if let Some(e) = placeholder(&it.e, GapReason::MemoryBound) {
                if e.body.len() <= budget {
                    budget -= e.body.len();
                    items.push(StoredItem::from_entry(&e, crc32(&e.body)));
                }
            }
        }
        if let Some(old) = existing.and_then(|b| postcard::from_bytes::<Stored>(b).ok()) {
            for it in old.items {
                if !self.owned_pids.contains(&it.pid) && it.body.len() <= budget {
                    budget -= it.body.len();
                    items.push(it);
                }
            }
        }
        self.dirty = false;
        self.stored = !items.is_empty();
        if items.is_empty() {
            return None;
        }
        crate::codec::to_vec(&Stored { v: STORED_VERSION, items })
    }

    /// Takes the requests an earlier page load of the tab stored; they are sent first, with
    /// their own session, page load and seq. Entries whose checksum does not match are left
    /// out. Returns how many were restored.
    pub fn restore(&mut self, blob: &[u8]) -> usize {
        let Ok(stored) = postcard::from_bytes::<Stored>(blob) else { return 0 };
        if stored.v != STORED_VERSION {
            return 0;
        }
        let mut n = 0;
        for it in stored.items {
            if crc32(&it.body) != it.crc {
                continue;
            }
            let crc = it.crc;
            self.insert(it.into_entry(), crc, 0);
            n += 1;
        }
        self.stats.restored += n as u64;
        n
    }
}

const STORED_VERSION: u8 = 1;

/// The placeholder for a dropped event batch (see the module doc): its envelope with only
/// `Gap` events, for its own seq (`bytes` its size) and the gaps it carried. `None` when the
/// body is not an event batch envelope.
pub fn placeholder(e: &Entry, reason: GapReason) -> Option<Entry> {
    if e.meta {
        return None;
    }
    let mut env = batch_header(&e.body)?;
    let same = matches!(&env.body, Body::Events(b) if b.seq == e.seq) && env.pid == e.pid && env.sid == e.sid;
    if !same {
        return None;
    }
    let mut marks = e.gaps.clone();
    // (A placeholder dropped in turn already says so.)
    if !marks.iter().any(|m| m.from_seq <= e.seq && e.seq <= m.to_seq) {
        marks.push(GapMark { from_seq: e.seq, to_seq: e.seq, bytes: e.body.len() as u64, reason });
    }
    let events = marks
        .iter()
        .map(|m| Event {
            dt_ms: 0,
            data: EventData::Gap { from_seq: m.from_seq, to_seq: m.to_seq, dropped_bytes: m.bytes, reason: m.reason },
        })
        .collect();
    if let Body::Events(b) = &mut env.body {
        b.events = events;
    }
    Some(Entry {
        meta: false,
        sid: e.sid.clone(),
        pid: e.pid,
        seq: e.seq,
        url: e.url.clone(),
        body: crate::codec::encode(&env),
        compress: false,
        snapshot: false,
        gaps: marks,
    })
}

/// The envelope of an encoded event batch without its events (postcard: varints, strings as
/// length and bytes), read by hand: decoding the whole schema would cost the agent its
/// deserializer code. `None` when it is not one.
fn batch_header(b: &[u8]) -> Option<Envelope> {
    struct R<'a>(&'a [u8], usize);
    impl R<'_> {
        fn var(&mut self) -> Option<u64> {
            let mut x = 0u64;
            for shift in (0..70).step_by(7) {
                let byte = *self.0.get(self.1)?;
                self.1 += 1;
                x |= ((byte & 0x7f) as u64).checked_shl(shift)?;
                if byte & 0x80 == 0 {
                    return Some(x);
                }
            }
            None
        }
        fn string(&mut self) -> Option<String> {
            let n = usize::try_from(self.var()?).ok()?;
            let s = self.0.get(self.1..self.1.checked_add(n)?)?;
            self.1 += n;
            String::from_utf8(s.to_vec()).ok()
        }
    }
    let mut r = R(b, 0);
    let v = u16::try_from(r.var()?).ok()?;
    let wid = r.var()?;
    let vid = r.string()?;
    let sid = r.string()?;
    let pid = u32::try_from(r.var()?).ok()?;
    if r.var()? != 1 {
        return None; // Meta
    }
    let seq = u32::try_from(r.var()?).ok()?;
    let t0_ms = r.var()?;
    let t1_ms = r.var()?;
    Some(Envelope { v, wid, vid, sid, pid, body: Body::Events(EventBatch { seq, t0_ms, t1_ms, events: Vec::new() }) })
}

/// The `sessionStorage` blob (postcard), before [`to_latin1`].
#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    v: u8,
    items: Vec<StoredItem>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredItem {
    meta: bool,
    sid: String,
    pid: u32,
    seq: u32,
    url: String,
    compress: bool,
    snapshot: bool,
    gaps: Vec<GapMark>,
    crc: u32,
    body: Vec<u8>,
}

impl StoredItem {
    fn from_entry(e: &Entry, crc: u32) -> StoredItem {
        StoredItem {
            meta: e.meta,
            sid: e.sid.clone(),
            pid: e.pid,
            seq: e.seq,
            url: e.url.clone(),
            compress: e.compress,
            snapshot: e.snapshot,
            gaps: e.gaps.clone(),
            crc,
            body: e.body.clone(),
        }
    }

    fn into_entry(self) -> Entry {
        Entry {
            meta: self.meta,
            sid: self.sid,
            pid: self.pid,
            seq: self.seq,
            url: self.url,
            body: self.body,
            compress: self.compress,
            snapshot: self.snapshot,
            gaps: self.gaps,
        }
    }
}

/// Bytes as a string of chars U+0000..U+00FF, one per byte: the most compact form Web Storage
/// (which stores strings) takes, with no encoding step in JavaScript.
pub fn to_latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

/// The inverse of [`to_latin1`]; `None` when a char is above U+00FF (not written by us).
pub fn from_latin1(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(c as u32).ok()).collect()
}
