"""``sounddetect generate``: mix the corpus into labelled spectrogram images.

Every setting has a flag; the seed's environment variables ALARM_AUDIO_SOURCE,
BACKGROUND_AUDIO_SOURCE, TARGET_PATH, SAMPLE_DURATION and MAX_BACKGROUND_LAYERS are read when
the flag is not given (flags win). An empty folder, as a flag or a folder variable set but
empty, is an error, not the current folder or the default.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from sounddetect.cli import HelpFormatter, require_modules
from sounddetect.cli.argtypes import (
    finite_float,
    non_negative_float,
    non_negative_int,
    nonempty_path,
    positive_float,
    positive_int,
    probability,
)
from sounddetect.exceptions import ParameterError
from sounddetect.spectrum import SPECTROGRAM_TYPES

if TYPE_CHECKING:
    from sounddetect.dataset import GeneratorSettings

#: Settings that may come from the environment: setting -> (variable, default, type).
ENVIRONMENT: dict[str, tuple[str, Any, Callable[[str], Any]]] = {
    "alarm_source": ("ALARM_AUDIO_SOURCE", "audio/alarms", nonempty_path),
    "background_source": ("BACKGROUND_AUDIO_SOURCE", "audio/background", nonempty_path),
    "target_path": ("TARGET_PATH", "training-data", nonempty_path),
    "sample_duration": ("SAMPLE_DURATION", 4.0, positive_float),
    "max_background_layers": ("MAX_BACKGROUND_LAYERS", 3, positive_int),
}


def parse_types(values: list[str]) -> tuple[str, ...]:
    """``["mel,cqt", "chroma"]`` or ``["all"]`` -> a tuple of spectrogram types."""
    kinds = [kind.strip() for value in values for kind in value.split(",") if kind.strip()]
    if kinds == ["all"]:
        return SPECTROGRAM_TYPES
    if "all" in kinds:
        raise ParameterError(
            f"spectrogram types {', '.join(kinds)}: all means every type and is given alone "
            "(--types all)"
        )
    unknown = [kind for kind in kinds if kind not in SPECTROGRAM_TYPES]
    if unknown or not kinds:
        raise ParameterError(
            f"unknown spectrogram type(s) {', '.join(unknown) or '(none)'}; choose from "
            f"{', '.join(SPECTROGRAM_TYPES)} or all"
        )
    return tuple(dict.fromkeys(kinds))


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags shared with ``sounddetect preview``: sources and window length."""
    for setting, flag, what in (
        ("alarm_source", "--alarm-source", "folder of alarm recordings"),
        ("background_source", "--background-source", "folder of background recordings"),
    ):
        variable, default, _ = ENVIRONMENT[setting]
        parser.add_argument(
            flag,
            type=nonempty_path,
            default=argparse.SUPPRESS,
            metavar="DIR",
            help=f"{what} (default: ${variable}, else {default})",
        )
    parser.add_argument(
        "--sample-duration",
        type=positive_float,
        default=argparse.SUPPRESS,
        metavar="S",
        help="window length in seconds (default: $SAMPLE_DURATION, else 4.0)",
    )
    parser.add_argument(
        "--sr", type=positive_int, default=16000, help="sample rate in Hz of mixes and images"
    )
    parser.add_argument(
        "--seed", type=non_negative_int, default=0, help="seed of every random choice"
    )


def from_environment(
    args: argparse.Namespace, setting: str, environ: Mapping[str, str] | None = None
) -> Any:
    """A setting's value: its flag, else its environment variable, else the default.

    Raises
    ------
    ParameterError
        The variable's value is not valid for the setting, or it is a path variable set but
        empty, as an unset ``"$DIR"`` in a script sets it: that is refused, not read as the
        default folder.
    """
    value = getattr(args, setting, None)
    if value is not None:
        return value
    variable, default, convert = ENVIRONMENT[setting]
    environ = os.environ if environ is None else environ
    text = environ.get(variable, "").strip()
    if not text and variable in environ:  # set, but empty: an unset "$X" in a script
        what = "an empty path" if convert is nonempty_path else "empty"
        raise ParameterError(f"${variable}: {what}; unset it for the default, {default}")
    if not text:
        return convert(default) if convert is nonempty_path else default
    try:
        return convert(text)
    except argparse.ArgumentTypeError as error:  # the flag's own check, so the same rules
        raise ParameterError(f"${variable}: {error}") from None


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    # The defaults of --samples-per-layer and --snr-db are left to GeneratorSettings:
    # importing it here would load the generator's modules for every subcommand.
    parser = subparsers.add_parser(
        "generate",
        help="mix the corpus into labelled spectrogram images",
        description=__doc__,
        formatter_class=HelpFormatter,
    )
    add_source_arguments(parser)
    parser.add_argument(
        "--target-path",
        type=nonempty_path,
        default=argparse.SUPPRESS,
        metavar="DIR",
        help="output folder (default: $TARGET_PATH, else training-data)",
    )
    parser.add_argument(
        "--max-background-layers",
        type=positive_int,
        default=argparse.SUPPRESS,
        metavar="N",
        help="samples have 1..N background layers (default: $MAX_BACKGROUND_LAYERS, else 3)",
    )
    parser.add_argument(
        "--samples-per-layer",
        type=positive_int,
        metavar="N",
        help="samples per layer count, over all splits; half hold an alarm (default: 8000)",
    )
    parser.add_argument(
        "--snr-db",
        type=finite_float,
        nargs=2,
        metavar=("MIN", "MAX"),
        help="range of the alarm-to-background ratio in dB, over the alarm's active part "
        "(default: -5 25)",
    )
    parser.add_argument(
        "--types",
        nargs="+",
        default=["mel"],
        metavar="TYPE",
        help=f"spectrogram types, or all: {', '.join(SPECTROGRAM_TYPES)}",
    )
    parser.add_argument(
        "--split",
        type=finite_float,
        nargs=3,
        default=(0.7, 0.15, 0.15),
        metavar=("TRAIN", "VALIDATE", "TEST"),
        help="fractions of source clips per split (0 0 1: a test-only dataset)",
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=os.cpu_count() or 1,
        help="processes that mix and render (the output does not depend on it)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing dataset at the target path (never other folders)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="go on from the samples an interrupted run with the same settings and sources "
        "finished (kept in TARGET_PATH/.partial), rendering only the rest",
    )
    parser.add_argument(
        "--s3-prefix",
        metavar="S3URI",
        help="the S3 folder TARGET_PATH's images are copied to (s3://BUCKET/training-data for "
        "s3://BUCKET/training-data/train/..., or .../mel/train/... with several types): the "
        "manifests' source-ref is it followed by the image's path (relative paths without it)",
    )
    parser.add_argument(
        "--min-active-s",
        type=non_negative_float,
        default=1.0,
        metavar="S",
        help="least active alarm sound in seconds in an alarm window",
    )
    parser.add_argument(
        "--alarm-snippets",
        type=probability,
        default=0.25,
        metavar="P",
        help="share of no_alarm samples that also hold one beep of an alarm (its tone "
        "without its pattern)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(run=run)
    return parser


def settings_from_args(
    args: argparse.Namespace, environ: Mapping[str, str] | None = None
) -> GeneratorSettings:
    """Generator settings from parsed flags, falling back on the environment."""
    from sounddetect.dataset import GeneratorSettings

    given = {"samples_per_layer": args.samples_per_layer, "snr_db": args.snr_db}
    return GeneratorSettings(
        **{setting: from_environment(args, setting, environ) for setting in ENVIRONMENT},
        **{setting: value for setting, value in given.items() if value is not None},
        seed=args.seed,
        sr=args.sr,
        types=parse_types(args.types),
        split=tuple(args.split),
        workers=args.workers,
        overwrite=args.overwrite,
        resume=args.resume,
        s3_prefix=args.s3_prefix,
        min_active_s=args.min_active_s,
        alarm_snippets=args.alarm_snippets,
    )


def run(args: argparse.Namespace) -> int:
    require_modules("sounddetect generate", ["threadpoolctl", "tqdm"], extra="generate")
    # The generator's modules: imported here, so other subcommands start without them.
    from sounddetect.dataset import format_summary, generate_dataset

    settings = settings_from_args(args)
    summary = generate_dataset(settings, progress=not args.no_progress)
    print(format_summary(summary), file=sys.stdout)
    return 0
