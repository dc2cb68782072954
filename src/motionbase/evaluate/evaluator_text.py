"""Words for our evaluators: caption tokenisation, a vocabulary, and word vectors from a GloVe text file.

Word vectors are learned from scratch (``nn.Embedding`` over the training vocabulary) or initialised from a
GloVe file when the user has one (``glove.6B.300d.txt`` format: one word and its floats per line); words
missing from GloVe keep a random initialisation. No network access is needed either way.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import FormatError

PAD, UNK = "<pad>", "<unk>"
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def caption_words(text: str) -> list[str]:
    """Lower-case alphabetic words of a caption (numbers and punctuation dropped)."""
    return _WORD.findall(text.lower())


@dataclass(frozen=True)
class Vocabulary:
    """Word list with ``<pad>`` at 0 and ``<unk>`` at 1."""

    words: tuple[str, ...]

    def __post_init__(self):
        if self.words[:2] != (PAD, UNK):
            raise ValueError(f"vocabulary must start with {PAD!r}, {UNK!r}")
        object.__setattr__(self, "_index", {w: i for i, w in enumerate(self.words)})

    def __len__(self) -> int:
        return len(self.words)

    def ids(self, words: Sequence[str]) -> list[int]:
        return [self._index.get(w, 1) for w in words]


def build_vocabulary(captions: Iterable[str], min_count: int = 1) -> Vocabulary:
    """Words seen at least ``min_count`` times, most frequent first (ties alphabetical)."""
    counts = Counter(w for c in captions for w in caption_words(c))
    words = sorted((w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w))
    return Vocabulary((PAD, UNK, *words))


def read_glove(path: str | os.PathLike, vocab: Vocabulary, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Vectors for ``vocab`` from a GloVe text file: ((V, dim) float32, (V,) bool found).

    Rows of words not in the file are zero (the caller initialises them). A line whose vector does not have
    ``dim`` numbers raises :class:`FormatError` naming the file and line.
    """
    index = {w: i for i, w in enumerate(vocab.words)}
    vectors = np.zeros((len(vocab), dim), dtype=np.float32)
    found = np.zeros(len(vocab), dtype=bool)
    try:
        f = open(path, encoding="utf-8")
    except OSError as exc:
        raise FormatError(path, f"cannot read GloVe file: {exc.strerror}") from None
    with f:
        for line_no, line in enumerate(f, start=1):
            word, _, rest = line.rstrip("\n").partition(" ")
            i = index.get(word)
            if i is None:
                continue
            values = rest.split()
            if len(values) != dim:
                raise FormatError(path, f"{len(values)} numbers for {word!r}, expected {dim}", line=line_no)
            try:
                vectors[i] = np.asarray(values, dtype=np.float32)
            except ValueError:
                raise FormatError(path, f"non-numeric vector for {word!r}", line=line_no) from None
            found[i] = True
    return vectors, found
