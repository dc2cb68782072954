"""The one training loop (motionbase.training), once for every trainer: a run killed mid-way (while writing a
checkpoint) and rerun ends with the same weights and log lines as a run that was never stopped; a half-written
checkpoint is never taken for a complete one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from accelerate import Accelerator

from motionbase.errors import MotionbaseError
from motionbase.evaluate.evaluator_train import EvaluatorTrainConfig, train_evaluator
from motionbase.lm.config import LMTrainConfig
from motionbase.lm.train import prepare_run, train
from motionbase.prior.model import PriorConfig
from motionbase.prior.noise import load_noise_model
from motionbase.prior.train import PriorTrainConfig, train_prior
from motionbase.tokenizer import preset
from motionbase.tokenizer.perceptual import PerceptualConfig
from motionbase.tokenizer.perceptual_train import train_perceptual
from motionbase.tokenizer.train import TokenizerTrainConfig, train_tokenizer
from motionbase.training import (
    STATE_FILE,
    Cycle,
    LoopSettings,
    TrainerState,
    fit,
    latest_checkpoint,
    make_accelerator,
    trim_log,
)

from .lm_support import fake_records, one_thread, tiny_lm  # noqa: F401 (fixture)
from .test_evaluator_train import dataset, tiny
from .tokenizer_support import HML, STATS, WINDOWS

pytestmark = pytest.mark.usefixtures("one_thread")
STEPS, CRASH_AT = 6, 4  # checkpoints every 2 steps: the run dies while writing step 4's, so it resumes at 2
LOG_EVERY = 3  # the log line of step 3 sums steps 1-3: the resumed run gets those of 1-2 from the checkpoint
TIMING = {"seconds", "step_s", "step_cpu_s"}


def _weights(module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _tokenizer(out: Path):
    tok = TokenizerTrainConfig(warmup_steps=3, lr=1e-3, progress=False, checkpoint_every=2, log_every=LOG_EVERY)
    cfg = preset("lfq2d", width=16, depth=1, codebook_size=64)
    return _weights(train_tokenizer(cfg, WINDOWS, STEPS, out, stats=STATS, train=tok, device="cpu")), \
        out / "train_log.jsonl"


def _perceptual(out: Path):
    tok = TokenizerTrainConfig(warmup_steps=3, lr=1e-3, progress=False, checkpoint_every=2, log_every=LOG_EVERY)
    cfg = PerceptualConfig(width=16, depth=1, embed_dim=8)
    return _weights(train_perceptual(cfg, WINDOWS, STEPS, out, stats=STATS, train=tok, device="cpu")), \
        out / "train_log.jsonl"


def _evaluator(out: Path):
    feats, caps, labels = dataset()
    cfg = EvaluatorTrainConfig(steps=STEPS, batch_size=4, lr=3e-3, log_every=LOG_EVERY, checkpoint_every=2)
    model, losses = train_evaluator(feats, caps, labels, config=tiny("tmr"), train=cfg, device="cpu", run_dir=out)
    assert len(losses) in (STEPS, STEPS - 2)  # this call's steps: all, or those after the checkpoint of step 2
    return _weights(model), out / "log.jsonl"


def _prior(out: Path):
    clips = [np.load(HML / "new_joints" / "000000.npy")[:, :22].astype(np.float64)]
    cfg = PriorTrainConfig(steps=STEPS, batch=2, save_every=2, log_every=LOG_EVERY)
    prior = train_prior(clips, load_noise_model(), out, config=PriorConfig(hidden=8, dilations=(1, 2), window=16),
                        train=cfg, meta={"data": "test"}, device="cpu")
    # train_seconds is rounded to 0.1 s: six tiny steps may take less than 0.05 s on a fast machine
    assert prior.meta["data"] == "test" and prior.meta["steps"] == STEPS and prior.meta["train_seconds"] >= 0
    assert "train_config_history" not in prior.meta  # resumed with the same training config
    return _weights(prior.net), out / "log.jsonl"


def _lm(out: Path):
    if not (out / "run.json").exists():
        cfg = LMTrainConfig(lr=3e-3, batch_size=4, max_steps=STEPS, log_every=LOG_EVERY, save_every=2,
                            progress=False)
        prepare_run(out, tiny_lm("tiny-gpt2", K=16), fake_records(10), cfg)  # 3 batches an epoch: resumes mid-epoch
    model = train(out)
    from safetensors.torch import load_file

    return load_file(str(model / "model.safetensors")), out / "log.jsonl"


TRAINERS = {"tokenizer": _tokenizer, "perceptual": _perceptual, "evaluator": _evaluator, "prior": _prior, "lm": _lm}


class Killed(Exception):
    """The process 'dies' here."""


def _lines(path: Path) -> list[dict]:
    return [{k: v for k, v in json.loads(line).items() if k not in TIMING} for line in path.read_text().splitlines()]


@pytest.mark.parametrize("name", sorted(TRAINERS))
def test_a_killed_run_resumes_to_the_same_weights_and_log(tmp_path, monkeypatch, name):
    run_trainer = TRAINERS[name]
    straight, straight_log = run_trainer(tmp_path / "straight")
    save_state = Accelerator.save_state

    def dies_while_saving(self, output_dir=None, **kwargs):
        save_state(self, output_dir, **kwargs)  # the state is on disk, the checkpoint not yet complete
        if Path(output_dir).name == f".step-{CRASH_AT:08d}.tmp":
            raise Killed

    monkeypatch.setattr(Accelerator, "save_state", dies_while_saving)
    run = tmp_path / "run"
    with pytest.raises(Killed):
        run_trainer(run)
    monkeypatch.setattr(Accelerator, "save_state", save_state)
    assert (run / "checkpoints" / f".step-{CRASH_AT:08d}.tmp").is_dir()  # half-written: ignored
    assert latest_checkpoint(run).name == "step-00000002"
    assert [r["step"] for r in _lines(run / straight_log.name)] == [3]
    resumed, resumed_log = run_trainer(run)
    assert sorted(resumed) == sorted(straight)
    for key in straight:
        torch.testing.assert_close(resumed[key], straight[key], rtol=1e-5, atol=1e-6, msg=f"{name}: {key}")
    a, b = _lines(straight_log), _lines(resumed_log)
    assert [r["step"] for r in b] == [3, 6]  # the line of step 3 (written after the checkpoint) was trimmed, redone
    assert [sorted(r) for r in a] == [sorted(r) for r in b]
    for x, y in zip(a, b):
        assert {k: pytest.approx(v, rel=1e-5, abs=1e-7) for k, v in x.items()} == y
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["step-00000004", "step-00000006"]


def test_half_written_and_incomplete_checkpoints_are_ignored(tmp_path):
    root = tmp_path / "checkpoints"
    assert latest_checkpoint(tmp_path) is None
    for name, complete in (("step-00000002", True), (".step-00000004.tmp", True), ("step-00000006", False)):
        (root / name).mkdir(parents=True)
        if complete:
            (root / name / STATE_FILE).write_text(json.dumps({"step": int(name.strip(".tmp").split("-")[1])}))
    assert latest_checkpoint(tmp_path).name == "step-00000002"


def test_the_log_is_trimmed_back_to_the_checkpoint(tmp_path):
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps({"step": s, "loss": 1.0 / s}) + "\n" for s in range(1, 6)))
    trim_log(log, 3)
    assert [json.loads(line)["step"] for line in log.read_text().splitlines()] == [1, 2, 3]


class _Square:
    """loss = |w|^2 of a one-parameter model; batches carry nothing."""

    def __call__(self, model, batch):
        loss = (model.weight ** 2).sum()
        return loss, {"total": float(loss.detach())}

    def flush(self):
        return {}


def test_stop_early_epochs_and_bad_sources(tmp_path):
    def run(batches, settings, **kw):
        torch.manual_seed(0)
        model = torch.nn.Linear(1, 1, bias=False)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        return fit(model, opt, _Square(), batches, kw.pop("out", None), settings, accelerator=make_accelerator("cpu"),
                   export=lambda acc, m: m, **kw)

    seen = []
    run(Cycle([0, 1, 2]), LoopSettings(steps=10, progress=False, log_every=1),
        on_step=lambda step, loss: seen.append(step) or step == 4, out=tmp_path / "stop")
    assert seen == [1, 2, 3, 4]  # on_step returning True stops there, with a checkpoint and a log line
    assert latest_checkpoint(tmp_path / "stop").name == "step-00000004"
    assert [json.loads(x)["step"] for x in (tmp_path / "stop" / "log.jsonl").read_text().splitlines()] == [1, 2, 3, 4]
    with pytest.raises(MotionbaseError, match="yielded no batches"):
        run(Cycle([]), LoopSettings(steps=2, progress=False))
    with pytest.raises(MotionbaseError, match="ran out of batches"):
        run(Cycle(iter([0, 1])), LoopSettings(steps=3, progress=False))
    with pytest.raises(MotionbaseError, match="needs a number of steps"):
        run(Cycle([0]), LoopSettings(progress=False))
    assert TrainerState() == TrainerState(0, 0, 0)


def test_a_checkpoint_without_the_objective_s_sums_still_resumes(tmp_path):
    """LM checkpoints written before objectives kept their log sums hold no such file: the sums start empty."""
    _tokenizer(tmp_path)
    shutil.rmtree(tmp_path / "checkpoints" / "step-00000006")
    (tmp_path / "checkpoints" / "step-00000004" / "custom_checkpoint_1.pkl").unlink()
    _tokenizer(tmp_path)
    assert [r["step"] for r in _lines(tmp_path / "train_log.jsonl")] == [3, 6]
    assert latest_checkpoint(tmp_path).name == "step-00000006"
