//! Requests compared as decoded messages, buf's against protowasm's (tests/it/buf_managed.rs,
//! buf_types.rs, and the corpus runs in tests/buf_corpus.rs).

use prost_types::compiler::CodeGeneratorRequest;

/// The same files to generate, parameter, compiler version and files, each file equal as
/// [`compared`] compares them.
#[track_caller]
pub fn assert_same_request(ours: &CodeGeneratorRequest, theirs: &CodeGeneratorRequest) {
    assert_eq!(ours.file_to_generate, theirs.file_to_generate);
    assert_eq!(ours.parameter, theirs.parameter);
    assert_eq!(ours.compiler_version, theirs.compiler_version);
    let names = |r: &CodeGeneratorRequest| {
        r.proto_file
            .iter()
            .map(|f| f.name().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(ours), names(theirs));
    for (o, t) in ours.proto_file.iter().zip(&theirs.proto_file) {
        assert_same_file(&compared(o), &compared(t));
    }
}

/// A file with its source locations in one order, so that buf's and protoc's orders compare.
pub fn sorted(f: &prost_types::FileDescriptorProto) -> prost_types::FileDescriptorProto {
    let mut f = f.clone();
    if let Some(info) = &mut f.source_code_info {
        info.location
            .sort_by(|a, b| (&a.path, &a.span).cmp(&(&b.path, &b.span)));
    }
    f
}

/// What is compared of a file: all of it, its source locations in one order (buf's compiler
/// lists them in another).
pub fn compared(f: &prost_types::FileDescriptorProto) -> prost_types::FileDescriptorProto {
    sorted(f)
}

/// Equal files, or a failure that shows the lines that differ.
#[track_caller]
pub fn assert_same_file(
    ours: &prost_types::FileDescriptorProto,
    theirs: &prost_types::FileDescriptorProto,
) {
    if ours == theirs {
        return;
    }
    let (o, t) = (format!("{ours:#?}"), format!("{theirs:#?}"));
    let diff = similar::TextDiff::from_lines(&t, &o);
    let changes: Vec<String> = diff
        .unified_diff()
        .context_radius(3)
        .header("buf", "protowasm")
        .to_string()
        .lines()
        .take(80)
        .map(String::from)
        .collect();
    panic!(
        "{} differs from buf's:\n{}",
        ours.name(),
        changes.join("\n")
    );
}
