"""Detect alarms in a recording: decode in blocks, slice windows, render, classify, merge.

    detect_file       -- one file (path or file object) -> the result dict of DESIGN.md
    detect_audio      -- samples in an array (a microphone's buffer) -> the same result
    classify_stream   -- audio blocks -> window times, alarm probabilities (and when the
                         alarm sounds in each window, if the model says)
    pace_refusal      -- why a recording will not be classified by a deadline, if it won't

Memory is bounded whatever the recording's length: audio is decoded
(:func:`sounddetect.audio.iter_audio_blocks`) and classified ``batch_size`` windows at a
time, and only the samples the next windows need are kept. A one-hour 44.1 kHz file peaks
at a few tens of MB of audio buffers (``benchmarks/bench_detect.py``).
"""

from __future__ import annotations

import io
import logging
import math
import os
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

from sounddetect import patterns, spectrum, windows
from sounddetect._checks import is_integer, is_number
from sounddetect.audio import (
    BLOCK_CHANNELS,
    DEFAULT_BLOCK_SECONDS,
    SILENT_PEAK_DBFS,
    LevelMeter,
    audio_info,
    iter_array_blocks,
    iter_audio_blocks,
    source_name,
    valid_audio,
)
from sounddetect.classifiers.base import Classifier, says_when_alarm_sounds
from sounddetect.events import (
    DEFAULT_MIN_EVENT_S,
    START_EDGE_MAX_RECORDING_S,
    default_merge_gap_s,
    default_min_windows,
    is_continuous_tone,
    is_steady_beeper,
    is_wandering_tone,
    merge_events,
    refine_event_bounds,
    sounding_timeline,
    windows_to_events,
)
from sounddetect.exceptions import (
    AudioError,
    ParameterError,
    SoundDetectError,
    SoundDetectWarning,
    TransientError,
)
from sounddetect.result import error_result, make_result, window_records

logger = logging.getLogger(__name__)

#: Windows rendered and classified together: large enough to share STFT frames between
#: overlapping windows and amortise the model call, small enough to stay a few MB.
DEFAULT_BATCH_SIZE = 64

#: The shortest decoding block (s) :func:`detect_file` and :func:`detect_audio` take: blocks
#: bound memory on long recordings, and shorter ones only cost time; the silence measure
#: (:class:`~sounddetect.audio.LevelMeter`) also takes each block's mean for the
#: microphone's offset, which in a block of a few samples is the sound itself.
MIN_BLOCK_SECONDS = 1.0

#: A recording is refused before its deadline once the pace of its first tenth says the
#: rest needs more than this many times the time left; the first blocks carry the
#: classifier's warm-up, so they show a pace a little slower than the rest will have.
PACE_SLACK = 1.5


@dataclass(frozen=True)
class WindowScores:
    """Per-window output of :func:`classify_stream`.

    Attributes
    ----------
    starts : np.ndarray [shape=(n,), dtype=int64]
        Window start offsets in samples at the analysis rate, ascending.
    probabilities : np.ndarray [shape=(n,), dtype=float32]
        Alarm probability of each window.
    n_samples : int
        Length of the decoded audio in samples at the analysis rate.
    sr : int
        Analysis rate in Hz.
    window_samples : int
        Window length in samples at the analysis rate.
    sounding : np.ndarray [shape=(n, steps), dtype=float32] or None
        Probability that the alarm sounds in each of a window's equal time steps, from a
        classifier that says (``classify_with_sounding``); None otherwise.
    """

    starts: np.ndarray
    probabilities: np.ndarray
    n_samples: int
    sr: int
    window_samples: int
    sounding: np.ndarray | None = None

    @property
    def starts_s(self) -> np.ndarray:
        """Window starts in seconds, float64 ``(n,)``."""
        return self.starts / self.sr

    @property
    def ends_s(self) -> np.ndarray:
        """Window ends in seconds, float64 ``(n,)``: a start plus one window, past the end
        of audio shorter than a window (which was padded to one)."""
        return (self.starts + self.window_samples) / self.sr


def classify_stream(
    blocks: Iterable[np.ndarray],
    classifier: Classifier,
    *,
    hop_samples: int,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_frames: Callable[[int, np.ndarray], None] | None = None,
) -> WindowScores:
    """Classify every window of a recording that arrives in consecutive blocks.

    Windows start at :func:`sounddetect.windows.window_starts` offsets (0, hop, 2 hop, ...
    and a last one ending at the end of the audio); audio shorter than one window (but not
    than :data:`sounddetect.windows.MIN_RECORDING_S`) is one window, continued with noise
    like its quietest sound (:func:`sounddetect.windows.pad_to_window`). Each batch of
    windows is rendered with :func:`sounddetect.spectrum.render_windows` from the one
    stretch of audio it spans and classified in one call; a classifier with a
    ``classify_with_sounding`` method (an ONNX model from ``sounddetect train``) also says
    when in each window the alarm sounds.

    Parameters
    ----------
    blocks : iterable of np.ndarray [shape=(n_i,) or (channels, n_i)], float
        Consecutive blocks at ``classifier.config.sr``, all mono or all of the same
        channels, channels first (combined in power when rendered:
        :func:`sounddetect.spectrum.render_windows`); samples in [-1, 1] as soundfile reads
        them. Empty blocks are skipped.
    classifier : Classifier
    hop_samples : int > 0
        Samples between window starts.
    batch_size : int > 0
        Windows per render/classify call; for audio of more than
        :data:`~sounddetect.audio.BLOCK_CHANNELS` channels, fewer in proportion (at least
        one).
    on_frames : callable or None
        Given the STFT frames the windows share, as
        :func:`sounddetect.spectrum.render_windows` passes them on, with ``first`` counted
        from the start of the recording.

    Returns
    -------
    WindowScores

    Raises
    ------
    ParameterError
        ``hop_samples`` or ``batch_size`` is not a positive integer; a block is not a float
        numpy array; the first is not ``(n,)`` or ``(channels, n)`` (one with more channels
        than samples is taken for ``(n, channels)`` audio); a later one has other channels.
    AudioError
        The audio is shorter than :data:`sounddetect.windows.MIN_RECORDING_S`, holds NaN or
        infinite samples, or a block fails to decode.
    ModelError, TransientError
        From the classifier.
    """
    for option, value in (("hop_samples", hop_samples), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ParameterError(f"{option} must be a positive integer, got {value!r}")
    config = classifier.config
    window = config.window_samples
    audio = _BlockBuffer()
    next_start = 0
    pending: list[int] = []
    scored: dict[int, float] = {}
    sounding: dict[int, np.ndarray] = {}
    classify_with_sounding = getattr(classifier, "classify_with_sounding", None)

    def run(starts: list[int]) -> None:
        # The segment begins on the frame grid, so its frames are the recording's.
        offset = starts[0] // config.hop_length
        base = offset * config.hop_length
        segment = audio.span(base, starts[-1] + window)
        relative = np.asarray(starts, dtype=np.int64) - base
        sink = None
        if on_frames is not None:

            def sink(first: int, features: np.ndarray) -> None:
                on_frames(offset + first, features)

        images = spectrum.render_windows(segment, config=config, starts=relative, on_frames=sink)
        if classify_with_sounding is None:
            probabilities, steps = classifier.classify(images), None
        else:
            probabilities, steps = classify_with_sounding(images)
        scored.update(
            zip(starts, np.asarray(probabilities, dtype=np.float32).tolist(), strict=True)
        )
        if steps is not None:
            sounding.update(zip(starts, steps, strict=True))

    for block in _checked_blocks(blocks):
        if not audio.end and block.shape[-1] and block.ndim > 1:
            # A batch's audio is held at once: as many samples as a stereo batch's.
            channels = max(block.shape[0], BLOCK_CHANNELS)
            batch_size = max(1, batch_size * BLOCK_CHANNELS // channels)
        audio.append(block)
        while next_start + window <= audio.end:
            pending.append(next_start)
            next_start += hop_samples
        while len(pending) >= batch_size:
            run(pending[:batch_size])
            pending = pending[batch_size:]
        # Keep what the pending windows, the next regular window and a final window ending
        # at the end of the audio (window_starts' tail) may still need, from the frame grid
        # point before each.
        keep = min([next_start, audio.end - window, *pending[:1]])
        audio.drop_before(max(0, keep - keep % config.hop_length))

    n_samples = audio.end
    if n_samples < window:  # classified as one window, continued with its own quiet sound
        recording = audio.span(0, n_samples) if n_samples else np.zeros(0, dtype=np.float32)
        min_samples = round(windows.MIN_RECORDING_S * config.sr)
        padded = windows.pad_to_window(
            recording, window_samples=window, min_samples=min_samples, sr=config.sr
        )
        audio.append(padded[..., n_samples:])
    all_starts = windows.window_starts(
        audio.end, window_samples=window, hop_samples=hop_samples, sr=config.sr
    )
    pending = [int(s) for s in all_starts if int(s) not in scored]
    for i in range(0, len(pending), batch_size):
        run(pending[i : i + batch_size])

    starts = np.asarray([int(s) for s in all_starts], dtype=np.int64)
    probabilities = np.asarray([scored[int(s)] for s in starts], dtype=np.float32)
    steps = np.stack([sounding[int(s)] for s in starts]) if sounding else None
    return WindowScores(starts, probabilities, n_samples, config.sr, window, steps)


def _checked_blocks(blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """The blocks of :func:`classify_stream`, refused at the first that is not float audio
    with the channels of the first non-empty one."""
    channels = None  # the shape of the first non-empty block but for its length
    for index, block in enumerate(blocks):
        name = f"audio block {index}"
        if channels is None and getattr(block, "size", 1):
            valid_audio(block, name=name, multichannel=True)
            channels = block.shape[:-1]
        elif not isinstance(block, np.ndarray) or not np.issubdtype(block.dtype, np.floating):
            # raises, naming the type; valid_audio's shape rules would refuse a legitimate
            # last block of a few samples of many channels
            valid_audio(block, name=name)
        elif block.size and block.shape[:-1] != channels:
            first = f"({channels[0]}, n)" if channels else "mono (n,)"
            raise ParameterError(
                f"{name}: shape {block.shape} after blocks of {first}: every block must "
                "have the same channels"
            )
        yield block


class _BlockBuffer:
    """The recent part of a stream of audio blocks, addressed by absolute sample index.

    Blocks, (n,) or (channels, n), are kept as they come and joined only for the span a
    batch renders, so each sample is copied about once however many blocks a batch spans.
    """

    def __init__(self) -> None:
        self._blocks: list[np.ndarray] = []
        self._starts: list[int] = []
        self.end = 0  # absolute index one past the last sample received

    def append(self, block: np.ndarray) -> None:
        if block.shape[-1]:
            self._blocks.append(np.asarray(block, dtype=np.float32))
            self._starts.append(self.end)
            self.end += block.shape[-1]

    def span(self, start: int, stop: int) -> np.ndarray:
        """Samples ``[start, stop)``; SoundDetectError if some were already dropped."""
        if not self._starts or start < self._starts[0] or stop > self.end:
            first = self._starts[0] if self._starts else self.end
            raise SoundDetectError(  # a bug, not an input problem
                f"samples {start}:{stop} are not buffered (buffer holds {first}:{self.end})"
            )
        parts = [
            block[..., max(start - first, 0) : stop - first]
            for first, block in zip(self._starts, self._blocks, strict=True)
            if first < stop and first + block.shape[-1] > start
        ]
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)

    def drop_before(self, index: int) -> None:
        """Forget the blocks that end at or before ``index``."""
        while self._blocks and self._starts[0] + self._blocks[0].shape[-1] <= index:
            self._blocks.pop(0)
            self._starts.pop(0)


def detect_file(
    source: str | os.PathLike | BinaryIO,
    classifier: Classifier,
    *,
    hop_s: float | None = None,
    threshold: float | None = None,
    min_event_s: float = DEFAULT_MIN_EVENT_S,
    min_windows: int | None = None,
    merge_gap_s: float | None = None,
    beep_patterns: bool = True,
    min_pattern_groups: int = patterns.DEFAULT_MIN_GROUPS,
    pulse_patterns: bool = False,
    continuous_tones: bool = True,
    batch_size: int = DEFAULT_BATCH_SIZE,
    block_seconds: float = DEFAULT_BLOCK_SECONDS,
    name: str | None = None,
    deadline: float | None = None,
    retry_s: float | None = None,
) -> dict[str, Any]:
    """Find alarm events in one audio file.

    Windows at or above the threshold are joined into events by the event rule
    (:func:`sounddetect.events.windows_to_events`). When the classifier also says when in
    each window the alarm sounds (an ONNX model from ``sounddetect train``), each event's
    bounds then move to the first and last moment the alarm is heard, up to a hop outside
    its windows (:func:`sounddetect.events.refine_event_bounds`); otherwise they are the
    bounds of its first and last alarm window. With ``beep_patterns``, a temporal-three
    pattern of ``min_pattern_groups`` beep groups or more in one run is an alarm event too,
    whatever the classifier says of its windows (:mod:`sounddetect.patterns`); events that
    overlap or lie within ``merge_gap_s`` of each other are one. An event that the rule
    keeps only because the recording is too short for a whole event, or cut it short at an
    edge (at its start only in a recording under
    :data:`sounddetect.events.START_EDGE_MAX_RECORDING_S`), needs such a classifier to hear
    :data:`sounddetect.events.MIN_SHORT_EVENT_SOUNDING_S` of alarm sound in it: in so few
    windows a lone chirp can pass for an alarm. So does an event of two windows with less
    than a window of the recording on either side (in a recording of 8-12 s by default),
    with :data:`sounddetect.events.MIN_CENTRAL_EVENT_SOUNDING_S`. Such an event is dropped
    when the recording's only sound in it is brief and all the alarm sound heard lies near
    it (:data:`sounddetect.events.LONE_SOUND_MAX_S`, ``LONE_SOUND_MAX_T3_S`` from 3 s): the
    recording's sounds are found in the same frames as beep patterns, for a recording of up
    to 150 s.

    Parameters
    ----------
    source : path-like (str, bytes, os.PathLike) or binary file object
        WAV, FLAC, OGG, MP3, ... at any sample rate and channel count (by path also M4A,
        MP4, WebM, WMA, ... when ffmpeg is installed; :mod:`sounddetect.audio`), resampled
        to ``classifier.config.sr``. The channels of a multichannel file are combined in
        power, not averaged (:func:`sounddetect.spectrum.compute_spectrogram`): two
        microphones that hear an alarm's tone half a period apart would cancel it in an
        average.
    classifier : Classifier
        :class:`~sounddetect.classifiers.OnnxClassifier` or
        :class:`~sounddetect.classifiers.RekognitionClassifier`; windows are rendered with
        its ``config``.
    hop_s : float or None
        Seconds between window starts, in [:data:`sounddetect.windows.MIN_HOP_S`, window
        duration]; default half a window, so every sound lies wholly inside some window.
    threshold : float or None
        Alarm probability threshold; default the classifier's (``model.json``'s).
    min_event_s : float >= 0
        Events shorter than this (s) are dropped, unless one spans the whole recording or
        one at its end (or at its start, in a recording shorter than
        :data:`sounddetect.events.START_EDGE_MAX_RECORDING_S`), or with less than a window
        of the recording on either side, lasts two consecutive windows (window + hop, if
        shorter);
        a recording shorter than this raises an alarm when its windows' mean probability
        reaches the threshold; 0 keeps a single alarm window. The default is three
        consecutive windows' span (:data:`sounddetect.events.DEFAULT_MIN_EVENT_S`).
    min_windows : int >= 1 or None
        Events with fewer alarm windows are dropped, with the same exceptions; default as
        many as cover two windows' length at ``hop_s``, three at the default hop
        (:func:`sounddetect.events.default_min_windows`).
    merge_gap_s : float >= 0 or None
        Alarm windows at most this far apart (s) form one event; the default, 2 s or one
        hop if longer, bridges the pause of a CO alarm
        (:func:`sounddetect.events.default_merge_gap_s`).
    beep_patterns : bool
        Also look for the temporal-three pattern itself, independent of the classifier
        (:class:`sounddetect.patterns.PatternSearch`).
    min_pattern_groups : int >= 1
        Beep groups in one run (:func:`sounddetect.patterns.chain_groups`) that make a
        pattern event.
    pulse_patterns : bool
        Also raise an alarm on :data:`sounddetect.patterns.PULSE_MIN_S` of steady beeping
        at one pitch in the piezo band with no group pause, as some smoke and heat alarms
        beep (:func:`sounddetect.patterns.find_pulse_events`); off by default, since a
        kitchen timer or an alarm clock can beep so too. Without it, such beeping outside
        every alarm event is said in a warning.
    continuous_tones : bool
        Whether an alarm sound that goes on without a pause is an alarm: a continuous-tone
        alarm, or a machine's steady whine in the piezo band (a plant room's
        variable-frequency drive) that the model cannot tell from one. False drops such
        events (:func:`sounddetect.events.is_continuous_tone`) and keeps beeping alarms;
        it needs a classifier that says when in each window the alarm sounds.
    batch_size : int > 0
        Windows rendered and classified per call.
    block_seconds : float >= :data:`MIN_BLOCK_SECONDS`
        Decoding block (s): memory is bounded by it and ``batch_size`` windows.
    name : str or None
        What the result's ``file`` and error messages call the input (e.g. an S3 URL);
        default the path or the file object's name.
    deadline : float or None
        A :func:`time.monotonic` time by which the recording must be classified (the
        Lambda's timeout less the time to store the result). A recording that will not be
        done by then (:func:`pace_refusal`), or is not, is refused. When an attempt with
        the whole of ``retry_s`` would be refused too, that is an AudioError that says how
        long a recording can be: a result, where a timed-out invocation would store none.
        Otherwise, and always with a ``remote`` classifier (a service, whose pace may be
        throttling's), it is a TransientError, worth a retry. None: no limit.
    retry_s : float or None
        Seconds a fresh attempt at the recording would have until its deadline, when that
        is more than this call has until ``deadline``: in a Lambda invocation the records
        before this one spent part of its time, and a retry has the whole. None: no attempt
        has more than this one.

    Returns
    -------
    result : dict
        The result object of DESIGN.md (keys :data:`sounddetect.result.RESULT_KEYS`).
        Input, model and service failures (any :class:`SoundDetectError`), and running
        out of memory while classifying (``MemoryError``), do not raise: they come back
        with ``alarm`` null and ``error`` = ``{"type", "message"}``, the message naming the
        file and the reason.
        :func:`sounddetect.result.is_permanent` tells the input errors that no retry can
        fix (what the Lambda stores) from the rest, and
        :func:`sounddetect.result.is_transient` the failures that may pass by themselves.

    Raises
    ------
    ParameterError
        An option is not a finite number (an integer where one is meant; a bool or a
        string is refused) or is out of range, or ``source`` is neither a path nor an open
        binary file object (checked before the file is touched; samples in an array go to
        :func:`detect_audio`; bytes holding a NUL are taken for a file's contents).

    Warns
    -----
    SoundDetectWarning
        The file's rate is too low to hold the model's whole frequency range (e.g. 8 kHz
        audio for a model that shows up to 8 kHz): the missing band is rendered empty.
        The recording is silent: no sample reaches :data:`SILENT_PEAK_DBFS`.
        The recording is clipped: at least :data:`~sounddetect.audio.CLIPPED_SHARE` of its
        samples hold one value at :data:`~sounddetect.audio.CLIP_LEVEL` or beyond for three
        samples or more.
        Without ``pulse_patterns``: steady beeping in the piezo band was heard outside every
        alarm event (where and when).

    See Also
    --------
    detect_audio : the same for samples in an array, such as a microphone's buffer.

    Examples
    --------
    >>> from sounddetect.classifiers import OnnxClassifier
    >>> classifier = OnnxClassifier.from_dir("models/default")  # doctest: +SKIP
    >>> detect_file("audio/examples/alarm_kitchen.wav", classifier)["alarm"]  # doctest: +SKIP
    True
    """
    if isinstance(source, bytes) and b"\0" not in source:  # a path; file contents hold NULs
        source = os.fsdecode(source)
    if not isinstance(source, str | os.PathLike):
        _check_file_object(source, name=name)
    options = _check_options(
        classifier,
        name=name,
        hop_s=hop_s,
        threshold=threshold,
        min_event_s=min_event_s,
        min_windows=min_windows,
        merge_gap_s=merge_gap_s,
        beep_patterns=beep_patterns,
        min_pattern_groups=min_pattern_groups,
        pulse_patterns=pulse_patterns,
        continuous_tones=continuous_tones,
        batch_size=batch_size,
        block_seconds=block_seconds,
        deadline=deadline,
        retry_s=retry_s,
    )
    name = name or source_name(source)
    try:
        info = audio_info(source, name=name)
    except SoundDetectError as exc:
        logger.debug("%s: %s: %s", name, type(exc).__name__, exc)
        return error_result(name, exc, classifier=options.described)
    if info.raw_data_offset is not None:
        warnings.warn(
            f"{name}: WAV header without the audio's size (a recorder that stopped without "
            f"closing the file, or over 4 GB); reading the {info.duration:.1f} s of audio "
            "that follow it",
            SoundDetectWarning,
            stacklevel=2,
        )
    if info.audio_streams > 1:
        warnings.warn(
            f"{name}: {info.audio_streams} audio streams; only the first is analysed",
            SoundDetectWarning,
            stacklevel=2,
        )
    if info.unterminated:
        warnings.warn(
            f"{name}: Ogg file without the page that ends its stream (a recorder that "
            "stopped without closing the file, or a file cut short); reading "
            f"{f'the {info.duration:.1f} s' if info.frames else 'its audio'} up to its "
            "last whole page",
            SoundDetectWarning,
            stacklevel=2,
        )
    level = LevelMeter()
    blocks = iter_audio_blocks(
        source,
        sr=classifier.config.sr,
        block_seconds=block_seconds,
        mono=False,
        name=name,
        info=info,
        on_native_block=level.observe,
    )
    return _detect(
        blocks,
        classifier,
        options,
        level=level,
        sr=info.sr,
        total_s=info.duration,
        name=name,
        deadline=deadline,
        retry_s=retry_s,
    )


def detect_audio(
    y: np.ndarray,
    *,
    sr: float,
    classifier: Classifier,
    name: str | None = None,
    hop_s: float | None = None,
    threshold: float | None = None,
    min_event_s: float = DEFAULT_MIN_EVENT_S,
    min_windows: int | None = None,
    merge_gap_s: float | None = None,
    beep_patterns: bool = True,
    min_pattern_groups: int = patterns.DEFAULT_MIN_GROUPS,
    pulse_patterns: bool = False,
    continuous_tones: bool = True,
    batch_size: int = DEFAULT_BATCH_SIZE,
    block_seconds: float = DEFAULT_BLOCK_SECONDS,
    deadline: float | None = None,
    retry_s: float | None = None,
) -> dict[str, Any]:
    """Find alarm events in audio samples held in an array, such as a microphone's buffer.

    The pipeline and event rule of :func:`detect_file`, fed with the blocks a file of the
    same samples would give (:func:`sounddetect.audio.iter_array_blocks`): the result is
    the one :func:`detect_file` gives for a WAV of ``y`` (float WAV for float samples,
    16-bit for int16), but for its ``file``, which is ``name``.

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (channels, n)]
        Float samples in [-1, 1], or int16 or int32 PCM of either byte order (scaled by
        2**-15 or 2**-31, as soundfile reads such files as float). Channels first, as everywhere in
        sounddetect: a buffer read as ``(n, channels)`` (soundfile, sounddevice) is passed
        as ``y.T``, and one with more channels than samples is refused as such. Channels
        are combined in power, as a multichannel file's.
    sr : float
        Sample rate of ``y`` in Hz (the result's ``sample_rate``), a whole number within
        :data:`sounddetect.audio.RECORDING_RATES_HZ`; resampled to
        ``classifier.config.sr``.
    classifier : Classifier
        As :func:`detect_file`.
    name : str or None
        What the result's ``file`` and error messages call the audio, e.g. the
        microphone's name; default ``"audio"``.
    hop_s, threshold, min_event_s, min_windows, merge_gap_s
        As :func:`detect_file`.
    beep_patterns, min_pattern_groups, pulse_patterns, continuous_tones, batch_size
        As :func:`detect_file`.
    deadline, retry_s
        As :func:`detect_file`.
    block_seconds : float >= :data:`MIN_BLOCK_SECONDS`
        Resampling block (s) of ``y``: memory beyond ``y`` is bounded by it and
        ``batch_size`` windows.

    Returns
    -------
    result : dict
        The result object of DESIGN.md, as :func:`detect_file`'s. Audio that cannot be
        classified (no samples, NaN, infinite or impossibly large samples, shorter than
        :data:`sounddetect.windows.MIN_RECORDING_S`), a model or a service failure do not
        raise: they come back with ``alarm`` null and ``error`` set.

    Raises
    ------
    ParameterError
        ``y`` is not such an array, ``sr`` is not a whole number in range, or an option is
        not what :func:`detect_file` takes (checked before anything is classified).

    Warns
    -----
    SoundDetectWarning
        As :func:`detect_file`: ``sr`` too low for the model's frequency range, silence
        throughout, clipping, audio shorter than one window, steady beeping not raised.

    See Also
    --------
    detect_file, classify_stream

    Examples
    --------
    >>> from sounddetect.classifiers import OnnxClassifier
    >>> classifier = OnnxClassifier.from_dir("models/default")  # doctest: +SKIP
    >>> t = np.arange(12 * 48000) / 48000
    >>> y = (0.3 * np.sin(2 * np.pi * 3100 * t)).astype(np.float32)
    >>> result = detect_audio(y, sr=48000, classifier=classifier)  # doctest: +SKIP
    >>> result["duration_s"], len(result["windows"])  # doctest: +SKIP
    (12.0, 5)
    """
    options = _check_options(
        classifier,
        name=name,
        hop_s=hop_s,
        threshold=threshold,
        min_event_s=min_event_s,
        min_windows=min_windows,
        merge_gap_s=merge_gap_s,
        beep_patterns=beep_patterns,
        min_pattern_groups=min_pattern_groups,
        pulse_patterns=pulse_patterns,
        continuous_tones=continuous_tones,
        batch_size=batch_size,
        block_seconds=block_seconds,
        deadline=deadline,
        retry_s=retry_s,
    )
    name = name or "audio"
    level = LevelMeter()
    blocks = iter_array_blocks(
        y,
        orig_sr=sr,
        target_sr=classifier.config.sr,
        block_seconds=block_seconds,
        name=name,
        on_native_block=level.observe,
    )
    return _detect(
        blocks,
        classifier,
        options,
        level=level,
        sr=sr,
        total_s=y.shape[-1] / sr,
        name=name,
        deadline=deadline,
        retry_s=retry_s,
    )


@dataclass(frozen=True)
class _Options:
    """The detection options of :func:`detect_file` and :func:`detect_audio`, checked,
    with their defaults resolved for the classifier."""

    hop_s: float
    hop_samples: int
    threshold: float
    min_event_s: float
    min_windows: int
    merge_gap_s: float
    beep_patterns: bool
    min_pattern_groups: int
    pulse_patterns: bool
    continuous_tones: bool
    batch_size: int
    described: dict[str, Any]


def _check_options(
    classifier: Classifier,
    *,
    name: Any,
    hop_s: Any,
    threshold: Any,
    min_event_s: Any,
    min_windows: Any,
    merge_gap_s: Any,
    beep_patterns: Any,
    min_pattern_groups: Any,
    pulse_patterns: Any,
    continuous_tones: Any,
    batch_size: Any,
    block_seconds: Any,
    deadline: Any,
    retry_s: Any,
) -> _Options:
    """The options of :func:`detect_file` and :func:`detect_audio`, each refused by its name
    unless it is what its docstring says: before any audio is read."""
    if name is not None and not isinstance(name, str):
        raise ParameterError(f"name must be a string or None, got {name!r}")
    if isinstance(classifier, str | os.PathLike):
        raise ParameterError(
            f"classifier must be a Classifier, got the name {os.fspath(classifier)!r}: "
            "load_classifier(name) loads the model folder or ARN"
        )
    config = classifier.config
    if hop_s is None:
        hop_s = config.duration / 2
    else:
        hop_s = _option("hop_s", hop_s, low=windows.MIN_HOP_S, high=config.duration, unit=" s")
    hop_samples = int(round(hop_s * config.sr))
    if threshold is None:
        threshold = classifier.threshold
    else:
        threshold = _option("threshold", threshold, low=0.0, high=1.0)
    min_event_s = _option("min_event_s", min_event_s, low=0.0, unit=" s")
    if min_windows is None:
        min_windows = default_min_windows(window_s=config.duration, hop_s=hop_s)
    else:
        min_windows = _option("min_windows", min_windows, low=1, integer=True)
    if merge_gap_s is None:
        merge_gap_s = default_merge_gap_s(hop_s=hop_s)
    else:
        merge_gap_s = _option("merge_gap_s", merge_gap_s, low=0.0, unit=" s")
    if not isinstance(beep_patterns, bool | np.bool_):
        raise ParameterError(f"beep_patterns must be True or False, got {beep_patterns!r}")
    min_pattern_groups = _option("min_pattern_groups", min_pattern_groups, low=1, integer=True)
    if not isinstance(pulse_patterns, bool | np.bool_):
        raise ParameterError(f"pulse_patterns must be True or False, got {pulse_patterns!r}")
    if not isinstance(continuous_tones, bool | np.bool_):
        raise ParameterError(f"continuous_tones must be True or False, got {continuous_tones!r}")
    if not continuous_tones and not says_when_alarm_sounds(classifier):
        raise ParameterError(
            "continuous_tones=False needs a model that says when in each window the alarm "
            f"sounds (a local model of sounddetect train); the {classifier.backend} model "
            f"{classifier.model} does not"
        )
    batch_size = _option("batch_size", batch_size, low=1, integer=True)
    _option("block_seconds", block_seconds, low=MIN_BLOCK_SECONDS, unit=" s")
    if deadline is not None:
        _option("deadline", deadline, low=-math.inf)
    if retry_s is not None:  # less than nothing when storing a result takes all the time
        _option("retry_s", retry_s, low=-math.inf)
    return _Options(
        hop_s=hop_s,
        hop_samples=hop_samples,
        threshold=threshold,
        min_event_s=min_event_s,
        min_windows=min_windows,
        merge_gap_s=merge_gap_s,
        beep_patterns=bool(beep_patterns),
        min_pattern_groups=min_pattern_groups,
        pulse_patterns=bool(pulse_patterns),
        continuous_tones=bool(continuous_tones),
        batch_size=batch_size,
        described={**classifier.describe(), "threshold": threshold},
    )


def _option(
    name: str,
    value: Any,
    *,
    low: float,
    high: float = math.inf,
    integer: bool = False,
    unit: str = "",
) -> Any:
    """``value`` as a float (an int with ``integer``) in ``[low, high]``, or a ParameterError
    naming the option: a bool, a string (which ``float()`` would take) and NaN are refused,
    and a float where an integer is meant, rather than read as something else."""
    if not (is_integer(value) if integer else is_number(value)):
        what = "an integer" if integer else "a number"
        raise ParameterError(f"{name} must be {what}, got {value!r}")
    if not math.isfinite(value):
        raise ParameterError(f"{name} must be a finite number, got {value!r}")
    if not low <= value <= high:
        bounds = f">= {low:g}{unit}" if high == math.inf else f"in [{low:g}, {high:g}]{unit}"
        raise ParameterError(f"{name} must be {bounds}, got {value!r}")
    return int(value) if integer else float(value)


def _check_file_object(source: Any, *, name: str | None) -> None:
    """Raise unless ``source`` is an open binary file object (what libsndfile reads through)."""
    if getattr(source, "closed", False) is True:
        raise ParameterError(
            f"{name or source_name(source)}: the file object is closed; pass an open one, or "
            "the path"
        )
    if isinstance(source, io.TextIOBase):
        hint = "open it in binary mode ('rb')"
    elif all(callable(getattr(source, method, None)) for method in ("read", "seek", "tell")):
        return
    elif isinstance(source, bytes | bytearray | memoryview):
        hint = "for a file's bytes, pass io.BytesIO(data)"  # a bytes path has no NUL
    else:
        hint = "for samples in an array, call detect_audio(y, sr=..., classifier=...)"
    raise ParameterError(
        f"detect_file takes a path or a binary file object, got {type(source).__name__}: {hint}"
    )


def _detect(
    blocks: Iterable[np.ndarray],
    classifier: Classifier,
    options: _Options,
    *,
    level: LevelMeter,
    sr: float,
    total_s: float,
    name: str,
    deadline: float | None,
    retry_s: float | None,
) -> dict[str, Any]:
    """The result of :func:`detect_file` and :func:`detect_audio` for the audio in
    ``blocks``, at ``classifier.config.sr``, of a recording at ``sr`` Hz of ``total_s``
    seconds (0 when not known), whose ``level`` is measured as the blocks are decoded.
    Its warnings name the caller of either."""
    config = classifier.config
    hop_s, threshold, merge_gap_s = options.hop_s, options.threshold, options.merge_gap_s
    if sr / 2 < config.fmax:
        warnings.warn(
            f"{name}: sample rate {sr} Hz holds nothing above {sr / 2:g} Hz; "
            f"the model's images show up to {config.fmax:g} Hz",
            SoundDetectWarning,
            stacklevel=3,
        )
    try:
        if deadline is not None:
            blocks = _Deadline(
                deadline,
                retry_s=retry_s,
                total_s=total_s,
                sr=config.sr,
                name=name,
                remote=getattr(classifier, "remote", False),
            ).observe(blocks)
        # Without beep patterns the search still finds a short recording's sounds, which
        # tell a lone chirp from an alarm (windows_to_events).
        search = patterns.PatternSearch(
            patterns.frames_config(config),
            min_groups=options.min_pattern_groups if options.beep_patterns else None,
            # Searched either way: without pulse_patterns, steady beeping is said, not raised;
            # the beepers below the piezo band serve the event rule (is_steady_beeper).
            pulses=True,
        )
        # The search reads the frames rendered for the classifier when they are of its kind
        # and on one grid; otherwise it computes its own from the audio.
        shared = search.config == config and not options.hop_samples % config.hop_length
        if not shared:
            blocks = search.observe(blocks)
        scores = classify_stream(
            blocks,
            classifier,
            hop_samples=options.hop_samples,
            batch_size=options.batch_size,
            on_frames=search.add_frames if shared else None,
        )
    # A recording the machine has no memory for fails alone; the next may well fit.
    except (SoundDetectError, MemoryError) as exc:
        logger.debug("%s: %s: %s", name, type(exc).__name__, exc)
        return error_result(name, exc, classifier=options.described)

    recording_s = scores.n_samples / config.sr
    # A microphone stuck at full scale is silent, not too loud.
    if not _warn_if_silent(level.peak, name=name):
        _warn_if_clipped(level, name=name)
    if scores.n_samples < config.window_samples:
        warnings.warn(
            f"{name}: {recording_s:.2f} s is shorter than one {config.duration:g} s window; "
            "classified as one window, continued with its own quietest sound",
            SoundDetectWarning,
            stacklevel=3,
        )
    # A padded window reports the part of it that is the recording.
    ends_s = np.minimum(scores.ends_s, recording_s)
    timeline, step_s = None, None
    if scores.sounding is not None:
        timeline, step_s = sounding_timeline(
            scores.starts_s, scores.sounding, duration_s=config.duration
        )
    pattern_events = search.events()
    sounds = _recording_sounds(search.sounds, n_samples=scores.n_samples, config=search.config)
    events = windows_to_events(
        scores.starts_s,
        ends_s,
        scores.probabilities,
        threshold=threshold,
        min_duration_s=options.min_event_s,
        # An alarm cut short by the recording shows in fewer windows; two consecutive
        # windows still tell it from one beep.
        min_edge_duration_s=min(options.min_event_s, config.duration + hop_s),
        min_windows=options.min_windows,
        merge_gap_s=merge_gap_s,
        recording_s=recording_s,
        start_edge_max_recording_s=START_EDGE_MAX_RECORDING_S,
        sounding=timeline,
        sounding_step_s=step_s,
        sounds=sounds,
    )
    if timeline is not None:
        # The last window's steps sit on the grid up to half a step past the recording.
        events = [
            {**event, "end": min(event["end"], recording_s)}
            for event in refine_event_bounds(
                events, timeline, step_s=step_s, window_s=config.duration, reach_s=hop_s
            )
        ]
    if not options.continuous_tones and timeline is not None:
        events = [e for e in events if not is_continuous_tone(e, timeline, step_s=step_s)]
    # One tone heard all along whose pitch glides or wanders is a kettle's whistle: an
    # alarm's tone holds its pitch (docs/detection.md, "Whistles that wander in pitch").
    if events:  # the track is the whole recording's frames: joined only when needed
        track = search.tone_track()
        events = [e for e in events if not is_wandering_tone(e, *track)]
    # Steady beeping below a piezo's band, alone between its beeps, that the model hears as
    # the alarm is a reversing lorry or an appliance (docs/detection.md, "Steady beepers").
    if events and timeline is not None:
        beepers = [(train.start, train.end) for train in search.beepers()]
        events = [e for e in events if not is_steady_beeper(e, beepers, timeline, step_s=step_s)]
    if options.beep_patterns:
        events = merge_events(events, pattern_events, gap_s=merge_gap_s)
    pulse_events = search.pulse_events()
    if options.pulse_patterns:
        events = merge_events(events, pulse_events, gap_s=merge_gap_s)
    else:
        _warn_of_steady_beeping(pulse_events, events, name=name)
    return make_result(
        name,
        duration_s=recording_s,
        sample_rate=sr,
        events=events,
        windows=window_records(scores.starts_s, ends_s, scores.probabilities, threshold=threshold),
        classifier=options.described,
    )


def _recording_sounds(
    sounds: np.ndarray | None, *, n_samples: int, config: spectrum.SpectrogramConfig
) -> np.ndarray | None:
    """The search's :func:`sounddetect.patterns.loud_sounds` within the recording's own
    ``n_samples``: a recording shorter than a window is classified with padding after it,
    whose frames are not the recording's, and a sound reaching its last frame may go on."""
    if sounds is None:
        return None
    end_s = (1 + max(n_samples - config.n_fft, 0) // config.hop_length) * (
        config.hop_length / config.sr
    )
    sounds = sounds[sounds[:, 0] < end_s - 1e-9].copy()
    sounds[sounds[:, 1] >= end_s - 1e-9, 1] = np.inf
    return sounds


def pace_refusal(
    *,
    done_s: float,
    total_s: float,
    elapsed_s: float,
    left_s: float,
    retry_s: float | None = None,
) -> str | None:
    """Why a recording being classified will not be done by its deadline, or None.

    It will not once the time is up, or once a tenth of it is done and, at the pace so
    far, the rest needs more than :data:`PACE_SLACK` times the time left.

    Parameters
    ----------
    done_s : float
        Seconds of audio classified so far.
    total_s : float
        The recording's length in seconds; 0 when its header does not say (then only the
        end of the time refuses it).
    elapsed_s, left_s : float
        Seconds spent on the recording so far, and left until the deadline.
    retry_s : float or None
        Seconds a fresh attempt would have from its start until its deadline, when more
        than ``elapsed_s + left_s`` (:func:`detect_file`); None: the same.

    Returns
    -------
    str or None
        The reason. Unless the recording would fit it, it names the length of recording
        that the whole time of an attempt (``retry_s``) would fit at this pace.
    """
    pace = done_s / elapsed_s if done_s > 0 and elapsed_s > 0 else 0.0  # audio s per s
    if left_s > 0:
        if not pace or not total_s or done_s < 0.1 * total_s:
            return None
        need_s = (total_s - done_s) / pace
        if need_s <= PACE_SLACK * left_s:
            return None
        outlook = f"the rest would take about {need_s:.0f} s, and {left_s:.0f} s are left"
    else:
        outlook = "and the time left ran out"
    if not pace:
        return "not analysed: the time left ran out before it began"
    of_total = f" of {_duration(total_s)}" if total_s else ""
    reason = (
        f"too long to analyse in the time left: {_duration(done_s)}{of_total} done in "
        f"{elapsed_s:.0f} s, {outlook}"
    )
    # What an attempt's whole time would classify at this pace, less a fifth for a slower
    # stretch: no advice to split a recording that a retry's whole time may well take.
    whole_s = elapsed_s + max(left_s, 0.0) if retry_s is None else retry_s
    part_s = 0.8 * pace * whole_s
    if total_s and part_s >= total_s:
        return reason
    return f"{reason}; split it into recordings of at most {_duration(part_s)}"


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


class _Deadline:
    """Passes audio blocks on while :func:`pace_refusal` finds no reason to stop.

    The refusal is an AudioError when a fresh attempt, with the whole of ``retry_s``, would
    be refused too (and the classifier is not ``remote``); otherwise a TransientError.
    """

    def __init__(
        self,
        deadline: float,
        *,
        retry_s: float | None,
        total_s: float,
        sr: int,
        name: str,
        remote: bool,
    ) -> None:
        self.deadline, self.total_s, self.sr, self.name = deadline, total_s, sr, name
        self.remote = remote
        self.started = time.monotonic()
        self.retry_s = deadline - self.started if retry_s is None else retry_s

    def observe(self, blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        done = 0
        for block in blocks:
            # The blocks before this one have been classified (but for a batch's remainder).
            now = time.monotonic()
            progress = {
                "done_s": done / self.sr,
                "total_s": self.total_s,
                "elapsed_s": now - self.started,
            }
            reason = pace_refusal(**progress, left_s=self.deadline - now, retry_s=self.retry_s)
            if reason:
                # A fresh attempt would be where this one is now with the rest of retry_s
                # left: only what it would refuse too is refused for good. A service's pace
                # may be throttling's, which passes.
                fresh_left_s = self.retry_s - progress["elapsed_s"]
                final = not self.remote and pace_refusal(**progress, left_s=fresh_left_s)
                raise (AudioError if final else TransientError)(f"{self.name}: {reason}")
            yield block
            done += block.shape[-1]


def _warn_if_silent(peak: float, *, name: str) -> bool:
    if peak >= 10.0 ** (SILENT_PEAK_DBFS / 20.0):
        return False
    level = (
        "no sound at all" if peak == 0 else f"nothing louder than {20 * np.log10(peak):.0f} dBFS"
    )
    warnings.warn(
        f"{name}: silent throughout ({level}): is the microphone muted or disconnected?",
        SoundDetectWarning,
        stacklevel=4,
    )
    return True


def _warn_of_steady_beeping(pulses: list[dict], events: list[dict], *, name: str) -> None:
    """Say where steady beeping in the piezo band was heard outside every alarm event: an
    alarm that beeps so (some European brands do) is raised only with ``pulse_patterns``."""
    for pulse in pulses:
        if any(e["start"] < pulse["end"] and e["end"] > pulse["start"] for e in events):
            continue
        warnings.warn(
            f"{name}: steady beeping in the piezo band from {pulse['start']:.1f} to "
            f"{pulse['end']:.1f} s, not the temporal-three pattern: no alarm raised (an alarm "
            "that beeps so, or a timer or an alarm clock; --pulse-patterns, PulsePatterns=true "
            "in the Lambda, raises one)",
            SoundDetectWarning,
            stacklevel=4,
        )


def _warn_if_clipped(level: LevelMeter, *, name: str) -> None:
    if not level.is_clipped:
        return
    warnings.warn(
        f"{name}: clipped ({100 * level.clipped_share:.3g} % of its samples flat at "
        "full scale): too loud for the microphone or its gain, and distorted sound can look "
        "like an alarm or hide one",
        SoundDetectWarning,
        stacklevel=4,
    )
