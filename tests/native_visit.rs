//! Visit recording as pure logic, with a fake clock: the pointer sampler, throttles, navigation
//! dedupe, own-traffic filters, the agent's navigation/page-view path and event ordering, and
//! the rrweb export of visit events.

use insp_agent::agent::{Agent, StartEnv};
use insp_agent::codec;
use insp_agent::event::{
    Body, DeviceInfo, Element, ErrorInfo, EventBatch, EventData, FlatNode, FullSnapshot, MouseKind, NavKind, NetworkInfo, NodeKind, Ns,
    PageView, Tree,
};
use insp_agent::replay::Timeline;
use insp_agent::rrweb::{export, Json};
use insp_agent::sampling::{cap, is_agent_error, is_agent_url, Budget, MouseSampler, NavTracker, Throttle};
use insp_agent::value::Value;

const T0: u64 = 1_700_000_000_000;

// ---- pointer sampler ------------------------------------------------------------------------

#[test]
fn sampler_keeps_one_position_per_gap_and_batches_per_interval() {
    let mut s = MouseSampler::new(50, 500);
    assert!(s.idle());
    // 100 positions 10 ms apart (1 s of movement).
    let mut batches = Vec::new();
    for i in 0..100u64 {
        batches.extend(s.offer(T0 + i * 10, i as i32, 0));
    }
    batches.extend(s.flush());
    let all: Vec<(u64, i32)> =
        batches.iter().flat_map(|b| b.positions.iter().map(move |p| (b.t_ms + p.2 as u64, p.0))).collect();
    // One every 50 ms, plus the resting position at the end.
    let times: Vec<u64> = all.iter().map(|p| p.0 - T0).collect();
    assert_eq!(&times[..20], &(0..20).map(|i| i * 50).collect::<Vec<_>>()[..]);
    assert_eq!(*all.last().unwrap(), (T0 + 990, 99), "the pointer's last position is kept");
    for w in times.windows(2).take(19) {
        assert!(w[1] - w[0] >= 50);
    }
    // Batches of about 500 ms: the first ends when a position 500 ms after its start arrives.
    assert_eq!(batches[0].t_ms, T0);
    assert_eq!(batches[0].positions.len(), 10);
    assert!(batches[0].positions.iter().all(|p| p.2 < 500));
    assert!(s.idle());
}

#[test]
fn sampler_is_idle_without_movement_and_ticks_release_the_resting_position() {
    let mut s = MouseSampler::new(50, 500);
    for t in 0..1000 {
        assert!(s.poll(T0 + t * 250).is_none(), "an idle sampler does nothing");
    }
    assert!(s.offer(T0, 10, 10).is_none());
    assert!(s.offer(T0 + 20, 11, 11).is_none()); // held: within the gap
    assert!(s.poll(T0 + 40).is_none(), "not yet a whole gap after the last sample");
    // A tick after the gap keeps the resting position; the batch is due after 500 ms.
    assert!(s.poll(T0 + 100).is_none());
    assert!(!s.idle());
    let b = s.poll(T0 + 500).expect("due");
    assert_eq!(b.t_ms, T0);
    assert_eq!(b.positions, vec![(10, 10, 0), (11, 11, 20)]);
    assert!(s.idle());
    assert!(s.poll(T0 + 10_000).is_none());
}

#[test]
fn sampler_survives_a_clock_going_backwards() {
    let mut s = MouseSampler::new(50, 500);
    s.offer(T0 + 1000, 1, 1);
    s.offer(T0, 2, 2); // earlier than the last sample: held as the tail
    let b = s.flush().unwrap();
    assert_eq!(b.t_ms, T0 + 1000);
    assert_eq!(b.positions.len(), 2);
}

// ---- throttle -------------------------------------------------------------------------------

#[test]
fn throttle_passes_the_first_value_holds_the_rest_and_releases_the_last() {
    let mut th = Throttle::new(100);
    assert_eq!(th.offer(T0, (0, 10)), Some((T0, (0, 10))));
    assert_eq!(th.offer(T0 + 16, (0, 20)), None);
    assert_eq!(th.offer(T0 + 32, (0, 30)), None);
    assert_eq!(th.poll(T0 + 50), None, "not before the interval");
    assert_eq!(th.poll(T0 + 100), Some((T0 + 32, (0, 30))), "the latest, with its own time");
    assert_eq!(th.poll(T0 + 400), None);
    // A value equal to the last one released is nothing.
    assert_eq!(th.offer(T0 + 500, (0, 30)), None);
    assert_eq!(th.flush(), None);
    // Back to a released value cancels the one held.
    assert_eq!(th.offer(T0 + 600, (0, 40)), Some((T0 + 600, (0, 40))));
    assert_eq!(th.offer(T0 + 610, (0, 50)), None);
    assert_eq!(th.offer(T0 + 620, (0, 40)), None);
    assert_eq!(th.poll(T0 + 1000), None);
    // flush releases at once.
    assert_eq!(th.offer(T0 + 1001, (0, 60)), Some((T0 + 1001, (0, 60))));
    assert_eq!(th.offer(T0 + 1010, (0, 70)), None);
    assert_eq!(th.flush(), Some((T0 + 1010, (0, 70))));
}

#[test]
fn throttle_rate_is_bounded_under_a_stream_of_values() {
    let mut th = Throttle::new(100);
    let mut out = 0;
    for i in 0..1000u64 {
        out += th.offer(T0 + i * 5, i as i32).is_some() as u32;
        if i % 50 == 0 {
            out += th.poll(T0 + i * 5).is_some() as u32;
        }
    }
    out += th.flush().is_some() as u32;
    // 5 s of values: about one per 100 ms.
    assert!((45..=55).contains(&out), "{out}");
}

// ---- navigation, filters --------------------------------------------------------------------

#[test]
fn navigation_tracker_reports_only_url_changes() {
    let mut n = NavTracker::new("https://a.example/p?q=1");
    assert_eq!(n.observe("https://a.example/p?q=1", NavKind::Replace), None, "same URL: state only");
    assert_eq!(n.observe("https://a.example/q", NavKind::Push), Some(NavKind::Push));
    assert_eq!(n.observe("https://a.example/q#top", NavKind::Pop), Some(NavKind::Hash), "popstate of a fragment");
    assert_eq!(n.observe("https://a.example/q#top", NavKind::Hash), None, "its hashchange after popstate");
    assert_eq!(n.observe("https://a.example/p?q=1", NavKind::Pop), Some(NavKind::Pop));
    assert_eq!(n.observe("https://a.example/p?q=2", NavKind::Replace), Some(NavKind::Replace));
    assert_eq!(n.url(), "https://a.example/p?q=2");
}

#[test]
fn own_traffic_and_own_errors_are_recognized() {
    let c = "https://c.example";
    assert!(is_agent_url("https://c.example/i/v1?wid=1", c));
    assert!(is_agent_url("https://c.example/i/v1/settings?wid=1", c));
    assert!(!is_agent_url("https://c.example/examples/api.json", c), "the collector's other pages are the page's");
    assert!(!is_agent_url("https://c.example.evil.com/i/v1", c));
    assert!(is_agent_url("https://c.example/base/i/v1", "https://c.example/base"));
    assert!(!is_agent_url("https://shop.example/api", c));
    assert!(!is_agent_url("https://c.example/x", ""));

    let own = "Error: x\n    at f (https://c.example/inspectlet.js?wid=1:1:200)\n    at https://c.example/inspectlet.js?wid=1:1:300";
    assert!(is_agent_error("https://c.example/inspectlet.js?wid=1", own, c));
    assert!(is_agent_error("https://c.example/inspectlet.js", "", c));
    // The page's error that passed through one of the agent's wrappers is the page's.
    let through = "SecurityError: x\n    at History.pushState (https://c.example/inspectlet.js:1:2)\n    at go (https://shop.example/app.js:3:4)";
    assert!(!is_agent_error("https://c.example/inspectlet.js", through, c));
    assert!(!is_agent_error("https://shop.example/app.js", "at f (https://shop.example/app.js:1:1)", c));
    assert!(!is_agent_error("https://c.example/examples/demo.js", "", c), "a demo page's script is the page's");
    // Firefox-style frames.
    assert!(!is_agent_error("https://c.example/inspectlet.js", "f@https://c.example/inspectlet.js:1:2\ng@https://shop.example/a.js:1:1", c));
}

#[test]
fn caps_and_budgets() {
    assert_eq!(cap("héllo", 2), "hé");
    assert_eq!(cap("héllo", 10), "héllo");
    let mut b = Budget::new(2);
    assert!(b.take() && b.take());
    assert!(!b.take());
}

// ---- the agent ------------------------------------------------------------------------------

fn env() -> StartEnv {
    StartEnv {
        now_ms: T0,
        rand: [1, 2, 3],
        collector: "https://c.example".into(),
        default_wid: Some(5),
        url: "https://shop.example/p?x=1".into(),
        title: "Shop".into(),
        referrer: "https://ref.example/".into(),
        width: 800,
        height: 600,
        cookies: String::new(),
    }
}

fn pages_sent(a: &mut Agent, now: u64) -> Vec<PageView> {
    a.tick(now, true)
        .iter()
        .filter_map(|r| match codec::decode(&r.body).ok()?.body {
            Body::Meta(m) => Some(m.pages),
            _ => None,
        })
        .flatten()
        .collect()
}

#[test]
fn history_navigations_are_events_and_page_views_once() {
    let mut a = Agent::new(env());
    a.navigation(T0 + 10, "https://shop.example/cart".into(), "Shop".into(), NavKind::Push);
    // The SPA's own virtualPage for the same URL (after setting the title) is the same view.
    a.set_location("https://shop.example/cart".into(), "Cart".into());
    a.push(&Value::Array(vec![Value::str("virtualPage")]), T0 + 20);
    // A named virtualPage is a view of its own.
    a.push(&Value::Array(vec![Value::str("virtualPage"), Value::str("/step-2")]), T0 + 30);
    a.navigation(T0 + 40, "https://shop.example/cart#a".into(), "Cart".into(), NavKind::Hash);
    let pages = pages_sent(&mut a, T0 + 50);
    let urls: Vec<(&str, &str, bool)> = pages.iter().map(|p| (p.url.as_str(), p.title.as_str(), p.virtual_)).collect();
    assert_eq!(
        urls,
        vec![
            ("https://shop.example/p?x=1", "Shop", false),
            ("https://shop.example/cart", "Cart", true),
            ("/step-2", "Cart", true),
            ("https://shop.example/cart#a", "Cart", true),
        ]
    );
    // A later virtualPage for the hash URL after a navigation was absorbed once only.
    a.set_location("https://shop.example/cart#a".into(), "Cart".into());
    a.push(&Value::Array(vec![Value::str("virtualPage")]), T0 + 60);
    a.push(&Value::Array(vec![Value::str("virtualPage")]), T0 + 70);
    assert_eq!(pages_sent(&mut a, T0 + 80).len(), 1);
}

#[test]
fn navigation_events_are_recorded_in_the_stream() {
    let mut a = Agent::new(env());
    a.navigation(T0 + 10, "https://shop.example/b".into(), "B".into(), NavKind::Replace);
    let navs: Vec<_> = a
        .buffered_events()
        .filter_map(|(t, e)| match e {
            EventData::Navigation { url, kind } => Some((t, url.clone(), *kind)),
            _ => None,
        })
        .collect();
    assert_eq!(navs, vec![(T0 + 10, "https://shop.example/b".to_string(), NavKind::Replace)]);
}

#[test]
fn a_bfcache_return_is_a_page_view_and_asks_for_a_snapshot() {
    let mut a = Agent::new(env());
    let _ = pages_sent(&mut a, T0 + 1);
    assert!(!a.take_snapshot_request());
    a.bfcache_restored(T0 + 5000, "https://shop.example/p?x=1".into(), "Shop".into());
    assert!(a.take_snapshot_request());
    let pages = pages_sent(&mut a, T0 + 5001);
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].url, "https://shop.example/p?x=1");
}

#[test]
fn late_events_are_placed_in_time_order() {
    let mut a = Agent::new(env());
    a.record_visit_at(T0 + 100, EventData::Visibility { hidden: false }, false);
    a.record_visit_at(T0 + 300, EventData::Visibility { hidden: true }, false);
    // A pointer batch that started before both.
    a.record_visit_at(T0 + 50, EventData::MouseMove { positions: vec![(1, 2, 0)] }, true);
    a.record_visit_at(T0 + 200, EventData::Scroll { id: 1, x: 0, y: 5 }, true);
    let times: Vec<u64> = a.buffered_events().map(|(t, _)| t).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "{times:?}");
    assert!(matches!(a.buffered_events().nth(1).unwrap().1, EventData::MouseMove { .. }));
}

#[test]
fn interactions_keep_the_session_alive() {
    let mut a = Agent::new(env());
    let sid = a.session().sid.clone();
    // Every 20 minutes for two hours: the session never idles out.
    for i in 1..=6 {
        a.record_visit(T0 + i * 20 * 60_000, EventData::Mouse { kind: MouseKind::Click, id: 0, x: 0, y: 0 }, true);
    }
    assert_eq!(a.session().sid, sid);
    // Passive events (visibility, errors) do not.
    a.record_visit(T0 + 6 * 20 * 60_000 + 31 * 60_000, EventData::Visibility { hidden: false }, false);
    assert_eq!(a.session().sid, sid);
    // The next interaction after 31 idle minutes starts a new session.
    a.record_visit(T0 + 6 * 20 * 60_000 + 32 * 60_000, EventData::Mouse { kind: MouseKind::Click, id: 0, x: 0, y: 0 }, true);
    assert_ne!(a.session().sid, sid);
}

// ---- rrweb export ---------------------------------------------------------------------------

fn element(id: u32, n: u32, tag: &str) -> FlatNode {
    FlatNode {
        id,
        n,
        kind: NodeKind::Element(Element { tag: tag.into(), ns: Ns::Html, attrs: vec![], props: vec![] }),
    }
}

fn snapshot() -> EventData {
    EventData::FullSnapshot(FullSnapshot {
        tree: Tree {
            nodes: vec![
                FlatNode { id: 1, n: 1, kind: NodeKind::Document { quirks: false } },
                element(2, 2, "html"),
                element(3, 0, "head"),
                element(4, 2, "body"),
                element(5, 0, "button"),
                element(6, 0, "video"),
            ],
        },
        scroll_x: 0,
        scroll_y: 0,
        width: 800,
        height: 600,
    })
}

fn ev(dt_ms: u32, data: EventData) -> insp_agent::event::Event {
    insp_agent::event::Event { dt_ms, data }
}

fn custom<'a>(out: &'a [Json], tag: &str) -> Vec<&'a Json> {
    out.iter()
        .filter(|e| e.get("type").and_then(Json::as_i64) == Some(5))
        .filter(|e| e.get("data").and_then(|d| d.get("tag")).and_then(Json::as_str) == Some(tag))
        .collect()
}

fn incremental(out: &[Json], source: i64) -> Vec<&Json> {
    out.iter()
        .filter(|e| e.get("type").and_then(Json::as_i64) == Some(3))
        .filter(|e| e.get("data").and_then(|d| d.get("source")).and_then(Json::as_i64) == Some(source))
        .collect()
}

#[test]
fn rrweb_export_carries_visit_events() {
    let events = vec![
        ev(0, EventData::Start { url: "https://shop.example/".into(), referrer: String::new(), width: 800, height: 600 }),
        ev(0, EventData::Device(DeviceInfo {
            user_agent: "UA".into(),
            screen_width: 1920,
            screen_height: 1080,
            pixel_ratio_pct: 150,
            language: "en".into(),
            time_zone: "UTC".into(),
            referrer: String::new(),
        })),
        // Before the snapshot: node events are left out, custom ones kept.
        ev(1, EventData::Mouse { kind: MouseKind::Click, id: 5, x: 1, y: 1 }),
        ev(10, snapshot()),
        ev(20, EventData::MouseMove { positions: vec![(10, 10, 0), (20, 20, 50), (30, 30, 100)] }),
        ev(130, EventData::Mouse { kind: MouseKind::Click, id: 5, x: 30, y: 30 }),
        ev(131, EventData::Mouse { kind: MouseKind::TouchStart, id: 999, x: 3, y: 4 }),
        ev(140, EventData::Focus { id: 5, focused: true }),
        ev(150, EventData::Scroll { id: 1, x: 0, y: 400 }),
        ev(160, EventData::Viewport { width: 1024, height: 700 }),
        ev(170, EventData::Media { id: 6, playing: true, time_ms: 1500 }),
        ev(180, EventData::Navigation { url: "https://shop.example/cart".into(), kind: NavKind::Push }),
        ev(190, EventData::Error(ErrorInfo {
            message: "boom".into(),
            source: "https://shop.example/app.js".into(),
            line: 3,
            column: 4,
            stack: "Error: boom".into(),
            rejection: false,
        })),
        ev(200, EventData::Network(NetworkInfo {
            method: "GET".into(),
            url: "https://shop.example/api".into(),
            status: 200,
            duration_ms: 12,
            request_bytes: 0,
            response_bytes: 34,
            fetch: true,
        })),
        ev(210, EventData::Visibility { hidden: true }),
    ];
    let tl = Timeline::new(vec![(7, EventBatch { seq: 0, t0_ms: T0, t1_ms: T0 + 300, events })]);
    let out = export(&tl);

    let moves = incremental(&out, 1);
    assert_eq!(moves.len(), 1);
    let m = moves[0];
    assert_eq!(m.get("timestamp").and_then(Json::as_i64), Some((T0 + 120) as i64), "stamped at the last position");
    let pos = m.get("data").unwrap().get("positions").unwrap().as_array().unwrap();
    let offs: Vec<i64> = pos.iter().map(|p| p.get("timeOffset").unwrap().as_i64().unwrap()).collect();
    assert_eq!(offs, vec![-100, -50, 0]);
    assert!(pos.iter().all(|p| p.get("id").and_then(Json::as_i64) == Some(1)));

    let clicks = incremental(&out, 2);
    let kinds: Vec<(i64, i64)> = clicks
        .iter()
        .map(|e| {
            let d = e.get("data").unwrap();
            (d.get("type").unwrap().as_i64().unwrap(), d.get("id").unwrap().as_i64().unwrap())
        })
        .collect();
    // Click on the button; the touch on an unknown node falls back to the document; focus.
    assert_eq!(kinds, vec![(2, 5), (7, 1), (5, 5)]);
    assert_eq!(clicks[1].get("data").unwrap().get("pointerType").and_then(Json::as_i64), Some(2));

    let scroll = incremental(&out, 3);
    assert_eq!(scroll.len(), 1);
    assert_eq!(scroll[0].get("data").unwrap().get("y").and_then(Json::as_i64), Some(400));
    let resize = incremental(&out, 4);
    assert_eq!(resize[0].get("data").unwrap().get("width").and_then(Json::as_i64), Some(1024));
    let media = incremental(&out, 7);
    assert_eq!(media.len(), 1);
    assert!(media[0].to_json().contains("\"currentTime\":1.5"), "{}", media[0].to_json());

    let nav = custom(&out, "insp-navigation");
    assert_eq!(nav.len(), 1);
    assert!(nav[0].to_json().contains("\"kind\":\"push\""));
    // No Meta after the snapshot's own: rrweb would drop what precedes it when seeking.
    assert_eq!(out.iter().filter(|e| e.get("type").and_then(Json::as_i64) == Some(4)).count(), 1);
    assert_eq!(custom(&out, "insp-error").len(), 1);
    assert_eq!(custom(&out, "insp-network").len(), 1);
    assert_eq!(custom(&out, "insp-device").len(), 1);
    assert!(custom(&out, "insp-device")[0].to_json().contains("\"devicePixelRatio\":1.5"));
    assert_eq!(custom(&out, "insp-visibility").len(), 1);
    // Ordered by timestamp.
    let ts: Vec<i64> = out.iter().map(|e| e.get("timestamp").unwrap().as_i64().unwrap()).collect();
    assert!(ts.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn a_virtual_page_after_a_navigation_is_absorbed_even_with_redacted_parameters() {
    let mut a = Agent::new(env());
    a.navigation(T0 + 10, "https://shop.example/r?token=abc".into(), "R".into(), NavKind::Push);
    a.set_location("https://shop.example/r?token=abc".into(), "R".into());
    a.push(&Value::Array(vec![Value::str("virtualPage")]), T0 + 20);
    let pages = pages_sent(&mut a, T0 + 30);
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert!(!pages[1].url.contains("abc"), "redacted: {}", pages[1].url);
}
