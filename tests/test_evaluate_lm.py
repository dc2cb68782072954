"""The generated row with a real (tiny, untrained) motion LM: ``motionbase evaluate --lm`` loads the LM and the
tokenizer it was trained with, generates one motion per test caption at the ground truth's length, and scores
it. Kept apart from test_evaluate_run.py: importing transformers alone takes seconds."""

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from motionbase.cli import app
from motionbase.evaluate.generators import LMGenerator
from motionbase.lm.codec import CodecInfo
from motionbase.tokenizer import MotionTokenizer

from .eval_support import make_world
from .lm_support import tiny_lm


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return make_world(tmp_path_factory.mktemp("eval-lm"))


@pytest.fixture(scope="module")
def lm_dir(world):
    root, _ = world
    tok = MotionTokenizer.from_pretrained(root / "tokenizer")
    info = CodecInfo.of(tok, root / "tokenizer")
    tiny_lm(K=info.codebook_size, P=info.tokens_per_step, codec_hash=info.hash).save_pretrained(root / "lm")
    return root / "lm"


def test_lm_generates_at_the_asked_lengths(world, lm_dir):
    root, _ = world
    gen = LMGenerator.from_pretrained(lm_dir, root / "tokenizer")
    motions = gen.generate(["a person does the ab move", "someone moves"], [40, 21], seed=3)
    # 40 frames = 2 s = 10 steps of 4 frames; 21 frames = 1.05 s -> round(5.25) = 5 steps
    assert [m.shape for m in motions] == [(40, 263), (20, 263)]
    again = gen.generate(["a person does the ab move", "someone moves"], [40, 21], seed=3)
    np.testing.assert_array_equal(motions[0], again[0])


def test_evaluate_with_lm(world, lm_dir):
    root, _ = world
    out = root / "lm.json"
    result = CliRunner().invoke(app, ["evaluate", "--evaluator", str(root / "evaluator"), "--store",
                                      str(root / "store"), "--tokenizer", str(root / "tokenizer"), "--lm",
                                      str(lm_dir), "--mode", "debug", "--json", str(out)])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r["metrics"] for r in json.loads(out.read_text())["rows"]}
    assert list(rows) == ["real motion", "reconstruction", "generated"]
    assert "| generated |" in result.output
    # an untrained LM emits random codes: its motions are further from the ground truth than the real row's crops
    assert rows["generated"]["fid"]["mean"] > 10 * rows["real motion"]["fid"]["mean"]
    assert 0 <= rows["generated"]["skating_ratio"] <= 1


def test_lm_with_another_tokenizer_is_refused(world, lm_dir, tmp_path):
    root, _ = world
    other = MotionTokenizer.from_pretrained(root / "tokenizer")
    with torch.no_grad():
        next(other.parameters()).add_(1e-3)  # other weights: another checkpoint (a model card would not count)
    other.save_pretrained(tmp_path / "tok")
    result = CliRunner().invoke(app, ["evaluate", "--evaluator", str(root / "evaluator"), "--store",
                                      str(root / "store"), "--tokenizer", str(tmp_path / "tok"), "--lm", str(lm_dir)])
    assert result.exit_code != 0 and "use the tokenizer it was trained with" in str(result.exception)


def test_a_canonical_sides_lm_answers_left_with_the_mirror_of_right(world, lm_dir):
    """The evaluation runner reads prompts as the generator does: a canonical-sides model gets "left" mirrored."""
    from motionbase.features.mirror import mirror_features

    root, _ = world
    gen = LMGenerator.from_pretrained(lm_dir, root / "tokenizer")
    gen.lm.config = gen.lm.config.replace(canonical_sides=True)
    [left] = gen.generate(["a person raises the left hand"], [40], seed=5)
    [right] = gen.generate(["a person raises the right hand"], [40], seed=5)
    np.testing.assert_allclose(left, mirror_features(right), atol=1e-6)
    gen.lm.config = gen.lm.config.replace(canonical_sides=False)
    [typed] = gen.generate(["a person raises the left hand"], [40], seed=5)
    assert not np.allclose(typed, left, atol=1e-3)


def test_generated_feet_are_planted_as_the_generate_command_plants_them(world, lm_dir):
    from motionbase.features.plant import plant_feet

    root, _ = world
    planted = LMGenerator.from_pretrained(lm_dir, root / "tokenizer")
    raw = LMGenerator.from_pretrained(lm_dir, root / "tokenizer", plant_feet=False)
    [a], [b] = (g.generate(["a person walks"], [40], seed=2) for g in (planted, raw))
    np.testing.assert_array_equal(a, plant_feet(b))
