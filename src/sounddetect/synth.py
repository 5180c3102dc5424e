"""Synthesise the default sound corpus: smoke alarms and the sounds mistaken for them.

Real recordings cannot ship with the project, so ``sounddetect synth DIR`` renders a varied,
deterministic stand-in: alarms as real detectors make them (piezo horns, 520 Hz square-wave
sounders, loudspeakers with voice messages) heard in rooms through microphones, and
backgrounds chosen to be hard (a low-battery chirp, appliance beeps, reversing beepers, phone
rings, speech, music, ...). Every function is pure: the same arguments and ``seed`` give the
same samples, and the same corpus seed gives byte-identical files.

This module is generator-side (numpy + scipy); the inference path never imports it.

Temporal patterns
    beep_pattern, t3_pattern, t4_pattern, pattern_envelope, is_alarm_like
Sources
    harmonic_tone, babble, AlarmSpec, alarm_intervals, render_alarm
Rooms and microphones
    Room, ROOMS, MICROPHONES, Partition, PARTITION_KINDS, Recording, room_impulse_response,
    apply_room, transmit, heard_through, apply_microphone, record
Backgrounds
    render_background, BACKGROUND_KINDS, TRAINING_BACKGROUND_KINDS, HOLDOUT_BACKGROUND_KINDS,
    draw_beep_sequence, BEEP_STYLES
Corpus
    CorpusFile, plan_corpus, render_corpus_file, make_corpus
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal
from tqdm import tqdm

from sounddetect import __version__
from sounddetect.exceptions import ParameterError
from sounddetect.workers import map_in_processes

logger = logging.getLogger(__name__)

#: Length in seconds of the model's window; a share of the alarm clips is exactly this long.
SAMPLE_DURATION = 4.0

#: Partials at or above this fraction of the sample rate are dropped (no aliasing).
_NYQUIST_MARGIN = 0.45

#: Beeps per group of each temporal pattern.
PATTERN_BEEPS = {"t3": 3, "t4": 4}


def _rng(seed) -> np.random.Generator:
    return np.random.default_rng(seed)


def _gain(db):
    return 10.0 ** (np.asarray(db, dtype=float) / 20.0)


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


# --------------------------------------------------------------------------------------------
# Temporal patterns
# --------------------------------------------------------------------------------------------


def _pattern(
    *, duration, on_s, off_s, n_beeps, gap_s, start_s, jitter_s, message_s, message_every, seed
):
    """Beep intervals and message intervals of a grouped beep pattern (see beep_pattern)."""
    rng = _rng(seed)

    def jittered(value):
        # Brands differ by their nominal timing; one unit also wavers a little beep to beep.
        return max(0.3 * value, value + jitter_s * float(np.clip(rng.standard_normal(), -3, 3)))

    beeps, messages = [], []
    t, group = float(start_s), 0
    while t < duration:
        for b in range(n_beeps):
            on = jittered(on_s)
            beeps.append((t, t + on))
            t += on
            if b < n_beeps - 1:
                t += jittered(off_s)
        if message_s > 0 and group % message_every == message_every - 1:
            pause = jittered(off_s)
            messages.append((t + pause, t + pause + message_s))
            t += 2 * pause + message_s
        else:
            t += jittered(gap_s)
        group += 1

    def crop(intervals):
        out = np.array(intervals, dtype=float).reshape(-1, 2)
        out = out[(out[:, 1] > 0) & (out[:, 0] < duration)]
        return np.clip(out, 0.0, duration)

    return crop(beeps), crop(messages)


def beep_pattern(*, duration, on_s, off_s, n_beeps, gap_s, start_s=0.0, jitter_s=0.0, seed=0):
    """On intervals of a pattern of beep groups: ``n_beeps`` x (on, off), then a longer gap.

    Parameters
    ----------
    duration : float
        Length of the clip in seconds; intervals are cropped to [0, duration].
    on_s, off_s : float
        Nominal beep and inter-beep silence durations in seconds.
    n_beeps : int
        Beeps per group.
    gap_s : float
        Silence after the last beep of a group, in seconds (replaces its ``off_s``).
    start_s : float
        Onset of the first beep in seconds; negative starts the clip mid-cycle.
    jitter_s : float
        Standard deviation in seconds of each on/off/gap duration around its nominal value.
    seed : int

    Returns
    -------
    intervals : np.ndarray [shape=(n, 2)]
        Beep onsets and offsets in seconds.

    See Also
    --------
    t3_pattern, t4_pattern
    """
    _check_duration(duration)
    if n_beeps < 1 or min(on_s, off_s, gap_s) < 0 or on_s == 0:
        raise ParameterError(
            f"need n_beeps >= 1, on_s > 0 and non-negative off_s, gap_s; got n_beeps={n_beeps},"
            f" on_s={on_s}, off_s={off_s}, gap_s={gap_s}"
        )
    if on_s * n_beeps + off_s * (n_beeps - 1) + gap_s <= 0.01:
        raise ParameterError("a beep group must last longer than 10 ms")
    beeps, _ = _pattern(
        duration=duration,
        on_s=on_s,
        off_s=off_s,
        n_beeps=n_beeps,
        gap_s=gap_s,
        start_s=start_s,
        jitter_s=jitter_s,
        message_s=0.0,
        message_every=1,
        seed=seed,
    )
    return beeps


def t3_pattern(*, duration, on_s=0.5, off_s=0.5, gap_s=1.5, start_s=0.0, jitter_s=0.0, seed=0):
    """Temporal-three (ISO 8201, smoke/fire): three 0.5 s beeps 0.5 s apart, then 1.5 s off.

    One cycle lasts 4 s. Parameters and return value as :func:`beep_pattern`.

    Examples
    --------
    >>> t3_pattern(duration=4.0)
    array([[0. , 0.5],
           [1. , 1.5],
           [2. , 2.5]])
    """
    return beep_pattern(
        duration=duration,
        on_s=on_s,
        off_s=off_s,
        n_beeps=3,
        gap_s=gap_s,
        start_s=start_s,
        jitter_s=jitter_s,
        seed=seed,
    )


def t4_pattern(*, duration, on_s=0.1, off_s=0.1, gap_s=5.0, start_s=0.0, jitter_s=0.0, seed=0):
    """Temporal-four (carbon monoxide): four 0.1 s beeps 0.1 s apart, then 5 s off.

    One cycle lasts 5.7 s. Parameters and return value as :func:`beep_pattern`.
    """
    return beep_pattern(
        duration=duration,
        on_s=on_s,
        off_s=off_s,
        n_beeps=4,
        gap_s=gap_s,
        start_s=start_s,
        jitter_s=jitter_s,
        seed=seed,
    )


def pattern_envelope(intervals, *, n_samples, sr, attack_s=0.005, release_s=0.01):
    """Amplitude envelope of a list of on intervals with raised-cosine ramps.

    The ramps are centred on the interval edges, so the envelope crosses 0.5 exactly at each
    nominal onset and offset.

    Parameters
    ----------
    intervals : np.ndarray [shape=(n, 2)]
        Onsets and offsets in seconds.
    n_samples : int
    sr : int
    attack_s, release_s : float
        Ramp lengths in seconds.

    Returns
    -------
    env : np.ndarray [shape=(n_samples,)], values in [0, 1]
    """
    env = np.zeros(n_samples)
    a = max(2, round(attack_s * sr))
    r = max(2, round(release_s * sr))
    attack = 0.5 - 0.5 * np.cos(np.pi * (np.arange(a) + 0.5) / a)
    release = attack[::-1] if r == a else 0.5 + 0.5 * np.cos(np.pi * (np.arange(r) + 0.5) / r)
    for onset, offset in np.asarray(intervals, dtype=float).reshape(-1, 2):
        i0 = round(onset * sr) - a // 2
        i1 = round(offset * sr) + r - r // 2
        if i1 - i0 < a + r:
            i1 = i0 + a + r
        seg = np.ones(i1 - i0)
        seg[:a] = attack
        seg[-r:] = np.minimum(seg[-r:], release)
        lo, hi = max(i0, 0), min(i1, n_samples)
        if hi > lo:
            env[lo:hi] = np.maximum(env[lo:hi], seg[lo - i0 : hi - i0])
    return env


#: Beep and silence lengths (s) at which a 4 s window cannot tell a pattern from an alarm's:
#: T3 beeps and gaps (real brands 0.34-0.68 s), the pause that sets a T3 group apart, T4 beeps
#: and gaps, and the pause after a T4 group. Silences shorter than ``_MERGE_S`` join two tones
#: into one sound (a two-tone or a trill is one beep to the ear).
T3_ON_S = (0.3, 0.7)
T3_PAUSE_S = 0.8
T4_ON_S = (0.03, 0.2)
T4_OFF_MAX_S = 0.25
T4_PAUSE_S = 2.5
_MERGE_S = 0.03


def is_alarm_like(intervals, *, duration=None):
    """Whether a beep sequence holds a stretch a 4 s window could not tell from T3 or T4.

    The model sees one 4 s window at a time, so what it cannot see matters as much as what it
    can: three T3-timed beeps next to a pause of at least 0.8 s look like a T3 alarm even when
    a fourth beep lies just outside the window, and four short beeps next to a pause of at
    least 2.5 s look like a T4 (CO) alarm even when the group has five or six.

    Parameters
    ----------
    intervals : np.ndarray [shape=(n, 2)]
        Beep onsets and offsets in seconds (any order).
    duration : float, optional
        Length of the clip in seconds. With it, silence before the first beep and after the
        last one counts as a pause; without it, the clip's edges are not pauses.

    Returns
    -------
    bool
        True if any three consecutive beeps last 0.3-0.7 s with 0.3-0.7 s between them and a
        pause of at least 0.8 s before or after (T3-like), or any four consecutive beeps last
        0.03-0.2 s with at most 0.25 s between them and a pause of at least 2.5 s before or
        after (T4-like).

    Examples
    --------
    >>> is_alarm_like(t3_pattern(duration=12.0))
    True
    >>> is_alarm_like(beep_pattern(duration=12.0, on_s=0.5, off_s=0.5, n_beeps=2, gap_s=1.5))
    False
    """
    iv = np.asarray(intervals, dtype=float).reshape(-1, 2)
    iv = iv[np.argsort(iv[:, 0], kind="stable")]
    merged = []
    for onset, offset in iv:
        if merged and onset - merged[-1][1] < _MERGE_S:
            merged[-1][1] = max(merged[-1][1], offset)
        else:
            merged.append([onset, offset])
    if not merged:
        return False
    iv = np.array(merged)
    on = iv[:, 1] - iv[:, 0]
    silence = iv[1:, 0] - iv[:-1, 1]
    edge_before = iv[0, 0] if duration is not None else 0.0
    edge_after = duration - iv[-1, 1] if duration is not None else 0.0
    before = np.concatenate([[edge_before], silence])
    after = np.concatenate([silence, [edge_after]])

    def matches(run, on_range, off_range, pause_s):
        for i in range(len(iv) - run + 1):
            last = i + run - 1
            if (
                np.all((on[i : last + 1] >= on_range[0]) & (on[i : last + 1] <= on_range[1]))
                and np.all((silence[i:last] >= off_range[0]) & (silence[i:last] <= off_range[1]))
                and max(before[i], after[last]) >= pause_s
            ):
                return True
        return False

    return matches(3, T3_ON_S, T3_ON_S, T3_PAUSE_S) or matches(
        4, T4_ON_S, (0.0, T4_OFF_MAX_S), T4_PAUSE_S
    )


def _beeps(n, *, sr, intervals, frequencies_hz, partials_db=(0.0,), attack_s=0.005, release_s=0.01):
    """Beeps of one or more simultaneous tones; tones are computed only where they sound."""
    env = pattern_envelope(intervals, n_samples=n, sr=sr, attack_s=attack_s, release_s=release_s)
    y = np.zeros(n)
    active = np.flatnonzero(env)
    if active.size:
        phase_step = 2.0 * np.pi * active / sr
        for f in np.atleast_1d(frequencies_hz):
            y[active] += _partials(phase_step * f, _partial_amplitudes(partials_db, f, sr))
    return y * env


# --------------------------------------------------------------------------------------------
# Speech-like babble (formant synthesis)
# --------------------------------------------------------------------------------------------

#: First three formants (Hz) of English vowels (Peterson & Barney, adult male averages).
VOWEL_FORMANTS_HZ = (
    (730, 1090, 2440),
    (270, 2290, 3010),
    (300, 870, 2240),
    (530, 1840, 2480),
    (570, 840, 2410),
    (660, 1720, 2410),
    (520, 1190, 2390),
    (490, 1350, 1690),
    (390, 1990, 2550),
    (440, 1020, 2240),
)


@functools.lru_cache(maxsize=4096)
def _formant_sos(formants_hz, sr):
    """Cascade of unity-DC-gain two-pole resonators (Klatt's cascade formant synthesiser)."""
    sections = []
    for f, bandwidth in zip(formants_hz, (80.0, 100.0, 140.0, 200.0), strict=False):
        if f >= _NYQUIST_MARGIN * sr:
            continue
        r = np.exp(-np.pi * bandwidth / sr)
        a1, a2 = -2.0 * r * np.cos(2.0 * np.pi * f / sr), r * r
        sections.append([1.0 + a1 + a2, 0.0, 0.0, 1.0, a1, a2])
    return np.array(sections)


def babble(duration, *, sr, f0_hz=120.0, formant_scale=1.0, syllable_rate_hz=4.5, seed=0):
    """Speech-like babble: voiced syllables with formants, fricatives, pitch contours, pauses.

    Not words, but the spectro-temporal texture of speech: a glottal pulse train whose pitch
    falls over each phrase, shaped by vowel formants that change syllable by syllable, with
    noisy consonants and pauses between words and phrases.

    Parameters
    ----------
    duration : float
        Length in seconds.
    sr : int
        Sample rate in Hz.
    f0_hz : float
        Mean voice pitch in Hz (about 85-150 for men, 165-255 for women, 250-350 for children).
    formant_scale : float
        Multiplier on the vowel formants (about 1.15 for women, 1.3 for children).
    syllable_rate_hz : float
        Mean syllables per second.
    seed : int

    Returns
    -------
    y : np.ndarray [shape=(round(duration * sr),)], peak 1 (or silence)
    """
    sr = _check_sr(sr)
    n = round(_check_duration(duration) * sr)
    rng = _rng(seed)
    # Pitch: phrase-level declination (resets every 1.5-3 s) plus slow intonation.
    phrase_s = rng.uniform(1.5, 3.0)
    t = np.arange(n) / sr
    declination = 1.0 - 0.15 * ((t % phrase_s) / phrase_s)
    intonation = 2.0 ** (0.12 * _smooth_noise(n, sr=sr, rate_hz=3.0, rng=rng))
    f0 = f0_hz * declination * intonation
    pulses = np.diff(np.floor(np.cumsum(f0) / sr), prepend=0.0)
    # Glottal pulse shape and lip radiation: a net -6 dB/octave source spectrum.
    source = signal.lfilter([1.0, -1.0], [1.0, -1.9, 0.9025], pulses)
    source += 0.02 * _white(n, rng)  # breathiness

    y = np.zeros(n)
    fricative_sos = _butter_sos(2, min(3000.0, 0.4 * sr), "highpass", sr)
    tail = round(0.03 * sr)
    position = rng.uniform(0.0, 0.3)
    syllables_in_phrase = 0
    while position < duration:
        syllable_s = rng.uniform(0.6, 1.4) / syllable_rate_hz
        i0, i1 = round(position * sr), min(round((position + syllable_s) * sr), n)
        if i1 - i0 > 16:
            m = i1 - i0
            vowel = np.array(VOWEL_FORMANTS_HZ[rng.integers(len(VOWEL_FORMANTS_HZ))])
            formants = tuple(np.round(vowel * formant_scale * rng.uniform(0.92, 1.08), -1))
            env = np.sin(np.pi * np.arange(m) / m) ** 0.7 * rng.uniform(0.4, 1.0)
            excitation = np.zeros(m + tail)
            excitation[:m] = source[i0:i1] * env
            _add_at(y, signal.sosfilt(_formant_sos(formants, sr), excitation), i0)
            if rng.random() < 0.4:  # a fricative or plosive onset
                k = min(m, round(rng.uniform(0.02, 0.09) * sr))
                noise = signal.sosfilt(fricative_sos, rng.standard_normal(k))
                _add_at(y, 0.15 * noise * np.hanning(k), i0)
        position += syllable_s
        syllables_in_phrase += 1
        if rng.random() < 0.3:  # word boundary
            position += rng.uniform(0.03, 0.2)
        if syllables_in_phrase > rng.integers(5, 14):  # phrase boundary: breathe
            position += rng.uniform(0.3, 0.9)
            syllables_in_phrase = 0
    peak = np.abs(y).max()
    return y / peak if peak > 0 else y


# --------------------------------------------------------------------------------------------
# Alarms
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlarmSpec:
    """What an alarm sounder emits: its tone, its temporal pattern and their imperfections.

    Attributes
    ----------
    kind : str
        Corpus kind (the file stem's prefix), e.g. ``"t3piezo"``.
    pattern : str
        ``"t3"`` (smoke), ``"t4"`` (carbon monoxide) or ``"continuous"``.
    source : str
        What makes the sound: ``"piezo"``, ``"square"`` (a low-frequency square-wave sounder)
        or ``"speaker"``; descriptive, the timbre is in ``partials_db``.
    f0_hz : float
        Fundamental in Hz.
    partials_db : tuple of float
        Level of partial k relative to the fundamental in dB (first entry 0).
    duration_s : float
        Clip length in seconds.
    start_s : float
        Onset of the first beep in seconds; negative starts the clip mid-cycle.
    on_s, off_s, gap_s : float
        Beep, inter-beep and inter-group durations in seconds (a brand's nominal timing).
    jitter_s : float
        Beep-to-beep timing wobble (standard deviation, s).
    attack_s, release_s : float
        Onset and decay ramp lengths in seconds.
    drift : float
        Relative standard deviation of slow frequency drift (0.003 = 0.3 %).
    warble_hz, warble_depth : float
        Two-tone warble rate (Hz) and relative depth; 0 for none.
    sweep : float
        Relative frequency rise across each beep (a "whoop"); 0 for none.
    am_hz, am_depth : float
        Amplitude modulation (the buzz of a cheap driver) rate in Hz and depth (0-1).
    noise_db : float
        Level of the sounder's own broadband noise relative to its tone in dB.
    message_s : float
        Length in seconds of a voice message played in the gap after every
        ``message_every``-th group; 0 for none.
    message_every : int
    voice_f0_hz, voice_formant_scale : float
        The message voice (see :func:`babble`).
    second_unit_lag_s : float
        Interconnected alarms: a second unit sounds the same pattern this many seconds
        later (units in one home are linked but not in step); 0 for one unit.
    second_unit_ratio : float
        The second unit's pitch relative to ``f0_hz`` (no two sounders are alike).
    second_unit_db : float
        The second unit's level relative to the first in dB (it is further away).
    """

    kind: str = "t3piezo"
    pattern: str = "t3"
    source: str = "piezo"
    f0_hz: float = 3150.0
    partials_db: tuple[float, ...] = (0.0, -20.0, -12.0)
    duration_s: float = SAMPLE_DURATION
    start_s: float = 0.0
    on_s: float = 0.5
    off_s: float = 0.5
    gap_s: float = 1.5
    jitter_s: float = 0.0
    attack_s: float = 0.005
    release_s: float = 0.01
    drift: float = 0.0
    warble_hz: float = 0.0
    warble_depth: float = 0.0
    sweep: float = 0.0
    am_hz: float = 0.0
    am_depth: float = 0.0
    noise_db: float = -60.0
    message_s: float = 0.0
    message_every: int = 1
    voice_f0_hz: float = 140.0
    voice_formant_scale: float = 1.0
    second_unit_lag_s: float = 0.0
    second_unit_ratio: float = 1.0
    second_unit_db: float = 0.0

    def __post_init__(self):
        if self.pattern not in (*PATTERN_BEEPS, "continuous"):
            raise ParameterError(f"pattern must be t3, t4 or continuous, got {self.pattern!r}")
        if self.f0_hz <= 0 or self.duration_s <= 0 or self.on_s <= 0:
            raise ParameterError(
                f"f0_hz, duration_s and on_s must be positive, got {self.f0_hz}, "
                f"{self.duration_s}, {self.on_s}"
            )
        if not self.partials_db:
            raise ParameterError("partials_db needs at least the fundamental's level")
        if self.second_unit_lag_s < 0 or self.second_unit_ratio <= 0:
            raise ParameterError(
                f"need second_unit_lag_s >= 0 and second_unit_ratio > 0, got "
                f"{self.second_unit_lag_s} and {self.second_unit_ratio}"
            )

    def second_unit(self) -> AlarmSpec | None:
        """The interconnected second unit as a one-unit spec, or None."""
        if not self.second_unit_lag_s:
            return None
        return dataclasses.replace(
            self,
            f0_hz=self.f0_hz * self.second_unit_ratio,
            start_s=self.start_s + self.second_unit_lag_s,
            second_unit_lag_s=0.0,
        )

    def to_dict(self) -> dict:
        return {
            k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(self).items()
        }


def _units(spec: AlarmSpec, seed):
    """The units that sound, each as a one-unit spec with its own seed."""
    second = spec.second_unit()
    if second is None:
        return [(spec, seed)]
    second_seed = int(np.random.SeedSequence([seed, 17]).generate_state(1)[0])
    return [(dataclasses.replace(spec, second_unit_lag_s=0.0), seed), (second, second_seed)]


def _union(intervals):
    """Overlapping intervals merged, sorted by onset."""
    merged = []
    for onset, offset in sorted(map(tuple, intervals)):
        if merged and onset <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], offset)
        else:
            merged.append([onset, offset])
    return np.array(merged, dtype=float).reshape(-1, 2)


def alarm_intervals(spec: AlarmSpec, *, seed=0):
    """When the alarm sounds: beep intervals and voice-message intervals (both (n, 2), s).

    With an interconnected second unit, the intervals are those of either unit.
    """
    units = _units(spec, seed)
    if len(units) > 1:
        beeps, messages = zip(*(alarm_intervals(unit, seed=s) for unit, s in units), strict=True)
        return _union(np.concatenate(beeps)), _union(np.concatenate(messages))
    if spec.pattern == "continuous":
        return np.array([[max(spec.start_s, 0.0), spec.duration_s]]), np.empty((0, 2))
    return _pattern(
        duration=spec.duration_s,
        on_s=spec.on_s,
        off_s=spec.off_s,
        n_beeps=PATTERN_BEEPS[spec.pattern],
        gap_s=spec.gap_s,
        start_s=spec.start_s,
        jitter_s=spec.jitter_s,
        message_s=spec.message_s,
        message_every=spec.message_every,
        seed=[seed, 1],
    )


def render_alarm(spec: AlarmSpec, *, sr, seed=0):
    """The dry signal an alarm emits (no room, no microphone), peak-normalised to 1.

    Parameters
    ----------
    spec : AlarmSpec
    sr : int
        Sample rate in Hz.
    seed : int
        Seeds the timing jitter, frequency drift, sounder noise and the voice message.

    Returns
    -------
    y : np.ndarray [shape=(round(spec.duration_s * sr),)]

    See Also
    --------
    alarm_intervals : the beep intervals this signal follows.
    record : put the alarm in a room and record it.

    Examples
    --------
    >>> y = render_alarm(AlarmSpec(f0_hz=3100.0), sr=16000)
    >>> y.shape
    (64000,)
    """
    sr = _check_sr(sr)
    units = _units(spec, seed)
    if len(units) > 1:
        (first, first_seed), (second, second_seed) = units
        y = render_alarm(first, sr=sr, seed=first_seed) + _gain(spec.second_unit_db) * render_alarm(
            second, sr=sr, seed=second_seed
        )
        peak = np.abs(y).max()
        return y / peak if peak > 0 else y
    n = round(spec.duration_s * sr)
    rng = _rng([seed, 2])
    beeps, messages = alarm_intervals(spec, seed=seed)
    env = pattern_envelope(
        beeps, n_samples=n, sr=sr, attack_s=spec.attack_s, release_s=spec.release_s
    )
    t = np.arange(n) / sr
    factor = 1.0 + spec.drift * _smooth_noise(n, sr=sr, rate_hz=0.7, rng=rng)
    if spec.warble_depth:
        # Two tones alternating with soft edges, as two-tone alarm drivers do.
        factor *= 1.0 + spec.warble_depth * np.tanh(4.0 * np.sin(2 * np.pi * spec.warble_hz * t))
    if spec.sweep:
        ramp = np.zeros(n)
        for onset, offset in beeps:
            i0, i1 = round(onset * sr), round(offset * sr)
            ramp[i0:i1] = np.linspace(-0.5, 0.5, i1 - i0) * spec.sweep
        factor *= 1.0 + ramp
    f = spec.f0_hz * factor
    active = np.flatnonzero(env)
    y = np.zeros(n)
    if active.size:
        phase = 2.0 * np.pi * np.cumsum(f) / sr
        y[active] = _partials(phase[active], _partial_amplitudes(spec.partials_db, f.max(), sr))
    if spec.am_depth:
        y *= 1.0 + spec.am_depth * np.sin(2 * np.pi * spec.am_hz * t)
    y += _gain(spec.noise_db) * _white(n, rng)
    y *= env
    for i, (onset, offset) in enumerate(messages):
        i0, i1 = round(onset * sr), round(offset * sr)
        if i1 - i0 < sr // 10:
            continue
        voice = babble(
            (i1 - i0) / sr,
            sr=sr,
            f0_hz=spec.voice_f0_hz,
            formant_scale=spec.voice_formant_scale,
            seed=[seed, 3, i],
        )
        # The alarm's small loudspeaker passes little below 400 Hz.
        voice = _band_limit(voice, sr=sr, highpass_hz=400.0, lowpass_hz=5000.0)
        _add_at(y, 0.7 * voice / (np.abs(voice).max() + 1e-12), i0)
    peak = np.abs(y).max()
    return y / peak if peak > 0 else y


# --------------------------------------------------------------------------------------------
# Rooms and microphones
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Room:
    """A room's acoustics, enough for a statistical impulse response.

    Attributes
    ----------
    name : str
    volume_m3 : float
    rt60_s : float
        Reverberation time (60 dB decay) at low/mid frequencies, s.
    hf_damping : float
        High-frequency reverberation time as a fraction of ``rt60_s`` (soft rooms ~0.5,
        tiled ~0.9).
    description : str
    """

    name: str
    volume_m3: float
    rt60_s: float
    hf_damping: float
    description: str

    def drr_db(self, distance_m, *, directivity=2.0):
        """Direct-to-reverberant ratio in dB at ``distance_m`` (Sabine critical distance)."""
        critical_m = 0.057 * np.sqrt(directivity * self.volume_m3 / self.rt60_s)
        return float(np.clip(20.0 * np.log10(critical_m / distance_m), -12.0, 25.0))


#: Rooms 00-11 are used for training, 12-15 only in the holdout; "outdoors" for street sounds.
ROOMS = {
    room.name: room
    for room in (
        Room("room00", 35, 0.35, 0.55, "bedroom with carpet and curtains"),
        Room("room01", 70, 0.50, 0.60, "living room"),
        Room("room02", 30, 0.60, 0.75, "kitchen, hard surfaces"),
        Room("room03", 20, 0.70, 0.70, "hallway"),
        Room("room04", 12, 0.90, 0.85, "tiled bathroom"),
        Room("room05", 60, 0.45, 0.60, "home office"),
        Room("room06", 80, 1.10, 0.70, "garage"),
        Room("room07", 25, 0.25, 0.50, "small furnished bedroom"),
        Room("room08", 150, 0.70, 0.65, "open-plan living and kitchen"),
        Room("room09", 90, 0.90, 0.60, "basement"),
        Room("room10", 6, 0.15, 0.50, "closet"),
        Room("room11", 200, 0.80, 0.60, "classroom"),
        Room("room12", 120, 1.80, 0.80, "stairwell (holdout)"),
        Room("room13", 1500, 2.40, 0.60, "warehouse (holdout)"),
        Room("room14", 8, 1.40, 0.95, "tiled shower room (holdout)"),
        Room("room15", 15, 0.08, 0.40, "dead vocal booth (holdout)"),
        Room("outdoors", 1e5, 0.12, 0.50, "outdoors: little reverberation"),
    )
}
TRAINING_ROOMS = tuple(f"room{i:02d}" for i in range(12))
HOLDOUT_ROOMS = ("room12", "room13", "room14", "room15")

#: Microphone and channel responses: band edges (Hz), filter order, self-noise (dBFS).
#: The last three appear only in the holdout.
MICROPHONES = {
    "studio": {"highpass_hz": 20.0, "lowpass_hz": None, "order": 2, "noise_dbfs": -85.0},
    "smartphone": {"highpass_hz": 100.0, "lowpass_hz": 11000.0, "order": 2, "noise_dbfs": -72.0},
    "cheap": {"highpass_hz": 180.0, "lowpass_hz": 5000.0, "order": 1, "noise_dbfs": -60.0},
    "laptop": {"highpass_hz": 250.0, "lowpass_hz": 7500.0, "order": 2, "noise_dbfs": -64.0},
    "phone": {"highpass_hz": 300.0, "lowpass_hz": 3400.0, "order": 4, "noise_dbfs": -66.0},
    "intercom": {"highpass_hz": 500.0, "lowpass_hz": 3000.0, "order": 2, "noise_dbfs": -55.0},
    "babymonitor": {"highpass_hz": 150.0, "lowpass_hz": 4000.0, "order": 1, "noise_dbfs": -50.0},
    "wideband": {"highpass_hz": 50.0, "lowpass_hz": 7000.0, "order": 6, "noise_dbfs": -75.0},
}
TRAINING_MICROPHONES = ("studio", "smartphone", "cheap", "laptop", "phone")
HOLDOUT_MICROPHONES = ("intercom", "babymonitor", "wideband")


#: What may stand between a sound's room and the microphone's (:class:`Partition`).
PARTITION_KINDS = ("door", "wall")


@dataclass(frozen=True)
class Partition:
    """A closed door or a wall between a sound's room and the microphone's.

    Attributes
    ----------
    kind : str
        One of :data:`PARTITION_KINDS`.
    room : str
        The sound's room, a key of :data:`ROOMS`.
    distance_m : float
        From the sound to the partition, metres.
    corner_hz : float
        Above it the loss grows by 6 dB per octave.
    leak_db : float
        Level of what leaks through gaps at every frequency, dB re the corner's.
    """

    kind: str = "door"
    room: str = "room01"
    distance_m: float = 2.0
    corner_hz: float = 500.0
    leak_db: float = -20.0

    def __post_init__(self):
        if self.kind not in PARTITION_KINDS or self.room not in ROOMS:
            raise ParameterError(
                f"unknown partition {self.kind!r} or room {self.room!r}; choose from "
                f"{PARTITION_KINDS} and {sorted(ROOMS)}"
            )
        if self.distance_m <= 0 or self.corner_hz <= 0:
            raise ParameterError(
                f"distance_m and corner_hz must be positive, got {self.distance_m}, "
                f"{self.corner_hz}"
            )


@dataclass(frozen=True)
class Recording:
    """How a sound was recorded.

    Attributes
    ----------
    room : str
        A key of :data:`ROOMS`.
    distance_m : float
        Source-microphone distance in metres (sets the direct-to-reverberant ratio).
    mic : str
        A key of :data:`MICROPHONES`.
    level_dbfs : float
        RMS level of the first channel in dB re full scale.
    clip_db : float
        If positive, peaks are driven this far past full scale and clipped (a near mic).
    channels : int
        1 or 2; stereo channels hear different reverberation.
    through : Partition or None
        The sound plays in another room, behind a closed door or a wall; ``room`` and
        ``distance_m`` are then the microphone's room and its distance from the partition.
    """

    room: str = "room01"
    distance_m: float = 2.0
    mic: str = "studio"
    level_dbfs: float = -20.0
    clip_db: float = 0.0
    channels: int = 1
    through: Partition | None = None

    def __post_init__(self):
        if self.room not in ROOMS:
            raise ParameterError(f"unknown room {self.room!r}; choose from {sorted(ROOMS)}")
        if self.mic not in MICROPHONES:
            raise ParameterError(f"unknown mic {self.mic!r}; choose from {sorted(MICROPHONES)}")
        if self.channels not in (1, 2) or self.distance_m <= 0:
            raise ParameterError(
                f"channels must be 1 or 2 and distance_m positive, got {self.channels}, "
                f"{self.distance_m}"
            )

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def room_impulse_response(*, sr, rt60_s, drr_db, hf_damping=0.6, seed=0):
    """A synthetic room impulse response: direct sound, early reflections, a noise tail.

    The tail is Gaussian noise under an exponential decay reaching -60 dB at ``rt60_s`` (at
    high frequencies at ``hf_damping * rt60_s``), scaled so that the direct sound's energy
    over the reflections' and tail's energy is ``drr_db``.

    Parameters
    ----------
    sr : int
    rt60_s : float
        Reverberation time in seconds.
    drr_db : float
        Direct-to-reverberant energy ratio in dB (high near the source, negative far away).
    hf_damping : float
        High-band decay time as a fraction of ``rt60_s``.
    seed : int

    Returns
    -------
    h : np.ndarray [shape=(about rt60_s * sr,)], ``h[0] == 1`` (the direct sound)
    """
    sr = _check_sr(sr)
    if rt60_s <= 0 or not 0 < hf_damping <= 1:
        raise ParameterError(f"need rt60_s > 0 and 0 < hf_damping <= 1, got {rt60_s}, {hf_damping}")
    rng = _rng(seed)
    # Cut where the decay has reached -48 dB: below that it hides under any noise floor.
    n = max(round(min(0.8 * rt60_s, 2.0) * sr), 16)
    t = np.arange(n) / sr
    noise = _white(n, rng)
    low = _band_limit(noise, sr=sr, lowpass_hz=1500.0)
    tail = low * np.exp(-6.91 * t / rt60_s) + (noise - low) * np.exp(
        -6.91 * t / (rt60_s * hf_damping)
    )
    first_reflection_s = rng.uniform(0.002, 0.012)
    tail *= np.clip((t - first_reflection_s) / 0.015, 0.0, 1.0)  # the tail builds up
    for delay_s in rng.uniform(first_reflection_s, first_reflection_s + 0.03, size=8):
        i = round(delay_s * sr)
        strength = rng.uniform(1.0, 4.0) * np.exp(-6.91 * delay_s / rt60_s)
        tail[i] += rng.choice((-1.0, 1.0)) * strength
    tail *= np.sqrt(10.0 ** (-drr_db / 10.0) / np.sum(tail**2))
    tail[0] += 1.0
    return tail


def apply_room(y, *, sr, room, distance_m, channels=1, seed=0):
    """Convolve a dry signal with a room impulse response per channel.

    Returns ``(n,)`` for one channel, ``(n, 2)`` for two (each with its own late reverberation,
    like two microphones a little apart). The output is as long as the input: reverberation
    past the end is cut, as a recording that stops would cut it.
    """
    sr = _check_sr(sr)
    spec = ROOMS[room]
    drr = spec.drr_db(distance_m)
    out = np.empty((len(y), channels))
    # Single precision halves the FFT cost; its -140 dB error is far below any noise floor.
    y32 = np.asarray(y, dtype=np.float32)
    for c in range(channels):
        h = room_impulse_response(
            sr=sr, rt60_s=spec.rt60_s, drr_db=drr, hf_damping=spec.hf_damping, seed=[seed, 7, c]
        )
        out[:, c] = signal.fftconvolve(y32, h.astype(np.float32))[: len(y)]
    return out[:, 0] if channels == 1 else out


def transmit(y, *, sr, corner_hz, leak_db):
    """What passes a closed door or a wall: a first-order low-pass at ``corner_hz`` (Hz), the
    mass law's 6 dB per octave, plus the whole band ``leak_db`` (dB) down, through gaps.

    Works along the first axis of ``(n,)`` or ``(n, channels)``.
    """
    sr = _check_sr(sr)
    return _band_limit(y, sr=sr, lowpass_hz=corner_hz, order=1) + _gain(leak_db) * np.asarray(y)


def heard_through(y, *, sr, partition: Partition, seed=0):
    """A dry mono sound as it leaves a :class:`Partition` into the microphone's room: heard
    in its own room at the partition (:func:`apply_room`), then :func:`transmit`."""
    y = apply_room(y, sr=sr, room=partition.room, distance_m=partition.distance_m, seed=seed + 1)
    return transmit(y, sr=sr, corner_hz=partition.corner_hz, leak_db=partition.leak_db)


def apply_microphone(y, *, sr, mic, level_dbfs, clip_db=0.0, preroll_s=0.0, seed=0):
    """Band-limit like a microphone, drop a pre-roll, set the level, add self-noise, clip.

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (n, channels)]
    sr : int
    mic : str
        A key of :data:`MICROPHONES`.
    level_dbfs : float
        Target RMS of the first channel, dB re full scale.
    clip_db : float
        If positive, scale peaks to this many dB over full scale and clip (a near microphone);
        otherwise peaks are kept at or below -0.1 dBFS.
    preroll_s : float
        Seconds to drop from the start after filtering (lets reverberation and filters settle,
        so the clip starts mid-recording).
    seed : int

    Returns
    -------
    y : np.ndarray, same shape minus the pre-roll, values in [-1, 1]
    """
    response = MICROPHONES[mic]
    rng = _rng([seed, 11])
    y = _band_limit(
        y,
        sr=sr,
        highpass_hz=response["highpass_hz"],
        lowpass_hz=response["lowpass_hz"],
        order=response["order"],
    )
    y = y[round(preroll_s * sr) :]
    first = y if y.ndim == 1 else y[:, 0]
    rms = np.sqrt(np.mean(first**2))
    if rms > 0:
        y = y * (_gain(level_dbfs) / rms)
    y = y + _gain(response["noise_dbfs"]) * _white(y.shape, rng)
    peak = np.abs(y).max()
    if clip_db > 0 and peak > 0:
        y = np.clip(y * (_gain(clip_db) / peak), -1.0, 1.0)
    elif peak > 0.989:
        y = y * (0.989 / peak)
    return y


def record(y, *, sr, recording: Recording, preroll_s=0.0, seed=0):
    """:func:`apply_room` then :func:`apply_microphone` with a :class:`Recording`'s settings.

    With ``recording.through``, the sound is first heard in its own room at the partition,
    passes it (:func:`transmit`), and then reverberates in the microphone's room.
    """
    if recording.through is not None:
        y = heard_through(y, sr=sr, partition=recording.through, seed=seed)
    wet = apply_room(
        y,
        sr=sr,
        room=recording.room,
        distance_m=recording.distance_m,
        channels=recording.channels,
        seed=seed,
    )
    return apply_microphone(
        wet,
        sr=sr,
        mic=recording.mic,
        level_dbfs=recording.level_dbfs,
        clip_db=recording.clip_db,
        preroll_s=preroll_s,
        seed=seed,
    )


# --------------------------------------------------------------------------------------------
# Background scenes. Each renderer maps (n samples, sr, rng) to a dry scene of RMS ~0.1.
# --------------------------------------------------------------------------------------------


def _piezo_partials_db(rng):
    """Partial levels of a piezo horn: odd and even partials vary from unit to unit."""
    return (
        0.0,
        rng.uniform(-35, -10),
        rng.uniform(-30, -6),
        rng.uniform(-45, -18),
        rng.uniform(-45, -15),
    )


def _square_partials_db(duty, n_partials=25, tilt_db_per_octave=0.0):
    """Partial levels of a square wave of ``duty`` cycle: |sin(pi k d) / (k sin(pi d))|."""
    k = np.arange(1, n_partials + 1)
    amplitude = np.abs(np.sin(np.pi * k * duty) / (k * np.sin(np.pi * duty)))
    level = 20.0 * np.log10(np.maximum(amplitude, 1e-6)) + tilt_db_per_octave * np.log2(k)
    return tuple(float(x) if x > -60.0 else -np.inf for x in level)


def _roomtone(n, sr, rng):
    y = _colored_noise(n, color="pink", rng=rng) + rng.uniform(0.3, 1.5) * _colored_noise(
        n, color="brown", rng=rng
    )
    return _normalize_rms(_band_limit(y, sr=sr, lowpass_hz=rng.uniform(2500, 9000)))


def _hum(n, sr, rng, mains_hz=None):
    mains = mains_hz or rng.choice((50.0, 60.0))
    levels = [0.0] + [rng.uniform(-40, -10) + (6.0 if k % 2 else 0.0) for k in range(1, 30)]
    t = np.arange(n) / sr
    y = harmonic_tone(mains * (1 + 0.001 * np.sin(2 * np.pi * 0.05 * t)), sr=sr, partials_db=levels)
    return _normalize_rms(y)


def _engine(n, sr, rng):
    firing_hz = rng.uniform(25, 45)
    wobble = 1 + 0.03 * _smooth_noise(n, sr=sr, rate_hz=0.5, rng=rng)
    levels = [rng.uniform(-30, -6) for _ in range(12)]
    y = harmonic_tone(firing_hz * wobble, sr=sr, partials_db=levels)
    y = _normalize_rms(y) + 0.7 * _normalize_rms(
        _band_limit(_colored_noise(n, color="brown", rng=rng), sr=sr, lowpass_hz=400.0)
    )
    return _normalize_rms(y)


def _clip_times(rng, duration, rate_hz):
    """Poisson event times in [0, duration) at ``rate_hz`` events per second."""
    count = rng.poisson(rate_hz * duration)
    return np.sort(rng.uniform(0.0, duration, size=count))


def _modes(frequencies_hz, amplitudes, decays_s, *, sr, duration):
    """Damped sinusoids (a struck object): sum of a exp(-t/tau) sin(2 pi f t)."""
    t = np.arange(max(1, round(duration * sr))) / sr
    y = np.zeros_like(t)
    for f, a, tau in zip(frequencies_hz, amplitudes, decays_s, strict=True):
        if f < _NYQUIST_MARGIN * sr:
            y += a * np.exp(-t / tau) * np.sin(2 * np.pi * f * t)
    return y


def _bg_roomtone(n, sr, rng):
    y = _roomtone(n, sr, rng)
    if rng.random() < 0.5:
        y += _gain(rng.uniform(-30, -15)) * _hum(n, sr, rng)
    return _normalize_rms(y)


def _bg_noise(n, sr, rng):
    color = rng.choice(("white", "pink", "brown"))
    y = _colored_noise(n, color=color, rng=rng)
    if rng.random() < 0.3:
        y = _band_limit(
            y, sr=sr, highpass_hz=rng.uniform(50, 400), lowpass_hz=rng.uniform(3000, 12000)
        )
    if rng.random() < 0.5:
        y *= _gain(3.0 * _smooth_noise(n, sr=sr, rate_hz=0.2, rng=rng))
    return _normalize_rms(y)


def _bg_hum(n, sr, rng):
    mains = rng.choice((50.0, 60.0))
    y = _hum(n, sr, rng, mains_hz=mains)
    if rng.random() < 0.4:  # a buzzing transformer or dimmer: a clipped twice-mains wave
        t = np.arange(n) / sr
        buzz = np.clip(rng.uniform(2, 6) * np.sin(2 * np.pi * 2 * mains * t), -1, 1)
        y += _gain(rng.uniform(-12, 0)) * _normalize_rms(buzz)
    y += _gain(rng.uniform(-35, -20)) * _roomtone(n, sr, rng)
    return _normalize_rms(y)


def _bg_hvac(n, sr, rng):
    air = _band_limit(
        _colored_noise(n, color="pink", rng=rng), sr=sr, lowpass_hz=rng.uniform(400, 2500)
    )
    rumble = _colored_noise(n, color="brown", rng=rng)
    blade_hz = rng.uniform(40, 250)
    blade = harmonic_tone(
        blade_hz * (1 + 0.005 * _smooth_noise(n, sr=sr, rate_hz=0.3, rng=rng)),
        sr=sr,
        partials_db=[rng.uniform(-30, -10) for _ in range(6)],
    )
    y = _normalize_rms(air) + rng.uniform(0.2, 1.0) * _normalize_rms(rumble)
    y += _gain(rng.uniform(-20, -6)) * _normalize_rms(blade)
    y *= _gain(1.5 * _smooth_noise(n, sr=sr, rate_hz=rng.uniform(0.05, 0.3), rng=rng))
    if rng.random() < 0.3:  # the unit switches on (or off) during the clip
        switch = round(rng.uniform(0.2, 0.8) * n)
        ramp = np.clip((np.arange(n) - switch) / (2.0 * sr), 0.0, 1.0)
        y *= ramp if rng.random() < 0.5 else 1.0 - ramp
        y += 0.05 * _roomtone(n, sr, rng)
    return _normalize_rms(y)


def _piezo_chirps(n, sr, intervals, *, frequency_hz, partials_db):
    """A detector's chirps: piezo pips with a sharp attack (2 ms) and release (8 ms)."""
    return 0.5 * _beeps(
        n,
        sr=sr,
        intervals=intervals,
        frequencies_hz=frequency_hz,
        partials_db=partials_db,
        attack_s=0.002,
        release_s=0.008,
    )


def _bg_lowbattery(n, sr, rng):
    """A smoke detector's low-battery chirp: one short piezo chirp every 30-60 s."""
    duration = n / sr
    y = _gain(rng.uniform(-50, -30)) * _roomtone(n, sr, rng)
    if rng.random() < 0.4:
        y += _gain(rng.uniform(-50, -35)) * _bg_hvac(n, sr, rng)
    f0 = rng.uniform(2700, 3800)
    chirp_s = rng.uniform(0.05, 0.2)
    partials = _piezo_partials_db(rng)
    first = rng.uniform(1.0, max(1.5, min(30.0, duration - 1.0)))
    times = [first]
    second = first + rng.uniform(30.0, 60.0)
    if second < duration - 0.5:
        times.append(second)
    intervals = np.array([[t, t + chirp_s] for t in times])
    y += _piezo_chirps(n, sr, intervals, frequency_hz=f0, partials_db=partials)
    return _normalize_rms(y)


def _bg_chirps(n, sr, rng):
    """A detector chirping every 2-8 s: low battery, end of life or a fault.

    A low-battery clip holds one or two chirps in 30-45 s; this kind fills clips with them so
    the model sees many windows where a lone chirp (or a double one, as end-of-life signals
    sound) is all there is. Never three or more within a second: that is a T4 group. Each
    clip draws its own range of spacings within 2-8 s (at least 0.5 s wide, so up to 8.5 s).
    """
    duration = n / sr
    level = _gain(rng.uniform(-50, -30))
    y = level * (_roomtone(n, sr, rng) if rng.random() < 0.6 else _bg_hvac(n, sr, rng))
    f0 = rng.uniform(2700, 3800)
    chirp_s = rng.uniform(0.05, 0.2)
    double_gap_s = rng.uniform(0.15, 0.4) if rng.random() < 0.35 else None
    partials = _piezo_partials_db(rng)
    low, high = sorted(rng.uniform(2.0, 8.0, size=2))
    onsets = []
    t = rng.uniform(0.2, 4.0)
    while t < duration - 0.3:
        onsets.append(t)
        if double_gap_s is not None:
            onsets.append(t + chirp_s + double_gap_s)
        t += rng.uniform(low, max(high, low + 0.5))
    intervals = np.array([[t, t + chirp_s] for t in onsets if t + chirp_s < duration])
    y += _piezo_chirps(n, sr, intervals, frequency_hz=f0, partials_db=partials)
    return _normalize_rms(y)


def _appliance_beeps(rng, *, start_s, frequency_range_hz=(1000.0, 4000.0)):
    """1-5 appliance beeps that no 4 s window can mistake for a T3 group (see is_alarm_like).

    Four or five T3-timed beeps are redrawn too: a window starting at the second shows three.
    """
    while True:
        count = int(rng.integers(1, 6))
        on_s, off_s = rng.uniform(0.2, 1.0), rng.uniform(0.15, 0.8)
        onsets = start_s + np.arange(count) * (on_s + off_s)
        intervals = np.stack([onsets, onsets + on_s], axis=1)
        if not is_alarm_like(intervals, duration=np.inf):  # silence before and after
            break
    return intervals, rng.uniform(*frequency_range_hz)


def _bg_microwave(n, sr, rng):
    """A microwave or oven: keypad beeps, fan and magnetron hum, then a few end beeps."""
    duration = n / sr
    y = _gain(rng.uniform(-45, -30)) * _roomtone(n, sr, rng)
    run_start = rng.uniform(1.5, 0.25 * duration)
    run_end = min(run_start + rng.uniform(0.3, 0.6) * duration, duration - 5.0)
    fan = _normalize_rms(
        _band_limit(
            _colored_noise(n, color="pink", rng=rng), sr=sr, lowpass_hz=rng.uniform(1500, 3500)
        )
    )
    fan += _gain(rng.uniform(-15, -5)) * _hum(n, sr, rng)
    running = np.clip(
        np.minimum((np.arange(n) / sr - run_start) / 0.1, (run_end - np.arange(n) / sr) / 0.1),
        0.0,
        1.0,
    )
    y += _gain(rng.uniform(-22, -10)) * fan * running
    timbre = _piezo_partials_db(rng) if rng.random() < 0.6 else (0.0,)
    # Keypad presses before it starts.
    presses = run_start - 0.3 - np.cumsum(rng.uniform(0.25, 0.7, size=int(rng.integers(2, 5))))
    keypad = np.stack([presses, presses + rng.uniform(0.05, 0.12)], axis=1)
    y += 0.3 * _beeps(
        n, sr=sr, intervals=keypad, frequencies_hz=rng.uniform(2000, 4000), partials_db=timbre
    )
    intervals, f = _appliance_beeps(rng, start_s=run_end + rng.uniform(0.2, 1.0))
    if rng.random() < 0.5:  # a reminder a while later, never 1.5 s later
        reminder = intervals + rng.uniform(15.0, 40.0)
        intervals = np.concatenate([intervals, reminder])
    y += 0.5 * _beeps(n, sr=sr, intervals=intervals, frequencies_hz=f, partials_db=timbre)
    return _normalize_rms(y)


def _marimba_melody(n, sr, rng, *, start_s, repeats, pause_s, low_hz=500.0):
    """A ringtone-like melody of struck bars (partials 1, 3.9 and 9.2)."""
    scale = np.array([0, 2, 4, 7, 9, 12, 14, 16])
    base = low_hz * 2 ** (rng.integers(0, 12) / 12)
    notes = base * 2 ** (rng.choice(scale, size=int(rng.integers(5, 10))) / 12)
    note_s = rng.uniform(0.1, 0.25)
    phrase = np.zeros(round((len(notes) * note_s + 0.6) * sr))
    for i, f in enumerate(notes):
        bar = _modes(
            [f, 3.9 * f, 9.2 * f], [1.0, 0.3, 0.1], [0.25, 0.08, 0.03], sr=sr, duration=0.6
        )
        _add_at(phrase, bar, round(i * note_s * sr))
    y = np.zeros(n)
    for r in range(repeats):
        _add_at(y, phrase, round((start_s + r * (len(phrase) / sr + pause_s)) * sr))
    return y


def _bg_phone(n, sr, rng):
    """A ringing phone: a US or UK ring cadence, a bell, or a ringtone melody."""
    duration = n / sr
    y = _gain(rng.uniform(-45, -30)) * _roomtone(n, sr, rng)
    start = rng.uniform(0.5, 5.0)
    cycles = int(rng.integers(3, 9))
    variant = rng.choice(("us", "uk", "bell", "melody"))
    if variant == "melody":
        ring = _marimba_melody(
            n, sr, rng, start_s=start, repeats=cycles, pause_s=rng.uniform(0.5, 1.5)
        )
        cycle_s = 3.0
    else:
        if variant == "uk":
            cadence, freqs, cycle_s = dict(on_s=0.4, off_s=0.2, n_beeps=2, gap_s=2.0), (400, 450), 3
        else:
            cadence, freqs, cycle_s = dict(on_s=2.0, off_s=0.0, n_beeps=1, gap_s=4.0), (440, 480), 6
        intervals = beep_pattern(
            duration=min(duration, start + cycles * cycle_s),
            **cadence,
            start_s=start,
            jitter_s=0.003,
            seed=int(rng.integers(2**31)),
        )
        if variant == "bell":  # an electromechanical bell: a clapper striking at 20 Hz
            env = pattern_envelope(intervals, n_samples=n, sr=sr)
            strikes = np.zeros(n)
            strikes[:: sr // 20] = 1.0
            strikes[sr // 40 :: sr // 20] = -1.0
            f = rng.uniform(900, 1300)
            bell = _modes(
                [f, 2.76 * f, 5.4 * f], [1.0, 0.5, 0.25], [0.3, 0.12, 0.05], sr=sr, duration=0.4
            )
            ring = signal.oaconvolve(strikes * env, bell)[:n]
        else:  # a telephone's small speaker distorts the dual tone a little
            ring = np.tanh(1.5 * _beeps(n, sr=sr, intervals=intervals, frequencies_hz=freqs))
    y += 0.5 * ring / (np.abs(ring).max() + 1e-12)
    answered = start + cycles * cycle_s + rng.uniform(0.5, 2.0)
    if rng.random() < 0.6 and answered < duration - 2.0:
        talk = babble(
            duration - answered, sr=sr, f0_hz=rng.uniform(90, 230), seed=int(rng.integers(2**31))
        )
        _add_at(y, 0.3 * talk, round(answered * sr))
    return _normalize_rms(y)


def _bg_kettle(n, sr, rng):
    """A whistling kettle: boiling noise and bubbles, then a rising, breathy whistle."""
    duration = n / sr
    t = np.arange(n) / sr
    boil = _band_limit(_colored_noise(n, color="brown", rng=rng), sr=sr, lowpass_hz=700.0)
    y = _normalize_rms(boil) * np.clip(t / duration * 1.5, 0.2, 1.0)
    for onset in _clip_times(rng, duration, rng.uniform(5, 25)):
        f = rng.uniform(300, 1500)
        _add_at(
            y,
            0.2 * _modes([f], [1.0], [rng.uniform(0.004, 0.02)], sr=sr, duration=0.08),
            round(onset * sr),
        )
    y = _gain(rng.uniform(-25, -12)) * _normalize_rms(y)
    y += _gain(rng.uniform(-45, -30)) * _roomtone(n, sr, rng)
    whistle_start = rng.uniform(2.0, 0.6 * duration)
    stop = rng.uniform(whistle_start + 5.0, duration + 5.0) if rng.random() < 0.5 else duration
    i0, i1 = round(whistle_start * sr), min(round(stop * sr), n)
    m = i1 - i0
    if m > sr:
        tw = np.arange(m) / sr
        f_start, f_end = rng.uniform(1400, 1900), rng.uniform(2200, 3000)
        f = f_start + (f_end - f_start) * (1 - np.exp(-tw / rng.uniform(1.0, 4.0)))
        f *= 1 + 0.004 * _smooth_noise(m, sr=sr, rate_hz=30.0, rng=rng)
        amplitude = (
            np.clip(tw / rng.uniform(0.5, 3.0), 0, 1)
            * _gain(2.0 * _smooth_noise(m, sr=sr, rate_hz=8.0, rng=rng))
            * _fade(m, sr=sr, attack_s=0.05, release_s=0.3)
        )
        pipes = [1.0, rng.uniform(1.15, 1.3)] if rng.random() < 0.3 else [1.0]
        whistle = np.zeros(m)
        for ratio in pipes:
            tone = harmonic_tone(f * ratio, sr=sr, partials_db=(0.0, rng.uniform(-30, -15)))
            breath = _band_limit(_white(m, rng), sr=sr, lowpass_hz=150.0)
            whistle += tone * (1.0 + 3.0 * breath)
        y[i0:i1] += 0.4 * amplitude * whistle / (np.abs(whistle).max() + 1e-12)
    return _normalize_rms(y)


def _reversing_beeper(n, sr, rng, *, frequency_hz, broadband=False, whole_clip=False):
    """A vehicle's reversing alarm: regular 0.5 s on / 0.5 s off with no group gap.

    With ``whole_clip`` it beeps from before the clip to its end: a window at the beeper's
    start or stop (silence, then three 0.5 s beeps) would look exactly like a T3 alarm.
    """
    duration = n / sr
    on_s = rng.uniform(0.46, 0.54)
    start = rng.uniform(0.0, 4.0)
    end = duration if rng.random() < 0.6 else rng.uniform(start + 0.6 * duration, duration + 1)
    if whole_clip:
        start, end = start / 4.0 - 1.0, duration
    intervals = beep_pattern(
        duration=min(duration, end),
        on_s=on_s,
        off_s=0.0,
        n_beeps=1,
        gap_s=on_s * rng.uniform(0.95, 1.05),
        start_s=start,
        jitter_s=0.002,
        seed=int(rng.integers(2**31)),
    )
    if broadband:  # "white sound" beepers: bursts of band-limited noise
        env = pattern_envelope(intervals, n_samples=n, sr=sr, attack_s=0.01, release_s=0.02)
        return env * _band_limit(_white(n, rng), sr=sr, highpass_hz=500.0, lowpass_hz=5000.0)
    partials = (
        (0.0,)
        if rng.random() < 0.4
        else (0.0, -np.inf, rng.uniform(-20, -8), -np.inf, rng.uniform(-30, -14))
    )
    return _beeps(
        n,
        sr=sr,
        intervals=intervals,
        frequencies_hz=frequency_hz,
        partials_db=partials,
        attack_s=0.01,
        release_s=0.02,
    )


def _bg_reversing(n, sr, rng):
    beeper = _reversing_beeper(n, sr, rng, frequency_hz=rng.uniform(950, 1250), whole_clip=True)
    y = 0.5 * beeper / (np.abs(beeper).max() + 1e-12)
    y += _gain(rng.uniform(-20, -6)) * _engine(n, sr, rng)
    y += _gain(rng.uniform(-35, -20)) * _bg_street_bed(n, sr, rng)
    return _normalize_rms(y)


def _bg_doorbell(n, sr, rng):
    """Ding-dong (or a chime or an electronic two-tone) one to three times."""
    duration = n / sr
    y = _gain(rng.uniform(-40, -25)) * _roomtone(n, sr, rng)
    variant = rng.choice(("dingdong", "chime", "electronic"))
    f1 = rng.uniform(600, 900)
    if variant == "chime":
        notes = f1 * np.array([1.0, 0.8, 0.89, 0.6])
    else:
        notes = f1 * np.array([1.0, rng.choice((0.75, 0.8, 0.84))])
    decay = rng.uniform(0.6, 2.0)
    step = rng.uniform(0.35, 0.7)
    sound = np.zeros(round((len(notes) * step + 5 * decay) * sr))
    for i, f in enumerate(notes):
        if variant == "electronic":
            note = harmonic_tone(
                f, sr=sr, duration=5 * decay, partials_db=_square_partials_db(0.5, n_partials=9)
            )
            note *= np.exp(-np.arange(note.size) / (decay * sr))
        else:
            note = _modes(
                f * np.array([1.0, 2.0, 3.0, 4.2]),
                [1.0, 0.4, 0.2, 0.1],
                decay * np.array([1.0, 0.6, 0.4, 0.3]),
                sr=sr,
                duration=5 * decay,
            )
        _add_at(sound, note, round(i * step * sr))
    sound /= np.abs(sound).max() + 1e-12
    for onset in rng.uniform(0.5, max(1.0, duration - 6.0), size=int(rng.integers(1, 4))):
        _add_at(y, 0.5 * sound, round(onset * sr))
    if rng.random() < 0.4:
        y += 0.05 * babble(
            duration, sr=sr, f0_hz=rng.uniform(90, 230), seed=int(rng.integers(2**31))
        )
    return _normalize_rms(y)


def _bird_song(sr, rng):
    """One species' song: a sequence of frequency-swept whistles, or a trill."""
    base = rng.uniform(2000, 6000)
    if rng.random() < 0.35:  # trill: one element repeated at 10-30 Hz
        element_s, rate = rng.uniform(0.02, 0.05), rng.uniform(10, 30)
        count = int(rng.uniform(0.5, 2.0) * rate)
        sweeps = [(base, base * rng.uniform(0.7, 1.3))] * count
        gaps = [1.0 / rate - element_s] * count
        durations = [element_s] * count
    else:
        count = int(rng.integers(3, 12))
        sweeps = [
            (base * rng.uniform(0.8, 1.2), base * rng.uniform(0.6, 1.4)) for _ in range(count)
        ]
        durations = rng.uniform(0.02, 0.15, size=count)
        gaps = rng.uniform(0.01, 0.08, size=count)
    song = np.zeros(round((sum(durations) + sum(gaps) + 0.1) * sr))
    position = 0.0
    for (fa, fb), d, g in zip(sweeps, durations, gaps, strict=True):
        m = max(8, round(d * sr))
        f = np.linspace(fa, fb, m)
        element = np.sin(2 * np.pi * np.cumsum(f) / sr) * np.sin(np.pi * np.arange(m) / m) ** 2
        _add_at(song, element, round(position * sr))
        position += d + g
    return song


def _bg_birdsong(n, sr, rng):
    duration = n / sr
    wind = _band_limit(_colored_noise(n, color="pink", rng=rng), sr=sr, lowpass_hz=2500.0)
    wind *= _gain(4.0 * _smooth_noise(n, sr=sr, rate_hz=0.3, rng=rng))
    y = _gain(rng.uniform(-30, -15)) * _normalize_rms(wind)
    for _ in range(int(rng.integers(2, 5))):
        song = _bird_song(sr, rng)
        amplitude = rng.uniform(0.1, 1.0)
        interval = rng.uniform(2.0, 8.0)
        for onset in np.arange(rng.uniform(0, interval), duration, interval):
            if rng.random() < 0.8:
                _add_at(
                    y,
                    amplitude * rng.uniform(0.7, 1.0) * song,
                    round((onset + rng.uniform(-0.3, 0.3)) * sr),
                )
    return _normalize_rms(y)


def _voice(rng):
    """Pitch (Hz) and formant scale of a random man, woman or child."""
    who = rng.choice(("man", "woman", "child"), p=(0.45, 0.45, 0.1))
    if who == "man":
        return rng.uniform(85, 150), rng.uniform(0.95, 1.05)
    if who == "woman":
        return rng.uniform(165, 255), rng.uniform(1.1, 1.2)
    return rng.uniform(250, 350), rng.uniform(1.25, 1.35)


def _conversation(n, sr, rng):
    """1-3 talkers taking turns (sometimes overlapping)."""
    duration = n / sr
    talkers = [_voice(rng) for _ in range(int(rng.integers(1, 4)))]
    y = np.zeros(n)
    position = rng.uniform(0.0, 1.0)
    while position < duration - 0.5:
        f0, scale = talkers[int(rng.integers(len(talkers)))]
        turn = min(rng.uniform(1.0, 6.0), duration - position)
        speech = babble(
            turn,
            sr=sr,
            f0_hz=f0,
            formant_scale=scale,
            syllable_rate_hz=rng.uniform(3.5, 6.0),
            seed=int(rng.integers(2**31)),
        )
        _add_at(y, rng.uniform(0.5, 1.0) * speech, round(position * sr))
        position += turn + rng.uniform(-0.3, 1.2)
    return y


def _bg_speech(n, sr, rng):
    y = _conversation(n, sr, rng)
    y = _normalize_rms(y) + _gain(rng.uniform(-40, -20)) * _roomtone(n, sr, rng)
    return _normalize_rms(y)


def _drum_kit(sr, rng):
    t = np.arange(round(0.4 * sr)) / sr
    kick = np.sin(2 * np.pi * np.cumsum(45 + 90 * np.exp(-t / 0.03)) / sr) * np.exp(-t / 0.12)
    snare_noise = _band_limit(_white(t.size, rng), sr=sr, highpass_hz=1000.0, lowpass_hz=6000.0)
    snare = 0.6 * snare_noise / np.abs(snare_noise).max() + 0.4 * np.sin(2 * np.pi * 190 * t)
    snare *= np.exp(-t / 0.08)
    hat = _band_limit(_white(t.size, rng), sr=sr, highpass_hz=min(6000.0, 0.35 * sr))
    hat *= np.exp(-t / 0.03) / (np.abs(hat).max() + 1e-12)
    return kick, snare, 0.5 * hat


def _note(f, duration, *, sr, partials_db, attack_s, decay_s):
    m = max(8, round(duration * sr))
    t = np.arange(m) / sr
    env = (
        (1 - np.exp(-t / attack_s))
        * np.exp(-t / decay_s)
        * _fade(m, sr=sr, attack_s=0.001, release_s=0.05)
    )
    return env * harmonic_tone(f, sr=sr, duration=m / sr, partials_db=partials_db)[:m]


def _music(n, sr, rng):
    """A few bars of harmonic music: chords, bass, melody, optional drums."""
    duration = n / sr
    beat = 60.0 / rng.uniform(70, 150)
    key_hz = 110.0 * 2 ** (rng.integers(0, 12) / 12)
    scale = np.array((0, 2, 4, 5, 7, 9, 11) if rng.random() < 0.6 else (0, 2, 3, 5, 7, 8, 10))
    progression = rng.choice((0, 3, 4, 5), size=4)
    timbres = [
        (tuple(-6.0 * np.log2(k) * rng.uniform(1, 3) for k in range(1, 9)), attack, decay)
        for attack, decay in ((0.005, 0.6), (0.05, 2.0), (0.002, 0.25))
    ]
    chord_timbre, melody_timbre = rng.choice(len(timbres), size=2)
    y = np.zeros(n)
    drums = _drum_kit(sr, rng) if rng.random() < 0.6 else None
    bar = 4 * beat
    for b, bar_start in enumerate(np.arange(0.0, duration, bar)):
        degree = int(progression[b % 4])
        for step in (0, 2, 4):  # the triad on this degree
            index = degree + step
            semitone = scale[index % 7] + 12 * (index // 7)
            partials, attack, decay = timbres[chord_timbre]
            _add_at(
                y,
                0.2
                * _note(
                    key_hz * 2 * 2 ** (semitone / 12),
                    bar,
                    sr=sr,
                    partials_db=partials,
                    attack_s=attack,
                    decay_s=decay,
                ),
                round(bar_start * sr),
            )
        _add_at(
            y,
            0.3
            * _note(
                key_hz / 2 * 2 ** (scale[degree] / 12),
                bar,
                sr=sr,
                partials_db=(0.0, -8.0, -16.0),
                attack_s=0.01,
                decay_s=1.0,
            ),
            round(bar_start * sr),
        )
        for eighth in range(8):
            onset = bar_start + eighth * beat / 2 + rng.normal(0, 0.005)
            if rng.random() < 0.7:
                index = int(rng.integers(0, 10))
                semitone = scale[index % 7] + 12 * (index // 7)
                partials, attack, decay = timbres[melody_timbre]
                _add_at(
                    y,
                    0.25
                    * _note(
                        key_hz * 4 * 2 ** (semitone / 12),
                        beat / 2 * 1.5,
                        sr=sr,
                        partials_db=partials,
                        attack_s=attack,
                        decay_s=decay,
                    ),
                    round(onset * sr),
                )
            if drums is not None:
                kick, snare, hat = drums
                _add_at(y, 0.3 * hat, round(onset * sr))
                if eighth in (0, 4):
                    _add_at(y, 0.8 * kick, round(onset * sr))
                if eighth in (2, 6):
                    _add_at(y, 0.5 * snare, round(onset * sr))
    return y


def _bg_music(n, sr, rng):
    y = _normalize_rms(_music(n, sr, rng))
    return _normalize_rms(y + _gain(rng.uniform(-45, -25)) * _roomtone(n, sr, rng))


def _bg_kitchen(n, sr, rng):
    """Clatter of dishes and cutlery, chopping, running water, sizzling, a fridge."""
    duration = n / sr
    y = _gain(rng.uniform(-35, -20)) * _roomtone(n, sr, rng)
    if rng.random() < 0.5:
        y += _gain(rng.uniform(-40, -25)) * _hum(n, sr, rng)
    for _ in range(int(rng.integers(0, 3))):  # running water
        start = rng.uniform(0, duration)
        m = min(round(rng.uniform(3, 15) * sr), n - round(start * sr))
        if m > sr // 2:
            water = _band_limit(_white(m, rng), sr=sr, highpass_hz=300.0, lowpass_hz=8000.0)
            water *= 1 + 0.6 * _smooth_noise(m, sr=sr, rate_hz=30.0, rng=rng)
            water *= _fade(m, sr=sr, attack_s=0.3, release_s=0.3)
            _add_at(y, 0.05 * water, round(start * sr))
    for onset in _clip_times(rng, duration, rng.uniform(0.1, 0.8)):  # clatter
        count = int(rng.integers(2, 6))
        clatter = _modes(
            rng.uniform(800, 9000, size=count),
            rng.uniform(0.2, 1.0, size=count),
            rng.uniform(0.005, 0.12, size=count),
            sr=sr,
            duration=0.4,
        )
        _add_at(y, rng.uniform(0.05, 0.4) * clatter, round(onset * sr))
    if rng.random() < 0.4:  # chopping
        start, rate = rng.uniform(0, duration), rng.uniform(3, 6)
        thud = _modes(
            [rng.uniform(100, 300), rng.uniform(1500, 4000)],
            [1.0, 0.3],
            [0.03, 0.005],
            sr=sr,
            duration=0.15,
        )
        for k in range(int(rng.integers(4, 16))):
            _add_at(y, 0.3 * thud, round((start + k / rate + rng.normal(0, 0.01)) * sr))
    if rng.random() < 0.3:  # sizzling: dense crackle
        crackle = np.zeros(n)
        hits = rng.integers(0, n, size=int(200 * duration))
        crackle[hits] = rng.standard_normal(hits.size)
        y += 0.3 * _band_limit(crackle, sr=sr, highpass_hz=2000.0)
    return _normalize_rms(y)


def _bg_street_bed(n, sr, rng):
    """Traffic: rumble plus cars passing (swelling tyre noise with a Doppler-shifted engine)."""
    duration = n / sr
    rumble = _band_limit(_colored_noise(n, color="brown", rng=rng), sr=sr, lowpass_hz=300.0)
    y = _normalize_rms(rumble)
    tyres = _band_limit(
        _colored_noise(n, color="pink", rng=rng), sr=sr, highpass_hz=300.0, lowpass_hz=4000.0
    )
    swell = np.zeros(n)
    t = np.arange(n) / sr
    for onset in _clip_times(rng, duration, rng.uniform(0.1, 0.4)):
        width = rng.uniform(1.0, 3.0)
        swell += rng.uniform(0.3, 1.0) * np.exp(-0.5 * ((t - onset) / width) ** 2)
    y += 2.0 * swell * _normalize_rms(tyres)
    return _normalize_rms(y)


def _bg_street(n, sr, rng):
    duration = n / sr
    y = _bg_street_bed(n, sr, rng)
    for onset in _clip_times(rng, duration, rng.uniform(0.0, 0.08)):  # horns
        f = rng.uniform(350, 450)
        honk_s = rng.uniform(0.2, 0.9)
        honk = _beeps(
            round(honk_s * sr) + 8,
            sr=sr,
            intervals=[[0.0, honk_s]],
            frequencies_hz=(f, f * 1.26),
            partials_db=_square_partials_db(0.4, 12),
        )
        _add_at(y, 0.3 * honk / (np.abs(honk).max() + 1e-12), round(onset * sr))
    if rng.random() < 0.3:
        y += 0.3 * _bg_birdsong(n, sr, rng)
    return _normalize_rms(y)


def _laughter(n, sr, rng):
    """Audience laughter or applause: dense claps or many high-pitched ha-ha voices."""
    if rng.random() < 0.5:
        claps = np.zeros(n)
        hits = rng.integers(0, n, size=int(n / sr * rng.uniform(100, 400)))
        claps[hits] = rng.standard_normal(hits.size)
        return _band_limit(claps, sr=sr, highpass_hz=800.0, lowpass_hz=6000.0)
    y = np.zeros(n)
    for _ in range(int(rng.integers(3, 8))):
        f0, scale = _voice(rng)
        y += babble(
            n / sr,
            sr=sr,
            f0_hz=f0 * 1.4,
            formant_scale=scale,
            syllable_rate_hz=5.0,
            seed=int(rng.integers(2**31)),
        )
    return y


def _bg_tv(n, sr, rng):
    """A television: dialogue, music, laughter and adverts cut every few seconds."""
    duration = n / sr
    y = np.zeros(n)
    position = 0.0
    while position < duration:
        scene_s = min(rng.uniform(4.0, 15.0), duration - position)
        m = round(scene_s * sr)
        if m < sr // 4:
            break
        content = rng.choice(("dialogue", "music", "laughter", "advert"), p=(0.45, 0.2, 0.15, 0.2))
        if content == "dialogue":
            part = _normalize_rms(_conversation(m, sr, rng))
        elif content == "music":
            part = _normalize_rms(_music(m, sr, rng))
        elif content == "laughter":
            part = _normalize_rms(_laughter(m, sr, rng))
        else:
            part = _normalize_rms(_conversation(m, sr, rng)) + 0.5 * _normalize_rms(
                _music(m, sr, rng)
            )
        _add_at(y, part * _fade(m, sr=sr, attack_s=0.05, release_s=0.05), round(position * sr))
        position += scene_s
    # A television's small speakers.
    y = _band_limit(
        y, sr=sr, highpass_hz=rng.uniform(100, 200), lowpass_hz=rng.uniform(6000, 10000)
    )
    return _normalize_rms(y + _gain(-40) * _roomtone(n, sr, rng))


# Holdout-only distractors ----------------------------------------------------------------


def _bg_ovenmelody(n, sr, rng):
    """An appliance playing a short melody of square-wave notes (not heard in training)."""
    duration = n / sr
    y = _gain(rng.uniform(-35, -25)) * _bg_kitchen(n, sr, rng)
    base = rng.uniform(1000, 2000)
    notes = base * 2 ** (rng.choice((0, 2, 4, 5, 7, 9, 12), size=int(rng.integers(4, 9))) / 12)
    note_s = rng.uniform(0.15, 0.4)
    partials = _square_partials_db(0.5, n_partials=9, tilt_db_per_octave=-3.0)
    for onset in rng.uniform(
        1.0, max(1.5, duration - len(notes) * note_s - 1), size=int(rng.integers(1, 3))
    ):
        for i, f in enumerate(notes):
            t0 = onset + i * note_s
            _add_at(
                y,
                0.4
                * _beeps(
                    round(note_s * sr),
                    sr=sr,
                    intervals=[[0.0, 0.9 * note_s]],
                    frequencies_hz=f,
                    partials_db=partials,
                ),
                round(t0 * sr),
            )
    return _normalize_rms(y)


def _bg_truckbeeper(n, sr, rng):
    """A reversing beeper at a frequency training never saw, or a broadband one."""
    broadband = rng.random() < 0.3
    frequency = rng.choice((rng.uniform(600, 800), rng.uniform(1600, 2600)))
    beeper = _reversing_beeper(n, sr, rng, frequency_hz=frequency, broadband=broadband)
    y = 0.5 * beeper / (np.abs(beeper).max() + 1e-12)
    y += _gain(rng.uniform(-20, -8)) * _engine(n, sr, rng)
    return _normalize_rms(y + _gain(rng.uniform(-35, -20)) * _bg_street_bed(n, sr, rng))


def _bg_whistle(n, sr, rng):
    """A referee's pea whistle (trilled 2.5-4 kHz blasts) or someone whistling a tune."""
    duration = n / sr
    y = _gain(rng.uniform(-30, -15)) * _normalize_rms(_conversation(n, sr, rng))
    y += _gain(rng.uniform(-30, -20)) * _roomtone(n, sr, rng)
    if rng.random() < 0.5:
        f0 = rng.uniform(2500, 4000)
        trill_hz = rng.uniform(20, 40)
        for onset in _clip_times(rng, duration, rng.uniform(0.1, 0.3)):
            for blast_s in rng.choice((0.25, 0.3, 1.2), size=int(rng.integers(1, 4))):
                m = round(blast_s * sr)
                t = np.arange(m) / sr
                f = f0 * (1 + 0.04 * np.sin(2 * np.pi * trill_hz * t))
                blast = harmonic_tone(f, sr=sr, partials_db=(0.0, -15.0))
                blast *= 1 - 0.5 * np.sin(2 * np.pi * trill_hz * t) ** 2
                _add_at(
                    y,
                    0.5 * blast * _fade(m, sr=sr, attack_s=0.02, release_s=0.03),
                    round(onset * sr),
                )
                onset += blast_s + 0.15
    else:
        position = rng.uniform(0, 2)
        while position < duration - 1:
            note_s = rng.uniform(0.15, 0.6)
            m = round(note_s * sr)
            t = np.arange(m) / sr
            f = rng.uniform(1000, 2500) * (1 + 0.01 * np.sin(2 * np.pi * 5.5 * t))
            _add_at(
                y,
                0.3 * harmonic_tone(f, sr=sr) * _fade(m, sr=sr, attack_s=0.03, release_s=0.05),
                round(position * sr),
            )
            position += note_s + (rng.uniform(1, 4) if rng.random() < 0.1 else 0.05)
    return _normalize_rms(y)


def _bg_alarmclock(n, sr, rng):
    """A bedside alarm clock: four short beeps repeated once a second."""
    duration = n / sr
    y = _gain(rng.uniform(-45, -30)) * _roomtone(n, sr, rng)
    on_s = rng.uniform(0.05, 0.09)
    start = rng.uniform(0.5, 0.4 * duration)
    stop = min(duration, start + rng.uniform(10, 40))
    intervals = beep_pattern(
        duration=stop,
        on_s=on_s,
        off_s=on_s * rng.uniform(0.8, 1.2),
        n_beeps=4,
        gap_s=1.0 - on_s * 7,
        start_s=start,
        jitter_s=0.001,
        seed=int(rng.integers(2**31)),
    )
    y += 0.5 * _beeps(
        n,
        sr=sr,
        intervals=intervals,
        frequencies_hz=rng.uniform(2500, 4000),
        partials_db=_piezo_partials_db(rng),
    )
    return _normalize_rms(y)


def _bg_metronome(n, sr, rng):
    """Metronome clicks (a wooden tick or an electronic blip) with accented downbeats."""
    duration = n / sr
    y = _gain(rng.uniform(-40, -25)) * _roomtone(n, sr, rng)
    if rng.random() < 0.4:
        y += _gain(rng.uniform(-20, -8)) * _normalize_rms(_music(n, sr, rng))
    period = 60.0 / rng.uniform(40, 208)
    f = rng.uniform(1200, 3000)
    wooden = rng.random() < 0.5
    for k, onset in enumerate(np.arange(rng.uniform(0, 1), duration, period)):
        pitch = f * (1.3 if k % 4 == 0 else 1.0)
        if wooden:
            click = _modes([pitch, 2.3 * pitch], [1.0, 0.3], [0.015, 0.006], sr=sr, duration=0.08)
        else:
            click = harmonic_tone(pitch, sr=sr, duration=0.03) * _fade(
                round(0.03 * sr), sr=sr, attack_s=0.002, release_s=0.005
            )
        _add_at(y, 0.5 * click, round(onset * sr))
    return _normalize_rms(y)


def _bg_intlphone(n, sr, rng):
    """Phone ring cadences that training never saw: European, Japanese, electronic trill."""
    duration = n / sr
    y = _gain(rng.uniform(-45, -30)) * _roomtone(n, sr, rng)
    variant = rng.choice(("europe", "japan", "trill"))
    start = rng.uniform(0.5, 4.0)
    if variant == "europe":
        cadence, freqs = dict(on_s=1.0, off_s=0.0, n_beeps=1, gap_s=4.0), (425.0,)
    elif variant == "japan":
        cadence, freqs = dict(on_s=1.0, off_s=0.0, n_beeps=1, gap_s=2.0), (400.0,)
    else:
        cadence, freqs = dict(on_s=1.5, off_s=0.0, n_beeps=1, gap_s=3.0), (1000.0, 1300.0)
    intervals = beep_pattern(
        duration=min(duration, start + rng.uniform(15, 40)),
        **cadence,
        start_s=start,
        jitter_s=0.003,
        seed=int(rng.integers(2**31)),
    )
    t = np.arange(n) / sr
    if variant == "trill":  # two tones alternating 20 times a second
        gate = np.sin(2 * np.pi * 10.0 * t) > 0
        ring = (
            _beeps(n, sr=sr, intervals=intervals, frequencies_hz=freqs[0]) * gate
            + _beeps(n, sr=sr, intervals=intervals, frequencies_hz=freqs[1]) * ~gate
        )
    else:
        ring = _beeps(
            n, sr=sr, intervals=intervals, frequencies_hz=freqs, partials_db=(0.0, -20.0, -25.0)
        )
        if variant == "japan":  # 16 Hz amplitude modulation
            ring *= 0.5 + 0.5 * np.sin(2 * np.pi * 16.0 * t)
    return _normalize_rms(y + 0.5 * ring / (np.abs(ring).max() + 1e-12))


#: Styles of :func:`draw_beep_sequence`: tonal beeping that is never a T3 or T4 pattern.
BEEP_STYLES = ("regular", "reversing", "singles", "groups", "melody", "twotone", "trill")
_MELODY_STEPS = np.array([0, 2, 4, 5, 7, 9, 11, 12, 14, 16])


def _beep_frequency(rng, low_hz=400.0, high_hz=4500.0):
    # A third in the piezo band: the hardest negatives sound where smoke alarms do.
    if rng.random() < 0.35 and high_hz > 2500.0:
        return float(rng.uniform(max(low_hz, 2500.0), min(high_hz, 4000.0)))
    return _log_uniform(rng, low_hz, high_hz)


def _pitch_pair(f, ratio):
    """``f`` and ``f * ratio``, or ``f / ratio`` and ``f`` if that leaves 400-4500 Hz."""
    return np.array([f, f * ratio] if 400.0 <= f * ratio <= 4500.0 else [f / ratio, f])


def _continuous_onsets(rng, period_s, duration):
    """Onsets every ``period_s`` (with a 3 ms wobble) from before the clip to its end."""
    onsets = np.arange(-rng.uniform(0.0, period_s), duration, period_s)
    return onsets + rng.normal(0.0, 0.003, size=len(onsets))


def _grouped_onsets(rng, duration, *, group_s, gap_s):
    """Onsets of groups separated by random gaps drawn from ``gap_s`` (low, high)."""
    onsets, t = [], rng.uniform(0.2, 2.0)
    while t < duration:
        onsets.append(t)
        t += group_s + rng.uniform(*gap_s)
    return np.array(onsets)


def _draw_beep_style(style, rng, duration):
    """Beep intervals (s) and their frequencies (Hz) for one style; see draw_beep_sequence."""
    f = _beep_frequency(rng)
    if style == "regular":
        period = 1.0 / rng.uniform(0.6, 3.0)
        on = float(np.clip(rng.uniform(0.2, 0.7) * period, 0.05, 1.5))
        onsets = _continuous_onsets(rng, period, duration)
        return np.stack([onsets, onsets + on], axis=1), np.full(len(onsets), f)
    if style == "reversing":
        on = rng.uniform(0.4, 0.6)
        onsets = _continuous_onsets(rng, on * (1.0 + rng.uniform(0.9, 1.1)), duration)
        f = _beep_frequency(rng, 700.0, 3500.0)
        return np.stack([onsets, onsets + on], axis=1), np.full(len(onsets), f)
    if style == "singles":
        onsets = _grouped_onsets(rng, duration, group_s=0.0, gap_s=(1.5, 6.0))
        on = (
            rng.uniform(0.05, 1.5, size=len(onsets))
            if rng.random() < 0.5
            else rng.uniform(0.05, 1.5)
        )
        return np.stack([onsets, onsets + on], axis=1), np.full(len(onsets), f)
    if style == "groups":
        count = int(rng.choice((1, 2, 4, 5, 6)))
        on, off = _log_uniform(rng, 0.05, 0.8), rng.uniform(0.05, 0.6)
        group_s = count * on + (count - 1) * off
        starts = _grouped_onsets(rng, duration, group_s=group_s, gap_s=(0.8, 6.0))
        onsets = (starts[:, None] + np.arange(count) * (on + off)).ravel()
        return np.stack([onsets, onsets + on], axis=1), np.full(len(onsets), f)
    if style == "melody":
        count = int(rng.integers(3, 9))
        steps = rng.choice(_MELODY_STEPS, size=count, replace=False)
        notes = _log_uniform(rng, 400.0, 4500.0 / 2 ** (steps.max() / 12)) * 2 ** (steps / 12)
        note_on, note_off = rng.uniform(0.08, 0.5), rng.uniform(0.0, 0.2)
        group_s = count * (note_on + note_off)
        starts = _grouped_onsets(rng, duration, group_s=group_s, gap_s=(1.0, 5.0))
        onsets = (starts[:, None] + np.arange(count) * (note_on + note_off)).ravel()
        return np.stack([onsets, onsets + note_on], axis=1), np.tile(notes, len(starts))
    if style == "twotone":
        pair = _pitch_pair(f, rng.uniform(0.6, 0.85))
        tone_s = rng.uniform(0.15, 0.8)
        step = tone_s + (0.0 if rng.random() < 0.5 else rng.uniform(0.05, 0.3))
        if rng.random() < 0.5:  # hi-lo without end
            onsets = _continuous_onsets(rng, step, duration)
        else:  # bursts of 2-6 hi-lo pairs
            count = 2 * int(rng.integers(2, 7))
            starts = _grouped_onsets(rng, duration, group_s=count * step, gap_s=(1.0, 4.0))
            onsets = (starts[:, None] + np.arange(count) * step).ravel()
        return np.stack([onsets, onsets + tone_s], axis=1), pair[np.arange(len(onsets)) % 2]
    # trill: bursts of rapid alternation between two pitches
    pair = _pitch_pair(f, rng.uniform(1.1, 1.5))
    note_s = 1.0 / rng.uniform(8.0, 25.0)
    count = max(2, round(rng.uniform(0.3, 2.0) / note_s))
    starts = _grouped_onsets(rng, duration, group_s=count * note_s, gap_s=(0.4, 3.0))
    onsets = (starts[:, None] + np.arange(count) * note_s).ravel()
    return np.stack([onsets, onsets + note_s], axis=1), pair[np.arange(len(onsets)) % 2]


def draw_beep_sequence(*, duration, style=None, seed=0):
    """A random sequence of tonal beeps that is never a smoke (T3) or CO (T4) alarm pattern.

    Parameters
    ----------
    duration : float
        Length of the clip in seconds; beeps are cropped to [0, duration].
    style : str, optional
        One of :data:`BEEP_STYLES` (drawn at random if omitted): ``regular`` (0.6-3 beeps/s,
        20-70 % duty, no pause), ``reversing`` (0.4-0.6 s on/off at 700-3500 Hz, no pause),
        ``singles`` (single 0.05-1.5 s beeps 1.5-6 s apart), ``groups`` (1, 2, 4, 5 or 6
        beeps with random gaps), ``melody`` (3-8 different pitches, repeated), ``twotone``
        (hi-lo alternation) or ``trill`` (bursts of rapid alternation).
    seed : int

    Returns
    -------
    style : str
    intervals : np.ndarray [shape=(n, 2)]
        Beep onsets and offsets in seconds.
    frequencies_hz : np.ndarray [shape=(n,)]
        Each beep's fundamental, 400-4500 Hz.

    Notes
    -----
    A draw that :func:`is_alarm_like` flags (four T3-timed beeps then a pause, say) is drawn
    again, so a window of a ``beeps`` background never shows an alarm's pattern.
    """
    duration = _check_duration(duration)
    if style is not None and style not in BEEP_STYLES:
        raise ParameterError(f"unknown beep style {style!r}; choose from {', '.join(BEEP_STYLES)}")
    rng = _rng(seed)
    while True:
        chosen = style or str(rng.choice(BEEP_STYLES))
        intervals, frequencies = _draw_beep_style(chosen, rng, duration)
        intervals = np.clip(intervals, 0.0, duration)
        keep = intervals[:, 1] - intervals[:, 0] >= 0.02
        intervals, frequencies = intervals[keep], frequencies[keep]
        if len(intervals) and not is_alarm_like(intervals, duration=duration):
            return chosen, intervals, frequencies


def _beep_timbre(rng):
    """A pure sine, a tone with a few harmonics, or a square wave."""
    choice = rng.random()
    if choice < 0.4:
        return (0.0,)
    if choice < 0.75:
        return (0.0, *(rng.uniform(-35, -6) for _ in range(int(rng.integers(1, 5)))))
    return _square_partials_db(rng.uniform(0.3, 0.5), 15, rng.uniform(-6.0, 0.0))


def _bg_beeps(n, sr, rng):
    """Tonal beeping that is not an alarm pattern: appliances, beepers, melodies, trills."""
    duration = n / sr
    style, intervals, frequencies = draw_beep_sequence(
        duration=duration, seed=int(rng.integers(2**31))
    )
    timbre = _beep_timbre(rng)
    attack_s, release_s = rng.uniform(0.002, 0.02), rng.uniform(0.005, 0.06)
    tones = np.zeros(n)
    for f in np.unique(frequencies):
        tones += _beeps(
            n,
            sr=sr,
            intervals=intervals[frequencies == f],
            frequencies_hz=f,
            partials_db=timbre,
            attack_s=attack_s,
            release_s=release_s,
        )
    y = 0.5 * tones / (np.abs(tones).max() + 1e-12)
    if style == "reversing":
        y += _gain(rng.uniform(-20, -6)) * _engine(n, sr, rng)
        y += _gain(rng.uniform(-35, -20)) * _bg_street_bed(n, sr, rng)
    else:
        y += _gain(rng.uniform(-45, -25)) * _roomtone(n, sr, rng)
        if rng.random() < 0.3:
            y += _gain(rng.uniform(-40, -25)) * _bg_hvac(n, sr, rng)
    return _normalize_rms(y)


@dataclass(frozen=True)
class BackgroundKind:
    """A kind of background: how to render it and where and how loud it is heard.

    Attributes
    ----------
    render : callable
        ``render(n_samples, sr, rng) -> y`` (dry, RMS about 0.1).
    place : str
        ``"indoor"`` (a random room) or ``"outdoor"`` (little reverberation, far away).
    level_dbfs : tuple of float
        Range of the recording's RMS level in dBFS.
    description : str
    """

    render: Callable
    place: str
    level_dbfs: tuple[float, float]
    description: str


BACKGROUND_KINDS = {
    "lowbattery": BackgroundKind(
        _bg_lowbattery, "indoor", (-50, -30), "a smoke detector's low-battery chirp, once or twice"
    ),
    "microwave": BackgroundKind(
        _bg_microwave, "indoor", (-40, -20), "microwave/oven: keypad, fan, 1-5 end beeps (never T3)"
    ),
    "phone": BackgroundKind(
        _bg_phone, "indoor", (-40, -20), "US/UK ring cadences, a bell ringer, ringtone melodies"
    ),
    "kettle": BackgroundKind(
        _bg_kettle, "indoor", (-35, -18), "boiling, then a rising 1.4-3 kHz whistle"
    ),
    "reversing": BackgroundKind(
        _bg_reversing,
        "outdoor",
        (-35, -15),
        "reversing beeper ~1 kHz, 0.5 s on/off with no group gap",
    ),
    "doorbell": BackgroundKind(_bg_doorbell, "indoor", (-40, -20), "ding-dong, chime"),
    "birdsong": BackgroundKind(
        _bg_birdsong, "outdoor", (-40, -20), "whistles and trills 2-6 kHz over wind"
    ),
    "speech": BackgroundKind(
        _bg_speech, "indoor", (-35, -18), "1-3 talkers, formant-synthesised babble"
    ),
    "music": BackgroundKind(_bg_music, "indoor", (-35, -15), "chords, bass, melody, drums"),
    "noise": BackgroundKind(_bg_noise, "indoor", (-50, -20), "white, pink or brown noise"),
    "hum": BackgroundKind(_bg_hum, "indoor", (-55, -30), "50/60 Hz mains hum and buzz"),
    "hvac": BackgroundKind(_bg_hvac, "indoor", (-50, -25), "fans and air conditioning"),
    "kitchen": BackgroundKind(
        _bg_kitchen, "indoor", (-40, -20), "clatter, chopping, running water, sizzling"
    ),
    "street": BackgroundKind(
        _bg_street, "outdoor", (-40, -18), "traffic rumble, passing cars, horns"
    ),
    "tv": BackgroundKind(
        _bg_tv, "indoor", (-40, -18), "dialogue, music, laughter and applause through TV speakers"
    ),
    "roomtone": BackgroundKind(_bg_roomtone, "indoor", (-65, -45), "a quiet room"),
    "beeps": BackgroundKind(
        _bg_beeps,
        "indoor",
        (-40, -15),
        "tonal beeping that is never T3/T4: regular, groups, melodies, hi-lo, trills",
    ),
    "chirps": BackgroundKind(
        _bg_chirps, "indoor", (-50, -30), "a detector chirping every 2-8 s, alone or doubled"
    ),
    "ovenmelody": BackgroundKind(
        _bg_ovenmelody, "indoor", (-40, -20), "holdout: an appliance's melody of square-wave notes"
    ),
    "truckbeeper": BackgroundKind(
        _bg_truckbeeper,
        "outdoor",
        (-35, -15),
        "holdout: reversing beeper at 600-800 or 1600-2600 Hz or broadband",
    ),
    "whistle": BackgroundKind(
        _bg_whistle, "indoor", (-35, -18), "holdout: referee's whistle or someone whistling"
    ),
    "alarmclock": BackgroundKind(
        _bg_alarmclock, "indoor", (-40, -20), "holdout: alarm clock, 4 short beeps every second"
    ),
    "metronome": BackgroundKind(
        _bg_metronome, "indoor", (-40, -20), "holdout: metronome ticks or blips, 40-208 bpm"
    ),
    "intlphone": BackgroundKind(
        _bg_intlphone, "indoor", (-40, -20), "holdout: European, Japanese and trill ring cadences"
    ),
}
HOLDOUT_BACKGROUND_KINDS = (
    "ovenmelody",
    "truckbeeper",
    "whistle",
    "alarmclock",
    "metronome",
    "intlphone",
)
TRAINING_BACKGROUND_KINDS = tuple(k for k in BACKGROUND_KINDS if k not in HOLDOUT_BACKGROUND_KINDS)


def render_background(kind, *, duration, sr, seed=0):
    """Render a dry background scene of one kind (no room, no microphone).

    Parameters
    ----------
    kind : str
        A key of :data:`BACKGROUND_KINDS`.
    duration : float
        Length in seconds.
    sr : int
        Sample rate in Hz.
    seed : int

    Returns
    -------
    y : np.ndarray [shape=(round(duration * sr),)], RMS 0.1

    Raises
    ------
    ParameterError
        If ``kind`` is unknown or ``duration``/``sr`` are invalid.

    Examples
    --------
    >>> y = render_background("hum", duration=2.0, sr=16000, seed=1)
    >>> y.shape
    (32000,)
    """
    if kind not in BACKGROUND_KINDS:
        raise ParameterError(
            f"unknown background kind {kind!r}; choose from {', '.join(BACKGROUND_KINDS)}"
        )
    sr = _check_sr(sr)
    n = round(_check_duration(duration) * sr)
    return BACKGROUND_KINDS[kind].render(n, sr, _rng([seed, 5]))


# --------------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------------

#: Nominal timings (s) drawn per brand: NFPA 72 allows T3 beeps and gaps of 0.5 s +-10 %
#: and a 1.5 s pause +-10 %, NFPA 720 T4 pips of 0.1 s and a 5 s pause; real units stray
#: further, and a model must not hinge on the nominal values.
T3_TIMING_S = {"on": (0.35, 0.68), "off": (0.35, 0.68), "gap": (1.1, 2.2)}
T4_TIMING_S = {"on": (0.06, 0.16), "gap": (3.8, 6.5)}
#: Fundamentals (Hz) by sounder: piezo horns (2.8-3.6 kHz in the wild, with margin), the
#: 520 Hz low-frequency square-wave sounder (+-18 %), loudspeakers (log-uniform).
ALARM_F0_HZ = {"piezo": (2500.0, 4200.0), "square": (426.0, 614.0), "speaker": (300.0, 1400.0)}
#: Share of holdout alarms that sound as two interconnected units out of step.
HOLDOUT_INTERCONNECTED_SHARE = 0.5

#: Training alarm clips per kind at scale 1. CO (T4) alarms and continuous tones have more
#: clips than the other kinds after the T3 piezo: in a 4 s window either is one steady tone
#: (a T4 group's four pips smear into one in a room), as kettle whistles, appliance beeps and
#: hum are, and with 44 and 36 clips models missed 12-16 of 40 CO alarms in long recordings
#: and raised about twice the household false alarms (docs/model-trials.md, "Twice the CO
#: and continuous alarm clips").
ALARM_COUNTS = {
    "t3piezo": 120,
    "t3square": 32,
    "t3speaker": 36,
    "t3voice": 28,
    "t4piezo": 88,
    "continuous": 72,
}
#: Holdout alarm clips per kind: interconnected units, other sounders, rooms, microphones and
#: voices.
HOLDOUT_ALARM_COUNTS = {
    "t3piezo": 24,
    "t3square": 10,
    "t3speaker": 8,
    "t3voice": 8,
    "t4piezo": 10,
    "continuous": 8,
}
#: Training background clips per kind at scale 1.
BACKGROUND_COUNTS = {
    "lowbattery": 14,
    "microwave": 24,
    "phone": 10,
    "kettle": 16,
    "reversing": 24,
    "doorbell": 7,
    "birdsong": 8,
    "speech": 12,
    "music": 10,
    "noise": 8,
    "hum": 6,
    "hvac": 8,
    "kitchen": 10,
    "street": 8,
    "tv": 10,
    "roomtone": 7,
    "beeps": 120,
    # Added last so every other clip keeps its seed (docs/model-trials.md, "A detector
    # chirping in the corpus").
    "chirps": 20,
}
HOLDOUT_BACKGROUND_COUNTS = dict.fromkeys(HOLDOUT_BACKGROUND_KINDS, 8)

#: (sample rate, channels, probability) of the files, varied because real inputs vary.
#: Backgrounds lean to lower rates to keep the corpus small: the model hears 16 kHz.
ALARM_FORMATS = (
    (32000, 1, 0.45),
    (44100, 1, 0.30),
    (22050, 1, 0.08),
    (16000, 1, 0.12),
    (48000, 2, 0.03),
    (48000, 1, 0.02),
)
BACKGROUND_FORMATS = (
    (16000, 1, 0.55),
    (22050, 1, 0.20),
    (32000, 1, 0.15),
    (44100, 1, 0.07),
    (48000, 2, 0.02),
    (48000, 1, 0.01),
)
#: Share of alarm clips longer than one window, and their length range in seconds.
LONG_ALARM_SHARE = 0.2
LONG_ALARM_S = (8.0, 12.0)
#: Background clip lengths in seconds (a low-battery clip is long enough for 1-2 chirps).
BACKGROUND_S = (12.0, 22.0)
LOWBATTERY_S = (30.0, 45.0)
BEEPS_S = (12.0, 20.0)
_BACKGROUND_LENGTHS_S = {"lowbattery": LOWBATTERY_S, "beeps": BEEPS_S}

_SECTIONS = {
    "alarms": 1,
    "background": 2,
    "holdout/alarms": 3,
    "holdout/background": 4,
    "examples": 5,
}


@dataclass(frozen=True)
class CorpusFile:
    """One file of the corpus and everything needed to render it exactly.

    Attributes
    ----------
    path : str
        Relative POSIX path inside the corpus directory, e.g. ``alarms/t3piezo_..._0007.wav``.
    kind : str
        The stem's prefix: an alarm kind or a background kind.
    label : str
        ``"alarm"`` or ``"no_alarm"``.
    sr, channels : int
    duration_s : float
    seed : int
    recording : Recording
        How the scene (the alarm, or the background) was recorded.
    alarm : AlarmSpec or None
        The alarm sounding in the file (for an example, it starts at ``alarm_at_s``).
    backgrounds : tuple of str
        Background kinds in the scene (the first is the main one).
    alarm_at_s : float
        Examples: when the alarm starts sounding, s.
    alarm_distance_m : float
        Examples: the alarm's distance to the microphone.
    snr_db : float
        Examples: alarm level (while it sounds) over the background, dB.
    ambience_db : float
        Alarm clips: the alarm's level over the quiet room tone heard with it, dB.
    """

    path: str
    kind: str
    label: str
    sr: int
    channels: int
    duration_s: float
    seed: int
    recording: Recording
    alarm: AlarmSpec | None = None
    backgrounds: tuple[str, ...] = ()
    alarm_at_s: float = 0.0
    alarm_distance_m: float = 0.0
    snr_db: float = 0.0
    ambience_db: float = 0.0

    @property
    def section(self) -> str:
        return self.path.rsplit("/", 1)[0]

    def sounding(self) -> list[list[float]]:
        """When an alarm sounds in this file: [[onset_s, offset_s], ...] (beeps or tone)."""
        return self._intervals()[0]

    def messages(self) -> list[list[float]]:
        """When the alarm's voice message plays: [[onset_s, offset_s], ...]."""
        return self._intervals()[1]

    def _intervals(self):
        if self.alarm is None:
            return [], []
        beeps, messages = alarm_intervals(self.alarm, seed=self.seed)
        return (
            np.round(beeps + self.alarm_at_s, 4).tolist(),
            np.round(messages + self.alarm_at_s, 4).tolist(),
        )

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "section": self.section,
            "kind": self.kind,
            "label": self.label,
            "sr": self.sr,
            "channels": self.channels,
            "duration_s": self.duration_s,
            "seed": self.seed,
            "recording": self.recording.to_dict(),
            "alarm": None if self.alarm is None else self.alarm.to_dict(),
            "backgrounds": list(self.backgrounds),
            "ambience_db": self.ambience_db,
            "sounding": self.sounding(),
            "messages": self.messages(),
        }


def _file_seed(seed, section, index) -> int:
    return int(np.random.SeedSequence([seed, _SECTIONS[section], index]).generate_state(1)[0])


def _choose_format(rng, formats):
    index = rng.choice(len(formats), p=[p for _, _, p in formats])
    return int(formats[index][0]), int(formats[index][1])


def _log_uniform(rng, low, high):
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def draw_alarm(kind, rng, *, holdout, duration_s) -> AlarmSpec:
    """A random alarm of ``kind``: a brand's timing, a sounder's tone, a unit's quirks.

    Parameters
    ----------
    kind : str
        An alarm kind of :data:`ALARM_COUNTS` (``"t3piezo"``, ``"t4piezo"``, ...).
    rng : np.random.Generator
    holdout : bool
        Draw as the holdout does: asymmetric square-wave drivers, speakers that barely
        reproduce their fundamental, longer voice messages, interconnected units.
    duration_s : float
        Clip length in seconds.

    Returns
    -------
    AlarmSpec
    """

    spec = {
        "kind": kind,
        "duration_s": duration_s,
        "jitter_s": rng.uniform(0.002, 0.02),
        "attack_s": rng.uniform(0.002, 0.02),
        "release_s": rng.uniform(0.005, 0.06),
        "drift": rng.uniform(0.0005, 0.006),
        "noise_db": rng.uniform(-60, -35),
    }
    # Timing and pitch span what real units do (the standards' tolerances and beyond) in
    # training and holdout alike; the holdout differs in how the sound is made and heard.
    if kind == "t4piezo":
        spec["pattern"] = "t4"
        on = rng.uniform(*T4_TIMING_S["on"])
        spec.update(
            on_s=on, off_s=on * rng.uniform(0.8, 1.25), gap_s=rng.uniform(*T4_TIMING_S["gap"])
        )
    elif kind == "continuous":
        spec["pattern"] = "continuous"
    else:
        spec["pattern"] = "t3"
        spec.update(
            on_s=rng.uniform(*T3_TIMING_S["on"]),
            off_s=rng.uniform(*T3_TIMING_S["off"]),
            gap_s=rng.uniform(*T3_TIMING_S["gap"]),
        )

    if kind in ("t3piezo", "t4piezo"):
        source = "piezo"
    elif kind == "t3square":
        source = "square"
    elif kind == "t3speaker":
        source = "speaker"
    else:
        source = str(
            rng.choice(
                ("piezo", "speaker", "square") if kind == "continuous" else ("piezo", "speaker")
            )
        )
    spec["source"] = source
    if source == "piezo":
        spec["f0_hz"] = rng.uniform(*ALARM_F0_HZ["piezo"])
        spec["partials_db"] = _piezo_partials_db(rng)
        if rng.random() < 0.15:
            spec.update(warble_hz=rng.uniform(2, 12), warble_depth=rng.uniform(0.02, 0.08))
        if rng.random() < 0.1 and spec["pattern"] != "continuous":
            spec["sweep"] = rng.uniform(0.03, 0.12)
        if rng.random() < 0.2:
            spec.update(am_hz=rng.uniform(20, 120), am_depth=rng.uniform(0.1, 0.4))
    elif source == "square":
        spec["f0_hz"] = rng.uniform(*ALARM_F0_HZ["square"])
        # Holdout drivers are asymmetric: a 25-35 % duty cycle adds the even harmonics.
        duty = rng.uniform(0.25, 0.35) if holdout else rng.uniform(0.46, 0.54)
        spec["partials_db"] = _square_partials_db(duty, 25, rng.uniform(-4.0, 0.0))
    else:
        spec["f0_hz"] = _log_uniform(rng, *ALARM_F0_HZ["speaker"])
        levels = [0.0] + [rng.uniform(-14, 0) for _ in range(5)]
        levels += [rng.uniform(-28, -10) for _ in range(4)]
        levels[int(rng.integers(1, 6))] = rng.uniform(0, 4)  # the speaker's resonance
        if holdout:
            # A small speaker that hardly reproduces its own fundamental.
            levels[0] = rng.uniform(-24, -10)
        spec["partials_db"] = tuple(levels)
        if rng.random() < 0.3 and spec["pattern"] != "continuous":
            spec["sweep"] = rng.uniform(0.2, 0.6)
        elif rng.random() < 0.15:
            spec.update(warble_hz=rng.uniform(1, 8), warble_depth=rng.uniform(0.05, 0.2))
    if kind == "t3voice":
        f0, scale = _voice(rng)
        if holdout:
            spec.update(
                message_s=rng.uniform(2.0, 3.5),
                message_every=1,
                voice_f0_hz=f0 * rng.uniform(0.8, 1.25),
                voice_formant_scale=scale,
            )
        else:
            spec.update(
                message_s=rng.uniform(1.0, 2.2),
                message_every=int(rng.integers(1, 3)),
                voice_f0_hz=f0,
                voice_formant_scale=scale,
            )

    # Where the clip starts in the alarm's cycle.
    if spec["pattern"] == "continuous":
        spec["start_s"] = 0.0
    else:
        n_beeps = PATTERN_BEEPS[spec["pattern"]]
        group_s = n_beeps * spec["on_s"] + (n_beeps - 1) * spec["off_s"]
        cycle_s = group_s + spec["gap_s"] + spec.get("message_s", 0.0)
        if spec["pattern"] == "t4" and duration_s <= cycle_s:
            # A window-long CO clip holds one whole beep group.
            spec["start_s"] = rng.uniform(0.05, max(0.1, duration_s - group_s - 0.1))
        else:
            spec["start_s"] = -rng.uniform(0.0, cycle_s)
    if holdout and rng.random() < HOLDOUT_INTERCONNECTED_SHARE:
        spec.update(
            second_unit_lag_s=rng.uniform(0.05, 0.5),
            second_unit_ratio=rng.uniform(0.92, 1.08),
            second_unit_db=rng.uniform(-12.0, 0.0),
        )
    return AlarmSpec(**spec)


def draw_recording(rng, *, holdout, place, channels, level_dbfs, may_clip) -> Recording:
    """A random recording situation: room (or outdoors), distance, microphone, level.

    Parameters
    ----------
    rng : np.random.Generator
    holdout : bool
        Half the rooms and microphones from the holdout's, and a wider range of distances.
    place : str
        ``"indoor"`` or ``"outdoor"``.
    channels : int
    level_dbfs : (float, float)
        Range of the RMS level in dBFS.
    may_clip : bool
        Whether a near microphone may be driven into clipping.

    Returns
    -------
    Recording
    """
    if place == "outdoor":
        room, distance = "outdoors", _log_uniform(rng, 2.0, 40.0)
    else:
        rooms = HOLDOUT_ROOMS if holdout and rng.random() < 0.5 else TRAINING_ROOMS
        room = str(rng.choice(rooms))
        distance = _log_uniform(rng, 0.3, 12.0) if holdout else _log_uniform(rng, 0.4, 8.0)
    if holdout and rng.random() < 0.5:
        mic = str(rng.choice(HOLDOUT_MICROPHONES))
    else:
        mic = str(rng.choice(TRAINING_MICROPHONES, p=(0.2, 0.35, 0.15, 0.15, 0.15)))
    clip_db = rng.uniform(1.0, 8.0) if may_clip and distance < 1.5 and rng.random() < 0.3 else 0.0
    return Recording(
        room=room,
        distance_m=round(distance, 2),
        mic=mic,
        level_dbfs=round(rng.uniform(*level_dbfs), 2),
        clip_db=round(clip_db, 2),
        channels=channels,
    )


def _scaled_count(count, scale) -> int:
    return max(1, round(count * scale))


def _plan_alarms(seed, scale, *, section, counts, holdout):
    files = []
    index = 0
    for kind, count in counts.items():
        for _ in range(_scaled_count(count, scale)):
            file_seed = _file_seed(seed, section, index)
            rng = _rng([file_seed, 0])
            sr, channels = _choose_format(rng, ALARM_FORMATS)
            duration = (
                round(rng.uniform(*LONG_ALARM_S), 2)
                if rng.random() < LONG_ALARM_SHARE
                else SAMPLE_DURATION
            )
            alarm = draw_alarm(kind, rng, holdout=holdout, duration_s=duration)
            recording = draw_recording(
                rng,
                holdout=holdout,
                place="indoor",
                channels=channels,
                level_dbfs=(-32.0, -10.0),
                may_clip=True,
            )
            stem = (
                f"{kind}_{alarm.f0_hz:.0f}hz_{recording.room}_d{recording.distance_m:.1f}m_"
                f"{index:04d}"
            )
            files.append(
                CorpusFile(
                    path=f"{section}/{stem}.wav",
                    kind=kind,
                    label="alarm",
                    sr=sr,
                    channels=channels,
                    duration_s=duration,
                    seed=file_seed,
                    recording=recording,
                    alarm=alarm,
                    ambience_db=round(rng.uniform(25.0, 50.0), 2),
                )
            )
            index += 1
    return files


def _plan_backgrounds(seed, scale, *, section, counts, holdout):
    files = []
    index = 0
    for kind, count in counts.items():
        spec = BACKGROUND_KINDS[kind]
        for _ in range(_scaled_count(count, scale)):
            file_seed = _file_seed(seed, section, index)
            rng = _rng([file_seed, 0])
            sr, channels = _choose_format(rng, BACKGROUND_FORMATS)
            duration = round(rng.uniform(*_BACKGROUND_LENGTHS_S.get(kind, BACKGROUND_S)), 2)
            recording = draw_recording(
                rng,
                holdout=holdout,
                place=spec.place,
                channels=channels,
                level_dbfs=spec.level_dbfs,
                may_clip=False,
            )
            files.append(
                CorpusFile(
                    path=f"{section}/{kind}_{index:04d}.wav",
                    kind=kind,
                    label="no_alarm",
                    sr=sr,
                    channels=channels,
                    duration_s=duration,
                    seed=file_seed,
                    recording=recording,
                    backgrounds=(kind,),
                )
            )
            index += 1
    return files


def _plan_examples(seed):
    """Longer recordings for the demo's detect step, each with known alarm intervals."""
    rng = _rng([seed, _SECTIONS["examples"]])
    t3_timing = {"on_s": 0.5, "off_s": 0.5, "gap_s": 1.5, "jitter_s": 0.005}
    t3 = AlarmSpec(
        kind="t3piezo",
        f0_hz=round(rng.uniform(3000, 3400)),
        partials_db=_piezo_partials_db(rng),
        duration_s=30.0,
        attack_s=0.005,
        release_s=0.02,
        drift=0.002,
        **t3_timing,
    )
    t4 = AlarmSpec(
        kind="t4piezo",
        pattern="t4",
        f0_hz=round(rng.uniform(3000, 3400)),
        partials_db=_piezo_partials_db(rng),
        duration_s=30.0,
        on_s=0.1,
        off_s=0.1,
        gap_s=5.0,
        jitter_s=0.003,
        attack_s=0.003,
        release_s=0.01,
        drift=0.002,
    )
    voice = AlarmSpec(
        kind="t3voice",
        source="speaker",
        f0_hz=round(rng.uniform(600, 900)),
        partials_db=(0.0, -4.0, -2.0, -8.0, -6.0, -12.0, -15.0, -20.0),
        duration_s=30.0,
        message_s=1.6,
        message_every=2,
        voice_f0_hz=190.0,
        voice_formant_scale=1.15,
        **t3_timing,
    )
    examples = (
        # name, duration, sr, channels, backgrounds, alarm, alarm at, room, alarm distance,
        # background distance, SNR
        ("alarm_kitchen", 70.0, 32000, 1, ("kitchen", "hvac"), t3, 20.0, "room02", 4.0, 2.0, 3.0),
        (
            "alarm_co_bedroom",
            55.0,
            32000,
            1,
            ("roomtone", "hvac"),
            t4,
            15.0,
            "room00",
            3.0,
            2.0,
            10.0,
        ),
        ("alarm_livingroom_tv", 40.0, 48000, 2, ("tv",), voice, 8.0, "room01", 5.0, 2.5, 0.0),
        (
            "no_alarm_microwave",
            40.0,
            44100,
            1,
            ("microwave", "kitchen"),
            None,
            0.0,
            "room02",
            0.0,
            1.5,
            0.0,
        ),
        (
            "no_alarm_reversing_truck",
            40.0,
            32000,
            1,
            ("reversing", "street"),
            None,
            0.0,
            "outdoors",
            0.0,
            10.0,
            0.0,
        ),
        (
            "no_alarm_lowbattery_chirp",
            50.0,
            22050,
            1,
            ("lowbattery", "roomtone"),
            None,
            0.0,
            "room03",
            0.0,
            3.0,
            0.0,
        ),
    )
    files = []
    for index, (
        name,
        duration,
        sr,
        channels,
        backgrounds,
        alarm,
        at,
        room,
        alarm_distance,
        distance,
        snr,
    ) in enumerate(examples):
        recording = Recording(
            room=room, distance_m=distance, mic="smartphone", level_dbfs=-24.0, channels=channels
        )
        files.append(
            CorpusFile(
                path=f"examples/{name}.wav",
                kind="alarm" if alarm else "no_alarm",
                label="alarm" if alarm else "no_alarm",
                sr=sr,
                channels=channels,
                duration_s=duration,
                seed=_file_seed(seed, "examples", index),
                recording=recording,
                alarm=alarm,
                backgrounds=backgrounds,
                alarm_at_s=at,
                alarm_distance_m=alarm_distance,
                snr_db=snr,
            )
        )
    return files


def plan_corpus(*, seed=0, scale=1.0) -> list[CorpusFile]:
    """Every file of the corpus, drawn from ``seed`` (cheap: nothing is rendered).

    Parameters
    ----------
    seed : int
    scale : float
        Multiplier on the number of clips per kind (each kind keeps at least one); the
        examples are always the same six recordings.

    Returns
    -------
    files : list of CorpusFile
    """
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    if not np.isfinite(scale) or scale <= 0:
        raise ParameterError(f"scale must be a positive number, got {scale!r}")
    return [
        *_plan_alarms(seed, scale, section="alarms", counts=ALARM_COUNTS, holdout=False),
        *_plan_backgrounds(
            seed, scale, section="background", counts=BACKGROUND_COUNTS, holdout=False
        ),
        *_plan_alarms(
            seed, scale, section="holdout/alarms", counts=HOLDOUT_ALARM_COUNTS, holdout=True
        ),
        *_plan_backgrounds(
            seed,
            scale,
            section="holdout/background",
            counts=HOLDOUT_BACKGROUND_COUNTS,
            holdout=True,
        ),
        *_plan_examples(seed),
    ]


def preroll_samples(room: str, *, sr: int) -> int:
    """Samples to render before a clip recorded in ``room`` (a key of :data:`ROOMS`) at
    ``sr`` Hz, long enough for its reverberation and the filters to build up."""
    return round((min(ROOMS[room].rt60_s, 1.5) + 0.1) * sr)


def _render_example(item: CorpusFile):
    sr, n = item.sr, round(item.duration_s * item.sr)
    rec = item.recording
    n_pre = preroll_samples(item.recording.room, sr=item.sr)
    scene = np.zeros(n + n_pre)
    for layer, kind in enumerate(item.backgrounds):
        y = render_background(kind, duration=(n + n_pre) / sr, sr=sr, seed=item.seed + layer)
        scene += (1.0 if layer == 0 else _gain(-12.0)) * y
    scene = apply_room(
        scene,
        sr=sr,
        room=rec.room,
        distance_m=rec.distance_m,
        channels=rec.channels,
        seed=item.seed,
    )
    if item.alarm is not None:
        # Reverberate only the stretch where the alarm sounds (plus its decay), not silence.
        start = n_pre + round(item.alarm_at_s * sr)
        dry = render_alarm(item.alarm, sr=sr, seed=item.seed)
        dry = np.concatenate(
            [dry, np.zeros(min(round(ROOMS[rec.room].rt60_s * sr), n + n_pre - start - len(dry)))]
        )
        wet = apply_room(
            dry,
            sr=sr,
            room=rec.room,
            distance_m=item.alarm_distance_m,
            channels=rec.channels,
            seed=item.seed + 100,
        )
        sounding = np.abs(dry) > 1e-3
        alarm_rms = np.sqrt(np.mean(wet[sounding] ** 2))
        scene_rms = np.sqrt(np.mean(scene[start : start + len(dry)][sounding] ** 2))
        _add_at(scene, wet * (scene_rms / alarm_rms * _gain(item.snr_db)), start)
    return apply_microphone(
        scene,
        sr=sr,
        mic=rec.mic,
        level_dbfs=rec.level_dbfs,
        clip_db=rec.clip_db,
        preroll_s=n_pre / sr,
        seed=item.seed,
    )


def render_corpus_file(item: CorpusFile):
    """Render one planned file: float samples in [-1, 1], shape (n,) or (n, channels)."""
    if item.section == "examples":
        return _render_example(item)
    n, n_pre = round(item.duration_s * item.sr), preroll_samples(item.recording.room, sr=item.sr)
    # Rendered with a pre-roll, so the clip starts mid-recording with reverberation built up.
    total_s, preroll_s = (n + n_pre) / item.sr, n_pre / item.sr
    if item.alarm is not None:
        spec = dataclasses.replace(
            item.alarm, duration_s=total_s, start_s=item.alarm.start_s + preroll_s
        )
        dry = render_alarm(spec, sr=item.sr, seed=item.seed)
        # No room is silent: a quiet room tone, far below the alarm, as in any recording.
        dry += (
            _gain(-item.ambience_db)
            * np.sqrt(np.mean(dry**2))
            / 0.1
            * _roomtone(len(dry), item.sr, _rng([item.seed, 13]))
        )
    else:
        dry = render_background(item.kind, duration=total_s, sr=item.sr, seed=item.seed)
    return record(dry, sr=item.sr, recording=item.recording, preroll_s=preroll_s, seed=item.seed)


def _write_corpus_file(item: CorpusFile, *, out: Path) -> None:
    write_wav(out / item.path, render_corpus_file(item), sr=item.sr)


def write_wav(path: Path, y, *, sr):
    """16-bit PCM WAV, written to a temporary name first so a crash leaves no half file."""
    pcm = np.clip(np.round(np.asarray(y) * 32767.0), -32768, 32767).astype(np.int16)
    partial = path.with_name(path.name + ".part")
    sf.write(partial, pcm, sr, subtype="PCM_16", format="WAV")
    os.replace(partial, path)


def _truth(files) -> dict:
    """The examples' true alarm intervals (first beep onset to last beep offset)."""
    truth = {}
    for item in files:
        if item.section != "examples":
            continue
        events = []
        if item.alarm is not None:
            sounding = item.sounding()
            events.append(
                {
                    "label": "alarm",
                    "start": round(sounding[0][0], 2),
                    "end": round(sounding[-1][1], 2),
                }
            )
        truth[item.path.split("/")[-1]] = {
            "alarm": bool(events),
            "events": events,
            "kind": item.alarm.kind if item.alarm else item.backgrounds[0],
            "backgrounds": list(item.backgrounds),
            "duration_s": item.duration_s,
        }
    return {"format": "sounddetect-truth/1", "files": truth}


def _write_json_if_changed(path: Path, data) -> bool:
    text = json.dumps(data, indent=1) + "\n"
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True


#: Metadata written next to the audio: every file's recipe, and the examples' truth.
MANIFEST_NAME = "corpus.json"
TRUTH_PATH = "examples/truth.json"


#: Top-level parts of the corpus, in the order they are written.
CORPUS_SECTIONS = ("alarms", "background", "holdout", "examples")


def _remove_stale_files(out: Path, manifest_path: Path, *, keep: set[str]) -> None:
    """Delete files an earlier corpus (its ``corpus.json``) wrote that this plan no longer has.

    A newer corpus version or another scale renames files; left in place, stale files would
    silently join the new corpus in the generator's folder scan. Only files listed in our
    own manifest are touched, never anything else in ``out``.
    """
    if not manifest_path.exists():
        return
    try:
        recorded = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        return
    stale = [
        out / entry["path"]
        for entry in recorded.get("files", [])
        if isinstance(entry, dict) and entry.get("path") not in keep
    ]
    stale = [path for path in stale if path.is_file()]
    for path in stale:
        path.unlink()
    if stale:
        logger.info(
            "removed %d files of the earlier corpus that this one no longer has", len(stale)
        )


def make_corpus(
    out_dir,
    *,
    seed=0,
    scale=1.0,
    skip_existing=False,
    overwrite=False,
    sections=CORPUS_SECTIONS,
    workers=1,
    progress=False,
) -> dict:
    """Render the whole corpus into ``out_dir``.

    Writes ``alarms/``, ``background/``, ``holdout/alarms/``, ``holdout/background/`` and
    ``examples/`` (16-bit PCM WAV), ``examples/truth.json`` (the examples' alarm intervals)
    and ``corpus.json`` (every file's kind, label, format, recipe and alarm intervals).

    Parameters
    ----------
    out_dir : str or Path
    seed : int
        Same seed, same scale: byte-identical files.
    scale : float
        Multiplier on the clip counts per kind.
    skip_existing : bool
        Keep files that exist and render only missing ones. If ``corpus.json`` records a
        different seed or scale, the existing corpus is kept as it is and nothing is written.
    overwrite : bool
        Replace existing files.
    sections : sequence of str
        Which parts to write (see :data:`CORPUS_SECTIONS`); a part is the same whether it is
        written alone or with the others.
    workers : int >= 1
        Processes that render (every file has its own seed, so the files do not depend
        on it).
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    summary : dict
        ``written``, ``skipped``, ``counts`` (files per section and kind), ``bytes``.

    Raises
    ------
    ParameterError
        If files exist and neither ``skip_existing`` nor ``overwrite`` is set, if both are,
        or for an invalid seed or scale.
    """
    if skip_existing and overwrite:
        raise ParameterError("choose one of skip_existing and overwrite, not both")
    if workers < 1:
        raise ParameterError(f"workers must be >= 1, got {workers}")
    unknown = set(sections) - set(CORPUS_SECTIONS)
    if unknown or not sections:
        raise ParameterError(f"sections must be some of {CORPUS_SECTIONS}, got {sections!r}")
    out = Path(out_dir)
    files = [
        item
        for item in plan_corpus(seed=seed, scale=scale)
        if item.section.split("/")[0] in sections
    ]
    manifest_path = out / MANIFEST_NAME
    if skip_existing and manifest_path.exists():
        recorded = json.loads(manifest_path.read_text())
        if (recorded.get("seed"), recorded.get("scale")) != (seed, scale):
            logger.info(
                "keeping the existing corpus in %s (seed %s, scale %s)",
                out,
                recorded.get("seed"),
                recorded.get("scale"),
            )
            return {
                "dir": str(out),
                "written": 0,
                "skipped": len(recorded.get("files", [])),
                "counts": {},
                "bytes": _tree_bytes(out),
            }
    outputs = [out / item.path for item in files] + [manifest_path]
    if "examples" in sections:
        outputs.append(out / TRUTH_PATH)
    existing = [p for p in outputs if p.exists()]
    if existing and not (skip_existing or overwrite):
        raise ParameterError(
            f"{out}: {len(existing)} corpus files exist already (e.g. {existing[0]}); pass "
            "--skip-existing to keep them or --overwrite to replace them"
        )
    if skip_existing or overwrite:
        _remove_stale_files(out, manifest_path, keep={item.path for item in files})
    missing = [item for item in files if not (skip_existing and (out / item.path).exists())]
    for folder in sorted({(out / item.path).parent for item in missing}):
        folder.mkdir(parents=True, exist_ok=True)
    rendered = map_in_processes(
        functools.partial(_write_corpus_file, out=out), missing, workers=workers
    )
    for _ in tqdm(rendered, total=len(missing), desc="synth", unit="file", disable=not progress):
        pass
    written, skipped = len(missing), len(files) - len(missing)
    if "examples" in sections:
        _write_json_if_changed(out / TRUTH_PATH, _truth(files))
    _write_json_if_changed(
        manifest_path,
        {
            "format": "sounddetect-corpus/1",
            "generator": f"sounddetect {__version__}",
            "seed": seed,
            "scale": scale,
            "sections": list(sections),
            "licence": "MIT-0",
            "holdout_background_kinds": list(HOLDOUT_BACKGROUND_KINDS),
            "files": [item.to_dict() for item in files],
        },
    )
    counts = Counter((item.section, item.kind) for item in files)
    summary = {section: {} for section in _SECTIONS if section.split("/")[0] in sections}
    for (section, kind), count in counts.items():
        summary[section][kind] = count
    return {
        "dir": str(out),
        "written": written,
        "skipped": skipped,
        "counts": summary,
        "bytes": _tree_bytes(out),
    }


def _tree_bytes(out: Path) -> int:
    return sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
