"""Instruction examples, templates, label masking, records on disk and the code cache."""


import numpy as np
import pytest
import torch

from motionbase.errors import CheckpointError, MotionbaseError
from motionbase.lm.codec import CodecInfo
from motionbase.lm.config import LMDataConfig
from motionbase.lm.data import (
    IGNORE_INDEX,
    CodeCache,
    Collator,
    InstructionDataset,
    cached_codes,
    labels_for,
    load_records,
    save_records,
)
from motionbase.lm.prompts import (
    MOTION_OUTPUT_TASKS,
    PROMPT_FRAME,
    ROLE_RESPONSE_MOTION,
    TEMPLATES,
    pick_template,
    templates_for,
)

from .lm_support import FakeCodec, fake_records, one_thread, tiny_lm  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def lm():
    return tiny_lm("tiny-gpt2", K=16, P=2, part_tokens="separate")


def _dataset(lm, records, canonical_sides=False, **overrides):
    data = LMDataConfig(**overrides)
    return InstructionDataset(records, lm.encoder, data, lm.example_length(data), lm.codec.codes_per_second, seed=3,
                              canonical_sides=canonical_sides)


def test_every_template_is_well_formed():
    for task, templates in TEMPLATES.items():
        assert len(templates) >= 4, task  # varied phrasing for every task
        for t in templates:
            if task in MOTION_OUTPUT_TASKS:
                assert t.response == "{motion}"  # constrained decoding relies on it
            else:
                assert t.response == "{caption}" and "motion" in t.slots
    assert pick_template("t2m", {"caption", "motion", "seconds"}).slots == {"caption", "motion", "seconds"}
    assert pick_template("t2m", {"caption", "motion"}).slots == {"caption", "motion"}
    assert all("part" in t.slots for t in templates_for("m2t", {"motion", "caption", "part"}, {"part"}))


def test_examples_cover_every_task_and_caption_level(lm):
    records = fake_records(40, K=16, P=2)
    ds = _dataset(lm, records, loss_on="whole")
    tasks, texts = set(), []
    for i in range(len(ds)):
        encoded, task = ds.example(i)
        tasks.add(task)
        assert len(encoded) <= lm.example_length(LMDataConfig())
        texts.append(lm.tokenizer.decode(encoded.ids, skip_special_tokens=True))
    assert tasks == set(TEMPLATES)
    joined = "\n".join(texts)
    assert "upper body: the arms swing" in joined  # part-level captions are used ...
    assert "What does the" in joined or "movement in" in joined or "how does the" in joined or \
        "lower body: the legs step" in joined
    assert any(c in joined for c in records[0].captions.whole + records[1].captions.whole)  # ... and whole ones
    assert PROMPT_FRAME.split("{")[0].strip() in joined  # one instruction format


def test_examples_are_reproducible_per_epoch(lm):
    ds = _dataset(lm, fake_records(8, K=16, P=2), loss_on="whole")
    first = [ds[i]["input_ids"] for i in range(8)]
    assert all(torch.equal(a, ds[i]["input_ids"]) for i, a in enumerate(first))
    ds.set_epoch(1)
    assert not all(torch.equal(a, ds[i]["input_ids"]) for i, a in enumerate(first))


def test_motion_tokens_keep_whole_steps_and_their_parts(lm):
    ds = _dataset(lm, fake_records(12, K=16, P=2), loss_on="whole")
    for i in range(len(ds)):
        encoded, _ = ds.example(i)
        ids = encoded.ids.tolist()
        starts = [k for k, t in enumerate(ids) if t == lm.vocab.start_id]
        ends = [k for k, t in enumerate(ids) if t == lm.vocab.end_id]
        assert len(starts) == len(ends) >= 1
        for s, e in zip(starts, ends):
            codes = lm.vocab.ids_to_codes(ids[s + 1:e], len(lm.tokenizer))  # raises on a wrong part
            assert codes.shape[1] == 2 and len(codes) >= 1


def test_long_motions_are_cropped_to_max_length(lm):
    records = fake_records(6, K=16, P=2, steps=(200, 300))
    ds = _dataset(lm, records, loss_on="whole")
    for i in range(len(ds)):
        encoded, task = ds.example(i)
        assert len(encoded) <= lm.example_length(LMDataConfig())
        assert (np.isin(encoded.ids, lm.vocab.code_ids)).sum() >= 2 * {"prediction": 2, "inbetween": 3}.get(task, 1)


@pytest.mark.parametrize("loss_on", ["whole", "response", "motion"])
def test_label_masking(lm, loss_on):
    ds = _dataset(lm, fake_records(30, K=16, P=2), loss_on=loss_on)
    code_ids = set(lm.vocab.all_ids.tolist())
    seen_tasks = set()
    for i in range(len(ds)):
        encoded, task = ds.example(i)
        seen_tasks.add(task)
        labels = labels_for(encoded, loss_on)
        kept = labels != IGNORE_INDEX
        assert np.array_equal(labels[kept], encoded.ids[kept])
        if loss_on == "whole":
            assert kept.all()
        elif loss_on == "motion":  # only the answer's motion tokens: no text token carries loss
            assert kept.any()
            assert set(encoded.ids[kept].tolist()) <= code_ids
            assert np.array_equal(kept, encoded.roles == ROLE_RESPONSE_MOTION)
            if task in ("prediction", "inbetween"):  # motion in the prompt is not an answer
                assert (~kept & np.isin(encoded.ids, list(code_ids))).any()
        else:
            first = int(np.argmax(kept))
            assert kept[first:].all() and not kept[:first].any()  # the answer is a suffix
            assert encoded.ids[-1] == lm.tokenizer.eos_token_id and kept[-1]
    if loss_on == "motion":
        assert "m2t" not in seen_tasks  # it would carry no loss at all


def test_collate_pads_right_and_masks_padding(lm):
    ds = _dataset(lm, fake_records(4, K=16, P=2), loss_on="whole")
    items = [ds[i] for i in range(4)]
    batch = Collator(lm.tokenizer.pad_token_id)(items)
    lengths = [len(it["input_ids"]) for it in items]
    assert batch["input_ids"].shape == (4, max(lengths))
    for row, n in enumerate(lengths):
        assert batch["attention_mask"][row].tolist() == [1] * n + [0] * (max(lengths) - n)
        assert (batch["labels"][row, n:] == IGNORE_INDEX).all()
        assert torch.equal(batch["input_ids"][row, :n], items[row]["input_ids"])


def test_uncaptioned_and_empty_records(lm):
    records = fake_records(6, K=16, P=2)
    for r in records:
        r.captions.whole, r.captions.parts = [], {}
    records[0].codes = records[0].codes[:0]
    ds = _dataset(lm, records, loss_on="whole")
    assert ds.dropped == 1 and len(ds) == 5
    assert {ds.example(i)[1] for i in range(5)} <= {"unconditional", "prediction", "inbetween"}
    with pytest.raises(MotionbaseError, match="zero motion time steps"):
        _dataset(lm, records[:1])


def test_records_round_trip(tmp_path):
    records = fake_records(5, K=16, P=3)
    back = load_records(save_records(tmp_path / "r.npz", records))
    assert [r.id for r in back] == [r.id for r in records]
    for a, b in zip(records, back):
        np.testing.assert_array_equal(a.codes, b.codes)
        assert a.captions == b.captions


def test_code_cache_encodes_once_per_tokenizer(tmp_path):
    feats = {f"c{i}": np.random.default_rng(i).normal(size=(16 + 4 * i, 12)).astype(np.float32) for i in range(5)}
    ids = list(feats)
    codec = FakeCodec(K=16, P=2)
    info = CodecInfo.of(codec)
    info = CodecInfo(info.codebook_size, info.tokens_per_step, info.codes_per_second, "a" * 64)
    cache = CodeCache(tmp_path, info)
    first = cached_codes(ids[:3], lambda i: feats[ids[i]], codec, cache, flush_every=2, progress=False)
    assert codec.calls == 3 and len(list(cache.dir.glob("part-*.npz"))) == 2
    both = cached_codes(ids, lambda i: feats[ids[i]], codec, cache, progress=False)
    assert codec.calls == 5  # only the two new clips were encoded
    for cid in ids[:3]:
        np.testing.assert_array_equal(both[cid], first[cid])
    assert both["c4"].shape == (8, 2)
    # another tokenizer checkpoint has its own cache
    other = CodeCache(tmp_path, CodecInfo(16, 2, 5.0, "b" * 64))
    assert other.load() == {}
    # a tokenizer claiming the same hash prefix but different codes is refused
    clash = CodeCache(tmp_path, CodecInfo(32, 2, 5.0, "a" * 64))
    with pytest.raises(CheckpointError, match="32 codes x 2 part"):
        clash.load()


def test_mirrored_records_swap_sides_in_codes_and_captions(tmp_path):
    from motionbase.clip import Captions
    from motionbase.data import ClipStore
    from motionbase.features.mirror import mirror_features
    from motionbase.lm.data import MIRROR_SUFFIX, records_from_store

    from .test_store_fixtures import real_clips

    clips, feats = real_clips(3)
    clips[0].captions = Captions(["a person raises the left hand."], {"upper_body": "the right arm rests."})
    store = ClipStore.create(tmp_path / "s")
    store.append(clips, feats)
    codec = FakeCodec(K=16, P=1)
    info = CodecInfo(16, 1, 5.0, "c" * 64)
    plain = records_from_store(store, codec, info, tmp_path / "cache", progress=False)
    both = records_from_store(store, codec, info, tmp_path / "cache", progress=False, mirror=True)
    assert [r.id for r in both] == [r.id for r in plain] + [r.id + MIRROR_SUFFIX for r in plain]
    m = both[len(plain)]
    assert m.captions.whole == ["a person raises the right hand."]
    assert m.captions.parts == {"upper_body": "the left arm rests."}
    first = np.asarray(store.features(0), dtype=np.float32)
    want = codec.encode(torch.from_numpy(mirror_features(first))[None])[0].numpy().reshape(-1, 1)
    np.testing.assert_array_equal(m.codes, want)
    assert not np.array_equal(m.codes, plain[0].codes)


def test_canonical_sides_condition_on_right_first_captions_only(lm):
    """With ``canonical_sides`` no text-conditioned example names "left" first; motion-to-text still does, and a
    clip whose every caption names "left" first serves no text-to-motion example (its mirrored twin does)."""
    from motionbase.clip import Captions
    from motionbase.data.text import first_side
    from motionbase.lm.data import MotionRecord

    rng = np.random.default_rng(0)
    left = Captions(["a person raises the left hand", "someone turns left"], {"upper_body": "the left arm rises"})
    mixed = Captions(["a person waves the right hand", "a person waves the left hand"], {})
    records = [MotionRecord(f"l{i}", rng.integers(0, 16, (6, 2)), left) for i in range(30)] + \
              [MotionRecord(f"m{i}", rng.integers(0, 16, (6, 2)), mixed) for i in range(30)]
    seen = {True: {}, False: {}}
    for canonical in (True, False):
        ds = _dataset(lm, records, canonical_sides=canonical, loss_on="whole",
                      task_weights={"t2m": 0.5, "m2t": 0.5, "unconditional": 0.0, "prediction": 0.0, "inbetween": 0.0})
        for epoch in range(3):
            ds.set_epoch(epoch)
            for i in range(len(ds)):
                encoded, task = ds.example(i)
                text = lm.tokenizer.decode(encoded.ids, skip_special_tokens=True)
                seen[canonical].setdefault((task, records[i].id[0]), set()).add(first_side(text))
    assert seen[True][("t2m", "m")] == {"right"}  # the left caption of a mixed clip is never the condition
    assert ("t2m", "l") not in seen[True]  # all-left clips: motion-to-text only
    assert "left" in seen[True][("m2t", "l")]  # which still says "left"
    assert seen[False][("t2m", "m")] == {"left", "right"} and ("t2m", "l") in seen[False]


def test_balance_captions_repeats_the_rare_captions(lm):
    from motionbase.lm.data import MAX_BALANCE_REPEATS, Captions, MotionRecord, balanced_order

    def rec(i, caption):
        return MotionRecord(f"c{i}", np.zeros((4, 2), dtype=np.int64), Captions(whole=[caption, f"extra {i}"]))

    # 6 clips of a common caption, 3 of a middling one, 1 of a rare one, 1 with no caption at all
    records = ([rec(i, "a person walks.") for i in range(6)] + [rec(6 + i, "a person waves.") for i in range(3)]
               + [rec(9, "a person waves both hands.")]
               + [MotionRecord("bare", np.zeros((4, 2), dtype=np.int64), Captions(whole=[]))])
    order = balanced_order(records)
    times = np.bincount(order, minlength=len(records))
    assert times[:6].tolist() == [1] * 6                            # the largest group is drawn once
    assert times[6:9].tolist() == [2] * 3                           # 6 / 3
    assert times[9] == times[10] == MAX_BALANCE_REPEATS             # 6 / 1, capped
    assert sorted(set(order.tolist())) == list(range(len(records)))  # nothing dropped
    plain, balanced = _dataset(lm, records), _dataset(lm, records, balance_captions=True)
    assert len(plain) == len(records) and len(balanced) == len(order)
    # the repeats are examples of the rare record, each its own draw (seeded by its index)
    rare = [i for i, r in enumerate(order) if r == 9]
    assert {balanced.records[int(balanced.order[i])].id for i in rare} == {"c9"}
    assert len({tuple(balanced.example(i)[0].ids.tolist()) for i in rare}) > 1
    # captions unique per clip (HumanML3D-style data): no change
    unique = fake_records(12, K=16, P=2)
    assert len({r.captions.whole[0] for r in unique}) == 12
    assert balanced_order(unique).tolist() == list(range(12))
