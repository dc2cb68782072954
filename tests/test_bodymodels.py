"""Body-model datasets: SMPL-H / SMPL-X files in the real layout (tests/smplx_support.py), joints checked against
the smplx package's own forward pass, AMASS and Motion-X imports end to end, bad input, the SMPL-X export fit."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from motionbase.bodymodels.datasets import HUMANML3D_TRIMS_S, BodyImportConfig, load_amass_item, SourceItem
from motionbase.bodymodels.files import ENV_VAR, SMPL52_FROM, load_body_model
from motionbase.bodymodels.readers import read_amass, read_motionx, with_hand_mean
from motionbase.bodymodels.sequence import Z_UP_TO_Y_UP, BodySequence, sequence_joints
from motionbase.cli import app
from motionbase.data import ClipStore
from motionbase.errors import BodyModelError
from motionbase.skeleton import SMPL52

from .pipeline_support import needs_smplx
from .smplx_support import SMPLH_PARENTS, write_test_body_models, write_test_smplx

pytestmark = needs_smplx


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("body_models")
    write_test_body_models(root, hand_mean=0.1)
    return root


def _smooth(rng, T, width, scale):
    return np.cumsum(rng.normal(0.0, scale, (T, width)), 0)


def write_amass(path: Path, T=60, fps=120.0, gender="male", seed=0, **override):
    rng = np.random.default_rng(seed)
    poses = _smooth(rng, T, 156, 0.01)
    poses[:, :3] += [np.pi / 2, 0.0, 0.0]  # AMASS: Z up, the rest body (Y up) turned upright
    data = dict(poses=poses, trans=_smooth(rng, T, 3, 0.005) + [0.0, 0.0, 0.9], betas=rng.normal(0, 1, 16),
                mocap_framerate=np.array(fps), gender=np.array(gender))
    data.update(override)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **data)
    return data


def write_motionx(path: Path, T=45, seed=0):
    rng = np.random.default_rng(seed)
    x = np.zeros((T, 322))
    x[:, :156] = _smooth(rng, T, 156, 0.01)
    x[:, 309:312] = _smooth(rng, T, 3, 0.005) + [0.0, 0.9, 0.0]
    x[:, 312:] = rng.normal(0, 1, 10)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, x.astype(np.float32))
    return x


# ------------------------------------------------------------------ model files and forward kinematics

def test_smpl52_tree_is_smplh_tree():
    assert SMPL52.parents == tuple(SMPLH_PARENTS)
    assert SMPL52.names[22:25] == ("left_index1", "left_index2", "left_index3")
    assert SMPL52.names[SMPL52.mirror[22]] == "right_index1"


def test_smplh_joints_equal_the_smplx_package(models):
    import smplx
    import torch

    model = load_body_model("smplh", "male", str(models))
    rng = np.random.default_rng(3)
    T = 5
    poses, trans, betas = rng.normal(0, 0.4, (T, 156)), rng.normal(0, 0.3, (T, 3)), rng.normal(0, 1, 10)
    seq = BodySequence("smplh", "male", poses, trans, betas, 20.0, "y")
    ours = sequence_joints(seq, model, 20.0)
    ref_model = smplx.SMPLH(str(models / "smplh" / "SMPLH_MALE.npz"), ext="npz", use_pca=False,
                            flat_hand_mean=True, num_betas=10)
    t = {k: torch.tensor(v, dtype=torch.float32) for k, v in dict(poses=poses, trans=trans).items()}
    out = ref_model(betas=torch.tensor(betas[None], dtype=torch.float32).expand(T, -1), global_orient=t["poses"][:, :3],
                    body_pose=t["poses"][:, 3:66], left_hand_pose=t["poses"][:, 66:111],
                    right_hand_pose=t["poses"][:, 111:], transl=t["trans"])
    np.testing.assert_allclose(ours, out.joints[:, :52].detach().numpy(), atol=2e-5)


def test_smplx_joints_with_hand_mean_equal_the_smplx_package(models, tmp_path):
    import smplx
    import torch

    x = write_motionx(tmp_path / "a.npy", T=4)
    model = load_body_model("smplx", "neutral", str(models))
    ours = sequence_joints(with_hand_mean(read_motionx(tmp_path / "a.npy", fps=20.0), model), model, 20.0)
    ref_model = smplx.SMPLX(str(models / "smplx" / "SMPLX_NEUTRAL.npz"), ext="npz", use_pca=False,
                            flat_hand_mean=False, num_betas=10)
    t = torch.tensor(x, dtype=torch.float32)
    out = ref_model(betas=t[:, 312:], global_orient=t[:, :3], body_pose=t[:, 3:66], left_hand_pose=t[:, 66:111],
                    right_hand_pose=t[:, 111:156], jaw_pose=t[:, 156:159], transl=t[:, 309:312],
                    leye_pose=torch.zeros(4, 3), reye_pose=torch.zeros(4, 3), expression=torch.zeros(4, 10))
    np.testing.assert_allclose(ours, out.joints[:, list(SMPL52_FROM["smplx"])].detach().numpy(), atol=2e-5)


def test_resampling_120_to_20_is_an_exact_subsample_and_z_up_becomes_y_up(models, tmp_path):
    write_amass(tmp_path / "a.npz", T=61, fps=120.0)
    seq = read_amass(tmp_path / "a.npz")
    model = load_body_model("smplh", "male", str(models))
    joints = sequence_joints(seq, model, 20.0)
    assert joints.shape == (11, 52, 3)
    every6 = BodySequence("smplh", "male", seq.poses[::6], seq.trans[::6], seq.betas, 20.0, "z")
    np.testing.assert_allclose(joints, sequence_joints(every6, model, 20.0), atol=1e-9)
    # upright in Z-up -> upright in Y-up: head above pelvis along +Y, and the transform is a rotation
    assert (joints[:, 15, 1] - joints[:, 0, 1] > 0.3).all()
    assert np.isclose(np.linalg.det(Z_UP_TO_Y_UP), 1.0)


def test_resampling_30_to_20_slerps_rotations(models):
    model = load_body_model("smplh", "male", str(models))
    poses = np.zeros((4, 156))
    poses[:, 3 * 18 + 2] = [0.0, 0.6, 1.2, 1.8]  # left elbow bends linearly in time (one axis: slerp is linear)
    seq = BodySequence("smplh", "male", poses, np.zeros((4, 3)), np.zeros(10), 30.0, "y")
    got = sequence_joints(seq, model, 20.0)  # frames at source times 0, 1.5, 3
    mid = poses[:1].copy()
    mid[0, 3 * 18 + 2] = 0.9
    want = sequence_joints(BodySequence("smplh", "male", mid.repeat(2, 0), np.zeros((2, 3)), np.zeros(10), 20.0, "y"),
                           model, 20.0)[0]
    np.testing.assert_allclose(got[1], want, atol=1e-9)


# ------------------------------------------------------------------ bad input: one clear error each

def test_missing_model_folder_and_file_say_where_to_put_them(tmp_path, monkeypatch):
    from motionbase.bodymodels.files import model_file, models_root

    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(BodyModelError, match=f"--body-models DIR or set {ENV_VAR}"):
        models_root(None)
    with pytest.raises(BodyModelError, match=r"smplh/SMPLH_FEMALE.npz: missing SMPLH female model file.*mano"):
        model_file(tmp_path, "smplh", "female")


def test_wrong_model_type_and_gender(tmp_path):
    (tmp_path / "smplh").mkdir()
    write_test_smplx(tmp_path / "smplh" / "SMPLH_MALE.npz")  # an SMPL-X file where SMPL-H belongs
    with pytest.raises(BodyModelError, match=r"wrong model type: 55 joints \(smplx\), expected 52"):
        load_body_model("smplh", "male", str(tmp_path))
    write_amass(tmp_path / "g.npz", gender="alien")
    with pytest.raises(BodyModelError, match="gender 'alien'"):
        read_amass(tmp_path / "g.npz")


@pytest.mark.parametrize("override, message", [
    (dict(poses=np.zeros((10, 150))), r"poses have shape \(10, 150\), expected \(T, 156\)"),
    (dict(mocap_framerate=np.array(0.0)), "mocap_framerate is 0.0, expected a positive frame rate"),
    (dict(trans=np.zeros((7, 3))), r"trans has shape \(7, 3\)"),
])
def test_bad_amass_arrays(tmp_path, override, message):
    write_amass(tmp_path / "bad.npz", T=10, **override)
    with pytest.raises(BodyModelError, match=message):
        read_amass(tmp_path / "bad.npz")


def test_nan_names_the_frame(tmp_path):
    poses = np.zeros((10, 156))
    poses[4, 7] = np.nan
    write_amass(tmp_path / "n.npz", T=10, poses=poses)
    with pytest.raises(BodyModelError, match=r"n.npz, frame 4: NaN/inf in poses"):
        read_amass(tmp_path / "n.npz")
    np.save(tmp_path / "w.npy", np.zeros((5, 300)))
    with pytest.raises(BodyModelError, match=r"shape \(5, 300\), expected \(T, 322\)"):
        read_motionx(tmp_path / "w.npy")


# ------------------------------------------------------------------ imports end to end

@pytest.fixture()
def humanml3d_amass(tmp_path):
    amass = tmp_path / "amass"
    write_amass(amass / "KIT" / "3" / "walk_poses.npz", T=241, seed=1)
    write_amass(amass / "MPI_HDM05" / "bk" / "jump_poses.npz", T=481, seed=2, gender="female")
    hml = tmp_path / "HumanML3D"
    (hml / "texts").mkdir(parents=True)
    (hml / "index.csv").write_text(
        "source_path,start_frame,end_frame,new_name\n"
        "./pose_data/KIT/3/walk_poses.npy,0,30,000000.npy\n"
        "./pose_data/KIT/3/walk_poses.npy,10,1000,000001.npy\n"
        "./pose_data/MPI_HDM05/bk/jump_poses.npy,5,25,000002.npy\n"
        "./pose_data/humanact12/humanact12/P01G01R01F0001T0064A0101.npy,0,40,000003.npy\n"
        "./pose_data/KIT/9/gone_poses.npy,0,40,000004.npy\n")
    (hml / "texts" / "000000.txt").write_text("a person raises the left hand#a/DET person/NOUN raise/VERB the/DET "
                                              "left/ADJ hand/NOUN#0.0#0.0\n"
                                              "a person waves the left hand#a/DET person/NOUN wave/VERB the/DET "
                                              "left/ADJ hand/NOUN#0.5#1.0\n")
    return amass, hml


def test_import_amass_reproduces_humanml3d_cuts_mirrors_and_texts(models, humanml3d_amass, tmp_path):
    amass, hml = humanml3d_amass
    report = tmp_path / "report.json"
    res = run("import", "amass", amass, "--humanml3d", hml, "--out", tmp_path / "store", "--body-models", models,
              "--report", report)
    assert res.exit_code == 1, res.output  # the missing source file is reported
    failed = json.loads(report.read_text())["failed"]
    assert list(failed) == ["000004"] and "gone_poses.npz not found" in failed["000004"]
    store = ClipStore.open(tmp_path / "store")
    assert sorted(store.ids) == ["000000", "000001", "000002", "A_000000", "A_M000000", "M000000", "M000001",
                                 "M000002"]
    span = store.clip(store.index("A_000000"))
    assert span.captions.whole == ["a person waves the left hand"] and span.meta.labels["parent"] == "000000"
    np.testing.assert_array_equal(store.joints(store.index("A_000000")), store.joints(store.index("000000"))[10:20])
    assert store.clip(store.index("A_M000000")).captions.whole == ["a person waves the right hand"]
    assert store.info.skeleton == "smpl22" and store.info.feature_dim == 263
    assert store.clip(store.index("000000")).captions.whole == ["a person raises the left hand"]
    assert store.clip(store.index("M000000")).captions.whole == ["a person raises the right hand"]
    assert store.frames[store.index("000001")] == 41 - 10  # 241 frames at 120 fps -> 41 at 20 fps
    # MPI_HDM05 loses its first 3 s (60 frames at 20 fps) before the cut, as in HumanML3D
    model = load_body_model("smplh", "female", str(models))
    full = sequence_joints(read_amass(amass / "MPI_HDM05" / "bk" / "jump_poses.npz"), model)
    trim = int(HUMANML3D_TRIMS_S["MPI_HDM05"] * 20)
    np.testing.assert_allclose(store.joints(store.index("000002")), full[trim + 5:trim + 25, :22], atol=1e-5)
    mirrored = store.joints(store.index("M000002"))
    np.testing.assert_allclose(mirrored[:, 1, 0], -full[trim + 5:trim + 25, 2, 0], atol=1e-5)  # left hip <- right


def test_import_goes_on_after_bad_files_and_resumes(models, tmp_path):
    amass = tmp_path / "amass"
    write_amass(amass / "A" / "good_poses.npz", T=30)
    write_amass(amass / "A" / "zero_fps_poses.npz", T=30, mocap_framerate=np.array(0.0))
    (amass / "A" / "junk.npz").write_bytes(b"not a zip")
    out = tmp_path / "store"
    res = run("import", "amass", amass, "--out", out, "--body-models", models, "--no-mirror")
    assert res.exit_code == 1
    assert "zero_fps_poses.npz: mocap_framerate is 0.0" in res.output and "junk.npz: not a readable AMASS" in res.output
    assert ClipStore.open(out).ids == ["A_good_poses"]
    again = run("import", "amass", amass, "--out", out, "--body-models", models, "--no-mirror")
    assert "0 done, 1 already there, 2 failed" in again.output


def test_import_motionx_whole_body_623_with_texts_in_parallel(models, tmp_path, monkeypatch):
    root = tmp_path / "Motion-X"
    data = root / "motion_data" / "smplx_322"
    write_motionx(data / "kungfu" / "subset_0" / "000001.npy", seed=1)
    write_motionx(data / "dance" / "a b.npy", seed=2)
    labels = root / "texts" / "semantic_labels" / "kungfu" / "subset_0"
    labels.mkdir(parents=True)
    (labels / "000001.txt").write_text("a man punches with his left fist\n")
    monkeypatch.setenv(ENV_VAR, str(models))
    res = run("import", "motionx", data, "--out", tmp_path / "s2", "--workers", "2")
    assert res.exit_code == 0, res.output
    store = ClipStore.open(tmp_path / "s2")
    assert store.info.skeleton == "smpl52" and store.info.feature_dim == 623
    assert sorted(store.ids) == ["Mdance_a_b", "Mkungfu_subset_0_000001", "dance_a_b", "kungfu_subset_0_000001"]
    clip = store.clip(store.index("kungfu_subset_0_000001"))
    assert clip.captions.whole == ["a man punches with his left fist"] and clip.meta.subset == "kungfu"
    assert store.clip(store.index("Mkungfu_subset_0_000001")).captions.whole == ["a man punches with his right fist"]
    assert store.joints(0).shape == (30, 52, 3)  # 45 frames at 30 fps (1.47 s) -> 30 at 20 fps
    serial = run("import", "motionx", data, "--out", tmp_path / "s1", "--workers", "1")
    assert serial.exit_code == 0
    other = ClipStore.open(tmp_path / "s1")
    for cid in store.ids:
        np.testing.assert_array_equal(store.features(store.index(cid)), other.features(other.index(cid)))


# ------------------------------------------------------------------ export: joints -> SMPL-X by fitting

def test_fit_recovers_body_and_hands_and_export_reimports(models, tmp_path):
    from motionbase.bodymodels.export import export_clip_smplx
    from motionbase.bodymodels.fit import WholeBodyFitConfig

    model = load_body_model("smplx", "neutral", str(models))
    write_motionx(tmp_path / "truth.npy", T=12, seed=5)
    truth = sequence_joints(with_hand_mean(read_motionx(tmp_path / "truth.npy", fps=20.0), model), model, 20.0)
    fit = export_clip_smplx(tmp_path / "fit.npy", truth, SMPL52, model, WholeBodyFitConfig(steps=3, max_iter=80))
    assert fit.error_m < 0.005 and fit.hand_error_m < 0.005, (fit.error_m, fit.hand_error_m)
    back = sequence_joints(with_hand_mean(read_motionx(tmp_path / "fit.npy", fps=20.0), model), model, 20.0)
    np.testing.assert_allclose(back, fit.joints_m, atol=1e-4)  # the file holds what was fitted (float32)


def test_export_smplx_command(models, tmp_path):
    out = tmp_path / "store"
    amass = tmp_path / "amass"
    write_amass(amass / "A" / "one_poses.npz", T=25)
    assert run("import", "amass", amass, "--out", out, "--body-models", models, "--no-mirror").exit_code == 0
    res = run("export", "smplx", out, "--out", tmp_path / "x", "--body-models", models, "--steps", "2")
    assert res.exit_code == 0, res.output
    arr = np.load(tmp_path / "x" / "A_one_poses.npy")
    assert arr.shape == (5, 322) and np.isfinite(arr).all()


# ------------------------------------------------------------------ the user's real model files, when present

REAL = os.environ.get(ENV_VAR, "")


@pytest.mark.skipif(not REAL or not (Path(REAL) / "smplx").is_dir(),
                    reason=f"{ENV_VAR} does not point at real SMPL-X model files (licensed, never shipped)")
def test_real_smplx_model_loads_and_rest_pose_is_plausible():
    model = load_body_model("smplx", "neutral", REAL)
    assert model.num_joints == 55 and model.joints_template.shape == (55, 3)
    rest = model.joints_template[list(SMPL52_FROM["smplx"])]
    height = rest[15, 1] - min(rest[10, 1], rest[11, 1])
    assert 1.2 < height < 1.9  # head above the feet in metres, Y up
    assert rest[20, 0] > 0.5 and rest[21, 0] < -0.5  # T-pose wrists: left at +X


def test_import_of_an_empty_folder_or_without_models_is_one_clear_error(models, tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    res = run("import", "motionx", tmp_path, "--out", tmp_path / "s")
    assert isinstance(res.exception, BodyModelError) and "pass --body-models DIR" in str(res.exception)
    res = run("import", "motionx", tmp_path, "--out", tmp_path / "s", "--body-models", models)
    assert "no sequence files found" in str(res.exception) and not (tmp_path / "s").exists()


@pytest.mark.skipif(not REAL or not (Path(REAL) / "smplh").is_dir(),
                    reason=f"{ENV_VAR} does not point at real SMPL-H model files (licensed, never shipped)")
def test_real_smplh_model_loads_and_hands_sit_beyond_the_wrists():
    model = load_body_model("smplh", "male", REAL)
    assert model.num_joints == 52
    rest = model.joints_template
    # T-pose: on average the fingers lie beyond the wrists (left hand at +X)
    assert rest[22:37, 0].mean() > rest[20, 0] + 0.03 and rest[37:52, 0].mean() < rest[21, 0] - 0.03
