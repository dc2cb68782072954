"""Lookup-free quantization (LFQ; Yu et al. 2023, "Language model beats diffusion", MAGVIT-v2), as the MotionBase
paper (§4.2, eq. 2) uses it.

Each of the d = log2 K latent channels is quantized to its sign, ``Q(z_i) = -1{z_i <= 0} + 1{z_i > 0}``, and the
token index is the paper's ``Index(z) = sum_i 2^(i-1) 1{z_i > 0}``: **z_1 is the least significant bit**.
vector-quantize-pytorch's ``LFQ`` numbers codes the other way (its first channel is the most significant bit);
:func:`library_to_paper_index` / :func:`paper_to_library_index` convert.

Entropy penalty (MAGVIT-v2): with ``prob(c | z) ∝ exp(2 τ z·c)`` over all codes c ∈ {−s, s}^d (τ the inverse
temperature, s the code scale; vector-quantize-pytorch's definition), the loss is
``per_sample_entropy − γ · batch_entropy``: each latent should pick its code confidently, the batch should spread
over the codebook.

* **per-sample entropy** — the distribution factorises over bits, ``p(z_i > 0) = σ(4 τ s z_i)``, so
  ``H(prob(·|z)) = Σ_i H_b(σ(4 τ s z_i))`` *exactly*: O(d) instead of O(K) per latent.
* **batch entropy** — the entropy of the batch-mean distribution ``(1/N) Σ_n prob(·|z_n)``, a mixture, which does
  not factorise. ``exact``: the mean distribution over all K codes, computed as ``A^T B / N`` from the (N, 2^a) and
  (N, 2^b) distributions over the low and high halves of the bits (a + b = d): O(N K) multiply-adds but only
  O(K + N √K) memory (K = 2^14: 16384 numbers). ``per_bit``: ``Σ_i H_b(mean_n p_i)``, the entropy of the product of
  the bit marginals — an *upper bound* on the exact value (subadditivity of entropy), equal when the bits of the
  batch are independent. ``auto`` (default) is exact up to ``max_exact_bits`` (16) and per-bit above.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from .base import Quantizer, QuantizerOutput, log2_exact

BATCH_ENTROPY_MODES = ("auto", "exact", "per_bit")


# --- bit order -------------------------------------------------------------------------------------------------

def index_from_bits(bits: Tensor) -> Tensor:
    """(..., d) bools (bit i is 1{z_(i+1) > 0}) -> (...) int64 paper index ``Σ_i 2^i bits_i``."""
    weights = 2 ** torch.arange(bits.shape[-1], device=bits.device, dtype=torch.long)
    return (bits.long() * weights).sum(-1)


def bits_from_index(index: Tensor, num_bits: int) -> Tensor:
    """(...) paper indices -> (..., num_bits) bools; inverse of :func:`index_from_bits`."""
    weights = 2 ** torch.arange(num_bits, device=index.device, dtype=torch.long)
    return (index.long()[..., None] & weights) != 0


def _reverse_bits(index: Tensor, num_bits: int) -> Tensor:
    return index_from_bits(bits_from_index(index, num_bits).flip(-1))


def library_to_paper_index(index: Tensor, num_bits: int) -> Tensor:
    """vector-quantize-pytorch LFQ index (first channel = most significant bit) -> paper index."""
    return _reverse_bits(index, num_bits)


def paper_to_library_index(index: Tensor, num_bits: int) -> Tensor:
    """Paper index (first channel = least significant bit) -> vector-quantize-pytorch LFQ index."""
    return _reverse_bits(index, num_bits)


# --- entropies (nats) ------------------------------------------------------------------------------------------

def bit_logits(x: Tensor, inv_temperature: float, scale: float = 1.0) -> Tensor:
    """(..., d) latents -> (..., d) logits of p(bit_i = 1) = σ(4 τ s x_i)."""
    return 4.0 * inv_temperature * scale * x.float()


def binary_entropy_from_logits(logits: Tensor) -> Tensor:
    """H_b(σ(l)) in nats, elementwise, stable for large |l|."""
    p = torch.sigmoid(logits)
    return p * F.softplus(-logits) + (1 - p) * F.softplus(logits)


def binary_entropy(p: Tensor, eps: float = 1e-12) -> Tensor:
    """H_b(p) in nats, elementwise."""
    p = p.clamp(eps, 1 - eps)
    return -(p * p.log() + (1 - p) * (1 - p).log())


def per_sample_entropy(x: Tensor, inv_temperature: float, scale: float = 1.0) -> Tensor:
    """Mean over latents of H(prob(·|z)) — exact, by factorisation over bits. x: (..., d) -> scalar (nats)."""
    return binary_entropy_from_logits(bit_logits(x, inv_temperature, scale)).sum(-1).mean()


def batch_entropy_per_bit(x: Tensor, inv_temperature: float, scale: float = 1.0) -> Tensor:
    """Σ_i H_b(mean_n p_i): an upper bound on :func:`batch_entropy_exact`. x: (..., d) -> scalar (nats)."""
    p = torch.sigmoid(bit_logits(x, inv_temperature, scale)).reshape(-1, x.shape[-1])
    return binary_entropy(p.mean(0)).sum()


def _bits_distribution(p: Tensor) -> Tensor:
    """(N, b) bit probabilities -> (N, 2^b) distribution over codes of those bits (bit i weighs 2^i)."""
    dist = torch.ones_like(p[:, :1])
    for i in range(p.shape[1]):
        pi = p[:, i:i + 1]
        dist = torch.cat([dist * (1 - pi), dist * pi], dim=1)
    return dist


def mean_code_distribution(x: Tensor, inv_temperature: float, scale: float = 1.0) -> Tensor:
    """(..., d) latents -> (2^d,) mean over latents of prob(·|z), indexed by paper index. Exact."""
    d = x.shape[-1]
    p = torch.sigmoid(bit_logits(x, inv_temperature, scale)).reshape(-1, d)
    lo = d // 2
    low = _bits_distribution(p[:, :lo])    # (N, 2^lo)
    high = _bits_distribution(p[:, lo:])   # (N, 2^(d-lo))
    joint = high.T @ low / p.shape[0]      # [hi, lo] -> code hi * 2^lo + lo
    return joint.reshape(-1)


def batch_entropy_exact(x: Tensor, inv_temperature: float, scale: float = 1.0) -> Tensor:
    """Entropy (nats) of the batch-mean code distribution, over all 2^d codes."""
    return distribution_entropy(mean_code_distribution(x, inv_temperature, scale))


def distribution_entropy(prob: Tensor, eps: float = 1e-12) -> Tensor:
    """Shannon entropy (nats) of a distribution given as a vector."""
    return -(prob * prob.clamp_min(eps).log()).sum()


def batch_entropy(x: Tensor, inv_temperature: float, scale: float = 1.0, *, mode: str = "auto",
                  max_exact_bits: int = 16) -> Tensor:
    """Batch entropy, ``exact`` or ``per_bit`` (upper bound); ``auto``: exact iff d <= max_exact_bits."""
    if mode not in BATCH_ENTROPY_MODES:
        raise ValueError(f"batch entropy mode {mode!r}; expected one of {BATCH_ENTROPY_MODES}")
    exact = mode == "exact" or (mode == "auto" and x.shape[-1] <= max_exact_bits)
    fn = batch_entropy_exact if exact else batch_entropy_per_bit
    return fn(x, inv_temperature, scale)


# --- the quantizer ---------------------------------------------------------------------------------------------

class LFQ(Quantizer):
    """Binary lookup-free quantizer over d = log2(codebook_size) channels; codes in the paper's bit order.

    Losses (unweighted): ``commitment`` = mean (z − sign(z))², ``per_sample_entropy`` and ``batch_entropy`` (nats).
    """

    codes_per_vector = 1

    def __init__(self, codebook_size: int, *, inv_temperature: float = 100.0, scale: float = 1.0,
                 batch_entropy: str = "auto", max_exact_bits: int = 16):
        super().__init__()
        self.num_bits = log2_exact(codebook_size, "LFQ codebook size")
        if batch_entropy not in BATCH_ENTROPY_MODES:
            raise ValueError(f"batch entropy mode {batch_entropy!r}; expected one of {BATCH_ENTROPY_MODES}")
        self.dim = self.num_bits
        self.codebook_size = codebook_size
        self.inv_temperature = inv_temperature
        self.scale = scale
        self.batch_entropy_mode = batch_entropy
        self.max_exact_bits = max_exact_bits

    def forward(self, x: Tensor) -> QuantizerOutput:
        positive = x > 0
        q = torch.where(positive, self.scale, -self.scale).to(x.dtype)
        out = x + (q - x).detach() if self.training else q
        losses = {
            "commitment": F.mse_loss(x.float(), q.float()),
            "per_sample_entropy": per_sample_entropy(x, self.inv_temperature, self.scale),
            "batch_entropy": batch_entropy(x, self.inv_temperature, self.scale, mode=self.batch_entropy_mode,
                                           max_exact_bits=self.max_exact_bits),
        }
        return QuantizerOutput(out, index_from_bits(positive)[..., None], losses)

    def _decode(self, codes: Tensor) -> Tensor:
        bits = bits_from_index(codes[..., 0], self.num_bits)
        return torch.where(bits, self.scale, -self.scale).float()
