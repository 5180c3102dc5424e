"""Mixing training samples: declarative sample specs, drawn from distributions, rendered to audio.

A :class:`SampleSpec` is the complete recipe of one training sample (scaper's ``EventSpec``
idea): which background excerpts at which gains, which alarm excerpt where in the window, the
alarm-to-background ratio and the output level. Specs are drawn once, from seeded
distributions, and written to ``samples.csv``; mixing a spec is deterministic, so any sample
can be rebuilt exactly from its row.

Specs
    SampleSpec
    SourceClip
    draw_sample_specs
Distributions
    validate_distribution
    sample_distribution
Mixing
    mix_sample
    mix_stems
    Mixture
Measurement
    active_frames
    active_snr_db
    sounding_intervals
    source_kind
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import numpy as np

from sounddetect._checks import is_integer, is_number
from sounddetect.events import LABELS
from sounddetect.exceptions import AudioError, ParameterError

#: Distribution tuples a spec parameter may be drawn from, with the number of arguments each
#: takes. HEADS UP: a new distribution must be added here, in validate_distribution and in
#: sample_distribution.
SUPPORTED_DISTRIBUTIONS = {"const": 1, "uniform": 2, "choose": 1}

#: Samples per frame when the alarm's active part is measured: 16 ms at 16 kHz, short enough
#: to follow the 0.5 s beeps of a temporal-three pattern.
FRAME_LENGTH = 256

#: A frame is active when its power is within this many dB of the alarm's loudest frame.
ACTIVE_THRESHOLD_DB = -20.0

#: A frame whose strongest bin stands less than this many dB above the median of the bins
#: around it (17 bins, about 1 kHz at 16 kHz) is noise-like: an alarm's tone, and a speaker
#: tone's partials, stand further out, and a local median follows coloured noise's slope.
NOISE_TONALITY_DB = 12.0

#: Where a recording's noise floor is within :data:`ACTIVE_THRESHOLD_DB` of its loudest
#: frame, a frame must rise this many dB above that floor to be active.
NOISE_MARGIN_DB = 6.0

#: Peak level the output is limited to (about -0.2 dBFS), so PNG-bound audio never clips.
PEAK_LIMIT = 0.975

#: Fade in and out of a cut alarm excerpt, in seconds: removes the click of a hard cut.
FADE_S = 0.005

#: Samples per background layer count (24,000 with three layers): five times 4,800 at the
#: same training compute raised held-out ROC-AUC from 0.913 to 0.928 (more mixes of the same
#: clips, fewer mixes learnt by heart), and more so with the longer training bfloat16 allows
#: (docs/model-trials.md).
DEFAULT_SAMPLES_PER_LAYER = 8000


def source_kind(name: str) -> str:
    """The kind of a source file: its stem up to the first ``_`` (``chirp_003.wav`` -> chirp)."""
    return PurePosixPath(name).stem.split("_", 1)[0]


# -- distributions ----------------------------------------------------------------------------


def validate_distribution(dist: Any, *, name: str) -> tuple:
    """Check a distribution tuple and return it as a tuple.

    Parameters
    ----------
    dist : tuple
        ``("const", value)``, ``("uniform", low, high)`` or ``("choose", [values...])``.
    name : str
        The parameter's name, quoted in error messages.

    Raises
    ------
    ParameterError
        Unknown distribution, wrong number of arguments, non-finite values, ``low > high``
        or an empty choice list.
    """
    if not isinstance(dist, (tuple, list)) or not dist or dist[0] not in SUPPORTED_DISTRIBUTIONS:
        raise ParameterError(
            f"{name}: expected a distribution tuple starting with one of "
            f"{', '.join(SUPPORTED_DISTRIBUTIONS)}, got {dist!r}"
        )
    kind, args = dist[0], tuple(dist[1:])
    if len(args) != SUPPORTED_DISTRIBUTIONS[kind]:
        raise ParameterError(f"{name}: {kind!r} takes {SUPPORTED_DISTRIBUTIONS[kind]} values")
    values = list(args[0]) if kind == "choose" else list(args)
    if not values:
        raise ParameterError(f"{name}: 'choose' needs at least one value, got {dist!r}")
    if not all(is_number(v) and math.isfinite(v) for v in values):
        raise ParameterError(f"{name}: values must be finite numbers, got {dist!r}")
    if kind == "uniform" and args[0] > args[1]:
        raise ParameterError(f"{name}: uniform needs low <= high, got {args[0]} > {args[1]}")
    return (kind, *args)


def sample_distribution(dist: tuple, rng: np.random.Generator) -> float:
    """Draw one value from a (validated) distribution tuple."""
    kind = dist[0]
    if kind == "const":
        return float(dist[1])
    if kind == "uniform":
        return float(rng.uniform(dist[1], dist[2]))
    return float(dist[1][rng.integers(len(dist[1]))])


# -- specs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleSpec:
    """The complete recipe of one training sample.

    Times are in seconds at sample precision (integer samples divided by the sample rate), so
    they convert back to the same sample offsets exactly.

    Attributes
    ----------
    sample_id : str
        Unique within a dataset; the image file name.
    seed : int
        The seed this spec's random values were drawn with.
    label : str
        ``"alarm"`` or ``"no_alarm"``.
    duration_s : float
        Window length in seconds (SAMPLE_DURATION).
    background_files : tuple of str
        Source names (keys of the ``sources`` mapping), one per layer.
    background_offsets_s : tuple of float
        Where each background excerpt starts in its file.
    background_gains_db : tuple of float
        Gain of each layer relative to its file's own level.
    level_db : float
        RMS level of the mixture in dBFS before peak limiting.
    alarm_file : str or None
        Source name of the alarm. Every ``alarm`` sample has one; a ``no_alarm`` sample may
        hold a *snippet* of one (a single beep or pip, too little alarm sound to be an
        alarm: an alarm's sound without its pattern, like a low-battery chirp).
    alarm_offset_s : float
        Where the alarm excerpt starts in its file.
    alarm_onset_s : float
        Where the alarm excerpt starts in the window (> 0: the alarm starts inside it).
    alarm_duration_s : float
        Length of the alarm excerpt (shorter than the window: it starts or stops inside it).
    snr_db : float or None
        Alarm-to-background power ratio in dB over the alarm's active frames.
    """

    sample_id: str
    seed: int
    label: str
    duration_s: float
    background_files: tuple[str, ...]
    background_offsets_s: tuple[float, ...]
    background_gains_db: tuple[float, ...]
    level_db: float
    alarm_file: str | None = None
    alarm_offset_s: float = 0.0
    alarm_onset_s: float = 0.0
    alarm_duration_s: float = 0.0
    snr_db: float | None = None

    def __post_init__(self) -> None:
        if self.label not in LABELS:
            raise ParameterError(f"{self.sample_id}: unknown label {self.label!r}")
        if self.label == "alarm" and self.alarm_file is None:
            raise ParameterError(f"{self.sample_id}: label {self.label!r} needs alarm_file")
        if self.alarm_file is not None and self.snr_db is None:
            raise ParameterError(f"{self.sample_id}: an alarm excerpt needs snr_db")
        n = len(self.background_files)
        if n == 0 or n != len(self.background_offsets_s) or n != len(self.background_gains_db):
            raise ParameterError(
                f"{self.sample_id}: need one offset and gain per background file, got "
                f"{n} files, {len(self.background_offsets_s)} offsets, "
                f"{len(self.background_gains_db)} gains"
            )
        times = {
            "duration_s": self.duration_s,
            "alarm_offset_s": self.alarm_offset_s,
            "alarm_onset_s": self.alarm_onset_s,
            "alarm_duration_s": self.alarm_duration_s,
            **{f"background_offsets_s[{i}]": v for i, v in enumerate(self.background_offsets_s)},
        }
        levels = {
            "level_db": self.level_db,
            "snr_db": 0.0 if self.snr_db is None else self.snr_db,
            **{f"background_gains_db[{i}]": v for i, v in enumerate(self.background_gains_db)},
        }
        # NaN would mix NaN audio unsaid; a negative time would take an excerpt from the end
        for name, value in {**times, **levels}.items():
            if not math.isfinite(value):
                raise ParameterError(f"{self.sample_id}: {name} must be finite, got {value}")
        for name, value in times.items():
            if value < 0 or (name == "duration_s" and value == 0):
                least = "> 0" if name == "duration_s" else ">= 0"
                raise ParameterError(f"{self.sample_id}: {name} must be {least} s, got {value}")

    @property
    def n_layers(self) -> int:
        """Number of background layers."""
        return len(self.background_files)

    @property
    def background_kinds(self) -> tuple[str, ...]:
        """The kind of each background layer (see :func:`source_kind`)."""
        return tuple(source_kind(name) for name in self.background_files)


@dataclass(frozen=True, eq=False)
class SourceClip:
    """What drawing specs needs to know about one decoded source file.

    Attributes
    ----------
    name : str
        The key of its audio in the ``sources`` mapping.
    n_samples : int
        Length at the generator's sample rate, per channel.
    active : np.ndarray [shape=(n_frames,), dtype=bool] or None
        Which :data:`FRAME_LENGTH` frames are active (alarms only), from :func:`active_frames`.
    """

    name: str
    n_samples: int
    active: np.ndarray | None = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        return source_kind(self.name)


def draw_sample_specs(
    alarms: Sequence[SourceClip],
    backgrounds: Sequence[SourceClip],
    *,
    seed: int,
    sr: int = 16000,
    duration_s: float = 4.0,
    samples_per_layer: int = DEFAULT_SAMPLES_PER_LAYER,
    max_background_layers: int = 3,
    snr_db: tuple = ("uniform", -5.0, 25.0),
    background_gain_db: tuple = ("uniform", -12.0, 0.0),
    level_db: tuple = ("uniform", -32.0, -14.0),
    min_active_s: float = 1.0,
    partial_alarm_probability: float = 0.3,
    snippet_probability: float = 0.25,
    id_prefix: str = "s",
) -> list[SampleSpec]:
    """Draw the specs of a balanced set of samples.

    For each layer count ``n`` from 1 to ``max_background_layers``, ``samples_per_layer``
    samples are made from ``n`` background excerpts each; every other one also holds an
    alarm excerpt (alarm, no_alarm, alarm, ...). Each spec draws from its own generator,
    seeded from ``(seed, n, index)``, so a spec does not change when others are added.

    Parameters
    ----------
    alarms, backgrounds : sequence of SourceClip
        The clips to draw from. Backgrounds must be at least one window long; alarms need
        ``active`` frames.
    seed : int
        Seed of the whole draw.
    sr : int
        Sample rate in Hz of the decoded sources.
    duration_s : float
        Window length in seconds.
    samples_per_layer : int
        Samples per background layer count.
    max_background_layers : int
        Largest number of background layers.
    snr_db, background_gain_db, level_db : distribution tuple
        Alarm-to-background ratio (dB over the alarm's active part), per-layer background
        gain (dB) and output RMS level (dBFS).
    min_active_s : float
        Least active alarm sound in seconds an alarm window holds, so its label is true; for
        a clip whose most active window holds less (a CO alarm's four 0.1 s beeps every 5 s),
        as much as that window holds.
    partial_alarm_probability : float
        Chance that the alarm excerpt is shorter than the window and so starts or stops
        inside it.
    snippet_probability : float
        Chance that a ``no_alarm`` sample also holds an alarm snippet (see
        :func:`_place_snippet`): one beep or pip of an alarm clip, at most half the alarm
        sound an alarm window needs. An alarm's tone without its pattern is what a
        low-battery chirp or a test press sounds like, and it keeps the model from calling
        every tone with an alarm's timbre an alarm. Drawn from the sample's own second
        generator, so the rest of the spec is the same with or without it.
    id_prefix : str
        Start of every sample id (``<prefix>-<n>bg-<index>``).

    Returns
    -------
    list of SampleSpec
        Ordered by layer count, then index.

    Raises
    ------
    ParameterError
        Bad counts, seed, lengths or distributions, no clips, or a background shorter than
        one window.
    """
    snr_db = validate_distribution(snr_db, name="snr_db")
    background_gain_db = validate_distribution(background_gain_db, name="background_gain_db")
    level_db = validate_distribution(level_db, name="level_db")
    if samples_per_layer < 0 or max_background_layers < 1:
        raise ParameterError(
            f"need samples_per_layer >= 0 and max_background_layers >= 1, got "
            f"{samples_per_layer} and {max_background_layers}"
        )
    for name, probability in (
        ("partial_alarm_probability", partial_alarm_probability),
        ("snippet_probability", snippet_probability),
    ):
        if not 0.0 <= probability <= 1.0:
            raise ParameterError(f"{name} must be in [0, 1], got {probability}")
    # numpy's generators take a seed >= 0; None would draw other specs each run
    if not is_integer(seed) or seed < 0:
        raise ParameterError(f"seed must be an integer >= 0, got {seed!r}")
    if not (math.isfinite(duration_s) and duration_s > 0 and min_active_s >= 0):
        raise ParameterError(
            f"need duration_s > 0 and min_active_s >= 0 (seconds), got {duration_s} and "
            f"{min_active_s}"
        )
    window = int(round(duration_s * sr))
    if samples_per_layer and (not alarms or not backgrounds):
        raise ParameterError(
            f"{id_prefix}: need alarm and background clips, got {len(alarms)} and "
            f"{len(backgrounds)}"
        )
    for clip in backgrounds:
        if clip.n_samples < window:
            raise ParameterError(f"{clip.name}: background shorter than the window")
    for clip in alarms:
        if clip.active is None:
            raise ParameterError(f"{clip.name}: alarm clip without active frames")

    min_active_frames = math.ceil(min_active_s * sr / FRAME_LENGTH)
    # Prefix sums of each clip's active frames, so any excerpt's count is one subtraction.
    cumulative = {clip.name: _cumulative_active(clip.active) for clip in alarms}
    most_active = {name: _most_active_frames(c, window) for name, c in cumulative.items()}
    specs = []
    for n_layers in range(1, max_background_layers + 1):
        for index in range(samples_per_layer):
            sample_seed = int(np.random.SeedSequence([seed, n_layers, index]).generate_state(1)[0])
            rng = np.random.default_rng(sample_seed)
            label = "alarm" if index % 2 == 0 else "no_alarm"
            # Distinct backgrounds where there are enough, so layers are different sounds.
            picks = rng.choice(len(backgrounds), n_layers, replace=len(backgrounds) < n_layers)
            files, offsets, gains = [], [], []
            for pick in picks:
                clip = backgrounds[int(pick)]
                files.append(clip.name)
                offsets.append(int(rng.integers(0, clip.n_samples - window + 1)) / sr)
                gains.append(sample_distribution(background_gain_db, rng))
            alarm: dict[str, Any] = {}
            if label == "alarm":
                clip = alarms[int(rng.integers(len(alarms)))]
                placed = _place_alarm(
                    clip,
                    cumulative[clip.name],
                    rng,
                    window=window,
                    min_active_frames=min(min_active_frames, most_active[clip.name]),
                    partial_probability=partial_alarm_probability,
                )
                alarm = _alarm_fields(clip, placed, sample_distribution(snr_db, rng), sr=sr)
            else:
                snippet_rng = np.random.default_rng([sample_seed, 1])
                if snippet_rng.random() < snippet_probability:
                    clip = alarms[int(snippet_rng.integers(len(alarms)))]
                    placed = _place_snippet(
                        clip,
                        cumulative[clip.name],
                        snippet_rng,
                        window=window,
                        max_active_frames=min(min_active_frames, most_active[clip.name]) // 2,
                        sr=sr,
                    )
                    if placed is not None:
                        snr = sample_distribution(snr_db, snippet_rng)
                        alarm = _alarm_fields(clip, placed, snr, sr=sr)
            specs.append(
                SampleSpec(
                    sample_id=f"{id_prefix}-{n_layers}bg-{index:04d}",
                    seed=sample_seed,
                    label=label,
                    duration_s=float(duration_s),
                    background_files=tuple(files),
                    background_offsets_s=tuple(offsets),
                    background_gains_db=tuple(gains),
                    level_db=sample_distribution(level_db, rng),
                    **alarm,
                )
            )
    return specs


def _cumulative_active(active: np.ndarray) -> np.ndarray:
    """Prefix sums of active frames: frames ``a`` to ``b - 1`` hold ``c[b] - c[a]``."""
    return np.concatenate([[0], np.cumsum(active, dtype=np.int64)])


def _active_inside(cumulative: np.ndarray, offset: int, length: int) -> int:
    """Active frames lying wholly inside samples ``[offset, offset + length)``."""
    first = -(-offset // FRAME_LENGTH)
    last = (offset + length) // FRAME_LENGTH
    return int(cumulative[max(last, first)] - cumulative[first])


def _active_touched(cumulative: np.ndarray, offset: int, length: int) -> int:
    """Active frames that samples ``[offset, offset + length)`` reach at all."""
    last = min(-(-(offset + length) // FRAME_LENGTH), len(cumulative) - 1)
    return int(cumulative[last] - cumulative[offset // FRAME_LENGTH])


def _most_active_frames(cumulative: np.ndarray, window: int) -> int:
    """Most active frames any window-long excerpt of a clip holds."""
    span = window // FRAME_LENGTH
    if len(cumulative) - 1 <= span:
        return int(cumulative[-1])
    return int(np.max(cumulative[span:] - cumulative[:-span]))


def _alarm_fields(
    clip: SourceClip, placed: tuple[int, int, int], snr_db: float, *, sr: int
) -> dict[str, Any]:
    """The :class:`SampleSpec` fields of an alarm excerpt placed as (onset, offset, length)."""
    onset, offset, length = placed
    return {
        "alarm_file": clip.name,
        "alarm_offset_s": offset / sr,
        "alarm_onset_s": onset / sr,
        "alarm_duration_s": length / sr,
        "snr_db": snr_db,
    }


def _place_alarm(
    clip: SourceClip,
    cumulative: np.ndarray,
    rng: np.random.Generator,
    *,
    window: int,
    min_active_frames: int,
    partial_probability: float,
    attempts: int = 100,
) -> tuple[int, int, int]:
    """Draw (onset in window, offset in file, length) in samples for an alarm excerpt.

    Draws until the excerpt holds ``min_active_frames`` active frames; after ``attempts``
    draws the most active one is used (a clip with sparse activity cannot always satisfy it).
    """
    longest = min(clip.n_samples, window)
    best, best_active = None, -1
    for _ in range(attempts):
        length = longest
        if rng.random() < partial_probability:
            shortest = min(longest, min_active_frames * FRAME_LENGTH)
            length = int(rng.integers(shortest, longest + 1))
        onset = int(rng.integers(0, window - length + 1))
        offset = int(rng.integers(0, clip.n_samples - length + 1))
        n_active = _active_inside(cumulative, offset, length)
        if n_active > best_active:
            best, best_active = (onset, offset, length), n_active
        if n_active >= min_active_frames:
            break
    return best


def _place_snippet(
    clip: SourceClip,
    cumulative: np.ndarray,
    rng: np.random.Generator,
    *,
    window: int,
    max_active_frames: int,
    sr: int,
    attempts: int = 100,
) -> tuple[int, int, int] | None:
    """Draw (onset in window, offset in file, length) in samples for an alarm snippet.

    A snippet is 0.05-1 s of the clip holding between one and ``max_active_frames`` active
    frames: one beep, part of a tone, one or two pips. None if no draw finds one.
    """
    for _ in range(attempts):
        length = min(int(rng.uniform(0.05, 1.0) * sr), clip.n_samples, window)
        offset = int(rng.integers(0, clip.n_samples - length + 1))
        # Sound cut short at either end of the snippet still counts against the limit.
        if (
            _active_inside(cumulative, offset, length) >= 1
            and _active_touched(cumulative, offset, length) <= max_active_frames
        ):
            return int(rng.integers(0, window - length + 1)), offset, length
    return None


# -- measurement ------------------------------------------------------------------------------


def _sample_power(y: np.ndarray) -> np.ndarray:
    """Power per sample, float64: the square, or the mean of the channels' squares."""
    squares = np.square(y, dtype=np.float64)
    return squares if squares.ndim == 1 else np.mean(squares, axis=0)


def _frame_power(y: np.ndarray, frame_length: int) -> np.ndarray:
    n = y.shape[-1]
    n_frames = -(-n // frame_length)
    padded = np.zeros(n_frames * frame_length, dtype=np.float64)
    padded[:n] = _sample_power(y)
    power = np.mean(padded.reshape(n_frames, frame_length), axis=1)
    # A partial last frame is averaged over its real samples only.
    tail = n - (n_frames - 1) * frame_length
    power[-1] *= frame_length / tail
    return power


def active_frames(
    y: np.ndarray,
    *,
    frame_length: int = FRAME_LENGTH,
    threshold_db: float = ACTIVE_THRESHOLD_DB,
    noise_floor: bool = True,
) -> np.ndarray:
    """Which non-overlapping frames of ``y`` are active.

    A frame is active when its power is within ``threshold_db`` of the loudest frame's. An
    alarm recorded in a noisy room (a user's own recording: a plant room's hum and hiss 15
    dB under the beeps) would have every frame active, and windows holding no beep would be
    labelled alarm. So when the noise floor (the median power of the noise-like frames,
    :data:`NOISE_TONALITY_DB`, of the quieter half) lies above that threshold, a frame must
    rise :data:`NOISE_MARGIN_DB` above the floor instead. A continuous alarm, whose quieter
    frames are its tone, keeps every frame within ``threshold_db`` active.

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (channels, n)]
        Audio; the power of multichannel audio is the mean of its channels'.
    frame_length : int
        Frame size in samples; the last frame may be shorter.
    threshold_db : float
        A frame is active when its mean power is at least this many dB relative to the
        loudest frame (negative), and above the noise floor as said.
    noise_floor : bool
        Whether a noise floor within ``threshold_db`` raises the threshold. It takes a
        whole recording to measure: in a second's excerpt the quieter half may be one
        beep's echo.

    Returns
    -------
    np.ndarray [shape=(ceil(n / frame_length),), dtype=bool]
        All False for silence.

    Examples
    --------
    >>> y = np.r_[np.zeros(512), np.ones(512)].astype(np.float32)
    >>> active_frames(y, frame_length=256).tolist()
    [False, False, True, True]
    """
    if y.shape[-1] == 0:
        return np.zeros(0, dtype=bool)
    power = _frame_power(y, frame_length)
    peak = power.max()
    if peak <= 0:
        return np.zeros(len(power), dtype=bool)
    threshold = peak * 10.0 ** (threshold_db / 10.0)
    # The quieter half's frames all lie under its median: no floor of theirs can pass the
    # threshold unless the median does (the synthesised corpus's beeps never get here).
    if noise_floor and np.median(power) > threshold:
        over_noise = _active_over_noise(
            y, power, frame_length=frame_length, threshold_db=threshold_db
        )
        if over_noise is not None:
            return over_noise
    return power >= threshold


def _active_over_noise(
    y: np.ndarray, power: np.ndarray, *, frame_length: int, threshold_db: float
) -> np.ndarray | None:
    """Active frames measured above a noise floor, or None when ``y`` (frame powers
    ``power``) has none within ``threshold_db`` of its loudest frame (see
    :func:`active_frames`). The floor is the median power of the noise-like frames of the
    quieter half, if they are 5 % of the frames or more."""
    quiet = np.flatnonzero(power <= np.median(power))
    mono = y if y.ndim == 1 else np.mean(y, axis=0)
    padded = np.zeros(len(power) * frame_length)
    padded[: mono.shape[-1]] = mono
    frames = padded.reshape(len(power), frame_length)[quiet] * np.hanning(frame_length)
    # Without the lowest bins, where hum and DC would stand out of any noise.
    spectra = np.square(np.abs(np.fft.rfft(frames, axis=1)))[:, 4:] + 1e-30
    half = 8
    edged = np.pad(spectra, ((0, 0), (half, half)), mode="edge")
    tonality = np.empty(len(quiet))
    for start in range(0, len(quiet), 256):  # a few MB at a time
        block = np.lib.stride_tricks.sliding_window_view(
            edged[start : start + 256], 2 * half + 1, axis=1
        )
        local = np.median(block, axis=-1)
        tonality[start : start + 256] = np.max(spectra[start : start + 256] / local, axis=1)
    noise = quiet[tonality < 10.0 ** (NOISE_TONALITY_DB / 10.0)]
    if len(noise) < max(3, 0.05 * len(power)):
        return None
    floor, peak = float(np.median(power[noise])), float(power.max())
    if floor <= peak * 10.0 ** (threshold_db / 10.0):
        return None
    return power >= min(floor * 10.0 ** (NOISE_MARGIN_DB / 10.0), peak)


def active_snr_db(
    alarm: np.ndarray,
    background: np.ndarray,
    *,
    frame_length: int = FRAME_LENGTH,
    threshold_db: float = ACTIVE_THRESHOLD_DB,
) -> float:
    """Alarm-to-background power ratio in dB over the alarm's active frames.

    A beeping alarm is silent half the time; averaging its power over the whole window would
    make the same beeps look 3-6 dB quieter depending on their duty cycle. Measuring only
    where the alarm sounds makes ``snr_db`` mean what a listener hears.

    Parameters
    ----------
    alarm, background : np.ndarray [shape=(n,) or (channels, n)]
        The two stems, aligned, same shape; power is averaged over channels too.
    frame_length : int
        Frame size in samples over which the alarm's activity is judged
        (:func:`active_frames`); the default, 16 ms at 16 kHz, follows the 0.5 s beeps of a
        temporal-three pattern.
    threshold_db : float
        An alarm frame is active when its mean power is at least this many dB relative to
        the alarm's loudest frame (negative); frames below it are its pauses.

    Returns
    -------
    float
        ``inf`` when the background is silent over the active frames.

    Raises
    ------
    AudioError
        The alarm stem is silent.
    """
    if alarm.shape != background.shape:
        raise ParameterError(f"stems differ in shape: {alarm.shape} vs {background.shape}")
    # The stem is an excerpt, too short to measure a noise floor in (active_frames).
    mask = active_frames(
        alarm, frame_length=frame_length, threshold_db=threshold_db, noise_floor=False
    )
    if not mask.any():
        raise AudioError("the alarm is silent: no active frames")
    samples = np.repeat(mask, frame_length)[: alarm.shape[-1]]
    alarm_power = np.mean(np.square(alarm[..., samples], dtype=np.float64))
    background_power = np.mean(np.square(background[..., samples], dtype=np.float64))
    if background_power <= 0:
        return math.inf
    return 10.0 * math.log10(alarm_power / background_power)


def sounding_intervals(
    active: np.ndarray,
    *,
    offset_s: float,
    onset_s: float,
    duration_s: float,
    sr: int,
    frame_length: int = FRAME_LENGTH,
) -> list[tuple[float, float]]:
    """Where in the window an alarm excerpt sounds: its clip's active frames, moved and cut.

    The generator records these times next to each sample (samples.csv
    ``alarm_sounding_s``) as a strong label: training can then ask the model not only
    *whether* a window holds an alarm but *when* its beeps sound.

    Parameters
    ----------
    active : np.ndarray [shape=(n_frames,), dtype=bool]
        The clip's active frames (:func:`active_frames`).
    offset_s : float
        Where the excerpt starts in the clip, in seconds.
    onset_s : float
        Where the excerpt starts in the window, in seconds.
    duration_s : float
        Length of the excerpt in seconds.
    sr : int
        Sample rate in Hz the frames were measured at.
    frame_length : int
        Samples per frame.

    Returns
    -------
    list of (float, float)
        (start, end) in seconds of the window, in time order, each active run of frames one
        interval; empty when the excerpt holds no active frame.

    Examples
    --------
    >>> active = np.array([0, 1, 1, 0, 1], dtype=bool)  # frames of 0.25 s
    >>> sounding_intervals(active, offset_s=0.25, onset_s=1.0, duration_s=0.75, sr=4,
    ...                    frame_length=1)
    [(1.0, 1.5)]
    """
    frame_s = frame_length / sr
    end_s = offset_s + duration_s
    padded = np.concatenate([[False], np.asarray(active, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    intervals = []
    for first, stop in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        start, end = max(first * frame_s, offset_s), min(stop * frame_s, end_s)
        if end > start:
            intervals.append((start - offset_s + onset_s, end - offset_s + onset_s))
    return intervals


# -- mixing -----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Mixture:
    """A mixed sample and its parts.

    Attributes
    ----------
    y : np.ndarray [shape=(window,) or (channels, window), dtype=float32]
        The sample: exactly ``alarm + background``; as many channels as its widest source.
    alarm, background : np.ndarray [shape=y.shape, dtype=float32]
        The stems at their final gains (``alarm`` is zeros for a no_alarm sample).
    alarm_gain_db : float or None
        Gain applied to the alarm excerpt to reach ``snr_db``, before ``output_gain_db``.
    output_gain_db : float
        Gain applied to the whole mixture for ``level_db`` and the peak limit.
    """

    y: np.ndarray
    alarm: np.ndarray
    background: np.ndarray
    alarm_gain_db: float | None
    output_gain_db: float


def _source(sources: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    try:
        return sources[name]
    except KeyError:
        raise AudioError(f"{name}: source not available") from None


def _n_channels(y: np.ndarray) -> int:
    return 1 if y.ndim == 1 else y.shape[0]


def _excerpt(y: np.ndarray, name: str, start: int, length: int, *, channels: int) -> np.ndarray:
    """Samples ``[start, start + length)`` of a source, float64, with ``channels`` channels.

    Mono stays 1-D and is added to every channel by broadcasting; channel ``c`` of a mixture
    wider than a multichannel source takes the source's channel ``c mod C``.
    """
    n = y.shape[-1]
    if start < 0 or start + length > n:
        raise AudioError(
            f"{name}: excerpt {start}..{start + length} is outside the file's {n} samples"
        )
    excerpt = np.asarray(y[..., start : start + length], dtype=np.float64)
    if excerpt.ndim == 2 and excerpt.shape[0] != channels:
        excerpt = excerpt[np.arange(channels) % excerpt.shape[0]]
    return excerpt


def _db_to_amplitude(db: float) -> float:
    return 10.0 ** (db / 20.0)


def mix_stems(spec: SampleSpec, *, sources: Mapping[str, np.ndarray], sr: int) -> Mixture:
    """Mix a sample from its spec, keeping the stems.

    Backgrounds are summed at their layer gains; the alarm excerpt (faded in and out over
    :data:`FADE_S`) is placed at its onset and scaled so that :func:`active_snr_db` of the
    stems equals ``spec.snr_db``; the mixture is scaled to ``spec.level_db`` RMS, and down
    further if its peak would pass :data:`PEAK_LIMIT`. Deterministic: the same spec and
    sources give the same bytes.

    Sources are mixed channel by channel, as two microphones' recordings of one room would
    be: the mixture has as many channels as its widest source, a mono source sounds in
    every channel, and spectrograms combine the channels in power
    (:func:`sounddetect.spectrum.compute_spectrogram`), as ``detect`` does with a
    multichannel recording. A mixture of mono sources is mono.

    Parameters
    ----------
    spec : SampleSpec
    sources : mapping of str to np.ndarray [shape=(n,) or (channels, n), dtype=float32]
        Decoded audio at ``sr`` for every file the spec names.
    sr : int
        Sample rate in Hz.

    Returns
    -------
    Mixture

    Raises
    ------
    AudioError
        A source is missing or too short for the excerpt, or the alarm excerpt is silent.
    ParameterError
        ``sr`` is not a positive integer, or the alarm excerpt ends after the window.
    """
    if not is_integer(sr) or sr <= 0:
        raise ParameterError(f"sr must be a positive integer rate in Hz, got {sr!r}")
    window = int(round(spec.duration_s * sr))
    names = (*spec.background_files, *filter(None, [spec.alarm_file]))
    audio = {name: _source(sources, name) for name in names}
    channels = max(_n_channels(y) for y in audio.values())
    shape = (window,) if channels == 1 else (channels, window)
    background = np.zeros(shape, dtype=np.float64)
    for name, offset_s, gain_db in zip(
        spec.background_files, spec.background_offsets_s, spec.background_gains_db, strict=True
    ):
        start = int(round(offset_s * sr))
        excerpt = _excerpt(audio[name], name, start, window, channels=channels)
        background += excerpt * _db_to_amplitude(gain_db)

    alarm = np.zeros(shape, dtype=np.float64)
    alarm_gain_db = None
    if spec.alarm_file is not None:
        onset = int(round(spec.alarm_onset_s * sr))
        length = int(round(spec.alarm_duration_s * sr))
        start = int(round(spec.alarm_offset_s * sr))
        if onset + length > window:
            raise ParameterError(
                f"{spec.sample_id}: the alarm excerpt ({spec.alarm_onset_s:g} s + "
                f"{spec.alarm_duration_s:g} s) ends after the {spec.duration_s:g} s window"
            )
        excerpt = _excerpt(
            audio[spec.alarm_file], spec.alarm_file, start, length, channels=channels
        )
        fade = min(int(round(FADE_S * sr)), length // 2)
        if fade:
            ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(fade) + 0.5) / fade)
            excerpt[..., :fade] *= ramp
            excerpt[..., length - fade :] *= ramp[::-1]
        alarm[..., onset : onset + length] = excerpt
        try:
            measured = active_snr_db(alarm, background)
        except AudioError as exc:
            raise AudioError(f"{spec.sample_id}: {spec.alarm_file}: {exc}") from None
        # Over digital silence any gain gives an infinite ratio; leave the alarm as it is.
        alarm_gain_db = 0.0 if math.isinf(measured) else spec.snr_db - measured
        alarm *= _db_to_amplitude(alarm_gain_db)

    mix = alarm + background
    rms = math.sqrt(float(np.mean(mix**2)))
    output_gain = _db_to_amplitude(spec.level_db) / rms if rms > 0 else 1.0
    peak = float(np.max(np.abs(mix)))
    if peak * output_gain > PEAK_LIMIT:
        output_gain = PEAK_LIMIT / peak
    alarm32 = (alarm * output_gain).astype(np.float32)
    background32 = (background * output_gain).astype(np.float32)
    return Mixture(
        y=alarm32 + background32,
        alarm=alarm32,
        background=background32,
        alarm_gain_db=alarm_gain_db,
        output_gain_db=20.0 * math.log10(output_gain),
    )


def mix_sample(spec: SampleSpec, *, sources: Mapping[str, np.ndarray], sr: int) -> np.ndarray:
    """Mix a sample from its spec: float32 audio of ``spec.duration_s`` seconds.

    See :func:`mix_stems` for how; this returns only the mixture.

    Examples
    --------
    >>> sr = 16000
    >>> t = np.arange(5 * sr) / sr
    >>> noise = np.random.default_rng(0).normal(0, 0.1, 5 * sr)
    >>> sources = {"tone_1.wav": (0.1 * np.sin(2 * np.pi * 3000 * t)).astype(np.float32),
    ...            "noise_1.wav": noise.astype(np.float32)}
    >>> spec = SampleSpec("s-1", 0, "alarm", 4.0, ("noise_1.wav",), (0.5,), (0.0,), -20.0,
    ...                   alarm_file="tone_1.wav", alarm_duration_s=4.0, snr_db=6.0)
    >>> y = mix_sample(spec, sources=sources, sr=sr)
    >>> y.shape, y.dtype
    ((64000,), dtype('float32'))
    """
    return mix_stems(spec, sources=sources, sr=sr).y
