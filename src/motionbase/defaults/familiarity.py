"""Is a prompt near anything the model was trained on? TF-IDF similarity to its training captions.

A motion LM follows prompts like its training captions and little else; a prompt about a backflip
sent to a model that only ever saw walking and waving gets *some* motion, silently. This module
says so instead: it indexes the training captions (bag of content words, lightly stemmed, TF-IDF
weighted, L2 normalised) and scores a prompt by its highest cosine similarity to any of them. Words
the captions never use count as terms of the highest IDF, so they lower the score rather than being
ignored. Below :attr:`FamiliarityConfig.threshold` the prompt is *unfamiliar* and the report lists
what the model does know (the topics saved with it, else its most frequent caption words) and the
nearest training captions.

The captions travel with the LM checkpoint as ``training_captions.json``: a JSON list of caption
strings, or ``{"captions": [...], "topics": [...]}`` where ``topics`` are short names of what the
training data covers ("walk", "wave the left hand", ...). :func:`save_training_captions` writes it.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..config import Config
from ..errors import FormatError
from ..io import atomic_write_text

CAPTIONS_FILE = "training_captions.json"

# Function words and generic subjects: they say nothing about the motion.
STOPWORDS = frozenset("""
a an the and or but of to in on at by for with from into onto over under up down out off as is are be been
being was were it its this that these those then than so very just while his her their them they he she him
someone somebody person people man woman guy lady human figure character body does do doing did done
""".split())
_WORD = re.compile(r"[a-z]+")


@lru_cache(maxsize=4096)  # a few hundred distinct words over ~50,000 calls when the index loads with the model
def stem(word: str) -> str:
    """A light English stemmer: waves / waving / waved -> wav, runs / running -> run, hands -> hand."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiousl":
        word = word[:-1]  # runn -> run, stepp -> step (but not fall, press)
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def terms(text: str) -> list[str]:
    """Stemmed content words of ``text``, in order."""
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1]


@dataclass(frozen=True)
class FamiliarityConfig(Config):
    """threshold: cosine similarity (0..1) below which a prompt is unfamiliar. nearest: captions to show.
    known: topics (or frequent words) to list."""

    threshold: float = 0.35
    nearest: int = 3
    known: int = 12


@dataclass
class FamiliarityReport:
    """How close ``prompt`` is to the training captions. score: best cosine similarity, 0..1."""

    prompt: str
    score: float
    familiar: bool
    nearest: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)

    def message(self) -> str:
        """One line for the user: empty when the prompt is familiar."""
        if self.familiar:
            return ""
        near = "; ".join(f'"{c}"' for c in self.nearest) or "none"
        return (f'"{self.prompt}" is far from what this model was trained on (similarity {self.score:.2f}); '
                f"it knows: {', '.join(self.known)}. Nearest training captions: {near}")


class CaptionIndex:
    """TF-IDF index of training captions (see the module docstring)."""

    def __init__(self, captions: Sequence[str], topics: Sequence[str] | None = None,
                 config: FamiliarityConfig | None = None):
        self.config = config or FamiliarityConfig()
        self.captions = list(dict.fromkeys(c.strip() for c in captions if c and c.strip()))
        docs = [terms(c) for c in self.captions]
        df = Counter(t for d in docs for t in set(d))
        self.vocab = {t: i for i, t in enumerate(sorted(df))}
        n = len(docs)
        self.idf = np.array([math.log((1 + n) / (1 + df[t])) + 1 for t in sorted(df)], np.float64)
        self.unseen_idf = math.log(1 + n) + 1  # a word no caption uses
        self.matrix = self._rows(docs)
        self.topics = list(topics) if topics else _frequent_words(self.captions, docs, df, self.config.known)

    @classmethod
    def load(cls, lm_dir: str | os.PathLike, config: FamiliarityConfig | None = None) -> CaptionIndex | None:
        """The index of ``lm_dir/training_captions.json``; None when the LM has no such file."""
        path = Path(lm_dir) / CAPTIONS_FILE
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise FormatError(path, f"not readable JSON ({exc})") from None
        captions, topics = (data, None) if isinstance(data, list) else \
            (data.get("captions"), data.get("topics")) if isinstance(data, dict) else (None, None)
        if not isinstance(captions, list) or not all(isinstance(c, str) for c in captions) \
                or not isinstance(topics, (list, type(None))):
            raise FormatError(path, 'expected a list of caption strings or {"captions": [...], "topics": [...]}')
        return cls(captions, topics, config)

    def _rows(self, docs: Sequence[Sequence[str]]):
        from scipy.sparse import csr_matrix

        data, cols, ptr = [], [], [0]
        seen: dict[tuple[str, ...], tuple[list[int], list[float]]] = {}  # captions differing in stopwords only
        for d in docs:
            if (key := tuple(d)) not in seen:
                counts = Counter(t for t in d if t in self.vocab)
                w = np.array([c * self.idf[self.vocab[t]] for t, c in counts.items()], np.float64)
                norm = np.linalg.norm(w) or 1.0
                seen[key] = [self.vocab[t] for t in counts], list(w / norm)
            cols += seen[key][0]
            data += seen[key][1]
            ptr.append(len(cols))
        return csr_matrix((data, cols, ptr), shape=(len(docs), len(self.vocab)))

    def similarities(self, prompt: str) -> np.ndarray:
        """(C,) cosine similarity of ``prompt`` to every caption (0 for a prompt without content words)."""
        counts = Counter(terms(prompt))
        if not counts or not self.captions:
            return np.zeros(len(self.captions))
        known = {t: c for t, c in counts.items() if t in self.vocab}
        unseen = sum((c * self.unseen_idf) ** 2 for t, c in counts.items() if t not in self.vocab)
        q = np.zeros(len(self.vocab))
        for t, c in known.items():
            q[self.vocab[t]] = c * self.idf[self.vocab[t]]
        norm = math.sqrt(float(q @ q) + unseen)
        return np.asarray(self.matrix @ (q / norm)).ravel()

    def check(self, prompt: str) -> FamiliarityReport:
        sims = self.similarities(prompt)
        best = float(sims.max()) if len(sims) else 0.0
        order = np.argsort(-sims, kind="stable")[: self.config.nearest]
        nearest = [self.captions[i] for i in order if sims[i] > 0]
        return FamiliarityReport(prompt, best, best >= self.config.threshold, nearest, list(self.topics))


def save_training_captions(lm_dir: str | os.PathLike, captions: Iterable[str],
                           topics: Sequence[str] | None = None) -> Path:
    """Write ``lm_dir/training_captions.json`` (atomically): the distinct captions, and topics if given."""
    unique = list(dict.fromkeys(c.strip() for c in captions if c and c.strip()))
    data = {"captions": unique, "topics": list(topics)} if topics else unique
    return atomic_write_text(Path(lm_dir) / CAPTIONS_FILE, json.dumps(data, ensure_ascii=False, indent=0))


def _frequent_words(captions: Sequence[str], docs: Sequence[Sequence[str]], df: Counter, n: int) -> list[str]:
    """The ``n`` stems used by most captions, each shown as its most common spelling."""
    spelled: dict[str, Counter] = {}
    for caption in captions:
        for word in _WORD.findall(caption.lower()):
            if word not in STOPWORDS and len(word) > 1:
                spelled.setdefault(stem(word), Counter())[word] += 1
    return [spelled[t].most_common(1)[0][0] for t, _ in df.most_common(n) if t in spelled]
