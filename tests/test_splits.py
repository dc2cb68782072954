import json
import os
from collections import Counter

import numpy as np
import pytest

from motionbase.data import ClipStore, assign_splits
from motionbase.data.splits import ratio_split, split_counts
from motionbase.errors import MotionbaseError, StoreError

from .test_store_fixtures import real_clips


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = ClipStore.create(tmp_path_factory.mktemp("splits") / "s")
    store.append(*real_clips(120), shard_size=50)
    return store


def _split_of(store):
    table = store.manifest()
    return dict(zip(table.column("id").to_pylist(), table.column("split").to_pylist()))


def test_split_counts_are_exact():
    assert split_counts(120, (0.8, 0.1, 0.1)).tolist() == [96, 12, 12]
    assert split_counts(7, (0.8, 0.1, 0.1)).tolist() == [5, 1, 1]  # 5.6, 0.7, 0.7: largest remainders
    for n in range(50):
        assert split_counts(n, (0.85, 0.05, 0.1)).sum() == n


def test_seeded_determinism_and_independence_of_append_order(store, tmp_path):
    assert assign_splits(store, seed=3) == {"train": 96, "val": 12, "test": 12}
    first = _split_of(store)
    assign_splits(store, seed=3)
    assert _split_of(store) == first
    assign_splits(store, seed=4)
    assert _split_of(store) != first

    clip_list, feats = real_clips(120)
    other = ClipStore.create(tmp_path / "reversed")
    other.append(clip_list[::-1], feats[::-1])
    assign_splits(other, seed=3)
    assert _split_of(other) == first


def test_split_view_and_persistence(store):
    assign_splits(store, seed=0)
    test = store.split("test")
    assert len(test) == 12 and test.is_view
    assert set(test.manifest().column("split").to_pylist()) == {"test"}
    for i in range(len(test)):
        np.testing.assert_array_equal(test.features(i), store.features(store.index(test.id(i))))
        assert test.clip(i).meta.id == test.id(i)
    assert test.index(test.id(5)) == 5 and test.ids[0] in test and test.ids[0] in store
    assert ClipStore.open(store.path).split("val").ids == store.split("val").ids  # written to disk
    assert not any(n.startswith(".") for n in os.listdir(store.path))  # no temp file left behind
    with pytest.raises(StoreError, match=r"no clips in split 'dev' \(splits present: 'test', 'train', 'val'"):
        store.split("dev")
    with pytest.raises(StoreError, match="view"):
        test.writer()


def test_stratified_split_keeps_each_stratum_share(store):
    assign_splits(store, (0.5, 0.25, 0.25), seed=1, stratify=("content", "style"))
    table = store.manifest()
    strata = Counter()
    per_split = Counter()
    for row in table.to_pylist():
        labels = json.loads(row["labels"])
        strata[(labels["content"], labels["style"])] += 1
        per_split[(labels["content"], labels["style"], row["split"])] += 1
    assert len(strata) == 6
    for (content, style), n in strata.items():  # 20 clips per stratum: 10 / 5 / 5 up to one clip
        for name, share in (("train", 0.5), ("val", 0.25), ("test", 0.25)):
            assert abs(per_split[(content, style, name)] - share * n) <= 1


def test_stratification_beats_chance_on_small_strata():
    ids = [f"x{i:03d}" for i in range(60)]
    strata = [f"k{i % 12}" for i in range(60)]  # 12 strata of 5 clips
    for seed in range(5):
        assignment = ratio_split(ids, (0.6, 0.2, 0.2), seed=seed, strata=strata)
        assert np.bincount(assignment).tolist() == [36, 12, 12]
        for k in range(12):
            got = np.bincount(assignment[np.array(strata) == f"k{k}"], minlength=3)
            assert np.all(np.abs(got - np.array([3, 1, 1])) <= 1)


def test_held_out_subset_is_an_unseen_split(store):
    counts = assign_splits(store, seed=0, holdout_subsets=["s2"])
    assert counts == {"train": 64, "val": 8, "test": 8, "unseen": 40}
    table = store.manifest()
    for subset, split in zip(table.column("subset").to_pylist(), table.column("split").to_pylist()):
        assert (split == "unseen") == (subset == "s2")
    assert set(store.split("unseen").manifest().column("subset").to_pylist()) == {"s2"}
    with pytest.raises(MotionbaseError, match=r"held-out subsets \['s9'\] have no clips"):
        assign_splits(store, holdout_subsets=["s9"])


def test_bad_split_arguments(store):
    with pytest.raises(MotionbaseError, match="sum to 1"):
        assign_splits(store, (0.85, 0.05, 0.15))  # the paper's 105 %
    with pytest.raises(MotionbaseError, match="no label 'mood'"):
        assign_splits(store, stratify="mood")
    assert assign_splits(store, stratify="subset")["train"] == 96  # manifest columns work as strata


def test_split_command(store):
    from typer.testing import CliRunner

    from motionbase.cli import app

    result = CliRunner().invoke(app, ["split", str(store.path), "--ratios", "0.5", "0.25", "0.25",
                                      "--stratify", "content,style", "--holdout", "s1"])
    assert result.exit_code == 0, result.output
    assert result.output.split() == ["train=40", "val=20", "test=20", "unseen=40"]
    assert len(ClipStore.open(store.path).split("unseen")) == 40
