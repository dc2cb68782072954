"""The embedded default models: how they are trained (``train``), where they ship (``paths``)."""
