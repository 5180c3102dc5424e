"""SpectrogramConfig: validation at the boundary and round trips."""

import pytest

from sounddetect.exceptions import ParameterError
from sounddetect.spectrum import SPECTROGRAM_TYPES, SpectrogramConfig


def test_defaults_cover_low_and_high_frequency_alarms():
    config = SpectrogramConfig()
    assert config.fmin < 520 < 3600 < config.fmax
    assert config.window_samples == 64000
    assert config.n_frames == 1 + (64000 - 1024) // 500
    assert (2 * config.sr) % config.hop_length == 0  # 2 s hops share STFT frames


@pytest.mark.parametrize("kind", SPECTROGRAM_TYPES)
def test_round_trip_through_dict(kind):
    config = SpectrogramConfig(kind=kind, cmap="magma")
    assert SpectrogramConfig.from_dict(config.to_dict()) == config
    assert config.channels == 3


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"kind": "spectral"}, "unknown spectrogram type 'spectral'"),
        ({"cmap": "jet"}, "unknown colour map 'jet'"),
        ({"fmax": 9000.0}, "fmax=9000.0"),
        ({"hop_length": 2048}, "hop_length <= n_fft"),
        ({"duration": 0.01}, "shorter than one FFT frame"),
        ({"width": 4}, "too small"),
        ({"top_db": 0}, "top_db must be positive"),
        ({"top_db": float("inf")}, "top_db must be a finite number, got inf"),
        ({"duration": float("inf")}, "duration must be a finite number, got inf"),
        ({"fmin": float("nan")}, "fmin must be a finite number, got nan"),
    ],
)
def test_invalid_values_are_refused_with_the_value_quoted(changes, match):
    with pytest.raises(ParameterError, match=match):
        SpectrogramConfig().replace(**changes)


def test_unknown_keys_are_refused():
    with pytest.raises(ParameterError, match="n_mel"):
        SpectrogramConfig.from_dict({"kind": "mel", "n_mel": 64})
