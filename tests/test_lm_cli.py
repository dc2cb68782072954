"""``motionbase lm train`` / ``lm generate`` end to end: a clip store of real HumanML3D samples, a real
(tiny, untrained) 2D-LFQ motion tokenizer, a tiny GPT-2 backbone; then the code cache is reused."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from motionbase.clip import Captions, Clip, ClipMeta
from motionbase.data.store import ClipStore
from motionbase.cli import app as cli_app
from motionbase.tokenizer import MotionTokenizer, preset

from .lm_support import SMALL, one_thread  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")
HML = Path(__file__).parent / "data" / "humanml3d"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("lmcli")
    captions = [line.split("#")[0] for line in (HML / "texts/000000.txt").read_text().splitlines()]
    store = ClipStore.create(root / "store")
    clips, feats = [], []
    for name in ("000000", "012314"):
        joints = np.load(HML / "new_joints" / f"{name}.npy").astype(np.float32)
        clips.append(Clip(joints_m=joints, captions=Captions(whole=captions[:2] if name == "000000" else captions[2:],
                                                             parts={"upper_body": "the arms stay low"}),
                          meta=ClipMeta(id=name, source="humanml3d")))
        feats.append(np.load(HML / "new_joint_vecs" / f"{name}.npy").astype(np.float32))
    store.append(clips, feats)
    torch.manual_seed(0)
    tok = MotionTokenizer(preset("lfq2d", width=16, depth=1, codebook_size=16, kmeans_init=False),
                          stats=(np.load(HML / "Mean.npy"), np.load(HML / "Std.npy")))
    tok.save_pretrained(root / "tok")
    sizes = {k: getattr(SMALL, k) for k in ("hidden", "layers", "heads", "context", "text_vocab_size")}
    (root / "lm.json").write_text(json.dumps({"tiny": {**sizes, "context": 256}}))
    return root, cli_app, tok


def _run(app, *args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_train_then_generate(setup):
    root, app, tok = setup
    common = ["--tokenizer", root / "tok", "--store", root / "store", "--split", "", "--cache", root / "cache",
              "--lm-config", root / "lm.json", "--max-steps", 3, "--batch-size", 2, "--seed", 1]
    out = _run(app, "lm", "train", "--backbone", "tiny", "--out", root / "run", *common)
    assert "2 clips, backbone tiny-gpt2" in out
    parts = sorted((root / "cache").rglob("part-*.npz"))
    assert len(parts) == 1
    log = [json.loads(line) for line in (root / "run/log.jsonl").read_text().splitlines()]
    assert log[-1]["step"] == 3
    # a second run with the same motion tokenizer reads the cache instead of re-encoding
    _run(app, "lm", "train", "--backbone", "tiny-llama", "--vocab-mode", "added", "--part-tokens", "separate",
         "--out", root / "run2", *common)
    assert sorted((root / "cache").rglob("part-*.npz")) == parts

    _run(app, "lm", "generate", "--model", root / "run/model", "--tokenizer", root / "tok",
         "--text", "a man kicks", "--text", "a person waves", "--seconds", 2.0, "--seed", 0, "--out", root / "gen")
    summary = json.loads((root / "gen/samples.json").read_text())
    assert [s["steps"] for s in summary] == [10, 10] and all(s["closed"] for s in summary)
    codes = np.load(root / "gen/sample-000.codes.npy")
    assert codes.shape == (10, tok.tokens_per_step)
    assert np.load(root / "gen/sample-001.features.npy").shape == (40, 263)


def test_generate_with_the_wrong_tokenizer_fails_cleanly(setup, tmp_path):
    root, app, _ = setup
    if not (root / "run/model").is_dir():
        pytest.skip("needs the trained model of test_train_then_generate")
    torch.manual_seed(1)
    other = MotionTokenizer(preset("lfq2d", width=16, depth=1, codebook_size=32, kmeans_init=False),
                            stats=(np.load(HML / "Mean.npy"), np.load(HML / "Std.npy")))
    other.save_pretrained(tmp_path / "tok32")
    result = CliRunner().invoke(app, ["lm", "generate", "--model", str(root / "run/model"), "--tokenizer",
                                      str(tmp_path / "tok32"), "--text", "walk", "--out", str(tmp_path / "g")])
    assert result.exit_code != 0
    assert "trained with a motion tokenizer of 16 codes x 5 part(s)" in str(result.exception)
