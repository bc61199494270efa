//! The output cache seen from outside: an unchanged re-run answered without running the plugin
//! (stderr included), everything the plugin observes in the key, `--no-cache`, `--verify-cache`
//! against a plugin that is not deterministic, damaged entries, failures and native plugins left
//! uncached, a changed module, and two processes filling one cache.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::support::*;

/// `protowasm protoc` on the example with testplug as `--testplug_out=PARAM:out`, plus `extra`.
fn run(cwd: &Path, cache: &Path, param: &str, extra: &[&str]) -> Run {
    run_with(cwd, cache, &wasm_plugin("testplug"), param, extra)
}

fn run_with(cwd: &Path, cache: &Path, plugin: &Path, param: &str, extra: &[&str]) -> Run {
    std::fs::create_dir_all(cwd.join("out")).unwrap();
    let mut args = s(&["protoc"]);
    args.push(format!("--descriptor_set_in={}", example_set().display()));
    args.push(format!("--plugin=protoc-gen-testplug={}", plugin.display()));
    args.push(format!("--testplug_out={param}:out"));
    args.push("--timings".into());
    args.extend(s(extra));
    args.extend(EXAMPLE_FILES.iter().map(|f| f.to_string()));
    protowasm_in(cwd, cache, &args)
}

/// Whether the plugin really ran: the wasm runner reports where its module came from.
fn ran(run: &Run) -> bool {
    run.stderr
        .lines()
        .any(|l| l.starts_with("timing: protoc-gen-testplug module "))
}

#[track_caller]
fn assert_answered_from_cache(run: &Run) {
    run.assert_ok();
    assert!(!ran(run), "the plugin ran:\n{}", run.stderr);
    assert!(
        run.stderr
            .lines()
            .any(|l| l.starts_with("timing: protoc-gen-testplug response from cache: ")),
        "{}",
        run.stderr
    );
}

#[track_caller]
fn assert_ran(run: &Run) {
    run.assert_ok();
    assert!(ran(run), "the plugin did not run:\n{}", run.stderr);
}

/// How many responses `protowasm cache list` counts.
fn cached_responses(cwd: &Path, cache: &Path) -> usize {
    let list = protowasm_in(cwd, cache, &s(&["cache", "list"]));
    list.assert_ok();
    let line = list
        .stdout
        .lines()
        .find(|l| l.contains(" cached responses, "))
        .unwrap_or_else(|| panic!("{}", list.stdout));
    line.split(' ').next().unwrap().parse().unwrap()
}

/// The stderr lines the plugin printed (relayed with its name in front).
fn plugin_lines(run: &Run) -> Vec<&str> {
    run.stderr
        .lines()
        .filter(|l| l.starts_with("protoc-gen-testplug: "))
        .collect()
}

#[test]
fn unchanged_rerun_is_answered_without_running_the_plugin() {
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let first = run(work.path(), &cache, "stderr=2", &[]);
    assert_ran(&first);
    let expected = read_tree(&work.path().join("out"));
    assert_eq!(expected.len(), 2, "{expected:?}");
    assert_eq!(
        plugin_lines(&first),
        [
            "protoc-gen-testplug: testplug: line 1",
            "protoc-gen-testplug: testplug: line 2"
        ]
    );
    assert_eq!(cached_responses(work.path(), &cache), 1);

    let second = run(work.path(), &cache, "stderr=2", &[]);
    assert_answered_from_cache(&second);
    // What the plugin printed when it ran is printed again.
    assert_eq!(plugin_lines(&second), plugin_lines(&first));
    assert!(second
        .stderr
        .contains("timing: 0 files written, 2 unchanged"));

    // Outputs removed by hand are written again from the cached response.
    std::fs::remove_dir_all(work.path().join("out")).unwrap();
    let third = run(work.path(), &cache, "stderr=2", &[]);
    assert_answered_from_cache(&third);
    assert_trees_equal(&read_tree(&work.path().join("out")), &expected, "");
}

#[test]
fn what_the_plugin_observes_is_part_of_the_key() {
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    assert_ran(&run(work.path(), &cache, "", &[]));
    assert_answered_from_cache(&run(work.path(), &cache, "", &[]));
    // The request (its parameter), the limits, and the module each change the key.
    assert_ran(&run(work.path(), &cache, "prefix=p_", &[]));
    assert_ran(&run(
        work.path(),
        &cache,
        "",
        &["--plugin-memory-limit=1GiB"],
    ));
    assert_ran(&run(work.path(), &cache, "", &["--plugin-timeout=100s"]));
    let changed = work.path().join("changed.wasm");
    let mut wasm = std::fs::read(wasm_plugin("testplug")).unwrap();
    // A custom section: the same code, another module (another sha256).
    wasm.extend([0x00, 0x05, 0x04, b'p', b'w', b'x', b'y']);
    std::fs::write(&changed, &wasm).unwrap();
    assert_ran(&run_with(work.path(), &cache, &changed, "", &[]));
    assert_eq!(cached_responses(work.path(), &cache), 5);
    // And each of those is now a hit.
    assert_answered_from_cache(&run(work.path(), &cache, "prefix=p_", &[]));
    assert_answered_from_cache(&run_with(work.path(), &cache, &changed, "", &[]));
}

#[test]
fn no_cache_neither_reads_nor_writes_it() {
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    assert_ran(&run(work.path(), &cache, "", &["--no-cache"]));
    assert_eq!(cached_responses(work.path(), &cache), 0);
    assert_ran(&run(work.path(), &cache, "", &[]));
    assert_eq!(cached_responses(work.path(), &cache), 1);
    assert_ran(&run(work.path(), &cache, "", &["--no-cache"]));
    assert_answered_from_cache(&run(work.path(), &cache, "", &[]));
}

#[test]
fn verify_cache_catches_a_plugin_that_is_not_deterministic() {
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let out = work.path().join("out");
    // `clock` writes the time: every run's response differs.
    assert_ran(&run(work.path(), &cache, "clock", &[]));
    let first = read_tree(&out);
    assert!(first.contains_key("clock.txt"), "{first:?}");
    // The cache assumes determinism, so a plain re-run replays the first response.
    assert_answered_from_cache(&run(work.path(), &cache, "clock", &[]));
    assert_eq!(read_tree(&out), first);

    let verify = run(work.path(), &cache, "clock", &["--verify-cache"]);
    verify.assert_failed();
    assert!(
        verify.stderr.contains(
            "--testplug_out: protoc-gen-testplug: --verify-cache: this run's response differs from the one cached"
        ),
        "{}",
        verify.stderr
    );
    assert_eq!(read_tree(&out), first, "a failed run writes nothing");
    assert_eq!(
        cached_responses(work.path(), &cache),
        0,
        "the entry is removed"
    );

    // A deterministic plugin passes, and --verify-cache really runs it.
    assert_ran(&run(work.path(), &cache, "", &[]));
    assert_ran(&run(work.path(), &cache, "", &["--verify-cache"]));
    assert_eq!(cached_responses(work.path(), &cache), 1);
}

/// The one entry file of a cache that holds one response.
fn only_entry(cache: &Path) -> PathBuf {
    let mut found = Vec::new();
    for shard in std::fs::read_dir(cache.join("responses")).unwrap() {
        for entry in std::fs::read_dir(shard.unwrap().path()).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "resp") {
                found.push(path);
            }
        }
    }
    assert_eq!(found.len(), 1, "{found:?}");
    found.pop().unwrap()
}

/// A way of damaging an entry file.
type Damage = fn(&Path);

#[test]
fn damaged_entry_is_a_logged_miss_and_is_repaired() {
    let damages: [(&str, Damage); 3] = [
        ("truncated", |p| {
            let bytes = std::fs::read(p).unwrap();
            std::fs::write(p, &bytes[..bytes.len() / 2]).unwrap();
        }),
        ("one byte flipped", |p| {
            let mut bytes = std::fs::read(p).unwrap();
            let last = bytes.len() - 1;
            bytes[last] ^= 0x20;
            std::fs::write(p, &bytes).unwrap();
        }),
        ("empty", |p| std::fs::write(p, b"").unwrap()),
    ];
    for (name, damage) in damages {
        let work = tempfile::tempdir().unwrap();
        let cache = work.path().join("cache");
        assert_ran(&run(work.path(), &cache, "", &[]));
        let expected = read_tree(&work.path().join("out"));
        damage(&only_entry(&cache));
        std::fs::remove_dir_all(work.path().join("out")).unwrap();

        let again = run(work.path(), &cache, "", &[]);
        assert_ran(&again);
        assert!(
            again
                .stderr
                .lines()
                .any(|l| l.contains("WARN") && l.contains("output cache entry")),
            "{name}: {}",
            again.stderr
        );
        assert_trees_equal(&read_tree(&work.path().join("out")), &expected, name);
        let repaired = run(work.path(), &cache, "", &[]);
        assert_answered_from_cache(&repaired);
        assert!(
            !repaired.stderr.contains("WARN"),
            "{name}: {}",
            repaired.stderr
        );
    }
}

#[test]
fn failed_runs_and_native_plugins_are_not_cached() {
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    for _ in 0..2 {
        let failed = run(work.path(), &cache, "exit=3", &[]);
        failed.assert_failed();
        assert!(
            failed
                .stderr
                .contains("--testplug_out: protoc-gen-testplug: Plugin failed with status code 3."),
            "{}",
            failed.stderr
        );
    }
    for _ in 0..2 {
        let native = run_with(work.path(), &cache, &native_plugin("testplug"), "", &[]);
        native.assert_ok();
    }
    assert_eq!(cached_responses(work.path(), &cache), 0);
}

#[test]
fn two_processes_filling_one_cache_leave_one_good_entry() {
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let children: Vec<_> = (0..2)
        .map(|i| {
            let dir = work.path().join(format!("p{i}"));
            std::fs::create_dir_all(dir.join("out")).unwrap();
            Command::new(env!("CARGO_BIN_EXE_protowasm"))
                .arg("protoc")
                .arg(format!("--descriptor_set_in={}", example_set().display()))
                .arg(format!(
                    "--plugin=protoc-gen-testplug={}",
                    wasm_plugin("testplug").display()
                ))
                .arg("--testplug_out=out")
                .args(EXAMPLE_FILES)
                .current_dir(&dir)
                .env("PROTOWASM_CACHE_DIR", &cache)
                .stdin(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    assert_eq!(cached_responses(work.path(), &cache), 1);
    let names: Vec<String> = std::fs::read_dir(only_entry(&cache).parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "an entry and its sidecar only: {names:?}");
    assert_answered_from_cache(&run(work.path(), &cache, "", &[]));
    assert_trees_equal(
        &read_tree(&work.path().join("out")),
        &read_tree(&work.path().join("p0/out")),
        "",
    );
}

/// `protowasm protoc` with testplug (`PARAM`) into `cwd/out`, with `PROTOWASM_CACHE_MAX`.
fn run_bounded(cwd: &Path, cache: &Path, param: &str, max: &str) -> Run {
    std::fs::create_dir_all(cwd.join("out")).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_protowasm"))
        .arg("protoc")
        .arg(format!("--descriptor_set_in={}", example_set().display()))
        .arg(format!(
            "--plugin=protoc-gen-testplug={}",
            wasm_plugin("testplug").display()
        ))
        .arg(format!("--testplug_out={param}:out"))
        .arg("--timings")
        .args(EXAMPLE_FILES)
        .current_dir(cwd)
        .env("PROTOWASM_CACHE_DIR", cache)
        .env("PROTOWASM_CACHE_MAX", max)
        .env_remove("PROTOWASM_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Run::from(output)
}

/// Modules and responses in the cache, as `cache list` counts them.
fn cached_entries(cwd: &Path, cache: &Path) -> (usize, usize) {
    let list = protowasm_in(cwd, cache, &s(&["cache", "list"]));
    list.assert_ok();
    let count = |what: &str| -> usize {
        let line = list.stdout.lines().find(|l| l.contains(what)).unwrap();
        line.split(' ').next().unwrap().parse().unwrap()
    };
    (count(" modules, "), count(" cached responses, "))
}

#[test]
fn the_cache_max_prunes_after_a_run_at_most_every_ten_minutes() {
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    // A bound of 1 byte: the run's own entries are pruned after it, and the tree is written.
    run_bounded(work.path(), &cache, "stderr=1", "1").assert_ok();
    assert_eq!(cached_entries(work.path(), &cache), (0, 0));
    let expected = read_tree(&work.path().join("out"));
    assert!(!expected.is_empty());
    // Checked again only ten minutes later: this run's entries stay.
    assert_ran(&run_bounded(work.path(), &cache, "stderr=1", "1"));
    assert_eq!(cached_entries(work.path(), &cache), (1, 1));
    std::fs::remove_file(cache.join(".last-prune")).unwrap();
    // Under the bound nothing goes; `off` turns the bound off.
    run_bounded(work.path(), &cache, "stderr=1", "1GiB").assert_ok();
    assert_eq!(cached_entries(work.path(), &cache), (1, 1));
    std::fs::remove_file(cache.join(".last-prune")).unwrap();
    assert_answered_from_cache(&run_bounded(work.path(), &cache, "stderr=1", "off"));
    assert_eq!(cached_entries(work.path(), &cache), (1, 1));
    // A bad bound is a warning, not a failure (`off` wrote no stamp).
    assert!(!cache.join(".last-prune").exists());
    let bad = run_bounded(work.path(), &cache, "stderr=1", "lots");
    bad.assert_ok();
    assert!(
        bad.stderr
            .contains("PROTOWASM_CACHE_MAX: invalid size \"lots\""),
        "{}",
        bad.stderr
    );
    assert_trees_equal(&read_tree(&work.path().join("out")), &expected, "");
}

#[test]
fn prune_keeps_the_recently_used_and_removes_by_age() {
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    run(work.path(), &cache, "prefix=a_", &[]).assert_ok();
    run(work.path(), &cache, "prefix=b_", &[]).assert_ok();
    assert_eq!(cached_entries(work.path(), &cache), (1, 2));
    // Make every entry a day old, then use the b_ one again: it is the one kept.
    let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(86_400);
    for shard in std::fs::read_dir(cache.join("responses")).unwrap() {
        for f in std::fs::read_dir(shard.unwrap().path()).unwrap() {
            let f = std::fs::File::options()
                .write(true)
                .open(f.unwrap().path())
                .unwrap();
            f.set_modified(day_ago).unwrap();
        }
    }
    assert_answered_from_cache(&run(work.path(), &cache, "prefix=b_", &[]));
    let pruned = protowasm_in(
        work.path(),
        &cache,
        &s(&["cache", "prune", "--older-than", "12h"]),
    );
    pruned.assert_ok();
    assert!(
        pruned.stdout.starts_with("removed 1 entries"),
        "{}",
        pruned.stdout
    );
    assert_eq!(cached_entries(work.path(), &cache), (1, 1));
    assert_answered_from_cache(&run(work.path(), &cache, "prefix=b_", &[]));
    assert_ran(&run(work.path(), &cache, "prefix=a_", &[]));
    let emptied = protowasm_in(work.path(), &cache, &s(&["cache", "prune", "--max", "0"]));
    emptied.assert_ok();
    assert_eq!(cached_entries(work.path(), &cache), (0, 0));
    let bad = protowasm_in(
        work.path(),
        &cache,
        &s(&["cache", "prune", "--older-than", "soon"]),
    );
    bad.assert_failed();
    assert!(
        bad.stderr
            .contains("--older-than: invalid duration \"soon\""),
        "{}",
        bad.stderr
    );
}

/// Runs and prunes at once on one cache: every run succeeds with the same tree.
#[test]
fn pruning_while_other_processes_use_the_cache() {
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let reference = work.path().join("reference");
    run_bounded(&reference, &cache, "stderr=1", "off").assert_ok();
    let expected = read_tree(&reference.join("out"));
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let pruner = scope.spawn(|| {
            let mut prunes = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                protowasm_in(work.path(), &cache, &s(&["cache", "prune", "--max", "0"]))
                    .assert_ok();
                prunes += 1;
            }
            prunes
        });
        let runners: Vec<_> = (0..3)
            .map(|i| {
                let dir = work.path().join(format!("p{i}"));
                let (cache, expected) = (&cache, &expected);
                scope.spawn(move || {
                    for _ in 0..4 {
                        let run = run_bounded(&dir, cache, "stderr=1", "off");
                        run.assert_ok();
                        assert_trees_equal(&read_tree(&dir.join("out")), expected, "");
                    }
                })
            })
            .collect();
        for r in runners {
            r.join().unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(pruner.join().unwrap() > 0);
    });
}
