//! Tests for the zip encoding: field layout and byte equality with archives protoc wrote.

use super::*;

fn map(entries: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
    entries
        .iter()
        .map(|(n, c)| (n.to_string(), c.as_bytes().to_vec()))
        .collect()
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[test]
fn empty_archive_is_just_the_end_record() {
    let z = zip_bytes(&BTreeMap::new(), false).unwrap();
    assert_eq!(
        z,
        [0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    );
}

#[test]
fn single_entry_layout() {
    let z = zip_bytes(&map(&[("a/b.txt", "hello")]), false).unwrap();
    // Local header: signature, version 10, flags 0, stored, time 0, date 1980-01-01 (0x0021).
    assert_eq!(u32_at(&z, 0), 0x0403_4b50);
    assert_eq!(u16_at(&z, 4), 10);
    assert_eq!(u16_at(&z, 6), 0);
    assert_eq!(u16_at(&z, 8), 0);
    assert_eq!(u16_at(&z, 10), 0);
    assert_eq!(u16_at(&z, 12), 0x0021);
    assert_eq!(u32_at(&z, 14), 0x3610_a686); // crc32("hello")
    assert_eq!(u32_at(&z, 18), 5);
    assert_eq!(u32_at(&z, 22), 5);
    assert_eq!(u16_at(&z, 26), 7);
    assert_eq!(u16_at(&z, 28), 0);
    assert_eq!(&z[30..37], b"a/b.txt");
    assert_eq!(&z[37..42], b"hello");
    // Central directory right after, version made by 10, offset of the local header 0.
    let cd = 42;
    assert_eq!(u32_at(&z, cd), 0x0201_4b50);
    assert_eq!(u16_at(&z, cd + 4), 10);
    assert_eq!(u16_at(&z, cd + 6), 10);
    assert_eq!(u16_at(&z, cd + 14), 0x0021);
    assert_eq!(u32_at(&z, cd + 42), 0);
    assert_eq!(&z[cd + 46..cd + 53], b"a/b.txt");
    let end = cd + 53;
    assert_eq!(u32_at(&z, end), 0x0605_4b50);
    assert_eq!(u16_at(&z, end + 8), 1);
    assert_eq!(u16_at(&z, end + 10), 1);
    assert_eq!(u32_at(&z, end + 12), 53);
    assert_eq!(u32_at(&z, end + 16), 42);
    assert_eq!(z.len(), end + 22);
}

#[test]
fn jar_manifest_is_added_in_sorted_position_unless_present() {
    let plain = zip_bytes(&map(&[("Z.java", "z"), ("a.java", "a")]), true).unwrap();
    let with = map(&[
        (
            "META-INF/MANIFEST.MF",
            "Manifest-Version: 1.0\nCreated-By: 1.6.0 (protoc)\n\n",
        ),
        ("Z.java", "z"),
        ("a.java", "a"),
    ]);
    assert_eq!(plain, zip_bytes(&with, false).unwrap());
    // Byte order puts "META-INF/..." ('M') before "Z.java" and "a.java".
    assert_eq!(&plain[30..50], b"META-INF/MANIFEST.MF");

    let own = map(&[("META-INF/MANIFEST.MF", "mine\n"), ("a.java", "a")]);
    assert_eq!(
        zip_bytes(&own, true).unwrap(),
        zip_bytes(&own, false).unwrap()
    );
}

#[test]
fn oversized_name_is_refused_not_truncated() {
    let long = "x".repeat(70_000);
    let err = zip_bytes(&map(&[(long.as_str(), "")]), false).unwrap_err();
    assert!(matches!(err, OutputError::ZipTooLarge { .. }), "{err}");
}

#[cfg(unix)]
mod oracle {
    use super::*;
    use crate::output::testutil::{file, read_tree, response, run_protoc};

    /// protoc's built-in generators write the same files to a directory and to archives; our
    /// encoding of the directory's files must equal protoc's archives byte for byte.
    #[test]
    fn zip_and_jar_match_protoc_built_in_generators() {
        let args = [
            "--python_out=py",
            "--python_out=py.zip",
            "--python_out=py.srcjar",
            "--python_out=py.jar",
            "--cpp_out=cpp",
            "--cpp_out=cpp.jar",
        ];
        let run = run_protoc(&[], &["py", "cpp"], &args);
        assert!(run.success, "{}", run.stderr);

        let py = read_tree(&run.path("py"));
        assert!(
            py.contains_key("Abc_pb2.py") && py.contains_key("sub/b_pb2.py"),
            "{:?}",
            py.keys()
        );
        let cpp = read_tree(&run.path("cpp"));
        let read = |rel: &str| std::fs::read(run.path(rel)).unwrap();
        assert_eq!(zip_bytes(&py, false).unwrap(), read("py.zip"));
        assert_eq!(zip_bytes(&py, false).unwrap(), read("py.srcjar"));
        // "Abc_pb2.py" sorts before "META-INF/", so this also pins the manifest's position.
        assert_eq!(zip_bytes(&py, true).unwrap(), read("py.jar"));
        assert_eq!(zip_bytes(&cpp, true).unwrap(), read("cpp.jar"));
    }

    /// A plugin that writes its own manifest keeps it in a .jar, and empty files and names
    /// needing no directory entries are encoded as protoc does.
    #[test]
    fn jar_with_plugin_manifest_and_empty_file_matches_protoc() {
        let resp = response(vec![
            file(
                "META-INF/MANIFEST.MF",
                "",
                "Manifest-Version: 1.0\nX: y\n\n",
            ),
            file("empty.txt", "", ""),
            file("deep/er/é.txt", "", "ünïcode\n"),
        ]);
        let run = run_protoc(&[("fake", &resp)], &[], &["--fake_out=o.jar"]);
        assert!(run.success, "{}", run.stderr);
        let files: BTreeMap<String, Vec<u8>> = resp
            .file
            .iter()
            .map(|f| (f.name().to_string(), f.content().as_bytes().to_vec()))
            .collect();
        assert_eq!(
            zip_bytes(&files, true).unwrap(),
            std::fs::read(run.path("o.jar")).unwrap()
        );
    }
}
