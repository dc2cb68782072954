"""Every benchmark runs from a fresh clone: no absolute paths, and a --quick mode that `make bench` calls."""

from __future__ import annotations

import re
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
HELPERS = {"collect.py", "bench_common.py"}
ABSOLUTE = re.compile(r"""["'](/(work|tmp|home|root|mnt|data)\b[^"']*)["']""")


def scripts() -> list[Path]:
    return [p for p in sorted(BENCH.glob("*.py")) if p.name not in HELPERS]


def test_no_benchmark_reads_an_absolute_path():
    files = [*scripts(), BENCH / "bench_common.py"]
    found = {p.name: m.group(1) for p in files for m in ABSOLUTE.finditer(p.read_text())}
    assert not found, f"absolute paths in benchmarks: {found}"


def test_every_benchmark_has_a_quick_mode_into_results_quick():
    assert len(scripts()) >= 10
    for p in scripts():
        text = p.read_text()
        assert "add_quick(" in text and "results_dir(args.quick)" in text, p.name


def test_make_bench_runs_every_script_quick():
    makefile = (BENCH.parent / "Makefile").read_text()
    assert "$$b --quick" in makefile and "filter-out benchmarks/collect.py benchmarks/bench_common.py" in makefile
    assert "benchmarks/results/quick/" in (BENCH.parent / ".gitignore").read_text()
