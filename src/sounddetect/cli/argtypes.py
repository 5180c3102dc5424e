"""argparse ``type=`` validators shared by the subcommands: a bad value is a usage error
(exit 2) whose message quotes it."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit


def _number(text: str, parse: Callable[[str], float], what: str) -> float:
    # Python's int() and float() also take "1_0" (10) and other scripts' digits ("٤"): a
    # typo that would become another value without a word.
    if "_" in text or not text.isascii():
        raise argparse.ArgumentTypeError(f"not {what}: {text!r}")
    try:
        value = parse(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not {what}: {text!r}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be finite, got {text!r}")
    return value


def finite_float(text: str) -> float:
    return _number(text, float, "a number")


def positive_int(text: str) -> int:
    value = _number(text, int, "an integer")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    value = _number(text, int, "an integer")
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return value


def positive_float(text: str) -> float:
    value = _number(text, float, "a number")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return value


def non_negative_float(text: str) -> float:
    value = _number(text, float, "a number")
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return value


def probability(text: str) -> float:
    value = _number(text, float, "a number")
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1], got {text!r}")
    return value


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """A validator of integers in ``[low, high]``."""

    def check(text: str) -> int:
        value = _number(text, int, "an integer")
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be in [{low}, {high}], got {text!r}")
        return value

    return check


def nonempty_path(text: str) -> Path:
    """A file or folder path that is not empty, ``~`` expanded: ``Path("")`` is the current
    folder, which an unset ``"$DIR"`` in a script would name by accident."""
    if not text:
        raise argparse.ArgumentTypeError("an empty path")
    return user_path(text)


def user_path(text: str) -> Path:
    """A path with ``~`` or ``~user`` at its start expanded: the shell leaves a quoted one (a
    .env file's, a systemd unit's) and one after ``=`` (``--target-path=~/data``) as it is,
    which would make a folder named ``~``."""
    try:
        return Path(text).expanduser()
    except RuntimeError:
        raise argparse.ArgumentTypeError(
            f"cannot expand ~ in {text!r}: no such user, or no home folder"
        ) from None


def model_location(text: str) -> str:
    """``detect --model``: a model folder, ``~`` expanded as :func:`nonempty_path` does, or a
    Rekognition project version ARN, as it is."""
    return text if text.startswith("arn:") else str(nonempty_path(text))


def mirror_url(text: str) -> str:
    """``recorded --mirror``: an http(s), ftp or file URL, refused here rather than when the
    first package is fetched."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https", "ftp", "file") or not (parts.netloc or parts.path):
        raise argparse.ArgumentTypeError(
            f"not a mirror URL: {text!r} (http://, https://, ftp:// or file:// and a path)"
        )
    return text
