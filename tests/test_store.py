import json
import os
import pickle

import numpy as np
import pytest

from motionbase.clip import Clip, ClipMeta
from motionbase.data import ClipStore, summary
from motionbase.data import store as store_mod
from motionbase.errors import ShapeError, StoreError

from .test_store_fixtures import hml_pair, real_clips


@pytest.fixture()
def clips():
    return real_clips(30)


def _shard_files(path):
    return sorted(n for n in os.listdir(path / "shards"))


def test_roundtrip_keeps_arrays_captions_and_provenance(tmp_path, clips):
    clip_list, feats = clips
    store = ClipStore.create(tmp_path / "s")
    assert store.append(clip_list, feats, shard_size=8) == 30
    assert len(store) == 30
    assert [n for n in _shard_files(tmp_path / "s") if n.endswith(".parquet")] == [
        f"shard-0000{k}.parquet" for k in range(4)]  # 8 + 8 + 8 + 6 clips

    reopened = ClipStore.open(tmp_path / "s")
    assert reopened.ids == [c.meta.id for c in clip_list]
    for i, (clip, f) in enumerate(zip(clip_list, feats)):
        np.testing.assert_array_equal(reopened.features(i), f)
        np.testing.assert_array_equal(reopened.joints(i), clip.joints_m)
        back = reopened.clip(i)
        assert back.meta == clip.meta and back.captions == clip.captions
        assert back.fps == 20.0 and back.skeleton.name == "smpl22"
    view = reopened.features(7)
    assert isinstance(view, np.memmap) and view.dtype == np.float32
    with pytest.raises(ValueError):
        view[0, 0] = 1.0  # read-only map: the store is never written through a view

    table = reopened.manifest()
    row = table.slice(3, 1).to_pylist()[0]
    assert row["frames"] == clip_list[3].num_frames == row["feature_frames"]
    assert row["seconds"] == pytest.approx(clip_list[3].num_frames / 20.0)
    assert json.loads(row["labels"]) == clip_list[3].meta.labels
    assert row["upper_body"] == "arms move 3" and row["lower_body"] == "arms move 3".replace("arms", "legs")
    assert table.slice(1, 1).to_pylist()[0]["upper_body"] == ""  # empty where unknown
    assert row["split"] == "" and row["bbox_track"] is None and row["static"] is False
    shard = np.asarray(table.column("shard"))
    for s in range(4):  # offsets tile each shard's arrays with no gap
        f0, f1 = (np.asarray(table.column(c))[shard == s] for c in ("feat_start", "feat_stop"))
        assert f0[0] == 0 and (f0[1:] == f1[:-1]).all()
        assert np.load(tmp_path / "s" / "shards" / f"shard-0000{s}.features.npy", mmap_mode="r").shape[0] == f1[-1]


def test_store_json_describes_the_arrays(tmp_path):
    ClipStore.create(tmp_path / "s")
    info = json.loads((tmp_path / "s" / "store.json").read_text())
    assert info["format"] == "motionbase-clip-store" and info["version"] == 1
    assert (info["skeleton"], info["feature_layout"], info["feature_dim"], info["num_joints"], info["fps"]) == (
        "smpl22", "humanml3d", 263, 22, 20.0)


def test_lookup_by_id_iteration_and_video_provenance(tmp_path, clips):
    clip_list, feats = clips
    joints, vecs = hml_pair("000000")
    boxes = [[10.0 + t, 20.0, 110.0 + t, 220.5] for t in range(40)]
    video = Clip(joints_m=joints[:40], meta=ClipMeta(id="vid-1", source="video", static=True, bbox_track=boxes))
    store = ClipStore.create(tmp_path / "s")
    store.append([*clip_list[:5], video], [*feats[:5], vecs[:40]])
    assert store["c0003"].meta.id == "c0003" and store.index("vid-1") == 5 and store.id(5) == "vid-1"
    assert "c0004" in store and "c0029" not in store
    with pytest.raises(StoreError, match="c0029"):
        store.index("c0029")
    back = store["vid-1"]
    assert back.meta.static and back.meta.bbox_track == boxes
    assert [c.meta.id for c in store] == store.ids
    np.testing.assert_array_equal(store.frames, [c.num_frames for c in clip_list[:5]] + [40])


def test_features_are_computed_from_joints_when_not_given(tmp_path):
    humanml3d = pytest.importorskip("motionbase.features.humanml3d")
    joints, _ = hml_pair("012314")
    clip = Clip(joints_m=joints[:60], meta=ClipMeta(id="a"))
    store = ClipStore.create(tmp_path / "s")
    store.append([clip])
    assert store.features(0).shape == (59, 263)
    np.testing.assert_array_equal(store.features(0), humanml3d.joints_to_features(joints[:60]))
    assert store.manifest().column("feature_frames").to_pylist() == [59]


def test_duplicate_ids_are_skipped_or_refused(tmp_path, clips):
    clip_list, feats = clips
    store = ClipStore.create(tmp_path / "s")
    assert store.append(clip_list[:10], feats[:10]) == 10
    assert store.append(clip_list[5:15], feats[5:15]) == 5  # c0005..c0009 already there
    assert store.append(clip_list[20:21] * 3, feats[20:21] * 3) == 1  # repeated inside one batch
    assert len(store) == 16 and len(set(store.ids)) == 16
    with pytest.raises(StoreError, match="'c0002' is already in the store"):
        store.append(clip_list[2:3], feats[2:3], on_duplicate="raise")


def test_exception_inside_writer_discards_only_the_open_shard_and_resume_completes(tmp_path, clips):
    clip_list, feats = clips
    store = ClipStore.create(tmp_path / "s")
    with pytest.raises(RuntimeError):
        with store.writer(shard_size=10) as w:
            for clip, f in zip(clip_list[:25], feats[:25]):
                w.add(clip, f)
            raise RuntimeError("simulated crash")
    assert len(ClipStore.open(tmp_path / "s")) == 20  # two full shards committed, 5 buffered clips lost
    assert store.append(clip_list, feats, shard_size=10) == 10
    again = ClipStore.open(tmp_path / "s")
    assert again.ids == [c.meta.id for c in clip_list]
    for i in (0, 19, 20, 29):
        np.testing.assert_array_equal(again.features(i), feats[i])


def test_crash_between_arrays_and_manifest_is_invisible_and_cleaned(tmp_path, clips, monkeypatch):
    clip_list, feats = clips
    store = ClipStore.create(tmp_path / "s")
    store.append(clip_list[:10], feats[:10], shard_size=10)

    def die(path, table):
        raise KeyboardInterrupt("power cut before the manifest part")

    monkeypatch.setattr(store_mod, "_save_parquet", die)
    with pytest.raises(KeyboardInterrupt):
        store.append(clip_list[10:20], feats[10:20], shard_size=10)
    monkeypatch.undo()
    shards = tmp_path / "s" / "shards"
    assert (shards / "shard-00001.features.npy").exists() and not (shards / "shard-00001.parquet").exists()
    (shards / ".shard-00002.joints.npy.tmp-deadbeef").write_bytes(b"half a file")
    (tmp_path / "s" / ".store.json.tmp-0123").write_bytes(b"{")

    reopened = ClipStore.open(tmp_path / "s")
    assert len(reopened) == 10  # the orphaned arrays and temp files are not part of the store
    assert reopened.append(clip_list, feats, shard_size=10) == 20
    assert ClipStore.open(tmp_path / "s").ids == [c.meta.id for c in clip_list]
    assert _shard_files(tmp_path / "s") == sorted(
        f"shard-0000{k}.{kind}" for k in range(3) for kind in ("features.npy", "joints.npy", "parquet"))
    assert not any(n.startswith(".") for n in os.listdir(tmp_path / "s"))


def test_one_writer_at_a_time(tmp_path, clips):
    store = ClipStore.create(tmp_path / "s")
    with store.writer():
        with pytest.raises(StoreError, match="another writer"):
            ClipStore.open(tmp_path / "s").writer().__enter__()
    with store.writer() as w:  # the lock is released on exit
        w.add(clips[0][0], clips[1][0])
    assert len(store) == 1


@pytest.mark.parametrize("bad, message", [
    (lambda c, f: (Clip(joints_m=c.joints_m[:, :21], meta=c.meta), f), r"'c0000'.*shape \(\d+, 21, 3\)"),
    (lambda c, f: (Clip(joints_m=np.where(np.arange(len(c.joints_m))[:, None, None] == 7, np.nan, c.joints_m),
                        meta=c.meta), f), "'c0000': NaN/inf in joints at frame 7"),
    (lambda c, f: (c, np.where(np.arange(len(f))[:, None] == 4, np.inf, f)), "'c0000': NaN/inf in features at frame 4"),
    (lambda c, f: (c, f[:, :262]), r"'c0000': features have shape \(\d+, 262\), expected \(T, 263\)"),
    (lambda c, f: (c, f[:-3]), "'c0000': .* feature rows for"),
    (lambda c, f: (Clip(joints_m=c.joints_m, fps=30.0, meta=c.meta), f), "'c0000': 30.0 fps"),
])
def test_bad_input_names_the_clip_and_writes_nothing(tmp_path, clips, bad, message):
    clip, f = bad(clips[0][0], clips[1][0])
    store = ClipStore.create(tmp_path / "s")
    with pytest.raises(ShapeError, match=message):
        store.append([clip, *clips[0][1:3]], [f, *clips[1][1:3]])
    assert len(ClipStore.open(tmp_path / "s")) == 0


def test_unknown_part_caption_is_refused_not_dropped(tmp_path, clips):
    clip, f = clips[0][0], clips[1][0]
    clip.captions.parts["hands"] = "fingers wiggle"
    with pytest.raises(StoreError, match=r"'c0000': part captions \['hands'\] have no manifest column"):
        ClipStore.create(tmp_path / "s").append([clip], [f])


def test_not_a_store_and_damaged_stores_raise_store_error(tmp_path, clips):
    with pytest.raises(StoreError, match="no such directory"):
        ClipStore.open(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(StoreError, match="not a clip store"):
        ClipStore.open(tmp_path / "empty")
    store = ClipStore.create(tmp_path / "s")
    with pytest.raises(StoreError, match="already exists"):
        ClipStore.create(tmp_path / "s")
    assert ClipStore.create(tmp_path / "s", exist_ok=True).path == store.path
    with pytest.raises(StoreError, match="not an empty directory"):
        ClipStore.create(tmp_path / "s" / "shards" / ".." / "store.json")

    store.append(clips[0][:4], clips[1][:4])
    info = json.loads((tmp_path / "s" / "store.json").read_text())
    (tmp_path / "s" / "store.json").write_text(json.dumps({**info, "version": 99}))
    with pytest.raises(StoreError, match="version 99"):
        ClipStore.open(tmp_path / "s")
    (tmp_path / "s" / "store.json").write_text(json.dumps(info))

    feats_file = tmp_path / "s" / "shards" / "shard-00000.features.npy"
    np.save(feats_file, np.load(feats_file)[:10])  # truncated array
    with pytest.raises(StoreError, match=r"shard-00000.features.npy: array float32\(10, 263\)"):
        ClipStore.open(tmp_path / "s").features(0)
    feats_file.unlink()
    with pytest.raises(StoreError, match="without its features array"):
        ClipStore.open(tmp_path / "s")


def test_summary_counts_hours_and_lengths(tmp_path, clips):
    clip_list, feats = clips
    store = ClipStore.create(tmp_path / "s")
    store.append(clip_list, feats)
    info = summary(store)
    frames = sum(c.num_frames for c in clip_list)
    assert info["clips"] == 30 and info["frames"] == frames
    assert info["hours"] == pytest.approx(frames / 20 / 3600)
    assert info["per_subset"] == {"s0": 10, "s1": 10, "s2": 10} and info["per_split"] == {"": 30}
    secs = np.array([c.seconds for c in clip_list])
    counts = info["length_histogram"]["counts"]
    assert sum(counts) == 30 and counts[:3] == [int((secs < 2).sum()), int(((secs >= 2) & (secs < 4)).sum()),
                                                int(((secs >= 4) & (secs < 6)).sum())]


def test_store_pickles_without_its_memory_maps(tmp_path, clips):
    store = ClipStore.create(tmp_path / "s")
    store.append(*clips)
    store.features(0), store.joints(29)  # open the maps
    blob = pickle.dumps(store)
    assert len(blob) < 20_000  # manifest only, not the ~1 MB of arrays
    np.testing.assert_array_equal(pickle.loads(blob).features(29), clips[1][29])
