//! Compact binary encoding of the schema (postcard: varints, no field names). The collector
//! decodes with this same code, so agent and collector can never disagree on the format.

use crate::event::Envelope;
use alloc::vec::Vec;

#[derive(Debug, PartialEq, Eq)]
pub struct DecodeError;

pub fn encode(env: &Envelope) -> Vec<u8> {
    // Serialising plain owned data into a Vec cannot fail.
    postcard::to_allocvec(env).unwrap_or_default()
}

pub fn decode(bytes: &[u8]) -> Result<Envelope, DecodeError> {
    let (env, rest): (Envelope, &[u8]) = postcard::take_from_bytes(bytes).map_err(|_| DecodeError)?;
    if !rest.is_empty() {
        return Err(DecodeError);
    }
    Ok(env)
}
