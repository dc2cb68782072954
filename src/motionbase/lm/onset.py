"""Where a generated motion may begin: the codes the training clips begin with.

Real takes start from a settled pose; a motion LM sampled at temperature 1 does not always: the default drew its
first time step, in 16 % of its hand gestures, from codes no training clip starts with, so the arm was already
half raised in the first frame (real clips of those actions: never) and a gesture had no rise for the eye, or the
hand check, to see (docs/GENERATION.md, session 16). A motion's *onset* is therefore drawn from the codes each body
part (each position of a time step) takes at the first time step of some training record; after it the LM is free.

The onset set is a (P, K) bool table: position p of a time step may start with code k. Training writes it into the
checkpoint (``motion_lm.json``, key ``onset``: the allowed codes per position), computed from the run's records;
a checkpoint without one (older checkpoints) starts anywhere. Only answers that begin a motion from nothing
(text-to-motion, unconditional) are held to it: a continuation or an in-between starts mid-motion by design.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import CheckpointError

ONSET_TASKS = ("t2m", "unconditional")  # answers that begin a motion from nothing


def onset_codes(codes: Sequence[np.ndarray], tokens_per_step: int, codebook_size: int) -> np.ndarray:
    """(P, K) bool: position p's code k is the first time step of at least one of ``codes`` ((N, P) arrays;
    empty ones are skipped)."""
    table = np.zeros((tokens_per_step, codebook_size), dtype=bool)
    firsts = [np.asarray(c, dtype=np.int64).reshape(-1, tokens_per_step)[0] for c in codes if len(c)]
    if firsts:
        table[np.arange(tokens_per_step)[None, :].repeat(len(firsts), 0), np.stack(firsts)] = True
    return table


def onset_to_dict(table: np.ndarray) -> list[list[int]]:
    """The allowed codes of each position, as ``motion_lm.json`` stores them."""
    return [np.flatnonzero(row).tolist() for row in np.asarray(table, dtype=bool)]


def onset_from_dict(rows: object, tokens_per_step: int, codebook_size: int, where: str) -> np.ndarray:
    """Inverse of :func:`onset_to_dict`; :class:`CheckpointError` for a table of the wrong shape or codes."""
    if not isinstance(rows, list) or len(rows) != tokens_per_step:
        raise CheckpointError(f"{where}: 'onset' must list the allowed codes of each of the {tokens_per_step} "
                              "positions of a time step")
    table = np.zeros((tokens_per_step, codebook_size), dtype=bool)
    for p, row in enumerate(rows):
        codes = np.asarray(row, dtype=np.int64) if isinstance(row, list) else np.zeros(0, np.int64)
        if not isinstance(row, list) or not len(codes) or codes.min() < 0 or codes.max() >= codebook_size:
            raise CheckpointError(f"{where}: 'onset' position {p}: expected a non-empty list of codes in "
                                  f"[0, {codebook_size})")
        table[p, codes] = True
    return table


def onset_token_mask(table: np.ndarray, code_ids: np.ndarray, width: int) -> np.ndarray:
    """(P, width) bool over token ids: the ids position p may start with. ``code_ids``: the vocabulary's (G, K)
    token id of each code (G = P for separate part tokens, 1 when the parts share tokens)."""
    code_ids = np.asarray(code_ids)
    mask = np.zeros((len(table), width), dtype=bool)
    for p, row in enumerate(table):
        mask[p, code_ids[p % len(code_ids)][row]] = True
    return mask
