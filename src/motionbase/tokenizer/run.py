"""A tokenizer training run on a clip store: one typed config (:class:`TokenizerRunConfig`, a JSON file or CLI flags),
normalisation stats of the training split, seeded windows, :func:`~.train.train_tokenizer`; resumable.

The run directory holds ``run.json`` (the :class:`TokenizerRunConfig` as last started), the tokenizer checkpoint files
(``config.json``, ``model.safetensors``, ``stats.json`` / ``stats.safetensors``) once training ends,
``checkpoints/`` (the one layout of :mod:`motionbase.training`), and ``train_log.jsonl``. Running the same command
again resumes at the last checkpoint; a larger ``steps`` trains on. Under ``accelerate launch`` each process draws its own batches
(seeded by its rank) and only the main process writes.

The same machinery trains the perceptual encoder (:func:`train_perceptual_from_store`).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

from ..config import Config, setting
from ..data import ClipStore
from ..training import latest_checkpoint, step_of
from .augment import AugmentConfig
from .config import LOSS_KEYS, NOISE_KEYS, PRESETS, TokenizerConfig, preset
from .model import MotionTokenizer
from .perceptual import PerceptualConfig, PerceptualEncoder
from .perceptual_train import train_perceptual
from .train import TokenizerTrainConfig, train_tokenizer
from .windows import StoreWindows, check_store, store_stats

RUN_FILE = "run.json"


@dataclass(frozen=True)
class TokenizerDataConfig(Config):
    """Which windows a run trains on (T2M-GPT: windows of 64 frames, batch 256), and their augmentation
    (:class:`~.augment.AugmentConfig`: mirror probability, speed range; the defaults change nothing)."""

    owner: ClassVar[str] = "tokenizer run data"

    split: str = "train"
    window: int = setting(64, min=1)        # feature rows (frames at the store's fps) per window
    batch_size: int = setting(256, min=1)   # windows per step and process
    mirror_prob: float = 0.0
    speed_range: tuple[float, float] = (1.0, 1.0)

    def check(self) -> None:
        self.augment()

    def augment(self) -> AugmentConfig:
        return AugmentConfig(mirror_prob=self.mirror_prob, speed_range=self.speed_range)


@dataclass(frozen=True)
class TokenizerRunConfig(Config):
    """Everything a training run needs besides the store and the output directory.

    preset: a tokenizer preset (:data:`~.config.PRESETS`; or ``"perceptual"`` for the perceptual encoder);
    model: overrides of the preset's :class:`TokenizerConfig` fields (or :class:`PerceptualConfig` fields);
    train: optimisation and loss weights (:class:`~.train.TokenizerTrainConfig`, loss weights in ``train.loss``);
    steps: optimizer steps in total (the paper: 300k at batch 256, lr 1e-4).
    """

    owner: ClassVar[str] = "tokenizer run"

    preset: str = setting("lfq2d", choices=(*PRESETS, "perceptual"))
    model: dict = field(default_factory=dict)
    train: TokenizerTrainConfig = TokenizerTrainConfig()
    data: TokenizerDataConfig = TokenizerDataConfig()
    steps: int = setting(300_000, min=1)

    @classmethod
    def upgrade(cls, d: dict, source: str) -> dict:
        """Runs written before the model/training split kept loss weights (tokenizer) or training noise
        (perceptual encoder) in ``model``: move them to ``train.loss`` / ``train.denoising`` (one deprecation
        line)."""
        model, train = d.get("model"), d.get("train", {})
        if not isinstance(model, dict) or not isinstance(train, dict):
            return d
        moved = {section: {k: model[k] for k in keys if k in model}
                 for section, keys in (("loss", LOSS_KEYS), ("denoising", NOISE_KEYS))}
        if not any(moved.values()):
            return d
        names = sorted(k for part in moved.values() for k in part)
        warnings.warn(f"{source}: training settings {names} belong in train.loss / train.denoising now; moved there",
                      FutureWarning, stacklevel=3)
        train = dict(train)
        for section, part in moved.items():
            if part:
                old = train.get(section, {})
                train[section] = {**part, **old} if isinstance(old, dict) else old
        return {**d, "model": {k: v for k, v in model.items() if k not in names}, "train": train}

    def tokenizer_config(self) -> TokenizerConfig:
        return preset(self.preset, **self.model)

    def perceptual_config(self) -> PerceptualConfig:
        return PerceptualConfig.from_dict(self.model, source="perceptual run")


# The perceptual encoder's defaults: a small network trains in minutes on a GPU.
PERCEPTUAL_RUN = TokenizerRunConfig(preset="perceptual", steps=20_000,
                           train=TokenizerTrainConfig(lr=2e-4, warmup_steps=200))


def process_rank() -> int:
    """This process's rank under ``accelerate launch`` / torchrun (0 otherwise)."""
    return int(os.environ.get("RANK", "0"))


def _windows(store: ClipStore, run: TokenizerRunConfig, out: Path) -> StoreWindows:
    start = latest_checkpoint(out)
    step = step_of(start) if start is not None else 0  # checkpoints/step-XXXXXXXX
    d = run.data
    return StoreWindows(store, window=d.window, batch_size=d.batch_size, split=d.split or None,
                        seed=run.train.seed, rank=process_rank(), start_step=step, augment=d.augment())


def _prepare(run: TokenizerRunConfig, store_path: Path, out: Path, feature_dim: int, user: str):
    """(store, stats or None when resuming): checks the store, writes run.json (the run as last started)."""
    store = ClipStore.open(store_path)
    check_store(store, feature_dim, user)
    out.mkdir(parents=True, exist_ok=True)
    if process_rank() == 0:
        run.save(out / RUN_FILE)
    stats = None if latest_checkpoint(out) is not None else store_stats(store, run.data.split or None)
    return store, stats


def config_for_store(config, store_path: Path):
    """``config`` on the store's skeleton and feature width (SMPL-22 263 or SMPL-52 623): the layout is the data's."""
    from ..data.store import STORE_JSON, StoreInfo

    path = Path(store_path) / STORE_JSON
    if not path.is_file():
        return config  # _prepare reports the missing store
    info = StoreInfo.read(path)
    if info.feature_layout != "humanml3d" or (info.skeleton, info.feature_dim) == (config.skeleton, config.feature_dim):
        return config
    return replace(config, skeleton=info.skeleton, feature_dim=info.feature_dim)


def train_from_store(run: TokenizerRunConfig, store_path: str | Path, out: str | Path, *,
                     device: str | None = None) -> MotionTokenizer:
    """Train (or resume) the tokenizer of ``run`` on ``store_path``'s training split; the model lands in ``out``."""
    out = Path(out)
    config = config_for_store(run.tokenizer_config(), Path(store_path))
    store, stats = _prepare(run, Path(store_path), out, config.feature_dim, f"a {config.name} tokenizer")
    return train_tokenizer(config, _windows(store, run, out), run.steps, out, stats=stats, train=run.train,
                           device=device)


def train_perceptual_from_store(run: TokenizerRunConfig, store_path: str | Path, out: str | Path, *,
                                device: str | None = None) -> PerceptualEncoder:
    """Train (or resume) a perceptual encoder (``run.model``: :class:`PerceptualConfig` fields)."""
    out = Path(out)
    config = run.perceptual_config()
    store, stats = _prepare(run, Path(store_path), out, config.feature_dim, "the perceptual encoder")
    return train_perceptual(config, _windows(store, run, out), run.steps, out, stats=stats, train=run.train,
                            device=device)
