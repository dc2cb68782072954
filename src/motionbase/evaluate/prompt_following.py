"""Does a motion do what its prompt says? Geometric checks that need no learned model.

For the contents of the Bandai-Namco data (the embedded default's world) each prompt makes a claim that
geometry can settle, read off :func:`~motionbase.pipeline.caption.kinematics_summary.summarize_motion`
(the kinematic captioner's facts, 99.5 % in agreement with the labels of real mocap):

* ``hand``: which hand waves or rises (wave-* and raise-up-*): the sides of the raised-arm actions
  (``left``, ``right``, ``both`` or ``none``);
* ``turn``: which way a walk turns (walk-turn-*): the sign of the net change of facing, kept when it
  exceeds ``TURN_DEG`` (``left``, ``right`` or ``none``);
* ``faster``: a run is faster than a walk: a pair (run, walk) passes when the run's mean horizontal
  root speed is the higher (:func:`faster`);
* ``travels`` (walk*, run) and ``gesture`` (wave vs raise) are reported too, beside the three above;
* ``no_hand``: a prompt about turning raises no hand (the default once read "turns right" as "right hand").

Paraphrased prompts (:func:`paraphrase_prompts`): the held-out set in ``assets/prompts/paraphrase_test.json``,
worded unlike any training caption (``tests/test_paraphrase.py`` asserts it), each with the content it means.

The same checks on real test clips give the reference row; they score what the judge itself gets wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..pipeline.caption.kinematics_summary import MotionSummary, summarize_motion

TURN_DEG = 45.0  # net facing change that counts as a turn (Bandai's turning walks turn ~90 degrees)
HEADLINE = ("hand", "turn", "faster")  # the checks the default model is held to (goal: 90 % pass)


@dataclass(frozen=True)
class Check:
    """One question about one motion: what the prompt says, what the motion does."""

    question: str
    expected: str
    got: str

    @property
    def ok(self) -> bool:
        return self.expected == self.got


def expectations(content: str) -> dict[str, str]:
    """What a Bandai-Namco content label claims, per question (``faster`` is asked of pairs)."""
    out: dict[str, str] = {}
    if content.startswith(("wave", "raise")):
        out["hand"] = next(s for s in ("both", "left", "right") if s in content)
        out["gesture"] = "wave" if content.startswith("wave") else "raise"
    if content.startswith("walk-turn"):
        out["turn"] = content.rsplit("-", 1)[1]
        out["no_hand"] = "none"
    if content.startswith(("walk", "run")):
        out["travels"] = "yes"
    return out


def answers(summary: MotionSummary) -> dict[str, str]:
    """The same questions, answered from a motion's geometry."""
    sides = {a.side for a in summary.arms}
    turn = summary.turn_deg
    hand = "both" if len(sides) == 2 else (sides.pop() if sides else "none")
    return {
        "hand": hand,
        "no_hand": hand,
        "gesture": ("wave" if any(a.waves for a in summary.arms) else "raise" if summary.arms else "none"),
        "turn": "left" if turn > TURN_DEG else "right" if turn < -TURN_DEG else "none",
        "travels": "yes" if summary.locomotion != "none" else "no",
    }


def judge(content: str, joints_m: np.ndarray, fps: float = 20.0, *, where: str = "motion") -> list[Check]:
    """Every question ``content`` asks of ``joints_m`` (T, 22, 3), with the motion's answers."""
    got = answers(summarize_motion(joints_m, fps, where=where))
    return [Check(q, want, got[q]) for q, want in expectations(content).items()]


def paraphrase_prompts() -> list[tuple[str, str]]:
    """The held-out paraphrase test set: (prompt, Bandai-Namco content it means) pairs."""
    import json
    from importlib import resources

    doc = json.loads((resources.files("motionbase") / "assets" / "prompts" / "paraphrase_test.json").read_text())
    return [(p["prompt"], p["content"]) for p in doc["prompts"]]


def mean_speed(joints_m: np.ndarray, fps: float = 20.0) -> float:
    """Mean horizontal speed of the root (joint 0) in m/s; 0 for a single frame."""
    root = np.asarray(joints_m, dtype=np.float64)[:, 0, [0, 2]]
    if len(root) < 2:
        return 0.0
    return float(np.linalg.norm(np.diff(root, axis=0), axis=-1).sum() * fps / (len(root) - 1))


def faster(run_m: np.ndarray, walk_m: np.ndarray, fps: float = 20.0) -> Check:
    """The ``faster`` check of a (run, walk) pair: passes when the run's root is faster."""
    ok = mean_speed(run_m, fps) > mean_speed(walk_m, fps)
    return Check("faster", "run", "run" if ok else "walk")


def pass_rates(checks: list[Check]) -> dict[str, dict[str, float]]:
    """Per question and for the headline questions together: ``{"n": …, "pass": share}``."""
    out: dict[str, dict[str, float]] = {}
    for q in sorted({c.question for c in checks}):
        sel = [c.ok for c in checks if c.question == q]
        out[q] = {"n": len(sel), "pass": float(np.mean(sel))}
    head = [c.ok for c in checks if c.question in HEADLINE]
    if head:
        out["headline"] = {"n": len(head), "pass": float(np.mean(head))}
    return out
