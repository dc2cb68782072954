"""The tokenizer training loop, as a function the CLI calls (``train_tokenizer``); the loop itself (``fit``) also
trains the perceptual encoder (:mod:`.perceptual`).

* Data: any iterable of batches of **raw** feature windows — a (B, T, D) tensor/array, a ``(features, mask)``
  pair, or a dict with ``features`` and optionally ``mask`` (B, T) or ``lengths`` (B,). A re-iterable (list,
  DataLoader) is cycled; a one-shot iterator that runs out raises. Pass ``windows_normalized=True`` if the
  dataset already normalises with the same stats.
* Accelerate-ready: with ``accelerate`` installed (and ``TokenizerTrainConfig.use_accelerate``) the model and
  optimizer go through ``Accelerator.prepare`` (devices, DDP, mixed precision); otherwise plain torch on ``device``.
* Resumable: every ``checkpoint_every`` steps a complete checkpoint (``save_pretrained`` files plus
  ``trainer_state.pt``: optimizer, scheduler, step, RNG) is written to a temp directory and renamed to
  ``out_dir/checkpoints/step_XXXXXXXX``; then ``checkpoints/latest.json`` is replaced atomically. A rerun with the
  same arguments continues from there (the data order after a resume is the data source's business;
  :class:`~.windows.StoreWindows` makes it exact).
* ``out_dir`` itself receives the final model (``MotionTokenizer.from_pretrained(out_dir)``) and
  ``train_log.jsonl`` (one JSON line per ``log_every`` steps: loss terms, lr, code utilisation and perplexity,
  wall and CPU seconds per step).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

import numpy as np
import torch
from torch import Tensor, nn

from ..config import Config, setting
from ..errors import CheckpointError, MotionbaseError
from ..io import atomic_output, atomic_write_text
from ..metrics.codebook import usage_from_counts
from .config import DenoisingConfig, TokenizerConfig, TokenizerLossConfig
from .losses import TokenizerLoss
from .model import MotionTokenizer, stats_arrays

STATE_FILE = "trainer_state.pt"
LATEST_FILE = "latest.json"
LOG_FILE = "train_log.jsonl"


@dataclass(frozen=True)
class TokenizerTrainConfig(Config):
    """Optimisation settings (the paper: lr 1e-4, batch 256, 300k iterations; T2M-GPT: AdamW β (0.9, 0.99),
    warm-up, lr × 0.05 at 200k) and the loss weights (:class:`TokenizerLossConfig`). Not part of the model: a
    run resumes when only these change. Also trains the perceptual encoder, whose objective's settings are
    ``denoising`` (:class:`DenoisingConfig`; the tokenizer has no use for them, nor the encoder for ``loss``)."""

    owner: ClassVar[str] = "tokenizer training"

    lr: float = setting(1e-4, min=0.0)
    betas: tuple[float, float] = (0.9, 0.99)
    weight_decay: float = setting(0.0, min=0.0)
    warmup_steps: int = setting(1000, min=0)
    lr_milestones: tuple[int, ...] = ()
    lr_gamma: float = 0.05
    grad_clip: float | None = 1.0
    checkpoint_every: int = setting(5000, min=1)
    keep_checkpoints: int = setting(2, min=1)
    log_every: int = setting(100, min=1)
    seed: int = 0
    mixed_precision: str = setting("no", choices=("no", "fp16", "bf16"))  # accelerate's setting
    use_accelerate: bool = True
    progress: bool = True
    loss: TokenizerLossConfig = TokenizerLossConfig()
    denoising: DenoisingConfig = DenoisingConfig()  # the perceptual encoder's training noise


def lr_factor(step: int, train: TokenizerTrainConfig) -> float:
    """Multiplier of ``train.lr`` at ``step`` (0-based): linear warm-up, then × gamma at each milestone passed."""
    warm = min(1.0, (step + 1) / train.warmup_steps) if train.warmup_steps > 0 else 1.0
    return warm * train.lr_gamma ** sum(step >= m for m in train.lr_milestones)


def _batches(windows: Iterable) -> Iterator:
    """Cycle a re-iterable; a one-shot iterator that runs out (or an empty source) raises MotionbaseError."""
    one_shot = iter(windows) is windows
    while True:
        n = 0
        for n, batch in enumerate(windows, 1):
            yield batch
        if n == 0 or one_shot:
            raise MotionbaseError("train_windows ran out of batches" if n else "train_windows yielded no batches")


def _unpack(batch, device) -> tuple[Tensor, Tensor | None]:
    """A batch -> (features (B, T, D) float32 on device, mask (B, T) bool or None)."""
    mask = lengths = None
    if isinstance(batch, dict):
        feats, mask, lengths = batch["features"], batch.get("mask"), batch.get("lengths")
    elif isinstance(batch, (tuple, list)):
        feats, mask = batch[0], (batch[1] if len(batch) > 1 else None)
    else:
        feats = batch
    feats = torch.as_tensor(np.asarray(feats) if not isinstance(feats, Tensor) else feats).to(device, torch.float32)
    if lengths is not None:
        lengths = torch.as_tensor(lengths, device=device)
        mask = torch.arange(feats.shape[1], device=device)[None] < lengths[:, None]
    if mask is not None:
        mask = torch.as_tensor(mask, device=device).bool()
    return feats, mask


def _make_accelerator(train: TokenizerTrainConfig, device):
    if not train.use_accelerate:
        return None
    try:
        from accelerate import Accelerator
    except ImportError:
        return None
    return Accelerator(mixed_precision=train.mixed_precision, cpu=str(device) == "cpu")


def _rng_state() -> dict:
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _trim_log(path: Path, step: int) -> None:
    """Drop log lines after ``step`` (the checkpoint a run resumes from): those steps are about to be redone."""
    if not path.is_file():
        return
    lines = path.read_text().splitlines()
    keep = [line for line in lines if line.strip() and json.loads(line).get("step", 0) <= step]
    if len(keep) != len(lines):
        atomic_write_text(path, "".join(f"{line}\n" for line in keep))


def _save_checkpoint(out_dir: Path, step: int, model: nn.Module, optimizer, scheduler, keep: int) -> None:
    """A complete checkpoint (``model.save_pretrained`` files + trainer state) under ``out_dir/checkpoints``."""
    ckpt_root = out_dir / "checkpoints"
    final = ckpt_root / f"step_{step:08d}"
    tmp = ckpt_root / f".step_{step:08d}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    with atomic_output(tmp / STATE_FILE) as f:
        torch.save({"step": step, "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                    "rng": _rng_state()}, f)
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    atomic_write_text(ckpt_root / LATEST_FILE, json.dumps({"step": step, "dir": final.name}))
    for old in sorted(ckpt_root.glob("step_*"))[:-keep] if keep > 0 else []:
        shutil.rmtree(old, ignore_errors=True)


def latest_checkpoint(out_dir: str | Path) -> Path | None:
    """The directory of the last complete checkpoint under ``out_dir/checkpoints``, or None."""
    marker = Path(out_dir) / "checkpoints" / LATEST_FILE
    if not marker.is_file():
        return None
    try:
        name = json.loads(marker.read_text())["dir"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{marker}: unreadable resume marker ({exc})") from None
    path = marker.parent / name
    if not (path / STATE_FILE).is_file():
        raise CheckpointError(f"{marker}: points to {path}, which has no {STATE_FILE}")
    return path


class Objective(Protocol):
    """What :func:`fit` optimises: ``objective(model, wrapped, feats, mask) -> (loss, {term: float})`` per batch
    (``wrapped`` is the model as Accelerate prepared it: call it for the forward pass), and ``flush()`` -> extra
    log fields accumulated since the last log line."""

    def __call__(self, model: nn.Module, wrapped: nn.Module, feats: Tensor,
                 mask: Tensor | None) -> tuple[Tensor, dict[str, float]]: ...

    def flush(self) -> dict[str, float]: ...


def fit(model: nn.Module, objective: Objective, train_windows: Iterable, steps: int, out_dir: Path, *,
        train: TokenizerTrainConfig, start: Path | None = None, device: str | torch.device | None = None,
        desc: str = "train", modules: tuple[nn.Module, ...] = ()) -> nn.Module:
    """The training loop shared by the tokenizer and the perceptual encoder: AdamW with :func:`lr_factor`,
    gradient clipping, Accelerate when available, a log line every ``log_every`` steps (loss terms, lr,
    ``step_s`` / ``step_cpu_s`` = wall / process-CPU seconds per step), a resumable checkpoint every ``checkpoint_every`` steps and at the end
    (``start``: the checkpoint to continue from), and the final ``model.save_pretrained(out_dir)``.

    ``modules``: further modules the objective uses (e.g. a frozen encoder), moved to the training device.
    """
    accelerator = _make_accelerator(train, device)
    device = accelerator.device if accelerator else torch.device(
        device or ("cuda" if torch.cuda.is_available() else "cpu"))
    model.to(device).train()
    for m in modules:
        m.to(device)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=train.lr,
                                  betas=train.betas, weight_decay=train.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, train))
    step = 0
    if start is not None:
        state = torch.load(start / STATE_FILE, map_location="cpu", weights_only=True)
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        _set_rng_state(state["rng"])
        step = int(state["step"])
    wrapped, optimizer = accelerator.prepare(model, optimizer) if accelerator else (model, optimizer)
    is_main = accelerator.is_main_process if accelerator else True
    if is_main:
        _trim_log(out_dir / LOG_FILE, step)

    from tqdm.auto import tqdm

    bar = tqdm(total=steps, initial=step, disable=not (train.progress and is_main), desc=desc)
    batches = _batches(train_windows)
    tick, cpu_tick, since = time.perf_counter(), time.process_time(), 0
    while step < steps:
        feats, mask = _unpack(next(batches), device)
        loss, logs = objective(model, wrapped, feats, mask)
        if not math.isfinite(logs["total"]):
            raise MotionbaseError(f"{desc}: loss is not finite at step {step} ({logs}); lower the learning rate "
                                  "or check the data")
        optimizer.zero_grad(set_to_none=True)
        if accelerator:
            accelerator.backward(loss)
            if train.grad_clip:
                accelerator.clip_grad_norm_(wrapped.parameters(), train.grad_clip)
        else:
            loss.backward()
            if train.grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), train.grad_clip)
        optimizer.step()
        scheduler.step()
        step, since = step + 1, since + 1
        bar.update(1)
        bar.set_postfix(loss=f"{logs['total']:.4f}")
        if is_main and (step % train.log_every == 0 or step == steps):
            now, cpu_now = time.perf_counter(), time.process_time()
            record = {"step": step, "lr": scheduler.get_last_lr()[0], **logs, **objective.flush(),
                      "step_s": (now - tick) / since, "step_cpu_s": (cpu_now - cpu_tick) / since}
            with open(out_dir / LOG_FILE, "a") as fh:
                fh.write(json.dumps(record) + "\n")
            tick, cpu_tick, since = now, cpu_now, 0
        if is_main and (step % train.checkpoint_every == 0 or step == steps):
            _save_checkpoint(out_dir, step, model, optimizer, scheduler, train.keep_checkpoints)
    bar.close()
    if is_main:
        model.save_pretrained(out_dir)
        train.save(out_dir / "train_config.json")
    return model.eval()


class _TokenizerObjective:
    """The tokenizer loss, plus the code histogram (utilisation, perplexity) since the last log line."""

    def __init__(self, criterion: TokenizerLoss, vocab_size: int, windows_normalized: bool):
        self.criterion, self.vocab_size, self.normalized = criterion, vocab_size, windows_normalized
        self.usage: Tensor | None = None

    def __call__(self, model, wrapped, feats, mask):
        out = wrapped(feats, normalized=self.normalized)
        codes = out.codes.detach().reshape(-1)
        counts = torch.bincount(codes[codes >= 0], minlength=self.vocab_size)
        self.usage = counts if self.usage is None else self.usage + counts
        return self.criterion(model, out, mask)

    def flush(self) -> dict[str, float]:
        if self.usage is None:
            return {}
        usage, self.usage = usage_from_counts(self.usage.cpu().numpy()), None
        return {"utilisation": usage.utilisation, "perplexity": usage.perplexity}


def start_model(cls, config, stats, out_dir: Path, *, resume: bool = True):
    """(model, checkpoint it resumes from or None): ``cls.from_pretrained`` of the latest checkpoint under
    ``out_dir`` (which must have been trained with ``config`` and, when given, the same ``stats``), else a new
    ``cls(config, stats)``. ``cls`` keeps its normalisation in ``feature_mean`` / ``feature_std`` buffers."""
    out_dir.mkdir(parents=True, exist_ok=True)
    start = latest_checkpoint(out_dir) if resume else None
    if start is None and stats is None:
        raise MotionbaseError(f"training {cls.__name__} needs normalisation stats (mean, std): the model keeps "
                              "them for its inputs and the joint losses")
    model = cls.from_pretrained(start) if start is not None else cls(config, stats)
    if model.config != config:
        raise CheckpointError(f"{start}: checkpoint was trained with a different {config.owner} config than "
                              "requested")
    if stats is not None and start is not None:
        mean, std = stats_arrays(stats)
        if not (np.array_equal(mean, model.feature_mean.numpy()) and np.array_equal(std, model.feature_std.numpy())):
            raise CheckpointError(f"{start}: checkpoint was trained with different normalisation stats")
    return model, start


def train_tokenizer(config: TokenizerConfig, train_windows: Iterable, steps: int, out_dir: str | Path, *,
                    stats=None, train: TokenizerTrainConfig = TokenizerTrainConfig(),
                    perceptual: nn.Module | None = None,
                    device: str | torch.device | None = None, resume: bool = True,
                    windows_normalized: bool = False) -> MotionTokenizer:
    """Train a tokenizer for ``steps`` optimizer steps (in total, counting resumed ones); returns it, in eval mode.

    ``stats``: normalisation (see :class:`MotionTokenizer`); required unless resuming. ``perceptual``: frozen
    motion encoder for the perceptual term (else loaded from ``train.loss.perceptual_encoder`` when
    ``train.loss.perceptual_weight > 0``). The loss weights (``train.loss``) may change between resumed runs.
    """
    out_dir = Path(out_dir)
    torch.manual_seed(train.seed)
    model, start = start_model(MotionTokenizer, config, stats, out_dir, resume=resume)
    criterion = TokenizerLoss(config, train.loss, perceptual=perceptual)
    objective = _TokenizerObjective(criterion, model.vocab_size, windows_normalized)
    extra = (criterion.perceptual,) if criterion.perceptual is not None else ()
    return fit(model, objective, train_windows, steps, out_dir, train=train, start=start, device=device,
               desc=f"train {config.name}", modules=extra)
