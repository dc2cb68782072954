"""Bad-input corpus, BVH: each hostile file imported in a batch beside a good one (``motionbase import bvh``).

Expected for a bad file: exit 1, the good clip stored, the bad file in the report's ``failed`` with one line
that names it, no traceback, no temp file left. A valid-but-odd file (CRLF, tabs) is stored.
"""

import json

import pytest

from .badinput import bvh
from .badinput.support import DATA_LOST, assert_clean, assert_no_leftovers, cli, store_ids

# case -> reason, while a defect is open (reported to its fixer with a repro); empty: all fixed.
KNOWN: dict[str, str] = {}


def _param(name):
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN[name])] if name in KNOWN else []
    return pytest.param(name, id=name, marks=marks)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", [_param(n) for n in bvh.CASES])
def test_bvh_case(case, tmp_path):
    bad = bvh.write_case(case, tmp_path / "in")
    store, report = tmp_path / "store", tmp_path / "report.json"
    o = cli("import", "bvh", bvh.GOOD, bad, "--out", store, "--report", report)
    valid = bvh.CASES[case].valid
    assert_clean(o, (0,) if valid else (1,))
    ids = store_ids(store)
    assert bvh.GOOD.stem in ids, f"{DATA_LOST}: the good file of the batch is not stored"
    assert len(ids) == (2 if valid else 1), ids
    data = json.loads(report.read_text())
    if not valid:
        assert list(data["failed"]) == [str(bad)]
        why = data["failed"][str(bad)]
        assert bad.name in why and "\n" not in why and "Traceback" not in why, why
        assert bad.name in o.err
        if bvh.CASES[case].says:
            assert bvh.CASES[case].says in why, f"the message does not give the {bvh.CASES[case].says}: {why}"
    assert_no_leftovers(store, tmp_path / "in")


def test_same_file_name_in_two_folders_is_not_lost(tmp_path):
    a, b = tmp_path / "a" / "take1.bvh", tmp_path / "b" / "take1.bvh"
    a.parent.mkdir(), b.parent.mkdir()
    a.write_bytes(bvh.GOOD.read_bytes())
    b.write_bytes((bvh.DATA / "bvh" / "bandai" / "handedness" / "dataset-2_wave-left-hand_normal_013.bvh").read_bytes())
    o = cli("import", "bvh", tmp_path / "a", tmp_path / "b", "--out", tmp_path / "store")
    assert_clean(o, (0, 1))
    # Either both are stored under distinct ids, or the clash is reported as a failure (exit 1).
    assert len(store_ids(tmp_path / "store")) == 2 or (o.code == 1 and "take1" in o.err), \
        f"{DATA_LOST}: {o.out} {o.err}"


def test_missing_input_leaves_no_store_behind(tmp_path):
    o = cli("import", "bvh", tmp_path / "nope.bvh", "--out", tmp_path / "store")
    assert_clean(o, (1, 2), says="nope.bvh")
    assert not (tmp_path / "store").exists()
