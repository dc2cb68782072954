"""VQ (EMA, dead-code reset), RVQ (quantizer dropout, coarse decoding), FSQ, and code-usage statistics."""

import math

import pytest
import torch

from motionbase.errors import ShapeError
from motionbase.metrics import usage_from_counts
from motionbase.quantize import FSQ, RVQ, VQ, fsq_levels


def test_vq_nearest_code_decode_and_ema():
    torch.manual_seed(0)
    q = VQ(8, 16, kmeans_init=False, dead_code_threshold=0.0)
    x = torch.randn(2, 20, 8)
    q.eval()
    quantized, codes, losses = q(x)
    book = q.codebook.clone()
    assert codes.shape == (2, 20, 1) and codes.dtype == torch.long
    assert torch.equal(codes[..., 0], torch.cdist(x, book[None].expand(2, -1, -1)).argmin(-1))  # nearest code
    assert torch.allclose(q.decode_codes(codes), quantized) and torch.allclose(quantized, book[codes[..., 0]])
    assert torch.equal(q.codebook, book)  # eval: no EMA update
    q.train()
    _, _, losses = q(x)
    assert losses["commitment"].item() > 0
    assert not torch.equal(q.codebook, book)  # train: the EMA moved the used codes


def test_vq_dead_code_reset_moves_unused_codes_onto_the_data():
    torch.manual_seed(1)
    q = VQ(4, 16, kmeans_init=False, dead_code_threshold=2.0)
    with torch.no_grad():
        q.vq.codebook = torch.full((16, 4), 100.0)  # all codes far from the data
    x = torch.randn(1, 64, 4)
    q.train()
    q(x)
    # every code's EMA count starts below the threshold, so all are replaced by latents of the batch
    assert q.codebook.abs().max() < 10
    dist = torch.cdist(q.codebook, x[0]).min(-1).values
    assert (dist < 1e-2).all()


def test_rvq_codes_dropout_and_coarse_decoding():
    torch.manual_seed(2)
    q = RVQ(8, 32, 4, dropout_prob=0.0, kmeans_init=False)
    x = torch.randn(4, 64, 8)  # 256 latents for 32 codes per layer
    q.train()
    for _ in range(5):
        assert (q(x).codes >= 0).all()  # never dropped with probability 0
    q.eval()
    quantized, codes, _ = q(x)
    assert codes.shape == (4, 64, 4) and (codes >= 0).all()
    assert torch.allclose(q.decode_codes(codes), quantized, atol=1e-6)
    layer0 = q.rvq.layers[0].codebook[codes[..., 0]]
    assert torch.allclose(q.decode_codes(codes[..., :1]), layer0, atol=1e-6)  # first layer only
    # each further layer reduces the residual error
    errs = [(q.decode_codes(codes[..., :k]) - x).pow(2).mean().item() for k in range(1, 5)]
    assert errs == sorted(errs, reverse=True) and errs[-1] < 0.7 * errs[0]
    q.train()
    q.dropout_prob = 1.0
    dropped = [q(x).codes for _ in range(12)]
    assert any((c == -1).any() for c in dropped)
    assert all((c[..., 0] >= 0).all() for c in dropped)  # the first layer is always kept
    with pytest.raises(ShapeError, match="out of range"):
        q.decode_codes(torch.full((1, 2, 4), 32))
    with pytest.raises(ShapeError, match="shape"):
        q.decode_codes(torch.zeros(1, 2, 5, dtype=torch.long))


def test_fsq_levels_codes_and_decode():
    assert fsq_levels(2 ** 14) == (8, 8, 8, 6, 5)
    assert fsq_levels(100, (5, 5, 4)) == (5, 5, 4)
    with pytest.raises(ValueError, match="no recommended"):
        fsq_levels(1000)
    q = FSQ((5, 3)).eval()
    assert q.dim == 2 and q.codebook_size == 15
    every = torch.arange(15).reshape(1, 15, 1)
    z = q.decode_codes(every)
    # channel 0 has 5 levels and is the least significant digit
    assert torch.allclose(z[0, :5, 0], torch.tensor([-1.0, -0.5, 0.0, 0.5, 1.0]))
    assert torch.allclose(z[0, ::5, 1], torch.tensor([-1.0, 0.0, 1.0]))
    assert q(torch.full((1, 1, 2), 50.0)).codes.item() == 14  # inputs saturate at the extreme levels
    assert q(torch.full((1, 1, 2), -50.0)).codes.item() == 0
    quantized, codes, losses = q(torch.randn(2, 7, 2))
    assert losses == {} and torch.allclose(q.decode_codes(codes), quantized)
    with pytest.raises(ShapeError, match="out of range"):
        q.decode_codes(torch.tensor([[[15]]]))


def test_usage_from_a_training_histogram_by_hand():
    codes = torch.tensor([[0, 0, 1, 3], [3, 3, -1, -1]]).reshape(-1)  # -1 (dropped RVQ layer) ignored
    u = usage_from_counts(torch.bincount(codes[codes >= 0], minlength=8))
    assert u.utilisation == pytest.approx(3 / 8) and (u.used, u.tokens, u.codebook_size) == (3, 6, 8)
    p = torch.tensor([2, 1, 3]) / 6
    assert u.perplexity == pytest.approx(math.exp(-(p * p.log()).sum().item()))
    assert usage_from_counts(torch.ones(16)).perplexity == pytest.approx(16)
    assert (usage_from_counts(torch.zeros(4)).utilisation, usage_from_counts(torch.zeros(4)).perplexity) == (0, 0)


def test_encoding_in_eval_mode_never_changes_an_uninitialised_codebook():
    torch.manual_seed(3)
    for q in (VQ(4, 8, kmeans_init=True), RVQ(4, 8, 2, kmeans_init=True)):
        q.eval()
        before = {k: v.clone() for k, v in q.state_dict().items()}
        q(torch.randn(1, 32, 4))
        assert all(torch.equal(before[k], v) for k, v in q.state_dict().items())
        q.train()
        q(torch.randn(1, 32, 4))  # training does initialise (k-means on the batch)
        assert not all(torch.equal(before[k], v) for k, v in q.state_dict().items())
