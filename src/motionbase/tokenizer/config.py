"""``TokenizerConfig``: everything needed to rebuild a tokenizer (saved as ``config.json`` beside the weights).

``method`` picks the quantizer (``vq``, ``rvq``, ``lfq``, ``fsq``) and ``encoder`` the encoder–decoder: ``1d``
(T2M-GPT's temporal conv net over whole frames) or ``2d`` (the MotionBase paper's motion-as-image net, one code
per frame component). The paper's five tokenizers are :data:`PRESETS`: ``vq``, ``rvq``, ``lfq1d``, ``lfq2d``
(the paper's "2D-LFQ") and ``fsq``; other combinations (2D-FSQ, 2D-VQ) are valid ablations.

Units: ``fps`` in frames/s of the *feature rows*; ``alpha`` is the temporal downsampling (a power of two);
loss weights are dimensionless multipliers of the terms documented in :mod:`motionbase.tokenizer.losses`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import ClassVar

from ..errors import CheckpointError
from ..io import atomic_write_text
from ..quantize.base import log2_exact
from ..quantize.lfq import BATCH_ENTROPY_MODES

METHODS = ("vq", "rvq", "lfq", "fsq")
ENCODERS = ("1d", "2d")
GROUPINGS = ("feature", "body")
CONFIG_VERSION = 1


class JsonConfig:
    """JSON files for frozen config dataclasses: ``to_dict`` / ``from_dict`` / ``save`` / ``load``, with one-line
    :class:`CheckpointError` messages for unreadable files, unknown keys, another ``config_version`` or invalid
    values. JSON lists become tuples."""

    owner: ClassVar[str] = "model"   # names the config in messages: "<owner> config"
    version: ClassVar[int] = 1

    def to_dict(self) -> dict:
        d = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}  # type: ignore[call-overload]
        return {"config_version": self.version, **d}

    @classmethod
    def from_dict(cls, d: dict, *, source: str = "<dict>"):
        d = dict(d)
        version = d.pop("config_version", cls.version)
        if version != cls.version:
            raise CheckpointError(f"{source}: config_version {version}, expected {cls.version}")
        unknown = sorted(set(d) - {f.name for f in fields(cls)})  # type: ignore[arg-type]
        if unknown:
            raise CheckpointError(f"{source}: unknown {cls.owner} config keys {unknown}")
        d = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
        try:
            return cls(**d)
        except (TypeError, ValueError) as exc:
            raise CheckpointError(f"{source}: invalid {cls.owner} config: {exc}") from None

    def save(self, path: str | Path) -> None:
        atomic_write_text(Path(path), json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def load(cls, path: str | Path):
        path = Path(path)
        try:
            d = json.loads(path.read_text())
        except FileNotFoundError:
            raise CheckpointError(f"{path}: missing (a {cls.owner} checkpoint needs config.json)") from None
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CheckpointError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(d, dict):
            raise CheckpointError(f"{path}: expected a JSON object")
        return cls.from_dict(d, source=str(path))


@dataclass(frozen=True)
class TokenizerConfig(JsonConfig):
    owner: ClassVar[str] = "tokenizer"
    version: ClassVar[int] = CONFIG_VERSION

    # what
    method: str = "lfq"
    encoder: str = "2d"
    feature_dim: int = 263
    skeleton: str = "smpl22"
    fps: float = 20.0
    # encoder / decoder (T2M-GPT's defaults)
    alpha: int = 4
    width: int = 512
    depth: int = 3
    dilation_growth: int = 3
    grouping: str = "feature"          # 2d only: "feature" (the paper's components) or "body" (our parts)
    part_kernel: int = 3               # 2d only: conv kernel across components (1 = components never mix)
    # quantizer
    codebook_size: int = 16384         # K (LFQ: a power of two; FSQ: target size, see fsq_levels)
    code_dim: int = 512                # VQ / RVQ code vector width (LFQ: log2 K, FSQ: len(levels))
    num_quantizers: int = 6            # RVQ
    quantize_dropout_prob: float = 0.2  # RVQ
    ema_decay: float = 0.99            # VQ / RVQ
    kmeans_init: bool = True           # VQ / RVQ
    dead_code_threshold: float = 2.0   # VQ / RVQ: EMA usage below which a code is reset
    fsq_levels: tuple[int, ...] | None = None
    lfq_inv_temperature: float = 100.0
    entropy_gamma: float = 1.0         # LFQ: weight of the batch entropy inside the entropy penalty
    batch_entropy: str = "auto"        # LFQ: "auto" | "exact" | "per_bit"
    # loss weights
    feature_loss_weight: float = 1.0
    joint_loss_weight: float = 1.0
    joint_velocity_loss_weight: float = 1.0
    trajectory_loss_weight: float = 0.0  # root trajectory integrated over the window (m); see tokenizer.losses
    commitment_weight: float = 0.02
    entropy_weight: float = 0.1
    perceptual_weight: float = 0.0
    perceptual_encoder: str | None = None  # training only: a PerceptualEncoder checkpoint directory (frozen)

    def __post_init__(self):
        if self.fsq_levels is not None:
            object.__setattr__(self, "fsq_levels", tuple(int(v) for v in self.fsq_levels))
        for name, allowed in (("method", METHODS), ("encoder", ENCODERS), ("grouping", GROUPINGS),
                              ("batch_entropy", BATCH_ENTROPY_MODES)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name}={getattr(self, name)!r}; expected one of {allowed}")
        log2_exact(self.alpha, "alpha")
        for name in ("feature_dim", "width", "depth", "dilation_growth", "codebook_size", "code_dim",
                     "num_quantizers", "part_kernel"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.part_kernel % 2 == 0:
            raise ValueError(f"part_kernel must be odd, got {self.part_kernel}")
        if self.method == "lfq":
            log2_exact(self.codebook_size, "LFQ codebook_size")

    @property
    def name(self) -> str:
        """Human name, e.g. ``2D-LFQ``."""
        return f"{self.encoder.upper()}-{self.method.upper()}"

    @property
    def down_stages(self) -> int:
        return log2_exact(self.alpha, "alpha")

    def replace(self, **changes) -> TokenizerConfig:
        return replace(self, **changes)


PRESETS: dict[str, dict] = {
    # The paper's VQ (1024 × 512; T2M-GPT's recipe otherwise).
    "vq": {"method": "vq", "encoder": "1d", "codebook_size": 1024, "code_dim": 512},
    # MoMask's RVQ: 6 layers of 512 × 512.
    "rvq": {"method": "rvq", "encoder": "1d", "codebook_size": 512, "code_dim": 512, "num_quantizers": 6},
    # The paper's 1D-LFQ ablation (Table 11) and its 2D-LFQ: K = 16384 (= 2^14; the paper writes "2^16 = 16384").
    "lfq1d": {"method": "lfq", "encoder": "1d", "codebook_size": 16384},
    "lfq2d": {"method": "lfq", "encoder": "2d", "codebook_size": 16384},
    # FSQ with the FSQ paper's levels for 2^14 (8, 8, 8, 6, 5): 15360 codes.
    "fsq": {"method": "fsq", "encoder": "1d", "codebook_size": 16384},
}


def preset(name: str, **overrides) -> TokenizerConfig:
    """The named paper configuration (:data:`PRESETS`), with ``overrides`` applied."""
    if name not in PRESETS:
        raise ValueError(f"unknown tokenizer preset {name!r}; expected one of {sorted(PRESETS)}")
    return TokenizerConfig(**{**PRESETS[name], **overrides})
