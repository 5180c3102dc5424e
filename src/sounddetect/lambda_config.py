"""Settings of the Lambda function, read from the environment that ``template.yaml`` sets.

    LambdaSettings      -- every setting of the function, validated
    read_settings       -- an environment mapping -> LambdaSettings
    make_classifier     -- LambdaSettings -> the configured classifier (Rekognition or ONNX)

Everything here runs at cold start: a wrong setting (the ``CHANGE_ME`` ARN, a malformed
ARN, a spectrogram config the ONNX model was not trained on) fails the function's
initialisation with one message naming the variable, the SAM parameter and the fix,
instead of failing every file later. No AWS call is made here.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sounddetect.classifiers.base import (
    MAX_THREADS,
    PLACEHOLDER_ARN,
    Classifier,
    check_model_arn,
    says_when_alarm_sounds,
)
from sounddetect.events import DEFAULT_MIN_EVENT_S
from sounddetect.exceptions import ModelError, ParameterError
from sounddetect.patterns import DEFAULT_MIN_GROUPS
from sounddetect.spectrum import SpectrogramConfig
from sounddetect.windows import MIN_HOP_S

#: Backends the ``Classifier`` SAM parameter accepts.
BACKENDS = ("rekognition", "onnx")

#: An SNS topic ARN, in any partition.
SNS_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$")

#: Environment variable -> the SAM parameter that sets it, for error messages.
SAM_PARAMETERS = {
    "CLASSIFIER": "Classifier",
    "MODEL_ARN": "ModelArn",
    "MIN_CONFIDENCE": "MinConfidence",
    "SAMPLE_DURATION": "SampleDuration",
    "WINDOW_HOP": "WindowHop",
    "MIN_EVENT_DURATION": "MinEventDuration",
    "MIN_EVENT_WINDOWS": "MinEventWindows",
    "EVENT_MERGE_GAP": "EventMergeGap",
    "BEEP_PATTERN_GROUPS": "BeepPatternGroups",
    "SPECTROGRAM_CONFIG": "SpectrogramConfig",
    "MAX_UPLOAD_MB": "MaxUploadSizeMB",
    "REKOGNITION_MAX_WORKERS": "RekognitionMaxWorkers",
    "CONTINUOUS_TONES": "ContinuousTones",
    "PULSE_PATTERNS": "PulsePatterns",
}


@dataclass(frozen=True)
class LambdaSettings:
    """The function's configuration.

    Parameters
    ----------
    classifier : {"rekognition", "onnx"}
        Which backend classifies the windows.
    model_arn : str
        Rekognition Custom Labels project version ARN (``rekognition`` only).
    model_dir : Path
        Directory with ``model.onnx`` and ``model.json`` (``onnx`` only); a relative path
        is taken from the function's code root (``LAMBDA_TASK_ROOT``).
    threshold_pct : float
        The decision threshold in percent, (0, 100], from ``MIN_CONFIDENCE``: a window is
        an alarm when the ``alarm`` label's confidence reaches it. The requests themselves
        ask for every label (Rekognition ``MinConfidence`` 0), so each window's probability
        is the model's.
    spectrogram_fields : Mapping
        :class:`SpectrogramConfig` fields given by the deployment (``SPECTROGRAM_CONFIG``
        plus ``duration`` from ``SAMPLE_DURATION`` unless it is ``auto``): every field for
        Rekognition, which has no model.json; for ONNX the rest are ``model.json``'s, which
        any field given must agree with.
    hop_s : float or None
        Seconds between window starts, at least :data:`~sounddetect.windows.MIN_HOP_S`;
        None (``auto``) is half a window, as in ``detect``.
    min_event_s : float
        Shortest alarm event kept, in seconds.
    min_windows : int or None
        Fewest alarm windows an event holds; None (``auto``) derives it from the hop
        (:func:`sounddetect.events.default_min_windows`).
    merge_gap_s : float or None
        Largest gap in seconds between the alarm windows of one event; None (``auto``)
        derives it from the hop (:func:`sounddetect.events.default_merge_gap_s`).
    pattern_groups : int
        Temporal-three beep groups in one run (:func:`sounddetect.patterns.chain_groups`)
        that make an alarm event by themselves; 0 turns the search off.
    continuous_tones : bool
        Whether an alarm sound that never pauses is an alarm (``CONTINUOUS_TONES``; false
        for rooms where a machine whines steadily in the piezo band;
        :func:`sounddetect.detect.detect_file`'s ``continuous_tones``). False needs the
        local model.
    pulse_patterns : bool
        Whether steady beeping in the piezo band with no group pause is an alarm too
        (``PULSE_PATTERNS``, false by default; :func:`sounddetect.detect.detect_file`'s
        ``pulse_patterns``).
    upload_prefix, results_prefix : str
        Key prefixes of uploads (the S3 notification's filter) and results. Neither may
        contain the other, so a result can never trigger the function.
    topic_arn : str or None
        SNS topic for alarm alerts; ``None`` sends none.
    max_upload_bytes : int
        Larger objects are refused without being downloaded.
    rekognition_max_workers : int
        Concurrent ``DetectCustomLabels`` requests per invocation.
    """

    classifier: str = "rekognition"
    model_arn: str = PLACEHOLDER_ARN
    model_dir: Path = Path("model")
    threshold_pct: float = 50.0
    spectrogram_fields: Mapping[str, Any] = field(default_factory=dict)
    hop_s: float | None = None
    min_event_s: float = DEFAULT_MIN_EVENT_S
    min_windows: int | None = None
    merge_gap_s: float | None = None
    pattern_groups: int = DEFAULT_MIN_GROUPS
    continuous_tones: bool = True
    pulse_patterns: bool = False
    upload_prefix: str = "uploads/"
    results_prefix: str = "results/"
    topic_arn: str | None = None
    max_upload_bytes: int = 1024 * 1024 * 1024
    rekognition_max_workers: int = 4

    def spectrogram_config(self) -> SpectrogramConfig:
        """The config the deployment gives (whole for Rekognition; for ONNX, fields not
        given take the library defaults here, and ``model.json``'s in the classifier)."""
        return SpectrogramConfig.from_dict(dict(self.spectrogram_fields))


def read_settings(environ: Mapping[str, str] | None = None) -> LambdaSettings:
    """Read and validate the function's settings.

    Parameters
    ----------
    environ : Mapping or None
        The environment; default ``os.environ``. Unset variables take the defaults of
        :class:`LambdaSettings` (the same as template.yaml's parameter defaults).

    Returns
    -------
    LambdaSettings

    Raises
    ------
    ParameterError
        An unknown backend, the ``CHANGE_ME`` or a malformed model ARN (Rekognition), a
        value that is not a number or out of range, ``SPECTROGRAM_CONFIG`` that is not a
        JSON object of config fields, disagrees with ``SAMPLE_DURATION`` or, for
        Rekognition, leaves fields out (it has no model.json to give them), a window hop
        under 0.1 s or longer than the window, or overlapping upload and results prefixes.

    Examples
    --------
    >>> settings = read_settings({"CLASSIFIER": "onnx", "WINDOW_HOP": "1.5"})
    >>> settings.hop_s, dict(settings.spectrogram_fields)
    (1.5, {})
    """
    env = os.environ if environ is None else environ
    defaults = LambdaSettings()

    classifier = env.get("CLASSIFIER", defaults.classifier).strip().lower()
    if classifier not in BACKENDS:
        raise ParameterError(
            f"CLASSIFIER={classifier!r} (SAM parameter Classifier): choose one of "
            f"{', '.join(BACKENDS)}"
        )
    model_arn = env.get("MODEL_ARN", defaults.model_arn).strip()
    if classifier == "rekognition":
        try:
            check_model_arn(model_arn)
        except ParameterError as exc:
            raise ParameterError(
                "MODEL_ARN (SAM parameter ModelArn: `sam deploy --guided`, or samconfig.toml): "
                f"{exc}"
            ) from None

    threshold_pct = _number(env, "MIN_CONFIDENCE", defaults.threshold_pct)
    if not 0.0 < threshold_pct <= 100.0:
        raise ParameterError(
            f"MIN_CONFIDENCE={threshold_pct} (SAM parameter MinConfidence) must be in (0, 100] %"
        )
    # auto: the model's own window (model.json, or SPECTROGRAM_CONFIG's for Rekognition)
    duration = _number_or_auto(env, "SAMPLE_DURATION")
    hop_s = _number_or_auto(env, "WINDOW_HOP")
    min_event_s = _number(env, "MIN_EVENT_DURATION", defaults.min_event_s)
    if duration is not None and duration <= 0:
        raise _out_of_range(env, "SAMPLE_DURATION", "> 0 s, or auto")
    if hop_s is not None and hop_s < MIN_HOP_S:
        raise _out_of_range(env, "WINDOW_HOP", f">= {MIN_HOP_S:g} s, or auto")
    if min_event_s < 0:
        raise _out_of_range(env, "MIN_EVENT_DURATION", ">= 0 s")
    fields = _spectrogram_fields(env.get("SPECTROGRAM_CONFIG", ""), duration=duration)

    upload_prefix = env.get("UPLOAD_PREFIX", defaults.upload_prefix)
    results_prefix = env.get("RESULTS_PREFIX", defaults.results_prefix)
    check_prefixes(upload_prefix, results_prefix)

    min_windows = _number_or_auto(env, "MIN_EVENT_WINDOWS")
    if min_windows is not None and (min_windows < 1 or min_windows != int(min_windows)):
        raise _out_of_range(env, "MIN_EVENT_WINDOWS", "an integer >= 1, or auto")
    merge_gap_s = _number_or_auto(env, "EVENT_MERGE_GAP")
    if merge_gap_s is not None and merge_gap_s < 0:
        raise _out_of_range(env, "EVENT_MERGE_GAP", ">= 0 s, or auto")

    pattern_groups = _number(env, "BEEP_PATTERN_GROUPS", defaults.pattern_groups)
    if pattern_groups < 0 or pattern_groups != int(pattern_groups):
        raise _out_of_range(
            env, "BEEP_PATTERN_GROUPS", "an integer >= 0 (0: no beep-pattern search)"
        )

    continuous_tones = _boolean(env, "CONTINUOUS_TONES", defaults.continuous_tones)
    pulse_patterns = _boolean(env, "PULSE_PATTERNS", defaults.pulse_patterns)
    if classifier == "rekognition" and not continuous_tones:
        raise ParameterError(
            "CONTINUOUS_TONES=false (SAM parameter ContinuousTones) needs the local model, "
            "which says when in each window the alarm sounds; Rekognition models do not"
        )

    max_upload_mb = _number(env, "MAX_UPLOAD_MB", defaults.max_upload_bytes / 2**20)
    if max_upload_mb <= 0:
        raise _out_of_range(env, "MAX_UPLOAD_MB", "> 0")
    workers = _number(env, "REKOGNITION_MAX_WORKERS", defaults.rekognition_max_workers)
    if not 1 <= workers <= MAX_THREADS or workers != int(workers):
        raise _out_of_range(env, "REKOGNITION_MAX_WORKERS", f"an integer from 1 to {MAX_THREADS}")

    topic_arn = env.get("ALERT_TOPIC_ARN", "").strip() or None
    if topic_arn is not None and SNS_TOPIC_ARN.match(topic_arn) is None:
        # `sam local invoke` puts a resource's logical ID where the deployed stack puts its
        # ARN; every alarm's alert would fail, and its upload be retried.
        raise ParameterError(
            f"ALERT_TOPIC_ARN={topic_arn!r} is not an SNS topic ARN "
            "(arn:aws:sns:REGION:ACCOUNT:NAME); with `sam local invoke`, pass --env-vars "
            "with the deployed topic's ARN, or an empty value for no alerts"
        )

    model_dir = Path(env.get("ONNX_MODEL_DIR", str(defaults.model_dir)))
    if not model_dir.is_absolute() and env.get("LAMBDA_TASK_ROOT"):
        model_dir = Path(env["LAMBDA_TASK_ROOT"]) / model_dir
    if classifier == "rekognition":
        # Rekognition has no model.json to take the rest from: the config must be whole and
        # valid now, not at the first upload. Whole first: a field left out would otherwise
        # be judged by a default the user never set.
        _check_complete(fields)
        try:
            config = SpectrogramConfig.from_dict(fields)
        except ParameterError as exc:
            raise ParameterError(
                f"SPECTROGRAM_CONFIG (SAM parameter SpectrogramConfig) with SAMPLE_DURATION="
                f"{env.get('SAMPLE_DURATION') or 'auto'}: {exc}"
            ) from None
        _check_hop(hop_s, config)  # an ONNX model's window is checked once it is loaded

    return LambdaSettings(
        classifier=classifier,
        model_arn=model_arn,
        model_dir=model_dir,
        threshold_pct=threshold_pct,
        spectrogram_fields=fields,
        hop_s=hop_s,
        min_event_s=min_event_s,
        min_windows=None if min_windows is None else int(min_windows),
        merge_gap_s=merge_gap_s,
        pattern_groups=int(pattern_groups),
        continuous_tones=continuous_tones,
        pulse_patterns=pulse_patterns,
        upload_prefix=upload_prefix,
        results_prefix=results_prefix,
        topic_arn=topic_arn,
        max_upload_bytes=int(max_upload_mb * 2**20),
        rekognition_max_workers=int(workers),
    )


def make_classifier(settings: LambdaSettings) -> Classifier:
    """The classifier the settings describe.

    Parameters
    ----------
    settings : LambdaSettings

    Returns
    -------
    Classifier
        A :class:`~sounddetect.classifiers.RekognitionClassifier` rendering with
        :meth:`LambdaSettings.spectrogram_config`, or an
        :class:`~sounddetect.classifiers.OnnxClassifier` rendering with its model's config.

    Raises
    ------
    ModelError
        The ONNX model is missing from the artifact or malformed, or a spectrogram field the
        deployment sets differs from the model's.
    ParameterError
        The window hop is longer than the config's window.
    """
    if settings.classifier == "rekognition":
        from sounddetect.classifiers.rekognition import RekognitionClassifier

        return _with_hop_checked(
            settings,
            RekognitionClassifier(
                settings.model_arn,
                config=settings.spectrogram_config(),
                # Every label is asked for (MinConfidence 0), so a window's probability is
                # the model's even where neither label reaches the threshold.
                threshold=settings.threshold_pct / 100.0,
                max_workers=settings.rekognition_max_workers,
            ),
        )

    from sounddetect.classifiers.onnx import OnnxClassifier

    if not (settings.model_dir / "model.onnx").is_file():
        raise ModelError(
            f"Classifier=onnx but the artifact has no model at {settings.model_dir}: run "
            "`make demo` (or put model.onnx and model.json in models/default) before "
            "`sam build`, or deploy with Classifier=rekognition"
        )
    # threads=0: one onnxruntime thread per vCPU the function's memory size grants.
    classifier = OnnxClassifier.from_dir(settings.model_dir, threads=0)
    # Field by field, not by SpectrogramConfig.replace: a deployment value that does not fit
    # the model's other fields (sr 8000 under its fmax) is a mismatch to explain, not an
    # invalid config.
    model_fields = classifier.config.to_dict()
    differences = {
        key: (model_fields.get(key), value)
        for key, value in settings.spectrogram_fields.items()
        if model_fields.get(key) != value
    }
    if differences:
        listed = "; ".join(
            f"{key}: model {model!r}, deployment {given!r}"
            for key, (model, given) in differences.items()
        )
        raise ModelError(
            f"{settings.model_dir / 'model.json'}: the model was trained on a different "
            f"spectrogram config ({listed}); set SampleDuration to auto and "
            "SpectrogramConfig to {} (the model's values), or bundle a model trained on yours"
        )
    if not settings.continuous_tones and not says_when_alarm_sounds(classifier):
        raise ModelError(
            f"{settings.model_dir / 'model.json'}: CONTINUOUS_TONES=false (SAM parameter "
            "ContinuousTones) needs a model that says when in each window the alarm sounds, "
            "and this one has no sounding output (trained with --frame-loss 0, or before "
            "it existed)"
        )
    return _with_hop_checked(settings, classifier)


def _with_hop_checked(settings: LambdaSettings, classifier: Classifier) -> Classifier:
    _check_hop(settings.hop_s, classifier.config)
    return classifier


def _check_complete(fields: Mapping[str, Any]) -> None:
    """Refuse a Rekognition deployment's config that leaves fields to the library's
    defaults (:meth:`~sounddetect.spectrum.SpectrogramConfig.missing_fields`)."""
    missing = SpectrogramConfig.missing_fields(fields)
    if missing:
        raise ParameterError(
            "SPECTROGRAM_CONFIG (SAM parameter SpectrogramConfig) with Classifier=rekognition "
            "must give the whole config the model's training images were rendered with, "
            f"not leave {', '.join(missing)} to this version's defaults: set it to the "
            "config of the model's type in the training data's dataset.json (`jq -c "
            ".configs.mel training-data/dataset.json`)"
        )


def _check_hop(hop_s: float | None, config: SpectrogramConfig) -> None:
    """Refuse a hop that no window of ``config`` can take, at cold start: detection would
    refuse it at every upload, and be retried."""
    if hop_s is None:
        return
    if hop_s > config.duration:
        raise ParameterError(
            f"WINDOW_HOP={hop_s:g} s (SAM parameter WindowHop) is longer than the "
            f"{config.duration:g} s window: parts of the recording would fall between "
            "windows; set it to auto (half a window) or shorter"
        )


def check_prefixes(upload_prefix: str, results_prefix: str) -> None:
    """Raise :class:`ParameterError` unless the prefixes are folder-like and disjoint.

    A results prefix inside the upload prefix (or the reverse) would let the function's
    own output trigger it again, forever.
    """
    for name, prefix in (("UPLOAD_PREFIX", upload_prefix), ("RESULTS_PREFIX", results_prefix)):
        if not prefix.endswith("/") or prefix.startswith("/") or prefix == "/":
            raise ParameterError(f"{name}={prefix!r} must look like 'folder/' (ending in '/')")
    if upload_prefix.startswith(results_prefix) or results_prefix.startswith(upload_prefix):
        raise ParameterError(
            f"UPLOAD_PREFIX={upload_prefix!r} and RESULTS_PREFIX={results_prefix!r} overlap: "
            "results written there would trigger the function again"
        )


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name, "")
    if not text.strip():
        return float(default)
    try:
        value = float(text)
    except ValueError:
        raise ParameterError(f"{name}={text!r}{_parameter(name)} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ParameterError(f"{name}={text!r}{_parameter(name)} is not a finite number")
    return value


def _number_or_auto(env: Mapping[str, str], name: str) -> float | None:
    """A number, or None when the setting is empty or ``auto`` (derived from the hop)."""
    if env.get(name, "").strip().lower() in ("", "auto"):
        return None
    return _number(env, name, 0.0)


def _parameter(name: str) -> str:
    return f" (SAM parameter {SAM_PARAMETERS[name]})" if name in SAM_PARAMETERS else ""


def _boolean(env: Mapping[str, str], name: str, default: bool) -> bool:
    """``env[name]`` as true or false (any case, blank for ``default``)."""
    text = env.get(name, "").strip().lower() or str(default).lower()
    if text not in ("true", "false"):
        raise ParameterError(
            f"{name}={env[name].strip()!r}{_parameter(name)} must be true or false"
        )
    return text == "true"


def _out_of_range(env: Mapping[str, str], name: str, rule: str) -> ParameterError:
    """The error for a number out of its range, with the value as given."""
    return ParameterError(f"{name}={env[name].strip()}{_parameter(name)} must be {rule}")


def _spectrogram_fields(text: str, *, duration: float | None) -> dict[str, Any]:
    where = "SPECTROGRAM_CONFIG (SAM parameter SpectrogramConfig)"
    try:
        fields = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise ParameterError(f"{where} is not valid JSON ({exc}): {text!r}") from None
    if not isinstance(fields, dict):
        raise ParameterError(f"{where} must be a JSON object of config fields, got {text!r}")
    known = SpectrogramConfig().to_dict()
    unknown = sorted(set(fields) - set(known))
    if unknown:
        raise ParameterError(
            f"{where} has unknown fields {', '.join(unknown)}; known: {', '.join(known)}"
        )
    if duration is None:
        return fields
    given = fields.get("duration", duration)
    if isinstance(given, bool) or not isinstance(given, int | float) or given != duration:
        raise ParameterError(
            f"{where} says duration={fields['duration']} but SAMPLE_DURATION (SAM parameter "
            f"SampleDuration) is {duration}; set one value"
        )
    return {**fields, "duration": duration}
