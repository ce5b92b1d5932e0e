//! `insp site add|set` flags for the site settings (see `insp_agent::settings::SiteSettings`).

use clap::Args;
use insp_agent::settings::SiteSettings;

#[derive(Debug, Args, Default, Clone)]
pub struct SettingsArgs {
    /// Mask every text input, textarea and select value (inspectlet-whitelist reveals one).
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub censor_inputs: Option<bool>,
    /// Record the page's fetch/XMLHttpRequest calls.
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub record_network: Option<bool>,
    /// Treat Global Privacy Control (navigator.globalPrivacyControl, Sec-GPC) as an opt-out.
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub honor_gpc: Option<bool>,
    /// Also redact this URL parameter's value (repeatable; token, code, password, session and
    /// auth always are).
    #[arg(long = "deny-param", value_name = "NAME")]
    pub deny_params: Vec<String>,
    /// Stop redacting a parameter added with --deny-param (repeatable; not the defaults).
    #[arg(long = "allow-param", value_name = "NAME")]
    pub allow_params: Vec<String>,
    /// Refuse tags with this key, or under it (`user` blocks `user.email`) (repeatable).
    #[arg(long = "block-tag-key", value_name = "KEY")]
    pub block_tag_keys: Vec<String>,
    /// Accept a blocked tag key again (repeatable).
    #[arg(long = "unblock-tag-key", value_name = "KEY")]
    pub unblock_tag_keys: Vec<String>,
}

impl SettingsArgs {
    pub fn is_empty(&self) -> bool {
        self.censor_inputs.is_none()
            && self.record_network.is_none()
            && self.honor_gpc.is_none()
            && self.deny_params.is_empty()
            && self.allow_params.is_empty()
            && self.block_tag_keys.is_empty()
            && self.unblock_tag_keys.is_empty()
    }

    /// `s` with these changes, normalized.
    pub fn apply(&self, s: &mut SiteSettings) -> Result<(), String> {
        for p in &self.deny_params {
            if p.trim().is_empty() || p.contains(['=', '&', '#', '?']) {
                return Err(format!("--deny-param {p:?} is not a parameter name"));
            }
        }
        if let Some(v) = self.censor_inputs {
            s.censor_inputs = v;
        }
        if let Some(v) = self.record_network {
            s.record_network = v;
        }
        if let Some(v) = self.honor_gpc {
            s.honor_gpc = v;
        }
        s.url_deny_params.extend(self.deny_params.iter().cloned());
        let allow: Vec<String> = self.allow_params.iter().map(|p| p.trim().to_ascii_lowercase()).collect();
        s.url_deny_params.retain(|p| !allow.contains(p));
        s.blocked_tag_keys.extend(self.block_tag_keys.iter().cloned());
        s.blocked_tag_keys.retain(|k| !self.unblock_tag_keys.iter().any(|u| u.trim() == k.trim()));
        s.normalize();
        Ok(())
    }
}
