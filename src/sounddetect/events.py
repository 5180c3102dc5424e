"""From per-window alarm probabilities to alarm events.

    windows_to_events   -- join alarm windows into events, drop short or sparse ones
    sounding_timeline   -- per-window alarm-sounding probabilities on one time grid
    refine_event_bounds -- move event bounds to where the alarm is heard to start and stop
    merge_events        -- the union of events found in different ways
    is_continuous_tone  -- does an event's alarm sound go on without a pause?
    is_wandering_tone   -- is an event one tone heard all along whose pitch wanders?
    is_steady_beeper    -- is an event a steady beeper's beeping, such as a reversing lorry's?
    default_min_windows -- the alarm windows an event needs by default, at any hop
    default_merge_gap_s -- the gap between alarm windows bridged by default, at any hop

Pure numpy over window times: no audio, no model. :func:`windows_to_events` gives window
bounds, whose resolution is the hop between windows; a model that also says when in each
window the alarm sounds (``alarm_sounding``, ``model.json``'s ``sounding_output``) lets
:func:`refine_event_bounds` move them to the first and last beep.
"""

from __future__ import annotations

import numpy as np

from sounddetect._checks import is_integer
from sounddetect.exceptions import ParameterError

#: Label of the positive class, in events and windows.
ALARM = "alarm"
#: Label of the negative class.
NO_ALARM = "no_alarm"
#: The class labels in the order of their indices (``model.json``'s ``labels``, the
#: confusion matrix's rows): index 1, the alarm, is the positive class.
LABELS = (NO_ALARM, ALARM)
#: Shortest event kept by default, in seconds: the span of three overlapping 4 s windows 2 s
#: apart. A smoke or CO alarm keeps sounding, so it shows in many windows; one or two
#: alarm-like windows between non-alarm ones are the start or end of a beeper, a melody, a
#: microwave's three end beeps or the clink of dishes. Two windows (6 s) halved the held-out
#: recordings with a false alarm (21 -> 12 of 48, an earlier model); three, with two allowed
#: at the recording's edges (``detect_file``), halved them again on 40 s recordings of
#: household sounds (42 -> 23 of 288) and found the same alarm recordings
#: (docs/model-quality.md, "These were the sounds the model was worst at").
DEFAULT_MIN_EVENT_S = 8.0

#: Largest gap, in seconds, between the alarm windows of one event by default, at a hop of
#: 2 s or less (:func:`default_merge_gap_s`). A CO alarm beeps four times and then pauses
#: for 4-6.5 s, so only the one or two windows that hold a beep group look like an alarm,
#: with one or two quiet windows between them; asking for three consecutive windows missed
#: 20 of 40 CO alarms in 40 s recordings, and bridging two quiet windows finds 4 more
#: (docs/model-quality.md, "Alarms in long recordings").
DEFAULT_MERGE_GAP_S = 2.0

#: Alarm-sounding probability from which a time step counts as the alarm sounding. Chosen
#: on alarm recordings the README does not report (``benchmarks/alarm_recordings.py --seed
#: 5..7``): at 0.3, 76 % of the found alarms' events start within 1 s of the alarm's first
#: sound, against 75 % at 0.4 and 0.5 and 72 % at 0.2 (window bounds: 20 %); their ends come
#: out alike from 0.2 to 0.5 (71-72 % within 1 s, window bounds 43 %).
DEFAULT_SOUNDING_THRESHOLD = 0.3

#: Least alarm sound (s), by the model's ``alarm_sounding`` output, that an event needs
#: when :func:`windows_to_events` keeps it only as an exception: in a recording too short
#: for a whole event (one window, or the mean of two or three), at the recording's edge, or
#: spanning it. So few windows cannot show that an alarm goes on, and a lone low-battery
#: chirp (0.05-0.2 s) passes for one there: a chirp's alarm windows hear a median 0.18 s
#: (90 % under 0.44 s), the alarm windows of alarm clips 0.55 s or more in 95 % of cases (a
#: T3 beep lasts 0.35-0.7 s, a CO group of pips about 0.7 s). Counted in the time steps at
#: or above :data:`SHORT_EVENT_SOUNDING_THRESHOLD`. docs/model-quality.md, "Recordings under
#: one window".
MIN_SHORT_EVENT_SOUNDING_S = 0.5
#: A time step of the sounding output at or above this probability counts as sounding for
#: :data:`MIN_SHORT_EVENT_SOUNDING_S`. Counting such steps told chirps from alarms better
#: than summing the probabilities (docs/model-quality.md, "Recordings under one window").
SHORT_EVENT_SOUNDING_THRESHOLD = 0.5
#: Least alarm sound (s) for a *central* event: one lasting two windows that leaves less
#: than a window of the recording on either side, which :func:`windows_to_events` keeps in
#: a recording of 8-12 s. The windows it leaves out each hold part of it, and they may hold
#: only the alarm's pauses (a CO alarm's 5 s, a voice message between beeps): 10 s clips
#: cut from alarm recordings missed alarms whose two middle windows were certain. Unlike
#: an edge event its windows are whole, so it must hear more: on draws the README does not
#: report (``benchmarks/short_recordings.py --seed 5..9 --seconds 9 10 11``, 711 alarm and
#: 2,160 household clips; ``benchmarks/chirp_clips.py`` likewise, 360 clips), 1 s finds 24
#: more alarms with 1 more household false alarm and none on chirps; 0.5 s 34 more, with 3
#: and 4; 1.5 s 14 more, with 1 and none.
MIN_CENTRAL_EVENT_SOUNDING_S = 1.0
#: Recordings this long (s) or longer keep no event at their start only because the
#: recording cut it short (``detect_file``; their end still does). An alarm that sounds when
#: a recording starts goes on sounding, so two alarm windows at the start of a long
#: recording with none after them are some other sound that stopped: a microwave's keypad
#: beeps, a beeper falling silent. An alarm may start in a recording's last seconds. On the
#: benchmarks' recordings it dropped 35 of 324 false alarms of 9,100 (26 microwaves) and lost
#: one alarm of 2,138, a voice alarm the model heard in two windows at the start and two in
#: the middle (docs/detection.md, "Two windows at the start of a long recording"); shorter
#: recordings, excerpts that an alarm may fill, keep the exception.
START_EDGE_MAX_RECORDING_S = 20.0
#: An event kept by an exception is dropped when the recording's only sound in it is
#: shorter than this (s), and all the alarm sound the model hears in it lies within
#: :data:`LONE_SOUND_REACH_S` of that sound: a lone chirp (0.05-0.2 s; 0.1-0.35 s as the
#: frames see it), which the model's sounding output smears over 0.5 s or more. A T3 beep
#: lasts 0.35-0.7 s, a CO group of four pips is four sounds or, in a reverberant room, one
#: of 0.7 s, and a continuous tone is heard all along. 0.42 s rather than 0.4 takes in a
#: sound of 13 frames of 31.25 ms (0.406 s), the length a chirp's room echo most often
#: gives it: on fresh draws it took 35 to 30 chirp clips raising an alarm, for one alarm
#: excerpt of 2,395. docs/model-quality.md, "A lone sound".
LONE_SOUND_MAX_S = 0.42
LONE_SOUND_REACH_S = 1.0
#: In a recording of :data:`LONE_SOUND_T3_RECORDING_S` or more, a lone sound counts as brief
#: below :data:`LONE_SOUND_MAX_T3_S` instead: any 3 s of a sounding T3 alarm (0.5 s on, 0.5
#: s off, three times, then 1.5 s off) hold two beeps, so a lone sound there is no T3 alarm
#: however a room's echo draws it out, and under 0.6 s no CO group of four pips (0.7 s).
#: Chirp clips raising an alarm: 21 to 8 of 1,440 (draws 0-4), 41 to 24 on fresh draws,
#: for one CO excerpt of 9,571 alarm excerpts of 1-10 s (its one group heard as one 0.53 s
#: sound). docs/model-quality.md, "A lone sound".
LONE_SOUND_T3_RECORDING_S = 3.0
LONE_SOUND_MAX_T3_S = 0.6

#: Longest silence (s) within one alarm's sound when an event's bound moves out of its
#: windows: a temporal-three alarm pauses 1.5 s between beep groups; a further sound is
#: something else (a clink after the alarm stopped).
DEFAULT_SOUNDING_GAP_S = 1.6


def default_min_windows(*, window_s: float, hop_s: float) -> int:
    """Alarm windows an event holds at least by default: as many as cover two windows' length.

    ``1 + floor(window_s / hop_s)``: three at the default hop of half a window, two at a hop
    of a whole window, five at a quarter, so the rule asks for about the same seconds of
    alarm-like sound at any hop. Three windows at every hop asked for more at a longer hop and
    less at a shorter one: at a 4 s hop (with a 2 s gap) they found 13 of 40 CO alarms in
    40 s recordings, where this rule with :func:`default_merge_gap_s` finds 32; at a 1 s hop
    39 of 432 household recordings raised an alarm, with five windows 32 (docs/detection.md,
    "At other hops").

    Parameters
    ----------
    window_s : float > 0
        Window length in seconds.
    hop_s : float in (0, window_s]
        Seconds between window starts.

    Returns
    -------
    int >= 2

    Examples
    --------
    >>> default_min_windows(window_s=4.0, hop_s=2.0), default_min_windows(window_s=4.0, hop_s=4.0)
    (3, 2)
    """
    if not 0 < hop_s <= window_s:
        raise ParameterError(f"hop_s must be in (0, window_s = {window_s}] s, got {hop_s}")
    # A hop that divides the window up to rounding (4 / 1.3333) counts as dividing it.
    return 1 + int(np.floor(window_s / hop_s + 1e-9))


def default_merge_gap_s(*, hop_s: float) -> float:
    """Largest gap (s) between the alarm windows of one event by default.

    :data:`DEFAULT_MERGE_GAP_S`, or one hop when that is longer: at a hop of a whole window
    a CO alarm's pause leaves one quiet window between its beep groups' windows, a gap of
    one hop (at a 4 s hop, with two windows, bridging it finds 220 instead of 211 of 240
    alarm recordings, CO 32 instead of 29 of 40).

    Parameters
    ----------
    hop_s : float > 0
        Seconds between window starts.

    Returns
    -------
    float

    Examples
    --------
    >>> default_merge_gap_s(hop_s=2.0), default_merge_gap_s(hop_s=4.0)
    (2.0, 4.0)
    """
    if not hop_s > 0:
        raise ParameterError(f"hop_s must be positive, got {hop_s}")
    return max(DEFAULT_MERGE_GAP_S, float(hop_s))


def _check_min_windows(min_windows) -> None:
    """Raise :class:`ParameterError` unless ``min_windows`` is an integer >= 1 (a numpy
    integer too, not a bool)."""
    if not is_integer(min_windows) or min_windows < 1:
        raise ParameterError(f"min_windows must be an integer >= 1, got {min_windows!r}")


def _window_arrays(starts_s, ends_s, probabilities) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Window starts and ends (s) and alarm probabilities as float64 vectors of one length."""
    starts = np.asarray(starts_s, dtype=np.float64).reshape(-1)
    ends = np.asarray(ends_s, dtype=np.float64).reshape(-1)
    probs = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    if not starts.shape == ends.shape == probs.shape:
        raise ParameterError(
            f"starts_s, ends_s and probabilities differ in length: "
            f"{starts.size}, {ends.size}, {probs.size}"
        )
    return starts, ends, probs


def _checked_event_options(
    *,
    threshold: float,
    min_duration_s: float,
    min_edge_duration_s: float | None,
    min_windows: int,
    merge_gap_s: float,
    recording_s: float | None,
    start_edge_max_recording_s: float | None,
    sounding,
    sounding_step_s: float | None,
    min_sounding_s: float,
    min_central_sounding_s: float,
    sounding_threshold: float,
    sounds,
) -> tuple[float, np.ndarray | None, np.ndarray | None]:
    """Check the options of :func:`windows_to_events` (its Parameters say what they take).

    Returns
    -------
    min_edge_duration_s : float
        As given, or ``min_duration_s`` for None.
    sounding : np.ndarray [shape=(m,), dtype=float64] or None
        The sounding timeline as a vector, or None without one.
    sounds : np.ndarray [shape=(k, 2), dtype=float64] or None
        The recording's sounds, or None without them.

    Raises
    ------
    ParameterError
        The first option found out of its range.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ParameterError(f"threshold must be in [0, 1], got {threshold}")
    if not (min_duration_s >= 0 and merge_gap_s >= 0):  # NaN too
        raise ParameterError(
            f"min_duration_s and merge_gap_s must be >= 0, got {min_duration_s}, {merge_gap_s}"
        )
    _check_min_windows(min_windows)
    if min_edge_duration_s is None:
        min_edge_duration_s = min_duration_s
    if not 0 <= min_edge_duration_s <= min_duration_s:
        raise ParameterError(
            f"min_edge_duration_s must be in [0, min_duration_s = {min_duration_s}], got "
            f"{min_edge_duration_s}"
        )
    if recording_s is not None and not recording_s > 0:
        raise ParameterError(f"recording_s must be positive, got {recording_s}")
    if start_edge_max_recording_s is not None and not start_edge_max_recording_s > 0:
        raise ParameterError(
            f"start_edge_max_recording_s must be positive, got {start_edge_max_recording_s}"
        )
    if sounding is not None:
        sounding = np.asarray(sounding, dtype=np.float64).reshape(-1)
        if sounding_step_s is None or not sounding_step_s > 0:
            raise ParameterError(f"sounding_step_s must be positive, got {sounding_step_s}")
        if np.any(~np.isfinite(sounding)) or np.any((sounding < 0) | (sounding > 1)):
            raise ParameterError("sounding probabilities must be finite and in [0, 1]")
    if not (min_sounding_s >= 0 and min_central_sounding_s >= 0):
        raise ParameterError(
            f"min_sounding_s and min_central_sounding_s must be >= 0, got {min_sounding_s}, "
            f"{min_central_sounding_s}"
        )
    if not 0.0 <= sounding_threshold <= 1.0:
        raise ParameterError(f"sounding_threshold must be in [0, 1], got {sounding_threshold}")
    if sounds is not None:
        sounds = np.asarray(sounds, dtype=np.float64)
        if sounds.ndim != 2 or sounds.shape[1] != 2:
            raise ParameterError(f"sounds must have shape (k, 2), got {sounds.shape}")
        if np.any(np.isnan(sounds)) or np.any(sounds[:, 1] < sounds[:, 0]):
            raise ParameterError("sounds must be (start, end) pairs with end >= start")
    return min_edge_duration_s, sounding, sounds


def _check_window_values(starts: np.ndarray, ends: np.ndarray, probs: np.ndarray) -> None:
    """Refuse a probability outside [0, 1] or NaN, a time that is not finite, and a window
    that ends before it starts."""
    if np.any(~np.isfinite(probs)) or np.any((probs < 0) | (probs > 1)):
        raise ParameterError("probabilities must be finite and in [0, 1]")
    if not (np.all(np.isfinite(starts)) and np.all(np.isfinite(ends))):
        raise ParameterError("window starts and ends must be finite seconds")
    if np.any(ends <= starts):
        bad = int(np.argmax(ends <= starts))
        raise ParameterError(
            f"window {bad} ends ({ends[bad]} s) before it starts ({starts[bad]} s)"
        )


def _exception_sounding_s(
    event: dict,
    *,
    judged_whole: bool,
    recording_s: float | None,
    start_edge_max_recording_s: float | None,
    window_s: float,
    min_duration_s: float,
    min_edge_duration_s: float,
    min_sounding_s: float,
    min_central_sounding_s: float,
) -> float | None:
    """Alarm sound (s) an event too short or too sparse needs to be kept by an exception.

    The exceptions of :func:`windows_to_events`, for an event that does not last
    ``min_duration_s`` with ``min_windows`` alarm windows: every event of a recording
    judged on all its windows (``judged_whole``), an event spanning the recording, one of
    ``min_edge_duration_s`` at its end, or at its start in a recording shorter than
    ``start_edge_max_recording_s`` (None: any), and a central event of
    ``min_edge_duration_s`` that leaves less than a window (``window_s``) of a recording of
    ``min_duration_s`` or more on either side.

    Returns
    -------
    float or None
        ``min_central_sounding_s`` for a central event, ``min_sounding_s`` for the others;
        None when no exception applies and the event is dropped.
    """
    if judged_whole:
        return min_sounding_s
    if recording_s is None:
        return None
    length = event["end"] - event["start"]
    at_start, at_end = event["start"] <= 1e-6, event["end"] >= recording_s - 1e-6
    two_windows = length >= min_edge_duration_s - 1e-9
    start_cut_short = at_start and (
        start_edge_max_recording_s is None or recording_s < start_edge_max_recording_s - 1e-9
    )
    if (at_start and at_end) or ((start_cut_short or at_end) and two_windows):
        return min_sounding_s
    # In a recording long enough for a whole event but not for one away from its edges.
    central = (
        two_windows
        and recording_s >= min_duration_s - 1e-9
        and event["start"] < window_s - 1e-6
        and event["end"] > recording_s - window_s + 1e-6
    )
    return min_central_sounding_s if central else None


def _hears_alarm(
    event: dict, seconds: float, *, heard_middles_s: np.ndarray | None, step_s: float | None
) -> bool:
    """Whether ``event`` holds ``seconds`` of alarm sound; True without a sounding timeline.

    ``heard_middles_s`` are the middles (s) of the sounding steps, ``step_s`` long, that
    count as sounding; a step counts for the event when its middle lies inside it.
    """
    if heard_middles_s is None:
        return True
    inside = (heard_middles_s > event["start"]) & (heard_middles_s < event["end"])
    return np.count_nonzero(inside) * step_s >= seconds - 1e-9


def _lone_sound_max_s(recording_s: float | None) -> float:
    """Length (s) under which a lone sound counts as brief in a recording of ``recording_s``
    (:data:`LONE_SOUND_MAX_S`, or :data:`LONE_SOUND_MAX_T3_S` from
    :data:`LONE_SOUND_T3_RECORDING_S`; None: the shorter)."""
    if recording_s is not None and recording_s >= LONE_SOUND_T3_RECORDING_S - 1e-9:
        return LONE_SOUND_MAX_T3_S
    return LONE_SOUND_MAX_S


def _lone_brief_sound(
    event: dict,
    sounds: np.ndarray | None,
    *,
    heard_middles_s: np.ndarray | None,
    max_s: float,
) -> bool:
    """Whether the one sound in ``event`` is shorter than ``max_s`` (:func:`_lone_sound_max_s`)
    and all the alarm sound heard in it lies near it (:data:`LONE_SOUND_REACH_S`): a lone
    chirp. False without the recording's ``sounds`` or a sounding timeline, which the check
    needs."""
    if sounds is None or heard_middles_s is None:
        return False
    inside = sounds[(sounds[:, 1] > event["start"]) & (sounds[:, 0] < event["end"])]
    if len(inside) != 1:
        return False
    start, end = inside[0]
    if not end - start < max_s:
        return False
    heard = heard_middles_s[(heard_middles_s > event["start"]) & (heard_middles_s < event["end"])]
    return bool(np.all((heard >= start - LONE_SOUND_REACH_S) & (heard <= end + LONE_SOUND_REACH_S)))


def windows_to_events(
    starts_s,
    ends_s,
    probabilities,
    *,
    threshold: float = 0.5,
    min_duration_s: float = 0.0,
    min_edge_duration_s: float | None = None,
    min_windows: int = 1,
    merge_gap_s: float = 0.0,
    recording_s: float | None = None,
    start_edge_max_recording_s: float | None = None,
    sounding=None,
    sounding_step_s: float | None = None,
    min_sounding_s: float = MIN_SHORT_EVENT_SOUNDING_S,
    min_central_sounding_s: float = MIN_CENTRAL_EVENT_SOUNDING_S,
    sounding_threshold: float = SHORT_EVENT_SOUNDING_THRESHOLD,
    sounds=None,
    label: str = ALARM,
) -> list[dict]:
    """Merge the windows classified as alarm into events.

    A window is an alarm window when its probability is at least ``threshold``. Alarm
    windows that overlap, touch, or are separated by at most ``merge_gap_s`` form one event
    from the first window's start to the last window's end. Events shorter than
    ``min_duration_s``, or holding fewer than ``min_windows`` alarm windows, are dropped,
    except (when ``recording_s`` is given) one that starts at the start or ends at the end
    of the recording and lasts ``min_edge_duration_s``, and one that spans the whole
    recording: the recording cut those short, and a recording too short for a longer event
    has no other windows to contradict it (with ``start_edge_max_recording_s``, a recording
    that long or longer keeps no such event at its start: an alarm sounding when it starts
    would have gone on). So is, in a recording of ``min_duration_s`` or more, a *central*
    event of ``min_edge_duration_s`` that leaves less than a window of the recording on
    either side (two windows in the middle of a recording of 8-12 s): no window lies wholly
    outside it, and the windows it leaves out may hold only the alarm's pauses.
    A recording shorter than ``min_duration_s`` cannot show an alarm going on at all; there
    the windows together are all the evidence, and every event is kept when their mean
    probability reaches ``threshold``, as the one window of a recording one window long
    decides alone. Given the model's ``sounding`` timeline, an event kept by one of these
    exceptions must also hold ``min_sounding_s`` of alarm sound (a central event
    ``min_central_sounding_s``): with so few windows, how long the alarm sounds is what
    tells it from a single chirp or beep. Given also the recording's distinct ``sounds``,
    such an event is dropped when its only sound is brief and the alarm sound heard in it
    lies near that sound (:data:`LONE_SOUND_MAX_S`, :data:`LONE_SOUND_MAX_T3_S`): the model
    heard one chirp.

    Parameters
    ----------
    starts_s, ends_s : array-like [shape=(n,)]
        Window start and end times in seconds (any order; ``ends_s > starts_s``).
    probabilities : array-like [shape=(n,)]
        Alarm probability of each window, in [0, 1].
    threshold : float in [0, 1]
        Decision threshold; the model's own (``model.json``) is the usual choice.
    min_duration_s : float >= 0
        Shortest event kept, in seconds. 0 keeps a single alarm window;
        :data:`DEFAULT_MIN_EVENT_S` asks for three consecutive 4 s windows at a 2 s hop.
    min_edge_duration_s : float >= 0 or None
        Shortest event kept at the start or end of the recording (needs ``recording_s``),
        in seconds; at most ``min_duration_s``. None: ``min_duration_s``.
    min_windows : int >= 1
        Fewest alarm windows an event holds (events at the recording's edges excepted);
        :func:`default_min_windows` with a merge gap asks for three windows at a 2 s hop
        that look like an alarm, not necessarily in a row.
    merge_gap_s : float >= 0
        Largest gap in seconds between two alarm windows that still joins them: overlapping
        windows join at 0; :func:`default_merge_gap_s` (two quiet 4 s windows at a 2 s hop)
        bridges the pause of a CO alarm.
    recording_s : float or None
        Length of the recording in seconds; an event from 0 to it is kept whatever its
        length, and in a recording shorter than ``min_duration_s`` every event is kept when
        the mean probability of all windows reaches ``threshold``. None applies
        ``min_duration_s`` to every event.
    start_edge_max_recording_s : float > 0 or None
        Length (s) from which a recording keeps no event at its start for lasting
        ``min_edge_duration_s`` (one spanning it excepted): an alarm that sounds when a
        long recording starts goes on sounding (:data:`START_EDGE_MAX_RECORDING_S`, which
        ``detect_file`` passes). None: every recording keeps them.
    sounding : array-like [shape=(m,)] or None
        Alarm-sounding probability per time step of ``sounding_step_s`` from the start of
        the recording (:func:`sounding_timeline`). None: no event needs any.
    sounding_step_s : float > 0 or None
        Time step of ``sounding`` in seconds; needed with it.
    min_sounding_s : float >= 0
        Alarm sound (s) an event kept by an exception must hold: its steps of ``sounding``
        at or above ``sounding_threshold`` (those whose middle lies inside the event) times
        ``sounding_step_s``.
    min_central_sounding_s : float >= 0
        The same for a central event, whose windows the recording did not cut short.
    sounding_threshold : float in [0, 1]
        Sounding probability from which a step counts.
    sounds : array-like [shape=(k, 2)] or None
        Start and end (s) of every distinct sound of the recording
        (:func:`sounddetect.patterns.loud_sounds`; ``-inf`` or ``inf`` where the recording
        cut one short). None, or no ``sounding``: no event is dropped for a lone sound.
    label : str
        Label written into each event.

    Returns
    -------
    events : list of dict
        ``{"label", "start", "end", "confidence"}`` in time order, times in seconds.
        ``confidence`` is the **maximum** alarm probability of the event's windows: an
        event is as certain as its clearest window, and the maximum does not fall when a
        long alarm's edges (windows only partly covering the sound) are merged in.

    Raises
    ------
    ParameterError
        Mismatched lengths, probabilities outside [0, 1] or NaN, a window that ends before
        it starts, or a negative duration/gap.

    Examples
    --------
    >>> windows_to_events([0, 2, 4, 6], [4, 6, 8, 10], [0.1, 0.9, 0.8, 0.2], threshold=0.5)
    [{'label': 'alarm', 'start': 2.0, 'end': 8.0, 'confidence': 0.9}]
    >>> windows_to_events([0, 2, 4, 6], [4, 6, 8, 10], [0.1, 0.9, 0.2, 0.2], min_duration_s=6)
    []
    >>> windows_to_events([0, 1], [4, 5], [0.9, 0.8], min_duration_s=6, recording_s=5.0)
    [{'label': 'alarm', 'start': 0.0, 'end': 5.0, 'confidence': 0.9}]
    >>> windows_to_events([0, 2], [4, 6], [0.9, 0.3], min_duration_s=8, recording_s=6.0)
    [{'label': 'alarm', 'start': 0.0, 'end': 4.0, 'confidence': 0.9}]
    >>> chirp = [0, 0, 0.9, 0.2, 0, 0]  # 1 s steps: the model hears 1 s of alarm sound
    >>> windows_to_events([0, 2], [4, 6], [0.9, 0.3], min_duration_s=8, recording_s=6.0,
    ...                   sounding=chirp, sounding_step_s=1.0, min_sounding_s=1.5)
    []
    >>> windows_to_events([0, 2, 4, 6], [4, 6, 8, 10], [0.1, 0.1, 0.8, 0.9], min_duration_s=8,
    ...                   min_edge_duration_s=6, recording_s=10.0)
    [{'label': 'alarm', 'start': 4.0, 'end': 10.0, 'confidence': 0.9}]
    >>> keypad = [0.9, 0.8] + [0.1] * 17  # two windows at the start of 40 s, then nothing
    >>> windows_to_events(range(0, 38, 2), range(4, 42, 2), keypad, min_duration_s=8,
    ...                   min_edge_duration_s=6, recording_s=40.0, start_edge_max_recording_s=20)
    []
    >>> windows_to_events([0, 2], [4, 6], [0.9, 0.3], min_duration_s=8, recording_s=6.0,
    ...                   sounding=chirp, sounding_step_s=1.0, sounds=[[2.2, 2.35]])
    []
    >>> co = [0.9, 0.1, 0.1, 0.9, 0.1, 0.1, 0.8, 0.1]  # a beep group every 6 s
    >>> windows_to_events(range(0, 16, 2), range(4, 20, 2), co, min_duration_s=8,
    ...                   min_windows=3, merge_gap_s=2.0)
    [{'label': 'alarm', 'start': 0.0, 'end': 16.0, 'confidence': 0.9}]
    """
    starts, ends, probs = _window_arrays(starts_s, ends_s, probabilities)
    min_edge_duration_s, sounding, sounds = _checked_event_options(
        threshold=threshold,
        min_duration_s=min_duration_s,
        min_edge_duration_s=min_edge_duration_s,
        min_windows=min_windows,
        merge_gap_s=merge_gap_s,
        recording_s=recording_s,
        start_edge_max_recording_s=start_edge_max_recording_s,
        sounding=sounding,
        sounding_step_s=sounding_step_s,
        min_sounding_s=min_sounding_s,
        min_central_sounding_s=min_central_sounding_s,
        sounding_threshold=sounding_threshold,
        sounds=sounds,
    )
    # The windows' values after the options, as always: input with several faults is
    # refused for the same one.
    _check_window_values(starts, ends, probs)

    # A recording too short for an event of min_duration_s is judged on all its windows.
    judged_whole = (
        recording_s is not None
        and recording_s < min_duration_s - 1e-9
        and probs.size > 0
        and probs.mean() >= threshold
    )
    window_s = float(np.max(ends - starts)) if ends.size else 0.0
    alarm = probs >= threshold
    order = np.argsort(starts[alarm], kind="stable")
    starts, ends, probs = starts[alarm][order], ends[alarm][order], probs[alarm][order]

    events: list[dict] = []
    windows: list[int] = []  # alarm windows per event
    for start, end, prob in zip(starts.tolist(), ends.tolist(), probs.tolist(), strict=True):
        if events and start <= events[-1]["end"] + merge_gap_s:
            last = events[-1]
            last["end"] = max(last["end"], end)
            last["confidence"] = max(last["confidence"], prob)
            windows[-1] += 1
        else:
            events.append({"label": label, "start": start, "end": end, "confidence": prob})
            windows.append(1)

    # Window times are sample counts over the rate, so a 6 s event may come out as
    # 5.999999 s: every comparison allows for that rounding.
    # Middles (s) of the steps that count as sounding, as refine_event_bounds reads them.
    heard_middles_s = (
        None
        if sounding is None
        else (np.flatnonzero(sounding >= sounding_threshold) + 0.5) * sounding_step_s
    )

    lone_sound_max_s = _lone_sound_max_s(recording_s)

    def kept(event: dict, n_windows: int) -> bool:
        length = event["end"] - event["start"]
        if length >= min_duration_s - 1e-9 and n_windows >= min_windows:
            return True
        needed_s = _exception_sounding_s(
            event,
            judged_whole=judged_whole,
            recording_s=recording_s,
            start_edge_max_recording_s=start_edge_max_recording_s,
            window_s=window_s,
            min_duration_s=min_duration_s,
            min_edge_duration_s=min_edge_duration_s,
            min_sounding_s=min_sounding_s,
            min_central_sounding_s=min_central_sounding_s,
        )
        return (
            needed_s is not None
            and _hears_alarm(
                event, needed_s, heard_middles_s=heard_middles_s, step_s=sounding_step_s
            )
            and not _lone_brief_sound(
                event, sounds, heard_middles_s=heard_middles_s, max_s=lone_sound_max_s
            )
        )

    return [event for event, n in zip(events, windows, strict=True) if kept(event, n)]


def sounding_timeline(starts_s, sounding, *, duration_s: float) -> tuple[np.ndarray, float]:
    """Put per-window alarm-sounding probabilities on one time grid, averaging overlaps.

    Parameters
    ----------
    starts_s : array-like [shape=(n,)]
        Window start times in seconds.
    sounding : array-like [shape=(n, steps)]
        Each window's probability that the alarm sounds in each of its ``steps`` equal time
        steps (the ``alarm_sounding`` output of a model).
    duration_s : float > 0
        Window length in seconds; a step lasts ``duration_s / steps``.

    Returns
    -------
    timeline : np.ndarray [shape=(m,), dtype=float64]
        Mean probability of the windows covering grid step ``i``, which spans
        ``[i, i + 1) * step_s`` (a window's steps are put on the nearest grid steps, at most
        half a step off).
    step_s : float
        Grid step in seconds.

    Raises
    ------
    ParameterError
        Mismatched shapes, probabilities outside [0, 1] or NaN, or a bad duration.

    Examples
    --------
    >>> timeline, step = sounding_timeline([0.0, 2.0], [[0, 0, 1, 1], [1, 0, 0, 0]],
    ...                                    duration_s=4.0)
    >>> step, timeline.tolist()
    (1.0, [0.0, 0.0, 1.0, 0.5, 0.0, 0.0])
    """
    starts = np.asarray(starts_s, dtype=np.float64).reshape(-1)
    sounding = np.asarray(sounding, dtype=np.float64)
    if sounding.ndim != 2 or len(sounding) != len(starts) or sounding.shape[1] == 0:
        raise ParameterError(
            f"sounding must have shape (windows, steps) with {len(starts)} windows, got "
            f"{sounding.shape}"
        )
    if not duration_s > 0:
        raise ParameterError(f"duration_s must be positive, got {duration_s}")
    if np.any(~np.isfinite(sounding)) or np.any((sounding < 0) | (sounding > 1)):
        raise ParameterError("sounding probabilities must be finite and in [0, 1]")
    steps = sounding.shape[1]
    step_s = duration_s / steps
    if len(starts) == 0:
        return np.zeros(0), step_s
    first = np.maximum(np.rint(starts / step_s).astype(np.int64), 0)
    index = first[:, None] + np.arange(steps)
    total = np.zeros(int(index.max()) + 1)
    count = np.zeros_like(total)
    np.add.at(total, index, sounding)
    np.add.at(count, index, 1.0)
    return total / np.maximum(count, 1.0), step_s


def refine_event_bounds(
    events: list[dict],
    timeline,
    *,
    step_s: float,
    window_s: float,
    reach_s: float,
    threshold: float = DEFAULT_SOUNDING_THRESHOLD,
    max_gap_s: float = DEFAULT_SOUNDING_GAP_S,
) -> list[dict]:
    """Move each event's bounds to the first and last time step where the alarm sounds.

    :func:`windows_to_events` bounds an event by its alarm windows, which start before the
    first beep and end after the last (by up to a window), or start a hop late when the
    window holding the first beeps scored below the threshold. Here an event starts at the
    first step of ``timeline`` at or above ``threshold`` in its first window, and ends with
    the last such step in its last window: the classifier heard the alarm in those windows.
    From there a bound moves on out of the event, up to ``reach_s``, over sounding steps
    no more than ``max_gap_s`` apart: the beeps of a window that scored just below the
    threshold, but not a sound after a longer silence. A bound whose window has no
    sounding step stays where it was (the time steps missed what the window saw, as in
    loud noise); events that come to overlap are joined. Confidences are kept.

    Parameters
    ----------
    events : list of dict
        From :func:`windows_to_events` (``start``, ``end`` in seconds).
    timeline : array-like [shape=(m,)]
        Alarm-sounding probability per grid step, from :func:`sounding_timeline`.
    step_s : float > 0
        Grid step in seconds.
    window_s : float > 0
        Window length in seconds.
    reach_s : float >= 0
        How far (s) a bound may move out of the event's windows; the hop between windows
        lets it reach the beeps of a window that scored just below the threshold.
    threshold : float in [0, 1]
        Sounding probability from which a step counts.
    max_gap_s : float >= 0
        Longest silence (s) a bound crosses on its way out of the event.

    Returns
    -------
    list of dict
        New event dicts, in time order.

    Examples
    --------
    >>> steps = [0, 0, 0, 0, 0.9, 0.8, 0.1, 0.9, 0, 0, 0, 0]  # 0.5 s steps
    >>> event = {"label": "alarm", "start": 2.5, "end": 4.5, "confidence": 0.9}
    >>> refine_event_bounds([event], steps, step_s=0.5, window_s=2.0, reach_s=1.0)
    [{'label': 'alarm', 'start': 2.0, 'end': 4.0, 'confidence': 0.9}]
    """
    timeline = np.asarray(timeline, dtype=np.float64).reshape(-1)
    if not (step_s > 0 and window_s > 0 and reach_s >= 0 and max_gap_s >= 0):
        raise ParameterError(
            f"step_s and window_s must be > 0, reach_s and max_gap_s >= 0, got {step_s}, "
            f"{window_s}, {reach_s}, {max_gap_s}"
        )
    if not 0.0 <= threshold <= 1.0:
        raise ParameterError(f"threshold must be in [0, 1], got {threshold}")
    if np.any(~np.isfinite(timeline)) or np.any((timeline < 0) | (timeline > 1)):
        raise ParameterError("timeline probabilities must be finite and in [0, 1]")
    # A sounding step counts for a span when its middle lies inside it.
    middles = (np.flatnonzero(timeline >= threshold) + 0.5) * step_s
    half = step_s / 2
    moved: list[dict] = []
    for event in events:
        start, end = float(event["start"]), float(event["end"])
        event = dict(event)
        first = middles[(middles > start) & (middles < min(start + window_s, end))]
        if first.size:
            bound = first[0]
            for earlier in middles[(middles > start - reach_s) & (middles < bound)][::-1]:
                if bound - earlier - step_s > max_gap_s:
                    break
                bound = earlier
            event["start"] = float(bound - half)
        last = middles[(middles > max(end - window_s, start)) & (middles < end)]
        if last.size:
            bound = last[-1]
            for later in middles[(middles > bound) & (middles < end + reach_s)]:
                if later - bound - step_s > max_gap_s:
                    break
                bound = later
            event["end"] = float(bound + half)
        moved.append(event)
    return merge_events(moved)


#: Share of an event's time steps in which the alarm sounds (by the model's sounding output,
#: at :data:`SHORT_EVENT_SOUNDING_THRESHOLD`) from which the event is a continuous tone. Over
#: the alarm windows of a review's plant-room recordings, temporal-three alarms sounded
#: 35-65 % of the time (long reverberation smears the beeps), CO alarms 14-20 % unless a
#: machine's whine merged with them; a steady whine of a variable-frequency drive 59-100 %.
#: High, so that beeping alarms are kept: it catches the clearest whines only
#: (docs/detection.md, "Continuous tones").
CONTINUOUS_SOUND_SHARE = 0.9


def is_continuous_tone(event: dict, timeline, *, step_s: float) -> bool:
    """Whether the alarm sound of ``event`` goes on without a pause.

    Parameters
    ----------
    event : dict
        An event with ``start`` and ``end`` in seconds.
    timeline : array-like [shape=(m,)]
        Alarm-sounding probabilities on one grid (:func:`sounding_timeline`).
    step_s : float > 0
        The grid's step in seconds.

    Returns
    -------
    bool
        True when at least :data:`CONTINUOUS_SOUND_SHARE` of the event's grid steps (those
        whose middle lies inside it) sound; False for an event that holds no step.

    Examples
    --------
    >>> is_continuous_tone({"start": 0.0, "end": 4.0}, [1, 1, 1, 1], step_s=1.0)
    True
    >>> is_continuous_tone({"start": 0.0, "end": 4.0}, [1, 0, 1, 0], step_s=1.0)
    False
    """
    share = _sounding_share(event, timeline, step_s=step_s)
    return share is not None and share >= CONTINUOUS_SOUND_SHARE


def _sounding_share(event: dict, timeline, *, step_s: float) -> float | None:
    """The share of the event's grid steps that sound (at SHORT_EVENT_SOUNDING_THRESHOLD);
    None when it holds no step."""
    timeline = np.asarray(timeline, dtype=np.float64).reshape(-1)
    if not step_s > 0:
        raise ParameterError(f"step_s must be positive, got {step_s}")
    # A step is the event's when its middle lies inside it, as refine_event_bounds counts.
    middles = (np.arange(len(timeline)) + 0.5) * step_s
    steps = timeline[(middles > event["start"]) & (middles < event["end"])]
    if not len(steps):
        return None
    return float(np.mean(steps >= SHORT_EVENT_SOUNDING_THRESHOLD))


#: A frame holds a tone when its strongest row stands this far (dB) over the median of the
#: tone band's rows (:func:`sounddetect.patterns.tone_track`).
TONE_PROMINENCE_DB = 20.0
#: An event is a wandering tone when its tone is heard in at least this share of its frames
#: (within :data:`TONE_SPAN` of its median pitch) ...
WANDERING_PRESENCE = 0.95
#: ... and the mean pitch of its seconds spreads this much (90th minus 10th percentile, over
#: the median). A kettle's whistle glides up and wanders with the steam; an alarm's tone
#: holds its pitch, and a warble's swing averages out within a second. On the recordings of
#: docs/detection.md, "Whistles that wander in pitch", 0.95 and 0.1 took 13 of 24 kettle
#: false alarms and no alarm, and on draws not used to choose them 10 of 14 and none of 277
#: alarms.
WANDERING_DRIFT = 0.1
#: Pitches within these ratios of the event's median pitch are its tone; a partial or
#: another sound elsewhere in the band is not.
TONE_SPAN = (0.75, 1.33)
#: Frames a second needs to count in the drift (0.3 s of the default 31 ms frames).
MIN_FRAMES_PER_SECOND = 10
#: Seconds holding the tone that an event needs for its drift to be read.
MIN_DRIFT_SECONDS = 10


def is_wandering_tone(
    event: dict,
    middles_s,
    pitch_hz,
    prominence_db,
    *,
    min_presence: float = WANDERING_PRESENCE,
    min_drift: float = WANDERING_DRIFT,
) -> bool:
    """Whether ``event`` is one tone heard all along whose pitch wanders: a kettle's whistle.

    Parameters
    ----------
    event : dict
        An event with ``start`` and ``end`` in seconds.
    middles_s, pitch_hz, prominence_db : array-like [shape=(frames,)]
        Each spectrogram frame's middle (s), and the pitch (Hz) and prominence (dB) of its
        strongest tone (:meth:`sounddetect.patterns.PatternSearch.tone_track`).
    min_presence : float in [0, 1]
        Share of the event's frames that must hold its tone.
    min_drift : float >= 0
        Spread of its seconds' mean pitch, relative to their median, from which it wanders.

    Returns
    -------
    bool
        False for an event with no tonal frame, or with fewer than
        :data:`MIN_DRIFT_SECONDS` seconds that hold its tone.

    Raises
    ------
    ParameterError
        Arrays of different lengths.

    Examples
    --------
    >>> t = np.arange(0, 10, 0.03125)
    >>> glide = 2500 + 60 * t  # a whistle rising 24 % in 10 s
    >>> is_wandering_tone({"start": 0, "end": 10}, t, glide, np.full(t.size, 30.0))
    True
    >>> warble = 3100 * (1 + 0.05 * np.sin(2 * np.pi * 6 * t))
    >>> is_wandering_tone({"start": 0, "end": 10}, t, warble, np.full(t.size, 30.0))
    False
    """
    middles_s, pitch_hz, prominence_db = (
        np.asarray(values, dtype=np.float64).reshape(-1)
        for values in (middles_s, pitch_hz, prominence_db)
    )
    if not middles_s.size == pitch_hz.size == prominence_db.size:
        raise ParameterError(
            f"middles_s, pitch_hz and prominence_db differ in length: {middles_s.size}, "
            f"{pitch_hz.size}, {prominence_db.size}"
        )
    inside = (middles_s >= event["start"]) & (middles_s < event["end"])
    times, pitch = middles_s[inside], pitch_hz[inside]
    tonal = prominence_db[inside] > TONE_PROMINENCE_DB
    if not tonal.any():
        return False
    tone = np.median(pitch[tonal])
    heard = tonal & (pitch > TONE_SPAN[0] * tone) & (pitch < TONE_SPAN[1] * tone)
    if heard.mean() < min_presence:
        return False
    second = np.floor(times[heard] - event["start"]).astype(int)
    counts = np.bincount(second)
    sums = np.bincount(second, weights=pitch[heard])
    full = counts >= MIN_FRAMES_PER_SECOND
    if full.sum() < MIN_DRIFT_SECONDS:
        return False
    means = sums[full] / counts[full]
    low, high = np.percentile(means, [10, 90])
    return bool((high - low) / np.median(means) >= min_drift)


#: An event is a steady beeper's when beepers (:func:`sounddetect.patterns.find_beepers`)
#: sound through at least this share of it, ...
BEEPER_SHARE = 0.8
#: ... the beeping starts and ends within this many seconds of the event's start and end (an
#: alarm that sounds while a beeper beeps on sets its own bounds), ...
BEEPER_BOUND_S = 2.0
#: ... and the model hears the alarm sound in at least this share of its steps (at
#: :data:`SHORT_EVENT_SOUNDING_THRESHOLD`): what it hears is then the beeping. In the events
#: it raised on beepers alone the model heard 48-94 % of the steps, in CO alarms sounding
#: with a beeper 9-23 % (their pips only); docs/detection.md, "Steady beepers".
BEEPER_HEARD_SHARE = 0.35


def is_steady_beeper(
    event: dict,
    beepers,
    timeline,
    *,
    step_s: float,
    min_share: float = BEEPER_SHARE,
    min_heard: float = BEEPER_HEARD_SHARE,
) -> bool:
    """Whether ``event`` is a steady beeper's beeping: a reversing lorry's, an appliance's.

    It is when the beepers sound through ``min_share`` of it, start and end within
    BEEPER_BOUND_S of its start and end, and the model hears alarm sound in ``min_heard`` of
    its steps.

    Parameters
    ----------
    event : dict
        An event with ``start`` and ``end`` in seconds.
    beepers : iterable of (float, float)
        Where steady beepers sound, ``(start, end)`` in seconds; they may overlap.
    timeline : array-like [shape=(m,)]
        Alarm-sounding probabilities on one grid (:func:`sounding_timeline`).
    step_s : float > 0
        The grid's step in seconds.
    min_share : float in (0, 1]
        Share of the event's time that the beepers must cover together.
    min_heard : float in [0, 1]
        Share of the event's grid steps that must sound.

    Returns
    -------
    bool
        False for an event of no length or that holds no step.

    Examples
    --------
    >>> heard = np.tile([1.0, 1.0, 0.0], 10)  # the model hears 2 of every 3 steps
    >>> event = {"start": 2.0, "end": 12.0}
    >>> is_steady_beeper(event, [(1.0, 8.0), (7.0, 11.5)], heard, step_s=0.5)
    True
    >>> is_steady_beeper(event, [(1.0, 8.0)], heard, step_s=0.5)  # 6 of 10 s
    False
    >>> is_steady_beeper(event, [(0.0, 15.0)], heard, step_s=0.5)  # it beeps on after
    False
    >>> is_steady_beeper(event, [(1.0, 12.0)], np.tile([1.0, 0, 0, 0, 0], 6), step_s=0.5)
    False
    """
    if not 0 < min_share <= 1:
        raise ParameterError(f"min_share must be in (0, 1], got {min_share}")
    if not 0 <= min_heard <= 1:
        raise ParameterError(f"min_heard must be in [0, 1], got {min_heard}")
    length = event["end"] - event["start"]
    if not length > 0:
        return False
    covered, reach = 0.0, event["start"]
    for start, end in sorted(beepers):
        start, end = max(start, reach), min(end, event["end"])
        if end > start:
            covered += end - start
            reach = end
    if covered < min_share * length:
        return False
    spans = [
        (start, end) for start, end in beepers if start < event["end"] and end > event["start"]
    ]
    first, last = min(start for start, _ in spans), max(end for _, end in spans)
    if abs(first - event["start"]) > BEEPER_BOUND_S or abs(last - event["end"]) > BEEPER_BOUND_S:
        return False
    heard = _sounding_share(event, timeline, step_s=step_s)
    return heard is not None and heard >= min_heard


def merge_events(*event_lists: list[dict], gap_s: float = 0.0) -> list[dict]:
    """The union of several lists of events: those that overlap or lie at most ``gap_s``
    apart become one, with the highest confidence among them.

    Parameters
    ----------
    *event_lists : list of dict
        Events (``label``, ``start``, ``end``, ``confidence``), e.g. from
        :func:`windows_to_events` and :func:`sounddetect.patterns.find_t3_events`.
    gap_s : float >= 0
        Largest gap in seconds that still joins two events.

    Returns
    -------
    list of dict
        New event dicts, in time order.

    Examples
    --------
    >>> model = [{"label": "alarm", "start": 0.0, "end": 8.0, "confidence": 0.9}]
    >>> pattern = [{"label": "alarm", "start": 9.0, "end": 20.5, "confidence": 0.75}]
    >>> merge_events(model, pattern, gap_s=2.0)
    [{'label': 'alarm', 'start': 0.0, 'end': 20.5, 'confidence': 0.9}]
    """
    if not gap_s >= 0:  # NaN too
        raise ParameterError(f"gap_s must be >= 0, got {gap_s}")
    merged: list[dict] = []
    for event in sorted((e for events in event_lists for e in events), key=lambda e: e["start"]):
        if merged and event["start"] <= merged[-1]["end"] + gap_s:
            last = merged[-1]
            last["end"] = max(last["end"], event["end"])
            last["confidence"] = max(last["confidence"], event["confidence"])
        else:
            merged.append(dict(event))
    return merged
