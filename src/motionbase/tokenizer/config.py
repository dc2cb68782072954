"""``TokenizerConfig``: everything needed to rebuild a tokenizer (saved as ``config.json`` beside the weights).

``method`` picks the quantizer (``vq``, ``rvq``, ``lfq``, ``fsq``) and ``encoder`` the encoder–decoder: ``1d``
(T2M-GPT's temporal conv net over whole frames) or ``2d`` (the MotionBase paper's motion-as-image net, one code
per frame component). The paper's five tokenizers are :data:`PRESETS`: ``vq``, ``rvq``, ``lfq1d``, ``lfq2d``
(the paper's "2D-LFQ") and ``fsq``; other combinations (2D-FSQ, 2D-VQ) are valid ablations.

Units: ``fps`` in frames/s of the *feature rows*; ``alpha`` is the temporal downsampling (a power of two).
The loss weights are training settings (:class:`TokenizerLossConfig`), not part of the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..config import Config, ConfigError, build, setting
from ..quantize.base import log2_exact
from ..quantize.lfq import BATCH_ENTROPY_MODES

# The measured trajectory's levels per time step (4 frames at 20 fps), denser where most steps are (the Bandai
# store: walks move 0.24 m per step, runs 0.53 (at most 0.84), 99 % of turns are under 0.13 rad), reaching 7 m/s
# forward, 1.5 m/s backwards or sideways and 3.5 rad/s of turn: docs/TOKENIZERS.md, "The measured trajectory".
TURN_LEVELS = (-0.7, -0.3, -0.12, -0.04, 0.0, 0.04, 0.12, 0.3, 0.7)
FORWARD_LEVELS = (-0.3, -0.1, 0.0, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1.05, 1.4)
SIDE_LEVELS = (-0.3, -0.1, 0.0, 0.1, 0.3)

METHODS = ("vq", "rvq", "lfq", "fsq")
ENCODERS = ("1d", "2d")
GROUPINGS = ("feature", "body")
CONFIG_VERSION = 1

# Keys that old (before the model/training split) config.json files carried: training settings, now in
# :class:`TokenizerLossConfig` (inside the training config). A checkpoint's config.json drops them on load.
# The same for the perceptual encoder: its training noise, now :class:`DenoisingConfig`.
NOISE_KEYS = ("noise_std", "frame_dropout")
LOSS_KEYS = ("feature_loss_weight", "joint_loss_weight", "joint_velocity_loss_weight", "trajectory_loss_weight",
             "foot_contact_loss_weight",
             "commitment_weight", "entropy_weight", "entropy_gamma", "perceptual_weight", "perceptual_encoder")


@dataclass(frozen=True)
class TokenizerConfig(Config):
    """What rebuilds a tokenizer: data layout, encoder/decoder and quantizer (a checkpoint's ``config.json``).
    Loss weights are training settings: :class:`TokenizerLossConfig`."""

    owner: ClassVar[str] = "tokenizer"
    version: ClassVar[int] = CONFIG_VERSION
    dropped: ClassVar[tuple[str, ...]] = LOSS_KEYS  # old checkpoints carried the loss weights: not the model's

    # what
    method: str = setting("lfq", choices=METHODS)
    encoder: str = setting("2d", choices=ENCODERS)
    feature_dim: int = setting(263, min=1)
    skeleton: str = "smpl22"
    fps: float = setting(20.0, min=1e-9)
    # encoder / decoder (T2M-GPT's defaults)
    alpha: int = 4
    width: int = setting(512, min=1)
    depth: int = setting(3, min=1)
    dilation_growth: int = setting(3, min=1)
    grouping: str = setting("feature", choices=GROUPINGS)  # 2d only: "feature" (the paper's components) or "body"
    part_kernel: int = setting(3, min=1, odd=True)  # 2d only: conv kernel across components (1 = never mix)
    # 2d only: the "root" component (the trajectory) gets its own trunk and never mixes with the body's components,
    # so its codes carry the root's signal alone and the trajectory decodes from them alone, whatever the action
    root_trunk: bool = False
    # 2d only: the root component's code is the measured trajectory, not a learned one (tokenizer/trajectory.py),
    # quantized to these levels per time step (α frames): turn (rad of heading), forward and sideways (m)
    trajectory_code: bool = False
    trajectory_turn: tuple[float, ...] = TURN_LEVELS
    trajectory_forward: tuple[float, ...] = FORWARD_LEVELS
    trajectory_side: tuple[float, ...] = SIDE_LEVELS
    # box filters (frames) the decoded trajectory is smoothed with, in turn: unit gain, so distance is kept
    trajectory_smooth: tuple[int, ...] = (8, 4)
    # quantizer
    codebook_size: int = setting(16384, min=1)  # K (LFQ: a power of two; FSQ: target size, see fsq_levels)
    code_dim: int = setting(512, min=1)         # VQ / RVQ code vector width (LFQ: log2 K, FSQ: len(levels))
    num_quantizers: int = setting(6, min=1)     # RVQ
    quantize_dropout_prob: float = setting(0.2, min=0.0, max=1.0)  # RVQ
    ema_decay: float = 0.99            # VQ / RVQ
    kmeans_init: bool = True           # VQ / RVQ
    dead_code_threshold: float = 2.0   # VQ / RVQ: EMA usage below which a code is reset
    fsq_levels: tuple[int, ...] | None = None
    lfq_inv_temperature: float = 100.0
    batch_entropy: str = setting("auto", choices=BATCH_ENTROPY_MODES)  # LFQ: "auto" | "exact" | "per_bit"

    def check(self) -> None:
        if self.root_trunk and self.encoder != "2d":
            raise self.error("root_trunk=True needs encoder='2d' (the 1d encoder has no components)")
        if self.fsq_levels is not None:
            object.__setattr__(self, "fsq_levels", tuple(int(v) for v in self.fsq_levels))
        if self.trajectory_code:
            self._check_trajectory()
        try:
            log2_exact(self.alpha, "alpha")
            if self.method == "lfq":
                log2_exact(self.codebook_size, "LFQ codebook_size")
        except ValueError as exc:
            raise self.error(str(exc)) from None

    @property
    def trajectory_levels(self) -> tuple[tuple[float, ...], ...]:
        """The measured trajectory's levels: (turn, forward, sideways)."""
        return self.trajectory_turn, self.trajectory_forward, self.trajectory_side

    def _check_trajectory(self) -> None:
        for key in ("trajectory_turn", "trajectory_forward", "trajectory_side"):
            value = tuple(float(v) for v in getattr(self, key))
            if not value or any(b <= a for a, b in zip(value, value[1:])):
                raise self.error(f"{key} must be a non-empty increasing list of levels, got {list(value)}")
            object.__setattr__(self, key, value)
        object.__setattr__(self, "trajectory_smooth", tuple(int(v) for v in self.trajectory_smooth))
        if any(v < 1 for v in self.trajectory_smooth):
            raise self.error(f"trajectory_smooth widths must be >= 1 frame, got {list(self.trajectory_smooth)}")
        if self.encoder != "2d" or self.method == "rvq":
            raise self.error("trajectory_code=True needs encoder='2d' and one code per component (not rvq)")

    @property
    def name(self) -> str:
        """Human name, e.g. ``2D-LFQ``."""
        return f"{self.encoder.upper()}-{self.method.upper()}"

    @property
    def down_stages(self) -> int:
        return log2_exact(self.alpha, "alpha")


@dataclass(frozen=True)
class TokenizerLossConfig(Config):
    """Weights of the tokenizer's loss terms (dimensionless multipliers of the terms documented in
    :mod:`motionbase.tokenizer.losses`) and the frozen perceptual encoder it compares with: training settings,
    part of :class:`~motionbase.tokenizer.train.TokenizerTrainConfig`, never of a checkpoint's config.json."""

    owner: ClassVar[str] = "tokenizer loss"

    feature_loss_weight: float = setting(1.0, min=0.0)
    joint_loss_weight: float = setting(1.0, min=0.0)
    joint_velocity_loss_weight: float = setting(1.0, min=0.0)
    trajectory_loss_weight: float = setting(0.0, min=0.0)  # root trajectory integrated over the window (m)
    foot_contact_loss_weight: float = setting(0.0, min=0.0)  # planted feet's speed in the reconstruction (m/frame)
    commitment_weight: float = setting(0.02, min=0.0)
    entropy_weight: float = setting(0.1, min=0.0)
    entropy_gamma: float = 1.0         # LFQ: weight of the batch entropy inside the entropy penalty
    perceptual_weight: float = setting(0.0, min=0.0)
    perceptual_encoder: str | None = None  # a PerceptualEncoder checkpoint directory (frozen)


@dataclass(frozen=True)
class DenoisingConfig(Config):
    """How the perceptual encoder's inputs are corrupted in training (a denoising autoencoder): Gaussian noise on
    the normalised features (std units) and the probability that a whole frame is zeroed. Training settings, part
    of :class:`~motionbase.tokenizer.train.TokenizerTrainConfig`, never of the encoder's config.json."""

    owner: ClassVar[str] = "denoising"

    noise_std: float = setting(0.2, min=0.0)
    frame_dropout: float = setting(0.1, min=0.0)  # < 1

    def check(self) -> None:
        if not self.frame_dropout < 1:
            raise self.error(f"frame_dropout={self.frame_dropout!r}: expected less than 1")


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
        raise ConfigError(f"unknown tokenizer preset {name!r}; expected one of {sorted(PRESETS)}")
    return build(TokenizerConfig, f"tokenizer preset {name!r}", **{**PRESETS[name], **overrides})
