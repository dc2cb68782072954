"""``motionbase generate``, ``caption-motion`` and ``serve``: thin layers over :mod:`motionbase.generation`.

Without ``--lm`` / ``--tokenizer`` the shipped default models are used (:mod:`motionbase.defaults.paths`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import typer

from ..app import check_port, require_gradio, serve
from ..errors import MotionbaseError
from ..generation import (DEFAULT_GUIDANCE, DEFAULT_GUIDANCE_NEGATIVE, DEFAULT_GUIDANCE_WARMUP, SAVED_KINDS,
                          MotionGenerator, Sampling, slug)
from ..io import os_reason
from ..viz.render import RenderConfig
from .generate_tasks import run_tasks
from .render import load_motion

_LM_HELP = "motion LM checkpoint directory (default: the shipped model)"
_TOK_HELP = "the motion tokenizer the LM was trained with (default: the shipped one)"
MAX_VIDEO_PX = 1080  # video side; larger GIFs do not fit in memory for long motions
MAX_SECONDS = 600.0  # longest motion one command makes (window by window beyond the model's context)


def check_prompts(prompts: list[str]) -> None:
    """One line for a prompt that is not text (non-UTF-8 bytes arrive as lone surrogates); empty prompts are
    refused by the generator itself."""
    for i, prompt in enumerate(prompts, 1):
        try:
            prompt.encode("utf-8")
        except UnicodeEncodeError as exc:
            bad = prompt[exc.start].encode("utf-8", "surrogateescape")
            raise MotionbaseError(f"prompt {i}: not UTF-8 text (byte {bad!r} at character {exc.start}); "
                                  f"expected a sentence such as \"a person waves the left hand\"") from None


def writable_folder(out: Path) -> Path:
    """``out`` created if needed and proven writable, or one line saying why not (before any model loads)."""
    if out.exists() and not out.is_dir():
        raise MotionbaseError(f"--out {out}: exists and is not a folder; expected a folder for the outputs")
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-check.", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise MotionbaseError(f"--out {out}: cannot write there ({os_reason(exc)})") from None
    return out


def save_or_clean(gen, motion, out: Path, stem: str, render) -> dict[str, Path]:
    """``gen.save`` all or nothing: on a write error (disk full, out of memory rendering) the files of this
    motion written so far are removed and one line says why."""
    names = [f"{stem}.{'codes.npy' if k == 'codes' else k}" for k in SAVED_KINDS]
    before = {n for n in names if (out / n).exists()}
    try:
        return gen.save(motion, out, stem, render=render)
    except (OSError, MemoryError) as exc:
        for n in set(names) - before:
            (out / n).unlink(missing_ok=True)
        why = os_reason(exc) if isinstance(exc, OSError) else "out of memory"
        raise MotionbaseError(f"{out / stem}.*: writing failed ({why}); the files of this motion were removed") from None


def register(app: typer.Typer) -> None:
    @app.command("generate")
    def generate_cmd(
        prompts: list[str] = typer.Argument(None, help="what the motion shows, e.g. \"a person waves the left "
                                            "hand\" (several: one batch; optional with --from / --between)"),
        out: Path = typer.Option(..., "--out", "-o", help="directory for <name>.npy/.mp4/.gif/.bvh"),
        seconds: float | None = typer.Option(None, help="length in seconds (default: the model decides)"),
        lm: Path | None = typer.Option(None, "--lm", help=_LM_HELP),
        tokenizer: Path | None = typer.Option(None, "--tokenizer", help=_TOK_HELP),
        seed: int | None = typer.Option(None, help="random seed (default: a fresh one)"),
        temperature: float = typer.Option(1.0, help="sampling temperature; 0 = greedy"),
        top_k: int | None = typer.Option(None), top_p: float | None = typer.Option(None),
        guidance: float = typer.Option(DEFAULT_GUIDANCE, help="classifier-free guidance scale (1 = none)"),
        guidance_negative: str = typer.Option(DEFAULT_GUIDANCE_NEGATIVE, help="guide away from the 'mirrored' "
                                              "prompt (left/right swapped), the 'unconditional' one, or 'auto' "
                                              "(the model's own choice)"),
        guidance_warmup: float = typer.Option(DEFAULT_GUIDANCE_WARMUP, help="seconds of motion over which guidance "
                                              "ramps up from none to --guidance (0: full from the first step)"),
        onset: bool = typer.Option(True, help="begin each motion with codes the model's training clips begin with "
                                   "(a settled pose); --no-onset: wherever the model samples"),
        plant_feet: bool = typer.Option(True, help="move the root so that a foot on the floor stays put (foot "
                                        "locking); --no-plant-feet: the decoded motion as it is"),
        candidates: int = typer.Option(1, min=1, help="sample this many motions per prompt and keep the one the "
                                       "model itself captions closest to the prompt (costs as many generations)"),
        size: int = typer.Option(320, min=32, max=MAX_VIDEO_PX, help="video side in pixels"),
        device: str | None = typer.Option(None, help="torch device (default: cuda if available, else cpu)"),
        from_: str | None = typer.Option(None, "--from", help="continue this motion (.npy, .bvh, STORE::ID) for "
                                         "--seconds (default 2), or edit it with --inpaint"),
        between: tuple[str, str] | None = typer.Option(None, help="two motions: generate --seconds (default 1) "
                                                       "from the first into the second"),
        inpaint: str | None = typer.Option(None, help="START:END frames (20 fps) of the --from motion to "
                                           "regenerate, keeping the rest"),
    ) -> None:
        """Text to motion: joints (.npy), skeleton video (.mp4, .gif), .bvh and the codes for each prompt.

        Also: continue a motion (--from), in-between two (--between), regenerate a span (--from --inpaint),
        and motions longer than the model's context (--seconds 60: window by window)."""
        check_prompts(list(prompts or []))
        if seconds is not None and not 0 < seconds <= MAX_SECONDS:
            raise MotionbaseError(f"seconds={seconds:g}: expected a positive, finite length of at most {MAX_SECONDS:g} s "
                                  "(longer than the model's context is made window by window)")
        created = not out.exists()
        writable_folder(out)
        try:
            gen = MotionGenerator.load(lm, tokenizer, device=device, plant_feet=plant_feet)
            if gen.familiarity_note:
                typer.echo(f"note: {gen.familiarity_note}", err=True)
            sampling = Sampling(seed=seed, temperature=temperature, top_k=top_k, top_p=top_p, guidance=guidance,
                                guidance_negative=guidance_negative, guidance_warmup=guidance_warmup, onset=onset)
            if run_tasks(gen, list(prompts or []), from_=from_, between=between or None, inpaint=inpaint, seconds=seconds,
                         sampling=sampling, out=out, size=size):
                return
            motions = gen.text_to_motion(list(prompts or []), seconds, sampling=sampling, candidates=candidates)
            stems = [slug(m.prompt) for m in motions]
            if len(set(stems)) < len(stems):
                stems = [f"{i:02d}-{s}" for i, s in enumerate(stems)]
            if gen.understanding_note:
                typer.echo(f"note: {gen.understanding_note}", err=True)
            for motion, stem in zip(motions, stems):
                if motion.familiarity is not None and not motion.familiarity.familiar:
                    typer.echo(f"warning: {motion.familiarity.message()}", err=True)
                if motion.read_as is not None:
                    typer.echo(f"{motion.prompt!r} read as {motion.read_as!r}", err=True)
                paths = save_or_clean(gen, motion, out, stem, RenderConfig(size_px=size))
                typer.echo(f"{motion.prompt!r}: {motion.seconds:.2f} s -> {out / stem}."
                           f"{{{','.join(p.name[len(stem) + 1:] for p in paths.values())}}}")
                if not motion.closed:
                    typer.echo(f"note: the model did not end {motion.prompt!r}; it was cut at the context length "
                               "(give --seconds for a set length)", err=True)
        except MotionbaseError:
            if created and not any(out.iterdir()):
                out.rmdir()  # nothing was written: leave no empty folder behind
            raise

    @app.command("caption-motion")
    def caption_motion_cmd(
        clip: str = typer.Argument(..., help=".bvh, .npy joints (T, 22, 3) / features (T, 263), or STORE::ID"),
        lm: Path | None = typer.Option(None, "--lm", help=_LM_HELP),
        tokenizer: Path | None = typer.Option(None, "--tokenizer", help=_TOK_HELP),
        part: str | None = typer.Option(None, help="describe one part only: upper_body | lower_body"),
        temperature: float = typer.Option(0.0, help="sampling temperature; 0 (default) = greedy"),
        seed: int | None = typer.Option(None), device: str | None = typer.Option(None),
    ) -> None:
        """Motion to text with the motion LM (``motionbase caption`` is the rule-based captioner)."""
        joints, _ = load_motion(clip)
        gen = MotionGenerator.load(lm, tokenizer, device=device)
        text = gen.motion_to_text(joints, part=part, seed=seed, temperature=temperature)
        typer.echo(text)
        if not text:
            typer.echo("note: the model gave an empty caption (an untrained model, or a motion unlike its "
                       "training data; try --temperature 1)", err=True)

    @app.command("serve")
    def serve_cmd(
        lm: Path | None = typer.Option(None, "--lm", help=_LM_HELP),
        tokenizer: Path | None = typer.Option(None, "--tokenizer", help=_TOK_HELP),
        host: str = typer.Option("127.0.0.1", help="address to listen on (0.0.0.0: every interface)"),
        port: int = typer.Option(7860, help="port (0: any free one)"),
        device: str | None = typer.Option(None),
    ) -> None:
        """Web app (Gradio): prompt -> skeleton video, BVH and motion tokens; part-level edits."""
        port = check_port(host, port)  # fail fast, before loading models
        require_gradio()
        gen = MotionGenerator.load(lm, tokenizer, device=device)
        served = serve(gen, host, port, block=False)
        typer.echo(f"serving {gen.source} at {served.url} (Ctrl+C stops)")
        served.wait()
