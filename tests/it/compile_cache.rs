//! The compile cache seen from outside: an unchanged re-run skips compiling and gives the same
//! bytes, warnings included; an edited import, a new file that shadows an import or an input on
//! an earlier `-I`, and a changed argument each compile again; and, as the general rule, a long
//! seeded walk of edits, shadowing files, broken files and argument changes after each of which
//! protowasm (cache warm) must answer exactly as protoc 36.2 does.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

#[path = "../common/rng.rs"]
mod rng;
use rng::Rng;

/// protowasm (or protoc) in `cwd` with `args`; the capture plugin saves its request to
/// `cwd/request.bin`.
fn tool(program: &Path, cwd: &Path, cache: &Path, args: &[String]) -> Run {
    let mut cmd = Command::new(program);
    if program == Path::new(env!("CARGO_BIN_EXE_protowasm")) {
        cmd.arg("protoc").arg("--timings");
    }
    let output = cmd
        .args(args)
        .current_dir(cwd)
        .env("PROTOWASM_CACHE_DIR", cache)
        .env("CAPTURE_FILE", cwd.join("request.bin"))
        .env_remove("PROTOWASM_LOG")
        .output()
        .unwrap();
    Run::from(output)
}

fn protowasm(cwd: &Path, cache: &Path, args: &[String]) -> Run {
    tool(Path::new(env!("CARGO_BIN_EXE_protowasm")), cwd, cache, args)
}

fn hit(run: &Run) -> bool {
    run.stderr
        .lines()
        .any(|l| l.starts_with("timing: compile (compile cache hit)"))
}

/// The log line of a damaged cache entry.
fn damaged(line: &str) -> bool {
    line.contains("WARN") && line.contains("is damaged")
}

/// stderr without protowasm's timing lines and damaged-entry notices.
fn messages(run: &Run) -> String {
    run.stderr
        .lines()
        .filter(|l| !l.starts_with("timing: ") && !damaged(l))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// What a run produced: exit status, messages, and the files it wrote.
#[derive(Debug, PartialEq)]
struct Outcome {
    status: i32,
    messages: String,
    set: Option<Vec<u8>>,
    request: Option<Vec<u8>>,
    deps: Option<String>,
}

fn outcome(run: &Run, cwd: &Path) -> Outcome {
    let take = |name: &str| {
        let p = cwd.join(name);
        let bytes = std::fs::read(&p).ok();
        let _ = std::fs::remove_file(&p);
        bytes
    };
    Outcome {
        status: run.status,
        messages: messages(run),
        set: take("out.pb"),
        request: take("request.bin"),
        deps: take("deps.d").map(|b| String::from_utf8(b).unwrap()),
    }
}

/// The arguments every test starts from: two include directories, `-o` with everything, the
/// dependency file, and the capture plugin.
fn base_args(inputs: &[&str]) -> Vec<String> {
    let mut args = s(&[
        "-Ifirst",
        "-Isecond",
        "-oout.pb",
        "--include_imports",
        "--include_source_info",
        "--dependency_out=deps.d",
        "--cap_out=gen",
    ]);
    args.push(format!(
        "--plugin=protoc-gen-cap={}",
        capture_plugin().display()
    ));
    args.extend(inputs.iter().map(|s| s.to_string()));
    args
}

fn workspace() -> tempfile::TempDir {
    let dir = lay_out(&[
        (
            "second/dep/b.proto",
            "syntax = \"proto3\";\npackage dep;\nmessage B { string name = 1; }\n".into(),
        ),
        (
            "second/dep/unused.proto",
            "syntax = \"proto3\";\npackage dep;\nmessage U {}\n".into(),
        ),
        (
            "second/a.proto",
            "syntax = \"proto3\";\nimport \"dep/b.proto\";\nimport \"dep/unused.proto\";\nmessage A { dep.B b = 1; }\n".into(),
        ),
    ]);
    std::fs::create_dir_all(dir.path().join("first")).unwrap();
    std::fs::create_dir_all(dir.path().join("gen")).unwrap();
    dir
}

#[track_caller]
fn assert_as_protoc(dir: &Path, cache: &Path, args: &[String]) -> Run {
    let ours = protowasm(dir, cache, args);
    let mine = outcome(&ours, dir);
    let theirs = tool(&protoc(), dir, cache, args);
    let expected = outcome(&theirs, dir);
    assert_eq!(mine, expected, "protowasm stderr:\n{}", ours.stderr);
    ours
}

#[test]
fn an_unchanged_rerun_skips_compiling_and_gives_the_same_bytes_and_warnings() {
    let dir = workspace();
    let cache = tempfile::tempdir().unwrap();
    let args = base_args(&["a.proto"]);
    let first = assert_as_protoc(dir.path(), cache.path(), &args);
    assert!(!hit(&first), "{}", first.stderr);
    assert!(
        messages(&first).contains("warning: Import dep/unused.proto is unused."),
        "{}",
        first.stderr
    );
    for _ in 0..2 {
        let again = assert_as_protoc(dir.path(), cache.path(), &args);
        assert!(hit(&again), "no hit:\n{}", again.stderr);
    }
    // Where -o writes is not part of the key.
    let mut elsewhere = args.clone();
    elsewhere[2] = "-oother.pb".into();
    let moved = protowasm(dir.path(), cache.path(), &elsewhere);
    moved.assert_ok();
    assert!(hit(&moved), "{}", moved.stderr);
    assert!(dir.path().join("other.pb").exists());
}

/// A workspace compiled once (cache filled), then `change`d: the next run must compile again
/// and answer as protoc does. Returns the workspace, the cache, the arguments and that run.
#[track_caller]
fn compiles_again_after(
    inputs: &[&str],
    change: impl FnOnce(&Path),
) -> (tempfile::TempDir, tempfile::TempDir, Vec<String>, Run) {
    let dir = workspace();
    let cache = tempfile::tempdir().unwrap();
    let args = base_args(inputs);
    assert_as_protoc(dir.path(), cache.path(), &args);
    change(dir.path());
    let run = assert_as_protoc(dir.path(), cache.path(), &args);
    assert!(!hit(&run), "{}", run.stderr);
    (dir, cache, args, run)
}

#[test]
fn an_edited_import_compiles_again() {
    // Same size, other contents: only the digest can tell.
    compiles_again_after(&["a.proto"], |dir| {
        write_file(
            dir,
            "second/dep/b.proto",
            "syntax = \"proto3\";\npackage dep;\nmessage B { string nome = 1; }\n",
        )
    });
}

#[test]
fn a_new_file_that_shadows_an_import_on_an_earlier_path_compiles_again() {
    let (dir, cache, args, _) = compiles_again_after(&["a.proto"], |dir| {
        write_file(
            dir,
            "first/dep/b.proto",
            "syntax = \"proto3\";\npackage dep;\nmessage B { int64 id = 1; }\n",
        )
    });
    // And the shadowing file going away again.
    std::fs::remove_file(dir.path().join("first/dep/b.proto")).unwrap();
    let back = assert_as_protoc(dir.path(), cache.path(), &args);
    assert!(!hit(&back), "{}", back.stderr);
}

#[test]
fn a_new_file_that_shadows_an_input_given_by_path_fails_as_protoc_does() {
    let (_dir, _cache, _args, run) = compiles_again_after(&["second/a.proto"], |dir| {
        write_file(dir, "first/a.proto", "syntax = \"proto3\";\nmessage A {}\n")
    });
    run.assert_failed();
    assert!(run.stderr.contains("Input is shadowed"), "{}", run.stderr);
}

#[test]
fn each_changed_argument_compiles_again() {
    let dir = workspace();
    let cache = tempfile::tempdir().unwrap();
    let args = base_args(&["a.proto"]);
    assert_as_protoc(dir.path(), cache.path(), &args);
    let variants: Vec<Vec<String>> = vec![
        args.iter()
            .filter(|a| *a != "--include_imports")
            .cloned()
            .collect(),
        args.iter()
            .filter(|a| *a != "--include_source_info")
            .cloned()
            .collect(),
        [args.clone(), s(&["--retain_options"])].concat(),
        [args.clone(), s(&["--error_format=msvs"])].concat(),
        [args.clone(), s(&["--direct_dependencies=dep/b.proto"])].concat(),
        [args.clone(), s(&["--cap_opt=x"])].concat(),
        [args.clone(), s(&["dep/b.proto"])].concat(),
        args.iter()
            .filter(|a| *a != "--dependency_out=deps.d")
            .cloned()
            .collect(),
    ];
    for variant in &variants {
        let first = assert_as_protoc(dir.path(), cache.path(), variant);
        assert!(!hit(&first), "{variant:?} hit:\n{}", first.stderr);
        let second = assert_as_protoc(dir.path(), cache.path(), variant);
        if second.status == 0 {
            assert!(hit(&second), "{variant:?} did not hit:\n{}", second.stderr);
        }
    }
}

#[test]
fn no_cache_stores_nothing_and_verify_cache_checks_a_good_entry() {
    let dir = workspace();
    let cache = tempfile::tempdir().unwrap();
    let args = base_args(&["a.proto"]);
    let off = [s(&["--no-cache"]), args.clone()].concat();
    protowasm(dir.path(), cache.path(), &off).assert_ok();
    protowasm(dir.path(), cache.path(), &off).assert_ok();
    assert!(!cache.path().join("compiled").exists());
    assert_as_protoc(dir.path(), cache.path(), &args);
    let verify = [s(&["--verify-cache"]), args.clone()].concat();
    let checked = protowasm(dir.path(), cache.path(), &verify);
    checked.assert_ok();
    assert!(
        !hit(&checked),
        "--verify-cache compiles:\n{}",
        checked.stderr
    );
}

/// Every stored compile entry under `cache`.
fn entries(cache: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for shard in std::fs::read_dir(cache.join("compiled")).unwrap() {
        for f in std::fs::read_dir(shard.unwrap().path()).unwrap() {
            let p = f.unwrap().path();
            if p.extension().is_some_and(|e| e == "snap") {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn a_truncated_or_garbled_entry_is_a_miss() {
    let dir = workspace();
    let cache = tempfile::tempdir().unwrap();
    let args = base_args(&["a.proto"]);
    assert_as_protoc(dir.path(), cache.path(), &args);
    let entry = entries(cache.path()).pop().unwrap();
    let bytes = std::fs::read(&entry).unwrap();
    std::fs::write(&entry, &bytes[..bytes.len() / 2]).unwrap();
    let run = assert_as_protoc(dir.path(), cache.path(), &args);
    assert!(!hit(&run), "{}", run.stderr);
    assert!(run.stderr.lines().any(damaged), "{}", run.stderr);
    // The miss stored a whole entry again.
    assert!(hit(&assert_as_protoc(dir.path(), cache.path(), &args)));
    let entry = entries(cache.path()).pop().unwrap();
    let mut bytes = std::fs::read(&entry).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&entry, &bytes).unwrap();
    let run = assert_as_protoc(dir.path(), cache.path(), &args);
    assert!(!hit(&run), "{}", run.stderr);
}

#[test]
fn two_processes_at_once_share_one_cache() {
    let dir = workspace();
    let cache = tempfile::tempdir().unwrap();
    // No plugin here: the capture plugin writes one file in the directory both runs share.
    let args = s(&["-Ifirst", "-Isecond", "--include_imports", "a.proto"]);
    let spawn = |out: &str| {
        Command::new(env!("CARGO_BIN_EXE_protowasm"))
            .arg("protoc")
            .args(&args)
            .arg(format!("-o{out}"))
            .current_dir(dir.path())
            .env("PROTOWASM_CACHE_DIR", cache.path())
            .spawn()
            .unwrap()
    };
    for round in 0..4 {
        let children: Vec<_> = (0..2).map(|i| spawn(&format!("p{round}{i}.pb"))).collect();
        for mut c in children {
            assert!(c.wait().unwrap().success());
        }
    }
    let expected = {
        let theirs = tool(
            &protoc(),
            dir.path(),
            cache.path(),
            &[args.clone(), s(&["-oprotoc.pb"])].concat(),
        );
        theirs.assert_ok();
        std::fs::read(dir.path().join("protoc.pb")).unwrap()
    };
    for round in 0..4 {
        for i in 0..2 {
            let got = std::fs::read(dir.path().join(format!("p{round}{i}.pb"))).unwrap();
            assert_eq!(got, expected, "p{round}{i}.pb");
        }
    }
}

/// One file of the walk's workspace, as text: `kind` picks a variant so that edits change what
/// the file declares, and some variants are broken.
fn file_text(name: &str, kind: usize) -> String {
    let header = "syntax = \"proto3\";\npackage w;\n";
    match (name, kind % 6) {
        ("c.proto", 0) => format!("{header}message C {{ int32 x = 1; }}\n"),
        ("c.proto", 1) => format!("{header}message C {{ int32 x = 1; string y = 2; }}\n"),
        ("c.proto", 2) => format!("{header}message C {{ int32 x = 1 }}\n"),
        ("c.proto", 3) => {
            format!("{header}message C {{ repeated C self = 1; }}\nenum E {{ E0 = 0; }}\n")
        }
        ("c.proto", 4) => format!("{header}message Other {{}}\n"),
        ("c.proto", _) => {
            format!("{header}import \"unused.proto\";\nmessage C {{ bytes z = 3; }}\n")
        }
        ("b.proto", 0 | 3) => format!("{header}import \"c.proto\";\nmessage B {{ C c = 1; }}\n"),
        ("b.proto", 1) => {
            format!("{header}import \"c.proto\";\nmessage B {{ C c = 1; int64 n = 2; }}\n")
        }
        ("b.proto", 2) => format!(
            "{header}import \"c.proto\";\nimport \"unused.proto\";\nmessage B {{ C c = 1; }}\n"
        ),
        ("b.proto", 4) => format!("{header}message B {{ C c = 1; }}\n"),
        ("b.proto", _) => {
            format!("{header}import \"c.proto\";\nmessage B {{ map<string, C> m = 1; }}\n")
        }
        ("a.proto", 0 | 4) => format!("{header}import \"b.proto\";\nmessage A {{ B b = 1; }}\n"),
        ("a.proto", 1) => format!(
            "{header}import \"b.proto\";\nimport \"c.proto\";\nmessage A {{ B b = 1; C c = 2; }}\n"
        ),
        ("a.proto", 2) => format!(
            "{header}import \"b.proto\";\nmessage A {{ B b = 1; oneof o {{ int32 i = 2; }} }}\n"
        ),
        ("a.proto", 3) => format!("{header}import \"missing.proto\";\nmessage A {{}}\n"),
        ("a.proto", _) => {
            format!("{header}import public \"b.proto\";\nmessage A {{ optional B b = 1; }}\n")
        }
        (_, _) => format!("{header}message Unused{kind} {{}}\n"),
    }
}

/// The general rule: after every step of a seeded walk (edit a file, add or remove a copy that
/// shadows it on another `-I`, change the arguments, or change nothing), protowasm with a warm
/// cache answers exactly as protoc does: exit status, messages, `-o` set, the plugin's request and
/// the dependency file. The walk must also have been answered from the cache often, or the test
/// proves nothing.
#[test]
fn a_seeded_walk_of_edits_shadows_and_arguments_always_answers_as_protoc() {
    const FILES: [&str; 4] = ["a.proto", "b.proto", "c.proto", "unused.proto"];
    let roots = ["first", "second", "third"];
    let mut hits = 0;
    let mut steps = 0;
    for seed in 1..=3u64 {
        let dir = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("gen")).unwrap();
        for r in roots {
            std::fs::create_dir_all(dir.path().join(r)).unwrap();
        }
        for f in FILES {
            write_file(dir.path(), &format!("third/{f}"), &file_text(f, 0));
        }
        let mut rng = Rng(seed);
        let mut flags: Vec<bool> = vec![true, true, false, false];
        for step in 0..40 {
            let what = rng.index(10);
            let file = FILES[rng.index(FILES.len())];
            let root = roots[rng.index(roots.len())];
            let path = dir.path().join(root).join(file);
            let action = match what {
                0..=2 => {
                    let kind = rng.index(6);
                    write_file(
                        dir.path(),
                        &format!("{root}/{file}"),
                        &file_text(file, kind),
                    );
                    format!("write {root}/{file} kind {kind}")
                }
                3 if root != "third" => {
                    let _ = std::fs::remove_file(&path);
                    format!("remove {root}/{file}")
                }
                4 | 5 => {
                    let k = rng.index(flags.len());
                    flags[k] = !flags[k];
                    format!("flags {flags:?}")
                }
                _ => "nothing".to_string(),
            };
            let mut args = s(&[
                "-Ifirst",
                "-Isecond",
                "-Ithird",
                "-oout.pb",
                "--cap_out=gen",
            ]);
            args.push(format!(
                "--plugin=protoc-gen-cap={}",
                capture_plugin().display()
            ));
            for (on, flag) in flags.iter().zip([
                "--include_imports",
                "--include_source_info",
                "--dependency_out=deps.d",
                "--retain_options",
            ]) {
                if *on {
                    args.push(flag.to_string());
                }
            }
            args.push(if flags[2] { "a.proto" } else { "third/a.proto" }.to_string());
            let ours = protowasm(dir.path(), cache.path(), &args);
            let mine = outcome(&ours, dir.path());
            let theirs = tool(&protoc(), dir.path(), cache.path(), &args);
            let expected = outcome(&theirs, dir.path());
            assert_eq!(
                mine, expected,
                "seed {seed} step {step} ({action}); protowasm stderr:\n{}",
                ours.stderr
            );
            hits += hit(&ours) as usize;
            steps += 1;
        }
    }
    assert!(
        hits * 4 >= steps,
        "only {hits} of {steps} steps were answered from the compile cache"
    );
}

/// `protowasm generate` goes through the compile cache too, managed mode included: an unchanged
/// re-run is a hit with the same request, and a changed managed-mode rule or an edited file
/// compiles again.
#[test]
fn generate_with_managed_mode_uses_the_compile_cache() {
    let dir = lay_out(&[
        (
            "buf.yaml",
            "version: v2\nmodules:\n  - path: proto\n".into(),
        ),
        (
            "proto/acme/v1/a.proto",
            "syntax = \"proto3\";\npackage acme.v1;\nmessage A { string s = 1; }\n".into(),
        ),
    ]);
    let cache = tempfile::tempdir().unwrap();
    let template = |prefix: &str| {
        format!(
            "version: v2\nmanaged:\n  enabled: true\n  override:\n    - file_option: go_package_prefix\n      value: {prefix}\nplugins:\n  - local: {}\n    out: gen\n    strategy: all\n",
            capture_plugin().display()
        )
    };
    let generate = |prefix: &str| {
        std::fs::write(dir.path().join("buf.gen.yaml"), template(prefix)).unwrap();
        let run = Run::from(
            Command::new(env!("CARGO_BIN_EXE_protowasm"))
                .args(["generate", "--timings"])
                .current_dir(dir.path())
                .env("PROTOWASM_CACHE_DIR", cache.path())
                .env("CAPTURE_FILE", dir.path().join("request.bin"))
                .output()
                .unwrap(),
        );
        run.assert_ok();
        let request = std::fs::read(dir.path().join("request.bin")).unwrap();
        (hit(&run), request)
    };
    let (first_hit, first) = generate("example.com/one");
    assert!(!first_hit);
    let (again_hit, again) = generate("example.com/one");
    assert!(again_hit, "an unchanged generate did not hit");
    assert_eq!(again, first);
    let (other_hit, other) = generate("example.com/two");
    assert!(!other_hit, "a changed managed-mode rule hit");
    assert_ne!(other, first);
    let contains =
        |haystack: &[u8], needle: &[u8]| haystack.windows(needle.len()).any(|w| w == needle);
    assert!(
        contains(&other, b"example.com/two/acme/v1"),
        "managed mode not applied"
    );
    write_file(
        dir.path(),
        "proto/acme/v1/a.proto",
        "syntax = \"proto3\";\npackage acme.v1;\nmessage A { string t = 1; }\n",
    );
    let (edited_hit, edited) = generate("example.com/two");
    assert!(!edited_hit, "an edited file hit");
    assert!(
        contains(&edited, b"\n\x01t"),
        "the edit is not in the request"
    );
}
