"""Generation with the motion LM: constrained decoding, length control, batching, long motions.

:class:`MotionConstraint` is a ``transformers`` logits processor that makes every answer well formed:

* a motion answer starts with ``<mot>``; inside it only motion codes may follow (for 2D codes with
  separate part tokens, only codes of the part whose turn it is), ``</mot>`` only after whole time
  steps of P tokens and at least ``min_codes``, and ``</mot>`` is forced at ``max_codes``; then EOS;
* a text answer never contains motion tokens or markers (in reuse mode those ids are motion now);
* ids beyond the text tokenizer (padded embedding rows) are never produced;
* a motion that begins from nothing (text-to-motion, unconditional) begins with codes the LM's training clips begin
  with (:mod:`motionbase.lm.onset`; ``GenerationOptions.onset``), when the checkpoint keeps them.

It runs before temperature / top-k / top-p (``transformers`` applies custom processors first), so
sampling only ever sees allowed tokens. Length comes from seconds: ``round(seconds * codes_per_second)``
time steps, exactly. A motion that runs out of tokens before ``</mot>`` is cut to its whole time steps
and returned with ``closed=False``: never padded, repeated or replaced.

:func:`generate_long` makes motions longer than the context window by window: each window after the
first is a prediction ("continue this motion") conditioned on the tail of the motion so far (and the
caption), and only its new steps are kept.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
from transformers import GenerationConfig, LogitsProcessor, LogitsProcessorList

from ..errors import MotionbaseError
from .guidance import NEGATIVES
from .guided_decode import guided_generate, sample
from .model import MotionLM
from .onset import ONSET_TASKS, onset_token_mask
from .prompts import MOTION_OUTPUT_TASKS, PART_NAMES, TEMPLATES, format_seconds, pick_template
from .vocab import MotionVocab

_SECONDS_SLACK = 4  # tokens


@dataclass
class GenerationOptions:
    """How to sample. ``seconds``: length of generated motions (None = free, at least one step).

    max_new_tokens caps the answer (a motion cut by it comes back with ``closed=False``).
    overlap_seconds: how much of the previous window :func:`generate_long` shows the next one.
    use_cache: keep the attention keys/values of past tokens (KV cache); False recomputes the whole
    sequence at every step (same tokens, slower: see benchmarks/lm_speed.py).
    """

    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None
    do_sample: bool = True
    seconds: float | None = None
    max_new_tokens: int | None = None
    seed: int | None = None
    constrained: bool = True
    overlap_seconds: float = 1.0
    max_text_tokens: int = 128  # default cap of a text (motion-to-text) answer
    use_cache: bool = True
    guidance: float = 1.0  # classifier-free guidance scale for motion answers (1 = off); see lm.guidance
    guidance_negative: str = "unconditional"  # or "mirrored" (the prompt with left and right swapped)
    # seconds of motion over which the guidance scale ramps up from 1 (none) to ``guidance``; see lm.guided_decode
    guidance_warmup: float = 0.0
    onset: bool = True  # motions from nothing start with codes training clips start with (lm.onset), when known

    def validate(self) -> GenerationOptions:
        if not (math.isfinite(self.guidance) and self.guidance > 0):
            raise MotionbaseError(f"guidance={self.guidance}: expected a positive scale (1 = no guidance)")
        if not (math.isfinite(self.guidance_warmup) and self.guidance_warmup >= 0):
            raise MotionbaseError(f"guidance_warmup={self.guidance_warmup}: expected seconds >= 0 (0 = full guidance "
                                  "from the first step)")
        if self.guidance_negative not in NEGATIVES:
            raise MotionbaseError(f"guidance_negative={self.guidance_negative!r}: expected one of "
                                  f"{', '.join(NEGATIVES)}")
        if self.do_sample and not (self.temperature > 0 and math.isfinite(self.temperature)):
            raise MotionbaseError(f"temperature={self.temperature}: expected > 0 (use do_sample=False for greedy)")
        if self.top_k is not None and self.top_k < 0:
            raise MotionbaseError(f"top_k={self.top_k}: expected >= 0 or None")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise MotionbaseError(f"top_p={self.top_p}: expected in (0, 1] or None")
        if self.max_new_tokens is not None and self.max_new_tokens < 1:
            raise MotionbaseError(f"max_new_tokens={self.max_new_tokens}: expected at least 1 or None")
        check_seconds(self.seconds, "options")
        return self


@dataclass
class MotionRequest:
    """One prompt. task: t2m | m2t | unconditional | prediction | inbetween.

    caption: text (t2m; optional for prediction / in-between). motion: (N, P) codes to describe (m2t).
    prefix: codes to continue (prediction). start, end: codes to fill between (in-between).
    seconds: overrides :attr:`GenerationOptions.seconds` for this request.
    part: for m2t, describe only this body part ("upper_body" | "lower_body").
    """

    task: str = "t2m"
    caption: str | None = None
    motion: np.ndarray | None = None
    prefix: np.ndarray | None = None
    start: np.ndarray | None = None
    end: np.ndarray | None = None
    seconds: float | None = None
    part: str | None = None  # m2t only: describe this part ("upper_body" | "lower_body")


@dataclass
class GenerationResult:
    """codes: (N, P) int64 for motion answers (None for text). closed: the answer ended properly
    (``</mot>`` for motion, EOS for text); False = cut at the token budget. token_ids: the raw answer."""

    task: str
    codes: np.ndarray | None
    text: str
    closed: bool
    token_ids: np.ndarray


class MotionConstraint(LogitsProcessor):
    """Masks logits so each row's answer is well formed (see the module docstring).

    prompt_length: columns of ``input_ids`` before the answer (the padded prompt length).
    motion_rows: (B,) bool, rows whose answer is a motion. min_codes / max_codes: (B,) int64 code
    tokens (multiples of P) per motion row. text_vocab_size: ids at or above it are never allowed.
    pad_id: never part of a text answer (unless it is also the EOS).
    onset: (P, K) bool, the codes each position of the first time step may take in ``onset_rows`` ((B,) bool;
    :mod:`motionbase.lm.onset`); None: any.
    """

    def __init__(self, vocab: MotionVocab, text_vocab_size: int, prompt_length: int, motion_rows: torch.Tensor,
                 min_codes: torch.Tensor, max_codes: torch.Tensor, eos_id: int, pad_id: int | None = None,
                 onset: np.ndarray | None = None, onset_rows: torch.Tensor | None = None):
        self.vocab, self.V, self.prompt_length, self.eos_id = vocab, int(text_vocab_size), int(prompt_length), int(eos_id)
        self.pad_id = pad_id
        self.motion_rows, self.min_codes, self.max_codes = motion_rows, min_codes, max_codes
        self.onset = onset
        self.onset_rows = onset_rows if onset is not None and onset_rows is not None and bool(onset_rows.any()) else None
        self._cache: dict = {}

    def _tables(self, width: int, device: torch.device):
        key = (width, device)
        if key not in self._cache:
            group_of = torch.full((width,), -1, dtype=torch.long, device=device)
            group_of[:self.V] = torch.as_tensor(self.vocab.tables(self.V)[1], device=device)
            masks = group_of[None, :] == torch.arange(self.vocab.num_groups, device=device)[:, None]
            text_ok = torch.zeros(width, dtype=torch.bool, device=device)
            text_ok[:self.V] = True
            text_ok &= group_of < 0
            text_ok[[self.vocab.start_id, self.vocab.end_id]] = False
            if self.pad_id is not None and self.pad_id != self.eos_id:
                text_ok[self.pad_id] = False
            first = None
            if self.onset_rows is not None:
                first = torch.as_tensor(onset_token_mask(self.onset, self.vocab.code_ids, width), device=device)
            self._cache[key] = (masks, group_of, text_ok, first)
        return self._cache[key]

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        B, width = scores.shape
        device = scores.device
        masks, group_of, text_ok, first = self._tables(width, device)
        gen = input_ids[:, self.prompt_length:]
        n = (group_of[gen] >= 0).sum(1) if gen.shape[1] else torch.zeros(B, dtype=torch.long, device=device)
        started = (gen == self.vocab.start_id).any(1)
        ended = (gen == self.vocab.end_id).any(1)
        P = self.vocab.tokens_per_step
        part = n % P
        group = part if self.vocab.part_tokens == "separate" else torch.zeros_like(part)
        motion = self.motion_rows.to(device)
        min_codes, max_codes = self.min_codes.to(device), self.max_codes.to(device)

        allowed = torch.zeros((B, width), dtype=torch.bool, device=device)
        allowed[~motion] = text_ok  # text answers: text tokens and EOS only
        inside = motion & started & ~ended
        allowed[inside] = masks[group[inside]] & (n[inside] < max_codes[inside])[:, None]
        if first is not None and gen.shape[1] <= P:  # the first step: <mot>, then P codes (nothing to do later)
            onset = inside & self.onset_rows.to(device) & (n < P)
            allowed[onset] &= first[part[onset]]
        may_close = inside & (part == 0) & (n >= min_codes)
        allowed[may_close, self.vocab.end_id] = True
        allowed[motion & ~started, self.vocab.start_id] = True
        allowed[motion & ended, self.eos_id] = True
        allowed[~allowed.any(1), self.eos_id] = True  # never leave a row without a choice
        return scores.masked_fill(~allowed, float("-inf"))


# ---------------------------------------------------------------- public API

def generate(lm: MotionLM, requests: Sequence[MotionRequest], options: GenerationOptions | None = None
             ) -> list[GenerationResult]:
    """Answer ``requests`` in one batch (left padded). Raises :class:`MotionbaseError` for an empty
    prompt, a prompt too long for the context, seconds <= 0, or seconds the context cannot hold
    (use :func:`generate_long` for those)."""
    options = (options or GenerationOptions()).validate()
    steps = [_steps_for(lm, r, options, i) for i, r in enumerate(requests)]
    return _generate(lm, requests, steps, options)


def text_to_motion(lm: MotionLM, captions: Sequence[str], options: GenerationOptions | None = None
                   ) -> list[GenerationResult]:
    """Motions for ``captions`` (one batch)."""
    return generate(lm, [MotionRequest("t2m", caption=c) for c in captions], options)


def motion_to_text(lm: MotionLM, motions: Sequence[np.ndarray], options: GenerationOptions | None = None
                   ) -> list[GenerationResult]:
    """Captions for (N, P) code arrays ``motions`` (one batch)."""
    return generate(lm, [MotionRequest("m2t", motion=m) for m in motions], options)


def generate_long(lm: MotionLM, requests: Sequence[MotionRequest], options: GenerationOptions | None = None
                  ) -> list[GenerationResult]:
    """Motions of any length for t2m / unconditional ``requests``, window by window.

    Each request needs seconds (its own or ``options.seconds``). A row stops early, with
    ``closed=False``, if a window comes back cut.
    """
    options = (options or GenerationOptions()).validate()
    for i, r in enumerate(requests):
        if r.task not in ("t2m", "unconditional"):
            raise MotionbaseError(f"generate_long: request {i} has task {r.task!r}; expected t2m or unconditional")
    total = [_steps_for(lm, r, options, i) for i, r in enumerate(requests)]
    if any(s is None for s in total):
        raise MotionbaseError("generate_long: every request needs seconds (its own or options.seconds)")
    overlap = max(1, round(options.overlap_seconds * lm.codec.codes_per_second))
    codes: list[np.ndarray | None] = [None] * len(requests)
    closed = [True] * len(requests)
    window = 0
    while True:
        rows = [i for i in range(len(requests)) if closed[i] and (codes[i] is None or len(codes[i]) < total[i])]
        if not rows:
            break
        batch = [requests[i] if codes[i] is None else
                 MotionRequest("prediction", caption=requests[i].caption, prefix=codes[i][-overlap:])
                 for i in rows]
        room = room_steps(lm, batch)
        if room < 1:
            raise MotionbaseError(f"generate_long: a window with {overlap} overlap step(s) leaves no room in the "
                                  f"{lm.context_length}-token context; lower overlap_seconds")
        steps = [min(room, total[i] - (0 if codes[i] is None else len(codes[i]))) for i in rows]
        seed = None if options.seed is None else options.seed + window
        results = _generate(lm, batch, steps, replace(options, seed=seed))
        for i, res in zip(rows, results):
            codes[i] = res.codes if codes[i] is None else np.concatenate([codes[i], res.codes])
            closed[i] = res.closed
        window += 1
    P = lm.vocab.tokens_per_step
    return [GenerationResult(r.task, c if c is not None else np.zeros((0, P), np.int64), "", ok,
                             np.zeros(0, np.int64)) for r, c, ok in zip(requests, codes, closed)]


def parse_motion(ids: Sequence[int] | np.ndarray, vocab: MotionVocab, vocab_size: int) -> tuple[np.ndarray, bool]:
    """(N, P) int64 codes of the first motion span in ``ids``, and whether ``</mot>`` closed it.

    The span ends at ``</mot>``, or (cut, closed=False) at the first token that is not a code of the
    expected part or at the end of ``ids``; a trailing incomplete time step is dropped.
    """
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    P = vocab.tokens_per_step
    hits = np.flatnonzero(ids == vocab.start_id)
    if not len(hits):
        return np.zeros((0, P), np.int64), False
    body = ids[hits[0] + 1:]
    stop = np.flatnonzero(body == vocab.end_id)
    closed = bool(len(stop))
    body = body[:stop[0]] if closed else body
    code_of, group_of = vocab.tables(vocab_size)
    inside = (body >= 0) & (body < vocab_size)
    safe = np.where(inside, body, 0)
    expected = np.asarray([vocab.group_of_part(k % P) for k in range(len(body))], dtype=np.int64)
    valid = inside & (code_of[safe] >= 0) & (group_of[safe] == expected)
    if not valid.all():
        body, closed = body[:int(np.argmin(valid))], False
    whole = len(body) - len(body) % P
    closed = closed and whole == len(body)
    return vocab.ids_to_codes(body[:whole], vocab_size), closed


# ---------------------------------------------------------------- internals

def _steps_for(lm: MotionLM, request: MotionRequest, options: GenerationOptions, index: int) -> int | None:
    seconds = request.seconds if request.seconds is not None else options.seconds
    check_seconds(seconds, f"request {index}")
    if seconds is None or request.task not in MOTION_OUTPUT_TASKS:
        return None
    return max(1, round(seconds * lm.codec.codes_per_second))


def check_seconds(seconds: float | None, where: str = "") -> None:
    """A motion length: None (the model decides) or positive and finite seconds; else one line naming ``where``."""
    if seconds is not None and not (seconds > 0 and math.isfinite(seconds)):
        raise MotionbaseError(f"{where + ': ' if where else ''}seconds={seconds:g}: expected a positive, finite "
                              "length in seconds (or none: the model decides)")


def _prompt_ids(lm: MotionLM, request: MotionRequest, steps: int | None, index: int) -> np.ndarray:
    """Token ids of ``request``'s prompt (the instruction frame, no answer)."""
    task = request.task
    if task not in TEMPLATES:
        raise MotionbaseError(f"request {index}: unknown task {task!r}; expected one of {', '.join(TEMPLATES)}")
    fields: dict[str, object] = {}
    if request.caption is not None:
        if not request.caption.strip():
            raise MotionbaseError(f"request {index} ({task}): the caption is empty")
        fields["caption"] = request.caption.strip()
    elif task == "t2m":
        raise MotionbaseError(f"request {index} (t2m): empty prompt; a text-to-motion request needs a caption")
    needed = {"m2t": ("motion",), "prediction": ("prefix",), "inbetween": ("start", "end")}.get(task, ())
    for slot in needed:
        value = getattr(request, slot)
        if value is None or len(value) == 0:
            raise MotionbaseError(f"request {index} ({task}): no {slot} motion codes given")
        fields[slot] = np.asarray(value)
    if steps is not None:
        fields["seconds"] = format_seconds(steps / lm.codec.codes_per_second)
    if request.part is not None:
        if task != "m2t" or request.part not in PART_NAMES:
            raise MotionbaseError(f"request {index} ({task}): part={request.part!r}; a part is asked of m2t "
                                  f"requests only, one of {', '.join(PART_NAMES)}")
        fields["part"] = PART_NAMES[request.part]
    answer = "motion" if task in MOTION_OUTPUT_TASKS else "caption"
    template = pick_template(task, set(fields) | {answer})
    return lm.encoder.encode(template, fields, response=False).ids


def room_steps(lm: MotionLM, requests: Sequence[MotionRequest]) -> int:
    """The context room: time steps a motion answer can have next to the longest prompt of ``requests``
    (< 1: none; a few tokens are kept spare: the seconds in the final prompt may tokenise longer than the
    ones measured here)."""
    longest = max(len(_prompt_ids(lm, r, 1, i)) for i, r in enumerate(requests))
    return (lm.context_length - longest - 3 - _SECONDS_SLACK) // lm.vocab.tokens_per_step


def caption_room_steps(lm: MotionLM, caption_tokens: int, part: str | None = None) -> int:
    """The context room for motion -> text: the most time steps of motion a prompt can carry while
    ``caption_tokens`` tokens stay free for the caption (< 1: none)."""
    P = lm.vocab.tokens_per_step
    one_step = _prompt_ids(lm, MotionRequest("m2t", motion=np.zeros((1, P), np.int64), part=part), None, 0)
    return (lm.context_length - caption_tokens - len(one_step)) // P + 1


def _generate(lm: MotionLM, requests: Sequence[MotionRequest], steps: Sequence[int | None],
              options: GenerationOptions) -> list[GenerationResult]:
    if not requests:
        raise MotionbaseError("generate: no requests given")
    P, ctx = lm.vocab.tokens_per_step, lm.context_length
    prompts = [_prompt_ids(lm, r, s, i) for i, (r, s) in enumerate(zip(requests, steps))]
    L = max(len(p) for p in prompts)
    room = ctx - L
    motion_rows = [r.task in MOTION_OUTPUT_TASKS for r in requests]
    for i, (p, is_motion, s) in enumerate(zip(prompts, motion_rows, steps)):
        least = P + 3 if is_motion else 1
        if len(p) + least > ctx:
            raise MotionbaseError(f"request {i} ({requests[i].task}): prompt is {len(p)} tokens; the "
                                  f"{ctx}-token context leaves no room for an answer (shorten the prompt)")
        if s is not None and s * P + 3 > room:
            raise MotionbaseError(f"request {i}: {s} time steps ({s / lm.codec.codes_per_second:g} s) need "
                                  f"{s * P + 3} tokens but the context leaves {room}; use generate_long")
    cap = options.max_new_tokens
    free_codes = (room - 3) // P * P
    max_codes = [s * P if s is not None else free_codes for s in steps]
    min_codes = [s * P if s is not None else P for s in steps]
    budget = max(mc + 3 if m else options.max_text_tokens for mc, m in zip(max_codes, motion_rows))
    budget = min(budget, room, cap if cap is not None else room)

    tok = lm.tokenizer
    pad, eos = tok.pad_token_id, tok.eos_token_id
    device = lm.device
    ids, mask = _left_padded(prompts, pad)
    processors = LogitsProcessorList()
    negatives = [_negative_prompt(lm, r, s, i, options.guidance_negative, p)
                 for i, (r, s, p) in enumerate(zip(requests, steps, prompts))] if options.guidance != 1.0 else []
    guided = any(not np.array_equal(n, p) for n, p in zip(negatives, prompts))  # else guidance changes nothing
    if options.constrained:
        onset = lm.onset if options.onset else None
        processors.append(MotionConstraint(lm.vocab, lm.text_vocab_size, L, torch.tensor(motion_rows),
                                           torch.tensor(min_codes), torch.tensor(max_codes), eos, pad, onset,
                                           torch.tensor([r.task in ONSET_TASKS for r in requests])))
    sampling = {"temperature": options.temperature, "top_k": options.top_k or 0, "top_p": options.top_p or 1.0} \
        if options.do_sample else {}
    config = GenerationConfig(do_sample=options.do_sample, max_new_tokens=budget, pad_token_id=pad,
                              eos_token_id=eos, bos_token_id=tok.bos_token_id, use_cache=options.use_cache,
                              **sampling)
    model = lm.backbone
    was_training = model.training
    model.eval()
    try:
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []), torch.inference_mode():
            if options.seed is not None:
                torch.manual_seed(options.seed)
            if guided:  # both branches in one forward pass per token (lm.guided_decode)
                neg_ids, neg_mask = _left_padded(negatives, pad)
                out = guided_generate(model, ids.to(device), mask.to(device), neg_ids.to(device),
                                      neg_mask.to(device), options.guidance, config, processors,
                                      warmup_tokens=round(options.guidance_warmup * lm.codec.codes_per_second * P))
            elif not hasattr(model, "generate"):  # the plain-torch GPT-2 of lm.gpt2_inference
                out = sample(model, ids.to(device), mask.to(device), config, processors)
            else:
                out = model.generate(input_ids=ids.to(device), attention_mask=mask.to(device),
                                     generation_config=config, logits_processor=processors)
    finally:
        model.train(was_training)
    answers = out[:, L:].cpu().numpy()
    return [_result(lm, r, a, eos) for r, a in zip(requests, answers)]


def _left_padded(rows: Sequence[np.ndarray], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Token rows -> (ids, attention mask), both (B, longest), padded on the left."""
    L = max(len(r) for r in rows)
    ids = torch.full((len(rows), L), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), L), dtype=torch.long)
    for row, r in enumerate(rows):
        ids[row, L - len(r):] = torch.from_numpy(np.asarray(r, dtype=np.int64))
        mask[row, L - len(r):] = 1
    return ids, mask


def _negative_prompt(lm: MotionLM, request: MotionRequest, steps: int | None, index: int, kind: str,
                     prompt: np.ndarray) -> np.ndarray:
    """The guidance branch's prompt for ``request``: the unconditional instruction or the mirrored caption
    (text-to-motion rows); other rows keep their own prompt (no guidance)."""
    if request.task != "t2m":
        return prompt
    if kind == "auto":
        kind = "unconditional" if lm.config.canonical_sides else "mirrored"
    if kind == "mirrored":
        from ..data.text import mirror_caption

        return _prompt_ids(lm, replace(request, caption=mirror_caption(request.caption or "")), steps, index)
    return _prompt_ids(lm, MotionRequest("unconditional"), steps, index)


def _result(lm: MotionLM, request: MotionRequest, answer: np.ndarray, eos: int) -> GenerationResult:
    ends = np.flatnonzero(answer == eos)
    reached_eos = bool(len(ends))
    answer = answer[:ends[0]] if reached_eos else answer
    if request.task in MOTION_OUTPUT_TASKS:
        codes, closed = parse_motion(answer, lm.vocab, lm.text_vocab_size)
        return GenerationResult(request.task, codes, "", closed, answer)
    motion_ids = set(lm.vocab.all_ids.tolist())
    text_ids = [int(t) for t in answer if int(t) not in motion_ids]
    text = lm.tokenizer.decode(text_ids, skip_special_tokens=True).strip()
    return GenerationResult(request.task, None, text, reached_eos, answer)
