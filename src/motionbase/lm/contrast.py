"""Caption contrast: a motion should be more likely under its own caption than under the caption of a similar,
different motion.

The causal-LM loss makes ``P(motion | caption)`` high, but nothing in it asks that the caption *matter*: a motion
that is as likely under "raises the right hand" as under "raises both hands" costs nothing, and classifier-free
guidance can only amplify differences the model has. The contrast term adds, for a text-to-motion example with
caption ``c`` and a *negative* caption ``c'`` of another motion, a hinge on the mean per-token log-likelihood
ratio of the motion tokens::

    d = (log P(m | c) - log P(m | c')) / n_motion_tokens,      loss = max(0, margin - d)

so pairs the model already tells apart by ``margin`` nats per token cost nothing, and the term cannot push the
negative's likelihood down without bound.

Negatives are hard, and found without rules about words: records that share a whole-body caption are one group
(with labelled data, one content x style; a caption is a paraphrase of its group's labels), and a record's
negatives are the captions of the ``neighbours`` groups whose words are most alike (TF-IDF cosine over the words
of their captions): "raises both hands" draws "raises the right hand" and "waves both hands", and the same action
in other styles. Caveat: with free-text data (a caption per clip), a near caption of another clip may be true of
the motion too; the hinge bounds what such a pair can do, but the term is meant for data whose groups differ.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"[a-z]+")


def caption_groups(captions: Sequence[Sequence[str]]) -> np.ndarray:
    """(R,) group index per record: records that share a caption (directly or through others) are one group.

    A record without captions is a group of its own."""
    parent = list(range(len(captions)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, caps in enumerate(captions):
        for c in caps:
            if c in owner:
                parent[root(i)] = root(owner[c])
            else:
                owner[c] = i
    roots = [root(i) for i in range(len(captions))]
    _, index = np.unique(roots, return_inverse=True)
    return index.astype(np.int64)


def nearest_groups(pools: Sequence[Sequence[str]], neighbours: int) -> list[np.ndarray]:
    """For each group (its captions ``pools[g]``), the ``neighbours`` other non-empty groups whose words are most
    alike, nearest first (TF-IDF over word presence, cosine). Empty groups get none."""
    words = [{w for c in pool for w in _WORD.findall(c.lower())} for pool in pools]
    vocab = {w: j for j, w in enumerate(sorted(set().union(*words)))} if words else {}
    x = np.zeros((len(pools), max(len(vocab), 1)))
    for g, ws in enumerate(words):
        x[g, [vocab[w] for w in ws]] = 1.0
    df = x.sum(0)
    x *= np.log((len(pools) + 1) / (df + 1)) + 1.0
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
    sim = x @ x.T
    usable = np.asarray([len(p) > 0 for p in pools])
    out = []
    for g in range(len(pools)):
        if not usable[g]:
            out.append(np.zeros(0, dtype=np.int64))
            continue
        s = np.where(usable, sim[g], -np.inf)
        s[g] = -np.inf
        order = np.argsort(-s, kind="stable")
        out.append(order[:min(neighbours, int(np.isfinite(s).sum()))].astype(np.int64))
    return out


class NegativeCaptions:
    """Draws a negative caption for a record: a caption of one of its group's nearest groups.

    ``captions[i]``: the captions record ``i`` may be conditioned on (with canonical sides, only those in the
    canonical side), which are also the pool its group offers as negatives to others.
    """

    def __init__(self, captions: Sequence[Sequence[str]], neighbours: int):
        self.group = caption_groups(captions)
        n_groups = int(self.group.max()) + 1 if len(self.group) else 0
        pools: list[set[str]] = [set() for _ in range(n_groups)]
        for i, caps in enumerate(captions):
            pools[self.group[i]].update(caps)
        self.pools = [sorted(p) for p in pools]
        self.neighbours = nearest_groups(self.pools, neighbours)

    def draw(self, index: int, rng: np.random.Generator) -> str | None:
        """A negative caption for record ``index`` (None when its group has no neighbour)."""
        near = self.neighbours[self.group[index]]
        if not len(near):
            return None
        pool = self.pools[int(near[int(rng.integers(len(near)))])]
        return pool[int(rng.integers(len(pool)))]


def masked_logprob(logits, input_ids, mask):
    """Sum of the log-probabilities of the tokens where ``mask`` (B, L) is set, and their count (B,): token t is
    predicted by the logits at t - 1. (The contrast's motion tokens; the reranker's caption tokens.)"""
    import torch

    lp = torch.log_softmax(logits[:, :-1].float(), -1).gather(-1, input_ids[:, 1:, None])[..., 0]
    mask = mask[:, 1:].to(lp.dtype)
    return (lp * mask).sum(-1), mask.sum(-1)


def contrast_loss(pos_lp, neg_lp, counts, margin: float):
    """Mean hinge ``max(0, margin - d)`` over pairs, d the per-token log-likelihood ratio; and the share of pairs
    whose own caption is the likelier (d > 0)."""
    import torch

    d = (pos_lp - neg_lp) / counts.clamp(min=1.0)
    return torch.relu(margin - d).mean(), (d > 0).float().mean()
