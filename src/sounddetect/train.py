"""Training the local alarm classifier: a small CNN, fitted with PyTorch, exported to ONNX.

The model reads the generator's images (``image_to_tensor``: float32 [N, C, H, W] in [0, 1])
and outputs the alarm probability. It is kept small so that detection classifies a window
in a fraction of a millisecond on one core.

Model
    AlarmNet              -- 2-D conv front end, dilated 1-D convs over the window's time
Augmentation
    Augmentation          -- settings
    augment_batch         -- frequency shift, contrast, SpecAugment masks
    mix_backgrounds       -- fresh background mixes (sounding times follow)
    rhythm_negatives      -- no_alarm images from alarm images: the tones without the pause
    mix_images_db         -- the dB-domain mixture of two rendered images
Training
    sounding_targets      -- per image column, how much of it the alarm sounds (strong label)
    fit                   -- train on train/, early-stop on validate/
    choose_threshold      -- max-F1 decision threshold, centred in its margin
Export
    export_onnx           -- model.onnx with the sigmoid inside the graph
    quantize_onnx         -- its int8 copy, calibrated on training images (what ships)
    data_hash             -- sha256 over samples.csv, dataset.json and the images of a type
    library_versions
Whole job
    train                 -- dataset folder -> model folder (model.onnx + model.json)
    compare_types         -- one model per spectrogram type, trained and evaluated
    format_comparison     -- their figures as a Markdown table
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import hashlib
import json
import logging
import math
import os
import platform
import shutil
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from sounddetect import __version__
from sounddetect.classifiers.base import MAX_THREADS
from sounddetect.classifiers.onnx import (
    ALARM_PROBABILITY,
    ALARM_SOUNDING,
    MODEL_FORMAT,
    OnnxClassifier,
    onnx_sha256,
)
from sounddetect.dataset import (
    check_creatable,
    check_dataset_folder,
    check_writable,
    image_path,
    is_test_only_dataset,
    source_digests,
    type_folder,
)
from sounddetect.evaluate import (
    LabelledImages,
    checked_samples,
    classification_metrics,
    classify_in_batches,
    dataset_config,
    load_split,
)
from sounddetect.events import LABELS
from sounddetect.exceptions import ModelError, ParameterError, SoundDetectError, SoundDetectWarning
from sounddetect.folders import FULL_DISK_ERRNOS, move_folder, replace_folder
from sounddetect.spectrum import (
    SpectrogramConfig,
    image_row_frequencies,
    image_to_pixels,
    image_to_tensor,
)

logger = logging.getLogger(__name__)

#: samples.csv ``alarm_kind`` prefixes of alarms whose meaning is their rhythm: temporal-three
#: (smoke) and temporal-four (CO) patterns, three or four beeps and then a pause.
RHYTHMIC_ALARM_KINDS = ("t3", "t4")

#: dataset.json keys (``section.key`` within a section) naming folders or files of the
#: machine the data was made on, which :func:`data_hash` leaves out: the source files it
#: skipped are named as they were found, and what it used is in ``sources`` by sha256.
MACHINE_LOCAL_DATASET_KEYS = (
    "source_root",
    "source_root_relative",
    "settings.alarm_source",
    "settings.background_source",
    "skipped",
)

#: Training precisions: ``auto`` is ``bfloat16`` where the CPU has bfloat16 instructions.
PRECISIONS = ("auto", "bfloat16", "float32")

#: Types whose pixels are dB of a power spectrogram, so that two images can be mixed in dB
#: and their frequency axis shifted. MFCC and chroma pixels are not, and get neither.
POWER_SPECTROGRAM_TYPES = ("mel", "linear", "cqt", "reassigned", "harmonic", "percussive")


class AlarmNet(nn.Module):
    """A small CNN that sees a whole window's temporal pattern.

    The image gets a second channel, each row minus its mean over time, which takes away
    stationary sound (hum, fans, the colour of the noise) and leaves what changes: beeps.
    Four 3x3 conv blocks (stride 2, then frequency-only strides) turn that into a feature
    map of ``height / 16`` frequency bands by ``width / 2`` time steps (62 ms each by
    default); the bands are stacked into channels, which keeps where in frequency a sound
    is (a 3 kHz piezo, a 520 Hz square wave, a 2 kHz microwave), and dilated 1-D convs
    (residual) read the sequence over the whole window, so the model can tell three beeps
    then a pause (temporal-three) or four pips (temporal-four) from one chirp, a
    reversing beeper or a microwave's beeps, not just "a tone near 3 kHz". Mean and max
    over time feed a small head that outputs one logit.

    A second head (:meth:`forward_with_frames`) reads each time step of the same sequence
    and says whether an alarm sounds there. Asking the network *where* the alarm's beeps
    are, not only whether the window holds an alarm, gives it 64 targets per image instead
    of one and ties its features to the alarm's own sound; the exported model also returns
    it (``alarm_sounding``), and detection uses it to place events' starts and ends.

    Parameters
    ----------
    channels : int
        Image channels (1 for ``gray``, 3 for colour maps).
    height : int
        Image height in pixels (a multiple of 16).
    widths : sequence of 4 int
        Output channels of the four 2-D conv blocks.
    temporal_channels : int
        Channels of the 1-D temporal convs.
    dilations : sequence of int
        Dilation of each temporal conv (kernel 3). The default (1, 2, 4, ..., 32) reaches
        63 steps either way, so every one of the 64 time steps sees the whole window.
    dropout : float
        Dropout before the last layer.
    """

    def __init__(
        self,
        channels: int = 1,
        *,
        height: int = 128,
        widths: Sequence[int] = (16, 32, 48, 64),
        temporal_channels: int = 64,
        dilations: Sequence[int] = (1, 2, 4, 8, 16, 32),
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        if height % 16:
            raise ParameterError(f"AlarmNet needs an image height divisible by 16, got {height}")
        strides = ((2, 2), (2, 1), (2, 1), (2, 1))
        blocks, in_channels = [], 2 * channels
        for out_channels, stride in zip(widths, strides, strict=True):
            blocks += [
                nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(),
            ]
            in_channels = out_channels
        self.features = nn.Sequential(*blocks)
        self.project = nn.Conv1d(in_channels * (height // 16), temporal_channels, 1)
        self.temporal = nn.ModuleList(
            nn.Sequential(
                nn.Conv1d(
                    temporal_channels,
                    temporal_channels,
                    3,
                    padding=dilation,
                    dilation=dilation,
                    bias=False,
                ),
                nn.BatchNorm1d(temporal_channels),
                nn.ReLU(),
            )
            for dilation in dilations
        )
        self.head = nn.Sequential(
            nn.Linear(2 * temporal_channels, 32),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(32, 1),
        )
        self.frame_head = nn.Conv1d(temporal_channels, 1, 1)

    def sequence(self, image: torch.Tensor) -> torch.Tensor:
        """Temporal features, shape (N, temporal_channels, W / 2), before pooling over time."""
        image = torch.cat([image, image - image.mean(dim=3, keepdim=True)], dim=1)
        sequence = self.project(self.features(image).flatten(1, 2))
        for layer in self.temporal:
            sequence = sequence + layer(sequence)
        return sequence

    def _window_logits(self, sequence: torch.Tensor) -> torch.Tensor:
        pooled = torch.cat([sequence.mean(dim=2), sequence.amax(dim=2)], dim=1)
        return self.head(pooled).flatten()

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """Alarm logits, shape (N,), for images of shape (N, C, H, W) in [0, 1]."""
        return self._window_logits(self.sequence(image))

    def forward_with_frames(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Alarm logits (N,) and alarm-sounding logits per time step (N, W / 2)."""
        sequence = self.sequence(image)
        return self._window_logits(sequence), self.frame_head(sequence).squeeze(1)


class _ProbabilityModel(nn.Module):
    """AlarmNet with the sigmoids inside, the graph that is exported."""

    def __init__(self, net: AlarmNet, *, sounding: bool) -> None:
        super().__init__()
        self.net = net
        self.sounding = sounding

    def forward(self, image: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        if not self.sounding:
            return torch.sigmoid(self.net(image))
        logits, frame_logits = self.net.forward_with_frames(image)
        return torch.sigmoid(logits), torch.sigmoid(frame_logits)


@dataclass(frozen=True)
class Augmentation:
    """How training images are augmented (values in image units).

    :func:`mix_backgrounds`, :func:`augment_batch` and :func:`rhythm_negatives` apply it, in
    that order.

    Images are max-normalised (the loudest pixel is 255, ``top_db`` below it is 0), so a
    plain gain of the recording does not change them; what changes between recordings is
    the dynamic range and how loud the alarm is *relative to* the other sounds. Contrast
    and the background mix model exactly that.

    There is no time shift: the generator already starts every alarm at a random point of
    its cycle and of the window, and rolling an image is a true shift only for a pattern
    whose cycle is exactly the window (a roll of a 4.6 s T3 cycle joins two beep groups into
    a rhythm no alarm has, and can do the same to a non-alarm's beeps).

    Parameters
    ----------
    max_frequency_shift : int
        Shift by up to this many rows up or down (the vacated rows are silent): about
        +-500 Hz near 3 kHz on the mel scale, so pitches between and beyond our alarms'.
    contrast : (float, float)
        Range of the contrast factor about the top of the scale, which is a change of the
        shown dynamic range (top_db / factor) and of the noise floor.
    time_masks, max_time_mask : int
        SpecAugment: number of time masks and their maximum width in columns. Masks are
        kept small: a wider one deletes a half-second beep (16 columns) or the pips of a
        temporal-four alarm, a narrower one a whole tone (1-2 rows), and an alarm image
        without its alarm is a wrong label (it cost validate AUC in trials).
    frequency_masks, max_frequency_mask : int
        SpecAugment: number of frequency masks and their maximum height in rows.
    mix_probability : float
        Chance to mix a random ``no_alarm`` training image into an image (label kept).
    mix_gain_db : (float, float)
        Range of the mixed-in image's level relative to the image, in dB: up to -5 dB, so
        that the mix adds a new background without burying a quiet alarm.
    rhythm_negative_probability : float
        Chance that an alarm image of a rhythmic kind (:data:`RHYTHMIC_ALARM_KINDS`) also
        yields a ``no_alarm`` image, by :func:`rhythm_negatives` (the one augmentation
        that adds samples instead of changing them); power-spectrogram types only.
    band_limit_probability : float
        Chance that an image loses everything above a cutoff, as a recording made at 8-15
        kHz does (IP cameras, intercoms and phones record at 8 kHz); a model that only ever
        saw the full band raised false alarms on two in five household recordings at 8 kHz.
        The label is kept, so the few alarm images whose tone lies above the cutoff (piezos
        at 3.7-4.2 kHz) become wrong; about 0.4 % of them with the defaults.
    band_limit_hz : (float, float)
        Range of that cutoff in Hz: Nyquist frequencies of 8-15 kHz rates, less the
        resampler's transition band.
    """

    max_frequency_shift: int = 10
    contrast: tuple[float, float] = (0.75, 1.3)
    time_masks: int = 1
    max_time_mask: int = 6
    frequency_masks: int = 1
    max_frequency_mask: int = 6
    mix_probability: float = 0.5
    mix_gain_db: tuple[float, float] = (-25.0, -5.0)
    rhythm_negative_probability: float = 0.3
    band_limit_probability: float = 0.25
    band_limit_hz: tuple[float, float] = (3700.0, 7500.0)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def rhythm_negatives(
    images: torch.Tensor, sounding: torch.Tensor, *, period: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """``no_alarm`` images made from alarm images by repeating one stretch of time.

    A random ``period``-column stretch of each image is tiled across the window and the
    result normalised to its maximum again. From a temporal-three alarm this makes a beep
    every second with no pause (a reversing beeper, a metronome); from a temporal-four one,
    a group of pips every second (an alarm clock). A smoke or CO alarm never sounds like
    that: its pattern pauses. Same tones, same room, wrong rhythm: the model must learn
    the rhythm, not the tone, which is what it needs for beeping sounds it never heard.

    Parameters
    ----------
    images : torch.Tensor [shape=(N, C, H, W)]
        Alarm images in [0, 1].
    sounding : torch.Tensor [shape=(N, W)]
        Where in each image the alarm sounds (:func:`sounding_targets`); it is tiled with
        the image, as the alarm's tones are still there.
    period : int
        Columns to repeat (one second of the window by default).
    generator : torch.Generator
        Source of randomness for the stretches' starts.

    Returns
    -------
    images : torch.Tensor [shape=(N, C, H, W)]
    sounding : torch.Tensor [shape=(N, W)]
    """
    width = images.shape[-1]
    starts = torch.randint(0, width - period + 1, (len(images),), generator=generator).tolist()
    repeats = -(-width // period)

    def tile(tensor: torch.Tensor) -> torch.Tensor:
        """Each row's stretch repeated along the last (time) axis."""
        if not len(tensor):
            return tensor.clone()
        return torch.stack(
            [
                torch.cat([row[..., start : start + period]] * repeats, dim=-1)[..., :width]
                for row, start in zip(tensor, starts, strict=True)
            ]
        )

    tiled = tile(images)
    # Pixels are dB below the image's maximum: raising all by the same amount is the
    # renormalisation the renderer would apply.
    tiled = (tiled + 1.0 - tiled.amax(dim=(1, 2, 3), keepdim=True)).clamp(0.0, 1.0)
    return tiled, tile(sounding)


def mix_images_db(
    image: torch.Tensor, other: torch.Tensor, *, gain_db: torch.Tensor, top_db: float
) -> torch.Tensor:
    """Mix two rendered power-spectrogram images as their sounds would mix.

    Pixels map linearly to dB below each image's maximum, so adding the powers
    (``10 log10(10^(a/10) + 10^((b + gain)/10))``) and normalising the result to its new
    maximum and ``top_db`` range is what rendering the sum of the two sounds gives, up to
    the phase cross-terms within a band and what lay below each image's floor.

    Parameters
    ----------
    image, other : torch.Tensor [shape=(N, 1, H, W)]
        Images in [0, 1].
    gain_db : torch.Tensor [shape=(N,)]
        Level of ``other`` relative to ``image`` (their maxima), in dB.
    top_db : float
        The images' dynamic range in dB (``SpectrogramConfig.top_db``).

    Returns
    -------
    torch.Tensor [shape=(N, 1, H, W)]
    """
    to_nepers = math.log(10.0) / 10.0
    level_a = (image - 1.0) * top_db
    level_b = (other - 1.0) * top_db + gain_db.view(-1, 1, 1, 1)
    mixed = torch.logaddexp(level_a * to_nepers, level_b * to_nepers) / to_nepers
    mixed = mixed - mixed.amax(dim=(1, 2, 3), keepdim=True)
    return (mixed.clamp(min=-top_db) + top_db) / top_db


def _uniform(low: float, high: float, size: int, *, generator: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(size, generator=generator)


def mix_backgrounds(
    images: torch.Tensor,
    sounding: torch.Tensor,
    *,
    pool: torch.Tensor,
    pool_sounding: torch.Tensor,
    generator: torch.Generator,
    augmentation: Augmentation = Augmentation(),
    top_db: float = 80.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mix a random ``no_alarm`` image into a share of a batch, as a fresh background.

    Labels are kept: a no_alarm image adds no alarm. It may add an alarm *snippet* (one beep
    of an alarm, see :func:`sounddetect.mixing.draw_sample_specs`), so the sounding times
    are the union of both images'.

    Parameters
    ----------
    images : torch.Tensor [shape=(N, 1, H, W)]
        Power-spectrogram images in [0, 1].
    sounding : torch.Tensor [shape=(N, W)]
        Where in each image an alarm sounds (:func:`sounding_targets`).
    pool, pool_sounding : torch.Tensor [shape=(M, 1, H, W)], [shape=(M, W)]
        ``no_alarm`` training images to mix in (in [0, 1], or uint8 pixels converted as they
        are drawn), and their sounding times.
    generator : torch.Generator
        Source of randomness.
    augmentation : Augmentation
        ``mix_probability`` and ``mix_gain_db``.
    top_db : float
        The images' dynamic range in dB.

    Returns
    -------
    images : torch.Tensor [shape=(N, 1, H, W)]
    sounding : torch.Tensor [shape=(N, W)]
    """
    a = augmentation
    images, sounding = images.clone(), sounding.clone()
    chosen = torch.rand(len(images), generator=generator) < a.mix_probability
    if chosen.any() and len(pool):
        k = int(chosen.sum())
        picks = torch.randint(len(pool), (k,), generator=generator)
        gain_db = _uniform(*a.mix_gain_db, k, generator=generator)
        background = _unit(pool[picks])
        images[chosen] = mix_images_db(images[chosen], background, gain_db=gain_db, top_db=top_db)
        sounding[chosen] = torch.maximum(sounding[chosen], pool_sounding[picks])
    return images, sounding


def augment_batch(
    images: torch.Tensor,
    *,
    generator: torch.Generator,
    augmentation: Augmentation = Augmentation(),
    power_spectrogram: bool = True,
    row_hz: torch.Tensor | None = None,
) -> torch.Tensor:
    """A randomly augmented copy of a training batch: frequency shift, band limit, contrast,
    masks.

    None of these moves sound in time, so labels and sounding times are unchanged.

    Parameters
    ----------
    images : torch.Tensor [shape=(N, C, H, W)]
        Images in [0, 1]; row 0 is the highest frequency (image convention).
    generator : torch.Generator
        Source of randomness (seeded by the caller).
    augmentation : Augmentation
        What to do.
    power_spectrogram : bool
        Whether pixels are dB of power along a frequency axis; False (MFCC, chroma) skips
        the frequency shift, which would not be physical there.
    row_hz : torch.Tensor [shape=(H,)], optional
        Frequency in Hz of each image row (row 0 the highest); without it, no band limit.

    Returns
    -------
    torch.Tensor [shape=(N, C, H, W)]
    """
    a = augmentation
    n, _, height, width = images.shape
    out = images.clone()

    def integers(low: int, high: int, size: int) -> list[int]:
        return torch.randint(low, high + 1, (size,), generator=generator).tolist()

    if power_spectrogram and a.max_frequency_shift:
        for i, shift in enumerate(integers(-a.max_frequency_shift, a.max_frequency_shift, n)):
            if shift > 0:  # up: towards row 0
                out[i, :, :-shift] = out[i, :, shift:].clone()
                out[i, :, -shift:] = 0.0
            elif shift < 0:
                out[i, :, -shift:] = out[i, :, :shift].clone()
                out[i, :, :-shift] = 0.0
    if power_spectrogram and row_hz is not None and a.band_limit_probability > 0:
        chosen = torch.rand(n, generator=generator) < a.band_limit_probability
        cutoffs = _uniform(*a.band_limit_hz, n, generator=generator)
        for i in chosen.nonzero().flatten().tolist():
            above = row_hz > cutoffs[i]
            # Images are max-normalised: without its top band an image's loudest pixel may
            # be quieter, and every pixel above the floor moves up by the difference.
            lift = 1.0 - float(out[i, :, ~above].max())
            out[i] = torch.where(out[i] > 0, (out[i] + lift).clamp(max=1.0), out[i])
            out[i, :, above] = 0.0
    factor = _uniform(*a.contrast, n, generator=generator).view(-1, 1, 1, 1)
    out = (1.0 - (1.0 - out) * factor).clamp(0.0, 1.0)
    means = out.mean(dim=(1, 2, 3))
    for count, size, axis_length, dim in (
        (a.time_masks, a.max_time_mask, width, 3),
        (a.frequency_masks, a.max_frequency_mask, height, 2),
    ):
        for _ in range(count):
            for i, (length, start) in enumerate(
                zip(integers(0, size, n), integers(0, axis_length - 1, n), strict=True)
            ):
                index = slice(start, min(start + length, axis_length))
                if dim == 3:
                    out[i, :, :, index] = means[i]
                else:
                    out[i, :, index, :] = means[i]
    return out


def choose_threshold(
    labels: np.ndarray, probabilities: np.ndarray, *, min_recall: float = 0.9
) -> float:
    """The decision threshold with the best F1 among those that keep ``min_recall``,
    placed mid-way in its margin.

    Every cut between two consecutive distinct scores is a candidate; among the cuts
    whose recall is at least ``min_recall``, the one with the highest F1 wins (ties: the
    middle one) and the threshold is the midpoint *in logit space* between the scores on
    either side of it. On a validate split that is separated cleanly that is the middle of
    the gap between the highest non-alarm and the lowest alarm score, the choice with the
    most room for scores to drift on unseen recordings in either direction.

    Why a recall floor: alarms the model never saw (other brands, rooms) score lower than
    the validate alarms, and a missed smoke alarm is the costlier error of this product, so
    the cut must not be tuned for in-distribution F1 alone. Why not a higher one: validate
    holds the faintest alarms (-5 dB under three backgrounds), and keeping 97 % of them
    pushed the cut so low that 19 of 48 held-out distractor recordings raised an alarm;
    a real alarm sounds for many windows and an event needs several, so a floor of 0.9
    still found 64 of 68 held-out alarm recordings with 7 false ones (two-window events).

    Parameters
    ----------
    labels : np.ndarray [shape=(n,)]
        1 for alarm, 0 for no alarm; both must be present.
    probabilities : np.ndarray [shape=(n,)]
        Alarm probabilities.
    min_recall : float
        Least recall the threshold must keep on these samples, in [0, 1]; 0 gives the
        plain max-F1 threshold.

    Returns
    -------
    float
        Threshold in (0, 1); a window is an alarm when its probability is ``>=`` it.

    Examples
    --------
    >>> round(choose_threshold(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9])), 3)
    0.5
    """
    labels = np.asarray(labels, dtype=np.int64)
    if not 0 < labels.sum() < len(labels):
        raise ParameterError("choosing a threshold needs both alarm and no_alarm samples")
    eps = 1e-6
    logits = np.log(np.clip(probabilities, eps, 1 - eps) / np.clip(1 - probabilities, eps, 1))
    scores = np.unique(logits)
    cuts = np.concatenate([[scores[0] - 1.0], (scores[:-1] + scores[1:]) / 2, [scores[-1] + 1.0]])
    predicted = logits[None, :] > cuts[:, None]
    tp = (predicted & (labels == 1)).sum(axis=1)
    fp = (predicted & (labels == 0)).sum(axis=1)
    fn = labels.sum() - tp
    f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
    # Recall falls as the cut rises, so the lowest cut always qualifies (recall 1).
    f1 = np.where(tp / labels.sum() >= min_recall, f1, -1.0)
    best = np.flatnonzero(f1 == f1.max())
    cut = cuts[best[len(best) // 2]]
    threshold = 1.0 / (1.0 + math.exp(-cut))
    # Scores beyond the clip tie in logit space: keep the cut's split of the probabilities
    # themselves (an alarm scored 1e-8 stays above a cut made at 1e-6).
    probabilities = np.asarray(probabilities, dtype=np.float64)
    above, below = probabilities[logits > cut], probabilities[logits <= cut]
    if above.size:
        threshold = min(threshold, float(above.min()))
    if below.size:
        threshold = max(threshold, float(np.nextafter(below.max(), 1.0)))
    return float(threshold)


def sounding_targets(
    rows: Sequence[dict[str, str]], *, width: int, duration_s: float
) -> np.ndarray:
    """How much of each image column's time an alarm sounds, from samples.csv.

    Parameters
    ----------
    rows : sequence of dict
        samples.csv rows (``alarm_sounding_s``: ``;``-joined ``start:end`` seconds).
    width : int
        Image width in columns; column ``j`` covers ``[j, j + 1) * duration_s / width``.
    duration_s : float
        Window length in seconds.

    Returns
    -------
    np.ndarray [shape=(len(rows), width), dtype=float32]
        Fractions in [0, 1]; all 0 for a window without alarm sound.

    Raises
    ------
    ParameterError
        A row without the column, or a malformed interval.

    Examples
    --------
    >>> sounding_targets([{"alarm_sounding_s": "0.5:1.25"}], width=4, duration_s=4.0)
    array([[0.5 , 0.25, 0.  , 0.  ]], dtype=float32)
    """
    edges = np.linspace(0.0, duration_s, width + 1)
    targets = np.zeros((len(rows), width), dtype=np.float64)
    for i, row in enumerate(rows):
        text = row.get("alarm_sounding_s")
        if text is None:
            raise ParameterError(
                f"{row.get('sample_id', 'a sample')}: samples.csv has no alarm_sounding_s "
                "column (made by an older sounddetect? generate the dataset again)"
            )
        for pair in filter(None, text.split(";")):
            try:
                start, end = (float(value) for value in pair.split(":"))
            except ValueError:
                raise ParameterError(
                    f"{row.get('sample_id', 'a sample')}: bad alarm_sounding_s {pair!r}"
                ) from None
            overlap = np.minimum(edges[1:], end) - np.maximum(edges[:-1], start)
            targets[i] += np.clip(overlap, 0.0, None)
    return np.clip(targets * (width / duration_s), 0.0, 1.0).astype(np.float32)


@dataclass
class FitResult:
    """What :func:`fit` returns.

    Attributes
    ----------
    model : AlarmNet
        The weights of the best validate epoch, in eval mode.
    history : list of dict
        Per epoch: ``epoch``, ``train_loss`` (the weighted window loss over the augmented
        training images, as ``validate_loss`` is over the validate images; the frame loss is
        not in it), ``train_accuracy`` (of the dataset's images, augmented, at 0.5),
        ``validate_loss``, ``validate_f1`` (at 0.5), ``validate_roc_auc``, ``seconds``.
    best_epoch : int
        1-based epoch whose weights were kept (lowest validate loss).
    seconds : float
        Wall-clock training time.
    validate_probabilities : np.ndarray
        The kept model's validate probabilities.
    precision : str
        ``bfloat16`` or ``float32``: what the forward passes of training ran in.
    """

    model: AlarmNet
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    seconds: float = 0.0
    validate_probabilities: np.ndarray = field(default_factory=lambda: np.zeros(0))
    precision: str = "float32"


def resolve_precision(precision: str) -> str:
    """``bfloat16`` or ``float32`` for a :data:`PRECISIONS` value.

    ``auto`` picks ``bfloat16`` where oneDNN has native bfloat16 kernels for this CPU
    (AVX-512 BF16 or AMX), where it makes a training step about 1.7 times faster; elsewhere
    it would be emulated and slower, so ``float32``.
    """
    if precision not in PRECISIONS:
        raise ParameterError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision != "auto":
        return precision
    try:
        native = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a build without oneDNN
        native = False
    return "bfloat16" if native else "float32"


def _unit(images: torch.Tensor) -> torch.Tensor:
    """The model input from uint8 pixels (as :func:`image_to_tensor`); float images as they are."""
    return images if images.is_floating_point() else images.float() / 255


def _predict_logits(model: nn.Module, images: torch.Tensor, *, batch_size: int) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return torch.cat(
            [model(_unit(images[i : i + batch_size])) for i in range(0, len(images), batch_size)]
        )


def _augment_training_batch(
    images: torch.Tensor,
    labels: torch.Tensor,
    sounding: torch.Tensor,
    *,
    rhythmic: torch.Tensor,
    background_pool: torch.Tensor,
    pool_sounding: torch.Tensor,
    row_hz: torch.Tensor | None,
    config: SpectrogramConfig,
    augmentation: Augmentation,
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A training batch as :func:`fit` trains on it: augmented, with its rhythm negatives.

    Power spectrograms of one channel get no_alarm images mixed in (:func:`mix_backgrounds`),
    every batch gets :func:`augment_batch`, and for power spectrograms the rhythmic alarms
    chosen with ``augmentation.rhythm_negative_probability`` give no_alarm images with the
    pause taken out (:func:`rhythm_negatives`), appended to the batch. ``generator`` is drawn
    from in that order, the choice of rhythm negatives whatever the kind of spectrogram, so
    one seed gives the same batches.

    Parameters
    ----------
    images : torch.Tensor [shape=(N, C, H, W)]
        The batch, float in [0, 1].
    labels : torch.Tensor [shape=(N,)]
        1.0 for alarm, 0.0 for no_alarm.
    sounding : torch.Tensor [shape=(N, W)]
        Where in each image the alarm sounds (:func:`sounding_targets`).
    rhythmic : torch.Tensor [shape=(N,), dtype=bool]
        The alarms of a :data:`RHYTHMIC_ALARM_KINDS` kind.
    background_pool, pool_sounding : torch.Tensor
        The no_alarm training images (uint8 or float) to mix in, and their sounding targets.
    row_hz : torch.Tensor [shape=(H,)] or None
        Each image row's frequency in Hz for a power spectrogram
        (:func:`~sounddetect.spectrum.image_row_frequencies`), else None.
    config : SpectrogramConfig
        The images' config (kind, channels, ``top_db``, width and duration).
    augmentation : Augmentation
        How much of each augmentation.
    generator : torch.Generator
        The random draws.

    Returns
    -------
    images, labels, sounding : torch.Tensor
        The augmented batch, its N images first, then any rhythm negatives.
    """
    power = config.kind in POWER_SPECTROGRAM_TYPES
    if power and config.channels == 1:
        images, sounding = mix_backgrounds(
            images,
            sounding,
            pool=background_pool,
            pool_sounding=pool_sounding,
            generator=generator,
            augmentation=augmentation,
            top_db=config.top_db,
        )
    images = augment_batch(
        images,
        generator=generator,
        augmentation=augmentation,
        power_spectrogram=power,
        row_hz=row_hz,
    )
    chosen = rhythmic & (
        torch.rand(len(rhythmic), generator=generator) < augmentation.rhythm_negative_probability
    )
    # Their renormalisation takes pixels for dB below the image's maximum: an MFCC image,
    # each row stretched over its own range, would come out with narrower rows than any
    # rendered image, a give-away of the label.
    if power and chosen.any():
        one_second = max(2, round(config.width / config.duration))
        negatives, negative_sounding = rhythm_negatives(
            images[chosen], sounding[chosen], period=one_second, generator=generator
        )
        images = torch.cat([images, negatives])
        labels = torch.cat([labels, torch.zeros(len(negatives))])
        sounding = torch.cat([sounding, negative_sounding])
    return images, labels, sounding


def _validate_loss(
    model: nn.Module, pixels: torch.Tensor, labels: torch.Tensor, *, loss_function: nn.Module
) -> tuple[float, np.ndarray]:
    """The window loss of ``model`` over the validate images, and their alarm probabilities.

    Parameters
    ----------
    model : nn.Module
        Left in eval mode.
    pixels : torch.Tensor [shape=(N, C, H, W), dtype=uint8]
        The validate images.
    labels : torch.Tensor [shape=(N,)]
        1.0 for alarm, 0.0 for no_alarm.
    loss_function : nn.Module
        The training's window loss, with its class weight.

    Returns
    -------
    loss : float
        NaN or infinite when the training diverged.
    probabilities : np.ndarray [shape=(N,), dtype=float32]
    """
    logits = _predict_logits(model, pixels, batch_size=256)
    return float(loss_function(logits, labels)), torch.sigmoid(logits).numpy()


def fit(
    train_data: LabelledImages,
    validate_data: LabelledImages,
    *,
    config: SpectrogramConfig,
    epochs: int = 10,
    batch_size: int = 32,
    learning_rate: float = 3e-3,
    patience: int = 10,
    augmentation: Augmentation | None = Augmentation(),
    frame_loss_weight: float = 1.0,
    seed: int = 0,
    num_threads: int = 2,
    precision: str = "auto",
) -> FitResult:
    """Train an :class:`AlarmNet` on ``train_data``, early-stopped on ``validate_data``.

    AdamW with a cosine learning-rate schedule over ``epochs``; the loss is binary cross
    entropy of the window label, weighted so both classes of the training images count
    alike (the rhythm negatives that augmentation adds, about a quarter more no_alarm
    images, are not counted: the threshold chosen on validate makes up for the lean), plus
    ``frame_loss_weight`` times the binary cross entropy of the frame head against where
    the alarm sounds (:func:`sounding_targets`). After each epoch the validate loss (window
    labels only) is measured; training stops once it has not improved for ``patience``
    epochs, and the weights of its best epoch are kept. One log line per epoch reports
    progress.

    Parameters
    ----------
    train_data, validate_data : LabelledImages
        From :func:`sounddetect.evaluate.load_split`.
    config : SpectrogramConfig
        The images' config (channels, ``top_db``, kind).
    epochs : int
        Maximum number of epochs.
    batch_size : int >= 2
        Images per optimiser step. Batch norm needs two images in a batch: a batch of one
        would never be trained on.
    learning_rate : float
        Peak AdamW learning rate.
    patience : int
        Epochs without a better validate loss before stopping.
    augmentation : Augmentation or None
        None trains on the images as they are.
    frame_loss_weight : float >= 0
        Weight of the frame (alarm sounding) loss; 0 trains on window labels alone.
    seed : int
        Seeds weights, batch order and augmentation: the same seed gives the same model.
    num_threads : int
        PyTorch intra-op threads, 1 to :data:`MAX_THREADS`.
    precision : str
        One of :data:`PRECISIONS` (:func:`resolve_precision`): the forward passes of
        training run under bfloat16 autocast or in float32. Weights, optimiser, losses and
        the exported model are float32 either way.

    Returns
    -------
    FitResult

    Raises
    ------
    ParameterError
        A setting is out of range, or a split lacks alarm or no_alarm images (the message
        names the split's folder).
    """
    if epochs < 1 or patience < 1:
        raise ParameterError(f"epochs and patience must be >= 1, got {epochs}, {patience}")
    if batch_size < 2:
        # Batches of one image are skipped below: none would be trained on, and an untrained
        # model would be written as if it were one.
        raise ParameterError(
            f"batch_size must be at least 2, got {batch_size}: batch norm needs two images "
            "in a batch"
        )
    if not 1 <= num_threads <= MAX_THREADS:
        raise ParameterError(f"num_threads must be in [1, {MAX_THREADS}], got {num_threads}")
    if frame_loss_weight < 0:
        raise ParameterError(f"frame_loss_weight must be >= 0, got {frame_loss_weight}")
    precision = resolve_precision(precision)
    bfloat16 = precision == "bfloat16"
    torch.set_num_threads(num_threads)
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    # uint8 until a batch is drawn: float32 copies of a large dataset would take gigabytes.
    train_pixels = torch.from_numpy(image_to_pixels(train_data.images))
    train_y = torch.from_numpy(train_data.labels).float()
    validate_pixels = torch.from_numpy(image_to_pixels(validate_data.images))
    validate_y = torch.from_numpy(validate_data.labels).float()
    if train_pixels.shape[1] != config.channels:
        raise ParameterError(
            f"images have {train_pixels.shape[1]} channels but the config says {config.channels}"
        )
    n_alarm = float(train_y.sum())
    for split, data in (("train", train_data), ("validate", validate_data)):
        alarms = int(data.labels.sum())
        if not 0 < alarms < len(data.labels):
            where = f"{data.source}: " if data.source else ""
            raise ParameterError(
                f"{where}the {split} split needs both alarm and no_alarm samples; it has "
                f"{alarms} alarm and {len(data.labels) - alarms} no_alarm"
            )
    train_sounding = torch.from_numpy(
        sounding_targets(train_data.rows, width=config.width, duration_s=config.duration)
    )
    background_pool = train_pixels[train_y == 0]
    pool_sounding = train_sounding[train_y == 0]
    rhythmic = torch.tensor(
        [row.get("alarm_kind", "").startswith(RHYTHMIC_ALARM_KINDS) for row in train_data.rows]
    ) & (train_y == 1)
    row_hz = (
        torch.from_numpy(image_row_frequencies(config)).float()
        if config.kind in POWER_SPECTROGRAM_TYPES
        else None
    )

    # oneDNN's convolutions train about a fifth faster on channels-last tensors, in bfloat16
    # and float32 alike (benchmarks/bench_train.py).
    model = AlarmNet(config.channels, height=config.height).to(memory_format=torch.channels_last)
    optimiser = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=epochs)
    loss_function = nn.BCEWithLogitsLoss(
        pos_weight=torch.tensor((len(train_y) - n_alarm) / n_alarm)
    )
    frame_loss_function = nn.BCEWithLogitsLoss()
    result = FitResult(model=model, precision=precision)
    best_loss, best_state, stale = math.inf, None, 0
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        epoch_start = time.perf_counter()
        model.train()
        order = torch.randperm(len(train_pixels), generator=generator)
        # The window loss over every image trained on (rhythm negatives included), to set
        # beside the validate loss; accuracy over the dataset's own images.
        total_loss, n_images, correct, n_counted = 0.0, 0, 0, 0
        for i in range(0, len(order), batch_size):
            index = order[i : i + batch_size]
            if len(index) < 2:  # batch norm needs two samples
                continue
            x, y, sounding = _unit(train_pixels[index]), train_y[index], train_sounding[index]
            if augmentation is not None:
                x, y, sounding = _augment_training_batch(
                    x,
                    y,
                    sounding,
                    rhythmic=rhythmic[index],
                    background_pool=background_pool,
                    pool_sounding=pool_sounding,
                    row_hz=row_hz,
                    config=config,
                    augmentation=augmentation,
                    generator=generator,
                )
            x = x.contiguous(memory_format=torch.channels_last)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bfloat16):
                logits, frame_logits = model.forward_with_frames(x)
            # The losses in float32: bfloat16 keeps 8 bits of mantissa.
            logits, frame_logits = logits.float(), frame_logits.float()
            # Image columns to the frame head's time steps (the first block halves time).
            frame_targets = nn.functional.adaptive_avg_pool1d(
                sounding.unsqueeze(1), frame_logits.shape[-1]
            ).squeeze(1)
            window_loss = loss_function(logits, y)
            loss = window_loss + frame_loss_weight * frame_loss_function(
                frame_logits, frame_targets
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total_loss += window_loss.item() * len(y)
            n_images += len(y)
            correct += int(((logits[: len(index)] > 0).float() == y[: len(index)]).sum())
            n_counted += len(index)
        scheduler.step()
        validate_loss, probabilities = _validate_loss(
            model, validate_pixels, validate_y, loss_function=loss_function
        )
        if not (math.isfinite(total_loss) and math.isfinite(validate_loss)):
            raise ModelError(
                f"training diverged in epoch {epoch}: the loss is {total_loss:g} on train and "
                f"{validate_loss:g} on validate; train again with a lower --learning-rate "
                f"than {learning_rate:g}"
            )
        metrics = classification_metrics(validate_data.labels, probabilities, threshold=0.5)
        entry = {
            "epoch": epoch,
            "train_loss": total_loss / max(n_images, 1),
            "train_accuracy": correct / max(n_counted, 1),
            "validate_loss": validate_loss,
            "validate_f1": metrics["f1"] or 0.0,
            "validate_roc_auc": metrics["roc_auc"],
            "seconds": time.perf_counter() - epoch_start,
        }
        result.history.append(entry)
        improved = validate_loss < best_loss - 1e-4
        logger.info(
            "epoch %2d/%d  train loss %.4f acc %.3f  validate loss %.4f F1 %.3f AUC %.4f  %.1f s%s",
            epoch,
            epochs,
            entry["train_loss"],
            entry["train_accuracy"],
            validate_loss,
            entry["validate_f1"],
            entry["validate_roc_auc"],
            entry["seconds"],
            "  *" if improved else "",
        )
        if improved:
            best_loss, best_state, stale = validate_loss, copy.deepcopy(model.state_dict()), 0
            result.best_epoch = epoch
            result.validate_probabilities = probabilities
        else:
            stale += 1
            if stale >= patience:
                logger.info("validate loss has not improved for %d epochs: stopping", patience)
                break
    model.load_state_dict(best_state)
    model.to(memory_format=torch.contiguous_format).eval()
    result.seconds = time.perf_counter() - start
    return result


def export_onnx(
    model: AlarmNet,
    path: str | Path,
    *,
    config: SpectrogramConfig,
    sounding: bool = True,
    opset: int = 17,
) -> Path:
    """Write ``model`` as ONNX: input ``image`` [N, C, H, W], output ``alarm_probability`` [N].

    The sigmoids are part of the graph, and the batch dimension is dynamic. With
    ``sounding``, the frame head's output comes too, as ``alarm_sounding`` [N, W / 2]: the
    probability that the alarm sounds in each time step of the window (what detection uses
    to place an event's start and end); leave it out for a model trained without the frame
    loss, whose frame head learnt nothing.

    Returns
    -------
    Path
        ``path``.
    """
    import onnx

    path = Path(path)
    # Both in eval mode: the exporter restores the wrapper's mode afterwards, recursively.
    wrapper = _ProbabilityModel(model, sounding=sounding).eval()
    outputs = [ALARM_PROBABILITY, *([ALARM_SOUNDING] if sounding else [])]
    example = torch.zeros(2, config.channels, config.height, config.width)
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of the dynamo one, which needs
        # onnxscript; it still exports this plain conv net exactly.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            wrapper,
            (example,),
            str(path),
            input_names=["image"],
            output_names=outputs,
            dynamic_axes={name: {0: "batch"} for name in ["image", *outputs]},
            opset_version=opset,
            dynamo=False,
        )
    onnx.checker.check_model(onnx.load(str(path)))
    return path


#: Training images whose activations set the int8 model's ranges (:func:`quantize_onnx`).
CALIBRATION_IMAGES = 512


def quantize_onnx(
    float_path: str | Path,
    path: str | Path,
    *,
    calibration: np.ndarray,
    batch_size: int = 64,
) -> Path:
    """Write an int8 copy of the float ONNX model at ``float_path`` to ``path``.

    Static post-training quantization by onnxruntime: the convolutions' and linear layers'
    weights become int8 per output channel, and their inputs uint8, with ranges set by the
    activations the model shows on ``calibration`` (min-max). The rest of the graph (the
    row-mean channel, pooling, the sigmoids) stays float, and so do the outputs. On a CPU
    with VNNI instructions the CNN classifies a window in 60 % of the time (it was 40-47 %
    of detection's), and the file is 30 % of the size. Weights use 7 of their 8 bits
    (``reduce_range``): x86 CPUs without VNNI instructions multiply through 16-bit sums
    that pairs of 8-bit products can overflow, and 7-bit ones cannot.

    Parameters
    ----------
    float_path : str or Path
        A model written by :func:`export_onnx`.
    path : str or Path
        Where to write the int8 model (``float_path`` itself too).
    calibration : np.ndarray [shape=(n, C, H, W)], float32
        Model inputs (:func:`~sounddetect.spectrum.image_to_tensor`) whose activations
        are what the int8 ranges must hold: a sample of the training images.
    batch_size : int
        Images per calibration run.

    Returns
    -------
    Path
        ``path``.
    """
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quant_pre_process,
        quantize_static,
    )

    if len(calibration) == 0:
        raise ParameterError("quantizing needs at least one calibration image")

    class Batches(CalibrationDataReader):
        def __init__(self) -> None:
            self._batches = iter(
                {"image": calibration[i : i + batch_size]}
                for i in range(0, len(calibration), batch_size)
            )

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self._batches, None)

    path = Path(path)
    with tempfile.TemporaryDirectory() as scratch:
        # Shape inference and graph fusions first, as onnxruntime asks (it warns otherwise).
        prepared = Path(scratch) / "prepared.onnx"
        quant_pre_process(str(float_path), str(prepared))
        quantize_static(
            str(prepared),
            str(path),
            Batches(),
            quant_format=QuantFormat.QOperator,
            op_types_to_quantize=["Conv", "Gemm"],
            per_channel=True,
            reduce_range=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
        )
    return path


def calibration_images(
    data: LabelledImages, *, seed: int, n: int = CALIBRATION_IMAGES
) -> np.ndarray:
    """``n`` of ``data``'s images (all if fewer), drawn with ``seed``, as model inputs."""
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(data.labels), min(n, len(data.labels)), replace=False))
    return image_to_tensor(data.images[chosen])


def _quantization_card(
    int8_probabilities: np.ndarray, float_probabilities: np.ndarray, *, n_calibration: int
) -> dict[str, Any]:
    """model.json's account of :func:`quantize_onnx`, with how far the int8 model's
    validate probabilities lie from the float network's."""
    difference = np.abs(int8_probabilities - float_probabilities)
    return {
        "weights": "int8 per output channel, 7-bit range",
        "activations": "uint8",
        "ops": ["Conv", "Gemm"],
        "calibration": {"method": "minmax", "split": "train", "images": n_calibration},
        "validate_max_abs_difference": float(difference.max(initial=0.0)),
        "validate_mean_abs_difference": float(difference.mean()) if difference.size else 0.0,
    }


def data_hash(target_path: str | Path, *, kind: str = "mel") -> str:
    """Which data made a model: ``sha256:<hex>`` over ``samples.csv``, ``dataset.json``,
    then the sha256 of each ``kind`` image samples.csv lists, in its order.

    The images count: a dataset whose images were edited or replaced is other data, and
    :func:`train` must see it change while it trains. The folders and files dataset.json
    names (its sources' folders, its own, the sources it skipped:
    :data:`MACHINE_LOCAL_DATASET_KEYS`) do not: the same data made in
    another checkout, or on another machine, hashes the same, so two models can be told to
    come from the same data or not. They are read in blocks; the default
    dataset's 24,000 images (254 MB) take 1-2 s when the disk cache holds them, 5 s when
    it does not (and then :func:`~sounddetect.evaluate.load_split` reads them from the
    cache).

    Parameters
    ----------
    target_path : str or Path
        The generator's output folder.
    kind : str
        Spectrogram type whose images count: the one a model is trained on.

    Returns
    -------
    str

    Raises
    ------
    ParameterError
        samples.csv is missing or a row is unusable
        (:func:`~sounddetect.evaluate.checked_samples`), or a file cannot be read.
    """
    target_path = Path(target_path)
    # First: it says what a folder that is not a dataset lacks, and which row is unusable.
    rows = checked_samples(target_path)
    digest = hashlib.sha256()
    for name in ("samples.csv", "dataset.json"):
        path = target_path / name
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise ParameterError(f"cannot hash {path}: {exc}") from exc
        digest.update(_without_machine_paths(content) if name == "dataset.json" else content)
    folder = type_folder(target_path, kind)
    for row in rows:
        path = image_path(folder, row)
        try:
            with open(path, "rb") as handle:
                digest.update(hashlib.file_digest(handle, "sha256").digest())
        except OSError as exc:  # as load_split words it
            raise ParameterError(f"cannot read image {path}: {exc}") from exc
    return f"sha256:{digest.hexdigest()}"


def _without_machine_paths(dataset_json: bytes) -> bytes:
    """dataset.json without the keys that name folders or files of the machine it was made
    on (:data:`MACHINE_LOCAL_DATASET_KEYS`)."""
    info = json.loads(dataset_json)
    for key in MACHINE_LOCAL_DATASET_KEYS:
        section, _, name = key.rpartition(".")
        (info.get(section, {}) if section else info).pop(name, None)
    return json.dumps(info, sort_keys=True).encode()


def library_versions() -> dict[str, str]:
    """Versions of what made the model (Python, sounddetect, torch, onnx, onnxruntime, ...)."""
    import onnx
    import onnxruntime
    import sklearn

    return {
        "python": platform.python_version(),
        "sounddetect": __version__,
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
    }


def _check_onnx_matches(path: Path, model: AlarmNet, tensor: torch.Tensor) -> float:
    """Largest |onnxruntime - PyTorch| probability on ``tensor``, over the window output
    and the time-step output if the graph has it; ModelError above 1e-4."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    exported = session.run(names, {"image": tensor.numpy()})
    model.eval()
    with torch.no_grad():
        logits, frame_logits = model.forward_with_frames(tensor)
    reference = [torch.sigmoid(logits).numpy(), torch.sigmoid(frame_logits).numpy()]
    difference = max(
        (
            float(np.max(np.abs(got - want)))
            for got, want in zip(exported, reference[: len(names)], strict=True)
            if got.size
        ),
        default=0.0,
    )
    if difference > 1e-4:
        raise ModelError(f"exported model differs from PyTorch by {difference:.2g}")
    return difference


def check_model_dir(
    out_dir: str | Path, *, overwrite: bool, target_path: str | Path | None = None
) -> None:
    """Raise unless :func:`train` may write its model to ``out_dir``.

    A folder that does not exist may be; an existing one only with ``overwrite``, and only
    if it is empty or a model folder (a ``model.json`` that training wrote), since replacing
    it deletes everything in it: ``--out models --overwrite`` or ``--out . --overwrite``
    typed by mistake must not take the other models or the user's files with it, nor
    ``--out kitchen/model`` the dataset ``kitchen/model/data`` kept in it (a test-only one,
    ``--split 0 0 1`` as an evaluation renders of a corpus, its sources render again). A
    symbolic link
    is refused, dangling or not: replacing the folder would replace the link, not the
    folder it points to, and who made the link meant that folder.

    :func:`train` checks before training and again when its model is ready to move in.

    Parameters
    ----------
    out_dir : str or Path
        The model folder.
    overwrite : bool
        Whether an existing model folder may be replaced.
    target_path : str, Path or None
        The dataset trained on, refused when it lies inside a folder ``overwrite`` would
        replace; None does not check.

    Raises
    ------
    ParameterError
        If ``out_dir`` is a symbolic link; or it exists and ``overwrite`` is False, or it is
        a file, or a folder holding anything but a model, or holding ``target_path`` or any
        dataset but a test-only one; or a file stands where one of its parents must be; or
        the folder the model would be written in is on a read-only file system or may not be
        written to.
    """
    out_dir = Path(out_dir)
    if out_dir.is_symlink():
        raise ParameterError(
            f"{out_dir} is a symbolic link (to {os.readlink(out_dir)}); --out must be the "
            "model folder itself, so give the folder it points to, or another --out"
        )
    if not out_dir.exists():
        check_creatable(out_dir, what="the model folder")
        return
    if not overwrite:
        raise ParameterError(f"{out_dir} exists; pass --overwrite to replace it")
    if not out_dir.is_dir():
        raise ParameterError(f"{out_dir} is a file, not a model folder; choose another --out")
    # The new model is written beside it and moved in.
    check_writable(out_dir.parent, path=out_dir, what="the model folder")
    if any(out_dir.iterdir()) and not _is_model_card(out_dir / "model.json"):
        raise ParameterError(
            f"{out_dir} is not a model folder (no model.json of a trained model); --overwrite "
            "replaces a model folder with everything in it, so choose another --out"
        )
    if target_path is not None and Path(target_path).resolve().is_relative_to(out_dir.resolve()):
        raise ParameterError(
            f"{target_path}: the dataset lies inside {out_dir}, which --overwrite replaces with "
            "everything in it; move the dataset out of it, or choose another --out"
        )
    # Any other dataset kept there too; a test-only one (--split 0 0 1, as an evaluation
    # renders a corpus) its source folders render again.
    kept = [
        found.parent
        for found in sorted(out_dir.rglob("dataset.json"))
        if not is_test_only_dataset(found.parent)
    ]
    if kept:
        raise ParameterError(
            f"{kept[0]}: a dataset lies inside {out_dir}, which --overwrite replaces with "
            "everything in it; move the dataset out of it, or choose another --out"
        )


def _is_model_card(path: Path) -> bool:
    try:
        card = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    family = MODEL_FORMAT.split("/")[0]
    return isinstance(card, dict) and str(card.get("format", "")).startswith(f"{family}/")


def _move_model_in(staging: Path, out_dir: Path, *, overwrite: bool, target_path: Path) -> None:
    """Move the finished model folder ``staging`` to ``out_dir``, under the rule of
    :func:`check_model_dir` checked again: while training, ``out_dir`` may have been made or
    filled (a user's files, another run's model), which the check before could not see.

    Whatever stops the move (a refusal, an error, Ctrl-C), the model trained is kept, in a
    sibling folder named in the error or a log line, and the folder at ``out_dir`` stays
    whole (:func:`~sounddetect.folders.replace_folder`).

    Raises
    ------
    ParameterError
        If ``out_dir`` may no longer be written, naming where the model trained is.
    """
    try:
        if overwrite:
            try:
                check_model_dir(out_dir, overwrite=True, target_path=target_path)
            except ParameterError as error:
                raise ParameterError(f"{out_dir} changed while training: {error}") from error
            replace_folder(staging, out_dir)
        else:
            # Nothing may be there: move_folder takes the name only if it is free.
            move_folder(staging, out_dir)
    except (ParameterError, FileExistsError) as error:
        if isinstance(error, ParameterError):
            reason = str(error)
        elif overwrite:
            reason = f"{out_dir} was taken by another run while the model moved in"
        else:
            reason = f"{out_dir} appeared while training, and only --overwrite replaces it"
        kept = _keep_model(staging, out_dir)
        raise ParameterError(f"{reason}; the model trained is kept in {kept}") from error
    except BaseException:
        if staging.exists():  # not moved in yet: hours of training are not thrown away
            kept = _keep_model(staging, out_dir)
            logger.error("%s was not written; the model trained is kept in %s", out_dir, kept)
        raise


def _keep_model(staging: Path, out_dir: Path) -> Path:
    """Move a finished model that may not go to ``out_dir`` to the first free sibling
    ``<name>-2``, ``<name>-3``, ... (taking nothing's place), or leave it where it is."""
    for number in range(2, 1000):
        kept = out_dir.with_name(f"{out_dir.name}-{number}")
        try:
            move_folder(staging, kept)
        except FileExistsError:
            continue
        except OSError:
            break
        return kept
    return staging


def train(
    target_path: str | Path,
    out_dir: str | Path,
    *,
    kind: str = "mel",
    epochs: int = 10,
    batch_size: int = 32,
    learning_rate: float = 3e-3,
    patience: int = 10,
    augmentation: Augmentation | None = Augmentation(),
    frame_loss_weight: float = 1.0,
    seed: int = 0,
    num_threads: int = 2,
    precision: str = "auto",
    min_recall: float = 0.9,
    quantize: bool = True,
    overwrite: bool = False,
    name: str | None = None,
) -> dict[str, Any]:
    """Train on a generated dataset and write ``out_dir/model.onnx`` and ``model.json``.

    Parameters
    ----------
    target_path : str or Path
        The generator's output folder.
    out_dir : str or Path
        Model folder to create, e.g. ``models/default``.
    kind : str
        Spectrogram type to train on.
    epochs, batch_size, learning_rate, patience, augmentation, frame_loss_weight, seed
        See :func:`fit`.
    num_threads, precision
        See :func:`fit`.
    min_recall : float
        Recall on validate/ the decision threshold must keep (:func:`choose_threshold`),
        chosen on the exported model's probabilities.
    quantize : bool
        Export the int8 model of :func:`quantize_onnx` (calibrated on
        :data:`CALIBRATION_IMAGES` training images drawn with ``seed``), a network that runs
        about 1.7 times as fast on a CPU with VNNI; False exports the float network, PyTorch's
        to 1e-4.
    overwrite : bool
        Replace an existing ``out_dir``; without it an existing folder is an error. Either
        way the rule (:func:`check_model_dir`) is checked before training and again when
        the model is ready, and the old folder is replaced only once the new one is whole.
    name : str or None
        Model name for ``model.json``; None uses the folder name.

    Returns
    -------
    dict
        The ``model.json`` content.

    Raises
    ------
    ParameterError
        If ``out_dir`` cannot be written (:func:`check_model_dir`), or the data is unusable;
        or, after training, ``out_dir`` changed so that it may no longer be written: the
        model trained is then kept in the sibling folder the message names (``<name>-2``).
    """
    target_path, out_dir = Path(target_path), Path(out_dir)
    # Checked before training, not after minutes of it.
    check_dataset_folder(target_path)
    check_model_dir(out_dir, overwrite=overwrite, target_path=target_path)
    if not 0.0 <= min_recall <= 1.0:
        raise ParameterError(f"min_recall must be in [0, 1], got {min_recall}")
    config = dataset_config(target_path, kind=kind)
    hash_before = data_hash(target_path, kind=kind)
    train_data = load_split(target_path, kind=kind, split="train")
    validate_data = load_split(target_path, kind=kind, split="validate")
    logger.info(
        "training on %d %s images (%d alarm), validating on %d",
        len(train_data.labels),
        kind,
        int(train_data.labels.sum()),
        len(validate_data.labels),
    )
    result = fit(
        train_data,
        validate_data,
        config=config,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        patience=patience,
        augmentation=augmentation,
        frame_loss_weight=frame_loss_weight,
        seed=seed,
        num_threads=num_threads,
        precision=precision,
    )
    best = result.history[result.best_epoch - 1]
    # The frame head learns when the alarm sounds only from the frame loss.
    sounding = frame_loss_weight > 0
    if data_hash(target_path, kind=kind) != hash_before:
        raise ParameterError(f"{target_path} changed while training; train again")
    # Write into a fresh sibling folder and swap it in, so a failed export never leaves a
    # half-written model where the old one was.
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a model folder is meant to be shared
    try:
        onnx_path = export_onnx(
            result.model, staging / "model.onnx", config=config, sounding=sounding
        )
        check = torch.from_numpy(image_to_tensor(validate_data.images[:64]))
        onnx_difference = _check_onnx_matches(onnx_path, result.model, check)
        if quantize:
            calibration = calibration_images(train_data, seed=seed)
            quantize_onnx(onnx_path, onnx_path, calibration=calibration)
        # The threshold is chosen on what ships: the int8 model's scores, not PyTorch's.
        exported = OnnxClassifier(onnx_path, config=config, threads=num_threads)
        probabilities = classify_in_batches(exported, validate_data.images)
        threshold = choose_threshold(validate_data.labels, probabilities, min_recall=min_recall)
        card = {
            "format": MODEL_FORMAT,
            "name": name or out_dir.name,
            "labels": list(LABELS),
            "threshold": threshold,
            "threshold_rule": {"split": "validate", "max": "f1", "min_recall": min_recall},
            "config": config.to_dict(),
            "input": "image",
            "output": ALARM_PROBABILITY,
            **({"sounding_output": ALARM_SOUNDING} if sounding else {}),
            "metrics": {
                "validate": classification_metrics(
                    validate_data.labels, probabilities, threshold=threshold
                ),
                "train": {"loss": best["train_loss"], "accuracy": best["train_accuracy"]},
                "best_epoch": result.best_epoch,
                "epochs_run": len(result.history),
                "training_seconds": round(result.seconds, 2),
                "history": result.history,
                "onnx_max_abs_difference": onnx_difference,
            },
            "data_hash": hash_before,
            # Ties this card to its graph: detection refuses a model.onnx swapped under it.
            "onnx_sha256": onnx_sha256(onnx_path),
            "versions": library_versions(),
            "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "training": {
                "target_path": str(target_path),
                "kind": kind,
                "counts": {
                    "train": len(train_data.labels),
                    "train_alarm": int(train_data.labels.sum()),
                    "validate": len(validate_data.labels),
                    "validate_alarm": int(validate_data.labels.sum()),
                },
                "epochs": epochs,
                "batch_size": batch_size,
                "learning_rate": learning_rate,
                "patience": patience,
                "seed": seed,
                "augmentation": augmentation.to_dict() if augmentation else None,
                "frame_loss_weight": frame_loss_weight,
                "precision": result.precision,
                "architecture": repr(result.model),
                # What the model heard (train) or was tuned on (validate): evaluate warns
                # when a split it scores holds one of these clips.
                "source_sha256": source_digests(target_path, splits=("train", "validate")),
            },
            "quantization": _quantization_card(
                probabilities,
                result.validate_probabilities,
                n_calibration=len(calibration),
            )
            if quantize
            else None,
        }
        (staging / "model.json").write_text(json.dumps(card, indent=2) + "\n")
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError) and exc.filename is None and exc.errno in FULL_DISK_ERRNOS:
            raise OSError(exc.errno, exc.strerror or str(exc), str(out_dir)) from exc
        raise
    _move_model_in(staging, out_dir, overwrite=overwrite, target_path=target_path)
    logger.info(
        "wrote %s (best epoch %d, threshold %.3f, validate F1 %.4f, %.0f s)",
        out_dir,
        result.best_epoch,
        threshold,
        card["metrics"]["validate"]["f1"] or 0.0,
        result.seconds,
    )
    return card


def compare_types(
    target_path: str | Path,
    out_dir: str | Path,
    *,
    types: Sequence[str] | None = None,
    overwrite: bool = False,
    **options: Any,
) -> list[dict[str, Any]]:
    """Train and evaluate one model per spectrogram type, for :func:`format_comparison`.

    Parameters
    ----------
    target_path : str or Path
        A dataset with several types (``sounddetect generate --types ...``).
    out_dir : str or Path
        Models go to ``out_dir/<type>``, each with its ``evaluation/`` report.
    types : sequence of str or None
        Types to compare, in this order, each once; None takes every type the dataset holds.
    overwrite : bool
        Replace existing models in ``out_dir``.
    **options
        Passed to :func:`train` (``epochs``, ``seed``, ...).

    Returns
    -------
    list of dict
        Per type: ``type``, ``f1``, ``roc_auc``, ``precision``, ``recall``, ``threshold``,
        ``training_seconds``, ``epochs_run``, ``ms_per_window``, ``model``. A type whose
        data could not be trained on or scored (an unreadable image, no test split) has
        ``error`` too, its figures None, and ``model`` None unless this run wrote its model;
        the other types are compared all the same.

    Raises
    ------
    ParameterError
        What :func:`check_comparison` finds, before any training.
    SoundDetectError
        The first type's error, when no type could be compared.
    """
    from sounddetect.evaluate import evaluate

    target_path, out_dir = Path(target_path), Path(out_dir)
    types = check_comparison(target_path, out_dir, types=types, overwrite=overwrite)
    rows, failures = [], []
    for kind in types:
        logger.info("-- %s --", kind)
        model_dir = out_dir / kind
        trained = False
        try:
            # A test split that cannot be scored is found before the minutes of training;
            # its warnings come when it is scored.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SoundDetectWarning)
                load_split(target_path, kind=kind, split="test")
            card = train(target_path, model_dir, kind=kind, overwrite=overwrite, **options)
            trained = True
            report = evaluate(model_dir, target_path, kind=kind, out_dir=model_dir / "evaluation")
        except SoundDetectError as exc:  # the other types are compared all the same
            logger.error("%s not compared: %s", kind, exc)
            rows.append(_failed_row(kind, model_dir if trained else None, exc))
            failures.append(exc)
            continue
        m = report["metrics"]
        rows.append(
            {
                "type": kind,
                "f1": m["f1"],
                "roc_auc": m["roc_auc"],
                "precision": m["precision"],
                "recall": m["recall"],
                "threshold": card["threshold"],
                "training_seconds": card["metrics"]["training_seconds"],
                "epochs_run": card["metrics"]["epochs_run"],
                "ms_per_window": report["ms_per_window"],
                "model": str(model_dir),
            }
        )
    if len(failures) == len(types):  # nothing compared: no table to make
        raise failures[0]
    return rows


def check_comparison(
    target_path: str | Path,
    out_dir: str | Path,
    *,
    types: Sequence[str] | None = None,
    overwrite: bool = False,
) -> list[str]:
    """Raise what would stop :func:`compare_types` before its first training; return the
    types it compares, in order, each once.

    The dataset must hold every type asked for, its samples.csv must agree with
    dataset.json (:func:`~sounddetect.evaluate.checked_samples`), and each type's model
    folder must be one :func:`train` may write (:func:`check_model_dir`).

    Raises
    ------
    ParameterError
        Naming the first of these that fails.
    """
    from sounddetect.dataset import read_dataset_info

    target_path, out_dir = Path(target_path), Path(out_dir)
    present = list(read_dataset_info(target_path).get("configs", {}))
    # A type given twice would be trained once, then refused its own fresh model folder.
    types = list(dict.fromkeys(types or present))
    missing = [kind for kind in types if kind not in present]
    if missing:
        raise ParameterError(
            f"{target_path} has no {', '.join(missing)} images; it holds {', '.join(present)}"
        )
    checked_samples(target_path)  # the dataset's problems, once, not once per type
    for kind in types:
        check_model_dir(out_dir / kind, overwrite=overwrite, target_path=target_path)
    return types


def _failed_row(kind: str, model_dir: Path | None, error: BaseException) -> dict[str, Any]:
    """A :func:`compare_types` row of a type that could not be trained or scored; its
    ``model_dir`` when its model was written."""
    return {
        "type": kind,
        **dict.fromkeys(
            ("f1", "roc_auc", "precision", "recall", "threshold")
            + ("training_seconds", "epochs_run", "ms_per_window")
        ),
        "model": None if model_dir is None else str(model_dir),
        "error": str(error),
    }


def format_comparison(rows: Sequence[dict[str, Any]]) -> str:
    """A Markdown table of :func:`compare_types` rows, best F1 (then ROC-AUC) first."""

    def number(value: float | None, digits: int) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    compared = [row for row in rows if not row.get("error")]
    ranked = sorted(compared, key=lambda row: (-(row["f1"] or 0.0), -(row["roc_auc"] or 0.0)))
    lines = [
        "| type | F1 | ROC-AUC | precision | recall | training s | ms/window |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for rank, row in enumerate(ranked):
        name = f"**{row['type']}**" if rank == 0 else row["type"]
        lines.append(
            f"| {name} | {number(row['f1'], 4)} | {number(row['roc_auc'], 4)} | "
            f"{number(row['precision'], 4)} | {number(row['recall'], 4)} | "
            f"{row['training_seconds']:.0f} | {row['ms_per_window']:.3f} |"
        )
    lines += [f"| {row['type']} | failed | - | - | - | - | - |" for row in rows if row.get("error")]
    return "\n".join(lines)
