"""The one training loop: every model (tokenizer, perceptual encoder, evaluator, motion prior, motion LM) trains
with :func:`fit`, on Accelerate, and keeps one checkpoint layout.

A run directory ``RUN`` holds::

    checkpoints/step-00000100/   Accelerate's state (model, optimizer, scheduler, RNG, registered objects)
                                 + trainer_state.json (step, epoch, batch, and the trainer's ``record``)
    <log file>                   one JSON line per log step (trimmed back to the checkpoint on resume)
    ...                          whatever the trainer's ``export`` hook writes (the model in its own format)

A checkpoint is written into ``checkpoints/.step-N.tmp`` and renamed when complete (its ``trainer_state.json``
is written last), so a crash never leaves a half checkpoint that looks whole; the newest ``keep`` complete
ones stay. A rerun resumes from the newest complete one. Every process takes part in saving (ZeRO / FSDP
shards); only the main one writes files of its own, and ``wait_for_everyone`` separates the phases.

What is model-specific is passed in: the :class:`Objective` (loss of one micro-batch, plus the log fields it
accumulates), the :class:`Batches` (micro-batches of an epoch, from where a resumed run stands), the
optimizer and a scheduler factory, further stateful objects to checkpoint (a numpy ``Generator``:
:class:`RandomState`), and the ``export`` hook that writes the final model in its package format.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from accelerate import Accelerator, DataLoaderConfiguration
from safetensors import safe_open
from torch import Tensor, nn
from tqdm.auto import tqdm

from .errors import CheckpointError, MotionbaseError
from .io import atomic_write_text, swap_dir

CHECKPOINT_DIR = "checkpoints"
STATE_FILE = "trainer_state.json"
MODEL_WEIGHTS = "model.safetensors"  # Accelerate's file of the (first) model's weights in a checkpoint
_STEP_DIR = re.compile(r"^step-(\d+)$")
_OLD_STEP_DIR = re.compile(r"^step_(\d+)$")  # the tokenizer's layout before the one loop (+ latest.json)


@dataclass
class TrainerState:
    """Where the loop is: optimizer ``step``s done, ``epoch``, and ``batch`` (micro-batches into it)."""

    step: int = 0
    epoch: int = 0
    batch: int = 0


@dataclass(frozen=True)
class LoopSettings:
    """How :func:`fit` runs (each trainer maps its own training config onto these)."""

    steps: int | None = None  # optimizer steps in total (resumed ones count); None: epochs × steps per epoch
    epochs: int = 1
    grad_clip: float | None = None  # max gradient norm; None / 0: no clipping
    log_every: int = 100
    checkpoint_every: int | None = None  # None: a checkpoint only at the end
    keep_checkpoints: int = 2
    progress: bool = True
    desc: str = "train"
    log_file: str = "log.jsonl"


class Objective(Protocol):
    """``objective(model, batch) -> (loss, {field: float})`` per micro-batch (``model`` as Accelerate prepared
    it); ``flush()`` -> fields accumulated since the last log line (called on every process: it may reduce).

    An objective that accumulates may also have ``state_dict`` / ``load_state_dict`` (its sums go into the
    checkpoints, so a log line after a resume covers the same steps as without one) and ``sync()``, called on
    every process before a checkpoint is saved (only the main process's state is saved: sync may make it
    stand for all of them)."""

    def __call__(self, model: nn.Module, batch: Any) -> tuple[Tensor, dict[str, float]]: ...

    def flush(self) -> dict[str, float]: ...


class Batches(Protocol):
    """The data: ``loaders()`` -> DataLoaders to prepare together with the model (DeepSpeed takes its batch size
    from them); ``start(accelerator, prepared)`` -> micro-batches per epoch (None: endless); ``epoch(state)`` ->
    the micro-batches of epoch ``state.epoch`` from micro-batch ``state.batch`` on."""

    def loaders(self) -> tuple: ...

    def start(self, accelerator: Accelerator, prepared: list) -> int | None: ...

    def epoch(self, state: TrainerState) -> Iterable: ...


class Cycle:
    """:class:`Batches` over any iterable: a re-iterable (list, DataLoader) is cycled, a resumed run skipping the
    batches it has done when it is sized; an iterator is used once (where a resumed run continues is its business,
    e.g. :class:`~motionbase.tokenizer.windows.StoreWindows`' ``start_step``, or a generator drawing from a
    checkpointed :class:`RandomState`), and running out of it raises."""

    def __init__(self, source: Iterable, what: str = "train_windows"):
        self.source, self.what, self.seen = source, what, False
        self.one_shot = iter(source) is source
        self.sized = hasattr(source, "__len__")

    def loaders(self) -> tuple:
        return ()

    def start(self, accelerator: Accelerator, prepared: list) -> int | None:
        return None  # epochs are not counted: the loop runs LoopSettings.steps

    def epoch(self, state: TrainerState) -> Iterator:
        if self.one_shot:
            it = self.source
        else:
            it = itertools.islice(self.source, state.batch, None) if self.sized else iter(self.source)
        n = 0
        for n, batch in enumerate(it, 1):
            self.seen = True
            yield batch
        if n == 0 and (self.one_shot or state.batch == 0):
            raise MotionbaseError(f"{self.what} ran out of batches" if self.seen else f"{self.what} yielded no batches")


class RandomState:
    """A numpy ``Generator`` as a checkpointable object (``register_for_checkpointing``)."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def state_dict(self) -> dict:
        return {"bit_generator": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        self.rng.bit_generator.state = state["bit_generator"]


def make_accelerator(device: str | torch.device | None = None, *, mixed_precision: str | None = "no",
                     grad_accum: int = 1, seedable_sampler: bool = False) -> Accelerator:
    """An :class:`Accelerator` on its own choice of device (the launch's), or on the CPU when ``device`` is one."""
    cpu = device is not None and torch.device(device).type == "cpu"
    return Accelerator(cpu=cpu, mixed_precision=mixed_precision, gradient_accumulation_steps=grad_accum,
                       dataloader_config=DataLoaderConfiguration(use_seedable_sampler=seedable_sampler))


# ---------------------------------------------------------------- the checkpoint layout

def step_of(path: Path) -> int:
    """The step of a checkpoint directory ``step-N`` (-1 for any other name)."""
    m = _STEP_DIR.match(Path(path).name)
    return int(m.group(1)) if m else -1


def latest_checkpoint(run: str | os.PathLike) -> Path | None:
    """The newest complete checkpoint of ``run`` (None if there is none). A run in the tokenizer's old layout
    (``step_N`` + ``latest.json``) and none in the new one fails with one line saying how to restart."""
    root = Path(run) / CHECKPOINT_DIR
    if not root.is_dir():
        return None
    done = [p for p in root.iterdir() if _STEP_DIR.match(p.name) and (p / STATE_FILE).is_file()]
    if not done and any(_OLD_STEP_DIR.match(p.name) for p in root.iterdir()):
        raise CheckpointError(f"{root}: checkpoints in the old layout (step_N + latest.json), which this version "
                              f"does not resume; start over in a new output folder (or delete {root})")
    return max(done, key=step_of) if done else None


def read_trainer_state(checkpoint: Path) -> dict:
    """A checkpoint's ``trainer_state.json``: ``step``, ``epoch``, ``batch`` and the trainer's ``record``."""
    path = Path(checkpoint) / STATE_FILE
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: unreadable trainer state ({exc})") from None


def checkpoint_tensors(checkpoint: Path, names: Iterable[str]) -> dict[str, np.ndarray]:
    """Named tensors of the model in a checkpoint (e.g. normalisation buffers), read without building it."""
    path = Path(checkpoint) / MODEL_WEIGHTS
    try:
        with safe_open(str(path), framework="np") as f:
            return {name: f.get_tensor(name) for name in names}
    except (OSError, KeyError, ValueError) as exc:
        raise CheckpointError(f"{path}: cannot read {', '.join(names)} ({exc})") from None


def save_checkpoint(accelerator: Accelerator, run: Path, state: TrainerState, keep: int,
                    record: dict | None = None) -> Path:
    """Write ``checkpoints/step-N`` (every process saves its part into ``.step-N.tmp``, a name all of them know;
    the main one completes it and swaps it in)."""
    root = Path(run) / CHECKPOINT_DIR
    final = root / f"step-{state.step:08d}"
    tmp = root / f".step-{state.step:08d}.tmp"
    if accelerator.is_main_process:
        shutil.rmtree(tmp, ignore_errors=True)
        root.mkdir(parents=True, exist_ok=True)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(tmp))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        atomic_write_text(tmp / STATE_FILE, json.dumps({**asdict(state), "record": record or {}}, indent=1))
        swap_dir(tmp, final)
        done = sorted((p for p in root.iterdir() if _STEP_DIR.match(p.name)), key=step_of)
        for old in done[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()
    return final


def trim_log(path: Path, step: int) -> None:
    """Drop log lines after ``step`` (the checkpoint a run resumes from): those steps are about to be redone."""
    if not path.is_file():
        return
    lines = path.read_text().splitlines()
    keep = [line for line in lines if line.strip() and json.loads(line).get("step", 0) <= step]
    if len(keep) != len(lines):
        atomic_write_text(path, "".join(f"{line}\n" for line in keep))


# ---------------------------------------------------------------- the loop

def fit(model: nn.Module, optimizer: torch.optim.Optimizer, objective: Objective, batches: Batches,
        run: str | os.PathLike | None, settings: LoopSettings, *, accelerator: Accelerator,
        export: Callable[[Accelerator, nn.Module], Any],
        scheduler: Callable[[torch.optim.Optimizer, int], Any] | None = None,
        checkpointed: tuple = (), record: dict | None = None,
        on_step: Callable[[int, float], bool | None] | None = None, resume: bool = True) -> Any:
    """Train ``model`` and return ``export(accelerator, prepared model)`` (called on every process).

    ``scheduler(optimizer, total_steps)``: the learning-rate schedule (default constant), stepped once per
    optimizer step. ``checkpointed``: further objects with ``state_dict`` / ``load_state_dict`` saved in every
    checkpoint. ``record``: JSON the trainer wants in every ``trainer_state.json`` (e.g. the model's config, to
    refuse a resume with another). ``on_step(step, loss)`` after every optimizer step; returning True stops
    the run there (it checkpoints and exports as at the end). ``run`` None: no checkpoints, no log, no resume.
    """
    model.train()
    model, optimizer, *loaders = accelerator.prepare(model, optimizer, *batches.loaders())
    per_epoch = batches.start(accelerator, loaders)
    if settings.steps is not None:
        total = settings.steps
    elif per_epoch is not None:
        total = settings.epochs * math.ceil(per_epoch / accelerator.gradient_accumulation_steps)
    else:
        raise MotionbaseError(f"{settings.desc}: endless data needs a number of steps")
    sched = (scheduler or (lambda opt, n: torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)))(optimizer, total)
    state, latest = TrainerState(), None
    run = Path(run) if run is not None else None
    if run is not None and resume:
        latest = latest_checkpoint(run)
    extra = (sched, *checkpointed)
    if hasattr(objective, "state_dict") and (latest is None
                                             or (latest / f"custom_checkpoint_{len(extra)}.pkl").is_file()):
        extra += (objective,)  # checkpoints written before objectives kept their sums have none: they start empty
    for obj in extra:
        accelerator.register_for_checkpointing(obj)
    if latest is not None:
        accelerator.load_state(str(latest))
        saved = read_trainer_state(latest)
        state = TrainerState(**{k: int(saved[k]) for k in ("step", "epoch", "batch")})
    main = accelerator.is_main_process
    if run is not None and main:
        run.mkdir(parents=True, exist_ok=True)
        trim_log(run / settings.log_file, state.step)
    log = _Log(run / settings.log_file if run is not None and main else None, accelerator, state.step)
    bar = tqdm(total=total, initial=state.step, desc=settings.desc, unit="step",
               disable=not (settings.progress and main))
    stop = False

    def checkpoint() -> None:
        if hasattr(objective, "sync"):
            objective.sync()
        save_checkpoint(accelerator, run, state, settings.keep_checkpoints, record)

    while state.step < total and not stop:
        for batch in batches.epoch(state):
            with accelerator.accumulate(model):
                loss, logs = objective(model, batch)
                value = float(loss.detach())
                if not math.isfinite(value):
                    raise MotionbaseError(f"{settings.desc}: loss is not finite at step {state.step} ({logs}); "
                                          "lower the learning rate or check the data")
                accelerator.backward(loss)
                if accelerator.sync_gradients and settings.grad_clip:
                    accelerator.clip_grad_norm_(model.parameters(), settings.grad_clip)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            state.batch += 1
            if not accelerator.sync_gradients:
                continue
            sched.step()
            state.step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{value:.4f}")
            stop = bool(on_step(state.step, value)) if on_step is not None else False
            if state.step % settings.log_every == 0 or state.step == total or stop:
                log.write(state, sched.get_last_lr()[0], logs, objective.flush())
            if run is not None and settings.checkpoint_every and state.step % settings.checkpoint_every == 0 \
                    and state.step < total and not stop:
                checkpoint()
            if state.step >= total or stop:
                break
        else:
            state.epoch, state.batch = state.epoch + 1, 0
    bar.close()
    if run is not None and (latest is None or state.step > step_of(latest)):
        checkpoint()
    accelerator.wait_for_everyone()
    out = export(accelerator, model)
    accelerator.wait_for_everyone()
    return out


class _Log:
    """One JSON line per log step (main process): step, epoch, lr, the objective's fields, seconds since the
    start, wall / process-CPU seconds per step since the last line, world size."""

    def __init__(self, path: Path | None, accelerator: Accelerator, step: int):
        self.path, self.world_size, self.last_step = path, accelerator.num_processes, step
        self.start = self.tick = time.perf_counter()
        self.cpu_tick = time.process_time()

    def write(self, state: TrainerState, lr: float, logs: dict, flushed: dict) -> None:
        now, cpu_now = time.perf_counter(), time.process_time()
        since = max(state.step - self.last_step, 1)
        if self.path is not None:
            line = {"step": state.step, "epoch": state.epoch, "lr": lr, **logs, **flushed,
                    "seconds": round(now - self.start, 3), "step_s": (now - self.tick) / since,
                    "step_cpu_s": (cpu_now - self.cpu_tick) / since, "world_size": self.world_size}
            with open(self.path, "a") as fh:
                fh.write(json.dumps(line) + "\n")
        self.tick, self.cpu_tick, self.last_step = now, cpu_now, state.step
