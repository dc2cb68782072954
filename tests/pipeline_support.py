"""Skip markers for the video pipeline's optional dependencies (the ``[video]`` extra, smplx, Ray)."""

from __future__ import annotations

import importlib.util

import pytest


def _missing(module: str) -> bool:
    return importlib.util.find_spec(module) is None


needs_cv2 = pytest.mark.skipif(_missing("cv2"), reason="OpenCV is in the [video] extra "
                               "(pip install 'motionbase[video]': opencv-contrib-python)")
needs_mediapipe = pytest.mark.skipif(_missing("cv2") or _missing("mediapipe"), reason="MediaPipe and OpenCV are "
                                     "in the [video] extra (pip install 'motionbase[video]')")
needs_smplx = pytest.mark.skipif(_missing("smplx"), reason="SMPL-X fitting needs the smplx package (pip install smplx)")
needs_ray = pytest.mark.skipif(_missing("ray"), reason="the Ray runner needs Ray (pip install 'motionbase[dist]')")
