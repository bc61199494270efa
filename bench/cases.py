"""What bench/harness.py times: the plugin sets, and for each case the command lines of the tools
compared side by side with the check that they agree. Inputs come from bench/inputs.py; this
knows nothing of timing or reports.
"""

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from inputs import Input, Setup, descriptor_names, inputs, module_dir


@dataclass
class Tool:
    """One contender in a case: a command run in `cwd` with `env` added to the environment."""

    key: str  # stable id in results.json
    label: str  # what the table and the chart say
    argv: list[str]
    cwd: Path
    env: dict = field(default_factory=dict)
    out: Optional[Path] = None  # emptied (and created) before every run
    cold_cache: Optional[Path] = None  # removed before every run: an empty PROTOWASM_CACHE_DIR
    baseline: bool = False  # ratios are to this tool's median


@dataclass
class Case:
    id: str
    title: str
    short: str  # the table's and the chart's name for it
    input: str  # a line describing the input, for the report
    tools: list[Tool]
    # Runs after the warm-up round, on what each tool wrote then; returns lines for the report
    # and raises CheckFailed when outputs that should agree do not.
    check: Callable[[], list[str]]


class CheckFailed(Exception):
    pass


# --- output checks -------------------------------------------------------------------------


def read_tree(root: Path) -> dict[str, bytes]:
    tree = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name != ".protowasm-generated":
            tree[str(p.relative_to(root))] = p.read_bytes()
    return tree


def same_tree(ours: Path, theirs: Path, what: str) -> str:
    a, b = read_tree(ours), read_tree(theirs)
    if not b:
        raise CheckFailed(f"{what}: no files generated")
    if a != b:
        missing = sorted(set(b) - set(a))[:3]
        extra = sorted(set(a) - set(b))[:3]
        differ = sorted(k for k in set(a) & set(b) if a[k] != b[k])[:3]
        raise CheckFailed(f"{what}: trees differ (missing {missing}, extra {extra}, differ {differ})")
    return f"{what}: identical trees ({len(a)} files, {sum(map(len, a.values()))} bytes)"


def same_names(ours: Path, theirs: Path, what: str) -> str:
    """protowasm generate against buf generate: the same files, but not the same bytes in all
    of them, since buf builds its own descriptors (the option bytes a Go file embeds come out in
    another order) and applies insertion points its own way (a file's last newline)."""
    a, b = read_tree(ours), read_tree(theirs)
    if not b or set(a) != set(b):
        raise CheckFailed(f"{what}: different file names (missing {sorted(set(b) - set(a))[:3]}, "
                          f"extra {sorted(set(a) - set(b))[:3]})")
    differ = sum(a[k] != b[k] for k in a)
    return f"{what}: the same {len(a)} files, {differ} of them with other bytes (buf's own descriptors and insertion)"


# --- plugin sets ---------------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_registry(setup: Setup, path: Path, plugins: list[str], env: list[str]) -> Path:
    """A plugins-registry.toml naming the wasm plugins (`--NAME_out` finds them by name), with
    `env` as each entry's allow-list: the only way an environment variable reaches a wasm plugin.
    The Go plugins are `per_file`, as in the repository's registry: their requests are split
    across cores."""
    lines = []
    for p in plugins:
        lines += [f"[plugins.{p}]", f'source = "{setup.wasm(p)}"', f'sha256 = "{sha256(setup.wasm(p))}"']
        if env:
            lines.append("env = [" + ", ".join(f'"{e}"' for e in env) + "]")
        if p in GO:
            lines.append("per_file = true")
        lines.append("")
    path.write_text("\n".join(lines))
    return path


def go_parameter(mod: Path) -> str:
    """Go plugins need an import path for every file; a file with no go_package gets an `M`
    mapping (as in the plugin matrix test)."""
    p = "paths=source_relative"
    for f in sorted(str(x.relative_to(mod)) for x in mod.rglob("*.proto")):
        if "go_package" not in (mod / f).read_text():
            p += f",M{f}=example.com/unmapped/{os.path.dirname(f)}"
    return p


RUST = ["prost", "tonic", "prost-serde"]
GO = ["go", "go-grpc"]
SET_NAME = {"rust": "Rust set", "go": "Go set"}


def plugin_params(plugins: list[str], mod: Path) -> dict[str, str]:
    # Together, tonic and prost-serde insert into prost's files: no parameters. The Go plugins
    # write next to the .proto paths.
    go = go_parameter(mod) if plugins == GO else ""
    return {p: go if p in GO else "" for p in plugins}


def protoc_args(plugins: list[str], params: dict[str, str], out: Path) -> list[str]:
    args = []
    for p in plugins:
        args.append(f"--{p}_out={params[p]}:{out}" if params[p] else f"--{p}_out={out}")
    return args


def gen_template(path: Path, locals_: dict[str, str], params: dict[str, str], out: str,
                 inp: Input, mod_name: str, closure_is_input: bool) -> Path:
    """A buf.gen.yaml v2: the same plugins into one out, the module as the input, limited to the
    input files when the module also holds their imports."""
    lines = ["version: v2", "plugins:"]
    for p, local in locals_.items():
        lines += [f"  - local: {local}", f"    out: {out}"]
        if params[p]:
            lines.append(f"    opt: [{params[p]}]")
    lines += ["inputs:", f"  - directory: {mod_name}"]
    if not closure_is_input:
        lines.append("    paths:")
        lines += [f"      - {mod_name}/{f}" for f in inp.files]
    path.write_text("\n".join(lines) + "\n")
    return path


# --- cases ---------------------------------------------------------------------------------


def fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def compile_case(setup: Setup, inp: Input, warm_cache: Path) -> Case:
    d = fresh_dir(setup.work / "compile")
    mod = module_dir(setup, inp, d / "mod")
    (mod / "buf.yaml").write_text("version: v2\n")
    (d / "files").write_text("\n".join(inp.files) + "\n")
    common = [f"-I{mod}", "--include_imports", "--include_source_info"]
    pw_env = {"PROTOWASM_CACHE_DIR": str(warm_cache)}
    tools = [
        # --no-cache: the compile cache would answer every round after the warm-up one, and this
        # case measures the compiler.
        Tool("protowasm", "protowasm protoc", [str(setup.protowasm), "protoc", *setup.no_cache, *common, "-o",
             str(d / "protowasm.pb"), f"@{d / 'files'}"], d, pw_env),
        Tool("protoc", "protoc 36.2", [str(setup.protoc), *common, "-o", str(d / "protoc.pb"),
             f"@{d / 'files'}"], d, baseline=True),
        # buf's defaults include imports and source info; the module is exactly the listed
        # files and their imports.
        Tool("buf", "buf build 1.75", [str(setup.buf), "build", str(mod), "-o", str(d / "buf.binpb")],
             d, {"BUF_CACHE_DIR": str(setup.work.parent / "buf-cache")}),
    ]

    def check() -> list[str]:
        a, b = (d / "protowasm.pb").read_bytes(), (d / "protoc.pb").read_bytes()
        if a != b:
            raise CheckFailed(f"protowasm's descriptor set differs from protoc's ({len(a)} vs {len(b)} bytes)")
        n = len(descriptor_names(b))
        c = (d / "buf.binpb").stat().st_size
        return [f"protowasm and protoc: byte-identical descriptor sets ({len(b)} bytes, {n} files)",
                f"buf: {c} bytes, {len(descriptor_names((d / 'buf.binpb').read_bytes()))} files"]

    return Case("compile", f"Compile {inp.name} to a descriptor set", f"compile · {inp.short}",
                f"{len(inp.files)} files (those protoc accepts), -o --include_imports --include_source_info",
                tools, check)


def generate_case(setup: Setup, kind: str, inp_key: str, inp: Input, warm_cache: Path) -> Case:
    """protowasm (wasm plugins, warm AOT cache, plugins really run) against protoc and buf with
    the same plugins built natively; for Go also with GOGC unset, to show what GOGC=off buys."""
    plugins = RUST if kind == "rust" else GO
    cid = f"{kind}-{inp_key}"
    d = fresh_dir(setup.work / cid)
    mod = module_dir(setup, inp, d / "mod")
    closure_is_input = len(list(mod.rglob("*.proto"))) == len(inp.files)
    params = plugin_params(plugins, mod)
    (d / "files").write_text("\n".join(inp.files) + "\n")
    env = ["GOGC=off"] if kind == "go" else []
    reg = write_registry(setup, d / "registry.toml", plugins, env)
    pw_env = {"PROTOWASM_CACHE_DIR": str(warm_cache), "PROTOWASM_REGISTRY": str(reg)}
    natives = [f"--plugin=protoc-gen-{p}={setup.native(p)}" for p in plugins]
    gen_template(d / "pw.gen.yaml", {p: p for p in plugins}, params, "out-pwgen", inp, "mod", closure_is_input)
    gen_template(d / "buf.gen.yaml", {p: str(setup.native(p)) for p in plugins}, params, "out-buf",
                 inp, "mod", closure_is_input)

    def pw(key, label, out, env_):
        return Tool(key, label, [str(setup.protowasm), "protoc", "-Imod", *setup.no_cache, "--timings",
                                 *protoc_args(plugins, params, d / out), "@files"], d, env_, out=d / out)

    gogc = " (GOGC=off)" if kind == "go" else ""
    tools = [pw("protowasm", f"protowasm protoc, wasm{gogc}", "out-pw", pw_env)]
    if kind == "go":
        reg_gc = write_registry(setup, d / "registry-gogc.toml", plugins, [])
        tools.append(pw("protowasm-gogc", "protowasm protoc, wasm (GOGC unset)", "out-pwgc",
                        {**pw_env, "PROTOWASM_REGISTRY": str(reg_gc)}))
    tools += [
        Tool("protowasm-generate", f"protowasm generate, wasm{gogc}",
             [str(setup.protowasm), "generate", "--template", "pw.gen.yaml", *setup.no_cache, "--timings"],
             d, pw_env, out=d / "out-pwgen"),
        Tool("protoc", "protoc 36.2, native", [str(setup.protoc), "-Imod", *natives,
             *protoc_args(plugins, params, d / "out-protoc"), "@files"], d, out=d / "out-protoc",
             baseline=True),
        Tool("buf", "buf generate 1.75, native", [str(setup.buf), "generate", "--template", "buf.gen.yaml"],
             d, {"BUF_CACHE_DIR": str(setup.work.parent / "buf-cache")}, out=d / "out-buf"),
    ]

    def check() -> list[str]:
        notes = [same_tree(d / "out-pw", d / "out-protoc", "protowasm protoc vs protoc"),
                 same_names(d / "out-pwgen", d / "out-buf", "protowasm generate vs buf generate")]
        if kind == "go":
            notes.append(same_tree(d / "out-pwgc", d / "out-protoc", "protowasm (GOGC unset) vs protoc"))
        return notes

    names = ", ".join(f"protoc-gen-{p}" for p in plugins)
    return Case(cid, f"Generate: {names} on {inp.name}", f"{SET_NAME[kind]} · {inp.short}",
                f"{len(inp.files)} files, {names} in one run", tools, check)


def cache_case(setup: Setup, kind: str, inp_key: str, inp: Input, warm_cache: Path) -> Case:
    """The caches: an empty PROTOWASM_CACHE_DIR (every module compiled), a warm AOT module cache
    with plugins really run (--no-cache), and a re-run of unchanged inputs with everything cached
    (the output cache: no plugin runs at all); protoc with native plugins for scale."""
    plugins = RUST if kind == "rust" else GO
    cid = f"cache-{kind}-{inp_key}"
    d = fresh_dir(setup.work / cid)
    mod = module_dir(setup, inp, d / "mod")
    params = plugin_params(plugins, mod)
    (d / "files").write_text("\n".join(inp.files) + "\n")
    reg = write_registry(setup, d / "registry.toml", plugins, ["GOGC=off"] if kind == "go" else [])
    natives = [f"--plugin=protoc-gen-{p}={setup.native(p)}" for p in plugins]

    def pw(key, label, out, cache, extra, cold=False):
        return Tool(key, label, [str(setup.protowasm), "protoc", "-Imod", *extra, "--timings",
                                 *protoc_args(plugins, params, d / out), "@files"], d,
                    {"PROTOWASM_CACHE_DIR": str(cache), "PROTOWASM_REGISTRY": str(reg)},
                    out=d / out, cold_cache=cache if cold else None)

    tools = [
        pw("cold", "protowasm, empty cache dir", "out-cold", d / "cache-cold", [], cold=True),
        pw("warm", "protowasm, warm AOT cache" + (", --no-cache" if setup.output_cache else ""),
           "out-warm", warm_cache, setup.no_cache),
    ]
    if setup.output_cache:
        # Its own cache dir, filled by the warm-up round: the re-run of unchanged inputs.
        tools.append(pw("cached", "protowasm, re-run, all cached", "out-cached", d / "cache-full", []))
    if setup.remote_cache:
        # A fresh machine every run (the local cache removed), the remote cache filled by this
        # tool's warm-up run: a CI runner after another one generated the same inputs.
        tools.append(pw("remote", "protowasm, fresh machine, warm remote cache", "out-remote",
                        d / "cache-remote", [f"--remote-cache={setup.remote_cache}/{cid}"], cold=True))
    tools.append(Tool("protoc", "protoc 36.2, native", [str(setup.protoc), "-Imod", *natives,
                      *protoc_args(plugins, params, d / "out-protoc"), "@files"], d,
                      out=d / "out-protoc", baseline=True))

    def check() -> list[str]:
        notes = [same_tree(d / "out-cold", d / "out-protoc", "cold vs protoc"),
                 same_tree(d / "out-warm", d / "out-protoc", "warm vs protoc")]
        if setup.output_cache:
            notes.append(same_tree(d / "out-cached", d / "out-protoc", "cached re-run vs protoc"))
        if setup.remote_cache:
            notes.append(same_tree(d / "out-remote", d / "out-protoc", "remote-cache replay vs protoc"))
        else:
            notes.append("output cache: not in this protowasm build (no --no-cache flag); re-run row left out")
        return notes

    names = ", ".join(f"protoc-gen-{p}" for p in plugins)
    return Case(cid, f"Caches: {names} on {inp.name}", f"caches · {SET_NAME[kind]} · {inp.short}",
                f"{len(inp.files)} files; cold = empty "
                "PROTOWASM_CACHE_DIR every run", tools, check)


BUILTINS = ["python", "cpp", "java"]


def builtins_case(setup: Setup, generator: str, inp_key: str, inp: Input, warm_cache: Path) -> Case:
    """A protoc built-in generator: the builtins module under protowasm (warm AOT cache, the
    plugin really runs, requests split across cores as the repository's registry does) against
    protoc 35.1, the release its sources are, with its own
    built-in generator; protoc 36.2's for scale (its output may differ: another release)."""
    if setup.protoc35 is None:
        raise CheckFailed("the builtins group needs BENCH_PROTOC35 (bench/run.sh sets it)")
    cid = f"builtin-{generator}-{inp_key}"
    d = fresh_dir(setup.work / cid)
    module_dir(setup, inp, d / "mod")
    (d / "files").write_text("\n".join(inp.files) + "\n")
    reg = d / "registry.toml"
    reg.write_text(f'[plugins.builtins]\nsource = "{setup.builtins}"\nsha256 = "{sha256(setup.builtins)}"\n'
                   f'builtins = ["{generator}"]\nper_file = ["{generator}"]\n')
    pw_env = {"PROTOWASM_CACHE_DIR": str(warm_cache), "PROTOWASM_REGISTRY": str(reg)}

    def native(key, label, protoc, out, baseline=False):
        return Tool(key, label, [str(protoc), "-Imod", f"--{generator}_out={d / out}", "@files"], d,
                    out=d / out, baseline=baseline)

    tools = [
        Tool("protowasm", "protowasm protoc, wasm builtin (35.1)",
             [str(setup.protowasm), "protoc", "-Imod", *setup.no_cache, "--timings",
              f"--{generator}_out={d / 'out-pw'}", "@files"], d, pw_env, out=d / "out-pw"),
        native("protoc35", "protoc 35.1, built-in", setup.protoc35, "out-protoc35", baseline=True),
        native("protoc", "protoc 36.2, built-in", setup.protoc, "out-protoc"),
    ]

    def check() -> list[str]:
        notes = [same_tree(d / "out-pw", d / "out-protoc35", "protowasm vs protoc 35.1")]
        a, b = read_tree(d / "out-pw"), read_tree(d / "out-protoc")
        differ = sum(a.get(k) != v for k, v in b.items())
        notes.append(f"protoc 36.2: {len(b)} files, {differ} of them other bytes than 35.1's")
        return notes

    return Case(cid, f"Built-in --{generator}_out on {inp.name}", f"builtin {generator} · {inp.short}",
                f"{len(inp.files)} files, protoc's {generator} generator", tools, check)


GROUPS = ["compile", "rust", "go", "cache", "builtins"]


def build(setup: Setup, groups: list[str]) -> list[Case]:
    """The cases of the chosen groups, in report order. --quick keeps the small input only."""
    ins = inputs(setup)
    warm = setup.work / "cache-warm"
    big = [] if setup.quick else ["aiplatform"]
    cases = []
    if "compile" in groups:
        cases.append(compile_case(setup, ins["compile"], warm))
    for kind in ["rust", "go"]:
        if kind in groups:
            for key in ["common", *big]:
                cases.append(generate_case(setup, kind, key, ins[key], warm))
    if "cache" in groups:
        key = "common" if setup.quick else "aiplatform"
        for kind in ["rust", "go"]:
            cases.append(cache_case(setup, kind, key, ins[key], warm))
    if "builtins" in groups:
        for generator in BUILTINS:
            for key in ["common", *big]:
                cases.append(builtins_case(setup, generator, key, ins[key], warm))
    return cases
