"""Fault injection: a full disk (a small tmpfs) and a read-only output folder (a tmpfs remounted read-only) under
``import``, ``export bvh``, ``generate`` and ``tokenizer train``. Expected: one line or a failure report, never a
traceback; nothing half-written (no temp file, every output file complete); after making room, the same command
again completes the work with nothing lost. Skipped with the reason where mounting is not allowed."""

import json

import pytest

from .badinput import bvh, mounts, stores
from .badinput.support import DATA_LOST, assert_clean, assert_no_leftovers, cli, store_ids
from .generation_support import tiny_models


@pytest.fixture(scope="module")
def many_bvh(tmp_path_factory):
    return bvh.copies(tmp_path_factory.mktemp("bvh"), 12)


@pytest.mark.timeout(300)
def test_import_onto_a_full_disk_then_resume_with_room(many_bvh, tmp_path):
    with mounts.tmpfs(tmp_path / "disk", "400k") as disk:
        store, report = disk / "store", tmp_path / "report.json"
        o = cli("import", "bvh", many_bvh, "--out", store, "--report", report)
        assert_clean(o, (1, 2))
        assert "no space" in (o.out + o.err).lower() or "disk" in (o.out + o.err).lower(), o.err[-800:]
        assert_no_leftovers(disk)
        kept = store_ids(store) if (store / "store.json").exists() else []  # what is there must open
        mounts.remount(disk, "size=64m")
        o = cli("import", "bvh", many_bvh, "--out", store)
        assert_clean(o, (0,))
        ids = store_ids(store)
        assert len(ids) == len(set(ids)) == 36 and set(kept) <= set(ids), f"{DATA_LOST}: {len(ids)} clips"
        assert_no_leftovers(disk)


@pytest.mark.timeout(300)
def test_export_bvh_onto_a_full_disk(tmp_path):
    good = stores.build_good(tmp_path / "store")
    with mounts.tmpfs(tmp_path / "disk", "64k") as disk:
        report = tmp_path / "report.json"
        o = cli("export", "bvh", good, "--out", disk / "bvh", "--report", report)
        assert_clean(o, (1, 2))
        assert_no_leftovers(disk)
        from motionbase.formats.bvh import load_bvh

        for f in (disk / "bvh").glob("*.bvh"):  # whatever is there is whole
            assert load_bvh(f).num_frames > 1, f"{DATA_LOST}: {f} is half-written"
        if o.code == 1:
            assert json.loads(report.read_text())["failed"], "exit 1 without a failure in the report"


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return tiny_models(tmp_path_factory.mktemp("models"))


@pytest.mark.timeout(300)
def test_generate_onto_a_full_disk(models, tmp_path):
    lm, tok = models
    with mounts.tmpfs(tmp_path / "disk", "24k") as disk:
        o = cli("generate", "a person walks", "a person waves", "--lm", lm, "--tokenizer", tok, "--out", disk / "g",
                "--seconds", "1", "--size", "48", "--seed", "0", "--device", "cpu")
        assert_clean(o, (2,))
        assert_no_leftovers(disk)
        left = sorted(p.name for p in (disk / "g").glob("*")) if (disk / "g").exists() else []
        for stem in {n.split(".")[0] for n in left}:
            assert {f"{stem}.{x}" for x in ("npy", "codes.npy", "mp4", "gif", "bvh", "json")} <= set(left), \
                f"{DATA_LOST}: partial outputs {left}"


READ_ONLY = {
    "import": lambda d, m: ("import", "bvh", bvh.GOOD, "--out", d / "store"),
    "export-bvh": lambda d, m: ("export", "bvh", m["store"], "--out", d / "bvh"),
    "export-humanml3d": lambda d, m: ("export", "humanml3d", m["store"], "--out", d / "hml"),
    "generate": lambda d, m: ("generate", "a person walks", "--lm", m["lm"], "--tokenizer", m["tok"], "--out", d / "g",
                              "--seconds", "1", "--size", "48", "--device", "cpu"),
    "render": lambda d, m: ("render", bvh.GOOD, "--out", d / "clip.gif", "--size", "48", "--stride", "10"),
}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("command", list(READ_ONLY))
def test_read_only_output_folder(command, models, tmp_path):
    lm, tok = models
    inputs = {"store": stores.build_good(tmp_path / "store"), "lm": lm, "tok": tok}
    with mounts.tmpfs(tmp_path / "ro", "8m", read_only=True) as ro:
        o = cli(*READ_ONLY[command](ro, inputs))
        assert_clean(o, (1, 2))
        assert "read-only" in (o.out + o.err).lower() or "permission" in (o.out + o.err).lower() \
            or "cannot write" in (o.out + o.err).lower(), (o.out + o.err)[-800:]
        assert not any(ro.iterdir())


@pytest.mark.timeout(120)
def test_the_real_command_says_one_line_for_a_read_only_folder(tmp_path):
    """Through ``python -m motionbase`` (``cli.main``): an OSError that escapes a command is one line, exit 2."""
    from .badinput.support import proc

    with mounts.tmpfs(tmp_path / "ro", "1m", read_only=True) as ro:
        o = proc("import", "bvh", bvh.GOOD, "--out", ro / "store")
        assert_clean(o, (2,), says="read-only")
        assert str(ro) in o.error_lines[0]
