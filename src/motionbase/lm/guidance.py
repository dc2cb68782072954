"""Classifier-free guidance for motion generation, as a ``transformers`` logits processor.

At every step the model also reads a *negative* prompt followed by the same answer so far, and the
scores become ``neg + scale * (cond - neg)`` on log-probabilities (Ho & Salimans 2022; used for
text-to-motion by MoMask and T2M-GPT's successors). ``scale`` 1 is plain sampling. The negative prompt is
either the unconditional instruction (the LM is trained on it, so it knows motion without a text) or
the prompt with left and right swapped (``mirrored``): guidance then pushes only along what tells the two
sides apart, and a prompt without a side word is left as it is. ``auto`` picks for the model: the
unconditional instruction for one that reads prompts in their canonical side (``LMConfig.canonical_sides``:
it never saw a "left" prompt as a condition, so the mirrored prompt is no contrast it knows), else mirrored.
"""

from __future__ import annotations

import inspect

import torch
from transformers import LogitsProcessor

NEGATIVES = ("auto", "unconditional", "mirrored")


class NegativePromptGuidance(LogitsProcessor):
    """Guidance against ``negative_ids`` (B, Ln), left-padded (``negative_mask`` 0 on padding).

    prompt_length: columns of ``input_ids`` before the answer; the answer's tokens are appended to
    the negative prompt step by step (the negative branch keeps its own key/value cache).
    """

    def __init__(self, model, negative_ids: torch.Tensor, negative_mask: torch.Tensor, prompt_length: int,
                 scale: float):
        from transformers import DynamicCache

        self.model, self.scale, self.prompt_length = model, float(scale), int(prompt_length)
        self.ids, self.mask = negative_ids, negative_mask
        self.cache = DynamicCache()  # the negative branch's keys/values, filled in place by every forward pass
        self.started = False
        # transformers 5 renames the forward argument ``past_key_values`` to ``cache``
        self.cache_arg = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"

    def _negative_logits(self, input_ids: torch.Tensor) -> torch.Tensor:
        answer = input_ids[:, self.prompt_length:]
        if self.started:  # the cache holds everything but the newest answer token
            new = feed = answer[:, -1:]
        else:  # first call: the negative prompt and whatever answer there is (none, under generate())
            new, feed = answer, torch.cat([self.ids, answer], dim=1)
            self.started = True
        self.mask = torch.cat([self.mask, torch.ones_like(new)], dim=1)
        positions = (self.mask.cumsum(-1) - 1).clamp(min=0)[:, -feed.shape[1]:]
        out = self.model(input_ids=feed, attention_mask=self.mask, position_ids=positions, use_cache=True,
                         **{self.cache_arg: self.cache})
        return out.logits[:, -1].float()

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self.scale == 1.0:
            return scores
        cond = torch.log_softmax(scores.float(), dim=-1)
        neg = torch.log_softmax(self._negative_logits(input_ids), dim=-1)
        return (neg + self.scale * (cond - neg)).to(scores.dtype)
