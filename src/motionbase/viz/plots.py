"""Dataset plots for ``motionbase info`` / ``motionbase stats``: clip lengths and counts per subset.

Each function draws one figure with matplotlib's Agg canvas (no pyplot, no global state) and
writes it atomically; the format follows the suffix (.png, .svg or .pdf).
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np

from ..errors import ShapeError
from . import atomic_output, checked_path

PLOT_SUFFIXES = (".png", ".svg", ".pdf")
_BAR_COLOR = "#1f5fd6"


def _figure(width_in: float, height_in: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _save(fig, out: Path) -> Path:
    with atomic_output(out) as tmp:
        fig.savefig(tmp, format=out.suffix[1:].lower())
    return out


def length_histogram(seconds, out_png, *, bins: int | str = "auto", title: str = "Clip lengths") -> Path:
    """Histogram of clip durations, seconds (N,) >= 0, with the median and the total marked; returns the path."""
    out = checked_path(out_png, PLOT_SUFFIXES, "plot")
    s = np.asarray(seconds, dtype=np.float64).ravel()
    if s.size == 0:
        raise ShapeError("length_histogram: no clip lengths given; expected at least one duration in seconds")
    bad = ~np.isfinite(s) | (s < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise ShapeError(f"length_histogram: clip {i} has length {s[i]!r}; expected finite seconds >= 0")
    fig, ax = _figure(6.0, 3.4)
    ax.hist(s, bins=bins, color=_BAR_COLOR, alpha=0.85)
    med = float(np.median(s))
    ax.axvline(med, color="#d62f1f", lw=1.5, label=f"median {med:.1f} s")
    ax.set_xlabel("length (s)")
    ax.set_ylabel("clips")
    ax.set_title(f"{title}: {s.size:,} clips, {s.sum() / 3600:.2f} h in total", fontsize=10)
    ax.legend(frameon=False)
    return _save(fig, out)


def count_bars(counts: Mapping[str, float], out_png, *, title: str = "Clips per subset", ylabel: str = "clips",
               sort: bool = True) -> Path:
    """Bar plot of one number per name (e.g. clips or hours per subset), labelled with the values.

    More than 8 bars, or long names, are drawn horizontally so the names stay readable.
    """
    out = checked_path(out_png, PLOT_SUFFIXES, "plot")
    if not counts:
        raise ShapeError("count_bars: no counts given; expected a mapping name -> number")
    items = list(counts.items())
    vals = np.asarray([v for _, v in items], dtype=np.float64)
    if not np.isfinite(vals).all():
        name = items[int(np.argmax(~np.isfinite(vals)))][0]
        raise ShapeError(f"count_bars: count for {name!r} is not finite; expected a number")
    if sort:
        items = sorted(items, key=lambda kv: -kv[1])
    names = [str(k) for k, _ in items]
    vals = np.asarray([v for _, v in items], dtype=np.float64)
    horizontal = len(names) > 8 or max(map(len, names)) > 12
    fig, ax = _figure(6.0, max(3.0, 0.28 * len(names) + 1.0) if horizontal else 3.4)
    fmt = "{:,.0f}" if np.all(vals == np.round(vals)) else "{:,.2f}"
    if horizontal:
        bars = ax.barh(names[::-1], vals[::-1], color=_BAR_COLOR)
        ax.set_xlabel(ylabel)
    else:
        bars = ax.bar(names, vals, color=_BAR_COLOR)
        ax.set_ylabel(ylabel)
    ax.bar_label(bars, labels=[fmt.format(v) for v in bars.datavalues], fontsize=8, padding=2)
    ax.set_title(f"{title} (total {fmt.format(vals.sum())})", fontsize=10)
    return _save(fig, out)
