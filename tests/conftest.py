"""Fixtures shared by every test folder."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.tiny_model import write_tiny_model


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator: tests are deterministic."""
    return np.random.default_rng(20260101)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A model directory (model.onnx + model.json, default mel config, threshold 0.5)
    holding a tiny real ONNX model: a loud steady tone scores high, noise and silence low."""
    return write_tiny_model(tmp_path_factory.mktemp("models") / "tiny")
