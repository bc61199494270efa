//! Option interpretation: protoc's `OptionInterpreter`. Each `UninterpretedOption` the parser
//! left in a [`RawOptions`] is resolved (known fields by name in protoc's own descriptor.proto,
//! custom options by scope lookup of the extension), its value encoded by the field's type, and
//! the options message re-serialized as protoc's C++ runtime does it: known fields in
//! field-number order, then custom options (unknown to protoc's binary) in the order written.
//! The `[.., 999, k]` source locations are renamed to the option's field path.

use super::HashMap;
use std::sync::{Arc, OnceLock};

use prost::encoding::{encode_key, encode_varint, WireType};

use super::descriptor::{
    field_type, label, DescriptorProto, EnumDescriptorProto, FieldDescriptorProto,
    FileDescriptorProto, RawOptions, SourceCodeInfo, UninterpretedOption,
};
use super::features::{self, features_field, Features};
use super::link::{Kind, Linker};
use super::text_format;

/// A definition the interpreter needs: message and enum types, and extensions, each with
/// whether its file is proto3 (repeated scalars packed by default). A message comes without
/// its nested messages, enums and extensions (each is a definition of its own).
#[derive(Clone)]
pub(super) enum Def {
    Msg(Arc<DescriptorProto>, bool),
    Enum(Arc<EnumDescriptorProto>),
    Ext(Arc<FieldDescriptorProto>, bool),
}

pub(super) type Defs = HashMap<String, Def>;

/// Adds the types and extensions `file` defines to `defs`.
pub(super) fn index_file(file: &FileDescriptorProto, defs: &mut Defs) {
    // Whether repeated scalars are packed by default: proto3, or editions unless a scope's
    // features say EXPANDED.
    let features = Features::for_file(file);
    let proto3 = features.packed();
    let package = file.package.clone().unwrap_or_default();
    for m in &file.message_type {
        index_message(&package, m, features, defs);
    }
    for e in &file.enum_type {
        defs.insert(
            qualify(&package, e.name.as_deref().unwrap_or("")),
            Def::Enum(Arc::new(e.clone())),
        );
    }
    for x in &file.extension {
        defs.insert(
            qualify(&package, x.name()),
            Def::Ext(Arc::new(x.clone()), proto3),
        );
    }
}

fn index_message(scope: &str, m: &DescriptorProto, parent: Features, defs: &mut Defs) {
    let full = qualify(scope, m.name());
    let features = parent.with(m.options.as_ref(), features_field::MESSAGE);
    let proto3 = features.packed();
    for n in &m.nested_type {
        index_message(&full, n, features, defs);
    }
    for e in &m.enum_type {
        defs.insert(
            qualify(&full, e.name.as_deref().unwrap_or("")),
            Def::Enum(Arc::new(e.clone())),
        );
    }
    for x in &m.extension {
        defs.insert(
            qualify(&full, x.name()),
            Def::Ext(Arc::new(x.clone()), proto3),
        );
    }
    defs.insert(full, Def::Msg(Arc::new(shallow(m)), proto3));
}

/// `m` without the definitions nested in it, which are indexed under their own names: a deep
/// copy would hold each nested message again for every message around it, and the pool keeps
/// one of these for every message of a run.
fn shallow(m: &DescriptorProto) -> DescriptorProto {
    DescriptorProto {
        name: m.name.clone(),
        field: m.field.clone(),
        extension: Vec::new(),
        nested_type: Vec::new(),
        enum_type: Vec::new(),
        extension_range: m.extension_range.clone(),
        oneof_decl: m.oneof_decl.clone(),
        options: m.options.clone(),
        reserved_range: m.reserved_range.clone(),
        reserved_name: m.reserved_name.clone(),
        visibility: m.visibility,
    }
}

fn qualify(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_string()
    } else {
        format!("{scope}.{name}")
    }
}

/// protoc 36.2's own descriptor.proto: what its binary knows as the options messages.
pub(super) fn builtin() -> &'static Defs {
    static DEFS: OnceLock<Defs> = OnceLock::new();
    DEFS.get_or_init(|| {
        let src = include_bytes!(concat!(env!("OUT_DIR"), "/descriptor.proto"));
        let ast =
            super::parse("google/protobuf/descriptor.proto", src).expect("descriptor.proto parses");
        let (fd, info) = super::build::build(&ast);
        let mut pool = super::link::Pool::new();
        pool.skip_options = true;
        let fd = pool.add(fd, Some(info)).expect("descriptor.proto links");
        let mut defs = Defs::default();
        index_file(fd, &mut defs);
        defs
    })
}

/// Whether a repeated `f` is written packed (proto2: `[packed = true]`; proto3: unless
/// `[packed = false]`; editions: by its `repeated_field_encoding` feature), judging its options
/// interpreted or not. `proto3`: packed by default where `f` is declared.
pub(super) fn is_packed(f: &FieldDescriptorProto, proto3: bool) -> bool {
    if f.label != Some(label::REPEATED) || !is_packable(f.r#type.unwrap_or(0)) {
        return false;
    }
    let default = Features::for_file(&FileDescriptorProto::default());
    let default = Features {
        repeated_field_encoding: if proto3 {
            features::encoding::PACKED
        } else {
            features::encoding::EXPANDED
        },
        ..default
    };
    let mut packed = default
        .with(f.options.as_ref(), features_field::FIELD)
        .packed();
    if let Some(o) = &f.options {
        for u in &o.uninterpreted {
            if u.name.len() == 1 && !u.name[0].is_extension && u.name[0].name_part == "packed" {
                packed = u.identifier_value.as_deref() == Some("true");
            }
        }
        // Interpreted: FieldOptions.packed is field 2, a varint.
        for (n, b) in split_fields(&o.raw) {
            if n == 2 && b.len() == 2 {
                packed = b[1] != 0;
            }
        }
    }
    packed
}

fn is_packable(t: i32) -> bool {
    !matches!(
        t,
        field_type::STRING | field_type::GROUP | field_type::MESSAGE | 12
    )
}

/// An interpreted option: its top-level field number, whether that is an extension, its
/// encoding and its destination path.
type Resolved = (i32, bool, Vec<u8>, Vec<i32>);

/// Interprets every option of one file; `linker` resolves names as the file sees them.
pub(super) struct Interpreter<'a, 'b> {
    pub linker: &'a mut Linker<'b>,
    pub local: &'a Defs,
    pub pool: &'a Defs,
    /// `[.., 999, k]` -> the interpreted option's path.
    pub paths: HashMap<Vec<i32>, Vec<i32>>,
    counts: HashMap<Vec<i32>, i32>,
    /// Name errors: (protoc's pass: 0 for plain options, 1 for extensions; the element's
    /// options path; the option name's path; message).
    pub errors: Vec<(u8, Vec<i32>, Vec<i32>, String)>,
    /// Destination paths of the singular options set so far.
    set: super::HashSet<Vec<i32>>,
}

impl<'a, 'b> Interpreter<'a, 'b> {
    pub fn new(linker: &'a mut Linker<'b>, local: &'a Defs, pool: &'a Defs) -> Self {
        Self {
            linker,
            local,
            pool,
            paths: HashMap::default(),
            counts: HashMap::default(),
            errors: Vec::new(),
            set: Default::default(),
        }
    }

    pub(super) fn def(&self, name: &str) -> Option<Def> {
        let name = name.strip_prefix('.').unwrap_or(name);
        self.local
            .get(name)
            .or_else(|| self.pool.get(name))
            .or_else(|| builtin().get(name))
            .cloned()
    }

    pub(super) fn message(&self, name: &str) -> Option<(Arc<DescriptorProto>, bool)> {
        match self.def(name)? {
            Def::Msg(m, p) => Some((m, p)),
            _ => None,
        }
    }

    /// An extension by (relative) name from `scope`, as protoc's `LookupSymbol`.
    pub(super) fn extension(
        &mut self,
        name: &str,
        scope: &str,
    ) -> Option<(String, Arc<FieldDescriptorProto>, bool)> {
        let (full, _) = self.linker.lookup(name, scope, false)?;
        match self.def(&full)? {
            Def::Ext(f, p) => Some((full, f, p)),
            _ => None,
        }
    }

    pub(super) fn enum_value(&self, type_name: &str, value: &str) -> Option<i32> {
        match self.def(type_name)? {
            Def::Enum(e) => e
                .value
                .iter()
                .find(|v| v.name() == value)
                .map(|v| v.number()),
            _ => None,
        }
    }

    /// Whether enum `type_name` has a value numbered `n`.
    pub(super) fn enum_has_number(&self, type_name: &str, n: i128) -> bool {
        match self.def(type_name) {
            Some(Def::Enum(e)) => e.value.iter().any(|v| i128::from(v.number()) == n),
            _ => false,
        }
    }

    /// Interprets `opts` (of message `google.protobuf.<kind>`), found at `path` in the file,
    /// for an element whose option names resolve from `scope`.
    pub fn interpret(
        &mut self,
        opts: &mut Option<RawOptions>,
        kind: &str,
        scope: &str,
        path: &[i32],
    ) {
        let Some(opts) = opts else { return };
        if opts.uninterpreted.is_empty() {
            return;
        }
        let options_type = format!("google.protobuf.{kind}");
        let mut known: Vec<(i32, Vec<u8>)> = split_fields(&opts.raw);
        let mut custom: Vec<u8> = Vec::new();
        let mut left = Vec::new();
        // protoc interprets plain options, then extensions, in two passes that each stop at
        // the element's first failing option.
        let mut failed = [false, false];
        for (k, u) in std::mem::take(&mut opts.uninterpreted)
            .into_iter()
            .enumerate()
        {
            let pass = u8::from(u.name.first().is_some_and(|n| n.is_extension));
            if failed[usize::from(pass)] {
                left.push(u);
                continue;
            }
            match self.single(&u, &options_type, scope, path) {
                Err(Some((at, message))) => {
                    failed[usize::from(pass)] = true;
                    let error_path = self.error_path(path, k as i32, at);
                    self.errors.push((pass, path.to_vec(), error_path, message));
                    left.push(u);
                }
                Err(None) => left.push(u),
                Ok((number, is_ext, bytes, dest)) => {
                    let mut src = path.to_vec();
                    src.extend([999, k as i32]);
                    self.paths.insert(src, dest);
                    if is_ext {
                        custom.extend(bytes);
                    } else {
                        known.push((number, bytes));
                    }
                }
            }
        }
        let mut raw = canonical(&options_type, known);
        raw.extend(custom);
        opts.raw = raw;
        opts.uninterpreted = left;
    }

    /// Where protoc reports an option's error: at its name, or at its value (the
    /// `[.., 999, k, field]` location, whichever value field the parser recorded).
    fn error_path(&self, path: &[i32], k: i32, at: At) -> Vec<i32> {
        let base = [path, &[999, k]].concat();
        match at {
            At::Name => [&base[..], &[2]].concat(),
            At::Value => (3..=8)
                .map(|field| [&base[..], &[field]].concat())
                .find(|p| self.linker.has_location(p))
                .unwrap_or(base),
        }
    }

    /// One option: its top-level field number, whether that is an extension, its encoding
    /// and its destination path; or protoc's error and where it points (`None`: a failure we
    /// do not report yet, leaving the option uninterpreted).
    fn single(
        &mut self,
        u: &UninterpretedOption,
        options_type: &str,
        scope: &str,
        path: &[i32],
    ) -> Result<Resolved, Option<(At, String)>> {
        let name_error = |m: String| Some((At::Name, m));
        let mut descriptor = self.message(options_type).ok_or(None)?.0;
        let mut descriptor_name = options_type.to_string();
        let mut fields: Vec<(Arc<FieldDescriptorProto>, bool)> = Vec::new();
        let mut leaf_name = String::new();
        let mut dest = path.to_vec();
        let mut debug = String::new();
        for (i, part) in u.name.iter().enumerate() {
            if !debug.is_empty() {
                debug.push('.');
            }
            let unknown = |debug: &str| {
                name_error(format!(
                    "Option \"{debug}\" unknown. Ensure that your proto definition file imports \
                     the proto which defines the option (i.e. via import option after edition \
                     2024)."
                ))
            };
            let (f, proto3) = if part.is_extension {
                debug += &format!("({})", part.name_part);
                let Some((full, f, p)) = self.extension(&part.name_part, scope) else {
                    if let Some(resolved) = self.linker.unresolved_name() {
                        let rest = debug.get(1..).unwrap_or("");
                        return Err(name_error(format!(
                            "Option \"{debug}\" is resolved to \"({resolved})\", which is not \
                             defined. The innermost scope is searched first in name resolution. \
                             Consider using a leading '.'(i.e., \"(.{rest}\") to start from the \
                             outermost scope."
                        )));
                    }
                    return Err(unknown(&debug));
                };
                if f.extendee.as_deref().map(|e| e.trim_start_matches('.'))
                    != Some(&descriptor_name)
                {
                    let short = descriptor.name().to_string();
                    return Err(name_error(format!(
                        "Option field \"{debug}\" is not a field or extension of message \
                         \"{short}\"."
                    )));
                }
                leaf_name = full;
                (f, p)
            } else {
                debug += &part.name_part;
                let f = descriptor
                    .field
                    .iter()
                    .find(|f| f.name() == part.name_part)
                    .ok_or_else(|| unknown(&debug))?
                    .clone();
                leaf_name = format!("{descriptor_name}.{}", f.name());
                (Arc::new(f), false)
            };
            dest.push(f.number());
            if i + 1 < u.name.len() {
                let t = f.r#type.unwrap_or(0);
                if t != field_type::MESSAGE && t != field_type::GROUP {
                    return Err(name_error(format!(
                        "Option \"{debug}\" is an atomic type, not a message."
                    )));
                }
                if f.label == Some(label::REPEATED) {
                    return Err(name_error(format!(
                        "Option field \"{debug}\" is a repeated message. Repeated message \
                         options must be initialized using an aggregate value."
                    )));
                }
                descriptor_name = f.type_name().trim_start_matches('.').to_string();
                descriptor = self.message(f.type_name()).ok_or(None)?.0;
            }
            fields.push((f, proto3));
        }
        let leaf_repeated = fields
            .last()
            .is_some_and(|(f, _)| f.label == Some(label::REPEATED));
        if !leaf_repeated && !self.set.insert(dest.clone()) {
            return Err(name_error(format!("Option \"{debug}\" was already set.")));
        }
        self.finish(u, fields, &leaf_name, dest)
    }

    /// The encoding of a resolved option (`fields` from the options message to the leaf,
    /// whose full name is `leaf_name`).
    fn finish(
        &mut self,
        u: &UninterpretedOption,
        fields: Vec<(Arc<FieldDescriptorProto>, bool)>,
        leaf_name: &str,
        mut dest: Vec<i32>,
    ) -> Result<Resolved, Option<(At, String)>> {
        let (leaf, _) = fields.last().ok_or(None)?.clone();
        let mut bytes = Vec::new();
        self.value(&leaf, leaf_name, u, &mut bytes)
            .map_err(|e| e.map(|m| (At::Value, m)))?;
        if leaf.label == Some(label::REPEATED) {
            let c = self.counts.entry(dest.clone()).or_insert(0);
            dest.push(*c);
            *c += 1;
        }
        for (f, _) in fields[..fields.len() - 1].iter().rev() {
            let mut outer = Vec::new();
            if f.r#type == Some(field_type::GROUP) {
                encode_key(f.number() as u32, WireType::StartGroup, &mut outer);
                outer.extend(bytes);
                encode_key(f.number() as u32, WireType::EndGroup, &mut outer);
            } else {
                encode_key(f.number() as u32, WireType::LengthDelimited, &mut outer);
                encode_varint(bytes.len() as u64, &mut outer);
                outer.extend(bytes);
            }
            bytes = outer;
        }
        Ok((fields[0].0.number(), u.name[0].is_extension, bytes, dest))
    }

    /// protoc's `SetOptionValue`: the leaf field's key and value, or protoc's error for the
    /// value (`None`: one we do not report yet).
    fn value(
        &mut self,
        f: &FieldDescriptorProto,
        full_name: &str,
        u: &UninterpretedOption,
        out: &mut Vec<u8>,
    ) -> Result<(), Option<String>> {
        let n = f.number() as u32;
        let t = f.r#type.unwrap_or(0);
        if t == field_type::MESSAGE || t == field_type::GROUP {
            let Some(text) = u.aggregate_value.as_ref() else {
                let name = f.name();
                return Err(Some(format!(
                    "Option \"{full_name}\" is a message. To set the entire message, use syntax \
                     like \"{name} = {{ <proto text format> }}\". To set fields within it, use \
                     syntax like \"{name}.foo = value\"."
                )));
            };
            let body = text_format::parse(self, f.type_name(), text).map_err(|e| {
                e.map(|e| format!("Error while parsing option value for \"{}\": {e}", f.name()))
            })?;
            if t == field_type::GROUP {
                encode_key(n, WireType::StartGroup, out);
                out.extend(body);
                encode_key(n, WireType::EndGroup, out);
            } else {
                encode_key(n, WireType::LengthDelimited, out);
                encode_varint(body.len() as u64, out);
                out.extend(body);
            }
            return Ok(());
        }
        let v = scalar_value(self, f, full_name, u)?;
        encode_scalar(n, t, &v, out).ok_or(None)
    }

    /// protoc's check of an enum option's value: the value's symbol, a sibling of the enum,
    /// must be one of the enum's values.
    fn enum_option_value(
        &self,
        f: &FieldDescriptorProto,
        full_name: &str,
        id: &str,
    ) -> Result<i32, String> {
        let enum_name = f.type_name().trim_start_matches('.');
        let sibling = match enum_name.rsplit_once('.') {
            Some((scope, _)) => format!("{scope}.{id}"),
            None => id.to_string(),
        };
        if let Some(Kind::EnumValue(owner)) = self.linker.symbol_kind(&sibling) {
            if owner != enum_name {
                return Err(format!(
                    "Enum type \"{enum_name}\" has no value named \"{id}\" for option \
                     \"{full_name}\". This appears to be a value from a sibling type."
                ));
            }
        }
        self.enum_value(enum_name, id).ok_or_else(|| {
            format!(
                "Enum type \"{enum_name}\" has no value named \"{id}\" for option \
                 \"{full_name}\"."
            )
        })
    }
}

/// Where an option error points.
#[derive(Clone, Copy)]
enum At {
    Name,
    Value,
}

/// The C++ type family of a scalar field type, with its bounds: protoc checks option values
/// by it.
fn int_family(t: i32) -> Option<(&'static str, i128, i128)> {
    Some(match t {
        5 | 15 | 17 => ("int32", i128::from(i32::MIN), i128::from(i32::MAX)),
        3 | 16 | 18 => ("int64", i128::from(i64::MIN), i128::from(i64::MAX)),
        13 | 7 => ("uint32", 0, i128::from(u32::MAX)),
        4 | 6 => ("uint64", 0, i128::from(u64::MAX)),
        _ => return None,
    })
}

/// A scalar option's value, checked as protoc's `SetOptionValue` checks it.
fn scalar_value(
    i: &Interpreter<'_, '_>,
    f: &FieldDescriptorProto,
    full_name: &str,
    u: &UninterpretedOption,
) -> Result<Scalar, Option<String>> {
    let t = f.r#type.unwrap_or(0);
    if let Some((family, min, max)) = int_family(t) {
        let v = match (u.positive_int_value, u.negative_int_value) {
            (Some(p), _) => i128::from(p),
            // Only the signed families take a negative value.
            (None, Some(n)) if min < 0 => i128::from(n),
            _ => {
                return Err(Some(format!(
                    "Value must be integer, from {min} to {max}, for {family} option \
                     \"{full_name}\"."
                )))
            }
        };
        if v < min || v > max {
            return Err(Some(format!(
                "Value out of range, {min} to {max}, for {family} option \"{full_name}\"."
            )));
        }
        return Ok(Scalar::Int(v));
    }
    match t {
        1 | 2 => {
            if let Some(d) = u.double_value {
                Ok(Scalar::Float(d))
            } else if let Some(p) = u.positive_int_value {
                Ok(Scalar::Float(p as f64))
            } else if let Some(p) = u.negative_int_value {
                Ok(Scalar::Float(p as f64))
            } else {
                match u.identifier_value.as_deref() {
                    Some("inf") => Ok(Scalar::Float(f64::INFINITY)),
                    Some("nan") => Ok(Scalar::Float(f64::NAN)),
                    _ => Err(Some(format!(
                        "Value must be number for {} option \"{full_name}\".",
                        if t == 1 { "double" } else { "float" }
                    ))),
                }
            }
        }
        8 => match u.identifier_value.as_deref() {
            None => Err(Some(format!(
                "Value must be identifier for boolean option \"{full_name}\"."
            ))),
            Some("true") => Ok(Scalar::Int(1)),
            Some("false") => Ok(Scalar::Int(0)),
            Some(_) => Err(Some(format!(
                "Value must be \"true\" or \"false\" for boolean option \"{full_name}\"."
            ))),
        },
        field_type::ENUM => {
            let Some(id) = u.identifier_value.as_deref() else {
                return Err(Some(format!(
                    "Value must be identifier for enum-valued option \"{full_name}\"."
                )));
            };
            let v = i.enum_option_value(f, full_name, id).map_err(Some)?;
            Ok(Scalar::Int(i128::from(v)))
        }
        field_type::STRING | 12 => u.string_value.clone().map(Scalar::Bytes).ok_or_else(|| {
            Some(format!(
                "Value must be quoted string for string option \"{full_name}\"."
            ))
        }),
        _ => Err(None),
    }
}

/// A scalar value before encoding.
pub(super) enum Scalar {
    Int(i128),
    Float(f64),
    Bytes(Vec<u8>),
}

/// Encodes one value of scalar type `t` as field `n` (key included), checking its range.
pub(super) fn encode_scalar(n: u32, t: i32, v: &Scalar, out: &mut Vec<u8>) -> Option<()> {
    let wire = match t {
        1 | 6 | 16 => WireType::SixtyFourBit,
        2 | 7 | 15 => WireType::ThirtyTwoBit,
        9 | 12 => WireType::LengthDelimited,
        _ => WireType::Varint,
    };
    encode_key(n, wire, out);
    encode_scalar_value(t, v, out)
}

/// The value alone (no key), as in a packed list.
pub(super) fn encode_scalar_value(t: i32, v: &Scalar, out: &mut Vec<u8>) -> Option<()> {
    match (t, v) {
        (9 | 12, Scalar::Bytes(b)) => {
            encode_varint(b.len() as u64, out);
            out.extend(b);
        }
        (1, Scalar::Float(d)) => out.extend(d.to_le_bytes()),
        (2, Scalar::Float(d)) => out.extend((*d as f32).to_le_bytes()),
        (1, Scalar::Int(i)) => out.extend((*i as f64).to_le_bytes()),
        (2, Scalar::Int(i)) => out.extend((*i as f32).to_le_bytes()),
        (3 | 5 | 14 | 17 | 18 | 8 | 4 | 13 | 6 | 7 | 15 | 16, Scalar::Int(i)) => {
            let i = *i;
            let ok = match t {
                3 | 18 | 16 => i >= i128::from(i64::MIN) && i <= i128::from(i64::MAX),
                5 | 17 | 14 | 15 => i >= i128::from(i32::MIN) && i <= i128::from(i32::MAX),
                4 | 6 => i >= 0 && i <= i128::from(u64::MAX),
                13 | 7 => i >= 0 && i <= i128::from(u32::MAX),
                _ => i == 0 || i == 1,
            };
            if !ok {
                return None;
            }
            match t {
                17 => encode_varint(
                    u64::from(((i as i32) << 1 ^ ((i as i32) >> 31)) as u32),
                    out,
                ),
                18 => encode_varint(((i as i64) << 1 ^ ((i as i64) >> 63)) as u64, out),
                6 => out.extend((i as u64).to_le_bytes()),
                16 => out.extend((i as i64).to_le_bytes()),
                7 => out.extend((i as u32).to_le_bytes()),
                15 => out.extend((i as i32).to_le_bytes()),
                4 | 13 | 8 => encode_varint(i as u64, out),
                _ => encode_varint(i as i64 as u64, out),
            }
        }
        _ => return None,
    }
    Some(())
}

/// Splits serialized fields into (number, bytes with key).
fn split_fields(raw: &[u8]) -> Vec<(i32, Vec<u8>)> {
    let mut out = Vec::new();
    let mut buf = raw;
    while !buf.is_empty() {
        let before = buf;
        let Ok((tag, wire)) = prost::encoding::decode_key(&mut buf) else {
            break;
        };
        let mut copy = Vec::new();
        if super::descriptor::copy_field(tag, wire, &mut buf, &mut copy).is_err() {
            break;
        }
        let used = before.len() - buf.len();
        out.push((tag as i32, before[..used].to_vec()));
    }
    out
}

/// protoc's `UpdateSourceCodeInfo`: renames each interpreted `[.., 999, k]` location and drops
/// the locations inside it.
pub(super) fn update_source_info(info: &mut SourceCodeInfo, paths: &HashMap<Vec<i32>, Vec<i32>>) {
    if paths.is_empty() {
        return;
    }
    let mut matched: Option<Box<[i32]>> = None;
    info.location.retain_mut(|loc| {
        if let Some(m) = &matched {
            if loc.path.starts_with(m) {
                return false;
            }
            matched = None;
        }
        if let Some(dest) = paths.get(&loc.path[..]) {
            matched = Some(std::mem::replace(&mut loc.path, dest[..].into()));
        }
        true
    });
}

/// Interprets the options of every element of `file`; `i.paths` then says how to rename their
/// locations ([`update_source_info`]).
pub(super) fn interpret_file(i: &mut Interpreter<'_, '_>, file: &mut FileDescriptorProto) {
    let package = file.package.clone().unwrap_or_default();
    i.interpret(
        &mut file.options,
        "FileOptions",
        &format!("{package}.dummy"),
        &[8],
    );
    for (k, m) in file.message_type.iter_mut().enumerate() {
        message(i, m, &package, &[4, k as i32]);
    }
    for (k, e) in file.enum_type.iter_mut().enumerate() {
        enumeration(i, e, &package, &[5, k as i32]);
    }
    for (k, x) in file.extension.iter_mut().enumerate() {
        let scope = qualify(&package, x.name());
        i.interpret(&mut x.options, "FieldOptions", &scope, &[7, k as i32, 8]);
    }
    for (k, s) in file.service.iter_mut().enumerate() {
        let sname = qualify(&package, s.name());
        i.interpret(&mut s.options, "ServiceOptions", &sname, &[6, k as i32, 3]);
        for (j, m) in s.method.iter_mut().enumerate() {
            let scope = qualify(&sname, m.name());
            i.interpret(
                &mut m.options,
                "MethodOptions",
                &scope,
                &[6, k as i32, 2, j as i32, 4],
            );
        }
    }
}

fn join(path: &[i32], more: &[i32]) -> Vec<i32> {
    let mut p = path.to_vec();
    p.extend_from_slice(more);
    p
}

fn message(i: &mut Interpreter<'_, '_>, m: &mut DescriptorProto, scope: &str, path: &[i32]) {
    let full = qualify(scope, m.name());
    i.interpret(&mut m.options, "MessageOptions", &full, &join(path, &[7]));
    for (k, f) in m.field.iter_mut().enumerate() {
        let s = qualify(&full, f.name());
        i.interpret(
            &mut f.options,
            "FieldOptions",
            &s,
            &join(path, &[2, k as i32, 8]),
        );
    }
    for (k, f) in m.extension.iter_mut().enumerate() {
        let s = qualify(&full, f.name());
        i.interpret(
            &mut f.options,
            "FieldOptions",
            &s,
            &join(path, &[6, k as i32, 8]),
        );
    }
    for (k, o) in m.oneof_decl.iter_mut().enumerate() {
        let s = qualify(&full, o.name.as_deref().unwrap_or(""));
        i.interpret(
            &mut o.options,
            "OneofOptions",
            &s,
            &join(path, &[8, k as i32, 2]),
        );
    }
    for (k, r) in m.extension_range.iter_mut().enumerate() {
        i.interpret(
            &mut r.options,
            "ExtensionRangeOptions",
            &full,
            &join(path, &[5, k as i32, 3]),
        );
    }
    for (k, n) in m.nested_type.iter_mut().enumerate() {
        message(i, n, &full, &join(path, &[3, k as i32]));
    }
    for (k, e) in m.enum_type.iter_mut().enumerate() {
        enumeration(i, e, &full, &join(path, &[4, k as i32]));
    }
}

fn enumeration(
    i: &mut Interpreter<'_, '_>,
    e: &mut EnumDescriptorProto,
    scope: &str,
    path: &[i32],
) {
    let full = qualify(scope, e.name.as_deref().unwrap_or(""));
    i.interpret(&mut e.options, "EnumOptions", &full, &join(path, &[3]));
    for (k, v) in e.value.iter_mut().enumerate() {
        let s = qualify(scope, v.name.as_deref().unwrap_or(""));
        i.interpret(
            &mut v.options,
            "EnumValueOptions",
            &s,
            &join(path, &[2, k as i32, 3]),
        );
    }
}

/// Known fields of builtin message `type_name` as protoc's C++ parse-then-serialize leaves
/// them: field-number order, a singular message given several times merged into one (as
/// `option features.a = ..; option features.b = ..;` are), a singular scalar's last value.
fn canonical(type_name: &str, mut fields: Vec<(i32, Vec<u8>)>) -> Vec<u8> {
    fields.sort_by_key(|(n, _)| *n);
    let msg = match builtin().get(type_name) {
        Some(Def::Msg(m, _)) => Some(m.clone()),
        _ => None,
    };
    let mut out = Vec::new();
    let mut k = 0;
    while k < fields.len() {
        let n = fields[k].0;
        let mut end = k + 1;
        while end < fields.len() && fields[end].0 == n {
            end += 1;
        }
        let f = msg
            .as_ref()
            .and_then(|m| m.field.iter().find(|f| f.number() == n));
        match f {
            Some(f) if f.label != Some(label::REPEATED) && end - k > 1 => {
                if f.r#type == Some(field_type::MESSAGE) {
                    let mut inner = Vec::new();
                    for (_, b) in &fields[k..end] {
                        let mut buf = b.as_slice();
                        let _ = prost::encoding::decode_key(&mut buf);
                        let _ = prost::encoding::decode_varint(&mut buf);
                        inner.extend(split_fields(buf));
                    }
                    let body = canonical(f.type_name().trim_start_matches('.'), inner);
                    encode_key(n as u32, WireType::LengthDelimited, &mut out);
                    encode_varint(body.len() as u64, &mut out);
                    out.extend(body);
                } else {
                    out.extend(&fields[end - 1].1);
                }
            }
            _ => {
                for (_, b) in &fields[k..end] {
                    out.extend(b);
                }
            }
        }
        k = end;
    }
    out
}
