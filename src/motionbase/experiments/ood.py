"""The out-of-domain question (paper Table 5, section 5.4): held-out contents, and what each metric says there.

Every fourth of the store's ``content`` labels (sorted; at least one) is held out: the LM (and, unless one is
given, the evaluator) trains on the train split's clips of the other contents. The same model is then evaluated
on the test split's clips of the seen contents and on those of the held-out contents, with the evaluator's
metrics (R-precision, FID, MM-Dist) beside the evaluator-free geometric checks: the physics checks
(:func:`motionbase.metrics.physics.plausibility`: foot skating, jitter, floor penetration) and, for
Bandai-Namco contents, the prompt-following checks (:mod:`motionbase.evaluate.prompt_following`: which hand,
which way a walk turns, does it travel), each on the generated motions and, as the reference, on the real ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..data.labels import contents
from ..errors import MotionbaseError

HOLD_OUT_EVERY = 4


def held_out_contents(store: Any) -> list[str]:
    """Every ``HOLD_OUT_EVERY``-th of the store's distinct content labels, sorted; an error with fewer than two."""
    names = sorted({c for c in contents(store) if c})
    if len(names) < 2:
        raise MotionbaseError(f"{getattr(store, 'path', 'store')}: the ood experiment needs clips labelled with at "
                              f"least two contents (labels 'content'); found {len(names)}")
    return names[::HOLD_OUT_EVERY]


def content_view(view: Any, held: list[str], *, unseen: bool) -> Any:
    """The clips of ``view`` whose content is (``unseen``) or is not among ``held``."""
    keep = [i for i, c in enumerate(contents(view)) if (c in held) == unseen]
    if not keep:
        raise MotionbaseError(f"no {'held-out' if unseen else 'seen'}-content clip in this split; contents held out: "
                              f"{', '.join(held)}")
    return view.take(np.asarray(keep))


class _KeepFirst:
    """A motion generator that keeps the motions of its first call (the first replication)."""

    def __init__(self, generator):
        self.generator, self.first = generator, None

    def generate(self, captions, lengths_frames, seed):
        motions = self.generator.generate(captions, lengths_frames, seed)
        if self.first is None:
            self.first = motions
        return motions

    def __getattr__(self, name):
        return getattr(self.generator, name)


def prompt_pass(motions: list[np.ndarray], labels: list[str], layout: Any, fps: float) -> tuple[float, int]:
    """(share of passed prompt-following checks, number of checks) over motions with a checkable content."""
    from ..evaluate.prompt_following import expectations, judge
    from ..features.humanml3d import features_to_joints

    checks = []
    for m, content in zip(motions, labels):
        if expectations(content):
            checks += judge(content, np.asarray(features_to_joints(np.asarray(m, np.float64), layout)), fps)
    return (float(np.mean([c.ok for c in checks])), len(checks)) if checks else (float("nan"), 0)


def evaluate_ood(store_path: Path, evaluator: Path, tok_dir: Path, model_dir: Path, held: list[str], test_on: str,
                 *, seed: int, replications: int, device: str | None) -> dict:
    """The metrics of the LM at ``model_dir`` on the test split's ``test_on`` ("seen" | "unseen") contents."""
    from ..data.store import ClipStore
    from ..evaluate.from_paths import load_evaluator
    from ..evaluate.generators import LMGenerator
    from ..metrics.retrieval import R_PRECISION_BATCH
    from ..evaluate.run import EvaluationRunConfig, evaluate
    from ..evaluate.store_data import captioned_clips

    store = ClipStore.open(store_path)
    both = {t: captioned_clips(content_view(store.split("test"), held, unseen=t == "unseen"), None, what="evaluation")
            for t in ("seen", "unseen")}
    clips = both[test_on]
    model = load_evaluator(evaluator, None, store.info, store_path, device)
    fps = float(store.info.fps)
    gen = _KeepFirst(LMGenerator.from_pretrained(model_dir, tok_dir, device=device, fps=fps))
    # one R-precision batch size for both test sets (their chance levels must match): 32, or fewer where a set has
    # fewer clips or distinct labels (a batch holds distinct ones)
    batch = min([R_PRECISION_BATCH] + [len(set(c.labels)) if c.labels else len(c) for c in both.values()])
    report = evaluate(model, clips, fps=fps, layout=store.layout, generator=gen,
                      config=EvaluationRunConfig(mode="no-mm", seed=seed, replications=replications, batch_size=batch))
    g = next(r for r in report.rows if r.name == "generated")
    real = next(r for r in report.rows if r.name == "real motion")
    r = np.atleast_1d(g.metrics["r_precision"].mean)
    label_of = dict(zip(store.ids, contents(store)))
    labels = [label_of[cid] for cid in clips.ids]
    gen_pass, n_checks = prompt_pass(gen.first, labels, store.layout, fps)
    real_pass, _ = prompt_pass(clips.features, labels, store.layout, fps)
    metrics = {"r_precision_top1": float(r[0]), "r_precision_top3": float(r[2]),
               "fid": float(g.metrics["fid"].mean), "mm_dist": float(g.metrics["mm_dist"].mean),
               "real_r_precision_top3": float(np.atleast_1d(real.metrics["r_precision"].mean)[2]),
               "real_mm_dist": float(real.metrics["mm_dist"].mean),
               "skating_ratio": g.once["skating_ratio"], "jitter_m_s3": g.once["jitter_m_s3"],
               "penetration_m": g.once["penetration_m"], "real_skating_ratio": real.once["skating_ratio"],
               "real_jitter_m_s3": real.once["jitter_m_s3"], "test_clips": report.info["clips"], "r_precision_batch": batch}
    if n_checks:
        metrics.update(prompt_pass=gen_pass, real_prompt_pass=real_pass, prompt_checks=n_checks)
    return metrics
