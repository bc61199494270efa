//! Applying plugin responses and writing the result: an in-memory output tree built with protoc's
//! rules (files, insertion points, duplicate checks), then an all-or-nothing writer for directory
//! and zip/jar/srcjar locations.
//!
//! Flow: [`OutputTree::apply`] each response in declared order; if [`OutputTree::has_errors`],
//! report every error and write nothing; else [`write_tree`].

mod check;
mod error;
mod insert;
mod meta;
mod tree;
mod write;
mod zip;

#[cfg(all(test, unix))]
mod testutil;

pub use check::{
    check_tree, files_under, read_manifest, remove_stale, write_manifest, CheckReport, MANIFEST,
};
pub use error::OutputError;
pub use insert::{insert, InsertError, InsertionStyle};
pub use tree::{is_archive, normalize_location, ApplyError, Location, NamePolicy, OutputTree};
pub use write::{write_location, write_tree, write_whole_file, WriteSummary};
pub use zip::zip_bytes;
