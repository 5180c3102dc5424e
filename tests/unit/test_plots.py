"""Pictures: the contact sheet of spectrogram examples, and what a timeline draws (its names
and files: test_detect_cli.py)."""

import warnings

import numpy as np
import pytest
from helpers.signals import noise, write_wav
from PIL import Image

from sounddetect.classifiers import OnnxClassifier
from sounddetect.detect import detect_file
from sounddetect.exceptions import ParameterError, SoundDetectWarning
from sounddetect.plots import plot_detection, write_contact_sheet

SR = 16000


def test_contact_sheet_has_a_row_per_label_and_a_column_per_type(tmp_path):
    # GIVEN black alarm images and mid-grey no-alarm images of a gray and a colour type
    images = {
        label: {
            "mel": np.full((128, 128), level, dtype=np.uint8),
            "cqt": np.full((128, 128, 3), level, dtype=np.uint8),
        }
        for label, level in (("alarm", 0), ("no_alarm", 128))
    }
    # WHEN they are drawn into a folder that does not exist yet
    path = tmp_path / "img" / "types.png"
    write_contact_sheet(images, path, kinds=("mel", "cqt"))
    # THEN the sheet has two 190 x 210 pixel cells a row, the alarm images above
    with Image.open(path) as sheet:
        assert sheet.format == "PNG" and sheet.size == (2 * 190, 2 * 210)
        pixels = np.asarray(sheet.convert("L")).astype(int)
    top, bottom = pixels[:210], pixels[210:]
    assert np.mean(top < 10) > 0.5 and np.mean(bottom < 10) < 0.05
    assert np.mean(abs(bottom - 128) < 3) > 0.5 and np.mean(abs(top - 128) < 3) < 0.05


def spectrogram_patch(path):
    """Grey levels of a patch in the middle of a timeline's spectrogram panel."""
    with Image.open(path) as picture:
        pixels = np.asarray(picture.convert("L")).astype(int)
    height, width = pixels.shape
    return pixels[int(0.25 * height) : int(0.4 * height), int(0.35 * width) : int(0.65 * width)]


def test_a_silent_recording_s_timeline_is_drawn_black(tmp_path, rng, tiny_model_dir):
    # GIVEN a recording of digital silence, and one of noise
    classifier = OnnxClassifier.from_dir(tiny_model_dir)
    silent = write_wav(tmp_path / "silent.wav", np.zeros(10 * SR, np.float32), SR)
    noisy = write_wav(tmp_path / "noisy.wav", noise(10.0, sr=SR, rng=rng), SR)
    for recording in (silent, noisy):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SoundDetectWarning)  # "silent throughout"
            result = detect_file(recording, classifier)
        plot_detection(result, recording, recording.with_suffix(".png"))
    # THEN silence is black, as the quietest sound of any timeline is, and noise is not
    assert spectrogram_patch(silent.with_suffix(".png")).max() < 10
    assert spectrogram_patch(noisy.with_suffix(".png")).mean() > 60


def test_what_cannot_be_drawn_is_one_clear_error(tmp_path, rng, tiny_model_dir):
    # GIVEN a result of a recording, and a failed one
    classifier = OnnxClassifier.from_dir(tiny_model_dir)
    recording = write_wav(tmp_path / "noisy.wav", noise(10.0, sr=SR, rng=rng), SR)
    result = detect_file(recording, classifier)
    failed = detect_file(tmp_path / "gone.wav", classifier)
    # THEN a failed result, a count of no columns and a folder that is not there are each
    # refused by name; they had been a TypeError, a ZeroDivisionError and an error naming
    # a hidden file
    with pytest.raises(ParameterError, match=r"gone\.wav: a failed result has no timeline"):
        plot_detection(failed, recording, tmp_path / "gone.png")
    with pytest.raises(ParameterError, match="max_columns must be a positive integer, got 0"):
        plot_detection(result, recording, tmp_path / "a.png", max_columns=0)
    elsewhere = tmp_path / "no-such-folder" / "a.png"
    with pytest.raises(FileNotFoundError) as missing:
        plot_detection(result, recording, elsewhere)
    assert missing.value.filename == str(elsewhere)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["noisy.wav"]


def test_a_contact_sheet_without_an_image_of_a_kind_says_which(tmp_path):
    images = {"alarm": {"mel": np.zeros((8, 8), np.uint8)}, "no_alarm": {}}
    with pytest.raises(ParameterError, match=r"no image for alarm cqt, no_alarm mel, no_alarm cqt"):
        write_contact_sheet(images, tmp_path / "sheet.png", kinds=("mel", "cqt"))
    assert not (tmp_path / "sheet.png").exists()
