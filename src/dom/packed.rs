//! Parser (and, for tests and tools, writer) of the packed stream described in [`super`].
//!
//! Hostile input yields a [`PackedError`], never a panic; nesting is tracked on explicit
//! stacks, so depth is bounded by memory, not by the call stack. Tokens are borrowed slices of
//! the input: the only allocations are the owned strings the [`Tree`] keeps.

use super::idmap::IdMap;
use super::SEP;
use crate::event::{Element, FlatNode, NodeId, NodeKind, Ns, Prop, PropKind, Tree};
use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedError {
    pub kind: PackedErrorKind,
    /// Byte offset in the whole stream (all chunks so far) of the item at fault.
    pub at: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackedErrorKind {
    /// An item letter the grammar does not have.
    UnknownItem,
    /// Not a decimal `u32` (or not a number pair for `o` / `w`).
    BadNumber,
    /// Id 0, which is never a node.
    ZeroId,
    /// A flag other than `0` / `1`.
    BadFlag,
    /// A prop code the grammar does not have.
    BadProp,
    /// `/` with no open node.
    UnexpectedClose,
    /// The stream ended inside an open node.
    Unclosed,
    /// The stream ended inside an item.
    Truncated,
    /// A snapshot stream continues after its document closed.
    TrailingData,
    /// A snapshot stream does not start with `D`.
    NotADocument,
    /// A snapshot chunk arrived with no snapshot begun.
    NoSnapshot,
}

impl fmt::Display for PackedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "packed stream: {:?} at byte {}", self.kind, self.at)
    }
}

/// Cursor over `SEP`-terminated tokens.
struct Tokens<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Tokens<'a> {
    #[inline]
    fn next(&mut self) -> Result<&'a str, Halt> {
        let rest = &self.s[self.pos..];
        match find_sep(rest.as_bytes()) {
            Some(i) => {
                self.pos += i + 1;
                // A NUL byte is never inside a UTF-8 sequence, so `i` is a char boundary.
                Ok(&rest[..i])
            }
            None => Err(Halt::Incomplete),
        }
    }

    #[inline]
    fn skip(&mut self, n: u64) -> Result<(), Halt> {
        for _ in 0..n {
            self.next()?;
        }
        Ok(())
    }
}

/// Position of the first NUL byte. Most tokens are a few bytes long, so the first bytes are
/// checked one by one; longer texts are scanned eight bytes at a time (about 3x faster than
/// `str::find` on a typical stream).
#[inline]
fn find_sep(b: &[u8]) -> Option<usize> {
    debug_assert_eq!(SEP as u32, 0);
    let head = b.len().min(8);
    if let Some(i) = b[..head].iter().position(|&c| c == 0) {
        return Some(i);
    }
    let mut i = head;
    while i + 8 <= b.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        let x = u64::from_le_bytes(w);
        let t = x.wrapping_sub(0x0101_0101_0101_0101) & !x & 0x8080_8080_8080_8080;
        if t != 0 {
            return Some(i + (t.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b[i..].iter().position(|&c| c == 0).map(|j| i + j)
}

/// Why an item could not be taken: not enough input yet, or invalid.
enum Halt {
    Incomplete,
    Bad(PackedErrorKind),
}

impl From<PackedErrorKind> for Halt {
    fn from(k: PackedErrorKind) -> Self {
        Halt::Bad(k)
    }
}

fn num(s: &str) -> Result<u32, PackedErrorKind> {
    if s.is_empty() || s.len() > 10 {
        return Err(PackedErrorKind::BadNumber);
    }
    let mut v: u64 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return Err(PackedErrorKind::BadNumber);
        }
        v = v * 10 + (b - b'0') as u64;
    }
    u32::try_from(v).map_err(|_| PackedErrorKind::BadNumber)
}

fn id(s: &str) -> Result<NodeId, PackedErrorKind> {
    match num(s)? {
        0 => Err(PackedErrorKind::ZeroId),
        v => Ok(v),
    }
}

fn flag(s: &str) -> Result<bool, PackedErrorKind> {
    match s {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(PackedErrorKind::BadFlag),
    }
}

/// A signed coordinate; a fractional part (from a sloppy reader) is truncated.
fn coord(s: &str) -> Result<i64, PackedErrorKind> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    let int = digits.split('.').next().unwrap_or("");
    let frac_ok = digits[int.len()..].bytes().skip(1).all(|b| b.is_ascii_digit());
    if int.is_empty() || int.len() > 10 || !frac_ok || !int.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PackedErrorKind::BadNumber);
    }
    let v = int.bytes().fold(0i64, |v, b| v * 10 + (b - b'0') as i64);
    Ok(if neg { -v } else { v })
}

fn pair(s: &str) -> Result<(i64, i64), PackedErrorKind> {
    let (a, b) = s.split_once(',').ok_or(PackedErrorKind::BadNumber)?;
    Ok((coord(a)?, coord(b)?))
}

/// A prop as parsed, still borrowing the input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PropRef<'a> {
    Value(&'a str),
    Checked(bool),
    Selected(bool),
    Css(&'a str),
    Scroll { x: i32, y: i32 },
    Size { w: u32, h: u32 },
    Opaque,
    FrameUrl(&'a str),
    Clear(PropKind),
}

/// Packed code of a prop kind (the code of the prop it names).
pub fn kind_code(k: PropKind) -> &'static str {
    match k {
        PropKind::Value => "v",
        PropKind::Checked => "k",
        PropKind::Selected => "z",
        PropKind::Css => "s",
        PropKind::Scroll => "o",
        PropKind::Size => "w",
        PropKind::Opaque => "O",
        PropKind::FrameUrl => "u",
    }
}

fn kind_of_code(c: &str) -> Result<PropKind, PackedErrorKind> {
    Ok(match c {
        "v" => PropKind::Value,
        "k" => PropKind::Checked,
        "z" => PropKind::Selected,
        "s" => PropKind::Css,
        "o" => PropKind::Scroll,
        "w" => PropKind::Size,
        "O" => PropKind::Opaque,
        "u" => PropKind::FrameUrl,
        _ => return Err(PackedErrorKind::BadProp),
    })
}

/// Kind index of a prop kind, as [`prop_kind`].
pub fn kind_index(k: PropKind) -> u8 {
    match k {
        PropKind::Value => 0,
        PropKind::Checked => 1,
        PropKind::Selected => 2,
        PropKind::Css => 3,
        PropKind::Scroll => 4,
        PropKind::Size => 5,
        PropKind::Opaque => 6,
        PropKind::FrameUrl => 7,
    }
}

impl<'a> PropRef<'a> {
    pub fn parse(code: &str, value: &'a str) -> Result<Self, PackedErrorKind> {
        let clamp_i = |v: i64| v.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
        let clamp_u = |v: i64| v.clamp(0, u32::MAX as i64) as u32;
        Ok(match code {
            "v" => PropRef::Value(value),
            "k" => PropRef::Checked(flag(value)?),
            "z" => PropRef::Selected(flag(value)?),
            "s" => PropRef::Css(value),
            "o" => {
                let (x, y) = pair(value)?;
                PropRef::Scroll { x: clamp_i(x), y: clamp_i(y) }
            }
            "w" => {
                let (w, h) = pair(value)?;
                PropRef::Size { w: clamp_u(w), h: clamp_u(h) }
            }
            "O" => PropRef::Opaque,
            "u" => PropRef::FrameUrl(value),
            "X" => PropRef::Clear(kind_of_code(value)?),
            _ => return Err(PackedErrorKind::BadProp),
        })
    }

    pub fn to_prop(self) -> Prop {
        match self {
            PropRef::Value(v) => Prop::Value(v.to_owned()),
            PropRef::Checked(b) => Prop::Checked(b),
            PropRef::Selected(b) => Prop::Selected(b),
            PropRef::Css(v) => Prop::Css(v.to_owned()),
            PropRef::Scroll { x, y } => Prop::Scroll { x, y },
            PropRef::Size { w, h } => Prop::Size { w, h },
            PropRef::Opaque => Prop::Opaque,
            PropRef::FrameUrl(v) => Prop::FrameUrl(v.to_owned()),
            PropRef::Clear(k) => Prop::Clear(k),
        }
    }

    /// Kind index, as [`prop_kind`].
    pub fn kind(&self) -> u8 {
        match self {
            PropRef::Value(_) => 0,
            PropRef::Checked(_) => 1,
            PropRef::Selected(_) => 2,
            PropRef::Css(_) => 3,
            PropRef::Scroll { .. } => 4,
            PropRef::Size { .. } => 5,
            PropRef::Opaque => 6,
            PropRef::FrameUrl(_) => 7,
            // A clear replaces the prop of the kind it names.
            PropRef::Clear(k) => kind_index(*k),
        }
    }

    /// Same kind and value as `p`.
    pub fn eq_prop(&self, p: &Prop) -> bool {
        match (*self, p) {
            (PropRef::Value(a), Prop::Value(b)) | (PropRef::Css(a), Prop::Css(b)) => a == b,
            (PropRef::Checked(a), Prop::Checked(b)) | (PropRef::Selected(a), Prop::Selected(b)) => a == *b,
            (PropRef::Scroll { x, y }, Prop::Scroll { x: a, y: b }) => x == *a && y == *b,
            (PropRef::Size { w, h }, Prop::Size { w: a, h: b }) => w == *a && h == *b,
            (PropRef::Opaque, Prop::Opaque) => true,
            (PropRef::FrameUrl(a), Prop::FrameUrl(b)) => a == b,
            (PropRef::Clear(a), Prop::Clear(b)) => a == *b,
            _ => false,
        }
    }
}

/// Kind index of a prop (one prop of each kind per element).
pub fn prop_kind(p: &Prop) -> u8 {
    match p {
        Prop::Value(_) => 0,
        Prop::Checked(_) => 1,
        Prop::Selected(_) => 2,
        Prop::Css(_) => 3,
        Prop::Scroll { .. } => 4,
        Prop::Size { .. } => 5,
        Prop::Opaque => 6,
        Prop::FrameUrl(_) => 7,
        // A clear replaces (removes) the prop of the kind it names.
        Prop::Clear(k) => kind_index(*k),
    }
}

fn ns_of(s: &str) -> Ns {
    match s {
        "" | "http://www.w3.org/1999/xhtml" => Ns::Html,
        "s" | "http://www.w3.org/2000/svg" => Ns::Svg,
        "m" | "http://www.w3.org/1998/Math/MathML" => Ns::MathMl,
        uri => Ns::Other(uri.to_owned()),
    }
}

/// What to do with a node whose id already occurred in the stream (and was not dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dup {
    /// Snapshots: the node moved under the walk; the earlier occurrence and its subtree are
    /// dropped. If the earlier occurrence is still open (an ancestor of the new position,
    /// which a consistent walk cannot produce), the later one is skipped instead.
    LaterWins,
    /// Mutation subtrees: the later occurrence is skipped with its subtree.
    FirstWins,
}

const OPEN: u32 = u32::MAX;
const NIL: u32 = u32::MAX;

#[derive(Clone, Copy)]
struct Meta {
    parent: u32,
    /// One past the last node of the subtree, or `OPEN`.
    end: u32,
    dropped: bool,
}

/// Streaming `node*` parser: feed chunks, then take the trees.
pub struct TreeBuilder {
    nodes: Vec<FlatNode>,
    meta: Vec<Meta>,
    stack: Vec<u32>,
    /// > 0 while inside a skipped subtree: open containers of it.
    skip: u32,
    index: IdMap<u32>,
    dup: Dup,
    /// Snapshot mode: exactly one top-level node, a document.
    single_root: bool,
    tops: u32,
    dropped: bool,
    /// Incomplete tail of the previous chunk (an item cut by the chunk boundary).
    carry: String,
    /// Bytes fed so far, for error offsets.
    fed: usize,
    failed: Option<PackedError>,
}

impl TreeBuilder {
    /// One document (`D` ... `/`), duplicates resolved as [`Dup::LaterWins`].
    pub fn snapshot() -> Self {
        Self::new(Dup::LaterWins, true)
    }

    /// Any number of top-level nodes (a mutation's serialized subtrees).
    pub fn forest(dup: Dup) -> Self {
        Self::new(dup, false)
    }

    fn new(dup: Dup, single_root: bool) -> Self {
        TreeBuilder {
            nodes: Vec::new(),
            meta: Vec::new(),
            stack: Vec::new(),
            skip: 0,
            index: IdMap::new(),
            dup,
            single_root,
            tops: 0,
            dropped: false,
            carry: String::new(),
            fed: 0,
            failed: None,
        }
    }

    pub fn error(&self) -> Option<&PackedError> {
        self.failed.as_ref()
    }

    /// Nodes kept so far (including ones later dropped).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn feed(&mut self, chunk: &str) -> Result<(), PackedError> {
        self.feed_with(chunk, &mut |_, _| true)
    }

    /// `accept(id, top_level)` can reject a node: it is skipped with its subtree.
    pub fn feed_with<F: FnMut(NodeId, bool) -> bool>(&mut self, chunk: &str, accept: &mut F) -> Result<(), PackedError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        // A cut item is rare (the reader ends slices on node boundaries), so re-joining it
        // with the next chunk by one copy is simpler than a resumable item parser.
        let joined;
        let base = self.fed - self.carry.len();
        let buf: &str = if self.carry.is_empty() {
            chunk
        } else {
            let mut s = core::mem::take(&mut self.carry);
            s.push_str(chunk);
            joined = s;
            &joined
        };
        self.fed += chunk.len();
        // Typical pages spend 25-30 bytes per node; reserving up front saves regrowing (and
        // rehashing) while a large snapshot streams in. Bounded by the input, never by a count.
        let guess = buf.len() / 32;
        self.nodes.reserve(guess);
        self.meta.reserve(guess);
        self.index.reserve(guess);
        let mut t = Tokens { s: buf, pos: 0 };
        while t.pos < buf.len() {
            let start = t.pos;
            match self.item(&mut t, accept) {
                Ok(()) => {}
                Err(Halt::Incomplete) => {
                    self.carry = buf[start..].to_owned();
                    break;
                }
                Err(Halt::Bad(kind)) => {
                    let e = PackedError { kind, at: base + start };
                    self.failed = Some(e.clone());
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    fn item<F: FnMut(NodeId, bool) -> bool>(&mut self, t: &mut Tokens<'_>, accept: &mut F) -> Result<(), Halt> {
        let letter = t.next()?;
        if letter == "/" {
            if self.skip > 0 {
                self.skip -= 1;
            } else if let Some(i) = self.stack.pop() {
                self.meta[i as usize].end = self.nodes.len() as u32;
            } else {
                return Err(PackedErrorKind::UnexpectedClose.into());
            }
            return Ok(());
        }
        if self.single_root && self.tops == 0 && self.skip == 0 && letter != "D" {
            return Err(PackedErrorKind::NotADocument.into());
        }
        let nid = id(t.next()?)?;
        // Every token is read (and validated) before any state changes, so an item cut by a
        // chunk boundary can simply be retried from its start.
        let kind = match letter {
            "D" => {
                let quirks = flag(t.next()?)?;
                if !self.admit(nid, true, accept)? {
                    return Ok(());
                }
                NodeKind::Document { quirks }
            }
            "d" => {
                let (name, public_id, system_id) = (t.next()?, t.next()?, t.next()?);
                if !self.admit(nid, false, accept)? {
                    return Ok(());
                }
                NodeKind::Doctype { name: name.to_owned(), public_id: public_id.to_owned(), system_id: system_id.to_owned() }
            }
            "t" | "c" | "x" => {
                let text = t.next()?;
                if !self.admit(nid, false, accept)? {
                    return Ok(());
                }
                let text = text.to_owned();
                match letter {
                    "t" => NodeKind::Text(text),
                    "c" => NodeKind::Comment(text),
                    _ => NodeKind::CData(text),
                }
            }
            "S" => {
                if !self.admit(nid, true, accept)? {
                    return Ok(());
                }
                NodeKind::ShadowRoot
            }
            "e" => {
                let tag = t.next()?;
                let ns = t.next()?;
                let nattr = num(t.next()?)?;
                let attrs_at = t.pos;
                t.skip(2 * nattr as u64)?;
                let nprop = num(t.next()?)?;
                let props_at = t.pos;
                for _ in 0..nprop {
                    let code = t.next()?;
                    PropRef::parse(code, t.next()?)?;
                }
                if !self.admit(nid, true, accept)? {
                    return Ok(());
                }
                // Second pass over the validated tokens, now allocating what the tree keeps.
                let mut r = Tokens { s: t.s, pos: attrs_at };
                let mut attrs = Vec::with_capacity(nattr as usize);
                for _ in 0..nattr {
                    let (n, v) = (r.next()?, r.next()?);
                    attrs.push((n.to_owned(), v.to_owned()));
                }
                r.pos = props_at;
                let mut props = Vec::with_capacity(nprop as usize);
                for _ in 0..nprop {
                    let (c, v) = (r.next()?, r.next()?);
                    match PropRef::parse(c, v)? {
                        // Nothing to clear in a new node.
                        PropRef::Clear(_) => {}
                        p => props.push(p.to_prop()),
                    }
                }
                NodeKind::Element(Element { tag: tag.to_owned(), ns: ns_of(ns), attrs, props })
            }
            _ => return Err(PackedErrorKind::UnknownItem.into()),
        };
        let container = matches!(kind, NodeKind::Document { .. } | NodeKind::Element(_) | NodeKind::ShadowRoot);
        let idx = self.nodes.len() as u32;
        let parent = self.stack.last().copied().unwrap_or(NIL);
        if parent != NIL {
            self.nodes[parent as usize].n += 1;
        } else {
            self.tops += 1;
        }
        self.nodes.push(FlatNode { id: nid, n: 0, kind });
        self.meta.push(Meta { parent, end: if container { OPEN } else { idx + 1 }, dropped: false });
        self.index.insert(nid, idx);
        if container {
            self.stack.push(idx);
        }
        Ok(())
    }

    /// Decides whether a node is kept; on `false` a container's subtree is skipped too.
    fn admit<F: FnMut(NodeId, bool) -> bool>(&mut self, nid: NodeId, container: bool, accept: &mut F) -> Result<bool, Halt> {
        if self.skip > 0 {
            if container {
                self.skip += 1;
            }
            return Ok(false);
        }
        let top = self.stack.is_empty();
        if top && self.single_root && self.tops > 0 {
            return Err(PackedErrorKind::TrailingData.into());
        }
        let mut ok = accept(nid, top);
        if ok {
            if let Some(e) = self.index.get(nid) {
                let m = self.meta[e as usize];
                if !m.dropped {
                    if m.end == OPEN || self.dup == Dup::FirstWins {
                        ok = false;
                    } else {
                        self.drop_subtree(e);
                    }
                }
            }
        }
        if !ok && container {
            self.skip = 1;
        }
        Ok(ok)
    }

    /// Drops the closed subtree at `e`, skipping already-dropped ranges so that the total
    /// work stays linear however often nodes reappear.
    fn drop_subtree(&mut self, e: u32) {
        let end = self.meta[e as usize].end;
        let mut i = e;
        while i < end {
            let m = &mut self.meta[i as usize];
            if m.dropped {
                i = m.end;
            } else {
                m.dropped = true;
                i += 1;
            }
        }
        let p = self.meta[e as usize].parent;
        if p != NIL {
            self.nodes[p as usize].n -= 1;
        }
        self.dropped = true;
    }

    /// Completed top-level trees in stream order, and the first problem if the stream was
    /// invalid or incomplete (trees completed before it are still returned).
    pub fn into_forest(self) -> (Vec<Tree>, Option<PackedError>) {
        let err = self.failed.clone().or_else(|| {
            let at = self.fed;
            if !self.carry.is_empty() {
                Some(PackedError { kind: PackedErrorKind::Truncated, at: at - self.carry.len() })
            } else if !self.stack.is_empty() || self.skip > 0 {
                Some(PackedError { kind: PackedErrorKind::Unclosed, at })
            } else {
                None
            }
        });
        let TreeBuilder { nodes, meta, dropped, tops, .. } = self;
        if !dropped && tops == 1 && meta.first().is_some_and(|m| m.end as usize == nodes.len()) {
            // Common snapshot case: the buffer already is the tree.
            return (alloc::vec![Tree { nodes }], err);
        }
        let mut out = Vec::new();
        let mut cur: Option<Tree> = None;
        for (i, n) in nodes.into_iter().enumerate() {
            let m = meta[i];
            if m.parent == NIL {
                out.extend(cur.take());
                if !m.dropped && m.end != OPEN {
                    cur = Some(Tree { nodes: Vec::new() });
                }
            }
            if !m.dropped {
                if let Some(c) = cur.as_mut() {
                    c.nodes.push(n);
                }
            }
        }
        out.extend(cur);
        (out, err)
    }

    /// The single document of a snapshot stream.
    pub fn into_snapshot_tree(self) -> Result<Tree, PackedError> {
        let fed = self.fed;
        let (mut trees, err) = self.into_forest();
        if let Some(e) = err {
            return Err(e);
        }
        match trees.pop() {
            Some(t) if trees.is_empty() => Ok(t),
            _ => Err(PackedError { kind: PackedErrorKind::Truncated, at: fed }),
        }
    }
}

/// Parses a complete `node*` stream.
pub fn parse_nodes(s: &str, dup: Dup) -> Result<Vec<Tree>, PackedError> {
    let mut b = TreeBuilder::forest(dup);
    b.feed(s)?;
    match b.into_forest() {
        (trees, None) => Ok(trees),
        (_, Some(e)) => Err(e),
    }
}

/// Parses a complete snapshot stream (`D` ... `/`).
pub fn parse_snapshot(s: &str) -> Result<Tree, PackedError> {
    let mut b = TreeBuilder::snapshot();
    b.feed(s)?;
    b.into_snapshot_tree()
}

/// One item of a mutation listing.
#[derive(Debug, Clone, PartialEq)]
pub enum ListItem<'a> {
    Children { parent: NodeId, ids: Vec<NodeId> },
    Attr { id: NodeId, name: &'a str, value: Option<&'a str> },
    Text { id: NodeId, text: &'a str },
    Prop { id: NodeId, prop: PropRef<'a> },
}

/// Parses a whole listing; any invalid or truncated item rejects it.
pub fn parse_listing(s: &str) -> Result<Vec<ListItem<'_>>, PackedError> {
    let mut t = Tokens { s, pos: 0 };
    let mut out = Vec::new();
    while t.pos < s.len() {
        let start = t.pos;
        let item = listing_item(&mut t).map_err(|h| PackedError {
            kind: match h {
                Halt::Incomplete => PackedErrorKind::Truncated,
                Halt::Bad(k) => k,
            },
            at: start,
        })?;
        out.push(item);
    }
    Ok(out)
}

fn listing_item<'a>(t: &mut Tokens<'a>) -> Result<ListItem<'a>, Halt> {
    let letter = t.next()?;
    let nid = id(t.next()?)?;
    Ok(match letter {
        "C" => {
            let count = num(t.next()?)?;
            // Never trust a count for an allocation: bound it by what the input can hold.
            let mut ids = Vec::with_capacity((count as usize).min((t.s.len() - t.pos) / 2));
            for _ in 0..count {
                ids.push(id(t.next()?)?);
            }
            ListItem::Children { parent: nid, ids }
        }
        "A" => {
            let (name, value) = (t.next()?, t.next()?);
            ListItem::Attr { id: nid, name, value: Some(value) }
        }
        "a" => ListItem::Attr { id: nid, name: t.next()?, value: None },
        "T" => ListItem::Text { id: nid, text: t.next()? },
        "P" => {
            let code = t.next()?;
            ListItem::Prop { id: nid, prop: PropRef::parse(code, t.next()?)? }
        }
        _ => return Err(PackedErrorKind::UnknownItem.into()),
    })
}

// ---- writer ----

fn put(out: &mut String, tok: &str) {
    // The reader's rule: a NUL inside a token becomes U+FFFD.
    if tok.contains(SEP) {
        out.extend(tok.chars().map(|c| if c == SEP { '\u{FFFD}' } else { c }));
    } else {
        out.push_str(tok);
    }
    out.push(SEP);
}

fn put_num(out: &mut String, n: u32) {
    use core::fmt::Write;
    let _ = write!(out, "{n}");
    out.push(SEP);
}

/// Appends a prop as its `code value` token pair.
pub fn write_prop(out: &mut String, p: &Prop) {
    use core::fmt::Write;
    let bit = |b: bool| if b { "1" } else { "0" };
    match p {
        Prop::Value(v) => {
            put(out, "v");
            put(out, v);
        }
        Prop::Checked(b) => {
            put(out, "k");
            put(out, bit(*b));
        }
        Prop::Selected(b) => {
            put(out, "z");
            put(out, bit(*b));
        }
        Prop::Css(v) => {
            put(out, "s");
            put(out, v);
        }
        Prop::Scroll { x, y } => {
            put(out, "o");
            let _ = write!(out, "{x},{y}");
            out.push(SEP);
        }
        Prop::Size { w, h } => {
            put(out, "w");
            let _ = write!(out, "{w},{h}");
            out.push(SEP);
        }
        Prop::Opaque => {
            put(out, "O");
            put(out, "");
        }
        Prop::FrameUrl(v) => {
            put(out, "u");
            put(out, v);
        }
        Prop::Clear(k) => {
            put(out, "X");
            put(out, kind_code(*k));
        }
    }
}

/// Appends `tree` as a `node` stream (what the reader would send for it). Children of leaf
/// nodes, which the grammar cannot express, are not written.
pub fn write_tree(out: &mut String, tree: &Tree) {
    // Open levels: children still expected, and whether the level is written (a leaf's
    // children are not).
    let mut open: Vec<(u32, bool)> = Vec::new();
    let mut hidden_levels = 0usize;
    for node in &tree.nodes {
        let hidden = hidden_levels > 0;
        let container = matches!(node.kind, NodeKind::Document { .. } | NodeKind::Element(_) | NodeKind::ShadowRoot);
        if !hidden {
            write_node_head(out, node);
        }
        if let Some(top) = open.last_mut() {
            top.0 = top.0.saturating_sub(1);
        }
        if node.n > 0 {
            let vis = !hidden && container;
            if !vis {
                hidden_levels += 1;
            }
            open.push((node.n, vis));
        } else if container && !hidden {
            put(out, "/");
        }
        while let Some(&(0, vis)) = open.last() {
            open.pop();
            if vis {
                put(out, "/");
            } else {
                hidden_levels -= 1;
            }
        }
    }
    // A truncated tree (counts larger than the nodes given): close what is open.
    while let Some((_, vis)) = open.pop() {
        if vis {
            put(out, "/");
        }
    }
}

/// Writes a node's own tokens (for a container, not its children nor its `/`).
pub fn write_node_head(out: &mut String, node: &FlatNode) {
    match &node.kind {
        NodeKind::Document { quirks } => {
            put(out, "D");
            put_num(out, node.id);
            put(out, if *quirks { "1" } else { "0" });
        }
        NodeKind::Doctype { name, public_id, system_id } => {
            put(out, "d");
            put_num(out, node.id);
            put(out, name);
            put(out, public_id);
            put(out, system_id);
        }
        NodeKind::Element(e) => {
            put(out, "e");
            put_num(out, node.id);
            put(out, &e.tag);
            put(
                out,
                match &e.ns {
                    Ns::Html => "",
                    Ns::Svg => "s",
                    Ns::MathMl => "m",
                    Ns::Other(u) => u,
                },
            );
            put_num(out, e.attrs.len() as u32);
            for (n, v) in &e.attrs {
                put(out, n);
                put(out, v);
            }
            put_num(out, e.props.len() as u32);
            for p in &e.props {
                write_prop(out, p);
            }
        }
        NodeKind::Text(s) | NodeKind::Comment(s) | NodeKind::CData(s) => {
            let letter = match node.kind {
                NodeKind::Text(_) => "t",
                NodeKind::Comment(_) => "c",
                _ => "x",
            };
            put(out, letter);
            put_num(out, node.id);
            put(out, s);
        }
        NodeKind::ShadowRoot => {
            put(out, "S");
            put_num(out, node.id);
        }
    }
}
