"""Hierarchical motion captions (MotionBase data pipeline, stage 5).

Two captioners behind one interface (:class:`Captioner`):

- ``rules`` (the default): reads the 3D motion and writes the captions offline (:mod:`.rules`);
- ``lmm``: asks a multimodal LLM over any OpenAI-compatible chat endpoint, with the MotionBase
  paper's prompt (appendix A.2, Fig. 8; :mod:`.prompt`) and bbox-cropped video frames (:mod:`.lmm`).

Both return :class:`~motionbase.clip.Captions`: ``whole`` (a 1-3 sentence whole-body summary) and
``parts`` with keys ``upper_body`` and ``lower_body``. See docs/CAPTIONS.md.
"""

from __future__ import annotations

from ...config import build
from .base import Captioner, CaptionError, clip_label
from .rules import RulesCaptioner, RulesConfig

CAPTIONERS = ("rules", "lmm")

__all__ = [
    "CAPTIONERS",
    "CaptionError",
    "Captioner",
    "RulesCaptioner",
    "RulesConfig",
    "clip_label",
    "get_captioner",
]


def get_captioner(name: str = "rules", **options) -> Captioner:
    """A captioner by name: ``rules`` (options: fields of :class:`RulesConfig`) or ``lmm`` (options:
    fields of :class:`~.lmm.LMMConfig`, e.g. ``base_url``, ``model``, ``cache_dir``)."""
    from ...errors import MotionbaseError

    if name == "rules":
        return RulesCaptioner(build(RulesConfig, f"captioner {name!r} options", **options))
    if name == "lmm":
        try:  # httpx and tenacity, the lmm extra; deferred for a quick start
            from .lmm import LMMCaptioner, LMMConfig
        except ImportError as exc:
            raise MotionbaseError(f"the lmm captioner needs {exc.name or exc}, which is not installed: "
                                  "pip install 'motionbase[lmm]'") from None

        return LMMCaptioner(build(LMMConfig, f"captioner {name!r} options", **options))
    raise MotionbaseError(f"unknown captioner {name!r}; expected one of: {', '.join(CAPTIONERS)}")
