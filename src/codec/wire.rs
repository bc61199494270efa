//! The binary wire format as protoc's C++ runtime reads and writes it for a dynamic message:
//! the same limits (5-byte tags, 10-byte varints, 100 levels of nesting), the same places where
//! a field becomes unknown (a wire type that does not fit, a closed enum's unknown number), and
//! the same serialization order (fields by number, then the unknown fields as read).

use std::collections::BTreeMap;

use super::schema::{ty, Field, MessageType, Schema};

/// protoc's default recursion limit for parsing.
pub const RECURSION_LIMIT: i32 = 100;

/// One value of a known field.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    I32(i32),
    I64(i64),
    U32(u32),
    U64(u64),
    F32(f32),
    F64(f64),
    Bool(bool),
    Enum(i32),
    /// `string` and `bytes`.
    Bytes(Vec<u8>),
    Message(Message),
}

/// A message: known fields by number (a singular field holds one value), then what was not
/// understood, in the order it came.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Message {
    pub fields: BTreeMap<u32, Vec<Value>>,
    pub unknown: Vec<Unknown>,
}

/// One field of an unknown field set.
#[derive(Debug, Clone, PartialEq)]
pub struct Unknown {
    pub number: u32,
    pub value: UnknownValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum UnknownValue {
    Varint(u64),
    Fixed32(u32),
    Fixed64(u64),
    Bytes(Vec<u8>),
    Group(Vec<Unknown>),
}

/// Why bytes did not parse.
#[derive(Debug, Clone, PartialEq)]
pub enum ParseError {
    Malformed,
    /// A string field that must be UTF-8 is not (the field's full name).
    InvalidUtf8(String),
}

type Result<T> = std::result::Result<T, ParseError>;

/// How a field list ended.
#[derive(Debug, PartialEq)]
enum End {
    Input,
    /// A zero tag or an end-group tag.
    Tag(u32),
}

/// A cursor over bytes. protoc's runtime has two readers with different limits: `ParseContext`
/// (messages; tags of five bytes at most) and the older `CodedInputStream`, which the printer
/// uses to try unknown bytes as a nested set (`lenient`: tags and lengths of up to ten bytes,
/// cut to 32 bits).
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    lenient: bool,
    /// The whole input and where `buf` starts in it: a nested message's reader is bounded by
    /// the message, but protoc's buffer is not (see `cut_string_checked`).
    whole: &'a [u8],
    base: usize,
    /// Where the current field's tag started, in `whole`.
    tag_start: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader {
            buf,
            pos: 0,
            lenient: false,
            whole: buf,
            base: 0,
            tag_start: 0,
        }
    }

    /// The next `n` bytes as a reader of their own (a nested message or a map entry).
    fn sub(&mut self, n: usize) -> Result<Reader<'a>> {
        let base = self.base + self.pos;
        let buf = self.take(n)?;
        Ok(Reader {
            buf,
            pos: 0,
            lenient: self.lenient,
            whole: self.whole,
            base,
            tag_start: base,
        })
    }

    /// Whether protoc's parser reads a string of `size` bytes that runs past its message or
    /// the input, from here, and so checks its UTF-8 before it fails. Its buffer holds the
    /// whole input (one read of stdin), and once 16 bytes or fewer are left at a tag it
    /// switches to a patch buffer with 16 zero bytes after them. A string it can take from the
    /// buffer it takes whole, past a nested message's end or into the zeros; one it cannot it
    /// reads piecewise and fails at the end without a check. Returns the real bytes taken.
    fn overrun_string(&self, size: usize) -> Option<&'a [u8]> {
        let at = self.base + self.pos;
        let remaining = self.whole.len().saturating_sub(at);
        let patch = self.whole.len().saturating_sub(self.tag_start) <= 16;
        let available = remaining + if patch { 16 } else { 0 };
        (size <= available).then(|| &self.whole[at..at + size.min(remaining)])
    }

    fn at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn byte(&mut self) -> Result<u8> {
        let b = *self.buf.get(self.pos).ok_or(ParseError::Malformed)?;
        self.pos += 1;
        Ok(b)
    }

    /// Up to ten bytes; bits past the 64th are dropped, as `VarintParse` drops them.
    fn varint(&mut self) -> Result<u64> {
        let mut value = 0u64;
        for i in 0..10 {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f).wrapping_shl(7 * i);
            if b < 0x80 {
                return Ok(value);
            }
        }
        Err(ParseError::Malformed)
    }

    /// `ReadTag`: at most five bytes, wrapping into 32 bits.
    fn tag(&mut self) -> Result<u32> {
        if self.lenient {
            return Ok(self.varint()? as u32);
        }
        let mut value = 0u32;
        for i in 0..5 {
            let b = self.byte()?;
            value = value.wrapping_add(u32::from(b & 0x7f).wrapping_shl(7 * i));
            if b < 0x80 {
                return Ok(value);
            }
        }
        Err(ParseError::Malformed)
    }

    /// `ReadSize`: five bytes at most, and no more than `INT_MAX - 16`.
    fn size(&mut self) -> Result<usize> {
        if self.lenient {
            // `ReadVarint32`, then `ReadString`'s `int` size must not be negative.
            let size = self.varint()? as u32;
            return i32::try_from(size)
                .map(|s| s as usize)
                .map_err(|_| ParseError::Malformed);
        }
        let mut value = 0u64;
        for i in 0..5 {
            let b = self.byte()?;
            if i == 4 && b >= 8 {
                return Err(ParseError::Malformed);
            }
            value |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                break;
            }
        }
        if value > i32::MAX as u64 - 16 {
            return Err(ParseError::Malformed);
        }
        Ok(value as usize)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(ParseError::Malformed)?;
        let bytes = self.buf.get(self.pos..end).ok_or(ParseError::Malformed)?;
        self.pos = end;
        Ok(bytes)
    }

    fn fixed32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn fixed64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
}

/// Parses `bytes` as an unknown field set, groups nested at most `depth` deep. `lenient`: as
/// `UnknownFieldSet::ParseFromCodedStream` reads (the printer's nested sets), else as a message
/// parse reads (`--decode_raw`'s input).
pub fn parse_unknown(bytes: &[u8], depth: i32, lenient: bool) -> Option<Vec<Unknown>> {
    let mut r = Reader::new(bytes);
    r.lenient = lenient;
    let mut fields = Vec::new();
    match unknown_fields(&mut r, depth, &mut fields) {
        Ok(End::Input) => Some(fields),
        _ => None,
    }
}

fn unknown_fields(r: &mut Reader, depth: i32, out: &mut Vec<Unknown>) -> Result<End> {
    while !r.at_end() {
        let tag = r.tag()?;
        if tag == 0 || tag & 7 == 4 {
            return Ok(End::Tag(tag));
        }
        out.push(unknown_field(r, tag, depth)?);
    }
    Ok(End::Input)
}

/// The value of one unknown field whose tag was just read.
fn unknown_field(r: &mut Reader, tag: u32, depth: i32) -> Result<Unknown> {
    let number = tag >> 3;
    if number == 0 {
        return Err(ParseError::Malformed);
    }
    let value = match tag & 7 {
        0 => UnknownValue::Varint(r.varint()?),
        1 => UnknownValue::Fixed64(r.fixed64()?),
        2 => {
            let n = r.size()?;
            UnknownValue::Bytes(r.take(n)?.to_vec())
        }
        3 => {
            if depth - 1 < 0 {
                return Err(ParseError::Malformed);
            }
            let mut inner = Vec::new();
            if unknown_fields(r, depth - 1, &mut inner)? != End::Tag(tag + 1) {
                return Err(ParseError::Malformed);
            }
            UnknownValue::Group(inner)
        }
        5 => UnknownValue::Fixed32(r.fixed32()?),
        _ => return Err(ParseError::Malformed),
    };
    Ok(Unknown { number, value })
}

/// Parses `bytes` as a message of type `message` (`ParsePartialFromZeroCopyStream`).
pub fn parse_message(schema: &Schema, message: &MessageType, bytes: &[u8]) -> Result<Message> {
    let mut r = Reader::new(bytes);
    let mut out = Message::default();
    match fields(schema, message, &mut r, RECURSION_LIMIT, &mut out)? {
        End::Input => Ok(out),
        End::Tag(_) => Err(ParseError::Malformed),
    }
}

fn fields(
    schema: &Schema,
    message: &MessageType,
    r: &mut Reader,
    depth: i32,
    out: &mut Message,
) -> Result<End> {
    if message.message_set {
        return message_set_fields(schema, message, r, depth, out);
    }
    while !r.at_end() {
        r.tag_start = r.base + r.pos;
        let tag = r.tag()?;
        if tag == 0 || tag & 7 == 4 {
            return Ok(End::Tag(tag));
        }
        match schema.field(message, tag >> 3) {
            Some(field) => known_field(schema, message, field, r, tag, depth, out)?,
            None => out.unknown.push(unknown_field(r, tag, depth)?),
        }
    }
    Ok(End::Input)
}

/// The tags of a MessageSet item (group 1): `type_id` (2, varint) and `message` (3, bytes).
const ITEM_START: u32 = 11;
const ITEM_END: u32 = 12;
const TYPE_ID_TAG: u8 = 16;
const MESSAGE_TAG: u8 = 26;

/// A MessageSet's body (`MessageSetParser`): each item is the extension its `type_id` names;
/// other tags are read as extensions by number, or kept unknown. Its own fields, if it
/// declares any, are not looked up.
fn message_set_fields(
    schema: &Schema,
    message: &MessageType,
    r: &mut Reader,
    depth: i32,
    out: &mut Message,
) -> Result<End> {
    while !r.at_end() {
        r.tag_start = r.base + r.pos;
        let tag = r.tag()?;
        if tag == 0 || tag & 7 == 4 {
            return Ok(End::Tag(tag));
        }
        if tag == ITEM_START {
            if depth - 1 < 0 {
                return Err(ParseError::Malformed);
            }
            message_set_item(schema, message, r, depth - 1, out)?;
            continue;
        }
        let number = tag >> 3;
        let field = message
            .is_extension_number(number)
            .then(|| schema.extension(&message.full_name, number))
            .flatten();
        match field {
            Some(field) => known_field(schema, message, field, r, tag, depth, out)?,
            None => out.unknown.push(unknown_field(r, tag, depth)?),
        }
    }
    Ok(End::Input)
}

/// One item, up to its end tag. A `type_id` after the message still places it; an item's
/// second `type_id` or `message` is ignored; an item for no known message extension is kept
/// as an unknown length-delimited field numbered by its `type_id`.
fn message_set_item(
    schema: &Schema,
    message: &MessageType,
    r: &mut Reader,
    depth: i32,
    out: &mut Message,
) -> Result<()> {
    enum State {
        NoTag,
        HasType(u32),
        HasPayload(Vec<u8>),
        Done,
    }
    let mut state = State::NoTag;
    loop {
        if r.at_end() {
            return Err(ParseError::Malformed);
        }
        let first = r.byte()?;
        if first == TYPE_ID_TAG {
            let type_id = r.varint()? as u32;
            if type_id == 0 {
                return Err(ParseError::Malformed);
            }
            match std::mem::replace(&mut state, State::Done) {
                State::NoTag => state = State::HasType(type_id),
                State::HasPayload(payload) => {
                    let field = schema
                        .extension(&message.full_name, type_id)
                        .filter(|f| f.is_message());
                    let sub_type = field.and_then(|f| schema.message(&f.type_name));
                    match (field, sub_type) {
                        (Some(field), Some(sub_type)) => {
                            if depth - 1 < 0 {
                                return Err(ParseError::Malformed);
                            }
                            let target =
                                message_slot(message, field, out).ok_or(ParseError::Malformed)?;
                            let mut sub = Reader::new(&payload);
                            if fields(schema, sub_type, &mut sub, depth - 1, target)? != End::Input
                            {
                                return Err(ParseError::Malformed);
                            }
                        }
                        _ => out.unknown.push(Unknown {
                            number: type_id,
                            value: UnknownValue::Bytes(payload),
                        }),
                    }
                }
                other => state = other,
            }
        } else if first == MESSAGE_TAG {
            match std::mem::replace(&mut state, State::Done) {
                State::NoTag => {
                    let n = r.size()?;
                    state = State::HasPayload(r.take(n)?.to_vec());
                }
                State::HasType(type_id) => {
                    let field = message
                        .is_extension_number(type_id)
                        .then(|| schema.extension(&message.full_name, type_id))
                        .flatten();
                    let tag = type_id.wrapping_shl(3) | 2;
                    match field {
                        Some(field) => known_field(schema, message, field, r, tag, depth, out)?,
                        None => {
                            let n = r.size()?;
                            out.unknown.push(Unknown {
                                number: type_id,
                                value: UnknownValue::Bytes(r.take(n)?.to_vec()),
                            });
                        }
                    }
                }
                other => {
                    let n = r.size()?;
                    r.take(n)?;
                    state = other;
                }
            }
        } else {
            r.pos -= 1;
            let tag = r.tag()?;
            if tag == 0 || tag & 7 == 4 {
                return if tag == ITEM_END {
                    Ok(())
                } else {
                    Err(ParseError::Malformed)
                };
            }
            // An unknown field inside an item is read and dropped.
            unknown_field(r, tag, depth)?;
        }
    }
}

/// The wire type a field's values are written with.
pub fn wire_type(field: &Field) -> u32 {
    match field.ty {
        ty::DOUBLE | ty::FIXED64 | ty::SFIXED64 => 1,
        ty::FLOAT | ty::FIXED32 | ty::SFIXED32 => 5,
        ty::STRING | ty::BYTES | ty::MESSAGE => 2,
        ty::GROUP => 3,
        _ => 0,
    }
}

fn known_field(
    schema: &Schema,
    message: &MessageType,
    field: &Field,
    r: &mut Reader,
    tag: u32,
    depth: i32,
    out: &mut Message,
) -> Result<()> {
    let wire = tag & 7;
    if wire != wire_type(field) {
        if field.repeated && field.packable() && wire == 2 {
            return packed(schema, field, r, out);
        }
        out.unknown.push(unknown_field(r, tag, depth)?);
        return Ok(());
    }
    match field.ty {
        ty::MESSAGE | ty::GROUP => {
            if depth - 1 < 0 {
                return Err(ParseError::Malformed);
            }
            let sub_type = schema
                .message(&field.type_name)
                .ok_or(ParseError::Malformed)?;
            if sub_type.map_entry && field.repeated && wire == 2 {
                return map_entry(schema, field, sub_type, r, depth - 1, out);
            }
            let target = message_slot(message, field, out).ok_or(ParseError::Malformed)?;
            if field.ty == ty::GROUP {
                if fields(schema, sub_type, r, depth - 1, target)? != End::Tag(tag + 1) {
                    return Err(ParseError::Malformed);
                }
            } else {
                let n = r.size()?;
                let mut sub = r.sub(n)?;
                if fields(schema, sub_type, &mut sub, depth - 1, target)? != End::Input {
                    return Err(ParseError::Malformed);
                }
            }
            Ok(())
        }
        ty::STRING | ty::BYTES => {
            let n = r.size()?;
            let bytes = match r.take(n) {
                Ok(bytes) => bytes.to_vec(),
                Err(cut) => {
                    // A string past its message's end or the input's: protoc may still read
                    // and check it before it fails, and then logs invalid UTF-8 too.
                    let taken = r.overrun_string(n);
                    if field.verify_utf8 && taken.is_some_and(|b| std::str::from_utf8(b).is_err()) {
                        return Err(ParseError::InvalidUtf8(field.full_name.clone()));
                    }
                    return Err(cut);
                }
            };
            if field.verify_utf8 && std::str::from_utf8(&bytes).is_err() {
                return Err(ParseError::InvalidUtf8(field.full_name.clone()));
            }
            set(message, field, Value::Bytes(bytes), out);
            Ok(())
        }
        _ => {
            let value = scalar(field, r)?;
            add_scalar(schema, message, field, value, out);
            Ok(())
        }
    }
}

/// One map entry. protoc keeps every entry (a repeated key too) but not what the entry did
/// not understand; an entry whose closed-enum value is unknown goes whole to the unknown fields.
fn map_entry(
    schema: &Schema,
    field: &Field,
    entry_type: &MessageType,
    r: &mut Reader,
    depth: i32,
    out: &mut Message,
) -> Result<()> {
    let n = r.size()?;
    let mut entry_reader = r.sub(n)?;
    let bytes = entry_reader.buf;
    let mut entry = Message::default();
    if fields(schema, entry_type, &mut entry_reader, depth, &mut entry)? != End::Input {
        return Err(ParseError::Malformed);
    }
    let unknown_enum = entry_type.fields.get(1).is_some_and(|value| {
        value.closed_enum
            && entry
                .unknown
                .iter()
                .any(|u| u.number == value.number && matches!(u.value, UnknownValue::Varint(_)))
    });
    if unknown_enum {
        out.unknown.push(Unknown {
            number: field.number,
            value: UnknownValue::Bytes(bytes.to_vec()),
        });
    } else {
        entry.unknown.clear();
        out.fields
            .entry(field.number)
            .or_default()
            .push(Value::Message(entry));
    }
    Ok(())
}

/// One scalar of `field`'s type, in its non-packed wire form.
fn scalar(field: &Field, r: &mut Reader) -> Result<Value> {
    Ok(match field.ty {
        ty::DOUBLE => Value::F64(f64::from_bits(r.fixed64()?)),
        ty::FLOAT => Value::F32(f32::from_bits(r.fixed32()?)),
        ty::FIXED64 => Value::U64(r.fixed64()?),
        ty::SFIXED64 => Value::I64(r.fixed64()? as i64),
        ty::FIXED32 => Value::U32(r.fixed32()?),
        ty::SFIXED32 => Value::I32(r.fixed32()? as i32),
        ty::INT64 => Value::I64(r.varint()? as i64),
        ty::UINT64 => Value::U64(r.varint()?),
        ty::INT32 => Value::I32(r.varint()? as u32 as i32),
        ty::UINT32 => Value::U32(r.varint()? as u32),
        ty::SINT32 => {
            let v = r.varint()? as u32;
            Value::I32(((v >> 1) as i32) ^ -((v & 1) as i32))
        }
        ty::SINT64 => {
            let v = r.varint()?;
            Value::I64(((v >> 1) as i64) ^ -((v & 1) as i64))
        }
        ty::BOOL => Value::Bool(r.varint()? != 0),
        ty::ENUM => Value::Enum(r.varint()? as u32 as i32),
        _ => return Err(ParseError::Malformed),
    })
}

/// A packed run of `field`'s values.
fn packed(schema: &Schema, field: &Field, r: &mut Reader, out: &mut Message) -> Result<()> {
    let n = r.size()?;
    let body = r.take(n)?;
    let width = match wire_type(field) {
        1 => 8,
        5 => 4,
        _ => 0,
    };
    if width != 0 && body.len() % width != 0 {
        return Err(ParseError::Malformed);
    }
    let mut sub = Reader::new(body);
    // A packed field is repeated and never in a oneof: no other field is touched.
    let empty = MessageType::default();
    while !sub.at_end() {
        let value = scalar(field, &mut sub)?;
        add_scalar(schema, &empty, field, value, out);
    }
    Ok(())
}

/// Adds a scalar, sending a closed enum's unknown number to the unknown fields.
fn add_scalar(
    schema: &Schema,
    message: &MessageType,
    field: &Field,
    value: Value,
    out: &mut Message,
) {
    if let (Value::Enum(n), true) = (&value, field.closed_enum) {
        let known = schema
            .enum_type(&field.type_name)
            .is_some_and(|e| e.name_of(*n).is_some());
        if !known {
            out.unknown.push(Unknown {
                number: field.number,
                value: UnknownValue::Varint(i64::from(*n) as u64),
            });
            return;
        }
    }
    set(message, field, value, out);
}

/// Sets or appends a value; a oneof member clears the other members.
pub fn set(message: &MessageType, field: &Field, value: Value, out: &mut Message) {
    if field.repeated {
        out.fields.entry(field.number).or_default().push(value);
        return;
    }
    clear_oneof(message, field, out);
    out.fields.insert(field.number, vec![value]);
}

fn clear_oneof(message: &MessageType, field: &Field, out: &mut Message) {
    if let (Some(oneof), false) = (field.oneof, field.is_extension) {
        for other in &message.fields {
            if other.oneof == Some(oneof) && other.number != field.number {
                out.fields.remove(&other.number);
            }
        }
    }
}

/// The message a submessage's bytes merge into: a new element of a repeated field, or the
/// singular field's message (created, and its oneof cleared, when absent). Always `Some`.
pub fn message_slot<'m>(
    message: &MessageType,
    field: &Field,
    out: &'m mut Message,
) -> Option<&'m mut Message> {
    if !field.repeated && !out.fields.contains_key(&field.number) {
        clear_oneof(message, field, out);
    }
    let values = out.fields.entry(field.number).or_default();
    if field.repeated || !matches!(values.last(), Some(Value::Message(_))) {
        if !field.repeated {
            values.clear();
        }
        values.push(Value::Message(Message::default()));
    }
    match values.last_mut() {
        Some(Value::Message(m)) => Some(m),
        _ => None,
    }
}

/// Whether a singular field counts as set: always with presence, else when not zero
/// (C++ compares the bits, so `-0.0` is set).
pub fn has(field: &Field, value: &Value) -> bool {
    if field.presence {
        return true;
    }
    match value {
        Value::I32(v) | Value::Enum(v) => *v != 0,
        Value::I64(v) => *v != 0,
        Value::U32(v) => *v != 0,
        Value::U64(v) => *v != 0,
        Value::F32(v) => v.to_bits() != 0,
        Value::F64(v) => v.to_bits() != 0,
        Value::Bool(v) => *v,
        Value::Bytes(v) => !v.is_empty(),
        Value::Message(_) => true,
    }
}
