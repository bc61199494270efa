//! Remembered file digests: the sha256 of a file, recorded with what `stat` said of the file when
//! it was hashed, so that an unchanged file is not read and hashed again on every run (12 MB Go
//! plugins take ~8 ms to hash, more than loading their compiled code).
//!
//! A record is `digests/<sha256 of the path>` holding `dev ino size mtime ctime sha256`. It is
//! used only if all five still match. Any write to a file, a `touch`, a rename or a replacement
//! by another file changes its ctime, and nobody but the kernel sets a ctime, so a match means
//! the very same bytes. Like git's index, a file changed within the timestamp granularity of its
//! last change could share a ctime; so a file whose ctime is less than two seconds old is hashed
//! but not recorded. Records are written atomically; a damaged or unreadable one is a miss.
//!
//! Whoever can write to the cache directory can forge a record, as they can already replace a
//! compiled module: the cache trusts its directory, and guards against accidents, not attackers.

use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use super::store;

/// How old a file's last change must be before its digest is recorded.
const SETTLED: Duration = Duration::from_secs(2);

/// The digest memo. `None` directory means every file is hashed.
#[derive(Debug, Clone)]
pub struct DigestMemo {
    dir: Option<PathBuf>,
}

/// A file's sha256, and its bytes when they had to be read to compute it.
pub struct Digested {
    pub sha256: [u8; 32],
    pub bytes: Option<Vec<u8>>,
}

impl DigestMemo {
    /// The memo under `root` (the same root as the module cache).
    pub fn new(root: Option<&Path>) -> Self {
        DigestMemo {
            dir: root.map(|r| r.join("digests")),
        }
    }

    /// The sha256 of the file at `path`: remembered if the file is unchanged, else computed
    /// (and remembered when the file has settled).
    pub fn sha256(&self, path: &Path) -> std::io::Result<Digested> {
        let mut file = std::fs::File::open(path)?;
        let stamp = Stamp::of(&file.metadata()?);
        let record = self.record_path(path);
        if let Some(sha256) = record.as_deref().and_then(|r| read_record(r, &stamp)) {
            return Ok(Digested {
                sha256,
                bytes: None,
            });
        }
        // Read through the file opened and stamped above, so the bytes are that file's even if
        // the path is replaced meanwhile; one written to meanwhile gets a new ctime and is not
        // recorded.
        let mut bytes = Vec::with_capacity(usize::try_from(stamp.size).unwrap_or(0));
        file.read_to_end(&mut bytes)?;
        let sha256: [u8; 32] = Sha256::digest(&bytes).into();
        let after = Stamp::of(&file.metadata()?);
        if let Some(record) = record.filter(|_| after == stamp && stamp.settled()) {
            let line = format!("{} {}\n", stamp.text(), hex::encode(sha256));
            if let Err(e) = std::fs::create_dir_all(record.parent().unwrap_or(Path::new(".")))
                .and_then(|()| store::replace_file(&record, line.as_bytes()))
            {
                tracing::debug!("could not record the digest of {}: {e}", path.display());
            }
        }
        Ok(Digested {
            sha256,
            bytes: Some(bytes),
        })
    }

    fn record_path(&self, path: &Path) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        // The absolute path, so that one file reached from two working directories is one record.
        let absolute = std::path::absolute(path).ok()?;
        let key = Sha256::digest(absolute.as_os_str().as_encoded_bytes());
        Some(dir.join(hex::encode(key)))
    }

    /// Removes every record; returns how many.
    pub fn clean(&self) -> std::io::Result<usize> {
        match &self.dir {
            Some(dir) => store::remove_files_in(dir).map(|(files, _)| files),
            None => Ok(0),
        }
    }
}

/// What `stat` says of a file that changes when its content can have changed.
#[derive(Debug, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    fn text(&self) -> String {
        format!(
            "{} {} {} {}.{:09} {}.{:09}",
            self.dev, self.ino, self.size, self.mtime.0, self.mtime.1, self.ctime.0, self.ctime.1
        )
    }

    /// Whether the last change is old enough that a later change would get another ctime.
    fn settled(&self) -> bool {
        let Ok(secs) = u64::try_from(self.ctime.0) else {
            return false;
        };
        let changed = SystemTime::UNIX_EPOCH + Duration::new(secs, self.ctime.1 as u32);
        SystemTime::now()
            .duration_since(changed)
            .is_ok_and(|age| age >= SETTLED)
    }
}

/// The recorded digest, if the record exists, is whole, and was made for `stamp`.
fn read_record(record: &Path, stamp: &Stamp) -> Option<[u8; 32]> {
    let text = std::fs::read_to_string(record).ok()?;
    let (recorded, digest) = text.strip_suffix('\n')?.rsplit_once(' ')?;
    if recorded != stamp.text() {
        return None;
    }
    hex::decode(digest).ok()?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sets a file's mtime into the past; its ctime stays now, as only the kernel sets it.
    fn age(path: &Path) {
        let old = SystemTime::now() - Duration::from_secs(3600);
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(old)
            .unwrap();
    }

    fn memo(dir: &Path) -> DigestMemo {
        DigestMemo::new(Some(dir))
    }

    #[test]
    fn a_fresh_file_is_hashed_every_time_and_not_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plugin.wasm");
        std::fs::write(&file, b"one").unwrap();
        let m = memo(&dir.path().join("cache"));
        for _ in 0..2 {
            let d = m.sha256(&file).unwrap();
            assert_eq!(d.sha256, <[u8; 32]>::from(Sha256::digest(b"one")));
            assert_eq!(d.bytes.as_deref(), Some(&b"one"[..]));
        }
        assert!(!dir.path().join("cache/digests").exists());
    }

    /// A record whose stamp matches is believed without reading the file; so a record written
    /// for other contents proves the memo answered.
    fn plant(m: &DigestMemo, file: &Path, sha: [u8; 32]) -> PathBuf {
        let stamp = Stamp::of(&std::fs::metadata(file).unwrap());
        let record = m.record_path(file).unwrap();
        std::fs::create_dir_all(record.parent().unwrap()).unwrap();
        std::fs::write(&record, format!("{} {}\n", stamp.text(), hex::encode(sha))).unwrap();
        record
    }

    #[test]
    fn a_matching_record_answers_without_reading() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plugin.wasm");
        std::fs::write(&file, b"one").unwrap();
        let m = memo(&dir.path().join("cache"));
        plant(&m, &file, [7; 32]);
        let d = m.sha256(&file).unwrap();
        assert_eq!(d.sha256, [7; 32]);
        assert!(d.bytes.is_none());
    }

    /// A way of changing a file.
    type Change = fn(&Path);

    #[test]
    fn any_change_to_the_file_misses_the_record() {
        let changes: [(&str, Change); 4] = [
            ("rewritten", |f| std::fs::write(f, b"two").unwrap()),
            ("same bytes rewritten", |f| {
                std::fs::write(f, b"one").unwrap()
            }),
            ("touched back", age),
            ("replaced by a copy", |f| {
                let copy = f.with_extension("new");
                std::fs::write(&copy, b"one").unwrap();
                std::fs::rename(&copy, f).unwrap();
            }),
        ];
        for (name, change) in changes {
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join("plugin.wasm");
            std::fs::write(&file, b"one").unwrap();
            let m = memo(&dir.path().join("cache"));
            plant(&m, &file, [7; 32]);
            // ctime has nanoseconds, but the clock behind it ticks coarsely: let it move on.
            std::thread::sleep(Duration::from_millis(20));
            change(&file);
            let d = m.sha256(&file).unwrap();
            assert_ne!(d.sha256, [7; 32], "{name}");
            assert!(d.bytes.is_some(), "{name}");
        }
    }

    #[test]
    fn damaged_records_are_misses() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plugin.wasm");
        std::fs::write(&file, b"one").unwrap();
        let m = memo(&dir.path().join("cache"));
        let record = plant(&m, &file, [7; 32]);
        let good = std::fs::read_to_string(&record).unwrap();
        for bad in [
            &good[..good.len() - 1],
            &good[..good.len() - 3],
            "",
            "garbage\n",
        ] {
            std::fs::write(&record, bad).unwrap();
            let d = m.sha256(&file).unwrap();
            assert_eq!(
                d.sha256,
                <[u8; 32]>::from(Sha256::digest(b"one")),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_settled_file_is_recorded_and_then_answered_from_the_record() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plugin.wasm");
        std::fs::write(&file, b"one").unwrap();
        let m = memo(&dir.path().join("cache"));
        // Waiting out SETTLED is the only way to age a ctime.
        std::thread::sleep(SETTLED + Duration::from_millis(100));
        let first = m.sha256(&file).unwrap();
        assert!(first.bytes.is_some());
        let second = m.sha256(&file).unwrap();
        assert!(second.bytes.is_none(), "the record answers");
        assert_eq!(second.sha256, first.sha256);
        assert_eq!(m.clean().unwrap(), 1);
        assert!(m.sha256(&file).unwrap().bytes.is_some());
    }
}
