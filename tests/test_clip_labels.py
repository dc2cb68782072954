"""One reader of a clip's labels (:mod:`motionbase.data.labels`) and its callers' outputs on the fixtures.

The golden values were recorded on main (f92f31c) before the readers became one: the ood experiment's and the
tokenizer hold-out's contents, the stratified splits, the evaluator's label keys and caption tokens, the
length filter's default. They must not move.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from motionbase.data import ClipStore, assign_splits
from motionbase.data.labels import REQUIRED, clip_labels, contents, label_values, parse_labels
from motionbase.data.length_filter import default_on
from motionbase.errors import MotionbaseError
from motionbase.evaluate.store_data import captioned_clips
from motionbase.experiments import ood
from motionbase.formats.humanml3d import read_humanml3d
from motionbase.tokenizer import holdout

from .conftest import DATA
from .test_store_fixtures import CONTENTS, STYLES, real_clips


def digest(obj) -> str:
    return hashlib.sha1(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:16]


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """48 real clips: content walk/run/kick (clip i: CONTENTS[i % 3], subset s{i % 3}), style happy/tired."""
    clips, feats = real_clips(48, subsets=3)
    store = ClipStore.create(tmp_path_factory.mktemp("labels") / "real")
    store.append(clips, features=feats)
    return store


@pytest.fixture(scope="module")
def hml(tmp_path_factory):
    """The HumanML3D fixture folder imported: labels split and tokens, no content."""
    store = ClipStore.create(tmp_path_factory.mktemp("labels") / "hml")
    with store.writer() as writer:
        for clip, feats in read_humanml3d(DATA / "humanml3d"):
            writer.add(clip, feats)
    store.reload()
    return store


def test_the_reader_and_its_policy_for_a_missing_label(real, tmp_path):
    labels = clip_labels(real)
    assert labels == [{"content": CONTENTS[i % 3], "style": STYLES[(i // 3) % 2]} for i in range(48)]
    assert contents(real) == label_values(real, "content") == [CONTENTS[i % 3] for i in range(48)]
    clips, feats = real_clips(2)
    clips[1].meta.labels = {"style": "happy"}
    clips[1].meta.id = "no-content"
    store = ClipStore.create(tmp_path / "s")
    store.append(clips, features=feats)
    assert contents(store) == ["walk", ""]
    assert label_values(store, "content", missing="?") == ["walk", "?"]
    with pytest.raises(MotionbaseError, match=r"clip 'no-content': no label 'content' to group by "
                                              r"\(labels: \['style'\]\)"):
        label_values(store, "content", missing=REQUIRED, purpose="to group by")
    assert parse_labels('{"content": "run"}') == {"content": "run"}
    assert parse_labels(None) == parse_labels("") == parse_labels("not json") == parse_labels("[1]") == {}


def test_the_callers_give_what_they_gave_before(real, hml):
    # the ood experiment and the tokenizer hold-out now share one meaning of a content: the `content` label
    assert ood.contents is holdout.contents is contents
    assert digest(ood.contents(real)) == "22bb0f7b34550a94" and ood.held_out_contents(real) == ["kick"]
    assert ood.contents(hml) == ["", "", ""]
    assert default_on(hml) and not default_on(real)
    assert digest(captioned_clips(real, None).labels) == "aad966818fd637fb"
    assert captioned_clips(hml, None).labels is None
    assert digest(captioned_clips(hml, None).tokens) == "4e87677b1e52e094"
    assert digest([hml.clip(i).meta.labels for i in range(len(hml))]) == "d5f33d70c492097f"
    for stratify, want in ((("content", "style"), "3de900cca81b81ee"), ("content", "45b5b4d631c17b51"),
                           ("subset", "931a98dd9376f113"), (("subset", "style"), "40305a31638f7e72")):
        assign_splits(real, (0.5, 0.25, 0.25), seed=3, stratify=stratify)
        assert digest(dict(zip(real.ids, real.manifest().column("split").to_pylist()))) == want, stratify
    with pytest.raises(MotionbaseError, match=r"^clip 'c0000': no label 'mood' to stratify by \(labels: "
                                              r"\['content', 'style'\]\)$"):
        assign_splits(real, stratify=("content", "mood"))
    assign_splits(real, (0.5, 0.25, 0.25), seed=0, stratify=("content", "style"))
    assert digest(ood.contents(real.split("test"))) == "351d302d425fac0d"
    # the hold-out read the `subset` column: here subset s1 files exactly the `run` clips, so the views are the same
    split = holdout.holdout_split(real, ["run"])
    assert digest([sorted(split.train.ids), sorted(split.in_domain.ids), sorted(split.unseen.ids)]) == \
        "00c8a684e2ac0a7c"
