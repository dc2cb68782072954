"""Hostile checkpoints and generate arguments (issue 15, item 6): one line, never a traceback or a report
table; nothing half-written."""

from __future__ import annotations

import errno
import json
import pickle
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from motionbase.cli import app
from motionbase.cli.generate import check_prompts, save_or_clean, writable_folder
from motionbase.errors import CheckpointError, MotionbaseError
from motionbase.evaluate.evaluator import EvaluatorConfig, GuoDims, TextMotionEvaluator
from motionbase.evaluate.evaluator_text import build_vocabulary
from motionbase.lm.model import MotionLM

from .lm_support import tiny_lm

WEIGHTS = "model.safetensors"


def _corrupt(d):
    (d / WEIGHTS).write_bytes(b"\x00" * 100)


def _truncated(d):
    data = (d / WEIGHTS).read_bytes()
    (d / WEIGHTS).write_bytes(data[: int(len(data) * 0.9)])


def _pickle(d):
    (d / WEIGHTS).write_bytes(pickle.dumps({"weights": np.zeros(3)}))


BAD_WEIGHTS = {"corrupt": _corrupt, "truncated": _truncated, "pickle": _pickle}


@pytest.fixture(scope="module")
def lm_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("lm")
    tiny_lm().save_pretrained(root / "good")
    return root


def _variant(root, name, change):
    d = root / name
    if not d.exists():
        shutil.copytree(root / "good", d)
        change(d)
    return d


@pytest.mark.parametrize("kind", sorted(BAD_WEIGHTS))
def test_lm_with_bad_weights_is_one_line(lm_dir, kind, capfd):
    d = _variant(lm_dir, kind, BAD_WEIGHTS[kind])
    with pytest.raises(CheckpointError, match=rf"{WEIGHTS}: not a readable safetensors file") as err:
        MotionLM.from_pretrained(d)
    assert "\n" not in str(err.value) and "Traceback" not in capfd.readouterr().err


def test_lm_index_pointing_at_a_pickle_bin_is_one_line_and_never_unpickled(lm_dir, tmp_path):
    marker = tmp_path / "pwned"

    class Boom:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    def change(d):
        (d / WEIGHTS).unlink()
        (d / "pytorch_model.bin").write_bytes(pickle.dumps({"transformer.wte.weight": Boom()}))
        (d / "model.safetensors.index.json").write_text(json.dumps(
            {"metadata": {}, "weight_map": {"transformer.wte.weight": "pytorch_model.bin"}}))

    d = _variant(lm_dir, "index_bin", change)
    with pytest.raises(CheckpointError, match="names 'pytorch_model.bin'; only .safetensors files"):
        MotionLM.from_pretrained(d)
    assert not marker.exists()


def test_lm_config_with_another_vocab_size_is_one_line_without_a_table(lm_dir, capfd):
    def change(d):
        cfg = json.loads((d / "config.json").read_text())
        cfg["vocab_size"] += 7
        (d / "config.json").write_text(json.dumps(cfg))

    d = _variant(lm_dir, "vocab", change)
    with pytest.raises(CheckpointError, match=r"config.json: vocab_size \d+, but the weights' .*wte.weight has"):
        MotionLM.from_pretrained(d)
    assert "LOAD REPORT" not in capfd.readouterr().err


@pytest.fixture(scope="module")
def evaluator_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("ev")
    config = EvaluatorConfig(arch="guo", embed_dim=16, word_dim=12, guo=GuoDims(16, 16, 16, 24))
    model = TextMotionEvaluator(config, build_vocabulary(["a person walks", "someone jumps"]),
                                np.zeros(263, np.float32), np.ones(263, np.float32))
    model.save_pretrained(root / "good")
    return root


@pytest.mark.parametrize("kind", sorted(BAD_WEIGHTS))
def test_evaluator_with_bad_weights_is_one_line(evaluator_dir, kind):
    d = _variant(evaluator_dir, kind, BAD_WEIGHTS[kind])
    with pytest.raises(CheckpointError, match=rf"{WEIGHTS}: not a readable safetensors file"):
        TextMotionEvaluator.from_pretrained(d)
    assert TextMotionEvaluator.from_pretrained(evaluator_dir / "good") is not None


# ---------------------------------------------------------------- generate


def test_non_utf8_prompts_are_one_line():
    bad = b"a \xff wave".decode("utf-8", "surrogateescape")  # how Python hands non-UTF-8 argv bytes over
    with pytest.raises(MotionbaseError, match=r"prompt 2: not UTF-8 text \(byte b'\\xff' at character 2\)"):
        check_prompts(["a person walks", bad])
    check_prompts(["a person walks", "über den Platz"])


@pytest.mark.parametrize("size", ["0", "100000"])
def test_generate_size_out_of_range_is_a_usage_error_before_any_work(tmp_path, size):
    res = CliRunner().invoke(app, ["generate", "a person walks", "--size", size, "--out", str(tmp_path / "g")])
    assert res.exit_code == 2 and "--size" in res.output and not isinstance(res.exception, (ValueError, MemoryError))
    assert not (tmp_path / "g").exists()


def test_generate_out_an_existing_file_or_unwritable_is_one_line(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    with pytest.raises(MotionbaseError, match="exists and is not a folder"):
        writable_folder(tmp_path / "file")

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr("motionbase.cli.generate.tempfile.mkstemp", read_only)
    with pytest.raises(MotionbaseError, match=r"cannot write there \(Read-only file system \(EROFS\)\)"):
        writable_folder(tmp_path / "ro")


def test_a_failed_save_leaves_no_partial_files(tmp_path):
    (tmp_path / "old.npy").write_bytes(b"keep")

    class Gen:  # writes the .npy, then runs out of memory rendering the video
        def save(self, motion, out, stem, render=None):
            np.save(out / f"{stem}.npy", np.zeros(3))
            raise MemoryError

    with pytest.raises(MotionbaseError, match=r"writing failed \(out of memory\); the files of this motion"):
        save_or_clean(Gen(), None, tmp_path, "walk", None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.npy"]
