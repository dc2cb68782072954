"""The default models' training store: Bandai takes -> captioned (whole + parts), labelled, split."""

import pytest

from motionbase.data import ClipStore
from motionbase.data.labels import CONTENT_PHRASES
from motionbase.defaults.data import build_bandai_store
from motionbase.demo import sample_bvh_files
from motionbase.errors import MotionbaseError

from .conftest import DATA


def test_bandai_store_has_labels_captions_parts_and_splits(tmp_path):
    files = sorted({p.name: p for p in [*sample_bvh_files(), *(DATA / "bvh" / "bandai").rglob("*.bvh")]}.values())
    store = build_bandai_store(files, tmp_path / "s", ratios=(0.5, 0.25, 0.25))
    assert len(store) == len(files) == 8
    for i in range(len(store)):
        clip = store.clip(i)
        content = clip.meta.id.split("_")[1]
        assert clip.meta.labels["content"] == content == clip.meta.subset
        assert clip.meta.labels["style"] == clip.meta.id.split("_")[2]
        assert len(clip.captions.whole) == 3
        assert all(any(v in c for v in CONTENT_PHRASES[content]) for c in clip.captions.whole), clip.captions.whole
        assert set(clip.captions.parts) == {"upper_body", "lower_body"}
    assert sum(len(store.split(s)) for s in ("train", "val", "test")) == 8
    again = build_bandai_store(files, tmp_path / "s", ratios=(0.5, 0.25, 0.25))  # resumes: nothing added twice
    assert sorted(again.ids) == sorted(store.ids)


def test_a_broken_take_is_named(tmp_path):
    bad = tmp_path / "dataset-2_walk_normal_999.bvh"
    bad.write_text("HIERARCHY\nROOT Hips\n{\n")
    with pytest.raises(MotionbaseError, match="1 Bandai files failed to import"):
        build_bandai_store([bad], tmp_path / "s")
