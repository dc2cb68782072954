"""Real mocap must not be refused (issue 15, item 9): in a run the feet point down and back for long phases,
so the "toes point backwards" check judges stance frames only (a foot on the floor), and warns instead of
refusing when there are too few of them. A really swapped skeleton is still refused."""

from __future__ import annotations

import json
import warnings

import pytest
from typer.testing import CliRunner

from motionbase.cli import app
from motionbase.errors import SkeletonError
from motionbase.formats.bvh import load_bvh, write_bvh
from motionbase.skeleton.retarget import PlausibilityWarning, check_plausible, toe_forwardness

from .conftest import DATA

RUN = DATA / "bvh" / "sprint" / "dataset-2_run_active_027.bvh"  # 30 fps, 65 frames
CROP = (33, 64)  # source frames 33..63 (1.1-2.1 s): mid-run, the feet mostly in the air


def _crop(tmp_path, first: int, stop: int):
    lines = RUN.read_text().split("\n")
    at = next(i for i, ln in enumerate(lines) if ln.startswith("Frame Time"))
    motion = [ln for ln in lines[at + 1:] if ln.strip()]
    lines = lines[:at - 1] + [f"Frames: {stop - first}", lines[at]] + motion[first:stop]
    path = tmp_path / "run_active_027_crop.bvh"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_real_run_segment_is_kept(tmp_path):
    path = _crop(tmp_path, *CROP)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clip = load_bvh(path)  # refused before: "toes point backwards ... left and right look swapped"
    stance, n, whole = toe_forwardness(clip.joints_m)
    assert whole < 0  # over all frames the toes do point back on average: what the old check judged
    assert n >= 4 and stance > 0.5  # on the floor they point forward


def test_the_whole_real_take_is_kept(tmp_path):
    stance, n, whole = toe_forwardness(load_bvh(RUN).joints_m)
    assert stance > 0.5 and n >= 10 and 0 < whole < 0.1  # the old whole-clip margin was this thin


@pytest.mark.parametrize("crop", [None, CROP])
def test_the_same_motion_mirrored_is_still_refused(tmp_path, crop):
    joints = load_bvh(_crop(tmp_path, *crop) if crop else RUN).joints_m
    mirrored = joints * [-1.0, 1.0, 1.0]  # left joints now on the body's right
    with pytest.raises(SkeletonError, match=r"mirrored.bvh: toes point backwards .* in \d+ stance frames"):
        check_plausible(mirrored, "mirrored.bvh")
    write_bvh(tmp_path / "mirrored.bvh", mirrored)
    with pytest.raises(SkeletonError, match="left and right look swapped"):
        load_bvh(tmp_path / "mirrored.bvh")


def test_too_few_stance_frames_warn_in_the_import_report_instead_of_refusing(tmp_path):
    joints = load_bvh(_crop(tmp_path, *CROP)).joints_m
    flight = joints[3:9] * [-1.0, 1.0, 1.0]  # 6 frames, mirrored, no foot on the floor long enough
    stance, n, whole = toe_forwardness(flight)
    assert n < 4 and whole < 0
    with pytest.warns(PlausibilityWarning, match="too few to judge: kept"):
        check_plausible(flight, "flight.bvh")
    write_bvh(tmp_path / "flight.bvh", flight, fps=20.0)
    report = tmp_path / "r.json"
    res = CliRunner().invoke(app, ["import", "bvh", str(tmp_path / "flight.bvh"), "--out", str(tmp_path / "s"),
                                   "--report", str(report)])
    assert res.exit_code == 0 and "warning:" in res.output and "too few to judge" in res.output
    assert "too few to judge" in json.loads(report.read_text())["warnings"][str(tmp_path / "flight.bvh")][0]
