"""Background scenes, the sounds mistaken for alarms and the rest of a home's sound.

Each renderer maps (n samples, sr, rng) to a dry scene of RMS ~0.1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import signal

from sounddetect.exceptions import ParameterError
from sounddetect.synth.temporal import _beeps, beep_pattern, is_alarm_like, pattern_envelope
from sounddetect.synth.tones import (
    _NYQUIST_MARGIN,
    _add_at,
    _band_limit,
    _check_duration,
    _check_sr,
    _colored_noise,
    _fade,
    _gain,
    _log_uniform,
    _normalize_rms,
    _rng,
    _smooth_noise,
    _white,
    harmonic_tone,
)
from sounddetect.synth.voices import babble


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
