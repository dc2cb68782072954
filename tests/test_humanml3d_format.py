"""HumanML3D folder import/export on the real fixture folder (tests/data/humanml3d, see SOURCES_fixtures.md)."""

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from motionbase.clip import Captions, Clip, ClipMeta
from motionbase.errors import FormatError
from motionbase.features.humanml3d import features_to_joints
from motionbase.formats.humanml3d import (
    mirror_id, mirror_text_line, parse_text_line, read_humanml3d, read_humanml3d_stats, read_splits,
    read_text_file, span_id, write_humanml3d,
)
from motionbase.formats.text_tokens import RuleTagger

from .conftest import DATA, load_hml

HML = DATA / "humanml3d"
KICK = "a man kicks something or someone with his left leg.#a/DET man/NOUN kick/VERB something/PRON " \
       "or/CCONJ someone/PRON with/ADP his/DET left/ADJ leg/NOUN#0.0#0.0"


@pytest.fixture
def folder(tmp_path) -> Path:
    """The fixture folder plus split files and two sub-span captions (one too late in the clip)."""
    root = tmp_path / "hml"
    shutil.copytree(HML, root)
    (root / "train.txt").write_text("000000\n012314\n")
    (root / "test.txt").write_text("000612\n")
    with open(root / "texts" / "000000.txt", "a") as f:
        f.write("a man lifts his left leg#a/DET man/NOUN lift/VERB his/DET left/ADJ leg/NOUN#1.0#3.5\n")
        f.write("he kicks#he/PRON kick/VERB#nan#nan\n")
        f.write("he stands still#he/PRON stand/VERB still/ADV#9.0#12.0\n")  # clip is 5.8 s: skipped
    return root


def read_all(root, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        items = list(read_humanml3d(root, **kw))
    return items, [str(w.message) for w in caught]


def test_read_fixture_folder():
    items, _ = read_all(HML)
    assert [c.meta.id for c, _ in items] == ["000000", "000612", "012314"]
    by_id = {c.meta.id: (c, f) for c, f in items}
    clip, feats = by_id["000000"]
    # features are HumanML3D's own (float64 in this early file), joints come from new_joints
    np.testing.assert_array_equal(feats, load_hml("000000", "new_joint_vecs"))
    assert feats.dtype == np.float64
    np.testing.assert_array_equal(clip.joints_m, load_hml("000000", "new_joints"))
    assert clip.fps == 20.0 and clip.meta.source == "humanml3d" and clip.meta.labels["split"] == ""
    assert clip.captions.whole[0] == "a man kicks something or someone with his left leg."
    assert len(clip.captions.whole) == 4
    assert clip.meta.labels["tokens"].split("\n")[3] == "he/PRON is/AUX fly/VERB kick/NOUN with/ADP his/DET left/ADJ leg/NOUN"
    # 000612 has no new_joints: recovered from its features
    clip, feats = by_id["000612"]
    assert clip.joints_m.shape == (199, 22, 3) and clip.joints_m.dtype == np.float32
    np.testing.assert_allclose(clip.joints_m, features_to_joints(feats), atol=1e-6)
    assert clip.captions.whole == []
    clip.validate()


def test_splits_and_spans(folder):
    items, warned = read_all(folder)
    ids = [c.meta.id for c, _ in items]
    assert ids == ["000000", "A_000000", "000612", "012314"]
    assert len(warned) == 1 and "000000.txt, line 7" in warned[0] and "9.0..12.0" in warned[0]
    whole, span = items[0], items[1]
    assert whole[0].meta.labels["split"] == "train" and items[2][0].meta.labels["split"] == "test"
    assert len(whole[0].captions.whole) == 5  # 4 originals + the nan#nan line (whole clip, as in HumanML3D)
    clip, feats = span
    assert clip.captions.whole == ["a man lifts his left leg"]
    assert (clip.meta.frame_start, clip.meta.frame_end) == (20, 70)  # int(1.0 * 20) : int(3.5 * 20)
    np.testing.assert_array_equal(feats, whole[1][20:70])
    np.testing.assert_array_equal(clip.joints_m, whole[0].joints_m[20:70])
    assert clip.meta.labels == {"split": "train", "parent": "000000", "start_s": "1.0", "end_s": "3.5",
                                "tokens": "a/DET man/NOUN lift/VERB his/DET left/ADJ leg/NOUN"}
    test_only, _ = read_all(folder, split="test")
    assert [c.meta.id for c, _ in test_only] == ["000612"]
    assert [c.meta.id for c, _ in read_all(folder, spans=False)[0]] == ["000000", "000612", "012314"]


def assert_same_items(a, b):
    assert [c.meta.id for c, _ in a] == [c.meta.id for c, _ in b]
    for (ca, fa), (cb, fb) in zip(a, b):
        assert fa.dtype == fb.dtype
        np.testing.assert_array_equal(fa, fb)
        np.testing.assert_array_equal(ca.joints_m, cb.joints_m)
        assert ca.captions == cb.captions
        assert {k: v for k, v in ca.meta.labels.items()} == cb.meta.labels
        assert (ca.meta.frame_start, ca.meta.frame_end) == (cb.meta.frame_start, cb.meta.frame_end)


def test_round_trip(folder, tmp_path):
    items, _ = read_all(folder)
    stats = read_humanml3d_stats(folder)
    out = write_humanml3d(items, tmp_path / "out", mean=stats.mean, std=stats.std)
    again, warned = read_all(out)
    assert not warned  # the span past the clip's end was not read, so not written
    assert_same_items(items, again)
    assert read_splits(out) == {"000000": "train", "012314": "train", "000612": "test"}
    assert (out / "texts" / "000000.txt").read_text().splitlines()[0] == KICK
    np.testing.assert_array_equal(np.load(out / "Std.npy"), np.load(HML / "Std.npy"))
    assert read_humanml3d_stats(out) == stats
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hml", "out"]  # no temporary folder left


def test_write_refuses_existing_folder_unless_overwrite(tmp_path):
    items, _ = read_all(HML)
    stats = read_humanml3d_stats(HML)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(FormatError, match="not empty"):
        write_humanml3d(items, out, mean=stats.mean, std=stats.std)
    assert (out / "keep.txt").exists()
    write_humanml3d(items[:1], out, mean=stats.mean, std=stats.std, overwrite=True)
    assert not (out / "keep.txt").exists() and [c.meta.id for c, _ in read_all(out)[0]] == ["000000"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_write_new_clip_computes_features_and_tags_captions(tmp_path):
    joints = load_hml("012314", "new_joints")[:60]
    clip = Clip(joints, captions=Captions(whole=["a person swings a racket with the right arm"]),
                meta=ClipMeta(id="new01", labels={"split": "val"}))
    stats = read_humanml3d_stats(HML)
    out = write_humanml3d([(clip, None)], tmp_path / "out", mean=stats.mean, std=stats.std, tagger=RuleTagger())
    (got, feats), = read_all(out)[0]
    assert feats.shape == (59, 263) and feats.dtype == np.float32
    # new_joints holds the joints recovered from the features, as HumanML3D's files do
    np.testing.assert_allclose(got.joints_m, features_to_joints(feats.astype(np.float64)), atol=1e-6)
    line = (out / "texts" / "new01.txt").read_text()
    assert line == "a person swings a racket with the right arm#a/DET person/NOUN swing/VERB a/DET " \
                   "racket/NOUN with/ADP the/DET right/ADJ arm/NOUN#0.0#0.0\n"
    assert (out / "val.txt").read_text() == "new01\n"


def test_span_without_parent_is_written_as_its_own_clip(folder, tmp_path):
    items, _ = read_all(folder)
    span = [it for it in items if it[0].meta.id == "A_000000"]
    stats = read_humanml3d_stats(folder)
    out = write_humanml3d(span, tmp_path / "out", mean=stats.mean, std=stats.std)
    (clip, feats), = read_all(out)[0]
    assert clip.meta.id == "A_000000" and feats.shape == (50, 263)
    assert (out / "texts" / "A_000000.txt").read_text().endswith("#0.0#0.0\n")


def test_write_rejects_mismatched_features(tmp_path):
    clip = Clip(load_hml("012314", "new_joints"), meta=ClipMeta(id="x"))
    stats = read_humanml3d_stats(HML)
    with pytest.raises(FormatError, match=r"clip x: features have shape \(169, 263\)"):
        write_humanml3d([(clip, load_hml("012314", "new_joint_vecs")[1:])], tmp_path / "o", mean=stats.mean, std=stats.std)
    assert not any(tmp_path.iterdir())


# --- bad input -------------------------------------------------------------------------------

def _break(root: Path, how: str) -> str:
    """Damage a copy of the fixture folder; returns a regex the error message must match."""
    if how == "no_vecs":
        shutil.rmtree(root / "new_joint_vecs")
        return r"new_joint_vecs: missing folder"
    if how == "no_texts":
        shutil.rmtree(root / "texts")
        return r"texts: missing folder"
    if how == "stray_joints":
        np.save(root / "new_joints" / "999999.npy", np.zeros((5, 22, 3), np.float32))
        return r"new_joints/999999.npy: no matching new_joint_vecs/999999.npy"
    if how == "stray_text":
        (root / "texts" / "999999.txt").write_text(KICK + "\n")
        return r"texts/999999.txt: no matching"
    if how == "split_unknown_id":
        (root / "val.txt").write_text("000000\n123456\n")
        return r"val.txt, line 2: id 123456 has no new_joint_vecs/123456.npy"
    if how == "split_twice":
        (root / "train.txt").write_text("000000\n")
        (root / "test.txt").write_text("012314\n000000\n")
        return r"test.txt, line 2: id 000000 is already listed in train.txt line 1"
    if how == "vecs_width":
        np.save(root / "new_joint_vecs" / "000612.npy", np.zeros((10, 262), np.float32))
        return r"000612.npy: features have shape \(10, 262\)"
    if how == "joints_length":
        np.save(root / "new_joints" / "012314.npy", load_hml("012314", "new_joints")[:-1])
        return r"new_joints/012314.npy: joints have shape \(169, 22, 3\).*expected \(170, 22, 3\)"
    if how == "nan":
        a = load_hml("012314", "new_joint_vecs").copy()
        a[17, 5] = np.nan
        np.save(root / "new_joint_vecs" / "012314.npy", a)
        return r"012314.npy, frame 17: NaN/inf in features"
    if how == "pickle":
        np.save(root / "new_joint_vecs" / "000612.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
        return r"000612.npy: not a readable .npy array"
    lines = {
        "three_fields": ("a man kicks#a/DET man/NOUN kick/VERB#0.0", r"line 5: expected 4 '#'-separated fields.*got 3"),
        "five_fields": ("a man # kicks#a/DET#0.0#0.0", r"line 5: expected 4 '#'-separated fields.*got 5"),
        "start_text": ("a man kicks#a/DET man/NOUN#zero#0.0", r"line 5: start time 'zero' is not a number"),
        "negative": ("a man kicks#a/DET man/NOUN#-1.0#2.0", r"line 5: start time '-1.0' must be .* >= 0"),
        "empty_span": ("a man kicks#a/DET man/NOUN#2.0#1.0", r"line 5: span 2.0..1.0 s is empty"),
        "token": ("a man kicks#a/DET man kick/VERB#0.0#0.0", r"line 5: token 'man' is not word/POS"),
    }
    text, pattern = lines[how]
    with open(root / "texts" / "000000.txt", "a") as f:
        f.write(text + "\n")
    return r"texts/000000.txt, " + pattern


BAD = ["no_vecs", "no_texts", "stray_joints", "stray_text", "split_unknown_id", "split_twice", "vecs_width",
       "joints_length", "nan", "pickle", "three_fields", "five_fields", "start_text", "negative", "empty_span", "token"]


@pytest.mark.parametrize("how", BAD)
def test_bad_folder_raises_one_line_format_error(tmp_path, how):
    root = tmp_path / "hml"
    shutil.copytree(HML, root)
    pattern = _break(root, how)
    with pytest.raises(FormatError, match=pattern) as err:
        list(read_humanml3d(root))
    assert "\n" not in str(err.value) and str(root) in str(err.value)


def test_missing_root_and_skip_invalid(tmp_path):
    with pytest.raises(FormatError, match="no such folder"):
        list(read_humanml3d(tmp_path / "nope"))
    root = tmp_path / "hml"
    shutil.copytree(HML, root)
    _break(root, "nan")
    items, warned = read_all(root, skip_invalid=True)
    assert [c.meta.id for c, _ in items] == ["000000", "000612"]
    assert len(warned) == 1 and "frame 17" in warned[0]


def test_stats_file_errors(tmp_path):
    root = tmp_path / "hml"
    shutil.copytree(HML, root)
    np.save(root / "Std.npy", np.ones(262, np.float32))
    with pytest.raises(FormatError, match=r"Std.npy: shape \(262,\)"):
        read_humanml3d_stats(root)
    (root / "Mean.npy").unlink()
    with pytest.raises(FormatError, match=r"Mean.npy: missing"):
        read_humanml3d_stats(root)


# --- text lines, ids, mirroring ---------------------------------------------------------------

def test_text_lines():
    lines = read_text_file(HML / "texts" / "000000.txt")
    assert len(lines) == 4 and all(ln.whole for ln in lines)
    raw = (HML / "texts" / "000000.txt").read_text().splitlines()
    assert [ln.format() for ln in lines] == raw
    span = parse_text_line("turns#turn/VERB#0.5#2")
    assert (span.whole, span.start_s, span.end_s, span.format()) == (False, 0.5, 2.0, "turns#turn/VERB#0.5#2")
    assert parse_text_line("x#x/X#0.0#nan").whole  # HumanML3D reads nan as 0.0


def test_mirror_ids_and_lines():
    assert mirror_id("000000") == "M000000" and mirror_id("M000000") == "000000"
    m = mirror_text_line(parse_text_line(KICK))
    assert m.caption == "a man kicks something or someone with his right leg."
    assert m.tokens.endswith("his/DET right/ADJ leg/NOUN")
    assert mirror_text_line(m).format() == KICK


def test_span_ids():
    assert [span_id("000001", i) for i in (0, 1, 22, 23, 24, 23 + 23 * 23)] == [
        "A_000001", "B_000001", "W_000001", "AA_000001", "AB_000001", "AAA_000001"]


@pytest.mark.filterwarnings("ignore:.*span 9.0..12.0 s")
def test_cli_commands(folder, tmp_path):
    from typer.testing import CliRunner

    from motionbase.cli import app
    from motionbase.features.stats import FeatureStats

    run = CliRunner().invoke
    res = run(app, ["humanml3d", "check", str(folder)])
    assert res.exit_code == 0, res.output
    assert "train: 2 clips, 1 span samples, 6 captions" in res.output and "test: 1 clips" in res.output
    res = run(app, ["humanml3d", "stats", str(folder), str(tmp_path / "st"), "--kind", "t2m_evaluator"])
    assert res.exit_code == 0, res.output
    assert FeatureStats.load(tmp_path / "st").kind == "t2m_evaluator"
    res = run(app, ["humanml3d", "tag", "a man kicks with his left leg", "--tagger", "rules"])
    assert res.output.strip() == "a/DET man/NOUN kick/VERB with/ADP his/DET left/ADJ leg/NOUN"
