"""Evaluation: text–motion evaluators and the evaluation runner; the metrics (pure functions of arrays) live in
the bottom package :mod:`motionbase.metrics` (``from motionbase.evaluate import metrics`` still works: a
re-export for existing callers). The evaluators (torch) are imported from
their modules: :mod:`.evaluator` (``TextMotionEvaluator``, ``EvaluatorConfig``, the ``MotionTextEncoder``
interface, ``evaluator_preset``: "default" or the CPU-sized "cpu"), :mod:`.evaluator_train` (``train_evaluator``),
:mod:`.t2m_loader` (the established HumanML3D evaluator, ``load_t2m_evaluator``).

The runner (``motionbase evaluate``): :mod:`.store_data` (a store split's captioned clips and their
content × style labels), :mod:`.run` (``evaluate``: the real-motion, reconstruction and generated rows over
seeded replications; the ``MotionGenerator`` protocol), :mod:`.generators` (``LMGenerator``: the motion LM
behind that protocol), :mod:`.report` (markdown table, JSON) and :mod:`.from_paths` (``evaluate_paths``: the
same from checkpoint and store paths, with the compatibility checks).
"""

from .. import metrics  # re-export: the metrics moved to motionbase.metrics

__all__ = ["metrics"]
