//! protoc's `ValidateFieldFeatures`: the rules an editions file's fields must follow once their
//! features are resolved (implicit presence has no defaults and no closed enums, features a
//! field sets itself must make sense for it). proto2 and proto3 files keep their own rules
//! (`validate_options`).

use super::descriptor::{field_type, label, FieldDescriptorProto, FileDescriptorProto};
use super::features::{self, encoding, enum_type, features_field, presence, Own};
use super::link::Pool;
use super::options::{self, Def};
use super::retention::lifetime;

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
    let mut local = options::Defs::default();
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

/// `FieldOptions.feature_support` and `EnumValueOptions.feature_support`.
const FIELD_FEATURE_SUPPORT: i32 = 22;
const ENUM_VALUE_FEATURE_SUPPORT: i32 = 4;

/// protoc's `ValidateFieldFeatureSupport`: the field's own support window, then, for an enum
/// field with one, each value's window merged over it. `full_name` without a leading '.'.
pub(super) fn field_feature_support(
    pool: &Pool,
    file: &FileDescriptorProto,
    f: &FieldDescriptorProto,
    full_name: &str,
) -> Option<String> {
    let parent = lifetime(f.options.as_ref(), FIELD_FEATURE_SUPPORT);
    if let Some(e) = parent.as_ref().and_then(|p| p.definition_error(full_name)) {
        return Some(e);
    }
    let parent = parent?;
    if f.r#type != Some(field_type::ENUM) {
        return None;
    }
    let name = f.type_name().trim_start_matches('.');
    let enumeration = match pool.defs().get(name) {
        Some(Def::Enum(e)) => e.clone(),
        _ => {
            let mut local = options::Defs::default();
            options::index_file(file, &mut local);
            match local.get(name) {
                Some(Def::Enum(e)) => e.clone(),
                _ => return None,
            }
        }
    };
    let scope = name.rsplit_once('.').map_or("", |(s, _)| s);
    for v in &enumeration.value {
        let Some(o) = &v.options else { continue };
        let Some(body) = features::message_field(&o.raw, ENUM_VALUE_FEATURE_SUPPORT as u32) else {
            continue;
        };
        let value_name = if scope.is_empty() {
            v.name().to_string()
        } else {
            format!("{scope}.{}", v.name())
        };
        let merged = parent.clone().merged(&body);
        if let Some(e) = merged.definition_error(&value_name) {
            return Some(e);
        }
        if merged.introduced.unwrap_or(0) < parent.introduced.unwrap_or(0) {
            return Some(format!(
                "value {value_name} was introduced before {full_name} was."
            ));
        }
        if parent.removed.is_some() && merged.removed > parent.removed {
            return Some(format!(
                "value {value_name} was removed after {full_name} was."
            ));
        }
        if parent.deprecated.is_some() && merged.deprecated > parent.deprecated {
            return Some(format!(
                "value {value_name} was deprecated after {full_name} was."
            ));
        }
    }
    None
}

/// protoc's check of an enum value's own support window (`full_name` of the value: the enum's
/// scope, then its name).
pub(super) fn enum_value_feature_support(
    v: &super::descriptor::EnumValueDescriptorProto,
    full_name: &str,
) -> Option<String> {
    lifetime(v.options.as_ref(), ENUM_VALUE_FEATURE_SUPPORT)?.definition_error(full_name)
}

/// Reports one name's style check: (element path, element kind, name, result).
type Report<'r> = &'r mut dyn FnMut(&[i32], &str, &str, Result<(), &str>);

/// protoc's naming-style check (edition 2024's `enforce_naming_style = STYLE2024`), run when
/// the file has no other error: every element whose resolved style is not `STYLE_LEGACY`, in
/// protoc's visiting order. Returns (path of the name, message).
pub(super) fn naming_style(file: &FileDescriptorProto) -> Vec<(Vec<i32>, String)> {
    use super::descriptor::{DescriptorProto, EnumDescriptorProto};
    const OPT_OUT: &str =
        " (features.enforce_naming_style = STYLE_LEGACY can be used to opt out of this check)";
    let mut out = Vec::new();
    let checked = |path: &[i32]| {
        features::at_path(file, path)
            .is_some_and(|f| f.enforce_naming_style != features::naming::LEGACY)
    };
    if !file.package().is_empty() && checked(&[]) {
        if let Err(why) = lower_snake(file.package()) {
            out.push((
                vec![2],
                format!("Package name {} {why}{OPT_OUT}", file.package()),
            ));
        }
    }
    let mut report = |path: &[i32], what: &str, name: &str, result: Result<(), &str>| {
        if let Err(why) = result {
            // protoc has no position for a oneof's name here.
            let p = if what == "Oneof" {
                vec![-1]
            } else {
                [path, &[1]].concat()
            };
            out.push((p, format!("{what} name {name} {why}{OPT_OUT}")));
        }
    };
    fn enumeration(
        e: &EnumDescriptorProto,
        p: &[i32],
        checked: &dyn Fn(&[i32]) -> bool,
        report: Report<'_>,
    ) {
        if checked(p) {
            report(p, "Enum", e.name(), title_case(e.name()));
        }
        for (i, v) in e.value.iter().enumerate() {
            let vp = [p, &[2, i as i32]].concat();
            // Enum values take their enum's style (and their own features).
            if checked(p) {
                report(&vp, "Enum value", v.name(), upper_snake(v.name()));
            }
        }
    }
    fn message(
        m: &DescriptorProto,
        p: &[i32],
        checked: &dyn Fn(&[i32]) -> bool,
        report: Report<'_>,
    ) {
        if checked(p) {
            report(p, "Message", m.name(), title_case(m.name()));
        }
        for (i, e) in m.enum_type.iter().enumerate() {
            enumeration(e, &[p, &[4, i as i32]].concat(), checked, report);
        }
        for (i, o) in m.oneof_decl.iter().enumerate() {
            let op = [p, &[8, i as i32]].concat();
            if checked(&op) {
                report(&op, "Oneof", o.name(), lower_snake(o.name()));
            }
        }
        for (i, f) in m.field.iter().enumerate() {
            let fp = [p, &[2, i as i32]].concat();
            if checked(&fp) {
                report(&fp, "Field", f.name(), lower_snake(f.name()));
            }
        }
        for (i, n) in m.nested_type.iter().enumerate() {
            message(n, &[p, &[3, i as i32]].concat(), checked, report);
        }
        for (i, f) in m.extension.iter().enumerate() {
            let fp = [p, &[6, i as i32]].concat();
            if checked(&fp) {
                report(&fp, "Field", f.name(), lower_snake(f.name()));
            }
        }
    }
    for (i, m) in file.message_type.iter().enumerate() {
        message(m, &[4, i as i32], &checked, &mut report);
    }
    for (i, e) in file.enum_type.iter().enumerate() {
        enumeration(e, &[5, i as i32], &checked, &mut report);
    }
    for (i, f) in file.extension.iter().enumerate() {
        let fp = [7, i as i32];
        if checked(&fp) {
            report(&fp, "Field", f.name(), lower_snake(f.name()));
        }
    }
    // Services and methods take the file's style (they have no core features of their own here).
    if checked(&[]) {
        for (i, s) in file.service.iter().enumerate() {
            let sp = [6, i as i32];
            report(&sp, "Service", s.name(), title_case(s.name()));
            for (j, m) in s.method.iter().enumerate() {
                report(
                    &[6, i as i32, 2, j as i32],
                    "Method",
                    m.name(),
                    title_case(m.name()),
                );
            }
        }
    }
    out
}

fn bad_underscores(name: &str) -> bool {
    let b = name.as_bytes();
    if b.is_empty() {
        return false;
    }
    if b[0] == b'_' || b[b.len() - 1] == b'_' {
        return true;
    }
    b.windows(2)
        .any(|w| w[0] == b'_' && !w[1].is_ascii_alphabetic())
}

fn title_case(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("is empty");
    }
    if !name.bytes().all(|c| c.is_ascii_alphanumeric()) {
        return Err("should be TitleCase");
    }
    if !name.as_bytes()[0].is_ascii_uppercase() {
        return Err("should begin with a capital letter");
    }
    Ok(())
}

fn lower_snake(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("is empty");
    }
    if !name
        .bytes()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'.')
    {
        return Err("should be lower_snake_case");
    }
    if !name.as_bytes()[0].is_ascii_lowercase() {
        return Err("should begin with a lower case letter");
    }
    if bad_underscores(name) {
        return Err("contains style violating underscores");
    }
    Ok(())
}

fn upper_snake(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("is empty");
    }
    if !name
        .bytes()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
    {
        return Err("should be UPPER_SNAKE_CASE");
    }
    if !name.as_bytes()[0].is_ascii_uppercase() {
        return Err("should begin with an upper case letter");
    }
    if bad_underscores(name) {
        return Err("contains style violating underscores");
    }
    Ok(())
}
