//! Queue entry -> command rules (src/command.rs), natively.

use insp_agent::command::{parse, Command, Parsed};
use insp_agent::config::{IDENTITY_MAX_CHARS, TAG_MAX_DEPTH, URL_MAX_CHARS};
use insp_agent::event::Tag;
use insp_agent::value::Value;
use proptest::prelude::*;

fn entry(name: &str, args: &[Value]) -> Value {
    let mut items = vec![Value::str(name)];
    items.extend_from_slice(args);
    Value::Array(items)
}
fn num(x: f64) -> Value {
    Value::Number(x)
}
fn t(key: &str, value: &str) -> Tag {
    Tag {
        key: key.into(),
        value: Some(value.into()),
    }
}

/// Parses and checks that every warning names the command (or `insp` when there is none).
fn run(name: &str, args: &[Value]) -> Parsed {
    let p = parse(&entry(name, args));
    for w in &p.warnings {
        assert!(
            w.starts_with(&format!("{name}: ")) || w.starts_with("insp: "),
            "{w}"
        );
    }
    p
}
fn ok(name: &str, args: &[Value]) -> Command {
    let p = run(name, args);
    assert!(p.warnings.is_empty(), "{name} {args:?}: {:?}", p.warnings);
    p.command
        .unwrap_or_else(|| panic!("{name} {args:?}: no command"))
}
/// Refused with exactly one warning, prefixed with the command name.
fn refused(name: &str, args: &[Value]) -> String {
    let p = run(name, args);
    assert_eq!(p.command, None, "{name} {args:?}");
    assert_eq!(p.warnings.len(), 1, "{name} {args:?}: {:?}", p.warnings);
    assert!(
        p.warnings[0].starts_with(&format!("{name}: ")),
        "{}",
        p.warnings[0]
    );
    p.warnings[0].clone()
}

// ---- entry shape ----

#[test]
fn entries_that_are_not_command_arrays_are_ignored_with_one_warning() {
    for v in [
        Value::str("wid"),
        num(1.0),
        Value::Null,
        Value::Undefined,
        Value::obj(&[("wid", num(1.0))]),
        Value::arr(&[]),
        Value::arr(&[num(1.0), Value::str("wid")]),
        Value::arr(&[Value::arr(&[Value::str("wid"), num(1.0)])]),
        Value::Other("function"),
    ] {
        let p = parse(&v);
        assert_eq!(p.command, None, "{v:?}");
        assert_eq!(p.warnings.len(), 1, "{v:?}");
        assert!(
            p.warnings[0].starts_with("insp: ignored a queue entry that is not ['command', ...]"),
            "{}",
            p.warnings[0]
        );
    }
}

#[test]
fn unknown_commands_are_named_in_one_warning() {
    let p = parse(&entry("foo", &[num(1.0)]));
    assert_eq!(p.command, None);
    assert_eq!(
        p.warnings,
        vec!["insp: unknown command 'foo' ignored".to_string()]
    );

    // Names are case-sensitive, with a hint for near misses.
    let p = parse(&entry("tagsession", &[Value::str("x")]));
    assert_eq!(p.command, None);
    assert_eq!(p.warnings.len(), 1);
    assert!(
        p.warnings[0].contains("'tagsession'")
            && p.warnings[0].contains("did you mean 'tagSession'"),
        "{}",
        p.warnings[0]
    );

    let p = parse(&entry("", &[]));
    assert_eq!(
        p.warnings,
        vec!["insp: unknown command '' ignored".to_string()]
    );

    // A huge name does not make a huge warning.
    let p = parse(&entry(&"x".repeat(10_000), &[]));
    assert!(p.warnings[0].len() < 200);
}

#[test]
fn extra_arguments_are_ignored_with_a_warning() {
    let p = run("disableGACapture", &[num(1.0)]);
    assert_eq!(p.command, Some(Command::DisableGaCapture));
    assert_eq!(
        p.warnings,
        vec!["disableGACapture: extra arguments ignored".to_string()]
    );

    let p = run("wid", &[num(7.0), num(8.0)]);
    assert_eq!(p.command, Some(Command::Wid(7)));
    assert_eq!(p.warnings.len(), 1);

    // Trailing undefined is not an argument.
    assert_eq!(
        ok("disableGACapture", &[Value::Undefined]),
        Command::DisableGaCapture
    );
}

// ---- wid ----

#[test]
fn wid_accepts_positive_integers_and_numeric_strings() {
    assert_eq!(ok("wid", &[num(1234567890.0)]), Command::Wid(1234567890));
    assert_eq!(ok("wid", &[num(1.0)]), Command::Wid(1));
    assert_eq!(
        ok("wid", &[num(9007199254740991.0)]),
        Command::Wid(9007199254740991)
    );
    assert_eq!(ok("wid", &[Value::str("42")]), Command::Wid(42));
    assert_eq!(ok("wid", &[Value::str(" 42 ")]), Command::Wid(42));
    assert_eq!(ok("wid", &[Value::str("\t0042\n")]), Command::Wid(42));
    assert_eq!(
        ok("wid", &[Value::str("18446744073709551615")]),
        Command::Wid(u64::MAX)
    );
    assert_eq!(ok("wid", &[Value::BigInt("77".into())]), Command::Wid(77));
}

#[test]
fn wid_refuses_everything_else() {
    for v in [
        num(0.0),
        num(-0.0),
        num(-5.0),
        num(1.5),
        num(f64::NAN),
        num(f64::INFINITY),
        num(1e300),
        num(9007199254740992.0),
        Value::str(""),
        Value::str("0"),
        Value::str("-4"),
        Value::str("+4"),
        Value::str("4.0"),
        Value::str("1e3"),
        Value::str("0x10"),
        Value::str("abc"),
        Value::str("18446744073709551616"),
        Value::BigInt("-3".into()),
        Value::BigInt("0".into()),
        Value::Bool(true),
        Value::Null,
        Value::Undefined,
        Value::arr(&[num(1.0)]),
        Value::obj(&[]),
    ] {
        let w = refused("wid", std::slice::from_ref(&v));
        assert!(w.contains("positive integer"), "{v:?}: {w}");
    }
    refused("wid", &[]);
}

// ---- identify ----

#[test]
fn identify_accepts_strings_and_numbers() {
    assert_eq!(
        ok("identify", &[Value::str("user_83921")]),
        Command::Identify("user_83921".into())
    );
    assert_eq!(
        ok("identify", &[Value::str("  john@example.com \n")]),
        Command::Identify("john@example.com".into())
    );
    assert_eq!(
        ok("identify", &[num(1258.0)]),
        Command::Identify("1258".into())
    );
    assert_eq!(
        ok("identify", &[num(12.5)]),
        Command::Identify("12.5".into())
    );
    assert_eq!(
        ok("identify", &[num(1e21)]),
        Command::Identify("1e+21".into())
    );
    assert_eq!(
        ok("identify", &[Value::BigInt("123456789012345678901".into())]),
        Command::Identify("123456789012345678901".into())
    );
    // Case is kept.
    assert_eq!(
        ok("identify", &[Value::str("User-A")]),
        Command::Identify("User-A".into())
    );
}

#[test]
fn identify_refuses_empty_and_other_types() {
    for v in [
        Value::str(""),
        Value::str("   "),
        num(f64::NAN),
        num(f64::INFINITY),
        Value::Bool(false),
        Value::Null,
        Value::Undefined,
        Value::obj(&[("id", num(1.0))]),
        Value::arr(&[Value::str("a")]),
        Value::Other("function"),
    ] {
        refused("identify", &[v]);
    }
    refused("identify", &[]);
}

#[test]
fn identify_is_truncated_with_a_warning() {
    let long = "ü".repeat(IDENTITY_MAX_CHARS + 5);
    let p = run("identify", &[Value::String(long)]);
    assert_eq!(
        p.command,
        Some(Command::Identify("ü".repeat(IDENTITY_MAX_CHARS)))
    );
    assert_eq!(p.warnings.len(), 1);
    assert!(p.warnings[0].starts_with("identify: "));
    // Exactly at the limit: no warning.
    ok("identify", &[Value::String("a".repeat(IDENTITY_MAX_CHARS))]);
}

// ---- tagSession ----

#[test]
fn tag_session_seed_examples() {
    assert_eq!(
        ok(
            "tagSession",
            &[Value::obj(&[
                ("email", Value::str("john@example.com")),
                ("userId", num(1258.0)),
                ("pointsEarned", num(42.0)),
            ])]
        ),
        Command::TagSession(vec![
            t("email", "john@example.com"),
            t("userId", "1258"),
            t("pointsEarned", "42")
        ])
    );
    assert_eq!(
        ok("tagSession", &[Value::str("viewed checkout")]),
        Command::TagSession(vec![Tag {
            key: "viewed checkout".into(),
            value: None
        }])
    );
    assert_eq!(
        ok("tagSession", &[Value::obj(&[("order_value", num(149.99))])]),
        Command::TagSession(vec![t("order_value", "149.99")])
    );
    assert_eq!(
        ok(
            "tagSession",
            &[Value::obj(&[(
                "user",
                Value::obj(&[("plan", Value::str("pro"))])
            )])]
        ),
        Command::TagSession(vec![t("user.plan", "pro")])
    );
    assert_eq!(
        ok(
            "tagSession",
            &[Value::obj(&[(
                "a",
                Value::obj(&[("b", Value::obj(&[("c", Value::Bool(false))]))])
            )])]
        ),
        Command::TagSession(vec![t("a.b.c", "false")])
    );
}

#[test]
fn tag_session_empty_object_is_a_no_op_command() {
    let p = run("tagSession", &[Value::obj(&[])]);
    assert_eq!(p.command, Some(Command::TagSession(vec![])));
    assert!(p.warnings.is_empty());
}

#[test]
fn tag_session_rejected_arguments_yield_no_command() {
    for v in [
        num(1.0),
        Value::Null,
        Value::Bool(true),
        Value::arr(&[Value::str("x")]),
        Value::str(""),
    ] {
        refused("tagSession", &[v]);
    }
    refused("tagSession", &[]);
}

#[test]
fn tag_session_partial_problems_keep_the_good_tags() {
    let mut deep = Value::str("v");
    for _ in 0..TAG_MAX_DEPTH + 1 {
        deep = Value::obj(&[("d", deep)]);
    }
    let p = run(
        "tagSession",
        &[Value::obj(&[
            ("ok", num(1.0)),
            ("f", Value::Other("function")),
            ("deep", deep),
        ])],
    );
    assert_eq!(p.command, Some(Command::TagSession(vec![t("ok", "1")])));
    assert_eq!(p.warnings.len(), 2);
    assert!(p.warnings.iter().all(|w| w.starts_with("tagSession: ")));
}

// ---- disableGACapture ----

#[test]
fn disable_ga_capture() {
    assert_eq!(ok("disableGACapture", &[]), Command::DisableGaCapture);
}

// ---- virtualPage ----

#[test]
fn virtual_page_with_and_without_name() {
    assert_eq!(ok("virtualPage", &[]), Command::VirtualPage(None));
    assert_eq!(
        ok("virtualPage", &[Value::Undefined]),
        Command::VirtualPage(None)
    );
    assert_eq!(
        ok("virtualPage", &[Value::str("/checkout/step-2")]),
        Command::VirtualPage(Some("/checkout/step-2".into()))
    );
    assert_eq!(
        ok("virtualPage", &[Value::str("  Step 2 ")]),
        Command::VirtualPage(Some("Step 2".into()))
    );
}

#[test]
fn virtual_page_bad_names_warn_and_count_as_no_name() {
    for v in [
        num(2.0),
        Value::Null,
        Value::Bool(true),
        Value::obj(&[]),
        Value::str(""),
        Value::str("  "),
    ] {
        let p = run("virtualPage", std::slice::from_ref(&v));
        assert_eq!(p.command, Some(Command::VirtualPage(None)), "{v:?}");
        assert_eq!(p.warnings.len(), 1, "{v:?}");
        assert!(p.warnings[0].starts_with("virtualPage: "));
    }
}

#[test]
fn virtual_page_name_is_truncated() {
    let p = run(
        "virtualPage",
        &[Value::String("/".to_string() + &"p".repeat(URL_MAX_CHARS))],
    );
    match p.command {
        Some(Command::VirtualPage(Some(name))) => assert_eq!(name.chars().count(), URL_MAX_CHARS),
        other => panic!("{other:?}"),
    }
    assert_eq!(p.warnings.len(), 1);
}

// ---- debug ----

#[test]
fn debug_flag() {
    assert_eq!(ok("debug", &[]), Command::Debug(true));
    assert_eq!(ok("debug", &[Value::Bool(true)]), Command::Debug(true));
    assert_eq!(ok("debug", &[Value::Bool(false)]), Command::Debug(false));
    for v in [num(1.0), num(0.0), Value::str("true"), Value::Null] {
        refused("debug", &[v]);
    }
}

// ---- consent ----

#[test]
fn consent_needs_an_explicit_boolean() {
    assert_eq!(ok("consent", &[Value::Bool(true)]), Command::Consent(true));
    assert_eq!(
        ok("consent", &[Value::Bool(false)]),
        Command::Consent(false)
    );
    refused("consent", &[]);
    refused("consent", &[Value::Undefined]);
    for v in [
        num(1.0),
        Value::str("yes"),
        Value::str("true"),
        Value::Null,
        Value::obj(&[]),
    ] {
        refused("consent", &[v]);
    }
}

// ---- collector ----

#[test]
fn collector_accepts_http_and_https_bases() {
    let c = |s: &str| ok("collector", &[Value::str(s)]);
    assert_eq!(
        c("https://collect.example.com"),
        Command::Collector("https://collect.example.com".into())
    );
    assert_eq!(
        c("https://collect.example.com/"),
        Command::Collector("https://collect.example.com".into())
    );
    assert_eq!(
        c("  https://collect.example.com//  "),
        Command::Collector("https://collect.example.com".into())
    );
    assert_eq!(
        c("http://localhost:8080"),
        Command::Collector("http://localhost:8080".into())
    );
    assert_eq!(
        c("HTTPS://Collect.Example.COM:443/"),
        Command::Collector("https://collect.example.com:443".into())
    );
    assert_eq!(
        c("https://example.com/insp/"),
        Command::Collector("https://example.com/insp".into())
    );
    assert_eq!(
        c("https://example.com/Insp"),
        Command::Collector("https://example.com/Insp".into())
    );
    assert_eq!(
        c("http://127.0.0.1:3000"),
        Command::Collector("http://127.0.0.1:3000".into())
    );
    assert_eq!(
        c("http://[::1]:3000/"),
        Command::Collector("http://[::1]:3000".into())
    );
    assert_eq!(c("http://[::1]"), Command::Collector("http://[::1]".into()));
    assert_eq!(
        c("http://localhost:08080"),
        Command::Collector("http://localhost:8080".into())
    );
}

#[test]
fn collector_refuses_bad_urls() {
    for s in [
        "",
        "collect.example.com",
        "//collect.example.com",
        "ftp://collect.example.com",
        "javascript:alert(1)",
        "https://",
        "https:///path",
        "https://:8080",
        "https://host:0",
        "https://host:65536",
        "https://host:",
        "https://host:abc",
        "https://host?x=1",
        "https://host/#frag",
        "https://user:pass@host",
        "https://ho st",
        "https://hôst.example",
        "https://host\\path",
        "http://[::1",
        "http://[zz]",
        "http://[::1]x",
    ] {
        refused("collector", &[Value::str(s)]);
    }
    let long = format!("https://example.com/{}", "a".repeat(URL_MAX_CHARS));
    refused("collector", &[Value::String(long)]);
    for v in [num(1.0), Value::Null, Value::Bool(true), Value::obj(&[])] {
        refused("collector", &[v]);
    }
    refused("collector", &[]);
}

// ---- never panics ----

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Undefined),
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<f64>().prop_map(Value::Number),
        prop_oneof![
            Just(0.0),
            Just(-0.0),
            Just(1.0),
            Just(-1.0),
            Just(1.5),
            Just(9007199254740992.0)
        ]
        .prop_map(Value::Number),
        "-?[0-9]{0,25}".prop_map(Value::BigInt),
        ".{0,24}".prop_map(Value::String),
        "(https?|HTTP|ftp)://[a-z0-9:.@?#/\\[\\] -]{0,20}".prop_map(Value::String),
        " ?[0-9]{0,22} ?".prop_map(Value::String),
        prop_oneof![Just("function"), Just("symbol"), Just("cycle")].prop_map(Value::Other),
    ];
    leaf.prop_recursive(12, 256, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((".{0,5}", inner), 0..6).prop_map(Value::Object),
        ]
    })
}

fn arb_entry() -> impl Strategy<Value = Value> {
    let name = prop_oneof![
        Just("wid"),
        Just("identify"),
        Just("tagSession"),
        Just("disableGACapture"),
        Just("virtualPage"),
        Just("debug"),
        Just("collector"),
        Just("consent"),
        Just("TAGSESSION"),
        Just("foo"),
    ]
    .prop_map(Value::str);
    prop_oneof![
        3 => (name, prop::collection::vec(arb_value(), 0..3)).prop_map(|(n, args)| {
            let mut items = vec![n];
            items.extend(args);
            Value::Array(items)
        }),
        1 => arb_value(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn parse_never_panics_and_always_explains(v in arb_entry()) {
        let p = parse(&v);
        let name = match &v {
            Value::Array(items) => match items.first() {
                Some(Value::String(s)) => Some(s.clone()),
                _ => None,
            },
            _ => None,
        };
        if p.command.is_none() {
            prop_assert!(!p.warnings.is_empty(), "no command and no warning for {:?}", v);
        }
        for w in &p.warnings {
            match &name {
                Some(n) => prop_assert!(w.starts_with(&format!("{n}: ")) || w.starts_with("insp: "), "{}", w),
                None => prop_assert!(w.starts_with("insp: "), "{}", w),
            }
        }
        match p.command {
            Some(Command::Wid(id)) => prop_assert!(id > 0),
            Some(Command::Identify(id)) => {
                prop_assert!(!id.is_empty());
                prop_assert!(id.chars().count() <= IDENTITY_MAX_CHARS);
            }
            Some(Command::Collector(url)) => {
                prop_assert!(url.starts_with("https://") || url.starts_with("http://"));
                prop_assert!(!url.ends_with('/'));
            }
            Some(Command::VirtualPage(Some(name))) => prop_assert!(!name.is_empty() && name.chars().count() <= URL_MAX_CHARS),
            _ => {}
        }
    }
}
