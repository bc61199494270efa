//! Failure modes that golden files cannot pin down exactly (traps carry backtraces, timeouts are
//! about time) and behaviour over two runs. Each checks the message names the plugin and that
//! nothing was written.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::*;

fn example_args(plugin: &Path, name: &str, out: &str) -> Vec<String> {
    let mut args = vec![
        format!("--descriptor_set_in={}", example_set().display()),
        EXAMPLE_FILES[0].to_string(),
    ];
    args.extend(directive(plugin, name, out));
    args
}

fn directive(plugin: &Path, name: &str, out: &str) -> Vec<String> {
    vec![
        format!("--plugin=protoc-gen-{name}={}", plugin.display()),
        format!("--{name}_out={out}"),
    ]
}

fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    dir
}

#[track_caller]
fn assert_nothing_written(dir: &Path) {
    let tree = read_tree(&dir.join("out"));
    assert!(
        tree.is_empty(),
        "expected nothing written, found {:?}",
        tree.keys().collect::<Vec<_>>()
    );
}

#[test]
fn a_trap_names_the_plugin_and_the_trap() {
    let work = workdir();
    let mut args = example_args(&wasm_plugin("prost"), "prost", "out");
    args.extend(directive(&wasm_plugin("testplug"), "testplug", "trap:out"));
    let run = protowasm_protoc(work.path(), &args);
    run.assert_failed();
    assert!(
        run.stderr
            .starts_with("--testplug_out: protoc-gen-testplug: plugin trapped: "),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("unreachable"), "{}", run.stderr);
    assert_nothing_written(work.path());
}

#[test]
fn a_native_plugin_killed_by_a_signal_is_reported_as_protoc_reports_it() {
    let work = workdir();
    let run = protowasm_protoc(
        work.path(),
        &example_args(&native_plugin("testplug"), "testplug", "trap:out"),
    );
    run.assert_failed();
    assert_eq!(
        run.stderr,
        "--testplug_out: protoc-gen-testplug: Plugin killed by signal 6.\n"
    );
    assert_nothing_written(work.path());
}

fn assert_stopped_by_time_limit(plugin: &Path) {
    let work = workdir();
    let mut args = example_args(&wasm_plugin("prost"), "prost", "out");
    args.extend(directive(plugin, "testplug", "loop:out"));
    args.push("--plugin-timeout=1s".into());
    let started = Instant::now();
    let run = protowasm_protoc(work.path(), &args);
    let took = started.elapsed();
    run.assert_failed();
    assert!(took < Duration::from_secs(20), "a 1 s limit took {took:?}");
    assert_eq!(
        run.stderr,
        "--testplug_out: protoc-gen-testplug: plugin timed out after 1s (raise the limit with --plugin-timeout=DURATION); nothing was written\n"
    );
    assert_nothing_written(work.path());
}

#[test]
fn an_infinite_loop_in_wasm_is_stopped_by_the_time_limit() {
    assert_stopped_by_time_limit(&wasm_plugin("testplug"));
}

#[test]
fn a_native_plugin_that_never_ends_is_killed_at_the_time_limit() {
    assert_stopped_by_time_limit(&native_plugin("testplug"));
}

#[test]
fn a_response_just_under_the_output_cap_is_accepted() {
    let work = workdir();
    // 1,000,000 bytes of content plus a few bytes of framing: under a 1 MiB (1,048,576) cap.
    let mut args = example_args(&wasm_plugin("testplug"), "testplug", "bigout=1000000:out");
    args.push("--plugin-output-limit=1MiB".into());
    protowasm_protoc(work.path(), &args).assert_ok();
    assert_eq!(
        std::fs::metadata(work.path().join("out/big.txt"))
            .unwrap()
            .len(),
        1_000_000
    );
}

#[test]
fn a_stderr_flood_is_truncated_with_a_marker() {
    let work = workdir();
    // ~2.1 MB of stderr against the default 1 MiB cap.
    let run = protowasm_protoc(
        work.path(),
        &example_args(&wasm_plugin("testplug"), "testplug", "stderr=100000:out"),
    );
    run.assert_ok();
    assert!(
        run.stderr
            .contains("protoc-gen-testplug: [stderr truncated: more than 1 MiB written]"),
        "no marker"
    );
    // The cap counts the plugin's own bytes, not the name we put in front of each line.
    let own_bytes: usize = run
        .stderr
        .lines()
        .map(|l| l.trim_start_matches("protoc-gen-testplug: ").len() + 1)
        .sum();
    assert!(
        own_bytes <= (1 << 20) + 100,
        "relayed {own_bytes} bytes of the plugin's stderr"
    );
    assert!(
        own_bytes > (1 << 20) - 100,
        "relayed only {own_bytes} bytes"
    );
    assert!(run
        .stderr
        .starts_with("protoc-gen-testplug: testplug: line 1\n"));
}

#[test]
fn unchanged_files_are_not_rewritten() {
    let work = workdir();
    let args = example_args(&wasm_plugin("testplug"), "testplug", "out");
    protowasm_protoc(work.path(), &args).assert_ok();
    let file = work.path().join("out/example/library/v1/book.txt");
    let old = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(old)
        .unwrap();
    protowasm_protoc(work.path(), &args).assert_ok();
    assert_eq!(
        std::fs::metadata(&file).unwrap().modified().unwrap(),
        old,
        "an identical file was rewritten"
    );

    // A file whose content differs is replaced.
    std::fs::write(&file, "stale\n").unwrap();
    protowasm_protoc(work.path(), &args).assert_ok();
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .starts_with("// generated by testplug"));
}

/// A 100 MB response at the cap's exact edge. The response for `bigout=100000000` is 100,000,021
/// bytes: the content, its file entry's framing (name, tags, lengths) and supported_features.
/// A cap of exactly that passes; one byte less refuses it and writes nothing.
#[test]
fn a_100_mb_response_at_the_caps_edge() {
    const RESPONSE: u64 = 100_000_021;
    for (cap, ok) in [(RESPONSE, true), (RESPONSE - 1, false)] {
        let work = workdir();
        let mut args = example_args(&wasm_plugin("testplug"), "testplug", "bigout=100000000:out");
        args.push(format!("--plugin-output-limit={cap}"));
        let run = protowasm_protoc(work.path(), &args);
        if ok {
            run.assert_ok();
            assert_eq!(
                std::fs::metadata(work.path().join("out/big.txt"))
                    .unwrap()
                    .len(),
                100_000_000
            );
        } else {
            run.assert_failed();
            assert!(
                run.stderr
                    .contains("plugin output exceeded the limit of 95.4 MiB"),
                "{}",
                run.stderr
            );
            assert_nothing_written(work.path());
        }
    }
}

fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".protowasm-") && n.ends_with(".tmp"))
        .collect()
}

/// kill -9 while the outputs are being written: the file being replaced keeps its old content
/// (outputs are written to temporaries and renamed), and the next run removes the dead run's
/// temporary and writes the file whole.
#[test]
fn a_run_killed_while_writing_leaves_no_partial_file() {
    const SIZE: u64 = 200_000_000;
    let work = workdir();
    let out = work.path().join("out");
    let big = out.join("big.txt");
    std::fs::write(&big, "old\n").unwrap();
    let mut args = vec!["protoc".to_string()];
    args.extend(example_args(
        &wasm_plugin("testplug"),
        "testplug",
        &format!("bigout={SIZE}:out"),
    ));
    args.push("--plugin-output-limit=1GiB".into());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_protowasm"))
        .args(&args)
        .current_dir(work.path())
        .env("PROTOWASM_CACHE_DIR", shared_cache())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The write phase has begun when a temporary appears beside the target.
    let started = Instant::now();
    while temporaries(&out).is_empty() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it started writing"
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no temporary appeared"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let len = std::fs::metadata(&big).unwrap().len();
    eprintln!(
        "after kill -9: big.txt {len} bytes, temporaries {:?}",
        temporaries(&out)
    );
    assert!(
        len == 4 || len == SIZE,
        "big.txt is partially written: {len} bytes"
    );
    if len == 4 {
        assert_eq!(std::fs::read_to_string(&big).unwrap(), "old\n");
    }

    let run = protowasm_protoc(work.path(), &args[1..]);
    run.assert_ok();
    assert_eq!(std::fs::metadata(&big).unwrap().len(), SIZE);
    assert_eq!(
        temporaries(&out),
        Vec::<String>::new(),
        "the dead run's temporary was not removed"
    );
}

/// A response larger than wasmtime's default per-call budget (128 MiB) and larger than the
/// output limit is reported as over the limit, not as the plugin's own write failure.
#[test]
fn a_response_over_the_limit_in_one_write_is_reported_as_over_the_limit() {
    let work = workdir();
    let mut args = example_args(&wasm_plugin("testplug"), "testplug", "bigout=150000000:out");
    args.push("--plugin-output-limit=64MiB".into());
    let run = protowasm_protoc(work.path(), &args);
    run.assert_failed();
    assert_eq!(
        run.stderr,
        "--testplug_out: protoc-gen-testplug: plugin output exceeded the limit of 64 MiB (raise it with --plugin-output-limit=SIZE)\n"
    );
    assert_nothing_written(work.path());
}

/// Every hostile behaviour, each run beside protoc-gen-prost writing to its own directory (with a
/// file already there): the run fails with a message naming the plugin, and no output directory
/// changes at all, the other plugin's included.
#[test]
fn every_hostile_case_leaves_every_output_untouched() {
    let cases: &[(&str, &[&str], &str)] = &[
        ("loop", &["--plugin-timeout=1s"], "--t_out: protoc-gen-t: plugin timed out after 1s"),
        ("oom", &["--plugin-memory-limit=256MiB"], "--t_out: protoc-gen-t: plugin ran out of memory: it reached the limit of 256 MiB"),
        ("bigout=3000000", &["--plugin-output-limit=1MiB"], "--t_out: protoc-gen-t: plugin output exceeded the limit of 1 MiB"),
        ("trap", &[], "--t_out: protoc-gen-t: plugin trapped: wasm trap: wasm `unreachable` instruction executed"),
        ("exit=1", &[], "--t_out: protoc-gen-t: Plugin failed with status code 1."),
        ("exit=2", &[], "--t_out: protoc-gen-t: Plugin failed with status code 2."),
        ("garbage", &[], "--t_out: protoc-gen-t: Plugin output is unparseable: "),
        // protoc's own refusal (the protoc command line; `generate` keeps protowasm's wording).
        ("prefix=../", &[], "Output file names must never have a relative path. (../"),
        ("prefix=/abs/", &[], "--t_out: protoc-gen-t: Output file name \"/abs/"),
        ("prefix=a/../../", &[], "Output file names must never have a relative path. (a/../../"),
        ("nulname", &[], "--t_out: protoc-gen-t: Output file name \"a\\0b.txt\" contains a NUL byte."),
        ("dup", &[], "example/library/v1/book.txt: Tried to write the same file twice."),
        ("insert=missing.txt@end", &[], "missing.txt: Tried to insert into file that doesn't exist."),
        ("nameless", &[], "--t_out: protoc-gen-t: First file chunk returned by plugin did not specify a file name."),
        ("probe,error=refused", &[], "--t_out: refused"),
    ];
    for (parameter, flags, message) in cases {
        let work = workdir();
        let (prost_dir, t_dir) = (work.path().join("out/prost"), work.path().join("out/t"));
        std::fs::create_dir_all(&prost_dir).unwrap();
        std::fs::create_dir_all(&t_dir).unwrap();
        std::fs::write(prost_dir.join("keep.rs"), "// already here\n").unwrap();
        let before = read_tree(&work.path().join("out"));
        let mut args = vec![
            format!("--descriptor_set_in={}", example_set().display()),
            format!("--plugin={}", wasm_plugin("prost").display()),
            "--prost_out=out/prost".to_string(),
            format!(
                "--plugin=protoc-gen-t={}",
                wasm_plugin("testplug").display()
            ),
            format!("--t_out={parameter}:out/t"),
            EXAMPLE_FILES[0].to_string(),
        ];
        args.extend(flags.iter().map(|f| f.to_string()));
        let started = Instant::now();
        let run = protowasm_protoc(work.path(), &args);
        assert_eq!(run.status, 1, "{parameter}: {}", run.stderr);
        assert!(
            run.stderr.lines().any(|l| l.starts_with(message)),
            "{parameter}: expected a line starting {message:?}, got:\n{}",
            run.stderr
        );
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{parameter} took {:?}",
            started.elapsed()
        );
        assert_eq!(
            read_tree(&work.path().join("out")),
            before,
            "{parameter}: an output directory changed"
        );
    }
}

/// Names with `..` on protoc's command line: refused in a directory with protoc's message (any
/// `..`, as protoc checks), only warned about in an archive, and written as asked with
/// `--unsafe_allow_out_dir_escape`, as protoc does; the native plugin under protoc and under
/// protowasm, and the wasm build under protowasm, leave the same files and print the same text.
#[test]
fn out_dir_escape_follows_protoc() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("prefix=../", "out/sub", &[]),
        ("prefix=../", "out/sub", &["--unsafe_allow_out_dir_escape"]),
        ("prefix=a..b", "out/sub", &[]),
        ("prefix=a..b", "out/sub", &["--unsafe_allow_out_dir_escape"]),
        ("prefix=../", "out/sub/x.zip", &[]),
        (
            "prefix=../",
            "out/sub/x.zip",
            &["--unsafe_allow_out_dir_escape"],
        ),
    ];
    for (param, location, extra) in cases {
        let outcome = |program: &str, plugin: &Path| {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(dir.path().join("out/sub")).unwrap();
            let mut args = vec![format!("--descriptor_set_in={}", example_set().display())];
            args.push(format!("--plugin=protoc-gen-t={}", plugin.display()));
            args.push(format!("--t_out={param}:{location}"));
            args.extend(extra.iter().map(|s| s.to_string()));
            args.extend(EXAMPLE_FILES.iter().map(|s| s.to_string()));
            let run = match program {
                "protoc" => protoc_run(dir.path(), &args, &[]),
                _ => protowasm_protoc(dir.path(), &args),
            };
            (run.status, run.stderr, read_tree(&dir.path().join("out")))
        };
        let native = native_plugin("testplug");
        let theirs = outcome("protoc", &native);
        assert_eq!(
            outcome("protowasm", &native),
            theirs,
            "{param} {location} {extra:?}"
        );
        assert_eq!(
            outcome("protowasm", &wasm_plugin("testplug")),
            theirs,
            "wasm: {param} {location} {extra:?}"
        );
    }
}
