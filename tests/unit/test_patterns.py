"""The beep-pattern search: temporal-three groups found by their timing and pitch alone."""

import numpy as np
import pytest
from helpers.signals import noise, t3_alarm, tone

from sounddetect import patterns, spectrum
from sounddetect.exceptions import ParameterError
from sounddetect.patterns import BeepGroup, PatternSearch, chain_groups, t3_groups
from sounddetect.spectrum import SpectrogramConfig

SR = 16000
CONFIG = SpectrogramConfig(sr=SR)


def search_audio(y, *, config=CONFIG, block_s=7.0, **kwargs):
    """The events of PatternSearch fed ``y`` in blocks of ``block_s`` seconds (its pulse
    events, when it searches pulses)."""
    search = PatternSearch(config, **kwargs)
    step = int(block_s * config.sr)
    for first in range(0, len(y), step):
        search.add_audio(y[first : first + step])
    return search.pulse_events() if search.pulses else search.events()


def beeps(onsets_s, *, duration_s, sr=SR, beep_s=0.5, freqs_hz=520.0, amplitude=0.05):
    """Pure tones of ``beep_s`` at the onsets (one frequency, or one per beep)."""
    y = np.zeros(int(duration_s * sr), dtype=np.float32)
    for onset, freq in zip(onsets_s, np.broadcast_to(freqs_hz, len(onsets_s)), strict=True):
        start = int(onset * sr)
        y[start : start + int(beep_s * sr)] += tone(
            beep_s, sr=sr, freq_hz=freq, amplitude=amplitude
        )
    return y


def t3_onsets(first_s, groups, *, beat_s=1.0, period_s=4.0):
    return [first_s + g * period_s + b * beat_s for g in range(groups) for b in range(3)]


def test_a_dull_square_wave_alarm_in_noise_is_found_where_it_sounds(rng):
    # GIVEN a 520 Hz temporal-three alarm with no harmonics (a square-wave sounder heard
    # through a wall) from 6 s to 26 s, 9 dB under white noise
    y = noise(32.0, sr=SR, rng=rng, amplitude=0.1)
    y[6 * SR : 26 * SR] += t3_alarm(20.0, sr=SR, freq_hz=520.0, amplitude=0.05)
    # WHEN the recording is searched
    (event,) = search_audio(y)
    # THEN one event runs from the first beep to the end of the last of five groups
    assert event["label"] == "alarm"
    assert event["start"] == pytest.approx(6.0, abs=0.1)
    assert event["end"] == pytest.approx(24.5, abs=0.15)
    assert event["confidence"] == pytest.approx(patterns.pattern_confidence(5))


@pytest.mark.parametrize(
    "onsets, freqs, why",
    [
        (np.arange(1.0, 30.0, 1.0), 1000.0, "a reversing beeper: no pause"),
        (t3_onsets(2.0, 6), [520.0, 620.0, 740.0] * 6, "a melody: three pitches"),
        (t3_onsets(2.0, 2), 520.0, "two groups, under the default three"),
        (
            [2, 3, 4, 8.5, 9.5, 10.5, 13.0, 14.0, 15.0, 20.5, 21.5, 22.5],
            520.0,
            "groups after random pauses (4.5, 2.5 and 7.5 s)",
        ),
    ],
)
def test_beeping_that_is_no_temporal_three_alarm_is_not_found(rng, onsets, freqs, why):
    y = beeps(onsets, duration_s=32.0, freqs_hz=freqs) + noise(32.0, sr=SR, rng=rng, amplitude=0.01)
    assert search_audio(y) == [], why


def test_a_metronome_with_an_accented_downbeat_is_not_found(rng):
    # Blips every second, each fourth an accent at another pitch: in the plain blips' band
    # three beats and a silent one, the rhythm of a temporal-three alarm, but 0.25 s blips
    # are too short for its beeps.
    onsets = np.arange(1.0, 30.0, 1.0)
    freqs = np.where(np.arange(onsets.size) % 4 == 0, 2600.0, 2000.0)
    y = beeps(onsets, duration_s=32.0, freqs_hz=freqs, beep_s=0.25)
    assert search_audio(y + noise(32.0, sr=SR, rng=rng, amplitude=0.01)) == []
    # The same rhythm with half-second beeps is an alarm's.
    y = beeps(onsets, duration_s=32.0, freqs_hz=freqs, beep_s=0.5)
    assert len(search_audio(y + noise(32.0, sr=SR, rng=rng, amplitude=0.01))) == 1


def test_two_groups_make_an_event_when_asked_for_two(rng):
    y = beeps(t3_onsets(2.0, 2), duration_s=16.0) + noise(16.0, sr=SR, rng=rng, amplitude=0.01)
    (event,) = search_audio(y, min_groups=2)
    assert event["start"] == pytest.approx(2.0, abs=0.1)
    assert event["confidence"] == pytest.approx(0.5)


def test_a_held_tone_in_the_rhythm_is_no_beep_group():
    # Onsets a beat apart, but each tone lasts until the next: one long sound, no beeps.
    onsets = [1.0, 2.0, 3.0]
    groups = t3_groups(
        np.array(onsets), np.array(onsets) + 1.0, np.full(3, 520.0), resolution_hz=20
    )
    assert groups == []


def test_the_beat_and_the_pause_bound_a_group():
    pitches = np.full(6, 3125.0)
    slow = np.array([0.0, 1.5, 3.0, 6.0, 7.5, 9.0])  # a 1.5 s beat: slower than any alarm
    assert t3_groups(slow, slow + 0.5, pitches, resolution_hz=30) == []
    # Four beeps a beat apart: the second, third and fourth have no pause before them.
    four = np.array([0.0, 1.0, 2.0, 3.0])
    assert t3_groups(four, four + 0.5, pitches[:4], resolution_hz=30) == []


def test_runs_keep_their_period_and_pitch():
    groups = [BeepGroup(4.0 * k, 4.0 * k + 2.5, 1.0, 520.0) for k in range(4)]
    assert [len(run) for run in chain_groups(groups, resolution_hz=20)] == [4]
    # A group at another pitch, or a period that drifts by a tenth, ends the run.
    retuned = groups[:2] + [BeepGroup(8.0, 10.5, 1.0, 700.0), BeepGroup(12.0, 14.5, 1.0, 700.0)]
    assert chain_groups(retuned, resolution_hz=20) == []
    drifting = groups[:2] + [BeepGroup(8.4, 10.9, 1.0, 520.0)]
    assert chain_groups(drifting, resolution_hz=20) == []
    with pytest.raises(ParameterError, match="min_groups"):
        chain_groups(groups, resolution_hz=20, min_groups=0)


def test_a_run_passes_over_one_group_not_heard(rng):
    # GIVEN a temporal-three alarm of five groups whose third is masked (no beeps at all)
    heard = [g for g in range(5) if g != 2]
    onsets = [2.0 + g * 4.0 + b for g in heard for b in range(3)]
    y = beeps(onsets, duration_s=24.0) + noise(24.0, sr=SR, rng=rng, amplitude=0.01)
    # THEN one event runs from the first beep to the end of the last group, of four groups
    (event,) = search_audio(y)
    assert event["start"] == pytest.approx(2.0, abs=0.1)
    assert event["end"] == pytest.approx(20.5, abs=0.15)
    assert event["confidence"] == pytest.approx(patterns.pattern_confidence(4))


def test_a_voice_alarm_speaking_in_place_of_every_other_group_is_found(rng):
    # Beeps in groups at 0, 8, 16 and 24 s (+2): a message fills every other 4 s cycle.
    onsets = [2.0 + g * 4.0 + b for g in (0, 2, 4, 6) for b in range(3)]
    y = beeps(onsets, duration_s=32.0) + noise(32.0, sr=SR, rng=rng, amplitude=0.01)
    (event,) = search_audio(y)
    assert event["start"] == pytest.approx(2.0, abs=0.1)
    assert event["end"] == pytest.approx(28.5, abs=0.15)


@pytest.mark.parametrize(
    "heard, runs",
    [
        ([0, 2, 3], [3]),  # the second group missed
        ([0, 2, 4, 6], [4]),  # every other group missed (masked in turn)
        ([0, 1, 4, 5], []),  # two groups in a row missed
        ([0, 1, 4], []),
    ],
)
def test_a_run_passes_over_one_missed_group_at_a_time(heard, runs):
    groups = [BeepGroup(4.0 * k, 4.0 * k + 2.5, 1.0, 520.0) for k in heard]
    assert [len(run) for run in chain_groups(groups, resolution_hz=20)] == runs


def test_a_stray_pairing_does_not_use_up_the_start_of_a_run():
    # Groups found behind a door (alarm_recordings.py --seed 4): at 11.72 s one that pairs
    # with the group at 22.25 s over a missed one (5.3 s a period), then a run of 3.55 s.
    starts = [4.56, 8.31, 11.72, 22.25, 25.81, 32.91]
    groups = [BeepGroup(t, t + 2.5, 0.95, 593.0) for t in starts]
    (run,) = chain_groups(groups, resolution_hz=30)
    assert [group.start for group in run] == [22.25, 25.81, 32.91]


def test_a_group_after_a_missed_one_keeps_the_period():
    groups = [BeepGroup(4.0 * k, 4.0 * k + 2.5, 1.0, 520.0) for k in range(2)]
    on_time = groups + [BeepGroup(12.3, 14.8, 1.0, 520.0)]  # 4.15 s a period: within 6 %
    assert [len(run) for run in chain_groups(on_time, resolution_hz=20)] == [3]
    late = groups + [BeepGroup(12.6, 15.1, 1.0, 520.0)]  # 4.3 s a period: 7.5 % off
    assert chain_groups(late, resolution_hz=20) == []


def test_blocks_of_any_size_give_the_same_events(rng):
    y = noise(40.0, sr=SR, rng=rng, amplitude=0.05)
    y[5 * SR : 35 * SR] += t3_alarm(30.0, sr=SR, freq_hz=3100.0, amplitude=0.2)
    expected = search_audio(y, block_s=40.0)
    assert len(expected) == 1
    assert search_audio(y, block_s=0.37) == expected == search_audio(y, block_s=3.0)


def test_the_frames_rendered_for_the_classifier_give_the_same_events(rng):
    # GIVEN the frames render_windows shares between 4 s windows at a 2 s hop
    y = noise(30.0, sr=SR, rng=rng, amplitude=0.05)
    y[4 * SR : 24 * SR] += t3_alarm(20.0, sr=SR, freq_hz=520.0, amplitude=0.1)
    shared = PatternSearch(CONFIG)
    starts = np.arange(0, len(y) - CONFIG.window_samples + 1, 2 * SR)
    spectrum.render_windows(y, config=CONFIG, starts=starts, on_frames=shared.add_frames)
    # THEN the search finds what it finds in the audio itself
    assert shared.events() == search_audio(y) != []


def test_frames_handed_over_twice_or_late_are_taken_once_and_gaps_stay_silent():
    search = PatternSearch(CONFIG)
    frames = np.zeros((50, CONFIG.n_mels), dtype=np.float32)
    search.add_frames(0, frames)
    search.add_frames(20, frames)  # frames 20-69: only 50-69 are new
    assert search.n_frames == 70
    search.add_frames(80, frames)  # frames 70-79 were never rendered
    assert search.n_frames == 130


def test_a_long_alarm_is_one_event_and_memory_stays_bounded(rng):
    # GIVEN 5 min of noise with an alarm from 100 s to 250 s: longer than one search stretch
    y = noise(300.0, sr=SR, rng=rng, amplitude=0.05)
    y[100 * SR : 250 * SR] += t3_alarm(150.0, sr=SR, freq_hz=3100.0, amplitude=0.2)
    search = PatternSearch(CONFIG)
    most_buffered = 0
    for first in range(0, len(y), 10 * SR):
        search.add_audio(y[first : first + 10 * SR])
        most_buffered = max(most_buffered, search._buffered)
    # THEN the stretches' events join into one over the alarm
    (event,) = search.events()
    assert event["start"] == pytest.approx(100.0, abs=0.1)
    assert event["end"] == pytest.approx(246.5, abs=0.15)  # the last whole group: 244-246.5 s
    assert most_buffered * search.frame_s <= patterns.SEARCH_S + patterns.OVERLAP_S + 10.0


def test_frames_config_reads_the_classifier_s_frames_when_it_can():
    assert patterns.frames_config(CONFIG) is CONFIG
    linear = CONFIG.replace(kind="linear")
    assert patterns.frames_config(linear) is linear
    own = patterns.frames_config(CONFIG.replace(kind="cqt"))
    assert own == CONFIG.replace(kind="mel")
    narrow = SpectrogramConfig(sr=8000, fmax=4000.0, kind="chroma")
    assert patterns.frames_config(narrow) == narrow.replace(kind="mel")
    with pytest.raises(ParameterError, match="mel or linear"):
        PatternSearch(CONFIG.replace(kind="chroma"))


def test_an_8khz_model_s_missing_bands_stay_silent(rng):
    # A config that shows only up to 4 kHz: the bands above hold no rows and never beep.
    config = SpectrogramConfig(sr=8000, fmax=4000.0)
    y = noise(30.0, sr=8000, rng=rng, amplitude=0.05)
    y[4 * 8000 : 24 * 8000] += t3_alarm(20.0, sr=8000, freq_hz=520.0, amplitude=0.1)
    (event,) = search_audio(y, config=config)
    assert event["start"] == pytest.approx(4.0, abs=0.1)


def recording_sounds(y, *, config=CONFIG):
    """The sounds a PatternSearch fed all of ``y`` keeps."""
    search = PatternSearch(config)
    search.add_audio(y)
    search.events()
    return search.sounds


def test_a_chirp_with_harmonics_is_one_brief_sound(rng):
    # GIVEN 3 s of quiet noise with a 0.1 s piezo chirp at 1.2 s: 3.1 kHz and its 6.2 kHz
    # harmonic, in two bands
    y = noise(3.0, sr=SR, rng=rng, amplitude=0.002)
    start = int(1.2 * SR)
    y[start : start + SR // 10] += tone(0.1, sr=SR, freq_hz=3100.0, amplitude=0.3) + tone(
        0.1, sr=SR, freq_hz=6200.0, amplitude=0.1
    )
    # THEN the search keeps one sound, where the chirp is, lasting about as long
    ((first, last),) = recording_sounds(y)
    assert first == pytest.approx(1.2, abs=0.07) and last == pytest.approx(1.3, abs=0.07)
    assert last - first < 0.2


def test_beeps_and_pips_are_sounds_of_their_own_and_a_steady_tone_is_none(rng):
    # T3 beeps of 0.5 s: each is a sound as long as itself
    y = noise(6.0, sr=SR, rng=rng, amplitude=0.002) + beeps([1.0, 2.0, 3.0], duration_s=6.0)
    sounds = recording_sounds(y)
    assert len(sounds) == 3
    assert np.allclose(sounds[:, 1] - sounds[:, 0], 0.5, atol=0.1)
    # a CO group: four 0.1 s pips 0.1 s apart, one sound of the group's 0.7 s (64 ms frames
    # blur the gaps), no brief one
    y = noise(6.0, sr=SR, rng=rng, amplitude=0.002)
    y += beeps([2.0, 2.2, 2.4, 2.6], duration_s=6.0, beep_s=0.1, freqs_hz=3100.0)
    ((first, last),) = recording_sounds(y)
    assert first == pytest.approx(2.0, abs=0.07) and last == pytest.approx(2.7, abs=0.07)
    # a tone held from the start to the end: it is the band's floor, no sound of its own
    y = noise(6.0, sr=SR, rng=rng, amplitude=0.002) + tone(6.0, sr=SR, amplitude=0.1)
    assert len(recording_sounds(y)) == 0


def test_a_sound_the_recording_cuts_short_has_no_known_bound(rng):
    y = noise(3.0, sr=SR, rng=rng, amplitude=0.002)
    y[: SR // 5] += tone(0.2, sr=SR, amplitude=0.3)  # sounding when the recording starts
    y[-SR // 5 :] += tone(0.2, sr=SR, freq_hz=1000.0, amplitude=0.3)  # and when it ends
    (first, last) = recording_sounds(y)
    assert first[0] == -np.inf and 0.1 < first[1] < 0.3
    assert 2.7 < last[0] < 2.9 and last[1] == np.inf


def test_a_search_for_no_patterns_still_finds_the_sounds(rng):
    # GIVEN four groups of a T3 alarm, which the search finds as a pattern
    y = noise(20.0, sr=SR, rng=rng, amplitude=0.002) + beeps(t3_onsets(1.0, 4), duration_s=20.0)
    search = PatternSearch(CONFIG, min_groups=None)
    search.add_audio(y)
    # THEN asked for no patterns it finds none, but the twelve beeps as sounds
    assert search.events() == [] and len(search_audio(y)) == 1
    assert len(search.sounds) == 12


def test_patterns_found_in_the_sounds_segments_are_those_found_alone(rng):
    # GIVEN a T3 alarm with pips, clicks and a CO group about it, whose frames the search
    # cuts into sounds once for loud_sounds and the pattern search both
    y = noise(40.0, sr=SR, rng=rng, amplitude=0.01)
    y += beeps(t3_onsets(2.0, 5), duration_s=40.0, freqs_hz=3100.0, amplitude=0.1)
    y += beeps([25.0, 25.2, 25.4, 25.6, 31.0, 33.3], duration_s=40.0, beep_s=0.1)
    rows_db = spectrum.frame_levels(y, config=CONFIG)
    row_hz, frame_s = spectrum.row_frequencies(CONFIG), CONFIG.hop_length / SR
    segments = patterns.sound_segments(rows_db, row_hz=row_hz, frame_s=frame_s)
    alone = patterns.find_t3_events(rows_db, row_hz=row_hz, frame_s=frame_s)
    assert len(alone) == 1
    shared = patterns.find_t3_events(rows_db, row_hz=row_hz, frame_s=frame_s, segments=segments)
    assert shared == alone


def test_sounds_are_kept_only_for_a_recording_searched_in_one_stretch(rng):
    search = PatternSearch(CONFIG)
    assert search.sounds is None
    for _ in range(16):  # 160 s, more than one stretch
        search.add_audio(noise(10.0, sr=SR, rng=rng, amplitude=0.002))
    search.events()
    assert search.sounds is None
    assert recording_sounds(noise(3.0, sr=SR, rng=rng, amplitude=0.002)).shape == (0, 2)


def test_frames_that_do_not_fit_their_frequencies_are_refused_not_searched_empty(rng):
    # GIVEN a square-wave alarm's frames, which the search finds when called right
    y = beeps(t3_onsets(1.0, 4), duration_s=20.0) + noise(20.0, sr=SR, rng=rng, amplitude=0.002)
    rows_db = spectrum.frame_levels(y, config=CONFIG)
    row_hz = spectrum.row_frequencies(CONFIG)
    frame_s = CONFIG.hop_length / CONFIG.sr
    assert patterns.find_t3_events(rows_db, row_hz=row_hz, frame_s=frame_s)
    # WHEN they are transposed, cut from their frequencies or stepped in milliseconds
    # THEN each is a ParameterError that says which; they had given no events, unsaid
    for wrong, match in (
        ({"rows_db": rows_db.T}, r"rows_db must be \(frames, rows\)"),
        ({"row_hz": row_hz[:64]}, r"a row per row_hz \(64\)"),
        ({"row_hz": row_hz[::-1]}, "ascending"),
        ({"frame_s": 1000 * frame_s}, "frame step in seconds"),
        ({"frame_s": 0.0}, "frame step in seconds"),
    ):
        options = {"rows_db": rows_db, "row_hz": row_hz, "frame_s": frame_s, **wrong}
        with pytest.raises(ParameterError, match=match):
            patterns.find_t3_events(options.pop("rows_db"), **options)


def test_a_search_refuses_frames_of_another_shape_and_integer_audio():
    search = PatternSearch(CONFIG)
    with pytest.raises(ParameterError, match=r"frames must be \(frames, \d+\) for this config"):
        search.add_frames(0, np.zeros((10, 5), np.float32))
    with pytest.raises(ParameterError, match="scale it to"):
        search.add_audio(np.zeros(SR, np.int16))
    assert search.n_frames == 0 and search.events() == []
    with pytest.raises(ParameterError, match="n_groups must be >= 1"):
        patterns.pattern_confidence(0)


def test_tone_track_finds_a_tones_pitch_and_how_it_stands_out(rng):
    config = patterns.frames_config(SpectrogramConfig())
    row_hz = spectrum.row_frequencies(config)
    for freq in (520.0, 1100.0, 3100.0, 4400.0):
        audio = tone(2.0, sr=config.sr, freq_hz=freq) + noise(
            2.0, sr=config.sr, rng=rng, amplitude=0.01
        )
        pitch, prominence = patterns.tone_track(
            spectrum.frame_levels(audio, config=config), row_hz=row_hz
        )
        # mel rows are 3-6 % apart here; the parabola lands within 2 %
        assert np.median(np.abs(pitch / freq - 1)) < 0.02, freq
        assert np.median(prominence) > 20
    frames = spectrum.frame_levels(noise(2.0, sr=config.sr, rng=rng), config=config)
    assert np.median(patterns.tone_track(frames, row_hz=row_hz)[1]) < 20


def test_pattern_search_keeps_every_frames_tone_track(rng):
    config = patterns.frames_config(SpectrogramConfig())
    search = PatternSearch(config, min_groups=None)
    audio = np.concatenate(
        [tone(3.0, sr=config.sr, freq_hz=2000.0), tone(3.0, sr=config.sr, freq_hz=3000.0)]
    )
    for block in np.split(audio, 6):
        search.add_audio(block)
    middles, pitch, prominence = search.tone_track()
    assert middles.size == pitch.size == prominence.size == search.n_frames
    assert np.allclose(np.diff(middles), config.hop_length / config.sr)
    assert abs(np.median(pitch[middles < 2.8]) / 2000 - 1) < 0.02
    assert abs(np.median(pitch[middles > 3.2]) / 3000 - 1) < 0.02


def square_beeps(onsets_s, *, duration_s, beep_s, freq_hz, amplitude=0.05):
    """Beeps of a square wave's odd partials up to 4.5 kHz, each at 1/k of the fundamental."""
    y = np.zeros(int(duration_s * SR), dtype=np.float32)
    for k in range(1, 100, 2):
        if k * freq_hz > 4500.0:
            break
        y += beeps(
            onsets_s,
            duration_s=duration_s,
            beep_s=beep_s,
            freqs_hz=k * freq_hz,
            amplitude=amplitude / k,
        )
    return y


def test_a_piezo_beeping_every_second_is_found_only_when_asked(rng):
    # GIVEN a 3.1 kHz piezo beeping 0.4 s every second from 3 s to 27 s, as some smoke and
    # heat alarms do in place of the temporal-three pattern, over noise
    y = beeps(np.arange(3.0, 27.0, 1.0), duration_s=32.0, beep_s=0.4, freqs_hz=3100.0)
    y += noise(32.0, sr=SR, rng=rng, amplitude=0.01)
    # WHEN searched with and without the pulse search
    # THEN only the pulse search finds it, from its first beep to the end of its last, and
    # keeps it apart from the temporal-three events
    assert search_audio(y) == []
    search = PatternSearch(CONFIG, pulses=True)
    search.add_audio(y)
    assert search.events() == []
    (event,) = search.pulse_events()
    assert event["label"] == "alarm"
    assert event["start"] == pytest.approx(3.0, abs=0.1)
    assert event["end"] == pytest.approx(26.4, abs=0.15)
    assert event["confidence"] == pytest.approx(patterns.pulse_confidence(23.4), abs=0.01)


def test_a_short_and_a_longer_beep_every_second_is_a_pulse_train():
    # A cycle of two beeps (0.1 s, then 0.3 s from 0.3 s on), repeating every second.
    onsets = np.sort(np.concatenate([np.arange(20.0), np.arange(20.0) + 0.3]))
    offsets = onsets + np.where(np.arange(40) % 2, 0.3, 0.1)
    (train,) = patterns.pulse_trains(onsets, offsets, np.full(40, 3300.0), resolution_hz=40.0)
    # The run is followed on each cycle's first beep.
    assert (train.start, train.end, train.period) == (0.0, 19.1, 1.0)
    # Two beeps a cycle at two pitches, though, are no such cycle.
    pitches = np.where(np.arange(40) % 2, 3300.0, 3700.0)
    assert patterns.pulse_trains(onsets, offsets, pitches, resolution_hz=40.0) == []


def test_a_pulse_train_is_followed_through_late_onsets_and_an_unheard_beep(rng):
    # Beeps every 0.8 s for 24 s, each heard up to 0.08 s early or late, one not at all.
    onsets = np.arange(30) * 0.8 + rng.uniform(-0.08, 0.08, size=30)
    onsets = np.delete(onsets, 12)
    (train,) = patterns.pulse_trains(onsets, onsets + 0.25, np.full(29, 3300.0), resolution_hz=40.0)
    assert train.start == onsets[0] and train.end == onsets[-1] + 0.25
    assert train.period == pytest.approx(0.8, abs=0.03)


@pytest.mark.parametrize(
    "onsets, lengths, pitches, why",
    [
        (np.arange(10.0), 0.4, 3100.0, "9.4 s of beeping, under the 12 s an event needs"),
        (np.arange(20.0), 0.95, 3100.0, "a tone held for 0.95 of every second"),
        (np.arange(20.0), 0.4, np.where(np.arange(20) % 2, 3100.0, 3400.0), "two pitches"),
        (np.cumsum(np.tile([0.8, 1.3], 10)), 0.4, 3100.0, "beeps at two alternating gaps"),
        (np.cumsum(np.tile([1.0, 1.0, 2.6], 8)), 0.4, 3100.0, "groups of three, long pauses"),
        (np.arange(0.0, 30.0, 2.5), 0.4, 3100.0, "a beep every 2.5 s, slower than alarms"),
    ],
)
def test_beeping_that_is_no_steady_alarm_is_no_pulse_train(onsets, lengths, pitches, why):
    onsets = np.asarray(onsets, dtype=float)
    pitches = np.broadcast_to(pitches, onsets.shape)
    trains = patterns.pulse_trains(onsets, onsets + lengths, pitches, resolution_hz=40.0)
    assert trains == [], why


def test_a_beeps_onset_split_from_the_rest_of_it_is_one_beep():
    # Each 0.4 s beep heard as a 0.06 s onset, a 0.08 s gap and the rest.
    starts = np.arange(16.0)
    onsets = np.sort(np.concatenate([starts, starts + 0.14]))
    offsets = np.sort(np.concatenate([starts + 0.06, starts + 0.4]))
    (train,) = patterns.pulse_trains(onsets, offsets, np.full(32, 3100.0), resolution_hz=40.0)
    assert (train.start, train.end, train.period) == (0.0, 15.4, 1.0)


@pytest.mark.parametrize("freq_hz", [1100.0, 1250.0])
def test_a_reversing_beepers_square_wave_is_not_found_by_its_piezo_band_partial(rng, freq_hz):
    # A reversing beeper at 1.1-1.25 kHz: its third partial (3.3-3.75 kHz) beeps steadily
    # in the piezo band, under its louder fundamental.
    onsets = np.arange(1.0, 30.0, 1.0)
    y = square_beeps(onsets, duration_s=32.0, beep_s=0.5, freq_hz=freq_hz)
    y += noise(32.0, sr=SR, rng=rng, amplitude=0.005)
    assert search_audio(y, min_groups=None, pulses=True) == []
    # The same beeper at a piezo's pitch is found.
    y = square_beeps(onsets, duration_s=32.0, beep_s=0.5, freq_hz=3 * freq_hz)
    y += noise(32.0, sr=SR, rng=rng, amplitude=0.005)
    assert len(search_audio(y, min_groups=None, pulses=True)) == 1


def test_pulse_confidence_grows_with_the_beeping_heard():
    assert patterns.pulse_confidence(patterns.PULSE_MIN_S) == pytest.approx(0.75)
    assert patterns.pulse_confidence(2 * patterns.PULSE_MIN_S) == pytest.approx(0.875)
    with pytest.raises(ParameterError, match="min_s"):
        patterns.pulse_confidence(10.0, min_s=0.0)


def test_the_search_finds_the_pulses_that_frames_searched_alone_give(rng):
    # The search hands find_pulse_events the tone track it keeps; alone, it computes one.
    y = beeps(np.arange(3.0, 27.0, 0.9), duration_s=32.0, beep_s=0.3, freqs_hz=2900.0)
    y += noise(32.0, sr=SR, rng=rng, amplitude=0.01)
    frames = spectrum.frame_levels(y, config=CONFIG)
    alone = patterns.find_pulse_events(
        frames,
        row_hz=spectrum.row_frequencies(CONFIG),
        frame_s=CONFIG.hop_length / CONFIG.sr,
    )
    assert len(alone) == 1
    assert search_audio(y, min_groups=None, pulses=True) == alone


def test_steady_beeping_across_two_search_stretches_is_one_event(rng):
    # Beeping from 100 s to 160 s: the first 120 s stretch ends inside it, the next begins
    # 30 s before that end.
    y = beeps(np.arange(100.0, 160.0, 1.0), duration_s=200.0, beep_s=0.4, freqs_hz=3100.0)
    y += noise(200.0, sr=SR, rng=rng, amplitude=0.01)
    (event,) = search_audio(y, min_groups=None, pulses=True, block_s=13.0)
    assert event["start"] == pytest.approx(100.0, abs=0.1)
    assert event["end"] == pytest.approx(159.4, abs=0.15)


@pytest.mark.parametrize(
    "search", [patterns.find_t3_events, patterns.find_pulse_events, patterns.find_beepers]
)
def test_a_stretch_of_no_frames_holds_no_events(search):
    row_hz = spectrum.row_frequencies(CONFIG)
    frames = np.zeros((0, row_hz.size), dtype=np.float32)
    assert search(frames, row_hz=row_hz, frame_s=CONFIG.hop_length / CONFIG.sr) == []


def test_a_sound_at_another_pitch_where_a_beep_is_due_is_an_unheard_beat():
    # Beeps every second at 3.1 kHz for 20 s; the tenth is a 3.6 kHz sound instead.
    onsets = np.arange(20.0)
    pitches = np.where(np.arange(20) == 9, 3600.0, 3100.0)
    (train,) = patterns.pulse_trains(onsets, onsets + 0.4, pitches, resolution_hz=40.0)
    assert (train.start, train.end, train.pitch) == (0.0, 19.4, 3100.0)


def test_steady_sound_refused_is_followed_once_not_once_a_beep(monkeypatch):
    # Two minutes of 62 ms ticks every 0.5 s: too short for beeps, refused however it is
    # cut. The tracker follows it once per lag and reuses the run for every later start.
    calls = []
    track = patterns._track_beats
    monkeypatch.setattr(patterns, "_track_beats", lambda *a, **k: calls.append(1) or track(*a, **k))
    onsets = np.arange(240) * 0.5
    assert (
        patterns.pulse_trains(onsets, onsets + 0.062, np.full(240, 2800.0), resolution_hz=40.0)
        == []
    )
    assert len(calls) <= 4


def beepers_of(y):
    """The steady beepers PatternSearch finds in ``y`` (fed in 7 s blocks)."""
    search = PatternSearch(CONFIG, min_groups=None, pulses=True)
    for first in range(0, len(y), 7 * SR):
        search.add_audio(y[first : first + 7 * SR])
    return search.beepers()


@pytest.mark.parametrize("freq_hz", [1100.0, 520.0, 1800.0])
def test_a_reversing_beeper_below_the_piezo_band_is_a_steady_beeper(rng, freq_hz):
    # GIVEN a square-wave beeper sounding 0.5 s every 1.2 s from 2 s to 30 s over noise
    onsets = np.arange(2.0, 30.0, 1.2)
    y = square_beeps(onsets, duration_s=32.0, beep_s=0.5, freq_hz=freq_hz)
    y += noise(32.0, sr=SR, rng=rng, amplitude=0.005)
    # WHEN the search looks for beepers
    (beeper,) = beepers_of(y)
    # THEN it finds the beeper at its fundamental, over the whole beeping
    assert beeper.pitch == pytest.approx(freq_hz, rel=0.03)
    assert beeper.period == pytest.approx(1.2, abs=0.02)
    assert beeper.start == pytest.approx(2.0, abs=0.1)
    assert beeper.end == pytest.approx(onsets[-1] + 0.5, abs=0.15)
    # AND frames searched alone, without the search's tone track, give the same
    frames = spectrum.frame_levels(y, config=CONFIG)
    alone = patterns.find_beepers(
        frames, row_hz=spectrum.row_frequencies(CONFIG), frame_s=CONFIG.hop_length / CONFIG.sr
    )
    assert alone == [beeper]


def test_a_piezo_s_steady_beeping_is_no_beeper(rng):
    # The piezo band's steady beeping is the pulse search's (an alarm on request), not a
    # beeper's.
    y = beeps(np.arange(2.0, 30.0, 1.0), duration_s=32.0, beep_s=0.4, freqs_hz=3100.0)
    y += noise(32.0, sr=SR, rng=rng, amplitude=0.005)
    assert beepers_of(y) == []
    assert len(search_audio(y, min_groups=None, pulses=True)) == 1


def warble(duration_s, *, freqs_hz=(600.0, 900.0), step_s=0.5, amplitude=0.05):
    """Two tones in turn, ``step_s`` each: a warbling sounder."""
    t = np.arange(int(duration_s * SR)) / SR
    freq = np.where((t // step_s) % 2 == 0, freqs_hz[0], freqs_hz[1])
    return (amplitude * np.sin(2 * np.pi * np.cumsum(freq) / SR)).astype(np.float32)


def test_beeping_whose_gaps_hold_another_tone_is_no_beeper(rng, monkeypatch):
    # GIVEN a warbling sounder (600 and 900 Hz in turn, each beeping in its own band) and a
    # 1.1 kHz beeper with a temporal-three alarm at 3.1 kHz sounding in its gaps
    warbling = warble(30.0) + noise(30.0, sr=SR, rng=rng, amplitude=0.005)
    onsets = np.arange(1.0, 29.0, 1.2)
    beeper = square_beeps(onsets, duration_s=30.0, beep_s=0.5, freq_hz=1100.0, amplitude=0.03)
    alarm = t3_alarm(30.0, sr=SR, freq_hz=3100.0, amplitude=0.05)
    with_alarm = beeper + alarm + noise(30.0, sr=SR, rng=rng, amplitude=0.005)
    # WHEN the search looks for beepers
    # THEN neither is one: between the beeps another tone sounds
    assert beepers_of(warbling) == []
    assert beepers_of(with_alarm) == []
    # AND the beeper alone is
    assert len(beepers_of(beeper + noise(30.0, sr=SR, rng=rng, amplitude=0.005))) == 1
    # AND with any tone allowed between the beeps, each is found: the gaps refused them
    monkeypatch.setattr(patterns, "BEEPER_GAP_TONAL", 1.0)
    assert sorted(round(b.pitch, -2) for b in beepers_of(warbling)) == [600.0, 900.0]
    assert [round(b.pitch, -2) for b in beepers_of(with_alarm)] == [1100.0]
