"""Reading an LMM's reply into :class:`~motionbase.clip.Captions`.

Asked for JSON (``{"whole_body", "upper_body", "lower_body"}``, see :data:`.prompt.JSON_REPLY`),
models still wrap it in code fences, add a sentence before it, rename keys or nest the part-level
text by body part. :func:`parse_reply` accepts all of that, and also the paper's own Markdown layout
(Fig. 8: an overview paragraph, then ``**Upper body:**`` and ``**Lower body:**`` sections, perhaps
with ``Arms:``/``Legs:`` sub-items). Anything else raises :class:`ReplyError`; the caller retries and
then reports the clip as failed. Nothing is guessed: a reply without all three parts is malformed.
"""

from __future__ import annotations

import json
import re

from ...clip import Captions

_KEYS = {
    "whole_body": ("whole_body", "whole", "wholebody", "overview", "general_overview", "summary", "whole_body_summary"),
    "upper_body": ("upper_body", "upper", "upperbody"),
    "lower_body": ("lower_body", "lower", "lowerbody"),
}
_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
_HEADING = re.compile(r"^[\s>*#_-]*(upper|lower)[\s_-]*body[\s*_]*:?[\s*_]*", re.IGNORECASE | re.MULTILINE)
_OVERVIEW_LABEL = re.compile(r"^(?:general\s+)?(?:overview|summary|whole[\s-]*body)\s*:\s*", re.IGNORECASE)


class ReplyError(ValueError):
    """The reply text holds no usable whole-body and part-level captions."""


def _norm_key(key: str) -> str:
    return re.sub(r"[\s-]+", "_", str(key).strip().lower())


def _flatten(value) -> str:
    """A string, or the strings of a list / a {part: text} dict joined (``Arms: ...``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(_flatten(v) for v in value)
    if isinstance(value, dict):
        return " ".join(f"{str(k).replace('_', ' ').capitalize()}: {_flatten(v)}" for k, v in value.items())
    return ""


def _clean(text: str) -> str:
    """Markdown emphasis, bullets and extra white space removed; one line."""
    text = re.sub(r"[*_`#]+", "", text)
    text = re.sub(r"^\s*[-•]\s*", "", text, flags=re.MULTILINE)
    return re.sub(r"\s+", " ", text).strip().strip('"').strip()


def _from_dict(obj: dict) -> Captions:
    found = {}
    norm = {_norm_key(k): v for k, v in obj.items()}
    if len(norm) == 1 and isinstance(next(iter(norm.values())), dict):  # {"captions": {...}}
        norm = {_norm_key(k): v for k, v in next(iter(norm.values())).items()}
    for field, names in _KEYS.items():
        for name in names:
            if name in norm and _clean(_flatten(norm[name])):
                found[field] = _clean(_flatten(norm[name]))
                break
    missing = [f for f in _KEYS if f not in found]
    if missing:
        raise ReplyError(f"JSON reply without {', '.join(missing)} (keys: {', '.join(list(obj)[:6])})")
    return Captions(whole=[found["whole_body"]],
                    parts={"upper_body": found["upper_body"], "lower_body": found["lower_body"]})


def _json_object(text: str) -> dict | None:
    """The first JSON object in ``text`` (fenced, bare, or embedded in prose), or None."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    for cand in candidates:
        cand = cand.strip()
        start, end = cand.find("{"), cand.rfind("}")
        if start < 0 or end <= start:
            continue
        try:
            obj = json.loads(cand[start:end + 1])
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            return obj
    return None


def _from_markdown(text: str) -> Captions:
    heads = list(_HEADING.finditer(text))
    kinds = [h.group(1).lower() for h in heads]
    if "upper" not in kinds or "lower" not in kinds:
        raise ReplyError("reply is neither JSON nor the paper's layout (no 'Upper body' / 'Lower body' sections)")
    sections: dict[str, list[str]] = {"upper": [], "lower": []}
    for i, h in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        sections[kinds[i]].append(text[h.end():end])
    whole = _OVERVIEW_LABEL.sub("", _clean(text[:heads[0].start()]))
    upper, lower = _clean(" ".join(sections["upper"])), _clean(" ".join(sections["lower"]))
    if not (whole and upper and lower):
        raise ReplyError("reply in the paper's layout but with an empty overview or body section")
    return Captions(whole=[whole], parts={"upper_body": upper, "lower_body": lower})


def parse_reply(text: str) -> Captions:
    """Captions from a reply's text (JSON, fenced JSON, or the paper's Markdown); :class:`ReplyError` if none."""
    if not isinstance(text, str) or not text.strip():
        raise ReplyError("empty reply")
    obj = _json_object(text)
    if obj is not None:
        return _from_dict(obj)
    return _from_markdown(text)
