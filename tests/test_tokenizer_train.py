"""train_tokenizer: checkpoints, logs, refused resumes, old layouts, bad data sources, and overfitting one real clip."""

import json

import pytest
import torch

from motionbase.errors import CheckpointError, MotionbaseError
from motionbase.tokenizer import MotionTokenizer, preset
from motionbase.tokenizer.train import (
    TokenizerTrainConfig,
    checkpoint_model,
    latest_checkpoint,
    lr_factor,
    train_tokenizer,
)

from .tokenizer_support import FEATS, STATS, WINDOWS

CFG = preset("lfq2d", width=16, depth=1, codebook_size=64)
FAST = TokenizerTrainConfig(warmup_steps=0, lr=1e-3, progress=False, checkpoint_every=3,
                            log_every=2)


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models gain nothing from intra-op threads, and on a busy machine the thread pool's spinning costs
    ~10x the time."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)



def test_checkpoints_logs_and_resumes_refused_with_another_model(tmp_path):
    """(Exact resume is tests/test_training.py's, for every trainer.)"""
    straight = train_tokenizer(CFG, WINDOWS, 6, tmp_path / "a", stats=STATS, train=FAST)
    assert latest_checkpoint(tmp_path / "a").name == "step-00000006"
    ckpts = sorted(p.name for p in (tmp_path / "a" / "checkpoints").glob("step-*"))
    assert ckpts == ["step-00000003", "step-00000006"]  # checkpoint_every=3, keep_checkpoints=2
    log = [json.loads(line) for line in (tmp_path / "a" / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [2, 4, 6]
    assert {"features", "joints", "entropy", "commitment", "utilisation", "perplexity", "lr"} <= set(log[0])
    with pytest.raises(CheckpointError, match="different normalisation stats"):
        train_tokenizer(CFG, WINDOWS, 8, tmp_path / "a", stats=(STATS[0], 2 * STATS[1]), train=FAST)
    with pytest.raises(CheckpointError, match="different tokenizer config"):
        train_tokenizer(CFG.replace(width=8), WINDOWS, 8, tmp_path / "a", stats=STATS, train=FAST)
    loaded = MotionTokenizer.from_pretrained(tmp_path / "a")
    assert torch.equal(loaded.encode(FEATS), straight.encode(FEATS))


def test_a_run_in_the_old_checkpoint_layout_fails_in_one_line(tmp_path):
    old = tmp_path / "run" / "checkpoints"
    (old / "step_00000004").mkdir(parents=True)
    (old / "latest.json").write_text(json.dumps({"step": 4, "dir": "step_00000004"}))
    with pytest.raises(CheckpointError, match=r"old layout .*start over in a new output folder"):
        train_tokenizer(CFG, WINDOWS, 6, tmp_path / "run", stats=STATS, train=FAST)
    assert TokenizerTrainConfig.from_dict({"use_accelerate": False}) == TokenizerTrainConfig()  # an old key


def test_a_run_resumes_when_only_a_loss_weight_changes(tmp_path):
    train_tokenizer(CFG, WINDOWS, 4, tmp_path / "run", stats=STATS, train=FAST)
    heavier = FAST.replace(loss=FAST.loss.replace(entropy_weight=0.5, joint_loss_weight=2.0))
    resumed = train_tokenizer(CFG, WINDOWS, 6, tmp_path / "run", stats=STATS, train=heavier)
    log = [json.loads(line) for line in (tmp_path / "run" / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [2, 4, 6]  # steps 1-4 were not redone
    assert sorted(p.name for p in (tmp_path / "run" / "checkpoints").glob("step-*")) == ["step-00000004",
                                                                                        "step-00000006"]
    saved = json.loads((tmp_path / "run" / "train_config.json").read_text())
    assert saved["loss"]["entropy_weight"] == 0.5 and saved["loss"]["joint_loss_weight"] == 2.0
    assert TokenizerTrainConfig.load(tmp_path / "run" / "train_config.json") == heavier
    model_config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert "entropy_weight" not in model_config and "perceptual_encoder" not in model_config
    straight = train_tokenizer(CFG, WINDOWS, 6, tmp_path / "straight", stats=STATS, train=FAST)
    assert not torch.equal(resumed.decoder.state_dict()[next(iter(resumed.decoder.state_dict()))],
                           straight.decoder.state_dict()[next(iter(straight.decoder.state_dict()))])


def test_bad_sources(tmp_path):
    with pytest.raises(MotionbaseError, match="yielded no batches"):
        train_tokenizer(CFG, [], 2, tmp_path / "a", stats=STATS, train=FAST)
    with pytest.raises(MotionbaseError, match="ran out"):
        train_tokenizer(CFG, iter(WINDOWS), 5, tmp_path / "b", stats=STATS, train=FAST)
    with pytest.raises(MotionbaseError, match="stats"):
        train_tokenizer(CFG, WINDOWS, 2, tmp_path / "c", train=FAST)


def test_lr_schedule():
    t = TokenizerTrainConfig(lr=1e-4, warmup_steps=10, lr_milestones=(100,), lr_gamma=0.05)
    assert lr_factor(0, t) == pytest.approx(0.1)
    assert lr_factor(9, t) == lr_factor(99, t) == 1.0
    assert lr_factor(100, t) == pytest.approx(0.05)


def _overfit(tmp_path, name: str, steps: int, frames: int) -> tuple[float, float]:
    """Normalised reconstruction MSE of one real clip (its first ``frames``) before and after ``steps`` steps on
    that clip alone."""
    clip = FEATS[:frames]
    cfg = preset(name, width=32, depth=1, codebook_size=256)
    torch.manual_seed(0)
    untrained = MotionTokenizer(cfg, stats=STATS)
    x = torch.from_numpy(clip[None])

    def err(tok):
        return float((((tok.reconstruct(clip) - x[0]) / torch.from_numpy(STATS[1])) ** 2).mean())

    trained = train_tokenizer(cfg, [x], steps, tmp_path, stats=STATS,
                              train=TokenizerTrainConfig(warmup_steps=0, lr=3e-3, progress=False,
                                                checkpoint_every=10 ** 9, seed=0))
    return err(untrained), err(trained)


def test_overfit_one_clip_1d_lfq(tmp_path):
    # seeds 0-3 reach 8-17x here; 5x leaves a margin
    before, after = _overfit(tmp_path, "lfq1d", 150, 64)
    assert after < before / 5


@pytest.mark.slow
def test_overfit_one_clip_2d_lfq(tmp_path):
    before, after = _overfit(tmp_path, "lfq2d", 400, len(FEATS))
    assert after < before / 10


def test_a_checkpoint_part_way_loads_as_a_tokenizer(tmp_path):
    final = train_tokenizer(CFG, WINDOWS, 6, tmp_path, stats=STATS, train=FAST)
    tok = checkpoint_model(latest_checkpoint(tmp_path))  # step 6: the same weights as the final model
    assert tok.config == CFG and not tok.training
    assert torch.equal(tok.encode(FEATS), final.encode(FEATS))
    early = checkpoint_model(tmp_path / "checkpoints" / "step-00000003")
    assert not torch.equal(early.decoder.state_dict()[next(iter(early.decoder.state_dict()))],
                           final.decoder.state_dict()[next(iter(final.decoder.state_dict()))])
