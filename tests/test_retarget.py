"""Retargeting BVH skeletons to SMPL-22: joint maps, unit / up / facing detection, checks, resampling."""

from pathlib import Path

import numpy as np
import pytest

from motionbase.errors import SkeletonError
from motionbase.formats.bvh import bvh_positions_at, load_bvh, read_bvh, write_bvh
from motionbase.skeleton import SMPL22
from motionbase.skeleton.kinematics import bone_lengths, facing_direction
from motionbase.skeleton.resample import resample_plan, resample_positions
from motionbase.skeleton.retarget import (JOINT_MAPS, JointMap, check_plausible, detect_joint_map,
                                          standing_height, to_smpl22_frame)

DATA = Path(__file__).parent / "data" / "bvh"
CMU_01 = DATA / "cmu" / "01_01.bvh"
CMU_131 = DATA / "cmu" / "131_01.bvh"
BANDAI = DATA / "bandai" / "dataset-2" / "dataset-2_walk-turn-left_exhausted_038.bvh"
IDX = {n: i for i, n in enumerate(SMPL22.names)}


@pytest.fixture(scope="module")
def clips():
    return {p.stem: load_bvh(p) for p in (CMU_01, CMU_131, BANDAI)}


def test_maps_detected_and_units_guessed(clips):
    assert {k: (c.meta.labels["joint_map"], c.meta.labels["unit"], c.meta.labels["up"]) for k, c in clips.items()} == {
        "01_01": ("cmu31", "cmu", "+y"), "131_01": ("cmu31_3dsmax", "cmu", "+y"),
        BANDAI.stem: ("bandai22", "cm", "+y")}
    for clip in clips.values():
        assert 1.4 < standing_height(clip.joints_m) < 1.9  # a rough estimate from bone lengths
        assert clip.skeleton is SMPL22 and clip.fps == 20.0
        clip.validate()


def test_clip_metadata_and_frame_counts(clips):
    cmu = clips["01_01"]
    assert (cmu.num_frames, cmu.meta.source_fps, cmu.meta.frame_end) == (459, 120.0, 2751)  # 2752 frames at 120 fps
    assert cmu.meta.file == str(CMU_01) and cmu.meta.id == "01_01"
    assert clips[BANDAI.stem].num_frames == 63  # 95 frames at 30 fps: 94 * 2/3 + 1


def test_canonical_frame(clips):
    for clip in clips.values():
        j = clip.joints_m
        np.testing.assert_allclose(facing_direction(j[:1], SMPL22)[0], [0, 0, 1], atol=1e-9)
        assert j[0, IDX["left_hip"], 0] > 0 > j[0, IDX["right_hip"], 0]  # +X is the body's left
        assert abs(j[..., 1].min()) < 1e-12 and np.allclose(j[0, 0, [0, 2]], 0)
        assert j[0, IDX["head"], 1] > 1.2 and j[0, IDX["left_foot"], 1] < 0.15


def test_bandai_root_stays_put_and_hips_carry_the_trajectory(clips):
    bvh = read_bvh(BANDAI)
    assert np.allclose(bvh.joint_positions()[:, bvh.index("joint_Root")], 0)
    pelvis = clips[BANDAI.stem].joints_m[:, 0]
    assert np.linalg.norm(np.diff(pelvis[:, [0, 2]], axis=0), axis=-1).sum() > 1.0  # walks > 1 m


def test_missing_spine_joint_is_synthesised(clips):
    j = clips[BANDAI.stem].joints_m
    np.testing.assert_allclose(j[:, IDX["spine2"]], 0.3 * j[:, IDX["spine1"]] + 0.7 * j[:, IDX["spine3"]], atol=1e-12)
    j = clips["01_01"].joints_m
    mid = 0.5 * j[:, IDX["spine3"]] + 0.5 * j[:, IDX["left_shoulder"]]
    np.testing.assert_allclose(j[:, IDX["left_collar"]], mid, atol=1e-12)


def test_rigid_bones_after_retargeting(clips):
    for clip in clips.values():
        lengths = bone_lengths(clip.joints_m, SMPL22)[:, 1:]
        assert np.ptp(lengths, axis=0).max() < 1e-9  # resampling slerps rotations, then FK


def test_own_bvh_reloads_unchanged(tmp_path, clips):
    clip = clips[BANDAI.stem]
    write_bvh(tmp_path / "ours.bvh", clip.joints_m)
    back = load_bvh(tmp_path / "ours.bvh")
    assert back.meta.labels == {"joint_map": "smpl22", "unit": "cm", "up": "+y"}
    np.testing.assert_allclose(back.joints_m, clip.joints_m, atol=1e-5)  # 6 decimals of a metre in the file


def test_z_up_metres_turned_and_scaled_back(tmp_path, clips):
    clip = clips["131_01"]
    yaw = np.deg2rad(130)
    R_yaw = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
    z_up = np.einsum("ab,fjb->fja", R_yaw, clip.joints_m)[..., [0, 2, 1]] * [1, -1, 1]  # (x, -z, y): Z up
    write_bvh(tmp_path / "zup.bvh", z_up + [3.0, -2.0, 0.5], units="m", fps=20.0)
    back = load_bvh(tmp_path / "zup.bvh")
    assert (back.meta.labels["unit"], back.meta.labels["up"]) == ("m", "+z")
    np.testing.assert_allclose(back.joints_m, clip.joints_m, atol=1e-5)  # 6 decimals of a metre in the file


def test_mirrored_data_is_refused(tmp_path, clips):
    mirrored = clips["01_01"].joints_m * [-1.0, 1.0, 1.0]  # left joints now on the body's right
    with pytest.raises(SkeletonError, match="left and right look swapped"):
        check_plausible(mirrored, "mirrored.bvh")
    write_bvh(tmp_path / "mirrored.bvh", mirrored)
    with pytest.raises(SkeletonError, match=r"^\S*mirrored.bvh: toes point backwards"):
        load_bvh(tmp_path / "mirrored.bvh")


def test_wrong_unit_or_up_fails_clearly():
    with pytest.raises(SkeletonError, match=rf"^{BANDAI}: standing height 1\d\d\.\d\d m, expected 1.0-2.3 m"):
        load_bvh(BANDAI, unit="m")
    for up in ("+x", "-y", "+z"):
        with pytest.raises(SkeletonError, match=rf"^{BANDAI}: in a typical frame the head is -?\d\.\d\d m above"):
            load_bvh(BANDAI, up=up)
    clip = load_bvh(BANDAI, unit=0.01, up="+y", joint_map="bandai22")
    assert clip.meta.labels["unit"] == "0.01 m"
    with pytest.raises(SkeletonError, match="unknown up axis"):
        load_bvh(BANDAI, up="north")
    with pytest.raises(SkeletonError, match="needs joints missing from the file: Spine1, Neck1, LeftUpLeg"):
        load_bvh(BANDAI, joint_map="cmu31")


def test_unknown_skeleton_lists_known_maps(tmp_path):
    path = tmp_path / "robot.bvh"
    path.write_text("HIERARCHY\nROOT Base\n{\nOFFSET 0 0 0\nCHANNELS 3 Xposition Yposition Zposition\n"
                    "JOINT Arm\n{\nOFFSET 0 1 0\nEnd Site\n{\nOFFSET 0 1 0\n}\n}\n}\n"
                    "MOTION\nFrames: 1\nFrame Time: 0.1\n0 0 0\n")
    with pytest.raises(SkeletonError) as info:
        load_bvh(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: no joint map fits joints [Base, Arm]") and "\n" not in msg
    assert all(name in msg for name in JOINT_MAPS)


def test_joint_map_matching_and_validation():
    names = [f"mixamorig:{n.upper()}" for n in JOINT_MAPS["smpl22"].sources()]
    assert detect_joint_map(names).name == "smpl22"  # case and namespace prefixes are ignored
    with pytest.raises(SkeletonError, match="no source for head"):
        JointMap("broken", {n: n for n in SMPL22.names if n != "head"})
    targets = {n: n for n in SMPL22.names} | {"spine2": {"spine1": 0.5, "spine3": 0.6}}
    with pytest.raises(SkeletonError, match="sum to 1.1"):
        JointMap("broken", targets)


def test_unit_and_up_detection_on_arrays(clips):
    joints = clips[BANDAI.stem].joints_m
    source = joints[..., [2, 0, 1]] * 1000.0  # millimetres, up along file Z (a rotation, not a mirror)
    out, frame = to_smpl22_frame(source)
    assert (frame.unit_name, frame.up) == ("mm", "+z")
    np.testing.assert_allclose(out, joints, atol=1e-9)


def test_resample_plans():
    p = resample_plan(7, 30.0, 20.0)
    assert p.lo.tolist() == [0, 1, 3, 4, 6] and p.w.tolist() == [0, 0.5, 0, 0.5, 0]
    assert p.needed_frames().tolist() == [0, 1, 2, 3, 4, 5, 6]
    p = resample_plan(13, 120.0, 20.0)
    assert p.lo.tolist() == [0, 6, 12] and not p.w.any() and p.needed_frames().tolist() == [0, 6, 12]
    x = np.arange(5.0)[:, None]
    np.testing.assert_allclose(resample_positions(x, 20.0, 30.0)[:, 0], np.arange(7) * 2 / 3)


def test_resampling_exact_on_the_grid_and_rigid_between():
    cmu = read_bvh(CMU_131)
    np.testing.assert_allclose(bvh_positions_at(cmu, 20.0), cmu.joint_positions()[::6], atol=1e-9)
    bandai = read_bvh(BANDAI)
    full, at20 = bandai.joint_positions(), bvh_positions_at(bandai, 20.0)
    np.testing.assert_allclose(at20[::2], full[::3], atol=1e-9)  # every other 20 fps frame is a 30 fps frame
    mid = 0.5 * (full[1:-1:3] + full[2::3])[: len(at20[1::2])]
    assert np.abs(at20[1::2] - mid).max() < 2.0  # cm; slerp stays near the chord midpoint
    parents = [max(p, 0) for p in bandai.parents]
    lengths = np.linalg.norm(at20 - at20[:, parents], axis=-1)
    assert np.ptp(lengths[:, 2:], axis=0).max() < 1e-6  # bones keep their length between frames
