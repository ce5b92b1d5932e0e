//! Every privacy rule (src/privacy.rs) and the agent's privacy gate (settings, consent,
//! opt-out, GPC, URL redaction, blocked tag keys). The JavaScript transcription of the rules
//! is checked against these functions in tests/browser_privacy.rs.

use insp_agent::agent::{Agent, PrivacyStart, Request, StartEnv};
use insp_agent::codec;
use insp_agent::event::{Body, EventData};
use insp_agent::privacy::*;
use insp_agent::settings::{SettingsReply, SiteSettings, SETTINGS_VERSION};
use insp_agent::value::Value;

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

// ---- classes and context ---------------------------------------------------------------------

#[test]
fn class_flags_read_the_three_controls() {
    assert_eq!(class_flags(""), 0);
    assert_eq!(class_flags("inspectletIgnore"), FLAG_IGNORE);
    assert_eq!(class_flags("a inspectletignore b"), FLAG_IGNORE, "hiding classes ignore ASCII case");
    assert_eq!(class_flags("INSPECTLET-SENSITIVE"), FLAG_SENSITIVE);
    assert_eq!(class_flags("\tinspectlet-sensitive\n"), FLAG_SENSITIVE, "HTML white space separates");
    assert_eq!(class_flags("inspectlet-whitelist"), FLAG_WHITELIST);
    assert_eq!(class_flags("Inspectlet-Whitelist"), 0, "the revealing class is matched exactly");
    assert_eq!(class_flags("xinspectletIgnore inspectletIgnorex inspectlet-sensitive-x"), 0, "whole names only");
    assert_eq!(class_flags("inspectlet-sensitive\u{A0}x"), 0, "NBSP is not a separator");
    assert_eq!(
        class_flags("inspectletIgnore inspectlet-sensitive inspectlet-whitelist"),
        FLAG_IGNORE | FLAG_SENSITIVE | FLAG_WHITELIST
    );
}

#[test]
fn context_is_inherited_and_ignore_stops_everything() {
    assert_eq!(element_ctx(0, 0), Some(0));
    assert_eq!(element_ctx(0, FLAG_IGNORE), None);
    assert_eq!(element_ctx(CTX_SENSITIVE, FLAG_IGNORE | FLAG_WHITELIST), None);
    let sens = element_ctx(0, FLAG_SENSITIVE).unwrap();
    assert_eq!(sens, CTX_SENSITIVE);
    // Descendants inherit; text bits do not pass on.
    let child = element_ctx(sens | CTX_TEXT_MASK | CTX_TEXT_KEEP, 0).unwrap();
    assert_eq!(child, CTX_SENSITIVE);
    assert_eq!(element_ctx(CTX_WHITELIST | CTX_OPTIONS_HIDDEN, 0), Some(CTX_WHITELIST | CTX_OPTIONS_HIDDEN));
    // A whitelist inside a sensitive subtree does not unmask it.
    assert_eq!(element_ctx(sens, FLAG_WHITELIST), Some(CTX_SENSITIVE | CTX_WHITELIST));
}

#[test]
fn text_rules() {
    assert_eq!(text_rule(0), Treat::Keep);
    assert_eq!(text_rule(CTX_SENSITIVE), Treat::Mask);
    assert_eq!(text_rule(children_ctx(CTX_SENSITIVE, "style", None)), Treat::Keep, "CSS is not content");
    assert_eq!(text_rule(children_ctx(0, "textarea", Some(Treat::Mask))), Treat::Mask);
    assert_eq!(text_rule(children_ctx(0, "textarea", Some(Treat::Drop))), Treat::Drop);
    assert_eq!(text_rule(children_ctx(CTX_SENSITIVE, "textarea", Some(Treat::Drop))), Treat::Drop);
    assert_eq!(text_rule(children_ctx(0, "textarea", Some(Treat::Keep))), Treat::Keep);
    assert_eq!(text_rule(CTX_WHITELIST), Treat::Keep);
    assert_eq!(children_ctx(0, "select", Some(Treat::Mask)), CTX_OPTIONS_HIDDEN);
    assert_eq!(children_ctx(0, "select", Some(Treat::Keep)), 0);
    assert_eq!(children_ctx(0, "div", None), 0);
}

#[test]
fn masking_keeps_only_white_space_and_the_number_of_characters() {
    assert_eq!(mask(""), "");
    assert_eq!(mask("Jane Doe"), "**** ***");
    assert_eq!(mask(" a\tb\nc\rd\u{C}e "), " *\t*\n*\r*\u{C}* ");
    assert_eq!(mask("héllo 😀!"), "***** **", "one star per character, astral ones too");
    assert_eq!(mask("a\u{A0}b"), "***", "NBSP is masked");
    assert_eq!(apply(Treat::Drop, "x"), "");
    assert_eq!(apply(Treat::Keep, "x"), "x");
}

// ---- form fields -----------------------------------------------------------------------------

fn field<'a>(tag: &'a str, ty: &'a str) -> FieldAttrs<'a> {
    FieldAttrs { html_tag: tag, input_type: ty, ..Default::default() }
}

#[test]
fn input_types_normalize_like_the_browser() {
    assert_eq!(input_type(None), "text");
    assert_eq!(input_type(Some("PASSWORD")), "password");
    assert_eq!(input_type(Some("datetime")), "text");
    assert_eq!(input_type(Some(" password")), "text");
    assert_eq!(input_type(Some("hidden")), "hidden");
}

#[test]
fn secret_fields() {
    for ty in ["password", "hidden", "file"] {
        assert!(is_secret_field(&field("input", ty)), "{ty}");
    }
    assert!(!is_secret_field(&field("input", "text")));
    assert!(!is_secret_field(&field("textarea", "")));
    for ac in ["cc-number", "CC-CSC", "cc-exp", "cc-exp-month", "section-pay billing cc-exp-year", "one-time-code", "current-password", "new-password"] {
        let f = FieldAttrs { autocomplete: Some(ac), ..field("input", "text") };
        assert!(is_secret_field(&f), "autocomplete {ac}");
    }
    for ac in ["email", "name", "off", "username", "tel"] {
        let f = FieldAttrs { autocomplete: Some(ac), ..field("input", "text") };
        assert!(!is_secret_field(&f), "autocomplete {ac}");
    }
    let f = FieldAttrs { x_autocompletetype: Some("cc-number"), ..field("input", "text") };
    assert!(is_secret_field(&f));
    let sel = FieldAttrs { autocomplete: Some("cc-exp-month"), ..field("select", "") };
    assert!(is_secret_field(&sel), "a select can be secret");
    for name in [
        "card_number", "cardNumber", "cc-num", "ccnumber", "creditCard", "cvv", "card_cvc", "cvc2", "csc",
        "security-code", "exp_date", "expiryMonth", "ccExpYear", "user[password]", "passwd", "pwd", "pin",
        "userPin", "otp", "otp_code", "one-time-code", "ssn", "iban",
    ] {
        assert!(secret_name(name), "name {name}");
        let f = FieldAttrs { name: Some(name), ..field("input", "text") };
        assert!(is_secret_field(&f), "{name}");
        let f = FieldAttrs { id: Some(name), ..field("input", "text") };
        assert!(is_secret_field(&f), "id {name}");
    }
    for name in ["email", "first_name", "shipping", "spinner", "options", "zipcode", "search", "q", "cardinal", "description", "topping"] {
        assert!(!secret_name(name), "name {name}");
    }
}

#[test]
fn words_split_like_identifiers() {
    assert_eq!(words("userPIN_codeX2fa"), s(&["user", "pin", "code", "x2fa"]));
    assert_eq!(words("access_token"), s(&["access", "token"]));
    assert_eq!(words("sessionId"), s(&["session", "id"]));
    assert_eq!(words("HTMLParser"), s(&["htmlparser"]));
    assert_eq!(words("--a--"), s(&["a"]));
    assert_eq!(words("é"), Vec::<String>::new());
}

#[test]
fn value_rules() {
    // Secret beats everything, whitelist included.
    assert_eq!(value_rule(CTX_WHITELIST, true, true, false), Treat::Drop);
    assert_eq!(value_rule(CTX_SENSITIVE, false, false, false), Treat::Mask);
    assert_eq!(value_rule(0, false, true, true), Treat::Mask, "censor all inputs");
    assert_eq!(value_rule(CTX_WHITELIST, false, true, true), Treat::Keep, "whitelisted");
    assert_eq!(value_rule(CTX_WHITELIST | CTX_SENSITIVE, false, true, true), Treat::Mask, "sensitive beats whitelist");
    assert_eq!(value_rule(0, false, true, false), Treat::Keep, "censoring off");
    assert_eq!(value_rule(0, false, false, true), Treat::Keep, "checkbox values are not censored");
    assert!(censorable("input", "text") && censorable("input", "email") && censorable("input", "number"));
    assert!(censorable("textarea", "") && censorable("select", ""));
    assert!(!censorable("input", "checkbox") && !censorable("input", "submit") && !censorable("div", ""));
}

#[test]
fn card_numbers() {
    for v in ["4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", "378282246310005", "6011111111111117", " 5555555555554444 ", "4222222222222"] {
        assert!(looks_like_card(v), "{v}");
    }
    for v in ["4111111111111112", "411111111111", "41111111111111111111", "4111 1111 1111 111a", "4111.1111.1111.1111", "", "hello", "12345"] {
        assert!(!looks_like_card(v), "{v}");
    }
    assert!(luhn(&[7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 3]));
    // A card value is dropped whatever the rule, and says so.
    assert_eq!(field_value(Treat::Keep, "4111 1111 1111 1111"), ("".into(), true));
    assert_eq!(field_value(Treat::Mask, "4111111111111111"), ("".into(), true));
    assert_eq!(field_value(Treat::Keep, "hello"), ("hello".into(), false));
    assert_eq!(field_value(Treat::Mask, "hi you"), ("** ***".into(), false));
    assert_eq!(field_value(Treat::Drop, "hi"), ("".into(), false));
}

#[test]
fn attribute_rules() {
    let deny = deny_list(&[]);
    for a in ["title", "alt", "placeholder", "value", "aria-label", "label"] {
        assert_eq!(attr_rule(CTX_SENSITIVE, a, None), Treat::Mask, "{a}");
        assert_eq!(attr_rule(0, a, None), Treat::Keep, "{a}");
    }
    for a in ["class", "id", "style", "href", "data-x"] {
        assert_eq!(attr_rule(CTX_SENSITIVE, a, None), Treat::Keep, "{a}");
    }
    // An input's value attribute follows its value rule.
    assert_eq!(attr_rule(0, "value", Some(Treat::Drop)), Treat::Drop);
    assert_eq!(attr_rule(CTX_SENSITIVE, "value", Some(Treat::Keep)), Treat::Keep);
    assert_eq!(attr_rule(0, "title", Some(Treat::Drop)), Treat::Keep);
    assert_eq!(attr_value(Treat::Keep, "value", "4111111111111111", &deny, true), ("".into(), true));
    assert_eq!(attr_value(Treat::Keep, "value", "4111111111111111", &deny, false), ("4111111111111111".into(), false));
    assert_eq!(attr_value(Treat::Mask, "title", "Jane Doe", &deny, false), ("**** ***".into(), false));
    assert_eq!(
        attr_value(Treat::Keep, "href", "/reset?token=abc&x=1", &deny, false),
        ("/reset?token=REDACTED&x=1".into(), false)
    );
    assert_eq!(attr_value(Treat::Keep, "title", "/reset?token=abc", &deny, false), ("/reset?token=abc".into(), false));
    assert!(option_selected(0, true));
    assert!(!option_selected(CTX_OPTIONS_HIDDEN, true));
    assert!(!option_selected(0, false));
}

// ---- URLs ------------------------------------------------------------------------------------

#[test]
fn url_redaction() {
    let deny = deny_list(&s(&["Email", " x "]));
    assert_eq!(deny, s(&["token", "code", "password", "session", "auth", "email", "x"]));
    let cases = [
        ("https://a.example/p", "https://a.example/p"),
        ("https://a.example/p?q=shoes", "https://a.example/p?q=shoes"),
        ("https://a.example/p?token=abc", "https://a.example/p?token=REDACTED"),
        ("https://a.example/p?a=1&TOKEN=abc&b=2", "https://a.example/p?a=1&TOKEN=REDACTED&b=2"),
        ("https://a.example/p?access_token=abc", "https://a.example/p?access_token=REDACTED"),
        ("https://a.example/p?sessionId=9", "https://a.example/p?sessionId=REDACTED"),
        ("https://a.example/p?access%5Ftoken=abc", "https://a.example/p?access%5Ftoken=REDACTED"),
        ("https://a.example/p?zipcode=12345", "https://a.example/p?zipcode=12345"),
        ("https://a.example/p?code", "https://a.example/p?code"),
        ("https://a.example/p?code=", "https://a.example/p?code=REDACTED"),
        ("https://a.example/cb#access_token=abc&state=1", "https://a.example/cb#access_token=REDACTED&state=1"),
        ("https://a.example/#/reset?token=abc", "https://a.example/#/reset?token=REDACTED"),
        ("https://a.example/p?email=a%40b.c#x", "https://a.example/p?email=REDACTED#x"),
        ("/relative?password=hunter2", "/relative?password=REDACTED"),
        ("?auth=1", "?auth=REDACTED"),
        ("https://a.example/p?token=REDACTED", "https://a.example/p?token=REDACTED"),
    ];
    for (url, want) in cases {
        assert_eq!(redact_url(url, &deny), want, "{url}");
    }
    assert!(param_denied("authCode", &deny));
    assert!(!param_denied("author", &deny));
    assert!(!param_denied("", &deny));
    assert_eq!(redact_url("https://a.example/p?token=abc", &[]), "https://a.example/p?token=abc");
}

// ---- settings --------------------------------------------------------------------------------

#[test]
fn settings_defaults_fallback_and_normalization() {
    let d = SiteSettings::default();
    assert!(d.censor_inputs && d.record_network && !d.honor_gpc);
    assert_eq!(d.url_deny_params, s(&["token", "code", "password", "session", "auth"]));
    let f = SiteSettings::fallback();
    assert!(f.censor_inputs && !f.record_network && f.honor_gpc, "the most private choices");
    let mut n = SiteSettings {
        url_deny_params: s(&["", "Ref", "ref", "token"]),
        blocked_tag_keys: s(&[" email ", "email", ""]),
        ..d.clone()
    };
    n.normalize();
    assert_eq!(n.url_deny_params, s(&["token", "code", "password", "session", "auth", "ref"]));
    assert_eq!(n.blocked_tag_keys, s(&["email"]));
    let b = SiteSettings { blocked_tag_keys: s(&["user"]), ..d };
    assert!(b.tag_key_blocked("user") && b.tag_key_blocked("user.email") && b.tag_key_blocked("user.a.b"));
    assert!(!b.tag_key_blocked("username") && !b.tag_key_blocked("User") && !b.tag_key_blocked("users.x"));
    assert!(should_record(true, &b, false, false));
    assert!(!should_record(false, &b, false, false));
    assert!(!should_record(true, &b, false, true), "the site's own opt-out cookie");
    assert!(should_record(true, &b, true, false), "GPC only counts for a site honouring it");
    assert!(!should_record(true, &SiteSettings { honor_gpc: true, ..b }, true, false));
}

// ---- the agent's gate ------------------------------------------------------------------------

const T0: u64 = 1_700_000_000_000;

fn env(cookies: &str) -> StartEnv {
    StartEnv {
        now_ms: T0,
        rand: [1, 2, 3],
        collector: "https://c.example".into(),
        default_wid: Some(7),
        url: "https://shop.example/welcome?token=SECRET1&x=1".into(),
        title: "Shop".into(),
        referrer: "https://mail.example/r?session=SECRET2".into(),
        width: 800,
        height: 600,
        cookies: cookies.into(),
    }
}

fn gated(cookies: &str, gpc: bool) -> Agent {
    Agent::with_privacy(env(cookies), PrivacyStart { await_settings: true, gpc })
}

fn cmd(items: &[Value]) -> Value {
    Value::Array(items.to_vec())
}

fn reply(record: bool, settings: SiteSettings) -> Vec<u8> {
    SettingsReply { v: SETTINGS_VERSION, record, settings }.encode()
}

fn bodies(reqs: &[Request]) -> Vec<Body> {
    reqs.iter().map(|r| codec::decode(&r.body).expect("decodes").body).collect()
}

fn events(reqs: &[Request]) -> Vec<EventData> {
    bodies(reqs)
        .into_iter()
        .flat_map(|b| match b {
            Body::Events(b) => b.events.into_iter().map(|e| e.data).collect(),
            _ => vec![],
        })
        .collect()
}

#[test]
fn nothing_is_recorded_stored_or_sent_before_the_settings() {
    let mut a = gated("", false);
    assert!(!a.recording());
    a.push(&cmd(&[Value::str("identify"), Value::str("ann")]), T0);
    a.push(&cmd(&[Value::str("tagSession"), Value::str("vip")]), T0);
    assert!(a.take_cookies().is_empty(), "no cookie before the gate opens");
    assert!(a.tick(T0 + 60_000 - 1, true).is_empty(), "nothing sent");
    let url = a.settings_request(T0).expect("asks for settings");
    assert_eq!(url, "https://c.example/i/v1/settings?wid=7");
    assert_eq!(a.settings_request(T0), None, "once");
    let custom = SiteSettings { censor_inputs: false, url_deny_params: vec!["x".into()], ..Default::default() };
    a.settings_reply(T0 + 50, Some(&reply(true, custom)));
    assert!(a.recording());
    assert!(!a.settings().censor_inputs);
    let cookies = a.take_cookies();
    let names: Vec<&str> = cookies.iter().map(|c| c.name).collect();
    assert!(names.contains(&"__insp_vid") && names.contains(&"__insp_ident"), "{names:?}");
    let reqs = a.tick(T0 + 60_000, true);
    let evs = events(&reqs);
    let Some(EventData::Start { url, referrer, .. }) = evs.first() else { panic!("{evs:?}") };
    assert_eq!(url, "https://shop.example/welcome?token=REDACTED&x=REDACTED", "the site's own deny param too");
    assert_eq!(referrer, "https://mail.example/r?session=REDACTED");
    let metas: Vec<_> = bodies(&reqs).into_iter().filter_map(|b| if let Body::Meta(m) = b { Some(m) } else { None }).collect();
    assert_eq!(metas[0].identity.as_deref(), Some("ann"), "kept in memory, sent after");
    assert_eq!(metas[0].tags.len(), 1);
    assert_eq!(metas[0].pages[0].url, "https://shop.example/welcome?token=REDACTED&x=REDACTED");
    for r in &reqs {
        assert!(!r.body.windows(7).any(|w| w == b"SECRET1" || w == b"SECRET2"));
    }
}

#[test]
fn a_failed_or_slow_settings_request_falls_back_to_private_defaults() {
    let mut a = gated("", false);
    a.settings_request(T0).unwrap();
    a.settings_reply(T0 + 5, None);
    assert!(a.recording());
    assert_eq!(a.settings(), &SiteSettings::fallback());
    let mut b = gated("", false);
    b.settings_request(T0).unwrap();
    assert!(b.tick(T0 + 9_000, false).is_empty());
    assert!(!b.recording());
    b.tick(T0 + 10_001, false);
    assert!(b.recording(), "after the timeout");
    // A late "do not record" still stops it, and drops what was not sent.
    b.settings_reply(T0 + 12_000, Some(&reply(false, SiteSettings::default())));
    assert!(!b.recording() && b.opted_out());
    assert!(b.tick(T0 + 60_000, true).is_empty());
    assert!(b.take_cookies().is_empty());
}

#[test]
fn an_opted_out_browser_sends_nothing_at_all() {
    let mut a = gated("", false);
    a.push(&cmd(&[Value::str("identify"), Value::str("ann")]), T0);
    a.settings_request(T0).unwrap();
    a.settings_reply(T0 + 5, Some(&reply(false, SiteSettings::default())));
    assert!(a.opted_out() && !a.recording());
    a.push(&cmd(&[Value::str("tagSession"), Value::str("x")]), T0 + 10);
    a.push(&cmd(&[Value::str("consent"), Value::Bool(true)]), T0 + 10);
    a.push(&cmd(&[Value::str("virtualPage")]), T0 + 10);
    assert!(a.tick(T0 + 120_000, true).is_empty());
    assert!(a.take_cookies().is_empty(), "no cookie either");

    // The site's own opt-out cookie: not even the settings request.
    let mut b = gated("__insp_optout=1", false);
    assert!(b.opted_out());
    assert_eq!(b.settings_request(T0), None);
    assert!(b.tick(T0 + 60_000, true).is_empty());
}

#[test]
fn gpc_is_an_opt_out_where_the_site_honours_it() {
    let mut a = gated("", true);
    a.settings_request(T0).unwrap();
    a.settings_reply(T0, Some(&reply(true, SiteSettings::default())));
    assert!(a.recording(), "honor_gpc is off by default");
    let mut b = gated("", true);
    b.settings_request(T0).unwrap();
    b.settings_reply(T0, Some(&reply(true, SiteSettings { honor_gpc: true, ..Default::default() })));
    assert!(b.opted_out());
    assert!(b.tick(T0 + 60_000, true).is_empty());
    // The fallback honours GPC.
    let mut c = gated("", true);
    c.settings_request(T0).unwrap();
    c.settings_reply(T0, None);
    assert!(c.opted_out());
}

#[test]
fn consent_holds_everything_until_given() {
    let mut a = gated("", false);
    a.push(&cmd(&[Value::str("consent"), Value::Bool(false)]), T0);
    a.push(&cmd(&[Value::str("identify"), Value::str("ann")]), T0);
    a.push(&cmd(&[Value::str("tagSession"), Value::str("early")]), T0);
    a.settings_request(T0).unwrap();
    a.settings_reply(T0 + 5, Some(&reply(true, SiteSettings::default())));
    assert!(!a.recording() && a.consent_held());
    assert!(a.take_cookies().is_empty(), "nothing stored before consent");
    assert!(a.tick(T0 + 60_000, true).is_empty(), "nothing sent before consent");
    a.push(&cmd(&[Value::str("consent"), Value::Bool(true)]), T0 + 70_000);
    assert!(a.recording());
    assert!(!a.take_cookies().is_empty());
    let reqs = a.tick(T0 + 80_000, true);
    let evs = events(&reqs);
    assert!(matches!(evs.first(), Some(EventData::Start { .. })), "recording starts at consent");
    let metas: Vec<_> = bodies(&reqs).into_iter().filter_map(|b| if let Body::Meta(m) = b { Some(m) } else { None }).collect();
    assert_eq!(metas[0].identity.as_deref(), Some("ann"));
    assert_eq!(metas[0].tags[0].key, "early");

    // Withdrawn: what was not sent is dropped, nothing more goes out.
    a.push(&cmd(&[Value::str("virtualPage"), Value::str("/after")]), T0 + 81_000);
    a.push(&cmd(&[Value::str("consent"), Value::Bool(false)]), T0 + 81_001);
    assert!(!a.recording());
    a.push(&cmd(&[Value::str("tagSession"), Value::str("while-held")]), T0 + 82_000);
    assert!(a.tick(T0 + 200_000, true).is_empty());
    // Given again: resumes, tags sent again.
    a.push(&cmd(&[Value::str("consent"), Value::Bool(true)]), T0 + 300_000);
    let reqs = a.tick(T0 + 400_000, true);
    let metas: Vec<_> = bodies(&reqs).into_iter().filter_map(|b| if let Body::Meta(m) = b { Some(m) } else { None }).collect();
    assert!(metas.iter().any(|m| m.tags.iter().any(|t| t.key == "while-held")));
    assert!(!events(&reqs).iter().any(|e| matches!(e, EventData::Page { url, .. } if url == "/after")), "dropped at withdrawal");
}

#[test]
fn blocked_tag_keys_are_not_sent_and_urls_are_redacted_everywhere() {
    let mut a = gated("", false);
    a.settings_request(T0).unwrap();
    let s = SiteSettings { blocked_tag_keys: vec!["user".into()], ..Default::default() };
    a.settings_reply(T0, Some(&reply(true, s)));
    let mut obj = vec![("email".to_string(), Value::str("a@b.c"))];
    obj.push(("plan".to_string(), Value::str("pro")));
    a.push(&cmd(&[Value::str("tagSession"), Value::Object(vec![("user".into(), Value::Object(obj))])]), T0 + 1);
    a.push(&cmd(&[Value::str("tagSession"), Value::str("kept")]), T0 + 1);
    a.push(&cmd(&[Value::str("virtualPage"), Value::str("/reset?code=123456")]), T0 + 2);
    a.navigation(T0 + 3, "https://shop.example/cb#access_token=SECRET3".into(), "t".into(), insp_agent::event::NavKind::Hash);
    let reqs = a.tick(T0 + 60_000, true);
    let metas: Vec<_> = bodies(&reqs).into_iter().filter_map(|b| if let Body::Meta(m) = b { Some(m) } else { None }).collect();
    let keys: Vec<&str> = metas.iter().flat_map(|m| m.tags.iter().map(|t| t.key.as_str())).collect();
    assert_eq!(keys, ["kept"]);
    let urls: Vec<&str> = metas.iter().flat_map(|m| m.pages.iter().map(|p| p.url.as_str())).collect();
    assert!(urls.contains(&"/reset?code=REDACTED"), "{urls:?}");
    assert!(urls.contains(&"https://shop.example/cb#access_token=REDACTED"), "{urls:?}");
    let evs = events(&reqs);
    assert!(evs.iter().any(|e| matches!(e, EventData::Navigation { url, .. } if url.ends_with("access_token=REDACTED"))));
    for r in &reqs {
        assert!(!r.body.windows(7).any(|w| w == b"SECRET3" || w == b"123456" || w == b"a@b.c" as &[u8]));
    }
}

#[test]
fn page_views_held_before_the_settings_get_the_sites_own_redaction() {
    let mut a = gated("", false);
    a.push(&cmd(&[Value::str("virtualPage"), Value::str("/a?email=SECRET4&x=1")]), T0);
    a.settings_request(T0).unwrap();
    let s = SiteSettings { url_deny_params: vec!["email".into()], ..Default::default() };
    a.settings_reply(T0 + 5, Some(&reply(true, s)));
    // A History navigation to a URL with a deny-listed parameter counts once.
    let url = "https://shop.example/p?token=SECRET5";
    a.navigation(T0 + 10, url.into(), "t".into(), insp_agent::event::NavKind::Push);
    a.push(&cmd(&[Value::str("virtualPage")]), T0 + 11);
    let reqs = a.tick(T0 + 60_000, true);
    let pages: Vec<String> = bodies(&reqs)
        .into_iter()
        .filter_map(|b| if let Body::Meta(m) = b { Some(m) } else { None })
        .flat_map(|m| m.pages.into_iter().map(|p| p.url))
        .collect();
    assert!(pages.contains(&"/a?email=REDACTED&x=1".to_string()), "{pages:?}");
    assert_eq!(pages.iter().filter(|p| p.ends_with("token=REDACTED")).count(), 1, "{pages:?}");
    for r in &reqs {
        assert!(!r.body.windows(7).any(|w| w == b"SECRET4" || w == b"SECRET5"));
    }
}
