//! Text format as protoc's `TextFormat::Print` writes it with the default printer: fields by
//! number, map entries sorted by key, unknown fields last (length-delimited ones shown as a
//! nested set when they parse as one, ten levels at most), strings C-escaped, `Any` not expanded.

use super::schema::{ty, Field, MessageType, Schema};
use super::wire::{self, Message, Unknown, UnknownValue, Value};
use crate::compiler::literals::{c_escape, simple_dtoa, simple_ftoa};

/// How deep length-delimited unknown fields are tried as nested sets (`kUnknownFieldRecursionLimit`).
const UNKNOWN_RECURSION_LIMIT: i32 = 10;

/// Text with protoc's indentation: two spaces a level.
struct Out {
    text: Vec<u8>,
    indent: usize,
}

impl Out {
    fn line_start(&mut self) {
        self.text.extend(std::iter::repeat_n(b' ', self.indent * 2));
    }
}

/// `message` (of type `message_type`) in text format.
pub fn message(schema: &Schema, message_type: &MessageType, message: &Message) -> Vec<u8> {
    let mut out = Out {
        text: Vec::new(),
        indent: 0,
    };
    print_message(schema, message_type, message, &mut out);
    out.text
}

/// An unknown field set in text format (`--decode_raw`).
pub fn unknown_fields(fields: &[Unknown]) -> Vec<u8> {
    let mut out = Out {
        text: Vec::new(),
        indent: 0,
    };
    print_unknown(fields, UNKNOWN_RECURSION_LIMIT, &mut out);
    out.text
}

fn print_message(schema: &Schema, mt: &MessageType, msg: &Message, out: &mut Out) {
    if mt.map_entry {
        // A map entry always shows its key and value, set or not.
        for field in mt.fields.iter().take(2) {
            match msg.fields.get(&field.number).and_then(|v| v.last()) {
                Some(v) => print_value(schema, field, v, out),
                None => print_value(schema, field, &default_value(schema, field), out),
            }
        }
    } else {
        for (number, values) in &msg.fields {
            let Some(field) = schema.field(mt, *number) else {
                continue;
            };
            if field.repeated {
                for v in sorted_if_map(schema, field, values) {
                    print_value(schema, field, v, out);
                }
            } else if let Some(v) = values.last().filter(|v| wire::has(field, v)) {
                print_value(schema, field, v, out);
            }
        }
    }
    print_unknown(&msg.unknown, UNKNOWN_RECURSION_LIMIT, out);
}

/// A repeated field's values; a map's entries stably sorted by key, as protoc prints them.
pub fn sorted_if_map<'v>(schema: &Schema, field: &Field, values: &'v [Value]) -> Vec<&'v Value> {
    let mut refs: Vec<&Value> = values.iter().collect();
    let Some(entry) = map_entry_type(schema, field) else {
        return refs;
    };
    let Some(key_field) = entry.fields.first() else {
        return refs;
    };
    let key = |v: &Value| -> Value {
        match v {
            Value::Message(m) => m
                .fields
                .get(&key_field.number)
                .and_then(|k| k.last().cloned())
                .unwrap_or_else(|| default_value(schema, key_field)),
            _ => default_value(schema, key_field),
        }
    };
    refs.sort_by(|a, b| compare_keys(&key(a), &key(b)));
    refs
}

/// The entry type of a map field, `None` for any other field.
pub fn map_entry_type<'s>(schema: &'s Schema, field: &Field) -> Option<&'s MessageType> {
    if !field.repeated || field.ty != ty::MESSAGE {
        return None;
    }
    schema.message(&field.type_name).filter(|m| m.map_entry)
}

fn compare_keys(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a, b) {
        (Value::I32(x), Value::I32(y)) => x.cmp(y),
        (Value::I64(x), Value::I64(y)) => x.cmp(y),
        (Value::U32(x), Value::U32(y)) => x.cmp(y),
        (Value::U64(x), Value::U64(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Bytes(x), Value::Bytes(y)) => x.cmp(y),
        _ => std::cmp::Ordering::Equal,
    }
}

/// The value an unset field reads as: zero, empty, an enum's first value.
pub fn default_value(schema: &Schema, field: &Field) -> Value {
    match field.ty {
        ty::DOUBLE => Value::F64(0.0),
        ty::FLOAT => Value::F32(0.0),
        ty::INT64 | ty::SINT64 | ty::SFIXED64 => Value::I64(0),
        ty::UINT64 | ty::FIXED64 => Value::U64(0),
        ty::INT32 | ty::SINT32 | ty::SFIXED32 => Value::I32(0),
        ty::UINT32 | ty::FIXED32 => Value::U32(0),
        ty::BOOL => Value::Bool(false),
        ty::ENUM => Value::Enum(
            schema
                .enum_type(&field.type_name)
                .and_then(|e| e.values.first())
                .map_or(0, |(_, n)| *n),
        ),
        ty::STRING | ty::BYTES => Value::Bytes(Vec::new()),
        _ => Value::Message(Message::default()),
    }
}

fn field_name(schema: &Schema, field: &Field) -> String {
    if schema.named_by_type(field) {
        format!("[{}]", field.type_name)
    } else if field.is_extension {
        format!("[{}]", field.full_name)
    } else if field.group_like {
        let simple = field
            .type_name
            .rsplit('.')
            .next()
            .unwrap_or(&field.type_name);
        simple.to_string()
    } else {
        field.name.clone()
    }
}

fn print_value(schema: &Schema, field: &Field, value: &Value, out: &mut Out) {
    out.line_start();
    out.text
        .extend_from_slice(field_name(schema, field).as_bytes());
    if let Value::Message(m) = value {
        out.text.extend_from_slice(b" {\n");
        out.indent += 1;
        match schema.message(&field.type_name) {
            Some(mt) => print_message(schema, mt, m, out),
            None => print_unknown(&m.unknown, UNKNOWN_RECURSION_LIMIT, out),
        }
        out.indent -= 1;
        out.line_start();
        out.text.extend_from_slice(b"}\n");
        return;
    }
    out.text.extend_from_slice(b": ");
    let text = match value {
        Value::I32(v) => v.to_string(),
        Value::I64(v) => v.to_string(),
        Value::U32(v) => v.to_string(),
        Value::U64(v) => v.to_string(),
        Value::F32(v) => simple_ftoa(*v),
        Value::F64(v) => simple_dtoa(*v),
        Value::Bool(v) => v.to_string(),
        Value::Enum(n) => schema
            .enum_type(&field.type_name)
            .and_then(|e| e.name_of(*n))
            .map_or_else(|| n.to_string(), str::to_string),
        Value::Bytes(b) => {
            out.text.push(b'"');
            out.text.extend_from_slice(&c_escape(b));
            out.text.extend_from_slice(b"\"\n");
            return;
        }
        Value::Message(_) => String::new(),
    };
    out.text.extend_from_slice(text.as_bytes());
    out.text.push(b'\n');
}

fn print_unknown(fields: &[Unknown], budget: i32, out: &mut Out) {
    for f in fields {
        out.line_start();
        let number = f.number;
        match &f.value {
            UnknownValue::Varint(v) => out.text.extend(format!("{number}: {v}\n").bytes()),
            UnknownValue::Fixed32(v) => out.text.extend(format!("{number}: 0x{v:08x}\n").bytes()),
            UnknownValue::Fixed64(v) => out.text.extend(format!("{number}: 0x{v:016x}\n").bytes()),
            UnknownValue::Bytes(bytes) => {
                let nested = (!bytes.is_empty() && budget > 0)
                    .then(|| wire::parse_unknown(bytes, budget, true))
                    .flatten();
                match nested {
                    Some(inner) => nested_set(number, &inner, budget, out),
                    None => {
                        out.text.extend(format!("{number}: \"").bytes());
                        out.text.extend_from_slice(&c_escape(bytes));
                        out.text.extend_from_slice(b"\"\n");
                    }
                }
            }
            UnknownValue::Group(inner) => nested_set(number, inner, budget, out),
        }
    }
}

fn nested_set(number: u32, inner: &[Unknown], budget: i32, out: &mut Out) {
    out.text.extend(format!("{number} {{\n").bytes());
    out.indent += 1;
    print_unknown(inner, budget - 1, out);
    out.indent -= 1;
    out.line_start();
    out.text.extend_from_slice(b"}\n");
}
