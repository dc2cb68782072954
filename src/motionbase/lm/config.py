"""Typed configuration of the large motion model and its training run.

:class:`LMConfig` says what the model *is* (backbone, how motion codes enter the vocabulary, which
tokens carry the loss, the task mix); it is saved inside every LM checkpoint. :class:`TrainConfig`
says how one training run goes (learning rate, batch, precision, LoRA, checkpoint cadence); it is saved
in the run directory. Both round-trip through JSON with :func:`to_dict` / :func:`from_dict`, and
:func:`from_dict` refuses unknown keys so a typo in a config file is an error, not a silent default.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from ..errors import MotionbaseError

TINY_BACKBONES = ("tiny-gpt2", "tiny-llama")
VOCAB_MODES = ("added", "reuse")
PART_TOKEN_MODES = ("shared", "separate")
LOSS_MODES = ("whole", "response", "motion")
TASKS = ("t2m", "m2t", "unconditional", "prediction", "inbetween")
CAPTION_LEVELS = ("whole", "upper_body", "lower_body", "all")
MIXED_PRECISION = ("auto", "no", "bf16", "fp16")

# Paper §5 implementation details: lr 2e-4 for GPT2-medium, 2e-5 for the Llama models. Families the
# paper does not cover get the large-model value.
PAPER_LR = {"gpt2": 2e-4, "llama": 2e-5}
FALLBACK_LR = 2e-5


@dataclass
class TinyBackboneConfig:
    """Sizes of a backbone built from scratch ("tiny-gpt2" / "tiny-llama"): tests and the embedded default.

    The text tokenizer of a tiny backbone is a byte-level BPE trained on the caption corpus with
    ``text_vocab_size`` entries (see :mod:`motionbase.lm.text_tokenizer`).
    """

    hidden: int = 256
    layers: int = 4
    heads: int = 4
    kv_heads: int | None = None  # Llama grouped-query attention; None = heads
    intermediate: int | None = None  # Llama MLP width; None = 4 * hidden
    context: int = 512  # positions (tokens)
    text_vocab_size: int = 2000
    dropout: float = 0.1  # GPT-2 only (Llama has no dropout by default)
    seed: int = 0  # initialisation seed


@dataclass
class LMConfig:
    """What the motion LM is.

    backbone: "tiny-gpt2" | "tiny-llama" | a local directory of a Hugging Face causal LM | a hub id
        (hub ids only where a hub is reachable; set HF_HUB_OFFLINE=1 to never try).
    vocab_mode: "added" appends K motion tokens (+ ``<mot>``, ``</mot>``) and resizes the embeddings;
        "reuse" maps them onto the least frequent existing text tokens (the paper's choice for its
        16k LFQ codebook), counted over ``reuse_corpus`` or the caption corpus.
    part_tokens: for 2D codes (P parts per time step): "shared" uses one set of K tokens for every part
        (the part is the position inside the step); "separate" gives each part its own K tokens.
    loss_on: "whole" (every token: paper Table 10's better choice), "response" (the answer only) or
        "motion" (the motion tokens of the answer only; motion-to-text examples then carry no loss
        and are not sampled).
    max_length: tokens per training example; None = the backbone's context. Longer motions are
        cropped to a random window of whole time steps.
    task_weights / caption_levels: sampling weights of the instruction tasks and caption levels.
    max_caption_tokens: captions are cut to this many text tokens inside an example.
    canonical_sides: text that conditions a motion (text-to-motion, and captions of prediction and
        in-between) is always in its canonical side (:func:`motionbase.data.text.canonical_side`: "right"
        named first); a caption naming "left" first is served by the clip's mirrored twin with the mirrored
        caption (needs the mirrored clips). At generation a "left" prompt is mirrored, generated as "right",
        and the motion mirrored back: the two sides are exact mirror images and the model cannot confuse
        them. Motion-to-text keeps both sides.
    """

    backbone: str = "tiny-gpt2"
    vocab_mode: str = "added"
    part_tokens: str = "shared"
    loss_on: str = "whole"
    max_length: int | None = None
    task_weights: dict[str, float] = field(default_factory=lambda: {
        "t2m": 0.4, "m2t": 0.2, "unconditional": 0.1, "prediction": 0.15, "inbetween": 0.15})
    caption_levels: dict[str, float] = field(default_factory=lambda: {
        "whole": 0.6, "upper_body": 0.1, "lower_body": 0.1, "all": 0.2})
    max_caption_tokens: int = 96
    canonical_sides: bool = False
    tiny: TinyBackboneConfig = field(default_factory=TinyBackboneConfig)

    def validate(self) -> LMConfig:
        _choice("vocab_mode", self.vocab_mode, VOCAB_MODES)
        _choice("part_tokens", self.part_tokens, PART_TOKEN_MODES)
        _choice("loss_on", self.loss_on, LOSS_MODES)
        _weights("task_weights", self.task_weights, TASKS)
        _weights("caption_levels", self.caption_levels, CAPTION_LEVELS)
        if self.max_length is not None and self.max_length < 8:
            raise MotionbaseError(f"LMConfig.max_length={self.max_length}: expected at least 8 tokens or None")
        if not self.backbone.strip():
            raise MotionbaseError("LMConfig.backbone is empty: expected 'tiny-gpt2', 'tiny-llama' or a path")
        return self

    @property
    def is_tiny(self) -> bool:
        return self.backbone in TINY_BACKBONES


@dataclass
class LoRAConfig:
    """Low-rank adapters (peft). ``target_modules`` None = every linear layer ("all-linear").

    The motion-token embedding rows always train in full (peft ``trainable_token_indices``), since
    they are new (added) or repurposed (reuse) and LoRA on frozen embeddings cannot learn them.
    """

    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: list[str] | None = None


@dataclass
class TrainConfig:
    """How one training run goes. Steps count optimizer updates (after gradient accumulation).

    lr: None = the paper's default for the backbone family (:data:`PAPER_LR`).
    mixed_precision: "auto" = what the accelerate launch config says, else bf16 on a GPU that
        supports it, else full precision.
    max_steps: stop after this many updates (None = ``epochs`` full passes).
    save_every: write a resumable checkpoint every this many updates (and at the end).
    """

    lr: float | None = None
    batch_size: int = 8
    grad_accum: int = 1
    epochs: int = 1
    max_steps: int | None = None
    warmup_steps: int = 0
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    scheduler: str = "cosine"
    mixed_precision: str = "auto"
    gradient_checkpointing: bool = False
    lora: LoRAConfig | None = None
    save_every: int = 500
    keep_checkpoints: int = 2
    log_every: int = 10
    seed: int = 0
    num_workers: int = 0
    progress: bool = True

    def validate(self) -> TrainConfig:
        _choice("mixed_precision", self.mixed_precision, MIXED_PRECISION)
        for name in ("batch_size", "grad_accum", "epochs", "save_every", "log_every", "keep_checkpoints"):
            if getattr(self, name) < 1:
                raise MotionbaseError(f"TrainConfig.{name}={getattr(self, name)}: expected at least 1")
        if self.max_steps is not None and self.max_steps < 1:
            raise MotionbaseError(f"TrainConfig.max_steps={self.max_steps}: expected at least 1 or None")
        if self.lr is not None and not self.lr > 0:
            raise MotionbaseError(f"TrainConfig.lr={self.lr}: expected a positive learning rate or None")
        return self


def paper_lr(model_type: str) -> float:
    """The paper's learning rate for a backbone family (``config.model_type``: "gpt2", "llama", ...)."""
    return PAPER_LR.get(model_type, FALLBACK_LR)


# ---------------------------------------------------------------- JSON round trip

def to_dict(cfg: Any) -> dict:
    return dataclasses.asdict(cfg)


def from_dict(cls: type, data: Any, where: str = "config"):
    """Build dataclass ``cls`` from ``data`` (nested dataclasses included); unknown keys are an error."""
    if not isinstance(data, dict):
        raise MotionbaseError(f"{where}: expected a JSON object for {cls.__name__}, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise MotionbaseError(f"{where}: unknown {cls.__name__} key(s) {unknown}; known: {sorted(fields)}")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, value in data.items():
        inner = _dataclass_in(hints[name])
        kwargs[name] = from_dict(inner, value, f"{where}.{name}") if inner and value is not None else value
    return cls(**kwargs)


def _dataclass_in(hint: Any) -> type | None:
    """The dataclass named by a type hint (``X`` or ``X | None``), else None."""
    if dataclasses.is_dataclass(hint):
        return hint
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return next((a for a in typing.get_args(hint) if dataclasses.is_dataclass(a)), None)
    return None


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise MotionbaseError(f"{name}={value!r}: expected one of {', '.join(allowed)}")


def _weights(name: str, weights: dict[str, float], allowed: tuple[str, ...]) -> None:
    bad = sorted(set(weights) - set(allowed))
    if bad:
        raise MotionbaseError(f"{name}: unknown key(s) {bad}; expected some of {', '.join(allowed)}")
    if any(w < 0 for w in weights.values()) or not sum(weights.values()) > 0:
        raise MotionbaseError(f"{name}={weights}: expected non-negative weights with a positive sum")
