//! `managed:` in a buf.gen.yaml, in each template version, read into managed mode's rules
//! (`transform::managed`) the way buf translates it:
//!
//! ```yaml
//! # v2
//! managed:
//!   enabled: true
//!   disable:
//!     - module: buf.build/googleapis/googleapis     # any of module, path, field,
//!       file_option: go_package                     # and at most one option
//!   override:
//!     - file_option: go_package_prefix              # exactly one of file_option, field_option
//!       value: github.com/acme/gen
//!     - field_option: jstype
//!       field: acme.v1.Msg.id
//!       value: JS_STRING
//! # v1
//! managed:
//!   enabled: true
//!   go_package_prefix:
//!     default: github.com/acme/gen
//!     except: [buf.build/googleapis/googleapis]     # disable rules
//!     override: {buf.build/acme/other: example.com/other}  # module overrides
//!   override:                                       # per file: option -> path -> value
//!     JAVA_PACKAGE: {acme/v1/a.proto: org.acme}
//! ```
//!
//! A v1 template becomes the same lists of rules as a v2 one, in buf's order (the order decides
//! which of two matching overrides wins). Every rule is checked when the template is read, with
//! buf's messages and the line of the rule, even when `enabled` is false.

use std::collections::BTreeMap;
use std::marker::PhantomData;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::transform::managed::{Disable, FieldOption, FileOption, Given, Managed, Override};

/// `R` read and then turned into `T` by `TryFrom`, so that an error from the conversion names
/// the line and the place (`managed.override[2]`) of the mapping it came from.
pub(super) struct Checked<R, T>(pub T, PhantomData<R>);

impl<'de, R, T> Deserialize<'de> for Checked<R, T>
where
    R: Deserialize<'de>,
    T: TryFrom<R, Error = String>,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Mapping<R, T>(PhantomData<(R, T)>);
        impl<'de, R, T> Visitor<'de> for Mapping<R, T>
        where
            R: Deserialize<'de>,
            T: TryFrom<R, Error = String>,
        {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                let raw = R::deserialize(de::value::MapAccessDeserializer::new(map))?;
                T::try_from(raw).map_err(de::Error::custom)
            }
        }
        // Through `deserialize_any`, which gives an error raised in `visit_map` its position.
        deserializer
            .deserialize_any(Mapping(PhantomData))
            .map(|t| Checked(t, PhantomData))
    }
}

/// Managed mode as a template sets it: `None` when it is not enabled.
#[derive(Debug, Default)]
pub struct ManagedMode(pub Option<Managed>);

fn given(value: yaml_serde::Value) -> Option<Given> {
    use yaml_serde::Value as V;
    Some(match value {
        V::Null => return None,
        V::Bool(b) => Given::Bool(b),
        V::String(s) => Given::String(s),
        V::Number(n) => Given::Other {
            shown: n.to_string(),
            go_type: if n.is_f64() { "float64" } else { "int" },
        },
        V::Sequence(s) => Given::Other {
            shown: format!("{s:?}"),
            go_type: "[]interface {}",
        },
        V::Mapping(m) => Given::Other {
            shown: format!("{m:?}"),
            go_type: "map[string]interface {}",
        },
        V::Tagged(t) => Given::Other {
            shown: format!("{t:?}"),
            go_type: "interface {}",
        },
    })
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

// ---- v2 ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawManagedV2 {
    #[serde(default)]
    enabled: bool,
    #[serde(default)]
    disable: Vec<Checked<RawDisableV2, Disable>>,
    #[serde(default, rename = "override")]
    overrides: Vec<Checked<RawOverrideV2, Override>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDisableV2 {
    file_option: Option<String>,
    field_option: Option<String>,
    module: Option<String>,
    path: Option<String>,
    field: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOverrideV2 {
    file_option: Option<String>,
    field_option: Option<String>,
    module: Option<String>,
    path: Option<String>,
    field: Option<String>,
    value: Option<yaml_serde::Value>,
}

impl TryFrom<RawDisableV2> for Disable {
    type Error = String;
    fn try_from(raw: RawDisableV2) -> Result<Disable, String> {
        let file_option = non_empty(raw.file_option)
            .map(|o| FileOption::parse(&o))
            .transpose()?;
        let field_option = non_empty(raw.field_option)
            .map(|o| FieldOption::parse(&o))
            .transpose()?;
        Disable::new(
            non_empty(raw.path),
            non_empty(raw.module),
            non_empty(raw.field),
            file_option,
            field_option,
        )
    }
}

impl TryFrom<RawOverrideV2> for Override {
    type Error = String;
    fn try_from(raw: RawOverrideV2) -> Result<Override, String> {
        let (file_option, field_option) = (non_empty(raw.file_option), non_empty(raw.field_option));
        let (path, module, field) = (
            non_empty(raw.path),
            non_empty(raw.module),
            non_empty(raw.field),
        );
        match (&file_option, &field_option) {
            (None, None) => {
                return Err("must set file_option or field_option for an override".into())
            }
            (Some(_), Some(_)) => {
                return Err(
                    "exactly one of file_option and field_option must be set for an override"
                        .into(),
                )
            }
            _ => {}
        }
        let value = raw
            .value
            .and_then(given)
            .ok_or("must set value for an override")?;
        if let Some(option) = field_option {
            return Override::field(path, module, field, FieldOption::parse(&option)?, &value);
        }
        if field.is_some() {
            return Err("must not set field for a file_option override".into());
        }
        let option = FileOption::parse(file_option.as_deref().unwrap_or_default())?;
        Override::file(path, module, option, &value)
    }
}

impl From<RawManagedV2> for ManagedMode {
    fn from(raw: RawManagedV2) -> ManagedMode {
        ManagedMode(raw.enabled.then(|| Managed {
            disables: raw.disable.into_iter().map(|c| c.0).collect(),
            overrides: raw.overrides.into_iter().map(|c| c.0).collect(),
        }))
    }
}

// ---- v1 ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawManagedV1 {
    #[serde(default)]
    enabled: bool,
    cc_enable_arenas: Option<bool>,
    java_multiple_files: Option<bool>,
    java_string_check_utf8: Option<bool>,
    java_package_prefix: Option<StringOrRules>,
    csharp_namespace: Option<RulesNoDefault>,
    optimize_for: Option<StringOrRules>,
    go_package_prefix: Option<Rules>,
    objc_class_prefix: Option<Rules>,
    ruby_package: Option<RulesNoDefault>,
    swift_prefix: Option<Rules>,
    #[serde(default, rename = "override")]
    per_file: BTreeMap<String, BTreeMap<String, String>>,
}

/// `default`, `except` (modules the option is disabled for) and `override` (module to value).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Rules {
    #[serde(default)]
    default: String,
    #[serde(default)]
    except: Vec<String>,
    #[serde(default, rename = "override")]
    modules: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesNoDefault {
    #[serde(default)]
    except: Vec<String>,
    #[serde(default, rename = "override")]
    modules: BTreeMap<String, String>,
}

/// `java_package_prefix` and `optimize_for` may be given as the default alone.
#[derive(Deserialize)]
#[serde(untagged)]
enum StringOrRules {
    Default(String),
    Rules(Rules),
}

impl StringOrRules {
    fn rules(self) -> Rules {
        match self {
            StringOrRules::Default(default) => Rules {
                default,
                ..Rules::default()
            },
            StringOrRules::Rules(r) => r,
        }
    }
}

impl Rules {
    fn is_empty(&self) -> bool {
        self.default.is_empty() && self.except.is_empty() && self.modules.is_empty()
    }
}

/// The rules for one v1 key, in buf's order: the default as an override for every file, then
/// `except` as disable rules for `except_option`, then `override` as module overrides.
struct V1Rules<'a> {
    disables: &'a mut Vec<Disable>,
    overrides: &'a mut Vec<Override>,
}

impl V1Rules<'_> {
    fn bool(&mut self, option: FileOption, value: Option<bool>) -> Result<(), String> {
        if let Some(v) = value {
            self.overrides
                .push(Override::file(None, None, option, &Given::Bool(v))?);
        }
        Ok(())
    }

    fn key(
        &mut self,
        rules: Rules,
        default_required: bool,
        except_option: FileOption,
        override_option: FileOption,
    ) -> Result<(), String> {
        if rules.is_empty() {
            return Ok(());
        }
        if rules.default.is_empty() {
            if default_required {
                return Err(format!(
                    "{} requires a default value",
                    override_option.name()
                ));
            }
        } else {
            self.overrides.push(Override::file(
                None,
                None,
                override_option,
                &Given::String(rules.default),
            )?);
        }
        let mut seen: Vec<&str> = Vec::new();
        for module in &rules.except {
            if seen.contains(&module.as_str()) {
                return Err(format!("\"{module}\" is defined multiple times in except"));
            }
            seen.push(module);
            self.disables.push(Disable::new(
                None,
                Some(module.clone()),
                None,
                Some(except_option),
                None,
            )?);
        }
        for (module, value) in &rules.modules {
            if seen.contains(&module.as_str()) {
                return Err(format!(
                    "override \"{module}\" is already defined as an except"
                ));
            }
            self.overrides.push(Override::file(
                None,
                Some(module.clone()),
                override_option,
                &Given::String(value.clone()),
            )?);
        }
        Ok(())
    }
}

impl TryFrom<RawManagedV1> for ManagedMode {
    type Error = String;
    fn try_from(raw: RawManagedV1) -> Result<ManagedMode, String> {
        let (mut disables, mut overrides) = (Vec::new(), Vec::new());
        let mut rules = V1Rules {
            disables: &mut disables,
            overrides: &mut overrides,
        };
        rules.bool(FileOption::CcEnableArenas, raw.cc_enable_arenas)?;
        rules.bool(FileOption::JavaMultipleFiles, raw.java_multiple_files)?;
        rules.bool(FileOption::JavaStringCheckUtf8, raw.java_string_check_utf8)?;
        let no_default = |r: Option<RulesNoDefault>| {
            r.map(|r| Rules {
                default: String::new(),
                except: r.except,
                modules: r.modules,
            })
            .unwrap_or_default()
        };
        use FileOption as F;
        rules.key(
            raw.java_package_prefix
                .map(StringOrRules::rules)
                .unwrap_or_default(),
            true,
            F::JavaPackage,
            F::JavaPackagePrefix,
        )?;
        rules.key(
            no_default(raw.csharp_namespace),
            false,
            F::CsharpNamespace,
            F::CsharpNamespace,
        )?;
        rules.key(
            raw.optimize_for
                .map(StringOrRules::rules)
                .unwrap_or_default(),
            true,
            F::OptimizeFor,
            F::OptimizeFor,
        )?;
        rules.key(
            raw.go_package_prefix.unwrap_or_default(),
            true,
            F::GoPackage,
            F::GoPackagePrefix,
        )?;
        rules.key(
            raw.objc_class_prefix.unwrap_or_default(),
            false,
            F::ObjcClassPrefix,
            F::ObjcClassPrefix,
        )?;
        rules.key(
            no_default(raw.ruby_package),
            false,
            F::RubyPackage,
            F::RubyPackage,
        )?;
        rules.key(
            raw.swift_prefix.unwrap_or_default(),
            false,
            F::SwiftPrefix,
            F::SwiftPrefix,
        )?;
        // Per-file overrides: by option name as written, then by path (buf sorts both).
        for (name, paths) in raw.per_file {
            let option = FileOption::parse(&name)
                .map_err(|_| format!("\"{name}\" is not a valid file option"))?;
            for (path, value) in paths {
                let given = match option {
                    F::CcEnableArenas | F::JavaMultipleFiles | F::JavaStringCheckUtf8 => {
                        Given::Bool(parse_go_bool(&value).ok_or_else(|| {
                            format!("override {name}: {path}: invalid boolean value \"{value}\"")
                        })?)
                    }
                    _ => Given::String(value),
                };
                overrides.push(
                    Override::file(Some(path.clone()), None, option, &given).map_err(|e| {
                        if e.starts_with("invalid path") {
                            format!("invalid import path for override {name}: {e}")
                        } else {
                            e
                        }
                    })?,
                );
            }
        }
        Ok(ManagedMode(raw.enabled.then_some(Managed {
            disables,
            overrides,
        })))
    }
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

// ---- v1beta1 ----

/// v1beta1's `options`, applied when `managed: true`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOptionsV1Beta1 {
    cc_enable_arenas: Option<bool>,
    java_multiple_files: Option<bool>,
    #[serde(default)]
    optimize_for: String,
}

impl RawOptionsV1Beta1 {
    pub(super) fn into_managed(self, enabled: bool) -> Result<ManagedMode, String> {
        let mut overrides = Vec::new();
        for (option, value) in [
            (FileOption::CcEnableArenas, self.cc_enable_arenas),
            (FileOption::JavaMultipleFiles, self.java_multiple_files),
        ] {
            if let Some(v) = value {
                overrides.push(Override::file(None, None, option, &Given::Bool(v))?);
            }
        }
        if !self.optimize_for.is_empty() {
            overrides.push(Override::file(
                None,
                None,
                FileOption::OptimizeFor,
                &Given::String(self.optimize_for),
            )?);
        }
        Ok(ManagedMode(enabled.then_some(Managed {
            disables: Vec::new(),
            overrides,
        })))
    }
}
