//! Tests for the disk writer: all-or-nothing staging, unchanged files, protoc's messages.

use super::*;
use std::time::{Duration, SystemTime};

use prost_types::compiler::code_generator_response::File as RespFile;
use prost_types::compiler::CodeGeneratorResponse;

fn map(entries: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
    entries
        .iter()
        .map(|(n, c)| (n.to_string(), c.as_bytes().to_vec()))
        .collect()
}

fn prefix(dir: &Path) -> String {
    format!("{}/", dir.display())
}

/// Names in `dir` (recursively) that look like our temporaries.
fn litter(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(litter(&p));
        } else if p
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".protowasm-")
        {
            out.push(p);
        }
    }
    out
}

#[test]
fn writes_sorted_files_creating_parents() {
    let tmp = tempfile::tempdir().unwrap();
    let p = prefix(tmp.path());
    let s = write_location(
        &p,
        &map(&[("b/c/d.txt", "d"), ("a.txt", "a"), ("b.txt", "")]),
    )
    .unwrap();
    assert_eq!(
        s.written,
        [
            format!("{p}a.txt"),
            format!("{p}b.txt"),
            format!("{p}b/c/d.txt")
        ]
    );
    assert!(s.unchanged.is_empty());
    assert_eq!(fs::read(tmp.path().join("b/c/d.txt")).unwrap(), b"d");
    assert_eq!(fs::read(tmp.path().join("b.txt")).unwrap(), b"");
    assert!(litter(tmp.path()).is_empty());
}

#[test]
fn unchanged_files_keep_their_mtime() {
    let tmp = tempfile::tempdir().unwrap();
    let p = prefix(tmp.path());
    write_location(&p, &map(&[("same.txt", "x"), ("diff.txt", "old")])).unwrap();
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
    for n in ["same.txt", "diff.txt"] {
        File::options()
            .write(true)
            .open(tmp.path().join(n))
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    let s = write_location(&p, &map(&[("same.txt", "x"), ("diff.txt", "new")])).unwrap();
    assert_eq!(s.unchanged, [format!("{p}same.txt")]);
    assert_eq!(s.written, [format!("{p}diff.txt")]);
    let mtime = |n: &str| {
        fs::metadata(tmp.path().join(n))
            .unwrap()
            .modified()
            .unwrap()
    };
    assert_eq!(mtime("same.txt"), old);
    assert_ne!(mtime("diff.txt"), old);
    assert_eq!(fs::read(tmp.path().join("diff.txt")).unwrap(), b"new");
}

#[test]
fn a_failure_while_staging_changes_no_existing_file() {
    let tmp = tempfile::tempdir().unwrap();
    let p = prefix(tmp.path());
    fs::write(tmp.path().join("a.txt"), "old").unwrap();
    // "b" is a file, so "b/c.txt" cannot be created; "a.txt" was staged before that.
    fs::write(tmp.path().join("b"), "in the way").unwrap();
    let err = write_location(&p, &map(&[("a.txt", "new"), ("b/c.txt", "x")])).unwrap_err();
    assert!(
        err.to_string().starts_with(&format!("{p}b/c.txt: ")),
        "{err}"
    );
    assert_eq!(fs::read(tmp.path().join("a.txt")).unwrap(), b"old");
    assert!(litter(tmp.path()).is_empty(), "{:?}", litter(tmp.path()));
}

#[test]
fn a_directory_in_place_of_a_file_is_an_error_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let p = prefix(tmp.path());
    fs::create_dir(tmp.path().join("z")).unwrap();
    let err = write_location(&p, &map(&[("a.txt", "a"), ("z", "z")])).unwrap_err();
    assert_eq!(err.to_string(), format!("{p}z: Is a directory"));
    assert!(!tmp.path().join("a.txt").exists());
    assert!(litter(tmp.path()).is_empty());
}

#[test]
fn a_file_and_a_directory_of_the_same_name_conflict() {
    let tmp = tempfile::tempdir().unwrap();
    let p = prefix(tmp.path());
    let files = map(&[("a", ""), ("a-b", ""), ("a/b/c", "")]);
    let err = write_location(&p, &files).unwrap_err();
    assert_eq!(
        err,
        OutputError::FileDirectoryConflict {
            name: "a".into(),
            other: "a/b/c".into()
        }
    );
    assert!(
        fs::read_dir(tmp.path()).unwrap().next().is_none(),
        "nothing written"
    );
}

#[test]
fn unsafe_names_handed_in_directly_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let p = prefix(tmp.path());
    for name in ["../escape", "/abs", "a/../../b"] {
        let err = write_location(&p, &map(&[(name, "x")])).unwrap_err();
        assert!(
            matches!(err, OutputError::UnsafeFileName { .. }),
            "{name}: {err}"
        );
    }
    assert!(!tmp.path().parent().unwrap().join("escape").exists());
}

#[test]
fn missing_or_non_directory_location() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = format!("{}/nodir/", tmp.path().display());
    let err = write_location(&missing, &map(&[("a", "")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{missing}: No such file or directory")
    );

    fs::write(tmp.path().join("file"), "").unwrap();
    let not_dir = format!("{}/file/", tmp.path().display());
    let err = write_location(&not_dir, &map(&[("a", "")])).unwrap_err();
    assert_eq!(err.to_string(), format!("{not_dir}: Not a directory"));

    let err = write_location("", &map(&[("a", "")])).unwrap_err();
    assert_eq!(err.to_string(), ": No such file or directory");
}

#[test]
fn archives_are_written_whole_and_not_rewritten_when_equal() {
    let tmp = tempfile::tempdir().unwrap();
    let files = map(&[("a.txt", "a")]);
    for (name, jar) in [("x.zip", false), ("x.srcjar", false), ("x.jar", true)] {
        let path = format!("{}/{name}", tmp.path().display());
        let s = write_location(&path, &files).unwrap();
        assert_eq!(s.written, std::slice::from_ref(&path));
        assert_eq!(fs::read(&path).unwrap(), zip_bytes(&files, jar).unwrap());
        let s = write_location(&path, &files).unwrap();
        assert_eq!(s.unchanged, [path], "{name}");
    }
    assert!(litter(tmp.path()).is_empty());

    let path = format!("{}/nodir/x.zip", tmp.path().display());
    let err = write_location(&path, &files).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{path}: No such file or directory")
    );
}

#[test]
fn write_tree_writes_nothing_if_any_location_failed() {
    let tmp = tempfile::tempdir().unwrap();
    let good = prefix(&tmp.path().join("good"));
    let bad = prefix(&tmp.path().join("bad"));
    fs::create_dir(tmp.path().join("good")).unwrap();
    fs::create_dir(tmp.path().join("bad")).unwrap();
    let file = |name: &str, point: &str| RespFile {
        name: Some(name.into()),
        insertion_point: (!point.is_empty()).then(|| point.into()),
        content: Some("x".into()),
        generated_code_info: None,
    };
    let resp = |files| CodeGeneratorResponse {
        file: files,
        ..Default::default()
    };
    let mut tree = OutputTree::new();
    tree.apply(&good, "protoc-gen-a", &resp(vec![file("g", "")]))
        .unwrap();
    assert!(tree
        .apply(&bad, "protoc-gen-b", &resp(vec![file("nope", "p")]))
        .is_err());
    let err = write_tree(&tree).unwrap_err();
    assert_eq!(err, OutputError::LocationHasErrors { location: bad });
    assert!(!tmp.path().join("good/g").exists());

    let mut tree = OutputTree::new();
    tree.apply(&good, "protoc-gen-a", &resp(vec![file("g", "")]))
        .unwrap();
    let s = write_tree(&tree).unwrap();
    assert_eq!(s.written, [format!("{good}g")]);
}

#[test]
fn write_tree_stages_every_location_before_renaming_any() {
    let tmp = tempfile::tempdir().unwrap();
    for d in ["1", "2"] {
        fs::create_dir(tmp.path().join(d)).unwrap();
    }
    fs::write(tmp.path().join("1/a"), "old").unwrap();
    // In location 2, "b" is a file on disk, so "b/c" fails while staging.
    fs::write(tmp.path().join("2/b"), "").unwrap();
    let mut tree = OutputTree::new();
    let resp = |name: &str| CodeGeneratorResponse {
        file: vec![RespFile {
            name: Some(name.into()),
            content: Some("new".into()),
            ..Default::default()
        }],
        ..Default::default()
    };
    let one = prefix(&tmp.path().join("1"));
    let two = prefix(&tmp.path().join("2"));
    tree.apply(&one, "protoc-gen-a", &resp("a")).unwrap();
    tree.apply(&two, "protoc-gen-a", &resp("b/c")).unwrap();
    let err = write_tree(&tree).unwrap_err();
    assert!(err.to_string().starts_with(&format!("{two}b/c: ")), "{err}");
    assert_eq!(fs::read(tmp.path().join("1/a")).unwrap(), b"old");
    assert!(litter(tmp.path()).is_empty());

    // A missing directory anywhere is found before any location creates a subdirectory.
    let mut tree = OutputTree::new();
    tree.apply(&one, "protoc-gen-a", &resp("sub/x")).unwrap();
    let missing = prefix(&tmp.path().join("3"));
    tree.apply(&missing, "protoc-gen-a", &resp("x")).unwrap();
    let err = write_tree(&tree).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{missing}: No such file or directory")
    );
    assert!(!tmp.path().join("1/sub").exists());
}

#[cfg(unix)]
mod unix {
    use super::*;
    use std::os::unix::fs::{symlink, PermissionsExt};

    #[test]
    fn symlinked_targets_are_written_through() {
        let tmp = tempfile::tempdir().unwrap();
        let p = prefix(tmp.path());
        fs::write(tmp.path().join("real.txt"), "old").unwrap();
        symlink("real.txt", tmp.path().join("link.txt")).unwrap();
        write_location(&p, &map(&[("link.txt", "new")])).unwrap();
        let link = fs::symlink_metadata(tmp.path().join("link.txt")).unwrap();
        assert!(link.file_type().is_symlink());
        assert_eq!(fs::read(tmp.path().join("real.txt")).unwrap(), b"new");
    }

    #[test]
    fn replaced_files_keep_their_permissions() {
        let tmp = tempfile::tempdir().unwrap();
        let p = prefix(tmp.path());
        let f = tmp.path().join("a.sh");
        fs::write(&f, "old").unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o751)).unwrap();
        write_location(&p, &map(&[("a.sh", "new")])).unwrap();
        assert_eq!(
            fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o751
        );
    }

    /// Our message for a missing output directory is the line protoc prints.
    #[test]
    fn missing_directory_message_matches_protoc() {
        let run = crate::output::testutil::run_protoc(&[], &[], &["--python_out=nodir"]);
        assert!(!run.success);
        let ours = write_location("nodir/", &map(&[("a", "")]))
            .unwrap_err()
            .to_string();
        assert_eq!(run.stderr.trim_end(), ours);
    }
}

#[test]
fn only_protowasm_temporaries_are_recognised_for_sweeping() {
    assert_eq!(super::temp_owner(".protowasm-1234-7.tmp"), Some(1234));
    assert_eq!(super::temp_owner(".protowasm-1234.tmp"), None);
    assert_eq!(super::temp_owner(".protowasm-x-7.tmp"), None);
    assert_eq!(super::temp_owner("protowasm-1234-7.tmp"), None);
    assert_eq!(super::temp_owner(".protowasm-1234-7.tmp.keep"), None);
    assert_eq!(super::temp_owner("user.txt"), None);
}
