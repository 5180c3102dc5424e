"""Temporal patterns: when an alarm or an appliance sounds (T3, T4, beep trains)."""

from __future__ import annotations

import numpy as np

from sounddetect.exceptions import ParameterError
from sounddetect.synth.tones import _check_duration, _partial_amplitudes, _partials, _rng


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
