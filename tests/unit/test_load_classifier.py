"""load_classifier refuses a threshold out of range alike for both backends."""

import pytest

from sounddetect.classifiers import load_classifier
from sounddetect.exceptions import ParameterError
from sounddetect.spectrum import SpectrogramConfig

ARN = (
    "arn:aws:rekognition:eu-west-1:123456789012:project/smoke-alarms/version/"
    "smoke-alarms.2026-11-20T10.00.00/1763632800000"
)


@pytest.mark.parametrize("threshold", [2.0, -0.1, float("nan")])
def test_a_threshold_outside_0_1_is_a_parameter_error_for_either_backend(tiny_model_dir, threshold):
    # an ONNX model took any as its threshold: above 1 no window was an alarm, below 0 all
    reason = rf"^threshold must be in \[0, 1\], got {threshold}$"
    with pytest.raises(ParameterError, match=reason):
        load_classifier(str(tiny_model_dir), threshold=threshold)
    with pytest.raises(ParameterError, match=reason):
        load_classifier(ARN, config=SpectrogramConfig(), threshold=threshold)


@pytest.mark.parametrize("threshold", [0.0, 0.8, 1.0])
def test_a_threshold_in_range_is_the_onnx_model_s(tiny_model_dir, threshold):
    assert load_classifier(str(tiny_model_dir), threshold=threshold).threshold == threshold
