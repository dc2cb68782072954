"""An inference-only GPT-2 in plain torch: the shipped LM's backbone without importing ``transformers``' models.

Why: importing any ``transformers`` model class pulls in ``torch._dynamo`` and ``torch.distributed.tensor``
(through its attention masks, activations and weight-loading machinery), about 2 s of a fresh process that
loads the default model in ~4.4 s (docs/GENERATION.md, "Cold start"). The shipped backbone is a small GPT-2,
so :meth:`MotionLM.from_pretrained(..., inference=True) <motionbase.lm.model.MotionLM.from_pretrained>` builds
this module from its ``config.json`` + ``model.safetensors`` when :func:`supports` says the checkpoint is a
plain GPT-2, and falls back to ``AutoModelForCausalLM`` for everything else (any other causal LM a user brings,
and every model that is trained).

It computes what ``transformers``' ``GPT2LMHeadModel`` computes with the SDPA attention in eval mode, op for
op (Conv1D as ``addmm``, the tanh GELU, the same causal / padding mask and the same "no mask, is_causal"
shortcut), so its logits are bit-identical (``tests/test_gpt2_inference.py`` compares them, with and without
padding and cache, and the sampled codes of the shipped model). It has no dropout, no training, no saving.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn

from ..errors import CheckpointError

# config.json values this module implements; any other value (or a key it does not know how to honour)
# sends the checkpoint through transformers.
_REQUIRED = {"model_type": "gpt2", "activation_function": "gelu_new", "add_cross_attention": False,
             "scale_attn_weights": True, "scale_attn_by_inverse_layer_idx": False,
             "reorder_and_upcast_attn": False}
_UNSUPPORTED_KEYS = ("quantization_config", "rope_scaling", "attn_implementation")


def supports(config: dict) -> bool:
    """Whether a ``config.json`` describes a GPT-2 this module computes exactly like ``transformers`` does."""
    if any(config.get(k, None if k == "model_type" else v) != v for k, v in _REQUIRED.items()):  # GPT2Config defaults
        return False
    sizes = [config.get(k) for k in ("vocab_size", "n_positions", "n_embd", "n_layer", "n_head")]
    if not all(isinstance(n, int) and n > 0 for n in sizes) or sizes[2] % sizes[4]:
        return False
    if any(k in config for k in _UNSUPPORTED_KEYS) or config.get("_attn_implementation") not in (None, "sdpa"):
        return False
    if config.get("architectures", ["GPT2LMHeadModel"]) != ["GPT2LMHeadModel"]:
        return False
    if not config.get("tie_word_embeddings", True) or config.get("dtype", "float32") not in ("float32", None):
        return False
    return config.get("torch_dtype", "float32") in ("float32", None)


@dataclass
class GPT2Output:
    logits: torch.Tensor
    cache: KVCache | None = None

    @property
    def past_key_values(self) -> KVCache | None:  # the name transformers' outputs also answer to
        return self.cache


class KVCache:
    """Keys and values of past tokens per layer, grown by concatenation (as ``transformers.DynamicCache``)."""

    def __init__(self):
        self.layers: list[tuple[torch.Tensor, torch.Tensor]] = []

    def get_seq_length(self) -> int:
        return int(self.layers[0][0].shape[-2]) if self.layers else 0

    def update(self, layer: int, keys: torch.Tensor, values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if layer == len(self.layers):
            self.layers.append((keys, values))
        else:
            past_k, past_v = self.layers[layer]
            self.layers[layer] = (torch.cat([past_k, keys], dim=-2), torch.cat([past_v, values], dim=-2))
        return self.layers[layer]


class _Conv1D(nn.Module):
    """GPT-2's transposed linear layer: ``x @ weight + bias`` as one ``addmm``."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.empty(n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight).view(*x.shape[:-1], self.bias.shape[0])


def _gelu_new(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class _Attention(nn.Module):
    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads, self.head_dim = heads, width // heads
        self.scaling = self.head_dim ** -0.5
        self.c_attn, self.c_proj = _Conv1D(width, 3 * width), _Conv1D(width, width)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None, cache: KVCache | None, layer: int) -> torch.Tensor:
        q, k, v = self.c_attn(x).split(x.shape[-1], dim=2)
        q, k, v = (t.view(*t.shape[:-1], -1, self.head_dim).transpose(1, 2) for t in (q, k, v))
        if cache is not None:
            k, v = cache.update(layer, k, v)
        n = q.shape[2]
        is_causal = n > 1 and mask is None
        if is_causal and k.shape[2] > n:
            k, v = k[:, :, :n], v[:, :, :n]
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=0.0, scale=self.scaling,
                                             is_causal=is_causal)
        out = out.reshape(out.shape[0], -1, n, v.shape[-1]).transpose(1, 2).contiguous()
        return self.c_proj(out.reshape(*out.shape[:-2], -1).contiguous())


class _Block(nn.Module):
    def __init__(self, width: int, heads: int, inner: int, eps: float):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(width, eps=eps), nn.LayerNorm(width, eps=eps)
        self.attn = _Attention(width, heads)
        self.mlp = nn.Module()
        self.mlp.c_fc, self.mlp.c_proj = _Conv1D(width, inner), _Conv1D(inner, width)

    def forward(self, h: torch.Tensor, mask: torch.Tensor | None, cache: KVCache | None, layer: int) -> torch.Tensor:
        h = self.attn(self.ln_1(h), mask, cache, layer) + h
        return h + self.mlp.c_proj(_gelu_new(self.mlp.c_fc(self.ln_2(h))))


class _Body(nn.Module):
    def __init__(self, cfg: SimpleNamespace):
        super().__init__()
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.wpe = nn.Embedding(cfg.n_positions, cfg.n_embd)
        inner = cfg.n_inner or 4 * cfg.n_embd
        self.h = nn.ModuleList(_Block(cfg.n_embd, cfg.n_head, inner, cfg.layer_norm_epsilon)
                               for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)


class InferenceGPT2(nn.Module):
    """GPT-2 with a tied LM head; ``forward`` takes the arguments ``GPT2LMHeadModel`` takes at generation."""

    def __init__(self, config: dict):
        super().__init__()
        defaults = {"n_inner": None, "layer_norm_epsilon": 1e-5}
        self.config = SimpleNamespace(**{**defaults, **config})
        self.transformer = _Body(self.config)
        self.eval()

    @classmethod
    def from_pretrained(cls, root: str | Path, device: torch.device | str | None = None) -> InferenceGPT2:
        """The model in checkpoint folder ``root`` (``config.json`` + one ``model.safetensors``)."""
        root = Path(root)
        model = cls(json.loads((root / "config.json").read_text(encoding="utf-8")))
        state = load_file(str(root / "model.safetensors"))
        state = {k.removeprefix("transformer."): v.float() for k, v in state.items() if k != "lm_head.weight"}
        # assign: the file's tensors become the parameters (a copy costs 0.2 s on a busy 2-core machine)
        missing, unexpected = model.transformer.load_state_dict(state, strict=False, assign=True)
        unexpected = [k for k in unexpected if not k.endswith((".attn.bias", ".attn.masked_bias"))]  # old files' masks
        if missing or unexpected:
            raise CheckpointError(f"{root / 'model.safetensors'}: not a GPT-2 state dict "
                                  f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
        return model.to(device) if device is not None else model

    def get_input_embeddings(self) -> nn.Embedding:
        return self.transformer.wte

    def new_cache(self) -> KVCache:
        return KVCache()

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                position_ids: torch.Tensor | None = None, cache: KVCache | None = None, use_cache: bool = False,
                logits_to_keep: int = 0) -> GPT2Output:
        if use_cache and cache is None:
            cache = KVCache()
        past = cache.get_seq_length() if cache is not None else 0
        body = self.transformer
        embeds = body.wte(input_ids)
        if position_ids is None:
            position_ids = (torch.arange(embeds.shape[1], device=embeds.device) + past).unsqueeze(0)
        h = embeds + body.wpe(position_ids)
        mask = causal_mask(attention_mask, embeds.shape[0], embeds.shape[1], past, embeds.device)
        for i, block in enumerate(body.h):
            h = block(h, mask, cache, i)
        h = body.ln_f(h)
        if logits_to_keep:
            h = h[:, -logits_to_keep:]
        return GPT2Output(F.linear(h, body.wte.weight), cache if use_cache else None)


def causal_mask(attention_mask: torch.Tensor | None, batch: int, q_length: int, past: int,
                device: torch.device) -> torch.Tensor | None:
    """(B, 1, q, kv) bool mask (True: attend), or None where SDPA's own causal flag does the same — the
    decisions of ``transformers.masking_utils.sdpa_mask`` for a dynamic cache, so the same kernel runs."""
    kv_length = past + q_length
    pad = None
    if attention_mask is not None:
        pad = attention_mask.to(device=device, dtype=torch.bool).view(batch, -1)
        if pad.shape[-1] < kv_length:
            pad = F.pad(pad, (0, kv_length - pad.shape[-1]))
        elif pad.shape[-1] > kv_length:
            pad = pad[:, :kv_length]
    if (q_length == 1 or kv_length == q_length) and (pad is None or bool(pad.all())):
        return None
    if past == 0 and (pad is None or (bool(pad[:, :q_length].all()) and bool((~pad[:, q_length:]).all()))):
        return None
    q_idx = torch.arange(q_length, device=device) + past
    kv_idx = torch.arange(kv_length, device=device)
    mask = kv_idx[None, None, None, :] <= q_idx[None, None, :, None]
    if pad is not None:
        mask = mask & pad[:, None, None, :]
    return mask.expand(batch, -1, q_length, kv_length)
