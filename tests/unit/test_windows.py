"""window_starts: windows cover the whole recording, tail included; pad_to_window."""

import numpy as np
import pytest

from sounddetect.exceptions import AudioError, ParameterError
from sounddetect.windows import pad_to_window, window_starts


def test_regular_starts_plus_a_tail_window():
    starts = window_starts(11, window_samples=4, hop_samples=3)
    np.testing.assert_array_equal(starts, [0, 3, 6, 7])
    assert starts.dtype == np.int64
    assert starts[-1] + 4 == 11  # the last window ends at the last sample


def test_exact_fit_adds_no_tail():
    np.testing.assert_array_equal(window_starts(10, window_samples=4, hop_samples=3), [0, 3, 6])
    np.testing.assert_array_equal(window_starts(4, window_samples=4, hop_samples=3), [0])


def test_one_hour_at_16_khz():
    n = 3600 * 16000
    starts = window_starts(n, window_samples=64000, hop_samples=32000)
    assert starts.size == 1799
    assert np.all(np.diff(starts) == 32000)
    assert starts[-1] + 64000 == n


@pytest.mark.parametrize("n_samples", [100_001, 123_457, 200_000])
def test_every_sample_is_covered(n_samples):
    starts = window_starts(n_samples, window_samples=64000, hop_samples=32000)
    covered = np.zeros(n_samples, dtype=bool)
    for start in starts:
        covered[start : start + 64000] = True
    assert covered.all()
    assert starts[-1] + 64000 == n_samples
    assert np.all(np.diff(starts) > 0)


def test_hop_longer_than_window_still_ends_at_the_tail():
    np.testing.assert_array_equal(
        window_starts(25, window_samples=4, hop_samples=10), [0, 10, 20, 21]
    )


def test_shorter_than_one_window():
    with pytest.raises(AudioError, match=r"shorter than one window \(2.00 s < 4 s\)"):
        window_starts(32000, window_samples=64000, hop_samples=32000, sr=16000)
    with pytest.raises(AudioError, match=r"shorter than one window \(0 samples < 64000 samples\)"):
        window_starts(0, window_samples=64000, hop_samples=32000)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"window_samples": 0, "hop_samples": 1}, "window_samples"),
        ({"window_samples": 4, "hop_samples": -1}, "hop_samples"),
        ({"window_samples": 4.0, "hop_samples": 1}, "window_samples"),
    ],
)
def test_bad_lengths_raise(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        window_starts(100, **kwargs)


SR = 16000


def quiet_noise_with_a_beep(rng, seconds=3.0):
    """Noise at -40 dBFS (RMS) with a loud 3.1 kHz beep of a third of the clip."""
    y = 0.01 * rng.standard_normal(int(seconds * SR))
    t = np.arange(int(seconds * SR / 3)) / SR
    y[: t.size] += 0.5 * np.sin(2 * np.pi * 3100 * t)
    return y.astype(np.float32)


def test_a_short_recording_is_continued_with_its_quietest_sound(rng):
    y = quiet_noise_with_a_beep(rng)
    padded = pad_to_window(y, window_samples=4 * SR)
    assert padded.shape == (4 * SR,) and padded.dtype == np.float32
    np.testing.assert_array_equal(padded[: y.size], y)
    pad = padded[y.size :]
    # The pad is as loud as the noise between the beeps, not as the beep.
    assert np.std(pad) == pytest.approx(0.01, rel=0.25)
    spectrum = np.abs(np.fft.rfft(pad)) ** 2
    freqs = np.fft.rfftfreq(pad.size, 1 / SR)
    near_the_beep = np.abs(freqs - 3100) < 100
    assert spectrum[near_the_beep].mean() < 3 * spectrum.mean()


def test_the_pad_has_the_spectrum_of_the_recording_s_floor(rng):
    # Noise with nothing above 1 kHz (brown-ish: integrated white noise)
    y = np.cumsum(rng.standard_normal(2 * SR)).astype(np.float32)
    y = (y - np.convolve(y, np.ones(400) / 400, mode="same")) * 0.001
    pad = pad_to_window(y, window_samples=4 * SR)[y.size :]
    power = np.abs(np.fft.rfft(pad)) ** 2
    freqs = np.fft.rfftfreq(pad.size, 1 / SR)
    assert power[freqs < 1000].sum() > 0.9 * power.sum()


def test_padding_is_deterministic_and_a_full_window_is_left_alone(rng):
    y = quiet_noise_with_a_beep(rng, seconds=2.5)
    np.testing.assert_array_equal(
        pad_to_window(y, window_samples=4 * SR), pad_to_window(y, window_samples=4 * SR)
    )
    assert not np.array_equal(
        pad_to_window(y, window_samples=4 * SR), pad_to_window(y, window_samples=4 * SR, seed=1)
    )
    whole = quiet_noise_with_a_beep(rng, seconds=4.0)
    np.testing.assert_array_equal(pad_to_window(whole, window_samples=4 * SR), whole)


def test_each_channel_is_continued_with_noise_of_its_own(rng):
    left = quiet_noise_with_a_beep(rng, seconds=2.5)
    right = 0.1 * quiet_noise_with_a_beep(rng, seconds=2.5)
    padded = pad_to_window(np.stack([left, right]), window_samples=4 * SR, seed=3)
    assert padded.shape == (2, 4 * SR) and padded.dtype == np.float32
    np.testing.assert_array_equal(padded[0], pad_to_window(left, window_samples=4 * SR, seed=3))
    np.testing.assert_array_equal(padded[1], pad_to_window(right, window_samples=4 * SR, seed=4))


def test_a_recording_under_the_minimum_is_too_short():
    with pytest.raises(AudioError, match=r"too short to hold an alarm \(0.50 s < 1 s\)"):
        pad_to_window(np.zeros(SR // 2, np.float32), window_samples=4 * SR, min_samples=SR, sr=SR)
    with pytest.raises(AudioError, match=r"\(0 samples < 1 samples\)"):
        pad_to_window(np.zeros(0, np.float32), window_samples=4 * SR)
    with pytest.raises(ParameterError, match="min_samples must be an integer >= 1, got 0"):
        pad_to_window(np.zeros(10, np.float32), window_samples=4 * SR, min_samples=0)


@pytest.mark.parametrize(
    ("y", "options", "error", "match"),
    [
        # (n, channels) audio had been read as 16000 channels: a 4 GB array of NaN
        (np.full((SR, 2), 0.01, np.float32), {}, ParameterError, r"pass y\.T"),
        (np.zeros(SR, np.int16), {}, ParameterError, "scale it to"),
        (np.full(SR, np.nan, np.float32), {}, AudioError, "NaN"),
        (np.zeros((2, 2, SR), np.float32), {}, ParameterError, r"\(channels, n\)"),
        (np.zeros(SR, np.float32), {"window_samples": 0}, ParameterError, "window_samples"),
        (np.zeros(SR, np.float32), {"window_samples": 4.5 * SR}, ParameterError, "window_samples"),
        (np.zeros(SR, np.float32), {"seed": -1}, ParameterError, "seed must be an integer >= 0"),
    ],
)
def test_what_is_not_audio_or_a_count_is_refused(y, options, error, match):
    with pytest.raises(error, match=match):
        pad_to_window(y, **{"window_samples": 4 * SR, **options})
