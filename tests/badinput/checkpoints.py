"""Damaged checkpoint directories (motion tokenizer, motion LM, text-motion evaluator), made at test time from
tiny real models. Pickles planted here are hostile: loading one creates ``PICKLE-LOADED`` beside the folder."""

from __future__ import annotations

import json
import pickle
import random
import shutil
import struct
from collections.abc import Callable
from pathlib import Path

WEIGHTS = "model.safetensors"
MARKER = "PICKLE-LOADED"


class _Evil:
    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def evil_pickle(marker: Path) -> bytes:
    return pickle.dumps({"state_dict": _Evil(marker)})


def _weights(body: Callable[[Path, bytes], bytes]) -> Callable[[Path], None]:
    def build(d: Path) -> None:
        (d / WEIGHTS).write_bytes(body(d, (d / WEIGHTS).read_bytes()))
    return build


def _garbage(_d: Path, data: bytes) -> bytes:
    rng = random.Random(15)
    return bytes(rng.randrange(256) for _ in range(len(data)))


def _huge_header(_d: Path, data: bytes) -> bytes:
    return struct.pack("<Q", 1 << 60) + data[8:]


def _plant(*names: str, remove_weights: bool = False) -> Callable[[Path], None]:
    def build(d: Path) -> None:
        for name in names:
            (d / name).write_bytes(evil_pickle(d.parent / MARKER))
        if remove_weights:
            (d / WEIGHTS).unlink()
    return build


def _remove(name: str) -> Callable[[Path], None]:
    return lambda d: (d / name).unlink()


def _config(edit: Callable[[dict], None], name: str = "config.json") -> Callable[[Path], None]:
    def build(d: Path) -> None:
        cfg = json.loads((d / name).read_text())
        edit(cfg)
        (d / name).write_text(json.dumps(cfg))
    return build


def _set(**values) -> Callable[[dict], None]:
    return lambda cfg: cfg.update(values)


def _index_to_pickle(d: Path) -> None:
    (d / "pytorch_model-00001-of-00001.bin").write_bytes(evil_pickle(d.parent / MARKER))
    (d / WEIGHTS).unlink()
    index = {"metadata": {}, "weight_map": {"transformer.wte.weight": "pytorch_model-00001-of-00001.bin"}}
    (d / "model.safetensors.index.json").write_text(json.dumps(index))


def _as_file(d: Path) -> None:
    shutil.rmtree(d)
    d.write_text("not a folder\n")


PICKLE_NAMES = ("pytorch_model.bin", "model.pt", "model.ckpt", "weights.pkl")
COMMON: dict[str, Callable[[Path], None]] = {
    "weights-random-bytes": _weights(_garbage),
    "weights-truncated": _weights(lambda d, b: b[: len(b) // 2]),
    "weights-zero-byte": _weights(lambda d, b: b""),
    "weights-header-claims-2^60-bytes": _weights(_huge_header),
    "weights-are-a-pickle": _weights(lambda d, b: evil_pickle(d.parent / MARKER)),
    "weights-missing": _remove(WEIGHTS),
    "weights-missing-pickles-beside": _plant(*PICKLE_NAMES, remove_weights=True),
    "config-missing": _remove("config.json"),
    "config-garbage": lambda d: (d / "config.json").write_bytes(b"{\x00\xff"),
    "path-is-a-file": _as_file,
}
# Damage that only makes sense for one kind; "wrong shapes" is a config that disagrees with the weights.
SPECIFIC: dict[str, dict[str, Callable[[Path], None]]] = {
    "tokenizer": {"config-wrong-shapes": _config(_set(width=24))},
    "lm": {"config-wrong-shapes": _config(_set(vocab_size=400)),
           "index-json-points-at-pickle": _index_to_pickle,
           "motion-lm-json-garbage": lambda d: (d / "motion_lm.json").write_text("[1, 2")},
    "evaluator": {"config-wrong-shapes": _config(_set(embed_dim=24))},
}
# Valid: pickles beside good weights are ignored (never loaded), the model loads.
VALID = {"pickles-beside-good-weights": _plant(*PICKLE_NAMES)}


def cases(kind: str) -> dict[str, Callable[[Path], None]]:
    return {**COMMON, **SPECIFIC[kind], **VALID}


def tiny_evaluator(path: Path) -> Path:
    import numpy as np

    from motionbase.evaluate.evaluator import EvaluatorConfig, GuoDims, TextMotionEvaluator
    from motionbase.evaluate.evaluator_text import Vocabulary

    config = EvaluatorConfig(arch="guo", embed_dim=16, word_dim=16, guo=GuoDims(16, 16, 16, 16))
    model = TextMotionEvaluator(config, Vocabulary(("<pad>", "<unk>", "walk", "wave", "person")), np.zeros(263, np.float32),
                                np.ones(263, np.float32))
    model.save_pretrained(path)
    return path
