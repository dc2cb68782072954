"""Evaluation: metrics (pure functions of arrays) and text–motion evaluators.

``from motionbase.evaluate import metrics`` needs only numpy/scipy. The evaluators (torch) are imported from
their modules: :mod:`.evaluator` (``TextMotionEvaluator``, ``EvaluatorConfig``, the ``MotionTextEncoder``
interface), :mod:`.evaluator_train` (``train_evaluator``), :mod:`.t2m_loader` (the established HumanML3D
evaluator, ``load_t2m_evaluator``).
"""

from . import metrics

__all__ = ["metrics"]
