"""Spectrogram configs and rendering: the one code path that makes training images and
the images inference classifies.

numpy and Pillow only: this module runs inside the Lambda. The math follows librosa
(``tests/unit/test_spectrum.py`` checks each type against it). Audio is mono ``(n,)`` or
``(channels, n)``; channels are combined in power, never averaged as samples (a tone two
microphones hear half a period apart would cancel).

Config
    SpectrogramConfig
    SPECTROGRAM_TYPES, COLORMAPS
Computation
    compute_spectrogram   -- float32 array (rows, frames) for one window: dB or normalised units
    row_frequencies       -- centre frequency in Hz of each row of a frequency-axis type
    frame_levels          -- dB per frame and row (mel, linear) of a whole recording
    image_row_frequencies -- the same for each row of a rendered image (top row first)
Rendering
    spectrogram_to_image  -- uint8 image of the configured size, low frequencies at the bottom
    render_spectrogram    -- compute_spectrogram then spectrogram_to_image
    render_windows        -- many windows of one recording, sharing the STFT between them
Images
    encode_png            -- deterministic PNG bytes for an image array
    decode_png            -- uint8 array from PNG bytes
    image_to_pixels       -- the model input's layout: uint8 (n, C, H, W)
    image_to_tensor       -- the model input: float32 (n, C, H, W) in [0, 1]
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import math
import numbers
import reprlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image, UnidentifiedImageError

from sounddetect._colormaps import COLORMAP_HEX
from sounddetect.audio import valid_audio
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

#: Highest config sample rate in Hz: the highest rate audio interfaces and formats record at
#: (DXD, 384 kHz), far above the 16 kHz an alarm needs; above it is a typo.
MAX_SR = 384_000
#: Longest config window in seconds: 15 alarm cycles of 4 s; one window at MAX_SR is then
#: 23 M samples (92 MB as float32), where a typo's 1e9 s would ask for 116 TiB.
MAX_DURATION = 60.0

#: The Python types a :class:`SpectrogramConfig` field takes, by its annotation.
_FIELD_TYPES: dict[str, type] = {"str": str, "int": numbers.Integral, "float": numbers.Real}


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
        Sample rate in Hz that audio is resampled to before rendering, at most
        :data:`MAX_SR`. 16 kHz keeps the 2.8-3.6 kHz piezo fundamentals and their second
        harmonics.
    duration : float
        Window length in seconds (SAMPLE_DURATION), at most :data:`MAX_DURATION`. 4 s holds
        one whole temporal-three cycle.
    n_fft : int
        FFT size in samples (64 ms at 16 kHz).
    hop_length : int
        STFT hop in samples (31.25 ms at 16 kHz, about one image column of 4 s / 128: a finer
        hop would only be averaged away by the resize, at twice the FFT cost). Frames are not
        centred (no padding), so the frames of a window are exactly a slice of the frames of
        the whole recording, and 500 divides every window hop that is a multiple of 1/32 s
        (the 2 s default among them), which lets overlapping windows share their frames.
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
    hop_length: int = 500
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
        # A config read from JSON may hold "128" or 64.5 where a count belongs; it must fail
        # here, by name, not later in the middle of rendering.
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, np.generic):  # np.int64(16000): a number JSON cannot write
                value = value.item()
                object.__setattr__(self, field.name, value)
            wanted = _FIELD_TYPES[field.type]
            if isinstance(value, bool) or not isinstance(value, wanted):
                what = {str: "a string", numbers.Integral: "an integer"}.get(wanted, "a number")
                raise ParameterError(
                    f"spectrogram config {field.name} must be {what}, got {value!r}"
                )
        if self.kind not in SPECTROGRAM_TYPES:
            raise ParameterError(
                f"unknown spectrogram type {self.kind!r}; "
                f"choose from {', '.join(SPECTROGRAM_TYPES)}"
            )
        if self.cmap not in COLORMAPS:
            raise ParameterError(f"unknown colour map {self.cmap!r}; choose from {COLORMAPS}")
        # inf and nan would slip through the comparisons below (nan compares false both ways)
        for name in ("duration", "fmin", "fmax", "top_db"):
            if not math.isfinite(getattr(self, name)):
                raise ParameterError(f"{name} must be a finite number, got {getattr(self, name)}")
        if self.sr <= 0 or self.duration <= 0:
            raise ParameterError(
                f"sr and duration must be positive, got {self.sr}, {self.duration}"
            )
        # Refused here by name, not later by a failed allocation of the window
        if self.sr > MAX_SR:
            raise ParameterError(
                f"sr {self.sr} Hz is above the highest supported rate, {MAX_SR} Hz"
            )
        if self.duration > MAX_DURATION:
            raise ParameterError(
                f"duration {self.duration} s is above the longest supported window, "
                f"{MAX_DURATION:g} s"
            )
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
                f"need 0 <= fmin < fmax <= sr/2, "
                f"got fmin={self.fmin}, fmax={self.fmax}, sr={self.sr}"
            )
        if self.width < 8 or self.height < 8:
            raise ParameterError(f"image size {self.width}x{self.height} is too small (min 8x8)")
        if self.top_db <= 0:
            raise ParameterError(f"top_db must be positive, got {self.top_db}")
        for name in ("n_mels", "n_mfcc", "n_chroma", "bins_per_octave"):
            if getattr(self, name) < 1:
                raise ParameterError(f"{name} must be at least 1, got {getattr(self, name)}")
        # What the config cannot render must fail here, by its fields, not in the middle of a
        # dataset or at every invocation of a Lambda: rows that stay black for any sound, or
        # an error from deep inside the renderer.
        _linear_bins(self.sr, self.n_fft, self.fmin, self.fmax)
        if self.kind in ("mel", "mfcc"):
            _check_mel_bands(self)
        if self.kind == "mfcc" and self.n_mfcc > self.n_mels:
            raise ParameterError(
                f"n_mfcc {self.n_mfcc} is more than n_mels {self.n_mels}: a DCT of {self.n_mels} "
                "bands has no more coefficients"
            )
        if self.kind == "cqt":
            _check_cqt(self)

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
        """The fields as a dict, in declaration order (``dataset.json``'s and
        ``model.json``'s ``config``; :meth:`from_dict` reads it back)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SpectrogramConfig:
        """Build a config from a dict, refusing unknown keys (a typo must not pass silently).

        Parameters
        ----------
        data : mapping of str to value
            Fields and their values, as :meth:`to_dict` gives them (a JSON object read
            from ``dataset.json``, ``model.json`` or a ``--config`` file); missing fields
            take their defaults.

        Raises
        ------
        ParameterError
            ``data`` is not a mapping (a JSON array, string or number), or holds a key that
            is not a field, or a value the config refuses.
        """
        if not isinstance(data, Mapping):
            raise ParameterError(
                "a spectrogram config is a mapping of its settings (a JSON object), got "
                f"{type(data).__name__} {reprlib.repr(data)}"
            )
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(str(key) for key in data if key not in fields)
        if unknown:
            raise ParameterError(f"unknown spectrogram config keys: {', '.join(unknown)}")
        return cls(**data)

    def to_json(self) -> str:
        """:meth:`to_dict` as one JSON line with sorted keys: equal configs give equal
        strings."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def missing_fields(cls, data: Mapping[str, Any]) -> list[str]:
        """The fields ``data`` leaves out, sorted: what :meth:`from_dict` would fill in
        with this version's defaults.

        A config that travels without its model (a Rekognition model's, from a deployment's
        settings or a ``--config`` file) must be whole: a later default would otherwise
        change what the model sees without a word.

        Examples
        --------
        >>> SpectrogramConfig.missing_fields({"kind": "mel", "n_mels": 128})[:3]
        ['bins_per_octave', 'cmap', 'duration']
        """
        return sorted({f.name for f in dataclasses.fields(cls)} - set(data))

    def describe_differences(
        self, other: SpectrogramConfig, *, this: str = "this", that: str = "other"
    ) -> str:
        """The fields that differ, as ``"n_mels: model 128, dataset 64"`` with ``this`` and
        ``that`` naming the two configs; an error message names these, not all 15 fields."""
        mine, theirs = self.to_dict(), other.to_dict()
        return "; ".join(
            f"{key}: {this} {mine[key]!r}, {that} {theirs[key]!r}"
            for key in mine
            if mine[key] != theirs[key]
        )


#: Power floor for the dB conversion (librosa's ``amin``); a window whose loudest bin is not
#: above it is digital silence and renders black. Far below librosa's default of 1e-10, so
#: that ``top_db`` under the window's loudest bin sets the floor and an image does not depend
#: on the recording's level: with 1e-10 a window whose loudest mel bin is below 1e-2 (a tone
#: under about -50 dBFS) showed the floor as a flat grey plateau wherever the sound was
#: quieter still, in the empty top band of a quiet 8 kHz recording or around a clean tone.
AMIN = 1e-30

#: Peak-to-peak span (in any channel, of full scale 1) under which a window holds no sound
#: and renders exactly as digital silence: about -108 dBFS, an eighth of a 16-bit step.
#: Resampling a constant (a muted or dead digital microphone stuck at one value) leaves a
#: ripple of about 1e-7 of that value, which the window-relative dB scale would otherwise
#: draw at full contrast, as a comb of steady tones the CNN takes for an alarm.
SILENCE_SPAN = 2.0**-18

#: Median-filter length (frames for harmonic, bins for percussive) of the HPSS types, as
#: ``librosa.decompose.hpss(kernel_size=31)``.
HPSS_KERNEL = 31

#: Types whose images are dB relative to the window's loudest bin.
_DB_TYPES = ("mel", "linear", "cqt", "reassigned", "harmonic", "percussive")

#: Frames per FFT call and per filterbank product: small blocks stay in cache, and a fixed
#: product shape keeps every frame's result the same however many frames are computed.
_BLOCK_FRAMES = 256

#: Frames shared by one batch of windows in render_windows (bounds memory on long files).
_SHARED_BATCH_FRAMES = 4096

#: A row of MFCC image varying less than this (in dB units) is drawn as nearly flat
#: rather than stretching rounding noise over the whole grey range.
_MFCC_MIN_SPAN = 1.0


# --------------------------------------------------------------------------------------
# Public API


def compute_spectrogram(y: np.ndarray, *, config: SpectrogramConfig) -> np.ndarray:
    """The spectrogram of one window, before it becomes an image.

    Parameters
    ----------
    y : np.ndarray [shape=(config.window_samples,) or (channels, config.window_samples)]
        Audio at ``config.sr``, float. The channels of multichannel audio are combined in
        power: every type is computed from the mean of their power spectra (reassigned
        spectrograms pool their reassigned points), so a tone that reaches two microphones
        half a period apart does not cancel as in the average of their samples, and
        identical channels give the image of one.
    config : SpectrogramConfig
        ``config.kind`` chooses the representation; keyword-only and without a default, so
        that no caller renders with a config it did not choose. Frames are not centred:
        frame ``t`` covers ``y[t * hop_length : t * hop_length + n_fft]`` with a periodic
        Hann window.

    Returns
    -------
    S : np.ndarray [shape=(rows, config.n_frames), dtype=float32]
        Row 0 is the lowest frequency (or chroma C, or MFCC 0). Values by type:

        - mel, linear, cqt, reassigned, harmonic, percussive: power in dB relative to the
          window's loudest bin, clipped at ``-top_db`` (``librosa.power_to_db(S,
          ref=np.max, amin=AMIN, top_db=top_db)``); all ``-top_db`` for digital silence,
          which is any window whose samples span less than :data:`SILENCE_SPAN`.
        - chroma: ``librosa.feature.chroma_stft`` with ``tuning=0``, each frame scaled to
          a maximum of 1.
        - mfcc: ``librosa.feature.mfcc`` (DCT-II ortho of ``power_to_db(mel, ref=1.0,
          top_db=top_db)``).

    Raises
    ------
    ParameterError
        ``y`` is not float audio of exactly ``config.window_samples`` samples per channel.
    AudioError
        ``y`` holds NaN or infinite samples.

    See Also
    --------
    render_spectrogram, row_frequencies

    Examples
    --------
    >>> config = SpectrogramConfig(kind="mel")
    >>> t = np.arange(config.window_samples) / config.sr
    >>> S = compute_spectrogram(np.sin(2 * np.pi * 3100 * t).astype(np.float32), config=config)
    >>> S.shape, float(S.max())
    ((128, 126), 0.0)
    """
    y = _check_window(y, config)
    if _silent(y):
        y = np.zeros_like(y)
    if config.kind == "cqt":
        power = np.mean([_cqt_power(channel, config) for channel in _channels(y)], axis=0)
        return np.ascontiguousarray(_power_to_db(power, config.top_db).T)
    return _window_spectrogram(_frame_features(y, config, n_frames=config.n_frames), config)


def spectrogram_to_image(S: np.ndarray, *, config: SpectrogramConfig) -> np.ndarray:
    """Turn :func:`compute_spectrogram` output into an image.

    Intensity is scaled so ``[-top_db, 0]`` dB (the window's loudest bin is 0 dB) maps to
    ``[0, 255]``; chroma maps ``[0, 1]``; each MFCC row maps its own minimum to 0 and its
    maximum to 255 (rows spanning less than 1 dB are not stretched). The array is resized
    by area averaging to ``(height, width)`` and flipped so low frequencies are at the
    bottom. Colour maps other than ``gray`` look up matplotlib's 256 colours.

    Parameters
    ----------
    S : np.ndarray [shape=(rows, config.n_frames)]
    config : SpectrogramConfig

    Returns
    -------
    image : np.ndarray [shape=(height, width) or (height, width, 3), dtype=uint8]

    Raises
    ------
    ParameterError
        ``S`` does not have the shape ``config`` produces.
    """
    expected = (_n_rows(config), config.n_frames)
    if not isinstance(S, np.ndarray) or S.shape != expected:
        shape = getattr(S, "shape", type(S).__name__)
        raise ParameterError(f"{config.kind} spectrogram must have shape {expected}, got {shape}")
    level = _levels(np.asarray(S, dtype=np.float32), config)
    resized = _resize(level, height=config.height, width=config.width)
    pixels = np.rint(np.clip(resized, 0.0, 1.0) * np.float32(255)).astype(np.uint8)
    if config.channels == 1:
        return pixels
    return _colormap_lut(config.cmap)[pixels]


def render_spectrogram(y: np.ndarray, *, config: SpectrogramConfig) -> np.ndarray:
    """The image of one window: ``compute_spectrogram``, then ``spectrogram_to_image``.

    This is what the generator writes to disk and what inference classifies.

    Parameters
    ----------
    y : np.ndarray [shape=(config.window_samples,) or (channels, config.window_samples)]
        As :func:`compute_spectrogram`.
    config : SpectrogramConfig
        As :func:`compute_spectrogram`; a model's own (``model.json``) at inference.

    Returns
    -------
    image : np.ndarray [shape=(height, width) or (height, width, 3), dtype=uint8]

    Raises
    ------
    ParameterError, AudioError
        As :func:`compute_spectrogram`.
    """
    return spectrogram_to_image(compute_spectrogram(y, config=config), config=config)


def render_windows(
    y: np.ndarray,
    *,
    config: SpectrogramConfig,
    starts: np.ndarray | list[int],
    on_frames: Callable[[int, np.ndarray], None] | None = None,
) -> np.ndarray:
    """Render many windows of one recording.

    The bytes equal rendering each window alone with :func:`render_spectrogram`, but for
    the float32 mel product, which BLAS may round differently for a batch's frames than for
    one window's: that has moved an ``mfcc`` pixel by one grey level, in 2 of 81,920. Windows
    starting at a multiple of ``hop_length`` share their STFT frames (frames are not
    centred, so a window's frames are a slice of the recording's): the frames are computed
    once per batch of overlapping windows and sliced. Other starts, and ``cqt`` (whose long
    filters reach past the window edges), are rendered one window at a time.

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (channels, n)], float
        The whole recording at ``config.sr``; channels are combined in power
        (:func:`compute_spectrogram`).
    config : SpectrogramConfig
        As :func:`compute_spectrogram`.
    starts : array-like of int
        Sample offsets of the windows (see :func:`sounddetect.windows.window_starts`).
    on_frames : callable or None
        Called as ``on_frames(first, features)`` with each batch's shared frames, which
        other analyses of the same recording can then reuse (for ``mel`` and ``linear``,
        the dB of :func:`frame_levels`): ``features[k]`` is the frame that starts at sample
        ``(first + k) * hop_length`` of ``y``. Batches of overlapping windows overlap in
        frames too. A window off the frame grid (the last of a recording, which ends at its
        end) passes on the frames of the grid that it holds; calls come in order of
        ``first``. Not called for ``cqt``.

    Returns
    -------
    images : np.ndarray [shape=(len(starts), height, width[, 3]), dtype=uint8]

    Raises
    ------
    ParameterError
        A start is not an integer, is negative, or its window runs past the end of ``y``.
    AudioError
        ``y`` holds NaN or infinite samples.
    """
    _check_config(config)
    y = _check_audio(y, name="recording")
    starts = _check_starts(starts, n_samples=y.shape[-1], window_samples=config.window_samples)
    shape = (config.height, config.width) + ((3,) if config.channels == 3 else ())
    images = np.empty((starts.size,) + shape, dtype=np.uint8)
    hop, n_frames = config.hop_length, config.n_frames
    on_grid = (starts % hop == 0) & (config.kind != "cqt")
    shared: list[tuple[int, np.ndarray]] = []  # for on_frames, in order of their first frame
    for i in np.flatnonzero(~on_grid):
        window = y[..., starts[i] : starts[i] + config.window_samples]
        images[i] = render_spectrogram(window, config=config)
        if on_frames is None or config.kind == "cqt":
            continue
        # Without these, an analysis fed by on_frames would never hear the last stretch
        # of a recording, whose last window is seldom on the grid.
        first = -(-int(starts[i]) // hop)
        count = (int(starts[i]) + config.window_samples - config.n_fft) // hop - first + 1
        if count > 0:
            segment = y[..., first * hop : (first + count - 1) * hop + config.n_fft]
            shared.append((first, _frame_features(segment, config, n_frames=count)))
    grid_index = np.flatnonzero(on_grid)
    silent_image = None
    for batch in _overlapping_batches(starts[grid_index] // hop, n_frames=n_frames):
        first = int(starts[grid_index[batch[0]]] // hop)
        last = int(starts[grid_index[batch[-1]]] // hop) + n_frames
        segment = y[..., first * hop : (last - 1) * hop + config.n_fft]
        features = _frame_features(segment, config, n_frames=last - first)
        if on_frames is not None:
            shared.append((first, features))
        for i in grid_index[batch]:
            if _silent(y[..., starts[i] : starts[i] + config.window_samples]):
                if silent_image is None:
                    silent_image = render_spectrogram(
                        np.zeros((*y.shape[:-1], config.window_samples), np.float32), config=config
                    )
                images[i] = silent_image
                continue
            offset = int(starts[i] // hop) - first
            # _window_spectrogram never writes to its input, so a view of the shared
            # frames is enough.
            window = features[offset : offset + n_frames]
            images[i] = spectrogram_to_image(_window_spectrogram(window, config), config=config)
    for first, features in sorted(shared, key=lambda item: item[0]):
        on_frames(first, features)
    return images


def frame_levels(y: np.ndarray, *, config: SpectrogramConfig) -> np.ndarray:
    """dB of every whole STFT frame of ``y`` and every row, for ``mel`` and ``linear``.

    The per-frame values :func:`render_windows` shares between windows, before any
    window's own maximum is subtracted: frame ``t`` starts at sample ``t * hop_length``.

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (channels, n)], float
        Audio at ``config.sr``; channels are combined in power (:func:`compute_spectrogram`).
    config : SpectrogramConfig
        ``kind`` ``mel`` or ``linear``.

    Returns
    -------
    np.ndarray [shape=(frames, rows), dtype=float32]
        Rows as :func:`row_frequencies` (lowest first); no frames when ``y`` is shorter
        than ``n_fft``.

    Raises
    ------
    ParameterError
        Another kind.
    """
    _check_config(config)
    if config.kind not in ("mel", "linear"):
        raise ParameterError(f"frame_levels needs a mel or linear config, got {config.kind!r}")
    y = _check_audio(y, name="recording")
    n_frames = max(0, 1 + (y.shape[-1] - config.n_fft) // config.hop_length)
    if not n_frames:
        return np.zeros((0, *_frame_feature_shape(config)), dtype=np.float32)
    return _frame_features(y, config, n_frames=n_frames)


def row_frequencies(config: SpectrogramConfig) -> np.ndarray:
    """Centre frequency in Hz of each row of :func:`compute_spectrogram` (row 0 lowest).

    Raises
    ------
    ParameterError
        For ``chroma`` and ``mfcc``, whose rows are not frequencies.
    """
    if config.kind in ("chroma", "mfcc"):
        raise ParameterError(f"{config.kind} rows are not frequencies")
    if config.kind == "mel":
        return _mel_edges_hz(config.n_mels, config.fmin, config.fmax)[1:-1]
    if config.kind == "cqt":
        return _cqt_frequencies(config.sr, config.bins_per_octave, config.fmin, config.fmax)
    lo, hi = _linear_bins(config.sr, config.n_fft, config.fmin, config.fmax)
    return np.arange(lo, hi) * config.sr / config.n_fft


def image_row_frequencies(config: SpectrogramConfig) -> np.ndarray:
    """Frequency in Hz of each row of a rendered image (row 0 at the top: the highest).

    Raises
    ------
    ParameterError
        For ``chroma`` and ``mfcc``, whose rows are not frequencies.
    """
    rows_hz = row_frequencies(config)
    positions = np.linspace(len(rows_hz) - 1, 0, config.height)
    return np.interp(positions, np.arange(len(rows_hz)), rows_hz)


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of an image; identical input gives identical bytes (no metadata, no time).

    Parameters
    ----------
    image : np.ndarray [shape=(height, width) or (height, width, 3), dtype=uint8]

    Raises
    ------
    ParameterError
        Not a uint8 gray or RGB image.
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise ParameterError(f"image must be a uint8 array, got {getattr(image, 'dtype', image)}")
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise ParameterError(f"image must be (H, W) or (H, W, 3), got shape {image.shape}")
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def decode_png(data: bytes) -> np.ndarray:
    """The uint8 array of PNG bytes: (H, W) for gray, (H, W, 3) for colour (alpha dropped).

    Raises
    ------
    ParameterError
        The bytes are not a PNG image with 8-bit samples.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                raise ParameterError(f"not a PNG image (found {image.format})")
            image.load()
            if image.mode in ("LA", "RGBA", "P"):
                image = image.convert("L" if image.mode == "LA" else "RGB")
            if image.mode not in ("L", "RGB"):
                raise ParameterError(f"unsupported PNG pixel mode {image.mode!r} (need 8-bit)")
            return np.asarray(image, dtype=np.uint8)
    except UnidentifiedImageError as exc:  # its message names only the BytesIO object
        raise ParameterError("not a PNG image (no image format recognised)") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ParameterError(f"not a readable PNG image ({exc})") from exc


def image_to_pixels(images: np.ndarray) -> np.ndarray:
    """Images in the model input's layout, ``(n, C, H, W)``, still uint8.

    Training keeps its images this way, a quarter of the memory of float32, and converts
    each batch as :func:`image_to_tensor` does.

    Parameters
    ----------
    images : np.ndarray [shape=(n, H, W) or (n, H, W, 3), dtype=uint8]
        A batch as :func:`render_windows` returns it (3-D means gray, 4-D means colour).

    Returns
    -------
    pixels : np.ndarray [shape=(n, C, H, W), dtype=uint8]
        A view of ``images`` where the layout allows it.

    Raises
    ------
    ParameterError
        Not a uint8 batch of gray or RGB images.
    """
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8:
        raise ParameterError(
            f"images must be a uint8 array, got {getattr(images, 'dtype', images)}"
        )
    if images.ndim == 3:
        return images[:, np.newaxis]
    if images.ndim == 4 and images.shape[3] == 3:
        return images.transpose(0, 3, 1, 2)
    raise ParameterError(f"images must be (n, H, W) or (n, H, W, 3), got shape {images.shape}")


def image_to_tensor(images: np.ndarray) -> np.ndarray:
    """The model input: images as float32 ``(n, C, H, W)`` with values ``pixel / 255``.

    Parameters
    ----------
    images : np.ndarray [dtype=uint8]
        A gray or colour batch, as :func:`image_to_pixels` takes it.

    Returns
    -------
    tensor : np.ndarray [shape=(n, C, H, W), dtype=float32], values in [0, 1]

    Raises
    ------
    ParameterError
        As :func:`image_to_pixels`.
    """
    return np.ascontiguousarray(image_to_pixels(images), dtype=np.float32) / np.float32(255)


# --------------------------------------------------------------------------------------
# Validation


def _check_config(config: SpectrogramConfig) -> None:
    if not isinstance(config, SpectrogramConfig):
        raise ParameterError(
            f"config must be a SpectrogramConfig (SpectrogramConfig.from_dict of a dict), got "
            f"{type(config).__name__}"
        )


def _check_audio(y: np.ndarray, *, name: str) -> np.ndarray:
    valid_audio(y, name=name, multichannel=True)
    return y.astype(np.float32, copy=False)


def _check_window(y: np.ndarray, config: SpectrogramConfig) -> np.ndarray:
    _check_config(config)  # before config.window_samples is read
    if isinstance(y, np.ndarray) and y.ndim in (1, 2) and y.shape[-1] != config.window_samples:
        raise ParameterError(
            f"window has {y.shape[-1]} samples; {config.kind} config needs "
            f"{config.window_samples} ({config.duration} s at {config.sr} Hz)"
        )
    return _check_audio(y, name="window")


def _silent(window: np.ndarray) -> bool:
    """Whether no channel of ``window`` spans :data:`SILENCE_SPAN` (it holds no sound)."""
    channels = _channels(window)
    return bool(np.all(channels.max(axis=1) - channels.min(axis=1) < SILENCE_SPAN))


def _channels(y: np.ndarray) -> np.ndarray:
    """Audio of shape (n,) or (channels, n) as (channels, n)."""
    return y.reshape(-1, y.shape[-1])


def _check_starts(starts: Any, *, n_samples: int, window_samples: int) -> np.ndarray:
    starts = np.asarray(starts)
    if starts.ndim != 1 or not (starts.size == 0 or np.issubdtype(starts.dtype, np.integer)):
        raise ParameterError(f"starts must be a 1-D array of integers, got {starts!r:.80}")
    starts = starts.astype(np.int64)
    bad = (starts < 0) | (starts + window_samples > n_samples)
    if np.any(bad):
        raise ParameterError(
            f"window start {int(starts[bad][0])} is outside the recording "
            f"({n_samples} samples, windows of {window_samples})"
        )
    return starts


def _overlapping_batches(first_frames: np.ndarray, *, n_frames: int) -> list[np.ndarray]:
    """Group windows (by first frame) into batches whose frames overlap and stay bounded."""
    order = np.argsort(first_frames, kind="stable")
    batches: list[list[int]] = []
    batch_first = batch_end = 0
    for i in order:
        first = int(first_frames[i])
        end = first + n_frames
        if batches and first <= batch_end and end - batch_first <= _SHARED_BATCH_FRAMES:
            batches[-1].append(int(i))
            batch_end = max(batch_end, end)
        else:
            batches.append([int(i)])
            batch_first, batch_end = first, end
    return [np.asarray(batch) for batch in batches]


# --------------------------------------------------------------------------------------
# Per-frame stage: everything that depends on one frame only, so that windows can share it.
# Features are (frames, ...) float32. Each frame's values must not depend on which other
# frames were computed with it (that makes render_windows byte-identical to rendering one
# window): FFTs run row by row, and matrix products always see blocks of the same size.


def _frame_features(y: np.ndarray, config: SpectrogramConfig, *, n_frames: int) -> np.ndarray:
    """Features of the ``n_frames`` frames of ``y`` (frame ``t`` starts at ``t * hop``).

    ``y`` is (n,) or (channels, n); channels are combined in power (their mean), the
    reassigned type's points pooled.
    """
    n_fft, kind = config.n_fft, config.kind
    n_bins = n_fft // 2 + 1
    # pocketfft runs about 3x faster in float64 than in float32 here; the frames are cast
    # block by block as they are windowed (a float64 copy of all of y costs more than that).
    channel_frames = [
        sliding_window_view(channel, n_fft)[:: config.hop_length][:n_frames]
        for channel in _channels(y)
    ]
    n_channels = len(channel_frames)
    window = _hann(n_fft)
    shape = _frame_feature_shape(config, n_channels=n_channels)
    features = np.empty((n_frames, *shape), dtype=np.float32)
    lo, hi = _linear_bins(config.sr, n_fft, config.fmin, config.fmax)
    # Buffers reused by every block (fresh megabyte arrays cost page faults each time).
    # Filterbank products always take a full block: zero rows after the last frame.
    windowed = np.empty((_BLOCK_FRAMES, n_fft))
    spectrum = np.empty((_BLOCK_FRAMES, n_bins), dtype=np.complex128)
    squares = np.empty((_BLOCK_FRAMES, 2 * n_bins))
    total = np.empty((_BLOCK_FRAMES, n_bins)) if n_channels > 1 else None
    power = np.zeros((_BLOCK_FRAMES, n_bins), dtype=np.float32)
    for begin in range(0, n_frames, _BLOCK_FRAMES):
        end = min(begin + _BLOCK_FRAMES, n_frames)
        n = end - begin
        for c, frames in enumerate(channel_frames):
            block = frames[begin:end]
            np.multiply(block, window, out=windowed[:n])
            np.fft.rfft(windowed[:n], axis=1, out=spectrum[:n])
            if kind == "reassigned":
                points = _reassignment(block, spectrum[:n], config)
                points[:, 0] /= n_channels
                features[begin:end, :, c * n_bins : (c + 1) * n_bins] = points
                continue
            np.square(spectrum[:n].view(np.float64), out=squares[:n])
            if total is None:  # mono: straight to float32, a pass less
                np.add(squares[:n, 0::2], squares[:n, 1::2], out=power[:n], casting="same_kind")
            elif c == 0:
                np.add(squares[:n, 0::2], squares[:n, 1::2], out=total[:n])
            else:
                total[:n] += squares[:n, 0::2] + squares[:n, 1::2]
        if kind == "reassigned":
            continue
        if total is not None:
            np.multiply(total[:n], 1.0 / n_channels, out=power[:n], casting="same_kind")
        power[n:] = 0
        # mel and linear keep dB per frame: the log is then taken once per frame, not once
        # per overlapping window (only the window's own maximum is subtracted later).
        if kind == "linear":
            features[begin:end] = _to_db(power[:n, lo:hi])
        elif kind in ("harmonic", "percussive"):  # median filters need neighbouring frames
            features[begin:end] = np.sqrt(power[:n])
        elif kind == "mel":
            features[begin:end] = _to_db(_mel_product(power, config)[:n])
        elif kind == "mfcc":
            features[begin:end] = _mel_product(power, config)[:n]
        else:  # chroma, normalised per frame like librosa's norm=inf
            chroma = power @ _chroma_basis(config.sr, n_fft, config.n_chroma)
            peak = chroma.max(axis=1, keepdims=True)
            peak[peak < np.finfo(np.float32).tiny] = 1
            features[begin:end] = (chroma / peak)[:n]
    return features


def _frame_feature_shape(config: SpectrogramConfig, *, n_channels: int = 1) -> tuple[int, ...]:
    n_bins = config.n_fft // 2 + 1
    shapes = {
        "mel": (config.n_mels,),
        "mfcc": (config.n_mels,),
        "chroma": (config.n_chroma,),
        "linear": (_n_rows(config),),
        "reassigned": (3, n_channels * n_bins),  # each channel's points side by side
    }
    return shapes.get(config.kind, (n_bins,))


def _power(spectrum: np.ndarray) -> np.ndarray:
    """``abs(spectrum) ** 2`` (squares of the interleaved real and imaginary parts)."""
    squares = np.square(spectrum.view(np.float64))
    return squares[:, 0::2] + squares[:, 1::2]


def _mel_product(power: np.ndarray, config: SpectrogramConfig) -> np.ndarray:
    """Mel power of (frames, bins) power: one product per group of adjacent filters.

    The basis is banded (each filter spans a few bins), so products over each group's bins
    do about a seventh of the multiplications of one dense product.
    """
    groups = _mel_basis(config.sr, config.n_fft, config.n_mels, config.fmin, config.fmax)
    mel = np.empty((power.shape[0], config.n_mels), dtype=np.float32)
    for group in groups:
        mel[:, group.filters] = power[:, group.bins] @ group.basis
    return mel


def _reassignment(block: np.ndarray, spectrum: np.ndarray, config: SpectrogramConfig) -> np.ndarray:
    """(power, reassigned bin, time shift in hops) of each frame and bin.

    Frequency: ``k - imag(X_dh / X_h) * n_fft / 2 pi`` bins, with the cyclic derivative of
    the window; time: ``real(X_th / X_h)`` samples, with the time-ramped window (Flandrin,
    Auger & Chassande-Mottin 2002, as ``librosa.reassigned_spectrogram``). Bins without
    power keep their own place.
    """
    n_fft = config.n_fft
    derivative, ramped = _reassignment_windows(n_fft)
    x_dh = np.fft.rfft(block * derivative, axis=1)
    x_th = np.fft.rfft(block * ramped, axis=1)
    power = _power(spectrum)
    nonzero = power > 0
    safe_power = np.where(nonzero, power, 1.0)
    cross_d = x_dh.imag * spectrum.real - x_dh.real * spectrum.imag
    cross_t = x_th.real * spectrum.real + x_th.imag * spectrum.imag
    frequency = np.arange(n_fft // 2 + 1) - np.where(nonzero, cross_d / safe_power, 0) * (
        n_fft / (2 * np.pi)
    )
    shift = np.where(nonzero, cross_t / safe_power, 0) / config.hop_length
    return np.stack([power, frequency, shift], axis=1).astype(np.float32)


# --------------------------------------------------------------------------------------
# Per-window stage: from one window's frame features to its (rows, frames) spectrogram.


def _window_spectrogram(features: np.ndarray, config: SpectrogramConfig) -> np.ndarray:
    kind = config.kind
    if kind in ("mel", "linear"):
        spectrogram = _relative_db(features, config.top_db)
    elif kind == "mfcc":
        spectrogram = _mfcc(features, config)
    elif kind == "chroma":
        spectrogram = features
    elif kind in ("harmonic", "percussive"):
        spectrogram = _power_to_db(_hpss_power(features, config), config.top_db)
    else:
        spectrogram = _power_to_db(_reassigned_power(features, config), config.top_db)
    return np.ascontiguousarray(spectrogram.T)


def _power_to_db(power: np.ndarray, top_db: float) -> np.ndarray:
    """``librosa.power_to_db(power, ref=np.max, amin=AMIN, top_db=top_db)``, silence-safe."""
    return _relative_db(_to_db(power), top_db)


def _to_db(power: np.ndarray) -> np.ndarray:
    """``10 log10(max(power, AMIN))`` in float32."""
    return np.float32(10) * np.log10(np.maximum(power, np.float32(AMIN)))


#: What :func:`_to_db` gives for digital silence (power at or below AMIN).
_SILENCE_DB = float(_to_db(np.zeros(1, dtype=np.float32))[0])


def _relative_db(db: np.ndarray, top_db: float) -> np.ndarray:
    """dB relative to the loudest bin, clipped at ``-top_db``; all ``-top_db`` for silence."""
    peak = db.max()
    if not float(peak) > _SILENCE_DB:
        return np.full(db.shape, -top_db, dtype=np.float32)
    return np.maximum(db - peak, np.float32(-top_db))


def _mfcc(mel: np.ndarray, config: SpectrogramConfig) -> np.ndarray:
    """``librosa.feature.mfcc``: DCT-II (ortho) of ``power_to_db(mel, ref=1.0, top_db)``."""
    log_mel = _to_db(mel)
    log_mel = np.maximum(log_mel, log_mel.max() - np.float32(config.top_db))
    # In float64: a float32 product's rounding depends on the BLAS kernel, which can differ
    # between frames, and a steady sound's frames must give one value per row (each row is
    # stretched over its own range when rendered).
    return (log_mel.astype(np.float64) @ _dct_basis(config.n_mels, config.n_mfcc)).astype(
        np.float32
    )


def _hpss_power(magnitude: np.ndarray, config: SpectrogramConfig) -> np.ndarray:
    """Harmonic or percussive power of the displayed bins (``librosa.decompose.hpss``).

    Median filters of the magnitude along time (harmonic) and frequency (percussive) with
    scipy's ``reflect`` edges (numpy's ``symmetric``), then a soft mask with power 2.
    """
    lo, hi = _linear_bins(config.sr, config.n_fft, config.fmin, config.fmax)
    half = HPSS_KERNEL // 2
    along_time = np.pad(magnitude[:, lo:hi], ((half, half), (0, 0)), mode="symmetric")
    harmonic = _median(sliding_window_view(along_time, HPSS_KERNEL, axis=0))
    along_freq = np.pad(magnitude, ((0, 0), (half, half)), mode="symmetric")
    percussive = _median(sliding_window_view(along_freq, HPSS_KERNEL, axis=1)[:, lo:hi])
    if config.kind == "harmonic":
        mask = _softmask(harmonic, percussive)
    else:
        mask = _softmask(percussive, harmonic)
    return np.square(magnitude[:, lo:hi] * mask)


def _median(windows: np.ndarray) -> np.ndarray:
    """Median over the last axis (odd length); np.partition is ~5x faster than np.median."""
    values = np.ascontiguousarray(windows)
    middle = values.shape[-1] // 2
    values.partition(middle, axis=-1)
    return values[..., middle]


def _softmask(x: np.ndarray, other: np.ndarray) -> np.ndarray:
    """``librosa.util.softmask(x, other, power=2, split_zeros=True)``."""
    peak = np.maximum(x, other)
    empty = peak < np.finfo(np.float32).tiny
    peak[empty] = 1
    mask = np.square(x / peak)
    total = mask + np.square(other / peak)
    total[empty] = 1
    mask /= total
    mask[empty] = 0.5
    return mask


def _reassigned_power(features: np.ndarray, config: SpectrogramConfig) -> np.ndarray:
    """Reassigned power accumulated into a (frames, displayed bins) grid.

    Bins more than ``top_db`` below the window's loudest bin are not reassigned (their
    estimates are noise), like ``librosa.reassigned_spectrogram(ref_power=..., fill_nan=True,
    clip=True)``. Points outside fmin..fmax are dropped; times are clipped to the window.
    """
    power, frequency, shift = features[:, 0], features[:, 1], features[:, 2]
    lo, hi = _linear_bins(config.sr, config.n_fft, config.fmin, config.fmax)
    n_bins = config.n_fft // 2 + 1
    n_frames, n_points = power.shape  # the points of each channel in turn (_frame_features)
    keep_place = power < power.max() * np.float32(10 ** (-config.top_db / 10))
    bins = np.tile(np.arange(n_bins, dtype=np.float32), n_points // n_bins)[np.newaxis, :]
    frames = np.arange(n_frames, dtype=np.float32)[:, np.newaxis]
    row = np.rint(np.clip(np.where(keep_place, bins, frequency), 0, n_bins - 1))
    column = np.clip(np.rint(np.where(keep_place, frames, frames + shift)), 0, n_frames - 1)
    inside = (row >= lo) & (row < hi)
    cells = column[inside].astype(np.int64) * (hi - lo) + (row[inside].astype(np.int64) - lo)
    grid = np.bincount(cells, weights=power[inside], minlength=n_frames * (hi - lo))
    return grid.reshape(n_frames, hi - lo).astype(np.float32)


def _cqt_power(y: np.ndarray, config: SpectrogramConfig) -> np.ndarray:
    """Constant-Q power (frames, bins) at the STFT frame centres of one window.

    One frequency-domain kernel (Brown & Puckette 1992) built like librosa's CQT filters
    (Hann-windowed complex exponentials of ``Q * sr / f`` samples, L1-normalised, scaled by
    ``1 / sqrt(length)``), applied to the FFT of frames as long as the longest filter and
    centred at ``t * hop_length + n_fft // 2``; the window is zero-padded at its edges.
    librosa instead filters octave by octave on downsampled audio.
    """
    kernel = _cqt_kernel(config.sr, config.bins_per_octave, config.fmin, config.fmax)
    half = kernel.n_fft // 2
    padded = np.pad(y.astype(np.float64), (half, half))
    frames = sliding_window_view(padded, kernel.n_fft)[config.n_fft // 2 :: config.hop_length]
    spectrum = np.fft.rfft(frames[: config.n_frames], axis=1)[:, kernel.lo : kernel.hi]
    response = spectrum.astype(np.complex64) @ kernel.basis
    return _power(response.astype(np.complex128)).astype(np.float32)


# --------------------------------------------------------------------------------------
# Image stage


def _levels(S: np.ndarray, config: SpectrogramConfig) -> np.ndarray:
    """Spectrogram values as intensities in [0, 1]."""
    if config.kind in _DB_TYPES:
        return (S + np.float32(config.top_db)) / np.float32(config.top_db)
    if config.kind == "chroma":
        return np.clip(S, 0, 1)
    low = S.min(axis=1, keepdims=True)
    span = np.maximum(S.max(axis=1, keepdims=True) - low, np.float32(_MFCC_MIN_SPAN))
    return (S - low) / span


def _resize(level: np.ndarray, *, height: int, width: int) -> np.ndarray:
    """Area-average (rows, frames) to (height, width), highest row first."""
    rows, frames = level.shape
    vertical = _area_matrix(rows, height, flip=True)
    horizontal = _area_matrix(frames, width).T
    if rows == height:
        return np.ascontiguousarray(level[::-1]) @ horizontal
    if (
        height * rows * frames + height * frames * width
        <= rows * frames * width + height * rows * width
    ):
        return (vertical @ level) @ horizontal
    return vertical @ (level @ horizontal)


# --------------------------------------------------------------------------------------
# Cached constants (per configuration value; configs are frozen, so their fields are keys)


@functools.lru_cache(maxsize=8)
def _hann(n_fft: int) -> np.ndarray:
    """Periodic Hann window, as ``scipy.signal.get_window("hann", n_fft)``."""
    return _frozen(0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft))


@functools.lru_cache(maxsize=8)
def _reassignment_windows(n_fft: int) -> tuple[np.ndarray, np.ndarray]:
    """Cyclic derivative and time-ramped (samples from the centre) Hann windows."""
    window = _hann(n_fft)
    derivative = (np.roll(window, -1) - np.roll(window, 1)) / 2
    return _frozen(derivative), _frozen(window * (np.arange(n_fft) - (n_fft - 1) / 2))


def _check_mel_bands(config: SpectrogramConfig) -> None:
    """Refuse mel bands narrower than an FFT bin: they hold no bin and render black rows."""
    groups = _mel_basis(config.sr, config.n_fft, config.n_mels, config.fmin, config.fmax)
    empty = sum(int(np.sum(~group.basis.any(axis=0))) for group in groups)
    if empty:
        raise ParameterError(
            f"{empty} of n_mels={config.n_mels} mel bands between {config.fmin:g} and "
            f"{config.fmax:g} Hz fall between the FFT bins of n_fft={config.n_fft} "
            f"({config.sr / config.n_fft:g} Hz apart) and would render black rows; use fewer "
            "mel bands, a larger n_fft or a wider fmin..fmax"
        )


def _check_cqt(config: SpectrogramConfig) -> None:
    """Refuse constant-Q settings without a bin below Nyquist, or whose longest filter (at
    fmin) is longer than the window it would be applied to."""
    if config.fmin <= 0:
        raise ParameterError(f"a cqt config needs fmin > 0 Hz, got {config.fmin}")
    freqs = _cqt_frequencies(config.sr, config.bins_per_octave, config.fmin, config.fmax)
    if freqs.size == 0:
        raise ParameterError(
            f"no constant-Q bin fits between {config.fmin:g} Hz and Nyquist ({config.sr / 2:g} Hz)"
        )
    longest = config.sr / (_cqt_relative_bandwidth(config.bins_per_octave) * config.fmin)
    if longest > config.window_samples:
        raise ParameterError(
            f"the constant-Q filter at fmin={config.fmin:g} Hz is {longest / config.sr:.2f} s "
            f"long, more than the {config.duration:g} s window; raise fmin or lower "
            "bins_per_octave"
        )


@functools.lru_cache(maxsize=32)
def _linear_bins(sr: int, n_fft: int, fmin: float, fmax: float) -> tuple[int, int]:
    """FFT bins ``lo:hi`` with ``fmin <= frequency <= fmax``."""
    inside = np.flatnonzero(
        (np.fft.rfftfreq(n_fft, 1 / sr) >= fmin) & (np.fft.rfftfreq(n_fft, 1 / sr) <= fmax)
    )
    if inside.size == 0:
        raise ParameterError(f"no FFT bin between {fmin} and {fmax} Hz with n_fft={n_fft}")
    return int(inside[0]), int(inside[-1]) + 1


def _hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    """Slaney's mel scale (librosa's default): linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    log_step = np.log(6.4) / 27.0
    linear = hz / (200.0 / 3)
    logarithmic = 15.0 + np.log(np.maximum(hz, 1000.0) / 1000.0) / log_step
    return np.where(hz >= 1000.0, logarithmic, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    log_step = np.log(6.4) / 27.0
    linear = mel * (200.0 / 3)
    logarithmic = 1000.0 * np.exp(log_step * (np.maximum(mel, 15.0) - 15.0))
    return np.where(mel >= 15.0, logarithmic, linear)


@functools.lru_cache(maxsize=8)
def _mel_edges_hz(n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    """The ``n_mels + 2`` band edges/centres of ``librosa.mel_frequencies(htk=False)``."""
    return _frozen(_mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2)))


@dataclass(frozen=True)
class _MelGroup:
    filters: slice  # mel bands of the group
    bins: slice  # FFT bins where any of them is nonzero
    basis: np.ndarray  # float32 (bins, filters)


#: Mel filters per product in _mel_product.
_MEL_GROUP_SIZE = 16


@functools.lru_cache(maxsize=8)
def _mel_basis(sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> tuple[_MelGroup, ...]:
    """``librosa.filters.mel(norm="slaney", htk=False)``, transposed, in groups of bands."""
    edges = _mel_edges_hz(n_mels, fmin, fmax)
    ramps = edges[:, np.newaxis] - np.fft.rfftfreq(n_fft, 1 / sr)[np.newaxis, :]
    widths = np.diff(edges)[:, np.newaxis]
    weights = np.maximum(0, np.minimum(-ramps[:-2] / widths[:-1], ramps[2:] / widths[1:]))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, np.newaxis]
    groups = []
    for first in range(0, n_mels, _MEL_GROUP_SIZE):
        filters = slice(first, min(first + _MEL_GROUP_SIZE, n_mels))
        used = np.flatnonzero(weights[filters].any(axis=0))
        if used.size == 0:  # bands narrower than an FFT bin: empty, like librosa's
            used = np.array([0])
        bins = slice(int(used[0]), int(used[-1]) + 1)
        basis = np.ascontiguousarray(weights[filters, bins].T, dtype=np.float32)
        groups.append(_MelGroup(filters=filters, bins=bins, basis=_frozen(basis)))
    return tuple(groups)


@functools.lru_cache(maxsize=8)
def _dct_basis(n_mels: int, n_mfcc: int) -> np.ndarray:
    """(n_mels, n_mfcc) orthonormal DCT-II (``scipy.fft.dct(type=2, norm="ortho")``)."""
    n = np.arange(n_mels)[:, np.newaxis]
    k = np.arange(n_mfcc)[np.newaxis, :]
    basis = np.cos(np.pi * k * (2 * n + 1) / (2 * n_mels)) * np.sqrt(2.0 / n_mels)
    basis[:, 0] /= np.sqrt(2.0)
    return _frozen(basis)


@functools.lru_cache(maxsize=8)
def _chroma_basis(sr: int, n_fft: int, n_chroma: int) -> np.ndarray:
    """``librosa.filters.chroma(tuning=0, ctroct=5, octwidth=2, norm=2, base_c=True)``.

    Transposed to float32 (1 + n_fft / 2, n_chroma) for frames @ basis.
    """
    frequencies = np.linspace(0, sr, n_fft, endpoint=False)[1:]
    chroma_bins = n_chroma * np.log2(frequencies / (440.0 / 16))
    chroma_bins = np.concatenate(([chroma_bins[0] - 1.5 * n_chroma], chroma_bins))
    bin_widths = np.concatenate((np.maximum(np.diff(chroma_bins), 1.0), [1]))
    distance = np.subtract.outer(chroma_bins, np.arange(n_chroma, dtype="d")).T
    half = np.round(n_chroma / 2)
    distance = np.remainder(distance + half + 10 * n_chroma, n_chroma) - half
    weights = np.exp(-0.5 * (2 * distance / bin_widths[np.newaxis, :]) ** 2)
    weights /= np.sqrt(np.sum(weights**2, axis=0, keepdims=True))
    weights *= np.exp(-0.5 * ((chroma_bins / n_chroma - 5.0) / 2.0) ** 2)[np.newaxis, :]
    weights = np.roll(weights, -3 * (n_chroma // 12), axis=0)
    return _frozen(np.ascontiguousarray(weights[:, : n_fft // 2 + 1].T, dtype=np.float32))


def _cqt_frequencies(sr: int, bins_per_octave: int, fmin: float, fmax: float) -> np.ndarray:
    """Geometric bins from fmin, up to fmax, whose Hann filters stay below Nyquist."""
    n_bins = int(np.floor(bins_per_octave * np.log2(fmax / fmin) + 1e-9)) + 1
    freqs = fmin * 2.0 ** (np.arange(n_bins) / bins_per_octave)
    quality = 1 / _cqt_relative_bandwidth(bins_per_octave)
    # librosa's cut-off: centre plus half the Hann main lobe (1.5 bins of the filter length)
    return freqs[freqs * (1 + 0.5 * 1.50018310546875 / quality) <= sr / 2]


def _cqt_relative_bandwidth(bins_per_octave: int) -> float:
    ratio = 2.0 ** (2 / bins_per_octave)
    return (ratio - 1) / (ratio + 1)


@dataclass(frozen=True)
class _CqtKernel:
    n_fft: int  # frame length: the longest filter rounded up to a power of 2
    lo: int  # FFT bins lo:hi are the only ones any filter uses
    hi: int
    basis: np.ndarray  # complex64 (hi - lo, n_bins)


@functools.lru_cache(maxsize=8)
def _cqt_kernel(sr: int, bins_per_octave: int, fmin: float, fmax: float) -> _CqtKernel:
    freqs = _cqt_frequencies(sr, bins_per_octave, fmin, fmax)  # not empty: _check_cqt
    lengths = sr / (_cqt_relative_bandwidth(bins_per_octave) * freqs)
    n_fft = int(2 ** np.ceil(np.log2(lengths.max())))
    filters = np.zeros((freqs.size, n_fft), dtype=np.complex128)
    for k, (length, freq) in enumerate(zip(lengths, freqs, strict=True)):
        n = np.arange(-length // 2, length // 2, dtype=np.float64)
        taper = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n.size) / n.size)
        wavelet = np.exp(2j * np.pi * freq * n / sr) * taper
        wavelet /= np.abs(wavelet).sum()
        start = (n_fft - n.size) // 2
        filters[k, start : start + n.size] = wavelet * length / n_fft
    basis = np.fft.fft(filters, axis=1)[:, : n_fft // 2 + 1] / np.sqrt(lengths)[:, np.newaxis]
    # Like librosa's sparsify_rows(quantile=0.01): drop the smallest 1% of each filter's mass.
    magnitude = np.abs(basis)
    order = np.sort(magnitude, axis=1)
    cutoff_index = np.argmax(
        np.cumsum(order, axis=1) >= 0.01 * order.sum(axis=1, keepdims=True), axis=1
    )
    threshold = order[np.arange(freqs.size), cutoff_index][:, np.newaxis]
    basis[magnitude < threshold] = 0
    used = np.flatnonzero(np.any(basis != 0, axis=0))
    lo, hi = int(used[0]), int(used[-1]) + 1
    return _CqtKernel(
        n_fft=n_fft,
        lo=lo,
        hi=hi,
        basis=_frozen(np.ascontiguousarray(basis[:, lo:hi].T, dtype=np.complex64)),
    )


@functools.lru_cache(maxsize=32)
def _area_matrix(n_in: int, n_out: int, *, flip: bool = False) -> np.ndarray:
    """(n_out, n_in) weights averaging the input cells each output cell covers.

    ``flip`` reverses the output order (image rows run from the top, spectrogram rows from
    the lowest frequency).
    """
    scale = n_in / n_out
    edges = np.arange(n_out + 1) * scale
    cells = np.arange(n_in)
    overlap = np.minimum(edges[1:, None], cells[None, :] + 1) - np.maximum(
        edges[:-1, None], cells[None, :]
    )
    weights = np.maximum(overlap, 0) / scale
    if flip:
        weights = weights[::-1]
    return _frozen(np.ascontiguousarray(weights, dtype=np.float32))


@functools.lru_cache(maxsize=4)
def _colormap_lut(cmap: str) -> np.ndarray:
    return _frozen(np.frombuffer(bytes.fromhex(COLORMAP_HEX[cmap]), dtype=np.uint8).reshape(256, 3))


@functools.lru_cache(maxsize=64)
def _n_rows(config: SpectrogramConfig) -> int:
    if config.kind == "chroma":
        return config.n_chroma
    if config.kind == "mfcc":
        return config.n_mfcc
    if config.kind in ("linear", "reassigned", "harmonic", "percussive"):
        lo, hi = _linear_bins(config.sr, config.n_fft, config.fmin, config.fmax)
        return hi - lo
    return row_frequencies(config).size


def _frozen(array: np.ndarray) -> np.ndarray:
    """Make a cached array read-only so no caller can corrupt the cache."""
    array.flags.writeable = False
    return array
