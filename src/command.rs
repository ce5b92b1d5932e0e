//! Queue entries -> commands.
//!
//! A page pushes `['command', args...]` arrays onto `window.__insp`; the glue converts each
//! entry to a [`Value`] and [`parse`] decides what it means. Bad input never throws on the page
//! and never panics here: it yields warnings (for the console in debug mode), each prefixed with
//! the command it is about (`identify: ...`), or `insp: ` when there is no valid command name.
//!
//! Rules:
//! - `['wid', N]`: a positive integer Number up to 2^53-1 (larger ones are not exact), a string
//!   of digits (surrounding whitespace ignored) or a BigInt.
//! - `['identify', id]`: a string (trimmed, must not be empty) or a finite number (printed as
//!   JavaScript prints it, `1258` -> `"1258"`) or a BigInt; cut to `IDENTITY_MAX_CHARS`.
//! - `['tagSession', x]`: see [`crate::tags`]. A call that yields no tags and no warnings (`{}`)
//!   is still a (no-op) command; one rejected outright (yields nothing but warnings) is not.
//! - `['disableGACapture']`.
//! - `['virtualPage']` or `['virtualPage', name]`: name is a string (trimmed, cut to
//!   `URL_MAX_CHARS`); an empty or non-string name warns and counts as no name.
//! - `['debug']` = `['debug', true]`; `['debug', false]` turns it off.
//! - `['collector', 'https://host[:port][/path]']`: http(s) only, no query, fragment, user info
//!   or whitespace; scheme and host lower-cased, trailing slashes removed. A bad URL is refused
//!   (not repaired) so data is never sent somewhere the site did not mean.
//! - `['consent', bool]`: must be an explicit boolean; a missing argument is refused rather
//!   than read as `true`, since consent must never be assumed.
//! - `undefined` arguments count as missing; extra arguments are ignored with a warning.
//! - Command names are case-sensitive (as in Inspectlet); a near miss gets a "did you mean".

use crate::config::{IDENTITY_MAX_CHARS, URL_MAX_CHARS};
use crate::event::Tag;
use crate::jsnum::number_to_string;
use crate::tags::{self, describe, truncate_chars};
use crate::value::Value;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Site id.
    Wid(u64),
    Identify(String),
    /// Already flattened and limited; merge with [`crate::tags::TagSet::apply`].
    TagSession(Vec<Tag>),
    DisableGaCapture,
    /// A virtual page view; `None` = use the current URL.
    VirtualPage(Option<String>),
    Debug(bool),
    /// Collector base URL, normalised, without trailing slash.
    Collector(String),
    Consent(bool),
}

impl Command {
    /// The command as the debug log shows it. Hand-written: `{:?}` would bring `Debug` of
    /// strings (escaping, Unicode tables) into the wasm for one debug line.
    pub fn describe(&self) -> String {
        match self {
            Command::Wid(w) => format!("wid {w}"),
            Command::Identify(id) => format!("identify '{id}'"),
            Command::TagSession(tags) => {
                let mut s = String::from("tagSession");
                for t in tags {
                    s.push_str(" '");
                    s.push_str(&t.key);
                    if let Some(v) = &t.value {
                        s.push_str("'='");
                        s.push_str(v);
                    }
                    s.push('\'');
                }
                s
            }
            Command::DisableGaCapture => String::from("disableGACapture"),
            Command::VirtualPage(Some(url)) => format!("virtualPage '{url}'"),
            Command::VirtualPage(None) => String::from("virtualPage (current URL)"),
            Command::Debug(on) => format!("debug {on}"),
            Command::Collector(url) => format!("collector '{url}'"),
            Command::Consent(on) => format!("consent {on}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Parsed {
    pub command: Option<Command>,
    pub warnings: Vec<String>,
}

const NAMES: [&str; 8] = [
    "wid",
    "identify",
    "tagSession",
    "disableGACapture",
    "virtualPage",
    "debug",
    "collector",
    "consent",
];

/// Largest integer a JavaScript Number holds exactly (2^53 - 1).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// One queue entry -> at most one command, plus warnings. Never panics.
pub fn parse(entry: &Value) -> Parsed {
    let items = match entry {
        Value::Array(items) => items.as_slice(),
        other => return not_an_entry(other),
    };
    let name = match items.first() {
        Some(Value::String(name)) => name.as_str(),
        Some(other) => return not_an_entry_first(other),
        None => return not_an_entry_first(&Value::Undefined),
    };
    let args = &items[1..];
    let mut p = Parsed::default();

    // How many arguments each command reads; `None` = unknown command.
    let max_args = match name {
        "disableGACapture" => 0,
        "wid" | "identify" | "tagSession" | "virtualPage" | "debug" | "collector" | "consent" => 1,
        _ => {
            let mut msg = format!("insp: unknown command '{}' ignored", short(name));
            if let Some(known) = NAMES.iter().find(|k| k.eq_ignore_ascii_case(name.trim())) {
                msg.push_str(&format!(" (did you mean '{}'?)", known));
            }
            p.warnings.push(msg);
            return p;
        }
    };
    // `undefined` counts as missing, as in `['virtualPage', undefined]`.
    let arg = match args.first() {
        Some(Value::Undefined) | None => None,
        Some(v) => Some(v),
    };
    if args.iter().skip(max_args).any(|v| *v != Value::Undefined) {
        p.warnings
            .push(format!("{}: extra arguments ignored", name));
    }

    p.command = match name {
        "wid" => wid(arg, &mut p.warnings),
        "identify" => identify(arg, &mut p.warnings),
        "tagSession" => {
            let f = tags::flatten(arg.unwrap_or(&Value::Undefined));
            let rejected = f.tags.is_empty() && !f.warnings.is_empty();
            p.warnings.extend(f.warnings);
            if rejected {
                None
            } else {
                Some(Command::TagSession(f.tags))
            }
        }
        "disableGACapture" => Some(Command::DisableGaCapture),
        "virtualPage" => Some(Command::VirtualPage(virtual_page(arg, &mut p.warnings))),
        "debug" => match arg {
            None => Some(Command::Debug(true)),
            Some(Value::Bool(b)) => Some(Command::Debug(*b)),
            Some(other) => {
                p.warnings.push(format!(
                    "debug: expected true or false, got {}; ignored",
                    describe(other)
                ));
                None
            }
        },
        "collector" => collector(arg, &mut p.warnings),
        "consent" => match arg {
            Some(Value::Bool(b)) => Some(Command::Consent(*b)),
            Some(other) => {
                p.warnings.push(format!(
                    "consent: expected true or false, got {}; ignored",
                    describe(other)
                ));
                None
            }
            None => {
                p.warnings
                    .push("consent: expected true or false, got nothing; ignored".into());
                None
            }
        },
        _ => None,
    };
    p
}

fn not_an_entry(v: &Value) -> Parsed {
    Parsed {
        command: None,
        warnings: alloc::vec![format!(
            "insp: ignored a queue entry that is not ['command', ...] (got {})",
            describe(v)
        )],
    }
}

fn not_an_entry_first(first: &Value) -> Parsed {
    Parsed {
        command: None,
        warnings: alloc::vec![format!(
            "insp: ignored a queue entry that is not ['command', ...] (its first element is {})",
            describe(first)
        )],
    }
}

fn wid(arg: Option<&Value>, w: &mut Vec<String>) -> Option<Command> {
    let id = match arg {
        Some(Value::Number(x))
            if x.is_finite() && *x >= 1.0 && x.fract() == 0.0 && *x <= MAX_SAFE_INTEGER =>
        {
            Some(*x as u64)
        }
        Some(Value::String(s)) => digits_to_u64(s.trim()),
        Some(Value::BigInt(d)) => digits_to_u64(d),
        _ => None,
    };
    match id {
        Some(id) if id > 0 => Some(Command::Wid(id)),
        _ => {
            let got = arg.map(describe).unwrap_or_else(|| "nothing".into());
            w.push(format!(
                "wid: expected a positive integer site id, got {}; ignored",
                got
            ));
            None
        }
    }
}

/// Plain decimal digits only: no sign, exponent, dot or hex, so "1e3" or "-4" never pass.
fn digits_to_u64(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn identify(arg: Option<&Value>, w: &mut Vec<String>) -> Option<Command> {
    let id = match arg {
        Some(Value::String(s)) => {
            let t = s.trim();
            if t.is_empty() {
                w.push("identify: empty identity ignored".into());
                return None;
            }
            String::from(t)
        }
        Some(Value::Number(x)) if x.is_finite() => number_to_string(*x),
        Some(Value::BigInt(d)) => d.clone(),
        other => {
            let got = other.map(describe).unwrap_or_else(|| "nothing".into());
            w.push(format!(
                "identify: expected a string or a number, got {}; ignored",
                got
            ));
            return None;
        }
    };
    let id = match truncate_chars(&id, IDENTITY_MAX_CHARS) {
        Some(cut) => {
            w.push(format!(
                "identify: identity longer than {} chars; truncated",
                IDENTITY_MAX_CHARS
            ));
            cut
        }
        None => id,
    };
    Some(Command::Identify(id))
}

fn virtual_page(arg: Option<&Value>, w: &mut Vec<String>) -> Option<String> {
    match arg {
        None => None,
        Some(Value::String(s)) => {
            let t = s.trim();
            if t.is_empty() {
                w.push("virtualPage: empty name ignored; the current URL is used".into());
                return None;
            }
            match truncate_chars(t, URL_MAX_CHARS) {
                Some(cut) => {
                    w.push(format!(
                        "virtualPage: name longer than {} chars; truncated",
                        URL_MAX_CHARS
                    ));
                    Some(cut)
                }
                None => Some(t.into()),
            }
        }
        Some(other) => {
            w.push(format!(
                "virtualPage: expected a string name, got {}; the current URL is used",
                describe(other)
            ));
            None
        }
    }
}

fn collector(arg: Option<&Value>, w: &mut Vec<String>) -> Option<Command> {
    let s = match arg {
        Some(Value::String(s)) => s.trim(),
        other => {
            let got = other.map(describe).unwrap_or_else(|| "nothing".into());
            w.push(format!(
                "collector: expected an http(s) URL string, got {}; ignored",
                got
            ));
            return None;
        }
    };
    match normalize_base_url(s) {
        Ok(url) => Some(Command::Collector(url)),
        Err(why) => {
            w.push(format!(
                "collector: '{}' is not usable ({}); ignored",
                short(s),
                why
            ));
            None
        }
    }
}

/// `scheme://host[:port][/path]` with the scheme and host lower-cased and trailing slashes cut.
fn normalize_base_url(s: &str) -> Result<String, &'static str> {
    if s.chars().count() > URL_MAX_CHARS {
        return Err("too long");
    }
    if !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("spaces, control or non-ASCII characters");
    }
    let lower_prefix = |p: &str| s.len() >= p.len() && s[..p.len()].eq_ignore_ascii_case(p);
    let (scheme, rest) = if lower_prefix("https://") {
        ("https", &s[8..])
    } else if lower_prefix("http://") {
        ("http", &s[7..])
    } else {
        return Err("must start with https:// or http://");
    };
    if rest.contains(['?', '#', '@', '\\']) {
        return Err("no query, fragment or user info allowed");
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (host, port) = split_host_port(authority)?;
    let mut url = format!("{}://{}", scheme, host.to_ascii_lowercase());
    if let Some(port) = port {
        url.push_str(&format!(":{}", port));
    }
    url.push_str(path.trim_end_matches('/'));
    Ok(url)
}

fn split_host_port(authority: &str) -> Result<(&str, Option<u16>), &'static str> {
    let (host, port) = if authority.starts_with('[') {
        // IPv6 literal: "[::1]" or "[::1]:8080".
        let end = authority.find(']').ok_or("bad IPv6 host")?;
        let inner = &authority[1..end];
        if inner.is_empty()
            || !inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err("bad IPv6 host");
        }
        let after = &authority[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err("bad IPv6 host"),
        };
        (&authority[..=end], port)
    } else {
        let (host, port) = match authority.rfind(':') {
            Some(i) => (&authority[..i], Some(&authority[i + 1..])),
            None => (authority, None),
        };
        if host.is_empty() {
            return Err("no host");
        }
        if !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
        {
            return Err("bad host");
        }
        (host, port)
    };
    let port = match port {
        None => None,
        Some(p) => match digits_to_u64(p) {
            Some(n @ 1..=65535) => Some(n as u16),
            _ => return Err("bad port"),
        },
    };
    Ok((host, port))
}

/// Untrusted text quoted in a warning, cut so one warning stays one line.
fn short(s: &str) -> String {
    match truncate_chars(s, 60) {
        Some(mut cut) => {
            cut.push_str("...");
            cut
        }
        None => s.into(),
    }
}
