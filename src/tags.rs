//! Tag rules: how `tagSession`'s argument becomes [`Tag`]s, and how a session's tags merge.
//!
//! Decisions (user-visible; mirrored in the README):
//! - **Values are strings**, printed the way JavaScript's `String(v)` prints them: strings as is,
//!   numbers via [`crate::jsnum`] (`149.99` -> `"149.99"`, `1258` -> `"1258"`), booleans
//!   `"true"`/`"false"`, BigInts as their digits. An empty string stays an empty value.
//! - **Arrays** are joined like `String([1, 2])` = `"1,2"`: nested arrays are flattened the
//!   same way, `null`/`undefined` elements print as empty, objects as `"[object Object]"`, and
//!   functions/symbols/cycles as empty (what engines print for a cycle; source text of a
//!   function is never a useful tag).
//! - **`null` and `undefined` values** record the key with no value (`Tag.value == None`), so a
//!   search for the key alone still finds the session, and `{plan: user.plan}` with a missing
//!   plan still says the code ran.
//! - **Functions and symbols** as values are dropped with a warning.
//! - **Nested objects** become dot keys (`{user: {plan: 'pro'}}` -> `user.plan = pro`), up to
//!   [`TAG_MAX_DEPTH`] key segments; deeper objects are dropped with a warning. Empty objects
//!   (at any level) add nothing, without a warning (the docs call `{}` a no-op).
//! - A **string argument** is one tag with no value; an empty string is ignored with a warning.
//!   Any other argument type adds nothing and warns.
//! - **Empty keys** (or empty segments such as `{a: {"": 1}}` -> `"a."`) are dropped with a
//!   warning. Keys and values are case-sensitive and not trimmed.
//! - **Limits** ([`crate::config`]): keys over [`TAG_KEY_MAX_CHARS`] and values over
//!   [`TAG_VALUE_MAX_CHARS`] chars (Unicode scalar values) are truncated with a warning; a
//!   session keeps at most [`TAGS_PER_SESSION_MAX`] distinct keys, further new keys are
//!   dropped with a warning while existing keys can still be updated.
//! - **Merging**: within one call a repeated key keeps the last value; across calls a key's new
//!   value replaces the old one (`converted: false` then `converted: true` ends as `"true"`),
//!   and re-sending an identical tag changes nothing.
//!
//! Every warning begins with `tagSession: `. At most [`MAX_WARNINGS`] are reported per call so a
//! huge object cannot flood the console; the rest are summarised in one last warning.

use crate::config::{TAGS_PER_SESSION_MAX, TAG_KEY_MAX_CHARS, TAG_MAX_DEPTH, TAG_VALUE_MAX_CHARS};
use crate::event::Tag;
use crate::jsnum::number_to_string;
use crate::value::Value;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// Warnings reported per call before the rest are counted in one summary line.
pub const MAX_WARNINGS: usize = 8;

/// How a tag value is stored, or `None` when the value has no string form as a tag value:
/// `null`/`undefined` (recorded by [`flatten`] as a key without value), objects (flattened by
/// [`flatten`], not printed), and functions/symbols (dropped by [`flatten`]).
pub fn stringify(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(x) => Some(number_to_string(*x)),
        Value::Bool(b) => Some(if *b { "true" } else { "false" }.into()),
        Value::BigInt(d) => Some(d.clone()),
        Value::Array(items) => Some(join_array(items)),
        Value::Undefined | Value::Null | Value::Object(_) | Value::Other(_) => None,
    }
}

/// `Array.prototype.join(",")` applied recursively, without recursion (no stack overflow for
/// any nesting the glue hands us).
fn join_array(items: &[Value]) -> String {
    let mut out = String::new();
    let mut stack: Vec<(&[Value], usize)> = Vec::new();
    stack.push((items, 0));
    while let Some(top) = stack.last_mut() {
        let (list, i) = (top.0, top.1);
        if i >= list.len() {
            stack.pop();
            continue;
        }
        top.1 += 1;
        if i > 0 {
            out.push(',');
        }
        match &list[i] {
            Value::Array(inner) => stack.push((inner.as_slice(), 0)),
            Value::Object(_) => out.push_str("[object Object]"),
            other => {
                if let Some(s) = stringify(other) {
                    out.push_str(&s);
                }
            }
        }
    }
    out
}

/// Result of [`flatten`]: tags in first-seen key order, and human-readable warnings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Flattened {
    pub tags: Vec<Tag>,
    pub warnings: Vec<String>,
}

/// Collects warnings with the per-call cap.
#[derive(Default)]
struct Warnings {
    list: Vec<String>,
    suppressed: usize,
}

impl Warnings {
    fn push(&mut self, msg: String) {
        if self.list.len() < MAX_WARNINGS {
            self.list.push(msg);
        } else {
            self.suppressed += 1;
        }
    }
    fn finish(mut self) -> Vec<String> {
        if self.suppressed > 0 {
            self.list.push(format!(
                "tagSession: {} more warnings not shown",
                self.suppressed
            ));
        }
        self.list
    }
}

/// Tags of one call, deduplicated by key (last value wins, first position kept).
#[derive(Default)]
struct Collector {
    tags: Vec<Tag>,
    over_limit: usize,
}

/// Position of `key` in `tags`. A linear scan: there are at most `TAGS_PER_SESSION_MAX` keys,
/// and a map type would cost the wasm about 9 kB of code.
fn find(tags: &[Tag], key: &str) -> Option<usize> {
    tags.iter().position(|t| t.key == key)
}

impl Collector {
    fn put(&mut self, key: String, value: Option<String>) {
        if let Some(i) = find(&self.tags, &key) {
            self.tags[i].value = value;
        } else if self.tags.len() >= TAGS_PER_SESSION_MAX {
            // A session can never hold more keys than this, so stop growing here too.
            self.over_limit += 1;
        } else {
            self.tags.push(Tag { key, value });
        }
    }
}

/// Tags for one `tagSession` argument. See the module doc for every rule.
pub fn flatten(v: &Value) -> Flattened {
    let mut w = Warnings::default();
    let mut c = Collector::default();
    match v {
        Value::String(s) if s.is_empty() => {
            w.push("tagSession: empty string ignored".into());
        }
        Value::String(s) => {
            let key = limit_key(s, &mut w);
            c.put(key, None);
        }
        Value::Object(pairs) => {
            let mut prefix = String::new();
            walk(pairs, &mut prefix, 1, &mut c, &mut w);
        }
        other => {
            w.push(format!(
                "tagSession: expected a string or an object of key/value pairs, got {}; ignored",
                describe(other)
            ));
        }
    }
    let mut warnings = w.finish();
    if c.over_limit > 0 {
        // Outside the cap: losing tags matters more than any single warning above.
        warnings.push(format!(
            "tagSession: more than {} tags in one call; {} dropped",
            TAGS_PER_SESSION_MAX, c.over_limit
        ));
    }
    Flattened {
        tags: c.tags,
        warnings,
    }
}

/// Adds the pairs of one object whose keys sit at `depth` (1 = top level) under `prefix`.
/// Recursion is bounded by `TAG_MAX_DEPTH`.
fn walk(
    pairs: &[(String, Value)],
    prefix: &mut String,
    depth: usize,
    c: &mut Collector,
    w: &mut Warnings,
) {
    for (k, v) in pairs {
        let base_len = prefix.len();
        if k.is_empty() {
            if depth > 1 {
                w.push(format!(
                    "tagSession: empty key under '{}' dropped",
                    shorten(prefix)
                ));
            } else {
                w.push("tagSession: empty key dropped".into());
            }
            continue;
        }
        if depth > 1 {
            prefix.push('.');
        }
        prefix.push_str(k);
        match v {
            Value::Object(inner) if inner.is_empty() => {}
            Value::Object(inner) => {
                if depth >= TAG_MAX_DEPTH {
                    w.push(format!(
                        "tagSession: '{}' is nested deeper than {} levels; its contents dropped",
                        shorten(prefix),
                        TAG_MAX_DEPTH
                    ));
                } else {
                    walk(inner, prefix, depth + 1, c, w);
                }
            }
            Value::Other(what) => {
                w.push(format!(
                    "tagSession: value of '{}' is a {} and cannot be a tag; dropped",
                    shorten(prefix),
                    what
                ));
            }
            _ => {
                let key = limit_key(prefix, w);
                let value = stringify(v).map(|s| limit_value(&key, s, w));
                c.put(key, value);
            }
        }
        prefix.truncate(base_len);
    }
}

fn limit_key(key: &str, w: &mut Warnings) -> String {
    match truncate_chars(key, TAG_KEY_MAX_CHARS) {
        Some(short) => {
            w.push(format!(
                "tagSession: key '{}...' longer than {} chars; truncated",
                shorten(key),
                TAG_KEY_MAX_CHARS
            ));
            short
        }
        None => key.into(),
    }
}

fn limit_value(key: &str, value: String, w: &mut Warnings) -> String {
    match truncate_chars(&value, TAG_VALUE_MAX_CHARS) {
        Some(short) => {
            w.push(format!(
                "tagSession: value of '{}' longer than {} chars; truncated",
                shorten(key),
                TAG_VALUE_MAX_CHARS
            ));
            short
        }
        None => value,
    }
}

/// `Some(first max chars)` when `s` is longer than `max` chars, else `None`.
pub(crate) fn truncate_chars(s: &str, max: usize) -> Option<String> {
    s.char_indices()
        .nth(max)
        .map(|(byte, _)| String::from(&s[..byte]))
}

/// A key as quoted in a warning: long keys are cut so one warning stays one line.
fn shorten(s: &str) -> String {
    const SHOWN: usize = 40;
    match truncate_chars(s, SHOWN) {
        Some(mut short) => {
            short.push_str("...");
            short
        }
        None => s.into(),
    }
}

/// A value's kind as a warning names it, e.g. "the number 3" or "an array".
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Undefined => "undefined".into(),
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {}", b),
        Value::Number(x) => format!("the number {}", number_to_string(*x)),
        Value::BigInt(d) => format!("the bigint {}n", shorten(d)),
        Value::String(s) => format!("the string '{}'", shorten(s)),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
        Value::Other(what) => format!("a {}", what),
    }
}

/// Result of [`TagSet::apply`]: the tags that actually changed (the delta to send, one per key,
/// in first-seen order) and warnings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Applied {
    pub changed: Vec<Tag>,
    pub warnings: Vec<String>,
}

/// The tags of a session: one value per key, kept in the order keys first appeared.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TagSet {
    tags: Vec<Tag>,
}

impl TagSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Restores a saved set. The merge rules still apply (a repeated key keeps its last value,
    /// the key limit holds), silently: the data was already accepted once.
    pub fn from_tags(tags: Vec<Tag>) -> Self {
        let mut set = Self::new();
        set.apply(&tags);
        set
    }

    /// Merges `tags` in order: a new key is added, a known key with a new value is replaced,
    /// an identical tag is ignored. Lengths are not re-checked ([`flatten`] already did).
    pub fn apply(&mut self, tags: &[Tag]) -> Applied {
        let mut changed: Vec<Tag> = Vec::new();
        let mut dropped = 0usize;
        let mut first_dropped: Option<&str> = None;
        for t in tags {
            match find(&self.tags, &t.key) {
                Some(i) if self.tags[i].value == t.value => continue,
                Some(i) => self.tags[i].value = t.value.clone(),
                None if self.tags.len() >= TAGS_PER_SESSION_MAX => {
                    dropped += 1;
                    first_dropped.get_or_insert(t.key.as_str());
                    continue;
                }
                None => self.tags.push(t.clone()),
            }
            // One entry per key in the delta, holding the latest value.
            match find(&changed, &t.key) {
                Some(j) => changed[j].value = t.value.clone(),
                None => changed.push(t.clone()),
            }
        }
        let mut warnings = Vec::new();
        if let Some(first) = first_dropped {
            warnings.push(format!(
                "tagSession: the session already has {} tags; {} new tag(s) dropped, starting with '{}'",
                TAGS_PER_SESSION_MAX,
                dropped,
                shorten(first)
            ));
        }
        Applied { changed, warnings }
    }

    pub fn get(&self, key: &str) -> Option<&Tag> {
        find(&self.tags, key).map(|i| &self.tags[i])
    }

    pub fn len(&self) -> usize {
        self.tags.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    /// Tags in the order their keys first appeared.
    pub fn iter(&self) -> core::slice::Iter<'_, Tag> {
        self.tags.iter()
    }

    /// A copy of all tags, in [`TagSet::iter`] order (for saving or a full resend).
    pub fn to_vec(&self) -> Vec<Tag> {
        self.tags.clone()
    }
}
