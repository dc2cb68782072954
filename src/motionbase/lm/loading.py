"""Loading what the LM commands need: the code-cache location and a check of backbone weights. The LM never
imports the tokenizer (it sees one through :class:`~motionbase.lm.codec.MotionCodec`); loading a tokenizer
checkpoint is the facade's: :func:`motionbase.generation.load_motion_tokenizer`."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import CheckpointError


def default_cache_root() -> Path:
    """Where tokenised motion codes are cached: ``$MOTIONBASE_CACHE/lm_codes`` (default ~/.cache/motionbase)."""
    return Path(os.environ.get("MOTIONBASE_CACHE", "~/.cache/motionbase")).expanduser() / "lm_codes"


_EMBEDDING_SUFFIXES = ("wte.weight", "embed_tokens.weight")  # GPT-2, Llama / Qwen input embeddings


def check_backbone_weights(root: Path) -> None:
    """One-line :class:`CheckpointError` for backbone weights transformers would fail on with a traceback or a
    report table: an index naming a non-safetensors (pickle) file, a corrupt / truncated / pickle
    ``model.safetensors``, an embedding whose rows differ from ``config.json``'s ``vocab_size``."""
    import json

    from safetensors import SafetensorError, safe_open

    index = root / "model.safetensors.index.json"
    if index.is_file():
        try:
            files = sorted(set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values()))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CheckpointError(f"{index}: not a safetensors index (expected a weight_map; {exc})") from None
        for name in files:
            if not str(name).endswith(".safetensors") or Path(name).name != name:
                raise CheckpointError(f"{index}: names {name!r}; only .safetensors files in the checkpoint folder "
                                      f"are loaded (pickle weights never are)")
    else:
        files = ["model.safetensors"]
    shapes: dict[str, list[int]] = {}
    for name in files:
        try:
            with safe_open(str(root / name), framework="pt") as f:
                shapes.update({k: list(f.get_slice(k).get_shape()) for k in f.keys()})
        except (SafetensorError, OSError) as exc:
            why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CheckpointError(f"{root / name}: not a readable safetensors file (corrupt, truncated or not "
                                  f"safetensors: {why})") from None
    try:
        vocab = json.loads((root / "config.json").read_text(encoding="utf-8")).get("vocab_size")
    except (OSError, ValueError, AttributeError) as exc:
        raise CheckpointError(f"{root / 'config.json'}: unreadable backbone config ({exc})") from None
    for key, shape in shapes.items():
        if key.endswith(_EMBEDDING_SUFFIXES) and isinstance(vocab, int) and shape and shape[0] != vocab:
            raise CheckpointError(f"{root / 'config.json'}: vocab_size {vocab}, but the weights' {key} has "
                                  f"{shape[0]} rows; config.json and model.safetensors are from different models")
