"""The command line end to end on real files: import (with a bad file in the batch), info, export, render."""

import json
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from motionbase.cli import app
from motionbase.data import ClipStore
from motionbase.formats.bvh import load_bvh

from .conftest import DATA

BANDAI = DATA / "bvh" / "bandai" / "handedness" / "dataset-2_raise-up-left-hand_normal_001.bvh"
CMU = DATA / "bvh" / "cmu" / "131_01.bvh"


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture()
def imported(tmp_path):
    bad = tmp_path / "broken.bvh"
    bad.write_text(BANDAI.read_text()[:3000])  # truncated inside the MOTION header/data
    report = tmp_path / "report.json"
    res = run("import", "bvh", BANDAI, CMU, bad, "--out", tmp_path / "store", "--caption-from-filename",
              "--report", report)
    return tmp_path, res, report


def test_import_goes_on_after_a_bad_file_and_reports_it(imported):
    tmp_path, res, report = imported
    assert res.exit_code == 1  # something failed: non-zero, but the good files are in
    assert "broken.bvh" in res.output
    data = json.loads(report.read_text())
    assert sorted(data["done"]) == sorted([str(BANDAI), str(CMU)]) and list(data["failed"]) == [str(tmp_path / "broken.bvh")]
    store = ClipStore.open(tmp_path / "store")
    assert len(store) == 2
    clip = store.clip(store.index(BANDAI.stem))
    assert clip.meta.labels["content"] == "raise-up-left-hand" and "left hand" in clip.captions.whole[0]
    np.testing.assert_allclose(clip.joints_m, load_bvh(BANDAI).joints_m, atol=1e-6)  # float32 storage
    # resume: running again skips what is there
    res2 = run("import", "bvh", BANDAI, CMU, "--out", tmp_path / "store")
    assert res2.exit_code == 0 and "0 done, 2 already there" in res2.output


def test_info_export_and_reimport(imported):
    tmp_path, _, _ = imported
    res = run("info", tmp_path / "store")
    assert res.exit_code == 0 and "2 clips" in res.output
    res = run("export", "bvh", tmp_path / "store", "--out", tmp_path / "bvh")
    assert res.exit_code == 0, res.output
    back = load_bvh(tmp_path / "bvh" / f"{BANDAI.stem}.bvh")
    original = load_bvh(BANDAI)
    assert np.abs(back.joints_m - original.joints_m).max() < 2e-3  # re-import re-canonicalises: mm level
    res = run("export", "humanml3d", tmp_path / "store", "--out", tmp_path / "hml")
    assert res.exit_code == 0, res.output
    feats = np.load(tmp_path / "hml" / "new_joint_vecs" / f"{BANDAI.stem}.npy")
    store = ClipStore.open(tmp_path / "store")
    np.testing.assert_allclose(feats, store.features(store.index(BANDAI.stem)), atol=1e-5)  # from float32 joints
    res = run("import", "humanml3d", tmp_path / "hml", "--out", tmp_path / "store2")
    assert res.exit_code == 0, res.output
    assert len(ClipStore.open(tmp_path / "store2")) == 2


def test_render_store_clip_and_bvh(imported, tmp_path):
    root, _, _ = imported
    out = tmp_path / "clip.gif"
    res = run("render", f"{root / 'store'}::{BANDAI.stem}", CMU, "--out", out, "--size", "64", "--stride", "5")
    assert res.exit_code == 0, res.output
    assert out.stat().st_size > 1000


def test_errors_are_one_line(tmp_path):
    res = run("info", tmp_path)
    assert res.exit_code != 0 and isinstance(res.exception, Exception)
    import subprocess, sys
    proc = subprocess.run([sys.executable, "-m", "motionbase.cli", "info", str(tmp_path)], capture_output=True,
                          text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and len(proc.stderr.strip().splitlines()) == 1


def test_help_leaves_the_heavy_packages_alone():
    """`motionbase --help` imports every command module: torch, transformers and scipy.optimize stay inside the
    commands that need them (cli/'s deferred imports), so the help is quick."""
    code = ("import runpy, sys\nsys.argv = ['motionbase', '--help']\ntry:\n    runpy.run_module('motionbase', "
            "run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "print([m for m in ('torch', 'transformers', 'scipy.optimize') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "Usage" in out and out.strip().splitlines()[-1] == "[]"
