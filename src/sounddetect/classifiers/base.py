"""The classifier protocol shared by every backend.

A classifier takes rendered spectrogram images (:func:`sounddetect.spectrum.render_windows`)
and returns one alarm probability per image. It also carries the
:class:`~sounddetect.spectrum.SpectrogramConfig` its images must be rendered with, so the
detector renders exactly what the model was trained on.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, runtime_checkable

import numpy as np

from sounddetect.exceptions import ParameterError
from sounddetect.spectrum import SpectrogramConfig

#: Most onnxruntime or PyTorch threads, or concurrent Rekognition requests, that a command or
#: library call takes: more is a typing slip (512 PyTorch threads on two cores made a 1 s
#: training take 54 s).
MAX_THREADS = 256

#: The model ARN before one is configured: template.yaml's ``ModelArn`` default.
PLACEHOLDER_ARN = "CHANGE_ME"
#: A Rekognition Custom Labels project version ARN, matched whole
#: (:func:`check_model_arn`). template.yaml's ``ModelArn`` ``AllowedPattern`` is the same
#: rule, so a deploy refuses what the function would refuse at its cold start.
REKOGNITION_ARN = re.compile(
    r"arn:aws[a-z-]*:rekognition:(?P<region>[a-z]{2}(-[a-z]+)+-[0-9]):(?P<account>[0-9]{12}):"
    r"project/(?P<project>[A-Za-z0-9_.-]{1,255})/version/(?P<version>[A-Za-z0-9_.-]{1,255})"
    r"/(?P<created>[0-9]{13})"
)


@runtime_checkable
class Classifier(Protocol):
    """What :func:`sounddetect.detect.detect_file` and ``detect_audio`` need from a backend.

    A backend may also offer ``classify_with_sounding(images)``, returning the alarm
    probabilities and, per window, the probability that the alarm sounds in each of its
    equal time steps (``(n, steps)``, or None); ``detect_file`` then places events' bounds
    by them (:class:`~sounddetect.classifiers.OnnxClassifier` does, for models that have
    that output).

    Attributes
    ----------
    backend : str
        ``"onnx"`` or ``"rekognition"``.
    model : str
        The model's name or ARN, for the result's ``classifier`` field.
    config : SpectrogramConfig
        How windows must be rendered for this model.
    threshold : float
        Default decision threshold on the alarm probability.

    A backend that calls a service may set ``remote = True``: how fast it classifies then
    depends on the service (throttling, shared capacity), so running out of time is worth
    a retry (:func:`sounddetect.detect.detect_file`'s ``deadline``).
    """

    backend: str
    model: str
    config: SpectrogramConfig
    threshold: float

    def classify(self, images: np.ndarray) -> np.ndarray:
        """Alarm probabilities, float32 ``(n,)`` in [0, 1], for uint8 images
        ``(n, height, width)`` (gray) or ``(n, height, width, 3)``."""
        ...

    def describe(self) -> dict[str, Any]:
        """``{"backend", "model", "config", "threshold"}`` for the result JSON."""
        ...


class ClassifierBase:
    """What every backend shares: the ``describe`` of the :class:`Classifier` protocol."""

    backend: str
    model: str
    config: SpectrogramConfig
    threshold: float
    remote: bool = False

    def describe(self) -> dict[str, Any]:
        """``{"backend", "model", "config", "threshold"}`` for the result JSON."""
        return {
            "backend": self.backend,
            "model": self.model,
            "config": self.config.to_dict(),
            "threshold": self.threshold,
        }


def says_when_alarm_sounds(classifier: Any) -> bool:
    """Whether ``classifier`` says when in each window the alarm sounds: it offers
    ``classify_with_sounding`` and, when it names its sounding output (an ONNX model's
    ``sounding_output``), has one. A local model of ``sounddetect train`` does; a
    Rekognition model, or a local model trained with ``--frame-loss 0``, does not."""
    return (
        callable(getattr(classifier, "classify_with_sounding", None))
        and getattr(classifier, "sounding_output", True) is not None
    )


def check_model_arn(model_arn: str) -> re.Match:
    """Match a Rekognition project version ARN, or raise saying what is wrong with it.

    The message tells the placeholder, a project ARN (a common mix-up) and anything else
    apart.

    Returns
    -------
    re.Match
        :data:`REKOGNITION_ARN`'s, with the groups ``region``, ``account``, ``project``,
        ``version`` and ``created``.

    Raises
    ------
    ParameterError
        ``model_arn`` is empty, :data:`PLACEHOLDER_ARN` or not a project version ARN.
    """
    if not model_arn or model_arn.strip() == PLACEHOLDER_ARN:
        raise ParameterError(
            f"Rekognition model ARN is {model_arn!r}: set it to your project version ARN "
            "(arn:aws:rekognition:REGION:ACCOUNT:project/NAME/version/VERSION/TIMESTAMP)"
        )
    match = REKOGNITION_ARN.fullmatch(model_arn)
    if match is None:
        hint = (
            " (that is a project ARN: DetectCustomLabels needs the ARN of a model version, "
            "with /version/ in it)"
            if ":project/" in model_arn and "/version/" not in model_arn
            else ""
        )
        raise ParameterError(
            f"{model_arn!r} is not a Rekognition project version ARN (expected "
            f"arn:aws:rekognition:REGION:ACCOUNT:project/NAME/version/VERSION/TIMESTAMP){hint}"
        )
    return match


def check_images(images: np.ndarray, config: SpectrogramConfig) -> np.ndarray:
    """Validate a batch of rendered images against ``config`` and return it.

    Parameters
    ----------
    images : array-like [shape=(n, height, width) or (n, height, width, 3), dtype=uint8]
        As :func:`sounddetect.spectrum.render_windows` returns them.
    config : SpectrogramConfig
        Gives the expected ``height``, ``width`` and colour channels.

    Returns
    -------
    images : np.ndarray

    Raises
    ------
    ParameterError
        Not uint8, or not ``(n, height, width[, 3])`` as ``config`` renders them.
    """
    images = np.asarray(images)
    expected = (config.height, config.width) + ((3,) if config.channels == 3 else ())
    if images.dtype != np.uint8 or images.ndim != 1 + len(expected) or images.shape[1:] != expected:
        raise ParameterError(
            f"expected uint8 images of shape (n, {', '.join(map(str, expected))}), "
            f"got {images.dtype} {images.shape}"
        )
    return images
