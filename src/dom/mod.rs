//! The DOM side of recording, as pure logic: the packed node stream the browser reader
//! produces, the mirror of the recorded document, snapshot assembly, and the mutation
//! bookkeeping that turns observer batches into [`Mutation`](crate::event::Mutation) events.
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

pub mod diff;
pub mod mirror;
pub mod packed;

/// Token separator of the packed stream.
pub const SEP: char = '\u{0}';
