//! The checks protoc makes after a plugin responds: does the plugin support proto3 `optional`
//! and the editions of the files it was asked to generate? Messages are protoc 36.2's, byte for
//! byte (the proto3 one ends in a newline, the editions ones do not: protoc prints them that way,
//! right before `--X_out: <error>`).

use prost::Message;
use prost_types::FileDescriptorProto;

use crate::descriptor_set::{FileSet, RawFile};

const FEATURE_PROTO3_OPTIONAL: u64 = 1;
const FEATURE_SUPPORTS_EDITIONS: u64 = 2;
/// `Edition.EDITION_2023`: the first edition; proto2 and proto3 files are below it.
const EDITION_2023: i32 = 1000;

/// `minimum_edition` (3) and `maximum_edition` (4) of a CodeGeneratorResponse, which prost-types
/// does not have.
#[derive(Clone, PartialEq, Message)]
pub struct EditionBounds {
    #[prost(int32, optional, tag = "3")]
    pub minimum_edition: Option<i32>,
    #[prost(int32, optional, tag = "4")]
    pub maximum_edition: Option<i32>,
}

/// The text protoc prints before `--X_out: <error>` when the plugin lacks a feature the files to
/// generate need; empty when all is well.
pub fn check(
    set: &FileSet,
    files_to_generate: &[String],
    plugin: &str,
    supported_features: u64,
    bounds: &EditionBounds,
    experimental_editions: bool,
) -> String {
    let files: Vec<&RawFile> = files_to_generate
        .iter()
        .filter_map(|f| set.get(f))
        .collect();
    let mut out = String::new();
    if supported_features & FEATURE_PROTO3_OPTIONAL == 0 {
        if let Some(f) = files
            .iter()
            .find(|f| f.syntax == "proto3" && has_proto3_optional(f))
        {
            out.push_str(&format!(
                "{}: is a proto3 file that contains optional fields, but code generator {plugin} hasn't been updated to support optional fields in proto3. Please ask the owner of this code generator to support proto3 optional.\n",
                f.name
            ));
        }
    }
    // `--experimental_editions` turns the editions checks off.
    let editions = files
        .iter()
        .filter(|f| !experimental_editions && f.syntax == "editions" && !exempt(&f.name));
    for f in editions {
        let edition = f.edition.unwrap_or(0);
        if edition < EDITION_2023 {
            continue;
        }
        let uses = format!(
            "{}: is a file using edition {}, which isn't supported by code generator {plugin}.  ",
            f.name,
            edition_name(edition)
        );
        let message = if supported_features & FEATURE_SUPPORTS_EDITIONS == 0 {
            format!(
                "{}: is an editions file, but code generator {plugin} hasn't been updated to support editions yet.  Please ask the owner of this code generator to add support or switch back to proto2/proto3.\n\nSee https://protobuf.dev/editions/overview/ for more information.",
                f.name
            )
        } else if edition < bounds.minimum_edition.unwrap_or(0) {
            format!(
                "{uses}Please upgrade your file to at least edition {}.",
                edition_name(bounds.minimum_edition.unwrap_or(0))
            )
        } else if edition > bounds.maximum_edition.unwrap_or(0) {
            format!(
                "{uses}Please ask the owner of this code generator to add support or switch back to a maximum of edition {}.",
                edition_name(bounds.maximum_edition.unwrap_or(0))
            )
        } else {
            continue;
        };
        out.push_str(&message);
        break;
    }
    out
}

/// protoc's own files are exempt from the editions checks (its `CanSkipEditionCheck`).
pub fn exempt(name: &str) -> bool {
    [
        "google/protobuf/",
        "upb/",
        "com/google/protobuf/",
        "conformance/test_protos/",
        "test_messages_edition_unstable",
    ]
    .iter()
    .any(|p| name.starts_with(p))
}

/// The latest edition protoc 36.2 compiles without `--experimental_editions` (EDITION_2026).
pub const PROTOC_MAXIMUM_EDITION: i32 = 1002;
/// protoc's earliest edition (EDITION_PROTO2).
pub const PROTOC_MINIMUM_EDITION: i32 = 998;

/// Edition names as protoc prints them: the enum name without `EDITION_`.
pub fn edition_name(edition: i32) -> String {
    EDITIONS
        .iter()
        .find(|(e, _)| *e == edition)
        .map_or_else(|| edition.to_string(), |(_, name)| name.to_string())
}

/// An edition by protoc's short name (`2023`, `PROTO2`, `MAX`), as `Edition_Parse` reads
/// `EDITION_` + the name.
pub fn edition_by_name(name: &str) -> Option<i32> {
    EDITIONS.iter().find(|(_, n)| *n == name).map(|(e, _)| *e)
}

/// The `Edition` enum of protoc 36.2's descriptor.proto: numbers and names without `EDITION_`.
const EDITIONS: &[(i32, &str)] = &[
    (0, "UNKNOWN"),
    (900, "LEGACY"),
    (998, "PROTO2"),
    (999, "PROTO3"),
    (1000, "2023"),
    (1001, "2024"),
    (1002, "2026"),
    (9999, "UNSTABLE"),
    (1, "1_TEST_ONLY"),
    (2, "2_TEST_ONLY"),
    (99997, "99997_TEST_ONLY"),
    (99998, "99998_TEST_ONLY"),
    (99999, "99999_TEST_ONLY"),
    (i32::MAX, "MAX"),
];

/// Whether any field (top-level extensions and fields of nested messages included) is a proto3
/// `optional`. Decoded only when the plugin lacks the feature, so the common path stays cheap.
fn has_proto3_optional(file: &RawFile) -> bool {
    let Ok(fd) = FileDescriptorProto::decode(&file.bytes[..]) else {
        return false;
    };
    fn in_message(m: &prost_types::DescriptorProto) -> bool {
        m.field
            .iter()
            .chain(&m.extension)
            .any(|f| f.proto3_optional())
            || m.nested_type.iter().any(in_message)
    }
    fd.extension.iter().any(|f| f.proto3_optional()) || fd.message_type.iter().any(in_message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edition_names_follow_the_enum() {
        assert_eq!(edition_name(1000), "2023");
        assert_eq!(edition_name(0), "UNKNOWN");
        assert_eq!(edition_name(i32::MAX), "MAX");
    }
}
