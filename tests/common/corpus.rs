//! The `.proto` corpora the oracle tests compile: where they are and how their files are named.

use std::path::{Path, PathBuf};

/// A directory of cases a test treats separately, left out of corpus listings.
pub const ERROR_CASES: &str = "link_errors";

/// The corpora fetched by `../shared/corpus/fetch-dev-corpus.sh --large`, by directory name.
pub const CORPORA: &[&str] = &[
    "protobuf-27.1",
    "googleapis-common-protos",
    "otel",
    "substrait",
    "googleapis",
];

/// Every `.proto` under `dir`, sorted, skipping [`ERROR_CASES`] directories.
pub fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| !p.ends_with(ERROR_CASES))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "proto") {
            out.push(p);
        }
    }
}

/// A corpus file's include root: the directory (below the corpus directory `base`) holding its
/// first well-known top-level package folder, else its own directory.
pub fn include_root(base: &Path, path: &Path) -> PathBuf {
    const TOPS: &[&str] = &["google", "grafeas", "opentelemetry", "substrait", "gapic"];
    let dir = path.parent().unwrap();
    let mut root = base.to_path_buf();
    for c in dir.strip_prefix(base).unwrap().components() {
        if TOPS.iter().any(|t| c.as_os_str() == *t) {
            return root;
        }
        root.push(c);
    }
    dir.to_path_buf()
}

/// The include roots every `.proto` under `dir` needs, most specific first (so nested roots
/// win, as the imports expect), and the files' virtual names.
pub fn corpus(dir: &Path) -> (Vec<PathBuf>, Vec<String>) {
    let mut files = Vec::new();
    collect(dir, &mut files);
    let mut roots: Vec<PathBuf> = Vec::new();
    let mut names = Vec::new();
    for f in &files {
        let root = include_root(dir, f);
        names.push(
            f.strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned(),
        );
        if !roots.contains(&root) {
            roots.push(root);
        }
    }
    roots.sort_by_key(|r| std::cmp::Reverse(r.as_os_str().len()));
    (roots, names)
}

/// Whether a `.proto` source declares an edition (those files belong to the editions work).
pub fn is_editions_file(source: &[u8]) -> bool {
    String::from_utf8_lossy(source)
        .lines()
        .any(|l| l.trim_start().starts_with("edition"))
}
