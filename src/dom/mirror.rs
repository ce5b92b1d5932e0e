//! The recorded document as an arena: ids map to slots; each slot links to its parent and
//! siblings, so inserts, moves and removals are O(1) and nothing recurses.
//!
//! The recorder diffs against a `Mirror` and applies its own events to it with
//! [`Mirror::apply_mutation`], the same function replay uses, so record and replay cannot drift.
//!
//! # Applying a mutation
//! In the order of the schema: `removes`, `adds` in sequence, `attrs`, `texts`, `props`.
//! * A removed node is detached with its subtree but kept until the adds are done: a
//!   `Move` may take it (or any node inside it) back. Whatever is still detached after the
//!   adds is dropped. This is how a node survives when its old ancestor is removed in the
//!   same batch.
//! * A `New` subtree may carry the id of a detached node (removed in this mutation): the new
//!   content replaces it (the old node loses its id; its remaining children can still be
//!   moved out by id). A `New` node whose id is attached elsewhere is skipped with its
//!   subtree and reported (the recorder never emits that).
//! * Errors are collected, not fatal: one bad reference skips only its own operation. A bad
//!   `next` (not a child of `parent`) appends instead.
//!
//! # `canonical()`: the fidelity oracle's text form
//! One line per node in document order, each ending in `\n`, indented by two spaces per
//! depth (the root document at depth 0):
//! * `#document`
//! * `#doctype NAME|PUBLIC|SYSTEM`
//! * `<TAG NAME="VALUE" ...>`: attributes sorted by name, comparing UTF-16 code units
//!   (JavaScript's default `sort()`); TAG is prefixed `svg:` (SVG), `math:` (MathML) or
//!   `{URI}` (any other non-HTML namespace); HTML tags are lower case (`localName`).
//! * `#text "…"`, `#comment "…"`, `#cdata "…"`
//! * `#shadow-root` (an open shadow root, listed first under its host)
//! * a same-origin iframe's document is the `#document` child of the `iframe` line.
//!
//! Quoted strings are exactly `JSON.stringify(s)`; NAME, PUBLIC, SYSTEM, TAG and attribute
//! names use the same escaping without the quotes (the identity for any real DOM name).
//! JavaScript strings with lone surrogates should be passed through `toWellFormed()`
//! first (the recorder only ever sees U+FFFD there). Children of `script` elements (HTML or
//! SVG) are omitted; props (form values, scroll, ...) are not part of this form. Elements
//! whose content is not recorded (prop `Opaque`) have no children here.
//!
//! # `to_html()`
//! The HTML serialization of the document, for rendering a snapshot (inside a sandboxed
//! iframe without `allow-scripts`: event-handler attributes and `javascript:` URLs are kept
//! as recorded, not sanitized). It follows the HTML fragment serialization algorithm, with:
//! * the doctype written with its public and system ids (they decide quirks mode);
//! * `script` (HTML or SVG): attributes kept but `type="text/inert"` replaces `type`, and no
//!   content, so nothing runs or is fetched;
//! * void elements without end tag or content; in `style`, `xmp`, `noembed`, `noframes`
//!   text is written raw, with any `</tag` defused as `<\/tag`; other text escapes
//!   `& < >` and U+00A0; attribute values escape `& " < >` and U+00A0 and are always
//!   double-quoted; attributes whose names cannot be written are dropped, and unwritable tag
//!   names become `insp-invalid`;
//! * an open shadow root: `<template shadowrootmode="open">` as the host's first child;
//! * an iframe's recorded document: its own `to_html` in the `srcdoc` attribute (replacing a
//!   recorded `srcdoc`), up to 8 nested levels (deeper iframes stay empty);
//! * props: `Value` becomes the `value` attribute of an `input`, and the content of a
//!   `textarea`; `Checked` / `Selected` set or remove the `checked` / `selected` attribute;
//!   `Css` on a `link` replaces the element by `<style>` with that text (keeping `media`), on
//!   a `style` it replaces the element's text; an `Opaque` element is written with its
//!   attributes minus `src` / `srcdoc`, plus `data-insp-opaque` and, with a `Size` prop, a
//!   `style` giving that width and height (for an HTML element other than a frame, the
//!   placeholder of an ignored element: also a grey background, and `display:inline-block`
//!   for inline elements), and without content; `Scroll` is not written;
//! * comments: `-->`, `--!>` and a leading `>` / `->` are defused with `&gt;` (the comment
//!   text changes, but the document structure survives); CDATA is written as CDATA inside
//!   SVG / MathML and as escaped text elsewhere (where the parser has no CDATA);
//! * a leading newline in `pre`, `textarea`, `listing` gets an extra newline (the parser
//!   drops the first).

use super::idmap::IdMap;
use super::packed::prop_kind;
use crate::event::{Add, AddNode, AttrChange, Element, FlatNode, FullSnapshot, Mutation, NodeId, NodeKind, Ns, Prop, Tree};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

const NIL: u32 = u32::MAX;

#[derive(Clone, Debug)]
struct Slot {
    id: NodeId,
    parent: u32,
    first: u32,
    last: u32,
    prev: u32,
    next: u32,
    nchild: u32,
    alive: bool,
    kind: NodeKind,
}

/// The recorded document; see the module doc.
#[derive(Clone, Debug)]
pub struct Mirror {
    slots: Vec<Slot>,
    free: Vec<u32>,
    index: IdMap<u32>,
    root: u32,
}

impl Default for Mirror {
    fn default() -> Self {
        Self::new()
    }
}

/// Which list of a mutation an issue is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Tree,
    Remove,
    Add,
    Attr,
    Text,
    Prop,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// The node (or `parent`) is not in the mirror.
    Unknown,
    /// Children for a node that cannot have any.
    NotAContainer,
    /// `next` is not a child of `parent` (the add appended instead).
    BadNext,
    /// The move would put a node inside itself.
    Cycle,
    /// The root cannot be removed or moved.
    Root,
    /// A new node's id is attached elsewhere in the document.
    Duplicate,
    /// Id 0.
    ZeroId,
    /// Attribute or prop on a non-element, text on a non-text node.
    WrongKind,
    /// A tree with no nodes, more than one root, or fewer nodes than its counts say.
    Malformed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Issue {
    pub part: Part,
    /// Index in that list (the node index for `Part::Tree`).
    pub index: usize,
    pub id: NodeId,
    pub problem: Problem,
}

/// Everything that could not be applied; the rest was.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApplyError {
    pub issues: Vec<Issue>,
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} operation(s) not applied", self.issues.len())?;
        if let Some(i) = self.issues.first() {
            write!(f, ", first: {:?}[{}] id {}: {:?}", i.part, i.index, i.id, i.problem)?;
        }
        Ok(())
    }
}

struct Errs {
    issues: Vec<Issue>,
    part: Part,
    index: usize,
}

impl Errs {
    fn push(&mut self, id: NodeId, problem: Problem) {
        self.issues.push(Issue { part: self.part, index: self.index, id, problem });
    }
}

pub(crate) fn is_container(k: &NodeKind) -> bool {
    matches!(k, NodeKind::Document { .. } | NodeKind::Element(_) | NodeKind::ShadowRoot)
}

/// Children of a node, in order.
pub struct Children<'a> {
    m: &'a Mirror,
    cur: u32,
}

impl Iterator for Children<'_> {
    type Item = NodeId;
    fn next(&mut self) -> Option<NodeId> {
        if self.cur == NIL {
            return None;
        }
        let s = &self.m.slots[self.cur as usize];
        self.cur = s.next;
        Some(s.id)
    }
}

/// A node and its descendants in document order.
pub struct Descendants<'a> {
    m: &'a Mirror,
    top: u32,
    cur: u32,
}

impl Iterator for Descendants<'_> {
    type Item = NodeId;
    fn next(&mut self) -> Option<NodeId> {
        if self.cur == NIL {
            return None;
        }
        let out = self.m.slots[self.cur as usize].id;
        self.cur = self.m.following(self.cur, self.top, true);
        Some(out)
    }
}

/// One step of a document-order walk.
enum Step {
    Enter(u32, usize),
    Exit(u32),
}

impl Mirror {
    pub fn new() -> Self {
        Mirror { slots: Vec::new(), free: Vec::new(), index: IdMap::new(), root: NIL }
    }

    /// A mirror of the snapshot's document (problems in the tree are skipped; see
    /// [`Mirror::load_tree`] to see them).
    pub fn from_snapshot(snap: &FullSnapshot) -> Self {
        let mut m = Mirror::new();
        let _ = m.load_tree(&snap.tree);
        m
    }

    /// Replaces the whole content with `tree` (its first node becomes the root). Nodes with a
    /// repeated or zero id are skipped with their subtrees; a leaf's children are skipped.
    pub fn load_tree(&mut self, tree: &Tree) -> Result<(), ApplyError> {
        self.clear();
        self.slots.reserve(tree.nodes.len());
        self.index = IdMap::with_capacity(tree.nodes.len());
        let mut errs = Errs { issues: Vec::new(), part: Part::Tree, index: 0 };
        let mut limbo = Vec::new();
        let top = self.insert_tree(tree, NIL, NIL, &mut limbo, &mut errs);
        self.root = top;
        self.cleanup(limbo);
        if errs.issues.is_empty() {
            Ok(())
        } else {
            Err(ApplyError { issues: errs.issues })
        }
    }

    pub fn clear(&mut self) {
        self.slots.clear();
        self.free.clear();
        self.index.clear();
        self.root = NIL;
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    pub fn root(&self) -> Option<NodeId> {
        (self.root != NIL).then(|| self.slots[self.root as usize].id)
    }

    #[inline]
    fn slot(&self, id: NodeId) -> Option<u32> {
        self.index.get(id)
    }

    pub fn contains(&self, id: NodeId) -> bool {
        self.index.contains(id)
    }

    pub fn node(&self, id: NodeId) -> Option<&NodeKind> {
        self.slot(id).map(|s| &self.slots[s as usize].kind)
    }

    /// The element, if `id` is one.
    pub fn element(&self, id: NodeId) -> Option<&Element> {
        match self.node(id) {
            Some(NodeKind::Element(e)) => Some(e),
            _ => None,
        }
    }

    fn id_of(&self, s: u32) -> Option<NodeId> {
        (s != NIL).then(|| self.slots[s as usize].id)
    }

    pub fn parent(&self, id: NodeId) -> Option<NodeId> {
        self.slot(id).and_then(|s| self.id_of(self.slots[s as usize].parent))
    }

    /// Children in order (empty for an unknown id).
    pub fn children(&self, id: NodeId) -> Children<'_> {
        let cur = self.slot(id).map_or(NIL, |s| self.slots[s as usize].first);
        Children { m: self, cur }
    }

    pub fn child_count(&self, id: NodeId) -> usize {
        self.slot(id).map_or(0, |s| self.slots[s as usize].nchild as usize)
    }

    pub fn first_child(&self, id: NodeId) -> Option<NodeId> {
        self.slot(id).and_then(|s| self.id_of(self.slots[s as usize].first))
    }

    pub fn last_child(&self, id: NodeId) -> Option<NodeId> {
        self.slot(id).and_then(|s| self.id_of(self.slots[s as usize].last))
    }

    pub fn next_sibling(&self, id: NodeId) -> Option<NodeId> {
        self.slot(id).and_then(|s| self.id_of(self.slots[s as usize].next))
    }

    pub fn prev_sibling(&self, id: NodeId) -> Option<NodeId> {
        self.slot(id).and_then(|s| self.id_of(self.slots[s as usize].prev))
    }

    /// `id` and its descendants in document order (empty for an unknown id).
    pub fn descendants(&self, id: NodeId) -> Descendants<'_> {
        let s = self.slot(id).unwrap_or(NIL);
        Descendants { m: self, top: s, cur: s }
    }

    /// The subtree at `id` in the wire form.
    pub fn subtree(&self, id: NodeId) -> Option<Tree> {
        let s = self.slot(id)?;
        let mut nodes = Vec::new();
        self.walk(s, |m, step| {
            if let Step::Enter(s, _) = step {
                let sl = &m.slots[s as usize];
                nodes.push(FlatNode { id: sl.id, n: sl.nchild, kind: sl.kind.clone() });
            }
            true
        });
        Some(Tree { nodes })
    }

    // ---- structure primitives ----

    /// Next slot in document order within `top`'s subtree; `descend` = may go into `s`.
    #[inline]
    fn following(&self, mut s: u32, top: u32, descend: bool) -> u32 {
        let sl = &self.slots[s as usize];
        if descend && sl.first != NIL {
            return sl.first;
        }
        loop {
            if s == top {
                return NIL;
            }
            let sl = &self.slots[s as usize];
            if sl.next != NIL {
                return sl.next;
            }
            s = sl.parent;
            if s == NIL {
                return NIL;
            }
        }
    }

    /// Document-order walk of `top`'s subtree without recursion; `f` returning `false` on
    /// `Enter` skips that node's children (its `Exit` still comes).
    fn walk(&self, top: u32, mut f: impl FnMut(&Self, Step) -> bool) {
        if top == NIL {
            return;
        }
        let mut s = top;
        let mut depth = 0usize;
        loop {
            let sl = &self.slots[s as usize];
            if f(self, Step::Enter(s, depth)) && sl.first != NIL {
                s = sl.first;
                depth += 1;
                continue;
            }
            // Leave `s` and every ancestor that has no next sibling.
            loop {
                f(self, Step::Exit(s));
                if s == top {
                    return;
                }
                let sl = &self.slots[s as usize];
                if sl.next != NIL {
                    s = sl.next;
                    break;
                }
                s = sl.parent;
                depth -= 1;
            }
        }
    }

    fn alloc(&mut self, id: NodeId, kind: NodeKind) -> u32 {
        let slot = Slot { id, parent: NIL, first: NIL, last: NIL, prev: NIL, next: NIL, nchild: 0, alive: true, kind };
        let s = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = slot;
                s
            }
            None => {
                self.slots.push(slot);
                (self.slots.len() - 1) as u32
            }
        };
        self.index.insert(id, s);
        s
    }

    /// Links a detached `s` under `p`, before `before` (a child of `p`) or last.
    fn link(&mut self, p: u32, s: u32, before: u32) {
        let prev = if before == NIL { self.slots[p as usize].last } else { self.slots[before as usize].prev };
        {
            let sl = &mut self.slots[s as usize];
            sl.parent = p;
            sl.prev = prev;
            sl.next = before;
        }
        if prev == NIL {
            self.slots[p as usize].first = s;
        } else {
            self.slots[prev as usize].next = s;
        }
        if before == NIL {
            self.slots[p as usize].last = s;
        } else {
            self.slots[before as usize].prev = s;
        }
        self.slots[p as usize].nchild += 1;
    }

    fn unlink(&mut self, s: u32) {
        let Slot { parent, prev, next, .. } = self.slots[s as usize];
        if parent == NIL {
            return;
        }
        if prev == NIL {
            self.slots[parent as usize].first = next;
        } else {
            self.slots[prev as usize].next = next;
        }
        if next == NIL {
            self.slots[parent as usize].last = prev;
        } else {
            self.slots[next as usize].prev = prev;
        }
        self.slots[parent as usize].nchild -= 1;
        let sl = &mut self.slots[s as usize];
        sl.parent = NIL;
        sl.prev = NIL;
        sl.next = NIL;
    }

    /// Unlinks and frees `s` with its subtree.
    fn delete(&mut self, s: u32) {
        self.unlink(s);
        let mut cur = s;
        while cur != NIL {
            let nxt = self.following(cur, s, true);
            // `following` read the links above before this slot is reset below; freeing in
            // document order never touches a slot the walk still needs, since it only goes
            // down or right from here.
            let sl = &mut self.slots[cur as usize];
            if self.index.get(sl.id) == Some(cur) {
                self.index.remove(sl.id);
            }
            sl.alive = false;
            sl.kind = NodeKind::ShadowRoot; // drops the strings now
            self.free.push(cur);
            cur = nxt;
        }
    }

    /// `a` is `b` or one of its ancestors.
    fn is_ancestor_or_self(&self, a: u32, mut b: u32) -> bool {
        while b != NIL {
            if a == b {
                return true;
            }
            b = self.slots[b as usize].parent;
        }
        false
    }

    fn attached(&self, s: u32) -> bool {
        self.root != NIL && self.is_ancestor_or_self(self.root, s)
    }

    /// Inserts `tree` under `parent` (NIL: as a detached root) before `before`; returns the
    /// top slot. Ids held by detached slots are taken over (see the module doc).
    fn insert_tree(&mut self, tree: &Tree, parent: u32, before: u32, limbo: &mut Vec<u32>, errs: &mut Errs) -> u32 {
        let nodes = &tree.nodes;
        if nodes.is_empty() {
            errs.push(0, Problem::Malformed);
            return NIL;
        }
        let mut top = NIL;
        // Open containers: (slot, children still expected).
        let mut stack: Vec<(u32, u32)> = Vec::new();
        let mut i = 0usize;
        while i < nodes.len() {
            let (par, bef) = if i == 0 {
                (parent, before)
            } else {
                while let Some(&(_, 0)) = stack.last() {
                    stack.pop();
                }
                match stack.last_mut() {
                    Some(e) => {
                        e.1 -= 1;
                        (e.0, NIL)
                    }
                    None => {
                        errs.push(nodes[i].id, Problem::Malformed);
                        break;
                    }
                }
            };
            let fnode = &nodes[i];
            let problem = if fnode.id == 0 {
                Some(Problem::ZeroId)
            } else {
                match self.slot(fnode.id) {
                    Some(e) if self.attached(e) || (i > 0 && top != NIL && self.is_ancestor_or_self(top, e)) => Some(Problem::Duplicate),
                    Some(e) => {
                        // Detached (removed in this mutation): the new content takes the id.
                        self.index.remove(fnode.id);
                        if self.slots[e as usize].parent != NIL {
                            self.unlink(e);
                            limbo.push(e);
                        }
                        None
                    }
                    None => None,
                }
            };
            if let Some(p) = problem {
                errs.push(fnode.id, p);
                i = skip_subtree(nodes, i);
                continue;
            }
            let s = self.alloc(fnode.id, fnode.kind.clone());
            if par != NIL {
                self.link(par, s, bef);
            }
            if i == 0 {
                top = s;
                if parent == NIL && self.root == NIL {
                    // Loading a whole tree: attachment is judged against this root.
                    self.root = s;
                }
            }
            i += 1;
            if fnode.n > 0 {
                if is_container(&fnode.kind) {
                    stack.push((s, fnode.n));
                } else {
                    errs.push(fnode.id, Problem::NotAContainer);
                    i = skip_children(nodes, i, fnode.n);
                }
            }
        }
        if stack.iter().any(|&(_, n)| n > 0) {
            errs.push(0, Problem::Malformed);
        }
        top
    }

    /// Frees what is still detached among `limbo` at the end of a mutation.
    fn cleanup(&mut self, limbo: Vec<u32>) {
        for s in limbo {
            let sl = &self.slots[s as usize];
            if sl.alive && sl.parent == NIL && s != self.root {
                self.delete(s);
            }
        }
    }

    /// Applies one mutation (see the module doc); problems skip only their own operation.
    pub fn apply_mutation(&mut self, m: &Mutation) -> Result<(), ApplyError> {
        let mut errs = Errs { issues: Vec::new(), part: Part::Remove, index: 0 };
        let mut limbo: Vec<u32> = Vec::new();
        for (i, &id) in m.removes.iter().enumerate() {
            errs.index = i;
            match self.slot(id) {
                None => errs.push(id, Problem::Unknown),
                Some(s) if s == self.root => errs.push(id, Problem::Root),
                Some(s) => {
                    if self.slots[s as usize].parent != NIL {
                        self.unlink(s);
                        limbo.push(s);
                    }
                }
            }
        }
        errs.part = Part::Add;
        for (i, add) in m.adds.iter().enumerate() {
            errs.index = i;
            self.apply_add(add, &mut limbo, &mut errs);
        }
        self.cleanup(limbo);
        errs.part = Part::Attr;
        for (i, a) in m.attrs.iter().enumerate() {
            errs.index = i;
            self.apply_attr(a, &mut errs);
        }
        errs.part = Part::Text;
        for (i, (id, text)) in m.texts.iter().enumerate() {
            errs.index = i;
            match self.slot(*id).map(|s| &mut self.slots[s as usize].kind) {
                Some(NodeKind::Text(t) | NodeKind::Comment(t) | NodeKind::CData(t)) => t.clone_from(text),
                Some(_) => errs.push(*id, Problem::WrongKind),
                None => errs.push(*id, Problem::Unknown),
            }
        }
        errs.part = Part::Prop;
        for (i, (id, prop)) in m.props.iter().enumerate() {
            errs.index = i;
            match self.slot(*id).map(|s| &mut self.slots[s as usize].kind) {
                Some(NodeKind::Element(e)) => set_prop(e, prop.clone()),
                Some(_) => errs.push(*id, Problem::WrongKind),
                None => errs.push(*id, Problem::Unknown),
            }
        }
        if errs.issues.is_empty() {
            Ok(())
        } else {
            Err(ApplyError { issues: errs.issues })
        }
    }

    fn apply_add(&mut self, add: &Add, limbo: &mut Vec<u32>, errs: &mut Errs) {
        let Some(p) = self.slot(add.parent) else {
            return errs.push(add.parent, Problem::Unknown);
        };
        if !is_container(&self.slots[p as usize].kind) {
            return errs.push(add.parent, Problem::NotAContainer);
        }
        let mut before = match add.next {
            None => NIL,
            Some(n) => match self.slot(n) {
                Some(b) if self.slots[b as usize].parent == p => b,
                _ => {
                    errs.push(n, Problem::BadNext);
                    NIL
                }
            },
        };
        match &add.node {
            AddNode::Move(id) => {
                let Some(s) = self.slot(*id) else {
                    return errs.push(*id, Problem::Unknown);
                };
                if s == self.root {
                    return errs.push(*id, Problem::Root);
                }
                if self.is_ancestor_or_self(s, p) {
                    return errs.push(*id, Problem::Cycle);
                }
                if before == s {
                    // "Before itself": it stays where it is.
                    return;
                }
                if before == NIL && self.slots[p as usize].last == s {
                    return;
                }
                if self.slots[s as usize].parent == NIL {
                    // Taken back from the removed set; nothing else to track.
                } else {
                    self.unlink(s);
                }
                if before != NIL && self.slots[before as usize].parent != p {
                    before = NIL;
                }
                self.link(p, s, before);
            }
            AddNode::New(tree) => {
                self.insert_tree(tree, p, before, limbo, errs);
            }
        }
    }

    fn apply_attr(&mut self, a: &AttrChange, errs: &mut Errs) {
        let Some(NodeKind::Element(e)) = self.slot(a.id).map(|s| &mut self.slots[s as usize].kind) else {
            let problem = if self.contains(a.id) { Problem::WrongKind } else { Problem::Unknown };
            return errs.push(a.id, problem);
        };
        let at = e.attrs.iter().position(|(n, _)| *n == a.name);
        match (&a.value, at) {
            (Some(v), Some(i)) => e.attrs[i].1.clone_from(v),
            (Some(v), None) => e.attrs.push((a.name.clone(), v.clone())),
            (None, Some(i)) => {
                e.attrs.remove(i);
            }
            (None, None) => {}
        }
    }

    // ---- serializers ----

    /// The fidelity oracle's text form; see the module doc.
    pub fn canonical(&self) -> String {
        let mut out = String::new();
        self.walk(self.root, |m, step| {
            let Step::Enter(s, depth) = step else { return true };
            for _ in 0..depth {
                out.push_str("  ");
            }
            let mut descend = true;
            match &m.slots[s as usize].kind {
                NodeKind::Document { .. } => out.push_str("#document"),
                NodeKind::Doctype { name, public_id, system_id } => {
                    out.push_str("#doctype ");
                    json_escape(&mut out, name);
                    out.push('|');
                    json_escape(&mut out, public_id);
                    out.push('|');
                    json_escape(&mut out, system_id);
                }
                NodeKind::Element(e) => {
                    out.push('<');
                    match &e.ns {
                        Ns::Html => {}
                        Ns::Svg => out.push_str("svg:"),
                        Ns::MathMl => out.push_str("math:"),
                        Ns::Other(uri) => {
                            out.push('{');
                            json_escape(&mut out, uri);
                            out.push('}');
                        }
                    }
                    json_escape(&mut out, &e.tag);
                    let mut attrs: Vec<&(String, String)> = e.attrs.iter().collect();
                    attrs.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
                    for (n, v) in attrs {
                        out.push(' ');
                        json_escape(&mut out, n);
                        out.push('=');
                        json_quote(&mut out, v);
                    }
                    out.push('>');
                    descend = !(e.tag == "script" && matches!(e.ns, Ns::Html | Ns::Svg));
                }
                NodeKind::Text(t) => {
                    out.push_str("#text ");
                    json_quote(&mut out, t);
                }
                NodeKind::Comment(t) => {
                    out.push_str("#comment ");
                    json_quote(&mut out, t);
                }
                NodeKind::CData(t) => {
                    out.push_str("#cdata ");
                    json_quote(&mut out, t);
                }
                NodeKind::ShadowRoot => out.push_str("#shadow-root"),
            }
            out.push('\n');
            descend
        });
        out
    }

    /// The document as HTML; see the module doc.
    pub fn to_html(&self) -> String {
        let mut out = String::new();
        self.html_into(&mut out, self.root, 0);
        out
    }

    fn html_into(&self, out: &mut String, top: u32, frames: u32) {
        self.html_into_based(out, top, frames, None);
    }

    /// As `html_into`; with `base`, a `<base href>` is written first in the document's `head`.
    fn html_into_based(&self, out: &mut String, top: u32, frames: u32, mut base: Option<&str>) {
        self.walk(top, |m, step| match step {
            Step::Enter(s, depth) => {
                let more = m.html_enter(out, s, frames);
                if let Some(b) = base {
                    if depth == 2 && matches!(&m.slots[s as usize].kind, NodeKind::Element(e) if e.ns == Ns::Html && e.tag == "head") {
                        out.push_str("<base");
                        push_attr(out, "href", b);
                        out.push('>');
                        base = None;
                    }
                }
                more
            }
            Step::Exit(s) => {
                m.html_exit(out, s);
                true
            }
        });
    }

    fn parent_element(&self, s: u32) -> Option<&Element> {
        let p = self.slots[s as usize].parent;
        match self.slots.get(p as usize).map(|sl| &sl.kind) {
            Some(NodeKind::Element(e)) => Some(e),
            _ => None,
        }
    }

    /// Start of a node; returns whether to write its children.
    fn html_enter(&self, out: &mut String, s: u32, frames: u32) -> bool {
        let sl = &self.slots[s as usize];
        match &sl.kind {
            NodeKind::Document { .. } => true,
            NodeKind::Doctype { name, public_id, system_id } => {
                let clean = |v: &str| -> String { v.chars().filter(|c| *c != '"' && *c != '>').collect() };
                let name: String = name.chars().filter(|c| !c.is_whitespace() && *c != '>').collect();
                out.push_str("<!DOCTYPE ");
                out.push_str(if name.is_empty() { "html" } else { &name });
                if !public_id.is_empty() {
                    out.push_str(" PUBLIC \"");
                    out.push_str(&clean(public_id));
                    out.push('"');
                    if !system_id.is_empty() {
                        out.push_str(" \"");
                        out.push_str(&clean(system_id));
                        out.push('"');
                    }
                } else if !system_id.is_empty() {
                    out.push_str(" SYSTEM \"");
                    out.push_str(&clean(system_id));
                    out.push('"');
                }
                out.push('>');
                false
            }
            NodeKind::Text(t) => {
                match self.parent_element(s) {
                    Some(e) if e.ns == Ns::Html && matches!(e.tag.as_str(), "style" | "xmp" | "noembed" | "noframes") => {
                        raw_text(out, t, &e.tag)
                    }
                    Some(e) if e.ns == Ns::Html && e.tag == "plaintext" => out.push_str(t),
                    _ => {
                        if self.slots[s as usize].prev == NIL {
                            if let Some(e) = self.parent_element(s) {
                                if e.ns == Ns::Html && matches!(e.tag.as_str(), "pre" | "textarea" | "listing") && t.starts_with('\n') {
                                    out.push('\n');
                                }
                            }
                        }
                        escape_text(out, t)
                    }
                }
                false
            }
            NodeKind::Comment(t) => {
                out.push_str("<!--");
                let t = if let Some(r) = t.strip_prefix("->") {
                    out.push_str("-&gt;");
                    r
                } else if let Some(r) = t.strip_prefix('>') {
                    out.push_str("&gt;");
                    r
                } else {
                    t
                };
                out.push_str(&t.replace("-->", "--&gt;").replace("--!>", "--!&gt;"));
                out.push_str("-->");
                false
            }
            NodeKind::CData(t) => {
                if self.parent_element(s).is_some_and(|e| matches!(e.ns, Ns::Svg | Ns::MathMl)) {
                    out.push_str("<![CDATA[");
                    out.push_str(&t.replace("]]>", "]]]]><![CDATA[>"));
                    out.push_str("]]>");
                } else {
                    escape_text(out, t);
                }
                false
            }
            NodeKind::ShadowRoot => {
                out.push_str("<template shadowrootmode=\"open\">");
                true
            }
            NodeKind::Element(e) => self.html_element(out, s, e, frames),
        }
    }

    fn html_element(&self, out: &mut String, s: u32, e: &Element, frames: u32) -> bool {
        let html = e.ns == Ns::Html;
        let tag = if valid_tag(&e.tag) { e.tag.as_str() } else { "insp-invalid" };
        let opaque = e.props.iter().any(|p| matches!(p, Prop::Opaque));
        let css = e.props.iter().find_map(|p| match p {
            Prop::Css(c) => Some(c.as_str()),
            _ => None,
        });
        if html && tag == "link" && !opaque {
            if let Some(css) = css {
                out.push_str("<style");
                if let Some((_, media)) = e.attrs.iter().find(|(n, _)| n == "media") {
                    push_attr(out, "media", media);
                }
                out.push('>');
                raw_text(out, css, "style");
                out.push_str("</style>");
                return false;
            }
        }
        out.push('<');
        out.push_str(tag);
        let script = tag == "script" && matches!(e.ns, Ns::Html | Ns::Svg);
        if script {
            push_attr(out, "type", "text/inert");
        }
        // Attributes the props or the element's treatment override.
        let overridden = |n: &str| -> bool {
            (script && n == "type")
                || (opaque && (n == "src" || n == "srcdoc" || n == "style" || n == "data-insp-opaque"))
                || (html && tag == "iframe" && n == "srcdoc")
                || e.props.iter().any(|p| match p {
                    Prop::Value(_) => html && tag == "input" && n == "value",
                    Prop::Checked(_) => n == "checked",
                    Prop::Selected(_) => n == "selected",
                    _ => false,
                })
        };
        for (n, v) in &e.attrs {
            if valid_attr_name(n) && !overridden(n) {
                push_attr(out, n, v);
            }
        }
        for p in &e.props {
            match p {
                Prop::Value(v) if html && tag == "input" => push_attr(out, "value", v),
                Prop::Checked(true) => push_attr(out, "checked", ""),
                Prop::Selected(true) => push_attr(out, "selected", ""),
                _ => {}
            }
        }
        if opaque {
            push_attr(out, "data-insp-opaque", "");
            let style = e.attrs.iter().find(|(n, _)| n == "style").map(|(_, v)| v.as_str()).unwrap_or("");
            match e.props.iter().find_map(|p| match p {
                Prop::Size { w, h } => Some((*w, *h)),
                _ => None,
            }) {
                Some((w, h)) => {
                    let sep = if style.is_empty() || style.trim_end().ends_with(';') { "" } else { ";" };
                    // A placeholder of an ignored element (src/privacy.rs) is drawn as a grey
                    // box; an inline one gets a box that can take a size.
                    let extra = match () {
                        _ if tag == "iframe" || tag == "frame" || !html => "",
                        _ if is_inline(tag) => ";display:inline-block;background:#e4e4e4",
                        _ => ";background:#e4e4e4",
                    };
                    push_attr(out, "style", &alloc::format!("{style}{sep}width:{w}px;height:{h}px{extra}"));
                }
                None if !style.is_empty() => push_attr(out, "style", style),
                None => {}
            }
        }
        let sl = &self.slots[s as usize];
        if html && tag == "iframe" && !opaque {
            let doc = self.first_document_child(s);
            if doc != NIL && frames < MAX_FRAMES {
                let mut inner = String::new();
                // A srcdoc resolves relative URLs against the embedding page: the frame
                // document's own URL is pinned as its base.
                let base = e.props.iter().find_map(|p| match p {
                    Prop::FrameUrl(u) if is_hierarchical(u) => Some(u.as_str()),
                    _ => None,
                });
                self.html_into_based(&mut inner, doc, frames + 1, base);
                push_attr(out, "srcdoc", &inner);
            }
        }
        out.push('>');
        if html && is_void(tag) {
            return false;
        }
        if script || opaque || (html && tag == "iframe") {
            return false;
        }
        if html && tag == "textarea" {
            if let Some(v) = e.props.iter().find_map(|p| match p {
                Prop::Value(v) => Some(v),
                _ => None,
            }) {
                if v.starts_with('\n') {
                    out.push('\n');
                }
                escape_text(out, v);
                return false;
            }
        }
        if html && tag == "style" {
            if let Some(css) = css {
                raw_text(out, css, "style");
                return false;
            }
        }
        sl.first != NIL
    }

    fn first_document_child(&self, s: u32) -> u32 {
        let mut c = self.slots[s as usize].first;
        while c != NIL {
            if matches!(self.slots[c as usize].kind, NodeKind::Document { .. }) {
                return c;
            }
            c = self.slots[c as usize].next;
        }
        NIL
    }

    fn html_exit(&self, out: &mut String, s: u32) {
        match &self.slots[s as usize].kind {
            NodeKind::ShadowRoot => out.push_str("</template>"),
            NodeKind::Element(e) => {
                let tag = if valid_tag(&e.tag) { e.tag.as_str() } else { "insp-invalid" };
                // (A `link` written as `<style>` was closed on enter; it is void here.)
                if !(e.ns == Ns::Html && is_void(tag)) {
                    out.push_str("</");
                    out.push_str(tag);
                    out.push('>');
                }
            }
            _ => {}
        }
    }
}

const MAX_FRAMES: u32 = 8;

fn skip_subtree(nodes: &[FlatNode], i: usize) -> usize {
    skip_children(nodes, i + 1, nodes[i].n)
}

/// Index after `n` consecutive subtrees starting at `i`.
fn skip_children(nodes: &[FlatNode], mut i: usize, n: u32) -> usize {
    let mut pending = n as u64;
    while pending > 0 && i < nodes.len() {
        pending = pending - 1 + nodes[i].n as u64;
        i += 1;
    }
    i
}

/// Replaces the prop of the same kind, or adds it.
pub(crate) fn set_prop(e: &mut Element, prop: Prop) {
    let k = prop_kind(&prop);
    if let Prop::Clear(_) = prop {
        e.props.retain(|p| prop_kind(p) != k);
        return;
    }
    match e.props.iter_mut().find(|p| prop_kind(p) == k) {
        Some(p) => *p = prop,
        None => e.props.push(prop),
    }
}

/// HTML elements laid out inline by default, whose placeholder needs `inline-block` to take a size.
fn is_inline(tag: &str) -> bool {
    matches!(
        tag,
        "a" | "abbr" | "b" | "bdi" | "bdo" | "cite" | "code" | "data" | "dfn" | "em" | "font" | "i" | "kbd" | "label"
            | "mark" | "q" | "s" | "samp" | "small" | "span" | "strong" | "sub" | "sup" | "time" | "u" | "var"
    )
}

fn is_void(tag: &str) -> bool {
    matches!(
        tag,
        "area" | "base" | "br" | "col" | "embed" | "hr" | "img" | "input" | "link" | "meta" | "source" | "track" | "wbr"
            | "basefont" | "bgsound" | "frame" | "keygen" | "param"
    )
}

fn valid_tag(t: &str) -> bool {
    let mut cs = t.chars();
    matches!(cs.next(), Some(c) if c.is_ascii_alphabetic())
        && cs.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':') || !c.is_ascii())
}

fn valid_attr_name(n: &str) -> bool {
    !n.is_empty() && n.chars().all(|c| !(c.is_control() || matches!(c, ' ' | '"' | '\'' | '>' | '<' | '/' | '=')))
}

fn is_hierarchical(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

fn push_attr(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\u{A0}' => out.push_str("&nbsp;"),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn escape_text(out: &mut String, t: &str) {
    for c in t.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\u{A0}' => out.push_str("&nbsp;"),
            c => out.push(c),
        }
    }
}

/// Raw text, with `</tag` (any case) defused so the element cannot be closed early.
fn raw_text(out: &mut String, t: &str, tag: &str) {
    let b = t.as_bytes();
    let mut last = 0;
    let mut i = 0;
    while let Some(off) = t[i..].find("</") {
        let at = i + off;
        let name = &b[at + 2..];
        if name.len() >= tag.len() && name[..tag.len()].eq_ignore_ascii_case(tag.as_bytes()) {
            out.push_str(&t[last..at]);
            out.push_str("<\\/");
            last = at + 2;
        }
        i = at + 2;
    }
    out.push_str(&t[last..]);
}

/// `JSON.stringify(s)` without the quotes.
pub fn json_escape(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 15] as char);
            }
            c => out.push(c),
        }
    }
}

/// `JSON.stringify(s)`.
pub fn json_quote(out: &mut String, s: &str) {
    out.push('"');
    json_escape(out, s);
    out.push('"');
}
