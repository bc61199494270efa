//! buf's type filters against buf 1.75 itself: the capture plugin under `buf generate` and
//! `protowasm generate` on the managed-mode workspace, with `types` and `exclude_types` at the
//! plugin and input levels, v1's `types.include` and the `--type`/`--exclude-type` flags. The
//! requests must be equal as decoded messages: which files are left, their imports, the
//! elements kept, and the source locations moved with them.

use std::path::Path;

use prost_types::compiler::CodeGeneratorRequest;

use crate::buf_generate::protowasm;
use crate::buf_managed::{capture_entry, captured, file, same_request_as_buf_with};
use crate::support::*;

const WEATHER: &str = "acme/weather/v1/weather_service.proto";

fn names(r: &CodeGeneratorRequest) -> Vec<String> {
    r.proto_file.iter().map(|f| f.name().to_string()).collect()
}

fn messages(r: &CodeGeneratorRequest, file_name: &str) -> Vec<String> {
    file(r, file_name)
        .message_type
        .iter()
        .map(|m| m.name().to_string())
        .collect()
}

/// The v2 capture plugin with `keys` added to its entry.
fn plugin_with(keys: &str) -> String {
    format!("version: v2\n{}{keys}", capture_entry("v2"))
}

#[test]
fn a_plugins_types_keep_the_type_and_what_it_needs() {
    let r = same_request_as_buf_with(&plugin_with("    types: [acme.weather.v1.Reading]\n"), &[]);
    // The imports left are generated too (--include-imports); svc.proto is gone.
    assert_eq!(
        r.file_to_generate,
        [
            "google/protobuf/timestamp.proto",
            "units/v1/units.proto",
            WEATHER
        ]
    );
    assert_eq!(messages(&r, WEATHER), ["Reading"], "Unused goes");
    assert!(names(&r).contains(&"units/v1/units.proto".to_string()));
    assert!(!names(&r).contains(&"svc/v1/svc.proto".to_string()));
}

#[test]
fn exclude_types_drop_fields_of_excluded_types_and_emptied_oneofs() {
    let r = same_request_as_buf_with(
        &plugin_with("    exclude_types: [units.v1.Length, acme.weather.v1.Reading.Inner, acme.weather.v1.Status]\n"),
        &[],
    );
    let reading = &file(&r, WEATHER).message_type[0];
    let fields: Vec<&str> = reading.field.iter().map(|f| f.name()).collect();
    assert!(!fields.contains(&"height") && !fields.contains(&"len") && !fields.contains(&"inner"));
    assert!(!fields.contains(&"status"));
    assert_eq!(
        reading
            .oneof_decl
            .iter()
            .map(|o| o.name())
            .collect::<Vec<_>>(),
        ["choice"]
    );
    assert!(!names(&r).contains(&"units/v1/units.proto".to_string()));
}

#[test]
fn an_input_types_filter_and_the_flags() {
    // v2 input level.
    let template = format!(
        "version: v2\n{}inputs:\n  - directory: .\n    types: [svc.v1.WeatherService]\n",
        capture_entry("v2")
    );
    let r = same_request_as_buf_with(&template, &[]);
    assert!(r.file_to_generate.contains(&"svc/v1/svc.proto".to_string()));
    // The flags override the template; a method, a package and a recursive package.
    for args in [
        &["--type", "svc.v1.WeatherService.Get"][..],
        &["--type", "acme.weather.v1"],
        &["--type", "acme.**"],
        &[
            "--type",
            "acme.weather.v1.Reading",
            "--exclude-type",
            "acme.weather.v1.Reading.Inner",
        ],
        &["--exclude-type", "acme.weather.v1.Unused"],
        &["--type", "acme.weather.v1.weight"],
    ] {
        same_request_as_buf_with(&plugin_with(""), args);
    }
}

#[test]
fn a_v1_templates_types_include() {
    let template = format!(
        "version: v1\n{}types:\n  include:\n    - acme.weather.v1.Status\n    - g.p.b.X\n",
        capture_entry("v1")
    );
    let r = same_request_as_buf_with(&template, &[]);
    assert_eq!(messages(&r, WEATHER), Vec::<String>::new());
    assert_eq!(file(&r, WEATHER).enum_type.len(), 1);
}

#[test]
fn types_with_managed_mode_filter_before_and_after_it() {
    let template = format!(
        "version: v2\nmanaged:\n  enabled: true\n  override:\n    - file_option: go_package_prefix\n      value: example.com/gen\n{}    types: [svc.v1.Page]\ninputs:\n  - directory: .\n    exclude_types: [acme.weather.v1.Unused]\n",
        capture_entry("v2")
    );
    same_request_as_buf_with(&template, &[]);
}

#[test]
fn bad_type_names_fail_as_in_buf_and_write_nothing() {
    let cases = [
        (
            &["--type", "acme.Nope"][..],
            "inclusion of type \"acme.Nope\": not found",
        ),
        (
            &["--type", "units.v1.Length"],
            "type declared in imported module",
        ),
        (
            &[
                "--type",
                "acme.weather.v1.Reading",
                "--exclude-type",
                "acme.weather.v1.Reading",
            ],
            "type excluded by filter",
        ),
        (
            &["--type", "acme.*"],
            "the only supported wildcard is \".**\"",
        ),
        (
            &["--exclude-type", "acme.Nope"],
            "exclusion of type \"acme.Nope\": not found",
        ),
        (&["--type", "acme"], "package contains no types directly"),
    ];
    for (args, expected) in cases {
        for program in [buf(), protowasm().as_path()] {
            let run = captured(program, &plugin_with(""), args).expect_err("filter accepted");
            assert!(
                run.stderr.contains(expected),
                "{} {args:?}: expected {expected:?} in:\n{}",
                program.display(),
                run.stderr
            );
        }
    }
    // The plugin level names the plugin.
    let run = captured(
        Path::new(&protowasm()),
        &plugin_with("    types: [acme.Nope]\n"),
        &[],
    )
    .expect_err("filter accepted");
    assert!(
        run.stderr.contains("plugins[0]") && run.stderr.contains("types"),
        "{}",
        run.stderr
    );
}
