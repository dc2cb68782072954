"""What makes an experiment's number traceable: the data's hash and the code's version."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Any

from .. import __version__


def data_hash(store: Any) -> str:
    """SHA-256 (first 16 hex digits) of the store's clip ids, feature rows and splits, in manifest order."""
    table = store.manifest()
    h = hashlib.sha256()
    for cid, n, split in zip(table.column("id").to_pylist(), table.column("feature_frames").to_pylist(),
                             table.column("split").to_pylist()):
        h.update(f"{cid}\t{n}\t{split}\n".encode())
    return h.hexdigest()[:16]


def code_version() -> str:
    """``motionbase <version>`` plus the git commit (``+dirty`` with uncommitted changes) when run from a checkout."""
    root = Path(__file__).resolve().parents[3]
    try:
        rev = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                             text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return f"motionbase {__version__}"
    return f"motionbase {__version__} git {rev}{'+dirty' if dirty else ''}"
