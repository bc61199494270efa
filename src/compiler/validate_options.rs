//! protoc's `ValidateOptions` phase: the checks that need linked types and interpreted options
//! (proto3 rules, JSON name clashes, enum aliases and zero values, lazy/packed/MessageSet/lite
//! rules, extension range limits). protoc runs it only on a file that has no error so far, in
//! `VisitDescriptors` order: the file, then each message (its enums, fields, nested messages,
//! extensions), the file's enums, extensions and services.

use super::{HashMap, HashSet};

use prost::encoding::{decode_key, decode_varint, WireType};

use super::descriptor::{
    field_type, label, DescriptorProto, EnumDescriptorProto, FieldDescriptorProto,
    FileDescriptorProto, RawOptions,
};
use super::features::{self, enum_type};
use super::link::{to_camel_case, to_json_name, Pool};
use super::validate::{at_first, join, path, qualify, type_paths, Locs, MAX_FIELD_NUMBER};
use super::validate_editions;
use super::Diagnostic;

/// Option field numbers read here (descriptor.proto).
mod opt {
    pub const FILE_OPTIMIZE_FOR: u32 = 9;
    pub const FILE_CC_GENERIC_SERVICES: u32 = 16;
    pub const FILE_JAVA_GENERIC_SERVICES: u32 = 17;
    pub const LITE_RUNTIME: u64 = 3;
    pub const MESSAGE_SET_WIRE_FORMAT: u32 = 1;
    pub const MESSAGE_MAP_ENTRY: u32 = 7;
    pub const MESSAGE_LEGACY_JSON: u32 = 11;
    pub const FIELD_PACKED: u32 = 2;
    pub const FIELD_LAZY: u32 = 5;
    pub const FIELD_JSTYPE: u32 = 6;
    pub const FIELD_UNVERIFIED_LAZY: u32 = 15;
    pub const ENUM_ALLOW_ALIAS: u32 = 2;
    pub const ENUM_LEGACY_JSON: u32 = 6;
}

/// The last value of varint option `n` in interpreted options, if set.
fn varint(opts: &Option<RawOptions>, n: u32) -> Option<u64> {
    features::varint_field(&opts.as_ref()?.raw, n)
}

fn flag(opts: &Option<RawOptions>, n: u32) -> bool {
    varint(opts, n).is_some_and(|v| v != 0)
}

/// What the checks need to know about a message or enum, wherever it is defined.
struct TypeInfo<'a> {
    message: Option<&'a DescriptorProto>,
    file_lite: bool,
}

fn is_lite(f: &FileDescriptorProto) -> bool {
    varint(&f.options, opt::FILE_OPTIMIZE_FOR) == Some(opt::LITE_RUNTIME)
}

fn syntax(f: &FileDescriptorProto) -> &str {
    match f.syntax.as_deref() {
        None | Some("") => "proto2",
        Some(s) => s,
    }
}

pub(super) struct Validator<'a, 'l> {
    pool: &'a Pool,
    file: &'a FileDescriptorProto,
    locs: &'a Locs<'l>,
    /// This file's messages and enums by full name.
    local: HashMap<String, Local<'a>>,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

enum Local<'a> {
    Msg(&'a DescriptorProto),
    Enum(&'a EnumDescriptorProto),
}

fn index<'a>(scope: &str, m: &'a DescriptorProto, out: &mut HashMap<String, Local<'a>>) {
    let full = qualify(scope, m.name());
    for n in &m.nested_type {
        index(&full, n, out);
    }
    for e in &m.enum_type {
        out.insert(qualify(&full, e.name()), Local::Enum(e));
    }
    out.insert(full, Local::Msg(m));
}

impl<'a, 'l> Validator<'a, 'l> {
    pub fn new(pool: &'a Pool, file: &'a FileDescriptorProto, locs: &'a Locs<'l>) -> Self {
        let mut local = HashMap::default();
        for m in &file.message_type {
            index(file.package(), m, &mut local);
        }
        for e in &file.enum_type {
            local.insert(qualify(file.package(), e.name()), Local::Enum(e));
        }
        Self {
            pool,
            file,
            locs,
            local,
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn error(&mut self, p: &[i32], message: String) {
        self.errors.push(at_first(self.locs, &[p], message));
    }

    fn error_at_type(&mut self, field: &[i32], message: String) {
        let [a, b] = type_paths(field);
        self.errors.push(at_first(self.locs, &[&a, &b], message));
    }

    /// A linked type name (`.pkg.T`) looked up in this file or the pool.
    fn type_info(&self, name: &str) -> Option<TypeInfo<'a>> {
        let name = name.strip_prefix('.').unwrap_or(name);
        if let Some(l) = self.local.get(name) {
            let message = match l {
                Local::Msg(m) => Some(*m),
                Local::Enum(_) => None,
            };
            return Some(TypeInfo {
                message,
                file_lite: is_lite(self.file),
            });
        }
        let file = self.pool.defining_file(name)?;
        Some(TypeInfo {
            message: find_message(file, name),
            file_lite: is_lite(file),
        })
    }

    /// The whole phase, in protoc's order.
    pub fn file(&mut self) {
        let file = self.file;
        if !is_lite(file) {
            for (i, d) in file.dependency.iter().enumerate() {
                let Some(dep) = self.pool.file(d) else {
                    continue;
                };
                if is_lite(dep) {
                    let last = file.dependency.iter().rposition(|x| x == d).unwrap_or(i);
                    self.error(
                        &[path::FILE_DEPENDENCY, last as i32],
                        format!(
                            "Files that do not use optimize_for = LITE_RUNTIME cannot import \
                             files which do use this option.  This file is not lite, but it \
                             imports \"{d}\" which is."
                        ),
                    );
                    break;
                }
            }
        }
        if syntax(file) == "proto3" {
            self.proto3();
        }
        let package = file.package().to_string();
        for (i, m) in file.message_type.iter().enumerate() {
            self.message(m, &package, &[4, i as i32]);
        }
        for (i, e) in file.enum_type.iter().enumerate() {
            self.enumeration(e, &package, &[5, i as i32]);
        }
        for (i, x) in file.extension.iter().enumerate() {
            self.field(x, None, &package, &[7, i as i32]);
        }
        for (i, s) in file.service.iter().enumerate() {
            if is_lite(file)
                && (flag(&file.options, opt::FILE_CC_GENERIC_SERVICES)
                    || flag(&file.options, opt::FILE_JAVA_GENERIC_SERVICES))
            {
                let _ = s;
                self.error(
                    &[6, i as i32, path::NAME],
                    "Files with optimize_for = LITE_RUNTIME cannot define services unless you \
                     set both options cc_generic_services and java_generic_services to false."
                        .into(),
                );
            }
        }
    }

    // ---- proto3 ----------------------------------------------------------------------------

    fn proto3(&mut self) {
        let file = self.file;
        let package = file.package().to_string();
        for (i, x) in file.extension.iter().enumerate() {
            self.proto3_field(x, &package, &[7, i as i32]);
        }
        for (i, m) in file.message_type.iter().enumerate() {
            self.proto3_message(m, &package, &[4, i as i32]);
        }
    }

    fn proto3_message(&mut self, m: &DescriptorProto, scope: &str, p: &[i32]) {
        use path::*;
        let full = qualify(scope, m.name());
        for (i, n) in m.nested_type.iter().enumerate() {
            self.proto3_message(n, &full, &join(p, &[MESSAGE_NESTED, i as i32]));
        }
        for (i, f) in m.field.iter().enumerate() {
            self.proto3_field(f, &full, &join(p, &[MESSAGE_FIELD, i as i32]));
        }
        for (i, x) in m.extension.iter().enumerate() {
            self.proto3_field(x, &full, &join(p, &[MESSAGE_EXTENSION, i as i32]));
        }
        if !m.extension_range.is_empty() {
            self.error(
                &join(p, &[MESSAGE_EXTENSION_RANGE, 0]),
                "Extension ranges are not allowed in proto3.".into(),
            );
        }
        if flag(&m.options, opt::MESSAGE_SET_WIRE_FORMAT) {
            self.error(
                &join(p, &[NAME]),
                "MessageSet is not supported in proto3.".into(),
            );
        }
    }

    /// `scope` is the containing message (fields) or extension scope (extensions).
    fn proto3_field(&mut self, f: &FieldDescriptorProto, scope: &str, p: &[i32]) {
        use path::*;
        if let Some(e) = &f.extendee {
            let options = e.starts_with(".google.protobuf.") && e.ends_with("Options");
            if !options {
                self.error(
                    &join(p, &[FIELD_EXTENDEE]),
                    "Extensions in proto3 are only allowed for defining options.".into(),
                );
            }
        }
        if f.label == Some(label::REQUIRED) {
            self.error_at_type(p, "Required fields are not allowed in proto3.".into());
        }
        if f.default_value.is_some() {
            self.error(
                &join(p, &[FIELD_DEFAULT]),
                "Explicit default values are not allowed in proto3.".into(),
            );
        }
        if f.r#type == Some(field_type::ENUM)
            && validate_editions::enum_closed(self.pool, self.file, f.type_name())
        {
            let containing = match &f.extendee {
                Some(e) => e.trim_start_matches('.').to_string(),
                None => scope.to_string(),
            };
            let name = f.type_name().trim_start_matches('.');
            self.error_at_type(
                p,
                format!(
                    "Enum type \"{name}\" is not an open enum, but is used in \
                     \"{containing}\" which is a proto3 message type."
                ),
            );
        }
        if f.r#type == Some(field_type::GROUP) {
            self.error_at_type(p, "Groups are not supported in proto3 syntax.".into());
        }
    }

    // ---- messages, fields, enums -----------------------------------------------------------

    fn message(&mut self, m: &DescriptorProto, scope: &str, p: &[i32]) {
        use path::*;
        let full = qualify(scope, m.name());
        if !flag(&m.options, opt::MESSAGE_LEGACY_JSON) {
            self.json_names(m, p, false);
            self.json_names(m, p, true);
        }
        let max = if flag(&m.options, opt::MESSAGE_SET_WIRE_FORMAT) {
            i64::from(i32::MAX)
        } else {
            i64::from(MAX_FIELD_NUMBER)
        };
        let mut declared_names = HashSet::default();
        for (i, r) in m.extension_range.iter().enumerate() {
            if i64::from(r.end()) > max + 1 {
                // protoc positions this at the message's NUMBER, which it never records.
                self.errors.push(no_position(format!(
                    "Extension numbers cannot be greater than {max}."
                )));
            }
            let range_options = RangeOptions::decode(&r.options);
            if range_options.declarations.is_empty() {
                continue;
            }
            if range_options.verification == Some(VERIFICATION_UNVERIFIED) {
                // protoc positions this at the range's EXTENDEE, which it never records, and
                // stops checking the message's ranges.
                self.errors.push(no_position(
                    "Cannot mark the extension range as UNVERIFIED when it has extension(s) \
                     declared."
                        .into(),
                ));
                break;
            }
            let number_path = join(p, &[path::MESSAGE_EXTENSION_RANGE, i as i32, 1]);
            self.declarations(
                &range_options.declarations,
                (r.start(), r.end()),
                &number_path,
                &mut declared_names,
            );
        }
        for (i, e) in m.enum_type.iter().enumerate() {
            self.enumeration(e, &full, &join(p, &[MESSAGE_ENUM, i as i32]));
        }
        for (i, f) in m.field.iter().enumerate() {
            self.field(f, Some(m), &full, &join(p, &[MESSAGE_FIELD, i as i32]));
        }
        for (i, n) in m.nested_type.iter().enumerate() {
            self.message(n, &full, &join(p, &[MESSAGE_NESTED, i as i32]));
        }
        for (i, x) in m.extension.iter().enumerate() {
            self.field(x, None, &full, &join(p, &[MESSAGE_EXTENSION, i as i32]));
        }
    }

    /// protoc's `CheckFieldJsonNameUniqueness`, one pass (default names, or custom ones too).
    fn json_names(&mut self, m: &DescriptorProto, p: &[i32], use_custom: bool) {
        // Editions files default to `json_format = ALLOW` (features: the editions issue).
        let best_effort = syntax(self.file) == "proto2";
        let mut seen: HashMap<String, (usize, bool)> = HashMap::default();
        for (i, f) in m.field.iter().enumerate() {
            let default = to_json_name(f.name());
            let custom = f
                .json_name
                .as_deref()
                .map(|j| String::from_utf8_lossy(j).into_owned())
                .filter(|j| use_custom && *j != default);
            let is_custom = custom.is_some();
            let name = custom.unwrap_or(default);
            let name_path = join(p, &[path::MESSAGE_FIELD, i as i32, path::NAME]);
            if is_custom && name.starts_with('[') && name.ends_with(']') {
                self.error(
                    &name_path,
                    format!(
                        "The custom JSON name of field \"{}\" (\"{name}\") is invalid: JSON \
                         names may not start with '[' and end with ']'.",
                        f.name()
                    ),
                );
                continue;
            }
            let Some(&(j, other_custom)) = seen.get(&name) else {
                seen.insert(name, (i, is_custom));
                continue;
            };
            if use_custom && !is_custom && !other_custom {
                continue;
            }
            let kind = |c: bool| if c { "custom" } else { "default" };
            let message = format!(
                "The {} JSON name of field \"{}\" (\"{name}\") conflicts with the {} JSON name \
                 of field \"{}\".",
                kind(is_custom),
                f.name(),
                kind(other_custom),
                m.field[j].name()
            );
            let d = at_first(self.locs, &[&name_path], message);
            if best_effort && (!is_custom || !other_custom) {
                self.warnings.push(d);
            } else {
                self.errors.push(d);
            }
        }
    }

    /// `message` is the containing message for a field, `None` for an extension.
    fn field(
        &mut self,
        f: &FieldDescriptorProto,
        message: Option<&DescriptorProto>,
        scope: &str,
        p: &[i32],
    ) {
        // A feature definition's support window (protoc reports it without a position).
        let full_name = qualify(scope, f.name());
        if let Some(e) =
            validate_editions::field_feature_support(self.pool, self.file, f, &full_name)
        {
            self.error(&[-1], e);
        }
        // Editions: the field's resolved and own features (protoc's ValidateFieldFeatures).
        let map_entry = message.is_some_and(|m| flag(&m.options, opt::MESSAGE_MAP_ENTRY));
        for e in validate_editions::field(self.pool, self.file, f, p, map_entry) {
            self.error(&join(p, &[path::NAME]), e);
        }
        let is_message = f.r#type == Some(field_type::MESSAGE);
        let extension = message.is_none();
        if flag(&f.options, opt::FIELD_LAZY) || flag(&f.options, opt::FIELD_UNVERIFIED_LAZY) {
            if !is_message {
                self.error_at_type(
                    p,
                    "[lazy = true] can only be specified for submessage fields.".into(),
                );
            }
            if flag(&f.options, opt::FIELD_UNVERIFIED_LAZY) && extension {
                self.error_at_type(p, "Extensions cannot be marked as unverified_lazy.".into());
            }
        }
        let packable = f.label == Some(label::REPEATED)
            && !matches!(
                f.r#type.unwrap_or(0),
                field_type::STRING | field_type::GROUP | field_type::MESSAGE | 12
            );
        if flag(&f.options, opt::FIELD_PACKED) && !packable {
            self.error_at_type(
                p,
                "[packed = true] can only be specified for repeated primitive fields.".into(),
            );
        }
        let containing_info = match &f.extendee {
            Some(e) => self.type_info(e),
            None => None,
        };
        let containing = match (message, &containing_info) {
            (Some(m), _) => Some(m),
            (None, Some(t)) => t.message,
            _ => None,
        };
        if containing.is_some_and(|c| flag(&c.options, opt::MESSAGE_SET_WIRE_FORMAT)) {
            if extension {
                if f.label != Some(label::OPTIONAL) || !is_message {
                    self.error_at_type(
                        p,
                        "Extensions of MessageSets must be optional messages.".into(),
                    );
                }
            } else {
                self.error(
                    &join(p, &[path::NAME]),
                    "MessageSets cannot have fields, only extensions.".into(),
                );
            }
        }
        if is_lite(self.file) && containing_info.as_ref().is_some_and(|t| !t.file_lite) {
            self.error(
                &join(p, &[path::FIELD_EXTENDEE]),
                "Extensions to non-lite types can only be declared in non-lite files.  Note \
                 that you cannot extend a non-lite type to contain a lite type, but the reverse \
                 is allowed."
                    .into(),
            );
        }
        self.map_field(f, scope, p);
        self.jstype(f, p);
        let default_json = to_json_name(f.name());
        if extension
            && f.json_name
                .as_deref()
                .is_some_and(|j| j != default_json.as_bytes())
        {
            self.error(
                &join(p, &[path::FIELD_JSON_NAME]),
                "option json_name is not allowed on extension fields.".into(),
            );
        }
        if f.json_name.as_deref().is_some_and(|j| j.contains(&0)) {
            self.error(
                &join(p, &[path::FIELD_JSON_NAME]),
                "json_name cannot have embedded null characters.".into(),
            );
        }
        if extension {
            self.declared_extension(f, scope, p);
        }
    }

    /// protoc's `ValidateExtensionDeclaration` for one range's declarations.
    fn declarations(
        &mut self,
        declarations: &[Declaration],
        (start, end): (i32, i32),
        number_path: &[i32],
        names: &mut HashSet<String>,
    ) {
        let mut numbers = HashSet::default();
        for d in declarations {
            if d.number < start || d.number >= end {
                self.error(
                    number_path,
                    format!(
                        "Extension declaration number {} is not in the extension range.",
                        d.number
                    ),
                );
            }
            if !numbers.insert(d.number) {
                self.error(
                    number_path,
                    format!(
                        "Extension declaration number {} is declared multiple times.",
                        d.number
                    ),
                );
            }
            // The remaining errors point at places protoc never records.
            let (Some(full_name), Some(type_name)) = (&d.full_name, &d.type_name) else {
                if d.full_name.is_some() != d.type_name.is_some() || !d.reserved {
                    self.errors.push(no_position(format!(
                        "Extension declaration #{} should have both \"full_name\" and \"type\" \
                         set.",
                        d.number
                    )));
                }
                continue;
            };
            if !names.insert(full_name.clone()) {
                self.errors.push(no_position(format!(
                    "Extension field name \"{full_name}\" is declared multiple times."
                )));
                return;
            }
            if let Some(e) = declaration_symbol_error(full_name) {
                self.errors.push(no_position(e));
            }
            if !is_scalar_type_name(type_name) {
                if let Some(e) = declaration_symbol_error(type_name) {
                    self.errors.push(no_position(e));
                }
            }
        }
    }

    /// protoc's check of an extension against its extendee's declarations for its number.
    fn declared_extension(&mut self, f: &FieldDescriptorProto, scope: &str, p: &[i32]) {
        let Some(extendee) = f.extendee.as_deref().map(|e| e.trim_start_matches('.')) else {
            return;
        };
        // Extensions of descriptor.proto's messages are not checked.
        if extendee.starts_with("google.protobuf.")
            && self
                .pool
                .defining_file(extendee)
                .is_some_and(|d| d.name() == "google/protobuf/descriptor.proto")
        {
            return;
        }
        let Some(message) = self.type_info(extendee).and_then(|t| t.message) else {
            return;
        };
        let n = f.number();
        let Some(range) = message
            .extension_range
            .iter()
            .find(|r| r.start() <= n && n < r.end())
        else {
            return;
        };
        let options = RangeOptions::decode(&range.options);
        let full = qualify(scope, f.name());
        let at = join(p, &[path::FIELD_EXTENDEE]);
        let Some(d) = options.declarations.iter().find(|d| d.number == n) else {
            if !options.declarations.is_empty()
                || options.verification == Some(VERIFICATION_DECLARATION)
            {
                self.error(
                    &at,
                    format!(
                        "Missing extension declaration for field {full} with number {n} in \
                         extendee message {extendee}. An extension range must declare for all \
                         extension fields if its verification state is DECLARATION or there's \
                         any declaration in the range already. Otherwise, consider splitting \
                         up the range."
                    ),
                );
            }
            return;
        };
        if d.reserved {
            self.error(
                &at,
                format!(
                    "Cannot use number {n} for extension field {full}, as it is reserved in the \
                     extension declarations for message {extendee}."
                ),
            );
            return;
        }
        if let Some(declared) = d.type_name.as_deref().filter(|t| !t.is_empty()) {
            let actual = match f.r#type.unwrap_or(0) {
                field_type::MESSAGE | field_type::GROUP | field_type::ENUM => {
                    format!(".{}", f.type_name().trim_start_matches('.'))
                }
                t => type_keyword(t).to_string(),
            };
            let expected = if is_scalar_type_name(declared) || declared.starts_with('.') {
                declared.to_string()
            } else {
                format!(".{declared}")
            };
            if expected != actual {
                self.error(
                    &at,
                    format!(
                        "\"{extendee}\" extension field {n} is expected to be type \
                         \"{expected}\", not \"{actual}\"."
                    ),
                );
            }
        }
        if let Some(declared) = d.full_name.as_deref().filter(|t| !t.is_empty()) {
            let actual = format!(".{full}");
            if declared != actual {
                self.error(
                    &at,
                    format!(
                        "\"{extendee}\" extension field {n} is expected to have field name \
                         \"{declared}\", not \"{actual}\"."
                    ),
                );
            }
        }
        let repeated = f.label == Some(label::REPEATED);
        if d.repeated != repeated {
            let expected = if d.repeated { "repeated" } else { "optional" };
            self.error(
                &at,
                format!("\"{extendee}\" extension field {n} is expected to be {expected}."),
            );
        }
    }

    /// protoc's checks of a field whose type is a map entry message: only a `map<..>` field
    /// of the same message may use it, and its key must be an integral, bool or string type.
    fn map_field(&mut self, f: &FieldDescriptorProto, scope: &str, p: &[i32]) {
        let t = f.r#type.unwrap_or(0);
        if t != field_type::MESSAGE && t != field_type::GROUP {
            return;
        }
        let Some(entry) = self.type_info(f.type_name()).and_then(|t| t.message) else {
            return;
        };
        if !flag(&entry.options, opt::MESSAGE_MAP_ENTRY) {
            return;
        }
        if t == field_type::GROUP {
            self.error_at_type(
                p,
                "Groups cannot be map entries. Use a regular message field with \
                 map<KeyType, ValueType> syntax instead."
                    .into(),
            );
            return;
        }
        let entry_full = f.type_name().trim_start_matches('.');
        let entry_scope = entry_full.rsplit_once('.').map_or("", |(s, _)| s);
        // An extension's containing type is its extendee.
        let containing = match &f.extendee {
            Some(e) => e.trim_start_matches('.'),
            None => scope,
        };
        if f.label != Some(label::REPEATED)
            || entry.name() != format!("{}Entry", to_camel_case(f.name(), true))
            || entry_scope != containing
        {
            let mut message = format!(
                "{entry_full} is a synthetic MapEntry message type, which is not allowed to be \
                 used as a field type."
            );
            if let Some(alter) = self.lookup_type_from_parent(entry.name(), entry_scope) {
                if alter != entry_full {
                    message += &format!(" Maybe you meant \".{alter}\"?");
                }
            }
            self.error_at_type(p, message);
        }
        let shaped = entry.extension.is_empty()
            && entry.extension_range.is_empty()
            && entry.nested_type.is_empty()
            && entry.enum_type.is_empty()
            && entry.field.len() == 2;
        let is = |f: &FieldDescriptorProto, n: i32, name: &str| {
            f.label == Some(label::OPTIONAL) && f.number() == n && f.name() == name
        };
        if !shaped || !is(&entry.field[0], 1, "key") || !is(&entry.field[1], 2, "value") {
            self.error_at_type(
                p,
                "map_entry should not be set explicitly. Use map<KeyType, ValueType> instead."
                    .into(),
            );
            return;
        }
        match entry.field[0].r#type.unwrap_or(0) {
            field_type::ENUM => {
                self.error_at_type(p, "Key in map fields cannot be enum types.".into());
            }
            1 | 2 | field_type::MESSAGE | field_type::GROUP | 12 => self.error_at_type(
                p,
                "Key in map fields cannot be float/double, bytes or message types.".into(),
            ),
            _ => {}
        }
        let value = &entry.field[1];
        if value.r#type == Some(field_type::ENUM)
            && self
                .first_enum_number(value.type_name())
                .is_some_and(|n| n != 0)
        {
            self.error_at_type(
                p,
                "Enum value in map must define 0 as the first value.".into(),
            );
        }
    }

    /// The number of the first value of enum `name` (`.pkg.E`).
    fn first_enum_number(&self, name: &str) -> Option<i32> {
        let name = name.trim_start_matches('.');
        let e = match self.local.get(name) {
            Some(Local::Enum(e)) => e.value.first()?.number(),
            Some(Local::Msg(_)) => return None,
            None => match self.pool.defs().get(name)? {
                super::options::Def::Enum(e) => e.value.first()?.number(),
                _ => return None,
            },
        };
        Some(e)
    }

    /// protoc's `LookupSymbol(name, scope)` for a type: tries `name` in `scope`'s parent, then
    /// outwards.
    fn lookup_type_from_parent(&self, name: &str, scope: &str) -> Option<String> {
        let mut scope = scope.to_string();
        loop {
            let Some(dot) = scope.rfind('.') else {
                return self.is_type(name).then(|| name.to_string());
            };
            scope.truncate(dot);
            let candidate = format!("{scope}.{name}");
            if self.is_type(&candidate) {
                return Some(candidate);
            }
        }
    }

    fn is_type(&self, full: &str) -> bool {
        self.local.contains_key(full)
            || matches!(
                self.pool.defs().get(full),
                Some(super::options::Def::Msg(..) | super::options::Def::Enum(_))
            )
    }

    fn jstype(&mut self, f: &FieldDescriptorProto, p: &[i32]) {
        let Some(js) = varint(&f.options, opt::FIELD_JSTYPE) else {
            return;
        };
        // JS_NORMAL is 0; int64, uint64, fixed64, sfixed64, sint64.
        let int64 = matches!(f.r#type.unwrap_or(0), 3 | 4 | 6 | 16 | 18);
        if int64 {
            return;
        }
        if js != 0 {
            self.error_at_type(
                p,
                "jstype is only allowed on int64, uint64, sint64, fixed64 or sfixed64 fields."
                    .into(),
            );
        }
    }

    fn enumeration(&mut self, e: &EnumDescriptorProto, scope: &str, p: &[i32]) {
        use path::*;
        let full = qualify(scope, e.name());
        let value_path = |i: usize, tag: i32| join(p, &[ENUM_VALUE, i as i32, tag]);
        // CheckEnumValueUniqueness: names equal once the enum's prefix is stripped.
        let prefix: String = e
            .name()
            .chars()
            .filter(|&c| c != '_')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let legacy = flag(&e.options, opt::ENUM_LEGACY_JSON) && syntax(self.file) == "proto2";
        let mut stripped: HashMap<String, usize> = HashMap::default();
        for (i, v) in e.value.iter().enumerate() {
            let key = pascal_case(strip_prefix(v.name(), &prefix));
            match stripped.get(&key) {
                None => {
                    stripped.insert(key, i);
                }
                Some(&j) => {
                    let other = &e.value[j];
                    if other.name() != v.name() && other.number() != v.number() {
                        let d = at_first(
                            self.locs,
                            &[&value_path(i, NAME)],
                            format!(
                                "Enum name {} has the same name as {} if you ignore case and \
                                 strip out the enum name prefix (if any). (If you are using \
                                 allow_alias, please assign the same number to each enum value \
                                 name.)",
                                v.name(),
                                other.name()
                            ),
                        );
                        if legacy {
                            self.warnings.push(d);
                        } else {
                            self.errors.push(d);
                        }
                    }
                }
            }
        }
        let open = features::at_path(self.file, p).is_some_and(|f| f.enum_type == enum_type::OPEN);
        if open && e.value.first().is_some_and(|v| v.number() != 0) {
            self.error(
                &value_path(0, VALUE_NUMBER),
                "The first enum value must be zero for open enums.".into(),
            );
        }
        if !flag(&e.options, opt::ENUM_ALLOW_ALIAS) {
            let used: HashSet<i64> = e.value.iter().map(|v| i64::from(v.number())).collect();
            let mut first: HashMap<i32, usize> = HashMap::default();
            for (i, v) in e.value.iter().enumerate() {
                let Some(&j) = first.get(&v.number()) else {
                    first.insert(v.number(), i);
                    continue;
                };
                let mut next = i64::from(v.number()) + 1;
                while used.contains(&next) {
                    next += 1;
                }
                let mut message = format!(
                    "\"{}\" uses the same enum value as \"{}\". If this is intended, set \
                     'option allow_alias = true;' to the enum definition.",
                    qualify(scope, v.name()),
                    qualify(scope, e.value[j].name())
                );
                if next < i64::from(i32::MAX) {
                    message += &format!(" The next available enum value is {next}.");
                }
                self.error(&value_path(i, VALUE_NUMBER), message);
            }
        }
        let _ = full;
        // Then each value: its support window, if it is a feature's value (no position: protoc has none for it).
        for v in &e.value {
            let name = qualify(scope, v.name());
            if let Some(message) = validate_editions::enum_value_feature_support(v, &name) {
                self.error(&[-1], message);
            }
        }
    }
}

/// protoc's `PrefixRemover::MaybeRemove`: `name` without the enum's name (case and `_`
/// ignored) and the underscores after it, unless that leaves nothing.
fn strip_prefix<'n>(name: &'n str, prefix: &str) -> &'n str {
    let bytes = name.as_bytes();
    let prefix = prefix.as_bytes();
    let (mut i, mut j) = (0, 0);
    while i < bytes.len() && j < prefix.len() {
        if bytes[i] != b'_' {
            if bytes[i].to_ascii_lowercase() != prefix[j] {
                return name;
            }
            j += 1;
        }
        i += 1;
    }
    if j < prefix.len() {
        return name;
    }
    while i < bytes.len() && bytes[i] == b'_' {
        i += 1;
    }
    if i == bytes.len() {
        name
    } else {
        &name[i..]
    }
}

/// protoc's `EnumValueToPascalCase`.
fn pascal_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut upper = true;
    for c in s.chars() {
        if c == '_' {
            upper = true;
        } else {
            out.push(if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            });
            upper = false;
        }
    }
    out
}

fn no_position(message: String) -> Diagnostic {
    Diagnostic {
        line: -1,
        col: 0,
        message,
    }
}

const VERIFICATION_DECLARATION: u64 = 0;
const VERIFICATION_UNVERIFIED: u64 = 1;

/// One `ExtensionRangeOptions.Declaration`.
#[derive(Default)]
struct Declaration {
    number: i32,
    full_name: Option<String>,
    type_name: Option<String>,
    reserved: bool,
    repeated: bool,
}

/// What the checks read from interpreted `ExtensionRangeOptions`.
#[derive(Default)]
struct RangeOptions {
    declarations: Vec<Declaration>,
    verification: Option<u64>,
}

impl RangeOptions {
    fn decode(opts: &Option<RawOptions>) -> Self {
        let mut out = RangeOptions::default();
        let Some(o) = opts else { return out };
        for (n, value) in fields(&o.raw) {
            match (n, value) {
                (2, Value::Bytes(b)) => out.declarations.push(Declaration::decode(b)),
                (3, Value::Varint(v)) => out.verification = Some(v),
                _ => {}
            }
        }
        out
    }
}

impl Declaration {
    fn decode(buf: &[u8]) -> Self {
        let mut d = Declaration::default();
        for (n, value) in fields(buf) {
            match (n, value) {
                (1, Value::Varint(v)) => d.number = v as i32,
                (2, Value::Bytes(b)) => d.full_name = Some(String::from_utf8_lossy(b).into()),
                (3, Value::Bytes(b)) => d.type_name = Some(String::from_utf8_lossy(b).into()),
                (5, Value::Varint(v)) => d.reserved = v != 0,
                (6, Value::Varint(v)) => d.repeated = v != 0,
                _ => {}
            }
        }
        d
    }
}

enum Value<'b> {
    Varint(u64),
    Bytes(&'b [u8]),
    Other,
}

/// The fields of a serialized message, stopping at the first malformed one.
fn fields(mut buf: &[u8]) -> Vec<(u32, Value<'_>)> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        let Ok((tag, wire)) = decode_key(&mut buf) else {
            break;
        };
        let value = match wire {
            WireType::Varint => match decode_varint(&mut buf) {
                Ok(v) => Value::Varint(v),
                Err(_) => break,
            },
            WireType::LengthDelimited => {
                let Ok(len) = decode_varint(&mut buf) else {
                    break;
                };
                let Some((body, rest)) = usize::try_from(len)
                    .ok()
                    .and_then(|l| (l <= buf.len()).then(|| buf.split_at(l)))
                else {
                    break;
                };
                buf = rest;
                Value::Bytes(body)
            }
            _ => {
                let mut sink = Vec::new();
                if super::descriptor::copy_field(tag, wire, &mut buf, &mut sink).is_err() {
                    break;
                }
                Value::Other
            }
        };
        out.push((tag, value));
    }
    out
}

/// protoc's `IsNonMessageType`: the scalar type names a declaration may give.
fn is_scalar_type_name(t: &str) -> bool {
    matches!(
        t,
        "double"
            | "float"
            | "int64"
            | "uint64"
            | "int32"
            | "fixed32"
            | "fixed64"
            | "bool"
            | "string"
            | "bytes"
            | "uint32"
            | "enum"
            | "sfixed32"
            | "sfixed64"
            | "sint32"
            | "sint64"
    )
}

/// protoc's `FieldDescriptor::TypeName` for a scalar type.
fn type_keyword(t: i32) -> &'static str {
    match t {
        1 => "double",
        2 => "float",
        3 => "int64",
        4 => "uint64",
        5 => "int32",
        6 => "fixed64",
        7 => "fixed32",
        8 => "bool",
        9 => "string",
        12 => "bytes",
        13 => "uint32",
        15 => "sfixed32",
        16 => "sfixed64",
        17 => "sint32",
        18 => "sint64",
        _ => "",
    }
}

/// protoc's `ValidateSymbolForDeclaration`.
fn declaration_symbol_error(symbol: &str) -> Option<String> {
    let Some(rest) = symbol.strip_prefix('.') else {
        return Some(format!(
            "\"{symbol}\" must have a leading dot to indicate the fully-qualified scope."
        ));
    };
    let valid = rest.split('.').all(|part| {
        !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    });
    (!valid).then(|| format!("\"{symbol}\" contains invalid identifiers."))
}

/// The message named `full` inside `file`, if it is one.
fn find_message<'f>(file: &'f FileDescriptorProto, full: &str) -> Option<&'f DescriptorProto> {
    fn walk<'f>(scope: &str, m: &'f DescriptorProto, full: &str) -> Option<&'f DescriptorProto> {
        let name = qualify(scope, m.name());
        if name == full {
            return Some(m);
        }
        if !full.starts_with(&name) {
            return None;
        }
        m.nested_type.iter().find_map(|n| walk(&name, n, full))
    }
    file.message_type
        .iter()
        .find_map(|m| walk(file.package(), m, full))
}
