//! Parses every `.proto` in the dev corpus (`target/corpus`) and protoc's include dir. A file
//! our parser rejects must be rejected by protoc 36.2 with the same first error line; mutation
//! smoke tests feed truncated and byte-flipped files to the parser, and to the whole compiler
//! (imports, linking, options, validation), under a time bound.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use protowasm::compiler;

#[path = "common/corpus.rs"]
#[allow(dead_code)]
mod corpus;
#[path = "it/support.rs"]
#[allow(dead_code)]
mod support;

fn corpus_root() -> PathBuf {
    support::dev_corpus().to_path_buf()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "proto") {
            out.push(p);
        }
    }
}

fn all_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    collect(&corpus_root(), &mut files);
    collect(
        &protoc_bin_vendored::include_path().expect("vendored include dir"),
        &mut files,
    );
    files
}

/// protoc's first error line for `path`, compiled from its own directory.
fn protoc_first_error(path: &Path) -> Option<String> {
    let dir = path.parent().unwrap();
    let out = Command::new(protoc_bin_vendored::protoc_bin_path().unwrap())
        .arg("-I")
        .arg(dir)
        .arg("-o/dev/null")
        .arg(path.file_name().unwrap())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    stderr
        .lines()
        .find(|l| !l.contains("warning"))
        .map(str::to_string)
}

#[test]
fn corpus_parses_like_protoc() {
    let files = all_files();
    let (mut ok, mut agreed_rejects) = (0, 0);
    let mut mismatches = Vec::new();
    for path in &files {
        let src = std::fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        match compiler::parse(&name, &src) {
            Ok(_) => ok += 1,
            Err(errors) => {
                let ours = errors[0].render(&name);
                match protoc_first_error(path) {
                    Some(theirs) if theirs == ours => agreed_rejects += 1,
                    theirs => mismatches.push(format!(
                        "{}\n  ours:   {ours}\n  protoc: {}",
                        path.display(),
                        theirs.unwrap_or_default()
                    )),
                }
            }
        }
    }
    eprintln!(
        "parse corpus: {} files, {ok} parsed, {agreed_rejects} rejected with protoc's first \
         error, {} mismatches",
        files.len(),
        mismatches.len()
    );
    assert!(
        files.len() > 1000,
        "corpus looks incomplete: {} files",
        files.len()
    );
    assert!(
        mismatches.is_empty(),
        "mismatches:\n{}",
        mismatches.join("\n")
    );
}

/// Deterministic mutations (truncations and byte flips) of every 25th corpus file: the parser
/// must return, without panicking, within a generous time bound.
#[test]
fn mutated_corpus_never_panics_or_hangs() {
    let files = all_files();
    let mut rand = xorshift(0x9E37_79B9_7F4A_7C15);
    let mut runs = 0;
    for path in files.iter().step_by(25) {
        let src = std::fs::read(path).unwrap();
        if src.is_empty() {
            continue;
        }
        let inputs = mutations(&src, &mut rand);
        for input in inputs {
            let t = Instant::now();
            let _ = compiler::parse("fuzz.proto", &input);
            assert!(
                t.elapsed() < Duration::from_secs(2),
                "slow parse of a mutation of {path:?}"
            );
            runs += 1;
        }
    }
    eprintln!("mutation smoke test: {runs} inputs");
}

/// A deterministic xorshift64 generator: the mutation tests give the same inputs every run.
fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

/// The mutations of one input the smoke tests use: 4 truncations and 4 copies with 3 bytes
/// replaced by syntax-significant ones.
fn mutations(src: &[u8], rand: &mut dyn FnMut() -> u64) -> Vec<Vec<u8>> {
    let mut inputs = Vec::new();
    for _ in 0..4 {
        inputs.push(src[..(rand() as usize) % src.len()].to_vec());
        let mut flipped = src.to_vec();
        for _ in 0..3 {
            let i = (rand() as usize) % flipped.len();
            flipped[i] = [
                b'{', b'}', b'"', b'/', b'*', b'\\', b'\n', b'\t', 0, 0xff, b'[', b'=', b';', b'1',
            ][(rand() as usize) % 14];
        }
        inputs.push(flipped);
    }
    inputs
}

/// The same kind of mutations of every 25th corpus file, compiled with everything it imports
/// (linking, option interpretation and every validation check run on them): the compiler must
/// return an answer, never panic, within a time bound.
#[test]
fn mutated_corpus_never_panics_in_the_whole_compiler() {
    let mut rand = xorshift(0x2545_F491_4F6C_DD1D);
    let mut runs = 0;
    let mut rejected = 0;
    for c in corpus::CORPORA {
        let (roots, names) = corpus::corpus(&corpus_root().join(c));
        for name in names.iter().step_by(25) {
            let src = roots
                .iter()
                .find_map(|r| std::fs::read(r.join(name)).ok())
                .unwrap();
            if src.is_empty() {
                continue;
            }
            for input in mutations(&src, &mut rand) {
                let resolver = |n: &str| {
                    if n == name {
                        return Some(input.clone());
                    }
                    roots
                        .iter()
                        .find_map(|r| std::fs::read(r.join(n)).ok())
                        .or_else(|| compiler::source_tree::builtin(n).map(<[u8]>::to_vec))
                };
                let t = Instant::now();
                let result = compiler::set::compile(&[name.as_str()], &resolver);
                assert!(
                    t.elapsed() < Duration::from_secs(10),
                    "slow compile of a mutation of {name}"
                );
                if let Err(errors) = result {
                    assert!(!errors.is_empty(), "a rejection without an error: {name}");
                    rejected += 1;
                }
                runs += 1;
            }
        }
    }
    assert!(runs > 100, "too few inputs: {runs}");
    eprintln!("whole-compiler mutation smoke test: {runs} inputs, {rejected} rejected");
}
