"""The paper's questions as configs: arms to train and compare, the metric that answers, the paper's finding.

Built here (tokenizer questions train tokenizers, LM questions train motion LMs on one shared tokenizer):

* ``codebook`` (Figs. 4, 5): LFQ keeps improving with codebook size while VQ saturates — 1D-LFQ, 2D-LFQ and VQ
  at several K; MPJPE and codebook utilisation on the test split.
* ``lfq_dim`` (Table 11): 2D-LFQ reconstructs better than 1D-LFQ at equal codebook size and budget.
* ``loss`` (Table 10): training on the whole sequence beats motion-only loss — R-precision / FID / MM-Dist of
  the LM's generations on the test split.
* ``data_scale`` (Tables 2, 3): more data helps — the LM trained on 10 / 25 / 50 / 100 % of the train split.

Not built yet (said by :data:`NOT_BUILT`): model scale, static image data, synthetic data, OOD.
Presets: ``tiny`` (tests: a step or two), ``small`` (finishes on a 2-core CPU), ``full`` (the paper's
sizes, for a GPU: documented settings, dry-run tested at ``tiny``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import Config
from ..errors import MotionbaseError

PRESETS = ("tiny", "small", "full")
NOT_BUILT = {
    "model_scale": "model scale (tiny / small / medium LMs, Tables 2-3)",
    "static": "static image data (64-frame clips from single frames, Table 4)",
    "synthetic": "synthetic data (Table 4)",
    "ood": "out-of-domain subsets and how FID / MM-Dist mislead (Table 5, section 5.4)",
}


@dataclass(frozen=True)
class TokenizerSizes(Config):
    """The tokenizer arms' budget and sizes of an experiment preset."""

    steps: int
    width: int
    depth: int
    batch_size: int
    window: int = 64
    lr: float = 5e-4
    warmup_steps: int = 100
    device: str = "cpu"


@dataclass(frozen=True)
class LMSizes(Config):
    """The LM arms' budget and sizes of an experiment preset (and the tokenizer they share)."""

    steps: int
    hidden: int
    layers: int
    heads: int
    context: int
    batch_size: int
    lr: float = 1e-3
    replications: int = 20
    tokenizer: TokenizerSizes = TokenizerSizes(steps=300, width=64, depth=2, batch_size=32)
    codebook_size: int = 512


TOKENIZER_SIZES = {
    "tiny": TokenizerSizes(steps=2, width=16, depth=1, batch_size=4, window=16, warmup_steps=1),
    "small": TokenizerSizes(steps=300, width=64, depth=2, batch_size=32),
    "full": TokenizerSizes(steps=300_000, width=512, depth=3, batch_size=256, lr=1e-4, warmup_steps=1000,
                           device="cuda"),
}
LM_SIZES = {
    "tiny": LMSizes(steps=1, hidden=32, layers=1, heads=4, context=256, batch_size=2, replications=1,
                    tokenizer=TOKENIZER_SIZES["tiny"], codebook_size=16),
    "small": LMSizes(steps=300, hidden=192, layers=4, heads=4, context=512, batch_size=8, replications=5),
    "full": LMSizes(steps=100_000, hidden=768, layers=12, heads=12, context=1024, batch_size=256, lr=2e-4,
                    tokenizer=TOKENIZER_SIZES["full"], codebook_size=16384),
}


@dataclass(frozen=True)
class Arm:
    """One setting to train and evaluate. kind: tokenizer | lm; fields: what this arm changes."""

    name: str
    kind: str
    fields: dict = field(default_factory=dict)
    seed: int = 0


@dataclass(frozen=True)
class Question:
    name: str
    claim: str
    paper: str  # the paper's number(s), in words
    metric: str  # the result key that answers the question
    lower_is_better: bool
    arms: tuple[Arm, ...]
    x: str  # the arm field plotted on the x axis
    series: str  # the arm field that makes one line per value
    sizes: object = None

    def check(self) -> Question:
        names = [a.name for a in self.arms]
        if len(set(names)) != len(names):
            raise MotionbaseError(f"question {self.name}: arm names repeat")
        return self


def _seeds(preset: str) -> tuple[int, ...]:
    return (0,) if preset == "tiny" else (0, 1)


def _codebook(preset: str) -> Question:
    sizes = (16, 32) if preset == "tiny" else (256, 4096) if preset == "small" else (256, 1024, 4096, 16384)
    arms = tuple(Arm(f"{m}-K{K}-s{s}", "tokenizer", {"method": m, "K": K}, s)
                 for m in ("vq", "lfq1d", "lfq2d") for K in sizes for s in _seeds(preset))
    return Question("codebook", "LFQ keeps improving with codebook size while VQ saturates",
                    "Figs. 4-5: with K from 2^8 to 2^14 LFQ's reconstruction error keeps falling and its "
                    "utilisation stays high, VQ's utilisation collapses and its error plateaus",
                    "mpjpe_root_aligned_mm", True, arms, "K", "method", TOKENIZER_SIZES[preset])


def _lfq_dim(preset: str) -> Question:
    K = 32 if preset == "tiny" else 1024 if preset == "small" else 16384
    arms = tuple(Arm(f"{m}-K{K}-s{s}", "tokenizer", {"method": m, "K": K}, s)
                 for m in ("lfq1d", "lfq2d") for s in _seeds(preset))
    return Question("lfq_dim", "2D-LFQ reconstructs motion better than 1D-LFQ at equal codebook size",
                    "Table 11: 2D-LFQ lower reconstruction error than 1D-LFQ on HumanML3D and MotionBase",
                    "mpjpe_root_aligned_mm", True, arms, "method", "K", TOKENIZER_SIZES[preset])


def _loss(preset: str) -> Question:
    arms = tuple(Arm(f"{w}-s{s}", "lm", {"loss_on": w}, s) for w in ("whole", "motion") for s in _seeds(preset))
    return Question("loss", "training on the whole sequence beats a motion-only loss",
                    "Table 10: whole-sequence loss gives higher R-precision and lower FID than motion-only",
                    "r_precision_top3", False, arms, "loss_on", "", LM_SIZES[preset])


def _data_scale(preset: str) -> Question:
    fractions = (0.5, 1.0) if preset == "tiny" else (0.1, 0.25, 0.5, 1.0)
    arms = tuple(Arm(f"data{int(100 * f)}-s{s}", "lm", {"train_fraction": f}, s)
                 for f in fractions for s in _seeds(preset))
    return Question("data_scale", "more training data helps",
                    "Tables 2-3: R-precision rises and FID falls as the training data grows",
                    "r_precision_top3", False, arms, "train_fraction", "", LM_SIZES[preset])


QUESTIONS = {"codebook": _codebook, "lfq_dim": _lfq_dim, "loss": _loss, "data_scale": _data_scale}


def question(name: str, preset: str = "small") -> Question:
    """The question ``name`` at ``preset``; one clear error for an unknown name or preset."""
    if preset not in PRESETS:
        raise MotionbaseError(f"--preset {preset!r}: expected one of {', '.join(PRESETS)}")
    if name not in QUESTIONS:
        known = ", ".join(QUESTIONS)
        extra = f" ({NOT_BUILT[name]} is not built yet)" if name in NOT_BUILT else ""
        raise MotionbaseError(f"unknown experiment {name!r}{extra}; expected one of {known}")
    return QUESTIONS[name](preset).check()
