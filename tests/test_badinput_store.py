"""Bad-input corpus, clip stores: a damaged store given to ``info``, ``export bvh``, ``export humanml3d`` and an
``import`` that appends to it. Expected: one line (exit 2), or a per-clip failure report (exit 1); never a
traceback, never a file outside ``--out``, and the store's files exactly as they were."""

import pytest

from .badinput import stores
from .badinput.support import DATA_LOST, assert_clean, assert_intact, assert_no_leftovers, cli, snapshot

COMMANDS = ("info", "export-bvh", "export-humanml3d", "import-into")
KNOWN: dict[tuple[str, str], str] = {}  # (case, command) -> reason, while a defect is open


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    return stores.build_good(tmp_path_factory.mktemp("good") / "store")


def _params():
    for name in stores.CASES:
        for command in COMMANDS:
            marks = [pytest.mark.xfail(strict=True, reason=KNOWN[name, command])] if (name, command) in KNOWN else []
            yield pytest.param(name, command, id=f"{name}-{command}", marks=marks)


def _outside(root, out, store):
    return sorted(str(p) for p in root.rglob("*") if p.is_file() and not p.is_relative_to(out)
                  and not p.is_relative_to(store))


@pytest.mark.timeout(90)
@pytest.mark.parametrize("case,command", _params())
def test_store_case(case, command, good, tmp_path, monkeypatch):
    work = tmp_path / "deep" / "er" / "work"  # ids like ../../x must have room to land outside --out here
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    store = stores.make_case(case, good, work)
    before = snapshot(store)
    out = work / "out"
    if command == "info":
        o = cli("info", store)
    elif command == "export-bvh":
        o = cli("export", "bvh", store, "--out", out)
    elif command == "export-humanml3d":
        o = cli("export", "humanml3d", store, "--out", out)
    else:
        o = cli("import", "bvh", stores.DATA / "bvh" / "cmu" / "131_01.bvh", "--out", store)
    assert_clean(o, stores.expected_codes(case, command))
    escaped = _outside(tmp_path, out, store)
    assert not escaped, f"files written outside --out: {escaped}"
    if command == "import-into" and o.code == 0:  # appended as a new shard; what was there is untouched
        assert_intact(store, before, ignore=("writer.lock", "shard-00001.parquet", "shard-00001.features.npy",
                                              "shard-00001.joints.npy"))
    else:  # reading never changes a store; a refused append leaves it as it was
        assert_intact(store, before)
    assert_no_leftovers(store, out)
    if command == "export-humanml3d" and o.code == 2:
        assert not out.exists() or not any(out.iterdir()), f"{DATA_LOST}: a refused export left {list(out.iterdir())}"
