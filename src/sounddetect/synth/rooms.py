"""Rooms and microphones: statistical impulse responses, partitions, microphones and
the recording of a dry sound in a room.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from scipy import signal

from sounddetect.exceptions import ParameterError
from sounddetect.synth.tones import _band_limit, _check_sr, _gain, _rng, _white


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
    h : np.ndarray [shape=(n,)], ``h[0] == 1`` (the direct sound)
        ``n`` covers ``0.8 * rt60_s`` (the decay's first -48 dB), at most 2 s and at least
        16 samples.
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
        if i >= n:  # a room so dry that its response ends before this reflection
            continue
        strength = rng.uniform(1.0, 4.0) * np.exp(-6.91 * delay_s / rt60_s)
        tail[i] += rng.choice((-1.0, 1.0)) * strength
    tail *= np.sqrt(10.0 ** (-drr_db / 10.0) / np.sum(tail**2))
    tail[0] += 1.0
    return tail


def apply_room(y, *, sr, room, distance_m, channels=1, seed=0):
    """Convolve a dry signal with a room impulse response per channel.

    Returns ``(n,)`` for one channel, ``(n, channels)`` for more (each with its own late
    reverberation, like microphones a little apart). The output is as long as the input:
    reverberation past the end is cut, as a recording that stops would cut it.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        The dry mono signal; convolved in single precision.
    sr : int >= 4000
        Sample rate in Hz.
    room : str
        A key of :data:`ROOMS`: its ``rt60_s`` and
        ``hf_damping`` shape each :func:`room_impulse_response`.
    distance_m : float > 0
        Source-microphone distance in metres; sets the direct-to-reverberant ratio in dB
        (:meth:`Room.drr_db`, within [-12, 25] dB).
    channels : int >= 1
        Output channels (a :class:`Recording` has 1 or 2).
    seed : int
        Seeds the impulse responses (channel ``c``'s with ``[seed, 7, c]``).

    Returns
    -------
    np.ndarray [shape=(n,) or (n, channels), dtype=float64]
        The reverberant signal, samples first: ``(n,)`` when ``channels`` is 1.

    Raises
    ------
    ParameterError
        ``sr`` is not an integer of at least 4000 Hz, or ``room`` is not a key of
        :data:`ROOMS`.
    """
    sr = _check_sr(sr)
    if room not in ROOMS:
        raise ParameterError(f"unknown room {room!r}; choose from {', '.join(sorted(ROOMS))}")
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

    Works along the first axis of ``(n,)`` or ``(n, channels)``. A ``corner_hz`` at or above
    0.45 times ``sr`` is too close to Nyquist for the low-pass, which is then left out: the
    whole signal passes, plus the leak.

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (n, channels)]
        The sound at the partition, samples first.
    sr : int >= 4000
        Sample rate in Hz.
    corner_hz : float > 0
        Corner frequency of the low-pass in Hz; above it the loss grows by 6 dB per octave.
    leak_db : float
        Level in dB, relative to ``y``, of the unfiltered copy added for what leaks through
        gaps (e.g. -20).

    Returns
    -------
    np.ndarray [shape=y.shape]
        The low-passed signal plus the leak, as long as ``y``.

    Raises
    ------
    ParameterError
        ``sr`` is not an integer of at least 4000 Hz.
    """
    sr = _check_sr(sr)
    return _band_limit(y, sr=sr, lowpass_hz=corner_hz, order=1) + _gain(leak_db) * np.asarray(y)


def heard_through(y, *, sr, partition: Partition, seed=0):
    """A dry mono sound as it leaves a :class:`Partition` into the microphone's room.

    The sound is heard in its own room at the partition (:func:`apply_room`, one channel),
    then passes it (:func:`transmit`).

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        The dry mono sound.
    sr : int >= 4000
        Sample rate in Hz.
    partition : Partition
        Its ``room`` and ``distance_m`` (metres from the sound to the partition) set the
        reverberation, its ``corner_hz`` (Hz) and ``leak_db`` (dB) what passes.
    seed : int
        ``seed + 1`` seeds the room's impulse response (:func:`apply_room`).

    Returns
    -------
    np.ndarray [shape=(n,)]
        The sound on the microphone's side of the partition, as long as ``y``.

    Raises
    ------
    ParameterError
        ``sr`` is not an integer of at least 4000 Hz.
    """
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

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        The dry mono sound.
    sr : int >= 4000
        Sample rate in Hz.
    recording : Recording
        The room, distance (metres), microphone, level (dBFS), clipping (dB), channels and
        partition to record with.
    preroll_s : float >= 0
        Seconds dropped from the start after the room and the microphone's filters (lets
        reverberation and filters settle, so the clip starts mid-recording).
    seed : int
        Seeds the impulse responses and the microphone's self-noise.

    Returns
    -------
    np.ndarray [shape=(m,) or (m, 2), dtype=float64]
        ``m = n - round(preroll_s * sr)`` samples, ``(m, 2)`` when ``recording.channels``
        is 2. The first channel's RMS is set to ``recording.level_dbfs`` (dB re full scale)
        before the self-noise is added and the peaks limited; values lie in [-1, 1]: peaks
        at most 0.989 (about -0.1 dBFS), or clipped at full scale when
        ``recording.clip_db`` is positive.

    Raises
    ------
    ParameterError
        ``sr`` is not an integer of at least 4000 Hz.
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
