//! Source-retention stripping, as protoc 36.2 does it for `-o` (without `--retain_options`) and
//! for the `proto_file` entries of files to generate.
//!
//! protoc clears every option field declared `retention = RETENTION_SOURCE`, removes an
//! `*Options` message that stripping left empty, and drops the source locations under what it
//! removed. How it does it shapes the bytes:
//! - when the run's pool holds `google.protobuf.FileDescriptorProto` (some loaded file is
//!   descriptor.proto), the file goes through a dynamic message built from the pool: custom
//!   options are then known fields, so they are stripped by their own retention and come out
//!   canonical (field-number order, a message option given in pieces merged into one, a
//!   repeated scalar packed as declared);
//! - otherwise only the fields protoc's own descriptor.proto knows are stripped, and custom
//!   options stay as the option interpreter wrote them.

use prost::encoding::{decode_key, decode_varint, encode_key, encode_varint, WireType};

use super::descriptor::{
    field_type, label, DescriptorProto, EnumDescriptorProto, FieldDescriptorProto,
    FileDescriptorProto, RawOptions,
};
use super::link::Pool;
use super::options::{self, Def, Defs};
use crate::feature_check::{edition_by_name, edition_name};

/// `FieldOptions.retention`.
const RETENTION_FIELD: i32 = 17;
const RETENTION_SOURCE: u64 = 2;

/// Strips files of one run; build it once the pool holds every file of the run.
pub struct Stripper<'a> {
    pool_defs: &'a Defs,
    builtin: &'static Defs,
    /// Through a dynamic message (see the module docs).
    dynamic: bool,
    /// The pool's extensions by (extendee, number), kept by the pool as it grows: the linker
    /// builds a stripper for every file, so this must not be collected again each time.
    pool: &'a Pool,
}

/// One field of a message type, as stripping needs it.
struct FieldInfo {
    repeated: bool,
    kind: i32,
    /// Message type name, without the leading '.'.
    type_name: String,
    packed: bool,
    source_only: bool,
    /// `FieldOptions.targets`: where the option may be set (empty: anywhere).
    targets: Vec<i32>,
    /// For messages: `pkg.Message.field`; for extensions `pkg.ext`.
    full_name: String,
    /// `FieldOptions.feature_support`: the editions the option may be used in.
    support: Option<Lifetime>,
}

/// A `FieldOptions.FeatureSupport` (on an option field or an enum value), as lifetimes
/// checking needs it. Editions are `Edition` enum numbers.
#[derive(Clone, Debug, Default)]
pub struct Lifetime {
    pub introduced: Option<i32>,
    pub deprecated: Option<i32>,
    pub deprecation_warning: Option<String>,
    pub removed: Option<i32>,
    pub removal_error: Option<String>,
}

impl<'a> Stripper<'a> {
    pub fn new(pool: &'a Pool) -> Self {
        Stripper {
            pool_defs: pool.defs(),
            builtin: options::builtin(),
            dynamic: pool.has_symbol("google.protobuf.FileDescriptorProto"),
            pool,
        }
    }

    /// A copy of `file` without its source-retention options, and without the source
    /// locations of what was removed.
    pub fn strip(&self, file: &FileDescriptorProto) -> FileDescriptorProto {
        let mut out = file.clone();
        let mut stripped = Vec::new();
        self.options(&mut out.options, "FileOptions", &[8], &mut stripped);
        for (i, m) in out.message_type.iter_mut().enumerate() {
            self.message(m, &[4, i as i32], &mut stripped);
        }
        for (i, e) in out.enum_type.iter_mut().enumerate() {
            self.enumeration(e, &[5, i as i32], &mut stripped);
        }
        for (i, s) in out.service.iter_mut().enumerate() {
            let path = [6, i as i32];
            self.options(
                &mut s.options,
                "ServiceOptions",
                &join(&path, &[3]),
                &mut stripped,
            );
            for (j, m) in s.method.iter_mut().enumerate() {
                let p = join(&path, &[2, j as i32, 4]);
                self.options(&mut m.options, "MethodOptions", &p, &mut stripped);
            }
        }
        for (i, f) in out.extension.iter_mut().enumerate() {
            self.field(f, &[7, i as i32], &mut stripped);
        }
        if let Some(info) = &mut out.source_code_info {
            if !stripped.is_empty() {
                info.location
                    .retain(|l| !stripped.iter().any(|p| l.path.starts_with(p)));
            }
        }
        out
    }

    /// protoc's command-line check of option targets for an input file: every option set
    /// (custom ones included, when the run loaded descriptor.proto), and every field set inside
    /// a message-valued option, must allow the kind of element it is set on. Messages in
    /// protoc's order: `Option X cannot be set on an entity of type `message`.`
    pub fn target_errors(&self, file: &FileDescriptorProto) -> Vec<String> {
        let mut errors = Vec::new();
        for_each_options(file, &mut |o, kind, target, _| {
            let Some(o) = o else { return };
            let type_name = format!("google.protobuf.{kind}");
            self.walk_fields(&o.raw, &type_name, &mut |stage, info, _| {
                if stage == Stage::Before
                    && !info.targets.is_empty()
                    && !info.targets.contains(&target)
                {
                    let kind = TARGET_TYPES[(target - 1) as usize].1;
                    errors.push(format!(
                        "Option {} cannot be set on an entity of type `{kind}`.",
                        info.full_name
                    ));
                }
            });
        });
        errors
    }

    /// protoc's feature-lifetime check (`ValidateFeatureLifetimes`) of every element's options
    /// in `file`, in protoc's visiting order: (element name path, is a warning, message). An
    /// option, feature or enum value used outside its `feature_support` window is an error (a
    /// deprecated one, a warning).
    pub fn lifetime_issues(&self, file: &FileDescriptorProto) -> Vec<(Vec<i32>, bool, String)> {
        let edition = file.edition.unwrap_or(match file.syntax.as_deref() {
            Some("proto3") => 999,
            _ => 998,
        });
        let mut out = Vec::new();
        for_each_options(file, &mut |o, kind, _, path| {
            let Some(o) = o else { return };
            let mut found = Vec::new();
            let type_name = format!("google.protobuf.{kind}");
            // protoc checks a field after what its message value holds: its enum value's
            // window, then its own.
            self.walk_fields(&o.raw, &type_name, &mut |stage, info, values| {
                if stage != Stage::After {
                    return;
                }
                if info.kind == field_type::ENUM {
                    for number in enum_numbers(values, info.repeated) {
                        if let Some((name, l)) = self.enum_value_lifetime(&info.type_name, number) {
                            check_lifetime(edition, &name, &l, &mut found);
                        }
                    }
                }
                if let Some(l) = &info.support {
                    check_lifetime(edition, &info.full_name, l, &mut found);
                }
            });
            out.extend(found.into_iter().map(|(w, m)| (path.clone(), w, m)));
        });
        out
    }

    /// protoc's `ListFields` walk of the serialized message `raw` of type `type_name`: each
    /// known field once, in number order, `visit`ed before and after the walk into its
    /// message values (each element of a repeated one; a singular one's pieces merged).
    fn walk_fields(&self, raw: &[u8], type_name: &str, visit: FieldVisit<'_>) {
        let Some(fields) = split(raw) else {
            return;
        };
        let mut numbers: Vec<i32> = fields.iter().map(|f| f.number).collect();
        numbers.sort_unstable();
        numbers.dedup();
        for n in numbers {
            let Some(info) = self.field_info(type_name, n) else {
                continue;
            };
            let values: Vec<&Field> = fields.iter().filter(|f| f.number == n).collect();
            visit(Stage::Before, &info, &values);
            if info.kind == field_type::MESSAGE {
                let wire = values
                    .iter()
                    .filter(|f| f.wire == WireType::LengthDelimited);
                if info.repeated {
                    for f in wire {
                        self.walk_fields(f.payload, &info.type_name, visit);
                    }
                } else {
                    let merged: Vec<u8> = wire.flat_map(|f| f.payload.iter().copied()).collect();
                    self.walk_fields(&merged, &info.type_name, visit);
                }
            }
            visit(Stage::After, &info, &values);
        }
    }

    /// The full name and `feature_support` of value `number` of enum `type_name`, if it has one.
    fn enum_value_lifetime(&self, type_name: &str, number: i32) -> Option<(String, Lifetime)> {
        let from = |defs: &Defs| match defs.get(type_name) {
            Some(Def::Enum(e)) => Some(e.clone()),
            _ => None,
        };
        let e = from(self.pool_defs).or_else(|| from(self.builtin))?;
        let v = e.value.iter().find(|v| v.number() == number)?;
        let l = lifetime(v.options.as_ref(), ENUM_VALUE_FEATURE_SUPPORT)?;
        let scope = type_name.rsplit_once('.').map_or("", |(s, _)| s);
        let name = if scope.is_empty() {
            v.name().to_string()
        } else {
            format!("{scope}.{}", v.name())
        };
        Some((name, l))
    }

    fn message(&self, m: &mut DescriptorProto, path: &[i32], stripped: &mut Vec<Vec<i32>>) {
        for (i, f) in m.field.iter_mut().enumerate() {
            self.field(f, &join(path, &[2, i as i32]), stripped);
        }
        for (i, n) in m.nested_type.iter_mut().enumerate() {
            self.message(n, &join(path, &[3, i as i32]), stripped);
        }
        for (i, e) in m.enum_type.iter_mut().enumerate() {
            self.enumeration(e, &join(path, &[4, i as i32]), stripped);
        }
        for (i, r) in m.extension_range.iter_mut().enumerate() {
            let p = join(path, &[5, i as i32, 3]);
            self.options(&mut r.options, "ExtensionRangeOptions", &p, stripped);
        }
        for (i, f) in m.extension.iter_mut().enumerate() {
            self.field(f, &join(path, &[6, i as i32]), stripped);
        }
        self.options(
            &mut m.options,
            "MessageOptions",
            &join(path, &[7]),
            stripped,
        );
        for (i, o) in m.oneof_decl.iter_mut().enumerate() {
            let p = join(path, &[8, i as i32, 2]);
            self.options(&mut o.options, "OneofOptions", &p, stripped);
        }
    }

    fn field(&self, f: &mut FieldDescriptorProto, path: &[i32], stripped: &mut Vec<Vec<i32>>) {
        self.options(&mut f.options, "FieldOptions", &join(path, &[8]), stripped);
    }

    fn enumeration(&self, e: &mut EnumDescriptorProto, path: &[i32], stripped: &mut Vec<Vec<i32>>) {
        for (i, v) in e.value.iter_mut().enumerate() {
            let p = join(path, &[2, i as i32, 3]);
            self.options(&mut v.options, "EnumValueOptions", &p, stripped);
        }
        self.options(&mut e.options, "EnumOptions", &join(path, &[3]), stripped);
    }

    /// Strips one `*Options` message at `path`; removes it if stripping emptied it.
    fn options(
        &self,
        slot: &mut Option<RawOptions>,
        kind: &str,
        path: &[i32],
        stripped: &mut Vec<Vec<i32>>,
    ) {
        let Some(options) = slot else {
            return;
        };
        let type_name = format!("google.protobuf.{kind}");
        let was_empty = options.raw.is_empty() && options.uninterpreted.is_empty();
        options.raw = self.strip_message(&options.raw, &type_name, path, stripped);
        if !was_empty && options.raw.is_empty() && options.uninterpreted.is_empty() {
            *slot = None;
            stripped.push(path.to_vec());
        }
    }

    /// A message type's definition: the pool's (dynamic), else protoc's own descriptor.proto.
    fn message_def(&self, type_name: &str) -> Option<(&DescriptorProto, bool)> {
        let from = |defs: &'a Defs| match defs.get(type_name) {
            Some(Def::Msg(m, proto3)) => Some((&**m, *proto3)),
            _ => None,
        };
        if self.dynamic {
            if let Some(found) = from(self.pool_defs) {
                return Some(found);
            }
        }
        match self.builtin.get(type_name) {
            Some(Def::Msg(m, proto3)) => Some((&**m, *proto3)),
            _ => None,
        }
    }

    fn field_info(&self, type_name: &str, number: i32) -> Option<FieldInfo> {
        let info = |f: &FieldDescriptorProto, proto3: bool, full_name: String| FieldInfo {
            repeated: f.label == Some(label::REPEATED),
            kind: f.r#type.unwrap_or(0),
            type_name: f.type_name().trim_start_matches('.').to_string(),
            packed: options::is_packed(f, proto3),
            source_only: is_source_retention(f),
            targets: targets(f),
            full_name,
            support: lifetime(f.options.as_ref(), FIELD_FEATURE_SUPPORT),
        };
        if let Some((m, proto3)) = self.message_def(type_name) {
            if let Some(f) = m.field.iter().find(|f| f.number() == number) {
                return Some(info(f, proto3, format!("{type_name}.{}", f.name())));
            }
        }
        if self.dynamic {
            let full = self.pool.extension(type_name, number)?;
            if let Some(Def::Ext(f, proto3)) = self.pool_defs.get(full) {
                return Some(info(f, *proto3, full.to_string()));
            }
        }
        None
    }

    /// Strips the serialized message `raw` of type `type_name` at `path`. Dynamic: the fields
    /// come out canonical; otherwise in their order, minus what was stripped.
    fn strip_message(
        &self,
        raw: &[u8],
        type_name: &str,
        path: &[i32],
        stripped: &mut Vec<Vec<i32>>,
    ) -> Vec<u8> {
        let Some(fields) = split(raw) else {
            // Not decodable (cannot happen for what the interpreter wrote): leave it alone.
            return raw.to_vec();
        };
        let mut out = Vec::with_capacity(raw.len());
        if !self.dynamic {
            let mut seen: Vec<i32> = Vec::new();
            for f in &fields {
                let Some(info) = self.field_info(type_name, f.number) else {
                    out.extend_from_slice(f.whole);
                    continue;
                };
                if info.source_only {
                    if !seen.contains(&f.number) {
                        seen.push(f.number);
                        stripped.push(join(path, &[f.number]));
                    }
                    continue;
                }
                out.extend_from_slice(&self.strip_known(f, &info, path, stripped, &mut seen));
            }
            return out;
        }

        // Known fields in number order, then unknown ones as they were.
        let mut known: Vec<(&Field, FieldInfo)> = Vec::new();
        let mut unknown: Vec<&Field> = Vec::new();
        for f in &fields {
            match self.field_info(type_name, f.number) {
                Some(info) => known.push((f, info)),
                None => unknown.push(f),
            }
        }
        known.sort_by_key(|(f, _)| f.number);
        let mut k = 0;
        while k < known.len() {
            let number = known[k].0.number;
            let end = k + known[k..]
                .iter()
                .take_while(|(f, _)| f.number == number)
                .count();
            let group = &known[k..end];
            let info = &group[0].1;
            k = end;
            if info.source_only {
                stripped.push(join(path, &[number]));
                continue;
            }
            self.canonical_field(number, info, group, path, stripped, &mut out);
        }
        for f in unknown {
            out.extend_from_slice(f.whole);
        }
        out
    }

    /// Non-dynamic: one known field, with its message value (if any) stripped in turn.
    fn strip_known(
        &self,
        f: &Field,
        info: &FieldInfo,
        path: &[i32],
        stripped: &mut Vec<Vec<i32>>,
        seen: &mut Vec<i32>,
    ) -> Vec<u8> {
        if info.kind != field_type::MESSAGE || f.wire != WireType::LengthDelimited {
            return f.whole.to_vec();
        }
        // A repeated message field's elements are indexed in the path.
        let index = seen.iter().filter(|&&n| n == f.number).count() as i32;
        seen.push(f.number);
        let sub_path = if info.repeated {
            join(path, &[f.number, index])
        } else {
            join(path, &[f.number])
        };
        let body = self.strip_message(f.payload, &info.type_name, &sub_path, stripped);
        let mut out = Vec::with_capacity(body.len() + 8);
        encode_key(f.number as u32, WireType::LengthDelimited, &mut out);
        encode_varint(body.len() as u64, &mut out);
        out.extend(body);
        out
    }

    /// Dynamic: every occurrence of one known field, re-serialized the way protoc's C++
    /// runtime writes a parsed message.
    fn canonical_field(
        &self,
        number: i32,
        info: &FieldInfo,
        group: &[(&Field, FieldInfo)],
        path: &[i32],
        stripped: &mut Vec<Vec<i32>>,
        out: &mut Vec<u8>,
    ) {
        let put_len = |body: &[u8], out: &mut Vec<u8>| {
            encode_key(number as u32, WireType::LengthDelimited, out);
            encode_varint(body.len() as u64, out);
            out.extend_from_slice(body);
        };
        let is_message = matches!(info.kind, field_type::MESSAGE)
            && group
                .iter()
                .all(|(f, _)| f.wire == WireType::LengthDelimited);
        if is_message {
            if info.repeated {
                for (i, (f, _)) in group.iter().enumerate() {
                    let p = join(path, &[number, i as i32]);
                    put_len(
                        &self.strip_message(f.payload, &info.type_name, &p, stripped),
                        out,
                    );
                }
            } else {
                // Occurrences of a singular message merge: their fields concatenated.
                let merged: Vec<u8> = group
                    .iter()
                    .flat_map(|(f, _)| f.payload.iter().copied())
                    .collect();
                let p = join(path, &[number]);
                let was_options = is_options_type(&info.type_name) && !merged.is_empty();
                let body = self.strip_message(&merged, &info.type_name, &p, stripped);
                if was_options && body.is_empty() {
                    stripped.push(p);
                } else {
                    put_len(&body, out);
                }
            }
            return;
        }
        if !info.repeated {
            // A singular scalar, string or group: the last one wins.
            out.extend_from_slice(group[group.len() - 1].0.whole);
            return;
        }
        if info.packed || !is_packable(info.kind) {
            if !is_packable(info.kind) {
                for (f, _) in group {
                    out.extend_from_slice(f.whole);
                }
                return;
            }
            let mut body = Vec::new();
            for (f, _) in group {
                match f.wire {
                    WireType::LengthDelimited => body.extend_from_slice(f.payload),
                    _ => body.extend_from_slice(f.value()),
                }
            }
            if !body.is_empty() {
                put_len(&body, out);
            }
            return;
        }
        // Unpacked: each element with its own key.
        for (f, _) in group {
            match f.wire {
                WireType::LengthDelimited => {
                    let wire = scalar_wire(info.kind);
                    let mut buf = f.payload;
                    while !buf.is_empty() {
                        let before = buf;
                        if skip_value(wire, &mut buf).is_none() {
                            break;
                        }
                        encode_key(number as u32, wire, out);
                        out.extend_from_slice(&before[..before.len() - buf.len()]);
                    }
                }
                _ => out.extend_from_slice(f.whole),
            }
        }
    }
}

/// Where [`Stripper::walk_fields`] is in a field's visit.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Before,
    After,
}

/// Visits one set field: the stage, its definition, and its occurrences.
type FieldVisit<'v> = &'v mut dyn FnMut(Stage, &FieldInfo, &[&Field<'_>]);

/// Visits one element's options: (options, options message name, `OptionTargetType`, the
/// element's name path for positions).
type OptionsVisit<'v> = &'v mut dyn FnMut(&Option<RawOptions>, &str, i32, Vec<i32>);

/// Every element's options in `file`, in protoc's `VisitDescriptors` order: the file, each
/// message (itself, its enums, oneofs, fields, nested messages, extensions, extension
/// ranges), the file's enums (each with its values), extensions, and services with their
/// methods.
fn for_each_options(file: &FileDescriptorProto, visit: OptionsVisit<'_>) {
    const FILE: i32 = 1;
    const RANGE: i32 = 2;
    const MESSAGE: i32 = 3;
    const FIELD: i32 = 4;
    const ONEOF: i32 = 5;
    const ENUM: i32 = 6;
    const VALUE: i32 = 7;
    const SERVICE: i32 = 8;
    const METHOD: i32 = 9;
    fn message(m: &DescriptorProto, p: &[i32], visit: OptionsVisit<'_>) {
        let name = |more: &[i32]| [p, more, &[1]].concat();
        visit(&m.options, "MessageOptions", MESSAGE, name(&[]));
        for (i, e) in m.enum_type.iter().enumerate() {
            enumeration(e, &[p, &[4, i as i32]].concat(), visit);
        }
        for (i, o) in m.oneof_decl.iter().enumerate() {
            visit(&o.options, "OneofOptions", ONEOF, name(&[8, i as i32]));
        }
        for (i, f) in m.field.iter().enumerate() {
            visit(&f.options, "FieldOptions", FIELD, name(&[2, i as i32]));
        }
        for (i, n) in m.nested_type.iter().enumerate() {
            message(n, &[p, &[3, i as i32]].concat(), visit);
        }
        for (i, f) in m.extension.iter().enumerate() {
            visit(&f.options, "FieldOptions", FIELD, name(&[6, i as i32]));
        }
        for (i, r) in m.extension_range.iter().enumerate() {
            let path = [p, &[5, i as i32]].concat();
            visit(&r.options, "ExtensionRangeOptions", RANGE, path);
        }
    }
    fn enumeration(e: &EnumDescriptorProto, p: &[i32], visit: OptionsVisit<'_>) {
        visit(&e.options, "EnumOptions", ENUM, [p, &[1]].concat());
        for (i, v) in e.value.iter().enumerate() {
            let path = [p, &[2, i as i32, 1]].concat();
            visit(&v.options, "EnumValueOptions", VALUE, path);
        }
    }
    // The file's name position: its package statement.
    visit(&file.options, "FileOptions", FILE, vec![2]);
    for (i, m) in file.message_type.iter().enumerate() {
        message(m, &[4, i as i32], visit);
    }
    for (i, e) in file.enum_type.iter().enumerate() {
        enumeration(e, &[5, i as i32], visit);
    }
    for (i, f) in file.extension.iter().enumerate() {
        visit(&f.options, "FieldOptions", FIELD, vec![7, i as i32, 1]);
    }
    for (i, s) in file.service.iter().enumerate() {
        visit(&s.options, "ServiceOptions", SERVICE, vec![6, i as i32, 1]);
        for (j, m) in s.method.iter().enumerate() {
            visit(
                &m.options,
                "MethodOptions",
                METHOD,
                vec![6, i as i32, 2, j as i32, 1],
            );
        }
    }
}

/// The enum numbers a set enum field holds (packed or not); a singular one's last.
fn enum_numbers(values: &[&Field<'_>], repeated: bool) -> Vec<i32> {
    let mut numbers: Vec<i32> = Vec::new();
    for f in values {
        match f.wire {
            WireType::Varint => {
                numbers.extend(decode_varint(&mut f.value()).ok().map(|v| v as i32))
            }
            WireType::LengthDelimited => {
                let mut b = f.payload;
                while let Ok(v) = decode_varint(&mut b) {
                    numbers.push(v as i32);
                }
            }
            _ => {}
        }
    }
    if !repeated {
        numbers = numbers.last().copied().into_iter().collect();
    }
    numbers
}

/// `FieldOptions.targets`, interpreted or (protoc's own descriptor.proto) as written.
fn targets(f: &FieldDescriptorProto) -> Vec<i32> {
    let Some(o) = &f.options else {
        return Vec::new();
    };
    let mut out: Vec<i32> = o
        .uninterpreted
        .iter()
        .filter(|u| {
            u.name.len() == 1 && !u.name[0].is_extension && u.name[0].name_part == "targets"
        })
        .filter_map(|u| target_number(u.identifier_value.as_deref()?))
        .collect();
    for field in split(&o.raw).unwrap_or_default() {
        if field.number != TARGETS_FIELD {
            continue;
        }
        match field.wire {
            WireType::Varint => {
                out.extend(decode_varint(&mut field.value()).ok().map(|v| v as i32));
            }
            WireType::LengthDelimited => {
                let mut buf = field.payload;
                while let Ok(v) = decode_varint(&mut buf) {
                    out.push(v as i32);
                }
            }
            _ => {}
        }
    }
    out
}

/// `FieldOptions.targets`.
const TARGETS_FIELD: i32 = 19;
/// `FieldOptions.feature_support`, `EnumValueOptions.feature_support`.
const FIELD_FEATURE_SUPPORT: i32 = 22;
const ENUM_VALUE_FEATURE_SUPPORT: i32 = 4;

/// The `feature_support` option (field `number`) of `options`: interpreted, or as protoc's
/// own descriptor.proto writes it (an aggregate value its options are never interpreted from).
pub(super) fn lifetime(options: Option<&RawOptions>, number: i32) -> Option<Lifetime> {
    let o = options?;
    for u in &o.uninterpreted {
        if u.name.len() == 1 && !u.name[0].is_extension && u.name[0].name_part == "feature_support"
        {
            return Some(lifetime_from_text(
                u.aggregate_value.as_deref().unwrap_or_default(),
            ));
        }
    }
    let body = super::features::message_field(&o.raw, number as u32)?;
    Some(Lifetime::default().merged(&body))
}

impl Lifetime {
    /// These fields overridden by those set in the serialized `FeatureSupport` `body` (protoc's
    /// `MergeFrom`).
    pub(super) fn merged(mut self, body: &[u8]) -> Lifetime {
        for f in split(body).unwrap_or_default() {
            let varint = || decode_varint(&mut f.value()).ok().map(|v| v as i32);
            let text = || String::from_utf8_lossy(f.payload).into_owned();
            match f.number {
                1 => self.introduced = varint(),
                2 => self.deprecated = varint(),
                3 => self.deprecation_warning = Some(text()),
                4 => self.removed = varint(),
                5 => self.removal_error = Some(text()),
                _ => {}
            }
        }
        self
    }

    /// protoc's `ValidateFeatureSupport`: whether a feature definition's window is consistent
    /// (`full_name` names the feature or value in the error).
    pub(super) fn definition_error(&self, full_name: &str) -> Option<String> {
        let introduced = self.introduced.unwrap_or(0);
        if let Some(deprecated) = self.deprecated {
            if deprecated < introduced {
                return Some(format!(
                    "{full_name} was deprecated before it was introduced."
                ));
            }
            if self.deprecation_warning.is_none() {
                return Some(format!(
                    "{full_name} is deprecated but does not specify a deprecation warning."
                ));
            }
        } else if self.deprecation_warning.is_some() {
            return Some(format!(
                "{full_name} specifies a deprecation warning but is not marked deprecated in any edition."
            ));
        }
        if let Some(removed) = self.removed {
            if self.deprecated.unwrap_or(0) >= removed {
                return Some(format!("{full_name} was deprecated after it was removed."));
            }
            if removed < introduced {
                return Some(format!("{full_name} was removed before it was introduced."));
            }
            if introduced != removed && self.removal_error.is_none() {
                return Some(format!(
                    "{full_name} has been removed but does not specify a removal error."
                ));
            }
        } else if self.removal_error.is_some() {
            return Some(format!(
                "{full_name} specifies a removal error but is not marked removed in any edition."
            ));
        }
        None
    }
}

/// A `FeatureSupport` aggregate as descriptor.proto writes it: `key: EDITION_X` and
/// `key: "text" "more text"` pairs.
fn lifetime_from_text(text: &[u8]) -> Lifetime {
    let text = String::from_utf8_lossy(text);
    let mut l = Lifetime::default();
    let mut rest = text.trim();
    while let Some((key, after)) = rest.split_once(':') {
        let key = key.trim().trim_start_matches([',', ';']).trim();
        let after = after.trim_start();
        let (value, tail) = if after.starts_with('"') {
            // One or more adjacent string literals.
            let mut value = String::new();
            let mut t = after;
            while let Some(body) = t.strip_prefix('"') {
                let end = body.find('"').unwrap_or(body.len());
                value.push_str(&body[..end]);
                t = body.get(end + 1..).unwrap_or("").trim_start();
            }
            (value, t)
        } else {
            let end = after
                .find(|c: char| c.is_whitespace() || c == ',' || c == ';')
                .unwrap_or(after.len());
            (after[..end].to_string(), &after[end..])
        };
        match key {
            "edition_introduced" => l.introduced = edition_number(&value),
            "edition_deprecated" => l.deprecated = edition_number(&value),
            "deprecation_warning" => l.deprecation_warning = Some(value),
            "edition_removed" => l.removed = edition_number(&value),
            "removal_error" => l.removal_error = Some(value),
            _ => {}
        }
        rest = tail;
    }
    l
}

/// An `Edition` value as option text writes it (`EDITION_2023`).
fn edition_number(name: &str) -> Option<i32> {
    name.strip_prefix("EDITION_").and_then(edition_by_name)
}

/// protoc's `ValidateSingleFeatureLifetimes`: an error, or a deprecation warning.
fn check_lifetime(edition: i32, full_name: &str, l: &Lifetime, out: &mut Vec<(bool, String)>) {
    if let Some(introduced) = l.introduced {
        if edition < introduced {
            out.push((
                false,
                format!(
                    "{full_name} wasn't introduced until edition {} and can't be used in edition {}",
                    edition_name(introduced),
                    edition_name(edition)
                ),
            ));
        }
    }
    match (l.removed, l.deprecated) {
        (Some(removed), _) if edition >= removed => {
            let why = l
                .removal_error
                .as_ref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default();
            out.push((
                false,
                format!(
                    "{full_name} has been removed in edition {}{why}",
                    edition_name(removed)
                ),
            ));
        }
        (_, Some(deprecated)) if edition >= deprecated => out.push((
            true,
            format!(
                "{full_name} has been deprecated in edition {}: {}",
                edition_name(deprecated),
                l.deprecation_warning.as_deref().unwrap_or_default()
            ),
        )),
        _ => {}
    }
}

/// `FieldOptions.OptionTargetType` names, in number order from 1.
const TARGET_TYPES: &[(&str, &str)] = &[
    ("TARGET_TYPE_FILE", "file"),
    ("TARGET_TYPE_EXTENSION_RANGE", "extension range"),
    ("TARGET_TYPE_MESSAGE", "message"),
    ("TARGET_TYPE_FIELD", "field"),
    ("TARGET_TYPE_ONEOF", "oneof"),
    ("TARGET_TYPE_ENUM", "enum"),
    ("TARGET_TYPE_ENUM_ENTRY", "enum entry"),
    ("TARGET_TYPE_SERVICE", "service"),
    ("TARGET_TYPE_METHOD", "method"),
];

fn target_number(name: &str) -> Option<i32> {
    TARGET_TYPES
        .iter()
        .position(|(n, _)| *n == name)
        .map(|i| i as i32 + 1)
}

/// `retention = RETENTION_SOURCE` on a field, interpreted or (protoc's own descriptor.proto,
/// whose options are not interpreted) still as written.
fn is_source_retention(f: &FieldDescriptorProto) -> bool {
    let Some(o) = &f.options else {
        return false;
    };
    if o.uninterpreted.iter().any(|u| {
        u.name.len() == 1
            && !u.name[0].is_extension
            && u.name[0].name_part == "retention"
            && u.identifier_value.as_deref() == Some("RETENTION_SOURCE")
    }) {
        return true;
    }
    split(&o.raw).is_some_and(|fields| {
        fields.iter().any(|f| {
            f.number == RETENTION_FIELD
                && f.wire == WireType::Varint
                && decode_varint(&mut f.value()).ok() == Some(RETENTION_SOURCE)
        })
    })
}

/// protoc's `IsOptionsProto`: a message of descriptor.proto whose name ends in "Options".
fn is_options_type(type_name: &str) -> bool {
    type_name
        .strip_prefix("google.protobuf.")
        .is_some_and(|n| !n.contains('.') && n.ends_with("Options"))
}

fn is_packable(kind: i32) -> bool {
    !matches!(
        kind,
        field_type::STRING | field_type::GROUP | field_type::MESSAGE | 12
    )
}

/// The wire type of one element of a packable scalar type.
fn scalar_wire(kind: i32) -> WireType {
    match kind {
        1 | 6 | 16 => WireType::SixtyFourBit, // double, fixed64, sfixed64
        2 | 7 | 15 => WireType::ThirtyTwoBit, // float, fixed32, sfixed32
        _ => WireType::Varint,
    }
}

fn join(path: &[i32], more: &[i32]) -> Vec<i32> {
    let mut p = path.to_vec();
    p.extend_from_slice(more);
    p
}

/// One serialized field.
pub(super) struct Field<'b> {
    pub(super) number: i32,
    pub(super) wire: WireType,
    /// Key and value.
    whole: &'b [u8],
    /// A length-delimited field's contents.
    pub(super) payload: &'b [u8],
    /// Offset of the value within `whole`.
    value_at: usize,
}

impl<'b> Field<'b> {
    /// The value without the key (for a length-delimited field: with its length).
    pub(super) fn value(&self) -> &'b [u8] {
        &self.whole[self.value_at..]
    }
}

/// Splits a serialized message into its fields; `None` if it does not decode.
pub(super) fn split(raw: &[u8]) -> Option<Vec<Field<'_>>> {
    let mut fields = Vec::new();
    let mut buf = raw;
    while !buf.is_empty() {
        let start = raw.len() - buf.len();
        let (number, wire) = decode_key(&mut buf).ok()?;
        let value_at = raw.len() - buf.len() - start;
        let mut payload: &[u8] = &[];
        if wire == WireType::LengthDelimited {
            let len = usize::try_from(decode_varint(&mut buf).ok()?).ok()?;
            payload = buf.get(..len)?;
            buf = &buf[len..];
        } else if wire == WireType::StartGroup {
            skip_group(number, &mut buf)?;
        } else {
            skip_value(wire, &mut buf)?;
        }
        let end = raw.len() - buf.len();
        fields.push(Field {
            number: number as i32,
            wire,
            whole: &raw[start..end],
            payload,
            value_at,
        });
    }
    Some(fields)
}

fn skip_value(wire: WireType, buf: &mut &[u8]) -> Option<()> {
    let n = match wire {
        WireType::Varint => {
            decode_varint(buf).ok()?;
            0
        }
        WireType::SixtyFourBit => 8,
        WireType::ThirtyTwoBit => 4,
        WireType::LengthDelimited => usize::try_from(decode_varint(buf).ok()?).ok()?,
        WireType::StartGroup | WireType::EndGroup => return None,
    };
    *buf = buf.get(n..)?;
    Some(())
}

fn skip_group(number: u32, buf: &mut &[u8]) -> Option<()> {
    loop {
        let (n, wire) = decode_key(buf).ok()?;
        match wire {
            WireType::EndGroup if n == number => return Some(()),
            WireType::EndGroup => return None,
            WireType::StartGroup => skip_group(n, buf)?,
            w => skip_value(w, buf)?,
        }
    }
}
