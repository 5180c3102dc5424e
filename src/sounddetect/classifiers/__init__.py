"""Image classifiers that turn rendered spectrogram windows into alarm probabilities.

    Classifier              -- the protocol every backend follows (base.py)
    OnnxClassifier          -- a local ONNX model and its model.json (onnx.py)
    RekognitionClassifier   -- an Amazon Rekognition Custom Labels project version
                               (rekognition.py; needs boto3)
    load_classifier         -- a model directory or a Rekognition ARN -> a classifier
    default_model_dir       -- the model to use when none is named

Backends are imported when first used, so the ONNX path never imports boto3.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sounddetect._checks import is_number
from sounddetect.classifiers.base import PLACEHOLDER_ARN, Classifier, check_model_arn
from sounddetect.events import LABELS
from sounddetect.exceptions import ParameterError

if TYPE_CHECKING:
    from sounddetect.classifiers.onnx import OnnxClassifier
    from sounddetect.classifiers.rekognition import RekognitionClassifier
    from sounddetect.spectrum import SpectrogramConfig

__all__ = [
    "LABELS",
    "Classifier",
    "OnnxClassifier",
    "RekognitionClassifier",
    "default_model_dir",
    "load_classifier",
]

#: Where ``sounddetect train`` writes its model unless told otherwise, in the current folder.
LOCAL_MODEL_DIR = Path("models/default")
#: The shipped model, installed with the package (package data): in a checkout a link to the
#: repository's models/default, so the model ``make demo`` trains once it has; in a wheel a
#: copy of it.
PACKAGED_MODEL_DIR = Path(__file__).resolve().parents[1] / "default_model"

_BACKENDS = {
    "OnnxClassifier": "sounddetect.classifiers.onnx",
    "RekognitionClassifier": "sounddetect.classifiers.rekognition",
}


def __getattr__(name: str) -> Any:
    if name in _BACKENDS:
        return getattr(importlib.import_module(_BACKENDS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def default_model_dir() -> Path:
    """The model to use when none is named: ``models/default`` in the current folder when
    that folder exists (where ``sounddetect train`` puts a model by default), else the one
    installed with the package, so that detection works from any folder.

    Examples
    --------
    >>> from sounddetect.classifiers import OnnxClassifier, default_model_dir
    >>> classifier = OnnxClassifier.from_dir(default_model_dir())  # doctest: +SKIP
    """
    return LOCAL_MODEL_DIR if LOCAL_MODEL_DIR.exists() else PACKAGED_MODEL_DIR


def load_classifier(
    model: str | os.PathLike,
    *,
    config: SpectrogramConfig | None = None,
    threshold: float | None = None,
    threads: int | None = 0,
) -> Classifier:
    """A classifier for a model directory or a Rekognition project version ARN.

    Parameters
    ----------
    model : str or path-like
        ``models/NAME`` (holding ``model.onnx`` and ``model.json``; a :class:`~pathlib.Path`
        as :func:`default_model_dir` gives), or an
        ``arn:aws:rekognition:...:project/.../version/...`` ARN.
    config : SpectrogramConfig or None
        The renderer's config. Required for Rekognition (the images must be rendered as
        the project's training images were); for ONNX, checked against ``model.json``.
    threshold : float in [0, 1] or None
        Decision threshold; default the model's own (ONNX) or 0.5 (Rekognition).
    threads : int >= 0 or None
        onnxruntime intra-op threads (ONNX) or concurrent requests (Rekognition); 0 (or
        None) means one thread per core (ONNX) or 8 requests (Rekognition).

    Raises
    ------
    ParameterError
        A Rekognition ARN without a config, a malformed ARN, or a threshold that is not a
        number in [0, 1] (for either backend, before the model is loaded).
    ModelError
        The model directory is missing or malformed, or its config differs from ``config``.
    """
    if not isinstance(model, str | os.PathLike):
        raise ParameterError(
            f"model must be a model folder or a Rekognition ARN, got {type(model).__name__}"
        )
    model = os.fspath(model)
    threads = 0 if threads is None else threads
    if threshold is not None and not (is_number(threshold) and 0.0 <= threshold <= 1.0):
        raise ParameterError(f"threshold must be a number in [0, 1], got {threshold!r}")
    if model.startswith("arn:") or model == PLACEHOLDER_ARN:
        from sounddetect.classifiers.rekognition import RekognitionClassifier

        check_model_arn(model)
        if config is None:
            raise ParameterError(
                f"{model}: a Rekognition model needs the spectrogram config its training "
                "images were rendered with (the CLI's --config FILE)"
            )
        options: dict[str, Any] = {"config": config}
        if threshold is not None:
            options["threshold"] = threshold
        if threads:
            options["max_workers"] = threads
        return RekognitionClassifier(model, **options)
    from sounddetect.classifiers.onnx import OnnxClassifier

    classifier = OnnxClassifier.from_dir(model, config=config, threads=threads)
    if threshold is not None:
        classifier.threshold = float(threshold)
    return classifier
