"""Input checks shared by the metric modules: shapes, finiteness and sample counts, as one-line errors.

Metrics are pure functions of arrays; these checks turn bad input (an empty split, NaN embeddings, fewer
samples than a protocol needs, mismatched shapes) into :class:`~motionbase.errors.ShapeError` messages that
say what was expected, instead of a numpy traceback or a silent NaN result.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError


def _first_bad_row(x: np.ndarray) -> int:
    bad = ~np.isfinite(x.reshape(x.shape[0], -1)).all(axis=1)
    return int(np.argmax(bad))


def check_array(x, name: str, ndim: int | tuple[int, ...], *, min_rows: int = 1,
                last_dims: tuple[int, ...] | None = None) -> np.ndarray:
    """``x`` as a float64 array with ``ndim`` dims, at least ``min_rows`` rows, finite; else ShapeError.

    ``last_dims`` pins the trailing dimensions (e.g. ``(3,)`` for joint positions).
    """
    arr = np.asarray(x, dtype=np.float64)
    ndims = (ndim,) if isinstance(ndim, int) else ndim
    if arr.ndim not in ndims:
        want = " or ".join(f"{d}-D" for d in ndims)
        raise ShapeError(f"{name}: shape {arr.shape}, expected a {want} array")
    if last_dims is not None and arr.shape[arr.ndim - len(last_dims):] != tuple(last_dims):
        raise ShapeError(f"{name}: shape {arr.shape}, expected trailing dimensions {tuple(last_dims)}")
    if arr.shape[0] < min_rows:
        what = "empty" if arr.shape[0] == 0 else f"{arr.shape[0]} rows"
        raise ShapeError(f"{name}: {what}, expected at least {min_rows}")
    if arr.size and not np.isfinite(arr).all():
        raise ShapeError(f"{name}: NaN/inf at row {_first_bad_row(arr)}; expected finite values")
    return arr


def check_embeddings(x, name: str, *, min_rows: int = 1) -> np.ndarray:
    """(N, D) finite embeddings with N >= ``min_rows``."""
    return check_array(x, name, 2, min_rows=min_rows)


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ShapeError(f"{name_a} has shape {a.shape} but {name_b} has shape {b.shape}; expected equal shapes")


def check_same_dim(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape[-1] != b.shape[-1]:
        raise ShapeError(f"{name_a} has width {a.shape[-1]} but {name_b} has width {b.shape[-1]}; "
                         "expected embeddings from the same evaluator")
