//! The output layer's one error type; each message is protoc's own text where protoc has one.

use thiserror::Error;

/// An error applying responses or writing output. `Display` gives protoc's exact wording for the
/// cases protoc reports; the caller adds any `--X_out: ` prefix protoc would print.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OutputError {
    /// A response's first `file` entry had neither a name nor an insertion point. protoc's error
    /// string includes the plugin name (`protoc-gen-X: First file chunk ...`).
    #[error("{plugin}: First file chunk returned by plugin did not specify a file name.")]
    FirstChunkWithoutName { plugin: String },

    /// Two entries for one name in one location (within a response or across plugins).
    #[error("{name}: Tried to write the same file twice.")]
    DuplicateFile { name: String },

    /// An insertion into a file no earlier directive created in this location.
    #[error("{name}: Tried to insert into file that doesn't exist.")]
    InsertTargetMissing { name: String },

    /// The target has no `@@protoc_insertion_point(point)`.
    #[error("{name}: insertion point \"{point}\" not found.")]
    InsertionPointNotFound { name: String, point: String },

    /// A name that could escape the output root or alias another name (protowasm's own rule;
    /// protoc has no such check). The name is shown escaped so control bytes cannot hide.
    #[error("{plugin}: Output file name {name:?} {reason}.")]
    UnsafeFileName {
        plugin: String,
        name: String,
        reason: &'static str,
    },

    /// protoc's refusal of a name with `..` in a directory (without
    /// `--unsafe_allow_out_dir_escape`), worded as protoc words it.
    #[error("Output file names must never have a relative path. ({name}). Use --unsafe_allow_out_dir_escape to disable this error if intentional.")]
    RelativePath { name: String },

    /// The location has errors from applying responses, so nothing may be written there.
    #[error("{location}: not written because generating it failed.")]
    LocationHasErrors { location: String },

    /// Two names where one is a directory of the other (`a` and `a/b`): they cannot both exist.
    #[error("{name}: cannot be written: {other:?} needs it to be a directory.")]
    FileDirectoryConflict { name: String, other: String },

    /// More than the 16/32-bit fields of protoc's zip writer can describe (protoc writes no
    /// zip64 and would silently produce a corrupt archive).
    #[error("{what}: too large for a zip archive (no zip64 support, as in protoc).")]
    ZipTooLarge { what: String },

    /// A file system operation failed; `message` is the OS text without Rust's "(os error N)",
    /// so `out/: No such file or directory` reads as protoc prints it.
    #[error("{path}: {message}")]
    Io { path: String, message: String },
}

impl OutputError {
    /// Whether this is the plugin's failure: protoc prints `--X_out: {self}` and stops the run at
    /// once, where the other apply errors print bare and let later plugins run. An unsafe file
    /// name (protowasm's own check) is treated like a malformed response: the plugin's fault.
    pub fn is_plugin_failure(&self) -> bool {
        matches!(
            self,
            OutputError::FirstChunkWithoutName { .. } | OutputError::UnsafeFileName { .. }
        )
    }

    pub(crate) fn io(path: impl Into<String>, err: &std::io::Error) -> Self {
        let text = err.to_string();
        // std formats OS errors as "<strerror> (os error N)"; protoc prints bare strerror.
        let message = match text.rfind(" (os error ") {
            Some(i) if text.ends_with(')') => text[..i].to_string(),
            _ => text,
        };
        OutputError::Io {
            path: path.into(),
            message,
        }
    }
}
