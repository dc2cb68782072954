"""Skip markers for the video pipeline's optional dependencies (the ``[video]`` extra, smplx, Ray), and the
inputs of the end-to-end tests."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data"


def _missing(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is None
    except (ImportError, ValueError):  # e.g. blocked with sys.modules[module] = None
        return True


needs_cv2 = pytest.mark.skipif(_missing("cv2"), reason="OpenCV is in the [video] extra "
                               "(pip install 'motionbase[video]': opencv-contrib-python)")
needs_mediapipe = pytest.mark.skipif(_missing("cv2") or _missing("mediapipe"), reason="MediaPipe and OpenCV are "
                                     "in the [video] extra (pip install 'motionbase[video]')")
needs_smplx = pytest.mark.skipif(_missing("smplx"), reason="SMPL-X fitting needs the smplx package (pip install smplx)")
needs_ray = pytest.mark.skipif(_missing("ray"), reason="the Ray runner needs Ray (pip install 'motionbase[dist]')")


def make_inputs(root: Path) -> Path:
    """The real fixtures plus the bad inputs of the issue under ``root``: video/ (vtest.avi, an empty .mp4, a
    corrupt .avi) and images/ (basketball1.png, astronaut.png: a portrait without legs, wall.png: nobody)."""
    import cv2

    (root / "video").mkdir()
    (root / "images").mkdir()
    shutil.copy(DATA / "video/vtest.avi", root / "video/vtest.avi")
    shutil.copy(DATA / "images/basketball1.png", root / "images/basketball1.png")
    shutil.copy(DATA / "images/astronaut.png", root / "images/astronaut.png")
    cv2.imwrite(str(root / "images/wall.png"), np.full((240, 320, 3), 128, np.uint8))
    (root / "video/empty.mp4").write_bytes(b"")
    (root / "video/corrupt.avi").write_bytes(b"RIFF" + bytes(range(256)) * 40)
    return root
