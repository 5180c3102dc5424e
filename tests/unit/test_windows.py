"""window_starts: windows cover the whole recording, tail included."""

import numpy as np
import pytest

from sounddetect.exceptions import AudioError, ParameterError
from sounddetect.windows import window_starts


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
    with pytest.raises(AudioError, match=r"shorter than one window \(2 s < 4 s\)"):
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
