//! Rewrites of compiled files between compiling and building requests, as buf makes them:
//! managed mode (`managed`) sets file and field options; the type filter (`types`) keeps only
//! the named types and what they need. The engine's transform stage applies them in the order
//! the run lists them.

pub mod managed;
mod wire;

use crate::compiler::descriptor::{DescriptorProto, FileDescriptorProto, RawOptions};

/// Removes every options message that holds nothing. protoc sends one where removing
/// source-retention options emptied it (`extensions 1 to 2 [declaration = ...]` in
/// descriptor.proto gives `options {}`); buf's compiler leaves it out. Returns whether
/// anything was removed.
pub fn drop_empty_options(file: &mut FileDescriptorProto) -> bool {
    fn empty(options: &mut Option<RawOptions>) -> bool {
        let is_empty = options
            .as_ref()
            .is_some_and(|o| o.raw.is_empty() && o.uninterpreted.is_empty());
        if is_empty {
            *options = None;
        }
        is_empty
    }
    fn message(m: &mut DescriptorProto) -> bool {
        let mut changed = empty(&mut m.options);
        for f in m.field.iter_mut().chain(m.extension.iter_mut()) {
            changed |= empty(&mut f.options);
        }
        for n in &mut m.nested_type {
            changed |= message(n);
        }
        for e in &mut m.enum_type {
            changed |= empty(&mut e.options);
            for v in &mut e.value {
                changed |= empty(&mut v.options);
            }
        }
        for r in &mut m.extension_range {
            changed |= empty(&mut r.options);
        }
        for o in &mut m.oneof_decl {
            changed |= empty(&mut o.options);
        }
        changed
    }
    let mut changed = empty(&mut file.options);
    for m in &mut file.message_type {
        changed |= message(m);
    }
    for e in &mut file.enum_type {
        changed |= empty(&mut e.options);
        for v in &mut e.value {
            changed |= empty(&mut v.options);
        }
    }
    for f in &mut file.extension {
        changed |= empty(&mut f.options);
    }
    for s in &mut file.service {
        changed |= empty(&mut s.options);
        for m in &mut s.method {
            changed |= empty(&mut m.options);
        }
    }
    changed
}

/// Drops the newline that ends each trailing comment, as buf 1.75's compiler does: its lexer
/// keeps a line comment's newline out of the comment (protoc keeps it in). Returns whether
/// anything changed.
pub fn trailing_comments_as_buf(file: &mut FileDescriptorProto) -> bool {
    let Some(info) = &mut file.source_code_info else {
        return false;
    };
    let mut changed = false;
    for location in &mut info.location {
        let Some(comments) = &mut location.comments else {
            continue;
        };
        if let Some(trailing) = &mut comments.trailing {
            if trailing.last() == Some(&b'\n') {
                trailing.pop();
                changed = true;
            }
        }
    }
    changed
}
