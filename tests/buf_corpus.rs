//! `protowasm generate` against buf 1.75 on real corpora, with managed mode and type filters:
//! a capture plugin runs under both, and the requests must be equal as decoded messages. The
//! type names are not picked by hand: each run takes a spread of the corpus's own messages,
//! enums, services, methods and packages, as includes and as excludes. Slow (buf compiles
//! googleapis' aiplatform with its imports for each run), so it is its own test target:
//! `cargo test --test buf_corpus`.

#[path = "it/support.rs"]
#[allow(dead_code)]
mod support;

#[path = "it/request_compare.rs"]
mod request_compare;

use std::path::Path;

use prost_types::compiler::CodeGeneratorRequest;
use prost_types::DescriptorProto;

use support::*;

/// A workspace holding the `.proto` files under `corpus_root`'s `dirs` (all of it for `[""]`)
/// as one module at `proto/`.
fn workspace(corpus_root: &Path, dirs: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in dirs {
        for (name, bytes) in read_tree(&corpus_root.join(sub)) {
            if name.ends_with(".proto") {
                let p = dir.path().join("proto").join(sub).join(&name);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, bytes).unwrap();
            }
        }
    }
    write_file(
        dir.path(),
        "buf.yaml",
        "version: v2\nmodules:\n  - path: proto\n    name: buf.build/corpus/module\n",
    );
    dir
}

/// The request `program generate ARGS` sends the capture plugin with `template`.
fn captured(
    program: &Path,
    ws: &Path,
    template: &str,
    args: &[&str],
) -> Result<CodeGeneratorRequest, Run> {
    std::fs::write(ws.join("buf.gen.yaml"), template).unwrap();
    let mut all = vec!["generate"];
    all.extend(args);
    captured_request(program, ws, &all, None)
}

fn protowasm() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_protowasm"))
}

fn template(managed: &str) -> String {
    format!(
        "version: v2\n{managed}plugins:\n  - local: {}\n    out: gen\n    strategy: all\n    include_imports: true\n",
        capture_plugin().display()
    )
}

/// Both succeed with equal requests, or both fail with the same message.
#[track_caller]
fn same_as_buf(ws: &Path, template: &str, args: &[&str]) -> Option<CodeGeneratorRequest> {
    let theirs = captured(buf(), ws, template, args);
    let ours = captured(protowasm(), ws, template, args);
    match (ours, theirs) {
        (Ok(o), Ok(t)) => {
            eprintln!("comparing: generate {args:?}");
            request_compare::assert_same_request(&o, &t);
            Some(o)
        }
        (Err(o), Err(t)) => {
            // buf prints `Failure: MESSAGE`; protowasm names where the filter came from.
            let message = t.stderr.trim().trim_start_matches("Failure: ");
            assert!(
                o.stderr.contains(message),
                "{args:?}: buf says {message:?}; protowasm:\n{}",
                o.stderr
            );
            None
        }
        (Ok(_), Err(t)) => panic!("{args:?}: buf failed, protowasm did not:\n{}", t.stderr),
        (Err(o), Ok(_)) => panic!("{args:?}: protowasm failed, buf did not:\n{}", o.stderr),
    }
}

/// Every type name of the files to generate: packages, messages (nested too), enums,
/// services and methods.
fn type_names(r: &CodeGeneratorRequest) -> Vec<String> {
    fn message(scope: &str, m: &DescriptorProto, out: &mut Vec<String>) {
        let full = format!("{scope}.{}", m.name());
        for n in &m.nested_type {
            message(&full, n, out);
        }
        for e in &m.enum_type {
            out.push(format!("{full}.{}", e.name()));
        }
        out.push(full);
    }
    let mut out = Vec::new();
    for f in r
        .proto_file
        .iter()
        .filter(|f| r.file_to_generate.iter().any(|g| g == f.name()))
    {
        let package = f.package();
        out.push(package.to_string());
        for m in &f.message_type {
            message(package, m, &mut out);
        }
        for e in &f.enum_type {
            out.push(format!("{package}.{}", e.name()));
        }
        for s in &f.service {
            let full = format!("{package}.{}", s.name());
            for m in &s.method {
                out.push(format!("{full}.{}", m.name()));
            }
            out.push(full);
        }
    }
    out.sort();
    out.dedup();
    out
}

/// About `n` names spread evenly over `names`.
fn spread(names: &[String], n: usize) -> Vec<String> {
    let step = (names.len() / n.max(1)).max(1);
    names.iter().step_by(step).take(n).cloned().collect()
}

/// Managed mode and a spread of type filters on one corpus.
fn corpus(root: &Path, dirs: &[&str], picks: usize) {
    let ws = workspace(root, dirs);
    let ws = ws.path();
    let all = same_as_buf(ws, &template(""), &[]).expect("the corpus generates");
    same_as_buf(
        ws,
        &template("managed:\n  enabled: true\n  override:\n    - file_option: go_package_prefix\n      value: example.com/gen\n    - field_option: jstype\n      value: JS_STRING\n"),
        &[],
    )
    .expect("managed mode generates");
    let names = type_names(&all);
    assert!(names.len() > picks, "{names:?}");
    for name in spread(&names, picks) {
        same_as_buf(ws, &template(""), &["--type", &name]);
        same_as_buf(ws, &template(""), &["--exclude-type", &name]);
    }
    let packages: Vec<String> = all
        .proto_file
        .iter()
        .map(|f| f.package().to_string())
        .collect();
    if let Some(first) = packages.first() {
        let top = first.split('.').next().unwrap_or("");
        same_as_buf(ws, &template(""), &["--type", &format!("{top}.**")]);
    }
}

#[test]
fn substrait() {
    corpus(&dev_corpus().join("substrait/proto"), &[""], 12);
}

#[test]
fn opentelemetry() {
    corpus(
        &dev_corpus().join("otel/src/proto/opentelemetry-proto"),
        &[""],
        12,
    );
}

#[test]
fn googleapis_common_protos() {
    corpus(&dev_corpus().join("googleapis-common-protos"), &[""], 10);
}

/// googleapis' aiplatform v1 (124 files of services, long-running operations and HTTP
/// annotations) with the googleapis directories it imports.
#[test]
fn googleapis_aiplatform() {
    corpus(
        &dev_corpus().join("googleapis"),
        &[
            "google/api",
            "google/logging/type",
            "google/longrunning",
            "google/rpc",
            "google/type",
            "google/cloud/aiplatform/v1",
        ],
        8,
    );
}
