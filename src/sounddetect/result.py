"""The detection result: one JSON object per input file (DESIGN.md, "Detection result").

    make_result     -- a successful result from window probabilities and events
    error_result    -- a failed result (``alarm`` null, ``error`` set)
    window_records  -- the ``windows`` list
    is_permanent    -- did it fail for an input error that no retry can fix?
    is_transient    -- did it fail for a reason that may pass by itself?
    to_json         -- one compact JSON line

Keys, always all present and in this order (:data:`RESULT_KEYS`):

``file`` (str)
    The path, S3 URL or name the caller gave.
``duration_s`` (float or null)
    Decoded length in seconds; null on failure.
``sample_rate`` (int or null)
    The file's *native* sample rate in Hz (the analysis rate is ``classifier.config.sr``);
    null on failure.
``alarm`` (bool or null)
    True when there is at least one event; null on failure.
``events`` (list)
    ``{"label": "alarm", "start": s, "end": s, "confidence": 0..1}``; empty on failure.
    ``confidence`` is the highest alarm probability among the windows of an event of
    the classifier's, and :func:`sounddetect.patterns.pattern_confidence` of a beep-pattern
    event's groups (0.75 for three), not a probability; the higher one when they merge.
``windows`` (list)
    ``{"start": s, "end": s, "label": "alarm"|"no_alarm", "confidence": 0..1}`` for every
    window in time order; ``confidence`` is the probability of the window's label. Empty on
    failure.
``classifier`` (dict)
    ``{"backend", "model", "config", "threshold"}``: what produced the result, with the
    threshold actually applied.
``error`` (dict or null)
    ``{"type": exception class name, "message": "FILE: reason"}`` on failure.
    ``type`` is ``AudioError`` (a permanent input error: :func:`is_permanent`),
    ``TransientError`` (throttling, a model not running, a network fault, which may pass:
    :func:`is_transient`), ``ModelError`` or ``ParameterError`` (a model or setting to
    fix), or ``MemoryError`` (the machine ran out of memory for the recording).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from sounddetect.events import ALARM, NO_ALARM

#: Every result's keys, in output order.
RESULT_KEYS = (
    "file",
    "duration_s",
    "sample_rate",
    "alarm",
    "events",
    "windows",
    "classifier",
    "error",
)
#: Decimals kept in the JSON: milliseconds for times, 1e-4 for confidences.
TIME_DECIMALS, CONFIDENCE_DECIMALS = 3, 4


def window_records(starts_s, ends_s, probabilities, *, threshold: float) -> list[dict[str, Any]]:
    """The ``windows`` list: label by ``threshold``, confidence of that label.

    Parameters
    ----------
    starts_s, ends_s : array-like [shape=(n,)]
        Window bounds in seconds, rounded to :data:`TIME_DECIMALS`.
    probabilities : array-like [shape=(n,)]
        Alarm probability of each window, in [0, 1].
    threshold : float
        A window at or above it is ``alarm``.
    """
    records = []
    for start, end, prob in zip(
        np.asarray(starts_s).tolist(),
        np.asarray(ends_s).tolist(),
        np.asarray(probabilities, dtype=np.float64).tolist(),
        strict=True,
    ):
        alarm = prob >= threshold
        records.append(
            {
                "start": round(start, TIME_DECIMALS),
                "end": round(end, TIME_DECIMALS),
                "label": ALARM if alarm else NO_ALARM,
                "confidence": round(prob if alarm else 1.0 - prob, CONFIDENCE_DECIMALS),
            }
        )
    return records


def window_alarm_probability(window: dict[str, Any]) -> float:
    """The alarm probability a ``windows`` record stands for (its confidence is its label's)."""
    return window["confidence"] if window["label"] == ALARM else 1.0 - window["confidence"]


def make_result(
    file: str,
    *,
    duration_s: float,
    sample_rate: int,
    events: list[dict[str, Any]],
    windows: list[dict[str, Any]],
    classifier: dict[str, Any],
) -> dict[str, Any]:
    """A successful result; ``alarm`` is true when ``events`` is not empty.

    Parameters
    ----------
    file : str
        The path, S3 URL or name the caller gave.
    duration_s : float
        Decoded length in seconds.
    sample_rate : int
        The recording's native rate in Hz.
    events : list of dict
        ``{"label", "start", "end", "confidence"}``, times in seconds; rounded here.
    windows : list of dict
        From :func:`window_records`.
    classifier : dict
        The classifier's ``describe()`` with the threshold applied.
    """
    return {
        "file": str(file),
        "duration_s": round(float(duration_s), TIME_DECIMALS),
        "sample_rate": int(sample_rate),
        "alarm": bool(events),
        "events": [
            {
                "label": event["label"],
                "start": round(float(event["start"]), TIME_DECIMALS),
                "end": round(float(event["end"]), TIME_DECIMALS),
                "confidence": round(float(event["confidence"]), CONFIDENCE_DECIMALS),
            }
            for event in events
        ],
        "windows": windows,
        "classifier": classifier,
        "error": None,
    }


def error_result(
    file: str, error: BaseException, *, classifier: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A failed result. The message names ``file`` (prefixed when the error does not).

    Parameters
    ----------
    file : str
        The path, S3 URL or name the caller gave.
    error : BaseException
        Its class name is the ``type``, its text the ``message``.
    classifier : dict or None
        The classifier's ``describe()``, when one was loaded; else ``{}``.
    """
    message = str(error) or type(error).__name__
    if str(file) not in message:
        message = f"{file}: {message}"
    return {
        "file": str(file),
        "duration_s": None,
        "sample_rate": None,
        "alarm": None,
        "events": [],
        "windows": [],
        "classifier": classifier or {},
        "error": {"type": type(error).__name__, "message": message},
    }


def is_permanent(result: dict[str, Any]) -> bool:
    """True when the result failed with an input error that no retry can fix.

    That is an :class:`~sounddetect.exceptions.AudioError`: not audio, corrupt, too short,
    too long for the function's time. The Lambda stores such a result and does not retry
    its upload. Any other failure (:func:`is_transient`'s, or a ``ModelError`` or
    ``ParameterError``, which a fixed model or setting cures) is kept for a retry: the
    Lambda stores nothing for it and fails the event, so Lambda's retries and the
    failed-events queue keep it.
    """
    return bool(result.get("error")) and result["error"].get("type") == "AudioError"


def is_transient(result: dict[str, Any]) -> bool:
    """True when the result failed for a reason that may pass by itself, a
    :class:`~sounddetect.exceptions.TransientError` (throttling, a model not yet running,
    a network fault): worth retrying as it is, where a ``ModelError`` needs a fix first."""
    return bool(result.get("error")) and result["error"].get("type") == "TransientError"


def to_json(result: dict[str, Any]) -> str:
    """One JSON line (UTF-8 text kept as is, no trailing newline)."""
    return json.dumps(result, ensure_ascii=False, allow_nan=False)
