"""``MotionTokenizer``: VQ | RVQ | 1D-LFQ | 2D-LFQ | FSQ behind one face.

``encode(features) -> codes`` and ``decode(codes) -> features`` work on *raw* HumanML3D-style features
(``(B, T, D)`` or ``(T, D)``, numpy or torch); the tokenizer carries its normalisation mean/std and applies them.
Codes are ``(B, ⌈T/α⌉, S)`` int64 with S = :attr:`tokens_per_step` (P components for 2D, Q layers for RVQ, 1
otherwise), each in ``[0, vocab_size)``; :attr:`codes_per_second` counts time steps (fps / α). Clips whose length is not a multiple of α (including clips shorter than α)
are padded by repeating their last frame; pass ``num_frames`` to :meth:`decode` (or use :meth:`reconstruct`) to
crop back.

A checkpoint directory holds ``config.json`` (:class:`TokenizerConfig`) and ``model.safetensors`` (weights,
codebooks and the normalisation ``feature_mean`` / ``feature_std``), plus whatever a stats object given at
construction writes with its own ``save(dir)``. ``MotionTokenizer.from_pretrained(dir)`` needs nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor, nn

from ..errors import CheckpointError, MotionbaseError, ShapeError
from ..features.stats import META_FILE, FeatureStats
from ..quantize import FSQ, LFQ, RVQ, VQ, Quantizer, fsq_levels
from .config import TokenizerConfig
from .encdec1d import Decoder1D, Encoder1D
from .encdec2d import Decoder2D, Encoder2D
from .trajectory import OUTPUT_COLUMNS as TRAJECTORY_COLUMNS
from .trajectory import encode_trajectory, grid_size, trajectory_columns
from .weights import CONFIG_FILE, WEIGHTS_FILE, checkpoint_dir, load_weights, save_weights


class TokenizerOutput(NamedTuple):
    recon: Tensor               # (B, T, D) reconstruction, normalised space
    target: Tensor              # (B, T, D) the input, normalised space
    codes: Tensor               # (B, T', S)
    losses: dict[str, Tensor]   # the quantizer's unweighted terms


def build_quantizer(config: TokenizerConfig) -> Quantizer:
    c = config
    if c.method == "vq":
        return VQ(c.code_dim, c.codebook_size, decay=c.ema_decay, kmeans_init=c.kmeans_init,
                  dead_code_threshold=c.dead_code_threshold)
    if c.method == "rvq":
        return RVQ(c.code_dim, c.codebook_size, c.num_quantizers, dropout_prob=c.quantize_dropout_prob,
                   decay=c.ema_decay, kmeans_init=c.kmeans_init, dead_code_threshold=c.dead_code_threshold)
    if c.method == "lfq":
        return LFQ(c.codebook_size, inv_temperature=c.lfq_inv_temperature, batch_entropy=c.batch_entropy)
    return FSQ(fsq_levels(c.codebook_size, c.fsq_levels))


def stats_arrays(stats) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) float32 arrays of a stats object (``.mean``/``.std``) or of a (mean, std) pair."""
    mean, std = (stats.mean, stats.std) if hasattr(stats, "mean") else stats
    to_np = (lambda a: a.detach().cpu().numpy()) if isinstance(mean, Tensor) else np.asarray
    return to_np(mean).astype(np.float32), to_np(std).astype(np.float32)


class MotionTokenizer(nn.Module):
    """Motion tokenizer built from a :class:`TokenizerConfig`.

    ``stats``: normalisation, either an object with ``mean`` and ``std`` (D,) arrays (e.g.
    ``motionbase.features.stats.FeatureStats``; its ``save(dir)`` is called by :meth:`save_pretrained`) or a
    ``(mean, std)`` pair. Without stats the tokenizer works on features as given (mean 0, std 1).
    """

    def __init__(self, config: TokenizerConfig, stats=None):
        super().__init__()
        self.config = config
        self.source = "<unsaved tokenizer>"
        self.quantizer = build_quantizer(config)
        encoder, decoder = (Encoder2D, Decoder2D) if config.encoder == "2d" else (Encoder1D, Decoder1D)
        self.encoder = encoder(config, self.quantizer.dim)
        self.decoder = decoder(config, self.quantizer.dim)
        self.register_buffer("feature_mean", torch.zeros(config.feature_dim))
        self.register_buffer("feature_std", torch.ones(config.feature_dim))
        self.stats = None
        if stats is not None:
            self.set_stats(stats)
        if config.trajectory_code and grid_size(config.trajectory_levels) > self.vocab_size:
            raise CheckpointError(f"the trajectory levels make {grid_size(config.trajectory_levels)} codes; this "
                                  f"quantizer has {self.vocab_size} (fewer levels, or a larger codebook)")

    # --- facts ----------------------------------------------------------------------------------------------

    @property
    def part_names(self) -> tuple[str, ...]:
        """Names of the P frame components (2D); ``()`` for 1D tokenizers."""
        return self.encoder.components.names if self.config.encoder == "2d" else ()

    @property
    def num_parts(self) -> int:
        return max(1, len(self.part_names))

    @property
    def vocab_size(self) -> int:
        """Number of distinct codes K (FSQ: Π levels)."""
        return self.quantizer.codebook_size

    @property
    def tokens_per_step(self) -> int:
        """Codes per latent time step: P components × L codes per component (L = Q for RVQ, else 1)."""
        return self.num_parts * self.quantizer.codes_per_vector

    @property
    def codes_per_second(self) -> float:
        """Code *time steps* per second of motion (fps / α), each step holding :attr:`tokens_per_step` codes —
        the meaning :class:`motionbase.lm.codec.MotionCodec` relies on."""
        return self.config.fps / self.config.alpha

    @property
    def tokens_per_second(self) -> float:
        """Codes per second of motion: :attr:`codes_per_second` × :attr:`tokens_per_step`."""
        return self.codes_per_second * self.tokens_per_step

    @property
    def device(self) -> torch.device:
        return self.feature_mean.device

    def part_columns(self, part: str) -> slice:
        """Columns of the code array (last axis) that hold component ``part``'s codes."""
        if part not in self.part_names:
            raise MotionbaseError(f"{self.source}: no component {part!r}; this {self.config.name} tokenizer has "
                                  f"{list(self.part_names) or 'no components (1D)'}")
        L = self.quantizer.codes_per_vector
        i = self.part_names.index(part)
        return slice(i * L, (i + 1) * L)

    # --- normalisation --------------------------------------------------------------------------------------

    def set_stats(self, stats) -> None:
        if hasattr(stats, "require_kind"):
            stats.require_kind("humanml3d", user=f"motion tokenizer {self.source}")
        mean, std = stats_arrays(stats)
        D = self.config.feature_dim
        if mean.shape != (D,) or std.shape != (D,):
            raise CheckpointError(f"normalisation stats have shapes {mean.shape}, {std.shape}; expected ({D},)")
        if not (np.isfinite(mean).all() and np.isfinite(std).all() and (std > 0).all()):
            raise ShapeError("normalisation stats must be finite with std > 0")
        self.feature_mean.copy_(torch.from_numpy(mean))
        self.feature_std.copy_(torch.from_numpy(std))
        self.stats = stats if hasattr(stats, "save") else None

    def normalize(self, feats: Tensor) -> Tensor:
        return (feats - self.feature_mean) / self.feature_std

    def denormalize(self, feats: Tensor) -> Tensor:
        return feats * self.feature_std + self.feature_mean

    # --- input checks ---------------------------------------------------------------------------------------

    def _features(self, feats) -> tuple[Tensor, bool]:
        """Validate raw features -> ((B, T, D) float32 tensor on the model's device, input was unbatched)."""
        if not isinstance(feats, Tensor):
            feats = np.asarray(feats)
            feats = feats if feats.flags.writeable else feats.copy()  # e.g. a read-only memory map of a store
        x = torch.as_tensor(feats)
        if x.ndim not in (2, 3) or not x.is_floating_point():
            raise ShapeError(f"features have shape {tuple(x.shape)} and dtype {x.dtype}, expected float (B, T, D) "
                             f"or (T, D)")
        unbatched = x.ndim == 2
        x = x[None] if unbatched else x
        if x.shape[-1] != self.config.feature_dim:
            raise CheckpointError(f"features have width {x.shape[-1]}, but tokenizer {self.source} expects "
                                  f"{self.config.feature_dim}")
        if x.shape[1] == 0:
            raise ShapeError("features have 0 frames, expected at least 1")
        bad = ~torch.isfinite(x).all(-1)
        if bad.any():
            b, t = (int(i) for i in bad.nonzero()[0])
            raise ShapeError(f"features contain NaN/inf at clip {b}, frame {t}")
        return x.to(self.device, torch.float32), unbatched

    def _pad(self, x: Tensor) -> Tensor:
        """Repeat the last frame up to a multiple of α frames."""
        extra = -x.shape[1] % self.config.alpha
        return torch.cat([x, x[:, -1:].expand(-1, extra, -1)], 1) if extra else x

    # --- the measured trajectory (tokenizer/trajectory.py), when the config asks for it ------------------------

    def _with_trajectory(self, quantized: Tensor, codes: Tensor, x_norm: Tensor) -> tuple[Tensor, Tensor]:
        """Replace the root component's learned code and latent by the measured trajectory's."""
        root = self.part_names.index("root")
        traj = encode_trajectory(self.denormalize(x_norm), self.config.alpha, self.config.trajectory_levels)
        codes = codes.clone()
        codes[..., root] = traj
        latent = self.quantizer.decode_codes(traj[..., None]).to(quantized.dtype)   # (B, T', d)
        quantized = torch.cat([quantized[:, :, :root], latent[:, :, None], quantized[:, :, root + 1:]], 2)
        return quantized, codes

    def _decode_latents(self, quantized: Tensor, codes: Tensor) -> Tensor:
        """Decoder output (normalised); with a measured trajectory its columns are the formula's, not the net's."""
        recon = self.decoder(quantized)
        if not self.config.trajectory_code:
            return recon
        root = codes[..., self.part_names.index("root")]
        cols = list(TRAJECTORY_COLUMNS)
        raw = trajectory_columns(root, self.config.alpha, self.config.trajectory_levels,
                                 boxes=self.config.trajectory_smooth, dtype=recon.dtype)
        recon = recon.clone()
        recon[..., cols] = (raw - self.feature_mean[cols]) / self.feature_std[cols]
        return recon

    # --- model ----------------------------------------------------------------------------------------------

    def _quantize(self, x_norm: Tensor):
        """(B, T, D) normalised, T a multiple of α -> (quantized (B, T', P, d), codes (B, T', S), losses)."""
        z = self.encoder(x_norm)
        B, T1, P, d = z.shape
        quantized, codes, losses = self.quantizer(z.reshape(B, T1 * P, d))
        quantized, codes = quantized.reshape(B, T1, P, d), codes.reshape(B, T1, -1)
        if self.config.trajectory_code:
            quantized, codes = self._with_trajectory(quantized, codes, x_norm)
        return quantized, codes, losses

    def forward(self, feats: Tensor, *, normalized: bool = False) -> TokenizerOutput:
        """Training pass. feats: (B, T, D), raw (or already normalised with ``normalized=True``)."""
        feats = feats.to(self.feature_mean.dtype)
        target = feats if normalized else self.normalize(feats)
        quantized, codes, losses = self._quantize(self._pad(target))
        recon = self._decode_latents(quantized, codes)[:, :feats.shape[1]]
        return TokenizerOutput(recon, target, codes, losses)

    @torch.no_grad()
    def encode(self, feats) -> Tensor:
        """Raw features (B, T, D) or (T, D) -> codes (B, ⌈T/α⌉, S) or (⌈T/α⌉, S), int64."""
        x, unbatched = self._features(feats)
        was_training = self.training
        self.eval()
        try:
            codes = self._quantize(self._pad(self.normalize(x)))[1]
        finally:
            self.train(was_training)
        return codes[0] if unbatched else codes

    def _codes(self, codes) -> tuple[Tensor, bool]:
        c = torch.as_tensor(np.asarray(codes) if not isinstance(codes, Tensor) else codes)
        if c.ndim not in (2, 3):
            raise ShapeError(f"codes have shape {tuple(c.shape)}, expected (B, T', {self.tokens_per_step}) or "
                             f"(T', {self.tokens_per_step})")
        unbatched = c.ndim == 2
        c = c[None] if unbatched else c
        S = c.shape[-1]
        coarse_rvq = self.num_parts == 1 and self.config.method == "rvq" and 1 <= S <= self.tokens_per_step
        if (S != self.tokens_per_step and not coarse_rvq) or c.shape[1] == 0:
            raise ShapeError(f"codes have shape {tuple(c.shape)}, expected (B, T' >= 1, {self.tokens_per_step}) "
                             f"for tokenizer {self.source}")
        return c.to(self.device), unbatched

    @torch.no_grad()
    def decode(self, codes, num_frames: int | None = None) -> Tensor:
        """Codes (B, T', S) or (T', S) -> raw features (B, T'·α, D) (or (T'·α, D)), cropped to ``num_frames``.

        Any codes in ``[0, vocab_size)`` decode (the LM produces them); others raise ShapeError. RVQ also decodes
        the first q < Q layers.
        """
        c, unbatched = self._codes(codes)
        B, T1, S = c.shape
        P = self.num_parts
        z = self.quantizer.decode_codes(c.reshape(B, T1 * P, S // P)).reshape(B, T1, P, -1)
        was_training = self.training
        self.eval()
        try:
            out = self.denormalize(self._decode_latents(z.float(), c))
        finally:
            self.train(was_training)
        if num_frames is not None:
            out = out[:, :num_frames]
        return out[0] if unbatched else out

    def reconstruct(self, feats) -> Tensor:
        """decode(encode(feats)) cropped to the input length."""
        x, unbatched = self._features(feats)
        out = self.decode(self.encode(x), num_frames=x.shape[1])
        return out[0] if unbatched else out

    # --- checkpoints ----------------------------------------------------------------------------------------

    def save_pretrained(self, path: str | Path) -> None:
        """Write ``config.json``, ``model.safetensors`` (each atomically) and the stats object's own files."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        save_weights(self, path, method=self.config.name)
        self.config.save(path / CONFIG_FILE)
        if self.stats is not None:
            self.stats.save(path)

    @classmethod
    def from_pretrained(cls, path: str | Path, *, device: str | torch.device | None = None) -> MotionTokenizer:
        """Load a directory written by :meth:`save_pretrained`; the model is returned in eval mode."""
        path = checkpoint_dir(path, "tokenizer")
        model = cls(TokenizerConfig.load(path / CONFIG_FILE))
        load_weights(model, path, "tokenizer")
        model.stats = _load_stats_object(path, model)
        model.source = str(path)
        return model.to(device if device is not None else "cpu").eval()


def _load_stats_object(path: Path, model: MotionTokenizer):
    """The FeatureStats saved beside the weights (None if there are none); it must match the weights' stats."""
    if not (path / META_FILE).is_file():
        return None
    stats = FeatureStats.load(path)
    mean, std = stats_arrays(stats)
    if not (np.array_equal(mean, model.feature_mean.numpy()) and np.array_equal(std, model.feature_std.numpy())):
        raise CheckpointError(f"{path / META_FILE}: normalisation stats differ from those in {WEIGHTS_FILE}")
    return stats
