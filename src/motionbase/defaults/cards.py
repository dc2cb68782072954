"""Model cards for the embedded default models (written by ``scripts/train_default.py --install``)."""

from __future__ import annotations

import json
from pathlib import Path

from ..data.labels import CONTENT_PHRASES, STYLE_WORDS
from ..io import atomic_write_text

LICENCE = ("Trained on the Bandai-Namco-Research-Motiondataset-2 (CC BY-NC 4.0, © 2022 Bandai Namco Research "
           "Inc.). These weights are for NON-COMMERCIAL use only, whatever the licence of motionbase's code.")

ROLES = {
    "tokenizer": "motion tokenizer (features <-> discrete codes)",
    "lm": "motion language model (text <-> motion codes)",
    "evaluator": "text-motion evaluator (R-precision, FID, MM-Dist, Diversity)",
}

# (column, metric key, index into a vector-valued metric)
COLUMNS = [("R@1", "r_precision", 0), ("R@2", "r_precision", 1), ("R@3", "r_precision", 2),
           ("FID", "fid", None), ("MM-Dist", "mm_dist", None), ("Diversity", "diversity", None),
           ("MPJPE mm", "mpjpe_mm", None), ("skating", "skating_ratio", None)]


def _fmt(value, index) -> str:
    if value is None:
        return "–"
    if isinstance(value, dict):
        mean, ci = value["mean"], value.get("ci95", 0.0)
        if index is not None:
            mean, ci = mean[index], ci[index]
        return f"{mean:.3f} ± {ci:.3f}"
    return f"{value:.3f}"


def metrics_table(metrics: dict) -> str:
    """Markdown table of the evaluation JSON's rows (``motionbase evaluate --json``)."""
    lines = ["| row | " + " | ".join(c for c, _, _ in COLUMNS) + " |", "|---|" + "---:|" * len(COLUMNS)]
    for row in metrics["rows"]:
        m = row["metrics"]
        lines.append(f"| {row['name']} | " + " | ".join(_fmt(m.get(key), i) for _, key, i in COLUMNS) + " |")
    return "\n".join(lines)


def write_model_cards(assets: Path, work: Path, budgets: dict, times: dict[str, float]) -> None:
    """A README.md in each of ``assets/{tokenizer,lm,evaluator}``."""
    metrics = json.loads((work / "metrics.json").read_text())
    total = sum(v for k, v in times.items() if k != "evaluate") / 60  # every training stage, not the evaluation
    if "evaluator" not in times and budgets.get("evaluator_minutes"):
        whole = f"{total + budgets['evaluator_minutes']:.1f} min ({total:.1f} min recorded, plus the evaluator's " \
                f"{budgets['evaluator_minutes']}-min budget: its stage was reused)"
    else:
        whole = f"{total:.1f} min"
    contents = ", ".join(CONTENT_PHRASES)
    styles = ", ".join(STYLE_WORDS)
    for name, role in ROLES.items():
        budget = {k: v for k, v in budgets.items() if k.startswith(name)}
        reps = metrics.get("info", {}).get("replications", "?")
        ev = budgets.get("eval", {})
        sampling = (f"; generated with guidance {ev['guidance']:g} against the {ev['guidance_negative']} prompt"
                    if ev.get("guidance", 1.0) != 1.0 else "")
        if sampling and ev.get("guidance_warmup"):
            sampling += f", ramped up over the first {ev['guidance_warmup']:g} s"
        took = (f"{times[name] / 60:.1f} min" if name in times else
                "not recorded (the stage's output was reused from an earlier run of the same script and data)")
        if name == "lm":
            stages = [f"{times[k] / 60:.1f} min {what}" for k, what in
                      (("lm_base", "base training"), ("lm_sides", "fine-tuning at a lower learning rate"))
                      if k in times]
            took = ", then ".join(stages) or took
        extra = ("; for the LM also paraphrases of the labels (motionbase.data.paraphrase: other subjects, verbs, "
                 "clause orders, negatives such as 'turns right without raising a hand'). Prompts are read through "
                 "a sentence-encoder prompt map (prompt_map.safetensors, all-MiniLM-L6-v2 from the text extra)"
                 if name == "lm" and budgets.get("lm_paraphrases") else "")
        if name == "lm" and budgets.get("lm_sides_rounds"):
            extra += ("; text conditions motion in its canonical side only ('right' named first, the mirrored clips "
                      "serving the 'left' captions) and a prompt naming 'left' is generated mirrored "
                      "(motionbase.lm.sides)")
        if name == "lm" and budgets.get("lm_contrast"):
            extra += ("; the lower-learning-rate rounds add a caption contrast (motionbase.lm.contrast): a motion "
                      "must be likelier under its own caption than under the caption of a similar, different "
                      "content x style")
        if name == "lm":
            extra += ("; a generated motion begins with codes the training clips begin with (motionbase.lm.onset: "
                      "the table 'onset' in motion_lm.json, written by training from its records)")
        text = f"""# motionbase default {name}: {role}

## Data
Bandai-Namco-Research-Motiondataset-2, 2,762 BVH takes (3.4 h) converted to SMPL-22 joints at 20 fps and
HumanML3D-style 263-dim features; seeded 80/10/10 split stratified by content x style.
Captions: natural phrasings of each take's content x style labels; part-level captions from motionbase's
kinematic captioner{extra}.

## Licence
{LICENCE}

## What it knows
Contents: {contents}. Styles: {styles}. Prompts far from these are flagged by `motionbase generate`.

## Training budget
{json.dumps(budget, indent=1)}
Wall time of this stage on a shared 2-core CPU: {took}. The whole recipe (scripts/train_default.py, every
training stage): {whole}.

## Metrics on the held-out test split (`motionbase evaluate --mode no-mm`, {reps} replications{sampling})
{metrics_table(metrics)}

The evaluator was trained on the same captions; Bandai captions are templates of 70 labels, so
R-precision here is close to a 70-way label test (see docs/BENCHMARKS.md). Whether generations do what
in-domain prompts say (which hand, which way a walk turns, run faster than walk) is measured geometrically by
`benchmarks/default_model.py` (docs/BENCHMARKS.md, section default_model).
"""
        atomic_write_text(assets / name / "README.md", text)
