"""The benchmark's report: from results.json, the markdown table (results.md), the chart
(chart.png) and README.md's Performance section between `<!-- bench:begin -->` and
`<!-- bench:end -->`. Run on its own to redo them from a saved results.json:
    target/bench-venv/bin/python bench/report.py [bench/results]
"""

import json
import statistics
import sys
from pathlib import Path

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def fmt_s(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


def summarize(case: dict) -> list[dict]:
    """Per tool: median wall time, spread, median peak RSS, ratio to the baseline's median."""
    rows = []
    for t in case["tools"]:
        walls = [s["wall_s"] for s in t["samples"]]
        rows.append({"label": t["label"], "key": t["key"], "baseline": t["baseline"],
                     "median": median(walls), "min": min(walls), "max": max(walls),
                     "rss_mib": median([s["max_rss_kib"] for s in t["samples"]]) / 1024})
    base = next((r["median"] for r in rows if r["baseline"]), None)
    for r in rows:
        r["ratio"] = r["median"] / base if base else float("nan")
    return rows


def timing(results: dict, case_id: str, tool: str, what: str):
    """The median of one --timings line (ms) over a tool's runs, or None."""
    for c in results["cases"]:
        if c["id"] == case_id:
            for t in c["tools"]:
                if t["key"] == tool:
                    xs = [s["timings"][what] for s in t["samples"] if what in s["timings"]]
                    return median(xs) if xs else None
    return None


def module_note(results: dict) -> list[str]:
    """The AOT cache's load time for protoc-gen-go.wasm, the largest module (from --timings)."""
    size = results["machine"]["wasm_mb"].get("go")
    for cid in [c["id"] for c in results["cases"] if c["id"].startswith("cache-go")]:
        hit = timing(results, cid, "warm", "protoc-gen-go module from cache")
        inst = timing(results, cid, "warm", "protoc-gen-go instantiate")
        cold = timing(results, cid, "cold", "protoc-gen-go module compiled and cached")
        if hit is not None:
            line = (f"protoc-gen-go.wasm ({size} MB): loaded from the AOT cache in {hit:.1f} ms, "
                    f"instantiated in {inst:.1f} ms")
            if cold is not None:
                line += f"; compiled with an empty cache in {cold / 1000:.1f} s"
            return [line + " (medians, from `--timings`)."]
    return []


def medians(results: dict, keys: list[str]):
    """(case, {key: median}) for every case that has a row for each of `keys`."""
    for c in results["cases"]:
        rows = {r["key"]: r["median"] for r in summarize(c)}
        if all(k in rows for k in keys):
            yield c, rows


def remote_note(results: dict) -> list[str]:
    """The remote-cache replay against the local re-run and the cold run (issue #18's goals:
    within 2x of the local re-run, at most 0.1x of a cold run)."""
    return [f"{c['short']}: a fresh machine replaying the remote cache takes {fmt_s(m['remote'])}, "
            f"{m['remote'] / m['cached']:.2f}× the local re-run and "
            f"{m['remote'] / m['cold']:.3f}× the cold run."
            for c, m in medians(results, ["remote", "cached", "cold"])]


def rerun_note(results: dict) -> list[str]:
    """The re-run of unchanged inputs against a cold run and protoc (issue #19's goals: at most
    0.03x a cold run and 0.05x protoc with native plugins)."""
    return [f"{c['short']}: the re-run of unchanged inputs takes {fmt_s(m['cached'])}, "
            f"{m['cached'] / m['cold']:.3f}× the cold run and "
            f"{m['cached'] / m['protoc']:.3f}× protoc with native plugins."
            for c, m in medians(results, ["cached", "cold", "protoc"])]


def table(results: dict) -> str:
    lines = ["| case | tool | median | min–max | peak RSS | vs protoc |", "|---|---|--:|--:|--:|--:|"]
    for c in results["cases"]:
        for i, r in enumerate(summarize(c)):
            name = c["short"] if i == 0 else ""
            ratio = "1.00×" if r["baseline"] else f"{r['ratio']:.2f}×"
            lines.append(f"| {name} | {r['label']} | {fmt_s(r['median'])} | {fmt_s(r['min'])}–{fmt_s(r['max'])} "
                         f"| {r['rss_mib']:.0f} MiB | {ratio} |")
    return "\n".join(lines)


def header(results: dict) -> str:
    m = results["machine"]
    v = m["versions"]
    return (f"{m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}. "
            f"{v['protowasm']}, {v['protoc']} (protoc), buf {v['buf']}, {v['rustc']}, {v['go']}. "
            f"Median of {results['rounds']} interleaved rounds after a warm-up round"
            f"{' (--quick: small inputs)' if results['quick'] else ''}; whole commands, wall clock.")


def notes(results: dict) -> list[str]:
    out = []
    for c in results["cases"]:
        out.append(f"**{c['short']}**: {c['title']}; {c['input']}. " + "; ".join(c["checks"]) + ".")
    out += module_note(results)
    out += remote_note(results)
    out += rerun_note(results)
    if not results["output_cache"]:
        out.append("The output cache was not in this protowasm build: the cache cases have no re-run row.")
    out.append("Peak RSS is the kernel's max RSS of the command and the children it waited for: for "
               "protoc and buf the largest of the tool and its (native) plugins, for protowasm the one "
               "process that runs every wasm plugin at once.")
    return out


def markdown(results: dict, image: str) -> str:
    body = [header(results), "", table(results), "", f"![benchmark chart]({image})", ""]
    body += [f"- {n}" for n in notes(results)]
    return "\n".join(body) + "\n"


def chart(results: dict, path: Path) -> None:
    """Every case in one panel, a row per tool: a bar from protoc's time (1×) to the tool's
    median on a log scale, so faster reads left and slower right whatever the absolute times;
    whiskers are min–max, the label is the median time. 900 px wide: README width unscaled."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colour = {"protoc": "#8c8c8c", "buf": "#4a90d9"}
    rows = []  # (label, summary row or None for a case heading)
    for c in results["cases"]:
        rows.append((c["short"], None))
        rows += [(r["label"], r) for r in summarize(c)]
    fig, ax = plt.subplots(figsize=(9, 0.24 * len(rows) + 1.2))
    ys = list(range(len(rows)))[::-1]
    ratios = [r["ratio"] for _, r in rows if r]
    lo = min(min(ratios), 0.5) / 1.6
    hi = max(max(r["max"] / (r["median"] / r["ratio"]) for _, r in rows if r), 2) * 3
    for y, (label, r) in zip(ys, rows):
        if r is None:
            ax.text(-0.01, y, label, fontsize=9, fontweight="bold", va="center", ha="right",
                    transform=ax.get_yaxis_transform())
            continue
        base = r["median"] / r["ratio"]
        ax.barh(y, r["ratio"] - 1, left=1, height=0.7, color=colour.get(r["key"], "#e07b39"))
        ax.errorbar(r["ratio"], y, xerr=[[r["ratio"] - r["min"] / base], [r["max"] / base - r["ratio"]]],
                    fmt="none", ecolor="black", elinewidth=0.8, capsize=2)
        ax.text(max(r["ratio"], r["max"] / base, 1) * 1.08, y, f"{fmt_s(r['median'])}  {r['ratio']:.2f}×",
                va="center", fontsize=7.5)
    ax.set_yticks(ys, [("" if r is None else label) for label, r in rows], fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.axvline(1, color="black", linewidth=0.8)
    ax.set_xlabel("median wall time relative to protoc 36.2 (log scale; left of the line is faster)", fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}×"))
    for s in ["top", "right", "left"]:
        ax.spines[s].set_visible(False)
    ax.tick_params(axis="y", length=0)
    ax.set_title("protowasm (orange), protoc (grey), buf (blue)", fontsize=10, loc="left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def update_readme(readme: Path, section: str) -> None:
    """Replaces what lies between the markers; adds a Performance section before "## Measured"
    (or at the end) when the markers are missing."""
    text = readme.read_text()
    block = f"{BEGIN}\n{section}{END}"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        new = ("## Performance\n\n`bash bench/run.sh` measures this (`--quick` for a smoke run, "
               "`--rounds N`, `--cases compile,rust,go,cache`).\n\n" + block + "\n\n")
        text = text.replace("## Measured", new + "## Measured", 1) if "## Measured" in text else text + "\n" + new
    readme.write_text(text)


def write(results: dict, out: Path, readme) -> None:
    chart(results, out / "chart.png")
    (out / "results.md").write_text("# Benchmark results\n\n" + markdown(results, "chart.png"))
    if readme is not None:
        update_readme(readme, markdown(results, "bench/results/chart.png"))


if __name__ == "__main__":
    where = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/results")
    write(json.loads((where / "results.json").read_text()), where, None)
