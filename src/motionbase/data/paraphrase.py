"""Training paraphrases of the Bandai-Namco labels: text that looks like what people type.

:func:`motionbase.data.labels.bandai_captions` gives each clip three phrasings of one sentence shape.
People write otherwise: other subjects ("a man", "someone"), other verbs ("jogs", "lifts"), clause order
("turns right while walking" / "walks, then turns to his right"), and they write "right" both for a turn and
for a hand. :func:`training_paraphrases` draws many such sentences per content x style, including
*negatives* that say what a clip does not do ("turns right without raising a hand", "stands still and raises
the right hand"): they put "turn" and "hand" beside "right" in contrasting sentences.

The held-out paraphrase test set (``motionbase/assets/prompts/paraphrase_test.json``) is written with other
verbs, subjects and sentence shapes; ``tests/test_paraphrase.py`` asserts that none of its prompts equals any
sentence this module can produce (every combination is enumerated by :func:`all_training_paraphrases`).
"""

from __future__ import annotations

import itertools
import random
import re

from .labels import CONTENT_PHRASES, STYLE_WORDS

SUBJECTS = ("a person", "someone", "a man", "a woman", "the person", "a human")

_SIDE_HAND = {
    "verbs": ("waves the {s} hand", "waves with the {s} hand", "waves the {s} arm", "waves with the {s} arm",
              "raises the {s} hand and waves", "waves hello with the {s} hand", "greets by waving the {s} hand",
              "stands still and waves the {s} hand", "waves the {s} hand without walking",
              "waves {p} {s} hand"),
    "raise": ("raises the {s} hand", "lifts the {s} arm up", "raises the {s} hand up high", "puts the {s} hand up",
              "lifts the {s} hand above the head", "raises the {s} arm overhead", "holds the {s} arm up",
              "stands still and raises the {s} hand", "raises the {s} hand without turning",
              "lifts the {s} hand while standing in place", "raises {p} {s} hand"),
}

_TURN = ("walks and turns {s}", "walks forward, then turns to the {s}", "walks in a curve to the {s}",
         "turns {s} while walking", "walks, then turns to the {s}", "walks, then turns to {p} {s}",
         "makes a {s} turn while walking", "walks and veers to the {s}", "walks forward and turns {s}",
         "walks and then makes a {s} turn", "turns to the {s} as {q} walks", "curves {s} while walking",
         "walks and turns {s} without raising a hand", "turns {s}, arms down, while walking",
         "walks forward and turns to {p} {s}")

PARAPHRASE_PHRASES: dict[str, tuple[str, ...]] = {
    "walk": ("walks forward", "walks straight ahead", "takes a walk forward", "walks ahead",
             "walks in a straight line", "is walking forward", "walks forward at an even pace",
             "paces forward", "walks forward without turning", "walks straight on, arms down"),
    "run": ("runs forward", "runs straight ahead", "jogs forward", "runs ahead", "jogs ahead",
            "is running forward", "runs in a straight line", "sprints forward", "runs forward quickly",
            "jogs straight ahead without turning"),
    "wave-both-hands": ("waves both hands", "waves with both hands", "waves both arms in greeting",
                        "waves with both arms", "raises both hands and waves", "waves hello with both hands",
                        "stands still and waves both hands"),
    "raise-up-both-hands": ("raises both hands", "lifts both arms up", "raises both hands above the head",
                            "puts both hands up", "lifts both hands high", "raises both arms overhead",
                            "stands still and raises both hands"),
}
for _side in ("left", "right"):
    PARAPHRASE_PHRASES[f"walk-turn-{_side}"] = tuple(v.replace("{s}", _side) for v in _TURN)
    PARAPHRASE_PHRASES[f"wave-{_side}-hand"] = tuple(v.replace("{s}", _side) for v in _SIDE_HAND["verbs"])
    PARAPHRASE_PHRASES[f"raise-up-{_side}-hand"] = tuple(v.replace("{s}", _side) for v in _SIDE_HAND["raise"])
assert set(PARAPHRASE_PHRASES) == set(CONTENT_PHRASES)

_PRONOUN = {"a man": ("his", "he"), "a woman": ("her", "she")}  # others: "their" / "they" (singular they)


def _sentence(subject: str, manner: str, verb: str, shape: int) -> str:
    poss, pro = _PRONOUN.get(subject, ("their", "they"))
    verb = verb.replace("{p}", poss).replace("{q}", pro)
    if pro == "they":
        verb = re.sub(r"\bthey walks\b", "they walk", verb)
    if not manner:
        text = f"{subject} {verb}"
    elif shape == 1 and not manner.startswith(("in ", "with ")):
        text = f"{subject} {manner} {verb}"
    elif shape == 2:
        text = f"{manner}, {subject} {verb}"
    else:
        text = f"{subject} {verb} {manner}"
    text = re.sub(r"\s+", " ", text).strip()
    return text[0].upper() + text[1:] + "."


def _combinations(content: str, style: str):
    people, manners = STYLE_WORDS[style]
    subjects = SUBJECTS if style in ("feminine", "masculine", "normal") else people
    for subject, manner, verb, shape in itertools.product(subjects, manners, PARAPHRASE_PHRASES[content], (0, 1, 2)):
        yield subject, manner, verb, shape


def training_paraphrases(content: str, style: str, n: int, seed: str | int = 0) -> list[str]:
    """``n`` distinct paraphrases of a content x style pair, drawn deterministically for ``seed``."""
    options = sorted({_sentence(*c) for c in _combinations(content, style)})
    rng = random.Random(f"{content}/{style}/{seed}")
    return rng.sample(options, min(n, len(options)))


def all_training_paraphrases() -> set[str]:
    """Every sentence :func:`training_paraphrases` can return, for every content x style."""
    return {_sentence(*c) for content in PARAPHRASE_PHRASES for style in STYLE_WORDS
            for c in _combinations(content, style)}


def normalise(text: str) -> str:
    """Lower case, words only: the form in which two captions count as the same sentence."""
    return " ".join(re.findall(r"[a-z]+", text.lower()))
