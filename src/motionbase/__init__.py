"""motionbase: large motion models, from raw motion to evaluated text<->motion models."""

__version__ = "0.1.0"
