"""Classifier-free guidance: the one-pass guided loop against a from-scratch recompute and against\n``transformers``' own decoding, no-op cases, and the generate path (both backbones)."""

import numpy as np
import pytest
import torch
from transformers import GenerationConfig

from motionbase.errors import MotionbaseError
from motionbase.lm.generate import GenerationOptions, MotionRequest, _left_padded, _prompt_ids, text_to_motion
from motionbase.lm.guided_decode import guided_generate

from .lm_support import one_thread, tiny_lm  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module", params=["tiny-gpt2", "tiny-llama"])
def lm(request):
    return tiny_lm(request.param, K=16, P=3)


def _batch(lm, captions):
    prompts = [_prompt_ids(lm, MotionRequest("t2m", caption=c), None, i) for i, c in enumerate(captions)]
    neg = [_prompt_ids(lm, MotionRequest("unconditional"), None, 0)] * len(captions)
    pad = lm.tokenizer.pad_token_id
    return (*_left_padded(prompts, pad), *_left_padded(neg, pad))


def _config(lm, **kw):
    tok = lm.tokenizer
    return GenerationConfig(max_new_tokens=12, pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id, **kw)


def _scores(model, ids, mask):
    """Last-position log-probabilities of a whole sequence, recomputed from scratch (no cache)."""
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    return torch.log_softmax(model(input_ids=ids, attention_mask=mask, position_ids=pos).logits[:, -1], -1)


@pytest.mark.parametrize("warmup", [0, 5])
def test_guided_tokens_follow_the_guidance_formula_recomputed_from_scratch(lm, warmup):
    """Greedy guided decoding with the shared 2B-row cache picks, at every step, the argmax of
    neg + s * (cond - neg) computed by two separate full forward passes; s = scale, or with a warm-up of w
    tokens 1 + (scale - 1) * t / w for the t-th answer token (t < w: 1 at the first, no guidance)."""
    ids, mask, neg_ids, neg_mask = _batch(lm, ["a person waves the left hand", "walk"])
    model, scale, L = lm.backbone.eval(), 2.5, ids.shape[1]
    with torch.no_grad():
        out = guided_generate(model, ids, mask, neg_ids, neg_mask, scale, _config(lm, do_sample=False),
                              warmup_tokens=warmup)
        assert out.shape[1] > L + 3
        for t in range(L, out.shape[1]):
            answer = out[:, L:t]
            ones = torch.ones_like(answer)
            cond = _scores(model, torch.cat([ids, answer], 1), torch.cat([mask, ones], 1))
            neg = _scores(model, torch.cat([neg_ids, answer], 1), torch.cat([neg_mask, ones], 1))
            s = scale if t - L >= warmup else 1 + (scale - 1) * (t - L) / warmup
            want = (neg + s * (cond - neg)).argmax(-1)
            live = ~(out[:, L:t] == lm.tokenizer.eos_token_id).any(1)
            np.testing.assert_array_equal(out[live, t].numpy(), want[live].numpy())


@pytest.mark.parametrize("sampling", [dict(do_sample=False), dict(do_sample=True, temperature=0.8, top_k=20, top_p=0.9)])
def test_scale_one_reproduces_transformers_generate(lm, sampling):
    """With scale 1 the loop is plain decoding: token for token what model.generate returns (same seed),
    padding of finished rows and the stop included; with and without the cache."""
    ids, mask, neg_ids, neg_mask = _batch(lm, ["a person waves the left hand", "walk", "a person jumps"])
    model = lm.backbone.eval()
    with torch.no_grad():
        torch.manual_seed(7)
        want = model.generate(input_ids=ids, attention_mask=mask, generation_config=_config(lm, **sampling))
        for cache in (True, False):
            torch.manual_seed(7)
            got = guided_generate(model, ids, mask, neg_ids, neg_mask, 1.0, _config(lm, use_cache=cache, **sampling))
            np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_scale_one_and_a_prompt_without_sides_change_nothing(lm):
    greedy = dict(do_sample=False, seconds=1.0)
    plain = text_to_motion(lm, ["a person runs forward"], GenerationOptions(**greedy))[0].codes
    mirrored = text_to_motion(lm, ["a person runs forward"], GenerationOptions(
        **greedy, guidance=4.0, guidance_negative="mirrored"))[0].codes  # mirror of the prompt is the prompt
    off = text_to_motion(lm, ["a person runs forward"], GenerationOptions(**greedy, guidance=1.0))[0].codes
    np.testing.assert_array_equal(plain, mirrored)
    np.testing.assert_array_equal(plain, off)


def test_guided_generation_keeps_the_format_and_length(lm):
    opts = GenerationOptions(seconds=1.2, seed=3, guidance=6.0)
    for res in text_to_motion(lm, ["a person waves the left hand", "a person raises the right hand"], opts):
        assert res.closed and res.codes.shape == (6, 3) and res.codes.min() >= 0 and res.codes.max() < 16


@pytest.mark.parametrize("kwargs, message", [({"guidance": 0.0}, "guidance=0.0"),
                                             ({"guidance": float("nan")}, "positive scale"),
                                             ({"guidance_negative": "other"}, "unconditional, mirrored"),
                                             ({"guidance_warmup": -1.0}, "guidance_warmup=-1.0"),
                                             ({"guidance_warmup": float("inf")}, "seconds >= 0")])
def test_bad_guidance_is_one_clear_error(kwargs, message):
    with pytest.raises(MotionbaseError, match=message):
        GenerationOptions(**kwargs).validate()
