//! Reading and setting single fields of a serialized options message (`RawOptions::raw`), so
//! that a rewrite changes only the field it sets and keeps every other byte, custom options
//! included.

use std::ops::Range;

use prost::encoding::{decode_key, decode_varint, encode_key, encode_varint, WireType};

/// One field of a message: its number, wire type, the whole field's bytes (key and value) and
/// the value's.
struct Field {
    number: u32,
    whole: Range<usize>,
    value: Range<usize>,
}

/// The fields of `raw` in order; `None` if it does not parse.
fn fields(raw: &[u8]) -> Option<Vec<Field>> {
    let mut out = Vec::new();
    let mut buf = raw;
    while !buf.is_empty() {
        let start = raw.len() - buf.len();
        let (number, wire) = decode_key(&mut buf).ok()?;
        let value_start = raw.len() - buf.len();
        match wire {
            WireType::Varint => {
                decode_varint(&mut buf).ok()?;
            }
            WireType::SixtyFourBit => buf = buf.get(8..)?,
            WireType::ThirtyTwoBit => buf = buf.get(4..)?,
            WireType::LengthDelimited => {
                let len = usize::try_from(decode_varint(&mut buf).ok()?).ok()?;
                buf = buf.get(len..)?;
            }
            // Groups do not occur in the options this module sets; a message holding one is
            // left alone.
            WireType::StartGroup | WireType::EndGroup => return None,
        }
        let end = raw.len() - buf.len();
        out.push(Field {
            number,
            whole: start..end,
            value: value_start..end,
        });
    }
    Some(out)
}

/// The last value of varint field `number` (the one a parser keeps).
pub fn varint(raw: &[u8], number: u32) -> Option<u64> {
    let fields = fields(raw)?;
    let field = fields.iter().rev().find(|f| f.number == number)?;
    decode_varint(&mut &raw[field.value.clone()]).ok()
}

/// The last value of string field `number`, as bytes.
pub fn bytes(raw: &[u8], number: u32) -> Option<&[u8]> {
    let fields = fields(raw)?;
    let field = fields.iter().rev().find(|f| f.number == number)?;
    let mut value = &raw[field.value.clone()];
    let len = usize::try_from(decode_varint(&mut value).ok()?).ok()?;
    value.get(..len)
}

/// One field as [`split`] gives it: its number, the whole field's bytes, and for a
/// length-delimited field its payload.
pub type Split<'a> = (u32, &'a [u8], Option<&'a [u8]>);

/// The fields of `raw` in order. `None` if it does not parse.
pub fn split(raw: &[u8]) -> Option<Vec<Split<'_>>> {
    let fields = fields(raw)?;
    Some(
        fields
            .iter()
            .map(|f| {
                let whole = &raw[f.whole.clone()];
                let mut value = &raw[f.value.clone()];
                let key_is_len = {
                    let mut k = whole;
                    matches!(decode_key(&mut k), Ok((_, WireType::LengthDelimited)))
                };
                let payload = key_is_len
                    .then(|| {
                        let len = decode_varint(&mut value).ok()? as usize;
                        value.get(..len)
                    })
                    .flatten();
                (f.number, whole, payload)
            })
            .collect(),
    )
}

/// A length-delimited field `number` holding `payload`.
pub fn length_delimited(number: u32, payload: &[u8]) -> Vec<u8> {
    let mut field = Vec::with_capacity(payload.len() + 6);
    encode_key(number, WireType::LengthDelimited, &mut field);
    encode_varint(payload.len() as u64, &mut field);
    field.extend_from_slice(payload);
    field
}

/// The numbers of the fields set in `raw`, each once, in order of first appearance.
pub fn numbers(raw: &[u8]) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::new();
    for f in fields(raw).unwrap_or_default() {
        if !out.contains(&f.number) {
            out.push(f.number);
        }
    }
    out
}

/// Drops every occurrence of field `number`.
pub fn remove(raw: &mut Vec<u8>, number: u32) {
    if let Some(fields) = fields(raw) {
        let mut out = Vec::with_capacity(raw.len());
        for f in fields.iter().filter(|f| f.number != number) {
            out.extend_from_slice(&raw[f.whole.clone()]);
        }
        *raw = out;
    }
}

/// Sets varint field `number` to `value`.
pub fn set_varint(raw: &mut Vec<u8>, number: u32, value: u64) {
    let mut field = Vec::new();
    encode_key(number, WireType::Varint, &mut field);
    encode_varint(value, &mut field);
    replace(raw, number, &field);
}

/// Sets string field `number` to `value`.
pub fn set_string(raw: &mut Vec<u8>, number: u32, value: &str) {
    let mut field = Vec::new();
    encode_key(number, WireType::LengthDelimited, &mut field);
    encode_varint(value.len() as u64, &mut field);
    field.extend_from_slice(value.as_bytes());
    replace(raw, number, &field);
}

/// Drops every occurrence of field `number` and puts `field` where a serializer that writes
/// fields in number order would: before the first field numbered higher.
fn replace(raw: &mut Vec<u8>, number: u32, field: &[u8]) {
    let Some(fields) = fields(raw) else {
        // Unparseable: a parser keeps the last occurrence, so appending still sets the value.
        raw.extend_from_slice(field);
        return;
    };
    let mut out = Vec::with_capacity(raw.len() + field.len());
    let mut placed = false;
    for f in &fields {
        if f.number == number {
            continue;
        }
        if !placed && f.number > number {
            out.extend_from_slice(field);
            placed = true;
        }
        out.extend_from_slice(&raw[f.whole.clone()]);
    }
    if !placed {
        out.extend_from_slice(field);
    }
    *raw = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_field_replaces_every_copy_and_keeps_number_order() {
        // java_package (1) = "a", go_package (11) = "x", a custom option 50000 = 7.
        let mut raw = vec![0x0a, 1, b'a', 0x5a, 1, b'x', 0x80, 0xb5, 0x18, 7];
        set_string(&mut raw, 8, "Outer");
        assert_eq!(bytes(&raw, 8), Some(&b"Outer"[..]));
        assert_eq!(bytes(&raw, 1), Some(&b"a"[..]));
        assert_eq!(&raw[..3], &[0x0a, 1, b'a']);
        assert_eq!(raw[3], 0x42, "field 8 sits between 1 and 11");
        set_string(&mut raw, 1, "b");
        assert_eq!(bytes(&raw, 1), Some(&b"b"[..]));
        set_varint(&mut raw, 10, 1);
        assert_eq!(varint(&raw, 10), Some(1));
        assert_eq!(varint(&raw, 50000), Some(7));
        assert_eq!(raw.iter().filter(|&&b| b == 0x0a).count(), 1);
        set_varint(&mut raw, 60000, 3);
        assert_eq!(varint(&raw, 60000), Some(3));
        assert_eq!(varint(&raw, 50000), Some(7));
    }
}
