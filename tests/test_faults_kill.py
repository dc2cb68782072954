"""Fault injection: ``kill -9`` at seeded random moments of ``import``, ``build-dataset``, tokenizer training and
LM training, then the same command again. Expected: the same clips as an uninterrupted run (no duplicate, none
lost, identical arrays); training continues from its last checkpoint to the same weights and losses as an
uninterrupted seeded run. The default run keeps one quick import case; the rest is ``-m slow``."""

import json
import random

import numpy as np
import pytest

from .badinput import bvh, kill, media
from .badinput.support import DATA_LOST, assert_no_leftovers

def _arrays(path):
    from motionbase.data import ClipStore

    store = ClipStore.open(path)
    ids = [store.id(i) for i in range(len(store))]
    assert len(ids) == len(set(ids)), f"{DATA_LOST}: duplicate clips: {sorted(ids)}"
    return {store.id(i): (np.asarray(store.joints(i)), np.asarray(store.features(i))) for i in range(len(store))}


def _assert_same_store(got, want):
    a, b = _arrays(got), _arrays(want)
    assert sorted(a) == sorted(b), f"{DATA_LOST}: clips differ: missing {sorted(set(b) - set(a))}, " \
                                   f"extra {sorted(set(a) - set(b))}"
    for key in b:
        assert np.array_equal(a[key][0], b[key][0]) and np.array_equal(a[key][1], b[key][1]), key
    assert_no_leftovers(got)


@pytest.fixture(scope="module")
def bvh_inputs(tmp_path_factory):
    root = bvh.copies(tmp_path_factory.mktemp("bvh"), 40)
    reference = root.parent / "reference-store"
    p, seconds = kill.run("import", "bvh", root, "--out", reference)
    assert p.returncode == 0, p.stderr[-2000:]
    return root, reference, seconds


def _import_killed(bvh_inputs, tmp_path, seed):
    root, reference, _ = bvh_inputs
    store = tmp_path / "store"
    # the store is created once the command has started; the 40 files take a few seconds from there (on an idle
    # machine 10 files took under 1.5 s, too short to be sure of a kill)
    delay = random.Random(seed).uniform(0.0, 0.5)
    killed = kill.kill_when(["import", "bvh", root, "--out", store], kill.exists(store / "store.json", delay))
    assert killed, f"the import ended within {delay:.2f} s of creating the store"
    p, _ = kill.run("import", "bvh", root, "--out", store)
    assert p.returncode == 0, p.stderr[-2000:]
    _assert_same_store(store, reference)


@pytest.mark.timeout(300)
def test_import_killed_then_rerun(bvh_inputs, tmp_path):
    _import_killed(bvh_inputs, tmp_path, seed=15)


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_import_killed_at_more_moments(bvh_inputs, tmp_path, seed):
    _import_killed(bvh_inputs, tmp_path, seed)


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("seed", [4, 5])
def test_build_dataset_killed_then_rerun(tmp_path, seed):
    pytest.importorskip("mediapipe")
    from PIL import Image, ImageOps

    src = tmp_path / "in"
    src.mkdir()
    photo = Image.open(media.PERSON).convert("RGB")
    for i, img in enumerate([photo, ImageOps.mirror(photo), photo.resize((photo.width // 2, photo.height // 2)),
                             ImageOps.mirror(photo.resize((photo.width * 3 // 4, photo.height * 3 // 4)))]):
        img.save(src / f"person{i}.png")
    args = ["--captioner", "rules", "--workers", "2"]
    p, _ = kill.run("build-dataset", src, "--out", tmp_path / "reference", *args)
    assert p.returncode == 0, p.stderr[-2000:]
    # killed a random moment after the first input is finished (its marker in pipeline/done/), mid-batch
    delay = random.Random(seed).uniform(0.0, 1.0)
    done = tmp_path / "store" / "pipeline" / "done"
    assert kill.kill_when(["build-dataset", src, "--out", tmp_path / "store", *args], kill.has_files(done, delay)), \
        "finished first"
    p, _ = kill.run("build-dataset", src, "--out", tmp_path / "store", *args)
    assert p.returncode == 0, p.stderr[-2000:]
    _assert_same_store(tmp_path / "store", tmp_path / "reference")


def _same_weights(a, b):
    from safetensors.numpy import load_file

    wa, wb = load_file(str(a)), load_file(str(b))
    assert sorted(wa) == sorted(wb)
    for key in wa:
        assert np.array_equal(wa[key], wb[key]), f"{key} differs after resuming"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_tokenizer_training_killed_then_resumed(tmp_path):
    from .tokenizer_support import TINY_RUN, tiny_store, write_json

    tiny_store(tmp_path / "store")
    cfg = write_json(tmp_path / "run.json", {**TINY_RUN, "steps": 8})
    args = ["--store", tmp_path / "store", "--config", cfg, "--seed", 0]
    p, _ = kill.run("tokenizer", "train", "--out", tmp_path / "straight", *args)
    assert p.returncode == 0, p.stderr[-2000:]
    run = tmp_path / "run"
    ckpt = run / "checkpoints" / "step-00000004"
    delay = random.Random(6).uniform(0.0, 1.0)
    assert kill.kill_when(["tokenizer", "train", "--out", run, *args], kill.exists(ckpt, delay)), "finished first"
    p, _ = kill.run("tokenizer", "train", "--out", run, *args)
    assert p.returncode == 0, p.stderr[-2000:]
    steps = [json.loads(line)["step"] for line in (run / "train_log.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 9)), steps
    _same_weights(run / "model.safetensors", tmp_path / "straight" / "model.safetensors")


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_lm_training_killed_then_resumed(tmp_path):
    from .lm_support import SMALL
    from .generation_support import tiny_tokenizer
    from .tokenizer_support import tiny_store

    tiny_store(tmp_path / "store")
    tok = tiny_tokenizer(tmp_path / "tok")
    sizes = {k: getattr(SMALL, k) for k in ("hidden", "layers", "heads", "context", "text_vocab_size")}
    (tmp_path / "lm.json").write_text(json.dumps({"tiny": {**sizes, "context": 256}}))
    args = ["--tokenizer", tok, "--backbone", "tiny", "--store", tmp_path / "store", "--split", "",
            "--cache", tmp_path / "cache", "--lm-config", tmp_path / "lm.json", "--max-steps", 8, "--save-every", 2,
            "--batch-size", 2, "--seed", 1]
    p, _ = kill.run("lm", "train", "--out", tmp_path / "straight", *args)
    assert p.returncode == 0, p.stderr[-2000:]
    run = tmp_path / "run"
    delay = random.Random(7).uniform(0.0, 1.0)
    assert kill.kill_when(["lm", "train", "--out", run, *args],
                          kill.exists(run / "checkpoints" / "step-00000004", delay)), "finished first"
    p, _ = kill.run("lm", "train", "--out", run, *args)
    assert p.returncode == 0, p.stderr[-2000:]
    losses = lambda r: {e["step"]: e["loss"] for e in map(json.loads, (r / "log.jsonl").read_text().splitlines())
                        if "loss" in e}  # noqa: E731
    assert losses(run) == losses(tmp_path / "straight")
    _same_weights(run / "model" / "model.safetensors", tmp_path / "straight" / "model" / "model.safetensors")
