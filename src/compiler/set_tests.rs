//! Loading a set of files with other threads reading and parsing ahead ([`set::load_all`])
//! gives what loading them one by one gives: the same pool, the same errors in the same order.

use std::collections::HashMap;

use super::link::Pool;
use super::set::{self, FileError, Source};

fn loader(files: &HashMap<String, String>) -> impl Fn(&str) -> Result<Source, String> + Sync + '_ {
    |name| {
        files
            .get(name)
            .map(|text| Source::Proto(text.clone().into_bytes()))
            .ok_or_else(|| "File not found.".to_string())
    }
}

/// One file at a time, stopping at the first input that fails, as before `load_all`.
fn one_by_one(
    names: &[&str],
    files: &HashMap<String, String>,
) -> (Pool, Result<(), Vec<FileError>>) {
    let mut pool = Pool::new();
    let load = loader(files);
    let result = names
        .iter()
        .try_for_each(|n| set::load(n, &load, &mut pool));
    (pool, result)
}

fn ahead(names: &[&str], files: &HashMap<String, String>) -> (Pool, Result<(), Vec<FileError>>) {
    let mut pool = Pool::new();
    let result = set::load_all(names, &loader(files), &mut pool);
    (pool, result)
}

/// A corpus where many inputs share imports, some several levels deep.
fn corpus() -> HashMap<String, String> {
    let mut files = HashMap::new();
    files.insert(
        "base.proto".to_string(),
        "syntax = \"proto3\"; package p; message Base { int32 a = 1; }".to_string(),
    );
    files.insert(
        "other.proto".to_string(),
        "syntax = \"proto3\"; package q; enum E { E_0 = 0; }".to_string(),
    );
    for i in 0..40 {
        let import = if i == 0 {
            "other.proto".to_string()
        } else {
            format!("m{}.proto", i / 2)
        };
        files.insert(
            format!("m{i}.proto"),
            format!(
                "syntax = \"proto3\"; package p; import \"{import}\"; import \"base.proto\";\n\
                 // M{i}\nmessage M{i} {{ Base b = 1; string s = 2 [deprecated = true]; }}"
            ),
        );
    }
    files
}

#[test]
fn load_all_builds_the_pool_one_by_one_loading_builds() {
    let files = corpus();
    let names: Vec<String> = (0..40).rev().map(|i| format!("m{i}.proto")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (expected, ok) = one_by_one(&names, &files);
    assert_eq!(ok, Ok(()));
    for _ in 0..5 {
        let (pool, ok) = ahead(&names, &files);
        assert_eq!(ok, Ok(()));
        assert_eq!(pool.files(), expected.files());
        assert_eq!(pool.warnings(), expected.warnings());
    }
}

#[test]
fn load_all_reports_the_first_failing_input_only() {
    let mut files = corpus();
    // The second input fails to parse; the first imports a file that does not exist. protoc
    // reports the first input's errors and stops there.
    files.insert("bad.proto".into(), "syntax = \"proto3\"; message {".into());
    files.insert(
        "missing.proto".into(),
        "syntax = \"proto3\"; import \"m3.proto\"; import \"nowhere.proto\";".into(),
    );
    let names = ["m7.proto", "missing.proto", "bad.proto", "m9.proto"];
    let (_, expected) = one_by_one(&names, &files);
    let expected = expected.expect_err("fails");
    assert!(expected.iter().all(|e| e.file != "bad.proto"));
    for _ in 0..5 {
        let (_, errors) = ahead(&names, &files);
        assert_eq!(errors.expect_err("fails"), expected);
    }
}
