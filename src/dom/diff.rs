//! Snapshot assembly and mutation bookkeeping: packed streams in, events out.
//!
//! # Planning a batch (`mutation_begin`)
//! A listing gives the *current* children of some parents. Only lists of parents the mirror
//! holds count (a list for a new node is ignored: its content arrives serialized). From them
//! each node gets a final parent:
//! * placed by a list: that list's parent (a node placed twice keeps its first placement);
//! * otherwise, if its mirror parent has a list: none (it left); an open shadow root that
//!   its host's list omits is the exception and stays first under the host;
//! * otherwise its mirror parent.
//!
//! A node is in the final document when that chain reaches the root (a cycle, which only an
//! inconsistent listing can describe, counts as out). Lists of parents out of the final
//! document are ignored (the parent is removed, or inside removed content). Then:
//! * `removes`: mirror nodes out of the final document whose mirror parent stays in it;
//! * moves: mirror nodes placed by a list, except those kept in place by the longest
//!   increasing subsequence of their old order within an unchanged parent;
//! * requested: ids placed by a list that the mirror lacks, to be serialized by the reader;
//! * attribute, text and prop items: only for mirror nodes that stay in the document, last
//!   value wins, and only if it differs from the mirror's.
//!
//! # Building the event (`mutation_finish`)
//! Lists are processed parents-first (by final depth), each from its end, so every add's
//! `next` is already in place and no move can put a node inside itself. In the serialized
//! subtrees, a nested node whose id the mirror keeps in the document is dropped (the
//! listing's placement wins); ids of removed mirror nodes are new content. A requested id
//! that was not serialized is not added. The event is then applied to the mirror with
//! [`Mirror::apply_mutation`], exactly as replay will apply it.

use super::idmap::{IdMap, IdSet};
use super::mirror::{is_container, Mirror};
use super::packed::{parse_listing, prop_kind, Dup, ListItem, PackedError, PackedErrorKind, PropRef, TreeBuilder};
use crate::sort;
use crate::event::{Add, AddNode, AttrChange, FullSnapshot, Mutation, NodeId, NodeKind, Prop, Tree};
use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// Records the document: snapshots and mutation batches from the packed streams of the
/// browser reader, diffed against a [`Mirror`].
#[derive(Default)]
pub struct DomRecorder {
    mirror: Mirror,
    snap: Option<TreeBuilder>,
    /// A complete snapshot tree between `snapshot_seal` and `snapshot_take`.
    sealed: Option<Tree>,
    plan: Option<Plan>,
    last_error: Option<PackedError>,
}

impl DomRecorder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn mirror(&self) -> &Mirror {
        &self.mirror
    }

    pub fn is_snapshotting(&self) -> bool {
        self.snap.is_some()
    }

    /// The last stream problem (a rejected chunk, listing or serialization), if any.
    pub fn take_error(&mut self) -> Option<PackedError> {
        self.last_error.take()
    }

    /// Starts a snapshot; a pending mutation plan is dropped.
    pub fn snapshot_begin(&mut self) {
        self.snap = Some(TreeBuilder::snapshot());
        self.sealed = None;
        self.plan = None;
    }

    /// Feeds the next piece of the snapshot's `node` stream. After an error every further
    /// chunk fails too and `snapshot_end` returns `None`.
    pub fn snapshot_chunk(&mut self, packed: &str) -> Result<(), PackedError> {
        let Some(b) = self.snap.as_mut() else {
            return Err(PackedError { kind: PackedErrorKind::NoSnapshot, at: 0 });
        };
        b.feed(packed).inspect_err(|e| self.last_error = Some(e.clone()))
    }

    /// Ends the snapshot: the event, and the mirror now equals it. `None` (mirror unchanged)
    /// if the stream was invalid or incomplete, or no snapshot was begun.
    pub fn snapshot_end(&mut self, scroll_x: i32, scroll_y: i32, width: u32, height: u32) -> Option<FullSnapshot> {
        self.plan = None;
        match self.snap.take()?.into_snapshot_tree() {
            Ok(tree) => {
                // The builder resolved duplicates and counts, so this cannot report anything.
                let _ = self.mirror.load_tree(&tree);
                Some(FullSnapshot { tree, scroll_x, scroll_y, width, height })
            }
            Err(e) => {
                self.last_error = Some(e);
                None
            }
        }
    }

    /// `snapshot_end` in steps, so that the end of a large page's snapshot can be spread over
    /// several tasks: `snapshot_seal` (cheap; false, mirror unchanged, when `snapshot_end` would
    /// return `None`), `snapshot_retire` (the old mirror out, to be dropped when convenient),
    /// `snapshot_load` (the mirror built from the tree: the costly step) and `snapshot_take`
    /// (the event). No mutation may be planned in between.
    pub fn snapshot_seal(&mut self) -> bool {
        self.plan = None;
        let Some(b) = self.snap.take() else { return false };
        match b.into_snapshot_tree() {
            Ok(tree) => {
                self.sealed = Some(tree);
                true
            }
            Err(e) => {
                self.last_error = Some(e);
                false
            }
        }
    }

    /// See [`snapshot_seal`](Self::snapshot_seal): the mirror is empty until `snapshot_load`.
    pub fn snapshot_retire(&mut self) -> Mirror {
        core::mem::take(&mut self.mirror)
    }

    /// See [`snapshot_seal`](Self::snapshot_seal).
    pub fn snapshot_load(&mut self) {
        if let Some(tree) = &self.sealed {
            // The builder resolved duplicates and counts, so this cannot report anything.
            let _ = self.mirror.load_tree(tree);
        }
    }

    /// See [`snapshot_seal`](Self::snapshot_seal).
    pub fn snapshot_take(&mut self, scroll_x: i32, scroll_y: i32, width: u32, height: u32) -> Option<FullSnapshot> {
        let tree = self.sealed.take()?;
        Some(FullSnapshot { tree, scroll_x, scroll_y, width, height })
    }

    /// Plans a batch from a listing (see the module doc) and returns the ids the reader must
    /// serialize, in order. An invalid listing is dropped whole (returns nothing, and
    /// `mutation_finish` then returns `None`).
    pub fn mutation_begin(&mut self, listing: &str) -> Vec<NodeId> {
        self.plan = None;
        match parse_listing(listing) {
            Ok(items) => {
                let plan = plan(&self.mirror, items);
                let req = plan.requested.clone();
                self.plan = Some(plan);
                req
            }
            Err(e) => {
                self.last_error = Some(e);
                Vec::new()
            }
        }
    }

    /// Takes the serialized subtrees of the requested ids (a `node*` stream) and returns the
    /// batch's event, already applied to the mirror; `None` if nothing changed. If the stream
    /// is invalid, the subtrees completed before the fault are used.
    pub fn mutation_finish(&mut self, nodes: &str) -> Option<Mutation> {
        let mut plan = self.plan.take()?;
        let m = &self.mirror;
        let mut want = IdSet::with_capacity(plan.requested.len());
        for &r in &plan.requested {
            want.add(r);
        }
        let lay = &mut plan.layout;
        let mut b = TreeBuilder::forest(Dup::FirstWins);
        let fed = b.feed_with(nodes, &mut |id, top| {
            if top {
                want.contains(id)
            } else {
                // Ids the mirror keeps in the document are placed by the listing, not here.
                let kept = m.contains(id) && lay.depth(m, id).is_some();
                !want.contains(id) && !kept
            }
        });
        let (trees, err) = b.into_forest();
        if let Some(e) = fed.err().or(err) {
            self.last_error = Some(e);
        }
        let mut trees: Vec<Option<Tree>> = trees.into_iter().map(Some).collect();
        let mut tree_of = IdMap::<u32>::with_capacity(trees.len());
        for (i, t) in trees.iter().enumerate() {
            if let Some(top) = t.as_ref().and_then(|t| t.nodes.first()) {
                tree_of.insert(top.id, i as u32);
            }
        }

        let mut adds = Vec::new();
        for (p, list) in &plan.lists {
            let f: Vec<NodeId> = list.iter().copied().filter(|&c| m.contains(c) || tree_of.contains(c)).collect();
            let mut old = IdMap::<u32>::with_capacity(m.child_count(*p));
            for (i, c) in m.children(*p).enumerate() {
                old.insert(c, i as u32);
            }
            let kept: Vec<(usize, u32)> = f.iter().enumerate().filter_map(|(i, &c)| old.get(c).map(|o| (i, o))).collect();
            let mut stable = vec![false; f.len()];
            for k in lis(&kept) {
                stable[kept[k].0] = true;
            }
            let mut next = None;
            for i in (0..f.len()).rev() {
                let c = f[i];
                if !stable[i] {
                    let node = if m.contains(c) {
                        AddNode::Move(c)
                    } else {
                        match tree_of.get(c).and_then(|t| trees[t as usize].take()) {
                            Some(t) => AddNode::New(t),
                            None => continue,
                        }
                    };
                    adds.push(Add { parent: *p, next, node });
                }
                next = Some(c);
            }
        }

        let mutation = Mutation { removes: plan.removes, adds, attrs: plan.attrs, texts: plan.texts, props: plan.props };
        if mutation.removes.is_empty()
            && mutation.adds.is_empty()
            && mutation.attrs.is_empty()
            && mutation.texts.is_empty()
            && mutation.props.is_empty()
        {
            return None;
        }
        let applied = self.mirror.apply_mutation(&mutation);
        debug_assert!(applied.is_ok(), "recorder built an inapplicable mutation: {applied:?}");
        Some(mutation)
    }
}

/// Longest strictly increasing subsequence of `seq[..].1`, as indices into `seq`.
fn lis(seq: &[(usize, u32)]) -> Vec<usize> {
    // Fast path: nothing reordered (appends, inserts and removals).
    if seq.windows(2).all(|w| w[0].1 < w[1].1) {
        return (0..seq.len()).collect();
    }
    let mut tails: Vec<usize> = Vec::new();
    let mut prev = vec![usize::MAX; seq.len()];
    for i in 0..seq.len() {
        let v = seq[i].1;
        let k = tails.partition_point(|&t| seq[t].1 < v);
        if k > 0 {
            prev[i] = tails[k - 1];
        }
        if k == tails.len() {
            tails.push(i);
        } else {
            tails[k] = i;
        }
    }
    let mut out = Vec::with_capacity(tails.len());
    let mut cur = tails.last().copied().unwrap_or(usize::MAX);
    while cur != usize::MAX {
        out.push(cur);
        cur = prev[cur];
    }
    out
}

const DETACHED: u32 = u32::MAX;
const VISITING: u32 = u32::MAX - 1;

/// The final parent relation of a planned batch.
#[derive(Default)]
struct Layout {
    /// List index -> parent.
    parents: Vec<NodeId>,
    /// Node -> index of the list placing it.
    placed: IdMap<u32>,
    /// Parent -> its list index.
    listed: IdMap<u32>,
    /// Node -> final depth, `DETACHED`, or `VISITING` during a walk.
    memo: IdMap<u32>,
    path: Vec<NodeId>,
}

enum Up {
    Root,
    Parent(NodeId),
    Out,
}

impl Layout {
    fn up(&self, m: &Mirror, x: NodeId) -> Up {
        if Some(x) == m.root() {
            return Up::Root;
        }
        if let Some(li) = self.placed.get(x) {
            return Up::Parent(self.parents[li as usize]);
        }
        match m.parent(x) {
            None => Up::Out,
            Some(q) if self.listed.contains(q) && !matches!(m.node(x), Some(NodeKind::ShadowRoot)) => Up::Out,
            Some(q) => Up::Parent(q),
        }
    }

    /// Depth in the final document, or `None` if out of it. Memoized, iterative.
    fn depth(&mut self, m: &Mirror, x: NodeId) -> Option<u32> {
        let mut cur = x;
        let base = loop {
            match self.memo.get(cur) {
                Some(VISITING) | Some(DETACHED) => break None,
                Some(d) => break Some(d),
                None => {}
            }
            match self.up(m, cur) {
                Up::Root => {
                    self.memo.insert(cur, 0);
                    break Some(0);
                }
                Up::Out => {
                    self.memo.insert(cur, DETACHED);
                    break None;
                }
                Up::Parent(p) => {
                    self.memo.insert(cur, VISITING);
                    self.path.push(cur);
                    cur = p;
                }
            }
        };
        let mut d = base;
        while let Some(n) = self.path.pop() {
            d = d.map(|v| v + 1);
            self.memo.insert(n, d.unwrap_or(DETACHED));
        }
        match self.memo.get(x) {
            Some(v) if v < VISITING => Some(v),
            _ => None,
        }
    }
}

struct Plan {
    /// Final child lists of the parents that stay, parents first.
    lists: Vec<(NodeId, Vec<NodeId>)>,
    removes: Vec<NodeId>,
    requested: Vec<NodeId>,
    layout: Layout,
    attrs: Vec<AttrChange>,
    texts: Vec<(NodeId, String)>,
    props: Vec<(NodeId, Prop)>,
}

fn plan(m: &Mirror, items: Vec<ListItem<'_>>) -> Plan {
    let mut lay = Layout::default();
    let mut raw: Vec<(NodeId, Vec<NodeId>)> = Vec::new();
    let mut attr_items = Vec::new();
    let mut text_items = Vec::new();
    let mut prop_items = Vec::new();
    for item in items {
        match item {
            ListItem::Children { parent, ids } => {
                if !m.node(parent).is_some_and(is_container) {
                    continue;
                }
                match lay.listed.get(parent) {
                    // A parent listed twice: the later list is the current one.
                    Some(li) => raw[li as usize].1 = ids,
                    None => {
                        lay.listed.insert(parent, raw.len() as u32);
                        lay.parents.push(parent);
                        raw.push((parent, ids));
                    }
                }
            }
            ListItem::Attr { id, name, value } => attr_items.push((id, name, value, attr_items.len())),
            ListItem::Text { id, text } => text_items.push((id, text, text_items.len())),
            ListItem::Prop { id, prop } => prop_items.push((id, prop, prop_items.len())),
        }
    }
    let root = m.root();
    for (li, (p, ids)) in raw.iter().enumerate() {
        for &c in ids {
            if c != *p && Some(c) != root && !lay.placed.contains(c) {
                lay.placed.insert(c, li as u32);
            }
        }
    }

    let mut order: Vec<(u32, usize)> = Vec::new();
    for (li, (p, _)) in raw.iter().enumerate() {
        if let Some(d) = lay.depth(m, *p) {
            order.push((d, li));
        }
    }
    sort::sort_by_key(&mut order, |o| *o);
    let mut in_final = IdSet::new();
    let mut lists = Vec::with_capacity(order.len());
    let mut requested = Vec::new();
    for &(_, li) in &order {
        let (p, ids) = &raw[li];
        let mut f = Vec::with_capacity(ids.len() + 1);
        if let Some(first) = m.first_child(*p) {
            if matches!(m.node(first), Some(NodeKind::ShadowRoot)) && !lay.placed.contains(first) && in_final.add(first) {
                f.push(first);
            }
        }
        for &c in ids {
            if lay.placed.get(c) == Some(li as u32) && in_final.add(c) {
                f.push(c);
                if !m.contains(c) {
                    requested.push(c);
                }
            }
        }
        lists.push((*p, f));
    }

    let mut removes = Vec::new();
    let mut seen = IdSet::new();
    for (p, ids) in &raw {
        for c in m.children(*p).chain(ids.iter().copied()) {
            if Some(c) == root || !m.contains(c) || seen.contains(c) {
                continue;
            }
            if lay.depth(m, c).is_none() {
                if let Some(q) = m.parent(c) {
                    if lay.depth(m, q).is_some() && seen.add(c) {
                        removes.push(c);
                    }
                }
            }
        }
    }

    let mut kept = |id: NodeId| m.contains(id) && lay.depth(m, id).is_some();

    // Last value wins: keep the last item per key, in the order of those last items.
    sort::sort_by(&mut attr_items, |a, b| (a.0, a.1, b.3) < (b.0, b.1, a.3));
    attr_items.dedup_by(|b, a| (a.0, a.1) == (b.0, b.1));
    sort::sort_by_key(&mut attr_items, |a| a.3);
    let mut attrs = Vec::new();
    for (id, name, value, _) in attr_items {
        if !kept(id) {
            continue;
        }
        let Some(e) = m.element(id) else { continue };
        let cur = e.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        if cur != value {
            attrs.push(AttrChange { id, name: name.to_owned(), value: value.map(str::to_owned) });
        }
    }

    sort::sort_by(&mut text_items, |a, b| (a.0, b.2) < (b.0, a.2));
    text_items.dedup_by_key(|t| t.0);
    sort::sort_by_key(&mut text_items, |t| t.2);
    let mut texts = Vec::new();
    for (id, text, _) in text_items {
        if !kept(id) {
            continue;
        }
        match m.node(id) {
            Some(NodeKind::Text(t) | NodeKind::Comment(t) | NodeKind::CData(t)) if t != text => texts.push((id, text.to_owned())),
            _ => {}
        }
    }

    sort::sort_by(&mut prop_items, |a, b| (a.0, a.1.kind(), b.2) < (b.0, b.1.kind(), a.2));
    prop_items.dedup_by_key(|p| (p.0, p.1.kind()));
    sort::sort_by_key(&mut prop_items, |p| p.2);
    let mut props = Vec::new();
    for (id, prop, _) in prop_items {
        if !kept(id) {
            continue;
        }
        if let Some(e) = m.element(id) {
            let changed = match prop {
                // A clear is news only if the element has a prop of that kind.
                PropRef::Clear(_) => e.props.iter().any(|p| prop_kind(p) == prop.kind()),
                _ => !e.props.iter().any(|p| prop.eq_prop(p)),
            };
            if changed {
                props.push((id, PropRef::to_prop(prop)));
            }
        }
    }

    Plan { lists, removes, requested, layout: lay, attrs, texts, props }
}
