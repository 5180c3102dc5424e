"""``sounddetect detect``: outputs, exit codes 0/1/2, one stderr line per failed input."""

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from helpers.permissions import run_as_a_user, run_with_a_small_disk
from helpers.signals import encode_with_ffmpeg, noise, plant_room, t3_alarm, tone, write_wav
from helpers.tiny_model import write_tiny_model
from moto import mock_aws

from sounddetect.cli import main
from sounddetect.cli.detect import read_config
from sounddetect.dataset import DATASET_FORMAT, dataset_config
from sounddetect.exceptions import ParameterError
from sounddetect.ffmpeg import FFMPEG_ENV
from sounddetect.plots import plots_recording
from sounddetect.result import RESULT_KEYS
from sounddetect.spectrum import SpectrogramConfig

SR = 16000
ARN = "arn:aws:rekognition:us-east-1:123456789012:project/p/version/v/1767225600000"


@pytest.fixture
def recordings(tmp_path, rng):
    """A folder with an alarm, a quiet recording in a subfolder, and a hidden file."""
    folder = tmp_path / "recordings"
    alarm = noise(14.0, sr=SR, rng=rng, amplitude=0.01)
    alarm[4 * SR : 12 * SR] += tone(8.0, sr=SR)
    write_wav(folder / "alarm_kitchen.wav", alarm, SR)
    write_wav(folder / "sub" / "no_alarm_hall.wav", noise(8.0, sr=SR, rng=rng), SR)
    write_wav(folder / ".hidden" / "skipped.wav", noise(8.0, sr=SR, rng=rng), SR)
    (folder / "notes.txt").write_text("not scanned")
    return folder


def run_cli(capsys, *argv):
    code = main(["detect", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_folder_is_searched_recursively_one_json_line_per_file(
    capsys, caplog, recordings, tiny_model_dir
):
    caplog.set_level(logging.INFO, logger="sounddetect")
    code, out, err = run_cli(capsys, recordings, "--model", tiny_model_dir, "--format", "json")
    assert code == 0
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["file"] for r in results] == [
        str(recordings / "alarm_kitchen.wav"),
        str(recordings / "sub" / "no_alarm_hall.wav"),
    ]
    assert all(tuple(r) == RESULT_KEYS for r in results)
    assert [r["alarm"] for r in results] == [True, False]
    assert "error:" not in err
    # the notes are not audio, and a line says they were passed over
    assert f"{recordings}: 1 file(s) without an audio suffix passed over (notes.txt)" in caplog.text


def test_a_clipped_recording_gets_one_warning_line_and_the_batch_goes_on(
    capsys, recordings, tiny_model_dir
):
    # GIVEN the folder's kitchen recorded again with the gain far too high
    kitchen, _ = sf.read(recordings / "alarm_kitchen.wav", dtype="float32")
    clipped = write_wav(recordings / "clipped_kitchen.wav", np.clip(20 * kitchen, -1, 1), SR)
    # WHEN the folder is checked
    code, out, err = run_cli(capsys, recordings, "--model", tiny_model_dir, "--format", "json")
    # THEN every recording has its result, and one line says which one clipped
    assert code == 0
    assert [json.loads(line)["alarm"] for line in out.splitlines()] == [True, True, False]
    (line,) = [line for line in err.splitlines() if line.startswith("warning:")]
    assert line.startswith(f"warning: {clipped}: clipped (")


def test_table_is_the_default(capsys, recordings, tiny_model_dir):
    code, out, _ = run_cli(capsys, recordings, "--model", tiny_model_dir)
    lines = out.splitlines()
    assert code == 0
    assert lines[0].split()[:4] == ["FILE", "DURATION", "ALARM", "EVENTS"]
    assert "alarm_kitchen.wav" in lines[1] and " yes " in lines[1] and "14.0 s" in lines[1]
    assert "no_alarm_hall.wav" in lines[2] and " no" in lines[2]


def test_failed_inputs_get_one_stderr_line_and_the_rest_goes_on(
    capsys, tmp_path, recordings, tiny_model_dir
):
    (recordings / "zero.wav").touch()
    (recordings / "text.mp3").write_text("not audio\n" * 50)
    write_wav(recordings / "short.wav", np.zeros(SR // 2, np.float32), SR)
    write_wav(recordings / "header.wav", np.zeros(0, np.float32), SR)
    spike = tone(3.0, sr=SR)
    spike[SR] = np.inf
    sf.write(recordings / "inf.wav", spike, SR, subtype="FLOAT")
    (tmp_path / "empty").mkdir()
    argv = [recordings, tmp_path / "empty", tmp_path / "missing.wav"]
    code, out, err = run_cli(capsys, *argv, "--model", tiny_model_dir, "--format", "json")
    assert code == 1
    results = {r["file"]: r for r in map(json.loads, out.splitlines())}
    assert len(results) == 9
    assert results[str(recordings / "alarm_kitchen.wav")]["alarm"] is True
    errors = err.splitlines()
    expected = {
        "zero.wav": "empty file (0 bytes)",
        "text.mp3": "not readable audio",
        "short.wav": "too short to hold an alarm (0.50 s < 1 s)",
        "header.wav": "no samples",
        "inf.wav": "contains NaN or infinite samples",
        "empty": "no audio files in this folder",
        "missing.wav": "no such file or directory",
    }
    assert len([line for line in errors if line.startswith("error: ")]) == len(expected)
    for name, reason in expected.items():
        (line,) = [line for line in errors if line.startswith("error: ") and name + ":" in line]
        assert reason in line
        failed = [r for f, r in results.items() if f.endswith(name)]
        assert failed[0]["error"]["type"] == "AudioError" and failed[0]["alarm"] is None


def test_damaged_mp3s_get_one_line_each_and_the_decoder_prints_nothing(
    capfd, tmp_path, rng, tiny_model_dir
):
    # GIVEN an MP3 the decoder gives up on, one it resyncs past, and a good WAV
    folder = tmp_path / "uploads"
    write_wav(folder / "good.wav", t3_alarm(8.0, sr=SR), SR)
    full = tmp_path / "full.mp3"
    sf.write(full, noise(10.0, sr=44100, rng=rng), 44100, format="MP3")
    data = full.read_bytes()
    middle = len(data) // 2
    for name, n_zeros in (("given_up.mp3", 3000), ("resynced.mp3", 300)):
        (folder / name).write_bytes(data[:middle] + bytes(n_zeros) + data[middle + n_zeros :])
    # WHEN detect runs over the folder
    code = main(["detect", str(folder), "--model", str(tiny_model_dir), "--format", "json"])
    out, err = capfd.readouterr()
    # THEN every file has its result, and stderr holds only sounddetect's own lines: one
    # error and one warning, both saying what the decoder noted
    assert code == 1 and len(out.splitlines()) == 3
    ours = re.compile(r"(error|warning): .*|INFO sounddetect\..*")
    assert all(ours.fullmatch(line) for line in err.splitlines()), err
    (error,) = [line for line in err.splitlines() if line.startswith("error: ")]
    assert "given_up.mp3: truncated or corrupt after " in error
    assert "Illegal Audio-MPEG-Header 0x00000000" in error
    (warning,) = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert "resynced.mp3: decoded to its end, but the MP3 decoder noted: Illegal" in warning


@pytest.mark.parametrize("ffmpeg", ["on", "off"])
def test_a_folder_of_phone_recordings(capsys, monkeypatch, tmp_path, rng, tiny_model_dir, ffmpeg):
    # GIVEN a folder of recordings as phones and browsers save them
    alarm = noise(14.0, sr=SR, rng=rng, amplitude=0.01)
    alarm[4 * SR : 12 * SR] += tone(8.0, sr=SR)
    folder = tmp_path / "phone"
    encode_with_ffmpeg(folder / "alarm_memo.m4a", alarm, SR, "-c:a", "aac")
    encode_with_ffmpeg(folder / "hall.webm", noise(8.0, sr=SR, rng=rng), SR, "-c:a", "libopus")
    write_wav(folder / "kitchen.wav", alarm, SR)
    if ffmpeg == "off":
        monkeypatch.setenv(FFMPEG_ENV, "off")
    else:
        monkeypatch.delenv(FFMPEG_ENV, raising=False)

    # WHEN the folder is detected
    code, out, err = run_cli(capsys, folder, "--model", tiny_model_dir, "--format", "json")

    # THEN with ffmpeg every file is decoded; without it the two it needs are named, the WAV
    # still processed
    results = {Path(r["file"]).name: r for r in map(json.loads, out.splitlines())}
    assert sorted(results) == ["alarm_memo.m4a", "hall.webm", "kitchen.wav"]
    assert results["kitchen.wav"]["alarm"] is True
    if ffmpeg == "on":
        assert code == 0 and "error:" not in err
        assert [results[name]["alarm"] for name in ("alarm_memo.m4a", "hall.webm")] == [True, False]
    else:
        assert code == 1
        errors = [line for line in err.splitlines() if line.startswith("error: ")]
        assert len(errors) == 2
        assert all(
            "unsupported codec" in line and "unset SOUNDDETECT_FFMPEG" in line for line in errors
        )


def test_a_folder_of_field_recorder_and_editor_files(capsys, tmp_path, rng, tiny_model_dir):
    # GIVEN the formats recordings take once a WAV would pass 4 GB (RF64, Wave64), a
    # broadcast WAV, a float AIFF and a Matroska audio file (ffmpeg on PATH, as in CI)
    alarm = noise(14.0, sr=SR, rng=rng, amplitude=0.01)
    alarm[4 * SR : 12 * SR] += tone(8.0, sr=SR)
    folder = tmp_path / "recorder"
    folder.mkdir()
    for name, fmt, subtype in [
        ("plant_room.rf64", "RF64", "PCM_24"),
        ("edit.w64", "W64", "PCM_16"),
        ("take.bwf", "WAV", "PCM_24"),
        ("mac.aifc", "AIFF", "FLOAT"),
    ]:
        sf.write(folder / name, alarm, SR, format=fmt, subtype=subtype)
    encode_with_ffmpeg(folder / "quiet.mka", noise(8.0, sr=SR, rng=rng), SR, "-c:a", "libvorbis")

    code, out, err = run_cli(capsys, folder, "--model", tiny_model_dir, "--format", "json")

    # THEN the folder scan takes every one of them, and each decodes
    results = {Path(r["file"]).name: r["alarm"] for r in map(json.loads, out.splitlines())}
    assert code == 0 and "error:" not in err
    assert results == {
        "edit.w64": True,
        "mac.aifc": True,
        "plant_room.rf64": True,
        "quiet.mka": False,
        "take.bwf": True,
    }


def test_a_link_to_a_recording_that_is_gone_is_reported(
    capsys, recordings, tiny_model_dir, tmp_path
):
    # GIVEN links to recordings on a share that is not mounted, in the folder and given alone
    (recordings / "share.wav").symlink_to(tmp_path / "nas" / "hall.wav")
    alone = tmp_path / "kitchen.flac"
    alone.symlink_to(tmp_path / "nas" / "kitchen.flac")

    argv = [recordings, alone, "--model", tiny_model_dir, "--format", "json"]
    code, out, err = run_cli(capsys, *argv)

    # THEN each gets its error line and result, and the other recordings are processed
    results = {Path(r["file"]).name: r for r in map(json.loads, out.splitlines())}
    assert code == 1
    names = ["alarm_kitchen.wav", "kitchen.flac", "no_alarm_hall.wav", "share.wav"]
    assert sorted(results) == names
    for link, target in [(recordings / "share.wav", "hall.wav"), (alone, "kitchen.flac")]:
        line = f"error: {link}: a link to {tmp_path / 'nas' / target}, which does not exist"
        assert line in err.splitlines()
        assert results[link.name]["error"]["type"] == "AudioError"
    assert results["alarm_kitchen.wav"]["alarm"] is True


def test_linked_folders_are_searched_once_and_gone_ones_reported(
    capsys, recordings, tiny_model_dir, tmp_path, rng
):
    # GIVEN a share linked into the folder, a link back up the tree, and a link to a share
    # that is not mounted
    share = tmp_path / "share"
    write_wav(share / "cam1" / "porch.wav", noise(5.0, sr=SR, rng=rng), SR)
    (recordings / "share").symlink_to(share)
    (recordings / "sub" / "up").symlink_to(recordings)
    (recordings / "cam2").symlink_to(tmp_path / "unmounted" / "cam2")
    argv = [recordings, "--model", tiny_model_dir, "--format", "json"]
    code, out, err = run_cli(capsys, *argv)
    # THEN the share's recording is detected, every recording once, and the gone one said
    files = [json.loads(line)["file"] for line in out.splitlines()]
    assert sorted(files) == sorted(
        [
            str(recordings / "alarm_kitchen.wav"),
            str(recordings / "cam2"),
            str(recordings / "share" / "cam1" / "porch.wav"),
            str(recordings / "sub" / "no_alarm_hall.wav"),
        ]
    )
    assert code == 1
    line = f"error: {recordings / 'cam2'}: a link to {tmp_path / 'unmounted' / 'cam2'}, which"
    assert any(err_line.startswith(line) for err_line in err.splitlines())


def test_a_line_break_in_a_file_name_keeps_each_error_and_row_one_line(
    capsys, tiny_model_dir, tmp_path
):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "take\n2.wav").write_bytes(b"not audio")
    code, out, err = run_cli(capsys, folder, "--model", tiny_model_dir)
    assert code == 1
    errors = [line for line in err.splitlines() if "take" in line]
    assert errors == [f"error: {folder}/take\\n2.wav: not readable audio (Format not recognised)"]
    rows = out.splitlines()[1:]
    assert len(rows) == 1 and "/take\\n2.wav  " in rows[0] and "ERROR" in rows[0]


def test_missing_model_is_a_usage_error(capsys, recordings, tmp_path):
    code, out, err = run_cli(capsys, recordings, "--model", tmp_path / "no-model")
    assert code == 2 and out == ""
    assert "no-model: no model there" in err


def test_a_config_folder_is_a_usage_error_that_names_its_dataset_json(
    capsys, recordings, tiny_model_dir, tmp_path
):
    # GIVEN the generator's dataset folder given as --config, where its dataset.json was meant
    (tmp_path / "dataset").mkdir()
    write_dataset_json(tmp_path / "dataset" / "dataset.json", {"mel": SpectrogramConfig()})
    code, out, err = run_cli(
        capsys, recordings, "--model", tiny_model_dir, "--config", tmp_path / "dataset"
    )
    # THEN the error says what --config takes, rather than "[Errno 21] Is a directory"
    assert code == 2 and out == ""
    assert err.splitlines()[-1] == (
        f"error: --config {tmp_path / 'dataset'}: a folder; --config takes a JSON file (a "
        "dataset.json, a model.json or a spectrogram config): --config "
        f"{tmp_path / 'dataset' / 'dataset.json'}"
    )


def test_config_mismatch_is_a_usage_error(capsys, recordings, tiny_model_dir, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(SpectrogramConfig(n_mels=64).to_dict()))
    code, _, err = run_cli(capsys, recordings, "--model", tiny_model_dir, "--config", config)
    assert code == 2 and "n_mels: model 128, renderer 64" in err


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("CHANGE_ME", "is 'CHANGE_ME'"),
        ("arn:aws:rekognition:nowhere", "not a Rekognition project version ARN"),
        (ARN, "needs the spectrogram config"),
    ],
)
def test_bad_rekognition_model_is_a_usage_error(capsys, recordings, model, message):
    code, _, err = run_cli(capsys, recordings, "--model", model)
    assert code == 2 and message in err


@pytest.mark.parametrize(
    ("config", "message"),
    [({"n_mels": 0}, "n_mels must be at least 1"), ({"kind": "cqt", "fmin": 0.0}, "fmin > 0")],
)
def test_a_config_that_cannot_render_is_a_usage_error(
    capsys, recordings, tmp_path, config, message
):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    code, out, err = run_cli(capsys, recordings, "--model", ARN, "--config", path)
    assert code == 2 and out == "" and message in err and "Traceback" not in err


@pytest.mark.parametrize(
    "config",
    [{"kind": "mel", "n_mels": 128}, {"config": {"kind": "mel"}}, {}],
)
def test_a_rekognition_config_that_leaves_fields_to_the_defaults_is_a_usage_error(
    capsys, recordings, tmp_path, config
):
    # GIVEN a Rekognition model and a config that leaves fields to this version's defaults,
    # which a later version could change under the model without a word
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    # WHEN detect is run with it
    code, out, err = run_cli(capsys, recordings, "--model", ARN, "--config", path)
    # THEN it is refused before any recording, naming what is left out and what to pass
    assert code == 2 and out == ""
    assert f"error: --config {path}: a Rekognition model's config must be the whole" in err
    assert "n_mfcc, sr, top_db, width to this version's defaults" in err
    assert "pass the training data's dataset.json" in err
    # AND a whole config is taken
    path.write_text(json.dumps(SpectrogramConfig(n_mels=64).to_dict()))
    assert read_config(path, whole=True) == SpectrogramConfig(n_mels=64)


def test_a_dataset_json_whose_config_leaves_fields_out_is_refused_for_rekognition(
    capsys, recordings, tmp_path
):
    # GIVEN a dataset.json of a version before a field existed: its config lacks the field
    dataset = write_dataset_json(tmp_path / "dataset.json", {"mel": SpectrogramConfig()})
    info = json.loads(dataset.read_text())
    del info["configs"]["mel"]["n_chroma"]
    dataset.write_text(json.dumps(info))
    # WHEN it is the config of a Rekognition model THEN the field is named, not defaulted
    code, out, err = run_cli(capsys, recordings, "--model", ARN, "--config", dataset)
    assert code == 2 and out == ""
    assert "not leave n_chroma to this version's defaults" in err
    # AND a local model, whose model.json is whole, may still be checked against it
    assert read_config(dataset) == SpectrogramConfig()


def write_dataset_json(path, configs, **info):
    """A dataset.json as the generator writes it, holding ``configs`` (type -> config), with
    ``info`` merged (a None removes the key)."""
    info = {"format": DATASET_FORMAT, "complete": True, "counts": {}, **info}
    info["configs"] = {kind: config.to_dict() for kind, config in configs.items()}
    path.write_text(json.dumps({key: value for key, value in info.items() if value is not None}))
    return path


def test_dataset_json_gives_the_config_of_a_rekognition_model(capsys, recordings, tmp_path):
    mel, linear = SpectrogramConfig(n_mels=64), SpectrogramConfig(kind="linear")
    dataset = write_dataset_json(tmp_path / "dataset.json", {"mel": mel})
    assert read_config(dataset) == mel
    write_dataset_json(dataset, {"mel": mel, "linear": linear})
    assert read_config(dataset, kind="linear") == linear
    code, _, err = run_cli(capsys, recordings, "--model", ARN, "--config", dataset)
    assert code == 2 and "a dataset of types linear, mel; say which with --type" in err
    code, _, err = run_cli(capsys, recordings, "--model", ARN, "--config", dataset, "--type", "cqt")
    assert code == 2 and "has no 'cqt' images; types present: linear, mel" in err
    code, _, err = run_cli(capsys, recordings, "--model", ARN, "--type", "mel")
    assert code == 2 and "--type mel: needs a dataset.json as --config" in err


@pytest.mark.parametrize(
    ("info", "message"),
    [
        ({"complete": False}, "an interrupted `sounddetect generate` left this dataset incomplete"),
        ({"format": None}, "not a sounddetect dataset (format sounddetect-dataset/1)"),
    ],
)
def test_a_dataset_json_that_training_refuses_detect_refuses_too(
    capsys, recordings, tiny_model_dir, tmp_path, info, message
):
    # GIVEN the dataset.json of an interrupted generator run, or one not written by it
    dataset = write_dataset_json(tmp_path / "dataset.json", {"mel": SpectrogramConfig()}, **info)
    with pytest.raises(ParameterError):
        dataset_config(dataset)
    # WHEN it is the --config of a model trained on that config
    code, out, err = run_cli(capsys, recordings, "--model", tiny_model_dir, "--config", dataset)
    # THEN detect refuses it as training and evaluation do, a usage error
    assert code == 2 and out == ""
    assert f"error: --config {dataset}: {message}" in err


@mock_aws
def test_a_model_that_fails_is_not_sent_the_other_inputs(capsys, recordings, tmp_path, monkeypatch):
    # GIVEN a model that fails on a recording as it would on every one: moto's
    # DetectCustomLabels answers with a label "MyLogo", as a model trained on other labels
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    config = tmp_path / "config.json"
    config.write_text(json.dumps(SpectrogramConfig().to_dict()))
    argv = ["--model", ARN, "--config", config, "--format", "json"]
    # WHEN two recordings, the second's name inside the first's path, and a missing file are
    # run
    shutil.copytree(recordings, tmp_path / "backup")
    shutil.copy(recordings / "alarm_kitchen.wav", tmp_path / "alarm_kitchen.wav")
    monkeypatch.chdir(tmp_path)
    inputs = ["backup/alarm_kitchen.wav", "alarm_kitchen.wav", "gone.wav"]
    code, out, err = run_cli(capsys, *inputs, *argv)
    # THEN each input gets its result and error line, the second recording was not sent to
    # the model, and the exit code says the configuration is wrong
    assert code == 2
    first, second, missing = [json.loads(line) for line in out.splitlines()]
    assert first["error"]["type"] == "ModelError" and "'MyLogo'" in first["error"]["message"]
    assert second["error"] == {
        "type": "ModelError",
        "message": (
            "alarm_kitchen.wav: not sent to the model, which failed on backup/alarm_kitchen.wav"
        ),
    }
    assert missing["error"]["type"] == "AudioError"
    lines = err.splitlines()
    assert sum(line.startswith("error: ") for line in lines) == 4
    assert lines[-1] == (
        "error: the model failed on backup/alarm_kitchen.wav, as it would on every input; "
        "1 of 3 input(s) not sent to it"
    )


@pytest.mark.parametrize(
    "option",
    [
        ["--threshold", "1.5"],
        ["--hop", "0"],
        ["--format", "xml"],
        ["--min-windows", "0"],
        ["--merge-gap", "-1"],
        ["--pattern-groups", "0"],
        ["--threads", "100000"],
        ["--plot", ""],
    ],
)
def test_bad_options_exit_2(capsys, recordings, tiny_model_dir, option):
    with pytest.raises(SystemExit) as caught:
        main(["detect", str(recordings), "--model", str(tiny_model_dir), *option])
    assert caught.value.code == 2


def test_options_reach_detection(capsys, recordings, tiny_model_dir):
    argv = ["--model", tiny_model_dir, "--format", "json", "--hop", "1", "--threshold", "0.9"]
    code, out, _ = run_cli(capsys, recordings / "alarm_kitchen.wav", *argv, "--min-event", "100")
    result = json.loads(out)
    assert code == 0 and len(result["windows"]) == 11
    assert result["classifier"]["threshold"] == 0.9 and result["alarm"] is False
    _, out, _ = run_cli(capsys, recordings / "alarm_kitchen.wav", *argv[:4], "--min-windows", "99")
    assert json.loads(out)["alarm"] is False
    _, out, _ = run_cli(capsys, recordings / "alarm_kitchen.wav", *argv[:4], "--min-windows", "1")
    assert json.loads(out)["alarm"] is True


def test_beep_patterns_can_be_switched_off_or_asked_for_more_groups(
    capsys, tmp_path, rng, tiny_model_dir
):
    # A 520 Hz temporal-three alarm 9 dB under noise: five groups the tiny model misses.
    y = noise(32.0, sr=SR, rng=rng, amplitude=0.1)
    y[6 * SR : 26 * SR] += t3_alarm(20.0, sr=SR, freq_hz=520.0, amplitude=0.05)
    path = write_wav(tmp_path / "next_room.wav", y, SR)
    argv = [path, "--model", tiny_model_dir, "--format", "json"]
    alarms = [
        json.loads(run_cli(capsys, *argv, *option)[1])["alarm"]
        for option in ([], ["--no-beep-patterns"], ["--pattern-groups", "6"], ["--beep-patterns"])
    ]
    assert alarms == [True, False, False, True]


def test_pulse_patterns_are_asked_for(capsys, tmp_path, rng, tiny_model_dir):
    # A 3.1 kHz piezo beeping every second, faint under noise: no temporal-three pattern.
    y = noise(32.0, sr=SR, rng=rng, amplitude=0.05)
    for onset in np.arange(4.0, 28.0, 1.0):
        start = int(onset * SR)
        y[start : start + int(0.4 * SR)] += tone(0.4, sr=SR, freq_hz=3100.0, amplitude=0.05)
    path = write_wav(tmp_path / "pulsing.wav", y, SR)
    argv = [path, "--model", tiny_model_dir, "--format", "json"]
    alarms = [
        json.loads(run_cli(capsys, *argv, *option)[1])["alarm"]
        for option in ([], ["--pulse-patterns"], ["--no-pulse-patterns"])
    ]
    assert alarms == [False, True, False]


def test_plots_one_png_per_processed_file(capsys, recordings, tiny_model_dir, tmp_path):
    (recordings / "zero.wav").touch()
    plots = tmp_path / "plots"
    code, _, _ = run_cli(capsys, recordings, "--model", tiny_model_dir, "--plot", plots)
    assert code == 1
    # A recording found in a folder keeps its sub-folder: two folders' rec.wav stay apart.
    pngs = sorted(p.relative_to(plots).as_posix() for p in plots.rglob("*") if p.is_file())
    assert pngs == ["alarm_kitchen.png", "sub/no_alarm_hall.png"]
    assert all((plots / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_a_timeline_that_cannot_be_written_does_not_stop_the_batch(
    capsys, recordings, tiny_model_dir, tmp_path
):
    # GIVEN a plot folder where the second timeline's sub-folder is a file
    plots = tmp_path / "plots"
    plots.mkdir()
    (plots / "sub").write_text("notes")
    code, out, err = run_cli(capsys, recordings, "--model", tiny_model_dir, "--plot", plots)
    # THEN that timeline gets one error line and exit code 1; both files are detected and
    # the first timeline written
    assert code == 1
    (line,) = [line for line in err.splitlines() if line.startswith("error: ")]
    target = recordings / "sub" / "no_alarm_hall.wav"
    assert line.startswith(f"error: {target}: timeline {plots / 'sub/no_alarm_hall.png'} not ")
    assert len(out.splitlines()) == 3  # the header and both files
    assert (plots / "alarm_kitchen.png").is_file() and (plots / "sub").read_text() == "notes"


def test_a_link_where_a_timeline_goes_is_left_alone(capsys, recordings, tiny_model_dir, tmp_path):
    # A link (here to a folder that is gone) would write the timeline somewhere else.
    plots = tmp_path / "plots"
    plots.mkdir()
    (plots / "alarm_kitchen.png").symlink_to(tmp_path / "unmounted" / "alarm_kitchen.png")
    code, _, _ = run_cli(capsys, recordings, "--model", tiny_model_dir, "--plot", plots)
    assert code == 0
    assert (plots / "alarm_kitchen.png").is_symlink() and (plots / "alarm_kitchen-2.png").is_file()
    assert not (tmp_path / "unmounted").exists()


#: The command line in a child process, its stderr on its stdout, its exit code last.
CLI_AS_A_USER = (
    "import sys; sys.stderr = sys.stdout; from sounddetect.cli import main; "
    "print('exit', main(sys.argv[1:]))"
)


def test_an_unreadable_recording_and_folder_are_reported_and_the_batch_goes_on(
    recordings, tiny_model_dir, tmp_path
):
    # GIVEN a recording and a folder of recordings that the user may not read, and a copy of
    # the recording that may be read
    locked, shut = recordings / "alarm_kitchen.wav", recordings / "sub"
    copy = tmp_path / "alarm_copy.wav"
    shutil.copy(locked, copy)
    locked.chmod(0o000)
    shut.chmod(0o000)
    try:
        # WHEN a user (not root, whose rights override a file's mode) runs detect on them
        out = run_as_a_user(
            CLI_AS_A_USER,
            *("detect", str(recordings), str(copy)),
            *("--model", str(tiny_model_dir), "--format", "json"),
        )
    finally:
        locked.chmod(0o644)
        shut.chmod(0o755)
    # THEN each gets its error line, the recording that can be read is processed, exit 1
    lines = out.splitlines()
    assert f"error: {locked}: cannot be read (Permission denied)" in lines
    assert f"error: {shut}: folder not readable (Permission denied)" in lines
    results = {r["file"]: r for r in map(json.loads, (line for line in lines if line[0] == "{"))}
    assert results[str(copy)]["alarm"] is True
    assert results[str(locked)]["error"]["type"] == "AudioError"
    assert lines[-1] == "exit 1"


@pytest.mark.parametrize("option", ["--config", "--plot"])
def test_a_config_or_plot_folder_behind_a_closed_folder_is_a_usage_error(
    option, recordings, tiny_model_dir, tmp_path
):
    # GIVEN --config or --plot inside a folder the user may not enter
    closed = tmp_path / "closed"
    closed.mkdir()
    closed.chmod(0o000)
    try:
        out = run_as_a_user(
            CLI_AS_A_USER,
            *("detect", str(recordings), "--model", str(tiny_model_dir)),
            *(option, str(closed / "settings")),
        )
    finally:
        closed.chmod(0o755)
    # THEN one line names it and why, no traceback and no recording processed: exit 2
    assert [line for line in out.splitlines() if not line.startswith("INFO ")] == [
        f"error: {option} {closed / 'settings'}: "
        + ("cannot be read (Permission denied)" if option == "--config" else "Permission denied"),
        "exit 2",
    ]


@pytest.mark.parametrize("option", ["--config", "--plot"])
def test_a_config_or_plot_name_too_long_is_a_usage_error(
    capsys, option, recordings, tiny_model_dir
):
    code, out, err = run_cli(
        capsys, recordings, "--model", tiny_model_dir, option, "n" * 300 + ".json"
    )
    assert (code, out) == (2, "")
    assert err.strip().endswith("File name too long" + (")" if option == "--config" else ""))


def test_plot_names_do_not_overwrite(capsys, tmp_path, rng, tiny_model_dir):
    for sub in ("a", "b"):
        write_wav(tmp_path / "in" / sub / "same.wav", noise(5.0, sr=SR, rng=rng), SR)
    plots = tmp_path / "plots"
    run_cli(capsys, tmp_path / "in", "--model", tiny_model_dir, "--plot", plots)
    # Found in a folder: each under its sub-folder, so a later run over one folder replaces
    # its own timeline, not the other folder's
    assert sorted(p.relative_to(plots).as_posix() for p in plots.rglob("*.png")) == [
        "a/same.png",
        "b/same.png",
    ]
    # Named as files: one name, so the second takes the next free one
    files = [tmp_path / "in" / sub / "same.wav" for sub in ("a", "b")]
    run_cli(capsys, *files, "--model", tiny_model_dir, "--plot", tmp_path / "flat")
    assert sorted(p.name for p in (tmp_path / "flat").iterdir()) == ["same-2.png", "same.png"]


def test_runs_at_once_into_one_plot_folder_keep_every_timeline(tmp_path, rng, tiny_model_dir):
    # GIVEN four recordings of one name in four folders, and four detect runs started at once,
    # each timeline into the same folder (as `xargs -P 4` starts them)
    plots = tmp_path / "plots"
    recordings = [
        write_wav(tmp_path / f"cam{i}" / "latest.wav", noise(5.0, sr=SR, rng=rng), SR)
        for i in range(4)
    ]
    cli = [sys.executable, "-c", "import sys; from sounddetect.cli import main; sys.exit(main())"]
    runs = [
        subprocess.Popen(
            [*cli, "detect", str(path), "--model", str(tiny_model_dir), "--plot", str(plots)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for path in recordings
    ]
    errors = [run.communicate(timeout=120)[1].decode() for run in runs]
    # THEN each run succeeds and each recording has its own timeline, none left half-written
    assert [run.returncode for run in runs] == [0, 0, 0, 0], errors
    names = sorted(path.name for path in plots.iterdir())
    assert names == ["latest-2.png", "latest-3.png", "latest-4.png", "latest.png"]
    for path in recordings:
        assert sum(plots_recording(plots / name, path) for name in names) == 1, path
    # AND runs of one recording at once leave one timeline of it, not one each
    runs = [
        subprocess.Popen(
            [
                *cli,
                "detect",
                str(recordings[0]),
                "--model",
                str(tiny_model_dir),
                "--plot",
                str(plots),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(3)
    ]
    errors = [run.communicate(timeout=120)[1].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], errors
    assert sorted(path.name for path in plots.iterdir()) == names


def test_plots_keep_the_user_s_pictures_and_replace_their_own(
    capsys, tmp_path, rng, tiny_model_dir
):
    write_wav(tmp_path / "in" / "hall.wav", noise(5.0, sr=SR, rng=rng), SR)
    plots = tmp_path / "pictures"
    plots.mkdir()
    (plots / "hall.png").write_bytes(b"\x89PNG\r\n\x1a\n my own picture")
    for _ in range(2):
        run_cli(capsys, tmp_path / "in", "--model", tiny_model_dir, "--plot", plots)
    # The user's hall.png is untouched; the second run wrote over its own timeline
    assert (plots / "hall.png").read_bytes() == b"\x89PNG\r\n\x1a\n my own picture"
    assert sorted(p.name for p in plots.iterdir()) == ["hall-2.png", "hall.png"]


def test_a_plot_folder_that_is_a_file_is_a_usage_error(
    capsys, recordings, tiny_model_dir, tmp_path
):
    (tmp_path / "plots").write_text("notes")
    code, out, err = run_cli(
        capsys, recordings, "--model", tiny_model_dir, "--plot", tmp_path / "plots"
    )
    assert (code, out) == (2, "")
    assert f"error: --plot {tmp_path / 'plots'}: exists and is not a folder" in err
    assert (tmp_path / "plots").read_text() == "notes"


def test_a_plot_folder_that_is_a_broken_link_is_named_as_such(
    capsys, recordings, tiny_model_dir, tmp_path
):
    (tmp_path / "plots").symlink_to(tmp_path / "unmounted" / "plots")
    code, out, err = run_cli(
        capsys, recordings, "--model", tiny_model_dir, "--plot", tmp_path / "plots"
    )
    assert (code, out) == (2, "")
    assert err.strip().endswith(
        f"error: --plot {tmp_path / 'plots'}: a link to {tmp_path / 'unmounted' / 'plots'}, "
        "which does not exist"
    )


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--config=", "argument --config: an empty path"),
        ("--type=", "error: --type : needs a dataset.json as --config"),
    ],
)
def test_an_empty_config_or_type_is_refused_not_ignored(
    capsys, recordings, tiny_model_dir, option, message
):
    # GIVEN an unset "$CONFIG" or "$TYPE" in a script
    try:
        code = main(["detect", str(recordings), "--model", str(tiny_model_dir), option])
    except SystemExit as stop:
        code = stop.code
    out, err = capsys.readouterr()
    # THEN it is refused, not read as the current folder or left out
    assert (code, out) == (2, "")
    assert message in err


def test_rgb_model_runs_from_the_cli(capsys, recordings, tmp_path):
    model = write_tiny_model(tmp_path / "rgb", config=SpectrogramConfig(cmap="magma"))
    code, out, _ = run_cli(capsys, recordings, "--model", model, "--format", "json")
    assert code == 0 and len(out.splitlines()) == 2


def test_a_reader_that_stops_early_ends_detect_quietly(tmp_path, rng, tiny_model_dir):
    # GIVEN a folder of recordings, and a reader that stops reading before detect's first
    # line (as `... | head -1` does after its first)
    for i in range(3):
        write_wav(tmp_path / f"r{i}.wav", noise(12.0, sr=SR, rng=rng), SR)
    command = ["detect", str(tmp_path), "--model", str(tiny_model_dir), "--format", "json"]
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from sounddetect.cli import main; sys.exit(main())"]
        + command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()
    stderr = process.stderr.read().decode()
    # THEN detect ends at that line, as a Unix tool ended by SIGPIPE, without a traceback
    assert process.wait(timeout=60) == 141
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr


def test_a_file_name_that_is_not_utf8_is_detected_and_printed(tmp_path, rng, tiny_model_dir):
    # GIVEN a recording whose name is Latin-1 bytes (a camera's, a FAT stick's), and stdout
    # in strict UTF-8 (as a UTF-8 locale sets it)
    alarm = noise(14.0, sr=SR, rng=rng, amplitude=0.01)
    alarm[4 * SR : 12 * SR] += tone(8.0, sr=SR)
    name = os.fsdecode(b"K\xfcche.wav")
    write_wav(tmp_path / "kitchen.wav", alarm, SR).rename(tmp_path / name)
    command = ["detect", str(tmp_path), "--model", str(tiny_model_dir), "--format", "json"]
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from sounddetect.cli import main; sys.exit(main())"]
        + command,
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=120,
    )
    # THEN it is decoded and detected, and its JSON line names it (as "\udcfc")
    assert done.returncode == 0, done.stderr.decode()
    (result,) = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert result["file"] == str(tmp_path / name) and result["alarm"] is True


BLAS_THREADS_AFTER_THE_CLI = """
import json
import os
import subprocess
import sys
from sounddetect.cli import main
try:
    main(["detect", "--help"])
except SystemExit:
    pass
from threadpoolctl import threadpool_info
print(json.dumps([p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]))
"""


@pytest.mark.parametrize(("setting", "expected"), [(None, 1), ("2", 2)])
def test_the_cli_runs_numpy_s_blas_on_one_thread_unless_told_otherwise(setting, expected):
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if setting is not None:
        env["OPENBLAS_NUM_THREADS"] = setting
    out = subprocess.run(
        [sys.executable, "-c", BLAS_THREADS_AFTER_THE_CLI],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    threads = json.loads(out.splitlines()[-1])
    assert threads and set(threads) == {expected}


def readme_python_examples() -> list[str]:
    """The code blocks of the README's "From Python" section: the file's, the array's."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("From Python,", 1)[1]
    return [block.split("```", 1)[0] for block in section.split("```python\n")[1:3]]


@pytest.fixture
def readme_kitchen(tmp_path, rng, monkeypatch):
    """A folder where the README's paths hold the shipped model and an alarm in a kitchen
    (16-bit WAV); the path of the kitchen."""
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "default").symlink_to(
        Path(__file__).resolve().parents[2] / "models" / "default"
    )
    kitchen = noise(30.0, sr=SR, rng=rng, amplitude=0.02)
    kitchen[6 * SR : 26 * SR] += t3_alarm(20.0, sr=SR)
    monkeypatch.chdir(tmp_path)
    return write_wav(tmp_path / "audio" / "examples" / "alarm_kitchen.wav", kitchen, SR)


def test_the_readme_python_example_gives_the_command_line_result(capsys, readme_kitchen):
    # GIVEN the README's "From Python" example, run where its paths hold the shipped model
    # and an alarm in a kitchen
    example = readme_python_examples()[0]
    # WHEN it runs
    namespace: dict = {}
    exec(compile(example, "README.md", "exec"), namespace)
    printed = capsys.readouterr().out
    # THEN it prints the alarm's events, and its result is the command line's JSON
    assert re.fullmatch(r"(smoke alarm \d+\.\d-\d+\.\d s \(\d\.\d\d\)\n)+", printed)
    code, out, _ = run_cli(
        capsys, "audio/examples/alarm_kitchen.wav", "--model", "models/default", "--format", "json"
    )
    assert code == 0 and json.loads(out) == json.loads(json.dumps(namespace["result"]))


def test_a_hop_longer_than_the_window_is_refused_before_any_result(
    capsys, recordings, tiny_model_dir
):
    code, out, err = run_cli(capsys, recordings, "--model", tiny_model_dir, "--hop", "5")
    assert code == 2 and out == ""
    assert "--hop 5 s is longer than the model's 4 s window" in err


def test_a_hop_under_a_tenth_of_a_second_is_refused_before_any_result(
    capsys, recordings, tiny_model_dir
):
    code, out, err = run_cli(capsys, recordings, "--model", tiny_model_dir, "--hop", "0.001")
    assert code == 2 and out == ""
    assert "error: --hop 0.001 s is shorter than 0.1 s" in err


def test_an_ffmpeg_setting_that_names_no_ffmpeg_is_a_usage_error(
    capsys, monkeypatch, recordings, tiny_model_dir, tmp_path
):
    # GIVEN SOUNDDETECT_FFMPEG set to an ffmpeg that is not there
    monkeypatch.setenv(FFMPEG_ENV, str(tmp_path / "nowhere" / "ffmpeg"))
    # WHEN detect runs, THEN it stops before any input, naming the variable, rather than
    # calling every M4A an unsupported codec "or install ffmpeg"
    code, out, err = run_cli(capsys, recordings, "--model", tiny_model_dir)
    assert code == 2 and out == ""
    assert f"error: {FFMPEG_ENV}={tmp_path / 'nowhere' / 'ffmpeg'}: not found; " in err


def test_odd_arguments_get_their_own_line_and_each_recording_runs_once(
    capsys, recordings, tiny_model_dir, tmp_path, monkeypatch
):
    monkeypatch.chdir(recordings.parent)
    (tmp_path / "loop-a.wav").symlink_to(tmp_path / "loop-b.wav")
    (tmp_path / "loop-b.wav").symlink_to(tmp_path / "loop-a.wav")
    argv = [
        "recordings",
        "recordings/alarm_kitchen.wav",  # a second time, and a third
        str(recordings / "alarm_kitchen.wav"),
        "",  # an unset "$FILE" of a script, not the current folder
        "x" * 300 + ".wav",  # a name too long for the file system
        tmp_path / "loop-a.wav",
    ]
    code, out, err = run_cli(capsys, *argv, "--model", tiny_model_dir, "--format", "json")
    assert code == 1
    files = [json.loads(line)["file"] for line in out.splitlines()]
    assert files.count("recordings/alarm_kitchen.wav") == 1 and len(files) == 5
    assert "recordings/alarm_kitchen.wav: found in recordings and named, processed once" in err
    assert (
        f"{recordings / 'alarm_kitchen.wav'}: the same recording as recordings/alarm_kitchen.wav"
        in err
    )
    assert "error: '': an empty file name" in err.splitlines()
    assert f"error: {'x' * 300}.wav: File name too long" in err.splitlines()
    assert f"error: {tmp_path / 'loop-a.wav'}: a loop of links" in err
    assert "Traceback" not in err


def detect_process(*argv, **options) -> subprocess.CompletedProcess:
    """``sounddetect detect argv...`` in a process of its own (standard input is its own)."""
    command = [sys.executable, "-m", "sounddetect", "detect", *map(str, argv)]
    return subprocess.run(command, capture_output=True, text=True, check=False, **options)


def test_a_recording_piped_in_is_read_from_standard_input(recordings, tiny_model_dir, tmp_path):
    # GIVEN the kitchen recording streamed by ffmpeg into a pipe, as from a camera's stream:
    # a WAV whose header cannot say how long it is
    kitchen = recordings / "alarm_kitchen.wav"
    stream = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(kitchen), "-f", "wav", "-"]
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    with subprocess.Popen(stream, stdout=subprocess.PIPE) as producer:
        # WHEN detect reads "-" beside the file itself
        done = detect_process(
            "-", kitchen, "--model", tiny_model_dir, "--format", "json",
            "--plot", tmp_path / "plots", stdin=producer.stdout,
            env={**os.environ, "TMPDIR": str(temporary)},
        )  # fmt: skip
    assert producer.returncode == 0
    # THEN "-" gets the result the file gets, under the name "-", and a timeline
    assert done.returncode == 0, done.stderr
    piped, named = map(json.loads, done.stdout.splitlines())
    assert piped["file"] == "-" and piped["alarm"] is True
    assert {**piped, "file": named["file"]} == named
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == [
        "alarm_kitchen.png",
        "stdin.png",
    ]
    # and its temporary copy is gone
    assert not list(temporary.glob("sounddetect-stdin-*"))
    # AND the next run's standard input, another recording, keeps that timeline
    with kitchen.open("rb") as piped:
        again = detect_process("-", "--model", tiny_model_dir, "--plot", tmp_path / "plots",
                               stdin=piped)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "plots" / "stdin-2.png").is_file()


@pytest.mark.parametrize(
    ("stdin", "reason"),
    [
        ("empty", "standard input is empty (nothing was piped in)"),
        ("terminal", "standard input is a terminal, not a recording; pipe one in "),
        ("closed", "standard input is closed"),
        ("write-only", "standard input could not be read (Bad file descriptor)"),
    ],
)
def test_standard_input_without_a_recording_is_one_error_and_the_rest_goes_on(
    recordings, tiny_model_dir, tmp_path, stdin, reason
):
    kitchen = recordings / "alarm_kitchen.wav"
    argv = ["-", kitchen, "--model", tiny_model_dir, "--format", "json"]
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    options = {"env": {**os.environ, "TMPDIR": str(temporary)}, "timeout": 120}
    if stdin == "terminal":
        terminal, user_side = os.openpty()
        try:
            done = detect_process(*argv, stdin=user_side, **options)
        finally:
            os.close(terminal), os.close(user_side)
    elif stdin == "closed":
        done = detect_process(*argv, preexec_fn=lambda: os.close(0), **options)
    elif stdin == "write-only":
        with (tmp_path / "log").open("wb") as log:
            done = detect_process(*argv, stdin=log, **options)
    else:
        done = detect_process(*argv, stdin=subprocess.DEVNULL, **options)
    assert done.returncode == 1
    failed, processed = map(json.loads, done.stdout.splitlines())
    assert failed["file"] == "-" and failed["alarm"] is None
    assert processed["alarm"] is True
    (error,) = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert error.startswith(f"error: -: {reason}")
    assert not list(temporary.glob("sounddetect-stdin-*"))


@pytest.mark.parametrize(
    ("size_kb", "piped"),
    [
        (64, 448_000),  # the disk fills within the first block
        # ... in the last few kB, which a buffered copy held back: the first 1 MB block takes
        # 256 of the 257 4-kB pages, the last 6000 bytes need two (at 1032 kB they can fit)
        (1028, 2**20 + 6000),
    ],
)
def test_standard_input_that_fills_the_disk_is_one_error(
    recordings, tiny_model_dir, tmp_path, size_kb, piped
):
    # GIVEN a temporary folder with room for less than is piped in
    kitchen = recordings / "alarm_kitchen.wav"
    small = tmp_path / "small"
    small.mkdir()
    argv = ["-m", "sounddetect", "detect", "-", str(kitchen), "--model", str(tiny_model_dir)]
    done = run_with_a_small_disk(
        small, argv, size_kb=size_kb, stdin=bytes(piped), env={"TMPDIR": str(small)}
    )
    # THEN "-" fails with a line that says where it could not be kept, and the file runs
    stderr = done.stderr.decode()
    assert done.returncode == 1, stderr
    assert f"error: -: standard input could not be kept in {small} (No space left on device)" in (
        stderr.splitlines()
    )
    assert "alarm_kitchen.wav" in done.stdout.decode() and "Traceback" not in stderr


def test_dash_twice_is_read_once_and_dot_slash_dash_is_a_file(
    capsys, recordings, tiny_model_dir, tmp_path, monkeypatch
):
    # GIVEN a recording in a file named "-"
    monkeypatch.chdir(tmp_path)
    shutil.copy(recordings / "alarm_kitchen.wav", "-")
    code, out, err = run_cli(capsys, "./-", "--model", tiny_model_dir, "--format", "json")
    assert code == 0 and json.loads(out)["file"] == "./-" and json.loads(out)["alarm"] is True
    # and standard input named twice: one result, and a warning
    piped = subprocess.run(
        [sys.executable, "-m", "sounddetect", "detect", "-", "-", "--model", str(tiny_model_dir)],
        input=(recordings / "alarm_kitchen.wav").read_bytes(),
        capture_output=True,
        check=False,
    )
    assert piped.returncode == 0
    assert len(piped.stdout.decode().splitlines()) == 2  # the header and one row
    assert "warning: -: named twice, processed once" in piped.stderr.decode().splitlines()


def test_a_named_pipe_in_a_folder_is_refused_by_name(recordings, tiny_model_dir):
    # GIVEN a recorder's live output, a named pipe called as a recording, in the folder
    os.mkfifo(recordings / "live.wav")
    # (in a process of its own: were the pipe opened, it would wait for a writer)
    argv = [recordings, "--model", tiny_model_dir, "--format", "json"]
    done = detect_process(*argv, timeout=120)
    # THEN it is one failed input that says what it is, and the recordings are detected
    assert done.returncode == 1
    assert f"error: {recordings / 'live.wav'}: not a regular file" in done.stderr.splitlines()
    assert [json.loads(line)["alarm"] for line in done.stdout.splitlines()] == [True, None, False]


def test_a_file_named_and_found_in_its_folder_is_said_to_be(
    capsys, recordings, tiny_model_dir, monkeypatch
):
    monkeypatch.chdir(recordings.parent)
    argv = ["recordings/alarm_kitchen.wav", "recordings", "recordings/alarm_kitchen.wav"]
    code, out, err = run_cli(capsys, *argv, "--model", tiny_model_dir, "--format", "json")
    assert code == 0 and len(out.splitlines()) == 2
    assert [line for line in err.splitlines() if "processed once" in line] == [
        "warning: recordings/alarm_kitchen.wav: named and found in recordings, processed once",
        "warning: recordings/alarm_kitchen.wav: named twice, processed once",
    ]


def test_a_hard_link_is_the_same_recording(capsys, recordings, tiny_model_dir, monkeypatch):
    # GIVEN a recording and a hard link to it in the same folder, as a backup script makes
    monkeypatch.chdir(recordings.parent)
    os.link("recordings/alarm_kitchen.wav", "recordings/alarm_kitchen_copy.wav")
    # WHEN the folder is checked, THEN the recording runs once, as through a symbolic link
    code, out, err = run_cli(capsys, "recordings", "--model", tiny_model_dir, "--format", "json")
    files = [json.loads(line)["file"] for line in out.splitlines()]
    assert code == 0 and len([f for f in files if "alarm_kitchen" in f]) == 1
    assert "the same recording as recordings/alarm_kitchen" in err


def test_a_link_in_a_folder_to_a_recording_of_it_gives_way_to_the_recording(
    capsys, recordings, tiny_model_dir, monkeypatch
):
    # GIVEN a folder holding a recording and a link to it that sorts first, as a recorder's
    # latest.wav does
    monkeypatch.chdir(recordings.parent)
    os.symlink("alarm_kitchen.wav", "recordings/a_latest.wav")
    # WHEN the folder is checked
    code, out, err = run_cli(capsys, "recordings", "--model", tiny_model_dir, "--format", "json")
    # THEN the recording runs once, under its own name, and the link is the one said to be
    # the same recording
    files = [json.loads(line)["file"] for line in out.splitlines()]
    assert code == 0 and "recordings/a_latest.wav" not in files
    assert files.count("recordings/alarm_kitchen.wav") == 1
    assert files == sorted(files)  # in the place the link had, first
    assert (
        "warning: recordings/a_latest.wav: the same recording as recordings/alarm_kitchen.wav, "
        "processed once"
    ) in err.splitlines()


def test_names_with_control_characters_stay_on_their_line(capsys, tmp_path, tiny_model_dir):
    # ESC [1A ESC [2K, written raw, would erase the row above it on a terminal
    (tmp_path / "in").mkdir()
    name = tmp_path / "in" / "up\x1b[1A\x1b[2K.wav"
    name.write_text("not audio\n" * 50)
    code, out, err = run_cli(capsys, name, "--model", tiny_model_dir)
    assert code == 1 and "\x1b" not in out + err
    assert "up\\x1b[1A\\x1b[2K.wav" in out and "up\\x1b[1A\\x1b[2K.wav" in err


def test_plots_of_names_matplotlib_would_misread(capsys, tmp_path, rng, tiny_model_dir):
    # "$" starts matplotlib's mathtext; a name that is not UTF-8 has surrogates no font draws
    names = ["price $5 or $6.wav", os.fsdecode(b"bad\xffname.wav")]
    for name in names:
        write_wav(tmp_path / "in" / "recording.wav", noise(5.0, sr=SR, rng=rng), SR)
        os.rename(tmp_path / "in" / "recording.wav", tmp_path / "in" / name)
    plots = tmp_path / "plots"
    code, _, err = run_cli(capsys, tmp_path / "in", "--model", tiny_model_dir, "--plot", plots)
    assert code == 0, err
    assert sorted(p.name for p in plots.iterdir()) == sorted(
        Path(name).with_suffix(".png").name for name in names
    )


def two_days_of_one_camera(tmp_path, rng):
    """cam/day1/rec.wav and cam/day2/rec.wav: two recordings of one name."""
    for day in ("day1", "day2"):
        write_wav(tmp_path / "cam" / day / "rec.wav", noise(5.0, sr=SR, rng=rng), SR)
    return tmp_path / "cam"


@pytest.mark.parametrize("named", ["as files", "as folders"])
def test_a_timeline_of_another_recording_from_an_earlier_run_is_kept(
    capsys, caplog, tmp_path, rng, tiny_model_dir, named
):
    # GIVEN day1's timeline from one run
    cam, plots = two_days_of_one_camera(tmp_path, rng), tmp_path / "plots"
    day1, day2 = (
        (cam / "day1", cam / "day2")
        if named == "as folders"
        else (
            cam / "day1" / "rec.wav",
            cam / "day2" / "rec.wav",
        )
    )
    run_cli(capsys, day1, "--model", tiny_model_dir, "--plot", plots)
    day1_timeline = (plots / "rec.png").read_bytes()
    # WHEN a later run plots day2's recording of the same name, twice
    for _ in range(2):
        caplog.clear()
        caplog.set_level(logging.INFO, logger="sounddetect")
        code, _, _ = run_cli(capsys, day2, "--model", tiny_model_dir, "--plot", plots)
        # THEN day1's timeline is kept, and day2's takes rec-2.png, replacing its own
        assert code == 0 and f"-> {plots / 'rec-2.png'}" in caplog.text
        assert sorted(p.name for p in plots.iterdir()) == ["rec-2.png", "rec.png"]
        assert (plots / "rec.png").read_bytes() == day1_timeline


def test_a_timeline_that_does_not_say_its_recording_is_kept(
    capsys, recordings, tiny_model_dir, tmp_path
):
    from PIL import Image, PngImagePlugin

    # GIVEN a timeline an earlier version wrote: marked as sounddetect's, without its recording
    plots = tmp_path / "plots"
    plots.mkdir()
    text = PngImagePlugin.PngInfo()
    text.add_text("Software", "sounddetect plot_detection")
    Image.new("RGB", (8, 8)).save(plots / "alarm_kitchen.png", pnginfo=text)
    old = (plots / "alarm_kitchen.png").read_bytes()
    # WHEN a recording of that name is plotted, THEN that one may be another's: it is kept
    argv = [recordings / "alarm_kitchen.wav", "--model", tiny_model_dir, "--plot", plots]
    assert run_cli(capsys, *argv)[0] == 0
    assert (plots / "alarm_kitchen.png").read_bytes() == old
    assert sorted(p.name for p in plots.iterdir()) == ["alarm_kitchen-2.png", "alarm_kitchen.png"]


def test_a_truncated_timeline_is_still_known_as_ours(capsys, recordings, tiny_model_dir, tmp_path):
    # A run interrupted while writing could leave one; the next run replaces it, where it
    # had taken it for the user's and written <stem>-2.png from then on
    plots = tmp_path / "plots"
    argv = [recordings / "alarm_kitchen.wav", "--model", tiny_model_dir, "--plot", plots]
    run_cli(capsys, *argv)
    png = plots / "alarm_kitchen.png"
    png.write_bytes(png.read_bytes()[: png.stat().st_size // 2])
    run_cli(capsys, *argv)
    assert [p.name for p in plots.iterdir()] == ["alarm_kitchen.png"]
    source = recordings / "alarm_kitchen.wav"
    assert png.stat().st_size > len(png.read_bytes()[:8]) and plots_recording(png, source)


CLI_WITHOUT = """
import sys
sys.modules["matplotlib"] = None  # as on an install without the [generate] extra
from sounddetect.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_plot_without_matplotlib_is_a_usage_error_before_any_result(recordings, tiny_model_dir):
    argv = ["detect", str(recordings), "--model", str(tiny_model_dir), "--plot", "plots"]
    done = subprocess.run(
        [sys.executable, "-c", CLI_WITHOUT, *argv], capture_output=True, text=True
    )
    assert done.returncode == 2 and done.stdout == ""
    assert "--plot needs matplotlib: pip install 'sounddetect[generate]'" in done.stderr


def test_results_that_cannot_be_written_are_one_line(recordings, tiny_model_dir):
    argv = [sys.executable, "-m", "sounddetect", "detect", str(recordings)]
    argv += ["--model", str(tiny_model_dir), "--format", "json"]
    with open("/dev/full", "w") as full:
        done = subprocess.run(argv, stdout=full, stderr=subprocess.PIPE, text=True)
    assert done.returncode == 1
    assert "error: standard output: No space left on device" in done.stderr.splitlines()
    assert "Traceback" not in done.stderr
    # Started with its output closed: refused, rather than every result lost with exit 0
    done = subprocess.run(argv, stderr=subprocess.PIPE, text=True, preexec_fn=lambda: os.close(1))
    assert done.returncode == 2
    assert "standard output is closed; results have nowhere to go" in done.stderr


def test_the_readme_array_example_gives_the_file_s_result_and_every_warning(capsys, readme_kitchen):
    # GIVEN the README's two "From Python" examples, the file's and the array's
    for_file, for_array = readme_python_examples()
    namespace: dict = {}
    exec(compile(for_file, "README.md", "exec"), namespace)
    from_file = namespace["result"]
    capsys.readouterr()
    # WHEN the array's runs on the kitchen's samples
    exec(compile(for_array, "README.md", "exec"), namespace)
    # THEN its result is the file's, under the microphone's name, without a warning
    assert namespace["result"] == {**from_file, "file": "kitchen-mic"}
    assert capsys.readouterr().out == ""
    # AND once the microphone is muted, every call prints that it is silent
    write_wav(readme_kitchen, np.zeros(30 * SR, np.float32), SR)
    for _ in range(2):
        exec(compile(for_array, "README.md", "exec"), namespace)
    assert capsys.readouterr().out.splitlines() == 2 * [
        "kitchen-mic: silent throughout (no sound at all): is the microphone muted or disconnected?"
    ]


def test_a_microphone_stuck_at_one_value_raises_no_alarm_with_the_shipped_model(
    capsys, tmp_path, rng
):
    # GIVEN 16-bit recordings at 44.1 kHz, the commonest rate: a digital microphone whose
    # data line sits one step below zero throughout, and a plant room's microphone that
    # stuck at +5 steps after 30 s of room noise
    sr = 44100
    stuck = tmp_path / "stuck.wav"
    sf.write(stuck, np.full(60 * sr, -1, np.int16), sr, subtype="PCM_16")
    room = np.full(60 * sr, 5, np.int16)
    room[: 30 * sr] = np.round(rng.standard_normal(30 * sr) * 30).astype(np.int16)
    went_dead = tmp_path / "went_dead.wav"
    sf.write(went_dead, room, sr, subtype="PCM_16")
    shipped = Path(__file__).resolve().parents[2] / "models" / "default"
    # WHEN detect checks them with the shipped model
    code, out, err = run_cli(capsys, stuck, went_dead, "--model", shipped, "--format", "json")
    # THEN neither raises an alarm: the resampler's ripple around the stuck value, drawn at
    # full contrast, had been an alarm over the whole minute and the last 30 s, at 1.00
    results = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [(r["alarm"], r["events"]) for r in results] == [(False, []), (False, [])]
    assert f"{stuck}: silent throughout" in err


def test_the_command_line_runs_in_a_thread_of_an_application(recordings, tiny_model_dir):
    # GIVEN an application that runs the command line in a worker thread, where Python
    # refuses to set a signal handler
    outcome = {}

    def run():
        try:
            outcome["code"] = main(["detect", str(recordings), "--model", str(tiny_model_dir)])
        except Exception as exc:  # noqa: BLE001 - the outcome under test
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    # THEN it runs the command, leaving SIGTERM to the application
    assert "error" not in outcome, outcome.get("error")
    assert outcome["code"] in (0, 1)


def test_a_tilde_the_shell_left_is_the_home_folder(
    capsys, recordings, tiny_model_dir, tmp_path, monkeypatch
):
    # GIVEN a home folder holding recordings and a model, and a script that quotes its
    # paths, so the shell leaves ~ as it is (or puts it after = in a flag)
    monkeypatch.setenv("HOME", str(tmp_path))
    home_model = tmp_path / "my model"
    home_model.mkdir()
    for name in ("model.onnx", "model.json"):
        (home_model / name).write_bytes((tiny_model_dir / name).read_bytes())
    # WHEN detect is given them with ~, and one path with the ~ of a user that does not exist
    code, out, err = run_cli(
        capsys,
        "~/recordings/alarm_kitchen.wav",
        "~no-such-user-here/alarm.wav",
        "--model=~/my model",
        "--format",
        "json",
    )
    # THEN the home folder's files are read and named by their expanded paths, and the
    # other is one missing file, the rest of the run going on
    results = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert [r["file"] for r in results] == [
        str(recordings / "alarm_kitchen.wav"),
        "~no-such-user-here/alarm.wav",
    ]
    assert results[0]["alarm"] is True
    assert err.splitlines()[0] == "error: ~no-such-user-here/alarm.wav: no such file or directory"


def test_detect_without_model_uses_the_installed_model_from_any_folder_and_a_local_one_first(
    capsys, caplog, recordings, tiny_model_dir, tmp_path, monkeypatch
):
    # GIVEN a folder with no models/ in it
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    caplog.set_level(logging.INFO, logger="sounddetect.cli.detect")
    # WHEN detect runs there without --model THEN the installed shipped model finds the alarm
    code, out, _ = run_cli(capsys, recordings / "alarm_kitchen.wav", "--format", "json")
    [result] = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and result["alarm"] is True
    shipped = Path(__file__).resolve().parents[2] / "models" / "default" / "model.json"
    assert result["classifier"]["threshold"] == json.loads(shipped.read_text())["threshold"]
    # AND where `sounddetect train` left a model in models/default, that model is used
    local = elsewhere / "models" / "default"
    local.mkdir(parents=True)
    for name in ("model.onnx", "model.json"):
        (local / name).write_bytes((tiny_model_dir / name).read_bytes())
    caplog.clear()
    code, out, _ = run_cli(capsys, recordings / "alarm_kitchen.wav", "--format", "json")
    assert code == 0
    assert "in models/default" in caplog.text
    assert json.loads(out)["classifier"]["model"] == "tiny"


def test_no_continuous_tones_drops_a_steady_whine_and_keeps_a_beeping_alarm(capsys, tmp_path, rng):
    # GIVEN a steady 3.4 kHz whine in a room and a temporal-three alarm there, and the
    # default model (models/default of a checkout: the shipped one)
    whine, alarm = plant_room(30.0, sr=SR, rng=rng)
    write_wav(tmp_path / "vfd.wav", whine, SR)
    write_wav(tmp_path / "alarm.wav", alarm, SR)
    inputs = [tmp_path / "vfd.wav", tmp_path / "alarm.wav", "--format", "json"]
    # WHEN both are detected with and without --no-continuous-tones
    code, out, _ = run_cli(capsys, *inputs)
    assert code == 0 and [json.loads(line)["alarm"] for line in out.splitlines()] == [True, True]
    code, out, _ = run_cli(capsys, *inputs, "--no-continuous-tones")
    # THEN only the beeping alarm raises one
    assert code == 0 and [json.loads(line)["alarm"] for line in out.splitlines()] == [False, True]


def test_no_continuous_tones_with_a_model_that_cannot_tell_is_a_usage_error(
    capsys, recordings, tmp_path
):
    config = tmp_path / "config.json"
    config.write_text(SpectrogramConfig().to_json())
    argv = ["--model", ARN, "--config", config, "--no-continuous-tones"]
    code, out, err = run_cli(capsys, recordings, *argv)
    assert code == 2 and out == ""
    assert "error: --no-continuous-tones needs a model that says when in each window" in err
