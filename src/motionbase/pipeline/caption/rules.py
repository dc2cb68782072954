"""The offline captioner: reads the 3D motion and writes MotionBase-style hierarchical captions.

No model, no endpoint: :func:`~.kinematics_summary.summarize_motion` measures what the body does
(travel, turns, jumps, squats, raised and waving arms, kicks, pose) and fixed templates put it into
words, in the structure of the paper's LMM captions (appendix A.2, Fig. 8): a whole-body summary of
1-3 sentences and one paragraph per body half (upper body: arms, hands, shoulders, torso; lower
body: legs, feet, balance). Present tense, third person, like HumanML3D's captions.

Left and right are the body's own. Every template treats the sides alike, so the captions of a
mirrored motion are the mirrored captions (``motionbase.data.text.mirror_caption``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ...clip import Captions, Clip
from ...config import Config
from .base import clip_label
from .kinematics_summary import ArmAction, LegAction, MotionSummary, SummaryConfig, summarize_motion
from .noise_floor import calibrated_config, motion_kind

SUBJECTS = ("A person", "Someone", "The person")  # paraphrase i opens with SUBJECTS[i % 3]
THEN = (", then ", " and then ", ", after which the person ")
OTHER = {"left": "right", "right": "left"}


@dataclass(frozen=True)
class RulesConfig(Config):
    """summary: thresholds of the motion analysis; paraphrases: whole-body captions to write (the
    same facts, different wordings)."""

    summary: SummaryConfig = field(default_factory=SummaryConfig)  # the clip's noise floor is applied on top
    paraphrases: int = 1


@dataclass
class _Arm:
    """An arm action of one side, or the same action of both arms at once (side ``both``)."""

    side: str
    action: ArmAction

    @property
    def hand(self) -> str:
        return "both hands" if self.side == "both" else f"the {self.side} hand"

    @property
    def arm(self) -> str:
        return "both arms" if self.side == "both" else f"the {self.side} arm"


def _merge_sides(actions: list[ArmAction]) -> list[_Arm]:
    """Pair a left and a right action that overlap in time at the same height into one ``both``."""
    out, used = [], set()
    for i, a in enumerate(actions):
        if i in used:
            continue
        for k in range(i + 1, len(actions)):
            b = actions[k]
            if (k not in used and b.side != a.side and b.level == a.level and b.waves == a.waves
                    and b.span.start_s < a.span.end_s and a.span.start_s < b.span.end_s):
                used.add(k)
                out.append(_Arm("both", a))
                break
        else:
            out.append(_Arm(a.side, a))
    return out


def _count(n: int) -> str:
    return {1: "", 2: " twice"}.get(n, f" {n} times")


def _turn_words(turn_deg: float, cfg: SummaryConfig) -> tuple[str, str]:
    """(strength, side) of a turn: strength is '', 'slight', 'turn' or 'around'."""
    a, side = abs(turn_deg), ("left" if turn_deg > 0 else "right")
    if a >= cfg.turn_around_deg:
        return "around", side
    if a >= cfg.turn_deg:
        return "turn", side
    return ("slight" if a >= cfg.slight_turn_deg else ""), side


def _turns(s: MotionSummary, cfg: SummaryConfig) -> list[tuple[float, str, str]]:
    """(start s, phrase, side) of each clear turn: the sustained turns, else the net turn if clear."""
    spans = [(t.start_s, t.size) for t in s.turns]
    if not spans and _turn_words(s.turn_deg, cfg)[0] in ("turn", "around"):
        spans = [(0.0, s.turn_deg)]
    out = []
    for start, deg in spans:
        strength, side = _turn_words(deg, cfg)
        out.append((start, f"turns around to the {side}" if strength == "around" else f"turns {side}", side))
    return out


def _through_turns(s: MotionSummary, cfg: SummaryConfig, one: str, many: str) -> str:
    """``one`` with the side of the only turn filled in, ``many`` for several turns, '' for none."""
    turns = _turns(s, cfg)
    return one.format(turns[0][2]) if len(turns) == 1 else (many if turns else "")


# ---- whole body -------------------------------------------------------------------------------

def _arm_event(arm: _Arm) -> str:
    act = arm.action
    if act.waves:
        return f"waves {arm.hand}" + (" above the head" if act.level == "overhead" else "")
    them = "them" if arm.side == "both" else "it"
    down = f" and lowers {them} again" if act.lowered else ""
    if act.level == "overhead":
        return f"raises {arm.hand} above the head{down}"
    if act.level == "chest":
        return f"lifts {arm.hand} to chest height{down}"
    if act.level == "head":  # hand to the ear or face (a phone call), not out to the side
        return f"raises {arm.hand} to the head{down}"
    where = {"forward": "forward to shoulder height", "sideways": "out to the side"}.get(
        act.direction, "to shoulder height")
    return f"raises {arm.arm} {where}{down}"


def _leg_events(legs: list[LegAction]) -> list[tuple[float, str]]:
    """Consecutive kicks (or lifts) of the same leg become one event with a count."""
    out: list[tuple[float, str, str, str, int]] = []
    for leg in legs:
        if out and out[-1][2:4] == (leg.side, leg.kind):
            t, text, side, kind, n = out[-1]
            out[-1] = (t, text, side, kind, n + 1)
        else:
            out.append((leg.span.start_s, "", leg.side, leg.kind, 1))
    verb = {"kick": "kicks with the {} leg", "lift": "lifts the {} leg"}
    return [(t, verb[kind].format(side) + _count(n)) for t, _, side, kind, n in out]


def _events(s: MotionSummary, extra: list[tuple[float, str]] = ()) -> list[str]:
    """Things the body does besides travelling (and ``extra`` (start s, phrase)), in the order they start."""
    return [text for _, text in sorted(_timed_events(s) + list(extra), key=lambda e: e[0])]


def _timed_events(s: MotionSummary) -> list[tuple[float, str]]:
    """(start s, phrase) of what the body does besides travelling and turning."""
    arms = _merge_sides(s.arms)
    ev: list[tuple[float, str]] = [(a.action.span.start_s, _arm_event(a)) for a in arms if a.action.level != "chest"]
    ev += _leg_events(s.legs)
    if s.jumps and s.locomotion != "jump":
        ev.append((s.jumps[0].start_s, "jumps" + _count(len(s.jumps))))
    if s.squats:
        stays_low = s.end_pose in ("crouching", "sitting") and s.squats[-1].end_s >= s.duration_s - 0.1
        text = {"crouching": "crouches down", "sitting": "sits down"}.get(s.end_pose, "") if stays_low else ""
        ev.append((s.squats[0].start_s, text or ("squats down and stands back up" + _count(len(s.squats)))))
    if not ev:  # chest-high arm lifts are named only when nothing bigger happens
        ev = [(a.action.span.start_s, _arm_event(a)) for a in arms]
    return ev


_STILL = {"standing": "stands still", "crouching": "crouches, holding still", "sitting": "sits still",
          "kneeling": "kneels still", "lying": "lies still"}
_POSE_IN_PLACE = {"standing": "stands in place", "crouching": "stays crouched", "sitting": "stays seated",
                  "kneeling": "stays kneeling", "lying": "lies on the ground"}


def _travel_clause(s: MotionSummary, cfg: SummaryConfig) -> str:
    if s.locomotion == "walk":
        verb = "walks" + (" slowly" if s.speed_mps < 0.8 else " briskly" if s.speed_mps > 1.7 else "")
    elif s.locomotion == "jump":
        verb = "jumps"
    else:
        verb = "jogs" if s.speed_mps < 2.4 else ("runs fast" if s.speed_mps > 3.8 else "runs")
    way = {"forward": "forward", "backward": "backward"}.get(s.direction, f"sideways to the {s.direction}")
    if s.locomotion == "jump":
        way += _count(len(s.jumps))
    turns = [phrase for _, phrase, _ in _turns(s, cfg)]
    if turns:
        turn = f" and {turns[0]}" if len(turns) == 1 else ", " + ", then ".join(turns)
    else:
        strength, side = _turn_words(s.turn_deg, cfg)
        turn = f", veering slightly {side}" if strength == "slight" else ""
    return f"{verb} {way}{turn}"


def _whole(s: MotionSummary, cfg: SummaryConfig, variant: int) -> str:
    subject, then = SUBJECTS[variant % len(SUBJECTS)], THEN[variant % len(THEN)]
    if s.static:
        held = _merge_sides(s.arms)
        above = " above the head" if held and held[0].action.level == "overhead" else ""
        tail = f", with {held[0].hand} raised{above}" if held else ""
        return f"{subject} {_STILL[s.pose]}{tail}."
    if s.locomotion != "none":
        events = _events(s)
        first = f"{subject} {_travel_clause(s, cfg)}."
        during = {"walk": "walking", "run": "running", "jump": "jumping"}[s.locomotion]
        return first + (f" While {during}, the person " + then.join(events[:3]) + "." if events else "")
    events = _events(s, [(start, phrase + " in place") for start, phrase, _ in _turns(s, cfg)])
    if not events:
        return f"{subject} {_POSE_IN_PLACE[s.pose]}, shifting slightly."
    first = f"{subject} " + then.join(events[:2]) + "."
    return first + (" Then the person " + " and ".join(events[2:4]) + "." if len(events) > 2 else "")


# ---- part level -------------------------------------------------------------------------------

def _arm_sentence(arm: _Arm) -> str:
    act, arm_word = arm.action, arm.arm[0].upper() + arm.arm[1:]
    verb = "rise" if arm.side == "both" else "rises"
    if act.waves:
        height = "above the head" if act.level == "overhead" else "near shoulder height"
        hands = "both hands wave" if arm.side == "both" else f"the {arm.side} hand waves"
        return f"{arm_word} {'are' if arm.side == 'both' else 'is'} raised {height} and {hands} back and forth"
    hand = "the hands are" if arm.side == "both" else "the hand is"
    how = {"overhead": f"until {hand} above the head", "chest": f"until {hand} at chest height",
           "head": f"until {hand} at the head"}.get(
        act.level, {"forward": "forward to shoulder height", "sideways": "out to the side to shoulder height"}
        .get(act.direction, "to shoulder height"))
    down = (", then come back down" if arm.side == "both" else ", then comes back down") if act.lowered else ""
    return f"{arm_word} {verb} {how}{down}"


def _upper(s: MotionSummary, cfg: SummaryConfig) -> str:
    arms = _merge_sides(s.arms)
    if not arms:
        resting = "The arms rest beside the body." if s.pose == "lying" else "The arms hang relaxed at the sides."
        arms_text = {"walk": "The arms swing naturally at the sides in rhythm with the steps.",
                     "jump": "The arms swing with the body to drive each jump.",
                     "run": "The arms are bent at the elbows and pump back and forth with the stride."}.get(
            s.locomotion, resting)
    else:
        sentences = [_arm_sentence(a) for a in arms[:3]]
        sides = {a.side for a in arms}
        if len(sides) == 1 and "both" not in sides:
            sentences[-1] += f", while the {OTHER[arms[0].side]} arm stays relaxed at the side"
        arms_text = " ".join(x + "." for x in sentences)
    turning = _through_turns(s, cfg, "The shoulders and torso rotate to the {} as the body turns",
                             "The shoulders and torso rotate with each turn")
    if turning:
        torso = turning
    elif s.pose == "lying":
        torso = "The torso lies flat"
    elif s.lean_deg > 45:
        torso = "The torso bends forward deeply from the hips"
    elif s.lean_deg > cfg.lean_deg:
        torso = "The torso leans forward"
    elif s.lean_deg < -cfg.lean_deg:
        torso = "The torso leans back"
    else:
        torso = "The torso stays upright"
    if turning:
        shoulders = ""
    elif any(a.action.level == "overhead" for a in arms):
        both = any(a.side == "both" for a in arms)
        shoulders = ", and the shoulders lift with the raised " + ("arms" if both else "arm")
    else:
        shoulders = ", and the shoulders stay level"
    return f"{arms_text} {torso}{shoulders}."


def _lower(s: MotionSummary, cfg: SummaryConfig) -> str:
    if s.locomotion == "walk":
        pace = "slow" if s.speed_mps < 0.8 else "quick" if s.speed_mps > 1.7 else "steady"
        way = {"forward": "", "backward": " backward"}.get(s.direction, f" to the {s.direction}")
        turn = _through_turns(s, cfg, ", stepping around to the {} through the turn",
                              ", stepping around through each turn")
        return (f"The legs take {pace} alternating steps{way}{turn}, each foot rolling from heel to toe. "
                "Balance stays steady throughout.")
    if s.locomotion == "jump":
        turn = _through_turns(s, cfg, ", turning to the {} between jumps", ", turning between jumps")
        return (f"Both knees bend and push off together for each jump, and the feet land side by side{turn}. "
                "The body lands balanced on both feet.")
    if s.locomotion == "run":
        stride = ("The legs drive in a running stride, with both feet leaving the ground between steps"
                  if s.flight_phases >= 2 or s.flight_fraction > cfg.run_flight_fraction else
                  "The legs move in a quick, short jogging stride with the knees bent")
        turn = _through_turns(s, cfg, ", curving to the {}", ", curving through each turn")
        lean = ", leaning into the run" if s.lean_deg > cfg.lean_deg / 2 else ""
        return f"{stride}{turn}. The body stays balanced over the feet{lean}."
    parts = []
    for leg in s.legs[:2]:
        act = "swings up high in a kick" if leg.kind == "kick" else "lifts off the ground"
        parts.append(f"The {leg.side} leg {act} while the {OTHER[leg.side]} leg supports the weight")
    if s.jumps:
        parts.append("Both knees bend and push off so that both feet leave the ground"
                     + _count(len(s.jumps)) + ", then land again")
    if s.squats:
        parts.append("The knees bend deeply to lower the hips" +
                     ("" if s.end_pose in ("crouching", "sitting") else ", then straighten again"))
    if not parts:
        parts.append({"sitting": "The legs are bent with the hips lowered, as if seated",
                      "crouching": "The knees are deeply bent with the hips low over the feet",
                      "kneeling": "The knees rest on the ground",
                      "lying": "The legs lie extended on the ground"}.get(
            s.pose, "The legs stay straight, with both feet planted on the ground"))
    if s.legs:
        balance = f"Balance is held on the {OTHER[s.legs[0].side]} leg during the {s.legs[0].kind}"
    elif s.jumps:
        balance = "The body lands balanced on both feet"
    else:
        balance = "The weight stays evenly balanced" + (" between both feet" if s.pose == "standing" else "")
    return ". ".join(parts) + f". {balance}."


class RulesCaptioner:
    """The kinematic captioner (the default): no endpoint, no frames; about a millisecond a clip."""

    name = "rules"

    def __init__(self, config: RulesConfig | None = None, **overrides):
        self.config = config or RulesConfig(**overrides)

    def summary_config(self, clip: Clip) -> SummaryConfig:
        """The thresholds for this clip: the configured ones raised to the measured noise floor of its kind
        (video pose estimates or mocap; :mod:`.noise_floor`)."""
        meta = clip.meta
        return calibrated_config(self.config.summary, kind=motion_kind(meta.labels, meta.source, meta.static))

    def summarize(self, clip: Clip) -> MotionSummary:
        return summarize_motion(clip.joints_m, clip.fps, clip.skeleton, self.summary_config(clip),
                                where=clip_label(clip), visibility=clip.visibility)

    def caption(self, clip: Clip, frames: Sequence[np.ndarray] | None = None) -> Captions:
        return captions_from_summary(self.summarize(clip), replace(self.config, summary=self.summary_config(clip)))


def captions_from_summary(summary: MotionSummary, config: RulesConfig | None = None) -> Captions:
    """Words for a :class:`MotionSummary`: ``config.paraphrases`` whole-body captions and both parts."""
    cfg = config or RulesConfig()
    whole = list(dict.fromkeys(_whole(summary, cfg.summary, i) for i in range(max(1, cfg.paraphrases))))
    return Captions(whole=whole, parts={"upper_body": _upper(summary, cfg.summary),
                                        "lower_body": _lower(summary, cfg.summary)})
