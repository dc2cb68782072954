"""R-precision, MM-Dist, FID, Diversity, MultiModality: hand-computed values and Guo's published formulas."""

import warnings

import numpy as np
import pytest
from scipy import linalg

from motionbase.errors import ShapeError
from motionbase.metrics import (
    FewSamplesWarning,
    diversity,
    euclidean_distance_matrix,
    fid,
    frechet_distance,
    mm_dist,
    multimodality,
    r_precision,
    retrieval_batches,
    top_k_hits,
)


def rng(seed=0):
    return np.random.default_rng(seed)


def test_distance_matrix_by_hand():
    d = euclidean_distance_matrix([[0, 0], [3, 4]], [[0, 0], [3, 0], [3, 4]])
    np.testing.assert_allclose(d, [[0, 3, 5], [5, 4, 0]], atol=1e-12)
    # identical rows give exactly 0, not NaN from a slightly negative expansion
    x = np.full((2, 512), 0.1234567)
    assert np.isfinite(euclidean_distance_matrix(x, x)).all()


def test_top_k_hits_by_hand():
    dist = np.array([[0.1, 1.0, 2.0],   # true match nearest
                     [0.5, 0.9, 0.1],   # true match third
                     [0.3, 0.2, 0.25]])  # true match second
    hits = top_k_hits(dist, 3)
    np.testing.assert_array_equal(hits, [[1, 1, 1], [0, 0, 1], [0, 1, 1]])


def test_r_precision_and_mm_dist_by_hand():
    # 1-D: motions at 0, 1, 2, 3; texts at 0.1, 1.6, 2.0, 5.0.
    # ranks of the true motion: 1, 2 (|1.6-2| < |1.6-1|), 1, 1 -> R@1 = 3/4, R@2 = R@3 = 1
    # MM-Dist = (0.1 + 0.6 + 0 + 2) / 4
    motion = np.array([[0.0], [1.0], [2.0], [3.0]])
    text = np.array([[0.1], [1.6], [2.0], [5.0]])
    res = r_precision(text, motion, rng(), batch_size=4)
    np.testing.assert_allclose(res.r_precision, [0.75, 1.0, 1.0])
    assert res.mm_dist == pytest.approx(0.675)
    assert (res.num_samples, res.num_batches) == (4, 1)
    assert mm_dist(text, motion) == pytest.approx(0.675)


def test_incomplete_last_batch_is_dropped():
    x = rng().normal(size=(70, 8))
    res = r_precision(x, x, rng(), batch_size=32)
    assert (res.num_samples, res.num_batches) == (64, 2)
    np.testing.assert_allclose(res.r_precision, [1, 1, 1])
    assert res.mm_dist == pytest.approx(0.0, abs=1e-6)


def test_batched_result_equals_guo_formula_per_batch():
    g = rng(3)
    text, motion = g.normal(size=(100, 16)), g.normal(size=(100, 16))
    res = r_precision(text, motion, rng(7))
    hits, trace = np.zeros(3), 0.0
    for idx in retrieval_batches(100, rng(7)):  # the same draws
        # Guo: dists = sqrt(-2 a.b + |a|^2 + |b|^2); argsort; cumulative top-k
        a, b = text[idx], motion[idx]
        d = np.sqrt(-2 * a @ b.T + (a ** 2).sum(1, keepdims=True) + (b ** 2).sum(1))
        order = np.argsort(d, axis=1)
        for k in range(3):
            hits[k] += (order[:, :k + 1] == np.arange(32)[:, None]).any(1).sum()
        trace += np.trace(d)
    np.testing.assert_allclose(res.r_precision, hits / 96)
    assert res.mm_dist == pytest.approx(trace / 96)


def test_distinct_label_batches():
    labels = np.repeat(np.arange(70), 4)  # 70 content x style labels, 4 clips each
    batches = retrieval_batches(len(labels), rng(1), labels=labels)
    assert len(batches) == 280 // 32
    for b in batches:
        assert len(b) == 32 and len(set(labels[b])) == 32
    assert len(np.unique(np.concatenate(batches))) == 32 * len(batches)  # no sample used twice
    again = retrieval_batches(len(labels), rng(1), labels=labels)
    assert all((a == b).all() for a, b in zip(batches, again))


def test_paraphrases_in_a_batch_are_why_labels_matter():
    # 70 labels; all captions of a label embed identically (paraphrases); motions = label prototype + noise.
    g = rng(5)
    labels = np.repeat(np.arange(70), 4)
    proto = g.normal(size=(70, 32))
    text = proto[labels]
    motion = text + g.normal(scale=0.01, size=text.shape)
    with_labels = r_precision(text, motion, rng(), labels=labels).r_precision[0]
    without = r_precision(text, motion, rng()).r_precision[0]
    assert with_labels == 1.0
    assert without < 0.95  # a paraphrase's motion is as near as the true one


def test_retrieval_bad_input():
    x = np.zeros((31, 4))
    with pytest.raises(ShapeError, match="at least 32"):
        r_precision(x, x, rng())
    with pytest.raises(ShapeError, match="empty"):
        r_precision(np.zeros((0, 4)), np.zeros((0, 4)), rng())
    y = rng().normal(size=(64, 4))
    bad = y.copy()
    bad[40, 2] = np.nan
    with pytest.raises(ShapeError, match="row 40"):
        r_precision(bad, y, rng())
    with pytest.raises(ShapeError, match="equal shapes"):
        r_precision(y, y[:, :3], rng())
    with pytest.raises(ShapeError, match="distinct labels"):
        retrieval_batches(64, rng(), labels=np.arange(64) % 20)


def test_frechet_distance_1d_and_diagonal_by_hand():
    # 1-D: (m1 - m2)^2 + s1^2 + s2^2 - 2 s1 s2 = (m1 - m2)^2 + (s1 - s2)^2
    assert frechet_distance([1.0], [[4.0]], [3.0], [[1.0]]) == pytest.approx(4 + 1)
    # diagonal: sum over dims
    s1, s2 = np.diag([1.0, 9.0]), np.diag([4.0, 1.0])
    assert frechet_distance([0, 0], s1, [1, 1], s2) == pytest.approx(2 + (1 - 2) ** 2 + (3 - 1) ** 2)


def test_frechet_distance_matches_guo_scipy_sqrtm():
    g = rng(2)
    a, b = g.normal(size=(200, 6)), g.normal(size=(150, 6)) @ g.normal(size=(6, 6)) + 0.5
    mu1, s1 = a.mean(0), np.cov(a, rowvar=False)
    mu2, s2 = b.mean(0), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(s1 @ s2).real  # Guo's calculate_frechet_distance
    guo = (mu1 - mu2) @ (mu1 - mu2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(guo, rel=1e-8)
    assert fid(b, a) == pytest.approx(guo, rel=1e-8)


def test_fid_identical_sets_and_warnings():
    x = rng().normal(size=(50, 4))
    assert fid(x, x) == pytest.approx(0.0, abs=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fid(x, x + 1)  # N >= D: no warning
    with pytest.warns(FewSamplesWarning, match="10 samples for 16-dim"):
        fid(rng().normal(size=(10, 16)), rng(1).normal(size=(40, 16)))
    with pytest.raises(ShapeError, match="width"):
        fid(x, x[:, :3])
    with pytest.raises(ShapeError, match="at least 2"):
        fid(x[:1], x)


def test_diversity_follows_guo_formula():
    x = rng(4).normal(size=(400, 8))
    value = diversity(x, rng(9), times=300)
    g = rng(9)
    first = g.choice(400, 300, replace=False)
    second = g.choice(400, 300, replace=False)
    expected = np.mean([np.sqrt(((x[i] - x[j]) ** 2).sum()) for i, j in zip(first, second)])
    assert value == pytest.approx(expected)
    assert diversity(np.ones((301, 3)), rng()) == 0.0
    with pytest.raises(ShapeError, match="more than 300"):
        diversity(x[:300], rng())


def test_multimodality_by_hand():
    # generation r of every text sits at r on one axis: a pair (r1, r2) is |r1 - r2| apart
    gen = np.zeros((5, 30, 4))
    gen[:, :, 0] = np.arange(30)
    value = multimodality(gen, rng(11), times=10)
    g = rng(11)
    first, second = g.choice(30, 10, replace=False), g.choice(30, 10, replace=False)
    assert value == pytest.approx(np.abs(first - second).mean())
    with pytest.raises(ShapeError, match="more than 10"):
        multimodality(gen[:, :10], rng())
    with pytest.raises(ShapeError, match="texts, generations"):
        multimodality(gen[0], rng())
