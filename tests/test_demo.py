"""`make demo`'s job on the shipped samples: store, videos, BVH and an HTML page that links them."""

from motionbase.data import ClipStore
from motionbase.demo import run_demo, sample_bvh_files
from motionbase.formats.bvh import read_bvh


def test_demo_writes_store_videos_bvh_and_page(tmp_path):
    page = run_demo(tmp_path, size_px=64, prompts=None)
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
    run_demo(tmp_path, size_px=64, prompts=None)  # a second run resumes: nothing is redone
    assert {f: f.stat().st_mtime_ns for f in (tmp_path / "videos").iterdir()} == mtimes


def test_demo_text_to_motion_with_the_default_model(tmp_path):
    import numpy as np

    prompts = ("a person waves the left hand.", "an energetic person runs forward.")
    notes: list[str] = []
    page = run_demo(tmp_path, size_px=64, prompts=prompts, notes=notes)
    assert notes == []
    html = page.read_text()
    for i, prompt in enumerate(prompts):
        assert prompt in html
        files = sorted((tmp_path / "generated").glob(f"{i:02d}-*"))
        assert {f.suffix for f in files} == {".npy", ".mp4", ".gif", ".bvh"}, files
        joints = np.load(next(f for f in files if f.suffix == ".npy"))
        assert joints.ndim == 3 and joints.shape[1:] == (22, 3) and len(joints) > 4 and np.isfinite(joints).all()
        bvh = read_bvh(next(f for f in files if f.suffix == ".bvh"))
        assert bvh.num_frames == len(joints)
        assert any(f"generated/{f.name}" in html for f in files)
    before = {f: f.stat().st_mtime_ns for f in (tmp_path / "generated").iterdir()}
    run_demo(tmp_path, size_px=64, prompts=prompts)  # resumes: nothing regenerated
    assert {f: f.stat().st_mtime_ns for f in (tmp_path / "generated").iterdir()} == before


def test_demo_without_models_says_so_and_still_shows_the_samples(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTIONBASE_MODELS", str(tmp_path / "no-models"))
    notes: list[str] = []
    page = run_demo(tmp_path / "out", size_px=64, prompts=("a person walks forward.",), notes=notes)
    assert len(notes) == 1 and "text -> motion left out" in notes[0] and "no default model" in notes[0]
    assert page.read_text().count("<video") >= len(sample_bvh_files())


def test_demo_command_takes_prompts_and_says_where_to_look(tmp_path):
    from typer.testing import CliRunner

    from motionbase.cli import app

    out = CliRunner().invoke(app, ["demo", "--out", str(tmp_path), "--size", "64", "-p", "a person walks forward."])
    assert out.exit_code == 0, out.output
    assert f"open {tmp_path / 'index.html'}" in out.stdout and f"{tmp_path}/generated" in out.stdout
    assert len(list((tmp_path / "generated").glob("00-*.bvh"))) == 1
    assert "a person walks forward." in (tmp_path / "index.html").read_text()
