//! The first stage, load or compile: the `-I` source tree, input files mapped to virtual names,
//! everything parsed and linked (with `--descriptor_set_in` as the fallback), with protoc's
//! messages; and what protoc makes from the result: `-o` descriptor sets, `--dependency_out`
//! rules, and the files plugins are sent.

use std::path::Path;

use prost::Message;

use crate::compiler::descriptor::FileDescriptorProto;
use crate::compiler::link::Pool;
use crate::compiler::retention::Stripper;
use crate::compiler::set::{self, FileError, Source};
use crate::compiler::source_tree::{DiskToVirtual, SourceTree};
use crate::descriptor_set::FileSet;
use crate::feature_check;
use crate::model::{DependencyRule, DescriptorSetOut, ErrorFormat, Input, InputRules};

/// Files compiled for one run.
pub struct Compiled {
    /// Every file loaded, its imports before it.
    pub pool: Pool,
    /// The inputs' virtual names, in command-line order.
    pub inputs: Vec<String>,
    /// `None` when the files came only from `--descriptor_set_in` (no `-I` given).
    pub tree: Option<SourceTree>,
    /// Whether the compiler warned (`--fatal_warnings` then fails the run, after writing).
    pub found_warnings: bool,
}

/// Where the inputs come from, as protoc decides it.
pub enum Inputs {
    /// Only `--descriptor_set_in` (no `-I`): the files are used as they are in the sets.
    DescriptorSets(FileSet),
    /// `.proto` files, compiled.
    Compiled(Compiled),
}

/// The source tree `input` is read through: its `-I` directories, or the working directory when
/// there are none, with a warning for each directory that does not exist. `None` when the
/// inputs come only from descriptor sets (no `-I`, some `--descriptor_set_in`).
pub fn source_tree(input: &Input) -> Option<(SourceTree, Vec<String>)> {
    if input.proto_paths.is_empty() && !input.descriptor_sets.is_empty() {
        return None;
    }
    // No -I and no descriptor sets: protoc reads from the working directory.
    let dot = [".".to_string()];
    let paths = if input.proto_paths.is_empty() {
        &dot[..]
    } else {
        &input.proto_paths[..]
    };
    Some(SourceTree::new(paths))
}

/// A file the compiler read through the source tree: its virtual name, where it was found and a
/// digest of what it held. A compile cache entry is still good while every one of these opens
/// to the same place with the same contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub name: String,
    /// `None` for a file protowasm carries built in.
    pub disk_path: Option<String>,
    pub sha256: [u8; 32],
}

impl Read {
    pub fn of(name: &str, opened: &crate::compiler::source_tree::Opened) -> Read {
        use sha2::Digest;
        Read {
            name: name.to_string(),
            disk_path: opened.disk_path.clone(),
            sha256: sha2::Sha256::digest(&opened.contents).into(),
        }
    }
}

/// The files read while compiling, in no particular order (other threads read ahead).
#[derive(Debug, Default)]
pub struct Reads(std::sync::Mutex<Vec<Read>>);

impl Reads {
    pub fn into_vec(self) -> Vec<Read> {
        self.0.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

/// Loads the run's inputs, `.proto` files read through `tree` (see [`source_tree`]). With
/// `reserialize` (`-o`), files taken from descriptor sets alone go through the pool like compiled
/// ones. `Err` holds the lines to print (protoc's messages); `warnings` gets what protoc prints
/// without failing; `reads`, when given, every file read from the tree.
pub fn load(
    input: &Input,
    tree: Option<SourceTree>,
    reserialize: bool,
    warnings: &mut Vec<String>,
    reads: Option<&Reads>,
) -> Result<Inputs, Vec<String>> {
    let fallback = if input.descriptor_sets.is_empty() {
        None
    } else {
        Some(FileSet::load(&input.descriptor_sets).map_err(|e| vec![e])?)
    };
    let Some(tree) = tree else {
        let Some(set) = fallback else {
            return Err(vec!["Missing input file.".to_string()]);
        };
        if !reserialize {
            set.check_inputs(&input.files).map_err(|e| vec![e])?;
            // The inputs are decoded only to check rules; most runs have none.
            if input.rules.any() {
                let files: Vec<FileDescriptorProto> = input
                    .files
                    .iter()
                    .filter_map(|n| set.get(n))
                    .filter_map(|raw| FileDescriptorProto::decode(&raw.bytes[..]).ok())
                    .collect();
                if let Some((_, lines)) = rule_violations(&input.rules, files.iter()) {
                    return Err(lines);
                }
            }
            return Ok(Inputs::DescriptorSets(set));
        }
        return compile_from(input, None, Some(&set), warnings, None).map(Inputs::Compiled);
    };
    compile_from(input, Some(tree), fallback.as_ref(), warnings, reads).map(Inputs::Compiled)
}

fn compile_from(
    input: &Input,
    tree: Option<SourceTree>,
    fallback: Option<&FileSet>,
    warnings: &mut Vec<String>,
    reads: Option<&Reads>,
) -> Result<Compiled, Vec<String>> {
    let inputs = virtual_inputs(input, tree.as_ref(), fallback)?;
    let format = input.error_format;

    let loader = |name: &str| open_source(tree.as_ref(), fallback, name, reads);
    let mut pool = Pool::new();
    let names: Vec<&str> = inputs.iter().map(String::as_str).collect();
    // protoc stops at the first input that fails.
    let result = set::load_all(&names, &loader, &mut pool);
    // protoc builds and checks the inputs one by one: when input k breaks a rule, files only
    // later inputs load were never built, and their warnings and errors never printed. The
    // inputs built before the first that failed are the ones checked.
    let broken = if input.rules.any() {
        rule_violations(&input.rules, names.iter().map_while(|n| pool.file(n)))
    } else {
        None
    };
    let built_before = match &broken {
        Some((k, _)) => names[..=*k]
            .iter()
            .filter_map(|n| pool.index_of(n))
            .max()
            .unwrap_or(0),
        None => usize::MAX,
    };
    // Warnings come out as protoc prints them, before any later error.
    for w in set::warnings(&pool, &names)
        .into_iter()
        .filter(|w| pool.index_of(&w.file).is_none_or(|i| i <= built_before))
    {
        let d = &w.diagnostic;
        let line = render(
            &w.file,
            d.line,
            d.col,
            &d.message,
            true,
            tree.as_ref(),
            format,
        );
        warnings.push(line);
    }
    if let Some((_, lines)) = broken {
        return Err(lines);
    }
    result.map_err(|errors| render_errors(&errors, tree.as_ref(), format))?;
    let found_warnings = !set::warnings(&pool, &names).is_empty();
    // protoc's command line then warns, once per input, about generic services. protoc records
    // this one where --fatal_warnings does not look, so it never fails the run.
    for name in &inputs {
        if pool.file(name).is_some_and(uses_generic_services) {
            warnings.push(render(
                name,
                -1,
                -1,
                GENERIC_SERVICES,
                true,
                tree.as_ref(),
                format,
            ));
        }
    }
    let errors = check_inputs(&pool, &names);
    if !errors.is_empty() {
        return Err(render_errors(&errors, tree.as_ref(), format));
    }
    // protoc's `EnforceProtocEditionsSupport`, on the inputs once they are valid.
    if !input.experimental_editions {
        for name in &names {
            let edition = pool.file(name).and_then(|f| f.edition).unwrap_or(0);
            if edition > feature_check::PROTOC_MAXIMUM_EDITION && !feature_check::exempt(name) {
                return Err(vec![format!(
                    "{name}: is a file using edition {}, which is later than the protoc maximum supported edition {}.",
                    feature_check::edition_name(edition),
                    feature_check::edition_name(feature_check::PROTOC_MAXIMUM_EDITION)
                )]);
            }
        }
    }
    Ok(Compiled {
        pool,
        inputs,
        tree,
        found_warnings,
    })
}

/// protoc's `ParseInputFiles` checks, input by input: the first input that breaks a rule, by
/// its position, and its lines (services first, then each undeclared import, then each
/// undeclared option import). protoc builds each input just before checking it, so a later
/// input's compile errors never show: the caller passes the inputs built before the first that
/// failed.
fn rule_violations<'a>(
    rules: &InputRules,
    files: impl Iterator<Item = &'a FileDescriptorProto>,
) -> Option<(usize, Vec<String>)> {
    for (k, file) in files.enumerate() {
        if rules.disallow_services && !file.service.is_empty() {
            return Some((
                k,
                vec![format!(
                    "{}: This file contains services, but --disallow_services was used.",
                    file.name()
                )],
            ));
        }
        let undeclared = |rule: &Option<DependencyRule>, names: &[String]| -> Vec<String> {
            let Some(rule) = rule else {
                return Vec::new();
            };
            names
                .iter()
                .filter(|d| !rule.allowed.contains(*d))
                .map(|d| format!("{}: {}", file.name(), rule.message.replace("%s", d)))
                .collect()
        };
        for lines in [
            undeclared(&rules.direct_dependencies, &file.dependency),
            undeclared(&rules.option_dependencies, &file.option_dependency),
        ] {
            if !lines.is_empty() {
                return Some((k, lines));
            }
        }
    }
    None
}

/// A file by virtual name: from the source tree, else from the descriptor sets.
fn open_source(
    tree: Option<&SourceTree>,
    fallback: Option<&FileSet>,
    name: &str,
    reads: Option<&Reads>,
) -> Result<Source, String> {
    let opened = match tree {
        Some(tree) => tree.open(name),
        None => Err("File not found.".to_string()),
    };
    match opened {
        Ok(o) => {
            if let Some(reads) = reads {
                let read = Read::of(name, &o);
                reads.0.lock().unwrap_or_else(|e| e.into_inner()).push(read);
            }
            Ok(Source::Proto(o.contents))
        }
        Err(message) => match fallback.and_then(|f| f.get(name)) {
            Some(raw) => FileDescriptorProto::decode(&raw.bytes[..])
                .map(|fd| Source::Descriptor(Box::new(fd)))
                .map_err(|_| format!("{name}: Unable to parse.")),
            None => Err(message),
        },
    }
}

/// The checks protoc makes on the inputs once everything linked: the set's own, then option
/// targets, all of them before failing.
fn check_inputs(pool: &Pool, inputs: &[&str]) -> Vec<FileError> {
    let mut errors = set::input_checks(pool, inputs);
    let stripper = Stripper::new(pool);
    for name in inputs {
        let Some(file) = pool.file(name) else {
            continue;
        };
        for message in stripper.target_errors(file) {
            errors.push(FileError::whole_file(name, message));
        }
    }
    errors
}

/// The inputs' virtual names, in command-line order: an input given as a disk path is mapped
/// through `-I`; with no `-I`, an input must be a file of the descriptor sets.
pub fn virtual_inputs(
    input: &Input,
    tree: Option<&SourceTree>,
    fallback: Option<&FileSet>,
) -> Result<Vec<String>, Vec<String>> {
    let in_fallback = |name: &str| fallback.is_some_and(|f| f.get(name).is_some());
    input
        .files
        .iter()
        .map(|file| match tree {
            Some(tree) => virtual_name(tree, file, in_fallback(file)),
            None if in_fallback(file) => Ok(file.clone()),
            None => Err(vec![format!(
                "Could not find file in descriptor database: {file}: No such file or directory"
            )]),
        })
        .collect()
}

const GENERIC_SERVICES: &str = "Generic services (cc_generic_services, java_generic_services, and py_generic_services) are deprecated in favor of using plugins that generate code specific to your particular RPC system. Additional code generator options may be required to enable generic services and total removal of these options is planned in future breaking releases.";

/// Whether a file sets `cc_generic_services`, `java_generic_services` or `py_generic_services`
/// (FileOptions 16, 17, 18) to true.
fn uses_generic_services(file: &FileDescriptorProto) -> bool {
    let Some(o) = &file.options else {
        return false;
    };
    [16, 17, 18]
        .iter()
        .any(|&n| crate::compiler::features::varint_field(&o.raw, n).is_some_and(|v| v != 0))
}

/// `FieldDescriptorProto.json_name`: a source location ending in it marks a json_name written in
/// the source.
const JSON_NAME_FIELD: i32 = 10;

/// Clears every json_name not written in the source (whose field path is not in `explicit`).
fn clear_json_names(file: &mut FileDescriptorProto, explicit: &std::collections::HashSet<&[i32]>) {
    use crate::compiler::descriptor::{DescriptorProto, FieldDescriptorProto};
    fn fields(
        fs: &mut [FieldDescriptorProto],
        path: &[i32],
        explicit: &std::collections::HashSet<&[i32]>,
    ) {
        for (i, f) in fs.iter_mut().enumerate() {
            let mut p = path.to_vec();
            p.push(i as i32);
            if !explicit.contains(&p[..]) {
                f.json_name = None;
            }
        }
    }
    fn message(
        m: &mut DescriptorProto,
        path: &[i32],
        explicit: &std::collections::HashSet<&[i32]>,
    ) {
        let join = |more: &[i32]| [path, more].concat();
        fields(&mut m.field, &join(&[2]), explicit);
        fields(&mut m.extension, &join(&[6]), explicit);
        for (i, n) in m.nested_type.iter_mut().enumerate() {
            message(n, &join(&[3, i as i32]), explicit);
        }
    }
    for (i, m) in file.message_type.iter_mut().enumerate() {
        message(m, &[4, i as i32], explicit);
    }
    fields(&mut file.extension, &[7], explicit);
}

/// protoc's `MakeProtoProtoPathRelative`: an input given as a disk path becomes the virtual
/// name of the first `-I` it lies under; one that is not a disk file must be a virtual name.
fn virtual_name(tree: &SourceTree, input: &str, in_fallback: bool) -> Result<String, Vec<String>> {
    if !Path::new(input).exists() {
        if tree.exists(input) || in_fallback {
            return Ok(input.to_string());
        }
        return Err(vec![format!(
            "Could not make proto path relative: {input}: No such file or directory"
        )]);
    }
    match tree.disk_to_virtual(input) {
        DiskToVirtual::Mapped(name) => Ok(name),
        DiskToVirtual::Shadowed { by, .. } => Err(vec![format!(
            "{input}: Input is shadowed in the --proto_path by \"{by}\".  Either use the latter file as your input or reorder the --proto_path so that the former file's location comes first."
        )]),
        DiskToVirtual::CannotOpen(_) if in_fallback => Ok(input.to_string()),
        DiskToVirtual::CannotOpen(why) => Err(vec![format!(
            "Could not map to virtual file: {input}: {why}"
        )]),
        DiskToVirtual::NoMapping if tree.exists(input) || in_fallback => Ok(input.to_string()),
        DiskToVirtual::NoMapping => Err(vec![format!(
            "{input}: File does not reside within any path specified using --proto_path (or -I).  You must specify a --proto_path which encompasses this file.  Note that the proto_path must be an exact prefix of the .proto file names -- protoc is too dumb to figure out when two paths (e.g. absolute and relative) are equivalent (it's harder than you think)."
        )]),
    }
}

/// protoc's `ErrorPrinter`: a file is named by its disk path when the tree has it on disk.
fn render_errors(
    errors: &[FileError],
    tree: Option<&SourceTree>,
    format: ErrorFormat,
) -> Vec<String> {
    errors
        .iter()
        .map(|e| {
            render(
                &e.file,
                e.diagnostic.line,
                e.diagnostic.col,
                &e.diagnostic.message,
                false,
                tree,
                format,
            )
        })
        .collect()
}

/// One error or warning line, as protoc's `ErrorPrinter` writes it.
pub fn render(
    file: &str,
    line: i32,
    col: i32,
    message: &str,
    warning: bool,
    tree: Option<&SourceTree>,
    format: ErrorFormat,
) -> String {
    let mut out = tree
        .and_then(|t| t.disk_file(file))
        .unwrap_or_else(|| file.to_string());
    if line >= 0 {
        match format {
            ErrorFormat::Gcc => out += &format!(":{}:{}", line + 1, col + 1),
            ErrorFormat::Msvs => {
                let kind = if warning { "warning" } else { "error" };
                out += &format!("({}) : {kind} in column={}", line + 1, col + 1);
            }
        }
    }
    if warning {
        out += ": warning: ";
    } else {
        out += ": ";
    }
    out + message
}

/// How a file to generate's `proto_file` entry departs from the usual request form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryForm {
    /// Keep `source_code_info` (protoc drops it for the `bootstrap` parameter).
    pub source_info: bool,
    /// Keep the json_names protoc computes (it leaves them out for its former built-in
    /// generators, and its pool has none).
    pub json_names: bool,
    /// Keep source-retention options, which protoc strips from requests but its built-in
    /// generators see.
    pub source_retention_options: bool,
}

impl EntryForm {
    /// What protoc's built-in generators see: its pool's file, as parsed.
    pub const BUILT_IN: EntryForm = EntryForm {
        source_info: true,
        json_names: false,
        source_retention_options: true,
    };
}

impl Compiled {
    /// protoc's `GetTransitiveDependencies` order from the inputs: each file after its imports,
    /// once. Without `all`, only the inputs (the imports that are not inputs are skipped over,
    /// as `-o` without `--include_imports` does).
    pub fn output_order(&self, all: bool) -> Vec<&FileDescriptorProto> {
        let mut seen: Vec<&str> = Vec::new();
        if !all {
            for input in &self.inputs {
                let Some(f) = self.pool.file(input) else {
                    continue;
                };
                for d in f.dependency.iter().chain(&f.option_dependency) {
                    if !self.inputs.contains(d) {
                        seen.push(d);
                    }
                }
            }
        }
        let mut order = Vec::new();
        for input in &self.inputs {
            self.visit(input, &mut seen, &mut order);
        }
        order
    }

    fn visit<'a>(
        &'a self,
        name: &'a str,
        seen: &mut Vec<&'a str>,
        order: &mut Vec<&'a FileDescriptorProto>,
    ) {
        if seen.contains(&name) {
            return;
        }
        seen.push(name);
        let Some(file) = self.pool.file(name) else {
            return;
        };
        for d in file.dependency.iter().chain(&file.option_dependency) {
            self.visit(d, seen, order);
        }
        order.push(file);
    }

    /// The serialized `FileDescriptorSet` protoc writes for `-o`.
    pub fn descriptor_set(&self, spec: &DescriptorSetOut) -> Vec<u8> {
        let stripper = (!spec.retain_options).then(|| Stripper::new(&self.pool));
        let files = self.output_order(spec.include_imports);
        // Stripping only removes bytes: the unstripped size is enough room, so the set (80 MB
        // for googleapis) is never copied to grow.
        let room = files
            .iter()
            .map(|f| prost::encoding::message::encoded_len(1, *f))
            .sum();
        let mut out = Vec::with_capacity(room);
        for file in files {
            let mut copy = match &stripper {
                Some(s) => s.strip(file),
                None if spec.include_source_info => {
                    prost::encoding::message::encode(1, file, &mut out);
                    continue;
                }
                None => file.clone(),
            };
            if !spec.include_source_info {
                copy.source_code_info = None;
            }
            prost::encoding::message::encode(1, &copy, &mut out);
        }
        out
    }

    /// The files as plugins get them: every file with its source info, and for the inputs
    /// also the copy stripped of source-retention options.
    pub fn request_files(&self) -> FileSet {
        let stripper = Stripper::new(&self.pool);
        let mut set = FileSet::default();
        for file in self.output_order(true) {
            let stripped = self
                .inputs
                .iter()
                .any(|i| Some(i.as_str()) == file.name.as_deref())
                .then(|| stripper.strip(file).encode_to_vec());
            set.add_compiled(file.encode_to_vec(), stripped)
                .expect("our own encoding decodes");
        }
        set
    }

    /// The `proto_file` entry for the file to generate `name` when it departs from
    /// [`Compiled::request_files`]'s, in `form`. A json_name written in the source always stays.
    /// `None` if `name` is not in the pool.
    pub fn generate_entry(&self, name: &str, form: EntryForm) -> Option<Vec<u8>> {
        let original = self.pool.file(name)?;
        let mut file = original.clone();
        if !form.json_names {
            let explicit: std::collections::HashSet<&[i32]> = original
                .source_code_info
                .iter()
                .flat_map(|i| &i.location)
                .filter(|l| l.path.last() == Some(&JSON_NAME_FIELD))
                .map(|l| &l.path[..l.path.len() - 1])
                .collect();
            clear_json_names(&mut file, &explicit);
        }
        if !form.source_info {
            file.source_code_info = None;
        }
        if form.source_retention_options {
            return Some(file.encode_to_vec());
        }
        Some(Stripper::new(&self.pool).strip(&file).encode_to_vec())
    }

    /// protoc's `--print_free_field_numbers` text: for each input, each top-level message after
    /// its nested ones (map entries and groups included, in declaration order), the numbers
    /// no field, extension range or reserved range takes.
    pub fn free_field_numbers(&self) -> String {
        use crate::compiler::descriptor::DescriptorProto;
        fn print(m: &DescriptorProto, scope: &str, out: &mut String) {
            let full = if scope.is_empty() {
                m.name().to_string()
            } else {
                format!("{scope}.{}", m.name())
            };
            for nested in &m.nested_type {
                print(nested, &full, out);
            }
            // [start, end) ranges, sorted and deduplicated as protoc's btree_set.
            let mut taken: std::collections::BTreeSet<(i64, i64)> = m
                .field
                .iter()
                .map(|f| (f.number() as i64, f.number() as i64 + 1))
                .collect();
            taken.extend(
                m.extension_range
                    .iter()
                    .map(|r| (r.start() as i64, r.end() as i64)),
            );
            taken.extend(
                m.reserved_range
                    .iter()
                    .map(|r| (r.start() as i64, r.end() as i64)),
            );
            let mut line = format!("{full:<35} free:");
            let mut next = 1;
            for (start, end) in taken {
                // Groups may reuse their parent's numbers.
                if next >= end {
                    continue;
                }
                if next + 1 == start {
                    line += &format!(" {next}");
                } else if next < start {
                    line += &format!(" {next}-{}", start - 1);
                }
                next = end;
            }
            if next <= 536_870_911 {
                line += &format!(" {next}-INF");
            }
            out.push_str(&line);
            out.push('\n');
        }
        let mut out = String::new();
        for name in &self.inputs {
            if let Some(file) = self.pool.file(name) {
                for m in &file.message_type {
                    print(m, file.package(), &mut out);
                }
            }
        }
        out
    }

    /// The disk files `--dependency_out`'s rule names, in protoc's order. protoc names the
    /// well-known types it read from its own include directory (beside its binary); protowasm
    /// carries them inside its binary, so it writes them once under `include_dir` (the cache's
    /// `include/36.2/`) and names those copies: make then depends on files that exist. Without
    /// a cache directory they are left out.
    pub fn dependency_files(&self, include_dir: Option<&Path>) -> Vec<String> {
        self.output_order(true)
            .iter()
            .filter_map(|f| {
                let tree = self.tree.as_ref()?;
                tree.disk_file(f.name())
                    .or_else(|| builtin_on_disk(include_dir?, f.name()))
            })
            .collect()
    }
}

/// The built-in file `name` written under `dir` (unless already there with these bytes): its
/// absolute path, `None` if it is not a built-in file or cannot be written.
fn builtin_on_disk(dir: &Path, name: &str) -> Option<String> {
    let contents = crate::compiler::source_tree::builtin(name)?;
    let path = std::path::absolute(dir.join(name)).ok()?;
    if std::fs::read(&path).ok().as_deref() != Some(contents) {
        let written = std::fs::create_dir_all(path.parent()?)
            .and_then(|()| crate::cache::store::replace_file(&path, contents));
        if let Err(e) = written {
            tracing::warn!(
                "could not write {}: {e}; --dependency_out leaves it out",
                path.display()
            );
            return None;
        }
    }
    Some(path.display().to_string())
}

/// The make rule protoc writes for `--dependency_out`: every output, then every file the
/// inputs were compiled from.
pub fn dependency_rule(outputs: &[String], disk: &[String]) -> String {
    if outputs.is_empty() {
        return String::new();
    }
    let mut text = outputs.join(" \\\n");
    text.push(':');
    for (i, d) in disk.iter().enumerate() {
        text.push(' ');
        text.push_str(d);
        if i + 1 < disk.len() {
            text.push_str("\\\n");
        }
    }
    text
}
