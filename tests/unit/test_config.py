"""SpectrogramConfig: validation at the boundary and round trips."""

import json
from pathlib import Path

import numpy as np
import pytest

from sounddetect.exceptions import ParameterError
from sounddetect.spectrum import MAX_DURATION, MAX_SR, SPECTROGRAM_TYPES, SpectrogramConfig

REPOSITORY = Path(__file__).resolve().parents[2]


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
        # Settings the renderer cannot draw: refused here, not in the middle of rendering.
        ({"n_mels": 0}, "n_mels must be at least 1, got 0"),
        ({"kind": "chroma", "n_chroma": 0}, "n_chroma must be at least 1"),
        ({"kind": "mfcc", "n_mfcc": 0}, "n_mfcc must be at least 1"),
        ({"kind": "cqt", "bins_per_octave": 0}, "bins_per_octave must be at least 1"),
        ({"kind": "cqt", "fmin": 0.0}, "a cqt config needs fmin > 0 Hz"),
        ({"kind": "cqt", "fmin": 7900.0}, "no constant-Q bin fits between 7900 Hz"),
        ({"kind": "cqt", "fmin": 2.0}, "filter at fmin=2 Hz is 17.32 s long"),
        (
            {"kind": "linear", "n_fft": 16, "hop_length": 16, "fmin": 100.0, "fmax": 900.0},
            "no FFT bin",
        ),
        ({"n_mels": 512}, "51 of n_mels=512 mel bands .* would render black rows"),
        ({"kind": "mfcc", "n_mels": 256, "n_fft": 512}, "26 of n_mels=256"),
        ({"fmin": 1000.0, "fmax": 1010.0}, "128 of n_mels=128"),
        ({"kind": "mfcc", "n_mels": 32}, "n_mfcc 40 is more than n_mels 32"),
        # A typo's window would not fit in memory (std::bad_alloc, 116 TiB), far into a run
        ({"sr": 10**12}, r"sr 1000000000000 Hz is above the highest supported rate, 384000 Hz"),
        ({"sr": MAX_SR + 1, "kind": "linear"}, "above the highest supported rate"),
        ({"duration": 1e9}, r"duration 1000000000.0 s is above the longest supported window, 60 s"),
        ({"duration": MAX_DURATION + 0.5}, "above the longest supported window"),
    ],
)
def test_invalid_values_are_refused_with_the_value_quoted(changes, match):
    with pytest.raises(ParameterError, match=match):
        SpectrogramConfig().replace(**changes)


def test_the_highest_rate_and_longest_window_are_allowed():
    config = SpectrogramConfig(kind="linear", sr=MAX_SR, duration=MAX_DURATION)
    assert config.window_samples == 23_040_000


def test_the_shipped_model_config_is_valid():
    meta = json.loads((REPOSITORY / "models" / "default" / "model.json").read_text())
    assert SpectrogramConfig.from_dict(meta["config"]) == SpectrogramConfig()


def test_numpy_numbers_are_taken_as_the_python_numbers_json_writes():
    # GIVEN settings computed with numpy (a rate read from a file, a duration from an array)
    config = SpectrogramConfig(sr=np.int64(16000), duration=np.float32(4.0), kind=np.str_("mel"))
    # THEN the config is the default's, and dataset.json / model.json can write it
    assert config == SpectrogramConfig()
    assert json.loads(config.to_json()) == SpectrogramConfig().to_dict()
    with pytest.raises(ParameterError, match="n_mels must be an integer, got 64.5"):
        SpectrogramConfig(n_mels=np.float64(64.5))


def test_unknown_keys_are_refused():
    with pytest.raises(ParameterError, match="n_mel"):
        SpectrogramConfig.from_dict({"kind": "mel", "n_mel": 64})


@pytest.mark.parametrize(
    ("data", "shown"), [([1, 2], "list [1, 2]"), ("mel", "str 'mel'"), (None, "NoneType None")]
)
def test_json_that_is_not_an_object_is_refused_naming_what_it_is(data, shown):
    message = f"a spectrogram config is a mapping of its settings (a JSON object), got {shown}"
    with pytest.raises(ParameterError) as refused:
        SpectrogramConfig.from_dict(data)
    assert str(refused.value) == message
