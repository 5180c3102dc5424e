"""The project's exception and warning types.

Every error the library raises on purpose is a :class:`SoundDetectError`, so callers
(the CLI, the Lambda handler) can tell our reasoned failures from bugs.
"""

from __future__ import annotations

from typing import Any


class SoundDetectError(Exception):
    """Root of all sounddetect errors."""


class ParameterError(SoundDetectError):
    """A parameter or configuration value is invalid (exit code 2 in the CLI)."""


class AudioError(SoundDetectError):
    """An input cannot be processed as it is: a file that is missing, empty, not audio,
    corrupt or too short, an upload the function is not meant to take (a key outside the
    upload prefix, not an S3 notification), or a recording too long for the time left.

    This is a *permanent* input error: retrying cannot fix it (the Lambda stores a result
    for it and does not retry; its type is the result's ``error.type``).
    """


class ModelError(SoundDetectError):
    """A model is missing, malformed, or does not match the spectrogram config."""


class TransientError(SoundDetectError):
    """A failure that a retry may fix: throttling, a model not yet running, a network fault."""


class AlertNotSentError(SoundDetectError):
    """An alarm was detected but SNS refused or failed its alert (Lambda).

    Nothing is stored, so Lambda's retry detects and alerts again (and the failed-events
    queue keeps the event); ``result`` carries the detection, so the alarm is at least in
    the log whatever the alert's fate.
    """

    def __init__(self, result: dict[str, Any], cause: BaseException) -> None:
        super().__init__(f"{result['file']}: alarm detected, but its alert was not sent ({cause})")
        self.result = result


class FailedRecordsError(SoundDetectError):
    """Some records of an event failed in a way a retry (or a fixed configuration) may cure.

    The Lambda handler raises it after every record was handled, so Lambda retries the
    event and, after ``MaximumRetryAttempts``, hands it to the on-failure destination.
    Records already stored are recognised on the retry (same ETag) and not redone.
    """


class SoundDetectWarning(UserWarning):
    """Warnings about skipped inputs and other recoverable problems."""
