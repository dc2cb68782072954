import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from motionbase.data import ClipStore, FeatureWindowDataset, LengthBucketSampler, assign_splits, collate_padded
from motionbase.errors import StoreError
from motionbase.features.stats import FeatureStats

from .test_store_fixtures import HML, real_clips


def hml_stats() -> FeatureStats:
    """HumanML3D's own Mean/Std (tests/data)."""
    return FeatureStats(np.load(HML / "Mean.npy"), np.load(HML / "Std.npy"))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = ClipStore.create(tmp_path_factory.mktemp("ds") / "s")
    clip_list, feats = real_clips(60)
    store.append(clip_list, feats, shard_size=25)
    assign_splits(store, seed=0)
    return store


def test_windows_are_normalised_cropped_and_padded(store):
    stats = hml_stats()
    ds = FeatureWindowDataset(store, window=48, split="train", stats=stats, random_crop=False)
    assert len(ds) == 48
    train = store.split("train")
    lengths = train.feature_frames
    assert (lengths > 48).any() and (lengths < 48).any()  # both cases are exercised
    for i in range(len(ds)):
        item = ds[i]
        raw = train.features(i)
        n = min(len(raw), 48)
        assert item["features"].shape == (48, 263) and item["features"].dtype == torch.float32
        assert item["length"] == n and item["id"] == train.id(i)
        expected = (raw[:n] - np.load(HML / "Mean.npy")) / np.load(HML / "Std.npy")
        np.testing.assert_allclose(item["features"][:n].numpy(), expected, rtol=1e-5, atol=1e-6)
        assert not item["features"][n:].any()


def test_random_crops_are_real_windows_seeded_per_epoch(store):
    ds = FeatureWindowDataset(store, window=20, split=None, seed=7)
    long = int(np.argmax(ds.store.feature_frames))
    raw = np.asarray(store.features(long))
    starts = []
    for epoch in range(6):
        ds.set_epoch(epoch)
        window = ds[long]["features"].numpy()
        hit = [s for s in range(len(raw) - 19) if np.array_equal(raw[s:s + 20], window)]
        assert hit, "a crop must be a contiguous window of the clip"
        starts.append(hit[0])
        again = FeatureWindowDataset(store, window=20, split=None, seed=7)
        again.set_epoch(epoch)
        assert torch.equal(again[long]["features"], ds[long]["features"])
    assert len(set(starts)) > 1


def test_whole_clips_collate_with_lengths_and_mask(store):
    ds = FeatureWindowDataset(store, window=None, split="val", min_length=30)
    assert len(ds) == int((store.split("val").feature_frames >= 30).sum())
    batch = collate_padded([ds[i] for i in range(len(ds))])
    lengths = batch["lengths"]
    assert batch["features"].shape == (len(ds), int(lengths.max()), 263)
    assert torch.equal(batch["mask"].sum(1), lengths)
    for b in range(len(ds)):
        np.testing.assert_array_equal(batch["features"][b, : lengths[b]].numpy(), ds.store.features(b))
        assert not batch["features"][b, lengths[b]:].any()
    assert batch["ids"] == ds.store.ids


def test_bucket_sampler_covers_everything_once_with_less_padding():
    lengths = np.random.default_rng(0).integers(40, 200, size=1000)  # HumanML3D-like 2-10 s clips
    sampler = LengthBucketSampler(lengths, batch_size=32, pool_batches=10, seed=1)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 32
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(1000))
    assert all(len(b) == 32 for b in batches if len(b) != 1000 % 32)

    def padding(batches):
        return sum(lengths[b].max() * len(b) - lengths[b].sum() for b in batches) / lengths.sum()

    random_batches = np.array_split(np.random.default_rng(1).permutation(1000), 32)
    assert padding(batches) < 0.1 < padding(random_batches)  # ~8 % vs ~60 %
    assert [b for b in sampler] == batches  # same seed, same epoch
    sampler.set_epoch(1)
    assert [b for b in sampler] != batches
    dropped = LengthBucketSampler(lengths, batch_size=32, pool_batches=10, drop_last=True)
    assert len(list(dropped)) == len(dropped) == 31 and all(len(b) == 32 for b in dropped)


def test_dataloader_with_bucketing_and_workers(store):
    ds = FeatureWindowDataset(store, window=None, split="train", stats=hml_stats())
    loader = DataLoader(ds, batch_sampler=LengthBucketSampler(ds, batch_size=8, seed=0),
                        collate_fn=collate_padded, num_workers=2)
    seen = []
    for batch in loader:
        assert batch["features"].shape[:2] == batch["mask"].shape
        assert batch["features"].shape[1] == int(batch["lengths"].max())
        seen += batch["ids"]
    assert sorted(seen) == sorted(ds.store.ids)


def test_unknown_split_is_a_store_error(store):
    with pytest.raises(StoreError, match="no clips in split 'training'"):
        FeatureWindowDataset(store, split="training")
