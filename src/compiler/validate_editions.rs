//! protoc's `ValidateFieldFeatures`: the rules an editions file's fields must follow once their
//! features are resolved (implicit presence has no defaults and no closed enums, features a
//! field sets itself must make sense for it). proto2 and proto3 files keep their own rules
//! (`validate_options`).

use super::descriptor::{field_type, label, FieldDescriptorProto, FileDescriptorProto};
use super::features::{self, encoding, enum_type, features_field, presence, Own};
use super::link::Pool;
use super::options::{self, Def};

/// `FieldOptions.packed`.
const FIELD_PACKED: u32 = 2;
/// `MessageOptions.map_entry`.
const MESSAGE_MAP_ENTRY: u32 = 7;

/// The errors for the field or extension `f` at `path` of `file` (each reported at the field's
/// name), in protoc's order. `map_entry`: `f` belongs to a generated map entry message.
pub(super) fn field(
    pool: &Pool,
    file: &FileDescriptorProto,
    f: &FieldDescriptorProto,
    path: &[i32],
    map_entry: bool,
) -> Vec<String> {
    let mut errors = Vec::new();
    if file.syntax.as_deref() != Some("editions") {
        return errors;
    }
    let Some(resolved) = features::at_path(file, path) else {
        return errors;
    };
    let own = Own::of(f.options.as_ref(), features_field::FIELD);
    let repeated = f.label == Some(label::REPEATED);
    let kind = f.r#type.unwrap_or(0);
    let message = matches!(kind, field_type::MESSAGE | field_type::GROUP);
    let extension = f.extendee.is_some();
    let in_oneof = f.oneof_index.is_some();

    if raw_varint(f, FIELD_PACKED).is_some() {
        errors.push(
            "Field option packed is not allowed under editions.  Use the \
             repeated_field_encoding feature to control this behavior."
                .into(),
        );
    }
    let has_presence = !repeated
        && (message || extension || in_oneof || resolved.field_presence != presence::IMPLICIT);
    if !repeated && !has_presence {
        if f.default_value.is_some() {
            errors.push("Implicit presence fields can't specify defaults.".into());
        }
        if kind == field_type::ENUM && enum_closed(pool, file, f.type_name()) {
            errors.push("Implicit presence enum fields must always be open.".into());
        }
    }
    if extension && resolved.field_presence == presence::LEGACY_REQUIRED {
        errors.push("Extensions can't be required.".into());
    }
    if map_entry {
        // protoc skips the features it copied onto a map's entry fields.
        return errors;
    }
    if let Some(p) = own.field_presence {
        if in_oneof {
            errors.push("Oneof fields can't specify field presence.".into());
        } else if repeated {
            errors.push("Repeated fields can't specify field presence.".into());
        } else if extension && p != presence::LEGACY_REQUIRED {
            errors.push("Extensions can't specify field presence.".into());
        } else if message && p == presence::IMPLICIT {
            errors.push("Message fields can't specify implicit presence.".into());
        }
    }
    if !repeated && own.repeated_field_encoding.is_some() {
        errors.push("Only repeated fields can specify repeated field encoding.".into());
    }
    let map = message && map_entry_type(pool, file, f.type_name());
    let string_map = map && map_has_string(pool, file, f.type_name());
    if kind != field_type::STRING && !string_map && own.utf8_validation.is_some() {
        errors.push("Only string fields can specify utf8 validation.".into());
    }
    let packable = repeated
        && !matches!(
            kind,
            field_type::STRING | field_type::MESSAGE | field_type::GROUP | 12
        );
    if !packable && own.repeated_field_encoding == Some(encoding::PACKED) {
        errors.push(
            "Only repeated primitive fields can specify PACKED repeated field encoding.".into(),
        );
    }
    if (!message || map) && own.message_encoding.is_some() {
        errors.push("Only message fields can specify message encoding.".into());
    }
    errors
}

/// Whether the enum `type_name` (leading '.') is closed, wherever it is defined.
pub(super) fn enum_closed(pool: &Pool, file: &FileDescriptorProto, type_name: &str) -> bool {
    let name = type_name.trim_start_matches('.');
    let defining = match features::of_enum(file, name) {
        Some(f) => Some(f),
        None => pool
            .defining_file(name)
            .and_then(|d| features::of_enum(d, name)),
    };
    defining.is_some_and(|f| f.enum_type == enum_type::CLOSED)
}

fn message_def<'p>(
    pool: &'p Pool,
    file: &'p FileDescriptorProto,
    type_name: &str,
) -> Option<std::sync::Arc<super::descriptor::DescriptorProto>> {
    let name = type_name.trim_start_matches('.');
    if let Some(Def::Msg(m, _)) = pool.defs().get(name) {
        return Some(m.clone());
    }
    let mut local = options::Defs::new();
    options::index_file(file, &mut local);
    match local.get(name) {
        Some(Def::Msg(m, _)) => Some(m.clone()),
        _ => None,
    }
}

fn map_entry_type(pool: &Pool, file: &FileDescriptorProto, type_name: &str) -> bool {
    message_def(pool, file, type_name).is_some_and(|m| {
        m.options
            .as_ref()
            .is_some_and(|o| features::varint_field(&o.raw, MESSAGE_MAP_ENTRY) == Some(1))
    })
}

fn map_has_string(pool: &Pool, file: &FileDescriptorProto, type_name: &str) -> bool {
    message_def(pool, file, type_name)
        .is_some_and(|m| m.field.iter().any(|f| f.r#type == Some(field_type::STRING)))
}

fn raw_varint(f: &FieldDescriptorProto, number: u32) -> Option<u64> {
    f.options
        .as_ref()
        .and_then(|o| features::varint_field(&o.raw, number))
}
