//! Parses every `.proto` in the dev corpus (`target/corpus`) and protoc's include dir. A file
//! our parser rejects must be rejected by protoc 36.2 with the same first error line; a mutation
//! smoke test feeds truncated and byte-flipped files to the parser under a time bound.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use protowasm::compiler;

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
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut runs = 0;
    for path in files.iter().step_by(25) {
        let src = std::fs::read(path).unwrap();
        if src.is_empty() {
            continue;
        }
        let mut inputs = Vec::new();
        for _ in 0..4 {
            inputs.push(src[..(rand() as usize) % src.len()].to_vec());
            let mut flipped = src.clone();
            for _ in 0..3 {
                let i = (rand() as usize) % flipped.len();
                flipped[i] = [
                    b'{', b'}', b'"', b'/', b'*', b'\\', b'\n', b'\t', 0, 0xff, b'[',
                ][(rand() as usize) % 11];
            }
            inputs.push(flipped);
        }
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
