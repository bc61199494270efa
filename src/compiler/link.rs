//! The linker: protoc's `DescriptorBuilder` cross-linking. A [`Pool`] holds the files linked so
//! far and one global symbol table; adding a file resolves its type names, extendees and method
//! types by protoc's scope walk, restricted to what the file can see, and fills in what protoc's
//! descriptors carry after linking: field `type`, fully-qualified names, `json_name` and
//! defaults re-formatted as `DefaultValueAsString` prints them.

use std::collections::HashMap;

use super::descriptor::{
    field_type, DescriptorProto, FieldDescriptorProto, FileDescriptorProto, SourceCodeInfo,
};
use super::literals;
use super::options;
use super::Diagnostic;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Package,
    Message,
    Enum,
    /// Registered as a sibling of its enum (C++ scoping); remembers the enum's full name.
    EnumValue(String),
    Field,
    Oneof,
    Service,
    Method,
}

impl Kind {
    fn is_type(&self) -> bool {
        matches!(self, Kind::Message | Kind::Enum)
    }

    /// protoc's `Symbol::IsAggregate`: may contain other symbols.
    fn is_aggregate(&self) -> bool {
        self.is_type() || matches!(self, Kind::Package | Kind::Service)
    }
}

struct Symbol {
    kind: Kind,
    /// The file that first defined it (for a package: the first file in that package).
    file: usize,
}

/// Linked files and every symbol they define, like protoc's `DescriptorPool`.
#[derive(Default)]
pub struct Pool {
    files: Vec<FileDescriptorProto>,
    by_name: HashMap<String, usize>,
    symbols: HashMap<String, Symbol>,
    /// Types and extensions of every file, for option interpretation.
    defs: options::Defs,
    /// Off for protoc's built-in descriptor.proto, which is only read for its shapes.
    pub(super) skip_options: bool,
}

impl Pool {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn file(&self, name: &str) -> Option<&FileDescriptorProto> {
        self.by_name.get(name).map(|&i| &self.files[i])
    }

    /// Every linked file, in the order added (dependencies first).
    pub fn files(&self) -> &[FileDescriptorProto] {
        &self.files
    }

    /// Whether a file in the pool defines `full_name` (no leading '.').
    pub fn has_symbol(&self, full_name: &str) -> bool {
        self.symbols.contains_key(full_name)
    }

    /// Types and extensions of every linked file.
    pub(super) fn defs(&self) -> &options::Defs {
        &self.defs
    }

    /// Links `file` (as `build` made it; `info` gives error positions) against the files
    /// already in the pool, which must include its imports, and adds it. On failure the pool
    /// is left without the file, and the errors are in protoc's order.
    pub fn add(
        &mut self,
        mut file: FileDescriptorProto,
        info: &SourceCodeInfo,
    ) -> Result<&FileDescriptorProto, Vec<Diagnostic>> {
        let index = self.files.len();
        let locs: HashMap<&[i32], (i32, i32)> = info
            .location
            .iter()
            .rev()
            .filter(|l| l.span.len() >= 2)
            .map(|l| (&l.path[..], (l.span[0], l.span[1])))
            .collect();
        let mut errors = Vec::new();
        let mut deps = Vec::new();
        for (i, d) in file.dependency.iter().enumerate() {
            match self.by_name.get(d) {
                Some(&f) => self.add_with_public(f, &mut deps),
                None => errors.push(at(
                    &locs,
                    &[3, i as i32],
                    format!("Import \"{d}\" was not found or had errors."),
                )),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let added = self.define(&file, index);
        let mut l = Linker {
            pool: self,
            index,
            package: file.package.clone().unwrap_or_default(),
            deps,
            locs,
            errors,
            undeclared: None,
            unresolved: None,
            file_name: file.name.clone().unwrap_or_default(),
        };
        l.file(&mut file);
        if l.errors.is_empty() && !l.pool.skip_options {
            // `import option` files are visible to option names only.
            for d in &file.option_dependency {
                if let Some(&f) = l.pool.by_name.get(d) {
                    let pool: &Pool = l.pool;
                    pool.add_with_public(f, &mut l.deps);
                }
            }
            let mut local = options::Defs::new();
            options::index_file(&file, &mut local);
            let pool: &Pool = l.pool;
            let pool_defs = &pool.defs;
            let mut i = options::Interpreter::new(&mut l, &local, pool_defs);
            options::interpret_file(&mut i, &mut file);
        }
        let errors = l.errors;
        if !errors.is_empty() {
            for name in added {
                self.symbols.remove(&name);
            }
            return Err(errors);
        }
        options::index_file(&file, &mut self.defs);
        self.by_name
            .insert(file.name.clone().unwrap_or_default(), index);
        self.files.push(file);
        Ok(&self.files[index])
    }

    /// `dep` and, transitively, what it re-exports through `import public`.
    fn add_with_public(&self, dep: usize, out: &mut Vec<usize>) {
        if out.contains(&dep) {
            return;
        }
        out.push(dep);
        let f = &self.files[dep];
        for &p in &f.public_dependency {
            if let Some(&i) = usize::try_from(p)
                .ok()
                .and_then(|p| f.dependency.get(p))
                .and_then(|n| self.by_name.get(n))
            {
                self.add_with_public(i, out);
            }
        }
    }

    /// Registers the symbols `file` defines; returns the names newly added. The first
    /// definition of a name wins (duplicate-symbol errors belong to validation).
    fn define(&mut self, file: &FileDescriptorProto, index: usize) -> Vec<String> {
        let mut names = Vec::new();
        let package = file.package.clone().unwrap_or_default();
        if !package.is_empty() {
            let mut prefix = String::new();
            for part in package.split('.') {
                if !prefix.is_empty() {
                    prefix.push('.');
                }
                prefix.push_str(part);
                names.push((prefix.clone(), Kind::Package));
            }
        }
        for m in &file.message_type {
            message_symbols(&package, m, &mut names);
        }
        for e in &file.enum_type {
            enum_symbols(&package, e, &mut names);
        }
        for x in &file.extension {
            names.push((qualify(&package, x.name()), Kind::Field));
        }
        for s in &file.service {
            let sname = qualify(&package, s.name());
            for m in &s.method {
                names.push((qualify(&sname, m.name()), Kind::Method));
            }
            names.push((sname, Kind::Service));
        }
        let mut added = Vec::new();
        for (name, kind) in names {
            if let std::collections::hash_map::Entry::Vacant(slot) = self.symbols.entry(name) {
                added.push(slot.key().clone());
                slot.insert(Symbol { kind, file: index });
            }
        }
        added
    }
}

fn qualify(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_string()
    } else {
        format!("{scope}.{name}")
    }
}

fn message_symbols(scope: &str, m: &DescriptorProto, out: &mut Vec<(String, Kind)>) {
    let full = qualify(scope, m.name());
    out.push((full.clone(), Kind::Message));
    for f in m.field.iter().chain(&m.extension) {
        out.push((qualify(&full, f.name()), Kind::Field));
    }
    for o in &m.oneof_decl {
        out.push((
            qualify(&full, o.name.as_deref().unwrap_or_default()),
            Kind::Oneof,
        ));
    }
    for n in &m.nested_type {
        message_symbols(&full, n, out);
    }
    for e in &m.enum_type {
        enum_symbols(&full, e, out);
    }
}

fn enum_symbols(
    scope: &str,
    e: &super::descriptor::EnumDescriptorProto,
    out: &mut Vec<(String, Kind)>,
) {
    let full = qualify(scope, e.name.as_deref().unwrap_or_default());
    for v in &e.value {
        out.push((
            qualify(scope, v.name.as_deref().unwrap_or_default()),
            Kind::EnumValue(full.clone()),
        ));
    }
    out.push((full, Kind::Enum));
}

fn at(locs: &HashMap<&[i32], (i32, i32)>, path: &[i32], message: String) -> Diagnostic {
    let (line, col) = locs.get(path).copied().unwrap_or((-1, 0));
    Diagnostic { line, col, message }
}

/// protoc's `ToJsonName`: drops each `_` and upper-cases the character after it.
pub fn to_json_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// protoc's `io::SimpleFtoa`: `%.6g`, else `%.9g` when that does not round-trip.
pub fn simple_ftoa(v: f32) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let short = literals::format_g(f64::from(v), 6);
    if short.parse::<f32>().ok() == Some(v) {
        short
    } else {
        literals::format_g(f64::from(v), 9)
    }
}

/// A float default as descriptor.cc stores it: `strtod`, then `SafeDoubleToFloat`.
fn float_default(text: &[u8]) -> Option<String> {
    let d: f64 = std::str::from_utf8(text).ok()?.parse().ok()?;
    let f = if d > f64::from(f32::MAX) {
        f32::INFINITY
    } else if d < -f64::from(f32::MAX) {
        f32::NEG_INFINITY
    } else {
        d as f32
    };
    Some(simple_ftoa(f))
}

/// Field paths inside a `FieldDescriptorProto`, for error positions.
const FIELD_EXTENDEE: i32 = 2;
const FIELD_TYPE_NAME: i32 = 6;
const FIELD_DEFAULT: i32 = 7;

pub(super) struct Linker<'a> {
    pool: &'a Pool,
    index: usize,
    package: String,
    /// protoc's `dependencies_`: direct imports and what they publicly re-export.
    deps: Vec<usize>,
    locs: HashMap<&'a [i32], (i32, i32)>,
    errors: Vec<Diagnostic>,
    /// protoc's `possible_undeclared_dependency_` (file, name) of the last lookup.
    undeclared: Option<(usize, String)>,
    /// protoc's `undefine_resolved_name_`.
    unresolved: Option<String>,
    file_name: String,
}

fn in_package(package: &str, name: &str) -> bool {
    package == name
        || (package.starts_with(name) && package.as_bytes().get(name.len()) == Some(&b'.'))
}

impl Linker<'_> {
    fn error(&mut self, path: &[i32], message: String) {
        let d = at(&self.locs, path, message);
        self.errors.push(d);
    }

    /// protoc's `FindSymbol`: a symbol defined anywhere in the pool, if this file may see it.
    fn find(&mut self, name: &str) -> Option<Kind> {
        let s = self.pool.symbols.get(name)?;
        if s.file == self.index || self.deps.contains(&s.file) {
            return Some(s.kind.clone());
        }
        if s.kind == Kind::Package
            && (in_package(&self.package, name)
                || self
                    .deps
                    .iter()
                    .any(|&d| in_package(self.pool.files[d].package(), name)))
        {
            return Some(Kind::Package);
        }
        self.undeclared = Some((s.file, name.to_string()));
        None
    }

    /// protoc's `LookupSymbolNoPlaceholder`: the full name and kind `name` resolves to from
    /// the scope of the element named `relative_to`.
    pub(super) fn lookup(
        &mut self,
        name: &str,
        relative_to: &str,
        types_only: bool,
    ) -> Option<(String, Kind)> {
        self.undeclared = None;
        self.unresolved = None;
        if let Some(full) = name.strip_prefix('.') {
            return self.find(full).map(|k| (full.to_string(), k));
        }
        let first = name.split('.').next().unwrap_or(name);
        let mut scope = relative_to.to_string();
        loop {
            let Some(dot) = scope.rfind('.') else {
                return self.find(name).map(|k| (name.to_string(), k));
            };
            scope.truncate(dot);
            let candidate = format!("{scope}.{first}");
            if let Some(kind) = self.find(&candidate) {
                if first.len() < name.len() {
                    if kind.is_aggregate() {
                        let full = format!("{scope}.{name}");
                        let found = self.find(&full);
                        if found.is_none() {
                            self.unresolved = Some(full.clone());
                        }
                        return found.map(|k| (full, k));
                    }
                } else if !types_only || kind.is_type() {
                    return Some((candidate, kind));
                }
            }
        }
    }

    /// protoc's `AddNotDefinedError`.
    fn not_defined(&mut self, path: &[i32], symbol: &str) {
        if self.undeclared.is_none() && self.unresolved.is_none() {
            self.error(path, format!("\"{symbol}\" is not defined."));
            return;
        }
        if let Some((file, name)) = self.undeclared.clone() {
            let defined_in = self.pool.files[file].name().to_string();
            let msg = format!(
                "\"{name}\" seems to be defined in \"{defined_in}\", which is not imported by \
                 \"{}\".  To use it here, please add the necessary import.",
                self.file_name
            );
            self.error(path, msg);
        }
        if let Some(resolved) = self.unresolved.clone() {
            let msg = format!(
                "\"{symbol}\" is resolved to \"{resolved}\", which is not defined. The innermost \
                 scope is searched first in name resolution. Consider using a leading '.'(i.e., \
                 \".{symbol}\") to start from the outermost scope."
            );
            self.error(path, msg);
        }
    }

    /// protoc's `CrossLinkFile` order: messages, extensions, services.
    fn file(&mut self, file: &mut FileDescriptorProto) {
        let package = self.package.clone();
        for (i, m) in file.message_type.iter_mut().enumerate() {
            self.message(m, &package, &[4, i as i32]);
        }
        for (i, x) in file.extension.iter_mut().enumerate() {
            self.field(x, &package, &[7, i as i32]);
        }
        for (i, s) in file.service.iter_mut().enumerate() {
            let sname = qualify(&package, s.name());
            for (j, m) in s.method.iter_mut().enumerate() {
                let full = qualify(&sname, m.name());
                let path = [6, i as i32, 2, j as i32];
                for (slot, tag) in [(&mut m.input_type, 2), (&mut m.output_type, 3)] {
                    let Some(written) = slot.clone() else {
                        continue;
                    };
                    let p = [&path[..], &[tag]].concat();
                    match self.lookup(&written, &full, false) {
                        None => self.not_defined(&p, &written),
                        Some((name, Kind::Message)) => *slot = Some(format!(".{name}")),
                        Some(_) => self.error(&p, format!("\"{written}\" is not a message type.")),
                    }
                }
            }
        }
    }

    /// protoc's `CrossLinkMessage` order: nested messages, fields, extensions.
    fn message(&mut self, m: &mut DescriptorProto, scope: &str, path: &[i32]) {
        let full = qualify(scope, m.name());
        for (i, n) in m.nested_type.iter_mut().enumerate() {
            self.message(n, &full, &[path, &[3, i as i32]].concat());
        }
        for (i, f) in m.field.iter_mut().enumerate() {
            self.field(f, &full, &[path, &[2, i as i32]].concat());
        }
        for (i, x) in m.extension.iter_mut().enumerate() {
            self.field(x, &full, &[path, &[6, i as i32]].concat());
        }
    }

    /// protoc's `CrossLinkField`, plus the json_name and default value `-o` writes.
    fn field(&mut self, f: &mut FieldDescriptorProto, scope: &str, path: &[i32]) {
        let full = qualify(scope, f.name());
        if f.json_name.is_none() {
            f.json_name = Some(to_json_name(f.name()).into_bytes());
        }
        let sub = |tag: i32| [path, &[tag]].concat();
        if f.r#type == Some(2) {
            if let Some(d) = f.default_value.as_deref().and_then(float_default) {
                f.default_value = Some(d.into_bytes());
            }
        }
        if let Some(written) = f.extendee.clone() {
            match self.lookup(&written, &full, false) {
                None => return self.not_defined(&sub(FIELD_EXTENDEE), &written),
                Some((name, Kind::Message)) => f.extendee = Some(format!(".{name}")),
                Some(_) => {
                    return self.error(
                        &sub(FIELD_EXTENDEE),
                        format!("\"{written}\" is not a message type."),
                    )
                }
            }
        }
        let Some(written) = f.type_name.clone() else {
            return;
        };
        let Some((name, kind)) = self.lookup(&written, &full, true) else {
            return self.not_defined(&sub(FIELD_TYPE_NAME), &written);
        };
        let ty = match (f.r#type, &kind) {
            (None, Kind::Message) => field_type::MESSAGE,
            (None, Kind::Enum) => field_type::ENUM,
            (None, _) => {
                return self.error(
                    &sub(FIELD_TYPE_NAME),
                    format!("\"{written}\" is not a type."),
                )
            }
            (Some(t), _) => t,
        };
        f.r#type = Some(ty);
        if ty == field_type::MESSAGE || ty == field_type::GROUP {
            if kind != Kind::Message {
                return self.error(
                    &sub(FIELD_TYPE_NAME),
                    format!("\"{written}\" is not a message type."),
                );
            }
            if f.default_value.is_some() {
                self.error(
                    &sub(FIELD_DEFAULT),
                    "Messages can't have default values.".into(),
                );
            }
        } else if ty == field_type::ENUM {
            if kind != Kind::Enum {
                return self.error(
                    &sub(FIELD_TYPE_NAME),
                    format!("\"{written}\" is not an enum type."),
                );
            }
            if let Some(d) = f.default_value.clone() {
                if !literals::is_identifier(&d) {
                    self.error(
                        &sub(FIELD_DEFAULT),
                        "Default value for an enum field must be an identifier.".into(),
                    );
                } else {
                    let value = String::from_utf8_lossy(&d).into_owned();
                    let found = self.lookup(&value, &name, false);
                    if !matches!(&found, Some((_, Kind::EnumValue(e))) if *e == name) {
                        self.error(
                            &sub(FIELD_DEFAULT),
                            format!("Enum type \"{name}\" has no value named \"{value}\"."),
                        );
                    }
                }
            }
        } else {
            return self.error(
                &sub(FIELD_TYPE_NAME),
                "Field with primitive type has type_name.".into(),
            );
        }
        f.type_name = Some(format!(".{name}"));
    }
}
