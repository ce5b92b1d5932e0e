//! `JsValue` -> `Value`, once per pushed command. Bounded in depth and breadth so a cyclic
//! or huge object cannot hang the page.

use crate::config::TAG_MAX_DEPTH;
use crate::value::Value;
use alloc::string::String;
use alloc::vec::Vec;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    // js-sys's `Object::keys` cannot report a throwing Proxy trap; this one can.
    #[wasm_bindgen(js_namespace = Object, js_name = keys, catch)]
    fn object_keys(o: &JsValue) -> Result<Array, JsValue>;
    // The global `String` called on a Number: ECMA-262 Number::toString itself.
    #[wasm_bindgen(js_name = String)]
    fn string_of_number(x: f64) -> String;
}

/// `String(x)`, printed by JavaScript. `crate::jsnum::number_to_string` is this in wasm: the
/// engine already has the shortest round-trip digits, so the agent need not carry Rust's float
/// formatting (about 15 kB of wasm); natively jsnum computes the same string itself.
pub fn number_to_string(x: f64) -> String {
    string_of_number(x)
}

/// Beyond this many keys or items per object/array the rest is ignored.
const MAX_ITEMS: u32 = 1000;

pub fn to_value(v: &JsValue) -> Value {
    walk(v, 0)
}

fn walk(v: &JsValue, depth: usize) -> Value {
    if v.is_undefined() {
        return Value::Undefined;
    }
    if v.is_null() {
        return Value::Null;
    }
    if let Some(b) = v.as_bool() {
        return Value::Bool(b);
    }
    if let Some(n) = v.as_f64() {
        return Value::Number(n);
    }
    if let Some(s) = v.as_string() {
        return Value::String(s);
    }
    if v.is_bigint() {
        let big: &js_sys::BigInt = v.unchecked_ref();
        return match big.to_string(10) {
            Ok(s) => Value::BigInt(s.into()),
            Err(_) => Value::Other("bigint"),
        };
    }
    if v.is_function() {
        return Value::Other("function");
    }
    if v.is_symbol() {
        return Value::Other("symbol");
    }
    // Cycles end here too: they are always deeper than the limit.
    if depth > TAG_MAX_DEPTH + 1 {
        return Value::Other("too deep");
    }
    if let Some(d) = v.dyn_ref::<js_sys::Date>() {
        return Value::String(String::from(d.to_string()));
    }
    if Array::is_array(v) {
        // Through Reflect, so a Proxy's throwing trap becomes a value instead of an exception.
        let n = Reflect::get(v, &JsValue::from_str("length")).ok().and_then(|l| l.as_f64()).unwrap_or(0.0);
        let n = (n.max(0.0) as u32).min(MAX_ITEMS);
        return Value::Array(
            (0..n)
                .map(|i| match Reflect::get_u32(v, i) {
                    Ok(x) => walk(&x, depth + 1),
                    Err(_) => Value::Other("getter threw"),
                })
                .collect(),
        );
    }
    let Some(obj) = v.dyn_ref::<Object>() else { return Value::Other("object") };
    let Ok(keys) = object_keys(v) else { return Value::Other("keys threw") };
    let n = keys.length().min(MAX_ITEMS);
    let mut pairs = Vec::with_capacity(n as usize);
    for i in 0..n {
        let k = keys.get(i);
        let Some(name) = k.as_string() else { continue };
        // A throwing getter or proxy trap must not escape into the page.
        let item = match Reflect::get(obj, &k) {
            Ok(x) => walk(&x, depth + 1),
            Err(_) => Value::Other("getter threw"),
        };
        pairs.push((name, item));
    }
    Value::Object(pairs)
}
