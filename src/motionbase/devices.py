"""A torch device named by a user (``--device``): checked up front, so a typo or a device this machine does
not have is one line (:class:`MotionbaseError`), not a torch traceback from deep inside model loading."""

from __future__ import annotations

from .errors import MotionbaseError


def resolve_device(name: str | None) -> str:
    """``name`` if torch knows it and this machine has it; None: CUDA when available, else CPU."""
    import torch

    if name is None or name == "":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError, TypeError):
        raise MotionbaseError(f"--device {name!r}: not a torch device; expected e.g. cpu, cuda, cuda:1, mps") from None
    available = {"cpu": lambda: True, "cuda": torch.cuda.is_available,
                 "mps": lambda: getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()}
    check = available.get(device.type)
    if check is None or not check():
        raise MotionbaseError(f"--device {name!r}: this machine has no {device.type} device; use cpu"
                              + (" or cuda" if torch.cuda.is_available() else ""))
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise MotionbaseError(f"--device {name!r}: there are {torch.cuda.device_count()} CUDA devices "
                              f"(0..{torch.cuda.device_count() - 1})")
    return name


def check_device(name: str | None) -> str | None:
    """A ``--device`` value checked as :func:`resolve_device` does; None or "" stays None (the command's default)."""
    return resolve_device(name) if name else None
