"""Blender's own BVH importer reads our BVH to the same world joint positions (needs Debian's blender)."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import motionbase.formats
from motionbase.formats.bvh import load_bvh, write_bvh
from motionbase.skeleton import SMPL22

DATA = Path(__file__).parent / "data" / "bvh"
SCRIPT = Path(motionbase.formats.__file__).parent / "blender_import_check.py"


@pytest.mark.blender
@pytest.mark.parametrize("source", [DATA / "cmu" / "131_01.bvh",
                                    DATA / "bandai" / "dataset-2" / "dataset-2_walk-turn-left_exhausted_038.bvh"],
                         ids=["cmu131", "bandai"])
def test_blender_reads_our_bvh_to_the_same_joints(tmp_path, source):
    if shutil.which("blender") is None:
        pytest.skip("blender not on PATH (Debian: apt-get install blender)")
    clip = load_bvh(source)
    bvh_path, out = tmp_path / "clip.bvh", tmp_path / "blender.json"
    write_bvh(bvh_path, clip.joints_m)  # the CMU clip exercises position channels on non-root joints
    run = subprocess.run(["blender", "-b", "--factory-startup", "--python", str(SCRIPT), "--",
                          str(bvh_path), str(out)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and out.exists(), run.stdout[-2000:] + run.stderr[-2000:]
    got = json.loads(out.read_text())
    assert got["fps"] == pytest.approx(20.0)
    positions = np.array(got["positions"])[:, [got["names"].index(n) for n in SMPL22.names]] / 100.0
    assert positions.shape == clip.joints_m.shape
    assert np.abs(positions - clip.joints_m).max() < 1e-4  # metres; Blender works in float32
