//! The golden-file driver. Each `tests/golden/<case>/` holds:
//!   - `cmd`: the `protowasm protoc` arguments, one per line (argfile style; a first line
//!     `generate` or `clean` runs that subcommand instead), with placeholders
//!     `{wasm}` and `{native}` (the built plugin directories), `{example}` (the bundled example's
//!     descriptor set), `{set}` (a descriptor set protoc builds from the case's `input/`), and
//!     `{builtins}` and `{builtins_sha256}` (testdata/build-builtins.sh's module, built only for
//!     the cases that name it);
//!   - `input/` (optional): `.proto` files, all of them inputs to `{set}`;
//!   - `setup/` (optional): files placed in the working directory before the run (placeholders
//!     are replaced in `.yaml` and `.toml` files);
//!   - `expected/`: the working directory's tree after the run (absent = empty; `out/` is created
//!     empty before every run);
//!   - `status` and `stderr`: the exit status and the exact stderr, with paths replaced by the
//!     placeholders.
//!
//! `UPDATE_GOLDEN=1 cargo test golden` rewrites the expectations; unchanged files are left alone.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::*;

struct Outcome {
    tree: BTreeMap<String, Vec<u8>>,
    status: String,
    stderr: String,
}

fn run_case(case: &Path) -> Outcome {
    let work = tempfile::tempdir().unwrap();
    let cwd = work.path();
    std::fs::create_dir(cwd.join("out")).unwrap();
    let set = cwd.join("set.pb");
    let mut placeholders = vec![
        ("{wasm}", plugins().join("wasm").display().to_string()),
        ("{native}", plugins().join("native").display().to_string()),
        ("{example}", example_set().display().to_string()),
        ("{set}", set.display().to_string()),
    ];
    // The builtins module is built only for the cases that name it.
    if read_tree(case)
        .values()
        .any(|b| String::from_utf8_lossy(b).contains("{builtins"))
    {
        let module = builtins_module();
        let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
            std::fs::read(module).unwrap(),
        ));
        placeholders.push(("{builtins_sha256}", sha));
        placeholders.push(("{builtins}", module.display().to_string()));
    }
    let fill = |text: &str| {
        placeholders
            .iter()
            .fold(text.to_string(), |acc, (k, v)| acc.replace(k, v))
    };
    let setup = case.join("setup");
    if setup.is_dir() {
        for (name, bytes) in read_tree(&setup) {
            let dest = cwd.join(&name);
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            let bytes = if name.ends_with(".yaml") || name.ends_with(".toml") {
                fill(&String::from_utf8(bytes).unwrap()).into_bytes()
            } else {
                bytes
            };
            std::fs::write(dest, bytes).unwrap();
        }
    }
    let input = case.join("input");
    if input.is_dir() {
        let files: Vec<String> = read_tree(&input)
            .into_keys()
            .filter(|f| f.ends_with(".proto"))
            .collect();
        let files: Vec<&str> = files.iter().map(String::as_str).collect();
        descriptor_set(&set, &input, &files);
    }
    let cmd = std::fs::read_to_string(case.join("cmd")).expect("every golden case has a cmd file");
    let args: Vec<String> = cmd.lines().filter(|l| !l.is_empty()).map(fill).collect();
    let run = match args.first().map(String::as_str) {
        Some("generate" | "clean") => protowasm_in(cwd, shared_cache(), &args),
        _ => protowasm_protoc(cwd, &args),
    };
    // Paths back to their placeholders, in stderr and in the setup templates.
    let unfill = |text: String| {
        placeholders
            .iter()
            .fold(text, |acc, (k, v)| acc.replace(v.as_str(), k))
    };
    let stderr = unfill(run.stderr.clone());
    let mut tree = read_tree(cwd);
    tree.remove("set.pb");
    for (name, bytes) in tree.iter_mut() {
        if name.ends_with(".yaml") || name.ends_with(".toml") {
            if let Ok(text) = String::from_utf8(bytes.clone()) {
                *bytes = unfill(text).into_bytes();
            }
        }
    }
    Outcome {
        tree,
        status: format!("{}\n", run.status),
        stderr,
    }
}

/// Writes `bytes` to `path` unless it already holds exactly that.
fn bless(path: &Path, bytes: &[u8]) {
    if std::fs::read(path).ok().as_deref() != Some(bytes) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

fn bless_case(case: &Path, outcome: &Outcome) {
    let expected = case.join("expected");
    for stale in read_tree(&expected)
        .keys()
        .filter(|k| !outcome.tree.contains_key(*k))
    {
        std::fs::remove_file(expected.join(stale)).unwrap();
    }
    for (name, bytes) in &outcome.tree {
        bless(&expected.join(name), bytes);
    }
    bless(&case.join("status"), outcome.status.as_bytes());
    bless(&case.join("stderr"), outcome.stderr.as_bytes());
}

fn check_case(case: &Path, outcome: &Outcome) -> Result<(), String> {
    let mut problems = String::new();
    let read = |name: &str| std::fs::read_to_string(case.join(name)).unwrap_or_default();
    if outcome.status != read("status") {
        problems.push_str(&format!(
            "status: expected {}, got {}",
            read("status").trim(),
            outcome.status
        ));
    }
    if outcome.stderr != read("stderr") {
        let diff = similar::TextDiff::from_lines(&read("stderr"), &outcome.stderr)
            .unified_diff()
            .header("expected stderr", "actual stderr")
            .to_string();
        problems.push_str(&diff);
    }
    let expected = read_tree(&case.join("expected"));
    if let Some(report) = tree_diff(&outcome.tree, &expected) {
        problems.push_str(&report);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

#[test]
fn golden_cases() {
    let root = repo().join("tests/golden");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(
        !cases.is_empty(),
        "no golden cases under {}",
        root.display()
    );
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    for case in &cases {
        let outcome = run_case(case);
        if update {
            bless_case(case, &outcome);
        } else if let Err(problems) = check_case(case, &outcome) {
            failures.push(format!(
                "== golden case {}:\n{problems}",
                case.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n{} of {} golden cases failed; if the new output is right, run: UPDATE_GOLDEN=1 cargo test golden",
        failures.join("\n"),
        failures.len(),
        cases.len()
    );
}
