"""The large motion model: a Hugging Face causal LM that speaks motion tokens (paper §4.1).

Modules: :mod:`.config` (LMConfig, LMTrainConfig, LMDataConfig), :mod:`.codec` (what the LM needs of a motion
tokenizer), :mod:`.vocab` (codes as tokens: added or reused), :mod:`.prompts` (every instruction
template), :mod:`.text_tokenizer` (offline BPE), :mod:`.model` (MotionLM), :mod:`.data` (instruction
examples, code cache, collate), :mod:`.train` (Accelerate loop), :mod:`.generate` (constrained decoding),
:mod:`.commands` (``motionbase lm train|generate``; ``register(app)``), ``accelerate_configs/`` (launch YAMLs).
Import from the submodules; this package imports nothing heavy on its own.
"""
