"""A small HumanML3D-layout folder cut from the real clips in tests/data/humanml3d, with split files.

Clips are crops of the three real clips (one of 220 rows joins two of them), so the protocol's length
filter (40-199 feature rows) has something to drop in every split. Captions name a made-up move per clip
("a person does the ab move"), two paraphrases each, with HumanML3D's ``word/POS`` token field.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .conftest import load_hml

SOURCES = ("000000", "000612", "012314")
LENGTHS = (30, 48, 64, 80, 100, 116, 150, 170, 199, 220)  # 30 and 220 fall outside 40-199
SPLIT_SIZES = {"train": 20, "val": 4, "test": 50}


def tag(i: int) -> str:
    return "a" + chr(ord("a") + 1 + i // 26) + chr(ord("a") + i % 26)


def _features(i: int) -> np.ndarray:
    clips = [load_hml(n, "new_joint_vecs").astype(np.float32) for n in SOURCES]
    want = LENGTHS[i % len(LENGTHS)]
    if want > 199:
        return np.concatenate([clips[1], clips[0]])[:want]
    usable = [c for c in clips if len(c) >= want]
    return usable[i % len(usable)][:want]


def make_hml3d_folder(root: Path) -> dict[str, list[str]]:
    """Write the folder at ``root``; returns {split: ids}."""
    for sub in ("new_joint_vecs", "texts"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for name in ("Mean.npy", "Std.npy"):
        (root / name).write_bytes((Path(__file__).parent / "data" / "humanml3d" / name).read_bytes())
    ids: dict[str, list[str]] = {}
    i = 0
    for split, n in SPLIT_SIZES.items():
        for _ in range(n):
            cid = f"{i:06d}"
            np.save(root / "new_joint_vecs" / f"{cid}.npy", _features(i))
            t = tag(i)
            (root / "texts" / f"{cid}.txt").write_text(
                f"a person does the {t} move.#a/DET person/NOUN do/VERB the/DET {t}/NOUN move/NOUN#0.0#0.0\n"
                f"someone moves in the {t} way#someone/PRON move/VERB in/ADP the/DET {t}/NOUN way/NOUN#0.0#0.0\n")
            ids.setdefault(split, []).append(cid)
            i += 1
        (root / f"{split}.txt").write_text("".join(c + "\n" for c in ids[split]))
    return ids


def kept_by_filter(ids: list[str]) -> list[str]:
    return [c for c in ids if 40 <= LENGTHS[int(c) % len(LENGTHS)] <= 199]
