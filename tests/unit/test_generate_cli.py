"""``sounddetect generate``, ``sounddetect preview`` and util/create_training_data.py."""

import fcntl
import json
import logging
import os
import re
import runpy
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from sounddetect.cli import build_parser, main
from sounddetect.cli.generate import parse_types, settings_from_args
from sounddetect.dataset import (
    GeneratorSettings,
    read_dataset_info,
    read_samples,
    spectrogram_configs,
)
from sounddetect.exceptions import ParameterError
from sounddetect.spectrum import SPECTROGRAM_TYPES

SR = 16000
REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "util" / "create_training_data.py"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Three beeping alarms and three noise backgrounds of three kinds, 5 s each."""
    root = tmp_path_factory.mktemp("corpus")
    rng = np.random.default_rng(0)
    t = np.arange(5 * SR) / SR
    (root / "alarms").mkdir()
    (root / "background").mkdir()
    for i in range(3):
        beeps = 0.3 * np.sin(2 * np.pi * (3000 + 100 * i) * t) * ((t % 1.0) < 0.5)
        sf.write(root / "alarms" / f"piezo_{i}.wav", beeps, SR)
    for kind in ("fan", "tv", "rain"):
        sf.write(root / "background" / f"{kind}_0.wav", rng.normal(0, 0.05, len(t)), SR)
    return root / "alarms", root / "background"


def generate_argv(corpus, target, *extra):
    alarms, backgrounds = corpus
    return [
        "generate",
        "--alarm-source",
        str(alarms),
        "--background-source",
        str(backgrounds),
        "--target-path",
        str(target),
        "--samples-per-layer",
        "4",
        "--max-background-layers",
        "2",
        "--workers",
        "1",
        "--no-progress",
        *extra,
    ]


def test_generate_writes_a_dataset_and_prints_a_summary(corpus, tmp_path, capsys):
    target = tmp_path / "data"
    assert main(generate_argv(corpus, target, "--seed", "5", "--snr-db", "0", "6")) == 0
    out = capsys.readouterr().out
    assert "train" in out and "images per type: mel 8" in out and "images/s" in out
    rows = read_samples(target)
    assert len(rows) == 8
    assert all(0 <= float(row["snr_db"]) <= 6 for row in rows if row["label"] == "alarm")
    assert read_dataset_info(target)["seed"] == 5


def test_alarm_snippets_flag_sets_the_share_of_non_alarms_with_a_beep(corpus, tmp_path):
    every, none = tmp_path / "every", tmp_path / "none"
    assert main(generate_argv(corpus, every, "--alarm-snippets", "1")) == 0
    assert main(generate_argv(corpus, none, "--alarm-snippets", "0")) == 0
    for target, expected in ((every, True), (none, False)):
        assert read_dataset_info(target)["settings"]["alarm_snippets"] == float(expected)
        no_alarm = [row for row in read_samples(target) if row["label"] == "no_alarm"]
        assert no_alarm and all(bool(row["alarm_file"]) == expected for row in no_alarm)


def test_environment_variables_are_read_and_flags_win(tmp_path):
    environ = {
        "ALARM_AUDIO_SOURCE": "env/alarms",
        "BACKGROUND_AUDIO_SOURCE": "env/background",
        "TARGET_PATH": "env/out",
        "SAMPLE_DURATION": "2.5",
        "MAX_BACKGROUND_LAYERS": "2",
    }
    parser = build_parser()
    from_env = settings_from_args(parser.parse_args(["generate"]), environ)
    assert from_env.alarm_source == Path("env/alarms")
    assert from_env.background_source == Path("env/background")
    assert from_env.target_path == Path("env/out")
    assert from_env.sample_duration == 2.5 and from_env.max_background_layers == 2
    args = parser.parse_args(
        ["generate", "--target-path", "flag/out", "--sample-duration", "3", "--types", "all"]
    )
    from_flags = settings_from_args(args, environ)
    assert from_flags.target_path == Path("flag/out") and from_flags.sample_duration == 3.0
    assert from_flags.types == SPECTROGRAM_TYPES
    defaults = settings_from_args(parser.parse_args(["generate"]), {})
    assert defaults.alarm_source == Path("audio/alarms")
    assert (defaults.sample_duration, defaults.max_background_layers) == (4.0, 3)


def test_the_help_states_the_defaults_the_generator_takes(capsys):
    # The parser leaves them to GeneratorSettings, which it does not import.
    with pytest.raises(SystemExit):
        main(["generate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    low, high = GeneratorSettings.snr_db
    assert f"(default: {GeneratorSettings.samples_per_layer})" in text
    assert f"(default: {low:g} {high:g})" in text


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("SAMPLE_DURATION", "four", "not a number: 'four'"),
        ("SAMPLE_DURATION", "inf", "must be finite, got 'inf'"),
        ("SAMPLE_DURATION", "-1", "must be > 0, got '-1'"),
        ("MAX_BACKGROUND_LAYERS", "1.5", "not an integer: '1.5'"),
        ("MAX_BACKGROUND_LAYERS", "0", "must be at least 1, got '0'"),
        # Python reads these as 10, 40.0 and 4.0; a typo is not to become another value
        ("MAX_BACKGROUND_LAYERS", "1_0", "not an integer: '1_0'"),
        ("SAMPLE_DURATION", "4_0", "not a number: '4_0'"),
        ("SAMPLE_DURATION", "\u0664", "not a number: '\u0664'"),
        ("SAMPLE_DURATION", "\uff14.\uff10", "not a number: '\uff14.\uff10'"),
    ],
)
def test_a_bad_environment_variable_is_a_usage_error(
    corpus, tmp_path, monkeypatch, capsys, variable, value, reason
):
    monkeypatch.setenv(variable, value)
    argv = generate_argv(corpus, tmp_path / "data")
    argv.remove("--max-background-layers")
    argv.remove("2")
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == f"error: ${variable}: {reason}"
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        # a window shorter than the alarm sound an alarm window must hold
        (
            "SAMPLE_DURATION",
            "0.5",
            "SAMPLE_DURATION (--sample-duration) 0.5 s is shorter than the 1 s of alarm sound "
            "an alarm window holds (--min-active-s): make the window longer or --min-active-s "
            "smaller",
        ),
        (
            "SAMPLE_DURATION",
            "0.01",
            "SAMPLE_DURATION (--sample-duration) 0.01 s is shorter than one FFT frame (1024 "
            "samples)",
        ),
        # a folder set in a variable the user may have forgotten
        (
            "ALARM_AUDIO_SOURCE",
            "/nonexistent/alarms",
            "/nonexistent/alarms: alarm source folder does not exist (ALARM_AUDIO_SOURCE or "
            "--alarm-source)",
        ),
    ],
)
def test_a_variable_s_value_the_generator_cannot_use_is_named_by_its_variable(
    corpus, tmp_path, monkeypatch, capsys, variable, value, reason
):
    monkeypatch.setenv(variable, value)
    argv = generate_argv(corpus, tmp_path / "data")
    if variable == "ALARM_AUDIO_SOURCE":
        at = argv.index("--alarm-source")
        del argv[at : at + 2]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == f"error: {reason}"
    assert not (tmp_path / "data").exists()


def test_an_existing_target_is_refused_without_overwrite(corpus, tmp_path, capsys):
    target = tmp_path / "data"
    assert main(generate_argv(corpus, target)) == 0
    capsys.readouterr()
    assert main(generate_argv(corpus, target)) == 2
    assert f"{target}: TARGET_PATH exists" in capsys.readouterr().err
    assert main(generate_argv(corpus, target, "--overwrite", "--seed", "1")) == 0
    assert read_dataset_info(target)["seed"] == 1


def test_missing_sources_and_unknown_types_are_usage_errors(corpus, tmp_path, capsys):
    argv = generate_argv(corpus, tmp_path / "data")
    argv[argv.index("--alarm-source") + 1] = str(tmp_path / "nowhere")
    assert main(argv) == 2
    assert "nowhere: alarm source folder does not exist" in capsys.readouterr().err
    assert main(generate_argv(corpus, tmp_path / "data2", "--types", "mel,sonogram")) == 2
    assert "unknown spectrogram type(s) sonogram" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        build_parser().parse_args(["generate", "--workers", "0"])


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["generate", "--seed", "-5"], "argument --seed: must be >= 0, got '-5'"),
        (["generate", "--min-active-s", "nan"], "argument --min-active-s: must be finite"),
        (["generate", "--alarm-snippets", "2"], "argument --alarm-snippets: must be in [0, 1]"),
        (["generate", "--samples-per-layer", "1_0"], "argument --samples-per-layer: not an"),
        (["generate", "--snr-db", "0", "2_5"], "argument --snr-db: not a number: '2_5'"),
        (["generate", "--split", "0", "0", "nan"], "argument --split: must be finite"),
        (["preview", "--snr-db", "nan"], "argument --snr-db: must be finite"),
        (["train", "data", "--seed", "-1"], "argument --seed: must be >= 0, got '-1'"),
        (["train", "data", "--seed", str(2**64)], "argument --seed: must be below 2**32"),
    ],
)
def test_bad_flag_values_are_usage_errors_quoting_the_flag(argv, reason, capsys):
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(argv)
    assert caught.value.code == 2
    assert reason in capsys.readouterr().err.splitlines()[-1]


def test_types_accept_commas_spaces_and_all():
    assert parse_types(["mel,cqt", "chroma"]) == ("mel", "cqt", "chroma")
    assert parse_types(["all"]) == SPECTROGRAM_TYPES
    with pytest.raises(ParameterError):
        parse_types([","])


def test_util_script_defaults_to_the_repository_folders():
    script = runpy.run_path(str(SCRIPT), run_name="util")
    assert script["DEFAULTS"]["ALARM_AUDIO_SOURCE"] == REPO_ROOT / "audio" / "alarms"
    assert script["DEFAULTS"]["BACKGROUND_AUDIO_SOURCE"] == REPO_ROOT / "audio" / "background"
    assert script["DEFAULTS"]["TARGET_PATH"] == REPO_ROOT / "training-data"


def test_util_script_reads_the_environment_and_passes_flags(corpus, tmp_path):
    alarms, backgrounds = corpus
    env = {
        **os.environ,
        "ALARM_AUDIO_SOURCE": str(alarms),
        "BACKGROUND_AUDIO_SOURCE": str(backgrounds),
        "TARGET_PATH": str(tmp_path / "env-target"),
        "MAX_BACKGROUND_LAYERS": "1",
    }
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--samples-per-layer", "2", "--workers", "1"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    rows = read_samples(tmp_path / "env-target")
    assert len(rows) == 2 and {row["n_layers"] for row in rows} == {"1"}


def test_preview_writes_every_type_and_a_contact_sheet(corpus, tmp_path, capsys):
    alarms, backgrounds = corpus
    out, sheet = tmp_path / "preview", tmp_path / "types.png"
    argv = ["preview", "--alarm-source", str(alarms), "--background-source", str(backgrounds)]
    assert main([*argv, "--out", str(out), "--sheet", str(sheet)]) == 0
    written = sorted(path.name for path in out.glob("*.png"))
    expected = sorted(
        f"{kind}_{label}.png" for kind in SPECTROGRAM_TYPES for label in ("alarm", "no_alarm")
    )
    assert written == expected
    with Image.open(sheet) as image:
        assert image.format == "PNG" and image.width > 3 * image.height
    assert "alarm: alarms/piezo_" in capsys.readouterr().out
    # A second run replaces them only with --overwrite, refused before any work otherwise
    (out / "mel_alarm.png").write_bytes(b"the user's picture")
    assert main([*argv, "--out", str(out), "--sheet", str(sheet)]) == 2
    assert "exists (17 of the outputs do); pass --overwrite" in capsys.readouterr().err
    assert (out / "mel_alarm.png").read_bytes() == b"the user's picture"
    assert main([*argv, "--out", str(out), "--sheet", str(sheet), "--overwrite"]) == 0
    assert (out / "mel_alarm.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("option", "value", "reason"),
    [
        ("--sheet", "sheet.xyz", "the contact sheet is a PNG; name it *.png"),
        ("--out", "notes.txt", "exists and is not a folder"),
        ("--out", "n" * 300, "File name too long"),
        ("--sheet", "preview/mel_alarm.png", "the name of one of the example images"),
        ("--snr-db", "100", "--snr-db 100.0: need a number from -30 to 60 dB"),
        ("--sr", "8000", "--sr 8000 Hz: the images show up to 8000 Hz"),
    ],
)
def test_preview_refuses_outputs_and_settings_it_cannot_use_before_any_work(
    corpus, tmp_path, capsys, option, value, reason
):
    (tmp_path / "notes.txt").write_text("the user's")
    alarms, backgrounds = corpus
    argv = ["preview", "--alarm-source", str(alarms), "--background-source", str(backgrounds)]
    argv += ["--out", str(tmp_path / "preview"), "--sheet", str(tmp_path / "sheet.png")]
    argv += [option, str(tmp_path / value) if option in ("--out", "--sheet") else value]
    assert main(argv) == 2
    assert reason in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize(
    ("duration", "reason"),
    [
        ("0.01", "duration 0.01 s is shorter than one FFT frame (1024 samples)"),
        ("1000", "duration 1000.0 s is above the longest supported window, 60 s"),
    ],
)
def test_preview_refuses_a_window_it_cannot_render_before_any_work(
    corpus, tmp_path, capsys, duration, reason
):
    alarms, backgrounds = corpus
    argv = ["preview", "--alarm-source", str(alarms), "--background-source", str(backgrounds)]
    argv += ["--out", str(tmp_path / "preview"), "--sheet", str(tmp_path / "sheet.png")]
    assert main([*argv, "--sample-duration", duration]) == 2
    assert capsys.readouterr().err.strip() == f"error: {reason}"
    assert not any(tmp_path.iterdir())


def test_a_tilde_in_a_path_is_the_home_folder(tmp_path, monkeypatch, capsys):
    # GIVEN paths starting with ~ that the shell left as they are (quoted in a .env file, or
    # after = in a flag)
    monkeypatch.setenv("HOME", str(tmp_path))
    environ = {"TARGET_PATH": "~/sd-data", "ALARM_AUDIO_SOURCE": "~/alarms"}
    parser = build_parser()
    # WHEN the settings are read THEN ~ is the home folder, in variables and flags alike
    settings = settings_from_args(
        parser.parse_args(["generate", "--background-source=~/background"]), environ
    )
    assert settings.target_path == tmp_path / "sd-data"
    assert settings.alarm_source == tmp_path / "alarms"
    assert settings.background_source == tmp_path / "background"
    # AND one that cannot be expanded is a usage error
    monkeypatch.setenv("TARGET_PATH", "~no-such-user-here/data")
    assert main(["generate", "--no-progress"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: $TARGET_PATH: cannot expand ~ in '~no-such-user-here/data': no such user, or "
        "no home folder"
    )


#: Every path argument of the other subcommands: argv, and each attribute's path under home.
OTHER_PATH_ARGUMENTS = [
    (["synth", "~/corpus"], {"dir": "corpus"}),
    (["recorded", "~/corpus", "--cache=~/cache"], {"dir": "corpus", "cache": "cache"}),
    (["train", "~/data", "--out=~/models/a"], {"target_path": "data", "out": "models/a"}),
    (
        ["evaluate", "~/models/a", "~/data", "--out=~/report"],
        {"model": "models/a", "target_path": "data", "out": "report"},
    ),
    (["compare", "~/data", "--out=~/models"], {"target_path": "data", "out": "models"}),
    (
        ["preview", "--out=~/preview", "--sheet=~/sheet.png"],
        {"out": "preview", "sheet": "sheet.png"},
    ),
    (
        ["detect", "a.wav", "--model=~/models/a", "--config=~/d.json"],
        {"model": "models/a", "config": "d.json"},
    ),
]


@pytest.mark.parametrize(("argv", "expected"), OTHER_PATH_ARGUMENTS)
def test_every_subcommand_reads_a_tilde_as_the_home_folder(tmp_path, monkeypatch, argv, expected):
    # GIVEN path arguments with a ~ the shell left as it is
    monkeypatch.setenv("HOME", str(tmp_path))
    # WHEN they are parsed THEN each is under the home folder, not in a folder named ~
    args = build_parser().parse_args(argv)
    for attribute, path in expected.items():
        assert Path(getattr(args, attribute)) == tmp_path / path


@pytest.mark.parametrize(
    "argv",
    [["train", ""], ["evaluate", "models/a", ""], ["synth", ""], ["detect", "a.wav", "--model="]],
)
def test_an_empty_path_argument_of_any_subcommand_is_a_usage_error(argv, capsys):
    # GIVEN an unset "$DIR" in a script WHEN parsed THEN refused, not the current folder
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(argv)
    assert caught.value.code == 2
    assert "an empty path" in capsys.readouterr().err


def test_a_rekognition_arn_as_detect_s_model_is_kept_as_it_is():
    arn = "arn:aws:rekognition:us-east-1:123456789012:project/p/version/v/1767225600000"
    assert build_parser().parse_args(["detect", "a.wav", "--model", arn]).model == arn


@pytest.mark.parametrize("option", ["--alarm-source", "--background-source", "--target-path"])
def test_an_empty_path_flag_is_a_usage_error_not_the_current_folder(corpus, option, capsys):
    # GIVEN an unset "$ALARMS" in a script: the flag's value is empty
    argv = generate_argv(corpus, "data")
    argv[argv.index(option) + 1] = ""
    # WHEN it is parsed THEN it is refused, not read as the current folder
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(argv)
    assert caught.value.code == 2
    assert f"argument {option}: an empty path" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("variable", "default"),
    [
        ("ALARM_AUDIO_SOURCE", "audio/alarms"),
        ("BACKGROUND_AUDIO_SOURCE", "audio/background"),
        ("TARGET_PATH", "training-data"),
        ("SAMPLE_DURATION", "4.0"),
        ("MAX_BACKGROUND_LAYERS", "3"),
    ],
)
def test_a_variable_set_but_empty_is_a_usage_error(
    tmp_path, monkeypatch, capsys, variable, default
):
    # GIVEN a folder variable set from an unset one in a script, in an empty folder
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(variable, "")
    # WHEN generate runs THEN it is refused, naming the variable, and nothing is written
    assert main(["generate", "--no-progress"]) == 2
    what = "empty" if variable in ("SAMPLE_DURATION", "MAX_BACKGROUND_LAYERS") else "an empty path"
    assert capsys.readouterr().err.strip() == (
        f"error: ${variable}: {what}; unset it for the default, {default}"
    )
    assert not any(tmp_path.iterdir())


def test_util_script_refuses_a_folder_variable_set_but_empty(corpus, tmp_path):
    alarms, backgrounds = corpus
    env = {
        **os.environ,
        "ALARM_AUDIO_SOURCE": "",
        "BACKGROUND_AUDIO_SOURCE": str(backgrounds),
        "TARGET_PATH": str(tmp_path / "env-target"),
    }
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--no-progress"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: $ALARM_AUDIO_SOURCE: an empty path; unset it for the default, audio/alarms"
    )
    assert not (tmp_path / "env-target").exists()


def test_all_is_given_alone_among_types():
    with pytest.raises(ParameterError) as caught:
        parse_types(["all", "mel"])
    assert str(caught.value) == (
        "spectrogram types all, mel: all means every type and is given alone (--types all)"
    )


def test_a_window_too_long_names_the_variable(corpus, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SAMPLE_DURATION", "1e9")
    argv = generate_argv(corpus, tmp_path / "data")
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == (
        "error: SAMPLE_DURATION (--sample-duration) 1e+09 s is above the longest supported "
        "window, 60 s"
    )


#: Runs the command line; once the first samples are written, the signal given reaches the
#: whole process group, workers too, as a terminal's Ctrl-C and timeout's SIGTERM do.
SIGNALLED_AFTER_THE_FIRST_SAMPLES = """
import os, signal, sys
import tqdm
from sounddetect.cli import main

# Ctrl-C as a terminal's foreground job gets it. Run in the background by a script (the test
# suite itself, say), a process inherits SIGINT ignored (POSIX), and Python leaves it so.
signal.signal(signal.SIGINT, signal.default_int_handler)

update = tqdm.tqdm.update

def update_and_signal(self, n=1):
    os.killpg(0, int(sys.argv[1]))
    return update(self, n)

tqdm.tqdm.update = update_and_signal
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize(
    ("signum", "code", "said"),
    [(signal.SIGTERM, 128 + signal.SIGTERM, "terminated"), (signal.SIGINT, 130, "interrupted")],
)
def test_sigterm_or_ctrl_c_ends_generate_and_its_workers_without_a_trace(
    corpus, tmp_path, signum, code, said
):
    # GIVEN generate with two worker processes and samples for several chunks of work
    target = tmp_path / "data"
    argv = generate_argv(corpus, target, "--workers", "2", "--samples-per-layer", "40")
    # WHEN the signal reaches it and its workers while they render
    done = subprocess.run(
        [sys.executable, "-c", SIGNALLED_AFTER_THE_FIRST_SAMPLES, str(int(signum)), *argv],
        capture_output=True,
        text=True,
        start_new_session=True,  # its own process group, for the signal
        # A pool whose workers died of Ctrl-C waited for them forever: a failure, not a hang
        timeout=600,
    )
    # THEN it ends with 128 + the signal's number, a line saying so after one on the samples
    # kept, no worker's traceback, and no half-written tree: only the dataset.json that
    # marks the folder as an unfinished run, and the hidden staging folder
    assert done.returncode == code, done.stderr
    *_, kept, last = done.stderr.splitlines()
    assert last == said
    assert re.fullmatch(
        rf"warning: {target}: \d+ of 80 samples are kept in {target}/\.partial; the same "
        "command with --resume renders only the rest",
        kept,
    )
    assert "Traceback" not in done.stderr and "ForkPoolWorker" not in done.stderr
    assert sorted(path.name for path in target.iterdir()) == [".partial", "dataset.json"]
    assert read_dataset_info(target)["complete"] is False
    # AND the same command with --resume finishes the dataset
    assert main([*argv, "--resume", "--no-progress"]) == 0
    assert len(read_samples(target)) == 80 and not (target / ".partial").exists()
    assert read_dataset_info(target)["complete"] is True


def folder_of_length(root: Path, length: int) -> Path:
    """A folder below ``root`` whose path is ``length`` characters long (made of 200-character
    names: each name within the file system's limit, the whole near the kernel's PATH_MAX)."""
    path = root
    while len(str(path)) + 201 < length:
        path = path / ("d" * 200)
    path = path / ("e" * (length - len(str(path)) - 1))
    path.mkdir(parents=True)
    assert len(str(path)) == length
    return path


def test_an_image_that_cannot_be_written_ends_generate_and_its_workers_with_one_line(
    corpus, tmp_path
):
    # GIVEN a TARGET_PATH whose folders fit the kernel's 4,096-character limit on a path but
    # whose images' paths do not (the staging folders add 32 characters, an image 20 more),
    # and two worker processes rendering several chunks of samples
    target = folder_of_length(tmp_path, 4050) / "d"
    argv = generate_argv(corpus, target, "--workers", "2", "--samples-per-layer", "40")
    # WHEN generate runs
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from sounddetect.cli import main; sys.exit(main())"]
        + argv,
        capture_output=True,
        text=True,
        # Its workers were left running and the command waited for them for ever: a failure
        timeout=300,
    )
    # THEN it ends with one line naming the image and why, and leaves no half-written tree
    assert done.returncode == 1, done.stderr
    last = done.stderr.splitlines()[-1]
    assert last.startswith(f"error: {target}/.partial/mel/") and last.endswith(
        ".png: not written (File name too long)"
    )
    assert "Traceback" not in done.stderr
    assert [path.name for path in target.iterdir()] == ["dataset.json"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda tmp: (tmp / "data").symlink_to(tmp / "unmounted" / "data") or tmp / "data",
            "TARGET_PATH is a link to {tmp}/unmounted/data, which does not exist",
        ),
        (lambda tmp: Path("/proc/sounddetect-data"), "TARGET_PATH cannot be made (No such file"),
        (lambda tmp: tmp / ("n" * 300), "File name too long"),  # over 255 bytes
    ],
)
def test_a_target_path_that_cannot_be_made_is_one_usage_line(
    corpus, tmp_path, capsys, make, message
):
    target = make(tmp_path)
    assert main(generate_argv(corpus, target)) == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith(f"error: {target}: " + message.format(tmp=tmp_path))


@pytest.mark.parametrize("overwrite", [["--overwrite"], []])
def test_a_target_path_another_run_is_writing_is_left_to_it(corpus, tmp_path, capsys, overwrite):
    # GIVEN a dataset, and another run writing over it (its lock on the folder held)
    target = tmp_path / "data"
    assert main(generate_argv(corpus, target, "--seed", "3")) == 0
    before = {path: path.read_bytes() for path in target.rglob("*") if path.is_file()}
    other_run = os.open(target, os.O_RDONLY)
    fcntl.flock(other_run, fcntl.LOCK_EX)
    try:
        # WHEN a second run starts over it (without --overwrite: not told to use it)
        code = main(generate_argv(corpus, target, "--seed", "4", *overwrite))
    finally:
        os.close(other_run)
    # THEN it is refused with one line, and the folder is as the other run left it
    assert code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"error: {target}: another run is writing this TARGET_PATH; wait for it to end"
    )
    assert {path: path.read_bytes() for path in target.rglob("*") if path.is_file()} == before
    # and once that run is over, the second may run
    assert main(generate_argv(corpus, target, "--seed", "4", "--overwrite")) == 0
    assert read_dataset_info(target)["seed"] == 4


def test_the_workers_said_are_the_workers_that_ran(corpus, tmp_path, capsys):
    # 8 samples are one chunk of work: one process renders them, whatever --workers asks
    target = tmp_path / "data"
    assert main(generate_argv(corpus, target, "--workers", "500")) == 0
    assert "images/s, 1 worker(s))" in capsys.readouterr().out.splitlines()[-1]
    assert json.loads((target / "run.json").read_text())["workers"] == 1


@pytest.mark.parametrize("command", ["generate", "preview"])
def test_a_rate_too_high_for_mel_bands_names_the_rate_that_works(corpus, tmp_path, capsys, command):
    # At 48 kHz, 1024-sample FFT bins are wider than the lowest mel bands; neither command
    # has a flag for the bands or the FFT, so the advice must be a rate.
    alarms, backgrounds = corpus
    argv = [command, "--alarm-source", str(alarms), "--background-source", str(backgrounds)]
    if command == "generate":
        argv += ["--target-path", str(tmp_path / "td"), "--types", "chroma,mfcc"]
    else:
        argv += ["--out", str(tmp_path / "preview"), "--sheet", str(tmp_path / "sheet.png")]
    assert main([*argv, "--sr", "48000"]) == 2
    kind = "mfcc" if command == "generate" else "mel"
    assert capsys.readouterr().err.strip() == (
        f"error: --sr 48000 Hz is too high for {kind} images: at this rate the FFT's bins are "
        "46.875 Hz apart, wider than their lowest mel bands, which would render black; use "
        "--sr from 16000 to 44100 (the images show up to 8000 Hz, so the default 16000 loses "
        "nothing)"
    )
    assert not any(tmp_path.iterdir())
    # and the rates named are ones that render
    for rate in (16000, 44100):
        assert set(spectrogram_configs(["mel", "mfcc"], sr=rate, duration=4.0)) == {"mel", "mfcc"}


@pytest.mark.parametrize("types", [["mel"], ["linear", "mel"]])
def test_a_rate_over_the_highest_is_refused_as_such_for_mel_images_too(types):
    # The mel bands are not what refuses 400 kHz, whatever the order of the types
    with pytest.raises(ParameterError) as refused:
        spectrogram_configs(types, sr=400000, duration=4.0)
    assert "above the highest supported rate" in str(refused.value)
    assert "mel bands" not in str(refused.value)


#: Run the CLI under a file size limit (argv: the limit in bytes, then the CLI's arguments).
UNDER_A_FILE_SIZE_LIMIT = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
from sounddetect.cli import main
sys.exit(main(sys.argv[2:]))
"""


def test_a_dataset_json_the_file_system_refuses_leaves_the_dataset_before_whole(
    corpus, tmp_path, caplog
):
    # GIVEN a dataset, and a file size limit its images, samples.csv and manifests fit under
    # but its dataset.json does not (what a disk filling up at that moment does)
    target = tmp_path / "data"
    argv = generate_argv(corpus, target, "--types", "chroma")
    assert main(argv) == 0
    before = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    limit = max(len(data) for p, data in before.items() if p.name != "dataset.json") + 1
    assert limit < len(before[target / "dataset.json"])
    # WHEN it is generated again with --overwrite under that limit
    done = subprocess.run(
        [sys.executable, "-c", UNDER_A_FILE_SIZE_LIMIT, str(limit), *argv, "--overwrite"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    # THEN one line names dataset.json and why, and the dataset before is there as it was:
    # dataset.json was not truncated (which disowns the folder for the next --overwrite),
    # and the new tree is not left beside it, only the hidden staging folder of its samples
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines()[-1] == f"error: {target / 'dataset.json'}: File too large"
    assert "Traceback" not in done.stderr
    staging = target / ".partial"
    after = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    assert {p: data for p, data in after.items() if not p.is_relative_to(staging)} == before
    assert [p.name for p in target.iterdir() if p.name.startswith(".")] == [".partial"]
    # AND once the disk has room, --resume finishes the new dataset without rendering again
    with caplog.at_level(logging.INFO, logger="sounddetect.dataset"):
        assert main([*argv, "--overwrite", "--resume"]) == 0
    assert "resuming: 8 of 8 samples finished" in caplog.text
    assert not staging.exists() and read_dataset_info(target)["complete"] is True


def test_too_few_alarm_recordings_for_the_scored_splits_is_warned_of(corpus, tmp_path, capsys):
    # GIVEN three alarm recordings, one for each split
    assert main(generate_argv(corpus, tmp_path / "data")) == 0
    # THEN the run says that validate and test hold one alarm recording each
    assert (
        f"warning: {tmp_path / 'data'}: alarm recordings per split: validate 1, test 1; a "
        "model chosen and scored on so few sounds is judged on little; add alarm recordings"
    ) in capsys.readouterr().err.splitlines()


def test_a_line_break_in_a_skipped_file_s_name_keeps_its_warning_one_line(corpus, tmp_path, capsys):
    # GIVEN an empty recording whose name holds a line break and an escape sequence
    alarms, backgrounds = corpus
    mine = tmp_path / "alarms"
    shutil.copytree(alarms, mine)
    (mine / "empty\n\x1b[2K.wav").write_bytes(b"")
    # WHEN generated THEN its warning is one line, the name's characters written as escapes
    assert main(generate_argv((mine, backgrounds), tmp_path / "data")) == 0
    err = capsys.readouterr().err.splitlines()
    assert f"warning: {mine}/empty\\n\\x1b[2K.wav: skipped: empty file (0 bytes)" in err
