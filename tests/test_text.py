"""Caption mirroring (motionbase.data.text) and HumanML3D caption tokens (motionbase.formats.text_tokens)."""

import importlib.util

import pytest

from motionbase.data.text import mirror_caption
from motionbase.errors import MotionbaseError
from motionbase.formats.text_tokens import (
    RuleTagger, caption_tokens, get_tagger, lemmatize, parse_tokens, tag_caption, tokenize,
)

from .conftest import DATA

MIRRORED = [
    ("a person turns Left, then RIGHT.", "a person turns Right, then LEFT."),
    ("walks leftward, then rightwards", "walks rightward, then leftwards"),
    ("a right-handed throw with the left hand", "a left-handed throw with the right hand"),
    ("his/DET left/ADJ leg/NOUN", "his/DET right/ADJ leg/NOUN"),
    ("spins counterclockwise, then clockwise", "spins clockwise, then counterclockwise"),
    ("Counter-clockwise circle, CW", "Clockwise circle, CCW"),
    ("turns anti-clockwise", "turns clockwise"),
    # not sides: substrings, and idioms where "right" is no direction
    ("stands upright in the bright light", "stands upright in the bright light"),
    ("right away he steps right", "right away he steps left"),
    ("all right, arms at a right angle, then left", "all right, arms at a right angle, then right"),
    ("the leftmost foot", "the rightmost foot"),
]


@pytest.mark.parametrize("text, expected", MIRRORED)
def test_mirror_caption(text, expected):
    assert mirror_caption(text) == expected


@pytest.mark.parametrize("text", ["a man kicks with his left leg then turns right", "LEFT right Left Right",
                                  "leftward/ADV right/ADJ arm/NOUN", "spins clockwise then counterclockwise"])
def test_mirror_twice_is_identity(text):
    assert mirror_caption(mirror_caption(text)) == text


# --- tokens ----------------------------------------------------------------------------------

def fixture_lines():
    text = (DATA / "humanml3d" / "texts" / "000000.txt").read_text().splitlines()
    return [tuple(line.split("#")[:2]) for line in text]


# HumanML3D caption lines quoted in a public motion-to-text project's README (spaCy output, not in our fixtures).
QUOTED = [
    ("a man full-body sideways jumps to his left.",
     "a/DET man/NOUN fullbody/NOUN sideways/ADV jump/VERB to/ADP his/DET left/NOUN"),
    ("a person jumps straight to the left.", "a/DET person/NOUN jump/VERB straight/ADV to/ADP the/DET left/NOUN"),
    ("a person jumps sideways to the left", "a/DET person/NOUN jump/VERB sideways/ADV to/ADP the/DET left/NOUN"),
]


@pytest.mark.parametrize("caption, tokens", fixture_lines() + QUOTED)
def test_rule_tagger_reproduces_humanml3d_tokens(caption, tokens):
    assert caption_tokens(caption, RuleTagger()) == tokens


@pytest.mark.parametrize("caption, tokens", [
    ("the person is running in circles while waving his arms",
     "the/DET person/NOUN is/AUX run/VERB in/ADP circle/NOUN while/SCONJ wave/VERB his/DET arm/NOUN"),
    ("a person walks forward, turns around and steps to the right",
     "a/DET person/NOUN walk/VERB forward/ADV turn/VERB around/ADV and/CCONJ step/VERB to/ADP the/DET right/NOUN"),
    ("he bends over to touch his feet", "he/PRON bend/VERB over/ADP to/PART touch/VERB his/DET foot/NOUN"),
    ("the man turns left and right", "the/DET man/NOUN turn/VERB left/ADV and/CCONJ right/ADV"),
    ("a man walks in a counterclockwise circle", "a/DET man/NOUN walk/VERB in/ADP a/DET counterclockwise/ADJ circle/NOUN"),
    ("he doesn't lift his 2 feet!", "he/PRON does/AUX lift/VERB his/DET foot/NOUN"),
])
def test_rule_tagger_context_rules(caption, tokens):
    assert caption_tokens(caption, RuleTagger()) == tokens


class FakeSpacy:
    """A tagger returning fixed analyses, to test the HumanML3D rules apart from any tagger."""

    name = "fake"

    def analyse(self, sentence):
        assert "-" not in sentence  # hyphens are removed before tagging
        return [("A", "DET", "a"), ("fullbody", "NOUN", "fullbody"), ("Jumps", "VERB", "jump"),
                ("left", "VERB", "leave"), ("Quickly", "ADV", "quickly"), ("3", "NUM", "3"), (".", "PUNCT", ".")]


def test_humanml3d_rules_on_any_tagger():
    # NOUN/VERB -> lemma, except "left"; other words as written; non-alphabetic tokens dropped
    assert tag_caption("A full-body jumps left quickly 3.", FakeSpacy()) == [
        ("A", "DET"), ("fullbody", "NOUN"), ("jump", "VERB"), ("left", "VERB"), ("Quickly", "ADV")]


def test_tokenize_and_lemmas():
    assert tokenize("he doesn't move, the person's arm") == ["he", "does", "n't", "move", ",", "the", "person", "'s", "arm"]
    cases = {("feet", "NOUN"): "foot", ("running", "VERB"): "run", ("waving", "VERB"): "wave",
             ("crosses", "VERB"): "cross", ("stepped", "VERB"): "step", ("went", "VERB"): "go",
             ("carries", "VERB"): "carry", ("knees", "NOUN"): "knee", ("swing", "VERB"): "swing",
             ("rotating", "VERB"): "rotate", ("shoes", "NOUN"): "shoe", ("left", "ADJ"): "left"}
    assert {k: lemmatize(*k) for k in cases} == cases


def test_parse_tokens():
    assert parse_tokens("a/DET man/NOUN  1/2/NUM") == [("a", "DET"), ("man", "NOUN"), ("1/2", "NUM")]
    assert parse_tokens("") == []
    for bad in ("a/DET man", "a/", "/DET"):
        with pytest.raises(ValueError):
            parse_tokens(bad)


def test_get_tagger():
    assert get_tagger("rules").name == "rules"
    assert get_tagger().name in ("spacy", "nltk", "rules")
    with pytest.raises(MotionbaseError, match="unknown tagger 'bogus'"):
        get_tagger("bogus")
    if importlib.util.find_spec("spacy") is None:
        with pytest.raises(MotionbaseError, match="tagger 'spacy' is not installed"):
            get_tagger("spacy")


def test_first_side_skips_idioms_and_canonical_side_names_right_first():
    from motionbase.data.text import canonical_side, first_side

    assert first_side("a person walks and turns left") == "left"
    assert first_side("right away, the person raises the left hand") == "left"  # "right away" is no side
    assert first_side("someone stands upright") is None
    assert first_side("waves the right hand, then the left") == "right"
    assert canonical_side("waves the right hand, then the left") == ("waves the right hand, then the left", False)
    assert canonical_side("A person turns Left, then right.") == ("A person turns Right, then left.", True)
    assert canonical_side("a person spins counterclockwise to the left") == ("a person spins clockwise to the right",
                                                                               True)
    assert canonical_side("a person walks forward") == ("a person walks forward", False)
