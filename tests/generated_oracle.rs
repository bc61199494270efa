//! `protowasm protoc` against protoc 36.2 on generated `.proto` files: thousands of default values
//! and option values drawn from the whole space of literals (every float exponent range,
//! subnormals, values around `FLT_MAX` and `DBL_MAX`, `inf`/`nan` with signs, hex and octal,
//! integer limits, negative zero, every escape), each file compiled by both tools. The sets
//! must be the same bytes and stderr the same text; on a difference the test names the fields
//! whose `default_value` or options differ.
//!
//! The generator is seeded, so a failure names the seed that reproduces it.

#[path = "common/rng.rs"]
mod rng;
#[path = "it/support.rs"]
#[allow(dead_code)]
mod support;

use rng::Rng;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A number literal for a float or double default, from one of the shapes protoc accepts.
fn float_literal(rng: &mut Rng, hex_and_octal: bool) -> String {
    let sign = if rng.below(3) == 0 { "-" } else { "" };
    let body = match rng.below(13) {
        0 => rng
            .pick(&[
                "inf", "nan", "0", "0.0", "1e400", "1e-400", "4.9e-324", "2.5e-324",
            ])
            .to_string(),
        1 => {
            // Any finite double, by its bits, printed with Rust's shortest round-trip digits.
            let d = f64::from_bits(rng.next());
            if d.is_finite() {
                format!("{:e}", d.abs())
            } else {
                "1.5".into()
            }
        }
        2 => {
            let f = f32::from_bits(rng.next() as u32);
            if f.is_finite() {
                format!("{:e}", f.abs())
            } else {
                "2.5".into()
            }
        }
        // Around FLT_MAX: either side of the point where protoc stops rounding to FLT_MAX.
        3 => format!(
            "{:e}",
            f64::from(f32::MAX) * (1.0 + (rng.unit() - 0.5) * 4e-7)
        ),
        4 => format!("{:e}", f64::MAX * (1.0 - rng.unit() * 1e-15)),
        // Double and float subnormals, and the float normal/subnormal border.
        5 => format!(
            "{:e}",
            rng.unit() * 10f64.powi(rng.range(-324, -300) as i32)
        ),
        6 => format!("{:e}", rng.unit() * 10f64.powi(rng.range(-46, -36) as i32)),
        7 => format!(
            "{:e}",
            f64::from(f32::MIN_POSITIVE) * (1.0 + (rng.unit() - 0.5) * 1e-6)
        ),
        // Integers of every size, some past u64 (protoc then reads them as doubles).
        8 => {
            let bits = rng.range(1, 64) as u32;
            let v = rng.next() >> (64 - bits);
            if v != 0 && rng.below(4) == 0 {
                format!("{v}{}", rng.range(0, 99999))
            } else {
                v.to_string()
            }
        }
        9 => format!(
            "{}.{}e{}",
            rng.range(0, 999),
            rng.range(0, 99999),
            rng.range(-50, 50)
        ),
        10 => format!(".{}", rng.range(0, 99999)),
        11 if hex_and_octal => match rng.below(2) {
            0 => format!("0x{:x}", rng.next() >> rng.range(0, 63)),
            _ => format!("0{:o}", rng.next() >> rng.range(1, 63)),
        },
        _ => format!(
            "{}.{}E+{}",
            rng.range(0, 99999),
            rng.range(0, 9),
            rng.range(0, 40)
        ),
    };
    format!("{sign}{body}")
}

/// An integer literal for `v` in decimal, hex or octal.
fn int_literal(rng: &mut Rng, v: i128) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    match rng.below(4) {
        0 => format!("{sign}0x{a:x}"),
        1 => format!("{sign}0X{a:X}"),
        2 if a != 0 => format!("{sign}0{a:o}"),
        _ => format!("{sign}{a}"),
    }
}

/// A string literal with escapes of every kind protoc's tokenizer knows.
fn string_literal(rng: &mut Rng) -> String {
    let mut s = String::from("\"");
    for _ in 0..rng.range(0, 8) {
        let c = rng.below(256) as u8;
        match rng.below(6) {
            0 => write!(s, "\\x{c:02x}").unwrap(),
            1 => write!(s, "\\{c:03o}").unwrap(),
            2 => write!(s, "\\{:o}", c & 7).unwrap(),
            3 => s.push_str(rng.pick::<&str>(&[
                "\\n",
                "\\t",
                "\\r",
                "\\a",
                "\\b",
                "\\f",
                "\\v",
                "\\\\",
                "\\\"",
                "\\'",
                "\\?",
                "\\u00e9",
                "\\U0001F600",
                "\\x7",
                "é",
                "'",
            ])),
            _ if (0x20..0x7f).contains(&c) && !b"\"\\".contains(&c) => s.push(c as char),
            _ => write!(s, "\\x{c:02x}").unwrap(),
        }
    }
    s.push('"');
    s
}

const INTEGER_TYPES: &[(&str, i128, i128)] = &[
    ("int32", i32::MIN as i128, i32::MAX as i128),
    ("sint32", i32::MIN as i128, i32::MAX as i128),
    ("sfixed32", i32::MIN as i128, i32::MAX as i128),
    ("int64", i64::MIN as i128, i64::MAX as i128),
    ("sint64", i64::MIN as i128, i64::MAX as i128),
    ("sfixed64", i64::MIN as i128, i64::MAX as i128),
    ("uint32", 0, u32::MAX as i128),
    ("fixed32", 0, u32::MAX as i128),
    ("uint64", 0, u64::MAX as i128),
    ("fixed64", 0, u64::MAX as i128),
];

/// A proto2 file with one field per default value.
fn defaults_file(seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut fields = Vec::new();
    for _ in 0..2500 {
        let ty = *rng.pick(&["float", "double"]);
        fields.push((ty.to_string(), float_literal(&mut rng, true)));
    }
    for &(ty, lo, hi) in INTEGER_TYPES {
        let mut values = vec![lo, hi, 0, lo + 1, hi - 1];
        for _ in 0..30 {
            let span = (hi - lo) as u128;
            values.push(
                lo + ((u128::from(rng.next()) << 64 | u128::from(rng.next())) % span) as i128,
            );
        }
        for v in values {
            fields.push((ty.to_string(), int_literal(&mut rng, v)));
        }
        if lo < 0 {
            fields.push((ty.to_string(), "-0".into()));
        }
    }
    for _ in 0..300 {
        let ty = *rng.pick(&["string", "bytes"]);
        fields.push((ty.to_string(), string_literal(&mut rng)));
    }
    fields.push(("bool".into(), "true".into()));
    fields.push(("E".into(), "B".into()));
    let mut text =
        String::from("syntax = \"proto2\";\npackage gen;\nenum E { A = 0; B = 1; }\nmessage M {\n");
    for (i, (ty, lit)) in fields.iter().enumerate() {
        let n = i + 1;
        writeln!(text, "  optional {ty} f{n} = {n} [default = {lit}];").unwrap();
    }
    text.push_str("}\n");
    text
}

/// A file whose fields carry float and double options, as scalars and inside aggregates.
fn options_file(seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut text = String::from(
        "syntax = \"proto2\";\npackage gen;\nimport \"google/protobuf/descriptor.proto\";\n\
         message Agg { optional float a = 1; optional double b = 2; repeated float c = 3; \
         repeated double d = 4 [packed = true]; }\n\
         extend google.protobuf.FieldOptions { optional float of = 50001; \
         optional double od = 50002; optional Agg oa = 50003; }\nmessage M {\n",
    );
    for n in 1..1500 {
        let option = match rng.below(3) {
            0 => format!("(of) = {}", float_literal(&mut rng, true)),
            1 => format!("(od) = {}", float_literal(&mut rng, true)),
            // The text format takes no hex or octal for floats.
            _ => format!(
                "(oa) = {{ a: {} b: {} c: [{}, {}] d: {} }}",
                float_literal(&mut rng, false),
                float_literal(&mut rng, false),
                float_literal(&mut rng, false),
                float_literal(&mut rng, false),
                float_literal(&mut rng, false),
            ),
        };
        writeln!(text, "  optional int32 f{n} = {n} [{option}];").unwrap();
    }
    text.push_str("}\n");
    text
}

struct Run {
    code: Option<i32>,
    stderr: String,
    set: Vec<u8>,
}

/// Runs protoc, or protowasm under its `protoc` front-end, with `args` in `dir`.
fn protoc_command(program: &Path, args: &[&str], dir: &Path) -> std::process::Output {
    let mut cmd = Command::new(program);
    if program != support::protoc() {
        // A cache of this test run's own: the compile cache stores what protowasm compiles.
        static CACHE: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
        let cache = CACHE.get_or_init(|| tempfile::tempdir().unwrap());
        cmd.arg("protoc").env("PROTOWASM_CACHE_DIR", cache.path());
    }
    cmd.args(args)
        .stdin(std::process::Stdio::null())
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", program.display()))
}

fn compile(program: &Path, args: &[&str], dir: &Path, out: &str) -> Run {
    let out_flag = format!("-o{out}");
    let output = protoc_command(program, &[args, &[out_flag.as_str()]].concat(), dir);
    Run {
        code: output.status.code(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        set: std::fs::read(dir.join(out)).unwrap_or_default(),
    }
}

fn protowasm() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_protowasm"))
}

/// The lines that differ between both sets as protoc prints them (`--decode`), with the field
/// names around them: a set's string defaults need not be UTF-8, so prost cannot decode it.
fn set_differences(dir: &Path, theirs: &Path, ours: &Path) -> String {
    let text = |set: &Path| {
        let output = Command::new(support::protoc())
            .arg("-I")
            .arg(support::protoc_include())
            .args([
                "--decode=google.protobuf.FileDescriptorSet",
                "google/protobuf/descriptor.proto",
            ])
            .stdin(std::fs::File::open(set).unwrap())
            .current_dir(dir)
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let (t, o) = (text(theirs), text(ours));
    similar::TextDiff::from_lines(&t, &o)
        .unified_diff()
        .context_radius(4)
        .header("protoc", "protowasm")
        .to_string()
        .lines()
        .take(120)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Writes `text` as `gen.proto`, compiles it with both tools and fails on any difference.
fn assert_same(label: &str, seed: u64, text: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gen.proto"), text).unwrap();
    let protoc = support::protoc();
    let theirs = compile(&protoc, &["gen.proto"], dir.path(), "theirs.pb");
    let ours = compile(&protowasm(), &["gen.proto"], dir.path(), "ours.pb");
    assert_eq!(
        theirs.code,
        Some(0),
        "protoc rejected the {label} file (seed {seed}): {}",
        theirs.stderr
    );
    assert_eq!(
        (ours.code, &ours.stderr),
        (theirs.code, &theirs.stderr),
        "{label} (seed {seed}): exit status and stderr differ"
    );
    if ours.set != theirs.set {
        let diff = set_differences(
            dir.path(),
            &dir.path().join("theirs.pb"),
            &dir.path().join("ours.pb"),
        );
        panic!("{label} (seed {seed}): the sets differ:\n{diff}");
    }
}

#[test]
fn generated_default_values_match_protoc() {
    for seed in 1..=4 {
        assert_same("defaults", seed, &defaults_file(seed));
    }
}

#[test]
fn generated_float_option_values_match_protoc() {
    for seed in 1..=3 {
        assert_same("options", seed, &options_file(seed));
    }
}

#[test]
fn the_generator_reaches_the_cases_that_once_differed() {
    // The seeds above must cover what protoc formats specially; a generator change that
    // stopped producing these would make the comparisons weaker without failing them.
    let text: String = (1..=4).map(defaults_file).collect();
    for needle in ["-nan", "-0]", "0x", "e-4", "3.40282", "1.7976"] {
        assert!(text.contains(needle), "no literal with {needle:?}");
    }
}

/// Runs both tools in `dir` on `args` (protoc's own command line) and fails unless stdout,
/// stderr and the exit status are the same.
fn assert_same_cli(dir: &Path, args: &[&str]) {
    let run = |program: &Path| {
        let out = protoc_command(program, args, dir);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(
        run(&protowasm()),
        run(&support::protoc()),
        "protoc {}",
        args.join(" ")
    );
}

#[test]
fn input_rule_flags_match_protoc() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "a.proto",
            "syntax = \"proto3\";\nimport \"b.proto\";\nimport \"c.proto\";\n\
             import \"google/protobuf/empty.proto\";\n\
             service S { rpc M(google.protobuf.Empty) returns (google.protobuf.Empty); }\n\
             message A { B b = 1; C c = 2; }\n",
        ),
        ("b.proto", "syntax = \"proto3\";\nmessage B {}\n"),
        ("c.proto", "syntax = \"proto3\";\nmessage C {}\n"),
        (
            "d.proto",
            "edition = \"2024\";\nimport \"b.proto\";\n\
             import option \"google/protobuf/descriptor.proto\";\nmessage D { B b = 1; }\n",
        ),
        ("broken.proto", "syntax = \"proto3\";\nmessage X { Missing m = 1; }\n"),
        (
            "generic.proto",
            "syntax = \"proto2\";\noption py_generic_services = true;\nimport \"c.proto\";\nservice G {}\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let cases: &[&[&str]] = &[
        &["--disallow_services", "a.proto"],
        &["--disallow_services", "b.proto", "a.proto"],
        &["--disallow_services", "b.proto", "c.proto"],
        // The first input that fails, by compile errors or by a rule, decides.
        &["--disallow_services", "a.proto", "broken.proto"],
        &["--disallow_services", "broken.proto", "a.proto"],
        &[
            "--direct_dependencies=",
            "b.proto",
            "a.proto",
            "broken.proto",
        ],
        // Generic services warnings come after the rules: not printed when one is broken.
        &["--disallow_services", "generic.proto"],
        &["--direct_dependencies=", "generic.proto"],
        &["generic.proto"],
        &["--direct_dependencies=b.proto", "a.proto"],
        &["--direct_dependencies=", "a.proto", "d.proto"],
        &[
            "--direct_dependencies",
            "b.proto:c.proto:google/protobuf/empty.proto",
            "a.proto",
        ],
        &[
            "--direct_dependencies_violation_msg=bad:%s:%s",
            "--direct_dependencies=b.proto",
            "a.proto",
        ],
        &[
            "--direct_dependencies=b.proto",
            "--direct_dependencies_violation_msg=X %s",
            "a.proto",
        ],
        &[
            "--direct_dependencies=b.proto",
            "--direct_dependencies=c.proto",
            "a.proto",
        ],
        &[
            "--direct_dependencies_violation_msg=only a message",
            "a.proto",
        ],
        &["--option_dependencies=", "d.proto"],
        &[
            "--option_dependencies=google/protobuf/descriptor.proto",
            "d.proto",
        ],
        &[
            "--option_dependencies=x.proto",
            "--option_dependencies_violation_msg=%s!",
            "d.proto",
        ],
        &[
            "--option_dependencies=a",
            "--option_dependencies=b",
            "d.proto",
        ],
        &[
            "--direct_dependencies=b.proto:c.proto:google/protobuf/empty.proto",
            "--disallow_services",
            "a.proto",
        ],
        // Flags without a value ignore one typed after them; the old proto3-optional switch is a no-op.
        &["--disallow_services=1", "a.proto"],
        &["--include_imports=yes", "b.proto"],
        &["--experimental_allow_proto3_optional", "b.proto"],
    ];
    for case in cases {
        let mut args = vec!["-I.", "-oout.pb"];
        args.extend_from_slice(case);
        assert_same_cli(dir.path(), &args);
    }
}

/// One generated workspace: files `f0.proto`..`fN.proto`, each importing some earlier ones (and
/// now and then a file that does not exist), each declaring messages whose fields use types of
/// its imports, with breakage sprinkled in: syntax errors, undefined and unimported types,
/// symbols defined twice across files, reused field numbers, unused imports, import cycles and
/// public imports. Returns the files and the inputs to name on the command line.
fn broken_workspace(seed: u64) -> (Vec<(String, String)>, Vec<String>) {
    let mut rng = Rng(seed);
    let n = rng.range(3, 7) as usize;
    let packages = ["p", "q", "p.sub"];
    let mut files = Vec::new();
    // What each file declares: (package, message names).
    let mut declared: Vec<(&str, Vec<String>)> = Vec::new();
    for i in 0..n {
        let package = *rng.pick(&packages);
        let mut text = String::from("syntax = \"proto3\";\n");
        let _ = writeln!(text, "package {package};");
        let mut imports: Vec<usize> = (0..i).filter(|_| rng.below(3) == 0).collect();
        if i > 0 && imports.is_empty() {
            imports.push(rng.below(i as u64) as usize);
        }
        for &j in &imports {
            let public = if rng.below(5) == 0 { "public " } else { "" };
            let _ = writeln!(text, "import {public}\"f{j}.proto\";");
        }
        match rng.below(12) {
            0 => text.push_str("import \"missing.proto\";\n"),
            // A cycle back to this file through a later one.
            1 if i + 1 < n => {
                let _ = writeln!(text, "import \"f{}.proto\";", i + 1);
            }
            _ => {}
        }
        let mut names = Vec::new();
        for k in 0..rng.range(1, 3) {
            // Now and then the name another file already took in the same package.
            let name = match declared.iter().find(|(p, _)| *p == package) {
                Some((_, theirs)) if rng.below(8) == 0 => theirs[0].clone(),
                _ => format!("M{i}x{k}"),
            };
            let _ = writeln!(text, "message {name} {{");
            for field in 1..=rng.range(1, 4) {
                // A type from an import, from a file not imported, a nested or missing one, or
                // a scalar.
                let ty = match rng.below(6) {
                    0 | 1 if !imports.is_empty() => {
                        let j = imports[rng.below(imports.len() as u64) as usize];
                        let (p, ms) = &declared[j];
                        format!("{p}.{}", ms[rng.below(ms.len() as u64) as usize])
                    }
                    2 if i > 0 => {
                        let (p, ms) = &declared[rng.below(i as u64) as usize];
                        format!(".{p}.{}", ms[0])
                    }
                    3 => format!("Undefined{}", rng.below(3)),
                    _ => rng.pick(&["int32", "string", "bytes"]).to_string(),
                };
                let number = if rng.below(10) == 0 { 1 } else { field };
                let _ = writeln!(text, "  {ty} f{field} = {number};");
            }
            if rng.below(10) == 0 {
                text.push_str("  int32 broken = 9\n");
            }
            text.push_str("}\n");
            names.push(name);
        }
        // Services, extensions and enums whose types come from imports (or nowhere).
        let some_type = |rng: &mut Rng| -> String {
            match imports.as_slice() {
                [] => format!("Undefined{}", rng.below(2)),
                _ if rng.below(4) == 0 => "Missing.Type".to_string(),
                imports => {
                    let j = imports[rng.below(imports.len() as u64) as usize];
                    let (p, ms) = &declared[j];
                    format!("{p}.{}", ms[0])
                }
            }
        };
        if rng.below(4) == 0 {
            let (a, b) = (some_type(&mut rng), some_type(&mut rng));
            let _ = writeln!(text, "service S{i} {{ rpc Call({a}) returns ({b}); }}");
        }
        if rng.below(5) == 0 {
            let target = some_type(&mut rng);
            let _ = writeln!(text, "extend {target} {{ int32 ext{i} = 100; }}");
        }
        if rng.below(5) == 0 {
            let zero = if rng.below(3) == 0 { "E1" } else { "E0" };
            let _ = writeln!(text, "enum En{i} {{ {zero}x{i} = 0; E1x{i} = 1; }}");
            let _ = writeln!(
                text,
                "message UsesEn{i} {{ En{i} e = 1; map<string, {}> m = 2; }}",
                some_type(&mut rng)
            );
        }
        if rng.below(10) == 0 {
            text.push_str("message {\n");
        }
        declared.push((package, names));
        files.push((format!("f{i}.proto"), text));
    }
    let mut inputs: Vec<String> = (0..rng.range(1, 3))
        .map(|_| format!("f{}.proto", rng.below(n as u64)))
        .collect();
    inputs.dedup();
    (files, inputs)
}

/// protoc keeps building a file whose imports failed, so every file's errors are reported, in
/// its order: a broken import's own errors, `Import "x" was not found or had errors.`, then the
/// importer's own (`"p.M" is not defined.`). The same stderr, exit status and, when it succeeds,
/// set, on hundreds of generated broken workspaces.
#[test]
fn generated_broken_workspaces_report_every_error_as_protoc_does() {
    let mut failing = 0;
    let mut with_import_errors = 0;
    let seeds = 300;
    for seed in 1..=seeds {
        let dir = tempfile::tempdir().unwrap();
        let (files, inputs) = broken_workspace(seed);
        for (name, text) in &files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let mut args = vec!["-I.", "--include_imports"];
        args.extend(inputs.iter().map(String::as_str));
        let theirs = compile(&support::protoc(), &args, dir.path(), "theirs.pb");
        let ours = compile(&protowasm(), &args, dir.path(), "ours.pb");
        let workspace: String = files
            .iter()
            .map(|(name, text)| format!("--- {name}\n{text}"))
            .collect();
        assert_eq!(
            (ours.code, &ours.stderr),
            (theirs.code, &theirs.stderr),
            "seed {seed}, protoc {}\n{workspace}",
            args.join(" ")
        );
        assert!(ours.set == theirs.set, "seed {seed}: the sets differ");
        failing += (theirs.code != Some(0)) as usize;
        with_import_errors += theirs.stderr.contains("was not found or had errors") as usize;
    }
    // The generator must reach what the test is about.
    assert!(
        failing >= seeds as usize / 3,
        "only {failing} of {seeds} workspaces fail"
    );
    assert!(
        with_import_errors >= seeds as usize / 5,
        "only {with_import_errors} of {seeds} workspaces have failed imports"
    );
}

/// `--print_free_field_numbers` on protoc's own include directory, the compiler's edge files and
/// a file with groups, maps, nested types, extension and reserved ranges; `--notices`; and the
/// flag combinations protoc refuses, each with protoc's message.
#[test]
fn print_free_field_numbers_and_notices_match_protoc() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ranges.proto"),
        "syntax = \"proto2\";\npackage r;\n\
         message A {\n  optional int32 a = 1;\n  optional group G = 2 { optional int32 g = 3; message InG {} }\n\
           map<string, A> m = 7;\n  extensions 10 to 19, 30 to max;\n  reserved 4, 20 to 25;\n\
           message B { optional int32 x = 5; message C { optional int32 y = 536870911; } }\n}\n\
         message Empty {}\nmessage Full { extensions 1 to max; }\n\
         message Gaps { optional int32 a = 2; optional int32 b = 3; optional int32 c = 5; }\n",
    )
    .unwrap();
    // An unused import: a warning, which --fatal_warnings turns into a failure before printing.
    std::fs::write(
        dir.path().join("w.proto"),
        "syntax = \"proto2\";\nimport \"ranges.proto\";\nmessage W {}\n",
    )
    .unwrap();
    let include = support::protoc_include();
    let include_arg = format!("-I{}", include.display());
    let mut wkt: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(include.join("google/protobuf")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".proto") {
            wkt.push(format!("google/protobuf/{name}"));
        }
    }
    wkt.sort();
    let mut args = vec![include_arg.as_str(), "--print_free_field_numbers"];
    args.extend(wkt.iter().map(String::as_str));
    assert_same_cli(dir.path(), &args);
    assert_same_cli(dir.path(), &["--print_free_field_numbers", "ranges.proto"]);

    let compiler = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/compiler");
    let compiler_arg = format!("-I{}", compiler.display());
    for entry in std::fs::read_dir(&compiler).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".proto") {
            assert_same_cli(
                dir.path(),
                &[
                    &compiler_arg,
                    &include_arg,
                    "--print_free_field_numbers",
                    &name,
                ],
            );
        }
    }
    for refused in [
        &["--print_free_field_numbers", "-oout.pb", "ranges.proto"][..],
        &["-oout.pb", "--print_free_field_numbers", "ranges.proto"],
        &["--print_free_field_numbers", "--cpp_out=.", "ranges.proto"],
        &["--cpp_out=.", "--print_free_field_numbers", "ranges.proto"],
        &[
            "--print_free_field_numbers",
            "--print_free_field_numbers",
            "ranges.proto",
        ],
        &[
            "--print_free_field_numbers",
            "--dependency_out=d",
            "ranges.proto",
        ],
        &["--print_free_field_numbers"],
        &[
            "--print_free_field_numbers",
            "--fatal_warnings",
            "missing.proto",
        ],
        &["--print_free_field_numbers", "w.proto"],
        &["--print_free_field_numbers", "--fatal_warnings", "w.proto"],
    ] {
        assert_same_cli(dir.path(), refused);
    }
    assert_same_cli(dir.path(), &["--notices"]);
    assert_same_cli(dir.path(), &["--notices", "ranges.proto"]);
}

/// `--experimental_editions`: without it, an input of an edition past protoc's maximum (2026)
/// is refused with protoc's message (protoc's own files exempt); with it, such files compile to
/// protoc's bytes, and a plugin's edition range is not checked.
#[test]
fn experimental_editions_match_protoc() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        ("unstable.proto", "edition = \"UNSTABLE\";\npackage u;\nmessage U { int32 a = 1; repeated int32 r = 2; U child = 3 [features.message_encoding = DELIMITED]; }\nenum E { E0 = 0; }\n"),
        ("e2026.proto", "edition = \"2026\";\npackage n;\nimport \"unstable.proto\";\nmessage N { u.U u = 1; }\n"),
        ("e2024.proto", "edition = \"2024\";\nmessage F { string s = 1; }\n"),
        ("p3.proto", "syntax = \"proto3\";\nmessage P { optional int32 o = 1; }\n"),
    ];
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    // The capture plugin, with the file it saves to set (and editions support not claimed).
    let capture = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/plugins/capture.sh");
    let wrapper = dir.path().join("protoc-gen-cap");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nCAPTURE_FILE={}/request.bin exec {}\n",
            dir.path().display(),
            capture.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let plugin = format!("--plugin=protoc-gen-cap={}", wrapper.display());
    std::fs::create_dir(dir.path().join("gen")).unwrap();
    for inputs in [
        &["unstable.proto"][..],
        &["e2026.proto"],
        &["e2024.proto", "p3.proto"],
        &["p3.proto", "unstable.proto"],
    ] {
        for experimental in [false, true] {
            let mut args = vec!["-I.", "--include_imports", "--include_source_info"];
            if experimental {
                args.push("--experimental_editions");
            }
            args.extend(inputs);
            let theirs = compile(&support::protoc(), &args, dir.path(), "theirs.pb");
            let ours = compile(&protowasm(), &args, dir.path(), "ours.pb");
            assert_eq!(
                (ours.code, &ours.stderr),
                (theirs.code, &theirs.stderr),
                "protoc {}",
                args.join(" ")
            );
            assert!(
                ours.set == theirs.set,
                "protoc {}: the sets differ",
                args.join(" ")
            );
            // The capture plugin claims no editions support: only the flag lets it run.
            let mut with_plugin = vec![plugin.as_str(), "--cap_out=gen", "-I."];
            if experimental {
                with_plugin.push("--experimental_editions");
            }
            with_plugin.extend(inputs);
            assert_same_cli(dir.path(), &with_plugin);
        }
    }
}

/// `--edition_defaults_out` with its bounds: protoc's `FeatureSetDefaults` from the pool's own
/// descriptor.proto and feature extensions (protoc's `*_features.proto` and custom ones, valid and
/// broken), the same bytes, stderr and exit status.
#[test]
fn edition_defaults_out_matches_protoc() {
    let dir = tempfile::tempdir().unwrap();
    let custom = |name: &str, field: &str| {
        format!(
            "syntax = \"proto2\";\npackage {name};\nimport \"google/protobuf/descriptor.proto\";\n\
             extend google.protobuf.FeatureSet {{ optional Features {name} = 9995; }}\n\
             message Features {{\n  enum Mode {{ MODE_UNKNOWN = 0; OLD = 1; NEW = 2; }}\n{field}}}\n"
        )
    };
    let good = "  optional Mode mode = 1 [targets = TARGET_TYPE_FILE, targets = TARGET_TYPE_FIELD,\n\
                  feature_support = { edition_introduced: EDITION_2023 },\n\
                  edition_defaults = { edition: EDITION_LEGACY, value: \"OLD\" },\n\
                  edition_defaults = { edition: EDITION_2024, value: \"NEW\" }];\n\
                  optional bool flag = 2 [targets = TARGET_TYPE_MESSAGE,\n\
                  feature_support = { edition_introduced: EDITION_PROTO2, edition_removed: EDITION_2024 },\n\
                  edition_defaults = { edition: EDITION_LEGACY, value: \"true\" },\n\
                  edition_defaults = { edition: EDITION_2023, value: \"false\" }];\n";
    let files = [
        ("good.proto", custom("good", good)),
        (
            "nolegacy.proto",
            custom(
                "nolegacy",
                "  optional bool b = 1 [targets = TARGET_TYPE_FILE, feature_support = { edition_introduced: EDITION_2023 }, edition_defaults = { edition: EDITION_2023, value: \"true\" }];\n",
            ),
        ),
        (
            "nosupport.proto",
            custom(
                "nosupport",
                "  optional bool b = 1 [targets = TARGET_TYPE_FILE, edition_defaults = { edition: EDITION_LEGACY, value: \"true\" }];\n",
            ),
        ),
        (
            "notarget.proto",
            custom(
                "notarget",
                "  optional bool b = 1 [feature_support = { edition_introduced: EDITION_2023 }, edition_defaults = { edition: EDITION_LEGACY, value: \"true\" }];\n",
            ),
        ),
        (
            "badvalue.proto",
            custom(
                "badvalue",
                "  optional Mode m = 1 [targets = TARGET_TYPE_FILE, feature_support = { edition_introduced: EDITION_2023 }, edition_defaults = { edition: EDITION_LEGACY, value: \"SIDEWAYS\" }];\n",
            ),
        ),
        (
            "scalar.proto",
            custom("scalar", "  optional int32 n = 1 [targets = TARGET_TYPE_FILE];\n"),
        ),
        ("plain.proto", "syntax = \"proto3\";\nmessage P {}\n".to_string()),
    ];
    for (name, text) in &files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let include = support::protoc_include();
    let include_arg = format!("-I{}", include.display());
    let run = |program: &Path, args: &[&str]| {
        let out = dir.path().join("defaults.pb");
        let _ = std::fs::remove_file(&out);
        let mut all = vec![
            include_arg.as_str(),
            "-I.",
            "--edition_defaults_out=defaults.pb",
        ];
        all.extend(args);
        let output = protoc_command(program, &all, dir.path());
        // absl's log lines carry a time and a thread id: only what follows them is compared.
        let stderr: String = String::from_utf8_lossy(&output.stderr)
            .lines()
            .map(|l| match l.find(" text_format.cc:") {
                Some(i) if l.starts_with('E') => format!("E<time>{}\n", &l[i..]),
                _ => format!("{l}\n"),
            })
            .collect();
        (output.status.code(), stderr, std::fs::read(&out).ok())
    };
    let features = [
        "google/protobuf/cpp_features.proto",
        "google/protobuf/java_features.proto",
        "google/protobuf/go_features.proto",
    ];
    let mut cases: Vec<Vec<&str>> = vec![
        vec!["google/protobuf/descriptor.proto"],
        features.to_vec(),
        vec!["good.proto"],
        vec!["good.proto", "google/protobuf/cpp_features.proto"],
        vec!["plain.proto"],
    ];
    for broken in [
        "nolegacy.proto",
        "nosupport.proto",
        "notarget.proto",
        "badvalue.proto",
        "scalar.proto",
    ] {
        cases.push(vec![broken]);
    }
    let bounds: &[&[&str]] = &[
        &[],
        &["--edition_defaults_minimum=2023"],
        &["--edition_defaults_maximum=2024"],
        &[
            "--edition_defaults_minimum=LEGACY",
            "--edition_defaults_maximum=UNSTABLE",
        ],
        &["--edition_defaults_maximum=MAX"],
        &[
            "--edition_defaults_minimum=2026",
            "--edition_defaults_maximum=2023",
        ],
        &["--edition_defaults_minimum=1_TEST_ONLY"],
        &["--edition_defaults_minimum=2022"],
        &[
            "--edition_defaults_maximum=2024",
            "--edition_defaults_maximum=2024",
        ],
    ];
    let mut produced = 0;
    for files in &cases {
        for bound in bounds {
            let args: Vec<&str> = bound.iter().chain(files.iter()).copied().collect();
            let ours = run(&protowasm(), &args);
            let theirs = run(&support::protoc(), &args);
            assert_eq!(
                ours,
                theirs,
                "protoc --edition_defaults_out {}",
                args.join(" ")
            );
            produced += theirs.2.is_some() as usize;
        }
    }
    assert!(produced >= 10, "only {produced} cases wrote defaults");
    // Given before --decode or --encode, the defaults are written first, or fail the run
    // before anything is converted (the type is looked up after).
    for files in &cases {
        for mode in [
            "--decode=google.protobuf.FileDescriptorSet",
            "--encode=google.protobuf.FileDescriptorSet",
            "--encode=NoSuchType",
        ] {
            let args: Vec<&str> = std::iter::once(mode).chain(files.iter().copied()).collect();
            assert_eq!(
                run(&protowasm(), &args),
                run(&support::protoc(), &args),
                "protoc --edition_defaults_out {}",
                args.join(" ")
            );
        }
    }
    // Combined with other outputs and modes, as protoc words it.
    for args in [
        &["--decode_raw", "--edition_defaults_out=x.pb"][..],
        &[
            "--edition_defaults_out=x.pb",
            "--edition_defaults_out=y.pb",
            "plain.proto",
        ],
        &["--edition_defaults_out=", "plain.proto"],
        &[
            "--print_free_field_numbers",
            "--edition_defaults_out=x.pb",
            "plain.proto",
        ],
    ] {
        assert_same_cli(dir.path(), args);
    }
}
