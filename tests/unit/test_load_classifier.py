"""load_classifier refuses a threshold out of range alike for both backends; the default
model is found from any folder."""

import re
from pathlib import Path

import pytest

from sounddetect.classifiers import default_model_dir, load_classifier
from sounddetect.exceptions import ParameterError
from sounddetect.spectrum import SpectrogramConfig

ARN = (
    "arn:aws:rekognition:eu-west-1:123456789012:project/smoke-alarms/version/"
    "smoke-alarms.2026-11-20T10.00.00/1763632800000"
)


@pytest.mark.parametrize("threshold", [2.0, -0.1, float("nan"), "0.5", True])
def test_a_threshold_outside_0_1_is_a_parameter_error_for_either_backend(tiny_model_dir, threshold):
    # an ONNX model took any as its threshold: above 1 no window was an alarm, below 0 all;
    # a string from a config file had been a TypeError, True taken for 1
    reason = rf"^threshold must be a number in \[0, 1\], got {re.escape(repr(threshold))}$"
    with pytest.raises(ParameterError, match=reason):
        load_classifier(str(tiny_model_dir), threshold=threshold)
    with pytest.raises(ParameterError, match=reason):
        load_classifier(ARN, config=SpectrogramConfig(), threshold=threshold)


@pytest.mark.parametrize("threshold", [0.0, 0.8, 1.0])
def test_a_threshold_in_range_is_the_onnx_model_s(tiny_model_dir, threshold):
    assert load_classifier(str(tiny_model_dir), threshold=threshold).threshold == threshold


ROOT = Path(__file__).resolve().parents[2]


def test_without_a_model_folder_here_the_default_is_the_installed_shipped_model(
    tmp_path, monkeypatch
):
    # GIVEN a folder with no models/ in it
    monkeypatch.chdir(tmp_path)
    # WHEN the default model is asked for THEN it is the one installed with the package,
    # the shipped model byte for byte
    model_dir = default_model_dir()
    assert model_dir.is_absolute()
    for name in ("model.onnx", "model.json"):
        assert (model_dir / name).read_bytes() == (ROOT / "models" / "default" / name).read_bytes()
    assert load_classifier(str(model_dir)).backend == "onnx"
    # and the Path default_model_dir gives loads as its text does
    assert load_classifier(model_dir).describe() == load_classifier(str(model_dir)).describe()
    # threads None is one per core, as 0 (the docstring's "the backend's default" of before)
    assert load_classifier(model_dir, threads=None).threads == 0
    with pytest.raises(ParameterError, match="^model must be a model folder or a Rekognition"):
        load_classifier(None)


def test_a_models_default_folder_here_is_the_default_model(tmp_path, monkeypatch):
    # GIVEN a folder where `sounddetect train` put its model by default
    (tmp_path / "models" / "default").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    # WHEN the default model is asked for THEN it is that folder, even before it holds a model
    # (its own error then says what is missing, rather than another model being used)
    assert default_model_dir() == Path("models/default")
