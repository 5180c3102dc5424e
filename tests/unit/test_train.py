"""Training: the CNN, augmentation, threshold choice, ONNX export and the train/compare CLIs."""

from __future__ import annotations

import collections
import hashlib
import json
import logging
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
import torch
from helpers.permissions import run_with_a_read_only_folder
from helpers.tiny_dataset import write_tiny_dataset

from sounddetect import train as train_module
from sounddetect.classifiers import OnnxClassifier
from sounddetect.cli import main
from sounddetect.dataset import source_digests
from sounddetect.evaluate import classification_metrics, dataset_config, evaluate, load_split
from sounddetect.exceptions import ModelError, ParameterError
from sounddetect.spectrum import SpectrogramConfig, image_to_tensor
from sounddetect.train import (
    PRECISIONS,
    AlarmNet,
    Augmentation,
    augment_batch,
    calibration_images,
    choose_threshold,
    data_hash,
    export_onnx,
    fit,
    format_comparison,
    mix_backgrounds,
    mix_images_db,
    quantize_onnx,
    resolve_precision,
    rhythm_negatives,
    sounding_targets,
    train,
)

CONTRACT_KEYS = {
    "format",
    "labels",
    "threshold",
    "config",
    "input",
    "output",
    "metrics",
    "data_hash",
    "versions",
    "created",
    "name",
}


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory):
    return write_tiny_dataset(tmp_path_factory.mktemp("data"), types=("mel", "linear"))


@pytest.fixture(scope="module")
def trained_model_dir(tiny_dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "tiny"
    train(tiny_dataset, out, epochs=2, patience=2, num_threads=1)
    return out


def export_and_reference(model, config, dataset, tmp_path):
    """An onnxruntime session of the exported model, the test images, PyTorch's probabilities."""
    path = export_onnx(model, tmp_path / "model.onnx", config=config)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    tensor = image_to_tensor(load_split(dataset, split="test").images)
    with torch.no_grad():
        expected = torch.sigmoid(model(torch.from_numpy(tensor))).numpy()
    return session, tensor, expected


def test_exported_onnx_matches_pytorch(tiny_dataset, tmp_path):
    # GIVEN a model fitted for two epochs on the tiny dataset
    config = dataset_config(tiny_dataset)
    train_data = load_split(tiny_dataset, split="train")
    validate_data = load_split(tiny_dataset, split="validate")
    result = fit(train_data, validate_data, config=config, epochs=2, num_threads=1)
    # WHEN it is exported and run by onnxruntime on test images, batch sizes 1 and 12
    session, tensor, expected = export_and_reference(result.model, config, tiny_dataset, tmp_path)
    with torch.no_grad():
        _, frame_logits = result.model.forward_with_frames(torch.from_numpy(tensor))
    expected_sounding = torch.sigmoid(frame_logits).numpy()
    for batch in (tensor[:1], tensor):
        exported, sounding = session.run(["alarm_probability", "alarm_sounding"], {"image": batch})
        # THEN the probabilities are PyTorch's, one per image
        assert exported.shape == (len(batch),)
        np.testing.assert_allclose(exported, expected[: len(batch)], atol=1e-4)
        # AND so are the frame head's, one per time step (half the image's columns)
        assert sounding.shape == (len(batch), config.width // 2)
        np.testing.assert_allclose(sounding, expected_sounding[: len(batch)], atol=1e-4)
    assert np.all((expected >= 0) & (expected <= 1))


def test_export_without_sounding_has_one_output(tiny_dataset, tmp_path):
    config = dataset_config(tiny_dataset)
    path = export_onnx(AlarmNet().eval(), tmp_path / "model.onnx", config=config, sounding=False)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [output.name for output in session.get_outputs()] == ["alarm_probability"]


def test_train_without_the_frame_loss_exports_no_sounding(tiny_dataset, tmp_path):
    # GIVEN training with the frame loss off, whose frame head learns nothing
    out = tmp_path / "m"
    card = train(tiny_dataset, out, epochs=1, num_threads=1, frame_loss_weight=0.0)
    # THEN model.json names no sounding output and the graph has none
    assert "sounding_output" not in card
    assert "sounding_output" not in json.loads((out / "model.json").read_text())
    session = onnxruntime.InferenceSession(
        str(out / "model.onnx"), providers=["CPUExecutionProvider"]
    )
    assert [output.name for output in session.get_outputs()] == ["alarm_probability"]
    # AND detection falls back to window bounds
    images = load_split(tiny_dataset, split="test").images[:2]
    probabilities, sounding = OnnxClassifier.from_dir(out).classify_with_sounding(images)
    assert probabilities.shape == (2,) and sounding is None


def graph_ops(path):
    """How many nodes of each op type the ONNX graph at ``path`` holds."""
    return collections.Counter(node.op_type for node in onnx.load(str(path)).graph.node)


def test_quantize_onnx_writes_an_int8_copy_that_follows_the_float_model(tiny_dataset, tmp_path):
    # GIVEN a float export of a network with trained batch-norm statistics
    config = dataset_config(tiny_dataset)
    train_data = load_split(tiny_dataset, split="train")
    validate_data = load_split(tiny_dataset, split="validate")
    result = fit(train_data, validate_data, config=config, epochs=2, num_threads=1)
    float_path = export_onnx(result.model, tmp_path / "float.onnx", config=config)
    # WHEN it is quantized, calibrated on the training images
    path = quantize_onnx(
        float_path, tmp_path / "int8.onnx", calibration=calibration_images(train_data, seed=0)
    )
    # THEN every convolution and linear layer runs in int8, with int8 weights
    float_ops, ops = graph_ops(float_path), graph_ops(path)
    assert ops["QLinearConv"] == float_ops["Conv"] == 12
    assert ops["QGemm"] == float_ops["Gemm"] == 2
    assert ops["Conv"] == ops["Gemm"] == 0
    weights = [
        t for t in onnx.load(str(path)).graph.initializer if t.data_type == onnx.TensorProto.INT8
    ]
    assert len(weights) >= 14
    assert path.stat().st_size < float_path.stat().st_size / 2
    # AND its outputs, the same two, stay close to the float model's on images it never saw
    tensor = image_to_tensor(load_split(tiny_dataset, split="test").images)
    noise = np.random.default_rng(1).random((8, *tensor.shape[1:]), dtype=np.float32)
    for batch in (tensor, noise):
        want = onnxruntime.InferenceSession(str(float_path)).run(None, {"image": batch})
        got = onnxruntime.InferenceSession(str(path)).run(None, {"image": batch})
        assert [g.shape for g in got] == [w.shape for w in want]
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, atol=0.05)


def test_quantize_onnx_needs_calibration_images(tiny_dataset, tmp_path):
    config = dataset_config(tiny_dataset)
    float_path = export_onnx(AlarmNet().eval(), tmp_path / "float.onnx", config=config)
    empty = np.zeros((0, 1, config.height, config.width), np.float32)
    with pytest.raises(ParameterError, match="calibration image"):
        quantize_onnx(float_path, tmp_path / "int8.onnx", calibration=empty)
    assert not (tmp_path / "int8.onnx").exists()


def test_calibration_images_are_a_seeded_sample_of_the_split(tiny_dataset):
    data = load_split(tiny_dataset, split="train")
    some = calibration_images(data, seed=3, n=5)
    assert some.shape == (5, 1, *data.images.shape[1:])
    np.testing.assert_array_equal(some, calibration_images(data, seed=3, n=5))
    # every image a different one of the split's
    rows = {image.tobytes() for image in image_to_tensor(data.images)}
    assert len({image.tobytes() for image in some} & rows) == 5
    # a sample larger than the split takes all of it
    assert len(calibration_images(data, seed=3, n=10_000)) == len(data.labels)


def test_train_ships_the_int8_model_and_its_own_threshold(trained_model_dir, tiny_dataset):
    card = json.loads((trained_model_dir / "model.json").read_text())
    # THEN model.onnx is the int8 model, calibrated on training images
    assert graph_ops(trained_model_dir / "model.onnx")["QLinearConv"] == 12
    n_train = len(load_split(tiny_dataset, split="train").labels)
    assert card["quantization"]["calibration"] == {
        "method": "minmax",
        "split": "train",
        "images": min(512, n_train),
    }
    assert 0.0 <= card["quantization"]["validate_max_abs_difference"] < 0.05
    # AND the threshold and validate figures are those of the model that ships
    validate = load_split(tiny_dataset, split="validate")
    shipped = OnnxClassifier.from_dir(trained_model_dir).classify(validate.images)
    assert card["threshold"] == choose_threshold(validate.labels, shipped, min_recall=0.9)
    assert card["metrics"]["validate"] == json.loads(
        json.dumps(classification_metrics(validate.labels, shipped, threshold=card["threshold"]))
    )
    # AND evaluate's report says which model its figures are of
    report = evaluate(trained_model_dir, tiny_dataset, plots=False, recordings=False)
    assert report["quantization"] == card["quantization"]


def test_train_no_quantize_ships_the_float_network(tiny_dataset, tmp_path, capsys, caplog):
    out = tmp_path / "float"
    argv = ["train", str(tiny_dataset), "--out", str(out), "--epochs", "1", "--threads", "1"]
    assert main([*argv, "--no-quantize"]) == 0
    captured = capsys.readouterr()
    printed = captured.out
    assert "mel model, best epoch" in printed and "int8" not in printed
    card = json.loads((out / "model.json").read_text())
    assert card["quantization"] is None
    ops = graph_ops(out / "model.onnx")
    assert ops["Conv"] == 12 and ops["QLinearConv"] == 0
    assert card["metrics"]["onnx_max_abs_difference"] <= 1e-4
    # while the default names the int8 model in its summary, and onnxruntime's quantization
    # tools log none of their steps beside the epochs' lines
    caplog.clear()
    caplog.set_level(logging.INFO)
    assert main([*argv, "--out", str(tmp_path / "int8")]) == 0
    assert "mel model, int8, best epoch" in capsys.readouterr().out
    assert any(r.name == "sounddetect.train" and "epoch" in r.message for r in caplog.records)
    assert not [r.message for r in caplog.records if r.name.startswith("onnxruntime")]


def test_train_writes_model_json_per_contract(trained_model_dir, tiny_dataset):
    card = json.loads((trained_model_dir / "model.json").read_text())
    assert CONTRACT_KEYS <= set(card)
    assert card["format"] == "sounddetect-model/1"
    assert card["labels"] == ["no_alarm", "alarm"]
    assert (card["input"], card["output"]) == ("image", "alarm_probability")
    assert card["sounding_output"] == "alarm_sounding"
    assert 0.0 <= card["threshold"] <= 1.0
    assert SpectrogramConfig.from_dict(card["config"]) == SpectrogramConfig(kind="mel")
    assert card["data_hash"] == data_hash(tiny_dataset)
    assert (
        card["onnx_sha256"]
        == hashlib.sha256((trained_model_dir / "model.onnx").read_bytes()).hexdigest()
    )
    assert card["training"]["source_sha256"] == source_digests(
        tiny_dataset, splits=("train", "validate")
    )
    assert {"torch", "onnx", "onnxruntime", "numpy"} <= set(card["versions"])
    assert card["name"] == "tiny"
    validate = card["metrics"]["validate"]
    assert {"precision", "recall", "f1", "roc_auc", "confusion_matrix"} <= set(validate)
    assert len(card["metrics"]["history"]) == card["metrics"]["epochs_run"] <= 2
    assert card["metrics"]["onnx_max_abs_difference"] <= 1e-4
    assert card["training"]["precision"] in ("bfloat16", "float32")
    assert (trained_model_dir / "model.onnx").stat().st_size > 1000
    assert trained_model_dir.stat().st_mode & 0o755 == 0o755


def test_train_refuses_an_existing_model_dir(trained_model_dir, tiny_dataset):
    before = (trained_model_dir / "model.json").read_text()
    with pytest.raises(ParameterError, match="exists; pass --overwrite"):
        train(tiny_dataset, trained_model_dir, epochs=1)
    assert (trained_model_dir / "model.json").read_text() == before


def test_train_cli_overwrite_and_refusal(tiny_dataset, trained_model_dir, tmp_path, capsys):
    out = tmp_path / "cli-model"
    shutil.copytree(trained_model_dir, out)
    (out / "evaluation").mkdir(parents=True)
    argv = ["train", str(tiny_dataset), "--out", str(out), "--epochs", "1", "--threads", "1"]
    # GIVEN an existing folder, WHEN training without --overwrite THEN usage error, untouched
    assert main(argv) == 2
    assert "exists" in capsys.readouterr().err
    assert json.loads((out / "model.json").read_text())["config"]["kind"] == "mel"
    # WHEN training with --overwrite THEN the folder is replaced by the new model
    assert main([*argv, "--overwrite", "--type", "linear"]) == 0
    assert "validate: threshold" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["model.json", "model.onnx"]
    assert json.loads((out / "model.json").read_text())["config"]["kind"] == "linear"


@pytest.mark.parametrize("layout", ["models", "dataset", "file"])
def test_overwrite_never_replaces_what_is_not_a_model(
    tiny_dataset, trained_model_dir, tmp_path, capsys, layout
):
    # GIVEN an --out typed by mistake: the folder of all models, the dataset, or a file
    if layout == "models":
        out = tmp_path / "models"
        shutil.copytree(trained_model_dir, out / "default")
        (out / "notes.txt").write_text("which model is which")
    elif layout == "dataset":
        out = tmp_path / "data"
        shutil.copytree(tiny_dataset, out)
    else:
        out = tmp_path / "model.onnx"
        out.write_bytes(b"an export of the user's")
    before = sorted((p.relative_to(tmp_path), p.stat().st_size) for p in tmp_path.rglob("*"))
    argv = ["train", str(tiny_dataset), "--out", str(out), "--epochs", "1", "--threads", "1"]
    # WHEN training with --overwrite THEN a usage error before training, and nothing is gone
    assert main([*argv, "--overwrite"]) == 2
    expected = "is a file, not a model folder" if layout == "file" else "is not a model folder"
    assert f"error: {out} {expected}" in capsys.readouterr().err
    after = sorted((p.relative_to(tmp_path), p.stat().st_size) for p in tmp_path.rglob("*"))
    assert after == before


def test_an_incomplete_dataset_is_refused_by_name(tmp_path, capsys):
    # GIVEN a dataset whose generation was interrupted (dataset.json says so)
    data = write_tiny_dataset(tmp_path / "data")
    info = json.loads((data / "dataset.json").read_text())
    (data / "dataset.json").write_text(json.dumps({**info, "complete": False}))
    (data / "samples.csv").unlink()
    # THEN train says so, not that a file is missing
    argv = ["train", str(data), "--out", str(tmp_path / "m"), "--epochs", "1"]
    assert main(argv) == 2
    assert "left this dataset incomplete; finish it with the same command and --resume" in (
        capsys.readouterr().err
    )


def test_an_out_inside_a_file_is_refused_before_training(tiny_dataset, tmp_path, capsys):
    (tmp_path / "notes").write_text("a file, not a folder")
    out = tmp_path / "notes" / "model"
    argv = ["train", str(tiny_dataset), "--out", str(out), "--epochs", "1", "--threads", "1"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    notes = tmp_path / "notes"
    assert f"error: {out}: the model folder lies inside {notes}, which is a file" in err
    assert "epoch" not in err


def test_train_needs_both_labels_in_train(tiny_dataset, tmp_path):
    data = load_split(tiny_dataset, split="train")
    alarms_only = type(data)(data.images[::2], data.labels[::2], data.rows[::2])
    with pytest.raises(ParameterError, match="both alarm and no_alarm"):
        fit(alarms_only, data, config=SpectrogramConfig(), epochs=1)


def test_choose_threshold_centres_a_clean_gap_in_logit_space():
    labels = np.array([0, 0, 1, 1])
    assert choose_threshold(labels, np.array([0.1, 0.2, 0.8, 0.9])) == pytest.approx(0.5)
    # logit(0.2) = -1.386, logit(0.98) = 3.892: midpoint 1.253 -> 0.778
    threshold = choose_threshold(labels, np.array([0.1, 0.2, 0.98, 0.99]))
    assert threshold == pytest.approx(1 / (1 + math.exp(-(math.log(0.25) + math.log(49)) / 2)))


def test_choose_threshold_maximises_f1():
    # Cut between 0.1 and 0.3 gives tp 3, fp 1, fn 0: F1 6/7, the best of all cuts.
    labels = np.array([0, 1, 0, 1, 1])
    probabilities = np.array([0.1, 0.3, 0.4, 0.7, 0.9])
    threshold = choose_threshold(labels, probabilities)
    assert 0.1 < threshold < 0.3
    predicted = probabilities >= threshold
    assert (predicted & (labels == 1)).sum() == 3 and (predicted & (labels == 0)).sum() == 1


def test_choose_threshold_needs_both_classes():
    with pytest.raises(ParameterError, match="both alarm and no_alarm"):
        choose_threshold(np.array([1, 1]), np.array([0.2, 0.9]))


def test_mix_images_db_adds_powers():
    # GIVEN two one-pixel sources at full level (0 dB) on silence
    a, b = torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 4)
    a[0, 0, 1, 1] = 1.0
    b[0, 0, 2, 2] = 1.0
    # WHEN b is mixed in 10 dB below a THEN a stays at the top, b shows 10/80 dB lower
    mixed = mix_images_db(a, b, gain_db=torch.tensor([-10.0]), top_db=80.0)
    assert mixed[0, 0, 1, 1] == pytest.approx(1.0, abs=1e-6)
    assert mixed[0, 0, 2, 2] == pytest.approx(1 - 10 / 80, abs=1e-6)
    # Equal sources on the same pixel add 3 dB there, and the image is normalised again.
    same = mix_images_db(a, a, gain_db=torch.tensor([0.0]), top_db=80.0)
    assert same[0, 0, 1, 1] == pytest.approx(1.0, abs=1e-6)
    # An image mixed with itself at 0 dB is unchanged (+3 dB everywhere, renormalised).
    x = 0.2 + 0.8 * torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    x[:, :, 0, 0] = 1.0
    torch.testing.assert_close(mix_images_db(x, x, gain_db=torch.zeros(2), top_db=80.0), x)


def test_augment_batch_is_seeded_bounded_and_changes_images():
    images = torch.rand(6, 1, 128, 128, generator=torch.Generator().manual_seed(2))

    def run(seed):
        return augment_batch(images, generator=torch.Generator().manual_seed(seed))

    first = run(0)
    assert first.shape == images.shape
    assert float(first.min()) >= 0.0 and float(first.max()) <= 1.0
    torch.testing.assert_close(first, run(0))
    assert not torch.allclose(first, run(1))
    assert not torch.allclose(first, images)
    # Nothing enabled: nothing changes.
    off = Augmentation(
        max_frequency_shift=0,
        contrast=(1.0, 1.0),
        time_masks=0,
        frequency_masks=0,
    )
    unchanged = augment_batch(images, generator=torch.Generator(), augmentation=off)
    torch.testing.assert_close(unchanged, images)


def test_band_limit_silences_the_top_band_and_renormalises():
    # GIVEN an image whose loudest sound (1.0) is a tone at 6 kHz, over a 2 kHz tone at 0.7,
    # a floor of silence (0) and some quiet noise (0.1)
    row_hz = torch.linspace(8000.0, 100.0, 16)
    image = torch.full((1, 1, 16, 8), 0.1)
    high, low = int((row_hz - 6000).abs().argmin()), int((row_hz - 2000).abs().argmin())
    image[0, 0, high], image[0, 0, low] = 1.0, 0.7
    image[0, 0, :, :2] = 0.0
    only_band_limit = Augmentation(
        max_frequency_shift=0,
        contrast=(1.0, 1.0),
        time_masks=0,
        frequency_masks=0,
        band_limit_probability=1.0,
        band_limit_hz=(4000.0, 4000.0),
    )
    # WHEN it is band-limited at 4 kHz, as a recording at 8 kHz is
    out = augment_batch(
        image, generator=torch.Generator(), augmentation=only_band_limit, row_hz=row_hz
    )
    # THEN everything above 4 kHz is silent, the 2 kHz tone is now the loudest pixel, every
    # other sound moves up by the same 0.3, and silence stays silent
    assert torch.all(out[0, 0, row_hz > 4000] == 0)
    below = row_hz <= 4000
    torch.testing.assert_close(out[0, 0, low, 2:], torch.ones(6))
    noise = out[0, 0, below][:, 2:]
    torch.testing.assert_close(noise[noise < 1], torch.full_like(noise[noise < 1], 0.4))
    assert torch.all(out[0, 0, below][:, :2] == 0)
    # AND without the rows' frequencies, or for MFCC-like images, nothing is band-limited
    for kwargs in ({}, {"row_hz": row_hz, "power_spectrogram": False}):
        kept = augment_batch(
            image, generator=torch.Generator(), augmentation=only_band_limit, **kwargs
        )
        torch.testing.assert_close(kept, image)


def test_mix_backgrounds_keeps_labels_and_joins_sounding_times():
    # GIVEN an alarm image sounding in columns 0-15 and a pool image holding a snippet at
    # columns 100-103, a quieter sound on other rows
    image, other = torch.zeros(1, 1, 8, 128), torch.zeros(1, 1, 8, 128)
    image[0, 0, 2, :16] = 1.0
    other[0, 0, 6, 100:104] = 1.0
    sounding, other_sounding = torch.zeros(1, 128), torch.zeros(1, 128)
    sounding[0, :16] = 1.0
    other_sounding[0, 100:104] = 1.0
    always = Augmentation(mix_probability=1.0, mix_gain_db=(-10.0, -10.0))
    # WHEN the pool image is mixed in
    mixed, mixed_sounding = mix_backgrounds(
        image,
        sounding,
        pool=other,
        pool_sounding=other_sounding,
        generator=torch.Generator().manual_seed(0),
        augmentation=always,
    )
    # THEN both sounds are there, the pool's 10 dB down, and the sounding times are the union
    assert float(mixed[0, 0, 2, 0]) == pytest.approx(1.0, abs=1e-6)
    assert float(mixed[0, 0, 6, 101]) == pytest.approx(1 - 10 / 80, abs=1e-6)
    assert mixed_sounding[0].nonzero().flatten().tolist() == [*range(16), *range(100, 104)]
    # AND with no mixing nothing changes, the inputs are never modified in place
    never = Augmentation(mix_probability=0.0)
    kept, kept_sounding = mix_backgrounds(
        image,
        sounding,
        pool=other,
        pool_sounding=other_sounding,
        generator=torch.Generator(),
        augmentation=never,
    )
    torch.testing.assert_close(kept, image)
    torch.testing.assert_close(kept_sounding, sounding)
    assert float(sounding[0, 100]) == 0.0


def test_mix_backgrounds_draws_the_same_mixture_from_a_uint8_pool():
    # GIVEN a pool of no_alarm images as float32 in [0, 1] and the same pool as uint8 pixels,
    # the way training holds it
    rng = np.random.default_rng(1)
    pixels = torch.from_numpy(rng.integers(0, 256, size=(6, 1, 8, 16), dtype=np.uint8))
    images = torch.from_numpy(rng.random((4, 1, 8, 16), dtype=np.float32))
    sounding, pool_sounding = torch.zeros(4, 16), torch.zeros(6, 16)
    mixed = {}
    for name, pool in (("float", pixels.float() / 255), ("uint8", pixels)):
        # WHEN the same draws mix each into a batch
        mixed[name], _ = mix_backgrounds(
            images,
            sounding,
            pool=pool,
            pool_sounding=pool_sounding,
            generator=torch.Generator().manual_seed(3),
            augmentation=Augmentation(mix_probability=1.0),
        )
    # THEN the mixtures are the same to the bit, and they did mix something in
    assert torch.equal(mixed["float"], mixed["uint8"])
    assert not torch.equal(mixed["uint8"], images)


def test_rhythm_negatives_repeat_one_second_without_the_pause():
    # GIVEN a temporal-three image: beeps at columns 0-15, 32-47, 64-79, then a pause
    image = torch.zeros(1, 1, 16, 128)
    sounding = torch.zeros(1, 128)
    for start in (0, 32, 64):
        image[0, 0, 5, start : start + 16] = 0.8
        sounding[0, start : start + 16] = 1.0
    # WHEN one second (32 columns) is tiled
    tiled, tiled_sounding = rhythm_negatives(
        image, sounding, period=32, generator=torch.Generator().manual_seed(0)
    )
    # THEN the result repeats every second (four beeps, no pause) and is normalised again
    torch.testing.assert_close(tiled[..., 32:], tiled[..., :-32])
    assert float(tiled.max()) == pytest.approx(1.0)
    assert float(tiled[0, 0, 5].mean()) == pytest.approx(0.5 * 1.0 + 0.5 * 0.2)
    # AND the sounding times are tiled with it: sounding exactly where the beeps are bright
    torch.testing.assert_close(tiled_sounding[0], (tiled[0, 0, 5] > 0.5).float())


def test_rhythm_negatives_are_made_for_power_spectrograms_only(tmp_path, monkeypatch):
    # An MFCC image stretches each row over its own range: the renormalisation of a rhythm
    # negative, which takes pixels for dB below the maximum, would mark it as made.
    data = write_tiny_dataset(tmp_path / "data", types=("mel", "mfcc"))
    made = {}

    def counted(images, sounding, **kwargs):
        made[kind] = made.get(kind, 0) + len(images)
        return real(images, sounding, **kwargs)

    real = train_module.rhythm_negatives
    monkeypatch.setattr(train_module, "rhythm_negatives", counted)
    for kind in ("mel", "mfcc"):
        fit(
            load_split(data, kind=kind, split="train"),
            load_split(data, kind=kind, split="validate"),
            config=dataset_config(data, kind=kind),
            epochs=1,
            num_threads=1,
            augmentation=Augmentation(rhythm_negative_probability=1.0),
        )
    assert made.get("mel", 0) > 0 and "mfcc" not in made


def test_sounding_targets_are_the_covered_share_of_each_column():
    rows = [
        {"sample_id": "a", "alarm_sounding_s": "0.0:0.5;1.0:1.25"},
        {"sample_id": "b", "alarm_sounding_s": ""},
        {"sample_id": "c", "alarm_sounding_s": "3.9:4.0"},
    ]
    # 8 columns of 0.5 s: the first full, the third half; the last one a fifth
    targets = sounding_targets(rows, width=8, duration_s=4.0)
    np.testing.assert_allclose(targets[0], [1.0, 0, 0.5, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(targets[1], np.zeros(8))
    np.testing.assert_allclose(targets[2], [0, 0, 0, 0, 0, 0, 0, 0.2], atol=1e-6)
    with pytest.raises(ParameterError, match="b: bad alarm_sounding_s '1.0'"):
        sounding_targets([{"sample_id": "b", "alarm_sounding_s": "1.0"}], width=8, duration_s=4)
    with pytest.raises(ParameterError, match="no alarm_sounding_s column"):
        sounding_targets([{"sample_id": "old"}], width=8, duration_s=4.0)


def test_frame_head_learns_where_the_alarm_sounds(tiny_dataset):
    # GIVEN a model fitted on the tiny dataset with the frame loss (no band limit: its alarms
    # sit on any row, and a cutoff would erase the beeps of some of its 12 training alarms)
    config = dataset_config(tiny_dataset)
    train_data = load_split(tiny_dataset, split="train")
    validate_data = load_split(tiny_dataset, split="validate")
    result = fit(
        train_data,
        validate_data,
        config=config,
        epochs=10,
        batch_size=4,
        num_threads=1,
        augmentation=Augmentation(band_limit_probability=0.0),
    )
    # WHEN it reads the test alarms
    test = load_split(tiny_dataset, split="test")
    alarms = [i for i, label in enumerate(test.labels) if label == 1]
    with torch.no_grad():
        _, frames = result.model.forward_with_frames(
            torch.from_numpy(image_to_tensor(test.images[alarms]))
        )
    truth = sounding_targets([test.rows[i] for i in alarms], width=128, duration_s=4.0)
    truth = truth.reshape(len(alarms), 64, 2).mean(axis=2)
    # THEN its frame probabilities are higher where the beeps are than in the pauses
    probabilities = torch.sigmoid(frames).numpy()
    assert probabilities[truth == 1].mean() > probabilities[truth == 0].mean() + 0.5


def test_a_training_that_diverges_says_so(tiny_dataset):
    # A learning rate far too high makes the weights, then the loss, NaN from the first epoch
    data = load_split(tiny_dataset, split="train")
    validate = load_split(tiny_dataset, split="validate")
    with pytest.raises(ModelError, match=r"training diverged in epoch 1: .* lower --learning-rate"):
        fit(data, validate, config=SpectrogramConfig(), epochs=2, num_threads=1, learning_rate=1e6)


def test_the_train_loss_is_the_window_loss_to_set_beside_the_validate_loss(tiny_dataset):
    # GIVEN a fit whose frame loss weighs fifty times the window loss
    data = load_split(tiny_dataset, split="train")
    validate = load_split(tiny_dataset, split="validate")
    result = fit(
        data, validate, config=SpectrogramConfig(), epochs=1, num_threads=1, frame_loss_weight=50
    )
    (epoch,) = result.history
    # THEN the train loss is a window loss like the validate loss beside it (binary cross
    # entropy of a barely trained model: near ln 2 for each class), not fifty frame losses
    assert epoch["train_loss"] < 3.0 and epoch["validate_loss"] < 3.0
    assert 0.0 <= epoch["train_accuracy"] <= 1.0


def test_fit_refuses_a_negative_frame_loss_weight(tiny_dataset):
    data = load_split(tiny_dataset, split="train")
    with pytest.raises(ParameterError, match="frame_loss_weight must be >= 0"):
        fit(data, data, config=SpectrogramConfig(), epochs=1, frame_loss_weight=-1.0)


def test_resolve_precision_names_what_training_runs_in():
    assert resolve_precision("float32") == "float32"
    assert resolve_precision("bfloat16") == "bfloat16"
    assert resolve_precision("auto") in ("bfloat16", "float32")
    with pytest.raises(ParameterError, match="precision must be one of auto, bfloat16"):
        resolve_precision("float16")


@pytest.mark.parametrize("precision", ["bfloat16", "float32"])
def test_fit_in_either_precision_is_seeded_and_exports_float32(tiny_dataset, tmp_path, precision):
    # GIVEN the tiny dataset, WHEN fitted twice with the same seed in one precision
    config = dataset_config(tiny_dataset)
    train_data = load_split(tiny_dataset, split="train")
    validate_data = load_split(tiny_dataset, split="validate")
    runs = [
        fit(train_data, validate_data, config=config, epochs=2, num_threads=1, precision=precision)
        for _ in range(2)
    ]
    # THEN both runs give the same weights, float32, and say what they ran in
    first, second = (run.model.state_dict() for run in runs)
    assert all(torch.equal(first[key], second[key]) for key in first)
    assert all(v.dtype != torch.bfloat16 for v in first.values())
    assert runs[0].precision == precision
    # AND the exported model gives PyTorch's float32 probabilities
    session, tensor, expected = export_and_reference(runs[0].model, config, tiny_dataset, tmp_path)
    (exported,) = session.run(["alarm_probability"], {"image": tensor})
    assert exported.dtype == np.float32
    np.testing.assert_allclose(exported, expected, atol=1e-4)


def test_train_cli_offers_every_precision(tiny_dataset, tmp_path, capsys):
    from sounddetect.cli import build_parser

    # GIVEN the train command line, THEN it takes every precision of the library, auto first
    parser = build_parser()
    assert parser.parse_args(["train", str(tiny_dataset)]).precision == "auto"
    for precision in PRECISIONS:
        assert parser.parse_args(["train", "x", "--precision", precision]).precision == precision
    # WHEN training in float32 THEN model.json says so; an unknown precision is a usage error
    out = tmp_path / "fp32"
    argv = ["train", str(tiny_dataset), "--out", str(out), "--epochs", "1", "--threads", "1"]
    assert main([*argv, "--precision", "float32"]) == 0
    assert json.loads((out / "model.json").read_text())["training"]["precision"] == "float32"
    with pytest.raises(SystemExit) as caught:
        main([*argv, "--overwrite", "--precision", "half"])
    assert caught.value.code == 2
    assert "invalid choice: 'half'" in capsys.readouterr().err


def test_alarm_net_sees_the_whole_window_in_time():
    # The first time step's features must depend on the last columns of the image, so the
    # model can relate three beeps to the pause after them.
    net = AlarmNet(1).eval()
    image = torch.rand(1, 1, 128, 128, requires_grad=True)
    net.sequence(image)[:, :, 0].sum().backward()
    assert float(image.grad[..., -8:].abs().sum()) > 0


@pytest.mark.parametrize("channels", [1, 3])
def test_alarm_net_takes_the_config_channels(channels):
    logits = AlarmNet(channels).eval()(torch.zeros(5, channels, 128, 128))
    assert logits.shape == (5,)


def test_data_hash_follows_samples_csv(tiny_dataset, tmp_path):
    copy = write_tiny_dataset(tmp_path / "copy", types=("mel", "linear"))
    assert data_hash(copy) == data_hash(tiny_dataset)
    with open(copy / "samples.csv", "a") as handle:
        handle.write("\n")
    assert data_hash(copy) != data_hash(tiny_dataset)


def test_compare_cli_prints_one_row_per_type(tiny_dataset, tmp_path, capsys):
    out = tmp_path / "compare"
    argv = ["compare", str(tiny_dataset), "--out", str(out), "--epochs", "1", "--threads", "1"]
    assert main(argv) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].startswith("| type | F1 | ROC-AUC")
    assert {line.split("|")[1].strip(" *") for line in table.splitlines()[2:]} == {
        "mel",
        "linear",
    }
    rows = json.loads((out / "compare.json").read_text())
    assert {row["type"] for row in rows} == {"mel", "linear"}
    assert all(row["ms_per_window"] > 0 for row in rows)
    assert (out / "mel" / "evaluation" / "report.json").is_file()


def test_compare_trains_a_type_given_twice_once(tiny_dataset, tmp_path, capsys):
    out = tmp_path / "compare"
    argv = ["compare", str(tiny_dataset), "--out", str(out), "--epochs", "1", "--threads", "1"]
    # WHEN a type is given twice THEN it is trained and tabled once, in the order given
    assert main([*argv, "--types", "linear", "mel", "linear"]) == 0
    rows = json.loads((out / "compare.json").read_text())
    assert [row["type"] for row in rows] == ["linear", "mel"]
    assert len(capsys.readouterr().out.splitlines()) == 4  # header, rule, two rows


def test_compare_refuses_before_training_what_it_would_overwrite(
    tiny_dataset, trained_model_dir, tmp_path, capsys
):
    out = tmp_path / "compare"
    argv = ["compare", str(tiny_dataset), "--out", str(out), "--epochs", "1", "--threads", "1"]
    # GIVEN the second type's model already there, WHEN comparing without --overwrite
    shutil.copytree(trained_model_dir, out / "linear")
    assert main(argv) == 2
    # THEN the refusal comes before the first type is trained
    assert f"{out / 'linear'} exists; pass --overwrite" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["linear"]
    # GIVEN a table of the user's where the table goes THEN it is kept, even with the models
    # replaceable
    shutil.rmtree(out / "linear")
    (out / "compare.md").write_text("my notes\n")
    assert main(argv) == 2
    assert f"{out / 'compare.md'} exists; pass --overwrite" in capsys.readouterr().err
    assert (out / "compare.md").read_text() == "my notes\n"
    assert sorted(p.name for p in out.iterdir()) == ["compare.md"]


def test_compare_takes_types_as_generate_does(tiny_dataset, trained_model_dir, tmp_path, capsys):
    # GIVEN linear's model already there (a refusal, before any training, names the types)
    out = tmp_path / "compare"
    shutil.copytree(trained_model_dir, out / "linear")
    argv = ["compare", str(tiny_dataset), "--out", str(out), "--epochs", "1"]
    # WHEN the types are given with a comma, or as all (the dataset's: mel and linear)
    # THEN each is read as the types meant; "all" had been an invalid choice
    for types in (["linear,mel"], ["mel", "linear"], ["all"], ["all,"]):
        assert main([*argv, "--types", *types]) == 2
        assert f"{out / 'linear'} exists; pass --overwrite" in capsys.readouterr().err
    assert main([*argv, "--types", "mel,melody"]) == 2
    assert capsys.readouterr().err.startswith("error: unknown spectrogram type(s) melody")
    assert sorted(p.name for p in out.iterdir()) == ["linear"]


def test_choose_threshold_keeps_the_recall_floor():
    labels = np.array([0, 0, 0, 1, 1, 1, 1])
    probabilities = np.array([0.1, 0.3, 0.6, 0.2, 0.7, 0.8, 0.9])
    # Max F1 alone cuts between 0.6 and 0.7 and misses the alarm at 0.2 (recall 0.75).
    assert 0.6 < choose_threshold(labels, probabilities, min_recall=0.0) < 0.7
    # A floor of 1.0 must keep that alarm: the cut falls between 0.1 and 0.2.
    assert 0.1 < choose_threshold(labels, probabilities, min_recall=1.0) < 0.2


def test_choose_threshold_keeps_the_recall_floor_at_scores_past_the_logit_clip():
    # An alarm the model scored 1e-8, below where scores are clipped in logit space (1e-6)
    labels = np.array([1, 0, 0, 0, 1, 1, 1, 1, 0, 0])
    probabilities = np.array([1e-8, 0.1, 0.2, 0.3, 0.7, 0.8, 0.9, 0.95, 0.4, 0.35])
    threshold = choose_threshold(labels, probabilities, min_recall=1.0)
    # THEN every alarm is at or above the threshold, as the floor asks
    assert np.all(probabilities[labels == 1] >= threshold)
    # AND with a non-alarm scored past the clip too (a tie in logit space), the floor holds
    probabilities[1] = 1e-9
    threshold = choose_threshold(labels, probabilities, min_recall=1.0)
    assert np.all(probabilities[labels == 1] >= threshold)


class _OnFirstEpoch(logging.Handler):
    """Runs ``action`` once, when training logs its first epoch: between the check of --out
    before training and the model's move into place, as a user or a second run would."""

    def __init__(self, action):
        super().__init__()
        self.action = action

    def emit(self, record):
        if record.getMessage().startswith("epoch") and self.action is not None:
            action, self.action = self.action, None
            action()


@pytest.fixture
def on_first_epoch(caplog):
    """Install an :class:`_OnFirstEpoch` hook on the training logger for one test."""
    caplog.set_level(logging.INFO, logger="sounddetect.train")
    logger = logging.getLogger("sounddetect.train")
    handlers = []

    def install(action):
        handlers.append(_OnFirstEpoch(action))
        logger.addHandler(handlers[-1])

    yield install
    for handler in handlers:
        logger.removeHandler(handler)


def tree(root):
    """Every path under ``root`` with its bytes (None: a folder; "-> target": a link)."""

    def content(path):
        if path.is_symlink():
            return f"-> {os.readlink(path)}"
        return None if path.is_dir() else path.read_bytes()

    return {str(path.relative_to(root)): content(path) for path in sorted(root.rglob("*"))}


@pytest.mark.parametrize("made", ["user_file", "another_model", "user_folder_overwrite"])
def test_what_appears_at_out_while_training_is_kept_and_so_is_the_model(
    tiny_dataset, trained_model_dir, tmp_path, capsys, on_first_epoch, made
):
    # GIVEN --out free when training starts, and made while it trains: a user's notes, a
    # model a second run to the same --out finished first, or (with --overwrite) a folder
    # of the user's, which --overwrite may not replace
    out = tmp_path / "mine"
    overwrite = made == "user_folder_overwrite"

    def make():
        if made == "another_model":
            shutil.copytree(trained_model_dir, out)
        else:
            out.mkdir()
            (out / "notes.txt").write_text("my notes, not a model")

    on_first_epoch(make)
    argv = ["train", str(tiny_dataset), "--out", str(out), "--epochs", "1", "--threads", "1"]
    # WHEN the training ends
    rc = main([*argv, *(["--overwrite"] if overwrite else [])])
    # THEN what is at --out is kept as it was made, with one error line (exit 2)
    err = capsys.readouterr().err
    if made == "another_model":
        assert tree(out) == tree(trained_model_dir)
    else:
        assert tree(out) == {"notes.txt": b"my notes, not a model"}
    kept = tmp_path / "mine-2"
    assert rc == 2
    assert err.count("error:") == 1
    assert err.startswith(f"error: {out} ") and err.endswith(
        f"; the model trained is kept in {kept}\n"
    )
    # AND the model trained is whole in the sibling named, nothing left half-way
    card = json.loads((kept / "model.json").read_text())
    assert card["metrics"]["epochs_run"] == 1
    assert OnnxClassifier.from_dir(kept).classify(
        load_split(tiny_dataset, split="test").images
    ).shape == (12,)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "mine-2"]


def test_a_dataset_inside_the_model_folder_is_refused_before_training(
    tiny_dataset, trained_model_dir, tmp_path, capsys
):
    # GIVEN a model folder that holds the dataset it is to be trained on again
    model = tmp_path / "kitchen" / "model"
    shutil.copytree(trained_model_dir, model)
    data = shutil.copytree(tiny_dataset, model / "data")
    before = tree(tmp_path)
    # WHEN training with --overwrite THEN a usage error before training, and nothing is gone
    argv = ["train", str(data), "--out", str(model), "--overwrite", "--epochs", "1"]
    assert main([*argv, "--threads", "1"]) == 2
    assert tree(tmp_path) == before
    err = capsys.readouterr().err
    assert err == (
        f"error: {data}: the dataset lies inside {model}, which --overwrite replaces with "
        "everything in it; move the dataset out of it, or choose another --out\n"
    )
    # AND so does compare, whose models go to OUT/<type>
    shutil.copytree(trained_model_dir, model.parent / "mel")
    data = shutil.move(data, model.parent / "mel" / "data")
    argv = ["compare", str(data), "--out", str(model.parent), "--types", "mel", "--overwrite"]
    before = tree(tmp_path)
    assert main([*argv, "--epochs", "1", "--threads", "1"]) == 2
    assert (
        f"error: {data}: the dataset lies inside {model.parent / 'mel'}" in capsys.readouterr().err
    )
    assert tree(tmp_path) == before


def test_another_dataset_inside_the_model_folder_is_kept_but_a_test_only_one_is_not(
    tiny_dataset, trained_model_dir, tmp_path, capsys
):
    # GIVEN a model folder that keeps a training dataset of the user's, and an evaluation's
    # test-only render of a corpus
    model = tmp_path / "model"
    shutil.copytree(trained_model_dir, model)
    kept = shutil.copytree(tiny_dataset, model / "old-runs" / "data")
    rendered = shutil.copytree(tiny_dataset, model / "holdout" / "data")
    info = json.loads((rendered / "dataset.json").read_text())
    info.setdefault("settings", {})["split"] = {"train": 0.0, "validate": 0.0, "test": 1.0}
    (rendered / "dataset.json").write_text(json.dumps(info))
    before = tree(tmp_path)
    # WHEN another dataset is trained into it with --overwrite THEN the kept dataset stops
    # it before training (it had been deleted with the old model), and nothing is gone
    argv = ["train", str(tiny_dataset), "--out", str(model), "--overwrite", "--epochs", "1"]
    assert main([*argv, "--threads", "1"]) == 2
    assert tree(tmp_path) == before
    assert capsys.readouterr().err == (
        f"error: {kept}: a dataset lies inside {model}, which --overwrite replaces with "
        "everything in it; move the dataset out of it, or choose another --out\n"
    )
    # AND once it is moved out, the model and its evaluation's render are replaced
    shutil.move(model / "old-runs", tmp_path / "old-runs")
    assert main([*argv, "--threads", "1"]) == 0
    assert not (model / "holdout").exists() and (model / "model.onnx").is_file()


@pytest.mark.parametrize("target", ["a_model", "dangling"])
def test_a_link_at_out_is_refused_before_training(
    tiny_dataset, trained_model_dir, tmp_path, capsys, target
):
    # GIVEN --out a symbolic link: to a model folder (models/current -> v3), or to nothing
    out = tmp_path / "current"
    if target == "a_model":
        shutil.copytree(trained_model_dir, tmp_path / "v3")
    out.symlink_to("v3")
    before = tree(tmp_path)
    argv = ["train", str(tiny_dataset), "--out", str(out), "--epochs", "1", "--threads", "1"]
    # WHEN training, with --overwrite or without, THEN one usage error line before training
    for extra in (["--overwrite"], []):
        assert main([*argv, *extra]) == 2
        assert capsys.readouterr().err == (
            f"error: {out} is a symbolic link (to v3); --out must be the model folder itself, "
            "so give the folder it points to, or another --out\n"
        )
    # AND the link and what it points to are as they were
    assert tree(tmp_path) == before and out.is_symlink()


@pytest.mark.parametrize("when", ["setting_the_old_aside", "moving_the_new_in", "deleting_the_old"])
def test_ctrl_c_while_the_model_moves_in_leaves_whole_models(
    tiny_dataset, trained_model_dir, tmp_path, capsys, caplog, monkeypatch, when
):
    # GIVEN a model folder (mel) to be replaced by a new model (linear)
    out = shutil.copytree(trained_model_dir, tmp_path / "mine")
    old = tree(out)
    # AND Ctrl-C landing at one step of the swap (the standard library's call at that step
    # raises it, as the signal handler would; sounddetect's code runs unchanged)
    rename, rmtree = os.rename, shutil.rmtree

    def interrupted_rename(source, target, *args, **kwargs):
        source, target = Path(source), Path(target)
        if when == "setting_the_old_aside" and source == out:
            raise KeyboardInterrupt
        if when == "moving_the_new_in" and target == out and "-old-" not in source.name:
            raise KeyboardInterrupt
        return rename(source, target, *args, **kwargs)

    def interrupted_rmtree(path, *args, **kwargs):
        if when == "deleting_the_old" and Path(path).name.startswith(".mine-old-"):
            raise KeyboardInterrupt
        return rmtree(path, *args, **kwargs)

    monkeypatch.setattr(os, "rename", interrupted_rename)
    monkeypatch.setattr(shutil, "rmtree", interrupted_rmtree)
    argv = ["train", str(tiny_dataset), "--out", str(out), "--type", "linear", "--overwrite"]
    # WHEN training
    assert main([*argv, "--epochs", "1", "--threads", "1"]) == 130
    monkeypatch.undo()
    # THEN a whole model is at --out: the old one, untouched, unless the new one was in
    # place, and the new one is then in the sibling the log names
    at_out = json.loads((out / "model.json").read_text())["config"]["kind"]
    assert sorted(p.name for p in out.iterdir()) == ["model.json", "model.onnx"]
    if when == "deleting_the_old":
        assert at_out == "linear"
        # AND the old one is only left aside in a hidden folder, whole or partly deleted
        assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".mine-old-")] == [
            "mine"
        ]
    else:
        assert at_out == "mel" and tree(out) == old
        kept = tmp_path / "mine-2"
        assert json.loads((kept / "model.json").read_text())["config"]["kind"] == "linear"
        assert f"{out} was not written; the model trained is kept in {kept}" in caplog.text
        assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "mine-2"]
    assert "interrupted" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["compare.md", "compare.json"])
def test_compare_overwrite_replaces_only_its_own_tables(tiny_dataset, tmp_path, capsys, name):
    out = tmp_path / "compare"
    argv = ["compare", str(tiny_dataset), "--out", str(out), "--types", "mel", "--overwrite"]
    argv += ["--epochs", "1", "--threads", "1"]
    # GIVEN notes of the user's where a table goes
    out.mkdir()
    (out / name).write_text("# my notes\n")
    # WHEN comparing with --overwrite THEN a usage error before training, the notes kept
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        f"error: {out / name} is not a table sounddetect compare wrote; --overwrite replaces "
        "only its own, so choose another --out\n"
    )
    assert [p.name for p in out.iterdir()] == [name]
    assert (out / name).read_text() == "# my notes\n"
    # GIVEN instead the tables of an earlier comparison THEN they are replaced
    rows = [
        {"type": "linear", "f1": 0.5, "roc_auc": 0.5, "precision": 0.5, "recall": 0.5}
        | {"threshold": 0.5, "training_seconds": 1.0, "epochs_run": 1}
        | {"ms_per_window": 0.1, "model": str(out / "linear")}
    ]
    (out / "compare.md").write_text(format_comparison(rows) + "\n")
    (out / "compare.json").write_text(json.dumps(rows, indent=2) + "\n")
    assert main(argv) == 0
    assert [row["type"] for row in json.loads((out / "compare.json").read_text())] == ["mel"]
    assert (out / "compare.md").read_text() == capsys.readouterr().out


def test_compare_goes_on_past_a_type_whose_data_is_damaged(tmp_path, capsys, caplog):
    # GIVEN a dataset of two types, one test image of mel's damaged
    data = write_tiny_dataset(tmp_path / "data", types=("mel", "linear"))
    damaged = sorted((data / "mel" / "test" / "alarm").iterdir())[0]
    damaged.write_bytes(b"not a PNG")
    out = tmp_path / "compare"
    argv = ["compare", str(data), "--out", str(out), "--epochs", "1", "--threads", "1"]
    # WHEN the types are compared, mel first
    code = main([*argv, "--types", "mel", "linear"])
    # THEN mel is not trained (its test split cannot be scored) and says why in one line,
    # linear is compared all the same, and the run ends 1
    captured = capsys.readouterr()
    assert code == 1
    (record,) = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert record.getMessage().startswith(f"mel not compared: cannot read image {damaged}")
    assert not (out / "mel").exists()
    rows = json.loads((out / "compare.json").read_text())
    assert [row["type"] for row in rows] == ["mel", "linear"]
    assert rows[0]["f1"] is None and rows[0]["model"] is None and "cannot read" in rows[0]["error"]
    assert rows[1]["f1"] is not None and "error" not in rows[1]
    assert captured.out.splitlines()[-1] == "| mel | failed | - | - | - | - | - |"
    assert (out / "compare.md").read_text() == captured.out
    # AND the tables it wrote are its own, for --overwrite to replace; a model of mel from
    # before that this run does not replace is not named as its
    shutil.copytree(out / "linear", out / "mel")
    assert main([*argv, "--types", "mel", "linear", "--overwrite"]) == 1
    assert json.loads((out / "compare.json").read_text())[0]["model"] is None


def test_compare_stopped_leaves_no_table_of_the_models_it_replaced(
    tiny_dataset, tmp_path, capsys, monkeypatch
):
    # GIVEN an earlier comparison of linear and mel
    out = tmp_path / "compare"
    argv = ["compare", str(tiny_dataset), "--out", str(out), "--types", "linear", "mel"]
    argv += ["--epochs", "1", "--threads", "1"]
    assert main(argv) == 0
    # WHEN it is run again with --overwrite and Ctrl-C lands as mel's model is moved in (the
    # standard library's call raises it, as the signal handler would), linear's replaced
    rename = os.rename

    def interrupted_rename(source, target, *args, **kwargs):
        if Path(target) == out / "mel":
            raise KeyboardInterrupt
        return rename(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "rename", interrupted_rename)
    assert main([*argv, "--overwrite", "--seed", "3"]) == 130
    monkeypatch.undo()
    # THEN no table is left that describes the models as they were
    assert not (out / "compare.md").exists() and not (out / "compare.json").exists()
    assert json.loads((out / "linear" / "model.json").read_text())["training"]["seed"] == 3


@pytest.mark.parametrize("command", ["train", "compare", "compare into a folder", "evaluate"])
def test_an_output_on_a_read_only_file_system_is_refused_before_any_work(
    tiny_dataset, trained_model_dir, tmp_path, command
):
    # GIVEN a folder on a read-only file system (a share, an installed model's folder)
    folder = tmp_path / "share"
    shutil.copytree(trained_model_dir, folder / "model")
    out = folder / "new"
    if command == "compare into a folder":  # there, with an earlier comparison's table
        out = folder
        (out / "compare.md").write_text(format_comparison([]) + "\n")
    argv = {
        "train": ["train", str(tiny_dataset), "--out", str(out), "--type", "linear"],
        "compare": ["compare", str(tiny_dataset), "--out", str(out)],
        "compare into a folder": ["compare", str(tiny_dataset), "--out", str(out), "--overwrite"],
        "evaluate": ["evaluate", str(folder / "model"), str(tiny_dataset)],
    }[command]
    # WHEN the command would write there (evaluate's report by default into the model's
    # folder)
    done = run_with_a_read_only_folder(folder, ["-m", "sounddetect", *argv])
    # THEN one usage line says so before anything is trained or scored, not a traceback
    # after it
    what, where, read_only = {
        "train": ("the model folder", out, folder),
        "compare": ("the model folder", out / "mel", folder),
        "compare into a folder": ("the model folder", out / "mel", folder),
        "evaluate": ("--out", folder / "model" / "evaluation", folder / "model"),
    }[command]
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"error: {where}: {what} cannot be written ({read_only} is on a read-only file system)"
    )
    assert "epoch" not in done.stderr and "classified" not in done.stderr
    if command == "compare into a folder":
        assert (out / "compare.md").read_text() == format_comparison([]) + "\n"


def test_a_model_the_disk_cannot_hold_is_one_line_naming_its_folder(tiny_dataset, tmp_path):
    # GIVEN a file size limit under a model's size (what a disk filling up does to it)
    code = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))\n"
        "from sounddetect.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    out = tmp_path / "models" / "mine"
    argv = ["train", str(tiny_dataset), "--out", str(out), "--epochs", "1", "--threads", "1"]
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, check=False
    )
    # THEN one line names the model folder (not "standard output"), and nothing is left
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines()[-1] == f"error: {out}: File too large"
    assert list((tmp_path / "models").iterdir()) == []


def test_compare_keeps_its_tables_when_it_would_replace_no_model(tiny_dataset, tmp_path, capsys):
    # GIVEN an earlier comparison
    out = tmp_path / "compare"
    argv = ["compare", str(tiny_dataset), "--out", str(out), "--epochs", "1", "--threads", "1"]
    assert main([*argv, "--types", "mel"]) == 0
    tables = {name: (out / name).read_text() for name in ("compare.md", "compare.json")}
    # WHEN it is run again with a type the dataset lacks, and with a samples.csv that
    # disagrees with dataset.json (a problem of every type's)
    assert main([*argv, "--types", "cqt", "--overwrite"]) == 2
    assert "has no cqt images" in capsys.readouterr().err
    broken = tmp_path / "broken"
    shutil.copytree(tiny_dataset, broken)
    lines = (broken / "samples.csv").read_text().splitlines(keepends=True)
    (broken / "samples.csv").write_text("".join(lines[:-1]))
    argv_broken = ["compare", str(broken), "--out", str(out), "--epochs", "1", "--threads", "1"]
    assert main([*argv_broken, "--overwrite"]) == 2
    # THEN it is refused once, before any model is touched, and the tables stay
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "dataset.json counts" in err
    assert {name: (out / name).read_text() for name in tables} == tables


def test_compare_with_no_type_compared_says_why_and_writes_no_table(tmp_path, capsys, caplog):
    # GIVEN a dataset whose every type has a damaged test image
    data = write_tiny_dataset(tmp_path / "data", types=("mel", "linear"))
    for kind in ("mel", "linear"):
        sorted((data / kind / "test" / "no_alarm").iterdir())[0].write_bytes(b"not a PNG")
    out = tmp_path / "compare"
    argv = ["compare", str(data), "--out", str(out), "--epochs", "1", "--threads", "1"]
    # WHEN compared THEN each type says why, the run ends with the first reason, and no
    # table stands where a later run would have to replace it
    assert main(argv) == 2
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert [error.split(": cannot read image")[0] for error in errors] == [
        "mel not compared",
        "linear not compared",
    ]
    assert "error: cannot read image" in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())
