"""Where the analysis windows of a recording start, and how a short recording fills one.

numpy only: this module runs inside the Lambda.

    window_starts   -- sample offsets of overlapping windows that cover a whole recording
    pad_to_window   -- a recording shorter than one window, continued with its own quiet sound
    seconds_under   -- a length under a limit, in words ("3.999 s", not "4.00 s")
    MIN_RECORDING_S -- the shortest recording worth classifying
    MIN_HOP_S       -- the shortest hop between windows
"""

from __future__ import annotations

import numpy as np

from sounddetect._checks import is_integer
from sounddetect.audio import valid_audio
from sounddetect.exceptions import AudioError, ParameterError

#: The shortest recording (s) that is classified: an alarm window of the training data holds
#: at least 1 s of alarm sound (the generator's ``min_active_s``), and a shorter sound of an
#: alarm, one beep or a few pips, is what its non-alarm samples hold as alarm snippets.
MIN_RECORDING_S = 1.0
#: The shortest hop (s) between window starts: a window every 0.1 s already classifies each
#: moment 40 times (4 s windows), 30 s of audio in under a second with the default model;
#: shorter hops only cost time (0.001 s took minutes for 30 s, 0.0001 s never ended).
MIN_HOP_S = 0.1
#: Frames (samples) over which pad_to_window measures a recording's quietest sound: 32 ms at
#: 16 kHz, short enough to find the pauses between beeps.
_FLOOR_FRAME = 512
#: Per frequency, the level exceeded by 80 % of the frames is taken as the quiet sound; the
#: 20th percentile of noise power (exponentially distributed) is 0.223 of its mean.
_FLOOR_PERCENTILE = 20.0
_FLOOR_TO_MEAN = 1.0 / 0.223


def window_starts(
    n_samples: int, *, window_samples: int, hop_samples: int, sr: float | None = None
) -> np.ndarray:
    """Start offsets of windows of ``window_samples`` every ``hop_samples`` over a recording.

    Parameters
    ----------
    n_samples : int
        Length of the recording in samples.
    window_samples : int > 0
        Window length in samples (``SpectrogramConfig.window_samples``).
    hop_samples : int > 0
        Distance between window starts in samples.
    sr : float or None
        Sample rate in Hz, only to state lengths in seconds in the error message.

    Returns
    -------
    starts : np.ndarray [shape=(n,), dtype=int64]
        ``0, hop, 2 hop, ...`` while a window fits, plus, when those leave the tail
        uncovered, one last window ending exactly at ``n_samples`` (so no sound at the
        end of a recording goes unclassified).

    Raises
    ------
    AudioError
        The recording is shorter than one window.
    ParameterError
        A length is not a positive integer.

    Examples
    --------
    >>> window_starts(10, window_samples=4, hop_samples=3)
    array([0, 3, 6])
    >>> window_starts(11, window_samples=4, hop_samples=3)
    array([0, 3, 6, 7])
    """
    for name, value in (("window_samples", window_samples), ("hop_samples", hop_samples)):
        if not isinstance(value, int | np.integer) or value <= 0:
            raise ParameterError(f"{name} must be a positive integer, got {value!r}")
    if not isinstance(n_samples, int | np.integer) or n_samples < 0:
        raise ParameterError(f"n_samples must be a non-negative integer, got {n_samples!r}")
    if n_samples < window_samples:
        raise AudioError(f"shorter than one window ({_lengths(n_samples, window_samples, sr)})")
    starts = np.arange(0, n_samples - window_samples + 1, hop_samples, dtype=np.int64)
    if starts[-1] + window_samples < n_samples:
        starts = np.append(starts, np.int64(n_samples - window_samples))
    return starts


def pad_to_window(
    y: np.ndarray,
    *,
    window_samples: int,
    min_samples: int = 1,
    sr: float | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Continue a recording shorter than one window with noise shaped like its quietest sound.

    A clip of a few seconds (one beep group from a sound library, a phone's short recording)
    is classified as one window: the clip, then noise with the power spectrum of the clip's
    quietest moments (per frequency, its 20th percentile over 32 ms frames, scaled to a
    mean) up to the window's length, so the window holds the clip's own room sound instead
    of digital silence, which no training window holds.

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (channels, n)]
        Audio; each channel is continued with its own noise.
    window_samples : int > 0
        Window length in samples.
    min_samples : int >= 1
        Shortest recording that is padded; a shorter one is an :class:`AudioError`.
    sr : float or None
        Sample rate in Hz, only to state lengths in seconds in the error message.
    seed : int
        Seeds the noise, so a recording is always padded alike (channel ``c`` with
        ``seed + c``).

    Returns
    -------
    np.ndarray [shape=(max(n, window_samples),) or (channels, ...), dtype=float32]
        ``y`` as it is when it fills a window, else ``y`` followed by the noise.

    Raises
    ------
    AudioError
        ``y`` is shorter than ``min_samples``, or holds NaN, infinite or impossibly large
        samples (:func:`sounddetect.audio.valid_audio`).
    ParameterError
        ``y`` is not float audio, ``(n,)`` or ``(channels, n)`` (as
        :func:`sounddetect.audio.valid_audio`), or a count is not an integer of its range.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = (0.01 * rng.standard_normal(16000)).astype(np.float32)
    >>> padded = pad_to_window(y, window_samples=64000)
    >>> padded.shape, bool(np.all(padded[:16000] == y))
    ((64000,), True)
    >>> round(float(np.std(padded[16000:]) / np.std(y)), 1)
    1.0
    """
    for name, count, least in (
        ("window_samples", window_samples, 1),
        ("min_samples", min_samples, 1),
        ("seed", seed, 0),
    ):
        if not is_integer(count) or count < least:
            raise ParameterError(f"{name} must be an integer >= {least}, got {count!r}")
    if not (isinstance(y, np.ndarray) and y.size == 0):  # no samples: too short, below
        valid_audio(y, multichannel=True)
    y = y.astype(np.float32, copy=False)
    lengths = {"window_samples": window_samples, "min_samples": min_samples, "sr": sr}
    if y.ndim == 2:
        return np.stack(
            [_pad_channel(channel, **lengths, seed=seed + c) for c, channel in enumerate(y)]
        )
    return _pad_channel(y.reshape(-1), **lengths, seed=seed)


def _pad_channel(
    y: np.ndarray, *, window_samples: int, min_samples: int, sr: float | None, seed: int
) -> np.ndarray:
    """:func:`pad_to_window` of one channel, float32 ``(n,)``, its arguments checked."""
    if len(y) < min_samples:
        raise AudioError(f"too short to hold an alarm ({_lengths(len(y), min_samples, sr)})")
    missing = window_samples - len(y)
    if missing <= 0:
        return y
    frame = min(_FLOOR_FRAME, len(y))
    taper = np.hanning(frame)
    starts = np.arange(0, len(y) - frame + 1, max(1, frame // 2))
    frames = y[starts[:, None] + np.arange(frame)] * taper
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2 / np.sum(taper**2)
    floor = np.percentile(power, _FLOOR_PERCENTILE, axis=0) * _FLOOR_TO_MEAN
    # White noise of unit variance has a flat power spectrum of 1 on this scale; shaping its
    # spectrum by the floor's square root gives noise with the floor's power spectrum.
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(missing))
    shape = np.interp(
        np.linspace(0.0, 1.0, spectrum.size), np.linspace(0.0, 1.0, floor.size), np.sqrt(floor)
    )
    noise = np.fft.irfft(spectrum * shape, missing)
    return np.concatenate([y, noise.astype(np.float32)])


def _lengths(n_samples: int, limit: int, sr: float | None) -> str:
    """``"0.50 s < 1 s"``, or in samples when the rate is not known."""
    if sr:
        return f"{seconds_under(n_samples / sr, limit / sr)} s < {limit / sr:g} s"
    return f"{n_samples} samples < {limit} samples"


def seconds_under(seconds: float, limit: float) -> str:
    """``seconds`` (under ``limit``) with two decimals, or as many more as show it under
    ``limit``: a clip 1 ms short of 4 s is 3.999 s, not 4.00 s; one sample is 0.00 s."""
    for digits in range(2, 10):
        text = f"{seconds:.{digits}f}"
        if float(text) < limit:
            return text
    return repr(seconds)
