//! Mirroring the Google Analytics / Tag Manager `dataLayer` into session tags.
//!
//! Every entry pushed on `window.dataLayer` (and every entry already there when the agent
//! starts) becomes tags whose keys start with `GA: `:
//! - An object with an `event` key: the tag `GA: <event>` (no value), plus one tag per other
//!   key, flattened like `tagSession` (`{event: 'purchase', transaction_id: 'T-1'}` gives
//!   `GA: purchase` and `GA: transaction_id` = `T-1`; `{ecommerce: {value: 12}}` gives
//!   `GA: ecommerce.value` = `12`).
//! - An object without `event`: one tag per key, the same way.
//! - gtag's form (`gtag('event', 'purchase', {...})` pushes its `arguments`): `event` gives
//!   `GA: <name>` plus the parameters; `set` gives the parameters; `config`, `js`, `consent`
//!   and `get` are configuration, not visitor data, and are skipped.
//! - Tag Manager's own bookkeeping is skipped: events named `gtm.*` (`gtm.js`, `gtm.dom`,
//!   `gtm.load`, clicks...) and keys starting with `gtm.` or `gtm` internals such as
//!   `gtm.uniqueEventId`. Arrays of objects (such as `ecommerce.items`) are skipped: as a tag
//!   value they would only read `[object Object]`.
//! - Values follow the `tagSession` rules (strings as JavaScript prints them, limits, a later
//!   value replaces an earlier one).

use crate::event::Tag;
use crate::tags;
use crate::value::Value;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

pub const PREFIX: &str = "GA: ";

/// The tags one `dataLayer` entry stands for (empty when it carries nothing to keep).
pub fn map_entry(entry: &Value) -> Vec<Tag> {
    match entry {
        Value::Object(pairs) => from_object(pairs, None),
        Value::Array(items) => from_gtag(items),
        _ => Vec::new(),
    }
}

/// gtag pushes its `arguments`, which the glue sees as an array-like object with keys "0"...
pub fn map_arguments(pairs: &[(String, Value)]) -> Vec<Tag> {
    let mut items: Vec<(usize, &Value)> =
        pairs.iter().filter_map(|(k, v)| k.parse::<usize>().ok().map(|i| (i, v))).collect();
    crate::sort::sort_by_key(&mut items, |(i, _)| *i);
    let items: Vec<Value> = items.into_iter().map(|(_, v)| v.clone()).collect();
    from_gtag(&items)
}

fn from_gtag(items: &[Value]) -> Vec<Tag> {
    let Some(Value::String(cmd)) = items.first() else { return Vec::new() };
    match cmd.as_str() {
        "event" => {
            let Some(Value::String(name)) = items.get(1) else { return Vec::new() };
            let params = match items.get(2) {
                Some(Value::Object(p)) => p.as_slice(),
                _ => &[],
            };
            from_object(params, Some(name))
        }
        "set" => match items.get(1) {
            Some(Value::Object(p)) => from_object(p, None),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn from_object(pairs: &[(String, Value)], event: Option<&str>) -> Vec<Tag> {
    let mut out = Vec::new();
    let event = event.or_else(|| {
        pairs.iter().find_map(|(k, v)| match (k.as_str(), v) {
            ("event", Value::String(e)) => Some(e.as_str()),
            _ => None,
        })
    });
    if let Some(e) = event {
        if e.starts_with("gtm.") {
            return out;
        }
        if !e.is_empty() {
            out.push(Tag { key: format!("{PREFIX}{e}"), value: None });
        }
    }
    let kept: Vec<(String, Value)> = pairs
        .iter()
        .filter(|(k, v)| k != "event" && !k.starts_with("gtm") && !is_array_of_objects(v))
        .map(|(k, v)| (k.clone(), strip_object_arrays(v)))
        .collect();
    if kept.is_empty() {
        return out;
    }
    // Same flattening, stringifying and limits as tagSession; warnings are not the page's
    // business here (the page did not call us), so they are dropped.
    for t in tags::flatten(&Value::Object(kept)).tags {
        out.push(Tag { key: format!("{PREFIX}{}", t.key), value: t.value });
    }
    out
}

fn is_array_of_objects(v: &Value) -> bool {
    matches!(v, Value::Array(items) if items.iter().any(|i| matches!(i, Value::Object(_) | Value::Array(_))))
}

fn strip_object_arrays(v: &Value) -> Value {
    match v {
        Value::Object(pairs) => Value::Object(
            pairs
                .iter()
                .filter(|(k, v)| !k.starts_with("gtm") && !is_array_of_objects(v))
                .map(|(k, v)| (k.clone(), strip_object_arrays(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}
