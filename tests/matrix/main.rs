//! The plugin matrix: real Go and Rust plugins, built to wasm and natively from registry
//! packages, on real corpora. For every plugin and input set, protowasm runs the wasm build and
//! protoc 36.2 runs the native build, given the same descriptor set; the trees must be
//! byte-identical. Slow (whole corpora, Go plugins on compute.proto), so it is its own test target:
//! `cargo test --test matrix`. Needs testdata/install-toolchains.sh (Go) on a fresh machine.

#[path = "../it/support.rs"]
#[allow(dead_code)]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use support::*;

/// Builds the matrix plugins once (Go and Rust, wasm and native). Fails loudly.
fn matrix_plugins() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = plugins().to_path_buf();
        let status = Command::new("bash")
            .arg(repo().join("testdata/build-matrix-plugins.sh"))
            .env("OUT", &dir)
            .status()
            .expect("running testdata/build-matrix-plugins.sh");
        assert!(status.success(), "testdata/build-matrix-plugins.sh failed ({status}); run testdata/install-toolchains.sh first");
        dir
    })
}

/// The dev corpora, fetched once from the package registries by ../shared/corpus.
fn corpus() -> &'static Path {
    static FETCHED: OnceLock<PathBuf> = OnceLock::new();
    FETCHED.get_or_init(|| {
        let script = repo().join("../shared/corpus/fetch-dev-corpus.sh");
        assert!(
            script.is_file(),
            "{} is missing: the matrix needs the shared corpus script",
            script.display()
        );
        let dir = repo().join("target/corpus");
        let status = Command::new("bash")
            .arg(&script)
            .arg("--large")
            .arg(&dir)
            .status()
            .expect("running fetch-dev-corpus.sh");
        assert!(status.success(), "fetch-dev-corpus.sh failed ({status})");
        dir
    })
}

/// One input set: an include root and the files to generate, compiled once into a descriptor set.
struct InputSet {
    name: &'static str,
    root: PathBuf,
    files: Vec<String>,
    set: PathBuf,
}

fn proto_files_under(root: &Path, sub: &str) -> Vec<String> {
    let mut files: Vec<String> = read_tree(&root.join(sub))
        .into_keys()
        .filter(|f| f.ends_with(".proto"))
        .map(|f| {
            if sub.is_empty() {
                f
            } else {
                format!("{sub}/{f}")
            }
        })
        .collect();
    files.sort();
    files
}

fn is_editions(root: &Path, file: &str) -> bool {
    std::fs::read_to_string(root.join(file))
        .unwrap()
        .lines()
        .any(|l| l.starts_with("edition"))
}

fn input_sets() -> &'static [InputSet] {
    static SETS: OnceLock<(tempfile::TempDir, Vec<InputSet>)> = OnceLock::new();
    &SETS
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let corpus = corpus();
            let include = protoc_include();
            // Editions files are left out: they are the editions issue's, and these plugin
            // versions predate editions.
            let wkt: Vec<String> = proto_files_under(&include, "")
                .into_iter()
                .filter(|f| !is_editions(&include, f))
                .collect();
            let defs = vec![
                ("wkt", include.clone(), wkt),
                (
                    "googleapis-common-protos",
                    corpus.join("googleapis-common-protos"),
                    proto_files_under(&corpus.join("googleapis-common-protos"), "google"),
                ),
                (
                    "otel",
                    corpus.join("otel/src/proto/opentelemetry-proto"),
                    proto_files_under(
                        &corpus.join("otel/src/proto/opentelemetry-proto"),
                        "opentelemetry",
                    ),
                ),
                (
                    "compute",
                    corpus.join("googleapis"),
                    vec!["google/cloud/compute/v1/compute.proto".to_string()],
                ),
            ];
            let sets = defs
                .into_iter()
                .map(|(name, root, files)| {
                    assert!(
                        !files.is_empty(),
                        "no .proto files for {name} under {}",
                        root.display()
                    );
                    let set = dir.path().join(format!("{name}.pb"));
                    let refs: Vec<&str> = files.iter().map(String::as_str).collect();
                    descriptor_set(&set, &root, &refs);
                    InputSet {
                        name,
                        root,
                        files,
                        set,
                    }
                })
                .collect();
            (dir, sets)
        })
        .1
}

/// Go plugins need an import path for every file; the one file in the corpora without a
/// go_package gets an `M` mapping.
fn go_parameter(set: &InputSet) -> String {
    let mut p = "paths=source_relative".to_string();
    for f in &set.files {
        let text = std::fs::read_to_string(set.root.join(f)).unwrap();
        if !text.contains("go_package") {
            let dir = Path::new(f).parent().unwrap().display().to_string();
            p.push_str(&format!(",M{f}=example.com/unmapped/{dir}"));
        }
    }
    p
}

fn compare(plugin: &str, set: &InputSet, parameter: &str) {
    matrix_plugins();
    let work = tempfile::tempdir().unwrap();
    let (theirs, ours) = (work.path().join("protoc"), work.path().join("protowasm"));
    std::fs::create_dir(&theirs).unwrap();
    std::fs::create_dir(&ours).unwrap();
    let args = |plugin_path: &Path, out: &Path| {
        let mut a = vec![
            format!("--descriptor_set_in={}", set.set.display()),
            format!("--plugin=protoc-gen-{plugin}={}", plugin_path.display()),
            format!("--{plugin}_out={parameter}:{}", out.display()),
        ];
        a.extend(set.files.iter().cloned());
        a
    };
    let run = protoc_run(work.path(), &args(&native_plugin(plugin), &theirs), &[]);
    assert_eq!(
        run.status, 0,
        "protoc with native protoc-gen-{plugin} failed on {}:\n{}",
        set.name, run.stderr
    );
    let run = protowasm_protoc(work.path(), &args(&wasm_plugin(plugin), &ours));
    assert_eq!(
        run.status, 0,
        "protowasm with protoc-gen-{plugin}.wasm failed on {}:\n{}",
        set.name, run.stderr
    );
    let expected = read_tree(&theirs);
    assert!(
        !expected.is_empty(),
        "protoc-gen-{plugin} generated nothing for {}",
        set.name
    );
    assert_trees_equal(
        &read_tree(&ours),
        &expected,
        &format!(
            "protoc-gen-{plugin} on {}: wasm under protowasm differs from native under protoc",
            set.name
        ),
    );
}

fn each_set(plugin: &str, parameter: impl Fn(&InputSet) -> String) {
    for set in input_sets() {
        compare(plugin, set, &parameter(set));
    }
}

#[test]
fn protoc_gen_go() {
    each_set("go", go_parameter);
}

#[test]
fn protoc_gen_go_grpc() {
    each_set("go-grpc", go_parameter);
}

#[test]
fn protoc_gen_prost() {
    each_set("prost", |s| {
        if s.name == "wkt" {
            "compile_well_known_types".into()
        } else {
            String::new()
        }
    });
}

/// prost's options for an input set: the well-known types are compiled when they are the input.
fn prost_parameter(set: &InputSet) -> String {
    if set.name == "wkt" { "compile_well_known_types".into() } else { String::new() }
}

/// tonic and prost-serde normally insert into prost's files; alone they need `no_include`.
fn companion_parameter(set: &InputSet) -> String {
    match prost_parameter(set) {
        p if p.is_empty() => "no_include".into(),
        p => format!("{p},no_include"),
    }
}

#[test]
fn protoc_gen_tonic() {
    each_set("tonic", companion_parameter);
}

#[test]
fn protoc_gen_prost_serde() {
    each_set("prost-serde", companion_parameter);
}

#[test]
fn protoc_gen_rs() {
    each_set("rs", |_| String::new());
}
