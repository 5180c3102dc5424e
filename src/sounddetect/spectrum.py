"""Spectrogram configs and rendering: the one code path that makes training images and
the images inference classifies.

Config
    SpectrogramConfig
Computation (numpy only: this module runs inside the Lambda)
    compute_spectrogram   -- 2-D float array in dB (or normalised units) for one window
Rendering
    render_spectrogram    -- uint8 image array of the configured size
    encode_png            -- deterministic PNG bytes for an image array
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from sounddetect.exceptions import ParameterError

#: Every spectrogram type the renderer knows, in the order the generator writes them.
SPECTROGRAM_TYPES = (
    "mel",
    "linear",
    "cqt",
    "reassigned",
    "harmonic",
    "percussive",
    "chroma",
    "mfcc",
)

COLORMAPS = ("gray", "magma", "viridis")


@dataclass(frozen=True)
class SpectrogramConfig:
    """Everything that decides what a spectrogram image looks like.

    The config travels with data (``dataset.json``) and models (``model.json``); inference
    refuses a model whose config differs from the one it renders with.

    Parameters
    ----------
    kind : str
        One of :data:`SPECTROGRAM_TYPES`.
    sr : int
        Sample rate in Hz that audio is resampled to before rendering. 16 kHz keeps the
        2.8-3.6 kHz piezo fundamentals and their second harmonics.
    duration : float
        Window length in seconds (SAMPLE_DURATION). 4 s holds one whole temporal-three cycle.
    n_fft : int
        FFT size in samples (64 ms at 16 kHz).
    hop_length : int
        STFT hop in samples (16 ms at 16 kHz). Frames are not centred (no padding), so the
        frames of a window are exactly a slice of the frames of the whole recording.
    n_mels : int
        Mel bands (mel type) and the mel basis of MFCCs.
    n_mfcc : int
        MFCC coefficients.
    n_chroma : int
        Chroma bins.
    bins_per_octave : int
        Constant-Q resolution.
    fmin, fmax : float
        Frequency range in Hz shown by mel, linear, cqt, reassigned, harmonic and percussive
        images; 200 Hz to 8 kHz covers 520 Hz low-frequency alarms and 3 kHz piezo alarms.
    top_db : float
        Dynamic range in dB below the window's maximum that is shown; quieter is black.
    width, height : int
        Image size in pixels (time by frequency).
    cmap : str
        One of :data:`COLORMAPS`; ``gray`` writes a one-channel PNG.
    """

    kind: str = "mel"
    sr: int = 16000
    duration: float = 4.0
    n_fft: int = 1024
    hop_length: int = 256
    n_mels: int = 128
    n_mfcc: int = 40
    n_chroma: int = 12
    bins_per_octave: int = 24
    fmin: float = 200.0
    fmax: float = 8000.0
    top_db: float = 80.0
    width: int = 128
    height: int = 128
    cmap: str = "gray"

    def __post_init__(self) -> None:
        if self.kind not in SPECTROGRAM_TYPES:
            raise ParameterError(
                f"unknown spectrogram type {self.kind!r}; choose from {', '.join(SPECTROGRAM_TYPES)}"
            )
        if self.cmap not in COLORMAPS:
            raise ParameterError(f"unknown colour map {self.cmap!r}; choose from {COLORMAPS}")
        if self.sr <= 0 or self.duration <= 0:
            raise ParameterError(f"sr and duration must be positive, got {self.sr}, {self.duration}")
        if self.n_fft <= 0 or self.hop_length <= 0 or self.hop_length > self.n_fft:
            raise ParameterError(
                f"need 0 < hop_length <= n_fft, got n_fft={self.n_fft}, hop={self.hop_length}"
            )
        if self.window_samples < self.n_fft:
            raise ParameterError(
                f"duration {self.duration} s is shorter than one FFT frame ({self.n_fft} samples)"
            )
        if not 0 <= self.fmin < self.fmax <= self.sr / 2:
            raise ParameterError(
                f"need 0 <= fmin < fmax <= sr/2, got fmin={self.fmin}, fmax={self.fmax}, sr={self.sr}"
            )
        if self.width < 8 or self.height < 8:
            raise ParameterError(f"image size {self.width}x{self.height} is too small (min 8x8)")
        if self.top_db <= 0:
            raise ParameterError(f"top_db must be positive, got {self.top_db}")

    @property
    def window_samples(self) -> int:
        """Samples in one window (``round(duration * sr)``)."""
        return int(round(self.duration * self.sr))

    @property
    def n_frames(self) -> int:
        """STFT frames in one window (no centring)."""
        return 1 + (self.window_samples - self.n_fft) // self.hop_length

    @property
    def channels(self) -> int:
        """Colour channels of the rendered image: 1 for ``gray``, else 3."""
        return 1 if self.cmap == "gray" else 3

    def replace(self, **changes: Any) -> SpectrogramConfig:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SpectrogramConfig:
        """Build a config from a dict, refusing unknown keys (a typo must not pass silently)."""
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - fields)
        if unknown:
            raise ParameterError(f"unknown spectrogram config keys: {', '.join(unknown)}")
        return cls(**data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)
