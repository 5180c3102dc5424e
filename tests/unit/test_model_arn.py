"""One check of a Rekognition model ARN (classifiers.base.check_model_arn), the same for
RekognitionClassifier, load_classifier (the CLI's --model) and the Lambda's settings."""

import pytest

from sounddetect.classifiers import RekognitionClassifier, load_classifier
from sounddetect.classifiers.base import PLACEHOLDER_ARN, check_model_arn
from sounddetect.exceptions import ParameterError
from sounddetect.lambda_config import LambdaSettings, read_settings
from sounddetect.spectrum import SpectrogramConfig

ARN = (
    "arn:aws:rekognition:us-east-1:123456789012:project/smoke-alarms/version/"
    "smoke-alarms.2026-11-20T10.00.00/1763632800000"
)
PROJECT_ARN = "arn:aws:rekognition:us-east-1:123456789012:project/smoke-alarms/1763000000000"


def test_a_version_arn_is_matched():
    match = check_model_arn(ARN)
    assert match.group("region", "account", "created") == (
        "us-east-1",
        "123456789012",
        "1763632800000",
    )


@pytest.mark.parametrize(
    ("arn", "reason"),
    [
        (PLACEHOLDER_ARN, r"^Rekognition model ARN is 'CHANGE_ME': set it to your project"),
        ("", r"^Rekognition model ARN is '': set it to your project"),
        (PROJECT_ARN, r"\(that is a project ARN: DetectCustomLabels needs the ARN of a model"),
        (ARN[:-1], r"not a Rekognition project version ARN \(expected arn:aws:rekognition:"),
    ],
)
def test_every_caller_refuses_an_arn_with_the_same_reason(arn, reason):
    with pytest.raises(ParameterError, match=reason) as checked:
        check_model_arn(arn)
    with pytest.raises(ParameterError) as constructed:
        RekognitionClassifier(arn, config=SpectrogramConfig())
    assert str(constructed.value) == str(checked.value)
    if arn:  # load_classifier takes "" for a model folder
        with pytest.raises(ParameterError) as loaded:
            load_classifier(arn, config=SpectrogramConfig())
        assert str(loaded.value) == str(checked.value)
    # the Lambda adds where the ARN is set
    with pytest.raises(ParameterError) as configured:
        read_settings({"MODEL_ARN": arn})
    where = "MODEL_ARN (SAM parameter ModelArn: `sam deploy --guided`, or samconfig.toml)"
    assert str(configured.value) == f"{where}: {checked.value}"


def test_the_lambda_s_unset_arn_is_the_placeholder():
    assert LambdaSettings().model_arn == PLACEHOLDER_ARN == "CHANGE_ME"
