"""Classifier backends: the ONNX model directory and Rekognition Custom Labels (stubbed)."""

import json
import re
import socket
import threading
from pathlib import Path

import boto3
import numpy as np
import onnx
import pytest
from botocore.stub import Stubber
from helpers.permissions import run_as_a_user
from helpers.signals import noise, tone
from helpers.tiny_model import write_tiny_model
from onnx import TensorProto, helper

from sounddetect import spectrum
from sounddetect.classifiers import (
    Classifier,
    OnnxClassifier,
    RekognitionClassifier,
    load_classifier,
)
from sounddetect.classifiers import rekognition as rekognition_module
from sounddetect.classifiers.onnx import onnx_sha256
from sounddetect.exceptions import ModelError, ParameterError, TransientError
from sounddetect.spectrum import SpectrogramConfig

ARN = (
    "arn:aws:rekognition:eu-west-1:123456789012:"
    "project/smoke/version/smoke.2026-01-01/1767225600000"
)
CONFIG = SpectrogramConfig()


@pytest.fixture
def images(rng):
    """Two rendered windows: a loud 3.1 kHz tone, then white noise."""
    sr = CONFIG.sr
    return np.stack(
        [
            spectrum.render_spectrogram(tone(CONFIG.duration, sr=sr), config=CONFIG),
            spectrum.render_spectrogram(noise(CONFIG.duration, sr=sr, rng=rng), config=CONFIG),
        ]
    )


@pytest.fixture
def aws_credentials(monkeypatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def rekognition(aws_credentials):
    """A stubbed Rekognition client and a classifier using it one request at a time."""
    client = boto3.client("rekognition", region_name="eu-west-1")
    with Stubber(client) as stubber:
        yield stubber, RekognitionClassifier(ARN, config=CONFIG, client=client, max_workers=1)
        stubber.assert_no_pending_responses()


# --- ONNX -------------------------------------------------------------------------------


def test_onnx_probabilities_follow_image_content(tiny_model_dir, images):
    classifier = OnnxClassifier.from_dir(tiny_model_dir)
    probabilities = classifier.classify(images)
    assert probabilities.dtype == np.float32 and probabilities.shape == (2,)
    assert probabilities[0] > 0.99
    assert probabilities[1] < 0.01


def test_onnx_reads_model_json(tiny_model_dir):
    classifier = OnnxClassifier.from_dir(tiny_model_dir, threads=1)
    assert isinstance(classifier, Classifier)
    assert classifier.config == CONFIG
    assert (classifier.backend, classifier.model, classifier.threshold) == ("onnx", "tiny", 0.5)
    assert classifier.describe() == {
        "backend": "onnx",
        "model": "tiny",
        "config": CONFIG.to_dict(),
        "threshold": 0.5,
    }
    assert classifier._session.get_session_options().intra_op_num_threads == 1


def test_onnx_empty_batch(tiny_model_dir):
    empty = np.zeros((0, CONFIG.height, CONFIG.width), np.uint8)
    assert OnnxClassifier.from_dir(tiny_model_dir).classify(empty).shape == (0,)


def test_onnx_sounding_output_says_where_in_the_window_the_tone_is(tmp_path, rng):
    # GIVEN the tiny model with its per-time-step output, and a window whose second half
    # holds a tone over quiet noise
    classifier = OnnxClassifier.from_dir(write_tiny_model(tmp_path / "m", sounding=True))
    y = noise(CONFIG.duration, sr=CONFIG.sr, rng=rng, amplitude=0.001)
    y[len(y) // 2 :] += tone(CONFIG.duration / 2, sr=CONFIG.sr)
    windows = np.stack([spectrum.render_spectrogram(y, config=CONFIG)] * 3)
    # WHEN it classifies them with the sounding output
    probabilities, sounding = classifier.classify_with_sounding(windows)
    # THEN it gives the window probabilities classify gives, and one value per time step
    np.testing.assert_array_equal(probabilities, classifier.classify(windows))
    assert sounding.dtype == np.float32 and sounding.shape == (3, CONFIG.width // 2)
    steps = sounding[0]
    assert np.all(steps[2:30] < 0.5) and np.all(steps[34:62] > 0.5)
    empty = np.zeros((0, CONFIG.height, CONFIG.width), np.uint8)
    assert [a.shape for a in classifier.classify_with_sounding(empty)] == [(0,), (0, 0)]


def test_onnx_without_sounding_output_gives_none(tiny_model_dir, images):
    probabilities, sounding = OnnxClassifier.from_dir(tiny_model_dir).classify_with_sounding(images)
    assert probabilities.shape == (2,) and sounding is None


def test_onnx_refuses_a_sounding_output_the_graph_lacks(tmp_path):
    model_dir = write_tiny_model(tmp_path / "m")
    meta = json.loads((model_dir / "model.json").read_text())
    meta["sounding_output"] = "alarm_sounding"
    (model_dir / "model.json").write_text(json.dumps(meta))
    with pytest.raises(
        ModelError,
        match=r"outputs \['alarm_probability', 'alarm_sounding'\], the graph has .* outputs "
        r"\['alarm_probability'\]",
    ):
        OnnxClassifier.from_dir(model_dir)


def test_onnx_refuses_images_of_another_size(tiny_model_dir):
    with pytest.raises(ParameterError, match=r"shape \(n, 128, 128\)"):
        OnnxClassifier.from_dir(tiny_model_dir).classify(np.zeros((1, 64, 64), np.uint8))


def test_onnx_missing_model_dir(tmp_path):
    with pytest.raises(
        ModelError, match=r"nothing: no model there \(missing model.onnx and model.json\)"
    ):
        OnnxClassifier.from_dir(tmp_path / "nothing")
    # a dataset's folder, the usual slip of `--model training-data`
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "dataset.json").write_text("{}")
    with pytest.raises(ModelError, match=r"data: a dataset \(it holds dataset.json\), not a model"):
        OnnxClassifier.from_dir(tmp_path / "data")


def test_onnx_refuses_a_config_mismatch_naming_the_fields(tiny_model_dir):
    other = CONFIG.replace(n_mels=64, fmax=4000.0)
    with pytest.raises(
        ModelError, match=r"different spectrogram config \(n_mels: model 128, renderer 64; fmax"
    ):
        OnnxClassifier.from_dir(tiny_model_dir, config=other)


def test_onnx_accepts_the_matching_config(tiny_model_dir):
    assert OnnxClassifier.from_dir(tiny_model_dir, config=SpectrogramConfig()).config == CONFIG


def test_onnx_model_for_colour_images(tmp_path, rng):
    config = CONFIG.replace(cmap="magma")
    classifier = OnnxClassifier.from_dir(write_tiny_model(tmp_path / "rgb", config=config))
    rendered = spectrum.render_spectrogram(tone(config.duration, sr=config.sr), config=config)
    assert classifier.classify(rendered[np.newaxis]).shape == (1,)


def test_onnx_graph_shape_must_match_the_config(tmp_path):
    model_dir = write_tiny_model(tmp_path / "m", config=CONFIG.replace(width=64))
    meta = json.loads((model_dir / "model.json").read_text())
    meta["config"] = CONFIG.to_dict()  # the sidecar lies about the image size
    (model_dir / "model.json").write_text(json.dumps(meta))
    with pytest.raises(
        ModelError, match=r"input 'image' has shape .*64.* renders \(N, 1, 128, 128\)"
    ):
        OnnxClassifier.from_dir(model_dir)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"format": "other/2"}, "format 'other/2'"),
        ({"labels": ["alarm", "no_alarm"]}, "labels"),
        ({"threshold": 1.5}, "threshold 1.5"),
        ({"config": {"kind": "mel", "n_bands": 3}}, "bad spectrogram config"),
        # edited by hand: each one line naming the file and the field, not a traceback
        ({"labels": 5}, r"model.json: labels 5, expected \['no_alarm', 'alarm'\]"),
        ({"labels": None}, "model.json: labels None"),
        ({"threshold": True}, r"model.json: threshold True is not a number in \[0, 1\]"),
        ({"output": ["a"]}, r"model.json: output \['a'\] is not a string"),
        ({"input": None}, "model.json: input None is not a string"),
        ({"name": {"a": 1}}, "model.json: name {'a': 1} is not a string"),
        ({"config": [1, 2]}, r"model.json: config \[1, 2\] is not an object of settings"),
        ({"config": {"sr": 10**12}}, "sr 1000000000000 Hz is above the highest supported rate"),
    ],
)
def test_onnx_malformed_model_json(tmp_path, change, match):
    model_dir = write_tiny_model(tmp_path / "m")
    meta = json.loads((model_dir / "model.json").read_text())
    meta.update(change)
    (model_dir / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=match):
        OnnxClassifier.from_dir(model_dir)


def test_a_model_json_without_a_threshold_says_it_has_none(tmp_path):
    # it had said "threshold None is not a number in [0, 1]"
    model_dir = write_tiny_model(tmp_path / "m")
    meta = json.loads((model_dir / "model.json").read_text())
    del meta["threshold"]
    (model_dir / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=r"model\.json: no threshold \(training writes"):
        OnnxClassifier.from_dir(model_dir)


def test_onnx_model_swapped_under_its_model_json_is_refused(tmp_path):
    # GIVEN a model folder whose model.json names its graph's sha256, as train writes it
    model_dir = write_tiny_model(tmp_path / "m")
    meta = json.loads((model_dir / "model.json").read_text())
    meta["onnx_sha256"] = onnx_sha256(model_dir / "model.onnx")
    (model_dir / "model.json").write_text(json.dumps(meta))
    assert OnnxClassifier.from_dir(model_dir).threshold == 0.5
    original = (model_dir / "model.onnx").read_bytes()
    # WHEN model.onnx is replaced by another model's (here one of another image width)
    other = write_tiny_model(tmp_path / "other", config=CONFIG.replace(width=64))
    (model_dir / "model.onnx").write_bytes((other / "model.onnx").read_bytes())
    # THEN loading names the file and why, before onnxruntime reads it
    with pytest.raises(
        ModelError,
        match=r"m/model.onnx: not the model model.json beside it describes \(sha256 \w{12}\.\.\., "
        r"model.json names \w{12}\.\.\.\), so its threshold and config would be another model's",
    ):
        OnnxClassifier.from_dir(model_dir)
    # AND a digest that is no sha256 is named as such, as JSON spells it, null included
    for bad, shown in [(12, "12"), (None, "null"), ("", '""'), ("abc", '"abc"'), (True, "true")]:
        meta["onnx_sha256"] = bad
        (model_dir / "model.json").write_text(json.dumps(meta))
        with pytest.raises(ModelError) as caught:
            OnnxClassifier.from_dir(model_dir)
        assert str(caught.value) == (
            f"{model_dir / 'model.json'}: onnx_sha256 {shown} is not a sha256 (64 hex digits); "
            "delete the field to load the model unchecked"
        )
    # AND the right digest in capitals is the same digest; without the field, no check
    (model_dir / "model.onnx").write_bytes(original)
    meta["onnx_sha256"] = onnx_sha256(model_dir / "model.onnx").upper()
    (model_dir / "model.json").write_text(json.dumps(meta))
    assert OnnxClassifier.from_dir(model_dir).threshold == 0.5
    del meta["onnx_sha256"]
    (model_dir / "model.json").write_text(json.dumps(meta))
    assert OnnxClassifier.from_dir(model_dir).threshold == 0.5


def test_the_shipped_model_json_names_its_model_onnx():
    shipped = Path(__file__).parents[2] / "models" / "default"
    meta = json.loads((shipped / "model.json").read_text())
    assert meta["onnx_sha256"] == onnx_sha256(shipped / "model.onnx")


def test_onnx_model_file_for_its_folder_says_to_pass_the_folder(tiny_model_dir):
    with pytest.raises(
        ModelError,
        match=rf"model.onnx: a file; a model is the folder holding .*\(e.g. {tiny_model_dir}\)",
    ):
        OnnxClassifier.from_dir(tiny_model_dir / "model.onnx")


def test_onnx_model_folder_that_cannot_be_searched_is_a_model_error(tmp_path):
    model_dir = write_tiny_model(tmp_path / "m")
    model_dir.chmod(0o644)  # listed but not searched: Python 3.11's is_file() raised
    try:
        out = run_as_a_user(
            "import sys\n"
            "from sounddetect.classifiers import OnnxClassifier\n"
            "from sounddetect.exceptions import ModelError\n"
            "from sounddetect.spectrum import SpectrogramConfig\n"
            "for load in (\n"
            "    lambda: OnnxClassifier.from_dir(sys.argv[1]),\n"
            "    lambda: OnnxClassifier(sys.argv[1] + '/model.onnx', config=SpectrogramConfig()),\n"
            "):\n"
            "    try:\n"
            "        load()\n"
            "    except ModelError as exc:\n"
            "        print(exc)\n",
            str(model_dir),
        )
    finally:
        model_dir.chmod(0o755)
    assert out.splitlines() == [
        f"{model_dir}: model folder not readable (Permission denied)",
        f"{model_dir / 'model.onnx'}: not readable (Permission denied)",
    ]


def write_mean_model(model_dir, *, input_type=TensorProto.FLOAT, batch="N", scale=1.0):
    """The tiny model's directory with another graph: the mean of ``image`` (of
    ``input_type``, shape (batch, 1, 128, 128)) times ``scale``, as ``alarm_probability``."""
    model_dir = write_tiny_model(model_dir)
    image = helper.make_tensor_value_info("image", input_type, [batch, 1, 128, 128])
    output = helper.make_tensor_value_info("alarm_probability", TensorProto.FLOAT, [batch])
    nodes = [
        helper.make_node("Cast", ["image"], ["floats"], to=TensorProto.FLOAT),
        helper.make_node("ReduceMean", ["floats"], ["mean"], axes=[1, 2, 3], keepdims=0),
        helper.make_node("Mul", ["mean", "scale"], ["alarm_probability"]),
    ]
    scale = helper.make_tensor("scale", TensorProto.FLOAT, [], [scale])
    graph = helper.make_graph(nodes, "mean", [image], [output], [scale])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, model_dir / "model.onnx")
    return model_dir


def test_onnx_graph_of_the_mean_gives_probabilities(tmp_path, images):
    probabilities = OnnxClassifier.from_dir(write_mean_model(tmp_path / "m")).classify(images)
    np.testing.assert_allclose(probabilities, images.mean(axis=(1, 2)) / 255, rtol=1e-5)


@pytest.mark.parametrize(
    ("graph", "match"),
    [
        ({"input_type": TensorProto.UINT8}, r"input 'image' is tensor\(uint8\), but the images"),
        ({"batch": 1}, r"input 'image' has a fixed batch of 1 \(shape \[1, 1, 128, 128\]\)"),
    ],
)
def test_onnx_graph_that_cannot_take_the_images_is_refused_at_load(tmp_path, graph, match):
    # it loaded, then failed at every file of a batch
    with pytest.raises(ModelError, match=match):
        OnnxClassifier.from_dir(write_mean_model(tmp_path / "m", **graph))


def test_onnx_raw_scores_are_not_probabilities(tmp_path, images):
    # clipped to 1.0, they read every window as an alarm
    classifier = OnnxClassifier.from_dir(write_mean_model(tmp_path / "m", scale=1000.0))
    with pytest.raises(
        ModelError,
        match=r"m/model.onnx: output 'alarm_probability' is not probabilities: values from "
        r"\d+.* outside \[0, 1\]",
    ):
        classifier.classify(images)


def test_onnx_graph_that_fails_when_run_is_a_model_error(tmp_path, images):
    # GIVEN a graph that loads but reshapes its n probabilities into 3, failing for n = 2
    model_dir = write_tiny_model(tmp_path / "m")
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, 128, 128])
    output = helper.make_tensor_value_info("alarm_probability", TensorProto.FLOAT, ["N"])
    nodes = [
        helper.make_node("ReduceMean", ["image"], ["mean"], axes=[1, 2, 3], keepdims=0),
        helper.make_node("Reshape", ["mean", "three"], ["alarm_probability"]),
    ]
    three = helper.make_tensor("three", TensorProto.INT64, [1], [3])
    graph = helper.make_graph(nodes, "reshape", [image], [output], [three])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, model_dir / "model.onnx")
    classifier = OnnxClassifier.from_dir(model_dir)
    # THEN onnxruntime's error is the model's, as it would be for every input
    with pytest.raises(ModelError, match=r"m/model.onnx: inference failed \(.*Reshape"):
        classifier.classify(images)


def test_onnx_running_out_of_memory_is_not_a_model_error(tiny_model_dir):
    # GIVEN 2**40 windows (one image, repeated without copies): their float32 tensor of
    # 64 PiB fits in no computer's memory, nor in a 64-bit address space
    classifier = OnnxClassifier.from_dir(tiny_model_dir)
    images = np.broadcast_to(np.zeros((1, 128, 128), dtype=np.uint8), (2**40, 128, 128))
    # THEN the MemoryError is not blamed on the model (the command line stops at a
    # model's error, which would come for every input)
    with pytest.raises(MemoryError):
        classifier.classify(images)


@pytest.mark.parametrize(
    ("option", "match"),
    [
        ({"threshold": 2.0}, r"threshold must be in \[0, 1\], got 2.0"),
        ({"threads": -1}, r"^threads must be in \[0, 256\], got -1$"),
        # a slip for 25 threads: onnxruntime would start them all
        ({"threads": 257}, r"^threads must be in \[0, 256\], got 257$"),
        # not counts: a TypeError or a float onnxruntime refused in its own words before
        ({"threads": None}, r"^threads must be in \[0, 256\], got None$"),
        ({"threads": 1.5}, r"^threads must be in \[0, 256\], got 1.5$"),
        ({"threshold": "0.5"}, r"^threshold must be in \[0, 1\], got '0.5'$"),
    ],
)
def test_onnx_arguments_out_of_range_are_parameter_errors(tiny_model_dir, option, match):
    with pytest.raises(ParameterError, match=match):
        OnnxClassifier(tiny_model_dir / "model.onnx", config=CONFIG, **option)


def test_onnx_file_that_is_not_a_model(tmp_path):
    model_dir = write_tiny_model(tmp_path / "m")
    (model_dir / "model.onnx").write_bytes(b"not a protobuf")
    with pytest.raises(ModelError, match="not a loadable ONNX model"):
        OnnxClassifier.from_dir(model_dir)


def test_load_classifier_picks_the_backend(tiny_model_dir):
    classifier = load_classifier(str(tiny_model_dir), threshold=0.7, threads=1)
    assert isinstance(classifier, OnnxClassifier) and classifier.threshold == 0.7
    rekognition = load_classifier(ARN, config=CONFIG, threads=3)
    assert isinstance(rekognition, RekognitionClassifier) and rekognition.max_workers == 3
    with pytest.raises(ParameterError, match="needs the spectrogram config"):
        load_classifier(ARN)
    # AND the threads are capped for either backend, as the command line caps --threads
    with pytest.raises(ParameterError, match=r"^threads must be in \[0, 256\], got 300$"):
        load_classifier(str(tiny_model_dir), threads=300)
    with pytest.raises(ParameterError, match=r"^need 1 <= max_workers <= 256 .* got 300, "):
        load_classifier(ARN, config=CONFIG, threads=300)


# --- Rekognition ------------------------------------------------------------------------


def test_rekognition_sends_the_exact_request(rekognition, images):
    stubber, classifier = rekognition
    for image, confidence in zip(images, (97.5, 3.0), strict=True):
        png = spectrum.encode_png(image)
        assert spectrum.decode_png(png).shape == (CONFIG.height, CONFIG.width)
        stubber.add_response(
            "detect_custom_labels",
            {
                "CustomLabels": [
                    {"Name": "alarm", "Confidence": confidence},
                    {"Name": "no_alarm", "Confidence": 100.0 - confidence},
                ]
            },
            {"ProjectVersionArn": ARN, "Image": {"Bytes": png}, "MinConfidence": 0.0},
        )
    np.testing.assert_allclose(classifier.classify(images), [0.975, 0.03], atol=1e-6)


@pytest.mark.parametrize(
    ("labels", "probability"),
    [
        ([{"Name": "no_alarm", "Confidence": 92.0}], 0.08),
        ([{"Name": "alarm", "Confidence": 61.25}], 0.6125),
    ],
)
def test_rekognition_probability_from_either_label(rekognition, images, labels, probability):
    stubber, classifier = rekognition
    stubber.add_response("detect_custom_labels", {"CustomLabels": labels})
    assert classifier.classify(images[:1])[0] == pytest.approx(probability)


@pytest.mark.parametrize(
    ("labels", "named"),
    [
        (
            [{"Name": "Alarm", "Confidence": 99.0}, {"Name": "No_Alarm", "Confidence": 1.0}],
            "'Alarm', 'No_Alarm'",
        ),
        ([{"Name": "smoke", "Confidence": 80.0}], "'smoke'"),
        ([], "none"),
    ],
)
def test_rekognition_model_of_other_labels_is_a_model_error(rekognition, images, labels, named):
    # At MinConfidence 0 every label of the model comes back: without ours, every window
    # would read as 0 and every alarm would be missed.
    stubber, classifier = rekognition
    stubber.add_response("detect_custom_labels", {"CustomLabels": labels})
    with pytest.raises(ModelError, match=rf"{ARN}: answered with labels {named}, not 'alarm'"):
        classifier.classify(images[:1])


def test_rekognition_min_confidence_is_sent(aws_credentials, images):
    client = boto3.client("rekognition", region_name="eu-west-1")
    classifier = RekognitionClassifier(ARN, config=CONFIG, client=client, min_confidence=55.0)
    with Stubber(client) as stubber:
        png = spectrum.encode_png(images[0])
        expected = {"ProjectVersionArn": ARN, "Image": {"Bytes": png}, "MinConfidence": 55.0}
        stubber.add_response("detect_custom_labels", {"CustomLabels": []}, expected)
        assert classifier.classify(images[:1])[0] == 0.0


def test_rekognition_runs_requests_concurrently(aws_credentials, images):
    client = boto3.client("rekognition", region_name="eu-west-1")
    classifier = RekognitionClassifier(ARN, config=CONFIG, client=client, max_workers=4)
    batch = np.repeat(images[:1], 8, axis=0)  # identical requests: any order matches
    with Stubber(client) as stubber:
        for _ in batch:
            stubber.add_response(
                "detect_custom_labels", {"CustomLabels": [{"Name": "alarm", "Confidence": 90.0}]}
            )
        np.testing.assert_allclose(classifier.classify(batch), 0.9)
        stubber.assert_no_pending_responses()


def test_rekognition_model_not_running_says_how_to_start_it(rekognition, images):
    stubber, classifier = rekognition
    stubber.add_client_error(
        "detect_custom_labels",
        service_error_code="ResourceNotReadyException",
        service_message="The project version is not running",
        http_status_code=400,
    )
    with pytest.raises(TransientError) as caught:
        classifier.classify(images[:1])
    assert (
        f"aws rekognition start-project-version --project-version-arn {ARN} "
        "--min-inference-units 1" in str(caught.value)
    )


@pytest.mark.parametrize(
    "code", ["ThrottlingException", "ProvisionedThroughputExceededException", "InternalServerError"]
)
def test_rekognition_throttling_is_transient(rekognition, images, code):
    stubber, classifier = rekognition
    stubber.add_client_error("detect_custom_labels", service_error_code=code, http_status_code=400)
    with pytest.raises(TransientError, match=rf"{code} after retries"):
        classifier.classify(images[:1])


@pytest.mark.parametrize(
    "code", ["AccessDeniedException", "ResourceNotFoundException", "InvalidParameterException"]
)
def test_rekognition_permanent_errors_are_model_errors(rekognition, images, code):
    stubber, classifier = rekognition
    stubber.add_client_error("detect_custom_labels", service_error_code=code, http_status_code=400)
    with pytest.raises(ModelError, match=code):
        classifier.classify(images[:1])


@pytest.mark.parametrize(
    ("arn", "match"),
    [
        ("CHANGE_ME", "placeholder|is 'CHANGE_ME'"),
        ("", "is ''"),
        ("arn:aws:s3:::my-bucket", "not a Rekognition project version ARN"),
        (ARN.replace("/version/", "/versions/"), "not a Rekognition project version ARN"),
        (ARN.replace("123456789012", "1234"), "not a Rekognition project version ARN"),
    ],
)
def test_rekognition_wrong_arn_is_refused_at_construction(arn, match):
    with pytest.raises(ParameterError, match=match):
        RekognitionClassifier(arn, config=CONFIG)


@pytest.mark.parametrize(
    ("variable", "setting", "max_attempts", "expected"),
    [
        # AWS_MAX_ATTEMPTS counts the first try too; unset, 8 retries ride out throttling
        ("AWS_MAX_ATTEMPTS", None, None, {"mode": "adaptive", "total_max_attempts": 9}),
        ("AWS_MAX_ATTEMPTS", "1", None, {"mode": "adaptive", "total_max_attempts": 1}),
        ("AWS_MAX_ATTEMPTS", "3", None, {"mode": "adaptive", "total_max_attempts": 3}),
        # adaptive unless the user chose a mode (AWS_RETRY_MODE or the profile's retry_mode)
        ("AWS_RETRY_MODE", None, 2, {"mode": "adaptive", "total_max_attempts": 3}),
        ("AWS_RETRY_MODE", "standard", 2, {"mode": "standard", "total_max_attempts": 3}),
    ],
)
def test_rekognition_retries_follow_the_user_s_aws_settings(
    aws_credentials, monkeypatch, variable, setting, max_attempts, expected
):
    if setting is None:
        monkeypatch.delenv(variable, raising=False)
    else:
        monkeypatch.setenv(variable, setting)
    classifier = RekognitionClassifier(ARN, config=CONFIG, max_attempts=max_attempts)
    assert classifier.client.meta.config.retries == expected


def test_rekognition_default_client_uses_the_arn_region_and_adaptive_retries(aws_credentials):
    classifier = RekognitionClassifier(ARN, config=CONFIG, max_attempts=5)
    assert classifier.client.meta.region_name == "eu-west-1"
    retries = classifier.client.meta.config.retries
    # botocore's max_attempts counts retries: 5 retries = 6 calls in all
    assert retries == {"mode": "adaptive", "total_max_attempts": 6}
    assert classifier.describe()["backend"] == "rekognition"
    assert classifier.describe()["model"] == ARN


@pytest.fixture
def silent_server():
    """A local TCP endpoint that accepts connections and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def test_rekognition_default_client_bounds_connect_and_read_waits(aws_credentials):
    classifier = RekognitionClassifier(ARN, config=CONFIG)
    assert classifier.client.meta.config.connect_timeout == rekognition_module.CONNECT_TIMEOUT_S
    assert classifier.client.meta.config.read_timeout == rekognition_module.READ_TIMEOUT_S
    # botocore's own default, which held a stalled request for a minute at every retry
    assert rekognition_module.READ_TIMEOUT_S < 60


def test_rekognition_answer_that_never_comes_is_transient(
    aws_credentials, monkeypatch, silent_server, images
):
    # GIVEN an endpoint that takes the request and never answers, and a short read timeout
    monkeypatch.setenv("AWS_ENDPOINT_URL_REKOGNITION", silent_server)
    monkeypatch.setattr(rekognition_module, "READ_TIMEOUT_S", 0.2)
    classifier = RekognitionClassifier(ARN, config=CONFIG, max_attempts=0)
    # THEN the request gives up as a fault a retry may cure, naming the model
    with pytest.raises(TransientError, match=r"cannot reach Rekognition \(Read timeout"):
        classifier.classify(images[:1])


@pytest.mark.parametrize(
    ("profile", "reason"),
    [
        # a credential process that fails (when the client is made)
        ("credential_process = /bin/false", "retrieving credentials from custom-process"),
        # an SSO login never made or expired (when a request is signed)
        (
            "sso_start_url = https://example.awsapps.com/start\nsso_region = eu-west-1\n"
            "sso_account_id = 123456789012\nsso_role_name = Detect",
            "SSO Token",
        ),
    ],
)
def test_rekognition_credentials_that_cannot_be_loaded_are_a_model_error(
    monkeypatch, tmp_path, images, profile, reason
):
    # GIVEN a profile whose credentials cannot be loaded
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    config_file = tmp_path / "config"
    config_file.write_text(f"[default]\n{profile}\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config_file))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("HOME", str(tmp_path))  # no SSO token cache
    # THEN it is the user's to fix, not a fault to retry
    expected = rf"{re.escape(ARN)}: AWS credentials or settings .*{reason}"
    with pytest.raises(ModelError, match=expected):
        RekognitionClassifier(ARN, config=CONFIG, max_attempts=0).classify(images[:1])


def test_rekognition_profile_that_does_not_exist_is_a_model_error(aws_credentials, monkeypatch):
    # GIVEN AWS_PROFILE naming a profile the AWS config does not hold (a typo)
    monkeypatch.setenv("AWS_PROFILE", "smoke-typo")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    # THEN making the classifier is one ModelError naming the model and the profile
    with pytest.raises(ModelError, match=r"AWS credentials or settings .*\(smoke-typo\)"):
        RekognitionClassifier(ARN, config=CONFIG)
