//! Compact binary encoding of the schema (postcard: varints, no field names). The collector
//! decodes with this same code, so agent and collector can never disagree on the format.

use crate::event::Envelope;
use alloc::vec::Vec;
use postcard::ser_flavors::Flavor;
use serde::Serialize;

#[derive(Debug, PartialEq, Eq)]
pub struct DecodeError;

pub fn encode(env: &Envelope) -> Vec<u8> {
    // Serialising plain owned data into a Vec cannot fail.
    to_vec(env).unwrap_or_default()
}

/// postcard bytes of any value, as `postcard::to_allocvec` writes them.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Option<Vec<u8>> {
    // Measuring first costs a walk without writes; growing the buffer by doubling instead would
    // copy a snapshot's megabytes several times over and leave up to half of it unused.
    let mut buf = Vec::with_capacity(encoded_len(value));
    postcard::serialize_with_flavor(value, Out { buf: Some(&mut buf), len: 0 }).ok()?;
    Some(buf)
}

/// Length of [`to_vec`]'s output without writing it (as `postcard::experimental::serialized_size`).
pub fn encoded_len<T: Serialize + ?Sized>(value: &T) -> usize {
    postcard::serialize_with_flavor(value, Out { buf: None, len: 0 }).unwrap_or(0)
}

/// One postcard output for both writing and measuring, so every `Serialize` impl of the schema
/// exists once in the wasm instead of once per postcard flavor (about 10 kB).
struct Out<'a> {
    buf: Option<&'a mut Vec<u8>>,
    len: usize,
}

impl Flavor for Out<'_> {
    type Output = usize;

    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        self.len += data.len();
        if let Some(buf) = self.buf.as_deref_mut() {
            buf.extend_from_slice(data);
        }
        Ok(())
    }

    fn try_push(&mut self, data: u8) -> postcard::Result<()> {
        self.len += 1;
        if let Some(buf) = self.buf.as_deref_mut() {
            buf.push(data);
        }
        Ok(())
    }

    fn finalize(self) -> postcard::Result<usize> {
        Ok(self.len)
    }
}

pub fn decode(bytes: &[u8]) -> Result<Envelope, DecodeError> {
    let (env, rest): (Envelope, &[u8]) = postcard::take_from_bytes(bytes).map_err(|_| DecodeError)?;
    if !rest.is_empty() {
        return Err(DecodeError);
    }
    Ok(env)
}
