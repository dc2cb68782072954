"""The clip store's manifest: one Parquet row per clip, its schema, and a summary for ``motionbase info``.

Columns (one row per clip; strings are ``""`` where unknown):

=================  ==================  ===========================================================
column             type                meaning
=================  ==================  ===========================================================
id                 string              unique clip id
source, subset     string              dataset of origin and its subset (for held-out / OOD splits)
licence            string              licence of the motion
fps                float64             frame rate of the stored joints and features (frames/s)
frames             int64               joint frames T_j
feature_frames     int64               feature rows T_f (T_j - 1 when computed from joints)
seconds            float64             frames / fps
captions           list<string>        whole-body captions (paraphrases)
upper_body, ...    string              part-level captions, one column per ``PART_CAPTION_KEYS``
labels             string              JSON object of labels, sorted keys (``{"content": "walk"}``)
file               string              provenance: source file
frame_start/_end   int64               provenance: frame range in the source's own frames
source_fps         float64             provenance: the source's frame rate
static             bool                provenance: a still image turned into a clip
bbox_track         list<list<float>>   provenance: per frame [x0, y0, x1, y1] pixels (video), else null
shard              int32               shard number holding the arrays
feat_start/_stop   int64               row range in the shard's features array
joint_start/_stop  int64               row range in the shard's joints array
=================  ==================  ===========================================================

The ``split`` column is not stored per shard: :meth:`ClipStore.manifest` adds it from ``splits.parquet``
(written in one atomic rewrite by :func:`motionbase.data.splits.assign_splits`), ``""`` where unassigned.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from ..clip import PART_CAPTION_KEYS, Captions, Clip, ClipMeta
from .labels import parse_labels

if TYPE_CHECKING:  # pragma: no cover
    from .store import ClipStore

MANIFEST_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("source", pa.string()),
        ("subset", pa.string()),
        ("licence", pa.string()),
        ("fps", pa.float64()),
        ("frames", pa.int64()),
        ("feature_frames", pa.int64()),
        ("seconds", pa.float64()),
        ("captions", pa.list_(pa.string())),
        *[(key, pa.string()) for key in PART_CAPTION_KEYS],
        ("labels", pa.string()),
        ("file", pa.string()),
        ("frame_start", pa.int64()),
        ("frame_end", pa.int64()),
        ("source_fps", pa.float64()),
        ("static", pa.bool_()),
        ("bbox_track", pa.list_(pa.list_(pa.float32()))),
        ("shard", pa.int32()),
        ("feat_start", pa.int64()),
        ("feat_stop", pa.int64()),
        ("joint_start", pa.int64()),
        ("joint_stop", pa.int64()),
    ]
)
SPLITS_SCHEMA = pa.schema([("id", pa.string()), ("split", pa.string())])

# Clip-length histogram edges for :func:`summary`, in seconds (the last bin is open).
LENGTH_BIN_EDGES_S = (0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 15.0, 20.0, 30.0, 60.0)


def manifest_row(clip: Clip, *, feature_frames: int, shard: int, feat_start: int, joint_start: int) -> dict:
    """One manifest row for ``clip`` whose arrays start at the given rows of ``shard``."""
    meta, caps = clip.meta, clip.captions
    frames = clip.num_frames
    return {
        "id": meta.id,
        "source": meta.source,
        "subset": meta.subset,
        "licence": meta.licence,
        "fps": float(clip.fps),
        "frames": frames,
        "feature_frames": int(feature_frames),
        "seconds": frames / float(clip.fps),
        "captions": [str(c) for c in caps.whole],
        **{key: str(caps.parts.get(key, "")) for key in PART_CAPTION_KEYS},
        "labels": json.dumps({str(k): str(v) for k, v in meta.labels.items()}, sort_keys=True),
        "file": meta.file,
        "frame_start": int(meta.frame_start),
        "frame_end": int(meta.frame_end),
        "source_fps": float(meta.source_fps),
        "static": bool(meta.static),
        "bbox_track": None if meta.bbox_track is None else [[float(v) for v in box] for box in meta.bbox_track],
        "shard": int(shard),
        "feat_start": int(feat_start),
        "feat_stop": int(feat_start + feature_frames),
        "joint_start": int(joint_start),
        "joint_stop": int(joint_start + frames),
    }


def rows_to_table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=MANIFEST_SCHEMA)


def row_to_captions_meta(row: dict) -> tuple[Captions, ClipMeta]:
    """Inverse of :func:`manifest_row` for the descriptive fields (a ``row`` from ``Table.to_pylist``)."""
    captions = Captions(whole=list(row["captions"] or []),
                        parts={k: row[k] for k in PART_CAPTION_KEYS if row.get(k)})
    meta = ClipMeta(
        id=row["id"], source=row["source"], subset=row["subset"], licence=row["licence"], file=row["file"],
        frame_start=row["frame_start"], frame_end=row["frame_end"], source_fps=row["source_fps"],
        static=row["static"], labels=parse_labels(row["labels"]), bbox_track=row["bbox_track"],
    )
    return captions, meta


def _counts(column: pa.ChunkedArray | pa.Array) -> dict[str, int]:
    values = column.to_pylist()
    keys, counts = np.unique(np.asarray(values, dtype=object).astype(str), return_counts=True)
    return {str(k): int(c) for k, c in zip(keys, counts)}


def summary(store: "ClipStore") -> dict[str, Any]:
    """Counts and durations for ``motionbase info``.

    Returns ``{"clips", "hours", "frames", "per_source", "per_subset", "per_split", "hours_per_source",
    "length_histogram": {"edges_s": [...], "counts": [...]}}``; the last histogram bin is open-ended
    (clips of at least ``edges_s[-1]`` seconds). Unassigned splits are counted under ``""``.
    """
    table = store.manifest()
    seconds = np.asarray(table.column("seconds").to_numpy(), dtype=np.float64)
    sources = np.asarray(table.column("source").to_pylist(), dtype=object)
    edges = np.asarray(LENGTH_BIN_EDGES_S + (np.inf,))
    hist, _ = np.histogram(seconds, bins=edges)
    return {
        "clips": int(table.num_rows),
        "hours": float(seconds.sum() / 3600.0),
        "frames": int(np.asarray(table.column("frames").to_numpy()).sum()),
        "per_source": _counts(table.column("source")),
        "per_subset": _counts(table.column("subset")),
        "per_split": _counts(table.column("split")),
        "hours_per_source": {str(s): float(seconds[sources == s].sum() / 3600.0) for s in np.unique(sources)},
        "length_histogram": {"edges_s": list(LENGTH_BIN_EDGES_S), "counts": [int(c) for c in hist]},
    }
