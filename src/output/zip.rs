//! The zip encoding of a location, byte for byte what protoc 36's zip_writer.cc produces.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::error::OutputError;

/// protoc's `kDosEpoch`: 1980-01-01 as a DOS date (day 1 | month 1 << 5 | year-1980 = 0 << 9).
const DOS_EPOCH: u16 = (1 << 5) | 1;
/// What `.jar` locations get as META-INF/MANIFEST.MF unless a plugin wrote one.
const JAR_MANIFEST: &[u8] = b"Manifest-Version: 1.0\nCreated-By: 1.6.0 (protoc)\n\n";
const MANIFEST_NAME: &str = "META-INF/MANIFEST.MF";

/// The archive protoc writes for these files: stored (uncompressed) entries in byte order of
/// name, all dated 1980-01-01 00:00, no extra fields, comments or attributes, and no zip64. With
/// `jar`, the manifest is added if absent and sorted in with the rest, as protoc's AddJarManifest
/// puts it in the same sorted map.
///
/// protoc truncates lengths, counts and offsets to the 16/32-bit header fields and so writes a
/// corrupt archive past those limits; this refuses instead.
pub fn zip_bytes(files: &BTreeMap<String, Vec<u8>>, jar: bool) -> Result<Vec<u8>, OutputError> {
    let files: Cow<'_, BTreeMap<String, Vec<u8>>> = if jar && !files.contains_key(MANIFEST_NAME) {
        let mut with = files.clone();
        with.insert(MANIFEST_NAME.to_string(), JAR_MANIFEST.to_vec());
        Cow::Owned(with)
    } else {
        Cow::Borrowed(files)
    };
    let count = u16_of(files.len(), || format!("{} entries", files.len()))?;

    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files.iter() {
        let name_len = u16_of(name.len(), || format!("file name {name:?}"))?;
        let size = u32_of(data.len(), || format!("file {name:?}"))?;
        let offset = u32_of(out.len(), || "the archive".to_string())?;
        let crc = crc32fast::hash(data);

        put32(&mut out, 0x0403_4b50); // local file header
        put16(&mut out, 10); // version needed to extract (1.0)
        put16(&mut out, 0); // flags
        put16(&mut out, 0); // method: stored
        put16(&mut out, 0); // time
        put16(&mut out, DOS_EPOCH); // date
        put32(&mut out, crc);
        put32(&mut out, size); // compressed
        put32(&mut out, size); // uncompressed
        put16(&mut out, name_len);
        put16(&mut out, 0); // extra field length
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);

        put32(&mut central, 0x0201_4b50); // central directory header
        put16(&mut central, 10); // version made by: protoc writes 10 (MS-DOS, 1.0)
        put16(&mut central, 10); // version needed
        put16(&mut central, 0);
        put16(&mut central, 0);
        put16(&mut central, 0);
        put16(&mut central, DOS_EPOCH);
        put32(&mut central, crc);
        put32(&mut central, size);
        put32(&mut central, size);
        put16(&mut central, name_len);
        put16(&mut central, 0); // extra field length
        put16(&mut central, 0); // comment length
        put16(&mut central, 0); // disk number start
        put16(&mut central, 0); // internal attributes
        put32(&mut central, 0); // external attributes
        put32(&mut central, offset);
        central.extend_from_slice(name.as_bytes());
    }
    let dir_offset = u32_of(out.len(), || "the archive".to_string())?;
    let dir_len = u32_of(central.len(), || "the central directory".to_string())?;
    out.extend_from_slice(&central);

    put32(&mut out, 0x0605_4b50); // end of central directory
    put16(&mut out, 0); // this disk
    put16(&mut out, 0); // disk with the central directory
    put16(&mut out, count); // entries on this disk
    put16(&mut out, count); // entries in total
    put32(&mut out, dir_len);
    put32(&mut out, dir_offset);
    put16(&mut out, 0); // comment length
    Ok(out)
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn u16_of(n: usize, what: impl FnOnce() -> String) -> Result<u16, OutputError> {
    u16::try_from(n).map_err(|_| OutputError::ZipTooLarge { what: what() })
}

fn u32_of(n: usize, what: impl FnOnce() -> String) -> Result<u32, OutputError> {
    u32::try_from(n).map_err(|_| OutputError::ZipTooLarge { what: what() })
}

#[cfg(test)]
#[path = "zip_tests.rs"]
mod tests;
