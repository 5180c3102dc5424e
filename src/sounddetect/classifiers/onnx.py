"""A local ONNX model: ``models/<name>/model.onnx`` with its ``model.json`` sidecar.

The ONNX graph takes ``image`` float32 ``(N, C, H, W)``
(:func:`sounddetect.spectrum.image_to_tensor` of the rendered images) and returns
``alarm_probability`` float32 ``(N,)``; models from ``sounddetect train`` also return
``alarm_sounding`` float32 ``(N, steps)``, the probability that the alarm sounds in each of
``steps`` equal time steps of the window (``model.json``'s ``sounding_output``). ``model.json``
holds the labels, the decision threshold and the spectrogram config the model was trained
on; a config that differs from the renderer's is refused, since the model would see images
unlike those it learned from.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from onnxruntime.capi import onnxruntime_pybind11_state

from sounddetect import spectrum
from sounddetect._checks import is_integer, is_number
from sounddetect.classifiers.base import MAX_THREADS, ClassifierBase, check_images
from sounddetect.events import LABELS
from sounddetect.exceptions import ModelError, ParameterError, SoundDetectError
from sounddetect.spectrum import SpectrogramConfig

#: ``model.json`` format this reader understands.
MODEL_FORMAT = "sounddetect-model/1"
#: Graph output names that ``sounddetect train`` writes (``model.json``'s ``output`` and
#: ``sounding_output``).
ALARM_PROBABILITY = "alarm_probability"
ALARM_SOUNDING = "alarm_sounding"
#: How far outside [0, 1] an output may stray by float rounding (a softmax's 1.0000001)
#: and still be read as a probability; raw scores (logits) stray by far more.
PROBABILITY_TOLERANCE = 1e-4
#: What a run of a model that cannot run raises: onnxruntime's own error classes (Fail,
#: InvalidArgument, RuntimeException, NotImplemented, EPFail, ... one per status code, with
#: no common base), however many the installed version has. Anything else, a MemoryError
#: above all, is not the model's fault and would not happen for every input alike.
ONNXRUNTIME_ERRORS = tuple(
    value
    for value in vars(onnxruntime_pybind11_state).values()
    if isinstance(value, type) and issubclass(value, Exception)
)


class OnnxClassifier(ClassifierBase):
    """Classify spectrogram images with an ONNX model on the CPU.

    Parameters
    ----------
    model_path : path-like
        The ``.onnx`` file.
    config : SpectrogramConfig
        The config the model was trained on (images must be rendered with it).
    threshold : float in [0, 1]
        Default decision threshold.
    name : str or None
        Name reported in results; default the file's parent directory name.
    input_name, output_name : str
        Graph input and output names.
    sounding_output : str or None
        Name of the graph's alarm-sounding output (N, steps), if it has one.
    threads : int, 0 to :data:`~sounddetect.classifiers.base.MAX_THREADS`
        onnxruntime intra-op threads; 0 lets onnxruntime use one per core (as the CLI and
        the Lambda do). One thread per process is the efficient choice when several
        processes share the cores (a process pool, a benchmark's runs side by side).

    Raises
    ------
    ParameterError
        ``threshold`` is outside [0, 1] or ``threads`` out of that range.
    ModelError
        The file is missing or not a loadable ONNX model, or its input/output names, input
        type (float) or input shape (any batch, the config's image) do not match.

    See Also
    --------
    OnnxClassifier.from_dir : the usual way, from a model directory.
    """

    backend = "onnx"

    def __init__(
        self,
        model_path: str | os.PathLike,
        *,
        config: SpectrogramConfig,
        threshold: float = 0.5,
        name: str | None = None,
        input_name: str = "image",
        output_name: str = ALARM_PROBABILITY,
        sounding_output: str | None = None,
        threads: int = 1,
    ) -> None:
        model_path = Path(model_path)
        try:
            found = model_path.is_file()
        except OSError as exc:  # a folder on the way cannot be searched (Python 3.11 raises)
            raise ModelError(f"{model_path}: not readable ({exc.strerror})") from exc
        if not found:
            raise ModelError(f"{model_path}: no such ONNX model file")
        if not (is_number(threshold) and 0.0 <= threshold <= 1.0):
            raise ParameterError(f"threshold must be in [0, 1], got {threshold!r}")
        if not (is_integer(threads) and 0 <= threads <= MAX_THREADS):
            raise ParameterError(f"threads must be in [0, {MAX_THREADS}], got {threads!r}")
        self.config = config
        self.threshold = float(threshold)
        self.model = name or model_path.parent.name
        self.path = model_path
        self.threads = threads
        self.input_name, self.output_name = input_name, output_name
        self.sounding_output = sounding_output

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(
                str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise ModelError(f"{model_path}: not a loadable ONNX model ({exc})") from exc
        self._check_graph()

    @classmethod
    def from_dir(
        cls,
        model_dir: str | os.PathLike,
        *,
        config: SpectrogramConfig | None = None,
        threads: int = 1,
    ) -> OnnxClassifier:
        """Load ``model_dir/model.onnx`` as ``model_dir/model.json`` describes it.

        Parameters
        ----------
        model_dir : path-like
            A directory written by ``sounddetect train``.
        config : SpectrogramConfig or None
            The config the caller renders with; a model trained on a different one is
            refused. ``None`` adopts the model's config.
        threads : int >= 0
            onnxruntime intra-op threads (0: one per core).

        Raises
        ------
        ModelError
            Missing files, malformed ``model.json``, or a config mismatch (naming each
            differing field).
        """
        model_dir = Path(model_dir)
        meta = read_model_json(model_dir)
        model_config = meta["config"]
        if config is not None and config != model_config:
            raise ModelError(
                f"{model_dir}: the model was trained on a different spectrogram config "
                f"({model_config.describe_differences(config, this='model', that='renderer')}); "
                "render with the model's config "
                "or train a model for this one"
            )
        return cls(
            model_dir / "model.onnx",
            config=model_config,
            threshold=meta["threshold"],
            name=meta.get("name") or model_dir.name,
            input_name=meta.get("input", "image"),
            output_name=meta.get("output", ALARM_PROBABILITY),
            sounding_output=meta.get("sounding_output"),
            threads=threads,
        )

    def classify(self, images: np.ndarray) -> np.ndarray:
        """Alarm probabilities, float32 ``(n,)``, for uint8 images ``(n, H, W[, 3])``."""
        return self._run(images, sounding=False)[0]

    def classify_with_sounding(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Alarm probabilities ``(n,)`` and, if the model has them, alarm-sounding
        probabilities float32 ``(n, steps)`` (else None), from one run of the model."""
        return self._run(images, sounding=self.sounding_output is not None)

    def _run(self, images: np.ndarray, *, sounding: bool) -> tuple[np.ndarray, np.ndarray | None]:
        images = check_images(images, self.config)
        names = [self.output_name, *([self.sounding_output] if sounding else [])]
        if len(images) == 0:
            empty = np.zeros(0, dtype=np.float32)
            return empty, (empty.reshape(0, 0) if sounding else None)
        tensor = spectrum.image_to_tensor(images)
        try:
            outputs = self._session.run(names, {self.input_name: tensor})
        except ONNXRUNTIME_ERRORS as exc:
            raise ModelError(f"{self.path}: inference failed ({exc})") from exc
        outputs = [np.asarray(o, dtype=np.float32).reshape(len(images), -1) for o in outputs]
        if not all(np.all(np.isfinite(o)) for o in outputs):
            raise ModelError(f"{self.path}: the model returned NaN or infinite probabilities")
        for name, output in zip(names, outputs, strict=True):
            # Clipping raw scores would read every window as certain: refuse them instead.
            if output.min() < -PROBABILITY_TOLERANCE or output.max() > 1 + PROBABILITY_TOLERANCE:
                raise ModelError(
                    f"{self.path}: output {name!r} is not probabilities: values from "
                    f"{output.min():g} to {output.max():g}, outside [0, 1] (export the model "
                    "with its sigmoid or softmax)"
                )
        probabilities = np.clip(outputs[0][:, -1], 0.0, 1.0)
        return probabilities, (np.clip(outputs[1], 0.0, 1.0) if sounding else None)

    def __repr__(self) -> str:
        return f"OnnxClassifier({str(self.path)!r}, threads={self.threads})"

    def _check_graph(self) -> None:
        inputs = {node.name: node for node in self._session.get_inputs()}
        outputs = {node.name for node in self._session.get_outputs()}
        wanted = [self.output_name, *([self.sounding_output] if self.sounding_output else [])]
        if self.input_name not in inputs or not set(wanted) <= outputs:
            raise ModelError(
                f"{self.path}: expected input {self.input_name!r} and outputs "
                f"{wanted}, the graph has inputs {sorted(inputs)} and outputs "
                f"{sorted(outputs)}"
            )
        # Checked at load, so that a graph which cannot take the images fails once, not at
        # every file of a batch.
        image = inputs[self.input_name]
        if image.type != "tensor(float)":
            raise ModelError(
                f"{self.path}: input {self.input_name!r} is {image.type}, but the images are "
                "passed as tensor(float) (float32 scaled to [0, 1])"
            )
        shape = image.shape
        if shape and isinstance(shape[0], int):
            raise ModelError(
                f"{self.path}: input {self.input_name!r} has a fixed batch of {shape[0]} "
                f"(shape {shape}); the model must take any number of images (export it with "
                "a dynamic first dimension)"
            )
        expected = [None, self.config.channels, self.config.height, self.config.width]
        if len(shape) != 4 or any(
            isinstance(got, int) and want is not None and got != want
            for got, want in zip(shape, expected, strict=True)
        ):
            raise ModelError(
                f"{self.path}: input {self.input_name!r} has shape {shape}, but the config "
                f"renders (N, {expected[1]}, {expected[2]}, {expected[3]}) images"
            )


def read_model_json(model_dir: str | os.PathLike) -> dict[str, Any]:
    """Read and check ``model_dir/model.json``; ``config`` comes back as a SpectrogramConfig.

    Raises
    ------
    ModelError
        ``model_dir`` is a file, a dataset or cannot be searched, ``model.onnx`` or
        ``model.json`` is missing, or ``model.json`` is not a ``sounddetect-model/1``
        document with labels ``["no_alarm", "alarm"]``, a threshold in [0, 1], graph names
        that are strings (``sounding_output`` may be null) and a valid config; or its
        ``onnx_sha256`` is no sha256, or not that of ``model.onnx`` (a model written before
        that field has none, and is not checked).
    """
    model_dir = Path(model_dir)
    try:
        is_file = model_dir.is_file()
        missing = [f for f in ("model.onnx", "model.json") if not (model_dir / f).is_file()]
    except OSError as exc:  # a folder that cannot be searched (Python 3.11 raises)
        raise ModelError(f"{model_dir}: model folder not readable ({exc.strerror})") from exc
    if is_file:
        # the usual slip: the model's file for its folder
        example = model_dir.parent if model_dir.name in ("model.onnx", "model.json") else None
        raise ModelError(
            f"{model_dir}: a file; a model is the folder holding "
            f"model.onnx and model.json (e.g. {example or 'models/default'})"
        )
    if missing and (model_dir / "dataset.json").is_file():
        raise ModelError(
            f"{model_dir}: a dataset (it holds dataset.json), not a model; a model is the "
            "folder holding model.onnx and model.json that `sounddetect train` writes"
        )
    if missing:
        raise ModelError(
            f"{model_dir}: no model there (missing {' and '.join(missing)}); train one with "
            f"`sounddetect train DATA --out {model_dir}` or use another model folder"
        )
    path = model_dir / "model.json"
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: not readable JSON ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != MODEL_FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise ModelError(f"{path}: format {found!r}, expected {MODEL_FORMAT!r}")
    if meta.get("labels") != list(LABELS):
        raise ModelError(f"{path}: labels {meta.get('labels')!r}, expected {list(LABELS)}")
    if "threshold" not in meta:
        raise ModelError(f"{path}: no threshold (training writes the one it chose on validate)")
    threshold = meta["threshold"]
    # bool is an int to Python, but `true` is no threshold; nan fails the comparison
    if isinstance(threshold, bool) or not (
        isinstance(threshold, int | float) and 0 <= threshold <= 1
    ):
        raise ModelError(f"{path}: threshold {threshold!r} is not a number in [0, 1]")
    names = {"input": str, "output": str, "name": str | None, "sounding_output": str | None}
    for field, wanted in names.items():
        if not isinstance(meta.get(field, ""), wanted):
            raise ModelError(f"{path}: {field} {meta[field]!r} is not a string")
    if not isinstance(meta.get("config"), dict):
        raise ModelError(f"{path}: config {meta.get('config')!r} is not an object of settings")
    try:
        meta["config"] = SpectrogramConfig.from_dict(meta["config"])
    except SoundDetectError as exc:
        raise ModelError(f"{path}: bad spectrogram config ({exc})") from exc
    if "onnx_sha256" in meta:  # models written before the field have none
        _check_onnx_digest(model_dir / "model.onnx", meta["onnx_sha256"], card=path)
    return meta


def onnx_sha256(path: str | os.PathLike) -> str:
    """The sha256 of a model file, as ``model.json``'s ``onnx_sha256`` gives it."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _check_onnx_digest(onnx_path: Path, digest: Any, *, card: Path) -> None:
    """Refuse a ``model.onnx`` that is not the one its ``model.json`` was written for: the
    threshold and config would be another model's."""
    if not (isinstance(digest, str) and re.fullmatch(r"[0-9a-fA-F]{64}", digest)):
        raise ModelError(
            f"{card}: onnx_sha256 {json.dumps(digest)} is not a sha256 (64 hex digits); "
            "delete the field to load the model unchecked"
        )
    digest = digest.lower()
    try:
        actual = onnx_sha256(onnx_path)
    except OSError as exc:
        raise ModelError(f"{onnx_path}: not readable ({exc.strerror})") from exc
    if actual != digest:
        raise ModelError(
            f"{onnx_path}: not the model {card.name} beside it describes (sha256 {actual[:12]}..., "
            f"{card.name} names {digest[:12]}...), so its threshold and config would be "
            "another model's; keep model.onnx and model.json together, or train again"
        )
