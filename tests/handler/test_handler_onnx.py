"""The handler with Classifier=onnx: a real (tiny) ONNX model from the artifact's model
directory, its config checked against the deployment's at cold start."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from helpers.signals import noise, plant_room, t3_alarm, tone, write_wav
from lambda_helpers import LambdaContext, event_for, handler_environment

from sounddetect.exceptions import FailedRecordsError, ModelError, ParameterError

SR = 16000


@dataclass
class SpentContext(LambdaContext):
    """900 s left until the first result is stored, 12 s after: the event's first record
    used up the invocation. Told by the bucket, not by how often the time is asked for."""

    aws: Any = None

    def get_remaining_time_in_millis(self) -> int:
        return 12_000 if self.aws.result_keys() else 900_000


def onnx_environment(aws, model_dir, **overrides):
    return handler_environment(
        aws, CLASSIFIER="onnx", MODEL_ARN="CHANGE_ME", ONNX_MODEL_DIR=str(model_dir), **overrides
    )


def test_tone_is_an_alarm_and_noise_is_not(
    aws, load_app, tiny_model_dir, tmp_path, rng, lambda_context
):
    app = load_app(onnx_environment(aws, tiny_model_dir))
    aws.upload("uploads/tone.wav", write_wav(tmp_path / "t.wav", tone(8.0, sr=SR), SR))
    aws.upload("uploads/noise.wav", write_wav(tmp_path / "n.wav", noise(8.0, sr=SR, rng=rng), SR))
    event = event_for(aws, "s3-put-two-records.json", "uploads/tone.wav", "uploads/noise.wav")

    app.lambda_handler(event, lambda_context)

    tone_result = aws.stored_result("results/tone.wav.json")
    assert tone_result["alarm"] is True
    assert tone_result["classifier"]["backend"] == "onnx"
    assert tone_result["classifier"]["model"] == "tiny"
    assert aws.stored_result("results/noise.wav.json")["alarm"] is False
    assert len(aws.alerts()) == 1


def test_a_model_with_a_sounding_output_places_the_event_on_the_alarm(
    aws, load_app, tmp_path, rng, lambda_context
):
    from helpers.tiny_model import write_tiny_model

    # GIVEN the tiny model with its per-time-step output, and quiet noise with a tone
    # from 10.3 s to 22.3 s
    model_dir = write_tiny_model(tmp_path / "tiny-sounding", sounding=True)
    app = load_app(onnx_environment(aws, model_dir))
    y = noise(32.0, sr=SR, rng=rng, amplitude=0.01)
    y[int(10.3 * SR) : int(22.3 * SR)] += tone(12.0, sr=SR)
    aws.upload("uploads/kitchen.wav", write_wav(tmp_path / "k.wav", y, SR))
    # WHEN the upload is processed
    app.lambda_handler(event_for(aws, "s3-put-wav.json", "uploads/kitchen.wav"), lambda_context)
    # THEN the stored result's event starts and ends with the tone, as the CLI's does
    (event,) = aws.stored_result("results/kitchen.wav.json")["events"]
    assert event["start"] == pytest.approx(10.3, abs=0.1)
    assert event["end"] == pytest.approx(22.3, abs=0.1)


@pytest.mark.parametrize(("groups", "alarm"), [(None, True), ("6", False), ("0", False)])
def test_the_beep_pattern_search_follows_its_setting(
    aws, load_app, tiny_model_dir, tmp_path, rng, lambda_context, groups, alarm
):
    # A 520 Hz temporal-three alarm, five groups 9 dB under noise: the tiny model misses it,
    # the search finds it unless the deployment asks for six groups or turns it off.
    y = noise(32.0, sr=SR, rng=rng, amplitude=0.1)
    y[6 * SR : 26 * SR] += t3_alarm(20.0, sr=SR, freq_hz=520.0, amplitude=0.05)
    overrides = {} if groups is None else {"BEEP_PATTERN_GROUPS": groups}
    app = load_app(onnx_environment(aws, tiny_model_dir, **overrides))
    aws.upload("uploads/hall.wav", write_wav(tmp_path / "h.wav", y, SR))
    app.lambda_handler(event_for(aws, "s3-put-wav.json", "uploads/hall.wav"), lambda_context)
    result = aws.stored_result("results/hall.wav.json")
    assert result["alarm"] is alarm
    assert all(w["label"] == "no_alarm" for w in result["windows"])
    assert len(aws.alerts()) == int(alarm)


def test_relative_model_dir_is_taken_from_the_task_root(aws, load_app, tiny_model_dir, tmp_path):
    shutil.copytree(tiny_model_dir, tmp_path / "model")
    app = load_app(onnx_environment(aws, "model", LAMBDA_TASK_ROOT=str(tmp_path)))
    assert app.SETTINGS.model_dir == tmp_path / "model"
    assert app.CLASSIFIER.backend == "onnx"


def test_missing_model_says_to_run_make_demo(aws, load_app, tmp_path):
    with pytest.raises(ModelError, match=r"run `make demo` .* before `sam build`"):
        load_app(onnx_environment(aws, tmp_path / "model"))


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"SAMPLE_DURATION": "2", "WINDOW_HOP": "1"}, r"duration: model 4.0, deployment 2.0"),
        ({"SPECTROGRAM_CONFIG": '{"n_mels": 64}'}, r"n_mels: model 128, deployment 64"),
        # a value that does not fit the model's other fields (its fmax above 4 kHz) is a
        # mismatch to explain too, not "need fmin < fmax <= sr/2"
        ({"SPECTROGRAM_CONFIG": '{"sr": 8000}'}, r"different spectrogram config \(sr: model "),
    ],
)
def test_deployment_config_must_match_the_model(aws, load_app, tiny_model_dir, overrides, match):
    with pytest.raises(ModelError, match=match):
        load_app(onnx_environment(aws, tiny_model_dir, **overrides))


def test_a_model_of_other_windows_runs_with_the_template_defaults(
    aws, load_app, tiny_model_dir, tmp_path, lambda_context
):
    # GIVEN a model trained on 2 s windows and the template's defaults (SampleDuration and
    # WindowHop auto), where a fixed 4 s default failed every cold start
    model_dir = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model_dir)
    card = json.loads((model_dir / "model.json").read_text())
    card["config"]["duration"] = 2.0
    (model_dir / "model.json").write_text(json.dumps(card))
    app = load_app(onnx_environment(aws, model_dir))
    # WHEN an 8 s recording is delivered
    aws.upload("uploads/tone.wav", write_wav(tmp_path / "t.wav", tone(8.0, sr=SR), SR))
    app.lambda_handler(event_for(aws, "s3-put-wav.json", "uploads/tone.wav"), lambda_context)
    # THEN it is rendered in the model's 2 s windows, half a window apart
    assert app.CLASSIFIER.config.duration == 2.0
    windows = aws.stored_result("results/tone.wav.json")["windows"]
    assert [(w["start"], w["end"]) for w in windows[:3]] == [(0.0, 2.0), (1.0, 3.0), (2.0, 4.0)]


def test_a_recording_no_invocation_has_time_for_gets_a_result_not_a_timeout(
    aws, load_app, tiny_model_dir, tmp_path
):
    # GIVEN the local model and invocations of 10 s in all, under the time kept for storing
    # a result
    app = load_app(onnx_environment(aws, tiny_model_dir))
    aws.upload("uploads/night.wav", write_wav(tmp_path / "t.wav", tone(8.0, sr=SR), SR))
    context = LambdaContext(remaining_ms=10_000)

    # WHEN the upload is delivered, the handler returns normally (no retry: a retry's
    # invocation would have no more time, and the model's pace is this function's own)
    response = app.lambda_handler(event_for(aws, "s3-put-wav.json", "uploads/night.wav"), context)

    # THEN a result says why it was not analysed, and nothing was alerted
    assert response["results"][0]["status"] == "rejected"
    result = aws.stored_result("results/night.wav.json")
    assert result["error"]["type"] == "AudioError"
    assert result["error"]["message"] == (
        f"s3://{aws.bucket}/uploads/night.wav: not analysed: the time left ran out before it began"
    )
    assert aws.alerts() == []


def test_a_record_the_invocation_has_no_time_left_for_is_retried(
    aws, load_app, tiny_model_dir, tmp_path, rng
):
    # GIVEN the two-record sample event, a quiet bedroom and a garage alarm, with the
    # invocation used up once the first record's result is stored
    app = load_app(onnx_environment(aws, tiny_model_dir))
    sf.write(tmp_path / "bedroom.flac", noise(8.0, sr=SR, rng=rng, amplitude=0.01), SR)
    sf.write(tmp_path / "garage.ogg", tone(8.0, sr=SR), SR)
    aws.upload("uploads/bedroom.flac", tmp_path / "bedroom.flac")
    aws.upload("uploads/garage.ogg", tmp_path / "garage.ogg")
    event = event_for(aws, "s3-put-two-records.json")

    downloaded = []
    app.S3.meta.events.register(
        "provide-client-params.s3.GetObject",
        lambda params, **_: downloaded.append(params["Key"]),
    )

    # WHEN it is delivered, THEN the second record fails the event once the first is
    # stored: nothing is stored for it, so no repeat takes it for a duplicate, and it is
    # not downloaded either (a download may itself outlast the invocation)
    garage = f"s3://{aws.bucket}/uploads/garage.ogg"
    with pytest.raises(FailedRecordsError) as raised:
        app.lambda_handler(event, SpentContext(aws=aws))
    assert str(raised.value) == (
        "1 of 2 uploads failed and will be retried: "
        f"{garage}: not analysed: the time left ran out before it began"
    )
    assert aws.result_keys() == ["results/bedroom.flac.json"] and aws.alerts() == []
    assert "uploads/garage.ogg" not in downloaded and "uploads/bedroom.flac" in downloaded

    # AND Lambda's retry, a fresh invocation, analyses it and sends its alert
    response = app.lambda_handler(event, LambdaContext())
    assert [r["status"] for r in response["results"]] == ["duplicate", "processed"]
    assert aws.stored_result("results/garage.ogg.json")["alarm"] is True
    assert len(aws.alerts()) == 1


def test_a_hop_under_the_shortest_fails_the_cold_start(aws, load_app, tiny_model_dir):
    # Set in the environment by hand (the SAM parameter has a floor): every upload would
    # fail on it, and be retried.
    with pytest.raises(ParameterError, match=r"^WINDOW_HOP=0.00001 .* must be >= 0.1 s"):
        load_app(onnx_environment(aws, tiny_model_dir, WINDOW_HOP="0.00001"))


@pytest.mark.parametrize(("setting", "alarm"), [("true", True), ("false", False)])
def test_continuous_tones_false_leaves_a_plant_room_s_whine_out(
    aws, load_app, tmp_path, rng, lambda_context, setting, alarm
):
    # GIVEN the shipped model and a plant room's steady 3.4 kHz whine
    from sounddetect.classifiers import default_model_dir

    app = load_app(onnx_environment(aws, default_model_dir(), CONTINUOUS_TONES=setting))
    whine, _ = plant_room(30.0, sr=SR, rng=rng)
    aws.upload("uploads/vfd.wav", write_wav(tmp_path / "v.wav", whine, SR))
    # WHEN it is uploaded
    app.lambda_handler(event_for(aws, "s3-put-wav.json", "uploads/vfd.wav"), lambda_context)
    # THEN it is an alarm unless ContinuousTones is false; a false alarm sends an alert
    assert aws.stored_result("results/vfd.wav.json")["alarm"] is alarm
    assert len(aws.alerts()) == int(alarm)


@pytest.mark.parametrize(("setting", "alarm"), [("true", True), ("false", False)])
def test_pulse_patterns_true_finds_a_steadily_beeping_piezo(
    aws, load_app, tmp_path, rng, lambda_context, tiny_model_dir, setting, alarm
):
    # GIVEN a 3.1 kHz piezo beeping 0.4 s every second, under noise, which the tiny model
    # does not hear
    app = load_app(onnx_environment(aws, tiny_model_dir, PULSE_PATTERNS=setting))
    y = noise(30.0, sr=SR, rng=rng, amplitude=0.05)
    for onset in np.arange(2.0, 28.0, 1.0):
        start = int(onset * SR)
        y[start : start + int(0.4 * SR)] += tone(0.4, sr=SR, freq_hz=3100.0, amplitude=0.05)
    aws.upload("uploads/pulsing.wav", write_wav(tmp_path / "p.wav", y, SR))
    # WHEN it is uploaded
    app.lambda_handler(event_for(aws, "s3-put-wav.json", "uploads/pulsing.wav"), lambda_context)
    # THEN it is an alarm only with PulsePatterns true
    assert aws.stored_result("results/pulsing.wav.json")["alarm"] is alarm


def test_continuous_tones_false_with_a_model_that_cannot_tell_fails_at_cold_start(
    aws, load_app, tiny_model_dir
):
    # GIVEN a bundled model without the alarm-sounding output and ContinuousTones=false
    env = onnx_environment(aws, tiny_model_dir, CONTINUOUS_TONES="false")
    # THEN the cold start refuses it, not every upload after it
    with pytest.raises(ModelError, match="CONTINUOUS_TONES=false .* no sounding output"):
        load_app(env)
