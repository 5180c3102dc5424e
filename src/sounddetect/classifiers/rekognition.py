"""An Amazon Rekognition Custom Labels project version as a classifier.

Each window's PNG goes to ``DetectCustomLabels``; the ``alarm`` label's confidence (or one
minus the ``no_alarm`` label's) is the window's alarm probability. Requests run
concurrently on a bounded thread pool; botocore's adaptive retry mode paces them when the
model throttles. Errors map to the project's types:

- ``ResourceNotReadyException`` (the model is not running) -> TransientError saying how to
  start it;
- throttling that outlasts the retries, 5xx, network faults -> TransientError;
- ``AccessDeniedException``, ``ResourceNotFoundException``, ``InvalidParameterException``,
  image errors, missing or expired credentials (an SSO token, a profile's credential
  process) -> ModelError (a retry will not help).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import botocore.session
import numpy as np
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from sounddetect import spectrum
from sounddetect.classifiers.base import (
    MAX_THREADS,
    ClassifierBase,
    check_images,
    check_model_arn,
)
from sounddetect.exceptions import ModelError, ParameterError, TransientError
from sounddetect.spectrum import SpectrogramConfig

#: Error codes a retry may fix (after botocore's own retries are spent).
TRANSIENT_CODES = {
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "LimitExceededException",
    "InternalServerError",
    "ServiceUnavailableException",
    "RequestTimeout",
}


#: Retries of a request after its first try when neither the caller nor the AWS settings
#: say: enough to ride out throttling of a model's inference units.
DEFAULT_MAX_ATTEMPTS = 8

#: Seconds to wait for a connection to Rekognition, and for its answer once connected. An
#: answer takes well under a second; botocore's 60 s each, at every retry, would hold a
#: request whose connection stalls (a Lambda in a VPC without a route out) for minutes,
#: past the Lambda's own timeout, which then leaves no line naming the recording.
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 15.0


class RekognitionClassifier(ClassifierBase):
    """Classify spectrogram images with a Rekognition Custom Labels model.

    Parameters
    ----------
    model_arn : str
        The project version ARN,
        ``arn:aws:rekognition:REGION:ACCOUNT:project/NAME/version/VERSION/TIMESTAMP``.
    config : SpectrogramConfig
        The config the project's training images were rendered with.
    threshold : float in [0, 1]
        Default decision threshold on the alarm probability.
    min_confidence : float in [0, 100]
        ``MinConfidence`` of each request, in percent. 0 (default) returns both labels, so
        every window gets a probability; with a higher value a window whose labels are all
        below it counts as probability 0.
    client : botocore client or None
        A ``rekognition`` client (tests pass a stubbed one); default one for the ARN's
        region with adaptive retries and timeouts of :data:`CONNECT_TIMEOUT_S` and
        :data:`READ_TIMEOUT_S`.
    max_workers : int, 1 to :data:`~sounddetect.classifiers.base.MAX_THREADS`
        Concurrent requests. Rekognition's throughput per inference unit is limited, and
        adaptive retries slow down when it throttles.
    max_attempts : int >= 0 or None
        botocore's ``max_attempts``: retries of a request after its first try (adaptive
        mode, client-side rate limiting), so at most ``max_attempts + 1`` calls. None: the
        AWS setting where one is made (``AWS_MAX_ATTEMPTS``, or ``max_attempts`` in the
        profile, which count the first try too), else :data:`DEFAULT_MAX_ATTEMPTS`.

    Raises
    ------
    ParameterError
        ``model_arn`` is the ``CHANGE_ME`` placeholder or not a project version ARN, or an
        option is out of range.
    """

    backend = "rekognition"
    remote = True

    def __init__(
        self,
        model_arn: str,
        *,
        config: SpectrogramConfig,
        threshold: float = 0.5,
        min_confidence: float = 0.0,
        client: Any = None,
        max_workers: int = 8,
        max_attempts: int | None = None,
    ) -> None:
        match = check_model_arn(model_arn)
        if not 0.0 <= threshold <= 1.0:
            raise ParameterError(f"threshold must be in [0, 1], got {threshold}")
        if not 0.0 <= min_confidence <= 100.0:
            raise ParameterError(f"min_confidence must be in [0, 100] %, got {min_confidence}")
        if not 1 <= max_workers <= MAX_THREADS or (max_attempts is not None and max_attempts < 0):
            raise ParameterError(
                f"need 1 <= max_workers <= {MAX_THREADS} and max_attempts >= 0, got "
                f"{max_workers}, {max_attempts}"
            )
        self.model = model_arn
        self.region = match.group("region")
        self.config = config
        self.threshold = float(threshold)
        self.min_confidence = float(min_confidence)
        self.max_workers = max_workers
        self.client = client or self._default_client(max_attempts)

    def _default_client(self, max_attempts: int | None) -> Any:
        try:
            # A session of its own: boto3's default one keeps the credentials and settings
            # it first loaded for the life of the process.
            settings = botocore.session.get_session()
            session = boto3.session.Session(botocore_session=settings)
            config = Config(
                retries=_retries(settings, max_attempts),
                connect_timeout=CONNECT_TIMEOUT_S,
                read_timeout=READ_TIMEOUT_S,
            )
            return session.client("rekognition", region_name=self.region, config=config)
        # AWS_PROFILE naming no profile, or a profile's credential process that fails, which
        # both show when the client is made
        except BotoCoreError as exc:
            raise ModelError(f"{self.model}: {_settings_problem(exc)}") from exc

    def classify(self, images: np.ndarray) -> np.ndarray:
        """Alarm probabilities, float32 ``(n,)``, one request per image.

        Raises
        ------
        TransientError
            The model is not running, or throttling, service faults or a connection that
            failed or timed out outlasted the retries.
        ModelError
            Access denied, no such model, a request Rekognition refuses, or credentials
            that are missing or cannot be loaded.
        """
        images = check_images(images, self.config)
        if len(images) == 0:
            return np.zeros(0, dtype=np.float32)
        pngs = [spectrum.encode_png(image) for image in images]
        with ThreadPoolExecutor(max_workers=min(self.max_workers, len(pngs))) as pool:
            futures = [pool.submit(self._classify_png, png) for png in pngs]
            try:
                probabilities = [future.result() for future in futures]
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
        return np.asarray(probabilities, dtype=np.float32)

    def __repr__(self) -> str:
        return f"RekognitionClassifier({self.model!r}, max_workers={self.max_workers})"

    def _classify_png(self, png: bytes) -> float:
        try:
            response = self.client.detect_custom_labels(
                ProjectVersionArn=self.model,
                Image={"Bytes": png},
                MinConfidence=self.min_confidence,
            )
        except ClientError as exc:
            raise self._translate(exc) from exc
        except NoCredentialsError as exc:
            raise ModelError(f"{self.model}: no AWS credentials to call Rekognition") from exc
        except (BotoConnectionError, HTTPClientError) as exc:  # connection and timeout faults
            raise TransientError(f"{self.model}: cannot reach Rekognition ({exc})") from exc
        except BotoCoreError as exc:
            raise ModelError(f"{self.model}: {_settings_problem(exc)}") from exc
        try:
            return label_probability(
                response.get("CustomLabels", []), min_confidence=self.min_confidence
            )
        except ModelError as exc:
            raise ModelError(f"Rekognition model {self.model}: {exc}") from None

    def _translate(self, exc: ClientError) -> Exception:
        code = exc.response.get("Error", {}).get("Code", "")
        message = exc.response.get("Error", {}).get("Message", "")
        if code == "ResourceNotReadyException":
            return TransientError(
                f"Rekognition model {self.model} is not running ({message or code}); start "
                f"it with `aws rekognition start-project-version --project-version-arn "
                f"{self.model} --min-inference-units 1` and retry when its status is RUNNING"
            )
        if code in TRANSIENT_CODES:
            return TransientError(
                f"Rekognition model {self.model}: {code} after retries ({message}); retry "
                "later or add inference units"
            )
        return ModelError(f"Rekognition model {self.model}: {code} ({message})")


def _retries(session: botocore.session.Session, max_attempts: int | None) -> dict[str, Any]:
    """botocore's retry settings: the user's mode and attempts where the AWS settings give
    them (``AWS_RETRY_MODE``, ``AWS_MAX_ATTEMPTS`` or the profile), else adaptive mode,
    which slows down when the model throttles, and :data:`DEFAULT_MAX_ATTEMPTS`."""
    profile = session.get_scoped_config()
    user_mode = "AWS_RETRY_MODE" in os.environ or "retry_mode" in profile
    retries: dict[str, Any] = {
        "mode": session.get_config_variable("retry_mode") if user_mode else "adaptive"
    }
    if max_attempts is not None:
        retries["max_attempts"] = max_attempts
    elif session.get_config_variable("max_attempts") is None:
        # Unless the user set it: offline, 8 retries of each request take about 40 s.
        retries["max_attempts"] = DEFAULT_MAX_ATTEMPTS
    return retries


def _settings_problem(exc: BotoCoreError) -> str:
    # Credentials that cannot be loaded (an expired SSO token, a failing credential process)
    # or a broken AWS config: the user's to fix, and every request would fail alike.
    return f"AWS credentials or settings to call Rekognition: {exc}"


def label_probability(custom_labels: list[dict[str, Any]], *, min_confidence: float = 0.0) -> float:
    """Alarm probability from a ``DetectCustomLabels`` ``CustomLabels`` list.

    ``alarm``'s confidence / 100 when present, else 1 - ``no_alarm``'s confidence / 100,
    else 0 (no label reached ``MinConfidence``).

    Parameters
    ----------
    custom_labels : list of dict
        The response's ``CustomLabels``: ``{"Name": str, "Confidence": percent}``.
    min_confidence : float in [0, 100]
        The request's ``MinConfidence``, in percent. At 0 Rekognition returns every label
        of the model, so an answer without ``alarm`` or ``no_alarm`` is a model trained on
        other labels.

    Raises
    ------
    ModelError
        The labels are not the generator's folder names: an answer that names other
        labels, or no label at all when every label was asked for. Reading such a model's
        every window as 0 would hide every alarm.

    Examples
    --------
    >>> label_probability([{"Name": "no_alarm", "Confidence": 92.0}])
    0.08
    """
    confidences = {
        label.get("Name"): float(label.get("Confidence", 0.0)) for label in custom_labels
    }
    if "alarm" in confidences:
        probability = confidences["alarm"] / 100.0
    elif "no_alarm" in confidences:
        probability = 1.0 - confidences["no_alarm"] / 100.0
    elif confidences or min_confidence <= 0.0:
        named = ", ".join(repr(name) for name in confidences) or "none"
        raise ModelError(
            f"answered with labels {named}, not 'alarm' and 'no_alarm': train the model on "
            "images labelled by the generator's folder names (alarm/, no_alarm/)"
        )
    else:
        probability = 0.0
    return round(min(max(probability, 0.0), 1.0), 6)
