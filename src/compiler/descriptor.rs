//! Our own `descriptor.proto` messages, wire-compatible with protoc's: same field numbers and
//! types, fields serialized in field-number order like protoc's C++ runtime.
//!
//! Two deliberate departures from `prost-types`:
//! - every `options` field is a [`RawOptions`]: the options message as serialized bytes (so known
//!   and custom options come out in exactly the order the option interpreter writes them) plus,
//!   before interpretation, the parser's `UninterpretedOption`s;
//! - strings that protoc copies from the source without validating UTF-8 (comments, default
//!   values, reserved names, string option values, aggregate values) are bytes.

use prost::bytes::{Buf, BufMut};
use prost::encoding::{self, DecodeContext, WireType};
use prost::DecodeError;

/// `FieldDescriptorProto.Type` numbers.
pub mod field_type {
    pub const GROUP: i32 = 10;
    pub const MESSAGE: i32 = 11;
    pub const STRING: i32 = 9;
    pub const ENUM: i32 = 14;
    pub const BOOL: i32 = 8;
}

/// `FieldDescriptorProto.Label` numbers.
pub mod label {
    pub const OPTIONAL: i32 = 1;
    pub const REQUIRED: i32 = 2;
    pub const REPEATED: i32 = 3;
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct FileDescriptorSet {
    #[prost(message, repeated, tag = "1")]
    pub file: Vec<FileDescriptorProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct FileDescriptorProto {
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub package: Option<String>,
    #[prost(string, repeated, tag = "3")]
    pub dependency: Vec<String>,
    #[prost(int32, repeated, packed = "false", tag = "10")]
    pub public_dependency: Vec<i32>,
    #[prost(int32, repeated, packed = "false", tag = "11")]
    pub weak_dependency: Vec<i32>,
    /// Edition 2024 `import option`.
    #[prost(string, repeated, tag = "15")]
    pub option_dependency: Vec<String>,
    #[prost(message, repeated, tag = "4")]
    pub message_type: Vec<DescriptorProto>,
    #[prost(message, repeated, tag = "5")]
    pub enum_type: Vec<EnumDescriptorProto>,
    #[prost(message, repeated, tag = "6")]
    pub service: Vec<ServiceDescriptorProto>,
    #[prost(message, repeated, tag = "7")]
    pub extension: Vec<FieldDescriptorProto>,
    #[prost(message, optional, tag = "8")]
    pub options: Option<RawOptions>,
    #[prost(message, optional, tag = "9")]
    pub source_code_info: Option<SourceCodeInfo>,
    #[prost(string, optional, tag = "12")]
    pub syntax: Option<String>,
    /// `Edition` enum number.
    #[prost(int32, optional, tag = "14")]
    pub edition: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct DescriptorProto {
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    #[prost(message, repeated, tag = "2")]
    pub field: Vec<FieldDescriptorProto>,
    #[prost(message, repeated, tag = "6")]
    pub extension: Vec<FieldDescriptorProto>,
    #[prost(message, repeated, tag = "3")]
    pub nested_type: Vec<DescriptorProto>,
    #[prost(message, repeated, tag = "4")]
    pub enum_type: Vec<EnumDescriptorProto>,
    #[prost(message, repeated, tag = "5")]
    pub extension_range: Vec<descriptor_proto::ExtensionRange>,
    #[prost(message, repeated, tag = "8")]
    pub oneof_decl: Vec<OneofDescriptorProto>,
    #[prost(message, optional, tag = "7")]
    pub options: Option<RawOptions>,
    #[prost(message, repeated, tag = "9")]
    pub reserved_range: Vec<descriptor_proto::ReservedRange>,
    #[prost(bytes = "vec", repeated, tag = "10")]
    pub reserved_name: Vec<Vec<u8>>,
    /// `SymbolVisibility`: 1 local, 2 export.
    #[prost(int32, optional, tag = "11")]
    pub visibility: Option<i32>,
}

pub mod descriptor_proto {
    use super::RawOptions;

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ExtensionRange {
        #[prost(int32, optional, tag = "1")]
        pub start: Option<i32>,
        /// Exclusive.
        #[prost(int32, optional, tag = "2")]
        pub end: Option<i32>,
        #[prost(message, optional, tag = "3")]
        pub options: Option<RawOptions>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ReservedRange {
        #[prost(int32, optional, tag = "1")]
        pub start: Option<i32>,
        /// Exclusive.
        #[prost(int32, optional, tag = "2")]
        pub end: Option<i32>,
    }
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct FieldDescriptorProto {
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    #[prost(int32, optional, tag = "3")]
    pub number: Option<i32>,
    #[prost(int32, optional, tag = "4")]
    pub label: Option<i32>,
    #[prost(int32, optional, tag = "5")]
    pub r#type: Option<i32>,
    #[prost(string, optional, tag = "6")]
    pub type_name: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub extendee: Option<String>,
    #[prost(bytes = "vec", optional, tag = "7")]
    pub default_value: Option<Vec<u8>>,
    #[prost(int32, optional, tag = "9")]
    pub oneof_index: Option<i32>,
    #[prost(bytes = "vec", optional, tag = "10")]
    pub json_name: Option<Vec<u8>>,
    #[prost(message, optional, tag = "8")]
    pub options: Option<RawOptions>,
    #[prost(bool, optional, tag = "17")]
    pub proto3_optional: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct OneofDescriptorProto {
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    #[prost(message, optional, tag = "2")]
    pub options: Option<RawOptions>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct EnumDescriptorProto {
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    #[prost(message, repeated, tag = "2")]
    pub value: Vec<EnumValueDescriptorProto>,
    #[prost(message, optional, tag = "3")]
    pub options: Option<RawOptions>,
    #[prost(message, repeated, tag = "4")]
    pub reserved_range: Vec<enum_descriptor_proto::EnumReservedRange>,
    #[prost(bytes = "vec", repeated, tag = "5")]
    pub reserved_name: Vec<Vec<u8>>,
    /// `SymbolVisibility`: 1 local, 2 export.
    #[prost(int32, optional, tag = "6")]
    pub visibility: Option<i32>,
}

pub mod enum_descriptor_proto {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct EnumReservedRange {
        #[prost(int32, optional, tag = "1")]
        pub start: Option<i32>,
        /// Inclusive.
        #[prost(int32, optional, tag = "2")]
        pub end: Option<i32>,
    }
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct EnumValueDescriptorProto {
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    #[prost(int32, optional, tag = "2")]
    pub number: Option<i32>,
    #[prost(message, optional, tag = "3")]
    pub options: Option<RawOptions>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ServiceDescriptorProto {
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    #[prost(message, repeated, tag = "2")]
    pub method: Vec<MethodDescriptorProto>,
    #[prost(message, optional, tag = "3")]
    pub options: Option<RawOptions>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct MethodDescriptorProto {
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub input_type: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub output_type: Option<String>,
    /// Present (maybe empty) whenever the method has a `{ ... }` body.
    #[prost(message, optional, tag = "4")]
    pub options: Option<RawOptions>,
    #[prost(bool, optional, tag = "5")]
    pub client_streaming: Option<bool>,
    #[prost(bool, optional, tag = "6")]
    pub server_streaming: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SourceCodeInfo {
    #[prost(message, repeated, tag = "1")]
    pub location: Vec<source_code_info::Location>,
}

pub mod source_code_info {
    use prost::bytes::{Buf, BufMut};
    use prost::encoding::{self, DecodeContext, WireType};
    use prost::DecodeError;

    /// A `SourceCodeInfo.Location`, kept small: a run over googleapis holds 1.4 million of
    /// them, one in five with comments. `path` and `span` are exactly as long as they need to
    /// be; the comments sit behind one pointer.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct Location {
        pub path: Box<[i32]>,
        pub span: Box<[i32]>,
        pub comments: Option<Box<Comments>>,
    }

    /// A location's comments (fields 3, 4 and 6).
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct Comments {
        pub leading: Option<Vec<u8>>,
        pub trailing: Option<Vec<u8>>,
        pub detached: Vec<Vec<u8>>,
    }

    impl Location {
        pub fn leading_comments(&self) -> Option<&[u8]> {
            self.comments.as_ref()?.leading.as_deref()
        }

        pub fn trailing_comments(&self) -> Option<&[u8]> {
            self.comments.as_ref()?.trailing.as_deref()
        }

        pub fn leading_detached_comments(&self) -> &[Vec<u8>] {
            self.comments.as_ref().map_or(&[], |c| &c.detached)
        }

        fn comments_mut(&mut self) -> &mut Comments {
            self.comments.get_or_insert_with(Default::default)
        }
    }

    /// Decodes repeated int32 `values` (packed or not) onto the end of `slot`.
    fn merge_ints(
        slot: &mut Box<[i32]>,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        let mut values = std::mem::take(slot).into_vec();
        encoding::int32::merge_repeated(wire_type, &mut values, buf, ctx)?;
        *slot = values.into_boxed_slice();
        Ok(())
    }

    /// The wire format prost derives for the five fields (packed path and span).
    impl prost::Message for Location {
        fn encode_raw(&self, buf: &mut impl BufMut) {
            encoding::int32::encode_packed(1, &self.path, buf);
            encoding::int32::encode_packed(2, &self.span, buf);
            if let Some(c) = &self.comments {
                if let Some(l) = &c.leading {
                    encoding::bytes::encode(3, l, buf);
                }
                if let Some(t) = &c.trailing {
                    encoding::bytes::encode(4, t, buf);
                }
                encoding::bytes::encode_repeated(6, &c.detached, buf);
            }
        }

        fn merge_field(
            &mut self,
            tag: u32,
            wire_type: WireType,
            buf: &mut impl Buf,
            ctx: DecodeContext,
        ) -> Result<(), DecodeError> {
            match tag {
                1 => merge_ints(&mut self.path, wire_type, buf, ctx),
                2 => merge_ints(&mut self.span, wire_type, buf, ctx),
                3 => {
                    let slot = self.comments_mut().leading.get_or_insert_with(Vec::new);
                    encoding::bytes::merge(wire_type, slot, buf, ctx)
                }
                4 => {
                    let slot = self.comments_mut().trailing.get_or_insert_with(Vec::new);
                    encoding::bytes::merge(wire_type, slot, buf, ctx)
                }
                6 => encoding::bytes::merge_repeated(
                    wire_type,
                    &mut self.comments_mut().detached,
                    buf,
                    ctx,
                ),
                _ => encoding::skip_field(wire_type, tag, buf, ctx),
            }
        }

        fn encoded_len(&self) -> usize {
            let mut len = encoding::int32::encoded_len_packed(1, &self.path)
                + encoding::int32::encoded_len_packed(2, &self.span);
            if let Some(c) = &self.comments {
                len += c
                    .leading
                    .as_ref()
                    .map_or(0, |l| encoding::bytes::encoded_len(3, l))
                    + c.trailing
                        .as_ref()
                        .map_or(0, |t| encoding::bytes::encoded_len(4, t))
                    + encoding::bytes::encoded_len_repeated(6, &c.detached);
            }
            len
        }

        fn clear(&mut self) {
            *self = Location::default();
        }
    }
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct UninterpretedOption {
    #[prost(message, repeated, tag = "2")]
    pub name: Vec<uninterpreted_option::NamePart>,
    #[prost(string, optional, tag = "3")]
    pub identifier_value: Option<String>,
    #[prost(uint64, optional, tag = "4")]
    pub positive_int_value: Option<u64>,
    #[prost(int64, optional, tag = "5")]
    pub negative_int_value: Option<i64>,
    #[prost(double, optional, tag = "6")]
    pub double_value: Option<f64>,
    #[prost(bytes = "vec", optional, tag = "7")]
    pub string_value: Option<Vec<u8>>,
    #[prost(bytes = "vec", optional, tag = "8")]
    pub aggregate_value: Option<Vec<u8>>,
}

pub mod uninterpreted_option {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct NamePart {
        #[prost(string, required, tag = "1")]
        pub name_part: String,
        #[prost(bool, required, tag = "2")]
        pub is_extension: bool,
    }
}

/// `uninterpreted_option`'s field number in every `*Options` message.
pub const UNINTERPRETED_OPTION_FIELD: u32 = 999;

/// An `*Options` message: `raw` is its serialized fields in the order they are to be written
/// (the option interpreter appends known and custom options there; the parser only writes
/// `map_entry`), and `uninterpreted` the parser's options awaiting interpretation.
///
/// Encoding writes `raw` and then `uninterpreted` as field 999; once the options are
/// interpreted the list is empty, so the encoding is exactly `raw`. An empty value still
/// encodes as a present, zero-length message (an rpc's empty `{}` body).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawOptions {
    pub raw: Vec<u8>,
    pub uninterpreted: Vec<UninterpretedOption>,
}

impl prost::Message for RawOptions {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        buf.put_slice(&self.raw);
        for o in &self.uninterpreted {
            encoding::message::encode(UNINTERPRETED_OPTION_FIELD, o, buf);
        }
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        if tag == UNINTERPRETED_OPTION_FIELD && wire_type == WireType::LengthDelimited {
            return encoding::message::merge_repeated(wire_type, &mut self.uninterpreted, buf, ctx);
        }
        encoding::encode_key(tag, wire_type, &mut self.raw);
        copy_field_value(tag, wire_type, buf, &mut self.raw, 100)
    }

    fn encoded_len(&self) -> usize {
        self.raw.len()
            + encoding::message::encoded_len_repeated(
                UNINTERPRETED_OPTION_FIELD,
                &self.uninterpreted,
            )
    }

    fn clear(&mut self) {
        self.raw.clear();
        self.uninterpreted.clear();
    }
}

/// prost offers no public constructor for its error besides this deprecated one; decoding our
/// own types is only used to read protoc's output back, so a plain message is enough.
#[allow(deprecated)]
fn decode_error(msg: &'static str) -> DecodeError {
    DecodeError::new(msg)
}

/// Copies one field's value (its key already written) from `buf` to `out` unchanged.
fn copy_field_value(
    tag: u32,
    wire_type: WireType,
    buf: &mut impl Buf,
    out: &mut Vec<u8>,
    depth: u32,
) -> Result<(), DecodeError> {
    let take = |buf: &mut dyn Buf, out: &mut Vec<u8>, n: usize| {
        if buf.remaining() < n {
            return Err(decode_error("buffer underflow"));
        }
        let mut v = vec![0; n];
        buf.copy_to_slice(&mut v);
        out.extend_from_slice(&v);
        Ok(())
    };
    match wire_type {
        WireType::Varint => encoding::encode_varint(encoding::decode_varint(buf)?, out),
        WireType::SixtyFourBit => take(buf, out, 8)?,
        WireType::ThirtyTwoBit => take(buf, out, 4)?,
        WireType::LengthDelimited => {
            let len = encoding::decode_varint(buf)?;
            encoding::encode_varint(len, out);
            take(
                buf,
                out,
                usize::try_from(len).map_err(|_| decode_error("too long"))?,
            )?;
        }
        WireType::StartGroup => {
            if depth == 0 {
                return Err(decode_error("recursion limit reached"));
            }
            loop {
                let (inner_tag, inner_wire) = encoding::decode_key(buf)?;
                encoding::encode_key(inner_tag, inner_wire, out);
                if inner_wire == WireType::EndGroup {
                    if inner_tag != tag {
                        return Err(decode_error("unexpected end group tag"));
                    }
                    break;
                }
                copy_field_value(inner_tag, inner_wire, buf, out, depth - 1)?;
            }
        }
        WireType::EndGroup => return Err(decode_error("unexpected end group tag")),
    }
    Ok(())
}

/// Reads one field's value (its key already read) from `buf`, appending it to `out`.
pub(super) fn copy_field(
    tag: u32,
    wire_type: WireType,
    buf: &mut impl Buf,
    out: &mut Vec<u8>,
) -> Result<(), DecodeError> {
    copy_field_value(tag, wire_type, buf, out, 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn empty_options_stay_present() {
        let m = MethodDescriptorProto {
            name: Some("M".into()),
            options: Some(RawOptions::default()),
            ..Default::default()
        };
        assert_eq!(m.encode_to_vec(), b"\x0a\x01M\x22\x00");
    }

    #[test]
    fn raw_options_round_trip_unknown_fields() {
        // map_entry = true, a fixed32, a group holding a varint, then one field 999.
        let bytes =
            b"\x38\x01\x1d\x01\x02\x03\x04\x0b\x08\x05\x0c\xba\x3e\x06\x12\x04\x0a\x00\x10\x00";
        let o = RawOptions::decode(&bytes[..]).unwrap();
        assert_eq!(o.raw, &bytes[..11]);
        assert_eq!(o.uninterpreted.len(), 1);
        assert_eq!(o.encode_to_vec(), bytes);
    }
}
