//! Serialization as `SerializePartialToCodedStream` does it for a dynamic message: set fields
//! by number, packed where the field says so, map entries with both key and value, in the
//! order given (sorted by key with `--deterministic_output`), then the unknown fields.

use super::print::{map_entry_type, sorted_if_map};
use super::schema::{ty, Field, MessageType, Schema};
use super::wire::{self, wire_type, Message, Unknown, UnknownValue, Value};

/// A serialized message.
#[derive(Debug, PartialEq)]
pub struct Serialized {
    pub bytes: Vec<u8>,
    /// The full names of the string fields whose values C++ logs as invalid UTF-8 while
    /// serializing (proto3 or `utf8_validation = VERIFY`), one per value, in write order.
    pub invalid_utf8: Vec<String>,
}

/// `message` (of type `mt`) in the binary format.
pub fn message(
    schema: &Schema,
    mt: &MessageType,
    message: &Message,
    deterministic: bool,
) -> Serialized {
    let mut w = Writer {
        schema,
        det: deterministic,
        invalid_utf8: Vec::new(),
    };
    let mut bytes = Vec::new();
    w.message(mt, message, &mut bytes);
    Serialized {
        bytes,
        invalid_utf8: w.invalid_utf8,
    }
}

struct Writer<'s> {
    schema: &'s Schema,
    det: bool,
    invalid_utf8: Vec<String>,
}

impl Writer<'_> {
    fn message(&mut self, mt: &MessageType, msg: &Message, out: &mut Vec<u8>) {
        let (schema, det) = (self.schema, self.det);
        if mt.map_entry {
            for field in mt.fields.iter().take(2) {
                let value = msg
                    .fields
                    .get(&field.number)
                    .and_then(|v| v.last().cloned())
                    .unwrap_or_else(|| super::print::default_value(schema, field));
                self.value(field, &value, out);
            }
        } else {
            for (number, values) in &msg.fields {
                let Some(field) = schema.field(mt, *number) else {
                    continue;
                };
                if schema.is_message_set_item(field) {
                    if let Some(Value::Message(m)) = values.last() {
                        let mut body = Vec::new();
                        if let Some(sub_type) = schema.message(&field.type_name) {
                            self.message(sub_type, m, &mut body);
                        }
                        message_set_item(field.number, &body, out);
                    }
                } else if !field.repeated {
                    if let Some(v) = values.last().filter(|v| wire::has(field, v)) {
                        self.value(field, v, out);
                    }
                } else if field.packed && field.packable() {
                    if !values.is_empty() {
                        let mut body = Vec::new();
                        for v in values {
                            scalar(v, field.ty, &mut body);
                        }
                        key(field.number, 2, out);
                        varint(body.len() as u64, out);
                        out.extend_from_slice(&body);
                    }
                } else if det && map_entry_type(schema, field).is_some() {
                    for v in sorted_if_map(schema, field, values) {
                        self.value(field, v, out);
                    }
                } else {
                    for v in values {
                        self.value(field, v, out);
                    }
                }
            }
        }
        if mt.message_set {
            // Only length-delimited unknown fields survive, each as an item.
            for f in &msg.unknown {
                if let UnknownValue::Bytes(b) = &f.value {
                    message_set_item(f.number, b, out);
                }
            }
        } else {
            write_unknown(&msg.unknown, out);
        }
    }

    fn value(&mut self, field: &Field, value: &Value, out: &mut Vec<u8>) {
        match value {
            Value::Message(m) => {
                let mut body = Vec::new();
                if let Some(mt) = self.schema.message(&field.type_name) {
                    self.message(mt, m, &mut body);
                }
                if field.ty == ty::GROUP {
                    key(field.number, 3, out);
                    out.extend_from_slice(&body);
                    key(field.number, 4, out);
                } else {
                    key(field.number, 2, out);
                    varint(body.len() as u64, out);
                    out.extend_from_slice(&body);
                }
            }
            Value::Bytes(b) => {
                if field.verify_utf8 && std::str::from_utf8(b).is_err() {
                    self.invalid_utf8.push(field.full_name.clone());
                }
                key(field.number, 2, out);
                varint(b.len() as u64, out);
                out.extend_from_slice(b);
            }
            _ => {
                key(field.number, wire_type(field), out);
                scalar(value, field.ty, out);
            }
        }
    }
}

/// A scalar's bytes without its key.
fn scalar(value: &Value, field_type: i32, out: &mut Vec<u8>) {
    match (value, field_type) {
        (Value::I32(v), ty::SINT32) => varint(u64::from(((v << 1) ^ (v >> 31)) as u32), out),
        (Value::I64(v), ty::SINT64) => varint(((v << 1) ^ (v >> 63)) as u64, out),
        (Value::I32(v), ty::SFIXED32) => out.extend_from_slice(&v.to_le_bytes()),
        (Value::I64(v), ty::SFIXED64) => out.extend_from_slice(&v.to_le_bytes()),
        (Value::U32(v), ty::FIXED32) => out.extend_from_slice(&v.to_le_bytes()),
        (Value::U64(v), ty::FIXED64) => out.extend_from_slice(&v.to_le_bytes()),
        (Value::F32(v), _) => out.extend_from_slice(&v.to_le_bytes()),
        (Value::F64(v), _) => out.extend_from_slice(&v.to_le_bytes()),
        // int32 and enum values are sign-extended to ten bytes.
        (Value::I32(v) | Value::Enum(v), _) => varint(i64::from(*v) as u64, out),
        (Value::I64(v), _) => varint(*v as u64, out),
        (Value::U32(v), _) => varint(u64::from(*v), out),
        (Value::U64(v), _) => varint(*v, out),
        (Value::Bool(v), _) => varint(u64::from(*v), out),
        (Value::Bytes(_) | Value::Message(_), _) => {}
    }
}

fn write_unknown(fields: &[Unknown], out: &mut Vec<u8>) {
    for f in fields {
        match &f.value {
            UnknownValue::Varint(v) => {
                key(f.number, 0, out);
                varint(*v, out);
            }
            UnknownValue::Fixed32(v) => {
                key(f.number, 5, out);
                out.extend_from_slice(&v.to_le_bytes());
            }
            UnknownValue::Fixed64(v) => {
                key(f.number, 1, out);
                out.extend_from_slice(&v.to_le_bytes());
            }
            UnknownValue::Bytes(b) => {
                key(f.number, 2, out);
                varint(b.len() as u64, out);
                out.extend_from_slice(b);
            }
            UnknownValue::Group(inner) => {
                key(f.number, 3, out);
                write_unknown(inner, out);
                key(f.number, 4, out);
            }
        }
    }
}

/// A MessageSet item: group 1 holding `type_id = 2` and `message = 3`.
fn message_set_item(type_id: u32, message: &[u8], out: &mut Vec<u8>) {
    key(1, 3, out);
    key(2, 0, out);
    varint(u64::from(type_id), out);
    key(3, 2, out);
    varint(message.len() as u64, out);
    out.extend_from_slice(message);
    key(1, 4, out);
}

fn key(number: u32, wire: u32, out: &mut Vec<u8>) {
    varint(u64::from(number) << 3 | u64::from(wire), out);
}

pub fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}
