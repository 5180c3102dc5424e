"""sounddetect.result: which failed results a retry can help (the Lambda's retry rule)."""

import pytest

from sounddetect.exceptions import AudioError, ModelError, ParameterError, TransientError
from sounddetect.result import error_result, is_permanent, is_transient, make_result

FILE = "s3://bucket/uploads/kitchen.wav"


@pytest.mark.parametrize(
    ("error", "permanent", "transient"),
    [
        # not audio: no retry can change the file, so the Lambda stores the result
        (AudioError("not an audio file"), True, False),
        # may pass by itself: retried as it is
        (TransientError("ThrottlingException after retries"), False, True),
        # a model or setting to fix: neither stored nor passing by itself, kept for a retry
        (ModelError("AccessDeniedException"), False, False),
        (ParameterError("hop_s must be in (0, 4.0] s"), False, False),
    ],
)
def test_permanent_and_transient_failures_are_told_apart(error, permanent, transient):
    result = error_result(FILE, error)
    assert is_permanent(result) is permanent
    assert is_transient(result) is transient


def test_a_result_without_an_error_is_neither():
    result = make_result(
        FILE, duration_s=8.0, sample_rate=16000, events=[], windows=[], classifier={}
    )
    assert not is_permanent(result) and not is_transient(result)
