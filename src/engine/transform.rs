//! The transform stage: rewrites of the files plugins are sent, before any request is built,
//! in the order the run lists them (`crate::transform` holds the rewrites themselves).

use prost::Message;

use super::{Failure, Loaded};
use crate::compiler::descriptor::FileDescriptorProto;
use crate::compiler::retention::Stripper;
use crate::compiler::source_tree::canonicalize;
use crate::descriptor_set::{FileSet, RawFile};
use crate::model::{ModuleRoot, Transform};
use crate::transform::buf_compiler;
use crate::transform::managed::Managed;
use crate::transform::types::TypeFilter;

/// `loaded` with every transform applied.
pub fn apply(transforms: &[Transform], mut loaded: Loaded) -> Result<Loaded, Failure> {
    for transform in transforms {
        match transform {
            Transform::Managed { rules, modules } => managed(rules, modules, &mut loaded)?,
            Transform::AsBufCompiles => as_buf_compiles(&mut loaded)?,
            Transform::Types { filter, origin } => {
                (loaded.files, loaded.inputs) = types(filter, &loaded.files, &loaded.inputs)
                    .map_err(|e| Failure::one(format!("{origin}: {e}")))?;
            }
        }
    }
    Ok(loaded)
}

/// `loaded`'s files cut down by a type filter: the files kept, rewritten, and the inputs among
/// them.
/// The filter runs on the files as they are sent and, for inputs, on their copies with
/// source-retention options too.
pub fn types(
    filter: &TypeFilter,
    files: &FileSet,
    inputs: &[String],
) -> Result<(FileSet, Vec<String>), String> {
    let decode = |name: &str, bytes: &[u8]| {
        FileDescriptorProto::decode(bytes).map_err(|e| format!("{name}: {e}"))
    };
    let mut sent = Vec::new();
    let mut full = Vec::new();
    for f in files.dependency_order(inputs) {
        let is_import = !inputs.contains(&f.name);
        let with_retention = decode(&f.name, &f.bytes)?;
        let as_sent = match &f.stripped {
            Some(s) => decode(&f.name, s)?,
            None => with_retention.clone(),
        };
        full.push(crate::transform::types::File {
            descriptor: with_retention,
            is_import,
        });
        sent.push(crate::transform::types::File {
            descriptor: as_sent,
            is_import,
        });
    }
    let kept_full = crate::transform::types::filter(&full, filter)?;
    let kept_sent = crate::transform::types::filter(&sent, filter)?;
    let set = files;
    let mut files = FileSet::default();
    for (f, s) in kept_full.iter().zip(&kept_sent) {
        let name = f.name.clone().unwrap_or_default();
        let stripped = set
            .get(&name)
            .and_then(|r| r.stripped.as_ref())
            .map(|_| s.encode_to_vec());
        files
            .add_compiled(f.encode_to_vec(), stripped)
            .map_err(|_| format!("{name}: cannot encode the filtered file"))?;
    }
    // The inputs left, in their original order.
    let inputs = inputs
        .iter()
        .filter(|i| files.get(i).is_some())
        .cloned()
        .collect();
    Ok((files, inputs))
}

/// Managed mode on every file sent, and on its copy without source-retention options.
fn managed(rules: &Managed, modules: &[ModuleRoot], loaded: &mut Loaded) -> Result<(), Failure> {
    let tree = loaded.compiled.as_ref().and_then(|c| c.tree.as_ref());
    let roots: Vec<(String, &str)> = modules
        .iter()
        .map(|m| (canonicalize(&m.root), m.name.as_str()))
        .collect();
    // Finding a file's module reads the file: only when a rule names a module.
    let by_module = rules.disables.iter().any(|d| d.module.is_some())
        || rules.overrides.iter().any(|o| o.module.is_some());
    for file in loaded.files.files_mut() {
        // The module a file comes from: the named root its disk file was read from, joined
        // as the source tree joins them.
        let tree = tree.filter(|_| by_module);
        let module = tree.and_then(|t| t.disk_file(&file.name)).and_then(|disk| {
            roots
                .iter()
                .find(|(root, _)| match root.as_str() {
                    "" => disk == file.name,
                    root => disk == format!("{root}/{}", file.name),
                })
                .map(|(_, name)| *name)
        });
        rewrite(file, |name, decoded| {
            rules
                .apply(decoded, module)
                .map_err(|e| Failure::one(format!("managed mode: {name}: {e}")))
        })?;
    }
    Ok(())
}

/// The files as buf sends them: every file generated (imports too, with include_imports)
/// without its source-retention options and with no options message that this emptied, and
/// source info as buf's compiler records it.
fn as_buf_compiles(loaded: &mut Loaded) -> Result<(), Failure> {
    let Some(compiled) = &loaded.compiled else {
        return Ok(());
    };
    let stripper = Stripper::new(&compiled.pool);
    let types = buf_compiler::Types::new(compiled.pool.files());
    let tree = compiled.tree.as_ref();
    for file in loaded.files.files_mut() {
        let Some(original) = compiled.pool.file(&file.name) else {
            continue;
        };
        let source = tree
            .and_then(|t| t.open(&file.name).ok())
            .map(|o| o.contents);
        let source_as_buf = |decoded: &mut FileDescriptorProto| {
            buf_compiler::option_values_in_go_order(decoded, &types);
            if let Some(s) = source.as_deref() {
                buf_compiler::literal_option_locations_as_buf(decoded, s, &types);
                buf_compiler::trailing_comments_as_buf(decoded, s);
                buf_compiler::pseudo_option_spans_as_buf(decoded, s);
            }
        };
        // Every file gets a copy without source-retention options, which is sent when it is
        // generated (an import too, with include_imports).
        let mut stripped = stripper.strip(original);
        buf_compiler::drop_emptied_options(&mut stripped, original);
        source_as_buf(&mut stripped);
        file.stripped = Some(stripped.encode_to_vec());
        let mut full = original.clone();
        source_as_buf(&mut full);
        file.bytes = full.encode_to_vec();
    }
    Ok(())
}

/// Decodes the file (and its copy without source-retention options), lets `change` rewrite
/// it, and encodes what changed.
fn rewrite(
    file: &mut RawFile,
    mut change: impl FnMut(&str, &mut FileDescriptorProto) -> Result<bool, Failure>,
) -> Result<(), Failure> {
    let name = file.name.clone();
    let mut one = |bytes: &mut Vec<u8>| -> Result<(), Failure> {
        let mut decoded = FileDescriptorProto::decode(&bytes[..])
            .map_err(|e| Failure::one(format!("{name}: {e}")))?;
        if change(&name, &mut decoded)? {
            *bytes = decoded.encode_to_vec();
        }
        Ok(())
    };
    one(&mut file.bytes)?;
    if let Some(stripped) = &mut file.stripped {
        one(stripped)?;
    }
    Ok(())
}
