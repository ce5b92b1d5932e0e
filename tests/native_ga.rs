//! dataLayer entries -> `GA: ` tags.

use insp_agent::event::Tag;
use insp_agent::ga::{map_arguments, map_entry};
use insp_agent::value::Value;

fn tag(k: &str, v: Option<&str>) -> Tag {
    Tag { key: k.into(), value: v.map(Into::into) }
}

#[test]
fn an_event_push_gives_the_event_tag_and_its_fields() {
    let tags = map_entry(&Value::obj(&[("event", Value::str("purchase")), ("transaction_id", Value::str("T-1")), ("value", Value::Number(149.99))]));
    assert_eq!(tags, vec![tag("GA: purchase", None), tag("GA: transaction_id", Some("T-1")), tag("GA: value", Some("149.99"))]);
}

#[test]
fn plain_objects_are_flattened_with_the_prefix_and_items_arrays_skipped() {
    let item = Value::obj(&[("id", Value::str("sku"))]);
    let tags = map_entry(&Value::obj(&[(
        "ecommerce",
        Value::obj(&[("currency", Value::str("EUR")), ("items", Value::arr(&[item])), ("value", Value::Number(12.0))]),
    )]));
    assert_eq!(tags, vec![tag("GA: ecommerce.currency", Some("EUR")), tag("GA: ecommerce.value", Some("12"))]);
}

#[test]
fn tag_manager_bookkeeping_is_skipped() {
    assert!(map_entry(&Value::obj(&[("event", Value::str("gtm.js")), ("gtm.start", Value::Number(1.0))])).is_empty());
    let tags = map_entry(&Value::obj(&[("event", Value::str("signup")), ("gtm.uniqueEventId", Value::Number(4.0))]));
    assert_eq!(tags, vec![tag("GA: signup", None)]);
}

#[test]
fn gtag_arguments_are_understood() {
    let args = |items: &[Value]| -> Vec<(String, Value)> { items.iter().enumerate().map(|(i, v)| (i.to_string(), v.clone())).collect() };
    let ev = map_arguments(&args(&[Value::str("event"), Value::str("sign_up"), Value::obj(&[("method", Value::str("Google"))])]));
    assert_eq!(ev, vec![tag("GA: sign_up", None), tag("GA: method", Some("Google"))]);
    let set = map_arguments(&args(&[Value::str("set"), Value::obj(&[("user_type", Value::str("pro"))])]));
    assert_eq!(set, vec![tag("GA: user_type", Some("pro"))]);
    assert!(map_arguments(&args(&[Value::str("config"), Value::str("G-XYZ")])).is_empty());
    assert!(map_arguments(&args(&[Value::str("js"), Value::Number(0.0)])).is_empty());
}

#[test]
fn junk_gives_nothing() {
    for v in [Value::Null, Value::Number(1.0), Value::str("x"), Value::arr(&[]), Value::obj(&[])] {
        assert!(map_entry(&v).is_empty());
    }
}

#[test]
fn the_agent_tags_data_layer_entries_unless_capture_is_disabled() {
    use insp_agent::agent::{Agent, StartEnv};
    let env = || StartEnv { now_ms: 1000, rand: [1, 2, 3], collector: "http://c".into(), default_wid: Some(1), ..Default::default() };
    let mut a = Agent::new(env());
    a.data_layer(&Value::obj(&[("event", Value::str("purchase")), ("transaction_id", Value::str("T-1"))]), 1000);
    assert_eq!(a.tags().get("GA: purchase"), Some(&tag("GA: purchase", None)));
    assert_eq!(a.tags().get("GA: transaction_id").and_then(|t| t.value.as_deref()), Some("T-1"));

    let mut b = Agent::new(env());
    b.push(&Value::arr(&[Value::str("disableGACapture")]), 1000);
    b.data_layer(&Value::obj(&[("event", Value::str("purchase"))]), 1000);
    assert!(b.tags().is_empty());
}
