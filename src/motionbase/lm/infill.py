"""Constrained continuation, in-between and temporal inpainting on motion codes (MoMask-style edits).

All three are one constrained decoding call (:func:`~motionbase.lm.generate.generate`, whose
:class:`~motionbase.lm.generate.MotionConstraint` makes the answer exactly ``steps`` whole time steps):

* :func:`continue_codes` — a ``prediction`` request: "continue the motion ``prefix``" for ``steps`` steps;
* :func:`inbetween_codes` — an ``inbetween`` request: ``steps`` steps from ``start`` to ``end``;
* :func:`inpaint_codes` — temporal inpainting: steps ``a..b`` (half-open) of ``codes`` are regenerated as the
  in-between of ``codes[:a]`` and ``codes[b:]`` (a continuation when ``b`` is the end); every other step is
  kept as it was. The span must leave at least one step before it (the LM's tasks condition on the past).

Context: the kept motion shown to the LM is trimmed to what fits its context next to the answer — the
tail of ``prefix``/``start`` and the head of ``end``, steps dropped from the longer of the two first: the model
conditions on the nearest motion, the rest is kept but not shown. Too many steps to generate at once is
one clear error.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from ..errors import MotionbaseError
from .generate import _SECONDS_SLACK, GenerationOptions, MotionRequest, _prompt_ids, generate
from .model import MotionLM


def _codes(x, what: str, P: int) -> np.ndarray:
    a = np.asarray(x, dtype=np.int64)
    if a.ndim != 2 or a.shape[1] != P or len(a) == 0:
        raise MotionbaseError(f"{what}: codes of shape {a.shape}; expected (steps >= 1, {P})")
    return a


def _room(lm: MotionLM, request: MotionRequest, steps: int) -> int:
    """Tokens the prompt of ``request`` plus a ``steps``-step answer exceed the context by (<= 0: fits)."""
    prompt = _prompt_ids(lm, request, steps, 0)
    return len(prompt) + steps * lm.vocab.tokens_per_step + 3 + _SECONDS_SLACK - lm.context_length


def _fit(lm: MotionLM, request: MotionRequest, steps: int, slots: tuple[str, ...]) -> MotionRequest:
    """``request`` with its motion ``slots`` trimmed (tail of the first, head of the second) to fit."""
    P = lm.vocab.tokens_per_step
    for _ in range(4):  # the prompt's length depends a little on the seconds text: settle in a few rounds
        excess = _room(lm, request, steps)
        if excess <= 0:
            return request
        drop = math.ceil(excess / P)
        sizes = {s: len(getattr(request, s)) for s in slots}
        if sum(sizes.values()) - drop < len(slots):
            break
        new = dict(sizes)
        for _ in range(drop):  # drop from the longest slot first
            longest = max(new, key=lambda s: new[s])
            new[longest] -= 1
        fields = {}
        for i, s in enumerate(slots):
            a = getattr(request, s)
            fields[s] = a[len(a) - new[s]:] if i == 0 else a[:new[s]]
        request = replace(request, **fields)
    seconds = steps / lm.codec.codes_per_second
    raise MotionbaseError(f"{steps} new time steps ({seconds:g} s) leave no room in the LM's {lm.context_length}-token "
                          "context for the motion around them; generate a shorter span")


def _one(lm: MotionLM, request: MotionRequest, steps: int,
         options: GenerationOptions | None) -> tuple[np.ndarray, bool]:
    if steps < 1:
        raise MotionbaseError(f"{steps} time steps to generate; expected at least 1")
    options = replace(options or GenerationOptions(), seconds=None)
    [res] = generate(lm, [replace(request, seconds=steps / lm.codec.codes_per_second)], options)
    if res.codes is None or len(res.codes) != steps:
        got = 0 if res.codes is None else len(res.codes)
        raise MotionbaseError(f"the LM gave {got} of the {steps} time steps asked for (cut at its context); "
                              "generate a shorter span")
    return res.codes, res.closed


def continue_codes(lm: MotionLM, prefix, steps: int, caption: str | None = None,
                   options: GenerationOptions | None = None) -> tuple[np.ndarray, bool]:
    """``steps`` new time steps that continue ``prefix`` (N, P); returns (new codes, closed)."""
    prefix = _codes(prefix, "prefix", lm.vocab.tokens_per_step)
    request = _fit(lm, MotionRequest("prediction", caption=caption, prefix=prefix), steps, ("prefix",))
    return _one(lm, request, steps, options)


def inbetween_codes(lm: MotionLM, start, end, steps: int, caption: str | None = None,
                    options: GenerationOptions | None = None) -> tuple[np.ndarray, bool]:
    """``steps`` new time steps between ``start`` and ``end`` (each (N, P)); returns (new codes, closed)."""
    P = lm.vocab.tokens_per_step
    start, end = _codes(start, "start", P), _codes(end, "end", P)
    request = _fit(lm, MotionRequest("inbetween", caption=caption, start=start, end=end), steps, ("start", "end"))
    return _one(lm, request, steps, options)


def inpaint_codes(lm: MotionLM, codes, a: int, b: int, caption: str | None = None,
                  options: GenerationOptions | None = None) -> tuple[np.ndarray, bool]:
    """``codes`` with steps ``a..b`` (half-open) regenerated and all others kept; returns (codes, closed)."""
    codes = _codes(codes, "motion", lm.vocab.tokens_per_step)
    n = len(codes)
    if not (isinstance(a, (int, np.integer)) and isinstance(b, (int, np.integer))) or not 1 <= a < b <= n:
        raise MotionbaseError(f"inpainting span {a}..{b} (code steps): expected 1 <= start < end <= {n} (the motion "
                              "has that many steps; at least one step before the span is kept)")
    if b == n:
        new, closed = continue_codes(lm, codes[:a], b - a, caption, options)
    else:
        new, closed = inbetween_codes(lm, codes[:a], codes[b:], b - a, caption, options)
    return np.concatenate([codes[:a], new, codes[b:]]), closed
