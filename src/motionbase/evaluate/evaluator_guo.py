"""Guo et al.'s text and motion encoders (text-to-motion, ``networks/modules.py``), state-dict compatible.

Parameter names and shapes match the original modules, so the established HumanML3D evaluator checkpoint
(``finest.tar``: ``text_encoder``, ``movement_encoder``, ``motion_encoder``) loads with ``strict=True``:

* :class:`MovementConvEncoder`: two Conv1d(k=4, s=2, p=1) + Dropout(0.2) + LeakyReLU(0.2) (``main.0``,
  ``main.3``) and a Linear (``out_net``): (B, T, F) -> (B, T/4, latent).
* :class:`TextEncoderBiGRUCo`: word vectors + Linear(POS one-hot) (``pos_emb``) -> Linear (``input_emb``) ->
  bi-GRU (``gru``, learned initial state ``hidden``) -> MLP on the two final states (``output_net``:
  Linear, LayerNorm, LeakyReLU, Linear).
* :class:`MotionEncoderBiGRUCo`: the same bi-GRU head over movement latents.

Differences from the original, none of which changes the weights: no ``device`` argument; sequences may come
in any order (``enforce_sorted=False``) and embeddings are returned in input order (Guo's wrapper sorted the
batch by length and returned it reordered); ``pos_size=0`` drops ``pos_emb`` for encoders trained without POS
tags; dropout is not in-place.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

LEAKY_SLOPE = 0.2


def init_weight(m: nn.Module) -> None:
    """Guo's initialisation: Xavier-normal weights, zero biases for Conv1d/Linear."""
    if isinstance(m, (nn.Conv1d, nn.Linear, nn.ConvTranspose1d)):
        nn.init.xavier_normal_(m.weight)
        if m.bias is not None:
            nn.init.constant_(m.bias, 0)


def _head(hidden_size: int, output_size: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(hidden_size * 2, hidden_size),
        nn.LayerNorm(hidden_size),
        nn.LeakyReLU(LEAKY_SLOPE),
        nn.Linear(hidden_size, output_size),
    )


class MovementConvEncoder(nn.Module):
    """(B, T, input_size) -> (B, T // 4, output_size) movement latents (4x temporal downsampling)."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int, dropout: float = 0.2):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv1d(input_size, hidden_size, 4, 2, 1),
            nn.Dropout(dropout),
            nn.LeakyReLU(LEAKY_SLOPE),
            nn.Conv1d(hidden_size, output_size, 4, 2, 1),
            nn.Dropout(dropout),
            nn.LeakyReLU(LEAKY_SLOPE),
        )
        self.out_net = nn.Linear(output_size, output_size)
        self.main.apply(init_weight)
        self.out_net.apply(init_weight)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.out_net(self.main(inputs.permute(0, 2, 1)).permute(0, 2, 1))


class _BiGRUCo(nn.Module):
    """Shared body: Linear -> bi-GRU with a learned initial state -> MLP on [h_forward, h_backward]."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int):
        super().__init__()
        self.input_emb = nn.Linear(input_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True, bidirectional=True)
        self.output_net = _head(hidden_size, output_size)
        self.input_emb.apply(init_weight)
        self.output_net.apply(init_weight)
        self.hidden_size = hidden_size
        self.hidden = nn.Parameter(torch.randn((2, 1, hidden_size)))

    def _encode(self, inputs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        emb = self.input_emb(inputs)
        hidden = self.hidden.repeat(1, inputs.shape[0], 1)
        packed = pack_padded_sequence(emb, lengths.detach().cpu().long(), batch_first=True, enforce_sorted=False)
        _, last = self.gru(packed, hidden)
        return self.output_net(torch.cat([last[0], last[1]], dim=-1))


class TextEncoderBiGRUCo(_BiGRUCo):
    """(B, L, word_size) word vectors [+ (B, L, pos_size) POS one-hots], (B,) lengths -> (B, output_size)."""

    def __init__(self, word_size: int, pos_size: int, hidden_size: int, output_size: int):
        super().__init__(word_size, hidden_size, output_size)
        # Created after the body so the registration order matches the original (pos_emb first in Guo's code
        # only affects state-dict key order, which load_state_dict ignores).
        self.pos_emb = nn.Linear(pos_size, word_size) if pos_size else None
        if self.pos_emb is not None:
            self.pos_emb.apply(init_weight)

    def forward(self, word_embs: torch.Tensor, pos_onehot: torch.Tensor | None, cap_lens: torch.Tensor):
        inputs = word_embs if self.pos_emb is None else word_embs + self.pos_emb(pos_onehot)
        return self._encode(inputs, cap_lens)


class MotionEncoderBiGRUCo(_BiGRUCo):
    """(B, T', input_size) movement latents, (B,) lengths in latent steps -> (B, output_size)."""

    def forward(self, inputs: torch.Tensor, m_lens: torch.Tensor) -> torch.Tensor:
        return self._encode(inputs, m_lens)


def guo_encoders(dims, word_dim: int, pos_size: int, feature_dim: int,
                 embed_dim: int) -> tuple[TextEncoderBiGRUCo, MovementConvEncoder, MotionEncoderBiGRUCo]:
    """(text, movement, motion) encoders of the sizes ``dims`` (:class:`~.evaluator.GuoDims`): a trained Guo-style
    evaluator and the published one (:mod:`.t2m_loader`) are built here alike."""
    return (TextEncoderBiGRUCo(word_dim, pos_size, dims.text_hidden, embed_dim),
            MovementConvEncoder(feature_dim, dims.movement_hidden, dims.movement_latent),
            MotionEncoderBiGRUCo(dims.movement_latent, dims.motion_hidden, embed_dim))
