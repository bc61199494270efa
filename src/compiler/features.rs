//! Editions features: the core `google.protobuf.FeatureSet` fields, resolved as protoc 36.2
//! resolves them. An element's features are its edition's defaults, overridden by what each
//! enclosing scope sets (file, then messages outwards in), then by its own `features` option.
//! proto2 and proto3 files have fixed features (their edition defaults); only editions files
//! may set them.
//!
//! Options are read whether interpreted (the `features` field of the options message) or not
//! yet (`option features.x = Y;` as the parser left it), since features decide how other
//! options are encoded.

use prost::encoding::{decode_varint, WireType};

use super::descriptor::{FileDescriptorProto, RawOptions};
use super::retention::split;

/// `FeatureSet` field numbers.
const FIELD_PRESENCE: u32 = 1;
const ENUM_TYPE: u32 = 2;
const REPEATED_FIELD_ENCODING: u32 = 3;
const UTF8_VALIDATION: u32 = 4;
const MESSAGE_ENCODING: u32 = 5;
const JSON_FORMAT: u32 = 6;
const ENFORCE_NAMING_STYLE: u32 = 7;
const DEFAULT_SYMBOL_VISIBILITY: u32 = 8;

/// The `features` field of each options message.
pub mod features_field {
    pub const FILE: u32 = 50;
    pub const MESSAGE: u32 = 12;
    pub const FIELD: u32 = 21;
    pub const ONEOF: u32 = 1;
    pub const ENUM: u32 = 7;
    pub const ENUM_VALUE: u32 = 2;
}

/// `FeatureSet.FieldPresence`.
pub mod presence {
    pub const EXPLICIT: i32 = 1;
    pub const IMPLICIT: i32 = 2;
    pub const LEGACY_REQUIRED: i32 = 3;
}

/// `FeatureSet.EnumType`.
pub mod enum_type {
    pub const OPEN: i32 = 1;
    pub const CLOSED: i32 = 2;
}

/// `FeatureSet.EnforceNamingStyle`.
pub mod naming {
    pub const STYLE2024: i32 = 1;
    pub const LEGACY: i32 = 2;
    pub const STYLE2026: i32 = 3;
}

/// `FeatureSet.RepeatedFieldEncoding`.
pub mod encoding {
    pub const PACKED: i32 = 1;
    pub const EXPANDED: i32 = 2;
}

/// Resolved core features of one element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Features {
    pub field_presence: i32,
    pub enum_type: i32,
    pub repeated_field_encoding: i32,
    pub utf8_validation: i32,
    pub message_encoding: i32,
    pub json_format: i32,
    /// `EnforceNamingStyle`: STYLE2024 = 1, STYLE_LEGACY = 2, STYLE2026 = 3.
    pub enforce_naming_style: i32,
    /// `VisibilityFeature.DefaultSymbolVisibility`: EXPORT_ALL = 1, EXPORT_TOP_LEVEL = 2,
    /// LOCAL_ALL = 3, STRICT = 4.
    pub default_symbol_visibility: i32,
}

impl Features {
    /// protoc 36.2's defaults for a file's syntax or edition.
    pub fn for_file(file: &FileDescriptorProto) -> Features {
        let legacy = |proto3: bool| Features {
            field_presence: if proto3 {
                presence::IMPLICIT
            } else {
                presence::EXPLICIT
            },
            enum_type: if proto3 {
                enum_type::OPEN
            } else {
                enum_type::CLOSED
            },
            repeated_field_encoding: if proto3 {
                encoding::PACKED
            } else {
                encoding::EXPANDED
            },
            utf8_validation: if proto3 { 2 } else { 3 }, // VERIFY, NONE
            message_encoding: 1,                         // LENGTH_PREFIXED
            json_format: if proto3 { 1 } else { 2 },     // ALLOW, LEGACY_BEST_EFFORT
            enforce_naming_style: naming::LEGACY,
            default_symbol_visibility: 1,
        };
        match file.syntax.as_deref() {
            Some("proto3") => legacy(true),
            Some("editions") => Features {
                field_presence: presence::EXPLICIT,
                enum_type: enum_type::OPEN,
                repeated_field_encoding: encoding::PACKED,
                utf8_validation: 2,
                message_encoding: 1,
                json_format: 1,
                // Edition 2024 (1001) and later check names; 2026 (1002) is STYLE2026.
                enforce_naming_style: match file.edition.unwrap_or(0) {
                    1002.. => naming::STYLE2026,
                    1001 => naming::STYLE2024,
                    _ => naming::LEGACY,
                },
                // EXPORT_ALL before edition 2024, EXPORT_TOP_LEVEL in it, STRICT from 2026.
                default_symbol_visibility: match file.edition.unwrap_or(0) {
                    1002.. => 4,
                    1001 => 2,
                    _ => 1,
                },
            }
            .with(file.options.as_ref(), features_field::FILE),
            _ => legacy(false),
        }
    }

    /// These features overridden by what `options` sets in its `features` field (number
    /// `field` of the options message).
    pub fn with(mut self, options: Option<&RawOptions>, field: u32) -> Features {
        let Some(o) = options else {
            return self;
        };
        for (number, value) in declared(o, field) {
            let slot = match number {
                FIELD_PRESENCE => &mut self.field_presence,
                ENUM_TYPE => &mut self.enum_type,
                REPEATED_FIELD_ENCODING => &mut self.repeated_field_encoding,
                UTF8_VALIDATION => &mut self.utf8_validation,
                MESSAGE_ENCODING => &mut self.message_encoding,
                JSON_FORMAT => &mut self.json_format,
                ENFORCE_NAMING_STYLE => &mut self.enforce_naming_style,
                DEFAULT_SYMBOL_VISIBILITY => &mut self.default_symbol_visibility,
                _ => continue,
            };
            *slot = value;
        }
        self
    }

    pub fn packed(&self) -> bool {
        self.repeated_field_encoding == encoding::PACKED
    }
}

/// Resolved features of the element at `path` in `file` (a message, field, extension, oneof or
/// enum; paths as in `SourceCodeInfo`): every enclosing scope applied, then its own. `None` if
/// the path names nothing.
pub fn at_path(file: &FileDescriptorProto, path: &[i32]) -> Option<Features> {
    use super::descriptor::DescriptorProto;
    let mut f = Features::for_file(file);
    let mut message: Option<&DescriptorProto> = None;
    let mut rest = path;
    while let [kind, index, tail @ ..] = rest {
        let i = usize::try_from(*index).ok()?;
        match (message, *kind) {
            (None, 4) | (Some(_), 3) => {
                let m = match message {
                    None => file.message_type.get(i)?,
                    Some(parent) => parent.nested_type.get(i)?,
                };
                f = f.with(m.options.as_ref(), features_field::MESSAGE);
                message = Some(m);
            }
            (None, 5) | (Some(_), 4) => {
                let e = match message {
                    None => file.enum_type.get(i)?,
                    Some(parent) => parent.enum_type.get(i)?,
                };
                return tail
                    .is_empty()
                    .then(|| f.with(e.options.as_ref(), features_field::ENUM));
            }
            (Some(m), 2) => {
                let field = m.field.get(i)?;
                if let Some(o) = field.oneof_index {
                    let oneof = m.oneof_decl.get(usize::try_from(o).ok()?)?;
                    f = f.with(oneof.options.as_ref(), features_field::ONEOF);
                }
                return tail
                    .is_empty()
                    .then(|| f.with(field.options.as_ref(), features_field::FIELD));
            }
            (Some(_), 6) | (None, 7) => {
                let x = match message {
                    None => file.extension.get(i)?,
                    Some(m) => m.extension.get(i)?,
                };
                return tail
                    .is_empty()
                    .then(|| f.with(x.options.as_ref(), features_field::FIELD));
            }
            (Some(m), 8) => {
                let oneof = m.oneof_decl.get(i)?;
                return tail
                    .is_empty()
                    .then(|| f.with(oneof.options.as_ref(), features_field::ONEOF));
            }
            _ => return None,
        }
        rest = tail;
    }
    Some(f)
}

/// Resolved features of the enum named `full_name` (no leading '.') defined in `file`.
pub fn of_enum(file: &FileDescriptorProto, full_name: &str) -> Option<Features> {
    let path = path_of_type(file, full_name)?;
    at_path(file, &path)
}

/// The `SourceCodeInfo` path of the message or enum named `full_name` in `file`.
pub fn path_of_type(file: &FileDescriptorProto, full_name: &str) -> Option<Vec<i32>> {
    let local = match file.package() {
        "" => full_name,
        p => full_name.strip_prefix(p)?.strip_prefix('.')?,
    };
    let parts: Vec<&str> = local.split('.').collect();
    let (last, scopes) = parts.split_last()?;
    let mut path = Vec::new();
    let mut message: Option<&super::descriptor::DescriptorProto> = None;
    for part in scopes {
        let (kind, list) = match message {
            None => (4, &file.message_type),
            Some(m) => (3, &m.nested_type),
        };
        let i = list.iter().position(|m| m.name() == *part)?;
        path.extend([kind, i as i32]);
        message = Some(&list[i]);
    }
    let (enum_kind, enums, msg_kind, messages) = match message {
        None => (5, &file.enum_type, 4, &file.message_type),
        Some(m) => (4, &m.enum_type, 3, &m.nested_type),
    };
    if let Some(i) = enums.iter().position(|e| e.name() == *last) {
        path.extend([enum_kind, i as i32]);
    } else {
        let i = messages.iter().position(|m| m.name() == *last)?;
        path.extend([msg_kind, i as i32]);
    }
    Some(path)
}

/// protoc's visibility of the message or enum `full_name` defined in `file`, seen from another
/// file: `Ok(())` if exported, else the reason it is local (the tail of protoc's message).
pub fn visibility(file: &FileDescriptorProto, full_name: &str) -> Result<(), String> {
    let Some(path) = path_of_type(file, full_name) else {
        return Ok(());
    };
    let keyword = element_visibility(file, &path);
    match keyword {
        Some(2) => return Ok(()),
        Some(1) => return Err("It is explicitly marked 'local'".into()),
        _ => {}
    }
    let Some(f) = at_path(file, &path) else {
        return Ok(());
    };
    let nested = path.len() > 2;
    let local = match f.default_symbol_visibility {
        2 => nested,
        3 | 4 => true,
        _ => false,
    };
    if !local {
        return Ok(());
    }
    let name = match f.default_symbol_visibility {
        2 => "EXPORT_TOP_LEVEL",
        3 => "LOCAL_ALL",
        _ => "STRICT",
    };
    Err(format!(
        "It defaulted to local from file-level 'option features.default_symbol_visibility = '{name}';"
    ))
}

/// The `export`/`local` keyword (DescriptorProto.visibility, EnumDescriptorProto.visibility)
/// of the message or enum at `path`.
fn element_visibility(file: &FileDescriptorProto, path: &[i32]) -> Option<i32> {
    use super::descriptor::DescriptorProto;
    let mut message: Option<&DescriptorProto> = None;
    let mut rest = path;
    while let [kind, index, tail @ ..] = rest {
        let i = usize::try_from(*index).ok()?;
        match (message, *kind) {
            (None, 4) => message = Some(file.message_type.get(i)?),
            (Some(m), 3) => message = Some(m.nested_type.get(i)?),
            (None, 5) => return file.enum_type.get(i)?.visibility,
            (Some(m), 4) => return m.enum_type.get(i)?.visibility,
            _ => return None,
        }
        rest = tail;
    }
    message?.visibility
}

/// The core features an element sets itself (its own `features` option), each `None` if unset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Own {
    pub field_presence: Option<i32>,
    pub repeated_field_encoding: Option<i32>,
    pub utf8_validation: Option<i32>,
    pub message_encoding: Option<i32>,
}

impl Own {
    pub fn of(options: Option<&RawOptions>, field: u32) -> Own {
        let mut own = Own::default();
        for (number, value) in options.map(|o| declared(o, field)).unwrap_or_default() {
            match number {
                FIELD_PRESENCE => own.field_presence = Some(value),
                REPEATED_FIELD_ENCODING => own.repeated_field_encoding = Some(value),
                UTF8_VALIDATION => own.utf8_validation = Some(value),
                MESSAGE_ENCODING => own.message_encoding = Some(value),
                _ => {}
            }
        }
        own
    }
}

/// The core features `options` sets, in order: (FeatureSet field number, enum value).
fn declared(options: &RawOptions, field: u32) -> Vec<(u32, i32)> {
    let mut out = Vec::new();
    // Interpreted: `features` is a FeatureSet message in the raw bytes.
    if let Some(body) = message_field(&options.raw, field) {
        out.extend(varint_fields(&body).into_iter().map(|(n, v)| (n, v as i32)));
    }
    // Not yet interpreted: `features.NAME = IDENT`.
    for u in &options.uninterpreted {
        let [first, second] = &u.name[..] else {
            continue;
        };
        if first.is_extension || second.is_extension || first.name_part != "features" {
            continue;
        }
        let Some(ident) = u.identifier_value.as_deref() else {
            continue;
        };
        if let Some((number, value)) = by_name(&second.name_part, ident) {
            out.push((number, value));
        }
    }
    out
}

/// The last value of varint field `number` in serialized message `raw`, if present.
pub fn varint_field(raw: &[u8], number: u32) -> Option<u64> {
    varint_fields(raw)
        .into_iter()
        .rev()
        .find(|(n, _)| *n == number)
        .map(|(_, v)| v)
}

/// The contents of length-delimited field `number` of serialized message `raw`, every
/// occurrence concatenated (a singular message given twice merges), if present.
pub fn message_field(raw: &[u8], number: u32) -> Option<Vec<u8>> {
    let fields = split(raw).unwrap_or_default();
    let mut found = fields
        .iter()
        .filter(|f| f.number as u32 == number && f.wire == WireType::LengthDelimited)
        .peekable();
    found.peek()?;
    Some(found.flat_map(|f| f.payload.iter().copied()).collect())
}

/// Every varint field of serialized message `raw`: (number, value), in order.
pub fn varint_fields(raw: &[u8]) -> Vec<(u32, u64)> {
    split(raw)
        .unwrap_or_default()
        .iter()
        .filter(|f| f.wire == WireType::Varint)
        .filter_map(|f| Some((f.number as u32, decode_varint(&mut f.value()).ok()?)))
        .collect()
}

/// The field numbers present in serialized message `raw`, in order.
pub fn field_numbers(raw: &[u8]) -> Vec<u32> {
    split(raw)
        .unwrap_or_default()
        .iter()
        .map(|f| f.number as u32)
        .collect()
}

/// A core feature set by name, as written in `option features.NAME = VALUE;`.
fn by_name(feature: &str, value: &str) -> Option<(u32, i32)> {
    let number = match feature {
        "field_presence" => FIELD_PRESENCE,
        "enum_type" => ENUM_TYPE,
        "repeated_field_encoding" => REPEATED_FIELD_ENCODING,
        "utf8_validation" => UTF8_VALIDATION,
        "message_encoding" => MESSAGE_ENCODING,
        "json_format" => JSON_FORMAT,
        "enforce_naming_style" => ENFORCE_NAMING_STYLE,
        "default_symbol_visibility" => DEFAULT_SYMBOL_VISIBILITY,
        _ => return None,
    };
    let value = match value {
        "EXPLICIT" | "OPEN" | "PACKED" | "LENGTH_PREFIXED" | "ALLOW" | "STYLE2024" => 1,
        "IMPLICIT" | "CLOSED" | "EXPANDED" | "VERIFY" | "DELIMITED" | "LEGACY_BEST_EFFORT"
        | "STYLE_LEGACY" => 2,
        "LEGACY_REQUIRED" | "NONE" | "STYLE2026" | "LOCAL_ALL" => 3,
        "EXPORT_ALL" => 1,
        "EXPORT_TOP_LEVEL" => 2,
        "STRICT" => 4,
        _ => return None,
    };
    Some((number, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(src: &str) -> FileDescriptorProto {
        let ast = super::super::parse("f.proto", src.as_bytes()).unwrap();
        super::super::build::build(&ast).0
    }

    #[test]
    fn defaults_follow_syntax_and_edition() {
        let p2 = Features::for_file(&file("syntax = \"proto2\";"));
        let p3 = Features::for_file(&file("syntax = \"proto3\";"));
        let e = Features::for_file(&file("edition = \"2023\";"));
        assert!(!p2.packed() && p3.packed() && e.packed());
        assert_eq!(p2.enum_type, enum_type::CLOSED);
        assert_eq!(p3.field_presence, presence::IMPLICIT);
        assert_eq!(e.field_presence, presence::EXPLICIT);
    }

    #[test]
    fn scopes_override_uninterpreted_features() {
        let f = file(
            "edition = \"2023\";\noption features.repeated_field_encoding = EXPANDED;\n\
             message M { option features.field_presence = IMPLICIT; }",
        );
        let top = Features::for_file(&f);
        assert!(!top.packed());
        let m = top.with(f.message_type[0].options.as_ref(), features_field::MESSAGE);
        assert_eq!(m.field_presence, presence::IMPLICIT);
        assert!(!m.packed());
    }
}
