//! Compiling a set of files: each input and everything it imports, read through a resolver,
//! parsed, built and linked in protoc's order (imports first, depth-first, as
//! `--include_imports` writes them).

use super::descriptor::FileDescriptorProto;
use super::link::Pool;
use super::{build, parse};

/// Source bytes for a virtual file name, or `None` when there is no such file.
pub type Resolver<'a> = &'a dyn Fn(&str) -> Option<Vec<u8>>;

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
    add(name, resolver, pool, &mut Vec::new())
}

fn add(
    name: &str,
    resolver: Resolver<'_>,
    pool: &mut Pool,
    stack: &mut Vec<String>,
) -> Result<(), Vec<String>> {
    if pool.file(name).is_some() {
        return Ok(());
    }
    if stack.iter().any(|s| s == name) {
        let mut chain = stack.clone();
        chain.push(name.to_string());
        return Err(vec![format!(
            "{}: File recursively imports itself: {}",
            stack.last().map(String::as_str).unwrap_or(name),
            chain.join(" -> ")
        )]);
    }
    let Some(src) = resolver(name) else {
        return Err(vec![format!("{name}: File not found.")]);
    };
    let ast =
        parse(name, &src).map_err(|es| es.iter().map(|e| e.render(name)).collect::<Vec<_>>())?;
    let (mut fd, info) = build::build(&ast);
    stack.push(name.to_string());
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
