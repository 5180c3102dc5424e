"""``sounddetect detect``: find alarms in recordings with a trained model.

Every FILE is processed, each recording once however it is named; FILE - is standard input,
a recording piped in ("ffmpeg -i rtsp://camera -t 600 -f wav - | sounddetect detect -"),
kept in a temporary file while it is analysed (./- is a file named -). Every DIR is searched
recursively (hidden entries skipped, linked folders followed) for files with an audio suffix
(those libsndfile decodes, and those only ffmpeg decodes: without ffmpeg each of them is
reported rather than skipped). Results go to stdout, a readable table by default or one
JSON object per line per file (--format json); logs, warnings and one "error: FILE: reason"
line per failed input go to stderr. --plot DIR writes a timeline per recording: DIR/NAME.png
for a FILE, and for a recording found in a DIR its path under that DIR, so two folders'
rec.wav get two timelines (day1/rec.png, day2/rec.png).

A recording of 1 s up to one window (4 s for the default model) is classified as one
window, continued with its own quietest sound (with a warning); a recording under 1 s is
refused as too short. With a model that says when the alarm sounds, an event in a recording
too short for a whole event (under --min-event), or cut short at its end (or at its start,
in a recording under 20 s), must also hold 0.5 s of alarm sound; two windows in the middle
of a recording that leaves less than a window on either side of them (8-12 s by default)
make an event with 1 s.

Exit codes: 0 every input processed, 1 at least one input failed (its result says why) or
a timeline of --plot could not be written, 2 usage or configuration error (bad option,
missing or mismatched model, a --plot folder that cannot be written to). A model that fails
on an input (a Rekognition model the credentials may not use, one that is gone, or one
trained on other labels than alarm and no_alarm) would fail on every input: the inputs after
it are not sent to it, each gets its result and error line saying so, and the exit code is 2.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import logging
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from sounddetect.audio import AUDIO_SUFFIXES, FFMPEG_AUDIO_SUFFIXES
from sounddetect.classifiers.base import MAX_THREADS, says_when_alarm_sounds
from sounddetect.cli import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    HelpFormatter,
    one_line,
    require_modules,
)
from sounddetect.cli.argtypes import (
    bounded_int,
    model_location,
    non_negative_float,
    nonempty_path,
    positive_float,
    positive_int,
    probability,
)
from sounddetect.events import DEFAULT_MIN_EVENT_S
from sounddetect.exceptions import (
    AudioError,
    ModelError,
    ParameterError,
    SoundDetectError,
    SoundDetectWarning,
)
from sounddetect.ffmpeg import find_ffmpeg
from sounddetect.folders import FOLDER_METADATA, is_broken_link, visible_files
from sounddetect.patterns import DEFAULT_MIN_GROUPS
from sounddetect.windows import MIN_HOP_S

logger = logging.getLogger(__name__)

#: Suffixes a folder scan picks up.
SCANNED_SUFFIXES = AUDIO_SUFFIXES + FFMPEG_AUDIO_SUFFIXES
#: Widest file column of the table before names are shortened from the left.
MAX_NAME_WIDTH = 60
#: The input that names standard input, and its timeline's name under --plot.
STDIN, STDIN_STEM = "-", "stdin"
#: Bytes read from standard input at a time.
_STDIN_BLOCK = 1 << 20


class Input(NamedTuple):
    """One input of the run: its path as the user named it, the AudioError to report
    instead of processing it (None: process it), and its timeline's name under --plot
    (its path under the folder it was found in, without the suffix)."""

    path: str
    problem: Exception | None
    plot_stem: str


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "detect",
        help="find alarms in recordings (files or folders)",
        description=__doc__,
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="FILE|DIR",
        help="audio files or folders; - reads standard input",
    )
    parser.add_argument(
        "--model",
        type=model_location,
        help="model directory (model.onnx + model.json) or a Rekognition project version ARN "
        "(default: models/default in the current folder when there is one, else the model "
        "installed with sounddetect); Rekognition requests are retried as AWS_MAX_ATTEMPTS "
        "says (first try included), else 8 times: about 40 s for each recording when "
        "Rekognition refuses the connection, up to 1.5 min when connecting times out (5 s "
        "a try) and 3 min when answers do not come (15 s a try)",
    )
    parser.add_argument(
        "--config",
        type=nonempty_path,
        help="JSON with the spectrogram config (a config dict, a model.json, or the "
        "generator's dataset.json with --type); required with a Rekognition ARN, whole (every "
        "field, as the dataset.json holds it), checked against model.json for an ONNX model",
    )
    parser.add_argument(
        "--type",
        metavar="TYPE",
        help="the spectrogram type to take from a dataset.json given as --config (needed "
        "when it holds more than one): the type the model was trained on",
    )
    parser.add_argument(
        "--format", choices=("table", "json"), default="table", help="what goes to stdout"
    )
    parser.add_argument(
        "--plot",
        type=nonempty_path,
        metavar="DIR",
        help="write a timeline PNG per file (see above)",
    )
    parser.add_argument(
        "--hop",
        type=positive_float,
        metavar="S",
        help=f"seconds between windows, at least {MIN_HOP_S:g} (default: half a window)",
    )
    parser.add_argument(
        "--threshold",
        type=probability,
        metavar="P",
        help="alarm probability threshold (default: the model's)",
    )
    parser.add_argument(
        "--min-event",
        type=non_negative_float,
        default=DEFAULT_MIN_EVENT_S,
        metavar="S",
        help="drop shorter events, unless one spans the whole recording or one at its end "
        "(or its start, in a recording under 20 s), or with less than a window of the "
        "recording on either side, lasts two windows; a shorter recording raises an alarm "
        "when its windows' mean probability reaches the threshold (0 with --min-windows 1 "
        "keeps single alarm windows)",
    )
    parser.add_argument(
        "--min-windows",
        type=positive_int,
        metavar="N",
        help="drop events with fewer alarm windows, with the same exceptions (default: as "
        "many as cover two windows' length, 3 at the default hop)",
    )
    parser.add_argument(
        "--merge-gap",
        type=non_negative_float,
        metavar="S",
        help="join alarm windows at most this far apart (default: 2 s, or the hop if longer, "
        "which bridges a CO alarm's pause)",
    )
    parser.add_argument(
        "--beep-patterns",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also raise an alarm on a temporal-three beep pattern, however its beeps sound",
    )
    parser.add_argument(
        "--pattern-groups",
        type=positive_int,
        default=DEFAULT_MIN_GROUPS,
        metavar="N",
        help="temporal-three beep groups in one run (a run passes over one missed group at a "
        "time) that make a pattern event",
    )
    parser.add_argument(
        "--pulse-patterns",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="also raise an alarm on steady beeping in the piezo band (one pitch, a beep or "
        "two every 0.5-2 s, no pause, for 12 s or more), as some smoke and heat alarms beep "
        "instead of the temporal-three pattern; off by default (such beeping is then said in "
        "a warning): a kitchen timer or an alarm clock can beep so too",
    )
    parser.add_argument(
        "--continuous-tones",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="an alarm sound that never pauses is an alarm (a continuous-tone alarm); "
        "--no-continuous-tones drops such events, for rooms where a machine whines steadily "
        "in the piezo band (a variable-frequency drive), and keeps beeping alarms (a local "
        "model only)",
    )
    parser.add_argument(
        "--threads",
        type=bounded_int(0, MAX_THREADS),
        default=0,
        metavar="N",
        help="onnxruntime threads (0: one per core) or concurrent Rekognition requests (0: 8), "
        f"at most {MAX_THREADS}",
    )
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from sounddetect.detect import detect_file
    from sounddetect.result import error_result, to_json

    if sys.stdout is None:
        # Started with its output closed (`>&-`): every result would vanish without a word.
        print("error: standard output is closed; results have nowhere to go", file=sys.stderr)
        return EXIT_USAGE
    try:
        classifier = load_classifier_for(args)
        if args.plot is not None:
            prepare_plot_folder(args.plot)
        find_ffmpeg()  # a SOUNDDETECT_FFMPEG that names no ffmpeg is refused before any input
    except (ModelError, ParameterError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    inputs = collect_inputs(args.inputs)
    writer = TableWriter(inputs) if args.format == "table" else None
    plot_names: set[str] = set()
    n_failed = n_alarm = n_unplotted = n_unsent = 0
    model_failed_on: str | None = None  # the input a ModelError came from
    for path, problem, plot_stem in inputs:
        if problem is None and model_failed_on is not None:
            # It would fail here too: each input still gets its line, none another call.
            n_unsent += 1
            # The input first: error_result would not add a name the message already holds.
            problem = ModelError(
                f"{path}: not sent to the model, which failed on {model_failed_on}"
            )
        with contextlib.ExitStack() as kept:
            recording = path  # what is decoded: standard input's temporary copy for "-"
            if path == STDIN and problem is None:
                try:
                    recording = kept.enter_context(stdin_copy())
                except AudioError as exc:
                    problem = exc
            if problem is not None:
                result = error_result(path, problem, classifier=classifier.describe())
            else:
                result = detect_file(
                    recording,
                    classifier,
                    name=path,
                    hop_s=args.hop,
                    threshold=args.threshold,
                    min_event_s=args.min_event,
                    min_windows=args.min_windows,
                    merge_gap_s=args.merge_gap,
                    beep_patterns=args.beep_patterns,
                    min_pattern_groups=args.pattern_groups,
                    pulse_patterns=args.pulse_patterns,
                    continuous_tones=args.continuous_tones,
                )
            if result["error"]:
                n_failed += 1
                print(f"error: {one_line(result['error']['message'])}", file=sys.stderr)
            elif result["alarm"]:
                n_alarm += 1
            if writer is None:
                print(to_json(result), flush=True)
            else:
                writer.write(result)
            if args.plot and not result["error"]:
                n_unplotted += not write_plot(
                    result, path, args.plot, plot_names, stem=plot_stem, recording=recording
                )
        if model_failed_on is None and result["error"] and result["error"]["type"] == "ModelError":
            model_failed_on = path
    if model_failed_on is not None:
        print(
            f"error: the model failed on {one_line(model_failed_on)}, as it would on every "
            f"input; {n_unsent} of {len(inputs)} input(s) not sent to it",
            file=sys.stderr,
        )
        return EXIT_USAGE
    logger.info(
        "%d input(s): %d with alarms, %d without, %d failed%s",
        len(inputs),
        n_alarm,
        len(inputs) - n_alarm - n_failed,
        n_failed,
        f"; {n_unplotted} timeline(s) not written" if n_unplotted else "",
    )
    return EXIT_FAILED if n_failed or n_unplotted else EXIT_OK


def collect_inputs(arguments: list[str]) -> list[Input]:
    """Expand FILE|DIR arguments into the run's :class:`Input`\\ s: a file to run, or the
    AudioError to report (a missing or unreachable path, a folder without audio). A
    leading ``~`` is the home folder, and the input is named by the expanded path. A
    recording named twice (``a.wav ./a.wav``, or a file and its folder) is run once, with a
    warning."""
    inputs: list[Input] = []
    # the file -> the name it was first given, the folder it was found in (None: named), and
    # its place in inputs
    first_named: dict[object, tuple[str, str | None, int]] = {}

    def add(name: str, stem: str, folder: str | None = None) -> None:
        file = STDIN if name == STDIN else _file_identity(name)
        if file not in first_named:
            first_named[file] = (name, folder, len(inputs))
            inputs.append(Input(name, None, stem))
            return
        first, first_folder, index = first_named[file]
        if first == name:  # "the same recording as" itself would puzzle
            how = [f"found in {f}" if f else "named" for f in (first_folder, folder)]
            again = f"{how[0]} twice" if how[0] == how[1] else " and ".join(how)
        elif first_folder and folder and os.path.islink(first) and not os.path.islink(name):
            # A folder's link (latest.wav) and the file it points to: the file is the
            # recording, wherever the link sorts.
            first_named[file] = (name, folder, index)
            inputs[index] = Input(name, None, stem)
            warnings.warn(
                f"{first}: the same recording as {name}, processed once",
                SoundDetectWarning,
                stacklevel=3,
            )
            return
        else:
            again = f"the same recording as {first}"
        warnings.warn(f"{name}: {again}, processed once", SoundDetectWarning, stacklevel=3)

    for given in arguments:
        if given == STDIN:
            add(STDIN, STDIN_STEM)
            continue
        # A ~ the shell left (quoted, as a script's or a .env file's) is the home folder too;
        # one that names no user stays, and is reported as missing.
        argument = os.path.expanduser(given)
        path = Path(argument)
        if not argument:
            # An unset "$FILE" in a script: Path("") is the current folder.
            inputs.append(Input(argument, AudioError("'': an empty file name"), ""))
            continue
        try:
            is_dir, exists = path.is_dir(), path.exists()
        except OSError as exc:  # a parent folder that may not be searched
            inputs.append(Input(argument, AudioError(f"{argument}: {exc.strerror}"), ""))
            continue
        if is_dir:
            found, unreadable = _scan_folder(path)
            if not found and not unreadable:
                problem = AudioError(
                    f"{argument}: no audio files in this folder (looked recursively for "
                    f"{', '.join(SCANNED_SUFFIXES)})"
                )
                inputs.append(Input(argument, problem, ""))
            for found_path in found:
                stem = found_path.relative_to(path).with_suffix("").as_posix()
                if is_broken_link(found_path):
                    inputs.append(Input(str(found_path), _missing(str(found_path)), stem))
                else:
                    add(str(found_path), stem, folder=argument)
            inputs.extend(Input(where, problem, "") for where, problem in unreadable)
        elif exists:
            add(argument, path.stem)
        else:
            inputs.append(Input(argument, _missing(argument), ""))
    return inputs


@contextlib.contextmanager
def stdin_copy() -> Iterator[str]:
    """Standard input copied to a temporary file, whose path is yielded and which is
    removed afterwards: libsndfile and ffmpeg seek in what they decode, and a pipe cannot
    be. It is copied in blocks, so a recording of any length takes disk (``TMPDIR``), not
    memory.

    Raises
    ------
    AudioError
        Standard input is closed, not a byte stream, or a terminal (reading would wait for
        keystrokes), is empty, or could not be read or kept (a full disk); named ``-``.
    """
    stream = getattr(sys.stdin, "buffer", None)
    if sys.stdin is None:
        raise AudioError(f"{STDIN}: standard input is closed")
    if stream is None:  # replaced by a text stream, as by an application embedding main()
        raise AudioError(f"{STDIN}: standard input is not a byte stream")
    if sys.stdin.isatty():
        raise AudioError(
            f"{STDIN}: standard input is a terminal, not a recording; pipe one in "
            "(... | sounddetect detect -)"
        )
    try:
        descriptor, path = tempfile.mkstemp(prefix="sounddetect-stdin-")
    except OSError as exc:
        raise _not_kept(exc) from None
    try:
        # Unbuffered writes: a full disk fails the write that meets it, not a later close.
        with os.fdopen(descriptor, "wb", buffering=0) as copy:
            size = 0
            while True:
                try:
                    block = stream.read(_STDIN_BLOCK)
                except OSError as exc:
                    raise AudioError(
                        f"{STDIN}: standard input could not be read ({exc.strerror or exc})"
                    ) from None
                if not block:
                    break
                unwritten = memoryview(block)
                try:
                    while unwritten:  # a raw write may take part of a block
                        unwritten = unwritten[copy.write(unwritten) :]
                except OSError as exc:
                    raise _not_kept(exc) from None
                size += len(block)
        if not size:
            raise AudioError(f"{STDIN}: standard input is empty (nothing was piped in)")
        yield path
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _not_kept(exc: OSError) -> AudioError:
    return AudioError(
        f"{STDIN}: standard input could not be kept in {tempfile.gettempdir()} "
        f"({exc.strerror or exc})"
    )


def _file_identity(name: str) -> object:
    """What names one file however it is reached: its device and inode (a link, ``./``, or
    a hard link: two names of one file), or its real path when it cannot be read."""
    try:
        status = os.stat(name)
    except OSError:
        return os.path.realpath(name)
    return (status.st_dev, status.st_ino)


def _scan_folder(folder: Path) -> tuple[list[Path], list[tuple[str, Exception]]]:
    """The audio files under ``folder``, and links to them that are gone
    (:func:`~sounddetect.folders.visible_files`), and the folders that could not be read,
    each with its error."""
    files, refused = visible_files(folder)
    found = [
        path
        for path in files
        if path.suffix.lower() in SCANNED_SUFFIXES
        # a link without a suffix may have been a folder of recordings
        or (is_broken_link(path) and not path.suffix)
    ]
    chosen = set(found)
    if passed_over := [
        path for path in files if path not in chosen and path.name not in FOLDER_METADATA
    ]:
        # Not an error (notes, pictures), but said, so a recording of a format whose
        # suffix is not scanned is not missed without a word.
        logger.info(
            "%s: %d file(s) without an audio suffix passed over (%s%s)",
            one_line(str(folder)),
            len(passed_over),
            ", ".join(one_line(str(path.relative_to(folder))) for path in passed_over[:3]),
            ", ..." if len(passed_over) > 3 else "",
        )
    unreadable = [
        (str(where), AudioError(f"{where}: folder not readable ({reason})"))
        for where, reason in refused
    ]
    return found, unreadable


def _missing(argument: str) -> AudioError:
    path = Path(argument)
    if path.is_symlink():
        try:
            os.stat(path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return AudioError(f"{argument}: a loop of links ({path} -> {path.readlink()})")
        return AudioError(f"{argument}: a link to {path.readlink()}, which does not exist")
    return AudioError(f"{argument}: no such file or directory")


def read_config(path: Path, *, kind: str | None = None, whole: bool = False):
    """A SpectrogramConfig from a JSON file holding a config, or a ``"config"`` key (a
    model.json), or the generator's dataset.json: its config of type ``kind``, which may be
    left out when the dataset holds one type (read as
    :func:`sounddetect.dataset.dataset_config` reads it for training and evaluation).

    ``whole`` refuses a config that leaves fields to the library's defaults
    (:meth:`~sounddetect.spectrum.SpectrogramConfig.missing_fields`), as a Rekognition
    model's must not: a dataset.json's too, which one written before a field existed
    would."""
    from sounddetect.dataset import DATASET_FORMAT, dataset_config
    from sounddetect.spectrum import SpectrogramConfig

    try:
        is_dir = path.is_dir()
    except OSError as exc:  # a folder on the way that cannot be entered, a name too long
        raise ParameterError(f"--config {path}: cannot be read ({exc.strerror or exc})") from None
    if is_dir:
        hint = f": --config {path / 'dataset.json'}" if (path / "dataset.json").is_file() else ""
        raise ParameterError(
            f"--config {path}: a folder; --config takes a JSON file (a dataset.json, a "
            f"model.json or a spectrogram config){hint}"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParameterError(f"--config {path}: not a readable JSON file ({exc})") from exc
    if isinstance(data, dict) and ("configs" in data or data.get("format") == DATASET_FORMAT):
        try:
            config = dataset_config(path, kind=kind)
        except ParameterError as exc:  # its message starts with the path
            raise ParameterError(f"--config {exc}") from exc
        fields = data["configs"][config.kind]  # dataset_config found the type there
    elif kind is not None:
        raise ParameterError(f"--type {kind}: needs a dataset.json as --config")
    else:
        if isinstance(data, dict) and isinstance(data.get("config"), dict):
            data = data["config"]
        if not isinstance(data, dict):
            raise ParameterError(
                f"--config {path}: expected a JSON object with a spectrogram config"
            )
        config, fields = SpectrogramConfig.from_dict(data), data
    missing = SpectrogramConfig.missing_fields(fields) if whole else []
    if missing:
        raise ParameterError(
            f"--config {path}: a Rekognition model's config must be the whole config its "
            f"training images were rendered with, not leave {', '.join(missing)} to this "
            "version's defaults: pass the training data's dataset.json (with --type when it "
            "holds several types)"
        )
    return config


def load_classifier_for(args: argparse.Namespace):
    """The classifier of --model (with --config, --type, --threshold, --threads), its name
    logged, refused before any recording when --hop is longer than its window or under
    :data:`~sounddetect.windows.MIN_HOP_S`.

    Raises
    ------
    ModelError
        A model that cannot be loaded.
    ParameterError
        --type without --config, a bad --config, or a --hop that would skip audio or is
        under the shortest: ``detect_file`` refuses such a hop too, but only when it is
        given a recording, after the results of any unreadable inputs before it, and in the
        library's terms (hop_s).
    """
    from sounddetect.classifiers import default_model_dir, load_classifier

    if args.type is not None and not args.config:
        raise ParameterError(f"--type {args.type}: needs a dataset.json as --config")
    remote = bool(args.model and args.model.startswith("arn:"))
    if remote:
        require_modules("a Rekognition model", ["boto3"], extra="aws")
    config = read_config(args.config, kind=args.type, whole=remote) if args.config else None
    model = args.model or str(default_model_dir())
    classifier = load_classifier(
        model, config=config, threshold=args.threshold, threads=args.threads
    )
    where = f" in {model}" if classifier.backend == "onnx" else ""
    logger.info("model %s (%s)%s", classifier.model, classifier.backend, where)
    if args.hop is not None and args.hop > classifier.config.duration:
        raise ParameterError(
            f"--hop {args.hop:g} s is longer than the model's "
            f"{classifier.config.duration:g} s window: windows would skip audio"
        )
    if not args.continuous_tones and not says_when_alarm_sounds(classifier):
        raise ParameterError(
            f"--no-continuous-tones needs a model that says when in each window the alarm "
            f"sounds (a local model of sounddetect train); {classifier.model} does not"
        )
    if args.hop is not None and args.hop < MIN_HOP_S:
        raise ParameterError(
            f"--hop {args.hop:g} s is shorter than {MIN_HOP_S:g} s, which already classifies "
            "each moment many times over; a shorter hop only costs time"
        )
    return classifier


def prepare_plot_folder(folder: Path) -> None:
    """Make ``folder`` (and its parents) for --plot's timelines, before the first recording.

    Raises
    ------
    ParameterError
        matplotlib is not installed, or ``folder`` cannot be made or written to (a file of
        that name, a read-only parent): a usage error, not a traceback or a failed timeline
        after the first result.
    """
    require_modules("--plot", ["matplotlib"], extra="generate")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, "not writable")
    except OSError as exc:
        with contextlib.suppress(OSError):  # its parent may not be searchable either
            if folder.is_file():
                raise ParameterError(f"--plot {folder}: exists and is not a folder") from None
            if is_broken_link(folder):
                raise ParameterError(
                    f"--plot {folder}: a link to {folder.readlink()}, which does not exist"
                ) from None
        raise ParameterError(f"--plot {folder}: {exc.strerror or exc}") from None


#: errno of ``os.link`` on a file system that has no hard links.
_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK}


def write_plot(
    result: dict[str, Any],
    path: str,
    out_dir: Path,
    used: set[str],
    *,
    stem: str,
    recording: str | None = None,
) -> bool:
    """Write ``out_dir/<stem>.png`` (``stem`` may hold sub-folders), or ``<stem>-2.png`` ...
    when another input of this run has the stem, or a file of that name is not a timeline
    of this recording (the user's picture is kept, and another recording's timeline from an
    earlier run; so is a link, which would write elsewhere).

    The timeline is drawn aside and a name is claimed for it only then, by a hard link that
    fails where the name is taken: another ``detect`` writing into the same folder at the
    same time takes another name, and neither replaces the other's timeline.

    Returns False, having said why on stderr, when it cannot be written (a full disk, a
    folder made read-only meanwhile, a recording that cannot be read again): the other
    inputs still go on. The recording is read again from ``recording`` (default ``path``):
    standard input's temporary copy for ``-``."""
    from sounddetect.folders import partial_path
    from sounddetect.plots import plot_detection

    recording = recording or path

    drawn = partial_path(out_dir / f"{stem}.png")
    name = f"{stem}.png"
    try:
        drawn.parent.mkdir(parents=True, exist_ok=True)
        plot_detection(result, recording, drawn)
        name = place_timeline(drawn, out_dir, used, stem=stem, recording=recording)
    except (OSError, SoundDetectError) as exc:
        print(
            f"error: {one_line(path)}: timeline {one_line(str(out_dir / name))} not written "
            f"({exc})",
            file=sys.stderr,
        )
        return False
    finally:
        with contextlib.suppress(OSError):  # not there, or its folder could not be made
            drawn.unlink(missing_ok=True)
    logger.info("plot %s -> %s", one_line(path), one_line(str(out_dir / name)))
    return True


def place_timeline(drawn: Path, out_dir: Path, used: set[str], *, stem: str, recording: str) -> str:
    """Move the timeline ``drawn`` to the first free name of ``write_plot`` and return it.

    A name is free when no input of this run took it (``used``) and either nothing holds it,
    which a hard link to the drawn timeline claims at once with the whole file in it
    (another process finds it taken and a timeline there), or a timeline of the same
    ``recording`` does (a run before), which it replaces.
    """
    from sounddetect.plots import plots_recording

    n = 1
    while True:
        name = f"{stem}.png" if n == 1 else f"{stem}-{n}.png"
        n += 1
        target = out_dir / name
        if name in used or target.is_symlink():
            continue
        try:
            os.link(drawn, target)
        except OSError as exc:
            # Taken, or a file system without hard links (FAT, some shares), where the name
            # is looked at, then moved to.
            if not isinstance(exc, FileExistsError) and exc.errno not in _NO_HARD_LINKS:
                raise
            if target.is_symlink() or target.exists() and not plots_recording(target, recording):
                continue
            os.replace(drawn, target)
        used.add(name)
        return name


class TableWriter:
    """Print one table row per result as it arrives: file, duration, verdict, events."""

    def __init__(self, inputs: list[Input]) -> None:
        widest = max((len(one_line(entry.path)) for entry in inputs), default=4)
        self.width = min(max(widest, 4), MAX_NAME_WIDTH)
        header = f"{'FILE':<{self.width}}  {'DURATION':>9}  {'ALARM':<5}  EVENTS"
        print(f"{header} (start-end s, confidence)", flush=True)

    def write(self, result: dict[str, Any]) -> None:
        name = one_line(result["file"])
        if len(name) > self.width:
            name = "..." + name[-(self.width - 3) :]
        if result["error"]:
            duration, verdict = "-", "ERROR"
            detail = result["error"]["message"].removeprefix(f"{result['file']}: ")
        else:
            duration = f"{result['duration_s']:.1f} s"
            verdict = "yes" if result["alarm"] else "no"
            detail = "; ".join(
                f"{e['start']:.1f}-{e['end']:.1f} ({e['confidence']:.2f})" for e in result["events"]
            )
        row = f"{name:<{self.width}}  {duration:>9}  {verdict:<5}  {one_line(detail)}"
        print(row.rstrip(), flush=True)
