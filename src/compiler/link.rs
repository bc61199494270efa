//! The linker: protoc's `DescriptorBuilder` cross-linking. A [`Pool`] holds the files linked so
//! far and one global symbol table; adding a file resolves its type names, extendees and method
//! types by protoc's scope walk, restricted to what the file can see, and fills in what protoc's
//! descriptors carry after linking: field `type`, fully-qualified names, `json_name` and
//! defaults re-formatted as `DefaultValueAsString` prints them.

use super::HashMap;

use super::descriptor::{
    field_type, DescriptorProto, FieldDescriptorProto, FileDescriptorProto, SourceCodeInfo,
};
use super::features;
use super::literals;
use super::options;
use super::validate;
use super::validate_editions;
use super::validate_options;
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

pub(super) struct Symbol {
    pub kind: Kind,
    /// The file that first defined it (for a package: the first file in that package).
    pub file: usize,
}

/// Linked files and every symbol they define, like protoc's `DescriptorPool`.
#[derive(Default)]
pub struct Pool {
    files: Vec<FileDescriptorProto>,
    by_name: HashMap<String, usize>,
    pub(super) symbols: HashMap<String, Symbol>,
    /// Types and extensions of every file, for option interpretation.
    defs: options::Defs,
    /// Off for protoc's built-in descriptor.proto, which is only read for its shapes.
    pub(super) skip_options: bool,
    /// Warnings of the files added so far, in protoc's order.
    warnings: Vec<Warning>,
    /// Extensions of the files added so far by (extendee, number): full name and file
    /// (protoc's `Tables::AddExtension`). Boxed: a `Pool` is carried by value in enums
    /// (`engine::load::Inputs`) that clippy wants small.
    #[allow(clippy::box_collection)]
    extensions: Box<HashMap<(String, i32), (String, String)>>,
}

/// A warning protoc prints (`file:line:col: warning: message`) while still succeeding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub file: String,
    pub diagnostic: Diagnostic,
    /// `Import x is unused.`: protoc reports it only for the files named on its command line.
    pub unused_import: bool,
}

impl Warning {
    /// The line protoc prints on stderr.
    pub fn render(&self) -> String {
        let d = Diagnostic {
            message: format!("warning: {}", self.diagnostic.message),
            ..self.diagnostic.clone()
        };
        d.render(&self.file)
    }
}

impl Pool {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn file(&self, name: &str) -> Option<&FileDescriptorProto> {
        self.by_name.get(name).map(|&i| &self.files[i])
    }

    /// The warnings of every file added so far, in order.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// A file's position in load order (every file after its imports).
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// The file that defines symbol `name` (for a package, the first file in it).
    pub(super) fn defining_file(&self, name: &str) -> Option<&FileDescriptorProto> {
        self.files.get(self.symbols.get(name)?.file)
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

    /// The full name of the first extension of `extendee` (no leading '.') numbered `number`.
    pub(super) fn extension(&self, extendee: &str, number: i32) -> Option<&str> {
        let key = (extendee.to_string(), number);
        self.extensions.get(&key).map(|(full, _)| full.as_str())
    }

    /// Links `file` (as `build` made it) against the files already in the pool, which must
    /// include its imports, and adds it with `info` as its source info (error positions come
    /// from it; interpreted options' locations are renamed to their fields). On failure the
    /// pool is left without the file, and the errors are in protoc's order.
    pub fn add(
        &mut self,
        mut file: FileDescriptorProto,
        info: Option<SourceCodeInfo>,
    ) -> Result<&FileDescriptorProto, Vec<Diagnostic>> {
        let keep_info = info.is_some();
        let mut info = info.unwrap_or_default();
        file.source_code_info = None;
        let mut renamed = HashMap::default();
        let index = self.files.len();
        let locs = locations(&info);
        let mut b = validate::Builder::new(self, index, &locs);
        // protoc's `BuildFile`: the package, then the imports, then every definition.
        if let Some(package) = file.package.as_deref().filter(|p| !p.is_empty()) {
            b.package(package);
        }
        let mut deps = Vec::new();
        let mut seen = super::HashSet::default();
        for (i, d) in file.dependency.iter().enumerate() {
            // protoc positions an import error at the last import of that name.
            let last = file.dependency.iter().rposition(|x| x == d).unwrap_or(i);
            let import_path = [validate::path::FILE_DEPENDENCY, last as i32];
            if !seen.insert(d) {
                b.errors.push(at(
                    &locs,
                    &import_path,
                    format!("Import \"{d}\" was listed twice."),
                ));
            }
            match b.pool().by_name.get(d) {
                Some(&f) => b.pool().add_with_public(f, &mut deps),
                None => {
                    b.errors.push(at(
                        &locs,
                        &import_path,
                        format!("Import \"{d}\" was not found or had errors."),
                    ));
                }
            }
        }
        // As protoc does, a file whose imports failed is still built and cross-linked, so that
        // its own errors (a type of the missing file "is not defined") are reported too; with
        // errors, options are not interpreted.
        b.file(&file);
        let validate::Builder { errors, added, .. } = b;
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
            numbers: HashMap::default(),
            used: Default::default(),
            local_ranges: validate::local_ranges(&file),
            warnings: Vec::new(),
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
            let mut local = options::Defs::default();
            options::index_file(&file, &mut local);
            let pool: &Pool = l.pool;
            let pool_defs = &pool.defs;
            let mut i = options::Interpreter::new(&mut l, &local, pool_defs);
            options::interpret_file(&mut i, &mut file);
            renamed = std::mem::take(&mut i.paths);
            let mut option_errors = std::mem::take(&mut i.errors);
            // protoc interprets plain options everywhere first, then extensions, each pass
            // in the order its builder met the elements.
            let order = validate::options_order(&file);
            option_errors.sort_by_key(|(pass, element, _, _)| {
                (*pass, order.get(element).copied().unwrap_or(usize::MAX))
            });
            for (_, _, name_path, message) in option_errors {
                l.error(&name_path, message);
            }
        }
        let used = std::mem::take(&mut l.used);
        let link_warnings = std::mem::take(&mut l.warnings);
        // The linker's copy shares its borrow of the pool.
        drop(l.locs);
        let locs = locations(&info);
        let mut errors = l.errors;
        let mut warnings = link_warnings;
        if errors.is_empty() && !self.skip_options {
            let mut v = validate_options::Validator::new(self, &file, &locs);
            v.file();
            errors = v.errors;
            warnings.extend(v.warnings);
        }
        if errors.is_empty() && !self.skip_options {
            // Options and features used outside their editions (protoc's feature lifetimes).
            let stripper = super::retention::Stripper::new(self);
            for (path, warning, message) in stripper.lifetime_issues(&file) {
                let d = validate::at_first(&locs, &[&path], message);
                if warning {
                    warnings.push(d);
                } else {
                    errors.push(d);
                }
            }
        }
        if errors.is_empty() && !self.skip_options {
            // Edition 2024's naming style, checked once nothing else is wrong.
            for (path, message) in validate_editions::naming_style(&file) {
                errors.push(validate::at_first(&locs, &[&path], message));
            }
        }
        if !errors.is_empty() {
            for name in added {
                self.symbols.remove(&name);
            }
            return Err(errors);
        }
        let name = file.name().to_string();
        for d in warnings {
            self.warnings.push(Warning {
                file: name.clone(),
                diagnostic: d,
                unused_import: false,
            });
        }
        for d in validate::unused_imports(self, &file, &used, &locs) {
            self.warnings.push(Warning {
                file: name.clone(),
                diagnostic: d,
                unused_import: true,
            });
        }
        options::index_file(&file, &mut self.defs);
        for_each_extension(&file, |x, full| {
            let key = (x.extendee().trim_start_matches('.').to_string(), x.number());
            self.extensions
                .entry(key)
                .or_insert_with(|| (full, name.clone()));
        });
        if keep_info {
            options::update_source_info(&mut info, &renamed);
            // Kept for the whole run: without the room the builder grew it by.
            info.location.shrink_to_fit();
            file.source_code_info = Some(info);
        }
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
}

fn qualify(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_string()
    } else {
        format!("{scope}.{name}")
    }
}

/// Calls `f` with each extension of `file` (nested ones included) and its full name.
fn for_each_extension(
    file: &FileDescriptorProto,
    mut f: impl FnMut(&FieldDescriptorProto, String),
) {
    fn walk(m: &DescriptorProto, scope: &str, f: &mut impl FnMut(&FieldDescriptorProto, String)) {
        let full = qualify(scope, m.name());
        for x in &m.extension {
            f(x, qualify(&full, x.name()));
        }
        for n in &m.nested_type {
            walk(n, &full, f);
        }
    }
    let package = file.package();
    for x in &file.extension {
        f(x, qualify(package, x.name()));
    }
    for m in &file.message_type {
        walk(m, package, &mut f);
    }
}

/// The start of each path's first location.
fn locations(info: &SourceCodeInfo) -> HashMap<&[i32], (i32, i32)> {
    info.location
        .iter()
        .rev()
        .filter(|l| l.span.len() >= 2)
        .map(|l| (&l.path[..], (l.span[0], l.span[1])))
        .collect()
}

fn at(locs: &HashMap<&[i32], (i32, i32)>, path: &[i32], message: String) -> Diagnostic {
    let (line, col) = locs.get(path).copied().unwrap_or((-1, 0));
    Diagnostic { line, col, message }
}

/// protoc's `ToJsonName`: drops each `_` and upper-cases the character after it.
pub fn to_json_name(name: &str) -> String {
    to_camel_case(name, false)
}

/// protoc's `ToCamelCase`: drops each `_` and upper-cases the character after it, and the first
/// character too with `upper_first` (`foo_bar` -> `FooBar`, else `fooBar`).
pub(super) fn to_camel_case(name: &str, upper_first: bool) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = upper_first;
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
    /// Fields and extensions by (containing type, number), for duplicate numbers: the owner's
    /// name as messages give it, and its path.
    numbers: HashMap<(Container, i32), (String, Vec<i32>)>,
    /// Files a lookup found a symbol in (protoc's unused-import tracking).
    used: super::HashSet<usize>,
    /// Extension ranges of this file's messages, by full name.
    local_ranges: HashMap<String, Vec<(i32, i32)>>,
    warnings: Vec<Diagnostic>,
}

/// What a field number belongs to: a message (by its path in the file) or, for extensions, the
/// extended type (by name).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Container {
    Message(Vec<i32>),
    Extendee(String),
}

fn in_package(package: &str, name: &str) -> bool {
    package == name
        || (package.starts_with(name) && package.as_bytes().get(name.len()) == Some(&b'.'))
}

impl Linker<'_> {
    /// Whether the file has a source location at `path`.
    pub(super) fn has_location(&self, path: &[i32]) -> bool {
        self.locs.contains_key(path)
    }

    /// The kind of symbol `name` in the whole pool, this file included, visible or not
    /// (protoc's `FindSymbolNotEnforcingDeps`).
    pub(super) fn symbol_kind(&self, name: &str) -> Option<Kind> {
        self.pool.symbols.get(name).map(|s| s.kind.clone())
    }

    /// The name the last lookup resolved to but found undefined (protoc's
    /// `undefine_resolved_name_`).
    pub(super) fn unresolved_name(&self) -> Option<&str> {
        self.unresolved.as_deref()
    }

    fn error(&mut self, path: &[i32], message: String) {
        let d = at(&self.locs, path, message);
        self.errors.push(d);
    }

    fn fail(&mut self, path: &[i32], message: String) -> bool {
        self.error(path, message);
        false
    }

    /// Whether message `name` (this file's or another's) has an extension range holding `n`.
    fn declares_extension(&self, name: &str, n: i32) -> bool {
        let ranges = match self.local_ranges.get(name) {
            Some(r) => r.clone(),
            None => match self.pool.defs.get(name) {
                Some(options::Def::Msg(m, _)) => validate::ranges_of(m),
                _ => Vec::new(),
            },
        };
        ranges.iter().any(|&(s, e)| s <= n && n < e)
    }

    /// protoc's `FindSymbol`: a symbol defined anywhere in the pool, if this file may see it.
    fn find(&mut self, name: &str) -> Option<Kind> {
        let s = self.pool.symbols.get(name)?;
        if s.file == self.index || self.deps.contains(&s.file) {
            if s.kind != Kind::Package {
                self.used.insert(s.file);
            }
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
            self.field(x, &package, &[7, i as i32], None);
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
                        Some((name, Kind::Message)) => {
                            if let Some(e) = self.visibility_error(&name, "") {
                                self.error(&p, e);
                            } else {
                                *slot = Some(format!(".{name}"));
                            }
                        }
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
        let next = validate::next_free_number(m);
        // protoc's `sequential_field_limit_`: fields numbered 1, 2, 3... from the start own
        // their numbers whether or not they link, so they are in the table from the start.
        for (i, f) in m.field.iter().enumerate() {
            if f.number() as i64 != i as i64 + 1 {
                break;
            }
            let owner = (f.name().to_string(), [path, &[2, i as i32]].concat());
            self.numbers
                .insert((Container::Message(path.to_vec()), f.number()), owner);
        }
        for (i, f) in m.field.iter_mut().enumerate() {
            self.field(f, &full, &[path, &[2, i as i32]].concat(), Some(next));
        }
        for (i, x) in m.extension.iter_mut().enumerate() {
            self.field(x, &full, &[path, &[6, i as i32]].concat(), None);
        }
    }

    /// protoc's `CrossLinkField`, plus the json_name and default value `-o` writes.
    /// `next_free` is the containing message's next unused number (fields only).
    fn field(
        &mut self,
        f: &mut FieldDescriptorProto,
        scope: &str,
        path: &[i32],
        next_free: Option<i64>,
    ) {
        if !self.field_types(f, scope, path) {
            return;
        }
        // protoc's `AddFieldByNumber`, per file and containing type.
        let containing = match &f.extendee {
            Some(e) => e.trim_start_matches('.').to_string(),
            None => scope.to_string(),
        };
        let me = match next_free {
            Some(_) => f.name().to_string(),
            None => qualify(scope, f.name()),
        };
        // protoc's table is keyed by the message itself: two messages of one name (the second
        // already an error) do not share numbers.
        let container = match &f.extendee {
            Some(_) => Container::Extendee(containing.clone()),
            None => Container::Message(path[..path.len().saturating_sub(2)].to_vec()),
        };
        let key = (container, f.number());
        let number_path = [path, &[validate::path::FIELD_NUMBER]].concat();
        match self.numbers.get(&key) {
            // A sequential field, already in the table as its number's owner.
            Some((_, owner)) if owner == path => return,
            Some((other, _)) => {
                let message = validate::number_used(f.number(), &containing, other, next_free);
                self.error(&number_path, message);
                return;
            }
            None => {}
        }
        if f.extendee.is_some() {
            // Another file's extension with this number: protoc only warns, for now.
            if let Some((other, file)) = self.pool.extensions.get(&(containing.clone(), f.number()))
            {
                let message = format!(
                    "Extension number {} has already been used in \"{containing}\" by \
                     extension \"{other}\" defined in {file}.",
                    f.number()
                );
                self.warnings.push(at(&self.locs, &number_path, message));
            }
        }
        self.numbers.insert(key, (me, path.to_vec()));
    }

    /// protoc's symbol visibility (edition 2024 `export`/`local` and
    /// `default_symbol_visibility`): the error for using type `name` (no leading '.') from
    /// this file, if it is local to another. `usage` goes after the defining file's name.
    fn visibility_error(&self, name: &str, usage: &str) -> Option<String> {
        let defining = self.pool.defining_file(name)?;
        if defining.name() == self.file_name {
            return None;
        }
        let reason = features::visibility(defining, name).err()?;
        // protoc joins with spaces around an empty usage too: `"a.proto"  is not visible`.
        Some(format!(
            "Symbol \"{name}\", defined in \"{}\" {usage} is not visible from \"{}\". {reason} and cannot be accessed outside its own file",
            defining.name(),
            self.file_name
        ))
    }

    /// The extendee and type parts of `CrossLinkField`; false where protoc returns early.
    fn field_types(&mut self, f: &mut FieldDescriptorProto, scope: &str, path: &[i32]) -> bool {
        let full = qualify(scope, f.name());
        if f.json_name.is_none() {
            f.json_name = Some(to_json_name(f.name()).into_bytes());
        }
        let sub = |tag: i32| [path, &[tag]].concat();
        if let (Some(ty), Some(text)) = (f.r#type, f.default_value.as_deref()) {
            if let Some(canonical) = literals::stored_default(ty, text) {
                f.default_value = Some(canonical);
            }
        }
        if let Some(written) = f.extendee.clone() {
            match self.lookup(&written, &full, false) {
                None => {
                    self.not_defined(&sub(FIELD_EXTENDEE), &written);
                    return false;
                }
                Some((name, Kind::Message)) => {
                    if let Some(e) = self.visibility_error(&name, "target of extend") {
                        self.error(&sub(FIELD_EXTENDEE), e);
                        return false;
                    }
                    if !self.declares_extension(&name, f.number()) {
                        let message = format!(
                            "\"{name}\" does not declare {} as an extension number.",
                            f.number()
                        );
                        self.error(&sub(validate::path::FIELD_NUMBER), message);
                    }
                    f.extendee = Some(format!(".{name}"));
                }
                Some(_) => {
                    self.error(
                        &sub(FIELD_EXTENDEE),
                        format!("\"{written}\" is not a message type."),
                    );
                    return false;
                }
            }
        }
        let Some(written) = f.type_name.clone() else {
            return true;
        };
        let Some((name, kind)) = self.lookup(&written, &full, true) else {
            self.not_defined(&sub(FIELD_TYPE_NAME), &written);
            return false;
        };
        if kind.is_type() {
            if let Some(e) = self.visibility_error(&name, "") {
                return self.fail(&sub(FIELD_TYPE_NAME), e);
            }
        }
        let ty = match (f.r#type, &kind) {
            (None, Kind::Message) => field_type::MESSAGE,
            (None, Kind::Enum) => field_type::ENUM,
            (None, _) => {
                return self.fail(
                    &sub(FIELD_TYPE_NAME),
                    format!("\"{written}\" is not a type."),
                )
            }
            (Some(t), _) => t,
        };
        f.r#type = Some(ty);
        if ty == field_type::MESSAGE || ty == field_type::GROUP {
            if kind != Kind::Message {
                return self.fail(
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
                return self.fail(
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
            // protoc goes on to number the field.
            self.error(
                &sub(FIELD_TYPE_NAME),
                "Field with primitive type has type_name.".into(),
            );
        }
        f.type_name = Some(format!(".{name}"));
        true
    }
}
