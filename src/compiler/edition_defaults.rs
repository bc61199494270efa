//! protoc's `--edition_defaults_out`: the `FeatureSetDefaults` of the compiled pool, as protoc's
//! `FeatureResolver::CompileDefaults` makes it. The features are the fields of
//! `google.protobuf.FeatureSet` and of every message extending it (`pb.cpp`, `pb.java`, ...);
//! each field's `edition_defaults` and `feature_support` options say, for every edition where
//! something changes, its default and whether a file may still override it.
//!
//! Everything is read from the pool's own `descriptor.proto`, not from protowasm's built-in
//! knowledge, so that a newer descriptor.proto on `-I` gives its own defaults.

use prost::encoding::{encode_key, encode_varint, WireType};

use super::descriptor::EnumDescriptorProto;
use super::descriptor::{field_type, label, DescriptorProto, FieldDescriptorProto};
use super::link::Pool;
use super::options::{Def, Defs};
use super::retention::split;
use crate::feature_check::edition_name;

const EDITION_LEGACY: i32 = 900;
const EDITION_UNSTABLE: i32 = 9999;

/// `FieldOptions` fields read here.
const TARGETS: i32 = 19;
const EDITION_DEFAULTS: i32 = 20;
const FEATURE_SUPPORT: i32 = 22;

/// A feature field's options, as `CompileDefaults` reads them.
#[derive(Debug, Default)]
struct Feature<'p> {
    field: Option<&'p FieldDescriptorProto>,
    full_name: String,
    /// (edition, text value), in declaration order.
    defaults: Vec<(i32, String)>,
    targets: bool,
    /// `None` when the field has no `feature_support` option.
    support: Option<Support>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Support {
    introduced: Option<i32>,
    removed: Option<i32>,
}

/// The serialized `FeatureSetDefaults` for editions `minimum` to `maximum`, or protoc's message
/// (to print after the output file's name).
pub fn compile(pool: &Pool, minimum: i32, maximum: i32) -> Result<Vec<u8>, String> {
    let index = Index::new(pool);
    let Some(feature_set) = index.message("google.protobuf.FeatureSet") else {
        return Err("Could not find FeatureSet in descriptor pool.  Please make sure descriptor.proto is in your import path".into());
    };
    if minimum > maximum {
        return Err(format!(
            "Invalid edition range, edition {} is newer than edition {}",
            edition_name(minimum),
            edition_name(maximum)
        ));
    }
    let core = features(feature_set, "google.protobuf.FeatureSet")?;
    // Extensions by number, as the pool finds them.
    let mut extensions: Vec<(&FieldDescriptorProto, String)> =
        index.extensions_of(".google.protobuf.FeatureSet");
    extensions.sort_by_key(|(x, _)| x.number());
    let mut extension_features = Vec::new();
    for (x, full) in &extensions {
        let message = validate_extension(&index, x, full)?;
        let name = x.type_name().trim_start_matches('.');
        extension_features.push((x.number(), features(message, name)?));
    }

    let mut editions = std::collections::BTreeSet::new();
    let mut collect = |fs: &[Feature<'_>]| {
        for f in fs {
            let support = f.support.unwrap_or_default();
            let mut add = |e: i32| {
                if e <= maximum || e == EDITION_UNSTABLE {
                    editions.insert(e);
                }
            };
            add(support.introduced.unwrap_or(0));
            if let Some(r) = support.removed {
                add(r);
            }
            for (e, _) in &f.defaults {
                add(*e);
            }
        }
    };
    collect(&core);
    for (_, fs) in &extension_features {
        collect(fs);
    }
    let first = *editions.iter().next().unwrap_or(&0);
    if first != EDITION_LEGACY {
        return Err(format!(
            "Minimum edition {} is not EDITION_LEGACY",
            edition_name(first)
        ));
    }
    if first > minimum {
        return Err(format!(
            "Minimum edition {} is earlier than the oldest valid edition {}",
            edition_name(minimum),
            edition_name(first)
        ));
    }

    let mut out = Vec::new();
    for &edition in &editions {
        let (mut fixed, mut overridable) = fill(&index, &core, edition)?;
        for (number, fs) in &extension_features {
            let (f, o) = fill(&index, fs, edition)?;
            message_field(*number as u32, &f, &mut fixed);
            message_field(*number as u32, &o, &mut overridable);
        }
        let mut entry = Vec::new();
        encode_key(3, WireType::Varint, &mut entry);
        encode_varint(edition as i64 as u64, &mut entry);
        message_field(4, &overridable, &mut entry);
        message_field(5, &fixed, &mut entry);
        message_field(1, &entry, &mut out);
    }
    for (number, edition) in [(4, minimum), (5, maximum)] {
        encode_key(number, WireType::Varint, &mut out);
        encode_varint(edition as i64 as u64, &mut out);
    }
    Ok(out)
}

fn message_field(number: u32, bytes: &[u8], out: &mut Vec<u8>) {
    encode_key(number, WireType::LengthDelimited, out);
    encode_varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

/// For one edition, the fixed and the overridable features of `fs`, serialized in field-number
/// order: a feature not yet introduced, or removed, is fixed.
fn fill(index: &Index<'_>, fs: &[Feature<'_>], edition: i32) -> Result<(Vec<u8>, Vec<u8>), String> {
    let mut sorted: Vec<&Feature<'_>> = fs.iter().collect();
    sorted.sort_by_key(|f| f.field.map_or(0, |x| x.number()));
    let (mut fixed, mut overridable) = (Vec::new(), Vec::new());
    for f in sorted {
        let Some(field) = f.field else { continue };
        let support = f.support.unwrap_or_default();
        let is_fixed = support.introduced.is_some_and(|i| edition < i)
            || support.removed.is_some_and(|r| edition >= r);
        // The default of the latest edition not after this one (a stable sort by edition).
        let mut defaults = f.defaults.clone();
        defaults.sort_by_key(|(e, _)| *e);
        let Some((_, text)) = defaults.iter().rev().find(|(e, _)| *e <= edition) else {
            return Err(format!(
                "No valid default found for edition {} in feature field {}",
                edition_name(edition),
                f.full_name
            ));
        };
        let value = parse_value(index, field, text).map_err(|why| {
            // protoc's text parser logs why before the resolver's own message.
            let message = f.full_name.rsplit_once('.').map_or("", |(m, _)| m);
            eprint!(
                "{}",
                crate::codec::absl_error_line(
                    "text_format.cc:459",
                    &format!(
                        "Error parsing text-format {message}: 1:{}: {why}",
                        text.trim().chars().count() + 1
                    )
                )
            );
            format!(
                "Parsing error in edition_defaults for feature field {}. Could not parse: {text}",
                f.full_name
            )
        })?;
        let out = if is_fixed {
            &mut fixed
        } else {
            &mut overridable
        };
        encode_key(field.number() as u32, WireType::Varint, out);
        encode_varint(value, out);
    }
    Ok((fixed, overridable))
}

/// A default's text as protoc's `ParseFieldValueFromString` reads it, for enum and bool fields;
/// `Err` holds the text parser's complaint.
fn parse_value(index: &Index<'_>, field: &FieldDescriptorProto, text: &str) -> Result<u64, String> {
    let text = text.trim();
    let name = field.name();
    if field.r#type() == field_type::BOOL {
        return match text {
            "true" | "True" | "t" | "1" => Ok(1),
            "false" | "False" | "f" | "0" => Ok(0),
            _ => Err(format!(
                "Invalid value for boolean field \"{name}\". Value: \"{text}\"."
            )),
        };
    }
    let unknown = || format!("Unknown enumeration value of \"{text}\" for field \"{name}\".");
    let e = index
        .enumeration(field.type_name().trim_start_matches('.'))
        .ok_or_else(unknown)?;
    if let Some(v) = e.value.iter().find(|v| v.name() == text) {
        return Ok(v.number() as i64 as u64);
    }
    let n: i32 = text.parse().map_err(|_| unknown())?;
    e.value
        .iter()
        .any(|v| v.number() == n)
        .then_some(n as i64 as u64)
        .ok_or_else(unknown)
}

/// The features of `message` (its fields), validated as protoc's `ValidateDescriptor` does.
fn features<'p>(message: &'p DescriptorProto, full: &str) -> Result<Vec<Feature<'p>>, String> {
    if !message.oneof_decl.is_empty() {
        return Err(format!(
            "Type {full} contains unsupported oneof feature fields."
        ));
    }
    let mut out = Vec::new();
    for field in &message.field {
        let f = feature(field, full);
        let name = &f.full_name;
        if field.label() == label::REQUIRED {
            return Err(format!(
                "Feature field {name} is an unsupported required field."
            ));
        }
        if field.label() == label::REPEATED {
            return Err(format!(
                "Feature field {name} is an unsupported repeated field."
            ));
        }
        if !matches!(field.r#type(), field_type::ENUM | field_type::BOOL) {
            return Err(format!("Feature field {name} is not an enum or boolean."));
        }
        if !f.targets {
            return Err(format!("Feature field {name} has no target specified."));
        }
        if !f.defaults.iter().any(|(e, _)| *e == EDITION_LEGACY) {
            return Err(format!(
                "Feature field {name} has no default specified for EDITION_LEGACY, before it was introduced."
            ));
        }
        let Some(support) = f.support else {
            return Err(format!(
                "Feature field {name} has no feature support specified."
            ));
        };
        let Some(introduced) = support.introduced else {
            return Err(format!(
                "Feature field {name} does not specify the edition it was introduced in."
            ));
        };
        for (e, _) in f.defaults.iter().filter(|(e, _)| *e >= 1000) {
            if *e < introduced {
                return Err(format!(
                    "Feature field {name} has a default specified for edition {}, before it was introduced.",
                    edition_name(*e)
                ));
            }
            if support.removed.is_some_and(|r| *e > r) {
                return Err(format!(
                    "Feature field {name} has a default specified for edition {}, after it was removed.",
                    edition_name(*e)
                ));
            }
        }
        out.push(f);
    }
    Ok(out)
}

/// One field's feature options, read from its serialized `FieldOptions`.
fn feature<'p>(field: &'p FieldDescriptorProto, message: &str) -> Feature<'p> {
    let mut f = Feature {
        field: Some(field),
        full_name: format!("{message}.{}", field.name()),
        ..Feature::default()
    };
    let raw = field.options.as_ref().map_or(&[][..], |o| &o.raw[..]);
    for option in split(raw).unwrap_or_default() {
        match (option.number, option.wire) {
            (TARGETS, _) => f.targets = true,
            (EDITION_DEFAULTS, WireType::LengthDelimited) => {
                let (mut edition, mut value) = (0, String::new());
                for part in split(option.payload).unwrap_or_default() {
                    match (part.number, part.wire) {
                        (3, WireType::Varint) => edition = varint(part.value()) as i32,
                        (2, WireType::LengthDelimited) => {
                            value = String::from_utf8_lossy(part.payload).into_owned()
                        }
                        _ => {}
                    }
                }
                f.defaults.push((edition, value));
            }
            (FEATURE_SUPPORT, WireType::LengthDelimited) => {
                let support = f.support.get_or_insert_with(Support::default);
                for part in split(option.payload).unwrap_or_default() {
                    match (part.number, part.wire) {
                        (1, WireType::Varint) => {
                            support.introduced = Some(varint(part.value()) as i32)
                        }
                        (4, WireType::Varint) => {
                            support.removed = Some(varint(part.value()) as i32)
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    f
}

fn varint(mut bytes: &[u8]) -> u64 {
    prost::encoding::decode_varint(&mut bytes).unwrap_or(0)
}

/// protoc's `ValidateExtension`: the extension's message, or the message protoc prints.
fn validate_extension<'p>(
    index: &Index<'p>,
    x: &FieldDescriptorProto,
    full: &str,
) -> Result<&'p DescriptorProto, String> {
    let message = (x.r#type() == field_type::MESSAGE)
        .then(|| index.message(x.type_name().trim_start_matches('.')))
        .flatten();
    let Some(message) = message else {
        return Err(format!(
            "FeatureSet extension {full} is not of message type.  Feature extensions should always use messages to allow for evolution."
        ));
    };
    if x.label() == label::REPEATED {
        return Err(format!(
            "Only singular features extensions are supported.  Found repeated extension {full}"
        ));
    }
    let name = x.type_name().trim_start_matches('.');
    if index.declares_extensions(name) || !message.extension_range.is_empty() {
        return Err(format!(
            "Nested extensions in feature extension {full} are not supported."
        ));
    }
    Ok(message)
}

/// The pool's definitions by full name (the index the option interpreter keeps), as this
/// module asks for them.
struct Index<'p>(&'p Defs);

impl<'p> Index<'p> {
    fn new(pool: &'p Pool) -> Index<'p> {
        Index(pool.defs())
    }

    fn message(&self, full: &str) -> Option<&'p DescriptorProto> {
        match self.0.get(full) {
            Some(Def::Msg(m, _)) => Some(m),
            _ => None,
        }
    }

    fn enumeration(&self, full: &str) -> Option<&'p EnumDescriptorProto> {
        match self.0.get(full) {
            Some(Def::Enum(e)) => Some(e),
            _ => None,
        }
    }

    /// Every extension of `extendee` (with its leading '.'), with its full name.
    fn extensions_of(&self, extendee: &str) -> Vec<(&'p FieldDescriptorProto, String)> {
        self.0
            .iter()
            .filter_map(|(name, def)| match def {
                Def::Ext(x, _) if x.extendee() == extendee => Some((&**x, name.clone())),
                _ => None,
            })
            .collect()
    }

    /// Whether message `full` declares extensions of its own (the index holds messages
    /// without what is nested in them: those are under their own names).
    fn declares_extensions(&self, full: &str) -> bool {
        self.0.iter().any(|(name, def)| {
            matches!(def, Def::Ext(..))
                && name
                    .strip_prefix(full)
                    .and_then(|rest| rest.strip_prefix('.'))
                    .is_some_and(|rest| !rest.contains('.'))
        })
    }
}
