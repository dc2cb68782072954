"""Find and load the user's SMPL-H / SMPL-X model files (never shipped) with the ``smplx`` package.

Where they live: the folder given as ``--body-models DIR`` or in the environment variable
``MOTIONBASE_BODY_MODELS``, laid out as ``smplx.create`` expects::

    DIR/smplh/SMPLH_MALE.npz   (and _FEMALE, _NEUTRAL; .pkl also read)   AMASS: "Extended SMPL+H" from mano.is.tue.mpg.de
    DIR/smplx/SMPLX_NEUTRAL.npz (and _MALE, _FEMALE)                     Motion-X: smpl-x.is.tue.mpg.de

AMASS's / Motion-X's own layout (``DIR/smplh/male/model.npz``) is accepted too.

Only joints are needed, and joints do not depend on the pose blend shapes or the skinning: a loaded
:class:`BodyModel` keeps the joint regressor folded into the template and the shape space, ``(J, 3)`` and
``(J, 3, B)``, and the kinematic tree. :func:`body_model_joints` is then exact (equal to the model's ``Jtr``)
and costs a few small matrix products per frame.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import BodyModelError

ENV_VAR = "MOTIONBASE_BODY_MODELS"
GENDERS = ("male", "female", "neutral")
MODEL_JOINTS = {"smplh": 52, "smplx": 55}
MODEL_SITES = {"smplh": "mano.is.tue.mpg.de (Extended SMPL+H model, as used by AMASS)",
               "smplx": "smpl-x.is.tue.mpg.de (SMPL-X v1.1, npz)"}
# joints of each model that form the SMPL-52 layout (SMPL-X: drop jaw 22 and eyes 23, 24)
SMPL52_FROM = {"smplh": tuple(range(52)), "smplx": tuple(range(22)) + tuple(range(25, 55))}


@dataclass(frozen=True)
class BodyModel:
    """What the joints need: kinematic tree, rest joints and their shape directions, the hand mean pose."""

    kind: str  # "smplh" or "smplx"
    gender: str
    path: Path
    parents: np.ndarray  # (J,) int64, -1 for the root
    joints_template: np.ndarray  # (J, 3) rest joints of the mean shape
    joints_shapedirs: np.ndarray  # (J, 3, B)
    hand_mean: np.ndarray  # (90,) left then right, axis-angle (the model's ``hands_mean``)

    @property
    def num_joints(self) -> int:
        return int(self.parents.shape[0])

    @property
    def num_betas(self) -> int:
        return int(self.joints_shapedirs.shape[-1])


def models_root(path: str | os.PathLike | None = None) -> Path:
    """The body-model folder: ``path`` if given, else ``$MOTIONBASE_BODY_MODELS``; one clear error if neither."""
    raw = path if path not in (None, "") else os.environ.get(ENV_VAR)
    if not raw:
        raise BodyModelError(f"no body-model folder: pass --body-models DIR or set {ENV_VAR}=DIR, with "
                             "DIR/smplh/SMPLH_MALE.npz (AMASS) or DIR/smplx/SMPLX_NEUTRAL.npz (Motion-X); "
                             "see docs/BODY_MODELS.md")
    root = Path(raw)
    if not root.is_dir():
        raise BodyModelError(f"{root}: body-model folder does not exist (from "
                             f"{'--body-models' if path else ENV_VAR})")
    return root


def model_file(root: Path, kind: str, gender: str) -> Path:
    """The model file for ``kind`` and ``gender`` under ``root``; :class:`BodyModelError` saying where to put it."""
    if kind not in MODEL_JOINTS:
        raise BodyModelError(f"unknown body model type {kind!r}; expected one of {', '.join(MODEL_JOINTS)}")
    if gender not in GENDERS:
        raise BodyModelError(f"unknown gender {gender!r}; expected one of {', '.join(GENDERS)}")
    name = f"{kind.upper()}_{gender.upper()}"
    candidates = [root / kind / f"{name}.npz", root / kind / f"{name}.pkl", root / f"{name}.npz",
                  root / kind / gender / "model.npz"]
    for c in candidates:
        if c.is_file():
            return c
    raise BodyModelError(f"{root / kind / (name + '.npz')}: missing {kind.upper()} {gender} model file; download it "
                         f"from {MODEL_SITES[kind]} and put it there (motionbase cannot ship it)")


def _load_smplx_class(kind: str, path: Path, gender: str):
    import torch

    try:
        import smplx
    except ImportError:
        raise BodyModelError("body-model datasets need the smplx package: pip install 'motionbase[body]'") from None
    cls = smplx.SMPLH if kind == "smplh" else smplx.SMPLX
    ext = "pkl" if path.suffix == ".pkl" else "npz"
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # smplx prints warnings about shape-space sizes
            return cls(str(path), gender=gender, ext=ext, use_pca=False, flat_hand_mean=False, num_betas=16,
                       dtype=torch.float64).eval()
    except (KeyError, ValueError, OSError, AttributeError, IndexError, RuntimeError, TypeError,
            AssertionError) as exc:
        raise BodyModelError(f"{path}: not a usable {kind.upper()} model file ({type(exc).__name__}: {exc})") from None


@functools.lru_cache(maxsize=8)
def load_body_model(kind: str, gender: str, root: str) -> BodyModel:
    """Load ``kind`` ("smplh"/"smplx") of ``gender`` from the folder ``root`` (see :func:`models_root`)."""
    import torch

    path = model_file(Path(root), kind, gender)
    model = _load_smplx_class(kind, path, gender)
    J = model.J_regressor.shape[0]
    if J != MODEL_JOINTS[kind]:
        other = next((k for k, n in MODEL_JOINTS.items() if n == J), "an unknown model")
        raise BodyModelError(f"{path}: wrong model type: {J} joints ({other}), expected {MODEL_JOINTS[kind]} "
                             f"({kind.upper()})")
    with torch.no_grad():
        reg = model.J_regressor
        template = (reg @ model.v_template).numpy()
        dirs = torch.einsum("jv,vcb->jcb", reg, model.shapedirs).numpy()
        hand_mean = torch.cat([model.left_hand_mean, model.right_hand_mean]).numpy()
    return BodyModel(kind, gender, path, model.parents.numpy().astype(np.int64), template, dirs, hand_mean)
