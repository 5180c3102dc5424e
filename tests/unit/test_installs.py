"""What each install can run (pyproject.toml): the command line's `detect` and every
`--help` on a core install, which DESIGN.md's inference path needs only numpy, soundfile,
soxr, Pillow and onnxruntime for, and the generator and training with their extras.

Each test runs Python with an import hook that refuses what the install would not have
(tests/helpers/core_install.py); the Lambda's own check is in tests/handler."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest
from helpers.core_install import (
    HEAVY,
    ROOT,
    blocked_environment,
    core_requirements,
    extra_requirements,
)
from helpers.signals import noise, t3_alarm, write_wav
from helpers.tiny_dataset import write_tiny_dataset

from sounddetect.cli import SUBCOMMANDS
from sounddetect.dataset import DATASET_FORMAT
from sounddetect.result import RESULT_KEYS

SR = 16000
DEFAULT_MODEL = ROOT / "models" / "default"


@pytest.fixture
def core_install(tmp_path):
    """The environment of a Python with only the core dependencies (and never HEAVY)."""
    return blocked_environment(
        tmp_path / "core-install",
        core_requirements(),
        why="not a core dependency of sounddetect",
        refused=HEAVY,
    )


def run_python(arguments, environment):
    return subprocess.run(
        [sys.executable, *arguments], env=environment, capture_output=True, text=True
    )


@pytest.mark.parametrize("config", [None, "dataset.json"])
def test_detect_runs_on_a_core_install(core_install, tmp_path, rng, config):
    # GIVEN a recording with a temporal-three alarm, on an install without the extras
    y = noise(12.0, sr=SR, rng=rng, amplitude=0.01)
    y[2 * SR : 10 * SR] += t3_alarm(8.0, sr=SR)
    path = write_wav(tmp_path / "hall.wav", y, SR)
    argv = ["-m", "sounddetect", "detect", str(path), "--model", str(DEFAULT_MODEL)]
    if config:  # the model's config, given as a generator's dataset.json would hold it
        model_config = json.loads((DEFAULT_MODEL / "model.json").read_text())["config"]
        dataset = {"format": DATASET_FORMAT, "complete": True, "configs": {"mel": model_config}}
        (tmp_path / config).write_text(json.dumps(dataset))
        argv += ["--config", str(tmp_path / config)]
    # WHEN the command line runs the default model on it
    done = run_python([*argv, "--format", "json"], core_install)
    # THEN it finds the alarm, as on a full install
    assert done.returncode == 0, done.stderr
    [result] = [json.loads(line) for line in done.stdout.splitlines()]
    assert set(result) == set(RESULT_KEYS)
    assert result["error"] is None and result["alarm"] is True
    assert result["classifier"]["backend"] == "onnx"


def build_wheel(tmp_path):
    """The wheel setuptools builds of a copy of the project's packaging files, source and
    shipped model (built in the copy: a build in the checkout leaves build/ and egg-info
    behind); its path."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, project / name)
    shutil.copytree(
        ROOT / "src",
        project / "src",
        symlinks=True,
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    (project / "models" / "default").mkdir(parents=True)
    for name in ("model.onnx", "model.json"):
        shutil.copy2(DEFAULT_MODEL / name, project / "models" / "default" / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(project), "--no-deps", "--no-build-isolation"]
        + ["--quiet", "--wheel-dir", str(tmp_path / "dist")],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("sounddetect-*.whl")
    return wheel


def test_the_wheel_holds_the_shipped_model_and_detects_from_any_folder(core_install, tmp_path, rng):
    # GIVEN the project's wheel, unpacked where a core install's Python finds it first
    wheel = build_wheel(tmp_path)
    site = tmp_path / "site-packages"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    environment = {**core_install, "PYTHONPATH": f"{site}{os.pathsep}{core_install['PYTHONPATH']}"}
    # THEN it holds the shipped model byte for byte
    for name in ("model.onnx", "model.json"):
        packaged = site / "sounddetect" / "default_model" / name
        assert packaged.read_bytes() == (DEFAULT_MODEL / name).read_bytes()
    # WHEN detect runs without --model in a folder with no models/, on a temporal-three alarm
    y = noise(12.0, sr=SR, rng=rng, amplitude=0.01)
    y[2 * SR : 10 * SR] += t3_alarm(8.0, sr=SR)
    path = write_wav(tmp_path / "recordings" / "hall.wav", y, SR)
    done = subprocess.run(
        [sys.executable, "-m", "sounddetect", "-v", "detect", str(path), "--format", "json"],
        env=environment,
        cwd=path.parent,
        capture_output=True,
        text=True,
    )
    # THEN the wheel's own model finds it
    assert done.returncode == 0, done.stderr
    assert f"in {site / 'sounddetect' / 'default_model'}" in done.stderr
    [result] = [json.loads(line) for line in done.stdout.splitlines()]
    assert result["alarm"] is True


#: Prints the help of the command line and of each subcommand, one after the other.
EVERY_HELP = """
from sounddetect.cli import SUBCOMMANDS, main
for command in [[], *([name] for name in SUBCOMMANDS)]:
    try:
        main([*command, "--help"])
    except SystemExit as exit:
        assert exit.code == 0, (command, exit.code)
"""


def test_every_help_works_on_a_core_install(core_install):
    done = run_python(["-c", EVERY_HELP], core_install)
    assert done.returncode == 0, done.stderr
    usages = [line.split()[:3] for line in done.stdout.splitlines() if line.startswith("usage:")]
    assert usages == [["usage:", "sounddetect", "[-h]"]] + [
        ["usage:", "sounddetect", name] for name in SUBCOMMANDS
    ]


def test_the_inference_modules_import_on_a_core_install(core_install):
    modules = "sounddetect.detect, sounddetect.classifiers.onnx, sounddetect.plots"
    done = run_python(["-c", f"import {modules}, sounddetect.cli.detect"], core_install)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def corpus(tmp_path, rng):
    """Two alarm clips and two backgrounds of 5 s: alarms/ and background/."""
    for index in range(2):
        write_wav(tmp_path / "corpus" / "alarms" / f"t3_{index}.wav", t3_alarm(5.0, sr=SR), SR)
        y = noise(5.0, sr=SR, rng=rng)
        write_wav(tmp_path / "corpus" / "background" / f"fan_{index}.wav", y, SR)
    return tmp_path / "corpus"


def test_generate_runs_with_the_generate_extra(corpus, tmp_path):
    environment = blocked_environment(
        tmp_path / "generate-install",
        extra_requirements("generate"),
        why="not a dependency of sounddetect[generate]",
    )
    argv = ["-m", "sounddetect", "generate", "--alarm-source", str(corpus / "alarms")]
    argv += ["--background-source", str(corpus / "background")]
    argv += ["--target-path", str(tmp_path / "data"), "--samples-per-layer", "2"]
    argv += ["--max-background-layers", "1", "--split", "0", "0", "1", "--workers", "1"]
    done = run_python(argv, environment)
    assert done.returncode == 0, done.stderr
    assert len(list((tmp_path / "data" / "test").rglob("*.png"))) == 2


def test_training_and_a_held_out_check_import_and_render_with_the_train_extra(corpus, tmp_path):
    # evaluate renders a corpus into a test-only dataset with the generator's code
    environment = blocked_environment(
        tmp_path / "train-install",
        extra_requirements("train"),
        why="not a dependency of sounddetect[train]",
    )
    code = (
        "import sys, sounddetect.train\n"
        "from sounddetect.evaluate import dataset_from_corpus\n"
        "from sounddetect.spectrum import SpectrogramConfig\n"
        "dataset_from_corpus(sys.argv[1], sys.argv[2], config=SpectrogramConfig(),"
        " samples_per_layer=2, workers=1)\n"
    )
    done = run_python(["-c", code, str(corpus), str(tmp_path / "held-out")], environment)
    assert done.returncode == 0, done.stderr
    # two samples per layer count, of one to three background layers
    assert len(list((tmp_path / "held-out" / "test").rglob("*.png"))) == 6


#: Each command that needs an optional extra, and its one line on a core install.
NEEDS = {
    "generate": "threadpoolctl and tqdm: pip install 'sounddetect[generate]'",
    "synth": "scipy, threadpoolctl and tqdm: pip install 'sounddetect[generate]'",
    "recorded": "scipy, threadpoolctl and tqdm: pip install 'sounddetect[generate]'",
    "preview": "matplotlib: pip install 'sounddetect[generate]'",
    "train": "torch, onnx and scikit-learn: pip install 'sounddetect[train]'",
    # the corpus is rendered into a test-only dataset first: the generator's modules too
    "evaluate": "scikit-learn, matplotlib, threadpoolctl and tqdm: "
    "pip install 'sounddetect[train]'",
    "compare": "torch, onnx, scikit-learn and matplotlib: pip install 'sounddetect[train]'",
}


@pytest.mark.parametrize("command", list(NEEDS))
def test_a_command_needing_an_extra_says_so_before_any_work_on_a_core_install(
    core_install, corpus, tiny_model_dir, tmp_path, command
):
    # GIVEN a core install, a corpus, and an output folder that does not exist
    out = tmp_path / "out"
    sources = ["--alarm-source", corpus / "alarms", "--background-source", corpus / "background"]
    argv = {
        "generate": [*sources, "--target-path", out],
        "synth": [out],
        "recorded": [corpus],
        "preview": [*sources, "--out", out, "--sheet", out / "sheet.png"],
        "train": [corpus, "--out", out],
        "evaluate": [tiny_model_dir, corpus, "--out", out],
        "compare": [corpus, "--out", out],
    }[command]
    before = sorted(corpus.rglob("*"))
    # WHEN the command runs
    done = run_python(["-m", "sounddetect", command, *map(str, argv)], core_install)
    # THEN it is a usage error of one line naming what to install, and nothing is written
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [f"error: sounddetect {command} needs {NEEDS[command]}"]
    assert not out.exists()
    assert sorted(corpus.rglob("*")) == before


def test_detect_with_a_rekognition_model_needs_the_aws_extra(core_install, tmp_path):
    # GIVEN a core install (no boto3) and a recording
    recording = write_wav(tmp_path / "kitchen.wav", t3_alarm(12.0, sr=SR), SR)
    arn = "arn:aws:rekognition:us-east-1:123456789012:project/p/version/v/1767225600000"
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"kind": "mel"}))
    # WHEN detect is given a Rekognition model
    argv = ["-m", "sounddetect", "detect", str(recording), "--model", arn, "--config", str(config)]
    done = run_python(argv, core_install)
    # THEN it is one usage line naming the extra, before any recording
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "error: a Rekognition model needs boto3: pip install 'sounddetect[aws]'"
    ]
    assert done.stdout == ""


def test_evaluate_needs_matplotlib_only_for_its_plots(tiny_model_dir, tmp_path):
    # GIVEN the train extra without matplotlib, and a dataset
    environment = blocked_environment(
        tmp_path / "no-matplotlib",
        extra_requirements("train"),
        why="not installed here",
        refused={"matplotlib"},
    )
    data = write_tiny_dataset(tmp_path / "data")
    argv = ["-m", "sounddetect", "evaluate", str(tiny_model_dir), str(data), "--no-recordings"]
    # WHEN it evaluates with its plots THEN it refuses before writing the report
    done = run_python([*argv, "--out", str(tmp_path / "plots")], environment)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "error: sounddetect evaluate needs matplotlib: pip install 'sounddetect[train]'"
    ]
    assert not (tmp_path / "plots").exists()
    # WHEN it evaluates without them THEN it writes the report
    done = run_python([*argv, "--out", str(tmp_path / "report"), "--no-plots"], environment)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "report" / "report.json").read_text())["metrics"]["f1"] >= 0
