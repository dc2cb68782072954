"""Planted feet (features/plant.py): on real mocap whose root was made to slide, planting brings back the real
path and the real amount of skating; real motion is left nearly as it is; only the root's floor velocity changes."""

from __future__ import annotations

import numpy as np
import pytest

from motionbase.errors import ShapeError
from motionbase.features.humanml3d import features_to_joints
from motionbase.features.plant import CONTACT_HEIGHT_M, plant_feet
from motionbase.metrics.physics import SKATE_HEIGHT_M, foot_skating

from .mocap_support import real_features

real = real_features


def joints(feats: np.ndarray) -> np.ndarray:
    return features_to_joints(feats.astype(np.float64), final_frame=True)


def path_m(j: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(j[:, 0, [0, 2]], axis=0), axis=-1).sum())


def skating(feats: np.ndarray) -> float:
    return foot_skating(joints(feats), 20.0)["skating_ratio"]


def sliding(feats: np.ndarray, factor: float = 1.3) -> np.ndarray:
    """The real motion with its root moving ``factor`` times as far as its legs walk: the feet slide."""
    out = feats.copy()
    out[:, 1:3] *= factor
    return out


def test_a_sliding_walk_gets_the_real_path_and_skating_back():
    f = real("walk-turn")
    g = sliding(f)
    planted = plant_feet(g)
    assert skating(g) > skating(f) + 0.08                      # the slide is seen by the metric
    assert skating(planted) <= skating(f) + 0.02               # and planting removes it
    assert path_m(joints(g)) > 1.25 * path_m(joints(f))
    assert path_m(joints(planted)) == pytest.approx(path_m(joints(f)), rel=0.03)   # the legs' distance, not the code's
    end = np.linalg.norm(joints(planted)[-1, 0, [0, 2]] - joints(f)[-1, 0, [0, 2]])
    assert end < 0.15                                           # and the walk ends where the real one did


def test_a_sliding_run_slides_less_and_its_flight_keeps_its_speed():
    f = real("run")
    g = sliding(f)
    planted = plant_feet(g)
    assert skating(planted) < 0.5 * skating(g)
    # flight frames (no toe near the floor) keep the given velocity, so the run lands between the two paths
    assert path_m(joints(f)) < path_m(joints(planted)) < path_m(joints(g))


def test_a_swinging_toe_near_the_floor_is_not_taken_for_a_stance():
    """A run sunk 5 cm: its swinging toes pass within the contact height. Pinning them (no speed gate) pulls the
    root back and shortens the run by a fifth; the gate (a toe moving faster than ``max_slide_m_s`` is swinging,
    not sliding) keeps the run's length."""
    f = real("run")
    sunk = f.copy()
    sunk[:, 3] -= 0.05
    sunk[:, 4:67].reshape(len(f), 21, 3)[..., 1] -= 0.05
    ungated = plant_feet(sunk, max_slide_m_s=np.inf)
    planted = plant_feet(sunk)
    assert path_m(joints(ungated)) < 0.85 * path_m(joints(f)) and skating(ungated) > skating(sunk)
    assert path_m(joints(planted)) > 0.93 * path_m(joints(f)) and skating(planted) <= skating(sunk)


@pytest.mark.parametrize("name", ["walk-turn", "run"])
def test_real_mocap_is_left_nearly_as_it_is(name):
    f = real(name)
    planted = plant_feet(f)
    moved = np.linalg.norm(joints(planted)[:, 0] - joints(f)[:, 0], axis=-1).max()
    assert moved < 0.15 and skating(planted) <= skating(f) + 1e-9


def test_only_the_roots_floor_velocity_changes_and_the_dtype_is_kept():
    f = sliding(real("walk-turn"))
    planted = plant_feet(f)
    assert planted.dtype == f.dtype and planted.shape == f.shape
    others = [c for c in range(f.shape[1]) if c not in (1, 2)]
    np.testing.assert_array_equal(planted[:, others], f[:, others])
    np.testing.assert_array_equal(planted[-1], f[-1])           # the last row has no next frame to plant against
    assert not np.allclose(planted[:, 1:3], f[:, 1:3])


def test_a_motion_off_the_floor_is_not_touched():
    f = sliding(real("walk-turn"))
    lifted = f.copy()
    lifted[:, 3] += 0.5                                         # root height
    lifted[:, 4:67].reshape(len(f), 21, 3)[..., 1] += 0.5       # every joint's height
    np.testing.assert_array_equal(plant_feet(lifted), lifted)


def test_contact_is_what_the_skating_metric_counts_as_contact():
    assert CONTACT_HEIGHT_M == SKATE_HEIGHT_M  # features/ may not import metrics/ (docs/ARCHITECTURE.md)


def test_short_and_malformed_input():
    one = real("walk-turn")[:1]
    np.testing.assert_array_equal(plant_feet(one), one)
    with pytest.raises(ShapeError, match=r"expected \(T, 263\) features, got shape \(10, 262\)"):
        plant_feet(np.zeros((10, 262), np.float32))
