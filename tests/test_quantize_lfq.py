"""LFQ: the paper's bit order (checked against vector-quantize-pytorch's LFQ both ways), exact factorised
per-sample entropy and exact / per-bit batch entropy (checked against brute force over all codes)."""

import itertools

import pytest
import torch
from vector_quantize_pytorch import LFQ as LibLFQ

from motionbase.errors import ShapeError
from motionbase.quantize import LFQ, library_to_paper_index, paper_to_library_index
from motionbase.quantize.lfq import (
    batch_entropy,
    batch_entropy_exact,
    batch_entropy_per_bit,
    bits_from_index,
    index_from_bits,
    mean_code_distribution,
    per_sample_entropy,
)


def all_codes(d: int) -> torch.Tensor:
    """(2^d, d) code vectors in {-1, 1}^d, row k = the paper's index k (z_1 least significant)."""
    return torch.tensor([[1.0 if (k >> i) & 1 else -1.0 for i in range(d)] for k in range(2 ** d)])


def brute_probs(x: torch.Tensor, tau: float) -> torch.Tensor:
    """prob(c | z) ∝ exp(2 τ z·c) over all codes: (N, d) -> (N, 2^d)."""
    return torch.softmax(2 * tau * x.double() @ all_codes(x.shape[-1]).double().T, -1)


def entropy(p: torch.Tensor) -> torch.Tensor:
    return -(p * p.clamp_min(1e-300).log()).sum(-1)


def test_paper_index_formula_by_hand():
    # Index(z) = Σ_i 2^(i-1) 1{z_i > 0}: z_1 is the least significant bit.
    q = LFQ(16).eval()
    x = torch.tensor([[[0.3, -1.0, -0.2, -4.0], [-0.3, -1.0, -0.2, 4.0], [1.0, 1.0, 0.0, 1.0]]])
    _, codes, _ = q(x)
    assert codes[0, :, 0].tolist() == [1, 8, 1 + 2 + 8]  # z = 0 is not > 0
    assert index_from_bits(torch.tensor([True, True, False, True])) == 11
    assert bits_from_index(torch.tensor(11), 4).tolist() == [True, True, False, True]


def test_bit_order_against_vector_quantize_pytorch_both_ways():
    torch.manual_seed(0)
    d = 6
    lib = LibLFQ(dim=d, codebook_size=2 ** d).eval()
    ours = LFQ(2 ** d).eval()
    x = torch.randn(3, 50, d)
    lib_q, lib_idx, _ = lib(x)
    q, codes, _ = ours(x)
    assert torch.equal(q, lib_q)
    assert torch.equal(library_to_paper_index(lib_idx, d), codes[..., 0])
    assert torch.equal(paper_to_library_index(codes[..., 0], d), lib_idx)
    assert not torch.equal(lib_idx, codes[..., 0])  # the two orders really differ
    # decoding: our codes through the library's decoder (after conversion) and ours agree
    assert torch.equal(lib.indices_to_codes(paper_to_library_index(codes[..., 0], d)), ours.decode_codes(codes))
    # every index maps to a distinct index and back
    every = torch.arange(2 ** d)
    assert torch.equal(library_to_paper_index(paper_to_library_index(every, d), d), every)
    assert sorted(paper_to_library_index(every, d).tolist()) == every.tolist()


@pytest.mark.parametrize("tau", [0.3, 1.0, 5.0])
def test_per_sample_entropy_factorises_exactly(tau):
    torch.manual_seed(1)
    x = torch.randn(64, 5)
    brute = entropy(brute_probs(x, tau)).mean()
    assert per_sample_entropy(x, tau).item() == pytest.approx(brute.item(), rel=1e-5, abs=1e-6)


def test_batch_entropy_exact_matches_brute_force_and_per_bit_is_an_upper_bound():
    torch.manual_seed(2)
    for d in (3, 4, 7):
        x = torch.randn(200, d) * 0.7 + torch.randn(1, d)  # correlated bits across the batch
        mean_p = brute_probs(x, 1.0).mean(0)
        assert torch.allclose(mean_code_distribution(x, 1.0).double(), mean_p, atol=1e-6)
        exact = batch_entropy_exact(x, 1.0).item()
        assert exact == pytest.approx(entropy(mean_p).item(), rel=1e-5)
        bound = batch_entropy_per_bit(x, 1.0).item()
        assert bound >= exact - 1e-6
        assert bound > exact + 1e-3  # strictly looser here: the bound is not the exact value
    # equality when the batch is a single latent (a product distribution)
    one = torch.randn(1, 5)
    assert batch_entropy_per_bit(one, 1.0).item() == pytest.approx(batch_entropy_exact(one, 1.0).item(), rel=1e-5)


def test_entropies_match_vector_quantize_pytorch():
    """The library computes both entropies by brute force over the codebook (its logs clamp at 1e-5, so keep the
    probabilities away from 0)."""
    torch.manual_seed(3)
    d, tau = 4, 0.5
    lib = LibLFQ(dim=d, codebook_size=2 ** d, entropy_loss_weight=1.0).train()
    x = torch.randn(2, 30, d) * 0.3
    _, breakdown = lib(x, inv_temperature=tau, return_loss_breakdown=True)
    assert per_sample_entropy(x, tau).item() == pytest.approx(breakdown.per_sample_entropy.item(), rel=1e-4)
    assert batch_entropy_exact(x, tau).item() == pytest.approx(breakdown.batch_entropy.item(), rel=1e-4)


def test_batch_entropy_modes_and_large_codebook():
    torch.manual_seed(4)
    x = torch.randn(2000, 14)  # K = 16384, the paper's size: exact is cheap (A^T B over 2^7 x 2^7)
    dist = mean_code_distribution(x, 1.0)
    assert dist.shape == (16384,) and dist.sum().item() == pytest.approx(1.0, rel=1e-4)
    assert batch_entropy(x, 1.0, mode="auto").item() == pytest.approx(batch_entropy_exact(x, 1.0).item())
    assert batch_entropy(x, 1.0, mode="auto", max_exact_bits=10).item() == pytest.approx(
        batch_entropy_per_bit(x, 1.0).item())
    with pytest.raises(ValueError):
        batch_entropy(x, 1.0, mode="approximately")


def test_lfq_training_pass_gradients_and_losses():
    torch.manual_seed(5)
    q = LFQ(2 ** 6, inv_temperature=1.0).train()
    x = torch.randn(4, 10, 6, requires_grad=True)
    out, _codes, losses = q(x)
    assert torch.equal(out.detach(), torch.where(x > 0, 1.0, -1.0))
    assert set(losses) == {"commitment", "per_sample_entropy", "batch_entropy"}
    assert losses["commitment"].item() == pytest.approx(((x.detach() - out.detach()) ** 2).mean().item(), rel=1e-6)
    (out.sum() + losses["per_sample_entropy"] - losses["batch_entropy"]).backward()
    assert torch.isfinite(x.grad).all() and (x.grad != 1).any()  # straight-through plus entropy gradients


def test_decode_codes_round_trip_and_errors():
    q = LFQ(2 ** 5).eval()
    codes = torch.arange(32).reshape(1, 32, 1)
    z = q.decode_codes(codes)
    assert torch.equal(q(z).codes, codes)
    assert torch.equal(z[0, 5], torch.tensor([1.0, -1.0, 1.0, -1.0, -1.0]))  # 5 = 0b00101
    for bad in (torch.tensor([[[32]]]), torch.tensor([[[-1]]])):
        with pytest.raises(ShapeError, match="out of range"):
            q.decode_codes(bad)
    with pytest.raises(ShapeError, match="dtype"):
        q.decode_codes(torch.zeros(1, 2, 1))
    with pytest.raises(ShapeError, match="shape"):
        q.decode_codes(torch.zeros(1, 2, dtype=torch.long))
    with pytest.raises(ValueError, match="power of two"):
        LFQ(100)


def test_all_codes_helper_is_in_paper_order():
    for k, bits in enumerate(itertools.islice(all_codes(3), 8)):
        assert index_from_bits(bits > 0).item() == k
