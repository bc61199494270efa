//! Compiling a set of files: each input and everything it imports, read through a resolver,
//! parsed, built and linked in protoc's order (imports first, depth-first, as
//! `--include_imports` writes them).

use std::collections::HashMap;

use super::descriptor::FileDescriptorProto;
use super::link::Pool;
use super::{build, parse, validate};

/// Source bytes for a virtual file name, or `None` when there is no such file.
pub type Resolver<'a> = &'a dyn Fn(&str) -> Option<Vec<u8>>;

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
    // protoc's command line checks the inputs once all of them are built.
    let errors: Vec<String> = inputs
        .iter()
        .filter_map(|n| pool.file(n))
        .flat_map(validate::library_numbers)
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let warnings = pool
        .warnings()
        .iter()
        .filter(|w| !w.unused_import || inputs.contains(&w.file.as_str()))
        .map(|w| w.render())
        .collect();
    Ok(Compiled {
        files: pool.files().to_vec(),
        warnings,
    })
}

/// Compiles `name` and its imports into `pool`, unless already there (so one pool can serve a
/// whole corpus).
pub fn add_file(name: &str, resolver: Resolver<'_>, pool: &mut Pool) -> Result<(), Vec<String>> {
    add(name, resolver, pool, &mut Vec::new())
}

/// A file being built, with where it imports each file (for the recursion error).
struct Pending {
    name: String,
    imports: HashMap<String, (i32, i32)>,
}

fn add(
    name: &str,
    resolver: Resolver<'_>,
    pool: &mut Pool,
    stack: &mut Vec<Pending>,
) -> Result<(), Vec<String>> {
    if pool.file(name).is_some() {
        return Ok(());
    }
    if let Some(k) = stack.iter().position(|s| s.name == name) {
        // protoc names the file imported again and points at its import of the next one.
        let mut chain: Vec<&str> = stack[k..].iter().map(|s| s.name.as_str()).collect();
        chain.push(name);
        let next = stack.get(k + 1).map_or(name, |s| s.name.as_str());
        let d = match stack[k].imports.get(next) {
            Some(&(line, col)) => super::Diagnostic {
                line,
                col,
                message: String::new(),
            },
            None => super::Diagnostic {
                line: -1,
                col: 0,
                message: String::new(),
            },
        };
        let d = super::Diagnostic {
            message: format!("File recursively imports itself: {}", chain.join(" -> ")),
            ..d
        };
        return Err(vec![d.render(name)]);
    }
    let Some(src) = resolver(name) else {
        return Err(vec![format!("{name}: File not found.")]);
    };
    let ast =
        parse(name, &src).map_err(|es| es.iter().map(|e| e.render(name)).collect::<Vec<_>>())?;
    let (mut fd, info) = build::build(&ast);
    let mut imports = HashMap::new();
    for l in &info.location {
        if let ([3, i], [line, col, ..]) = (&l.path[..], &l.span[..]) {
            if let Some(d) = usize::try_from(*i).ok().and_then(|i| fd.dependency.get(i)) {
                imports.insert(d.clone(), (*line, *col));
            }
        }
    }
    stack.push(Pending {
        name: name.to_string(),
        imports,
    });
    for dep in fd.dependency.clone() {
        add(&dep, resolver, pool, stack)?;
    }
    // `import option` (editions): loaded after the imports, its extensions visible to options.
    for dep in fd.option_dependency.clone() {
        add(&dep, resolver, pool, stack)?;
    }
    stack.pop();
    fd.source_code_info = Some(info.clone());
    pool.add(fd, &info)
        .map_err(|es| es.iter().map(|e| e.render(name)).collect::<Vec<_>>())?;
    Ok(())
}
