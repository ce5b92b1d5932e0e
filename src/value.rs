//! A plain model of a JavaScript value, so command rules are decided (and tested) natively.
//! The browser glue converts `JsValue` into this once per pushed command.

use alloc::string::String;
use alloc::vec::Vec;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    /// A BigInt, already printed in decimal (JavaScript prints `10n` as `10`).
    BigInt(String),
    String(String),
    Array(Vec<Value>),
    /// Own enumerable string keys in JavaScript's order.
    Object(Vec<(String, Value)>),
    /// Functions, symbols, and anything the glue refused to walk (cycles, depth).
    Other(&'static str),
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::String(s.into())
    }
    pub fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(pairs.iter().map(|(k, v)| ((*k).into(), v.clone())).collect())
    }
    pub fn arr(items: &[Value]) -> Value {
        Value::Array(items.to_vec())
    }
}
