"""The synthetic corpus: patterns, tones, backgrounds, rooms and the corpus layout."""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import shutil
from collections import Counter

import numpy as np
import pytest
import soundfile as sf

from sounddetect import synth
from sounddetect.cli import synth as synth_cli
from sounddetect.exceptions import ParameterError
from sounddetect.synth import backgrounds

SR = 16000


def frame_envelope(y, *, sr, frame_s=0.005):
    """RMS per frame, and the frame rate."""
    hop = round(frame_s * sr)
    frames = y[: len(y) // hop * hop].reshape(-1, hop)
    return np.sqrt(np.mean(frames**2, axis=1)), 1.0 / frame_s


def on_runs(envelope, rate, *, threshold):
    """Onset and offset times (s) of runs where ``envelope`` exceeds ``threshold``."""
    above = np.concatenate([[False], envelope > threshold, [False]]).astype(int)
    edges = np.diff(above)
    return np.flatnonzero(edges == 1) / rate, np.flatnonzero(edges == -1) / rate


def band_envelope(y, *, sr, low_hz, high_hz, frame_s=0.01):
    """Energy per frame between ``low_hz`` and ``high_hz``."""
    hop = round(frame_s * sr)
    frames = y[: len(y) // hop * hop].reshape(-1, hop) * np.hanning(hop)
    spectrum = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    freqs = np.fft.rfftfreq(hop, 1.0 / sr)
    band = (freqs >= low_hz) & (freqs <= high_hz)
    return spectrum[:, band].sum(axis=1), 1.0 / frame_s


def peak_frequency(y, *, sr):
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return np.fft.rfftfreq(len(y), 1.0 / sr)[np.argmax(spectrum)]


def level_at(y, frequency_hz, *, sr):
    """Spectral magnitude (dB) at a frequency (max over +-10 Hz)."""
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    freqs = np.fft.rfftfreq(len(y), 1.0 / sr)
    near = np.abs(freqs - frequency_hz) <= 10
    return 20 * np.log10(spectrum[near].max() + 1e-12)


def file_hashes(root):
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# Patterns -------------------------------------------------------------------------------


def test_t3_pattern_is_three_half_second_beeps_then_a_long_gap():
    intervals = synth.t3_pattern(duration=8.0)
    np.testing.assert_allclose(
        intervals, [[0, 0.5], [1, 1.5], [2, 2.5], [4, 4.5], [5, 5.5], [6, 6.5]]
    )


def test_t4_pattern_is_four_short_beeps_then_five_seconds_off():
    intervals = synth.t4_pattern(duration=5.6)
    np.testing.assert_allclose(intervals, [[0, 0.1], [0.2, 0.3], [0.4, 0.5], [0.6, 0.7]])


def test_jittered_pattern_stays_near_nominal_and_is_seeded():
    a = synth.t3_pattern(duration=40.0, jitter_s=0.02, seed=3)
    b = synth.t3_pattern(duration=40.0, jitter_s=0.02, seed=3)
    c = synth.t3_pattern(duration=40.0, jitter_s=0.02, seed=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    on = a[:-1, 1] - a[:-1, 0]
    assert np.all(np.abs(on - 0.5) <= 0.06) and np.std(on) > 0.005


def test_pattern_starting_before_the_clip_is_cropped():
    intervals = synth.t3_pattern(duration=4.0, start_s=-0.25)
    np.testing.assert_allclose(intervals, [[0, 0.25], [0.75, 1.25], [1.75, 2.25], [3.75, 4.0]])


def test_beep_pattern_rejects_nonsense():
    with pytest.raises(ParameterError, match="on_s"):
        synth.beep_pattern(duration=4.0, on_s=0.0, off_s=0.5, n_beeps=3, gap_s=1.5)


# Alarms ---------------------------------------------------------------------------------


def test_rendered_t3_envelope_has_t3_timing():
    spec = synth.AlarmSpec(f0_hz=3100.0, duration_s=8.0, start_s=0.25)
    y = synth.render_alarm(spec, sr=SR, seed=1)
    envelope, rate = frame_envelope(y, sr=SR)
    onsets, offsets = on_runs(envelope, rate, threshold=0.5 * envelope.max())
    np.testing.assert_allclose(offsets - onsets, 0.5, atol=0.02)
    gaps = onsets[1:] - offsets[:-1]
    np.testing.assert_allclose(gaps, [0.5, 0.5, 1.5, 0.5, 0.5], atol=0.02)


def test_rendered_t4_envelope_has_t4_timing():
    spec = synth.AlarmSpec(
        kind="t4piezo",
        pattern="t4",
        f0_hz=3300.0,
        on_s=0.1,
        off_s=0.1,
        gap_s=5.0,
        duration_s=11.5,
        start_s=0.5,
        attack_s=0.003,
        release_s=0.003,
    )
    y = synth.render_alarm(spec, sr=SR, seed=1)
    envelope, rate = frame_envelope(y, sr=SR)
    onsets, offsets = on_runs(envelope, rate, threshold=0.5 * envelope.max())
    assert len(onsets) == 8
    np.testing.assert_allclose(offsets - onsets, 0.1, atol=0.01)
    np.testing.assert_allclose(
        onsets[1:] - offsets[:-1], [0.1, 0.1, 0.1, 5.0, 0.1, 0.1, 0.1], atol=0.01
    )


def test_render_alarm_is_deterministic():
    spec = synth.AlarmSpec(jitter_s=0.01, drift=0.004, message_s=1.0, duration_s=6.0)
    a = synth.render_alarm(spec, sr=SR, seed=5)
    np.testing.assert_array_equal(a, synth.render_alarm(spec, sr=SR, seed=5))
    assert not np.array_equal(a, synth.render_alarm(spec, sr=SR, seed=6))


@pytest.mark.parametrize("f0_hz", [2800.0, 3150.0, 3600.0])
def test_piezo_fundamental_is_where_requested(f0_hz):
    spec = synth.AlarmSpec(
        pattern="continuous", f0_hz=f0_hz, drift=0.003, partials_db=(0.0, -12.0, -8.0)
    )
    y = synth.render_alarm(spec, sr=32000, seed=2)
    assert abs(peak_frequency(y, sr=32000) - f0_hz) < 0.01 * f0_hz


def test_planned_piezo_alarms_sound_at_their_drawn_frequency():
    alarms = [
        f
        for f in synth.plan_corpus(seed=0, scale=0.05)
        if f.kind == "t3piezo" and f.section == "alarms"
    ]
    assert alarms
    low, high = synth.ALARM_F0_HZ["piezo"]
    for item in alarms:
        assert low <= item.alarm.f0_hz <= high
        continuous = dataclasses.replace(item.alarm, pattern="continuous", warble_depth=0, sweep=0)
        y = synth.render_alarm(continuous, sr=SR, seed=item.seed)
        assert abs(peak_frequency(y, sr=SR) - item.alarm.f0_hz) < 0.02 * item.alarm.f0_hz


def test_square_wave_alarm_has_odd_harmonics():
    square = [f for f in synth.plan_corpus(seed=0, scale=0.05) if f.kind == "t3square"][0]
    spec = dataclasses.replace(square.alarm, pattern="continuous", f0_hz=520.0)
    y = synth.render_alarm(spec, sr=SR, seed=0)
    odd = [level_at(y, k * 520.0, sr=SR) for k in (1, 3, 5)]
    even = [level_at(y, k * 520.0, sr=SR) for k in (2, 4)]
    assert min(odd) > max(even) + 6.0
    assert level_at(y, 3 * 520.0, sr=SR) > level_at(y, 520.0, sr=SR) - 15.0


def test_voice_message_fills_the_gap_between_beep_groups():
    spec = synth.AlarmSpec(f0_hz=3000.0, duration_s=10.0, message_s=1.5)
    beeps, messages = synth.alarm_intervals(spec)
    assert len(messages) >= 1
    for onset, offset in messages:
        assert not np.any((beeps[:, 0] < offset) & (beeps[:, 1] > onset))
    y = synth.render_alarm(spec, sr=SR, seed=0)
    start, stop = (round(t * SR) for t in messages[0])
    assert np.sqrt(np.mean(y[start:stop] ** 2)) > 0.01


@pytest.mark.parametrize(("pattern", "per_cycle"), [("pulse", 1), ("pulse2", 2)])
def test_a_pulsing_alarm_beeps_on_and_on_without_a_group_pause(pattern, per_cycle):
    spec = synth.AlarmSpec(
        pattern=pattern, duration_s=11.9, on_s=0.2, off_s=0.15, gap_s=0.6, start_s=0.0
    )
    beeps, _ = synth.alarm_intervals(spec)
    cycle_s = per_cycle * 0.2 + (per_cycle - 1) * 0.15 + 0.6
    assert len(beeps) == per_cycle * int(np.ceil(11.9 / cycle_s))
    np.testing.assert_allclose(np.diff(beeps[::per_cycle, 0]), cycle_s)
    with pytest.raises(ParameterError, match="pattern must be one of t3, t4, pulse, pulse2"):
        synth.AlarmSpec(pattern="t5")


def test_interconnected_second_unit_sounds_later_at_its_own_pitch():
    spec = synth.AlarmSpec(
        f0_hz=3000.0,
        duration_s=8.0,
        start_s=0.25,
        second_unit_lag_s=0.2,
        second_unit_ratio=1.1,
        second_unit_db=-3.0,
    )
    beeps, _ = synth.alarm_intervals(spec, seed=4)
    np.testing.assert_allclose(beeps[:3], [[0.25, 0.95], [1.25, 1.95], [2.25, 2.95]], atol=1e-9)
    y = synth.render_alarm(spec, sr=SR, seed=4)
    first = y[round(0.3 * SR) : round(0.44 * SR)]  # only the first unit sounds
    both = y[round(0.5 * SR) : round(0.74 * SR)]
    late = y[round(0.76 * SR) : round(0.94 * SR)]  # only the second unit
    assert abs(peak_frequency(first, sr=SR) - 3000.0) < 60
    assert abs(peak_frequency(late, sr=SR) - 3300.0) < 60
    assert level_at(both, 3300.0, sr=SR) > level_at(first, 3300.0, sr=SR) + 20.0
    np.testing.assert_array_equal(y, synth.render_alarm(spec, sr=SR, seed=4))


def test_holdout_alarms_differ_in_how_they_are_made_and_heard():
    plan = synth.plan_corpus(seed=0, scale=1.0)
    training = [f for f in plan if f.section == "alarms"]
    holdout = [f for f in plan if f.section == "holdout/alarms"]
    assert not any(f.alarm.second_unit_lag_s for f in training)
    linked = [f for f in holdout if f.alarm.second_unit_lag_s]
    assert 0.3 * len(holdout) < len(linked) < 0.7 * len(holdout)
    # Loudspeakers that barely reproduce their fundamental, asymmetric square drivers.
    speakers = [f.alarm for f in holdout if f.alarm.source == "speaker"]
    assert speakers and all(max(a.partials_db[1:6]) > a.partials_db[0] + 6 for a in speakers)
    square = next(f.alarm for f in holdout if f.kind == "t3square")
    y = synth.render_alarm(
        dataclasses.replace(square, pattern="continuous", f0_hz=520.0, second_unit_lag_s=0.0),
        sr=SR,
        seed=0,
    )
    # The even second harmonic outweighs the third (a symmetric square wave has none).
    assert level_at(y, 2 * 520.0, sr=SR) > level_at(y, 3 * 520.0, sr=SR) + 3.0
    # Pitch and timing stay within the span real units use, which training covers.
    for f in holdout:
        if f.alarm.source == "piezo":
            low, high = synth.ALARM_F0_HZ["piezo"]
            assert low <= f.alarm.f0_hz <= high
        if f.alarm.pattern == "t3":
            assert synth.T3_TIMING_S["gap"][0] <= f.alarm.gap_s <= synth.T3_TIMING_S["gap"][1]


def test_alarm_spec_rejects_unknown_pattern():
    with pytest.raises(ParameterError, match="pattern"):
        synth.AlarmSpec(pattern="t5")


def test_alarm_spec_rejects_a_voice_message_that_never_comes():
    # every 0th group: the intervals would divide by zero
    with pytest.raises(ParameterError, match="message_every >= 1, got 1.5 and 0"):
        synth.AlarmSpec(message_s=1.5, message_every=0)
    with pytest.raises(ParameterError, match="need message_s >= 0"):
        synth.AlarmSpec(message_s=-1.0)


# Backgrounds ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(synth.BACKGROUND_KINDS))
def test_background_has_requested_duration_and_is_finite(kind):
    y = synth.render_background(kind, duration=9.5, sr=SR, seed=1)
    assert y.shape == (round(9.5 * SR),)
    assert np.all(np.isfinite(y))
    assert np.sqrt(np.mean(y**2)) == pytest.approx(0.1, rel=0.01)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_low_battery_chirp_is_a_single_short_burst(seed):
    y = synth.render_background("lowbattery", duration=20.0, sr=SR, seed=seed)
    energy, rate = band_envelope(y, sr=SR, low_hz=2600, high_hz=3900)
    onsets, offsets = on_runs(energy, rate, threshold=0.05 * energy.max())
    assert len(onsets) == 1
    assert 0.03 <= offsets[0] - onsets[0] <= 0.25


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_chirps_come_every_two_to_eight_seconds_alone_or_doubled(seed):
    y = synth.render_background("chirps", duration=20.0, sr=SR, seed=seed)
    energy, rate = band_envelope(y, sr=SR, low_hz=2600, high_hz=3900)
    onsets, offsets = on_runs(energy, rate, threshold=0.05 * energy.max())
    assert len(onsets) >= 3
    assert np.all((offsets - onsets >= 0.03) & (offsets - onsets <= 0.25))
    # A double chirp's second pip follows within half a second; the next chirp 2-8 s on.
    groups = np.split(onsets, np.flatnonzero(np.diff(onsets) > 1.0) + 1)
    assert all(len(group) <= 2 for group in groups)  # never a T4-like group
    spacing = np.diff([group[0] for group in groups])
    assert np.all((spacing >= 1.9) & (spacing <= 8.1))


def test_reversing_beeper_repeats_without_a_group_gap():
    y = synth.render_background("reversing", duration=20.0, sr=SR, seed=4)
    energy, rate = band_envelope(y, sr=SR, low_hz=900, high_hz=1300)
    onsets, _ = on_runs(energy, rate, threshold=0.2 * energy.max())
    periods = np.diff(onsets[onsets > 0])  # a beep cut by the clip start has no onset
    assert len(periods) >= 8
    np.testing.assert_allclose(periods, np.median(periods), atol=0.05)
    assert 0.85 <= np.median(periods) <= 1.15


def test_training_and_holdout_background_kinds_are_disjoint():
    assert not set(synth.TRAINING_BACKGROUND_KINDS) & set(synth.HOLDOUT_BACKGROUND_KINDS)
    assert set(synth.BACKGROUND_COUNTS) == set(synth.TRAINING_BACKGROUND_KINDS)


def test_unknown_background_kind_is_a_parameter_error():
    with pytest.raises(ParameterError, match="unknown background kind 'siren'"):
        synth.render_background("siren", duration=5.0, sr=SR)


# Rooms and microphones ------------------------------------------------------------------


def test_room_impulse_response_has_the_requested_direct_to_reverberant_ratio():
    h = synth.room_impulse_response(sr=SR, rt60_s=0.6, drr_db=-3.0, seed=1)
    assert h[0] == pytest.approx(1.0, abs=0.05)
    drr = 10 * np.log10(h[0] ** 2 / np.sum(h[1:] ** 2))
    assert drr == pytest.approx(-3.0, abs=0.5)


def test_room_reverberation_decays_at_the_requested_rate():
    h = synth.room_impulse_response(sr=SR, rt60_s=1.0, drr_db=0.0, hf_damping=1.0, seed=2)
    energy = np.cumsum(h[::-1] ** 2)[::-1]  # Schroeder backward integration
    decay_db = 10 * np.log10(energy / energy[0])
    t_20 = np.argmax(decay_db < -25.0) / SR - np.argmax(decay_db < -5.0) / SR
    assert 3 * t_20 == pytest.approx(1.0, rel=0.2)


def test_phone_microphone_removes_low_frequencies():
    t = np.arange(2 * SR) / SR
    low, mid = np.sin(2 * np.pi * 100 * t), np.sin(2 * np.pi * 1000 * t)
    kwargs = {"sr": SR, "mic": "phone", "level_dbfs": -20.0}
    out = synth.apply_microphone(np.stack([low, mid], axis=1), **kwargs)
    rms = np.sqrt(np.mean(out[SR:] ** 2, axis=0))
    assert 20 * np.log10(rms[0] / rms[1]) < -20.0


def test_clipping_microphone_clips():
    y = np.sin(2 * np.pi * 3000 * np.arange(SR) / SR)
    out = synth.apply_microphone(y, sr=SR, mic="studio", level_dbfs=-20.0, clip_db=6.0)
    assert np.abs(out).max() == 1.0 and np.mean(np.abs(out) == 1.0) > 0.1


@pytest.mark.parametrize("corner_hz, leak_db", [(150.0, -50.0), (600.0, -25.0)])
def test_a_partition_passes_low_tones_and_loses_six_db_an_octave_above_its_corner(
    corner_hz, leak_db
):
    t = np.arange(2 * SR) / SR
    tones = {f: np.sin(2 * np.pi * f * t) for f in (60.0, 3200.0)}
    out = {
        f: synth.transmit(y, sr=SR, corner_hz=corner_hz, leak_db=leak_db) for f, y in tones.items()
    }
    gain_db = {f: level_at(out[f][SR:], f, sr=SR) - level_at(tones[f][SR:], f, sr=SR) for f in out}
    # A first-order low-pass, |H| = 1 / sqrt(1 + (f / corner)^2), beside a flat leak.
    lowpass = 1 / np.sqrt(1 + (3200.0 / corner_hz) ** 2)
    expected_db = 20 * np.log10(np.hypot(lowpass, 10 ** (leak_db / 20)))
    assert abs(gain_db[60.0]) < 1.0
    assert gain_db[3200.0] == pytest.approx(expected_db, abs=1.5)
    assert gain_db[3200.0] < -10.0


def test_a_sound_heard_through_a_wall_loses_its_high_partials_and_reverberates_twice():
    y = synth.render_alarm(
        synth.AlarmSpec(kind="t3square", source="square", f0_hz=520.0, duration_s=4.0),
        sr=SR,
        seed=3,
    )
    near = synth.Recording(room="room07", distance_m=2.0, level_dbfs=-20.0)
    wall = synth.Partition(kind="wall", room="room06", distance_m=2.0, corner_hz=100.0, leak_db=-50)
    outs = {
        name: synth.record(y, sr=SR, recording=rec, seed=5)
        for name, rec in (("near", near), ("wall", dataclasses.replace(near, through=wall)))
    }
    # The square wave's 7th harmonic against its fundamental, in dB.
    tilt = {
        name: level_at(out, 7 * 520.0, sr=SR) - level_at(out, 520.0, sr=SR)
        for name, out in outs.items()
    }
    assert tilt["wall"] < tilt["near"] - 10.0
    # The pause after the group (1.5 s from 2.5 s) is filled by the garage's reverberation.
    pause = slice(round(2.55 * SR), round(2.75 * SR))
    beeps = slice(0, round(2.5 * SR))
    fill = {name: np.std(out[pause]) / np.std(out[beeps]) for name, out in outs.items()}
    assert fill["wall"] > 2 * fill["near"]


def test_partitions_are_validated():
    with pytest.raises(ParameterError, match="unknown partition"):
        synth.Partition(kind="window")
    with pytest.raises(ParameterError, match="unknown partition"):
        synth.Partition(room="attic")
    with pytest.raises(ParameterError, match="positive"):
        synth.Partition(corner_hz=0.0)


def test_an_unknown_room_is_refused_by_name():
    with pytest.raises(ParameterError, match="unknown room 'attic'; choose from "):
        synth.apply_room(np.zeros(1600), sr=SR, room="attic", distance_m=2.0)


def test_a_continuous_tone_that_starts_after_the_clip_sounds_nowhere_in_it():
    # a second unit's lag can put its start past a short clip's end
    spec = synth.AlarmSpec(pattern="continuous", start_s=5.0, duration_s=4.0)
    beeps, messages = synth.alarm_intervals(spec)
    assert beeps.shape == (0, 2) and messages.shape == (0, 2)
    sounding = synth.AlarmSpec(pattern="continuous", start_s=1.5, duration_s=4.0)
    assert synth.alarm_intervals(sounding)[0].tolist() == [[1.5, 4.0]]


# The corpus -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    summary = synth.make_corpus(root, seed=0, scale=0.01)
    return root, summary


def test_corpus_layout_has_every_section(corpus):
    root, summary = corpus
    for section in ("alarms", "background", "holdout/alarms", "holdout/background", "examples"):
        assert list((root / section).glob("*.wav")), section
    assert summary["written"] == len(list(root.rglob("*.wav")))
    assert (root / "corpus.json").is_file() and (root / "examples/truth.json").is_file()


def test_corpus_stems_start_with_their_kind(corpus):
    root, _ = corpus
    alarm_kinds = set(synth.ALARM_COUNTS)
    expected = {
        "alarms": alarm_kinds,
        "holdout/alarms": alarm_kinds,
        "background": set(synth.TRAINING_BACKGROUND_KINDS),
        "holdout/background": set(synth.HOLDOUT_BACKGROUND_KINDS),
    }
    for section, kinds in expected.items():
        found = {p.stem.split("_")[0] for p in (root / section).glob("*.wav")}
        assert found == kinds, section


def test_corpus_files_are_valid_pcm_wavs(corpus):
    root, _ = corpus
    for path in root.rglob("*.wav"):
        info = sf.info(path)
        assert info.format == "WAV" and info.subtype == "PCM_16", path
        assert info.samplerate in (16000, 22050, 32000, 44100, 48000) and info.channels in (1, 2)
        y, _ = sf.read(path)
        assert np.abs(y).max() > 0.001, path
    for path in (root / "alarms").glob("*.wav"):
        info = sf.info(path)
        assert info.frames == 4 * info.samplerate or 8.0 <= info.duration <= 12.0, path
    for path in (root / "background").glob("*.wav"):
        assert sf.info(path).duration >= 12.0, path


def test_corpus_manifest_and_truth_describe_the_files(corpus):
    root, _ = corpus
    manifest = json.loads((root / "corpus.json").read_text())
    paths = {entry["path"] for entry in manifest["files"]}
    assert paths == {p.relative_to(root).as_posix() for p in root.rglob("*.wav")}
    for entry in manifest["files"]:
        assert (entry["label"] == "alarm") == bool(entry["sounding"]), entry["path"]
    truth = json.loads((root / "examples/truth.json").read_text())["files"]
    assert set(truth) == {p.name for p in (root / "examples").glob("*.wav")}
    for name, entry in truth.items():
        assert entry["alarm"] == name.startswith("alarm_")
        for event in entry["events"]:
            assert 0 < event["start"] < event["end"] < entry["duration_s"]


def test_skip_existing_does_not_rewrite(corpus):
    root, _ = corpus
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}
    summary = synth.make_corpus(root, seed=0, scale=0.01, skip_existing=True)
    assert summary["written"] == 0 and summary["skipped"] == len(list(root.rglob("*.wav")))
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()} == before


def test_existing_corpus_is_not_overwritten_without_overwrite(corpus, tmp_path):
    root, _ = corpus
    n_audio = len(list(root.rglob("*.wav")))
    # the recordings counted as the summary counts them, the listings named
    with pytest.raises(
        ParameterError,
        match=rf": {n_audio} corpus recordings and corpus.json, truth.json exist already",
    ):
        synth.make_corpus(root, seed=0, scale=0.01)
    # only a listing left (in a copy: the corpus is the module's): one file, named
    (tmp_path / "corpus").mkdir()
    shutil.copy(root / "corpus.json", tmp_path / "corpus")
    with pytest.raises(ParameterError, match=r"corpus: corpus.json exists already \(e.g. "):
        synth.make_corpus(tmp_path / "corpus", seed=0, scale=0.01)


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path):
    synth.make_corpus(tmp_path / "a", seed=7, scale=0.01, sections=("alarms",))
    synth.make_corpus(tmp_path / "b", seed=7, scale=0.01, sections=("alarms",))
    synth.make_corpus(tmp_path / "c", seed=8, scale=0.01, sections=("alarms",))
    a, b, c = (file_hashes(tmp_path / name) for name in "abc")
    assert a == b
    assert not set(a.values()) & set(c.values())


def test_two_workers_write_the_same_bytes_as_one(tmp_path):
    one = synth.make_corpus(tmp_path / "one", seed=5, scale=0.01, sections=("alarms",))
    two = synth.make_corpus(tmp_path / "two", seed=5, scale=0.01, sections=("alarms",), workers=2)
    assert two["written"] == one["written"] > 1
    assert file_hashes(tmp_path / "two") == file_hashes(tmp_path / "one")


def test_overwrite_replaces_files_with_identical_bytes(tmp_path):
    synth.make_corpus(tmp_path, seed=3, scale=0.01, sections=("alarms",))
    before = file_hashes(tmp_path)
    summary = synth.make_corpus(tmp_path, seed=3, scale=0.01, sections=("alarms",), overwrite=True)
    assert summary["written"] == len(before) - 1  # every WAV, not the manifest
    assert file_hashes(tmp_path) == before


def test_overwrite_removes_files_of_the_earlier_corpus_only(tmp_path):
    synth.make_corpus(tmp_path, seed=3, scale=0.02, sections=("alarms",))
    users_file = tmp_path / "alarms" / "my_recording.wav"
    users_file.write_bytes(b"not ours")
    synth.make_corpus(tmp_path, seed=3, scale=0.01, sections=("alarms",), overwrite=True)
    listed = {
        entry["path"] for entry in json.loads((tmp_path / "corpus.json").read_text())["files"]
    }
    on_disk = {p.relative_to(tmp_path).as_posix() for p in (tmp_path / "alarms").glob("*.wav")}
    assert on_disk == listed | {"alarms/my_recording.wav"}
    assert users_file.read_bytes() == b"not ours"


@pytest.mark.parametrize(
    "manifest",
    [
        '{"name": "my recordings", "files": [{"path": "mydata/interview.wav"}, '
        '{"path": "../keep.txt"}]}',
        "{oops",
        "null",
    ],
)
@pytest.mark.parametrize("flag", ["skip_existing", "overwrite"])
def test_a_corpus_json_of_another_shape_is_the_user_s(tmp_path, manifest, flag):
    # GIVEN a corpus.json that is not ours, listing files of the user's in and out of DIR
    corpus = tmp_path / "corpus"
    (corpus / "mydata").mkdir(parents=True)
    (corpus / "mydata" / "interview.wav").write_bytes(b"the user's")
    (tmp_path / "keep.txt").write_bytes(b"the user's")
    (corpus / "corpus.json").write_text(manifest)
    # WHEN a corpus is rendered there THEN it is refused, and nothing is deleted or replaced
    with pytest.raises(ParameterError, match=r"corpus.json is not a manifest of `sounddetect"):
        synth.make_corpus(corpus, seed=3, scale=0.01, sections=("alarms",), **{flag: True})
    assert (corpus / "mydata" / "interview.wav").read_bytes() == b"the user's"
    assert (tmp_path / "keep.txt").read_bytes() == b"the user's"
    assert (corpus / "corpus.json").read_text() == manifest


def test_overwrite_deletes_only_corpus_files_its_manifest_lists(tmp_path):
    # GIVEN our manifest, edited to list a file outside the corpus and one of the user's
    corpus = tmp_path / "corpus"
    synth.make_corpus(corpus, seed=3, scale=0.01, sections=("alarms",))
    manifest = json.loads((corpus / "corpus.json").read_text())
    manifest["files"] += [{"path": "../keep.txt"}, {"path": "notes/interview.wav"}]
    (corpus / "corpus.json").write_text(json.dumps(manifest))
    (tmp_path / "keep.txt").write_bytes(b"the user's")
    (corpus / "notes").mkdir()
    (corpus / "notes" / "interview.wav").write_bytes(b"the user's")
    # WHEN it is rendered again with --overwrite THEN neither is deleted
    synth.make_corpus(corpus, seed=3, scale=0.01, sections=("alarms",), overwrite=True)
    assert (tmp_path / "keep.txt").read_bytes() == b"the user's"
    assert (corpus / "notes" / "interview.wav").read_bytes() == b"the user's"


def test_make_corpus_rejects_conflicting_flags_and_bad_scale(tmp_path):
    with pytest.raises(ParameterError, match="not both"):
        synth.make_corpus(tmp_path, skip_existing=True, overwrite=True)
    with pytest.raises(ParameterError, match="scale"):
        synth.make_corpus(tmp_path, scale=0.0)
    with pytest.raises(ParameterError, match="workers"):
        synth.make_corpus(tmp_path, workers=0)


def parse(argv):
    parser = argparse.ArgumentParser(prog="sounddetect")
    synth_cli.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_cli_parses_options():
    args = parse(["synth", "out", "--seed", "2", "--scale", "0.5", "--overwrite", "--workers", "3"])
    assert (
        str(args.dir),
        args.seed,
        args.scale,
        args.skip_existing,
        args.overwrite,
        args.workers,
    ) == ("out", 2, 0.5, False, True, 3)
    assert args.run is synth_cli.run


def test_cli_skip_existing_keeps_a_corpus_made_with_other_settings(tmp_path):
    synth.make_corpus(tmp_path, seed=2, scale=0.01, sections=("alarms",))
    before = file_hashes(tmp_path)
    args = parse(["synth", str(tmp_path), "--skip-existing"])
    assert args.run(args) == 0
    assert file_hashes(tmp_path) == before


@pytest.mark.parametrize(
    "argv",
    [
        ["synth", "d", "--skip-existing", "--overwrite"],
        ["synth", "d", "--scale", "-1"],
        ["synth", "d", "--seed", "x"],
    ],
)
def test_cli_rejects_bad_arguments(argv):
    with pytest.raises(SystemExit) as excinfo:
        parse(argv)
    assert excinfo.value.code == 2


# Non-alarm beeping ----------------------------------------------------------------------


def regular_beeping(on_s, off_s, *, duration=16.0):
    """Beeping with no pause that starts before the clip and runs past its end."""
    return synth.beep_pattern(
        duration=duration, on_s=on_s, off_s=0.0, n_beeps=1, gap_s=off_s, start_s=-0.3
    )


@pytest.mark.parametrize(
    "timing",
    [
        {"on_s": 0.5, "off_s": 0.5, "gap_s": 1.5},  # nominal T3
        {"on_s": 0.42, "off_s": 0.58, "gap_s": 1.35},
        {"on_s": 0.58, "off_s": 0.42, "gap_s": 1.75},
        {"on_s": 0.36, "off_s": 0.65, "gap_s": 1.1},  # the corpus's extremes
        {"on_s": 0.65, "off_s": 0.36, "gap_s": 2.2},
    ],
)
def test_is_alarm_like_accepts_t3_timings(timing):
    for seed in range(3):
        intervals = synth.t3_pattern(duration=12.0, jitter_s=0.02, seed=seed, **timing)
        assert synth.is_alarm_like(intervals, duration=12.0)
        assert synth.is_alarm_like(intervals)


@pytest.mark.parametrize(
    "timing",
    [
        {"on_s": 0.1, "off_s": 0.1, "gap_s": 5.0},
        {"on_s": 0.085, "off_s": 0.12, "gap_s": 4.6},
        {"on_s": 0.07, "off_s": 0.07, "gap_s": 3.8},  # the corpus's extremes
        {"on_s": 0.15, "off_s": 0.15, "gap_s": 6.5},
    ],
)
def test_is_alarm_like_accepts_t4_timings(timing):
    intervals = synth.t4_pattern(duration=14.0, start_s=0.5, jitter_s=0.01, **timing)
    assert synth.is_alarm_like(intervals, duration=14.0)
    assert synth.is_alarm_like(intervals)


def test_a_single_t3_group_in_a_window_is_alarm_like():
    # A 4 s window holds one group: the 1.5 s pause after it is the clip's end.
    intervals = synth.t3_pattern(duration=4.0)
    assert synth.is_alarm_like(intervals, duration=4.0)


@pytest.mark.parametrize(
    "intervals",
    [
        regular_beeping(0.5, 0.5),  # reversing beeper: T3 beeps, never a pause
        regular_beeping(0.1, 0.1),  # T4 beeps, never a pause
        regular_beeping(0.3, 0.9),
        regular_beeping(1.0, 0.5),
        synth.beep_pattern(duration=16.0, on_s=0.5, off_s=0.5, n_beeps=2, gap_s=1.5),
        synth.beep_pattern(duration=16.0, on_s=0.2, off_s=0.2, n_beeps=4, gap_s=1.5),
        synth.beep_pattern(duration=16.0, on_s=0.1, off_s=0.1, n_beeps=4, gap_s=1.0),  # clock
        synth.beep_pattern(duration=16.0, on_s=0.1, off_s=0.1, n_beeps=2, gap_s=5.0),
        synth.beep_pattern(duration=16.0, on_s=0.9, off_s=0.5, n_beeps=3, gap_s=1.5),
        synth.beep_pattern(duration=16.0, on_s=0.5, off_s=0.15, n_beeps=3, gap_s=1.5),
        np.empty((0, 2)),
    ],
)
def test_is_alarm_like_rejects_other_beeping(intervals):
    assert not synth.is_alarm_like(intervals, duration=16.0)


def test_is_alarm_like_sees_t3_inside_longer_groups():
    # A window starting at the second of four T3-timed beeps shows exactly a T3 group, and a
    # window of five short beeps before a long pause shows a T4 group.
    four = synth.beep_pattern(duration=16.0, on_s=0.5, off_s=0.5, n_beeps=4, gap_s=1.5)
    five = synth.beep_pattern(duration=16.0, on_s=0.1, off_s=0.1, n_beeps=5, gap_s=5.0)
    assert synth.is_alarm_like(four) and synth.is_alarm_like(five)


def test_is_alarm_like_counts_the_clip_edges_only_with_a_duration():
    intervals = np.array([[0.2, 0.7], [1.2, 1.7], [2.2, 2.7]])
    assert synth.is_alarm_like(intervals, duration=3.6)
    assert not synth.is_alarm_like(intervals, duration=3.0)
    assert not synth.is_alarm_like(intervals)
    assert not synth.is_alarm_like(intervals[[0, 1, 2, 0, 1, 2]] + [[0], [0], [0], [3], [3], [3]])


def test_contiguous_tones_are_one_sound():
    # A hi-lo pair sounds as one long tone, not as two beeps.
    hi_lo = np.array([[1.0, 1.25], [1.25, 1.5], [2.0, 2.25], [2.25, 2.5], [3.0, 3.25], [3.25, 3.5]])
    assert synth.is_alarm_like(hi_lo, duration=6.0)
    assert not synth.is_alarm_like(hi_lo[:4], duration=6.0)


@pytest.mark.parametrize("style", synth.BEEP_STYLES)
def test_beep_sequences_are_never_alarm_like(style):
    for seed in range(40):
        drawn, intervals, frequencies = synth.draw_beep_sequence(
            duration=16.0, style=style, seed=seed
        )
        assert drawn == style and len(intervals) == len(frequencies) > 0
        assert not synth.is_alarm_like(intervals, duration=16.0)
        assert np.all((frequencies >= 400) & (frequencies <= 4500))
        assert np.all((intervals >= 0.0) & (intervals <= 16.0))
        assert np.all(np.diff(intervals, axis=1) <= 1.5 + 1e-9)


def test_beep_sequence_draws_every_style_and_is_seeded():
    styles = {synth.draw_beep_sequence(duration=14.0, seed=s)[0] for s in range(60)}
    assert styles == set(synth.BEEP_STYLES)
    a = synth.draw_beep_sequence(duration=14.0, seed=5)
    b = synth.draw_beep_sequence(duration=14.0, seed=5)
    c = synth.draw_beep_sequence(duration=14.0, seed=6)
    assert a[0] == b[0] and np.array_equal(a[1], b[1]) and np.array_equal(a[2], b[2])
    assert not (a[0] == c[0] and np.array_equal(a[1], c[1]))


def test_beep_sequence_rejects_unknown_style():
    with pytest.raises(ParameterError, match="unknown beep style 'siren'"):
        synth.draw_beep_sequence(duration=10.0, style="siren")


def test_reversing_style_beeps_regularly_in_its_band():
    for seed in range(10):
        _, intervals, frequencies = synth.draw_beep_sequence(
            duration=16.0, style="reversing", seed=seed
        )
        on = np.diff(intervals[1:-1], axis=1).ravel()
        assert np.all((on >= 0.4) & (on <= 0.6))
        assert np.all((frequencies >= 700) & (frequencies <= 3500))
        assert np.diff(intervals[:, 0]).max() < 1.4  # no group pause


def test_beeps_background_is_deterministic_and_sounds_at_the_drawn_pitch():
    a = synth.render_background("beeps", duration=12.0, sr=SR, seed=3)
    b = synth.render_background("beeps", duration=12.0, sr=SR, seed=3)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, synth.render_background("beeps", duration=12.0, sr=SR, seed=4))


def test_plan_has_beeps_and_more_hard_negatives():
    plan = synth.plan_corpus(seed=0, scale=1.0)
    kinds = Counter(f.kind for f in plan if f.path.startswith("background/"))
    assert kinds["beeps"] == 120 and kinds["reversing"] == 24 and kinds["microwave"] == 24
    for f in plan:
        if f.kind == "beeps":
            assert f.path.startswith("background/beeps_")
            assert 12.0 <= f.duration_s <= 20.0
    piezo = [f.alarm.f0_hz for f in plan if f.path.startswith("alarms/") and f.kind == "t3piezo"]
    # Real piezo horns sound at 2.8-3.6 kHz: the training clips cover that and more.
    assert min(piezo) < 2800 and max(piezo) > 3600


def test_microwave_end_beeps_are_never_alarm_like():
    rng = np.random.default_rng(0)
    for _ in range(300):
        intervals, _ = backgrounds._appliance_beeps(rng, start_s=5.0)
        assert not synth.is_alarm_like(intervals, duration=np.inf)


def test_training_reversing_beeper_sounds_from_the_first_second_to_the_end():
    for seed in range(4):
        y = synth.render_background("reversing", duration=12.0, sr=SR, seed=seed)
        energy, rate = band_envelope(y, sr=SR, low_hz=900, high_hz=1300)
        onsets, offsets = on_runs(energy, rate, threshold=0.2 * energy.max())
        assert onsets[0] < 1.1 and offsets[-1] > 10.9


@pytest.mark.parametrize("scale", [0.0, -1.0, float("nan"), 101.0, 1e6])
def test_a_scale_out_of_range_is_refused_before_any_work(scale):
    # 1e6 had planned for minutes and gigabytes before writing anything
    with pytest.raises(ParameterError, match=r"scale must be a positive number up to 100"):
        synth.plan_corpus(seed=0, scale=scale)
