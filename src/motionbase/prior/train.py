"""Training the motion prior: clean mocap windows, augmented and corrupted by the noise model -> clean.

On the one training loop (:func:`motionbase.training.fit`): a checkpoint every ``save_every`` steps in
``out/checkpoints/step-N`` (weights, optimiser, schedule, the window generator's random state), ``log.jsonl``,
and the prior itself (``MotionPrior.save_pretrained(out)``) at the end; a rerun resumes exactly.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from ..config import Config, setting
from ..errors import CheckpointError
from ..skeleton.definition import get_skeleton
from ..skeleton.resample import resample_positions
from ..training import Cycle, LoopSettings, RandomState, fit, latest_checkpoint, make_accelerator, read_trainer_state
from .model import MotionPrior, PriorConfig, PriorNet, prepare_window
from .noise import NoiseModel, corrupt

MIRROR = list(get_skeleton("smpl22").mirror)
LOG_FILE = "log.jsonl"


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
    log_every: int = setting(20, min=1)


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


class _RepairObjective:
    """L1 of the repaired joints plus ``vel_weight`` × L1 of their velocities."""

    def __init__(self, vel_weight: float, device):
        self.vel_weight, self.device = vel_weight, device

    def __call__(self, net, batch) -> tuple[torch.Tensor, dict[str, float]]:
        x, base, y = (t.to(self.device) for t in batch)
        pred = base + net(x)
        vel_err = (pred[:, 1:] - pred[:, :-1]) - (y[:, 1:] - y[:, :-1])
        loss = (pred - y).abs().mean() + self.vel_weight * vel_err.abs().mean()
        return loss, {"loss": loss.item()}

    def flush(self) -> dict[str, float]:
        return {}


def _seconds_before(log: Path) -> float:
    """Training seconds of the earlier calls of a resumed run, from its log (``seconds`` restarts at each call)."""
    total = last = 0.0
    for line in log.read_text().splitlines() if log.is_file() else []:
        seconds = json.loads(line)["seconds"]
        total, last = (total + last, seconds) if seconds < last else (total, seconds)
    return total + last


def train_prior(clips: list[np.ndarray], noise: NoiseModel, out: Path, *, config: PriorConfig = PriorConfig(),
                train: PriorTrainConfig = PriorTrainConfig(), meta: dict | None = None,
                device: str | torch.device | None = None) -> MotionPrior:
    """Train (or resume) a prior on clean 20 fps ``clips``; checkpoints in ``out``; returns the prior. A resumed
    run whose training config changed records the change in the prior's ``meta["train_config_history"]``."""
    out = Path(out)
    if (out / "train_state.json").is_file() and latest_checkpoint(out) is None:
        raise CheckpointError(f"{out}: a prior run in the old layout (train_state.json), which this version does "
                              "not resume; train into a new folder")
    torch.manual_seed(train.seed)
    net = PriorNet(config)
    history: list[dict] = []
    train_config = json.loads(json.dumps(train.to_dict()))  # as the checkpoint's JSON holds it
    latest = latest_checkpoint(out)
    if latest is not None:
        saved = read_trainer_state(latest)
        history = list(saved.get("record", {}).get("train_config_history", []))
        if saved.get("record", {}).get("train_config") != train_config:
            history.append({"from_step": saved["step"], "train_config": train_config})
    before = _seconds_before(out / LOG_FILE) if latest is not None else 0.0
    rng = np.random.default_rng(train.seed)
    accelerator = make_accelerator(device)

    def windows() -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        while True:
            yield make_batch(clips, noise, config.window, rng, train)

    def schedule(step: int) -> float:  # warm-up over 50 steps, then cosine to 0 at train.steps
        return float(min(1.0, (step + 1) / 50) * 0.5 * (1 + np.cos(np.pi * step / train.steps)))  # checkpointable

    t0 = time.time()

    def export(acc, wrapped) -> MotionPrior:
        if acc.is_main_process:
            meta_all = dict(meta or {}, steps=train.steps, train_seconds=round(before + time.time() - t0, 1),
                            train_config=train.to_dict(), **({"train_config_history": history} if history else {}))
            MotionPrior(net, meta_all).save_pretrained(out)
        acc.wait_for_everyone()
        return MotionPrior.from_pretrained(out)

    settings = LoopSettings(steps=train.steps, grad_clip=1.0, log_every=train.log_every,
                            checkpoint_every=train.save_every, desc="train prior", log_file=LOG_FILE)
    optimizer = torch.optim.AdamW(net.parameters(), lr=train.lr, weight_decay=1e-4)
    objective = _RepairObjective(train.vel_weight, accelerator.device)
    return fit(net, optimizer, objective, Cycle(windows(), "prior windows"), out, settings, accelerator=accelerator,
               export=export, checkpointed=(RandomState(rng),),
               scheduler=lambda opt, _: torch.optim.lr_scheduler.LambdaLR(opt, schedule),
               record={"train_config": train_config, "train_config_history": history})
