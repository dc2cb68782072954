"""Motion-to-text metrics: BLEU-1..4, ROUGE-L and CIDEr, as the COCO caption scripts compute them.

Motion captioning (TM2T, Guo et al. 2022b) reports these through ``nlg-eval``, i.e. the MS-COCO caption
evaluation code (``pycocoevalcap``); we reproduce its definitions so numbers are comparable:

* **BLEU-n** (Papineni et al. 2002) at corpus level: clipped n-gram matches summed over all captions, the
  geometric mean of 1..n-gram precisions, times the brevity penalty exp(1 - r/c) when the total candidate
  length c is below r, the sum of each caption's *closest* reference length (ties: the shorter). The COCO
  code adds 1e-15 to matches and 1e-9 to counts so a zero precision gives ~0, not a division error.
* **ROUGE-L** (Lin 2004): per caption, the longest common subsequence with each reference gives
  P = LCS/|cand| and R = LCS/|ref|; the best P and best R over references combine into
  F = (1+β²)PR / (R + β²P) with β = 1.2; averaged over captions.
* **CIDEr** (the COCO code's CIDEr-D, Vedantam et al. 2015): n-grams (n = 1..4) weighted by TF × IDF with
  document frequencies over the references of the evaluated set (IDF = log(N) - log(max(1, df))); per n the
  cosine-like similarity sums min(cand, ref)·ref over n-grams (clipping), divided by both norms, times a
  Gaussian length penalty exp(-Δ²/(2·6²)); averaged over n and references, ×10. As in the COCO code, the
  "length" in the penalty counts the caption's bigrams, not its words.

MotionGPT's captioning numbers come from ``nlgmetricverse`` instead, whose BLEU smoothing and ROUGE
(F1 of ``rouge-score``) differ; compare only numbers from the same implementation.
Captions are lower-cased and split into words with :func:`tokenize` (an approximation of the COCO code's
Java PTB tokenizer: punctuation dropped, hyphenated words and contractions kept whole).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from ..errors import ShapeError

_WORD = re.compile(r"[a-z0-9]+(?:['\-][a-z0-9]+)*")
_TINY, _SMALL = 1e-15, 1e-9  # pycocoevalcap's smoothing constants
ROUGE_BETA = 1.2
CIDER_SIGMA = 6.0


def tokenize(text: str) -> list[str]:
    """Lower-case words of ``text`` with punctuation removed."""
    return _WORD.findall(text.lower())


def _ngrams(words: Sequence[str], max_n: int) -> Counter:
    return Counter(tuple(words[i:i + n]) for n in range(1, max_n + 1) for i in range(len(words) - n + 1))


def _prepare(hypotheses: Sequence[str], references: Sequence[Sequence[str]]):
    if len(hypotheses) != len(references):
        raise ShapeError(f"{len(hypotheses)} generated captions but {len(references)} reference sets; "
                         "expected one reference set per caption")
    if not hypotheses:
        raise ShapeError("no captions to score; expected at least one")
    hyps = [tokenize(h) for h in hypotheses]
    refs = []
    for i, rs in enumerate(references):
        if isinstance(rs, str) or len(rs) == 0:
            raise ShapeError(f"references of caption {i}: expected a non-empty list of strings")
        refs.append([tokenize(r) for r in rs])
    return hyps, refs


def bleu(hypotheses: Sequence[str], references: Sequence[Sequence[str]], max_n: int = 4) -> list[float]:
    """Corpus BLEU-1..``max_n`` of generated captions against their reference sets (see module docstring)."""
    hyps, refs = _prepare(hypotheses, references)
    correct = np.zeros(max_n)
    guess = np.zeros(max_n)
    cand_len = ref_len = 0
    for h, rs in zip(hyps, refs):
        max_ref = Counter()
        for r in rs:
            max_ref |= _ngrams(r, max_n)  # element-wise max of counts
        for gram, count in _ngrams(h, max_n).items():
            correct[len(gram) - 1] += min(count, max_ref[gram])
        guess += [max(0, len(h) - n + 1) for n in range(1, max_n + 1)]
        cand_len += len(h)
        ref_len += min((abs(len(r) - len(h)), len(r)) for r in rs)[1]
    precisions = (correct + _TINY) / (guess + _SMALL)
    ratio = (cand_len + _TINY) / (ref_len + _SMALL)
    penalty = math.exp(1.0 - 1.0 / ratio) if ratio < 1.0 else 1.0
    return [float(np.prod(precisions[:n]) ** (1.0 / n) * penalty) for n in range(1, max_n + 1)]


def _lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def rouge_l(hypotheses: Sequence[str], references: Sequence[Sequence[str]], beta: float = ROUGE_BETA) -> float:
    """Mean ROUGE-L F-score (β = 1.2) of generated captions against their reference sets."""
    hyps, refs = _prepare(hypotheses, references)
    scores = []
    for h, rs in zip(hyps, refs):
        lcs = [_lcs_length(r, h) for r in rs]
        prec = max(n / len(h) if h else 0.0 for n in lcs)
        rec = max(n / len(r) if r else 0.0 for n, r in zip(lcs, rs))
        ok = prec > 0 and rec > 0
        scores.append((1 + beta ** 2) * prec * rec / (rec + beta ** 2 * prec) if ok else 0.0)
    return float(np.mean(scores))


def cider(hypotheses: Sequence[str], references: Sequence[Sequence[str]], max_n: int = 4,
          sigma: float = CIDER_SIGMA) -> float:
    """CIDEr (COCO's CIDEr-D) of generated captions; document frequencies from these references."""
    hyps, refs = _prepare(hypotheses, references)
    ref_grams = [[_ngrams(r, max_n) for r in rs] for rs in refs]
    doc_freq = Counter(g for grams in ref_grams for g in set().union(*grams))
    log_n = math.log(float(len(refs)))

    def vectorize(counts: Counter):
        vec = [dict() for _ in range(max_n)]
        norm = np.zeros(max_n)
        for gram, tf in counts.items():
            w = tf * (log_n - math.log(max(1.0, doc_freq[gram])))
            vec[len(gram) - 1][gram] = w
            norm[len(gram) - 1] += w * w
        length = sum(tf for gram, tf in counts.items() if len(gram) == 2)  # COCO's quirk: bigram count
        return vec, np.sqrt(norm), length

    scores = []
    for h, grams in zip(hyps, ref_grams):
        vh, nh, lh = vectorize(_ngrams(h, max_n))
        total = np.zeros(max_n)
        for g in grams:
            vr, nr, lr = vectorize(g)
            sim = np.array([sum(min(w, vr[n].get(gram, 0.0)) * vr[n].get(gram, 0.0) for gram, w in vh[n].items())
                            for n in range(max_n)], dtype=np.float64)  # float even for an empty caption
            denom = nh * nr
            sim = np.divide(sim, denom, out=sim, where=denom != 0)
            total += sim * math.exp(-((lh - lr) ** 2) / (2 * sigma ** 2))
        scores.append(total.mean() / len(grams) * 10.0)
    return float(np.mean(scores))


def caption_metrics(hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> dict[str, float]:
    """BLEU-1..4, ROUGE-L and CIDEr in one dict (keys ``bleu_1`` … ``bleu_4``, ``rouge_l``, ``cider``)."""
    out = {f"bleu_{n}": v for n, v in enumerate(bleu(hypotheses, references), start=1)}
    out["rouge_l"] = rouge_l(hypotheses, references)
    out["cider"] = cider(hypotheses, references)
    return out
