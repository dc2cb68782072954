"""The evaluation runner end to end: a tiny clip store cut from real HumanML3D clips, a tiny evaluator and a
tiny tokenizer; ``motionbase evaluate`` prints the table and writes the JSON; the unseen split; bad input."""

import dataclasses
import json
import re

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from motionbase.cli import app
from motionbase.data.store import ClipStore
from motionbase.errors import MotionbaseError, ShapeError
from motionbase.evaluate.evaluator import TextMotionEvaluator
from motionbase.evaluate.report import to_json, to_markdown
from motionbase.evaluate.run import GENERATED, REAL, EvaluationRunConfig, evaluate
from motionbase.evaluate.store_data import captioned_clips
from motionbase.features.humanml3d import features_to_joints
from motionbase.metrics.physics import plausibility

from .eval_support import HELD_OUT, N_CLIPS, make_world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return make_world(tmp_path_factory.mktemp("eval"))


def run_cli(*args):
    result = CliRunner().invoke(app, ["evaluate", *map(str, args)])
    return result


def test_debug_run_prints_the_table_and_writes_json(world):
    root, _ = world
    out = root / "debug.json"
    result = run_cli("--evaluator", root / "evaluator", "--store", root / "store", "--tokenizer", root / "tokenizer",
                     "--mode", "debug", "--json", out)
    assert result.exit_code == 0, result.output
    assert "| real motion |" in result.output and "| reconstruction |" in result.output
    assert "batches of 32 with distinct content × style labels" in result.output
    report = json.loads(out.read_text())
    info = report["info"]
    test = ClipStore.open(root / "store").split("test")
    captioned = sum(bool(c) for c in test.manifest().column("captions").to_pylist())
    assert (info["clips"], info["skipped_uncaptioned"]) == (captioned, len(test) - captioned)
    assert (info["replications"], info["retrieval_samples"], info["diversity_pairs"]) == (1, 32, captioned - 1)
    real, recon = report["rows"]
    assert [real["name"], recon["name"]] == ["real motion", "reconstruction"]
    r = np.array(real["metrics"]["r_precision"]["mean"])
    assert ((0 <= r) & (r <= 1)).all() and (np.diff(r) >= 0).all()
    # real motion vs its own ground truth: only the random crops differ; a tiny untrained tokenizer is far off
    assert 0 <= real["metrics"]["fid"]["mean"] < 0.1 * recon["metrics"]["fid"]["mean"]
    assert recon["metrics"]["mpjpe_mm"] > 50 and "mpjpe_mm" not in real["metrics"]
    assert 0 < recon["metrics"]["mpjpe_root_aligned_mm"] < recon["metrics"]["mpjpe_mm"]
    # plausibility of the real row is that of the joints recovered from the split's features
    clips = captioned_clips(ClipStore.open(root / "store"), "test")
    want = plausibility([features_to_joints(f.astype(np.float64)) for f in clips.features], 20.0)
    assert real["metrics"]["jitter_m_s3"] == pytest.approx(want["jitter_m_s3"])
    assert real["metrics"]["skating_ratio"] == pytest.approx(want["skating_ratio"])


def test_unseen_split(world):
    root, _ = world
    out = root / "unseen.json"
    result = run_cli("--evaluator", root / "evaluator", "--store", root / "store", "--split", "unseen",
                     "--mode", "debug", "--json", out)
    assert result.exit_code == 0, result.output
    info = json.loads(out.read_text())["info"]
    unseen = ClipStore.open(root / "store").split("unseen")
    assert set(unseen.manifest().column("subset").to_pylist()) == {HELD_OUT}
    held = [i for i in range(N_CLIPS) if i % 4 == 3]  # subset s3
    assert info["clips"] == sum(i % 10 != 9 for i in held) and "split 'unseen'" in info["where"]


def test_generated_row_and_multimodality(world):
    """A stand-in generator: the ground truth of each caption's clip, exactly or with noise (in evaluator std)."""
    root, model = world
    clips = captioned_clips(ClipStore.open(root / "store"), "test")
    of_caption = {c: f for caps, f in zip(clips.captions, clips.features) for c in caps}
    std = model.feature_std.numpy()

    class Lookup:
        def __init__(self, noise):
            self.noise = noise

        def generate(self, captions, lengths_frames, seed):
            rng = np.random.default_rng(seed)
            return [of_caption[c] + (self.noise * std * rng.standard_normal(of_caption[c].shape)).astype(np.float32)
                    for c in captions]

    config = EvaluationRunConfig(mode="full", replications=2, mm_texts=8, mm_generations=4, mm_pairs=3)
    same = evaluate(model, clips, generator=Lookup(0.0), config=config)
    noisy = evaluate(model, clips, generator=Lookup(2.0), config=config)
    rows = {r.name: r for r in same.rows}
    assert set(rows) == {REAL, GENERATED} and "multimodality" not in rows[REAL].metrics
    # the exact generator differs from the ground truth only by the crops the rng draws
    assert rows[GENERATED].metrics["fid"].mean < 0.2 * noisy.rows[1].metrics["fid"].mean
    assert rows[GENERATED].metrics["multimodality"].mean < noisy.rows[1].metrics["multimodality"].mean
    assert rows[GENERATED].metrics["fid"].values.shape == (2,)
    table = to_markdown(noisy)
    assert "MultiModality: 8 texts x 4 generations, 3 pairs" in table and "±" in table
    assert to_json(noisy)["rows"][1]["metrics"]["multimodality"]["values"][0] > 0

    class Broken(Lookup):
        def generate(self, captions, lengths_frames, seed):
            out = super().generate(captions, lengths_frames, seed)
            out[3] = out[3].copy()
            out[3][5, 0] = np.nan
            return out

    with pytest.raises(ShapeError, match="generated: motion 3 has NaN/inf at frame 5"):
        evaluate(model, clips, generator=Broken(0.0), config=EvaluationRunConfig(mode="debug"))


def saved_variant(root, model, name, *, feature_dim=None, std_scale=1.0, nan=False):
    """A copy of the tiny evaluator with another width, other statistics, or NaN weights."""
    config = dataclasses.replace(model.config, feature_dim=feature_dim or model.config.feature_dim)
    mean, std = model.feature_mean.numpy(), model.feature_std.numpy() * std_scale
    other = TextMotionEvaluator(config, model.vocab, mean[:config.feature_dim], std[:config.feature_dim])
    if feature_dim is None:
        other.load_state_dict({**model.state_dict(), "feature_std": torch.from_numpy(std)})
    if nan:
        with torch.no_grad():
            other.motion_encoder.output_net[-1].bias.fill_(float("nan"))
    other.save_pretrained(root / name)
    return root / name


@pytest.mark.parametrize("variant, split, message", [
    ({"feature_dim": 251}, "test", "trained on 251-dim smpl22 features, but the clips have 263-dim"),
    ({"std_scale": 1e-3}, "test", "normalised with the evaluator's mean/std have RMS"),
    ({"nan": True}, "test", "NaN/inf ground truth motion embeddings"),
    ({}, "nonexistent", "no clips in split 'nonexistent'"),
    ({}, "val", r"split 'val' of .*: \d+ captioned clips, expected at least 32"),
])
def test_bad_input_is_one_clear_error(world, variant, split, message):
    root, model = world
    ev = saved_variant(root, model, f"ev-{len(variant)}-{sorted(variant)}", **variant)
    result = run_cli("--evaluator", ev, "--store", root / "store", "--split", split, "--mode", "debug")
    assert result.exit_code != 0
    assert isinstance(result.exception, MotionbaseError)
    assert re.search(message, str(result.exception)), str(result.exception)
    assert "\n" not in str(result.exception)


def test_lm_needs_its_tokenizer(world):
    root, _ = world
    result = run_cli("--evaluator", root / "evaluator", "--store", root / "store", "--lm", root / "nowhere")
    assert "--lm needs --tokenizer" in str(result.exception)


def test_too_few_distinct_labels(world):
    root, model = world
    clips = captioned_clips(ClipStore.open(root / "store"), "test", label_keys=("style",))
    with pytest.raises(ShapeError, match="1 distinct style labels, expected at least 32"):
        evaluate(model, clips, config=EvaluationRunConfig(mode="debug"))
