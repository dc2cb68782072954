"""AMASS and Motion-X folders -> clips (joints and features), one work item per source file.

AMASS with HumanML3D's ``index.csv`` (``source_path,start_frame,end_frame,new_name``) reproduces HumanML3D's
``raw_pose_processing``: each AMASS file -> 20 fps joints -> the per-subset trims HumanML3D applies
(:data:`HUMANML3D_TRIMS_S`) -> frames ``start_frame:end_frame`` -> clip ``new_name`` (without ``.npy``) and its
left/right mirror ``M`` + ``new_name``; captions from HumanML3D's ``texts/ID.txt`` (whole-clip lines; the mirror's
with left/right swapped); caption lines on a sub-span give their own samples ``A_ID``, ``B_ID``, ... and ``A_MID``, ...
as :func:`motionbase.formats.humanml3d.read_humanml3d` names them. Index rows from HumanAct12 (not AMASS) are left out. Without an index every file is
one clip, its id the file's path under the folder.

Motion-X: every ``.npy`` under the folder is one clip (id: its path under the folder); captions from
``texts/semantic_labels/<same path>.txt`` (one caption a line); the subset is the first folder of the path.

Each item is worked on independently (picklable), so imports run in parallel processes.
"""

from __future__ import annotations

import csv
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..clip import Captions, Clip, ClipMeta
from ..config import Config
from ..data.text import mirror_caption
from ..errors import BodyModelError, FormatError
from ..features.humanml3d import joints_to_features
from ..features.mirror import mirror_joints
from ..formats.humanml3d import MIRROR_ID_PREFIX, TEXTS, read_text_file, span_id
from ..skeleton import get_skeleton
from .files import load_body_model, models_root
from .readers import MOTIONX_FPS, read_amass, read_motionx, with_hand_mean
from .sequence import sequence_joints

TARGET_FPS = 20.0
# HumanML3D's raw_pose_processing drops the first seconds of these AMASS subsets (matched in the source path)
HUMANML3D_TRIMS_S = {"Eyes_Japan_Dataset": 3.0, "MPI_HDM05": 3.0, "TotalCapture": 1.0, "MPI_Limits": 1.0,
                     "Transitions_mocap": 0.5}
_BAD_ID_CHARS = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class BodyImportConfig(Config):
    """body_models: the model folder (None: ``$MOTIONBASE_BODY_MODELS``); skeleton: ``smpl22`` (body, 263-dim
    features) or ``smpl52`` (body + hands, 623-dim); mirror: also store ``M``-prefixed left/right mirrors."""

    body_models: str | None = None
    skeleton: str = "smpl22"
    mirror: bool = True
    source: str = ""
    licence: str = ""
    motionx_fps: float = MOTIONX_FPS
    motionx_up: str = "y"


@dataclass(frozen=True)
class Segment:
    """One HumanML3D index row: frames ``start:end`` (20 fps, after the trim) of an AMASS file -> clip ``clip_id``."""

    clip_id: str
    start: int
    end: int
    text: str = ""  # the HumanML3D texts/ID.txt path, "" if none


@dataclass(frozen=True)
class SourceItem:
    """One source file and the clips it gives."""

    path: str
    rel: str  # path under the imported folder (posix)
    segments: tuple[Segment, ...] = ()  # AMASS with an index; empty: the whole file is one clip
    text: str = ""  # Motion-X caption file, "" if none
    ids: tuple[str, ...] = field(default=())  # every clip id this item writes (for resume)


def clip_id_from_path(rel: str) -> str:
    """``KIT/3/walk_poses.npz`` -> ``KIT_3_walk_poses`` (characters outside [A-Za-z0-9_.-] become ``_``)."""
    return _BAD_ID_CHARS.sub("_", str(Path(rel).with_suffix("")).replace("/", "_"))


def _ids(base: list[str], mirror: bool) -> tuple[str, ...]:
    return tuple(base + ([MIRROR_ID_PREFIX + i for i in base] if mirror else []))


def read_humanml3d_index(path: Path) -> list[tuple[str, Segment]]:
    """Rows of HumanML3D's ``index.csv`` as (AMASS path relative to the AMASS root, with .npz; segment)."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise FormatError(path, f"cannot read index ({type(exc).__name__})") from None
    need = {"source_path", "start_frame", "end_frame", "new_name"}
    if not rows or not need <= set(rows[0]):
        raise FormatError(path, f"expected a CSV with columns {', '.join(sorted(need))}")
    out = []
    texts = path.parent / TEXTS
    for line, row in enumerate(rows, 2):
        src = row["source_path"].strip()
        for prefix in ("./", "pose_data/"):
            src = src[len(prefix):] if src.startswith(prefix) else src
        try:
            start, end = int(row["start_frame"]), int(row["end_frame"])
        except ValueError:
            raise FormatError(path, "start_frame/end_frame must be whole frame numbers", line=line) from None
        clip_id = Path(row["new_name"].strip()).stem
        text = texts / f"{clip_id}.txt"
        out.append((str(Path(src).with_suffix(".npz")), Segment(clip_id, start, end, str(text) if text.is_file() else "")))
    return out


def amass_items(folder: Path, index: Path | None, mirror: bool) -> tuple[list[SourceItem], list[str]]:
    """Work items for an AMASS folder; with an index also the index's clip ids whose source file is missing."""
    folder = Path(folder)
    if index is None:
        files = sorted(folder.rglob("*.npz"))
        items = []
        for f in files:
            rel = f.relative_to(folder).as_posix()
            items.append(SourceItem(str(f), rel, ids=_ids([clip_id_from_path(rel)], mirror)))
        return items, []
    by_source: dict[str, list[Segment]] = {}
    for src, seg in read_humanml3d_index(index):
        if "humanact12" in src.lower():
            continue  # HumanAct12 clips are not AMASS sequences
        by_source.setdefault(src, []).append(seg)
    items, missing = [], []
    for src, segs in by_source.items():
        path = folder / src
        if not path.is_file():
            missing += [f"{s.clip_id} ({path} not found)" for s in segs]
            continue
        items.append(SourceItem(str(path), src, tuple(segs), ids=_ids([s.clip_id for s in segs], mirror)))
    return items, missing


def motionx_items(folder: Path, texts: Path | None, mirror: bool) -> list[SourceItem]:
    """Work items for a Motion-X folder (``.npy`` files); ``texts`` holds ``semantic_labels/`` (or is it)."""
    folder = Path(folder)
    if texts is not None and (texts / "semantic_labels").is_dir():
        texts = texts / "semantic_labels"
    items = []
    for f in sorted(folder.rglob("*.npy")):
        rel = f.relative_to(folder).as_posix()
        text = texts / Path(rel).with_suffix(".txt") if texts is not None else None
        items.append(SourceItem(str(f), rel, text=str(text) if text is not None and text.is_file() else "",
                                ids=_ids([clip_id_from_path(rel)], mirror)))
    return items


def _trim_frames(rel: str) -> int:
    return next((int(s * TARGET_FPS) for name, s in HUMANML3D_TRIMS_S.items() if name in rel), 0)


def _make(joints: np.ndarray, clip_id: str, captions: list[str], tokens: list[str], meta: ClipMeta,
          config: BodyImportConfig, mirror_id: str | None = None) -> list[tuple[Clip, np.ndarray]]:
    """The clip (and, with ``config.mirror``, its mirror ``mirror_id``, default ``M`` + id) with features."""
    skel = get_skeleton(config.skeleton)
    joints = np.ascontiguousarray(joints[:, :skel.num_joints], dtype=np.float64)
    if joints.shape[0] < 2:
        raise BodyModelError(f"{meta.file}: clip {clip_id} has {joints.shape[0]} frame(s) at 20 fps, expected >= 2")
    out = []
    variants = [(clip_id, joints, captions, tokens)]
    if config.mirror:
        variants.append((mirror_id or MIRROR_ID_PREFIX + clip_id, mirror_joints(joints, skel),
                         [mirror_caption(c) for c in captions], [mirror_caption(t) for t in tokens]))
    for cid, j, caps, toks in variants:
        m = ClipMeta(**{**meta.to_dict(), "id": cid, "labels": dict(meta.labels)})
        if toks:
            m.labels["tokens"] = "\n".join(toks)
        clip = Clip(joints_m=j.astype(np.float32), fps=TARGET_FPS, skeleton=skel, captions=Captions(whole=caps), meta=m)
        out.append((clip, joints_to_features(j, skel)))
    return out


def _span_samples(joints: np.ndarray, seg: Segment, lines, meta: ClipMeta,
                  config: BodyImportConfig) -> list[tuple[Clip, np.ndarray]]:
    """HumanML3D's sub-span samples: a caption line with start/end seconds -> sample ``A_ID``, ``B_ID``, ... of
    frames ``int(start*20):int(end*20)`` (ids as :func:`motionbase.formats.humanml3d.span_id`; the mirror's
    ``A_MID``); spans shorter than 2 frames are left out with a warning, as the HumanML3D reader does."""
    out, n = [], 0
    for line in lines:
        if line.whole:
            continue
        a, b = int(line.start_s * TARGET_FPS), min(int(line.end_s * TARGET_FPS), len(joints))
        sid, mid = span_id(seg.clip_id, n), span_id(MIRROR_ID_PREFIX + seg.clip_id, n)
        n += 1
        if b - a < 2:
            warnings.warn(f"{seg.text}: span {line.start_text}..{line.end_text} s gives {max(b - a, 0)} frame(s); "
                          f"sample {sid} left out", stacklevel=2)
            continue
        labels = dict(meta.labels, parent=seg.clip_id, start_s=line.start_text, end_s=line.end_text)
        span_meta = ClipMeta(**{**meta.to_dict(), "labels": labels, "frame_start": meta.frame_start + a,
                                "frame_end": meta.frame_start + b})
        out += _make(joints[a:b], sid, [line.caption], [line.tokens], span_meta, config, mirror_id=mid)
    return out


def load_amass_item(item: SourceItem, config: BodyImportConfig) -> list[tuple[Clip, np.ndarray]]:
    """The clips (and features) of one AMASS file; :class:`BodyModelError` / :class:`FormatError` if bad."""
    seq = read_amass(item.path)
    model = load_body_model(seq.kind, seq.gender, str(models_root(config.body_models)))
    joints = sequence_joints(seq, model, TARGET_FPS)
    base = dict(source=config.source or "amass", licence=config.licence, file=item.path, source_fps=seq.fps,
                subset=item.rel.split("/")[0])
    if not item.segments:
        meta = ClipMeta(frame_start=0, frame_end=len(joints), labels={"gender": seq.gender}, **base)
        return _make(joints, clip_id_from_path(item.rel), [], [], meta, config)
    trimmed = joints[_trim_frames(item.rel):]
    out = []
    for seg in item.segments:
        lines = read_text_file(seg.text) if seg.text else []
        whole = [ln for ln in lines if ln.whole]
        meta = ClipMeta(frame_start=seg.start, frame_end=min(seg.end, len(trimmed)),
                        labels={"gender": seq.gender}, **base)
        joints_seg = trimmed[seg.start:seg.end]
        out += _make(joints_seg, seg.clip_id, [ln.caption for ln in whole], [ln.tokens for ln in whole], meta, config)
        out += _span_samples(joints_seg, seg, lines, meta, config)
    return out


def load_motionx_item(item: SourceItem, config: BodyImportConfig) -> list[tuple[Clip, np.ndarray]]:
    """The clip (and features) of one Motion-X file."""
    seq = read_motionx(item.path, fps=config.motionx_fps, up=config.motionx_up)
    model = load_body_model("smplx", "neutral", str(models_root(config.body_models)))
    joints = sequence_joints(with_hand_mean(seq, model), model, TARGET_FPS)
    captions = []
    if item.text:
        try:
            captions = [ln.strip() for ln in Path(item.text).read_text(encoding="utf-8").splitlines() if ln.strip()]
        except (OSError, UnicodeDecodeError) as exc:
            raise FormatError(item.text, f"cannot read caption file ({type(exc).__name__})") from None
    meta = ClipMeta(source=config.source or "motion-x", licence=config.licence, file=item.path,
                    subset=item.rel.split("/")[0] if "/" in item.rel else "", source_fps=seq.fps,
                    frame_start=0, frame_end=len(joints))
    return _make(joints, clip_id_from_path(item.rel), captions, [], meta, config)
