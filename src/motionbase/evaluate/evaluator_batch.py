"""Turning raw feature arrays into the padded, normalised batches an evaluator encodes.

Shared by our evaluators and the established HumanML3D one: validate each clip (width, finiteness, length),
crop it to at most ``max_frames`` frames and to a multiple of ``unit_length`` (Guo's movement encoder
downsamples by 4), normalise with the evaluator's own mean/std, check the result looks normalised, pad.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ..errors import CheckpointError, ShapeError

MAX_RMS_Z = 10.0  # raw HumanML3D clips give 0.9-2; already-normalised ones 27-50, millimetres ~1700


def crop_length(num_frames: int, max_frames: int, unit_length: int) -> int:
    """Frames kept: min(T, max_frames) rounded down to a multiple of ``unit_length``."""
    return min(num_frames, max_frames) // unit_length * unit_length


def check_features(features: Sequence[np.ndarray], feature_dim: int, unit_length: int,
                   what: str = "motion") -> list[np.ndarray]:
    """Each clip (T_i, feature_dim), finite, at least ``unit_length`` frames; errors name the clip index."""
    if len(features) == 0:
        raise ShapeError(f"no {what} features to encode; expected at least one clip")
    out = []
    for i, f in enumerate(features):
        x = np.asarray(f, dtype=np.float32)
        if x.ndim != 2:
            raise ShapeError(f"{what} {i}: features of shape {x.shape}, expected (frames, {feature_dim})")
        if x.shape[1] != feature_dim:
            raise CheckpointError(f"{what} {i}: {x.shape[1]}-dim features but the evaluator was trained on "
                                  f"{feature_dim}-dim features; expected the evaluator's feature layout")
        if x.shape[0] < unit_length:
            raise ShapeError(f"{what} {i}: {x.shape[0]} frames, expected at least {unit_length}")
        bad = ~np.isfinite(x).all(axis=1)
        if bad.any():
            raise ShapeError(f"{what} {i}: NaN/inf at frame {int(np.argmax(bad))}; expected finite features")
        out.append(x)
    return out


def normalised_batch(features: Sequence[np.ndarray], mean: np.ndarray, std: np.ndarray, *, max_frames: int,
                     unit_length: int, rng: np.random.Generator | None = None, lengths: Sequence[int] | None = None,
                     pad_to_max: bool = False, max_rms_z: float | None = MAX_RMS_Z
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """Crop, normalise and zero-pad clips: -> ((B, T, F) float32, (B,) int64 lengths).

    ``lengths`` (frames kept per clip) defaults to :func:`crop_length`. Crops start at frame 0, or at a
    random offset when ``rng`` is given. T is the longest kept length, or ``max_frames`` with
    ``pad_to_max`` — Guo's convolutional movement encoder sees the padding next to a clip's last frames, so
    its embeddings depend on T; Guo's loaders always pad to 196, and so do we for that design.
    ``max_rms_z``: raise
    :class:`CheckpointError` when the normalised values' RMS exceeds it — the clips were then normalised
    already, or built in other units or with other statistics than the evaluator's (``None`` disables).
    """
    if lengths is None:
        lengths = [crop_length(len(x), max_frames, unit_length) for x in features]
    out = np.zeros((len(features), max_frames if pad_to_max else max(lengths), len(mean)), dtype=np.float32)
    for i, (x, n) in enumerate(zip(features, lengths)):
        start = 0 if rng is None else int(rng.integers(0, len(x) - n + 1))
        out[i, :n] = (x[start:start + n] - mean) / std
    if max_rms_z is not None:
        rms = float(np.sqrt(sum(float((out[i, :n] ** 2).sum()) for i, n in enumerate(lengths))
                            / (sum(lengths) * len(mean))))
        if rms > max_rms_z:
            raise CheckpointError(f"motion features normalised with the evaluator's mean/std have RMS {rms:.1f}, "
                                  f"expected about 1 (at most {max_rms_z:g}): pass raw features in metres, "
                                  "not features normalised already or built with other statistics/units")
    return torch.from_numpy(out), torch.tensor(lengths, dtype=torch.int64)
