"""One input (a video or an image) through every stage: the unit of work of the runners in :mod:`.run`.

video: probe -> frame schedule (20 fps) -> random 10-60 s sub-clips ("shots") -> per frame: detect every
``detect_every_s``, associate, pose every live track, prune (:mod:`.detect`, :mod:`.track`, :mod:`.pose`)
-> lift every track to SMPL-22 in camera axes, one up direction and floor for the whole input (static
camera) -> clean each track into runs (:mod:`.clean`) -> resample to 20 fps -> refine (:mod:`.refine`: none, the
contact clean-up, or the learned prior then the clean-up) -> quality check (a clip that cannot be trusted is
rejected with its reason) -> clips (one motion per track and run, with its bbox track and per-joint
visibility as provenance) -> captions (with the kinematic claims and their confidences) -> optional SMPL-X fit.

image: detect people (HOG, plus the whole image as one more crop) -> pose each (MediaPipe static mode) ->
lift with a level camera -> a 64-frame static clip per person (paper A.1).

:func:`process_input` returns an :class:`InputResult` (clips, notes, CPU seconds per stage) or raises a
:class:`~motionbase.errors.MotionbaseError` naming the file (unreadable, corrupt, no person). It writes
nothing: the runner stores the clips, so a crash loses at most the inputs in flight.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

import numpy as np

from ..clip import Clip, ClipMeta
from ..config import Config, setting
from ..errors import FormatError, MotionbaseError
from ..skeleton import SMPL22
from ..skeleton.resample import resample_positions
from .caption.claims import claims_json, kinematic_claims
from .caption.crosscheck import contradictions
from .caption.kinematics_summary import summarize_motion
from .caption.noise_floor import calibrated_config, motion_kind
from .clean import CleanConfig, clean_track, enforce_bone_lengths, good_frames
from .detect import DetectConfig, HogPersonDetector, iou_matrix
from .ground import fit_ground, foot_contact_translation, ground_samples
from .lift import Camera, LiftedTrack, estimate_up, floor_points, lift_track, to_world, trunk_up
from .pose import CropPoser, PoseConfig, PoseResult, PoserPool
from .refine import CleanupConfig, check_mode, prior_step, refine_motion
from .refine.provenance import clip_labels, joint_visibility, resample_visibility
from .refine.quality import QualityConfig, reject_reason
from .track import Track, TrackConfig, TrackSet
from .video import (FrameSchedule, frame_schedule, input_rng, iter_frames, load_image, media_kind, probe_video,
                    random_cuts, require_cv2)

STAGES = ("decode", "detect", "pose", "lift_clean", "refine", "caption", "body_model")


@dataclass(frozen=True)
class PipelineConfig(Config):
    """Everything a worker needs to turn one input into clips (picklable; the same on every worker)."""

    owner: ClassVar[str] = "pipeline"

    fps: float = setting(20.0, above=0.0)  # frame rate of the stored clips
    # run the person detector this often; the pose model tracks in between
    detect_every_s: float = setting(1.0, above=0.0)
    max_miss_s: float = 0.5  # a track ends after this long without a pose
    cut_min_s: float = 10.0  # sub-clip durations (paper A.1)
    cut_max_s: float = 60.0
    seed: int = 0
    # process only the first seconds of each video (previews, tests)
    max_seconds: float | None = setting(None, above=0.0)
    hfov_deg: float = 60.0  # assumed horizontal field of view of every camera
    # "auto": from people and floor (videos; images are level) | "level": camera held level
    up: str = setting("auto", choices=("auto", "level"))
    ground_depth: bool = True  # calibrate the floor from the people on it, depth from foot contact (.ground)
    static_frames: int = setting(64, min=2)  # an image becomes a clip of this many identical frames (paper A.1)
    keep_crops_s: float = 0.0  # keep a person crop this often for the captioner (0: none)
    source: str = ""  # clip source ("" -> "video" or "image")
    subset: str | None = None  # clip subset (None -> the input's folder name)
    licence: str = ""
    captioner: str = "rules"  # "" for no captions
    captioner_options: tuple[tuple[str, object], ...] = ()
    smplx_model: str | None = None  # SMPL-X model file or folder; None: no body-model fit
    detect: DetectConfig = DetectConfig()
    track: TrackConfig = TrackConfig()
    pose: PoseConfig = PoseConfig()
    clean: CleanConfig = CleanConfig()
    refine: str = "prior"  # none | cleanup | prior (the learned motion prior, then the contact clean-up)
    refine_fallback: bool = False  # refine="prior" without the prior installed: clean-up instead of an error
    cleanup: CleanupConfig = CleanupConfig()
    quality: QualityConfig = QualityConfig()

    def check(self) -> None:
        check_mode(self.refine)


@dataclass
class InputResult:
    """What one input produced: clips (with captions), SMPL-X parameters by clip id, notes on what was
    dropped and why, CPU seconds per stage (:data:`STAGES`), frames decoded, pose calls made and successful,
    and the worker (``host:pid``) that did it."""

    key: str
    path: str
    kind: str
    clips: list[Clip] = field(default_factory=list)
    bodies: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    cpu_s: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    frames: int = 0
    poses: int = 0  # pose-model calls
    posed: int = 0  # calls that found the person
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")


def input_key(path: str | Path) -> str:
    """A stable id for an input: its stem and a hash of its absolute path and size (the resume key)."""
    p = Path(path)
    size = p.stat().st_size if p.is_file() else -1
    digest = hashlib.sha1(f"{p.resolve()}|{size}".encode("utf-8")).hexdigest()[:8]
    stem = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in p.stem)[:48]
    return f"{stem}-{digest}"


@contextmanager
def _timed(result: InputResult, stage: str):
    t0 = time.process_time()
    try:
        yield
    finally:
        result.cpu_s[stage] += time.process_time() - t0


# ---------------------------------------------------------------- per-process resources


class _Resources:
    """Detector, posers and captioner of one worker process, built on first use and kept for later inputs."""

    _cache: dict[tuple, "_Resources"] = {}

    def __init__(self, config: PipelineConfig):
        self.detector = HogPersonDetector(config.detect)
        self.posers = PoserPool(config.pose)
        self.still = CropPoser(config.pose, stream=False)
        self.refine, self.refine_note = resolve_refine(config)
        self.captioner = None
        if config.captioner:
            from .caption import get_captioner

            self.captioner = get_captioner(config.captioner, **dict(config.captioner_options))

    @classmethod
    def get(cls, config: PipelineConfig) -> "_Resources":
        key = (config.detect, config.pose, config.captioner, config.captioner_options, config.refine,
               config.refine_fallback)
        if key not in cls._cache:
            cls._cache.clear()
            cls._cache[key] = cls(config)
        return cls._cache[key]


def resolve_refine(config: PipelineConfig) -> tuple[str, str]:
    """The refinement mode this worker can run, and a note when it is not the one asked for.

    ``refine="prior"`` loads the motion prior; if it is missing, :class:`~.refine.prior_step.PriorMissing`
    (one line: what to install) unless ``refine_fallback``, which falls back to the contact clean-up."""
    if config.refine != "prior":
        return config.refine, ""
    try:
        prior_step.load_prior()  # looked up at call time: tests replace it
    except prior_step.PriorMissing as exc:
        if not config.refine_fallback:
            raise
        return "cleanup", f"refine: the motion prior is unavailable ({exc}); used the contact clean-up instead"
    return "prior", ""


# ---------------------------------------------------------------- video


_Made = tuple[Clip, Sequence | None]  # a clip and the frames its captioner may look at


@dataclass
class _Seen:
    """Payload of an observed track frame: the pose, and a crop for the captioner (or None)."""

    pose: PoseResult
    crop: tuple[np.ndarray, np.ndarray] | None = None  # (RGB crop, its [x0, y0, x1, y1] in the frame)


def _crop_for_caption(rgb: np.ndarray, box: np.ndarray, margin: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    h, w = rgb.shape[:2]
    bw, bh = box[2] - box[0], box[3] - box[1]
    x0, y0 = int(max(0, box[0] - margin * bw)), int(max(0, box[1] - margin * bh))
    x1, y1 = int(min(w, box[2] + margin * bw)), int(min(h, box[3] + margin * bh))
    return rgb[y0:y1, x0:x1].copy(), np.array([x0, y0, x1, y1], dtype=np.float64)


def _perceive(path: Path, config: PipelineConfig, res: _Resources, result: InputResult):
    """Decode, detect, track and pose a video; returns (info, schedule, shots), a shot being
    (shot index, first processed frame, stop, tracks)."""
    cv2 = require_cv2()

    with _timed(result, "decode"):
        info = probe_video(path)
        schedule = frame_schedule(info.num_frames, info.fps, config.fps)
        if config.max_seconds is not None:
            keep = schedule.times_s < config.max_seconds
            schedule = FrameSchedule(schedule.source_frames[keep], schedule.fps, schedule.times_s[keep])
        cuts = random_cuts(len(schedule.source_frames), schedule.fps, input_rng(path.name, config.seed),
                           min_s=config.cut_min_s, max_s=config.cut_max_s)
    detect_every = max(1, int(round(config.detect_every_s * schedule.fps)))
    crop_every = int(round(config.keep_crops_s * schedule.fps)) if config.keep_crops_s > 0 else 0
    track_config = replace(config.track, max_misses=max(1, int(round(config.max_miss_s * schedule.fps))))
    shots: list[tuple[int, int, int, list[Track]]] = []
    posers: dict[int, object] = {}
    tracks = TrackSet(track_config)
    cut_at = 0

    def close_shot(stop: int) -> None:
        for poser in posers.values():
            res.posers.release(poser)
        posers.clear()
        a, _ = cuts[len(shots)]
        shots.append((len(shots), a, stop, tracks.finish()))

    frames = iter(iter_frames(path, schedule.source_frames))
    k = -1
    while True:
        with _timed(result, "decode"):
            item = next(frames, None)
            if item is None:
                break
            k += 1
            rgb = cv2.cvtColor(item[1], cv2.COLOR_BGR2RGB)
        if k >= cuts[cut_at][1]:
            close_shot(k)
            cut_at += 1
            tracks = TrackSet(track_config, first_id=0)
        if (k - cuts[cut_at][0]) % detect_every == 0:
            with _timed(result, "detect"):
                found = res.detector(rgb)
            for new in tracks.associate(found.boxes, found.scores):
                posers[new.id] = res.posers.get()
        with _timed(result, "pose"):
            for t in list(tracks.live):
                pose = posers[t.id](rgb, t.predicted_box())
                result.poses += 1
                if pose is None:
                    tracks.miss(t, k)
                    continue
                result.posed += 1
                crop = _crop_for_caption(rgb, pose.box) if crop_every and k % crop_every == 0 else None
                tracks.observe(t, k, pose.box, _Seen(pose, crop))
            for t in tracks.prune(info.width, info.height):
                res.posers.release(posers.pop(t.id))
    if k < 0:
        raise FormatError(path, "no frame could be decoded; expected a video", frame=0)
    result.frames = k + 1
    if k + 1 < len(schedule.source_frames):
        result.notes.append(f"stream ended at frame {int(schedule.source_frames[k])} of {info.num_frames} "
                            "(truncated or corrupt file); kept what was decoded")
        cuts[cut_at] = (cuts[cut_at][0], k + 1)
    close_shot(k + 1)
    return info, schedule, shots


def _lift(track: Track, camera: Camera) -> LiftedTrack:
    """A track's observed poses as arrays (missed frames: zero confidence) lifted to SMPL-22."""
    F = len(track.frames)
    world, px, conf = np.full((F, 33, 3), np.nan), np.full((F, 33, 2), np.nan), np.zeros((F, 33))
    for i, seen in enumerate(track.payloads):
        if seen is not None:
            world[i], px[i], conf[i] = seen.pose.world_m, seen.pose.keypoints_px, seen.pose.visibility
    return lift_track(world, px, conf, camera)


def _to_world(lifted: list[LiftedTrack], camera: Camera, config: PipelineConfig,
              result: InputResult) -> tuple[list[np.ndarray], float | None]:
    """World joints (T, 22, 3) of every track seen by one static camera, and the floor's height in that frame.

    With ``up="auto"``: the floor is calibrated from everyone's heights and foot positions (:mod:`.ground`)
    and depths come from foot contact (``ground_depth``); failing that (people all at one distance), the up
    direction comes from trunks and feet (:func:`estimate_up`) and depths from body size. ``"level"``: a
    level camera, depths from body size.
    """
    up, floor_h, plane = np.array([0.0, -1.0, 0.0]), None, None
    if config.up == "auto" and lifted:
        trunk = sum(trunk_up(lt.joints_cam, lt.conf)[0] for lt in lifted)
        rough = trunk / max(np.linalg.norm(trunk), 1e-9)
        if config.ground_depth:
            plane = fit_ground(np.concatenate([ground_samples(lt, rough) for lt in lifted]), camera)
        if plane is not None:
            up, floor_h = plane.up(camera), plane.floor_h
            result.notes.append(f"camera: {np.degrees(plane.pitch(camera)):.1f} degrees down, "
                                f"{plane.height_m:.2f} m above the floor ({plane.samples} samples)")
        else:
            floor = np.concatenate([floor_points(lt.joints_cam, lt.conf, rough) for lt in lifted])
            up = estimate_up(trunk, floor)
            floor_h = float(np.median(floor @ up)) if len(floor) >= 3 else None
    world = []
    for lt in lifted:
        transl = lt.transl if plane is None else foot_contact_translation(lt, camera, plane)
        world.append(to_world(np.nan_to_num(lt.rel_cam + transl[:, None, :]), up))
    return world, floor_h


class _NearestCrops(Sequence):
    """Frames for the captioner, aligned with a clip's frames: frame i is a blank canvas of the video's size
    holding the person crop nearest in time, so cropping it with the clip's bbox finds the person."""

    def __init__(self, crops: list[tuple[float, np.ndarray, np.ndarray]], n: int, shape: tuple[int, int]):
        self._t = np.array([c[0] for c in crops])
        self._crops, self._n, self._shape = crops, n, shape

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        _, crop, box = self._crops[int(np.argmin(np.abs(self._t - i)))]
        canvas = np.zeros(self._shape + (3,), dtype=np.uint8)
        x0, y0 = int(box[0]), int(box[1])
        canvas[y0:y0 + crop.shape[0], x0:x0 + crop.shape[1]] = crop
        return canvas


def _meta(path: Path, kind: str, config: PipelineConfig, clip_id: str, **fields) -> ClipMeta:
    return ClipMeta(id=clip_id, source=config.source or kind, licence=config.licence, file=str(path),
                    subset=path.resolve().parent.name if config.subset is None else config.subset, **fields)


def _video(path: Path, config: PipelineConfig, res: _Resources, result: InputResult) -> list[_Made]:
    info, schedule, shots = _perceive(path, config, res, result)
    out: list[_Made] = []
    refine_before = result.cpu_s["refine"]
    with _timed(result, "lift_clean"):
        camera = Camera.from_fov(info.width, info.height, config.hfov_deg)
        lifted = [(shot, t, _lift(t, camera)) for shot, _, _, tracks in shots for t in tracks if t.num_observed >= 2]
        world, floor_h = _to_world([lt for _, _, lt in lifted], camera, config, result)
        for shot, a, b, tracks in shots:
            if not any(s == shot for s, _, _ in lifted):
                result.notes.append(f"shot {shot} (source frames {int(schedule.source_frames[a])}-"
                                    f"{int(schedule.source_frames[b - 1])}): no person tracked; dropped")
        for (shot, track, lt), joints_w in zip(lifted, world):
            runs, notes = clean_track(joints_w, lt.conf, schedule.fps, config.clean)
            result.notes += [f"shot {shot} person {track.id}: {n}" for n in notes]
            for r, run in enumerate(runs):
                joints = run.joints
                boxes = np.stack(track.boxes[run.start:run.stop])
                vis = resample_visibility(lt.conf[run.start:run.stop], schedule.fps, config.fps)
                if abs(schedule.fps - config.fps) > 1e-6:
                    joints = enforce_bone_lengths(resample_positions(joints, schedule.fps, config.fps),
                                                  run.bone_lengths_m)
                    boxes = resample_positions(boxes, schedule.fps, config.fps)
                joints = joints - np.array([0.0, floor_h if floor_h is not None else joints[..., 1].min(), 0.0])
                vis = vis[:len(joints)]
                clip_id = f"{result.key}-s{shot:02d}-p{track.id:03d}-r{r}"
                why = reject_reason(vis, boxes, (info.width, info.height), config.quality)
                if why:
                    result.notes.append(f"clip {clip_id} rejected: {why}")
                    continue
                with _timed(result, "refine"):
                    refined = refine_motion(joints, vis, config.fps, res.refine, config.cleanup)
                joints = refined.joints
                src = schedule.source_frames[np.asarray(track.frames[run.start:run.stop])]
                meta = _meta(path, "video", config, clip_id, frame_start=int(src[0]), frame_end=int(src[-1]),
                             source_fps=float(info.fps), bbox_track=boxes.round(1).tolist(),
                             labels={"shot": str(shot), "person": str(track.id),
                                     **clip_labels(res.refine, vis, refined)})
                clip = Clip(joints_m=joints.astype(np.float32), fps=config.fps, skeleton=SMPL22, meta=meta,
                            visibility=vis if vis is not None and len(vis) == len(joints) else None)
                crops = [(float(i - run.start) * config.fps / schedule.fps, *s.crop)
                         for i, s in enumerate(track.payloads[run.start:run.stop], start=run.start)
                         if s is not None and s.crop is not None]
                frames = _NearestCrops(crops, clip.num_frames, (info.height, info.width)) if crops else None
                out.append((clip, frames))
    result.cpu_s["lift_clean"] -= result.cpu_s["refine"] - refine_before  # refinement is its own stage
    if res.refine_note:
        result.notes.append(res.refine_note)
    return out


# ---------------------------------------------------------------- image


def _image(path: Path, config: PipelineConfig, res: _Resources, result: InputResult) -> list[_Made]:
    cv2 = require_cv2()

    with _timed(result, "decode"):
        rgb = cv2.cvtColor(load_image(path), cv2.COLOR_BGR2RGB)
    h, w = rgb.shape[:2]
    result.frames = 1
    with _timed(result, "detect"):
        found = res.detector(rgb)
    poses: list[PoseResult] = []
    with _timed(result, "pose"):
        for box in list(found.boxes) + [np.array([0.0, 0.0, w, h])]:
            pose = res.still(rgb, box)  # static mode: every call detects afresh
            result.poses += 1
            result.posed += pose is not None
            if pose is not None and not any(iou_matrix(pose.box, p.box)[0, 0] >= 0.5 for p in poses):
                poses.append(pose)
    out = []
    with _timed(result, "lift_clean"):
        camera = Camera.from_fov(w, h, config.hfov_deg)
        for i, pose in enumerate(poses):
            lt = lift_track(pose.world_m[None], pose.keypoints_px[None], pose.visibility[None], camera)
            if not good_frames(lt.conf, config.clean)[0]:
                result.notes.append(f"person {i}: hips, shoulders, knees and ankles not all visible; dropped")
                continue
            joints = to_world(lt.joints_cam, np.array([0.0, -1.0, 0.0]))
            joints = joints - np.array([joints[0, 0, 0], joints[..., 1].min(), joints[0, 0, 2]])
            n = config.static_frames
            meta = _meta(path, "image", config, f"{result.key}-p{i:03d}", frame_start=0, frame_end=0,
                         static=True, bbox_track=[pose.box.round(1).tolist()] * n, labels={"person": str(i)})
            clip = Clip(joints_m=np.repeat(joints, n, axis=0).astype(np.float32), fps=config.fps, meta=meta)
            out.append((clip, [rgb] * n))
    if not poses:
        result.notes.append(f"no person found (the detector proposed {len(found)} box(es), none gave a pose)")
    return out


# ---------------------------------------------------------------- one input


def claim_labels(clip: Clip, captioner: str) -> dict[str, str]:
    """``claims``: the kinematic claims with confidences (:mod:`.caption.claims`); for captions not written
    by the rules captioner, ``lmm_contradictions``: what the motion contradicts (:mod:`.caption.crosscheck`)."""
    import json

    cfg = calibrated_config(kind=motion_kind(clip.meta.labels, clip.meta.source, clip.meta.static))
    summary = summarize_motion(clip.joints_m, clip.fps, clip.skeleton, cfg, where=clip.meta.id,
                               visibility=clip.visibility)
    out = {"claims": claims_json(kinematic_claims(summary, cfg, joint_visibility(clip.meta.labels)))}
    if captioner != "rules":
        text = " ".join(clip.captions.whole + list(clip.captions.parts.values()))
        out["lmm_contradictions"] = json.dumps(contradictions(text, summary))
    return out


def process_input(path: str | Path, config: PipelineConfig = PipelineConfig()) -> InputResult:
    """Turn one video or image into captioned clips; :class:`MotionbaseError` naming the file if none came out."""
    path = Path(path)
    kind = media_kind(path)
    if not path.is_file():
        raise FormatError(path, "no such file")
    result = InputResult(key=input_key(path), path=str(path), kind=kind)
    res = _Resources.get(config)
    made = (_video if kind == "video" else _image)(path, config, res, result)
    if not made:
        raise FormatError(path, f"no usable person in this {kind}: " + "; ".join(result.notes[-3:]))
    for clip, frames in made:
        if res.captioner is not None:
            with _timed(result, "caption"):
                try:
                    clip.captions = res.captioner.caption(clip, frames if config.keep_crops_s > 0 or kind == "image"
                                                          else None)
                except MotionbaseError as exc:
                    raise MotionbaseError(f"{path}: captioning clip {clip.meta.id} failed: {exc}") from None
                clip.meta.labels.update(claim_labels(clip, res.captioner.name))
        if config.smplx_model:
            from .bodymodel import fit_smplx

            with _timed(result, "body_model"):
                result.bodies[clip.meta.id] = fit_smplx(clip.joints_m, config.smplx_model).arrays()
        result.clips.append(clip)
    return result
