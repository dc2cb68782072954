"""Bad-input corpus, HumanML3D folders (``motionbase import humanml3d``): one broken sample among good ones,
or a folder broken as a whole. A pickle inside an .npy is never unpickled."""

import json

import pytest

from .badinput import humanml3d as hml
from .badinput.support import DATA_LOST, assert_clean, assert_no_leftovers, cli, store_ids

KNOWN: dict[str, str] = {}  # case -> reason, while a defect is open


def _param(name):
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN[name])] if name in KNOWN else []
    return pytest.param(name, id=name, marks=marks)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", [_param(n) for n in hml.CASES])
def test_humanml3d_case(case, tmp_path):
    folder = hml.make_case(case, tmp_path)
    store, report = tmp_path / "store", tmp_path / "report.json"
    o = cli("import", "humanml3d", folder, "--out", store, "--report", report)
    level = hml.CASES[case].level
    assert not (tmp_path / "PICKLE-LOADED").exists(), "an object array inside an .npy was unpickled"
    if level == "folder":
        assert_clean(o, (2,))
        assert not (store / "shards").exists() or store_ids(store) == [], "a refused folder stored clips"
        return
    assert_clean(o, (0,) if level == "valid" else (1,))
    ids = set(store_ids(store))
    assert {"000000", "000612"} <= ids, f"{DATA_LOST}: good samples missing from the store: {ids}"
    assert (hml.VICTIM in ids) == (level == "valid")
    if level == "sample":
        failed = json.loads(report.read_text())["failed"]
        assert len(failed) == 1 and hml.VICTIM in next(iter(failed.values())), failed
    assert_no_leftovers(store)
