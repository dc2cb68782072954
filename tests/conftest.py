from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


def load_hml(name: str, kind: str) -> np.ndarray:
    return np.load(DATA / "humanml3d" / kind / f"{name}.npy")
