"""Training paraphrases and the held-out paraphrase test set (motionbase.data.paraphrase)."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from motionbase.clip import Captions, ClipMeta
from motionbase.data.labels import CONTENT_PHRASES, STYLE_WORDS, bandai_captions
from motionbase.data.paraphrase import PARAPHRASE_PHRASES, all_training_paraphrases, normalise, training_paraphrases
from motionbase.data.text import mirror_caption
from motionbase.lm.data import add_paraphrases


def _test_prompts() -> list[dict]:
    path = resources.files("motionbase") / "assets" / "prompts" / "paraphrase_test.json"
    return json.loads(path.read_text())["prompts"]


def test_paraphrase_test_set_appears_nowhere_in_training():
    training = set(all_training_paraphrases())
    training |= {c for content in CONTENT_PHRASES for style in STYLE_WORDS
                 for c in bandai_captions(content, style, n=1000)}
    training |= {mirror_caption(c) for c in training}  # the mirrored clips' captions
    seen = {normalise(c) for c in training}
    prompts = _test_prompts()
    assert len(prompts) >= 40
    assert {p["content"] for p in prompts} == set(CONTENT_PHRASES)
    overlap = [p["prompt"] for p in prompts if normalise(p["prompt"]) in seen]
    assert overlap == []


def test_training_paraphrases_are_deterministic_distinct_and_keep_the_side():
    a = training_paraphrases("walk-turn-right", "elderly", 12, seed="clip-1")
    assert a == training_paraphrases("walk-turn-right", "elderly", 12, seed="clip-1")
    assert len(set(a)) == 12
    assert all("right" in s and "left" not in s for s in a)
    assert any(s.startswith(("Slowly, ", "Carefully, ")) for s in
               training_paraphrases("walk-turn-right", "elderly", 200, seed=0))  # clause order varies
    assert set(PARAPHRASE_PHRASES) == set(CONTENT_PHRASES)


@pytest.mark.parametrize("subject,pronoun", [("a man", "his"), ("a woman", "her"), ("someone", "their")])
def test_pronouns_agree_with_the_subject(subject, pronoun):
    sentences = [s for s in all_training_paraphrases() if s.lower().startswith(subject + " walks, then turns to")]
    assert any(f"to {pronoun} " in s for s in sentences)
    assert not any("they walks" in s for s in all_training_paraphrases())


def test_add_paraphrases_extends_only_labelled_bandai_clips():
    caps = Captions(["A person walks forward."], {"upper_body": "arms swing"})
    meta = ClipMeta(id="x", labels={"content": "run", "style": "normal"})
    out = add_paraphrases(caps, meta, 5)
    assert out.whole[0] == "A person walks forward." and len(out.whole) == 6 and out.parts == caps.parts
    assert add_paraphrases(caps, ClipMeta(id="y"), 5) is caps
    assert add_paraphrases(caps, meta, 0) is caps
