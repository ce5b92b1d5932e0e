//! Replay: a session's stored event batches as a timeline, and the recorded document at any
//! moment of it.
//!
//! # Model
//! A session is a set of page loads (`pid`); each page load is a stream of batches numbered
//! `seq` 0, 1, 2, ... Every event carries an absolute time, `batch.t0_ms + dt_ms`, raised to
//! the time of the event before it when a clock went backwards, so that within a page load
//! time never decreases and "the state at time T" is always a prefix of the stream.
//!
//! * **Gaps.** A `seq` missing inside a page load (or a load that does not start at 0) is a
//!   [`Gap`], as is a placeholder batch the agent sent for one it dropped (its `Gap` event
//!   covers its own seq). Whatever changed during a gap is unknown, so the stream is cut into playable
//!   *segments* at gaps; a segment becomes playable at its first `FullSnapshot`. Between a
//!   gap and the next snapshot the document shown is the last one before the gap, marked
//!   [`Frame::stale`].
//! * **Checkouts.** The document at T is built from the latest `FullSnapshot` at or before T
//!   (in the same segment) plus the mutations after it, so any moment costs at most one
//!   checkout interval of work.
//! * **Page loads.** At time T the session shows the page load that most recently *took
//!   over*: a load takes over at its first `FullSnapshot` (before that it has nothing to
//!   show, and the previous page stays on screen, as in a browser during navigation).
//! * **Bad input.** Unknown ids, malformed trees and references into nothing never panic:
//!   the mirror skips the operations it cannot apply and [`Frame::issues`] counts them.
//!
//! Adopted stylesheets (`AdoptedSheets`) are not DOM nodes: [`Frame`] keeps them beside the
//! mirror; [`Frame::html`] writes them as `<style data-insp-adopted>` elements at the end of
//! their document (or shadow root), where they win the cascade as adopted sheets do, and
//! [`Frame::canonical`] (the DOM oracle) leaves them out. [`Frame::html`] also pins
//! relative URLs to the page URL (`Start`, `Page`, `Navigation`), since the HTML is shown
//! away from the page's own address.

use crate::dom::mirror::Mirror;
use crate::event::{
    Add, AddNode, AttrChange, Body, Element, Envelope, EventBatch, EventData, FlatNode,
    FullSnapshot, MouseKind, Mutation, NodeId, NodeKind, Ns, Tree,
};
use crate::config::REPLAY_CLICK_SHOWN_MS;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

/// One event of a page load, with its absolute time.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedEvent {
    /// ms since epoch (`t0_ms + dt_ms`, never earlier than the event before it).
    pub t_ms: u64,
    /// The batch the event came in.
    pub seq: u32,
    /// Playable stretch of the page load: 0, then one more after each gap.
    pub segment: u32,
    pub data: EventData,
}

/// One page load's recording, ordered by `seq`.
#[derive(Debug, Clone, PartialEq)]
pub struct PageLoad {
    pub pid: u32,
    /// `t0_ms` of its first stored batch (ms since epoch).
    pub start_ms: u64,
    /// Time of the last event, or `t1_ms` of the last batch if later.
    pub end_ms: u64,
    /// Time of its first `FullSnapshot`: when it takes over the screen. `None`: never.
    pub shown_ms: Option<u64>,
    /// The seqs stored, ascending.
    pub seqs: Vec<u32>,
    pub events: Vec<TimedEvent>,
}

/// Batches missing inside a page load: `first_seq..=last_seq` were never stored (or, for the
/// last of them, only as the agent's placeholder: a batch whose `Gap` covers its own seq).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    pub pid: u32,
    pub first_seq: u32,
    pub last_seq: u32,
    /// Where the hole is: from the end of the batch before it (`None` when the page load's
    /// first batches are missing) ...
    pub from_ms: Option<u64>,
    /// ... to the start of the batch after it.
    pub to_ms: u64,
}

/// A session's recording, ready to be played at any offset.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    start_ms: u64,
    loads: Vec<PageLoad>,
    gaps: Vec<Gap>,
}

/// The recorded document at one moment.
#[derive(Debug, Clone)]
pub struct Frame {
    pub pid: u32,
    pub mirror: Mirror,
    /// Adopted stylesheets by target (a document or shadow root id), in effect now.
    pub adopted: BTreeMap<NodeId, Vec<String>>,
    /// Time of the snapshot this frame was built from (ms since epoch).
    pub snapshot_ms: u64,
    /// Time of the last event applied.
    pub t_ms: u64,
    /// The page's URL (from `Start`, then `Page` and `Navigation` events).
    pub url: String,
    /// Viewport and document scroll: the snapshot's, then the latest `Viewport` and `Scroll`
    /// (of the document) events.
    pub width: u32,
    pub height: u32,
    pub scroll_x: i32,
    pub scroll_y: i32,
    /// `true`: a gap lies between this frame and the requested moment, and no snapshot came
    /// after it yet: the document shown is the last one known before the gap.
    pub stale: bool,
    /// Operations (tree nodes, removes, adds, ...) that could not be applied.
    pub issues: usize,
    /// Where the pointer was last seen in this page load, in viewport CSS pixels.
    pub pointer: Option<(i32, i32)>,
    /// Clicks (and taps) of the last `REPLAY_CLICK_SHOWN_MS`: `(x, y, ms before the moment)`,
    /// oldest first, so a viewer can draw them fading out.
    pub clicks: Vec<(i32, i32, u64)>,
}

impl Timeline {
    /// Builds the timeline from `(pid, batch)` pairs in any order. A repeated `(pid, seq)`
    /// keeps its first copy. The session starts at the earliest batch `t0_ms`.
    pub fn new(batches: impl IntoIterator<Item = (u32, EventBatch)>) -> Self {
        let mut all: Vec<(u32, EventBatch)> = batches.into_iter().collect();
        // Stable: the first copy of a duplicate stays first.
        all.sort_by_key(|(pid, b)| (*pid, b.seq));
        all.dedup_by(|b, a| a.0 == b.0 && a.1.seq == b.1.seq);

        let mut loads: Vec<PageLoad> = Vec::new();
        let mut gaps = Vec::new();
        let mut i = 0;
        while i < all.len() {
            let pid = all[i].0;
            let mut j = i;
            while j < all.len() && all[j].0 == pid {
                j += 1;
            }
            let group = &mut all[i..j];
            let mut load = PageLoad {
                pid,
                start_ms: group[0].1.t0_ms,
                end_ms: group[0].1.t0_ms,
                shown_ms: None,
                seqs: Vec::with_capacity(group.len()),
                events: Vec::new(),
            };
            let mut segment = 0u32;
            let mut last_t = 0u64;
            let mut prev: Option<(u32, u64)> = None; // (seq, t1_ms) of the batch before
            for (_, b) in group.iter_mut() {
                let expected = prev.map_or(0, |(s, _)| s.saturating_add(1));
                // A placeholder the agent sent for a batch it dropped (a `Gap` covering its
                // own seq) is a gap too.
                let seq = b.seq;
                let stands_in = b.events.iter().any(
                    |e| matches!(e.data, EventData::Gap { from_seq, to_seq, .. } if from_seq <= seq && seq <= to_seq),
                );
                if b.seq != expected || stands_in {
                    gaps.push(Gap {
                        pid,
                        first_seq: expected,
                        last_seq: if stands_in { b.seq } else { b.seq - 1 },
                        from_ms: prev.map(|(_, t1)| t1),
                        to_ms: b.t0_ms,
                    });
                    segment += 1;
                }
                load.seqs.push(b.seq);
                for e in core::mem::take(&mut b.events) {
                    let t = b.t0_ms.saturating_add(e.dt_ms as u64).max(last_t);
                    last_t = t;
                    if load.shown_ms.is_none() && matches!(e.data, EventData::FullSnapshot(_)) {
                        load.shown_ms = Some(t);
                    }
                    load.events.push(TimedEvent {
                        t_ms: t,
                        seq: b.seq,
                        segment,
                        data: e.data,
                    });
                }
                load.end_ms = load.end_ms.max(b.t1_ms).max(last_t);
                prev = Some((b.seq, b.t1_ms));
            }
            loads.push(load);
            i = j;
        }
        loads.sort_by_key(|l| (l.start_ms, l.pid));
        let start_ms = loads.iter().map(|l| l.start_ms).min().unwrap_or(0);
        Timeline {
            start_ms,
            loads,
            gaps,
        }
    }

    /// Builds the timeline from decoded envelopes; meta envelopes are ignored.
    pub fn from_envelopes(envs: impl IntoIterator<Item = Envelope>) -> Self {
        Self::new(envs.into_iter().filter_map(|e| match e.body {
            Body::Events(b) => Some((e.pid, b)),
            Body::Meta(_) => None,
        }))
    }

    /// Moves the origin of offsets (for example to the session start the collector knows,
    /// which may precede the first batch). Times of events are unchanged.
    pub fn with_start_ms(mut self, start_ms: u64) -> Self {
        self.start_ms = start_ms;
        self
    }

    /// Origin of offsets, ms since epoch.
    pub fn start_ms(&self) -> u64 {
        self.start_ms
    }

    /// End of the recording, ms since epoch.
    pub fn end_ms(&self) -> u64 {
        self.loads
            .iter()
            .map(|l| l.end_ms)
            .max()
            .unwrap_or(self.start_ms)
    }

    /// Length of the recording from the origin, in ms.
    pub fn duration_ms(&self) -> u64 {
        self.end_ms().saturating_sub(self.start_ms)
    }

    /// Page loads ordered by start time.
    pub fn page_loads(&self) -> &[PageLoad] {
        &self.loads
    }

    /// Missing batches, by page load then seq.
    pub fn gaps(&self) -> &[Gap] {
        &self.gaps
    }

    /// The index (in [`Timeline::page_loads`]) of the page load on screen at `t_ms`
    /// (absolute): the one that most recently took over (first snapshot) at or before it.
    pub fn load_at(&self, t_ms: u64) -> Option<usize> {
        let mut best: Option<(u64, usize)> = None;
        for (i, l) in self.loads.iter().enumerate() {
            if let Some(s) = l.shown_ms {
                if s <= t_ms && best.is_none_or(|(bs, _)| s >= bs) {
                    best = Some((s, i));
                }
            }
        }
        best.map(|(_, i)| i)
    }

    /// The document `offset_ms` after the origin; `None` before anything can be shown.
    pub fn frame_at(&self, offset_ms: u64) -> Option<Frame> {
        let t = self.start_ms.saturating_add(offset_ms);
        let load = &self.loads[self.load_at(t)?];
        let cursor = load.events.partition_point(|e| e.t_ms <= t);
        let mut f = frame_in(load, cursor, false)?;
        (f.pointer, f.clicks) = pointer_at(&load.events[..cursor], t);
        Some(f)
    }

    /// The document as HTML `offset_ms` after the origin (see [`Frame::html`]).
    pub fn html_at(&self, offset_ms: u64) -> Option<String> {
        self.frame_at(offset_ms).map(|f| f.html())
    }

    /// The document in the mirror's canonical text form `offset_ms` after the origin.
    pub fn canonical_at(&self, offset_ms: u64) -> Option<String> {
        self.frame_at(offset_ms).map(|f| f.canonical())
    }
}

/// The frame after applying `load.events[..cursor]`, starting from the latest snapshot of
/// the cursor's segment; falls back to the end of the previous segment (stale).
fn frame_in(load: &PageLoad, mut cursor: usize, mut stale: bool) -> Option<Frame> {
    loop {
        if cursor == 0 {
            return None;
        }
        let seg = load.events[cursor - 1].segment;
        let seg_start = load.events[..cursor].partition_point(|e| e.segment < seg);
        let snap = (seg_start..cursor)
            .rev()
            .find(|&i| matches!(load.events[i].data, EventData::FullSnapshot(_)));
        match snap {
            Some(i) => return Some(build(load, seg_start, i, cursor, stale)),
            None => {
                // Nothing playable in this segment yet: show the end of the one before.
                cursor = seg_start;
                stale = true;
            }
        }
    }
}

fn build(load: &PageLoad, seg_start: usize, snap: usize, cursor: usize, stale: bool) -> Frame {
    let EventData::FullSnapshot(s) = &load.events[snap].data else {
        unreachable!()
    };
    let mut f = Frame {
        pid: load.pid,
        mirror: Mirror::new(),
        adopted: BTreeMap::new(),
        snapshot_ms: load.events[snap].t_ms,
        t_ms: load.events[snap].t_ms,
        url: String::new(),
        width: s.width,
        height: s.height,
        scroll_x: s.scroll_x,
        scroll_y: s.scroll_y,
        stale,
        issues: 0,
        pointer: None,
        clicks: Vec::new(),
    };
    // The URL and the adopted sheets are state from before the snapshot; within a page load
    // ids are stable, so the latest sheets of each target still apply.
    for e in &load.events[..snap] {
        match &e.data {
            EventData::Start { url, .. }
            | EventData::Page { url, .. }
            | EventData::Navigation { url, .. } => f.url.clone_from(url),
            EventData::AdoptedSheets { target, sheets }
                if e.segment == load.events[seg_start].segment =>
            {
                f.adopted.insert(*target, sheets.clone());
            }
            _ => {}
        }
    }
    if let Err(e) = f.mirror.load_tree(&s.tree) {
        f.issues += e.issues.len();
    }
    for e in &load.events[snap + 1..cursor] {
        f.t_ms = e.t_ms;
        match &e.data {
            EventData::Start { url, .. }
            | EventData::Page { url, .. }
            | EventData::Navigation { url, .. } => f.url.clone_from(url),
            EventData::Mutation(m) => {
                if let Err(err) = f.mirror.apply_mutation(m) {
                    f.issues += err.issues.len();
                }
            }
            EventData::AdoptedSheets { target, sheets } => {
                f.adopted.insert(*target, sheets.clone());
            }
            // The document's own scroll position and the viewport, as the snapshot has them.
            EventData::Scroll { id, x, y } if Some(*id) == f.mirror.root() => {
                f.scroll_x = *x;
                f.scroll_y = *y;
            }
            EventData::Viewport { width, height } => {
                f.width = *width;
                f.height = *height;
            }
            EventData::FullSnapshot(_) | EventData::Note { .. } => {}
            // Other interaction events do not change the document.
            _ => {}
        }
    }
    f
}

/// The pointer at `t_ms` from the events of a page load up to it: the latest sampled or
/// clicked position at or before `t_ms` (a `MouseMove` carries positions after its own time:
/// those still ahead of `t_ms` are not reached yet), and the clicks shortly before.
fn pointer_at(events: &[TimedEvent], t_ms: u64) -> (Option<(i32, i32)>, Vec<(i32, i32, u64)>) {
    let mut pointer: Option<(u64, (i32, i32))> = None;
    let mut clicks = Vec::new();
    let mut seen = |at: u64, xy: (i32, i32)| {
        if at <= t_ms && pointer.is_none_or(|(p, _)| at >= p) {
            pointer = Some((at, xy));
        }
    };
    for e in events {
        match &e.data {
            EventData::MouseMove { positions } => {
                for &(x, y, dt) in positions {
                    seen(e.t_ms + dt as u64, (x, y));
                }
            }
            EventData::Mouse { kind, x, y, .. } => {
                seen(e.t_ms, (*x, *y));
                let click = matches!(kind, MouseKind::Click | MouseKind::DblClick | MouseKind::TouchEnd);
                let age = t_ms.saturating_sub(e.t_ms);
                if click && age <= REPLAY_CLICK_SHOWN_MS {
                    clicks.push((*x, *y, age));
                }
            }
            _ => {}
        }
    }
    (pointer.map(|(_, xy)| xy), clicks)
}

impl Frame {
    /// The document in the mirror's canonical form (adopted sheets are not DOM: left out).
    pub fn canonical(&self) -> String {
        self.mirror.canonical()
    }

    /// The document as HTML (`Mirror::to_html`) for display away from the page's own
    /// address: adopted stylesheets are written as `<style data-insp-adopted>` at the end of
    /// their document element or shadow root, and relative URLs are pinned to the page URL
    /// (a `<base href>` first in `head`, or the page's own `base` made absolute).
    pub fn html(&self) -> String {
        let live: Vec<(&NodeId, &Vec<String>)> = self
            .adopted
            .iter()
            .filter(|(t, s)| !s.is_empty() && self.mirror.contains(**t))
            .collect();
        let pin = is_hierarchical(&self.url);
        if live.is_empty() && !pin {
            return self.mirror.to_html();
        }
        let mut m = self.mirror.clone();
        let mut next_id = u32::MAX;
        let mut fresh = |m: &Mirror| {
            while m.contains(next_id) {
                next_id = next_id.saturating_sub(1);
            }
            let id = next_id;
            next_id = next_id.saturating_sub(1);
            id
        };
        let mut adds = Vec::new();
        let mut attrs = Vec::new();
        if pin {
            if let Some(head) = head_of(&m) {
                match base_element(&m) {
                    Some((id, href)) => attrs.push(AttrChange {
                        id,
                        name: "href".into(),
                        value: Some(crate::rrweb::resolve_url(&self.url, &href)),
                    }),
                    None => adds.push(Add {
                        parent: head,
                        next: m.first_child(head),
                        node: AddNode::New(Tree {
                            nodes: alloc::vec![FlatNode {
                                id: fresh(&m),
                                n: 0,
                                kind: html_element(
                                    "base",
                                    alloc::vec![("href".into(), self.url.clone())]
                                ),
                            }],
                        }),
                    }),
                }
            }
        }
        for (&target, sheets) in live {
            let parent = match m.node(target) {
                Some(NodeKind::ShadowRoot) => target,
                Some(NodeKind::Document { .. }) => {
                    match m
                        .children(target)
                        .find(|c| matches!(m.node(*c), Some(NodeKind::Element(_))))
                    {
                        Some(de) => de,
                        None => continue,
                    }
                }
                _ => continue,
            };
            let style = fresh(&m);
            let text = fresh(&m);
            let mut kind = html_element(
                "style",
                alloc::vec![("data-insp-adopted".into(), String::new())],
            );
            if let (NodeKind::Element(e), Some(NodeKind::Element(p))) = (&mut kind, m.node(parent))
            {
                if p.ns == Ns::Svg {
                    e.ns = Ns::Svg;
                }
            }
            adds.push(Add {
                parent,
                next: None,
                node: AddNode::New(Tree {
                    nodes: alloc::vec![
                        FlatNode {
                            id: style,
                            n: 1,
                            kind
                        },
                        FlatNode {
                            id: text,
                            n: 0,
                            kind: NodeKind::Text(sheets.join("\n"))
                        },
                    ],
                }),
            });
        }
        let _ = m.apply_mutation(&Mutation {
            adds,
            attrs,
            ..Default::default()
        });
        m.to_html()
    }
}

fn html_element(tag: &str, attrs: Vec<(String, String)>) -> NodeKind {
    NodeKind::Element(Element {
        tag: tag.into(),
        ns: Ns::Html,
        attrs,
        props: Vec::new(),
    })
}

fn is_hierarchical(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// The `head` of the top document (first `head` child of its first element).
pub(crate) fn head_of(m: &Mirror) -> Option<NodeId> {
    let root = m.root()?;
    let html = m
        .children(root)
        .find(|c| matches!(m.node(*c), Some(NodeKind::Element(_))))?;
    m.children(html).find(
        |c| matches!(m.node(*c), Some(NodeKind::Element(e)) if e.tag == "head" && e.ns == Ns::Html),
    )
}

/// The first `base` element with an `href` among the top document's `head` children, and
/// that `href`: what the page's relative URLs resolve against.
pub(crate) fn base_element(m: &Mirror) -> Option<(NodeId, String)> {
    let head = head_of(m)?;
    m.children(head).find_map(|c| match m.node(c) {
        Some(NodeKind::Element(e)) if e.tag == "base" && e.ns == Ns::Html => e
            .attrs
            .iter()
            .find(|(n, _)| n == "href")
            .map(|(_, v)| (c, v.clone())),
        _ => None,
    })
}

/// The snapshot event data, if `e` is one (for callers walking [`PageLoad::events`]).
pub fn as_snapshot(e: &EventData) -> Option<&FullSnapshot> {
    match e {
        EventData::FullSnapshot(s) => Some(s),
        _ => None,
    }
}
