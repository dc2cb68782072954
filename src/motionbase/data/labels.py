"""A clip's labels: read from a store's manifest, and made (with captions) from file names.

Reading. The manifest keeps each clip's labels as one JSON object of strings (``{"content": "walk",
"style": "elderly", "take": "003"}``). :func:`clip_labels` is the one reader of them; a clip with no labels,
or with an entry that is not a JSON object, has none. :func:`label_values` gives one label of every clip with
an explicit policy for a clip that lacks it: a fill value (default ``""``) or :data:`REQUIRED` (an error
naming the clip). A clip's *content* is what it shows, its ``content`` label (:func:`contents`; Bandai-Namco's
``walk``, ``wave-left-hand``, ...) — not the ``subset`` column, which says where it was filed (a folder, a
dataset's subset; the Bandai-Namco default store files each clip under its content, so there the two agree).

Making (``motionbase import bvh --caption-from-filename``). Bandai-Namco files are named
``dataset-2_{content}_{style}_{take}``; their content and style labels become varied natural sentences
("an elderly person slowly waves the left hand"). Other names fall back to the words of the file name
("01_01" gives no caption; "jump_forward_3" gives "jump forward").
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

from ..errors import MotionbaseError

CONTENT = "content"  # the label that says what a clip shows
REQUIRED = None  # label_values(..., missing=REQUIRED): a clip without the label is an error


def parse_labels(entry: str | dict | None) -> dict[str, str]:
    """One manifest ``labels`` entry (JSON text; a dict passes through) as a dict; {} for none or a non-object."""
    if isinstance(entry, dict):
        return entry
    try:
        labels = json.loads(entry or "{}")
    except ValueError:
        return {}
    return labels if isinstance(labels, dict) else {}


def clip_labels(view: Any) -> list[dict[str, str]]:
    """The labels of every clip of ``view`` (a ClipStore or a view of one), in order."""
    table = view.manifest()
    entries = table.column("labels").to_pylist() if "labels" in table.column_names else [None] * len(view)
    return [parse_labels(e) for e in entries]


def label_values(view: Any, key: str, *, missing: str | None = "", purpose: str = "") -> list[str]:
    """The ``key`` label of every clip of ``view`` as text, in order.

    missing: what a clip without the label gets; :data:`REQUIRED` (None) raises a MotionbaseError naming the
        first such clip, its labels and ``purpose`` ("to stratify by").
    """
    labels = clip_labels(view)
    if missing is REQUIRED:
        for clip_id, got in zip(view.manifest().column("id").to_pylist(), labels):
            if key not in got:
                raise MotionbaseError(f"clip {clip_id!r}: no label {key!r}{' ' + purpose if purpose else ''} "
                                      f"(labels: {sorted(got) or 'none'})")
    return [str(got[key]) if key in got else missing for got in labels]


def contents(view: Any) -> list[str]:
    """The content (``content`` label) of every clip of ``view``, in order; "" where a clip has none."""
    return label_values(view, CONTENT)

BANDAI_PATTERN = re.compile(r"^dataset-(?P<ds>\d)_(?P<content>[a-z-]+)_(?P<style>[a-z]+)_(?P<take>\d+)$")

# What each content is, as verb phrases (third person, present tense).
CONTENT_PHRASES: dict[str, tuple[str, ...]] = {
    "walk": ("walks forward", "walks straight ahead", "takes a walk forward"),
    "walk-turn-left": ("walks and turns left", "walks forward, then turns to the left", "walks in a curve to the left"),
    "walk-turn-right": ("walks and turns right", "walks forward, then turns to the right",
                        "walks in a curve to the right"),
    "run": ("runs forward", "runs straight ahead", "jogs forward"),
    "wave-both-hands": ("waves both hands", "waves with both hands", "waves both arms in greeting"),
    "wave-left-hand": ("waves the left hand", "waves with the left hand", "raises the left hand and waves"),
    "wave-right-hand": ("waves the right hand", "waves with the right hand", "raises the right hand and waves"),
    "raise-up-both-hands": ("raises both hands", "lifts both arms up", "raises both hands above the head"),
    "raise-up-left-hand": ("raises the left hand", "lifts the left arm up", "raises the left hand up high"),
    "raise-up-right-hand": ("raises the right hand", "lifts the right arm up", "raises the right hand up high"),
}

# Who does it, and how (adjective for the person, adverb for the manner).
STYLE_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "active": (("an energetic person", "an active person"), ("energetically", "briskly")),
    "elderly": (("an elderly person", "an old person"), ("slowly", "carefully")),
    "exhausted": (("an exhausted person", "a tired person"), ("wearily", "sluggishly")),
    "feminine": (("a person", "someone"), ("in a feminine manner", "gracefully")),
    "masculine": (("a person", "someone"), ("in a masculine manner", "with a broad, strong gait")),
    "normal": (("a person", "someone"), ("", "normally")),
    "youthful": (("a youthful person", "a young person"), ("lightly", "in a youthful way")),
}


def bandai_labels(stem: str) -> dict[str, str] | None:
    """``{"content", "style", "take"}`` for a Bandai-Namco file stem, else None."""
    m = BANDAI_PATTERN.match(stem)
    if not m or m["content"] not in CONTENT_PHRASES or m["style"] not in STYLE_WORDS:
        return None
    return {"content": m["content"], "style": m["style"], "take": m["take"]}


def bandai_captions(content: str, style: str, n: int = 3, seed: int = 0) -> list[str]:
    """``n`` distinct natural phrasings of a content x style pair (deterministic for a seed)."""
    people, manners = STYLE_WORDS[style]
    options = []
    for person in people:
        for manner in manners:
            for verb in CONTENT_PHRASES[content]:
                text = f"{person} {manner} {verb}" if manner and not manner.startswith(("in ", "with ")) \
                    else f"{person} {verb} {manner}".strip()
                options.append(re.sub(r"\s+", " ", text) + ".")
    rng = random.Random(f"{content}/{style}/{seed}")
    rng.shuffle(options)
    return [o[0].upper() + o[1:] for o in options[:n]]


def caption_from_filename(path: str | Path) -> tuple[list[str], dict[str, str]]:
    """(captions, labels) for a motion file name; empty when the name carries no words."""
    stem = Path(path).stem
    labels = bandai_labels(stem)
    if labels:
        return bandai_captions(labels["content"], labels["style"]), labels
    words = [w for w in re.split(r"[^A-Za-z]+", stem) if len(w) > 1]
    return ([" ".join(words).lower()] if words else []), {}


def label_from_filename(clip, path: str | Path):
    """Give ``clip`` (a :class:`~motionbase.clip.Clip`) the captions and labels of its file name; returns it."""
    clip.captions.whole, labels = caption_from_filename(path)
    clip.meta.labels.update(labels)
    return clip
