"""Text tokenizers: trained offline on our captions for tiny backbones, or loaded from a local path.

A backbone built from scratch ("tiny-gpt2", "tiny-llama") has no text tokenizer of its own; we train a
byte-level BPE (the GPT-2 scheme, via the ``tokenizers`` library) on the caption corpus and wrap it as
a ``transformers.PreTrainedTokenizerFast``, so the rest of the code sees the same object whatever the
backbone. Byte-level means any text (unseen words, other scripts) still encodes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ..errors import CheckpointError, MotionbaseError

EOS = "<|endoftext|>"  # also the BOS, as in GPT-2
PAD = "<|pad|>"


def train_bpe(texts: Iterable[str], vocab_size: int = 2000, *, min_frequency: int = 2,
              model_max_length: int = 512):
    """A byte-level BPE tokenizer with at most ``vocab_size`` entries trained on ``texts``.

    Returns a ``PreTrainedTokenizerFast`` whose BOS and EOS are ``<|endoftext|>`` and PAD ``<|pad|>``.
    Raises :class:`MotionbaseError` for an empty corpus or a vocabulary smaller than the byte alphabet.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    texts = [t for t in (str(x).strip() for x in texts) if t]
    if not texts:
        raise MotionbaseError("text tokenizer: the caption corpus is empty; a tiny backbone needs captions "
                              "(or a corpus) to train its BPE tokenizer on")
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    if vocab_size < len(alphabet) + 2:
        raise MotionbaseError(f"text tokenizer: vocab_size={vocab_size} is below the {len(alphabet)} byte "
                              "symbols + 2 special tokens a byte-level BPE needs")
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=[EOS, PAD],
                                  initial_alphabet=alphabet, show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=EOS, eos_token=EOS, pad_token=PAD,
                                   model_max_length=model_max_length)


def load_text_tokenizer(path: str | os.PathLike):
    """The Hugging Face tokenizer saved in the local directory ``path`` (with a PAD token ensured)."""
    from transformers import AutoTokenizer

    root = Path(path)
    if not root.is_dir():
        raise CheckpointError(f"{root}: no such text tokenizer directory")
    try:
        tok = AutoTokenizer.from_pretrained(str(root), local_files_only=True)
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{root}: no loadable tokenizer files ({first_line(exc)})") from None
    return ensure_pad(tok)


def ensure_pad(tokenizer):
    """Give ``tokenizer`` a PAD token if it has none (its EOS, the usual choice for GPT-2 / Llama)."""
    if tokenizer.pad_token_id is None:
        if tokenizer.eos_token is None:
            raise MotionbaseError(f"tokenizer {type(tokenizer).__name__} has neither a PAD nor an EOS token")
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
