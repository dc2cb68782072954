"""The shipped checkpoints (src/motionbase/assets/models/) load and give the outputs recorded when they were installed
(the prior: on main at a5a1cf5, before issue 12's config change; the tokenizer, LM and evaluator outputs: session 13's
default), with the same inputs.

On the recording machine the outputs were bit-identical (sha256 of the arrays); the
float checks here allow 1e-9 relative so that another CPU's BLAS does not fail them.
"""

import hashlib

import numpy as np
import pytest
import torch

from motionbase.defaults.paths import models_root
from motionbase.evaluate.evaluator import TextMotionEvaluator
from motionbase.prior.model import MotionPrior
from motionbase.tokenizer.model import MotionTokenizer

ROOT = models_root()


def sha(a) -> str:
    return hashlib.sha256(np.ascontiguousarray(np.asarray(a)).tobytes()).hexdigest()[:16]


# Golden values hold to float32 precision, not to the bit: another CPU's kernels (an AMD EPYC here, Intel before)
# round differently, 2e-7 apart on the sum of a 512-d embedding. Any change to the weights moves them far more.
@pytest.fixture(scope="module")
def decoded():
    torch.set_num_threads(1)
    tok = MotionTokenizer.from_pretrained(ROOT / "tokenizer", device="cpu")
    codes = np.random.default_rng(0).integers(0, 512, size=(8, tok.tokens_per_step))
    return tok.decode(codes).numpy()


def test_shipped_tokenizer_decodes_a_fixed_code_sequence_as_before(decoded):
    assert decoded.shape == (32, 263)
    assert decoded.astype(np.float64).sum() == pytest.approx(1889.1593758580657, rel=1e-6)


def test_shipped_evaluator_embeds_as_before(decoded):
    ev = TextMotionEvaluator.from_pretrained(ROOT / "evaluator", device="cpu")
    text = ev.encode_text(["a person waves the left hand."])
    motion = ev.encode_motion([decoded.astype(np.float32)])
    assert text.sum() == pytest.approx(-0.958980509720277, rel=1e-6, abs=1e-5)
    assert motion.sum() == pytest.approx(0.5695685392274754, rel=1e-6, abs=1e-5)


def test_shipped_prior_repairs_as_before():
    rng = np.random.default_rng(0)
    rng.integers(0, 512, size=(8, 6))  # the recording drew the tokenizer's codes (8 steps x 6) from it first
    joints = np.cumsum(rng.normal(0, 0.01, size=(80, 22, 3)), 0) + \
        np.linspace(0, 1.6, 22)[None, :, None] * np.array([0, 1, 0])
    repaired = MotionPrior.from_pretrained(ROOT / "prior").repair(joints)
    assert repaired.sum() == pytest.approx(1457.585693359375, rel=1e-6)


def test_shipped_lm_generates_the_same_codes_for_a_fixed_seed():
    from motionbase.generation import MotionGenerator

    gen = MotionGenerator.load(device="cpu")
    motion = gen.text_to_motion(["a person waves the left hand."], None, seed=0)[0]  # default guidance 3, warm-up 0.5 s
    codes = np.asarray(motion.codes, np.int64)
    assert codes.shape[0] == 35 and sha(codes) == "a3346633552d7e87"
    assert np.asarray(motion.joints, np.float64).sum() == pytest.approx(2968.371656516966, rel=1e-6)  # feet planted
    raw = MotionGenerator.load(device="cpu", plant_feet=False).text_to_motion(["a person waves the left hand."],
                                                                              None, seed=0)[0]
    assert np.asarray(raw.joints, np.float64).sum() == pytest.approx(2967.562200624284, rel=1e-6)  # as decoded
    # the first step held to the codes training clips begin with (motionbase.lm.onset); free, the LM drew the
    # codes it drew before the shipped checkpoint had an onset table (session 15's golden values)
    assert gen.lm.onset is not None and gen.lm.onset[:, codes[0]].diagonal().all()
    free = gen.text_to_motion(["a person waves the left hand."], None, seed=0, onset=False)[0]
    assert len(free.codes) == 32 and sha(np.asarray(free.codes, np.int64)) == "e861b25d8c05012e"
    assert np.asarray(free.joints, np.float64).sum() == pytest.approx(2615.962063346091, rel=1e-6)
    # without the warm-up: full guidance from the first token draws other codes
    full = gen.text_to_motion(["a person waves the left hand."], None, seed=0, guidance_warmup=0.0)[0]
    assert len(full.codes) == 10 and sha(np.asarray(full.codes, np.int64)) == "fe90b57201378a12"
