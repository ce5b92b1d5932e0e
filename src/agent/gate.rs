//! When the agent may record and send: site settings, consent and opt-out. A child module of
//! `agent`; the rules themselves are in `crate::privacy` and `crate::settings`.
//!
//! * Settings: the browser glue starts the agent with `await_settings`; until the collector's
//!   [`SettingsReply`] arrives (or its request fails, or `SETTINGS_TIMEOUT_MS` passes, then
//!   [`SiteSettings::fallback`] applies) nothing is recorded, no cookie is written and
//!   nothing is sent. Commands are applied meanwhile: tags and identity are kept in memory.
//! * Consent: `['consent', false]` holds everything the same way until `['consent', true]`
//!   (before load: nothing is recorded, stored or sent until then; tags and identity pushed
//!   meanwhile are kept in memory and sent after consent). Withdrawn after recording began,
//!   recording stops: what was not sent yet is dropped, and a later `['consent', true]`
//!   resumes with a new full snapshot (tags and identity are sent again).
//! * Opt-out: the collector answered `record: false` (its opt-out cookie, or `Sec-GPC`), the
//!   site's own `__insp_optout` cookie is set, or Global Privacy Control is on and the site
//!   honours it: nothing at all is sent for this page load, no cookie is written, and what
//!   was held is dropped.

use super::Agent;
use crate::config::SETTINGS_TIMEOUT_MS;
use crate::event::EventData;
use crate::privacy;
use crate::session::SetCookie;
use crate::settings::{SettingsReply, SiteSettings};
use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// How the agent starts, privacy-wise (see [`Agent::with_privacy`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct PrivacyStart {
    /// Wait for the collector's site settings before recording anything (what the browser
    /// glue does). Without it the agent starts at once with [`SiteSettings::default`].
    pub await_settings: bool,
    /// `navigator.globalPrivacyControl` was `true`.
    pub gpc: bool,
}

/// The agent's privacy state (one field of [`Agent`]).
#[derive(Debug, Clone)]
pub struct Gate {
    settings: SiteSettings,
    /// The deny-list in effect (settings' list plus defaults, lower case).
    deny: Vec<String>,
    /// Settings decided: answered, fallen back, or not awaited.
    known: bool,
    requested: bool,
    deadline_ms: Option<u64>,
    consent_held: bool,
    opted_out: bool,
    gpc: bool,
    optout_cookie: bool,
    /// The page load's `Start` event was recorded.
    started: bool,
    /// `Start`'s referrer and viewport, until the gate opens.
    held_start: Option<(String, u32, u32)>,
    /// Bumped whenever the settings in effect change.
    generation: u32,
}

impl Gate {
    pub(super) fn new(p: PrivacyStart, optout_cookie: bool, referrer: String, width: u32, height: u32) -> Gate {
        let settings = if p.await_settings { SiteSettings::fallback() } else { SiteSettings::default() };
        Gate {
            deny: privacy::deny_list(&settings.url_deny_params),
            settings,
            known: !p.await_settings,
            requested: false,
            deadline_ms: None,
            consent_held: false,
            opted_out: optout_cookie,
            gpc: p.gpc,
            optout_cookie,
            started: false,
            held_start: Some((referrer, width, height)),
            generation: 0,
        }
    }

    /// Recording and sending are allowed now.
    pub fn open(&self) -> bool {
        self.known && !self.consent_held && !self.opted_out
    }
}

impl Agent {
    /// The site settings in effect: the collector's once they arrived, the most private
    /// defaults ([`SiteSettings::fallback`]) before that or when they could not be had.
    pub fn settings(&self) -> &SiteSettings {
        &self.gate.settings
    }

    /// The URL deny-list in effect (lower case, defaults included).
    pub fn url_deny_params(&self) -> &[String] {
        &self.gate.deny
    }

    /// Changes whenever the settings in effect change (the glue reconfigures the reader).
    pub fn settings_generation(&self) -> u32 {
        self.gate.generation
    }

    /// Recording and sending are allowed: settings known, consent not withheld, not opted out.
    pub fn recording(&self) -> bool {
        self.gate.open()
    }

    /// This browser is not to be recorded on this page load (for good).
    pub fn opted_out(&self) -> bool {
        self.gate.opted_out
    }

    /// `['consent', false]` is in force.
    pub fn consent_held(&self) -> bool {
        self.gate.consent_held
    }

    /// The settings request to make now, once: `GET {collector}/i/v1/settings?wid=N`, sent
    /// with credentials (the collector's opt-out cookie). `None` before the site is known,
    /// when settings are not awaited, after an opt-out, or once asked.
    pub fn settings_request(&mut self, now_ms: u64) -> Option<String> {
        if self.gate.known || self.gate.requested || self.gate.opted_out {
            return None;
        }
        let wid = self.wid?;
        self.gate.requested = true;
        self.gate.deadline_ms = Some(now_ms.saturating_add(SETTINGS_TIMEOUT_MS));
        Some(format!("{}/i/v1/settings?wid={}", self.collector, wid))
    }

    /// The answer to the settings request: the body of a 2xx answer, or `None` when the
    /// request failed (network error, other status): then the fallback settings apply. A
    /// "do not record" answer stops the agent for the page load even if it arrives after
    /// the timeout made it start.
    pub fn settings_reply(&mut self, now_ms: u64, body: Option<&[u8]>) {
        match body.and_then(SettingsReply::decode) {
            Some(reply) => {
                let mut s = reply.settings;
                s.normalize();
                let record = privacy::should_record(reply.record, &s, self.gate.gpc, self.gate.optout_cookie);
                self.set_settings(s, now_ms);
                if !record {
                    self.opt_out();
                }
            }
            None if !self.gate.known => {
                self.log.push((super::Level::Warn, String::from("site settings unavailable; recording with the most private defaults")));
                self.set_settings(SiteSettings::fallback(), now_ms);
            }
            None => {}
        }
        self.open_if_allowed(now_ms);
    }

    fn set_settings(&mut self, s: SiteSettings, _now_ms: u64) {
        self.gate.known = true;
        self.gate.deadline_ms = None;
        if self.gate.gpc && s.honor_gpc {
            self.opt_out();
        }
        if s == self.gate.settings {
            return;
        }
        let reconfigure = self.gate.started;
        self.gate.deny = privacy::deny_list(&s.url_deny_params);
        self.gate.settings = s;
        // Page views held until now were redacted with the defaults only.
        let deny = &self.gate.deny;
        for p in &mut self.pending_pages {
            if let Cow::Owned(r) = privacy::redact_url(&p.url, deny) {
                p.url = r;
            }
        }
        self.gate.generation = self.gate.generation.wrapping_add(1);
        if reconfigure {
            // Recording began with other settings (the answer came after the timeout): the
            // next snapshot is taken under the new ones.
            self.snapshot_request = true;
        }
    }

    /// This browser is not recorded: everything held or unsent is dropped.
    fn opt_out(&mut self) {
        if !self.gate.opted_out {
            self.debug_log(|| String::from("opted out: nothing is recorded or sent"));
        }
        self.gate.opted_out = true;
        self.drop_unsent();
        self.cookies.clear();
        self.pending_tags.clear();
        self.pending_pages.clear();
        self.identity_dirty = false;
        self.meta_due_ms = None;
    }

    /// Events not sealed yet, and sealed requests not delivered yet, are forgotten.
    fn drop_unsent(&mut self) {
        self.events.clear();
        self.events_bytes = 0;
        let policy = *self.outbox.policy();
        self.outbox = Default::default();
        self.outbox.set_policy(policy);
    }

    /// `['consent', granted]`.
    pub(super) fn set_consent(&mut self, granted: bool, now_ms: u64) {
        if granted {
            if self.gate.consent_held {
                self.gate.consent_held = false;
                if self.gate.started {
                    // Resumed: what the collector may have missed is sent again, and the DOM
                    // is recorded anew (the glue restarts it with a full snapshot).
                    self.identity_dirty = self.identity.is_some();
                    self.pending_tags = self.tags.iter().cloned().collect();
                    self.schedule_meta(now_ms);
                    self.record(now_ms, EventData::Note { text: String::from("consent given: recording resumed") });
                }
            }
            self.open_if_allowed(now_ms);
        } else if !self.gate.consent_held {
            self.gate.consent_held = true;
            self.drop_unsent();
        }
    }

    /// Opens the recording once the gate allows it: the page load's `Start` event and page
    /// view (with the location at this moment), and the cookies held so far.
    pub(super) fn open_if_allowed(&mut self, now_ms: u64) {
        if !self.gate.open() || self.gate.started {
            return;
        }
        self.gate.started = true;
        let (referrer, width, height) = self.gate.held_start.take().unwrap_or_default();
        let (url, title) = self.location.clone();
        self.cookies.extend(self.session.cookies());
        self.page_view(now_ms, url.clone(), title, false);
        self.record(now_ms, EventData::Start { url, referrer, width, height });
    }

    /// Called first by `tick`: falls back to default settings after the timeout. Returns
    /// whether anything may be sent.
    pub(super) fn gate_tick(&mut self, now_ms: u64) -> bool {
        if !self.gate.known && self.gate.deadline_ms.is_some_and(|d| now_ms >= d) {
            self.log.push((super::Level::Warn, String::from("site settings did not arrive in time; recording with the most private defaults")));
            self.set_settings(SiteSettings::fallback(), now_ms);
            self.open_if_allowed(now_ms);
        }
        self.gate.open()
    }

    /// Cookies may be written (the gate is open); while closed they wait, one per name.
    pub(super) fn cookies_allowed(&mut self) -> bool {
        if self.gate.open() {
            return true;
        }
        if self.gate.opted_out {
            self.cookies.clear();
        } else {
            let mut seen: Vec<&'static str> = Vec::new();
            let mut keep: Vec<SetCookie> = Vec::new();
            for c in core::mem::take(&mut self.cookies).into_iter().rev() {
                if !seen.contains(&c.name) {
                    seen.push(c.name);
                    keep.push(c);
                }
            }
            keep.reverse();
            self.cookies = keep;
        }
        false
    }

    /// A URL as it may be recorded: deny-listed parameters redacted.
    pub fn redact_url(&self, url: String) -> String {
        match privacy::redact_url(&url, &self.gate.deny) {
            Cow::Borrowed(_) => url,
            Cow::Owned(r) => r,
        }
    }

    /// The URLs inside an event, redacted.
    pub(super) fn redact_event(&self, data: &mut EventData) {
        let deny = &self.gate.deny;
        let fix = |s: &mut String| {
            if let Cow::Owned(r) = privacy::redact_url(s, deny) {
                *s = r;
            }
        };
        match data {
            EventData::Start { url, referrer, .. } => {
                fix(url);
                fix(referrer);
            }
            EventData::Page { url, .. } | EventData::Navigation { url, .. } => fix(url),
            EventData::Network(n) => fix(&mut n.url),
            EventData::Error(e) => fix(&mut e.source),
            EventData::Device(d) => fix(&mut d.referrer),
            _ => {}
        }
    }

    /// The pending tags, without those the site blocks (the collector refuses them anyway).
    pub(super) fn take_allowed_tags(&mut self) -> Vec<crate::event::Tag> {
        let mut tags = core::mem::take(&mut self.pending_tags);
        let s = &self.gate.settings;
        if !s.blocked_tag_keys.is_empty() {
            tags.retain(|t| !s.tag_key_blocked(&t.key));
        }
        tags
    }
}
