"""BVH reading: forward kinematics against an independent reader, and one clear error per bad file."""

from pathlib import Path

import numpy as np
import pytest

from motionbase.errors import FormatError
from motionbase.formats.bvh_read import euler_to_matrix, euler_to_quat, parse_bvh, read_bvh
from motionbase.skeleton.quaternion import quat_to_matrix

DATA = Path(__file__).parent / "data" / "bvh"
CMU_01 = DATA / "cmu" / "01_01.bvh"
CMU_131 = DATA / "cmu" / "131_01.bvh"
BANDAI = DATA / "bandai" / "dataset-2" / "dataset-2_walk-turn-left_exhausted_038.bvh"

# World positions (file units) computed by bvhio 1.5.4 (`readAsHierarchy`, `loadPose`, `PositionWorld`),
# an independent implementation, on the untouched fixture files.
BVHIO_GOLDEN = [
    (CMU_131, 500, "LeftToe", (8.7163, 1.4566, -30.3916)),
    (CMU_131, 500, "Head", (6.994, 22.6886, -27.0838)),
    (CMU_131, 500, "LThumb", (10.5178, 14.3978, -28.4151)),  # arm joints use ZXY, the rest ZYX
    (CMU_131, 500, "RightWrist", (4.971, 20.4702, -22.4661)),
    (BANDAI, 50, "Head", (125.8945, 131.8474, 154.6732)),  # every joint has 6 channels
    (BANDAI, 50, "Hand_R", (140.0794, 77.5171, 175.4605)),
    (BANDAI, 50, "Toes_L", (109.3108, 12.4403, 185.4549)),
    (CMU_01, 2000, "LeftToeBase", (6.9528, 1.1846, -7.6589)),
    (CMU_01, 2000, "Head", (7.544, 25.3327, -9.0751)),
    (CMU_01, 2000, "RightHand", (9.5121, 14.9003, -11.4264)),
]


@pytest.fixture(scope="module")
def parsed():
    return {p: read_bvh(p) for p in (CMU_01, CMU_131, BANDAI)}


def test_header_facts(parsed):
    cmu, cmu2, bandai = parsed[CMU_01], parsed[CMU_131], parsed[BANDAI]
    assert (cmu.num_frames, cmu.num_joints, cmu.motion.shape[1], cmu.fps) == (2752, 31, 96, 120.0)
    assert (cmu2.num_frames, cmu2.fps) == (994, 120.0)
    assert set(cmu2.rotation_orders) == {"ZYX", "ZXY"}
    assert (bandai.num_frames, bandai.num_joints, bandai.motion.shape[1], bandai.fps) == (95, 22, 132, 30.0)
    assert bandai.names[:2] == ("joint_Root", "Hips") and bandai.parents[1] == 0
    assert cmu.parents[cmu.index("LeftUpLeg")] == cmu.index("LHipJoint")
    assert len(cmu.end_sites) == 5 + 2  # toes, head, fingers, thumbs... as in the file
    assert cmu.motion[0, :3].tolist() == [9.3722, 17.8693, -17.3198]


@pytest.mark.parametrize("path, frame, name, expected", BVHIO_GOLDEN,
                         ids=[f"{p.stem}-{f}-{n}" for p, f, n, _ in BVHIO_GOLDEN])
def test_positions_match_bvhio(parsed, path, frame, name, expected):
    bvh = parsed[path]
    pos = bvh.joint_positions()[frame, bvh.index(name)]
    np.testing.assert_allclose(pos, expected, atol=2e-3 * max(1.0, np.abs(expected).max() / 100))


def test_end_sites_and_bone_lengths(parsed):
    bvh = parsed[CMU_131]
    pos = bvh.joint_positions(end_sites=True)
    assert pos.shape == (994, 31 + len(bvh.end_sites), 3)
    # rigid body: every bone keeps its rest length in every frame (positions channels only on the root)
    parents = np.array(bvh.parents[1:])
    lengths = np.linalg.norm(pos[:, 1:31] - pos[:, parents], axis=-1)
    np.testing.assert_allclose(lengths, np.broadcast_to(np.linalg.norm(bvh.offsets[1:], axis=-1), lengths.shape),
                               atol=1e-9)
    head_end = pos[:, 31 + [j for j, _ in bvh.end_sites].index(bvh.index("Head"))]
    assert np.allclose(np.linalg.norm(head_end - pos[:, bvh.index("Head")], axis=-1), 1.63311, atol=1e-4)


def test_euler_conventions():
    # BVH lists rotations outermost first: "Zrotation Xrotation" is Rz @ Rx (intrinsic)
    a = np.array([[90.0, 90.0]])
    R = euler_to_matrix(a, "ZX")[0]
    np.testing.assert_allclose(R @ [0, 1, 0], [0, 0, 1], atol=1e-12)  # Rx takes Y to Z, Rz keeps Z
    np.testing.assert_allclose(R @ [0, 0, 1], [1, 0, 0], atol=1e-12)  # Rx takes Z to -Y, Rz takes -Y to X
    rng = np.random.default_rng(0)
    angles = rng.uniform(-180, 180, (50, 3))
    np.testing.assert_allclose(quat_to_matrix(euler_to_quat(angles, "YXZ")), euler_to_matrix(angles, "YXZ"),
                               atol=1e-12)


def test_frame_subset_matches_full(parsed):
    bvh = parsed[BANDAI]
    frames = np.array([3, 10, 94])
    np.testing.assert_allclose(bvh.local_quats(frames), bvh.local_quats()[frames])
    np.testing.assert_allclose(bvh.local_positions(frames), bvh.local_positions()[frames])


# ---- bad input: one FormatError naming file and line --------------------------------------------

GOOD = """HIERARCHY
ROOT Hips
{
\tOFFSET 0 0 0
\tCHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation
\tJOINT Knee
\t{
\t\tOFFSET 0 -40 0
\t\tCHANNELS 3 Zrotation Xrotation Yrotation
\t\tEnd Site
\t\t{
\t\t\tOFFSET 0 -40 0
\t\t}
\t}
}
MOTION
Frames: 2
Frame Time: 0.05
0 90 0 0 0 0 90 0 0
1 90 0 0 0 0 0 90 0
"""


def test_tiny_file_semantics():
    bvh = parse_bvh(GOOD, "tiny.bvh")
    pos = bvh.joint_positions(end_sites=True)
    # the knee's rotation moves its End Site, not the knee: Rz(90) swings -Y to +X, Rx(90) -Y to -Z
    np.testing.assert_allclose(pos[0], [[0, 90, 0], [0, 50, 0], [40, 50, 0]], atol=1e-9)
    np.testing.assert_allclose(pos[1], [[1, 90, 0], [1, 50, 0], [1, 50, -40]], atol=1e-9)
    assert parse_bvh(GOOD.replace("\n", "\r\n"), "crlf.bvh").motion.tolist() == bvh.motion.tolist()
    blank = GOOD.replace("0 90 0 0 0 0 90 0 0\n", "0 90 0 0 0 0 90 0 0\n\n")
    assert parse_bvh(blank, "blank.bvh").motion.tolist() == bvh.motion.tolist()


BAD = {
    "empty": ("", 1, "empty file"),
    "no_motion": (GOOD.split("MOTION")[0], 16, "file ends early, expected ROOT or MOTION"),
    "frames_zero": (GOOD.replace("Frames: 2", "Frames: 0"), 17, "expected at least 1 frame"),
    "frames_word": (GOOD.replace("Frames: 2", "Frames: two"), 17, "expected a whole number"),
    "frame_time": (GOOD.replace("Frame Time: 0.05", "Frame Time: 0"), 18, "positive number of seconds"),
    "short_row": (GOOD.replace("1 90 0 0 0 0 0 90 0", "1 90 0 0 0 0 0 90"), 20, "8 value(s), expected 9"),
    "long_row": (GOOD.replace("0 90 0 0 0 0 90 0 0", "0 90 0 0 0 0 90 0 0 7"), 19, "10 value(s), expected 9"),
    "nan": (GOOD.replace("1 90 0 0 0 0 0 90 0", "1 90 0 nan 0 0 0 90 0"), 20, "non-finite value 'nan'"),
    "word": (GOOD.replace("1 90 0 0 0 0 0 90 0", "1 90 0 x1 0 0 0 90 0"), 20, "'x1' is not a number"),
    "truncated": (GOOD.rsplit("1 90", 1)[0], 20, "file ends after 1 of 2 frames"),
    "extra_frame": (GOOD + "1 2 3 4 5 6 7 8 9\n", 21, "more motion lines than 'Frames: 2'"),
    "channel_name": (GOOD.replace("Zrotation Xrotation Yrotation", "Zrotation Wrotation Yrotation"), 9,
                     "unknown channel 'Wrotation'"),
    "channel_count": (GOOD.replace("CHANNELS 3 Zrotation", "CHANNELS 4 Zrotation"), 9, "3 channel name(s), expected 4"),
    "offset": (GOOD.replace("OFFSET 0 -40 0\n\t\tCHANNELS", "OFFSET 0 -40\n\t\tCHANNELS"), 8, "2 number(s), expected 3"),
    "no_brace": (GOOD.replace("\t\t\tOFFSET 0 -40 0\n\t\t}", "\t\t\tOFFSET 0 -40 0\n"), 16,
                 "in joint 'Hips': expected CHANNELS, JOINT, End Site or '}', found 'MOTION'"),
    "not_bvh": ("ply\nformat ascii 1.0\n", 1, "expected 'HIERARCHY'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_files_raise_one_clear_error(tmp_path, case):
    text, line, what = BAD[case]
    path = tmp_path / f"{case}.bvh"
    path.write_text(text)
    with pytest.raises(FormatError) as info:
        read_bvh(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}, line {line}"), msg
    assert what in msg and "\n" not in msg
    assert info.value.line == line


def test_unreadable_paths(tmp_path):
    for path in (tmp_path / "missing.bvh", tmp_path):
        with pytest.raises(FormatError, match=f"^{path}: cannot read BVH file"):
            read_bvh(path)


def test_fast_path_matches_line_parser(parsed):
    text = CMU_131.read_text()
    body = text.split("Frame Time: .0083333\n")[1].replace("\n", "\n\n", 3)  # forces the slow path
    slow = parse_bvh(text.split("Frame Time: .0083333\n")[0] + "Frame Time: .0083333\n" + body)
    np.testing.assert_array_equal(slow.motion, parsed[CMU_131].motion)
