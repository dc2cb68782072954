"""Train the embedded default models on the Bandai-Namco mocap, on a CPU, reproducibly; resumable.

    python scripts/train_default.py --bvh DIR_OF_BANDAI_BVH --work WORK_DIR [--install]

Stages (each skipped when its output is complete, so re-running resumes):
1. clip store: BVH -> SMPL-22 at 20 fps, captions from content x style labels (natural phrasings) plus
   part-level captions from the kinematic captioner (hierarchical: whole body + upper / lower body), split 80/10/10 stratified by content x style;
2. motion tokenizer: 2D-LFQ with body-part grouping (part-level edits need 2D codes);
3. motion LM: tiny GPT-2 built from scratch, byte-level BPE trained on the captions, motion tokens added;
   each clip's captions get paraphrases of its labels (motionbase.data.paraphrase; the held-out paraphrase
   test set, assets/prompts/paraphrase_test.json, is never trained on);
4. evaluator: the CPU preset of the Guo-style text-motion evaluator;
5. evaluation on the held-out test split (markdown table + JSON);
6. with --install: copy the three checkpoints into src/motionbase/assets/models/ with model cards.
Budgets are in DEFAULTS below (sized for a 2-core CPU, under an hour in total).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from motionbase.generation import DEFAULT_GUIDANCE, DEFAULT_GUIDANCE_WARMUP  # torch-free at import

REPO = Path(__file__).resolve().parents[1]
ASSETS = REPO / "src" / "motionbase" / "assets" / "models"

DEFAULTS = {
    # 2D-LFQ won the small tokenizer sweep at K = 2^8 (benchmarks/results/tokenizer_sweep.md); 2^9 keeps
    # room for the 7 styles, and the body-part grouping is what part-level edits need. The root's code is the
    # measured trajectory (sigma-delta levels decoded by formula: global error on unseen actions 10x lower than a
    # learned root code), with a foot-contact term (feet planted where the input's are) and twice the steps of
    # the earlier defaults, the learning rate cut 10x for the last quarter: shorter training lost the oscillation
    # of small waves, and with it the LM's hand answers (docs/GENERATION.md, session 12 and 13;
    # benchmarks/tokenizer_generalisation.py, method traj-code+foot20+long).
    "tokenizer": {"preset": "lfq2d",
                  "model": {"width": 64, "depth": 2, "grouping": "body", "codebook_size": 512,
                            "trajectory_code": True},
                  "train": {"lr": 1e-3, "warmup_steps": 100, "checkpoint_every": 200, "log_every": 50,
                            "loss": {"foot_contact_loss_weight": 20.0}, "lr_milestones": [1800], "lr_gamma": 0.1},
                  "data": {"window": 64, "batch_size": 32}, "steps": 2400},
    # Text -> motion is what the default is for: it gets most of the examples; whole-body captions
    # (the label phrasings) most of the caption draws. 288 tokens hold 90 % of the clips whole.
    # Separate tokens per body part, and mirrored copies of the clips with left/right swapped in their
    # captions: with shared tokens and no mirroring (2800 steps) the model ignored the side words
    # (greedy output identical for "turns left" and "turns right"; benchmarks/results/default_model.md).
    "lm": {"backbone": "tiny-gpt2", "loss_on": "whole", "max_length": 288, "part_tokens": "separate",
           "task_weights": {"t2m": 0.7, "m2t": 0.1, "unconditional": 0.05, "prediction": 0.075, "inbetween": 0.075},
           "caption_levels": {"whole": 0.8, "upper_body": 0.05, "lower_body": 0.05, "all": 0.1},
           "tiny": {"hidden": 192, "layers": 4, "heads": 4, "context": 512, "text_vocab_size": 1500}},
    "lm_mirror": True,
    # Paraphrases of the labels added to each clip's captions (motionbase.data.paraphrase): other subjects,
    # verbs, clause orders and negatives ("turns right without raising a hand"), drawn per clip; and canonical
    # sides (LMConfig.canonical_sides): text conditions motion only in its canonical side ("right" named first;
    # the mirrored clips serve the "left" captions) and generation mirrors "left" prompts (the default before
    # them turned left 29 % of the time and right 64 %). Both from the first step of the base LM (3,000 steps),
    # then one round at a lower learning rate (the earlier defaults added them in later fine-tunes: 300 + 600 +
    # 1,500 steps).
    "lm_paraphrases": 12,
    "lm_steps": 3000,
    "lm_sides_rounds": [1000],
    "lm_sides_lr": 5e-4,
    # The round adds the caption contrast (motionbase.lm.contrast; docs/GENERATION.md, session 15): each
    # text-to-motion example's motion must be likelier, by 0.1 nats a motion token, under its own caption than
    # under a caption of one of the 12 most alike content x style groups ("raises both hands" against "raises the
    # right hand"). It costs one more forward pass per such example, so the round has 1,000 steps instead of the
    # plain round's 1,500: the same compute, and the recipe stays within the hour.
    "lm_contrast": 1.0,
    "lm_contrast_margin": 0.1,
    "lm_batch": 8,
    "evaluator_minutes": 10,
    # Sampling the evaluation uses: the generate command's defaults (motionbase.generation). Guided
    # generation costs two forward passes a token, so the evaluation runs 5 replications, not the usual 20.
    "eval": {"guidance": DEFAULT_GUIDANCE, "guidance_negative": "unconditional",
             "guidance_warmup": DEFAULT_GUIDANCE_WARMUP, "replications": 5},
}


def motionbase(*args: object) -> None:
    cmd = [sys.executable, "-m", "motionbase", *map(str, args)]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bvh", type=Path, required=True, help="folder of Bandai-Namco dataset-2 BVH files")
    parser.add_argument("--work", type=Path, required=True, help="working folder (resumable)")
    parser.add_argument("--install", action="store_true", help="copy the results into the package with model cards")
    args = parser.parse_args()
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    times: dict[str, float] = json.loads((work / "times.json").read_text()) if (work / "times.json").exists() else {}

    def stage(name: str, done: Path, fn) -> None:
        if done.exists():
            print(f"[{name}] done already ({done})", flush=True)
            return
        t0 = time.time()
        fn()
        times[name] = times.get(name, 0.0) + time.time() - t0
        (work / "times.json").write_text(json.dumps(times, indent=1))

    def build_store() -> None:
        from motionbase.defaults.data import build_bandai_store

        build_bandai_store(sorted(args.bvh.glob("*.bvh")), work / "store")
        (work / "store" / ".complete").touch()

    stage("store", work / "store" / ".complete", build_store)

    (work / "tokenizer.json").write_text(json.dumps(DEFAULTS["tokenizer"], indent=1))
    stage("tokenizer", work / "tokenizer" / "model.safetensors",
          lambda: motionbase("tokenizer", "train", "--store", work / "store", "--out", work / "tokenizer",
                             "--config", work / "tokenizer.json"))

    (work / "lm.json").write_text(json.dumps(DEFAULTS["lm"], indent=1))

    def lm_train(out: Path, steps: int, lr: float, *extra: object) -> None:
        motionbase("lm", "train", "--tokenizer", work / "tokenizer", "--backbone", "tiny",
                   "--store", work / "store", "--out", out, "--lm-config", work / "lm.json",
                   "--part-tokens", DEFAULTS["lm"]["part_tokens"],
                   "--mirror" if DEFAULTS["lm_mirror"] else "--no-mirror",
                   "--max-steps", steps, "--batch-size", DEFAULTS["lm_batch"], "--lr", lr, "--save-every", 100,
                   *extra)

    # 3a: the base LM, paraphrases and canonical sides from the first step; 3b: rounds at a lower learning rate
    # from it, each from the one before.
    text = ("--paraphrases", DEFAULTS["lm_paraphrases"], "--canonical-sides")
    stage("lm_base", work / "lm_base" / "model" / "config.json",
          lambda: lm_train(work / "lm_base", DEFAULTS["lm_steps"], 1e-3, *text))
    final = work / "lm_base" / "model"
    for k, steps in enumerate(DEFAULTS["lm_sides_rounds"]):
        start, final = final, work / f"lm_sides{k}" / "model"
        stage("lm_sides", final / "config.json",
              lambda start=start, final=final, steps=steps: lm_train(
                  final.parent, steps, DEFAULTS["lm_sides_lr"], "--init-from", start, *text,
                  "--contrast", DEFAULTS["lm_contrast"], "--contrast-margin", DEFAULTS["lm_contrast_margin"]))

    def training_captions() -> None:
        from motionbase.data import ClipStore
        from motionbase.data.labels import CONTENT_PHRASES
        from motionbase.defaults.familiarity import save_training_captions
        from motionbase.lm.data import add_paraphrases

        store = ClipStore.open(work / "store").split("train")
        clips = [store.clip(i) for i in range(len(store))]
        captions = sorted({c for clip in clips
                           for c in add_paraphrases(clip.captions, clip.meta, DEFAULTS["lm_paraphrases"]).whole})
        save_training_captions(final, captions,
                               topics=[c.replace("-", " ") for c in CONTENT_PHRASES])

    stage("captions", final / "training_captions.json", training_captions)

    def prompt_map() -> None:
        from motionbase.data.labels import CONTENT_PHRASES, STYLE_WORDS, bandai_captions
        from motionbase.lm.prompt_map import PromptMapper
        from motionbase.lm.sentence_encoder import load_sentence_encoder

        anchors = [c for content in CONTENT_PHRASES for style in STYLE_WORDS
                   for c in bandai_captions(content, style, n=1000)]  # every label phrasing
        PromptMapper.build(anchors, load_sentence_encoder()).save(final)

    # needs the text extra (the sentence encoder); the map is what gen.text_to_motion reads prompts through
    stage("prompt_map", final / "prompt_map.safetensors", prompt_map)

    stage("evaluator", work / "evaluator" / "model.safetensors",
          lambda: motionbase("evaluator", "train", "--store", work / "store", "--out", work / "evaluator",
                             "--preset", "cpu", "--max-minutes", DEFAULTS["evaluator_minutes"], "--lr", 1e-3))

    stage("evaluate", work / "metrics.json",
          lambda: motionbase("evaluate", "--evaluator", work / "evaluator", "--store", work / "store",
                             "--tokenizer", work / "tokenizer", "--lm", final,
                             "--split", "test", "--mode", "no-mm", "--json", work / "metrics.json",
                             "--guidance", DEFAULTS["eval"]["guidance"],
                             "--guidance-negative", DEFAULTS["eval"]["guidance_negative"],
                             "--guidance-warmup", DEFAULTS["eval"]["guidance_warmup"],
                             "--replications", DEFAULTS["eval"]["replications"]))

    if args.install:
        from motionbase.defaults.cards import write_model_cards

        for name, src in (("tokenizer", work / "tokenizer"), ("lm", final),
                          ("evaluator", work / "evaluator")):
            dst = ASSETS / name
            if dst.exists():
                shutil.rmtree(dst)
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("checkpoints", "*.jsonl", "run.json"))
        shutil.copyfile(work / "metrics.json", ASSETS / "metrics.json")  # read by benchmarks/default_model.py
        write_model_cards(ASSETS, work, DEFAULTS, times)
        print(f"installed into {ASSETS}")


if __name__ == "__main__":
    main()
