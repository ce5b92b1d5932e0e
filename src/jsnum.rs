//! JavaScript's Number::toString (ECMA-262 Number::toString, radix 10).
//!
//! Tag values and numeric identities must read exactly as the page's own `String(x)` would,
//! so `149.99` is stored as `"149.99"` and `1258` as `"1258"`, never `"1258.0"`.
//! Rust's `{:e}` already yields the shortest round-trip digits (the same digits the spec
//! asks for); only the layout (plain vs exponential, where the dot goes) is done here.

#[cfg(not(target_arch = "wasm32"))]
use alloc::format;
use alloc::string::String;

/// `String(x)` for a JavaScript Number. In the browser the engine prints it (the same string
/// by definition, and no float formatting code in the wasm).
#[cfg(target_arch = "wasm32")]
pub fn number_to_string(x: f64) -> String {
    crate::browser::convert::number_to_string(x)
}

/// `String(x)` for a JavaScript Number.
#[cfg(not(target_arch = "wasm32"))]
pub fn number_to_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x == 0.0 {
        // Both +0 and -0 print as "0".
        return "0".into();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if x < 0.0 {
        let mut s = String::from("-");
        s.push_str(&number_to_string(-x));
        return s;
    }

    // `{:e}` of a finite positive f64 is "d[.ddd]e[-]N", with the shortest round-trip digits.
    let sci = format!("{:e}", x);
    let (mantissa, exp) = match sci.split_once('e') {
        Some(parts) => parts,
        None => return sci, // Unreachable for finite numbers; never panic anyway.
    };
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let e: i32 = exp.parse().unwrap_or(0);
    layout(&digits, e)
}

#[cfg(not(target_arch = "wasm32"))]
/// Lays out digits `d1 d2 ... dk` with value `0.d1...dk * 10^n` where `n = e + 1`,
/// following steps 6-10 of ECMA-262 Number::toString.
fn layout(digits: &str, e: i32) -> String {
    let k = digits.len() as i32;
    let n = e + 1;
    let mut out = String::with_capacity(digits.len() + 8);
    if k <= n && n <= 21 {
        // Integer: digits then zeros, no ".0".
        out.push_str(digits);
        for _ in 0..(n - k) {
            out.push('0');
        }
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        for _ in 0..(-n) {
            out.push('0');
        }
        out.push_str(digits);
    } else {
        // Exponential: at or beyond 1e21, or below 1e-6.
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push(if n > 0 { '+' } else { '-' });
        out.push_str(&format!("{}", (n - 1).unsigned_abs()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::number_to_string as s;

    #[test]
    fn specials() {
        assert_eq!(s(f64::NAN), "NaN");
        assert_eq!(s(f64::INFINITY), "Infinity");
        assert_eq!(s(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(s(0.0), "0");
        assert_eq!(s(-0.0), "0");
    }

    #[test]
    fn integers() {
        assert_eq!(s(1.0), "1");
        assert_eq!(s(-1.0), "-1");
        assert_eq!(s(42.0), "42");
        assert_eq!(s(1258.0), "1258");
        assert_eq!(s(100.0), "100");
        assert_eq!(s(9007199254740992.0), "9007199254740992");
        assert_eq!(s(9007199254740993.0), "9007199254740992");
        assert_eq!(s(1e20), "100000000000000000000");
        assert_eq!(s(123456789012345680000.0), "123456789012345680000");
        assert_eq!(s(-1e20), "-100000000000000000000");
    }

    #[test]
    fn fractions() {
        assert_eq!(s(149.99), "149.99");
        assert_eq!(s(347.50), "347.5");
        assert_eq!(s(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(s(0.5), "0.5");
        assert_eq!(s(-0.5), "-0.5");
        assert_eq!(s(1.5), "1.5");
        assert_eq!(s(0.000001), "0.000001");
        assert_eq!(s(0.0000015), "0.0000015");
        assert_eq!(s(1.0 / 3.0), "0.3333333333333333");
        assert_eq!(s(123.456), "123.456");
        assert_eq!(s(59.99), "59.99");
    }

    #[test]
    fn exponential() {
        assert_eq!(s(1e21), "1e+21");
        assert_eq!(s(1.5e21), "1.5e+21");
        assert_eq!(s(1e-7), "1e-7");
        assert_eq!(s(1.5e-7), "1.5e-7");
        assert_eq!(s(123e-20), "1.23e-18");
        assert_eq!(s(1.5e300), "1.5e+300");
        assert_eq!(s(-1.5e300), "-1.5e+300");
        assert_eq!(s(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(s(f64::MIN_POSITIVE), "2.2250738585072014e-308");
        assert_eq!(s(5e-324), "5e-324");
        assert_eq!(s(-5e-324), "-5e-324");
        assert_eq!(s(1e100), "1e+100");
    }

    #[test]
    fn round_trips() {
        for x in [
            0.1,
            0.7,
            1e-6,
            9.999999e-7,
            1e21 - 65536.0,
            2.5e-5,
            123456.789,
            1e300,
            3e-300,
        ] {
            assert_eq!(s(x).parse::<f64>().unwrap(), x, "{}", s(x));
        }
    }
}
