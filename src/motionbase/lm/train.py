"""Training the motion LM with Accelerate: one CPU, one GPU, DDP, DeepSpeed ZeRO or FSDP, same code.

A run directory is self-contained, so every process of a distributed launch (and a resumed run)
starts from the same files::

    run.json          the LMTrainConfig (written by prepare_run)
    base/             the MotionLM before training (vocabulary added or reused, tokenizer included)
    records.npz       the training records: motion codes + captions (see motionbase.lm.data)
    checkpoints/step-00000100/   accelerate state (model, optimizer, RNG, scheduler) + trainer_state.json
                                 (the one layout of motionbase.training)
    log.jsonl         one JSON line per log step: step, epoch, loss, lr, label tokens, seconds, world size
    model/            the trained MotionLM (LoRA merged), loadable with MotionLM.from_pretrained

``prepare_run`` writes the first three in one process; ``train`` (or ``python -m motionbase.lm.train
RUN_DIR`` under ``accelerate launch``) runs the one training loop (:func:`motionbase.training.fit`: the LM
brings its data, loss, schedule and export) and resumes from the newest complete checkpoint. Config files
for ``accelerate launch`` ship in ``accelerate_configs/``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import torch

from ..errors import CheckpointError, MotionbaseError
from ..io import atomic_write_text
from ..training import LoopSettings, TrainerState, fit, latest_checkpoint, make_accelerator
from .config import LMDataConfig, LMTrainConfig, LoRAConfig, legacy_data
from .contrast import contrast_loss, masked_logprob
from .data import Collator, InstructionDataset, MotionRecord, load_records, save_records
from .model import MotionLM, read_lm_record
from .onset import onset_codes
from .vocab import MotionVocab

__all__ = ["prepare_run", "read_run_config", "train", "apply_lora", "export_model", "latest_checkpoint",
           "accelerate_config", "launch", "main"]

RUN_FILE = "run.json"
RECORDS_FILE = "records.npz"
BASE_DIR = "base"
MODEL_DIR = "model"
CHECKPOINT_DIR = "checkpoints"
LOG_FILE = "log.jsonl"
CONFIG_DIR = Path(__file__).with_name("accelerate_configs")
ACCELERATE_CONFIGS = ("cpu", "ddp", "zero2", "zero3", "fsdp")


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
    from accelerate.utils import set_seed  # Accelerate and transformers only where the LM trains
    from transformers import get_scheduler

    run = Path(run_dir)
    cfg = config or read_run_config(run)
    accelerator = make_accelerator(mixed_precision=_mixed_precision(cfg), grad_accum=cfg.grad_accum,
                                   seedable_sampler=True)
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
    lm.onset = onset_codes([r.codes for r in dataset.records], lm.codec.tokens_per_step, lm.codec.codebook_size)
    loader = torch.utils.data.DataLoader(dataset, batch_size=cfg.batch_size, shuffle=True,
                                         collate_fn=Collator(lm.tokenizer.pad_token_id), num_workers=cfg.num_workers)
    lr = cfg.lr if cfg.lr is not None else lm.default_lr
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr,
                                  weight_decay=cfg.weight_decay)
    settings = LoopSettings(steps=cfg.max_steps or None, epochs=cfg.epochs, grad_clip=cfg.max_grad_norm or None,
                            log_every=cfg.log_every, checkpoint_every=cfg.save_every,
                            keep_checkpoints=cfg.keep_checkpoints, progress=cfg.progress, desc="lm train",
                            log_file=LOG_FILE)
    return fit(model, optimizer, _LMObjective(accelerator, cfg.data), _Epochs(loader, dataset), run, settings,
               accelerator=accelerator,
               scheduler=lambda opt, total: get_scheduler(cfg.scheduler, opt, num_warmup_steps=cfg.warmup_steps,
                                                          num_training_steps=total),
               export=lambda acc, m: export_model(acc, m, lm, run / MODEL_DIR, merge_lora=cfg.lora is not None))


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
        trained = MotionLM(backbone, lm.tokenizer, lm.vocab, lm.config, lm.codec, onset=lm.onset)
        trained.save_pretrained(path, state_dict=state_dict)
    accelerator.wait_for_everyone()
    return path


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

class _Epochs:
    """The LM's data for the loop: the loader, prepared (sharded, seedable sampler); an epoch reshuffles (and
    redraws the task mix), a resumed one skips the micro-batches it has done."""

    def __init__(self, loader, dataset: InstructionDataset):
        self.loader, self.dataset = loader, dataset

    def loaders(self) -> tuple:
        return (self.loader,)

    def start(self, accelerator, prepared: list) -> int:
        self.accelerator, self.loader = accelerator, prepared[0]
        return len(self.loader)

    def epoch(self, state: TrainerState):
        self.dataset.set_epoch(state.epoch)
        self.loader.set_epoch(state.epoch)
        return self.accelerator.skip_first_batches(self.loader, state.batch) if state.batch else self.loader


class _LMObjective:
    """The causal-LM loss of a micro-batch, plus the caption contrast where the batch carries pairs
    (:mod:`motionbase.lm.contrast`, weight ``data.contrast``); the log's mean loss, label tokens, and the contrast's
    mean hinge and share of pairs ordered right since the last line, reduced over processes (the sums since the
    last line go into checkpoints)."""

    KEYS = ("loss_sum", "batches", "tokens", "contrast_sum", "contrast_right", "pairs")

    def __init__(self, accelerator, data: LMDataConfig):
        self.accelerator = accelerator
        self.weight, self.margin = data.contrast, data.contrast_margin
        self.sums = dict.fromkeys(self.KEYS, 0.0)

    def __call__(self, model, batch) -> tuple[torch.Tensor, dict[str, float]]:
        pairs, motion = batch.pop("contrast_pairs", None), batch.pop("motion_mask", None)
        out = model(**batch)
        loss = out.loss
        self.sums["loss_sum"] += float(loss.detach())
        self.sums["batches"] += 1
        self.sums["tokens"] += int((batch["labels"] != -100).sum())
        if pairs is not None and len(pairs) and self.weight > 0:
            rows = pairs.reshape(-1)  # own, negative, own, negative, ...: only these rows need log-probs
            lp, counts = masked_logprob(out.logits[rows], batch["input_ids"][rows], motion[rows])
            hinge, right = contrast_loss(lp[0::2], lp[1::2], counts[0::2], self.margin)
            loss = loss + self.weight * hinge
            self.sums["contrast_sum"] += float(hinge.detach()) * len(pairs)
            self.sums["contrast_right"] += float(right) * len(pairs)
            self.sums["pairs"] += len(pairs)
        return loss, {}

    def _totals(self) -> torch.Tensor:
        totals = torch.tensor([self.sums[k] for k in self.KEYS], dtype=torch.float64, device=self.accelerator.device)
        return self.accelerator.reduce(totals, reduction="sum")

    def flush(self) -> dict[str, float]:
        t = dict(zip(self.KEYS, (float(v) for v in self._totals())))
        self.sums = dict.fromkeys(self.KEYS, 0.0)
        line = {"loss": t["loss_sum"] / max(t["batches"], 1.0), "label_tokens": round(t["tokens"])}
        if t["pairs"]:
            line.update(contrast=t["contrast_sum"] / t["pairs"], contrast_right=t["contrast_right"] / t["pairs"])
        return line

    def sync(self) -> None:
        """Before a checkpoint: each process holds 1/world of the sums over all (the main one's are saved)."""
        n = self.accelerator.num_processes
        self.sums = {k: float(v) / n for k, v in zip(self.KEYS, self._totals())}

    def state_dict(self) -> dict:
        return dict(self.sums)

    def load_state_dict(self, state: dict) -> None:  # checkpoints before the contrast have only the first three
        self.sums = {k: float(state.get(k, 0.0)) for k in self.KEYS}


def _mixed_precision(cfg: LMTrainConfig) -> str | None:
    if cfg.mixed_precision != "auto":
        return cfg.mixed_precision
    if os.environ.get("ACCELERATE_MIXED_PRECISION"):
        return None  # the launch config decides
    return "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "no"


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
