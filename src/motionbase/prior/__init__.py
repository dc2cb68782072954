"""A learned motion prior that repairs noisy pose estimates, and the measured noise model it is trained with.

``load_default_prior().repair(joints_m, visibility)``; see docs/PRIOR.md.
"""

from .model import MotionPrior, PriorConfig, PriorUnavailable, load_default_prior
from .noise import NoiseModel, corrupt, load_noise_model

__all__ = ["MotionPrior", "PriorConfig", "PriorUnavailable", "load_default_prior", "NoiseModel", "corrupt",
           "load_noise_model"]
