"""Quaternion and 6D rotation utilities, written once for numpy and torch.

Quaternions are (w, x, y, z), Hamilton product, active rotations. Every function accepts numpy
arrays or torch tensors and returns the same kind (torch where training needs gradients).
The 6D representation is HumanML3D's "cont6d": the first two COLUMNS of the rotation matrix.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Array = Any  # np.ndarray | torch.Tensor


def _is_torch(x) -> bool:
    return type(x).__module__.startswith("torch")


def _stack(xs, axis=-1):
    if _is_torch(xs[0]):
        import torch

        return torch.stack(xs, dim=axis)
    return np.stack(xs, axis=axis)


def _cat(xs, axis=-1):
    if _is_torch(xs[0]):
        import torch

        return torch.cat(xs, dim=axis)
    return np.concatenate(xs, axis=axis)


def _cross(a, b):
    """Cross product over the last axis, broadcasting (written out: np.cross is slow on small vectors)."""
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    return _stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0])


def _norm(x, keepdims=True):
    if _is_torch(x):
        return x.norm(dim=-1, keepdim=keepdims)
    return np.linalg.norm(x, axis=-1, keepdims=keepdims)


def _sumk(x):
    """Sum over the last axis, keeping it."""
    return x.sum(-1, keepdim=True) if _is_torch(x) else x.sum(-1, keepdims=True)


def _sqrt(x):
    return x.sqrt() if _is_torch(x) else np.sqrt(x)


def qnormalize(q: Array) -> Array:
    return q / _norm(q)


def qinv(q: Array) -> Array:
    """Conjugate (the inverse of a unit quaternion)."""
    sign = q.new_tensor([1.0, -1.0, -1.0, -1.0]) if _is_torch(q) else np.array([1.0, -1.0, -1.0, -1.0])
    return q * sign


def qmul(q: Array, r: Array) -> Array:
    """Hamilton product q*r (apply r first, then q). Broadcasts."""
    w1, x1, y1, z1 = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    w2, x2, y2, z2 = r[..., 0], r[..., 1], r[..., 2], r[..., 3]
    return _stack([
        w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
        w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
        w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
        w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2,
    ])


def qrot(q: Array, v: Array) -> Array:
    """Rotate vectors v (..., 3) by unit quaternions q (..., 4). Broadcasts."""
    qvec = q[..., 1:]
    uv = _cross(qvec, v)
    uuv = _cross(qvec, uv)
    return v + 2 * (q[..., :1] * uv + uuv)


def qbetween(v0: Array, v1: Array) -> Array:
    """Shortest-arc rotation taking direction v0 to direction v1 (HumanML3D's ``qbetween``)."""
    v = _cross(v0, v1)
    w = _sqrt(_sumk(v0 ** 2) * _sumk(v1 ** 2)) + _sumk(v0 * v1)
    return qnormalize(_cat([w, v]))


def qfix(q: np.ndarray) -> np.ndarray:
    """Flip signs along time (axis 0) so consecutive quaternions have a positive dot product."""
    out = np.array(q, copy=True)
    dots = np.sum(q[1:] * q[:-1], axis=-1)
    flip = (np.cumsum(dots < 0, axis=0) % 2).astype(bool)
    out[1:][flip] *= -1
    return out


def yaw_quat(angle: Array) -> Array:
    """Rotation by ``angle`` radians about +Y."""
    half = angle * 0.5
    if _is_torch(angle):
        z = angle * 0
        return _stack([half.cos(), z, half.sin(), z])
    z = np.zeros_like(angle)
    return _stack([np.cos(half), z, np.sin(half), z])


def quat_to_matrix(q: Array) -> Array:
    """(..., 4) -> (..., 3, 3)."""
    r, i, j, k = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    two_s = 2.0 / (q * q).sum(-1)
    m = _stack([
        1 - two_s * (j * j + k * k), two_s * (i * j - k * r), two_s * (i * k + j * r),
        two_s * (i * j + k * r), 1 - two_s * (i * i + k * k), two_s * (j * k - i * r),
        two_s * (i * k - j * r), two_s * (j * k + i * r), 1 - two_s * (i * i + j * j),
    ])
    return m.reshape(tuple(q.shape[:-1]) + (3, 3))


def matrix_to_quat(m: np.ndarray) -> np.ndarray:
    """(..., 3, 3) -> (..., 4) with w >= 0 (numpy; uses scipy's robust conversion)."""
    from scipy.spatial.transform import Rotation

    shape = m.shape[:-2]
    xyzw = Rotation.from_matrix(np.asarray(m, dtype=np.float64).reshape(-1, 3, 3)).as_quat()
    q = np.concatenate([xyzw[:, 3:], xyzw[:, :3]], axis=-1)
    q *= np.where(q[:, :1] < 0, -1.0, 1.0)
    return q.reshape(shape + (4,))


def quat_to_cont6d(q: Array) -> Array:
    m = quat_to_matrix(q)
    return _cat([m[..., 0], m[..., 1]])


def cont6d_to_matrix(d6: Array) -> Array:
    """Gram-Schmidt: (..., 6) -> (..., 3, 3); columns x, y, z."""
    x = d6[..., 0:3]
    x = x / _norm(x)
    z = _cross(x, d6[..., 3:6])
    z = z / _norm(z)
    y = _cross(z, x)
    return _stack([x, y, z], axis=-1)


def slerp(q0: np.ndarray, q1: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """Spherical interpolation between unit quaternions (numpy), shortest path."""
    q0 = np.asarray(q0, dtype=np.float64)
    q1 = np.asarray(q1, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)[..., None]
    dot = np.sum(q0 * q1, axis=-1, keepdims=True)
    q1 = np.where(dot < 0, -q1, q1)
    dot = np.clip(np.abs(dot), -1.0, 1.0)
    theta = np.arccos(dot)
    sin = np.sin(theta)
    small = sin < 1e-8
    safe = np.where(small, 1.0, sin)
    a = np.where(small, 1.0 - t, np.sin((1.0 - t) * theta) / safe)
    b = np.where(small, t, np.sin(t * theta) / safe)
    return qnormalize(a * q0 + b * q1)
