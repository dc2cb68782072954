"""MotionLM: a Hugging Face causal LM whose vocabulary also speaks motion codes.

Build one from a typed :class:`~motionbase.lm.config.LMConfig` and the identity of the motion tokenizer
(:class:`~motionbase.lm.codec.CodecInfo`)::

    lm = MotionLM.build(LMConfig(backbone="tiny-gpt2"), CodecInfo(512, 1, 5.0, hash), corpus=captions)
    lm = MotionLM.build(LMConfig(backbone="/models/gpt2-medium", vocab_mode="reuse"), info)
    lm.save_pretrained("runs/lm/model");  MotionLM.from_pretrained("runs/lm/model", codec=info)

The backbone is any ``AutoModelForCausalLM``: a local directory (the normal case here), a hub id
where a hub is reachable (never tried when ``HF_HUB_OFFLINE=1``), or a tiny GPT-2 / Llama built from
scratch with a BPE text tokenizer trained on the captions. Every backbone goes through the same code.

A checkpoint directory holds the backbone's ``config.json`` + ``model.safetensors``, the text
tokenizer's files, and ``motion_lm.json``: the LMConfig, the motion vocabulary (token id of every
code) and the motion tokenizer's identity, so loading with the wrong tokenizer fails loudly; a trained checkpoint
also keeps the codes its training clips start with (``onset``, :mod:`motionbase.lm.onset`).
"""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Iterable
from pathlib import Path

import torch

from ..errors import CheckpointError, MotionbaseError
from ..io import atomic_dir
from .codec import CodecInfo
from .config import LMConfig, LMDataConfig, TinyBackboneConfig, paper_lr
from .gpt2_inference import InferenceGPT2, supports
from .loading import check_backbone_weights
from .onset import onset_from_dict, onset_to_dict
from .prompts import InstructionEncoder
from .text_tokenizer import ensure_pad, first_line, load_text_tokenizer, train_bpe
from .vocab import MotionVocab

LM_FILE = "motion_lm.json"
FORMAT_NAME = "motionbase-motion-lm"
FORMAT_VERSION = 1
_WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json")
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")


class MotionLM:
    """A causal LM (``backbone``), its text ``tokenizer`` and the motion ``vocab`` inside it.

    onset: (P, K) bool, the codes a generated motion may start with (:mod:`motionbase.lm.onset`; None: any)."""

    def __init__(self, backbone, tokenizer, vocab: MotionVocab, config: LMConfig, codec: CodecInfo,
                 onset=None):
        self.backbone, self.tokenizer, self.vocab, self.config, self.codec = backbone, tokenizer, vocab, config, codec
        self.onset = onset
        self.encoder = InstructionEncoder(tokenizer, vocab)

    # ---------------------------------------------------------------- building

    @classmethod
    def build(cls, config: LMConfig, codec: CodecInfo, *, corpus: Iterable[str] | None = None,
              text_tokenizer=None, reuse_corpus: Iterable[str] | None = None) -> MotionLM:
        """A new motion LM: backbone loaded or built, motion vocabulary added or reused.

        corpus: caption texts; trains the text tokenizer of a tiny backbone (unless ``text_tokenizer``
            is given) and counts token frequencies for ``vocab_mode="reuse"`` (unless ``reuse_corpus``).
        """
        corpus = list(corpus) if corpus is not None else None
        tokenizer = text_tokenizer
        backbone = None
        if tokenizer is None and config.is_tiny:
            tokenizer = train_bpe(corpus or [], config.tiny.text_vocab_size, model_max_length=config.tiny.context)
        if not config.is_tiny:
            backbone, tokenizer = load_backbone(config.backbone, tokenizer)
        tokenizer = ensure_pad(tokenizer)
        K, P = codec.codebook_size, codec.tokens_per_step
        if config.vocab_mode == "added":
            vocab = MotionVocab.added(tokenizer, K, P, config.part_tokens)
        else:
            counted = reuse_corpus if reuse_corpus is not None else corpus
            if counted is None:
                raise MotionbaseError("vocab_mode='reuse' needs a corpus to count token frequencies over "
                                      "(the captions, or a text corpus you give)")
            vocab = MotionVocab.reused(tokenizer, K, P, config.part_tokens, corpus=counted)
        if backbone is None:
            backbone = build_tiny_backbone(config.backbone, config.tiny, tokenizer)
        elif len(tokenizer) > _embedding_rows(backbone):
            backbone.resize_token_embeddings(len(tokenizer), mean_resizing=True)
        vocab.check_fits(_embedding_rows(backbone), f"backbone {config.backbone}")
        backbone.config.pad_token_id = tokenizer.pad_token_id
        return cls(backbone, tokenizer, vocab, config, codec)

    # ---------------------------------------------------------------- properties

    @property
    def context_length(self) -> int:
        """Positions the backbone takes (tokens); a tokenizer's smaller ``model_max_length`` is ignored."""
        cfg = self.backbone.config
        for name in ("n_positions", "max_position_embeddings", "n_ctx"):
            value = getattr(cfg, name, None)
            if isinstance(value, int) and value > 0:
                return value
        raise MotionbaseError(f"backbone {type(self.backbone).__name__}: its config states no context length")

    def example_length(self, data: LMDataConfig) -> int:
        """Tokens per training example: ``data.max_length`` capped at the context."""
        return min(data.max_length or self.context_length, self.context_length)

    @property
    def text_vocab_size(self) -> int:
        """Ids the tokenizer knows; logits beyond it (padded embedding rows) are never sampled."""
        return len(self.tokenizer)

    @property
    def device(self) -> torch.device:
        return next(self.backbone.parameters()).device

    @property
    def model_type(self) -> str:
        return str(getattr(self.backbone.config, "model_type", ""))

    @property
    def default_lr(self) -> float:
        """The paper's learning rate for this backbone family (2e-4 GPT-2, 2e-5 Llama)."""
        return paper_lr(self.model_type)

    def to(self, device: torch.device | str) -> MotionLM:
        self.backbone.to(device)
        return self

    # ---------------------------------------------------------------- checkpoints

    def save_pretrained(self, path: str | os.PathLike, *, state_dict: dict | None = None) -> Path:
        """Write a self-describing checkpoint directory (built beside ``path``, then moved into place).

        state_dict: the backbone's weights when they live elsewhere (gathered from ZeRO-3 / FSDP shards).
        """
        if isinstance(self.backbone, InferenceGPT2):
            raise MotionbaseError("MotionLM.save_pretrained: this LM was loaded for generation only "
                                  "(inference=True); load it with MotionLM.from_pretrained(path) to save it")
        if hasattr(self.backbone, "peft_config"):
            raise MotionbaseError("MotionLM.save_pretrained: the backbone still has LoRA adapters; "
                                  "merge them first (backbone.merge_and_unload())")
        path = Path(path)
        with atomic_dir(path) as tmp:
            self.backbone.save_pretrained(tmp, state_dict=state_dict)
            self.tokenizer.save_pretrained(tmp)
            record = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "config": self.config.to_dict(),
                      "codec": self.codec.to_dict(), "vocab": self.vocab.to_dict()}
            if self.onset is not None:
                record["onset"] = onset_to_dict(self.onset)
            (tmp / LM_FILE).write_text(json.dumps(record))
        return path

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike, codec: CodecInfo | None = None, *, check_hash: bool = True,
                        device: torch.device | str | None = None, dtype: torch.dtype | None = None,
                        inference: bool = False) -> MotionLM:
        """Load a checkpoint; with ``codec``, refuse one trained with a different motion tokenizer.

        inference: the LM only generates (never trains or saves): a plain GPT-2 backbone then loads as
            :class:`~motionbase.lm.gpt2_inference.InferenceGPT2` (same logits, without importing
            ``transformers``' models: ~2 s less in a fresh process); any other backbone as usual.
        """
        root = Path(path)
        record = read_lm_record(root)
        config = LMConfig.from_dict(record["config"], source=f"{root / LM_FILE}: config")
        saved = CodecInfo.from_dict(record["codec"])
        if codec is not None:
            saved.check_matches(codec, f"LM checkpoint {root}", check_hash=check_hash)
        vocab = MotionVocab.from_dict(record["vocab"])
        onset = record.get("onset")
        if onset is not None:
            onset = onset_from_dict(onset, saved.tokens_per_step, saved.codebook_size, f"{root / LM_FILE}")
        tokenizer = load_text_tokenizer(root)
        check_backbone_weights(root)  # one line for corrupt / pickle / mismatched weights, before transformers
        backbone = _inference_backbone(root) if inference and dtype in (None, torch.float32) else None
        if backbone is None:
            from transformers import AutoModelForCausalLM  # ~2 s of imports (torch._dynamo, torch.distributed)

            try:
                backbone = AutoModelForCausalLM.from_pretrained(str(root), local_files_only=True, dtype=dtype)
            except (OSError, ValueError, RuntimeError, pickle.UnpicklingError) as exc:
                raise CheckpointError(f"{root}: backbone weights do not load ({first_line(exc)})") from None
        vocab.check_fits(len(tokenizer), f"{root}: tokenizer")
        vocab.check_fits(_embedding_rows(backbone), f"{root}: backbone embeddings")
        if device is not None:
            backbone.to(device)
        return cls(backbone, tokenizer, vocab, config, saved, onset=onset)


# ---------------------------------------------------------------- helpers

def read_lm_record(root: Path) -> dict:
    """``motion_lm.json`` of checkpoint ``root``, after checking every file a checkpoint needs is there."""
    if not root.is_dir():
        raise CheckpointError(f"{root}: no such LM checkpoint directory")
    needed = [(LM_FILE,), ("config.json",), _WEIGHT_FILES, _TOKENIZER_FILES]
    for names in needed:
        if not any((root / n).is_file() for n in names):
            raise CheckpointError(f"{root}: LM checkpoint is missing {' or '.join(names)}")
    try:
        record = json.loads((root / LM_FILE).read_text())
    except ValueError as exc:
        raise CheckpointError(f"{root / LM_FILE}: not valid JSON ({exc})") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT_NAME:
        raise CheckpointError(f"{root / LM_FILE}: not a motion LM record (expected format {FORMAT_NAME!r})")
    if int(record.get("version", 0)) > FORMAT_VERSION:
        raise CheckpointError(f"{root / LM_FILE}: version {record['version']}; this motionbase reads up to "
                              f"{FORMAT_VERSION}")
    return record


def load_backbone(name: str, tokenizer=None):
    """(model, tokenizer) of the causal LM at local directory ``name``, or hub id ``name`` when online.

    ``tokenizer`` overrides the one stored with the model. Raises :class:`CheckpointError` for a
    missing or unloadable directory and :class:`MotionbaseError` for a hub id that cannot be fetched.
    """
    from transformers import AutoModelForCausalLM

    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise CheckpointError(f"{path}: not a Hugging Face model directory (no config.json)")
        try:
            model = AutoModelForCausalLM.from_pretrained(str(path), local_files_only=True)
        except (OSError, ValueError, RuntimeError) as exc:
            raise CheckpointError(f"{path}: not a loadable causal LM ({first_line(exc)})") from None
        return model, tokenizer if tokenizer is not None else load_text_tokenizer(path)
    if name.startswith((".", "/", "~")) or name.count("/") > 1 or "\\" in name:
        raise CheckpointError(f"{name}: no such backbone directory")
    hint = "pass the path of a downloaded model (a directory with config.json and weights) or 'tiny-gpt2' / 'tiny-llama'"
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        raise MotionbaseError(f"backbone {name!r}: not a local directory, and HF_HUB_OFFLINE is set; {hint}")
    try:
        from transformers import AutoTokenizer

        model = AutoModelForCausalLM.from_pretrained(name)
        return model, tokenizer if tokenizer is not None else AutoTokenizer.from_pretrained(name)
    except Exception as exc:  # network, auth, unknown repo: all mean "use a local path"
        raise MotionbaseError(f"backbone {name!r}: not a local directory, and fetching it from the Hugging Face "
                              f"hub failed ({first_line(exc)}); {hint}") from None


def build_tiny_backbone(name: str, sizes: TinyBackboneConfig, tokenizer):
    """A randomly initialised GPT-2 or Llama (``name`` "tiny-gpt2" / "tiny-llama") over ``tokenizer``'s ids."""
    from transformers import AutoModelForCausalLM, GPT2Config, LlamaConfig

    ids = {"bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
           "pad_token_id": tokenizer.pad_token_id}
    if name == "tiny-gpt2":
        cfg = GPT2Config(vocab_size=len(tokenizer), n_positions=sizes.context, n_embd=sizes.hidden,
                         n_layer=sizes.layers, n_head=sizes.heads, resid_pdrop=sizes.dropout,
                         embd_pdrop=sizes.dropout, attn_pdrop=sizes.dropout, **ids)
    elif name == "tiny-llama":
        cfg = LlamaConfig(vocab_size=len(tokenizer), max_position_embeddings=sizes.context,
                          hidden_size=sizes.hidden, intermediate_size=sizes.intermediate or 4 * sizes.hidden,
                          num_hidden_layers=sizes.layers, num_attention_heads=sizes.heads,
                          num_key_value_heads=sizes.kv_heads or sizes.heads, **ids)
    else:
        raise MotionbaseError(f"unknown tiny backbone {name!r}: expected 'tiny-gpt2' or 'tiny-llama'")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(sizes.seed)
        return AutoModelForCausalLM.from_config(cfg)


def _inference_backbone(root: Path):
    """The plain-torch GPT-2 of ``root`` when its config is one it computes exactly, else None."""
    try:
        config = json.loads((root / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{root / 'config.json'}: unreadable backbone config ({exc})") from None
    if not isinstance(config, dict) or not supports(config) or not (root / "model.safetensors").is_file():
        return None
    return InferenceGPT2.from_pretrained(root)


def _embedding_rows(backbone) -> int:
    return int(backbone.get_input_embeddings().num_embeddings)
