"""The handler with the Rekognition backend behind a botocore Stubber: the exact requests
(ARN, MinConfidence, PNG bytes of the configured size), realistic answers, and every
service error the function must turn into a retry or a clear configuration error."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber
from helpers.signals import noise, t3_alarm, write_wav
from lambda_helpers import (
    MODEL_ARN,
    emitted_metrics,
    event_for,
    handler_environment,
    whole_config,
)

from sounddetect import spectrum, windows
from sounddetect.audio import load_audio
from sounddetect.exceptions import FailedRecordsError, ParameterError
from sounddetect.spectrum import SpectrogramConfig

SR = 16000
#: What DetectCustomLabels answers with MinConfidence=0 for a binary project: both labels,
#: confidence in percent, the likelier first.
ALARM_ANSWER = {
    "CustomLabels": [
        {"Name": "alarm", "Confidence": 98.613},
        {"Name": "no_alarm", "Confidence": 1.387},
    ]
}
QUIET_ANSWER = {
    "CustomLabels": [
        {"Name": "no_alarm", "Confidence": 99.102},
        {"Name": "alarm", "Confidence": 0.898},
    ]
}
#: An uncertain window: neither label reaches 50 %.
UNSURE_ANSWER = {
    "CustomLabels": [
        {"Name": "no_alarm", "Confidence": 48.0},
        {"Name": "alarm", "Confidence": 46.5},
    ]
}


@pytest.fixture
def app(aws, load_app):
    # One request at a time: a Stubber answers in call order.
    return load_app(handler_environment(aws, REKOGNITION_MAX_WORKERS="1"))


@pytest.fixture
def recording(tmp_path, rng):
    """10 s, an alarm from 5 s: windows 0-4, 2-6, 4-8, 6-10 (4 s, hop 2 s)."""
    y = noise(10.0, sr=SR, rng=rng, amplitude=0.003)
    y[5 * SR :] += t3_alarm(5.0, sr=SR)
    return write_wav(tmp_path / "hall.wav", y, SR)


def expected_pngs(path, config: SpectrogramConfig) -> list[bytes]:
    """The PNG of each window, rendered one by one from the whole decoded file."""
    y, _ = load_audio(path, sr=config.sr)
    starts = windows.window_starts(
        len(y), window_samples=config.window_samples, hop_samples=2 * config.sr
    )
    return [
        spectrum.encode_png(
            spectrum.render_spectrogram(y[s : s + config.window_samples], config=config)
        )
        for s in starts
    ]


def test_requests_are_exact_and_answers_become_the_result(aws, app, recording, lambda_context):
    # GIVEN the Stubber expects one request per window, in time order
    aws.upload("uploads/hall.wav", recording)
    pngs = expected_pngs(recording, SpectrogramConfig())
    assert len(pngs) == 4
    answers = [UNSURE_ANSWER, ALARM_ANSWER, ALARM_ANSWER, ALARM_ANSWER]
    with Stubber(app.CLASSIFIER.client) as stubber:
        for png, answer in zip(pngs, answers, strict=True):
            stubber.add_response(
                "detect_custom_labels",
                answer,
                {"ProjectVersionArn": MODEL_ARN, "Image": {"Bytes": png}, "MinConfidence": 0.0},
            )
        # WHEN the upload is processed
        app.lambda_handler(event_for(aws, "s3-put-wav.json", "uploads/hall.wav"), lambda_context)
        # THEN every expected request was made, exactly
        stubber.assert_no_pending_responses()

    for png in pngs:
        assert spectrum.decode_png(png).shape == (128, 128)
    result = aws.stored_result("results/hall.wav.json")
    # The unsure window keeps its probability, under the threshold: not a certain no_alarm
    assert [(w["start"], w["label"], w["confidence"]) for w in result["windows"]] == [
        (0.0, "no_alarm", 0.535),
        (2.0, "alarm", 0.9861),
        (4.0, "alarm", 0.9861),
        (6.0, "alarm", 0.9861),
    ]
    assert result["events"] == [{"label": "alarm", "start": 2.0, "end": 10.0, "confidence": 0.9861}]
    assert result["classifier"]["model"] == MODEL_ARN
    assert result["classifier"]["threshold"] == 0.5


def stub_error(app, code: str, message: str, status: int) -> Stubber:
    stubber = Stubber(app.CLASSIFIER.client)
    stubber.add_client_error(
        "detect_custom_labels",
        service_error_code=code,
        service_message=message,
        http_status_code=status,
    )
    stubber.activate()
    return stubber


@pytest.mark.parametrize(
    ("code", "message", "status", "reason"),
    [
        (
            "ResourceNotReadyException",
            "ProjectVersion arn is not ready",
            400,
            f"start it with `aws rekognition start-project-version --project-version-arn "
            f"{MODEL_ARN}",
        ),
        ("ThrottlingException", "Rate exceeded", 400, "ThrottlingException after retries"),
        ("InternalServerError", "Internal error", 500, "InternalServerError after retries"),
        ("ResourceNotFoundException", "The resource does not exist", 400, "ResourceNotFound"),
        ("AccessDeniedException", "not authorized", 400, "AccessDeniedException"),
    ],
)
def test_service_errors_fail_the_invocation_and_store_nothing(
    aws, app, recording, lambda_context, capsys, code, message, status, reason
):
    aws.upload("uploads/hall.wav", recording)
    event = event_for(aws, "s3-put-wav.json", "uploads/hall.wav")
    stub_error(app, code, message, status)

    with pytest.raises(FailedRecordsError, match="1 of 1 uploads failed") as raised:
        app.lambda_handler(event, lambda_context)

    assert reason in str(raised.value)
    assert aws.result_keys() == []  # a retry must find nothing and redo the work
    assert aws.alerts() == []
    (line,) = [line for line in app.logs() if line.get("status") == "failed"]
    assert line["level"] == "ERROR" and reason in line["message"]
    assert line["key"] == "uploads/hall.wav"
    assert emitted_metrics(capsys.readouterr().out)["FilesFailed"] == 1


def test_model_not_running_then_started_processes_on_retry(aws, app, recording, lambda_context):
    # GIVEN an event with a non-audio upload and a recording, and a model not yet running
    aws.upload("uploads/notes.txt", b"meeting notes\n")
    aws.upload("uploads/hall.wav", recording)
    event = event_for(aws, "s3-put-two-records.json", "uploads/notes.txt", "uploads/hall.wav")
    stubber = stub_error(app, "ResourceNotReadyException", "not ready", 400)

    # WHEN it is delivered: the text file is settled, the recording fails after it
    with pytest.raises(FailedRecordsError, match="start-project-version"):
        app.lambda_handler(event, lambda_context)
    assert aws.result_keys() == ["results/notes.txt.json"]

    # AND Lambda retries it once the model runs
    stubber.deactivate()
    with Stubber(app.CLASSIFIER.client) as running:
        for answer in [QUIET_ANSWER, ALARM_ANSWER, ALARM_ANSWER, ALARM_ANSWER]:
            running.add_response("detect_custom_labels", answer)
        response = app.lambda_handler(event, lambda_context)

    # THEN the settled record is not redone, the recording is processed and alerted once
    assert [r["status"] for r in response["results"]] == ["duplicate", "processed"]
    assert aws.stored_result("results/hall.wav.json")["alarm"] is True
    assert len(aws.alerts()) == 1


@pytest.mark.parametrize(
    ("arn", "match"),
    [
        ("CHANGE_ME", r"^MODEL_ARN \(SAM parameter ModelArn.*ARN is 'CHANGE_ME'"),
        ("arn:aws:rekognition:us-east-1:123456789012:project/smoke/1690000000000", "project ARN"),
        ("not-an-arn", "not a Rekognition project version ARN"),
    ],
)
def test_unset_or_malformed_arn_fails_at_cold_start(aws, load_app, arn, match):
    with pytest.raises(ParameterError, match=match):
        load_app(handler_environment(aws, MODEL_ARN=arn))


def test_cold_start_configuration_error_is_logged(aws, load_app, caplog):
    with pytest.raises(ParameterError):
        load_app(handler_environment(aws, MODEL_ARN="CHANGE_ME"))
    # one line naming the variable and the reason, not only the traceback
    (record,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert record.getMessage().startswith("configuration error: MODEL_ARN (SAM parameter ModelArn")
    assert "ARN is 'CHANGE_ME': set it to your project version ARN" in record.getMessage()


def test_spectrogram_config_reaches_the_renderer(aws, load_app):
    app = load_app(handler_environment(aws, SPECTROGRAM_CONFIG=whole_config(n_mels=64, width=96)))
    config = app.CLASSIFIER.config
    assert (config.n_mels, config.width, config.duration) == (64, 96, 4.0)
