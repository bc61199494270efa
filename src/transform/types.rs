//! buf's type filter (`types`, `exclude_types`, `--type`, `--exclude-type`): the files cut down
//! to the named types and what they need, as buf 1.75 cuts them (bufimageutil).
//!
//! - A name is a package, message, enum, extension, service or method; `NAME.**` takes what is
//!   nested in it too (a package's subpackages, a message's nested types).
//! - Excludes are applied first: an excluded element takes what is nested in it along, a field
//!   of an excluded type goes, and a oneof left with no field goes.
//! - An included element brings what it needs: its field types, a method's input and output,
//!   the extendee and type of an extension, the custom options used on it (and their
//!   definitions), the extensions of kept messages, and the messages and files around it
//!   (kept as shells: a message kept only because something inside it is has no fields).
//! - With no includes, every file to generate is kept but what is excluded.
//! - Files left with nothing are dropped; imports are recomputed from what is used (public
//!   imports become plain ones), and source locations follow their elements to their new
//!   indexes or go with them.

use std::collections::{BTreeSet, HashMap};

use crate::compiler::descriptor::{
    descriptor_proto::ExtensionRange, source_code_info::Location, DescriptorProto,
    EnumDescriptorProto, EnumValueDescriptorProto, FieldDescriptorProto, FileDescriptorProto,
    MethodDescriptorProto, OneofDescriptorProto, RawOptions, ServiceDescriptorProto,
};

use super::wire;

/// What a filter keeps and drops.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TypeFilter {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

impl TypeFilter {
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }
}

/// A file of the set being filtered.
pub struct File {
    pub descriptor: FileDescriptorProto,
    /// Not a file to generate.
    pub is_import: bool,
}

// Source path tags.
const FILE_DEPENDENCY: i32 = 3;
const FILE_MESSAGES: i32 = 4;
const FILE_ENUMS: i32 = 5;
const FILE_SERVICES: i32 = 6;
const FILE_EXTENSIONS: i32 = 7;
const FILE_OPTIONS: i32 = 8;
const FILE_PUBLIC_DEPENDENCY: i32 = 10;
const FILE_WEAK_DEPENDENCY: i32 = 11;
const MESSAGE_FIELDS: i32 = 2;
const MESSAGE_NESTED: i32 = 3;
const MESSAGE_ENUMS: i32 = 4;
const MESSAGE_EXTENSION_RANGES: i32 = 5;
const MESSAGE_EXTENSIONS: i32 = 6;
const MESSAGE_OPTIONS: i32 = 7;
const MESSAGE_ONEOFS: i32 = 8;
const MESSAGE_RESERVED_RANGES: i32 = 9;
const MESSAGE_RESERVED_NAMES: i32 = 10;
const FIELD_OPTIONS: i32 = 8;
const ONEOF_OPTIONS: i32 = 2;
const ENUM_VALUES: i32 = 2;
const ENUM_OPTIONS: i32 = 3;
const ENUM_VALUE_OPTIONS: i32 = 3;
const SERVICE_METHODS: i32 = 2;
const SERVICE_OPTIONS: i32 = 3;
const METHOD_OPTIONS: i32 = 4;
const EXTENSION_RANGE_OPTIONS: i32 = 3;

/// An element of the closure: a file (by index), a named element (by full name), or a oneof
/// (its message's full name and index).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    File(usize),
    Named(String),
    Oneof(String, usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Excluded,
    Explicit,
    Enclosing,
    Implicit,
}

#[derive(Clone, Copy)]
enum Node<'a> {
    File(&'a FileDescriptorProto),
    Message(&'a DescriptorProto),
    Enum(&'a EnumDescriptorProto),
    Service(&'a ServiceDescriptorProto),
    Method(&'a MethodDescriptorProto),
    Extension(&'a FieldDescriptorProto),
}

struct Info<'a> {
    node: Node<'a>,
    file: usize,
    parent: Key,
}

#[derive(Default)]
struct Package {
    files: Vec<usize>,
    subpackages: Vec<String>,
}

/// What the closure looks elements up in.
struct Index<'a> {
    files: &'a [File],
    by_name: HashMap<String, Info<'a>>,
    packages: HashMap<String, Package>,
    /// Each file's named elements, in buf's walk order.
    file_types: Vec<Vec<String>>,
    /// The extensions of each message, by its full name.
    extensions: HashMap<String, Vec<String>>,
    /// The custom options: options message name, then field number, to extension name.
    options: HashMap<String, HashMap<u32, String>>,
}

const OPTIONS_MESSAGES: [&str; 9] = [
    "google.protobuf.FileOptions",
    "google.protobuf.MessageOptions",
    "google.protobuf.FieldOptions",
    "google.protobuf.OneofOptions",
    "google.protobuf.ExtensionRangeOptions",
    "google.protobuf.EnumOptions",
    "google.protobuf.EnumValueOptions",
    "google.protobuf.ServiceOptions",
    "google.protobuf.MethodOptions",
];

fn name(n: &Option<String>) -> &str {
    n.as_deref().unwrap_or("")
}

fn join(scope: &str, n: &str) -> String {
    if scope.is_empty() {
        n.to_string()
    } else {
        format!("{scope}.{n}")
    }
}

fn type_name(t: &Option<String>) -> &str {
    let t = name(t);
    t.strip_prefix('.').unwrap_or(t)
}

impl<'a> Index<'a> {
    fn new(files: &'a [File]) -> Result<Index<'a>, String> {
        let mut index = Index {
            files,
            by_name: HashMap::new(),
            packages: HashMap::new(),
            file_types: vec![Vec::new(); files.len()],
            extensions: HashMap::new(),
            options: HashMap::new(),
        };
        for (i, f) in files.iter().enumerate() {
            let package = name(&f.descriptor.package).to_string();
            index.add_package(&package);
            index.packages.get_mut(&package).unwrap().files.push(i);
            let d = &f.descriptor;
            for m in &d.message_type {
                index.message(i, &package, Key::File(i), m)?;
            }
            for e in &d.enum_type {
                index.add(
                    i,
                    join(&package, name(&e.name)),
                    Node::Enum(e),
                    Key::File(i),
                )?;
            }
            for x in &d.extension {
                index.extension(i, &package, Key::File(i), x)?;
            }
            for s in &d.service {
                let full = join(&package, name(&s.name));
                index.add(i, full.clone(), Node::Service(s), Key::File(i))?;
                for m in &s.method {
                    let method = join(&full, name(&m.name));
                    index.add(i, method, Node::Method(m), Key::Named(full.clone()))?;
                }
            }
        }
        Ok(index)
    }

    fn add_package(&mut self, package: &str) {
        if self.packages.contains_key(package) {
            return;
        }
        self.packages
            .insert(package.to_string(), Package::default());
        if package.is_empty() {
            return;
        }
        let parent = package.rsplit_once('.').map_or("", |(p, _)| p).to_string();
        self.add_package(&parent);
        self.packages
            .get_mut(&parent)
            .unwrap()
            .subpackages
            .push(package.to_string());
    }

    fn add(
        &mut self,
        file: usize,
        full: String,
        node: Node<'a>,
        parent: Key,
    ) -> Result<(), String> {
        if self.by_name.contains_key(&full) {
            return Err(format!("duplicate for \"{full}\""));
        }
        self.file_types[file].push(full.clone());
        self.by_name.insert(full, Info { node, file, parent });
        Ok(())
    }

    fn message(
        &mut self,
        file: usize,
        scope: &str,
        parent: Key,
        m: &'a DescriptorProto,
    ) -> Result<(), String> {
        let full = join(scope, name(&m.name));
        self.add(file, full.clone(), Node::Message(m), parent)?;
        let me = Key::Named(full.clone());
        for x in &m.extension {
            self.extension(file, &full, me.clone(), x)?;
        }
        for n in &m.nested_type {
            self.message(file, &full, me.clone(), n)?;
        }
        for e in &m.enum_type {
            self.add(file, join(&full, name(&e.name)), Node::Enum(e), me.clone())?;
        }
        Ok(())
    }

    fn extension(
        &mut self,
        file: usize,
        scope: &str,
        parent: Key,
        x: &'a FieldDescriptorProto,
    ) -> Result<(), String> {
        let full = join(scope, name(&x.name));
        let extendee = type_name(&x.extendee).to_string();
        if OPTIONS_MESSAGES.contains(&extendee.as_str()) {
            self.options
                .entry(extendee.clone())
                .or_default()
                .insert(x.number.unwrap_or(0) as u32, full.clone());
        }
        self.extensions
            .entry(extendee)
            .or_default()
            .push(full.clone());
        self.add(file, full, Node::Extension(x), parent)
    }

    fn file_name(&self, i: usize) -> &str {
        name(&self.files[i].descriptor.name)
    }
}

/// The elements kept and the imports each file needs.
struct Closure<'i, 'a> {
    index: &'i Index<'a>,
    modes: HashMap<Key, Mode>,
    /// Files seen, each with the files its kept elements use.
    imports: HashMap<String, BTreeSet<String>>,
    includes: bool,
}

const NOT_FOUND: &str = "not found";
const IS_IMPORT: &str = "type declared in imported module";
const EXCLUDED: &str = "type excluded by filter";

impl<'i, 'a> Closure<'i, 'a> {
    fn mode(&self, key: &Key) -> Option<Mode> {
        self.modes.get(key).copied()
    }

    fn has(&self, key: &Key) -> bool {
        match self.mode(key) {
            Some(Mode::Explicit | Mode::Implicit | Mode::Enclosing) => true,
            Some(Mode::Excluded) => false,
            None => !self.includes,
        }
    }

    fn add_import(&mut self, from: Option<usize>, to: usize) {
        let to_name = self.index.file_name(to).to_string();
        self.imports.entry(to_name.clone()).or_default();
        let Some(from) = from else { return };
        if from == to {
            return;
        }
        let from_name = self.index.file_name(from).to_string();
        self.imports.entry(from_name).or_default().insert(to_name);
    }

    fn info(&self, full: &str) -> Result<&'i Info<'a>, String> {
        self.index
            .by_name
            .get(full)
            .ok_or_else(|| format!("missing \"{full}\""))
    }

    fn include(&mut self, type_name: &str, recursive: bool) -> Result<(), String> {
        let at = |e: &str| format!("inclusion of type \"{type_name}\": {e}");
        if let Some(info) = self.index.by_name.get(type_name) {
            if self.index.files[info.file].is_import {
                return Err(at(IS_IMPORT));
            }
            let key = Key::Named(type_name.to_string());
            if self.mode(&key) == Some(Mode::Excluded) {
                return Err(at(EXCLUDED));
            }
            if let Node::Extension(x) = info.node {
                let extendee = self::type_name(&x.extendee);
                self.info(extendee)?;
                if self.mode(&Key::Named(extendee.to_string())) == Some(Mode::Excluded) {
                    return Err(format!("cannot include extension field \"{type_name}\" as its extendee type \"{extendee}\" is {EXCLUDED}"));
                }
            }
            self.add(key.clone(), None, false).map_err(|e| at(&e))?;
            if recursive {
                self.include_children(info.node, type_name)
                    .map_err(|e| at(&e))?;
            }
            return Ok(());
        }
        let Some(package) = self.index.packages.get(type_name) else {
            return Err(at(NOT_FOUND));
        };
        let mut files = package.files.clone();
        if recursive {
            files = self.package_files(type_name);
        }
        if files.is_empty() {
            return Err(at(&format!(
                "package contains no types directly; did you mean \"{type_name}.**\"?"
            )));
        }
        if files.iter().all(|&f| self.index.files[f].is_import) {
            return Err(at(IS_IMPORT));
        }
        if self.include_package(type_name, recursive)? == 0 {
            return Err(at(EXCLUDED));
        }
        Ok(())
    }

    fn package_files(&self, package: &str) -> Vec<usize> {
        let p = &self.index.packages[package];
        let mut files = p.files.clone();
        for sub in &p.subpackages {
            files.extend(self.package_files(sub));
        }
        files
    }

    fn include_package(&mut self, package: &str, recursive: bool) -> Result<usize, String> {
        let p = &self.index.packages[package];
        let mut included = 0;
        for &f in &p.files {
            if self.mode(&Key::File(f)) == Some(Mode::Excluded) {
                continue;
            }
            self.add(Key::File(f), None, false)
                .map_err(|e| format!("inclusion of package \"{package}\": {e}"))?;
            included += 1;
        }
        if recursive {
            for sub in &p.subpackages {
                included += self.include_package(sub, recursive)?;
            }
        }
        Ok(included)
    }

    /// Everything nested in `node` (named `full`), for `NAME.**`.
    fn include_children(&mut self, node: Node<'a>, full: &str) -> Result<(), String> {
        let Node::Message(m) = node else {
            return Ok(());
        };
        for n in &m.nested_type {
            let nested = join(full, name(&n.name));
            let key = Key::Named(nested.clone());
            if self.mode(&key) == Some(Mode::Excluded) {
                continue;
            }
            self.add(key, None, false)?;
            self.include_children(Node::Message(n), &nested)?;
        }
        for e in &m.enum_type {
            let key = Key::Named(join(full, name(&e.name)));
            if self.mode(&key) != Some(Mode::Excluded) {
                self.add(key, None, false)?;
            }
        }
        for x in &m.extension {
            let key = Key::Named(join(full, name(&x.name)));
            if self.mode(&key) != Some(Mode::Excluded) {
                self.add(key, None, false)?;
            }
        }
        Ok(())
    }

    /// buf's `addElement`.
    fn add(&mut self, key: Key, referrer: Option<usize>, by_option: bool) -> Result<(), String> {
        let (node, file, parent) = match &key {
            Key::File(f) => (Node::File(&self.index.files[*f].descriptor), *f, None),
            Key::Named(n) => {
                let info = self.info(n)?;
                (info.node, info.file, Some(info.parent.clone()))
            }
            Key::Oneof(..) => return Err("oneof is unsupported filter type".into()),
        };
        if let Some(existing) = self.mode(&key) {
            if existing != Mode::Enclosing {
                if existing == Mode::Excluded {
                    return Ok(());
                }
                self.add_import(referrer, file);
                if existing == Mode::Implicit && !by_option {
                    self.modes.insert(key, Mode::Explicit);
                }
                return Ok(());
            }
        }
        let mode = if by_option {
            Mode::Implicit
        } else {
            Mode::Explicit
        };
        self.modes.insert(key.clone(), mode);
        let full = match &key {
            Key::Named(n) => n.clone(),
            _ => String::new(),
        };
        match node {
            Node::File(_) => {
                for t in self.index.file_types[file].clone() {
                    self.add(Key::Named(t), None, false)?;
                }
            }
            Node::Message(m) => {
                let mut counts = vec![0usize; m.oneof_decl.len()];
                for field in &m.field {
                    if !self.add_field_type(field, file)? {
                        continue;
                    }
                    if let Some(i) = field.oneof_index {
                        let slot = usize::try_from(i)
                            .ok()
                            .and_then(|i| counts.get_mut(i))
                            .ok_or_else(|| {
                                format!(
                                    "invalid oneof index {i} for field \"{}\"",
                                    name(&field.name)
                                )
                            })?;
                        *slot += 1;
                    }
                    self.explore_options(&field.options, "FieldOptions", file)?;
                }
                for (i, oneof) in m.oneof_decl.iter().enumerate() {
                    if counts[i] == 0 {
                        self.modes
                            .insert(Key::Oneof(full.clone(), i), Mode::Excluded);
                        continue;
                    }
                    self.explore_options(&oneof.options, "OneofOptions", file)?;
                }
                for range in &m.extension_range {
                    self.explore_options(&range.options, "ExtensionRangeOptions", file)?;
                }
            }
            Node::Enum(e) => {
                for v in &e.value {
                    self.explore_options(&v.options, "EnumValueOptions", file)?;
                }
            }
            Node::Service(s) => {
                for m in &s.method {
                    let (input, output) = (type_name(&m.input_type), type_name(&m.output_type));
                    self.info(input)?;
                    self.info(output)?;
                    let (input_key, output_key) = (
                        Key::Named(input.to_string()),
                        Key::Named(output.to_string()),
                    );
                    if self.mode(&input_key) == Some(Mode::Excluded)
                        || self.mode(&output_key) == Some(Mode::Excluded)
                    {
                        // buf marks the input excluded, whichever of the two was.
                        self.modes.insert(input_key, Mode::Excluded);
                        continue;
                    }
                    self.add(Key::Named(join(&full, name(&m.name))), None, false)?;
                }
            }
            Node::Method(m) => {
                let (input, output) = (type_name(&m.input_type), type_name(&m.output_type));
                self.info(input)?;
                self.info(output)?;
                for (kind, t) in [("input", input), ("output", output)] {
                    if self.mode(&Key::Named(t.to_string())) == Some(Mode::Excluded) {
                        return Err(format!(
                            "cannot include method \"{full}\" as its {kind} type \"{t}\" is {EXCLUDED}"
                        ));
                    }
                }
                self.add(Key::Named(input.to_string()), Some(file), false)?;
                self.add(Key::Named(output.to_string()), Some(file), false)?;
            }
            Node::Extension(x) => {
                let extendee = type_name(&x.extendee).to_string();
                self.info(&extendee)?;
                if self.mode(&Key::Named(extendee.clone())) == Some(Mode::Excluded) {
                    self.modes.insert(key, Mode::Excluded);
                    return Ok(());
                }
                self.add(Key::Named(extendee), Some(file), by_option)?;
                if !self.add_field_type(x, file)? {
                    self.modes.insert(key, Mode::Excluded);
                    return Ok(());
                }
            }
        }
        self.add_import(referrer, file);
        if let Some(parent) = parent {
            self.add_enclosing(parent, file)?;
        }
        let (options, kind) = match node {
            Node::File(f) => (&f.options, "FileOptions"),
            Node::Message(m) => (&m.options, "MessageOptions"),
            Node::Enum(e) => (&e.options, "EnumOptions"),
            Node::Service(s) => (&s.options, "ServiceOptions"),
            Node::Method(m) => (&m.options, "MethodOptions"),
            Node::Extension(x) => (&x.options, "FieldOptions"),
        };
        self.explore_options(options, kind, file)
    }

    fn add_enclosing(&mut self, mut key: Key, file: usize) -> Result<(), String> {
        loop {
            let (node, parent) = match &key {
                Key::File(f) => (Node::File(&self.index.files[*f].descriptor), None),
                Key::Named(n) => {
                    let info = self.info(n)?;
                    (info.node, Some(info.parent.clone()))
                }
                Key::Oneof(..) => return Ok(()),
            };
            let options = match node {
                Node::File(f) => (&f.options, "FileOptions"),
                Node::Message(m) => (&m.options, "MessageOptions"),
                Node::Service(s) => (&s.options, "ServiceOptions"),
                _ => return Ok(()),
            };
            if self.modes.contains_key(&key) {
                return Ok(());
            }
            self.modes.insert(key, Mode::Enclosing);
            self.explore_options(options.0, options.1, file)?;
            match parent {
                Some(p) => key = p,
                None => return Ok(()),
            }
        }
    }

    fn add_field_type(
        &mut self,
        field: &FieldDescriptorProto,
        referrer: usize,
    ) -> Result<bool, String> {
        match field.r#type.unwrap_or(0) {
            // ENUM, MESSAGE, GROUP
            14 | 11 | 10 => {
                let t = type_name(&field.type_name);
                self.info(t)?;
                let key = Key::Named(t.to_string());
                if self.mode(&key) == Some(Mode::Excluded) {
                    return Ok(false);
                }
                self.add(key, Some(referrer), false)?;
                Ok(true)
            }
            1..=18 => Ok(true),
            other => Err(format!("unknown field type {other}")),
        }
    }

    /// The custom options set on an element bring their definitions along.
    fn explore_options(
        &mut self,
        options: &Option<RawOptions>,
        kind: &str,
        referrer: usize,
    ) -> Result<(), String> {
        let Some(options) = options else {
            return Ok(());
        };
        let Some(by_number) = self.index.options.get(&format!("google.protobuf.{kind}")) else {
            return Ok(());
        };
        for number in wire::numbers(&options.raw) {
            let Some(ext) = by_number.get(&number) else {
                continue;
            };
            let key = Key::Named(ext.clone());
            if self.mode(&key) == Some(Mode::Excluded) {
                continue;
            }
            self.add(key, Some(referrer), true)?;
        }
        Ok(())
    }

    fn exclude(&mut self, type_name: &str, recursive: bool) -> Result<(), String> {
        if self.index.by_name.contains_key(type_name) {
            return self.exclude_element(Key::Named(type_name.to_string()));
        }
        if !self.index.packages.contains_key(type_name) {
            return Err(format!("exclusion of type \"{type_name}\": {NOT_FOUND}"));
        }
        let files = if recursive {
            self.package_files(type_name)
        } else {
            self.index.packages[type_name].files.clone()
        };
        for f in files {
            self.exclude_element(Key::File(f))?;
        }
        Ok(())
    }

    fn exclude_element(&mut self, key: Key) -> Result<(), String> {
        if let Some(existing) = self.mode(&key) {
            if existing != Mode::Excluded {
                let shown = match &key {
                    Key::Named(n) => n.clone(),
                    Key::File(f) => name(&self.index.files[*f].descriptor.package).to_string(),
                    Key::Oneof(m, _) => m.clone(),
                };
                return Err(format!("type \"{shown}\" is already included"));
            }
            return Ok(());
        }
        self.modes.insert(key.clone(), Mode::Excluded);
        let children: Vec<String> = match &key {
            Key::File(f) => {
                let d = &self.index.files[*f].descriptor;
                let package = name(&d.package);
                d.message_type
                    .iter()
                    .map(|m| join(package, name(&m.name)))
                    .chain(d.enum_type.iter().map(|e| join(package, name(&e.name))))
                    .chain(d.service.iter().map(|s| join(package, name(&s.name))))
                    .chain(d.extension.iter().map(|x| join(package, name(&x.name))))
                    .collect()
            }
            Key::Named(n) => match self.info(n)?.node {
                Node::Message(m) => m
                    .nested_type
                    .iter()
                    .map(|x| join(n, name(&x.name)))
                    .chain(m.enum_type.iter().map(|e| join(n, name(&e.name))))
                    .chain(m.extension.iter().map(|x| join(n, name(&x.name))))
                    .collect(),
                Node::Service(s) => s.method.iter().map(|m| join(n, name(&m.name))).collect(),
                _ => Vec::new(),
            },
            Key::Oneof(..) => Vec::new(),
        };
        for c in children {
            self.exclude_element(Key::Named(c))?;
        }
        Ok(())
    }

    /// The extensions of every explicitly kept message.
    fn add_extensions(&mut self) -> Result<(), String> {
        let messages: Vec<String> = self
            .modes
            .iter()
            .filter(|(k, m)| {
                **m == Mode::Explicit
                    && matches!(k, Key::Named(n) if matches!(self.index.by_name[n].node, Node::Message(_)))
            })
            .filter_map(|(k, _)| match k {
                Key::Named(n) => Some(n.clone()),
                _ => None,
            })
            .collect();
        for m in messages {
            for ext in self.index.extensions.get(&m).cloned().unwrap_or_default() {
                let key = Key::Named(ext);
                if self.mode(&key) == Some(Mode::Excluded) {
                    continue;
                }
                self.add(key, None, false)?;
            }
        }
        Ok(())
    }

    /// An import kept only as the enclosure of what is used, with imports it does not need
    /// now, is kept whole (buf's `traverseRetainedImportFiles`).
    fn retain_import_files(&mut self) -> Result<(), String> {
        loop {
            let mut again = false;
            for (i, f) in self.index.files.iter().enumerate() {
                if !f.is_import || self.mode(&Key::File(i)) != Some(Mode::Enclosing) {
                    continue;
                }
                let required = self.imports.get(self.index.file_name(i));
                let needs = f
                    .descriptor
                    .dependency
                    .iter()
                    .any(|d| !required.is_some_and(|r| r.contains(d)));
                if needs {
                    self.add(Key::File(i), None, false)?;
                    again = true;
                    break;
                }
            }
            if !again {
                return Ok(());
            }
        }
    }
}

/// Whether `name` is a valid full name (dot-separated identifiers), or empty.
fn valid_name(name: &str) -> bool {
    name.is_empty()
        || name.split('.').all(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

fn invalid(kind: &str, name: &str) -> String {
    if name.contains('*') {
        format!("invalid {kind} type \"{name}\": the only supported wildcard is \".**\" and it must come at the end")
    } else {
        format!("invalid {kind} type \"{name}\"")
    }
}

/// Filters `files` (in dependency order). Returns the files kept, in the same order, rewritten;
/// `Err` is buf's message.
pub fn filter(files: &[File], filter: &TypeFilter) -> Result<Vec<FileDescriptorProto>, String> {
    let index = Index::new(files)?;
    let mut closure = Closure {
        index: &index,
        modes: HashMap::new(),
        imports: HashMap::new(),
        includes: !filter.include.is_empty(),
    };
    let mut exclude: Vec<&String> = filter.exclude.iter().collect();
    exclude.sort();
    exclude.dedup();
    for t in exclude {
        let (n, recursive) = t
            .strip_suffix(".**")
            .map_or((t.as_str(), false), |n| (n, true));
        if !valid_name(n) {
            return Err(invalid("exclude", t));
        }
        closure.exclude(n, recursive)?;
    }
    let mut include: Vec<&String> = filter.include.iter().collect();
    include.sort();
    include.dedup();
    for t in include {
        let (n, recursive) = t
            .strip_suffix(".**")
            .map_or((t.as_str(), false), |n| (n, true));
        if !valid_name(n) {
            return Err(invalid("include", t));
        }
        closure.include(n, recursive)?;
    }
    if filter.include.is_empty() {
        for (i, f) in files.iter().enumerate() {
            if f.is_import || closure.mode(&Key::File(i)) == Some(Mode::Excluded) {
                continue;
            }
            closure.add(Key::File(i), None, false)?;
        }
        closure.retain_import_files()?;
    }
    closure.add_extensions()?;

    let mut out = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let file_name = index.file_name(i);
        let Some(required) = closure.imports.get(file_name) else {
            continue;
        };
        if !closure.has(&Key::File(i)) {
            continue;
        }
        out.push(rewrite_file(&closure, &f.descriptor, required.clone())?);
    }
    Ok(out)
}

/// Where source locations go: deleted, moved to another index, or kept without comments.
#[derive(Default)]
struct Remap {
    nodes: HashMap<Vec<i32>, (i32, bool)>,
}

impl Remap {
    fn insert(&mut self, path: &[i32], new_index: Option<i32>, no_comment: bool) {
        for k in 1..path.len() {
            self.nodes
                .entry(path[..k].to_vec())
                .or_insert((path[k - 1], false));
        }
        let node = self
            .nodes
            .entry(path.to_vec())
            .or_insert((path[path.len() - 1], false));
        if no_comment {
            node.1 = true;
        } else {
            node.0 = new_index.unwrap_or(-1);
        }
    }

    fn moved(&mut self, path: &[i32], to: i32) {
        self.insert(path, Some(to), false);
    }

    fn deleted(&mut self, path: &[i32]) {
        self.insert(path, None, false);
    }

    fn no_comment(&mut self, path: &[i32]) {
        self.insert(path, None, true);
    }

    /// The new path, and whether its comments go; `None` when the location goes.
    fn new_path(&self, old: &[i32]) -> Option<(Vec<i32>, bool)> {
        let mut new = old.to_vec();
        for k in 0..old.len() {
            let Some(&(index, no_comment)) = self.nodes.get(&old[..=k]) else {
                return Some((new, false));
            };
            if index == -1 {
                return None;
            }
            new[k] = index;
            if k == old.len() - 1 {
                return Some((new, no_comment));
            }
        }
        Some((new, false))
    }
}

fn path(base: &[i32], more: &[i32]) -> Vec<i32> {
    let mut p = base.to_vec();
    p.extend_from_slice(more);
    p
}

struct Rewriter<'c, 'i, 'a> {
    closure: &'c Closure<'i, 'a>,
    remap: Remap,
}

impl Rewriter<'_, '_, '_> {
    /// Keeps the items `keep` returns, recording moves and deletions under `base`.
    fn list<T>(
        &mut self,
        base: &[i32],
        items: &[T],
        mut keep: impl FnMut(&mut Self, &[i32], &T) -> Option<T>,
    ) -> Vec<T> {
        let mut out = Vec::new();
        for (from, item) in items.iter().enumerate() {
            let p = path(base, &[from as i32]);
            match keep(self, &p, item) {
                Some(new) => {
                    if from != out.len() {
                        self.remap.moved(&p, out.len() as i32);
                    }
                    out.push(new);
                }
                None => self.remap.deleted(&p),
            }
        }
        if out.is_empty() {
            self.remap.deleted(base);
        }
        out
    }

    /// Custom options whose definitions were excluded go; an options message left empty goes.
    fn options(
        &mut self,
        base: &[i32],
        options: &Option<RawOptions>,
        kind: &str,
    ) -> Option<RawOptions> {
        let options = options.as_ref()?;
        let mut raw = options.raw.clone();
        let by_number = self
            .closure
            .index
            .options
            .get(&format!("google.protobuf.{kind}"));
        let numbers = wire::numbers(&raw);
        let mut kept = 0;
        for number in numbers {
            let ext = by_number.and_then(|b| b.get(&number));
            let dropped = ext
                .is_some_and(|e| self.closure.mode(&Key::Named(e.clone())) == Some(Mode::Excluded));
            if dropped {
                self.remap.deleted(&path(base, &[number as i32]));
                wire::remove(&mut raw, number);
            } else {
                kept += 1;
            }
        }
        if kept == 0 && options.uninterpreted.is_empty() {
            self.remap.deleted(base);
            return None;
        }
        Some(RawOptions {
            raw,
            uninterpreted: options.uninterpreted.clone(),
        })
    }

    fn message(&mut self, p: &[i32], scope: &str, m: &DescriptorProto) -> Option<DescriptorProto> {
        let full = join(scope, name(&m.name));
        if !self.closure.has(&Key::Named(full.clone())) {
            return None;
        }
        let mut out = m.clone();
        if self.closure.mode(&Key::Named(full.clone())) == Some(Mode::Enclosing) {
            if !m.field.is_empty()
                || !m.oneof_decl.is_empty()
                || !m.extension_range.is_empty()
                || !m.reserved_range.is_empty()
                || !m.reserved_name.is_empty()
            {
                self.remap.no_comment(p);
                for tag in [
                    MESSAGE_FIELDS,
                    MESSAGE_ONEOFS,
                    MESSAGE_EXTENSION_RANGES,
                    MESSAGE_RESERVED_RANGES,
                    MESSAGE_RESERVED_NAMES,
                ] {
                    self.remap.deleted(&path(p, &[tag]));
                }
                out.field.clear();
                out.oneof_decl.clear();
                out.extension_range.clear();
                out.reserved_range.clear();
                out.reserved_name.clear();
            }
        } else {
            out.field = self.list(&path(p, &[MESSAGE_FIELDS]), &m.field, |r, fp, f| {
                r.field(fp, f)
            });
            out.oneof_decl = self.list(&path(p, &[MESSAGE_ONEOFS]), &m.oneof_decl, |r, op, o| {
                let i = *op.last().unwrap() as usize;
                r.oneof(op, &full, i, o)
            });
            out.extension_range = self.list(
                &path(p, &[MESSAGE_EXTENSION_RANGES]),
                &m.extension_range,
                |r, ep, e| Some(r.extension_range(ep, e)),
            );
        }
        out.extension = self.list(&path(p, &[MESSAGE_EXTENSIONS]), &m.extension, |r, fp, f| {
            r.extension(fp, &full, f)
        });
        out.nested_type = self.list(&path(p, &[MESSAGE_NESTED]), &m.nested_type, |r, np, n| {
            r.message(np, &full, n)
        });
        out.enum_type = self.list(&path(p, &[MESSAGE_ENUMS]), &m.enum_type, |r, ep, e| {
            r.enumeration(ep, &full, e)
        });
        out.options = self.options(&path(p, &[MESSAGE_OPTIONS]), &m.options, "MessageOptions");
        Some(out)
    }

    fn extension_range(&mut self, p: &[i32], e: &ExtensionRange) -> ExtensionRange {
        let mut out = e.clone();
        out.options = self.options(
            &path(p, &[EXTENSION_RANGE_OPTIONS]),
            &e.options,
            "ExtensionRangeOptions",
        );
        out
    }

    fn oneof(
        &mut self,
        p: &[i32],
        message: &str,
        i: usize,
        o: &OneofDescriptorProto,
    ) -> Option<OneofDescriptorProto> {
        if self.closure.mode(&Key::Oneof(message.to_string(), i)) == Some(Mode::Excluded) {
            return None;
        }
        let mut out = o.clone();
        out.options = self.options(&path(p, &[ONEOF_OPTIONS]), &o.options, "OneofOptions");
        Some(out)
    }

    fn extension(
        &mut self,
        p: &[i32],
        scope: &str,
        f: &FieldDescriptorProto,
    ) -> Option<FieldDescriptorProto> {
        if !self.closure.has(&Key::Named(join(scope, name(&f.name)))) {
            return None;
        }
        self.field(p, f)
    }

    fn field(&mut self, p: &[i32], f: &FieldDescriptorProto) -> Option<FieldDescriptorProto> {
        if matches!(f.r#type, Some(10 | 11 | 14))
            && !self
                .closure
                .has(&Key::Named(type_name(&f.type_name).to_string()))
        {
            return None;
        }
        let mut out = f.clone();
        out.options = self.options(&path(p, &[FIELD_OPTIONS]), &f.options, "FieldOptions");
        Some(out)
    }

    fn enumeration(
        &mut self,
        p: &[i32],
        scope: &str,
        e: &EnumDescriptorProto,
    ) -> Option<EnumDescriptorProto> {
        if !self.closure.has(&Key::Named(join(scope, name(&e.name)))) {
            return None;
        }
        let mut out = e.clone();
        out.options = self.options(&path(p, &[ENUM_OPTIONS]), &e.options, "EnumOptions");
        out.value = self.list(
            &path(p, &[ENUM_VALUES]),
            &e.value,
            |r, vp, v: &EnumValueDescriptorProto| {
                let mut v = v.clone();
                v.options = r.options(
                    &path(vp, &[ENUM_VALUE_OPTIONS]),
                    &v.options,
                    "EnumValueOptions",
                );
                Some(v)
            },
        );
        Some(out)
    }

    fn service(
        &mut self,
        p: &[i32],
        scope: &str,
        s: &ServiceDescriptorProto,
    ) -> Option<ServiceDescriptorProto> {
        let full = join(scope, name(&s.name));
        if !self.closure.has(&Key::Named(full.clone())) {
            return None;
        }
        let mut out = s.clone();
        out.method = self.list(&path(p, &[SERVICE_METHODS]), &s.method, |r, mp, m| {
            if !r.closure.has(&Key::Named(join(&full, name(&m.name)))) {
                return None;
            }
            let mut m = m.clone();
            m.options = r.options(&path(mp, &[METHOD_OPTIONS]), &m.options, "MethodOptions");
            Some(m)
        });
        out.options = self.options(&path(p, &[SERVICE_OPTIONS]), &s.options, "ServiceOptions");
        Some(out)
    }
}

fn rewrite_file(
    closure: &Closure,
    file: &FileDescriptorProto,
    mut required: BTreeSet<String>,
) -> Result<FileDescriptorProto, String> {
    if !file.option_dependency.is_empty() {
        return Err("edition 2024 not yet supported: cannot filter a file descriptor with option dependencies".into());
    }
    let package = name(&file.package).to_string();
    let mut r = Rewriter {
        closure,
        remap: Remap::default(),
    };
    let mut out = file.clone();
    out.message_type = r.list(&[FILE_MESSAGES], &file.message_type, |r, p, m| {
        r.message(p, &package, m)
    });
    out.enum_type = r.list(&[FILE_ENUMS], &file.enum_type, |r, p, e| {
        r.enumeration(p, &package, e)
    });
    out.service = r.list(&[FILE_SERVICES], &file.service, |r, p, s| {
        r.service(p, &package, s)
    });
    out.extension = r.list(&[FILE_EXTENSIONS], &file.extension, |r, p, x| {
        r.extension(p, &package, x)
    });
    out.options = r.options(&[FILE_OPTIONS], &file.options, "FileOptions");

    // Imports: what is used, in the original order, then what was reached through a public
    // import, sorted; public imports become plain ones.
    let all_required = file.dependency.len() == required.len()
        && file.dependency.iter().all(|d| required.contains(d));
    if !(all_required && file.public_dependency.is_empty()) {
        let mut dependency = Vec::new();
        let mut changes = Vec::with_capacity(file.dependency.len());
        for (from, d) in file.dependency.iter().enumerate() {
            let p = [FILE_DEPENDENCY, from as i32];
            if required.remove(d) {
                let to = dependency.len() as i32;
                if to != from as i32 {
                    r.remap.moved(&p, to);
                }
                changes.push(to);
                dependency.push(d.clone());
            } else {
                r.remap.deleted(&p);
                changes.push(-1);
            }
        }
        dependency.extend(required);
        r.remap.deleted(&[FILE_PUBLIC_DEPENDENCY]);
        let mut weak = Vec::new();
        for (from, &index) in file.weak_dependency.iter().enumerate() {
            let p = [FILE_WEAK_DEPENDENCY, from as i32];
            match changes.get(index as usize).copied().unwrap_or(-1) {
                -1 => r.remap.deleted(&p),
                to => {
                    if weak.len() != from {
                        r.remap.moved(&p, weak.len() as i32);
                    }
                    weak.push(to);
                }
            }
        }
        out.dependency = dependency;
        out.public_dependency = Vec::new();
        out.weak_dependency = weak;
    }

    if let Some(info) = &mut out.source_code_info {
        let mut locations: Vec<Location> = Vec::with_capacity(info.location.len());
        for l in &info.location {
            let Some((new_path, no_comment)) = r.remap.new_path(&l.path) else {
                continue;
            };
            let mut l = l.clone();
            l.path = new_path.into_boxed_slice();
            if no_comment {
                l.comments = None;
            }
            locations.push(l);
        }
        info.location = locations;
    }
    Ok(out)
}
