"""``motionbase generate --from / --between / --inpaint`` and windowed ``--seconds``: the tasks beyond one
text-to-motion window (:mod:`motionbase.generation_tasks`), called from ``cli/generate.py``."""

from __future__ import annotations

from pathlib import Path

import typer

from .. import generation_tasks as tasks
from ..errors import MotionbaseError
from ..generation import slug
from ..viz.render import RenderConfig
from .render import load_motion


def run_tasks(gen, prompts: list[str], *, from_: str | None, between: tuple[str, str] | None, inpaint: str | None,
              seconds: float | None, sampling, out: Path, size: int) -> bool:
    """Run the task the options ask for and save it; False when they ask for plain text to motion."""
    def motion(spec: str):
        return load_motion(spec)[0] if "::" in spec else tasks.load_motion_file(spec)

    if sum(x is not None for x in (from_, between)) > 1:
        raise MotionbaseError("give --from MOTION (continue or --inpaint) or --between A B, not both")
    if inpaint is not None and from_ is None:
        raise MotionbaseError("--inpaint START:END needs --from MOTION (the motion to edit)")
    if len(prompts) > 1 and (from_ is not None or between is not None):
        raise MotionbaseError(f"{len(prompts)} prompts: --from and --between take at most one "
                              "(what the new part shows)")
    prompt = prompts[0] if prompts else None
    if from_ is not None:
        joints = motion(from_)
        if inpaint is not None:
            a, b = tasks.parse_span(inpaint)
            results = [tasks.inpaint_motion(gen, joints, a, b, prompt, sampling)]
        else:
            results = [tasks.continue_motion(gen, joints, seconds or 2.0, prompt, sampling)]
    elif between is not None:
        first, second = motion(between[0]), motion(between[1])
        results = [tasks.between_motions(gen, first, second, seconds or 1.0, prompt, sampling)]
    elif prompts and any(tasks.needs_windows(gen, p, seconds) for p in prompts):
        results = [tasks.long_motion(gen, p, seconds, sampling) for p in prompts]
    else:
        return False
    for i, result in enumerate(results):
        m = result.motion
        stem = slug(m.prompt) if len(results) == 1 else f"{i:02d}-{slug(m.prompt)}"
        for note in result.notes:
            typer.echo(f"note: {note}", err=True)
        if m.familiarity is not None and not m.familiarity.familiar:
            typer.echo(f"warning: {m.familiarity.message()}", err=True)
        paths = gen.save(m, out, stem, render=RenderConfig(size_px=size))
        a, b = result.generated
        typer.echo(f"{m.prompt!r}: {m.seconds:.2f} s, new frames {a}:{b} -> {out / stem}."
                   f"{{{','.join(p.name[len(stem) + 1:] for p in paths.values())}}}")
    return True
