"""The benchmark's timing loop and entry point (bench/run.sh installs everything, then runs this):
each case's tools run interleaved, round by round (A, B, C, A, B, C, ...), so a machine that
slows down mid-run slows every tool alike. One warm-up round fills the caches and gives the
outputs the case checks. Wall time (here) and peak memory (max RSS, through GNU time) of every
run go to bench/results/results.json; bench/report.py turns that into the table and chart.
"""

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in bench/: what the run makes goes under target/
sys.path.insert(0, str(Path(__file__).resolve().parent))
import cases  # noqa: E402
import inputs  # noqa: E402
import report  # noqa: E402

TIMING = re.compile(r"^timing: (.+): ([0-9.]+) ms$")


def run_once(tool: cases.Tool, log: Path) -> dict:
    """One timed run: wall seconds, max RSS in KiB (the kernel's maximum over the process and
    the children it reaped, so protoc's figure is its largest plugin or itself, whichever is
    larger; protowasm's plugins are inside its own process), and protowasm's --timings lines.

    The RSS comes from /usr/bin/time, not from our own wait4: a child forked from this Python
    process counts the parent's resident memory before exec in its max RSS (the kernel keeps
    the old mm's high-water mark), which would floor every figure at the harness's size."""
    if tool.out is not None:
        shutil.rmtree(tool.out, ignore_errors=True)
        tool.out.mkdir(parents=True)
    if tool.cold_cache is not None:
        shutil.rmtree(tool.cold_cache, ignore_errors=True)
    env = {**os.environ, **tool.env}
    rss_file = log.with_suffix(".rss")
    argv = ["/usr/bin/time", "-f", "%M", "-o", str(rss_file), *map(str, tool.argv)]
    with open(log, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=tool.cwd, env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=err)
        wall = time.perf_counter() - start
    text = log.read_text(errors="replace")
    if proc.returncode != 0:
        tail = "\n".join(text.splitlines()[-15:])
        raise RuntimeError(f"{tool.label} failed (exit {proc.returncode}) in {tool.cwd}:\n"
                           f"  {' '.join(map(str, tool.argv))}\n{tail}")
    timings = {}
    for line in text.splitlines():
        m = TIMING.match(line)
        if m:
            timings[m.group(1)] = float(m.group(2))
    # GNU time writes "Command exited ..." lines first when the command fails; the last is %M.
    rss = int(rss_file.read_text().split()[-1])
    return {"wall_s": round(wall, 4), "max_rss_kib": rss, "timings": timings}


def run_case(case: cases.Case, rounds: int, logs: Path) -> dict:
    print(f"\n== {case.title} ({case.input})", flush=True)
    log = logs / f"{case.id}.stderr"
    for tool in case.tools:  # the warm-up round
        run_once(tool, log)
    try:
        notes, ok = case.check(), True
    except cases.CheckFailed as e:
        notes, ok = [f"CHECK FAILED: {e}"], False
    for n in notes:
        print(f"   {n}", flush=True)
    samples = {t.key: [] for t in case.tools}
    for r in range(rounds):
        for tool in case.tools:
            s = run_once(tool, log)
            samples[tool.key].append(s)
            print(f"   round {r + 1}/{rounds} {tool.label}: {s['wall_s']:.2f} s, "
                  f"{s['max_rss_kib'] // 1024} MiB", flush=True)
    return {
        "id": case.id, "title": case.title, "short": case.short, "input": case.input, "checks": notes, "ok": ok,
        "tools": [{"key": t.key, "label": t.label, "baseline": t.baseline,
                   "argv": [str(a) for a in t.argv], "env": t.env, "samples": samples[t.key]}
                  for t in case.tools],
    }


def start_remote_cache(repo: Path, d: Path) -> str:
    """Debian's nginx with WebDAV PUT on a loopback port (testdata/remote-cache.sh), empty,
    stopped when the harness exits; returns its URL."""
    import atexit
    import socket
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(["bash", repo / "testdata/remote-cache.sh", "nginx", d, str(port)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    atexit.register(proc.kill)
    deadline = time.time() + 300
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                sys.exit(f"bench/harness.py: nginx did not start on port {port} (testdata/remote-cache.sh)")
            time.sleep(0.05)
    return f"http://127.0.0.1:{port}"


def first_line(argv: list) -> str:
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        return (r.stdout or r.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "unknown"


def machine(setup: inputs.Setup) -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = next((l.split()[1] for l in Path("/proc/meminfo").read_text().splitlines()
                if l.startswith("MemTotal:")), "0")
    os_name = platform.platform()
    if Path("/etc/os-release").exists():
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"') + f", Linux {platform.release()}"
    commit = first_line(["git", "-C", str(setup.repo), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", str(setup.repo), "diff", "--quiet", "HEAD", "--", "src"]).returncode
    wasm = {p: round(setup.wasm(p).stat().st_size / 1e6, 1) for p in cases.RUST + cases.GO}
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(int(mem) / 1024 / 1024, 1), "os": os_name,
        "load_before": os.getloadavg()[0],
        "versions": {
            "protowasm": f"{first_line([setup.protowasm, '--version'])} ({commit}{'+dirty' if dirty else ''})",
            "protoc": first_line([setup.protoc, "--version"]),
            "buf": first_line([setup.buf, "--version"]),
            "rustc": first_line(["rustc", "--version"]),
            "go": first_line(["/usr/lib/go-1.23/bin/go", "version"]),
        },
        "wasm_mb": wasm,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, help="timed rounds per case (default 5; 1 with --quick)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 1 round, small inputs only")
    ap.add_argument("--cases", default=",".join(cases.GROUPS),
                    help=f"comma-separated groups out of {','.join(cases.GROUPS)} (default: all)")
    ap.add_argument("--results", help="where results go (default bench/results; with --quick, "
                    "target/bench/results-quick, so a smoke run leaves the committed figures alone)")
    ap.add_argument("--no-readme", action="store_true",
                    help="do not update README.md's Performance section (--quick never does)")
    args = ap.parse_args()
    groups = [g for g in args.cases.split(",") if g]
    unknown = set(groups) - set(cases.GROUPS)
    if unknown:
        ap.error(f"unknown case group(s) {', '.join(sorted(unknown))}; choose from {', '.join(cases.GROUPS)}")
    rounds = args.rounds or (1 if args.quick else 5)

    repo = Path(__file__).resolve().parent.parent
    env = os.environ
    if "BENCH_PROTOC" not in env or "BENCH_BUF" not in env:
        sys.exit("bench/harness.py: run it through bench/run.sh, which sets BENCH_PROTOC and BENCH_BUF")
    pw = repo / "target/release/protowasm"
    help_text = subprocess.run([pw, "protoc", "--help"], capture_output=True, text=True).stdout
    setup = inputs.Setup(
        repo=repo, work=repo / "target/bench/work", protowasm=pw, protoc=Path(env["BENCH_PROTOC"]),
        buf=Path(env["BENCH_BUF"]), quick=args.quick, output_cache="--no-cache" in help_text,
        protoc35=Path(env["BENCH_PROTOC35"]) if env.get("BENCH_PROTOC35") else None)
    setup.work.mkdir(parents=True, exist_ok=True)
    if "cache" in groups and "--remote-cache" in help_text:
        setup.remote_cache = start_remote_cache(repo, setup.work / "remote-cache")
    logs = repo / "target/bench/logs"
    logs.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(setup.work / "cache-warm", ignore_errors=True)

    started = time.time()
    info = machine(setup)
    print(f"machine: {info['cpu']}, {info['cores']} cores; {info['versions']}")
    if not setup.output_cache:
        print("note: this protowasm has no output cache (--no-cache unknown): the re-run rows are left out")
    results = {"machine": info, "rounds": rounds, "quick": args.quick, "groups": groups,
               "output_cache": setup.output_cache, "cases": []}
    failed = False
    for case in cases.build(setup, groups):
        res = run_case(case, rounds, logs)
        failed |= not res["ok"]
        results["cases"].append(res)
    results["duration_s"] = round(time.time() - started)

    out = repo / (args.results or ("target/bench/results-quick" if args.quick else "bench/results"))
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    report.write(results, out, None if args.no_readme or args.quick else repo / "README.md")
    print(f"\nresults in {out} ({results['duration_s']} s)")
    print((out / "results.md").read_text())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
