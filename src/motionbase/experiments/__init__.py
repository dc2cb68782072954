"""The researcher's workbench: the paper's questions as configs, one runner, reports with traces.

:mod:`.questions` holds the questions (which arms to train, what the paper found), :mod:`.runner` trains and
evaluates each arm through the existing trainers (resumable: a finished arm's ``result.json`` is kept),
:mod:`.trace` records what makes a number reproducible (config, seed, data hash, code version) and
:mod:`.report` writes the markdown table, the plot and ``FINDINGS.md``. ``motionbase experiment`` is the CLI.
"""

from .questions import QUESTIONS, question
from .runner import run_experiment

__all__ = ["QUESTIONS", "question", "run_experiment"]
