"""motionbase.viz: skeleton animations decode and show what they should; plots; the offline gallery."""

from __future__ import annotations

import math
import os
from html.parser import HTMLParser
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from motionbase.errors import FormatError, MotionbaseError, ShapeError
from motionbase.skeleton import SMPL22
from motionbase.cli import app as cli_app
from motionbase.viz import atomic_output
from motionbase.viz.gallery import write_gallery
from motionbase.viz.plots import count_bars, length_histogram
from motionbase.viz.render import RenderConfig, render_frames, render_motion, render_side_by_side

DATA = Path(__file__).parent / "data"
KICK = DATA / "humanml3d/new_joints/000000.npy"  # (116, 22, 3), a left-leg kick, 20 fps
TENNIS = DATA / "humanml3d/new_joints/012314.npy"  # (170, 22, 3), a tennis serve
CAPTION = "a man kicks something or someone with his left leg."
SMALL = RenderConfig(size_px=160)


@pytest.fixture(scope="module")
def kick() -> np.ndarray:
    return np.load(KICK)


def _rgb(hex_color: str) -> np.ndarray:
    return np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.float64)


def _mask(frame: np.ndarray, hex_color: str, tol: float = 40.0) -> np.ndarray:
    """Pixels within ``tol`` (RGB distance) of a colour, over the drawing area (the bottom key strip cut off)."""
    m = np.linalg.norm(frame.astype(np.float64) - _rgb(hex_color), axis=-1) < tol
    m[-18:] = False
    return m


# ----------------------------------------------------------------------------- videos decode

def _check_animation(frames: np.ndarray, n: int, h: int, w: int) -> None:
    assert frames.shape[:3] == (n, h, w)
    assert frames[..., :3].std() > 20  # not blank
    diffs = np.abs(frames[1:, ..., :3].astype(np.int16) - frames[:-1, ..., :3]).mean(axis=(1, 2, 3))
    assert (diffs > 0).mean() > 0.5  # most frames change


def test_gif_decodes_one_frame_per_motion_frame(tmp_path, kick):
    out = render_motion(kick, tmp_path / "kick.gif", title=CAPTION, config=SMALL)
    frames = iio.imread(out, index=None)
    _check_animation(frames, len(kick), 160, 160)
    assert iio.immeta(out)["duration"] == 50  # ms per frame at 20 fps
    # the kick (about 1 s in) moves far more pixels than standing still at the end
    rest = np.abs(frames[-1].astype(np.int16) - frames[-5]).mean()
    kicking = np.abs(frames[20].astype(np.int16) - frames[0]).mean()
    assert kicking > 3 * rest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kick.gif"]  # no temp file left


def test_mp4_decodes_with_stride_and_even_size(tmp_path, kick):
    cfg = RenderConfig(size_px=161, stride=2)  # odd size is rounded up to even for yuv420p
    out = render_motion(kick, tmp_path / "kick.mp4", config=cfg)
    frames = iio.imread(out, index=None, plugin="FFMPEG")
    _check_animation(frames, math.ceil(len(kick) / 2), 162, 162)
    meta = iio.immeta(out, plugin="FFMPEG")
    assert meta["codec"] == "h264" and meta["pix_fmt"].startswith("yuv420p")
    assert meta["fps"] == pytest.approx(10.0)


def test_side_by_side_shares_one_clock(tmp_path, kick):
    tennis = np.load(TENNIS)
    out = render_side_by_side([kick[:30], tennis[:40]], ["ground truth", "reconstruction"], tmp_path / "cmp.gif",
                              config=RenderConfig(size_px=120, camera="fit"))
    frames = iio.imread(out, index=None)
    assert frames.shape[:3] == (40, 120, 240)
    left, right = frames[:, :, :120], frames[:, :, 120:]
    assert np.abs(left[-1].astype(np.int16) - left[-5]).max() == 0  # the shorter motion holds its last pose
    assert np.abs(right[-1].astype(np.int16) - right[-5]).mean() > 0.05


def test_fit_camera_keeps_the_whole_walk_in_view():
    tennis = np.load(TENNIS)  # the root goes 2.3 m along +X and comes back
    frames = np.stack(list(render_frames([tennis[::10]], config=RenderConfig(size_px=160, camera="fit"))))
    body = np.zeros(frames.shape[:3], dtype=bool)
    for c in (SMALL.left_color, SMALL.right_color, SMALL.center_color):
        body |= np.stack([_mask(f, c) for f in frames])
    assert body.reshape(len(frames), -1).any(1).all()  # the body is in every frame
    cols = [np.nonzero(b.any(0))[0].mean() for b in body]
    far = int(np.argmax(tennis[::10, 0, 0]))
    assert cols[far] - cols[0] > 30  # and the still camera sees it travel across the picture (+X is right)
    assert abs(cols[-1] - cols[0]) < 10  # and come back


# ----------------------------------------------------------------------------- left is blue, right is red

def _raise_wrist(pose: np.ndarray, side: str) -> np.ndarray:
    """Point one arm straight up from its shoulder, keeping the bone lengths."""
    pose = pose.copy()
    s, e, w = (SMPL22.index(f"{side}_{j}") for j in ("shoulder", "elbow", "wrist"))
    upper, fore = np.linalg.norm(pose[e] - pose[s]), np.linalg.norm(pose[w] - pose[e])
    pose[e] = pose[s] + [0.0, upper, 0.0]
    pose[w] = pose[e] + [0.0, fore, 0.0]
    return pose


@pytest.mark.parametrize("side", ["left", "right"])
def test_raised_wrist_shows_in_its_side_colour_on_top(kick, side):
    cfg = RenderConfig(size_px=200, camera="fit")
    (frame,) = list(render_frames([_raise_wrist(kick[0], side)[None]], config=cfg))
    top = {s: np.nonzero(_mask(frame, getattr(cfg, f"{s}_color")).any(1))[0].min() for s in ("left", "right")}
    other = "right" if side == "left" else "left"
    assert top[side] + 15 < top[other]  # rows grow downwards: the raised side reaches higher


def test_front_view_shows_the_bodys_left_on_the_right_of_the_picture(kick):
    cfg = RenderConfig(size_px=200, camera="fit", azim_deg=0.0)
    (frame,) = list(render_frames([kick[:1]], config=cfg))  # HumanML3D clips start facing +Z, the camera
    col = {s: np.nonzero(_mask(frame, getattr(cfg, f"{s}_color")))[1].mean() for s in ("left", "right")}
    assert col["left"] > col["right"] + 10


# ----------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("joints, match", [
    (np.zeros((10, 21, 3)), r"shape \(10, 21, 3\); expected \(T >= 1, 22, 3\)"),
    (np.zeros((10, 22)), r"expected \(T >= 1, 22, 3\)"),
    (np.zeros((0, 22, 3)), r"shape \(0, 22, 3\)"),
    ("not joints", "not a numeric array"),
])
def test_bad_shapes_are_one_line_shape_errors(tmp_path, joints, match):
    with pytest.raises(ShapeError, match=match) as err:
        render_motion(joints, tmp_path / "x.gif")
    assert "\n" not in str(err.value)
    assert not list(tmp_path.iterdir())


def test_nan_names_frame_and_joint(tmp_path, kick):
    bad = kick.copy()
    bad[7, 20, 1] = np.nan
    with pytest.raises(ShapeError, match=r"frame 7, joint 20 \(left_wrist\) is NaN"):
        render_motion(bad, tmp_path / "x.mp4")
    with pytest.raises(ShapeError, match=r"motion 1: frame 7"):
        render_side_by_side([kick, bad], ["a", "b"], tmp_path / "x.gif")


def test_unknown_suffix_and_title_count(tmp_path, kick):
    with pytest.raises(FormatError, match=r"x\.avi: unknown video suffix '\.avi'; expected one of \.gif, \.mp4"):
        render_motion(kick, tmp_path / "x.avi")
    with pytest.raises(ShapeError, match="1 titles for 2 motions"):
        render_side_by_side([kick, kick], ["only one"], tmp_path / "x.gif")
    with pytest.raises(MotionbaseError, match="fps must be a positive"):
        render_motion(kick, tmp_path / "x.gif", fps=0)
    assert not list(tmp_path.iterdir())


def test_failed_render_keeps_the_old_file(tmp_path, kick, monkeypatch):
    from motionbase.viz import render

    out = tmp_path / "kick.gif"
    out.write_bytes(b"old")

    def boom(self, t):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(render._Panel, "update", boom)
    with pytest.raises(RuntimeError):
        render_motion(kick[:5], out)
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["kick.gif"]


def test_torch_input_is_accepted(kick):
    torch = pytest.importorskip("torch")
    frames = list(render_frames([torch.from_numpy(kick[:3])], config=RenderConfig(size_px=64)))
    assert len(frames) == 3 and frames[0].shape == (64, 64, 3)


# ----------------------------------------------------------------------------- plots

def test_plots_write_readable_images(tmp_path):
    seconds = np.load(KICK).shape[0] / 20 * np.array([0.5, 1.0, 1.0, 2.0, 3.5])
    png = iio.imread(length_histogram(seconds, tmp_path / "lengths.png"))
    assert png.ndim == 3 and png.shape[0] > 200 and png[..., :3].std() > 10
    svg = count_bars({"humanml3d": 14616, "bandai-2": 2762, "cmu": 2548}, tmp_path / "subsets.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and svg.count("<path") > 10
    with pytest.raises(ShapeError, match="clip 1 has length -1.0"):
        length_histogram([1.0, -1.0], tmp_path / "bad.png")
    with pytest.raises(FormatError, match="unknown plot suffix '.jpg'"):
        count_bars({"a": 1}, tmp_path / "bad.jpg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lengths.png", "subsets.svg"]


# ----------------------------------------------------------------------------- gallery

class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.links += [v for k, v in attrs if k in ("src", "href")]


def test_gallery_is_offline_and_links_relative(tmp_path, kick):
    media = tmp_path / "media dir"
    gif = render_motion(kick[:4], media / "kick.gif", config=RenderConfig(size_px=64))
    mp4 = render_motion(kick[:4], media / "kick.mp4", config=RenderConfig(size_px=64))
    bvh = DATA / "bvh/cmu/01_01.bvh"
    items = [{"prompt": 'a man <kicks> & "jumps"', "video": mp4, "gif": gif, "bvh": bvh},
             {"title": "only a gif", "gif": gif}]
    page = write_gallery(items, tmp_path / "site" / "index.html", title="Demo")
    text = page.read_text(encoding="utf-8")
    assert "a man &lt;kicks&gt; &amp; &quot;jumps&quot;" in text and "only a gif" in text
    assert "http://" not in text and "https://" not in text and "<script" not in text
    parser = _Links()
    parser.feed(text)
    assert "../media%20dir/kick.mp4" in parser.links and "../media%20dir/kick.gif" in parser.links
    from urllib.parse import unquote

    for link in parser.links:
        assert not os.path.isabs(unquote(link))
        assert (page.parent / unquote(link)).resolve().is_file(), link
    assert text.count("<figure>") == 2 and text.count("download>bvh<") == 1


def test_gallery_rejects_dead_links_and_unknown_keys(tmp_path):
    with pytest.raises(FormatError, match="gallery item 0: media file not found"):
        write_gallery([{"title": "x", "gif": tmp_path / "missing.gif"}], tmp_path / "g.html")
    with pytest.raises(FormatError, match="gallery item 0: unknown key 'movie'"):
        write_gallery([{"title": "x", "movie": "a.mp4"}], tmp_path / "g.html")
    assert not list(tmp_path.iterdir())


def test_atomic_output_keeps_the_suffix(tmp_path):
    with atomic_output(tmp_path / "a" / "v.mp4") as tmp:
        assert tmp.suffix == ".mp4" and tmp.parent == tmp_path / "a"
        tmp.write_bytes(b"x")
    assert (tmp_path / "a" / "v.mp4").read_bytes() == b"x"


# ----------------------------------------------------------------------------- CLI

def test_cli_renders_features_and_joints_side_by_side(tmp_path):
    from typer.testing import CliRunner

    out = tmp_path / "cmp.gif"
    res = CliRunner().invoke(cli_app, ["render", str(DATA / "humanml3d/new_joint_vecs/000000.npy"), str(KICK),
                                   "-o", str(out), "--size", "64", "--stride", "4"])
    assert res.exit_code == 0, res.output
    frames = iio.imread(out, index=None)
    assert frames.shape[1:3] == (64, 128) and len(frames) == math.ceil(117 / 4)
