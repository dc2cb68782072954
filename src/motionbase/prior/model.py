"""The learned motion prior: a small dilated 1-D conv denoiser over canonical joints + visibility.

Input per frame: the 22 joints in the window's canonical frame (:mod:`motionbase.prior.canon`, unseen joints
interpolated) and their visibilities; output: a correction added to those joints. The last layer starts at
zero, so an untrained prior is the identity. Long clips are cut into overlapping windows whose outputs are
blended with triangular weights, each window in its own canonical frame.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from ..config import Config, setting
from ..errors import CheckpointError, MotionbaseError, ShapeError
from .canon import fill_missing, from_canonical, to_canonical, window_frame

NUM_JOINTS = 22
WEIGHTS = "model.safetensors"
CONFIG = "config.json"


class PriorUnavailable(MotionbaseError):
    """No motion prior could be loaded (not shipped in this install, or an incomplete checkpoint)."""


@dataclass(frozen=True)
class PriorConfig(Config):
    """The prior network's sizes and its inference-time finishing (saved under "config" in config.json)."""

    owner: ClassVar[str] = "motion prior"

    hidden: int = setting(96, min=1)
    dilations: tuple[int, ...] = (1, 2, 4, 8, 1, 2, 4, 8)
    kernel: int = setting(5, min=1, odd=True)
    window: int = setting(64, min=1)  # frames at 20 fps
    fps: float = 20.0
    # finishing of the network's output (inference only): light Gaussian smoothing, one length per bone
    finish_sigma_root_s: float = 0.1
    finish_sigma_pose_s: float = 0.06
    finish_rigid_bones: bool = True


class _Block(nn.Module):
    def __init__(self, width: int, kernel: int, dilation: int):
        super().__init__()
        self.conv = nn.Conv1d(width, width, kernel, padding=dilation * (kernel - 1) // 2, dilation=dilation,
                              padding_mode="replicate")
        self.act = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.act(self.conv(x))


class PriorNet(nn.Module):
    """(B, T, 22*3 + 22) -> (B, T, 22*3) correction."""

    def __init__(self, config: PriorConfig):
        super().__init__()
        self.config = config
        self.inp = nn.Conv1d(NUM_JOINTS * 4, config.hidden, 1)
        self.blocks = nn.Sequential(*[_Block(config.hidden, config.kernel, d) for d in config.dilations])
        self.out = nn.Conv1d(config.hidden, NUM_JOINTS * 3, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(self.inp(x.transpose(1, 2)))
        return self.out(h).transpose(1, 2)


def prepare_window(joints: np.ndarray, visibility: np.ndarray):
    """World window -> (network input (T, 88) float32, filled canonical joints (T, 22, 3), origin, rot)."""
    filled = fill_missing(joints, visibility)
    origin, rot = window_frame(filled)
    canon = to_canonical(filled, origin, rot)
    feats = np.concatenate([canon.reshape(len(canon), -1), visibility], axis=1).astype(np.float32)
    return feats, canon, origin, rot


def _validate(joints_m, visibility) -> tuple[np.ndarray, np.ndarray]:
    j = np.asarray(joints_m, dtype=np.float64)
    if j.ndim != 3 or j.shape[1:] != (NUM_JOINTS, 3):
        raise ShapeError(f"repair: joints of shape {j.shape}; expected (T, 22, 3) (SMPL-22, metres, Y up, 20 fps)")
    if len(j) == 0:
        raise ShapeError("repair: empty clip (0 frames); expected T >= 1")
    if visibility is None:
        v = np.ones(j.shape[:2])
    else:
        v = np.asarray(visibility, dtype=np.float64)
        if v.shape != j.shape[:2]:
            raise ShapeError(f"repair: visibility of shape {v.shape}; expected {j.shape[:2]} (T, 22) in [0, 1]")
        if not np.isfinite(v).all() or v.min() < 0 or v.max() > 1:
            raise ShapeError("repair: visibility must be finite and in [0, 1]")
    bad = ~np.isfinite(j).all(axis=2) & (v >= 0.5)
    if bad.any():
        t, k = np.argwhere(bad)[0]
        raise ShapeError(f"repair: NaN/inf at frame {t}, joint {k} marked visible; give such joints visibility 0")
    j = np.where(np.isfinite(j), j, 0.0)
    v = np.where(np.isfinite(j).all(axis=2), v, 0.0)
    return j, v


def _starts(n: int, window: int) -> list[int]:
    if n <= window:
        return [0]
    stride = window // 2
    starts = list(range(0, n - window + 1, stride))
    if starts[-1] != n - window:
        starts.append(n - window)
    return starts


class MotionPrior:
    """A trained prior: :meth:`repair` maps noisy joints (+ visibility) to plausible clean ones."""

    def __init__(self, net: PriorNet, meta: dict | None = None):
        self.net = net.eval()
        self.config = net.config
        self.meta = meta or {}

    def repair(self, joints_m: np.ndarray, visibility: np.ndarray | None = None, *, finish: bool = True,
               crouch: bool = True) -> np.ndarray:
        """(T, 22, 3) metres, Y up, 20 fps, SMPL-22 (+ optional (T, 22) visibility in [0, 1]) -> repaired
        (T, 22, 3) float32. Joints with visibility < 0.5 are ignored (NaN allowed there). ``finish=False``
        returns the network's output without the light smoothing and rigid bones that follow it, and without
        restoring the jumps and crouches the network flattens (:mod:`motionbase.prior.vertical`); ``crouch=False``
        skips the crouch restore only (for a caller that restores crouches after its own clean-up: lowered
        take-off crouches smoothed by that clean-up would lower the jumps next to them)."""
        from .vertical import keep_crouch_depth, keep_vertical_excursion

        j, v = _validate(joints_m, visibility)
        out = self._denoise(j, v)
        if finish:
            seen = fill_missing(j, v)
            out = keep_vertical_excursion(seen, self._finish(out), self.config.fps)
            out = keep_crouch_depth(seen, out, self.config.fps) if crouch else out
        return out.astype(np.float32)

    def _finish(self, joints: np.ndarray) -> np.ndarray:
        from ..pipeline.clean import CleanConfig, clip_bone_lengths, enforce_bone_lengths, smooth

        c = self.config
        ones = np.ones(joints.shape[:2])
        out = smooth(joints, ones, c.fps, CleanConfig(sigma_root_s=c.finish_sigma_root_s,
                                                      sigma_pose_s=c.finish_sigma_pose_s))
        if c.finish_rigid_bones:
            out = enforce_bone_lengths(out, clip_bone_lengths(out, ones))
        return out

    @torch.no_grad()
    def _denoise(self, j: np.ndarray, v: np.ndarray) -> np.ndarray:
        n, w = len(j), self.config.window
        if n < w:  # pad by holding the ends, so every window has the trained length
            pad = w - n
            a = pad // 2
            idx = np.clip(np.arange(w) - a, 0, n - 1)
            return self._denoise(j[idx], v[idx])[a:a + n]
        starts = _starts(n, w)
        feats, frames = [], []
        for s in starts:
            f, canon, origin, rot = prepare_window(j[s:s + w], v[s:s + w])
            feats.append(f)
            frames.append((canon, origin, rot))
        delta = self.net(torch.from_numpy(np.stack(feats))).double().numpy().reshape(len(starts), w, NUM_JOINTS, 3)
        ramp = np.minimum(np.arange(1, w + 1), np.arange(w, 0, -1)).astype(np.float64)
        out = np.zeros_like(j)
        weight = np.zeros(n)
        for s, d, (canon, origin, rot) in zip(starts, delta, frames):
            out[s:s + w] += from_canonical(canon + d, origin, rot) * ramp[:, None, None]
            weight[s:s + w] += ramp
        return out / weight[:, None, None]

    # ---- checkpoints ----
    def save_pretrained(self, directory: str | os.PathLike) -> None:
        from safetensors.torch import save_file

        from ..io import atomic_output

        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        with atomic_output(d / WEIGHTS) as tmp:
            save_file({k: t.contiguous() for k, t in self.net.state_dict().items()}, str(tmp))
        cfg = {"config": self.config.to_dict(), "meta": self.meta}
        with atomic_output(d / CONFIG) as tmp:
            Path(tmp).write_text(json.dumps(cfg, indent=1))

    @classmethod
    def from_pretrained(cls, directory: str | os.PathLike) -> "MotionPrior":
        from safetensors.torch import load_file

        d = Path(directory)
        if not (d / WEIGHTS).is_file() or not (d / CONFIG).is_file():
            raise PriorUnavailable(f"{d}: no motion prior here (expected {WEIGHTS} and {CONFIG}, written by "
                                   "scripts/train_prior.py); run without refinement or point at a trained prior")
        with open(d / WEIGHTS, "rb") as fh:
            if fh.read(24) == b"version https://git-lfs":
                raise PriorUnavailable(f"{d / WEIGHTS}: a Git LFS pointer, not weights; run `git lfs pull`")
        try:
            data = json.loads((d / CONFIG).read_text())
            net = PriorNet(PriorConfig.from_dict(data["config"], source=f"{d / CONFIG}: config"))
            net.load_state_dict(load_file(str(d / WEIGHTS)))
        except (ValueError, KeyError, RuntimeError, TypeError) as exc:
            raise CheckpointError(f"{d}: motion prior checkpoint does not load ({str(exc).splitlines()[0]})") from None
        return cls(net, data.get("meta", {}))


def default_prior_dir() -> Path:
    from ..defaults.paths import models_root

    return models_root() / "prior"


def load_default_prior() -> MotionPrior:
    """The shipped prior (``assets/models/prior``, or ``$MOTIONBASE_MODELS/prior``); raises
    :class:`PriorUnavailable` with where it looked and how to get one."""
    d = default_prior_dir()
    if not (d / WEIGHTS).is_file():
        raise PriorUnavailable(f"no motion prior shipped in this install (looked in {d}); train one with "
                               "`python scripts/train_prior.py --bvh DIR --work DIR --install` or set "
                               "$MOTIONBASE_MODELS to a folder holding prior/")
    return MotionPrior.from_pretrained(d)
