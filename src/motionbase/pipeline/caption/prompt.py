"""The prompt the MotionBase paper used to caption human motion with a large multimodal model.

Source: Wang et al., "Quo Vadis, Motion Generation? From Large Language Models to Large Motion
Models" (MotionBase), ICLR 2025, appendix A.2 "Prompt of motion description", Figure 8 ("Prompt
examples to label human motions in the video. We use Gemini-1.5-pro and GPT-4o-mini to generate
motion descriptions for the video and image data, respectively."). :data:`PAPER_PROMPT` and
:data:`PAPER_EXAMPLE` are the paper's words, quoted unchanged.

What we add, kept apart from the quotation so the paper's text stays recognisable:
:data:`FRAMES_NOTE` (the paper sent Gemini the video; an OpenAI-compatible chat endpoint gets
bbox-cropped frames in time order instead) and :data:`JSON_REPLY` (ask for the three fields as
JSON so the reply parses without guessing; :mod:`.lmm` still reads the paper's Markdown layout when
a model ignores it).
"""

from __future__ import annotations

# ---- quoted from the paper (appendix A.2, Fig. 8) ----------------------------------------------
PAPER_PROMPT = (
    "Begin by providing a general overview of the person's current action (e.g., walking, sitting, "
    "interacting) within the BBOX area. Then, proceed with a detailed breakdown, focusing exclusively "
    "on the physical movements and positions of the person within the BBOX. For the upper body, "
    "describe the position and movement of the arms, hands, shoulders, and torso. For the lower body, "
    "detail the position and movement of the legs, feet, and overall balance. Ensure the description "
    "strictly covers physical actions without mentioning facial expressions, clothing, or "
    "environmental elements outside the BBOX."
)

PAPER_EXAMPLE = (
    "Example:\n\n"
    "The person is standing still, observing something in front of them.\n\n"
    "- **Upper body:** Their arms hang relaxed by their sides, with the shoulders slightly back and "
    "the chest open. The torso is upright, with minimal movement, indicating a calm, neutral stance.\n"
    "- **Lower body:** Both feet are planted firmly on the ground, shoulder-width apart. The knees "
    "are slightly bent, and their weight is evenly distributed between both legs."
)
# ---- end of quotation --------------------------------------------------------------------------

FRAMES_NOTE = (
    "The images are {num_frames} frame(s) of one clip, in time order, spanning {seconds:.1f} seconds; "
    "each is cropped to the person's bounding box (the BBOX)."
)

JSON_REPLY = (
    'Reply with one JSON object and nothing else: {"whole_body": "<the general overview, 1 to 3 '
    'sentences>", "upper_body": "<arms, hands, shoulders and torso>", "lower_body": "<legs, feet and '
    'overall balance>"}.'
)


def build_prompt(num_frames: int, seconds: float, *, json_reply: bool = True, example: bool = True) -> str:
    """The text part of the request: the paper's prompt (and its example), the frames note, and the
    JSON reply instruction unless ``json_reply`` is False (then the paper's Markdown layout is expected)."""
    parts = [PAPER_PROMPT]
    if example:
        parts.append(PAPER_EXAMPLE)
    parts.append(FRAMES_NOTE.format(num_frames=num_frames, seconds=seconds))
    if json_reply:
        parts.append(JSON_REPLY)
    return "\n\n".join(parts)
