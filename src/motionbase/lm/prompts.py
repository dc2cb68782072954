"""Every instruction template of the motion LM, in one place, and their encoding into token ids.

One instruction format (:data:`PROMPT_FRAME`) wraps every task; the tasks differ only in their
templates. A template is an instruction and a response with named slots:

==========  =================================================================================
slot        filled with
==========  =================================================================================
caption     text: a whole-body caption, a part-level one ("upper body: ..."), or both joined
part        text: the body part a part-level motion-to-text answer describes ("upper body")
seconds     text: the length of the motion to produce, e.g. "4.0"
motion      motion codes: the motion asked for (response) or described (motion-to-text prompt)
prefix      motion codes: the start of a motion to continue (prediction)
start, end  motion codes: the ends of a motion to fill in (in-between)
==========  =================================================================================

A motion slot becomes ``<mot> codes </mot>`` by :class:`InstructionEncoder`; text is tokenised piece by
piece between motion slots, the same way for training and for generation. Responses that are motions
are exactly ``{motion}`` (no text before ``<mot>``): constrained decoding relies on it.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..errors import MotionbaseError
from .vocab import MotionVocab

PROMPT_FRAME = "### Instruction:\n{instruction}\n### Response:\n"
MOTION_SLOTS = frozenset({"motion", "prefix", "start", "end"})
TEXT_SLOTS = frozenset({"caption", "part", "seconds"})
PART_NAMES = {"upper_body": "upper body", "lower_body": "lower body"}
MOTION_OUTPUT_TASKS = frozenset({"t2m", "unconditional", "prediction", "inbetween"})

# Token roles inside an encoded example (what the loss masks select from).
ROLE_PROMPT, ROLE_PROMPT_MOTION, ROLE_RESPONSE, ROLE_RESPONSE_MOTION, ROLE_EOS = range(5)


@dataclass(frozen=True)
class Template:
    instruction: str
    response: str = "{motion}"

    @property
    def slots(self) -> frozenset[str]:
        return frozenset(_slots(self.instruction) + _slots(self.response))


T = Template
TEMPLATES: dict[str, tuple[Template, ...]] = {
    "t2m": (
        T("Generate a motion matching the following description: {caption}"),
        T("Show me a human motion of this: {caption}"),
        T("Give me a motion that depicts: {caption}"),
        T("Create a motion for the text \"{caption}\"."),
        T("Animate this description: {caption}"),
        T("{caption}"),
        T("Generate a {seconds} second motion of: {caption}"),
        T("Make a person do this for {seconds} seconds: {caption}"),
    ),
    "m2t": (
        T("Describe the motion {motion}.", "{caption}"),
        T("What is the person doing in {motion}?", "{caption}"),
        T("Give a caption for {motion}.", "{caption}"),
        T("Explain in one sentence the motion {motion}.", "{caption}"),
        T("{motion} What does this motion show?", "{caption}"),
        T("What does the {part} do in {motion}?", "{caption}"),
        T("Describe the {part} movement in {motion}.", "{caption}"),
        T("In {motion}, how does the {part} move?", "{caption}"),
    ),
    "unconditional": (
        T("Generate a motion."),
        T("Show me any human motion."),
        T("Create a motion of your choice."),
        T("Generate a {seconds} second motion."),
        T("Make up a {seconds} second movement."),
    ),
    "prediction": (
        T("Predict how the motion {prefix} continues."),
        T("Continue the motion {prefix}."),
        T("Here is the start of a motion: {prefix} Generate the rest."),
        T("Continue the motion {prefix} for {seconds} seconds."),
        T("Continue the motion {prefix} so that it shows: {caption}"),
        T("The motion {prefix} is the beginning of: {caption} Continue it for {seconds} seconds."),
    ),
    "inbetween": (
        T("Generate the motion between {start} and {end}."),
        T("Fill in the missing motion from {start} to {end}."),
        T("Complete the motion: {start} ... {end}"),
        T("Fill in {seconds} seconds of motion between {start} and {end}."),
        T("Fill the gap between {start} and {end} so the whole motion shows: {caption}"),
    ),
}
del T


def templates_for(task: str, available: set[str] | frozenset[str],
                  require: set[str] | frozenset[str] = frozenset()) -> list[Template]:
    """Templates of ``task`` whose slots are all ``available`` and include every slot of ``require``."""
    if task not in TEMPLATES:
        raise MotionbaseError(f"unknown task {task!r}: expected one of {', '.join(TEMPLATES)}")
    return [t for t in TEMPLATES[task] if t.slots <= available and require <= t.slots]


def pick_template(task: str, available: set[str] | frozenset[str]) -> Template:
    """The template generation uses: the first one using every available slot, else the first that fits."""
    exact = [t for t in templates_for(task, available) if t.slots == available]
    fits = exact or templates_for(task, available)
    if not fits:
        raise MotionbaseError(f"task {task!r}: no template takes the slots {sorted(available)}")
    return fits[0]


def format_seconds(seconds: float) -> str:
    return f"{seconds:.1f}"


@dataclass
class Encoded:
    """Token ids of one instruction example and the role of each token (``ROLE_*``), both (L,) int64."""

    ids: np.ndarray
    roles: np.ndarray

    def __len__(self) -> int:
        return int(self.ids.shape[0])


class InstructionEncoder:
    """Turns (task template, slot values) into token ids, the one way training and generation share.

    ``fields`` maps slot names to values: text slots to ``str``, motion slots to (N, P) int code arrays.
    The example is ``[BOS] frame(instruction) [response EOS]``; BOS only where the tokenizer has one.
    """

    def __init__(self, tokenizer, vocab: MotionVocab):
        self.tokenizer, self.vocab = tokenizer, vocab

    def text_ids(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]) if text else []

    def shorten(self, text: str, max_tokens: int) -> str:
        """``text`` cut to its first ``max_tokens`` tokens (unchanged when already short enough)."""
        ids = self.text_ids(text)
        return text if len(ids) <= max_tokens else self.tokenizer.decode(ids[:max_tokens]).strip()

    def motion_ids(self, codes: np.ndarray) -> list[int]:
        """``<mot> codes </mot>`` for (N, P) codes."""
        return [self.vocab.start_id, *self.vocab.codes_to_ids(codes).tolist(), self.vocab.end_id]

    def encode(self, template: Template, fields: Mapping[str, object], *, response: bool = True) -> Encoded:
        """Encode the prompt (and, with ``response``, the answer and EOS) of ``template`` filled with ``fields``."""
        used = set(_slots(template.instruction)) | (set(_slots(template.response)) if response else set())
        missing = sorted(used - set(fields))
        if missing:
            raise MotionbaseError(f"template {template.instruction!r}: no value for slot(s) {missing}")
        head, _, tail = PROMPT_FRAME.partition("{instruction}")
        ids: list[int] = []
        roles: list[int] = []
        bos = self.tokenizer.bos_token_id
        if bos is not None:
            ids.append(bos)
            roles.append(ROLE_PROMPT)
        self._append(ids, roles, head + template.instruction + tail, fields, ROLE_PROMPT, ROLE_PROMPT_MOTION)
        if response:
            self._append(ids, roles, template.response, fields, ROLE_RESPONSE, ROLE_RESPONSE_MOTION)
            ids.append(self.tokenizer.eos_token_id)
            roles.append(ROLE_EOS)
        return Encoded(np.asarray(ids, dtype=np.int64), np.asarray(roles, dtype=np.int64))

    def _append(self, ids: list[int], roles: list[int], text: str, fields: Mapping[str, object],
                text_role: int, motion_role: int) -> None:
        pending = ""
        for literal, name, _, _ in string.Formatter().parse(text):
            pending += literal
            if name is None:
                continue
            if name in MOTION_SLOTS:
                piece = self.text_ids(pending)
                motion = self.motion_ids(np.asarray(fields[name]))
                ids.extend(piece + motion)
                roles.extend([text_role] * len(piece) + [motion_role] * len(motion))
                pending = ""
            else:
                pending += str(fields[name])
        piece = self.text_ids(pending)
        ids.extend(piece)
        roles.extend([text_role] * len(piece))


def _slots(text: str) -> list[str]:
    names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    unknown = set(names) - MOTION_SLOTS - TEXT_SLOTS
    if unknown:
        raise MotionbaseError(f"template {text!r}: unknown slot(s) {sorted(unknown)}")
    return names
