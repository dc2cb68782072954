"""Text-to-motion metrics over evaluator embeddings: R-precision, MM-Dist, FID, Diversity, MultiModality.

All functions are pure: they take embeddings (numpy arrays, one row per sample, from the same text-motion
evaluator) and a ``numpy.random.Generator`` where the protocol samples, and return numbers.

The protocol is Guo et al. 2022 (text-to-motion, ``final_evaluations.py`` + ``utils/metrics.py``):

* **R-precision** (top-1/2/3): the samples are shuffled and cut into batches of 32 (the last incomplete batch
  is dropped, as ``drop_last=True`` does); within a batch every text ranks the 32 motions by Euclidean distance
  and a hit at rank k means its own motion is among the k nearest (1 true motion + 31 others).
  R@k = hits / samples in the kept batches.
* **MM-Dist** ("matching score"): mean Euclidean distance between each text and its own motion, over the same
  kept batches (Guo sums the distance-matrix traces and divides by the number of samples).
* **FID**: Fréchet distance between Gaussians fitted (mean, ``np.cov`` with ddof 1) to the motion embeddings of
  real and generated motions.
* **Diversity**: mean distance between 300 random pairs (two independent draws of 300 distinct indices).
* **MultiModality**: for each of 100 texts, 30 generations; mean distance between 10 random pairs of
  generations per text (the same 10 index pairs for every text).
* Each metric is computed 20 times with fresh random draws and reported as mean ± 1.96·σ/√20, σ with ddof 0
  (see :mod:`.protocol`).

Where T2M-GPT (``utils/eval_trans.py``) differs, so that numbers are compared like with like:

* its FID compares generated motions with the ground-truth embeddings of the *same* batches (same caption draw
  and crop) inside each replication; Guo fits the ground truth once per replication from a separate pass of the
  ground-truth loader;
* Diversity uses 300 pairs only when there are more than 300 samples, else 100;
* MultiModality uses every test text (not 100) with the generations of its repeat loop, 10 pairs;
* the generated motion is embedded with its *predicted* length, the ground truth with its own;
* both crop motions to a multiple of 4 frames with Guo's random "single/single/double" coin (see
  :mod:`.t2m_loader`), so even the ground-truth numbers move between replications.

Two deviations of ours, both documented where they apply: batches can be built with **distinct labels** (with
few distinct captions — the Bandai data has 70 content × style labels — a batch of 32 would otherwise hold
paraphrases of the true text, which no evaluator can tell apart), and the distance matrix is clipped at 0
before the square root (Guo's expansion can go slightly negative and give NaN for identical rows).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import ShapeError
from .checks import check_embeddings, check_same_dim, check_same_shape

R_PRECISION_BATCH = 32  # Guo's batch: 1 true text + 31 others
TOP_K = 3
DIVERSITY_PAIRS = 300
MM_TEXTS, MM_GENERATIONS, MM_PAIRS = 100, 30, 10  # MultiModality: texts x generations each, pairs per text


class FewSamplesWarning(UserWarning):
    """A statistic was computed from fewer samples than it needs to be reliable (e.g. FID with N < D)."""


def euclidean_distance_matrix(a, b) -> np.ndarray:
    """(N1, D), (N2, D) -> (N1, N2) Euclidean distances, ``out[i, j] = |a_i - b_j|``."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    sq = (a * a).sum(1)[:, None] - 2.0 * a @ b.T + (b * b).sum(1)[None, :]
    return np.sqrt(np.maximum(sq, 0.0))


def top_k_hits(dist: np.ndarray, top_k: int = TOP_K) -> np.ndarray:
    """(N, k) bool: row i's true match (column i) is among its ``k`` nearest columns, for k = 1..top_k.

    Ties are broken by column order (a stable sort), as ``np.argsort`` does in Guo's ``calculate_top_k``.
    """
    order = np.argsort(dist, axis=1, kind="stable")[:, :top_k]
    hit_at = order == np.arange(dist.shape[0])[:, None]
    return np.cumsum(hit_at, axis=1) > 0


def retrieval_batches(num_samples: int, rng: np.random.Generator, *, batch_size: int = R_PRECISION_BATCH,
                      labels=None) -> list[np.ndarray]:
    """Index batches for R-precision: shuffled, ``batch_size`` each, the incomplete remainder dropped.

    With ``labels`` (one hashable per sample, e.g. a content×style id) every batch holds ``batch_size``
    *distinct* labels, so no other text in the batch is a paraphrase of the true one. Batches are filled
    greedily from the labels with the most samples left; the samples that cannot be placed (fewer than
    ``batch_size`` labels left) are dropped, like the remainder without labels.
    """
    if num_samples < batch_size:
        raise ShapeError(f"{num_samples} samples, expected at least {batch_size} for one R-precision batch")
    if labels is None:
        perm = rng.permutation(num_samples)
        n_full = num_samples // batch_size
        return [perm[i * batch_size:(i + 1) * batch_size] for i in range(n_full)]
    labels = list(labels)
    if len(labels) != num_samples:
        raise ShapeError(f"{len(labels)} labels for {num_samples} samples; expected one label per sample")
    groups: dict = {}
    for i in rng.permutation(num_samples):
        groups.setdefault(labels[i], []).append(int(i))
    if len(groups) < batch_size:
        raise ShapeError(f"{len(groups)} distinct labels, expected at least {batch_size} to build batches of "
                         f"{batch_size} distinct labels; pass labels=None to allow paraphrases in a batch")
    pools = list(groups.values())
    rng.shuffle(pools)  # random tie order among labels of equal size
    batches = []
    while True:
        pools.sort(key=len, reverse=True)  # stable: ties keep the shuffled order
        if len(pools) < batch_size or not pools[batch_size - 1]:
            break
        batch = np.array([pool.pop() for pool in pools[:batch_size]])
        batches.append(batch[rng.permutation(batch_size)])
    return batches


@dataclass(frozen=True)
class RetrievalResult:
    """R-precision (top-1..k fractions), MM-Dist and how many samples/batches they were computed on."""

    r_precision: np.ndarray  # (top_k,)
    mm_dist: float
    num_samples: int
    num_batches: int


def r_precision(text_emb, motion_emb, rng: np.random.Generator, *, batch_size: int = R_PRECISION_BATCH,
                top_k: int = TOP_K, labels=None) -> RetrievalResult:
    """Guo's R-precision and MM-Dist over shuffled batches (see module docstring).

    text_emb, motion_emb: (N, D), row i of each describes the same sample. ``labels``: see
    :func:`retrieval_batches`.
    """
    text = check_embeddings(text_emb, "text embeddings")
    motion = check_embeddings(motion_emb, "motion embeddings")
    check_same_shape(text, motion, "text embeddings", "motion embeddings")
    batches = retrieval_batches(len(text), rng, batch_size=batch_size, labels=labels)
    hits = np.zeros(top_k)
    dist_sum = 0.0
    for idx in batches:
        dist = euclidean_distance_matrix(text[idx], motion[idx])
        dist_sum += float(np.trace(dist))
        hits += top_k_hits(dist, top_k).sum(0)
    n = len(batches) * batch_size
    return RetrievalResult(hits / n, dist_sum / n, n, len(batches))


def mm_dist(text_emb, motion_emb) -> float:
    """Mean Euclidean distance between each text embedding and its own motion's (all rows, no batching)."""
    text = check_embeddings(text_emb, "text embeddings")
    motion = check_embeddings(motion_emb, "motion embeddings")
    check_same_shape(text, motion, "text embeddings", "motion embeddings")
    return float(np.linalg.norm(text - motion, axis=1).mean())


def activation_statistics(emb, name: str = "motion embeddings") -> tuple[np.ndarray, np.ndarray]:
    """(N, D) -> mean (D,) and covariance (D, D) with ddof 1 (``np.cov(rowvar=False)``, as Guo)."""
    x = check_embeddings(emb, name, min_rows=2)
    if x.shape[0] < x.shape[1]:
        warnings.warn(f"{name}: {x.shape[0]} samples for {x.shape[1]}-dim embeddings; the covariance is "
                      "rank-deficient and FID is biased (use at least as many samples as dimensions)",
                      FewSamplesWarning, stacklevel=3)
    return x.mean(0), np.atleast_2d(np.cov(x, rowvar=False))


def _sqrt_psd(m: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((m + m.T) / 2)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """|mu1 - mu2|² + tr(S1 + S2 - 2 (S1 S2)^½) between two Gaussians.

    tr((S1 S2)^½) is computed as the sum of square roots of the eigenvalues of S1^½ S2 S1^½ (the same
    value as Guo's ``scipy.linalg.sqrtm(S1 @ S2)`` trace, but symmetric, so no imaginary parts and no
    ``eps`` retry are needed for singular covariances).
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, float)), np.atleast_1d(np.asarray(mu2, float))
    s1, s2 = np.atleast_2d(np.asarray(sigma1, float)), np.atleast_2d(np.asarray(sigma2, float))
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (mu1.size, mu1.size):
        raise ShapeError(f"Gaussians of different sizes: means {mu1.shape}, {mu2.shape}, covariances "
                         f"{s1.shape}, {s2.shape}; expected (D,) and (D, D) for both")
    root1 = _sqrt_psd(s1)
    eig = np.linalg.eigvalsh(root1 @ s2 @ root1)
    tr_covmean = float(np.sqrt(np.clip(eig, 0.0, None)).sum())
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * tr_covmean)


def fid(generated_emb, real_emb) -> float:
    """FID between generated and real motion embeddings, (N1, D) and (N2, D).

    Warns (:class:`FewSamplesWarning`) when either set has fewer samples than dimensions.
    """
    gen = check_embeddings(generated_emb, "generated motion embeddings", min_rows=2)
    real = check_embeddings(real_emb, "real motion embeddings", min_rows=2)
    check_same_dim(gen, real, "generated motion embeddings", "real motion embeddings")
    return frechet_distance(*activation_statistics(real, "real motion embeddings"),
                            *activation_statistics(gen, "generated motion embeddings"))


def diversity(emb, rng: np.random.Generator, times: int = DIVERSITY_PAIRS) -> float:
    """Mean distance between ``times`` random pairs (two independent draws of distinct indices), as Guo.

    Needs more than ``times`` samples (Guo asserts it); T2M-GPT lowers ``times`` to 100 below 300 samples.
    """
    x = check_embeddings(emb, "motion embeddings")
    if x.shape[0] <= times:
        raise ShapeError(f"motion embeddings: {x.shape[0]} samples, expected more than {times} for Diversity "
                         f"over {times} pairs (lower `times` for small splits)")
    first = rng.choice(x.shape[0], times, replace=False)
    second = rng.choice(x.shape[0], times, replace=False)
    return float(np.linalg.norm(x[first] - x[second], axis=1).mean())


def multimodality(emb, rng: np.random.Generator, times: int = MM_PAIRS) -> float:
    """(num_texts, num_generations, D) -> mean distance between ``times`` random pairs of generations.

    The same index pairs are used for every text, as in Guo's ``calculate_multimodality``.
    """
    x = np.asarray(emb, dtype=np.float64)
    if x.ndim != 3:
        raise ShapeError(f"multimodality embeddings: shape {x.shape}, expected (texts, generations, D)")
    check_embeddings(x.reshape(x.shape[0], -1), "multimodality embeddings")
    if x.shape[1] <= times:
        raise ShapeError(f"multimodality embeddings: {x.shape[1]} generations per text, expected more than "
                         f"{times}")
    first = rng.choice(x.shape[1], times, replace=False)
    second = rng.choice(x.shape[1], times, replace=False)
    return float(np.linalg.norm(x[:, first] - x[:, second], axis=2).mean())
