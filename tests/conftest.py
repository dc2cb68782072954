from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


def load_hml(name: str, kind: str) -> np.ndarray:
    return np.load(DATA / "humanml3d" / kind / f"{name}.npy")


def pytest_configure(config):
    # CI has 2 cores; tiny models run many times faster single-threaded than with torch's default threads.
    import torch

    torch.set_num_threads(1)
