"""The paper's questions as configs: arms to train and compare, the metric that answers, the paper's finding.

Built here (tokenizer questions train tokenizers, LM questions train motion LMs on one shared tokenizer):

* ``codebook`` (Figs. 4, 5): LFQ keeps improving with codebook size while VQ saturates — 1D-LFQ, 2D-LFQ and VQ
  at several K; MPJPE and codebook utilisation on the test split.
* ``lfq_dim`` (Table 11): 2D-LFQ reconstructs better than 1D-LFQ at equal codebook size and budget.
* ``loss`` (Table 10): training on the whole sequence beats motion-only loss — R-precision / FID / MM-Dist of
  the LM's generations on the test split.
* ``data_scale`` (Tables 2, 3): more data helps — the LM trained on 10 / 25 / 50 / 100 % of the train split.

* ``model_scale`` (Tables 2, 3): bigger models help — tiny / small / medium from-scratch GPT-2s
  (:data:`MODEL_SCALES`), and any local pretrained backbone passed in (``backbone=DIR``).
* ``static`` (Table 4): adding static clips (one frame held for 64 rows: the paper's image data) helps.
* ``synthetic`` (Table 4): adding synthetic clips helps (here: mirrored clips through the video path's
  measured noise, :mod:`.augment` says exactly what).
* ``ood`` (Table 5, section 5.4): held-out contents — R-precision drops on them; FID / MM-Dist beside the
  evaluator-free geometric checks (:mod:`.ood`).

Presets: ``tiny`` (tests: a step or two), ``small`` (finishes on a 2-core CPU), ``full`` (the paper's
sizes, for a GPU: documented settings, dry-run tested at ``tiny``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import Config
from ..errors import MotionbaseError

PRESETS = ("tiny", "small", "full")


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

# (hidden, layers, heads) of the model_scale question's from-scratch GPT-2s; `small` is the preset's own LM.
MODEL_SCALES = {
    "tiny": {"tiny": (16, 1, 2), "small": (32, 1, 4), "medium": (64, 2, 4)},
    "small": {"tiny": (96, 2, 4), "small": (192, 4, 4), "medium": (384, 6, 6)},
    "full": {"tiny": (384, 6, 6), "small": (768, 12, 12), "medium": (1024, 24, 16)},  # GPT-2 small / medium
}
# How the full preset's LM arms launch on a GPU machine: an Accelerate config of motionbase/lm/accelerate_configs
# (DeepSpeed ZeRO-2, bf16) over this many processes. Tokenizer arms use Accelerate in one process per GPU run.
FULL_LAUNCH = {"accelerate_config": "zero2", "num_processes": 8}


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


def _model_scale(preset: str, backbone: str | None = None) -> Question:
    arms = [Arm(f"lm-{scale}-s{s}", "lm", {"model": scale, "hidden": h, "layers": n, "heads": k}, s)
            for scale, (h, n, k) in MODEL_SCALES[preset].items() for s in _seeds(preset)]
    if backbone is not None:
        arms += [Arm(f"backbone-s{s}", "lm", {"model": "backbone", "backbone": str(backbone)}, s)
                 for s in _seeds(preset)]
    return Question("model_scale", "bigger models help (the medium LM beats the tiny one)",
                    "Table 2: at 1M instructions MotionBase R@1 rises GPT-2 0.118 < Llama-2 7B 0.125 < Llama-2 13B "
                    "0.131 (R@3 0.269, 0.267, 0.277; FID 121.9, 83.0, 78.7)",
                    "r_precision_top3", False, tuple(arms), "model", "", LM_SIZES[preset])


def _with_without(name: str, field_: str, claim: str, paper: str, preset: str) -> Question:
    arms = tuple(Arm(f"{'with' if v else 'without'}-{field_}-s{s}", "lm", {field_: v}, s)
                 for v in (False, True) for s in _seeds(preset))
    return Question(name, claim, paper, "r_precision_top3", False, arms, field_, "", LM_SIZES[preset])


def _static(preset: str) -> Question:
    return _with_without("static", "static", "adding static clips (single frames held still) helps",
                         "Table 4: with static (image) data R@3 0.269 vs 0.248 without (GPT-2 medium, "
                         "Motion-X test set)", preset)


def _synthetic(preset: str) -> Question:
    return _with_without("synthetic", "synthetic", "adding synthetic clips helps",
                         "Table 4: with synthetic (game-engine) data R@3 0.248 vs 0.231 without (both without "
                         "static data)", preset)


def _ood(preset: str) -> Question:
    arms = tuple(Arm(f"{t}-s{s}", "lm", {"test_on": t}, s) for t in ("seen", "unseen") for s in _seeds(preset))
    return Question("ood", "a model does worse on contents it never saw, and FID / MM-Dist move unlike the "
                    "geometric checks there",
                    "Table 5: on 4 held-out subsets (UNSEEN-90K) R@3 is 0.07-0.21 against 0.27 in domain "
                    "(Table 2), and FID ranks the models unlike R-precision (section 5.4)",
                    "r_precision_top3", False, arms, "test_on", "", LM_SIZES[preset])


QUESTIONS = {"codebook": _codebook, "lfq_dim": _lfq_dim, "loss": _loss, "data_scale": _data_scale,
             "model_scale": _model_scale, "static": _static, "synthetic": _synthetic, "ood": _ood}


def question(name: str, preset: str = "small", *, backbone: str | None = None) -> Question:
    """The question ``name`` at ``preset``; one clear error for an unknown name or preset.

    ``backbone``: a local Hugging Face causal-LM folder, an extra arm of ``model_scale`` (only there).
    """
    if preset not in PRESETS:
        raise MotionbaseError(f"--preset {preset!r}: expected one of {', '.join(PRESETS)}")
    if name not in QUESTIONS:
        raise MotionbaseError(f"unknown experiment {name!r}; expected one of {', '.join(QUESTIONS)}")
    if backbone is not None:
        if name != "model_scale":
            raise MotionbaseError(f"--backbone is an arm of the model_scale experiment, not of {name!r}")
        return _model_scale(preset, backbone).check()
    return QUESTIONS[name](preset).check()
