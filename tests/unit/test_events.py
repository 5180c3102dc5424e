"""windows_to_events, sounding_timeline and refine_event_bounds on hand-made sequences."""

import itertools

import numpy as np
import pytest

from sounddetect.events import (
    CONTINUOUS_SOUND_SHARE,
    DEFAULT_MIN_EVENT_S,
    LONE_SOUND_MAX_S,
    LONE_SOUND_REACH_S,
    LONE_SOUND_T3_RECORDING_S,
    MIN_CENTRAL_EVENT_SOUNDING_S,
    MIN_DRIFT_SECONDS,
    MIN_SHORT_EVENT_SOUNDING_S,
    SHORT_EVENT_SOUNDING_THRESHOLD,
    START_EDGE_MAX_RECORDING_S,
    WANDERING_DRIFT,
    default_merge_gap_s,
    default_min_windows,
    is_continuous_tone,
    is_steady_beeper,
    is_wandering_tone,
    merge_events,
    refine_event_bounds,
    sounding_timeline,
    windows_to_events,
)
from sounddetect.exceptions import ParameterError


def events_of(probabilities, *, hop=2.0, window=4.0, **options):
    starts = np.arange(len(probabilities)) * hop
    return windows_to_events(starts, starts + window, probabilities, **options)


def test_no_windows_no_events():
    assert windows_to_events([], [], [], threshold=0.5) == []


def test_all_below_threshold_no_events():
    assert events_of([0.1, 0.49, 0.2], threshold=0.5) == []


def test_single_window_is_an_event_with_its_bounds_and_probability():
    assert events_of([0.1, 0.8, 0.1], threshold=0.5) == [
        {"label": "alarm", "start": 2.0, "end": 6.0, "confidence": 0.8}
    ]


def test_overlapping_windows_merge_and_confidence_is_the_maximum():
    events = events_of([0.1, 0.7, 0.95, 0.6, 0.2], threshold=0.5)
    assert events == [{"label": "alarm", "start": 2.0, "end": 10.0, "confidence": 0.95}]


def test_threshold_is_inclusive():
    assert len(events_of([0.5], threshold=0.5)) == 1


def test_adjacent_windows_merge_without_gap():
    events = windows_to_events([0, 4, 8], [4, 8, 12], [0.9, 0.9, 0.9], threshold=0.5)
    assert [(e["start"], e["end"]) for e in events] == [(0.0, 12.0)]


def test_separated_windows_stay_apart_unless_within_merge_gap():
    starts, ends, probs = [0, 5, 20], [4, 9, 24], [0.9, 0.8, 0.7]
    apart = windows_to_events(starts, ends, probs, threshold=0.5)
    assert [(e["start"], e["end"]) for e in apart] == [(0, 4), (5, 9), (20, 24)]
    joined = windows_to_events(starts, ends, probs, threshold=0.5, merge_gap_s=1.0)
    assert [(e["start"], e["end"], e["confidence"]) for e in joined] == [
        (0, 9, 0.9),
        (20, 24, 0.7),
    ]


def test_min_duration_drops_short_events_only():
    # one lone window (4 s) and a run of three windows (8 s)
    probs = [0.9, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.1]
    events = events_of(probs, threshold=0.5, min_duration_s=6.0)
    assert [(e["start"], e["end"]) for e in events] == [(8.0, 16.0)]
    assert len(events_of(probs, threshold=0.5, min_duration_s=4.0)) == 2


def test_default_min_duration_needs_three_consecutive_windows():
    # A beeper starting or stopping, or one group of beeps: one or two alarm-like windows.
    for probabilities in ([0.1, 0.95, 0.1, 0.1, 0.1], [0.1, 0.9, 0.8, 0.1, 0.1]):
        assert events_of(probabilities, threshold=0.5, min_duration_s=DEFAULT_MIN_EVENT_S) == []
    events = events_of([0.1, 0.9, 0.8, 0.7, 0.1], threshold=0.5, min_duration_s=DEFAULT_MIN_EVENT_S)
    assert [(e["start"], e["end"]) for e in events] == [(2.0, 10.0)]


def test_min_windows_counts_the_alarm_windows_of_an_event():
    # Two windows that touch (0-4 and 4-8) span 8 s but are two windows, not three.
    probs = [0.9, 0.1, 0.9, 0.1, 0.1]
    assert len(events_of(probs, threshold=0.5, min_duration_s=8.0)) == 1
    assert events_of(probs, threshold=0.5, min_duration_s=8.0, min_windows=3) == []
    three = events_of([0.9, 0.1, 0.9, 0.9, 0.1], threshold=0.5, min_duration_s=8.0, min_windows=3)
    assert [(e["start"], e["end"]) for e in three] == [(0.0, 10.0)]
    # a count numpy computed (np.int64) is a count too
    numpy_three = events_of(
        [0.9, 0.1, 0.9, 0.9, 0.1], threshold=0.5, min_duration_s=8.0, min_windows=np.int64(3)
    )
    assert numpy_three == three


def test_the_default_gap_bridges_a_co_alarm_s_pause():
    # A beep group every 6 s lights one window in three; two quiet windows between them.
    co = [0.9, 0.1, 0.1, 0.95, 0.1, 0.1, 0.8, 0.1]
    rule = {
        "threshold": 0.5,
        "min_duration_s": DEFAULT_MIN_EVENT_S,
        "min_windows": default_min_windows(window_s=4.0, hop_s=2.0),
    }
    events = events_of(co, merge_gap_s=default_merge_gap_s(hop_s=2.0), **rule)
    assert events == [{"label": "alarm", "start": 0.0, "end": 16.0, "confidence": 0.95}]
    assert events_of(co, merge_gap_s=0.0, **rule) == []
    # Two groups are two windows; three quiet windows (a 4 s gap) are not bridged.
    assert events_of([0.9, 0.1, 0.1, 0.9, 0.1, 0.1, 0.1], merge_gap_s=2.0, **rule) == []
    sparse = [0.9, 0.1, 0.1, 0.1, 0.9, 0.1, 0.1, 0.1, 0.9]
    assert events_of(sparse, merge_gap_s=2.0, **rule) == []


@pytest.mark.parametrize(
    ("window", "hop", "windows", "gap"),
    [
        (4.0, 2.0, 3, 2.0),  # the default hop: the rule the README's figures use
        (4.0, 4.0, 2, 4.0),  # no overlap: two windows cover 8 s, one quiet window is a 4 s gap
        (4.0, 1.0, 5, 2.0),
        (4.0, 3.0, 2, 3.0),
        (4.0, 4.0 / 3.0, 4, 2.0),  # a hop that divides the window up to rounding
        (8.0, 4.0, 3, 4.0),
    ],
)
def test_default_rule_asks_for_the_same_seconds_of_alarm_at_any_hop(window, hop, windows, gap):
    assert default_min_windows(window_s=window, hop_s=hop) == windows
    assert default_merge_gap_s(hop_s=hop) == gap


def test_at_a_4_s_hop_the_default_rule_keeps_a_co_alarm_the_2_s_rule_drops():
    # Windows 4 s apart: beep groups light alternate windows, a 4 s gap apart.
    co = [0.9, 0.1, 0.9, 0.1, 0.9, 0.1]
    hop_rule = {
        "min_windows": default_min_windows(window_s=4.0, hop_s=4.0),
        "merge_gap_s": default_merge_gap_s(hop_s=4.0),
    }
    two_s_rule = {
        "min_windows": default_min_windows(window_s=4.0, hop_s=2.0),
        "merge_gap_s": default_merge_gap_s(hop_s=2.0),
    }
    options = {"hop": 4.0, "threshold": 0.5, "min_duration_s": DEFAULT_MIN_EVENT_S}
    assert [(e["start"], e["end"]) for e in events_of(co, **options, **hop_rule)] == [(0.0, 20.0)]
    assert events_of(co, **options, **two_s_rule) == []
    # One lit window is still one beep group, at any hop.
    assert events_of([0.1, 0.9, 0.1, 0.1], **options, **hop_rule) == []


@pytest.mark.parametrize(("window", "hop"), [(4.0, 0.0), (4.0, 5.0), (4.0, -1.0)])
def test_default_rule_refuses_a_hop_outside_the_window(window, hop):
    with pytest.raises(ParameterError, match="hop_s"):
        default_min_windows(window_s=window, hop_s=hop)
    if hop <= 0:
        with pytest.raises(ParameterError, match="hop_s"):
            default_merge_gap_s(hop_s=hop)


@pytest.mark.parametrize(
    ("probabilities", "kept"),
    [
        ([0.9, 0.8, 0.1, 0.1, 0.1], [(0.0, 6.0)]),  # cut short by the recording's start
        ([0.1, 0.1, 0.1, 0.8, 0.9], [(6.0, 12.0)]),  # by its end
        ([0.1, 0.8, 0.9, 0.1, 0.1], []),  # inside: the windows either side contradict it
        ([0.9, 0.1, 0.1, 0.1, 0.1], []),  # one window at an edge is still one beep
    ],
)
def test_events_at_the_recording_s_edges_need_only_the_edge_duration(probabilities, kept):
    events = events_of(
        probabilities,
        threshold=0.5,
        min_duration_s=DEFAULT_MIN_EVENT_S,
        min_edge_duration_s=6.0,
        min_windows=default_min_windows(window_s=4.0, hop_s=2.0),
        recording_s=12.0,
    )
    assert [(e["start"], e["end"]) for e in events] == kept
    # Without the recording's length no event is known to touch an edge.
    assert (
        events_of(
            probabilities,
            threshold=0.5,
            min_duration_s=DEFAULT_MIN_EVENT_S,
            min_edge_duration_s=6.0,
        )
        == []
    )


EDGE_RULE = {
    "threshold": 0.5,
    "min_duration_s": DEFAULT_MIN_EVENT_S,
    "min_edge_duration_s": 6.0,
    "min_windows": 3,
    "start_edge_max_recording_s": START_EDGE_MAX_RECORDING_S,
}


@pytest.mark.parametrize("recording", [20.0, 40.0])
def test_a_long_recording_keeps_no_event_of_two_windows_at_its_start(recording):
    n = int((recording - 4.0) / 2.0) + 1  # windows 0-4, 2-6, ..., ending at the recording's end
    start = [0.9, 0.8] + [0.1] * (n - 2)
    assert events_of(start, recording_s=recording, **EDGE_RULE) == []
    # ... where its end keeps one (an alarm may start in its last seconds),
    end = [0.1] * (n - 2) + [0.8, 0.9]
    assert [(e["start"], e["end"]) for e in events_of(end, recording_s=recording, **EDGE_RULE)] == [
        (recording - 6.0, recording)
    ]
    # and an event of three windows at its start is an event like any other.
    three = [0.9, 0.8, 0.7] + [0.1] * (n - 3)
    assert [
        (e["start"], e["end"]) for e in events_of(three, recording_s=recording, **EDGE_RULE)
    ] == [(0.0, 8.0)]
    # Without the limit the start keeps its exception, as before.
    no_limit = {**EDGE_RULE, "start_edge_max_recording_s": None}
    assert len(events_of(start, recording_s=recording, **no_limit)) == 1


def test_a_shorter_recording_keeps_an_event_of_two_windows_at_its_start():
    # 18 s: an excerpt an alarm may fill, whose later windows missed it.
    probs = [0.9, 0.8] + [0.1] * 6
    kept = events_of(probs, recording_s=18.0, **EDGE_RULE)
    assert [(e["start"], e["end"]) for e in kept] == [(0.0, 6.0)]
    # Just under the limit it still does; at the limit it does not.
    assert len(events_of(probs + [0.1], recording_s=19.99, **EDGE_RULE)) == 1
    assert events_of(probs + [0.1], recording_s=20.0, **EDGE_RULE) == []


def test_an_event_spanning_the_whole_recording_is_kept_however_short():
    # A 5 s recording: windows 0-4 and 1-5 (the tail window); nothing contradicts them.
    whole = windows_to_events(
        [0.0, 1.0], [4.0, 5.0], [0.9, 0.7], min_duration_s=6.0, recording_s=5.0
    )
    assert [(e["start"], e["end"], e["confidence"]) for e in whole] == [(0.0, 5.0, 0.9)]
    # The same event in a longer recording, or one window of the two whose mean with the
    # other falls short of the threshold, is dropped.
    longer = windows_to_events(
        [0.0, 1.0], [4.0, 5.0], [0.9, 0.7], min_duration_s=6.0, recording_s=9.0
    )
    assert longer == []
    part = windows_to_events(
        [0.0, 1.0], [4.0, 5.0], [0.8, 0.1], min_duration_s=6.0, recording_s=5.0
    )
    assert part == []


def test_a_recording_shorter_than_an_event_is_judged_on_the_mean_of_its_windows():
    # 6 s: windows 0-4 and 2-6. One clear alarm window and one that half hears the alarm.
    starts, ends = [0.0, 2.0], [4.0, 6.0]
    options = {"threshold": 0.5, "min_duration_s": 8.0, "min_edge_duration_s": 6.0}
    kept = windows_to_events(starts, ends, [0.9, 0.3], recording_s=6.0, **options)
    assert kept == [{"label": "alarm", "start": 0.0, "end": 4.0, "confidence": 0.9}]
    # The mean decides, not the clearest window.
    assert windows_to_events(starts, ends, [0.9, 0.05], recording_s=6.0, **options) == []
    # The mean exactly at the threshold counts, as a window's probability does.
    assert len(windows_to_events(starts, ends, [0.75, 0.25], recording_s=6.0, **options)) == 1
    # In a recording long enough for an event of 8 s the mean does not count: its middle
    # window alone is dropped although the three average over the threshold.
    long_starts, long_ends = [0.0, 2.0, 4.0], [4.0, 6.0, 8.0]
    probs = [0.3, 0.99, 0.3]
    assert windows_to_events(long_starts, long_ends, probs, recording_s=8.0, **options) == []
    # ...and without the recording's length there is no whole recording to judge.
    assert windows_to_events(starts, ends, [0.9, 0.3], **options) == []
    # 7 s with three windows: the windows' mean, not each window, must reach the threshold.
    starts7, ends7 = [0.0, 2.0, 3.0], [4.0, 6.0, 7.0]
    kept7 = windows_to_events(starts7, ends7, [0.2, 0.9, 0.6], recording_s=7.0, **options)
    assert [(e["start"], e["end"]) for e in kept7] == [(2.0, 7.0)]
    assert windows_to_events(starts7, ends7, [0.1, 0.9, 0.2], recording_s=7.0, **options) == []


def test_unsorted_windows_give_the_same_events():
    starts = np.array([6.0, 0.0, 4.0, 2.0])
    probs = np.array([0.1, 0.1, 0.9, 0.8])
    events = windows_to_events(starts, starts + 4.0, probs, threshold=0.5)
    assert events == [{"label": "alarm", "start": 2.0, "end": 8.0, "confidence": 0.9}]


@pytest.mark.parametrize(
    ("starts", "ends", "probs", "options", "match"),
    [
        ([0, 2], [4], [0.1, 0.2], {}, "differ in length"),
        ([0], [4], [1.5], {}, r"in \[0, 1\]"),
        ([0], [4], [np.nan], {}, "finite"),
        ([0], [4], [0.5], {"threshold": 1.2}, "threshold"),
        ([4], [4], [0.5], {}, "ends"),
        ([0], [4], [0.5], {"min_duration_s": -1.0}, ">= 0"),
        ([0], [4], [0.5], {"merge_gap_s": -0.5}, ">= 0"),
        ([0], [4], [0.5], {"min_duration_s": 6.0, "min_edge_duration_s": 8.0}, "min_edge"),
        ([0], [4], [0.5], {"min_edge_duration_s": -1.0}, "min_edge"),
        ([0], [4], [0.5], {"recording_s": 0.0}, "recording_s must be positive"),
        ([0], [4], [0.5], {"start_edge_max_recording_s": 0.0}, "start_edge_max"),
        ([0], [4], [0.5], {"start_edge_max_recording_s": np.nan}, "start_edge_max"),
        ([0], [4], [0.5], {"min_windows": 0}, "min_windows"),
        ([0], [4], [0.5], {"min_windows": 1.5}, "min_windows"),
        ([0], [4], [0.5], {"min_windows": True}, "min_windows"),
        # NaN and infinite times had dropped a window or made an event end at inf unsaid
        ([0, np.nan, 4], [4, 6, 8], [0.1, 0.9, 0.8], {}, "finite seconds"),
        ([0, 2], [4, np.inf], [0.9, 0.9], {}, "finite seconds"),
        ([0], [4], [0.5], {"merge_gap_s": np.nan}, ">= 0"),
        ([0], [4], [0.5], {"min_duration_s": np.nan}, ">= 0"),
    ],
)
def test_bad_arguments_raise_parameter_error(starts, ends, probs, options, match):
    with pytest.raises(ParameterError, match=match):
        windows_to_events(starts, ends, probs, **options)


def alarm_event(start, end, confidence=0.9):
    return {"label": "alarm", "start": start, "end": end, "confidence": confidence}


def test_sounding_timeline_averages_overlapping_windows_on_one_grid():
    # GIVEN two 4 s windows 2 s apart, eight 0.5 s steps each
    first = [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0]
    second = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    timeline, step = sounding_timeline([0.0, 2.0], [first, second], duration_s=4.0)
    # THEN the grid has 0.5 s steps over 0-6 s and the shared 2-4 s is their mean
    assert step == 0.5
    np.testing.assert_allclose(timeline, [0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0, 0, 0, 0])


def test_sounding_timeline_puts_an_unaligned_last_window_on_the_nearest_steps():
    # A recording's last window ends at its end, so it may start between grid steps.
    timeline, step = sounding_timeline([0.0, 1.3], [[1, 0, 0, 0], [0, 0, 0, 1]], duration_s=4.0)
    assert step == 1.0 and timeline.tolist() == [1.0, 0.0, 0.0, 0.0, 1.0]


@pytest.mark.parametrize(
    ("starts", "sounding", "duration", "message"),
    [
        ([0.0, 2.0], [[0.1, 0.2]], 4.0, "shape"),
        ([0.0], [0.1, 0.2], 4.0, "shape"),
        ([0.0], [[0.1, np.nan]], 4.0, "finite"),
        ([0.0], [[0.1, 1.5]], 4.0, "in \\[0, 1\\]"),
        ([0.0], [[0.1, 0.2]], 0.0, "duration_s must be positive"),
    ],
)
def test_sounding_timeline_rejects_bad_input(starts, sounding, duration, message):
    with pytest.raises(ParameterError, match=message):
        sounding_timeline(starts, sounding, duration_s=duration)


def test_refine_moves_the_start_back_to_beeps_in_a_window_below_the_threshold():
    # GIVEN alarm windows from 22 s to 42 s, while the alarm is heard from 20.25 s (its
    # first window scored under the threshold) to 40 s, on a 0.25 s grid
    timeline = np.zeros(200)
    timeline[81:160] = 0.9
    (event,) = refine_event_bounds(
        [alarm_event(22.0, 42.0)], timeline, step_s=0.25, window_s=4.0, reach_s=2.0
    )
    # THEN the event runs from the first to the last step where it sounds
    assert (event["start"], event["end"]) == (20.25, 40.0)
    assert event["confidence"] == 0.9 and event["label"] == "alarm"


def test_refine_crosses_no_longer_silence_than_max_gap_on_its_way_out():
    # GIVEN an alarm heard from 20 s to 40 s and a clink at 43 s, after 3 s of silence,
    # inside the reach of the event's last window (38-42 s)
    timeline = np.zeros(200)
    timeline[80:160] = 0.9
    timeline[172] = 0.9
    events = [alarm_event(22.0, 42.0)]
    (event,) = refine_event_bounds(events, timeline, step_s=0.25, window_s=4.0, reach_s=2.0)
    # THEN the event ends with the alarm
    assert (event["start"], event["end"]) == (20.0, 40.0)
    # AND a longer allowed gap takes the clink in
    (event,) = refine_event_bounds(
        events, timeline, step_s=0.25, window_s=4.0, reach_s=2.0, max_gap_s=3.5
    )
    assert event["end"] == 43.25


def test_refine_reaches_no_further_than_reach():
    timeline = np.zeros(100)
    timeline[10:90] = 0.9  # heard from 1 s to 9 s on a 0.1 s grid
    (event,) = refine_event_bounds(
        [alarm_event(4.0, 6.0)], timeline, step_s=0.1, window_s=2.0, reach_s=1.0
    )
    assert event["start"] == pytest.approx(3.0) and event["end"] == pytest.approx(7.0)
    (event,) = refine_event_bounds(
        [alarm_event(4.0, 6.0)], timeline, step_s=0.1, window_s=2.0, reach_s=0.0
    )
    assert event["start"] == pytest.approx(4.0) and event["end"] == pytest.approx(6.0)


def test_refine_moves_a_bound_no_further_in_than_its_window():
    # GIVEN an event of 4 s windows from 4 s to 16 s, heard only from 9 s to 11 s: the
    # time steps missed what the first and last windows saw
    timeline = np.zeros(40)
    timeline[18:22] = 0.9
    events = [alarm_event(4.0, 16.0)]
    # THEN both bounds stay at the windows'
    assert refine_event_bounds(events, timeline, step_s=0.5, window_s=4.0, reach_s=2.0) == events


def test_refine_keeps_window_bounds_when_nothing_sounds_near_them():
    timeline = np.zeros(40)
    timeline[2:4] = 0.9  # heard only 1-2 s, further back than reach
    events = [alarm_event(4.0, 16.0)]
    assert refine_event_bounds(events, timeline, step_s=0.5, window_s=4.0, reach_s=2.0) == events


def test_refine_uses_the_sounding_threshold():
    timeline = np.full(40, 0.6)
    (event,) = refine_event_bounds(
        [alarm_event(4.0, 16.0)], timeline, step_s=0.5, window_s=4.0, reach_s=2.0, threshold=0.7
    )
    assert (event["start"], event["end"]) == (4.0, 16.0)
    (event,) = refine_event_bounds(
        [alarm_event(4.0, 16.0)], timeline, step_s=0.5, window_s=4.0, reach_s=2.0
    )
    assert (event["start"], event["end"]) == (2.0, 18.0)


def test_refine_joins_events_that_come_to_overlap():
    # GIVEN two events 3 s apart whose sound fills the gap between them
    timeline = np.zeros(60)
    timeline[8:52] = 0.9  # 4-26 s on a 0.5 s grid
    events = [alarm_event(4.0, 12.0, 0.8), alarm_event(15.0, 26.0, 0.95)]
    # THEN they become one event with the higher confidence
    assert refine_event_bounds(events, timeline, step_s=0.5, window_s=4.0, reach_s=2.0) == [
        alarm_event(4.0, 26.0, 0.95)
    ]


def test_refine_leaves_its_input_alone_and_rejects_bad_parameters():
    events = [alarm_event(4.0, 16.0)]
    refine_event_bounds(events, np.ones(40), step_s=0.5, window_s=4.0, reach_s=2.0)
    assert events == [alarm_event(4.0, 16.0)]
    for bad in (
        {"step_s": 0.0},
        {"window_s": -1.0},
        {"reach_s": -1.0},
        {"max_gap_s": -1.0},
        {"max_gap_s": np.nan},
    ):
        options = {"step_s": 0.5, "window_s": 4.0, "reach_s": 2.0, **bad}
        with pytest.raises(ParameterError, match="step_s and window_s must be > 0"):
            refine_event_bounds(events, np.ones(40), **options)
    with pytest.raises(ParameterError, match="threshold must be in"):
        refine_event_bounds(
            events, np.ones(40), step_s=0.5, window_s=4.0, reach_s=2.0, threshold=2.0
        )
    for timeline in (np.full(40, 5.0), np.full(40, np.nan)):  # as windows_to_events refuses
        with pytest.raises(ParameterError, match=r"finite and in \[0, 1\]"):
            refine_event_bounds(events, timeline, step_s=0.5, window_s=4.0, reach_s=2.0)


def test_refined_events_stay_ordered_disjoint_and_near_their_windows():
    # Many random recordings: window probabilities and sounding steps drawn at random.
    rng = np.random.default_rng(7)
    step, window, hop = 0.0625, 4.0, 2.0
    for _ in range(300):
        n = int(rng.integers(1, 30))
        starts = np.arange(n) * hop
        events = windows_to_events(
            starts, starts + window, rng.random(n), threshold=0.6, merge_gap_s=2.0
        )
        timeline = (rng.random(int((starts[-1] + window) / step)) < rng.random()) * 0.9
        refined = refine_event_bounds(events, timeline, step_s=step, window_s=window, reach_s=hop)
        for event in refined:
            assert event["start"] < event["end"]
            # each refined event holds the originals it overlaps, each moved at most reach_s
            inside = [e for e in events if e["start"] < event["end"] and e["end"] > event["start"]]
            assert inside
            assert event["start"] >= min(e["start"] for e in inside) - hop - 1e-9
            assert event["end"] <= max(e["end"] for e in inside) + hop + 1e-9
        for before, after in itertools.pairwise(refined):
            assert before["end"] < after["start"]
        # every original event went into exactly one refined event
        for e in events:
            assert sum(r["start"] < e["end"] and r["end"] > e["start"] for r in refined) == 1


def event(start, end, confidence):
    return {"label": "alarm", "start": start, "end": end, "confidence": confidence}


def test_merge_events_joins_overlapping_and_near_events_of_several_lists():
    model = [event(0.0, 8.0, 0.9), event(30.0, 40.0, 0.6)]
    pattern = [event(9.5, 20.0, 0.75), event(41.0, 52.0, 0.875), event(60.0, 70.0, 0.75)]
    merged = merge_events(model, pattern, gap_s=2.0)
    assert [(e["start"], e["end"], e["confidence"]) for e in merged] == [
        (0.0, 20.0, 0.9),
        (30.0, 52.0, 0.875),
        (60.0, 70.0, 0.75),
    ]
    assert model[0]["end"] == 8.0  # the inputs are not changed
    assert len(merge_events(model, pattern, gap_s=0.0)) == 5
    assert merge_events() == []
    for gap_s in (-1.0, np.nan):  # NaN had never merged
        with pytest.raises(ParameterError, match="gap_s"):
            merge_events(model, gap_s=gap_s)


def beeps_timeline(seconds, *, step=0.25, length=48, probability=0.9, start_s=1.0):
    """A sounding timeline of 0.25 s steps that hears ``seconds`` of alarm from ``start_s``."""
    timeline = np.zeros(length)
    first = round(start_s / step)
    timeline[first : first + round(seconds / step)] = probability
    return timeline


SHORT_RULE = {"threshold": 0.5, "min_duration_s": 8.0, "min_edge_duration_s": 6.0}


@pytest.mark.parametrize(
    ("starts", "ends", "probs", "recording"),
    [
        ([0.0], [3.0], [0.9], 3.0),  # one window, padded: the recording is 3 s
        ([0.0, 1.0], [4.0, 5.0], [0.9, 0.8], 5.0),  # two windows spanning the recording
        ([0.0, 2.0], [4.0, 6.0], [0.9, 0.3], 6.0),  # judged on the mean of its windows
        ([0.0, 2.0, 4.0, 6.0, 8.0], [4.0, 6.0, 8.0, 10.0, 12.0], [0.9, 0.8, 0, 0, 0], 12.0),
    ],
)
def test_an_event_kept_by_an_exception_must_hold_enough_alarm_sound(starts, ends, probs, recording):
    # GIVEN events the rule keeps only because the recording is short or cuts them short
    def events(seconds, probability=0.9):
        timeline = beeps_timeline(seconds, probability=probability)
        return windows_to_events(
            starts,
            ends,
            probs,
            recording_s=recording,
            sounding=timeline,
            sounding_step_s=0.25,
            **SHORT_RULE,
        )

    # THEN the event stays when the model hears the alarm for MIN_SHORT_EVENT_SOUNDING_S
    # in steps at or above SHORT_EVENT_SOUNDING_THRESHOLD ...
    assert len(events(MIN_SHORT_EVENT_SOUNDING_S)) == 1
    assert len(events(MIN_SHORT_EVENT_SOUNDING_S + 1.0)) == 1
    assert len(events(MIN_SHORT_EVENT_SOUNDING_S, SHORT_EVENT_SOUNDING_THRESHOLD)) == 1
    # ... and goes when it hears one step less, or only below the threshold, or nothing
    assert events(MIN_SHORT_EVENT_SOUNDING_S - 0.25) == []
    assert events(2.0, SHORT_EVENT_SOUNDING_THRESHOLD - 0.01) == []
    assert events(0.0) == []


CO_RULE = {"min_windows": 3, "merge_gap_s": 2.0, **SHORT_RULE}


@pytest.mark.parametrize(
    ("starts", "ends", "recording"),
    [
        ([0.0, 2.0, 4.0, 6.0], [4.0, 6.0, 8.0, 10.0], 10.0),
        ([0.0, 2.0, 4.0, 5.0], [4.0, 6.0, 8.0, 9.0], 9.0),  # the last window ends the recording
    ],
)
def test_a_central_event_of_a_short_recording_is_kept_when_it_hears_enough(starts, ends, recording):
    # GIVEN a recording of 9-10 s whose two middle windows are certain and whose outer ones,
    # each holding part of the event, are not (a CO alarm's pauses)
    def events(seconds):
        return windows_to_events(
            starts,
            ends,
            [0.1, 0.95, 0.95, 0.1],
            recording_s=recording,
            sounding=beeps_timeline(seconds, start_s=3.0),
            sounding_step_s=0.25,
            **CO_RULE,
        )

    # THEN the event is kept when the model hears MIN_CENTRAL_EVENT_SOUNDING_S of alarm in it
    assert [(e["start"], e["end"]) for e in events(MIN_CENTRAL_EVENT_SOUNDING_S)] == [(2.0, 8.0)]
    # ... and not with one step less: its windows are whole, so an edge event's amount
    # (MIN_SHORT_EVENT_SOUNDING_S) is not enough
    assert events(MIN_CENTRAL_EVENT_SOUNDING_S - 0.25) == []
    assert MIN_SHORT_EVENT_SOUNDING_S <= MIN_CENTRAL_EVENT_SOUNDING_S - 0.25
    assert events(MIN_SHORT_EVENT_SOUNDING_S) == []


@pytest.mark.parametrize(
    ("starts", "probs", "recording", "min_event"),
    [
        # 12 s: a whole window (8-12 s) lies after the event, and it is not an alarm window
        ([0.0, 2.0, 4.0, 6.0, 8.0], [0.1, 0.95, 0.95, 0.1, 0.1], 12.0, 8.0),
        # 10 s, one alarm window: shorter than an edge event
        ([0.0, 2.0, 4.0, 6.0], [0.1, 0.95, 0.1, 0.1], 10.0, 8.0),
        # 10 s, no recording length given: nothing is known to be central
        ([0.0, 2.0, 4.0, 6.0], [0.1, 0.95, 0.95, 0.1], None, 8.0),
        # 10 s, shorter than an event of 12 s: the mean of its windows decides (0.4)
        ([0.0, 2.0, 4.0, 6.0], [0.1, 0.7, 0.7, 0.1], 10.0, 12.0),
    ],
)
def test_other_events_of_two_windows_stay_dropped(starts, probs, recording, min_event):
    starts = np.asarray(starts)
    events = windows_to_events(
        starts,
        starts + 4.0,
        probs,
        recording_s=recording,
        sounding=np.full(64, 0.9),  # heard throughout
        sounding_step_s=0.25,
        **{**CO_RULE, "min_duration_s": min_event},
    )
    assert events == []


def test_alarm_sound_counts_only_inside_the_event():
    # A 3 s recording padded to one 4 s window: alarm sound heard in the padding (3-4 s)
    # is not the recording's.
    timeline = np.zeros(16)
    timeline[12:] = 1.0  # 1 s heard, all of it after 3 s
    options = {"recording_s": 3.0, "sounding_step_s": 0.25, **SHORT_RULE}
    assert windows_to_events([0.0], [3.0], [0.9], sounding=timeline, **options) == []
    timeline[8:12] = 1.0  # 1 s heard at 2-3 s
    assert len(windows_to_events([0.0], [3.0], [0.9], sounding=timeline, **options)) == 1


def test_an_event_the_rule_keeps_whole_needs_no_alarm_sound():
    # Three windows in a row, 8 s in the middle of a 20 s recording: the rule itself keeps it.
    starts = np.arange(9) * 2.0
    probs = [0, 0, 0.9, 0.9, 0.9, 0, 0, 0, 0]
    timeline = np.zeros(80)  # heard nowhere
    events = windows_to_events(
        starts,
        starts + 4.0,
        probs,
        min_windows=3,
        recording_s=20.0,
        sounding=timeline,
        sounding_step_s=0.25,
        **SHORT_RULE,
    )
    assert [(e["start"], e["end"]) for e in events] == [(4.0, 12.0)]
    # ... and without a timeline nothing is asked of an exception either
    assert len(windows_to_events([0.0], [3.0], [0.9], recording_s=3.0, **SHORT_RULE)) == 1


def chirp_events(sounds, *, heard_s=1.0, heard_from_s=1.25, recording=3.0, probs=(0.9,)):
    """The events of a recording of one window (or more) that the model hears ``heard_s`` of
    alarm sound in from ``heard_from_s``, and whose distinct sounds are ``sounds``."""
    starts = np.arange(len(probs)) * 2.0
    return windows_to_events(
        starts,
        np.minimum(starts + 4.0, recording),
        list(probs),
        recording_s=recording,
        sounding=beeps_timeline(heard_s, start_s=heard_from_s),
        sounding_step_s=0.25,
        sounds=sounds,
        **SHORT_RULE,
    )


def test_an_exception_event_whose_one_sound_is_a_brief_chirp_is_dropped():
    # GIVEN a 3 s recording of one window, which the model calls an alarm and hears 1 s of
    # alarm sound in (1.25-2.25 s), more than MIN_SHORT_EVENT_SOUNDING_S
    # WHEN its only sound is a chirp of 0.2 s at 1.5 s, within LONE_SOUND_REACH_S of it all
    # THEN there is no event: the model heard one chirp, smeared
    assert chirp_events([[1.5, 1.7]]) == []
    assert chirp_events([[1.5, 1.5 + LONE_SOUND_MAX_S - 0.01]]) == []
    # AND a chirp that the room's echo draws out to 13 frames of 31.25 ms (0.406 s), the
    # length most chirps that still raised an alarm had, in a recording of any length
    assert chirp_events([[1.5, 1.5 + 13 * 0.03125]], recording=2.5) == []
    # AND without the sounds, the same recording raises an alarm, as before
    assert len(chirp_events(None)) == 1


def test_in_a_recording_of_3_s_a_lone_sound_under_a_co_group_is_brief():
    # GIVEN one sound of 0.5 s, a T3 beep's length or a chirp drawn out by a room's echo
    beep = [[1.5, 2.0]]
    # WHEN the recording is 3 s long, where a T3 alarm would have sounded two beeps
    # THEN it is brief: the event goes
    assert LONE_SOUND_T3_RECORDING_S == 3.0
    assert chirp_events(beep, recording=3.0) == []
    # AND so is one of 18 frames (0.5625 s), the longest echo-drawn chirps that raised alarms
    assert chirp_events([[1.5, 1.5 + 18 * 0.03125]], recording=3.0) == []
    # BUT in a shorter recording the one beep may be all of a T3 alarm it caught: kept
    assert len(chirp_events(beep, recording=2.99)) == 1


@pytest.mark.parametrize(
    ("sounds", "recording", "why"),
    [
        ([[1.5, 2.0]], 2.5, "a T3 beep of 0.5 s in a recording too short to show two"),
        ([[1.5, 1.5 + 14 * 0.03125]], 2.5, "a T3 beep of 14 frames (0.44 s) there"),
        ([[1.3, 2.0]], 3.0, "a CO group of four pips heard as one sound of 0.7 s"),
        ([[1.5, 1.5 + 20 * 0.03125]], 3.0, "a CO group of 20 frames (0.625 s)"),
        ([[1.3, 1.4], [1.5, 1.6], [1.7, 1.8]], 3.0, "three pips: part of a CO group"),
        ([[1.5, 1.7], [2.6, 2.8]], 3.0, "two sounds in the event"),
        ([[-np.inf, 0.1]], 3.0, "a sound the recording's start cut short"),
        ([[2.9, np.inf]], 3.0, "a sound the recording's end cut short"),
        (np.zeros((0, 2)), 3.0, "no distinct sound: a steady tone is the floor"),
    ],
)
def test_an_exception_event_that_is_not_one_brief_sound_is_kept(sounds, recording, why):
    assert len(chirp_events(sounds, recording=recording)) == 1, why


def test_a_lone_chirp_does_not_drop_alarm_sound_heard_far_from_it():
    # A continuous tone is heard all along; a clink at 0.5 s is the recording's only sound.
    assert len(chirp_events([[0.5, 0.6]], heard_s=3.0, heard_from_s=0.0)) == 1
    # Heard 2-3 s, the last 0.25 s step's middle (2.875 s) further than LONE_SOUND_REACH_S
    # after a chirp ending at 1.6 s; heard 1.5-2.5 s, all of it within reach
    assert 2.875 > 1.6 + LONE_SOUND_REACH_S >= 2.375
    assert len(chirp_events([[1.5, 1.6]], heard_from_s=2.0)) == 1
    assert chirp_events([[1.5, 1.6]], heard_from_s=1.5) == []


def test_an_event_the_rule_keeps_whole_is_not_dropped_for_a_lone_sound():
    # Three alarm windows, 8 s, in the middle of a 20 s recording, hearing 1 s around a chirp
    probs = (0, 0, 0.9, 0.9, 0.9, 0, 0, 0, 0)
    events = chirp_events([[6.0, 6.2]], heard_from_s=5.5, recording=20.0, probs=probs)
    assert [(e["start"], e["end"]) for e in events] == [(4.0, 12.0)]
    # ... while the same chirp drops an edge event of two windows
    edge = (0.9, 0.9, 0, 0, 0, 0, 0, 0, 0)
    assert chirp_events([[1.5, 1.7]], recording=20.0, probs=edge) == []
    assert len(chirp_events([[1.5, 1.7], [2.2, 2.4]], recording=20.0, probs=edge)) == 1


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"sounds": np.zeros(4)}, r"shape \(k, 2\)"),
        ({"sounds": [[1.0, 0.5]]}, "end >= start"),
        ({"sounds": [[np.nan, 0.5]]}, "end >= start"),
        ({"sounding": np.zeros(16)}, "sounding_step_s"),
        ({"sounding": np.zeros(16), "sounding_step_s": 0.0}, "sounding_step_s"),
        ({"sounding": np.full(16, 1.5), "sounding_step_s": 0.25}, r"in \[0, 1\]"),
        ({"sounding": np.full(16, np.nan), "sounding_step_s": 0.25}, "finite"),
        ({"min_sounding_s": -0.1}, "min_sounding_s"),
        ({"min_central_sounding_s": -0.1}, "min_central_sounding_s"),
        ({"sounding_threshold": 1.1}, "sounding_threshold"),
    ],
)
def test_bad_sounding_arguments_raise_parameter_error(options, match):
    with pytest.raises(ParameterError, match=match):
        windows_to_events([0.0], [4.0], [0.9], recording_s=4.0, **options)


def test_an_event_is_a_continuous_tone_from_its_share_of_sounding_steps():
    # GIVEN 40 steps of 0.1 s: a T3-like rhythm (5 on, 5 off), then 20 steps all sounding
    step = 0.1
    timeline = np.array([1.0] * 5 + [0.0] * 5 + [1.0] * 5 + [0.0] * 5 + [1.0] * 20)
    # THEN the rhythm is not, the steady part is, and an event over both is not (60 %)
    assert not is_continuous_tone({"start": 0.0, "end": 2.0}, timeline, step_s=step)
    assert is_continuous_tone({"start": 2.0, "end": 4.0}, timeline, step_s=step)
    assert not is_continuous_tone({"start": 0.0, "end": 4.0}, timeline, step_s=step)


def test_continuous_tone_share_counts_steps_whose_middle_is_inside_the_event():
    step = 0.1
    # 9 of 10 steps sounding is the share exactly; 8 of 10 is under it
    nine = np.array([1.0] * 9 + [0.0])
    eight = np.array([1.0] * 8 + [0.0] * 2)
    assert CONTINUOUS_SOUND_SHARE == 0.9
    assert is_continuous_tone({"start": 0.0, "end": 1.0}, nine, step_s=step)
    assert not is_continuous_tone({"start": 0.0, "end": 1.0}, eight, step_s=step)
    # a bound a rounding error past a step's edge takes in no extra step (refined bounds)
    assert is_continuous_tone({"start": 0.0, "end": 1.0 + 1e-12}, [*nine, 0.0], step_s=step)
    quiet_after = np.array([1.0] * 10 + [0.0] * 10)
    # an event past the timeline's end counts the steps there are; one with none is not
    assert is_continuous_tone({"start": 0.5, "end": 9.0}, quiet_after[:10], step_s=step)
    assert not is_continuous_tone({"start": 5.0, "end": 6.0}, quiet_after, step_s=step)
    assert not is_continuous_tone({"start": 0.0, "end": 1.0}, [], step_s=step)
    with pytest.raises(ParameterError, match="step_s must be positive"):
        is_continuous_tone({"start": 0.0, "end": 1.0}, nine, step_s=0.0)


# ---------------------------------------------------------------- wandering tones

FRAME_S = 0.03125
FRAMES = np.arange(0, 20, FRAME_S) + FRAME_S / 2


def wandering(pitch, *, heard=None, start=0.0, end=20.0):
    prominence = np.full(FRAMES.size, 30.0) if heard is None else np.where(heard, 30.0, 5.0)
    return is_wandering_tone({"start": start, "end": end}, FRAMES, pitch, prominence)


def test_a_whistle_gliding_up_wanders():
    # a kettle's whistle rising from 2.4 to 3 kHz over the event
    assert wandering(2400 + 30 * FRAMES)


def test_a_steady_or_warbling_tone_does_not_wander():
    assert not wandering(np.full(FRAMES.size, 3100.0))
    # a warble of +-8 % at 3 Hz: each second's mean holds the pitch
    assert not wandering(3100 * (1 + 0.08 * np.sin(2 * np.pi * 3 * FRAMES)))


def test_a_drift_just_under_the_threshold_does_not_wander():
    # a linear glide's 10th-90th percentile spread of second means is 0.8 of its range
    glide = 3000 * (1 + 0.9 * WANDERING_DRIFT / 0.8 * FRAMES / 20)
    assert not wandering(glide)
    assert wandering(3000 * (1 + 1.2 * WANDERING_DRIFT / 0.8 * FRAMES / 20))


def test_a_tone_with_pauses_is_no_wandering_tone():
    # a T3 alarm whose pitch sweeps: its tone is heard in half the frames
    beeping = (FRAMES % 1.0) < 0.5
    assert not wandering(2400 + 30 * FRAMES, heard=beeping)


def test_partials_and_other_sounds_outside_the_tones_span_are_not_its_pitch():
    # every tenth frame's strongest row is an octave up: the tone is heard in 90 % of frames
    pitch = np.where(np.arange(FRAMES.size) % 10 == 0, 6000.0, 3000.0 + 30 * FRAMES)
    assert not wandering(pitch)


def test_an_event_too_short_to_read_a_drift_does_not_wander():
    glide = 2400 + 60 * FRAMES
    assert wandering(glide, end=MIN_DRIFT_SECONDS + 0.5)
    assert not wandering(glide, end=MIN_DRIFT_SECONDS - 1.0)


def test_only_the_events_frames_count():
    # a steady alarm tone for 12 s, then a whistle gliding up from 2.6 to 3.8 kHz
    pitch = np.where(FRAMES < 12, 3100.0, 2600 + 150 * (FRAMES - 12))
    assert not wandering(pitch, end=12.0)
    assert wandering(pitch, start=8.0)


def test_wandering_tone_arrays_of_different_lengths_are_refused():
    with pytest.raises(ParameterError, match="differ in length: 3, 2, 3"):
        is_wandering_tone({"start": 0, "end": 1}, [0, 1, 2], [1, 2], [1, 2, 3])


HEARD = np.ones(60)  # the model hears every 0.25 s step of 15 s


@pytest.mark.parametrize(
    "beepers, expected",
    [
        ([(5.0, 17.0)], True),
        ([(6.0, 13.0), (12.0, 16.0)], True),  # overlapping runs count once: 10 of 10 s
        ([(6.0, 10.0), (7.0, 10.0), (8.0, 10.0), (11.0, 16.0)], True),  # 9 of 10 s
        ([(6.0, 10.0), (7.0, 10.0), (8.0, 10.0), (11.0, 14.0)], False),  # 7 of 10 s
        ([(6.0, 11.0), (11.5, 15.0)], True),  # 8.5 of 10 s
        ([(16.0, 30.0)], False),
        ([], False),
        # Beeping from well before the event or to well after it: the event has bounds of its
        # own, such as an alarm's sounding while a beeper beeps on.
        ([(0.0, 17.0)], False),
        ([(5.0, 30.0)], False),
    ],
)
def test_an_event_is_a_beeper_s_when_beepers_sound_through_it_from_start_to_end(beepers, expected):
    event = {"label": "alarm", "start": 6.0, "end": 16.0, "confidence": 0.9}
    assert is_steady_beeper(event, beepers, np.ones(80), step_s=0.25) is expected


@pytest.mark.parametrize("heard_every, expected", [(1, True), (2, True), (3, False), (5, False)])
def test_an_event_whose_alarm_sound_is_sparse_is_no_beeper_s(heard_every, expected):
    # A CO alarm sounding with a beeper: the model hears its pips, a fifth of the steps.
    timeline = (np.arange(60) % heard_every == 0).astype(float)
    event = {"label": "alarm", "start": 0.0, "end": 15.0, "confidence": 0.9}
    assert is_steady_beeper(event, [(0.0, 15.0)], timeline, step_s=0.25) is expected


def test_is_steady_beeper_checks_its_shares_and_passes_an_event_of_no_length_or_steps():
    assert not is_steady_beeper({"start": 3.0, "end": 3.0}, [(0.0, 9.0)], HEARD, step_s=0.25)
    assert not is_steady_beeper({"start": 20.0, "end": 30.0}, [(0, 40)], HEARD, step_s=0.25)
    assert is_steady_beeper(
        {"start": 0.0, "end": 10.0}, [(0.0, 3.0), (7.0, 9.0)], HEARD, step_s=0.25, min_share=0.5
    )
    with pytest.raises(ParameterError, match="min_share"):
        is_steady_beeper({"start": 0.0, "end": 1.0}, [], HEARD, step_s=0.25, min_share=0.0)
    with pytest.raises(ParameterError, match="min_heard"):
        is_steady_beeper({"start": 0.0, "end": 1.0}, [], HEARD, step_s=0.25, min_heard=1.5)
    with pytest.raises(ParameterError, match="step_s"):
        is_steady_beeper({"start": 0.0, "end": 10.0}, [(0, 10)], HEARD, step_s=0.0)
