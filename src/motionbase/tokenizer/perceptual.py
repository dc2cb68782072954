"""A small motion encoder for the tokenizer's perceptual loss, trained for that purpose alone.

The paper trains its tokenizer with "reconstruction, perceptual, and commitment losses" without saying which
encoder the perceptual term uses. The text–motion evaluator that FID uses must not be it (optimising against the
metric's own embedding makes FID circular), so this module trains a separate one:

* **network**: the tokenizer's 1D design (:class:`~.encdec1d.Encoder1D`: T2M-GPT's conv stem, ``log2 α``
  stride-2 stages of dilated residual blocks) mapping raw features (B, T, D) to an embedding map
  (B, ⌈T/α⌉, E) — one E-vector per α frames, so the perceptual term compares local motion, not a clip summary;
* **objective**: a *denoising autoencoder* on feature windows of a store's train split — the input (normalised)
  gets Gaussian noise (``noise_std``) and whole frames zeroed (``frame_dropout``; both :class:`DenoisingConfig`,
  in the training config), a mirror decoder
  (:class:`~.encdec1d.Decoder1D`) must recover the clean window (smooth-L1, valid frames only). No labels, no
  pairs, cheap to train; the embedding has to keep what the motion *is* over ~α frames while ignoring
  frame-level noise, which is what a perceptual space should do. (A contrastive objective would need
  augmentations that decide what counts as "the same motion"; we did not want to make that choice here.)

Used frozen (:func:`motionbase.tokenizer.losses.frozen`): ``TokenizerLoss`` loads it from
``TokenizerConfig.perceptual_encoder`` and compares ``encoder(recon)`` with ``encoder(target)`` by MSE.
A checkpoint directory holds ``config.json`` (:class:`PerceptualConfig`) and ``model.safetensors`` (encoder,
decoder, normalisation mean/std). Training: :mod:`.perceptual_train`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..config import Config, setting
from ..errors import CheckpointError, ShapeError
from ..quantize.base import log2_exact
from .config import NOISE_KEYS, DenoisingConfig
from .encdec1d import Decoder1D, Encoder1D
from .masked import masked_mean
from .model import stats_arrays
from .weights import CONFIG_FILE, checkpoint_dir, load_weights, save_weights


@dataclass(frozen=True)
class PerceptualConfig(Config):
    """Sizes of a :class:`PerceptualEncoder` (the field names the 1D encoder reads); its training noise is
    :class:`~.config.DenoisingConfig`, a training setting."""

    owner: ClassVar[str] = "perceptual encoder"
    dropped: ClassVar[tuple[str, ...]] = NOISE_KEYS  # old encoders carried their training noise: not the model's

    feature_dim: int = setting(263, min=1)
    width: int = setting(128, min=1)           # conv channels
    depth: int = setting(2, min=1)             # residual blocks per stage
    dilation_growth: int = setting(3, min=1)
    alpha: int = 4                             # frames per embedding vector (a power of two)
    embed_dim: int = setting(64, min=1)        # E

    def check(self) -> None:
        try:
            log2_exact(self.alpha, "alpha")
        except ValueError as exc:
            raise self.error(str(exc)) from None

    @property
    def down_stages(self) -> int:
        return log2_exact(self.alpha, "alpha")


class PerceptualEncoder(nn.Module):
    """``encoder(raw features (B, T, D)) -> embeddings (B, ⌈T/α⌉, E)``; differentiable in its input.

    ``stats``: normalisation as for :class:`~motionbase.tokenizer.MotionTokenizer` (an object with ``mean``/``std``
    or a pair); its arrays are saved with the weights.
    """

    def __init__(self, config: PerceptualConfig, stats=None):
        super().__init__()
        self.config = config
        self.encoder = Encoder1D(config, config.embed_dim)  # type: ignore[arg-type]  # reads the same fields
        self.decoder = Decoder1D(config, config.embed_dim)  # type: ignore[arg-type]
        self.register_buffer("feature_mean", torch.zeros(config.feature_dim))
        self.register_buffer("feature_std", torch.ones(config.feature_dim))
        if stats is not None:
            mean, std = stats_arrays(stats)
            if mean.shape != (config.feature_dim,) or std.shape != (config.feature_dim,) or not (std > 0).all():
                raise ShapeError(f"perceptual encoder stats have shapes {mean.shape}, {std.shape}; expected "
                                 f"({config.feature_dim},) with std > 0")
            self.feature_mean.copy_(torch.from_numpy(mean))
            self.feature_std.copy_(torch.from_numpy(std))

    def check_features(self, feature_dim: int) -> None:
        if feature_dim != self.config.feature_dim:
            raise CheckpointError(f"perceptual encoder takes {self.config.feature_dim}-dim features, got "
                                  f"{feature_dim}")

    def _pad(self, x: Tensor) -> Tensor:
        extra = -x.shape[1] % self.config.alpha
        return torch.cat([x, x[:, -1:].expand(-1, extra, -1)], 1) if extra else x

    def embed_normalized(self, x: Tensor) -> Tensor:
        """(B, T, D) normalised features -> (B, ⌈T/α⌉, E)."""
        return self.encoder(self._pad(x))[:, :, 0]

    def forward(self, feats: Tensor, mask: Tensor | None = None, *, denoising: DenoisingConfig | None = None
                ) -> Tensor:
        """Raw features (B, T, D) -> embeddings (B, ⌈T/α⌉, E); with ``denoising`` (the corruption) the training
        loss instead (a forward mode, so that a DDP-wrapped model trains through its own ``forward``)."""
        if denoising is not None:
            return self._denoising_loss(feats, mask, denoising)
        return self.embed_normalized((feats - self.feature_mean) / self.feature_std)

    def _denoising_loss(self, feats: Tensor, mask: Tensor | None, c: DenoisingConfig) -> Tensor:
        """Corrupt the raw windows (B, T, D), encode, decode; smooth-L1 to the clean normalised input."""
        clean = (feats - self.feature_mean) / self.feature_std
        noisy = clean + c.noise_std * torch.randn_like(clean)
        if c.frame_dropout > 0:
            keep = torch.rand(clean.shape[:2], device=clean.device) >= c.frame_dropout
            noisy = noisy * keep[..., None]
        recon = self.decoder(self.embed_normalized(noisy)[:, :, None])[:, :clean.shape[1]]
        return masked_mean(F.smooth_l1_loss(recon, clean, reduction="none"), mask)

    def save_pretrained(self, path: str | Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        save_weights(self, path, model="perceptual-encoder")
        self.config.save(path / CONFIG_FILE)

    @classmethod
    def from_pretrained(cls, path: str | Path, *, device: str | torch.device | None = None) -> PerceptualEncoder:
        """Load a directory written by :meth:`save_pretrained` (eval mode)."""
        path = checkpoint_dir(path, "perceptual encoder")
        model = cls(PerceptualConfig.load(path / CONFIG_FILE))
        load_weights(model, path, "perceptual encoder")
        return model.to(device if device is not None else "cpu").eval()
