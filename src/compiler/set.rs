//! Compiling a set of files: each input and everything it imports, read through a loader,
//! parsed, built and linked in protoc's order (imports first, depth-first, as
//! `--include_imports` writes them).

use super::HashMap;

use super::descriptor::FileDescriptorProto;
use super::link::Pool;
use super::{prefetch, validate, Diagnostic};

/// Source bytes for a virtual file name, or `None` when there is no such file.
pub type Resolver<'a> = &'a dyn Fn(&str) -> Option<Vec<u8>>;

/// What a loader finds for a virtual file name.
pub enum Source {
    /// `.proto` text, to parse.
    Proto(Vec<u8>),
    /// An already compiled file (from `--descriptor_set_in`).
    Descriptor(Box<FileDescriptorProto>),
}

/// Finds a file by virtual name; the error is protoc's message for it (`File not found.`).
pub type Loader<'a> = &'a dyn Fn(&str) -> Result<Source, String>;

/// A [`Loader`] other threads may call too (see [`load_all`]).
pub type SyncLoader<'a> = &'a (dyn Fn(&str) -> Result<Source, String> + Sync);

/// One error, in the file it belongs to. A negative line means the message is about the whole
/// file (`file: message`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    pub file: String,
    pub diagnostic: Diagnostic,
}

impl FileError {
    pub fn whole_file(file: &str, message: String) -> Self {
        FileError {
            file: file.to_string(),
            diagnostic: Diagnostic {
                line: -1,
                col: -1,
                message,
            },
        }
    }

    /// protoc's line for it, naming the file as given.
    pub fn render(&self) -> String {
        self.diagnostic.render(&self.file)
    }
}

/// A successful compilation: the files, and the warnings protoc would print on stderr
/// (`file:line:col: warning: message`), in its order.
#[derive(Clone, Debug, Default)]
pub struct Compiled {
    pub files: Vec<FileDescriptorProto>,
    pub warnings: Vec<String>,
}

/// Compiles `inputs` and their imports. Returns the files (each with its source info) in
/// dependency order, or protoc's error lines (`file:line:col: message`), first error first.
pub fn compile(
    inputs: &[&str],
    resolver: Resolver<'_>,
) -> Result<Vec<FileDescriptorProto>, Vec<String>> {
    compile_with_warnings(inputs, resolver).map(|c| c.files)
}

/// [`compile`], also returning the warnings (unused imports of the inputs, JSON name clashes
/// protoc tolerates in proto2).
pub fn compile_with_warnings(
    inputs: &[&str],
    resolver: Resolver<'_>,
) -> Result<Compiled, Vec<String>> {
    let mut pool = Pool::new();
    for name in inputs {
        add_file(name, resolver, &mut pool)?;
    }
    let errors = input_checks(&pool, inputs);
    if !errors.is_empty() {
        return Err(errors.iter().map(FileError::render).collect());
    }
    Ok(Compiled {
        files: pool.files().to_vec(),
        warnings: warnings(&pool, inputs).iter().map(|w| w.render()).collect(),
    })
}

/// protoc's command-line checks of its input files, once all of them are built: no field or
/// extension may use the numbers 19000 to 19999 (reported without a position).
pub fn input_checks(pool: &Pool, inputs: &[&str]) -> Vec<FileError> {
    inputs
        .iter()
        .filter_map(|n| pool.file(n))
        .flat_map(|f| {
            validate::library_numbers(f)
                .into_iter()
                .map(|message| FileError::whole_file(f.name(), message))
        })
        .collect()
}

/// The warnings protoc prints for a run over `inputs`: unused imports of the inputs only, the
/// others for every file.
pub fn warnings<'p>(pool: &'p Pool, inputs: &[&str]) -> Vec<&'p super::link::Warning> {
    pool.warnings()
        .iter()
        .filter(|w| !w.unused_import || inputs.contains(&w.file.as_str()))
        .collect()
}

/// Compiles `name` and its imports into `pool`, unless already there (so one pool can serve a
/// whole corpus).
pub fn add_file(name: &str, resolver: Resolver<'_>, pool: &mut Pool) -> Result<(), Vec<String>> {
    let loader = |n: &str| {
        resolver(n)
            .map(Source::Proto)
            .ok_or_else(|| "File not found.".to_string())
    };
    load(name, &loader, pool).map_err(|es| es.iter().map(FileError::render).collect())
}

/// Loads `name` and its imports into `pool`, unless already there. On failure returns every
/// error protoc would report, in its order: a broken import's own errors, then the importer's
/// `Import "x" was not found or had errors.`.
pub fn load(name: &str, loader: Loader<'_>, pool: &mut Pool) -> Result<(), Vec<FileError>> {
    add_from(name, &|n| prefetch::load(n, loader), pool)
}

/// [`load`] for each of `names` in turn, stopping at the first that fails (as protoc stops at
/// the first input with errors). Other threads read and parse files ahead of the linking.
pub fn load_all(
    names: &[&str],
    loader: SyncLoader<'_>,
    pool: &mut Pool,
) -> Result<(), Vec<FileError>> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().max(2) - 1);
    let ahead = prefetch::Prefetch::new(names, loader);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| ahead.work());
        }
        let result = names
            .iter()
            .try_for_each(|name| add_from(name, &|n| ahead.take(n), pool));
        ahead.finish();
        result
    })
}

/// [`load`] with each file's loading and parsing done by `fetch`.
fn add_from(
    name: &str,
    fetch: &dyn Fn(&str) -> prefetch::Loaded,
    pool: &mut Pool,
) -> Result<(), Vec<FileError>> {
    let mut errors = Vec::new();
    let mut failed = Vec::new();
    add(name, fetch, pool, &mut Vec::new(), &mut failed, &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// A file being built, with where it imports each file (for the recursion error).
struct Pending {
    name: String,
    imports: HashMap<String, (i32, i32)>,
}

/// Adds one file; errors go to `errors`. `failed` remembers files that already failed, so a
/// broken file imported twice is reported once, as protoc reports it.
fn add(
    name: &str,
    fetch: &dyn Fn(&str) -> prefetch::Loaded,
    pool: &mut Pool,
    stack: &mut Vec<Pending>,
    failed: &mut Vec<String>,
    errors: &mut Vec<FileError>,
) {
    if pool.file(name).is_some() || failed.iter().any(|f| f == name) {
        return;
    }
    if let Some(k) = stack.iter().position(|s| s.name == name) {
        // protoc names the file imported again and points at its import of the next one.
        let mut chain: Vec<&str> = stack[k..].iter().map(|s| s.name.as_str()).collect();
        chain.push(name);
        let next = stack.get(k + 1).map_or(name, |s| s.name.as_str());
        let (line, col) = stack[k].imports.get(next).copied().unwrap_or((-1, 0));
        errors.push(FileError {
            file: name.to_string(),
            diagnostic: Diagnostic {
                line,
                col,
                message: format!("File recursively imports itself: {}", chain.join(" -> ")),
            },
        });
        failed.push(name.to_string());
        return;
    }
    let (fd, info) = match fetch(name) {
        prefetch::Loaded::File(fd, info) => (*fd, info),
        prefetch::Loaded::Failed(file_errors) => {
            errors.extend(file_errors);
            failed.push(name.to_string());
            return;
        }
    };
    let mut imports = HashMap::default();
    if let Some(info) = &info {
        for l in &info.location {
            if let ([3, i], [line, col, ..]) = (&l.path[..], &l.span[..]) {
                if let Some(d) = usize::try_from(*i).ok().and_then(|i| fd.dependency.get(i)) {
                    imports.insert(d.clone(), (*line, *col));
                }
            }
        }
    }
    stack.push(Pending {
        name: name.to_string(),
        imports,
    });
    for dep in fd.dependency.clone() {
        add(&dep, fetch, pool, stack, failed, errors);
    }
    // `import option` (editions): loaded after the imports, its extensions visible to options.
    for dep in fd.option_dependency.clone() {
        add(&dep, fetch, pool, stack, failed, errors);
    }
    stack.pop();
    if let Err(diagnostics) = pool.add(fd, info) {
        errors.extend(diagnostics.into_iter().map(|diagnostic| FileError {
            file: name.to_string(),
            diagnostic,
        }));
        failed.push(name.to_string());
    }
}
