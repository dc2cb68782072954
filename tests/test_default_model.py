"""The shipped default model does what in-domain prompts say: geometric checks on seeded generations.

The checks read the joints only (motionbase.evaluate.prompt_following); chance is 1/3 for the hand and turn
questions. benchmarks/default_model.py measures the same over every content x style.
"""

import pytest

from motionbase.evaluate.prompt_following import HEADLINE, faster, judge
from motionbase.generation import MotionGenerator

CASES = [("wave-left-hand", "a person waves the left hand."),
         ("wave-right-hand", "a person waves the right hand."),
         ("raise-up-left-hand", "a person raises the left hand."),
         ("raise-up-right-hand", "a person raises the right hand."),
         ("walk-turn-left", "a person walks and turns left."),
         ("walk-turn-right", "a person walks and turns right."),
         ("run", "a person runs forward."),
         ("walk", "a person walks forward.")]


@pytest.fixture(scope="module")
def motions():
    gen = MotionGenerator.load(device="cpu")
    return dict(zip([c for c, _ in CASES], gen.text_to_motion([p for _, p in CASES], None, seed=0)))


def test_the_shipped_model_follows_in_domain_prompts(motions):
    checks = [c for content, m in motions.items() for c in judge(content, m.joints, m.fps) if c.question in HEADLINE]
    checks.append(faster(motions["run"].joints, motions["walk"].joints))
    passed = [c for c in checks if c.ok]
    assert len(checks) == 7
    assert len(passed) >= 5, [c for c in checks if not c.ok]


def test_generations_end_on_their_own_at_plausible_lengths(motions):
    for content, m in motions.items():
        assert m.closed, content
        assert 1.0 <= m.seconds <= 20.0, (content, m.seconds)
