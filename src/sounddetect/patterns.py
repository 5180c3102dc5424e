"""Beep patterns: finding a smoke alarm by the timing of its beeps, whatever they sound like.

    PatternSearch     -- a recording's patterns, searched as its spectrogram frames arrive
    frames_config     -- which spectrogram's frames the search reads
    band_rows         -- the spectrogram rows of each third-of-an-octave band
    band_levels       -- each band's level per frame: its loudest row
    beep_segments     -- where a band's level stands out: the beeps heard in it
    sound_segments    -- each band's sounds, short ones too
    loud_sounds       -- the distinct sounds of a stretch, every band together
    t3_groups         -- groups of three evenly spaced beeps of one pitch, with a pause around
    chain_groups      -- runs of such groups repeating at one period
    find_t3_events    -- the temporal-three patterns in a stretch of frames, as events
    pulse_trains      -- beeps at one pitch repeating at one period, with no group pause
    find_pulse_events -- steady beeping in the piezo band in a stretch of frames, as events
    find_beepers      -- steady beepers below the piezo band: reversing lorries, appliances
    pattern_confidence -- an event's confidence from the number of groups in a row
    tone_track        -- each frame's strongest tone: its pitch and how far it stands out

Every smoke alarm that follows ISO 8201 / NFPA 72 beeps in the temporal-three pattern:
three beeps about a second apart, a pause of about 1.5 s, again and again, each beep at one
pitch. The network learns that pattern together with what alarms sound like, and a sound it
never heard (a 520 Hz square wave behind a wall, which has lost its harmonics; a loudspeaker
alarm's odd timbre) can fall below its threshold even when the pattern is plain to see. This
module looks for the pattern alone, band by band, so that a recording of three or more beep
groups in a row at a steady period and pitch raises an alarm however its beeps sound
(README, "Beep patterns"); a run may pass over a group that was not heard whole. The same
frames give each frame's strongest tone, by which the event rule tells a kettle's wandering
whistle from an alarm's steady tone. numpy only: this module runs inside the Lambda.

Some smoke alarms beep on and on without the temporal-three pause: in their manuals, a beep
every second, or a short and a longer beep every second (heat and smoke alarms of some
European brands; EN 14604 sets a level, not a pattern). The model, taught that steady
beeping is a reversing lorry's or an appliance's, misses them; :func:`find_pulse_events`
finds such beeping when a piezo sounds it, on request (``pulse_patterns``), since a kitchen
timer or an alarm clock beeps so too. Below the piezo band no smoke alarm beeps so: there
:func:`find_beepers` finds a reversing lorry's or an appliance's steady beeping, whose
events the event rule drops when the model hears the beeping as the alarm
(:func:`sounddetect.events.is_steady_beeper`).

Temporal-four (CO) groups are not searched: four 0.1 s pips smear into one sound in a
reverberant room, and a pattern of single short sounds every few seconds is also what
chirps and notifications make.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from sounddetect import spectrum
from sounddetect.events import ALARM, TONE_PROMINENCE_DB, merge_events
from sounddetect.exceptions import ParameterError
from sounddetect.spectrum import SpectrogramConfig

#: Bands, a third of an octave wide, from the lowest square-wave sounders' fundamentals to
#: above the piezos' second harmonics.
FMIN_HZ = 250.0
FMAX_HZ = 7000.0
BANDS_PER_OCTAVE = 3
#: Spectrogram types whose frames are dB along frequency, which the search can read as
#: they are rendered for the classifier (:func:`sounddetect.spectrum.frame_levels`).
FRAME_KINDS = ("mel", "linear")
#: Longest frame step taken, in seconds: a step in milliseconds (31.25) would find nothing.
MAX_FRAME_S = 0.5
#: Level statistics are taken over blocks of this many seconds (cheap, and steady enough).
STAT_BLOCK_S = 0.5
#: A beep stands this far (dB) above its band's floor, the 20th percentile over 6.5 s (an
#: odd count of blocks, centred on the block's own)...
ABOVE_FLOOR_DB = 12.0
FLOOR_SPAN_S = 6.5
FLOOR_PERCENTILE = 20.0
#: ... and within this many dB of the band's loudest moment over 3.5 s, so that a beep's
#: reverberant tail, which fades 10 dB in a sixth of the room's RT60, is not counted as the beep.
BELOW_PEAK_DB = 10.0
PEAK_SPAN_S = 3.5
#: Gaps shorter than this (s) within a beep are closed; sounds shorter than MIN_BEEP_S are
#: not beeps of a temporal-three alarm (0.35-0.7 s; masked ones still last 0.3 s). Ticks
#: and chirps are shorter: at 0.2 s a metronome's three ticks and accented fourth (in
#: another band) made a pattern, and short sounds in the pauses broke more alarms' patterns.
MERGE_GAP_S = 0.06
MIN_BEEP_S = 0.3
#: Shortest sound :func:`loud_sounds` counts: a single frame standing out is a click or the
#: flutter of a steady tone, not a sound of its own (a chirp of 0.05 s spans three frames).
MIN_SOUND_S = 0.06
#: A group's beat: onset to onset, 1 s nominal (0.5 s on, 0.5 s off), both parts 0.35-0.7 s
#: among the alarms we know of; the two beats of a group agree within BEAT_TOLERANCE.
BEAT_S = (0.7, 1.4)
BEAT_TOLERANCE = 0.2
#: No beep starts for this many beats before a group or after its last beep's onset: the
#: pause (1.5 s nominal, so 2 beats from onset to onset).
PAUSE_BEATS = 1.6
#: Beeps of one group, and the groups of a run, are at one pitch: within this share of the
#: frequency, or one and a half rows of the spectrogram, whichever is wider.
PITCH_TOLERANCE = 0.03
#: From one group to the next (onset to onset): 4 s nominal; 2.8-6 s spans every timing the
#: corpus draws (2.85-5.6 s: beeps and gaps of 0.35-0.68 s, pauses of 1.1-2.2 s).
PERIOD_S = (2.8, 6.0)
#: Successive periods of a run agree this closely (an alarm's timer is steady; a sound
#: replayed after random pauses is not), and its beats within RUN_BEAT_TOLERANCE.
PERIOD_TOLERANCE = 0.06
RUN_BEAT_TOLERANCE = 0.1
#: A run passes over this many groups in a row that were not heard whole (a word or a
#: clatter over one beep of the next room's alarm, a voice alarm's message in place of a
#: group): its next group may come up to this many periods late, each period within
#: PERIOD_TOLERANCE of the one before. On the benchmarks it found 25 more of about 2,700
#: alarm recordings and raised 3 more false alarms of about 5,000 (docs/detection.md, "A
#: group not heard").
MAX_MISSED_GROUPS = 1
#: The band (Hz) in which :func:`tone_track` looks for each frame's tone: piezo, square-wave
#: and loudspeaker alarms, kettle whistles and machine whines all sound their strongest
#: partial there.
TONE_BAND_HZ = (400.0, 5000.0)
#: Groups in a row that make an alarm by default: three (about 10.5 s of alarm). Two, over
#: the benchmarks' recordings, found 16 more alarms of 624 and 5 more false alarms of about
#: 1,900 recordings: a telephone's busy tone replayed after random pauses, and a deer's call.
DEFAULT_MIN_GROUPS = 3
#: The search runs over stretches of this many seconds that overlap by OVERLAP_S: more than
#: the 10.5 s of three groups plus the 6.5 s the floor looks around them, so every run of
#: three groups lies whole, with its context, in some stretch.
SEARCH_S = 120.0
OVERLAP_S = 30.0
#: Steady beeping (:func:`find_pulse_events`): beeps at one pitch in the bands whose centres
#: lie in PULSE_BAND_HZ (2.52-4 kHz: a piezo's; reversing beepers sound at about 1 kHz), one
#: every PULSE_PERIOD_S, for PULSE_MIN_S or more. Sounds less than PULSE_MERGE_GAP_S apart
#: are one beep: a beep's onset can stand apart from the rest of it by a frame or two.
PULSE_BAND_HZ = (2600.0, 4400.0)
PULSE_PERIOD_S = (0.5, 2.0)
PULSE_MIN_S = 12.0
PULSE_MERGE_GAP_S = 0.15
#: Each beep starts within this many seconds of where the run's beat puts it: in a noisy
#: room a beep's onset is heard up to 0.1 s early or late, whatever the period.
PULSE_ONSET_S = 0.15
#: At most this share of a run's beats may go unheard (one at a time: a metronome whose
#: every fourth tick is accented at another pitch leaves a quarter), and at least
#: PULSE_MATCHED of the sounds at its pitch in its span must be its beeps.
PULSE_MAX_MISSED = 0.15
PULSE_MATCHED = 0.75
#: The beeps last this long (s) or longer, as a median: an alarm's beeps do; ticks and
#: clicks of two frames (62 ms) do not.
PULSE_MIN_BEEP_S = 0.08
#: A beep lasts at most this share of the period: a tone that is on for longer is held.
PULSE_MAX_DUTY = 0.8
#: Steady beepers (:func:`find_beepers`): steady beeping in the bands whose centres lie in
#: BEEPER_BAND_HZ, below a piezo's, is a reversing lorry's or an appliance's; no smoke alarm
#: beeps so there (a 520 Hz square wave beeps temporal-three).
BEEPER_BAND_HZ = (FMIN_HZ, PULSE_BAND_HZ[0])
#: Between a beeper's beeps at most this share of the frames, those BEEPER_GAP_FRAMES or
#: more from a beep (the beep's own smear), holds another tone (TONE_PROMINENCE_DB).
BEEPER_GAP_TONAL = 0.2
BEEPER_GAP_FRAMES = 2
#: The level of frames that hold nothing (the renderer's floor, ``10 log10(AMIN)``).
SILENT_DB = float(10 * np.log10(spectrum.AMIN))


def band_edges(*, fmin: float = FMIN_HZ, fmax: float = FMAX_HZ) -> np.ndarray:
    """Edges in Hz of the analysis bands, BANDS_PER_OCTAVE to the octave from ``fmin``."""
    n_bands = int(math.floor(math.log2(fmax / fmin) * BANDS_PER_OCTAVE))
    return fmin * 2.0 ** (np.arange(n_bands + 1) / BANDS_PER_OCTAVE)


def frames_config(config: SpectrogramConfig) -> SpectrogramConfig:
    """The spectrogram whose frames the search reads: the classifier's own when it is of a
    :data:`FRAME_KINDS` type (its frames are then computed once for both), else a mel
    spectrogram with its rate, FFT and frequency range."""
    return config if config.kind in FRAME_KINDS else config.replace(kind="mel")


class PatternSearch:
    """Search a recording for temporal-three patterns (and, on request, steady beeping) as
    its spectrogram frames arrive.

    Frames are searched (:func:`find_t3_events`, :func:`find_pulse_events`) a stretch at a
    time, so memory stays bounded however long the recording: stretches of SEARCH_S seconds
    that overlap by OVERLAP_S, longer than any group's context or PULSE_MIN_S, and events
    found in two stretches are joined; at most 150 s of frames are kept (2.4 MB for the
    default mel config). Frames come from the classifier's own rendering (:meth:`add_frames`, as
    :func:`sounddetect.spectrum.render_windows` passes them on) or from the audio
    (:meth:`add_audio`). A recording that fits in one stretch also leaves its
    :func:`loud_sounds` in :attr:`sounds`, for the event rule's check for a lone chirp
    (:func:`sounddetect.events.windows_to_events`).

    Parameters
    ----------
    config : SpectrogramConfig
        Of a :data:`FRAME_KINDS` type (see :func:`frames_config`).
    min_groups : int >= 1 or None
        Groups in a row an event needs; None searches no temporal-three patterns.
    pulses : bool
        Also search steady beeping in the piezo band (:func:`find_pulse_events`), kept apart
        from the temporal-three events (:meth:`pulse_events`), and the steady beepers below
        it (:func:`find_beepers`, :meth:`beepers`). With neither search, only a short
        recording's :attr:`sounds` are found.

    Examples
    --------
    >>> from sounddetect.spectrum import SpectrogramConfig
    >>> search = PatternSearch(SpectrogramConfig())
    >>> for block in np.zeros((3, 16000), dtype=np.float32):
    ...     search.add_audio(block)
    >>> search.n_frames, search.events()
    (94, [])
    """

    def __init__(
        self,
        config: SpectrogramConfig,
        *,
        min_groups: int | None = DEFAULT_MIN_GROUPS,
        pulses: bool = False,
    ) -> None:
        if config.kind not in FRAME_KINDS:
            raise ParameterError(
                f"PatternSearch reads {' or '.join(FRAME_KINDS)} frames, got {config.kind!r}"
            )
        if min_groups is not None and min_groups < 1:
            raise ParameterError(f"min_groups must be >= 1, got {min_groups}")
        self.config = config
        self.min_groups = min_groups
        self.pulses = bool(pulses)
        self.frame_s = config.hop_length / config.sr
        self.row_hz = spectrum.row_frequencies(config)
        self._bands = band_rows(self.row_hz)
        self.n_frames = 0  # frames received so far
        self._search_frames = round(SEARCH_S / self.frame_s)
        self._overlap_frames = round(OVERLAP_S / self.frame_s)
        self._rows: list[np.ndarray] = []  # buffered frames, in blocks
        self._buffered = 0
        self._events: list[dict] = []
        self._pulse_events: list[dict] = []
        self._beepers: list[PulseTrain] = []
        self._tail: np.ndarray | None = None  # audio not yet in a whole frame
        #: The recording's :func:`loud_sounds`, once :meth:`events` has searched a recording
        #: that fits in one stretch (150 s); None for a longer one, whose frames are gone.
        self.sounds: np.ndarray | None = None
        # Every frame's tone_track, kept for the whole recording (8 bytes a frame: 0.9 MB
        # an hour), for the event rule's check for a wandering whistle.
        self._pitch: list[np.ndarray] = []
        self._prominence: list[np.ndarray] = []

    def add_frames(self, first: int, frames_db: np.ndarray) -> None:
        """Take frames ``first``, ``first + 1``, ... (dB, shape (frames, rows)); the ones
        already taken are skipped, and a gap before ``first`` is left silent."""
        frames_db = np.asarray(frames_db)
        if frames_db.ndim != 2 or frames_db.shape[1] != self.row_hz.size:
            raise ParameterError(
                f"frames must be (frames, {self.row_hz.size}) for this config, got "
                f"{frames_db.shape}"
            )
        if first < 0:
            raise ParameterError(f"first must be a frame index >= 0, got {first}")
        skip = self.n_frames - first
        if skip >= len(frames_db):
            return
        if skip < 0:  # frames nobody rendered (a window off the shared grid)
            self._append(np.full((-skip, self.row_hz.size), SILENT_DB, dtype=np.float32))
            skip = 0
        self._append(np.asarray(frames_db, dtype=np.float32)[skip:])

    def add_audio(self, block: np.ndarray) -> None:
        """Take the frames that ``block`` completes, computing them from the audio: (n,), or
        (channels, n) combined in power (:func:`sounddetect.spectrum.frame_levels`)."""
        block = np.asarray(block)
        if not np.issubdtype(block.dtype, np.floating):  # int16 would be read unscaled
            raise ParameterError(
                f"audio blocks must hold float samples, got dtype {block.dtype} (integer PCM: "
                "scale it to [-1, 1], int16 by 2**-15)"
            )
        block = block.astype(np.float32, copy=False)
        samples = block if self._tail is None else np.concatenate([self._tail, block], axis=-1)
        frames = spectrum.frame_levels(samples, config=self.config)
        self._tail = samples[..., len(frames) * self.config.hop_length :]
        self.add_frames(self.n_frames, frames)

    def observe(self, blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        """Pass ``blocks`` through unchanged, taking their frames (:meth:`add_audio`)."""
        for block in blocks:
            self.add_audio(block)
            yield block

    def events(self) -> list[dict]:
        """The temporal-three events of every frame taken (:func:`find_t3_events`), in time
        order; call it once all frames are taken."""
        if self._buffered:
            self._search(self._buffered)
        return merge_events(self._events)

    def pulse_events(self) -> list[dict]:
        """The steady beeping of every frame taken (:func:`find_pulse_events`; none without
        ``pulses``), as events in time order; call it once all frames are taken."""
        if self._buffered:
            self._search(self._buffered)
        return merge_events(self._pulse_events)

    def beepers(self) -> list[PulseTrain]:
        """The steady beepers below the piezo band in every frame taken (:func:`find_beepers`;
        none without ``pulses``), seconds from the recording's start, in time order; a run
        across two stretches may come as two that overlap. Call it once all frames are
        taken."""
        if self._buffered:
            self._search(self._buffered)
        return sorted(self._beepers, key=lambda train: train.start)

    def tone_track(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every frame taken: its middle (s from the recording's start), and the pitch (Hz)
        and prominence (dB) of its strongest tone (:func:`tone_track`)."""
        pitch = np.concatenate(self._pitch) if self._pitch else np.zeros(0, dtype=np.float32)
        prominence = (
            np.concatenate(self._prominence) if self._prominence else np.zeros(0, np.float32)
        )
        middles_s = (
            np.arange(len(pitch)) * self.config.hop_length + self.config.n_fft / 2
        ) / self.config.sr
        return middles_s, pitch, prominence

    def _append(self, rows_db: np.ndarray) -> None:
        if not len(rows_db):
            return
        pitch, prominence = tone_track(rows_db, row_hz=self.row_hz)
        self._pitch.append(pitch)
        self._prominence.append(prominence)
        self._rows.append(rows_db.copy())  # the caller's buffer may be reused
        self.n_frames += len(rows_db)
        self._buffered += len(rows_db)
        while self._buffered >= self._search_frames + self._overlap_frames:
            self._search(self._search_frames)

    def _search(self, n_frames: int) -> None:
        """Search the first ``n_frames`` buffered frames, then keep only the last OVERLAP_S
        of them (none, at the end: nothing more comes)."""
        rows = np.concatenate(self._rows) if len(self._rows) > 1 else self._rows[0]
        offset_s = (self.n_frames - self._buffered) * self.frame_s  # the first buffered frame
        whole = self.n_frames == self._buffered == n_frames  # the whole recording, at its end
        segments = levels = None
        if whole or self.min_groups is not None or self.pulses:
            # Each band's levels and sounds, found once for the recording's sounds and every
            # search (as sound_segments finds them).
            levels = band_levels(rows[:n_frames], self._bands)
            segments = beep_segments(levels, frame_s=self.frame_s, min_s=MIN_SOUND_S)
        if whole:
            self.sounds = loud_sounds(
                rows[:n_frames], row_hz=self.row_hz, frame_s=self.frame_s, segments=segments
            )
        if self.min_groups is not None:
            for event in find_t3_events(
                rows[:n_frames],
                row_hz=self.row_hz,
                frame_s=self.frame_s,
                min_groups=self.min_groups,
                segments=segments,
            ):
                self._events.append(
                    {**event, "start": event["start"] + offset_s, "end": event["end"] + offset_s}
                )
        if self.pulses:
            tone_hz = _last(self._pitch, self._buffered)[:n_frames]
            for event in find_pulse_events(
                rows[:n_frames],
                row_hz=self.row_hz,
                frame_s=self.frame_s,
                segments=segments,
                tone_hz=tone_hz,
                levels_db=levels,
            ):
                self._pulse_events.append(
                    {**event, "start": event["start"] + offset_s, "end": event["end"] + offset_s}
                )
            for train in find_beepers(
                rows[:n_frames],
                row_hz=self.row_hz,
                frame_s=self.frame_s,
                segments=segments,
                tone_hz=tone_hz,
                prominence_db=_last(self._prominence, self._buffered)[:n_frames],
                levels_db=levels,
            ):
                self._beepers.append(
                    replace(train, start=train.start + offset_s, end=train.end + offset_s)
                )
        drop = max(n_frames - self._overlap_frames, 0) if n_frames < self._buffered else n_frames
        self._rows = [rows[drop:]]
        self._buffered -= drop


def _last(blocks: list[np.ndarray], n: int) -> np.ndarray:
    """The last ``n`` entries of ``blocks`` joined, without joining the ones before."""
    tail, count = [], 0
    for block in reversed(blocks):
        if count >= n:
            break
        tail.append(block)
        count += len(block)
    return np.concatenate(tail[::-1])[count - n :] if tail else np.zeros(0, dtype=np.float32)


def _block_stat(levels_db: np.ndarray, *, frames_per_block: int, span_blocks: int, kind: str):
    """A running statistic of each band, per block of frames, spread back onto the frames.

    ``kind`` "floor": the FLOOR_PERCENTILE of each block, then the same percentile of those
    over ``span_blocks`` blocks around it (close to the percentile of all their frames, at a
    fraction of the work); "peak": each block's maximum, then the maximum over them.
    """
    n_bands, n_frames = levels_db.shape
    n_blocks = -(-n_frames // frames_per_block)
    padded = np.pad(levels_db, ((0, 0), (0, n_blocks * frames_per_block - n_frames)), mode="edge")
    blocks = padded.reshape(n_bands, n_blocks, frames_per_block)
    per_block = _low_rank(blocks) if kind == "floor" else blocks.max(axis=2)
    half = span_blocks // 2
    around = np.lib.stride_tricks.sliding_window_view(
        np.pad(per_block, ((0, 0), (half, half)), mode="edge"), 2 * half + 1, axis=1
    )
    running = _low_rank(around) if kind == "floor" else around.max(axis=2)
    return np.repeat(running, frames_per_block, axis=1)[:, :n_frames]


def _low_rank(values: np.ndarray) -> np.ndarray:
    """The FLOOR_PERCENTILE of the last axis, interpolated as np.percentile does, from a
    partial sort (np.percentile itself took most of the search's time)."""
    position = FLOOR_PERCENTILE / 100 * (values.shape[-1] - 1)
    low = math.floor(position)
    high = min(low + 1, values.shape[-1] - 1)
    ranked = np.partition(values, [low, high], axis=-1)
    return ranked[..., low] + (position - low) * (ranked[..., high] - ranked[..., low])


def band_levels(rows_db: np.ndarray, band_rows: Sequence[tuple[int, int]]) -> np.ndarray:
    """Each band's level per frame: the dB of its loudest row (SILENT_DB with no rows).

    Parameters
    ----------
    rows_db : np.ndarray [shape=(frames, rows)]
        Spectrogram frames in dB, rows ascending in frequency.
    band_rows : sequence of (int, int)
        Each band's rows, ``[first, stop)``, contiguous and ascending (:func:`band_rows`).

    Returns
    -------
    np.ndarray [shape=(bands, frames), dtype=float32]
    """
    levels = np.full((len(band_rows), len(rows_db)), SILENT_DB, dtype=np.float32)
    heard = [band for band, (first, stop) in enumerate(band_rows) if stop > first]
    if heard and len(rows_db):
        firsts = [band_rows[band][0] for band in heard]
        stop = band_rows[heard[-1]][1]
        levels[heard] = np.maximum.reduceat(rows_db[:, :stop], firsts, axis=1).T
    return levels


def tone_track(
    rows_db: np.ndarray, *, row_hz: np.ndarray, band_hz: tuple[float, float] = TONE_BAND_HZ
) -> tuple[np.ndarray, np.ndarray]:
    """Each frame's strongest tone: its pitch (Hz) and how far it stands over the frame (dB).

    Parameters
    ----------
    rows_db : np.ndarray [shape=(frames, rows)]
        Spectrogram frames in dB, rows ascending in frequency.
    row_hz : np.ndarray [shape=(rows,)]
        Centre frequency of each row in Hz.
    band_hz : (float, float)
        The band searched, in Hz; it must hold three rows or more.

    Returns
    -------
    pitch_hz : np.ndarray [shape=(frames,), dtype=float32]
        The loudest row's frequency in the band, moved towards the louder neighbour by a
        parabola through the three levels (the default mel rows are about 2 % apart at 3 kHz).
    prominence_db : np.ndarray [shape=(frames,), dtype=float32]
        The loudest row's level over the median of the band's rows: a tone stands 20 dB or
        more over a frame of noise, speech or a room's hum.
    """
    rows = np.flatnonzero((row_hz >= band_hz[0]) & (row_hz <= band_hz[1]))
    if rows.size < 3:
        raise ParameterError(f"tone_track needs 3 rows in {band_hz} Hz, got {rows.size}")
    levels = np.asarray(rows_db, dtype=np.float32)[:, rows]
    if not len(levels):
        return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.float32)
    peak = np.clip(levels.argmax(axis=1), 1, rows.size - 2)
    frames = np.arange(len(levels))
    below, at, above = (levels[frames, peak + step] for step in (-1, 0, 1))
    curve = below - 2 * at + above
    shift = np.divide(below - above, 2 * curve, out=np.zeros_like(curve), where=curve < 0)
    pitch = np.interp(peak + np.clip(shift, -0.5, 0.5), np.arange(rows.size), row_hz[rows])
    prominence = levels.max(axis=1) - np.median(levels, axis=1)
    return pitch.astype(np.float32), prominence.astype(np.float32)


def band_rows(row_hz: np.ndarray, *, edges: np.ndarray | None = None) -> list[tuple[int, int]]:
    """The rows ``[first, stop)`` of each analysis band (:func:`band_edges`), for rows whose
    centre frequencies ``row_hz`` ascend; a band narrower than a row holds none."""
    edges = band_edges() if edges is None else edges
    bounds = np.searchsorted(row_hz, edges).tolist()
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def beep_segments(
    levels_db: np.ndarray, *, frame_s: float, min_s: float = MIN_BEEP_S
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Where each band's level stands out from its floor and near its recent peak.

    Parameters
    ----------
    levels_db : np.ndarray [shape=(bands, frames)]
        Each band's level in dB per frame (:func:`band_levels`).
    frame_s : float
        Seconds per frame.
    min_s : float
        Shortest sound kept, in seconds: a beep of a temporal-three alarm by default.

    Returns
    -------
    list of (starts, stops)
        Per band: the first frame of each sound and the frame after its last, for sounds of
        at least ``min_s`` after closing gaps shorter than MERGE_GAP_S.
    """
    if not levels_db.shape[1]:  # an empty stretch holds no sounds
        none = np.zeros(0, dtype=np.int64)
        return [(none, none) for _ in levels_db]
    frames_per_block = max(1, round(STAT_BLOCK_S / frame_s))
    floor = _block_stat(
        levels_db,
        frames_per_block=frames_per_block,
        span_blocks=round(FLOOR_SPAN_S / STAT_BLOCK_S),
        kind="floor",
    )
    peak = _block_stat(
        levels_db,
        frames_per_block=frames_per_block,
        span_blocks=round(PEAK_SPAN_S / STAT_BLOCK_S),
        kind="peak",
    )
    loud = levels_db > np.maximum(floor + ABOVE_FLOOR_DB, peak - BELOW_PEAK_DB)
    merge_frames, min_frames = round(MERGE_GAP_S / frame_s), round(min_s / frame_s)
    return [_runs(band, merge_frames=merge_frames, min_frames=min_frames) for band in loud]


def _runs(on: np.ndarray, *, merge_frames: int, min_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """The first frame and the frame after the last of each run of True in ``on``, after
    closing gaps of at most ``merge_frames``, for runs of ``min_frames`` or more."""
    edges = np.diff(np.concatenate([[0], on.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if len(starts) > 1:  # close short gaps: keep a start only after a longer gap
        kept = np.concatenate([[True], starts[1:] - stops[:-1] > merge_frames])
        starts, stops = starts[kept], stops[np.concatenate([kept[1:], [True]])]
    long_enough = stops - starts >= min_frames
    return starts[long_enough], stops[long_enough]


def sound_segments(
    rows_db: np.ndarray, *, row_hz: np.ndarray, frame_s: float
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each band's sounds of MIN_SOUND_S or more (:func:`beep_segments`), for
    :func:`loud_sounds` and, those of MIN_BEEP_S, for :func:`find_t3_events`."""
    rows_db, row_hz = _checked_frames(rows_db, row_hz=row_hz, frame_s=frame_s)
    return beep_segments(
        band_levels(rows_db, band_rows(row_hz)), frame_s=frame_s, min_s=MIN_SOUND_S
    )


def loud_sounds(
    rows_db: np.ndarray,
    *,
    row_hz: np.ndarray,
    frame_s: float,
    segments: list[tuple[np.ndarray, np.ndarray]] | None = None,
) -> np.ndarray:
    """The distinct sounds of a stretch of frames: where any band stands out, bands together.

    Each band's sounds are found as :func:`beep_segments` finds beeps, down to MIN_SOUND_S;
    sounds of several bands (a tone's harmonics) that overlap, or lie within MERGE_GAP_S of
    each other, are one. A sound that reaches the stretch's first or last frame may have
    begun before it or go on after it: its start is ``-inf`` or its end ``inf``.

    Parameters
    ----------
    rows_db : np.ndarray [shape=(frames, rows)]
        Frames in dB (:func:`sounddetect.spectrum.frame_levels`).
    row_hz : np.ndarray [shape=(rows,)]
        Each row's centre frequency in Hz, ascending.
    frame_s : float
        Seconds per frame.
    segments : list of (starts, stops) or None
        Each band's sounds in these frames (:func:`beep_segments` with ``min_s``
        MIN_SOUND_S) when already found; None: found here.

    Returns
    -------
    np.ndarray [shape=(sounds, 2), dtype=float64]
        Start and end of each sound in seconds from the first frame, in time order.

    Examples
    --------
    >>> row_hz = np.linspace(100.0, 8000.0, 64)
    >>> rows_db = np.full((200, 64), -60.0)
    >>> rows_db[100:104, 40] = 0.0  # a chirp of four frames
    >>> loud_sounds(rows_db, row_hz=row_hz, frame_s=0.03125).tolist()
    [[3.125, 3.25]]
    """
    if segments is None:
        segments = sound_segments(rows_db, row_hz=row_hz, frame_s=frame_s)
    heard = np.zeros(len(rows_db), dtype=bool)  # frames of a sound in any band
    for starts, stops in segments:
        for a, b in zip(starts, stops, strict=True):
            heard[a:b] = True
    starts, stops = _runs(heard, merge_frames=round(MERGE_GAP_S / frame_s), min_frames=0)
    sounds = np.stack([starts, stops], axis=1).astype(np.float64) * frame_s
    if len(sounds):
        if starts[0] == 0:
            sounds[0, 0] = -np.inf
        if stops[-1] >= len(rows_db):
            sounds[-1, 1] = np.inf
    return sounds


def same_pitch(pitches: Sequence[float], *, resolution_hz: float) -> bool:
    """Whether the pitches agree within PITCH_TOLERANCE, or 1.5 times their resolution,
    of their median."""
    values = np.asarray(pitches, dtype=np.float64)
    middle = float(np.median(values))
    return bool(
        np.all(np.abs(values - middle) <= max(PITCH_TOLERANCE * middle, 1.5 * resolution_hz))
    )


@dataclass(frozen=True)
class BeepGroup:
    """Three beeps of a temporal-three pattern: first onset and last offset (s), the beat
    (mean onset-to-onset time, s) and the pitch (Hz)."""

    start: float
    end: float
    beat: float
    pitch: float


def t3_groups(
    onsets: np.ndarray, offsets: np.ndarray, pitches: np.ndarray, *, resolution_hz: float
) -> list[BeepGroup]:
    """Groups of three beeps that look like one cycle of a temporal-three alarm.

    Three consecutive onsets at a beat of BEAT_S, the two beats within BEAT_TOLERANCE of
    each other, each beep over before the next begins, all three at one pitch, and no beep
    starting within PAUSE_BEATS beats before the first or after the last.

    Parameters
    ----------
    onsets, offsets : np.ndarray [shape=(n,)]
        One band's sounds, seconds, ascending (:func:`beep_segments`).
    pitches : np.ndarray [shape=(n,)]
        Their pitches in Hz.
    resolution_hz : float
        The pitches' resolution in Hz (the spacing of the spectrogram's rows there).

    Returns
    -------
    list of BeepGroup, in time order.

    Examples
    --------
    >>> onsets = np.array([0.0, 1.0, 2.0, 4.0, 5.0, 6.0])
    >>> groups = t3_groups(onsets, onsets + 0.5, np.full(6, 3125.0), resolution_hz=31.25)
    >>> [(g.start, g.end, g.beat) for g in groups]
    [(0.0, 2.5, 1.0), (4.0, 6.5, 1.0)]
    """
    groups = []
    for i in range(len(onsets) - 2):
        first, second = onsets[i + 1] - onsets[i], onsets[i + 2] - onsets[i + 1]
        beat = (first + second) / 2
        if not (BEAT_S[0] <= first <= BEAT_S[1] and BEAT_S[0] <= second <= BEAT_S[1]):
            continue
        if abs(first - second) > BEAT_TOLERANCE * beat:
            continue
        # A beep, not a held tone: silence of at least a tenth of a beat before the next.
        if np.any(offsets[i : i + 2] > onsets[i + 1 : i + 3] - 0.1 * beat):
            continue
        if i > 0 and onsets[i] - onsets[i - 1] < PAUSE_BEATS * beat:
            continue
        if i + 3 < len(onsets) and onsets[i + 3] - onsets[i + 2] < PAUSE_BEATS * beat:
            continue
        if not same_pitch(pitches[i : i + 3], resolution_hz=resolution_hz):
            continue
        groups.append(
            BeepGroup(
                float(onsets[i]),
                float(offsets[i + 2]),
                float(beat),
                float(np.median(pitches[i : i + 3])),
            )
        )
    return groups


def chain_groups(
    groups: Sequence[BeepGroup], *, resolution_hz: float, min_groups: int = DEFAULT_MIN_GROUPS
) -> list[list[BeepGroup]]:
    """Runs of at least ``min_groups`` groups repeating as one alarm repeats its pattern.

    Each group follows the last at its beat (within RUN_BEAT_TOLERANCE) and pitch, one
    period later or, where up to MAX_MISSED_GROUPS groups were not heard whole, that many
    periods more; each period lies in PERIOD_S and, after the first, within
    PERIOD_TOLERANCE of the one before (:func:`_run_period`). The group that ends a run
    may start the next one with the run's last group.

    Examples
    --------
    >>> groups = [BeepGroup(4.0 * k, 4.0 * k + 2.5, 1.0, 520.0) for k in range(3)]
    >>> [len(run) for run in chain_groups(groups, resolution_hz=31.25)]
    [3]
    >>> chain_groups(groups[:2], resolution_hz=31.25)
    []
    >>> masked = groups[:2] + [BeepGroup(12.0, 14.5, 1.0, 520.0)]  # the group at 8 s unheard
    >>> [len(run) for run in chain_groups(masked, resolution_hz=31.25)]
    [3]
    """
    if min_groups < 1:
        raise ParameterError(f"min_groups must be >= 1, got {min_groups}")
    runs: list[list[BeepGroup]] = []
    run: list[BeepGroup] = []
    period: float | None = None
    for group in groups:
        if run:
            next_period = _run_period(group, run[-1], period, resolution_hz=resolution_hz)
            if next_period is None:
                if len(run) >= min_groups:
                    runs.append(run)
                # The group that ends a run may start the next with the run's last group:
                # that one may have been paired with a stray group over a missed one. (A run
                # of one group, with no period yet, has just been tried so.)
                last = run[-1]
                if period is not None:
                    next_period = _run_period(group, last, None, resolution_hz=resolution_hz)
                run = [last] if next_period is not None else []
            period = next_period
        run.append(group)
    if len(run) >= min_groups:
        runs.append(run)
    return runs


def _run_period(
    group: BeepGroup, last: BeepGroup, period: float | None, *, resolution_hz: float
) -> float | None:
    """The run's period (s) when ``group`` follows ``last`` in a run, else None.

    ``period`` is the run's so far (None when ``last`` is its first group). ``group`` follows
    at the beat and pitch of ``last``, 1 to 1 + MAX_MISSED_GROUPS periods after it (the
    fewest that fit), each period in PERIOD_S and within PERIOD_TOLERANCE of ``period``.
    """
    if abs(group.beat - last.beat) > RUN_BEAT_TOLERANCE * last.beat or not same_pitch(
        [group.pitch, last.pitch], resolution_hz=resolution_hz
    ):
        return None
    elapsed = group.start - last.start
    for periods in range(1, 2 + MAX_MISSED_GROUPS):
        each = elapsed / periods
        if PERIOD_S[0] <= each <= PERIOD_S[1] and (
            period is None or abs(each - period) <= PERIOD_TOLERANCE * period
        ):
            return each
    return None


def _checked_frames(
    rows_db: np.ndarray, *, row_hz: np.ndarray, frame_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """``rows_db`` and ``row_hz`` as arrays, or a ParameterError when they do not fit
    together (frames by rows, a frequency per row, ascending) or ``frame_s`` is no frame
    step in seconds: a transposed or cut array would be searched and found empty unsaid."""
    rows_db, row_hz = np.asarray(rows_db), np.asarray(row_hz, dtype=np.float64)
    if row_hz.ndim != 1 or row_hz.size == 0 or np.any(np.diff(row_hz) <= 0):
        raise ParameterError(f"row_hz must be ascending frequencies in Hz, got {row_hz.shape}")
    if rows_db.ndim != 2 or rows_db.shape[1] != row_hz.size:
        raise ParameterError(
            f"rows_db must be (frames, rows) with a row per row_hz ({row_hz.size}), got "
            f"{rows_db.shape}"
        )
    if not 0 < frame_s <= MAX_FRAME_S:
        raise ParameterError(
            f"frame_s must be a frame step in seconds, (0, {MAX_FRAME_S:g}], got {frame_s}"
        )
    return rows_db, row_hz


def _sound_pitches(
    band_db: np.ndarray, band_hz: np.ndarray, starts: np.ndarray, stops: np.ndarray
) -> np.ndarray:
    """Each sound's pitch (Hz): the median over its frames ``[start, stop)`` of the band's
    loudest row (``band_db`` frames by the band's rows, ``band_hz`` their frequencies)."""
    return np.array(
        [
            np.median(band_hz[band_db[a:b].argmax(axis=1)])
            for a, b in zip(starts, stops, strict=True)
        ]
    )


def pattern_confidence(n_groups: int) -> float:
    """An event's confidence from the groups in a row: ``1 - 2 ** -(n_groups - 1)``.

    Not a calibrated probability: each further group at the same period and pitch halves
    the room for chance, so three groups give 0.75, four 0.875 and six 0.97.
    """
    if n_groups < 1:
        raise ParameterError(f"n_groups must be >= 1, got {n_groups}")
    return 1.0 - 2.0 ** -(n_groups - 1)


def find_t3_events(
    rows_db: np.ndarray,
    *,
    row_hz: np.ndarray,
    frame_s: float,
    min_groups: int = DEFAULT_MIN_GROUPS,
    segments: list[tuple[np.ndarray, np.ndarray]] | None = None,
) -> list[dict]:
    """The temporal-three patterns in a stretch of spectrogram frames, as alarm events.

    Parameters
    ----------
    rows_db : np.ndarray [shape=(frames, rows)]
        Frames in dB (:func:`sounddetect.spectrum.frame_levels`).
    row_hz : np.ndarray [shape=(rows,)]
        Each row's centre frequency in Hz, ascending.
    frame_s : float
        Seconds per frame.
    min_groups : int >= 1
        Groups in a row an event needs.
    segments : list of (starts, stops) or None
        Each band's sounds in these frames when already found (:func:`beep_segments` with
        a shorter ``min_s``, as :func:`loud_sounds` reads them); those of MIN_BEEP_S are
        the beeps. None: found here.

    Returns
    -------
    list of dict
        ``{"label", "start", "end", "confidence"}`` (seconds from the first frame;
        :func:`pattern_confidence`), in time order; patterns found in several bands (a
        square wave's harmonics) that overlap are one event.
    """
    if min_groups < 1:
        raise ParameterError(f"min_groups must be >= 1, got {min_groups}")
    rows_db, row_hz = _checked_frames(rows_db, row_hz=row_hz, frame_s=frame_s)
    rows = band_rows(row_hz)
    spacing = np.gradient(row_hz) if row_hz.size > 1 else np.ones(row_hz.size)
    if segments is None:
        segments = beep_segments(band_levels(rows_db, rows), frame_s=frame_s)
    min_frames = round(MIN_BEEP_S / frame_s)
    found = []
    for (first, stop), (starts, stops) in zip(rows, segments, strict=True):
        beeps = stops - starts >= min_frames
        starts, stops = starts[beeps], stops[beeps]
        if not starts.size:
            continue
        pitches = _sound_pitches(rows_db[:, first:stop], row_hz[first:stop], starts, stops)
        resolution = float(spacing[first:stop].max())
        groups = t3_groups(starts * frame_s, stops * frame_s, pitches, resolution_hz=resolution)
        for run in chain_groups(groups, resolution_hz=resolution, min_groups=min_groups):
            found.append(
                {
                    "label": ALARM,
                    "start": run[0].start,
                    "end": run[-1].end,
                    "confidence": pattern_confidence(len(run)),
                }
            )
    return merge_events(found)


@dataclass(frozen=True)
class PulseTrain:
    """Steady beeping: first onset and last offset (s), the period (s) and the pitch (Hz)."""

    start: float
    end: float
    period: float
    pitch: float


def pulse_trains(
    onsets: np.ndarray,
    offsets: np.ndarray,
    pitches: np.ndarray,
    *,
    resolution_hz: float,
    min_s: float = PULSE_MIN_S,
) -> list[PulseTrain]:
    """Runs of beeps that repeat at one period with no pause: a steadily beeping alarm.

    Sounds less than PULSE_MERGE_GAP_S apart are first joined into one beep. A run follows
    the beeps at its first beep's pitch as a beat tracker does: each one starts within
    PULSE_ONSET_S of where the line fitted to the beeps so far puts the next beat, or the
    one after when a beat went unheard; the period, the line's slope, stays in
    PULSE_PERIOD_S. A run is kept when at most PULSE_MAX_MISSED of its beats went unheard,
    at least PULSE_MATCHED of the sounds at its pitch in its span are its beeps (or, tracked
    at every other onset, the others come at one point of nearly every cycle: a second
    beep), every beep lasts at most PULSE_MAX_DUTY of the period and their median
    PULSE_MIN_BEEP_S or more, all are at one pitch, and it lasts ``min_s`` or more.

    Parameters
    ----------
    onsets, offsets : np.ndarray [shape=(n,)]
        One band's sounds, seconds, ascending (:func:`beep_segments`).
    pitches : np.ndarray [shape=(n,)]
        Their pitches in Hz.
    resolution_hz : float
        The pitches' resolution in Hz (the spacing of the spectrogram's rows there).
    min_s : float
        Shortest run in seconds, first onset to last offset.

    Returns
    -------
    list of PulseTrain, in time order, none sharing a beep.

    Examples
    --------
    >>> onsets = np.arange(16.0)  # a 0.4 s beep every second
    >>> [(t.start, t.end, t.period) for t in pulse_trains(
    ...     onsets, onsets + 0.4, np.full(16, 3125.0), resolution_hz=31.25)]
    [(0.0, 15.4, 1.0)]
    """
    onsets, offsets = np.asarray(onsets, dtype=np.float64), np.asarray(offsets, np.float64)
    pitches = np.asarray(pitches, dtype=np.float64)
    if len(onsets) > 1:  # join the parts of a beep, keeping the pitch of its first
        kept = np.concatenate([[True], onsets[1:] - offsets[:-1] >= PULSE_MERGE_GAP_S])
        last = np.concatenate([kept[1:], [True]])
        onsets, offsets, pitches = onsets[kept], offsets[last], pitches[kept]
    trains: list[PulseTrain] = []
    first = 0
    # The runs followed, by lag and beep: a start inside one takes the rest of it rather
    # than following it again, so that steady sound refused (ticks, say) is followed once,
    # not once for every beep of it.
    followed: dict[tuple[int, int], tuple[list[int], float, int]] = {}
    while first < len(onsets) - 1:
        following = first + 1
        # A cycle of one beep, or of two (its period from every other onset).
        for lag in (1, 2):
            if (lag, first) in followed:
                run, period, position = followed[lag, first]
                beeps = run[position:]
            else:
                beeps, period = _track_beats(
                    onsets, pitches, first, lag=lag, resolution_hz=resolution_hz
                )
                followed.update(((lag, beep), (beeps, period, k)) for k, beep in enumerate(beeps))
            train = _pulse_train(
                onsets,
                offsets,
                pitches,
                beeps,
                period=period,
                resolution_hz=resolution_hz,
                second_beeps=lag == 2,
            )
            if train is not None and train.end - train.start >= min_s:
                trains.append(train)
                following = beeps[-1] + 1
                break
        first = following
    return trains


def _track_beats(
    onsets: np.ndarray, pitches: np.ndarray, first: int, *, lag: int, resolution_hz: float
) -> tuple[list[int], float]:
    """The beeps (indices) a beat tracker follows from ``first``, and their period (s).

    The period starts as the median of the next three times from an onset to the ``lag``-th
    after it and is then the slope of a line fitted to the beeps heard (onset against beat
    number), so that one beep heard late moves neither the period nor where the next beep
    is looked for much. A beep is followed only at the first one's pitch: a sound at
    another pitch where a beep is due is no beep of the run.
    """
    seeds = onsets[first : first + 3 * lag + 1 : lag]
    period = float(np.median(np.diff(seeds))) if len(seeds) > 1 else 0.0
    tolerance_hz = max(PITCH_TOLERANCE * pitches[first], 1.5 * resolution_hz)
    beeps, beat = [first], 0
    sums = np.array([1.0, 0.0, 0.0, onsets[first], 0.0])  # n, k, k^2, t, k t
    while PULSE_PERIOD_S[0] <= period <= PULSE_PERIOD_S[1]:
        n, sum_k, _, sum_t, _ = sums
        near = None
        for skip in (1, 2):  # the next beat, or the one after an unheard beat
            expected = (sum_t + period * ((beat + skip) * n - sum_k)) / n
            candidate = int(np.searchsorted(onsets, expected - PULSE_ONSET_S))
            while candidate < len(onsets) and onsets[candidate] <= expected + PULSE_ONSET_S:
                if abs(pitches[candidate] - pitches[first]) <= tolerance_hz:
                    near = candidate
                    break
                candidate += 1
            if near is not None:
                break
        if near is None:
            break
        beat += skip
        beeps.append(near)
        sums += (1.0, beat, beat * beat, onsets[near], beat * onsets[near])
        n, sum_k, sum_kk, sum_t, sum_kt = sums
        period = float((n * sum_kt - sum_k * sum_t) / (n * sum_kk - sum_k * sum_k))
    return beeps, period


def _pulse_train(onsets, offsets, pitches, beeps, *, period, resolution_hz, second_beeps):
    """The PulseTrain of these tracked beeps (see :func:`pulse_trains`), or None; with
    ``second_beeps``, only if a second beep at their pitch sounds in nearly every cycle."""
    if len(beeps) < 3:
        return None
    beats = round((onsets[beeps[-1]] - onsets[beeps[0]]) / period)
    if len(beeps) - 1 < (1 - PULSE_MAX_MISSED) * beats:
        return None
    lengths = offsets[beeps] - onsets[beeps]
    if np.any(lengths > PULSE_MAX_DUTY * period):
        return None  # a held tone that flutters, not beeps
    if np.median(lengths) < PULSE_MIN_BEEP_S:
        return None
    if not same_pitch(pitches[beeps], resolution_hz=resolution_hz):
        return None
    pitch = float(np.median(pitches[beeps]))
    # The other sounds at the beeps' pitch between them: few, or each cycle's second beep.
    # A sound at another pitch (an interconnected unit out of step) does not count.
    span = np.arange(beeps[0], beeps[-1] + 1)
    tolerance = max(PITCH_TOLERANCE * pitch, 1.5 * resolution_hz)
    others = span[(np.abs(pitches[span] - pitch) <= tolerance) & ~np.isin(span, beeps)]
    if second_beeps:
        if len(others) < (1 - PULSE_MAX_MISSED) * len(beeps) or not _one_phase(
            onsets[others] - onsets[beeps[0]], period=period, count=len(beeps)
        ):
            return None
    elif len(beeps) < PULSE_MATCHED * (len(beeps) + len(others)):
        return None
    return PulseTrain(float(onsets[beeps[0]]), float(offsets[beeps[-1]]), period, pitch)


def _one_phase(times: np.ndarray, *, period: float, count: int) -> bool:
    """Whether sounds at ``times`` (s from a run's first beep) are a second beep of the
    run's cycles: at most one a cycle, all within PULSE_ONSET_S of one point of it."""
    if len(times) > count:
        return False
    turns = np.exp(2j * np.pi * times / period)
    middle = np.angle(turns.mean()) * period / (2 * np.pi)
    return bool(
        np.all(np.abs((times - middle + period / 2) % period - period / 2) <= PULSE_ONSET_S)
    )


def pulse_confidence(duration_s: float, *, min_s: float = PULSE_MIN_S) -> float:
    """A steady-beeping event's confidence from its length: ``1 - 2 ** -(1 + duration_s /
    min_s)``, 0.75 at ``min_s`` and 0.875 at twice it; like :func:`pattern_confidence`, a
    measure of how much pattern there is, not a probability."""
    if not min_s > 0:
        raise ParameterError(f"min_s must be > 0, got {min_s}")
    return 1.0 - 2.0 ** -(1.0 + max(duration_s, 0.0) / min_s)


def find_pulse_events(
    rows_db: np.ndarray,
    *,
    row_hz: np.ndarray,
    frame_s: float,
    min_s: float = PULSE_MIN_S,
    segments: list[tuple[np.ndarray, np.ndarray]] | None = None,
    tone_hz: np.ndarray | None = None,
    levels_db: np.ndarray | None = None,
) -> list[dict]:
    """Steady beeping in the piezo band (:func:`pulse_trains`) in a stretch of frames, as
    alarm events.

    Parameters
    ----------
    rows_db : np.ndarray [shape=(frames, rows)]
        Frames in dB (:func:`sounddetect.spectrum.frame_levels`).
    row_hz : np.ndarray [shape=(rows,)]
        Each row's centre frequency in Hz, ascending.
    frame_s : float
        Seconds per frame.
    min_s : float
        Seconds of beeping an event needs.
    segments : list of (starts, stops) or None
        Each band's sounds in these frames (:func:`sound_segments`) when already found;
        None: found here.
    tone_hz : np.ndarray [shape=(frames,)] or None
        Each frame's strongest tone in Hz (:func:`tone_track`), when already known; None:
        found here.
    levels_db : np.ndarray [shape=(bands, frames)] or None
        Each band's level per frame (:func:`band_levels`), when already known; None: found
        here.

    Returns
    -------
    list of dict
        ``{"label", "start", "end", "confidence"}`` (seconds from the first frame;
        :func:`pulse_confidence`), in time order, overlapping ones joined; a run whose beeps
        are a harmonic of a lower tone that beeps with them, or not the strongest tone where
        they sound, is none.
    """
    rows_db, row_hz = _checked_frames(rows_db, row_hz=row_hz, frame_s=frame_s)
    if tone_hz is None:
        tone_hz = tone_track(rows_db, row_hz=row_hz)[0]
    found = [
        {
            "label": ALARM,
            "start": train.start,
            "end": train.end,
            "confidence": pulse_confidence(train.end - train.start, min_s=min_s),
        }
        for train, _, _ in _steady_trains(
            rows_db,
            row_hz=row_hz,
            frame_s=frame_s,
            band_hz=PULSE_BAND_HZ,
            min_s=min_s,
            segments=segments,
            tone_hz=tone_hz,
            levels_db=levels_db,
        )
    ]
    return merge_events(found)


def find_beepers(
    rows_db: np.ndarray,
    *,
    row_hz: np.ndarray,
    frame_s: float,
    min_s: float = PULSE_MIN_S,
    segments: list[tuple[np.ndarray, np.ndarray]] | None = None,
    tone_hz: np.ndarray | None = None,
    prominence_db: np.ndarray | None = None,
    levels_db: np.ndarray | None = None,
) -> list[PulseTrain]:
    """Steady beepers below the piezo band in a stretch of frames: a reversing lorry's, a
    forklift's, an appliance's, or a ringtone's repeated note.

    A run of :func:`pulse_trains` in a band whose centre lies in BEEPER_BAND_HZ, of beeps
    that are the strongest tone where they sound and no harmonic of a lower tone (as
    :func:`find_pulse_events` asks), with at most BEEPER_GAP_TONAL of the frames between
    its beeps (BEEPER_GAP_FRAMES or more from one) holding another tone: a warbling alarm's
    second tone, or an alarm sounding with the beeper, fills the gaps.

    Parameters
    ----------
    rows_db, row_hz, frame_s, min_s, segments, tone_hz, levels_db
        As for :func:`find_pulse_events`.
    prominence_db : np.ndarray [shape=(frames,)] or None
        How far each frame's strongest tone stands out in dB (:func:`tone_track`), when
        already known (with ``tone_hz``); None: found here.

    Returns
    -------
    list of PulseTrain
        Seconds from the first frame, in time order of the bands' runs (runs in two bands
        may overlap).

    Examples
    --------
    >>> from sounddetect.spectrum import SpectrogramConfig, frame_levels, row_frequencies
    >>> config = SpectrogramConfig()
    >>> t = np.arange(30 * config.sr) / config.sr
    >>> beeper = np.sin(2 * np.pi * 1100 * t) * ((t % 1.0) < 0.5)  # 0.5 s on, 0.5 s off
    >>> rows = frame_levels(beeper.astype(np.float32), config=config)
    >>> [(round(b.period, 2), round(b.pitch, -1)) for b in find_beepers(
    ...     rows, row_hz=row_frequencies(config), frame_s=config.hop_length / config.sr)]
    [(1.0, 1100.0)]
    """
    rows_db, row_hz = _checked_frames(rows_db, row_hz=row_hz, frame_s=frame_s)
    if tone_hz is None or prominence_db is None:
        tone_hz, prominence_db = tone_track(rows_db, row_hz=row_hz)
    found = []
    for train, a, on in _steady_trains(
        rows_db,
        row_hz=row_hz,
        frame_s=frame_s,
        band_hz=BEEPER_BAND_HZ,
        min_s=min_s,
        segments=segments,
        tone_hz=tone_hz,
        levels_db=levels_db,
    ):
        near = np.convolve(on, np.ones(2 * BEEPER_GAP_FRAMES + 1), mode="same") > 0
        gap = slice(a, a + len(on))
        other = (prominence_db[gap][~near] > TONE_PROMINENCE_DB) & (
            np.abs(tone_hz[gap][~near] - train.pitch) > PITCH_TOLERANCE * train.pitch
        )
        if other.size and other.mean() <= BEEPER_GAP_TONAL:
            found.append(train)
    return found


def _steady_trains(
    rows_db: np.ndarray,
    *,
    row_hz: np.ndarray,
    frame_s: float,
    band_hz: tuple[float, float],
    min_s: float,
    segments: list[tuple[np.ndarray, np.ndarray]] | None,
    tone_hz: np.ndarray,
    levels_db: np.ndarray | None,
) -> Iterator[tuple[PulseTrain, int, np.ndarray]]:
    """The :func:`pulse_trains` of the bands whose centres lie in ``band_hz`` whose beeps
    are the strongest tone where they sound and no harmonic of a lower tone beeping with
    them; each with its first frame and which of its frames hold a beep in its band."""
    edges = band_edges()
    centres = np.sqrt(edges[:-1] * edges[1:])
    rows = band_rows(row_hz, edges=edges)
    levels = band_levels(rows_db, rows) if levels_db is None else levels_db
    if segments is None:
        segments = beep_segments(levels, frame_s=frame_s, min_s=MIN_SOUND_S)
    spacing = np.gradient(row_hz) if row_hz.size > 1 else np.ones(row_hz.size)
    for band in np.flatnonzero((centres >= band_hz[0]) & (centres < band_hz[1])):
        first, stop = rows[band]
        if stop <= first:
            continue
        starts, stops = segments[band]
        if not starts.size:
            continue
        pitches = _sound_pitches(rows_db[:, first:stop], row_hz[first:stop], starts, stops)
        resolution = float(spacing[first:stop].max())
        for train in pulse_trains(
            starts * frame_s, stops * frame_s, pitches, resolution_hz=resolution, min_s=min_s
        ):
            a, b = round(train.start / frame_s), round(train.end / frame_s)
            on = np.zeros(b - a, dtype=bool)
            for start, stop_ in zip(starts, stops, strict=True):
                on[max(start - a, 0) : max(min(stop_, b) - a, 0)] = True
            # A fundamental of which the beeps would be a harmonic lies an octave or more
            # below them; nearer bands hear the beeps' own tone.
            below = centres <= train.pitch / 1.8
            if on.all() or _beeps_below(levels[below, a:b], levels[band, a:b], on):
                continue
            # The beeps are the loudest tone where they sound, not a partial of another.
            if np.median(np.abs(tone_hz[a:b][on] - train.pitch)) > PITCH_TOLERANCE * train.pitch:
                continue
            yield train, a, on


def _beeps_below(lower_db: np.ndarray, band_db: np.ndarray, on: np.ndarray) -> bool:
    """Whether a lower band beeps with the band's beeps, as loud and as plainly: then the
    band hears a lower tone's harmonic (a reversing beeper's square wave), not a piezo.

    ``lower_db`` (bands, frames) and ``band_db`` (frames,) are band levels over a run, ``on``
    its frames of beeps in the band.
    """
    contrast = band_db[on].mean() - band_db[~on].mean()
    lower_on, lower_off = lower_db[:, on].mean(axis=1), lower_db[:, ~on].mean(axis=1)
    return bool(
        np.any(
            (lower_on >= band_db[on].mean() - 6.0)
            & (lower_on - lower_off >= max(3.0, contrast / 3))
        )
    )
