"""Where the analysis windows of a recording start.

numpy only: this module runs inside the Lambda.

    window_starts   -- sample offsets of overlapping windows that cover a whole recording
"""

from __future__ import annotations

import numpy as np

from sounddetect.exceptions import AudioError, ParameterError


def window_starts(
    n_samples: int, *, window_samples: int, hop_samples: int, sr: float | None = None
) -> np.ndarray:
    """Start offsets of windows of ``window_samples`` every ``hop_samples`` over a recording.

    Parameters
    ----------
    n_samples : int
        Length of the recording in samples.
    window_samples : int > 0
        Window length in samples (``SpectrogramConfig.window_samples``).
    hop_samples : int > 0
        Distance between window starts in samples.
    sr : float or None
        Sample rate in Hz, only to state lengths in seconds in the error message.

    Returns
    -------
    starts : np.ndarray [shape=(n,), dtype=int64]
        ``0, hop, 2 hop, ...`` while a window fits, plus, when those leave the tail
        uncovered, one last window ending exactly at ``n_samples`` (so no sound at the
        end of a recording goes unclassified).

    Raises
    ------
    AudioError
        The recording is shorter than one window.
    ParameterError
        A length is not a positive integer.

    Examples
    --------
    >>> window_starts(10, window_samples=4, hop_samples=3)
    array([0, 3, 6])
    >>> window_starts(11, window_samples=4, hop_samples=3)
    array([0, 3, 6, 7])
    """
    for name, value in (("window_samples", window_samples), ("hop_samples", hop_samples)):
        if not isinstance(value, int | np.integer) or value <= 0:
            raise ParameterError(f"{name} must be a positive integer, got {value!r}")
    if not isinstance(n_samples, int | np.integer) or n_samples < 0:
        raise ParameterError(f"n_samples must be a non-negative integer, got {n_samples!r}")
    if n_samples < window_samples:
        if sr:
            lengths = f"{n_samples / sr:g} s < {window_samples / sr:g} s"
        else:
            lengths = f"{n_samples} samples < {window_samples} samples"
        raise AudioError(f"shorter than one window ({lengths})")
    starts = np.arange(0, n_samples - window_samples + 1, hop_samples, dtype=np.int64)
    if starts[-1] + window_samples < n_samples:
        starts = np.append(starts, np.int64(n_samples - window_samples))
    return starts
