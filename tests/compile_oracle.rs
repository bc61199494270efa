//! Compares the compiler (parse, build, link) with protoc 36.2's `-o --include_source_info`
//! output, for the edge-case files in `testdata/compiler/` and every corpus file protoc accepts;
//! the first error line for every corpus file protoc rejects (those rejected over editions
//! features are listed, not compared) and for the files in `testdata/compiler/link_errors/`.
//!
//! What is compared: the serialized `FileDescriptorProto`, byte for byte with the entry protoc
//! wrote in its set (protoc runs with `--retain_options`: retention stripping is not the
//! compiler's job). A file that differs fails with the first structural difference found, if
//! any (source info with option locations folded to `[O.., *]`, or the descriptor with every
//! `options` cleared), else with a diff of both descriptors showing the raw option bytes.

#[path = "common/corpus.rs"]
#[allow(dead_code)]
mod corpus;
#[path = "it/support.rs"]
#[allow(dead_code)]
mod support;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use prost::Message;
use prost_types::{
    DescriptorProto, FieldDescriptorProto, FileDescriptorProto, FileDescriptorSet, SourceCodeInfo,
};
use protowasm::compiler;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// protoc's descriptors for `names` (virtual names under `roots`); files protoc rejects are
/// missing from the map. A failing batch is split until the failing files are isolated.
fn protoc_descriptors(
    roots: &[PathBuf],
    names: &[String],
) -> HashMap<String, (FileDescriptorProto, Vec<u8>)> {
    let mut out = HashMap::new();
    let mut pending: Vec<Vec<String>> = names.chunks(400).map(<[String]>::to_vec).collect();
    let tmp = tempfile::tempdir().unwrap();
    let set_path = tmp.path().join("out.pb");
    while let Some(batch) = pending.pop() {
        let mut cmd = Command::new(protoc_bin_vendored::protoc_bin_path().unwrap());
        for r in roots {
            cmd.arg("-I").arg(r);
        }
        cmd.arg("-o").arg(&set_path).arg("--include_source_info");
        // Retention stripping (a later step) would drop source-retention options and their
        // locations; keep them so the parser's locations can be compared.
        cmd.arg("--retain_options");
        cmd.args(&batch);
        let status = cmd.output().unwrap().status;
        if status.success() {
            let bytes = std::fs::read(&set_path).unwrap();
            let set = FileDescriptorSet::decode(&bytes[..]).unwrap();
            for (f, raw) in set.file.into_iter().zip(set_entries(&bytes)) {
                out.insert(f.name.clone().unwrap_or_default(), (f, raw));
            }
        } else if batch.len() > 1 {
            let (a, b) = batch.split_at(batch.len() / 2);
            pending.push(a.to_vec());
            pending.push(b.to_vec());
        }
    }
    out
}

/// Each `file` entry of a serialized `FileDescriptorSet`, as protoc wrote it.
fn set_entries(mut buf: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        let (tag, _) = prost::encoding::decode_key(&mut buf).unwrap();
        assert_eq!(tag, 1, "a FileDescriptorSet holds only files");
        let len = prost::encoding::decode_varint(&mut buf).unwrap() as usize;
        out.push(buf[..len].to_vec());
        buf = &buf[len..];
    }
    out
}

// ---- source info -------------------------------------------------------------------------------

/// The length of the options path `path` lies strictly inside, if any (walking
/// descriptor.proto's shapes).
fn options_prefix(path: &[i32]) -> Option<usize> {
    #[derive(Clone, Copy)]
    enum K {
        File,
        Message,
        Field,
        Oneof,
        Enum,
        Value,
        Service,
        Method,
        Range,
    }
    let mut kind = K::File;
    let mut i = 0;
    while i < path.len() {
        kind = match (kind, path[i]) {
            (K::File, 8)
            | (K::Message, 7)
            | (K::Field, 8)
            | (K::Oneof, 2)
            | (K::Enum, 3)
            | (K::Value, 3)
            | (K::Service, 3)
            | (K::Method, 4)
            | (K::Range, 3) => return (i + 1 < path.len()).then_some(i + 1),
            (K::File, 4) | (K::Message, 3) => K::Message,
            (K::File, 5) | (K::Message, 4) => K::Enum,
            (K::File, 6) => K::Service,
            (K::File, 7) | (K::Message, 2) | (K::Message, 6) => K::Field,
            (K::Message, 8) => K::Oneof,
            (K::Message, 5) => K::Range,
            (K::Enum, 2) => K::Value,
            (K::Service, 2) => K::Method,
            _ => return None,
        };
        i += 2;
    }
    None
}

/// One line per location, for a diagnostic diff once the bytes differ: option locations are
/// folded to `[O.., *]` (span and comments kept) and uninterpreted options' name/value
/// sub-locations left out, so that a structural difference shows apart from an option one.
fn render_locations(info: &SourceCodeInfo) -> Vec<String> {
    let mut lines = Vec::new();
    for l in &info.location {
        let mut s = match options_prefix(&l.path) {
            Some(n) => {
                if l.path[n] == 999 && l.path.len() > n + 2 {
                    continue;
                }
                format!("{:?}+[*] {:?}", &l.path[..n], l.span)
            }
            None => format!("{:?} {:?}", l.path, l.span),
        };
        if let Some(c) = &l.leading_comments {
            s += &format!(" leading={c:?}");
        }
        if let Some(c) = &l.trailing_comments {
            s += &format!(" trailing={c:?}");
        }
        if !l.leading_detached_comments.is_empty() {
            s += &format!(" detached={:?}", l.leading_detached_comments);
        }
        lines.push(s);
    }
    lines
}

// ---- descriptors -------------------------------------------------------------------------------

/// Clears what only option interpretation (the next slice) can produce.
fn reconcile_field(o: &mut FieldDescriptorProto, t: &mut FieldDescriptorProto) {
    o.options = None;
    t.options = None;
}

fn reconcile_fields(o: &mut [FieldDescriptorProto], t: &mut [FieldDescriptorProto]) {
    for (o, t) in o.iter_mut().zip(t.iter_mut()) {
        reconcile_field(o, t);
    }
}

fn reconcile_message(o: &mut DescriptorProto, t: &mut DescriptorProto) {
    o.options = None;
    t.options = None;
    reconcile_fields(&mut o.field, &mut t.field);
    reconcile_fields(&mut o.extension, &mut t.extension);
    for (o, t) in o.nested_type.iter_mut().zip(t.nested_type.iter_mut()) {
        reconcile_message(o, t);
    }
    for d in o.oneof_decl.iter_mut().chain(t.oneof_decl.iter_mut()) {
        d.options = None;
    }
    for r in o
        .extension_range
        .iter_mut()
        .chain(t.extension_range.iter_mut())
    {
        r.options = None;
    }
    for e in o.enum_type.iter_mut().chain(t.enum_type.iter_mut()) {
        clear_enum_options(e);
    }
}

fn clear_enum_options(e: &mut prost_types::EnumDescriptorProto) {
    e.options = None;
    for v in &mut e.value {
        v.options = None;
    }
}

fn reconcile_file(o: &mut FileDescriptorProto, t: &mut FileDescriptorProto) {
    for f in [&mut *o, &mut *t] {
        f.options = None;
        f.source_code_info = None;
        for e in &mut f.enum_type {
            clear_enum_options(e);
        }
        for s in &mut f.service {
            s.options = None;
            for m in &mut s.method {
                m.options = None;
            }
        }
    }
    for (o, t) in o.message_type.iter_mut().zip(t.message_type.iter_mut()) {
        reconcile_message(o, t);
    }
    reconcile_fields(&mut o.extension, &mut t.extension);
}

// ---- comparison --------------------------------------------------------------------------------

fn unified(a: &str, b: &str) -> String {
    similar::TextDiff::from_lines(a, b)
        .unified_diff()
        .context_radius(4)
        .header("protoc", "protowasm")
        .to_string()
}

/// Compiles `name` (and its imports) into `pool` and returns our linked descriptor.
fn ours(
    name: &str,
    roots: &[PathBuf],
    pool: &mut compiler::link::Pool,
) -> Result<(FileDescriptorProto, Vec<u8>), String> {
    // protoc also finds its bundled well-known types, after every -I.
    let wkt = protoc_bin_vendored::include_path().unwrap();
    let resolver = |n: &str| {
        roots
            .iter()
            .chain([&wkt])
            .find_map(|r| std::fs::read(r.join(n)).ok())
    };
    compiler::set::add_file(name, &resolver, pool)
        .map_err(|e| format!("{name}: protoc accepts it but we reject it: {}", e[0]))?;
    let bytes = pool.file(name).expect("added").encode_to_vec();
    Ok((FileDescriptorProto::decode(&bytes[..]).unwrap(), bytes))
}

fn compare(
    name: &str,
    roots: &[PathBuf],
    pool: &mut compiler::link::Pool,
    theirs: &FileDescriptorProto,
    their_bytes: &[u8],
) -> Result<(), String> {
    let (mut ours, our_bytes) = ours(name, roots, pool)?;
    if our_bytes == their_bytes {
        return Ok(());
    }
    // For debugging: both serializations, to compare with `protoc --decode_raw`.
    if let Ok(dir) = std::env::var("COMPILE_ORACLE_BYTES") {
        let stem = Path::new(&dir).join(name.replace('/', "_"));
        std::fs::write(stem.with_extension("ours.pb"), &our_bytes).unwrap();
        std::fs::write(stem.with_extension("theirs.pb"), their_bytes).unwrap();
    }
    let ours_info = ours.source_code_info.clone().expect("our source info");
    let mut theirs = theirs.clone();

    let their_lines = render_locations(
        theirs
            .source_code_info
            .as_ref()
            .expect("protoc source info"),
    );
    let our_lines = render_locations(&ours_info);
    if their_lines != our_lines {
        return Err(format!(
            "{name}: source info differs\n{}",
            unified(&their_lines.join("\n"), &our_lines.join("\n"))
        ));
    }
    reconcile_file(&mut ours, &mut theirs);
    if ours != theirs {
        return Err(format!(
            "{name}: descriptor differs\n{}",
            unified(&format!("{theirs:#?}"), &format!("{ours:#?}"))
        ));
    }
    let ours_raw = compiler::descriptor::FileDescriptorProto::decode(&our_bytes[..]).unwrap();
    let theirs_raw = compiler::descriptor::FileDescriptorProto::decode(their_bytes).unwrap();
    Err(format!(
        "{name}: options differ (set COMPILE_ORACLE_BYTES=dir to get both files)\n{}",
        unified(&format!("{theirs_raw:#?}"), &format!("{ours_raw:#?}"))
    ))
}

#[derive(Default)]
struct Tally {
    files: usize,
    protoc_rejects: usize,
    identical: usize,
    /// Files protoc rejects whose first error line we print too.
    same_first_error: usize,
    /// Files protoc rejects over editions feature support (a separate issue): not failures.
    editions_rejects: Vec<String>,
    mismatches: Vec<String>,
}

/// protoc's first error line for `name` compiled alone, with include roots stripped (protoc
/// prints a file's disk path; naming it is the CLI's job).
fn protoc_first_error(roots: &[PathBuf], name: &str) -> String {
    let mut cmd = Command::new(protoc_bin_vendored::protoc_bin_path().unwrap());
    for r in roots {
        cmd.arg("-I").arg(r);
    }
    let out = cmd.args(["-o", "/dev/null", name]).output().unwrap();
    let mut line = String::from_utf8_lossy(&out.stderr)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    for r in roots {
        line = line.replace(&format!("{}/", r.display()), "");
    }
    line
}

/// Our first error line for `name` compiled alone.
fn our_first_error(roots: &[PathBuf], name: &str) -> String {
    let wkt = protoc_bin_vendored::include_path().unwrap();
    let resolver = |n: &str| {
        roots
            .iter()
            .chain([&wkt])
            .find_map(|r| std::fs::read(r.join(n)).ok())
    };
    match compiler::set::compile(&[name], &resolver) {
        Ok(_) => "<accepted>".to_string(),
        Err(e) => e[0].clone(),
    }
}

/// Whether protoc's error is about editions features, which the compiler does not check yet.
fn is_editions_error(line: &str) -> bool {
    ["feature", "edition", "removal error"]
        .iter()
        .any(|w| line.to_ascii_lowercase().contains(w))
}

fn check(roots: &[PathBuf], names: &[String]) -> Tally {
    let theirs = protoc_descriptors(roots, names);
    let mut pool = compiler::link::Pool::new();
    let mut t = Tally {
        files: names.len(),
        ..Default::default()
    };
    for name in names {
        let Some((their, their_bytes)) = theirs.get(name) else {
            t.protoc_rejects += 1;
            let (theirs, ours) = (
                protoc_first_error(roots, name),
                our_first_error(roots, name),
            );
            if theirs == ours {
                t.same_first_error += 1;
            } else if is_editions_error(&theirs) {
                t.editions_rejects
                    .push(format!("{name}: {theirs} (we: {ours})"));
            } else {
                t.mismatches.push(format!(
                    "{name}: first errors differ\n  protoc:    {theirs}\n  protowasm: {ours}"
                ));
            }
            continue;
        };
        let mut result = compare(name, roots, &mut pool, their, their_bytes);
        // Files that define the same symbols cannot share a pool; protoc's batch holding
        // both failed and was split until each compiled alone, so compile this one alone too.
        if result
            .as_ref()
            .is_err_and(|e| e.contains("is already defined in file"))
        {
            let mut alone = compiler::link::Pool::new();
            result = compare(name, roots, &mut alone, their, their_bytes);
        }
        match result {
            Ok(()) => t.identical += 1,
            Err(e) => t.mismatches.push(e),
        }
    }
    t
}

fn report(label: &str, t: &Tally) -> String {
    let mut line = format!(
        "{label}: {} files, {} rejected by protoc ({} with its first error line, {} over \
         editions features), {} byte-identical, {} mismatches",
        t.files,
        t.protoc_rejects,
        t.same_first_error,
        t.editions_rejects.len(),
        t.identical,
        t.mismatches.len()
    );
    for e in &t.editions_rejects {
        line += &format!("\n  editions (not compared): {e}");
    }
    line
}

fn fail_on_mismatch(tallies: &[(String, Tally)]) {
    for (label, t) in tallies {
        eprintln!("{}", report(label, t));
    }
    let all: Vec<&String> = tallies.iter().flat_map(|(_, t)| &t.mismatches).collect();
    if let Ok(path) = std::env::var("COMPILE_ORACLE_DIFFS") {
        let text: Vec<&str> = all.iter().map(|s| s.as_str()).collect();
        std::fs::write(path, text.join("\n\n")).unwrap();
    }
    if let Some(first) = all.first() {
        let names: Vec<&str> = all
            .iter()
            .map(|m| m.split(':').next().unwrap_or(""))
            .take(30)
            .collect();
        panic!(
            "{} files differ from protoc (first {}: {names:?}); the first:\n{first}",
            all.len(),
            names.len()
        );
    }
}

#[test]
fn edge_cases_build_like_protoc_parser() {
    let dir = repo().join("testdata/compiler");
    let (roots, names) = corpus::corpus(&dir);
    let t = check(&roots, &names);
    assert!(
        roots.len() == 1 && t.files > 5,
        "testdata/compiler looks empty"
    );
    assert_eq!(t.protoc_rejects, 0, "protoc rejects an edge-case file");
    fail_on_mismatch(&[("testdata/compiler".into(), t)]);
}

#[test]
fn corpus_builds_like_protoc_parser() {
    let base = support::dev_corpus();
    let mut tallies = Vec::new();
    for c in corpus::CORPORA {
        let dir = base.join(c);
        assert!(
            dir.is_dir(),
            "{} is missing: run ../shared/corpus/fetch-dev-corpus.sh --large",
            dir.display()
        );
        let (roots, names) = corpus::corpus(&dir);
        tallies.push((c.to_string(), check(&roots, &names)));
    }
    let include = protoc_bin_vendored::include_path().unwrap();
    let (_, names) = corpus::corpus(&include);
    tallies.push(("protoc include".into(), check(&[include], &names)));
    fail_on_mismatch(&tallies);
}

/// Each file in `testdata/compiler/link_errors` is rejected with protoc's first error line, or,
/// when protoc accepts it (helpers, `warn_*` cases), gets protoc's warnings.
#[test]
fn link_errors_match_protoc() {
    let dir = repo().join("testdata/compiler").join(corpus::ERROR_CASES);
    // protoc also finds its bundled well-known types, after every -I.
    let roots = [
        dir.clone(),
        repo().join("testdata/compiler"),
        protoc_bin_vendored::include_path().unwrap(),
    ];
    let mut files = Vec::new();
    corpus::collect(&dir, &mut files);
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut warned = 0;
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let out = Command::new(protoc_bin_vendored::protoc_bin_path().unwrap())
            .args(["-I", dir.to_str().unwrap(), "-I"])
            .arg(repo().join("testdata/compiler"))
            .args(["-o", "/dev/null", &name])
            .output()
            .unwrap();
        // protoc names a file by its disk path in errors; that mapping is the CLI's job.
        let disk_prefix = format!("{}/", dir.display());
        let resolver = |n: &str| roots.iter().find_map(|r| std::fs::read(r.join(n)).ok());
        if out.status.success() {
            // A helper imported by the cases, or a warning case: same warnings as protoc.
            let theirs: Vec<String> = String::from_utf8_lossy(&out.stderr)
                .lines()
                .map(|l| l.replace(&disk_prefix, ""))
                .collect();
            match compiler::set::compile_with_warnings(&[&name], &resolver) {
                Ok(c) if c.warnings == theirs => warned += usize::from(!theirs.is_empty()),
                Ok(c) => failures.push(format!(
                    "{name} warnings:\n  protoc:    {theirs:?}\n  protowasm: {:?}",
                    c.warnings
                )),
                Err(e) => failures.push(format!("{name}: protoc accepts it, we say {}", e[0])),
            }
            continue;
        }
        checked += 1;
        let theirs = String::from_utf8_lossy(&out.stderr)
            .lines()
            .next()
            .unwrap_or_default()
            .replace(&disk_prefix, "");
        let ours = match compiler::set::compile(&[&name], &resolver) {
            Ok(_) => "<accepted>".to_string(),
            Err(e) => e[0].clone(),
        };
        if ours != theirs {
            failures.push(format!(
                "{name}:\n  protoc:    {theirs}\n  protowasm: {ours}"
            ));
        }
    }
    assert!(checked > 5, "{} looks empty", corpus::ERROR_CASES);
    assert!(
        warned >= 2,
        "{} lost its warning cases",
        corpus::ERROR_CASES
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
