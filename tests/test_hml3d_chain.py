"""The HumanML3D benchmark chain end to end on a small real-data folder (tiny, untrained-or-barely-trained
models): import with the official splits, the 40-199-frame filter in training and evaluation, text-to-motion
with our evaluator and with the published T2M evaluator's file layout, and motion-to-text (captions)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from motionbase.cli import app
from motionbase.data import ClipStore
from motionbase.data.length_filter import PROTOCOL, default_on, filter_lengths
from motionbase.errors import CheckpointError, MotionbaseError
from motionbase.evaluate.t2m_dir import find_t2m_files
from motionbase.evaluate.t2m_loader import t2m_std

from .generation_support import tiny_models
from .hml3d_support import SPLIT_SIZES, kept_by_filter, make_hml3d_folder
from .test_t2m_loader import WORDS, guo_state

TINY_EVALUATOR = {"arch": "guo", "embed_dim": 16, "word_dim": 16,
                  "guo": {"text_hidden": 16, "movement_hidden": 16, "movement_latent": 16, "motion_hidden": 16}}


LONG_CONTEXT = 440  # tokens: 50 steps of 6 codes (199 frames) after a prompt of up to ~130 tokens


def run(*args, ok: bool = True):
    result = CliRunner().invoke(app, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, result.output + repr(result.exception)
    return result


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    root = tmp_path_factory.mktemp("hml3d")
    ids = make_hml3d_folder(root / "HumanML3D")
    out = run("import", "humanml3d", root / "HumanML3D", "--out", root / "store").output
    (root / "evaluator.json").write_text(json.dumps(TINY_EVALUATOR))
    run("evaluator", "train", "--store", root / "store", "--out", root / "evaluator", "--preset", "cpu",
        "--config", root / "evaluator.json", "--steps", 2, "--batch-size", 8, "--label-keys", "", "--device", "cpu")
    lm_dir, tok_dir = tiny_models(root / "models", context=LONG_CONTEXT)
    return root, ids, out, lm_dir, tok_dir


def test_import_sets_the_official_splits(chain):
    root, ids, out, *_ = chain
    store = ClipStore.open(root / "store")
    assert "splits from the split files: test 50, train 20, val 4" in out
    for split, members in ids.items():
        assert sorted(store.split(split).manifest().column("id").to_pylist()) == sorted(members)
    # importing again (resume) keeps them
    run("import", "humanml3d", root / "HumanML3D", "--out", root / "store")
    assert len(ClipStore.open(root / "store").split("test")) == SPLIT_SIZES["test"]


def test_length_filter_is_the_protocol_and_on_for_humanml3d(chain):
    root, ids, *_ = chain
    store = ClipStore.open(root / "store")
    assert default_on(store)
    kept, dropped = filter_lengths(store.split("test"), PROTOCOL)
    assert sorted(kept.manifest().column("id").to_pylist()) == kept_by_filter(ids["test"])
    assert dropped == 10 and all(40 <= f <= 199 for f in kept.manifest().column("feature_frames").to_pylist())
    log = json.loads((root / "evaluator" / "train_log.json").read_text())
    assert log["clips"] == len(kept_by_filter(ids["train"])) == 16


def test_lm_training_uses_the_filter(chain, tmp_path):
    root, ids, _, _, tok_dir = chain
    (tmp_path / "lm.json").write_text(json.dumps({"tiny": {"hidden": 32, "layers": 1, "heads": 4, "context": 256,
                                                           "text_vocab_size": 320}}))
    common = ["lm", "train", "--backbone", "tiny", "--tokenizer", tok_dir, "--store", root / "store",
              "--cache", tmp_path / "cache", "--lm-config", tmp_path / "lm.json", "--max-steps", 1, "--batch-size", 2]
    out = run(*common, "--out", tmp_path / "run").output
    assert f"{len(kept_by_filter(ids['train']))} clips" in out
    out = run(*common, "--out", tmp_path / "run2", "--no-length-filter").output
    assert f"{SPLIT_SIZES['train']} clips" in out


def test_evaluate_t2m_rows_with_the_filter(chain, tmp_path):
    root, ids, _, lm_dir, tok_dir = chain
    res = run("evaluate", "--store", root / "store", "--evaluator", root / "evaluator", "--tokenizer", tok_dir,
              "--lm", lm_dir, "--mode", "debug", "--label-keys", "", "--json", tmp_path / "t2m.json")
    report = json.loads((tmp_path / "t2m.json").read_text())
    assert report["info"]["clips"] == len(kept_by_filter(ids["test"])) == 40
    assert "10 clips outside left out" in report["info"]["where"]
    names = [r["name"] for r in report["rows"]]
    assert names == ["real motion", "reconstruction", "generated"]
    for row in report["rows"]:
        r = np.asarray(row["metrics"]["r_precision"]["mean"])
        assert r.shape == (3,) and np.all(np.diff(r) >= 0) and np.all((r >= 0) & (r <= 1))
    assert "| generated |" in res.output
    off = run("evaluate", "--store", root / "store", "--evaluator", root / "evaluator", "--mode", "debug",
              "--label-keys", "", "--no-length-filter", "--json", tmp_path / "all.json")
    assert json.loads((tmp_path / "all.json").read_text())["info"]["clips"] == SPLIT_SIZES["test"]
    assert off.exit_code == 0


def one_line_error(result, kind) -> bool:
    """The command failed with a ``kind`` error whose message is one line (``motionbase`` prints it so)."""
    return result.exit_code != 0 and isinstance(result.exception, kind) and "\n" not in str(result.exception)


def _guo_release(root):
    """Guo's release layout with random weights of the published sizes (we ship none of the real files)."""
    model = root / "t2m" / "text_mot_match" / "model"
    model.mkdir(parents=True)
    torch.save(guo_state(), model / "finest.tar")
    meta = root / "t2m" / "Comp_v6_KLD01" / "meta"
    meta.mkdir(parents=True)
    hml = root.parent / "HumanML3D"
    np.save(meta / "mean.npy", np.load(hml / "Mean.npy"))
    np.save(meta / "std.npy", t2m_std(np.load(hml / "Std.npy")))
    glove = root / "glove"
    glove.mkdir()
    np.save(glove / "our_vab_data.npy", np.random.default_rng(0).normal(size=(len(WORDS), 300)).astype(np.float32))
    import pickle

    for name, obj in (("our_vab_words.pkl", WORDS), ("our_vab_idx.pkl", {w: i for i, w in enumerate(WORDS)})):
        with open(glove / name, "wb") as f:
            pickle.dump(obj, f, protocol=2)
    return root


def test_evaluate_with_the_published_t2m_evaluator_layout(chain, tmp_path):
    root, ids, *_ = chain
    release = _guo_release(root / "release")
    files = find_t2m_files(release)
    assert files.checkpoint.name == "finest.tar" and files.meta_dir.parent.name == "Comp_v6_KLD01"
    run("evaluate", "--store", root / "store", "--t2m-evaluator", release, "--mode", "debug", "--label-keys", "",
        "--json", tmp_path / "guo.json")
    report = json.loads((tmp_path / "guo.json").read_text())
    assert report["info"]["embed_dim"] == 512 and report["info"]["clips"] == 40
    assert any("dataset's own word/POS tokens" in n for n in report["info"]["notes"])
    # missing pieces and both evaluators at once: one line each
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = run("evaluate", "--store", root / "store", "--t2m-evaluator", empty, ok=False)
    assert one_line_error(bad, CheckpointError) and "finest.tar" in str(bad.exception)
    both = run("evaluate", "--store", root / "store", "--t2m-evaluator", release, "--evaluator", root / "evaluator",
               ok=False)
    assert one_line_error(both, MotionbaseError) and "give one evaluator" in str(both.exception)


def test_evaluate_m2t_captions(chain, tmp_path):
    root, ids, _, lm_dir, tok_dir = chain
    res = run("evaluate", "--task", "m2t", "--store", root / "store", "--evaluator", root / "evaluator", "--lm", lm_dir,
              "--tokenizer", tok_dir, "--replications", 2, "--label-keys", "", "--json", tmp_path / "m2t.json")
    report = json.loads((tmp_path / "m2t.json").read_text())
    assert len(report["captions"]) == report["info"]["clips"] == 40
    real, generated = report["rows"]
    # real captions: each clip's first caption against its paraphrase share "a", "the", "person"-less words
    assert 0 < real["language"]["bleu_1"] <= 1 and set(generated["language"]) == {
        "bleu_1", "bleu_2", "bleu_3", "bleu_4", "rouge_l", "cider"}
    assert len(real["retrieval"]["r_precision"]["values"]) == 2
    assert "BERTScore not computed" in res.output and "| generated captions |" in res.output
    no_lm = run("evaluate", "--task", "m2t", "--store", root / "store", "--evaluator", root / "evaluator", ok=False)
    assert one_line_error(no_lm, MotionbaseError) and "needs --lm and --tokenizer" in str(no_lm.exception)


def test_caption_tokens_need_one_line_per_caption():
    from motionbase.evaluate.store_data import caption_tokens

    assert caption_tokens('{"tokens": "a/DET man/NOUN\\nhe/PRON"}', ["a man", "he"]) == [["a/DET", "man/NOUN"],
                                                                                      ["he/PRON"]]
    assert caption_tokens('{"tokens": "a/DET man/NOUN"}', ["a man", "he"]) is None
    assert caption_tokens("{}", ["a man"]) is None and caption_tokens("not json", ["a"]) is None
