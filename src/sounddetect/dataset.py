"""Training datasets: source scanning, splits by source clip, images, side files and readers.

Layout written under ``TARGET_PATH``::

    dataset.json                               settings, sources, configs per type, counts
    samples.csv                                one row per sample: its complete recipe and
                                               where in the window the alarm sounds
    run.json                                   seconds and images per second of the run
    {train,validate,test}/{alarm,no_alarm}/<sample_id>.png
    manifests/{train,validate,test}.manifest   Ground Truth JSON lines

as DESIGN.md lays it out for one spectrogram type; a dataset of several types has that tree
(the images and manifests) once per type, under ``<type>/`` (:func:`type_folder`).

Everything but ``run.json`` is byte-identical for the same sources, settings and seed,
whatever the number of workers.

The generator's own dependencies (tqdm, and threadpoolctl for the worker processes, both in
the ``generate`` extra) are imported when it runs: the readers work on a core install, where
``sounddetect detect --config dataset.json`` uses :func:`dataset_config`.

Settings
    GeneratorSettings
Sources
    load_sources
    assign_splits
Generation
    generate_dataset
    format_summary
Readers
    read_dataset_info
    dataset_config
    read_samples
    source_digests
    type_folder
    image_path
    spec_from_row
    check_source
    source_folder
    rebuild_sample
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import hashlib
import json
import logging
import math
import os
import re
import shutil
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from sounddetect import __version__
from sounddetect.audio import (
    SILENT_PEAK_DBFS,
    LevelMeter,
    is_audio_path,
    load_audio,
)
from sounddetect.events import LABELS
from sounddetect.exceptions import (
    AudioError,
    ParameterError,
    SoundDetectError,
    SoundDetectWarning,
)
from sounddetect.folders import FOLDER_METADATA, is_broken_link, visible_files, write_aside
from sounddetect.mixing import (
    DEFAULT_SAMPLES_PER_LAYER,
    SampleSpec,
    SourceClip,
    active_frames,
    draw_sample_specs,
    mix_stems,
    sounding_intervals,
    source_kind,
)
from sounddetect.spectrum import (
    MAX_DURATION,
    SPECTROGRAM_TYPES,
    SpectrogramConfig,
    encode_png,
    render_spectrogram,
)
from sounddetect.windows import MIN_RECORDING_S, seconds_under

logger = logging.getLogger(__name__)

#: The ``format`` of a dataset.json this module writes and reads.
DATASET_FORMAT = "sounddetect-dataset/1"

SPLITS = ("train", "validate", "test")

ROLES = ("alarm", "background")

#: samples.csv columns, in order.
SAMPLE_COLUMNS = (
    "sample_id",
    "split",
    "label",
    "n_layers",
    "snr_db",
    "alarm_file",
    "alarm_kind",
    "alarm_offset_s",
    "alarm_onset_s",
    "alarm_duration_s",
    "alarm_sounding_s",
    "alarm_gain_db",
    "background_files",
    "background_kinds",
    "background_offsets_s",
    "background_gains_db",
    "level_db",
    "output_gain_db",
    "seed",
)

#: Where a run writes its type trees until their last image and manifest are written: an
#: interrupted run leaves no ``train/`` (or ``mel/``) tree that Rekognition would import as
#: if whole.
STAGING = ".partial"
#: In the staging folder: the fingerprint of what the run renders (:func:`_plan`), and a line
#: per sample whose images are all written (its id and the gains its samples.csv row takes
#: from the rendering), so ``--resume`` renders only the rest.
PLAN_FILE = "plan.json"
FINISHED_FILE = "finished.jsonl"
#: A channel's mean is removed when it is more than this share of the channel's AC RMS (its
#: standard deviation). A recorder's DC offset counts as sound: over about 7 % of a beep's
#: amplitude it lifts an alarm clip's silent frames to within 20 dB of its beeps, so every
#: frame is active, and it adds to the power ratios and levels are measured from. Such an
#: offset is over 10 % of the clip's AC RMS whatever the beeps' duty cycle, while one under
#: it adds at most 1 % (0.04 dB) to the channel's power. The default corpus's synthesised
#: clips carry up to 4 %, left as they are, so its dataset stays byte-identical.
DC_OFFSET_LIMIT = 0.1
#: A kind of source (:func:`~sounddetect.mixing.source_kind`) gets a recording in every
#: split when its share of each, its recordings times the split's fraction, is at least this:
#: about one recording. A smaller kind given one in each would outweigh the fractions: user
#: files named by date (``2024-03-01_0930.wav``, three a day) are kinds of three, and 30 such
#: alarms went 10/10/10 instead of about 21/5/4. At 0.75 the default corpus's kinds (the
#: smallest has six recordings, 0.9 of one at 15 %) keep the splits they had.
SPREAD_SHARE = 0.75
#: Samples handed to a worker at a time: large enough to amortise the inter-process
#: transfer, small enough for a smooth progress bar.
CHUNK_SIZE = 16


# -- settings ---------------------------------------------------------------------------------


#: The alarm-to-background ratios (dB) a dataset may be drawn at: an alarm 30 dB under its
#: backgrounds is not heard, and one 60 dB over them is all that is.
SNR_DB_LIMITS = (-30.0, 60.0)
#: Most background layers (MAX_BACKGROUND_LAYERS): a sample of more is a noise no room makes.
MAX_BACKGROUND_LAYERS = 16

#: s3://BUCKET[/PREFIX], with a bucket name as S3 allows it (no two dots in a row, not an
#: IP address) and a prefix of non-empty folder names: the manifests' source-refs.
_S3_PREFIX = (
    r"s3://(?!\d+\.\d+\.\d+\.\d+(/|$))(?![^/]*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"
    r"(/[^/\s?#]+)*/?"
)


def _check_image_rate(sr: int) -> None:
    """Refuse a mixing rate (Hz) too low for the images' frequency range, in the words of
    ``--sr`` rather than the config's own fmin/fmax complaint.

    Raises
    ------
    ParameterError
    """
    fmax = SpectrogramConfig.fmax
    if sr < 2 * fmax:
        raise ParameterError(
            f"--sr {sr} Hz: the images show up to {fmax:g} Hz, which takes a rate of at least "
            f"{2 * fmax:g} Hz (sources at lower rates are resampled up)"
        )


@dataclass(frozen=True)
class GeneratorSettings:
    """Everything a generator run depends on.

    Parameters
    ----------
    alarm_source, background_source : Path
        Folders of alarm and background recordings (searched recursively).
    target_path : Path
        Output folder (TARGET_PATH).
    seed : int
        Seed of every random choice: the same seed gives byte-identical output.
    sr : int
        Sample rate in Hz of the mixes and spectrograms.
    sample_duration : float
        Window length in seconds (SAMPLE_DURATION), also the spectrogram config's duration.
    max_background_layers : int
        Samples are made with 1, 2, ... up to this many background layers.
    samples_per_layer : int
        Samples per layer count over all splits; half hold an alarm.
    snr_db : (float, float)
        Range of the alarm-to-background ratio in dB, measured over the alarm's active part.
    types : tuple of str
        Spectrogram types to render (see :data:`~sounddetect.spectrum.SPECTROGRAM_TYPES`).
    split : (float, float, float)
        Fractions of source clips for train, validate and test; they sum to 1.
    workers : int
        Processes that mix and render. Does not change the output.
    overwrite : bool
        Replace an existing dataset at ``target_path``.
    resume : bool
        Go on from the samples an interrupted run with the same settings and sources
        finished (kept in ``target_path/.partial``), rendering only the rest.
    s3_prefix : str or None
        ``s3://bucket/prefix`` for the manifests' ``source-ref``; None writes paths relative
        to ``target_path``.
    min_active_s : float
        Least active alarm sound, in seconds, in an alarm window (or all that the clip's most
        active window holds, when that is less).
    alarm_snippets : float
        Share of ``no_alarm`` samples that also hold one beep or pip of an alarm clip, too
        little of it to be an alarm (``snippet_probability`` of
        :func:`~sounddetect.mixing.draw_sample_specs`).
    """

    alarm_source: Path
    background_source: Path
    target_path: Path
    seed: int = 0
    sr: int = 16000
    sample_duration: float = 4.0
    max_background_layers: int = 3
    samples_per_layer: int = DEFAULT_SAMPLES_PER_LAYER
    # A smoke alarm is loud (85 dB at 3 m); below -5 dB over its active part, several of our
    # mixes hide it completely under three layers, which teaches label noise, not alarms.
    snr_db: tuple[float, float] = (-5.0, 25.0)
    types: tuple[str, ...] = ("mel",)
    split: tuple[float, float, float] = (0.7, 0.15, 0.15)
    workers: int = 1
    overwrite: bool = False
    resume: bool = False
    s3_prefix: str | None = None
    min_active_s: float = 1.0
    alarm_snippets: float = 0.25

    def __post_init__(self) -> None:
        for name in ("alarm_source", "background_source", "target_path"):
            object.__setattr__(self, name, Path(getattr(self, name)))
        object.__setattr__(self, "types", tuple(self.types))
        object.__setattr__(self, "snr_db", tuple(float(v) for v in self.snr_db))
        object.__setattr__(self, "split", tuple(float(v) for v in self.split))
        unknown = [kind for kind in self.types if kind not in SPECTROGRAM_TYPES]
        if unknown or not self.types or len(set(self.types)) != len(self.types):
            raise ParameterError(
                f"spectrogram types {list(self.types)}: need distinct types from "
                f"{', '.join(SPECTROGRAM_TYPES)}"
            )
        if len(self.split) != 3 or not min(self.split) >= 0 or not abs(sum(self.split) - 1) <= 1e-6:
            raise ParameterError(
                f"split fractions {list(self.split)}: need three non-negative numbers "
                "(train, validate, test) summing to 1"
            )
        if len(self.snr_db) != 2 or not self.snr_db[0] <= self.snr_db[1]:
            raise ParameterError(f"snr_db (--snr-db) range {list(self.snr_db)}: need MIN <= MAX")
        low_db, high_db = SNR_DB_LIMITS
        if not all(low_db <= v <= high_db for v in self.snr_db):
            raise ParameterError(
                f"snr_db (--snr-db) range {list(self.snr_db)}: need numbers from {low_db:g} to "
                f"{high_db:g} dB (an alarm further under its backgrounds is not heard, and "
                "its sample would be labelled alarm all the same)"
            )
        for name, low in (("samples_per_layer", 1), ("max_background_layers", 1), ("workers", 1)):
            if getattr(self, name) < low:
                raise ParameterError(f"{name} must be at least {low}, got {getattr(self, name)}")
        if self.max_background_layers > MAX_BACKGROUND_LAYERS:
            raise ParameterError(
                f"max_background_layers (MAX_BACKGROUND_LAYERS) {self.max_background_layers}: "
                f"at most {MAX_BACKGROUND_LAYERS} (each layer count makes --samples-per-layer "
                "samples of that many recordings)"
            )
        if not self.sample_duration > 0 or not self.min_active_s >= 0:
            raise ParameterError(
                "need sample_duration (SAMPLE_DURATION) > 0 and min_active_s (--min-active-s) "
                f">= 0, got {self.sample_duration} and {self.min_active_s}"
            )
        # Named as the user sets it; inf and nan are the config's to refuse.
        if math.isfinite(self.sample_duration) and self.sample_duration > MAX_DURATION:
            raise ParameterError(
                f"SAMPLE_DURATION (--sample-duration) {self.sample_duration:g} s is above the "
                f"longest supported window, {MAX_DURATION:g} s"
            )
        try:
            self.configs()  # validates sr and duration against the spectrogram config
        except ParameterError as exc:
            # The config names the window "duration"; the user set SAMPLE_DURATION.
            if not str(exc).startswith("duration "):
                raise
            message = str(exc).removeprefix("duration ")
            raise ParameterError(f"SAMPLE_DURATION (--sample-duration) {message}") from None
        if self.min_active_s > self.sample_duration:
            raise ParameterError(
                f"SAMPLE_DURATION (--sample-duration) {self.sample_duration:g} s is shorter than "
                f"the {self.min_active_s:g} s of alarm sound an alarm window holds "
                "(--min-active-s): make the window longer or --min-active-s smaller"
            )
        if not 0.0 <= self.alarm_snippets <= 1.0:
            raise ParameterError(f"alarm_snippets must be in [0, 1], got {self.alarm_snippets}")
        if self.s3_prefix is not None and not re.fullmatch(_S3_PREFIX, self.s3_prefix):
            raise ParameterError(
                f"--s3-prefix must be s3://BUCKET or s3://BUCKET/PREFIX (a bucket name of "
                f"3-63 lowercase letters, digits, dots and hyphens, not an IP address; folder "
                f"names without spaces, '?' or '#', none empty), got {self.s3_prefix!r}"
            )

    def configs(self) -> dict[str, SpectrogramConfig]:
        """The spectrogram config of each type, built from these settings."""
        return spectrogram_configs(self.types, sr=self.sr, duration=self.sample_duration)

    def recorded(self) -> dict[str, Any]:
        """The settings that decide the output, as written to dataset.json."""
        return {
            "alarm_source": str(self.alarm_source.resolve()),
            "background_source": str(self.background_source.resolve()),
            "seed": self.seed,
            "sr": self.sr,
            "sample_duration": self.sample_duration,
            "max_background_layers": self.max_background_layers,
            "samples_per_layer": self.samples_per_layer,
            "snr_db": list(self.snr_db),
            "types": list(self.types),
            "split": dict(zip(SPLITS, self.split, strict=True)),
            "s3_prefix": self.s3_prefix,
            "min_active_s": self.min_active_s,
            "alarm_snippets": self.alarm_snippets,
        }


# -- sources ----------------------------------------------------------------------------------


@dataclass
class Sources:
    """Decoded, usable source files and what was skipped.

    Attributes
    ----------
    root : Path
        Common folder of both sources; source names are paths relative to it.
    audio : dict of str to np.ndarray
        float32 audio at the generator's rate, by source name: ``(n,)`` for a mono file,
        ``(channels, n)`` for a multichannel one.
    clips : dict of str to list of SourceClip
        Usable clips per role (``alarm``, ``background``), sorted by name.
    files : list of dict
        One entry per usable file: ``file``, ``role``, ``kind``, ``duration_s``, ``sha256``.
    skipped : list of dict
        One entry per skipped file: ``file`` and ``reason``.
    """

    root: Path
    audio: dict[str, np.ndarray] = field(default_factory=dict)
    clips: dict[str, list[SourceClip]] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)


#: Sample rates a user is likely to ask for, highest first (a refused ``--sr`` names the
#: highest of them that works).
COMMON_RATES = (44100, 32000, 24000, 22050, 16000)


def spectrogram_configs(
    types: Sequence[str], *, sr: int, duration: float
) -> dict[str, SpectrogramConfig]:
    """The generator's config of each spectrogram type at ``sr`` Hz and ``duration`` s.

    The generator sets only the rate and the window length. A rate too low for the images'
    frequency range, or too high for the mel bands of mel and MFCC images (from 48 kHz, a
    band is narrower than an FFT bin), is refused naming the ``--sr`` that works, not with
    the config's advice on parameters the command line does not have.

    Raises
    ------
    ParameterError
        A type the config refuses at ``sr`` or ``duration``.
    """
    _check_image_rate(sr)
    configs = {}
    for kind in types:
        try:
            configs[kind] = SpectrogramConfig(kind=kind, sr=sr, duration=duration)
        except ParameterError:
            # Only the mel bands' complaint: a linear image at this rate renders.
            if kind not in ("mel", "mfcc") or not _renders("linear", sr, duration):
                raise
            working = next(
                (rate for rate in COMMON_RATES if rate < sr and _renders(kind, rate, duration)),
                None,
            )
            if working is None:
                raise
            bin_hz = sr / SpectrogramConfig.n_fft
            raise ParameterError(
                f"--sr {sr} Hz is too high for {kind} images: at this rate the FFT's bins are "
                f"{bin_hz:g} Hz apart, wider than their lowest mel bands, which would render "
                f"black; use --sr from {2 * SpectrogramConfig.fmax:g} to {working} (the "
                f"images show up to {SpectrogramConfig.fmax:g} Hz, so the default "
                f"{GeneratorSettings.sr} loses nothing)"
            ) from None
    return configs


def _renders(kind: str, sr: int, duration: float) -> bool:
    try:
        SpectrogramConfig(kind=kind, sr=sr, duration=duration)
    except ParameterError:
        return False
    return True


def _offsets_and_ac_rms(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each channel's mean (its DC offset) and standard deviation (the RMS of the rest), from
    float64 sums over blocks, so no float64 copy of a long clip is made."""
    n, step = y.shape[-1], 1 << 16
    mean = sum(y[:, i : i + step].sum(axis=1, dtype=np.float64) for i in range(0, n, step)) / n
    power = sum(
        np.square(y[:, i : i + step] - mean[:, None]).sum(axis=1) for i in range(0, n, step)
    )
    return mean, np.sqrt(power / n)


def _load_source(path: Path, *, sr: int) -> np.ndarray:
    """A source file at ``sr``: 1-D when mono, else its channels, which are mixed one by one
    (:func:`~sounddetect.mixing.mix_stems`) and combined in power when rendered, as
    ``detect`` combines a recording's.

    A channel's DC offset is removed when it exceeds :data:`DC_OFFSET_LIMIT` of the
    channel's AC RMS.

    Raises
    ------
    AudioError
        Not decodable (see :func:`~sounddetect.audio.load_audio`), or a constant offset and
        nothing else.
    """
    decoded = _decode_source(path, sr=sr)
    if decoded.offset_removed and not np.any(decoded.y):
        raise AudioError(f"{path}: silent (a constant offset)")
    return decoded.y


@dataclass(frozen=True)
class _Decoded:
    """A decoded source (:func:`_decode_source`).

    Attributes
    ----------
    y : np.ndarray [shape=(n,) or (channels, n), dtype=float32]
        The audio at the generator's rate, a material DC offset removed.
    offset_removed : bool
        Whether an offset was removed from a channel.
    peak : float
        The loudest sample's distance from its channel's mean, over all channels: the level
        ``detect`` calls a recording silent by (:data:`~sounddetect.audio.SILENT_PEAK_DBFS`).
    level : LevelMeter
        Its native-rate samples' level, clipping among it, as ``detect`` measures it.
    """

    y: np.ndarray
    offset_removed: bool
    peak: float
    level: LevelMeter


def _decode_source(path: Path, *, sr: int) -> _Decoded:
    """Decode a source file as :func:`_load_source` does, saying what :func:`_unusable` needs.

    Raises
    ------
    AudioError
        Not decodable (see :func:`~sounddetect.audio.load_audio`).
    """
    meter = LevelMeter()
    y, _ = load_audio(path, sr=sr, mono=False, on_native_block=meter.observe)
    mean, ac_rms = _offsets_and_ac_rms(y)
    # max |y - mean| without a copy of a long clip; measured before an offset is removed,
    # which moves the mean with the samples.
    peak = float(np.max(np.maximum(y.max(axis=1) - mean, mean - y.min(axis=1))))
    material = np.abs(mean) > DC_OFFSET_LIMIT * ac_rms
    for channel in np.flatnonzero(material):
        y[channel] -= np.float32(mean[channel])
    return _Decoded(
        y=y[0] if y.shape[0] == 1 else y,
        offset_removed=bool(material.any()),
        peak=peak,
        level=meter,
    )


def _sha256(path: Path) -> str:
    # Read in chunks: an hour of stereo WAV is 635 MB.
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _skip(sources: Sources, path: Path, reason: str, *, stacklevel: int = 4) -> None:
    # Called from a helper of load_sources: the warning names load_sources' caller.
    warnings.warn(f"{path}: skipped: {reason}", SoundDetectWarning, stacklevel=stacklevel)
    sources.skipped.append({"file": str(path), "reason": reason})


def load_sources(
    alarm_source: str | os.PathLike,
    background_source: str | os.PathLike,
    *,
    sr: int = 16000,
    sample_duration: float = 4.0,
) -> Sources:
    """Scan, decode and check both source folders.

    Files are decoded once and resampled to ``sr``, whatever their rate; multichannel files
    keep their channels. Unusable files are skipped with a :class:`SoundDetectWarning` naming
    the file and the reason: a name that is not audio, an empty, corrupt or truncated file,
    silence (or a constant offset and nothing else, or a peak about the mean under
    :data:`~sounddetect.audio.SILENT_PEAK_DBFS`: a muted microphone), a background shorter than
    ``sample_duration``, a copy of a file taken (the same bytes, or the same decoded audio:
    a FLAC of a WAV), which would be heard in two splits or under both labels; so are
    folders that cannot be read. A clipped file (:class:`~sounddetect.audio.LevelMeter`) is
    taken, with a warning naming it and its share of clipped samples. Of copies, an alarm
    is taken before a background, then the shallowest path in its folder, then the first
    in sorted order. A channel's DC
    offset is removed when it is more than :data:`DC_OFFSET_LIMIT` of the channel's AC RMS:
    a recorder's offset would count as sound when the alarm's active frames, the ratios and
    the levels are measured. Hidden files (``.name``) are ignored; linked folders are
    followed, each real folder once (:func:`~sounddetect.folders.visible_files`), as
    ``detect`` follows them.

    Raises
    ------
    ParameterError
        A folder is missing, not a folder, holds no files, or the two folders overlap.
    AudioError
        Nothing usable is left in a folder.
    """
    folders, resolved, root = _checked_source_folders(alarm_source, background_source)
    sources = Sources(root=root)
    # A copy would put one recording in two splits, or under both labels: the sha256 of a
    # file's bytes, and of its decoded audio (a FLAC of a WAV), -> the file taken.
    first_of: dict[str, str] = {}
    first_with: dict[str, str] = {}
    for role, folder in folders.items():
        listed, n_files = _list_source_files(
            sources, folder, role=role, resolved_folder=resolved[role], root=root
        )
        taken = _decode_distinct(
            sources,
            listed,
            folder=folder,
            role=role,
            sr=sr,
            sample_duration=sample_duration,
            first_of=first_of,
            first_with=first_with,
        )
        if not taken:
            raise AudioError(f"{folder}: no usable {role} audio ({n_files} files, all skipped)")
        sources.clips[role] = _add_clips(sources, taken, role=role, sr=sr)
    return sources


def _checked_source_folders(
    alarm_source: str | os.PathLike, background_source: str | os.PathLike
) -> tuple[dict[str, Path], dict[str, Path], Path]:
    """The source folders by role, as given and resolved, and the folder that holds both.

    Raises
    ------
    ParameterError
        A folder is missing or not a folder, or the two folders overlap.
    """
    folders = {"alarm": Path(alarm_source), "background": Path(background_source)}
    for role, folder in folders.items():
        # Named with what sets it: a variable left in a .env file is easily forgotten.
        given = f"{role.upper()}_AUDIO_SOURCE or --{role}-source"
        if not folder.exists():
            raise ParameterError(f"{folder}: {role} source folder does not exist ({given})")
        if not folder.is_dir():
            raise ParameterError(f"{folder}: {role} source is not a folder ({given})")
    resolved = {role: folder.resolve() for role, folder in folders.items()}
    if (
        resolved["alarm"] == resolved["background"]
        or resolved["alarm"].is_relative_to(resolved["background"])
        or resolved["background"].is_relative_to(resolved["alarm"])
    ):
        raise ParameterError(
            f"alarm source {folders['alarm']} and background source {folders['background']} "
            "overlap; keep them in separate folders"
        )
    root = Path(os.path.commonpath([resolved["alarm"], resolved["background"]]))
    return folders, resolved, root


def _list_source_files(
    sources: Sources, folder: Path, *, role: str, resolved_folder: Path, root: Path
) -> tuple[list[tuple[Path, str]], int]:
    """The files of ``folder`` that may be ``role`` sources, each with its name under ``root``.

    Unreadable sub-folders, broken links, names that are not audio and names that
    samples.csv or dataset.json could not record are skipped (:func:`_skip`).

    Returns
    -------
    listed : list of (Path, str)
        The files in listing order, with their names (posix paths relative to ``root``).
    n_files : int
        Files found in ``folder``, skipped ones included.

    Raises
    ------
    ParameterError
        ``folder`` holds no files.
    """
    paths, unreadable = visible_files(folder)
    if not paths and not unreadable:
        raise ParameterError(f"{folder}: {role} source folder is empty")
    for where, reason in unreadable:
        _skip(sources, where, f"folder not readable ({reason})")
    listed, not_audio = [], []
    for path in paths:
        if not path.exists():
            _skip(sources, path, f"a link to {path.readlink()}, which does not exist")
            continue
        if not is_audio_path(path):
            not_audio.append(path)
            continue
        if not path.is_file():  # reading a named pipe would wait for a writer
            _skip(sources, path, "not a regular file (a named pipe, socket or device)")
            continue
        # Named by where it lies in its folder, not where a link in it leads (a corpus
        # of links to recordings kept elsewhere).
        name = (resolved_folder / path.relative_to(folder)).relative_to(root).as_posix()
        if ";" in name:
            # samples.csv joins file lists with ";".
            _skip(sources, path, "';' in the file or folder name")
            continue
        if not _is_utf8(str(path)):
            # samples.csv and dataset.json, UTF-8 text, could not record its name.
            _skip(sources, path, "file name not in UTF-8; rename it")
            continue
        listed.append((path, name))
    _skip_not_audio(sources, folder, not_audio)
    return listed, len(paths)


#: More files of a folder than this whose names are not audio get one warning, not one each
#: (a dataset's images copied into a source folder would be thousands of lines).
MAX_NOT_AUDIO_LINES = 3


def _skip_not_audio(sources: Sources, folder: Path, paths: list[Path]) -> None:
    def reason(path: Path) -> str:
        return f"not an audio file name ({path.suffix or 'no suffix'})"

    if len(paths) <= MAX_NOT_AUDIO_LINES:
        for path in paths:
            _skip(sources, path, reason(path), stacklevel=5)  # one frame deeper than _skip's
        return
    sources.skipped += [{"file": str(path), "reason": reason(path)} for path in paths]
    examples = ", ".join(str(path.relative_to(folder)) for path in paths[:MAX_NOT_AUDIO_LINES])
    warnings.warn(
        f"{folder}: skipped: {len(paths)} files whose names are not audio ({examples}, ...); "
        "dataset.json lists them",
        SoundDetectWarning,
        stacklevel=4,
    )


def _decode_distinct(
    sources: Sources,
    listed: list[tuple[Path, str]],
    *,
    folder: Path,
    role: str,
    sr: int,
    sample_duration: float,
    first_of: dict[str, str],
    first_with: dict[str, str],
) -> list[tuple[str, np.ndarray, str]]:
    """Decode the ``listed`` files of ``folder``, skipping the unusable ones and copies.

    A file is skipped (:func:`_skip`) when it is a copy of a file taken before (``first_of``:
    the sha256 of its bytes; ``first_with``: that of its decoded audio, both to the taken
    file's name, and both updated here), cannot be decoded, or is unusable as a ``role``
    clip (:func:`_unusable`).

    Returns
    -------
    list of (str, np.ndarray, str)
        Name, audio at ``sr`` (:func:`_load_source`) and sha256 of each file taken, in
        listing order.
    """
    # Of copies the shallowest is taken, then the first listed, so a backup in a
    # sub-folder is skipped rather than the original; the clips keep the listing order,
    # which the random draws follow.
    depth = [len(path.relative_to(folder).parts) for path, _ in listed]
    taken: dict[int, tuple[np.ndarray, str]] = {}
    for index in sorted(range(len(listed)), key=lambda i: (depth[i], i)):
        path, name = listed[index]
        try:
            digest = _sha256(path)
        except OSError as exc:  # permission denied, a file gone since the listing
            _skip(sources, path, f"cannot be read ({exc.strerror or exc})")
            continue
        if digest in first_of:
            _skip(sources, path, f"the same file as {first_of[digest]}")
            continue
        try:
            decoded = _decode_source(path, sr=sr)
        except AudioError as exc:
            reason = str(exc).removeprefix(f"{path}: ").removeprefix(f"{path.name}: ")
            _skip(sources, path, reason)
            continue
        y = decoded.y
        reason = _unusable(decoded, role=role, sr=sr, sample_duration=sample_duration)
        if reason:
            _skip(sources, path, reason)
            continue
        sound = _audio_sha256(y)
        if sound in first_with:
            _skip(sources, path, f"the same audio as {first_with[sound]}")
            continue
        if decoded.level.is_clipped:
            # Taken all the same: a real alarm recorded too close often clips, and the user
            # chose the clip; but its distortion is in every mix it goes into.
            share = 100 * decoded.level.clipped_share
            warnings.warn(
                f"{path}: clipped ({share:.3g} % of its samples flat at full scale); taken as "
                f"it is, its distortion in every {role} mix it goes into",
                SoundDetectWarning,
                stacklevel=3,
            )
        first_of[digest] = first_with[sound] = name
        taken[index] = (y, digest)
    return [(listed[index][1], *taken[index]) for index in sorted(taken)]


def _add_clips(
    sources: Sources, taken: list[tuple[str, np.ndarray, str]], *, role: str, sr: int
) -> list[SourceClip]:
    """Put the ``taken`` files (:func:`_decode_distinct`) into ``sources``' audio and files,
    and return their clips (with the active frames of an alarm)."""
    clips = []
    for name, y, digest in taken:
        n_samples = y.shape[-1]
        sources.audio[name] = y
        active = active_frames(y) if role == "alarm" else None
        clips.append(SourceClip(name=name, n_samples=n_samples, active=active))
        sources.files.append(
            {
                "file": name,
                "role": role,
                "kind": source_kind(name),
                "duration_s": round(n_samples / sr, 6),
                "sha256": digest,
            }
        )
    return clips


def _unusable(decoded: _Decoded, *, role: str, sr: int, sample_duration: float) -> str | None:
    """Why a decoded source (:func:`_decode_source`) cannot be a clip of ``role``, or None.

    Its length is judged first: a file of one sample is too short, whatever it holds. A
    clip whose peak about its mean is under :data:`~sounddetect.audio.SILENT_PEAK_DBFS` is
    silent, as ``detect`` says of such a recording: a muted or disconnected microphone's
    dither, which would be amplified some 80 dB into a mix and labelled by its folder.
    """
    y = decoded.y
    n_samples = y.shape[-1]
    if role == "alarm" and n_samples < MIN_RECORDING_S * sr:
        # One beep is an alarm snippet, a non-alarm sample; detect refuses as much.
        seconds = seconds_under(n_samples / sr, MIN_RECORDING_S)
        return f"too short to hold an alarm ({seconds} s < {MIN_RECORDING_S:g} s)"
    if role == "background" and n_samples < int(round(sample_duration * sr)):
        seconds = seconds_under(n_samples / sr, sample_duration)
        return f"shorter than SAMPLE_DURATION ({seconds} s < {sample_duration:g} s)"
    if not np.any(y):
        return "silent (a constant offset)" if decoded.offset_removed else "silent"
    if decoded.peak < 10.0 ** (SILENT_PEAK_DBFS / 20.0):
        return (
            f"silent (nothing louder than {20 * np.log10(decoded.peak):.0f} dBFS about its "
            f"mean, under {SILENT_PEAK_DBFS:g} dBFS): is the microphone muted or disconnected?"
        )
    return None


def _audio_sha256(y: np.ndarray) -> str:
    digest = hashlib.sha256(str(y.shape).encode())
    digest.update(y)
    return digest.hexdigest()


def _largest_remainder(total: int, fractions: Sequence[float]) -> list[int]:
    """Split ``total`` into integer parts proportional to ``fractions`` (ties: lower index)."""
    exact = [total * f for f in fractions]
    counts = [math.floor(x) for x in exact]
    order = sorted(range(len(fractions)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def assign_splits(
    names: Sequence[str],
    *,
    fractions: Sequence[float],
    seed: int,
    role: str = "source",
) -> dict[str, str]:
    """Assign whole recordings to splits, stratified by kind.

    A recording is a file, or the files of one folder and stem kept in several formats
    (``kitchen.wav``, ``kitchen.mp3``), which go to one split together. Within each kind
    (see :func:`~sounddetect.mixing.source_kind`) the recordings are shuffled with a seeded
    generator. A kind large enough that its share of every used split (its recordings times
    the split's fraction) is at least :data:`SPREAD_SHARE` of a recording gets one in every
    used split and the rest in proportion; then the smaller kinds go, a recording at a time,
    where the overall counts lag behind their fractions most. A recording sits in exactly
    one split, so none is heard in two.

    Parameters
    ----------
    names : sequence of str
        Source names.
    fractions : (float, float, float)
        Train, validate and test fractions; a zero fraction gets no files.
    seed : int
    role : str
        Named in errors; also seeds the shuffle, so alarms and backgrounds shuffle differently.

    Returns
    -------
    dict of str to str
        Split of each name.

    Raises
    ------
    ParameterError
        Fewer recordings than used splits.
    """
    used = [i for i, fraction in enumerate(fractions) if fraction > 0]
    # Recordings in the sorted order of their first file: where each file is a recording of
    # its own, the order (and so the draws) is that of the sorted files.
    recordings: dict[str, list[str]] = {}
    for name in sorted(names):
        recordings.setdefault(str(PurePosixPath(name).with_suffix("")), []).append(name)
    if len(recordings) < len(used):
        formats = f" of {len(recordings)} recording(s)" if len(recordings) < len(names) else ""
        raise ParameterError(
            f"{len(names)} usable {role} file(s){formats} cannot fill {len(used)} splits "
            f"({', '.join(SPLITS[i] for i in used)}); add files or set fewer non-zero --split "
            "fractions"
        )
    role_code = int.from_bytes(hashlib.sha256(role.encode()).digest()[:4], "big")
    rng = np.random.default_rng([seed, role_code])
    by_kind: dict[str, list[tuple[str, ...]]] = {}
    for files in recordings.values():
        by_kind.setdefault(source_kind(files[0]), []).append(tuple(files))
    counts = [0, 0, 0]
    assigned: dict[tuple[str, ...], str] = {}

    def lagging() -> int:
        total = sum(counts) + 1
        return max(used, key=lambda i: (fractions[i] * total - counts[i], -i))

    # Shuffled in sorted order of kind, each from the one generator.
    shuffled = {
        kind: [by_kind[kind][i] for i in rng.permutation(len(by_kind[kind]))]
        for kind in sorted(by_kind)
    }
    spread = [
        kind
        for kind, units in shuffled.items()
        if len(units) >= len(used)
        and all(len(units) * fractions[i] >= SPREAD_SHARE - 1e-9 for i in used)
    ]
    for kind in spread:
        units = shuffled[kind]
        parts = _largest_remainder(len(units) - len(used), [fractions[i] for i in used])
        splits = [i for i, extra in zip(used, parts, strict=True) for _ in range(1 + extra)]
        for unit, i in zip(units, splits, strict=True):
            assigned[unit] = SPLITS[i]
            counts[i] += 1
    # The smaller kinds after them, so they also make up for what the one recording per
    # split of a spread kind gave the small splits beyond their fractions.
    for kind, units in shuffled.items():
        if kind in spread:
            continue
        for unit in units:
            i = lagging()
            assigned[unit] = SPLITS[i]
            counts[i] += 1
    # A split that got nothing takes a recording from the fullest split.
    for i in used:
        if counts[i] == 0:
            donor = max(used, key=lambda j: (counts[j], -j))
            unit = max(u for u, s in assigned.items() if s == SPLITS[donor])
            assigned[unit] = SPLITS[i]
            counts[donor] -= 1
            counts[i] += 1
    return {name: split for unit, split in assigned.items() for name in unit}


# -- workers ----------------------------------------------------------------------------------

_worker_state: dict[str, Any] = {}


def _init_worker(
    audio: Mapping[str, np.ndarray], configs: Mapping[str, SpectrogramConfig], sr: int
) -> None:
    # Forked workers inherit the decoded sources without a copy; spawned ones get them once.
    _worker_state.update(audio=audio, configs=configs, sr=sr)


#: What a worker returns per sample: PNG bytes per type, alarm gain, output gain.
Rendered = tuple[dict[str, bytes], float | None, float]


def _render_chunk(specs: Sequence[SampleSpec]) -> list[Rendered]:
    results = []
    for spec in specs:
        mixture = mix_stems(spec, sources=_worker_state["audio"], sr=_worker_state["sr"])
        images = {
            kind: encode_png(render_spectrogram(mixture.y, config=config))
            for kind, config in _worker_state["configs"].items()
        }
        results.append((images, mixture.alarm_gain_db, mixture.output_gain_db))
    return results


def _render_all(
    specs: Sequence[SampleSpec],
    *,
    audio: Mapping[str, np.ndarray],
    configs: Mapping[str, SpectrogramConfig],
    sr: int,
    workers: int,
) -> Iterator[list[Rendered]]:
    """Rendered chunks in spec order, from ``workers`` processes (1: this process)."""
    from sounddetect.workers import map_in_processes

    chunks = [specs[i : i + CHUNK_SIZE] for i in range(0, len(specs), CHUNK_SIZE)]
    try:
        yield from map_in_processes(
            _render_chunk,
            chunks,
            workers=workers,
            initializer=_init_worker,
            initargs=(audio, configs, sr),
        )
    finally:
        _worker_state.clear()  # the sources, when this process rendered them


# -- output -----------------------------------------------------------------------------------


def _format_float(value: float | None) -> str:
    # repr round-trips exactly, so a rebuilt sample uses the very same numbers.
    return "" if value is None else repr(float(value))


def _spec_row(
    spec: SampleSpec,
    split: str,
    alarm_gain_db: float | None,
    output_gain_db: float,
    *,
    alarm_active: Mapping[str, np.ndarray],
    sr: int,
) -> dict[str, str]:
    alarm = spec.alarm_file is not None
    sounding = (
        sounding_intervals(
            alarm_active[spec.alarm_file],
            offset_s=spec.alarm_offset_s,
            onset_s=spec.alarm_onset_s,
            duration_s=spec.alarm_duration_s,
            sr=sr,
        )
        if alarm
        else []
    )
    return {
        "sample_id": spec.sample_id,
        "split": split,
        "label": spec.label,
        "n_layers": str(spec.n_layers),
        "snr_db": _format_float(spec.snr_db),
        "alarm_file": spec.alarm_file or "",
        "alarm_kind": source_kind(spec.alarm_file) if alarm else "",
        "alarm_offset_s": _format_float(spec.alarm_offset_s) if alarm else "",
        "alarm_onset_s": _format_float(spec.alarm_onset_s) if alarm else "",
        "alarm_duration_s": _format_float(spec.alarm_duration_s) if alarm else "",
        "alarm_sounding_s": ";".join(f"{start:.3f}:{end:.3f}" for start, end in sounding),
        "alarm_gain_db": _format_float(alarm_gain_db),
        "background_files": ";".join(spec.background_files),
        "background_kinds": ";".join(spec.background_kinds),
        "background_offsets_s": ";".join(map(_format_float, spec.background_offsets_s)),
        "background_gains_db": ";".join(map(_format_float, spec.background_gains_db)),
        "level_db": _format_float(spec.level_db),
        "output_gain_db": _format_float(output_gain_db),
        "seed": str(spec.seed),
    }


def _creation_date(seed: int) -> str:
    # Ground Truth wants a date; the clock would break byte-identical output, so it is
    # derived from the seed.
    base = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    return (base + datetime.timedelta(seconds=seed % (366 * 86400))).strftime(
        "%Y-%m-%dT%H:%M:%S.000000"
    )


def _manifest_line(
    row: Mapping[str, str], prefix: str, *, s3_prefix: str | None, creation_date: str
) -> str:
    relative = f"{prefix}{row['split']}/{row['label']}/{row['sample_id']}.png"
    source_ref = f"{s3_prefix.rstrip('/')}/{relative}" if s3_prefix else relative
    entry = {
        "source-ref": source_ref,
        "sound-label": LABELS.index(row["label"]),
        "sound-label-metadata": {
            "class-name": row["label"],
            "confidence": 1,
            "type": "groundtruth/image-classification",
            "job-name": "labeling-job/sounddetect",
            "human-annotated": "yes",
            "creation-date": creation_date,
        },
    }
    return json.dumps(entry)


def _write_json(path: Path, data: Any) -> None:
    # Aside: dataset.json truncated by a full disk would disown the dataset for --overwrite.
    write_aside(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # os.fsdecode's surrogates for bytes that are not UTF-8
        return False
    return True


def check_creatable(path: Path, *, what: str) -> None:
    """Raise ParameterError when ``path`` cannot be made or written, checked before the work,
    not when writing after it: a file stands where one of its parents must be, or the folder
    that would hold what is written (``path`` when it is a folder, else the nearest one
    above it) is on a read-only file system or may not be written to."""
    for folder in ([path] if path.is_dir() else []) + list(path.parents):
        if folder.exists():
            if not folder.is_dir():
                raise ParameterError(f"{path}: {what} lies inside {folder}, which is a file")
            check_writable(folder, path=path, what=what)
            return


def check_writable(folder: Path, *, path: Path, what: str) -> None:
    """Raise ParameterError naming ``path`` when files cannot be made in ``folder``."""
    if os.access(folder, os.W_OK | os.X_OK):
        return
    try:
        read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    where = "on a read-only file system" if read_only else "a folder you may not write to"
    raise ParameterError(f"{path}: {what} cannot be written ({folder} is {where})")


#: What the generator writes in a type's tree (:func:`type_folder`), relative to it: the
#: images (named by :func:`~sounddetect.mixing.draw_sample_specs`'s sample ids) and the
#: manifests.
_OWN_FILE = re.compile(
    rf"({'|'.join(SPLITS)})/({'|'.join(LABELS)})/\1-\d+bg-\d{{4,}}\.png"
    rf"|manifests/({'|'.join(SPLITS)})\.manifest"
)


#: Folder locks this process holds (:func:`_only_run_writing`): closed in a forked worker,
#: which would otherwise hold them as long as it lives, after its parent too.
_HELD_LOCKS: set[int] = set()


def _close_held_locks() -> None:
    for fd in _HELD_LOCKS:
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD_LOCKS.clear()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_close_held_locks)


@contextlib.contextmanager
def _only_run_writing(target: Path) -> Iterator[None]:
    """Hold an advisory lock on the folder ``target`` while the block runs, or refuse.

    Two runs writing one TARGET_PATH would each clear the other's staging folder and mix
    their images under one dataset.json. The lock is the kernel's (``flock``), so it is gone
    when the run ends, however it ends. A file system that cannot lock a folder (some
    network shares) is written without the lock, as before there was one.
    """
    import fcntl  # POSIX only, and only the generator writes datasets

    fd = os.open(target, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ParameterError(
                f"{target}: another run is writing this TARGET_PATH; wait for it to end"
            ) from None
        except OSError as exc:
            logger.debug("%s: not locked (%s)", target, exc.strerror or exc)
        _HELD_LOCKS.add(fd)
        yield
    finally:
        _HELD_LOCKS.discard(fd)
        os.close(fd)


def _refuse_if_being_written(target: Path) -> None:
    """Refuse at once, before any check of what ``target`` holds, while another run is
    writing it: its half-made dataset would be taken for one to replace."""
    if target.is_dir():
        with _only_run_writing(target):
            pass


def _check_target(
    target: Path, *, overwrite: bool, types: Sequence[str], resume: bool = False
) -> list[Path]:
    """What must be removed before writing to ``target``; refuse anything that is not ours.

    Returns the generator's own files and folders of an earlier dataset at ``target`` (empty
    when ``target`` is missing or empty, or holds only a file manager's metadata,
    :data:`~sounddetect.folders.FOLDER_METADATA`). A folder that is not a dataset is refused
    naming what it holds, ``--overwrite`` or not. Nothing is deleted here, so a refusal (or a
    bad source folder found later) leaves ``target`` as it was. The old dataset's tree folders
    (``train/``, ``validate/``, ``test/``, ``manifests/``, or a folder per type) are removed
    whole, so it is refused when they hold a file the generator does not write (see
    :data:`_OWN_FILE`): a user's recording or notes put there. With ``resume`` a dataset an
    interrupted run left incomplete is taken as with ``overwrite``.
    """
    if target.exists() and not target.is_dir():
        raise ParameterError(f"{target}: TARGET_PATH exists and is not a folder")
    if is_broken_link(target):
        raise ParameterError(
            f"{target}: TARGET_PATH is a link to {target.readlink()}, which does not exist"
        )
    check_creatable(target, what="TARGET_PATH")
    # A file manager's litter (.DS_Store) leaves a folder empty, as in the type folders; a
    # user's own hidden file (.gitkeep) does not, and what is there is named when it is not
    # a dataset, since `ls` does not show a hidden file.
    held = (
        sorted(path.name for path in target.iterdir() if path.name not in FOLDER_METADATA)
        if target.exists()
        else []
    )
    if not held:
        return []
    holds = f"it holds {', '.join(held[:2])}" + (
        f" and {len(held) - 2} more" if len(held) > 2 else ""
    )
    try:
        old = read_dataset_info(target)
    except ParameterError:
        # Said with or without --overwrite, so the advice is never a dead end.
        raise ParameterError(
            f"{target}: TARGET_PATH is not empty ({holds}) and not a sounddetect dataset (no "
            "valid dataset.json); refusing to use it even with --overwrite, which deletes only "
            "a dataset: choose an empty folder or move those away"
        ) from None
    incomplete = old.get("complete") is False
    if not overwrite and not (resume and incomplete):
        if incomplete:
            raise ParameterError(
                f"{target}: TARGET_PATH holds a dataset an interrupted run left incomplete; use "
                "--resume to go on from the samples it finished, or --overwrite to generate it "
                "again"
            )
        raise ParameterError(
            f"{target}: TARGET_PATH exists and is not empty; use --overwrite to replace a "
            "dataset written by sounddetect"
        )
    # Only what the generator writes, so files a user put beside it survive.
    old_types = [k for k in old.get("settings", {}).get("types", []) if k in SPECTROGRAM_TYPES]
    old_folders = _layout(target, old_types) if old_types else []
    if len(old_types) == 1 and type_folder(target, old_types[0]) != target:
        old_folders = [target / old_types[0]]  # one type in a folder of its own (type_folder)
    clashes = [
        folder.name
        for folder in _layout(target, types)
        if folder not in old_folders and (folder.exists() or folder.is_symlink())
    ]
    if clashes:
        raise ParameterError(
            f"{target}: {', '.join(clashes)} exist(s) but the old dataset.json does not list "
            "them; move them away first"
        )
    links = [folder for folder in old_folders if folder.is_symlink()]
    if links:
        # Deleting the link alone would leave the old images where it points, unowned, and
        # the new ones on another disk than the user chose for them.
        raise ParameterError(
            f"{links[0]}: this folder of the dataset is a link (to {os.readlink(links[0])}), "
            "and --overwrite replaces the dataset's folders whole; move the folder back in "
            "place of the link, or generate into another TARGET_PATH"
        )
    foreign = [
        path
        for folder in old_folders
        for path in sorted(folder.rglob("*"))
        if not path.is_dir()
        and path.name not in FOLDER_METADATA
        # relative to the type's folder: TARGET_PATH itself for a dataset of one type
        and not _OWN_FILE.fullmatch(
            path.relative_to(folder if folder.name in old_types else target).as_posix()
        )
    ]
    if foreign:
        raise ParameterError(
            f"{target}: {len(foreign)} file(s) in the old dataset's folders were not "
            f"written by sounddetect (the first: {foreign[0]}); --overwrite would delete them "
            "with the folders, so move them away first"
        )
    return old_folders + [
        target / name for name in ("samples.csv", "run.json", "dataset.json", STAGING)
    ]


#: Fewer alarm recordings than this in the validate or test split are warned of: the
#: split's scores would say how a model does on that many sounds.
FEW_SCORED_ALARMS = 3
#: Most lines a Rekognition Custom Labels manifest may hold (its validation rules for
#: manifest files; also the default quota of images in a classification dataset): a train
#: split with more images per type than this is warned of before it is rendered.
REKOGNITION_MANIFEST_LINES = 250_000


def _warn_of_few_scored_alarms(
    sources: Sources, split_of: Mapping[str, str], settings: GeneratorSettings
) -> None:
    counts = {split: 0 for split in SPLITS}
    for clip in sources.clips["alarm"]:
        counts[split_of[clip.name]] += 1
    few = [
        f"{split} {counts[split]}"
        for split, fraction in zip(SPLITS, settings.split, strict=True)
        if split != "train" and fraction > 0 and counts[split] < FEW_SCORED_ALARMS
    ]
    if few:
        warnings.warn(
            f"{settings.target_path}: alarm recordings per split: {', '.join(few)}; a model "
            "chosen and scored on so few sounds is judged on little; add alarm recordings",
            SoundDetectWarning,
            stacklevel=3,
        )


def _check_apart(target: Path, **sources: Path) -> None:
    """Refuse a TARGET_PATH inside a source folder (the next run would scan its images and
    manifests as recordings, a warning line each) or holding one (``--overwrite`` clears
    it)."""
    where = target.resolve()
    for role, folder in sources.items():
        source = folder.resolve()
        if where == source or where.is_relative_to(source):
            raise ParameterError(
                f"{target}: TARGET_PATH lies inside the {role} source {folder}, whose every "
                "file is read as a recording; choose a folder outside it"
            )
        if source.is_relative_to(where):
            raise ParameterError(
                f"{target}: TARGET_PATH holds the {role} source {folder}; choose a folder "
                "apart from the recordings"
            )


def _clear(paths: Sequence[Path]) -> None:
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def generate_dataset(settings: GeneratorSettings, *, progress: bool = True) -> dict[str, Any]:
    """Generate a training dataset: mix, render, write images, side files and manifests.

    Parameters
    ----------
    settings : GeneratorSettings
    progress : bool
        Show a tqdm progress bar on stderr.

    Returns
    -------
    dict
        ``counts`` (as in dataset.json), ``seconds``, ``images``, ``images_per_second``,
        ``target_path``.

    Raises
    ------
    ParameterError
        Bad settings, missing or empty source folders, a TARGET_PATH inside a source folder
        or holding one, or a TARGET_PATH that is not empty (without ``overwrite``) or not a
        sounddetect dataset.
    AudioError
        No usable audio left in a source folder.
    """
    started = time.perf_counter()
    target = settings.target_path
    configs = settings.configs()
    # Check the target before the (slower) source scan, so a refusal comes at once.
    _check_apart(target, alarm=settings.alarm_source, background=settings.background_source)
    _refuse_if_being_written(target)
    # Checked again under the lock, once the sources are read (the result is that one's).
    _check_target(
        target, overwrite=settings.overwrite, types=settings.types, resume=settings.resume
    )
    sources = load_sources(
        settings.alarm_source,
        settings.background_source,
        sr=settings.sr,
        sample_duration=settings.sample_duration,
    )
    split_of = {}
    for role in ROLES:
        split_of.update(
            assign_splits(
                [clip.name for clip in sources.clips[role]],
                fractions=settings.split,
                seed=settings.seed,
                role=role,
            )
        )
    for entry in sources.files:
        entry["split"] = split_of[entry["file"]]
    _warn_of_few_scored_alarms(sources, split_of, settings)

    # Whole alarm/no_alarm pairs per split keep every split balanced; an odd sample goes to
    # the first used split.
    pairs = _largest_remainder(settings.samples_per_layer // 2, settings.split)
    per_split = [2 * n for n in pairs]
    per_split[next(i for i, f in enumerate(settings.split) if f > 0)] += (
        settings.samples_per_layer % 2
    )
    lacking = [
        f"{split} {n_samples}"
        for split, n_samples, fraction in zip(SPLITS, per_split, settings.split, strict=True)
        if fraction > 0 and n_samples < 2
    ]
    if lacking:
        warnings.warn(
            f"{settings.target_path}: --samples-per-layer {settings.samples_per_layer} over the "
            f"split {'/'.join(f'{f:g}' for f in settings.split)} gives {' and '.join(lacking)} "
            "samples per layer count, too few for an alarm and a non-alarm; `sounddetect "
            "train` needs both in train and validate: raise --samples-per-layer",
            SoundDetectWarning,
            stacklevel=2,
        )
    # Each split draws its samples per layer count for every count up to the maximum.
    train_images = per_split[SPLITS.index("train")] * settings.max_background_layers
    if train_images > REKOGNITION_MANIFEST_LINES:
        warnings.warn(
            f"{settings.target_path}: the train split will hold {train_images:,} images per "
            f"type, and its manifest as many lines; Rekognition Custom Labels imports at most "
            f"{REKOGNITION_MANIFEST_LINES:,}: `sounddetect train` takes them all, but for "
            "Rekognition lower --samples-per-layer",
            SoundDetectWarning,
            stacklevel=2,
        )
    specs: list[SampleSpec] = []
    split_names: list[str] = []
    for index, (split, n_samples) in enumerate(zip(SPLITS, per_split, strict=True)):
        if n_samples == 0:
            continue
        split_seed = int(np.random.SeedSequence([settings.seed, index]).generate_state(1)[0])
        backgrounds = [c for c in sources.clips["background"] if split_of[c.name] == split]
        if len(backgrounds) < settings.max_background_layers:
            # The draws take distinct recordings where there are enough, else repeat one:
            # said, since "3bg" then means fewer distinct sounds than its name says.
            warnings.warn(
                f"{settings.target_path}: the {split} split has {len(backgrounds)} background "
                f"recording(s) for up to {settings.max_background_layers} layers, so its "
                f"samples of more than {len(backgrounds)} layer(s) layer one recording on "
                "itself; add background recordings or lower --max-background-layers",
                SoundDetectWarning,
                stacklevel=2,
            )
        drawn = draw_sample_specs(
            [clip for clip in sources.clips["alarm"] if split_of[clip.name] == split],
            backgrounds,
            seed=split_seed,
            sr=settings.sr,
            duration_s=settings.sample_duration,
            samples_per_layer=n_samples,
            max_background_layers=settings.max_background_layers,
            snr_db=("uniform", *settings.snr_db),
            min_active_s=settings.min_active_s,
            snippet_probability=settings.alarm_snippets,
            id_prefix=split,
        )
        specs.extend(drawn)
        split_names.extend([split] * len(drawn))

    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a read-only parent, /sys, a name too long
        raise ParameterError(
            f"{target}: TARGET_PATH cannot be made ({exc.strerror or exc})"
        ) from None
    with _only_run_writing(target):
        return _write_dataset(
            settings,
            specs,
            split_names,
            sources=sources,
            configs=configs,
            progress=progress,
            started=started,
        )


def _write_dataset(
    settings: GeneratorSettings,
    specs: Sequence[SampleSpec],
    split_names: Sequence[str],
    *,
    sources: Sources,
    configs: Mapping[str, SpectrogramConfig],
    progress: bool,
    started: float,
) -> dict[str, Any]:
    """The part of :func:`generate_dataset` that writes, under its TARGET_PATH's lock."""
    target = settings.target_path
    staging = target / STAGING
    # Again, now that no other run can change it: one may have ended since the first.
    stale = _check_target(
        target, overwrite=settings.overwrite, types=settings.types, resume=settings.resume
    )
    info: dict[str, Any] = {
        "format": DATASET_FORMAT,
        "version": __version__,
        "complete": False,
        "seed": settings.seed,
        "settings": settings.recorded(),
        "source_root": str(sources.root),
        # So the sources are found when the dataset and they are moved together.
        "source_root_relative": os.path.relpath(sources.root, target.resolve()),
        "sources": sources.files,
        "skipped": sources.skipped,
        "configs": {kind: config.to_dict() for kind, config in configs.items()},
        "creation_date": _creation_date(settings.seed),
    }
    plan = _plan(info, specs)
    finished = _finished_samples(staging, plan) if settings.resume else None
    try:
        if finished is None:
            _clear([staging])  # an interrupted run's samples, not to be resumed
        if not stale:
            # Written first, so an interrupted run still marks the folder as ours for
            # --overwrite.
            _write_json(target / "dataset.json", info)
    except OSError as exc:  # a folder made read-only
        raise ParameterError(
            f"{target}: TARGET_PATH cannot be written ({exc.strerror or exc})"
        ) from None
    try:
        rows = _write_staged(
            staging,
            settings,
            specs,
            split_names,
            sources=sources,
            configs=configs,
            progress=progress,
            plan=plan,
            finished=finished or {},
        )
        # Only now that the new dataset is whole does the old one go; "complete": false
        # marks the moment between. The old dataset.json, so marked, names the old folders
        # until they are gone, so a run interrupted while deleting them leaves none that
        # --overwrite would not own (the old and new layouts differ between one type and
        # several).
        if stale:
            _write_json(target / "dataset.json", {**read_dataset_info(target), "complete": False})
    except BaseException:
        # An earlier dataset stays as it was, and no half-written tree is left beside it: the
        # samples finished stay in the hidden staging folder for --resume, if there are any.
        _keep_for_resume(staging, target=target, n_samples=len(specs))
        raise
    _clear([path for path in stale if path.name not in ("dataset.json", "samples.csv", STAGING)])
    _write_json(target / "dataset.json", info)
    if len(settings.types) == 1:  # the tree at TARGET_PATH itself (type_folder)
        for folder in _layout(target, settings.types):
            (staging / settings.types[0] / folder.name).rename(folder)
        (staging / settings.types[0]).rmdir()
    else:
        for kind in settings.types:
            (staging / kind).rename(target / kind)
    os.replace(staging / "samples.csv", target / "samples.csv")
    _clear([staging / PLAN_FILE, staging / FINISHED_FILE])
    staging.rmdir()

    counts = _count(rows, settings.types)
    info.update(complete=True, counts=counts)
    _write_json(target / "dataset.json", info)
    seconds = time.perf_counter() - started
    n_images = len(rows) * len(settings.types)
    summary = {
        "target_path": str(target),
        "counts": counts,
        "samples": len(rows),
        "images": n_images,
        "seconds": round(seconds, 3),
        "images_per_second": round(n_images / seconds, 1) if seconds > 0 else None,
        "workers": _workers_for(len(specs), settings.workers),
    }
    _write_json(target / "run.json", summary)
    return summary


def _write_staged(
    staging: Path,
    settings: GeneratorSettings,
    specs: Sequence[SampleSpec],
    split_names: Sequence[str],
    *,
    sources: Sources,
    configs: Mapping[str, SpectrogramConfig],
    progress: bool,
    plan: Mapping[str, Any],
    finished: Mapping[str, tuple[float | None, float]],
) -> list[dict[str, str]]:
    """Render every sample into ``staging`` (``TARGET_PATH/.partial``): the type trees with
    their manifests, and samples.csv; returns samples.csv's rows. The samples ``finished`` by
    an interrupted run of the same ``plan`` (their gains by sample id, :data:`FINISHED_FILE`)
    are not rendered again while their every image is there."""
    from tqdm import tqdm

    for kind in settings.types:
        for split in SPLITS:
            for label in LABELS:
                (staging / kind / split / label).mkdir(parents=True, exist_ok=True)
        (staging / kind / "manifests").mkdir(exist_ok=True)

    alarm_active = {clip.name: clip.active for clip in sources.clips["alarm"]}
    with _writing(staging / PLAN_FILE):  # one cut short is refused by --resume, never used
        (staging / PLAN_FILE).write_text(json.dumps(plan) + "\n", encoding="utf-8")

    def row_of(index: int, alarm_gain_db: float | None, output_gain_db: float) -> dict:
        return _spec_row(
            specs[index],
            split_names[index],
            alarm_gain_db,
            output_gain_db,
            alarm_active=alarm_active,
            sr=settings.sr,
        )

    rows_of: dict[str, dict[str, str]] = {}
    todo = []
    for index, spec in enumerate(specs):
        if spec.sample_id in finished:
            row = row_of(index, *finished[spec.sample_id])
            if all(image_path(staging / kind, row).is_file() for kind in settings.types):
                rows_of[spec.sample_id] = row
                continue
        todo.append(index)
    if finished:
        logger.info(
            "%s: resuming: %d of %d samples finished, rendering the rest",
            settings.target_path,
            len(rows_of),
            len(specs),
        )
    log_path = staging / FINISHED_FILE
    with _writing(log_path):
        # Unbuffered: a write that fails (a full disk) fails once, not again on closing.
        log = open(log_path, "ab", buffering=0)  # noqa: SIM115 (closed with the others)
    bar = tqdm(
        total=len(specs),
        initial=len(specs) - len(todo),
        desc="samples",
        unit="sample",
        disable=not progress,
    )
    chunks = _render_all(
        [specs[index] for index in todo],
        audio=sources.audio,
        configs=configs,
        sr=settings.sr,
        workers=_workers_for(len(todo), settings.workers),
    )
    # Closed on any error here (an image that cannot be written), so the workers are
    # stopped now: left to the interpreter's exit, their pool's clean-up can hang.
    with bar, contextlib.closing(chunks), log:
        position = 0
        for chunk in chunks:
            for images, alarm_gain_db, output_gain_db in chunk:
                index = todo[position]
                spec, row = specs[index], row_of(index, alarm_gain_db, output_gain_db)
                for kind, png in images.items():
                    path = image_path(staging / kind, row)
                    with _writing(path):
                        path.write_bytes(png)
                # Logged once its every image is written: a line stands for a whole sample.
                with _writing(log_path):
                    line = json.dumps([spec.sample_id, alarm_gain_db, output_gain_db])
                    log.write(f"{line}\n".encode())
                rows_of[spec.sample_id] = row
                position += 1
            bar.update(len(chunk))
    rows = [rows_of[spec.sample_id] for spec in specs]

    with (
        _writing(staging / "samples.csv"),
        open(staging / "samples.csv", "w", newline="", encoding="utf-8") as handle,
    ):
        writer = csv.DictWriter(handle, fieldnames=SAMPLE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    creation_date = _creation_date(settings.seed)
    for kind in settings.types:
        for split in SPLITS:
            # Paths from TARGET_PATH, where the tree will be (type_folder).
            prefix = f"{kind}/" if len(settings.types) > 1 else ""
            lines = [
                _manifest_line(
                    row, prefix, s3_prefix=settings.s3_prefix, creation_date=creation_date
                )
                for row in rows
                if row["split"] == split
            ]
            manifest = staging / kind / "manifests" / f"{split}.manifest"
            with _writing(manifest):
                manifest.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return rows


def _plan(info: Mapping[str, Any], specs: Sequence[SampleSpec]) -> dict[str, Any]:
    """What a run renders, as :data:`PLAN_FILE` records it: a sha256 over its dataset.json
    (settings, sources and their sha256, configs, the sounddetect version) and every sample's
    recipe, so that ``--resume`` goes on only from a run that drew the same samples."""
    digest = hashlib.sha256()
    recorded = {key: value for key, value in info.items() if key != "complete"}
    digest.update(json.dumps(recorded, sort_keys=True).encode())
    for spec in specs:
        digest.update(repr(spec).encode())
    return {"sha256": digest.hexdigest(), "samples": len(specs)}


def _finished_samples(
    staging: Path, plan: Mapping[str, Any]
) -> dict[str, tuple[float | None, float]] | None:
    """The gains (alarm, output; dB) by sample id of the samples an interrupted run of the
    same ``plan`` logged as finished in ``staging``. None (with a warning) when no
    interrupted run's samples are there.

    Raises
    ------
    ParameterError
        ``staging`` holds the samples of a run that drew others.
    """
    target = staging.parent
    try:
        kept = json.loads((staging / PLAN_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        warnings.warn(
            f"{target}: --resume: no interrupted run's samples to go on from; generating all "
            f"{plan['samples']:,}",
            SoundDetectWarning,
            stacklevel=4,
        )
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParameterError(
            f"{staging / PLAN_FILE}: unreadable ({getattr(exc, 'strerror', None) or exc}); run "
            "without --resume to generate the dataset from the start"
        ) from None
    if kept != plan:
        raise ParameterError(
            f"{target}: --resume: the interrupted run drew other samples (other settings, "
            "sources or sounddetect version); run without --resume to generate them all"
        )
    return _read_finished(staging)


def _read_finished(staging: Path) -> dict[str, tuple[float | None, float]]:
    """The gains (alarm, output; dB) by sample id that :data:`FINISHED_FILE` in ``staging``
    logs; empty when there is no log."""
    try:
        lines = (staging / FINISHED_FILE).read_bytes().splitlines()
    except FileNotFoundError:
        lines = []
    finished = {}
    for line in lines:
        try:
            sample_id, alarm_gain_db, output_gain_db = json.loads(line)
        except ValueError:  # the last line, cut short as the run stopped
            continue
        finished[sample_id] = (alarm_gain_db, output_gain_db)
    return finished


def _keep_for_resume(staging: Path, *, target: Path, n_samples: int) -> None:
    """After a run stopped: keep ``staging`` for ``--resume`` when it holds finished samples,
    saying so in a warning, else remove it."""
    try:
        # Each sample once (one whose image was lost is logged again).
        n_finished = len(_read_finished(staging))
    except OSError:
        n_finished = 0
    if not n_finished:
        shutil.rmtree(staging, ignore_errors=True)
        return
    warnings.warn(
        f"{target}: {n_finished:,} of {n_samples:,} samples are kept in {staging}; the same "
        "command with --resume renders only the rest",
        SoundDetectWarning,
        stacklevel=3,
    )


def _workers_for(n_samples: int, workers: int) -> int:
    """Worker processes that render ``n_samples``: one chunk of work each at least."""
    return min(workers, max(1, math.ceil(n_samples / CHUNK_SIZE)))


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[None]:
    """An OSError while writing ``path`` (a full disk, a name too long, a folder deleted or
    made read-only meanwhile) as one line naming the file; the run's staging goes with it."""
    try:
        yield
    except OSError as exc:
        raise SoundDetectError(f"{path}: not written ({exc.strerror or exc})") from exc


def _count(rows: Sequence[Mapping[str, str]], types: Sequence[str]) -> dict[str, Any]:
    by_split = {split: {label: 0 for label in LABELS} for split in SPLITS}
    for row in rows:
        by_split[row["split"]][row["label"]] += 1
    return {
        "samples": len(rows),
        "by_split": by_split,
        "images_per_type": {kind: len(rows) for kind in types},
    }


def format_summary(summary: Mapping[str, Any]) -> str:
    """A generator summary as a short text table: counts per split and label, per type."""
    counts = summary["counts"]
    lines = [f"{'split':<10}{'alarm':>8}{'no_alarm':>10}{'total':>8}"]
    for split in SPLITS:
        alarm = counts["by_split"][split]["alarm"]
        no_alarm = counts["by_split"][split]["no_alarm"]
        lines.append(f"{split:<10}{alarm:>8}{no_alarm:>10}{alarm + no_alarm:>8}")
    types = ", ".join(f"{kind} {n}" for kind, n in counts["images_per_type"].items())
    lines.append(f"images per type: {types}")
    rate = summary["images_per_second"]
    lines.append(
        f"{summary['images']} images in {summary['seconds']:.1f} s "
        f"({rate if rate is not None else '-'} images/s, {summary['workers']} worker(s)) "
        f"-> {summary['target_path']}"
    )
    return "\n".join(lines)


# -- readers ----------------------------------------------------------------------------------


def read_dataset_info(target_path: str | os.PathLike) -> dict[str, Any]:
    """The dataset.json of a generated dataset.

    Raises
    ------
    ParameterError
        It is missing, not JSON, or not a sounddetect dataset; ``target_path`` is a file.
    """
    check_dataset_folder(target_path)
    return _load_dataset_json(Path(target_path) / "dataset.json")


#: The split of a test-only dataset (``--split 0 0 1``, as ``sounddetect evaluate`` renders
#: a corpus), as dataset.json records it.
TEST_ONLY_SPLIT = {"train": 0.0, "validate": 0.0, "test": 1.0}


def is_test_only_dataset(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` holds a dataset of test images only: rendered again from its
    sources at no loss, where a training dataset holds the mixes a model learnt from."""
    try:
        info = read_dataset_info(folder)
    except ParameterError:
        return False
    return info.get("settings", {}).get("split") == TEST_ONLY_SPLIT


def check_dataset_folder(target_path: str | os.PathLike) -> None:
    """Raise :class:`ParameterError` when ``target_path`` is a file (its dataset.json or
    samples.csv given for the folder): said so, not as a file under it that cannot be read."""
    if Path(target_path).is_file():
        raise ParameterError(
            f"{target_path}: a file, not a dataset folder (the folder `sounddetect generate` "
            "wrote, holding dataset.json and samples.csv)"
        )


def _load_dataset_json(path: Path) -> dict[str, Any]:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParameterError(f"{path}: not a readable dataset.json ({exc})") from exc
    if not isinstance(info, dict) or info.get("format") != DATASET_FORMAT:
        raise ParameterError(f"{path}: not a sounddetect dataset (format {DATASET_FORMAT})")
    return info


def _refuse_incomplete(target_path: str | os.PathLike, info: dict[str, Any]) -> None:
    if info.get("complete") is False:
        raise ParameterError(
            f"{target_path}: an interrupted `sounddetect generate` left this dataset incomplete; "
            "finish it with the same command and --resume"
        )


def dataset_config(
    target_path: str | os.PathLike, *, kind: str | None = "mel"
) -> SpectrogramConfig:
    """The :class:`SpectrogramConfig` the generator rendered one type of a dataset with.

    Parameters
    ----------
    target_path : str or path-like
        The generator's output folder, or a dataset.json file (a copy may have another
        name).
    kind : str or None
        Spectrogram type; the default is the generator's, and None takes the dataset's only
        type, whichever it is.

    Returns
    -------
    SpectrogramConfig

    Raises
    ------
    ParameterError
        ``target_path`` does not exist; dataset.json is missing (the message names what a
        dataset has that the folder lacks) or not a sounddetect dataset's; the dataset is
        incomplete (its generation was interrupted); it holds no config of type ``kind``, or
        several types and ``kind`` is None; or the config is not valid. Each message starts
        with ``target_path``.
    """
    path = Path(target_path)
    try:
        is_file, exists = path.is_file(), path.exists()
        has_json = is_file or not path.is_dir() or (path / "dataset.json").exists()
    except OSError:  # a folder on the way cannot be searched (Python 3.11 raises): said below
        is_file, exists, has_json = False, True, True
    if not exists:
        what = "file" if path.suffix == ".json" else "folder"
        raise ParameterError(f"{target_path}: no such {what}")
    if not has_json:
        # A folder of images laid out by hand (as for Rekognition), or the wrong folder.
        missing = [name for name in ("dataset.json", "samples.csv") if not (path / name).exists()]
        raise ParameterError(
            f"{target_path}: not a dataset made by `sounddetect generate`: it has no "
            f"{' and no '.join(missing)}; train and evaluate take the generator's folder "
            "(dataset.json, samples.csv listing each image's split and label, and the images)"
        )
    info = _load_dataset_json(path if is_file else path / "dataset.json")
    _refuse_incomplete(target_path, info)
    configs = info.get("configs")
    if not isinstance(configs, dict) or not configs:
        raise ParameterError(f"{target_path}: the dataset.json holds no spectrogram configs")
    held = ", ".join(sorted(configs))
    if kind is None:
        if len(configs) > 1:
            raise ParameterError(f"{target_path}: a dataset of types {held}; say which with --type")
        kind = next(iter(configs))
    if kind not in configs:
        raise ParameterError(f"{target_path} has no {kind!r} images; types present: {held}")
    try:
        config = SpectrogramConfig.from_dict(configs[kind])
    except ParameterError as exc:
        raise ParameterError(f"{target_path}: its {kind} config: {exc}") from exc
    if config.kind != kind:
        # an edited dataset.json: a model would be trained on one type's images and told
        # in its model.json to render another's
        raise ParameterError(
            f"{target_path}: the config of its {kind} images says kind {config.kind!r}; it "
            f"must say {kind!r} (dataset.json edited?)"
        )
    return config


def read_samples(target_path: str | os.PathLike) -> list[dict[str, str]]:
    """The rows of samples.csv, as strings exactly as written (see :data:`SAMPLE_COLUMNS`).

    Empty strings stand for "none" (``snr_db``, ``alarm_*`` of no_alarm samples); lists
    (``background_*``) are ``;``-joined, and ``alarm_sounding_s`` is ``;``-joined
    ``start:end`` pairs in seconds of the window. :func:`spec_from_row` turns a row into a
    spec.

    Raises
    ------
    ParameterError
        samples.csv is missing, not UTF-8 or lacks columns.
    """
    path = Path(target_path) / "samples.csv"
    try:
        # utf-8-sig: a samples.csv saved from a spreadsheet as "CSV UTF-8" starts with a
        # byte-order mark, which would otherwise be read as part of the first column's name.
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = set(SAMPLE_COLUMNS) - set(reader.fieldnames or ())
            if missing:
                raise ParameterError(
                    f"{path}: missing columns {', '.join(sorted(missing))} (made by an older "
                    "sounddetect? generate the dataset again)"
                )
            return list(reader)
    except OSError as exc:
        raise ParameterError(f"{path}: not readable ({exc})") from exc
    except UnicodeDecodeError as exc:  # saved from a spreadsheet as "CSV (Windows-1252)"
        raise ParameterError(
            f"{path}: not UTF-8 (a byte {exc.object[exc.start]:#04x}); save it as CSV UTF-8, "
            "or generate the dataset again"
        ) from None


def source_digests(target_path: str | os.PathLike, *, splits: Sequence[str]) -> list[str]:
    """The sorted sha256 of the source clips (alarms and backgrounds) of ``splits``, as
    dataset.json records them."""
    sources = read_dataset_info(target_path).get("sources", [])
    return sorted({entry["sha256"] for entry in sources if entry.get("split") in splits})


def type_folder(target_path: str | os.PathLike, kind: str) -> Path:
    """The folder of a dataset's ``kind`` tree (``train/``, ``validate/``, ``test/`` and
    ``manifests/``): ``TARGET_PATH`` itself when the dataset holds one type, as DESIGN.md
    lays one out, ``TARGET_PATH/<kind>`` when it holds several (dataset.json's ``configs``).

    Raises
    ------
    ParameterError
        ``kind`` is not a spectrogram type, or dataset.json is missing or not a dataset's.
    """
    if kind not in SPECTROGRAM_TYPES:
        raise ParameterError(
            f"unknown spectrogram type {kind!r}; choose from {', '.join(SPECTROGRAM_TYPES)}"
        )
    target = Path(target_path)
    types = list(read_dataset_info(target).get("configs", {}))
    if types != [kind]:
        return target / kind
    if (target / kind / "manifests").is_dir() and not (target / "manifests").is_dir():
        return target / kind  # one type, written before 2026-12-03 in a folder of its own
    return target


def _layout(target: Path, types: Sequence[str]) -> list[Path]:
    """The folders of the type trees a dataset of ``types`` writes at ``target`` (see
    :func:`type_folder`)."""
    if len(types) == 1:
        return [target / name for name in (*SPLITS, "manifests")]
    return [target / kind for kind in types]


def image_path(folder: str | os.PathLike, row: Mapping[str, str]) -> Path:
    """Where the image of a samples.csv row lives in a type's ``folder``
    (:func:`type_folder`)."""
    return Path(folder) / row["split"] / row["label"] / f"{row['sample_id']}.png"


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(value) for value in text.split(";")) if text else ()


def spec_from_row(row: Mapping[str, str], *, duration_s: float) -> SampleSpec:
    """The :class:`~sounddetect.mixing.SampleSpec` a samples.csv row records.

    ``duration_s`` is the dataset's SAMPLE_DURATION (``settings.sample_duration`` in
    dataset.json).
    """
    alarm = bool(row["alarm_file"])
    return SampleSpec(
        sample_id=row["sample_id"],
        seed=int(row["seed"]),
        label=row["label"],
        duration_s=float(duration_s),
        background_files=tuple(row["background_files"].split(";")),
        background_offsets_s=_floats(row["background_offsets_s"]),
        background_gains_db=_floats(row["background_gains_db"]),
        level_db=float(row["level_db"]),
        alarm_file=row["alarm_file"] if alarm else None,
        alarm_offset_s=float(row["alarm_offset_s"]) if alarm else 0.0,
        alarm_onset_s=float(row["alarm_onset_s"]) if alarm else 0.0,
        alarm_duration_s=float(row["alarm_duration_s"]) if alarm else 0.0,
        snr_db=float(row["snr_db"]) if row["snr_db"] else None,
    )


def check_source(path: Path, *, sha256: str | None, what: str = "source file") -> None:
    """Raise unless the source file at ``path`` is the one the generator read.

    Parameters
    ----------
    path : Path
        The source file, under the dataset's ``source_root``.
    sha256 : str or None
        Its digest as dataset.json's ``sources`` record it; None skips that comparison.
    what : str
        What the file is, for the message when it is missing.

    Raises
    ------
    AudioError
        If the file is missing, or its sha256 differs from ``sha256``.
    """
    if not path.is_file():
        raise AudioError(f"{path}: {what} is missing")
    if sha256 is not None and _sha256(path) != sha256:
        raise AudioError(f"{path}: changed since the dataset was generated (sha256 differs)")


def source_folder(target_path: str | os.PathLike, info: Mapping[str, Any]) -> Path:
    """The folder that holds a dataset's source files now: where ``dataset.json`` (``info``)
    recorded it (``source_root``), or, when that folder is gone, the same place relative to
    the dataset folder (``source_root_relative``): a project folder moved or copied whole,
    data and recordings together.

    Raises
    ------
    AudioError
        Neither folder exists (datasets made before 2026-12-02 record no relative place).
    """
    root = Path(info["source_root"])
    relative = info.get("source_root_relative")
    if not root.is_dir() and relative is not None:
        root = Path(os.path.normpath(Path(target_path).resolve() / relative))
    if not root.is_dir():
        tried = " nor at ".join(dict.fromkeys([info["source_root"], str(root)]))
        folders = " and ".join(
            sorted({f"{entry['file'].split('/')[0]}/" for entry in info.get("sources", [])})
        )
        raise AudioError(
            f"{target_path}: the source folder is not at {tried}; put {folders} back there "
            f"(a link will do), or from Python pass source_root=, the folder that now holds "
            f"{folders}"
        )
    return root


def rebuild_sample(
    target_path: str | os.PathLike,
    sample_id: str,
    *,
    source_root: str | os.PathLike | None = None,
) -> np.ndarray:
    """Mix one sample of a dataset again, from its samples.csv row and the source files.

    Parameters
    ----------
    target_path : path-like
        The dataset folder.
    sample_id : str
    source_root : path-like or None
        The folder that holds the source files now (the one dataset.json's ``source_root``
        names, which samples.csv's file names are relative to). None looks where
        dataset.json recorded it, and when that folder is gone, at the same place relative
        to the dataset folder (``source_root_relative``): a project folder moved or copied
        whole, data and recordings together. The files' sha256 are checked either way.

    Returns
    -------
    np.ndarray [shape=(window,) or (channels, window), dtype=float32]
        Bit-identical to the mixture the generator rendered.

    Raises
    ------
    ParameterError
        Not a dataset, one an interrupted run left incomplete, or no such sample.
    AudioError
        The source folder is not found, or a source file is gone, unreadable, or changed
        since generation (sha256 differs).
    """
    info = read_dataset_info(target_path)
    _refuse_incomplete(target_path, info)
    rows = [row for row in read_samples(target_path) if row["sample_id"] == sample_id]
    if not rows:
        raise ParameterError(f"{target_path}: no sample {sample_id!r} in samples.csv")
    settings = info["settings"]
    sr = int(settings["sr"])
    spec = spec_from_row(rows[0], duration_s=settings["sample_duration"])
    names = (*spec.background_files, *filter(None, [spec.alarm_file]))
    root = Path(source_root) if source_root is not None else source_folder(target_path, info)
    recorded = {entry["file"]: entry["sha256"] for entry in info["sources"]}
    audio = {}
    for name in names:
        path = root / name
        check_source(path, sha256=recorded.get(name), what=f"source file of {sample_id}")
        audio[name] = _load_source(path, sr=sr)
    return mix_stems(spec, sources=audio, sr=sr).y
