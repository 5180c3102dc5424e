"""Alarm sounders: what a detector emits, its tone, temporal pattern and imperfections."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from sounddetect.exceptions import ParameterError
from sounddetect.synth.temporal import _pattern, pattern_envelope
from sounddetect.synth.tones import (
    _add_at,
    _band_limit,
    _check_sr,
    _gain,
    _partial_amplitudes,
    _partials,
    _rng,
    _smooth_noise,
    _white,
)
from sounddetect.synth.voices import babble

#: Length in seconds of the model's window; a share of the alarm clips is exactly this long.
SAMPLE_DURATION = 4.0

#: Beeps per group of each temporal pattern: smoke (temporal-three), CO (temporal-four), and
#: steady beeping of one or two beeps a cycle with no group pause, as some smoke and heat
#: alarms beep (not in the corpus: ``benchmarks/alarm_recordings.py --pulsing``).
PATTERN_BEEPS = {"t3": 3, "t4": 4, "pulse": 1, "pulse2": 2}


@dataclass(frozen=True)
class AlarmSpec:
    """What an alarm sounder emits: its tone, its temporal pattern and their imperfections.

    Attributes
    ----------
    kind : str
        Corpus kind (the file stem's prefix), e.g. ``"t3piezo"``.
    pattern : str
        ``"t3"`` (smoke), ``"t4"`` (carbon monoxide), ``"continuous"``, or ``"pulse"`` /
        ``"pulse2"`` (one or two beeps, ``gap_s`` apart, again and again).
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
            raise ParameterError(
                f"pattern must be one of {', '.join((*PATTERN_BEEPS, 'continuous'))}, "
                f"got {self.pattern!r}"
            )
        if self.f0_hz <= 0 or self.duration_s <= 0 or self.on_s <= 0:
            raise ParameterError(
                f"f0_hz, duration_s and on_s must be positive, got {self.f0_hz}, "
                f"{self.duration_s}, {self.on_s}"
            )
        if not self.partials_db:
            raise ParameterError("partials_db needs at least the fundamental's level")
        if self.message_s < 0 or (self.message_s > 0 and self.message_every < 1):
            raise ParameterError(
                f"need message_s >= 0 and, with a message, message_every >= 1, got "
                f"{self.message_s} and {self.message_every}"
            )
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

    With an interconnected second unit, the intervals are those of either unit, overlapping
    ones merged. A beeping pattern (``"t3"``, ``"t4"``, ``"pulse"``, ``"pulse2"``) follows the
    timing of :func:`~sounddetect.synth.temporal.beep_pattern`, except that with
    ``spec.message_s`` a voice message takes the place of the gap after every
    ``spec.message_every``-th group, with a pause of about ``spec.off_s`` either side.
    A ``"continuous"`` pattern is one interval from ``max(spec.start_s, 0)`` to
    ``spec.duration_s`` (none when it starts after the clip), without jitter or messages.

    Parameters
    ----------
    spec : AlarmSpec
        The pattern, its timing in seconds and the clip's length ``spec.duration_s`` in
        seconds.
    seed : int
        Seeds the timing jitter (the second unit's from a seed drawn with ``[seed, 17]``).

    Returns
    -------
    beeps : np.ndarray [shape=(n, 2)]
        Onset and offset in seconds from the clip's start of each beep (of the tone, for
        ``"continuous"``), in time order; a t3 or t4 pattern's are cropped to
        [0, spec.duration_s].
    messages : np.ndarray [shape=(m, 2)]
        Onset and offset in seconds of each voice message, in time order, cropped likewise;
        ``(0, 2)`` without messages.

    See Also
    --------
    render_alarm : the signal that follows these intervals.
    """
    units = _units(spec, seed)
    if len(units) > 1:
        beeps, messages = zip(*(alarm_intervals(unit, seed=s) for unit, s in units), strict=True)
        return _union(np.concatenate(beeps)), _union(np.concatenate(messages))
    if spec.pattern == "continuous":
        start = max(spec.start_s, 0.0)
        tone = [[start, spec.duration_s]] if start < spec.duration_s else []
        return np.array(tone).reshape(-1, 2), np.empty((0, 2))
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
