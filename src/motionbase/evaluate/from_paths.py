"""Evaluation from checkpoint and store paths: what ``motionbase evaluate`` and the benchmark call.

Opens the store's split, loads the evaluator (and the motion tokenizer and LM when given), checks that they
fit together — the evaluator was trained on features of the store's width and skeleton, the tokenizer
encodes that width — and runs :func:`~.run.evaluate`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from ..errors import CheckpointError, MotionbaseError
from .run import EvalReport, RunConfig, evaluate
from .store_data import LABEL_KEYS, captioned_clips


def evaluate_paths(store: str | os.PathLike, evaluator: str | os.PathLike, *, split: str = "test",
                   tokenizer: str | os.PathLike | None = None, lm: str | os.PathLike | None = None,
                   config: RunConfig | None = None, label_keys: Sequence[str] = LABEL_KEYS,
                   device: str | None = None, progress: Callable[[str], None] | None = None,
                   sampling: dict | None = None) -> EvalReport:
    """Evaluate split ``split`` of the clip store at ``store`` with the evaluator checkpoint ``evaluator``.

    ``tokenizer``: a motion tokenizer checkpoint (adds the reconstruction row); ``lm``: a motion LM
    checkpoint (adds the generated row; needs the tokenizer it was trained with).
    """
    from ..data.store import ClipStore
    from .evaluator import TextMotionEvaluator

    if lm is not None and tokenizer is None:
        raise MotionbaseError("--lm needs --tokenizer: the motion tokenizer the LM was trained with decodes its codes")
    clip_store = ClipStore.open(store)
    info = clip_store.info
    model = TextMotionEvaluator.from_pretrained(evaluator, device=device or "cpu")
    try:
        model.check_compatible(info.feature_dim, info.skeleton)
    except CheckpointError as exc:
        raise CheckpointError(f"{evaluator} vs {store}: {exc}") from None
    clips = captioned_clips(clip_store, split or None, label_keys=label_keys, what="evaluation")
    tok = gen = None
    if tokenizer is not None:
        from ..tokenizer import MotionTokenizer

        tok = MotionTokenizer.from_pretrained(tokenizer, device=device)
        if tok.config.feature_dim != info.feature_dim:
            raise CheckpointError(f"tokenizer {tokenizer} encodes {tok.config.feature_dim}-dim features, but "
                                  f"store {store} holds {info.feature_dim}-dim features")
    if lm is not None:
        from .generators import LMGenerator

        gen = LMGenerator.from_pretrained(lm, tokenizer, device=device, fps=info.fps, **(sampling or {}))
    return evaluate(model, clips, fps=info.fps, layout=clip_store.layout, tokenizer=tok, generator=gen,
                    config=config, progress=progress)
