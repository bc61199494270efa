//! The transform stage: rewrites of the files plugins are sent, before any request is built,
//! in the order the run lists them (`crate::transform` holds the rewrites themselves).

use prost::Message;

use super::{Failure, Loaded};
use crate::compiler::descriptor::FileDescriptorProto;
use crate::compiler::source_tree::canonicalize;
use crate::model::{ModuleRoot, Transform};
use crate::transform::managed::Managed;

/// `loaded` with every transform applied.
pub fn apply(transforms: &[Transform], mut loaded: Loaded) -> Result<Loaded, Failure> {
    for transform in transforms {
        match transform {
            Transform::Managed { rules, modules } => managed(rules, modules, &mut loaded)?,
        }
    }
    Ok(loaded)
}

/// Managed mode on every file sent, and on its copy without source-retention options.
fn managed(rules: &Managed, modules: &[ModuleRoot], loaded: &mut Loaded) -> Result<(), Failure> {
    let tree = loaded.compiled.as_ref().and_then(|c| c.tree.as_ref());
    let roots: Vec<(String, &str)> = modules
        .iter()
        .map(|m| (canonicalize(&m.root), m.name.as_str()))
        .collect();
    for file in loaded.files.files_mut() {
        // The module a file comes from: the named root its disk file was read from, joined
        // as the source tree joins them.
        let module = tree.and_then(|t| t.disk_file(&file.name)).and_then(|disk| {
            roots
                .iter()
                .find(|(root, _)| match root.as_str() {
                    "" => disk == file.name,
                    root => disk == format!("{root}/{}", file.name),
                })
                .map(|(_, name)| *name)
        });
        let name = file.name.clone();
        let rewrite = |bytes: &mut Vec<u8>| -> Result<(), Failure> {
            let mut decoded = FileDescriptorProto::decode(&bytes[..])
                .map_err(|e| Failure::one(format!("{name}: {e}")))?;
            let changed = rules
                .apply(&mut decoded, module)
                .map_err(|e| Failure::one(format!("managed mode: {name}: {e}")))?;
            if changed {
                *bytes = decoded.encode_to_vec();
            }
            Ok(())
        };
        rewrite(&mut file.bytes)?;
        if let Some(stripped) = &mut file.stripped {
            rewrite(stripped)?;
        }
    }
    Ok(())
}
