"""An :class:`~.run.EvalReport` as a markdown table (the paper's Table 3, plus our columns) and as JSON."""

from __future__ import annotations

import numpy as np

from ..metrics.protocol import Summary
from .run import EvalReport

# (column header, metric name, index into an array metric or None, scale)
COLUMNS = [
    ("R@1 ↑", "r_precision", 0, 1.0), ("R@2 ↑", "r_precision", 1, 1.0), ("R@3 ↑", "r_precision", 2, 1.0),
    ("FID ↓", "fid", None, 1.0), ("MM-Dist ↓", "mm_dist", None, 1.0), ("Diversity →", "diversity", None, 1.0),
    ("MModality ↑", "multimodality", None, 1.0), ("MPJPE mm ↓", "mpjpe_mm", None, 1.0),
    ("Skating ↓", "skating_ratio", None, 1.0), ("Jitter m/s³", "jitter_m_s3", None, 1.0),
    ("Penetration mm ↓", "penetration_m", None, 1000.0),
]


def _num(x: float) -> str:
    """3 decimals from 1 to 100 (R-precision-like numbers keep 3 significant digits below 1), 1 above."""
    if x == 0 or not np.isfinite(x):
        return f"{x:g}"
    return f"{x:.1f}" if abs(x) >= 100 else f"{x:.3f}" if abs(x) >= 1 else f"{x:#.3g}"


def _cell(value, index: int | None, scale: float, with_ci: bool) -> str:
    if value is None:
        return "–"
    if isinstance(value, Summary):
        mean, ci = np.atleast_1d(value.mean), np.atleast_1d(value.ci95)
        m, c = float(mean[index or 0]) * scale, float(ci[index or 0]) * scale
        text = _num(m)
        if not with_ci:
            return text
        decimals = len(text.split(".")[1]) if "." in text and "e" not in text else 3
        return f"{text} ± {c:.{decimals}f}"  # the interval to the mean's precision
    return _num(float(value) * scale)


def to_markdown(report: EvalReport, title: str | None = None) -> str:
    """A markdown table with one row per evaluated row, and the protocol in the lines above it."""
    info = report.info
    with_ci = info["replications"] > 1
    lines = [f"### {title}", ""] if title else []
    spread = "mean ± 1.96σ/√{n}".format(n=info["replications"]) if with_ci else "one replication, no interval"
    lines.append(f"{info['where']}: {info['clips']} captioned clips ({info['skipped_uncaptioned']} uncaptioned "
                 f"skipped); mode {info['mode']}: {info['replications']} replication(s), {spread}.")
    batches = info["retrieval_samples"] // info["batch_size"]
    labels = (f"distinct {' × '.join(info['distinct_labels'])} labels" if info["distinct_labels"]
              else "random clips (no labels: paraphrases may share a batch)")
    plural = "es" if batches != 1 else ""
    lines.append(f"R-precision and MM-Dist: batches of {info['batch_size']} with {labels} ({batches} batch{plural}, "
                 f"{info['retrieval_samples']} clips per replication); Diversity over {info['diversity_pairs']} "
                 "pairs; FID against the ground-truth embeddings.")
    lines.append("MultiModality: " + (info["multimodality"] or "not computed (needs --mode full and a generator)")
                 + f". Evaluator: {info['embed_dim']}-d embeddings; plausibility on joints recovered from features "
                 f"at {info['fps']:g} fps.")
    lines += [f"Note: {n}." for n in info["notes"]]
    lines += ["", "| Row | " + " | ".join(c[0] for c in COLUMNS) + " |",
              "|---|" + "---:|" * len(COLUMNS)]
    for row in report.rows:
        values = {**row.metrics, **row.once}
        cells = [_cell(values.get(name), index, scale, with_ci) for _, name, index, scale in COLUMNS]
        lines.append(f"| {row.name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _json_value(value):
    if isinstance(value, Summary):
        return {"mean": np.asarray(value.mean).tolist(), "ci95": np.asarray(value.ci95).tolist(),
                "values": np.asarray(value.values).tolist()}
    return float(value)


def to_json(report: EvalReport) -> dict:
    """Plain JSON-able dict: ``info`` and one entry per row (replicated metrics with mean, ci95, values)."""
    return {"info": report.info,
            "rows": [{"name": row.name, "seconds": row.seconds,
                      "metrics": {k: _json_value(v) for k, v in {**row.metrics, **row.once}.items()}}
                     for row in report.rows]}
