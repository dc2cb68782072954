"""Motion-to-text evaluation (MotionGPT's / TM2T's captioning table): ``motionbase evaluate --task m2t``.

For every captioned clip of the evaluated split the motion LM writes one caption (greedy decoding, the
motion's codes from the LM's own tokenizer). Two rows are reported:

* **real captions** — the dataset's captions themselves: the reference every other row is read against (its
  language metrics take one caption as hypothesis and the clip's *other* captions as references, so they
  say how much annotators agree; clips with a single caption are left out of that row's language metrics);
* **generated captions** — the LM's, against all of the clip's captions.

Columns: BLEU-1, BLEU-4, ROUGE-L, CIDEr (:mod:`motionbase.metrics.text`, the COCO caption code's definitions) over
the whole split, once (greedy decoding has no randomness); and, with an evaluator, R-precision top-1/2/3 and
MM-Dist of the captions against the clips' motions (mean ± 1.96σ/√n over the seeded replications of
:mod:`motionbase.metrics.protocol`: random batches and crops change per replication).
BERTScore is not computed: it needs a pretrained language model (roberta-large in MotionGPT), and none is
available offline here.

A generated caption without a word (an untrained model's answer can be punctuation only) counts as empty:
it scores 0 in the language metrics and is embedded as the unknown word ``unk`` for R-precision.
A clip whose codes do not fit the LM's context next to the prompt is captioned from its first codes only
(counted in ``info["cropped"]``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import MotionbaseError
from ..metrics.protocol import Summary, replicate
from ..metrics.retrieval import r_precision
from ..metrics.text import caption_metrics, tokenize
from .generators import LMGenerator
from .run import text_inputs
from .store_data import StoreClips

REAL, GENERATED = "real captions", "generated captions"
CAPTION_ROOM = 32  # tokens of context kept for the caption
UNKNOWN = "unk"  # what a caption without words is embedded as (the evaluators' unknown word)
BERTSCORE_NOTE = "BERTScore not computed: it needs a pretrained language model and none is available offline"


@dataclass
class M2TRow:
    name: str
    language: dict[str, float]
    retrieval: dict[str, Summary] = field(default_factory=dict)


@dataclass
class M2TReport:
    rows: list[M2TRow]
    captions: list[str]  # the generated caption of each clip, in clip order
    info: dict


class LMCaptioner:
    """Motion features -> captions with a motion LM and its tokenizer (greedy, in batches)."""

    def __init__(self, lm, tokenizer, *, batch_size: int = 16, max_text_tokens: int = 40):
        self.lm, self.tokenizer, self.batch_size, self.max_text_tokens = lm, tokenizer, batch_size, max_text_tokens
        self.cropped = 0

    @classmethod
    def from_pretrained(cls, lm_dir, tokenizer_dir, *, device: str | None = None, **options) -> LMCaptioner:
        gen = LMGenerator.from_pretrained(lm_dir, tokenizer_dir, device=device)
        return cls(gen.lm, gen.tokenizer, **options)

    def _limit(self) -> int:
        # deferred for a quick start: imports torch, transformers
        from ..lm.generate import caption_room_steps

        steps = caption_room_steps(self.lm, CAPTION_ROOM)
        if steps < 1:
            raise MotionbaseError(f"the LM's {self.lm.context_length}-token context leaves no room for a motion "
                                  "and a caption")
        return steps

    def caption(self, features: Sequence[np.ndarray], progress: Callable[[int], None] | None = None) -> list[str]:
        # deferred for a quick start: imports torch, transformers
        from ..lm.generate import GenerationOptions, MotionRequest, generate

        limit, out = self._limit(), []
        options = GenerationOptions(do_sample=False, max_text_tokens=self.max_text_tokens)
        for s in range(0, len(features), self.batch_size):
            requests = []
            for x in features[s:s + self.batch_size]:
                codes = self.tokenizer.encode(np.array(x, np.float32))
                codes = np.asarray(codes.detach().cpu().numpy() if hasattr(codes, "detach") else codes, np.int64)
                self.cropped += int(len(codes) > limit)
                requests.append(MotionRequest("m2t", motion=codes[:limit]))
            out += [r.text for r in generate(self.lm, requests, options)]
            if progress is not None:
                progress(len(out))
        return out


def _leave_one_out(captions: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    hyp, refs = [], []
    for caps in captions:
        if len(caps) > 1:
            hyp.append(caps[0])
            refs.append(caps[1:])
    return hyp, refs


def evaluate_m2t(clips: StoreClips, captions: Sequence[str], evaluator=None, *, replications: int = 20,
                 seed: int = 0, batch_size: int = 32) -> M2TReport:
    """Score ``captions`` (one per clip of ``clips``) against the clips' captions and (with ``evaluator``,
    anything with ``encode_text`` / ``encode_motion``) against their motions."""
    if len(captions) != len(clips):
        raise MotionbaseError(f"{len(captions)} generated captions for {len(clips)} clips; expected one per clip")
    rows = []
    hyp, refs = _leave_one_out(clips.captions)
    real_language = caption_metrics(hyp, refs) if hyp else {}
    rows.append(M2TRow(REAL, real_language))
    rows.append(M2TRow(GENERATED, caption_metrics(list(captions), clips.captions)))
    if evaluator is not None:
        if len(clips) < batch_size:
            raise MotionbaseError(f"{clips.where}: {len(clips)} clips, expected at least {batch_size} for one "
                                  f"R-precision batch")
        generated_emb = evaluator.encode_text([c if tokenize(c) else UNKNOWN for c in captions])
        offsets = np.cumsum([0] + [len(c) for c in clips.captions[:-1]])
        real_emb = evaluator.encode_text(text_inputs(evaluator, clips))

        def once(rng: np.random.Generator, text_of: Callable[[np.random.Generator], np.ndarray]) -> dict:
            text = text_of(rng)
            motion = evaluator.encode_motion(clips.features, rng=rng)
            ret = r_precision(text, motion, rng, batch_size=batch_size, labels=clips.labels)
            return {"r_precision": ret.r_precision, "mm_dist": ret.mm_dist}

        def real_text(rng: np.random.Generator) -> np.ndarray:
            choice = np.array([rng.integers(len(c)) for c in clips.captions])
            return real_emb[offsets + choice]

        rows[0].retrieval = replicate(lambda rng: once(rng, real_text), times=replications, seed=seed)
        rows[1].retrieval = replicate(lambda rng: once(rng, lambda _: generated_emb), times=replications, seed=seed)
    info = {"where": clips.where, "clips": len(clips), "skipped_uncaptioned": clips.skipped,
            "length_filtered": clips.filtered, "replications": replications if evaluator is not None else 0,
            "seed": seed, "batch_size": batch_size, "real_language_clips": len(hyp),
            "empty_generated": sum(1 for c in captions if not tokenize(c)), "notes": [BERTSCORE_NOTE]}
    return M2TReport(rows, list(captions), info)


COLUMNS = [("BLEU-1 ↑", "bleu_1"), ("BLEU-4 ↑", "bleu_4"), ("ROUGE-L ↑", "rouge_l"), ("CIDEr ↑", "cider")]


def _summary(s: Summary | None, index: int | None) -> str:
    if s is None:
        return "–"
    m, c = np.atleast_1d(s.mean), np.atleast_1d(s.ci95)
    i = index or 0
    return f"{m[i]:.3f} ± {c[i]:.3f}" if len(s.values) > 1 else f"{m[i]:.3f}"


def m2t_markdown(report: M2TReport) -> str:
    info = report.info
    lines = [f"{info['where']}: {info['clips']} captioned clips ({info['skipped_uncaptioned']} uncaptioned skipped); "
             f"one greedy caption per clip ({info['empty_generated']} without a word).",
             f"Real captions row: each clip's first caption against its others ({info['real_language_clips']} clips "
             "with two or more captions)."]
    if info["replications"]:
        lines.append(f"R-precision and MM-Dist: batches of {info['batch_size']}, {info['replications']} "
                     "replication(s), mean ± 1.96σ/√n.")
    lines += [f"Note: {n}." for n in info["notes"]]
    head = [c for c, _ in COLUMNS] + (["R@1 ↑", "R@2 ↑", "R@3 ↑", "MM-Dist ↓"] if info["replications"] else [])
    lines += ["", "| Row | " + " | ".join(head) + " |", "|---|" + "---:|" * len(head)]
    for row in report.rows:
        cells = [f"{row.language[k]:.3f}" if k in row.language else "–" for _, k in COLUMNS]
        if info["replications"]:
            r = row.retrieval.get("r_precision")
            cells += [_summary(r, i) for i in range(3)] + [_summary(row.retrieval.get("mm_dist"), None)]
        lines.append(f"| {row.name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def m2t_json(report: M2TReport) -> dict:
    def summ(s: Summary) -> dict:
        return {"mean": np.asarray(s.mean).tolist(), "ci95": np.asarray(s.ci95).tolist(),
                "values": np.asarray(s.values).tolist()}

    return {"info": report.info, "captions": report.captions,
            "rows": [{"name": r.name, "language": r.language,
                      "retrieval": {k: summ(v) for k, v in r.retrieval.items()}} for r in report.rows]}
