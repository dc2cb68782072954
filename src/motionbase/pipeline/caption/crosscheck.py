"""LMM captions checked against the kinematic facts: a contradiction is flagged, not silently kept.

An LMM looking at a few crops can say "runs" for a brisk walker or "raises the left hand" for a
pedestrian holding a phone. The motion itself (:class:`~.kinematics_summary.MotionSummary`) decides
gait (walk vs run), jumps, turn directions and which hand is raised; :func:`contradictions` lists every
statement of the caption text that disagrees, e.g. ``"caption says run; motion says walk"``. The
pipeline stores them as ``labels["lmm_contradictions"]`` (a JSON list; empty when consistent).
"""

from __future__ import annotations

import re

from .kinematics_summary import MotionSummary

_RUN = re.compile(r"\b(run|runs|running|jog|jogs|jogging|sprint|sprints|sprinting)\b")
_WALK = re.compile(r"\b(walk|walks|walking|stroll|strolls|strolling)\b")
_JUMP = re.compile(r"\b(jump|jumps|jumping|hop|hops|hopping|leap|leaps|leaping)\b")
_HAND = re.compile(r"\b(raises?|raising|lifts?|lifting|waves?|waving)\b[^.]*?\b(left|right|both)\s+(hand|arm|hands|arms)\b")
_TURN = re.compile(r"\bturns?\b[^.]*?\b(left|right)\b")


def contradictions(text: str, s: MotionSummary) -> list[str]:
    """Statements of ``text`` (all captions joined) that the motion contradicts."""
    t = text.lower()
    out = []
    said_run, said_walk = bool(_RUN.search(t)), bool(_WALK.search(t))
    if said_run and s.locomotion in ("walk", "none"):
        out.append(f"caption says run; motion says {s.locomotion if s.locomotion != 'none' else 'no travel'}")
    if said_walk and not said_run and s.locomotion == "run":
        out.append("caption says walk; motion says run")
    if _JUMP.search(t) and not s.jumps and s.locomotion != "jump":
        out.append("caption says jump; motion has no flight with a rising pelvis")
    raised = {a.side for a in s.arms}
    for _, side, _ in _HAND.findall(t):
        if not ({"left", "right"} if side == "both" else {side}) <= raised:
            out.append(f"caption says the {side} hand is raised; motion raises {', '.join(sorted(raised)) or 'none'}")
    turned = {("left" if x.size > 0 else "right") for x in s.turns}
    for side in set(_TURN.findall(t)):
        if turned and side not in turned:
            out.append(f"caption says turn {side}; motion turns {', '.join(sorted(turned))}")
    return list(dict.fromkeys(out))
