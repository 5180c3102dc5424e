"""The corpus: which files, drawn how, rendered and written with their manifest."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import soundfile as sf
from tqdm import tqdm

from sounddetect import __version__
from sounddetect.exceptions import ParameterError
from sounddetect.folders import write_aside
from sounddetect.synth.alarms import (
    PATTERN_BEEPS,
    SAMPLE_DURATION,
    AlarmSpec,
    alarm_intervals,
    render_alarm,
)
from sounddetect.synth.backgrounds import (
    BACKGROUND_KINDS,
    HOLDOUT_BACKGROUND_KINDS,
    _piezo_partials_db,
    _roomtone,
    _square_partials_db,
    _voice,
    render_background,
)
from sounddetect.synth.rooms import (
    HOLDOUT_MICROPHONES,
    HOLDOUT_ROOMS,
    ROOMS,
    TRAINING_MICROPHONES,
    TRAINING_ROOMS,
    Recording,
    apply_microphone,
    apply_room,
    record,
)
from sounddetect.synth.tones import _add_at, _gain, _log_uniform, _rng
from sounddetect.workers import map_in_processes

logger = logging.getLogger(__name__)


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


#: Largest ``scale``: the corpus at scale 1 is 820 files and 0.5 GB.
MAX_SCALE = 100.0


def plan_corpus(*, seed=0, scale=1.0) -> list[CorpusFile]:
    """Every file of the corpus, drawn from ``seed`` (cheap: nothing is rendered).

    Parameters
    ----------
    seed : int
    scale : float in (0, MAX_SCALE]
        Multiplier on the number of clips per kind (each kind keeps at least one); the
        examples are always the same six recordings.

    Returns
    -------
    files : list of CorpusFile
    """
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    if not np.isfinite(scale) or not 0 < scale <= MAX_SCALE:
        raise ParameterError(
            f"scale must be a positive number up to {MAX_SCALE:g} (about "
            f"{MAX_SCALE * 0.5:g} GB of audio), got {scale!r}"
        )
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
    """16-bit PCM WAV, written to a temporary name first so a crash leaves no half file.

    The samples are scaled by 32767, rounded and clipped to the int16 range (values beyond
    [-1, 1] clip), written to ``<name>.part`` beside ``path`` and moved over ``path`` with
    :func:`os.replace`. An exception while writing, Ctrl-C included, removes the ``.part``
    file and is raised again.

    Parameters
    ----------
    path : Path
        The file to write (a :class:`~pathlib.Path`, not a str); its folder must exist, and
        a file already there is replaced.
    y : array_like [shape=(n,) or (n, channels)]
        Float samples, full scale at +-1, samples first as the synthesiser renders them.
    sr : int > 0
        Sample rate in Hz.

    Returns
    -------
    None
    """
    pcm = np.clip(np.round(np.asarray(y) * 32767.0), -32768, 32767).astype(np.int16)
    partial = path.with_name(path.name + ".part")
    try:
        sf.write(partial, pcm, sr, subtype="PCM_16", format="WAV")
        os.replace(partial, path)
    except BaseException:  # Ctrl-C or SIGTERM while writing: not even a half .part is left
        partial.unlink(missing_ok=True)
        raise


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
    write_aside(path, text.encode())
    return True


#: Metadata written next to the audio: every file's recipe, and the examples' truth.
MANIFEST_NAME = "corpus.json"
CORPUS_FORMAT = "sounddetect-corpus/1"
TRUTH_PATH = "examples/truth.json"


#: Top-level parts of the corpus, in the order they are written.
CORPUS_SECTIONS = ("alarms", "background", "holdout", "examples")


def read_own_manifest(
    path: Path, *, is_ours: Callable[[Any], bool], writer: str, advice: str
) -> dict | None:
    """The JSON manifest an earlier run of ``writer`` wrote at ``path``, or None if there is
    none.

    Raises
    ------
    ParameterError
        The file is there but ``is_ours`` does not take it (or it is not JSON): it is the
        user's, neither read for files to delete nor replaced. ``advice`` ends the message.
    """
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ParameterError(f"{path} is not a manifest of `{writer}` ({exc}); {advice}") from exc
    if not is_ours(manifest):
        raise ParameterError(f"{path} is not a manifest of `{writer}`; {advice}")
    return manifest


def read_corpus_manifest(path: Path) -> dict | None:
    """The ``corpus.json`` an earlier :func:`make_corpus` wrote, or None if there is none.

    Raises
    ------
    ParameterError
        The file is there but is not a corpus's manifest (see :func:`read_own_manifest`).
    """
    return read_own_manifest(
        path,
        is_ours=lambda manifest: (
            isinstance(manifest, dict) and manifest.get("format") == CORPUS_FORMAT
        ),
        writer="sounddetect synth",
        advice="move it away or render the corpus into another folder",
    )


def _is_corpus_path(path: object) -> bool:
    """Whether a manifest's ``path`` is one a corpus can have: a .wav in one of its folders,
    nothing that leads out of the corpus folder."""
    if not isinstance(path, str):
        return False
    parts = PurePosixPath(path).parts
    return (
        len(parts) >= 2
        and parts[0] in CORPUS_SECTIONS
        and ".." not in parts
        and path.endswith(".wav")
    )


def _remove_stale_files(out: Path, manifest_path: Path, *, keep: set[str]) -> None:
    """Delete files an earlier corpus (its ``corpus.json``) wrote that this plan no longer has.

    A newer corpus version or another scale renames files; left in place, stale files would
    silently join the new corpus in the generator's folder scan. Only files listed in our
    own manifest are touched, never anything else in ``out``.
    """
    recorded = read_corpus_manifest(manifest_path) or {}
    stale = [
        out / entry["path"]
        for entry in recorded.get("files", [])
        if isinstance(entry, dict)
        and _is_corpus_path(entry.get("path"))
        and entry["path"] not in keep
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
    recorded = read_corpus_manifest(manifest_path)
    if skip_existing and recorded is not None:
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
        # Counted as the summary counts files written: recordings, then the listings by name.
        n_audio = sum(1 for item in files if (out / item.path).exists())
        listings = [p.name for p in existing[n_audio:]]
        what = " and ".join(
            ([f"{n_audio} corpus recording{'s' if n_audio != 1 else ''}"] if n_audio else [])
            + ([", ".join(listings)] if listings else [])
        )
        raise ParameterError(
            f"{out}: {what} exist{'s' if len(existing) == 1 else ''} already (e.g. "
            f"{existing[0]}); pass --skip-existing to keep them or --overwrite to replace them"
        )
    if skip_existing or overwrite:
        _remove_stale_files(out, manifest_path, keep={item.path for item in files})
    missing = [item for item in files if not (skip_existing and (out / item.path).exists())]
    for folder in sorted({(out / item.path).parent for item in missing}):
        folder.mkdir(parents=True, exist_ok=True)
    rendered = map_in_processes(
        functools.partial(_write_corpus_file, out=out), missing, workers=workers
    )
    with contextlib.closing(rendered):  # workers stopped on any error, Ctrl-C included
        for _ in tqdm(
            rendered, total=len(missing), desc="synth", unit="file", disable=not progress
        ):
            pass
    written, skipped = len(missing), len(files) - len(missing)
    if "examples" in sections:
        _write_json_if_changed(out / TRUTH_PATH, _truth(files))
    _write_json_if_changed(
        manifest_path,
        {
            "format": CORPUS_FORMAT,
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
