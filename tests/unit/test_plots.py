"""Pictures: the contact sheet of spectrogram examples, and what a timeline draws (its names
and files: test_detect_cli.py)."""

import warnings

import numpy as np
from helpers.signals import noise, write_wav
from PIL import Image

from sounddetect.classifiers import OnnxClassifier
from sounddetect.detect import detect_file
from sounddetect.exceptions import SoundDetectWarning
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
