"""sounddetect.lambda_config: the function's settings, validated at cold start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lambda_helpers import MODEL_ARN, whole_config

from sounddetect.exceptions import ParameterError
from sounddetect.lambda_config import LambdaSettings, check_prefixes, read_settings
from sounddetect.s3_detect import result_key
from sounddetect.spectrum import SpectrogramConfig

#: A Rekognition deployment's config with every field, its duration given as null.
WHOLE_BUT_NULL_DURATION = json.dumps({**SpectrogramConfig().to_dict(), "duration": None})


def test_a_whole_rekognition_config_and_the_template_defaults_are_read():
    whole = SpectrogramConfig(n_mels=64).to_dict()
    settings = read_settings({"MODEL_ARN": MODEL_ARN, "SPECTROGRAM_CONFIG": json.dumps(whole)})
    assert settings == LambdaSettings(
        model_arn=MODEL_ARN, model_dir=Path("model"), spectrogram_fields=whole
    )
    # auto: the config's window, half of it between windows (detect_file)
    assert settings.spectrogram_config() == SpectrogramConfig(n_mels=64)
    assert settings.hop_s is None
    assert settings.max_upload_bytes == 1024 * 2**20


@pytest.mark.parametrize(
    ("fields", "left_out"),
    [
        ({}, "bins_per_octave, cmap, duration, fmax, fmin, height, hop_length, kind, n_chroma"),
        ({**SpectrogramConfig().to_dict(), "duration": None}, "not leave duration to"),
        ({"kind": "mel", "n_mels": 128}, "duration, fmax, fmin, height, hop_length, n_chroma"),
    ],
)
def test_a_rekognition_config_that_leaves_fields_to_the_defaults_is_refused(fields, left_out):
    # GIVEN a Rekognition deployment's config that leaves fields to this version's defaults
    # (a later version's defaults would change what its model sees, without a word)
    text = json.dumps({name: value for name, value in fields.items() if value is not None})
    env = {"MODEL_ARN": MODEL_ARN, "SPECTROGRAM_CONFIG": text}
    # THEN the cold start refuses it, naming the fields and where the whole config is
    with pytest.raises(ParameterError, match=r"must give the whole config") as caught:
        read_settings(env)
    assert left_out in str(caught.value)
    assert "jq -c .configs.mel training-data/dataset.json" in str(caught.value)
    # AND SAMPLE_DURATION may give the window, the one field it sets
    if left_out == "not leave duration to":
        assert read_settings({**env, "SAMPLE_DURATION": "4"}).spectrogram_config().duration == 4
    # AND a local model takes the rest from its model.json, so it may leave them out
    assert read_settings({**env, "CLASSIFIER": "onnx"}).classifier == "onnx"


def test_a_partial_rekognition_config_is_told_whole_before_its_fields_are_judged():
    # GIVEN a partial config whose one field does not fit the defaults of the others
    env = {"MODEL_ARN": MODEL_ARN, "SPECTROGRAM_CONFIG": '{"sr": 8000}', "WINDOW_HOP": "9"}
    # THEN the error is that it is partial, not about fmax or the window it never set
    with pytest.raises(ParameterError, match="must give the whole config") as caught:
        read_settings(env)
    left_out = str(caught.value).split("not leave ")[1].split(" to this version")[0]
    assert "fmax" in left_out.split(", ") and "sr" not in left_out.split(", ")


def test_a_whole_config_and_the_same_sample_duration_agree():
    env = {"MODEL_ARN": MODEL_ARN, "SPECTROGRAM_CONFIG": whole_config(duration=2.5)}
    assert read_settings({**env, "SAMPLE_DURATION": "2.5"}).spectrogram_config().duration == 2.5
    with pytest.raises(ParameterError, match="duration=2.5 but SAMPLE_DURATION"):
        read_settings({**env, "SAMPLE_DURATION": "4"})


def test_values_are_read():
    settings = read_settings(
        {
            "CLASSIFIER": "ONNX",
            "MIN_CONFIDENCE": "70",
            "SAMPLE_DURATION": "2.5",
            "WINDOW_HOP": "0.5",
            "MIN_EVENT_DURATION": "3",
            "MIN_EVENT_WINDOWS": "2",
            "EVENT_MERGE_GAP": "0",
            "BEEP_PATTERN_GROUPS": "0",
            "SPECTROGRAM_CONFIG": '{"kind": "linear", "duration": 2.5}',
            "ONNX_MODEL_DIR": "/opt/model",
            "ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:alerts",
            "MAX_UPLOAD_MB": "10",
            "REKOGNITION_MAX_WORKERS": "2",
        }
    )
    assert settings.classifier == "onnx"
    assert (settings.threshold_pct, settings.hop_s, settings.min_event_s) == (70.0, 0.5, 3.0)
    assert (settings.min_windows, settings.merge_gap_s) == (2, 0.0)
    assert settings.pattern_groups == 0
    assert settings.spectrogram_fields == {"kind": "linear", "duration": 2.5}
    assert settings.model_dir == Path("/opt/model")
    assert settings.topic_arn == "arn:aws:sns:us-east-1:123456789012:alerts"
    assert (settings.max_upload_bytes, settings.rekognition_max_workers) == (10 * 2**20, 2)


@pytest.mark.parametrize(
    ("env", "match"),
    [
        ({"CLASSIFIER": "sagemaker"}, "CLASSIFIER='sagemaker' .*choose one of rekognition, onnx"),
        (
            {"MODEL_ARN": ""},
            r"^MODEL_ARN \(SAM parameter ModelArn: .*\): Rekognition model ARN is ''",
        ),
        ({"MIN_CONFIDENCE": "0"}, r"MIN_CONFIDENCE=0.0 .* must be in \(0, 100\]"),
        ({"MIN_CONFIDENCE": "high"}, "MIN_CONFIDENCE='high' .*MinConfidence.* is not a number"),
        ({"WINDOW_HOP": "nan"}, "not a finite number"),
        (
            {"WINDOW_HOP": "0"},
            r"^WINDOW_HOP=0 \(SAM parameter WindowHop\) must be >= 0.1 s, or auto$",
        ),
        ({"WINDOW_HOP": "0.05"}, r"^WINDOW_HOP=0.05 \(SAM parameter WindowHop\) must be >= 0.1 s"),
        (
            {"WINDOW_HOP": "5", "SPECTROGRAM_CONFIG": whole_config()},
            r"WINDOW_HOP=5 s .* longer than the 4 s window",
        ),
        (
            {
                "WINDOW_HOP": "3",
                "SAMPLE_DURATION": "2.5",
                "SPECTROGRAM_CONFIG": whole_config(duration=None),
            },
            "longer than the 2.5 s window",
        ),
        (
            {"WINDOW_HOP": "3", "SPECTROGRAM_CONFIG": whole_config(duration=2)},
            "longer than the 2 s window",
        ),
        ({"SPECTROGRAM_CONFIG": WHOLE_BUT_NULL_DURATION}, "duration must be a number, got None"),
        (
            {"SAMPLE_DURATION": "0", "WINDOW_HOP": "1"},
            r"^SAMPLE_DURATION=0 \(SAM parameter SampleDuration\) must be > 0 s, or auto$",
        ),
        (
            {"MIN_EVENT_DURATION": "-1"},
            r"^MIN_EVENT_DURATION=-1 \(SAM parameter MinEventDuration\) must be >= 0 s$",
        ),
        ({"SPECTROGRAM_CONFIG": "{kind: mel}"}, "SPECTROGRAM_CONFIG .* is not valid JSON"),
        ({"SPECTROGRAM_CONFIG": '["mel"]'}, "must be a JSON object"),
        ({"SPECTROGRAM_CONFIG": '{"nmels": 64}'}, "unknown fields nmels"),
        (
            {"SAMPLE_DURATION": "4", "SPECTROGRAM_CONFIG": '{"duration": 2}'},
            "duration=2 but SAMPLE_DURATION",
        ),
        (
            {"SPECTROGRAM_CONFIG": whole_config(kind="spectral")},
            "unknown spectrogram type 'spectral'",
        ),
        (
            {"SAMPLE_DURATION": "4", "SPECTROGRAM_CONFIG": '{"duration": null}'},
            "duration=None but SAMPLE_DURATION",
        ),
        (
            {"SPECTROGRAM_CONFIG": whole_config(n_mels="128")},
            r"^SPECTROGRAM_CONFIG \(SAM parameter SpectrogramConfig\) with SAMPLE_DURATION=auto: "
            r"spectrogram config n_mels must be an integer, got '128'$",
        ),
        (
            {"SPECTROGRAM_CONFIG": whole_config(n_mels=64.5)},
            "n_mels must be an integer, got 64.5",
        ),
        (
            {"SPECTROGRAM_CONFIG": whole_config(sr="16000")},
            "sr must be an integer, got '16000'",
        ),
        (
            {"MAX_UPLOAD_MB": "-1", "REKOGNITION_MAX_WORKERS": "2"},
            r"^MAX_UPLOAD_MB=-1 \(SAM parameter MaxUploadSizeMB\) must be > 0$",
        ),
        (
            {"MAX_UPLOAD_MB": "10", "REKOGNITION_MAX_WORKERS": "1.5"},
            r"^REKOGNITION_MAX_WORKERS=1.5 \(SAM parameter RekognitionMaxWorkers\) "
            "must be an integer from 1 to 256$",
        ),
        (
            {"MAX_UPLOAD_MB": "10", "REKOGNITION_MAX_WORKERS": "1000"},
            r"^REKOGNITION_MAX_WORKERS=1000 \(SAM parameter RekognitionMaxWorkers\) "
            "must be an integer from 1 to 256$",
        ),
        (
            {"MIN_EVENT_WINDOWS": "0", "EVENT_MERGE_GAP": "2"},
            r"^MIN_EVENT_WINDOWS=0 \(SAM parameter MinEventWindows\) must be an integer >= 1, or "
            "auto$",
        ),
        ({"MIN_EVENT_WINDOWS": "2.5"}, r"^MIN_EVENT_WINDOWS=2.5 \(SAM parameter MinEventWindows\)"),
        (
            {"MIN_EVENT_WINDOWS": "2", "EVENT_MERGE_GAP": "-2"},
            r"^EVENT_MERGE_GAP=-2 \(SAM parameter EventMergeGap\) must be >= 0 s, or auto$",
        ),
        (
            {"BEEP_PATTERN_GROUPS": "-1"},
            r"^BEEP_PATTERN_GROUPS=-1 \(SAM parameter BeepPatternGroups\) must be an integer >= 0",
        ),
        ({"BEEP_PATTERN_GROUPS": "2.5"}, "BEEP_PATTERN_GROUPS=2.5 .* must be an integer >= 0"),
        ({"EVENT_MERGE_GAP": "soon"}, "EVENT_MERGE_GAP='soon' .*EventMergeGap.* is not a number"),
        ({"RESULTS_PREFIX": "uploads/results/"}, "overlap: results written there would trigger"),
        ({"UPLOAD_PREFIX": "uploads"}, "UPLOAD_PREFIX='uploads' must look like 'folder/'"),
        ({"ALERT_TOPIC_ARN": "AlertTopic"}, r"ALERT_TOPIC_ARN='AlertTopic' is not an SNS topic"),
    ],
)
def test_bad_settings_are_refused_with_the_variable_named(env, match):
    with pytest.raises(ParameterError, match=match):
        read_settings({"MODEL_ARN": MODEL_ARN, **env})


@pytest.mark.parametrize("value", ["auto", "AUTO", " ", ""])
def test_event_rule_auto_leaves_it_to_the_hop(value):
    settings = read_settings(
        {"CLASSIFIER": "onnx", "MIN_EVENT_WINDOWS": value, "EVENT_MERGE_GAP": value}
    )
    assert (settings.min_windows, settings.merge_gap_s) == (None, None)


def test_onnx_with_auto_takes_the_window_from_its_model():
    # Only the model knows its window: nothing is fixed before model.json is read, and a
    # hop is checked against the window once the model is loaded.
    settings = read_settings({"CLASSIFIER": "onnx", "SAMPLE_DURATION": "auto", "WINDOW_HOP": "6"})
    assert (settings.spectrogram_fields, settings.hop_s) == ({}, 6.0)


def test_onnx_does_not_need_a_model_arn():
    assert read_settings({"CLASSIFIER": "onnx"}).model_arn == "CHANGE_ME"


@pytest.mark.parametrize(("upload", "results"), [("a/", "a/b/"), ("a/b/", "a/"), ("x/", "x/")])
def test_overlapping_prefixes_are_refused(upload, results):
    with pytest.raises(ParameterError, match="overlap"):
        check_prefixes(upload, results)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("uploads/kitchen.wav", "results/kitchen.wav.json"),
        (
            "uploads/2026/11/Küche Alarm+Test (1).wav",
            "results/2026/11/Küche Alarm+Test (1).wav.json",
        ),
    ],
)
def test_result_key_mirrors_the_upload_path(key, expected):
    assert result_key(key, upload_prefix="uploads/", results_prefix="results/") == expected


@pytest.mark.parametrize(("value", "expected"), [("false", False), (" FALSE ", False), ("", True)])
def test_continuous_tones_are_read_for_the_local_model(value, expected):
    settings = read_settings({"CLASSIFIER": "onnx", "CONTINUOUS_TONES": value})
    assert settings.continuous_tones is expected
    assert read_settings({"CLASSIFIER": "onnx"}).continuous_tones is True


def test_continuous_tones_refuse_other_words_and_a_rekognition_model():
    with pytest.raises(
        ParameterError,
        match=r"^CONTINUOUS_TONES='no' \(SAM parameter ContinuousTones\) must be true or false$",
    ):
        read_settings({"CLASSIFIER": "onnx", "CONTINUOUS_TONES": "no"})
    env = {"MODEL_ARN": MODEL_ARN, "SPECTROGRAM_CONFIG": whole_config()}
    with pytest.raises(ParameterError, match=r"CONTINUOUS_TONES=false .* needs the local model"):
        read_settings({**env, "CONTINUOUS_TONES": "false"})


@pytest.mark.parametrize(("value", "expected"), [("true", True), (" True ", True), ("", False)])
def test_pulse_patterns_are_read_off_by_default(value, expected):
    assert read_settings({"CLASSIFIER": "onnx", "PULSE_PATTERNS": value}).pulse_patterns is expected
    assert read_settings({"CLASSIFIER": "onnx"}).pulse_patterns is False
    with pytest.raises(
        ParameterError,
        match=r"^PULSE_PATTERNS='1' \(SAM parameter PulsePatterns\) must be true or false$",
    ):
        read_settings({"CLASSIFIER": "onnx", "PULSE_PATTERNS": "1"})
