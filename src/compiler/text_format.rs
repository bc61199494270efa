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

/// A parse result: the error is protoc's text-format message (its parser stops at the first),
/// `None` for one we do not word as protoc yet.
type R<T> = Result<T, Option<String>>;

/// Parses `text` as a `type_name` message and returns its serialization.
pub(super) fn parse(i: &mut Interpreter<'_, '_>, type_name: &str, text: &[u8]) -> R<Vec<u8>> {
    let mut lx = Lexer::new(text);
    lx.next();
    let out = message(i, &mut lx, type_name.trim_start_matches('.'), None)?;
    if lx.current.kind == TokenKind::End && lx.errors.is_empty() {
        Ok(out)
    } else {
        Err(None)
    }
}

fn got(what: &str, lx: &Lexer<'_>) -> Option<String> {
    Some(format!("Expected {what}, got: {}", lx.current.text_str()))
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
) -> R<Vec<u8>> {
    let (msg, proto3) = i.message(type_name).ok_or(None)?;
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
            return Err(None);
        }
        // `open`: the field's file is proto3, where an enum field takes any number.
        let (field, packed, open, field_label): (Arc<FieldDescriptorProto>, bool, bool, String) =
            if lx.current.is("[") {
                lx.next();
                let mut name = String::new();
                while !lx.current.is("]") {
                    if lx.current.kind == TokenKind::End {
                        return Err(None);
                    }
                    name.push_str(&lx.current.text_str());
                    lx.next();
                }
                lx.next();
                if let Some((prefix, any_type)) = name.rsplit_once('/') {
                    if type_name != "google.protobuf.Any" {
                        return Err(Some("Extension name contains \"/\"".into()));
                    }
                    if !matches!(prefix, "type.googleapis.com" | "type.googleprod.com") {
                        return Err(None);
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
                    )
                    .ok_or(None)?;
                    let mut value = Vec::new();
                    encode_scalar(2, 12, &Scalar::Bytes(body), &mut value).ok_or(None)?;
                    entries.push((1, Entry::Plain(url)));
                    entries.push((2, Entry::Plain(value)));
                    if lx.current.is(",") || lx.current.is(";") {
                        lx.next();
                    }
                    continue;
                }
                let not_extension = || {
                    Some(format!(
                    "Extension \"{name}\" is not defined or is not an extension of \"{type_name}\"."
                ))
                };
                let (_, f, p) = i.extension(&name, type_name).ok_or_else(not_extension)?;
                if f.extendee.as_deref().map(|e| e.trim_start_matches('.')) != Some(type_name) {
                    return Err(not_extension());
                }
                let packed = is_packed(&f, p);
                (f, packed, p, name)
            } else {
                if lx.current.kind != TokenKind::Identifier {
                    return Err(got("identifier", lx));
                }
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
                    })
                    .ok_or_else(|| {
                        Some(format!(
                            "Message type \"{type_name}\" has no field named \"{name}\"."
                        ))
                    })?
                    .clone();
                let packed = is_packed(&f, proto3);
                (Arc::new(f), packed, proto3, name)
            };
        let is_msg = matches!(field.r#type, Some(field_type::MESSAGE | field_type::GROUP));
        if lx.current.is(":") {
            lx.next();
        } else if !is_msg {
            return Err(Some(format!(
                "Expected \":\", found \"{}\".",
                lx.current.text_str()
            )));
        }
        let n = field.number();
        let repeated = field.label == Some(label::REPEATED);
        if field.extendee.is_some() && is_message_set(&msg) {
            // protoc's `SerializeMessageSetItem`: group 1 { type_id = 2, message = 3 }.
            let Entry::Plain(b) = value(i, lx, &field, false, open)? else {
                return Err(None);
            };
            let mut body = b.as_slice();
            prost::encoding::decode_key(&mut body).map_err(|_| None)?;
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
        // A list only for a repeated field; otherwise `[` fails as the value.
        if repeated && lx.current.is("[") {
            lx.next();
            while !lx.current.is("]") {
                entries.push((n, value(i, lx, &field, packed, open)?));
                if lx.current.is(",") {
                    lx.next();
                } else if !lx.current.is("]") {
                    return Err(Some(format!(
                        "Expected \",\", found \"{}\".",
                        lx.current.text_str()
                    )));
                }
            }
            lx.next();
        } else {
            if !repeated && entries.iter().any(|(m, _)| *m == n) {
                return Err(Some(format!(
                    "Non-repeated field \"{}\" is specified multiple times.",
                    field_label
                )));
            }
            entries.push((n, value(i, lx, &field, packed, open)?));
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
    Ok(out)
}

/// One value of `f`.
fn value(
    i: &mut Interpreter<'_, '_>,
    lx: &mut Lexer<'_>,
    f: &FieldDescriptorProto,
    packed: bool,
    open: bool,
) -> R<Entry> {
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
        return Ok(Entry::Plain(out));
    }
    let v = scalar(i, lx, f, t, open)?;
    let mut out = Vec::new();
    if packed {
        encode_scalar_value(t, &v, &mut out).ok_or(None)?;
        Ok(Entry::Packed(out))
    } else {
        encode_scalar(n, t, &v, &mut out).ok_or(None)?;
        Ok(Entry::Plain(out))
    }
}

fn scalar(
    i: &mut Interpreter<'_, '_>,
    lx: &mut Lexer<'_>,
    f: &FieldDescriptorProto,
    t: i32,
    open: bool,
) -> R<Scalar> {
    if t == field_type::STRING || t == 12 {
        if lx.current.kind != TokenKind::String {
            return Err(got("string", lx));
        }
        let mut b = Vec::new();
        while lx.current.kind == TokenKind::String {
            literals::unescape_append(&lx.current.text, &mut b);
            lx.next();
        }
        return Ok(Scalar::Bytes(b));
    }
    if t == 1 || t == 2 {
        let negative = lx.current.is("-");
        if negative {
            lx.next();
        }
        let text = lx.current.text_str();
        let v = match lx.current.kind {
            TokenKind::Integer => {
                if text.len() > 1 && text.starts_with('0') {
                    return Err(Some(format!("Expect a decimal number, got: {text}")));
                }
                literals::parse_integer(&lx.current.text, u64::MAX)
                    .map(|v| v as f64)
                    .or_else(|| literals::parse_float(&lx.current.text))
                    .ok_or(None)?
            }
            TokenKind::Float => literals::parse_float(&lx.current.text).ok_or(None)?,
            TokenKind::Identifier => match text.to_ascii_lowercase().as_str() {
                "inf" | "infinity" => f64::INFINITY,
                "nan" => f64::NAN,
                lower => return Err(Some(format!("Expected double, got: {lower}"))),
            },
            _ => return Err(got("double", lx)),
        };
        lx.next();
        let v = if negative { -v } else { v };
        // text_format.cc stores a float field's value through `SafeDoubleToFloat`.
        let v = if t == 2 {
            f64::from(literals::safe_double_to_float(v))
        } else {
            v
        };
        return Ok(Scalar::Float(v));
    }
    if t == 8 {
        if lx.current.kind == TokenKind::Integer {
            return Ok(Scalar::Int(unsigned(lx, 1)?));
        }
        let id = identifier(lx)?;
        return match id.as_str() {
            "true" | "True" | "t" => Ok(Scalar::Int(1)),
            "false" | "False" | "f" => Ok(Scalar::Int(0)),
            _ => Err(Some(format!(
                "Invalid value for boolean field \"{}\". Value: \"{id}\".",
                f.name()
            ))),
        };
    }
    if t == field_type::ENUM {
        if lx.current.is("-") || lx.current.kind == TokenKind::Integer {
            let negative = lx.current.is("-");
            if negative {
                lx.next();
            }
            let v = unsigned(lx, i32::MAX as u64 + u64::from(negative))?;
            let v = if negative { -v } else { v };
            let known = i.enum_has_number(f.type_name(), v);
            if !known && !open {
                return Err(Some(format!(
                    "Unknown enumeration value of \"{v}\" for field \"{}\".",
                    f.name()
                )));
            }
            return Ok(Scalar::Int(v));
        }
        if lx.current.kind != TokenKind::Identifier {
            return Err(got("integer or identifier", lx));
        }
        let id = identifier(lx)?;
        return i
            .enum_value(f.type_name(), &id)
            .map(|v| Scalar::Int(i128::from(v)))
            .ok_or_else(|| {
                Some(format!(
                    "Unknown enumeration value of \"{id}\" for field \"{}\".",
                    f.name()
                ))
            });
    }
    let (signed, max) = match t {
        5 | 15 | 17 => (true, i32::MAX as u64),
        3 | 16 | 18 => (true, i64::MAX as u64),
        13 | 7 => (false, u64::from(u32::MAX)),
        _ => (false, u64::MAX),
    };
    if signed && lx.current.is("-") {
        lx.next();
        return Ok(Scalar::Int(-unsigned(lx, max + 1)?));
    }
    Ok(Scalar::Int(unsigned(lx, max)?))
}

/// protoc's `ConsumeUnsignedInteger`.
fn unsigned(lx: &mut Lexer<'_>, max: u64) -> R<i128> {
    if lx.current.kind != TokenKind::Integer {
        return Err(got("integer", lx));
    }
    let v = literals::parse_integer(&lx.current.text, max)
        .ok_or_else(|| Some(format!("Integer out of range ({})", lx.current.text_str())))?;
    lx.next();
    Ok(i128::from(v))
}

fn identifier(lx: &mut Lexer<'_>) -> R<String> {
    if lx.current.kind != TokenKind::Identifier {
        return Err(got("identifier", lx));
    }
    let id = lx.current.text_str();
    lx.next();
    Ok(id)
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
fn open_message(lx: &mut Lexer<'_>) -> R<&'static str> {
    let close = if lx.current.is("{") {
        "}"
    } else if lx.current.is("<") {
        ">"
    } else {
        return Err(Some(format!(
            "Expected \"{{\", found \"{}\".",
            lx.current.text_str()
        )));
    };
    lx.next();
    Ok(close)
}
