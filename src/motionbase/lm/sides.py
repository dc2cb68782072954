"""Canonical sides: how a model trained with ``LMConfig.canonical_sides`` reads a prompt that names "left".

Such a model saw text conditions only in their canonical side ("right" named first,
:func:`motionbase.data.text.canonical_side`); the clips behind the "left" captions reached it as their mirrored
twins. So a prompt naming "left" first is read mirrored, and the answer's motion is mirrored back
(:func:`motionbase.features.mirror.mirror_features`, exact): the two sides of an action are mirror images by
construction, and the model cannot confuse them. Every caller that turns a prompt into motion goes through
:func:`read_prompts` (the generator facade, the generation tasks, the evaluation runner).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..data.text import canonical_side
from .config import LMConfig


def read_prompts(config: LMConfig, prompts: Sequence[str | None]) -> tuple[list[str | None], list[bool]]:
    """(the prompts as the model reads them, whether each answer must be mirrored back)."""
    if not config.canonical_sides:
        return list(prompts), [False] * len(prompts)
    pairs = [canonical_side(p) if p else (p, False) for p in prompts]
    return [p for p, _ in pairs], [f for _, f in pairs]
