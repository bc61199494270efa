//! buf's managed mode: file options (and the `jstype` field option) set on every file of the
//! run but the well-known types, from defaults derived from each file's package and path, and
//! from the template's `override` and `disable` rules.
//!
//! The rules are buf's (bufimagemodify in buf 1.75), reproduced from its behaviour and tests:
//! - an option set to the value it already has, or to its protobuf default when it is unset,
//!   is left alone; any other value is overwritten, and the option's source locations are
//!   dropped (the statement's `[8]` location with the option's `[8, N]`);
//! - override rules are scanned in order and the last one that matches wins; a value override
//!   clears a prefix or suffix, and a prefix and a suffix combine;
//! - any matching disable rule turns an option off for the file; a rule that names no option
//!   turns everything off;
//! - `path` matches the file itself or any file under it, `module` the name of the module the
//!   file comes from.
//!
//! The rules are checked when they are built ([`Disable::new`], [`Override::file`],
//! [`Override::field`]), with buf's messages, so that a bad template fails before anything
//! is compiled.

use crate::compiler::descriptor::{
    DescriptorProto, FieldDescriptorProto, FileDescriptorProto, RawOptions,
};

use super::wire;

/// The file options managed mode can set, with buf's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileOption {
    JavaPackage,
    JavaPackagePrefix,
    JavaPackageSuffix,
    JavaOuterClassname,
    JavaMultipleFiles,
    JavaStringCheckUtf8,
    OptimizeFor,
    GoPackage,
    GoPackagePrefix,
    CcEnableArenas,
    ObjcClassPrefix,
    CsharpNamespace,
    CsharpNamespacePrefix,
    PhpNamespace,
    PhpMetadataNamespace,
    PhpMetadataNamespaceSuffix,
    RubyPackage,
    RubyPackageSuffix,
    SwiftPrefix,
}

/// What kind of value an option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Bool,
    OptimizeMode,
}

use FileOption as F;

const FILE_OPTIONS: [(FileOption, &str, Kind); 19] = [
    (F::JavaPackage, "java_package", Kind::String),
    (F::JavaPackagePrefix, "java_package_prefix", Kind::String),
    (F::JavaPackageSuffix, "java_package_suffix", Kind::String),
    (F::JavaOuterClassname, "java_outer_classname", Kind::String),
    (F::JavaMultipleFiles, "java_multiple_files", Kind::Bool),
    (F::JavaStringCheckUtf8, "java_string_check_utf8", Kind::Bool),
    (F::OptimizeFor, "optimize_for", Kind::OptimizeMode),
    (F::GoPackage, "go_package", Kind::String),
    (F::GoPackagePrefix, "go_package_prefix", Kind::String),
    (F::CcEnableArenas, "cc_enable_arenas", Kind::Bool),
    (F::ObjcClassPrefix, "objc_class_prefix", Kind::String),
    (F::CsharpNamespace, "csharp_namespace", Kind::String),
    (
        F::CsharpNamespacePrefix,
        "csharp_namespace_prefix",
        Kind::String,
    ),
    (F::PhpNamespace, "php_namespace", Kind::String),
    (
        F::PhpMetadataNamespace,
        "php_metadata_namespace",
        Kind::String,
    ),
    (
        F::PhpMetadataNamespaceSuffix,
        "php_metadata_namespace_suffix",
        Kind::String,
    ),
    (F::RubyPackage, "ruby_package", Kind::String),
    (F::RubyPackageSuffix, "ruby_package_suffix", Kind::String),
    (F::SwiftPrefix, "swift_prefix", Kind::String),
];

impl FileOption {
    /// Parses a name as buf does: trimmed, any case. Errors are buf's.
    pub fn parse(name: &str) -> Result<FileOption, String> {
        let name = name.trim().to_ascii_lowercase();
        if name.is_empty() {
            return Err("empty file_option".into());
        }
        FILE_OPTIONS
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(o, _, _)| *o)
            .ok_or_else(|| format!("unknown file_option: \"{name}\""))
    }

    pub fn name(self) -> &'static str {
        FILE_OPTIONS.iter().find(|(o, _, _)| *o == self).unwrap().1
    }

    fn kind(self) -> Kind {
        FILE_OPTIONS.iter().find(|(o, _, _)| *o == self).unwrap().2
    }
}

/// The field options managed mode can set: only `jstype`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldOption {
    JsType,
}

impl FieldOption {
    pub fn parse(name: &str) -> Result<FieldOption, String> {
        match name.trim().to_ascii_lowercase().as_str() {
            "" => Err("empty field_option".into()),
            "jstype" => Ok(FieldOption::JsType),
            other => Err(format!("unknown field_option: \"{other}\"")),
        }
    }
}

/// A value as the template gives it, before it is checked against the option.
#[derive(Debug, Clone, PartialEq)]
pub enum Given {
    String(String),
    Bool(bool),
    /// Anything else: how buf prints the value, and its Go type (`int`, `float64`, ...).
    Other {
        shown: String,
        go_type: &'static str,
    },
}

impl Given {
    fn shown(&self) -> String {
        match self {
            Given::String(s) => s.clone(),
            Given::Bool(b) => b.to_string(),
            Given::Other { shown, .. } => shown.clone(),
        }
    }

    fn go_type(&self) -> &'static str {
        match self {
            Given::String(_) => "string",
            Given::Bool(_) => "bool",
            Given::Other { go_type, .. } => go_type,
        }
    }
}

/// A checked value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    String(String),
    Bool(bool),
    /// An enum number: `optimize_for`'s `OptimizeMode`, `jstype`'s `JSType`.
    Enum(i32),
}

const OPTIMIZE_MODES: [(&str, i32); 3] = [("SPEED", 1), ("CODE_SIZE", 2), ("LITE_RUNTIME", 3)];
const JS_TYPES: [(&str, i32); 3] = [("JS_NORMAL", 0), ("JS_STRING", 1), ("JS_NUMBER", 2)];

fn enum_value(given: &Given, values: &[(&str, i32)]) -> Result<Value, String> {
    let names: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
    let expected = format!(
        "must be one of {} or {}",
        names[..names.len() - 1].join(", "),
        names[names.len() - 1]
    );
    match given {
        Given::String(s) => values
            .iter()
            .find(|(n, _)| n == s)
            .map(|(_, v)| Value::Enum(*v))
            .ok_or(expected),
        _ => Err(expected),
    }
}

/// A `disable` rule. At least one key is set.
#[derive(Debug, Clone, PartialEq)]
pub struct Disable {
    pub path: Option<String>,
    pub module: Option<String>,
    pub field: Option<String>,
    pub file_option: Option<FileOption>,
    pub field_option: Option<FieldOption>,
}

impl Disable {
    /// A rule, checked as buf checks it.
    pub fn new(
        path: Option<String>,
        module: Option<String>,
        field: Option<String>,
        file_option: Option<FileOption>,
        field_option: Option<FieldOption>,
    ) -> Result<Disable, String> {
        if path.is_none()
            && module.is_none()
            && field.is_none()
            && file_option.is_none()
            && field_option.is_none()
        {
            return Err("empty disable rule is not allowed".into());
        }
        if field.is_some() && file_option.is_some() {
            return Err("cannot disable a file option for a field".into());
        }
        if file_option.is_some() && field_option.is_some() {
            return Err("at most one of file_option and field_option can be specified".into());
        }
        if let Some(p) = &path {
            check_path(p).map_err(|e| format!("invalid path for disable rule: {e}"))?;
        }
        if let Some(m) = &module {
            check_module(m)?;
        }
        Ok(Disable {
            path,
            module,
            field,
            file_option,
            field_option,
        })
    }
}

/// What an override sets.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    File(FileOption),
    /// A field option, on every 64-bit integer field of the matched files or on one field
    /// (its full name, `pkg.Message.field`).
    Field(FieldOption, Option<String>),
}

/// An `override` rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub path: Option<String>,
    pub module: Option<String>,
    pub target: Target,
    pub value: Value,
}

impl Override {
    /// A file option override, its value checked against the option, as buf checks it.
    pub fn file(
        path: Option<String>,
        module: Option<String>,
        option: FileOption,
        value: &Given,
    ) -> Result<Override, String> {
        let name = option.name();
        let checked = match (option.kind(), value) {
            (Kind::String, Given::String(s)) => Ok(Value::String(s.clone())),
            (Kind::Bool, Given::Bool(b)) => Ok(Value::Bool(*b)),
            (Kind::String, v) => Err(format!("expected a string, got {}", v.go_type())),
            (Kind::Bool, v) => Err(format!("expected a bool, got {}", v.go_type())),
            (Kind::OptimizeMode, v) => enum_value(v, &OPTIMIZE_MODES),
        };
        let value =
            checked.map_err(|e| format!("invalid value {} for {name}: {e}", value.shown()))?;
        check_override_matchers(&path, &module, name)?;
        Ok(Override {
            path,
            module,
            target: Target::File(option),
            value,
        })
    }

    /// A field option override.
    pub fn field(
        path: Option<String>,
        module: Option<String>,
        field: Option<String>,
        option: FieldOption,
        value: &Given,
    ) -> Result<Override, String> {
        let FieldOption::JsType = option;
        let value = enum_value(value, &JS_TYPES)
            .map_err(|e| format!("invalid value {} for jstype: {e}", value.shown()))?;
        check_override_matchers(&path, &module, "jstype")?;
        Ok(Override {
            path,
            module,
            target: Target::Field(option, field),
            value,
        })
    }
}

/// An override's `path` and `module`, checked with buf's messages naming the option.
fn check_override_matchers(
    path: &Option<String>,
    module: &Option<String>,
    option: &str,
) -> Result<(), String> {
    if let Some(m) = module {
        check_module(m).map_err(|e| format!("invalid module name for {option} override: {e}"))?;
    }
    if let Some(p) = path {
        check_path(p).map_err(|e| format!("invalid path for {option} override: {e}"))?;
    }
    Ok(())
}

/// A path in a rule: relative, normalized, with `/`.
fn check_path(path: &str) -> Result<(), String> {
    let normal = normalize(path);
    if path.starts_with('/') || normal == ".." || normal.starts_with("../") {
        return Err(format!("{path}: is outside the context directory"));
    }
    if normal != path {
        return Err(format!(
            "path \"{path}\" in your configuration must be relative and use '/' as the path separator"
        ));
    }
    Ok(())
}

/// `path` cleaned as Go's `path.Clean` cleans it.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// A module name: `REGISTRY/OWNER/NAME`.
fn check_module(name: &str) -> Result<(), String> {
    let parts: Vec<&str> = name.split('/').collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty()) {
        return Err(format!(
            "invalid module name \"{name}\": must be in the form registry/owner/name"
        ));
    }
    Ok(())
}

/// Managed mode, enabled, with its rules.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Managed {
    pub disables: Vec<Disable>,
    pub overrides: Vec<Override>,
}

/// The well-known-type files, which managed mode never changes (buf's list).
const WELL_KNOWN: [&str; 15] = [
    "google/protobuf/any.proto",
    "google/protobuf/api.proto",
    "google/protobuf/compiler/plugin.proto",
    "google/protobuf/cpp_features.proto",
    "google/protobuf/descriptor.proto",
    "google/protobuf/duration.proto",
    "google/protobuf/empty.proto",
    "google/protobuf/field_mask.proto",
    "google/protobuf/go_features.proto",
    "google/protobuf/java_features.proto",
    "google/protobuf/source_context.proto",
    "google/protobuf/struct.proto",
    "google/protobuf/timestamp.proto",
    "google/protobuf/type.proto",
    "google/protobuf/wrappers.proto",
];

/// `FileOptions` field numbers.
mod number {
    pub const JAVA_PACKAGE: u32 = 1;
    pub const JAVA_OUTER_CLASSNAME: u32 = 8;
    pub const OPTIMIZE_FOR: u32 = 9;
    pub const JAVA_MULTIPLE_FILES: u32 = 10;
    pub const GO_PACKAGE: u32 = 11;
    pub const JAVA_STRING_CHECK_UTF8: u32 = 27;
    pub const CC_ENABLE_ARENAS: u32 = 31;
    pub const OBJC_CLASS_PREFIX: u32 = 36;
    pub const CSHARP_NAMESPACE: u32 = 37;
    pub const SWIFT_PREFIX: u32 = 39;
    pub const PHP_NAMESPACE: u32 = 41;
    pub const PHP_METADATA_NAMESPACE: u32 = 44;
    pub const RUBY_PACKAGE: u32 = 45;
    /// `FieldOptions.jstype`.
    pub const JSTYPE: u32 = 6;
}

/// The file's name and module, which rules match on.
struct Subject<'a> {
    path: &'a str,
    module: Option<&'a str>,
}

fn matches(subject: &Subject, path: &Option<String>, module: &Option<String>) -> bool {
    let path_ok = match path.as_deref() {
        None | Some(".") => true,
        Some(p) => {
            subject.path == p
                || subject
                    .path
                    .strip_prefix(p)
                    .is_some_and(|rest| rest.starts_with('/'))
        }
    };
    let module_ok = match module {
        None => true,
        Some(m) => subject.module == Some(m.as_str()),
    };
    path_ok && module_ok
}

/// A string option's value before it is derived: a value, or a prefix and suffix to derive one
/// with.
#[derive(Default, Clone, PartialEq)]
struct StringRule {
    value: String,
    prefix: String,
    suffix: String,
}

impl Managed {
    /// Whether `option` is disabled for the file.
    fn disabled(&self, subject: &Subject, option: FileOption) -> bool {
        self.disables.iter().any(|d| {
            d.file_option.is_none_or(|o| o == option)
                && d.field_option.is_none()
                && matches(subject, &d.path, &d.module)
        })
    }

    /// The rule for a string option (`value`, with its prefix and suffix options if it has
    /// them), starting from `default`.
    fn string_rule(
        &self,
        subject: &Subject,
        default: StringRule,
        value: FileOption,
        prefix: Option<FileOption>,
        suffix: Option<FileOption>,
    ) -> StringRule {
        if self.disabled(subject, value) {
            return StringRule::default();
        }
        let ignore = |o: Option<FileOption>| o.is_none_or(|o| self.disabled(subject, o));
        let (ignore_prefix, ignore_suffix) = (ignore(prefix), ignore(suffix));
        let mut rule = default;
        if ignore_prefix {
            rule.prefix.clear();
        }
        if ignore_suffix {
            rule.suffix.clear();
        }
        for o in &self.overrides {
            let (Target::File(option), Value::String(v)) = (&o.target, &o.value) else {
                continue;
            };
            if !matches(subject, &o.path, &o.module) {
                continue;
            }
            if *option == value {
                rule = StringRule {
                    value: v.clone(),
                    ..StringRule::default()
                };
            } else if Some(*option) == prefix && !ignore_prefix {
                rule = StringRule {
                    prefix: v.clone(),
                    suffix: rule.suffix,
                    value: String::new(),
                };
            } else if Some(*option) == suffix && !ignore_suffix {
                rule = StringRule {
                    suffix: v.clone(),
                    prefix: rule.prefix,
                    value: String::new(),
                };
            }
        }
        rule
    }

    /// The value a bool or enum option is set to: the last matching override, else `default`;
    /// `None` when the option is disabled.
    fn scalar(&self, subject: &Subject, option: FileOption, default: u64) -> Option<u64> {
        if self.disabled(subject, option) {
            return None;
        }
        let mut value = default;
        for o in &self.overrides {
            if o.target != Target::File(option) || !matches(subject, &o.path, &o.module) {
                continue;
            }
            value = match o.value {
                Value::Bool(b) => b as u64,
                Value::Enum(e) => e as u64,
                Value::String(_) => continue,
            };
        }
        Some(value)
    }

    /// Applies managed mode to `file`, which comes from module `module` (if it has a name).
    /// Returns whether anything changed. The well-known types are left as they are. `Err` is
    /// buf's message for source info it cannot update (an option location without its
    /// statement's).
    pub fn apply(
        &self,
        file: &mut FileDescriptorProto,
        module: Option<&str>,
    ) -> Result<bool, String> {
        let name = file.name.clone().unwrap_or_default();
        if WELL_KNOWN.contains(&name.as_str()) {
            return Ok(false);
        }
        let subject = Subject {
            path: &name,
            module,
        };
        let package = file.package.clone().unwrap_or_default();
        let mut options = file
            .options
            .as_ref()
            .map(|o| o.raw.clone())
            .unwrap_or_default();
        let mut marked: Vec<Vec<i32>> = Vec::new();

        let strings = string_options(&subject, &package);
        for s in strings {
            let rule = self.string_rule(&subject, s.default, s.option, s.prefix, s.suffix);
            if rule == StringRule::default() {
                continue;
            }
            let value = if rule.value.is_empty() {
                (s.derive)(&rule)
            } else {
                rule.value.clone()
            };
            if value.is_empty() || wire::bytes(&options, s.number) == Some(value.as_bytes()) {
                continue;
            }
            wire::set_string(&mut options, s.number, &value);
            marked.push(vec![8, s.number as i32]);
        }

        let scalars = [
            (F::CcEnableArenas, number::CC_ENABLE_ARENAS, 1, 1),
            (F::JavaMultipleFiles, number::JAVA_MULTIPLE_FILES, 1, 0),
            (F::JavaStringCheckUtf8, number::JAVA_STRING_CHECK_UTF8, 0, 0),
            (F::OptimizeFor, number::OPTIMIZE_FOR, 1, 1),
        ];
        for (option, number, managed_default, proto_default) in scalars {
            let Some(value) = self.scalar(&subject, option, managed_default) else {
                continue;
            };
            if wire::varint(&options, number).unwrap_or(proto_default) == value {
                continue;
            }
            wire::set_varint(&mut options, number, value);
            marked.push(vec![8, number as i32]);
        }

        if !marked.is_empty() {
            let raw = file.options.get_or_insert_with(RawOptions::default);
            raw.raw = options;
        }
        self.apply_jstype(file, &subject, &package, &mut marked);
        if marked.is_empty() {
            return Ok(false);
        }
        if let Some(info) = &mut file.source_code_info {
            sweep(&mut info.location, &marked)?;
        }
        Ok(true)
    }

    /// `jstype` overrides: only applied through an override, only to 64-bit integer fields.
    fn apply_jstype(
        &self,
        file: &mut FileDescriptorProto,
        subject: &Subject,
        package: &str,
        marked: &mut Vec<Vec<i32>>,
    ) {
        let overrides: Vec<(&Option<String>, i32)> = self
            .overrides
            .iter()
            .filter(|o| matches(subject, &o.path, &o.module))
            .filter_map(|o| match (&o.target, &o.value) {
                (Target::Field(FieldOption::JsType, field), Value::Enum(v)) => Some((field, *v)),
                _ => None,
            })
            .collect();
        if overrides.is_empty() {
            return;
        }
        let disables: Vec<&Disable> = self
            .disables
            .iter()
            .filter(|d| {
                (d.field_option == Some(FieldOption::JsType)
                    || (d.field_option.is_none() && d.file_option.is_none()))
                    && matches(subject, &d.path, &d.module)
            })
            .collect();
        if disables.iter().any(|d| d.field.is_none()) {
            return;
        }
        let mut set = |field: &mut FieldDescriptorProto, full_name: String, path: Vec<i32>| {
            if disables
                .iter()
                .any(|d| d.field.as_deref() == Some(full_name.as_str()))
            {
                return;
            }
            let mut value = None;
            for (name, v) in &overrides {
                if name.as_deref().is_none_or(|n| n == full_name) {
                    value = Some(*v);
                }
            }
            let Some(value) = value else { return };
            if !field.r#type.is_some_and(is_64_bit) {
                return;
            }
            let options = field.options.get_or_insert_with(RawOptions::default);
            if wire::varint(&options.raw, number::JSTYPE) == Some(value as u64) {
                return;
            }
            wire::set_varint(&mut options.raw, number::JSTYPE, value as u64);
            let mut option_path = path;
            option_path.extend([8, number::JSTYPE as i32]);
            marked.push(option_path);
        };
        let scope = |name: &Option<String>| match package {
            "" => name.clone().unwrap_or_default(),
            p => format!("{p}.{}", name.as_deref().unwrap_or("")),
        };
        for (i, message) in file.message_type.iter_mut().enumerate() {
            let full = scope(&message.name);
            walk_message(message, full, vec![4, i as i32], &mut set);
        }
        for (i, ext) in file.extension.iter_mut().enumerate() {
            let full = scope(&ext.name);
            set(ext, full, vec![7, i as i32]);
        }
    }
}

/// Calls `set` on every field and extension of `message` and of its nested messages, with the
/// field's full name and source path.
fn walk_message(
    message: &mut DescriptorProto,
    full_name: String,
    path: Vec<i32>,
    set: &mut impl FnMut(&mut FieldDescriptorProto, String, Vec<i32>),
) {
    let child = |tag: i32, i: usize| {
        let mut p = path.clone();
        p.extend([tag, i as i32]);
        p
    };
    let named = |name: &Option<String>| format!("{full_name}.{}", name.as_deref().unwrap_or(""));
    for (i, field) in message.field.iter_mut().enumerate() {
        set(field, named(&field.name), child(2, i));
    }
    for (i, nested) in message.nested_type.iter_mut().enumerate() {
        let name = named(&nested.name);
        walk_message(nested, name, child(3, i), set);
    }
    for (i, ext) in message.extension.iter_mut().enumerate() {
        set(ext, named(&ext.name), child(6, i));
    }
}

fn is_64_bit(field_type: i32) -> bool {
    // INT64, UINT64, FIXED64, SFIXED64, SINT64
    matches!(field_type, 3 | 4 | 6 | 16 | 18)
}

/// One string option: its number, the options that give it a prefix and suffix, where its
/// value starts from, and how a value is derived from a prefix or suffix.
struct StringOption<'a> {
    option: FileOption,
    number: u32,
    prefix: Option<FileOption>,
    suffix: Option<FileOption>,
    default: StringRule,
    derive: Box<dyn Fn(&StringRule) -> String + 'a>,
}

fn string_options<'a>(subject: &'a Subject, package: &'a str) -> Vec<StringOption<'a>> {
    let value = |v: String| StringRule {
        value: v,
        ..StringRule::default()
    };
    let outer = pascal_case(subject.path.rsplit('/').next().unwrap_or(""));
    vec![
        StringOption {
            option: F::JavaOuterClassname,
            number: number::JAVA_OUTER_CLASSNAME,
            prefix: None,
            suffix: None,
            default: value(outer.clone()),
            derive: Box::new(move |_| outer.clone()),
        },
        StringOption {
            option: F::JavaPackage,
            number: number::JAVA_PACKAGE,
            prefix: Some(F::JavaPackagePrefix),
            suffix: Some(F::JavaPackageSuffix),
            default: StringRule {
                prefix: "com".into(),
                ..StringRule::default()
            },
            derive: Box::new(move |r| {
                if package.is_empty() {
                    return String::new();
                }
                let mut v = package.to_string();
                if !r.prefix.is_empty() {
                    v = format!("{}.{v}", r.prefix);
                }
                if !r.suffix.is_empty() {
                    v = format!("{v}.{}", r.suffix);
                }
                v
            }),
        },
        StringOption {
            option: F::GoPackage,
            number: number::GO_PACKAGE,
            prefix: Some(F::GoPackagePrefix),
            suffix: None,
            default: StringRule::default(),
            derive: Box::new(move |r| {
                if r.prefix.is_empty() {
                    return String::new();
                }
                go_package(&r.prefix, subject.path, package)
            }),
        },
        StringOption {
            option: F::ObjcClassPrefix,
            number: number::OBJC_CLASS_PREFIX,
            prefix: None,
            suffix: None,
            default: value(objc_class_prefix(package)),
            derive: Box::new(move |_| objc_class_prefix(package)),
        },
        StringOption {
            option: F::CsharpNamespace,
            number: number::CSHARP_NAMESPACE,
            prefix: Some(F::CsharpNamespacePrefix),
            suffix: None,
            default: value(joined(package, ".", false)),
            derive: Box::new(move |r| {
                let ns = joined(package, ".", false);
                if ns.is_empty() || r.prefix.is_empty() {
                    ns
                } else {
                    format!("{}.{ns}", r.prefix)
                }
            }),
        },
        StringOption {
            option: F::PhpNamespace,
            number: number::PHP_NAMESPACE,
            prefix: None,
            suffix: None,
            default: value(joined(package, "\\", true)),
            derive: Box::new(move |_| joined(package, "\\", true)),
        },
        StringOption {
            option: F::PhpMetadataNamespace,
            number: number::PHP_METADATA_NAMESPACE,
            prefix: None,
            suffix: Some(F::PhpMetadataNamespaceSuffix),
            default: value(match joined(package, "\\", true) {
                ns if ns.is_empty() => ns,
                ns => format!("{ns}\\GPBMetadata"),
            }),
            derive: Box::new(move |r| suffixed(joined(package, "\\", true), "\\", &r.suffix)),
        },
        StringOption {
            option: F::RubyPackage,
            number: number::RUBY_PACKAGE,
            prefix: None,
            suffix: Some(F::RubyPackageSuffix),
            default: value(joined(package, "::", false)),
            derive: Box::new(move |r| suffixed(joined(package, "::", false), "::", &r.suffix)),
        },
        StringOption {
            option: F::SwiftPrefix,
            number: number::SWIFT_PREFIX,
            prefix: None,
            suffix: None,
            default: StringRule::default(),
            derive: Box::new(|r| r.value.clone()),
        },
    ]
}

fn suffixed(base: String, separator: &str, suffix: &str) -> String {
    if base.is_empty() || suffix.is_empty() {
        base
    } else {
        format!("{base}{separator}{suffix}")
    }
}

/// `go_package` from a prefix: the prefix joined with the file's directory, plus
/// `;<last two package parts>` when the package ends in a version (`acme.weather.v1` gives
/// `;weatherv1`).
fn go_package(prefix: &str, file: &str, package: &str) -> String {
    let dir = match file.rsplit_once('/') {
        Some((d, _)) => d,
        None => ".",
    };
    let mut import = normalize(&format!("{prefix}/{dir}"));
    if prefix.starts_with('/') {
        import.insert(0, '/');
    }
    let parts: Vec<&str> = package.split('.').collect();
    if parts.len() >= 2 && is_version(parts[parts.len() - 1]) {
        import.push(';');
        import.push_str(parts[parts.len() - 2]);
        import.push_str(parts[parts.len() - 1]);
    }
    import
}

/// Whether a package's last part is a version as buf reads one: `v1`, `v1beta1`, `v2alpha`,
/// `v1p1beta1`, `v1test`, ...
fn is_version(part: &str) -> bool {
    let Some(version) = part.strip_prefix('v').filter(|v| !v.is_empty()) else {
        return false;
    };
    let number = |s: &str, min: i64| {
        let digits = s.strip_prefix('+').unwrap_or(s);
        !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && s.parse::<i64>()
                .is_ok_and(|n| n >= min && n <= i32::MAX as i64)
    };
    if let Some((major, _)) = version.split_once("test") {
        return number(major, 1);
    }
    let level = match (version.contains("alpha"), version.contains("beta")) {
        (false, false) => return number(version, 1),
        (true, false) => "alpha",
        (false, true) => "beta",
        (true, true) => return false,
    };
    let (head, minor) = version.split_once(level).unwrap();
    if !minor.is_empty() && !number(minor, 1) {
        return false;
    }
    match head.split_once('p') {
        Some((major, patch)) => number(major, 1) && number(patch, 1),
        None => number(head, 1),
    }
}

/// `objc_class_prefix` from a package: the initials of its parts (a trailing version left
/// out), padded with `X` to three letters; `GPB` (protobuf's own) becomes `GPX`.
fn objc_class_prefix(package: &str) -> String {
    if package.is_empty() {
        return String::new();
    }
    let parts: Vec<&str> = package.split('.').collect();
    let versioned = parts.len() >= 2 && is_version(parts[parts.len() - 1]);
    let mut prefix: String = parts
        .iter()
        .enumerate()
        .filter(|(i, _)| !(versioned && *i == parts.len() - 1))
        .filter_map(|(_, p)| p.chars().next())
        .flat_map(char::to_uppercase)
        .collect();
    while prefix.chars().count() < 3 {
        prefix.push('X');
    }
    if prefix == "GPB" {
        prefix = "GPX".into();
    }
    prefix
}

/// The package's parts in PascalCase, joined with `separator`; for PHP, a reserved word gets
/// a trailing `_`.
fn joined(package: &str, separator: &str, php: bool) -> String {
    if package.is_empty() {
        return String::new();
    }
    package
        .split('.')
        .map(|part| {
            let mut p = pascal_case(part);
            if php && PHP_RESERVED.contains(&part.to_lowercase().as_str()) {
                p.push('_');
            }
            p
        })
        .collect::<Vec<_>>()
        .join(separator)
}

/// buf's PascalCase: delimiters (`.`, `-`, `_`, whitespace) dropped, the letter after one
/// upper-cased, upper-case letters kept, other letters lower-cased.
fn pascal_case(s: &str) -> String {
    let delimiter = |c: char| matches!(c, '.' | '-' | '_' | ' ' | '\t' | '\n' | '\r');
    let mut out = String::new();
    let mut previous: Option<char> = None;
    for c in s.trim().chars() {
        if !delimiter(c) {
            if previous.is_none_or(delimiter) || c.is_uppercase() {
                out.extend(c.to_uppercase());
            } else {
                out.extend(c.to_lowercase());
            }
        }
        previous = Some(c);
    }
    out
}

/// Words PHP reserves, which a namespace part may not be.
const PHP_RESERVED: [&str; 89] = [
    "directory",
    "exception",
    "errorexception",
    "closure",
    "generator",
    "arithmeticerror",
    "assertionerror",
    "divisionbyzeroerror",
    "error",
    "throwable",
    "parseerror",
    "typeerror",
    "abstract",
    "and",
    "array",
    "as",
    "break",
    "callable",
    "case",
    "catch",
    "class",
    "clone",
    "const",
    "continue",
    "declare",
    "default",
    "die",
    "do",
    "echo",
    "else",
    "elseif",
    "empty",
    "enddeclare",
    "endfor",
    "endforeach",
    "endif",
    "endswitch",
    "endwhile",
    "eval",
    "exit",
    "extends",
    "final",
    "finally",
    "fn",
    "for",
    "foreach",
    "function",
    "global",
    "goto",
    "if",
    "implements",
    "include",
    "include_once",
    "instanceof",
    "insteadof",
    "interface",
    "isset",
    "list",
    "match",
    "namespace",
    "new",
    "or",
    "print",
    "private",
    "protected",
    "public",
    "require",
    "require_once",
    "return",
    "static",
    "switch",
    "throw",
    "trait",
    "try",
    "unset",
    "use",
    "var",
    "while",
    "xor",
    "yield",
    "int",
    "float",
    "bool",
    "string",
    "true",
    "false",
    "null",
    "void",
    "iterable",
];

/// What path a source location is, for dropping the locations of changed options.
#[derive(PartialEq)]
enum PathType {
    Other,
    /// A field's `options` (`[..., 8]` under a message field or an extension).
    FieldOptionsRoot,
    /// An option inside a field's `options`.
    FieldOption,
}

fn path_type(path: &[i32]) -> PathType {
    #[derive(Clone, Copy)]
    enum State {
        Start,
        Messages,
        Message,
        Fields,
        Field,
        FieldOptions,
    }
    let mut state = Some(State::Start);
    let mut kind = PathType::Other;
    for &element in path {
        let Some(s) = state else { break };
        (state, kind) = match (s, element) {
            (State::Start, 4) => (Some(State::Messages), PathType::Other),
            (State::Start, 7) => (Some(State::Fields), PathType::Other),
            (State::Messages, _) => (Some(State::Message), PathType::Other),
            (State::Message, 3) => (Some(State::Messages), PathType::Other),
            (State::Message, 2 | 6) => (Some(State::Fields), PathType::Other),
            (State::Fields, _) => (Some(State::Field), PathType::Other),
            (State::Field, 8) => (Some(State::FieldOptions), PathType::FieldOptionsRoot),
            (State::FieldOptions, _) => (None, PathType::FieldOption),
            _ => (None, PathType::Other),
        };
    }
    kind
}

/// Drops the source locations of the changed options, as buf does: a file option's location
/// with the `option` statement's before it; a field option's, and then any field `options`
/// location left with no option under it.
fn sweep(
    locations: &mut Vec<crate::compiler::descriptor::source_code_info::Location>,
    marked: &[Vec<i32>],
) -> Result<(), String> {
    let mut remove = vec![false; locations.len()];
    // Each field `options` location, and how many of its options stay.
    let mut roots: Vec<(usize, usize)> = Vec::new();
    for (i, location) in locations.iter().enumerate() {
        let path = &location.path[..];
        let kind = path_type(path);
        if kind == PathType::FieldOptionsRoot {
            roots.push((i, 0));
        }
        if !marked.iter().any(|m| m[..] == *path) {
            if kind == PathType::FieldOption {
                // Any option under a field's `options` location counts for it (`[..., 8, N]`,
                // and `[..., 8, N, 0]` for a repeated one).
                if let Some(root) = roots.iter_mut().rev().find(|(r, _)| {
                    let root = &locations[*r].path;
                    path.len() > root.len() && path.starts_with(root)
                }) {
                    root.1 += 1;
                }
            }
            continue;
        }
        if i == 0 {
            return Err(format!("path {path:?} must have a preceding parent path"));
        }
        if path.len() == 2 && path[0] == 8 {
            if *locations[i - 1].path != [8] {
                return Err(format!(
                    "file option path {path:?} must have a preceding parent path equal to [8]"
                ));
            }
            remove[i - 1] = true;
            remove[i] = true;
        } else if kind == PathType::FieldOption {
            remove[i] = true;
        } else {
            return Err(format!(
                "path {path:?} is neither a file option path nor a field option path"
            ));
        }
    }
    for (root, kept) in roots {
        if kept == 0 {
            remove[root] = true;
        }
    }
    let mut i = 0;
    locations.retain(|_| {
        i += 1;
        !remove[i - 1]
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_values_as_buf_derives_them() {
        assert_eq!(pascal_case("foo_bar.proto"), "FooBarProto");
        assert_eq!(pascal_case("fooBAR-baz.proto"), "FooBARBazProto");
        assert_eq!(pascal_case("_a.proto"), "AProto");
        assert_eq!(objc_class_prefix("acme.weather.v1"), "AWX");
        assert_eq!(objc_class_prefix("foo"), "FXX");
        assert_eq!(objc_class_prefix("google.protobuf.bar"), "GPX");
        assert_eq!(objc_class_prefix("a.b.c.d"), "ABCD");
        assert_eq!(joined("acme.weather.v1", ".", false), "Acme.Weather.V1");
        assert_eq!(joined("acme.class.v1", "\\", true), "Acme\\Class_\\V1");
        assert_eq!(joined("foo_bar.baz", "::", false), "FooBar::Baz");
        assert_eq!(
            go_package("github.com/acme/gen/", "acme/v1/a.proto", "acme.v1"),
            "github.com/acme/gen/acme/v1;acmev1"
        );
        assert_eq!(go_package("example.com/x", "a.proto", "a"), "example.com/x");
        for v in [
            "v1",
            "v2beta1",
            "v1alpha",
            "v1p1beta1",
            "v1test",
            "v1testfoo",
            "v10",
        ] {
            assert!(is_version(v), "{v}");
        }
        for v in [
            "v0",
            "v",
            "version",
            "v1alphabeta",
            "v1beta0",
            "1",
            "vx",
            "v1p0beta1",
        ] {
            assert!(!is_version(v), "{v}");
        }
    }

    #[test]
    fn rules_are_checked_as_buf_checks_them() {
        assert_eq!(
            FileOption::parse("java_pkg").unwrap_err(),
            "unknown file_option: \"java_pkg\""
        );
        assert_eq!(
            FileOption::parse(" Go_Package ").unwrap(),
            FileOption::GoPackage
        );
        assert_eq!(
            Disable::new(None, None, None, None, None).unwrap_err(),
            "empty disable rule is not allowed"
        );
        assert_eq!(
            Disable::new(None, None, Some("a.B.c".into()), Some(F::GoPackage), None).unwrap_err(),
            "cannot disable a file option for a field"
        );
        let int = Given::Other {
            shown: "1".into(),
            go_type: "int",
        };
        assert_eq!(
            Override::file(None, None, F::JavaPackage, &int).unwrap_err(),
            "invalid value 1 for java_package: expected a string, got int"
        );
        assert_eq!(
            Override::file(None, None, F::OptimizeFor, &Given::String("FAST".into())).unwrap_err(),
            "invalid value FAST for optimize_for: must be one of SPEED, CODE_SIZE or LITE_RUNTIME"
        );
        assert!(Override::file(
            Some("./a".into()),
            None,
            F::GoPackage,
            &Given::String("x".into())
        )
        .unwrap_err()
        .contains("must be relative"));
        assert!(Override::file(
            None,
            Some("acme".into()),
            F::GoPackage,
            &Given::String("x".into())
        )
        .unwrap_err()
        .contains("invalid module name"));
    }

    #[test]
    fn locations_of_changed_options_go_with_their_statement() {
        use crate::compiler::descriptor::source_code_info::Location;
        let loc = |p: &[i32]| Location {
            path: p.into(),
            ..Location::default()
        };
        let mut locations = vec![
            loc(&[]),
            loc(&[8]),
            loc(&[8, 1]),
            loc(&[8]),
            loc(&[8, 11]),
            loc(&[4, 0, 2, 0, 8]),
            loc(&[4, 0, 2, 0, 8, 6]),
            loc(&[4, 0, 2, 1, 8]),
            loc(&[4, 0, 2, 1, 8, 6]),
            loc(&[4, 0, 2, 1, 8, 3]),
        ];
        sweep(
            &mut locations,
            &[vec![8, 11], vec![4, 0, 2, 0, 8, 6], vec![4, 0, 2, 1, 8, 6]],
        )
        .unwrap();
        let paths: Vec<&[i32]> = locations.iter().map(|l| &l.path[..]).collect();
        assert_eq!(
            paths,
            [
                &[][..],
                &[8],
                &[8, 1],
                &[4, 0, 2, 1, 8],
                &[4, 0, 2, 1, 8, 3]
            ]
        );
    }
}
