"""The established HumanML3D evaluator (Guo et al. 2022), loaded from the user's own copies of its files.

With it our numbers can be compared with the literature. The user supplies (we ship none of them):

* ``finest.tar`` — ``checkpoints/t2m/text_mot_match/model/finest.tar``: a torch save of a dict with
  ``text_encoder``, ``movement_encoder``, ``motion_encoder`` state dicts (plus ``epoch`` and optimiser
  states). Read with ``torch.load(weights_only=True)``: tensors and plain containers only, no code.
* the GloVe vocabulary of ``glove/``: ``our_vab_data.npy`` (V, 300) float vectors, ``our_vab_words.pkl``
  (list of words) and ``our_vab_idx.pkl`` (dict word -> row). The pickles are read with
  :func:`~motionbase.evaluate.safe_pickle.load_plain_pickle`, which admits only plain containers and numpy
  arrays.
* the evaluator's feature statistics, ``meta/mean.npy`` and ``meta/std.npy`` (263,). Guo's training code saved
  them with the root (dims 0-3) and foot-contact (last 4) std divided by ``feat_bias`` = 5, which up-weights
  those dims; :func:`t2m_std` derives the same from a dataset ``Std.npy`` when only that is at hand.

Input conventions of the evaluator, applied by :class:`T2MEvaluator`:

* motions: raw 263-dim HumanML3D features, normalised with the meta mean/std, zero-padded to 196 frames (the
  convolutions see that padding); the 4 foot-contact dims are dropped (259 dims enter the movement encoder);
  at most 196 frames; lengths cropped to a multiple of 4 (with ``rng``, Guo's evaluation coin: 2/3
  ``T//4*4``, 1/3 ``(T//4-1)*4``, at a random offset); Guo's data loader also skips clips shorter than 40 or
  longer than 199 frames — select clips before encoding;
* texts: at most 20 words, each ``word/POS`` as :func:`motionbase.formats.text_tokens.tag_caption` makes
  them (HumanML3D's ``text_process.py`` rules on a tagger's universal POS tags: hyphens removed,
  non-alphabetic tokens dropped, nouns and verbs lemmatised except "left"), wrapped in ``sos/OTHER`` …
  ``eos/OTHER``; words outside the vocabulary become ``unk`` with POS ``OTHER``; a word of Guo's VIP lists
  (locations, body parts, objects, actions, manner) takes that category instead of its POS. HumanML3D's
  ``texts/*.txt`` already hold tagged tokens (second ``#`` field); pass those lists to skip the tagger.
  We lower-case captions before tagging (Guo's vocabulary is lower-case).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..errors import CheckpointError, FormatError, MotionbaseError, ShapeError
from ..features.layout import HML3D_LAYOUT, FeatureLayout
from ..formats.text_tokens import PosTagger, get_tagger, tag_caption
from .evaluator import GuoDims, default_device
from .evaluator_batch import MAX_RMS_Z, check_features, crop_length, normalised_batch
from .evaluator_guo import guo_encoders
from .safe_pickle import load_plain_pickle

POS_ENUMERATOR = {
    "VERB": 0, "NOUN": 1, "DET": 2, "ADP": 3, "NUM": 4, "AUX": 5, "PRON": 6, "ADJ": 7, "ADV": 8,
    "Loc_VIP": 9, "Body_VIP": 10, "Obj_VIP": 11, "Act_VIP": 12, "Desc_VIP": 13, "OTHER": 14,
}
VIP_WORDS = {
    "Loc_VIP": ("left", "right", "clockwise", "counterclockwise", "anticlockwise", "forward", "back", "backward",
                "up", "down", "straight", "curve"),
    "Body_VIP": ("arm", "chin", "foot", "feet", "face", "hand", "mouth", "leg", "waist", "eye", "knee", "shoulder",
                 "thigh"),
    "Obj_VIP": ("stair", "dumbbell", "chair", "window", "floor", "car", "ball", "handrail", "baseball",
                "basketball"),
    "Act_VIP": ("walk", "run", "swing", "pick", "bring", "kick", "put", "squat", "throw", "hop", "dance", "jump",
                "turn", "stumble", "dance", "stop", "sit", "lift", "lower", "raise", "wash", "stand", "kneel",
                "stroll", "rub", "bend", "balance", "flap", "jog", "shuffle", "lean", "rotate", "spin", "spread",
                "climb"),
    "Desc_VIP": ("slowly", "carefully", "fast", "careful", "slow", "quickly", "happy", "angry", "sad", "happily",
                 "angrily", "sadly"),
}
WORD_DIM = 300
UNIT_LENGTH, MAX_FRAMES, MAX_WORDS, FEAT_BIAS = 4, 196, 20, 5.0
CONTACT_DIMS = 4
T2M_EMBED_DIM = 512  # the published evaluator's text and motion embeddings
CHECKPOINT_KEYS = ("text_encoder", "movement_encoder", "motion_encoder")


# -- words ------------------------------------------------------------------------------------------------
class WordVectorizer:
    """Guo's ``WordVectorizer``: ``"word/POS"`` -> (300-d GloVe vector, 15-d POS one-hot)."""

    def __init__(self, vectors: np.ndarray, words: Sequence[str], word2idx: dict):
        self.word2vec = {w: np.asarray(vectors[word2idx[w]], dtype=np.float32) for w in words}
        if "unk" not in self.word2vec:
            raise FormatError("our_vab_words.pkl", "vocabulary has no 'unk' entry; expected Guo's GloVe vocabulary")
        self._vip = {w: cat for cat, ws in VIP_WORDS.items() for w in ws}

    @classmethod
    def from_dir(cls, glove_dir: str | os.PathLike, prefix: str = "our_vab") -> "WordVectorizer":
        """Read ``{prefix}_data.npy``, ``{prefix}_words.pkl`` and ``{prefix}_idx.pkl`` from ``glove_dir``."""
        root = Path(glove_dir)
        data_path, words_path, idx_path = (root / f"{prefix}_{s}" for s in ("data.npy", "words.pkl", "idx.pkl"))
        need = f"the T2M evaluator needs Guo's GloVe files in {root}"
        vectors = _load_npy(data_path, need)
        _require(words_path, need)
        _require(idx_path, need)
        words, word2idx = load_plain_pickle(words_path), load_plain_pickle(idx_path)
        if not isinstance(words, (list, tuple)) or not all(isinstance(w, str) for w in words):
            raise FormatError(words_path, "expected a list of words")
        if not isinstance(word2idx, dict):
            raise FormatError(idx_path, f"expected a dict word -> row, found {type(word2idx).__name__}")
        if vectors.ndim != 2 or vectors.shape[1] != WORD_DIM:
            raise FormatError(data_path, f"vectors of shape {vectors.shape}, expected (words, {WORD_DIM})")
        for w in words:
            i = word2idx.get(w)
            if not isinstance(i, (int, np.integer)) or not 0 <= i < len(vectors):
                raise FormatError(idx_path, f"row {i!r} for {w!r}, expected an index below {len(vectors)}")
        return cls(vectors, words, word2idx)

    def __len__(self) -> int:
        return len(self.word2vec)

    @staticmethod
    def pos_one_hot(pos: str) -> np.ndarray:
        out = np.zeros(len(POS_ENUMERATOR), dtype=np.float32)
        out[POS_ENUMERATOR.get(pos, POS_ENUMERATOR["OTHER"])] = 1.0
        return out

    def __getitem__(self, token: str) -> tuple[np.ndarray, np.ndarray]:
        word, _, pos = token.rpartition("/")
        if word in self.word2vec:
            return self.word2vec[word], self.pos_one_hot(self._vip.get(word, pos))
        return self.word2vec["unk"], self.pos_one_hot("OTHER")


def t2m_std(std: np.ndarray, layout: FeatureLayout = HML3D_LAYOUT, feat_bias: float = FEAT_BIAS) -> np.ndarray:
    """Guo's evaluator std from a dataset std: root and foot-contact dims divided by ``feat_bias``."""
    out = np.array(std, dtype=np.float64, copy=True)
    out[layout.slices["root"]] /= feat_bias
    out[layout.slices["contact"]] /= feat_bias
    return out


def guo_crop_length(num_frames: int, rng: np.random.Generator) -> int:
    """Guo's evaluation crop: T//4*4 with probability 2/3, (T//4 - 1)*4 with 1/3 (never below 4)."""
    units = min(num_frames, MAX_FRAMES) // UNIT_LENGTH
    double = rng.choice(["single", "single", "double"]) == "double"
    return max(units - 1 if double else units, 1) * UNIT_LENGTH


# -- the evaluator ----------------------------------------------------------------------------------------
class T2MEvaluator(nn.Module):
    """Guo's three encoders with the meta mean/std, GloVe vectorizer and a POS tagger for plain captions.

    ``tagger``: any :class:`~motionbase.formats.text_tokens.PosTagger`; ``None`` takes ``get_tagger("auto")``
    when a plain caption first needs tags: spaCy if installed (HumanML3D's own), else NLTK, else the built-in
    rules, which can disagree with spaCy on unusual sentences.
    """

    reads_tokens = True  # the evaluation runner gives it HumanML3D's own word/POS tokens where the store has them

    def __init__(self, mean: np.ndarray, std: np.ndarray, vectorizer: WordVectorizer | None = None,
                 tagger: PosTagger | None = None, dims: GuoDims = GuoDims(), embed_dim: int = T2M_EMBED_DIM):
        super().__init__()
        self.embed_dim = embed_dim
        self.text_encoder, self.movement_encoder, self.motion_encoder = guo_encoders(
            dims, WORD_DIM, len(POS_ENUMERATOR), len(mean) - CONTACT_DIMS, embed_dim)
        self.register_buffer("feature_mean", torch.as_tensor(np.asarray(mean, np.float32)))
        self.register_buffer("feature_std", torch.as_tensor(np.asarray(std, np.float32)))
        self.vectorizer, self.tagger = vectorizer, tagger

    @property
    def device(self) -> torch.device:
        return self.feature_mean.device

    def load_encoders(self, state: dict, where: str = "checkpoint") -> None:
        """Load the three state dicts (``strict=True``); errors name the encoder and the mismatch."""
        for key in CHECKPOINT_KEYS:
            if key not in state:
                raise CheckpointError(f"{where}: no {key!r} entry; expected keys {', '.join(CHECKPOINT_KEYS)}")
            try:
                getattr(self, key).load_state_dict(state[key], strict=True)
            except RuntimeError as exc:
                detail = " ".join(str(exc).split())[:300]
                raise CheckpointError(f"{where}: {key} does not fit Guo's architecture ({detail})") from None

    # -- text ---------------------------------------------------------------------------------------------
    def tokens(self, caption) -> list[str]:
        """A caption (str, tagged by the tagger) or a ready list of ``word/POS`` tokens -> tokens."""
        if not isinstance(caption, str):
            return list(caption)
        if self.tagger is None:
            self.tagger = get_tagger("auto")
        return [f"{w}/{p}" for w, p in tag_caption(caption.lower(), self.tagger)]

    def text_batch(self, captions: Sequence) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """-> word vectors (B, 22, 300), POS one-hots (B, 22, 15), lengths (B,) incl. sos/eos."""
        if self.vectorizer is None:
            raise MotionbaseError("the T2M evaluator was built without its GloVe vocabulary (glove_dir)")
        width = MAX_WORDS + 2
        words = np.zeros((len(captions), width, WORD_DIM), np.float32)
        pos = np.zeros((len(captions), width, len(POS_ENUMERATOR)), np.float32)
        lengths = []
        for i, caption in enumerate(captions):
            toks = ["sos/OTHER", *self.tokens(caption)[:MAX_WORDS], "eos/OTHER"]
            lengths.append(len(toks))
            toks += ["unk/OTHER"] * (width - len(toks))
            for j, tok in enumerate(toks):
                words[i, j], pos[i, j] = self.vectorizer[tok]
        return torch.from_numpy(words), torch.from_numpy(pos), torch.tensor(lengths)

    @torch.no_grad()
    def encode_text(self, captions: Sequence, batch_size: int = 256) -> np.ndarray:
        """Captions (str or ``word/POS`` lists) -> (N, embed_dim) float64 embeddings."""
        if len(captions) == 0:
            raise ShapeError("no captions to encode; expected at least one")
        self.eval()
        out = []
        for s in range(0, len(captions), batch_size):
            w, p, n = self.text_batch(captions[s:s + batch_size])
            out.append(self.text_encoder(w.to(self.device), p.to(self.device), n).cpu().double().numpy())
        return np.concatenate(out)

    # -- motion -------------------------------------------------------------------------------------------
    @torch.no_grad()
    def encode_motion(self, features: Sequence[np.ndarray], batch_size: int = 256,
                      rng: np.random.Generator | None = None, max_rms_z: float | None = MAX_RMS_Z) -> np.ndarray:
        """Raw 263-dim feature clips -> (N, embed_dim) float64 embeddings.

        Without ``rng`` each clip keeps its first ``min(T, 196) // 4 * 4`` frames; with it, Guo's random coin
        and offset (:func:`guo_crop_length`).
        """
        if len(features) == 0:
            raise ShapeError("no motion features to encode; expected at least one clip")
        feats = check_features(features, len(self.feature_mean), UNIT_LENGTH)
        mean, std = self.feature_mean.cpu().numpy(), self.feature_std.cpu().numpy()
        self.eval()
        out = []
        for s in range(0, len(feats), batch_size):
            chunk = feats[s:s + batch_size]
            lengths = [guo_crop_length(len(x), rng) if rng is not None else
                       crop_length(len(x), MAX_FRAMES, UNIT_LENGTH) for x in chunk]
            x, m_lens = normalised_batch(chunk, mean, std, max_frames=MAX_FRAMES, unit_length=UNIT_LENGTH,
                                         rng=rng, lengths=lengths, pad_to_max=True, max_rms_z=max_rms_z)
            movements = self.movement_encoder(x[..., :-CONTACT_DIMS].to(self.device))
            out.append(self.motion_encoder(movements, m_lens // UNIT_LENGTH).cpu().double().numpy())
        return np.concatenate(out)


def _require(path: Path, need: str) -> None:
    if not path.is_file():
        raise CheckpointError(f"{path}: missing; {need}")


def _load_npy(path: Path, need: str) -> np.ndarray:
    """A plain (no pickle) .npy array; CheckpointError when missing, FormatError when not plain."""
    _require(path, need)
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise FormatError(path, f"not a plain .npy array ({exc})") from None


def _load_meta(meta_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    arrays = []
    for name in ("mean.npy", "std.npy"):
        p = meta_dir / name
        a = _load_npy(p, "the T2M evaluator needs its own meta/mean.npy and meta/std.npy")
        if a.ndim != 1 or not np.isfinite(a).all():
            raise FormatError(p, f"shape {a.shape}, expected a finite 1-D array of feature statistics")
        arrays.append(a)
    mean, std = arrays
    if mean.shape != std.shape:
        raise FormatError(meta_dir, f"mean {mean.shape} and std {std.shape} differ in shape")
    if (std <= 0).any():
        raise FormatError(meta_dir / "std.npy", f"non-positive std at dim {int(np.argmax(std <= 0))}")
    return mean, std


def load_t2m_evaluator(checkpoint: str | os.PathLike, glove_dir: str | os.PathLike | None,
                       meta_dir: str | os.PathLike, *, tagger: PosTagger | None = None,
                       device: str | torch.device | None = None) -> T2MEvaluator:
    """Build :class:`T2MEvaluator` from ``finest.tar``, Guo's ``glove/`` folder and the evaluator's ``meta/``.

    ``glove_dir=None`` builds a motion-only evaluator (FID, Diversity, MultiModality need no text).
    """
    ckpt = Path(checkpoint)
    if not ckpt.is_file():
        raise CheckpointError(f"{ckpt}: missing; expected Guo's text_mot_match/model/finest.tar")
    mean, std = _load_meta(Path(meta_dir))
    vectorizer = WordVectorizer.from_dir(glove_dir) if glove_dir is not None else None
    try:
        state = torch.load(ckpt, map_location="cpu", weights_only=True)
    except Exception as exc:  # unpickling refused or corrupt file: one line
        raise CheckpointError(f"{ckpt}: not loadable with weights_only=True ({type(exc).__name__}: "
                              f"{' '.join(str(exc).split())[:200]})") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{ckpt}: holds a {type(state).__name__}, expected a dict of state dicts")
    missing = [k for k in CHECKPOINT_KEYS if k not in state]
    if missing:
        raise CheckpointError(f"{ckpt}: no {missing[0]!r} entry; expected keys {', '.join(CHECKPOINT_KEYS)}")
    model = T2MEvaluator(mean, std, vectorizer, tagger)
    model.load_encoders(state, str(ckpt))
    return model.to(device or default_device()).eval()
