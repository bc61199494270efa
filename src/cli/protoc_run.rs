//! From protoc's parsed command line to the engine's [`Run`]: each `--NAME_out` resolved to its
//! plugin, in protoc's form: its `compiler_version` in every request, one request with every
//! input, output directories that must already exist, `-o` and `--dependency_out` as given.

use crate::config::Registry;
use crate::model::{DescriptorSetOut, FilesMode, Grouping, Input, Output, PluginRun, Run};
use crate::plugins;

use super::protoc::ProtocArgs;

/// The run `args` asks for, with plugins looked up in `registry`.
pub fn to_run(args: ProtocArgs, registry: &Registry) -> Run {
    let plugins = args
        .outputs
        .iter()
        .map(|directive| {
            let resolved = plugins::resolve(&directive.plugin_name, &args.plugins, registry);
            PluginRun {
                origin: directive.flag.clone(),
                name: directive.plugin_name.clone(),
                parameter: resolved.parameter(&directive.parameter),
                limits: args.limits.resolve(resolved.limits),
                cache: args.output_cache,
                requests: Grouping {
                    split_across_cores: resolved.per_file,
                    ..Grouping::default()
                },
                types: Default::default(),
                out: directive.location.clone(),
                source: resolved.source,
            }
        })
        .collect();
    let edition_defaults = edition_defaults_out(&args);
    let descriptor_set = args.descriptor_set_out.map(|path| DescriptorSetOut {
        path,
        include_imports: args.include_imports,
        include_source_info: args.include_source_info,
        retain_options: args.retain_options,
    });
    Run {
        warnings: args.warnings,
        input: Input {
            files: args.inputs,
            proto_paths: args.proto_paths,
            descriptor_sets: args.descriptor_set_in,
            error_format: args.error_format,
            rules: args.rules,
            experimental_editions: args.experimental_editions,
        },
        transforms: Vec::new(),
        compiler_version: Some(args.compiler_version.unwrap_or_default()),
        proto_file_order: Default::default(),
        plugins,
        output: Output {
            files: FilesMode::default(),
            descriptor_set,
            dependency_file: args.dependency_out,
            fatal_warnings: args.fatal_warnings,
            insertion: Default::default(),
            print_free_field_numbers: args.print_free_field_numbers,
            names: crate::output::NamePolicy::Protoc {
                allow_escape: args.unsafe_allow_out_dir_escape,
            },
            edition_defaults,
        },
        compile_cache: args.output_cache,
        codegen_trace: args.codegen_trace,
    }
}

/// `--edition_defaults_out` with its bounds (protoc's defaults where not given).
pub(super) fn edition_defaults_out(args: &ProtocArgs) -> Option<crate::model::EditionDefaultsOut> {
    let path = args.edition_defaults_out.clone()?;
    Some(crate::model::EditionDefaultsOut {
        path,
        minimum: args
            .edition_defaults_minimum
            .unwrap_or(crate::feature_check::PROTOC_MINIMUM_EDITION),
        maximum: args
            .edition_defaults_maximum
            .unwrap_or(crate::feature_check::PROTOC_MAXIMUM_EDITION),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::protoc::{parse, Parsed};
    use crate::model::GroupBy;
    use crate::plugins::PluginSource;
    use std::path::PathBuf;

    fn run(args: &[&str]) -> Run {
        match parse(args.iter().map(|s| s.to_string()).collect(), "protoc").unwrap() {
            Parsed::Run(a) => to_run(*a, &Registry::default()),
            Parsed::Print(p) => panic!("unexpected print: {p}"),
        }
    }

    #[test]
    fn protoc_sends_its_version_and_one_request_per_directive() {
        let r = run(&[
            "--plugin=protoc-gen-x=/p/x",
            "--x_out=a,b:out",
            "--x_opt=c",
            "--plugin-timeout=2s",
            "f.proto",
        ]);
        assert_eq!(r.compiler_version, Some(Default::default()));
        let p = &r.plugins[0];
        assert_eq!(
            (p.origin.as_str(), p.name.as_str(), p.parameter.as_str()),
            ("--x_out", "protoc-gen-x", "a,b,c")
        );
        assert_eq!(p.source, PluginSource::File(PathBuf::from("/p/x")));
        assert_eq!(p.limits.timeout, std::time::Duration::from_secs(2));
        assert_eq!(p.requests.by, GroupBy::All);
        assert_eq!(p.out, "out/");
        assert_eq!(r.output.files, FilesMode::default());
    }

    #[test]
    fn descriptor_set_flags_travel_together() {
        let r = run(&[
            "-o",
            "x.pb",
            "--include_imports",
            "--fatal_warnings",
            "f.proto",
        ]);
        let out = r.output.descriptor_set.unwrap();
        assert_eq!(out.path, PathBuf::from("x.pb"));
        assert!(out.include_imports && !out.include_source_info && !out.retain_options);
        assert!(r.output.fatal_warnings);
        assert!(r.plugins.is_empty());
    }
}
