//! `protowasm protoc` against protoc 36.2, both run as commands on the same arguments, over every
//! root file of the dev corpora, protoc's own include directory (with no `-I`: protowasm's
//! built-in copy) and the edge cases in `testdata/compiler/`:
//! - `-I <roots> -o out.pb --include_imports --include_source_info <files>`: the sets must be
//!   the same bytes;
//! - `-I <roots> --cap_out=out <files>` with a plugin that saves its request: the requests must
//!   be the same bytes.
//!
//! Files go in batches; a batch whose outputs differ, or that either tool rejects, is split until
//! single files remain. A single file must give the same bytes, or, when protoc rejects it, the
//! same first line on stderr. A file that declares an edition is counted apart: editions have
//! their own issue.

#[path = "common/corpus.rs"]
mod corpus;
#[path = "it/support.rs"]
#[allow(dead_code)]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

const BATCH: usize = 150;

struct Outcome {
    ok: bool,
    set: Vec<u8>,
    first_line: String,
}

/// What the two tools are asked to produce.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// `-o out.pb --include_imports --include_source_info`
    DescriptorSet,
    /// A plugin's `CodeGeneratorRequest`, saved by `testdata/plugins/capture.sh`.
    Request,
}

fn run(program: &Path, args: &[String], dir: &Path, mode: Mode) -> Outcome {
    let out_file = dir.join("out.pb");
    let _ = std::fs::remove_file(&out_file);
    let mut cmd = Command::new(program);
    cmd.args(args);
    match mode {
        Mode::DescriptorSet => {
            cmd.args(["--include_imports", "--include_source_info", "-o"])
                .arg(&out_file);
        }
        Mode::Request => {
            let capture = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/plugins/capture.sh");
            std::fs::create_dir_all(dir.join("out")).unwrap();
            cmd.arg(format!("--plugin=protoc-gen-cap={}", capture.display()))
                .arg("--cap_out=out")
                .env("CAPTURE_FILE", &out_file)
                .env("CAPTURE_EDITIONS", "1");
        }
    }
    // protowasm's compile cache stores what it compiles: a directory of this test run's own,
    // so that the corpora do not land in the user's cache.
    static CACHE: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(|| tempfile::tempdir().unwrap());
    let output = cmd
        .env("PROTOWASM_CACHE_DIR", cache.path())
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", program.display()));
    let first_line = String::from_utf8_lossy(&output.stderr)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    Outcome {
        ok: output.status.success(),
        set: std::fs::read(&out_file).unwrap_or_default(),
        first_line,
    }
}

fn protowasm() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_protowasm"))
}

#[derive(Default)]
struct Tally {
    files: usize,
    identical: usize,
    rejected_alike: usize,
    editions: Vec<String>,
    mismatches: Vec<String>,
}

/// Compares both tools on `names` under `roots`.
fn check(roots: &[PathBuf], names: &[String], mode: Mode) -> Tally {
    let work = tempfile::tempdir().unwrap();
    let mut base = Vec::new();
    for r in roots {
        base.push(format!("-I{}", r.display()));
    }
    let source = |name: &str| {
        roots
            .iter()
            .find_map(|r| std::fs::read(r.join(name)).ok())
            .unwrap_or_default()
    };
    let mut t = Tally {
        files: names.len(),
        ..Tally::default()
    };
    let mut pending: Vec<Vec<String>> = names.chunks(BATCH).rev().map(<[String]>::to_vec).collect();
    while let Some(batch) = pending.pop() {
        let mut args = base.clone();
        args.extend(batch.iter().cloned());
        let protoc = protoc_bin_vendored::protoc_bin_path().unwrap();
        let theirs = run(&protoc, &args, work.path(), mode);
        let ours = run(
            &protowasm(),
            &[vec!["protoc".to_string()], args].concat(),
            work.path(),
            mode,
        );
        if theirs.ok && ours.ok && theirs.set == ours.set {
            t.identical += batch.len();
            continue;
        }
        if batch.len() > 1 {
            let (a, b) = batch.split_at(batch.len() / 2);
            pending.push(b.to_vec());
            pending.push(a.to_vec());
            continue;
        }
        let name = &batch[0];
        let problem = match (theirs.ok, ours.ok) {
            (false, false) if theirs.first_line == ours.first_line => {
                t.rejected_alike += 1;
                continue;
            }
            (false, false) => format!(
                "both reject it, differently:\n  protoc:    {}\n  protowasm: {}",
                theirs.first_line, ours.first_line
            ),
            (false, true) => format!(
                "protoc rejects it ({}), protowasm accepts it",
                theirs.first_line
            ),
            (true, false) => format!(
                "protoc accepts it, protowasm rejects it: {}",
                ours.first_line
            ),
            (true, true) => format!(
                "the outputs differ ({} bytes from protoc, {} from protowasm)",
                theirs.set.len(),
                ours.set.len()
            ),
        };
        if corpus::is_editions_file(&source(name)) {
            t.editions.push(format!("{name}: {problem}"));
        } else {
            t.mismatches.push(format!("{name}: {problem}"));
        }
    }
    t
}

fn report(label: &str, t: &Tally) -> String {
    format!(
        "{label}: {} files; {} byte-identical; {} rejected by both with the same first line; {} editions files apart; {} mismatches",
        t.files,
        t.identical,
        t.rejected_alike,
        t.editions.len(),
        t.mismatches.len()
    )
}

fn assert_no_mismatch(tallies: &[(String, Tally)]) {
    for (label, t) in tallies {
        eprintln!("{}", report(label, t));
        for e in &t.editions {
            eprintln!("  editions: {e}");
        }
    }
    let all: Vec<&String> = tallies.iter().flat_map(|(_, t)| &t.mismatches).collect();
    assert!(
        all.is_empty(),
        "{} files differ from protoc:\n{}",
        all.len(),
        all.iter()
            .take(40)
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

fn edge_cases_and_builtin(mode: Mode) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (roots, names) = corpus::corpus(&repo.join("testdata/compiler"));
    let edge = check(&roots, &names, mode);
    assert!(edge.files > 5, "testdata/compiler looks empty");

    // No -I at all: protoc finds these in its own include directory, protowasm in its binary.
    let include = protoc_bin_vendored::include_path().unwrap();
    let (_, names) = corpus::corpus(&include);
    let wkt = check(&[], &names, mode);
    assert!(wkt.files >= 16, "protoc's include directory looks empty");
    assert_eq!(wkt.identical, wkt.files, "{}", report("built-in", &wkt));

    assert_no_mismatch(&[("testdata/compiler".into(), edge), ("built-in".into(), wkt)]);
}

fn corpora(mode: Mode) {
    let base = support::dev_corpus();
    let mut tallies = Vec::new();
    for c in corpus::CORPORA {
        let dir = base.join(c);
        assert!(dir.is_dir(), "{} is missing", dir.display());
        let (roots, names) = corpus::corpus(&dir);
        tallies.push((c.to_string(), check(&roots, &names, mode)));
    }
    assert_no_mismatch(&tallies);
}

#[test]
fn edge_cases_and_builtin_well_known_types_match_protoc() {
    edge_cases_and_builtin(Mode::DescriptorSet);
}

#[test]
fn corpora_compile_like_protoc() {
    corpora(Mode::DescriptorSet);
}

#[test]
fn edge_cases_and_builtin_well_known_types_send_protocs_requests() {
    edge_cases_and_builtin(Mode::Request);
}

#[test]
fn corpora_send_protocs_requests() {
    corpora(Mode::Request);
}
