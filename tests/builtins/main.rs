//! protoc's built-in generators as wasm (testdata/build-builtins.sh) against protoc of the release
//! their sources are (35.1, from PyPI), and grpc_python against `python -m grpc_tools.protoc` of
//! the same grpcio-tools, on real corpora: the well-known types, googleapis' common protos,
//! OpenTelemetry, Substrait, compute.proto and protobuf's unittest protos. Both compile the same
//! sources; the trees must be byte-identical, and where the oracle fails, protowasm must fail
//! with its exit code and message. Slow, so a test target of its own: `cargo test --test
//! builtins`.

#[path = "../it/support.rs"]
#[allow(dead_code)]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use support::*;

/// One input set: include roots (most specific first) and the files to generate.
struct Corpus {
    name: &'static str,
    roots: Vec<PathBuf>,
    files: Vec<String>,
}

fn protos_under(root: &Path, sub: &str) -> Vec<String> {
    let mut files: Vec<String> = read_tree(&root.join(sub))
        .into_keys()
        .filter(|f| f.ends_with(".proto"))
        .map(|f| format!("{sub}/{f}"))
        .collect();
    files.sort();
    files
}

/// What protoc 35.1 compiles with `-o` alone, of `files`: the unittest corpus has files that
/// only older or newer protoc accepts.
fn accepted(roots: &[PathBuf], files: Vec<String>) -> Vec<String> {
    files
        .into_iter()
        .filter(|f| {
            let mut args = include_args(roots);
            args.extend(["-o/dev/null".to_string(), f.clone()]);
            oracle_run("protoc", &args).status == 0
        })
        .collect()
}

fn corpora() -> &'static [Corpus] {
    static CORPORA: OnceLock<Vec<Corpus>> = OnceLock::new();
    CORPORA.get_or_init(|| {
        let corpus = dev_corpus();
        let oracle_include = builtins_oracles().join("../include");
        let protobuf = corpus.join("protobuf-27.1");
        let unittest = read_tree(&protobuf.join("google/protobuf"))
            .into_keys()
            .filter(|f| f.ends_with(".proto") && f.contains("unittest") && !f.contains('/'))
            .map(|f| format!("google/protobuf/{f}"))
            .collect();
        let otel = corpus.join("otel/src/proto/opentelemetry-proto");
        let substrait = corpus.join("substrait/proto");
        let sets = vec![
            Corpus {
                name: "wkt",
                files: protos_under(&oracle_include, "google/protobuf"),
                roots: vec![oracle_include],
            },
            Corpus {
                name: "googleapis-common-protos",
                files: protos_under(&corpus.join("googleapis-common-protos"), "google"),
                roots: vec![corpus.join("googleapis-common-protos")],
            },
            Corpus {
                name: "otel",
                files: protos_under(&otel, "opentelemetry"),
                roots: vec![otel],
            },
            Corpus {
                name: "substrait",
                files: protos_under(&substrait, "substrait"),
                roots: vec![substrait],
            },
            Corpus {
                name: "compute",
                files: vec!["google/cloud/compute/v1/compute.proto".to_string()],
                roots: vec![corpus.join("googleapis")],
            },
            Corpus {
                name: "unittest",
                files: accepted(std::slice::from_ref(&protobuf), unittest),
                roots: vec![protobuf],
            },
        ];
        for set in &sets {
            assert!(
                set.files.len() >= 1,
                "no .proto files for {} under {:?}",
                set.name,
                set.roots
            );
        }
        sets
    })
}

fn include_args(roots: &[PathBuf]) -> Vec<String> {
    roots.iter().map(|r| format!("-I{}", r.display())).collect()
}

/// An oracle (`protoc` 35.1, or `grpc_tools` for grpc_python) with `args`.
fn oracle_run(program: &str, args: &[String]) -> Run {
    let bin = builtins_oracles();
    let mut command = match program {
        "grpc_tools" => {
            let mut c = Command::new(bin.join("python"));
            c.args(["-m", "grpc_tools.protoc"]);
            c
        }
        _ => Command::new(bin.join("protoc")),
    };
    let output = command.args(args).stdin(Stdio::null()).output().unwrap();
    Run {
        status: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The registry that serves the builtins, in its own directory.
fn registry() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("plugins-registry.toml"),
            builtins_registry_entry(),
        )
        .unwrap();
        dir
    })
    .path()
}

/// Output options per generator, where one is needed to generate at all.
fn options(generator: &str) -> &'static str {
    match generator {
        // protoc 35.1's Rust generator requires the kernel to be named.
        "rust" => "kernel=cpp",
        _ => "",
    }
}

/// Runs the oracle and protowasm on `files` of `corpus` with `--GENERATOR_out`; both must succeed
/// with byte-identical trees, or fail alike. Returns whether the oracle succeeded.
fn compare(generator: &str, corpus: &Corpus, files: &[String]) -> bool {
    let work = tempfile::tempdir().unwrap();
    let (theirs, ours) = (work.path().join("oracle"), work.path().join("protowasm"));
    std::fs::create_dir(&theirs).unwrap();
    std::fs::create_dir(&ours).unwrap();
    let args = |out: &Path| {
        let mut a = include_args(&corpus.roots);
        let opt = options(generator);
        let sep = if opt.is_empty() { "" } else { ":" };
        a.push(format!("--{generator}_out={opt}{sep}{}", out.display()));
        a.extend(files.iter().cloned());
        a
    };
    let oracle = match generator {
        "grpc_python" => "grpc_tools",
        _ => "protoc",
    };
    let expected = oracle_run(oracle, &args(&theirs));

    let mut all = vec!["protoc".to_string()];
    all.extend(args(&ours));
    let output = Command::new(env!("CARGO_BIN_EXE_protowasm"))
        .args(&all)
        .env("PROTOWASM_CACHE_DIR", shared_cache())
        .env(
            "PROTOWASM_REGISTRY",
            registry().join("plugins-registry.toml"),
        )
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let got = Run {
        status: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    let what = format!(
        "--{generator}_out on {} ({} files)",
        corpus.name,
        files.len()
    );
    assert_eq!(
        (got.status, got.stderr.as_str()),
        (expected.status, expected.stderr.as_str()),
        "{what}: protowasm's exit code and stderr differ from the oracle's"
    );
    if expected.status == 0 {
        let tree = read_tree(&theirs);
        assert!(!tree.is_empty(), "{what}: the oracle generated nothing");
        assert_trees_equal(&theirs, &ours, &what);
    }
    expected.status == 0
}

/// Every corpus in one run; where the oracle refuses a whole corpus (one file it cannot
/// generate fails the run), each file on its own, so the rest are still compared.
fn generator_matches_its_oracle(generator: &str) {
    builtins_module();
    let mut generated = 0;
    for corpus in corpora() {
        if compare(generator, corpus, &corpus.files) {
            generated += corpus.files.len();
            continue;
        }
        for file in &corpus.files {
            if compare(generator, corpus, std::slice::from_ref(file)) {
                generated += 1;
            }
        }
    }
    // Each generator accepts most of the corpora; a run where nearly nothing generated would
    // compare only error messages.
    let total: usize = corpora().iter().map(|c| c.files.len()).sum();
    assert!(
        generated * 2 > total,
        "--{generator}_out generated only {generated} of {total} files"
    );
}

macro_rules! generators {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                generator_matches_its_oracle(stringify!($name));
            }
        )*
    };
}

generators!(
    cpp,
    csharp,
    grpc_python,
    java,
    kotlin,
    objc,
    php,
    pyi,
    python,
    rbs,
    ruby,
    rust
);
