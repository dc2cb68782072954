"""A tokenizer training run on a clip store: one typed config (:class:`RunConfig`, a JSON file or CLI flags),
normalisation stats of the training split, seeded windows, :func:`~.train.train_tokenizer`; resumable.

The run directory holds ``run.json`` (the :class:`RunConfig` as last started), the tokenizer checkpoint files
(``config.json``, ``model.safetensors``, ``stats.json`` / ``stats.safetensors``) once training ends,
``checkpoints/`` while it runs, and ``train_log.jsonl``. Running the same command again resumes at the last
checkpoint; a larger ``steps`` trains on. Under ``accelerate launch`` each process draws its own batches
(seeded by its rank) and only the main process writes.

The same machinery trains the perceptual encoder (:func:`train_perceptual_from_store`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ..data import ClipStore
from ..errors import CheckpointError
from ..io import atomic_write_text
from .augment import AugmentConfig
from .config import PRESETS, TokenizerConfig, preset
from .model import MotionTokenizer
from .perceptual import PerceptualConfig, PerceptualEncoder
from .perceptual_train import train_perceptual
from .train import TrainConfig, latest_checkpoint, train_tokenizer
from .windows import StoreWindows, check_store, store_stats

RUN_FILE = "run.json"


@dataclass(frozen=True)
class DataConfig:
    """Which windows a run trains on (T2M-GPT: windows of 64 frames, batch 256), and their augmentation
    (:class:`~.augment.AugmentConfig`: mirror probability, speed range; the defaults change nothing)."""

    split: str = "train"
    window: int = 64       # feature rows (frames at the store's fps) per window
    batch_size: int = 256  # windows per step and process
    mirror_prob: float = 0.0
    speed_range: tuple[float, float] = (1.0, 1.0)

    def augment(self) -> AugmentConfig:
        return AugmentConfig(mirror_prob=self.mirror_prob, speed_range=self.speed_range)


@dataclass(frozen=True)
class RunConfig:
    """Everything a training run needs besides the store and the output directory.

    preset: a tokenizer preset (:data:`~.config.PRESETS`; or ``"perceptual"`` for the perceptual encoder);
    model: overrides of the preset's :class:`TokenizerConfig` fields (or :class:`PerceptualConfig` fields);
    steps: optimizer steps in total (the paper: 300k at batch 256, lr 1e-4).
    """

    preset: str = "lfq2d"
    model: dict = field(default_factory=dict)
    train: TrainConfig = TrainConfig()
    data: DataConfig = DataConfig()
    steps: int = 300_000

    def tokenizer_config(self) -> TokenizerConfig:
        try:
            return preset(self.preset, **self.model)
        except (TypeError, ValueError) as exc:
            raise CheckpointError(f"tokenizer run: invalid model settings for preset {self.preset!r}: {exc}") \
                from None

    def perceptual_config(self) -> PerceptualConfig:
        return PerceptualConfig.from_dict(self.model, source="perceptual run")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict, *, source: str = "<run config>") -> RunConfig:
        """Parse a JSON object; unknown keys or bad values -> one-line CheckpointError naming ``source``."""
        if not isinstance(d, dict):
            raise CheckpointError(f"{source}: expected a JSON object")
        _check_keys(d, cls, source)
        d = dict(d)
        try:
            for key, sub in (("train", TrainConfig), ("data", DataConfig)):
                part = d.get(key, {})
                if not isinstance(part, dict):
                    raise CheckpointError(f"{source}: {key!r} must be a JSON object")
                _check_keys(part, sub, f"{source}: {key}")
                d[key] = sub(**{k: tuple(v) if isinstance(v, list) else v for k, v in part.items()})
            run = cls(**d)
            run.data.augment()
        except (TypeError, ValueError) as exc:
            raise CheckpointError(f"{source}: invalid run config ({exc})") from None
        if run.preset not in (*PRESETS, "perceptual"):
            raise CheckpointError(f"{source}: unknown preset {run.preset!r}; expected one of "
                                  f"{sorted(PRESETS) + ['perceptual']}")
        if run.steps < 1 or run.data.window < 1 or run.data.batch_size < 1:
            raise CheckpointError(f"{source}: steps, data.window and data.batch_size must be >= 1")
        return run

    @classmethod
    def load(cls, path: str | Path) -> RunConfig:
        path = Path(path)
        try:
            d = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise CheckpointError(f"{path}: not a readable JSON run config ({exc})") from None
        return cls.from_dict(d, source=str(path))

    def save(self, path: Path) -> None:
        atomic_write_text(path, json.dumps(self.to_dict(), indent=2) + "\n")


# The perceptual encoder's defaults: a small network trains in minutes on a GPU.
PERCEPTUAL_RUN = RunConfig(preset="perceptual", steps=20_000, train=TrainConfig(lr=2e-4, warmup_steps=200))


def _check_keys(d: dict, cls, source: str) -> None:
    unknown = sorted(set(d) - {f.name for f in fields(cls)})
    if unknown:
        raise CheckpointError(f"{source}: unknown keys {unknown} (known: {sorted(f.name for f in fields(cls))})")


def process_rank() -> int:
    """This process's rank under ``accelerate launch`` / torchrun (0 otherwise)."""
    return int(os.environ.get("RANK", "0"))


def _windows(store: ClipStore, run: RunConfig, out: Path) -> StoreWindows:
    start = latest_checkpoint(out)
    step = int(start.name.removeprefix("step_")) if start is not None else 0  # checkpoints/step_XXXXXXXX
    d = run.data
    return StoreWindows(store, window=d.window, batch_size=d.batch_size, split=d.split or None,
                        seed=run.train.seed, rank=process_rank(), start_step=step, augment=d.augment())


def _prepare(run: RunConfig, store_path: Path, out: Path, feature_dim: int, user: str):
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
    from dataclasses import replace

    from ..data.store import STORE_JSON, StoreInfo

    path = Path(store_path) / STORE_JSON
    if not path.is_file():
        return config  # _prepare reports the missing store
    info = StoreInfo.read(path)
    if info.feature_layout != "humanml3d" or (info.skeleton, info.feature_dim) == (config.skeleton, config.feature_dim):
        return config
    return replace(config, skeleton=info.skeleton, feature_dim=info.feature_dim)


def train_from_store(run: RunConfig, store_path: str | Path, out: str | Path, *,
                     device: str | None = None) -> MotionTokenizer:
    """Train (or resume) the tokenizer of ``run`` on ``store_path``'s training split; the model lands in ``out``."""
    out = Path(out)
    config = config_for_store(run.tokenizer_config(), Path(store_path))
    store, stats = _prepare(run, Path(store_path), out, config.feature_dim, f"a {config.name} tokenizer")
    return train_tokenizer(config, _windows(store, run, out), run.steps, out, stats=stats, train=run.train,
                           device=device)


def train_perceptual_from_store(run: RunConfig, store_path: str | Path, out: str | Path, *,
                                device: str | None = None) -> PerceptualEncoder:
    """Train (or resume) a perceptual encoder (``run.model``: :class:`PerceptualConfig` fields)."""
    out = Path(out)
    config = run.perceptual_config()
    store, stats = _prepare(run, Path(store_path), out, config.feature_dim, "the perceptual encoder")
    return train_perceptual(config, _windows(store, run, out), run.steps, out, stats=stats, train=run.train,
                            device=device)
