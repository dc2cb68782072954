"""Run the hostile-input corpus, the fuzzers, the fault injections and the app load test; write docs/RELIABILITY.md.

    python scripts/reliability_report.py            # the default run's cases (a few minutes on 2 cores)
    python scripts/reliability_report.py --slow     # also the slow ones (deep fuzzing, more kills, 5-min soak)
    python scripts/reliability_report.py --junit whole-suite.xml --add-slow tests/test_app_load.py
                                                    # a default run's report plus the slow cases of some files

pytest runs once with a JUnit XML report; every figure in the document is counted from that report: cases
tried, survived (passed), known open defects (strict xfail), failed, skipped (with pytest's reason) and data
lost (a failed check whose message says DATA LOST: a clip, file or store lost or half-written). Nothing in the
tables is typed by hand. Exit status: pytest's (non-zero when a case failed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = ["tests/test_badinput_bvh.py", "tests/test_badinput_humanml3d.py", "tests/test_badinput_media.py",
         "tests/test_badinput_store.py", "tests/test_badinput_checkpoints.py", "tests/test_badinput_lmm.py",
         "tests/test_badinput_prompts.py", "tests/test_fuzz_parsers.py", "tests/test_fuzz_cli.py",
         "tests/test_faults_kill.py", "tests/test_faults_disk.py", "tests/test_app_load.py"]
# area -> what a case is and what "survived" means there
AREAS = {
    "BVH files": "a hostile .bvh beside a good one in `import bvh`: exit 1, the good clip stored, one line naming "
                 "the file (and the line where it matters)",
    "HumanML3D folders": "one broken sample (or a broken folder) in `import humanml3d`: the others stored, the "
                         "bad one reported; a broken folder refused in one line; pickles never loaded",
    "images": "a hostile image through `build-dataset` in a child process: no native crash, no traceback, the "
              "input in the report",
    "videos": "a hostile video likewise (truncated, zero-byte, wrong container, 1x1, 48x48, one frame, "
              "4K, 0.01 fps, variable frame rate)",
    "media batches": "bad inputs among a good photo over 2 worker processes: the photo's clips kept, every input "
                     "accounted for, a rerun skips what is done",
    "clip stores": "a damaged store given to info / export bvh / export humanml3d / import: one line or a per-clip "
                   "report, the store's bytes unchanged, nothing written outside --out",
    "checkpoints": "a damaged tokenizer, LM or evaluator folder: one line naming it; no pickle ever unpickled",
    "LMM replies": "a hostile OpenAI-compatible endpoint on 127.0.0.1: one-line CaptionError within seconds, "
                   "bounded retries",
    "prompts and options": "`generate` with hostile prompts and options: complete outputs or one line, never a "
                           "partial set",
    "fuzzing: parsers": "hypothesis examples per parser (BVH text and files, HumanML3D lines, store description "
                        "and manifest, LMM replies): a value or one line, within a deadline",
    "fuzzing: command line": "hypothesis command lines per command, from its own parameters: no traceback, "
                             "exit 0/1/2, no temp file, nothing outside the sandbox",
    "kill -9 and resume": "kill -9 at random moments, then the same command: same clips, identical arrays; "
                          "training resumes to the same weights and losses",
    "disk full, read-only": "a small tmpfs (full) or a read-only one: one line or a report, nothing half-written, "
                            "the rerun with room completes",
    "web app under load": "20 concurrent generations, memory over a soak (20 s; the slow one 5 minutes after 300 "
                          "generations of warm-up, flat when RSS grows under 3 MB per 100 generations), Gradio's "
                          "per-session state bounded, malformed requests, a second instance on a used port",
}
FUZZ_EXAMPLES = {"quick": 25, "deep": 600}  # tests/badinput/fuzzing.py: QUICK, DEEP


def area_of(file: str, name: str) -> str:
    stem = Path(file).stem
    if stem == "test_badinput_media":
        return "images" if "[image-" in name else "videos" if "[video-" in name else "media batches"
    return {"test_badinput_bvh": "BVH files", "test_badinput_humanml3d": "HumanML3D folders",
            "test_badinput_store": "clip stores", "test_badinput_checkpoints": "checkpoints",
            "test_badinput_lmm": "LMM replies", "test_badinput_prompts": "prompts and options",
            "test_fuzz_parsers": "fuzzing: parsers", "test_fuzz_cli": "fuzzing: command line",
            "test_faults_kill": "kill -9 and resume", "test_faults_disk": "disk full, read-only",
            "test_app_load": "web app under load"}[stem]


@dataclass
class Area:
    tried: int = 0
    survived: int = 0
    known: int = 0
    failed: int = 0
    skipped: int = 0
    data_lost: int = 0
    seconds: float = 0.0
    examples: int = 0
    notes: list[str] = field(default_factory=list)
    measured: list[str] = field(default_factory=list)  # figures a case recorded (pytest's record_property)


def _testcases(junits: list[Path]) -> list[tuple[str, ET.Element]]:
    """(file, testcase) of the corpus files in ``junits``; a case in several reports counts once, as the last one."""
    out: dict[tuple[str, str], ET.Element] = {}
    for junit in junits:
        for tc in ET.parse(junit).getroot().iter("testcase"):
            file = tc.get("file") or tc.get("classname", "").replace(".", "/") + ".py"
            if file in FILES:  # a report of the whole suite: only the corpus files count here
                out[file, tc.get("name", "")] = tc
    return [(file, tc) for (file, _), tc in out.items()]


def parse(junits: Path | list[Path]) -> tuple[dict[str, Area], list[dict]]:
    areas: dict[str, Area] = defaultdict(Area)
    cases = []
    for file, tc in _testcases([junits] if isinstance(junits, Path) else junits):
        name = tc.get("name", "")
        a = areas[area_of(file, name)]
        figures = [f"{p.get('name')} {p.get('value')}" for p in tc.iter("property")]
        if figures:
            a.measured.append(f"{name}: {', '.join(figures)}")
        outcome, message = "passed", ""
        for child in tc:
            if child.tag in ("failure", "error"):
                outcome, message = "failed", (child.get("message") or "") + "\n" + (child.text or "")
            elif child.tag == "skipped":
                kind = child.get("type", "")
                outcome = "known defect" if "xfail" in kind else "skipped"
                message = child.get("message", "")
        if outcome == "skipped":
            a.skipped += 1
            a.notes.append(f"skipped {name}: {message.strip()[:160]}")
            cases.append({"area": area_of(file, name), "case": name, "outcome": outcome, "message": message[:300]})
            continue
        a.tried += 1
        a.seconds += float(tc.get("time", 0) or 0)
        m = re.search(r"\[(?:.*-)?(quick|deep)\]$", name)
        if m and "fuzz" in file:
            per = FUZZ_EXAMPLES[m.group(1)]
            a.examples += max(3, per // 6) if "fuzz_cli" in file and "found_by" not in name else per
        if outcome == "passed":
            a.survived += 1
        elif outcome == "known defect":
            a.known += 1
            a.notes.append(f"open defect {name}: {message.strip()[:160]}")
        else:
            a.failed += 1
            lost = "DATA LOST" in message
            a.data_lost += lost
            a.notes.append(f"FAILED{' (data lost)' if lost else ''} {name}: {message.strip().splitlines()[0][:200]}")
        cases.append({"area": area_of(file, name), "case": name, "outcome": outcome,
                      "data_lost": "DATA LOST" in message, "message": message.strip()[:300]})
    return dict(areas), cases


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30).stdout.strip()
    except OSError:
        return ""


def _which_cases(meta: dict) -> str:
    if meta["slow"]:
        return "Slow cases included"
    if meta.get("add_slow"):
        return f"The default run's cases and, from a further run, the slow cases of {', '.join(meta['add_slow'])}"
    return "The default run (no slow cases)"


def _options(meta: dict) -> str:
    return (" --slow" if meta["slow"] else "") + "".join(f" --add-slow tests/{f}" for f in meta.get("add_slow", []))


def render(areas: dict[str, Area], meta: dict) -> str:
    order = [a for a in AREAS if a in areas]
    total = Area()
    for a in areas.values():
        for f in ("tried", "survived", "known", "failed", "skipped", "data_lost", "examples"):
            setattr(total, f, getattr(total, f) + getattr(a, f))
        total.seconds += a.seconds
    lines = [
        "# Reliability: hostile input, fuzzing, faults and load",
        "",
        "<!-- Generated by scripts/reliability_report.py from a pytest JUnit report; do not edit by hand. -->",
        "",
        f"Run {meta['when']} on {meta['machine']}, commit `{meta['commit']}`: `{meta['command']}` "
        f"({meta['seconds']:.0f} s). {_which_cases(meta)}; regenerate with "
        f"`python scripts/reliability_report.py{_options(meta)}`.",
        "",
        "A case *survives* when every check of it holds: the promised exit code, one clear line (never a "
        "traceback or a native crash), nothing half-written (no temp file, no partial output) and nothing lost "
        "(the good inputs of a batch stored, a store's bytes unchanged). *Data lost* counts failed checks of the "
        "last two kinds. *Known defects* are open bugs, marked strict xfail with the reason until fixed.",
        "",
        "| area | cases tried | survived | known defects | failed | data lost | skipped | fuzz examples | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in order:
        a = areas[name]
        lines.append(f"| {name} | {a.tried} | {a.survived} | {a.known} | {a.failed} | {a.data_lost} | {a.skipped} "
                     f"| {a.examples or ''} | {a.seconds:.0f} |")
    lines.append(f"| **all** | **{total.tried}** | **{total.survived}** | **{total.known}** | **{total.failed}** | "
                 f"**{total.data_lost}** | **{total.skipped}** | **{total.examples}** | **{total.seconds:.0f}** |")
    lines += ["", "## What each area tries", ""]
    lines += [f"- **{name}**: {AREAS[name]}." for name in order]
    notes = [(name, n) for name in order for n in areas[name].notes]
    lines += ["", "## Open defects, failures and skips", ""]
    lines += [f"- {name}: {n}" for name, n in notes] or ["None: every case tried survived."]
    measured = [(name, m) for name in order for m in areas[name].measured]
    if measured:
        lines += ["", "## Figures the cases measured", ""]
        lines += [f"- {name}, {m}" for name, m in measured]
    lines += ["", "Cases live in `tests/badinput/` (built at test time from the fixtures in `tests/data/`) and "
              "`tests/test_badinput_*.py`, `tests/test_fuzz_*.py`, `tests/test_faults_*.py`, "
              "`tests/test_app_load.py`.", ""]
    return "\n".join(lines)


def _run_pytest(marker: str, files: list[str], junit: Path) -> int:
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", marker, *files]
    return subprocess.run([*command, f"--junitxml={junit}", "-o", "junit_family=xunit1"], cwd=ROOT,
                          env=env).returncode


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--slow", action="store_true", help="also the slow cases (pytest -m 'not blender and not browser')")
    ap.add_argument("--add-slow", nargs="+", default=[], metavar="FILE",
                    help="after the default run (or --junit), also run the slow cases of these corpus files and "
                         "count them in (e.g. tests/test_app_load.py: the 5-minute soak)")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "RELIABILITY.md")
    ap.add_argument("--json", type=Path, default=None, help="also write the per-case outcomes as JSON here")
    ap.add_argument("--junit", type=Path, action="append", default=None,
                    help="read this JUnit XML instead of running pytest (the whole default suite's); again: also "
                         "this one (e.g. a run of the slow cases of some files), counted in")
    args = ap.parse_args(argv)
    unknown = [f for f in args.add_slow if f not in FILES]
    if unknown:
        ap.error(f"--add-slow: {', '.join(unknown)} not among the corpus files ({', '.join(FILES)})")

    marker = "not blender and not browser" if args.slow else "not slow and not blender and not browser"
    start = time.monotonic()
    rc = 0
    tmp = Path(tempfile.mkdtemp(prefix="reliability-"))
    if args.junit is None:
        junit = tmp / "junit.xml"
        rc = _run_pytest(marker, FILES, junit)
        if not junit.is_file():
            print(f"error: pytest wrote no report (exit {rc})", file=sys.stderr)
            return rc or 1
    else:
        junit = args.junit[0]
    junits, slow_seconds = [junit, *(args.junit or [])[1:]], 0.0
    if args.add_slow:
        slow_junit, t0 = tmp / "slow.xml", time.monotonic()
        rc = _run_pytest("slow and not blender and not browser", args.add_slow, slow_junit) or rc
        slow_seconds = time.monotonic() - t0
        if not slow_junit.is_file():
            print(f"error: pytest wrote no report of the slow cases (exit {rc})", file=sys.stderr)
            return rc or 1
        junits.append(slow_junit)
    areas, cases = parse(junits)
    suite = next(ET.parse(junit).getroot().iter("testsuite"))
    started = datetime.fromisoformat(suite.get("timestamp")) if suite.get("timestamp") else datetime.now(timezone.utc)
    commit = _git("log", "-1", "--format=%h", f"--before={started.isoformat()}") if args.junit else ""
    add_slow: list[str] = []
    command = (f"the whole default suite (pytest), counted from its JUnit report" if args.junit else
               "pytest -m '" + marker + "' " + " ".join(Path(f).name for f in FILES))
    for extra in junits[1:]:
        tests = _testcases([extra])
        names = sorted({Path(f).name for f, _ in tests})
        took = sum(float(tc.get("time", 0) or 0) for _, tc in tests)
        if extra.parent != tmp:  # a report given with --junit: its seconds were not counted yet
            slow_seconds += took
        command += f"`, then `{' '.join(names)}: {', '.join(tc.get('name', '') for _, tc in tests)}"
        add_slow = [*add_slow, *names]
    meta = {"when": started.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
            "commit": (commit or _git("rev-parse", "--short", "HEAD") or "unknown")
            + (" + uncommitted changes" if _git("status", "--porcelain", "--untracked-files=no", "src", "tests") else ""),
            "command": command,
            "seconds": (float(suite.get("time") or 0) + slow_seconds if args.junit else time.monotonic() - start),
            "slow": args.slow, "add_slow": sorted(set(add_slow))}
    from motionbase.io import atomic_write_text

    atomic_write_text(args.out, render(areas, meta))
    if args.json is not None:
        atomic_write_text(args.json, json.dumps({"meta": meta, "areas": {k: vars(v) for k, v in areas.items()},
                                                 "cases": cases}, indent=1))
    lost = sum(a.data_lost for a in areas.values())
    print(f"wrote {args.out}: {sum(a.tried for a in areas.values())} cases, "
          f"{sum(a.survived for a in areas.values())} survived, {lost} with data lost")
    return rc


if __name__ == "__main__":
    sys.exit(main())
