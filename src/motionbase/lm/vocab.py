"""Motion codes as LM vocabulary (paper §4.1: "motion is a foreign language").

A motion tokenizer gives codes of shape (N, P): N time steps, P tokens per step (P = 1 for 1D
tokenizers, P body parts / feature groups for 2D-LFQ), each in [0, K). In the LM a motion is the token
sequence ``<mot> c(0,0) c(0,1) .. c(0,P-1) c(1,0) .. c(N-1,P-1) </mot>``: time-major, whole steps only.

Two ways to give codes token ids (:attr:`MotionVocab.mode`):

* ``added``: K new tokens (``<motion_k>``, or ``<motion_p{p}_{k}>`` per part) plus ``<mot>``/``</mot>``
  are appended to the text tokenizer and the embedding matrix grows.
* ``reuse``: the least frequent existing text tokens (counted over a corpus) stand for the codes and
  the two markers; the embedding matrix keeps its size (the paper's choice for its 16k LFQ codebook).
  Special tokens, added tokens and single-character tokens (the byte alphabet every text needs) are
  never reused. Reusing a token takes it away from text: generation never emits it outside a motion.

Parts (:attr:`MotionVocab.part_tokens`): ``shared`` uses the same K tokens for every part (which part
a token is follows from its position in the step: constrained decoding keeps steps whole);
``separate`` gives each part its own K tokens (P x K ids), so the id itself says the part.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from ..errors import CheckpointError, MotionbaseError, ShapeError

MOT_START = "<mot>"
MOT_END = "</mot>"
_BYTE_FALLBACK = re.compile(r"^<0x[0-9A-Fa-f]{2}>$")


@dataclass(eq=False)
class MotionVocab:
    """Token ids of motion codes and the ``<mot>`` / ``</mot>`` markers in one text tokenizer.

    code_ids: (G, K) int64, the token id of code k of group g; G = P for ``separate`` part tokens,
        else 1 (group of part p is ``p`` or 0).
    """

    codebook_size: int  # K
    tokens_per_step: int  # P
    code_ids: np.ndarray  # (G, K) int64
    start_id: int
    end_id: int
    mode: str = "added"  # "added" | "reuse"
    part_tokens: str = "shared"  # "shared" | "separate"
    reused_seen: int = 0  # reuse mode: how many reused tokens occurred in the counting corpus
    _lookup: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.code_ids = np.asarray(self.code_ids, dtype=np.int64).reshape(self.num_groups, self.codebook_size)

    # ---------------------------------------------------------------- building

    @classmethod
    def added(cls, tokenizer, codebook_size: int, tokens_per_step: int = 1,
              part_tokens: str = "shared") -> MotionVocab:
        """Append motion tokens and markers to ``tokenizer`` (in place) and return their vocabulary."""
        from tokenizers import AddedToken

        groups = _num_groups(tokens_per_step, part_tokens)
        names = [[f"<motion_{k}>" if groups == 1 else f"<motion_p{g}_{k}>" for k in range(codebook_size)]
                 for g in range(groups)]
        new = [MOT_START, MOT_END] + [n for row in names for n in row]
        existing = set(tokenizer.get_vocab())
        clash = [n for n in new if n in existing]
        if clash:
            raise MotionbaseError(f"tokenizer already has motion token {clash[0]!r}: it was given motion tokens before; "
                                  "build the motion LM from the plain text tokenizer")
        tokenizer.add_tokens([AddedToken(n, special=True, normalized=False) for n in new], special_tokens=True)
        ids = tokenizer.convert_tokens_to_ids(new)
        return cls(codebook_size, tokens_per_step, np.asarray(ids[2:]), ids[0], ids[1], "added", part_tokens)

    @classmethod
    def reused(cls, tokenizer, codebook_size: int, tokens_per_step: int = 1, part_tokens: str = "shared", *,
               corpus: Iterable[str]) -> MotionVocab:
        """Map codes and markers onto the least frequent reusable tokens of ``tokenizer`` over ``corpus``.

        Ties (e.g. the many tokens never seen) go to the highest id first: late BPE merges are the
        rarest in general text. Raises :class:`MotionbaseError` when the vocabulary is too small.
        """
        groups = _num_groups(tokens_per_step, part_tokens)
        need = groups * codebook_size + 2
        counts = token_counts(tokenizer, corpus)
        candidates = reusable_token_ids(tokenizer)
        if len(candidates) < need:
            raise MotionbaseError(
                f"vocab_mode='reuse': the text vocabulary has {len(candidates)} reusable tokens (of {len(counts)}; "
                f"special, added and single-character tokens excluded) but {need} are needed "
                f"({groups} x {codebook_size} motion codes + {MOT_START} + {MOT_END}); "
                "use vocab_mode='added' or a backbone with a larger vocabulary")
        order = np.lexsort((-candidates, counts[candidates]))  # by count, then highest id first
        chosen = candidates[order[:need]]
        return cls(codebook_size, tokens_per_step, chosen[2:], int(chosen[0]), int(chosen[1]), "reuse",
                   part_tokens, reused_seen=int((counts[chosen] > 0).sum()))

    # ---------------------------------------------------------------- properties

    @property
    def num_groups(self) -> int:
        return _num_groups(self.tokens_per_step, self.part_tokens)

    @property
    def all_ids(self) -> np.ndarray:
        """Every id this vocabulary uses: markers first, then codes (flat, int64)."""
        return np.concatenate([[self.start_id, self.end_id], self.code_ids.ravel()]).astype(np.int64)

    def group_of_part(self, part: int) -> int:
        return part if self.part_tokens == "separate" else 0

    def tables(self, vocab_size: int) -> tuple[np.ndarray, np.ndarray]:
        """(code_of, group_of): (V,) int64 arrays; -1 for ids that are not motion codes."""
        if vocab_size not in self._lookup:
            self.check_fits(vocab_size, "text tokenizer")
            code_of = np.full(vocab_size, -1, dtype=np.int64)
            group_of = np.full(vocab_size, -1, dtype=np.int64)
            for g in range(self.num_groups):
                code_of[self.code_ids[g]] = np.arange(self.codebook_size)
                group_of[self.code_ids[g]] = g
            self._lookup[vocab_size] = (code_of, group_of)
        return self._lookup[vocab_size]

    def check_fits(self, vocab_size: int, where: str) -> None:
        """Raise :class:`CheckpointError` if an id of this vocabulary is not below ``vocab_size``."""
        top = int(self.all_ids.max())
        if top >= vocab_size:
            raise CheckpointError(f"{where}: has {vocab_size} token ids but the motion vocabulary uses id {top}; "
                                  "the LM and its tokenizer files do not belong together")

    # ---------------------------------------------------------------- codes <-> ids

    def codes_to_ids(self, codes: np.ndarray | torch.Tensor, where: str = "motion codes") -> np.ndarray:
        """(N, P) int codes in [0, K) -> (N * P,) int64 token ids, time-major (no markers)."""
        arr = codes.detach().cpu().numpy() if isinstance(codes, torch.Tensor) else np.asarray(codes)
        if arr.ndim == 1 and self.tokens_per_step == 1:
            arr = arr[:, None]
        if arr.ndim != 2 or arr.shape[1] != self.tokens_per_step or not np.issubdtype(arr.dtype, np.integer):
            raise ShapeError(f"{where}: shape {arr.shape} dtype {arr.dtype}, expected (N, {self.tokens_per_step}) integers")
        bad = (arr < 0) | (arr >= self.codebook_size)
        if bad.any():
            step, part = (int(i) for i in np.argwhere(bad)[0])
            raise ShapeError(f"{where}: code {int(arr[step, part])} at step {step}, part {part} is outside "
                             f"[0, {self.codebook_size}) (the LM's motion codebook)")
        groups = np.asarray([self.group_of_part(p) for p in range(self.tokens_per_step)])
        return self.code_ids[groups[None, :], arr.astype(np.int64)].ravel()

    def ids_to_codes(self, ids: Sequence[int] | np.ndarray, vocab_size: int,
                     where: str = "motion tokens") -> np.ndarray:
        """(N * P,) token ids (codes only, no markers) -> (N, P) int64 codes.

        Raises :class:`MotionbaseError` for an id that is not a code, a code of the wrong part, or a
        length that is not whole time steps.
        """
        arr = np.asarray(ids, dtype=np.int64).reshape(-1)
        P = self.tokens_per_step
        if arr.size % P:
            raise MotionbaseError(f"{where}: {arr.size} code tokens is not a whole number of {P}-part time steps")
        code_of, group_of = self.tables(vocab_size)
        inside = (arr >= 0) & (arr < vocab_size)
        codes = np.where(inside, code_of[np.clip(arr, 0, vocab_size - 1)], -1)
        expected = np.asarray([self.group_of_part(i % P) for i in range(arr.size)], dtype=np.int64)
        bad = (codes < 0) | (group_of[np.clip(arr, 0, vocab_size - 1)] != expected)
        if bad.any():
            i = int(np.argmax(bad))
            raise MotionbaseError(f"{where}: token {int(arr[i])} at position {i} (step {i // P}, part {i % P}) "
                                  "is not a motion code of that part")
        return codes.reshape(-1, P)

    # ---------------------------------------------------------------- (de)serialisation

    def to_dict(self) -> dict:
        return {"codebook_size": self.codebook_size, "tokens_per_step": self.tokens_per_step, "mode": self.mode,
                "part_tokens": self.part_tokens, "start_id": self.start_id, "end_id": self.end_id,
                "reused_seen": self.reused_seen, "code_ids": self.code_ids.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> MotionVocab:
        return cls(int(data["codebook_size"]), int(data["tokens_per_step"]), np.asarray(data["code_ids"]),
                   int(data["start_id"]), int(data["end_id"]), str(data["mode"]), str(data["part_tokens"]),
                   int(data.get("reused_seen", 0)))


def _num_groups(tokens_per_step: int, part_tokens: str) -> int:
    if tokens_per_step < 1:
        raise MotionbaseError(f"tokens_per_step={tokens_per_step}: expected at least 1")
    return tokens_per_step if part_tokens == "separate" else 1


def token_counts(tokenizer, corpus: Iterable[str], chunk: int = 1024) -> np.ndarray:
    """(V,) int64 occurrences of each token id of ``tokenizer`` over the texts of ``corpus``."""
    counts = np.zeros(len(tokenizer), dtype=np.int64)
    batch: list[str] = []

    def flush() -> None:
        flat = np.concatenate([np.asarray(ids, dtype=np.int64)
                               for ids in tokenizer(batch, add_special_tokens=False)["input_ids"]] + [np.zeros(0, np.int64)])
        counts[:] += np.bincount(flat, minlength=len(counts))[: len(counts)]
        batch.clear()

    for text in corpus:
        batch.append(text)
        if len(batch) >= chunk:
            flush()
    if batch:
        flush()
    return counts


def reusable_token_ids(tokenizer) -> np.ndarray:
    """int64 ids that may be reused for motion: not special, not added, longer than one character."""
    tokens = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    banned = set(tokenizer.all_special_ids) | set(tokenizer.get_added_vocab().values())
    keep = [i for i, t in enumerate(tokens)
            if i not in banned and t is not None and len(t) > 1 and not _BYTE_FALLBACK.match(t)]
    return np.asarray(keep, dtype=np.int64)
