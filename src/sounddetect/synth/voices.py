"""Speech-like babble by formant synthesis: the voice messages of speaker alarms
and the corpus's conversations.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import signal

from sounddetect.synth.tones import (
    _NYQUIST_MARGIN,
    _add_at,
    _butter_sos,
    _check_duration,
    _check_sr,
    _rng,
    _smooth_noise,
    _white,
)

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
