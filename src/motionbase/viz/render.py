"""Skeleton animations a person can watch: joints (T, J, 3) metres, Y up  ->  .mp4 or .gif.

What is drawn, per panel: the bones (left side blue, right side red, mid-line dark grey; finger bones of
skeletons with hands thinner; a
``left``/``right`` key in the bottom-left corner), the head as a dot, a floor grid at y = 0, the root
trajectory on the floor (all of it faint, the part already walked dark), the time, and an optional
title (the caption, wrapped). Axes: +X is the body's left, the body faces +Z; the default camera
stands in front and a little to the body's right, looking slightly down, so a front-facing body
shows its left side on the right of the picture, as a person facing you would.

How it is fast: the projection is done here in numpy (a pinhole camera), and the figure is a 2D
matplotlib figure (Agg) built once. Static parts (background, titles, key) are drawn once and
blitted; per frame only the moving artists are updated and drawn. GIFs share one palette
(no per-frame palettes, no dithering), MP4s go straight into ffmpeg (libx264, yuv420p).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Literal, Sequence

import numpy as np

from ..config import Config, setting
from ..errors import FormatError, MotionbaseError, ShapeError
from ..skeleton import SMPL22, Skeleton
from ..skeleton.smpl52 import FINGERS
from . import atomic_output, checked_path

VIDEO_SUFFIXES = (".gif", ".mp4")


@dataclass(frozen=True)
class RenderConfig(Config):
    """How a motion is drawn. Lengths in metres, angles in degrees, sizes in pixels.

    size_px: side of one square panel (rounded up to even, as yuv420p needs).
    camera: ``"follow"`` keeps the (smoothed) root in the centre and moves the floor under it;
        ``"fit"`` is a still camera that sees the whole motion.
    elev_deg: how far the camera looks down; azim_deg: camera position around the body, 0 = in
        front (on +Z), positive towards the body's left (+X).
    distance_m: camera distance to the target (at least; "fit" backs off for large motions).
    stride: draw every ``stride``-th frame; the output plays at ``fps / stride`` frames per second.
    follow_smooth_s: Gaussian smoothing (sigma, seconds) of the root path the camera follows.
    min_half_view_m: the view is never tighter than this half-width (tiny motions do not zoom in).
    floor_radius_m: half-size of the floor square around the camera target ("follow").
    grid_step_m: spacing of the floor grid lines.
    crf: libx264 quality for mp4 (0 best .. 51 worst).
    """

    size_px: int = setting(320, min=32)
    dpi: int = setting(100, min=1)
    camera: Literal["follow", "fit"] = setting("follow", choices=("follow", "fit"))
    elev_deg: float = 20.0
    azim_deg: float = -30.0
    distance_m: float = setting(6.0, above=0.0)
    stride: int = setting(1, min=1)
    follow_smooth_s: float = 0.5
    min_half_view_m: float = 1.0
    floor_radius_m: float = 3.0
    grid_step_m: float = setting(0.5, above=0.0)
    bone_width: float = 3.0
    finger_width_scale: float = 0.4  # finger bones (skeletons with hands) are drawn this much thinner
    title_fontsize: float = 9.0
    show_time: bool = True
    left_color: str = "#1f5fd6"
    right_color: str = "#d62f1f"
    center_color: str = "#333333"
    background_color: str = "#ffffff"
    floor_color: str = "#eceae4"
    grid_color: str = "#c8c5bd"
    path_color: str = "#e08a00"
    crf: int = setting(23, min=0, max=51)


# ----------------------------------------------------------------------------- input checks

def _as_joints(joints_m, skeleton: Skeleton, name: str) -> np.ndarray:
    """(T, J, 3) finite float64 array, or a one-line :class:`ShapeError` naming ``name`` and the frame."""
    if hasattr(joints_m, "detach"):  # a torch tensor, without importing torch
        joints_m = joints_m.detach().cpu().numpy()
    try:
        arr = np.asarray(joints_m, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ShapeError(f"{name}: not a numeric array ({exc}); "
                         f"expected (T, {skeleton.num_joints}, 3) metres") from None
    J = skeleton.num_joints
    if arr.ndim != 3 or arr.shape[1] != J or arr.shape[2] != 3 or arr.shape[0] < 1:
        raise ShapeError(f"{name}: shape {arr.shape}; expected (T >= 1, {J}, 3) joint positions in metres "
                         f"for skeleton {skeleton.name!r}")
    bad = ~np.isfinite(arr)
    if bad.any():
        t, j, _ = np.argwhere(bad)[0]
        raise ShapeError(f"{name}: frame {t}, joint {j} ({skeleton.names[j]}) is NaN/inf; expected finite metres")
    return arr


# ----------------------------------------------------------------------------- camera

@dataclass(frozen=True)
class _Camera:
    """Pinhole camera looking at a (possibly moving) target; projected units are metres at the target."""

    right: np.ndarray
    up: np.ndarray
    back: np.ndarray  # unit vector from the target towards the camera
    distance_m: float

    @classmethod
    def looking(cls, elev_deg: float, azim_deg: float, distance_m: float) -> "_Camera":
        e, a = np.radians(elev_deg), np.radians(azim_deg)
        back = np.array([np.cos(e) * np.sin(a), np.sin(e), np.cos(e) * np.cos(a)])
        right = np.cross(-back, [0.0, 1.0, 0.0])
        right /= np.linalg.norm(right)
        return cls(right, np.cross(right, -back), back, float(distance_m))

    def project(self, points_m: np.ndarray, target_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """points (..., 3) and target (3,) -> screen (..., 2) and depth (...) in metres."""
        rel = points_m - target_m
        depth = self.distance_m - rel @ self.back
        scale = self.distance_m / np.maximum(depth, 1e-3)
        return np.stack([rel @ self.right * scale, rel @ self.up * scale], axis=-1), depth


def _smooth(path: np.ndarray, sigma_frames: float) -> np.ndarray:
    if sigma_frames <= 0 or len(path) < 2:
        return path
    from scipy.ndimage import gaussian_filter1d

    return gaussian_filter1d(path, sigma_frames, axis=0, mode="nearest")


def _grid_segments(lo: np.ndarray, hi: np.ndarray, step: float) -> np.ndarray:
    """Floor lines (k, 2, 3) at multiples of ``step`` inside the XZ square [lo, hi] (each (2,) = x, z)."""
    segs = []
    for axis in (0, 1):
        other = 1 - axis
        for v in np.arange(np.ceil(lo[axis] / step), np.floor(hi[axis] / step) + 1) * step:
            a, b = np.zeros(3), np.zeros(3)
            a[2 * axis], b[2 * axis] = v, v
            a[2 * other], b[2 * other] = lo[other], hi[other]
            segs.append((a, b))
    return np.array(segs).reshape(-1, 2, 3)


def _floor_corners(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """(4, 3) corners, in order around it, of the floor square [lo, hi] (each (2,) = x, z) at y = 0."""
    return np.array([[lo[0], 0, lo[1]], [hi[0], 0, lo[1]], [hi[0], 0, hi[1]], [lo[0], 0, hi[1]]], dtype=np.float64)


def _side_colors(skeleton: Skeleton, cfg: RenderConfig) -> list[str]:
    """Colour of each joint's bone (to its parent): by side, from the joint name and its mirror twin."""
    out = []
    for j, name in enumerate(skeleton.names):
        lname = name.lower()
        if skeleton.mirror[j] == j:
            out.append(cfg.center_color)
        else:
            out.append(cfg.left_color if "left" in lname or lname.startswith("l_") else cfg.right_color)
    return out


def _is_finger(name: str) -> bool:
    return any(f in name for f in FINGERS)


# ----------------------------------------------------------------------------- one panel

class _Panel:
    """One motion in one axes: its camera path, its artists and their per-frame update."""

    def __init__(self, joints_m: np.ndarray, skeleton: Skeleton, cfg: RenderConfig, fps: float):
        self.joints, self.cfg, self.fps = joints_m, cfg, fps
        self.head = skeleton.names.index("head") if "head" in skeleton.names else None
        self.bones = np.array([(p, j) for j, p in enumerate(skeleton.parents) if p >= 0], dtype=np.int64)
        colors = _side_colors(skeleton, cfg)
        self.bone_colors = np.array([colors[j] for _, j in self.bones], dtype=object)
        self.bone_widths = np.array([cfg.bone_width * (cfg.finger_width_scale if _is_finger(skeleton.names[j]) else 1.0)
                                     for _, j in self.bones])
        root_floor = joints_m[:, 0, :] * np.array([1.0, 0.0, 1.0])
        self.path = root_floor
        mid_height = max(0.5, 0.5 * float(joints_m[..., 1].max()))
        if cfg.camera == "follow":
            self.targets = _smooth(root_floor, cfg.follow_smooth_s * fps) + [0.0, mid_height, 0.0]
            self.camera = _Camera.looking(cfg.elev_deg, cfg.azim_deg, cfg.distance_m)
            self.fixed_floor = None  # a square of floor_radius_m around the target, moving with it
        else:
            lo = joints_m[..., [0, 2]].reshape(-1, 2).min(0) - 0.5
            hi = joints_m[..., [0, 2]].reshape(-1, 2).max(0) + 0.5
            centre = (lo + hi) / 2
            self.targets = np.broadcast_to([centre[0], mid_height, centre[1]], (len(joints_m), 3))
            dist = max(cfg.distance_m, 2.0 * float(np.linalg.norm(hi - lo)))
            self.camera = _Camera.looking(cfg.elev_deg, cfg.azim_deg, dist)
            self.fixed_floor = (lo, hi, _grid_segments(lo, hi, cfg.grid_step_m))

    def view_bounds(self) -> np.ndarray:
        """(2, 2) screen [min, max] of x and y that hold the body and the floor under it in every frame."""
        body, _ = self.camera.project(self.joints, self.targets[:, None, :])
        feet, _ = self.camera.project(self.path, self.targets)
        pts = np.concatenate([body.reshape(-1, 2), feet.reshape(-1, 2)])
        if self.fixed_floor is not None:
            lo, hi, _ = self.fixed_floor
            pts = np.concatenate([pts, self.camera.project(_floor_corners(lo, hi), self.targets[0])[0]])
        return np.stack([pts.min(0), pts.max(0)])

    def add_artists(self, ax) -> list:
        from matplotlib.collections import LineCollection
        from matplotlib.patches import Polygon

        cfg = self.cfg
        self.floor = Polygon(np.zeros((4, 2)), closed=True, facecolor=cfg.floor_color, edgecolor="none", zorder=0)
        self.grid_lines = LineCollection([], colors=cfg.grid_color, linewidths=0.8, zorder=1)
        (self.path_all,) = ax.plot([], [], color=cfg.path_color, alpha=0.35, lw=1.2, zorder=2)
        (self.path_done,) = ax.plot([], [], color=cfg.path_color, lw=1.8, zorder=3)
        self.bone_lines = LineCollection([], linewidths=cfg.bone_width, capstyle="round", zorder=4)
        (self.head_dot,) = ax.plot([], [], "o", color=cfg.center_color, ms=cfg.bone_width * 2.6, zorder=5)
        self.time_text = ax.text(0.99, 0.0, "", transform=ax.transAxes, ha="right", va="top", fontsize=8,
                                 color="#555555", zorder=6, clip_on=False)
        artists = [self.floor, self.grid_lines, self.path_all, self.path_done, self.bone_lines, self.head_dot]
        ax.add_patch(self.floor)
        ax.add_collection(self.grid_lines)
        ax.add_collection(self.bone_lines)
        if cfg.show_time:
            artists.append(self.time_text)
        for a in artists:
            a.set_animated(True)
        return artists

    def update(self, t: int) -> None:
        """Move every animated artist to frame ``t`` (frames past the end hold the last one)."""
        t = min(t, len(self.joints) - 1)
        cam, target = self.camera, self.targets[t]
        if self.fixed_floor is None:
            lo, hi = target[[0, 2]] - self.cfg.floor_radius_m, target[[0, 2]] + self.cfg.floor_radius_m
            grid = _grid_segments(lo, hi, self.cfg.grid_step_m)
        else:
            lo, hi, grid = self.fixed_floor
        self.floor.set_xy(cam.project(_floor_corners(lo, hi), target)[0])
        self.grid_lines.set_segments(cam.project(grid, target)[0])
        path2d, _ = cam.project(self.path, target)
        self.path_all.set_data(path2d[:, 0], path2d[:, 1])
        self.path_done.set_data(path2d[: t + 1, 0], path2d[: t + 1, 1])
        pts, depth = cam.project(self.joints[t], target)
        order = np.argsort(-depth[self.bones].mean(1))  # far bones first, near bones drawn on top
        self.bone_lines.set_segments(pts[self.bones[order]])
        self.bone_lines.set_color(list(self.bone_colors[order]))
        self.bone_lines.set_linewidths(self.bone_widths[order])
        if self.head is not None:
            self.head_dot.set_data(pts[self.head : self.head + 1, 0], pts[self.head : self.head + 1, 1])
        self.time_text.set_text(f"{t / self.fps:.2f} s")


# ----------------------------------------------------------------------------- the figure

def _wrap(title: str | None, width_px: int, fontsize: float, dpi: float, max_lines: int = 3) -> list[str]:
    """Title lines that fit ``width_px`` (about 0.55 em per character), at most ``max_lines`` (then an ellipsis)."""
    if not title:
        return []
    chars = max(12, int(width_px / (0.55 * fontsize * dpi / 72)))
    lines = textwrap.wrap(" ".join(str(title).split()), chars)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: chars - 1].rstrip() + "…"
    return lines


def render_frames(motions: Sequence, titles: Sequence[str | None] | None = None, *, fps: float = 20.0,
                  skeleton: Skeleton = SMPL22, config: RenderConfig | None = None) -> Iterator[np.ndarray]:
    """Frames of one or more motions drawn side by side, as (H, W, 3) uint8 RGB arrays.

    motions: each (T_i, J, 3) metres, Y up, at ``fps``; panels share one scale. The animation lasts
    max T_i frames (shorter motions hold their last pose); every ``config.stride``-th frame is drawn,
    so there are ceil(max T_i / stride) frames of W = len(motions) * size_px, H = size_px pixels.
    Input is checked at call time (:class:`ShapeError`), before the first frame is drawn.
    """
    cfg = config or RenderConfig()
    if not fps or not np.isfinite(fps) or fps <= 0:
        raise MotionbaseError(f"fps must be a positive number of frames per second, got {fps!r}")
    if len(motions) == 0:
        raise ShapeError("render: no motions given; expected at least one (T, J, 3) array")
    titles = list(titles) if titles is not None else [None] * len(motions)
    if len(titles) != len(motions):
        raise ShapeError(f"render: {len(titles)} titles for {len(motions)} motions; expected one title per motion")
    many = len(motions) > 1
    arrays = [_as_joints(m, skeleton, f"motion {i}" if many else "joints_m") for i, m in enumerate(motions)]
    fig, panels = _build_figure(arrays, titles, skeleton, cfg, fps)
    n_frames = max(len(a) for a in arrays)
    return _frames(fig, panels, range(0, n_frames, cfg.stride))


def _build_figure(arrays, titles, skeleton, cfg: RenderConfig, fps: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    side = cfg.size_px + cfg.size_px % 2
    n = len(arrays)
    fig = Figure(figsize=(n * side / cfg.dpi, side / cfg.dpi), dpi=cfg.dpi, facecolor=cfg.background_color)
    FigureCanvasAgg(fig)
    line_px = cfg.title_fontsize * 1.35 * cfg.dpi / 72
    max_lines = min(3, int(0.3 * side / line_px))  # small panels keep room for the motion
    wrapped = [_wrap(t, side - 8, cfg.title_fontsize, cfg.dpi, max_lines) if max_lines else [] for t in titles]
    band = (max(map(len, wrapped)) * line_px + (6 if any(wrapped) else 0)) / side  # title band, figure fraction
    strip = 16 / side  # status strip at the bottom: side key and time, never covered by the floor
    panels = [_Panel(a, skeleton, cfg, fps) for a in arrays]
    bounds = [p.view_bounds() for p in panels]
    aspect = 1.0 - band - strip  # axes height / width, in pixels
    half_w = max(cfg.min_half_view_m,
                 max(max(b[1, 0] - b[0, 0], (b[1, 1] - b[0, 1]) / aspect) / 2 * 1.1 for b in bounds))
    for i, (panel, b, lines) in enumerate(zip(panels, bounds, wrapped)):
        ax = fig.add_axes((i / n, strip, 1.0 / n, aspect))
        ax.set_axis_off()
        cx, cy = b.mean(0)
        ax.set_xlim(cx - half_w, cx + half_w)
        ax.set_ylim(cy - half_w * aspect, cy + half_w * aspect)
        panel.ax = ax
        panel.artists = panel.add_artists(ax)
        if lines:
            fig.text((i + 0.5) / n, 1.0 - 3 / side, "\n".join(lines), ha="center", va="top",
                     fontsize=cfg.title_fontsize, color="#222222", linespacing=1.15)
    x = 4.0
    for word, color in (("left", cfg.left_color), ("right", cfg.right_color)):
        key = fig.text(x / (n * side), 3 / side, word, color=color, fontsize=8, fontweight="bold", va="bottom")
        x = key.get_window_extent(renderer=fig.canvas.get_renderer()).x1 + 6
    return fig, panels


def _frames(fig, panels: list[_Panel], steps: range) -> Iterator[np.ndarray]:
    canvas = fig.canvas
    canvas.draw()  # static parts only: animated artists are skipped
    background = canvas.copy_from_bbox(fig.bbox)
    for t in steps:
        canvas.restore_region(background)
        for panel in panels:
            panel.update(t)
            for artist in panel.artists:
                panel.ax.draw_artist(artist)
        yield np.asarray(canvas.buffer_rgba())[..., :3].copy()


# ----------------------------------------------------------------------------- writers

def _write_gif(frames: Iterator[np.ndarray], path: Path, fps_out: float) -> int:
    """One shared palette (from the first, middle and last frames), no dithering: fast and flicker-free."""
    from PIL import Image

    rgb = list(frames)
    sample = np.concatenate([rgb[0], rgb[len(rgb) // 2], rgb[-1]], axis=0)
    palette = Image.fromarray(sample).quantize(colors=255, method=Image.Quantize.FASTOCTREE)
    images = [Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE) for f in rgb]
    images[0].save(path, format="GIF", save_all=True, append_images=images[1:],
                   duration=round(1000 / fps_out), loop=0, optimize=False)
    return len(images)


def _write_mp4(frames: Iterator[np.ndarray], path: Path, fps_out: float, crf: int) -> int:
    import imageio_ffmpeg

    first = next(frames)
    h, w = first.shape[:2]
    writer = imageio_ffmpeg.write_frames(
        str(path), (w, h), fps=fps_out, codec="libx264", pix_fmt_in="rgb24", pix_fmt_out="yuv420p",
        quality=None, macro_block_size=2, ffmpeg_log_level="error",
        output_params=["-crf", str(int(crf)), "-preset", "veryfast", "-movflags", "+faststart"])
    writer.send(None)
    n = 0
    try:
        for frame in _chain(first, frames):
            writer.send(np.ascontiguousarray(frame))
            n += 1
    except (OSError, RuntimeError) as exc:
        raise FormatError(path, f"ffmpeg could not encode the video: {str(exc).splitlines()[0]}") from None
    finally:
        writer.close()
    return n


def _chain(first, rest):
    yield first
    yield from rest


def render_side_by_side(list_of_joints: Sequence, titles: Sequence[str | None] | None, out_path, *,
                        fps: float = 20.0, skeleton: Skeleton = SMPL22, config: RenderConfig | None = None) -> Path:
    """Write several motions side by side (e.g. ground truth vs reconstruction) to ``out_path``.

    list_of_joints: each (T_i, J, 3) metres, Y up, at ``fps``; titles: one per motion (or None).
    out_path: ``.mp4`` (H.264, yuv420p) or ``.gif``; written atomically. Plays at ``fps / stride``.
    Returns ``out_path``. Raises :class:`ShapeError` for bad arrays, :class:`FormatError` for a bad suffix.
    """
    out = checked_path(out_path, VIDEO_SUFFIXES, "video")
    cfg = config or RenderConfig()
    frames = render_frames(list_of_joints, titles, fps=fps, skeleton=skeleton, config=cfg)
    fps_out = fps / cfg.stride
    with atomic_output(out) as tmp:
        if out.suffix.lower() == ".gif":
            _write_gif(frames, tmp, fps_out)
        else:
            _write_mp4(frames, tmp, fps_out, cfg.crf)
    return out


def render_motion(joints_m, out_path, *, fps: float = 20.0, skeleton: Skeleton = SMPL22, title: str | None = None,
                  config: RenderConfig | None = None) -> Path:
    """Write one motion, joints_m (T, J, 3) metres Y up at ``fps``, to ``out_path`` (.mp4 or .gif).

    ``title`` (e.g. the caption) is wrapped above the animation. The file has ceil(T / stride)
    frames of size_px x size_px pixels and plays at ``fps / stride``. Returns ``out_path``.
    """
    return render_side_by_side([joints_m], [title], out_path, fps=fps, skeleton=skeleton, config=config)
