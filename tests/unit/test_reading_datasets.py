"""Reading a dataset for train and evaluate: samples.csv's rows, the files it does not list,
the settings that would train nothing, the data hash, and what a folder that is not a
dataset is told."""

from __future__ import annotations

import csv
import io
import json
import shutil
import warnings

import numpy as np
import pytest
from helpers.tiny_dataset import write_tiny_dataset
from PIL import Image

from sounddetect import train as train_module
from sounddetect.cli import build_parser, main
from sounddetect.dataset import (
    SAMPLE_COLUMNS,
    dataset_config,
    image_path,
    read_samples,
    type_folder,
)
from sounddetect.evaluate import load_split
from sounddetect.exceptions import ParameterError, SoundDetectWarning
from sounddetect.spectrum import SpectrogramConfig
from sounddetect.train import data_hash, fit, train


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
    with pytest.raises(SystemExit):
        parser.parse_args(["train", "x", "--batch-size", "0"])
    assert "--batch-size: must be at least 2, got '0'" in capsys.readouterr().err


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


# -- samples.csv -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [("label", "chirp"), ("label", "Alarm"), ("label", "alarm "), ("split", "Test")],
)
def test_a_row_of_an_unknown_label_or_split_is_refused_naming_its_line(
    data, tiny_model_dir, tmp_path, capsys, column, value
):
    # GIVEN samples.csv with a test row relabelled by hand (line 2 is the first row), as a
    # spreadsheet leaves it
    rows = read_samples(data)
    line, row = next((n, r) for n, r in enumerate(rows, start=2) if r["split"] == "test")
    if column == "label":
        folder = image_path(type_folder(data, "mel"), {**row, "label": value}).parent
        folder.mkdir(parents=True, exist_ok=True)
        image_path(type_folder(data, "mel"), row).rename(folder / f"{row['sample_id']}.png")

    def relabel(rows):
        rows[line - 2][column] = value
        return rows

    rewrite_samples(data, relabel)
    allowed = "train, validate, test" if column == "split" else "alarm, no_alarm"
    expected = (
        f"{data / 'samples.csv'}: line {line} (sample {row['sample_id']!r}): {column} "
        f"{value!r} is not one of {allowed}"
    )
    # WHEN it is read THEN one line names samples.csv, the line, the sample and what is allowed
    with pytest.raises(ParameterError) as caught:
        load_split(data, split="test")
    assert str(caught.value) == expected
    # AND evaluate and train say it, a usage error, without a traceback
    out = tmp_path / "evaluation"
    argv = ["evaluate", str(tiny_model_dir), str(data), "--no-recordings", "--out", str(out)]
    assert main(argv) == 2
    assert capsys.readouterr().err == f"error: {expected}\n"
    assert main(["train", str(data), "--out", str(tmp_path / "m"), "--epochs", "1"]) == 2
    assert capsys.readouterr().err == f"error: {expected}\n"
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("sample_id", ["../../outside", "", "..", "a\\b"])
def test_a_sample_id_that_is_no_file_name_is_refused(data, sample_id):
    # GIVEN samples.csv with a test row's id edited into a path (it had been read as one)
    rows = read_samples(data)
    line = next(n for n, r in enumerate(rows, start=2) if r["split"] == "test")

    def rename(rows):
        rows[line - 2]["sample_id"] = sample_id
        return rows

    rewrite_samples(data, rename)
    # WHEN it is read THEN one line names samples.csv, the line and the id
    with pytest.raises(ParameterError) as caught:
        load_split(data, split="test")
    assert str(caught.value) == (
        f"{data / 'samples.csv'}: line {line}: sample id {sample_id!r} is no file name"
    )


def test_a_samples_csv_cut_short_is_refused_not_scored_on_what_is_left(data):
    # GIVEN samples.csv cut off in the middle of a test row (a copy that stopped)
    text = (data / "samples.csv").read_text()
    rows = read_samples(data)
    line, row = next((n, r) for n, r in enumerate(rows, start=2) if r["split"] == "test")
    lines = text.splitlines(keepends=True)
    cut = "".join(lines[: line - 1]) + lines[line - 1][: len(lines[line - 1]) // 2]
    (data / "samples.csv").write_text(cut)
    # THEN reading it names the row cut short
    with pytest.raises(ParameterError, match=rf"line {line} \(sample {row['sample_id']!r}\): "):
        load_split(data, split="test")


def test_a_samples_csv_missing_whole_rows_is_refused(data):
    # GIVEN samples.csv without its last row, cut at a line's end
    rows = read_samples(data)
    rewrite_samples(data, lambda rows: rows[:-1])
    split, label = rows[-1]["split"], rows[-1]["label"]
    expected = sum(r["split"] == split and r["label"] == label for r in rows)
    # THEN it is refused against dataset.json's counts, whichever split is read
    message = f"lists {expected - 1} {split} {label} samples where dataset.json counts {expected} "
    for each in ("train", "test"):
        with pytest.raises(ParameterError, match=message):
            load_split(data, split=each)


def test_a_samples_csv_with_a_byte_order_mark_is_read(data):
    # GIVEN samples.csv saved as Excel's "CSV UTF-8", which starts with a byte-order mark
    before = load_split(data, split="validate")
    text = (data / "samples.csv").read_bytes()
    (data / "samples.csv").write_bytes(b"\xef\xbb\xbf" + text)
    # THEN its rows are read as they were
    after = load_split(data, split="validate")
    assert after.rows == before.rows
    np.testing.assert_array_equal(after.labels, before.labels)


def test_a_samples_csv_saved_in_another_encoding_is_one_line_naming_it(data):
    # GIVEN samples.csv saved from a spreadsheet as "CSV (Windows-1252)", an accent in a name
    text = (data / "samples.csv").read_bytes()
    offset = text.index(b"background/") + len(b"background")
    (data / "samples.csv").write_bytes(text[:offset] + b"\xe9" + text[offset:])
    # THEN it is refused by name and byte, not with a decoder's traceback
    with pytest.raises(ParameterError) as refused:
        load_split(data, split="test")
    assert str(refused.value) == (
        f"{data / 'samples.csv'}: not UTF-8 (a byte 0xe9); save it as CSV UTF-8, or generate "
        "the dataset again"
    )


# -- files samples.csv does not list ---------------------------------------------------------


def test_files_samples_csv_does_not_list_are_named_in_one_warning_per_split(data):
    # GIVEN images of the user's put in train/ by hand, a damaged and an empty PNG and notes;
    # and in validate/ only what file managers and the shell leave
    train, validate = data / "train", data / "validate"
    for source in sorted((data / "test" / "alarm").iterdir())[:3]:
        shutil.copy(source, train / "alarm" / f"my-{source.name}")
    (train / "alarm" / "damaged.png").write_bytes(b"\x89PNG\r\n\x1a\nhalf")
    (train / "no_alarm" / "empty.png").write_bytes(b"")
    (train / "notes.txt").write_text("recorded in the kitchen")
    for litter in (".DS_Store", "Thumbs.db", "desktop.ini", ".hidden.png"):
        (train / "alarm" / litter).write_bytes(b"x")
        (validate / "no_alarm" / litter).write_bytes(b"x")
    # WHEN the splits are read
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train_data = load_split(data, split="train")
        validate_data = load_split(data, split="validate")
    # THEN one warning names train/'s 6 unlisted files, two of them, and what is used
    messages = [str(w.message) for w in caught if issubclass(w.category, SoundDetectWarning)]
    assert messages == [
        f"{train}: 6 file(s) that samples.csv does not list (such as alarm/damaged.png and "
        "alarm/my-test-1bg-0000.png) are not used; train and evaluate read only the images "
        "of samples.csv's rows"
    ]
    # AND only samples.csv's rows were read
    assert len(train_data.labels) == 24 and len(validate_data.labels) == 12


def test_evaluate_names_files_samples_csv_does_not_list_in_one_line(
    data, tiny_model_dir, tmp_path, capsys
):
    # GIVEN an empty PNG in the test split that samples.csv does not list
    test = data / "test"
    (test / "alarm" / "mine.png").write_bytes(b"")
    # WHEN evaluated THEN the split is scored, and one warning line names the file
    argv = ["evaluate", str(tiny_model_dir), str(data), "--no-recordings", "--no-plots"]
    assert main([*argv, "--out", str(tmp_path / "evaluation")]) == 0
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if not line.startswith("INFO")] == [
        f"warning: {test}: 1 file(s) that samples.csv does not list (such as alarm/mine.png) "
        "are not used; train and evaluate read only the images of samples.csv's rows"
    ]


# -- a folder that is not a dataset ----------------------------------------------------------


def test_a_folder_that_is_not_a_dataset_is_told_what_it_lacks(
    tiny_dataset, tiny_model_dir, tmp_path, capsys
):
    # GIVEN labelled images laid out by hand, as for Rekognition, without dataset.json
    hand = tmp_path / "hand"
    shutil.copytree(tiny_dataset / "mel", hand)
    # AND the same with dataset.json copied in, but no samples.csv
    hand2 = tmp_path / "hand2"
    shutil.copytree(tiny_dataset / "mel", hand2 / "mel")
    shutil.copy(tiny_dataset / "dataset.json", hand2)
    generated = "train and evaluate take"
    cases = {
        hand: f"{hand}: not a dataset made by `sounddetect generate`: it has no dataset.json "
        f"and no samples.csv; {generated} the generator's folder",
        hand2: f"{hand2}: holds dataset.json but no samples.csv, the list of every image with "
        f"its split and label; {generated} a dataset made by `sounddetect generate`",
        tmp_path / "no-such-folder": f"{tmp_path / 'no-such-folder'}: no such folder",
    }
    for folder, message in cases.items():
        # WHEN train or evaluate is given it THEN one line says so, a usage error
        assert main(["train", str(folder), "--out", str(tmp_path / "m"), "--epochs", "1"]) == 2
        assert capsys.readouterr().err.startswith(f"error: {message}")
        argv = ["evaluate", str(tiny_model_dir), str(folder), "--out", str(tmp_path / "e")]
        assert main(argv) == 2
        assert capsys.readouterr().err.startswith(f"error: {message}")
        with pytest.raises(ParameterError) as caught:
            load_split(folder, split="test")
        assert str(caught.value).startswith(message)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["hand", "hand2"]
    with pytest.raises(ParameterError, match="no-such-file.json: no such file$"):
        dataset_config(tmp_path / "no-such-file.json")


def test_a_dataset_s_file_given_for_its_folder_is_named_a_file(
    data, tiny_model_dir, tmp_path, capsys
):
    # GIVEN a dataset's dataset.json and samples.csv, each given where its folder belongs
    for name in ("dataset.json", "samples.csv"):
        file = data / name
        message = f"error: {file}: a file, not a dataset folder (the folder `sounddetect generate`"
        # WHEN train, evaluate or compare is given it THEN one line says it is a file; they
        # had named {file}/samples.csv "not a directory" or read samples.csv as JSON
        for argv in (
            ["train", str(file), "--out", str(tmp_path / "m"), "--epochs", "1"],
            ["evaluate", str(tiny_model_dir), str(file), "--out", str(tmp_path / "e")],
            ["compare", str(file), "--out", str(tmp_path / "c")],
        ):
            assert main(argv) == 2
            assert capsys.readouterr().err.startswith(message)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["data"]


def test_a_config_whose_kind_is_not_its_type_s_is_refused(data, tmp_path, capsys):
    # GIVEN a dataset.json edited by hand: the mel images' config says linear
    info = json.loads((data / "dataset.json").read_text())
    info["configs"]["mel"]["kind"] = "linear"
    (data / "dataset.json").write_text(json.dumps(info))
    # WHEN a model is trained on it THEN it is refused: the model would have been told to
    # render linear spectrograms for a network trained on mel images
    assert main(["train", str(data), "--out", str(tmp_path / "m"), "--epochs", "1"]) == 2
    assert capsys.readouterr().err.startswith(
        f"error: {data}: the config of its mel images says kind 'linear'; it must say 'mel'"
    )
    assert not (tmp_path / "m").exists()


def test_a_split_without_one_label_is_named_by_its_folder(data, tmp_path):
    # GIVEN a dataset made without alarms in its validate split (too few alarm clips)
    shutil.rmtree(data / "validate" / "alarm")
    rewrite_samples(
        data,
        lambda rows: [r for r in rows if not (r["split"] == "validate" and r["label"] == "alarm")],
    )
    info = json.loads((data / "dataset.json").read_text())
    info["counts"]["by_split"]["validate"]["alarm"] = 0
    (data / "dataset.json").write_text(json.dumps(info))
    # THEN training names the split's folder and what it holds
    with pytest.raises(ParameterError) as caught:
        train(data, tmp_path / "model", epochs=1, num_threads=1)
    assert str(caught.value) == (
        f"{data / 'validate'}: the validate split needs both alarm and no_alarm "
        "samples; it has 0 alarm and 6 no_alarm"
    )


# -- the data hash ---------------------------------------------------------------------------


def test_the_data_hash_covers_the_images_of_the_type(tiny_dataset, tmp_path):
    # GIVEN a copy of the dataset with one mel image inverted, samples.csv and dataset.json
    # unchanged
    copy = tmp_path / "copy"
    shutil.copytree(tiny_dataset, copy)
    assert data_hash(copy) == data_hash(tiny_dataset)
    row = read_samples(copy)[5]
    invert(image_path(type_folder(copy, "mel"), row))
    # THEN its mel hash differs, and its linear hash (of images not changed) does not
    assert data_hash(copy) != data_hash(tiny_dataset)
    assert data_hash(copy, kind="linear") == data_hash(tiny_dataset, kind="linear")
    # AND an image gone is named
    image_path(type_folder(copy, "linear"), row).unlink()
    with pytest.raises(ParameterError, match=f"^cannot read image {copy}/linear/"):
        data_hash(copy, kind="linear")


def test_images_changed_while_training_are_seen(data, tmp_path, monkeypatch):
    # GIVEN a training during which one of the images is replaced
    fit_as_it_is = train_module.fit

    def fit_while_an_image_changes(*args, **kwargs):
        invert(image_path(type_folder(data, "mel"), read_samples(data)[0]))
        return fit_as_it_is(*args, **kwargs)

    monkeypatch.setattr(train_module, "fit", fit_while_an_image_changes)
    # THEN no model is written from data that is no longer there
    with pytest.raises(ParameterError, match="changed while training; train again"):
        train(data, tmp_path / "model", epochs=1, num_threads=1)
    assert not (tmp_path / "model").exists()
