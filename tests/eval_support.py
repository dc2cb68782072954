"""Shared by the tests/test_evaluate_*.py files: a tiny clip store cut from real HumanML3D clips (tests/data),
split into train / val / test and an unseen held-out subset, with a tiny evaluator and a tiny tokenizer."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from motionbase.data.splits import assign_splits
from motionbase.data.store import ClipStore
from motionbase.evaluate.evaluator import EvaluatorConfig, GuoDims, TextMotionEvaluator
from motionbase.evaluate.evaluator_train import EvaluatorTrainConfig, train_evaluator
from motionbase.evaluate.store_data import captioned_clips
from motionbase.tokenizer import MotionTokenizer, preset

from .test_store_fixtures import real_clips

N_CLIPS, HELD_OUT = 160, "s3"  # 4 subsets of 40; s3 is the unseen split, the rest split 50/10/40


def tag(i: int) -> str:
    """A word per clip ("ab", "ac", ...): evaluator captions keep letters only."""
    return "a" + chr(ord("a") + 1 + i // 26) + chr(ord("a") + i % 26)


def make_world(root: Path) -> tuple[Path, TextMotionEvaluator]:
    """Under ``root``: ``store/`` (160 clips), ``evaluator/`` and ``tokenizer/``; returns (root, evaluator)."""
    clips, feats = real_clips(N_CLIPS, subsets=4)
    relabelled = []
    for i, clip in enumerate(clips):  # a distinct content label per clip; every tenth clip uncaptioned
        meta = dataclasses.replace(clip.meta, labels={"content": tag(i), "style": "plain", "take": f"{i:03d}"})
        whole = [] if i % 10 == 9 else [f"a person does the {tag(i)} move", f"someone moves in the {tag(i)} way"]
        relabelled.append(dataclasses.replace(clip, meta=meta, captions=dataclasses.replace(clip.captions,
                                                                                            whole=whole)))
    store = ClipStore.create(root / "store")
    store.append(relabelled, features=feats)
    assign_splits(store, (0.5, 0.1, 0.4), seed=0, holdout_subsets=[HELD_OUT])
    train = captioned_clips(store, "train")
    config = EvaluatorConfig(arch="guo", embed_dim=16, word_dim=16, guo=GuoDims(16, 16, 16, 16))
    model, _ = train_evaluator(train.features, train.captions, train.labels, config=config,
                               train=EvaluatorTrainConfig(steps=4, batch_size=16, lr=3e-3), device="cpu")
    model.save_pretrained(root / "evaluator")
    torch.manual_seed(0)
    mean, std = model.feature_mean.numpy(), model.feature_std.numpy()
    tok = MotionTokenizer(preset("vq", width=16, depth=1, codebook_size=32, code_dim=8, kmeans_init=False),
                          stats=(mean, std))
    tok.save_pretrained(root / "tokenizer")
    return root, model
