"""Every generation task on motions people hold: continue, in-between, temporal inpainting, long motions.

Functions over a :class:`~motionbase.generation.MotionGenerator` (what ``motionbase generate --from /
--between / --inpaint / --seconds`` and the web app call); the code-level decoding is in
:mod:`motionbase.lm.infill` (constrained: the new part has exactly the asked number of code steps).

Motions come in as joints (T, 22, 3) metres at 20 fps or HumanML3D features (T, 263); they are encoded
with the generator's motion tokenizer after cutting them to whole code steps (a multiple of α feature
rows, α = 20 / codes_per_second; the cut is said in :attr:`TaskResult.notes`).

What is kept: the **feature rows** outside the generated part are the source's own, bit for bit (the whole
code sequence is decoded once for continuity, and only the generated rows are taken from the decoding).
Joints are recovered from the features: frames before the generated part are identical to the source's
recovered joints; after it (in-between, inpainting) the body poses are the source's, while the global
position and heading follow the new part, because HumanML3D features store the root as velocities.
Spans snap outwards to code steps (α frames); the result names the span that was regenerated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import FormatError, MotionbaseError
from .generation import FPS, GeneratedMotion, MotionGenerator, Sampling, _as_features
from .lm.codec import decode_features


@dataclass
class TaskResult:
    """motion: the result; generated: feature rows (start, end) that are new; notes: what was cut/snapped."""

    motion: GeneratedMotion
    generated: tuple[int, int]
    notes: list[str] = field(default_factory=list)


def load_motion_file(path) -> np.ndarray:
    """A motion from a file: ``.npy`` joints (T, J, 3) metres or HumanML3D features (T, 263) as stored, or a
    ``.bvh`` (its SMPL-22 joints); :class:`~motionbase.errors.FormatError` naming the file otherwise."""
    from pathlib import Path

    # deferred for a quick start: imports scipy
    from .features.layout import FeatureLayout
    from .skeleton import SKELETONS

    path = Path(path)
    if path.suffix.lower() == ".bvh":
        # deferred for a quick start: imports scipy
        from .formats.bvh import load_bvh

        return load_bvh(path).joints_m
    if path.suffix.lower() != ".npy":
        raise FormatError(path, "expected a .npy (joints (T, J, 3) or features (T, 263)), a .bvh or STORE::ID")
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise FormatError(path, f"not a readable .npy file ({str(exc).splitlines()[0]})") from None
    dims = sorted({FeatureLayout(sk).dim for sk in SKELETONS.values()})
    if not ((arr.ndim == 2 and arr.shape[1] in dims) or (arr.ndim == 3 and arr.shape[-1] == 3)):
        raise FormatError(path, f"array {arr.shape}; expected joints (T, J, 3) metres or features "
                                f"(T, {' or '.join(map(str, dims))})")
    finite = np.isfinite(arr.reshape(len(arr), -1)).all(axis=1)
    if not finite.all():
        raise FormatError(path, "NaN/inf in the motion", frame=int(np.argmin(finite)))
    return arr


def _alpha(gen: MotionGenerator) -> int:
    return int(round(FPS / gen.codes_per_second))


def _steps(gen: MotionGenerator, seconds: float, what: str) -> int:
    from .lm.generate import check_seconds  # transformers: the LM side is imported at first use

    if seconds is None:
        raise MotionbaseError(f"{what}: no seconds given; expected a positive, finite length of new motion")
    check_seconds(seconds, what)
    return max(1, round(seconds * gen.codes_per_second))


def _encoded(gen: MotionGenerator, motion, what: str, notes: list[str],
             mirrored: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(features cut to whole code steps, their codes (N, P)); ``mirrored``: of the motion's mirror image
    (the LM reads a "left" prompt in its canonical side, :meth:`MotionGenerator.canonical_prompt`)."""
    feats = _as_features(motion)
    if mirrored:
        # deferred for a quick start: imports scipy
        from .features.mirror import mirror_features

        feats = mirror_features(feats)
    alpha = _alpha(gen)
    n = len(feats) // alpha
    if n < 1:
        raise MotionbaseError(f"{what}: {len(feats)} feature frames; expected at least {alpha} (one code step)")
    if len(feats) != n * alpha:
        notes.append(f"{what}: cut from {len(feats)} to {n * alpha} frames (whole code steps of {alpha} frames)")
    feats = np.ascontiguousarray(feats[:n * alpha], np.float32)
    codes = gen.tokenizer.encode(feats)
    codes = np.asarray(codes.detach().cpu().numpy() if hasattr(codes, "detach") else codes, np.int64)
    return feats, codes


def _spliced(gen: MotionGenerator, label: str, codes: np.ndarray, pieces: list[np.ndarray | None], closed: bool,
             prompt: str | None, mirrored: bool = False) -> tuple[GeneratedMotion, tuple[int, int]]:
    """Decode ``codes``; rows of ``pieces`` that are arrays are kept, the one None piece comes from the decoding.
    ``mirrored``: codes and pieces are of the mirror image (see :func:`_encoded`); the result is mirrored back
    (the kept rows exactly: mirroring is a permutation with signs)."""
    # deferred for a quick start: imports scipy
    from .features.humanml3d import features_to_joints

    decoded = decode_features(gen.tokenizer, codes)
    out, row, span = [], 0, (0, 0)
    alpha = _alpha(gen)
    for piece in pieces:
        if piece is None:
            n = len(decoded) - sum(len(p) for p in pieces if p is not None)
            out.append(decoded[row:row + n])
            span = (row, row + n)
            row += n
        else:
            out.append(piece)
            row += len(piece)
    feats = np.concatenate(out).astype(np.float32)
    assert len(feats) == len(codes) * alpha
    if mirrored:
        feats, codes = gen.mirrored(feats)
    joints = features_to_joints(feats.astype(np.float64), final_frame=True).astype(np.float32)
    familiarity = gen.check_prompt(prompt) if prompt else None
    return GeneratedMotion(label, np.asarray(codes, np.int64), feats, joints, bool(closed), familiarity), span


def _label(task: str, prompt: str | None) -> str:
    return f"{task}: {prompt}" if prompt else task


def continue_motion(gen: MotionGenerator, motion, seconds: float, prompt: str | None = None,
                    sampling: Sampling | None = None) -> TaskResult:
    """``motion`` followed by ``seconds`` of new motion (optionally described by ``prompt``)."""
    # deferred for a quick start: imports torch, transformers
    from .lm.infill import continue_codes

    notes: list[str] = []
    read, flip = gen.canonical_prompt(prompt)
    feats, codes = _encoded(gen, motion, "--from motion", notes, flip)
    new, closed = continue_codes(gen.lm, codes, _steps(gen, seconds, "continue"), read,
                                 (sampling or Sampling()).options())
    m, span = _spliced(gen, _label("continued", prompt), np.concatenate([codes, new]), [feats, None], closed, prompt,
                       flip)
    return TaskResult(m, span, notes)


def between_motions(gen: MotionGenerator, first, second, seconds: float, prompt: str | None = None,
                    sampling: Sampling | None = None) -> TaskResult:
    """``first``, then ``seconds`` of new motion leading into ``second``, then ``second``."""
    # deferred for a quick start: imports torch, transformers
    from .lm.infill import inbetween_codes

    notes: list[str] = []
    read, flip = gen.canonical_prompt(prompt)
    fa, ca = _encoded(gen, first, "first motion", notes, flip)
    fb, cb = _encoded(gen, second, "second motion", notes, flip)
    new, closed = inbetween_codes(gen.lm, ca, cb, _steps(gen, seconds, "in-between"), read,
                                  (sampling or Sampling()).options())
    m, span = _spliced(gen, _label("in-between", prompt), np.concatenate([ca, new, cb]), [fa, None, fb], closed,
                       prompt, flip)
    return TaskResult(m, span, notes)


def parse_span(text: str) -> tuple[int, int]:
    """``"a:b"`` (frames at 20 fps, b exclusive) -> (a, b); one clear error otherwise."""
    parts = str(text).split(":")
    try:
        a, b = (int(p) for p in parts)
    except ValueError:
        raise MotionbaseError(f"--inpaint {text!r}: expected START:END in frames (20 fps), e.g. 40:80") from None
    if not 0 <= a < b:
        raise MotionbaseError(f"--inpaint {text!r}: expected 0 <= START < END (frames)")
    return a, b


def inpaint_motion(gen: MotionGenerator, motion, start_frame: int, end_frame: int, prompt: str | None = None,
                   sampling: Sampling | None = None) -> TaskResult:
    """``motion`` with frames ``start_frame..end_frame`` (end exclusive, snapped outwards to code steps)
    regenerated, every other frame kept."""
    # deferred for a quick start: imports torch, transformers
    from .lm.infill import inpaint_codes

    notes: list[str] = []
    read, flip = gen.canonical_prompt(prompt)
    feats, codes = _encoded(gen, motion, "--from motion", notes, flip)
    alpha, n = _alpha(gen), len(codes)
    if not 0 <= start_frame < end_frame or end_frame > n * alpha:
        raise MotionbaseError(f"inpainting frames {start_frame}:{end_frame}: expected 0 <= start < end <= {n * alpha} "
                              f"(the motion's {n * alpha} frames)")
    a, b = start_frame // alpha, -(-end_frame // alpha)
    if a < 1:
        raise MotionbaseError(f"inpainting frames {start_frame}:{end_frame}: the span must start at frame {alpha} or "
                              f"later (at least one code step of {alpha} frames before it is kept)")
    if (a * alpha, b * alpha) != (start_frame, end_frame):
        notes.append(f"span {start_frame}:{end_frame} snapped to code steps: frames {a * alpha}:{b * alpha}")
    new_codes, closed = inpaint_codes(gen.lm, codes, a, b, read, (sampling or Sampling()).options())
    pieces = [feats[:a * alpha], None] + ([feats[b * alpha:]] if b < n else [])
    m, span = _spliced(gen, _label("inpainted", prompt), new_codes, pieces, closed, prompt, flip)
    return TaskResult(m, span, notes)


def long_motion(gen: MotionGenerator, prompt: str, seconds: float, sampling: Sampling | None = None,
                overlap_seconds: float = 1.0) -> TaskResult:
    """``seconds`` of motion for ``prompt``, window by window (:func:`~motionbase.lm.generate.generate_long`):
    for lengths beyond one context."""
    from dataclasses import replace

    # deferred for a quick start: imports torch, transformers
    from .lm.generate import MotionRequest, generate_long

    steps = _steps(gen, seconds, "long generation")
    options = replace((sampling or Sampling()).options(), overlap_seconds=overlap_seconds)
    read, flip = gen.canonical_prompt(prompt)
    [res] = generate_long(gen.lm, [MotionRequest("t2m", caption=read, seconds=steps / gen.codes_per_second)],
                          options)
    m = gen._motion(prompt, res.codes, res.closed, gen.check_prompt(prompt), mirrored=flip)
    notes = [] if len(res.codes) == steps else [f"stopped after {len(res.codes)} of {steps} code steps (a window "
                                                "came back cut)"]
    return TaskResult(m, (0, len(m.features)), notes)


def needs_windows(gen: MotionGenerator, prompt: str, seconds: float | None) -> bool:
    """True when ``seconds`` of motion do not fit one context after ``prompt``."""
    if seconds is None:
        return False
    limit = gen.max_seconds(prompt)
    return round(seconds * gen.codes_per_second) > round(limit * gen.codes_per_second)
