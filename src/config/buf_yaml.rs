//! buf's workspace files, read as buf reads them: `buf.yaml` v2 (`modules[]`: `path`,
//! `includes`, `excludes`; no modules means one at `.`), `buf.yaml` v1 and v1beta1 (one module
//! at the file's directory, `build.excludes`; v1beta1's `build.roots`), and `buf.work.yaml`
//! (`directories[]`, each a module with an optional v1 buf.yaml of its own).
//!
//! [`controlling`] finds the workspace an input belongs to the way buf does: from the input's
//! directory upwards, the first directory whose v2 buf.yaml has a module containing (or
//! contained in) the input, or whose buf.work.yaml lists a directory containing it; failing
//! that, the input directory is a module by itself. Lint, breaking, plugin and policy settings
//! are accepted and ignored: they do not change what is generated.

use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use super::buf_gen::VersionOnly;

/// A workspace: its modules, each an import root.
#[derive(Debug, Clone, PartialEq)]
pub struct Workspace {
    /// The directory of the controlling buf.yaml or buf.work.yaml (or the input itself).
    pub root: PathBuf,
    pub modules: Vec<Module>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Module {
    /// The module's directory, `root` joined with its path.
    pub dir: PathBuf,
    /// Only files under these (relative to `dir`); empty: every file.
    pub includes: Vec<PathBuf>,
    /// Never files under these (relative to `dir`).
    pub excludes: Vec<PathBuf>,
    /// `deps` as written: `buf.build/OWNER/NAME[:REF]`.
    pub deps: Vec<String>,
    /// The buf.yaml that declares the module (its buf.lock is beside it), if any.
    pub config: Option<PathBuf>,
    /// The module's name, `REGISTRY/OWNER/NAME`, if buf.yaml gives one (managed mode's
    /// `module` rules match on it).
    pub name: Option<String>,
}

impl Module {
    /// Whether `name` (relative to the module's directory) is one of the module's files.
    pub fn holds(&self, name: &Path) -> bool {
        (self.includes.is_empty() || self.includes.iter().any(|i| name.starts_with(i)))
            && !self.excludes.iter().any(|e| name.starts_with(e))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawV2 {
    #[allow(dead_code)]
    version: String,
    #[allow(dead_code)]
    name: Option<String>,
    #[serde(default)]
    modules: Vec<RawModuleV2>,
    #[serde(default)]
    deps: Vec<String>,
    #[allow(dead_code)]
    lint: Option<yaml_serde::Value>,
    #[allow(dead_code)]
    breaking: Option<yaml_serde::Value>,
    #[allow(dead_code)]
    plugins: Option<yaml_serde::Value>,
    #[allow(dead_code)]
    policies: Option<yaml_serde::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModuleV2 {
    #[serde(default)]
    path: Option<String>,
    name: Option<String>,
    #[serde(default)]
    includes: Vec<String>,
    #[serde(default)]
    excludes: Vec<String>,
    #[allow(dead_code)]
    lint: Option<yaml_serde::Value>,
    #[allow(dead_code)]
    breaking: Option<yaml_serde::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawV1 {
    #[allow(dead_code)]
    version: String,
    name: Option<String>,
    #[serde(default)]
    deps: Vec<String>,
    #[serde(default)]
    build: RawBuildV1,
    #[allow(dead_code)]
    lint: Option<yaml_serde::Value>,
    #[allow(dead_code)]
    breaking: Option<yaml_serde::Value>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawBuildV1 {
    #[serde(default)]
    roots: Vec<String>,
    #[serde(default)]
    excludes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWork {
    #[allow(dead_code)]
    version: String,
    #[serde(default)]
    directories: Vec<String>,
}

/// A buf.yaml as read.
enum BufYaml {
    V2(Vec<Module>),
    /// v1 or v1beta1: the modules of the file's directory (v1beta1 roots are modules).
    V1(Vec<Module>),
}

/// The workspace that `input` (a directory) belongs to.
pub fn controlling(input: &Path) -> Result<Workspace, String> {
    let mut dir = input.to_path_buf();
    let mut below = PathBuf::new();
    loop {
        if let Some(ws) = controls(&dir, &below)? {
            return Ok(ws);
        }
        let Some(name) = std::fs::canonicalize(&dir)
            .ok()
            .and_then(|c| c.file_name().map(PathBuf::from))
        else {
            break;
        };
        below = name.join(&below);
        dir = join(&parent(&dir), Path::new(""));
    }
    // No workspace above: the input is a module of its own, with its v1 buf.yaml if it has one.
    let modules = match read_buf_yaml(input)? {
        Some(BufYaml::V1(modules)) => modules,
        _ => vec![plain_module(input.to_path_buf())],
    };
    Ok(Workspace {
        root: input.to_path_buf(),
        modules,
    })
}

/// `dir`'s parent, keeping a relative path relative (`.` -> `..`).
fn parent(dir: &Path) -> PathBuf {
    match dir.components().next_back() {
        None | Some(Component::CurDir) | Some(Component::ParentDir) => dir.join(".."),
        _ => dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
    }
}

/// The workspace `dir` controls for an input `below` it (empty: `dir` itself), if any.
fn controls(dir: &Path, below: &Path) -> Result<Option<Workspace>, String> {
    let work = join(dir, Path::new("buf.work.yaml"));
    let has_work = work.is_file();
    let buf_yaml = read_buf_yaml(dir)?;
    if has_work && buf_yaml.is_some() {
        return Err(format!(
            "cannot have a buf.work.yaml and buf.yaml in the same directory \"{}\"",
            dir.display()
        ));
    }
    let related = |module: &Path| {
        let rel = module.strip_prefix(dir).unwrap_or(module);
        below.as_os_str().is_empty() || below.starts_with(rel) || rel.starts_with(below)
    };
    if let Some(BufYaml::V2(modules)) = buf_yaml {
        if modules.iter().any(|m| related(&m.dir)) {
            return Ok(Some(Workspace {
                root: dir.to_path_buf(),
                modules,
            }));
        }
    }
    if has_work {
        let text = read(&work)?;
        let raw: RawWork = yaml_serde::from_str(&text).map_err(|e| yaml_error(&work, e))?;
        let mut modules = Vec::new();
        for d in &raw.directories {
            let module_dir = join(dir, &relative(&work, d)?);
            match read_buf_yaml(&module_dir)? {
                Some(BufYaml::V1(m)) => modules.extend(m),
                Some(BufYaml::V2(_)) => {
                    return Err(format!(
                        "{}: {d}: a buf.yaml v2 cannot be part of a buf.work.yaml workspace",
                        work.display()
                    ))
                }
                None => modules.push(plain_module(module_dir)),
            }
        }
        if below.as_os_str().is_empty()
            || raw
                .directories
                .iter()
                .any(|d| below.starts_with(Path::new(d)))
        {
            return Ok(Some(Workspace {
                root: dir.to_path_buf(),
                modules,
            }));
        }
    }
    Ok(None)
}

fn plain_module(dir: PathBuf) -> Module {
    Module {
        dir,
        includes: Vec::new(),
        excludes: Vec::new(),
        deps: Vec::new(),
        config: None,
        name: None,
    }
}

/// `dir/buf.yaml` (or `buf.yml`), if there is one.
fn read_buf_yaml(dir: &Path) -> Result<Option<BufYaml>, String> {
    let Some(file) = ["buf.yaml", "buf.yml"]
        .iter()
        .map(|n| join(dir, Path::new(n)))
        .find(|f| f.is_file())
    else {
        return Ok(None);
    };
    let text = read(&file)?;
    let version: VersionOnly = yaml_serde::from_str(&text).map_err(|e| yaml_error(&file, e))?;
    match version.version.as_deref() {
        Some("v2") => {
            let raw: RawV2 = yaml_serde::from_str(&text).map_err(|e| yaml_error(&file, e))?;
            let raw_modules = if raw.modules.is_empty() {
                vec![RawModuleV2 {
                    path: None,
                    name: None,
                    includes: Vec::new(),
                    excludes: Vec::new(),
                    lint: None,
                    breaking: None,
                }]
            } else {
                raw.modules
            };
            let mut modules = Vec::new();
            for m in raw_modules {
                let path = m.path.as_deref().unwrap_or(".");
                let rel = relative(&file, path)?;
                let under = |list: &[String]| -> Result<Vec<PathBuf>, String> {
                    list.iter()
                        .map(|p| {
                            let p = relative(&file, p)?;
                            p.strip_prefix(&rel).map(Path::to_path_buf).map_err(|_| {
                                format!(
                                    "{}: module \"{path}\": {} is not within the module",
                                    file.display(),
                                    p.display()
                                )
                            })
                        })
                        .collect()
                };
                modules.push(Module {
                    dir: join(dir, &rel),
                    includes: under(&m.includes)?,
                    excludes: under(&m.excludes)?,
                    deps: raw.deps.clone(),
                    config: Some(file.clone()),
                    name: m.name.clone().filter(|n| !n.is_empty()),
                });
            }
            Ok(Some(BufYaml::V2(modules)))
        }
        Some("v1") | Some("v1beta1") => {
            let raw: RawV1 = yaml_serde::from_str(&text).map_err(|e| yaml_error(&file, e))?;
            let excludes = raw
                .build
                .excludes
                .iter()
                .map(|e| relative(&file, e))
                .collect::<Result<Vec<_>, _>>()?;
            let roots = if raw.build.roots.is_empty() {
                vec![PathBuf::new()]
            } else {
                raw.build
                    .roots
                    .iter()
                    .map(|r| relative(&file, r))
                    .collect::<Result<_, _>>()?
            };
            let modules = roots
                .into_iter()
                .map(|root| Module {
                    dir: join(dir, &root),
                    excludes: excludes
                        .iter()
                        .filter_map(|e| e.strip_prefix(&root).ok().map(Path::to_path_buf))
                        .collect(),
                    includes: Vec::new(),
                    deps: raw.deps.clone(),
                    config: Some(file.clone()),
                    name: raw.name.clone().filter(|n| !n.is_empty()),
                })
                .collect();
            Ok(Some(BufYaml::V1(modules)))
        }
        None | Some("") => Err(format!(
            "{}: \"version\" is not set. Please add \"version: v2\"",
            file.display()
        )),
        Some(other) => Err(format!(
            "{}: unknown file version: \"{other}\"",
            file.display()
        )),
    }
}

/// `dir` joined with `rel`, with no `.` parts (`./proto` is `proto`).
pub fn join(dir: &Path, rel: &Path) -> PathBuf {
    let joined: PathBuf = dir
        .join(rel)
        .components()
        .filter(|c| *c != Component::CurDir)
        .collect();
    if joined.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        joined
    }
}

/// A path from a config file: relative, normalised, not escaping the file's directory.
fn relative(file: &Path, p: &str) -> Result<PathBuf, String> {
    let mut out = PathBuf::new();
    for c in Path::new(p).components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::CurDir => {}
            _ => {
                return Err(format!(
                    "{}: \"{p}\": paths must be relative and stay inside the directory",
                    file.display()
                ))
            }
        }
    }
    Ok(out)
}

fn read(file: &Path) -> Result<String, String> {
    std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))
}

fn yaml_error(file: &Path, e: yaml_serde::Error) -> String {
    format!("{}: {}", file.display(), super::buf_gen::yaml_message(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    #[test]
    fn a_v2_buf_yaml_lists_its_modules() {
        let d = tree(&[(
            "buf.yaml",
            "version: v2\nmodules:\n  - path: proto\n    excludes: [proto/internal]\n  - path: api\n    name: buf.build/acme/api\ndeps:\n  - buf.build/googleapis/googleapis\nlint:\n  use: [STANDARD]\n",
        )]);
        let ws = controlling(d.path()).unwrap();
        assert_eq!(ws.modules.len(), 2);
        assert_eq!(ws.modules[0].dir, d.path().join("proto"));
        assert_eq!(ws.modules[0].excludes, [PathBuf::from("internal")]);
        assert!(!ws.modules[0].holds(Path::new("internal/x.proto")));
        assert!(ws.modules[0].holds(Path::new("acme/x.proto")));
        assert_eq!(ws.modules[1].deps, ["buf.build/googleapis/googleapis"]);
    }

    #[test]
    fn no_modules_is_one_module_at_the_root() {
        let d = tree(&[("buf.yaml", "version: v2\n")]);
        let ws = controlling(d.path()).unwrap();
        assert_eq!(
            ws.modules,
            [Module {
                config: Some(d.path().join("buf.yaml")),
                ..plain_module(d.path().to_path_buf())
            }]
        );
    }

    #[test]
    fn an_input_inside_a_module_is_controlled_from_above() {
        let d = tree(&[
            ("buf.yaml", "version: v2\nmodules:\n  - path: proto\n"),
            ("proto/a/a.proto", ""),
        ]);
        let ws = controlling(&d.path().join("proto/a")).unwrap();
        assert_eq!(ws.root, d.path());
        assert_eq!(ws.modules.len(), 1);
    }

    #[test]
    fn a_buf_work_yaml_names_v1_modules() {
        let d = tree(&[
            (
                "buf.work.yaml",
                "version: v1\ndirectories:\n  - proto\n  - vendor\n",
            ),
            (
                "proto/buf.yaml",
                "version: v1\nbuild:\n  excludes: [skip]\n",
            ),
            ("vendor/x.proto", ""),
        ]);
        let ws = controlling(d.path()).unwrap();
        assert_eq!(ws.modules.len(), 2);
        assert_eq!(ws.modules[0].excludes, [PathBuf::from("skip")]);
        assert_eq!(ws.modules[1].dir, d.path().join("vendor"));
    }

    #[test]
    fn relative_paths_stay_relative_and_tidy() {
        assert_eq!(
            join(Path::new("."), Path::new("proto")),
            PathBuf::from("proto")
        );
        assert_eq!(join(Path::new("."), Path::new("")), PathBuf::from("."));
        assert_eq!(
            join(Path::new("./.."), Path::new("a")),
            PathBuf::from("../a")
        );
        assert_eq!(parent(Path::new("proto")), PathBuf::from("."));
        assert_eq!(parent(Path::new(".")), PathBuf::from("./.."));
        assert_eq!(parent(Path::new("..")), PathBuf::from("../.."));
    }

    #[test]
    fn without_a_workspace_the_input_is_the_module() {
        let d = tree(&[("a.proto", "")]);
        let ws = controlling(d.path()).unwrap();
        assert_eq!(ws.modules, [plain_module(d.path().to_path_buf())]);
    }

    #[test]
    fn mistakes_name_the_file() {
        let d = tree(&[("buf.yaml", "version: v2\nmodules:\n  - paht: proto\n")]);
        let e = controlling(d.path()).unwrap_err();
        assert!(e.contains("buf.yaml") && e.contains("paht"), "{e}");
        let d = tree(&[(
            "buf.yaml",
            "version: v2\nmodules:\n  - path: ../elsewhere\n",
        )]);
        assert!(controlling(d.path()).unwrap_err().contains("stay inside"));
        let d = tree(&[
            ("buf.yaml", "version: v2\n"),
            ("buf.work.yaml", "version: v1\n"),
        ]);
        assert!(controlling(d.path())
            .unwrap_err()
            .starts_with("cannot have a buf.work.yaml and buf.yaml"));
    }
}
