"""Quantizers behind one interface: ``(B, N, d) -> QuantizerOutput(quantized, codes (B, N, L), losses)``.

VQ and RVQ keep a codebook (EMA-updated); LFQ and FSQ are lookup-free (the code *is* the quantized vector).
"""

from .base import Quantizer, QuantizerOutput
from .fsq import FSQ, fsq_levels
from .lfq import LFQ, library_to_paper_index, paper_to_library_index
from .rvq import RVQ
from .vq import VQ

__all__ = [
           "FSQ",
           "LFQ",
           "RVQ",
           "VQ",
           "Quantizer",
           "QuantizerOutput",
           "fsq_levels",
           "library_to_paper_index",
           "paper_to_library_index",
]
