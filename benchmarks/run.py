"""Scale benchmark: render synthetic organizations and compare with a floor.

For each size (accounts x groups) it generates a config (benchmarks/synth.py),
then measures, each in a fresh process:

- render: `python -m generator render` wall time and peak memory (ru_maxrss
  of that process), bytes written, and the largest policy of each kind
  against its AWS limit;
- floor: the same YAML loaded with PyYAML's C loader, plus the same
  documents serialized with the standard json module (indent=2, as the
  generator writes them) and written to disk;
- re-render: a second render into the same directory (must write 0 files);
- determinism: a render into a second directory must be byte-identical;
- the checks of the render, each on its own: `python -m generator lint`
  and `python -m generator report` on the rendered directory, wall time
  and peak memory, compared with the render's time.

Every command imports the generator from bytecode compiled before the first
measurement (a user's second run), whatever PYTHONDONTWRITEBYTECODE says.

Usage: python -m benchmarks.run [--sizes 20x100,100x1000,500x10000] [--repeat 3] [--markdown]
       python -m benchmarks.run --checks-only ...   (render, lint and report only)
       python -m benchmarks.run --shape receivers ...  (an organization shaped otherwise: benchmarks/synth.py SHAPES)

A render that refuses the organization (exit 2: over a size limit or a
quota) is reported with its one line (what to raise), not measured.
This is a benchmark, not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import compileall
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.synth import SHAPES, build
from generator import kinds, limits

ROOT = Path(__file__).resolve().parent.parent
FLOOR = r"""
import json, sys, time, yaml
from pathlib import Path
config, rendered, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
manifest = json.loads((rendered / "manifest.json").read_text())
docs = [(e["path"], json.loads((rendered / e["path"]).read_text())) for e in manifest["policies"]]
start = time.perf_counter()
yaml.load(config.read_text(), Loader=yaml.CSafeLoader)
loaded = time.perf_counter()
for path, doc in docs:
    target = out / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(doc, indent=2) + "\n")
done = time.perf_counter()
print(json.dumps({"load": loaded - start, "write": done - loaded}))
"""


def _tree(pid: int) -> list[int]:
    """The process and its descendants (Linux /proc)."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return pids


def _pss_mib(pids: list[int]) -> float:
    """Proportional set size of the processes, summed: memory they really
    use, with copy-on-write pages shared by forked workers counted once."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


class Refused(Exception):
    """The render refused the organization (exit 2): its one-line reason."""


def peak_of(argv: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak memory (MiB) and stdout of one process.

    Peak memory is the larger of the process tree's summed PSS, sampled
    every 250 ms (the render forks workers for large configs), and the
    largest single process's ru_maxrss from os.wait4."""
    start = time.perf_counter()
    errors = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=errors, text=True)
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _pss_mib(_tree(proc.pid)))
            done.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    done.set()
    sampler.join()
    wall = time.perf_counter() - start
    errors.seek(0)
    stderr = errors.read()
    errors.close()
    if os.waitstatus_to_exitcode(status) == 2 and stderr.startswith("error: "):
        raise Refused(stderr.splitlines()[0][len("error: "):])
    if status != 0:
        raise SystemExit(f"{' '.join(argv)} failed (status {status})")
    return wall, max(peak, usage.ru_maxrss / 1024), out


def headroom(stdout: str) -> list[str]:
    """The render's headroom lines (the tightest item of each kind and quota)."""
    lines = stdout.splitlines()
    marker = next((i for i, line in enumerate(lines) if line.startswith("headroom")), None)
    return [] if marker is None else [line.strip() for line in lines[marker + 1:] if line.startswith("  ")]


def largest_by_kind(out: Path) -> dict[str, tuple[int, int, str]]:
    manifest = json.loads((out / "manifest.json").read_text())["policies"]
    largest: dict[str, tuple[int, int, str]] = {}
    for entry in manifest:
        size = limits.measure(entry["kind"], (out / entry["path"]).read_text())
        if size > largest.get(entry["kind"], (-1,))[0]:
            largest[entry["kind"]] = (size, limits.LIMITS[entry["kind"]].size, limits.LIMITS[entry["kind"]].unit)
    return largest


def same_tree(a: Path, b: Path) -> bool:
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    if files_a != files_b:
        return False
    return all(filecmp.cmp(a / f, b / f, shallow=False) for f in files_a)


def measure_checks(config: Path, out: Path, work: Path, repeat: int) -> dict:
    """lint and report of a rendered directory, best of ``repeat`` each; both
    must pass (exit 0), or the benchmark stops."""
    python = sys.executable
    lint = [python, "-m", "generator", "lint", "--config", str(config), "--out", str(out)]
    report = [python, "-m", "generator", "report", "--config", str(config), "--policies", str(out),
              "--out", str(work / "report")]
    lints = [peak_of(lint)[:2] for _ in range(repeat)]
    reports = [peak_of(report)[:2] for _ in range(repeat)]
    return {
        "lint_s": min(r[0] for r in lints), "lint_peak_mib": max(r[1] for r in lints),
        "report_s": min(r[0] for r in reports), "report_peak_mib": max(r[1] for r in reports),
        "report_bytes": sum(p.stat().st_size for p in (work / "report").iterdir()),
    }


def measure_render_and_checks(accounts: int, groups: int, work: Path, repeat: int, stages: bool = False,
                              shape: str = "default") -> dict:
    """Render, lint and report only (no floor, no re-render), best of ``repeat`` each."""
    config = work / f"accounts-{accounts}x{groups}.yaml"
    config.write_text(build(accounts, groups, stages=stages, **SHAPES[shape]))
    render = [sys.executable, "-m", "generator", "render", "--config", str(config), "--out"]
    runs = []
    for attempt in range(repeat):
        runs.append(peak_of([*render, str(work / f"out{attempt}")]))
        if attempt:
            shutil.rmtree(work / f"out{attempt}")
    result = {"accounts": accounts, "groups": groups, "shape": shape, "render_s": min(r[0] for r in runs),
              "peak_mib": max(r[1] for r in runs), "headroom": headroom(runs[0][2])}
    result.update(measure_checks(config, work / "out0", work, repeat))
    return result


def measure(accounts: int, groups: int, work: Path, repeat: int, stages: bool = False, shape: str = "default") -> dict:
    """Each timing is the best of ``repeat`` runs (shared machines are noisy;
    the best run is the one least disturbed), each into a fresh directory."""
    config = work / f"accounts-{accounts}x{groups}.yaml"
    config.write_text(build(accounts, groups, stages=stages, **SHAPES[shape]))
    python = sys.executable
    render = [python, "-m", "generator", "render", "--config", str(config), "--out"]
    runs, floors = [], []
    for attempt in range(repeat):
        out, floor_out = work / f"out{attempt}", work / f"floor{attempt}"
        runs.append(peak_of([*render, str(out)])[:2])
        floors.append(json.loads(peak_of([python, "-c", FLOOR, str(config), str(out), str(floor_out)])[2]))
        shutil.rmtree(floor_out)
        if attempt:
            shutil.rmtree(out)
    wall, peak = min(r[0] for r in runs), max(r[1] for r in runs)
    floor = min(floors, key=lambda f: f["load"] + f["write"])
    out, again = work / "out0", work / "again"
    rerender_wall, _, rerender_text = peak_of([*render, str(out)])
    peak_of([*render, str(again)])
    written = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    files = sum(1 for p in out.rglob("*") if p.is_file())
    return {
        "accounts": accounts,
        "groups": groups,
        "shape": shape,
        "headroom": headroom(rerender_text),
        "config_bytes": config.stat().st_size,
        "render_s": wall,
        "peak_mib": peak,
        "files": files,
        "bytes_written": written,
        "floor_load_s": floor["load"],
        "floor_write_s": floor["write"],
        "floor_s": floor["load"] + floor["write"],
        "ratio": wall / (floor["load"] + floor["write"]),
        "rerender_s": rerender_wall,
        "rerender_summary": rerender_text.strip(),
        "identical": same_tree(out, again),
        "largest": largest_by_kind(out),
        # EventBridge: rules on the registry's default bus (quota 300 per bus).
        "event_rules": sum(kinds.get(e["kind"]).target_type == "rule"
                           for e in json.loads((out / "manifest.json").read_text())["policies"]),
        **measure_checks(config, out, work, repeat),
    }


def markdown(results: list[dict]) -> str:
    head = ("| accounts × groups | render | peak memory | files | bytes written | floor (C load + json write) "
            "| render / floor | re-render | identical |\n|---|---|---|---|---|---|---|---|---|")
    rows = [
        f"| {r['accounts']} × {r['groups']:,} | {r['render_s']:.2f} s | {r['peak_mib']:.0f} MiB | {r['files']:,} "
        f"| {r['bytes_written'] / 1e6:.1f} MB | {r['floor_s']:.2f} s ({r['floor_load_s']:.2f} + {r['floor_write_s']:.2f}) "
        f"| {r['ratio']:.2f}× | {r['rerender_s']:.2f} s, {r['rerender_summary'].split(': ', 1)[-1]} "
        f"| {'yes' if r['identical'] else 'NO'} |"
        for r in results
    ]
    kinds = sorted({k for r in results for k in r["largest"]})
    head2 = "| accounts × groups | " + " | ".join(kinds) + " |\n|---|" + "---|" * len(kinds)
    rows2 = [
        f"| {r['accounts']} × {r['groups']:,} | "
        + " | ".join(
            f"{r['largest'][k][0]:,} / {r['largest'][k][1]:,}" if k in r["largest"] else "–" for k in kinds
        )
        + " |"
        for r in results
    ]
    return "\n".join([head, *rows, "", "Largest policy of each kind (size / AWS limit):", "", head2, *rows2])


def markdown_checks(results: list[dict]) -> str:
    head = ("| accounts × groups | render | lint | report | lint / render | report / render "
            "| peak memory: render, lint, report |\n|---|---|---|---|---|---|---|")
    rows = [
        f"| {r['accounts']} × {r['groups']:,} | {r['render_s']:.2f} s | {r['lint_s']:.2f} s | {r['report_s']:.2f} s "
        f"| {r['lint_s'] / r['render_s']:.2f}× | {r['report_s'] / r['render_s']:.2f}× "
        f"| {r['peak_mib']:.0f}, {r['lint_peak_mib']:.0f}, {r['report_peak_mib']:.0f} MiB |"
        for r in results
    ]
    return "\n".join([head, *rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20x100,100x1000,500x10000")
    parser.add_argument("--markdown", action="store_true", help="print the tables of docs/benchmarks.md")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is kept")
    parser.add_argument("--stages", action="store_true", help="add ModelLifeCycle stages test and prod (stage gates)")
    parser.add_argument("--checks-only", action="store_true",
                        help="render, lint and report only (no floor, re-render or determinism check)")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="default",
                        help="the organization's shape (benchmarks/synth.py SHAPES: receivers, stages3, ...)")
    args = parser.parse_args()
    # Every measured process imports the generator from cached bytecode, as a
    # user's second run does: compiled here once, even when the environment
    # sets PYTHONDONTWRITEBYTECODE (compiling the package's sources on every
    # run costs about 0.3 s on this machine, which is not the command's cost).
    compileall.compile_dir(ROOT / "generator", quiet=1)
    results = []
    for size in args.sizes.split(","):
        accounts, groups = (int(n) for n in size.split("x"))
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            try:
                if args.checks_only:
                    result = measure_render_and_checks(accounts, groups, Path(tmp), args.repeat, args.stages, args.shape)
                else:
                    result = measure(accounts, groups, Path(tmp), args.repeat, args.stages, args.shape)
            except Refused as refused:
                # Refused, with the line that says what to raise: reported, not measured.
                print(json.dumps({"accounts": accounts, "groups": groups, "shape": args.shape,
                                  "refused": str(refused)}), file=sys.stderr)
                continue
        results.append(result)
        print(json.dumps(result), file=sys.stderr)
    if args.markdown and results:
        if not args.checks_only:
            print(markdown(results))
            print()
        print(markdown_checks(results))


if __name__ == "__main__":
    main()
