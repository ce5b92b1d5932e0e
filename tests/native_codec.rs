//! `codec::encode` is written by hand (small wasm); it must produce exactly the bytes of
//! postcard through serde (`postcard::to_allocvec`), which the collector decodes. Random
//! envelopes of every shape, every variant and field, and numbers at varint boundaries.

use insp_agent::codec;
use insp_agent::event::*;
use proptest::collection::vec;
use proptest::prelude::*;

fn s() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-z]{1,6}", "\\PC{0,12}", "[\\x00-\\x7f]{100,200}"]
}

/// Numbers around every varint length boundary, and anything.
fn u32s() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..3, 126u32..130, 16_380u32..16_390, Just(u32::MAX), any::<u32>()]
}

fn u64s() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..3, 126u64..130, Just(u64::MAX), Just(1u64 << 56), any::<u64>()]
}

fn i32s() -> impl Strategy<Value = i32> {
    prop_oneof![-3i32..3, -70i32..70, Just(i32::MIN), Just(i32::MAX), any::<i32>()]
}

fn prop_kind() -> impl Strategy<Value = PropKind> {
    prop_oneof![
        Just(PropKind::Value),
        Just(PropKind::Checked),
        Just(PropKind::Selected),
        Just(PropKind::Css),
        Just(PropKind::Scroll),
        Just(PropKind::Size),
        Just(PropKind::Opaque),
        Just(PropKind::FrameUrl),
    ]
}

fn prop() -> impl Strategy<Value = Prop> {
    prop_oneof![
        s().prop_map(Prop::Value),
        any::<bool>().prop_map(Prop::Checked),
        any::<bool>().prop_map(Prop::Selected),
        s().prop_map(Prop::Css),
        (i32s(), i32s()).prop_map(|(x, y)| Prop::Scroll { x, y }),
        (u32s(), u32s()).prop_map(|(w, h)| Prop::Size { w, h }),
        Just(Prop::Opaque),
        s().prop_map(Prop::FrameUrl),
        prop_kind().prop_map(Prop::Clear),
    ]
}

fn ns() -> impl Strategy<Value = Ns> {
    prop_oneof![Just(Ns::Html), Just(Ns::Svg), Just(Ns::MathMl), s().prop_map(Ns::Other)]
}

fn node_kind() -> impl Strategy<Value = NodeKind> {
    prop_oneof![
        any::<bool>().prop_map(|quirks| NodeKind::Document { quirks }),
        (s(), s(), s()).prop_map(|(name, public_id, system_id)| NodeKind::Doctype { name, public_id, system_id }),
        (s(), ns(), vec((s(), s()), 0..4), vec(prop(), 0..3))
            .prop_map(|(tag, ns, attrs, props)| NodeKind::Element(Element { tag, ns, attrs, props })),
        s().prop_map(NodeKind::Text),
        s().prop_map(NodeKind::Comment),
        s().prop_map(NodeKind::CData),
        Just(NodeKind::ShadowRoot),
    ]
}

fn tree() -> impl Strategy<Value = Tree> {
    vec((u32s(), u32s(), node_kind()).prop_map(|(id, n, kind)| FlatNode { id, n, kind }), 0..6).prop_map(|nodes| Tree { nodes })
}

fn mutation() -> impl Strategy<Value = Mutation> {
    (
        vec(u32s(), 0..4),
        vec(
            (u32s(), proptest::option::of(u32s()), prop_oneof![u32s().prop_map(AddNode::Move), tree().prop_map(AddNode::New)])
                .prop_map(|(parent, next, node)| Add { parent, next, node }),
            0..3,
        ),
        vec((u32s(), s(), proptest::option::of(s())).prop_map(|(id, name, value)| AttrChange { id, name, value }), 0..3),
        vec((u32s(), s()), 0..3),
        vec((u32s(), prop()), 0..3),
    )
        .prop_map(|(removes, adds, attrs, texts, props)| Mutation { removes, adds, attrs, texts, props })
}

fn mouse_kind() -> impl Strategy<Value = MouseKind> {
    prop_oneof![
        Just(MouseKind::Click),
        Just(MouseKind::DblClick),
        Just(MouseKind::ContextMenu),
        Just(MouseKind::Down),
        Just(MouseKind::Up),
        Just(MouseKind::TouchStart),
        Just(MouseKind::TouchEnd),
    ]
}

fn degrade_reason() -> impl Strategy<Value = DegradeReason> {
    prop_oneof![
        Just(DegradeReason::BatchNodes),
        Just(DegradeReason::ListingChars),
        Just(DegradeReason::BatchesPerSecond),
        Just(DegradeReason::CharsPerSecond),
        Just(DegradeReason::LongAttribute),
        Just(DegradeReason::LongText),
        Just(DegradeReason::LongStylesheet),
        Just(DegradeReason::ObserverRecords),
    ]
}

fn degrade_action() -> impl Strategy<Value = DegradeAction> {
    prop_oneof![
        Just(DegradeAction::Snapshot),
        u32s().prop_map(|interval_ms| DegradeAction::Throttle { interval_ms }),
        Just(DegradeAction::Resume),
        u32s().prop_map(|count| DegradeAction::Truncate { count }),
    ]
}

fn nav_kind() -> impl Strategy<Value = NavKind> {
    prop_oneof![Just(NavKind::Push), Just(NavKind::Replace), Just(NavKind::Pop), Just(NavKind::Hash)]
}

fn event_data() -> impl Strategy<Value = EventData> {
    prop_oneof![
        (s(), s(), u32s(), u32s()).prop_map(|(url, referrer, width, height)| EventData::Start { url, referrer, width, height }),
        (s(), s()).prop_map(|(url, title)| EventData::Page { url, title }),
        s().prop_map(|text| EventData::Note { text }),
        (tree(), i32s(), i32s(), u32s(), u32s()).prop_map(|(tree, scroll_x, scroll_y, width, height)| {
            EventData::FullSnapshot(FullSnapshot { tree, scroll_x, scroll_y, width, height })
        }),
        mutation().prop_map(EventData::Mutation),
        (u32s(), vec(s(), 0..3)).prop_map(|(target, sheets)| EventData::AdoptedSheets { target, sheets }),
        vec((i32s(), i32s(), u32s()), 0..5).prop_map(|positions| EventData::MouseMove { positions }),
        (mouse_kind(), u32s(), i32s(), i32s()).prop_map(|(kind, id, x, y)| EventData::Mouse { kind, id, x, y }),
        (u32s(), i32s(), i32s()).prop_map(|(id, x, y)| EventData::Scroll { id, x, y }),
        (u32s(), u32s()).prop_map(|(width, height)| EventData::Viewport { width, height }),
        (u32s(), any::<bool>()).prop_map(|(id, focused)| EventData::Focus { id, focused }),
        (u32s(), any::<bool>(), u32s()).prop_map(|(id, playing, time_ms)| EventData::Media { id, playing, time_ms }),
        (s(), nav_kind()).prop_map(|(url, kind)| EventData::Navigation { url, kind }),
        (s(), s(), u32s(), u32s(), s(), any::<bool>()).prop_map(|(message, source, line, column, stack, rejection)| {
            EventData::Error(ErrorInfo { message, source, line, column, stack, rejection })
        }),
        (s(), s(), any::<u16>(), u32s(), u32s(), u32s(), any::<bool>()).prop_map(
            |(method, url, status, duration_ms, request_bytes, response_bytes, fetch)| {
                EventData::Network(NetworkInfo { method, url, status, duration_ms, request_bytes, response_bytes, fetch })
            }
        ),
        (s(), u32s(), u32s(), u32s(), s(), s(), s()).prop_map(
            |(user_agent, screen_width, screen_height, pixel_ratio_pct, language, time_zone, referrer)| {
                EventData::Device(DeviceInfo { user_agent, screen_width, screen_height, pixel_ratio_pct, language, time_zone, referrer })
            }
        ),
        any::<bool>().prop_map(|hidden| EventData::Visibility { hidden }),
        (u32s(), u32s(), u64s(), prop_oneof![Just(GapReason::MemoryBound), any::<u16>().prop_map(|status| GapReason::Rejected { status })])
            .prop_map(|(from_seq, to_seq, dropped_bytes, reason)| EventData::Gap { from_seq, to_seq, dropped_bytes, reason }),
        (degrade_reason(), u64s(), u64s(), degrade_action())
            .prop_map(|(reason, measured, limit, action)| EventData::Degrade { reason, measured, limit, action }),
    ]
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        (
            u32s(),
            u64s(),
            u64s(),
            proptest::option::of(s()),
            vec((s(), proptest::option::of(s())).prop_map(|(key, value)| Tag { key, value }), 0..4),
            vec(
                (u32s(), u64s(), s(), s(), any::<bool>()).prop_map(|(idx, t_ms, url, title, virtual_)| PageView { idx, t_ms, url, title, virtual_ }),
                0..3
            ),
        )
            .prop_map(|(mseq, t_ms, session_start_ms, identity, tags, pages)| Body::Meta(Meta { mseq, t_ms, session_start_ms, identity, tags, pages })),
        (u32s(), u64s(), u64s(), vec((u32s(), event_data()).prop_map(|(dt_ms, data)| Event { dt_ms, data }), 0..6))
            .prop_map(|(seq, t0_ms, t1_ms, events)| Body::Events(EventBatch { seq, t0_ms, t1_ms, events })),
    ]
}

fn envelope() -> impl Strategy<Value = Envelope> {
    (any::<u16>(), u64s(), s(), s(), u32s(), body()).prop_map(|(v, wid, vid, sid, pid, body)| Envelope { v, wid, vid, sid, pid, body })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn encode_is_postcard(env in envelope()) {
        let ours = codec::encode(&env);
        let serde = postcard::to_allocvec(&env).unwrap();
        prop_assert_eq!(&ours, &serde);
        prop_assert_eq!(codec::encoded_len(&env), ours.len());
        prop_assert_eq!(codec::decode(&ours), Ok(env.clone()));
        if let Body::Events(b) = &env.body {
            for e in &b.events {
                prop_assert_eq!(codec::encoded_len(e), postcard::to_allocvec(e).unwrap().len());
            }
        }
    }
}
