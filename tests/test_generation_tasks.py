"""Continue, in-between, temporal inpainting and windowed long generation, in the library, the CLI and the
app handlers, on real HumanML3D clips (tests/data) with tiny untrained models.

What "kept" means here (see motionbase.generation_tasks): feature rows outside the generated part are the
source's own, exactly; joints before the generated part equal the source's recovered joints exactly; after
it the poses are the source's but the global root follows the new part (features store root velocities).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from motionbase.cli import app as cli_app
from motionbase.errors import MotionbaseError
from motionbase.features.humanml3d import features_to_joints
from motionbase.features.mirror import mirror_features
from motionbase.generation import Sampling
from motionbase.generation_tasks import (
    between_motions,
    continue_motion,
    inpaint_motion,
    long_motion,
    needs_windows,
    parse_span,
)
from motionbase.lm.infill import inpaint_codes

from .generation_support import HML
from .lm_support import one_thread  # noqa: F401 (fixture)
from .test_generation import gen, models  # noqa: F401 (fixtures: tiny untrained 2D-LFQ tokenizer and LM)

pytestmark = pytest.mark.usefixtures("one_thread")
ALPHA = 4  # the tiny tokenizer: 5 code steps per second at 20 fps
POSE = slice(4, 4 + 21 * 3)  # root-relative joint positions (ric) in the 263 features
SAMPLE = Sampling(seed=0, temperature=1.0)


def clip(name: str, frames: int | None = None) -> np.ndarray:
    x = np.load(HML / "new_joint_vecs" / f"{name}.npy").astype(np.float32)
    return x[:frames] if frames else x


def joints(features: np.ndarray) -> np.ndarray:
    return features_to_joints(features.astype(np.float64), final_frame=True)


def test_continue_keeps_the_source_and_adds_the_asked_seconds(gen):
    src = clip("000000", 58)  # 58 frames: cut to 56 (14 code steps)
    res = continue_motion(gen, src, 1.2, "a person waves", SAMPLE)
    m = res.motion
    assert m.features.shape == (56 + 24, 263) and m.codes.shape == (14 + 6, 6)
    assert res.generated == (56, 80) and any("cut from 58 to 56 frames" in n for n in res.notes)
    np.testing.assert_array_equal(m.features[:56], src[:56])
    np.testing.assert_array_equal(m.joints[:56], joints(src[:56])[:56].astype(np.float32))
    assert m.closed and np.isfinite(m.joints).all()


def test_continue_of_a_clip_longer_than_the_context_shows_the_lm_only_its_tail(gen):
    src = clip("000000")  # 116 frames = 29 steps x 6 tokens: more than the 160-token context holds with a prompt
    m = continue_motion(gen, src, 1.0, None, SAMPLE).motion
    assert len(m.features) == 116 + 20
    np.testing.assert_array_equal(m.features[:116], src)


def test_between_joins_two_real_clips(gen):
    a, b = clip("000000", 40), clip("012314", 48)
    res = between_motions(gen, a, b, 1.0, None, SAMPLE)
    f = res.motion.features
    assert f.shape == (40 + 20 + 48, 263) and res.generated == (40, 60)
    np.testing.assert_array_equal(f[:40], a)
    np.testing.assert_array_equal(f[60:], b)  # B's features as they were (its global placement follows the gap)


def test_inpaint_regenerates_only_the_span(gen):
    src = clip("000612", 120)
    res = inpaint_motion(gen, src, 41, 59, None, SAMPLE)  # snapped outwards to frames 40:60
    m = res.motion
    assert res.generated == (40, 60) and any("snapped to code steps: frames 40:60" in n for n in res.notes)
    assert m.features.shape == src.shape
    np.testing.assert_array_equal(m.features[:40], src[:40])
    np.testing.assert_array_equal(m.features[60:], src[60:])
    assert not np.array_equal(m.features[40:60], src[40:60])
    np.testing.assert_array_equal(m.joints[:40], joints(src)[:40].astype(np.float32))
    # after the span: the same body poses (root-relative joints), the root placed where the new part left it
    np.testing.assert_array_equal(m.features[60:, POSE], src[60:, POSE])
    # codes outside the span are the source's own codes
    codes = gen.tokenizer.encode(src).cpu().numpy()
    np.testing.assert_array_equal(m.codes[:10], codes[:10])
    np.testing.assert_array_equal(m.codes[15:], codes[15:])
    # a span that runs to the end is a continuation
    tail = inpaint_motion(gen, src, 100, 120, "a person sits", SAMPLE)
    np.testing.assert_array_equal(tail.motion.features[:100], src[:100])
    assert tail.generated == (100, 120)


@pytest.mark.parametrize("a,b,message", [
    (0, 20, "the span must start at frame 4 or later"),
    (2, 3, "the span must start at frame 4 or later"),
    (40, 500, "expected 0 <= start < end <= 120"),
    (60, 40, "expected 0 <= start < end"),
])
def test_bad_spans_are_one_clear_line(gen, a, b, message):
    with pytest.raises(MotionbaseError, match=message) as info:
        inpaint_motion(gen, clip("000612", 120), a, b, None, SAMPLE)
    assert "\n" not in str(info.value)


def test_span_parsing_and_code_level_checks(gen):
    assert parse_span("40:80") == (40, 80)
    for text in ("40", "a:b", "40:80:90", "80:40", "-1:5"):
        with pytest.raises(MotionbaseError, match="--inpaint"):
            parse_span(text)
    codes = np.zeros((10, 6), np.int64)
    with pytest.raises(MotionbaseError, match="expected 1 <= start < end <= 10"):
        inpaint_codes(gen.lm, codes, 0, 3)
    with pytest.raises(MotionbaseError, match="leave no room"):  # 38 new steps x 6 tokens > the 160-token context
        inpaint_codes(gen.lm, np.zeros((40, 6), np.int64), 1, 39, options=SAMPLE.options())


def test_long_generation_goes_window_by_window(gen):
    prompt = "a person walks forward"
    assert needs_windows(gen, prompt, 12.0) and not needs_windows(gen, prompt, 1.0)
    res = long_motion(gen, prompt, 12.0, SAMPLE)
    assert res.motion.codes.shape == (60, 6) and res.motion.features.shape == (240, 263)
    assert res.motion.closed and np.isfinite(res.motion.joints).all()


def run(*args, ok: bool = True):
    result = CliRunner().invoke(cli_app, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def test_cli_inpaint_continue_between_and_long(models, tmp_path):
    lm, tok = models
    src = tmp_path / "src.npy"
    np.save(src, clip("000612", 120))
    common = ["--lm", lm, "--tokenizer", tok, "--seed", 0, "--size", 32]
    out = run("generate", "--from", src, "--inpaint", "40:60", "--out", tmp_path / "inp", *common).output
    assert "new frames 40:60" in out
    saved = json.loads((tmp_path / "inp" / "inpainted.json").read_text())
    assert saved["frames"] == 121 and (tmp_path / "inp" / "inpainted.bvh").is_file()
    np.testing.assert_array_equal(np.load(tmp_path / "inp" / "inpainted.npy")[:40],
                                  joints(clip("000612", 120))[:40].astype(np.float32))
    out = run("generate", "a person sits down", "--from", src, "--seconds", 1, "--out", tmp_path / "cont",
              *common).output
    assert "new frames 120:140" in out
    out = run("generate", "--between", src, HML / "new_joint_vecs" / "000000.npy", "--seconds", 0.8, "--out",
              tmp_path / "btw", *common).output
    assert "new frames 120:136" in out
    out = run("generate", "a person walks forward", "--seconds", 8, "--out", tmp_path / "long", *common).output
    assert json.loads((tmp_path / "long" / "a-person-walks-forward.json").read_text())["code_steps"] == 40


@pytest.mark.parametrize("args,message", [
    (["--inpaint", "40:60"], "--inpaint START:END needs --from MOTION"),
    (["--from", "{src}", "--inpaint", "0:20"], "the span must start at frame 4 or later"),
    (["--from", "{src}", "--inpaint", "oops"], "expected START:END in frames"),
    (["--from", "{src}", "--between", "{src}", "{src}"], "not both"),
    (["--from", "{bad}"], "expected joints (T, J, 3) metres or features (T, 263"),
])
def test_cli_task_errors_are_one_line_and_write_nothing(models, tmp_path, args, message):
    lm, tok = models
    src, bad = tmp_path / "src.npy", tmp_path / "bad.npy"
    np.save(src, clip("000612", 120))
    np.save(bad, np.zeros((10, 5), np.float32))
    args = [a.format(src=src, bad=bad) for a in args]
    res = run("generate", *args, "--lm", lm, "--tokenizer", tok, "--out", tmp_path / "out", ok=False)
    assert isinstance(res.exception, MotionbaseError), res.output + repr(res.exception)
    assert message in str(res.exception) and "\n" not in str(res.exception)
    assert not (tmp_path / "out").exists()


def test_app_task_handler(gen, tmp_path):
    from motionbase.app import AppHandlers
    from motionbase.viz.render import RenderConfig

    src = tmp_path / "src.npy"
    np.save(src, clip("000612", 120))
    h = AppHandlers(gen, tmp_path / "app", RenderConfig(size_px=32))
    good = h.task("inpaint", "", str(src), None, "40:60", 0, 0, 1.0)
    assert good.video.is_file() and "new frames 40:60" in good.status, good.status
    assert h.task("inpaint", "", None, None, "40:60", 0, 0, 1.0).status.startswith("error: upload a motion")
    assert h.task("in-between", "", str(src), None, "", 1, 0, 1.0).status.startswith("error: in-between needs")
    assert "error: --inpaint" in h.task("inpaint", "", str(src), None, "x", 0, 0, 1.0).status
    assert "new frames 120:140" in h.task("continue", "", str(src), None, "", 1, 0, 1.0).status


@pytest.fixture
def canonical(gen):
    """The tiny generator as a model trained with ``LMConfig.canonical_sides``."""
    gen.lm.config = gen.lm.config.replace(canonical_sides=True)
    yield gen
    gen.lm.config = gen.lm.config.replace(canonical_sides=False)


def test_canonical_sides_make_left_the_exact_mirror_of_right(canonical):
    """A canonical-sides model reads "left" prompts mirrored: the motion for "left" is the mirror image of the one for
    "right" (same seed), in free generation and in continuation (whose source motion is kept bit for bit)."""
    left, right = "a person waves the left hand", "a person waves the right hand"
    [a] = canonical.text_to_motion([left], 1.6, seed=3)
    [b] = canonical.text_to_motion([right], 1.6, seed=3)
    np.testing.assert_allclose(a.features, mirror_features(b.features), atol=1e-6)
    assert a.codes.shape == b.codes.shape and a.prompt == left
    src = clip("000000", 40)
    ca = continue_motion(canonical, src, 1.0, left, SAMPLE).motion
    cb = continue_motion(canonical, mirror_features(src), 1.0, right, SAMPLE).motion
    np.testing.assert_array_equal(ca.features[:40], src)  # the source is kept exactly (mirrored twice)
    np.testing.assert_allclose(ca.features[40:], mirror_features(cb.features[40:]), atol=1e-5)


def test_without_canonical_sides_left_is_read_as_typed(gen):
    [a] = gen.text_to_motion(["a person waves the left hand"], 1.6, seed=3)
    [b] = gen.text_to_motion(["a person waves the right hand"], 1.6, seed=3)
    assert not np.allclose(a.features, mirror_features(b.features), atol=1e-3)
