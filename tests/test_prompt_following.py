"""Geometric prompt-following checks on real Bandai-Namco takes (labels are the truth)."""

import numpy as np
import pytest

from motionbase.demo import sample_bvh_files
from motionbase.evaluate.prompt_following import (Check, expectations, faster, judge, mean_speed, pass_rates)
from motionbase.features.mirror import mirror_joints
from motionbase.formats.bvh import load_bvh

from .conftest import DATA

BANDAI = DATA / "bvh" / "bandai"
TAKES = {p.stem: p for p in [*BANDAI.rglob("*.bvh"), *sample_bvh_files()]}


def content_of(stem: str) -> str:
    return stem.split("_")[1]


@pytest.mark.parametrize("stem", sorted(TAKES))
def test_real_takes_do_what_their_label_says(stem):
    clip = load_bvh(TAKES[stem])
    checks = judge(content_of(stem), clip.joints_m, clip.fps)
    assert checks, "every shipped take asks at least one question"
    assert all(c.ok for c in checks), checks


@pytest.mark.parametrize("stem, mirrored", [("dataset-2_walk-turn-left_exhausted_038", "right"),
                                            ("dataset-2_wave-left-hand_normal_013", "right"),
                                            ("dataset-2_raise-up-left-hand_normal_001", "right"),
                                            ("dataset-2_wave-right-hand_youthful_016", "left")])
def test_a_mirrored_take_answers_the_other_side(stem, mirrored):
    clip = load_bvh(TAKES[stem])
    content = content_of(stem)
    question = "turn" if "turn" in content else "hand"
    got = {c.question: c for c in judge(content, mirror_joints(clip.joints_m), clip.fps)}[question]
    assert got.got == mirrored and not got.ok


def test_a_still_pose_fails_every_claim():
    clip = load_bvh(TAKES["dataset-2_wave-left-hand_normal_013"])
    still = np.repeat(clip.joints_m[:1], 60, axis=0)
    for content in ("wave-left-hand", "raise-up-right-hand", "walk-turn-left", "run"):
        checks = judge(content, still)
        assert not any(c.ok for c in checks if c.question != "no_hand"), content
        assert all(c.ok for c in checks if c.question == "no_hand")  # a still pose raises no hand


def test_run_is_faster_than_walk_on_real_takes():
    run, walk = load_bvh(TAKES["dataset-2_run_active_048"]), load_bvh(TAKES["dataset-2_walk_normal_013"])
    assert mean_speed(run.joints_m) > 2.0 > 1.5 > mean_speed(walk.joints_m) > 0.5
    assert faster(run.joints_m, walk.joints_m).ok and not faster(walk.joints_m, run.joints_m).ok


def test_mean_speed_by_hand():
    j = np.zeros((21, 22, 3))
    j[:, 0, 0] = np.linspace(0.0, 3.0, 21)  # 3 m along x in 1 s at 20 fps
    j[:, 0, 1] = 5.0  # height does not count
    assert mean_speed(j, 20.0) == pytest.approx(3.0)
    assert mean_speed(j[:1]) == 0.0


def test_expectations_and_pass_rates():
    assert expectations("wave-both-hands") == {"hand": "both", "gesture": "wave"}
    assert expectations("walk-turn-right") == {"turn": "right", "no_hand": "none", "travels": "yes"}
    assert expectations("run") == {"travels": "yes"}
    rates = pass_rates([Check("hand", "left", "left"), Check("hand", "left", "right"), Check("turn", "left", "left"),
                        Check("gesture", "wave", "raise")])
    assert rates["hand"] == {"n": 2, "pass": 0.5}
    assert rates["headline"] == {"n": 3, "pass": pytest.approx(2 / 3)}  # gesture is not a headline check
    assert "headline" not in pass_rates([Check("gesture", "wave", "wave")])


def test_paraphrase_prompts_cover_every_content_and_turn_prompts_ask_for_no_hand():
    from motionbase.data.labels import CONTENT_PHRASES
    from motionbase.evaluate.prompt_following import paraphrase_prompts

    pairs = paraphrase_prompts()
    assert {c for _, c in pairs} == set(CONTENT_PHRASES)
    assert ("a person turns right", "walk-turn-right") in pairs
    assert all("no_hand" in expectations(c) for _, c in pairs if c.startswith("walk-turn"))
