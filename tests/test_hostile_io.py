"""Hostile input, issue 15 items 1, 3, 4, 5, 7, 8: paths built from data, one bad file in a batch, same file
names in different folders, a full disk, absurd BVH values, file modes, a missing import path."""

import errno
import json
import os
import warnings

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from motionbase.cli import app
from motionbase.data import ClipStore
from motionbase.errors import FormatError, MotionbaseError
from motionbase.formats.bvh_read import read_bvh
from motionbase.io import atomic_write_text, path_in, safe_name

from .conftest import DATA

RAISE = DATA / "bvh" / "bandai" / "handedness" / "dataset-2_raise-up-left-hand_normal_001.bvh"
WAVE = DATA / "bvh" / "bandai" / "handedness" / "dataset-2_wave-left-hand_normal_013.bvh"
MOTION_LINE = 135  # first motion line of RAISE (frame 0)


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def no_traceback(res) -> None:
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in res.output


# ---------------------------------------------------------------- 1. paths built from data


@pytest.mark.parametrize("bad", ["../../x", "/abs/path", "../../../../tmp/y", "..", "a/b", "a\\b", "", "x" * 201,
                                 "-rf", ".hidden", "a\nb"])
def test_safe_name_refuses_what_is_not_one_file_name(bad, tmp_path):
    with pytest.raises(FormatError, match="not usable as a file name"):
        path_in(tmp_path, bad, ".bvh")


@pytest.mark.parametrize("good", ["dataset-2_walk_normal_1", "000612", "A_000123", "Walk 01", "take1-582aa17a"])
def test_safe_name_keeps_real_ids(good, tmp_path):
    assert safe_name(good) == good and path_in(tmp_path, good, ".bvh").parent == tmp_path


def _rewrite_ids(store_path, ids):
    shard = store_path / "shards" / "shard-00000.parquet"
    table = pq.read_table(shard)
    table = table.set_column(table.schema.get_field_index("id"), "id", pa.array(ids, pa.string()))
    pq.write_table(table, shard)


def test_export_bvh_never_writes_outside_out(tmp_path):
    store = tmp_path / "deep" / "er" / "store"
    assert run("import", "bvh", RAISE, WAVE, "--out", store).exit_code == 0
    victim = tmp_path / "victim"
    _rewrite_ids(store, ["../../../victim", str(victim)])
    out = tmp_path / "deep" / "er" / "out"
    res = run("export", "bvh", store, "--out", out, "--report", tmp_path / "r.json")
    no_traceback(res)
    assert res.exit_code == 1 and res.output.count("not usable as a file name") == 2
    assert not victim.exists() and not (tmp_path / "victim.bvh").exists() and list(out.iterdir()) == []
    assert len(json.loads((tmp_path / "r.json").read_text())["failed"]) == 2


# ---------------------------------------------------------------- 3. one bad file among good ones


def _deep_bvh(depth: int) -> str:
    head = ["HIERARCHY", "ROOT j0", "{", "OFFSET 0 0 0", "CHANNELS 6 Xposition Yposition Zposition Zrotation "
            "Xrotation Yrotation"]
    for i in range(1, depth):
        head += [f"JOINT j{i}", "{", "OFFSET 0 1 0", "CHANNELS 3 Zrotation Xrotation Yrotation"]
    head += ["}"] * depth
    values = " ".join(["0"] * (6 + 3 * (depth - 1)))
    return "\n".join(head + ["MOTION", "Frames: 2", "Frame Time: 0.0333333", values, values]) + "\n"


def test_a_deeply_nested_bvh_fails_alone_and_the_rest_is_stored(tmp_path):
    deep = tmp_path / "deep.bvh"
    deep.write_text(_deep_bvh(5000))
    with pytest.raises(FormatError, match=r"deep.bvh, line \d+: joint 'j201' is nested more than 200 levels"):
        read_bvh(deep)
    res = run("import", "bvh", RAISE, deep, WAVE, "--out", tmp_path / "store", "--report", tmp_path / "r.json")
    no_traceback(res)
    assert res.exit_code == 1 and "nested more than 200 levels" in res.output
    assert len(ClipStore.open(tmp_path / "store")) == 2
    assert list(json.loads((tmp_path / "r.json").read_text())["failed"]) == [str(deep)]


def test_a_humanml3d_folder_with_one_nan_sample_stores_the_others(tmp_path):
    import shutil

    folder = tmp_path / "hml"
    shutil.copytree(DATA / "humanml3d", folder)
    bad = np.load(folder / "new_joint_vecs" / "000612.npy")
    bad[3, 7] = np.nan
    np.save(folder / "new_joint_vecs" / "000612.npy", bad)
    res = run("import", "humanml3d", folder, "--out", tmp_path / "store", "--report", tmp_path / "r.json")
    no_traceback(res)
    assert res.exit_code == 1 and "000612.npy, frame 3: NaN/inf in features" in res.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert list(report["failed"]) == ["000612"]
    ids = ClipStore.open(tmp_path / "store").ids
    assert "000000" in ids and "012314" in ids and not any(i.endswith("000612") for i in ids)


# ---------------------------------------------------------------- 4. same name, different folders


def test_same_file_name_in_two_folders_gives_two_clips_and_a_rerun_skips_both(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "take1.bvh").write_bytes(RAISE.read_bytes())
    (tmp_path / "b" / "take1.bvh").write_bytes(WAVE.read_bytes())
    store = tmp_path / "store"
    res = run("import", "bvh", tmp_path / "a", tmp_path / "b", "--out", store)
    assert res.exit_code == 0 and "2 done" in res.output
    s = ClipStore.open(store)
    assert len(s) == 2 and s.ids[0] == "take1" and s.ids[1].startswith("take1-")
    assert not np.allclose(s.joints(0)[:10], s.joints(1)[:10])  # two different takes, both kept
    res = run("import", "bvh", tmp_path / "b", tmp_path / "a", "--out", store)
    assert res.exit_code == 0 and "0 done, 2 already there" in res.output


# ---------------------------------------------------------------- 5. disk full


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_import_on_a_full_disk_ends_in_one_line_and_a_report(tmp_path, monkeypatch):
    monkeypatch.setattr("motionbase.data.store._save_npy", _enospc)
    res = run("import", "bvh", RAISE, WAVE, "--out", tmp_path / "store", "--report", tmp_path / "r.json")
    no_traceback(res)
    assert res.exit_code == 1 and "disk full (ENOSPC)" in res.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["done"] == [] and len(report["failed"]) == 2 and "disk full" in report["stopped"]
    assert len(ClipStore.open(tmp_path / "store")) == 0  # nothing half-written
    monkeypatch.undo()
    assert run("import", "bvh", RAISE, WAVE, "--out", tmp_path / "store").exit_code == 0  # a rerun does them
    assert len(ClipStore.open(tmp_path / "store")) == 2


def test_export_bvh_report_on_a_full_disk_is_one_line(tmp_path, monkeypatch):
    assert run("import", "bvh", RAISE, "--out", tmp_path / "store").exit_code == 0
    monkeypatch.setattr("motionbase.cli.batch.atomic_write_text", _enospc)
    res = run("export", "bvh", tmp_path / "store", "--out", tmp_path / "out", "--report", tmp_path / "r.json")
    no_traceback(res)
    assert res.exit_code == 1 and "report NOT written" in res.output and "disk full" in res.output


# ---------------------------------------------------------------- 7. values that parse but are not motion


def _with_value(tmp_path, frame: int, column: int, value: str, name="x.bvh"):
    lines = RAISE.read_text().split("\n")
    row = lines[MOTION_LINE - 1 + frame].split()
    row[column] = value
    lines[MOTION_LINE - 1 + frame] = " ".join(row)
    path = tmp_path / name
    path.write_text("\n".join(lines))
    return path


def test_a_1e30_rotation_is_refused_with_its_line(tmp_path):
    path = _with_value(tmp_path, 10, 10, "1e30")  # Hips Xrotation
    with pytest.raises(FormatError, match=rf"line {MOTION_LINE + 10}, frame 10: Xrotation of joint 'Hips' is 1e\+30"):
        read_bvh(path)


def test_a_1e30_root_position_names_the_cause_and_line(tmp_path):
    path = _with_value(tmp_path, 4, 6, "1e30")  # Hips Xposition
    res = run("import", "bvh", path, "--out", tmp_path / "store")
    assert res.exit_code == 1 and f"line {MOTION_LINE + 4}, frame 4: Xposition of joint 'Hips'" in res.output
    assert "toes" not in res.output


def test_all_values_1e30_give_the_error_without_warnings(tmp_path):
    lines = RAISE.read_text().split("\n")
    for k in range(MOTION_LINE - 1, len(lines)):
        if lines[k].strip():
            lines[k] = " ".join(["1e30"] * len(lines[k].split()))
    path = tmp_path / "all.bvh"
    path.write_text("\n".join(lines))
    from motionbase.formats.bvh import load_bvh

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(FormatError, match=f"line {MOTION_LINE}, frame 0: Xposition of joint 'joint_Root'"):
            load_bvh(path)


# ---------------------------------------------------------------- 8. small things


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_atomic_output_honours_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        path = atomic_write_text(tmp_path / "a.json", "{}")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == mode


def test_atomic_output_keeps_the_mode_of_the_file_it_replaces(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old")
    path.chmod(0o640)
    atomic_write_text(path, "new")
    assert path.read_text() == "new" and path.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("kind", ["bvh", "humanml3d"])
def test_importing_a_missing_path_leaves_no_store_folder(tmp_path, kind):
    res = run("import", kind, tmp_path / "nothere", "--out", tmp_path / "store")
    assert isinstance(res.exception, MotionbaseError) and "no such" in str(res.exception)
    assert not (tmp_path / "store").exists()


def test_export_humanml3d_with_feet_always_on_the_floor_floors_the_std_and_says_so(tmp_path):
    """The two handedness takes stand in place: the foot-contact columns 259:263 never change."""
    assert run("import", "bvh", RAISE, WAVE, "--out", tmp_path / "store").exit_code == 0
    res = run("export", "humanml3d", tmp_path / "store", "--out", tmp_path / "hml")
    no_traceback(res)
    assert res.exit_code == 0 and "constant in columns 259:263" in res.output and "Std.npy holds 1.0" in res.output
    std = np.load(tmp_path / "hml" / "Std.npy")
    assert np.all(std[259:263] == 1.0) and np.all(std[:259] > 0) and len(list((tmp_path / "hml" / "new_joint_vecs").iterdir())) == 2


def test_compute_stats_floors_only_when_asked():
    from motionbase.errors import ShapeError
    from motionbase.features.stats import compute_stats

    rng = np.random.default_rng(0)
    feats = rng.normal(size=(50, 263))
    feats[:, 259:263] = 1.0
    with pytest.raises(ShapeError, match="constant in columns 259:263"):
        compute_stats([feats])
    floored = []
    stats = compute_stats([feats], floor_constant=True, floored=floored)
    assert floored == [slice(259, 263)] and np.all(stats.std[259:263] == 1.0)
    assert np.allclose(stats.std[:3], compute_stats([np.where(np.arange(263) >= 259, rng.normal(size=(50, 263)),
                                                              feats)]).std[:3])


def test_an_lmm_endpoint_that_never_replies_is_bounded_by_timeout(tmp_path):
    import socket
    import time

    with socket.socket() as server:  # accepts connections (kernel backlog) and never answers
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        port = server.getsockname()[1]
        t0 = time.monotonic()
        res = run("caption", RAISE, "--captioner", "lmm", "--base-url", f"http://127.0.0.1:{port}/v1",
                  "--timeout", "0.3")
        elapsed = time.monotonic() - t0
    assert isinstance(res.exception, MotionbaseError) and "no reply within 0.3 s (after 4 attempts)" in str(res.exception)
    assert elapsed < 15  # 4 x 0.3 s waits + 1 + 2 + 4 s backoff; the default (30 s) would take minutes


def test_lmm_default_timeout_is_30_seconds_per_reply():
    from motionbase.pipeline.caption.lmm import LMMConfig

    assert LMMConfig().timeout_s == 30.0


def test_a_manifest_range_that_disagrees_with_frames_is_refused_on_open(tmp_path):
    from motionbase.errors import StoreError

    store = tmp_path / "store"
    assert run("import", "bvh", RAISE, WAVE, "--out", store).exit_code == 0
    shard = store / "shards" / "shard-00000.parquet"
    table = pq.read_table(shard)
    j0 = table.column("joint_start").to_pylist()
    table = table.set_column(table.schema.get_field_index("joint_stop"), "joint_stop", pa.array(j0, pa.int64()))
    pq.write_table(table, shard)
    with pytest.raises(StoreError, match=r"shard-00000.parquet: clip '.*' has joint rows 0:0 for \d+ frames"):
        ClipStore.open(store)


@pytest.fixture()
def small_tmpfs(tmp_path):
    """A 64 KiB tmpfs (room for the store's small files, not for its arrays); skipped where mounting is refused."""
    import subprocess

    point = tmp_path / "tmpfs"
    point.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(point)], capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({res.stderr.strip() or res.returncode}); the monkeypatched "
                    "ENOSPC tests above cover the same paths")
    try:
        yield point
    finally:
        subprocess.run(["umount", str(point)], check=False)


def test_import_into_a_really_full_tmpfs(small_tmpfs, tmp_path):
    report = tmp_path / "r.json"  # the report goes elsewhere; the store's disk is full
    res = run("import", "bvh", RAISE, WAVE, DATA / "bvh" / "cmu" / "01_01.bvh", "--out", small_tmpfs / "store",
              "--report", report)
    no_traceback(res)
    assert res.exit_code == 1 and "stopped early: disk full" in res.output
    data = json.loads(report.read_text())
    assert data["done"] == [] and len(data["failed"]) == 3 and data["stopped"].startswith("disk full")
    assert not list((small_tmpfs / "store" / "shards").glob("*.parquet"))  # no shard half-visible


def test_export_bvh_onto_a_really_full_tmpfs(small_tmpfs, tmp_path):
    assert run("import", "bvh", RAISE, WAVE, "--out", tmp_path / "store").exit_code == 0
    (small_tmpfs / "out").mkdir()
    with open(small_tmpfs / "filler", "wb", buffering=0) as fh:  # fill the disk to the last block
        try:
            while True:
                fh.write(b"\0" * 512)
        except OSError:
            pass
    res = run("export", "bvh", tmp_path / "store", "--out", small_tmpfs / "out", "--report", small_tmpfs / "r.json")
    no_traceback(res)
    assert res.exit_code == 1 and "0 done" in res.output and "report NOT written" in res.output
    assert "cannot write here" in res.output  # each clip's own line
    assert not list((small_tmpfs / "out").glob("*.bvh")) and not (small_tmpfs / "r.json").exists()
