"""Reading a dataset for train and evaluate: samples.csv's rows, the files it does not list,
the settings that would train nothing, the data hash, and what a folder that is not a
dataset is told."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from helpers.tiny_dataset import write_tiny_dataset
from PIL import Image

from sounddetect.cli import build_parser, main
from sounddetect.dataset import SAMPLE_COLUMNS, read_samples
from sounddetect.evaluate import load_split
from sounddetect.exceptions import ParameterError
from sounddetect.spectrum import SpectrogramConfig
from sounddetect.train import fit


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory):
    return write_tiny_dataset(tmp_path_factory.mktemp("data"), types=("mel", "linear"))


@pytest.fixture
def data(tmp_path):
    """A dataset of one's own to change."""
    return write_tiny_dataset(tmp_path / "data")


def rewrite_samples(data, change):
    """Write samples.csv again with ``change(rows)`` applied (it returns the rows to keep)."""
    rows = change(read_samples(data))
    with open(data / "samples.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SAMPLE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def invert(path):
    image = Image.open(io.BytesIO(path.read_bytes()))
    Image.fromarray(255 - np.asarray(image)).save(path)


# -- settings that would train nothing -------------------------------------------------------


def test_a_batch_size_below_two_is_refused_as_batch_norm_needs_two(tiny_dataset, tmp_path, capsys):
    # GIVEN --batch-size 1, whose every batch training skips (batch norm needs two images)
    for command in ("train", "compare"):
        argv = [command, str(tiny_dataset), "--out", str(tmp_path / command), "--epochs", "1"]
        argv += ["--batch-size", "1"]
        # WHEN train or compare is run THEN a usage error says why, and nothing is written
        with pytest.raises(SystemExit) as caught:
            main(argv)
        assert caught.value.code == 2
        err = capsys.readouterr().err
        assert "--batch-size: must be at least 2, got '1': batch norm needs two images" in err
    assert list(tmp_path.iterdir()) == []
    # AND the library refuses it too, rather than write an untrained model
    data = load_split(tiny_dataset, split="train")
    with pytest.raises(
        ParameterError, match="^batch_size must be at least 2, got 1: batch norm needs two images"
    ):
        fit(data, data, config=SpectrogramConfig(), epochs=1, batch_size=1, num_threads=1)
    parser = build_parser()
    assert parser.parse_args(["train", "x", "--batch-size", "2"]).batch_size == 2


def test_threads_are_capped_as_detect_caps_them(tiny_dataset, capsys):
    parser = build_parser()
    # GIVEN 512 threads (a slip: a 1 s training took 54 s) THEN train and compare refuse them
    # in the words detect uses
    for command in ("train", "compare"):
        with pytest.raises(SystemExit) as caught:
            parser.parse_args([command, str(tiny_dataset), "--threads", "512"])
        assert caught.value.code == 2
        assert "--threads: must be in [1, 256], got '512'" in capsys.readouterr().err
        assert parser.parse_args([command, "x", "--threads", "256"]).threads == 256
    with pytest.raises(SystemExit):
        parser.parse_args(["detect", "x.wav", "--threads", "512"])
    assert "--threads: must be in [0, 256], got '512'" in capsys.readouterr().err
    # AND so does the library, before any training
    data = load_split(tiny_dataset, split="train")
    for threads in (0, 257):
        with pytest.raises(
            ParameterError, match=rf"^num_threads must be in \[1, 256\], got {threads}"
        ):
            fit(data, data, config=SpectrogramConfig(), epochs=1, num_threads=threads)
