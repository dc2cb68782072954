"""Best of several candidates: the motion LM judges its own text-to-motion answers from the other direction.

A model trained on both directions (text -> motion and motion -> text) can score a candidate motion by how likely
it makes the prompt as a *caption* of that motion: ``log P(caption | motion codes)`` under the motion-to-text
template. :func:`best_candidate` picks the candidate with the highest score; no judge, evaluator or rule is
involved. Measured on the default model (benchmarks/rerank_probe.py): of 4 candidates, this choice tells waves
from raises far more often than the first draw; the hand, turn and speed checks stay within noise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def caption_logprob(lm, caption: str, codes_list: Sequence[np.ndarray | None]) -> np.ndarray:
    """log P(``caption`` | codes) for each candidate (N,), summed over the tokens the training's ``loss_on="response"``
    counts (the caption and its EOS); ``-inf`` for a candidate without codes. One forward pass over the candidates,
    right-padded as in training (:class:`~motionbase.lm.data.Collator`)."""
    import torch

    from .contrast import masked_logprob
    from .data import IGNORE_INDEX, Collator, labels_for
    from .prompts import pick_template

    scores = np.full(len(codes_list), -np.inf)
    keep = [i for i, c in enumerate(codes_list) if c is not None and len(c)]
    if not keep:
        return scores
    template = pick_template("m2t", {"motion", "caption"})
    encoded = [lm.encoder.encode(template, {"motion": np.asarray(codes_list[i]), "caption": caption}) for i in keep]
    batch = Collator(lm.tokenizer.pad_token_id)([{"input_ids": torch.from_numpy(e.ids),
                                                   "labels": torch.from_numpy(labels_for(e, "response"))}
                                                  for e in encoded])
    model = lm.backbone
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            logits = model(input_ids=batch["input_ids"].to(lm.device),
                           attention_mask=batch["attention_mask"].to(lm.device)).logits.float().cpu()
    finally:
        model.train(was_training)
    summed, _ = masked_logprob(logits, batch["input_ids"], batch["labels"] != IGNORE_INDEX)
    scores[keep] = summed.double().numpy()
    return scores


def best_candidate(lm, caption: str, codes_list: Sequence[np.ndarray | None]) -> int:
    """Index of the candidate whose codes make ``caption`` most likely (the first on a tie)."""
    return int(np.argmax(caption_logprob(lm, caption, codes_list)))
