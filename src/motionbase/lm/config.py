"""Typed configuration of the large motion model and its training run.

:class:`LMConfig` says what the model *is* (backbone, how motion codes enter the vocabulary, how it reads
prompts' sides); it is saved inside every LM checkpoint. :class:`LMTrainConfig` says how one training run goes
(learning rate, batch, precision, LoRA, checkpoint cadence, and in :class:`LMDataConfig` which tokens carry the
loss and the task mix); it is saved in the run directory. All are :class:`~motionbase.config.Config`
dataclasses: frozen, checked on construction, ``to_dict`` / ``from_dict`` round trips that refuse unknown keys
(a typo in a config file is an error, not a silent default).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from ..config import Config, setting

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


@dataclass(frozen=True)
class TinyBackboneConfig(Config):
    """Sizes of a backbone built from scratch ("tiny-gpt2" / "tiny-llama"): tests and the embedded default.

    The text tokenizer of a tiny backbone is a byte-level BPE trained on the caption corpus with
    ``text_vocab_size`` entries (see :mod:`motionbase.lm.text_tokenizer`).
    """

    hidden: int = setting(256, min=1)
    layers: int = setting(4, min=1)
    heads: int = setting(4, min=1)
    kv_heads: int | None = setting(None, min=1)  # Llama grouped-query attention; None = heads
    intermediate: int | None = setting(None, min=1)  # Llama MLP width; None = 4 * hidden
    context: int = setting(512, min=1)  # positions (tokens)
    text_vocab_size: int = setting(2000, min=1)
    dropout: float = setting(0.1, min=0.0, max=1.0)  # GPT-2 only (Llama has no dropout by default)
    seed: int = 0  # initialisation seed


# Keys that LM checkpoints written before the model/training split carried in their config: the training
# examples' settings, now :class:`LMDataConfig` (inside :class:`LMTrainConfig`).
DATA_KEYS = ("loss_on", "max_length", "task_weights", "caption_levels", "max_caption_tokens")


@dataclass(frozen=True)
class LMConfig(Config):
    """What the motion LM is (saved in every LM checkpoint; how it trains is :class:`LMTrainConfig`).

    backbone: "tiny-gpt2" | "tiny-llama" | a local directory of a Hugging Face causal LM | a hub id
        (hub ids only where a hub is reachable; set HF_HUB_OFFLINE=1 to never try).
    vocab_mode: "added" appends K motion tokens (+ ``<mot>``, ``</mot>``) and resizes the embeddings;
        "reuse" maps them onto the least frequent existing text tokens (the paper's choice for its
        16k LFQ codebook), counted over ``reuse_corpus`` or the caption corpus.
    part_tokens: for 2D codes (P parts per time step): "shared" uses one set of K tokens for every part
        (the part is the position inside the step); "separate" gives each part its own K tokens.
    canonical_sides: text that conditions a motion (text-to-motion, and captions of prediction and
        in-between) is always in its canonical side (:func:`motionbase.data.text.canonical_side`: "right"
        named first); a caption naming "left" first is served by the clip's mirrored twin with the mirrored
        caption (needs the mirrored clips). At generation a "left" prompt is mirrored, generated as "right",
        and the motion mirrored back: the two sides are exact mirror images and the model cannot confuse
        them. Motion-to-text keeps both sides. (A property of the model: generation reads prompts by it.)
    """

    backbone: str = "tiny-gpt2"
    vocab_mode: str = setting("added", choices=VOCAB_MODES)
    part_tokens: str = setting("shared", choices=PART_TOKEN_MODES)
    canonical_sides: bool = False
    tiny: TinyBackboneConfig = TinyBackboneConfig()

    # checkpoints written before the split carried the training examples' settings: not the model's
    # (:func:`legacy_data` reads them for a run that resumes)
    dropped: ClassVar[tuple[str, ...]] = DATA_KEYS

    def check(self) -> None:
        if not self.backbone.strip():
            raise self.error("backbone is empty: expected 'tiny-gpt2', 'tiny-llama' or a path")

    @property
    def is_tiny(self) -> bool:
        return self.backbone in TINY_BACKBONES


@dataclass(frozen=True)
class LMDataConfig(Config):
    """How a training run draws its instruction examples (training settings, in :class:`LMTrainConfig`).

    loss_on: "whole" (every token: paper Table 10's better choice), "response" (the answer only) or
        "motion" (the motion tokens of the answer only; motion-to-text examples then carry no loss
        and are not sampled).
    max_length: tokens per training example; None = the backbone's context. Longer motions are
        cropped to a random window of whole time steps.
    task_weights / caption_levels: sampling weights of the instruction tasks and caption levels.
    max_caption_tokens: captions are cut to this many text tokens inside an example.
    balance_captions: draw every caption equally often: records whose first whole-body caption is the same text
        (labelled data: one content x style) form a group, and each record is repeated in an epoch so that every
        group weighs about as much as the largest (at most ``MAX_BALANCE_REPEATS`` times). Rare combinations
        otherwise get a fraction of the examples of common ones. Data with a caption per clip is unchanged.
    contrast: weight of the caption contrast (:mod:`motionbase.lm.contrast`; 0 = off): a text-to-motion example
        with a whole-body caption is also scored under a negative caption (a caption of one of the
        ``contrast_neighbours`` most alike groups of records), and the loss asks its motion tokens to be
        ``contrast_margin`` nats per token likelier under their own caption. Costs one more forward pass per such
        example.
    """

    loss_on: str = setting("whole", choices=LOSS_MODES)
    max_length: int | None = setting(None, min=8)
    task_weights: dict[str, float] = field(default_factory=lambda: {
        "t2m": 0.4, "m2t": 0.2, "unconditional": 0.1, "prediction": 0.15, "inbetween": 0.15})
    caption_levels: dict[str, float] = field(default_factory=lambda: {
        "whole": 0.6, "upper_body": 0.1, "lower_body": 0.1, "all": 0.2})
    max_caption_tokens: int = setting(96, min=1)
    balance_captions: bool = False
    contrast: float = setting(0.0, min=0.0)
    contrast_margin: float = setting(0.1, min=0.0)
    contrast_neighbours: int = setting(12, min=1)

    def check(self) -> None:
        self._weights("task_weights", TASKS)
        self._weights("caption_levels", CAPTION_LEVELS)

    def _weights(self, name: str, allowed: tuple[str, ...]) -> None:
        weights = getattr(self, name)
        bad = sorted(set(weights) - set(allowed))
        if bad:
            raise self.error(f"{name}: unknown key(s) {bad}; expected some of {', '.join(allowed)}")
        if any(w < 0 for w in weights.values()) or not sum(weights.values()) > 0:
            raise self.error(f"{name}={weights}: expected non-negative weights with a positive sum")


def legacy_data(config: dict) -> dict:
    """The :class:`LMDataConfig` keys of an LM config written before the split (``{}`` for a current one)."""
    return {k: config[k] for k in DATA_KEYS if k in config}


@dataclass(frozen=True)
class LoRAConfig(Config):
    """Low-rank adapters (peft). ``target_modules`` None = every linear layer ("all-linear").

    The motion-token embedding rows always train in full (peft ``trainable_token_indices``), since
    they are new (added) or repurposed (reuse) and LoRA on frozen embeddings cannot learn them.
    """

    r: int = setting(16, min=1)
    alpha: int = setting(32, min=1)
    dropout: float = setting(0.05, min=0.0, max=1.0)
    target_modules: tuple[str, ...] | None = None


@dataclass(frozen=True)
class LMTrainConfig(Config):
    """How one training run goes. Steps count optimizer updates (after gradient accumulation).

    lr: None = the paper's default for the backbone family (:data:`PAPER_LR`).
    mixed_precision: "auto" = what the accelerate launch config says, else bf16 on a GPU that
        supports it, else full precision.
    max_steps: stop after this many updates (None = ``epochs`` full passes).
    save_every: write a resumable checkpoint every this many updates (and at the end).
    """

    lr: float | None = None
    batch_size: int = setting(8, min=1)
    grad_accum: int = setting(1, min=1)
    epochs: int = setting(1, min=1)
    max_steps: int | None = setting(None, min=1)
    warmup_steps: int = setting(0, min=0)
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    scheduler: str = "cosine"
    mixed_precision: str = setting("auto", choices=MIXED_PRECISION)
    gradient_checkpointing: bool = False
    lora: LoRAConfig | None = None
    save_every: int = setting(500, min=1)
    keep_checkpoints: int = setting(2, min=1)
    log_every: int = setting(10, min=1)
    seed: int = 0
    num_workers: int = setting(0, min=0)
    progress: bool = True
    data: LMDataConfig = LMDataConfig()

    def check(self) -> None:
        if self.lr is not None and not self.lr > 0:
            raise self.error(f"lr={self.lr}: expected a positive learning rate or None")


def paper_lr(model_type: str) -> float:
    """The paper's learning rate for a backbone family (``config.model_type``: "gpt2", "llama", ...)."""
    return PAPER_LR.get(model_type, FALLBACK_LR)
