//! Generated workspaces against buf 1.75: each seed lays out a workspace of two modules (named
//! or not) and a dep from a buf module cache, with packages, file names, existing options and
//! 64-bit fields drawn from the cases managed mode derives values from, and a v1 or v2 template
//! with random managed-mode rules (every file option and jstype, matched by module, path and
//! field) and sometimes a type filter. The capture plugin's requests under buf and protowasm
//! must be equal as decoded messages, or both must refuse the template with the same message.

use std::path::Path;

use prost_types::compiler::CodeGeneratorRequest;
use protowasm::config::buf_deps::b5_digest;

use crate::buf_generate::protowasm;
use crate::request_compare::assert_same_request;
use crate::support::*;

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const PACKAGES: [&str; 8] = [
    "acme.weather.v1",
    "acme.billing.v1beta1",
    "foo",
    "org.example.sub.v2alpha",
    "shop.class.v1",
    "g.p.b",
    "net.x_y.v1p1beta1",
    "",
];
const FILE_NAMES: [&str; 4] = [
    "a.proto",
    "weather_service.proto",
    "Mixed-Case.proto",
    "b_c.proto",
];
const SCALARS: [&str; 7] = [
    "int64", "uint64", "sint64", "fixed64", "sfixed64", "int32", "string",
];
const EXISTING_OPTIONS: [&str; 8] = [
    "option java_package = \"com.kept\";",
    "option go_package = \"example.com/kept;kept\";",
    "option optimize_for = CODE_SIZE;",
    "option java_multiple_files = false;",
    "option cc_enable_arenas = false;",
    "option csharp_namespace = \"Kept\";",
    "option objc_class_prefix = \"KPT\";",
    "option java_string_check_utf8 = true;",
];
const STRING_OPTIONS: [&str; 15] = [
    "java_package",
    "java_package_prefix",
    "java_package_suffix",
    "java_outer_classname",
    "go_package",
    "go_package_prefix",
    "objc_class_prefix",
    "csharp_namespace",
    "csharp_namespace_prefix",
    "php_namespace",
    "php_metadata_namespace",
    "php_metadata_namespace_suffix",
    "ruby_package",
    "ruby_package_suffix",
    "swift_prefix",
];
const BOOL_OPTIONS: [&str; 3] = [
    "java_multiple_files",
    "java_string_check_utf8",
    "cc_enable_arenas",
];

/// A generated workspace: files under `ws/` and `cache/`, and what rules can match.
struct Workspace {
    files: Vec<(String, String)>,
    modules: Vec<String>,
    paths: Vec<String>,
    fields: Vec<String>,
    messages: Vec<String>,
}

fn generate(rng: &mut Rng) -> Workspace {
    let commit = "0123456789abcdef0123456789abcdef";
    let mut w = Workspace {
        files: Vec::new(),
        modules: vec!["buf.build/gen/dep".into()],
        paths: Vec::new(),
        fields: Vec::new(),
        messages: Vec::new(),
    };
    // One file per module: the dep's first, so the others can import it.
    let mut imports: Vec<(String, String)> = Vec::new(); // (file, a message in it)
    let file = |rng: &mut Rng,
                w: &mut Workspace,
                dir: &str,
                n: usize,
                imports: &mut Vec<(String, String)>| {
        let package = *rng.pick(&PACKAGES);
        let sub = if package.is_empty() {
            format!("top{n}")
        } else {
            package.replace('.', "/")
        };
        let name = format!("{sub}/{}", rng.pick(&FILE_NAMES));
        if w.paths.contains(&name) {
            return;
        }
        let mut text = String::from("syntax = \"proto3\";\n");
        if !package.is_empty() {
            text += &format!("package {package};\n");
        }
        let imported: Vec<(String, String)> =
            imports.iter().filter(|_| rng.chance(60)).cloned().collect();
        for (f, _) in &imported {
            text += &format!("import \"{f}\";\n");
        }
        let mut options: Vec<&str> = Vec::new();
        for _ in 0..rng.below(3) {
            let o = *rng.pick(&EXISTING_OPTIONS);
            if !options.contains(&o) {
                options.push(o);
                text += o;
                text += "\n";
            }
        }
        let scope = if package.is_empty() {
            String::new()
        } else {
            format!("{package}.")
        };
        let message = format!("M{n}");
        text += &format!("message {message} {{\n");
        let mut number = 1;
        for _ in 0..2 + rng.below(4) {
            let t = rng.pick(&SCALARS);
            let field = format!("f{number}");
            w.fields.push(format!("{scope}{message}.{field}"));
            text += &format!("  {t} {field} = {number};\n");
            number += 1;
        }
        for (_, m) in &imported {
            text += &format!("  .{m} ref{number} = {number};\n");
            number += 1;
        }
        text +=
            &format!("  message Inner{n} {{ int64 id = 1; }}\n  Inner{n} inner = {number};\n}}\n");
        w.messages.push(format!("{scope}{message}"));
        w.files.push((format!("{dir}/{name}"), text));
        w.paths.push(name.clone());
        imports.push((name, format!("{scope}{message}")));
    };
    let dep_dir = format!("cache/v3/modules/b5/buf.build/gen/dep/{commit}/files");
    file(rng, &mut w, &dep_dir, 0, &mut imports);
    // The dep's file is only importable if it has a package of its own path.
    let mut modules_yaml = String::from("version: v2\nmodules:\n");
    for (i, dir) in ["proto", "api"].iter().enumerate() {
        let named = rng.chance(70);
        modules_yaml += &format!("  - path: {dir}\n");
        if named {
            let name = format!("buf.build/gen/{dir}");
            modules_yaml += &format!("    name: {name}\n");
            w.modules.push(name);
        }
        for n in 0..1 + rng.below(3) {
            file(
                rng,
                &mut w,
                &format!("ws/{dir}"),
                10 * (i + 1) + n,
                &mut imports,
            );
        }
    }
    modules_yaml += "deps:\n  - buf.build/gen/dep\n";
    w.files.push(("ws/buf.yaml".into(), modules_yaml));
    w.files.push((
        format!("cache/v3/modules/b5/buf.build/gen/dep/{commit}/module.yaml"),
        "version: v1\nfiles_dir: files\n".into(),
    ));
    w
}

fn value_for(rng: &mut Rng, option: &str) -> String {
    if BOOL_OPTIONS.contains(&option) {
        rng.pick(&["true", "false"]).to_string()
    } else if option == "optimize_for" {
        rng.pick(&["SPEED", "CODE_SIZE", "LITE_RUNTIME"])
            .to_string()
    } else {
        rng.pick(&["example.com/gen", "Acme", "org.override", "Px"])
            .to_string()
    }
}

fn template_v2(rng: &mut Rng, w: &Workspace) -> String {
    let mut t = String::from("version: v2\nmanaged:\n  enabled: true\n");
    let matchers = |rng: &mut Rng, t: &mut String, module: bool| {
        if module && rng.chance(30) {
            *t += &format!("      module: {}\n", rng.pick(&w.modules));
        }
        if rng.chance(30) {
            let p = rng.pick(&w.paths);
            let p = if rng.chance(50) {
                p.rsplit_once('/').map_or(p.as_str(), |(d, _)| d)
            } else {
                p
            };
            *t += &format!("      path: {p}\n");
        }
    };
    if rng.chance(60) {
        t += "  disable:\n";
        for _ in 0..1 + rng.below(3) {
            let mut options = STRING_OPTIONS.to_vec();
            options.extend(BOOL_OPTIONS);
            options.push("optimize_for");
            let kind = rng.below(3);
            match kind {
                0 => t += &format!("    - file_option: {}\n", rng.pick(&options)),
                1 => {
                    t += &format!(
                        "    - field_option: jstype\n      field: {}\n",
                        rng.pick(&w.fields)
                    )
                }
                _ => t += &format!("    - module: {}\n", rng.pick(&w.modules)),
            }
            matchers(rng, &mut t, kind != 2);
        }
    }
    t += "  override:\n";
    for _ in 0..2 + rng.below(6) {
        if rng.chance(20) {
            t += &format!(
                "    - field_option: jstype\n      value: {}\n",
                rng.pick(&["JS_STRING", "JS_NUMBER", "JS_NORMAL"])
            );
            if rng.chance(50) {
                t += &format!("      field: {}\n", rng.pick(&w.fields));
            }
        } else {
            let mut options = STRING_OPTIONS.to_vec();
            options.extend(BOOL_OPTIONS);
            options.push("optimize_for");
            let option = *rng.pick(&options);
            t += &format!(
                "    - file_option: {option}\n      value: {}\n",
                value_for(rng, option)
            );
        }
        matchers(rng, &mut t, true);
    }
    t += &format!(
        "plugins:\n  - local: {}\n    out: gen\n    strategy: all\n    include_imports: true\n",
        capture_plugin().display()
    );
    if rng.chance(30) {
        t += &format!("    types: [{}]\n", rng.pick(&w.messages));
    }
    t
}

fn template_v1(rng: &mut Rng, w: &Workspace) -> String {
    let mut t = String::from("version: v1\nmanaged:\n  enabled: true\n");
    for option in BOOL_OPTIONS {
        if rng.chance(30) {
            t += &format!("  {option}: {}\n", rng.pick(&["true", "false"]));
        }
    }
    let module_rules = |rng: &mut Rng, t: &mut String, key: &str, default: Option<&str>| {
        *t += &format!("  {key}:\n");
        if let Some(d) = default {
            *t += &format!("    default: {d}\n");
        }
        let modules: Vec<&String> = w.modules.iter().collect();
        let except = rng.pick(&modules).to_string();
        if rng.chance(50) {
            *t += &format!("    except: [{except}]\n");
        }
        let other = rng.pick(&modules).to_string();
        if other != except && rng.chance(60) {
            *t += &format!("    override:\n      {other}: Over\n");
        }
    };
    if rng.chance(70) {
        module_rules(rng, &mut t, "go_package_prefix", Some("example.com/gen"));
    }
    if rng.chance(40) {
        module_rules(rng, &mut t, "java_package_prefix", Some("org"));
    }
    if rng.chance(30) {
        module_rules(rng, &mut t, "csharp_namespace", None);
    }
    if rng.chance(30) {
        module_rules(rng, &mut t, "objc_class_prefix", Some("OBJ"));
    }
    if rng.chance(30) {
        module_rules(rng, &mut t, "ruby_package", None);
    }
    if rng.chance(20) {
        module_rules(rng, &mut t, "swift_prefix", Some("SW"));
    }
    if rng.chance(30) {
        t += &format!(
            "  optimize_for: {}\n",
            rng.pick(&["SPEED", "CODE_SIZE", "LITE_RUNTIME"])
        );
    }
    if rng.chance(50) {
        t += &format!(
            "  override:\n    JAVA_PACKAGE:\n      {}: org.per.file\n",
            rng.pick(&w.paths)
        );
    }
    t += &format!(
        "plugins:\n  - name: capture\n    path: {}\n    out: gen\n    strategy: all\n",
        capture_plugin().display()
    );
    if rng.chance(30) {
        t += &format!("types:\n  include: [{}]\n", rng.pick(&w.messages));
    }
    t
}

fn capture(program: &Path, root: &Path) -> Result<CodeGeneratorRequest, Run> {
    captured_request(
        program,
        &root.join("ws"),
        &["generate", "--include-imports"],
        Some(&root.join("cache")),
    )
}

#[test]
fn generated_workspaces_and_rules_give_bufs_requests() {
    let mut compared = 0;
    for seed in 1..=40u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let w = generate(&mut rng);
        let template = if rng.chance(50) {
            template_v2(&mut rng, &w)
        } else {
            template_v1(&mut rng, &w)
        };
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in &w.files {
            write_file(dir.path(), name, text);
        }
        let dep_files = w
            .files
            .iter()
            .find(|(n, _)| n.starts_with("cache/"))
            .map(|(n, _)| n.split("/files/").next().unwrap().to_string() + "/files")
            .unwrap();
        let digest = b5_digest(&dir.path().join(dep_files), &[]).unwrap();
        write_file(
            dir.path(),
            "ws/buf.lock",
            &format!("version: v2\ndeps:\n  - name: buf.build/gen/dep\n    commit: 0123456789abcdef0123456789abcdef\n    digest: {digest}\n"),
        );
        write_file(dir.path(), "ws/buf.gen.yaml", &template);
        let context = || {
            let files: Vec<String> = w
                .files
                .iter()
                .map(|(n, t)| format!("== {n}\n{t}"))
                .collect();
            format!(
                "seed {seed}\n== buf.gen.yaml\n{template}\n{}",
                files.join("\n")
            )
        };
        match (
            capture(&protowasm(), dir.path()),
            capture(buf(), dir.path()),
        ) {
            (Ok(ours), Ok(theirs)) => {
                let result = std::panic::catch_unwind(|| assert_same_request(&ours, &theirs));
                if result.is_err() {
                    panic!("requests differ for\n{}", context());
                }
                compared += 1;
            }
            (Err(ours), Err(theirs)) => {
                let message = theirs.stderr.trim().trim_start_matches("Failure: ");
                assert!(
                    ours.stderr.contains(message),
                    "buf says {message:?}; protowasm:\n{}\n{}",
                    ours.stderr,
                    context()
                );
            }
            (Ok(_), Err(theirs)) => panic!(
                "buf failed, protowasm did not:\n{}\n{}",
                theirs.stderr,
                context()
            ),
            (Err(ours), Ok(_)) => panic!(
                "protowasm failed, buf did not:\n{}\n{}",
                ours.stderr,
                context()
            ),
        }
    }
    assert!(
        compared >= 30,
        "only {compared} of 40 workspaces generated under both"
    );
}
