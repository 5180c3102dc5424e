"""Audio input: loading, validation, resampling and mono mix-down.

Only numpy, soundfile and soxr: this module runs inside the Lambda.

    load_audio      -- a whole file as mono float32 at a target rate
    valid_audio     -- check an array is finite, 1-D float audio
    to_mono         -- average channels
    resample        -- soxr high-quality resampling
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from sounddetect.exceptions import AudioError, ParameterError

#: File suffixes treated as audio when a folder is scanned; decoding decides in the end.
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff", ".au")


def is_audio_path(path: str | os.PathLike) -> bool:
    """True when the file name has one of :data:`AUDIO_SUFFIXES` (case-insensitive)."""
    return Path(path).suffix.lower() in AUDIO_SUFFIXES


def valid_audio(y: np.ndarray, *, name: str = "audio") -> None:
    """Raise :class:`AudioError` unless ``y`` is a non-empty, finite, 1-D float array."""
    if not isinstance(y, np.ndarray):
        raise ParameterError(f"{name}: expected a numpy array, got {type(y).__name__}")
    if not np.issubdtype(y.dtype, np.floating):
        raise ParameterError(f"{name}: expected floating-point samples, got dtype {y.dtype}")
    if y.ndim != 1:
        raise ParameterError(f"{name}: expected mono (1-D) samples, got shape {y.shape}")
    if y.size == 0:
        raise AudioError(f"{name}: no samples")
    if not np.all(np.isfinite(y)):
        raise AudioError(f"{name}: contains NaN or infinite samples")


def to_mono(y: np.ndarray) -> np.ndarray:
    """Average the channels of a ``(n, channels)`` array; 1-D input is returned as is."""
    return y if y.ndim == 1 else y.mean(axis=1, dtype=np.float32)


def resample(y: np.ndarray, *, orig_sr: int, target_sr: int) -> np.ndarray:
    """Resample with soxr (high quality); a no-op when the rates match."""
    if orig_sr == target_sr:
        return y.astype(np.float32, copy=False)
    return soxr.resample(y, orig_sr, target_sr, quality="HQ").astype(np.float32, copy=False)


def load_audio(path: str | os.PathLike, *, sr: int | None = 16000) -> tuple[np.ndarray, int]:
    """Load a whole audio file as mono float32.

    Parameters
    ----------
    path : path-like
        WAV, FLAC, OGG/Vorbis, MP3 or anything else libsndfile decodes.
    sr : int or None
        Target sample rate in Hz; ``None`` keeps the file's rate.

    Returns
    -------
    y : np.ndarray [shape=(n,), dtype=float32]
    sr : int

    Raises
    ------
    AudioError
        The file is missing, empty, not decodable audio, or holds NaN/inf samples.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: empty file (0 bytes)")
    try:
        data, file_sr = sf.read(path, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise AudioError(f"{path}: not readable audio ({_reason(exc)})") from exc
    if data.shape[0] == 0:
        raise AudioError(f"{path}: no samples")
    y = to_mono(data)
    if not np.all(np.isfinite(y)):
        raise AudioError(f"{path}: contains NaN or infinite samples")
    target = file_sr if sr is None else sr
    return resample(y, orig_sr=file_sr, target_sr=target), target


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    return text.split(": ", 1)[-1] if "Error opening" in text else text
