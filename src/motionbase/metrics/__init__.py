"""Every evaluation metric, as pure functions of arrays (one import for callers).

Families, one module each:

* :mod:`.retrieval` — R-precision, MM-Dist, FID, Diversity, MultiModality over evaluator embeddings
  (Guo et al.'s protocol; its docstring lists where T2M-GPT's differs);
* :mod:`.protocol` — 20 seeded replications, mean ± 1.96·σ/√20;
* :mod:`.trajectory` — MPJPE (mm), ADE/FDE (m);
* :mod:`.codebook` — codebook utilisation and perplexity of a tokenizer;
* :mod:`.text` — BLEU, ROUGE-L, CIDEr for motion → text;
* :mod:`.physics` — foot skating, jitter, floor penetration.
"""

from .codebook import CodebookUsage, codebook_usage, usage_from_counts
from .physics import floor_penetration, foot_skating, jitter_m_s3, plausibility
from .protocol import REPLICATIONS, Summary, mean_ci95, replicate, replication_rng
from .retrieval import (
    DIVERSITY_PAIRS,
    MM_GENERATIONS,
    MM_PAIRS,
    MM_TEXTS,
    R_PRECISION_BATCH,
    FewSamplesWarning,
    RetrievalResult,
    activation_statistics,
    diversity,
    euclidean_distance_matrix,
    fid,
    frechet_distance,
    mm_dist,
    multimodality,
    r_precision,
    retrieval_batches,
    top_k_hits,
)
from .text import bleu, caption_metrics, cider, rouge_l, tokenize
from .trajectory import ade_fde_m, mpjpe_mm, path_length_m, pose_errors_m

__all__ = [
    "CodebookUsage", "codebook_usage", "usage_from_counts",
    "floor_penetration", "foot_skating", "jitter_m_s3", "plausibility",
    "REPLICATIONS", "Summary", "mean_ci95", "replicate", "replication_rng",
    "DIVERSITY_PAIRS", "MM_GENERATIONS", "MM_PAIRS", "MM_TEXTS", "R_PRECISION_BATCH",
    "FewSamplesWarning", "RetrievalResult", "activation_statistics", "diversity", "euclidean_distance_matrix",
    "fid", "frechet_distance", "mm_dist", "multimodality", "r_precision", "retrieval_batches", "top_k_hits",
    "bleu", "caption_metrics", "cider", "rouge_l", "tokenize",
    "ade_fde_m", "mpjpe_mm", "path_length_m", "pose_errors_m",
]
