//! protoc's build-phase checks: registering a file's symbols (duplicates, package clashes, enum
//! values' C++ scoping), field and range numbers, reserved names and ranges, extension ranges.
//! They run before cross-linking, walking the file in `DescriptorBuilder::BuildFile`'s order
//! (within a message: oneofs, fields, enums, extension ranges, extensions, reserved ranges,
//! nested messages, then the message's own name), so the first error is protoc's first error.
//! What needs linked types or interpreted options is in `validate_options`.

use super::{HashMap, HashSet};

use super::descriptor::{
    label, DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorProto,
};
use super::link::{Kind, Pool, Symbol};
use super::Diagnostic;

/// Source positions by element path (span starts), as `Pool::add` collects them.
pub(super) type Locs<'a> = HashMap<&'a [i32], (i32, i32)>;

/// protoc's `FieldDescriptor::kMaxNumber`.
pub(super) const MAX_FIELD_NUMBER: i32 = 536_870_911;

/// Paths inside the descriptor messages, for error positions.
pub(super) mod path {
    pub const NAME: i32 = 1;
    pub const FIELD_EXTENDEE: i32 = 2;
    pub const FIELD_NUMBER: i32 = 3;
    pub const FIELD_TYPE: i32 = 5;
    pub const FIELD_TYPE_NAME: i32 = 6;
    pub const FIELD_DEFAULT: i32 = 7;
    pub const FIELD_JSON_NAME: i32 = 10;
    pub const VALUE_NUMBER: i32 = 2;
    pub const FILE_PACKAGE: i32 = 2;
    pub const FILE_DEPENDENCY: i32 = 3;
    pub const FILE_OPTION_DEPENDENCY: i32 = 15;
    pub const MESSAGE_FIELD: i32 = 2;
    pub const MESSAGE_NESTED: i32 = 3;
    pub const MESSAGE_ENUM: i32 = 4;
    pub const MESSAGE_EXTENSION_RANGE: i32 = 5;
    pub const MESSAGE_EXTENSION: i32 = 6;
    pub const MESSAGE_ONEOF: i32 = 8;
    pub const MESSAGE_RESERVED_RANGE: i32 = 9;
    pub const ENUM_VALUE: i32 = 2;
    pub const ENUM_RESERVED_RANGE: i32 = 4;
}

pub(super) fn join(path: &[i32], more: &[i32]) -> Vec<i32> {
    let mut p = path.to_vec();
    p.extend_from_slice(more);
    p
}

pub(super) fn qualify(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_string()
    } else {
        format!("{scope}.{name}")
    }
}

/// An error positioned like protoc's `ValidationErrorCollector`: the start of the first path
/// that has a location, else no position (protoc then prints `file: message`).
pub(super) fn at_first(locs: &Locs<'_>, paths: &[&[i32]], message: String) -> Diagnostic {
    let (line, col) = paths
        .iter()
        .find_map(|p| locs.get(p).copied())
        .unwrap_or((-1, 0));
    Diagnostic { line, col, message }
}

/// A field's TYPE location: its scalar type, else its type name.
pub(super) fn type_paths(field: &[i32]) -> [Vec<i32>; 2] {
    [
        join(field, &[path::FIELD_TYPE]),
        join(field, &[path::FIELD_TYPE_NAME]),
    ]
}

/// The build phase for one file about to join `pool` at `index`.
pub(super) struct Builder<'p, 'l> {
    pool: &'p mut Pool,
    index: usize,
    locs: &'p Locs<'l>,
    pub errors: Vec<Diagnostic>,
    /// Names this file added to the pool's symbol table (removed again if the file fails).
    pub added: Vec<String>,
}

impl<'p, 'l> Builder<'p, 'l> {
    pub fn new(pool: &'p mut Pool, index: usize, locs: &'p Locs<'l>) -> Self {
        Self {
            pool,
            index,
            locs,
            errors: Vec::new(),
            added: Vec::new(),
        }
    }

    pub fn pool(&self) -> &Pool {
        self.pool
    }

    fn error(&mut self, path: &[i32], message: String) {
        self.errors.push(at_first(self.locs, &[path], message));
    }

    fn error_at_type(&mut self, field: &[i32], message: String) {
        let [a, b] = type_paths(field);
        self.errors.push(at_first(self.locs, &[&a, &b], message));
    }

    /// protoc's `AddPackage`: each enclosing package from the innermost out, unless known.
    pub fn package(&mut self, name: &str) {
        match self.pool.symbols.get(name) {
            None => {
                self.insert(name.to_string(), Kind::Package);
                if let Some(dot) = name.rfind('.') {
                    self.package(&name[..dot]);
                }
            }
            Some(s) if s.kind != Kind::Package => {
                let other = self.file_name(s.file);
                self.error(
                    &[path::FILE_PACKAGE],
                    format!(
                        "\"{name}\" is already defined (as something other than a package) \
                         in file \"{other}\"."
                    ),
                );
            }
            Some(_) => {}
        }
    }

    fn file_name(&self, file: usize) -> String {
        self.pool
            .files()
            .get(file)
            .map(|f| f.name().to_string())
            .unwrap_or_default()
    }

    fn insert(&mut self, name: String, kind: Kind) {
        self.added.push(name.clone());
        self.pool.symbols.insert(
            name,
            Symbol {
                kind,
                file: self.index,
            },
        );
    }

    /// protoc's `AddSymbol`; false when the name is taken (the error is recorded at `name_path`).
    fn symbol(&mut self, full: &str, kind: Kind, name_path: &[i32]) -> bool {
        let Some(existing) = self.pool.symbols.get(full) else {
            self.insert(full.to_string(), kind);
            return true;
        };
        let message = if existing.file == self.index {
            match full.rfind('.') {
                None => format!("\"{full}\" is already defined."),
                Some(dot) => format!(
                    "\"{}\" is already defined in \"{}\".",
                    &full[dot + 1..],
                    &full[..dot]
                ),
            }
        } else {
            let other = self.file_name(existing.file);
            format!("\"{full}\" is already defined in file \"{other}\".")
        };
        self.error(name_path, message);
        false
    }

    /// `BuildFile`'s children: messages, enums, services, extensions.
    pub fn file(&mut self, file: &FileDescriptorProto) {
        let package = file.package().to_string();
        for (i, m) in file.message_type.iter().enumerate() {
            self.message(m, &package, &[4, i as i32]);
        }
        for (i, e) in file.enum_type.iter().enumerate() {
            self.enumeration(e, &package, &[5, i as i32]);
        }
        for (i, s) in file.service.iter().enumerate() {
            let sname = qualify(&package, s.name());
            for (j, m) in s.method.iter().enumerate() {
                let p = [6, i as i32, 2, j as i32, path::NAME];
                self.symbol(&qualify(&sname, m.name()), Kind::Method, &p);
            }
            self.symbol(&sname, Kind::Service, &[6, i as i32, path::NAME]);
        }
        for (i, x) in file.extension.iter().enumerate() {
            self.field(x, &package, &[7, i as i32], true);
        }
    }

    fn message(&mut self, m: &DescriptorProto, scope: &str, p: &[i32]) {
        use path::*;
        let full = qualify(scope, m.name());
        for (i, o) in m.oneof_decl.iter().enumerate() {
            let name = qualify(&full, o.name.as_deref().unwrap_or_default());
            self.symbol(
                &name,
                Kind::Oneof,
                &join(p, &[MESSAGE_ONEOF, i as i32, NAME]),
            );
        }
        for (i, f) in m.field.iter().enumerate() {
            self.field(f, &full, &join(p, &[MESSAGE_FIELD, i as i32]), false);
        }
        for (i, e) in m.enum_type.iter().enumerate() {
            self.enumeration(e, &full, &join(p, &[MESSAGE_ENUM, i as i32]));
        }
        for (i, r) in m.extension_range.iter().enumerate() {
            let rp = join(p, &[MESSAGE_EXTENSION_RANGE, i as i32]);
            if r.start() <= 0 {
                self.error(&rp, "Extension numbers must be positive integers.".into());
            }
            if r.start() >= r.end() {
                self.error(
                    &rp,
                    "Extension range end number must be greater than start number.".into(),
                );
            }
        }
        for (i, x) in m.extension.iter().enumerate() {
            self.field(x, &full, &join(p, &[MESSAGE_EXTENSION, i as i32]), true);
        }
        for (i, r) in m.reserved_range.iter().enumerate() {
            let rp = join(p, &[MESSAGE_RESERVED_RANGE, i as i32]);
            if r.start() <= 0 {
                self.error(&rp, "Reserved numbers must be positive integers.".into());
            }
            if r.start() >= r.end() {
                self.error(
                    &rp,
                    "Reserved range end number must be greater than start number.".into(),
                );
            }
        }
        for (i, n) in m.nested_type.iter().enumerate() {
            self.message(n, &full, &join(p, &[MESSAGE_NESTED, i as i32]));
        }
        self.symbol(&full, Kind::Message, &join(p, &[NAME]));
        self.message_numbers(m, p);
    }

    /// Reserved ranges and names, extension ranges and the fields among them.
    fn message_numbers(&mut self, m: &DescriptorProto, p: &[i32]) {
        use path::*;
        let reserved: Vec<(i32, i32)> = m
            .reserved_range
            .iter()
            .map(|r| (r.start(), r.end()))
            .collect();
        let ranges: Vec<(i32, i32)> = m
            .extension_range
            .iter()
            .map(|r| (r.start(), r.end()))
            .collect();
        let reserved_path = |i: usize| join(p, &[MESSAGE_RESERVED_RANGE, i as i32]);
        let range_path = |i: usize| join(p, &[MESSAGE_EXTENSION_RANGE, i as i32]);
        for (i, r1) in reserved.iter().enumerate() {
            for r2 in &reserved[i + 1..] {
                if r1.1 > r2.0 && r2.1 > r1.0 {
                    self.error(
                        &reserved_path(i),
                        format!(
                            "Reserved range {} to {} overlaps with already-defined range {} to {}.",
                            r2.0,
                            r2.1 - 1,
                            r1.0,
                            r1.1 - 1
                        ),
                    );
                }
            }
        }
        let mut names = HashSet::default();
        for n in &m.reserved_name {
            if !names.insert(n.as_slice()) {
                let n = String::from_utf8_lossy(n);
                self.error(
                    &join(p, &[NAME]),
                    format!("Field name \"{n}\" is reserved multiple times."),
                );
            }
        }
        for (i, f) in m.field.iter().enumerate() {
            let n = f.number();
            for (j, r) in ranges.iter().enumerate() {
                if r.0 <= n && n < r.1 {
                    self.error(
                        &range_path(j),
                        format!(
                            "Extension range {} to {} includes field \"{}\" ({n}).",
                            r.0,
                            r.1 - 1,
                            f.name()
                        ),
                    );
                }
            }
            for (j, r) in reserved.iter().enumerate() {
                if r.0 <= n && n < r.1 {
                    self.error(
                        &reserved_path(j),
                        format!("Field \"{}\" uses reserved number {n}.", f.name()),
                    );
                }
            }
            if names.contains(f.name().as_bytes()) {
                self.error(
                    &join(p, &[MESSAGE_FIELD, i as i32, NAME]),
                    format!("Field name \"{}\" is reserved.", f.name()),
                );
            }
        }
        for (i, r1) in ranges.iter().enumerate() {
            for r2 in &reserved {
                if r1.1 > r2.0 && r2.1 > r1.0 {
                    self.error(
                        &range_path(i),
                        format!(
                            "Extension range {} to {} overlaps with reserved range {} to {}.",
                            r1.0,
                            r1.1 - 1,
                            r2.0,
                            r2.1 - 1
                        ),
                    );
                }
            }
            for r2 in &ranges[i + 1..] {
                if r1.1 > r2.0 && r2.1 > r1.0 {
                    self.error(
                        &range_path(i),
                        format!(
                            "Extension range {} to {} overlaps with already-defined range {} to {}.",
                            r2.0,
                            r2.1 - 1,
                            r1.0,
                            r1.1 - 1
                        ),
                    );
                }
            }
        }
    }

    /// protoc's `BuildFieldOrExtension`.
    fn field(&mut self, f: &FieldDescriptorProto, scope: &str, p: &[i32], extension: bool) {
        use path::*;
        let full = qualify(scope, f.name());
        if extension && f.label == Some(label::REQUIRED) {
            self.error_at_type(p, format!("The extension {full} cannot be required."));
        }
        if f.default_value.is_some() && f.label == Some(label::REPEATED) {
            self.error(
                &join(p, &[FIELD_DEFAULT]),
                "Repeated fields can't have default values.".into(),
            );
        }
        let number_path = join(p, &[FIELD_NUMBER]);
        if f.number() <= 0 {
            self.error(
                &number_path,
                "Field numbers must be positive integers.".into(),
            );
        } else if !extension && f.number() > MAX_FIELD_NUMBER {
            self.error(
                &number_path,
                format!("Field numbers cannot be greater than {MAX_FIELD_NUMBER}."),
            );
        }
        self.symbol(&full, Kind::Field, &join(p, &[NAME]));
    }

    /// protoc's `BuildEnum` (values are siblings of their enum: C++ scoping).
    fn enumeration(&mut self, e: &EnumDescriptorProto, scope: &str, p: &[i32]) {
        use path::*;
        let full = qualify(scope, e.name());
        if e.value.is_empty() {
            self.error(
                &join(p, &[NAME]),
                "Enums must contain at least one value.".into(),
            );
        }
        let mut inner = HashSet::default();
        for (i, v) in e.value.iter().enumerate() {
            let vp = join(p, &[ENUM_VALUE, i as i32, NAME]);
            let outer = self.symbol(
                &qualify(scope, v.name()),
                Kind::EnumValue(full.clone()),
                &vp,
            );
            if inner.insert(v.name()) && !outer {
                let where_ = if scope.is_empty() {
                    "the global scope".to_string()
                } else {
                    format!("\"{scope}\"")
                };
                self.error(
                    &vp,
                    format!(
                        "Note that enum values use C++ scoping rules, meaning that enum values \
                         are siblings of their type, not children of it.  Therefore, \"{}\" \
                         must be unique within {where_}, not just within \"{}\".",
                        v.name(),
                        e.name()
                    ),
                );
            }
        }
        let reserved_path = |i: usize| join(p, &[ENUM_RESERVED_RANGE, i as i32]);
        for (i, r) in e.reserved_range.iter().enumerate() {
            if r.start() > r.end() {
                self.error(
                    &reserved_path(i),
                    "Reserved range end number must be greater than start number.".into(),
                );
            }
        }
        self.symbol(&full, Kind::Enum, &join(p, &[NAME]));
        let reserved: Vec<(i32, i32)> = e
            .reserved_range
            .iter()
            .map(|r| (r.start(), r.end()))
            .collect();
        for (i, r1) in reserved.iter().enumerate() {
            for r2 in &reserved[i + 1..] {
                if r1.1 >= r2.0 && r2.1 >= r1.0 {
                    self.error(
                        &reserved_path(i),
                        format!(
                            "Reserved range {} to {} overlaps with already-defined range {} to {}.",
                            r2.0, r2.1, r1.0, r1.1
                        ),
                    );
                }
            }
        }
        let mut names = HashSet::default();
        for n in &e.reserved_name {
            if !names.insert(n.as_slice()) {
                let n = String::from_utf8_lossy(n);
                self.error(
                    &join(p, &[NAME]),
                    format!("Enum value \"{n}\" is reserved multiple times."),
                );
            }
        }
        for (i, v) in e.value.iter().enumerate() {
            for (j, r) in reserved.iter().enumerate() {
                if r.0 <= v.number() && v.number() <= r.1 {
                    self.error(
                        &reserved_path(j),
                        format!(
                            "Enum value \"{}\" uses reserved number {}.",
                            v.name(),
                            v.number()
                        ),
                    );
                }
            }
            if names.contains(v.name().as_bytes()) {
                self.error(
                    &join(p, &[ENUM_VALUE, i as i32, NAME]),
                    format!("Enum value \"{}\" is reserved.", v.name()),
                );
            }
        }
    }
}

/// A message's extension ranges as (start, exclusive end).
pub(super) fn ranges_of(m: &DescriptorProto) -> Vec<(i32, i32)> {
    m.extension_range
        .iter()
        .map(|r| (r.start(), r.end()))
        .collect()
}

/// The extension ranges of every message `file` defines, by full name.
pub(super) fn local_ranges(file: &FileDescriptorProto) -> HashMap<String, Vec<(i32, i32)>> {
    fn walk(scope: &str, m: &DescriptorProto, out: &mut HashMap<String, Vec<(i32, i32)>>) {
        let full = qualify(scope, m.name());
        for n in &m.nested_type {
            walk(&full, n, out);
        }
        out.insert(full, ranges_of(m));
    }
    let mut out = HashMap::default();
    for m in &file.message_type {
        walk(file.package(), m, &mut out);
    }
    out
}

/// The lowest number no field, extension range or reserved range of `m` uses (protoc's
/// suggestion when a field number is taken).
pub(super) fn next_free_number(m: &DescriptorProto) -> i64 {
    let mut used: Vec<(i64, i64)> = m
        .field
        .iter()
        .map(|f| (i64::from(f.number()), i64::from(f.number())))
        .chain(
            m.extension_range
                .iter()
                .map(|r| (i64::from(r.start()), i64::from(r.end()) - 1)),
        )
        .chain(
            m.reserved_range
                .iter()
                .map(|r| (i64::from(r.start()), i64::from(r.end()) - 1)),
        )
        .collect();
    used.sort_unstable();
    used.dedup();
    let mut next = 1;
    for (start, end) in used {
        if start <= next && next <= end {
            next = end + 1;
        } else {
            break;
        }
    }
    next
}

/// protoc's message for a number already taken in `containing` by `other` (a field's name, or
/// an extension's full name when `next_free` is `None`).
pub(super) fn number_used(n: i32, containing: &str, other: &str, next_free: Option<i64>) -> String {
    match next_free {
        None => format!(
            "Extension number {n} has already been used in \"{containing}\" by extension \
             \"{other}\"."
        ),
        Some(next) => {
            let hint = if next <= i64::from(MAX_FIELD_NUMBER) {
                format!("Next available field number is {next}")
            } else {
                "There are no available field numbers".to_string()
            };
            format!(
                "Field number {n} has already been used in \"{containing}\" by field \
                 \"{other}\". {hint}."
            )
        }
    }
}

/// protoc's `LogUnusedDependency`: each import no lookup of `file` found a symbol in. An
/// import that re-exports others (`import public` inside it), or that `file` itself imports
/// publicly, is never reported.
pub(super) fn unused_imports(
    pool: &Pool,
    file: &FileDescriptorProto,
    used: &HashSet<usize>,
    locs: &Locs<'_>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut seen = HashSet::default();
    // `import option` files are tracked like imports (protoc 36.2 warns about an unused one).
    let imports = file
        .dependency
        .iter()
        .map(|d| (path::FILE_DEPENDENCY, &file.dependency, d));
    let option_imports = file
        .option_dependency
        .iter()
        .map(|d| (path::FILE_OPTION_DEPENDENCY, &file.option_dependency, d));
    for (i, (tag, list, d)) in imports.chain(option_imports).enumerate() {
        let public = tag == path::FILE_DEPENDENCY && file.public_dependency.contains(&(i as i32));
        if !seen.insert(d) || public {
            continue;
        }
        let Some(index) = pool.index_of(d) else {
            continue;
        };
        if !pool.files()[index].public_dependency.is_empty() || used.contains(&index) {
            continue;
        }
        let last = list.iter().rposition(|x| x == d).unwrap_or(0);
        out.push(at_first(
            locs,
            &[&[tag, last as i32]],
            format!("Import {d} is unused."),
        ));
    }
    out
}

/// protoc's command-line check of its input files: no field or extension may use the numbers
/// 19000 to 19999. The messages have no position (protoc has none to give).
pub fn library_numbers(file: &FileDescriptorProto) -> Vec<String> {
    fn walk<'f>(m: &'f DescriptorProto, out: &mut Vec<&'f FieldDescriptorProto>) {
        out.extend(&m.field);
        for n in &m.nested_type {
            walk(n, out);
        }
        out.extend(&m.extension);
    }
    let mut fields = Vec::new();
    for m in &file.message_type {
        walk(m, &mut fields);
    }
    fields.extend(&file.extension);
    fields
        .iter()
        .filter(|f| (19000..=19999).contains(&f.number()))
        .map(|_| {
            "Field numbers 19000 through 19999 are reserved for the protocol buffer library \
             implementation."
                .to_string()
        })
        .collect()
}

/// The options paths of `file`'s elements in the order protoc's `BuildFile` queues them for
/// interpretation (children before their parent; the file's own options last).
pub(super) fn options_order(file: &FileDescriptorProto) -> HashMap<Vec<i32>, usize> {
    fn enumeration(e: &EnumDescriptorProto, p: &[i32], out: &mut Vec<Vec<i32>>) {
        for j in 0..e.value.len() {
            out.push(join(p, &[path::ENUM_VALUE, j as i32, 3]));
        }
        out.push(join(p, &[3]));
    }
    fn message(m: &DescriptorProto, p: &[i32], out: &mut Vec<Vec<i32>>) {
        use path::*;
        for k in 0..m.oneof_decl.len() {
            out.push(join(p, &[MESSAGE_ONEOF, k as i32, 2]));
        }
        for k in 0..m.field.len() {
            out.push(join(p, &[MESSAGE_FIELD, k as i32, 8]));
        }
        for (k, e) in m.enum_type.iter().enumerate() {
            enumeration(e, &join(p, &[MESSAGE_ENUM, k as i32]), out);
        }
        for k in 0..m.extension_range.len() {
            out.push(join(p, &[MESSAGE_EXTENSION_RANGE, k as i32, 3]));
        }
        for k in 0..m.extension.len() {
            out.push(join(p, &[MESSAGE_EXTENSION, k as i32, 8]));
        }
        out.push(join(p, &[7]));
        for (k, n) in m.nested_type.iter().enumerate() {
            message(n, &join(p, &[MESSAGE_NESTED, k as i32]), out);
        }
    }
    let mut out = Vec::new();
    for (k, m) in file.message_type.iter().enumerate() {
        message(m, &[4, k as i32], &mut out);
    }
    for (k, e) in file.enum_type.iter().enumerate() {
        enumeration(e, &[5, k as i32], &mut out);
    }
    for (k, s) in file.service.iter().enumerate() {
        for j in 0..s.method.len() {
            out.push(vec![6, k as i32, 2, j as i32, 4]);
        }
        out.push(vec![6, k as i32, 3]);
    }
    for k in 0..file.extension.len() {
        out.push(vec![7, k as i32, 8]);
    }
    out.push(vec![8]);
    out.into_iter().enumerate().map(|(i, p)| (p, i)).collect()
}
