"""Caption utilities: mirror a caption's left/right words for a left/right-mirrored motion.

HumanML3D doubles its data with mirrored clips (ids prefixed ``M``): the motion is reflected
through the body's sagittal plane (X -> -X) and every caption is rewritten with "left" and
"right" exchanged. HumanML3D does this with plain substring replacement, which also rewrites
words such as "upright" ("upleft") or "frightened"; :func:`mirror_caption` swaps whole words only.

What is swapped (whole words, case preserved: ``left``/``Left``/``LEFT``):

- ``left`` <-> ``right``, also inside compounds that start or end with them:
  ``leftward(s)``, ``leftmost``, ``left-handed``, ``lefty``, ``rightward(s)`` ...
  (a word boundary is any non-letter: hyphens, slashes as in ``left/ADJ`` tokens, punctuation);
- ``clockwise`` <-> ``counterclockwise`` (also ``counter-clockwise``, ``counter clockwise``,
  ``anticlockwise``, ``anti-clockwise``, which all become ``clockwise``), and ``CW`` <-> ``CCW``:
  a reflection reverses the sense of every rotation about the vertical axis.

What is left alone: ``right`` in idioms where it is not a side: ``right away``, ``right now``,
``all right``, ``right angle(s)``, ``right-angled``; words that merely contain the letters
(``upright``, ``bright``, ``alright``, ``copyright``). "left" as the past tense of "leave" is
swapped like HumanML3D does (rare in motion captions). Mirroring twice gives the caption back,
except for the clockwise spellings, which normalise to ``clockwise``/``counterclockwise``.
"""

from __future__ import annotations

import re

from ..clip import Captions

_SIDE = re.compile(r"(?<![A-Za-z])(left|right)(?=(ward|wards|most|y|ist|ists|ie|ies|handed|hander|side|sided)?(?![A-Za-z]))",
                   re.IGNORECASE)
_NOT_A_SIDE = re.compile(r"^\s*(away|now|angle|angles|angled)(?![A-Za-z])|^-angled", re.IGNORECASE)
_ALL_BEFORE = re.compile(r"(?<![A-Za-z])all\s+$", re.IGNORECASE)
_SPIN = re.compile(r"(?<![A-Za-z])(?:(counter|anti)[\s-]?)?clockwise(?![A-Za-z])", re.IGNORECASE)
_SPIN_ABBR = re.compile(r"(?<![A-Za-z])(CCW|CW)(?![A-Za-z])")


def _match_case(word: str, like: str) -> str:
    """``word`` with the capitalisation of ``like`` (all upper, capitalised, or lower)."""
    if like.isupper() and len(like) > 1:
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _swap_side(m: re.Match) -> str:
    word = m.group(1)
    rest = m.string[m.end(1):]
    if word.lower() == "right" and (_NOT_A_SIDE.match(rest) or _ALL_BEFORE.search(m.string[:m.start(1)])):
        return word
    return _match_case("right" if word.lower() == "left" else "left", word)


def _swap_spin(m: re.Match) -> str:
    prefix = m.group(1)
    return _match_case("clockwise" if prefix else "counterclockwise", m.group(0))


def mirror_caption(text: str) -> str:
    """Swap left/right (and clockwise/counterclockwise) in ``text``; see the module docstring.

    Works on plain captions and on HumanML3D token strings (``left/ADJ leg/NOUN``) alike.
    """
    text = _SIDE.sub(_swap_side, text)
    text = _SPIN.sub(_swap_spin, text)
    return _SPIN_ABBR.sub(lambda m: "CW" if m.group(1) == "CCW" else "CCW", text)


def mirror_captions(captions: Captions) -> Captions:
    """Every whole-body and part caption of a clip mirrored (:func:`mirror_caption`): the captions of its
    left/right mirror image."""
    return Captions([mirror_caption(c) for c in captions.whole],
                    {k: mirror_caption(v) for k, v in captions.parts.items()})


def first_side(text: str) -> str | None:
    """The first side word of ``text`` ("left" or "right"), idioms such as "right away" skipped; None if none."""
    for m in _SIDE.finditer(text):
        if _swap_side(m) != m.group(1):  # a side, not an idiom
            return m.group(1).lower()
    return None


def canonical_side(text: str) -> tuple[str, bool]:
    """``text`` in its canonical side and whether it was mirrored for that.

    The canonical form names "right" first: a caption whose first side word is "left" is mirrored
    (:func:`mirror_caption`), any other is kept. A model trained on canonical captions of mirrored
    motions learns one side of each sided action; the other side is its exact mirror image.
    """
    if first_side(text) == "left":
        return mirror_caption(text), True
    return text, False
