//! The resolved run: everything the engine executes, and nothing of how the user said it. Both
//! front-ends build one: the protoc command line (`cli::protoc_run`) and `generate`'s
//! buf.gen.yaml (`cli::buf_generate`). Where protoc and buf behave differently (the
//! `compiler_version` sent, how files are grouped into requests, what is written and how), the
//! difference is a value here, not a branch in the engine.
//!
//! A [`Run`] is plain data: paths as the front-end resolved them, every plugin resolved to its
//! source with its final parameter and limits. The engine (`engine::execute`) takes it through
//! its stages in order.

use std::path::PathBuf;

use crate::output::InsertionStyle;
use crate::plugins::{CacheMode, Limits, PluginSource};
use crate::request::CompilerVersion;
use crate::transform::managed::Managed;
use crate::transform::types::TypeFilter;

/// One run of the engine.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Printed to stderr before anything else happens (protoc warns about flags it ignores).
    pub warnings: Vec<String>,
    /// What to compile or load.
    pub input: Input,
    /// Rewrites of the compiled files, applied in order before any request is built.
    pub transforms: Vec<Transform>,
    /// `compiler_version` in every request: protoc sends its own, buf sends none.
    pub compiler_version: Option<CompilerVersion>,
    /// The order of a request's `proto_file` entries.
    pub proto_file_order: ProtoFileOrder,
    /// The plugin runs, in declared order (the order their responses are applied in).
    pub plugins: Vec<PluginRun>,
    /// What to do with the result.
    pub output: Output,
    /// The compile cache (`engine::snapshot`): `--no-cache` turns it off with the output cache,
    /// `--verify-cache` compiles anyway and fails if the stored result differs.
    pub compile_cache: CacheMode,
    /// `--enable_codegen_trace`: plugins see `PROTOC_CODEGEN_TRACE=yes`, as under protoc.
    pub codegen_trace: bool,
}

/// The files to compile, or to take from descriptor sets, as protoc finds them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Input {
    /// The files to generate, as given: disk paths (mapped to virtual names through
    /// `proto_paths`) or virtual names.
    pub files: Vec<String>,
    /// `-I` directories, or `VIRT=DISK` mappings, searched in order. Empty: the working
    /// directory, unless `descriptor_sets` is given.
    pub proto_paths: Vec<String>,
    /// `--descriptor_set_in`: searched after `proto_paths`; with no `proto_paths`, the files
    /// are taken from these sets as they are.
    pub descriptor_sets: Vec<PathBuf>,
    /// How errors and warnings name a position.
    pub error_format: ErrorFormat,
    /// protoc's checks on each input once it is built (`--disallow_services`,
    /// `--direct_dependencies`, `--option_dependencies`).
    pub rules: InputRules,
    /// `--experimental_editions`: files of editions past protoc's maximum compile, and plugins'
    /// edition ranges are not checked.
    pub experimental_editions: bool,
}

/// protoc's per-input rules, checked in input order; the first input that breaks one fails the
/// run, after every line about that input.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InputRules {
    /// `--disallow_services`: an input may not declare a service.
    pub disallow_services: bool,
    /// `--direct_dependencies=A:B`: an input may import only these files.
    pub direct_dependencies: Option<DependencyRule>,
    /// `--option_dependencies=A:B`: an input may `import option` only these files.
    pub option_dependencies: Option<DependencyRule>,
}

impl InputRules {
    /// Whether any rule is set (without one there is nothing to check).
    pub fn any(&self) -> bool {
        self.disallow_services
            || self.direct_dependencies.is_some()
            || self.option_dependencies.is_some()
    }
}

/// The files allowed, and the message for one that is not (`%s` is replaced by its name).
#[derive(Debug, Clone, PartialEq)]
pub struct DependencyRule {
    pub allowed: std::collections::BTreeSet<String>,
    pub message: String,
}

/// `--error_format`: how a position is written in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorFormat {
    /// `file:line:col: message`
    #[default]
    Gcc,
    /// `file(line) : error in column=col: message`
    Msvs,
}

/// A rewrite of the compiled files between compiling and building requests.
#[derive(Debug, Clone, PartialEq)]
pub enum Transform {
    /// buf's managed mode, on every file sent (imports too) but the well-known types.
    Managed {
        rules: Managed,
        /// The named modules among the import roots, which `module` rules match on.
        modules: Vec<ModuleRoot>,
    },
    /// The files as buf sends them, where it departs from protoc: an import generated (with
    /// include_imports) without its source-retention options, as the inputs are; an options
    /// message that removing them empties left out (protoc sends it empty); and source info
    /// as buf's compiler records it (see `transform::buf_compiler`).
    AsBufCompiles,
    /// buf's type filter on the input: only the named types and what they need (before
    /// managed mode, as in buf).
    Types {
        filter: TypeFilter,
        /// Where the filter was given, as errors name it (`--type`, `buf.gen.yaml: types`).
        origin: String,
    },
}

/// An import root that holds a named module (buf.yaml's `name`, or a dep's).
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleRoot {
    /// The root, as it is in [`Input::proto_paths`].
    pub root: String,
    /// `REGISTRY/OWNER/NAME`.
    pub name: String,
}

/// The order of a request's `proto_file` entries: each file after its imports either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProtoFileOrder {
    /// Reached from the files to generate in their order (protoc).
    #[default]
    FromFilesToGenerate,
    /// The order the files were compiled in, reached from the inputs in their order (buf's
    /// image order).
    Compiled,
}

/// One plugin, as it will run: resolved, with its parameter, limits and output location.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginRun {
    /// Where the user declared it, as errors name it: `--prost_out` (protoc) or
    /// `plugins[0] (prost)` (a template).
    pub origin: String,
    /// `protoc-gen-NAME`: argv[0], and the name in messages.
    pub name: String,
    /// Where the program comes from.
    pub source: PluginSource,
    /// The parameter sent: a registry entry's default options, then the user's.
    pub parameter: String,
    pub limits: Limits,
    /// The output cache, for a wasm plugin.
    pub cache: CacheMode,
    /// How the files to generate are split into requests.
    pub requests: Grouping,
    /// buf's per-plugin type filter (`types`, `exclude_types`), after the run's transforms;
    /// empty: none.
    pub types: TypeFilter,
    /// The output location as protoc normalises it: a directory with a trailing '/', or an
    /// archive (`.zip`, `.jar`, `.srcjar`).
    pub out: String,
}

/// How one plugin's files to generate become requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Grouping {
    pub by: GroupBy,
    /// Also generate the files the inputs import (buf's `include_imports`).
    pub imports: Imports,
    /// The plugin generates each file on its own (a registry entry's `per_file`): split each
    /// request into one per core.
    pub split_across_cores: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// One request with every file (protoc; buf's `strategy: all`).
    #[default]
    All,
    /// One request per directory, directories in order (buf's default `strategy: directory`).
    Directory,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Imports {
    /// Only the inputs (protoc).
    #[default]
    No,
    /// The inputs and what they import, except protoc's well-known types.
    WithoutWellKnownTypes,
    /// The inputs and everything they import (buf's `include_wkt`).
    All,
}

/// What happens after every plugin succeeded.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Output {
    pub files: FilesMode,
    /// `-o`: write a descriptor set of the inputs.
    pub descriptor_set: Option<DescriptorSetOut>,
    /// `--dependency_out`: write a make rule.
    pub dependency_file: Option<PathBuf>,
    /// Fail the run, after writing, when the compiler warned.
    pub fatal_warnings: bool,
    /// How a plugin's insertion into an earlier file is made: protoc's way, or buf's (the
    /// target's lines joined again, so it loses a final newline).
    pub insertion: InsertionStyle,
    /// `--print_free_field_numbers`: print each input message's free numbers instead.
    pub print_free_field_numbers: bool,
    /// `--edition_defaults_out`: write the pool's `FeatureSetDefaults`.
    pub edition_defaults: Option<EditionDefaultsOut>,
    /// Which generated file names are taken: protowasm's strict rule, or protoc's (with
    /// `--unsafe_allow_out_dir_escape`).
    pub names: crate::output::NamePolicy,
}

/// `--edition_defaults_out=PATH` with `--edition_defaults_minimum`/`_maximum` (protoc's
/// PROTO2 and 2026 when not given).
#[derive(Debug, Clone, PartialEq)]
pub struct EditionDefaultsOut {
    pub path: PathBuf,
    pub minimum: i32,
    pub maximum: i32,
}

/// What becomes of the generated files.
#[derive(Debug, Clone, PartialEq)]
pub enum FilesMode {
    /// Write them.
    Write {
        /// Create output directories that do not exist (buf does; protoc requires them).
        create_dirs: bool,
        /// Directories to empty first (buf's `clean: true`).
        clean: Vec<PathBuf>,
        /// Keep a manifest in each output directory and remove what the last run generated
        /// there and this one did not.
        manifests: bool,
    },
    /// Golden-file mode: compare with the disk, print the differences, write nothing.
    Check,
}

impl Default for FilesMode {
    /// protoc's: write into directories that must exist.
    fn default() -> Self {
        FilesMode::Write {
            create_dirs: false,
            clean: Vec::new(),
            manifests: false,
        }
    }
}

/// `-o FILE` with its flags.
#[derive(Debug, Clone, PartialEq)]
pub struct DescriptorSetOut {
    pub path: PathBuf,
    pub include_imports: bool,
    pub include_source_info: bool,
    pub retain_options: bool,
}
