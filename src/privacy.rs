//! Every privacy decision of the recording, in one place, as pure functions.
//!
//! The JavaScript DOM reader (`js/reader.mjs`, section "privacy") cannot call into wasm per
//! node, so it carries a line-by-line transcription of the rules below; the two are checked
//! against each other in Chromium on the same cases and on random inputs
//! (`tests/browser_privacy.rs`). Change both together.
//!
//! # Controls (Inspectlet's class names)
//! * `inspectletIgnore` on an element: the element is recorded as a placeholder (its tag, no
//!   attributes, props `Opaque` and `Size` = its layout box rounded to CSS pixels) and nothing
//!   inside it is recorded: no children, text, values, lengths, shadow roots or frames; no
//!   mutations or form values from inside it. Replay shows an empty box of that size.
//! * `inspectlet-sensitive` on an element or an ancestor: layout is kept, every text and
//!   comment inside is masked with [`mask`] (each character that is not HTML white space
//!   becomes `*`: the number of characters and the white space between words are kept,
//!   nothing else), the form values inside are masked the same way, and the attributes
//!   listed in [`MASKED_ATTRS`] are masked too. Other attributes (`class`, `id`, `style`,
//!   `href`, `src`, `data-*`, ...) are kept; stylesheet text inside (`<style>`) is kept.
//! * Censor all inputs (site setting `censor_inputs`, on by default): the value of every
//!   input with a user-editable value, every textarea and every select is masked with
//!   [`mask`], unless the element or an ancestor has `inspectlet-whitelist`.
//! * Secret fields, never recorded (value recorded as the empty string, not even its length),
//!   whatever the classes and settings, `inspectlet-whitelist` included ([`is_secret_field`]):
//!   `<input type="password">` (and any field that was a password field earlier in this page
//!   load: the reader remembers), `hidden` and `file` inputs, `autocomplete` tokens `cc-*`,
//!   `one-time-code`, `current-password`, `new-password`, and names / ids that look like card,
//!   password or one-time-code fields ([`secret_name`]). A value that looks like a card number
//!   ([`looks_like_card`]: 13–19 digits passing the Luhn check, with spaces or dashes between)
//!   makes its field secret for the rest of the page load.
//! * Matching: `inspectletIgnore` and `inspectlet-sensitive` are matched ignoring ASCII case
//!   (a control that hides is read generously), `inspectlet-whitelist` exactly (one that
//!   reveals is read strictly). Class lists split on HTML white space, as `classList` does.
//! * A select whose value is masked or dropped records none of its options as selected.
//! * URLs: query (and fragment) parameters whose name is on the deny-list get the value
//!   `REDACTED` ([`redact_url`]): page URLs, referrers, and URL attributes of the recorded
//!   DOM ([`URL_ATTRS`]).
//!
//! # Context
//! While walking, each element passes a small bit set ([`Ctx`]) to its children: the
//! inherited `SENSITIVE` and `WHITELIST` bits, `OPTIONS_HIDDEN` inside a select whose value
//! is not kept, and for direct text children only, `TEXT_MASK` / `TEXT_DROP` (a textarea's
//! text is its default value and follows the textarea's value rule) or `TEXT_KEEP` (a
//! `<style>`'s CSS is not content).

use crate::settings::DEFAULT_URL_DENY_PARAMS;
use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

/// Class names (as Inspectlet documents them).
pub const CLASS_IGNORE: &str = "inspectletIgnore";
pub const CLASS_SENSITIVE: &str = "inspectlet-sensitive";
pub const CLASS_WHITELIST: &str = "inspectlet-whitelist";

/// Class flags of one element ([`class_flags`]).
pub const FLAG_IGNORE: u8 = 1;
pub const FLAG_SENSITIVE: u8 = 2;
pub const FLAG_WHITELIST: u8 = 4;

/// Context bits (see the module doc). `SENSITIVE` and `WHITELIST` share the flags' bits.
pub type Ctx = u8;
pub const CTX_SENSITIVE: Ctx = FLAG_SENSITIVE;
pub const CTX_WHITELIST: Ctx = FLAG_WHITELIST;
pub const CTX_TEXT_MASK: Ctx = 8;
pub const CTX_TEXT_DROP: Ctx = 16;
pub const CTX_TEXT_KEEP: Ctx = 32;
pub const CTX_OPTIONS_HIDDEN: Ctx = 64;
/// The bits every descendant inherits.
pub const CTX_INHERITED: Ctx = CTX_SENSITIVE | CTX_WHITELIST | CTX_OPTIONS_HIDDEN;

/// What happens to one piece of content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Treat {
    /// Recorded as it is.
    Keep = 0,
    /// Recorded through [`mask`].
    Mask = 1,
    /// Recorded as the empty string.
    Drop = 2,
}

/// Attributes masked inside `inspectlet-sensitive` (their values are text a person reads).
pub const MASKED_ATTRS: [&str; 10] = [
    "title",
    "alt",
    "placeholder",
    "value",
    "label",
    "aria-label",
    "aria-description",
    "aria-valuetext",
    "aria-placeholder",
    "aria-roledescription",
];

/// Attributes holding URLs, whose deny-listed parameters are redacted.
pub const URL_ATTRS: [&str; 12] = [
    "href",
    "src",
    "srcset",
    "action",
    "formaction",
    "poster",
    "cite",
    "data",
    "background",
    "ping",
    "xlink:href",
    "longdesc",
];

/// The value that replaces a deny-listed URL parameter's.
pub const REDACTED: &str = "REDACTED";

/// HTML ASCII white space (what `classList` splits on).
pub fn is_html_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{C}' | '\r')
}

/// The privacy flags of a `class` attribute value.
pub fn class_flags(class: &str) -> u8 {
    let mut f = 0;
    for c in class.split(is_html_space) {
        if c.is_empty() {
            continue;
        }
        if c.eq_ignore_ascii_case(CLASS_IGNORE) {
            f |= FLAG_IGNORE;
        } else if c.eq_ignore_ascii_case(CLASS_SENSITIVE) {
            f |= FLAG_SENSITIVE;
        } else if c == CLASS_WHITELIST {
            f |= FLAG_WHITELIST;
        }
    }
    f
}

/// The context an element gives its descendants, from its parent's context and its own class
/// flags; `None` when the element is ignored (nothing inside it is recorded). The text bits
/// are added by [`children_ctx`].
pub fn element_ctx(parent: Ctx, flags: u8) -> Option<Ctx> {
    if flags & FLAG_IGNORE != 0 {
        return None;
    }
    Some((parent & CTX_INHERITED) | (flags & (FLAG_SENSITIVE | FLAG_WHITELIST)))
}

/// The context of an element's children: [`element_ctx`] plus what applies to its own text
/// children and options. `html_tag` is the lower-case tag of an HTML element ("" otherwise);
/// `value_rule` is the element's [`value_rule`] when it is a form control.
pub fn children_ctx(ctx: Ctx, html_tag: &str, value_rule: Option<Treat>) -> Ctx {
    let mut c = ctx;
    match html_tag {
        "style" => c |= CTX_TEXT_KEEP,
        "textarea" => match value_rule {
            Some(Treat::Drop) => c |= CTX_TEXT_DROP,
            Some(Treat::Mask) => c |= CTX_TEXT_MASK,
            _ => {}
        },
        "select" if value_rule.is_some_and(|r| r != Treat::Keep) => c |= CTX_OPTIONS_HIDDEN,
        _ => {}
    }
    c
}

/// How a text, comment or CDATA node is recorded, given its parent's children context.
pub fn text_rule(ctx: Ctx) -> Treat {
    if ctx & CTX_TEXT_DROP != 0 {
        Treat::Drop
    } else if ctx & CTX_TEXT_MASK != 0 {
        Treat::Mask
    } else if ctx & CTX_TEXT_KEEP != 0 {
        Treat::Keep
    } else if ctx & CTX_SENSITIVE != 0 {
        Treat::Mask
    } else {
        Treat::Keep
    }
}

/// Each character (Unicode scalar value; a surrogate pair in JavaScript) that is not HTML
/// white space becomes `*`.
pub fn mask(s: &str) -> String {
    s.chars().map(|c| if is_html_space(c) { c } else { '*' }).collect()
}

/// `s` as `treat` says.
pub fn apply<'a>(treat: Treat, s: &'a str) -> Cow<'a, str> {
    match treat {
        Treat::Keep => Cow::Borrowed(s),
        Treat::Mask => Cow::Owned(mask(s)),
        Treat::Drop => Cow::Borrowed(""),
    }
}

/// The input types the browser normalizes `type` to (anything else reads as `text`).
const INPUT_TYPES: [&str; 22] = [
    "hidden", "text", "search", "tel", "url", "email", "password", "date", "month", "week", "time",
    "datetime-local", "number", "range", "color", "checkbox", "radio", "file", "submit", "image",
    "reset", "button",
];

/// `input.type` for a `type` attribute value: lower-cased, unknown or missing = `text`.
pub fn input_type(attr: Option<&str>) -> String {
    let Some(t) = attr else { return String::from("text") };
    let t = t.to_ascii_lowercase();
    if INPUT_TYPES.contains(&t.as_str()) {
        t
    } else {
        String::from("text")
    }
}

/// Whether censor-all-inputs applies to a form control: textarea, select, and inputs whose
/// value the visitor edits (all types but checkbox, radio and the buttons).
pub fn censorable(html_tag: &str, input_type: &str) -> bool {
    match html_tag {
        "textarea" | "select" => true,
        "input" => !matches!(input_type, "checkbox" | "radio" | "button" | "submit" | "reset" | "image"),
        _ => false,
    }
}

/// `autocomplete` tokens that mark a secret field.
const SECRET_AUTOCOMPLETE: [&str; 3] = ["one-time-code", "current-password", "new-password"];

/// Substrings of a name or id (lower-cased, letters and digits only) that mark a secret field.
pub const SECRET_NAME_PARTS: [&str; 35] = [
    "password", "passwd", "passcode", "passwort", "contrasena", "motdepasse",
    "cardnumber", "cardnum", "ccnum", "creditcard", "debitcard", "cardno", "cardholder",
    "cvv", "cvc", "securitycode", "cardcode", "cardverification", "cardsecurity",
    "ccexp", "cardexp", "expdate", "expirydate", "expirationdate", "expmonth", "expyear",
    "expirymonth", "expiryyear", "expirationmonth", "expirationyear",
    "onetimecode", "onetimepassword", "otpcode", "totp", "iban",
];

/// Whole words of a name or id (split at non-alphanumerics and lower-to-upper case changes,
/// lower-cased) that mark a secret field.
pub const SECRET_NAME_WORDS: [&str; 8] = ["csc", "cvn", "pin", "otp", "pwd", "ssn", "mfa", "2fa"];

/// Whether a field's `name` or `id` looks like a password, card or one-time-code field.
pub fn secret_name(s: &str) -> bool {
    if s.is_empty() {
        return false;
    }
    let compact: String = s.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect();
    if SECRET_NAME_PARTS.iter().any(|p| compact.contains(p)) {
        return true;
    }
    words(s).iter().any(|w| SECRET_NAME_WORDS.contains(&w.as_str()))
}

/// Words of an identifier: split at every character that is not an ASCII letter or digit and
/// between a lower-case letter and an upper-case one; lower-cased.
pub fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(core::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(core::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The attributes of a form control that decide whether it is secret.
#[derive(Debug, Clone, Copy, Default)]
pub struct FieldAttrs<'a> {
    /// `input`, `textarea` or `select`.
    pub html_tag: &'a str,
    /// For inputs: the normalized type ([`input_type`]).
    pub input_type: &'a str,
    pub autocomplete: Option<&'a str>,
    /// `x-autocompletetype` (older Chrome markup), read like `autocomplete`.
    pub x_autocompletetype: Option<&'a str>,
    pub name: Option<&'a str>,
    pub id: Option<&'a str>,
}

/// Whether a form control is a secret field by its markup. The reader adds: it was one
/// earlier in this page load, or its value (property or `value` attribute) looks like a card
/// number ([`looks_like_card`]) now or did earlier.
pub fn is_secret_field(f: &FieldAttrs<'_>) -> bool {
    if f.html_tag == "input" && matches!(f.input_type, "password" | "hidden" | "file") {
        return true;
    }
    for ac in [f.autocomplete, f.x_autocompletetype].into_iter().flatten() {
        for t in ac.split(is_html_space) {
            let t = t.to_ascii_lowercase();
            if t.starts_with("cc-") || SECRET_AUTOCOMPLETE.contains(&t.as_str()) {
                return true;
            }
        }
    }
    f.name.is_some_and(secret_name) || f.id.is_some_and(secret_name)
}

/// How a form control's value is recorded. `secret`: [`is_secret_field`] (or remembered as
/// secret); `ctx`: the context the control's parent gives it combined with the control's own
/// classes ([`element_ctx`]).
pub fn value_rule(ctx: Ctx, secret: bool, censorable: bool, censor_inputs: bool) -> Treat {
    if secret {
        Treat::Drop
    } else if ctx & CTX_SENSITIVE != 0 || (censor_inputs && censorable && ctx & CTX_WHITELIST == 0) {
        // Sensitive content, or censored and not whitelisted.
        Treat::Mask
    } else {
        Treat::Keep
    }
}

/// A form value as recorded, and whether it made its field secret (a card number).
pub fn field_value(rule: Treat, value: &str) -> (Cow<'_, str>, bool) {
    if rule == Treat::Drop {
        return (Cow::Borrowed(""), false);
    }
    if looks_like_card(value) {
        return (Cow::Borrowed(""), true);
    }
    (apply(rule, value), false)
}

/// How an attribute is recorded. `field_rule`: the element's [`value_rule`] when it is a
/// form control (an input's `value` attribute is its default value).
pub fn attr_rule(ctx: Ctx, name: &str, field_rule: Option<Treat>) -> Treat {
    if name == "value" {
        if let Some(r) = field_rule {
            return r;
        }
    }
    if ctx & CTX_SENSITIVE != 0 && MASKED_ATTRS.contains(&name) {
        return Treat::Mask;
    }
    Treat::Keep
}

/// An attribute value as recorded: [`attr_rule`], then, for URL attributes, [`redact_url`].
/// A card number in an input's `value` attribute is dropped (and makes the field secret).
pub fn attr_value<'a>(treat: Treat, name: &str, value: &'a str, deny: &[String], field: bool) -> (Cow<'a, str>, bool) {
    if field && name == "value" {
        return field_value(treat, value);
    }
    let v = apply(treat, value);
    if treat == Treat::Keep && URL_ATTRS.contains(&name) {
        if let Cow::Owned(r) = redact_url(value, deny) {
            return (Cow::Owned(r), false);
        }
    }
    (v, false)
}

/// An option's `selected` state as recorded (`false` inside a select whose value is hidden).
pub fn option_selected(ctx: Ctx, selected: bool) -> bool {
    selected && ctx & CTX_OPTIONS_HIDDEN == 0
}

/// 13 to 19 digits, with only spaces, dashes or other HTML white space between them, passing
/// the Luhn check.
pub fn looks_like_card(v: &str) -> bool {
    let mut digits = [0u8; 19];
    let mut n = 0;
    for c in v.chars() {
        if c.is_ascii_digit() {
            if n == 19 {
                return false;
            }
            digits[n] = c as u8 - b'0';
            n += 1;
        } else if c != '-' && !is_html_space(c) {
            return false;
        }
    }
    n >= 13 && luhn(&digits[..n])
}

/// The Luhn checksum holds for these digits (most significant first).
pub fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, &d) in digits.iter().rev().enumerate() {
        let mut d = d as u32;
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

// ---- URLs ----------------------------------------------------------------------------------

/// Whether a URL parameter name is on the deny-list (entries lower-case): the name,
/// percent-decoded and lower-cased, equals an entry, or one of its [`words`] does
/// (`access_token`, `sessionId` and `authCode` match `token`, `session` and `auth`).
pub fn param_denied(name: &str, deny: &[String]) -> bool {
    if deny.is_empty() || name.is_empty() {
        return false;
    }
    let decoded = percent_decode(name);
    let lower = decoded.to_ascii_lowercase();
    if deny.contains(&lower) {
        return true;
    }
    words(&decoded).iter().any(|w| deny.iter().any(|d| d == w))
}

/// `%XX` escapes of ASCII characters decoded (others kept as they are), `+` read as space.
fn percent_decode(s: &str) -> String {
    if !s.contains(['%', '+']) {
        return String::from(s);
    }
    let b = s.as_bytes();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                if h < 8 {
                    out.push((h * 16 + l) as char);
                    i += 3;
                    continue;
                }
            }
        }
        // Byte-wise copy of UTF-8 is safe: only ASCII bytes are ever replaced.
        let start = i;
        i += 1;
        while i < b.len() && b[i] != b'%' && b[i] != b'+' {
            i += 1;
        }
        if b[start] == b'+' {
            out.push(' ');
            out.push_str(&s[start + 1..i]);
        } else {
            out.push_str(&s[start..i]);
        }
    }
    out
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The deny-list to use: the defaults plus `extra`, lower-cased, trimmed, without duplicates.
pub fn deny_list(extra: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for d in DEFAULT_URL_DENY_PARAMS.iter().map(|s| String::from(*s)).chain(extra.iter().cloned()) {
        let d = d.trim().to_ascii_lowercase();
        if !d.is_empty() && !out.contains(&d) {
            out.push(d);
        }
    }
    out
}

/// `url` with the value of every deny-listed parameter replaced by `REDACTED`: in the query,
/// and in the fragment (`#access_token=...`, or the query part of a hash route
/// `#/path?token=...`). Parameters are `&`-separated `name=value` pairs; a name without `=`
/// has no value to redact. Borrowed when nothing changed.
pub fn redact_url<'a>(url: &'a str, deny: &[String]) -> Cow<'a, str> {
    if deny.is_empty() || !url.contains('=') {
        return Cow::Borrowed(url);
    }
    let (before_hash, hash) = match url.find('#') {
        Some(i) => (&url[..i], Some(&url[i + 1..])),
        None => (url, None),
    };
    let mut out = String::with_capacity(url.len());
    let mut changed = false;
    match before_hash.find('?') {
        Some(q) => {
            out.push_str(&before_hash[..=q]);
            changed |= redact_params(&mut out, &before_hash[q + 1..], deny);
        }
        None => out.push_str(before_hash),
    }
    if let Some(h) = hash {
        out.push('#');
        // A hash route's parameters follow its first `?`; otherwise the whole fragment.
        let start = h.find('?').map_or(0, |i| i + 1);
        out.push_str(&h[..start]);
        changed |= redact_params(&mut out, &h[start..], deny);
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(url)
    }
}

fn redact_params(out: &mut String, params: &str, deny: &[String]) -> bool {
    let mut changed = false;
    for (i, pair) in params.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match pair.find('=') {
            Some(eq) if param_denied(&pair[..eq], deny) => {
                out.push_str(&pair[..=eq]);
                out.push_str(REDACTED);
                changed |= &pair[eq + 1..] != REDACTED;
            }
            _ => out.push_str(pair),
        }
    }
    changed
}

// ---- whether to record at all ----------------------------------------------------------------

/// First-party cookie on the site's own domain: when present, the agent records nothing
/// (a site can set it from its own opt-out button).
pub const OPTOUT_COOKIE: &str = "__insp_optout";

/// Whether this browser may be recorded on this page load: the collector did not answer "do
/// not record" (`reply_record`), the site's own opt-out cookie is absent, and Global Privacy
/// Control is not on for a site that honours it.
pub fn should_record(reply_record: bool, settings: &crate::settings::SiteSettings, gpc: bool, optout_cookie: bool) -> bool {
    reply_record && !optout_cookie && !(gpc && settings.honor_gpc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%5Ftoken"), "a_token");
        assert_eq!(percent_decode("a%5"), "a%5");
        assert_eq!(percent_decode("%zz+x"), "%zz x");
        assert_eq!(percent_decode("%ff%C3%A9"), "%ff%C3%A9");
        assert_eq!(percent_decode("%41+%2"), "A %2");
    }
}
