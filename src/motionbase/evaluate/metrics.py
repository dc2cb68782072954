"""Every evaluation metric, as pure functions of arrays (one import for callers).

Families, one module each:

* :mod:`.metrics_retrieval` — R-precision, MM-Dist, FID, Diversity, MultiModality over evaluator embeddings
  (Guo et al.'s protocol; its docstring lists where T2M-GPT's differs);
* :mod:`.metrics_protocol` — 20 seeded replications, mean ± 1.96·σ/√20;
* :mod:`.metrics_trajectory` — MPJPE (mm), ADE/FDE (m);
* :mod:`.metrics_codebook` — codebook utilisation and perplexity of a tokenizer;
* :mod:`.metrics_text` — BLEU, ROUGE-L, CIDEr for motion → text;
* :mod:`.metrics_physics` — foot skating, jitter, floor penetration.
"""

from .metrics_codebook import CodebookUsage, codebook_usage
from .metrics_physics import floor_penetration, foot_skating, jitter_m_s3, plausibility
from .metrics_protocol import REPLICATIONS, Summary, mean_ci95, replicate, replication_rng
from .metrics_retrieval import (
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
from .metrics_text import bleu, caption_metrics, cider, rouge_l, tokenize
from .metrics_trajectory import ade_fde_m, mpjpe_mm, pose_errors_m

__all__ = [
    "CodebookUsage", "codebook_usage",
    "floor_penetration", "foot_skating", "jitter_m_s3", "plausibility",
    "REPLICATIONS", "Summary", "mean_ci95", "replicate", "replication_rng",
    "DIVERSITY_PAIRS", "MM_GENERATIONS", "MM_PAIRS", "MM_TEXTS", "R_PRECISION_BATCH",
    "FewSamplesWarning", "RetrievalResult", "activation_statistics", "diversity", "euclidean_distance_matrix",
    "fid", "frechet_distance", "mm_dist", "multimodality", "r_precision", "retrieval_batches", "top_k_hits",
    "bleu", "caption_metrics", "cider", "rouge_l", "tokenize",
    "ade_fde_m", "mpjpe_mm", "pose_errors_m",
]
