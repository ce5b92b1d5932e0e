//! Pure decisions of visit recording (pointer sampling, throttles, navigation dedupe, error and
//! request filtering), with time as a parameter so every rule is tested with a fake clock.
//! The browser glue (`browser/interactions.rs`, `browser/navigation.rs`, `browser/hooks.rs`)
//! feeds these and records what they return. Nothing here polls: work happens when an event
//! arrives or on the agent's existing tick, and an idle sampler does nothing on either.

use crate::event::NavKind;
use alloc::string::String;
use alloc::vec::Vec;

/// A finished batch of pointer positions: one `MouseMove` event at `t_ms`, positions
/// `(x, y, ms after t_ms)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveBatch {
    pub t_ms: u64,
    pub positions: Vec<(i32, i32, u32)>,
}

/// Pointer sampling: at most one position per `min_gap_ms`, batched into one event per
/// `batch_ms`. The position where the pointer comes to rest is kept even when it arrived less
/// than `min_gap_ms` after the last sample (as the `tail`), so a replay ends where the pointer
/// did.
#[derive(Debug, Clone)]
pub struct MouseSampler {
    min_gap_ms: u64,
    batch_ms: u64,
    /// Time of the batch's first position.
    t0_ms: u64,
    positions: Vec<(i32, i32, u32)>,
    /// Time of the last accepted position.
    last_ms: Option<u64>,
    /// The latest position not accepted (newer than the last accepted one).
    tail: Option<(i32, i32, u64)>,
}

impl MouseSampler {
    pub fn new(min_gap_ms: u64, batch_ms: u64) -> MouseSampler {
        MouseSampler { min_gap_ms, batch_ms, t0_ms: 0, positions: Vec::new(), last_ms: None, tail: None }
    }

    /// A pointer position seen at `now_ms`. Returns the previous batch when it is due.
    pub fn offer(&mut self, now_ms: u64, x: i32, y: i32) -> Option<MoveBatch> {
        let accept = self.last_ms.is_none_or(|last| now_ms.saturating_sub(last) >= self.min_gap_ms);
        let out = if accept && self.due(now_ms) { self.take() } else { None };
        if accept {
            self.tail = None;
            self.push(now_ms, x, y);
        } else {
            self.tail = Some((x, y, now_ms));
        }
        out
    }

    /// Called on the agent's tick: keeps the resting position and ends a batch that is due.
    pub fn poll(&mut self, now_ms: u64) -> Option<MoveBatch> {
        if let (Some((x, y, t)), Some(last)) = (self.tail, self.last_ms) {
            // No position came after the tail for a whole gap: the pointer rests there.
            if now_ms.saturating_sub(last) >= self.min_gap_ms {
                self.tail = None;
                self.push(t, x, y);
            }
        }
        if self.due(now_ms) {
            self.take()
        } else {
            None
        }
    }

    /// Everything pending, now (page hide, before a new snapshot).
    pub fn flush(&mut self) -> Option<MoveBatch> {
        if let Some((x, y, t)) = self.tail.take() {
            self.push(t, x, y);
        }
        self.take()
    }

    /// Nothing pending: a tick has nothing to do.
    pub fn idle(&self) -> bool {
        self.positions.is_empty() && self.tail.is_none()
    }

    fn due(&self, now_ms: u64) -> bool {
        !self.positions.is_empty() && now_ms.saturating_sub(self.t0_ms) >= self.batch_ms
    }

    fn push(&mut self, t_ms: u64, x: i32, y: i32) {
        if self.positions.is_empty() {
            self.t0_ms = t_ms;
        }
        let dt = t_ms.saturating_sub(self.t0_ms).min(u32::MAX as u64) as u32;
        self.positions.push((x, y, dt));
        self.last_ms = Some(self.last_ms.map_or(t_ms, |l| l.max(t_ms)));
    }

    fn take(&mut self) -> Option<MoveBatch> {
        if self.positions.is_empty() {
            return None;
        }
        Some(MoveBatch { t_ms: self.t0_ms, positions: core::mem::take(&mut self.positions) })
    }
}

/// Leading- and trailing-edge throttle: the first value passes at once, later ones at most
/// once per `interval_ms`; the latest value held back is released by `poll` (the agent's
/// tick) with the time it was seen, so the final position of a scroll or resize is never
/// lost. A value equal to the last one released is dropped.
#[derive(Debug, Clone)]
pub struct Throttle<T> {
    interval_ms: u64,
    last_ms: Option<u64>,
    last: Option<T>,
    pending: Option<(u64, T)>,
}

impl<T: Clone + PartialEq> Throttle<T> {
    pub fn new(interval_ms: u64) -> Throttle<T> {
        Throttle { interval_ms, last_ms: None, last: None, pending: None }
    }

    /// A new value at `now_ms`: returned (with its time) when it may be recorded now.
    pub fn offer(&mut self, now_ms: u64, v: T) -> Option<(u64, T)> {
        if self.last.as_ref() == Some(&v) {
            self.pending = None;
            return None;
        }
        if self.last_ms.is_none_or(|l| now_ms.saturating_sub(l) >= self.interval_ms) {
            self.pending = None;
            return Some(self.release(now_ms, v));
        }
        self.pending = Some((now_ms, v));
        None
    }

    /// The value held back, once the interval since the last release has passed.
    pub fn poll(&mut self, now_ms: u64) -> Option<(u64, T)> {
        let due = self.last_ms.is_none_or(|l| now_ms.saturating_sub(l) >= self.interval_ms);
        if !due {
            return None;
        }
        let (t, v) = self.pending.take()?;
        Some(self.release(t, v))
    }

    /// The value held back, now.
    pub fn flush(&mut self) -> Option<(u64, T)> {
        let (t, v) = self.pending.take()?;
        Some(self.release(t, v))
    }

    /// Forgets the last value released (after a new snapshot has recorded the state anew,
    /// the same value is worth recording again).
    pub fn reset(&mut self) {
        self.last = None;
    }

    fn release(&mut self, t_ms: u64, v: T) -> (u64, T) {
        self.last_ms = Some(self.last_ms.map_or(t_ms, |l| l.max(t_ms)));
        self.last = Some(v.clone());
        (t_ms, v)
    }
}

/// Which History API or hash change is worth recording: only a change of URL (frameworks call
/// `replaceState` with the same URL to store state; a hash change fires both `popstate` and
/// `hashchange`). A `popstate` that only changed the fragment is reported as `Hash`.
#[derive(Debug, Clone, Default)]
pub struct NavTracker {
    last_url: String,
}

impl NavTracker {
    pub fn new(url: &str) -> NavTracker {
        NavTracker { last_url: String::from(url) }
    }

    /// The page's URL is now `url` after `trigger`; `Some(kind)` when it is a navigation.
    pub fn observe(&mut self, url: &str, trigger: NavKind) -> Option<NavKind> {
        if url == self.last_url {
            return None;
        }
        let kind = match trigger {
            NavKind::Pop if strip_fragment(url) == strip_fragment(&self.last_url) => NavKind::Hash,
            k => k,
        };
        self.last_url = String::from(url);
        Some(kind)
    }

    /// The URL last seen.
    pub fn url(&self) -> &str {
        &self.last_url
    }
}

fn strip_fragment(url: &str) -> &str {
    url.split_once('#').map_or(url, |(u, _)| u)
}

/// At most `max_chars` characters of `s` (cut on a character boundary).
pub fn cap(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => String::from(&s[..i]),
        None => String::from(s),
    }
}

/// The agent's own request (ingest and settings: everything under `{collector}/i/`), never
/// recorded as the page's. Other URLs of the collector's origin are the page's own (demo pages
/// served by the collector, say).
pub fn is_agent_url(url: &str, collector: &str) -> bool {
    under(url, collector).is_some_and(|rest| rest.starts_with("/i/"))
}

/// A script of the agent's own, as served by the collector (`inspectlet.js`, `insp.wasm`,
/// `insp.mjs`).
pub fn is_agent_script(url: &str, collector: &str) -> bool {
    under(url, collector)
        .is_some_and(|rest| ["/inspectlet.js", "/insp.wasm", "/insp.mjs"].iter().any(|p| rest.starts_with(p)))
}

/// What follows the collector base in `url`, when `url` is under it.
fn under<'a>(url: &'a str, collector: &str) -> Option<&'a str> {
    if collector.is_empty() {
        return None;
    }
    let rest = url.strip_prefix(collector)?;
    (rest.is_empty() || rest.starts_with('/') || rest.starts_with('?')).then_some(rest)
}

/// An error that came from the agent's own script: thrown there and with no frame of the
/// page's code in its stack. A page error that merely passes through one of the agent's
/// wrappers (a page's `pushState` throwing, say) still has the page's frames below it, and is
/// the page's.
pub fn is_agent_error(source: &str, stack: &str, collector: &str) -> bool {
    if !is_agent_script(source, collector) {
        return false;
    }
    // Stack lines that name a script location: `at f (https://...:1:2)`, `f@https://...`.
    !stack.lines().any(|line| match line.find("://") {
        Some(i) => {
            let start = line[..i].rfind(['(', '@', ' ']).map_or(0, |j| j + 1);
            !is_agent_script(&line[start..], collector)
        }
        None => false,
    })
}

/// A budget of events per page load (errors, requests): a page throwing in a loop must not
/// fill the recording.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    left: u32,
}

impl Budget {
    pub fn new(max: u32) -> Budget {
        Budget { left: max }
    }

    /// True when one more may be recorded (and counts it).
    pub fn take(&mut self) -> bool {
        if self.left == 0 {
            return false;
        }
        self.left -= 1;
        true
    }
}
