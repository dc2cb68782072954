"""Mean/Std normalisation statistics, saved beside every dataset and checkpoint and checked at load time.

Two kinds, never to be mixed:

``"humanml3d"``
    HumanML3D's ``cal_mean_variance``: the per-column mean over all frames of all clips (clips
    containing NaN are skipped), and the per-column std *averaged within each group* so that one
    group shares one scale: root yaw velocity (col 0), root XZ velocity (1:3), root height (3),
    ric positions, 6D rotations, local velocities, foot contacts (each their own group). HumanML3D
    divides every group by ``1.0`` there (its ``feat_bias`` hook is unused), which is what its
    ``Mean.npy``/``Std.npy`` hold. Generators and tokenizers trained on HumanML3D use these.

``"t2m_evaluator"``
    The text-to-motion evaluator's ``meta/mean.npy``/``meta/std.npy`` (EricGuo5513/text-to-motion,
    ``data/dataset.py``): the same mean, and the HumanML3D std with the four root columns and the
    foot-contact columns divided by ``feat_bias = 5`` (so those columns weigh 5x more after
    normalising). Only the evaluator's encoders may be fed features normalised with these.

A :class:`FeatureStats` knows its kind, the feature layout it belongs to, its width and the
version of the data it was computed on; its :attr:`~FeatureStats.stamp` hashes all of that plus
the arrays, and :meth:`~FeatureStats.check_compatible` raises :class:`CheckpointError` naming
what differs. Files: ``stats.safetensors`` (``mean``, ``std``, float32) + ``stats.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..io import atomic_write_bytes
from ..errors import CheckpointError, ShapeError
from .layout import HML3D_LAYOUT, FeatureLayout

KINDS = ("humanml3d", "t2m_evaluator")
T2M_FEAT_BIAS = 5.0  # text-to-motion's --feat_bias default (options/train_options.py)
STATS_FILE, META_FILE = "stats.safetensors", "stats.json"
FORMAT_VERSION = 1
DEGENERATE_STD = 1e-6  # a group's std below this: constant features, cannot be normalised
FLOOR_STD = 1.0  # what compute_stats(floor_constant=True) gives such a group


def layout_name_of(layout: FeatureLayout) -> str:
    """A stable name for a feature layout, e.g. ``"humanml3d-smpl22"`` (263 columns)."""
    return f"humanml3d-{layout.skeleton.name}"


def std_groups(layout: FeatureLayout) -> list[slice]:
    """The column groups whose std HumanML3D averages (root yaw, root XZ, root Y, ric, rot, vel, contact)."""
    s = layout.slices
    root = s["root"].start
    return [slice(root, root + 1), slice(root + 1, root + 3), slice(root + 3, root + 4),
            s["ric"], s["rot"], s["vel"], s["contact"]]


@dataclass(frozen=True, eq=False)
class FeatureStats:
    """Per-column mean and std of features, with what they belong to.

    mean, std: (dim,) float32 in the features' own units; kind: one of :data:`KINDS`;
    layout_name: from :func:`layout_name_of`; data_version: free text naming the data (e.g.
    ``"humanml3d@9176e8f"``, a clip-store manifest hash).
    """

    mean: np.ndarray = field(repr=False)
    std: np.ndarray = field(repr=False)
    kind: str = "humanml3d"
    layout_name: str = layout_name_of(HML3D_LAYOUT)
    dim: int = HML3D_LAYOUT.dim
    data_version: str = ""

    def __post_init__(self):
        mean = np.asarray(self.mean, dtype=np.float32).copy()
        std = np.asarray(self.std, dtype=np.float32).copy()
        if self.kind not in KINDS:
            raise ShapeError(f"unknown stats kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        for name, a in (("mean", mean), ("std", std)):
            if a.shape != (self.dim,):
                raise ShapeError(f"stats {name} has shape {a.shape}, expected ({self.dim},)")
            if not np.isfinite(a).all():
                raise ShapeError(f"stats {name} has NaN/inf at column {int(np.argmax(~np.isfinite(a)))}")
        if (std <= 0).any():
            raise ShapeError(f"stats std is not positive at column {int(np.argmax(std <= 0))}")
        mean.flags.writeable = std.flags.writeable = False
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "std", std)

    # ---------------------------------------------------------------- identity
    @property
    def header(self) -> dict:
        return {"kind": self.kind, "layout_name": self.layout_name, "dim": self.dim,
                "data_version": self.data_version}

    @property
    def stamp(self) -> str:
        """16 hex digits: SHA-256 of the header (kind, layout, dim, data version) and both arrays."""
        h = hashlib.sha256(json.dumps(self.header, sort_keys=True).encode())
        h.update(self.mean.astype("<f4").tobytes())
        h.update(self.std.astype("<f4").tobytes())
        return h.hexdigest()[:16]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FeatureStats) and self.stamp == other.stamp

    def __hash__(self) -> int:
        return hash(self.stamp)

    def check_compatible(self, other: "FeatureStats", *, what: str = "normalisation stats") -> None:
        """Raise :class:`CheckpointError` naming every field in which ``other`` differs from ``self``."""
        diffs = [f"{k} {v!r} vs {other.header[k]!r}" for k, v in self.header.items() if other.header[k] != v]
        if self.dim == other.dim:
            for name in ("mean", "std"):
                a, b = getattr(self, name), getattr(other, name)
                if not np.array_equal(a, b):
                    col = int(np.argmax(a != b))
                    diffs.append(f"{name} differs at column {col} ({a[col]:.6g} vs {b[col]:.6g})")
        if diffs:
            raise CheckpointError(f"{what} do not match (stamp {self.stamp} vs {other.stamp}): " + "; ".join(diffs))

    def require_kind(self, kind: str, *, user: str = "this model") -> None:
        """Raise :class:`CheckpointError` unless these stats are of ``kind`` (e.g. an evaluator needs ``t2m_evaluator``)."""
        if self.kind != kind:
            raise CheckpointError(f"{user} needs {kind!r} normalisation stats, got {self.kind!r} (stamp {self.stamp})")

    # ---------------------------------------------------------------- use
    def _arrays_like(self, x):
        if self.dim != x.shape[-1]:
            raise ShapeError(f"features have {x.shape[-1]} columns, stats ({self.layout_name}) have {self.dim}")
        if type(x).__module__.startswith("torch"):
            import torch

            dtype = x.dtype if x.is_floating_point() else torch.float32
            return (torch.as_tensor(np.array(self.mean), dtype=dtype, device=x.device),
                    torch.as_tensor(np.array(self.std), dtype=dtype, device=x.device))
        dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float32
        return self.mean.astype(dtype), self.std.astype(dtype)

    def normalize(self, x):
        """(..., dim) features -> (x - mean) / std; numpy array or torch tensor, same type and device out."""
        mean, std = self._arrays_like(x)
        return (x - mean) / std

    def denormalize(self, x):
        """Inverse of :meth:`normalize`: x * std + mean."""
        mean, std = self._arrays_like(x)
        return x * std + mean

    def to_kind(self, kind: str, *, feat_bias: float = T2M_FEAT_BIAS) -> "FeatureStats":
        """These stats re-expressed as ``kind`` (humanml3d <-> t2m_evaluator: root and contact std / or * feat_bias)."""
        if kind == self.kind:
            return self
        if kind not in KINDS:
            raise ShapeError(f"unknown stats kind {kind!r}; expected one of {', '.join(KINDS)}")
        std = self.std.astype(np.float64)
        factor = 1.0 / feat_bias if kind == "t2m_evaluator" else feat_bias
        for sl in _feat_bias_groups(self.dim):
            std[sl] *= factor
        return FeatureStats(self.mean, std, kind, self.layout_name, self.dim, self.data_version)

    # ---------------------------------------------------------------- files
    def save(self, directory: str | os.PathLike) -> Path:
        """Write ``stats.safetensors`` and ``stats.json`` into ``directory`` (created), each atomically."""
        from safetensors.numpy import save

        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        meta = dict(self.header, stamp=self.stamp, format_version=FORMAT_VERSION)
        atomic_write_bytes(d / STATS_FILE, save({"mean": self.mean, "std": self.std}, metadata={"stamp": self.stamp}))
        atomic_write_bytes(d / META_FILE, (json.dumps(meta, indent=2, sort_keys=True) + "\n").encode())
        return d

    @classmethod
    def load(cls, directory: str | os.PathLike) -> "FeatureStats":
        """Read stats saved by :meth:`save`; :class:`CheckpointError` if missing, malformed or not matching their stamp."""
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        d = Path(directory)
        meta_path, arr_path = d / META_FILE, d / STATS_FILE
        for p in (meta_path, arr_path):
            if not p.is_file():
                raise CheckpointError(f"{p}: normalisation stats missing")
        try:
            meta = json.loads(meta_path.read_text())
            header = {k: meta[k] for k in ("kind", "layout_name", "dim", "data_version")}
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise CheckpointError(f"{meta_path}: not a stats.json ({type(exc).__name__}: {exc})") from None
        try:
            arrays = load_file(arr_path)
            mean, std = arrays["mean"], arrays["std"]
        except (SafetensorError, KeyError, OSError) as exc:
            raise CheckpointError(f"{arr_path}: cannot read mean/std ({exc})") from None
        try:
            stats = cls(mean, std, **header)
        except ShapeError as exc:
            raise CheckpointError(f"{arr_path}: {exc}") from None
        if meta.get("stamp") != stats.stamp:
            raise CheckpointError(f"{arr_path}: contents do not match the stamp in {META_FILE} "
                                  f"({meta.get('stamp')} recorded, {stats.stamp} computed)")
        return stats


def _feat_bias_groups(dim: int) -> list[slice]:
    """Columns text-to-motion divides by feat_bias: the 4 root columns and the 4 foot contacts."""
    return [slice(0, 4), slice(dim - 4, dim)]


def compute_stats(feature_arrays: Iterable[np.ndarray], layout: FeatureLayout = HML3D_LAYOUT,
                  kind: str = "humanml3d", *, data_version: str = "", feat_bias: float = T2M_FEAT_BIAS,
                  skipped: list[int] | None = None, floor_constant: bool = False,
                  floored: list[slice] | None = None) -> FeatureStats:
    """Stats of a dataset, following HumanML3D's ``cal_mean_variance`` (and text-to-motion for ``t2m_evaluator``).

    feature_arrays: iterable of (T_i, dim) arrays (one per clip; streamed, never concatenated).
    Arrays containing NaN/inf are skipped as HumanML3D does; their positions are appended to
    ``skipped`` when a list is given. Accumulates in float64 with Chan's parallel update, so the
    result matches ``np.concatenate(arrays).mean/std(axis=0)`` to float64 rounding.

    A column group that does not vary (std below ``DEGENERATE_STD``, e.g. foot contacts of clips whose feet
    never leave the floor) cannot be normalised: :class:`ShapeError`, or with ``floor_constant`` its std is set
    to ``FLOOR_STD`` (the group keeps its own units, as HumanML3D's feat_bias 1 does) and the group is appended
    to ``floored`` so the caller can say so.
    """
    if kind not in KINDS:
        raise ShapeError(f"unknown stats kind {kind!r}; expected one of {', '.join(KINDS)}")
    dim = layout.dim
    n, mean, m2 = 0, np.zeros(dim), np.zeros(dim)
    for i, arr in enumerate(feature_arrays):
        a = np.asarray(arr, dtype=np.float64)
        if a.ndim != 2 or a.shape[1] != dim:
            raise ShapeError(f"feature array {i} has shape {a.shape}, expected (T, {dim})")
        if not np.isfinite(a).all():
            if skipped is not None:
                skipped.append(i)
            continue
        k = a.shape[0]
        if k == 0:
            continue
        a_mean = a.mean(axis=0)
        a_m2 = ((a - a_mean) ** 2).sum(axis=0)
        delta = a_mean - mean
        total = n + k
        mean = mean + delta * (k / total)
        m2 = m2 + a_m2 + delta ** 2 * (n * k / total)
        n = total
    if n == 0:
        raise ShapeError("no finite feature frames to compute stats from")
    std = np.sqrt(m2 / n)
    for sl in std_groups(layout):
        std[sl] = std[sl].mean()
        if not std[sl.start] >= DEGENERATE_STD and floor_constant:
            std[sl] = FLOOR_STD
            if floored is not None:
                floored.append(sl)
        elif not std[sl.start] >= DEGENERATE_STD:
            raise ShapeError(f"features are constant in columns {sl.start}:{sl.stop} over all {n} frames; "
                             "cannot normalise (compute stats on more clips)")
    stats = FeatureStats(mean, std, "humanml3d", layout_name_of(layout), dim, data_version)
    return stats.to_kind(kind, feat_bias=feat_bias)
