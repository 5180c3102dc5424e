"""Mixing: distributions, spec drawing, the measured alarm-to-background ratio, levels."""

import dataclasses
import inspect
import math
import re

import numpy as np
import pytest

from sounddetect import mixing
from sounddetect.exceptions import AudioError, ParameterError
from sounddetect.mixing import (
    FRAME_LENGTH,
    PEAK_LIMIT,
    SampleSpec,
    SourceClip,
    active_frames,
    active_snr_db,
    draw_sample_specs,
    mix_sample,
    mix_stems,
    sample_distribution,
    sounding_intervals,
    source_kind,
    validate_distribution,
)

SR = 16000
WINDOW = 4 * SR


def beep_gate(n_samples: int) -> np.ndarray:
    """Temporal-three-like on/off pattern: 0.5 s on, 0.5 s off, 0.5 s on, 0.5 s off."""
    t = np.arange(n_samples) / SR
    return (t % 1.0) < 0.5


@pytest.fixture(scope="module")
def sources():
    rng = np.random.default_rng(0)
    audio = {}
    for i, seconds in enumerate((6.0, 3.0, 2.4)):
        n = int(seconds * SR)
        tone = 0.3 * np.sin(2 * np.pi * (3000 + 200 * i) * np.arange(n) / SR)
        audio[f"alarms/piezo_{i}.wav"] = (tone * beep_gate(n)).astype(np.float32)
    for kind, scale in (("noise", 0.05), ("babble", 0.2)):
        for i in range(2):
            n = int(7 * SR)
            audio[f"background/{kind}_{i}.wav"] = rng.normal(0, scale, n).astype(np.float32)
    return audio


@pytest.fixture(scope="module")
def clips(sources):
    alarms = [
        SourceClip(name, len(y), active_frames(y))
        for name, y in sources.items()
        if name.startswith("alarms/")
    ]
    backgrounds = [
        SourceClip(name, len(y)) for name, y in sources.items() if name.startswith("background/")
    ]
    return alarms, backgrounds


def draw(clips, **options):
    alarms, backgrounds = clips
    settings = {"seed": 7, "sr": SR, "samples_per_layer": 20, "max_background_layers": 3}
    return draw_sample_specs(alarms, backgrounds, **{**settings, **options})


@pytest.mark.parametrize(
    ("dist", "match"),
    [
        (("normal", 0, 1), "distribution tuple"),
        ("uniform", "distribution tuple"),
        (("uniform", 1), "takes 2 values"),
        (("uniform", 5, 1), "low <= high, got 5 > 1"),
        (("choose", []), "at least one value"),
        (("const", math.nan), "finite numbers"),
        (("const", True), "finite numbers"),
    ],
)
def test_bad_distributions_are_refused(dist, match):
    with pytest.raises(ParameterError, match=match):
        validate_distribution(dist, name="snr_db")


def test_numpy_numbers_make_a_distribution():
    # np.float32 values had been refused as "not finite numbers"
    dist = ("uniform", np.float32(1.0), np.float64(2.0))
    assert validate_distribution(dist, name="snr_db") == dist


def test_distributions_draw_inside_their_support():
    rng = np.random.default_rng(0)
    assert sample_distribution(("const", 3), rng) == 3.0
    uniform = [sample_distribution(("uniform", -10, 20), rng) for _ in range(200)]
    assert min(uniform) >= -10 and max(uniform) <= 20 and np.ptp(uniform) > 20
    assert {sample_distribution(("choose", [1, 2]), rng) for _ in range(50)} == {1.0, 2.0}


def test_source_kind_is_the_stem_up_to_the_first_underscore():
    assert source_kind("background/chirp_003.wav") == "chirp"
    assert source_kind("tv.wav") == "tv"


def test_active_frames_follow_the_beeps():
    y = np.sin(np.arange(2 * SR)).astype(np.float32) * beep_gate(2 * SR)
    active = active_frames(y)
    expected = beep_gate(2 * SR)[::FRAME_LENGTH]
    # Frames straddling an edge may go either way; all others match the gate.
    assert np.mean(active == expected) > 0.95
    assert not active_frames(np.zeros(1000, dtype=np.float32)).any()


def coloured_noise(n, *, rng, exponent):
    """Unit-power noise whose power falls as frequency**-exponent: 0 white, 1 pink."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SR)
    f[0] = f[1]
    y = np.fft.irfft(spectrum * f ** (-exponent / 2), n)
    return y / np.std(y)


@pytest.mark.parametrize(("exponent", "below_db"), [(0, 18), (0, 12), (1, 15), (1, 12)])
def test_active_frames_of_a_recording_in_room_noise_follow_the_beeps(exponent, below_db):
    # GIVEN a user's own recording: 8 s of noise, one temporal-three group of 3.1 kHz beeps,
    # 8 s more, the noise's power below_db under the beeps' (white or pink)
    rng = np.random.default_rng(3)
    n = 20 * SR
    t = np.arange(n) / SR
    gate = ((t >= 8) & (t < 10.5)) & ((t % 1.0) < 0.5)
    beeps = 0.5 * np.sin(2 * np.pi * 3100 * t) * gate
    noise = coloured_noise(n, rng=rng, exponent=exponent) * np.sqrt(0.125 * 10 ** (-below_db / 10))
    # WHEN its active frames are measured
    active = active_frames((beeps + noise).astype(np.float32))
    # THEN the beeps are active and the noise well away from them is not: within 20 dB of
    # the beeps, every frame of noise had counted as alarm sound
    frames = np.arange(len(active)) * FRAME_LENGTH / SR
    assert active[gate[::FRAME_LENGTH]].all()
    assert active[(frames < 7.5) | (frames > 11.0)].mean() < 0.1


def test_a_continuous_alarm_whose_level_dips_stays_active_throughout():
    # A continuous tone whose level swings 15 dB as a room's modes beat, over faint noise:
    # its quieter frames are its tone, not a noise floor
    rng = np.random.default_rng(4)
    t = np.arange(10 * SR) / SR
    level = 10 ** (-7.5 * (1 + np.sin(2 * np.pi * 0.7 * t)) / 20)
    y = 0.5 * level * np.sin(2 * np.pi * 3300 * t) + 0.001 * rng.standard_normal(t.size)
    assert active_frames(y.astype(np.float32)).all()


def test_active_snr_ignores_the_gaps_between_beeps():
    rng = np.random.default_rng(1)
    background = rng.normal(0, 0.1, WINDOW)
    gate = beep_gate(WINDOW)
    alarm = np.where(gate, 0.1, 0.0) * np.sign(np.sin(np.arange(WINDOW)))
    expected = 10 * np.log10(np.mean(alarm[gate] ** 2) / np.mean(background[gate] ** 2))
    assert active_snr_db(alarm, background) == pytest.approx(expected, abs=0.2)
    # Over the whole window the same beeps would look 3 dB quieter.
    assert active_snr_db(alarm, background) - 10 * np.log10(
        np.mean(alarm**2) / np.mean(background**2)
    ) == pytest.approx(3.0, abs=0.2)
    with pytest.raises(AudioError, match="silent"):
        active_snr_db(np.zeros(WINDOW), background)


def test_specs_are_balanced_over_layers_and_labels(clips):
    specs = draw(clips)
    assert len(specs) == 60
    for n_layers in (1, 2, 3):
        layer = [spec for spec in specs if spec.n_layers == n_layers]
        assert len(layer) == 20
        assert sum(spec.label == "alarm" for spec in layer) == 10
    assert len({spec.sample_id for spec in specs}) == 60
    # Layers use different recordings while there are enough of them.
    assert all(len(set(spec.background_files)) == spec.n_layers for spec in specs)


def test_same_seed_same_specs_and_each_spec_independent_of_the_count(clips):
    assert draw(clips) == draw(clips)
    assert draw(clips, seed=8) != draw(clips)
    few = draw(clips, samples_per_layer=4)
    many = draw(clips, samples_per_layer=8)
    assert few == [spec for spec in many if int(spec.sample_id[-4:]) < 4]


def test_every_alarm_window_holds_a_second_of_beeping(clips, sources):
    specs = draw(clips, partial_alarm_probability=1.0, samples_per_layer=40)
    alarm_specs = [spec for spec in specs if spec.label == "alarm"]
    partial = 0
    for spec in alarm_specs:
        offset = round(spec.alarm_offset_s * SR)
        length = round(spec.alarm_duration_s * SR)
        onset = round(spec.alarm_onset_s * SR)
        assert 0 <= onset and onset + length <= WINDOW
        assert offset + length <= len(sources[spec.alarm_file])
        on = beep_gate(len(sources[spec.alarm_file]))[offset : offset + length]
        assert on.sum() / SR >= 1.0 - 2 * FRAME_LENGTH / SR
        partial += length < WINDOW
    assert partial > len(alarm_specs) / 2


@pytest.mark.parametrize("n_layers", [1, 2, 3])
def test_measured_ratio_is_within_half_a_db_of_the_drawn_one(clips, sources, n_layers):
    specs = [
        spec
        for spec in draw(clips, snr_db=("uniform", -10, 20), partial_alarm_probability=0.5)
        if spec.label == "alarm" and spec.n_layers == n_layers
    ]
    for spec in specs:
        mixture = mix_stems(spec, sources=sources, sr=SR)
        # Independent of the library's frame logic: the samples where the source beeps.
        onset = round(spec.alarm_onset_s * SR)
        length = round(spec.alarm_duration_s * SR)
        offset = round(spec.alarm_offset_s * SR)
        on = np.zeros(WINDOW, dtype=bool)
        on[onset : onset + length] = beep_gate(len(sources[spec.alarm_file]))[
            offset : offset + length
        ]
        measured = 10 * np.log10(
            np.mean(mixture.alarm[on].astype(np.float64) ** 2)
            / np.mean(mixture.background[on].astype(np.float64) ** 2)
        )
        assert abs(measured - spec.snr_db) < 0.5, spec.sample_id


def test_mix_is_the_sum_of_its_stems_and_deterministic(clips, sources):
    spec = next(spec for spec in draw(clips) if spec.label == "alarm" and spec.n_layers == 3)
    first = mix_stems(spec, sources=sources, sr=SR)
    again = mix_sample(spec, sources=sources, sr=SR)
    assert first.y.dtype == np.float32 and first.y.shape == (WINDOW,)
    assert np.array_equal(first.y, first.alarm + first.background)
    assert first.y.tobytes() == again.tobytes()


def test_no_alarm_sample_has_a_silent_alarm_stem(clips, sources):
    spec = next(spec for spec in draw(clips, snippet_probability=0.0) if spec.label == "no_alarm")
    mixture = mix_stems(spec, sources=sources, sr=SR)
    assert not mixture.alarm.any() and mixture.alarm_gain_db is None


def test_level_is_reached_and_loud_mixes_are_limited_not_clipped(clips, sources):
    specs = draw(clips, level_db=("const", -26.0))
    for spec in specs[:6]:
        y = mix_sample(spec, sources=sources, sr=SR)
        assert 20 * np.log10(np.sqrt(np.mean(y.astype(np.float64) ** 2))) == pytest.approx(
            -26.0, abs=0.01
        )
    for spec in draw(clips, level_db=("const", 0.0))[:6]:
        mixture = mix_stems(spec, sources=sources, sr=SR)
        assert np.max(np.abs(mixture.y)) <= PEAK_LIMIT + 1e-6
        assert np.max(np.abs(mixture.y)) > 0.9 * PEAK_LIMIT
        # The 0 dBFS level asked for is given up for the peak limit.
        assert np.sqrt(np.mean(mixture.y.astype(np.float64) ** 2)) < 0.5


def test_mixing_refuses_missing_or_short_sources(clips, sources):
    spec = next(spec for spec in draw(clips) if spec.label == "alarm")
    missing = {name: y for name, y in sources.items() if name != spec.alarm_file}
    with pytest.raises(AudioError, match="source not available"):
        mix_sample(spec, sources=missing, sr=SR)
    short = {**sources, spec.background_files[0]: np.zeros(SR, dtype=np.float32)}
    with pytest.raises(AudioError, match="outside the file"):
        mix_sample(spec, sources=short, sr=SR)


def test_active_frames_of_channels_follow_their_mean_power():
    n = 2 * SR
    tone = np.sin(np.arange(n)).astype(np.float32)
    first_half = np.arange(n) < n // 2
    # Each microphone hears the beeps of one half only: together, both halves are active.
    y = np.stack([tone * first_half, tone * ~first_half])
    active = active_frames(y)
    assert active.shape == (n // FRAME_LENGTH,)
    assert active.all()
    # A channel 30 dB quieter than the other counts for its share of the mean power.
    quiet = np.stack([tone * first_half, 0.03 * tone * ~first_half])
    assert np.array_equal(active_frames(quiet), first_half[::FRAME_LENGTH])


def stereo_spec(clips):
    return next(spec for spec in draw(clips) if spec.label == "alarm" and spec.n_layers == 2)


def test_multichannel_sources_are_mixed_channel_by_channel(clips, sources):
    spec = stereo_spec(clips)
    alarm = sources[spec.alarm_file]
    first = spec.background_files[0]
    # The alarm reaches the second microphone with its polarity inverted: averaged, it is
    # silence. The first background is stereo, louder on the left; the second is mono.
    stereo = {
        **sources,
        spec.alarm_file: np.stack([alarm, -alarm]),
        first: np.stack([sources[first], 0.25 * sources[first]]),
    }
    mixture = mix_stems(spec, sources=stereo, sr=SR)
    assert mixture.y.shape == mixture.alarm.shape == (2, WINDOW)
    assert mixture.y.dtype == np.float32
    assert np.array_equal(mixture.y, mixture.alarm + mixture.background)
    assert np.array_equal(mixture.alarm[1], -mixture.alarm[0]) and mixture.alarm.any()

    gain = 10 ** (mixture.output_gain_db / 20)
    layers = [
        sources[name][round(offset * SR) :][:WINDOW].astype(np.float64) * 10 ** (db / 20)
        for name, offset, db in zip(
            spec.background_files, spec.background_offsets_s, spec.background_gains_db, strict=True
        )
    ]
    for channel, scale in ((0, 1.0), (1, 0.25)):
        expected = (scale * layers[0] + layers[1]) * gain
        np.testing.assert_allclose(mixture.background[channel], expected, atol=1e-6)

    # The ratio is the drawn one over both channels' power where the alarm beeps.
    on = np.abs(mixture.alarm[0]) > 0
    measured = 10 * np.log10(
        np.mean(mixture.alarm[:, on].astype(np.float64) ** 2)
        / np.mean(mixture.background[:, on].astype(np.float64) ** 2)
    )
    assert abs(measured - spec.snr_db) < 0.5


def test_a_mixture_wider_than_a_source_takes_its_channels_in_turn(clips, sources):
    spec = stereo_spec(clips)
    alarm = sources[spec.alarm_file]
    first = spec.background_files[0]
    wide = {
        **sources,
        spec.alarm_file: np.stack([alarm, 0.5 * alarm, 0.25 * alarm]),
        first: np.stack([sources[first], -sources[first]]),
    }
    mixture = mix_stems(spec, sources=wide, sr=SR)
    assert mixture.y.shape == (3, WINDOW)
    np.testing.assert_allclose(mixture.alarm[1], 0.5 * mixture.alarm[0], atol=1e-7)
    np.testing.assert_allclose(mixture.alarm[2], 0.25 * mixture.alarm[0], atol=1e-7)
    # Channel 2 of the mixture hears channel 0 of the two-channel background again.
    np.testing.assert_array_equal(mixture.background[2], mixture.background[0])
    assert not np.allclose(mixture.background[1], mixture.background[0])


def test_spec_validation_names_the_sample():
    with pytest.raises(ParameterError, match="s-1: label 'alarm' needs alarm_file"):
        SampleSpec("s-1", 0, "alarm", 4.0, ("a_1.wav",), (0.0,), (0.0,), -20.0, snr_db=0.0)
    with pytest.raises(ParameterError, match="one offset and gain per background"):
        SampleSpec("s-2", 0, "no_alarm", 4.0, ("a_1.wav",), (), (0.0,), -20.0)
    # NaN had mixed NaN audio, a negative offset taken an excerpt from the file's end
    with pytest.raises(ParameterError, match="s-3: snr_db must be finite, got nan"):
        SampleSpec(
            "s-3", 0, "alarm", 4.0, ("a_1.wav",), (0.0,), (0.0,), -20.0, "b_1.wav", snr_db=math.nan
        )
    with pytest.raises(ParameterError, match=r"s-4: background_gains_db\[0\] must be finite"):
        SampleSpec("s-4", 0, "no_alarm", 4.0, ("a_1.wav",), (0.0,), (math.inf,), -20.0)
    with pytest.raises(ParameterError, match=r"s-5: background_offsets_s\[0\] must be >= 0 s"):
        SampleSpec("s-5", 0, "no_alarm", 4.0, ("a_1.wav",), (-1.0,), (0.0,), -20.0)
    with pytest.raises(ParameterError, match="s-6: duration_s must be > 0 s, got 0.0"):
        SampleSpec("s-6", 0, "no_alarm", 0.0, ("a_1.wav",), (0.0,), (0.0,), -20.0)


def test_mixing_refuses_an_alarm_past_the_window_and_a_rate_of_no_hz(clips, sources):
    spec = next(spec for spec in draw(clips) if spec.label == "alarm")
    late = dataclasses.replace(spec, alarm_onset_s=3.0, alarm_duration_s=4.0)
    # a bare numpy broadcast error before
    with pytest.raises(ParameterError, match=r"alarm excerpt \(3 s \+ 4 s\) ends after the 4 s"):
        mix_sample(late, sources=sources, sr=SR)
    # "the alarm is silent" before
    with pytest.raises(ParameterError, match="sr must be a positive integer rate in Hz, got 0"):
        mix_sample(spec, sources=sources, sr=0)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"seed": None}, "seed must be an integer >= 0, got None"),
        ({"seed": -1}, "seed must be an integer >= 0, got -1"),
        ({"duration_s": -1.0}, "need duration_s > 0"),
    ],
)
def test_drawing_refuses_a_seed_or_length_it_cannot_use(clips, options, match):
    with pytest.raises(ParameterError, match=match):
        draw(clips, **options)


def test_drawing_refuses_short_backgrounds_and_empty_sources(clips):
    alarms, backgrounds = clips
    with pytest.raises(ParameterError, match="background shorter than the window"):
        draw_sample_specs(alarms, [SourceClip("background/x_1.wav", SR)], seed=0, sr=SR)
    with pytest.raises(ParameterError, match="need alarm and background clips"):
        draw_sample_specs([], backgrounds, seed=0, sr=SR)


@pytest.fixture(scope="module")
def co_alarm():
    """A CO alarm: four 0.1 s beeps, then 5 s of silence; no window can hold 1 s of beeping.

    Returns the clip and its on/off gate per sample.
    """
    n = 12 * SR
    t = np.arange(n) / SR
    gate = ((t % 5.8) < 0.8) & ((t % 0.2) < 0.1)
    y = (0.3 * np.sin(2 * np.pi * 3200 * t) * gate).astype(np.float32)
    return SourceClip("alarms/co_1.wav", n, active_frames(y)), gate


def test_a_sparse_alarm_window_holds_all_the_beeping_the_clip_can_give(clips, co_alarm):
    sparse, gate = co_alarm
    specs = draw_sample_specs([sparse], clips[1], seed=0, sr=SR, samples_per_layer=40)
    for spec in specs:
        if spec.label == "alarm":
            offset = round(spec.alarm_offset_s * SR)
            length = round(spec.alarm_duration_s * SR)
            beeping = gate[offset : offset + length].sum() / SR
            assert beeping >= 0.4 - 2 * FRAME_LENGTH / SR, spec.sample_id


def test_an_alarm_snippet_is_at_most_one_beep_and_is_mixed_at_its_ratio(clips, sources):
    specs = draw(clips, snippet_probability=1.0, samples_per_layer=40)
    snippets = [spec for spec in specs if spec.label == "no_alarm"]
    assert snippets and all(spec.alarm_file is not None for spec in snippets)
    for spec in snippets:
        offset = round(spec.alarm_offset_s * SR)
        length = round(spec.alarm_duration_s * SR)
        onset = round(spec.alarm_onset_s * SR)
        assert 0 <= onset and onset + length <= WINDOW
        on = beep_gate(len(sources[spec.alarm_file]))[offset : offset + length]
        # Some beeping, and no more than half the second an alarm window needs.
        assert 0 < on.sum() / SR <= 0.5 + FRAME_LENGTH / SR, spec.sample_id
        mixture = mix_stems(spec, sources=sources, sr=SR)
        assert mixture.alarm.any()
        assert active_snr_db(mixture.alarm, mixture.background) == pytest.approx(
            spec.snr_db, abs=0.01
        )


def test_snippets_change_nothing_else_in_a_spec(clips):
    plain = draw(clips, snippet_probability=0.0)
    assert all(spec.alarm_file is None for spec in plain if spec.label == "no_alarm")
    some = draw(clips, snippet_probability=0.5)
    with_snippet = [spec for spec in some if spec.label == "no_alarm" and spec.alarm_file]
    assert 0 < len(with_snippet) < 30
    cleared = [
        dataclasses.replace(
            spec,
            alarm_file=None,
            alarm_offset_s=0.0,
            alarm_onset_s=0.0,
            alarm_duration_s=0.0,
            snr_db=None,
        )
        if spec.label == "no_alarm"
        else spec
        for spec in some
    ]
    assert cleared == plain


def test_a_co_alarm_snippet_holds_at_most_two_of_its_four_pips(clips, co_alarm):
    sparse, gate = co_alarm
    specs = draw_sample_specs(
        [sparse], clips[1], seed=0, sr=SR, samples_per_layer=40, snippet_probability=1.0
    )
    snippets = [spec for spec in specs if spec.label == "no_alarm" and spec.alarm_file]
    assert len(snippets) > 20
    for spec in snippets:
        offset = round(spec.alarm_offset_s * SR)
        beeping = gate[offset : offset + round(spec.alarm_duration_s * SR)].sum() / SR
        assert 0 < beeping <= 0.2 + FRAME_LENGTH / SR, spec.sample_id


def test_snippet_probability_must_be_a_probability(clips):
    with pytest.raises(ParameterError, match="snippet_probability must be in"):
        draw(clips, snippet_probability=1.5)


def test_sounding_intervals_move_and_cut_the_active_runs():
    # Frames of 0.5 s: active runs at 0.5-1.5 s and 2.5-3.0 s of the clip.
    active = np.array([0, 1, 1, 0, 0, 1, 0, 0], dtype=bool)

    def intervals(offset_s, onset_s, duration_s):
        return sounding_intervals(
            active,
            offset_s=offset_s,
            onset_s=onset_s,
            duration_s=duration_s,
            sr=2,
            frame_length=1,
        )

    # The whole clip at the window's start: both runs as they are.
    assert intervals(0.0, 0.0, 4.0) == [(0.5, 1.5), (2.5, 3.0)]
    # An excerpt 1.0-2.75 s of the clip placed at 0.25 s: the first run cut at its start,
    # the second at its end, both moved by -0.75 s.
    assert intervals(1.0, 0.25, 1.75) == [(0.25, 0.75), (1.75, 2.0)]
    # An excerpt of silence, and a silent clip, sound nowhere.
    assert intervals(3.0, 0.0, 1.0) == []
    assert (
        sounding_intervals(
            np.zeros(8, dtype=bool), offset_s=0, onset_s=0, duration_s=4, sr=2, frame_length=1
        )
        == []
    )


def documented_functions():
    """mixing's public functions whose docstring has a Parameters section."""
    return [
        function
        for name, function in inspect.getmembers(mixing, inspect.isfunction)
        if not name.startswith("_")
        and function.__module__ == mixing.__name__
        and "\nParameters\n----------\n" in (inspect.getdoc(function) or "")
    ]


@pytest.mark.parametrize("function", documented_functions(), ids=lambda f: f.__name__)
def test_a_parameters_section_documents_every_parameter(function):
    described = inspect.getdoc(function).split("\nParameters\n----------\n", 1)[1]
    described = described.split("\n\n", 1)[0]
    names = re.findall(r"^(\w+(?:, \w+)*) :", described, flags=re.MULTILINE)
    documented = {name for group in names for name in group.split(", ")}
    assert set(inspect.signature(function).parameters) <= documented
