"""Tiny models for the generation and app tests: a real (untrained) 2D-LFQ motion tokenizer with body-part
components, and a tiny GPT-2 motion LM built for it, saved as checkpoints with the training captions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from motionbase.defaults.familiarity import save_training_captions
from motionbase.generation import load_motion_tokenizer
from motionbase.lm.config import LMConfig, TinyBackboneConfig
from motionbase.lm.model import MotionLM
from motionbase.tokenizer import MotionTokenizer, preset

from .lm_support import corpus

HML = Path(__file__).parent / "data" / "humanml3d"
CONTEXT = 160  # tokens: 6 codes per step, 5 steps/s -> about 4 s of motion after a short prompt


def tiny_tokenizer(path: Path, codebook_size: int = 16) -> Path:
    """A 2D-LFQ tokenizer (components: root, torso_head, left/right arm, left/right leg) saved at ``path``."""
    torch.manual_seed(0)
    cfg = preset("lfq2d", grouping="body", width=16, depth=1, codebook_size=codebook_size, kmeans_init=False)
    MotionTokenizer(cfg, stats=(np.load(HML / "Mean.npy"), np.load(HML / "Std.npy"))).save_pretrained(path)
    return path


def tiny_models(root: Path, *, captions: bool = True, context: int = CONTEXT) -> tuple[Path, Path]:
    """(lm_dir, tokenizer_dir) under ``root``; the LM dir holds training_captions.json when ``captions``."""
    tok_dir = tiny_tokenizer(root / "tokenizer")
    _, info = load_motion_tokenizer(tok_dir)
    sizes = TinyBackboneConfig(hidden=32, layers=2, heads=4, context=context, text_vocab_size=320, dropout=0.0)
    lm = MotionLM.build(LMConfig(backbone="tiny-gpt2", tiny=sizes), info, corpus=list(corpus()))
    lm_dir = lm.save_pretrained(root / "lm")
    if captions:
        save_training_captions(lm_dir, corpus())
    return lm_dir, tok_dir
