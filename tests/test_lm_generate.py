"""Constrained decoding, length control, clean cuts, batching, windowed long generation, bad input.

The LMs are untrained (random weights): left alone they emit text tokens anywhere, so every
property below is the constraint's doing (see test_unconstrained_random_model_breaks_the_format).
"""

import numpy as np
import pytest
import torch

from motionbase.errors import MotionbaseError, ShapeError
from motionbase.lm import generate as gen
from motionbase.lm.generate import (
    GenerationOptions,
    MotionConstraint,
    MotionRequest,
    generate,
    generate_long,
    motion_to_text,
    parse_motion,
    text_to_motion,
)

from .lm_support import one_thread, tiny_lm  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")

HOT = GenerationOptions(temperature=3.0, seed=0)  # flat distributions: the constraint must do all the work


@pytest.fixture(scope="module", params=["tiny-gpt2", "tiny-llama"])
def lm2d(request):
    """A 2D-code LM (P = 3 parts per step, one shared set of K tokens)."""
    return tiny_lm(request.param, K=16, P=3)


@pytest.fixture(scope="module")
def lm_sep():
    return tiny_lm("tiny-gpt2", K=16, P=3, part_tokens="separate")


def _motion_span(lm, result):
    ids = result.token_ids.tolist()
    assert ids[0] == lm.vocab.start_id
    return ids[1:ids.index(lm.vocab.end_id)] if lm.vocab.end_id in ids else ids[1:]


def test_motion_answers_are_only_codes_in_whole_steps(lm2d):
    results = generate(lm2d, [MotionRequest("t2m", caption="a person does a run in a youthful way"),
                              MotionRequest("unconditional"),
                              MotionRequest("prediction", prefix=np.zeros((2, 3), int)),
                              MotionRequest("inbetween", start=np.ones((1, 3), int), end=np.ones((2, 3), int))],
                       HOT)
    codes_ids = set(lm2d.vocab.code_ids.ravel().tolist())
    for res in results:
        span = _motion_span(lm2d, res)
        assert res.closed and set(span) <= codes_ids and len(span) % 3 == 0
        assert res.codes.shape == (len(span) // 3, 3) and res.codes.dtype == np.int64
        assert res.codes.max() < 16


def test_separate_part_tokens_come_in_part_order(lm_sep):
    res = text_to_motion(lm_sep, ["a man kicks with his left leg"], GenerationOptions(temperature=3.0, seed=1,
                                                                                       seconds=2.0))[0]
    span = np.asarray(_motion_span(lm_sep, res)).reshape(-1, 3)
    for part in range(3):
        assert np.isin(span[:, part], lm_sep.vocab.code_ids[part]).all()
    assert res.codes.shape == (10, 3) and res.closed


@pytest.mark.parametrize("seconds,steps", [(0.2, 1), (1.6, 8), (3.0, 15)])
def test_length_follows_seconds(lm2d, seconds, steps):
    res = text_to_motion(lm2d, ["a person waves"], GenerationOptions(temperature=3.0, seed=2, seconds=seconds))[0]
    assert res.codes.shape == (steps, 3) and res.closed


def test_per_request_seconds_in_one_batch(lm2d):
    results = generate(lm2d, [MotionRequest("t2m", caption="walk", seconds=0.4),
                              MotionRequest("t2m", caption="a person walks forward", seconds=2.0)], HOT)
    assert [len(r.codes) for r in results] == [2, 10]


def test_unclosed_motion_is_cut_and_flagged(lm2d):
    opts = GenerationOptions(temperature=3.0, seed=3, seconds=3.0, max_new_tokens=12)
    res = text_to_motion(lm2d, ["a person jumps"], opts)[0]
    # <mot> + 11 codes fit the budget: 3 whole steps are kept, the 2 codes of the 4th are dropped
    assert not res.closed and res.codes.shape == (3, 3)
    raw = res.token_ids[1:10]
    np.testing.assert_array_equal(lm2d.vocab.codes_to_ids(res.codes), raw)  # what was generated, nothing invented


def test_unconstrained_random_model_breaks_the_format(lm2d):
    opts = GenerationOptions(temperature=3.0, seed=0, constrained=False, max_new_tokens=20)
    res = text_to_motion(lm2d, ["a person walks"], opts)[0]
    assert not res.closed  # no <mot> at the start, or text inside: parsed as an (empty/cut) unclosed motion
    assert not set(res.token_ids.tolist()) <= set(lm2d.vocab.all_ids.tolist())


def test_parse_motion_cuts_cleanly(lm_sep):
    v, V = lm_sep.vocab, len(lm_sep.tokenizer)
    step = [int(v.code_ids[p, 5]) for p in range(3)]
    codes, closed = parse_motion([v.start_id, *step, *step, v.end_id], v, V)
    assert closed and codes.tolist() == [[5, 5, 5]] * 2
    codes, closed = parse_motion([v.start_id, *step, step[0], step[1]], v, V)  # never closed, half a step
    assert not closed and codes.tolist() == [[5, 5, 5]]
    codes, closed = parse_motion([v.start_id, *step, step[1], step[1], step[2], v.end_id], v, V)  # wrong part
    assert not closed and codes.tolist() == [[5, 5, 5]]
    codes, closed = parse_motion([7, 8, 9], v, V)
    assert not closed and codes.shape == (0, 3)


def test_constraint_masks_step_by_step(lm_sep):
    v, V = lm_sep.vocab, len(lm_sep.tokenizer)
    proc = MotionConstraint(v, V, prompt_length=2, motion_rows=torch.tensor([True, False]),
                            min_codes=torch.tensor([3, 3]), max_codes=torch.tensor([6, 6]),
                            eos_id=lm_sep.tokenizer.eos_token_id, pad_id=lm_sep.tokenizer.pad_token_id)
    width = V + 5  # padded embedding rows are never allowed
    a, b, c = (int(v.code_ids[p, 1]) for p in range(3))
    seq = torch.tensor([[9, 9, v.start_id, a, b, c, a, b, c, v.end_id]] * 2)

    def allowed(n, row=0):
        out = proc(seq[:, :n], torch.zeros(2, width))[row].isfinite()
        return set(torch.nonzero(out).ravel().tolist())

    assert allowed(2) == {v.start_id}
    assert allowed(3) == set(v.code_ids[0].tolist())
    assert allowed(4) == set(v.code_ids[1].tolist())  # mid-step: no </mot>
    assert allowed(6) == set(v.code_ids[0].tolist()) | {v.end_id}  # a whole step: may close
    assert allowed(9) == {v.end_id}  # max reached: must close
    assert allowed(10) == {lm_sep.tokenizer.eos_token_id}
    text = allowed(2, row=1)  # a text answer: text and EOS, no motion ids, no padded rows
    assert not text & set(v.all_ids.tolist()) and max(text) < V and lm_sep.tokenizer.eos_token_id in text
    assert lm_sep.tokenizer.pad_token_id not in text


def test_text_answers_never_hold_motion_tokens():
    lm = tiny_lm("tiny-gpt2", K=40, vocab_mode="reuse")  # reused ids are ordinary text tokens to the model
    motions = [np.random.default_rng(i).integers(0, 40, (4, 1)) for i in range(3)]
    results = motion_to_text(lm, motions, GenerationOptions(temperature=3.0, seed=4, max_new_tokens=30))
    for res in results:
        assert res.codes is None and not set(res.token_ids.tolist()) & set(lm.vocab.all_ids.tolist())
        assert isinstance(res.text, str)


def test_batched_equals_one_by_one_greedy(lm2d):
    opts = GenerationOptions(do_sample=False, seconds=1.0)
    captions = ["walk", "a person does a wave both hands in a feminine way"]
    batched = text_to_motion(lm2d, captions, opts)
    for caption, res in zip(captions, batched):
        alone = text_to_motion(lm2d, [caption], opts)[0]
        np.testing.assert_array_equal(res.codes, alone.codes)


def test_sampling_is_seeded(lm2d):
    opts = GenerationOptions(temperature=1.5, top_k=5, top_p=0.9, seed=7, seconds=1.0)
    a, b = (text_to_motion(lm2d, ["a person runs"], opts)[0].codes for _ in range(2))
    np.testing.assert_array_equal(a, b)


def test_long_motion_by_windows(lm_sep, monkeypatch):
    calls = []
    real = gen._generate

    def spy(lm, requests, steps, options):
        out = real(lm, requests, steps, options)
        calls.append((requests, steps, out))
        return out

    monkeypatch.setattr(gen, "_generate", spy)
    opts = GenerationOptions(temperature=2.0, seed=5, seconds=12.0, overlap_seconds=1.0)
    res = generate_long(lm_sep, [MotionRequest("t2m", caption="a person walks")], opts)[0]
    assert res.closed and res.codes.shape == (60, 3)  # 12 s x 5 steps/s: 180 codes, beyond one 128-token window
    assert len(calls) >= 3
    so_far = calls[0][2][0].codes
    for requests, steps, out in calls[1:]:
        req = requests[0]
        assert req.task == "prediction" and req.caption == "a person walks"
        np.testing.assert_array_equal(req.prefix, so_far[-5:])  # conditioned on the previous window's tail
        so_far = np.concatenate([so_far, out[0].codes])
    np.testing.assert_array_equal(so_far, res.codes)


def test_bad_input_is_one_clear_error(lm2d):
    with pytest.raises(MotionbaseError, match="empty prompt"):
        generate(lm2d, [MotionRequest("t2m")])
    with pytest.raises(MotionbaseError, match="the caption is empty"):
        text_to_motion(lm2d, ["   "])
    with pytest.raises(MotionbaseError, match="no requests"):
        generate(lm2d, [])
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(MotionbaseError, match="expected a positive, finite length"):
            text_to_motion(lm2d, ["walk"], GenerationOptions(seconds=bad))
    with pytest.raises(MotionbaseError, match=r"100 time steps \(20 s\) need 303 tokens .*use generate_long"):
        text_to_motion(lm2d, ["walk"], GenerationOptions(seconds=20.0))
    with pytest.raises(MotionbaseError, match="prompt is .* tokens; the 128-token context leaves no room"):
        text_to_motion(lm2d, ["a person walks " * 60])
    with pytest.raises(MotionbaseError, match="no motion motion codes given"):
        generate(lm2d, [MotionRequest("m2t")])
    with pytest.raises(ShapeError, match="outside \\[0, 16\\)"):
        generate(lm2d, [MotionRequest("m2t", motion=np.full((2, 3), 99))])
    with pytest.raises(MotionbaseError, match="unknown task 'dance'"):
        generate(lm2d, [MotionRequest("dance")])
    with pytest.raises(MotionbaseError, match="temperature=0"):
        generate(lm2d, [MotionRequest("unconditional")], GenerationOptions(temperature=0))
    with pytest.raises(MotionbaseError, match="every request needs seconds"):
        generate_long(lm2d, [MotionRequest("t2m", caption="walk")])
