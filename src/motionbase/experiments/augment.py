"""Extra training clips for the data questions: static clips (the paper's image data) and synthetic clips.

* **Static** (paper Table 4, "image data": MotionBase repeats each image over 64 frames): one frame of a
  training clip (its middle one), held still for ``STATIC_ROWS`` feature rows — zero root and joint
  velocities, the frame's pose, height and foot contacts. Captioned ``"a person holds still, in a pose
  from: <caption>"``: we have no image captioner, so the caption says whose pose it is, not what it looks like.
* **Synthetic** (the paper's synthetic data come from game engines; we have none): each training clip's
  left-right mirror image, seen through the measured noise of our video pipeline's pose estimates
  (:func:`motionbase.prior.noise.corrupt`: bone wobble, jitter, depth drift, floor offset, dropouts) and
  turned back into features — the clip as if the pipeline had recovered the mirrored performance from a
  video. Captions are mirrored (left <-> right). It is not run through the refiner.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np

from ..clip import Captions
from ..data.text import mirror_captions
from ..features.layout import FeatureLayout

STATIC_ROWS = 64
STATIC_SUFFIX, SYNTHETIC_SUFFIX = "#static", "#synthetic"


def static_features(features: np.ndarray, layout: FeatureLayout, frame: int | None = None,
                    rows: int = STATIC_ROWS) -> np.ndarray:
    """(T, D) features -> (rows, D): the pose of row ``frame`` (default the middle one) held still."""
    x = np.asarray(features, dtype=np.float32)
    row = x[len(x) // 2 if frame is None else frame].copy()
    s = layout.slices
    row[s["root"].start:s["root"].start + 3] = 0.0  # yaw velocity, x and z velocity
    row[s["vel"]] = 0.0
    return np.repeat(row[None], rows, axis=0)


def static_caption(captions: Captions) -> Captions:
    return Captions([f"a person holds still, in a pose from: {c}" for c in captions.whole], {})


def synthetic_features(features: np.ndarray, layout: FeatureLayout, seed: int, fps: float = 20.0) -> np.ndarray:
    """(T, D) features -> features of the mirrored motion after the video path's measured noise."""
    from ..features.humanml3d import features_to_joints, joints_to_features
    from ..features.mirror import mirror_joints
    from ..prior.noise import corrupt

    joints = np.asarray(features_to_joints(np.asarray(features, np.float64), layout, final_frame=True))
    noisy, _ = corrupt(mirror_joints(joints, layout.skeleton), np.random.default_rng(seed), fps=fps)
    return joints_to_features(noisy.astype(np.float64), layout.skeleton)


def extra_records(kind: str, view, records: list, codec, info, cache_root, device=None) -> list:
    """The ``kind`` ("static" | "synthetic") clip of every record of ``view`` (records in view order)."""
    from ..lm.data import CodeCache, MotionRecord, cached_codes

    layout, fps = view.layout, float(view.info.fps)
    make: Callable[[int], np.ndarray]
    if kind == "static":
        suffix, caption = STATIC_SUFFIX, static_caption

        def make(i: int) -> np.ndarray:
            return static_features(view.features(i), layout)
    else:
        suffix, caption = SYNTHETIC_SUFFIX, mirror_captions

        def make(i: int) -> np.ndarray:
            return synthetic_features(view.features(i), layout, zlib.crc32(records[i].id.encode()), fps)
    ids = [f"{r.id}{suffix}" for r in records]
    codes = cached_codes(ids, make, codec, CodeCache(cache_root, info), device=device, progress=False)
    return [MotionRecord(cid, codes[cid], caption(r.captions)) for cid, r in zip(ids, records)]
