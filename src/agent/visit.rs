//! The agent's side of visit recording (interactions, navigation, errors, requests, device):
//! what the browser glue reports, recorded as events, with the session kept alive by the
//! visitor's activity. A child module of `agent`, so it shares the page-view path.

use super::Agent;
use crate::config::ACTIVITY_REFRESH_MS;
use crate::event::{EventData, NavKind};
use alloc::string::String;

/// Visit state the agent keeps (one field of [`Agent`]).
#[derive(Debug, Clone, Default)]
pub struct VisitState {
    /// URL of the latest page view made by a History API or hash navigation, until a
    /// `virtualPage` without a name for that same URL is absorbed by it.
    history_view: Option<String>,
}

impl Agent {
    /// Records one event of the visit (pointer, scroll, viewport, focus, media, error,
    /// request, device, visibility). `active`: the visitor did it, which keeps the session
    /// alive (refreshing the session cookie at most every `ACTIVITY_REFRESH_MS`).
    pub fn record_visit(&mut self, now_ms: u64, data: EventData, active: bool) {
        if active {
            self.user_activity(now_ms);
        }
        self.record(now_ms, data);
    }

    /// [`Agent::record_visit`] for an event that happened at `t_ms`, possibly before events
    /// already recorded (a pointer batch is recorded when it ends, at the time of its first
    /// position; a throttled value when it is released, at the time it was seen): it is placed
    /// among the buffered events in time order, so a replay never has to move it.
    pub fn record_visit_at(&mut self, t_ms: u64, data: EventData, active: bool) {
        if active {
            self.user_activity(t_ms);
        }
        // Recorded the usual way (privacy gate, redaction, sizes), then moved back among the
        // events it precedes.
        let n = self.events.len();
        self.record(t_ms, data);
        if self.events.len() != n + 1 || n == 0 {
            return;
        }
        let dt = self.events[n].dt_ms;
        if self.events[n - 1].dt_ms <= dt {
            return;
        }
        let i = self.events[..n].partition_point(|e| e.dt_ms <= dt);
        let ev = self.events.remove(n);
        self.events.insert(i, ev);
    }

    /// The events recorded and not yet sealed into a batch, with their times (ms since epoch).
    pub fn buffered_events(&self) -> impl Iterator<Item = (u64, &EventData)> + '_ {
        self.events.iter().map(|e| (self.batch_t0_ms + e.dt_ms as u64, &e.data))
    }

    /// The visitor did something. Cheap when called often: the session (and its cookie) is
    /// touched at most every `ACTIVITY_REFRESH_MS`; a session that ended rolls over here.
    pub fn user_activity(&mut self, now_ms: u64) {
        let last = self.session.last_ms;
        if now_ms >= last && now_ms - last < ACTIVITY_REFRESH_MS {
            return;
        }
        self.activity(now_ms);
    }

    /// A History API, hash or back/forward-cache navigation inside the page load: a
    /// `Navigation` event and a page view (virtual, like `virtualPage`). The page view is not
    /// counted twice when the latest one already has this URL (a `virtualPage('/x')` made
    /// just before `pushState` to `/x`).
    pub fn navigation(&mut self, now_ms: u64, url: String, title: String, kind: NavKind) {
        self.activity(now_ms);
        self.location = (url.clone(), title.clone());
        if self.last_page.0 != url {
            self.page_view(now_ms, url.clone(), title, true);
            self.visit.history_view = Some(url.clone());
        }
        self.record(now_ms, EventData::Navigation { url, kind });
    }

    /// `virtualPage` without a name right after a History navigation to the same URL (the
    /// usual single-page-app call sequence) is that same page view, already counted; its title
    /// (routers set it after navigating) replaces the one noted, if not sent yet.
    pub(super) fn absorbs_virtual_page(&mut self, url: &str, title: &str) -> bool {
        if self.visit.history_view.as_deref() != Some(url) || self.last_page.0 != url {
            return false;
        }
        self.visit.history_view = None;
        // Page views are kept with deny-listed URL parameters redacted (agent/gate.rs).
        let sent = self.redact_url(String::from(url));
        if let Some(p) = self.pending_pages.last_mut().filter(|p| p.url == sent) {
            p.title = String::from(title);
        }
        self.last_page.1 = String::from(title);
        true
    }

    /// The page came back from the back/forward cache: a page view again (the visitor is
    /// looking at it anew; a reload would have recorded one too), a `Navigation` event, and a
    /// new full snapshot, since the page may have changed while frozen.
    pub fn bfcache_restored(&mut self, now_ms: u64, url: String, title: String) {
        self.activity(now_ms);
        self.location = (url.clone(), title.clone());
        self.page_view(now_ms, url.clone(), title, false);
        self.visit.history_view = None;
        self.record(now_ms, EventData::Navigation { url, kind: NavKind::Pop });
        self.snapshot_request = true;
    }
}
