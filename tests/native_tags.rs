//! Tag rules (src/tags.rs) and JavaScript number printing (src/jsnum.rs), natively.

use insp_agent::config::{
    TAGS_PER_SESSION_MAX, TAG_KEY_MAX_CHARS, TAG_MAX_DEPTH, TAG_VALUE_MAX_CHARS,
};
use insp_agent::event::Tag;
use insp_agent::jsnum::number_to_string;
use insp_agent::tags::{flatten, stringify, TagSet, MAX_WARNINGS};
use insp_agent::value::Value;
use proptest::prelude::*;

fn t(key: &str, value: &str) -> Tag {
    Tag {
        key: key.into(),
        value: Some(value.into()),
    }
}
fn k(key: &str) -> Tag {
    Tag {
        key: key.into(),
        value: None,
    }
}
fn num(x: f64) -> Value {
    Value::Number(x)
}
fn assert_prefixed(warnings: &[String]) {
    for w in warnings {
        assert!(w.starts_with("tagSession: "), "warning without prefix: {w}");
    }
}

// ---- jsnum ----

#[test]
fn jsnum_matches_javascript_string() {
    let cases: &[(f64, &str)] = &[
        (f64::NAN, "NaN"),
        (f64::INFINITY, "Infinity"),
        (f64::NEG_INFINITY, "-Infinity"),
        (0.0, "0"),
        (-0.0, "0"),
        (1258.0, "1258"),
        (42.0, "42"),
        (149.99, "149.99"),
        (347.5, "347.5"),
        (0.1 + 0.2, "0.30000000000000004"),
        (9007199254740992.0, "9007199254740992"),
        (1e21, "1e+21"),
        (999999999999999900000.0, "999999999999999900000"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (123e-20, "1.23e-18"),
        (1.5e300, "1.5e+300"),
        (-2.5, "-2.5"),
        (-1e21, "-1e+21"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (100.0, "100"),
        (0.5, "0.5"),
    ];
    for (x, want) in cases {
        assert_eq!(number_to_string(*x), *want, "String({x:?})");
    }
}

proptest! {
    #[test]
    fn jsnum_round_trips(x in any::<f64>()) {
        let s = number_to_string(x);
        if x.is_finite() {
            let back: f64 = s.parse().unwrap();
            prop_assert_eq!(back, x);
            prop_assert!(!s.ends_with(".0"));
            prop_assert!(!s.contains('E'));
        }
    }

    #[test]
    fn jsnum_integers_print_plainly(n in -(1i64 << 53)..(1i64 << 53)) {
        prop_assert_eq!(number_to_string(n as f64), n.to_string());
    }
}

// ---- stringify ----

#[test]
fn stringify_prints_like_javascript() {
    assert_eq!(stringify(&Value::str("pro")).as_deref(), Some("pro"));
    assert_eq!(stringify(&Value::str("")).as_deref(), Some(""));
    assert_eq!(stringify(&num(149.99)).as_deref(), Some("149.99"));
    assert_eq!(stringify(&num(1258.0)).as_deref(), Some("1258"));
    assert_eq!(stringify(&Value::Bool(true)).as_deref(), Some("true"));
    assert_eq!(stringify(&Value::Bool(false)).as_deref(), Some("false"));
    assert_eq!(
        stringify(&Value::BigInt("123456789012345678901234567890".into())).as_deref(),
        Some("123456789012345678901234567890")
    );
    assert_eq!(stringify(&Value::Null), None);
    assert_eq!(stringify(&Value::Undefined), None);
    assert_eq!(stringify(&Value::obj(&[("a", num(1.0))])), None);
    assert_eq!(stringify(&Value::Other("function")), None);
}

#[test]
fn stringify_joins_arrays_like_javascript() {
    let s = |v: Value| stringify(&v).unwrap();
    assert_eq!(s(Value::arr(&[num(1.0), num(2.0)])), "1,2");
    assert_eq!(s(Value::arr(&[])), "");
    assert_eq!(s(Value::arr(&[Value::arr(&[])])), "");
    assert_eq!(s(Value::arr(&[Value::arr(&[]), Value::arr(&[])])), ",");
    assert_eq!(
        s(Value::arr(&[
            num(1.0),
            Value::arr(&[num(2.0), Value::arr(&[num(3.0)])])
        ])),
        "1,2,3"
    );
    assert_eq!(
        s(Value::arr(&[Value::Null, Value::Undefined, num(0.5)])),
        ",,0.5"
    );
    assert_eq!(
        s(Value::arr(&[
            Value::str("a"),
            Value::Bool(true),
            Value::obj(&[])
        ])),
        "a,true,[object Object]"
    );
    assert_eq!(
        s(Value::arr(&[Value::Other("function"), Value::str("x")])),
        ",x"
    );
    // Deep nesting does not recurse.
    let mut deep = num(7.0);
    for _ in 0..100_000 {
        deep = Value::Array(vec![deep]);
    }
    assert_eq!(stringify(&deep).as_deref(), Some("7"));
    std::mem::forget(deep); // Value's own drop is recursive; not this module's concern.
}

// ---- flatten ----

#[test]
fn seed_string_tag() {
    let f = flatten(&Value::str("viewed checkout"));
    assert_eq!(f.tags, vec![k("viewed checkout")]);
    assert!(f.warnings.is_empty());
}

#[test]
fn seed_multiple_pairs_in_one_call() {
    let f = flatten(&Value::obj(&[
        ("email", Value::str("john@example.com")),
        ("userId", num(1258.0)),
        ("pointsEarned", num(42.0)),
    ]));
    assert_eq!(
        f.tags,
        vec![
            t("email", "john@example.com"),
            t("userId", "1258"),
            t("pointsEarned", "42")
        ]
    );
    assert!(f.warnings.is_empty());
}

#[test]
fn seed_order_value_and_booleans() {
    let f = flatten(&Value::obj(&[
        ("order_value", num(149.99)),
        ("payment_method", Value::str("credit_card")),
        ("is_first_purchase", Value::Bool(true)),
        ("used_bulk_edit", Value::Bool(false)),
        ("order_value_2", num(347.50)),
    ]));
    assert_eq!(
        f.tags,
        vec![
            t("order_value", "149.99"),
            t("payment_method", "credit_card"),
            t("is_first_purchase", "true"),
            t("used_bulk_edit", "false"),
            t("order_value_2", "347.5"),
        ]
    );
}

#[test]
fn seed_nested_objects_use_dot_keys() {
    let f = flatten(&Value::obj(&[
        (
            "user",
            Value::obj(&[
                ("plan", Value::str("pro")),
                ("role", Value::str("editor")),
                ("tenure_months", num(14.0)),
            ]),
        ),
        (
            "feature",
            Value::obj(&[
                ("dark_mode", Value::Bool(true)),
                ("beta_enabled", Value::Bool(true)),
            ]),
        ),
    ]));
    assert_eq!(
        f.tags,
        vec![
            t("user.plan", "pro"),
            t("user.role", "editor"),
            t("user.tenure_months", "14"),
            t("feature.dark_mode", "true"),
            t("feature.beta_enabled", "true"),
        ]
    );
    assert!(f.warnings.is_empty());
}

/// `{s1: {s2: ... {sN: "v"}}}`
fn nested(depth: usize) -> Value {
    let mut v = Value::str("v");
    for i in (1..=depth).rev() {
        v = Value::Object(vec![(format!("s{i}"), v)]);
    }
    v
}
fn dotted(depth: usize) -> String {
    (1..=depth)
        .map(|i| format!("s{i}"))
        .collect::<Vec<_>>()
        .join(".")
}

#[test]
fn nesting_at_depth_three_and_up_to_the_limit() {
    for depth in 1..=TAG_MAX_DEPTH {
        let f = flatten(&nested(depth));
        assert_eq!(f.tags, vec![t(&dotted(depth), "v")], "depth {depth}");
        assert!(f.warnings.is_empty());
    }
    let f = flatten(&Value::obj(&[(
        "a",
        Value::obj(&[("b", Value::obj(&[("c", Value::str("x"))]))]),
    )]));
    assert_eq!(f.tags, vec![t("a.b.c", "x")]);
}

#[test]
fn nesting_beyond_the_limit_is_dropped_with_a_warning() {
    let f = flatten(&nested(TAG_MAX_DEPTH + 1));
    assert!(f.tags.is_empty());
    assert_eq!(f.warnings.len(), 1);
    assert!(f.warnings[0].contains("deeper"), "{:?}", f.warnings);
    assert_prefixed(&f.warnings);

    // Siblings at allowed depths survive.
    let f = flatten(&Value::obj(&[
        ("keep", num(1.0)),
        ("deep", nested(TAG_MAX_DEPTH + 3)),
    ]));
    assert_eq!(f.tags, vec![t("keep", "1")]);
    assert_eq!(f.warnings.len(), 1);
}

#[test]
fn empty_object_is_a_silent_no_op() {
    let f = flatten(&Value::obj(&[]));
    assert!(f.tags.is_empty());
    assert!(f.warnings.is_empty());
    let f = flatten(&Value::obj(&[
        ("a", Value::obj(&[])),
        ("b", Value::str("x")),
    ]));
    assert_eq!(f.tags, vec![t("b", "x")]);
    assert!(f.warnings.is_empty());
}

#[test]
fn empty_string_is_ignored_with_a_warning() {
    let f = flatten(&Value::str(""));
    assert!(f.tags.is_empty());
    assert_eq!(f.warnings.len(), 1);
    assert_prefixed(&f.warnings);
}

#[test]
fn empty_keys_are_dropped_with_a_warning() {
    let f = flatten(&Value::obj(&[
        ("", num(1.0)),
        ("ok", num(2.0)),
        ("a", Value::obj(&[("", num(3.0))])),
    ]));
    assert_eq!(f.tags, vec![t("ok", "2")]);
    assert_eq!(f.warnings.len(), 2);
    assert_prefixed(&f.warnings);
}

#[test]
fn null_and_undefined_record_the_key_without_value() {
    let f = flatten(&Value::obj(&[
        ("a", Value::Null),
        ("b", Value::Undefined),
        ("c", Value::str("")),
    ]));
    assert_eq!(f.tags, vec![k("a"), k("b"), t("c", "")]);
    assert!(f.warnings.is_empty());
}

#[test]
fn functions_and_symbols_are_dropped_with_a_warning() {
    let f = flatten(&Value::obj(&[
        ("f", Value::Other("function")),
        ("s", Value::Other("symbol")),
        ("ok", Value::Bool(true)),
    ]));
    assert_eq!(f.tags, vec![t("ok", "true")]);
    assert_eq!(f.warnings.len(), 2);
    assert!(
        f.warnings[0].contains("'f'") && f.warnings[0].contains("function"),
        "{:?}",
        f.warnings
    );
    assert_prefixed(&f.warnings);
}

#[test]
fn arrays_and_bigints_as_values() {
    let f = flatten(&Value::obj(&[
        (
            "ids",
            Value::arr(&[num(1.0), num(2.0), Value::arr(&[num(3.0)])]),
        ),
        ("big", Value::BigInt("9007199254740993".into())),
    ]));
    assert_eq!(
        f.tags,
        vec![t("ids", "1,2,3"), t("big", "9007199254740993")]
    );
}

#[test]
fn other_top_level_types_add_nothing_and_warn() {
    for v in [
        num(1.0),
        num(f64::NAN),
        Value::Bool(true),
        Value::Null,
        Value::Undefined,
        Value::BigInt("1".into()),
        Value::arr(&[Value::str("a")]),
        Value::Other("function"),
    ] {
        let f = flatten(&v);
        assert!(f.tags.is_empty(), "{v:?}");
        assert_eq!(f.warnings.len(), 1, "{v:?}");
        assert_prefixed(&f.warnings);
    }
}

#[test]
fn repeated_key_in_one_call_keeps_the_last_value() {
    // "a.b" given directly and through nesting flatten to the same key.
    let f = flatten(&Value::obj(&[
        ("a.b", num(1.0)),
        ("x", num(0.0)),
        ("a", Value::obj(&[("b", num(2.0))])),
    ]));
    assert_eq!(f.tags, vec![t("a.b", "2"), t("x", "0")]);
    assert!(f.warnings.is_empty());
}

#[test]
fn keys_and_values_are_case_sensitive() {
    let f = flatten(&Value::obj(&[
        ("Plan", Value::str("Pro")),
        ("plan", Value::str("pro")),
    ]));
    assert_eq!(f.tags, vec![t("Plan", "Pro"), t("plan", "pro")]);
    let mut set = TagSet::default();
    set.apply(&f.tags);
    set.apply(&[t("plan", "PRO")]);
    assert_eq!(set.len(), 2);
    assert_eq!(set.get("Plan"), Some(&t("Plan", "Pro")));
    assert_eq!(set.get("plan"), Some(&t("plan", "PRO")));
    assert_eq!(set.get("PLAN"), None);
}

#[test]
fn long_keys_and_values_are_truncated_on_char_boundaries() {
    // Multi-byte chars prove the cut is by char, not byte.
    let long_key: String = "é".repeat(TAG_KEY_MAX_CHARS + 10);
    let long_val: String = "😀".repeat(TAG_VALUE_MAX_CHARS + 1);
    let f = flatten(&Value::Object(vec![(
        long_key.clone(),
        Value::String(long_val),
    )]));
    assert_eq!(f.tags.len(), 1);
    assert_eq!(f.tags[0].key.chars().count(), TAG_KEY_MAX_CHARS);
    assert_eq!(f.tags[0].key, "é".repeat(TAG_KEY_MAX_CHARS));
    assert_eq!(
        f.tags[0].value.as_deref(),
        Some("😀".repeat(TAG_VALUE_MAX_CHARS).as_str())
    );
    assert_eq!(f.warnings.len(), 2);
    assert_prefixed(&f.warnings);

    // A long string tag is a long key.
    let f = flatten(&Value::String("k".repeat(TAG_KEY_MAX_CHARS + 1)));
    assert_eq!(f.tags, vec![k(&"k".repeat(TAG_KEY_MAX_CHARS))]);
    assert_eq!(f.warnings.len(), 1);

    // Exactly at the limits: untouched, no warning.
    let f = flatten(&Value::Object(vec![(
        "k".repeat(TAG_KEY_MAX_CHARS),
        Value::String("v".repeat(TAG_VALUE_MAX_CHARS)),
    )]));
    assert!(f.warnings.is_empty());
    assert_eq!(f.tags[0].key.len(), TAG_KEY_MAX_CHARS);

    // A nested key is limited as a whole dotted key.
    let f = flatten(&Value::Object(vec![(
        "a".repeat(100),
        Value::Object(vec![("b".repeat(100), num(1.0))]),
    )]));
    assert_eq!(f.tags[0].key.chars().count(), TAG_KEY_MAX_CHARS);
    assert!(f.tags[0].key.starts_with(&format!("{}.b", "a".repeat(100))));
}

#[test]
fn one_call_never_yields_more_than_the_session_limit() {
    let pairs: Vec<(String, Value)> = (0..TAGS_PER_SESSION_MAX + 5)
        .map(|i| (format!("k{i}"), num(i as f64)))
        .collect();
    let f = flatten(&Value::Object(pairs));
    assert_eq!(f.tags.len(), TAGS_PER_SESSION_MAX);
    assert_eq!(f.warnings.len(), 1);
    assert!(f.warnings[0].contains("5 dropped"), "{:?}", f.warnings);
}

#[test]
fn warnings_are_capped_per_call() {
    let pairs: Vec<(String, Value)> = (0..50)
        .map(|i| (format!("f{i}"), Value::Other("function")))
        .collect();
    let f = flatten(&Value::Object(pairs));
    assert_eq!(f.warnings.len(), MAX_WARNINGS + 1);
    assert!(
        f.warnings.last().unwrap().contains("42 more"),
        "{:?}",
        f.warnings
    );
    assert_prefixed(&f.warnings);
}

// ---- TagSet ----

#[test]
fn seed_update_replaces_the_value() {
    let mut set = TagSet::default();
    let a = set.apply(&flatten(&Value::obj(&[("converted", Value::Bool(false))])).tags);
    assert_eq!(a.changed, vec![t("converted", "false")]);
    let a = set.apply(&flatten(&Value::obj(&[("converted", Value::Bool(true))])).tags);
    assert_eq!(a.changed, vec![t("converted", "true")]);
    assert!(a.warnings.is_empty());
    assert_eq!(set.len(), 1);
    assert_eq!(set.get("converted"), Some(&t("converted", "true")));
}

#[test]
fn seed_duplicate_tags_are_ignored() {
    let mut set = TagSet::default();
    let a = set.apply(&flatten(&Value::str("purchase")).tags);
    assert_eq!(a.changed, vec![k("purchase")]);
    let a = set.apply(&flatten(&Value::str("purchase")).tags);
    assert!(a.changed.is_empty());
    assert!(a.warnings.is_empty());
    let a = set.apply(&[t("plan", "pro"), t("plan", "pro")]);
    assert_eq!(a.changed, vec![t("plan", "pro")]);
    let a = set.apply(&[t("plan", "pro")]);
    assert!(a.changed.is_empty());
    assert_eq!(set.len(), 2);
}

#[test]
fn seed_calls_merge_with_earlier_tags() {
    let mut set = TagSet::default();
    set.apply(
        &flatten(&Value::obj(&[
            ("page_type", Value::str("checkout")),
            ("cart_items", num(3.0)),
        ]))
        .tags,
    );
    set.apply(
        &flatten(&Value::obj(&[
            ("order_value", num(149.99)),
            ("coupon_used", Value::str("SAVE20")),
        ]))
        .tags,
    );
    let all: Vec<Tag> = set.iter().cloned().collect();
    assert_eq!(
        all,
        vec![
            t("page_type", "checkout"),
            t("cart_items", "3"),
            t("order_value", "149.99"),
            t("coupon_used", "SAVE20")
        ]
    );
}

#[test]
fn value_and_no_value_replace_each_other() {
    let mut set = TagSet::default();
    set.apply(&[k("plan")]);
    let a = set.apply(&[t("plan", "pro")]);
    assert_eq!(a.changed, vec![t("plan", "pro")]);
    let a = set.apply(&[k("plan")]);
    assert_eq!(a.changed, vec![k("plan")]);
    assert_eq!(set.get("plan"), Some(&k("plan")));
}

#[test]
fn iteration_keeps_first_insertion_order_across_updates() {
    let mut set = TagSet::default();
    set.apply(&[t("a", "1"), t("b", "1"), t("c", "1")]);
    let a = set.apply(&[t("b", "2"), t("d", "1"), t("a", "2")]);
    assert_eq!(a.changed, vec![t("b", "2"), t("d", "1"), t("a", "2")]);
    let keys: Vec<&str> = set.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(keys, ["a", "b", "c", "d"]);
    assert_eq!(set.get("a"), Some(&t("a", "2")));
}

#[test]
fn changed_holds_each_key_once_with_its_last_value() {
    let mut set = TagSet::default();
    let a = set.apply(&[t("x", "1"), t("y", "1"), t("x", "2")]);
    assert_eq!(a.changed, vec![t("x", "2"), t("y", "1")]);
    assert_eq!(set.get("x"), Some(&t("x", "2")));
}

#[test]
fn session_key_limit_drops_new_keys_but_allows_updates() {
    let mut set = TagSet::default();
    let first: Vec<Tag> = (0..TAGS_PER_SESSION_MAX)
        .map(|i| t(&format!("k{i}"), "1"))
        .collect();
    let a = set.apply(&first);
    assert_eq!(a.changed.len(), TAGS_PER_SESSION_MAX);
    assert!(a.warnings.is_empty());

    let a = set.apply(&[t("new1", "x"), t("k0", "2"), t("new2", "x")]);
    assert_eq!(a.changed, vec![t("k0", "2")]);
    assert_eq!(a.warnings.len(), 1);
    assert!(
        a.warnings[0].contains("2 new") && a.warnings[0].contains("new1"),
        "{:?}",
        a.warnings
    );
    assert_prefixed(&a.warnings);
    assert_eq!(set.len(), TAGS_PER_SESSION_MAX);
    assert_eq!(set.get("new1"), None);
    assert_eq!(set.get("k0"), Some(&t("k0", "2")));
}

#[test]
fn from_tags_restores_with_the_same_rules() {
    let set = TagSet::from_tags(vec![t("a", "1"), k("b"), t("a", "2")]);
    assert_eq!(set.to_vec(), vec![t("a", "2"), k("b")]);
    assert_eq!(set.len(), 2);
    assert!(!set.is_empty());
    let many: Vec<Tag> = (0..TAGS_PER_SESSION_MAX + 3)
        .map(|i| t(&format!("k{i}"), "1"))
        .collect();
    assert_eq!(TagSet::from_tags(many).len(), TAGS_PER_SESSION_MAX);
    assert!(TagSet::from_tags(vec![]).is_empty());
}

// ---- never panics ----

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Undefined),
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<f64>().prop_map(Value::Number),
        "-?[0-9]{0,30}".prop_map(Value::BigInt),
        ".{0,20}".prop_map(Value::String),
        prop_oneof![Just("function"), Just("symbol"), Just("cycle")].prop_map(Value::Other),
    ];
    leaf.prop_recursive(12, 256, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((".{0,6}", inner), 0..8).prop_map(Value::Object),
        ]
    })
}

proptest! {
    #[test]
    fn flatten_and_apply_hold_their_invariants(v in arb_value(), w in arb_value()) {
        let mut set = TagSet::default();
        for input in [&v, &w] {
            let f = flatten(input);
            for msg in &f.warnings {
                prop_assert!(msg.starts_with("tagSession: "));
            }
            for tag in &f.tags {
                prop_assert!(!tag.key.is_empty());
                prop_assert!(tag.key.chars().count() <= TAG_KEY_MAX_CHARS);
                prop_assert!(tag.value.as_ref().map_or(0, |v| v.chars().count()) <= TAG_VALUE_MAX_CHARS);
            }
            let mut keys: Vec<&String> = f.tags.iter().map(|t| &t.key).collect();
            keys.sort();
            keys.dedup();
            prop_assert_eq!(keys.len(), f.tags.len());
            let a = set.apply(&f.tags);
            for tag in &a.changed {
                prop_assert_eq!(set.get(&tag.key), Some(tag));
            }
            // Re-applying is a no-op.
            prop_assert!(set.apply(&f.tags).changed.is_empty());
        }
        prop_assert!(set.len() <= TAGS_PER_SESSION_MAX);
        let _ = stringify(&v);
    }
}
