//! Per-site settings in SQLite (table `site_settings`, migration 3): the JSON of
//! `insp_agent::settings::SiteSettings`; a site without a row has the defaults.

use crate::error::{Error, Result};
use insp_agent::settings::SiteSettings;
use rusqlite::{params, Connection, OptionalExtension};

fn int(v: u64) -> Option<i64> {
    i64::try_from(v).ok()
}

/// The settings of site `wid`; `None` for an unknown site.
pub fn load(conn: &Connection, wid: u64) -> Result<Option<SiteSettings>> {
    let Some(w) = int(wid) else { return Ok(None) };
    let row: Option<Option<String>> = conn
        .query_row(
            "SELECT s.settings FROM sites LEFT JOIN site_settings s ON s.wid = sites.wid WHERE sites.wid = ?1",
            [w],
            |r| r.get(0),
        )
        .optional()?;
    match row {
        None => Ok(None),
        Some(None) => Ok(Some(SiteSettings::default())),
        Some(Some(json)) => {
            let mut s: SiteSettings = serde_json::from_str(&json)
                .map_err(|e| Error::Internal(format!("site {wid}: bad settings: {e}")))?;
            s.normalize();
            Ok(Some(s))
        }
    }
}

/// Stores `settings` (normalized) for site `wid`; `None` for an unknown site.
pub fn store(conn: &Connection, wid: u64, mut settings: SiteSettings) -> Result<Option<SiteSettings>> {
    let Some(w) = int(wid) else { return Ok(None) };
    let exists: Option<i64> = conn
        .query_row("SELECT wid FROM sites WHERE wid = ?1", [w], |r| r.get(0))
        .optional()?;
    if exists.is_none() {
        return Ok(None);
    }
    settings.normalize();
    let json = serde_json::to_string(&settings).map_err(|e| Error::Internal(format!("settings: {e}")))?;
    conn.execute(
        "INSERT INTO site_settings (wid, settings) VALUES (?1, ?2)
         ON CONFLICT(wid) DO UPDATE SET settings = excluded.settings",
        params![w, json],
    )?;
    Ok(Some(settings))
}
