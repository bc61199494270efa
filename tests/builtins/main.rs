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
                !set.files.is_empty(),
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
    oracle_in(Path::new("."), program, args)
}

/// An oracle with `args`, in `dir`.
fn oracle_in(dir: &Path, program: &str, args: &[String]) -> Run {
    let bin = builtins_oracles();
    let mut command = match program {
        "grpc_tools" => {
            let mut c = Command::new(bin.join("python"));
            c.args(["-m", "grpc_tools.protoc"]);
            c
        }
        _ => Command::new(bin.join("protoc")),
    };
    let output = command
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Run::from(output)
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
        // protoc 35.1's Rust generator is opt-in, and needs its kernel named.
        "rust" => "experimental-codegen=enabled,kernel=cpp",
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
    let got = Run::from(output);
    let what = format!(
        "--{generator}_out on {} ({} files)",
        corpus.name,
        files.len()
    );
    if expected.status == -1 {
        // protoc died of a signal (a failed CHECK aborts): here a trap, exit 1, nothing written.
        assert_eq!(got.status, 1, "{what}: {}", got.stderr);
        let trapped = format!("--{generator}_out: protoc-gen-{generator}: plugin trapped");
        assert!(got.stderr.contains(&trapped), "{what}: {}", got.stderr);
        assert!(
            read_tree(&ours).is_empty(),
            "{what}: files written after a trap"
        );
        return false;
    }
    assert_eq!(
        (got.status, without_compiler_warnings(&got.stderr)),
        (expected.status, without_compiler_warnings(&expected.stderr)),
        "{what}: protowasm's exit code and stderr differ from the oracle's"
    );
    if expected.status == 0 {
        let expected = read_tree(&theirs);
        assert!(!expected.is_empty(), "{what}: the oracle generated nothing");
        assert_trees_equal(&read_tree(&ours), &expected, &what);
    }
    expected.status == 0
}

/// `stderr` without the compiler's warnings (`FILE: warning: ...`). protowasm's compiler is protoc
/// 36.2's, and 36.2 warns where 35.1 did not (generic services are deprecated); the generators'
/// messages are what is compared here.
fn without_compiler_warnings(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| {
            !l.split_once(": warning: ")
                .is_some_and(|(file, _)| file.ends_with(".proto"))
        })
        .map(|l| format!("{l}\n"))
        .collect()
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
    eprintln!("--{generator}_out: {generated} of {total} files generated, all byte-identical");
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

/// `proto` written as `x.proto` in a fresh directory, with the registry beside it.
fn one_file(proto: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.proto"), proto).unwrap();
    std::fs::write(
        dir.path().join("plugins-registry.toml"),
        builtins_registry_entry(),
    )
    .unwrap();
    dir
}

/// protowasm's `protoc ARGS` in `dir` (which holds the registry).
fn protowasm_at(dir: &Path, args: &[String]) -> Run {
    let mut all = vec!["protoc".to_string()];
    all.extend(args.iter().cloned());
    protowasm_in(dir, shared_cache(), &all)
}

/// protoc 35.1 with `args` in `dir`.
fn oracle_at(dir: &Path, args: &[String]) -> Run {
    oracle_in(dir, "protoc", args)
}

/// A generator's own error (not a crash): protoc's message, its exit code, and no files, also
/// when another generator of the run succeeded.
#[test]
fn generator_errors_are_protocs() {
    builtins_module();
    let cases: &[(&str, &str, &[&str])] = &[
        // The outer class would clash with the message of the file's name.
        (
            "java outer class",
            "syntax = \"proto3\";\noption java_outer_classname = \"M\";\nmessage M {}\n",
            &["--java_out=out"],
        ),
        (
            "unknown cpp option",
            "syntax = \"proto3\";\nmessage A {}\n",
            &["--cpp_out=bogus_option:out"],
        ),
        (
            "rust without opting in",
            "syntax = \"proto3\";\nmessage A {}\n",
            &["--python_out=out", "--rust_out=out"],
        ),
        (
            "php closed enum",
            "syntax = \"proto2\";\nenum E { A = 0; }\n",
            &["--php_out=out"],
        ),
    ];
    for (what, proto, flags) in cases {
        let dir = one_file(proto);
        let mut args: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
        args.push("x.proto".into());
        std::fs::create_dir(dir.path().join("out")).unwrap();
        let expected = oracle_at(dir.path(), &args);
        std::fs::remove_dir_all(dir.path().join("out")).unwrap();
        std::fs::create_dir(dir.path().join("out")).unwrap();
        let got = protowasm_at(dir.path(), &args);
        assert_ne!(expected.status, 0, "{what}: protoc 35.1 accepted it");
        assert_eq!(
            (got.status, got.stderr.as_str()),
            (expected.status, expected.stderr.as_str()),
            "{what}"
        );
        assert!(
            read_tree(&dir.path().join("out")).is_empty(),
            "{what}: protowasm wrote files"
        );
    }
}

/// An abort inside the C++ code (protoc's own build dies of SIGABRT there) is a trap that names
/// the generator, and nothing is written, not even another generator's files.
#[test]
fn an_abort_in_a_generator_names_it_and_writes_nothing() {
    builtins_module();
    let dir = one_file(
        "syntax = \"proto3\";\nimport \"google/protobuf/timestamp.proto\";\nmessage A { google.protobuf.Timestamp t = 1; }\n",
    );
    std::fs::create_dir(dir.path().join("out")).unwrap();
    // Without a crate mapping for timestamp.proto, the Rust generator's CHECK fails.
    let args = s(&[
        "--python_out=out",
        "--rust_out=experimental-codegen=enabled,kernel=cpp:out",
        "x.proto",
    ]);
    let oracle = oracle_at(dir.path(), &args);
    assert_eq!(
        oracle.status, -1,
        "protoc 35.1 did not abort:\n{}",
        oracle.stderr
    );
    assert!(oracle
        .stderr
        .contains("Cannot continue with missing crate mapping"));
    std::fs::remove_dir_all(dir.path().join("out")).unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();

    let got = protowasm_at(dir.path(), &args);
    assert_eq!(got.status, 1, "{}", got.stderr);
    assert!(
        got.stderr.contains("protoc-gen-rust: F")
            && got
                .stderr
                .contains("Cannot continue with missing crate mapping"),
        "the generator's own message is relayed:\n{}",
        got.stderr
    );
    assert!(
        got.stderr
            .contains("--rust_out: protoc-gen-rust: plugin trapped: wasm trap: wasm `unreachable` instruction executed"),
        "{}",
        got.stderr
    );
    assert!(read_tree(&dir.path().join("out")).is_empty());
}

/// A plugin inserts into a builtin's output at protoc's own insertion points: `.pb.h`'s
/// `includes` and `namespace_scope`, `_pb2.py`'s `module_scope` and `imports`, and Java's
/// `outer_class_scope`. protoc 35.1 with the native test plugin gives the same tree.
#[test]
fn plugins_insert_into_builtin_output_as_into_protocs() {
    builtins_module();
    let dir = one_file(
        "syntax = \"proto3\";\npackage p;\noption java_package = \"com.example\";\nmessage A { int32 n = 1; }\n",
    );
    let inserts = [
        ("cpp", "x.pb.h@includes,insert=x.pb.h@namespace_scope"),
        ("python", "x_pb2.py@module_scope,insert=x_pb2.py@imports"),
        ("java", "com/example/X.java@outer_class_scope"),
    ];
    for (generator, points) in inserts {
        let args = |plugin: &Path| {
            vec![
                format!("--plugin=protoc-gen-testplug={}", plugin.display()),
                format!("--{generator}_out=out"),
                format!("--testplug_out=insert={points}:out"),
                "x.proto".to_string(),
            ]
        };
        let out = dir.path().join("out");
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir(&out).unwrap();
        oracle_at(dir.path(), &args(&native_plugin("testplug"))).assert_ok();
        let expected = read_tree(&out);
        std::fs::remove_dir_all(&out).unwrap();
        std::fs::create_dir(&out).unwrap();
        protowasm_at(dir.path(), &args(&wasm_plugin("testplug"))).assert_ok();
        let got = read_tree(&out);
        assert!(
            expected
                .values()
                .any(|b| String::from_utf8_lossy(b).contains("// inserted by testplug")),
            "{generator}: the oracle inserted nothing"
        );
        assert_eq!(expected, got, "{generator}: trees differ");
    }
}

/// `--java_out=out.jar` and `--python_out=out.zip` write archives as protoc does.
#[test]
fn builtin_output_into_archives_is_protocs() {
    builtins_module();
    let dir = one_file("syntax = \"proto3\";\npackage p;\nmessage A { int32 n = 1; }\n");
    for out in ["gen.jar", "gen.zip", "gen.srcjar"] {
        let generator = if out.ends_with(".zip") {
            "python"
        } else {
            "java"
        };
        let args = s(&[&format!("--{generator}_out={out}"), "x.proto"]);
        oracle_at(dir.path(), &args).assert_ok();
        let expected = std::fs::read(dir.path().join(out)).unwrap();
        std::fs::remove_file(dir.path().join(out)).unwrap();
        protowasm_at(dir.path(), &args).assert_ok();
        let got = std::fs::read(dir.path().join(out)).unwrap();
        assert_eq!(expected, got, "{out} differs from protoc 35.1's");
    }
}

/// A buf workspace: the bundled example's protos under `proto/`, and `template`.
fn buf_project(template: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in read_tree(&repo().join("testdata/proto/example")) {
        let p = dir.path().join("proto/example").join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    std::fs::write(dir.path().join("buf.gen.yaml"), template).unwrap();
    std::fs::write(
        dir.path().join("plugins-registry.toml"),
        builtins_registry_entry(),
    )
    .unwrap();
    dir
}

fn generate_with(program: &Path, dir: &Path) -> Run {
    let output = Command::new(program)
        .arg("generate")
        .current_dir(dir)
        .env("PROTOWASM_CACHE_DIR", shared_cache())
        .env("BUF_CACHE_DIR", dir.join(".buf-cache"))
        .env_remove("PROTOWASM_REGISTRY")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Run::from(output)
}

/// `protoc_builtin:` with `protoc_path:` runs that protoc as buf does (the tree is buf's, byte
/// for byte); without `protoc_path`, the builtins module serves it, and the tree is what
/// `protowasm protoc --NAME_out` writes with the module.
#[test]
fn buf_protoc_builtin_runs_protoc_path_as_buf_does_or_else_the_module() {
    builtins_module();
    let protoc35 = builtins_oracles().join("protoc");
    let with_path = format!(
        "version: v2\nplugins:\n\
         \x20 - protoc_builtin: python\n    out: gen/py\n    protoc_path: {p}\n\
         \x20 - protoc_builtin: java\n    out: gen/java\n    protoc_path: [{p}]\n    opt: lite\n\
         \x20 - protoc_builtin: cpp\n    out: gen/cpp\n    protoc_path: {p}\n    strategy: all\n\
         inputs:\n  - directory: proto\n",
        p = protoc35.display()
    );
    let (ours, theirs) = (buf_project(&with_path), buf_project(&with_path));
    generate_with(buf(), theirs.path()).assert_ok();
    generate_with(Path::new(env!("CARGO_BIN_EXE_protowasm")), ours.path()).assert_ok();
    let mut tree = read_tree(&ours.path().join("gen"));
    tree.retain(|k, _| !k.ends_with(".protowasm-generated"));
    let expected = read_tree(&theirs.path().join("gen"));
    assert!(
        expected.keys().any(|k| k.starts_with("java/")),
        "{expected:?}"
    );
    assert_eq!(
        tree, expected,
        "protoc_path: protowasm's tree differs from buf's"
    );

    let module_only = "version: v2\nplugins:\n\
         \x20 - protoc_builtin: python\n    out: gen\n    strategy: all\n\
         inputs:\n  - directory: proto\n";
    let project = buf_project(module_only);
    generate_with(Path::new(env!("CARGO_BIN_EXE_protowasm")), project.path()).assert_ok();
    let mut generated = read_tree(&project.path().join("gen"));
    generated.retain(|k, _| !k.ends_with(".protowasm-generated"));
    let files: Vec<String> = read_tree(&project.path().join("proto"))
        .into_keys()
        .filter(|f| f.ends_with(".proto"))
        .collect();
    let out = project.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let mut args = vec!["-Iproto".to_string(), "--python_out=out".to_string()];
    args.extend(files);
    protowasm_at(project.path(), &args).assert_ok();
    assert!(!generated.is_empty());
    assert_eq!(
        generated,
        read_tree(&out),
        "protoc_builtin without protoc_path"
    );

    // Without the module registered, the error says how to get it.
    std::fs::remove_file(project.path().join("plugins-registry.toml")).unwrap();
    let run = generate_with(Path::new(env!("CARGO_BIN_EXE_protowasm")), project.path());
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("testdata/build-builtins.sh"),
        "{}",
        run.stderr
    );
}

/// The checked-in plugins-registry.toml pins the module build-builtins.sh builds here (the build
/// is reproducible: the same Debian packages give the same bytes, wherever the clone and the
/// cache are), and serves --python_out and --cpp_out with it as protoc 35.1 generates them.
#[test]
fn the_repository_registry_pins_the_built_module() {
    builtins_module();
    let registry = repo().join("plugins-registry.toml");
    let work = tempfile::tempdir().unwrap();
    let files = [
        "example/library/v1/book.proto",
        "example/library/v1/library_service.proto",
    ];
    let run = |program: Option<&Path>, out: &str| {
        std::fs::create_dir_all(work.path().join(out)).unwrap();
        let mut args = vec![
            format!("-I{}", repo().join("testdata/proto").display()),
            format!("--python_out={out}"),
            format!("--cpp_out={out}"),
        ];
        args.extend(files.iter().map(|f| f.to_string()));
        let output = match program {
            Some(protoc) => Command::new(protoc)
                .args(&args)
                .current_dir(work.path())
                .output(),
            None => Command::new(env!("CARGO_BIN_EXE_protowasm"))
                .arg("protoc")
                .args(&args)
                .current_dir(work.path())
                .env("PROTOWASM_REGISTRY", &registry)
                .env("PROTOWASM_CACHE_DIR", shared_cache())
                .output(),
        }
        .unwrap();
        assert!(
            output.status.success(),
            "{out}: {} (a pin that no longer matches means the builtins build is no longer reproducible here; re-pin with sha256sum target/plugins/wasm/protoc-gen-builtins.wasm)",
            String::from_utf8_lossy(&output.stderr)
        );
        read_tree(&work.path().join(out))
    };
    let theirs = run(Some(&builtins_oracles().join("protoc")), "theirs");
    let ours = run(None, "ours");
    assert!(
        theirs.keys().any(|k| k.ends_with("book.pb.h")),
        "{theirs:?}"
    );
    assert_trees_equal(&ours, &theirs, "the repository's registry");
}

/// `plugin add --builtins` registers the module for the generators named, and `--python_out`
/// then runs it; a generator not named is still missing, with the message that says so.
#[test]
fn plugin_add_registers_the_builtins_it_is_given() {
    let module = builtins_module();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("x.proto"),
        "syntax = \"proto3\";\nmessage A { int32 n = 1; }\n",
    )
    .unwrap();
    let run = |args: &[&str]| protowasm_in(dir.path(), shared_cache(), &s(args));
    run(&[
        "plugin",
        "add",
        module.to_str().unwrap(),
        "--name",
        "builtins",
        "--builtins",
        "python,cpp",
    ])
    .assert_ok();
    let text = std::fs::read_to_string(dir.path().join("plugins-registry.toml")).unwrap();
    assert!(text.contains("builtins = [\"python\", \"cpp\"]"), "{text}");
    std::fs::create_dir(dir.path().join("out")).unwrap();
    run(&["protoc", "--python_out=out", "--cpp_out=out", "x.proto"]).assert_ok();
    let tree = read_tree(&dir.path().join("out"));
    assert!(
        tree.contains_key("x_pb2.py") && tree.contains_key("x.pb.h"),
        "{:?}",
        tree.keys()
    );
    let java = run(&["protoc", "--java_out=out", "x.proto"]);
    assert_eq!(java.status, 1);
    assert!(
        java.stderr.starts_with(
            "--java_out: protoc's built-in java generator runs in protowasm as a wasm module"
        ),
        "{}",
        java.stderr
    );
}
