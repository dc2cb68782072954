"""Planted feet: while a toe is on the floor, the root moves so that the toe stays where it is.

A decoded or generated motion gets its body from one source (the tokenizer's learned part codes) and its root's
floor velocity from another (a learned root code, or the measured trajectory of ``TokenizerConfig.trajectory_code``);
when the two disagree, a foot that should stand slides over the floor (foot skating). Animation tools fix this
with foot locking; here it is a formula on the HumanML3D features, with no learning:

* a toe (the last joint of each foot chain) is *in contact* between frames t and t+1 when it is below
  ``height_m`` in both — the contact the skating metric uses (:mod:`motionbase.metrics.physics`) — and moves over
  the floor slower than ``max_slide_m_s`` (1.5 m/s): faster, it is swinging low (a shuffling run), not sliding;
  pinning such toes pulled one real Bandai run 3.8 m short (benchmarks/foot_planting.py measured the gate);
* for such a toe, the root step that keeps it fixed on the floor follows from the body pose (its position
  relative to the root, ``ric``) and the heading of both frames; of the toes in contact, the one whose fixing step
  is nearest the step the features have is chosen (the stance foot);
* the root's horizontal velocity (feature columns 1, 2) becomes that step; the change is smoothed over ``smooth``
  frames (box filter), so switching feet adds no jerk. Frames with no toe in contact (a run's flight) keep their
  velocity; the heading, the root's height and the whole body are not touched.

On real mocap, whose feet already stand, it moves the root little (docs/GENERATION.md gives the figures); on a
generated walk it takes most of the sliding out of the stance foot. The motion then travels as far as its steps
carry it, which can differ from the step sizes the root's codes say by a few per cent.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d

from ..errors import ShapeError
from ..skeleton.quaternion import qinv, qrot
from .humanml3d import recover_root
from .layout import FeatureLayout

CONTACT_HEIGHT_M = 0.05  # the skating metric's contact height (metrics.physics.SKATE_HEIGHT_M; a test keeps them equal)
SMOOTH_FRAMES = 5


def plant_feet(feats: np.ndarray, *, height_m: float = CONTACT_HEIGHT_M, max_slide_m_s: float = 1.5,
               smooth: int = SMOOTH_FRAMES, fps: float = 20.0, layout: FeatureLayout = FeatureLayout()) -> np.ndarray:
    """(T, D) HumanML3D features -> a copy whose root velocity keeps the stance toe on the floor (see module)."""
    x = np.array(feats, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != layout.dim:
        raise ShapeError(f"plant_feet: expected (T, {layout.dim}) features, got shape {tuple(np.shape(feats))}")
    if len(x) < 2:
        return x.astype(np.asarray(feats).dtype)
    skel = layout.skeleton
    toes = [skel.feet_left[-1] - 1, skel.feet_right[-1] - 1]        # rows of ric (joint 0 has none)
    quat, _ = recover_root(x, layout)
    ric = x[:, layout.slices["ric"]].reshape(len(x), skel.num_joints - 1, 3)[:, toes]   # (T, 2, 3)
    offset = qrot(qinv(quat)[:, None], ric)        # toe minus root, on the floor's axes
    fix = qrot(quat[1:, None], offset[:-1] - offset[1:])[..., [0, 2]]   # (T-1, 2, 2) root steps
    step = x[:-1, 1:3]                                              # as recover_root reads them: (sideways, forward)
    low = ric[..., 1] < height_m
    change = fix - step[:, None]                                    # = minus the toe's move over the floor
    slide = np.linalg.norm(change, axis=-1)                         # (T-1, 2) m per frame
    contact = low[:-1] & low[1:] & (slide * fps < max_slide_m_s)
    dist = np.where(contact, slide, np.inf)
    stance = dist.argmin(-1)
    delta = np.take_along_axis(change, stance[:, None, None], 1)[:, 0] * contact.any(-1)[:, None]
    if smooth > 1:
        delta = uniform_filter1d(delta, size=smooth, axis=0, mode="nearest")
    x[:-1, 1:3] = step + delta
    return x.astype(np.asarray(feats).dtype)
