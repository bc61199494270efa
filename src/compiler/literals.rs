//! Literal values exactly as protoc reads and prints them: string unescaping to bytes, integer
//! and float parsing, `SimpleDtoa` (`%.15g`, else `%.17g`) and `absl::CEscape`.

fn digit_value(c: u8) -> u32 {
    match c {
        b'0'..=b'9' => u32::from(c - b'0'),
        b'a'..=b'z' => u32::from(c - b'a') + 10,
        b'A'..=b'Z' => u32::from(c - b'A') + 10,
        _ => 36,
    }
}

fn is_octal(c: u8) -> bool {
    (b'0'..=b'7').contains(&c)
}

/// Reads `len` hex digits at `s[i..]`; fails only when input runs out (protoc's ReadHexDigits).
fn read_hex(s: &[u8], i: usize, len: usize) -> Option<u32> {
    let mut v: u32 = 0;
    for k in 0..len {
        let c = *s.get(i + k).filter(|&&c| c != 0)?;
        v = (v << 4).wrapping_add(digit_value(c));
    }
    Some(v)
}

fn append_utf8(cp: u32, out: &mut Vec<u8>) {
    match char::from_u32(cp) {
        Some(ch) => {
            let mut buf = [0u8; 4];
            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        }
        // Surrogates are encoded like any 3-byte code point (protoc does no check).
        None if cp <= 0xffff => {
            out.push((0xe0 | (cp >> 12)) as u8);
            out.push((0x80 | ((cp >> 6) & 0x3f)) as u8);
            out.push((0x80 | (cp & 0x3f)) as u8);
        }
        None => out.extend_from_slice(format!("\\U{cp:08x}").as_bytes()),
    }
}

/// Decodes one string token (with its quotes) and appends the bytes, as protoc's
/// `Tokenizer::ParseStringAppend`.
pub fn unescape_append(text: &[u8], out: &mut Vec<u8>) {
    let Some(&quote) = text.first() else { return };
    // protoc walks a NUL-terminated copy.
    let end = text.iter().position(|&c| c == 0).unwrap_or(text.len());
    let s = &text[..end];
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut i = 1;
    while i < s.len() {
        let c = s[i];
        if c == b'\\' && at(i + 1) != 0 {
            i += 1;
            let e = s[i];
            if is_octal(e) {
                let mut code = digit_value(e);
                for _ in 0..2 {
                    if is_octal(at(i + 1)) {
                        i += 1;
                        code = code * 8 + digit_value(s[i]);
                    }
                }
                out.push(code as u8);
            } else if e == b'x' || e == b'X' {
                let mut code = 0;
                for _ in 0..2 {
                    if at(i + 1).is_ascii_hexdigit() {
                        i += 1;
                        code = code * 16 + digit_value(s[i]);
                    }
                }
                out.push(code as u8);
            } else if e == b'u' || e == b'U' {
                let len = if e == b'u' { 4 } else { 8 };
                match read_hex(s, i + 1, len) {
                    None => out.push(e),
                    Some(mut cp) => {
                        let mut next = i + 1 + len;
                        if (0xd800..0xdc00).contains(&cp)
                            && at(next) == b'\\'
                            && at(next + 1) == b'u'
                        {
                            if let Some(trail) = read_hex(s, next + 2, 4) {
                                if (0xdc00..0xe000).contains(&trail) {
                                    cp = 0x10000 + (((cp - 0xd800) << 10) | (trail - 0xdc00));
                                    next += 6;
                                }
                            }
                        }
                        append_utf8(cp, out);
                        i = next - 1;
                    }
                }
            } else {
                out.push(match e {
                    b'a' => 0x07,
                    b'b' => 0x08,
                    b'f' => 0x0c,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'v' => 0x0b,
                    b'\\' => b'\\',
                    b'?' => b'?',
                    b'\'' => b'\'',
                    b'"' => b'"',
                    _ => b'?',
                });
            }
        } else if c == quote && i + 1 == s.len() {
            // The closing quote.
        } else {
            out.push(c);
        }
        i += 1;
    }
}

/// protoc's `Tokenizer::ParseInteger`: decimal, `0x` hex or leading-zero octal, `<= max`.
pub fn parse_integer(text: &[u8], max: u64) -> Option<u64> {
    let (base, digits): (u64, &[u8]) = match text {
        [b'0', b'x' | b'X', rest @ ..] => (16, rest),
        [b'0', ..] => (8, text),
        _ => (10, text),
    };
    let mut result: u64 = 0;
    for &c in digits {
        let d = u64::from(digit_value(c));
        if d >= base {
            return None;
        }
        result = result.checked_mul(base)?.checked_add(d)?;
    }
    (result <= max).then_some(result)
}

/// protoc's `Tokenizer::TryParseFloat` for a float (or overflowing decimal integer) token.
pub fn parse_float(text: &[u8]) -> Option<f64> {
    let mut s = std::str::from_utf8(text).ok()?;
    s = s.strip_suffix(['f', 'F']).unwrap_or(s);
    for suffix in ["e", "E", "e+", "e-", "E+", "E-"] {
        if let Some(t) = s.strip_suffix(suffix) {
            if !t.ends_with(['e', 'E']) {
                s = t;
                break;
            }
        }
    }
    if s.starts_with('-') {
        return None;
    }
    s.parse::<f64>().ok()
}

/// C's `%.{precision}g`.
pub fn format_g(v: f64, precision: usize) -> String {
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let p = precision.max(1);
    let sci = format!("{:.*e}", p - 1, v);
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` always has an exponent");
    let x: i32 = exp.parse().expect("`{:e}` exponent is an integer");
    let strip = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if x < -4 || x >= p as i32 {
        let sign = if x < 0 { '-' } else { '+' };
        format!("{}e{}{:02}", strip(mantissa), sign, x.abs())
    } else {
        strip(&format!("{:.*}", (p as i32 - 1 - x) as usize, v))
    }
}

/// protoc's `io::SimpleDtoa`: shortest of `%.15g` / `%.17g` that round-trips.
pub fn simple_dtoa(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let short = format_g(v, 15);
    if short.parse::<f64>().ok() == Some(v) {
        short
    } else {
        format_g(v, 17)
    }
}

/// protoc's `io::SimpleFtoa`: `%.6g`, else `%.9g` when that does not read back as the same float.
/// "Reads back" is protoc's `safe_strtof`, which also fails when glibc's `strtof` sets `ERANGE`:
/// it does for every subnormal, so subnormals always get nine digits.
pub fn simple_ftoa(v: f32) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let short = format_g(f64::from(v), 6);
    if !v.is_subnormal() && short.parse::<f32>().ok() == Some(v) {
        short
    } else {
        format_g(f64::from(v), 9)
    }
}

/// protoc's `io::SafeDoubleToFloat`: values past `FLT_MAX` but no further than half a float ulp
/// beyond it become `FLT_MAX`, the rest infinity; everything else is C's rounding cast.
pub fn safe_double_to_float(d: f64) -> f32 {
    const MAX_FLOAT_AS_DOUBLE_ROUNDED: f64 = 3.4028235677973366e+38;
    if d > f64::from(f32::MAX) {
        if d <= MAX_FLOAT_AS_DOUBLE_ROUNDED {
            f32::MAX
        } else {
            f32::INFINITY
        }
    } else if d < -f64::from(f32::MAX) {
        if d >= -MAX_FLOAT_AS_DOUBLE_ROUNDED {
            -f32::MAX
        } else {
            f32::NEG_INFINITY
        }
    } else {
        d as f32
    }
}

/// The `default_value` protoc writes for a field whose parser text is `text`: descriptor.cc
/// parses the text into the field's C++ type, and `FieldDescriptor::CopyTo` prints it again
/// (`DefaultValueAsString`). For what our parser produces that is the identity except for
/// floats (rounded to float, then `SimpleFtoa`), `-nan` (printed `nan`) and an integer `-0`
/// (printed `0`). `None`: keep the text (not a number field, or text protoc would reject later).
pub fn stored_default(ty: i32, text: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(text).ok()?;
    let number = |t: &str| -> Option<f64> {
        match t {
            "inf" => Some(f64::INFINITY),
            "-inf" => Some(f64::NEG_INFINITY),
            "nan" | "-nan" => Some(f64::NAN),
            _ => t.parse().ok(),
        }
    };
    match ty {
        // TYPE_DOUBLE
        1 => Some(simple_dtoa(number(text)?).into_bytes()),
        // TYPE_FLOAT
        2 => Some(simple_ftoa(safe_double_to_float(number(text)?)).into_bytes()),
        // the signed integer types: int64, int32, sfixed32, sfixed64, sint32, sint64
        3 | 5 | 15 | 16 | 17 | 18 if text == "-0" => Some(b"0".to_vec()),
        _ => None,
    }
}

/// `absl::CEscape`, used by protoc for `bytes` default values.
pub fn c_escape(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for &c in bytes {
        match c {
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\'' => out.extend_from_slice(b"\\'"),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x20..=0x7e => out.push(c),
            _ => out.extend_from_slice(format!("\\{c:03o}").as_bytes()),
        }
    }
    out
}

/// protoc's `Tokenizer::IsIdentifier`.
pub fn is_identifier(s: &[u8]) -> bool {
    match s.split_first() {
        Some((&f, rest)) => {
            (f.is_ascii_alphabetic() || f == b'_')
                && rest.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_')
        }
        None => false,
    }
}
