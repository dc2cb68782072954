"""The ``motionbase`` command: one typer app; each command group is a thin module in this package.

Every command module defines ``register(app: typer.Typer) -> None``. Errors of the
:class:`~motionbase.errors.MotionbaseError` family print as one line (``error: ...``) and exit 2.
"""

from __future__ import annotations

import importlib
import sys

import typer

from ..errors import MotionbaseError
from ..io import os_reason

# Command modules, in the order their commands appear in --help.
COMMAND_MODULES = [
    "demo",      # motionbase demo
    "imports",   # motionbase import bvh|humanml3d
    "exports",   # motionbase export bvh|humanml3d
    "store",     # motionbase info, split
    "render",    # motionbase render, gallery
    "humanml3d", # motionbase humanml3d check|stats|tag
    "evaluator", # motionbase evaluator train
    "caption",   # motionbase caption
    "lm",        # motionbase lm train|generate
    "pipeline",  # motionbase build-dataset, stats
    "tokenizer", # motionbase tokenizer train|eval|mix|train-perceptual
    "generate",  # motionbase generate, caption-motion, serve
    "experiment",  # motionbase experiment, findings
]

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="motionbase: motion data, tokenizers and motion-language models.")

for _name in COMMAND_MODULES:
    importlib.import_module(f"{__name__}.{_name}").register(app)


def error_line(exc: BaseException) -> str | None:
    """The one line ``main`` prints for an error it expects, or None for a bug (which keeps its traceback).

    A :class:`MotionbaseError` is its message. An ``OSError`` that escaped a command (a read-only, full or
    vanished output folder, a permission) is the file and the reason: the user's environment, not a bug.
    """
    if isinstance(exc, MotionbaseError):
        return f"error: {exc}"
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"error: {where}{os_reason(exc)}"
    return None


def main() -> None:
    try:
        app()
    except (MotionbaseError, OSError) as exc:
        print(" ".join(error_line(exc).split()), file=sys.stderr)
        sys.exit(2)
