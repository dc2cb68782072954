"""The plain-torch GPT-2 (lm.gpt2_inference) the generator loads the shipped LM with: bit-identical to
``transformers``' GPT2LMHeadModel (logits with padding and cache, sampled tokens, the shipped model's codes),
chosen only for checkpoints it computes exactly, and the reason it exists: a fresh process that loads the default
generator imports none of the heavy modules ``transformers``' models pull in (issue 16, cold start)."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from transformers import AutoModelForCausalLM, DynamicCache, GenerationConfig

from motionbase.defaults.paths import models_root
from motionbase.errors import MotionbaseError
from motionbase.lm.generate import GenerationOptions, text_to_motion
from motionbase.lm.gpt2_inference import InferenceGPT2, KVCache, supports
from motionbase.lm.guided_decode import guided_generate, sample
from motionbase.lm.model import MotionLM

from .lm_support import one_thread, save_local_gpt2, tiny_lm  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")
SHIPPED_LM = models_root() / "lm"
# Imported by transformers' model classes (masks, activations, weight loading, losses) or by our kinematics;
# none is needed to load the default generator. On main before issue 16's cold-start work all of them were.
HEAVY = ("torch._dynamo", "torch.distributed.tensor", "transformers.modeling_utils", "transformers.masking_utils",
         "transformers.models.gpt2.modeling_gpt2", "scipy.ndimage", "scipy.optimize")


@pytest.fixture(scope="module")
def pair():
    """(transformers model, InferenceGPT2) of the shipped LM's backbone, both in eval mode."""
    ref = AutoModelForCausalLM.from_pretrained(str(SHIPPED_LM), local_files_only=True).eval()
    return ref, InferenceGPT2.from_pretrained(SHIPPED_LM)


def _padded(vocab: int, seed: int, pad_rows: bool):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(2, vocab, (3, 17), generator=g)
    mask = torch.ones_like(ids)
    if pad_rows:
        mask[0, :5], mask[2, :2] = 0, 0
    return ids, mask


@pytest.mark.parametrize("pad_rows", [False, True])
def test_logits_are_bit_identical_to_transformers_with_padding_and_cache(pair, pad_rows):
    ref, fast = pair
    ids, mask = _padded(ref.config.vocab_size, 0, pad_rows)
    ref_cache, fast_cache = DynamicCache(), KVCache()
    with torch.inference_mode():
        feed, pos = ids, (mask.cumsum(-1) - 1).clamp(min=0)
        for step in range(4):  # the prompt, then one token at a time against the cache
            a = ref(input_ids=feed, attention_mask=mask, position_ids=pos, cache=ref_cache, use_cache=True).logits
            b = fast(input_ids=feed, attention_mask=mask, position_ids=pos, cache=fast_cache, use_cache=True).logits
            assert torch.equal(a, b), f"step {step}: max difference {(a - b).abs().max().item()}"
            feed = a[:, -1].argmax(-1, keepdim=True)
            mask = torch.cat([mask, torch.ones_like(mask[:, :1])], 1)
            pos = (mask.cumsum(-1) - 1)[:, -1:]
        whole = torch.ones_like(ids)  # no cache, no padding: the "is_causal" shortcut of both
        assert torch.equal(ref(input_ids=ids, attention_mask=whole).logits, fast(input_ids=ids).logits)


def _config(pad: int, eos: int, **kw) -> GenerationConfig:
    return GenerationConfig(max_new_tokens=24, pad_token_id=pad, eos_token_id=eos, bos_token_id=eos, **kw)


@pytest.mark.parametrize("sampling", [dict(do_sample=False), dict(do_sample=True, temperature=0.9, top_k=50, top_p=0.95)])
def test_sampling_loop_gives_transformers_generate_tokens(pair, sampling):
    """``sample`` (the unguided path for a backbone without ``generate``) = ``model.generate``, same seed;
    with and without the cache; and the guided loop gives the same tokens on either backbone."""
    ref, fast = pair
    ids, mask = _padded(ref.config.vocab_size, 1, True)
    neg_ids, neg_mask = _padded(ref.config.vocab_size, 2, False)
    config = _config(ref.config.pad_token_id, ref.config.eos_token_id, **sampling)
    with torch.inference_mode():
        torch.manual_seed(3)
        want = ref.generate(input_ids=ids, attention_mask=mask, generation_config=config)
        for cache in (True, False):
            torch.manual_seed(3)
            got = sample(fast, ids, mask, _config(ref.config.pad_token_id, ref.config.eos_token_id, use_cache=cache,
                                                  **sampling))
            np.testing.assert_array_equal(got.numpy(), want.numpy())
        guided = []
        for model in (ref, fast):
            torch.manual_seed(5)
            guided.append(guided_generate(model, ids, mask, neg_ids, neg_mask, 4.0, config).numpy())
        np.testing.assert_array_equal(guided[0], guided[1])
    assert want.shape[1] > ids.shape[1]


def test_the_generator_gets_the_plain_gpt2_and_the_same_motion_codes(tmp_path):
    """The shipped LM loads as InferenceGPT2 for generation, as transformers' model otherwise; both generate
    the same codes for a prompt and seed, guided (the default) and unguided."""
    fast = MotionLM.from_pretrained(SHIPPED_LM, inference=True)
    slow = MotionLM.from_pretrained(SHIPPED_LM)
    assert isinstance(fast.backbone, InferenceGPT2) and not isinstance(slow.backbone, InferenceGPT2)
    with pytest.raises(MotionbaseError, match="generation only"):
        fast.save_pretrained(tmp_path / "lm")
    assert fast.context_length == slow.context_length == 512 and fast.model_type == "gpt2"
    for guidance in (4.0, 1.0):
        opts = GenerationOptions(seconds=2.0, seed=0, guidance=guidance)
        a, b = (text_to_motion(lm, ["a person walks and turns left."], opts)[0] for lm in (fast, slow))
        np.testing.assert_array_equal(a.codes, b.codes)


def test_other_backbones_and_unusual_gpt2_configs_load_through_transformers(tmp_path):
    """Any other causal LM keeps the general path, and so does a GPT-2 whose config asks for what
    InferenceGPT2 does not compute (here: attention scaled by the inverse layer index)."""
    llama = tiny_lm("tiny-llama", K=8)
    llama.save_pretrained(tmp_path / "llama")
    loaded = MotionLM.from_pretrained(tmp_path / "llama", inference=True)
    assert type(loaded.backbone).__name__ == "LlamaForCausalLM"

    gpt2 = tiny_lm("tiny-gpt2", K=8)
    gpt2.save_pretrained(tmp_path / "gpt2")
    assert isinstance(MotionLM.from_pretrained(tmp_path / "gpt2", inference=True).backbone, InferenceGPT2)
    cfg_file = tmp_path / "gpt2" / "config.json"
    cfg = json.loads(cfg_file.read_text())
    cfg_file.write_text(json.dumps({**cfg, "scale_attn_by_inverse_layer_idx": True}))
    assert type(MotionLM.from_pretrained(tmp_path / "gpt2", inference=True).backbone).__name__ == "GPT2LMHeadModel"


def test_supports_only_what_it_computes(tmp_path):
    path, _ = save_local_gpt2(tmp_path / "pretrained")
    cfg = json.loads((path / "config.json").read_text())
    assert supports(cfg)
    for change in ({"activation_function": "relu"}, {"model_type": "llama"}, {"add_cross_attention": True},
                   {"reorder_and_upcast_attn": True}, {"tie_word_embeddings": False}, {"dtype": "bfloat16"},
                   {"quantization_config": {"bits": 4}}, {"architectures": ["GPT2ForSequenceClassification"]},
                   {"n_embd": 30}, {"n_layer": None}):
        assert not supports({**cfg, **change}), change
    ref = AutoModelForCausalLM.from_pretrained(str(path), local_files_only=True).eval()
    ids = torch.randint(0, ref.config.vocab_size, (2, 9), generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():  # a GPT-2 saved by transformers (not by us) gives the same logits too
        assert torch.equal(ref(input_ids=ids).logits, InferenceGPT2.from_pretrained(path)(input_ids=ids).logits)


def test_a_fresh_process_loading_the_default_generator_imports_no_heavy_module():
    code = ("import sys; from motionbase.generation import MotionGenerator; g = MotionGenerator.load(device='cpu'); "
            f"print(type(g.lm.backbone).__name__, [m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip().splitlines()[-1] == "InferenceGPT2 []"
