"""Training: loss drops on a tiny overfit, LoRA, gradient checkpointing, 2-process DDP (exact resume:
tests/test_training.py, for every trainer)."""

import dataclasses
import json
import math

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from motionbase.errors import MotionbaseError
from motionbase.lm.config import LMDataConfig, LMTrainConfig, LoRAConfig
from motionbase.lm.model import MotionLM
from motionbase.lm.train import latest_checkpoint, launch, prepare_run, read_run_config, train

from .lm_support import fake_records, one_thread, tiny_lm  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")

FAST = LMTrainConfig(lr=3e-3, batch_size=4, max_steps=6, log_every=1, save_every=3, progress=False)


def _log(run):
    return [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]


def _weights(path):
    return load_file(str(path / "model.safetensors"))


@pytest.mark.parametrize("backbone,loss_on", [("tiny-gpt2", "whole"), ("tiny-llama", "motion")])
def test_tiny_overfit_loss_drops(tmp_path, backbone, loss_on):
    lm = tiny_lm(backbone, K=16, P=2)
    cfg = dataclasses.replace(FAST, lr=1e-2, max_steps=30, data=LMDataConfig(loss_on=loss_on))
    run = prepare_run(tmp_path / "run", lm, fake_records(4, K=16, P=2), cfg)
    model_dir = train(run)
    log = _log(run)
    assert [x["step"] for x in log] == list(range(1, 31))
    assert log[-1]["loss"] < 0.6 * log[0]["loss"]
    if loss_on == "motion":  # random codes: only memorising the 4 clips beats a uniform guess, ln K
        assert log[-1]["loss"] < math.log(16)
    assert all(x["world_size"] == 1 and x["label_tokens"] > 0 for x in log)
    trained = MotionLM.from_pretrained(model_dir, lm.codec)
    assert read_run_config(run).data.loss_on == loss_on and trained.backbone.config.use_cache
    assert "loss_on" not in json.loads((model_dir / "motion_lm.json").read_text())["config"]
    assert latest_checkpoint(run).name == "step-00000030"
    # the trained checkpoint keeps the codes its training clips start with (motionbase.lm.onset)
    firsts = np.stack([r.codes[0] for r in fake_records(4, K=16, P=2)])
    assert [np.flatnonzero(row).tolist() for row in trained.onset] == [sorted(set(firsts[:, p])) for p in range(2)]


def test_a_run_started_before_the_split_resumes_with_its_data_settings(tmp_path):
    """Old runs kept loss_on / task weights in base/motion_lm.json and no "data" in run.json."""
    run = prepare_run(tmp_path / "run", tiny_lm("tiny-gpt2", K=16), fake_records(4), FAST)
    run_json = json.loads((run / "run.json").read_text())
    del run_json["train"]["data"]
    (run / "run.json").write_text(json.dumps(run_json))
    record = json.loads((run / "base" / "motion_lm.json").read_text())
    record["config"].update(loss_on="motion", max_length=96, task_weights={"t2m": 1.0})
    (run / "base" / "motion_lm.json").write_text(json.dumps(record))
    cfg = read_run_config(run)
    assert (cfg.data.loss_on, cfg.data.max_length, cfg.data.task_weights) == ("motion", 96, {"t2m": 1.0})
    assert cfg.replace(data=FAST.data) == FAST
    assert MotionLM.from_pretrained(run / "base").config == tiny_lm("tiny-gpt2", K=16).config


def test_lora_trains_adapters_and_motion_rows_only(tmp_path):
    lm = tiny_lm("tiny-gpt2", K=16)
    base = {k: v.clone() for k, v in lm.backbone.state_dict().items()}
    run = prepare_run(tmp_path / "run", lm, fake_records(4), dataclasses.replace(FAST, lora=LoRAConfig(r=4)))
    after = _weights(train(run))
    wte = "transformer.wte.weight"
    motion = torch.as_tensor(sorted(set(lm.vocab.all_ids.tolist())))
    text = torch.ones(len(base[wte]), dtype=torch.bool)
    text[motion] = False
    torch.testing.assert_close(after[wte][text], base[wte][text], rtol=0, atol=0)  # text rows frozen
    assert not torch.allclose(after[wte][motion], base[wte][motion])  # motion rows trained in full
    attn = "transformer.h.0.attn.c_attn.weight"
    assert not torch.allclose(after[attn], base[attn])  # LoRA deltas merged into the saved weights
    assert not any("lora" in k for k in after)


def test_gradient_checkpointing_does_not_change_the_math(tmp_path):
    lm = tiny_lm("tiny-llama", K=16)
    cfg = dataclasses.replace(FAST, max_steps=2, save_every=100)
    losses = []
    for name, gc in (("plain", False), ("gc", True)):
        run = prepare_run(tmp_path / name, lm, fake_records(8), dataclasses.replace(cfg, gradient_checkpointing=gc))
        train(run)
        losses.append([x["loss"] for x in _log(run)])
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)


def test_a_run_directory_is_not_overwritten(tmp_path):
    lm = tiny_lm("tiny-gpt2", K=16)
    prepare_run(tmp_path / "run", lm, fake_records(2), FAST)
    with pytest.raises(MotionbaseError, match="already holds a training run"):
        prepare_run(tmp_path / "run", lm, fake_records(2), FAST)
    with pytest.raises(MotionbaseError, match="no training records"):
        prepare_run(tmp_path / "other", lm, [], FAST)
    with pytest.raises(MotionbaseError, match="batch_size=0"):
        prepare_run(tmp_path / "third", lm, fake_records(2), dataclasses.replace(FAST, batch_size=0))


@pytest.mark.slow
def test_two_process_cpu_ddp(tmp_path):
    """The distributed path: 2 processes, gloo, via torchrun (about 20-30 s on 2 cores)."""
    lm = tiny_lm("tiny-gpt2", K=16)
    run = prepare_run(tmp_path / "run", lm, fake_records(16), dataclasses.replace(FAST, max_steps=4, save_every=2))
    model_dir = launch(run, num_processes=2, cpu=True, env={"OMP_NUM_THREADS": "1"})
    log = _log(run)
    assert [x["step"] for x in log] == [1, 2, 3, 4]
    assert all(x["world_size"] == 2 for x in log)
    assert log[-1]["loss"] < log[0]["loss"]
    MotionLM.from_pretrained(model_dir, lm.codec)
    assert latest_checkpoint(run).name == "step-00000004"
