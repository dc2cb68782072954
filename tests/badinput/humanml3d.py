"""Hostile HumanML3D folders: a copy of the 3-sample fixture folder with one thing broken, made at test time.

Sample-level cases break one sample (``012314``): a correct import stores the others and reports that one.
Folder-level cases break what the whole folder is read by: one line, exit 2, nothing stored.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SOURCE = Path(__file__).parent.parent / "data" / "humanml3d"
VICTIM = "012314"


@dataclass(frozen=True)
class Case:
    build: Callable[[Path], None]
    level: str  # "sample": the others are stored; "folder": refused as a whole; "valid": all stored


def _vecs(root: Path) -> Path:
    return root / "new_joint_vecs" / f"{VICTIM}.npy"


def _edit_vecs(edit: Callable[[np.ndarray], np.ndarray]) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        path = _vecs(root)
        out = edit(np.load(path))
        path.unlink()
        np.save(path, out, allow_pickle=True)
    return build


def _nan(a):
    a = a.copy()
    a[5, 7] = np.nan
    return a


def _truncate(root: Path) -> None:
    data = _vecs(root).read_bytes()
    _vecs(root).write_bytes(data[: len(data) // 2])


def _pickle_npy(root: Path) -> None:
    marker = root.parent / "PICKLE-LOADED"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    np.save(_vecs(root), np.array([Evil()], dtype=object), allow_pickle=True)


def _text(body: bytes) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        (root / "texts" / f"{VICTIM}.txt").write_bytes(body)
    return build


def _joints_wrong(root: Path) -> None:
    path = root / "new_joints" / f"{VICTIM}.npy"
    np.save(path, np.load(path)[:, :10])


def _write(rel: str, body: bytes) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        (root / rel).write_bytes(body)
    return build


def _remove(rel: str) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        shutil.rmtree(root / rel)
    return build


GOOD_LINE = b"a person walks forward.#a/DET person/NOUN walk/VERB forward/ADV#0.0#0.0\n"

CASES: dict[str, Case] = {
    "nan-in-features": Case(_edit_vecs(_nan), "sample"),
    "truncated-npy": Case(_truncate, "sample"),
    "zero-byte-npy": Case(_write(f"new_joint_vecs/{VICTIM}.npy", b""), "sample"),
    "wrong-feature-width": Case(_edit_vecs(lambda a: a[:, :100]), "sample"),
    "one-frame": Case(_edit_vecs(lambda a: a[:1]), "sample"),
    "integer-dtype": Case(_edit_vecs(lambda a: a.astype(np.int32)), "sample"),
    "pickle-in-npy": Case(_pickle_npy, "sample"),
    "joints-wrong-shape": Case(_joints_wrong, "sample"),
    "text-line-bad-seconds": Case(_text(b"a person walks.#a/DET person/NOUN walk/VERB#abc#0.0\n"), "sample"),
    "text-line-too-few-fields": Case(_text(b"a person walks forward\n"), "sample"),
    "text-non-utf8": Case(_text(b"a person \xff\xfe walks.#a/DET#0.0#0.0\n"), "sample"),
    "text-nul-bytes": Case(_text(b"a person\x00walks.#a/DET#0.0#0.0\n"), "sample"),
    "missing-vecs-folder": Case(_remove("new_joint_vecs"), "folder"),
    "missing-texts-folder": Case(_remove("texts"), "folder"),
    "orphan-text-file": Case(_write("texts/999999.txt", GOOD_LINE), "folder"),
    "split-lists-unknown-id": Case(_write("train.txt", b"000000\n424242\n"), "folder"),
    "split-lists-id-twice": Case(_write("train.txt", b"000000\n000000\n"), "folder"),
    "text-span-past-the-end": Case(_text(GOOD_LINE + b"a person waves.#a/DET person/NOUN wave/VERB#50.0#90.0\n"),
                                   "valid"),
    "text-empty-file": Case(_text(b""), "valid"),
    "text-crlf": Case(_text(GOOD_LINE.replace(b"\n", b"\r\n") * 2), "valid"),
}


def make_case(name: str, root: Path) -> Path:
    """A fixture copy under ``root/hml`` with case ``name`` applied."""
    folder = root / "hml"
    shutil.copytree(SOURCE, folder)
    for extra in ("Mean.npy", "Std.npy"):
        (folder / extra).unlink(missing_ok=True)
    CASES[name].build(folder)
    return folder
