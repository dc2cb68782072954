"""Hypothesis, bounded: a few dozen derandomised examples per parser in the default run (reproducible, fast),
many random ones under ``-m slow``. ``EXAMPLES`` parametrises a fuzz test over both budgets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

QUICK, DEEP = 25, 600
EXAMPLES = [pytest.param(QUICK, id="quick"), pytest.param(DEEP, id="deep", marks=pytest.mark.slow)]


def fuzz(strategy: st.SearchStrategy, check: Callable[[object], None], *, examples: int,
         deadline_s: float = 5.0) -> None:
    """Run ``check`` on ``examples`` values of ``strategy``; an example slower than ``deadline_s`` fails."""

    @settings(max_examples=examples, deadline=timedelta(seconds=deadline_s), database=None,
              derandomize=examples <= QUICK, print_blob=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much, HealthCheck.large_base_example])
    @given(strategy)
    def run(value):
        check(value)

    run()


def mutations(text: str) -> st.SearchStrategy[str]:
    """``text`` with a few lines deleted, duplicated or swapped, tokens replaced, or characters inserted."""
    lines = text.splitlines()
    token = st.one_of(st.sampled_from(["nan", "inf", "-inf", "1e30", "-1e308", "0", "-0", "1e-320", "abc", "",
                                       "{", "}", "JOINT", "End", "Site", "ROOT", "CHANNELS", "OFFSET", "MOTION",
                                       "Frames:", "Frame", "Time:", "99999999999999999999", "\x00", "\u00e9"]),
                      st.floats(allow_nan=True, allow_infinity=True).map(repr),
                      st.integers(-2**63, 2**63).map(str), st.text(max_size=8))

    @st.composite
    def mutate(draw):
        out = list(lines)
        for _ in range(draw(st.integers(1, 4))):
            if not out:
                break
            i = draw(st.integers(0, len(out) - 1))
            op = draw(st.sampled_from(["delete", "duplicate", "swap", "token", "insert", "truncate"]))
            if op == "delete":
                del out[i]
            elif op == "duplicate":
                out.insert(i, out[i])
            elif op == "swap":
                j = draw(st.integers(0, len(out) - 1))
                out[i], out[j] = out[j], out[i]
            elif op == "token":
                words = out[i].split() or [""]
                words[draw(st.integers(0, len(words) - 1))] = draw(token)
                out[i] = " ".join(words)
            elif op == "insert":
                out.insert(i, draw(st.text(max_size=30)))
            else:
                out = out[:i]
        return "\n".join(out) + "\n"

    return mutate()
