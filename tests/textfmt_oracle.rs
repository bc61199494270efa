//! `protowasm protoc --decode=T`, `--decode_raw` and `--encode=T` against protoc 36.2 on random
//! messages: for many message types of real files (protoc's `descriptor.proto`, and
//! `tests/textfmt/*.proto`, which cover every field type, groups, maps, oneofs, extensions,
//! packed and unpacked fields, open and closed enums, `Any` and editions' DELIMITED fields),
//! a seeded generator writes wire bytes with weird-but-valid things mixed in (non-canonical
//! varints, packed fields unpacked and the reverse, repeated singular fields, unknown fields,
//! fields out of order), and broken bytes too. Both tools decode each, with `--decode=T` and
//! `--decode_raw`; stdout, stderr and the exit status must be the same. `TEXTFMT_SEED` and
//! `TEXTFMT_CASES` change the seed and the number of messages.
//!
//! The generator is seeded, so a failure names the seed that reproduces it.

#[path = "common/rng.rs"]
mod rng;
#[path = "it/support.rs"]
#[allow(dead_code)]
mod support;

use rng::Rng;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use prost::Message as _;
use protowasm::codec::schema::{ty, Field, MessageType, Schema};
use protowasm::compiler::descriptor::FileDescriptorSet;

/// A varint, sometimes padded with redundant continuation bytes (still at most ten).
fn varint(rng: &mut Rng, mut v: u64, out: &mut Vec<u8>) {
    let mut bytes = Vec::new();
    while v >= 0x80 {
        bytes.push((v as u8) | 0x80);
        v >>= 7;
    }
    bytes.push(v as u8);
    let extra = if rng.chance(5) {
        rng.below((10 - bytes.len()) as u64) as usize
    } else {
        0
    };
    if extra > 0 {
        if let Some(last) = bytes.last_mut() {
            *last |= 0x80;
        }
        bytes.extend(std::iter::repeat_n(0x80, extra - 1));
        bytes.push(0);
    }
    out.extend(bytes);
}

fn key(rng: &mut Rng, number: u32, wire: u32, out: &mut Vec<u8>) {
    varint(rng, (u64::from(number) << 3) | u64::from(wire), out);
}

fn len_field(rng: &mut Rng, number: u32, body: &[u8], out: &mut Vec<u8>) {
    key(rng, number, 2, out);
    varint(rng, body.len() as u64, out);
    out.extend_from_slice(body);
}

const STRINGS: &[&str] = &[
    "",
    "a",
    "hello world",
    "quote\"s",
    "back\\slash",
    "tab\tnew\nline",
    "ünïcödé",
    "日本語",
    "\u{1}\u{7f}",
    "emoji 🎉",
    "'single'",
    "?",
    "{}[]<>:",
];

struct Gen<'s> {
    schema: &'s Schema,
    rng: Rng,
    /// Message types an `Any` may carry.
    any_types: Vec<String>,
}

impl Gen<'_> {
    fn scalar(&mut self, field: &Field, out: &mut Vec<u8>) {
        let rng = &mut self.rng;
        match field.ty {
            ty::DOUBLE => {
                let v = *rng.pick(&[
                    0.0,
                    -0.0,
                    1.5,
                    -2.25,
                    1e300,
                    1e-300,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    f64::NAN,
                    0.1,
                    123456789.123,
                    5e-324,
                    f64::MAX,
                ]);
                let bits = if rng.chance(20) {
                    rng.next()
                } else {
                    f64::to_bits(v)
                };
                out.extend(bits.to_le_bytes());
            }
            ty::FLOAT => {
                let v = *rng.pick(&[
                    0.0f32,
                    -0.0,
                    1.5,
                    -2.25,
                    3.4e38,
                    1e-45,
                    f32::INFINITY,
                    f32::NAN,
                    0.1,
                    16777217.0,
                ]);
                let bits = if rng.chance(20) {
                    rng.next() as u32
                } else {
                    v.to_bits()
                };
                out.extend(bits.to_le_bytes());
            }
            ty::FIXED64 | ty::SFIXED64 => out.extend(self.int().to_le_bytes()),
            ty::FIXED32 | ty::SFIXED32 => out.extend((self.int() as u32).to_le_bytes()),
            ty::BOOL => {
                let v = if self.rng.chance(10) {
                    self.int()
                } else {
                    self.rng.below(2)
                };
                varint(&mut self.rng, v, out)
            }
            ty::ENUM => {
                let values: Vec<i32> = self
                    .schema
                    .enum_type(&field.type_name)
                    .map(|e| e.values.iter().map(|(_, n)| *n).collect())
                    .unwrap_or_default();
                let v = if values.is_empty() || self.rng.chance(15) {
                    (self.rng.below(20) as i64 - 5) as u64
                } else {
                    i64::from(*self.rng.pick(&values)) as u64
                };
                varint(&mut self.rng, v, out)
            }
            ty::SINT32 | ty::SINT64 => {
                let v = self.int();
                varint(&mut self.rng, v, out)
            }
            _ => {
                let v = self.int();
                varint(&mut self.rng, v, out)
            }
        }
    }

    fn int(&mut self) -> u64 {
        match self.rng.below(6) {
            0 => 0,
            1 => self.rng.below(10),
            2 => (self.rng.below(1000) as i64 - 500) as u64,
            3 => *self.rng.pick(&[
                u64::MAX,
                i64::MAX as u64,
                i64::MIN as u64,
                u32::MAX as u64,
                i32::MIN as i64 as u64,
                1 << 31,
            ]),
            4 => self.rng.next() >> self.rng.below(64),
            _ => self.rng.next(),
        }
    }

    fn bytes_value(&mut self, field_ty: i32) -> Vec<u8> {
        if field_ty == ty::STRING || self.rng.chance(50) {
            let mut s = String::new();
            for _ in 0..self.rng.below(3) {
                let piece: &&str = self.rng.pick::<&str>(STRINGS);
                s.push_str(piece);
            }
            let mut b = s.into_bytes();
            // Now and then bytes that are not UTF-8 (protoc rejects them where it checks).
            if self.rng.chance(2) {
                b.push(0xff);
            }
            b
        } else {
            (0..self.rng.below(12))
                .map(|_| self.rng.next() as u8)
                .collect()
        }
    }

    /// One occurrence of `field`, in the form the field expects or another valid one.
    fn occurrence(&mut self, field: &Field, depth: u32, out: &mut Vec<u8>) {
        let n = field.number;
        if field.is_message() {
            let Some(sub) = self.schema.message(&field.type_name) else {
                return;
            };
            let body = if sub.full_name == "google.protobuf.Any" && !self.any_types.is_empty() {
                self.any(depth)
            } else {
                self.message(sub, depth + 1)
            };
            // A DELIMITED or group field as length-delimited (or the reverse) is unknown.
            let as_group = (field.ty == ty::GROUP) != self.rng.chance(8);
            if as_group {
                key(&mut self.rng, n, 3, out);
                out.extend(body);
                key(&mut self.rng, n, 4, out);
            } else {
                len_field(&mut self.rng, n, &body, out);
            }
            return;
        }
        if field.ty == ty::STRING || field.ty == ty::BYTES {
            let b = self.bytes_value(field.ty);
            len_field(&mut self.rng, n, &b, out);
            return;
        }
        if field.repeated && self.rng.chance(40) {
            // A packed run, whatever the field declares.
            let mut body = Vec::new();
            for _ in 0..self.rng.below(4) {
                self.scalar(field, &mut body);
            }
            len_field(&mut self.rng, n, &body, out);
            return;
        }
        let wire = match field.ty {
            ty::DOUBLE | ty::FIXED64 | ty::SFIXED64 => 1,
            ty::FLOAT | ty::FIXED32 | ty::SFIXED32 => 5,
            _ => 0,
        };
        // Rarely the wrong wire type: the value becomes an unknown field.
        if self.rng.chance(3) {
            let wrong = *self.rng.pick(&[0u32, 1, 5]);
            if wrong != wire {
                key(&mut self.rng, n, wrong, out);
                match wrong {
                    0 => varint(&mut self.rng, 7, out),
                    1 => out.extend(7u64.to_le_bytes()),
                    _ => out.extend(7u32.to_le_bytes()),
                }
                return;
            }
        }
        key(&mut self.rng, n, wire, out);
        self.scalar(field, out);
    }

    fn any(&mut self, depth: u32) -> Vec<u8> {
        let name = self.rng.pick(&self.any_types).clone();
        let mut body = Vec::new();
        let prefix = *self
            .rng
            .pick(&["type.googleapis.com/", "example.com/x/", ""]);
        len_field(
            &mut self.rng,
            1,
            format!("{prefix}{name}").as_bytes(),
            &mut body,
        );
        if let Some(mt) = self.schema.message(&name) {
            let value = self.message(mt, depth + 1);
            len_field(&mut self.rng, 2, &value, &mut body);
        }
        body
    }

    /// A random unknown field (a number the type does not use).
    fn unknown(&mut self, mt: &MessageType, depth: u32, out: &mut Vec<u8>) {
        let mut n = 1 + self.rng.below(60) as u32 + if self.rng.chance(20) { 5000 } else { 0 };
        while self.schema.field(mt, n).is_some() {
            n += 1;
        }
        match self.rng.below(5) {
            0 => {
                key(&mut self.rng, n, 0, out);
                let v = self.int();
                varint(&mut self.rng, v, out);
            }
            1 => {
                key(&mut self.rng, n, 1, out);
                out.extend(self.rng.next().to_le_bytes());
            }
            2 => {
                key(&mut self.rng, n, 5, out);
                out.extend((self.rng.next() as u32).to_le_bytes());
            }
            3 => {
                // Bytes that may or may not parse as a nested set.
                let body = if self.rng.chance(50) && depth < 4 {
                    let mut inner = Vec::new();
                    self.unknown(mt, depth + 1, &mut inner);
                    inner
                } else {
                    self.bytes_value(ty::BYTES)
                };
                len_field(&mut self.rng, n, &body, out);
            }
            _ => {
                key(&mut self.rng, n, 3, out);
                if depth < 4 {
                    self.unknown(mt, depth + 1, out);
                }
                key(&mut self.rng, n, 4, out);
            }
        }
    }

    /// A random message of type `mt`: chunks (one field occurrence each) shuffled.
    fn message(&mut self, mt: &MessageType, depth: u32) -> Vec<u8> {
        let mut chunks: Vec<Vec<u8>> = Vec::new();
        if depth > 4 {
            return Vec::new();
        }
        let fields: Vec<Field> = mt.fields.clone();
        for field in &fields {
            if !self.rng.chance(if depth == 0 { 60 } else { 35 }) {
                continue;
            }
            let count = if field.repeated {
                1 + self.rng.below(3)
            } else if self.rng.chance(10) {
                2
            } else {
                1
            };
            for _ in 0..count {
                let mut chunk = Vec::new();
                if map_entry(self.schema, field).is_some() {
                    self.map_entry(field, depth, &mut chunk);
                } else {
                    self.occurrence(field, depth, &mut chunk);
                }
                chunks.push(chunk);
            }
        }
        for x in self.extensions_of(mt) {
            if self.rng.chance(30) {
                let mut chunk = Vec::new();
                if mt.message_set && x.is_message() && self.rng.chance(80) {
                    self.message_set_item(&x, depth, &mut chunk);
                } else {
                    self.occurrence(&x, depth, &mut chunk);
                }
                chunks.push(chunk);
            }
        }
        for _ in 0..self.rng.below(3) {
            if self.rng.chance(40) {
                let mut chunk = Vec::new();
                self.unknown(mt, depth, &mut chunk);
                chunks.push(chunk);
            }
        }
        // Fields out of order, now and then.
        if self.rng.chance(30) {
            for i in (1..chunks.len()).rev() {
                let j = self.rng.below(i as u64 + 1) as usize;
                chunks.swap(i, j);
            }
        }
        chunks.concat()
    }

    /// A MessageSet item for extension `x`: its type_id and message in either order, now and
    /// then with a type_id that no extension has.
    fn message_set_item(&mut self, x: &Field, depth: u32, out: &mut Vec<u8>) {
        let Some(sub) = self.schema.message(&x.type_name) else {
            return;
        };
        let body = self.message(sub, depth + 1);
        let type_id = if self.rng.chance(10) {
            x.number + 7919
        } else {
            x.number
        };
        let mut id = Vec::new();
        key(&mut self.rng, 2, 0, &mut id);
        varint(&mut self.rng, u64::from(type_id), &mut id);
        let mut message = Vec::new();
        len_field(&mut self.rng, 3, &body, &mut message);
        key(&mut self.rng, 1, 3, out);
        if self.rng.chance(25) {
            out.extend(message);
            out.extend(id);
        } else {
            out.extend(id);
            out.extend(message);
        }
        key(&mut self.rng, 1, 4, out);
    }

    fn extensions_of(&self, mt: &MessageType) -> Vec<Field> {
        let mut out = Vec::new();
        for &(start, end) in &mt.extension_ranges {
            for n in start..end.min(start + 1100) {
                if let Some(x) = self.schema.extension(&mt.full_name, n) {
                    out.push(x.clone());
                }
            }
        }
        out
    }

    /// A map entry: key and value in either order, either one missing now and then.
    fn map_entry(&mut self, field: &Field, depth: u32, out: &mut Vec<u8>) {
        let Some(entry) = map_entry(self.schema, field) else {
            return;
        };
        let mut body = Vec::new();
        let mut parts: Vec<Vec<u8>> = Vec::new();
        for f in entry.fields.clone() {
            if self.rng.chance(90) {
                let mut part = Vec::new();
                self.occurrence(&f, depth + 1, &mut part);
                parts.push(part);
            }
        }
        if self.rng.chance(20) {
            parts.reverse();
        }
        for p in parts {
            body.extend(p);
        }
        len_field(&mut self.rng, field.number, &body, out);
    }
}

fn map_entry<'s>(schema: &'s Schema, field: &Field) -> Option<&'s MessageType> {
    protowasm::codec::print::map_entry_type(schema, field)
}

/// Breaks valid bytes in one of the ways a parser must notice (or must not mind).
fn break_bytes(rng: &mut Rng, mut b: Vec<u8>) -> Vec<u8> {
    match rng.below(7) {
        0 if !b.is_empty() => {
            let at = rng.below(b.len() as u64) as usize;
            b.truncate(at);
        }
        1 if !b.is_empty() => {
            let at = rng.below(b.len() as u64) as usize;
            b[at] = rng.next() as u8;
        }
        2 => b.extend([0x08, 0xff]),
        3 => b.extend([0x0c]),
        4 => b.extend([0x0b, 0x08, 0x01, 0x14]),
        5 => b.extend([0x0a, 0x05, 0x01]),
        _ => b.extend([0x0f]),
    }
    b
}

/// One tool's answer.
#[derive(PartialEq, Debug)]
struct Answer {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

fn run(program: &Path, args: &[String], dir: &Path, stdin: &[u8]) -> Answer {
    let mut cmd = Command::new(program);
    if program != support::protoc() {
        cmd.arg("protoc");
    }
    let mut child = cmd
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {}: {e}", program.display()));
    let mut input = child.stdin.take().expect("piped stdin");
    let bytes = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let output = child.wait_with_output().expect("waiting for the tool");
    let _ = writer.join();
    Answer {
        code: output.status.code(),
        stdout: output.stdout,
        stderr: normalize_log(&String::from_utf8_lossy(&output.stderr)),
    }
}

/// absl log lines carry a time and a thread id: keep only what follows them.
fn normalize_log(stderr: &str) -> String {
    stderr
        .lines()
        .map(|l| match l.find(" wire_format_lite.cc:") {
            Some(i) if l.starts_with('E') => format!("E<time> {}", &l[i + 1..]),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The binary under test, copied once: the target directory may be shared with other builds,
/// which would replace it mid-run.
fn protowasm() -> PathBuf {
    static COPY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    COPY.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("textfmt-oracle-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temp dir for the binary");
        let copy = dir.join("protowasm");
        std::fs::copy(env!("CARGO_BIN_EXE_protowasm"), &copy).expect("copy protowasm");
        copy
    })
    .clone()
}

/// Fails with a diff that shows where the answers part.
fn compare(what: &str, theirs: &Answer, ours: &Answer) -> Result<(), String> {
    if theirs == ours {
        return Ok(());
    }
    let show = |a: &Answer| {
        format!(
            "exit {:?}\n--- stderr\n{}\n--- stdout\n{}",
            a.code,
            a.stderr,
            String::from_utf8_lossy(&a.stdout)
        )
    };
    let (t, o) = (show(theirs), show(ours));
    let diff = similar::TextDiff::from_lines(&t, &o)
        .unified_diff()
        .header("protoc", "protowasm")
        .to_string();
    Err(format!("{what}:\n{diff}"))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The fixture files, compiled by protoc into a set the generator reads.
struct Fixture {
    dir: tempfile::TempDir,
    schema: Schema,
    args: Vec<String>,
    types: Vec<String>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("a temp dir");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/textfmt");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&src).expect("tests/textfmt") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|e| e == "proto") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            std::fs::copy(&path, dir.path().join(&name)).expect("copy fixture");
            files.push(name);
        }
    }
    files.sort();
    files.push("google/protobuf/descriptor.proto".into());
    fixture_of(dir, ".", files)
}

/// The googleapis common protos of the dev corpus: real types (google.api, google.rpc,
/// google.type, google.longrunning...), every file an input.
fn corpus_fixture() -> Fixture {
    let root = support::dev_corpus().join("googleapis-common-protos");
    let mut files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("the corpus") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "proto") {
                let name = path
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.push(name);
            }
        }
    }
    files.sort();
    assert!(
        files.len() > 40,
        "the corpus has only {} files",
        files.len()
    );
    let dir = tempfile::tempdir().expect("a temp dir");
    fixture_of(dir, &root.display().to_string(), files)
}

/// `files` under `root` (and protoc's include directory), compiled by protoc into the set the
/// generator reads; commands run in `dir`.
fn fixture_of(dir: tempfile::TempDir, root: &str, files: Vec<String>) -> Fixture {
    let include = support::protoc_include();
    let mut args = vec![format!("-I{root}"), format!("-I{}", include.display())];
    args.extend(files.iter().cloned());
    let mut set_args = args.clone();
    set_args.extend(["--include_imports".into(), "-oset.pb".into()]);
    let out = run(&support::protoc(), &set_args, dir.path(), b"");
    assert_eq!(
        out.code,
        Some(0),
        "protoc failed on the fixtures: {}",
        out.stderr
    );
    let bytes = std::fs::read(dir.path().join("set.pb")).expect("set.pb");
    let set = FileDescriptorSet::decode(&bytes[..]).expect("protoc's set decodes");
    let schema = Schema::new(&set.file);
    let mut types = Vec::new();
    for file in &set.file {
        collect_types(file.package(), &file.message_type, &mut types);
    }
    types.retain(|t| schema.message(t).is_some_and(|m| !m.map_entry));
    Fixture {
        dir,
        schema,
        args,
        types,
    }
}

fn collect_types(
    prefix: &str,
    messages: &[protowasm::compiler::descriptor::DescriptorProto],
    out: &mut Vec<String>,
) {
    for m in messages {
        let name = if prefix.is_empty() {
            m.name().to_string()
        } else {
            format!("{prefix}.{}", m.name())
        };
        collect_types(&name, &m.nested_type, out);
        out.push(name);
    }
}

fn seed() -> u64 {
    std::env::var("TEXTFMT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x7e57_f0e7)
}

fn cases() -> usize {
    std::env::var("TEXTFMT_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(150)
}

#[test]
fn decode_random_messages_like_protoc() {
    decode_random_messages(&fixture(), cases());
}

/// The same on the types of a real corpus.
#[test]
fn decode_random_messages_of_corpus_types_like_protoc() {
    decode_random_messages(&corpus_fixture(), cases() / 2);
}

fn decode_random_messages(fx: &Fixture, cases: usize) {
    let seed = seed();
    let mut gen = Gen {
        schema: &fx.schema,
        rng: Rng(seed),
        any_types: fx.types.clone(),
    };
    let mut failures = Vec::new();
    let mut compared = 0;
    for case in 0..cases {
        let type_name = gen.rng.pick(&fx.types).clone();
        let Some(mt) = fx.schema.message(&type_name) else {
            continue;
        };
        let mut bytes = gen.message(mt, 0);
        if gen.rng.chance(15) {
            bytes = break_bytes(&mut gen.rng, bytes);
        }
        let mut decode = fx.args.clone();
        decode.push(format!("--decode={type_name}"));
        let raw = vec!["--decode_raw".to_string()];
        for args in [&decode, &raw] {
            let theirs = run(&support::protoc(), args, fx.dir.path(), &bytes);
            let ours = run(&protowasm(), args, fx.dir.path(), &bytes);
            compared += 1;
            let what = format!(
                "seed {seed} case {case}: {} of {type_name}, bytes {}",
                args.last().map_or("", String::as_str),
                hex(&bytes)
            );
            if let Err(e) = compare(&what, &theirs, &ours) {
                failures.push(e);
            }
        }
    }
    eprintln!("compared {compared} decodes");
    assert!(
        failures.is_empty(),
        "{} of {compared} decodes differ from protoc:\n{}",
        failures.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Hand-written `--encode` inputs: (type, text). Each is run by both tools, with and without
/// `--deterministic_output` and in both error formats; they cover each of the parser's error
/// messages and the tokenizer's, and the accepted forms protoc-printed text never uses.
const ENCODE_CASES: &[(&str, &str)] = &[
    ("tfenc.E", "must: \"\" a: 1 old: 2 olds: [\"x\", \"y\"] [tfenc.tag]: \"t\""),
    ("tfenc.E", "must: '' gone: 5 gone { a: 1 } legacy: [1, -2.5, \"s\" 'q', { x: 1 }] legacy < [x.y]: 1 >"),
    ("tfenc.E", "gone: -foo"),
    ("tfenc.E", "gone: }"),
    ("tfenc.E", "gone: -inf legacy: -NaN"),
    ("tfenc.E", "p1: 1 p2: \"x\""),
    ("tfenc.E", "p3 { p1: 1 } p1: 2"),
    ("tfenc.E", "sub { sub { a: 1 } } by_name { key: \"k\" value { } }"),
    ("tfenc.E", "by_name { key: \"b\" } by_name { key: \"a\" value { a: 2 } } by_name { key: \"b\" value { a: 3 } } by_name: [{ key: \"c\" }, { value { a: 1 } }]"),
    ("tfenc.E", "mode: ON mode: 1"),
    ("tfenc.E", "mode: 7"),
    ("tfenc.E", "mode: -1"),
    ("tfenc.E", "mode: OFFF"),
    ("tfenc.E", "mode: 1.5"),
    ("tfenc.E", "must: \"a\" \"b\"\n  'c' a: 0x7fffffff"),
    ("tfenc.E", "a: 0x80000000"),
    ("tfenc.E", "a: -0x80000000 must: \"\""),
    ("tfenc.E", "a: -2147483649"),
    ("tfenc.E", "a: 2147483648"),
    ("tfenc.E", "a: 1f"),
    ("tfenc.E", "a: 1.0"),
    ("tfenc.E", "a: --1"),
    ("tfenc.E", "a: \"1\""),
    ("tfenc.E", "a 1"),
    ("tfenc.E", "a: 1 a: 2"),
    ("tfenc.E", "a: 1; must: \"x\", sub < a: 2 >; sub2 {}"),
    ("tfenc.E", "sub: 5"),
    ("tfenc.E", "sub { a: 1"),
    ("tfenc.E", "sub { a: 1 >"),
    ("tfenc.E", "sub < a: 1 }"),
    ("tfenc.E", "a: 1 }"),
    ("tfenc.E", "[tfenc.tag]: \"x\" [tfenc.tag]: \"y\""),
    ("tfenc.E", "[tfenc.nope]: 1"),
    ("tfenc.E", "[ tfenc . tag ]: \"spaced\""),
    ("tfenc.E", "[tfenc.tag] \"no colon\""),
    ("tfenc.E", "[type.googleapis.com/tfenc.E] { }"),
    ("tfenc.E", "[tfenc.9tag]: 1"),
    ("tfenc.E", "[]: 1"),
    ("tfenc.E", "[tfenc..tag]: 1"),
    ("tfenc.E", "[tfenc:tag]: 1"),
    ("tfenc.E", "[tfenc.tag: 1"),
    ("tfenc.E", "# a comment\na: 1 # another\n# last"),
    ("tfenc.E", "a: 1 // not a comment"),
    ("tfenc.E", "a: 1 /* nor this */"),
    ("tfenc.E", "a:\t1\ta:\t2"),
    ("tfenc.E", "must: \"unterminated"),
    ("tfenc.E", "must: \"line\nbreak\""),
    ("tfenc.E", "must: \"\\z\""),
    ("tfenc.E", "must: \"\\x\""),
    ("tfenc.E", "must: \"\\u12\""),
    ("tfenc.E", "must: \"\\U00110000\""),
    ("tfenc.E", "must: \"\\ud83d\\ude00 \\U0001f600 \\303\\251 \\xe9 \\a\\b\\f\\n\\r\\t\\v\\\\\\?\\'\\\"\""),
    ("tfenc.E", "a: 08"),
    ("tfenc.E", "a: 0x"),
    ("tfenc.E", "a: 1.2.3"),
    ("tfenc.E", "a:1b"),
    ("tfenc.E", "a: 1e"),
    ("tfenc.E", "a: 1 $"),
    ("tfenc.E", "a: 1 \u{1}"),
    ("tfenc.E", "a: 1 é"),
    ("tfenc.E", "a.b: 1"),
    ("tfenc.E", "A: 1"),
    ("tfenc.E", "5: 1"),
    ("tfenc.E", ""),
    ("tfenc.E", "   \n\n  "),
    ("tf2.All", "OptionalGroup { a: 1 } RepeatedGroup { a: 2 } repeatedgroup { a: 3 } RepeatedGroup: [{ a: 4 }, < a: 5 >]"),
    ("tf2.All", "optionalgroup { a: 1 }"),
    ("tf2.All", "Optionalgroup { a: 1 }"),
    ("tf2.All", "f_bool: true f_int32: 0"),
    ("tf2.All", "f_bool: t r_string: \"a\" p_bool: [true, false, True, False, t, f, 1, 0]"),
    ("tf2.All", "f_bool: 2"),
    ("tf2.All", "f_bool: yes"),
    ("tf2.All", "f_bool: \"true\""),
    ("tf2.All", "f_double: 1e400 f_float: 3.4028235677973366e+38"),
    ("tf2.All", "f_double: -0 f_float: -0.0"),
    ("tf2.All", "f_float: 3.4028236e38"),
    ("tf2.All", "f_float: 1e-50 f_double: 4.9e-324"),
    ("tf2.All", "f_double: 0x10"),
    ("tf2.All", "f_double: 010"),
    ("tf2.All", "f_double: 18446744073709551616"),
    ("tf2.All", "f_double: 123456789012345678901234567890"),
    ("tf2.All", "f_double: .5 f_float: 5.f"),
    ("tf2.All", "f_double: inf f_float: -Infinity"),
    ("tf2.All", "f_double: -nan f_float: NaN"),
    ("tf2.All", "f_double: infinite"),
    ("tf2.All", "f_double: -\"x\""),
    ("tf2.All", "f_double: 1.5F"),
    ("tf2.All", "f_uint64: 18446744073709551615 f_int64: -9223372036854775808 f_sint64: -1"),
    ("tf2.All", "f_uint64: 18446744073709551616"),
    ("tf2.All", "f_uint64: -1"),
    ("tf2.All", "f_uint32: 4294967296"),
    ("tf2.All", "f_fixed32: 0xFFFFFFFF f_sfixed32: -2147483648 f_sfixed64: -1 f_sint32: -2147483648"),
    ("tf2.All", "f_enum: MINUS r_enum: [ONE, 2, -1] p_enum: []"),
    ("tf2.All", "f_enum: 5"),
    ("tf2.All", "f_bytes: \"\\377\\000\" f_string: \"\\377\""),
    ("tf2.All", "m_kind { key: \"a\" value: ONE } m_kind { key: \"a\" value: TWO } m_all { key: 3 }"),
    ("tf2.All", "[tf2.x_int32]: 1 [tf2.x_packed]: [1, 2] [tf2.XGroup] { g: 1 } [tf2.xgroup] { g: 2 }"),
    ("tf2.All", "[tf2.Scope.scoped]: 5 [tf2.Scope.scopes] { s: 1 }"),
    ("tf2.All", "[tf2.Scope.s]: 5"),
    ("tf2.All", "o_int: 1 OneofGroup { c: 2 }"),
    ("tf2.All", "OneofGroup { c: 2 } o_msg { }"),
    ("tf2.Req", "child { child { } } children { }"),
    ("tf3.Scalars", "f_int32: 0 f_int32: 0 f_int32: 1 f_string: \"\" f_string: \"x\""),
    ("tf3.Scalars", "f_int32: 1 f_int32: 0"),
    ("tf3.Scalars", "o_int32: 0 o_int32: 1"),
    ("tf3.Scalars", "f_enum: 5 f_enum: -3"),
    ("tf3.Scalars", "f_enum: 7 o_enum: -100 f_string: \"\\xff\""),
    ("tf3.Scalars", "f_message { f_string: \"\\xfe\" } f_double: -0"),
    ("tf3.Wrapper", "any { [type.googleapis.com/tf3.Scalars] { f_int32: 1 } } anys { [x.com/y/tf3.Maps]: { m_int32 { key: 1 value: 2 } } } anys < [a/tf3.Wrapper] < any { type_url: \"t\" value: \"v\" } > >"),
    ("tf3.Wrapper", "any { [type.googleapis.com/tf3.Nope] { } }"),
    ("tf3.Wrapper", "any { [tf3.Scalars] { } }"),
    ("tf3.Wrapper", "any { [/tf3.Scalars] { } }"),
    ("tf3.Wrapper", "any { [//tf3.Scalars] { } }"),
    ("tf3.Wrapper", "any { [a%2/tf3.Scalars] { } }"),
    ("tf3.Wrapper", "any { [a%zz/tf3.Scalars] { } }"),
    ("tf3.Wrapper", "any { [a%2F/tf3.Scalars] { } }"),
    ("tf3.Wrapper", "any { [a/b/] { } }"),
    ("tf3.Wrapper", "any { [a/tf3.Scalars] 5 }"),
    ("tf3.Wrapper", "any { type_url: \"x\" [a/tf3.Scalars] { } }"),
    ("tf3.Wrapper", "any { [a/tf3.Scalars] { } [a/tf3.Scalars] { } }"),
    ("tf3.Wrapper", "any { [a/tf3.Scalars] { f_string: \"\\xff\" } }"),
    ("tf3.Wrapper", "when { seconds: 1 nanos: 2 } inner { d { x: 1 } more [{ }, { more { } }] }"),
    ("tf3.Wrapper", "inner { more: [{ }, { more { } }] }"),
    ("tf3.Oneofs", "o_int: 1 x_double: 2 after: 0"),
    ("tf3.Oneofs", "o_enum: RED o_str: \"\""),
    ("tf3.Maps", "m_string { key: \"b\" value: \"1\" } m_string { key: \"a\" value: \"2\" } m_bool { key: true } m_bool { key: false value: 1 } m_sint64 { key: -1 } m_sint64 { key: -2 }"),
    ("tf3.Maps", "m_nested { key: \"z\" value { m_int32 { key: 2 } m_int32 { key: 1 } } } m_nested { key: \"y\" }"),
    ("tfed.Ed", "delimited { explicit_int: 1 } item { v: 1 } Item { v: 2 }"),
    ("tfed.Ed", "items { v: 1 } Items { v: 2 } closed: C_TWO closeds: [1, 2] open: 5"),
    ("tfed.Ed", "closed: 3"),
    ("tfed.Ed", "implicit_int: 0 implicit_int: 0 text: \"\\xff\" by_id { key: 2 } by_id { key: 1 }"),
    ("tfed.Nope", "a: 1"),
    ("tfmset.Set", "[tfmset.Item] { v: 1 } [tfmset.Other] { s: \"x\" } [tfmset.top_level] { v: 2 }"),
    ("tfmset.Set", "[tfmset.Item.item] { v: 1 nested { [tfmset.Other.other] { } [tfmset.Other] { s: \"y\" } } }"),
    ("tfmset.Set", "[tfmset.Item] { } [tfmset.Item] { }"),
    ("tfmset.Set", "[tfmset.Holder] { }"),
    ("tfmset.Set", "[tfmset.Other.other] { s: \"\\xff\" }"),
    ("tfmset.Holder", "set { [tfmset.Item] { v: -1 } } sets { } sets { [tfmset.Other] { } }"),
];

fn encode_args(fx: &Fixture, type_name: &str, deterministic: bool, msvs: bool) -> Vec<String> {
    let mut args = fx.args.clone();
    args.push(format!("--encode={type_name}"));
    if deterministic {
        args.push("--deterministic_output".into());
    }
    if msvs {
        args.push("--error_format=msvs".into());
    }
    args
}

#[test]
fn encode_written_text_like_protoc() {
    let fx = fixture();
    let mut failures = Vec::new();
    let mut compared = 0;
    for (i, (type_name, text)) in ENCODE_CASES.iter().enumerate() {
        for (deterministic, msvs) in [(false, false), (true, false), (false, true)] {
            let args = encode_args(&fx, type_name, deterministic, msvs);
            let theirs = run(&support::protoc(), &args, fx.dir.path(), text.as_bytes());
            let ours = run(&protowasm(), &args, fx.dir.path(), text.as_bytes());
            compared += 1;
            let what = format!(
                "case {i} ({type_name}, {args:?}): {text:?}",
                args = &args[args.len().saturating_sub(2)..]
            );
            if let Err(e) = compare(&what, &theirs, &ours) {
                failures.push(e);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {compared} encodes differ from protoc:\n{}",
        failures.len(),
        failures
            .iter()
            .take(8)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Text broken in one of the ways a person breaks it: a character dropped, doubled or
/// swapped for a stray token, a line repeated (a singular field set twice), a cut.
fn break_text(rng: &mut Rng, text: &str) -> String {
    const STRAYS: &[&str] = &[
        "{",
        "}",
        "<",
        ">",
        ":",
        "[",
        "]",
        ",",
        ";",
        "-",
        "1.5",
        "0x1f",
        "08",
        "1e",
        "\"open",
        "'x'",
        "# note\n",
        "\t",
        "nan",
        "-inf",
        "é",
        "\u{1}",
        "zz",
        "[a.b]",
        "[x/y.Z]",
        "99999999999999999999",
        "true",
    ];
    let mut chars: Vec<char> = text.chars().collect();
    let at = |rng: &mut Rng, n: usize| {
        if n == 0 {
            0
        } else {
            rng.below(n as u64) as usize
        }
    };
    match rng.below(6) {
        0 if !chars.is_empty() => {
            let i = at(rng, chars.len());
            chars.remove(i);
        }
        1 if !chars.is_empty() => {
            let i = at(rng, chars.len());
            let c = chars[i];
            chars.insert(i, c);
        }
        2 => {
            let i = at(rng, chars.len() + 1);
            let stray: &&str = rng.pick(STRAYS);
            for (k, c) in stray.chars().enumerate() {
                chars.insert(i + k, c);
            }
        }
        3 => {
            let lines: Vec<&str> = text.lines().collect();
            if !lines.is_empty() {
                let i = at(rng, lines.len());
                let mut out = lines.clone();
                out.insert(i, lines[i]);
                return out.join("\n") + "\n";
            }
        }
        _ => {
            let i = at(rng, chars.len());
            chars.truncate(i);
        }
    }
    chars.into_iter().collect()
}

#[test]
fn encode_text_protoc_printed_like_protoc() {
    encode_printed_text(&fixture(), cases());
}

/// The same on the types of a real corpus.
#[test]
fn encode_text_protoc_printed_of_corpus_types_like_protoc() {
    encode_printed_text(&corpus_fixture(), cases() / 2);
}

/// Random messages as protoc prints them (`--decode`), encoded again by both tools, as they
/// are and broken; with and without `--deterministic_output`.
fn encode_printed_text(fx: &Fixture, cases: usize) {
    let seed = seed() ^ 0xe4c0de;
    let mut gen = Gen {
        schema: &fx.schema,
        rng: Rng(seed),
        any_types: fx.types.clone(),
    };
    let mut failures = Vec::new();
    let (mut compared, mut printed) = (0, 0);
    for case in 0..cases {
        let type_name = gen.rng.pick(&fx.types).clone();
        if fx.schema.message(&type_name).is_none() {
            continue;
        }
        let mt = fx.schema.message(&type_name).unwrap();
        let bytes = gen.message(mt, 0);
        let mut decode = fx.args.clone();
        decode.push(format!("--decode={type_name}"));
        let shown = run(&support::protoc(), &decode, fx.dir.path(), &bytes);
        if shown.code != Some(0) {
            continue;
        }
        printed += 1;
        let text = String::from_utf8_lossy(&shown.stdout).into_owned();
        let broken = break_text(&mut gen.rng, &text);
        for (variant, input) in [("printed", &text), ("broken", &broken)] {
            let deterministic = gen.rng.chance(50);
            let args = encode_args(fx, &type_name, deterministic, false);
            let theirs = run(&support::protoc(), &args, fx.dir.path(), input.as_bytes());
            let ours = run(&protowasm(), &args, fx.dir.path(), input.as_bytes());
            compared += 1;
            let what = format!(
                "seed {seed} case {case}: {variant} text of {type_name} (deterministic {deterministic}):\n{input}"
            );
            if let Err(e) = compare(&what, &theirs, &ours) {
                failures.push(e);
            }
        }
    }
    eprintln!("compared {compared} encodes of {printed} printed messages");
    assert!(
        printed > cases / 3,
        "protoc printed only {printed} of {cases} messages"
    );
    assert!(
        failures.is_empty(),
        "{} of {compared} encodes differ from protoc:\n{}",
        failures.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
