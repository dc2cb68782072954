"""Per-input functions for the crash-isolation tests: they run in spawned worker processes, so they live in an
importable module. An input whose name contains ``abort`` / ``segv`` kills its worker the way a native
library does (SIGABRT / SIGSEGV); every other input goes through the real pipeline."""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

from motionbase.pipeline.run import safe_process


def crash_or_process(path: str, config):
    name = Path(path).name
    if "abort" in name:
        os.abort()
    if "segv" in name:
        ctypes.string_at(0)  # reads address 0: SIGSEGV
    return safe_process(path, config)
