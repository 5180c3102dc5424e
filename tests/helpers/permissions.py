"""Run code where file permissions apply: root reads and searches any folder, whatever its mode."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import sounddetect

#: Root's capabilities that override permissions; CI runs as root.
OVERRIDES = "-dac_override,-dac_read_search"


def run_as_a_user(code: str, *args: str) -> str:
    """Run ``python -c code args`` with the sounddetect under test and return its stdout.

    As root the child runs without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (util-linux
    ``setpriv``), so a folder's mode applies to it as to a user; the child fails the test
    if it ends with a traceback.
    """
    command = [sys.executable, "-c", code, *args]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "as root, permission tests need util-linux's setpriv"
        command = [setpriv, f"--bounding-set={OVERRIDES}", *command]
    env = {**os.environ, "PYTHONPATH": str(Path(sounddetect.__file__).parents[1])}
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def run_with_a_read_only_folder(folder: Path, argv: list[str]) -> subprocess.CompletedProcess:
    """Run ``python argv...`` with the sounddetect under test where ``folder`` is mounted
    read-only (a bind mount in a mount namespace of the child's own, util-linux ``unshare``),
    as a share or an installed model's folder is; the caller's view of it is unchanged."""
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    return _run_with_a_mount(script, folder, argv, text=True)


def run_with_a_small_disk(
    folder: Path,
    argv: list[str],
    *,
    size_kb: int,
    stdin: bytes = b"",
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Run ``python argv...`` as :func:`run_with_a_read_only_folder` does, where ``folder``
    is a fresh file system of ``size_kb`` kB (tmpfs): a disk that fills up. ``stdin`` is
    piped in, ``env`` added to the environment; stdout and stderr come back as bytes."""
    script = 'mount -t tmpfs -o size="$2"k tmpfs "$1" && shift 2 && exec "$@"'
    return _run_with_a_mount(script, folder, argv, str(size_kb), input=stdin, env=env)


def _run_with_a_mount(
    script: str,
    folder: Path,
    argv: list[str],
    *script_args: str,
    env: dict[str, str] | None = None,
    **options,
) -> subprocess.CompletedProcess:
    unshare = shutil.which("unshare")
    assert unshare, "file system tests need util-linux's unshare"
    env = {**os.environ, **(env or {}), "PYTHONPATH": str(Path(sounddetect.__file__).parents[1])}
    command = [unshare, "-Urm", "sh", "-c", script, "sh", str(folder), *script_args]
    command += [sys.executable, *argv]
    return subprocess.run(command, capture_output=True, env=env, check=False, **options)
