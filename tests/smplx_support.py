"""Synthetic SMPL-X / SMPL-H model files for tests: see :mod:`motionbase.bodymodels.synthetic`."""

from motionbase.bodymodels.synthetic import (  # noqa: F401
    NUM_VERTS, SMPLH_PARENTS, SMPLX_PARENTS, rest_joints, write_test_body_models, write_test_smplh, write_test_smplx,
)
