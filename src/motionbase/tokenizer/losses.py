"""Tokenizer training loss: the weighted sum of

=====================  ==========================================================================================
term                   definition (weight in :class:`TokenizerConfig`)
=====================  ==========================================================================================
``features``           smooth-L1 between reconstructed and input features, normalised space (``feature_loss_weight``)
``joints``             mean Euclidean distance (m) between joints recovered from both by
                       :func:`motionbase.features.humanml3d.features_to_joints` (``joint_loss_weight``)
``joint_velocity``     mean Euclidean distance (m/frame) of their frame-to-frame joint displacements
                       (``joint_velocity_loss_weight``)
``trajectory``         mean Euclidean distance (m) between the root trajectories recovered from both — root
                       velocities integrated from the window's first frame, so drift and heading errors grow with
                       time and weigh more the longer they last (``trajectory_loss_weight``)
``foot_contact``       mean horizontal speed (m/frame) of the *reconstruction's* ankles and toes in the frames where
                       the *input* has them on the floor (its contact features, in both frames of a step) — the
                       foot-contact loss of MDM (Tevet et al. 2023); a decoder that moves a planted foot skates
                       (``foot_contact_loss_weight``; 0 unless asked)
``commitment``         the quantizer's commitment term (VQ/RVQ/LFQ; ``commitment_weight``)
``entropy``            LFQ: per-sample entropy − γ · batch entropy, nats (``entropy_weight``, γ = ``entropy_gamma``)
``perceptual``         MSE between embeddings of reconstruction and input by a *frozen* motion encoder
                       (``perceptual_weight``; :class:`~motionbase.tokenizer.perceptual.PerceptualEncoder`, loaded
                       from ``perceptual_encoder``); an encoder trained for this purpose, not the evaluator used
                       for FID (that would be circular). No GAN loss (the paper found it unstable).
=====================  ==========================================================================================

``mask`` (B, T) marks valid frames of padded batches; reconstruction terms average over valid frames only, and the
perceptual encoder sees the input's own frames in place of the reconstruction's padded ones.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import CheckpointError
from ..features.humanml3d import features_to_joints, recover_root
from ..features.layout import FeatureLayout
from ..skeleton import get_skeleton
from .config import TokenizerConfig, TokenizerLossConfig
from .masked import masked_mean
from .model import MotionTokenizer, TokenizerOutput
from .perceptual import PerceptualEncoder


def frozen(encoder: nn.Module) -> nn.Module:
    """``encoder`` in eval mode with gradients off for its parameters (gradients still flow to its input)."""
    encoder.eval()
    for p in encoder.parameters():
        p.requires_grad_(False)
    return encoder


def foot_contact_speed(joints: Tensor, target: Tensor, mask: Tensor | None, layout: FeatureLayout) -> Tensor:
    """Mean horizontal displacement (m/frame) of the foot joints of ``joints`` (B, T, J, 3) over the steps in which
    raw target features (B, T, D) mark that foot joint in contact in both frames (and both frames are valid)."""
    skel = layout.skeleton
    feet = list(skel.feet_left + skel.feet_right)  # the order of the contact features
    contact = target[..., layout.slices["contact"]] > 0.5  # (B, T, 4)
    step = contact[:, 1:] & contact[:, :-1]
    if mask is not None:
        step = step & (mask[:, 1:] & mask[:, :-1])[..., None]
    moved = _distance(joints[:, 1:, feet][..., [0, 2]], joints[:, :-1, feet][..., [0, 2]])  # (B, T-1, 4)
    weight = step.to(moved.dtype)
    return (moved * weight).sum() / weight.sum().clamp(min=1.0)


def _distance(a: Tensor, b: Tensor, eps: float = 1e-12) -> Tensor:
    """Euclidean distance over the last axis, with a gradient at 0."""
    return ((a - b).pow(2).sum(-1) + eps).sqrt()


def trajectory_error(recon: Tensor, target: Tensor, mask: Tensor | None, layout: FeatureLayout) -> Tensor:
    """Mean Euclidean distance (m) between the root positions that raw features (B, T, D) ``recon`` and ``target``
    integrate to (:func:`~motionbase.features.humanml3d.recover_root`), over the valid frames of ``mask``."""
    _, root_p = recover_root(recon, layout)
    _, root_t = recover_root(target, layout)
    return masked_mean(_distance(root_p, root_t), mask)


class TokenizerLoss:
    """Weighted tokenizer loss for one config; call as ``loss(model, output, mask) -> (total, terms)``.

    ``loss``: the weights (default: :class:`TokenizerLossConfig`'s). ``perceptual``: a motion encoder taking raw
    features (B, T, D); it is frozen here. Without one, and with ``loss.perceptual_weight > 0``, the encoder at
    ``loss.perceptual_encoder`` is loaded.
    """

    def __init__(self, config: TokenizerConfig, loss: TokenizerLossConfig | None = None, *,
                 perceptual: nn.Module | None = None, joints_fn: Callable[[Tensor], Tensor] | None = None):
        loss = loss or TokenizerLossConfig()
        self.config, self.loss = config, loss
        if loss.perceptual_weight > 0 and perceptual is None:
            if not loss.perceptual_encoder:
                raise CheckpointError("perceptual_weight > 0 needs a perceptual motion encoder (perceptual_encoder: "
                                      "a directory written by `motionbase tokenizer train-perceptual`)")
            perceptual = PerceptualEncoder.from_pretrained(loss.perceptual_encoder)
            perceptual.check_features(config.feature_dim)
        self.perceptual = frozen(perceptual) if perceptual is not None else None
        if joints_fn is None and (loss.joint_loss_weight > 0 or loss.joint_velocity_loss_weight > 0
                                  or loss.foot_contact_loss_weight > 0):
            layout = self.layout
            if layout.dim != config.feature_dim:
                raise ValueError(f"joint losses need the {config.skeleton} feature layout ({layout.dim} columns), "
                                 f"config has feature_dim {config.feature_dim}")

            def joints_fn(feats: Tensor) -> Tensor:
                return features_to_joints(feats, layout)
        self.joints_fn = joints_fn

    @cached_property
    def layout(self) -> FeatureLayout:
        """The feature layout of the config's skeleton (built when a term needs it)."""
        return FeatureLayout(get_skeleton(self.config.skeleton))

    def terms(self, model: MotionTokenizer, out: TokenizerOutput, mask: Tensor | None = None) -> dict[str, Tensor]:
        w = self.loss
        t: dict[str, Tensor] = {"features": masked_mean(F.smooth_l1_loss(out.recon, out.target, reduction="none"),
                                                         mask)}
        if self.joints_fn is not None or w.trajectory_loss_weight > 0:  # raw features, once for every term below
            recon_raw, target_raw = model.denormalize(out.recon), model.denormalize(out.target)
        if self.joints_fn is not None:
            jp = self.joints_fn(recon_raw)
            jt = self.joints_fn(target_raw)
            t["joints"] = masked_mean(_distance(jp, jt), mask)
            vel_mask = None if mask is None else mask[:, 1:] & mask[:, :-1]
            t["joint_velocity"] = masked_mean(_distance(jp.diff(dim=1), jt.diff(dim=1)), vel_mask)
            if w.foot_contact_loss_weight > 0:
                t["foot_contact"] = foot_contact_speed(jp, target_raw, mask, self.layout)
        if w.trajectory_loss_weight > 0:
            t["trajectory"] = trajectory_error(recon_raw, target_raw, mask, self.layout)
        q = out.losses
        if "commitment" in q:
            t["commitment"] = q["commitment"]
        if "per_sample_entropy" in q:
            t["entropy"] = q["per_sample_entropy"] - w.entropy_gamma * q["batch_entropy"]
        if self.perceptual is not None:
            recon = out.recon if mask is None else torch.where(mask[..., None], out.recon, out.target)
            t["perceptual"] = F.mse_loss(self.perceptual(model.denormalize(recon)),
                                         self.perceptual(model.denormalize(out.target)))
        return t

    def weights(self) -> dict[str, float]:
        c = self.loss
        return {"features": c.feature_loss_weight, "joints": c.joint_loss_weight,
                "joint_velocity": c.joint_velocity_loss_weight, "trajectory": c.trajectory_loss_weight,
                "foot_contact": c.foot_contact_loss_weight,
                "commitment": c.commitment_weight,
                "entropy": c.entropy_weight, "perceptual": c.perceptual_weight}

    def __call__(self, model: MotionTokenizer, out: TokenizerOutput,
                 mask: Tensor | None = None) -> tuple[Tensor, dict[str, float]]:
        """-> (weighted total, {term: unweighted value, "total": total} as floats for logging)."""
        terms = self.terms(model, out, mask)
        w = self.weights()
        total = sum((w[k] * v for k, v in terms.items()), start=torch.zeros((), device=out.recon.device))
        logs = {k: float(v.detach()) for k, v in terms.items()}
        logs["total"] = float(total.detach())
        return total, logs
