"""Question: how fast is the default tiny motion LM on this CPU, and does the loss target matter?

All in one run, on the default model sizes (``scripts/train_default.py``: 2D-LFQ body tokenizer, K = 512,
P = 6 parts; tiny GPT-2, 192 wide x 4 layers, 512-token context). The trained default checkpoints under
``--defaults`` (``tokenizer/``, ``lm/model/``) are used where they exist; otherwise models of the same sizes
are built here with random weights (speed does not depend on training), and the output says which.

1. Training throughput: real (non-padding) tokens per second of the LM training loop (``motionbase.lm.train``,
   AdamW, batch 8) on instruction examples built from the store's train split, after a warm-up; one thread
   vs the default thread count (ratio).
2. Generation latency, "text -> 10 s of motion, decoded to joints": 50 time steps x P codes sampled with
   constrained decoding, tokenizer decode, ``features_to_joints``; median wall time of ``--repeats`` runs,
   with the KV cache (``use_cache=True``) vs without (baseline; ratio), and the same path through the
   ``MotionGenerator`` facade. Goal: under 1 s with the cache.
3. Loss ablation (paper Table 10): two LMs from the same initial weights, trained the same number of steps
   with ``loss_on="whole"`` and ``loss_on="motion"``; validation loss on the motion tokens of text-to-motion
   examples (val split) and, unless ``--no-eval``, R-precision of their generations on the test split with the
   evaluator (``motionbase.evaluate.from_paths.evaluate_paths``, debug mode: one replication). The step count
   is cut to fit ``--budget-minutes`` (from the measured step time) and the part is skipped when even
   ``MIN_ABLATION_STEPS`` do not fit; the markdown says what ran.

Writes ``benchmarks/results/lm_speed.json`` and ``.md`` (``results/quick/`` with ``--quick``). Usage::

    python benchmarks/lm_speed.py [--store STORE] [--evaluator DIR] [--quick] [--repeats 5] [--ablation-steps 300]
        [--budget-minutes 15]

Without ``--store`` the store is built from the repository's own clips (``bench_common.package_store``: smoke
data, fine for the speed figures; the ablation needs a real store to mean anything); the measured table used
the Bandai-Namco captioned store.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import shutil
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import torch

from motionbase.data.store import ClipStore
from motionbase.features.humanml3d import features_to_joints
from motionbase.generation import MotionGenerator
from motionbase.lm.config import LMConfig, LMDataConfig, LMTrainConfig, legacy_data
from motionbase.lm.data import (
    IGNORE_INDEX,
    Collator,
    InstructionDataset,
    caption_corpus,
    records_from_store,
)
from motionbase.lm.generate import GenerationOptions, text_to_motion
from motionbase.generation import load_motion_tokenizer
from motionbase.lm.model import MotionLM

from bench_common import WORK, add_quick, package_store, results_dir, shipped_models, write_results
from motionbase.lm.train import LOG_FILE, prepare_run, train

ROOT = Path(__file__).resolve().parents[1]
NAME = "lm_speed"
STORE: Path = Path()  # --store (default: a store built from the repository's clips, bench_common.package_store)
EVALUATOR: Path = Path()  # --evaluator (default: the shipped evaluator)
CAPTIONS = ["a person walks forward and waves the right hand", "someone kicks with the left leg",
            "a person runs in a circle", "a tired person raises both hands"]
SECONDS = 10.0
LR = 1e-3  # the default LM's training rate (scripts/train_default.py)
MIN_ABLATION_STEPS = 100
VAL_BATCH = 16
EVAL_MINUTES = 1.5  # one test-split evaluation with generation: 70 s measured (1 thread, load ~6)


def train_defaults() -> dict:
    """``DEFAULTS`` of scripts/train_default.py (the recipe of the shipped models), without copying it here."""
    spec = importlib.util.spec_from_file_location("train_default", ROOT / "scripts" / "train_default.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.DEFAULTS


# ---------------------------------------------------------------- models and data

def motion_tokenizer(defaults: dict, defaults_dir: Path, work: Path):
    """(tokenizer, info, directory, note): the trained default tokenizer, else a random one of its sizes."""
    trained = defaults_dir / "tokenizer"
    if (trained / "model.safetensors").is_file():
        tok, info = load_motion_tokenizer(trained)
        return tok, info, trained, f"trained default tokenizer ({trained})"
    from motionbase.tokenizer import MotionTokenizer
    from motionbase.tokenizer.run import TokenizerRunConfig as TokenizerRun
    from motionbase.tokenizer.windows import store_stats

    out = work / "tokenizer"
    if not (out / "model.safetensors").is_file():  # deterministic: same bytes, same hash, code cache reused
        torch.manual_seed(0)
        cfg = TokenizerRun.from_dict(defaults["tokenizer"], source="train_default.DEFAULTS").tokenizer_config()
        MotionTokenizer(cfg, stats=store_stats(ClipStore.open(STORE), "train")).save_pretrained(out)
    tok, info = load_motion_tokenizer(out)
    return tok, info, out, "random-weight tokenizer of the default sizes (no trained default found)"


def records(tok, info, work: Path, split: str, limit: int | None = None):
    recs = records_from_store(ClipStore.open(STORE), tok, info, work / "codes", split=split, progress=False)
    return recs[:limit] if limit else recs


def motion_lm(defaults: dict, defaults_dir: Path, info, train_records) -> tuple[MotionLM, str]:
    """The trained default LM (refused unless made with this tokenizer), else a fresh one of its sizes."""
    trained = next((d for d in (defaults_dir / "lm" / "model", defaults_dir / "lm") if (d / "config.json").is_file()),
                   defaults_dir / "lm")
    if (trained / "config.json").is_file():
        return MotionLM.from_pretrained(trained, info), f"trained default LM ({trained})"
    return fresh_lm(defaults, info, train_records), "random-weight LM of the default sizes (no trained default found)"


def fresh_lm(defaults: dict, info, train_records, **overrides) -> MotionLM:
    config = LMConfig.from_dict(defaults["lm"], source="train_default.DEFAULTS['lm']").replace(**overrides)
    return MotionLM.build(config, info, corpus=list(caption_corpus(train_records)))


def default_data(defaults: dict, **overrides) -> LMDataConfig:
    """The default model's training-example settings (the LMDataConfig keys of DEFAULTS['lm']), changed."""
    return LMDataConfig.from_dict({**legacy_data(defaults["lm"]), **overrides},
                                  source="train_default.DEFAULTS['lm']")


# ---------------------------------------------------------------- 1. training throughput

def train_run(run: Path, lm: MotionLM, train_records, steps: int, log_every: int, batch: int,
              data: LMDataConfig) -> list[dict]:
    """Train ``lm`` (a copy, via a fresh run directory) for ``steps`` steps on examples drawn as ``data`` says; the
    run's log lines."""
    shutil.rmtree(run, ignore_errors=True)
    cfg = LMTrainConfig(lr=LR, batch_size=batch, max_steps=steps, log_every=log_every, save_every=10 ** 9,
                        mixed_precision="no", progress=False, data=data)
    prepare_run(run, lm, train_records, cfg)
    train(run)
    return [json.loads(line) for line in (run / LOG_FILE).read_text().splitlines()]


def throughput(lm: MotionLM, train_records, work: Path, threads: int, warmup: int, steps: int, batch: int,
               data: LMDataConfig) -> dict:
    """Tokens/s over ``steps`` optimizer steps after ``warmup`` steps (log lines at both marks)."""
    torch.set_num_threads(threads)
    log = train_run(work / f"throughput-{threads}", lm, train_records, warmup + steps, warmup, batch, data)
    first, timed = log[0], log[1:]
    seconds = timed[-1]["seconds"] - first["seconds"]
    tokens = sum(line["label_tokens"] for line in timed)
    return {"threads": threads, "steps": steps, "warmup_steps": warmup, "batch": batch, "tokens": tokens,
            "seconds": round(seconds, 3), "tokens_per_s": round(tokens / seconds, 1),
            "s_per_step": round(seconds / steps, 4), "loadavg_1min_after": round(os.getloadavg()[0], 2)}


# ---------------------------------------------------------------- 2. generation latency

def text_to_joints(lm: MotionLM, tok, caption: str, seed: int, use_cache: bool) -> dict:
    """One "text -> 10 s of motion -> joints" pass: wall seconds of each stage, CPU seconds, the codes."""
    c0, t0 = time.process_time(), time.perf_counter()
    [res] = text_to_motion(lm, [caption], GenerationOptions(seconds=SECONDS, seed=seed, use_cache=use_cache))
    t1 = time.perf_counter()
    feats = tok.decode(res.codes).detach().cpu().numpy()
    t2 = time.perf_counter()
    joints = features_to_joints(feats.astype(np.float64), final_frame=True)
    t3 = time.perf_counter()
    return {"generate": t1 - t0, "decode": t2 - t1, "joints": t3 - t2, "total": t3 - t0,
            "cpu_total": time.process_time() - c0, "codes": res.codes, "closed": res.closed, "frames": len(joints)}


def forward_loop(lm: MotionLM, prompt_tokens: int, new_tokens: int) -> float:
    """Wall seconds of a bare KV-cache decoding loop (greedy, no generate(), no constraint): the backbone's
    own share of generation, a lower bound for any decoding loop around it."""
    model = lm.backbone.eval()
    ids = torch.full((1, prompt_tokens), int(lm.tokenizer.eos_token_id))
    t0 = time.perf_counter()
    with torch.no_grad():
        out = model(input_ids=ids, use_cache=True)
        for _ in range(new_tokens):
            out = model(input_ids=out.logits[:, -1:].argmax(-1), past_key_values=out.past_key_values, use_cache=True)
    return time.perf_counter() - t0


def latency(lm: MotionLM, tok, threads: int, repeats: int, baseline: bool) -> dict:
    """Median stage times with the KV cache and (``baseline``) without it, same captions and seeds; the
    ``MotionGenerator`` facade's total; the bare forward loop over as many tokens."""
    torch.set_num_threads(threads)
    text_to_joints(lm, tok, CAPTIONS[0], 0, True)  # warm-up
    runs = {c: [text_to_joints(lm, tok, CAPTIONS[i % len(CAPTIONS)], i, c) for i in range(repeats)]
            for c in ((True, False) if baseline else (True,))}
    facade = MotionGenerator(lm, tok)
    facade_s = []
    for i in range(repeats):
        t0 = time.perf_counter()
        [m] = facade.text_to_motion([CAPTIONS[i % len(CAPTIONS)]], SECONDS, seed=i)
        facade_s.append(time.perf_counter() - t0)
    first = runs[True][0]
    answer = int(first["codes"].size) + 2  # <mot> codes </mot>
    bare = statistics.median(forward_loop(lm, 24, answer) for _ in range(repeats))
    med = {c: {k: round(statistics.median(r[k] for r in rs), 4) for k in ("generate", "decode", "joints", "total",
                                                                       "cpu_total")} for c, rs in runs.items()}
    out = {"threads": threads, "repeats": repeats, "seconds_of_motion": SECONDS, "code_steps": len(first["codes"]),
           "motion_tokens": int(first["codes"].size), "joint_frames": int(first["frames"]),
           "closed": all(r["closed"] for rs in runs.values() for r in rs), "cache": med[True],
           "facade_total": round(statistics.median(facade_s), 4), "facade_frames": len(m.joints),
           "bare_forward_loop": round(bare, 4), "goal_under_1s": bool(med[True]["total"] < 1.0)}
    if baseline:
        out.update(no_cache=med[False],
                   same_codes_with_and_without_cache=all(np.array_equal(a["codes"], b["codes"])
                                                         for a, b in zip(runs[True], runs[False])),
                   speedup_generate=round(med[False]["generate"] / med[True]["generate"], 2),
                   speedup_total=round(med[False]["total"] / med[True]["total"], 2))
    return out


# ---------------------------------------------------------------- 3. loss ablation

def motion_token_loss(lm: MotionLM, val_records, defaults: dict) -> dict:
    """Mean cross-entropy (nats) on the motion tokens of text-to-motion examples of ``val_records``.

    Examples are drawn with seed 0 and the model's own text tokenizer, so both ablation arms see the same ones.
    """
    config = default_data(defaults, loss_on="motion", task_weights={"t2m": 1.0})
    data = InstructionDataset(val_records, lm.encoder, config, lm.example_length(config), lm.codec.codes_per_second,
                              seed=0, canonical_sides=lm.config.canonical_sides)
    collate = Collator(lm.tokenizer.pad_token_id)
    model = lm.backbone.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for s in range(0, len(data), VAL_BATCH):
            batch = collate([data[i] for i in range(s, min(s + VAL_BATCH, len(data)))])
            logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
            labels = batch["labels"][:, 1:]
            loss = torch.nn.functional.cross_entropy(logits[:, :-1].flatten(0, 1).float(), labels.flatten(),
                                                     ignore_index=IGNORE_INDEX, reduction="sum")
            total += float(loss)
            count += int((labels != IGNORE_INDEX).sum())
    mean = total / count
    return {"val_motion_loss": round(mean, 4), "val_motion_ppl": round(math.exp(mean), 1), "val_tokens": count,
            "val_examples": len(data)}


def r_precision(model_dir: Path, tok_dir: Path) -> dict:
    """R@1..3 and FID of the LM's generations on the test split (debug mode: one replication), and the
    reference rows of the same run (real motion, tokenizer reconstruction)."""
    from motionbase.evaluate.from_paths import evaluate_paths
    from motionbase.evaluate.run import EvaluationRunConfig

    t0 = time.perf_counter()
    report = evaluate_paths(STORE, EVALUATOR, split="test", tokenizer=tok_dir, lm=model_dir,
                            config=EvaluationRunConfig(mode="debug"))
    rows = {row.name: {"r_precision": np.round(np.atleast_1d(row.metrics["r_precision"].mean), 4).tolist(),
                       "fid": round(float(np.asarray(row.metrics["fid"].mean)), 3)} for row in report.rows}
    generated = [k for k in rows if "enerat" in k.lower()]
    return {"generated": rows[generated[0]] if generated else None,
            "reference": {k: v for k, v in rows.items() if k not in generated},
            "clips": report.info["clips"], "seconds": round(time.perf_counter() - t0, 1)}


def ablation(defaults: dict, info, train_records, val_records, work: Path, steps: int, batch: int) -> dict:
    """Same initial weights, same steps: loss on every token vs on the motion tokens only."""
    base = fresh_lm(defaults, info, train_records)
    arms = {}
    for loss_on in ("whole", "motion"):
        arm = MotionLM(base.backbone, base.tokenizer, base.vocab, base.config, base.codec)
        t0 = time.perf_counter()
        log = train_run(work / f"ablation-{loss_on}", arm, train_records, steps, max(1, steps // 10), batch,
                        default_data(defaults, loss_on=loss_on))
        trained = MotionLM.from_pretrained(work / f"ablation-{loss_on}" / "model", info)
        arms[loss_on] = {"train_seconds": round(time.perf_counter() - t0, 1),
                         "final_train_loss": round(log[-1]["loss"], 4),
                         **motion_token_loss(trained, val_records, defaults)}
    return {"ran": True, "steps": steps, "batch": batch, "lr": LR, "arms": arms,
            "untrained": motion_token_loss(base, val_records, defaults)}


# ---------------------------------------------------------------- report

def markdown(meta: dict, tput: list[dict], lat: list[dict], abl: dict) -> str:
    lines = [f"# {meta['question']}", "",
             (f"{meta['machine']}, torch {meta['torch']}, {meta['cpus']} CPUs, a shared machine (1-min load "
              f"average {meta['loadavg_start']} at the start, {meta['loadavg_end']} at the end; other jobs inflate "
              f"wall times). Models: {meta['lm']}; {meta['tokenizer']} (K = {meta['K']}, P = {meta['P']}). "
              f"Data: {meta['store']} ({meta['train_clips']} train clips)."), ""]
    if meta["quick"]:
        lines += ["**Quick smoke run (--quick): few steps and repeats, 64 train clips; not the reported numbers.**", ""]
    lines += ["## Training throughput (wall time after warm-up; real, non-padding tokens)", "",
              "| threads | steps x batch | tokens | s/step | tokens/s | ratio vs 1 thread |", "|---:|---|---:|---:|---:|---:|"]
    lines += [f"| {r['threads']} | {r['steps']} x {r['batch']} | {r['tokens']} | {r['s_per_step']:.3f} | "
              f"{r['tokens_per_s']:.0f} | {r['tokens_per_s'] / tput[0]['tokens_per_s']:.2f} |" for r in tput]
    lines += ["", f"## Text -> {SECONDS:g} s of motion, decoded to joints (median wall seconds; CPU s: the whole pass)",
              "", ("| threads | KV cache | generate | decode | features_to_joints | total | CPU s | facade total | "
                   "bare forward loop | goal < 1 s |"), "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in lat:
        for key, name in (("cache", "yes"), ("no_cache", "no (baseline)")):
            if key not in r:
                continue
            s, cached = r[key], key == "cache"
            extra = (f"{r['facade_total']:.3f} | {r['bare_forward_loop']:.3f} | "
                     f"{'yes' if r['goal_under_1s'] else '**no**'}") if cached else "– | – | –"
            lines.append(f"| {r['threads']} | {name} | {s['generate']:.3f} | {s['decode']:.3f} | {s['joints']:.3f} | "
                         f"{s['total']:.3f} | {s['cpu_total']:.3f} | {extra} |")
    lines.append("")
    for r in lat:
        text = (f"{r['threads']} thread(s): {r['code_steps']} steps = {r['motion_tokens']} motion tokens -> "
                f"{r['joint_frames']} joint frames")
        if "speedup_generate" in r:
            text += (f"; KV-cache speed-up {r['speedup_generate']:.2f}x on generation, {r['speedup_total']:.2f}x end "
                     f"to end; same codes with and without the cache: "
                     f"{'yes' if r['same_codes_with_and_without_cache'] else 'no'}")
        lines.append(text + ".")
    lines += ["", ("Facade: `MotionGenerator.text_to_motion` (same path plus prompt checks). Bare forward loop: the "
                   "backbone alone over as many tokens with its KV cache (greedy, no `generate()`, no constraint), "
                   "the floor for any decoding loop around this model."), "",
              "## Loss ablation: whole sequence vs motion tokens only (paper Table 10)", ""]
    if not abl.get("ran"):
        return "\n".join(lines + [f"Not run: {abl['reason']}."] + not_run(meta, lat, abl)) + "\n"
    arms = abl["arms"]
    lines += [f"Two LMs from the same initial weights (one seed), {abl['steps']} steps x batch {abl['batch']}, lr {abl['lr']:g}, "
              f"{abl['threads']} thread(s)" + (f" ({abl['note']})" if abl.get("note") else "") + ". Validation: "
              f"cross-entropy on the motion tokens (<mot>, codes, </mot>) of {arms['whole']['val_examples']} "
              f"text-to-motion examples of the val split ({arms['whole']['val_tokens']} tokens). Untrained: "
              f"{abl['untrained']['val_motion_loss']:.3f} nats; uniform over the K codes: {math.log(meta['K']):.3f}.", "",
              "| loss on | train s | final train loss (own target) | val motion loss (nats) | val motion ppl | R@1 | R@2 | R@3 | FID |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, arm in arms.items():
        gen = arm.get("eval", {}).get("generated")
        rp = (" | ".join(f"{x:.3f}" for x in gen["r_precision"]) + f" | {gen['fid']:.2f}") if gen else "– | – | – | –"
        lines.append(f"| {name} | {arm['train_seconds']:.0f} | {arm['final_train_loss']:.3f} | "
                     f"{arm['val_motion_loss']:.3f} | {arm['val_motion_ppl']:.1f} | {rp} |")
    ratio = arms["motion"]["val_motion_loss"] / arms["whole"]["val_motion_loss"]
    lines += ["", f"Val motion loss ratio motion-only / whole: {ratio:.3f}."]
    ev = arms["whole"].get("eval")
    if ev:
        refs = "; ".join(f"{k}: " + "/".join(f"{x:.3f}" for x in v["r_precision"]) for k, v in ev["reference"].items())
        lines.append(f"R-precision (R@1/2/3): {EVALUATOR} on the test split ({ev['clips']} clips), debug mode (one "
                     f"replication, batches of 32: chance 0.031/0.062/0.094); reference rows {refs}.")
    else:
        lines.append(f"R-precision: not run ({abl.get('eval_reason', 'skipped')}).")
    return "\n".join(lines + not_run(meta, lat, abl)) + "\n"


def not_run(meta: dict, lat: list[dict], abl: dict) -> list[str]:
    """The closing lines: what this run did not measure, and the run time."""
    missing = []
    if meta["lm"].startswith("random"):
        missing.append("the trained default LM (absent at run time): speed is measured on random weights of the same "
                       "sizes (same cost per token; constrained decoding fixes the length)")
    missing += [f"the no-cache baseline at {r['threads']} threads (one thread only)" for r in lat if "no_cache" not in r]
    if abl.get("ran"):
        missing.append("the ablation with several seeds or more steps (one seed, short training: a direction, not "
                       "the paper's numbers)")
        if any("eval" in arm for arm in abl["arms"].values()):
            missing.append("R-precision with 20 replications and MultiModality (debug mode: one replication)")
    return ["", "## Not run", ""] + [f"- {m}." for m in missing] + ["", f"Total run time {meta['total_seconds']:.0f} s."]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_quick(parser, "few steps and repeats, small ablation")
    parser.add_argument("--store", type=Path, default=None, help="clip store with train/val/test splits "
                        "(default: one built from the repository's clips: smoke data)")
    parser.add_argument("--evaluator", type=Path, default=shipped_models()["evaluator"],
                        help="evaluator for the ablation's R-precision (default: the shipped one)")
    parser.add_argument("--repeats", type=int, default=5, help="generation runs per setting (median)")
    parser.add_argument("--steps", type=int, default=30, help="timed training steps per thread setting")
    parser.add_argument("--ablation-steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--budget-minutes", type=float, default=15.0, help="cut or skip the ablation to fit")
    parser.add_argument("--no-ablation", action="store_true")
    parser.add_argument("--no-eval", action="store_true", help="ablation without R-precision")
    parser.add_argument("--defaults", type=Path, default=shipped_models()["lm"].parent,
                        help="trained default models (tokenizer/, lm/ or lm/model/; default: the shipped ones)")
    parser.add_argument("--work", type=Path, default=WORK / "lm_speed", help="scratch directory")
    args = parser.parse_args()
    global STORE, EVALUATOR
    STORE, EVALUATOR = args.store or package_store(), args.evaluator
    RESULTS = results_dir(args.quick)
    if args.quick:
        args.repeats, args.steps, args.ablation_steps = 2, 4, 6
    start = time.perf_counter()
    def left() -> float:  # seconds of the budget left
        return args.budget_minutes * 60 - (time.perf_counter() - start)

    default_threads = torch.get_num_threads()
    defaults = train_defaults()
    args.work.mkdir(parents=True, exist_ok=True)
    tok, info, tok_dir, tok_note = motion_tokenizer(defaults, args.defaults, args.work)
    train_records = records(tok, info, args.work, "train", 64 if args.quick else None)
    lm, lm_note = motion_lm(defaults, args.defaults, info, train_records)
    meta = {"question": "default tiny motion LM on this CPU: training tokens/s, text -> 10 s of motion -> joints "
                        "latency with vs without the KV cache, whole vs motion-only loss",
            "machine": platform.platform(), "processor": platform.processor(), "torch": torch.__version__,
            "cpus": os.cpu_count(), "default_threads": default_threads, "loadavg_start": round(os.getloadavg()[0], 2),
            "lm": lm_note, "tokenizer": tok_note, "store": str(STORE), "train_clips": len(train_records),
            "K": info.codebook_size, "P": info.tokens_per_step, "quick": args.quick}
    print(meta, flush=True)

    thread_counts = sorted({1, default_threads})
    tput = [throughput(lm, train_records, args.work, n, max(2, args.steps // 6), args.steps, args.batch,
                       default_data(defaults))
            for n in thread_counts]
    print("throughput", tput, flush=True)
    # the no-cache baseline on one thread only: on a shared machine more threads mostly add contention
    lat = [latency(lm, tok, n, args.repeats if n == 1 else max(2, args.repeats // 2), baseline=n == 1)
           for n in thread_counts]
    print("latency", lat, flush=True)

    best = min(tput, key=lambda r: r["s_per_step"])
    torch.set_num_threads(best["threads"])
    fit = int(left() / (2.6 * best["s_per_step"]))  # two arms, + ~30 % for validation, export and load noise
    steps = min(args.ablation_steps, fit)
    if args.no_ablation:
        abl = {"ran": False, "reason": "--no-ablation"}
    elif steps < min(MIN_ABLATION_STEPS, args.ablation_steps):
        abl = {"ran": False, "reason": f"{fit} steps per arm fit the {args.budget_minutes:g}-minute budget at "
                                       f"{best['s_per_step']:.2f} s/step (need {MIN_ABLATION_STEPS})"}
    else:
        val_records = records(tok, info, args.work, "val", 32 if args.quick else None)
        abl = {**ablation(defaults, info, train_records, val_records, args.work, steps, args.batch),
               "threads": best["threads"]}
        if steps < args.ablation_steps:
            abl["note"] = f"cut from {args.ablation_steps} to fit the budget"
        if args.no_eval or args.quick:
            abl["eval_reason"] = "--quick" if args.quick else "--no-eval"
        elif left() < 2 * EVAL_MINUTES * 60:
            abl["eval_reason"] = f"{left() / 60:.1f} min of the budget left; two evaluations take ~{2 * EVAL_MINUTES} min"
        else:
            for loss_on, arm in abl["arms"].items():
                arm["eval"] = r_precision(args.work / f"ablation-{loss_on}" / "model", tok_dir)
    print("ablation", abl, flush=True)
    meta["total_seconds"] = round(time.perf_counter() - start, 1)
    meta["loadavg_end"] = round(os.getloadavg()[0], 2)
    write_results(RESULTS, NAME, {"meta": meta, "throughput": tput, "latency": lat, "ablation": abl},
                  markdown(meta, tput, lat, abl), indent=1)


if __name__ == "__main__":
    main()
