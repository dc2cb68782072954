"""The evaluation runner: text-to-motion metrics of a split, row by row, as in the paper's Table 3.

Rows (each a set of motions, one per captioned clip, compared with the clip's captions):

* **real motion** — the ground-truth features themselves: the reference every other row is read against
  (its FID is not 0 because each replication embeds fresh random crops, as Guo et al.'s protocol does);
* **reconstruction** — the clips through a motion tokenizer (encode + decode), with MPJPE (mm) of the global
  joint positions and, in the JSON, root-aligned (MotionGPT's default);
* **generated** — motions a :class:`MotionGenerator` (the motion LM) makes from the captions, at the
  ground-truth lengths; the only row with MultiModality (``full`` mode).

Protocol (:mod:`motionbase.metrics.retrieval`): every caption of every clip is embedded once; each of the
``replications`` (seeded, :func:`~motionbase.metrics.protocol.replicate`) draws one caption per clip (the same draw
for every row), embeds random crops of the row's motions, and computes R-precision top-1/2/3 and MM-Dist over
shuffled batches of 32 (with distinct labels where the clips have them, see :mod:`.store_data`), FID against
the ground-truth embeddings (crops from frame 0, embedded once), and Diversity. Results are mean ± 1.96σ/√n.
Physical plausibility (foot skating, jitter, floor penetration) and MPJPE need no evaluator and no
replication: they are computed once, on joints recovered from the features (the first replication's
generations for the generated row).

Modes: ``debug`` (1 replication, no MultiModality: an answer in minutes on a CPU), ``no-mm`` (20
replications), ``full`` (20 replications + MultiModality: 100 texts x 30 generations each time).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol, runtime_checkable

import numpy as np

from ..config import Config, setting
from ..errors import CheckpointError, ShapeError
from ..features.humanml3d import features_to_joints
from ..features.layout import FeatureLayout
from ..metrics.physics import plausibility
from ..metrics.protocol import Summary, replicate
from ..metrics.retrieval import (
    DIVERSITY_PAIRS,
    MM_GENERATIONS,
    MM_PAIRS,
    MM_TEXTS,
    R_PRECISION_BATCH,
    FewSamplesWarning,
    diversity,
    fid,
    multimodality,
    r_precision,
)
from ..metrics.trajectory import mpjpe_mm
from .store_data import StoreClips

REAL, RECONSTRUCTION, GENERATED = "real motion", "reconstruction", "generated"
MODES = {"debug": (1, False), "no-mm": (20, False), "full": (20, True)}  # replications, MultiModality


@runtime_checkable
class MotionGenerator(Protocol):
    """Text -> motion: one raw feature array (T_i, F) per caption, about ``lengths_frames[i]`` frames long."""

    def generate(self, captions: Sequence[str], lengths_frames: Sequence[int], seed: int) -> list[np.ndarray]: ...


@runtime_checkable
class MotionEncoder(Protocol):
    """What the runner needs of an evaluator (:class:`~.evaluator.TextMotionEvaluator` has it)."""

    embed_dim: int

    def encode_text(self, captions: Sequence[str]) -> np.ndarray: ...

    def encode_motion(self, features: Sequence[np.ndarray], *, rng: np.random.Generator | None = None
                      ) -> np.ndarray: ...


@dataclass(frozen=True)
class EvaluationRunConfig(Config):
    """How to evaluate. ``replications`` overrides the mode's count (20, or 1 in debug)."""

    owner: ClassVar[str] = "evaluation"

    mode: str = setting("no-mm", choices=MODES)
    seed: int = 0
    replications: int | None = setting(None, min=1)
    batch_size: int = setting(R_PRECISION_BATCH, min=1)
    diversity_pairs: int | None = setting(None, min=1)  # None: 300, or T2M-GPT's 100 for 300 clips or fewer
    mm_texts: int = setting(MM_TEXTS, min=1)
    mm_generations: int = setting(MM_GENERATIONS, min=2)
    mm_pairs: int = setting(MM_PAIRS, min=1)

    def check(self) -> None:
        if self.mm_generations <= self.mm_pairs:
            raise self.error(f"mm_generations={self.mm_generations}; expected more than mm_pairs={self.mm_pairs}")

    @property
    def times(self) -> int:
        return self.replications if self.replications is not None else MODES[self.mode][0]

    @property
    def multimodality(self) -> bool:
        return MODES[self.mode][1]

    def pairs_for(self, num_clips: int) -> int:
        """Diversity pairs for ``num_clips`` clips (Diversity needs more clips than pairs)."""
        if self.diversity_pairs is not None:
            return self.diversity_pairs
        return DIVERSITY_PAIRS if num_clips > DIVERSITY_PAIRS else min(100, num_clips - 1)


@dataclass
class RowResult:
    """One row of the table: replicated metrics (Summary) and once-computed ones (floats)."""

    name: str
    metrics: dict[str, Summary]
    once: dict[str, float] = field(default_factory=dict)  # MPJPE, plausibility
    seconds: float = 0.0


@dataclass
class EvalReport:
    rows: list[RowResult]
    info: dict  # protocol facts for the table header and the JSON (counts, batches, pairs, notes)


def reconstruct_all(tokenizer, features: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Each clip through ``tokenizer.reconstruct`` (encode + decode), as float32 numpy (T_i, F)."""
    out = []
    for x in features:
        y = tokenizer.reconstruct(np.array(x, np.float32))  # a writable copy of the memory map
        out.append(np.asarray(y.detach().cpu().numpy() if hasattr(y, "detach") else y, np.float32))
    return out


def _check_motions(motions: Sequence[np.ndarray], clips: StoreClips, row: str, want: int) -> list[np.ndarray]:
    if len(motions) != want:
        raise ShapeError(f"{row}: {len(motions)} motions for {want} captions; expected one motion per caption")
    width = clips.features[0].shape[1]
    out = []
    for i, m in enumerate(motions):
        x = np.asarray(m, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != width or len(x) < 4:
            raise ShapeError(f"{row}: motion {i} has shape {x.shape}; expected (frames >= 4, {width}) features")
        if not np.isfinite(x).all():
            frame = int(np.argmax(~np.isfinite(x).all(axis=1)))
            raise ShapeError(f"{row}: motion {i} has NaN/inf at frame {frame}; expected finite features")
        out.append(x)
    return out


def _finite(emb: np.ndarray, what: str, names: Sequence[str]) -> np.ndarray:
    bad = ~np.isfinite(emb).all(axis=1)
    if bad.any():
        raise CheckpointError(f"evaluator gave NaN/inf {what} embeddings ({int(bad.sum())} of {len(emb)}, first "
                              f"for {names[int(np.argmax(bad))]!r}); expected finite embeddings: the evaluator "
                              "checkpoint is broken")
    return emb


class _Evaluation:
    """Shared state of one run: clips, caption embeddings, ground-truth embeddings, batching."""

    def __init__(self, evaluator: MotionEncoder, clips: StoreClips, config: EvaluationRunConfig):
        self.evaluator, self.clips, self.config = evaluator, clips, config
        n = len(clips)
        if n < config.batch_size:
            raise ShapeError(f"{clips.where}: {n} captioned clips, expected at least {config.batch_size} for one "
                             f"R-precision batch of {config.batch_size}")
        if clips.labels is not None and len(set(clips.labels)) < config.batch_size:
            raise ShapeError(f"{clips.where}: {len(set(clips.labels))} distinct {' x '.join(clips.label_keys)} "
                             f"labels, expected at least {config.batch_size} for batches of distinct labels "
                             "(evaluate without label keys to allow paraphrases in a batch)")
        self.pairs = config.pairs_for(n)
        if self.pairs < 1 or self.pairs >= n:
            raise ShapeError(f"{clips.where}: {n} clips for Diversity over {self.pairs} pairs; expected more "
                             "clips than pairs")
        flat = [c for caps in clips.captions for c in caps]
        self.offsets = np.cumsum([0] + [len(c) for c in clips.captions[:-1]])
        self.notes: set[str] = set()
        self.caption_emb = _finite(evaluator.encode_text(text_inputs(evaluator, clips, self.notes)), "text", flat)
        self.gt_emb = self.encode(clips.features, None, "ground truth")
        self.lengths = [len(x) for x in clips.features]
        self.retrieval_samples = 0

    def encode(self, motions: Sequence[np.ndarray], rng: np.random.Generator | None, row: str) -> np.ndarray:
        try:
            emb = self.evaluator.encode_motion(motions, rng=rng)
        except CheckpointError as exc:
            raise CheckpointError(f"{row} motions of {self.clips.where}: {exc}") from None
        return _finite(emb, f"{row} motion", self.clips.ids if len(motions) == len(self.clips) else
                       [f"generation {i}" for i in range(len(motions))])

    def draw_captions(self, rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
        choice = np.array([rng.integers(len(c)) for c in self.clips.captions])
        captions = [c[k] for c, k in zip(self.clips.captions, choice)]
        return captions, self.caption_emb[self.offsets + choice]

    def once(self, rng: np.random.Generator, motions_for: Callable[[list[str], np.random.Generator], list],
             generator: MotionGenerator | None, row: str) -> dict:
        captions, text_emb = self.draw_captions(rng)
        motions = _check_motions(motions_for(captions, rng), self.clips, row, len(self.clips))
        emb = self.encode(motions, rng, row)
        ret = r_precision(text_emb, emb, rng, batch_size=self.config.batch_size, labels=self.clips.labels)
        self.retrieval_samples = ret.num_samples
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", FewSamplesWarning)
            fid_value = fid(emb, self.gt_emb)
        if caught:
            self.notes.add(f"FID from {len(emb)} clips for {emb.shape[1]}-dim embeddings: rank-deficient "
                           "covariances, biased FID (use at least as many clips as dimensions)")
        out = {"r_precision": ret.r_precision, "fid": fid_value, "mm_dist": ret.mm_dist,
               "diversity": diversity(emb, rng, self.pairs)}
        if generator is not None and self.config.multimodality:
            out["multimodality"] = self.multimodality(generator, rng, row)
        return out

    def multimodality(self, generator: MotionGenerator, rng: np.random.Generator, row: str) -> float:
        c = self.config
        texts = min(c.mm_texts, len(self.clips))
        pick = rng.choice(len(self.clips), texts, replace=False)
        captions = [self.clips.captions[i][rng.integers(len(self.clips.captions[i]))] for i in pick]
        repeated = [cap for cap in captions for _ in range(c.mm_generations)]
        lengths = [self.lengths[i] for i in pick for _ in range(c.mm_generations)]
        motions = generator.generate(repeated, lengths, int(rng.integers(2 ** 31)))
        motions = _check_motions(motions, self.clips, f"{row} (MultiModality)", len(repeated))
        emb = self.encode(motions, rng, f"{row} (MultiModality)")
        return multimodality(emb.reshape(texts, c.mm_generations, -1), rng, c.mm_pairs)


def text_inputs(evaluator, clips: StoreClips, notes: set[str] | None = None) -> list:
    """What the evaluator reads for every caption (flat, clip by clip): the dataset's own ``word/POS`` tokens for
    an evaluator that reads them (the published T2M one) when the store has them, else the caption strings."""
    if clips.tokens is not None and getattr(evaluator, "reads_tokens", False):
        if notes is not None:
            notes.add("captions entered the evaluator as the dataset's own word/POS tokens (HumanML3D's protocol)")
        return [t for toks in clips.tokens for t in toks]
    return [c for caps in clips.captions for c in caps]


def _joints(features: Sequence[np.ndarray], layout: FeatureLayout) -> list[np.ndarray]:
    return [np.asarray(features_to_joints(np.asarray(x, np.float64), layout)) for x in features]


def _physics(motions: Sequence[np.ndarray], layout: FeatureLayout, fps: float) -> dict[str, float]:
    return plausibility(_joints(motions, layout), fps, layout.skeleton)


def evaluate(evaluator: MotionEncoder, clips: StoreClips, *, fps: float = 20.0,
             layout: FeatureLayout | None = None, tokenizer=None, generator: MotionGenerator | None = None,
             config: EvaluationRunConfig | None = None, progress: Callable[[str], None] | None = None) -> EvalReport:
    """Evaluate the rows (real motion; reconstruction with ``tokenizer``; generated with ``generator``).

    ``clips``: captioned clips of the evaluated split (:func:`~.store_data.captioned_clips`), raw features at
    ``fps`` in ``layout`` (default: SMPL-22's 263 features). ``progress(message)`` is called as rows start.
    """
    config = config or EvaluationRunConfig()
    layout = layout or FeatureLayout()
    say = progress or (lambda message: None)
    start = time.perf_counter()
    run = _Evaluation(evaluator, clips, config)
    gt = clips.features
    rows = []

    def add_row(name: str, motions_for, generator_=None, once: Callable[[], dict] | None = None) -> None:
        say(f"{name}: {config.times} replication(s)")
        t0 = time.perf_counter()
        metrics = replicate(lambda rng: run.once(rng, motions_for, generator_, name), times=config.times,
                            seed=config.seed)
        rows.append(RowResult(name, metrics, once() if once else {}, time.perf_counter() - t0))

    add_row(REAL, lambda captions, rng: gt, once=lambda: _physics(gt, layout, fps))
    if tokenizer is not None:
        say("reconstruction: encoding and decoding the clips")
        recon = _check_motions(reconstruct_all(tokenizer, gt), clips, RECONSTRUCTION, len(clips))
        recon = [r[:len(g)] for r, g in zip(recon, gt)]

        def recon_once() -> dict:
            pred, true = np.concatenate(_joints(recon, layout)), np.concatenate(_joints(gt, layout))
            return {"mpjpe_mm": mpjpe_mm(pred, true), "mpjpe_root_aligned_mm": mpjpe_mm(pred, true, align_root=True),
                    **_physics(recon, layout, fps)}

        add_row(RECONSTRUCTION, lambda captions, rng: recon, once=recon_once)
    if generator is not None:
        first: list = []

        def generate(captions: list[str], rng: np.random.Generator) -> list[np.ndarray]:
            motions = generator.generate(captions, run.lengths, int(rng.integers(2 ** 31)))
            if not first:
                first.append(motions)
            return motions

        add_row(GENERATED, generate, generator,
                once=lambda: _physics(_check_motions(first[0], clips, GENERATED, len(clips)), layout, fps))
    info = {
        "where": clips.where, "clips": len(clips), "skipped_uncaptioned": clips.skipped, "mode": config.mode,
        "replications": config.times, "seed": config.seed, "batch_size": config.batch_size,
        "distinct_labels": None if clips.labels is None else list(clips.label_keys),
        "retrieval_samples": run.retrieval_samples, "diversity_pairs": run.pairs,
        "multimodality": (f"{min(config.mm_texts, len(clips))} texts x {config.mm_generations} generations, "
                          f"{config.mm_pairs} pairs") if config.multimodality and generator is not None else None,
        "embed_dim": evaluator.embed_dim, "fps": fps, "notes": sorted(run.notes),
        "seconds": time.perf_counter() - start,
    }
    return EvalReport(rows, info)
