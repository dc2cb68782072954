"""Training the motion LM with Accelerate: one CPU, one GPU, DDP, DeepSpeed ZeRO or FSDP, same code.

A run directory is self-contained, so every process of a distributed launch (and a resumed run)
starts from the same files::

    run.json          the LMTrainConfig (written by prepare_run)
    base/             the MotionLM before training (vocabulary added or reused, tokenizer included)
    records.npz       the training records: motion codes + captions (see motionbase.lm.data)
    checkpoints/step-00000100/   accelerate state (model, optimizer, RNG, scheduler) + trainer_state.json
    log.jsonl         one JSON line per log step: step, epoch, loss, lr, label tokens, seconds, world size
    model/            the trained MotionLM (LoRA merged), loadable with MotionLM.from_pretrained

``prepare_run`` writes the first three in one process; ``train`` (or ``python -m motionbase.lm.train
RUN_DIR`` under ``accelerate launch``) runs the loop and resumes from the newest complete checkpoint.
A checkpoint is written into a temp directory and renamed when complete, so a crash never leaves a
half checkpoint that looks whole. Config files for ``accelerate launch`` ship in ``accelerate_configs/``.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from ..errors import CheckpointError, MotionbaseError
from ..io import atomic_write_text
from .config import LMTrainConfig, LoRAConfig, legacy_data
from .data import Collator, InstructionDataset, MotionRecord, load_records, save_records
from .model import MotionLM, read_lm_record
from .vocab import MotionVocab

RUN_FILE = "run.json"
RECORDS_FILE = "records.npz"
BASE_DIR = "base"
MODEL_DIR = "model"
CHECKPOINT_DIR = "checkpoints"
LOG_FILE = "log.jsonl"
STATE_FILE = "trainer_state.json"
CONFIG_DIR = Path(__file__).with_name("accelerate_configs")
ACCELERATE_CONFIGS = ("cpu", "ddp", "zero2", "zero3", "fsdp")
_STEP_DIR = re.compile(r"^step-(\d+)$")


@dataclass
class TrainerState:
    """Where the loop is: optimizer ``step``s done, ``epoch``, and ``batch`` (micro-batches into it)."""

    step: int = 0
    epoch: int = 0
    batch: int = 0


def prepare_run(run_dir: str | os.PathLike, lm: MotionLM, records: Sequence[MotionRecord],
                config: LMTrainConfig) -> Path:
    """Write ``run.json``, ``base/`` and ``records.npz`` of a new run into ``run_dir``.

    Refuses a directory that already holds a run (resume it with :func:`train` instead).
    """
    run = Path(run_dir)
    if (run / RUN_FILE).exists():
        raise MotionbaseError(f"{run}: already holds a training run; resume it (train) or choose a new --out")
    if not records:
        raise MotionbaseError("prepare_run: no training records")
    run.mkdir(parents=True, exist_ok=True)
    lm.save_pretrained(run / BASE_DIR)
    save_records(run / RECORDS_FILE, records)
    _write_json(run / RUN_FILE, {"format": "motionbase-lm-run", "version": 1, "train": config.to_dict()})
    return run


def read_run_config(run_dir: str | os.PathLike) -> LMTrainConfig:
    path = Path(run_dir) / RUN_FILE
    if not path.is_file():
        raise CheckpointError(f"{path}: missing; is {run_dir} a run directory made by prepare_run?")
    data = json.loads(path.read_text())
    train = data.get("train", {})
    if isinstance(train, dict) and "data" not in train:  # a run started before the model/training split:
        train = {**train, "data": legacy_data(read_lm_record(Path(run_dir) / BASE_DIR).get("config", {}))}
    return LMTrainConfig.from_dict(train, source=f"{path}: train")


def train(run_dir: str | os.PathLike, config: LMTrainConfig | None = None) -> Path:
    """Train the run in ``run_dir`` (resuming from its newest checkpoint); return the ``model/`` path.

    ``config`` overrides ``run.json`` (e.g. a larger ``max_steps`` to train on).
    """
    from accelerate import Accelerator, DataLoaderConfiguration
    from accelerate.utils import set_seed
    from transformers import get_scheduler

    run = Path(run_dir)
    cfg = config or read_run_config(run)
    accelerator = Accelerator(gradient_accumulation_steps=cfg.grad_accum, mixed_precision=_mixed_precision(cfg),
                              dataloader_config=DataLoaderConfiguration(use_seedable_sampler=True))
    set_seed(cfg.seed)
    lm = MotionLM.from_pretrained(run / BASE_DIR)
    model = lm.backbone
    model.config.use_cache = False
    if cfg.gradient_checkpointing:  # transformers >= 5.x renames it; older versions have only the first
        getattr(model, "activation_checkpointing_enable", model.gradient_checkpointing_enable)()
    if cfg.lora is not None:
        model = apply_lora(model, lm.vocab, cfg.lora)
        if cfg.gradient_checkpointing:
            model.enable_input_require_grads()

    dataset = InstructionDataset.for_lm(load_records(run / RECORDS_FILE), lm, cfg.data, seed=cfg.seed)
    loader = torch.utils.data.DataLoader(dataset, batch_size=cfg.batch_size, shuffle=True,
                                         collate_fn=Collator(lm.tokenizer.pad_token_id), num_workers=cfg.num_workers)
    lr = cfg.lr if cfg.lr is not None else lm.default_lr
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=cfg.weight_decay)
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
    total = cfg.max_steps or cfg.epochs * math.ceil(len(loader) / accelerator.gradient_accumulation_steps)
    scheduler = get_scheduler(cfg.scheduler, optimizer, num_warmup_steps=cfg.warmup_steps, num_training_steps=total)
    accelerator.register_for_checkpointing(scheduler)

    state = TrainerState()
    latest = latest_checkpoint(run)
    if latest is not None:
        accelerator.load_state(str(latest))
        state = TrainerState(**json.loads((latest / STATE_FILE).read_text()))
    log = _Log(run / LOG_FILE, accelerator)
    from tqdm.auto import tqdm

    bar = tqdm(total=total, initial=state.step, desc="lm train", unit="step",
               disable=not (cfg.progress and accelerator.is_main_process))
    model.train()
    while state.step < total:
        dataset.set_epoch(state.epoch)
        loader.set_epoch(state.epoch)
        batches = accelerator.skip_first_batches(loader, state.batch) if state.batch else loader
        for batch in batches:
            with accelerator.accumulate(model):
                loss = model(**batch).loss
                accelerator.backward(loss)
                if accelerator.sync_gradients and cfg.max_grad_norm > 0:
                    accelerator.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
                optimizer.step()
                optimizer.zero_grad()
            state.batch += 1
            log.add(loss.detach(), int((batch["labels"] != -100).sum()))
            if not accelerator.sync_gradients:
                continue
            scheduler.step()
            state.step += 1
            bar.update(1)
            if state.step % cfg.log_every == 0 or state.step == total:
                bar.set_postfix(loss=f"{log.write(state, scheduler.get_last_lr()[0]):.4f}")
            if state.step % cfg.save_every == 0 and state.step < total:
                save_checkpoint(accelerator, run, state, cfg.keep_checkpoints)
            if state.step >= total:
                break
        else:
            state.epoch, state.batch = state.epoch + 1, 0
    bar.close()
    if latest is None or state.step > _step_of(latest):
        save_checkpoint(accelerator, run, state, cfg.keep_checkpoints)
    return export_model(accelerator, model, lm, run / MODEL_DIR, merge_lora=cfg.lora is not None)


def apply_lora(model, vocab: MotionVocab, lora: LoRAConfig):
    """Wrap ``model`` with peft LoRA adapters; the motion-token embedding rows train in full."""
    try:
        from peft import LoraConfig, get_peft_model
    except ImportError:
        raise MotionbaseError("LoRA needs the 'peft' package (pip install peft)") from None
    cfg = LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout, task_type="CAUSAL_LM",
                     target_modules=list(lora.target_modules) if lora.target_modules else "all-linear",
                     trainable_token_indices=sorted(set(vocab.all_ids.tolist())))
    return get_peft_model(model, cfg)


def export_model(accelerator, model, lm: MotionLM, path: Path, *, merge_lora: bool) -> Path:
    """Save the trained backbone as a MotionLM checkpoint at ``path`` (main process writes)."""
    accelerator.wait_for_everyone()
    state_dict = None if merge_lora else accelerator.get_state_dict(model)  # collective under ZeRO-3 / FSDP
    if accelerator.is_main_process:
        backbone = accelerator.unwrap_model(model)
        if merge_lora:
            backbone = backbone.merge_and_unload()
        backbone.config.use_cache = True
        trained = MotionLM(backbone, lm.tokenizer, lm.vocab, lm.config, lm.codec)
        trained.save_pretrained(path, state_dict=state_dict)
    accelerator.wait_for_everyone()
    return path


def save_checkpoint(accelerator, run: Path, state: TrainerState, keep: int) -> Path:
    """Write ``checkpoints/step-N`` (every process saves its part; the main one completes it)."""
    root = run / CHECKPOINT_DIR
    final = root / f"step-{state.step:08d}"
    tmp = root / f".step-{state.step:08d}.tmp"
    if accelerator.is_main_process:
        shutil.rmtree(tmp, ignore_errors=True)
        root.mkdir(parents=True, exist_ok=True)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(tmp))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        _write_json(tmp / STATE_FILE, asdict(state))
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
        done = sorted((p for p in root.iterdir() if _STEP_DIR.match(p.name)), key=_step_of)
        for old in done[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()
    return final


def latest_checkpoint(run: str | os.PathLike) -> Path | None:
    """The newest complete checkpoint of ``run`` (None if there is none)."""
    root = Path(run) / CHECKPOINT_DIR
    if not root.is_dir():
        return None
    done = [p for p in root.iterdir() if _STEP_DIR.match(p.name) and (p / STATE_FILE).is_file()]
    return max(done, key=_step_of) if done else None


def accelerate_config(name: str) -> Path:
    """Path of a shipped ``accelerate launch`` config: cpu | ddp | zero2 | zero3 | fsdp (or a file path)."""
    if name in ACCELERATE_CONFIGS:
        return CONFIG_DIR / f"{name}.yaml"
    path = Path(name)
    if not path.is_file():
        raise MotionbaseError(f"accelerate config {name!r}: not a file and not one of {', '.join(ACCELERATE_CONFIGS)}")
    return path


def launch(run_dir: str | os.PathLike, *, num_processes: int = 1, config: str | None = None,
           cpu: bool = False, env: dict[str, str] | None = None) -> Path:
    """Train ``run_dir`` in this process, or in ``num_processes`` processes: on the CPU (``cpu``) via
    torchrun with gloo, else under ``accelerate launch`` with ``config`` (a name of
    :data:`ACCELERATE_CONFIGS` or a YAML path)."""
    run = Path(run_dir)
    if num_processes <= 1 and config is None:
        return train(run)
    env = {**os.environ, **(env or {})}
    if cpu:  # DDP over gloo; `accelerate launch --cpu` would start one process unless MPI is set up
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={num_processes}"]
        env["ACCELERATE_USE_CPU"] = "true"
    else:
        cmd = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", str(num_processes)]
        if config is not None:
            cmd += ["--config_file", str(accelerate_config(config))]
    cmd += ["-m", "motionbase.lm.train", str(run)]
    done = subprocess.run(cmd, env=env, check=False)
    if done.returncode:
        raise MotionbaseError(f"{run}: training processes failed (exit {done.returncode}); see the output above "
                              f"and {run / LOG_FILE}")
    return run / MODEL_DIR


# ---------------------------------------------------------------- internals

class _Log:
    """Mean loss since the last line, reduced over processes, appended to ``log.jsonl`` by the main one."""

    def __init__(self, path: Path, accelerator):
        self.path, self.accelerator, self.world_size = path, accelerator, accelerator.num_processes
        self.loss_sum, self.batches, self.tokens = 0.0, 0, 0
        self.start = time.monotonic()

    def add(self, loss: torch.Tensor, label_tokens: int) -> None:
        self.loss_sum += float(loss)
        self.batches += 1
        self.tokens += label_tokens

    def write(self, state: TrainerState, lr: float) -> float:
        totals = torch.tensor([self.loss_sum, self.batches, self.tokens], dtype=torch.float64,
                              device=self.accelerator.device)
        totals = self.accelerator.reduce(totals, reduction="sum")
        loss = float(totals[0] / max(float(totals[1]), 1.0))
        if self.accelerator.is_main_process:
            line = {"step": state.step, "epoch": state.epoch, "loss": loss, "lr": lr, "label_tokens": int(totals[2]),
                    "seconds": round(time.monotonic() - self.start, 3), "world_size": self.world_size}
            with open(self.path, "a") as fh:
                fh.write(json.dumps(line) + "\n")
        self.loss_sum, self.batches, self.tokens = 0.0, 0, 0
        return loss


def _mixed_precision(cfg: LMTrainConfig) -> str | None:
    if cfg.mixed_precision != "auto":
        return cfg.mixed_precision
    if os.environ.get("ACCELERATE_MIXED_PRECISION"):
        return None  # the launch config decides
    return "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "no"


def _step_of(path: Path) -> int:
    m = _STEP_DIR.match(path.name)
    return int(m.group(1)) if m else -1


def _write_json(path: Path, data: dict) -> None:
    atomic_write_text(path, json.dumps(data, indent=1))


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m motionbase.lm.train RUN_DIR``: the entry point ``accelerate launch`` runs."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m motionbase.lm.train RUN_DIR   (a directory made by prepare_run)", file=sys.stderr)
        raise SystemExit(2)
    try:
        train(args[0])
    except MotionbaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
