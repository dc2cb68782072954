"""The clip store: many clips in a few memory-mapped shards plus a Parquet manifest.

Layout of a store directory::

    store.json                      format name + version, skeleton, feature layout and width, fps
    shards/shard-00000.features.npy (sum T_f, D) float32, all clips of the shard end to end
    shards/shard-00000.joints.npy   (sum T_j, J, 3) float32, metres, Y up
    shards/shard-00000.parquet      the shard's manifest part (see :mod:`motionbase.data.manifest`)
    splits.parquet                  (id, split) pairs, rewritten atomically by ``assign_splits``
    writer.lock                     held (flock) by the one writer at a time

Writes are append-only and atomic per shard: a writer buffers clips, writes each array to a temp file
and ``os.replace``-s it into place, and only then writes the shard's manifest part the same way. A
shard is visible exactly when its ``.parquet`` exists, so a crash leaves nothing half-written visible;
the next writer deletes stray temp files and orphaned arrays. Clip ids are unique: re-appending an id
already present is skipped (``on_duplicate="skip"``) or refused (``"raise"``), which makes "run the
import again" the way to resume after a crash.

Reading is random access: ``store.features(i)`` is a slice of the shard's memory map (no copy),
``store.clip(i)`` rebuilds a :class:`~motionbase.clip.Clip`, ``store.split("test")`` is a view on the
same files restricted to one split.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .. import __version__
from ..clip import PART_CAPTION_KEYS, Clip
from ..errors import MotionbaseError, ShapeError, SkeletonError, StoreError
from ..features.layout import FeatureLayout
from ..io import atomic_output, is_temp_name
from ..skeleton import Skeleton, get_skeleton
from .manifest import MANIFEST_SCHEMA, SPLITS_SCHEMA, manifest_row, row_to_captions_meta, rows_to_table

FORMAT_NAME = "motionbase-clip-store"
FORMAT_VERSION = 1
STORE_JSON = "store.json"
SHARD_DIR = "shards"
SPLITS_FILE = "splits.parquet"
LOCK_FILE = "writer.lock"
DEFAULT_SHARD_SIZE = 1024  # clips per shard: ~150 MB of 263-d features for 7.5 s clips at 20 fps

_SHARD_FILE = re.compile(r"^shard-(\d+)\.(features\.npy|joints\.npy|parquet)$")


@dataclass(frozen=True)
class StoreInfo:
    """What ``store.json`` holds: enough to read the arrays with no other argument."""

    skeleton: str = "smpl22"
    feature_layout: str = "humanml3d"  # the 4 + 9(J-1) + 3J + 4 layout of motionbase.features.layout
    feature_dim: int = 263
    num_joints: int = 22
    fps: float = 20.0  # frames per second of every stored clip
    format: str = FORMAT_NAME
    version: int = FORMAT_VERSION
    created_by: str = f"motionbase {__version__}"

    @classmethod
    def read(cls, path: Path) -> "StoreInfo":
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise StoreError(f"{path}: unreadable store.json ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
            raise StoreError(f"{path}: not a clip store description (expected format {FORMAT_NAME!r})")
        if not isinstance(data.get("version"), int) or data["version"] > FORMAT_VERSION:
            raise StoreError(f"{path}: store format version {data.get('version')!r}; "
                             f"this motionbase reads versions up to {FORMAT_VERSION}")
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


# ---------------------------------------------------------------- atomic file writes

def _atomic_write(path: Path, write: Callable[[object], None]) -> None:
    """Write ``path`` through ``write(file)`` (:func:`~motionbase.io.atomic_output`, fsynced)."""
    with atomic_output(path, fsync=True) as tmp, open(tmp, "wb") as fh:
        write(fh)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _save_npy(path: Path, array: np.ndarray) -> None:
    _atomic_write(path, lambda fh: np.save(fh, array, allow_pickle=False))


def _save_parquet(path: Path, table: pa.Table) -> None:
    _atomic_write(path, lambda fh: pq.write_table(table, fh))


def _shard_name(index: int) -> str:
    return f"shard-{index:05d}"


# ---------------------------------------------------------------- shared reader state

class _StoreState:
    """The files of one store as read: manifest parts, split overlay and lazily opened memory maps."""

    def __init__(self, path: Path, info: StoreInfo):
        self.path, self.info = path, info
        self.skeleton: Skeleton = get_skeleton(info.skeleton)
        self._mmaps: dict[tuple[int, str], np.ndarray] = {}
        self.reload()

    def __getstate__(self):  # pickled into DataLoader workers: never ship the mapped arrays
        state = dict(self.__dict__)
        state["_mmaps"] = {}
        return state

    def reload(self) -> None:
        shard_dir = self.path / SHARD_DIR
        parts = sorted((int(m.group(1)), shard_dir / name) for name in os.listdir(shard_dir)
                       if (m := _SHARD_FILE.match(name)) and m.group(2) == "parquet")
        tables = []
        for index, part in parts:
            for kind in ("features", "joints"):
                if not (shard_dir / f"{_shard_name(index)}.{kind}.npy").is_file():
                    raise StoreError(f"{part}: manifest part without its {kind} array; the store is damaged")
            try:
                tables.append(pq.read_table(part, schema=MANIFEST_SCHEMA))
            except (pa.ArrowException, OSError) as exc:
                raise StoreError(f"{part}: unreadable manifest part ({exc})") from None
        table = pa.concat_tables(tables) if tables else MANIFEST_SCHEMA.empty_table()
        ids = table.column("id").to_pylist()
        self.row_of = {clip_id: row for row, clip_id in enumerate(ids)}
        if len(self.row_of) != len(ids):
            dup = next(i for i in ids if ids.count(i) > 1)
            raise StoreError(f"{self.path}: clip id {dup!r} appears in two shards; the store is damaged")
        self.table, self.ids = table, ids
        cols = {c: np.asarray(table.column(c).to_numpy(), dtype=np.int64)
                for c in ("shard", "feat_start", "feat_stop", "joint_start", "joint_stop")}
        self.shard, self.f0, self.f1, self.j0, self.j1 = (cols[c] for c in
                                                          ("shard", "feat_start", "feat_stop",
                                                           "joint_start", "joint_stop"))
        self._check_ranges(table)
        self.fps = np.asarray(table.column("fps").to_numpy(), dtype=np.float64)
        self.split_of = self._read_splits()

    def _check_ranges(self, table: pa.Table) -> None:
        """StoreError naming shard and clip unless every row range is 0 <= start <= stop with stop - start equal
        to its ``frames`` / ``feature_frames`` (a damaged or hand-edited manifest would give short clips)."""
        frames = np.asarray(table.column("frames").to_numpy(), dtype=np.int64)
        feature_frames = np.asarray(table.column("feature_frames").to_numpy(), dtype=np.int64)
        bad = ((self.f0 < 0) | (self.f1 < self.f0) | (self.j0 < 0) | (self.j1 < self.j0)
               | (self.j1 - self.j0 != frames) | (self.f1 - self.f0 != feature_frames))
        if bad.any():
            r = int(np.argmax(bad))
            raise StoreError(f"{self.path / SHARD_DIR / _shard_name(int(self.shard[r]))}.parquet: clip "
                             f"{self.ids[r]!r} has joint rows {self.j0[r]}:{self.j1[r]} for {frames[r]} frames and "
                             f"feature rows {self.f0[r]}:{self.f1[r]} for {feature_frames[r]}; expected "
                             f"0 <= start <= stop, stop - start = frames; the store is damaged")

    def _read_splits(self) -> dict[str, str]:
        path = self.path / SPLITS_FILE
        if not path.is_file():
            return {}
        try:
            table = pq.read_table(path, schema=SPLITS_SCHEMA)
        except (pa.ArrowException, OSError) as exc:
            raise StoreError(f"{path}: unreadable split file ({exc})") from None
        return dict(zip(table.column("id").to_pylist(), table.column("split").to_pylist()))

    def array(self, shard: int, kind: str) -> np.ndarray:
        """The memory map of one shard array (opened once, then cached), checked against the manifest."""
        key = (shard, kind)
        mm = self._mmaps.get(key)
        if mm is None:
            path = self.path / SHARD_DIR / f"{_shard_name(shard)}.{kind}.npy"
            try:
                mm = np.load(path, mmap_mode="r", allow_pickle=False)
            except (OSError, ValueError) as exc:
                raise StoreError(f"{path}: unreadable shard array ({exc})") from None
            in_shard = self.shard == shard
            need = int((self.f1 if kind == "features" else self.j1)[in_shard].max(initial=0))
            tail = (self.info.feature_dim,) if kind == "features" else (self.info.num_joints, 3)
            if mm.dtype != np.float32 or mm.shape[1:] != tail or mm.shape[0] < need:
                raise StoreError(f"{path}: array {mm.dtype}{mm.shape}, expected float32 (>={need}, "
                                 f"{', '.join(map(str, tail))}) as the manifest says")
            self._mmaps[key] = mm
        return mm


# ---------------------------------------------------------------- the store and its views

class ClipStore:
    """Random access to the clips of a store directory, or of a view on it (a split, a selection).

    Indices ``i`` count rows of this store or view, in append order. Arrays are read-only memory maps.
    """

    def __init__(self, state: _StoreState, rows: np.ndarray | None = None):
        self._state = state
        self._rows = rows  # None: every row of the store, live; else a fixed selection (a view)

    # -- opening and creating

    @classmethod
    def create(cls, path: str | os.PathLike, *, skeleton: str = "smpl22", fps: float = 20.0,
               feature_dim: int | None = None, exist_ok: bool = False) -> "ClipStore":
        """Make an empty store at ``path`` (a new or empty directory) for clips at ``fps`` on ``skeleton``.

        ``feature_dim`` defaults to the HumanML3D layout width for the skeleton (263 for SMPL-22); another
        width marks the layout "custom" (features must then always be given to ``append``).
        With ``exist_ok`` an existing store with the same skeleton and fps is opened instead.
        """
        path = Path(path)
        if (path / STORE_JSON).exists():
            if not exist_ok:
                raise StoreError(f"{path}: a clip store already exists here (open it, or pass exist_ok=True)")
            store = cls.open(path)
            if store.info.skeleton != skeleton or abs(store.info.fps - fps) > 1e-9:
                raise StoreError(f"{path}: existing store holds {store.info.skeleton} at {store.info.fps} fps, "
                                 f"asked for {skeleton} at {fps} fps")
            return store
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise StoreError(f"{path}: exists and is not an empty directory; cannot create a store here")
        skel = get_skeleton(skeleton)
        layout = FeatureLayout(skel)
        dim = int(feature_dim or layout.dim)
        info = StoreInfo(skeleton=skel.name, feature_layout="humanml3d" if dim == layout.dim else "custom",
                         feature_dim=dim, num_joints=skel.num_joints, fps=float(fps))
        (path / SHARD_DIR).mkdir(parents=True, exist_ok=True)
        _atomic_write(path / STORE_JSON, lambda fh: fh.write(json.dumps(asdict(info), indent=2).encode()))
        return cls.open(path)

    @classmethod
    def open(cls, path: str | os.PathLike) -> "ClipStore":
        """Open an existing store; :class:`StoreError` if ``path`` is not one."""
        path = Path(path)
        if not path.is_dir():
            raise StoreError(f"{path}: no such directory; expected a clip store")
        if not (path / STORE_JSON).is_file() or not (path / SHARD_DIR).is_dir():
            raise StoreError(f"{path}: not a clip store (expected {STORE_JSON} and {SHARD_DIR}/)")
        return cls(_StoreState(path, StoreInfo.read(path / STORE_JSON)))

    def reload(self) -> "ClipStore":
        """Re-read the manifest (to see shards appended by another process); views keep their rows."""
        self._state.reload()
        return self

    # -- description

    @property
    def path(self) -> Path:
        return self._state.path

    @property
    def info(self) -> StoreInfo:
        return self._state.info

    @property
    def skeleton(self) -> Skeleton:
        return self._state.skeleton

    @property
    def layout(self) -> FeatureLayout:
        return FeatureLayout(self._state.skeleton)

    @property
    def is_view(self) -> bool:
        return self._rows is not None

    def _row(self, i: int) -> int:
        if self._rows is None:
            n = len(self._state.ids)
            if not -n <= i < n:
                raise IndexError(f"clip index {i} out of range for a store of {n} clips")
            return i % n
        return int(self._rows[i])

    @property
    def rows(self) -> np.ndarray:
        """(N,) int64 row numbers of this view in the whole store's manifest."""
        return np.arange(len(self._state.ids)) if self._rows is None else self._rows

    def __len__(self) -> int:
        return len(self._state.ids) if self._rows is None else len(self._rows)

    def __repr__(self) -> str:
        kind = "view on " if self.is_view else ""
        return f"ClipStore({kind}{str(self.path)!r}, {len(self)} clips)"

    @property
    def ids(self) -> list[str]:
        ids = self._state.ids
        return list(ids) if self._rows is None else [ids[r] for r in self._rows]

    def id(self, i: int) -> str:
        """The id of clip ``i``."""
        return self._state.ids[self._row(i)]

    def index(self, clip_id: str) -> int:
        """Position of ``clip_id`` in this store or view; :class:`StoreError` if absent."""
        row = self._state.row_of.get(clip_id)
        if row is not None and self._rows is not None:
            hit = np.flatnonzero(self._rows == row)
            row = int(hit[0]) if len(hit) else None
        if row is None:
            raise StoreError(f"{self.path}: no clip with id {clip_id!r} in this {'view' if self.is_view else 'store'}")
        return row

    def __contains__(self, clip_id: object) -> bool:
        row = self._state.row_of.get(clip_id)  # type: ignore[arg-type]
        return row is not None and (self._rows is None or bool((self._rows == row).any()))

    @property
    def feature_frames(self) -> np.ndarray:
        """(N,) int64 feature rows T_f of each clip."""
        s = self._state
        return (s.f1 - s.f0)[self.rows]

    @property
    def frames(self) -> np.ndarray:
        """(N,) int64 joint frames T_j of each clip."""
        s = self._state
        return (s.j1 - s.j0)[self.rows]

    # -- random access

    def features(self, i: int) -> np.ndarray:
        """(T_f, D) float32 features of clip ``i``: a read-only view of the shard's memory map."""
        s, r = self._state, self._row(i)
        return s.array(int(s.shard[r]), "features")[s.f0[r]:s.f1[r]]

    def joints(self, i: int) -> np.ndarray:
        """(T_j, J, 3) float32 joints of clip ``i`` in metres, Y up: a read-only memory-mapped view."""
        s, r = self._state, self._row(i)
        return s.array(int(s.shard[r]), "joints")[s.j0[r]:s.j1[r]]

    def clip(self, i: int) -> Clip:
        """Clip ``i`` with its captions and provenance (joints are a read-only memory-mapped view)."""
        s, r = self._state, self._row(i)
        captions, meta = row_to_captions_meta(s.table.slice(r, 1).to_pylist()[0])
        return Clip(joints_m=self.joints(i), fps=float(s.fps[r]), skeleton=s.skeleton,
                    captions=captions, meta=meta)

    def __getitem__(self, key: int | str) -> Clip:
        return self.clip(self.index(key) if isinstance(key, str) else key)

    def __iter__(self) -> Iterator[Clip]:
        for i in range(len(self)):
            yield self.clip(i)

    def manifest(self) -> pa.Table:
        """The manifest of this store or view, with the ``split`` column ("" where unassigned)."""
        s = self._state
        table = s.table if self._rows is None else s.table.take(pa.array(self._rows, pa.int64()))
        split = [s.split_of.get(i, "") for i in table.column("id").to_pylist()]
        return table.append_column("split", pa.array(split, pa.string()))

    # -- views

    def take(self, indices: Sequence[int] | np.ndarray) -> "ClipStore":
        """A view on clips ``indices`` of this store or view (in that order)."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        return ClipStore(self._state, self.rows[idx])

    def split_names(self) -> list[str]:
        """The split names present in this store or view, sorted ("" for unassigned clips)."""
        return sorted(set(self.manifest().column("split").to_pylist()))

    def split(self, name: str) -> "ClipStore":
        """A view on the clips of split ``name``; :class:`StoreError` if no clip has that split."""
        table = self.manifest()
        mask = np.asarray(table.column("split").to_pylist(), dtype=object) == name
        if not mask.any():
            known = ", ".join(repr(n) for n in self.split_names()) or "none"
            raise StoreError(f"{self.path}: no clips in split {name!r} (splits present: {known}; "
                             "assign them with motionbase.data.splits.assign_splits)")
        return self.take(np.flatnonzero(mask))

    def set_splits(self, split_of: Mapping[str, str]) -> None:
        """Replace the split assignment with ``split_of`` (id -> split name): one atomic rewrite."""
        ids = list(split_of)
        table = pa.table({"id": pa.array(ids, pa.string()),
                          "split": pa.array([str(split_of[i]) for i in ids], pa.string())}, schema=SPLITS_SCHEMA)
        _save_parquet(self.path / SPLITS_FILE, table)
        self._state.split_of = dict(zip(ids, table.column("split").to_pylist()))

    # -- writing

    def writer(self, *, shard_size: int = DEFAULT_SHARD_SIZE, on_duplicate: str = "skip") -> "ShardWriter":
        """A context-managed writer that appends clips in shards of ``shard_size`` clips."""
        if self.is_view:
            raise StoreError(f"{self.path}: cannot write through a view; open the store itself")
        return ShardWriter(self, shard_size=shard_size, on_duplicate=on_duplicate)

    def append(self, clips: Iterable[Clip], features: Iterable[np.ndarray | None] | None = None, *,
               shard_size: int = DEFAULT_SHARD_SIZE, on_duplicate: str = "skip") -> int:
        """Append ``clips`` (features computed from joints where ``features`` is None); returns how many
        were written (duplicates skipped or refused per ``on_duplicate``). Full shards are committed as
        they fill; if an error interrupts, the unfinished shard is discarded and appending the same
        clips again resumes without duplicates."""
        with self.writer(shard_size=shard_size, on_duplicate=on_duplicate) as w:
            if features is None:
                for clip in clips:
                    w.add(clip)
            else:
                feats = iter(features)
                for clip in clips:
                    w.add(clip, next(feats, None))
        return w.written


class ShardWriter:
    """Buffers clips and commits them a shard at a time; use as a context manager (``store.writer()``).

    Leaving the ``with`` block normally commits the last partial shard; leaving it by an exception
    discards the uncommitted buffer (committed shards stay). One writer per store at a time (flock).
    """

    def __init__(self, store: ClipStore, *, shard_size: int = DEFAULT_SHARD_SIZE, on_duplicate: str = "skip"):
        if shard_size < 1:
            raise MotionbaseError(f"shard_size must be at least 1, got {shard_size}")
        if on_duplicate not in ("skip", "raise"):
            raise MotionbaseError(f"on_duplicate must be 'skip' or 'raise', got {on_duplicate!r}")
        self.store, self.shard_size, self.on_duplicate = store, shard_size, on_duplicate
        self.written = 0  # clips committed by this writer
        self.skipped: list[str] = []  # ids skipped as already present
        self._buffer: list[tuple[dict, np.ndarray, np.ndarray]] = []  # (manifest row, features, joints)
        self._f_at = self._j_at = 0  # rows buffered so far in the open shard
        self._lock_fd: int | None = None

    # -- context

    def __enter__(self) -> "ShardWriter":
        path = self.store.path
        fd = os.open(path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreError(f"{path}: another writer holds {LOCK_FILE}; one writer at a time") from None
        self._lock_fd = fd
        self.store.reload()  # see what earlier writers committed
        self._clean_debris()
        self._seen = set(self.store._state.row_of)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self.flush()
        finally:
            self._drop_buffer()
            if self._lock_fd is not None:
                os.close(self._lock_fd)  # releases the flock
                self._lock_fd = None
            self.store.reload()

    def _clean_debris(self) -> None:
        """Delete temp files and arrays of shards that never got their manifest part (a crash)."""
        shard_dir = self.store.path / SHARD_DIR
        names = os.listdir(shard_dir)
        committed = {m.group(1) for n in names if (m := _SHARD_FILE.match(n)) and m.group(2) == "parquet"}
        for name in names:
            m = _SHARD_FILE.match(name)
            if is_temp_name(name) or (m and m.group(1) not in committed):
                (shard_dir / name).unlink()
        for name in os.listdir(self.store.path):
            if is_temp_name(name):
                (self.store.path / name).unlink()
        self._next_shard = 1 + max((int(c) for c in committed), default=-1)

    # -- adding

    def _check(self, clip: Clip, features: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Validated (features (T_f, D), joints (T_j, J, 3)) as float32; ShapeError naming the clip."""
        info = self.store.info
        where = f"clip {clip.meta.id!r}"
        if clip.skeleton.name != info.skeleton:
            raise SkeletonError(f"{where}: skeleton {clip.skeleton.name!r}, the store holds {info.skeleton!r}")
        clip.validate(where)
        extra = set(clip.captions.parts) - set(PART_CAPTION_KEYS)
        if extra:
            raise StoreError(f"{where}: part captions {sorted(extra)} have no manifest column "
                             f"(known: {', '.join(PART_CAPTION_KEYS)})")
        if abs(clip.fps - info.fps) > 1e-6:
            raise ShapeError(f"{where}: {clip.fps} fps, the store holds {info.fps} fps clips (resample first)")
        joints = np.ascontiguousarray(clip.joints_m, dtype=np.float32)
        if features is None:
            from ..features.humanml3d import joints_to_features

            features = joints_to_features(clip.joints_m, self.store.skeleton)
        feats = np.asarray(features)
        if feats.ndim != 2 or feats.shape[1] != info.feature_dim:
            raise ShapeError(f"{where}: features have shape {feats.shape}, expected (T, {info.feature_dim})")
        T = joints.shape[0]
        if feats.shape[0] not in (T - 1, T):
            raise ShapeError(f"{where}: {feats.shape[0]} feature rows for {T} joint frames, "
                             f"expected {T - 1} or {T}")
        bad = ~np.isfinite(feats).all(axis=1)
        if bad.any():
            raise ShapeError(f"{where}: NaN/inf in features at frame {int(np.argmax(bad))}")
        return np.ascontiguousarray(feats, dtype=np.float32), joints

    def add(self, clip: Clip, features: np.ndarray | None = None) -> bool:
        """Buffer one clip (features (T_f, D) as given, else computed from its joints); returns False if
        its id is already present and ``on_duplicate="skip"``."""
        if self._lock_fd is None:
            raise StoreError(f"{self.store.path}: use the writer as a context manager (with store.writer() as w)")
        clip_id = clip.meta.id
        if not isinstance(clip_id, str) or not clip_id:
            raise StoreError(f"{self.store.path}: a clip without meta.id cannot be stored (ids must be unique)")
        if clip_id in self._seen:
            if self.on_duplicate == "raise":
                raise StoreError(f"{self.store.path}: clip id {clip_id!r} is already in the store")
            self.skipped.append(clip_id)
            return False
        feats, joints = self._check(clip, features)
        row = manifest_row(clip, feature_frames=len(feats), shard=self._next_shard,
                           feat_start=self._f_at, joint_start=self._j_at)
        self._seen.add(clip_id)
        self._buffer.append((row, feats, joints))
        self._f_at += len(feats)
        self._j_at += len(joints)
        if len(self._buffer) >= self.shard_size:
            self.flush()
        return True

    def flush(self) -> None:
        """Commit the buffered clips as one shard: arrays first, then the manifest part."""
        if not self._buffer:
            return
        shard_dir = self.store.path / SHARD_DIR
        name = _shard_name(self._next_shard)
        _save_npy(shard_dir / f"{name}.features.npy", np.concatenate([b[1] for b in self._buffer]))
        _save_npy(shard_dir / f"{name}.joints.npy", np.concatenate([b[2] for b in self._buffer]))
        _fsync_dir(shard_dir)
        _save_parquet(shard_dir / f"{name}.parquet", rows_to_table([b[0] for b in self._buffer]))  # commit
        _fsync_dir(shard_dir)
        self.written += len(self._buffer)
        self._drop_buffer()
        self._next_shard += 1

    def _drop_buffer(self) -> None:
        self._buffer.clear()
        self._f_at = self._j_at = 0
