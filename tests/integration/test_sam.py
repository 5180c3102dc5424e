"""The SAM application: `sam validate --lint`, `sam build` without Docker, and the built
artifact (size, wheel tags, compiled files, and a smoke run under CPython 3.12).

`sam build` downloads CPython 3.12 manylinux wheels from PyPI (pip's cache makes later runs
quick) and builds into a temporary directory, never the repository's .aws-sam.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import numpy as np
import pytest
from helpers.signals import noise, tone, write_wav
from helpers.tiny_model import write_tiny_model

ROOT = Path(__file__).resolve().parents[2]
#: AWS Lambda's limit on a function's unzipped deployment package.
MAX_UNZIPPED_BYTES = 250 * 2**20
#: Newest glibc a compiled file may need: manylinux_2_28 (Amazon Linux 2023 has 2.34).
MAX_GLIBC = (2, 28)
ELF_MAGIC = b"\x7fELF"
EM_X86_64 = 62


def sam_command() -> str:
    """The `sam` installed beside this Python (the project's venv), else the one on PATH."""
    beside = Path(sys.executable).with_name("sam")
    return str(beside) if beside.exists() else "sam"


def sam_environment() -> dict[str, str]:
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "us-east-1"}
    # inference/Makefile runs pip through $(PYTHON): use this interpreter's pip.
    env["PYTHON"] = sys.executable
    return env


def find_python312() -> str:
    """A CPython 3.12 to import the artifact with (pyenv's, or one on PATH)."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = sorted(glob.glob(str(pyenv_root / "versions" / "3.12*" / "bin" / "python3.12")))
    candidates += [p for p in [shutil.which("python3.12"), "/usr/bin/python3.12"] if p]
    for candidate in candidates:
        probe = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 12))"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == "True":
            return candidate
    pytest.fail(
        "no CPython 3.12 found to import the Lambda artifact with "
        f"(looked at {candidates}); install one, e.g. `pyenv install 3.12`"
    )


def sam_build(build_dir: Path, *, model_dir: Path) -> Path:
    """`sam build` into ``build_dir`` bundling the model in ``model_dir``; the artifact."""
    had_aws_sam = (ROOT / ".aws-sam").exists()
    completed = subprocess.run(
        [sam_command(), "build", "--build-dir", str(build_dir), "--template", "template.yaml"],
        cwd=ROOT,
        env={**sam_environment(), "BUNDLED_MODEL_DIR": str(model_dir)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    assert "Build Succeeded" in completed.stdout
    assert (ROOT / ".aws-sam").exists() == had_aws_sam  # the repository's build is untouched
    return build_dir / "DetectFunction"


def test_sam_validate_lint_passes():
    completed = subprocess.run(
        [sam_command(), "validate", "--lint", "--template", "template.yaml"],
        cwd=ROOT,
        env=sam_environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "is a valid SAM Template" in completed.stdout


def check_contents(artifact: Path, model_dir: Path) -> None:
    """The handler, the library and the model; nothing else of the repository."""
    assert (artifact / "app.py").read_bytes() == (ROOT / "inference" / "app.py").read_bytes()
    assert (artifact / "sounddetect" / "detect.py").is_file()
    # the package's link to models/default would dangle there: the model is model/'s
    default_model = artifact / "sounddetect" / "default_model"
    assert not default_model.exists() and not default_model.is_symlink()
    assert (artifact / "model" / "model.json").read_bytes() == (
        model_dir / "model.json"
    ).read_bytes()
    names = {path.name for path in artifact.iterdir()}
    unwanted = {"tests", "audio", "training-data", "models", "src", "bin", "boto3", "botocore"}
    assert not names & unwanted
    assert not list(artifact.rglob("__pycache__"))


def check_size(artifact: Path) -> int:
    """The unzipped size in bytes, within Lambda's limit."""
    unzipped = sum(path.stat().st_size for path in artifact.rglob("*") if path.is_file())
    print(f"Lambda artifact: {unzipped / 2**20:.1f} MB unzipped (limit 250 MB)")
    assert unzipped <= MAX_UNZIPPED_BYTES, f"{unzipped / 2**20:.1f} MB unzipped"
    return unzipped


def wheel_tags(artifact: Path) -> dict[str, list[str]]:
    tags = {}
    for wheel in artifact.glob("*.dist-info/WHEEL"):
        lines = wheel.read_text(encoding="utf-8").splitlines()
        tags[wheel.parent.name] = [
            line.split(":", 1)[1].strip() for line in lines if line.startswith("Tag:")
        ]
    return tags


def manylinux_glibc(platform: str) -> tuple[int, int]:
    legacy = {
        "manylinux1_x86_64": (2, 5),
        "manylinux2010_x86_64": (2, 12),
        "manylinux2014_x86_64": (2, 17),
    }
    if platform in legacy:
        return legacy[platform]
    match = re.fullmatch(r"manylinux_(\d+)_(\d+)_x86_64", platform)
    assert match, f"not an x86_64 manylinux platform tag: {platform}"
    return int(match.group(1)), int(match.group(2))


def check_wheel_tags(artifact: Path) -> None:
    """Every installed wheel is for cp312 or abi3 and manylinux 2.28 or older."""
    tags = wheel_tags(artifact)
    assert {"numpy", "onnxruntime", "pillow", "soundfile", "soxr"} <= {
        name.split("-")[0].lower() for name in tags
    }
    for dist, dist_tags in tags.items():
        assert dist_tags, f"{dist}: WHEEL has no Tag"
        for tag in dist_tags:
            interpreter, abi, platform = tag.split("-")
            if platform == "any":
                continue
            assert abi in {"cp312", "abi3", "none"}, f"{dist}: {tag}"
            if abi == "cp312":
                assert interpreter == "cp312", f"{dist}: {tag}"
            if abi == "abi3":
                assert interpreter.startswith("cp3") and int(interpreter[3:]) <= 12, tag
            assert manylinux_glibc(platform) <= MAX_GLIBC, f"{dist}: {tag}"


def elf_files(artifact: Path) -> list[Path]:
    files = []
    for path in artifact.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with open(path, "rb") as handle:
                if handle.read(4) == ELF_MAGIC:
                    files.append(path)
    return files


def check_compiled_files(artifact: Path) -> None:
    """Every ELF file is x86-64, every extension module cp312 or abi3, and nothing needs a
    glibc newer than 2.28."""
    compiled = elf_files(artifact)
    assert len(compiled) > 20  # numpy, Pillow, onnxruntime, libsndfile, soxr, ...
    for path in compiled:
        data = path.read_bytes()
        assert int.from_bytes(data[18:20], "little") == EM_X86_64, path
        # Python extension modules carry their ABI in the name: only 3.12 or the stable ABI.
        abi = re.search(r"\.(cpython-\d+[^.]*|abi3)\.so$", path.name)
        if abi:
            assert abi.group(1) in {"cpython-312-x86_64-linux-gnu", "abi3"}, path
        versions = {tuple(map(int, v.split(b"."))) for v in re.findall(rb"GLIBC_(\d+\.\d+)", data)}
        assert not versions or max(versions) <= MAX_GLIBC, (path, max(versions))
    assert not list(artifact.rglob("*.cpython-311*"))


def check_runs_under_cpython_312(artifact: Path, tmp_path: Path) -> None:
    """Import the handler from the artifact alone (plus boto3, which the Lambda runtime
    provides) with Classifier=onnx, and detect a tone with the bundled model."""
    python = find_python312()
    runtime = tmp_path / "runtime"  # stands in for the runtime's own boto3
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
            str(runtime),
            "--python-version",
            "3.12",
            "--only-binary=:all:",
            f"boto3=={boto3.__version__}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr
    rng = np.random.default_rng(7)
    write_wav(tmp_path / "tone.wav", tone(8.0, sr=16000), 16000)
    write_wav(tmp_path / "noise.wav", noise(8.0, sr=16000, rng=rng), 16000)
    script = (
        "import json, sys, app\n"
        "from sounddetect.detect import detect_file\n"
        "assert all(m.__file__.startswith(sys.argv[1]) for m in "
        "[sys.modules[n] for n in ('numpy', 'onnxruntime', 'soundfile', 'soxr', 'PIL')])\n"
        "print(json.dumps([detect_file(p, app.CLASSIFIER)['alarm'] for p in sys.argv[2:]]))\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": f"{artifact}{os.pathsep}{runtime}",
        "PYTHONNOUSERSITE": "1",
        "LAMBDA_TASK_ROOT": str(artifact),
        "CLASSIFIER": "onnx",
        "ONNX_MODEL_DIR": "model",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "sounddetect",
        "POWERTOOLS_METRICS_NAMESPACE": "SoundDetect",
    }
    completed = subprocess.run(
        [
            python,
            "-s",
            "-c",
            script,
            str(artifact),
            str(tmp_path / "tone.wav"),
            str(tmp_path / "noise.wav"),
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    assert json.loads(completed.stdout.splitlines()[-1]) == [True, False]


def test_the_build_uses_the_project_virtualenv_and_names_a_python_without_pip(tmp_path):
    # `sam build` run by hand passes no PYTHON: pip must not come from whatever python3 is
    # first on PATH, which on Debian often has no pip.
    makefile = str(ROOT / "inference" / "Makefile")
    target = ["make", "-f", makefile, "build-DetectFunction", f"ARTIFACTS_DIR={tmp_path / 'a'}"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHON"}
    planned = subprocess.run([*target, "-n"], capture_output=True, text=True, env=env)
    venv_python = ROOT / ".venv" / "bin" / "python"
    expected = str(venv_python) if venv_python.exists() else "python3"
    assert f"{expected} -m pip install" in planned.stdout
    # AND a Python without pip is named, before anything is built
    no_pip = tmp_path / "python3"
    no_pip.write_text("#!/bin/sh\necho 'No module named pip' >&2\nexit 1\n")
    no_pip.chmod(0o755)
    run = subprocess.run([*target, f"PYTHON={no_pip}"], capture_output=True, text=True, env=env)
    assert run.returncode != 0
    assert f"{no_pip} has no pip; run 'make venv'" in run.stderr
    assert not (tmp_path / "a").exists()


def test_sam_build_makes_a_lambda_artifact(tmp_path, record_property):
    # One test for one build: separate tests would build once per pytest-xdist worker.
    model_dir = write_tiny_model(tmp_path / "models" / "default")
    artifact = sam_build(tmp_path / "build", model_dir=model_dir)

    check_contents(artifact, model_dir)
    record_property("artifact_unzipped_bytes", check_size(artifact))
    check_wheel_tags(artifact)
    check_compiled_files(artifact)
    check_runs_under_cpython_312(artifact, tmp_path)
