"""Property-based fuzzing of every parser of outside data: the BVH reader (text and whole files through the
importer), HumanML3D caption lines and files, the clip store's description and manifest, and the LMM reply
parser. Property: the parser returns a sane value or raises a :class:`MotionbaseError` (ReplyError for LMM
replies) with a one-line message — nothing else, within the per-example deadline."""

import json
import shutil

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import strategies as st

from motionbase.errors import MotionbaseError

from .badinput import bvh, stores
from .badinput.fuzzing import EXAMPLES, fuzz, mutations

pytestmark = pytest.mark.timeout(300)
BVH_TEXT = bvh.GOOD.read_text()


def _one_line(exc: BaseException) -> None:
    assert "\n" not in str(exc).strip(), f"more than one line: {exc}"


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_bvh_parser(examples):
    from motionbase.formats.bvh_read import parse_bvh

    def check(text):
        try:
            data = parse_bvh(text, "fuzz.bvh")
        except MotionbaseError as exc:
            _one_line(exc)
            return
        assert np.isfinite(data.motion).all() if hasattr(data, "motion") else True

    fuzz(st.one_of(mutations(BVH_TEXT), st.text(max_size=400)), check, examples=examples)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_bvh_import(examples, tmp_path):
    """Mutated files through load_bvh (joint map, units, retargeting, plausibility): a clip of finite joints
    or one line; the file may be any bytes (not UTF-8, NUL)."""
    from motionbase.formats.bvh import load_bvh

    path = tmp_path / "fuzz.bvh"

    def check(data):
        path.write_bytes(data)
        try:
            clip = load_bvh(path)
        except MotionbaseError as exc:
            _one_line(exc)
            return
        assert np.isfinite(clip.joints_m).all() and clip.num_frames >= 1
        assert np.abs(clip.joints_m).max() < 1e3, "an implausible clip was accepted"

    data = st.one_of(mutations(BVH_TEXT).map(str.encode),
                     st.binary(max_size=300).map(lambda b: BVH_TEXT.encode()[:2000] + b))
    fuzz(data, check, examples=examples, deadline_s=10)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_humanml3d_text_lines(examples, tmp_path):
    from motionbase.formats.humanml3d import parse_text_line, read_text_file

    field = st.one_of(st.text(max_size=20), st.sampled_from(["0.0", "nan", "inf", "-1", "1e309", "3.5", ""]))
    line = st.one_of(st.text(max_size=80), st.lists(field, min_size=1, max_size=6).map("#".join))
    path = tmp_path / "t.txt"

    def check(text):
        try:
            got = parse_text_line(text, "t.txt", 3)
        except MotionbaseError as exc:
            _one_line(exc)
            assert "line 3" in str(exc)
        else:
            assert got.caption.strip() and 0 <= got.start_s and (got.whole or got.end_s > got.start_s)
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        try:
            read_text_file(path)
        except MotionbaseError as exc:
            _one_line(exc)

    fuzz(line, check, examples=examples)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                 max_size=5), max_leaves=12)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_store_description(examples, tmp_path):
    from motionbase.data.store import StoreInfo

    path = tmp_path / "store.json"
    base = {"format": "motionbase-clip-store", "version": 1}
    doc = st.one_of(JSON, st.dictionaries(st.sampled_from(["skeleton", "feature_dim", "num_joints", "fps",
                                                           "version", "feature_layout", "junk"]), JSON,
                                          max_size=4).map(lambda d: {**base, **d}))

    def check(value):
        path.write_text(json.dumps(value))
        try:
            StoreInfo.read(path)
        except MotionbaseError as exc:
            _one_line(exc)

    fuzz(doc, check, examples=examples)


@pytest.fixture(scope="module")
def good_store(tmp_path_factory):
    return stores.build_good(tmp_path_factory.mktemp("good") / "store")


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_store_manifest(examples, good_store, tmp_path):
    """Manifest rows with fuzzed ids, frame counts and array ranges: opening the store and reading every clip
    gives arrays of the recorded length, or one line."""
    from motionbase.data import ClipStore

    ints = st.integers(-10, 10_000)
    edits = st.fixed_dictionaries({}, optional={"id": st.text(max_size=12), "frames": ints, "feature_frames": ints,
                                                "feat_start": ints, "feat_stop": ints, "joint_start": ints,
                                                "joint_stop": ints, "fps": st.floats(), "shard": st.integers(-2, 3)})

    def check(edit):
        store = tmp_path / "s"
        shutil.rmtree(store, ignore_errors=True)
        shutil.copytree(good_store, store)
        part = store / f"{stores.SHARD}.parquet"
        table = pq.read_table(part)
        cols = table.to_pydict()
        for key, value in edit.items():
            cols[key][-1] = value
        pq.write_table(pa.Table.from_pydict(cols, schema=table.schema), part)
        try:
            s = ClipStore.open(store)
            frames = s.manifest().column("frames").to_pylist()
            for i in range(len(s)):
                # consistent with the manifest (a 0-frame row is refused by export: test_badinput_store.py)
                assert len(s.joints(i)) == frames[i], f"clip {i}: {len(s.joints(i))} joint frames, " \
                                                      f"manifest says {frames[i]}"
                s.features(i)
        except MotionbaseError as exc:
            _one_line(exc)

    fuzz(edits, check, examples=examples)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_lmm_reply_parser(examples):
    from motionbase.pipeline.caption.reply import ReplyError, parse_reply

    keys = st.sampled_from(["whole_body", "upper_body", "lower_body", "Whole Body", "upper", "captions", "x"])
    reply_obj = st.dictionaries(keys, JSON, max_size=4)
    markdown = st.lists(st.sampled_from(["**Upper body:**", "**Lower body:**", "Overview:", "- Arms: up", "\n",
                                         "```json", "```", "{", "}"]) | st.text(max_size=20), max_size=8).map(
        "\n".join)
    text = st.one_of(st.text(max_size=300), reply_obj.map(json.dumps), markdown,
                     reply_obj.map(lambda o: f"Sure! ```json\n{json.dumps(o)}\n```"))

    def check(t):
        try:
            caps = parse_reply(t)
        except ReplyError as exc:
            _one_line(exc)
        else:
            assert caps.whole and caps.whole[0].strip() and all(v.strip() for v in caps.parts.values())

    fuzz(text, check, examples=examples)
