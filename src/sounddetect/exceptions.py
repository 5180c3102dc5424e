"""The project's exception and warning types.

Every error the library raises on purpose is a :class:`SoundDetectError`, so callers
(the CLI, the Lambda handler) can tell our reasoned failures from bugs.
"""


class SoundDetectError(Exception):
    """Root of all sounddetect errors."""


class ParameterError(SoundDetectError):
    """A parameter or configuration value is invalid (exit code 2 in the CLI)."""


class AudioError(SoundDetectError):
    """An input file is not usable audio: missing, empty, not audio, corrupt, too short.

    This is a *permanent* input error: retrying cannot fix it.
    """


class ModelError(SoundDetectError):
    """A model is missing, malformed, or does not match the spectrogram config."""


class TransientError(SoundDetectError):
    """A failure that a retry may fix: throttling, a model not yet running, a network fault."""


class SoundDetectWarning(UserWarning):
    """Warnings about skipped inputs and other recoverable problems."""
