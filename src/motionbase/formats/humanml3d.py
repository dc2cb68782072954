"""Read and write the HumanML3D folder layout.

::

    ROOT/
      new_joint_vecs/ID.npy   (T, 263) features (float32; some early files float64)   required
      new_joints/ID.npy       (T, 22, 3) joints in metres, the same T rows             optional
      texts/ID.txt            caption lines (below)                                     folder required, files optional
      train.txt val.txt test.txt                                                        optional; one ID a line
      Mean.npy Std.npy        (263,) normalisation stats                                written; read by read_humanml3d_stats

A text line is ``caption#tokens#start#end``: ``tokens`` are ``word/POS`` pairs
(:mod:`motionbase.formats.text_tokens`), ``start``/``end`` are seconds into the clip at 20 fps;
``0.0#0.0`` (or ``nan``) means the caption describes the whole clip.

Samples. Every ``new_joint_vecs`` file gives one whole-clip sample with the ``0#0`` captions
(possibly none). Every caption on a sub-span gives a sample of its own, frames
``int(start*20):int(end*20)`` as HumanML3D's loaders cut them. HumanML3D names such a sample
``X_ID`` with ``X`` a *random* letter A-W; here the letters are given in order of the lines
(``A_000123``, ``B_000123``, ..., ``W_``, then ``AA_``, ``AB_``, ...), so ids are reproducible.
A span sample has ``meta.labels`` ``parent`` (the clip id), ``start_s`` and ``end_s`` (as written).

Every :class:`~motionbase.clip.Clip` read carries ``meta.labels["split"]`` (``train``/``val``/``test``
from the split files, ``""`` when listed in none) and ``meta.labels["tokens"]`` (the token strings of
``captions.whole``, one a line). Joints come from ``new_joints`` when present, else from the
features (:func:`motionbase.features.humanml3d.features_to_joints`); both are float32. The feature
array is HumanML3D's own, returned as stored (not recomputed).

Mirrored clips: HumanML3D stores the left/right mirror of clip ``ID`` as ``MID`` with the captions'
left/right swapped (:func:`mirror_id`, :func:`mirror_text_line`).
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..clip import Captions, Clip, ClipMeta
from ..data.text import mirror_caption
from ..errors import FormatError, MotionbaseError
from ..features.humanml3d import features_to_joints, joints_to_features
from ..features.layout import HML3D_LAYOUT, FeatureLayout
from ..features.stats import FeatureStats, layout_name_of
from ..io import atomic_dir
from .text_tokens import PosTagger, caption_tokens, parse_tokens

HML3D_FPS = 20.0
SPLITS = ("train", "val", "test")
VECS, JOINTS, TEXTS = "new_joint_vecs", "new_joints", "texts"
MIRROR_ID_PREFIX = "M"
_SPAN_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVW"  # HumanML3D's random.choice('ABCDEFGHIJKLMNOPQRSTUVW')
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab, newline, carriage return are fine
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


# ------------------------------------------------------------------------------------------------
# Text lines.

@dataclass(frozen=True)
class TextLine:
    """One line of ``texts/ID.txt``. start_s/end_s: seconds (0.0, 0.0 = whole clip); *_text: as written."""

    caption: str
    tokens: str
    start_s: float = 0.0
    end_s: float = 0.0
    start_text: str = "0.0"
    end_text: str = "0.0"

    @property
    def whole(self) -> bool:
        return self.start_s == 0.0 and self.end_s == 0.0

    def format(self) -> str:
        return f"{self.caption}#{self.tokens}#{self.start_text}#{self.end_text}"


def _seconds(text: str, path: Path, line_no: int, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise FormatError(path, f"{name} time {text!r} is not a number (seconds)", line=line_no) from None
    if math.isnan(value):
        return 0.0  # HumanML3D's loaders read nan as 0.0: the whole clip
    if not math.isfinite(value) or value < 0:
        raise FormatError(path, f"{name} time {text!r} must be a finite number of seconds >= 0", line=line_no)
    return value


def parse_text_line(text: str, path: Path | str = "<text>", line_no: int = 1) -> TextLine:
    """Parse ``caption#tokens#start#end``; :class:`FormatError` naming ``path`` and ``line_no`` if malformed."""
    path = Path(path)
    fields = text.rstrip("\r\n").split("#")
    if len(fields) != 4:
        raise FormatError(path, f"expected 4 '#'-separated fields (caption#tokens#start#end), got {len(fields)}",
                          line=line_no)
    caption, tokens, start_text, end_text = fields
    if not caption.strip():
        raise FormatError(path, "empty caption", line=line_no)
    try:
        parse_tokens(tokens)
    except ValueError as exc:
        raise FormatError(path, f"{exc} (tokens are space-separated word/POS pairs)", line=line_no) from None
    start, end = _seconds(start_text, path, line_no, "start"), _seconds(end_text, path, line_no, "end")
    if not (start == 0.0 and end == 0.0) and end <= start:
        raise FormatError(path, f"span {start_text}..{end_text} s is empty (end must be after start)", line=line_no)
    return TextLine(caption, tokens, start, end, start_text.strip(), end_text.strip())


def read_text_file(path: Path | str) -> list[TextLine]:
    """All caption lines of one ``texts/ID.txt`` (blank lines skipped)."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(path, f"cannot read caption file ({type(exc).__name__})") from None
    bad = _CONTROL.search(raw)
    if bad:
        raise FormatError(path, f"control character U+{ord(bad.group()):04X} in a caption line; expected text",
                          line=raw.count("\n", 0, bad.start()) + 1)
    return [parse_text_line(line, path, i) for i, line in enumerate(raw.splitlines(), 1) if line.strip()]


def mirror_id(clip_id: str) -> str:
    """HumanML3D's id of the left/right mirror of a clip: ``000123`` <-> ``M000123``."""
    if clip_id.startswith(MIRROR_ID_PREFIX):
        return clip_id[len(MIRROR_ID_PREFIX):]
    return MIRROR_ID_PREFIX + clip_id


def mirror_text_line(line: TextLine) -> TextLine:
    """The caption line of the mirrored clip: left/right swapped in caption and tokens."""
    return replace(line, caption=mirror_caption(line.caption), tokens=mirror_caption(line.tokens))


def span_id(clip_id: str, index: int) -> str:
    """Id of the ``index``-th (0-based) sub-span sample of a clip: ``A_ID`` ... ``W_ID``, ``AA_ID`` ..."""
    n = len(_SPAN_LETTERS)
    prefix = ""
    index += 1
    while index:
        index, r = divmod(index - 1, n)
        prefix = _SPAN_LETTERS[r] + prefix
    return f"{prefix}_{clip_id}"


# ------------------------------------------------------------------------------------------------
# Reading.

def _load_npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise FormatError(path, f"not a readable .npy array ({str(exc).splitlines()[0]})") from None


def _first_bad_frame(a: np.ndarray) -> int | None:
    bad = ~np.isfinite(a.reshape(a.shape[0], -1)).all(axis=1)
    return int(np.argmax(bad)) if bad.any() else None


def read_splits(root: Path | str) -> dict[str, str]:
    """``{id: split}`` from ``train.txt``/``val.txt``/``test.txt`` (those present)."""
    root = Path(root)
    out: dict[str, str] = {}
    where: dict[str, tuple[Path, int]] = {}
    for split in SPLITS:
        path = root / f"{split}.txt"
        if not path.is_file():
            continue
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            clip_id = line.strip()
            if not clip_id:
                continue
            if clip_id in out:
                p, j = where[clip_id]
                raise FormatError(path, f"id {clip_id} is already listed in {p.name} line {j}", line=i)
            out[clip_id], where[clip_id] = split, (path, i)
    return out


def _check_folder(root: Path, layout: FeatureLayout) -> tuple[list[str], dict[str, str]]:
    """Ids (sorted) and splits of a HumanML3D folder, after checking that its files agree."""
    if not root.is_dir():
        raise FormatError(root, "no such folder (expected a HumanML3D folder)")
    for sub in (VECS, TEXTS):
        if not (root / sub).is_dir():
            raise FormatError(root / sub, f"missing folder: a HumanML3D folder has {VECS}/ID.npy and {TEXTS}/ID.txt")
    ids = sorted(p.stem for p in (root / VECS).glob("*.npy"))
    known = set(ids)
    for sub, ext in ((JOINTS, ".npy"), (TEXTS, ".txt")):
        if (root / sub).is_dir():
            for p in sorted((root / sub).glob(f"*{ext}")):
                if p.stem not in known:
                    raise FormatError(p, f"no matching {VECS}/{p.stem}.npy (ids of {sub}/ and {VECS}/ must agree)")
    splits = read_splits(root)
    for split in SPLITS:
        path = root / f"{split}.txt"
        if path.is_file():
            for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if line.strip() and line.strip() not in known:
                    raise FormatError(path, f"id {line.strip()} has no {VECS}/{line.strip()}.npy", line=i)
    return ids, splits


def _load_clip_arrays(root: Path, clip_id: str, layout: FeatureLayout) -> tuple[np.ndarray, np.ndarray]:
    """(features (T, D) as stored, joints (T, J, 3) float32) of one clip; FormatError on bad shapes/values."""
    vpath = root / VECS / f"{clip_id}.npy"
    feats = _load_npy(vpath)
    if feats.ndim != 2 or feats.shape[1] != layout.dim or feats.shape[0] < 2 or feats.dtype.kind != "f":
        raise FormatError(vpath, f"features have shape {feats.shape} ({feats.dtype}), expected (T>=2, {layout.dim}) floats")
    bad = _first_bad_frame(feats)
    if bad is not None:
        raise FormatError(vpath, "NaN/inf in features", frame=bad)
    jpath = root / JOINTS / f"{clip_id}.npy"
    J = layout.num_joints
    if jpath.is_file():
        joints = _load_npy(jpath)
        if joints.shape != (feats.shape[0], J, 3) or joints.dtype.kind != "f":
            raise FormatError(jpath, f"joints have shape {joints.shape} ({joints.dtype}), "
                                     f"expected ({feats.shape[0]}, {J}, 3) floats like {VECS}/{clip_id}.npy")
        bad = _first_bad_frame(joints)
        if bad is not None:
            raise FormatError(jpath, "NaN/inf in joints", frame=bad)
        return feats, joints.astype(np.float32, copy=False)
    return feats, features_to_joints(feats.astype(np.float64), layout).astype(np.float32)


def _span_frames(line: TextLine, num_frames: int) -> tuple[int, int]:
    return int(line.start_s * HML3D_FPS), min(int(line.end_s * HML3D_FPS), num_frames)


def read_humanml3d(root: Path | str, *, split: str | None = None, layout: FeatureLayout = HML3D_LAYOUT,
                   spans: bool = True, skip_invalid: bool = False,
                   on_invalid: Callable[[str, FormatError], None] | None = None) -> Iterator[tuple[Clip, np.ndarray]]:
    """Yield ``(clip, features)`` for every sample of a HumanML3D folder (see the module docstring).

    split: only the ids listed in ``{split}.txt`` (in that file's order); default every id, sorted.
    spans: also yield the sub-span samples. skip_invalid: warn and skip clips whose arrays are
    malformed or contain NaN (HumanML3D has one, 007975) instead of raising. on_invalid: called with
    ``(id, error)`` for such a clip, or one whose text file does not parse, instead of warning or raising
    (the clip is skipped), e.g. to report it.
    Sub-spans shorter than 2 frames (or starting past the clip's end) are skipped with a warning.
    The folder's consistency (ids, split files) is checked before the first clip is yielded.
    """
    root = Path(root)
    ids, splits = _check_folder(root, layout)
    if split is not None:
        path = root / f"{split}.txt"
        if not path.is_file():
            raise FormatError(path, f"no split file for split {split!r}")
        ids = [i for i in (line.strip() for line in path.read_text(encoding="utf-8").splitlines()) if i]
    for clip_id in ids:
        text_path = root / TEXTS / f"{clip_id}.txt"
        try:
            lines = read_text_file(text_path) if text_path.is_file() else []
        except FormatError as exc:
            if on_invalid is None:
                raise
            on_invalid(clip_id, exc)
            continue
        try:
            feats, joints = _load_clip_arrays(root, clip_id, layout)
        except FormatError as exc:
            if on_invalid is not None:
                on_invalid(clip_id, exc)
                continue
            if not skip_invalid:
                raise
            warnings.warn(f"skipped: {exc}", stacklevel=2)
            continue
        T = feats.shape[0]
        labels = {"split": splits.get(clip_id, "")}
        meta = ClipMeta(id=clip_id, source="humanml3d", file=str(root / VECS / f"{clip_id}.npy"),
                        frame_start=0, frame_end=T, source_fps=HML3D_FPS, labels=labels)
        whole = [ln for ln in lines if ln.whole]
        yield _clip(joints, feats, whole, meta)
        if not spans:
            continue
        n_span = 0
        for line_no, line in enumerate(lines, 1):
            if line.whole:
                continue
            a, b = _span_frames(line, T)
            sid = span_id(clip_id, n_span)
            n_span += 1
            if b - a < 2:
                warnings.warn(f"{text_path}, line {line_no}: span {line.start_text}..{line.end_text} s gives "
                              f"{max(b - a, 0)} of the clip's {T} frames; sample {sid} skipped", stacklevel=2)
                continue
            span_labels = dict(labels, parent=clip_id, start_s=line.start_text, end_s=line.end_text)
            span_meta = replace(meta, id=sid, frame_start=a, frame_end=b, labels=span_labels)
            yield _clip(joints[a:b], feats[a:b], [line], span_meta)


def _clip(joints: np.ndarray, feats: np.ndarray, lines: list[TextLine], meta: ClipMeta) -> tuple[Clip, np.ndarray]:
    meta.labels["tokens"] = "\n".join(ln.tokens for ln in lines)
    clip = Clip(joints_m=joints, fps=HML3D_FPS, captions=Captions(whole=[ln.caption for ln in lines]), meta=meta)
    return clip, feats


def read_humanml3d_stats(root: Path | str, *, layout: FeatureLayout = HML3D_LAYOUT,
                         data_version: str = "") -> FeatureStats:
    """``Mean.npy``/``Std.npy`` of a HumanML3D folder as :class:`FeatureStats` of kind ``humanml3d``."""
    root = Path(root)
    arrays = []
    for name in ("Mean.npy", "Std.npy"):
        path = root / name
        if not path.is_file():
            raise FormatError(path, "missing (HumanML3D normalisation stats)")
        a = _load_npy(path)
        if a.shape != (layout.dim,) or a.dtype.kind != "f":
            raise FormatError(path, f"shape {a.shape} ({a.dtype}), expected ({layout.dim},) floats")
        arrays.append(a)
    try:
        return FeatureStats(arrays[0], arrays[1], "humanml3d", layout_name_of(layout), layout.dim, data_version)
    except MotionbaseError as exc:
        raise FormatError(root, str(exc)) from None


# ------------------------------------------------------------------------------------------------
# Writing.

def _caption_lines(clip: Clip, tagger: PosTagger | None) -> list[TextLine]:
    """Whole-clip or span lines of a clip: its tokens label when it matches the captions, else tagged anew."""
    labels = clip.meta.labels
    tokens = labels.get("tokens", "").split("\n") if labels.get("tokens") else []
    if len(tokens) != len(clip.captions.whole):
        tokens = [caption_tokens(c, tagger) for c in clip.captions.whole]
    start, end = labels.get("start_s", "0.0"), labels.get("end_s", "0.0")
    out = []
    for caption, tok in zip(clip.captions.whole, tokens):
        line = TextLine(caption, tok, start_text=start, end_text=end)
        if "#" in caption or "\n" in caption:
            raise FormatError(clip.meta.id or "<clip>", f"caption {caption!r} contains '#' or a newline")
        out.append(parse_text_line(line.format(), Path(f"<clip {clip.meta.id}>")))
    return out


def _arrays_to_write(clip: Clip, feats: np.ndarray | None, layout: FeatureLayout) -> tuple[np.ndarray, np.ndarray]:
    """(features, joints float32) for a whole clip; features computed from joints when not given."""
    where = f"clip {clip.meta.id}"
    clip.validate(where)
    if feats is None:
        feats = joints_to_features(clip.joints_m, layout.skeleton)
        return feats, features_to_joints(feats.astype(np.float64), layout).astype(np.float32)
    feats = np.asarray(feats)
    if feats.shape != (clip.num_frames, layout.dim) or feats.dtype.kind != "f":
        raise FormatError(where, f"features have shape {feats.shape} ({feats.dtype}), "
                                 f"expected ({clip.num_frames}, {layout.dim}) floats (one row per joint frame)")
    bad = _first_bad_frame(feats)
    if bad is not None:
        raise FormatError(where, "NaN/inf in features", frame=bad)
    return feats, clip.joints_m.astype(np.float32, copy=False)


def write_humanml3d(items: Iterable[tuple[Clip, np.ndarray | None]], out_dir: Path | str, *,
                    mean: np.ndarray, std: np.ndarray, layout: FeatureLayout = HML3D_LAYOUT,
                    overwrite: bool = False, tagger: PosTagger | None = None, data_version: str = "") -> Path:
    """Write ``(clip, features)`` pairs as a HumanML3D folder; the whole folder appears at once.

    features: (T, D) rows matching the clip's T joint frames (stored as given, float32 or float64),
    or None to compute them with :func:`~motionbase.features.humanml3d.joints_to_features`
    (then ``new_joints`` holds the joints recovered from those features, as in HumanML3D).
    A span sample (``labels["parent"]``) whose parent was written earlier becomes a caption line
    of the parent; otherwise it is written as a clip of its own. Captions without a matching
    ``labels["tokens"]`` are tagged with ``tagger`` (default: :func:`~motionbase.formats.text_tokens.get_tagger`).
    Split files come from ``labels["split"]``; ``Mean.npy``/``Std.npy`` (float32) from ``mean``/``std``,
    which are also saved as :class:`FeatureStats` (``stats.json`` + ``stats.safetensors``).
    Everything is written into a temporary sibling folder that is renamed to ``out_dir`` at the
    end; an existing non-empty ``out_dir`` is an error unless ``overwrite``.
    """
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not overwrite:
        raise FormatError(out, "already exists and is not empty (pass overwrite=True to replace it)")
    stats = FeatureStats(mean, std, "humanml3d", layout_name_of(layout), layout.dim, data_version)
    with atomic_dir(out) as tmp:
        _write_into(tmp, items, stats, layout, tagger)
    return out


def _write_into(tmp: Path, items: Iterable[tuple[Clip, np.ndarray | None]], stats: FeatureStats,
                layout: FeatureLayout, tagger: PosTagger | None) -> None:
    for sub in (VECS, JOINTS, TEXTS):
        (tmp / sub).mkdir(parents=True)
    texts: dict[str, list[TextLine]] = {}
    split_ids: dict[str, list[str]] = {}
    for clip, feats in items:
        clip_id, labels = clip.meta.id, clip.meta.labels
        if not _ID.match(clip_id or ""):
            raise FormatError(f"clip {clip_id!r}", "id must be a file name of letters, digits, '_', '.', '-'")
        parent = labels.get("parent", "")
        if parent and parent in texts:
            texts[parent].extend(_caption_lines(clip, tagger))
            continue
        if clip_id in texts:
            raise FormatError(f"clip {clip_id}", "id appears twice in the items written")
        f, j = _arrays_to_write(clip, feats, layout)
        np.save(tmp / VECS / f"{clip_id}.npy", f if f.dtype in (np.float32, np.float64) else f.astype(np.float32))
        np.save(tmp / JOINTS / f"{clip_id}.npy", j)
        lines = _caption_lines(clip, tagger)
        if parent:  # a span written on its own: its caption now describes the whole clip
            lines = [replace(ln, start_s=0.0, end_s=0.0, start_text="0.0", end_text="0.0") for ln in lines]
        texts[clip_id] = lines
        split = labels.get("split", "")
        if split:
            if not re.fullmatch(r"[A-Za-z0-9_]+", split) or split == "all":
                raise FormatError(f"clip {clip_id}", f"split name {split!r} cannot be a split file name")
            split_ids.setdefault(split, []).append(clip_id)
    for clip_id, lines in texts.items():
        if lines:
            (tmp / TEXTS / f"{clip_id}.txt").write_text("".join(ln.format() + "\n" for ln in lines), encoding="utf-8")
    for split, ids in split_ids.items():
        (tmp / f"{split}.txt").write_text("".join(i + "\n" for i in ids), encoding="utf-8")
    (tmp / "all.txt").write_text("".join(i + "\n" for i in texts), encoding="utf-8")
    np.save(tmp / "Mean.npy", stats.mean)
    np.save(tmp / "Std.npy", stats.std)
    stats.save(tmp)
