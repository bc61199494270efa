//! The plan stage: every plugin made runnable (a registry module downloaded if need be), its
//! files to generate grouped into requests as its [`Grouping`] says, and each request encoded
//! exactly as protoc encodes it.

use std::collections::HashMap;

use super::load::EntryForm;
use super::{Compiled, Failure, Prepared};
use crate::descriptor_set::FileSet;
use crate::model::{GroupBy, Grouping, Imports, PluginRun, ProtoFileOrder, Run};
use crate::plugins::{Plugin, PluginSource};
use crate::request;

/// protoc's `io::Printer::kProtocCodegenTrace`, set by `--enable_codegen_trace`.
const CODEGEN_TRACE: &str = "PROTOC_CODEGEN_TRACE";

/// One plugin run to do.
pub struct Job {
    /// Which of the run's plugins (an index into `Run::plugins`).
    pub plugin: usize,
    pub runnable: Plugin,
    pub request: Vec<u8>,
    /// The request's files to generate.
    pub files: Vec<String>,
}

/// The run's requests, plugin by plugin in declared order. They are encoded in parallel: on a
/// re-run answered from the caches, copying each request's files is a good part of the time.
pub fn jobs(run: &Run, prepared: &Prepared) -> Result<Vec<Job>, Failure> {
    use rayon::prelude::*;
    // protoc sets it without replacing a value already there (setenv's overwrite = 0); wasm
    // plugins see no environment but this.
    let trace = run
        .codegen_trace
        .then(|| std::env::var(CODEGEN_TRACE).unwrap_or_else(|_| "yes".to_string()));
    let runnable: Vec<Plugin> = run
        .plugins
        .iter()
        .map(|p| {
            let mut runnable = p.source.prepare(&p.name, &p.origin).map_err(Failure::one)?;
            if let Some(value) = &trace {
                runnable.env.retain(|(k, _)| k != CODEGEN_TRACE);
                runnable
                    .env
                    .push((CODEGEN_TRACE.to_string(), value.clone()));
            }
            Ok(runnable)
        })
        .collect::<Result<_, _>>()?;
    // A plugin's own type filter cuts the files down from what was sent to every plugin; the
    // cut files go as they are.
    let filtered: Vec<Option<(FileSet, Vec<String>)>> = run
        .plugins
        .iter()
        .map(|plugin| {
            if plugin.types.is_empty() {
                return Ok(None);
            }
            super::transform::types(&plugin.types, &prepared.files, &prepared.inputs)
                .map(Some)
                .map_err(|e| Failure::one(format!("{}: types: {e}", plugin.origin)))
        })
        .collect::<Result<_, _>>()?;
    let no_entries = HashMap::new();
    let sent = |index: usize| match &filtered[index] {
        Some((files, inputs)) => (files, inputs, &no_entries),
        None => (&prepared.files, &prepared.inputs, &prepared.entries[index]),
    };
    let mut requests: Vec<(usize, Vec<String>)> = Vec::new();
    for (index, plugin) in run.plugins.iter().enumerate() {
        let (files, inputs, _) = sent(index);
        for group in file_groups(&plugin.requests, files, inputs) {
            requests.push((index, group));
        }
    }
    let jobs = requests
        .into_par_iter()
        .map(|(index, mut group)| {
            let plugin = &run.plugins[index];
            let (files, _, entries) = sent(index);
            // buf lists a whole-image request's files in its image order; a directory's
            // request is an image of its own, built from the directory's files by path.
            let order = match (run.proto_file_order, plugin.requests.by) {
                (ProtoFileOrder::Compiled, GroupBy::All) => ProtoFileOrder::Compiled,
                _ => ProtoFileOrder::FromFilesToGenerate,
            };
            if order == ProtoFileOrder::Compiled {
                in_compiled_order(&mut group, files);
            }
            let request = request::build(
                files,
                &group,
                &plugin.parameter,
                run.compiler_version.as_ref(),
                entries,
                order,
            );
            Job {
                plugin: index,
                runnable: runnable[index].clone(),
                request,
                files: group,
            }
        })
        .collect();
    Ok(jobs)
}

/// The files to generate of each request: the inputs grouped, each group with its imports if
/// asked, each then split across cores if the plugin allows it.
fn file_groups(grouping: &Grouping, set: &FileSet, inputs: &[String]) -> Vec<Vec<String>> {
    let groups = match grouping.by {
        GroupBy::All => vec![inputs.to_vec()],
        GroupBy::Directory => by_directory(inputs),
    };
    // Imports are found in the files sent, so a type filter's cut is what counts.
    let groups = match grouping.imports {
        Imports::No => groups,
        imports => groups
            .iter()
            .map(|files| set.with_imports(files, inputs, imports == Imports::All))
            .collect(),
    };
    if !grouping.split_across_cores {
        return groups;
    }
    let parts = rayon::current_num_threads();
    groups
        .iter()
        .flat_map(|files| split_files(set, files, parts))
        .collect()
}

/// `files` in the order they were compiled (buf's image order, which is how buf lists the
/// files to generate).
fn in_compiled_order(files: &mut [String], set: &FileSet) {
    let position: HashMap<&str, usize> = set
        .files()
        .enumerate()
        .map(|(i, f)| (f.name.as_str(), i))
        .collect();
    files.sort_by_key(|f| position.get(f.as_str()).copied().unwrap_or(usize::MAX));
}

/// Groups files by directory, as buf's `strategy: directory` does: one request per directory,
/// directories in order.
fn by_directory(files: &[String]) -> Vec<Vec<String>> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for f in files {
        let dir = f.rsplit_once('/').map_or("", |(d, _)| d).to_string();
        match groups.iter_mut().find(|(d, _)| *d == dir) {
            Some((_, g)) => g.push(f.clone()),
            None => groups.push((dir, vec![f.clone()])),
        }
    }
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    groups.into_iter().map(|(_, g)| g).collect()
}

/// `files` in at most `parts` consecutive runs of about equal weight (the size of each file's
/// descriptor, a fair proxy for the work of generating it), so that parallel requests finish
/// together and, applied in order, give the files in their original order.
fn split_files(set: &FileSet, files: &[String], parts: usize) -> Vec<Vec<String>> {
    let weight = |name: &String| set.get(name).map_or(1, |f| f.bytes.len().max(1));
    let total: usize = files.iter().map(weight).sum();
    let parts = parts.clamp(1, files.len().max(1));
    let mut out: Vec<Vec<String>> = vec![Vec::new()];
    let mut done = 0;
    for name in files {
        let w = weight(name);
        // Start the next part when this file's midpoint lies past the current part's share of
        // the total (counted from the start, so that rounding does not pile up at the end).
        let past_share = (2 * done + w) * parts > 2 * total * out.len();
        if past_share && !out.last().is_some_and(Vec::is_empty) && out.len() < parts {
            out.push(Vec::new());
        }
        done += w;
        if let Some(part) = out.last_mut() {
            part.push(name.clone());
        }
    }
    out
}

/// Plugins that protoc 36.2 still sends no computed json_names, as it did when their generators
/// were built into it.
const FORMER_BUILT_INS: &[&str] = &[
    "protoc-gen-cpp",
    "protoc-gen-java",
    "protoc-gen-mutable_java",
    "protoc-gen-python",
];

/// The `proto_file` entries of the files to generate, where this plugin's request departs from
/// the usual form: the `bootstrap` parameter drops source info and computed json_names, and
/// protoc's former built-in generators get no computed json_names. A generator of the builtins
/// module gets the file as protoc's built-in would see it ([`EntryForm::BUILT_IN`]), so that
/// what it embeds (a serialized descriptor) is what protoc's built-in embeds. Only for compiled
/// inputs; files from descriptor sets are sent as they are. Made for every file the plugin may
/// be asked to generate: the inputs, or every file when its requests include imports.
pub fn generate_entries(
    compiled: Option<&Compiled>,
    set: &FileSet,
    inputs: &[String],
    plugin: &PluginRun,
) -> HashMap<String, Vec<u8>> {
    let Some(c) = compiled else {
        return HashMap::new();
    };
    // A plugin with a type filter of its own is sent the cut files as they are.
    if !plugin.types.is_empty() {
        return HashMap::new();
    }
    let form = if serves_builtin(plugin) {
        EntryForm::BUILT_IN
    } else {
        let bootstrap = plugin.parameter.split(',').any(|p| p == "bootstrap");
        let json_names = !FORMER_BUILT_INS.contains(&plugin.name.as_str()) && !bootstrap;
        if !bootstrap && json_names {
            return HashMap::new();
        }
        EntryForm {
            source_info: !bootstrap,
            json_names,
            source_retention_options: false,
        }
    };
    let all: Vec<String>;
    let names = if plugin.requests.imports == Imports::No {
        inputs
    } else {
        all = set.files().map(|f| f.name.clone()).collect();
        &all
    };
    names
        .iter()
        .filter_map(|name| Some((name.clone(), c.generate_entry(name, form)?)))
        .collect()
}

/// Whether `plugin` runs a generator of a module's `builtins` list (`--python_out` served by
/// the builtins module), rather than a plugin of its own.
pub fn serves_builtin(plugin: &PluginRun) -> bool {
    let PluginSource::Registry { entry, .. } = &plugin.source else {
        return false;
    };
    let name = plugin
        .name
        .strip_prefix("protoc-gen-")
        .unwrap_or(&plugin.name);
    entry.builtins.iter().any(|b| b == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn files_split_in_order_into_parts_of_equal_weight() {
        let names = |n: usize| (0..n).map(|i| format!("f{i}.proto")).collect::<Vec<_>>();
        let set = FileSet::default();
        for (files, parts) in [(5, 2), (10, 3), (2, 2), (1, 4), (7, 1), (8, 8), (3, 16)] {
            let all = names(files);
            let split = split_files(&set, &all, parts);
            assert_eq!(split.len(), parts.min(files), "{files} files into {parts}");
            assert_eq!(split.concat(), all, "{files} files into {parts}");
            let sizes: Vec<usize> = split.iter().map(Vec::len).collect();
            let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            assert!(max - min <= 1, "{files} files into {parts}: {sizes:?}");
        }
    }

    #[test]
    fn a_heavy_file_gets_a_part_of_its_own() {
        let mut set = FileSet::default();
        for (name, size) in [
            ("a.proto", 1000),
            ("b.proto", 10),
            ("c.proto", 10),
            ("d.proto", 10),
        ] {
            set.add_file(file_descriptor(name, size)).unwrap();
        }
        let all: Vec<String> = ["a.proto", "b.proto", "c.proto", "d.proto"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            split_files(&set, &all, 2),
            [vec!["a.proto".to_string()], all[1..].to_vec()]
        );
    }

    /// A FileDescriptorProto named `name`, padded with a package name to about `size` bytes.
    fn file_descriptor(name: &str, size: usize) -> Vec<u8> {
        let file = prost_types::FileDescriptorProto {
            name: Some(name.into()),
            package: Some("p".repeat(size)),
            ..Default::default()
        };
        file.encode_to_vec()
    }

    #[test]
    fn directories_group_in_order() {
        let files: Vec<String> = ["b/x.proto", "a/y.proto", "b/z.proto", "top.proto"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            by_directory(&files),
            [
                vec!["top.proto".to_string()],
                vec!["a/y.proto".into()],
                vec!["b/x.proto".into(), "b/z.proto".into()],
            ]
        );
    }

    #[test]
    fn groups_follow_the_grouping() {
        let set = FileSet::default();
        let inputs = ["a/1.proto", "b/2.proto", "a/3.proto"].map(String::from);
        let all = Grouping::default();
        assert_eq!(file_groups(&all, &set, &inputs), [inputs.to_vec()]);
        let by_dir = Grouping {
            by: GroupBy::Directory,
            ..all
        };
        assert_eq!(
            file_groups(&by_dir, &set, &inputs),
            [
                vec!["a/1.proto".to_string(), "a/3.proto".into()],
                vec!["b/2.proto".into()]
            ]
        );
    }
}
