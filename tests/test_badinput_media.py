"""Bad-input corpus, images and videos (``motionbase build-dataset`` in a child process, because these inputs
reach native code): each hostile file alone, then a mixed batch over 2 worker processes.

Expected: exit 0 (used, e.g. a grayscale photo of a person) or 1 (refused, listed in the report with one line
naming it); never a signal death, never a traceback; the report written; no temp file in the store.
"""

import json

import pytest

from .badinput import media
from .badinput.support import DATA_LOST, assert_clean, assert_no_leftovers, proc, store_ids
from .pipeline_support import needs_mediapipe

pytestmark = needs_mediapipe
SLOW = {("video", "huge-dims"), ("video", "truncated")}  # seconds of decoding each


def _params():
    for kind, table in (("image", media.IMAGES), ("video", media.VIDEOS)):
        for name in table:
            marks = [pytest.mark.slow] if (kind, name) in SLOW else []
            yield pytest.param(kind, name, id=f"{kind}-{name}", marks=marks)


def _build(tmp_path, *inputs, workers: int = 1):
    store = tmp_path / "store"
    o = proc("build-dataset", *inputs, "--out", store, "--captioner", "none", "--max-seconds", "2",
             "--workers", workers, timeout=240)
    report = store / "pipeline" / "report.json"
    assert report.is_file(), f"no report written:\n{o.err[-1500:]}"
    return o, store, json.loads(report.read_text())


@pytest.mark.timeout(300)
@pytest.mark.parametrize("kind,case", _params())
def test_media_case(kind, case, tmp_path):
    bad = media.make(media.IMAGES if kind == "image" else media.VIDEOS, case, tmp_path / "in")
    o, store, report = _build(tmp_path, bad)
    assert_clean(o, (0, 1))
    key = str(bad)
    assert key in report["done"] or key in report["failed"], f"the input is not in the report: {report}"
    if key in report["failed"]:
        assert o.code == 1
        why = report["failed"][key]
        assert bad.name in why and "\n" not in why and "Traceback" not in why, why
    assert_no_leftovers(store)


@pytest.mark.timeout(400)
def test_tiny_and_corrupt_inputs_among_good_ones_over_two_workers(tmp_path):
    """Issue 15 item 2's batch: tiny images and a 48 px video beside a real photo, --workers 2: the photo's
    clips are stored whatever happens to the others; every input is accounted for; a rerun skips the done."""
    inputs = [media.make(media.IMAGES, n, tmp_path / "in") for n in ("1x1", "16x16", "corrupt-png")]
    inputs += [media.make(media.VIDEOS, "48x48", tmp_path / "in"), media.PERSON]
    o, store, report = _build(tmp_path, *inputs, workers=2)
    assert_clean(o, (1,))
    assert str(media.PERSON) in report["done"], f"{DATA_LOST}: the good photo was not stored: {report['failed']}"
    accounted = set(report["done"]) | set(report["failed"])
    assert accounted == {str(p) for p in inputs}, f"{DATA_LOST}: inputs missing from the report: {report}"
    ids = store_ids(store)
    assert ids and all("basketball1" in i for i in ids), ids
    o2, _, report2 = _build(tmp_path, *inputs, workers=2)
    assert_clean(o2, (1,))
    assert str(media.PERSON) in report2["skipped"] and store_ids(store) == ids
    assert_no_leftovers(store)
