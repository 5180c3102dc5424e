"""Evaluating an exported ONNX model on a dataset split: metrics, breakdowns, report, plots.

What is evaluated is the exported ``model.onnx`` run by onnxruntime on the PNG images
(``decode_png`` -> ``image_to_tensor``), exactly what detection runs, not the PyTorch model.

Data
    checked_samples        -- samples.csv's rows, each of a known split and label
    load_split             -- one split of one spectrogram type as uint8 images and labels
    dataset_from_corpus    -- a test-only dataset from a corpus folder (held-out check)
    dataset_config         -- the SpectrogramConfig the generator wrote for a type (dataset's)
Inference
    predict_probabilities  -- onnxruntime alarm probabilities for uint8 images
    classify_in_batches    -- the same for a loaded classifier
    measure_ms_per_window  -- onnxruntime latency per window, batched
Metrics
    classification_metrics -- precision, recall, F1, ROC-AUC, confusion matrix
    breakdown_by_snr       -- the same per SNR bin of the alarm samples
    breakdown_by_alarm_kind -- the same per kind of alarm (t3piezo, t4piezo, ...)
    breakdown_by_background -- the same per background kind
Whole job
    evaluate               -- model + dataset -> report dict (+ report.json and plots)
    check_report_dir       -- refuse a report folder holding the user's files of its names
    format_summary         -- the report as a short text table
Plots
    plot_report            -- PR curve, confusion matrix, F1 by SNR (matplotlib)
"""

from __future__ import annotations

import io
import json
import logging
import math
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sounddetect import dataset
from sounddetect.classifiers.onnx import OnnxClassifier, read_model_json
from sounddetect.dataset import dataset_config
from sounddetect.detect import detect_file
from sounddetect.events import LABELS
from sounddetect.exceptions import AudioError, ModelError, ParameterError, SoundDetectWarning
from sounddetect.folders import FOLDER_METADATA, visible_files, write_aside
from sounddetect.plots import agg_figure, png_text
from sounddetect.spectrum import SpectrogramConfig, decode_png

logger = logging.getLogger(__name__)

#: What :func:`evaluate` writes into its report folder.
REPORT_FILES = ("report.json", "pr_curve.png", "confusion_matrix.png", "f1_by_snr.png")

#: The PNG "Software" text of a report's plots, which tells them from pictures of the user's.
REPORT_SOFTWARE = "sounddetect evaluate"

#: The background kind :func:`breakdown_by_background` gives non-alarm samples that hold an
#: alarm snippet (one beep of an alarm, samples.csv ``alarm_kind`` of a no_alarm row).
ALARM_SNIPPET_KIND = "alarm snippet"

#: The dataset's splits, in the order the generator writes them.
SPLITS = dataset.SPLITS

#: Default SNR bin edges in dB for the breakdown of alarm samples; the outer bins are open.
SNR_BIN_EDGES_DB = (-10.0, -5.0, 0.0, 5.0, 10.0, 20.0)


@dataclass(frozen=True)
class LabelledImages:
    """One split of one spectrogram type held in memory.

    Attributes
    ----------
    images : np.ndarray [shape=(n, height, width) or (n, height, width, 3)], uint8
        The decoded PNGs.
    labels : np.ndarray [shape=(n,)], int64
        1 for ``alarm``, 0 for ``no_alarm``.
    rows : list of dict
        The samples.csv row of each image, in the same order.
    source : str or None
        The split's folder (``TARGET_PATH/<kind>/<split>``), for messages about the data;
        None for images from elsewhere.
    """

    images: np.ndarray
    labels: np.ndarray
    rows: list[dict[str, str]]
    source: str | None = None


def dataset_from_corpus(
    corpus_dir: str | Path,
    target_path: str | Path,
    *,
    config: SpectrogramConfig,
    seed: int = 0,
    samples_per_layer: int = 600,
    workers: int = 2,
) -> Path:
    """Generate a test-only dataset from a corpus folder, for a model's held-out check.

    ``corpus_dir`` holds ``alarms/`` and ``background/`` (e.g. ``audio/holdout``); all of
    its clips go to the test split, rendered with the model's config. The other settings
    are the generator's defaults, so the result is what ``sounddetect generate
    --split 0 0 1`` makes of the same folders.

    Returns
    -------
    Path
        ``target_path``, now a dataset (replaced if it was a test-only one, as this writes).

    Raises
    ------
    ParameterError
        ``target_path`` holds anything else: a dataset with training data, or files of the
        user's. Only what a run of this wrote is replaced.
    """
    _check_test_only_target(Path(target_path))
    corpus_dir = Path(corpus_dir)
    settings = dataset.GeneratorSettings(
        alarm_source=corpus_dir / "alarms",
        background_source=corpus_dir / "background",
        target_path=Path(target_path),
        seed=seed,
        sr=config.sr,
        sample_duration=config.duration,
        types=(config.kind,),
        samples_per_layer=samples_per_layer,
        split=(0.0, 0.0, 1.0),
        workers=workers,
        overwrite=True,
    )
    dataset.generate_dataset(settings, progress=False)
    return Path(target_path)


def _check_test_only_target(target: Path) -> None:
    """Refuse a folder that holds anything but a test-only dataset, which would be replaced."""
    if not target.is_dir() or all(path.name in FOLDER_METADATA for path in target.iterdir()):
        return
    if dataset.is_test_only_dataset(target):
        return
    is_dataset = (target / "dataset.json").is_file()
    what = "a dataset with training data" if is_dataset else "files that are no dataset"
    raise ParameterError(
        f"{target}: holds {what}; the corpus's test images are rendered there and only a "
        "test-only dataset (--split 0 0 1, as an earlier evaluation rendered) is replaced: "
        "choose another --out or move it away"
    )


def is_corpus(path: str | Path) -> bool:
    """Whether ``path`` is a corpus folder (``alarms/`` and ``background/``), not a dataset."""
    path = Path(path)
    return (
        not (path / "dataset.json").exists()
        and (path / "alarms").is_dir()
        and (path / "background").is_dir()
    )


def checked_samples(target_path: str | Path) -> list[dict[str, str]]:
    """samples.csv's rows (:func:`~sounddetect.dataset.read_samples`), each checked to name
    one of :data:`SPLITS` and one of :data:`LABELS`, and all of them checked against the
    counts of dataset.json.

    A row of another split or label (a spreadsheet's ``Alarm`` or ``alarm `` with a
    trailing space, a label of the user's own) would be left out of every split, or its
    image looked for in a folder the dataset does not have: it is refused instead. So is a
    samples.csv cut short (a copy that stopped): a row of fewer fields than columns, or
    fewer rows of a split and label than dataset.json counts, which would score a model on
    part of a split. Rows left out on purpose need dataset.json's counts changed alike.

    Parameters
    ----------
    target_path : str or Path
        The generator's output folder.

    Returns
    -------
    list of dict

    Raises
    ------
    ParameterError
        samples.csv is missing, unreadable or lacks columns, a row's split or label is not
        one of the dataset's, its sample id is no file name (empty, or with a ``/``) or its
        fields are not one per column (the message names samples.csv, the first such row's
        line and sample id, and the values allowed), or the rows of a split and label are
        not as many as dataset.json counts.
    """
    target_path = Path(target_path)
    path = target_path / "samples.csv"
    if not path.exists() and (target_path / "dataset.json").exists():
        raise ParameterError(
            f"{target_path}: holds dataset.json but no samples.csv, the list of every image "
            "with its split and label; train and evaluate take a dataset made by "
            "`sounddetect generate` (dataset.json, samples.csv and the images)"
        )
    rows = dataset.read_samples(target_path)
    bad = []
    # Line 1 is the header; the generator writes no field with a line break in it.
    for line, row in enumerate(rows, start=2):
        if None in row or None in row.values():  # fewer or more fields than columns
            fields = sum(value is not None for key, value in row.items() if key is not None)
            fields += len(row.get(None) or ())
            bad.append(
                f"line {line} (sample {row['sample_id']!r}): {fields} fields for "
                f"{len(dataset.SAMPLE_COLUMNS)} columns (cut short, or edited)"
            )
            continue
        for column, allowed in (("split", SPLITS), ("label", ("alarm", "no_alarm"))):
            if row[column] not in allowed:
                bad.append(
                    f"line {line} (sample {row['sample_id']!r}): {column} {row[column]!r} is "
                    f"not one of {', '.join(allowed)}"
                )
        # An id is an image's file name: "../x" would read an image outside the dataset.
        sample_id = row["sample_id"]
        if sample_id in ("", ".", "..") or "/" in sample_id or "\\" in sample_id:
            bad.append(f"line {line}: sample id {sample_id!r} is no file name")
    if bad:
        more = f"; {len(bad) - 1} more such value(s) after it" if len(bad) > 1 else ""
        raise ParameterError(f"{path}: {bad[0]}{more}")
    counts = dataset.read_dataset_info(target_path).get("counts")
    counted = counts.get("by_split") if isinstance(counts, dict) else None
    listed_by = Counter((row["split"], row["label"]) for row in rows)
    for split, labels in (counted if isinstance(counted, dict) else {}).items():
        for label, expected in (labels if isinstance(labels, dict) else {}).items():
            listed = listed_by[split, label]
            if listed != expected:
                raise ParameterError(
                    f"{path}: lists {listed} {split} {label} samples where dataset.json counts "
                    f"{expected} (cut short, or edited): generate the dataset again"
                )
    return rows


def load_split(
    target_path: str | Path, *, kind: str = "mel", split: str = "test"
) -> LabelledImages:
    """Read one split of one spectrogram type: its images, labels and samples.csv rows.

    Only the images samples.csv lists are read. Other files in the split's folder (images
    put there by hand, a damaged download) are named in one
    :class:`~sounddetect.exceptions.SoundDetectWarning` per split, and left out; hidden
    files and the metadata file managers leave (``Thumbs.db``, ``desktop.ini``) are passed
    over without a word, as the generator does.

    Parameters
    ----------
    target_path : str or Path
        The generator's output folder (``samples.csv``, ``dataset.json``, ``<kind>/...``).
    kind : str
        Spectrogram type, a sub-folder of ``target_path``.
    split : str
        One of :data:`SPLITS`.

    Returns
    -------
    LabelledImages

    Raises
    ------
    ParameterError
        If the split is unknown or holds no samples, a samples.csv row is of an unknown
        split or label (:func:`checked_samples`), or an image is missing, unreadable or not
        of the size and colours of the dataset's images.
    """
    if split not in SPLITS:
        raise ParameterError(f"unknown split {split!r}; choose from {', '.join(SPLITS)}")
    # dataset.json first: its messages say what a folder that is not a dataset lacks.
    dataset.check_dataset_folder(target_path)
    config = dataset_config(target_path, kind=kind)
    rows = [row for row in checked_samples(target_path) if row["split"] == split]
    if not rows:
        raise ParameterError(f"{target_path} has no {split!r} samples")
    shape = (config.height, config.width) + ((3,) if config.channels == 3 else ())
    folder = dataset.type_folder(target_path, kind)
    paths = [dataset.image_path(folder, row) for row in rows]
    _warn_unlisted(folder / split, listed=paths)
    images = []
    for path in paths:
        try:
            image = decode_png(path.read_bytes())
        except (OSError, ParameterError) as exc:
            raise ParameterError(f"cannot read image {path}: {exc}") from exc
        if image.shape != shape:
            raise ParameterError(
                f"image {path} is {_describe_shape(image.shape)}, but the dataset's "
                f"{kind} images are {_describe_shape(shape)}"
            )
        images.append(image)
    labels = np.array([LABELS.index(row["label"]) for row in rows], dtype=np.int64)
    return LabelledImages(
        images=np.stack(images),
        labels=labels,
        rows=rows,
        source=str(folder / split),
    )


def _warn_unlisted(folder: Path, *, listed: Sequence[Path]) -> None:
    """One warning naming the files under ``folder`` that are not in ``listed``."""
    files, _ = visible_files(folder)  # hidden files are left out there
    listed_set = set(listed)
    unlisted = [
        path for path in files if path not in listed_set and path.name not in FOLDER_METADATA
    ]
    if not unlisted:
        return
    names = " and ".join(path.relative_to(folder).as_posix() for path in unlisted[:2])
    warnings.warn(
        f"{folder}: {len(unlisted)} file(s) that samples.csv does not list (such as {names}) "
        "are not used; train and evaluate read only the images of samples.csv's rows",
        SoundDetectWarning,
        stacklevel=3,
    )


def _describe_shape(shape: tuple[int, ...]) -> str:
    colours = "colour" if len(shape) == 3 else "grey"
    return f"{shape[1]}x{shape[0]} {colours}"


def predict_probabilities(
    model_dir: str | Path,
    images: np.ndarray,
    *,
    batch_size: int = 256,
    num_threads: int = 1,
) -> np.ndarray:
    """Alarm probabilities of the exported model for rendered images.

    Runs :class:`~sounddetect.classifiers.onnx.OnnxClassifier`, the classifier detection
    uses, so the figures are those of the shipped ``model.onnx``.

    Parameters
    ----------
    model_dir : str or Path
        Folder with ``model.onnx`` and ``model.json``.
    images : np.ndarray [shape=(n, height, width[, 3])], uint8
        Rendered spectrogram images.
    batch_size : int
        Images per onnxruntime call.
    num_threads : int
        onnxruntime intra-op threads.

    Returns
    -------
    np.ndarray [shape=(n,)], float32
    """
    classifier = OnnxClassifier.from_dir(model_dir, threads=num_threads)
    return classify_in_batches(classifier, images, batch_size=batch_size)


def classify_in_batches(
    classifier: OnnxClassifier, images: np.ndarray, *, batch_size: int = 256
) -> np.ndarray:
    """``classifier.classify`` over ``images`` in batches of ``batch_size``, float32 ``(n,)``."""
    chunks = [
        classifier.classify(images[i : i + batch_size]) for i in range(0, len(images), batch_size)
    ]
    return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)


def measure_ms_per_window(
    model_dir: str | Path,
    *,
    batch_size: int = 64,
    num_threads: int = 1,
    min_seconds: float = 1.0,
    seed: int = 0,
) -> float:
    """CPU milliseconds the classifier takes per window, batched, on ``num_threads`` threads.

    Includes the uint8-to-tensor conversion, as in detection. CPU time of this process
    (``time.process_time``), so that other load on a shared machine inflates it less than
    wall time would; with one thread it is the wall time of an idle core. The images are
    random noise of the model's configured size: the CNN's cost does not depend on pixel
    values. One warm-up batch is excluded; then whole batches run until ``min_seconds`` of
    CPU time have passed.

    Parameters
    ----------
    model_dir : str or Path
        Folder with ``model.onnx`` and ``model.json``.
    batch_size : int >= 1
        Images (windows) per onnxruntime call.
    num_threads : int >= 0
        onnxruntime intra-op threads (0: one per core).
    min_seconds : float > 0
        CPU seconds of timed batches, at least.
    seed : int
        Seeds the random images.

    Returns
    -------
    float
        CPU milliseconds per window: the timed batches' CPU time over the windows they held.

    Raises
    ------
    ModelError
        The model folder's files are missing or malformed, or inference fails
        (:meth:`~sounddetect.classifiers.onnx.OnnxClassifier.from_dir`).
    ParameterError
        ``num_threads`` is out of onnxruntime's range, ``batch_size`` is under 1, or
        ``min_seconds`` is not positive.
    """
    if batch_size < 1 or not min_seconds > 0:
        raise ParameterError(
            f"need batch_size >= 1 and min_seconds > 0, got {batch_size}, {min_seconds}"
        )
    classifier = OnnxClassifier.from_dir(model_dir, threads=num_threads)
    config = classifier.config
    shape = (batch_size, config.height, config.width) + ((3,) if config.channels == 3 else ())
    images = np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)
    classifier.classify(images)
    n_windows, start = 0, time.process_time()
    while (elapsed := time.process_time() - start) < min_seconds:
        classifier.classify(images)
        n_windows += batch_size
    return 1000.0 * elapsed / n_windows


def _safe_ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def classification_metrics(
    labels: np.ndarray, probabilities: np.ndarray, *, threshold: float = 0.5
) -> dict[str, Any]:
    """Precision, recall, F1, accuracy, ROC-AUC and the confusion matrix at a threshold.

    A sample is called an alarm when its probability is ``>= threshold``.

    Parameters
    ----------
    labels : np.ndarray [shape=(n,)]
        1 for alarm, 0 for no alarm.
    probabilities : np.ndarray [shape=(n,)]
        Alarm probabilities.
    threshold : float
        Decision threshold in [0, 1].

    Returns
    -------
    dict
        ``n``, ``n_alarm``, ``n_no_alarm``, ``precision``, ``recall``, ``f1``, ``accuracy``,
        ``roc_auc`` (None when only one class is present), ``average_precision`` (None without
        alarms), ``false_positive_rate`` (None without non-alarms), ``confusion_matrix``
        ``[[tn, fp], [fn, tp]]`` (rows true, columns predicted, in :data:`LABELS` order) and
        ``threshold``. Precision is None when nothing is predicted an alarm, recall when
        there are no alarms.

    Examples
    --------
    >>> m = classification_metrics(np.array([0, 0, 1, 1]), np.array([0.1, 0.6, 0.4, 0.9]))
    >>> m["precision"], m["recall"], m["roc_auc"]
    (0.5, 0.5, 0.75)
    """
    from sklearn.metrics import (
        average_precision_score,
        confusion_matrix,
        f1_score,
        precision_score,
        recall_score,
        roc_auc_score,
    )

    labels = np.asarray(labels, dtype=np.int64)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if labels.shape != probabilities.shape or labels.ndim != 1:
        raise ParameterError(
            f"labels and probabilities must be 1-D of one length, got {labels.shape} "
            f"and {probabilities.shape}"
        )
    if not 0.0 <= threshold <= 1.0:
        raise ParameterError(f"threshold must be in [0, 1], got {threshold}")
    predicted = (probabilities >= threshold).astype(np.int64)
    (tn, fp), (fn, tp) = confusion_matrix(labels, predicted, labels=[0, 1]).tolist()
    both_classes = 0 < labels.sum() < len(labels)
    return {
        "n": int(len(labels)),
        "n_alarm": int(labels.sum()),
        "n_no_alarm": int(len(labels) - labels.sum()),
        "threshold": float(threshold),
        "precision": (
            float(precision_score(labels, predicted, zero_division=0)) if tp + fp else None
        ),
        "recall": float(recall_score(labels, predicted, zero_division=0)) if tp + fn else None,
        "f1": float(f1_score(labels, predicted, zero_division=0)) if tp + fp + fn else None,
        "accuracy": float((tp + tn) / len(labels)) if len(labels) else None,
        "false_positive_rate": _safe_ratio(fp, fp + tn),
        "roc_auc": float(roc_auc_score(labels, probabilities)) if both_classes else None,
        "average_precision": (
            float(average_precision_score(labels, probabilities)) if labels.sum() else None
        ),
        "confusion_matrix": [[tn, fp], [fn, tp]],
    }


def _snr_db(row: dict[str, str]) -> float:
    value = row.get("snr_db", "")
    return float(value) if value not in ("", None) else math.nan


def breakdown_by_snr(
    rows: Sequence[dict[str, str]],
    labels: np.ndarray,
    probabilities: np.ndarray,
    *,
    threshold: float,
    edges_db: Sequence[float] = SNR_BIN_EDGES_DB,
) -> list[dict[str, Any]]:
    """Metrics per SNR bin of the alarm samples.

    SNR is a property of alarm samples only, so each bin holds that bin's alarms plus
    *all* no-alarm samples: its recall is the bin's detection rate and its F1 is the F1
    the test split would have if every alarm were at that SNR.

    Parameters
    ----------
    rows : sequence of dict
        The samples.csv row of each sample, in the order of ``labels``; ``snr_db`` is read
        (an alarm sample with none is in no bin).
    labels : np.ndarray [shape=(n,)]
        1 for alarm, 0 for no alarm.
    probabilities : np.ndarray [shape=(n,)]
        Alarm probabilities.
    threshold : float
        Decision threshold in [0, 1] (:func:`classification_metrics`).
    edges_db : sequence of float
        Ascending bin edges in dB; bins are ``low <= snr < high``, and the outer two, below
        the first edge and from the last on, are open.

    Returns
    -------
    list of dict
        One entry per non-empty bin, from low to high SNR: ``bin`` (a label such as
        ``"0..5 dB"``, ``"< -10 dB"`` or ``">= 20 dB"``), ``low_db``, ``high_db`` (edges in
        dB; None for open ends) and the :func:`classification_metrics` keys.

    Raises
    ------
    ParameterError
        ``threshold`` is outside [0, 1] (checked for each non-empty bin).
    """
    labels = np.asarray(labels)
    probabilities = np.asarray(probabilities)
    snr_db = np.array([_snr_db(row) for row in rows])
    negatives = labels == 0
    bounds = [-math.inf, *edges_db, math.inf]
    result = []
    for low, high in zip(bounds[:-1], bounds[1:], strict=True):
        in_bin = (labels == 1) & (snr_db >= low) & (snr_db < high)
        if not in_bin.any():
            continue
        chosen = in_bin | negatives
        name = (
            f"< {high:g} dB"
            if math.isinf(low)
            else f">= {low:g} dB"
            if math.isinf(high)
            else f"{low:g}..{high:g} dB"
        )
        result.append(
            {
                "bin": name,
                "low_db": None if math.isinf(low) else low,
                "high_db": None if math.isinf(high) else high,
                **classification_metrics(
                    labels[chosen], probabilities[chosen], threshold=threshold
                ),
            }
        )
    return result


def breakdown_by_alarm_kind(
    rows: Sequence[dict[str, str]],
    labels: np.ndarray,
    probabilities: np.ndarray,
    *,
    threshold: float,
) -> list[dict[str, Any]]:
    """Metrics per alarm kind (samples.csv ``alarm_kind``: t3piezo, t4piezo, ...).

    Like :func:`breakdown_by_snr`, each kind's alarms are paired with *all* no-alarm
    samples: its recall is the detection rate of that kind of alarm.

    Parameters
    ----------
    rows : sequence of dict
        The samples.csv row of each sample, in the order of ``labels``; ``alarm_kind`` is
        read.
    labels : np.ndarray [shape=(n,)]
        1 for alarm, 0 for no alarm.
    probabilities : np.ndarray [shape=(n,)]
        Alarm probabilities.
    threshold : float
        Decision threshold in [0, 1] (:func:`classification_metrics`).

    Returns
    -------
    list of dict
        One entry per kind of the alarm samples, sorted by name (alarm samples without an
        ``alarm_kind`` make the kind ``""``): ``kind`` and the
        :func:`classification_metrics` keys.

    Raises
    ------
    ParameterError
        ``threshold`` is outside [0, 1] (checked when there are alarm samples).
    """
    labels = np.asarray(labels)
    probabilities = np.asarray(probabilities)
    kinds = np.array([row.get("alarm_kind", "") or "" for row in rows])
    negatives = labels == 0
    return [
        {
            "kind": kind,
            **classification_metrics(labels[chosen], probabilities[chosen], threshold=threshold),
        }
        for kind in sorted(set(kinds[labels == 1]))
        for chosen in [((kinds == kind) & (labels == 1)) | negatives]
    ]


def breakdown_by_background(
    rows: Sequence[dict[str, str]],
    labels: np.ndarray,
    probabilities: np.ndarray,
    *,
    threshold: float,
) -> list[dict[str, Any]]:
    """Metrics per background kind: the samples whose mix contains that kind.

    A sample with several background layers counts towards each of its kinds. For kinds
    that are hard non-alarm sounds (chirps, microwaves) the telling figure is the
    ``false_positive_rate`` of their no-alarm samples.

    Parameters
    ----------
    rows : sequence of dict
        The samples.csv row of each sample, in the order of ``labels``: ``background_kinds``
        (separated by ``;``; a row without any has the kind ``"none"``) is read, and
        ``alarm_kind``, which adds :data:`ALARM_SNIPPET_KIND` to a no-alarm sample's kinds.
    labels : np.ndarray [shape=(n,)]
        1 for alarm, 0 for no alarm; as many as ``rows`` (else ValueError).
    probabilities : np.ndarray [shape=(n,)]
        Alarm probabilities.
    threshold : float
        Decision threshold in [0, 1] (:func:`classification_metrics`).

    Returns
    -------
    list of dict
        One entry per kind, sorted by name: ``kind`` and the :func:`classification_metrics`
        keys.

    Raises
    ------
    ParameterError
        ``threshold`` is outside [0, 1] (checked when there are samples).
    """
    labels = np.asarray(labels)
    probabilities = np.asarray(probabilities)
    kinds_per_row = [
        {kind for kind in row.get("background_kinds", "").split(";") if kind} or {"none"}
        for row in rows
    ]
    # An alarm's beep in a non-alarm sample is one more hard sound of that sample's mix.
    for kinds, row, label in zip(kinds_per_row, rows, labels, strict=True):
        if label == 0 and row.get("alarm_kind"):
            kinds.add(ALARM_SNIPPET_KIND)
    result = []
    for kind in sorted(set().union(*kinds_per_row)):
        chosen = np.array([kind in kinds for kinds in kinds_per_row])
        result.append(
            {
                "kind": kind,
                **classification_metrics(
                    labels[chosen], probabilities[chosen], threshold=threshold
                ),
            }
        )
    return result


def _split_sources(info: dict[str, Any], *, split: str) -> dict[str, list[str]]:
    """A split's alarm and background clips, as dataset.json (``info``) lists them, relative
    to its ``source_root``."""
    clips: dict[str, list[str]] = {"alarm": [], "background": []}
    for entry in info.get("sources", []):
        if entry.get("split") == split and entry.get("role") in clips:
            clips[entry["role"]].append(entry["file"])
    return clips


def recording_outcomes(
    model_dir: str | Path, target_path: str | Path, *, split: str = "test", threads: int = 1
) -> dict[str, Any] | None:
    """Each source clip of a split through the detect pipeline, as a whole recording.

    Windows tell how well the model scores images; users see recordings: does an alarm clip
    raise an alarm event, does a background clip stay quiet? The clips are the sources the
    generator mixed (4-12 s each in the default corpus); events follow ``sounddetect
    detect``'s default rule at the model's threshold.

    Parameters
    ----------
    model_dir : str or Path
        Folder with ``model.onnx`` and ``model.json``.
    target_path : str or Path
        The generator's output folder; its sources must still be as they were, where it
        read them or moved together with it (:func:`~sounddetect.dataset.source_folder`).
    split : str
    threads : int
        onnxruntime threads.

    Returns
    -------
    dict or None
        ``alarm_clips``, ``alarms_found``, ``missed`` (clips without an alarm event),
        ``background_clips``, ``raising_an_alarm``, ``false_alarms`` (clips with one) and
        ``failed`` (clips detect could not read, with the reason); None when the dataset
        lists no sources for the split, or a clip is gone or changed since generation (its
        sha256 differs; logged).
    """
    info = dataset.read_dataset_info(target_path)
    clips = _split_sources(info, split=split)
    if not any(clips.values()):
        return None
    try:
        root = dataset.source_folder(target_path, info)
    except AudioError as exc:
        logger.warning("%s; recordings not scored", exc)
        return None
    # Outcomes of other audio would pass for the split's: with one clip gone or changed, none
    # are scored (the window metrics come from the images and stand).
    recorded = {entry["file"]: entry.get("sha256") for entry in info.get("sources", [])}
    for name in (name for names in clips.values() for name in names):
        try:
            dataset.check_source(
                root / name, sha256=recorded[name], what=f"a source clip of the {split} split"
            )
        except AudioError as exc:
            logger.warning("%s; recordings not scored", exc)
            return None
    classifier = OnnxClassifier.from_dir(model_dir, threads=threads)
    raised: dict[str, list[str]] = {"alarm": [], "background": []}
    quiet: dict[str, list[str]] = {"alarm": [], "background": []}
    failed = []
    for role, names in clips.items():
        for name in names:
            result = detect_file(root / name, classifier)
            if result["error"]:
                failed.append(f"{name}: {result['error']['message']}")
            else:
                (raised if result["alarm"] else quiet)[role].append(name)
    return {
        "alarm_clips": len(clips["alarm"]),
        "alarms_found": len(raised["alarm"]),
        "missed": sorted(quiet["alarm"]),
        "background_clips": len(clips["background"]),
        "raising_an_alarm": len(raised["background"]),
        "false_alarms": sorted(raised["background"]),
        "failed": failed,
    }


def evaluate(
    model_dir: str | Path,
    target_path: str | Path,
    *,
    kind: str | None = None,
    split: str = "test",
    out_dir: str | Path | None = None,
    plots: bool = True,
    recordings: bool = True,
    num_threads: int = 1,
) -> dict[str, Any]:
    """Evaluate an exported model on one split of a generated dataset.

    Parameters
    ----------
    model_dir : str or Path
        Folder with ``model.onnx`` and ``model.json``.
    target_path : str or Path
        The generator's output folder.
    kind : str or None
        Spectrogram type to read; None takes the model's own ``config.kind``.
    split : str
        Split to evaluate (``test``; ``validate`` or ``train`` for diagnosis).
    out_dir : str, Path or None
        Where ``report.json`` and the plots go; None writes nothing.
    plots : bool
        Whether to draw the plots into ``out_dir``.
    recordings : bool
        Whether to also run the split's source clips through detection as whole recordings
        (:func:`recording_outcomes`).
    num_threads : int
        onnxruntime threads; 1 matches detection's per-core budget.

    Returns
    -------
    dict
        ``model``, ``target_path``, ``kind``, ``split``, ``threshold``, ``metrics`` (see
        :func:`classification_metrics`), ``by_snr``, ``by_alarm_kind``, ``by_background``,
        ``ms_per_window``, ``heard_in_training`` (:func:`heard_in_training`), ``errors`` (the
        misclassified samples: id, label, probability, alarm file, background kinds, SNR)
        and ``recordings`` (:func:`recording_outcomes`, or None).

    Raises
    ------
    ModelError
        If the model's spectrogram config differs from the dataset's for that type.
    ParameterError
        ``out_dir`` is a file or lies inside one, or holds files named as
        :data:`REPORT_FILES` that are not an earlier report of this function's (checked
        before anything is computed, and again before writing; :func:`check_report_dir`).
    """
    model_dir, target_path = Path(model_dir), Path(target_path)
    if out_dir is not None:
        check_report_dir(Path(out_dir))
    card = read_model_json(model_dir)
    model_config = card["config"]
    kind = kind or model_config.kind
    dataset.check_dataset_folder(target_path)
    data_config = dataset_config(target_path, kind=kind)
    if data_config != model_config:
        raise ModelError(
            f"model {model_dir} was trained on images rendered differently from the {kind} "
            f"images of {target_path} "
            f"({model_config.describe_differences(data_config, this='model', that='dataset')})"
        )
    data = load_split(target_path, kind=kind, split=split)
    if len(set(data.labels.tolist())) < 2:
        only = LABELS[int(data.labels[0])]
        warnings.warn(
            f"{target_path}: the {split} split holds {only} samples only: ROC-AUC and average "
            "precision are undefined, and precision or recall say little",
            SoundDetectWarning,
            stacklevel=2,
        )
    threshold = float(card["threshold"])
    start = time.perf_counter()
    probabilities = predict_probabilities(model_dir, data.images, num_threads=num_threads)
    logger.info(
        "classified %d %s images in %.1f s", len(probabilities), split, time.perf_counter() - start
    )
    predicted = probabilities >= threshold
    errors = [
        {
            "sample_id": row["sample_id"],
            "label": row["label"],
            "alarm_probability": round(float(p), 4),
            "background_kinds": row.get("background_kinds", ""),
            "alarm_file": row.get("alarm_file", ""),
            "snr_db": None if math.isnan(_snr_db(row)) else _snr_db(row),
        }
        for row, p, label, guess in zip(
            data.rows, probabilities, data.labels, predicted, strict=True
        )
        if bool(label) != bool(guess)
    ]
    report = {
        "model": str(model_dir),
        "model_name": card.get("name"),
        # int8 or float: what the figures, ms_per_window most, are of
        "quantization": card.get("quantization"),
        "target_path": str(target_path),
        "kind": kind,
        "split": split,
        "threshold": threshold,
        "metrics": classification_metrics(data.labels, probabilities, threshold=threshold),
        "by_snr": breakdown_by_snr(data.rows, data.labels, probabilities, threshold=threshold),
        "by_alarm_kind": breakdown_by_alarm_kind(
            data.rows, data.labels, probabilities, threshold=threshold
        ),
        "by_background": breakdown_by_background(
            data.rows, data.labels, probabilities, threshold=threshold
        ),
        "ms_per_window": measure_ms_per_window(model_dir, num_threads=1),
        "heard_in_training": heard_in_training(card, target_path, split=split),
        "errors": errors,
        "recordings": (
            recording_outcomes(model_dir, target_path, split=split, threads=num_threads)
            if recordings
            else None
        ),
    }
    if out_dir is not None:
        out_dir = Path(out_dir)
        # Again: a file of the user's may have been put there while the model was scored.
        check_report_dir(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        # An earlier report's plots (checked to be ours) go first, so that the new
        # report.json never sits beside another model's plots: with plots=False, or when
        # drawing stops half-way.
        for name in REPORT_FILES[1:]:
            (out_dir / name).unlink(missing_ok=True)
        write_aside(out_dir / "report.json", (json.dumps(report, indent=2) + "\n").encode())
        if plots:
            plot_report(report, data.labels, probabilities, out_dir=out_dir)
    return report


def heard_in_training(
    card: dict[str, Any], target_path: str | Path, *, split: str
) -> dict[str, int] | None:
    """How many source clips of ``split`` the model heard in training or was tuned on.

    A dataset generated again with another seed, or from a grown corpus, draws its splits
    anew: clips the model trained on land in its test split, and the figures would overstate
    how the model does on sounds it never heard. Such an overlap is logged as a warning.

    Returns
    -------
    dict or None
        ``{"clips": n, "of": m}``; None for a model whose model.json does not list the
        clips it trained on (made before 2026-12-02).
    """
    heard = card.get("training", {}).get("source_sha256")
    if heard is None:
        return None
    scored = dataset.source_digests(target_path, splits=(split,))
    overlap = len(set(heard) & set(scored))
    if overlap:
        logger.warning(
            "%s: %d of the %d source clips of its %s split were in the training or validate "
            "split of the data the model was trained on; the figures overstate how it does on "
            "sounds it never heard",
            target_path,
            overlap,
            len(scored),
            split,
        )
    return {"clips": overlap, "of": len(scored)}


def check_report_dir(out_dir: Path) -> None:
    """Refuse a report folder that cannot be made, or where :data:`REPORT_FILES` would
    overwrite files of the user's.

    An earlier report is rewritten whole, its plots removed: a ``report.json`` of ours (its
    keys say so) and plots of ours, which carry :data:`REPORT_SOFTWARE` as their PNG
    "Software" text; beside a report.json of ours, plots with matplotlib's own text are
    taken for ours too, as reports made before 2026-12-02 drew them so. Anything else of
    those names is the user's.

    Raises
    ------
    ParameterError
        If ``out_dir`` is a file or lies inside one, or cannot be written (a read-only file
        system, a folder the user may not write to), or holds a file of a report's names that
        is not ours.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise ParameterError(f"{out_dir}: --out is a file, not a folder")
    dataset.check_creatable(out_dir, what="--out")
    report = out_dir / "report.json"
    earlier = _is_report(report)
    foreign = [
        name
        for name in REPORT_FILES
        if (out_dir / name).exists() or (out_dir / name).is_symlink()
        if not (earlier if name == "report.json" else _is_plot(out_dir / name, earlier=earlier))
    ]
    if foreign:
        raise ParameterError(
            f"{out_dir}: holds {', '.join(foreign)} that sounddetect evaluate did not write; "
            "choose another --out"
        )


def _is_report(path: Path) -> bool:
    if path.is_symlink():  # writing over it would not change what it points to
        return False
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(report, dict) and {"model", "target_path", "metrics"} <= report.keys()


def _is_plot(path: Path, *, earlier: bool) -> bool:
    """Whether ``path`` is a plot of a report's: ours by its Software text, or, beside an
    ``earlier`` report.json of ours, matplotlib's (what reports drew before the text)."""
    if path.is_symlink():
        return False
    software = str(png_text(path).get("Software", ""))
    return software == REPORT_SOFTWARE or (earlier and software.startswith("Matplotlib version"))


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_summary(report: dict[str, Any]) -> str:
    """A short plain-text summary of an :func:`evaluate` report for the terminal."""
    m = report["metrics"]
    (tn, fp), (fn, tp) = m["confusion_matrix"]
    lines = [
        f"model {report['model']} on {report['target_path']} ({report['kind']}, "
        f"{report['split']}: {m['n']} windows, {m['n_alarm']} alarm)",
        f"threshold {report['threshold']:.3f}  precision {_fmt(m['precision'])}  "
        f"recall {_fmt(m['recall'])}  F1 {_fmt(m['f1'])}  ROC-AUC {_fmt(m['roc_auc'])}",
        f"confusion  tn {tn}  fp {fp}  fn {fn}  tp {tp}   "
        f"{report['ms_per_window']:.3f} ms/window (onnxruntime, 1 thread)",
        "",
        f"{'SNR bin':<14}{'alarms':>7}{'recall':>8}{'F1':>7}",
    ]
    lines += [
        f"{b['bin']:<14}{b['n_alarm']:>7}{_fmt(b['recall']):>8}{_fmt(b['f1']):>7}"
        for b in report["by_snr"]
    ]
    lines += ["", f"{'alarm kind':<14}{'alarms':>7}{'recall':>8}"]
    lines += [
        f"{b['kind']:<14}{b['n_alarm']:>7}{_fmt(b['recall']):>8}"
        for b in report.get("by_alarm_kind", [])
    ]
    lines += ["", f"{'background':<14}{'alarms':>7}{'recall':>8}{'others':>7}{'FPR':>7}"]
    lines += [
        f"{b['kind']:<14}{b['n_alarm']:>7}{_fmt(b['recall']):>8}{b['n_no_alarm']:>7}"
        f"{_fmt(b['false_positive_rate']):>7}"
        for b in report["by_background"]
    ]
    r = report.get("recordings")
    if r:
        unreadable = f" ({len(r['failed'])} unreadable)" if r["failed"] else ""
        lines += [
            "",
            f"source clips as recordings: {r['alarms_found']} of {r['alarm_clips']} alarm "
            f"clips raise an alarm, {r['raising_an_alarm']} of {r['background_clips']} "
            f"background clips do{unreadable}",
        ]
    return "\n".join(lines)


def _save_plot(fig: Any, path: Path) -> None:
    """Save ``fig`` as a PNG marked as ours (:data:`REPORT_SOFTWARE`), written aside."""
    buffer = io.BytesIO()
    fig.savefig(
        buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": REPORT_SOFTWARE}
    )
    write_aside(path, buffer.getvalue())


def plot_report(
    report: dict[str, Any],
    labels: np.ndarray,
    probabilities: np.ndarray,
    *,
    out_dir: str | Path,
) -> list[Path]:
    """Draw ``pr_curve.png``, ``confusion_matrix.png`` and ``f1_by_snr.png`` into ``out_dir``.

    Each is marked as ours in its PNG "Software" text (:data:`REPORT_SOFTWARE`), which
    :func:`check_report_dir` reads, and written aside and moved into place. Files of those
    names are replaced without that check (:func:`evaluate` makes it). The figures are drawn
    on Agg canvases of their own, leaving matplotlib's backend and pyplot as they were.

    The precision-recall curve is drawn only when there are alarms, with the report's
    threshold marked when its precision and recall are defined; ``f1_by_snr.png`` shows F1
    and recall per SNR bin, None drawn as 0.

    Parameters
    ----------
    report : dict
        An :func:`evaluate` report: ``model_name`` (or, when it is empty, ``model``),
        ``kind``, ``split``, ``threshold``, ``metrics`` and ``by_snr`` are read.
    labels : np.ndarray [shape=(n,)]
        1 for alarm, 0 for no alarm, of the samples the report scored.
    probabilities : np.ndarray [shape=(n,)]
        Their alarm probabilities.
    out_dir : str or Path
        An existing folder.

    Returns
    -------
    list of Path
        The files written: ``pr_curve.png``, ``confusion_matrix.png`` and
        ``f1_by_snr.png`` in ``out_dir``, in that order.
    """
    from sklearn.metrics import ConfusionMatrixDisplay, PrecisionRecallDisplay

    def new_axes(figsize):
        figure = agg_figure(figsize=figsize)
        return figure, figure.subplots()

    out_dir = Path(out_dir)
    title = f"{report.get('model_name') or report['model']}: {report['kind']} {report['split']}"
    written = []

    fig, ax = new_axes((5, 4.5))
    if labels.sum():
        PrecisionRecallDisplay.from_predictions(labels, probabilities, ax=ax, name="model")
        m = report["metrics"]
        if m["precision"] is not None and m["recall"] is not None:
            ax.plot(
                m["recall"],
                m["precision"],
                "o",
                color="C3",
                label=f"threshold {report['threshold']:.2f}",
            )
        ax.legend(loc="lower left")
    ax.set_title(title)
    written.append(out_dir / "pr_curve.png")
    _save_plot(fig, written[-1])

    fig, ax = new_axes((4.5, 4))
    ConfusionMatrixDisplay(
        np.array(report["metrics"]["confusion_matrix"]), display_labels=list(LABELS)
    ).plot(ax=ax, colorbar=False, cmap="Blues")
    ax.set_title(title)
    written.append(out_dir / "confusion_matrix.png")
    _save_plot(fig, written[-1])

    fig, ax = new_axes((6, 4))
    bins = report["by_snr"]
    positions = np.arange(len(bins))
    ax.bar(positions - 0.2, [b["f1"] or 0 for b in bins], width=0.4, label="F1")
    ax.bar(positions + 0.2, [b["recall"] or 0 for b in bins], width=0.4, label="recall")
    ax.set_xticks(positions, [f"{b['bin']}\n(n={b['n_alarm']})" for b in bins], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("alarm SNR")
    ax.set_ylabel("score")
    ax.legend(loc="lower right")
    ax.set_title(title)
    written.append(out_dir / "f1_by_snr.png")
    _save_plot(fig, written[-1])
    return written
