//! The apply stage: responses decoded and applied to one output tree in declared order, with
//! protoc's rules and messages. A failed plugin stops the run there; an output error (a
//! duplicate file, a failed insertion) is reported and later plugins go on; then protoc's
//! checks of what the plugin supports.

use std::ops::ControlFlow;

use prost::Message;
use prost_types::compiler::CodeGeneratorResponse;

use super::run::Ran;
use super::{timing, Failure, Report};
use crate::descriptor_set::FileSet;
use crate::feature_check::{self, EditionBounds};
use crate::model::{PluginRun, Run};
use crate::output::OutputTree;
use crate::plugins::{builtins, PluginError, PluginSource, RunOutput};

/// The tree of every response, or every line protoc would print about them.
pub fn responses(
    run: &Run,
    files: &FileSet,
    ran: Vec<Ran>,
    report: &mut Report,
) -> Result<OutputTree, Failure> {
    let mut tree = OutputTree::with_insertion(run.output.insertion).with_names(run.output.names);
    let mut lines = Vec::new();
    for Ran {
        plugin,
        files: to_generate,
        result,
        decoded,
    } in ran
    {
        let plugin = &run.plugins[plugin];
        let step = match result.and_then(|out| decode(out, decoded, plugin, report)) {
            Ok(decoded) => apply_one(
                &mut tree,
                plugin,
                decoded,
                (files, &to_generate),
                run.input.experimental_editions,
                &mut lines,
            ),
            Err(e) => {
                lines.extend(run_failure(plugin, e));
                ControlFlow::Break(())
            }
        };
        if step.is_break() {
            break;
        }
    }
    if lines.is_empty() {
        Ok(tree)
    } else {
        Err(Failure { lines })
    }
}

/// protoc's lines for a plugin that did not respond.
fn run_failure(plugin: &PluginRun, e: PluginError) -> Vec<String> {
    let label = format!("{}: {}", plugin.origin, plugin.name);
    // A built-in generator nothing serves: say how to get the module, not protoc's PATH advice.
    let missing_builtin = (plugin.source == PluginSource::NotFound)
        .then(|| plugin.name.strip_prefix("protoc-gen-"))
        .flatten()
        .filter(|name| builtins::is_builtin(name));
    match (e, missing_builtin) {
        (PluginError::NotFound, Some(name)) => {
            vec![format!("{}: {}", plugin.origin, builtins::missing(name))]
        }
        (e @ PluginError::NotFound, None) => vec![
            format!("{}: {}", plugin.source.program(&plugin.name), e),
            format!("{label}: {}", PluginError::Exit(1)),
        ],
        (e, _) => vec![format!("{label}: {e}")],
    }
}

/// Applies one response; breaks where protoc stops.
fn apply_one(
    tree: &mut OutputTree,
    plugin: &PluginRun,
    (response, bounds): (CodeGeneratorResponse, EditionBounds),
    (files, to_generate): (&FileSet, &[String]),
    experimental_editions: bool,
    lines: &mut Vec<String>,
) -> ControlFlow<()> {
    let applied = tree.apply(&plugin.out, &plugin.name, &response);
    let errors = applied.err().map(|e| e.errors).unwrap_or_default();
    let plugin_failed = errors.iter().any(|e| e.is_plugin_failure());
    for e in errors {
        let prefix = if e.is_plugin_failure() {
            format!("{}: ", plugin.origin)
        } else {
            String::new()
        };
        lines.push(format!("{prefix}{e}"));
    }
    if plugin_failed {
        return ControlFlow::Break(());
    }
    let missing = feature_check::check(
        files,
        to_generate,
        &plugin.name,
        response.supported_features(),
        &bounds,
        experimental_editions,
    );
    if !missing.is_empty() || !response.error().is_empty() {
        lines.push(format!("{missing}{}: {}", plugin.origin, response.error()));
        return ControlFlow::Break(());
    }
    ControlFlow::Continue(())
}

/// A response decoded, with the edition bounds prost-types has no fields for.
pub type Decoded = Result<(CodeGeneratorResponse, EditionBounds), PluginError>;

/// Decodes a plugin's stdout (done in the run stage, on all cores).
pub fn decode_stdout(stdout: &[u8]) -> Decoded {
    let unparseable = |_| {
        PluginError::Io(format!(
            "Plugin output is unparseable: {}",
            c_escape_prefix(stdout, 256)
        ))
    };
    let response = CodeGeneratorResponse::decode(stdout).map_err(unparseable)?;
    let bounds = EditionBounds::decode(stdout).map_err(unparseable)?;
    Ok((response, bounds))
}

/// A run's response, decoded (`decoded`, when the run stage did it), its timings reported.
fn decode(
    out: RunOutput,
    decoded: Option<Decoded>,
    plugin: &PluginRun,
    report: &mut Report,
) -> Decoded {
    for (what, took) in &out.timings {
        report
            .timings
            .push(timing(&format!("{} {what}", plugin.name), *took));
    }
    report.timings.push(format!(
        "{} response from: {}",
        plugin.name,
        out.source.label()
    ));
    decoded.unwrap_or_else(|| decode_stdout(&out.stdout))
}

/// protoc prints the whole output C-escaped; a plugin can write megabytes, so only a prefix is shown.
fn c_escape_prefix(bytes: &[u8], max: usize) -> String {
    let mut s = String::new();
    for &b in bytes.iter().take(max) {
        match b {
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            b'"' => s.push_str("\\\""),
            b'\'' => s.push_str("\\'"),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\{b:03o}")),
        }
    }
    if bytes.len() > max {
        s.push_str(&format!("... ({} bytes in all)", bytes.len()));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unparseable_output_is_escaped_and_bounded() {
        assert_eq!(c_escape_prefix(b"\xff\x0fa\"\n", 10), "\\377\\017a\\\"\\n");
        let long = vec![b'x'; 300];
        assert!(c_escape_prefix(&long, 256).ends_with("... (300 bytes in all)"));
    }
}
