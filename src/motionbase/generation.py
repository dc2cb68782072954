"""Text -> motion and motion -> text for people: one object over the motion LM and its motion tokenizer.

:class:`MotionGenerator` loads a motion LM and the motion tokenizer it was trained with (given
directories, or the shipped defaults of :mod:`motionbase.defaults.paths`), checks prompts against the
training captions (:mod:`motionbase.defaults.familiarity`), and turns answers into what people use::

    gen = MotionGenerator.load()                       # or .load(lm_dir, tokenizer_dir)
    [m] = gen.text_to_motion(["a person waves the left hand"], seconds=4, seed=0)
    gen.save(m, "out/", "wave")                        # wave.npy (joints), .mp4, .gif, .bvh, .codes.npy, .json
    edit = gen.edit_parts("a person walks forward", "a person waves both hands", ["arms"], seconds=4)
    gen.motion_to_text(joints_m)                       # -> "a person waves ..."

Lengths: ``seconds`` gives exactly ``round(seconds * codes_per_second)`` code steps, which decode to
``steps * alpha`` feature rows and ``steps * alpha + 1`` joint frames at 20 fps (a motion of
``steps * alpha / 20`` s); without it the model ends the motion itself (``</mot>``), and a motion it
never ends is cut at the context and comes back with ``closed=False``.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from .config import Config
from .defaults.familiarity import CAPTIONS_FILE, CaptionIndex, FamiliarityConfig, FamiliarityReport
from .devices import resolve_device
from .errors import MotionbaseError, ShapeError
from .io import atomic_save_npy, atomic_write_text
from .lm.codec import CodecInfo, MotionCodec, decode_features

if TYPE_CHECKING:  # torch / transformers are imported when a model is loaded, not with this module
    from .lm.model import MotionLM
    from .tokenizer.model import MotionTokenizer

FPS = 20.0
# Friendly names for groups of a body-grouped 2D tokenizer's components.
PART_ALIASES: dict[str, tuple[str, ...]] = {
    "arms": ("left_arm", "right_arm"),
    "legs": ("left_leg", "right_leg"),
}
SAVED_KINDS = ("npy", "codes", "mp4", "gif", "bvh", "json")
# Classifier-free guidance for text -> motion (lm.guidance). The negative is the model's own ("auto"): the
# unconditional instruction for a canonical-sides model such as the shipped default, the mirrored prompt for
# others. Scale 3 for the shipped default: on 15 selection seeds of benchmarks/sampling_sweep.py (seeds the
# default_model benchmark does not use) the hand question falls steadily with the scale (92.5 / 90.2 / 88.7 / 87.3 %
# at 3 / 4 / 5 / 6; at 2 turns give way), the headline 93.7 % at 3 vs 92.3 % at 4 (91.9 at 2); the default_model
# benchmark then measured 95.2 % vs 92.7 %, R@1 0.752 vs 0.774, FID 0.141 vs 0.135 (docs/GENERATION.md). 4 was
# chosen before on 5 seeds; 8 raised hands in turning walks. The previous default (no canonical sides) used 8.
# The session-13 default was chosen at 3 with the warm-up below (docs/GENERATION.md).
DEFAULT_GUIDANCE = 3.0
DEFAULT_GUIDANCE_NEGATIVE = "auto"  # the model's own: lm.guidance
# Seconds of motion over which guidance ramps up from none (lm.guided_decode). Full guidance from the first token
# skips the rest pose real takes start in, and a gesture then has no rise for the eye (or the hand check) to see.
# The session-13 default follows 92.3 % of the checks without a warm-up and 95.6 % with 0.5 s on the 15 selection
# seeds it was chosen on, but 93.5 vs 92.8 % on the default_model benchmark's 20 seeds (94.0 vs 93.0 % over both);
# the previous default, trained differently, lost with it (93.5 -> 89.8 %; docs/GENERATION.md).
DEFAULT_GUIDANCE_WARMUP = 0.5
CAPTION_ROOM = 24  # tokens of context kept for a caption after the motion it describes


@dataclass
class GeneratedMotion:
    """One generated motion.

    codes: (N, P) int64 motion codes; features: (N * alpha, 263) float32 HumanML3D features (the codes decoded,
    then, unless the generator's ``plant_feet`` is off, the root moved so the stance toe stays put);
    joints: (N * alpha + 1, 22, 3) float32 metres, Y up, at :data:`FPS`. closed: the model ended the
    motion itself (or it has the asked length); False = cut at the context.
    """

    prompt: str
    codes: np.ndarray
    features: np.ndarray
    joints: np.ndarray
    closed: bool
    familiarity: FamiliarityReport | None = None
    fps: float = FPS
    read_as: str | None = None  # the caption the LM was given when the prompt mapper replaced the prompt

    @property
    def seconds(self) -> float:
        return (len(self.joints) - 1) / self.fps


@dataclass
class PartEdit:
    """``motion``: motion ``a`` with the codes of ``parts`` taken from motion ``b`` (same length)."""

    motion: GeneratedMotion
    a: GeneratedMotion
    b: GeneratedMotion
    parts: tuple[str, ...]


@dataclass(frozen=True)
class Sampling(Config):
    """How to sample codes. temperature 0 means greedy (argmax); seed None means a fresh random one."""

    seed: int | None = None
    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None
    guidance: float = DEFAULT_GUIDANCE
    guidance_negative: str = DEFAULT_GUIDANCE_NEGATIVE
    guidance_warmup: float = DEFAULT_GUIDANCE_WARMUP
    onset: bool = True  # motions start with codes the LM's training clips start with (motionbase.lm.onset)

    def options(self, seconds: float | None = None):
        # deferred for a quick start: imports torch, transformers
        from .lm.generate import GenerationOptions

        greedy = self.temperature == 0
        return GenerationOptions(temperature=1.0 if greedy else self.temperature, top_k=self.top_k,
                                 top_p=self.top_p, do_sample=not greedy, seconds=seconds,
                                 seed=self.seed, guidance=self.guidance,
                                 guidance_negative=self.guidance_negative,
                                 guidance_warmup=self.guidance_warmup, onset=self.onset).validate()


class GeneratorCodec(MotionCodec, Protocol):
    """The motion tokenizer as :class:`MotionGenerator` uses it: the LM's
    :class:`~motionbase.lm.codec.MotionCodec` (``encode`` features -> codes, ``decode`` codes -> features, K, P,
    steps per second) plus what part edits and messages need; :class:`~motionbase.tokenizer.MotionTokenizer`
    is one."""

    part_names: tuple[str, ...]  # components of 2D codes (``()`` for 1D)
    source: str  # the checkpoint it was loaded from

    def part_columns(self, part: str) -> list[int]: ...


def load_motion_tokenizer(path: str | os.PathLike, device: str | None = None) -> tuple[MotionTokenizer, CodecInfo]:
    """(tokenizer, its identity for the LM) of the motion tokenizer checkpoint at ``path``. Pairing the two
    models is the facade's job: the LM never imports the tokenizer."""
    from .tokenizer import MotionTokenizer  # torch: imported when a model is loaded

    tok = MotionTokenizer.from_pretrained(path, device=device)
    return tok, CodecInfo.of(tok, path)


class MotionGenerator:
    """A motion LM (:class:`~motionbase.lm.model.MotionLM`) and its motion tokenizer, behind one face.

    captions: the training-caption index (None: prompts are not checked, :attr:`familiarity_note` says why).
    prompt_mapper: a :class:`~motionbase.lm.prompt_map.PromptMapper` (pretrained text understanding), or
    ``"auto"``: the one saved with the LM, loaded at the first prompt when the sentence encoder is installed
    (:attr:`understanding_note` says when it is not). plant_feet: decoded motions keep the stance toe on the spot
    (:func:`motionbase.features.plant.plant_feet`; foot locking by moving the root).
    """

    def __init__(self, lm: MotionLM, tokenizer: GeneratorCodec, *, captions: CaptionIndex | None = None,
                 familiarity_note: str = "", source: str = "", prompt_mapper=None, plant_feet: bool = True):
        self.lm, self.tokenizer, self.captions = lm, tokenizer, captions
        self.plant_feet = plant_feet
        self.familiarity_note = familiarity_note
        self.source = source
        self._mapper = prompt_mapper
        self.understanding_note = ""

    @classmethod
    def load(cls, lm_dir: str | os.PathLike | None = None, tokenizer_dir: str | os.PathLike | None = None, *,
             device: str | None = None, familiarity: FamiliarityConfig | None = None,
             plant_feet: bool = True) -> MotionGenerator:
        """Load an LM and its motion tokenizer; either one not given is the shipped default.

        The LM refuses a tokenizer other than the one it was trained with (content hash). device:
        None = CUDA when available, else CPU.
        """
        try:
            import torch  # noqa: F401 (the LM extra is installed)

            from . import tokenizer as _tokenizer  # noqa: F401 (needs the tokenizer extra)
            from .lm.model import MotionLM
        except ImportError as exc:
            raise MotionbaseError(f"text-to-motion needs the LM extra ({exc.name} is not installed): "
                                  "pip install 'motionbase[llm,tokenizer]'") from None
        if lm_dir is None or tokenizer_dir is None:
            from .defaults.paths import default_checkpoints

            shipped = default_checkpoints()
            lm_dir = lm_dir if lm_dir is not None else shipped.lm
            tokenizer_dir = tokenizer_dir if tokenizer_dir is not None else shipped.tokenizer

        device = resolve_device(device)
        tokenizer, info = load_motion_tokenizer(Path(tokenizer_dir), device)
        lm = MotionLM.from_pretrained(lm_dir, info, device=device, inference=True)  # generation only
        index = CaptionIndex.load(lm_dir, familiarity)
        note = "" if index is not None else (f"prompts are not checked against the training captions "
                                             f"({Path(lm_dir) / CAPTIONS_FILE} is absent)")
        return cls(lm, tokenizer, captions=index, familiarity_note=note, source=str(lm_dir), prompt_mapper="auto",
                   plant_feet=plant_feet)

    def prompt_mapper(self):
        """The prompt mapper in use (None: prompts go to the LM as typed); loads the saved one at first use."""
        if isinstance(self._mapper, str):
            from .lm.prompt_map import MAP_FILE, PromptMapper
            from .lm.sentence_encoder import INSTALL_HINT, encoder_available, load_sentence_encoder

            self._mapper = None
            if (Path(self.source) / MAP_FILE).is_file():
                if encoder_available():
                    self._mapper = PromptMapper.load(self.source, load_sentence_encoder())
                else:
                    self.understanding_note = f"prompts go to the model as typed; {INSTALL_HINT}"
        return self._mapper

    # ---------------------------------------------------------------- facts

    @property
    def codes_per_second(self) -> float:
        return float(self.tokenizer.codes_per_second)

    @property
    def part_names(self) -> tuple[str, ...]:
        """Components of a 2D tokenizer's codes (``()`` for 1D: no part edits)."""
        return tuple(self.tokenizer.part_names)

    @property
    def part_choices(self) -> tuple[str, ...]:
        """What :meth:`edit_parts` accepts: the aliases this tokenizer has, then its component names."""
        aliases = [a for a, parts in PART_ALIASES.items() if set(parts) <= set(self.part_names)]
        return tuple(aliases) + self.part_names

    def max_seconds(self, prompt: str) -> float:
        """Longest motion (s) the context holds after ``prompt``; raises for an empty or over-long prompt."""
        # deferred for a quick start: imports torch, transformers
        from .lm.generate import MotionRequest, room_steps

        prompt = _checked_prompts([prompt])[0]
        steps = room_steps(self.lm, [MotionRequest("t2m", caption=prompt)])
        if steps < 1:
            n = len(self.lm.tokenizer(prompt, verbose=False)["input_ids"])
            raise MotionbaseError(f"prompt of {n} tokens is too long for this model's {self.lm.context_length}-token "
                                  f"context; shorten it")
        return steps / self.codes_per_second

    def check_prompt(self, prompt: str) -> FamiliarityReport | None:
        """How close ``prompt`` is to the training captions (None when they were not saved with the LM)."""
        return self.captions.check(prompt) if self.captions is not None else None

    # ---------------------------------------------------------------- text -> motion

    def text_to_motion(self, prompts: Sequence[str], seconds: float | None = None, *, seed: int | None = None,
                       temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
                       guidance: float = DEFAULT_GUIDANCE, guidance_negative: str = DEFAULT_GUIDANCE_NEGATIVE,
                       understand: bool = True, candidates: int = 1,
                       guidance_warmup: float = DEFAULT_GUIDANCE_WARMUP, onset: bool = True,
                       sampling: Sampling | None = None) -> list[GeneratedMotion]:
        """One motion per prompt (one batch). seconds: length (None: the model decides); temperature 0: greedy.

        sampling: all the sampling options at once (a :class:`Sampling`, as the generation tasks take them);
        when given, it replaces ``seed`` … ``onset``.

        onset: begin each motion with codes the LM's training clips begin with (:mod:`motionbase.lm.onset`: real
        takes start from a settled pose); False: wherever the LM samples.

        candidates: sample this many motions per prompt (seeds ``seed``, ``seed + 1``, …; the first is what
        ``candidates=1`` gives) and keep the one whose codes make the prompt, as the LM read it, most likely as a
        caption (:func:`motionbase.lm.rerank.best_candidate`); costs ``candidates`` times the generation.

        understand: read each prompt through the prompt mapper when there is one (:meth:`prompt_mapper`):
        the LM then gets the nearest caption it knows (``GeneratedMotion.read_as``); False: the prompt as typed.

        Raises :class:`MotionbaseError` for an empty or over-long prompt, seconds <= 0, or seconds beyond
        what the model's context holds.
        """
        # deferred for a quick start: imports torch, transformers
        from .lm.generate import check_seconds, text_to_motion

        prompts = _checked_prompts(prompts)
        check_seconds(seconds)
        if not (isinstance(candidates, int) and candidates >= 1):
            raise MotionbaseError(f"candidates={candidates!r}: expected a whole number, 1 or more")
        if seconds is not None:
            for prompt in prompts:
                limit = self.max_seconds(prompt)
                steps = seconds * self.codes_per_second  # inf for seconds near the float limit
                if not math.isfinite(steps) or round(steps) > round(limit * self.codes_per_second):
                    raise MotionbaseError(f"seconds={seconds:g} is beyond this model's context: at most {limit:g} s "
                                          f"of motion after the prompt {prompt!r}")
        else:
            for prompt in prompts:
                self.max_seconds(prompt)  # over-long prompts fail here, with the message above
        mapper = self.prompt_mapper() if understand else None
        mapped = mapper.map(prompts) if mapper is not None else []
        captions = [m.caption for m in mapped] or list(prompts)
        # deferred for a quick start: imports pyarrow, scipy
        from .lm.sides import read_prompts

        captions, flips = read_prompts(self.lm.config, captions)
        if sampling is None:
            sampling = Sampling(seed=seed, temperature=temperature, top_k=top_k, top_p=top_p, guidance=guidance,
                                guidance_negative=guidance_negative, guidance_warmup=guidance_warmup, onset=onset)
        runs = [text_to_motion(self.lm, captions, replace(
                    sampling, seed=None if sampling.seed is None else sampling.seed + n).options(seconds))
                for n in range(candidates)]
        results = runs[0]
        if candidates > 1:
            from .lm.rerank import best_candidate

            results = [drawn[best_candidate(self.lm, caption, [r.codes for r in drawn])]
                       for caption, drawn in zip(captions, zip(*runs))]
        out = [self._motion(p, r.codes, r.closed, self.check_prompt(p), mirrored=f)
               for p, r, f in zip(prompts, results, flips)]
        for motion, m in zip(out, mapped):
            motion.read_as = m.caption if m.mapped else None
        return out

    def canonical_prompt(self, prompt: str | None) -> tuple[str | None, bool]:
        """``prompt`` as the LM reads it, and whether the motion must then be mirrored: a model trained with
        ``LMConfig.canonical_sides`` reads "left" prompts mirrored (:func:`~motionbase.data.text.canonical_side`)."""
        # deferred for a quick start: imports pyarrow, scipy
        from .lm.sides import read_prompts

        [read], [flip] = read_prompts(self.lm.config, [prompt])
        return read, flip

    def edit_parts(self, prompt_a: str, prompt_b: str, parts_from_b: Sequence[str] = ("arms",), *,
                   seconds: float | None = None, seed: int | None = None, temperature: float = 1.0,
                   top_k: int | None = None, top_p: float | None = None) -> PartEdit:
        """Motion of ``prompt_a`` with the body parts ``parts_from_b`` taken from a motion of ``prompt_b``.

        Both motions get A's length (``seconds``, or what the model chose for A); the codes of the
        named components (aliases: :data:`PART_ALIASES`) are swapped, then decoded together. B is
        sampled with ``seed + 1``. Needs a 2D tokenizer.
        """
        # deferred for a quick start: imports safetensors, torch, scipy
        from .tokenizer.parts import swap_part_codes

        parts = self._resolve_parts(parts_from_b)
        sample = {"seed": seed, "temperature": temperature, "top_k": top_k, "top_p": top_p}
        [a] = self.text_to_motion([prompt_a], seconds, **sample)
        sample["seed"] = None if seed is None else seed + 1  # B is its own sample, even for prompt_b == prompt_a
        [b] = self.text_to_motion([prompt_b], len(a.codes) / self.codes_per_second, **sample)
        codes = swap_part_codes(self.tokenizer, a.codes, b.codes, parts).cpu().numpy()
        label = f"{a.prompt} (with the {', '.join(parts)} of: {b.prompt})"
        return PartEdit(self._motion(label, codes, a.closed and b.closed, None), a, b, parts)

    def _resolve_parts(self, names: Sequence[str]) -> tuple[str, ...]:
        if not self.part_names:
            raise MotionbaseError(f"part edits need a 2D motion tokenizer; {self.tokenizer.source} has 1D codes")
        out: list[str] = []
        for name in names:
            group = PART_ALIASES.get(name, (name,))
            if not set(group) <= set(self.part_names):
                raise MotionbaseError(f"unknown body part {name!r}; this tokenizer has: {', '.join(self.part_choices)}")
            out += [p for p in group if p not in out]
        if not out:
            raise MotionbaseError(f"no body parts given to take from the second prompt; choose from "
                                  f"{', '.join(self.part_choices)}")
        return tuple(out)

    def from_codes(self, codes: np.ndarray, prompt: str = "") -> GeneratedMotion:
        """Decode motion codes (N, P) with this tokenizer into a motion (features and joints)."""
        return self._motion(prompt, codes, True, None)

    def _motion(self, prompt: str, codes: np.ndarray, closed: bool,
                familiarity: FamiliarityReport | None, *, mirrored: bool = False) -> GeneratedMotion:
        """Decode ``codes``; ``mirrored``: the motion is the left/right mirror image of what they decode to
        (a canonical-side answer to a prompt that names "left"); its codes are then re-encoded from it."""
        # deferred for a quick start: imports scipy
        from .features.humanml3d import features_to_joints
        from .features.plant import plant_feet

        if codes is None or len(codes) == 0:
            raise MotionbaseError(f"the model gave no motion for {prompt!r} (cut before one whole time step); "
                                  "try another seed or give seconds")
        feats = decode_features(self.tokenizer, codes)
        if mirrored:
            feats, codes = self.mirrored(feats)
        if self.plant_feet:
            feats = plant_feet(feats)
        joints = features_to_joints(feats.astype(np.float64), final_frame=True).astype(np.float32)
        return GeneratedMotion(prompt, np.asarray(codes, np.int64), feats, joints, bool(closed), familiarity)

    def mirrored(self, feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(features of the left/right mirror image of ``feats`` (T, 263), their codes (N, P))."""
        # deferred for a quick start: imports scipy
        from .features.mirror import mirror_features

        out = mirror_features(np.asarray(feats, np.float32)).astype(np.float32)
        return out, np.asarray(self.tokenizer.encode(out).cpu().numpy(), np.int64)

    # ---------------------------------------------------------------- motion -> text

    def motion_to_text(self, motion: np.ndarray, *, part: str | None = None, seed: int | None = None,
                       temperature: float = 0.0) -> str:
        """A caption of ``motion``: joints (T, 22, 3) metres at 20 fps, or HumanML3D features (T, 263).

        part: "upper_body" | "lower_body" describes that part only. temperature 0 (default): greedy.
        Raises :class:`MotionbaseError` for a motion too long to fit the context with a caption.
        """
        # deferred for a quick start: imports torch, transformers
        from .lm.generate import MotionRequest, caption_room_steps, generate

        codes = self.tokenizer.encode(_as_features(motion)).cpu().numpy()
        limit = caption_room_steps(self.lm, CAPTION_ROOM, part)
        if len(codes) > limit:
            raise MotionbaseError(f"the motion is {len(codes) / self.codes_per_second:g} s ({len(codes)} code steps); "
                                  f"this model captions at most {max(limit, 0) / self.codes_per_second:g} s at once "
                                  f"(its {self.lm.context_length}-token context); trim the clip")
        sampling = Sampling(seed=seed, temperature=temperature)
        [res] = generate(self.lm, [MotionRequest("m2t", motion=codes, part=part)], sampling.options())
        return res.text

    # ---------------------------------------------------------------- files

    def save(self, motion: GeneratedMotion, out_dir: str | os.PathLike, stem: str, *, render=None,
             kinds: Sequence[str] = SAVED_KINDS) -> dict[str, Path]:
        """Write ``motion`` as ``out_dir/stem.*``, each file atomically; returns {kind: path}.

        kinds: npy (joints (T, 22, 3) metres), codes (``.codes.npy``, (N, P) int64), mp4 and gif
        (skeleton video, ``render``: a :class:`~motionbase.viz.render.RenderConfig`), bvh (SMPL-22
        skeleton, rotations only, centimetres), json (prompt, seconds, closed, familiarity).
        """
        unknown = set(kinds) - set(SAVED_KINDS)
        if unknown:
            raise MotionbaseError(f"unknown output kinds {sorted(unknown)}; expected some of {', '.join(SAVED_KINDS)}")
        out = Path(out_dir)
        paths = {k: out / f"{stem}.{'codes.npy' if k == 'codes' else k}" for k in kinds}
        if "npy" in paths:
            atomic_save_npy(paths["npy"], motion.joints)
        if "codes" in paths:
            atomic_save_npy(paths["codes"], motion.codes)
        for video in ("mp4", "gif"):
            if video in paths:
                # deferred for a quick start: imports scipy
                from .viz.render import render_motion

                render_motion(motion.joints, paths[video], fps=motion.fps, title=motion.prompt, config=render)
        if "bvh" in paths:
            # deferred for a quick start: imports scipy
            from .formats.bvh import write_bvh

            write_bvh(paths["bvh"], motion.joints, fps=motion.fps, exact=False)
        if "json" in paths:
            report = motion.familiarity
            atomic_write_text(paths["json"], json.dumps({
                "prompt": motion.prompt, "seconds": motion.seconds, "frames": len(motion.joints), "fps": motion.fps,
                "code_steps": len(motion.codes), "closed": motion.closed, "model": self.source,
                "read_as": motion.read_as, "familiarity": None if report is None else {"score": round(report.score, 4),
                                                            "familiar": report.familiar}}, indent=1))
        return paths


def tokens_text(codes: np.ndarray, part_names: Sequence[str] = ()) -> str:
    """Motion codes (N, P) as text: one line per time step, ``t=0.00s  left_arm=3 right_arm=9 ...``."""
    codes = np.asarray(codes)
    names = list(part_names) if len(part_names) == codes.shape[1] else [f"c{i}" for i in range(codes.shape[1])]
    return "\n".join(f"step {t:3d}  " + " ".join(f"{n}={int(c)}" for n, c in zip(names, row))
                     for t, row in enumerate(codes))


def slug(text: str, max_chars: int = 48) -> str:
    """A file-name stem from a prompt: "A person waves!" -> "a-person-waves"."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    out = "-".join(words)[:max_chars].rstrip("-")
    return out or "motion"


def _checked_prompts(prompts: Sequence[str]) -> list[str]:
    if isinstance(prompts, str):
        raise MotionbaseError("prompts: expected a list of strings, got one string")
    if not prompts:
        raise MotionbaseError("no prompt given; describe a motion, e.g. 'a person waves the left hand'")
    out = []
    for i, p in enumerate(prompts):
        if not isinstance(p, str) or not p.strip():
            where = f"prompt {i + 1} of {len(prompts)}" if len(prompts) > 1 else "the prompt"
            raise MotionbaseError(f"{where} is empty; describe a motion, e.g. 'a person waves the left hand'")
        out.append(" ".join(p.split()))
    return out


def _as_features(motion) -> np.ndarray:
    """(T, 263) features as given, or joints (T, 22, 3) metres turned into (T-1, 263) features."""
    arr = np.asarray(motion)
    if arr.ndim == 2 and arr.shape[1] == 263:
        return arr.astype(np.float32)
    if arr.ndim == 3 and arr.shape[1:] == (22, 3):
        # deferred for a quick start: imports scipy
        from .features.humanml3d import joints_to_features

        return joints_to_features(arr.astype(np.float64)).astype(np.float32)
    raise ShapeError(f"motion has shape {arr.shape}; expected joints (T, 22, 3) metres or features (T, 263)")
