"""Damaged clip stores: a good 2-clip store (two real BVH takes) with one thing broken, made at test time."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

DATA = Path(__file__).parent.parent / "data"
TAKES = [DATA / "bvh" / "bandai" / "handedness" / "dataset-2_raise-up-left-hand_normal_001.bvh",
         DATA / "bvh" / "bandai" / "handedness" / "dataset-2_wave-left-hand_normal_013.bvh"]
SHARD = "shards/shard-00000"


def build_good(path: Path) -> Path:
    from motionbase.data import ClipStore
    from motionbase.formats.bvh import load_bvh

    store = ClipStore.create(path)
    with store.writer() as writer:
        for take in TAKES:
            writer.add(load_bvh(take))
    return path


def _rewrite_manifest(edit: Callable[[dict], None]) -> Callable[[Path], None]:
    def build(store: Path) -> None:
        path = store / f"{SHARD}.parquet"
        table = pq.read_table(path)
        cols = table.to_pydict()
        edit(cols)
        pq.write_table(pa.Table.from_pydict(cols, schema=table.schema), path)
    return build


def _ids(*ids: str) -> Callable[[dict], None]:
    def edit(cols):
        cols["id"] = list(ids)
    return edit


def _stop_past_end(cols):
    cols["feat_stop"][-1] += 10_000
    cols["joint_stop"][-1] += 10_000


def _reversed_joint_range(cols):
    cols["joint_start"][-1] = cols["joint_stop"][-1] + 5


def _empty_joint_range(cols):
    cols["joint_start"][-1] = cols["joint_stop"][-1]


def _zero_frames(cols):
    """The last clip made a consistent 0-frame clip: frames 0 and empty ranges (the writer never stores one)."""
    cols["frames"][-1] = cols["feature_frames"][-1] = 0
    cols["joint_start"][-1] = cols["joint_stop"][-1]
    cols["feat_start"][-1] = cols["feat_stop"][-1]


def _negative_start(cols):
    cols["feat_start"][0] = -50


def _truncate(rel: str, keep: float = 0.5) -> Callable[[Path], None]:
    def build(store: Path) -> None:
        data = (store / rel).read_bytes()
        (store / rel).write_bytes(data[: int(len(data) * keep)])
    return build


def _write(rel: str, body: bytes) -> Callable[[Path], None]:
    def build(store: Path) -> None:
        (store / rel).write_bytes(body)
    return build


def _remove(rel: str) -> Callable[[Path], None]:
    def build(store: Path) -> None:
        (store / rel).unlink()
    return build


def _shorter(kind: str) -> Callable[[Path], None]:
    def build(store: Path) -> None:
        path = store / f"{SHARD}.{kind}.npy"
        a = np.load(path)
        path.unlink()
        np.save(path, a[: len(a) // 2])
    return build


def _joint_stop_past_end(cols):
    cols["joint_stop"][-1] += 10_000


def _newer_version(store: Path) -> None:
    info = json.loads((store / "store.json").read_text())
    info["version"] = 99
    (store / "store.json").write_text(json.dumps(info))


def _unknown_skeleton(store: Path) -> None:
    info = json.loads((store / "store.json").read_text())
    info["skeleton"] = "octopus8"
    (store / "store.json").write_text(json.dumps(info))


# name -> damage; "export-escape" cases are refused by export (ids that would name paths outside --out).
CASES: dict[str, Callable[[Path], None]] = {
    "missing-features-array": _remove(f"{SHARD}.features.npy"),
    "missing-joints-array": _remove(f"{SHARD}.joints.npy"),
    "truncated-parquet": _truncate(f"{SHARD}.parquet"),
    "zero-byte-parquet": _write(f"{SHARD}.parquet", b""),
    "truncated-features-array": _truncate(f"{SHARD}.features.npy", 0.6),
    "features-array-shorter-than-manifest": _shorter("features"),
    "joints-array-shorter-than-manifest": _shorter("joints"),
    "manifest-joint-stop-past-array-end": _rewrite_manifest(_joint_stop_past_end),
    "manifest-stop-past-array-end": _rewrite_manifest(_stop_past_end),
    "manifest-negative-start": _rewrite_manifest(_negative_start),
    "manifest-joint-range-reversed": _rewrite_manifest(_reversed_joint_range),
    "manifest-joint-range-empty": _rewrite_manifest(_empty_joint_range),
    "manifest-zero-frame-clip": _rewrite_manifest(_zero_frames),
    "manifest-duplicate-ids": _rewrite_manifest(_ids("same", "same")),
    "store-json-garbage": _write("store.json", b"\x00\xffnot json"),
    "store-json-missing": _remove("store.json"),
    "store-json-newer-version": _newer_version,
    "store-json-unknown-skeleton": _unknown_skeleton,
    "splits-garbage": _write("splits.parquet", b"PAR1garbagePAR1"),
    "ids-parent-traversal": _rewrite_manifest(_ids("../../x", "../../../../tmp/y")),
    "ids-absolute-path": _rewrite_manifest(_ids("/abs/path", "ok")),
}
# Exit codes each command may give for each kind of damage (default: 2, refused as a whole on opening).
# Arrays that disagree with the manifest must never be exported as if nothing were wrong (exit 0); reading
# only the manifest (info) or appending a new shard (import) may succeed.
_ARRAYS = {"info": (0, 2), "export-bvh": (1, 2), "export-humanml3d": (1, 2), "import-into": (0, 2)}
_FEATURES = dict(_ARRAYS, **{"export-bvh": (0, 1, 2)})  # export bvh reads only the (intact) joints
_IDS = {"info": (0,), "export-bvh": (1, 2), "export-humanml3d": (1, 2), "import-into": (0,)}
EXPECTED: dict[str, dict[str, tuple[int, ...]]] = {
    "truncated-features-array": _FEATURES,
    "features-array-shorter-than-manifest": _FEATURES,
    "joints-array-shorter-than-manifest": _ARRAYS,
    "manifest-stop-past-array-end": _ARRAYS,
    "manifest-joint-stop-past-array-end": _ARRAYS,
    "manifest-negative-start": _FEATURES,
    "manifest-joint-range-reversed": _ARRAYS,
    "manifest-joint-range-empty": _ARRAYS,
    "manifest-zero-frame-clip": _ARRAYS,
    "ids-parent-traversal": _IDS,
    "ids-absolute-path": _IDS,
}


def expected_codes(case: str, command: str) -> tuple[int, ...]:
    return EXPECTED.get(case, {}).get(command, (2,))


def make_case(name: str, good: Path, root: Path) -> Path:
    store = root / "store"
    shutil.copytree(good, store)
    CASES[name](store)
    return store
