"""``motionbase tokenizer train -> eval -> train (resume) -> mix`` on a tiny store of real clips, and bad input
(missing checkpoint file, a store of another feature width, NaN in the store) failing with one-line errors."""

import json
import shutil

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from motionbase.cli import app
from motionbase.data import ClipStore
from motionbase.errors import CheckpointError, MotionbaseError, ShapeError, StoreError
from motionbase.features.humanml3d import features_to_joints
from motionbase.features.layout import SMPL22_BODY_PARTS
from motionbase.metrics import fid
from motionbase.tokenizer import MotionTokenizer, mix_parts
from motionbase.tokenizer.evaluate import codebook_report, evaluate_tokenizer

from .tokenizer_support import TINY_RUN, tiny_store, write_json

K = 32


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def ok(*args):
    res = run(*args)
    assert res.exit_code == 0, (res.output, res.exception)
    return res


def fails(error: type, match: str, *args):
    res = run(*args)
    assert isinstance(res.exception, error), (res.output, res.exception)
    assert "\n" not in str(res.exception) and match in str(res.exception), str(res.exception)


def log_steps(out):
    return [json.loads(line)["step"] for line in (out / "train_log.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("tok")
    tiny_store(root / "store")
    cfg = write_json(root / "run.json", TINY_RUN)
    res = ok("tokenizer", "train", "--store", root / "store", "--out", root / "tok", "--config", cfg,
             "--codebook-size", K)
    assert "2D-LFQ, K=32" in res.output
    return root


def test_train_writes_a_loadable_checkpoint_with_the_flags_applied(trained):
    tok = MotionTokenizer.from_pretrained(trained / "tok")
    assert tok.config.codebook_size == K and tok.config.grouping == "body" and tok.config.width == 16
    assert tok.stats is not None and "store:train:8 clips" in tok.stats.data_version
    assert log_steps(trained / "tok") == [1, 2, 3]
    run_json = json.loads((trained / "tok" / "run.json").read_text())
    assert run_json["model"]["codebook_size"] == K and run_json["data"]["window"] == 32


def test_eval_json_matches_an_independent_computation(trained):
    out = trained / "eval.json"
    ok("tokenizer", "eval", "--ckpt", trained / "tok", "--store", trained / "store", "--json", out,
       "--usage-tokens", 64)
    r = json.loads(out.read_text())
    tok = MotionTokenizer.from_pretrained(trained / "tok")
    test = ClipStore.open(trained / "store").split("test")
    errs = {False: [], True: []}
    n_tokens, codes = 0, []
    for i in range(len(test)):
        feats = np.array(test.features(i))
        gt = features_to_joints(feats.astype(np.float64))
        rec = features_to_joints(tok.reconstruct(feats).double().numpy())
        for align in errs:
            g, p = (gt - gt[:, :1], rec - rec[:, :1]) if align else (gt, rec)
            errs[align].append(np.linalg.norm(p - g, axis=-1))  # (T, 22) metres
        codes.append(tok.encode(feats).numpy())
        n_tokens += codes[-1].size
    for align, key in ((False, "global"), (True, "root_aligned")):
        per_joint = np.concatenate(errs[align]).mean(0) * 1000  # every frame weighs the same
        assert r["mpjpe_mm"][key] == pytest.approx(per_joint.mean(), rel=1e-6)
        for part, joints in SMPL22_BODY_PARTS.items():
            assert r["per_part_mpjpe_mm"][key][part] == pytest.approx(per_joint[list(joints)].mean(), rel=1e-6)
    assert r["mpjpe_mm"]["paper"] == "root_aligned" and r["per_part_mpjpe_mm"]["root_aligned"]["root"] == 0
    assert r["mpjpe_mm"]["global"] > r["mpjpe_mm"]["root_aligned"] > 10  # 3 steps: far from perfect
    cb = r["codebook"]
    used = np.unique(np.concatenate([c.ravel() for c in codes]))
    assert cb["tokens"] == n_tokens == sum(-(-int(n) // 4) for n in test.feature_frames) * 6
    assert cb["utilisation"] == pytest.approx(len(used) / K) and 0 < cb["utilisation"] <= 1
    assert 1 <= cb["perplexity"] <= len(used)
    assert cb["n"] == 64 and 0 < cb["utilisation_at_n"] <= 1  # used among 64 tokens / min(K, 64)
    assert r["clips"] == len(test) and r["fid"] is None and r["tokenizer"]["vocab_size"] == K


def test_a_second_run_continues_from_the_checkpoint(trained, tmp_path):
    args = ["--store", trained / "store", "--config", trained / "run.json", "--codebook-size", K, "--steps", 5]
    resumed = trained / "tok"
    # as if the first run had died after logging step 3 but before its checkpoint was complete: resume at step 2
    (resumed / "checkpoints" / "step-00000003" / "trainer_state.json").unlink()
    ok("tokenizer", "train", "--out", resumed, *args)
    assert log_steps(resumed) == [1, 2, 3, 4, 5]  # from step 2 on, not from scratch; step 3 logged once
    assert sorted(p.name for p in (resumed / "checkpoints").glob("step-*")) == ["step-00000004", "step-00000005"]
    ok("tokenizer", "train", "--out", tmp_path / "straight", *args)  # the same 5 steps without a stop
    a, b = MotionTokenizer.from_pretrained(resumed), MotionTokenizer.from_pretrained(tmp_path / "straight")
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(x, y), name


def test_mix_writes_a_with_b_s_arms(trained, tmp_path):
    store = ClipStore.open(trained / "store")
    a, b = max(store.ids, key=lambda i: -store.feature_frames[store.index(i)]), store.ids[0]  # B longer than A
    ok("tokenizer", "mix", "--ckpt", trained / "tok", "--store", trained / "store", "--a", a, "--b", b,
       "--parts", "left_arm,right_arm", "--out", tmp_path / "mix.npy")
    mixed = np.load(tmp_path / "mix.npy")
    tok = MotionTokenizer.from_pretrained(trained / "tok")
    fa, fb = np.array(store.features(store.index(a))), np.array(store.features(store.index(b)))
    assert mixed.shape == fa.shape
    np.testing.assert_allclose(mixed, mix_parts(tok, fa, fb, ["left_arm", "right_arm"]).numpy(), atol=1e-6)
    assert not np.allclose(mixed, tok.reconstruct(fa).numpy(), atol=1e-4)  # the arms did change
    fails(MotionbaseError, "no component 'tail'", "tokenizer", "mix", "--ckpt", trained / "tok", "--store",
          trained / "store", "--a", a, "--b", b, "--parts", "tail", "--out", tmp_path / "x.npy")


def test_bad_input_fails_with_one_line_errors(trained, tmp_path):
    ckpt = tmp_path / "ckpt"
    shutil.copytree(trained / "tok", ckpt)
    (ckpt / "model.safetensors").unlink()
    fails(CheckpointError, "model.safetensors: missing", "tokenizer", "eval", "--ckpt", ckpt, "--store",
          trained / "store")
    fails(CheckpointError, "not a directory", "tokenizer", "eval", "--ckpt", tmp_path / "nope", "--store",
          trained / "store")
    # a store of 200-dim features
    narrow = ClipStore.create(tmp_path / "narrow", feature_dim=200)
    src = ClipStore.open(trained / "store")
    narrow.append([src.clip(0)], [np.array(src.features(0))[:, :200]])
    fails(StoreError, "200-dim custom features; a 2D-LFQ tokenizer expects 263-dim", "tokenizer", "train",
          "--store", tmp_path / "narrow", "--out", tmp_path / "t", "--config", trained / "run.json")
    fails(StoreError, "expects 263-dim", "tokenizer", "eval", "--ckpt", trained / "tok", "--store",
          tmp_path / "narrow", "--split", "")
    # NaN in a training clip and in a test clip (written into the shard behind the store's back)
    bad = tmp_path / "bad"
    shutil.copytree(trained / "store", bad)
    store = ClipStore.open(bad)
    shard = next((bad / "shards").glob("*.features.npy"))
    arr = np.load(shard)
    train_id, test_id = store.split("train").ids[0], store.split("test").ids[0]
    for clip_id in (train_id, test_id):
        arr[store._state.f0[store.index(clip_id)] + 5, 7] = np.nan
    np.save(shard, arr)
    fails(ShapeError, f"clip {train_id!r} has NaN/inf features at frame 5", "tokenizer", "train", "--store", bad,
          "--out", tmp_path / "t", "--config", trained / "run.json")
    fails(ShapeError, f"clip {test_id!r} has NaN/inf features at frame 5", "tokenizer", "eval", "--ckpt",
          trained / "tok", "--store", bad)
    fails(MotionbaseError, "give --method", "tokenizer", "train", "--store", bad, "--out", tmp_path / "t2")
    fails(CheckpointError, "unknown tokenizer run config key(s) ['colour']", "tokenizer", "train", "--store", bad,
          "--out", tmp_path / "t3", "--config", write_json(tmp_path / "c.json", {"colour": 1}))


def test_codebook_report_counts_rvq_layers_separately():
    # two RVQ layers (columns 0 and 1), K = 4: layer 0 uses codes {0, 1}, layer 1 only {1}
    codes = [np.array([[0, 1], [1, 1], [0, 1]]), np.array([[1, 1]])]
    r = codebook_report(codes, 4, 2, usage_tokens=2, seed=0)
    assert [b["used"] for b in r["per_codebook"]] == [2, 1] and r["utilisation"] == pytest.approx((2 + 1) / 8)
    assert r["per_codebook"][1]["perplexity"] == pytest.approx(1.0) and r["tokens"] == 8
    assert r["per_codebook"][1]["at_n"]["utilisation"] == pytest.approx(0.5)  # 1 code among 2 tokens / min(4, 2)
    pooled = codebook_report(codes, 4, 1, usage_tokens=100)  # one shared codebook (1D / 2D): 8 tokens < n
    assert pooled["utilisation"] == pytest.approx(2 / 4) and pooled["utilisation_at_n"] is None


def test_fid_uses_the_evaluator_on_reconstructions_and_inputs(trained):
    class MeanPose:  # a stand-in evaluator: time-averaged first 6 feature columns
        def encode_motion(self, feats):
            return np.stack([np.asarray(f)[:, :6].mean(0) for f in feats])

    tok = MotionTokenizer.from_pretrained(trained / "tok")
    store = ClipStore.open(trained / "store")
    r = evaluate_tokenizer(tok, store, split="train", evaluator=MeanPose())
    view = store.split("train")
    real = [np.array(view.features(i)) for i in range(len(view))]
    recon = [tok.reconstruct(f).numpy() for f in real]
    assert r["fid"] == pytest.approx(fid(MeanPose().encode_motion(recon), MeanPose().encode_motion(real)), rel=1e-4)
    assert r["fid"] > 0


@pytest.mark.slow
def test_mix_renders_a_b_and_the_mix(trained, tmp_path):
    store = ClipStore.open(trained / "store")
    ok("tokenizer", "mix", "--ckpt", trained / "tok", "--store", trained / "store", "--a", store.ids[0], "--b",
       store.ids[1], "--parts", "left_leg", "--out", tmp_path / "mix.gif")
    assert (tmp_path / "mix.gif").stat().st_size > 10_000
