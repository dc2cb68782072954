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


def evaluate_paths(store: str | os.PathLike, evaluator: str | os.PathLike | None, *, split: str = "test",
                   tokenizer: str | os.PathLike | None = None, lm: str | os.PathLike | None = None,
                   config: RunConfig | None = None, label_keys: Sequence[str] = LABEL_KEYS,
                   device: str | None = None, progress: Callable[[str], None] | None = None,
                   sampling: dict | None = None, t2m_evaluator: str | os.PathLike | None = None,
                   length_filter: bool | None = None) -> EvalReport:
    """Evaluate split ``split`` of the clip store at ``store`` with the evaluator checkpoint ``evaluator``.

    ``tokenizer``: a motion tokenizer checkpoint (adds the reconstruction row); ``lm``: a motion LM
    checkpoint (adds the generated row; needs the tokenizer it was trained with). ``t2m_evaluator``: a
    folder with the published T2M evaluator's files (:mod:`.t2m_dir`), instead of ``evaluator``.
    ``length_filter``: the HumanML3D protocol's 40-199-frame filter (None: on for HumanML3D stores).
    """
    from ..data.length_filter import resolve
    from ..data.store import ClipStore

    if lm is not None and tokenizer is None:
        raise MotionbaseError("--lm needs --tokenizer: the motion tokenizer the LM was trained with decodes its codes")
    clip_store = ClipStore.open(store)
    info = clip_store.info
    model = load_evaluator(evaluator, t2m_evaluator, info, store, device)
    clips = captioned_clips(clip_store, split or None, label_keys=label_keys, what="evaluation",
                            length_filter=resolve(clip_store, length_filter))
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


def load_evaluator(evaluator: str | os.PathLike | None, t2m_evaluator: str | os.PathLike | None, info,
                   store: str | os.PathLike, device: str | None = None):
    """Our evaluator checkpoint or the published T2M one (exactly one given), checked against the store."""
    if (evaluator is None) == (t2m_evaluator is None):
        raise MotionbaseError("give one evaluator: --evaluator (a motionbase checkpoint) or --t2m-evaluator "
                              "(a folder with the published T2M evaluator's files)")
    if t2m_evaluator is not None:
        from .t2m_dir import load_t2m_dir

        model = load_t2m_dir(t2m_evaluator, device)
        width = int(model.feature_mean.numel())
        if width != info.feature_dim:
            raise CheckpointError(f"{t2m_evaluator} vs {store}: the T2M evaluator reads {width}-dim features, the "
                                  f"store holds {info.feature_dim}-dim features")
        return model
    from .evaluator import TextMotionEvaluator

    model = TextMotionEvaluator.from_pretrained(evaluator, device=device or "cpu")
    try:
        model.check_compatible(info.feature_dim, info.skeleton)
    except CheckpointError as exc:
        raise CheckpointError(f"{evaluator} vs {store}: {exc}") from None
    return model


def evaluate_m2t_paths(store: str | os.PathLike, *, lm: str | os.PathLike, tokenizer: str | os.PathLike,
                       evaluator: str | os.PathLike | None = None, t2m_evaluator: str | os.PathLike | None = None,
                       split: str = "test", replications: int = 20, seed: int = 0,
                       label_keys: Sequence[str] = LABEL_KEYS, device: str | None = None,
                       length_filter: bool | None = None, progress: Callable[[str], None] | None = None):
    """Motion-to-text metrics (:mod:`.m2t`) of split ``split``: the LM captions every captioned clip; the
    evaluator (ours or the published T2M one; optional) adds R-precision of the captions."""
    from ..data.length_filter import resolve
    from ..data.store import ClipStore
    from .m2t import LMCaptioner, evaluate_m2t

    say = progress or (lambda message: None)
    clip_store = ClipStore.open(store)
    model = None
    if evaluator is not None or t2m_evaluator is not None:
        model = load_evaluator(evaluator, t2m_evaluator, clip_store.info, store, device)
    clips = captioned_clips(clip_store, split or None, label_keys=label_keys, what="evaluation",
                            length_filter=resolve(clip_store, length_filter))
    captioner = LMCaptioner.from_pretrained(lm, tokenizer, device=device)
    say(f"captioning {len(clips)} clips with {lm}")
    captions = captioner.caption(clips.features, progress=lambda n: say(f"  {n}/{len(clips)} captioned"))
    report = evaluate_m2t(clips, captions, model, replications=replications, seed=seed)
    report.info["cropped_to_context"] = captioner.cropped
    return report
