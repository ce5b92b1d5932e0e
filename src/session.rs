//! Session and visitor lifecycle. Time and randomness come in as parameters, so the rules are
//! deterministic under test.
//!
//! Cookies (first-party, on the site's own domain, `path=/`, `SameSite=Lax`):
//! - `__insp_vid`: visitor id, kept for a year; links the sessions of one browser.
//! - `__insp_ses`: `SID.START_MS.LAST_MS`, the current session; refreshed on activity.
//! - `__insp_ident`: the identity given to `identify`, URI-encoded, kept for a year.

use crate::config::{SESSION_IDLE_TIMEOUT_MS, SESSION_MAX_DURATION_MS, VISITOR_COOKIE_MAX_AGE_S};
use alloc::format;
use alloc::string::String;

pub const VISITOR_COOKIE: &str = "__insp_vid";
pub const SESSION_COOKIE: &str = "__insp_ses";
pub const IDENTITY_COOKIE: &str = "__insp_ident";

/// A cookie the browser glue must write.
#[derive(Debug, Clone, PartialEq)]
pub struct SetCookie {
    pub name: &'static str,
    pub value: String,
    pub max_age_s: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub vid: String,
    pub sid: String,
    pub start_ms: u64,
    pub last_ms: u64,
}

/// Ids are the creation time and 64 random bits in hex: unique enough, sortable, and short.
pub fn new_id(now_ms: u64, rand: u64) -> String {
    format!("{:x}{:016x}", now_ms, rand)
}

fn valid_id(s: &str) -> bool {
    (8..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn parse_session_cookie(v: &str) -> Option<(String, u64, u64)> {
    let mut it = v.split('.');
    let sid = it.next()?;
    let start: u64 = it.next()?.parse().ok()?;
    let last: u64 = it.next()?.parse().ok()?;
    if it.next().is_some() || !valid_id(sid) || last < start {
        return None;
    }
    Some((sid.into(), start, last))
}

impl Session {
    /// Continues the session from the cookies when it is still alive at `now_ms`, otherwise
    /// starts a new one. The visitor id survives as long as its cookie does.
    pub fn resume(vid_cookie: Option<&str>, ses_cookie: Option<&str>, now_ms: u64, rand: [u64; 2]) -> Session {
        let vid = match vid_cookie {
            Some(v) if valid_id(v) => v.into(),
            _ => new_id(now_ms, rand[0]),
        };
        if let Some((sid, start_ms, last_ms)) = ses_cookie.and_then(parse_session_cookie) {
            let s = Session { vid: vid.clone(), sid, start_ms, last_ms };
            if s.alive_at(now_ms) {
                return s;
            }
        }
        Session { vid, sid: new_id(now_ms, rand[1]), start_ms: now_ms, last_ms: now_ms }
    }

    /// A session dies after the idle timeout or at its maximum duration. A clock that went
    /// backwards does not kill it.
    pub fn alive_at(&self, now_ms: u64) -> bool {
        now_ms.saturating_sub(self.last_ms) < SESSION_IDLE_TIMEOUT_MS
            && now_ms.saturating_sub(self.start_ms) < SESSION_MAX_DURATION_MS
    }

    /// Records activity. Returns `true` when the old session had ended and a new one began.
    pub fn touch(&mut self, now_ms: u64, rand: u64) -> bool {
        if self.alive_at(now_ms) {
            self.last_ms = self.last_ms.max(now_ms);
            false
        } else {
            self.sid = new_id(now_ms, rand);
            self.start_ms = now_ms;
            self.last_ms = now_ms;
            true
        }
    }

    pub fn cookies(&self) -> [SetCookie; 2] {
        [
            SetCookie { name: VISITOR_COOKIE, value: self.vid.clone(), max_age_s: VISITOR_COOKIE_MAX_AGE_S },
            SetCookie {
                name: SESSION_COOKIE,
                value: format!("{}.{}.{}", self.sid, self.start_ms, self.last_ms),
                // The browser forgets it with the idle timeout; the timestamps decide anyway.
                max_age_s: SESSION_IDLE_TIMEOUT_MS / 1000,
            },
        ]
    }
}

/// Parses `document.cookie` and returns the value of `name`.
pub fn cookie_value<'a>(cookie_header: &'a str, name: &str) -> Option<&'a str> {
    cookie_header.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k.trim() == name).then(|| v.trim())
    })
}

/// Minimal URI component encoding for cookie values (identity may hold any text).
pub fn uri_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{:02X}", b));
        }
    }
    out
}

/// Inverse of [`uri_encode`]; `None` for malformed input or invalid UTF-8.
pub fn uri_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = alloc::vec::Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}
