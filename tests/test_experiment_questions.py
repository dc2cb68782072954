"""The questions added after the first four, dry-run at the tiny preset (a training step per arm) on real
clips (tests/data): model scale with a local pretrained backbone, static and synthetic data, out-of-domain
contents; and the full preset's dry run (the paper's arms and launch settings, tiny sizes, on the CPU)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from motionbase.cli import app
from motionbase.data.store import ClipStore
from motionbase.experiments import question, run_experiment
from motionbase.experiments.augment import STATIC_ROWS, static_features, synthetic_features
from motionbase.experiments.ood import content_view, contents, held_out_contents
from motionbase.experiments.questions import FULL_LAUNCH, MODEL_SCALES
from motionbase.lm.train import accelerate_config

from .eval_support import make_world
from .lm_support import one_thread, save_local_gpt2  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root, _ = make_world(tmp_path_factory.mktemp("expq"))
    return root


@pytest.fixture(scope="module")
def local_gpt2(tmp_path_factory):
    """A 'pretrained' GPT-2 folder the Hugging Face way (config, safetensors, tokenizer), built here."""
    return save_local_gpt2(tmp_path_factory.mktemp("gpt2-local"), positions=256, layers=1)[0]


def _run(world, tmp_path, name, **kw):
    out = tmp_path / name
    run_experiment(name, world / "store", out, preset="tiny", tokenizer=world / "tokenizer", **kw)
    return out, json.loads((out / "report.json").read_text())


def _finite_table(r: dict, expected: set[str]) -> None:
    assert set(r["groups"]) == expected and r["finished"] == r["arms"]
    for g in r["groups"].values():
        for m, v in g.items():
            if m not in ("fields", "n"):
                assert all(math.isfinite(x) for x in v), (m, v)
    assert r["verdict"] in ("agrees", "disagrees", "inconclusive")


def test_model_scale_with_a_local_backbone(world, tmp_path, local_gpt2):
    out, r = _run(world, tmp_path, "model_scale", evaluator=world / "evaluator", backbone=local_gpt2)
    _finite_table(r, {f"heads={k}, hidden={h}, layers={n}, model={s}" for s, (h, n, k) in MODEL_SCALES["tiny"].items()}
                  | {f"backbone={local_gpt2.resolve()}, model=backbone"})
    arm = json.loads((out / "arms" / "backbone-s0" / "result.json").read_text())
    assert arm["config"]["lm"]["backbone"] == str(local_gpt2.resolve()) and arm["config"]["train"]["lr"] is None
    medium = json.loads((out / "arms" / "lm-medium-s0" / "result.json").read_text())
    assert medium["config"]["lm"]["tiny"]["hidden"] == 64 and medium["config"]["lm"]["tiny"]["layers"] == 2
    assert "pretrained backbone" in r["compared"]


@pytest.mark.parametrize("kind", ["static", "synthetic"])
def test_data_questions_add_their_clips(world, tmp_path, kind):
    out, r = _run(world, tmp_path, kind, evaluator=world / "evaluator")
    _finite_table(r, {f"{kind}=False", f"{kind}=True"})
    with_ = json.loads((out / "arms" / f"with-{kind}-s0" / "result.json").read_text())["config"]
    without = json.loads((out / "arms" / f"without-{kind}-s0" / "result.json").read_text())["config"]
    assert with_[f"{kind}_clips"] == with_["train_clips"] == without["train_clips"] > 0
    assert f"{kind}_clips" not in without


def test_static_and_synthetic_features(world):
    store = ClipStore.open(world / "store")
    x = np.asarray(store.features(0), np.float32)
    still = static_features(x, store.layout)
    s = store.layout.slices
    assert still.shape == (STATIC_ROWS, x.shape[1]) and not still[:, s["vel"]].any() and not still[:, :3].any()
    assert np.array_equal(still[0, s["ric"]], x[len(x) // 2, s["ric"]]) and np.all(still == still[0])
    from motionbase.features.humanml3d import features_to_joints

    syn = synthetic_features(x, store.layout, seed=0)
    assert syn.shape == x.shape and np.isfinite(syn).all()
    # the noise moves joints by centimetres, not metres; the mirror turns the first step's sideways velocity
    a = np.asarray(features_to_joints(np.asarray(x, np.float64), store.layout))
    b = np.asarray(features_to_joints(np.asarray(syn, np.float64), store.layout))
    assert 0.005 < np.abs(np.linalg.norm(a[:, 1:] - a[:, :1], axis=-1)
                          - np.linalg.norm(b[:, 1:] - b[:, :1], axis=-1)).mean() < 0.2


def test_ood_seen_vs_held_out_contents(world, tmp_path):
    store = ClipStore.open(world / "store")
    held = held_out_contents(store)
    names = sorted(set(contents(store)))
    assert held == names[::4] and len(held) == 40
    test = store.split("test")
    assert set(contents(content_view(test, held, unseen=True))) <= set(held)
    assert not set(contents(content_view(test, held, unseen=False))) & set(held)
    out, r = _run(world, tmp_path, "ood")  # its own evaluator, trained without the held-out contents
    _finite_table(r, {"test_on=seen", "test_on=unseen"})
    seen = json.loads((out / "arms" / "seen-s0" / "result.json").read_text())
    unseen = json.loads((out / "arms" / "unseen-s0" / "result.json").read_text())
    assert seen["config"]["run"] == unseen["config"]["run"] and seen["config"]["held_out_contents"] == held
    captioned = sum(1 for c in test.manifest().column("captions").to_pylist() if c and any(t.strip() for t in c))
    assert seen["metrics"]["test_clips"] + unseen["metrics"]["test_clips"] == captioned
    assert (out / "shared" / "evaluator" / "config.json").is_file()
    report = (out / "report.md").read_text()
    assert "From seen to held-out contents" in report and "FID " in report and "foot skating 0" in report


def test_full_preset_dry_run(world, tmp_path):
    q = question("model_scale", "full")
    assert q.sizes.hidden == 768 and q.sizes.steps == 100_000 and q.sizes.tokenizer.device == "cuda"
    cfg = yaml.safe_load(accelerate_config(FULL_LAUNCH["accelerate_config"]).read_text())
    assert cfg["distributed_type"] == "DEEPSPEED" and cfg["deepspeed_config"]["zero_stage"] == 2
    out = tmp_path / "full"
    res = CliRunner().invoke(app, ["experiment", "model_scale", "--store", str(world / "store"), "--out", str(out),
                                   "--preset", "full", "--dry-run", "--arms", "lm-tiny-*", "--tokenizer",
                                   str(world / "tokenizer"), "--evaluator", str(world / "evaluator")])
    assert res.exit_code == 0, res.output + repr(res.exception)
    r = json.loads((out / "report.json").read_text())
    assert r["trace"]["preset"] == "full (dry run)" and r["trace"]["launch"] == FULL_LAUNCH
    assert r["finished"] == 2 and r["arms"] == 6  # two seeds at full
    arm = json.loads((out / "arms" / "lm-tiny-s0" / "result.json").read_text())
    assert arm["config"]["train"]["max_steps"] == 1 and arm["config"]["lm"]["tiny"]["hidden"] == 16
    assert arm["arm"]["fields"]["hidden"] == MODEL_SCALES["tiny"]["tiny"][0]
