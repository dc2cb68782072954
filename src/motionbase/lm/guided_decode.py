"""Classifier-free guided sampling with both branches in one forward pass per token.

Guidance (``lm.guidance``) needs the model's scores for the prompt and for a negative prompt, each
followed by the same answer so far. Running the negative branch as a second forward pass inside a
``transformers`` logits processor doubles the per-token calls, and for the small default model each
call costs mostly fixed overhead (kernel launches, Python), not arithmetic. Here the prompt rows and the
negative rows are stacked into one batch of 2B rows that share a key/value cache, so each new token
costs one forward pass of twice the rows.

The loop reproduces ``transformers``' own sampling step for step (the same order: logits processors,
then temperature, top-k, top-p; a finished row continues with padding; stop when every row has
emitted EOS or the budget is spent), so ``scale`` 1 gives exactly what ``model.generate`` gives
(tested). A warm-up ramps the scale from 1 at the first answer token to ``scale`` (``warmup_tokens``): the first
frames of a motion are the rest pose both prompts share, and full guidance from the first token can skip it
(docs/GENERATION.md, "a guidance warm-up"). Returns the prompt columns followed by the answer, like
``model.generate``. :func:`sample` is the same loop without guidance, for a backbone that has no ``generate``
(the plain-torch GPT-2 of ``lm.gpt2_inference``).
"""

from __future__ import annotations

import inspect

import torch
from transformers import (DynamicCache, GenerationConfig, LogitsProcessorList, TemperatureLogitsWarper,
                          TopKLogitsWarper, TopPLogitsWarper)


def guided_generate(model, ids: torch.Tensor, mask: torch.Tensor, neg_ids: torch.Tensor, neg_mask: torch.Tensor,
                    scale: float, config: GenerationConfig, processors: LogitsProcessorList | None = None,
                    warmup_tokens: int = 0) -> torch.Tensor:
    """Sample answers to ``ids`` (B, L; left padded, ``mask`` 0 on padding) guided against ``neg_ids``.

    Scores are ``neg + scale * (cond - neg)`` on log-probabilities; ``processors`` then see the prompt
    rows' sequences (B, L + t), as under ``model.generate``. ``warmup_tokens``: the scale of the t-th answer token
    is ``1 + (scale - 1) * min(1, t / warmup_tokens)`` (0: ``scale`` throughout). ``config`` gives do_sample, temperature,
    top_k, top_p, max_new_tokens, pad/eos ids and use_cache. Run under ``torch.no_grad()``.
    """
    B, L = ids.shape
    width = max(L, neg_ids.shape[1])
    rows = torch.cat([_left_pad(ids, width, config.pad_token_id), _left_pad(neg_ids, width, config.pad_token_id)])
    rows_mask = torch.cat([_left_pad(mask, width, 0), _left_pad(neg_mask, width, 0)])
    warpers = _warpers(config)
    processors = processors or LogitsProcessorList()
    cache = _new_cache(model) if config.use_cache else None
    cache_arg = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"
    seq, feed = ids, rows
    unfinished = torch.ones(B, dtype=torch.bool, device=ids.device)
    for t in range(config.max_new_tokens):
        positions = (rows_mask.cumsum(-1) - 1).clamp(min=0)[:, -feed.shape[1]:]
        step_scale = scale if t >= warmup_tokens else 1.0 + (scale - 1.0) * t / warmup_tokens
        extra = {cache_arg: cache} if cache is not None else {}
        logits = model(input_ids=feed, attention_mask=rows_mask, position_ids=positions,
                       use_cache=cache is not None, **extra).logits[:, -1].float()
        cond, neg = torch.log_softmax(logits[:B], -1), torch.log_softmax(logits[B:], -1)
        seq, new = _append(seq, warpers(seq, processors(seq, neg + step_scale * (cond - neg))), unfinished, config)
        if not unfinished.any():
            break
        rows_mask = torch.cat([rows_mask, torch.ones_like(rows_mask[:, :1])], 1)
        feed = new.repeat(2)[:, None]  # the cache holds everything before it
        if cache is None:  # no cache: the whole sequence again
            feed = rows = torch.cat([rows, feed], 1)
    return seq


def sample(model, ids: torch.Tensor, mask: torch.Tensor, config: GenerationConfig,
           processors: LogitsProcessorList | None = None) -> torch.Tensor:
    """Unguided sampling for a backbone without ``transformers``' ``generate``
    (:class:`~motionbase.lm.gpt2_inference.InferenceGPT2`): the same steps as ``model.generate`` (logits of the
    last position only, then processors, temperature, top-k, top-p; tested to give the same tokens)."""
    warpers = _warpers(config)
    processors = processors or LogitsProcessorList()
    cache = _new_cache(model) if config.use_cache else None
    seq, feed, seq_mask = ids, ids, mask
    unfinished = torch.ones(ids.shape[0], dtype=torch.bool, device=ids.device)
    for _ in range(config.max_new_tokens):
        positions = (seq_mask.cumsum(-1) - 1).clamp(min=0)[:, -feed.shape[1]:]
        logits = model(input_ids=feed, attention_mask=seq_mask, position_ids=positions, cache=cache,
                       use_cache=cache is not None, logits_to_keep=1).logits[:, -1].float()
        seq, new = _append(seq, warpers(seq, processors(seq, logits)), unfinished, config)
        if not unfinished.any():
            break
        seq_mask = torch.cat([seq_mask, torch.ones_like(seq_mask[:, :1])], 1)
        feed = new[:, None] if cache is not None else seq
    return seq


def _append(seq: torch.Tensor, scores: torch.Tensor, unfinished: torch.Tensor, config: GenerationConfig
            ) -> tuple[torch.Tensor, torch.Tensor]:
    """(sequence with the next token appended, that token): sampled or greedy; padding for finished rows,
    which ``unfinished`` (updated in place) no longer counts once they emit EOS."""
    if config.do_sample:
        new = torch.multinomial(torch.softmax(scores, -1), num_samples=1).squeeze(1)
    else:
        new = scores.argmax(-1)
    new = torch.where(unfinished, new, torch.full_like(new, config.pad_token_id))
    unfinished &= new != config.eos_token_id
    return torch.cat([seq, new[:, None]], 1), new


def _new_cache(model):
    """The backbone's own key/value cache, or transformers' ``DynamicCache`` for a transformers model."""
    return model.new_cache() if hasattr(model, "new_cache") else DynamicCache()


def _left_pad(t: torch.Tensor, width: int, value: int) -> torch.Tensor:
    return torch.nn.functional.pad(t, (width - t.shape[1], 0), value=value)


def _warpers(config: GenerationConfig) -> LogitsProcessorList:
    """Temperature, top-k, top-p, in ``transformers``' order, for a sampling config (none for greedy)."""
    warpers = LogitsProcessorList()
    if not config.do_sample:
        return warpers
    if config.temperature is not None and config.temperature != 1.0:
        warpers.append(TemperatureLogitsWarper(config.temperature))
    if config.top_k:
        warpers.append(TopKLogitsWarper(config.top_k))
    if config.top_p is not None and config.top_p < 1.0:
        warpers.append(TopPLogitsWarper(config.top_p))
    return warpers
