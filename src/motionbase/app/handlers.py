"""What the app's buttons do, without Gradio: generate or edit a motion, continue / in-between / inpaint
uploaded motions or make a long one (:meth:`AppHandlers.task`), write its files, report.

Every handler returns an :class:`AppResult`; a :class:`~motionbase.errors.MotionbaseError` (an empty
prompt, a length the model cannot hold, an unknown part) becomes its ``status`` line instead of an
exception, so one bad request never stops the app. Each request writes into its own directory under
``workdir``; only the newest :attr:`AppHandlers.keep` request directories are kept.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import generation_tasks as tasks
from ..errors import MotionbaseError
from ..generation import GeneratedMotion, MotionGenerator, Sampling, slug, tokens_text
from ..generation_tasks import load_motion_file


@dataclass
class AppResult:
    """video: .mp4 to show; bvh: file to download; tokens: the motion codes as text; status: one message."""

    video: Path | None
    bvh: Path | None
    tokens: str
    status: str


class AppHandlers:
    """The app's actions over ``generator``; files go under ``workdir`` (default: a new temp directory).

    render: a :class:`~motionbase.viz.render.RenderConfig` for the videos (default 320 px panels).
    """

    keep = 64

    def __init__(self, generator: MotionGenerator, workdir: str | Path | None = None, render=None):
        self.generator = generator
        self.workdir = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="motionbase-app-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.render = render

    def generate(self, prompt: str, seconds: float | None, seed: float | None, temperature: float) -> AppResult:
        """Text -> motion. seconds 0 or None: the model decides the length; seed None: random."""
        try:
            [motion] = self.generator.text_to_motion([prompt or ""], _seconds(seconds), seed=_seed(seed),
                                                     temperature=float(temperature))
            out = self._request_dir()
            paths = self.generator.save(motion, out, slug(motion.prompt), render=self.render,
                                        kinds=("npy", "codes", "mp4", "bvh", "json"))
            return AppResult(paths["mp4"], paths["bvh"], self._tokens(motion), _status(motion))
        except MotionbaseError as exc:
            return AppResult(None, None, "", f"error: {exc}")

    def edit(self, prompt_a: str, prompt_b: str, parts: Sequence[str], seconds: float | None, seed: float | None,
             temperature: float) -> AppResult:
        """Motion of ``prompt_a`` with ``parts`` from ``prompt_b``; the video shows A, B and the edit side by side."""
        # deferred for a quick start: imports scipy
        from ..viz.render import render_side_by_side

        try:
            edit = self.generator.edit_parts(prompt_a or "", prompt_b or "", list(parts or []),
                                             seconds=_seconds(seconds), seed=_seed(seed),
                                             temperature=float(temperature))
            out = self._request_dir()
            paths = self.generator.save(edit.motion, out, "edit", kinds=("npy", "codes", "bvh", "json"))
            video = render_side_by_side([edit.a.joints, edit.b.joints, edit.motion.joints],
                                        [edit.a.prompt, edit.b.prompt, f"A with the {', '.join(edit.parts)} of B"],
                                        out / "edit.mp4", fps=edit.motion.fps, config=self.render)
            status = "\n".join(filter(None, [_status(edit.a, "A: "), _status(edit.b, "B: ")]))
            return AppResult(Path(video), paths["bvh"], self._tokens(edit.motion), status)
        except MotionbaseError as exc:
            return AppResult(None, None, "", f"error: {exc}")

    def task(self, task: str, prompt: str, motion_a, motion_b, span: str, seconds: float | None,
             seed: float | None, temperature: float) -> AppResult:
        """Continue ``motion_a``, in-between ``motion_a`` and ``motion_b``, inpaint frames ``span`` (START:END) of
        ``motion_a``, or a long motion of ``prompt`` (:data:`TASKS`); motions are uploaded .npy/.bvh paths."""
        try:
            sampling = Sampling(seed=_seed(seed), temperature=float(temperature))
            text = (prompt or "").strip() or None
            secs = _seconds(seconds)
            if task not in TASKS:
                raise MotionbaseError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
            if task == "long":
                result = tasks.long_motion(self.generator, text or "", secs or 10.0, sampling)
            else:
                if not motion_a:
                    raise MotionbaseError("upload a motion (.npy joints or features, or .bvh) first")
                a = load_motion_file(_upload_path(motion_a))
                if task == "continue":
                    result = tasks.continue_motion(self.generator, a, secs or 2.0, text, sampling)
                elif task == "inpaint":
                    start, end = tasks.parse_span(span or "")
                    result = tasks.inpaint_motion(self.generator, a, start, end, text, sampling)
                else:
                    if not motion_b:
                        raise MotionbaseError("in-between needs a second motion: upload it too")
                    b = load_motion_file(_upload_path(motion_b))
                    result = tasks.between_motions(self.generator, a, b, secs or 1.0, text, sampling)
            out = self._request_dir()
            m = result.motion
            paths = self.generator.save(m, out, task, render=self.render, kinds=("npy", "codes", "mp4", "bvh", "json"))
            lo, hi = result.generated
            status = "\n".join([_status(m), f"new frames {lo}:{hi}", *result.notes])
            return AppResult(paths["mp4"], paths["bvh"], self._tokens(m), status)
        except MotionbaseError as exc:
            return AppResult(None, None, "", f"error: {exc}")

    def _tokens(self, motion: GeneratedMotion) -> str:
        return tokens_text(motion.codes, self.generator.part_names)

    def _request_dir(self) -> Path:
        dirs = sorted((p for p in self.workdir.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
        for old in dirs[: max(0, len(dirs) - self.keep + 1)]:
            shutil.rmtree(old, ignore_errors=True)
        out = self.workdir / uuid.uuid4().hex[:12]
        out.mkdir()
        return out


TASKS = ("continue", "in-between", "inpaint", "long")


def _upload_path(value) -> Path:
    """A Gradio upload (a path string, or an object with ``.name``) as a path."""
    return Path(getattr(value, "name", value))


def _seconds(value: float | None) -> float | None:
    return None if value is None or value == 0 else float(value)


def _seed(value: float | None) -> int | None:
    return None if value is None else int(value)


def _status(motion: GeneratedMotion, prefix: str = "") -> str:
    lines = [f"{prefix}{motion.seconds:.2f} s, {len(motion.codes)} code steps"]
    if motion.read_as is not None:
        lines.append(f"{prefix}read as: {motion.read_as}")
    if not motion.closed:
        lines.append(f"{prefix}the model did not end the motion; it was cut at the context length")
    if motion.familiarity is not None and not motion.familiarity.familiar:
        lines.append(f"{prefix}warning: {motion.familiarity.message()}")
    return "\n".join(lines)
