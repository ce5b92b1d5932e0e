//! Site settings: what the site owner decided about recording, stored per site by the
//! collector, edited through its API and CLI, and fetched by the agent before it records
//! anything (`GET /i/v1/settings?wid=N`, answered with a [`SettingsReply`] in the shared
//! postcard encoding).

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// URL parameters whose values are always redacted (a site's own list only adds to these).
pub const DEFAULT_URL_DENY_PARAMS: [&str; 5] = ["token", "code", "password", "session", "auth"];

/// At most this many entries in `url_deny_params` and in `blocked_tag_keys`.
pub const SETTINGS_LIST_MAX: usize = 64;
/// Longest entry of those lists, in characters.
pub const SETTINGS_ENTRY_MAX_CHARS: usize = 128;

/// Version of the [`SettingsReply`] shape. Fields are only ever appended (an older agent
/// ignores trailing bytes it does not know).
pub const SETTINGS_VERSION: u16 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteSettings {
    /// Mask every text input, textarea and select (unless `inspectlet-whitelist`).
    pub censor_inputs: bool,
    /// Record the page's fetch / XMLHttpRequest calls (method, URL, status, sizes, timing).
    pub record_network: bool,
    /// Treat `navigator.globalPrivacyControl` (and the `Sec-GPC: 1` header) as an opt-out.
    pub honor_gpc: bool,
    /// URL parameters whose values are replaced by `REDACTED` (lower case; always includes
    /// [`DEFAULT_URL_DENY_PARAMS`]).
    pub url_deny_params: Vec<String>,
    /// Tag keys the collector refuses (a key is refused when it equals an entry or starts
    /// with the entry followed by `.`); the agent does not send them either.
    pub blocked_tag_keys: Vec<String>,
}

impl Default for SiteSettings {
    /// The settings of a new site.
    fn default() -> Self {
        SiteSettings {
            censor_inputs: true,
            record_network: true,
            honor_gpc: false,
            url_deny_params: DEFAULT_URL_DENY_PARAMS.iter().map(|s| String::from(*s)).collect(),
            blocked_tag_keys: Vec::new(),
        }
    }
}

impl SiteSettings {
    /// What the agent uses when the collector's answer cannot be had: the most private
    /// choice of each setting.
    pub fn fallback() -> Self {
        SiteSettings { record_network: false, honor_gpc: true, ..SiteSettings::default() }
    }

    /// Cleans lists as stored: deny params trimmed, lower-cased, defaults added, duplicates
    /// and empty entries removed; tag keys trimmed, duplicates and empty ones removed; both
    /// capped ([`SETTINGS_LIST_MAX`] entries of [`SETTINGS_ENTRY_MAX_CHARS`]).
    pub fn normalize(&mut self) {
        self.url_deny_params = crate::privacy::deny_list(&self.url_deny_params)
            .into_iter()
            .filter(|d| d.chars().count() <= SETTINGS_ENTRY_MAX_CHARS)
            .take(SETTINGS_LIST_MAX)
            .collect();
        let mut keys: Vec<String> = Vec::new();
        for k in &self.blocked_tag_keys {
            let k = k.trim();
            if !k.is_empty() && k.chars().count() <= SETTINGS_ENTRY_MAX_CHARS && !keys.iter().any(|x| x == k) {
                keys.push(String::from(k));
            }
        }
        keys.truncate(SETTINGS_LIST_MAX);
        self.blocked_tag_keys = keys;
    }

    /// Whether a tag key is refused: it equals a blocked key or lies under one (`user` blocks
    /// `user` and `user.email`, not `username`). Case-sensitive, like tags.
    pub fn tag_key_blocked(&self, key: &str) -> bool {
        self.blocked_tag_keys.iter().any(|b| {
            key == b || (key.len() > b.len() && key.starts_with(b.as_str()) && key.as_bytes()[b.len()] == b'.')
        })
    }
}

/// The collector's answer to the agent's settings request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsReply {
    pub v: u16,
    /// `false`: do not record this browser (it opted out of this site or of every site, or
    /// sent `Sec-GPC: 1` to a site honouring it). The agent then sends nothing at all.
    pub record: bool,
    pub settings: SiteSettings,
}

impl SettingsReply {
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// Decodes an answer; trailing bytes (fields of a newer collector) are ignored.
    pub fn decode(bytes: &[u8]) -> Option<SettingsReply> {
        let (reply, _rest): (SettingsReply, &[u8]) = postcard::take_from_bytes(bytes).ok()?;
        Some(reply)
    }
}
