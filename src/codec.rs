//! Compact binary encoding of the schema: postcard's format (varints, zigzag for signed
//! numbers, variant indices, no field names). The collector decodes with postcard and serde,
//! this same crate's `decode`, so agent and collector can never disagree on the format.
//!
//! The agent's direction is written by hand ([`Wire`]): serde's generic serializer costs the
//! wasm about 18 kB of code for this schema, the hand-written one about 4 kB (measured with
//! the name section of the `wasm` profile). It is slower per byte than serde's fully inlined
//! code (about 1.5 ms more per 10k-element snapshot, well under 1% of the recorder's work on
//! that page); start-up transfer mattered more. Every impl destructures its type without `..`
//! and matches every variant, so a field or variant added to `event.rs` does not compile until
//! it is encoded here too; `tests/native_codec.rs` checks the bytes equal
//! `postcard::to_allocvec`'s for random envelopes of every shape.

use crate::event::{
    Add, AddNode, AttrChange, Body, DegradeAction, DegradeReason, DeviceInfo, Element, Envelope, ErrorInfo, Event, EventBatch, EventData, FlatNode,
    FullSnapshot, GapReason, Meta, MouseKind, Mutation, NavKind, NetworkInfo, NodeKind, Ns, PageView, Prop, PropKind,
    Tag, Tree,
};
use alloc::string::String;
use alloc::vec::Vec;
use serde::Serialize;

#[derive(Debug, PartialEq, Eq)]
pub struct DecodeError;

/// The request body of an envelope: exactly `postcard::to_allocvec(env)`.
pub fn encode(env: &Envelope) -> Vec<u8> {
    // Measuring first costs a walk without writes; growing the buffer by doubling instead would
    // copy a snapshot's megabytes several times over and leave up to half of it unused.
    let mut buf = Vec::with_capacity(encoded_len(env));
    env.put(&mut W { buf: Some(&mut buf), len: 0 });
    buf
}

/// Length of the encoding of any part of the schema, without writing it.
pub fn encoded_len<T: Wire + ?Sized>(value: &T) -> usize {
    let mut w = W { buf: None, len: 0 };
    value.put(&mut w);
    w.len
}

/// postcard bytes of data outside the schema (the agent's own storage), through serde.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Option<Vec<u8>> {
    postcard::to_allocvec(value).ok()
}

pub fn decode(bytes: &[u8]) -> Result<Envelope, DecodeError> {
    let (env, rest): (Envelope, &[u8]) = postcard::take_from_bytes(bytes).map_err(|_| DecodeError)?;
    if !rest.is_empty() {
        return Err(DecodeError);
    }
    Ok(env)
}

/// Where encoded bytes go: appended to `buf`, or only counted (`buf: None`), through the same
/// code so a size is always the size of the bytes.
pub struct W<'a> {
    buf: Option<&'a mut Vec<u8>>,
    len: usize,
}

impl W<'_> {
    #[inline]
    fn bytes(&mut self, b: &[u8]) {
        self.len += b.len();
        if let Some(buf) = self.buf.as_deref_mut() {
            buf.extend_from_slice(b);
        }
    }

    #[inline]
    fn byte(&mut self, b: u8) {
        self.len += 1;
        if let Some(buf) = self.buf.as_deref_mut() {
            buf.push(b);
        }
    }

    /// Unsigned LEB128, as postcard writes every u16, u32, u64, usize and variant index.
    fn var(&mut self, mut x: u64) {
        if x < 0x80 {
            // Most of them: ids of small pages, lengths, variant indices.
            return self.byte(x as u8);
        }
        let mut tmp = [0u8; 10];
        let mut n = 0;
        loop {
            let low = (x & 0x7f) as u8;
            x >>= 7;
            if x == 0 {
                tmp[n] = low;
                n += 1;
                break;
            }
            tmp[n] = low | 0x80;
            n += 1;
        }
        self.bytes(&tmp[..n]);
    }

    #[inline]
    fn tag(&mut self, variant: u32) {
        self.var(variant as u64);
    }
}

/// A part of the schema that writes itself in postcard's format.
pub trait Wire {
    fn put(&self, w: &mut W);
}

impl Wire for bool {
    fn put(&self, w: &mut W) {
        w.byte(*self as u8);
    }
}

impl Wire for u16 {
    fn put(&self, w: &mut W) {
        w.var(*self as u64);
    }
}

impl Wire for u32 {
    fn put(&self, w: &mut W) {
        w.var(*self as u64);
    }
}

impl Wire for u64 {
    fn put(&self, w: &mut W) {
        w.var(*self);
    }
}

impl Wire for i32 {
    /// Zigzag, then a varint.
    fn put(&self, w: &mut W) {
        w.var(((*self << 1) ^ (*self >> 31)) as u32 as u64);
    }
}

impl Wire for String {
    fn put(&self, w: &mut W) {
        w.var(self.len() as u64);
        w.bytes(self.as_bytes());
    }
}

impl<T: Wire> Wire for Option<T> {
    fn put(&self, w: &mut W) {
        match self {
            None => w.byte(0),
            Some(x) => {
                w.byte(1);
                x.put(w);
            }
        }
    }
}

impl<T: Wire> Wire for Vec<T> {
    fn put(&self, w: &mut W) {
        w.var(self.len() as u64);
        for x in self {
            x.put(w);
        }
    }
}

impl<A: Wire, B: Wire> Wire for (A, B) {
    fn put(&self, w: &mut W) {
        self.0.put(w);
        self.1.put(w);
    }
}

impl<A: Wire, B: Wire, C: Wire> Wire for (A, B, C) {
    fn put(&self, w: &mut W) {
        self.0.put(w);
        self.1.put(w);
        self.2.put(w);
    }
}

impl Wire for Envelope {
    fn put(&self, w: &mut W) {
        let Envelope { v, wid, vid, sid, pid, body } = self;
        v.put(w);
        wid.put(w);
        vid.put(w);
        sid.put(w);
        pid.put(w);
        body.put(w);
    }
}

impl Wire for Body {
    fn put(&self, w: &mut W) {
        match self {
            Body::Meta(m) => {
                w.tag(0);
                m.put(w);
            }
            Body::Events(b) => {
                w.tag(1);
                b.put(w);
            }
        }
    }
}

impl Wire for Meta {
    fn put(&self, w: &mut W) {
        let Meta { mseq, t_ms, session_start_ms, identity, tags, pages } = self;
        mseq.put(w);
        t_ms.put(w);
        session_start_ms.put(w);
        identity.put(w);
        tags.put(w);
        pages.put(w);
    }
}

impl Wire for Tag {
    fn put(&self, w: &mut W) {
        let Tag { key, value } = self;
        key.put(w);
        value.put(w);
    }
}

impl Wire for PageView {
    fn put(&self, w: &mut W) {
        let PageView { idx, t_ms, url, title, virtual_ } = self;
        idx.put(w);
        t_ms.put(w);
        url.put(w);
        title.put(w);
        virtual_.put(w);
    }
}

impl Wire for EventBatch {
    fn put(&self, w: &mut W) {
        let EventBatch { seq, t0_ms, t1_ms, events } = self;
        seq.put(w);
        t0_ms.put(w);
        t1_ms.put(w);
        events.put(w);
    }
}

impl Wire for Event {
    fn put(&self, w: &mut W) {
        let Event { dt_ms, data } = self;
        dt_ms.put(w);
        data.put(w);
    }
}

impl Wire for EventData {
    fn put(&self, w: &mut W) {
        match self {
            EventData::Start { url, referrer, width, height } => {
                w.tag(0);
                url.put(w);
                referrer.put(w);
                width.put(w);
                height.put(w);
            }
            EventData::Page { url, title } => {
                w.tag(1);
                url.put(w);
                title.put(w);
            }
            EventData::Note { text } => {
                w.tag(2);
                text.put(w);
            }
            EventData::FullSnapshot(s) => {
                w.tag(3);
                s.put(w);
            }
            EventData::Mutation(m) => {
                w.tag(4);
                m.put(w);
            }
            EventData::AdoptedSheets { target, sheets } => {
                w.tag(5);
                target.put(w);
                sheets.put(w);
            }
            EventData::MouseMove { positions } => {
                w.tag(6);
                positions.put(w);
            }
            EventData::Mouse { kind, id, x, y } => {
                w.tag(7);
                kind.put(w);
                id.put(w);
                x.put(w);
                y.put(w);
            }
            EventData::Scroll { id, x, y } => {
                w.tag(8);
                id.put(w);
                x.put(w);
                y.put(w);
            }
            EventData::Viewport { width, height } => {
                w.tag(9);
                width.put(w);
                height.put(w);
            }
            EventData::Focus { id, focused } => {
                w.tag(10);
                id.put(w);
                focused.put(w);
            }
            EventData::Media { id, playing, time_ms } => {
                w.tag(11);
                id.put(w);
                playing.put(w);
                time_ms.put(w);
            }
            EventData::Navigation { url, kind } => {
                w.tag(12);
                url.put(w);
                kind.put(w);
            }
            EventData::Error(e) => {
                w.tag(13);
                e.put(w);
            }
            EventData::Network(n) => {
                w.tag(14);
                n.put(w);
            }
            EventData::Device(d) => {
                w.tag(15);
                d.put(w);
            }
            EventData::Visibility { hidden } => {
                w.tag(16);
                hidden.put(w);
            }
            EventData::Gap { from_seq, to_seq, dropped_bytes, reason } => {
                w.tag(17);
                from_seq.put(w);
                to_seq.put(w);
                dropped_bytes.put(w);
                reason.put(w);
            }
            EventData::Degrade { reason, measured, limit, action } => {
                w.tag(18);
                reason.put(w);
                measured.put(w);
                limit.put(w);
                action.put(w);
            }
        }
    }
}

impl Wire for DegradeReason {
    fn put(&self, w: &mut W) {
        w.tag(match self {
            DegradeReason::BatchNodes => 0,
            DegradeReason::ListingChars => 1,
            DegradeReason::BatchesPerSecond => 2,
            DegradeReason::CharsPerSecond => 3,
            DegradeReason::LongAttribute => 4,
            DegradeReason::LongText => 5,
            DegradeReason::LongStylesheet => 6,
            DegradeReason::ObserverRecords => 7,
        })
    }
}

impl Wire for DegradeAction {
    fn put(&self, w: &mut W) {
        match self {
            DegradeAction::Snapshot => w.tag(0),
            DegradeAction::Throttle { interval_ms } => {
                w.tag(1);
                interval_ms.put(w);
            }
            DegradeAction::Resume => w.tag(2),
            DegradeAction::Truncate { count } => {
                w.tag(3);
                count.put(w);
            }
        }
    }
}

impl Wire for GapReason {
    fn put(&self, w: &mut W) {
        match self {
            GapReason::MemoryBound => w.tag(0),
            GapReason::Rejected { status } => {
                w.tag(1);
                status.put(w);
            }
        }
    }
}

impl Wire for MouseKind {
    fn put(&self, w: &mut W) {
        w.tag(match self {
            MouseKind::Click => 0,
            MouseKind::DblClick => 1,
            MouseKind::ContextMenu => 2,
            MouseKind::Down => 3,
            MouseKind::Up => 4,
            MouseKind::TouchStart => 5,
            MouseKind::TouchEnd => 6,
        });
    }
}

impl Wire for NavKind {
    fn put(&self, w: &mut W) {
        w.tag(match self {
            NavKind::Push => 0,
            NavKind::Replace => 1,
            NavKind::Pop => 2,
            NavKind::Hash => 3,
        });
    }
}

impl Wire for ErrorInfo {
    fn put(&self, w: &mut W) {
        let ErrorInfo { message, source, line, column, stack, rejection } = self;
        message.put(w);
        source.put(w);
        line.put(w);
        column.put(w);
        stack.put(w);
        rejection.put(w);
    }
}

impl Wire for NetworkInfo {
    fn put(&self, w: &mut W) {
        let NetworkInfo { method, url, status, duration_ms, request_bytes, response_bytes, fetch } = self;
        method.put(w);
        url.put(w);
        status.put(w);
        duration_ms.put(w);
        request_bytes.put(w);
        response_bytes.put(w);
        fetch.put(w);
    }
}

impl Wire for DeviceInfo {
    fn put(&self, w: &mut W) {
        let DeviceInfo { user_agent, screen_width, screen_height, pixel_ratio_pct, language, time_zone, referrer } = self;
        user_agent.put(w);
        screen_width.put(w);
        screen_height.put(w);
        pixel_ratio_pct.put(w);
        language.put(w);
        time_zone.put(w);
        referrer.put(w);
    }
}

impl Wire for FullSnapshot {
    fn put(&self, w: &mut W) {
        let FullSnapshot { tree, scroll_x, scroll_y, width, height } = self;
        tree.put(w);
        scroll_x.put(w);
        scroll_y.put(w);
        width.put(w);
        height.put(w);
    }
}

impl Wire for Tree {
    fn put(&self, w: &mut W) {
        let Tree { nodes } = self;
        nodes.put(w);
    }
}

impl Wire for FlatNode {
    fn put(&self, w: &mut W) {
        let FlatNode { id, n, kind } = self;
        id.put(w);
        n.put(w);
        kind.put(w);
    }
}

impl Wire for NodeKind {
    fn put(&self, w: &mut W) {
        match self {
            NodeKind::Document { quirks } => {
                w.tag(0);
                quirks.put(w);
            }
            NodeKind::Doctype { name, public_id, system_id } => {
                w.tag(1);
                name.put(w);
                public_id.put(w);
                system_id.put(w);
            }
            NodeKind::Element(e) => {
                w.tag(2);
                e.put(w);
            }
            NodeKind::Text(s) => {
                w.tag(3);
                s.put(w);
            }
            NodeKind::Comment(s) => {
                w.tag(4);
                s.put(w);
            }
            NodeKind::CData(s) => {
                w.tag(5);
                s.put(w);
            }
            NodeKind::ShadowRoot => w.tag(6),
        }
    }
}

impl Wire for Element {
    fn put(&self, w: &mut W) {
        let Element { tag, ns, attrs, props } = self;
        tag.put(w);
        ns.put(w);
        attrs.put(w);
        props.put(w);
    }
}

impl Wire for Ns {
    fn put(&self, w: &mut W) {
        match self {
            Ns::Html => w.tag(0),
            Ns::Svg => w.tag(1),
            Ns::MathMl => w.tag(2),
            Ns::Other(uri) => {
                w.tag(3);
                uri.put(w);
            }
        }
    }
}

impl Wire for Prop {
    fn put(&self, w: &mut W) {
        match self {
            Prop::Value(s) => {
                w.tag(0);
                s.put(w);
            }
            Prop::Checked(b) => {
                w.tag(1);
                b.put(w);
            }
            Prop::Selected(b) => {
                w.tag(2);
                b.put(w);
            }
            Prop::Css(s) => {
                w.tag(3);
                s.put(w);
            }
            Prop::Scroll { x, y } => {
                w.tag(4);
                x.put(w);
                y.put(w);
            }
            Prop::Size { w: width, h } => {
                w.tag(5);
                width.put(w);
                h.put(w);
            }
            Prop::Opaque => w.tag(6),
            Prop::FrameUrl(s) => {
                w.tag(7);
                s.put(w);
            }
            Prop::Clear(k) => {
                w.tag(8);
                k.put(w);
            }
        }
    }
}

impl Wire for PropKind {
    fn put(&self, w: &mut W) {
        w.tag(match self {
            PropKind::Value => 0,
            PropKind::Checked => 1,
            PropKind::Selected => 2,
            PropKind::Css => 3,
            PropKind::Scroll => 4,
            PropKind::Size => 5,
            PropKind::Opaque => 6,
            PropKind::FrameUrl => 7,
        });
    }
}

impl Wire for Mutation {
    fn put(&self, w: &mut W) {
        let Mutation { removes, adds, attrs, texts, props } = self;
        removes.put(w);
        adds.put(w);
        attrs.put(w);
        texts.put(w);
        props.put(w);
    }
}

impl Wire for Add {
    fn put(&self, w: &mut W) {
        let Add { parent, next, node } = self;
        parent.put(w);
        next.put(w);
        node.put(w);
    }
}

impl Wire for AddNode {
    fn put(&self, w: &mut W) {
        match self {
            AddNode::Move(id) => {
                w.tag(0);
                id.put(w);
            }
            AddNode::New(tree) => {
                w.tag(1);
                tree.put(w);
            }
        }
    }
}

impl Wire for AttrChange {
    fn put(&self, w: &mut W) {
        let AttrChange { id, name, value } = self;
        id.put(w);
        name.put(w);
        value.put(w);
    }
}
