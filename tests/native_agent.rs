//! The agent state machine: what leaves the browser, when, and with which session.

use insp_agent::agent::{Agent, Level, Request, StartEnv};
use insp_agent::codec;
use insp_agent::config::{META_DEBOUNCE_MS, SESSION_IDLE_TIMEOUT_MS, SESSION_MAX_DURATION_MS};
use insp_agent::event::{Body, Envelope, EventData, Meta, Tag};
use insp_agent::session::{self, Session};
use insp_agent::value::Value;

const T0: u64 = 1_700_000_000_000;

fn env(cookies: &str) -> StartEnv {
    StartEnv {
        now_ms: T0,
        rand: [1, 2, 3],
        collector: "https://c.example".into(),
        default_wid: None,
        url: "https://shop.example/p?x=1".into(),
        title: "Shop".into(),
        referrer: "".into(),
        width: 800,
        height: 600,
        cookies: cookies.into(),
    }
}

fn cmd(items: &[Value]) -> Value {
    Value::Array(items.to_vec())
}

fn decode(reqs: &[Request]) -> Vec<Envelope> {
    reqs.iter().map(|r| codec::decode(&r.body).expect("decodes")).collect()
}

fn metas(reqs: &[Request]) -> Vec<Meta> {
    decode(reqs)
        .into_iter()
        .filter_map(|e| match e.body {
            Body::Meta(m) => Some(m),
            _ => None,
        })
        .collect()
}

fn tag(k: &str, v: Option<&str>) -> Tag {
    Tag { key: k.into(), value: v.map(Into::into) }
}

#[test]
fn nothing_is_sent_before_a_valid_wid() {
    let mut a = Agent::new(env(""));
    a.push(&cmd(&[Value::str("identify"), Value::str("bob")]), T0);
    a.push(&cmd(&[Value::str("wid"), Value::str("abc")]), T0);
    assert!(a.tick(T0 + 60_000, true).is_empty());
    assert!(a.take_log().iter().any(|(l, w)| *l == Level::Warn && w.starts_with("wid")));
    a.push(&cmd(&[Value::str("wid"), Value::Number(7.0)]), T0 + 60_000);
    let reqs = a.tick(T0 + 60_001, true);
    assert!(!reqs.is_empty());
    assert!(reqs.iter().all(|r| r.url == "https://c.example/i/v1?wid=7"));
    let m = metas(&reqs);
    assert_eq!(m[0].identity.as_deref(), Some("bob"));
    assert_eq!(m[0].pages[0].url, "https://shop.example/p?x=1");
}

#[test]
fn loader_wid_is_used_when_the_queue_has_none() {
    let mut e = env("");
    e.default_wid = Some(3);
    let mut a = Agent::new(e);
    let reqs = a.tick(T0 + META_DEBOUNCE_MS, false);
    assert_eq!(decode(&reqs)[0].wid, 3);
}

#[test]
fn tags_are_debounced_into_one_small_request_and_replace_by_key() {
    let mut a = Agent::new(env(""));
    a.push(&cmd(&[Value::str("wid"), Value::Number(1.0)]), T0);
    a.push(&cmd(&[Value::str("tagSession"), Value::obj(&[("converted", Value::Bool(false))])]), T0);
    a.push(&cmd(&[Value::str("tagSession"), Value::obj(&[("user", Value::obj(&[("plan", Value::str("pro"))]))])]), T0 + 10);
    a.push(&cmd(&[Value::str("tagSession"), Value::obj(&[("converted", Value::Bool(true))])]), T0 + 20);
    a.push(&cmd(&[Value::str("tagSession"), Value::str("viewed checkout")]), T0 + 30);
    a.push(&cmd(&[Value::str("tagSession"), Value::str("viewed checkout")]), T0 + 40);
    assert!(metas(&a.tick(T0 + 100, false)).is_empty(), "held for the debounce");
    let m = metas(&a.tick(T0 + META_DEBOUNCE_MS, false));
    assert_eq!(m.len(), 1);
    let mut tags = m[0].tags.clone();
    tags.sort();
    assert_eq!(tags, vec![tag("converted", Some("true")), tag("user.plan", Some("pro")), tag("viewed checkout", None)]);
    // An identical repeat later sends nothing; a change sends only the change.
    a.push(&cmd(&[Value::str("tagSession"), Value::obj(&[("converted", Value::Bool(true))])]), T0 + 1000);
    assert!(metas(&a.tick(T0 + 5000, false)).is_empty());
    a.push(&cmd(&[Value::str("tagSession"), Value::obj(&[("plan", Value::str("x"))])]), T0 + 6000);
    let m = metas(&a.tick(T0 + 7000, false));
    assert_eq!(m[0].tags, vec![tag("plan", Some("x"))]);
    assert!(m[0].mseq > 0);
}

#[test]
fn identify_writes_a_cookie_that_the_next_page_load_reads() {
    let mut a = Agent::new(env(""));
    a.push(&cmd(&[Value::str("identify"), Value::str("jo@example.com")]), T0);
    let cookies = a.take_cookies();
    let ident = cookies.iter().rev().find(|c| c.name == session::IDENTITY_COOKIE).expect("identity cookie");
    let vid = cookies.iter().rev().find(|c| c.name == session::VISITOR_COOKIE).unwrap();
    let ses = cookies.iter().rev().find(|c| c.name == session::SESSION_COOKIE).unwrap();
    let jar = format!("a=1; {}={}; {}={}; {}={}", ident.name, ident.value, vid.name, vid.value, ses.name, ses.value);

    let mut next = Agent::new(StartEnv { now_ms: T0 + 60_000, rand: [9, 9, 9], ..env(&jar) });
    assert_eq!(next.identity(), Some("jo@example.com"));
    assert_eq!(next.session().vid, a.session().vid);
    assert_eq!(next.session().sid, a.session().sid, "same session within 30 minutes");
    next.push(&cmd(&[Value::str("wid"), Value::Number(1.0)]), T0 + 60_000);
    let m = metas(&next.tick(T0 + 61_000, true));
    assert_eq!(m[0].identity.as_deref(), Some("jo@example.com"), "a later page carries the identity");
    // Calling identify again with another value updates it.
    next.push(&cmd(&[Value::str("identify"), Value::str("other")]), T0 + 62_000);
    assert_eq!(next.identity(), Some("other"));
    assert!(next.take_cookies().iter().any(|c| c.name == session::IDENTITY_COOKIE && c.value == "other"));
}

#[test]
fn a_session_ends_after_30_idle_minutes_and_lasts_at_most_24_hours() {
    let s = Session::resume(None, None, T0, [1, 2]);
    let cookie = format!("{}.{}.{}", s.sid, s.start_ms, s.last_ms);
    let alive = Session::resume(Some(&s.vid), Some(&cookie), T0 + SESSION_IDLE_TIMEOUT_MS - 1, [5, 6]);
    assert_eq!(alive.sid, s.sid);
    let idle = Session::resume(Some(&s.vid), Some(&cookie), T0 + SESSION_IDLE_TIMEOUT_MS, [5, 6]);
    assert_ne!(idle.sid, s.sid);
    assert_eq!(idle.vid, s.vid, "the visitor id links sessions");

    let mut busy = s.clone();
    let mut t = T0;
    while t < T0 + SESSION_MAX_DURATION_MS - 60_000 {
        t += 60_000;
        assert!(!busy.touch(t, 7));
    }
    assert!(busy.touch(T0 + SESSION_MAX_DURATION_MS, 7), "24 hours is the maximum");
    assert_ne!(busy.sid, s.sid);
}

#[test]
fn malformed_cookies_start_fresh() {
    for jar in ["__insp_ses=garbage", "__insp_ses=a.b.c", "__insp_vid=<script>; __insp_ses=abcdefgh.5.1", "__insp_ident=%ZZ"] {
        let a = Agent::new(env(jar));
        assert!(a.session().sid.len() >= 8);
        assert!(a.session().vid.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(a.identity(), None);
    }
}

#[test]
fn an_expired_session_restarts_with_identity_tags_and_page() {
    let mut a = Agent::new(env(""));
    a.push(&cmd(&[Value::str("wid"), Value::Number(1.0)]), T0);
    a.push(&cmd(&[Value::str("identify"), Value::str("bob")]), T0);
    a.push(&cmd(&[Value::str("tagSession"), Value::str("vip")]), T0);
    a.tick(T0 + 1000, true);
    let old = a.session().sid.clone();
    let later = T0 + SESSION_IDLE_TIMEOUT_MS + 5000;
    a.push(&cmd(&[Value::str("tagSession"), Value::str("back")]), later);
    assert_ne!(a.session().sid, old);
    let envs = decode(&a.tick(later + 1000, true));
    let meta = envs.iter().find_map(|e| match &e.body {
        Body::Meta(m) => Some((e.sid.clone(), m.clone())),
        _ => None,
    });
    let (sid, m) = meta.unwrap();
    assert_eq!(sid, a.session().sid);
    assert_eq!(m.identity.as_deref(), Some("bob"));
    assert!(m.tags.contains(&tag("vip", None)) && m.tags.contains(&tag("back", None)));
    assert_eq!(m.pages.len(), 1);
}

#[test]
fn virtual_pages_are_page_views_and_events() {
    let mut a = Agent::new(env(""));
    a.push(&cmd(&[Value::str("wid"), Value::Number(1.0)]), T0);
    a.set_location("https://shop.example/#/cart".into(), "Cart".into());
    a.push(&cmd(&[Value::str("virtualPage")]), T0 + 5);
    a.push(&cmd(&[Value::str("virtualPage"), Value::str("/checkout/step-2")]), T0 + 6);
    let envs = decode(&a.tick(T0 + 10, true));
    let m = metas(&a.tick(T0 + 10, true));
    assert!(m.is_empty());
    let pages: Vec<_> = envs.iter().filter_map(|e| if let Body::Meta(m) = &e.body { Some(m.pages.clone()) } else { None }).flatten().collect();
    assert_eq!(pages.len(), 3);
    assert_eq!(pages.iter().map(|p| p.idx).collect::<Vec<_>>(), vec![0, 1, 2]);
    assert!(pages[1].virtual_ && pages[1].url == "https://shop.example/#/cart" && pages[1].title == "Cart");
    assert_eq!(pages[2].url, "/checkout/step-2");
    let batch = envs.iter().find_map(|e| if let Body::Events(b) = &e.body { Some(b.clone()) } else { None }).unwrap();
    assert!(matches!(batch.events[0].data, EventData::Start { .. }));
    assert_eq!(batch.events.iter().filter(|e| matches!(e.data, EventData::Page { .. })).count(), 2);
    assert!(a.tick(T0 + 20, true).is_empty());
}

#[test]
fn batches_are_numbered_and_flushed_by_age() {
    let mut a = Agent::new(env(""));
    a.push(&cmd(&[Value::str("wid"), Value::Number(1.0)]), T0);
    let first: Vec<_> = a.tick(T0 + 4000, false).into_iter().filter(|r| r.compress).collect();
    assert!(first.is_empty(), "young batch held");
    let first: Vec<_> = a.tick(T0 + 5000, false).into_iter().filter(|r| r.compress).collect();
    assert_eq!(first.len(), 1);
    a.push(&cmd(&[Value::str("virtualPage"), Value::str("/a")]), T0 + 6000);
    let second: Vec<_> = a.tick(T0 + 12_000, false).into_iter().filter(|r| r.compress).collect();
    let seqs: Vec<u32> = decode(&first).iter().chain(decode(&second).iter()).filter_map(|e| if let Body::Events(b) = &e.body { Some(b.seq) } else { None }).collect();
    assert_eq!(seqs, vec![0, 1]);
}

#[test]
fn unknown_commands_warn_with_their_name_and_change_nothing() {
    let mut a = Agent::new(env(""));
    a.push(&cmd(&[Value::str("frobnicate"), Value::Number(1.0)]), T0);
    a.push(&Value::str("not an array"), T0);
    a.push(&Value::Null, T0);
    let log = a.take_log();
    assert!(log.iter().any(|(l, w)| *l == Level::Warn && w.contains("frobnicate")));
    assert_eq!(a.wid(), None);
}

#[test]
fn debug_switch_logs_commands() {
    let mut a = Agent::new(env(""));
    a.push(&cmd(&[Value::str("debug"), Value::Bool(true)]), T0);
    a.push(&cmd(&[Value::str("tagSession"), Value::str("x")]), T0);
    assert!(a.take_log().iter().any(|(l, _)| *l == Level::Debug));
    a.push(&cmd(&[Value::str("disableGACapture")]), T0);
    assert!(!a.ga_capture());
}

#[test]
fn codec_round_trips_and_rejects_garbage() {
    let mut a = Agent::new(env(""));
    a.push(&cmd(&[Value::str("wid"), Value::Number(1.0)]), T0);
    for r in a.tick(T0 + 10_000, true) {
        let e = codec::decode(&r.body).unwrap();
        assert_eq!(codec::encode(&e), r.body);
        assert!(codec::decode(&r.body[..r.body.len() - 1]).is_err());
        let mut extra = r.body.clone();
        extra.push(0);
        assert!(codec::decode(&extra).is_err());
    }
}
