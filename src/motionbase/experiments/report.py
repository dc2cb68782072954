"""An experiment's report (markdown table, plot, ``report.json``) and ``FINDINGS.md`` from several reports.

Seeds of one setting are pooled: mean ± 1.96σ/√n over seeds (σ with ddof 0, as the evaluation protocol;
with one seed no interval). The verdict compares the paper's direction with ours: *agrees* when the
difference goes the paper's way and the intervals do not overlap, *disagrees* when it goes the other way
and they do not overlap, *inconclusive* otherwise (and *not run* for missing arms).
"""

from __future__ import annotations

import json
import textwrap
from collections import defaultdict
from pathlib import Path

from ..io import atomic_output, atomic_write_text
from ..metrics.protocol import mean_ci95
from .questions import QUESTIONS, Question


def _key(fields: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(fields.items()))


def group(q: Question, results: list[dict]) -> dict[str, dict]:
    """{setting: {"fields", "n", metric: (mean, ci95)}} over the seeds that finished."""
    by: dict[str, list[dict]] = defaultdict(list)
    fields: dict[str, dict] = {}
    for r in results:
        k = _key(r["arm"]["fields"])
        by[k].append(r["metrics"])
        fields[k] = r["arm"]["fields"]
    out = {}
    for k, runs in by.items():
        row: dict = {"fields": fields[k], "n": len(runs)}
        for m in runs[0]:
            s = mean_ci95([run[m] for run in runs])
            row[m] = (float(s.mean), float(s.ci95))
        out[k] = row
    return out


def _compare(a: tuple[float, float], b: tuple[float, float], lower_is_better: bool) -> str:
    """Is ``a`` better than ``b``?"""
    diff = (b[0] - a[0]) if lower_is_better else (a[0] - b[0])
    apart = abs(a[0] - b[0]) > a[1] + b[1]
    if not apart:
        return "inconclusive"
    return "agrees" if diff > 0 else "disagrees"


def verdict(q: Question, groups: dict[str, dict]) -> tuple[str, str]:
    """(agrees | disagrees | inconclusive | not run, what was compared)."""
    m, low = q.metric, q.lower_is_better
    expected = {_key(a.fields) for a in q.arms}
    missing = len(expected - set(groups))
    if missing and q.name != "codebook":
        return "not run", f"{missing} of {len(expected)} settings have no finished arm"

    def find(**want):
        return next(g for g in groups.values() if all(g["fields"].get(k) == v for k, v in want.items()))

    if q.name == "lfq_dim":
        a, b = find(method="lfq2d"), find(method="lfq1d")
        return _compare(a[m], b[m], low), f"2D-LFQ {m} {_fmt(a[m], a['n'])} vs 1D-LFQ {_fmt(b[m], b['n'])}"
    if q.name == "loss":
        a, b = find(loss_on="whole"), find(loss_on="motion")
        return _compare(a[m], b[m], low), f"whole {m} {_fmt(a[m], a['n'])} vs motion-only {_fmt(b[m], b['n'])}"
    if q.name in ("static", "synthetic"):
        a, b = find(**{q.name: True}), find(**{q.name: False})
        return _compare(a[m], b[m], low), f"with {q.name} clips {m} {_fmt(a[m], a['n'])} vs without {_fmt(b[m], b['n'])}"
    if q.name == "model_scale":
        a, b = find(model="medium"), find(model="tiny")
        text = f"medium LM {m} {_fmt(a[m], a['n'])} vs tiny {_fmt(b[m], b['n'])}"
        if any(g["fields"]["model"] == "backbone" for g in groups.values()):
            c = find(model="backbone")
            text += f" (pretrained backbone {_fmt(c[m], c['n'])})"
        return _compare(a[m], b[m], low), text
    if q.name == "ood":
        a, b = find(test_on="seen"), find(test_on="unseen")
        return _compare(a[m], b[m], low), f"{m} on seen contents {_fmt(a[m], a['n'])} vs held-out {_fmt(b[m], b['n'])}"
    if q.name == "data_scale":
        fr = sorted({g["fields"]["train_fraction"] for g in groups.values()})
        a, b = find(train_fraction=fr[-1]), find(train_fraction=fr[0])
        text = f"{m} with {fr[-1]:.0%} of the data {_fmt(a[m], a['n'])} vs {fr[0]:.0%} {_fmt(b[m], b['n'])}"
        return _compare(a[m], b[m], low), text
    # codebook: does LFQ gain more from the largest K over the smallest than VQ does?
    # (methods missing an end point are left out and said; VQ and one LFQ are needed)
    Ks = sorted({a.fields["K"] for a in q.arms})
    have = {(g["fields"]["method"], g["fields"]["K"]) for g in groups.values()}
    gain = {}
    for method in ("vq", "lfq1d", "lfq2d"):
        if (method, Ks[0]) in have and (method, Ks[-1]) in have:
            lo, hi = find(method=method, K=Ks[0])[m], find(method=method, K=Ks[-1])[m]
            gain[method] = ((lo[0] - hi[0]) if low else (hi[0] - lo[0]), lo[1] + hi[1])
    lfqs = [k for k in ("lfq1d", "lfq2d") if k in gain]
    if "vq" not in gain or not lfqs:
        return "not run", f"{missing} of {len(expected)} settings have no finished arm"
    best = max(lfqs, key=lambda k: gain[k][0])
    text = (f"{m} gain from K={Ks[0]} to K={Ks[-1]}: " + ", ".join(f"{k} {v[0]:+.3g} ± {v[1]:.2g}"
                                                                   for k, v in gain.items())
            + (f" ({', '.join(sorted(set(('vq', 'lfq1d', 'lfq2d')) - set(gain)))} not run)" if len(gain) < 3 else ""))
    return _compare((gain[best][0], gain[best][1]), (gain["vq"][0], gain["vq"][1]), False), text


OOD_MOVES = (("r_precision_top3", "R@3"), ("fid", "FID"), ("mm_dist", "MM-Dist"), ("skating_ratio", "foot skating"),
             ("jitter_m_s3", "jitter"), ("penetration_m", "floor penetration"), ("prompt_pass", "prompt checks passed"))


def _movement(q: Question, groups: dict[str, dict]) -> list[str]:
    """ood: how each metric moves from the seen to the held-out contents (seed means), evaluator vs geometry."""
    by = {g["fields"].get("test_on"): g for g in groups.values()}
    if q.name != "ood" or not {"seen", "unseen"} <= set(by):
        return []
    seen, unseen = by["seen"], by["unseen"]
    moves = [f"{label} {seen[m][0]:.3g} → {unseen[m][0]:.3g}" for m, label in OOD_MOVES if m in seen and m in unseen]
    return ["", "From seen to held-out contents (generated motions, seed means): " + ", ".join(moves) +
            ". R@3, FID and MM-Dist are the evaluator's; foot skating, jitter, floor penetration and the prompt "
            "checks are geometry (no learned model); the real_* columns are the same measures on the real clips."]


def _summary(trace: dict) -> str:
    summary = trace.get("store_summary")
    if not summary:
        return ""
    splits = ", ".join(f"{k or 'unassigned'} {v}" for k, v in summary["splits"].items())
    return f"{summary['clips']} clips from {', '.join(summary['sources'])}; splits {splits}; "


def _fmt(v: tuple[float, float], n: int) -> str:
    mean, ci = v
    return f"{mean:.4g} ± {ci:.2g}" if n > 1 else f"{mean:.4g}"


def _plot_moves(ax, seen: dict, unseen: dict) -> None:
    """ood: each measure on the held-out contents relative to the seen ones (1 = no change), evaluator vs geometry."""
    evaluator = {"r_precision_top3", "fid", "mm_dist"}
    moves = [(label, unseen[m][0] / seen[m][0], m in evaluator) for m, label in OOD_MOVES
             if m in seen and m in unseen and m != "penetration_m" and seen[m][0] > 0]
    ax.bar(range(len(moves)), [v for _, v, _ in moves], color=["tab:blue" if e else "tab:orange" for *_, e in moves])
    ax.axhline(1.0, color="black", lw=0.8)
    ax.set_xticks(range(len(moves)), [label for label, *_ in moves], rotation=25, ha="right", fontsize=8)
    ax.set_ylabel("held-out / seen (generated motions)")
    ax.set_title("blue: the evaluator's metrics; orange: geometric checks", fontsize=9)


def _plot(q: Question, groups: dict[str, dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by = {g["fields"].get("test_on"): g for g in groups.values()}
    ood = q.name == "ood" and {"seen", "unseen"} <= set(by)
    fig, axes = plt.subplots(1, 2 if ood else 1, figsize=(11 if ood else 6, 4), squeeze=False)
    ax = axes[0, 0]
    if ood:
        _plot_moves(axes[0, 1], by["seen"], by["unseen"])
    series: dict = defaultdict(list)
    for g in groups.values():
        series[g["fields"].get(q.series, "") if q.series else ""].append((g["fields"][q.x], *g[q.metric]))
    numeric = all(not isinstance(p[0], str) for pts in series.values() for p in pts) and q.x == "K"
    if numeric:  # a curve over codebook sizes, one line per method
        for name, pts in sorted(series.items(), key=lambda kv: str(kv[0])):
            pts.sort()
            ax.errorbar([p[0] for p in pts], [p[1] for p in pts], yerr=[p[2] for p in pts], marker="o", capsize=3,
                        label=f"{q.series}={name}")
        ax.set_xscale("log", base=2)
        ax.legend()
    else:  # bars per setting, side by side per series
        xs = sorted({str(p[0]) for pts in series.values() for p in pts})
        width = 0.8 / len(series)
        for j, (name, pts) in enumerate(sorted(series.items(), key=lambda kv: str(kv[0]))):
            at = {str(p[0]): p for p in pts}
            pos = [i + j * width for i, x in enumerate(xs) if x in at]
            ax.bar(pos, [at[x][1] for x in xs if x in at], width, yerr=[at[x][2] for x in xs if x in at], capsize=4,
                   label=f"{q.series}={name}" if q.series else None)
        ax.set_xticks([i + width * (len(series) - 1) / 2 for i in range(len(xs))], xs)
        if q.series:
            ax.legend()
    ax.set_xlabel(q.x)
    ax.set_ylabel(q.metric + (" (lower is better)" if q.lower_is_better else " (higher is better)"))
    ax.set_title(textwrap.fill(f"{q.name}: {q.claim}", 60), fontsize=9)
    fig.tight_layout()
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


def write_report(q: Question, results: list[dict], trace: dict, out: Path) -> Path:
    """``out/report.md``, ``out/report.json`` and ``out/plot.png`` (when any arm finished)."""
    groups = group(q, results)
    status, compared = verdict(q, groups) if groups else ("not run", "no arm finished")
    metrics = list(dict.fromkeys(m for g in groups.values() for m in g if m not in ("fields", "n")))
    lines = [f"# Experiment `{q.name}` (preset `{trace['preset']}`)", "",
             f"Claim: {q.claim}. Paper: {q.paper}.", "",
             f"Ours: **{status}** — {compared}.", "",
             f"Data: {trace['store']} ({_summary(trace)}hash {trace['data_hash']}); "
             f"sizes: `{json.dumps(trace['sizes'])}`; "
             f"{len(results)} of {len(q.arms)} arms finished; every arm's config, seed, data hash and code version "
             "are in `arms/<arm>/result.json`.", ""]
    if groups:
        lines += ["| setting | seeds | " + " | ".join(metrics) + " |", "|---|---:|" + "---:|" * len(metrics)]
        for k, g in sorted(groups.items()):
            lines.append(f"| {k} | {g['n']} | " + " | ".join(_fmt(g[m], g["n"]) if m in g else "—" for m in metrics)
                         + " |")
        lines += _movement(q, groups)
        _plot(q, groups, out / "plot.png")
        lines += ["", "![plot](plot.png)"]
    missing = [a.name for a in q.arms if a.name not in {r["arm"]["name"] for r in results}]
    if missing:
        lines += ["", f"Not run: {', '.join(missing)}."]
    atomic_write_text(out / "report.md", "\n".join(lines) + "\n")
    atomic_write_text(out / "report.json", json.dumps({
        "question": q.name, "claim": q.claim, "paper": q.paper, "metric": q.metric, "verdict": status,
        "compared": compared, "trace": trace, "finished": len(results), "arms": len(q.arms), "missing": missing,
        "groups": {k: {**g, **{m: list(v) for m, v in g.items() if isinstance(v, tuple)}} for k, g in groups.items()},
    }, indent=1))
    return out / "report.md"


def write_findings(report_dirs: list[Path], path: Path) -> Path:
    """``FINDINGS.md`` from experiment folders: per claim, the paper, ours (with interval), agreement.

    Only finished experiments (every arm) give a verdict; an unfinished one is listed as such, without numbers.
    """
    reports, unfinished = {}, {}
    for d in report_dirs:
        f = Path(d) / "report.json"
        if f.is_file():
            r = json.loads(f.read_text())
            (reports if r["finished"] == r["arms"] else unfinished)[r["question"]] = (Path(d), r)
    lines = ["# Findings: which of the paper's claims hold on our data", "",
             "Generated by `motionbase findings` from the experiment folders named below (`motionbase experiment`); "
             "no number here is typed by hand. Small presets on a 2-core CPU: a direction at small scale, "
             "not the paper's numbers.", "",
             "| question | paper | ours | verdict | arms | data | code |", "|---|---|---|---|---:|---|---|"]
    for name in QUESTIONS:
        if name in unfinished:
            d, r = unfinished[name]
            lines.append(f"| {name} ({r['trace']['preset']}) | {r['paper']} | not finished (`{d}`): no verdict | "
                         f"not finished | {r['finished']}/{r['arms']} | {r['trace']['data_hash']} | — |")
            continue
        if name not in reports:
            lines.append(f"| {name} | — | not run | not run | 0 | — | — |")
            continue
        d, r = reports[name]
        codes = sorted({json.loads((d / "arms" / a["name"] / "result.json").read_text())["code_version"]
                        for a in r["trace"]["arms"] if (d / "arms" / a["name"] / "result.json").is_file()})
        lines.append(f"| {name} ({r['trace']['preset']}) | {r['paper']} | {r['compared']} | **{r['verdict']}** | "
                     f"{r['finished']}/{r['arms']} | {r['trace']['data_hash']} | {'; '.join(codes)} |")
    lines.append("")
    for name, (d, r) in reports.items():
        lines += [f"## {name}", "", f"From `{d}/report.md`:"]
        body = (d / "report.md").read_text().split("\n", 2)[2]
        lines.append(body.replace("![plot](plot.png)", f"![{name}](findings/{name}.png)"))
        if (d / "plot.png").is_file():
            (path.parent / "findings").mkdir(parents=True, exist_ok=True)
            (path.parent / "findings" / f"{name}.png").write_bytes((d / "plot.png").read_bytes())
    atomic_write_text(path, "\n".join(lines) + "\n")
    return path
