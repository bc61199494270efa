//! The types `--decode` and `--encode` work with: every message, enum and extension of a set of
//! files, with what the wire and text formats need resolved once (packed-ness, DELIMITED
//! messages, closed enums, presence, group-like names), as protoc's `DescriptorPool` knows them.

use std::collections::HashMap;

use crate::compiler::descriptor::{DescriptorProto, FieldDescriptorProto, FileDescriptorProto};
use crate::compiler::features::{self, Features};

/// `FieldDescriptorProto.Type` values the codec distinguishes.
pub mod ty {
    pub const DOUBLE: i32 = 1;
    pub const FLOAT: i32 = 2;
    pub const INT64: i32 = 3;
    pub const UINT64: i32 = 4;
    pub const INT32: i32 = 5;
    pub const FIXED64: i32 = 6;
    pub const FIXED32: i32 = 7;
    pub const BOOL: i32 = 8;
    pub const STRING: i32 = 9;
    pub const GROUP: i32 = 10;
    pub const MESSAGE: i32 = 11;
    pub const BYTES: i32 = 12;
    pub const UINT32: i32 = 13;
    pub const ENUM: i32 = 14;
    pub const SFIXED32: i32 = 15;
    pub const SFIXED64: i32 = 16;
    pub const SINT32: i32 = 17;
    pub const SINT64: i32 = 18;
}

/// One field or extension, resolved.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    /// `pkg.Msg.name`; for an extension, the name printed in `[...]`.
    pub full_name: String,
    pub number: u32,
    /// The type as the wire sees it: a DELIMITED message is a `GROUP`.
    pub ty: i32,
    /// The message or enum type's full name (no leading '.'), empty for scalars.
    pub type_name: String,
    pub repeated: bool,
    pub required: bool,
    /// Whether a singular field tracks presence (else zero values are "not set").
    pub presence: bool,
    /// Whether a repeated scalar field is serialized packed.
    pub packed: bool,
    /// The oneof it belongs to (index in its message), synthetic ones included.
    pub oneof: Option<i32>,
    /// Whether a string field's bytes must be UTF-8 (proto3, or editions' VERIFY).
    pub verify_utf8: bool,
    /// Text format names a group-like field by its type's name (`OptionalGroup { }`).
    pub group_like: bool,
    pub is_extension: bool,
    /// An extension's extendee (full name, no leading '.'); empty for a field.
    pub extendee: String,
    /// `[deprecated = true]`: the text parser warns when it reads the field.
    pub deprecated: bool,
    /// An enum field whose unknown numbers go to the unknown fields: its enum is closed, or
    /// the field is in a proto2 file (C++'s `legacy_closed_enum`).
    pub closed_enum: bool,
}

impl Field {
    pub fn is_message(&self) -> bool {
        self.ty == ty::MESSAGE || self.ty == ty::GROUP
    }

    /// Whether the scalar type can be packed (everything but strings, bytes and messages).
    pub fn packable(&self) -> bool {
        !matches!(self.ty, ty::STRING | ty::BYTES | ty::MESSAGE | ty::GROUP)
    }
}

/// One message type.
#[derive(Debug, Default)]
pub struct MessageType {
    pub full_name: String,
    /// Fields in declaration order (protoc's field index).
    pub fields: Vec<Field>,
    pub map_entry: bool,
    /// `option message_set_wire_format = true`: extensions travel as items of group 1.
    pub message_set: bool,
    pub extension_ranges: Vec<(u32, u32)>,
    /// Oneof names by index (synthetic ones included).
    pub oneofs: Vec<String>,
    /// `reserved "name";`: the text parser skips such a field's value.
    pub reserved_names: Vec<String>,
    by_number: HashMap<u32, usize>,
    by_name: HashMap<String, usize>,
}

impl MessageType {
    pub fn field_by_number(&self, number: u32) -> Option<&Field> {
        self.by_number.get(&number).map(|&i| &self.fields[i])
    }

    pub fn field_by_name(&self, name: &str) -> Option<&Field> {
        self.by_name.get(name).map(|&i| &self.fields[i])
    }

    /// `google.protobuf.Any` as the text format recognizes it (`GetAnyFieldDescriptors`):
    /// its name, with a string `type_url = 1` and a bytes `value = 2`.
    pub fn is_any(&self) -> bool {
        self.full_name == "google.protobuf.Any"
            && self
                .field_by_number(1)
                .is_some_and(|f| f.ty == ty::STRING && !f.repeated)
            && self
                .field_by_number(2)
                .is_some_and(|f| f.ty == ty::BYTES && !f.repeated)
    }

    pub fn is_extension_number(&self, number: u32) -> bool {
        self.extension_ranges
            .iter()
            .any(|&(start, end)| number >= start && number < end)
    }
}

/// One enum type.
#[derive(Debug, Default)]
pub struct EnumType {
    /// Values in declaration order: protoc prints the first name of a number.
    pub values: Vec<(String, i32)>,
    pub closed: bool,
}

impl EnumType {
    pub fn name_of(&self, number: i32) -> Option<&str> {
        self.values
            .iter()
            .find(|(_, n)| *n == number)
            .map(|(name, _)| name.as_str())
    }

    pub fn number_of(&self, name: &str) -> Option<i32> {
        self.values.iter().find(|(n, _)| n == name).map(|&(_, v)| v)
    }
}

/// Every type of a set of files.
#[derive(Debug, Default)]
pub struct Schema {
    messages: HashMap<String, MessageType>,
    enums: HashMap<String, EnumType>,
    /// (extendee, number) -> extension.
    extensions: HashMap<(String, u32), Field>,
    /// Extension full name -> extendee.
    extension_names: HashMap<String, (String, u32)>,
}

impl Schema {
    /// The types of `files`; the first definition of a name wins, as in protoc's pool.
    pub fn new<'a>(files: impl IntoIterator<Item = &'a FileDescriptorProto>) -> Schema {
        let files: Vec<&FileDescriptorProto> = files.into_iter().collect();
        let mut schema = Schema::default();
        // Enums first: a field needs to know whether its enum is closed.
        for file in &files {
            let prefix = file.package().to_string();
            collect_enums(file, &prefix, &file.enum_type, &[], &mut schema);
            for (i, m) in file.message_type.iter().enumerate() {
                walk_enums(file, &prefix, m, vec![4, i as i32], &mut schema);
            }
        }
        for file in &files {
            let prefix = file.package().to_string();
            for (i, m) in file.message_type.iter().enumerate() {
                walk_message(file, &prefix, m, vec![4, i as i32], &mut schema);
            }
            for (i, x) in file.extension.iter().enumerate() {
                let field = resolve_field(file, &prefix, x, &[7, i as i32], &schema);
                schema.add_extension(x, field);
            }
        }
        schema
    }

    pub fn message(&self, full_name: &str) -> Option<&MessageType> {
        self.messages.get(full_name)
    }

    pub fn enum_type(&self, full_name: &str) -> Option<&EnumType> {
        self.enums.get(full_name)
    }

    pub fn extension(&self, extendee: &str, number: u32) -> Option<&Field> {
        self.extensions.get(&(extendee.to_string(), number))
    }

    pub fn extension_by_name(&self, full_name: &str) -> Option<(&str, &Field)> {
        let key = self.extension_names.get(full_name)?;
        Some((key.0.as_str(), self.extensions.get(key)?))
    }

    /// A known field of `message` or one of its extensions.
    pub fn field<'a>(&'a self, message: &'a MessageType, number: u32) -> Option<&'a Field> {
        message.field_by_number(number).or_else(|| {
            if message.is_extension_number(number) {
                self.extension(&message.full_name, number)
            } else {
                None
            }
        })
    }

    /// Whether `field` is an extension written as a MessageSet item: a singular message
    /// extension of a MessageSet (`InternalSerializeMessageSetItem`).
    pub fn is_message_set_item(&self, field: &Field) -> bool {
        field.is_extension
            && field.is_message()
            && !field.repeated
            && self.message(&field.extendee).is_some_and(|m| m.message_set)
    }

    /// Whether the text format names extension `field` by its message type (`[pkg.Type]`): an
    /// optional message extension of a MessageSet declared inside its own type.
    pub fn named_by_type(&self, field: &Field) -> bool {
        field.is_extension
            && field.ty == ty::MESSAGE
            && !field.required
            && !field.repeated
            && scope_of(&field.full_name) == field.type_name
            && self.message(&field.extendee).is_some_and(|m| m.message_set)
    }

    /// The extension of MessageSet `extendee` that the text format names `[type_name]`.
    pub fn message_set_extension(&self, extendee: &str, type_name: &str) -> Option<&Field> {
        self.extensions
            .iter()
            .filter(|((e, _), f)| {
                e == extendee && f.type_name == type_name && self.named_by_type(f)
            })
            .min_by_key(|((_, n), _)| *n)
            .map(|(_, f)| f)
    }

    fn add_extension(&mut self, proto: &FieldDescriptorProto, field: Field) {
        let extendee = proto.extendee().trim_start_matches('.').to_string();
        let key = (extendee, field.number);
        if self.extensions.contains_key(&key) {
            return;
        }
        self.extension_names
            .entry(field.full_name.clone())
            .or_insert_with(|| key.clone());
        self.extensions.insert(key, field);
    }
}

fn scope_of(full_name: &str) -> &str {
    full_name.rsplit_once('.').map_or("", |(scope, _)| scope)
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn collect_enums(
    file: &FileDescriptorProto,
    prefix: &str,
    enums: &[crate::compiler::descriptor::EnumDescriptorProto],
    scope: &[i32],
    schema: &mut Schema,
) {
    for (i, e) in enums.iter().enumerate() {
        let mut path = scope.to_vec();
        path.extend([if scope.is_empty() { 5 } else { 4 }, i as i32]);
        let closed = features::at_path(file, &path)
            .is_some_and(|f| f.enum_type == features::enum_type::CLOSED);
        let values = e
            .value
            .iter()
            .map(|v| (v.name().to_string(), v.number()))
            .collect();
        schema
            .enums
            .entry(join(prefix, e.name()))
            .or_insert(EnumType { values, closed });
    }
}

fn walk_enums(
    file: &FileDescriptorProto,
    prefix: &str,
    m: &DescriptorProto,
    path: Vec<i32>,
    schema: &mut Schema,
) {
    let name = join(prefix, m.name());
    collect_enums(file, &name, &m.enum_type, &path, schema);
    for (i, nested) in m.nested_type.iter().enumerate() {
        let mut p = path.clone();
        p.extend([3, i as i32]);
        walk_enums(file, &name, nested, p, schema);
    }
}

fn walk_message(
    file: &FileDescriptorProto,
    prefix: &str,
    m: &DescriptorProto,
    path: Vec<i32>,
    schema: &mut Schema,
) {
    let full_name = join(prefix, m.name());
    let mut message = MessageType {
        full_name: full_name.clone(),
        map_entry: m
            .options
            .as_ref()
            .and_then(|o| features::varint_field(&o.raw, 7))
            .is_some_and(|v| v != 0),
        message_set: m
            .options
            .as_ref()
            .and_then(|o| features::varint_field(&o.raw, 1))
            .is_some_and(|v| v != 0),
        extension_ranges: m
            .extension_range
            .iter()
            .map(|r| (r.start.unwrap_or(0) as u32, r.end.unwrap_or(0) as u32))
            .collect(),
        oneofs: m.oneof_decl.iter().map(|o| o.name().to_string()).collect(),
        reserved_names: m
            .reserved_name
            .iter()
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .collect(),
        ..MessageType::default()
    };
    for (i, f) in m.field.iter().enumerate() {
        let mut p = path.clone();
        p.extend([2, i as i32]);
        let field = resolve_field(file, &full_name, f, &p, schema);
        message.by_number.entry(field.number).or_insert(i);
        message.by_name.entry(field.name.clone()).or_insert(i);
        message.fields.push(field);
    }
    for (i, x) in m.extension.iter().enumerate() {
        let mut p = path.clone();
        p.extend([6, i as i32]);
        let field = resolve_field(file, &full_name, x, &p, schema);
        schema.add_extension(x, field);
    }
    for (i, nested) in m.nested_type.iter().enumerate() {
        let mut p = path.clone();
        p.extend([3, i as i32]);
        walk_message(file, &full_name, nested, p, schema);
    }
    schema.messages.entry(full_name).or_insert(message);
}

/// One field as the codec needs it. `scope` is the full name of the message (or package) it is
/// declared in.
fn resolve_field(
    file: &FileDescriptorProto,
    scope: &str,
    f: &FieldDescriptorProto,
    path: &[i32],
    schema: &Schema,
) -> Field {
    let editions = file.syntax.as_deref() == Some("editions");
    let proto3 = file.syntax.as_deref() == Some("proto3");
    let resolved = features::at_path(file, path).unwrap_or_else(|| Features::for_file(file));
    let type_name = f.type_name().trim_start_matches('.').to_string();
    let mut ty = f.r#type.unwrap_or(0);
    if ty == ty::MESSAGE && editions && resolved.message_encoding == 2 {
        ty = ty::GROUP;
    }
    let repeated = f.label == Some(3);
    let is_extension = f.extendee.is_some();
    let message_like = ty == ty::MESSAGE || ty == ty::GROUP;
    let presence = message_like
        || is_extension
        || f.oneof_index.is_some()
        || if editions {
            resolved.field_presence != features::presence::IMPLICIT
        } else {
            !proto3
        };
    let required = f.label == Some(2)
        || (editions && resolved.field_presence == features::presence::LEGACY_REQUIRED);
    let explicit_packed = f
        .options
        .as_ref()
        .and_then(|o| features::varint_field(&o.raw, 2))
        .map(|v| v != 0);
    let packed = if editions {
        resolved.packed()
    } else {
        explicit_packed.unwrap_or(proto3)
    };
    let verify_utf8 = ty == ty::STRING && resolved.utf8_validation == 2;
    let group_like = ty == ty::GROUP && is_group_like(f, &type_name, scope);
    let deprecated = f
        .options
        .as_ref()
        .and_then(|o| features::varint_field(&o.raw, 3))
        .is_some_and(|v| v != 0);
    let closed_enum = ty == ty::ENUM
        && ((!editions && !proto3) || schema.enum_type(&type_name).is_some_and(|e| e.closed));
    Field {
        name: f.name().to_string(),
        full_name: join(scope, f.name()),
        number: f.number() as u32,
        ty,
        type_name,
        repeated,
        required,
        presence: presence && !repeated,
        packed,
        oneof: f.oneof_index,
        verify_utf8,
        group_like,
        is_extension,
        extendee: f.extendee().trim_start_matches('.').to_string(),
        deprecated,
        closed_enum,
    }
}

/// protoc's `IsGroupLike`: a group-typed field whose type is its lower-cased name, declared
/// beside it (same file, same scope).
fn is_group_like(f: &FieldDescriptorProto, type_name: &str, scope: &str) -> bool {
    let (type_scope, type_simple) = type_name.rsplit_once('.').unwrap_or(("", type_name));
    type_simple.to_ascii_lowercase() == f.name() && type_scope == scope
}
