"""Motion tokenizers: features (B, T, D) -> codes (B, T/α, S) -> features.

See docs/TOKENIZERS.md for the methods (VQ, RVQ, 1D-LFQ, 2D-LFQ, FSQ) and their losses. Training and evaluation on
a clip store: :mod:`.run` (``TokenizerRunConfig``, ``train_from_store``), :mod:`.windows` (stats, seeded windows),
:mod:`.evaluate` (``evaluate_tokenizer``), :mod:`.perceptual` (the perceptual-loss encoder), :mod:`.train` (the loop).
"""

from .config import PRESETS, TokenizerConfig, preset
from .model import MotionTokenizer, TokenizerOutput
from .parts import mix_parts, swap_part_codes

__all__ = [
           "PRESETS",
           "MotionTokenizer",
           "TokenizerConfig",
           "TokenizerOutput",
           "mix_parts",
           "preset",
           "swap_part_codes",
]
