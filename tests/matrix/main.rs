//! The plugin matrix: real Go and Rust plugins, built to wasm and natively from registry
//! packages, on real corpora. For every plugin and input set, protowasm runs the wasm build and
//! protoc 36.2 runs the native build, given the same descriptor set; the trees must be
//! byte-identical. Slow (whole corpora, Go plugins on compute.proto), so it is its own test target:
//! `cargo test --test matrix`. Needs testdata/install-toolchains.sh (Go) on a fresh machine.

#[path = "../it/support.rs"]
#[allow(dead_code)]
mod support;

#[path = "../it/managed_workspace.rs"]
mod managed_workspace;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
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
            // Not fd 0: with it closed, another test thread's pipe can take that number.
            .stdin(Stdio::null())
            .status()
            .expect("running testdata/build-matrix-plugins.sh");
        assert!(status.success(), "testdata/build-matrix-plugins.sh failed ({status}); run testdata/install-toolchains.sh first");
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
            let corpus = dev_corpus();
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

/// How protowasm gets the wasm plugin: `--plugin=`, or a plugins-registry.toml entry (which is
/// how environment variables reach a wasm plugin).
enum Via {
    Flag,
    Registry { env: &'static [&'static str] },
}

/// Go plugins run with GOGC=off, as the README recommends: Go 1.23's wasm runtime has a
/// write-barrier bug (golang/go#80472) that crashes large runs now and then with "found bad
/// pointer in Go heap"; without collection there is no crash, and protoc-gen-go on compute.proto
/// ran 10.8 s instead of 14-15 s.
const GO: Via = Via::Registry { env: &["GOGC=off"] };

fn set_has_services(set: &InputSet) -> bool {
    set.files.iter().any(|f| {
        std::fs::read_to_string(set.root.join(f))
            .unwrap()
            .lines()
            .any(|l| l.trim_start().starts_with("service "))
    })
}

/// Runs protoc with the native build and protowasm with the wasm build on `files` of `set`;
/// both must succeed with byte-identical trees. Plugins that only generate for services may
/// generate nothing for a set without services; otherwise an empty tree is a failure.
fn compare(plugin: &str, set: &InputSet, files: &[String], parameter: &str, via: &Via) {
    matrix_plugins();
    let work = tempfile::tempdir().unwrap();
    let (theirs, ours) = (work.path().join("protoc"), work.path().join("protowasm"));
    std::fs::create_dir(&theirs).unwrap();
    std::fs::create_dir(&ours).unwrap();
    let args = |plugin_flag: Option<String>, out: &Path| {
        let mut a = vec![
            format!("--descriptor_set_in={}", set.set.display()),
            format!("--{plugin}_out={parameter}:{}", out.display()),
        ];
        a.extend(plugin_flag);
        a.extend(files.iter().cloned());
        a
    };
    let native = format!(
        "--plugin=protoc-gen-{plugin}={}",
        native_plugin(plugin).display()
    );
    let run = protoc_run(work.path(), &args(Some(native), &theirs), &[]);
    assert_eq!(
        run.status, 0,
        "protoc with native protoc-gen-{plugin} failed on {}:\n{}",
        set.name, run.stderr
    );

    let wasm = wasm_plugin(plugin);
    let flag = match via {
        Via::Flag => Some(format!("--plugin=protoc-gen-{plugin}={}", wasm.display())),
        Via::Registry { env } => {
            let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
                std::fs::read(&wasm).unwrap(),
            ));
            let env: Vec<String> = env.iter().map(|e| format!("\"{e}\"")).collect();
            let entry = format!(
                "[plugins.{plugin}]\nsource = \"{}\"\nsha256 = \"{sha}\"\nenv = [{}]\n",
                wasm.display(),
                env.join(", ")
            );
            std::fs::write(work.path().join("plugins-registry.toml"), entry).unwrap();
            None
        }
    };
    let run = protowasm_protoc(work.path(), &args(flag, &ours));
    assert_eq!(
        run.status, 0,
        "protowasm with protoc-gen-{plugin}.wasm failed on {}:\n{}",
        set.name, run.stderr
    );
    let expected = read_tree(&theirs);
    let service_only = matches!(plugin, "go-grpc" | "tonic");
    assert!(
        !expected.is_empty() || (service_only && !set_has_services(set)),
        "protoc-gen-{plugin} generated nothing for {}",
        set.name
    );
    let hint = format!(
        "protoc-gen-{plugin} on {}: wasm under protowasm differs from native under protoc",
        set.name
    );
    assert_trees_equal(&read_tree(&ours), &expected, &hint);
}

fn each_set(plugin: &str, parameter: impl Fn(&InputSet) -> String, via: Via) {
    for set in input_sets() {
        compare(plugin, set, &set.files, &parameter(set), &via);
    }
}

#[test]
fn protoc_gen_go() {
    each_set("go", go_parameter, GO);
}

#[test]
fn protoc_gen_go_grpc() {
    each_set("go-grpc", go_parameter, GO);
}

#[test]
fn protoc_gen_prost() {
    each_set("prost", prost_parameter, Via::Flag);
}

/// prost's options for an input set: the well-known types are compiled when they are the input.
fn prost_parameter(set: &InputSet) -> String {
    if set.name == "wkt" {
        "compile_well_known_types".into()
    } else {
        String::new()
    }
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
    each_set("tonic", companion_parameter, Via::Flag);
}

#[test]
fn protoc_gen_prost_serde() {
    // prost-serde has no compile_well_known_types option.
    each_set("prost-serde", |_| "no_include".into(), Via::Flag);
}

/// protoc-gen-rs writes one flat `<basename>.rs` per file, so two `http.proto` in different
/// directories (google/api, google/rpc) collide when generated together, under protoc too. It is
/// run once per directory, the way buf's `strategy: directory` would run it.
#[test]
fn protoc_gen_rs() {
    for set in input_sets() {
        let mut by_dir: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for f in &set.files {
            by_dir
                .entry(Path::new(f).parent().unwrap().display().to_string())
                .or_default()
                .push(f.clone());
        }
        for files in by_dir.values() {
            compare("rs", set, files, "", &Via::Flag);
        }
    }
}

/// The usual Rust setup: prost, tonic and prost-serde in one run into one directory, tonic and
/// prost-serde inserting into prost's files. protowasm runs the three in parallel and applies
/// them in order.
#[test]
fn prost_tonic_and_serde_together() {
    matrix_plugins();
    for set in input_sets().iter().filter(|s| s.name != "wkt") {
        let work = tempfile::tempdir().unwrap();
        let (theirs, ours) = (work.path().join("protoc"), work.path().join("protowasm"));
        std::fs::create_dir(&theirs).unwrap();
        std::fs::create_dir(&ours).unwrap();
        let args = |build: fn(&str) -> PathBuf, out: &Path| {
            let mut a = vec![format!("--descriptor_set_in={}", set.set.display())];
            for p in ["prost", "tonic", "prost-serde"] {
                a.push(format!("--plugin=protoc-gen-{p}={}", build(p).display()));
                a.push(format!("--{p}_out={}", out.display()));
            }
            a.extend(set.files.iter().cloned());
            a
        };
        protoc_run(work.path(), &args(native_plugin, &theirs), &[]).assert_ok();
        protowasm_protoc(work.path(), &args(wasm_plugin, &ours)).assert_ok();
        let expected = read_tree(&theirs);
        assert!(!expected.is_empty());
        assert_trees_equal(
            &read_tree(&ours),
            &expected,
            &format!("prost+tonic+serde on {}", set.name),
        );
    }
}

/// The checked-in plugins-registry.toml pins the plugins built here (the builds are
/// reproducible), and generates Go and Rust code for the bundled example exactly as protoc does
/// with the native builds: the README's registry example.
#[test]
fn the_example_registry_pins_what_was_built_and_generates_like_protoc() {
    matrix_plugins();
    let registry = repo().join("plugins-registry.toml");
    let work = tempfile::tempdir().unwrap();
    for d in ["ours/go", "ours/rust", "theirs/go", "theirs/rust"] {
        std::fs::create_dir_all(work.path().join(d)).unwrap();
    }
    let outputs = |root: &str| {
        vec![
            format!("--go_out=paths=source_relative:{root}/go"),
            format!("--go-grpc_out=paths=source_relative:{root}/go"),
            format!("--prost_out={root}/rust"),
            format!("--tonic_out={root}/rust"),
        ]
    };
    let mut args = vec![
        "protoc".to_string(),
        format!("--descriptor_set_in={}", example_set().display()),
    ];
    args.extend(outputs("ours"));
    args.extend(EXAMPLE_FILES.iter().map(|f| f.to_string()));
    let output = Command::new(env!("CARGO_BIN_EXE_protowasm"))
        .args(&args)
        .current_dir(work.path())
        .env("PROTOWASM_REGISTRY", &registry)
        .env("PROTOWASM_CACHE_DIR", shared_cache())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "generating with {} failed (a pin that no longer matches means the plugin builds are no longer reproducible here; re-pin with sha256sum target/plugins/wasm/*.wasm):\n{}",
        registry.display(),
        String::from_utf8_lossy(&output.stderr)
    );

    let mut args = vec![format!("--descriptor_set_in={}", example_set().display())];
    for p in ["go", "go-grpc", "prost", "tonic"] {
        args.push(format!(
            "--plugin=protoc-gen-{p}={}",
            native_plugin(p).display()
        ));
    }
    args.extend(outputs("theirs"));
    args.extend(EXAMPLE_FILES.iter().map(|f| f.to_string()));
    protoc_run(work.path(), &args, &[]).assert_ok();
    let expected = read_tree(&work.path().join("theirs"));
    assert!(
        expected.keys().any(|k| k.ends_with("_grpc.pb.go"))
            && expected.keys().any(|k| k.ends_with(".rs"))
    );
    assert_trees_equal(
        &read_tree(&work.path().join("ours")),
        &expected,
        "the example registry",
    );
}

/// protoc-gen-go needs ~1.6 GiB on compute.proto. Under a 256 MiB cap it fails, and the message
/// names the plugin, the cap and the flag that raises it; nothing is written.
#[test]
fn go_at_the_memory_cap_is_told_how_to_raise_it() {
    matrix_plugins();
    let compute = input_sets().iter().find(|s| s.name == "compute").unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir(work.path().join("out")).unwrap();
    let mut args = vec![
        format!("--descriptor_set_in={}", compute.set.display()),
        format!("--plugin={}", wasm_plugin("go").display()),
        format!("--go_out={}:out", go_parameter(compute)),
        "--plugin-memory-limit=256MiB".to_string(),
    ];
    args.extend(compute.files.iter().cloned());
    let run = protowasm_protoc(work.path(), &args);
    run.assert_failed();
    let last = run.stderr.lines().last().unwrap_or_default();
    assert_eq!(
        last,
        "--go_out: protoc-gen-go: plugin ran out of memory: it reached the limit of 256 MiB of linear memory (raise it with --plugin-memory-limit=SIZE, e.g. --plugin-memory-limit=512MiB)"
    );
    assert!(read_tree(&work.path().join("out")).is_empty());
}

/// Managed mode end to end: protoc-gen-go, prost and prost-serde under `buf generate` and
/// under `protowasm generate`, on the managed-mode workspace (two modules and a cached dep),
/// must write the same trees byte for byte. go_package comes from a prefix (the dep keeps its
/// own), and every 64-bit field gets `jstype`, which protoc-gen-go embeds in its raw
/// descriptors; prost-serde inserts into prost's files, which buf does its own way.
#[test]
fn managed_mode_trees_equal_bufs_with_protoc_gen_go_and_prost() {
    let go = matrix_plugins().join("native/protoc-gen-go");
    let prost = native_plugin("prost");
    let template = format!(
        "version: v2\nmanaged:\n  enabled: true\n  disable:\n    - module: buf.build/acme/units\n      file_option: go_package\n  override:\n    - file_option: go_package_prefix\n      value: example.com/gen\n    - field_option: jstype\n      value: JS_STRING\nplugins:\n  - local: {}\n    out: gen/go\n  - local: {}\n    out: gen/rust\n    strategy: all\n  - local: {}\n    out: gen/rust\n    strategy: all\n",
        go.display(),
        prost.display(),
        matrix_plugins().join("native/protoc-gen-prost-serde").display()
    );
    let generate = |program: &Path| {
        let dir = tempfile::tempdir().unwrap();
        managed_workspace::workspace(dir.path());
        let ws = dir.path().join("ws");
        // protoc-gen-go 1.28 and prost 0.14 do not read editions files; prost-serde needs a
        // package.
        std::fs::remove_dir_all(ws.join("proto/editions")).unwrap();
        std::fs::remove_file(ws.join("proto/nopkg.proto")).unwrap();
        std::fs::write(ws.join("buf.gen.yaml"), &template).unwrap();
        let output = Command::new(program)
            .arg("generate")
            .current_dir(&ws)
            .env("BUF_CACHE_DIR", dir.path().join("cache"))
            .env("PROTOWASM_CACHE_DIR", shared_cache())
            .env_remove("PROTOWASM_REGISTRY")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        Run::from(output).assert_ok();
        let mut tree = read_tree(&ws.join("gen"));
        tree.retain(|k, _| !k.ends_with(".protowasm-generated"));
        tree
    };
    let theirs = generate(buf());
    let ours = generate(Path::new(env!("CARGO_BIN_EXE_protowasm")));
    assert!(
        ours.contains_key("go/example.com/gen/acme/weather/v1/weather_service.pb.go"),
        "{:?}",
        ours.keys()
    );
    assert!(
        ours.keys().any(|k| k.starts_with("rust/")),
        "{:?}",
        ours.keys()
    );
    assert_trees_equal(&ours, &theirs, "buf generate");
}
