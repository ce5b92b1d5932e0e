//! The DOM side of recording, as pure logic: the packed node stream the browser reader
//! produces, the mirror of the recorded document, snapshot assembly, and the mutation
//! bookkeeping that turns observer batches into [`Mutation`](crate::event::Mutation) events.
//!
//! Modules: [`packed`] parses (and writes) the streams below, [`mirror`] holds the recorded
//! document (and documents `canonical()`, the fidelity oracle's text form, and `to_html()`),
//! [`diff`] has [`DomRecorder`](diff::DomRecorder), [`idmap`] a fast id-keyed map.
//!
//! # Why a packed stream
//! Crossing the JS/wasm boundary per node costs about five times a plain JavaScript walk, so a
//! small reader in JavaScript (`js/reader.js`) walks the DOM and hands wasm one string per
//! slice or batch. Ids are assigned by that reader (a `WeakMap` from node to id), because only
//! JavaScript can map a DOM node to anything.
//!
//! # The packed grammar
//! A stream is a sequence of tokens, each token followed by the separator `SEP` (U+0000).
//! The reader replaces any U+0000 inside a token's text by U+FFFD. Numbers are decimal.
//!
//! ```text
//! stream   := item*
//! node     := "D" id quirks(0|1) node* "/"              document (page or same-origin iframe)
//!           | "d" id name publicId systemId             doctype
//!           | "e" id tag ns nattr (name value){nattr}
//!                  nprop (code value){nprop} node* "/"  element and its children
//!           | "t" id text | "c" id text | "x" id text    text, comment, CDATA
//!           | "S" id node* "/"                           open shadow root (first child of its host)
//! ns       := "" (HTML) | "s" (SVG) | "m" (MathML) | a namespace URI
//! prop     := "v" value | "k" 0|1 (checked) | "z" 0|1 (selected) | "s" css-text
//!           | "o" "x,y" (scroll) | "w" "w,h" (size) | "O" "" (opaque: content not recorded)
//!           | "u" url (iframe: URL of its same-origin document)
//!           | "X" code (listings only: the element no longer has a prop of kind `code`,
//!                       one of the codes above; ignored inside a `node`)
//! ```
//! Snapshot chunks (`DomRecorder::snapshot_chunk`) are consecutive pieces of one `node`
//! stream for the whole document ("D" ... "/"); a chunk always ends on a token boundary but
//! may end inside an open element. If the page changes between slices so that the reader's
//! position is no longer valid, the reader closes ("/") the levels it abandons and reports
//! those parents as dirty in the next listing; an id that appears a second time in one
//! snapshot means the node moved under the walk, and the later position wins.
//!
//! A mutation listing (`DomRecorder::mutation_begin`) describes the *current* state of what
//! the observer reported, never the records themselves (so adds-then-removes and repeated
//! attribute writes collapse by construction):
//! ```text
//! listing  := item*
//! item     := "C" parent count id{count}   current children of a changed parent (ids; the
//!                                           reader assigns fresh ids to nodes it never saw)
//!           | "A" id name value            current value of a changed attribute
//!           | "a" id name                  the attribute is now absent
//!           | "T" id text                  current text of a text, comment or CDATA node
//!           | "P" id code value            current value of a prop (codes as above)
//! ```
//! Items about nodes the mirror does not hold are ignored. `mutation_begin` returns the ids
//! placed by the listing that the mirror lacks (new nodes, and nodes detached earlier whose
//! content may have changed meanwhile); the reader serializes exactly those, in that order, as
//! a `node*` stream for `mutation_finish`, which returns the event.
//!
//! # Clarifications (all streams valid under the grammar above keep their meaning)
//! * Tokens: numbers are ASCII decimal digits fitting a `u32` (no sign), ids are never 0;
//!   flags are `0` / `1`. The `o` / `w` values are two such numbers separated by a comma
//!   (`o` allows a leading `-`; a fractional part is truncated). `ns` also accepts the three
//!   well-known namespace URIs, read as `""`, `s`, `m`. The `O` prop's value is ignored.
//! * Children as the mirror models them: a same-origin iframe's document is the iframe's
//!   child, so `C iframe 1 docId` lists it (a new id there replaces the recorded document);
//!   an open shadow root is its host's first child. A `C` list may omit a shadow root the
//!   mirror already holds (it is never detached, so it stays first); a newly attached one
//!   must be listed, first.
//! * Snapshot chunks may in fact be cut anywhere, even inside a token: the tail is kept for
//!   the next chunk. If an id repeats while its earlier occurrence is still open (an
//!   ancestor of the current position, which a consistent walk cannot produce), the later
//!   occurrence is skipped with its subtree.
//! * Listings: a parent listed twice: its later list counts. An id placed by two lists (or
//!   twice in one) keeps its first placement. For `A`/`a`, `T` and `P` the last item per
//!   node and name (or prop code) wins. A listing with any invalid or truncated item is
//!   dropped whole (the recorder then emits nothing for that batch).
//! * Serialized subtrees for `mutation_finish`: top-level nodes are matched to requested ids
//!   by id (order is not relied on; unrequested or repeated ones are ignored, and a
//!   requested id not serialized is simply not added). Inside them, a node whose id the
//!   mirror keeps in the document is dropped with its subtree (the listing places it), as is
//!   a repeated id; ids of nodes the batch removes are new content. If the stream is
//!   invalid, the subtrees completed before the fault are used.

pub mod diff;
pub mod idmap;
pub mod mirror;
pub mod packed;

/// Token separator of the packed stream.
pub const SEP: char = '\u{0}';
