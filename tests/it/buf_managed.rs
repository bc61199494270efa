//! Managed mode against buf 1.75 itself: a capture plugin runs under `buf generate` and under
//! `protowasm generate` on the same workspace and template, and the two requests must be equal
//! as decoded messages (every option of every file, imports and deps included), with the
//! source locations compared as sets (buf's compiler orders them differently).
//!
//! The workspace has two modules (`proto/`, named buf.build/acme/core, and `api/`, unnamed)
//! and a dep (buf.build/acme/units) served from a buf module cache laid out by the test, so
//! that `module`, `path` and `field` rules all have something to match and something to miss.

use std::path::Path;
use std::process::{Command, Stdio};

use prost::Message;
use prost_types::compiler::CodeGeneratorRequest;

use crate::buf_generate::protowasm;
use crate::managed_workspace::workspace;
use crate::request_compare::{assert_same_file, assert_same_request, sorted};
use crate::support::*;

/// The template's plugin entry: the capture plugin, all files in one request.
pub(crate) fn capture_entry(version: &str) -> String {
    let capture = capture_plugin().display().to_string();
    match version {
        "v2" => format!("plugins:\n  - local: {capture}\n    out: gen\n    strategy: all\n"),
        _ => format!(
            "plugins:\n  - name: capture\n    path: {capture}\n    out: gen\n    strategy: all\n"
        ),
    }
}

/// Runs `program generate --include-imports --include-wkt ARGS` in the workspace with
/// `template` and returns the captured request.
pub(crate) fn captured(
    program: &Path,
    template: &str,
    args: &[&str],
) -> Result<CodeGeneratorRequest, Run> {
    let dir = tempfile::tempdir().unwrap();
    workspace(dir.path());
    let ws = dir.path().join("ws");
    std::fs::write(ws.join("buf.gen.yaml"), template).unwrap();
    let mut all = vec!["generate", "--include-imports", "--include-wkt"];
    all.extend(args);
    captured_request(program, &ws, &all, Some(&dir.path().join("cache")))
}

/// The requests buf and protowasm send for `template` must be equal as decoded messages.
/// Returns protowasm's.
#[track_caller]
fn same_request_as_buf(template: &str) -> CodeGeneratorRequest {
    same_request_as_buf_with(template, &[])
}

/// [`same_request_as_buf`] with more arguments for both.
#[track_caller]
pub(crate) fn same_request_as_buf_with(template: &str, args: &[&str]) -> CodeGeneratorRequest {
    let theirs = captured(buf(), template, args)
        .unwrap_or_else(|run| panic!("buf generate failed:\n{}", run.stderr));
    let ours = captured(&protowasm(), template, args)
        .unwrap_or_else(|run| panic!("protowasm generate failed:\n{}", run.stderr));
    assert_same_request(&ours, &theirs);
    ours
}

pub(crate) fn file<'a>(
    r: &'a CodeGeneratorRequest,
    name: &str,
) -> &'a prost_types::FileDescriptorProto {
    r.proto_file
        .iter()
        .find(|f| f.name() == name)
        .unwrap_or_else(|| panic!("{name} not in the request"))
}

const WEATHER: &str = "acme/weather/v1/weather_service.proto";

#[test]
fn enabled_alone_sets_buf_defaults_on_every_file_but_the_well_known_types() {
    let r = same_request_as_buf(&format!(
        "version: v2\nmanaged:\n  enabled: true\n{}",
        capture_entry("v2")
    ));
    let o = file(&r, WEATHER).options.clone().unwrap();
    assert_eq!(o.java_package(), "com.acme.weather.v1");
    assert_eq!(o.java_outer_classname(), "WeatherServiceProto");
    assert!(o.java_multiple_files());
    assert_eq!(o.objc_class_prefix(), "AWX");
    assert_eq!(o.php_namespace(), "Acme\\Weather\\V1");
    // The dep is modified too; the well-known types are not.
    let units = file(&r, "units/v1/units.proto").options.clone().unwrap();
    assert_eq!(units.java_package(), "com.units.v1");
    let ts = file(&r, "google/protobuf/timestamp.proto")
        .options
        .clone()
        .unwrap();
    assert_eq!(ts.java_package(), "com.google.protobuf");
    assert_eq!(
        file(&r, "acme/class/v1beta1/php-reserved_file.proto")
            .options
            .as_ref()
            .unwrap()
            .php_namespace(),
        "Acme\\Class_\\V1beta1"
    );
}

#[test]
fn go_package_prefix_with_module_and_path_rules() {
    let r = same_request_as_buf(&format!(
        "version: v2\nmanaged:\n  enabled: true\n  disable:\n    - module: buf.build/acme/units\n      file_option: go_package\n    - path: gpb\n  override:\n    - file_option: go_package_prefix\n      value: github.com/acme/gen\n    - file_option: go_package_prefix\n      module: buf.build/acme/core\n      value: github.com/acme/core/gen/\n    - file_option: go_package\n      path: acme/class\n      value: example.com/class;classpb\n    - file_option: go_package_prefix\n      path: svc/v1/svc.proto\n      value: example.com/svc\n{}",
        capture_entry("v2")
    ));
    let go = |name: &str| {
        file(&r, name)
            .options
            .as_ref()
            .map(|o| o.go_package().to_string())
            .unwrap_or_default()
    };
    assert_eq!(
        go(WEATHER),
        "github.com/acme/core/gen/acme/weather/v1;weatherv1"
    );
    assert_eq!(go("units/v1/units.proto"), "example.com/units/v1;unitsv1");
    assert_eq!(go("svc/v1/svc.proto"), "example.com/svc/svc/v1;svcv1");
}

#[test]
fn every_file_option_by_value_prefix_and_suffix() {
    let overrides = [
        ("java_package_prefix", "org"),
        ("java_package_suffix", "api"),
        ("java_outer_classname", "Outer"),
        ("java_multiple_files", "false"),
        ("java_string_check_utf8", "false"),
        ("optimize_for", "LITE_RUNTIME"),
        ("go_package", "example.com/all;all"),
        ("cc_enable_arenas", "true"),
        ("objc_class_prefix", "ACM"),
        ("csharp_namespace_prefix", "Company"),
        ("php_namespace", "Acme\\Php"),
        ("php_metadata_namespace_suffix", "Meta"),
        ("ruby_package_suffix", "Proto"),
        ("swift_prefix", "AC"),
    ];
    let mut template = "version: v2\nmanaged:\n  enabled: true\n  override:\n".to_string();
    for (option, value) in overrides {
        template +=
            &format!("    - file_option: {option}\n      path: acme\n      value: {value}\n");
    }
    // Value overrides on other files: a value clears a prefix; a later prefix wins again.
    template += "    - file_option: java_package\n      value: net.fixed\n    - file_option: java_package_prefix\n      path: svc\n      value: io\n    - file_option: csharp_namespace\n      path: svc\n      value: Svc.Cs\n    - file_option: php_metadata_namespace\n      path: nopkg.proto\n      value: Meta\\Data\n    - file_option: ruby_package\n      module: buf.build/acme/units\n      value: Units::Rb\n";
    template += &capture_entry("v2");
    let r = same_request_as_buf(&template);
    let o = file(&r, WEATHER).options.clone().unwrap();
    assert_eq!(
        o.java_package(),
        "net.fixed",
        "the later value override wins"
    );
    assert_eq!(
        o.optimize_for(),
        prost_types::file_options::OptimizeMode::LiteRuntime
    );
    assert_eq!(o.ruby_package(), "Acme::Weather::V1::Proto");
    assert_eq!(
        file(&r, "svc/v1/svc.proto")
            .options
            .as_ref()
            .unwrap()
            .java_package(),
        "io.svc.v1"
    );
}

#[test]
fn disable_rules_by_option_path_module_and_field() {
    let template = format!(
        "version: v2\nmanaged:\n  enabled: true\n  disable:\n    - file_option: java_package\n    - path: acme/class/v1beta1/php-reserved_file.proto\n    - module: buf.build/acme/core\n      file_option: objc_class_prefix\n    - field_option: jstype\n      field: acme.weather.v1.Reading.id\n    - file_option: go_package_prefix\n      path: api\n  override:\n    - file_option: java_package\n      value: never.used\n    - file_option: go_package_prefix\n      value: example.com/gen\n    - field_option: jstype\n      value: JS_STRING\n    - field_option: jstype\n      field: acme.weather.v1.Reading.delta\n      value: JS_NUMBER\n    - field_option: jstype\n      path: units\n      value: JS_NORMAL\n{}",
        capture_entry("v2")
    );
    let r = same_request_as_buf(&template);
    let weather = file(&r, WEATHER);
    let o = weather.options.clone().unwrap();
    assert_eq!(o.java_package(), "", "disabled everywhere");
    let jstype = |field: &str| {
        weather.message_type[0]
            .field
            .iter()
            .find(|f| f.name() == field)
            .and_then(|f| f.options.as_ref())
            .map(|o| o.jstype())
    };
    use prost_types::field_options::JsType;
    assert_eq!(jstype("count"), Some(JsType::JsString));
    assert_eq!(jstype("delta"), Some(JsType::JsNumber));
    assert_eq!(jstype("id"), None, "disabled for this field");
    assert_eq!(jstype("small"), None, "not a 64-bit field");
}

#[test]
fn a_v1_template_translates_as_buf_translates_it() {
    let template = format!(
        "version: v1\nmanaged:\n  enabled: true\n  cc_enable_arenas: true\n  java_multiple_files: false\n  java_string_check_utf8: false\n  java_package_prefix: net\n  optimize_for: SPEED\n  go_package_prefix:\n    default: github.com/acme/gen\n    except:\n      - buf.build/acme/units\n    override:\n      buf.build/acme/core: github.com/acme/core\n  csharp_namespace:\n    except: [buf.build/acme/units]\n    override:\n      buf.build/acme/core: Acme.Core\n  objc_class_prefix:\n    default: XYZ\n    override:\n      buf.build/acme/units: UNI\n  ruby_package:\n    override:\n      buf.build/acme/core: Core::Rb\n  swift_prefix:\n    default: SW\n    except: [buf.build/acme/core]\n  override:\n    JAVA_PACKAGE:\n      acme/weather/v1/weather_service.proto: org.weather\n    java_multiple_files:\n      svc/v1/svc.proto: \"true\"\n    GO_PACKAGE:\n      svc/v1/svc.proto: example.com/svc;svc\n{}",
        capture_entry("v1")
    );
    let r = same_request_as_buf(&template);
    let o = file(&r, WEATHER).options.clone().unwrap();
    assert_eq!(o.java_package(), "org.weather");
    assert_eq!(
        o.go_package(),
        "github.com/acme/core/acme/weather/v1;weatherv1"
    );
}

#[test]
fn a_v1_template_with_the_short_forms_and_optimize_for_rules() {
    let template = format!(
        "version: v1\nmanaged:\n  enabled: true\n  java_package_prefix:\n    default: io\n    except: [buf.build/acme/units]\n    override:\n      buf.build/acme/core: dev\n  optimize_for:\n    default: CODE_SIZE\n    except: [buf.build/acme/core]\n{}",
        capture_entry("v1")
    );
    same_request_as_buf(&template);
}

#[test]
fn a_v1beta1_template_with_options() {
    let capture = capture_plugin().display().to_string();
    let template = format!(
        "version: v1beta1\nmanaged: true\noptions:\n  cc_enable_arenas: false\n  java_multiple_files: false\n  optimize_for: LITE_RUNTIME\nplugins:\n  - name: capture\n    path: {capture}\n    out: gen\n    strategy: all\n"
    );
    let r = same_request_as_buf(&template);
    let o = file(&r, WEATHER).options.clone().unwrap();
    assert_eq!(o.java_package(), "com.acme.weather.v1");
}

#[test]
fn rules_without_enabled_change_nothing() {
    for template in [
        format!(
            "version: v2\nmanaged:\n  override:\n    - file_option: go_package_prefix\n      value: x.com/y\n{}",
            capture_entry("v2")
        ),
        format!(
            "version: v1\nmanaged:\n  go_package_prefix:\n    default: x.com/y\n{}",
            capture_entry("v1")
        ),
    ] {
        let r = same_request_as_buf(&template);
        assert_eq!(
            file(&r, WEATHER).options.as_ref().unwrap().go_package(),
            "old/go/weather"
        );
    }
}

#[test]
fn the_last_matching_override_wins_and_values_clear_prefixes() {
    let template = format!(
        "version: v2\nmanaged:\n  enabled: true\n  override:\n    - file_option: java_package_suffix\n      value: sfx\n    - file_option: java_package_prefix\n      value: first\n    - file_option: java_package\n      path: acme/weather\n      value: a.value\n    - file_option: java_package_prefix\n      path: acme/weather/v1\n      value: second\n    - file_option: csharp_namespace\n      value: Cs.Value\n    - file_option: csharp_namespace_prefix\n      path: acme\n      value: Pre\n    - file_option: objc_class_prefix\n      module: buf.build/acme/units\n      value: UNT\n    - file_option: objc_class_prefix\n      value: ALL\n{}",
        capture_entry("v2")
    );
    let r = same_request_as_buf(&template);
    let o = file(&r, WEATHER).options.clone().unwrap();
    assert_eq!(o.java_package(), "second.acme.weather.v1");
    assert_eq!(o.csharp_namespace(), "Pre.Acme.Weather.V1");
}

#[test]
fn a_buf_work_yaml_workspace_with_named_v1_modules() {
    // The same files as a v1 workspace: buf.work.yaml and a v1 buf.yaml with a name per
    // directory.
    let template = format!(
        "version: v1\nmanaged:\n  enabled: true\n  go_package_prefix:\n    default: example.com/gen\n    override:\n      buf.build/acme/api: example.com/api\n{}",
        capture_entry("v1")
    );
    let run = |program: &Path| {
        let dir = tempfile::tempdir().unwrap();
        workspace(dir.path());
        let ws = dir.path().join("ws");
        std::fs::remove_file(ws.join("buf.yaml")).unwrap();
        std::fs::remove_file(ws.join("buf.lock")).unwrap();
        // The dep is not part of a v1 workspace here: drop the file that imports it.
        std::fs::remove_file(ws.join("proto/acme/weather/v1/weather_service.proto")).unwrap();
        std::fs::remove_file(ws.join("api/svc/v1/svc.proto")).unwrap();
        write_file(
            &ws,
            "buf.work.yaml",
            "version: v1\ndirectories: [proto, api]\n",
        );
        write_file(
            &ws,
            "proto/buf.yaml",
            "version: v1\nname: buf.build/acme/core\n",
        );
        write_file(
            &ws,
            "api/buf.yaml",
            "version: v1\nname: buf.build/acme/api\n",
        );
        write_file(&ws, "api/svc/v1/svc.proto", "syntax = \"proto3\";\npackage svc.v1;\nimport \"acme/class/v1beta1/php-reserved_file.proto\";\nmessage Page { acme.class.v1beta1.Klass k = 1; }\n");
        std::fs::write(ws.join("buf.gen.yaml"), &template).unwrap();
        let captured = dir.path().join("request.bin");
        let output = Command::new(program)
            .args(["generate", "--include-imports"])
            .current_dir(&ws)
            .env("PROTOWASM_CACHE_DIR", shared_cache())
            .env("CAPTURE_FILE", &captured)
            .env("CAPTURE_EDITIONS", "1")
            .env_remove("PROTOWASM_REGISTRY")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        Run::from(output).assert_ok();
        CodeGeneratorRequest::decode(&std::fs::read(&captured).unwrap()[..]).unwrap()
    };
    let (theirs, ours) = (run(buf()), run(&protowasm()));
    assert_eq!(ours.file_to_generate, theirs.file_to_generate);
    assert_eq!(ours.proto_file.len(), theirs.proto_file.len());
    for (o, t) in ours.proto_file.iter().zip(&theirs.proto_file) {
        assert_same_file(&sorted(o), &sorted(t));
    }
    assert_eq!(
        file(&ours, "svc/v1/svc.proto")
            .options
            .as_ref()
            .unwrap()
            .go_package(),
        "example.com/api/svc/v1;svcv1"
    );
}

#[test]
fn bad_rules_name_the_file_line_and_key_and_write_nothing() {
    let bad = [
        (
            "version: v2\nmanaged:\n  enabled: true\n  override:\n    - file_option: java_pkg\n      value: x\n",
            "unknown file_option: \"java_pkg\"",
        ),
        (
            "version: v2\nmanaged:\n  enabled: true\n  override:\n    - file_option: go_package\n      field_option: jstype\n      value: x\n",
            "exactly one of file_option and field_option",
        ),
        (
            "version: v2\nmanaged:\n  enabled: true\n  override:\n    - path: a\n      value: x\n",
            "must set file_option or field_option",
        ),
        (
            "version: v2\nmanaged:\n  enabled: true\n  override:\n    - file_option: go_package\n      field: a.B.c\n      value: x\n",
            "must not set field for a file_option override",
        ),
        (
            "version: v2\nmanaged:\n  enabled: true\n  disable:\n    - file_option: go_package\n      field: a.B.c\n",
            "cannot disable a file option for a field",
        ),
        (
            "version: v2\nmanaged:\n  enabled: true\n  override:\n    - file_option: java_multiple_files\n      value: yes please\n",
            "invalid value yes please for java_multiple_files: expected a bool, got string",
        ),
        (
            "version: v2\nmanaged:\n  enabled: true\n  override:\n    - file_option: optimize_for\n      value: 3\n",
            "invalid value 3 for optimize_for",
        ),
        (
            "version: v2\nmanaged:\n  enabled: true\n  override:\n    - file_option: go_package_suffix\n      value: x\n",
            "unknown file_option: \"go_package_suffix\"",
        ),
        (
            "version: v2\nmanaged:\n  enabled: true\n  disable:\n    - {}\n",
            "empty disable rule is not allowed",
        ),
        (
            "version: v2\nmanaged:\n  enabled: true\n  override:\n    - file_option: go_package\n      value: x\n      module: acme\n",
            "invalid module name",
        ),
        (
            "version: v1\nmanaged:\n  enabled: true\n  go_package_prefix:\n    except: [buf.build/a/b]\n",
            "go_package_prefix requires a default value",
        ),
        (
            "version: v1\nmanaged:\n  enabled: true\n  override:\n    JAVA_PKG:\n      a.proto: x\n",
            "\"JAVA_PKG\" is not a valid file option",
        ),
        (
            "version: v2\nmanaged:\n  enabled: true\n  overide:\n    - file_option: go_package\n",
            "field overide not found",
        ),
    ];
    for (managed, expected) in bad {
        let dir = tempfile::tempdir().unwrap();
        workspace(dir.path());
        let ws = dir.path().join("ws");
        let plugins = if managed.starts_with("version: v2") {
            capture_entry("v2")
        } else {
            capture_entry("v1")
        };
        std::fs::write(ws.join("buf.gen.yaml"), format!("{managed}{plugins}")).unwrap();
        let output = Command::new(protowasm())
            .arg("generate")
            .current_dir(&ws)
            .env("BUF_CACHE_DIR", dir.path().join("cache"))
            .env("PROTOWASM_CACHE_DIR", shared_cache())
            .env("CAPTURE_FILE", dir.path().join("request.bin"))
            .env_remove("PROTOWASM_REGISTRY")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let run = Run::from(output);
        run.assert_failed();
        assert!(
            run.stderr.contains("buf.gen.yaml") && run.stderr.contains(expected),
            "{managed}\nexpected {expected:?} in:\n{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("line "),
            "{managed}: no line in:\n{}",
            run.stderr
        );
        assert!(!dir.path().join("request.bin").exists(), "the plugin ran");
        assert!(!ws.join("gen").exists());
        // buf refuses it too.
        let output = Command::new(buf())
            .arg("generate")
            .current_dir(&ws)
            .env("BUF_CACHE_DIR", dir.path().join("cache"))
            .env("CAPTURE_FILE", dir.path().join("request.bin"))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(!output.status.success(), "buf accepted:\n{managed}");
    }
}
