"""Reconstruction quality of a tokenizer on a store split (``motionbase tokenizer eval``).

Every clip is encoded and decoded whole (:meth:`MotionTokenizer.reconstruct`); both the input and the
reconstruction go through :func:`~motionbase.features.humanml3d.features_to_joints` (T feature rows -> T joint
frames, metres), and the joints are compared:

* ``mpjpe_mm.global`` — mean per-joint position error of the recovered global positions, so root drift
  (integrated from root velocities) counts;
* ``mpjpe_mm.root_aligned`` — the same after subtracting each frame's root (pelvis) joint, MotionGPT's
  ``MRMetrics`` default (``align_root=True``). The MotionBase paper does not say which it reports; it builds on
  that code base, so its tables most likely correspond to **root-aligned** MPJPE (``mpjpe_mm.paper`` names it);
* ``per_part_mpjpe_mm`` — both, over the joints of each body part (``SMPL22_BODY_PARTS``; the root part is 0
  when root-aligned by definition).

Averages weight every frame of every clip equally. Codebook use (:func:`codebook_report`): utilisation = distinct
codes / K and perplexity over all tokens of the split, and — because a test split of ~9k tokens cannot use 2^14
codes — the same over a fixed number ``n`` of tokens drawn at random (seeded), as used / min(K, n), so that
codebooks of different sizes compare fairly. RVQ layers have their own codebooks: one entry per layer, the
headline numbers are their mean; all tokens of 1D and 2D tokenizers share one codebook. ``fid`` needs a motion
evaluator (``evaluator=``) and compares reconstructions with the inputs in its embedding space.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import numpy as np
import torch

from ..data import ClipStore
from ..features.humanml3d import features_to_joints
from ..features.layout import BODY_PARTS, FeatureLayout
from ..metrics import codebook_usage, fid, mpjpe_mm, path_length_m
from .model import MotionTokenizer
from .windows import check_store, finite_or_raise, split_view

PAPER_MPJPE = "root_aligned"
DEFAULT_USAGE_TOKENS = 4096
ALIGNMENTS = {"global": False, "root_aligned": True}


def reconstruct_clips(tok: MotionTokenizer, view: ClipStore, *, batch_size: int = 32,
                      progress: bool = False) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """(clip index, features (T, D), reconstruction (T, D), codes (⌈T/α⌉, S)) for every clip of ``view``.

    Clips of equal length are batched (the result is the same as one by one: each clip pads only itself).
    """
    from tqdm.auto import tqdm

    by_length: dict[int, list[int]] = defaultdict(list)
    for i, n in enumerate(view.feature_frames):
        by_length[int(n)].append(i)
    bar = tqdm(total=len(view), disable=not progress, desc=f"reconstruct {tok.config.name}", unit="clip")
    for length in sorted(by_length):
        idx = by_length[length]
        for b in range(0, len(idx), batch_size):
            chunk = idx[b:b + batch_size]
            feats = np.stack([np.asarray(view.features(i), dtype=np.float32) for i in chunk])
            for i, f in zip(chunk, feats):
                finite_or_raise(f, view, i)
            codes = tok.encode(feats)
            recon = tok.decode(codes, num_frames=length).cpu().numpy()
            for k, i in enumerate(chunk):
                yield i, feats[k], recon[k], codes[k].cpu().numpy()
            bar.update(len(chunk))
    bar.close()


def codebook_report(codes: list[np.ndarray], codebook_size: int, codes_per_vector: int, *,
                    usage_tokens: int = DEFAULT_USAGE_TOKENS, seed: int = 0) -> dict:
    """Utilisation and perplexity of (T'_i, S) code arrays; columns c with equal ``c % codes_per_vector`` share a
    codebook (RVQ layer). See the module docstring for the fixed-``n`` utilisation."""
    S = codes[0].shape[-1]
    flat = np.concatenate([c.reshape(-1, S) for c in codes])
    rng = np.random.default_rng(seed)
    books = []
    for layer in range(codes_per_vector):
        tokens = flat[:, layer::codes_per_vector].reshape(-1)
        u = codebook_usage(tokens, codebook_size)
        book = {"utilisation": u.utilisation, "used": u.used, "tokens": u.tokens, "perplexity": u.perplexity}
        if len(tokens) >= usage_tokens:
            sample = codebook_usage(rng.choice(tokens, usage_tokens, replace=False), codebook_size)
            book["at_n"] = {"utilisation": sample.used / min(codebook_size, usage_tokens), "used": sample.used,
                            "perplexity": sample.perplexity}
        else:
            book["at_n"] = None
        books.append(book)
    at_n = [b["at_n"] for b in books]
    return {
        "codebook_size": codebook_size,
        "codebooks": len(books),
        "utilisation": float(np.mean([b["utilisation"] for b in books])),
        "perplexity": float(np.mean([b["perplexity"] for b in books])),
        "tokens": int(flat.size),
        "n": usage_tokens,
        "utilisation_at_n": float(np.mean([a["utilisation"] for a in at_n])) if all(at_n) else None,
        "per_codebook": books,
    }


def evaluate_tokenizer(tok: MotionTokenizer, store: ClipStore, *, split: str | None = "test",
                       usage_tokens: int = DEFAULT_USAGE_TOKENS, evaluator=None, seed: int = 0,
                       batch_size: int = 32, progress: bool = False) -> dict:
    """Metrics of ``tok`` reconstructing every clip of ``split`` (None: all clips) of ``store``, as a JSON-able dict.

    evaluator: optional motion encoder (``encode_motion(list of (T, D) raw features) -> (N, E)``) for FID.
    """
    check_store(store, tok.config.feature_dim, f"tokenizer {tok.source}")
    view = split_view(store, split)
    layout = FeatureLayout(store.skeleton)
    parts = {p: list(j) for p, j in BODY_PARTS.get(store.skeleton.name, {}).items()}
    sums = {a: 0.0 for a in ALIGNMENTS}
    part_sums = {a: dict.fromkeys(parts, 0.0) for a in ALIGNMENTS}
    frames = 0
    path = {"real": 0.0, "reconstructed": 0.0}
    codes, real, recons = [], [], []
    for _, feats, recon, clip_codes in reconstruct_clips(tok, view, batch_size=batch_size, progress=progress):
        gt_j = features_to_joints(feats.astype(np.float64), layout)
        rec_j = features_to_joints(recon.astype(np.float64), layout)
        n = len(feats)
        for name, align in ALIGNMENTS.items():
            g, r = (gt_j - gt_j[:, :1], rec_j - rec_j[:, :1]) if align else (gt_j, rec_j)
            sums[name] += n * mpjpe_mm(r, g)
            for part, joints in parts.items():
                part_sums[name][part] += n * mpjpe_mm(r[:, joints], g[:, joints])
        frames += n
        path["real"] += path_length_m(gt_j)
        path["reconstructed"] += path_length_m(rec_j)
        codes.append(clip_codes)
        if evaluator is not None:
            real.append(feats)
            recons.append(recon)
    result = {
        "tokenizer": {"source": tok.source, "name": tok.config.name, "method": tok.config.method,
                      "encoder": tok.config.encoder, "vocab_size": tok.vocab_size,
                      "tokens_per_step": tok.tokens_per_step, "codes_per_second": tok.codes_per_second,
                      "parameters": sum(p.numel() for p in tok.parameters())},
        "store": str(store.path), "split": split or "all", "clips": len(view), "frames": frames,
        "seconds": frames / store.info.fps,
        "mpjpe_mm": {**{a: sums[a] / frames for a in ALIGNMENTS}, "paper": PAPER_MPJPE},
        "per_part_mpjpe_mm": {a: {p: v / frames for p, v in part_sums[a].items()} for a in ALIGNMENTS},
        # distance the root travels over the floor, summed over the clips: reconstructed / real
        "path_m": {**path, "ratio": path["reconstructed"] / path["real"] if path["real"] > 0 else None},
        "codebook": codebook_report(codes, tok.vocab_size, tok.quantizer.codes_per_vector,
                                    usage_tokens=usage_tokens, seed=seed),
        "fid": None,
    }
    if evaluator is not None:
        with torch.no_grad():
            result["fid"] = fid(evaluator.encode_motion(recons), evaluator.encode_motion(real))
    return result


def window_bounds(num_rows: int, window_rows: int) -> list[tuple[int, int]]:
    """Consecutive, non-overlapping (start, stop) row ranges of at most ``window_rows`` covering ``num_rows`` rows
    (a clip no longer than one window is one window)."""
    if window_rows < 1:
        raise ValueError(f"window_rows must be >= 1, got {window_rows}")
    return [(s, min(s + window_rows, num_rows)) for s in range(0, num_rows, window_rows)]


def windowed_mpjpe_mm(clips, reconstruct, layout: FeatureLayout, window_rows: int) -> dict:
    """MPJPE (mm, global and root-aligned; every frame of every window weighted equally) when each clip is cut
    into ``window_rows``-row windows (:func:`window_bounds`) and every window is reconstructed *on its own* —
    as a generated clip of that length would be decoded — so global error (root drift) restarts at each window.

    clips: iterable of raw feature arrays (T, D); reconstruct: list of (T_i, D) windows -> list of their
    reconstructions. Windows keep their own first frame as the origin (features_to_joints of the window rows).
    """
    sums = dict.fromkeys(ALIGNMENTS, 0.0)
    frames = windows = 0
    for feats in clips:
        parts = [feats[a:b] for a, b in window_bounds(len(feats), window_rows)]
        for gt, rec in zip(parts, reconstruct(parts)):
            gt_j = features_to_joints(np.asarray(gt, dtype=np.float64), layout)
            rec_j = features_to_joints(np.asarray(rec, dtype=np.float64), layout)
            for name, align in ALIGNMENTS.items():
                sums[name] += len(gt) * mpjpe_mm(rec_j, gt_j, align_root=align)
            frames += len(gt)
            windows += 1
    return {"mpjpe_mm": {a: sums[a] / max(frames, 1) for a in ALIGNMENTS}, "windows": windows, "frames": frames}


def evaluate_windows(tok: MotionTokenizer, view: ClipStore, *, seconds: float = 10.0, batch_size: int = 32) -> dict:
    """:func:`windowed_mpjpe_mm` of ``tok`` over every clip of ``view`` with ``seconds``-long windows."""
    window_rows = max(1, int(round(seconds * view.info.fps)))

    def reconstruct(parts: list[np.ndarray]) -> list[np.ndarray]:
        out: list[np.ndarray] = [np.empty(0)] * len(parts)
        by_length: dict[int, list[int]] = defaultdict(list)
        for k, p in enumerate(parts):
            by_length[len(p)].append(k)
        for length, idx in by_length.items():
            for b in range(0, len(idx), batch_size):
                chunk = idx[b:b + batch_size]
                recon = tok.reconstruct(np.stack([parts[k] for k in chunk]).astype(np.float32))
                for k, r in zip(chunk, recon.cpu().numpy()):
                    out[k] = r
        return out

    clips = (np.asarray(view.features(i), dtype=np.float32) for i in range(len(view)))
    return {"seconds": seconds, **windowed_mpjpe_mm(clips, reconstruct, FeatureLayout(view.skeleton), window_rows)}
