"""Classifier-free guidance for motion generation: what the negative prompt is.

At every step the model also reads a *negative* prompt followed by the same answer so far, and the
scores become ``neg + scale * (cond - neg)`` on log-probabilities (Ho & Salimans 2022; used for
text-to-motion by MoMask and T2M-GPT's successors). ``scale`` 1 is plain sampling. The negative prompt is
either the unconditional instruction (the LM is trained on it, so it knows motion without a text) or
the prompt with left and right swapped (``mirrored``): guidance then pushes only along what tells the two
sides apart, and a prompt without a side word is left as it is. ``auto`` picks for the model: the
unconditional instruction for one that reads prompts in their canonical side (``LMConfig.canonical_sides``:
it never saw a "left" prompt as a condition, so the mirrored prompt is no contrast it knows), else mirrored.
The sampling loop that runs both prompts in one forward pass per token is ``lm.guided_decode``.
"""

NEGATIVES = ("auto", "unconditional", "mirrored")
