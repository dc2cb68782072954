"""BLEU, ROUGE-L, CIDEr: hand-computed cases and golden values from pycocoevalcap 1.2.

The golden values were computed once with ``pycocoevalcap`` (Bleu(4), Rouge(), Cider() on the same
pre-tokenised strings) — the implementation TM2T's nlg-eval numbers come from.
"""

import math

import pytest

from motionbase.errors import ShapeError
from motionbase.metrics import bleu, caption_metrics, cider, rouge_l, tokenize

REFS = [
    ["a man kicks something or someone with his left leg.",
     "the standing person kicks with their left foot before going back to their original stance.",
     "a man kicks with something or someone with his left leg.",
     "he is flying kick with his left leg"],  # HumanML3D 000000's captions
    ["a person walks forward and turns left", "someone walks straight then turns to the left"],
    ["a person jumps up and down", "a man jumps in place twice", "the person hops"],
    ["a person waves with the right hand", "someone waves his right arm"],
]
HYPS = ["A man kicks with his left leg.", "a person walks forward, then turns left", "a person jumps in place",
        "the person raises the left hand"]
# pycocoevalcap 1.2 on these captions (lower-cased, punctuation removed):
GOLDEN = {"bleu": [0.8454947063864049, 0.7617378554913923, 0.6401672532343551, 0.4911019084261021],
          "rouge_l": 0.7065100252138756, "cider": 2.433697245879645}


def test_golden_values_from_pycocoevalcap():
    m = caption_metrics(HYPS, REFS)
    assert [m[f"bleu_{n}"] for n in range(1, 5)] == pytest.approx(GOLDEN["bleu"], rel=1e-12)
    assert m["rouge_l"] == pytest.approx(GOLDEN["rouge_l"], rel=1e-12)
    assert m["cider"] == pytest.approx(GOLDEN["cider"], rel=1e-12)


def test_tokenize():
    assert tokenize("A man's left-leg kick, then: STOP!") == ["a", "man's", "left-leg", "kick", "then", "stop"]


def test_bleu_by_hand():
    # p1 = 3/4, p2 = 2/3, p3 = 1/2, p4 = 0/1; no brevity penalty
    b = bleu(["a b c d"], [["a b c e"]])
    assert b[0] == pytest.approx(0.75)
    assert b[1] == pytest.approx(math.sqrt(0.75 * 2 / 3))
    assert b[2] == pytest.approx((0.75 * 2 / 3 * 0.5) ** (1 / 3))
    assert b[3] < 1e-3
    # brevity penalty exp(1 - r/c) with r = 4 (closest reference), c = 2
    assert bleu(["a b"], [["a b c d", "a b c d e f g"]])[0] == pytest.approx(math.exp(1 - 4 / 2))
    assert bleu(["the cat sat on the mat"], [["the cat sat on the mat"]]) == pytest.approx([1, 1, 1, 1])


def test_rouge_l_by_hand():
    # LCS(a b c d, a c e d f) = a c d: P = 3/4, R = 3/5, F = (1 + 1.44) P R / (R + 1.44 P)
    p, r = 0.75, 0.6
    assert rouge_l(["a b c d"], [["a c e d f"]]) == pytest.approx(2.44 * p * r / (r + 1.44 * p))
    # the best precision (1, from the long reference) and the best recall (1, from the short one) combine
    assert rouge_l(["a b c"], [["a b", "a b c d e f"]]) == pytest.approx(1.0)
    assert rouge_l(["x y"], [["z"]]) == 0.0


def test_cider_by_hand():
    # Two captions whose references share no n-gram: every reference n-gram has df = 1, IDF = log 2.
    # Caption 1 equals its reference: cosine 1 for n = 1..4, no length penalty -> 10.
    # Caption 2 shares nothing with its reference -> 0. Corpus CIDEr = 5.
    refs = [["a person walks forward slowly"], ["someone jumps high twice"]]
    assert cider(["a person walks forward slowly", "dogs bark loud"], refs) == pytest.approx(5.0)
    # a single caption: IDF = log(1) - log(1) = 0, so every weight vanishes
    assert cider(["a b c d"], [["a b c d"]]) == 0.0


def test_text_bad_input():
    with pytest.raises(ShapeError, match="one reference set per caption"):
        bleu(["a"], [["a"], ["b"]])
    with pytest.raises(ShapeError, match="references of caption 0"):
        rouge_l(["a"], ["a b"])
    with pytest.raises(ShapeError, match="no captions"):
        cider([], [])


def test_an_empty_generated_caption_scores_zero_not_an_error():
    # an untrained captioner can answer nothing; CIDEr's per-n sums are then integer 0 (was a numpy casting error)
    from motionbase.metrics.text import caption_metrics

    m = caption_metrics(["", "a person walks"], [["a person runs"], ["a person walks"]])
    assert m["cider"] > 0 and m["bleu_1"] > 0
    assert caption_metrics([""], [["a person runs"]])["cider"] == 0.0
