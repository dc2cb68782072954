"""Training data of the motion LM: instruction examples from (codes, captions) records.

* :class:`MotionRecord`: one clip as the LM sees it, its motion codes (N, P) and its captions.
* :class:`CodeCache`: codes per clip id for ONE motion tokenizer checkpoint (keyed by its hash), so
  LM training never re-encodes; :func:`records_from_store` fills it from a clip store and resumes
  where a crashed run stopped (each flushed part is a finished unit).
* :class:`InstructionDataset`: draws, per record and epoch, a task (text-to-motion, motion-to-text,
  unconditional, prediction, in-between), a caption level (whole-body, a part, or both) and a
  template; crops long motions to a random window of whole time steps that fits ``max_length``.
* :func:`labels_for` / :class:`Collator`: label masking for the loss (whole sequence, response only or
  motion tokens only: paper Table 10) and right padding.
"""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from ..clip import Captions
from ..data.manifest import row_to_captions_meta
from ..data.paraphrase import PARAPHRASE_PHRASES, training_paraphrases
from ..data.text import first_side, mirror_captions
from ..errors import CheckpointError, MotionbaseError, ShapeError
from ..io import atomic_output, atomic_write_text
from .codec import CodecInfo, MotionCodec
from .config import LMDataConfig
from .contrast import NegativeCaptions
from .prompts import (
    PART_NAMES,
    ROLE_EOS,
    ROLE_RESPONSE,
    ROLE_RESPONSE_MOTION,
    Encoded,
    InstructionEncoder,
    Template,
    format_seconds,
    templates_for,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..data.store import ClipStore
    from .model import MotionLM

IGNORE_INDEX = -100  # label of tokens that carry no loss (the transformers convention)
TEXT_CONDITIONED = ("t2m", "prediction", "inbetween")  # tasks whose caption (if any) conditions the motion
MIN_STEPS = {"t2m": 1, "m2t": 1, "unconditional": 1, "prediction": 2, "inbetween": 3}
_LENGTH_MARGIN = 4  # tokens kept free when sizing a crop (the seconds text may tokenise longer)


MIRROR_SUFFIX = "#mirror"  # id of a clip's left-right mirrored copy


@dataclass
class MotionRecord:
    """One clip for the LM: ``codes`` (N, P) int64 time steps x parts, and its captions."""

    id: str
    codes: np.ndarray
    captions: Captions


def caption_corpus(records: Iterable[MotionRecord]) -> Iterator[str]:
    """Every caption text of ``records``: whole-body paraphrases and part-level sentences."""
    for rec in records:
        yield from rec.captions.whole
        yield from rec.captions.parts.values()


# ---------------------------------------------------------------- examples

def labels_for(encoded: Encoded, loss_on: str) -> np.ndarray:
    """(L,) int64 labels of ``encoded``: token ids where the loss counts, :data:`IGNORE_INDEX` elsewhere.

    loss_on: "whole" every token; "response" the answer and its EOS; "motion" the answer's motion tokens
    (``<mot>``, codes, ``</mot>``).
    """
    if loss_on == "whole":
        keep = np.ones(len(encoded), dtype=bool)
    elif loss_on == "response":
        keep = np.isin(encoded.roles, (ROLE_RESPONSE, ROLE_RESPONSE_MOTION, ROLE_EOS))
    elif loss_on == "motion":
        keep = encoded.roles == ROLE_RESPONSE_MOTION
    else:
        raise MotionbaseError(f"loss_on={loss_on!r}: expected whole, response or motion")
    return np.where(keep, encoded.ids, IGNORE_INDEX)


class ExampleSampler:
    """Draws one instruction example (task, caption level, template, crop) for a record."""

    def __init__(self, encoder: InstructionEncoder, config: LMDataConfig, max_length: int, codes_per_second: float,
                 canonical_sides: bool = False):
        self.encoder, self.config, self.max_length, self.cps = encoder, config, max_length, codes_per_second
        self.canonical_sides = canonical_sides

    def tasks_for(self, record: MotionRecord) -> tuple[list[str], np.ndarray]:
        """Tasks ``record`` can serve and their normalised weights (may be empty)."""
        n = len(record.codes)
        captioned = {t: bool(c.whole or c.parts) for t in ("t2m", "m2t") for c in [self.captions_for(t, record)]}
        tasks = [t for t, w in self.config.task_weights.items()
                 if w > 0 and n >= MIN_STEPS[t] and captioned.get(t, True)
                 and not (t == "m2t" and self.config.loss_on == "motion")]
        w = np.asarray([self.config.task_weights[t] for t in tasks], dtype=np.float64)
        return tasks, w / w.sum() if len(w) else w

    def captions_for(self, task: str, record: MotionRecord) -> Captions:
        """The captions ``task`` may use: all of them, or only those in the canonical side
        (:attr:`LMConfig.canonical_sides`) where the text conditions the motion."""
        caps = record.captions
        if not self.canonical_sides or task not in TEXT_CONDITIONED:
            return caps
        return Captions([c for c in caps.whole if first_side(c) != "left"],
                        {k: v for k, v in caps.parts.items() if first_side(v) != "left"})

    def sample(self, record: MotionRecord, rng: np.random.Generator) -> tuple[Encoded, str]:
        return self.draw(record, rng)[:2]

    def draw(self, record: MotionRecord, rng: np.random.Generator) -> tuple[Encoded, str, Template, dict]:
        """One example (:meth:`sample`) with its template and slot values, from which it can be re-encoded with
        another caption (:mod:`motionbase.lm.contrast`)."""
        tasks, weights = self.tasks_for(record)
        if not tasks:
            raise MotionbaseError(f"clip {record.id!r}: {len(record.codes)} time step(s) and no task it can serve")
        task = tasks[int(rng.choice(len(tasks), p=weights))]
        text, require = self._caption_fields(task, self.captions_for(task, record), rng)
        codes = np.asarray(record.codes)
        fields: dict[str, object] = dict(text)
        fields["seconds"] = format_seconds(len(codes) / self.cps)
        available = set(fields) | {"motion", "prefix", "start", "end"}
        choices = templates_for(task, available, require)
        template = choices[int(rng.integers(len(choices)))]
        steps = self._budget(template, fields)
        while steps < MIN_STEPS[task] and fields.get("caption"):  # a long caption gives way to the motion
            words = fields["caption"].split()
            fields["caption"] = " ".join(words[:len(words) // 2])
            steps = self._budget(template, fields)
        if steps < MIN_STEPS[task]:
            raise MotionbaseError(f"clip {record.id!r}: max_length {self.max_length} leaves room for {max(steps, 0)} "
                                  f"time step(s) in a {task} example (needs {MIN_STEPS[task]}); raise max_length")
        if len(codes) > steps:
            start = int(rng.integers(0, len(codes) - steps + 1))
            codes = codes[start:start + steps]
        while True:
            filled = self._motion_fields(task, codes, fields, rng)
            encoded = self.encoder.encode(template, filled)
            if len(encoded) <= self.max_length or len(codes) <= MIN_STEPS[task]:
                break
            codes = codes[:-1]
        if len(encoded) > self.max_length:
            raise MotionbaseError(f"clip {record.id!r}: a {task} example needs {len(encoded)} tokens; "
                                  f"max_length is {self.max_length}")
        return encoded, task, template, filled

    def _caption_fields(self, task: str, caps: Captions, rng: np.random.Generator) -> tuple[dict, set[str]]:
        """Text slot values (caption, part) for ``task`` and the slots the template must then use."""
        if task == "unconditional" or not (caps.whole or caps.parts):
            return {}, set()
        levels = [lv for lv in self.config.caption_levels
                  if (lv == "whole" and caps.whole) or (caps.parts.get(lv))
                  or (lv == "all" and caps.whole and caps.parts)]
        if not levels:  # only levels with zero weight are present: use what the clip has
            levels = ["whole"] if caps.whole else [k for k in PART_NAMES if caps.parts.get(k)]
        w = np.asarray([self.config.caption_levels.get(lv, 0.0) for lv in levels], dtype=np.float64)
        w = w / w.sum() if w.sum() > 0 else np.full(len(levels), 1.0 / len(levels))
        level = levels[int(rng.choice(len(levels), p=w))]
        budget = self.config.max_caption_tokens
        if level in PART_NAMES and task == "m2t":
            return {"caption": self.encoder.shorten(caps.parts[level], budget), "part": PART_NAMES[level]}, {"part"}
        whole = caps.whole[int(rng.integers(len(caps.whole)))] if caps.whole else ""
        if level == "whole":
            text = whole
        elif level == "all":
            text = " ".join([whole] + [f"{PART_NAMES[k]}: {v}" for k, v in caps.parts.items() if k in PART_NAMES])
        else:
            text = f"{PART_NAMES[level]}: {caps.parts[level]}"
        # t2m and m2t must use the caption; prediction / in-between may or may not (templates of both kinds)
        return {"caption": self.encoder.shorten(text, budget)}, ({"caption"} if task in ("t2m", "m2t") else set())

    def _budget(self, template, fields: dict) -> int:
        """How many time steps fit ``max_length`` next to the template's text (may be < 1)."""
        P = self.encoder.vocab.tokens_per_step
        empty = np.zeros((0, P), dtype=np.int64)
        fixed = len(self.encoder.encode(template, {**fields, **dict.fromkeys(("motion", "prefix", "start", "end"), empty)}))
        return (self.max_length - fixed - _LENGTH_MARGIN) // P

    def _motion_fields(self, task: str, codes: np.ndarray, fields: dict, rng: np.random.Generator) -> dict:
        """Split ``codes`` into the motion slots of ``task``; 'seconds' is the length of the answer."""
        n = len(codes)
        out = dict(fields)
        if task == "prediction":
            lo = max(1, n // 4)
            cut = int(rng.integers(lo, max(lo + 1, (3 * n) // 4 + 1)))
            cut = min(cut, n - 1)
            out.update(prefix=codes[:cut], motion=codes[cut:])
        elif task == "inbetween":
            third = max(1, n // 3)
            a, b = int(rng.integers(1, third + 1)), n - int(rng.integers(1, third + 1))
            out.update(start=codes[:a], motion=codes[a:b], end=codes[b:])
        else:
            out["motion"] = codes
        out["seconds"] = format_seconds(len(out["motion"]) / self.cps)
        return out


class InstructionDataset(torch.utils.data.Dataset):
    """One instruction example per record per epoch, drawn reproducibly from (seed, epoch, index).

    Items are ``{"input_ids": (L,) int64, "labels": (L,) int64}``. Records without a single time
    step are dropped (``dropped`` counts them). Call :meth:`set_epoch` so each epoch draws anew.
    """

    def __init__(self, records: Sequence[MotionRecord], encoder: InstructionEncoder, config: LMDataConfig,
                 max_length: int, codes_per_second: float, seed: int = 0, *, canonical_sides: bool = False):
        self.records = [r for r in records if len(r.codes) >= 1]
        self.dropped = len(records) - len(self.records)
        if not self.records:
            raise MotionbaseError(f"no trainable clips: all {len(records)} record(s) have zero motion time steps")
        self.sampler = ExampleSampler(encoder, config, max_length, codes_per_second, canonical_sides)
        self.loss_on, self.seed, self.epoch = config.loss_on, seed, 0
        self.order = balanced_order(self.records) if config.balance_captions else np.arange(len(self.records))
        self.negatives = None
        if config.contrast > 0:
            conditions = [self.sampler.captions_for("t2m", r).whole for r in self.records]
            self.negatives = NegativeCaptions(conditions, config.contrast_neighbours)
            self._own = [set(c) for c in conditions]

    @classmethod
    def for_lm(cls, records: Sequence[MotionRecord], lm: MotionLM, data: LMDataConfig | None = None,
               seed: int = 0) -> InstructionDataset:
        """The examples of ``records`` for ``lm`` drawn as ``data`` says (default: :class:`LMDataConfig`'s)."""
        data = data or LMDataConfig()
        return cls(records, lm.encoder, data, lm.example_length(data), lm.codec.codes_per_second, seed,
                   canonical_sides=lm.config.canonical_sides)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.order)

    def example(self, index: int) -> tuple[Encoded, str]:
        return self.contrast_example(index)[:2]

    def contrast_example(self, index: int) -> tuple[Encoded, str, Encoded | None]:
        """:meth:`example` and, where the caption contrast is on and the example is text-to-motion with one of
        the record's whole-body captions, the same example with a negative caption (else None)."""
        rng = np.random.default_rng([self.seed, self.epoch, index])
        record = int(self.order[index])
        encoded, task, template, fields = self.sampler.draw(self.records[record], rng)
        negative = None
        if self.negatives is not None and task == "t2m" and fields.get("caption") in self._own[record]:
            caption = self.negatives.draw(record, rng)
            if caption is not None:
                budget = self.sampler.config.max_caption_tokens
                negative = self.sampler.encoder.encode(
                    template, {**fields, "caption": self.sampler.encoder.shorten(caption, budget)})
                if len(negative) > self.sampler.max_length:
                    negative = None
        return encoded, task, negative

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        encoded, _, negative = self.contrast_example(index)
        item = {"input_ids": torch.from_numpy(encoded.ids),
                "labels": torch.from_numpy(labels_for(encoded, self.loss_on))}
        if self.negatives is not None:
            item["motion_mask"] = torch.from_numpy(encoded.roles == ROLE_RESPONSE_MOTION)
            if negative is not None:
                item["negative_ids"] = torch.from_numpy(negative.ids)
                item["negative_motion_mask"] = torch.from_numpy(negative.roles == ROLE_RESPONSE_MOTION)
        return item


MAX_BALANCE_REPEATS = 4


def balanced_order(records: Sequence[MotionRecord], max_repeats: int = MAX_BALANCE_REPEATS) -> np.ndarray:
    """Record indices for one epoch of :attr:`LMDataConfig.balance_captions`: records grouped by their first
    whole-body caption (a record without one is its own group), each repeated round(largest group / its group)
    times, at most ``max_repeats``."""
    keys = [r.captions.whole[0] if r.captions.whole else f"\0{r.id}" for r in records]
    counts = Counter(keys)
    top = max(counts.values())
    reps = [min(max_repeats, max(1, round(top / counts[k]))) for k in keys]
    return np.repeat(np.arange(len(records)), reps)


@dataclass
class Collator:
    """Right-pads a list of dataset items into ``input_ids`` / ``attention_mask`` / ``labels`` (B, L).

    Items of a caption-contrast run (:attr:`LMDataConfig.contrast`) also carry ``motion_mask`` and, some,
    ``negative_ids``: each negative becomes an extra row after the B items, without labels (the LM loss does not
    count it), and the batch gets ``motion_mask`` (rows, L) and ``contrast_pairs`` (pairs, 2): the rows of an
    example and of its negative.
    """

    pad_id: int

    def __call__(self, batch: Sequence[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        rows = [(item["input_ids"], item["labels"], item.get("motion_mask")) for item in batch]
        pairs = []
        for row, item in enumerate(batch):
            if "negative_ids" in item:
                pairs.append((row, len(rows)))
                rows.append((item["negative_ids"], None, item["negative_motion_mask"]))
        L = max(int(r[0].shape[0]) for r in rows)
        ids = torch.full((len(rows), L), self.pad_id, dtype=torch.long)
        labels = torch.full((len(rows), L), IGNORE_INDEX, dtype=torch.long)
        mask = torch.zeros((len(rows), L), dtype=torch.long)
        motion = torch.zeros((len(rows), L), dtype=torch.bool)
        for row, (row_ids, row_labels, row_motion) in enumerate(rows):
            n = int(row_ids.shape[0])
            ids[row, :n], mask[row, :n] = row_ids, 1
            if row_labels is not None:
                labels[row, :n] = row_labels
            if row_motion is not None:
                motion[row, :n] = row_motion
        out = {"input_ids": ids, "attention_mask": mask, "labels": labels}
        if any(r[2] is not None for r in rows):
            out["motion_mask"] = motion
            out["contrast_pairs"] = torch.tensor(pairs, dtype=torch.long).reshape(-1, 2)
        return out


# ---------------------------------------------------------------- records on disk

def save_records(path: str | os.PathLike, records: Sequence[MotionRecord]) -> Path:
    """Write ``records`` to one ``.npz`` (codes end to end + offsets + captions as JSON), atomically."""
    path = Path(path)
    codes, offsets = _concat([r.codes for r in records])
    captions = json.dumps([{"whole": r.captions.whole, "parts": r.captions.parts} for r in records])
    _atomic_npz(path, ids=np.asarray([r.id for r in records], dtype=str), offsets=offsets, codes=codes,
                captions=np.asarray(captions))
    return path


def load_records(path: str | os.PathLike) -> list[MotionRecord]:
    """Inverse of :func:`save_records`."""
    with _open_npz(Path(path), ("ids", "offsets", "codes", "captions")) as z:
        ids, offsets, codes = z["ids"].tolist(), z["offsets"], z["codes"]
        caps = json.loads(str(z["captions"]))
    return [MotionRecord(i, codes[offsets[k]:offsets[k + 1]].astype(np.int64),
                         Captions(whole=list(c["whole"]), parts=dict(c["parts"])))
            for k, (i, c) in enumerate(zip(ids, caps))]


# ---------------------------------------------------------------- code cache

class CodeCache:
    """Motion codes per clip id made by one tokenizer checkpoint: ``root/<hash[:16]>/part-*.npz``.

    ``codec.json`` in the directory records the full identity; a different tokenizer whose hash
    shares the prefix is refused. Parts are written atomically and never rewritten.
    """

    def __init__(self, root: str | os.PathLike, codec: CodecInfo):
        if not codec.hash:
            raise MotionbaseError("code cache: the motion tokenizer has no hash (give its checkpoint directory)")
        self.codec = codec
        self.dir = Path(root) / codec.hash[:16]

    def load(self) -> dict[str, np.ndarray]:
        """Every cached clip id -> (N, P) int64 codes."""
        ident = self.dir / "codec.json"
        if not ident.is_file():
            return {}
        CodecInfo.from_dict(json.loads(ident.read_text())).check_matches(self.codec, f"code cache {self.dir}")
        out: dict[str, np.ndarray] = {}
        for part in sorted(self.dir.glob("part-*.npz")):
            with _open_npz(part, ("ids", "offsets", "codes")) as z:
                codes, offsets = z["codes"], z["offsets"]
                for k, cid in enumerate(z["ids"].tolist()):
                    out[cid] = codes[offsets[k]:offsets[k + 1]].astype(np.int64)
        return out

    def add(self, codes: dict[str, np.ndarray]) -> None:
        """Write ``codes`` (clip id -> (N, P) codes) as one new part."""
        if not codes:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        ident = self.dir / "codec.json"
        if not ident.is_file():
            atomic_write_text(ident, json.dumps(self.codec.to_dict()))
        index = len(list(self.dir.glob("part-*.npz")))
        part = self.dir / f"part-{index:05d}-{uuid.uuid4().hex[:8]}.npz"
        flat, offsets = _concat(list(codes.values()))
        _atomic_npz(part, ids=np.asarray(list(codes), dtype=str), offsets=offsets, codes=flat)


def encode_clip(codec: MotionCodec, features: np.ndarray, device: torch.device | str | None = None,
                where: str = "clip") -> np.ndarray:
    """(T, D) features -> (N, P) int64 codes with ``codec`` (no gradients)."""
    x = torch.from_numpy(np.array(features, dtype=np.float32))[None]  # a copy: store arrays are read-only maps
    if device is not None:
        x = x.to(device)
    with torch.no_grad():
        codes = codec.encode(x)
    codes = torch.as_tensor(codes).detach().cpu().numpy()
    if codes.ndim == 2:
        codes = codes[..., None]
    if codes.ndim != 3 or codes.shape[0] != 1 or codes.shape[2] != int(codec.tokens_per_step):
        raise ShapeError(f"{where}: the motion tokenizer returned codes of shape {codes.shape}, expected "
                         f"(1, N, {codec.tokens_per_step})")
    return codes[0].astype(np.int64)


def cached_codes(ids: Sequence[str], features_of: Callable[[int], np.ndarray], codec: MotionCodec,
                 cache: CodeCache, *, device: torch.device | str | None = None, flush_every: int = 256,
                 progress: bool = True) -> dict[str, np.ndarray]:
    """Codes of clips ``ids`` (``features_of(i)`` gives clip i's (T, D) features), encoding only what
    ``cache`` lacks and flushing a part every ``flush_every`` clips (so a crash loses little)."""
    from tqdm.auto import tqdm

    have = cache.load()
    todo = [i for i, cid in enumerate(ids) if cid not in have]
    fresh: dict[str, np.ndarray] = {}
    for i in tqdm(todo, desc="encoding motion", unit="clip", disable=not progress or not todo):
        fresh[ids[i]] = encode_clip(codec, features_of(i), device, where=f"clip {ids[i]!r}")
        if len(fresh) >= flush_every:
            cache.add(fresh)
            have.update(fresh)
            fresh = {}
    cache.add(fresh)
    have.update(fresh)
    return {cid: have[cid] for cid in ids}


def records_from_store(store: ClipStore, codec: MotionCodec, info: CodecInfo, cache_root: str | os.PathLike, *,
                       split: str | None = None, device: torch.device | str | None = None,
                       progress: bool = True, mirror: bool = False, paraphrases: int = 0) -> list[MotionRecord]:
    """Records (codes + captions) of ``store`` (or its ``split``), encoded through the code cache.

    paraphrases: add that many paraphrases (:func:`motionbase.data.paraphrase.training_paraphrases`, drawn per
    clip) to the whole-body captions of every clip with Bandai-Namco ``content``/``style`` labels.

    mirror: also a left-right mirrored copy of every clip (id ``<id>#mirror``), its captions with left
    and right swapped (HumanML3D's augmentation: it tells the model what the side words mean).
    """
    view = store.split(split) if split else store
    rows = view.manifest().to_pylist()
    ids = [row["id"] for row in rows]
    cache = CodeCache(cache_root, info)
    codes = cached_codes(ids, view.features, codec, cache, device=device, progress=progress)
    records = [MotionRecord(cid, codes[cid], add_paraphrases(*row_to_captions_meta(row), paraphrases))
               for cid, row in zip(ids, rows)]
    if mirror:
        from ..features.mirror import mirror_features

        mirrored = cached_codes([f"{cid}{MIRROR_SUFFIX}" for cid in ids],
                                lambda i: mirror_features(np.asarray(view.features(i), dtype=np.float32), view.layout), codec,
                                cache, device=device, progress=progress)
        records += [MotionRecord(f"{r.id}{MIRROR_SUFFIX}", mirrored[f"{r.id}{MIRROR_SUFFIX}"],
                                 mirror_captions(r.captions))
                    for r in records]
    return records


def add_paraphrases(captions: Captions, meta, n: int) -> Captions:
    labels = meta.labels
    if n <= 0 or "content" not in labels or "style" not in labels:
        return captions

    if labels["content"] not in PARAPHRASE_PHRASES:
        return captions
    extra = training_paraphrases(labels["content"], labels["style"], n, seed=meta.id)
    return Captions(list(dict.fromkeys([*captions.whole, *extra])), dict(captions.parts))


# ---------------------------------------------------------------- npz helpers

def _concat(arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Stack (N_i, P) arrays end to end: ((sum N_i, P) int64, (n + 1,) int64 offsets)."""
    lengths = [len(a) for a in arrays]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    P = arrays[0].shape[1] if arrays else 1
    flat = np.concatenate([np.asarray(a, dtype=np.int64).reshape(-1, P) for a in arrays]) if arrays else \
        np.zeros((0, P), np.int64)
    return flat, offsets


def _atomic_npz(path: Path, **arrays: np.ndarray) -> None:
    with atomic_output(path, fsync=True) as tmp:
        np.savez(tmp, **arrays)


def _open_npz(path: Path, keys: tuple[str, ...]):
    try:
        z = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: unreadable ({exc})") from None
    missing = [k for k in keys if k not in z.files]
    if missing:
        z.close()
        raise CheckpointError(f"{path}: missing array(s) {missing}")
    return z
