"""Motion generators the evaluation runner can score: the motion LM behind the :class:`~.run.MotionGenerator` face.

:class:`LMGenerator` asks a trained :class:`~motionbase.lm.model.MotionLM` for text-to-motion answers in
batches, each motion as long as the ground-truth clip it stands for (``seconds = frames / fps``, which the
LM turns into exactly ``round(seconds * codes_per_second)`` time steps), and decodes the codes with the motion
tokenizer the LM was trained with, planting the feet as :class:`motionbase.generation.MotionGenerator` does.
Nothing here is imported unless an LM is evaluated (it needs ``transformers``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from ..errors import CheckpointError, MotionbaseError
from ..features.mirror import mirror_features
from ..features.plant import plant_feet
from ..lm.codec import decode_features
from ..lm.sides import read_prompts


class LMGenerator:
    """Text -> features with a motion LM and its motion tokenizer (a :class:`~.run.MotionGenerator`)."""

    def __init__(self, lm, tokenizer, *, fps: float = 20.0, batch_size: int = 32, temperature: float = 1.0,
                 top_k: int | None = None, top_p: float | None = None, guidance: float = 1.0,
                 guidance_negative: str = "unconditional", guidance_warmup: float = 0.0, plant_feet: bool = True):
        self.lm, self.tokenizer, self.fps, self.batch_size = lm, tokenizer, fps, batch_size
        self.plant_feet = plant_feet  # as MotionGenerator: the stance toe stays put (features/plant.py)
        self.sampling = {"temperature": temperature, "top_k": top_k, "top_p": top_p, "guidance": guidance,
                         "guidance_negative": guidance_negative, "guidance_warmup": guidance_warmup}

    @classmethod
    def from_pretrained(cls, lm_dir: str | os.PathLike, tokenizer_dir: str | os.PathLike, *,
                        device: str | None = None, **options) -> LMGenerator:
        """Load an LM checkpoint and the motion tokenizer it was trained with (checked by content hash)."""
        try:  # deferred: torch and the LM extra, a clear line when they are missing
            from ..generation import load_motion_tokenizer
            from ..lm.model import MotionLM
        except ImportError as exc:
            raise MotionbaseError(f"--lm: the motion LM is not available in this install ({exc}); "
                                  "install motionbase[llm]") from None
        tokenizer, info = load_motion_tokenizer(tokenizer_dir, device)
        lm = MotionLM.from_pretrained(lm_dir, info, device=device)
        return cls(lm, tokenizer, **options)

    def generate(self, captions: Sequence[str], lengths_frames: Sequence[int], seed: int) -> list[np.ndarray]:
        """One raw feature array (T_i, D) per caption, T_i = the decoded length (a multiple of the tokenizer's α)."""
        # deferred for a quick start: imports torch, transformers
        from ..lm.generate import GenerationOptions, MotionRequest, generate

        if len(captions) != len(lengths_frames):
            raise MotionbaseError(f"{len(captions)} captions but {len(lengths_frames)} lengths; expected one each")
        out = []
        read, flips = read_prompts(self.lm.config, captions)  # a canonical-sides model reads "left" mirrored
        for k, s in enumerate(range(0, len(captions), self.batch_size)):
            requests = [MotionRequest("t2m", caption=c, seconds=n / self.fps)
                        for c, n in zip(read[s:s + self.batch_size], lengths_frames[s:s + self.batch_size])]
            options = GenerationOptions(seed=int(seed) + k, **self.sampling)
            for i, res in enumerate(generate(self.lm, requests, options), start=s):
                if res.codes is None or len(res.codes) == 0:
                    raise CheckpointError(f"the LM gave no motion codes for caption {i} ({captions[i]!r}); "
                                          "expected a motion answer")
                feats = decode_features(self.tokenizer, res.codes)
                feats = mirror_features(feats).astype(np.float32) if flips[i] else feats
                out.append(plant_feet(feats) if self.plant_feet else feats)
        return out
