//! Compiling a set of files: each input and everything it imports, read through a loader,
//! parsed, built and linked in protoc's order (imports first, depth-first, as
//! `--include_imports` writes them).

use super::descriptor::{FileDescriptorProto, SourceCodeInfo};
use super::link::Pool;
use super::{build, parse, Diagnostic};

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

/// One error, in the file it belongs to. A negative line means the message is about the whole
/// file (`file: message`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    pub file: String,
    pub diagnostic: Diagnostic,
}

impl FileError {
    fn whole_file(file: &str, message: String) -> Self {
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

/// Compiles `inputs` and their imports. Returns the files (each with its source info) in
/// dependency order, or protoc's error lines (`file:line:col: message`), first error first.
pub fn compile(
    inputs: &[&str],
    resolver: Resolver<'_>,
) -> Result<Vec<FileDescriptorProto>, Vec<String>> {
    let mut pool = Pool::new();
    for name in inputs {
        add_file(name, resolver, &mut pool)?;
    }
    Ok(pool.files().to_vec())
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
    let mut errors = Vec::new();
    let mut failed = Vec::new();
    add(
        name,
        loader,
        pool,
        &mut Vec::new(),
        &mut failed,
        &mut errors,
    );
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Adds one file; errors go to `errors`. `failed` remembers files that already failed, so a
/// broken file imported twice is reported once, as protoc reports it.
fn add(
    name: &str,
    loader: Loader<'_>,
    pool: &mut Pool,
    stack: &mut Vec<String>,
    failed: &mut Vec<String>,
    errors: &mut Vec<FileError>,
) {
    if pool.file(name).is_some() || failed.iter().any(|f| f == name) {
        return;
    }
    if stack.iter().any(|s| s == name) {
        let mut chain = stack.clone();
        chain.push(name.to_string());
        let importer = stack.last().map(String::as_str).unwrap_or(name);
        errors.push(FileError::whole_file(
            importer,
            format!("File recursively imports itself: {}", chain.join(" -> ")),
        ));
        failed.push(name.to_string());
        return;
    }
    let (mut fd, info) = match loader(name) {
        Err(message) => {
            errors.push(FileError::whole_file(name, message));
            failed.push(name.to_string());
            return;
        }
        Ok(Source::Proto(src)) => match parse(name, &src) {
            Ok(ast) => {
                let (fd, info) = build::build(&ast);
                (fd, Some(info))
            }
            Err(diagnostics) => {
                errors.extend(diagnostics.into_iter().map(|diagnostic| FileError {
                    file: name.to_string(),
                    diagnostic,
                }));
                failed.push(name.to_string());
                return;
            }
        },
        Ok(Source::Descriptor(fd)) => {
            let info = fd.source_code_info.clone();
            (*fd, info)
        }
    };
    stack.push(name.to_string());
    for dep in fd.dependency.clone() {
        add(&dep, loader, pool, stack, failed, errors);
    }
    // `import option` (editions): loaded after the imports, its extensions visible to options.
    for dep in fd.option_dependency.clone() {
        add(&dep, loader, pool, stack, failed, errors);
    }
    stack.pop();
    fd.source_code_info = info.clone();
    let info = info.unwrap_or_else(SourceCodeInfo::default);
    if let Err(diagnostics) = pool.add(fd, &info) {
        errors.extend(diagnostics.into_iter().map(|diagnostic| FileError {
            file: name.to_string(),
            diagnostic,
        }));
        failed.push(name.to_string());
    }
}
