"""Classifier-free guidance: the negative branch's cache, no-op cases, and the generate path (both backbones)."""

import numpy as np
import pytest
import torch

from motionbase.errors import MotionbaseError
from motionbase.lm.generate import GenerationOptions, MotionRequest, _left_padded, _prompt_ids, text_to_motion
from motionbase.lm.guidance import NegativePromptGuidance

from .lm_support import one_thread, tiny_lm  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module", params=["tiny-gpt2", "tiny-llama"])
def lm(request):
    return tiny_lm(request.param, K=16, P=3)


def test_negative_branch_with_cache_equals_a_full_recompute(lm):
    prompts = [_prompt_ids(lm, MotionRequest("t2m", caption=c), None, i)
               for i, c in enumerate(["a person waves the left hand", "walk"])]
    neg = [_prompt_ids(lm, MotionRequest("unconditional"), None, 0)] * 2
    ids, mask = _left_padded(prompts, lm.tokenizer.pad_token_id)
    neg_ids, neg_mask = _left_padded(neg, lm.tokenizer.pad_token_id)
    L, scale, model = ids.shape[1], 2.5, lm.backbone.eval()
    guide = NegativePromptGuidance(model, neg_ids, neg_mask, L, scale)
    rng = torch.Generator().manual_seed(0)
    seq = ids
    with torch.no_grad():
        for _ in range(5):
            scores = torch.randn(2, model.get_input_embeddings().num_embeddings, generator=rng)
            got = guide(seq, scores)
            answer = seq[:, L:]
            full_ids = torch.cat([neg_ids, answer], 1)
            full_mask = torch.cat([neg_mask, torch.ones_like(answer)], 1)
            pos = (full_mask.cumsum(-1) - 1).clamp(min=0)
            ref = torch.log_softmax(model(input_ids=full_ids, attention_mask=full_mask, position_ids=pos).logits[:, -1], -1)
            want = ref + scale * (torch.log_softmax(scores, -1) - ref)
            torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)
            seq = torch.cat([seq, torch.randint(0, 50, (2, 1), generator=rng)], 1)


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
                                             ({"guidance_negative": "other"}, "unconditional, mirrored")])
def test_bad_guidance_is_one_clear_error(kwargs, message):
    with pytest.raises(MotionbaseError, match=message):
        GenerationOptions(**kwargs).validate()
