//! Aggregate option values (`{ a: 1 sub { b: "x" } [ext]: 2 }`): protoc's `TextFormat::Parser`
//! into a dynamic message of the option's type, then that message serialized as protoc's
//! runtime does (fields and extensions in field-number order, repeated values in order, packed
//! where the field is packed).

use std::sync::Arc;

use prost::encoding::{encode_key, encode_varint, WireType};

use super::descriptor::{field_type, label, DescriptorProto, FieldDescriptorProto};
use super::lexer::{Lexer, TokenKind};
use super::literals;
use super::options::{encode_scalar, encode_scalar_value, is_packed, Interpreter, Scalar};

/// Parses `text` as a `type_name` message and returns its serialization, or `None` on any
/// error.
pub(super) fn parse(i: &mut Interpreter<'_, '_>, type_name: &str, text: &[u8]) -> Option<Vec<u8>> {
    let mut lx = Lexer::new(text);
    lx.next();
    let out = message(i, &mut lx, type_name.trim_start_matches('.'), None)?;
    (lx.current.kind == TokenKind::End && lx.errors.is_empty()).then_some(out)
}

enum Entry {
    Plain(Vec<u8>),
    Packed(Vec<u8>),
}

/// Fields until `close` (or the end of input), serialized.
fn message(
    i: &mut Interpreter<'_, '_>,
    lx: &mut Lexer<'_>,
    type_name: &str,
    close: Option<&str>,
) -> Option<Vec<u8>> {
    let (msg, proto3) = i.message(type_name)?;
    let mut entries: Vec<(i32, Entry)> = Vec::new();
    loop {
        match close {
            Some(c) if lx.current.is(c) => {
                lx.next();
                break;
            }
            None if lx.current.kind == TokenKind::End => break,
            _ => {}
        }
        if lx.current.kind == TokenKind::End {
            return None;
        }
        let (field, packed): (Arc<FieldDescriptorProto>, bool) = if lx.current.is("[") {
            lx.next();
            let mut name = String::new();
            while !lx.current.is("]") {
                if lx.current.kind == TokenKind::End {
                    return None;
                }
                name.push_str(&lx.current.text_str());
                lx.next();
            }
            lx.next();
            if let Some((prefix, any_type)) = name.rsplit_once('/') {
                if type_name != "google.protobuf.Any"
                    || !matches!(prefix, "type.googleapis.com" | "type.googleprod.com")
                {
                    return None;
                }
                if lx.current.is(":") {
                    lx.next();
                }
                let close = open_message(lx)?;
                let body = message(i, lx, any_type, Some(close))?;
                let mut url = Vec::new();
                encode_scalar(
                    1,
                    field_type::STRING,
                    &Scalar::Bytes(name.clone().into_bytes()),
                    &mut url,
                )?;
                let mut value = Vec::new();
                encode_scalar(2, 12, &Scalar::Bytes(body), &mut value)?;
                entries.push((1, Entry::Plain(url)));
                entries.push((2, Entry::Plain(value)));
                if lx.current.is(",") || lx.current.is(";") {
                    lx.next();
                }
                continue;
            }
            let (f, p) = i.extension(&name, type_name)?;
            if f.extendee.as_deref().map(|e| e.trim_start_matches('.')) != Some(type_name) {
                return None;
            }
            let packed = is_packed(&f, p);
            (f, packed)
        } else {
            let name = lx.current.text_str();
            lx.next();
            let f = msg
                .field
                .iter()
                .find(|f| f.name() == name)
                .or_else(|| {
                    let lower = name.to_ascii_lowercase();
                    msg.field.iter().find(|f| {
                        f.r#type == Some(field_type::GROUP)
                            && f.name() == lower
                            && f.type_name().rsplit('.').next() == Some(name.as_str())
                    })
                })?
                .clone();
            let packed = is_packed(&f, proto3);
            (Arc::new(f), packed)
        };
        let is_msg = matches!(field.r#type, Some(field_type::MESSAGE | field_type::GROUP));
        if lx.current.is(":") {
            lx.next();
        } else if !is_msg {
            return None;
        }
        let n = field.number();
        let repeated = field.label == Some(label::REPEATED);
        if field.extendee.is_some() && is_message_set(&msg) {
            // protoc's `SerializeMessageSetItem`: group 1 { type_id = 2, message = 3 }.
            let Entry::Plain(b) = value(i, lx, &field, false)? else {
                return None;
            };
            let mut body = b.as_slice();
            let _ = prost::encoding::decode_key(&mut body).ok()?;
            let mut item = Vec::new();
            encode_key(1, WireType::StartGroup, &mut item);
            encode_key(2, WireType::Varint, &mut item);
            encode_varint(n as u64, &mut item);
            encode_key(3, WireType::LengthDelimited, &mut item);
            item.extend(body);
            encode_key(1, WireType::EndGroup, &mut item);
            entries.push((n, Entry::Plain(item)));
            if lx.current.is(",") || lx.current.is(";") {
                lx.next();
            }
            continue;
        }
        if lx.current.is("[") {
            if !repeated {
                return None;
            }
            lx.next();
            while !lx.current.is("]") {
                entries.push((n, value(i, lx, &field, packed)?));
                if lx.current.is(",") {
                    lx.next();
                } else if !lx.current.is("]") {
                    return None;
                }
            }
            lx.next();
        } else {
            if !repeated && entries.iter().any(|(m, _)| *m == n) {
                return None;
            }
            entries.push((n, value(i, lx, &field, packed)?));
        }
        if lx.current.is(",") || lx.current.is(";") {
            lx.next();
        }
    }
    entries.sort_by_key(|(n, _)| *n);
    let mut out = Vec::new();
    let mut k = 0;
    while k < entries.len() {
        let n = entries[k].0;
        match &entries[k].1 {
            Entry::Plain(b) => {
                out.extend(b);
                k += 1;
            }
            Entry::Packed(_) => {
                let mut body: Vec<u8> = Vec::new();
                while k < entries.len() && entries[k].0 == n {
                    if let Entry::Packed(b) = &entries[k].1 {
                        body.extend(b);
                    }
                    k += 1;
                }
                encode_key(n as u32, WireType::LengthDelimited, &mut out);
                encode_varint(body.len() as u64, &mut out);
                out.extend(body);
            }
        }
    }
    Some(out)
}

/// One value of `f`.
fn value(
    i: &mut Interpreter<'_, '_>,
    lx: &mut Lexer<'_>,
    f: &FieldDescriptorProto,
    packed: bool,
) -> Option<Entry> {
    let n = f.number() as u32;
    let t = f.r#type.unwrap_or(0);
    if t == field_type::MESSAGE || t == field_type::GROUP {
        let close = open_message(lx)?;
        let body = message(i, lx, f.type_name().trim_start_matches('.'), Some(close))?;
        let mut out = Vec::new();
        if t == field_type::GROUP {
            encode_key(n, WireType::StartGroup, &mut out);
            out.extend(body);
            encode_key(n, WireType::EndGroup, &mut out);
        } else {
            encode_key(n, WireType::LengthDelimited, &mut out);
            encode_varint(body.len() as u64, &mut out);
            out.extend(body);
        }
        return Some(Entry::Plain(out));
    }
    let v = scalar(i, lx, f, t)?;
    let mut out = Vec::new();
    if packed {
        encode_scalar_value(t, &v, &mut out)?;
        Some(Entry::Packed(out))
    } else {
        encode_scalar(n, t, &v, &mut out)?;
        Some(Entry::Plain(out))
    }
}

fn scalar(
    i: &mut Interpreter<'_, '_>,
    lx: &mut Lexer<'_>,
    f: &FieldDescriptorProto,
    t: i32,
) -> Option<Scalar> {
    if t == field_type::STRING || t == 12 {
        if lx.current.kind != TokenKind::String {
            return None;
        }
        let mut b = Vec::new();
        while lx.current.kind == TokenKind::String {
            literals::unescape_append(&lx.current.text, &mut b);
            lx.next();
        }
        return Some(Scalar::Bytes(b));
    }
    let negative = lx.current.is("-");
    if negative {
        lx.next();
    }
    let tok = lx.current.clone();
    lx.next();
    let float = t == 1 || t == 2;
    match tok.kind {
        TokenKind::Integer => {
            if float {
                let v = literals::parse_integer(&tok.text, u64::MAX)
                    .map(|v| v as f64)
                    .or_else(|| literals::parse_float(&tok.text))?;
                return Some(Scalar::Float(if negative { -v } else { v }));
            }
            let v = i128::from(literals::parse_integer(&tok.text, u64::MAX)?);
            if t == 8 {
                return (!negative && v <= 1).then_some(Scalar::Int(v));
            }
            Some(Scalar::Int(if negative { -v } else { v }))
        }
        TokenKind::Float if float => {
            let v = literals::parse_float(&tok.text)?;
            Some(Scalar::Float(if negative { -v } else { v }))
        }
        TokenKind::Identifier => {
            let s = tok.text_str();
            if float {
                let v = match s.to_ascii_lowercase().as_str() {
                    "inf" | "infinity" => f64::INFINITY,
                    "nan" => f64::NAN,
                    _ => return None,
                };
                return Some(Scalar::Float(if negative { -v } else { v }));
            }
            if negative {
                return None;
            }
            if t == 8 {
                return match s.as_str() {
                    "true" | "True" | "t" => Some(Scalar::Int(1)),
                    "false" | "False" | "f" => Some(Scalar::Int(0)),
                    _ => None,
                };
            }
            if t == field_type::ENUM {
                return i
                    .enum_value(f.type_name(), &s)
                    .map(|v| Scalar::Int(i128::from(v)));
            }
            None
        }
        _ => None,
    }
}

/// `option message_set_wire_format = true`, interpreted (MessageOptions field 1) or not.
fn is_message_set(m: &DescriptorProto) -> bool {
    let Some(o) = &m.options else { return false };
    o.raw.starts_with(&[0x08, 0x01])
        || o.uninterpreted.iter().any(|u| {
            u.name.len() == 1
                && u.name[0].name_part == "message_set_wire_format"
                && u.identifier_value.as_deref() == Some("true")
        })
}

/// Reads the `{` or `<` that opens a message value and returns the token that will close it.
fn open_message(lx: &mut Lexer<'_>) -> Option<&'static str> {
    let close = if lx.current.is("{") {
        "}"
    } else if lx.current.is("<") {
        ">"
    } else {
        return None;
    };
    lx.next();
    Some(close)
}
