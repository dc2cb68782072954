"""Loading what the LM commands need: the motion tokenizer (the only place the LM touches
``motionbase.tokenizer``; the LM modules see it through :class:`~motionbase.lm.codec.MotionCodec`) and
the code-cache location."""

from __future__ import annotations

import os
from pathlib import Path



def default_cache_root() -> Path:
    """Where tokenised motion codes are cached: ``$MOTIONBASE_CACHE/lm_codes`` (default ~/.cache/motionbase)."""
    return Path(os.environ.get("MOTIONBASE_CACHE", "~/.cache/motionbase")).expanduser() / "lm_codes"


def load_motion_tokenizer(path: Path, device: str | None = None):
    """(tokenizer, CodecInfo) of the motion tokenizer checkpoint at ``path``."""
    from ..tokenizer import MotionTokenizer
    from .codec import CodecInfo

    tok = MotionTokenizer.from_pretrained(path, device=device)
    return tok, CodecInfo.of(tok, path)
