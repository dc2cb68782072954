"""The perceptual encoder: trained by ``motionbase tokenizer train-perceptual`` on a tiny store of real clips,
loaded frozen from the tokenizer config's path; its weights never change during tokenizer training and the term
passes gradients to the reconstruction."""

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from motionbase.cli import app
from motionbase.data import ClipStore
from motionbase.tokenizer import MotionTokenizer, preset
from motionbase.tokenizer.config import DenoisingConfig, TokenizerLossConfig
from motionbase.tokenizer.losses import TokenizerLoss
from motionbase.tokenizer.perceptual import PerceptualConfig, PerceptualEncoder
from motionbase.tokenizer.train import TokenizerTrainConfig, train_tokenizer
from motionbase.tokenizer.windows import StoreWindows, store_stats

from .tokenizer_support import TINY_RUN, tiny_store, write_json

PERCEPTUAL_RUN = {"preset": "perceptual", "model": {"width": 16, "depth": 1, "embed_dim": 8},
                  "train": {"warmup_steps": 0, "lr": 3e-3, "log_every": 10,
                            "progress": False},
                  "data": {"window": 32, "batch_size": 8}, "steps": 40}


def ok(*args):
    res = CliRunner().invoke(app, [str(a) for a in args])
    assert res.exit_code == 0, (res.output, res.exception)
    return res


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("perc")
    tiny_store(root / "store")
    ok("tokenizer", "train-perceptual", "--store", root / "store", "--out", root / "perc", "--config",
       write_json(root / "perc.json", PERCEPTUAL_RUN))
    return root


def test_train_perceptual_learns_and_loads(setup):
    log = [json.loads(line) for line in (setup / "perc" / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [10, 20, 30, 40] and all(r["denoising"] > 0 for r in log)
    enc = PerceptualEncoder.from_pretrained(setup / "perc")
    store = ClipStore.open(setup / "store")
    torch.manual_seed(0)
    untrained = PerceptualEncoder(enc.config, stats=store_stats(store))
    batch = StoreWindows(store, window=32, batch_size=16, seed=1).batch(0)

    def loss(model):
        torch.manual_seed(1)  # the same noise for both
        with torch.no_grad():
            return model(batch["features"], batch["mask"], denoising=DenoisingConfig()).item()

    assert loss(enc) < 0.7 * loss(untrained)  # the denoising autoencoder learns (0.26 vs 0.43)
    assert enc.config == PerceptualConfig(width=16, depth=1, embed_dim=8) and not enc.training
    feats = np.array(ClipStore.open(setup / "store").features(0))
    emb = enc(torch.from_numpy(feats)[None])
    assert emb.shape == (1, -(-len(feats) // 4), 8) and torch.isfinite(emb).all()


def test_tokenizer_trains_with_the_frozen_encoder_from_its_config_path(setup, tmp_path):
    ok("tokenizer", "train", "--store", setup / "store", "--out", tmp_path / "tok", "--config",
       write_json(tmp_path / "run.json", TINY_RUN), "--perceptual", setup / "perc", "--perceptual-weight", 0.5)
    cfg = MotionTokenizer.from_pretrained(tmp_path / "tok").config
    weights = TokenizerTrainConfig.load(tmp_path / "tok" / "train_config.json").loss
    assert weights.perceptual_weight == 0.5 and weights.perceptual_encoder == str((setup / "perc").resolve())
    assert "perceptual_weight" not in json.loads((tmp_path / "tok" / "config.json").read_text())
    log = [json.loads(line) for line in (tmp_path / "tok" / "train_log.jsonl").read_text().splitlines()]
    assert all(r["perceptual"] > 0 for r in log)
    # the loss loads the same encoder from the config path, frozen
    loss = TokenizerLoss(cfg, weights)
    saved = PerceptualEncoder.from_pretrained(setup / "perc").state_dict()
    assert all(torch.equal(v, saved[k]) for k, v in loss.perceptual.state_dict().items())
    assert not any(p.requires_grad for p in loss.perceptual.parameters())


def test_encoder_weights_do_not_change_and_the_term_is_differentiable(setup, tmp_path):
    store = ClipStore.open(setup / "store")
    torch.manual_seed(0)
    encoder = PerceptualEncoder(PerceptualConfig(width=16, depth=1, embed_dim=8), stats=store_stats(store))
    before = {k: v.clone() for k, v in encoder.state_dict().items()}
    cfg = preset("lfq1d", width=16, depth=1, codebook_size=32)
    weights = TokenizerLossConfig(perceptual_weight=1.0, joint_loss_weight=0.0, joint_velocity_loss_weight=0.0)
    windows = StoreWindows(store, window=32, batch_size=4)
    tok = train_tokenizer(cfg, windows, 3, tmp_path / "tok", stats=store_stats(store), perceptual=encoder,
                          train=TokenizerTrainConfig(warmup_steps=0, lr=1e-2, progress=False,
                                                     loss=weights))
    assert all(torch.equal(v, before[k]) for k, v in encoder.state_dict().items())
    assert all(p.grad is None for p in encoder.parameters())
    tok.train()
    out = tok(windows.batch(0)["features"])
    term = TokenizerLoss(cfg, weights, perceptual=encoder).terms(tok, out)["perceptual"]
    (grad,) = torch.autograd.grad(term, out.recon)
    assert term.item() > 0 and grad.abs().sum() > 0
