//! Storm guard-rails (`insp_agent::storm`) with a fake clock.

use insp_agent::event::{DegradeAction, DegradeReason, EventData};
use insp_agent::storm::{Capped, StormGuard, StormLimits};

fn lim() -> StormLimits {
    StormLimits {
        batch_max_nodes: 100,
        delivery_max_records: 200,
        listing_max_chars: 10_000,
        snapshot_min_interval_ms: 5_000,
        batches_per_s_max: 30,
        chars_per_s_max: 1_000,
        throttle_min_ms: 100,
        throttle_max_ms: 800,
        calm_ms: 3_000,
        quiet_ms: 40,
        capped_report_interval_ms: 10_000,
        attr_max_chars: 50,
        text_max_chars: 60,
        css_max_chars: 70,
        css_read_max_ms: 5,
    }
}

fn actions(g: &mut StormGuard) -> Vec<(DegradeReason, DegradeAction)> {
    g.take_events()
        .into_iter()
        .map(|e| match e {
            EventData::Degrade { reason, action, .. } => (reason, action),
            other => panic!("not a Degrade: {other:?}"),
        })
        .collect()
}

/// A page changing the DOM `per_s` times a second from `from` to `to`, the recorder
/// flushing whenever the guard allows; returns the number of flushes.
fn ticker(g: &mut StormGuard, from: u64, to: u64, per_s: u64, chars_per_flush: u64) -> u32 {
    let step = 1000 / per_s;
    let mut flushes = 0;
    let mut pending = false;
    let mut t = from;
    while t < to {
        g.changes(t, 1);
        pending = true;
        if let Some(at) = g.flush_at_ms(t) {
            if at <= t && pending {
                g.flushed(t, chars_per_flush);
                flushes += 1;
                pending = false;
            }
        }
        t += step;
    }
    flushes
}

#[test]
fn calm_page_flushes_at_once_and_records_nothing() {
    let mut g = StormGuard::new(lim());
    assert_eq!(ticker(&mut g, 0, 10_000, 10, 10), 100);
    g.poll(10_000);
    assert!(g.take_events().is_empty());
    assert_eq!(g.throttle_ms(), 0);
}

#[test]
fn sixty_fps_ticker_is_throttled_then_resumes() {
    let mut g = StormGuard::new(lim());
    let n = ticker(&mut g, 0, 5_000, 60, 10);
    // First second unthrottled (about 60), then about 10 a second.
    assert!(n < 60 + 4 * 11 + 2, "{n} flushes");
    assert!(n > 60 + 4 * 9 - 2, "{n} flushes");
    assert_eq!(g.throttle_ms(), 100);
    let ev = actions(&mut g);
    assert_eq!(ev, vec![(DegradeReason::BatchesPerSecond, DegradeAction::Throttle { interval_ms: 100 })]);
    // Quiet: resumes once `calm_ms` of windows under the limits passed.
    g.poll(6_500);
    assert_eq!(g.throttle_ms(), 100);
    g.poll(9_000);
    assert_eq!(g.throttle_ms(), 0);
    assert_eq!(actions(&mut g), vec![(DegradeReason::BatchesPerSecond, DegradeAction::Resume)]);
    assert_eq!(g.flush_at_ms(9_001), Some(9_001));
}

#[test]
fn still_storming_while_throttled_keeps_the_throttle() {
    let mut g = StormGuard::new(lim());
    ticker(&mut g, 0, 20_000, 60, 10);
    assert_eq!(g.throttle_ms(), 100);
    // One Throttle, no Resume: deliveries (not the throttled flushes) measure the storm.
    assert_eq!(actions(&mut g).len(), 1);
}

#[test]
fn byte_rate_doubles_the_interval_until_under_the_limit() {
    let mut g = StormGuard::new(lim());
    // 20 deliveries a second (under 30) of 300 chars each: 6000 chars/s unthrottled; 100 ms
    // gives 3000/s, 200 ms 1500/s, 400 ms 750/s (under 1000).
    ticker(&mut g, 0, 6_000, 20, 300);
    let ev = actions(&mut g);
    let throttles: Vec<DegradeAction> = ev.iter().map(|(r, a)| {
        assert_eq!(*r, DegradeReason::CharsPerSecond);
        *a
    }).collect();
    assert_eq!(
        throttles,
        vec![
            DegradeAction::Throttle { interval_ms: 100 },
            DegradeAction::Throttle { interval_ms: 200 },
            DegradeAction::Throttle { interval_ms: 400 },
        ]
    );
    // Under the limit at 400 ms for `calm_ms`: every change is recorded at once again (and,
    // the page going on as before, throttled again a second later).
    ticker(&mut g, 6_000, 8_000, 20, 300);
    assert_eq!(
        actions(&mut g),
        vec![
            (DegradeReason::CharsPerSecond, DegradeAction::Resume),
            (DegradeReason::CharsPerSecond, DegradeAction::Throttle { interval_ms: 100 })
        ]
    );
    // Capped at `throttle_max_ms`.
    let mut g = StormGuard::new(lim());
    ticker(&mut g, 0, 10_000, 20, 100_000);
    assert_eq!(g.throttle_ms(), 800);
}

#[test]
fn throttled_flush_waits_for_the_interval() {
    let mut g = StormGuard::new(lim());
    g.changes(0, 100);
    g.flushed(500, 10);
    g.changes(1_000, 1); // closes the first window: 100 deliveries
    assert_eq!(g.throttle_ms(), 100);
    assert_eq!(g.flush_at_ms(1_000), Some(1_000)); // 500 + 100 already passed
    g.flushed(1_000, 10);
    assert_eq!(g.flush_at_ms(1_020), Some(1_100));
}

#[test]
fn a_throttled_page_that_stops_changing_is_flushed_at_once() {
    let mut g = StormGuard::new(lim());
    g.changes(0, 100);
    g.flushed(999, 10);
    g.changes(1_000, 1);
    assert_eq!(g.throttle_ms(), 100);
    // Still changing (last change 5 ms ago): look again once it would be quiet long enough.
    assert_eq!(g.flush_or_check_at_ms(1_010, 5), Some(1_045));
    // Or at the throttle's time, if that is sooner.
    assert_eq!(g.flush_or_check_at_ms(1_080, 5), Some(1_099));
    // Quiet for 40 ms: now.
    assert_eq!(g.flush_or_check_at_ms(1_050, 40), Some(1_050));
    // Not throttled: now.
    let mut g = StormGuard::new(lim());
    assert_eq!(g.flush_or_check_at_ms(5, 0), Some(5));
    // Awaiting a replacement snapshot: never.
    g.oversize(10, insp_agent::event::DegradeReason::BatchNodes, 1_000);
    assert_eq!(g.flush_or_check_at_ms(20, 1_000), None);
}

#[test]
fn oversize_batch_is_replaced_by_a_rate_limited_snapshot() {
    let mut g = StormGuard::new(lim());
    assert_eq!(g.oversize(1_000, DegradeReason::BatchNodes, 20_000), 1_000);
    assert_eq!(g.flush_at_ms(1_000), None);
    assert_eq!(g.snapshot_due_ms(), Some(1_000));
    g.snapshot_started(1_000);
    assert_eq!(g.snapshot_due_ms(), None);
    assert_eq!(g.flush_at_ms(1_200), Some(1_200));
    // The next one within the interval waits for it: nothing is recorded meanwhile.
    assert_eq!(g.oversize(2_000, DegradeReason::ListingChars, 12_000), 6_000);
    assert_eq!(g.flush_at_ms(3_000), None);
    g.snapshot_started(6_000);
    // A checkout (no replacement awaited) does not move the interval.
    g.snapshot_started(8_000);
    assert_eq!(g.oversize(11_500, DegradeReason::BatchNodes, 150), 11_500);
    let ev = g.take_events();
    assert_eq!(
        ev,
        vec![
            EventData::Degrade {
                reason: DegradeReason::BatchNodes,
                measured: 20_000,
                limit: 100,
                action: DegradeAction::Snapshot
            },
            EventData::Degrade {
                reason: DegradeReason::ListingChars,
                measured: 12_000,
                limit: 10_000,
                action: DegradeAction::Snapshot
            },
            EventData::Degrade { reason: DegradeReason::BatchNodes, measured: 150, limit: 100, action: DegradeAction::Snapshot },
        ]
    );
}

#[test]
fn checkout_stands_in_for_an_awaited_replacement() {
    let mut g = StormGuard::new(lim());
    g.oversize(0, DegradeReason::BatchNodes, 500);
    g.snapshot_started(0);
    assert_eq!(g.oversize(1_000, DegradeReason::BatchNodes, 500), 5_000);
    g.snapshot_started(2_000); // a checkout came first
    assert_eq!(g.snapshot_due_ms(), None);
    assert_eq!(g.flush_at_ms(2_100), Some(2_100));
}

#[test]
fn capped_values_are_tallied_and_reported_at_most_once_per_interval() {
    let mut g = StormGuard::new(lim());
    g.capped(0, Capped::Attribute, 1, 5_000_000);
    g.capped(100, Capped::Attribute, 2, 70);
    g.capped(200, Capped::Stylesheet, 1, 9_000);
    g.capped(300, Capped::Text, 0, 0);
    let ev = g.take_events();
    assert_eq!(
        ev,
        vec![
            EventData::Degrade {
                reason: DegradeReason::LongAttribute,
                measured: 5_000_000,
                limit: 50,
                action: DegradeAction::Truncate { count: 1 }
            },
            EventData::Degrade {
                reason: DegradeReason::LongStylesheet,
                measured: 9_000,
                limit: 70,
                action: DegradeAction::Truncate { count: 1 }
            },
        ]
    );
    g.poll(9_999);
    assert!(g.take_events().is_empty());
    g.poll(10_000);
    assert_eq!(
        g.take_events(),
        vec![EventData::Degrade {
            reason: DegradeReason::LongAttribute,
            measured: 70,
            limit: 50,
            action: DegradeAction::Truncate { count: 2 }
        }]
    );
}

#[test]
fn events_are_bounded_under_any_storm() {
    // A page that storms, calms and storms again forever: at most a Throttle and a Resume per
    // `calm_ms` plus a second or so.
    let mut g = StormGuard::new(lim());
    let mut t = 0;
    let mut total = 0;
    for _ in 0..50 {
        ticker(&mut g, t, t + 1_500, 100, 10);
        t += 1_500;
        g.poll(t + 3_500);
        t += 3_500;
        total += g.take_events().len();
    }
    assert!(total <= 100, "{total} events in {t} ms");
}
