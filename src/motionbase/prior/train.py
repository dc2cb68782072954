"""Training the motion prior: clean mocap windows, augmented and corrupted by the noise model -> clean.

Resumable: the weights and the step are saved every ``save_every`` steps (the optimiser restarts fresh on
resume; Adam's moments rebuild within a few dozen steps).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import ClassVar
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..config import Config, setting
from ..skeleton.definition import get_skeleton
from ..skeleton.resample import resample_positions
from .model import MotionPrior, PriorConfig, PriorNet, prepare_window
from .noise import NoiseModel, corrupt

MIRROR = list(get_skeleton("smpl22").mirror)


@dataclass(frozen=True)
class PriorTrainConfig(Config):
    """Training of the motion prior: steps, batch, augmentation ranges and noise strength (not saved with the
    model's ``config``; recorded in its ``meta``)."""

    owner: ClassVar[str] = "prior training"

    steps: int = setting(2000, min=1)
    batch: int = setting(32, min=1)
    lr: float = 2e-3
    seed: int = 0
    speed: tuple[float, float] = (0.7, 1.4)  # retiming factor range
    scale: tuple[float, float] = (0.85, 1.15)  # body size
    strength: tuple[float, float] = (0.0, 1.5)  # noise strength range (1 = as measured)
    clean_fraction: float = 0.1  # windows left uncorrupted (teach the identity on clean motion)
    hop_fraction: float = 0.3  # windows given a ballistic hop (Bandai has no jumps; vertical motion is real)
    hop_seconds: tuple[float, float] = (0.3, 0.7)  # flight time; peak height g t^2 / 8 = 0.11 .. 0.6 m
    vel_weight: float = 1.0
    save_every: int = setting(100, min=1)


def augment(clip: np.ndarray, window: int, rng: np.random.Generator, cfg: PriorTrainConfig) -> np.ndarray:
    """A random ``window``-frame piece of ``clip`` (20 fps), retimed, mirrored, rotated, scaled."""
    speed = rng.uniform(*cfg.speed)
    need = int(np.ceil(window * speed)) + 2
    if len(clip) < need:  # short clip: hold its ends
        idx = np.clip(np.arange(need) - (need - len(clip)) // 2, 0, len(clip) - 1)
        piece = clip[idx]
    else:
        s = rng.integers(0, len(clip) - need + 1)
        piece = clip[s:s + need]
    piece = resample_positions(piece.astype(np.float64), 20.0 * speed, 20.0)[:window]
    if len(piece) < window:
        piece = piece[np.clip(np.arange(window), 0, len(piece) - 1)]
    if rng.random() < 0.5:
        piece = piece[:, MIRROR] * np.array([-1.0, 1.0, 1.0])
    yaw = rng.uniform(0, 2 * np.pi)
    c, s = np.cos(yaw), np.sin(yaw)
    rot = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    piece = piece @ rot.T * rng.uniform(*cfg.scale)
    piece[..., [0, 2]] += rng.uniform(-3, 3, 2)
    if rng.random() < cfg.hop_fraction:
        flight = rng.uniform(*cfg.hop_seconds)
        t = np.arange(window) / 20.0 - rng.uniform(-0.2, window / 20.0 - flight + 0.2)
        piece[..., 1] += np.where((t > 0) & (t < flight), 9.81 / 2 * t * (flight - t), 0.0)[:, None]
    return piece


def make_batch(clips: list[np.ndarray], noise: NoiseModel, window: int, rng: np.random.Generator,
               cfg: PriorTrainConfig) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(inputs (B, W, 88), filled canonical noisy joints (B, W, 66), clean canonical targets (B, W, 66))."""
    xs, bases, ys = [], [], []
    for _ in range(cfg.batch):
        clean = augment(clips[rng.integers(len(clips))], window, rng, cfg)
        if rng.random() < cfg.clean_fraction:
            noisy, vis = clean, rng.uniform(0.6, 1.0, clean.shape[:2])
        else:
            noisy, vis = corrupt(clean, rng, noise, strength=rng.uniform(*cfg.strength))
        feats, canon, origin, rot = prepare_window(noisy.astype(np.float64), vis)
        xs.append(feats)
        bases.append(canon.reshape(window, -1))
        ys.append(((clean - origin) @ rot.T).reshape(window, -1))
    as_t = lambda a: torch.from_numpy(np.stack(a).astype(np.float32))  # noqa: E731
    return as_t(xs), as_t(bases), as_t(ys)


def train_prior(clips: list[np.ndarray], noise: NoiseModel, out: Path, *, config: PriorConfig = PriorConfig(),
                train: PriorTrainConfig = PriorTrainConfig(), meta: dict | None = None) -> MotionPrior:
    """Train (or resume) a prior on clean 20 fps ``clips``; checkpoints in ``out``; returns the prior."""
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(train.seed)
    net = PriorNet(config)
    state_file = out / "train_state.json"
    step, seconds = 0, 0.0
    if state_file.exists() and (out / "model.safetensors").exists():
        state = json.loads(state_file.read_text())
        step, seconds = state["step"], state["seconds"]
        resumed = MotionPrior.from_pretrained(out)
        net = resumed.net.train()
        history = resumed.meta.get("train_config_history", [])
        if resumed.meta.get("train_config") != train.to_dict():
            history.append({"from_step": step, "train_config": train.to_dict()})
        meta = dict(meta or {}, train_config_history=history)
    opt = torch.optim.AdamW(net.parameters(), lr=train.lr, weight_decay=1e-4)
    sched = lambda s: train.lr * min(1.0, (s + 1) / 50) * 0.5 * (1 + np.cos(np.pi * s / train.steps))  # noqa: E731
    rng = np.random.default_rng(train.seed + step)
    net.train()
    losses = []
    bar = tqdm(total=train.steps, initial=step, desc="train prior", unit="step", disable=None)
    t0 = time.time()

    def save():
        meta_all = dict(meta or {}, steps=step, train_seconds=round(seconds + time.time() - t0, 1),
                        train_config=train.to_dict())
        MotionPrior(net, meta_all).save_pretrained(out)
        net.train()
        state_file.write_text(json.dumps({"step": step, "seconds": seconds + time.time() - t0,
                                          "loss": float(np.mean(losses[-50:])) if losses else None}))

    while step < train.steps:
        for g in opt.param_groups:
            g["lr"] = sched(step)
        x, base, y = make_batch(clips, noise, config.window, rng, train)
        pred = base + net(x)
        vel_err = (pred[:, 1:] - pred[:, :-1]) - (y[:, 1:] - y[:, :-1])
        loss = (pred - y).abs().mean() + train.vel_weight * vel_err.abs().mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
        step += 1
        bar.update(1)
        if step % 20 == 0:
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.4f}")
            print(f"step {step} loss {np.mean(losses[-20:]):.4f} {time.time() - t0:.0f}s", flush=True)
        if step % train.save_every == 0 or step == train.steps:
            save()
    bar.close()
    return MotionPrior.from_pretrained(out)
