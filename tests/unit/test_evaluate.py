"""Evaluation: hand-checked metrics and breakdowns, the report, plots and the CLI."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers.signals import noise, t3_alarm, tone, write_wav
from helpers.tiny_dataset import write_tiny_dataset
from PIL import Image

from sounddetect import dataset
from sounddetect.classifiers.onnx import OnnxClassifier
from sounddetect.cli import main
from sounddetect.dataset import image_path, read_samples, type_folder
from sounddetect.detect import detect_file
from sounddetect.evaluate import (
    ALARM_SNIPPET_KIND,
    breakdown_by_alarm_kind,
    breakdown_by_background,
    breakdown_by_snr,
    classification_metrics,
    dataset_from_corpus,
    evaluate,
    is_corpus,
    load_split,
    measure_ms_per_window,
    recording_outcomes,
)
from sounddetect.exceptions import ModelError, ParameterError, SoundDetectWarning

# A hand-checked case. At threshold 0.5 the alarms 0.9, 0.8, 0.6 are found and 0.3 is
# missed; the non-alarm 0.7 is a false alarm: tp 3, fp 1, fn 1, tn 5.
# ROC-AUC: of the 4 x 6 alarm/non-alarm pairs, 0.9 and 0.8 beat all 6, 0.6 beats 5 (not
# 0.7), 0.3 beats 4 (not 0.7 or 0.4): 21 / 24 = 0.875.
LABELS = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
PROBABILITIES = np.array([0.9, 0.8, 0.6, 0.3, 0.7, 0.2, 0.1, 0.1, 0.05, 0.4])
SNR_DB = ["-8", "2", "12", "2", "", "", "", "", "", ""]
KINDS = ["noise", "chirp;noise", "speech", "chirp", "chirp", "noise", "noise", "speech"]
KINDS += ["chirp", "noise"]
ALARM_KINDS = ["t3piezo", "t4piezo", "t3piezo", "t4piezo", "", "", "", "", "", ""]
ROWS = [
    {"sample_id": f"s{i}", "snr_db": snr, "background_kinds": kinds, "alarm_kind": alarm}
    for i, (snr, kinds, alarm) in enumerate(zip(SNR_DB, KINDS, ALARM_KINDS, strict=True))
]


def test_classification_metrics_hand_checked():
    m = classification_metrics(LABELS, PROBABILITIES, threshold=0.5)
    assert m["confusion_matrix"] == [[5, 1], [1, 3]]
    assert m["precision"] == pytest.approx(0.75)
    assert m["recall"] == pytest.approx(0.75)
    assert m["f1"] == pytest.approx(0.75)
    assert m["accuracy"] == pytest.approx(0.8)
    assert m["false_positive_rate"] == pytest.approx(1 / 6)
    assert m["roc_auc"] == pytest.approx(21 / 24)
    assert (m["n"], m["n_alarm"], m["n_no_alarm"]) == (10, 4, 6)


def test_classification_metrics_threshold_is_inclusive():
    # 0.6 is an alarm at threshold 0.6; at 0.65 only 0.9 and 0.8 remain, and 0.7 is still
    # a false alarm: tp 2, fp 1 -> precision 2/3, recall 1/2, F1 4/7.
    assert classification_metrics(LABELS, PROBABILITIES, threshold=0.6)["recall"] == 0.75
    m = classification_metrics(LABELS, PROBABILITIES, threshold=0.65)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(4 / 7)


def test_classification_metrics_undefined_values_are_none():
    m = classification_metrics(np.array([0, 0]), np.array([0.1, 0.2]), threshold=0.5)
    assert m["precision"] is None and m["recall"] is None and m["roc_auc"] is None
    assert m["false_positive_rate"] == 0.0
    with pytest.raises(ParameterError, match="threshold"):
        classification_metrics(LABELS, PROBABILITIES, threshold=1.5)
    with pytest.raises(ParameterError, match="one length"):
        classification_metrics(LABELS, PROBABILITIES[:3])


def test_breakdown_by_snr_pairs_each_bin_with_all_non_alarms():
    bins = {b["bin"]: b for b in breakdown_by_snr(ROWS, LABELS, PROBABILITIES, threshold=0.5)}
    assert list(bins) == ["-10..-5 dB", "0..5 dB", "10..20 dB"]
    middle = bins["0..5 dB"]  # alarms 0.8 (found) and 0.3 (missed), 6 non-alarms, 1 fp
    assert (middle["n_alarm"], middle["n_no_alarm"]) == (2, 6)
    assert middle["recall"] == pytest.approx(0.5)
    assert middle["precision"] == pytest.approx(0.5)
    assert (middle["low_db"], middle["high_db"]) == (0.0, 5.0)
    assert bins["-10..-5 dB"]["recall"] == 1.0


def test_breakdown_by_alarm_kind_gives_each_kind_its_recall():
    kinds = {
        b["kind"]: b for b in breakdown_by_alarm_kind(ROWS, LABELS, PROBABILITIES, threshold=0.5)
    }
    assert sorted(kinds) == ["t3piezo", "t4piezo"]
    assert kinds["t3piezo"]["recall"] == 1.0  # 0.9 and 0.6
    assert kinds["t4piezo"]["recall"] == 0.5  # 0.8 found, 0.3 missed
    assert kinds["t4piezo"]["n_no_alarm"] == 6


def test_breakdown_by_background_counts_every_kind_of_a_mix():
    kinds = {
        b["kind"]: b for b in breakdown_by_background(ROWS, LABELS, PROBABILITIES, threshold=0.5)
    }
    assert sorted(kinds) == ["chirp", "noise", "speech"]
    chirp = kinds["chirp"]  # alarms 0.8 (found), 0.3 (missed); non-alarms 0.7 (fp), 0.05
    assert (chirp["n_alarm"], chirp["n_no_alarm"]) == (2, 2)
    assert chirp["recall"] == pytest.approx(0.5)
    assert chirp["false_positive_rate"] == pytest.approx(0.5)
    assert kinds["noise"]["n"] == 5


def test_non_alarms_holding_an_alarm_snippet_get_their_own_row():
    rows = [dict(row) for row in ROWS]
    rows[4]["alarm_kind"] = "t3piezo"  # the non-alarm at 0.7, a false alarm
    rows[5]["alarm_kind"] = "t4piezo"  # the non-alarm at 0.2
    kinds = {
        b["kind"]: b for b in breakdown_by_background(rows, LABELS, PROBABILITIES, threshold=0.5)
    }
    snippet = kinds[ALARM_SNIPPET_KIND]
    assert (snippet["n_alarm"], snippet["n_no_alarm"]) == (0, 2)
    assert snippet["false_positive_rate"] == pytest.approx(0.5)
    assert kinds["chirp"]["n"] == 4


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory):
    return write_tiny_dataset(tmp_path_factory.mktemp("data"))


def test_evaluate_scores_the_onnx_model_and_writes_report_and_plots(
    tiny_model_dir, tiny_dataset, tmp_path
):
    # GIVEN a model directory and a dataset WHEN evaluated on test/
    out = tmp_path / "evaluation"
    report = evaluate(tiny_model_dir, tiny_dataset, out_dir=out)
    # THEN the metrics are those of the classifier detection uses, at the model's threshold
    test = load_split(tiny_dataset, split="test")
    probabilities = OnnxClassifier.from_dir(tiny_model_dir).classify(test.images)
    expected = classification_metrics(test.labels, probabilities, threshold=report["threshold"])
    assert report["metrics"] == expected
    assert report["metrics"]["n"] == len(test.labels) == 12
    assert report["split"] == "test" and report["kind"] == "mel"
    assert sum(b["n_alarm"] for b in report["by_snr"]) == int(test.labels.sum())
    assert {b["kind"] for b in report["by_background"]} == {"noise", "chirp", "speech"}
    assert [b["kind"] for b in report["by_alarm_kind"]] == ["t3"]
    n_errors = expected["confusion_matrix"][0][1] + expected["confusion_matrix"][1][0]
    assert len(report["errors"]) == n_errors
    assert report["ms_per_window"] > 0
    assert json.loads((out / "report.json").read_text()) == json.loads(json.dumps(report))
    for name in ("pr_curve.png", "confusion_matrix.png", "f1_by_snr.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # AND a dataset drawn as images, without source audio, has no recordings to score
    assert report["recordings"] is None


def test_drawing_a_report_leaves_matplotlib_s_backend_as_it_was(
    tiny_model_dir, tiny_dataset, tmp_path
):
    # GIVEN a program that draws with another backend (a notebook's, a GUI's)
    import matplotlib

    before = matplotlib.get_backend()
    matplotlib.use("svg")
    try:
        # WHEN a report is drawn
        evaluate(tiny_model_dir, tiny_dataset, out_dir=tmp_path / "evaluation")
        # THEN its backend is the one it chose, and the plots were written all the same
        assert matplotlib.get_backend() == "svg"
    finally:
        matplotlib.use(before)
    assert (tmp_path / "evaluation" / "f1_by_snr.png").read_bytes()[:4] == b"\x89PNG"


def test_a_test_split_of_one_label_is_scored_with_a_warning(tiny_model_dir, tmp_path):
    # GIVEN a dataset whose test split holds no_alarm samples only (alarms taken out, with
    # dataset.json's counts changed alike)
    data = write_tiny_dataset(tmp_path / "data")
    rows = [r for r in read_samples(data) if not (r["split"] == "test" and r["label"] == "alarm")]
    with open(data / "samples.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    info = json.loads((data / "dataset.json").read_text())
    info["counts"]["by_split"]["test"]["alarm"] = 0
    (data / "dataset.json").write_text(json.dumps(info))
    # WHEN it is scored THEN a warning says what its figures cannot say
    with pytest.warns(SoundDetectWarning, match="the test split holds no_alarm samples only"):
        report = evaluate(tiny_model_dir, data, out_dir=tmp_path / "e", plots=False)
    assert report["metrics"]["roc_auc"] is None


def test_evaluate_says_when_the_model_heard_clips_of_the_split(tiny_model_dir, tmp_path, caplog):
    # GIVEN a dataset whose test split holds 3 source clips, and a model that trained on the
    # data of another seed, whose train or validate split held 2 of them
    data = write_tiny_dataset(tmp_path / "data")
    info = json.loads((data / "dataset.json").read_text())
    digest = {name: hashlib.sha256(name.encode()).hexdigest() for name in "abcdef"}
    splits = {"a": "test", "b": "test", "c": "test", "d": "train", "e": "validate", "f": "train"}
    info["sources"] = [
        {
            "file": f"background/{name}.wav",
            "role": "background",
            "sha256": digest[name],
            "split": split,
        }
        for name, split in splits.items()
    ]
    (data / "dataset.json").write_text(json.dumps(info))
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    card = json.loads((model / "model.json").read_text())
    card["training"] = {"source_sha256": sorted(digest[name] for name in "bcd")}
    (model / "model.json").write_text(json.dumps(card))
    # WHEN the model is evaluated on the test split
    report = evaluate(model, data, plots=False, recordings=False)
    # THEN the report and a warning line say how many of its clips the model heard
    assert report["heard_in_training"] == {"clips": 2, "of": 3}
    assert f"{data}: 2 of the 3 source clips of its test split were in the training" in (
        caplog.text
    )
    # AND a model that heard none of them, or does not list what it heard, is scored as ever
    card["training"] = {"source_sha256": [digest["d"], digest["e"]]}
    (model / "model.json").write_text(json.dumps(card))
    assert evaluate(model, data, plots=False, recordings=False)["heard_in_training"] == {
        "clips": 0,
        "of": 3,
    }
    del card["training"]
    (model / "model.json").write_text(json.dumps(card))
    assert evaluate(model, data, plots=False, recordings=False)["heard_in_training"] is None


def test_evaluate_refuses_a_dataset_rendered_differently(tiny_model_dir, tmp_path):
    data = write_tiny_dataset(tmp_path / "data")
    info = json.loads((data / "dataset.json").read_text())
    info["configs"]["mel"]["n_mels"] = 64
    (data / "dataset.json").write_text(json.dumps(info))
    # THEN the message names the dataset (a one-type dataset has no mel/ folder) and the
    # field that differs, not the whole of both configs
    with pytest.raises(ModelError) as refused:
        evaluate(tiny_model_dir, data)
    assert str(refused.value) == (
        f"model {tiny_model_dir} was trained on images rendered differently from the mel "
        f"images of {data} (n_mels: model 128, dataset 64)"
    )


def test_evaluate_refuses_an_unknown_split_and_a_missing_type(tiny_model_dir, tiny_dataset):
    with pytest.raises(ParameterError, match="unknown split"):
        load_split(tiny_dataset, split="holdout")
    with pytest.raises(ParameterError, match="has no 'cqt' images"):
        evaluate(tiny_model_dir, tiny_dataset, kind="cqt")


def test_a_damaged_or_foreign_image_is_refused_by_its_path(tmp_path):
    # GIVEN a dataset where one test image is not a PNG and, after a fix, one is resized
    data = write_tiny_dataset(tmp_path / "data")
    row = next(row for row in read_samples(data) if row["split"] == "test")
    path = image_path(type_folder(data, "mel"), row)
    original = path.read_bytes()
    path.write_bytes(b"half a download")
    # THEN loading the split names that file and the reason, in words
    with pytest.raises(ParameterError) as caught:
        load_split(data, split="test")
    assert str(caught.value) == (
        f"cannot read image {path}: not a PNG image (no image format recognised)"
    )
    small = Image.open(io.BytesIO(original)).resize((64, 64))
    small.save(path)
    with pytest.raises(ParameterError) as caught:
        load_split(data, split="test")
    assert str(caught.value) == (
        f"image {path} is 64x64 grey, but the dataset's mel images are 128x128 grey"
    )
    path.write_bytes(original)
    assert len(load_split(data, split="test").labels) == 12


def test_evaluate_cli_prints_a_summary_and_json(tiny_model_dir, tiny_dataset, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["evaluate", str(tiny_model_dir), str(tiny_dataset), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "ROC-AUC" in text and "SNR bin" in text and "background" in text
    assert text.endswith(f"\nreport and plots: {out}\n")
    assert (out / "report.json").is_file() and (out / "pr_curve.png").is_file()
    argv = ["evaluate", str(tiny_model_dir), str(tiny_dataset), "--out", str(out)]
    # AND without plots it says only the report is there
    assert main([*argv, "--no-plots"]) == 0
    assert capsys.readouterr().out.endswith(f"\nreport: {out}\n")
    assert main([*argv, "--format", "json", "--no-plots", "--split", "validate"]) == 0
    assert json.loads(capsys.readouterr().out)["split"] == "validate"
    assert main(["evaluate", str(tmp_path / "nothing"), str(tiny_dataset)]) == 2
    assert "no model there" in capsys.readouterr().err


def test_a_dataset_given_as_the_model_is_named_as_one(
    tiny_model_dir, tiny_dataset, tmp_path, capsys
):
    before = sorted(tiny_dataset.rglob("*"))
    # the two folders swapped: the order is said, and nothing is written into either
    assert main(["evaluate", str(tiny_dataset), str(tiny_model_dir)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {tiny_dataset} is a dataset and {tiny_model_dir} a model: the model comes "
        "first (sounddetect evaluate MODEL TARGET_PATH)"
    ]
    assert sorted(tiny_dataset.rglob("*")) == before
    # a dataset for the model, and another dataset: it is called a dataset, not an empty folder
    assert main(["evaluate", str(tiny_dataset), str(tiny_dataset), "--out", str(tmp_path)]) == 2
    assert f"{tiny_dataset}: a dataset (it holds dataset.json), not a model" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize("name", ["report.json", "pr_curve.png"])
def test_evaluate_keeps_the_user_s_files_of_a_report_s_names(
    tiny_model_dir, tiny_dataset, tmp_path, capsys, name
):
    # GIVEN a folder holding a file of the user's named as a report's
    out = tmp_path / "notes"
    out.mkdir()
    (out / name).write_text("mine")
    # WHEN evaluate is asked to write there, THEN it refuses at once and the file is kept
    argv = ["evaluate", str(tiny_model_dir), str(tiny_dataset), "--out", str(out)]
    assert main(argv) == 2
    assert f"{out}: holds {name} that sounddetect evaluate did not write" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == [name] and (out / name).read_text() == "mine"


def test_an_earlier_report_s_plots_go_with_it(tiny_model_dir, tiny_dataset, tmp_path):
    # GIVEN a report folder with an earlier report and its plots
    out = tmp_path / "evaluation"
    evaluate(tiny_model_dir, tiny_dataset, out_dir=out)
    assert len(list(out.glob("*.png"))) == 3
    # WHEN a new report is written there without plots
    evaluate(tiny_model_dir, tiny_dataset, split="validate", out_dir=out, plots=False)
    # THEN no plot of the earlier report is left beside it
    assert [p.name for p in out.iterdir()] == ["report.json"]
    assert json.loads((out / "report.json").read_text())["split"] == "validate"


def test_a_picture_of_the_user_s_beside_an_earlier_report_is_kept(
    tiny_model_dir, tiny_dataset, tmp_path, capsys
):
    # GIVEN an earlier report, and a picture of the user's named as one of its plots
    out = tmp_path / "evaluation"
    evaluate(tiny_model_dir, tiny_dataset, out_dir=out, plots=False)
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(picture, format="PNG")
    (out / "confusion_matrix.png").write_bytes(picture.getvalue())
    report = (out / "report.json").read_bytes()
    # WHEN evaluate writes a report there THEN it refuses in one line, and both are kept
    argv = ["evaluate", str(tiny_model_dir), str(tiny_dataset), "--out", str(out)]
    assert main([*argv, "--no-recordings"]) == 2
    assert capsys.readouterr().err == (
        f"error: {out}: holds confusion_matrix.png that sounddetect evaluate did not write; "
        "choose another --out\n"
    )
    assert (out / "confusion_matrix.png").read_bytes() == picture.getvalue()
    assert (out / "report.json").read_bytes() == report


def test_plots_of_a_report_made_before_the_mark_are_replaced(
    tiny_model_dir, tiny_dataset, tmp_path
):
    # GIVEN an earlier report whose plot matplotlib marked as its own (reports before
    # 2026-12-02 were drawn so)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = tmp_path / "evaluation"
    evaluate(tiny_model_dir, tiny_dataset, out_dir=out, plots=False)
    fig, _ = plt.subplots()
    fig.savefig(out / "pr_curve.png")
    plt.close(fig)
    assert Image.open(out / "pr_curve.png").info["Software"].startswith("Matplotlib version")
    # WHEN evaluated there again THEN it is replaced by a plot of the new report's, and
    # every plot is marked as ours
    evaluate(tiny_model_dir, tiny_dataset, out_dir=out)
    for name in ("pr_curve.png", "confusion_matrix.png", "f1_by_snr.png"):
        assert Image.open(out / name).info["Software"] == "sounddetect evaluate"


@pytest.mark.parametrize(
    ("out", "reason"),
    [
        ("afile", "--out is a file, not a folder"),
        ("afile/report", "--out lies inside {afile}, which is a file"),
    ],
)
def test_evaluate_refuses_an_out_that_is_or_lies_in_a_file(
    tiny_model_dir, tiny_dataset, tmp_path, capsys, monkeypatch, out, reason
):
    # GIVEN --out naming a file of the user's, or a folder inside one
    afile = tmp_path / "afile"
    afile.write_text("mine")
    # WHEN evaluated THEN a usage error in one line, before any image is classified
    monkeypatch.setattr("sounddetect.evaluate.predict_probabilities", None)
    argv = ["evaluate", str(tiny_model_dir), str(tiny_dataset), "--out", str(tmp_path / out)]
    assert main(argv) == 2
    assert capsys.readouterr().err == f"error: {tmp_path / out}: {reason.format(afile=afile)}\n"
    assert afile.read_text() == "mine"


def write_corpus(corpus, *, alarm, rng):
    """``alarms/`` with two 8 s clips of ``alarm`` (t3_alarm or tone, 2.9 and 3.4 kHz) and
    ``background/`` with two of noise."""
    for index, freq_hz in enumerate((2900.0, 3400.0)):
        clip = alarm(8.0, sr=16000, freq_hz=freq_hz)
        write_wav(corpus / "alarms" / f"{alarm.__name__}_{index}.wav", clip, 16000)
        write_wav(
            corpus / "background" / f"noise_{index}.wav", noise(8.0, sr=16000, rng=rng), 16000
        )
    return corpus


def test_dataset_from_corpus_renders_a_test_only_dataset(tiny_model_dir, tmp_path, rng):
    # GIVEN a corpus folder of alarm and background clips (not a dataset)
    corpus = write_corpus(tmp_path / "holdout", alarm=t3_alarm, rng=rng)
    assert is_corpus(corpus) and not is_corpus(tmp_path)
    # WHEN it is rendered with the model's config
    config = OnnxClassifier.from_dir(tiny_model_dir).config
    data = dataset_from_corpus(corpus, tmp_path / "data", config=config, samples_per_layer=4)
    # THEN every sample is in test/, and the model can be evaluated on it
    test = load_split(data, split="test")
    assert len(test.labels) == 12 and int(test.labels.sum()) == 6
    assert evaluate(tiny_model_dir, data)["metrics"]["n"] == 12


def test_a_corpus_replaces_only_a_test_only_dataset_it_rendered(
    tiny_model_dir, tmp_path, rng, capsys
):
    # GIVEN a corpus, the test-only dataset an evaluation rendered of it, and a training
    # dataset and a user's notes where an evaluation's data/ would go
    corpus = write_corpus(tmp_path / "holdout", alarm=t3_alarm, rng=rng)
    config = OnnxClassifier.from_dir(tiny_model_dir).config
    rendered = dataset_from_corpus(corpus, tmp_path / "run" / "data", config=config)
    training = tmp_path / "kept" / "data"
    dataset.generate_dataset(
        dataset.GeneratorSettings(
            alarm_source=corpus / "alarms",
            background_source=corpus / "background",
            target_path=training,
            types=("mel",),
            samples_per_layer=4,
            split=(0.5, 0.0, 0.5),
            workers=1,
        ),
        progress=False,
    )
    notes = tmp_path / "notes" / "data"
    notes.mkdir(parents=True)
    (notes / "todo.txt").write_text("mine")
    # WHEN a corpus is rendered over each
    # THEN the evaluation's own is replaced, and the others are refused and left as they were
    assert dataset_from_corpus(corpus, rendered, config=config) == rendered
    before = (training / "dataset.json").read_bytes()
    for target, what in ((training, "a dataset with training data"), (notes, "files that are")):
        with pytest.raises(ParameterError, match=f"^{re.escape(str(target))}: holds {what}"):
            dataset_from_corpus(corpus, target, config=config)
    assert (training / "dataset.json").read_bytes() == before
    assert (notes / "todo.txt").read_text() == "mine"
    # and the command line says so in one line, exit code 2 (it had replaced the dataset)
    argv = ["evaluate", str(tiny_model_dir), str(corpus), "--out", str(training.parent)]
    assert main([*argv, "--no-recordings", "--no-plots"]) == 2
    (error,) = capsys.readouterr().err.splitlines()[-1:]
    assert error.startswith(f"error: {training}: holds a dataset with training data")
    assert (training / "dataset.json").read_bytes() == before


def test_evaluate_refuses_another_type_before_rendering_a_corpus(
    tiny_model_dir, tmp_path, rng, capsys, monkeypatch
):
    # GIVEN a corpus folder and a --type other than the (mel) model's
    corpus = write_corpus(tmp_path / "holdout", alarm=t3_alarm, rng=rng)
    out = tmp_path / "evaluation"
    argv = ["evaluate", str(tiny_model_dir), str(corpus), "--out", str(out), "--type", "linear"]
    # WHEN evaluated THEN a configuration error in one line, before the corpus is rendered
    monkeypatch.setattr("sounddetect.evaluate.dataset_from_corpus", None)
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        f"error: model {tiny_model_dir} was trained on mel images, not linear; leave out "
        f"--type to render {corpus} as mel\n"
    )
    assert not out.exists()


@pytest.fixture
def corpus_dataset(tiny_model_dir, tmp_path, rng):
    """A dataset rendered from a corpus: steady-tone "alarms" the tiny model finds, noise."""
    corpus = write_corpus(tmp_path / "holdout", alarm=tone, rng=rng)
    config = OnnxClassifier.from_dir(tiny_model_dir).config
    return corpus, dataset_from_corpus(
        corpus, tmp_path / "data", config=config, samples_per_layer=4
    )


def test_evaluate_runs_the_source_clips_as_recordings(tiny_model_dir, corpus_dataset):
    # GIVEN a dataset whose source clips are still where the generator read them
    corpus, data = corpus_dataset
    # WHEN evaluated
    recordings = evaluate(tiny_model_dir, data)["recordings"]
    # THEN every clip went through detection, as `sounddetect detect` sees it
    classifier = OnnxClassifier.from_dir(tiny_model_dir)
    raised = {
        path.relative_to(corpus).as_posix(): detect_file(path, classifier)["alarm"]
        for path in sorted(corpus.rglob("*.wav"))
    }
    assert raised == {
        "alarms/tone_0.wav": True,
        "alarms/tone_1.wav": True,
        "background/noise_0.wav": False,
        "background/noise_1.wav": False,
    }
    assert recordings == {
        "alarm_clips": 2,
        "alarms_found": 2,
        "missed": [],
        "background_clips": 2,
        "raising_an_alarm": 0,
        "false_alarms": [],
        "failed": [],
    }


def record_sources_as_they_are(data):
    """Give dataset.json the sha256 of its source clips as they now are, as if generated from
    them (recordings of changed clips are not scored)."""
    info = json.loads((data / "dataset.json").read_text())
    for entry in info["sources"]:
        path = Path(info["source_root"]) / entry["file"]
        entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (data / "dataset.json").write_text(json.dumps(info))


def test_recordings_name_misses_false_alarms_and_unreadable_clips(tiny_model_dir, corpus_dataset):
    # GIVEN an alarm clip that is noise, a background that is a tone, a broken one
    corpus, data = corpus_dataset
    (corpus / "alarms" / "tone_0.wav").write_bytes(
        (corpus / "background" / "noise_0.wav").read_bytes()
    )
    (corpus / "background" / "noise_1.wav").write_bytes(
        (corpus / "alarms" / "tone_1.wav").read_bytes()
    )
    (corpus / "alarms" / "tone_1.wav").write_bytes(b"not audio")
    record_sources_as_they_are(data)
    # WHEN the recordings are scored
    recordings = recording_outcomes(tiny_model_dir, data)
    # THEN each outcome names its clip
    assert (recordings["alarms_found"], recordings["missed"]) == (0, ["alarms/tone_0.wav"])
    assert recordings["false_alarms"] == ["background/noise_1.wav"]
    assert [line.split(": ")[0] for line in recordings["failed"]] == ["alarms/tone_1.wav"]


def test_recordings_are_scored_after_the_project_moved(tiny_model_dir, corpus_dataset, tmp_path):
    # GIVEN the dataset and its recordings moved together (a project folder renamed)
    corpus, data = corpus_dataset
    before = recording_outcomes(tiny_model_dir, data)
    moved = tmp_path / "moved"
    moved.mkdir()
    corpus.rename(moved / corpus.name)
    data.rename(moved / data.name)
    # THEN the recordings are found next to the dataset, and score as before
    assert recording_outcomes(tiny_model_dir, moved / data.name) == before
    assert before["alarm_clips"] == 2


def test_recordings_are_skipped_with_a_warning_when_a_source_is_gone(
    tiny_model_dir, corpus_dataset, caplog
):
    corpus, data = corpus_dataset
    (corpus / "background" / "noise_0.wav").unlink()
    assert recording_outcomes(tiny_model_dir, data) is None
    assert "noise_0.wav: a source clip of the test split is missing; recordings not" in caplog.text
    assert evaluate(tiny_model_dir, data, recordings=False)["recordings"] is None


def test_the_cli_prints_a_logged_warning_as_its_own_warning_lines(
    tiny_model_dir, corpus_dataset, tmp_path
):
    # GIVEN a dataset one of whose source clips is gone
    corpus, data = corpus_dataset
    (corpus / "background" / "noise_0.wav").unlink()
    # WHEN the command evaluates it (a process of its own: pytest takes the root logger)
    argv = ["evaluate", str(tiny_model_dir), str(data), "--out", str(tmp_path / "report")]
    done = subprocess.run(
        [sys.executable, "-m", "sounddetect", *argv, "--no-plots"],
        capture_output=True,
        text=True,
        check=False,
    )
    # THEN the warning is one line as every other command prints it, without the logger
    assert done.returncode == 0, done.stderr
    (line,) = [line for line in done.stderr.splitlines() if "recordings not scored" in line]
    assert line.startswith(f"warning: {corpus / 'background' / 'noise_0.wav'}: a source clip")
    assert not [line for line in done.stderr.splitlines() if line.startswith("WARNING")]


def test_only_the_library_s_warnings_become_the_cli_s_lines():
    from sounddetect.cli import _LineFormatter

    formatter = _LineFormatter("%(levelname)s %(name)s: %(message)s")

    def line(name, level, **extra):
        record = logging.LogRecord(name, level, "f.py", 1, "%d%% of %s", (5, "x"), None, **extra)
        return formatter.format(record)

    assert line("sounddetect.evaluate", logging.WARNING) == "warning: 5% of x"
    assert line("sounddetect.folders", logging.ERROR) == "error: 5% of x"
    # progress, and another library's warning, keep their level and logger
    assert line("sounddetect.train", logging.INFO) == "INFO sounddetect.train: 5% of x"
    assert line("onnxruntime", logging.WARNING) == "WARNING onnxruntime: 5% of x"
    # and a stack asked for is kept
    stacked = line("sounddetect.train", logging.WARNING, sinfo="Stack (most recent call last):")
    assert stacked == "warning: 5% of x\nStack (most recent call last):"


def test_recordings_are_not_scored_from_a_source_changed_since_generation(
    tiny_model_dir, corpus_dataset, caplog
):
    # GIVEN an alarm clip replaced, under its name, by a background clip
    corpus, data = corpus_dataset
    changed = corpus / "alarms" / "tone_0.wav"
    changed.write_bytes((corpus / "background" / "noise_0.wav").read_bytes())
    # WHEN evaluated THEN no recording is scored, and the warning names the clip and why
    report = evaluate(tiny_model_dir, data, plots=False)
    assert report["recordings"] is None
    assert report["metrics"]["n"] == 12  # the windows are the rendered images, still scored
    assert (
        f"{changed}: changed since the dataset was generated (sha256 differs); recordings not "
        "scored"
    ) in caplog.text


@pytest.mark.parametrize(("batch_size", "min_seconds"), [(0, 1.0), (8, 0.0)])
def test_a_timing_of_no_windows_is_refused(tiny_model_dir, batch_size, min_seconds):
    # no batch, or no time to time one in: a division by zero windows
    with pytest.raises(ParameterError, match="need batch_size >= 1 and min_seconds > 0"):
        measure_ms_per_window(tiny_model_dir, batch_size=batch_size, min_seconds=min_seconds)
