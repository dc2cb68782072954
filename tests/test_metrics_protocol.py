"""Replication protocol: mean ± 1.96·σ/√n with σ of ddof 0, seeded replications."""

import numpy as np
import pytest

from motionbase.errors import ShapeError
from motionbase.metrics import diversity, mean_ci95, replicate, replication_rng


def test_mean_ci95_by_hand():
    s = mean_ci95([1.0, 2.0, 3.0, 4.0])
    # population std of 1..4 = sqrt(1.25); 1.96 * 1.1180 / sqrt(4) = 1.0957
    assert s.mean == pytest.approx(2.5)
    assert s.ci95 == pytest.approx(1.96 * np.sqrt(1.25) / 2)
    assert str(s) == "2.5000 ± 1.0957"


def test_mean_ci95_keeps_metric_shape():
    s = mean_ci95([[0.5, 0.7, 0.8], [0.5, 0.9, 1.0]])
    np.testing.assert_allclose(s.mean, [0.5, 0.8, 0.9])
    np.testing.assert_allclose(s.ci95, [0.0, 1.96 * 0.1 / np.sqrt(2), 1.96 * 0.1 / np.sqrt(2)])


def test_replicate_is_seeded_and_recomputable():
    emb = np.random.default_rng(0).normal(size=(500, 8))

    def once(rng):
        return {"diversity": diversity(emb, rng), "pair": np.array([rng.random(), 1.0])}

    a, b = replicate(once, seed=3), replicate(once, seed=3)
    assert a["diversity"].mean == b["diversity"].mean
    assert a["diversity"].values.shape == (20,)
    assert replicate(once, seed=4)["diversity"].mean != a["diversity"].mean
    # any single replication can be recomputed alone
    assert a["diversity"].values[7] == diversity(emb, replication_rng(3, 7))
    np.testing.assert_allclose(a["pair"].ci95[1], 0.0)


def test_replicate_bad_input():
    with pytest.raises(ShapeError, match="at least 1"):
        replicate(lambda rng: {"x": 1.0}, times=0)
    names = iter([{"x": 1.0}, {"y": 1.0}])
    with pytest.raises(ShapeError, match="replication 1"):
        replicate(lambda rng: next(names), times=2)
    with pytest.raises(ShapeError, match="no replications"):
        mean_ci95([])
