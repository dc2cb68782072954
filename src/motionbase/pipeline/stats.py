"""Dataset statistics in the style of the paper's Fig. 6 / Fig. 7: clips per subset, the clip-length
distribution, and the most frequent words of both caption levels (whole-body, and upper / lower body).

:func:`caption_word_counts` and :func:`dataset_stats` are pure (a manifest in, numbers out);
:func:`write_stats` draws the plots with :mod:`motionbase.viz.plots` and writes ``stats.json`` beside them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..clip import PART_CAPTION_KEYS
from ..data import summary
from ..errors import StoreError
from ..io import atomic_write_text
from ..viz.plots import count_bars, length_histogram

# Function words left out of the word counts (so the plots show motion words).
STOPWORDS = frozenset("""
a an the and or but of to in on at by for with from into onto over under up down out off as is are was were be
been being it its this that these those their his her them they he she him while then than so very just
also both each other one two three some any all no not there here who whom which what when where how
person man woman someone people body his her
""".split())
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def caption_word_counts(texts: Iterable[str], top: int = 30, stopwords: frozenset[str] = STOPWORDS) -> dict[str, int]:
    """The ``top`` most frequent lower-cased words of ``texts`` (stop words left out), most frequent first."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(w for w in _WORD.findall(str(text).lower()) if w not in stopwords and len(w) > 1)
    return dict(counts.most_common(top))


def dataset_stats(store, top: int = 30) -> dict:
    """The store's summary (:func:`motionbase.data.summary`) plus static clip count, clip lengths in seconds
    and caption word counts per level (``whole`` and each part key)."""
    table = store.manifest()
    out = summary(store)
    out["static_clips"] = int(np.asarray(table.column("static").to_pylist(), dtype=bool).sum())
    out["seconds"] = [float(s) for s in table.column("seconds").to_pylist()]
    whole = [c for caps in table.column("captions").to_pylist() for c in (caps or [])]
    out["words"] = {"whole": caption_word_counts(whole, top)}
    for key in PART_CAPTION_KEYS:
        out["words"][key] = caption_word_counts(table.column(key).to_pylist(), top)
    return out


def write_stats(store, out_dir: str | Path, top: int = 30) -> dict[str, Path]:
    """Plots (PNG) and ``stats.json`` of ``store`` under ``out_dir``; returns what was written, by name."""
    stats = dataset_stats(store, top)
    if not stats["clips"]:
        raise StoreError(f"{store.path}: the store holds no clips; nothing to plot")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {
        "subsets": count_bars({k or "(none)": v for k, v in stats["per_subset"].items()}, out / "clips_per_subset.png",
                              title="Clips per subset"),
        "lengths": length_histogram(stats["seconds"], out / "clip_lengths.png", title="Clip lengths"),
    }
    for level, counts in stats["words"].items():
        if counts:
            name = "Whole-body" if level == "whole" else level.replace("_", " ").capitalize()
            title = f"{name} caption words"
            written[f"words_{level}"] = count_bars(counts, out / f"words_{level}.png", title=title, ylabel="count")
    json_path = out / "stats.json"
    atomic_write_text(json_path, json.dumps({k: v for k, v in stats.items() if k != "seconds"}, indent=2))
    written["json"] = json_path
    return written
