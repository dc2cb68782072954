"""`make demo`'s job on the shipped samples: store, videos, BVH and an HTML page that links them."""

from motionbase.data import ClipStore
from motionbase.demo import run_demo, sample_bvh_files
from motionbase.formats.bvh import read_bvh


def test_demo_writes_store_videos_bvh_and_page(tmp_path):
    page = run_demo(tmp_path, size_px=64)
    samples = sample_bvh_files()
    assert len(samples) == 4
    store = ClipStore.open(tmp_path / "store")
    assert sorted(store.ids) == sorted(p.stem for p in samples)
    html = page.read_text()
    for p in samples:
        for sub, suffix in (("videos", ".mp4"), ("videos", ".gif"), ("bvh", ".bvh")):
            f = tmp_path / sub / f"{p.stem}{suffix}"
            assert f.stat().st_size > 500
            assert f"{sub}/{p.stem}{suffix}" in html
        assert read_bvh(tmp_path / "bvh" / f"{p.stem}.bvh").num_frames == store.clip(store.index(p.stem)).num_frames
    mtimes = {f: f.stat().st_mtime_ns for f in (tmp_path / "videos").iterdir()}
    run_demo(tmp_path, size_px=64)  # a second run resumes: nothing is redone
    assert {f: f.stat().st_mtime_ns for f in (tmp_path / "videos").iterdir()} == mtimes
