"""The field's replication protocol: run a seeded evaluation 20 times, report mean ± 1.96·σ/√n.

Guo et al. (``final_evaluations.py``, ``get_metric_statistics``) repeat the whole evaluation
``replication_times = 20`` times and report ``mean`` and ``1.96 * np.std(values) / sqrt(20)`` — numpy's
default ``ddof=0``, i.e. the population σ, not the sample σ. We do the same, seeded: replication ``r`` of
seed ``s`` draws from ``numpy.random.default_rng([s, r])``, so a run is reproducible and any replication can
be recomputed alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from ..errors import ShapeError

REPLICATIONS = 20
Z_95 = 1.96


@dataclass(frozen=True)
class Summary:
    """Mean and 95 % half-width over replications; arrays keep the metric's shape (e.g. R@1..3)."""

    mean: np.ndarray | float
    ci95: np.ndarray | float
    values: np.ndarray  # (replications, ...) the raw per-replication values

    def __str__(self) -> str:
        m, c = np.atleast_1d(self.mean), np.atleast_1d(self.ci95)
        return ", ".join(f"{a:.4f} ± {b:.4f}" for a, b in zip(m, c))


def mean_ci95(values) -> Summary:
    """Summarise per-replication values (replications first): mean, 1.96·σ/√n with σ of ddof 0."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 0 or v.shape[0] == 0:
        raise ShapeError("no replications to summarise; expected at least one value")
    mean = v.mean(0)
    ci = Z_95 * v.std(0) / np.sqrt(v.shape[0])
    if v.ndim == 1:
        return Summary(float(mean), float(ci), v)
    return Summary(mean, ci, v)


def replication_rng(seed: int, replication: int) -> np.random.Generator:
    """The generator replication ``replication`` of a run seeded ``seed`` draws from."""
    return np.random.default_rng([int(seed), int(replication)])


def replicate(evaluate_once: Callable[[np.random.Generator], Mapping[str, object]], *,
              times: int = REPLICATIONS, seed: int = 0) -> dict[str, Summary]:
    """Call ``evaluate_once(rng)`` ``times`` times with seeded generators and summarise each metric.

    ``evaluate_once`` returns a mapping metric name -> number or array (e.g. ``{"fid": 0.1, "r_precision":
    array([.5, .7, .8])}``); every call must return the same names.
    """
    if times < 1:
        raise ShapeError(f"times={times}, expected at least 1 replication")
    runs = [dict(evaluate_once(replication_rng(seed, r))) for r in range(times)]
    names = list(runs[0])
    for r, run in enumerate(runs[1:], start=1):
        if list(run) != names:
            raise ShapeError(f"replication {r} returned metrics {sorted(run)}, expected {sorted(names)}")
    return {name: mean_ci95([run[name] for run in runs]) for name in names}
