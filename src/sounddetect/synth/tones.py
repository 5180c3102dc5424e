"""Small signal helpers and harmonic tones: filters, noises, partials, fades.

The underscored helpers are the package's own: the other synth modules import them.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import signal

from sounddetect.exceptions import ParameterError

#: Partials at or above this fraction of the sample rate are dropped (no aliasing).
_NYQUIST_MARGIN = 0.45


def _rng(seed) -> np.random.Generator:
    return np.random.default_rng(seed)


def _gain(db):
    return 10.0 ** (np.asarray(db, dtype=float) / 20.0)


def _log_uniform(rng, low, high):
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def _check_sr(sr) -> int:
    if not isinstance(sr, int | np.integer) or sr < 4000:
        raise ParameterError(f"sr must be an integer sample rate >= 4000 Hz, got {sr!r}")
    return int(sr)


def _check_duration(duration) -> float:
    if not np.isfinite(duration) or duration <= 0:
        raise ParameterError(f"duration must be a positive number of seconds, got {duration!r}")
    return float(duration)


# --------------------------------------------------------------------------------------------
# Small signal helpers
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _butter_sos(order: int, cutoff_hz, btype: str, sr: int) -> np.ndarray:
    return signal.butter(order, cutoff_hz, btype=btype, fs=sr, output="sos")


def _band_limit(y, *, sr, highpass_hz=None, lowpass_hz=None, order=2):
    """Butterworth high/low/band-pass; cut-offs too close to Nyquist are left out."""
    if lowpass_hz is not None and lowpass_hz >= _NYQUIST_MARGIN * sr:
        lowpass_hz = None
    if highpass_hz is not None and lowpass_hz is not None:
        sos = _butter_sos(order, (float(highpass_hz), float(lowpass_hz)), "bandpass", sr)
    elif highpass_hz is not None:
        sos = _butter_sos(order, float(highpass_hz), "highpass", sr)
    elif lowpass_hz is not None:
        sos = _butter_sos(order, float(lowpass_hz), "lowpass", sr)
    else:
        return y
    return signal.sosfilt(sos, y, axis=0)


def _white(n, rng):
    """Unit-variance uniform white noise: several times cheaper to draw than Gaussian, and
    indistinguishable from it once filtered or heard."""
    return (rng.random(n) - 0.5) * np.sqrt(12.0)


def _colored_noise(n, *, color, rng):
    """Unit-variance white, pink (-3 dB/octave) or brown (-6 dB/octave) noise.

    Pink uses J. O. Smith's third-order 1/f filter, brown a leaky integrator: recursive
    filters cost a fraction of shaping a long spectrum by FFT.
    """
    y = _white(n, rng)
    if color == "pink":
        y = signal.lfilter(
            [0.049922035, -0.095993537, 0.050612699, -0.004408786],
            [1.0, -2.494956002, 2.017265875, -0.522189400],
            y,
        )
    elif color == "brown":
        y = signal.lfilter([1.0], [1.0, -0.995], y)
    elif color != "white":
        raise ParameterError(f"noise color must be white, pink or brown, got {color!r}")
    return y / (y.std() + 1e-12)


def _smooth_noise(n, *, sr, rate_hz, rng):
    """A slowly varying random curve (unit-variance knots every 1/rate_hz s, linear between)."""
    n_knots = int(n * rate_hz / sr) + 2
    knots = rng.standard_normal(n_knots)
    return np.interp(np.arange(n) * (rate_hz / sr), np.arange(n_knots), knots)


#: Points per cycle of the wavetable used for tones with many partials; with linear
#: interpolation the error stays below -70 dB for the first 30 partials.
_WAVETABLE_SIZE = 4096


def _partials(phase, amplitudes):
    """Sum of ``amplitudes[k-1] * sin(k * phase)``.

    A few partials are summed directly; many (square waves, hum, engines) are read from a
    one-cycle wavetable, whose cost does not grow with the number of partials.
    """
    if len(amplitudes) <= 3:
        y = amplitudes[0] * np.sin(phase)
        for k, amplitude in enumerate(amplitudes[1:], start=2):
            if amplitude:
                y += amplitude * np.sin(k * phase)
        return y
    cycle = 2.0 * np.pi * np.arange(_WAVETABLE_SIZE + 1) / _WAVETABLE_SIZE
    table = sum(a * np.sin(k * cycle) for k, a in enumerate(amplitudes, start=1) if a)
    position = phase * (_WAVETABLE_SIZE / (2.0 * np.pi))
    position -= np.floor(position / _WAVETABLE_SIZE) * _WAVETABLE_SIZE
    index = position.astype(np.int64)
    np.minimum(index, _WAVETABLE_SIZE - 1, out=index)
    fraction = position - index
    return table[index] + fraction * (table[index + 1] - table[index])


def _partial_amplitudes(partials_db, max_frequency_hz, sr):
    amplitudes = [
        float(_gain(level)) if (k + 1) * max_frequency_hz < _NYQUIST_MARGIN * sr else 0.0
        for k, level in enumerate(partials_db)
    ]
    while len(amplitudes) > 1 and amplitudes[-1] == 0.0:
        amplitudes.pop()
    return amplitudes


def _add_at(buffer, segment, start):
    """Add ``segment`` into ``buffer`` from sample ``start``, cropped to the buffer."""
    i0, i1 = max(start, 0), min(start + len(segment), len(buffer))
    if i1 > i0:
        buffer[i0:i1] += segment[i0 - start : i1 - start]


def _fade(n, *, sr, attack_s, release_s):
    """A raised-cosine attack and release envelope over ``n`` samples."""
    env = np.ones(n)
    a = min(max(1, round(attack_s * sr)), n // 2 or 1)
    r = min(max(1, round(release_s * sr)), n // 2 or 1)
    env[:a] = 0.5 - 0.5 * np.cos(np.pi * (np.arange(a) + 0.5) / a)
    env[n - r :] *= 0.5 + 0.5 * np.cos(np.pi * (np.arange(r) + 0.5) / r)
    return env


def _normalize_rms(y, rms=0.1):
    # np.mean(np.square(.)) rather than np.dot: a BLAS dot spins threads on a busy machine.
    level = np.sqrt(np.mean(np.square(y))) if len(y) else 0.0
    return y * (rms / level) if level > 0 else y


def harmonic_tone(frequency_hz, *, sr, duration=None, partials_db=(0.0,)):
    """A tone with harmonic partials and an optional time-varying frequency.

    Parameters
    ----------
    frequency_hz : float or np.ndarray [shape=(n,)]
        Fundamental in Hz: a constant (then ``duration`` is required) or one value per sample.
    sr : int
        Sample rate in Hz.
    duration : float, optional
        Length in seconds when ``frequency_hz`` is a constant.
    partials_db : sequence of float
        Level of partial k (k = 1, 2, ...) relative to full scale in dB; ``-inf`` omits it.
        Partials at or above 0.45 * sr are dropped so nothing aliases.

    Returns
    -------
    y : np.ndarray [shape=(n,)]

    Examples
    --------
    >>> y = harmonic_tone(520.0, sr=16000, duration=0.5, partials_db=(0, -np.inf, -9.5))
    >>> y.shape
    (8000,)
    """
    sr = _check_sr(sr)
    f = np.asarray(frequency_hz, dtype=float)
    if f.ndim == 0:
        if duration is None:
            raise ParameterError("harmonic_tone needs duration when frequency_hz is a constant")
        f = np.full(round(_check_duration(duration) * sr), float(f))
    if f.size == 0:
        return f.copy()
    phase = 2.0 * np.pi * np.cumsum(f) / sr
    return _partials(phase, _partial_amplitudes(partials_db, float(f.max()), sr))
