"""Pictures of detection results and of spectrogram examples.

    plot_detection  -- a recording's timeline: spectrogram with events shaded, window
                       confidences below
    plots_recording -- is a file plot_detection's timeline of this recording?
    png_text        -- the text chunks of a PNG (which program wrote it, of what)
    agg_figure      -- a matplotlib Figure on an Agg canvas of its own (no pyplot)
    write_contact_sheet -- example images of several spectrogram types as one grid

matplotlib is imported inside the functions, so importing this module costs nothing and the
inference path never loads matplotlib.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from PIL import Image, UnidentifiedImageError

from sounddetect._checks import is_integer
from sounddetect.audio import iter_audio_blocks
from sounddetect.exceptions import ParameterError
from sounddetect.folders import write_aside
from sounddetect.result import window_alarm_probability

#: The PNG "Software" text of a timeline, which tells it from a picture of the user's.
PLOT_SOFTWARE = "sounddetect plot_detection"
#: The PNG text that holds the resolved path of the recording a timeline shows.
PLOT_SOURCE_KEY = "Source"

#: FFT size (samples) of the overview spectrogram.
OVERVIEW_N_FFT = 1024
#: The overview's floor (dB), where digital silence lies, and the range (dB) drawn under
#: its loudest bin (or over the floor, when nothing is louder).
OVERVIEW_FLOOR_DB, OVERVIEW_RANGE_DB = -120.0, 80.0

#: Column titles of a contact sheet, per spectrogram type.
TYPE_TITLES = {
    "mel": "mel",
    "linear": "linear STFT (Std)",
    "cqt": "constant-Q",
    "reassigned": "reassigned",
    "harmonic": "harmonic (HPSS)",
    "percussive": "percussive (HPSS)",
    "chroma": "chroma",
    "mfcc": "MFCC",
}


def plot_detection(
    result: dict[str, Any],
    source: str | os.PathLike | BinaryIO,
    path: str | os.PathLike,
    *,
    max_columns: int = 2000,
    dpi: int = 100,
) -> None:
    """Save a timeline of one detection result as a PNG.

    Top: the recording's spectrogram (0 Hz to half the analysis rate, dB), with detected
    events shaded. Bottom: each window's alarm probability at its centre, the threshold
    dashed.

    Parameters
    ----------
    result : dict
        A successful :func:`sounddetect.detect.detect_file` result.
    source : path-like or binary file object
        The recording the result is about (decoded again, in blocks: memory stays bounded
        for long files). A path's resolved form goes into the PNG's text
        (:data:`PLOT_SOURCE_KEY`), for :func:`plots_recording`.
    path : path-like
        Where to write the PNG.
    max_columns : int
        Most spectrogram columns drawn; long recordings use a longer hop so a one-hour
        overview stays light.
    dpi : int
        Resolution of the PNG.

    Raises
    ------
    ParameterError
        ``result`` is a failed one (nothing to draw), or ``max_columns`` or ``dpi`` is not
        a positive integer.
    """
    if result.get("error") is not None or result.get("duration_s") is None:
        raise ParameterError(f"{result.get('file')}: a failed result has no timeline to draw")
    for name, value in (("max_columns", max_columns), ("dpi", dpi)):
        if not is_integer(value) or value < 1:
            raise ParameterError(f"{name} must be a positive integer, got {value!r}")
    config = result["classifier"]["config"]
    sr = int(config["sr"])
    threshold = float(result["classifier"]["threshold"])
    duration = float(result["duration_s"])
    times, spectrogram_db = _overview_spectrogram(
        source, sr=sr, duration_s=duration, max_columns=max_columns
    )

    top_db = float(spectrogram_db.max())
    if top_db <= OVERVIEW_FLOOR_DB:  # silent throughout: black, not the top of the range
        top_db = OVERVIEW_FLOOR_DB + OVERVIEW_RANGE_DB

    figure = agg_figure(figsize=(12, 5), dpi=dpi, layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    top.imshow(
        spectrogram_db,
        origin="lower",
        aspect="auto",
        cmap="magma",
        extent=(0.0, duration, 0.0, sr / 2000),
        vmin=top_db - OVERVIEW_RANGE_DB,
        vmax=top_db,
    )
    top.set_ylabel("frequency (kHz)")
    verdict = "ALARM" if result["alarm"] else "no alarm"
    # A name may hold "$" (matplotlib's mathtext) or bytes that are not UTF-8 (surrogates,
    # which the font cannot draw): drawn as written, escaped.
    title = f"{result['file']}: {verdict} ({result['classifier']['model']})"
    title = title.encode("utf-8", "backslashreplace").decode("utf-8")
    top.set_title(title, parse_math=False)
    for event in result["events"]:
        for axis in (top, bottom):
            axis.axvspan(event["start"], event["end"], color="tab:cyan", alpha=0.3, lw=0)
        top.text(event["start"], sr / 2000 * 0.95, f"{event['confidence']:.2f}", color="white")

    windows = result["windows"]
    centres = [(w["start"] + w["end"]) / 2 for w in windows]
    probabilities = [window_alarm_probability(w) for w in windows]
    bottom.plot(centres, probabilities, marker=".", lw=1, color="tab:red")
    bottom.axhline(threshold, ls="--", color="gray", lw=1)
    bottom.set_ylim(-0.05, 1.05)
    bottom.set_xlim(0.0, duration)
    bottom.set_ylabel("P(alarm)")
    bottom.set_xlabel("time (s)")
    metadata = {"Software": PLOT_SOFTWARE}
    if isinstance(source, str | os.PathLike):
        metadata[PLOT_SOURCE_KEY] = _source_text(source)
    png = io.BytesIO()
    figure.savefig(png, dpi=dpi, format="png", metadata=metadata)
    # Written aside and moved into place: a run interrupted while writing leaves no
    # truncated PNG, which the next run could not tell for its own; an error names ``path``.
    write_aside(path, png.getvalue())


def plots_recording(path: str | os.PathLike, source: str | os.PathLike) -> bool:
    """Whether ``path`` is a timeline :func:`plot_detection` wrote of the recording at
    ``source`` (the same file after resolving links and ``..``), so that a new timeline of it
    replaces nothing else: not a timeline of another recording, nor one written before
    timelines named their recording (which may be another's)."""
    text = png_text(path)
    return text.get("Software") == PLOT_SOFTWARE and text.get(PLOT_SOURCE_KEY) == _source_text(
        source
    )


def agg_figure(*, figsize: tuple[float, float], **options: Any) -> Any:
    """A matplotlib ``Figure`` of ``figsize`` inches (and ``Figure``'s ``options``) on an Agg
    canvas of its own: drawn and saved without pyplot, so a caller's backend and figures
    stay as they were."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize, **options)
    FigureCanvasAgg(figure)
    return figure


def png_text(path: str | os.PathLike) -> dict[str, Any]:
    """The text chunks of a PNG; empty for any other file."""
    try:
        with Image.open(path) as image:
            # info holds the text chunks before the pixels: readable in a truncated file.
            return dict(image.info) if image.format == "PNG" else {}
    except (OSError, UnidentifiedImageError):
        return {}


def _source_text(source: str | os.PathLike) -> str:
    """The resolved path of a recording as PNG text can hold it: bytes of a name that are not
    UTF-8 written as escapes."""
    return os.fsencode(os.path.realpath(source)).decode("utf-8", "backslashreplace")


def write_contact_sheet(
    images: Mapping[str, Mapping[str, np.ndarray]],
    path: str | os.PathLike,
    *,
    kinds: Sequence[str],
) -> None:
    """Draw example spectrograms as a grid into a PNG: a row per label, a column per type.

    Each cell is 1.9 x 2.1 inches at 100 dpi (190 x 210 pixels), titled with the type
    (:data:`TYPE_TITLES`) in the first row and the label in the first column.

    Parameters
    ----------
    images : mapping of str to mapping of str to np.ndarray
        ``images[label][kind]``: a rendered image, uint8 ``(height, width)`` or
        ``(height, width, 3)`` (:func:`sounddetect.spectrum.render_spectrogram`), shown as
        its PNG shows it. The rows follow the order of the labels.
    path : path-like
        The PNG to write; its folder is made.
    kinds : sequence of str
        The spectrogram types to show, in column order; every label has an image of each.
    """
    labels = list(images)
    missing = [f"{label} {kind}" for label in labels for kind in kinds if kind not in images[label]]
    if missing:
        raise ParameterError(f"no image for {', '.join(missing)}: every label needs each kind")
    figure = agg_figure(figsize=(1.9 * len(kinds), 2.1 * len(labels)), layout="constrained")
    axes = figure.subplots(len(labels), len(kinds), squeeze=False)
    for row, label in enumerate(labels):
        for column, kind in enumerate(kinds):
            axis = axes[row, column]
            image = images[label][kind]
            # The PNG's own pixels, shown as the classifier sees them (row 0 at the top).
            axis.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=255)
            axis.set_xticks([])
            axis.set_yticks([])
            if row == 0:
                axis.set_title(TYPE_TITLES.get(kind, kind), fontsize=9)
            if column == 0:
                axis.set_ylabel(label.replace("_", " "), fontsize=10)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Without matplotlib's "Software" text (its version), the README's picture changes only
    # with what it shows.
    figure.savefig(path, dpi=100, metadata={"Software": None})


def _overview_spectrogram(
    source, *, sr: int, duration_s: float, max_columns: int
) -> tuple[np.ndarray, np.ndarray]:
    """Power spectrogram in dB, ``(n_fft // 2 + 1, columns)``, decoded block by block; the
    channels' power spectra are averaged, as detection combines them."""
    # The decoded length, not the header's: a raw AAC stream's header says nothing.
    hop = max(OVERVIEW_N_FFT // 4, int(duration_s * sr // max_columns))
    window = np.hanning(OVERVIEW_N_FFT).astype(np.float32)
    columns, starts = [], []
    carry = None
    carry_offset = next_frame = 0
    for block in iter_audio_blocks(source, sr=sr, mono=False):
        buffer = block if carry is None else np.concatenate([carry, block], axis=1)
        length = buffer.shape[1]
        offsets = np.arange(next_frame, carry_offset + length - OVERVIEW_N_FFT + 1, hop)
        if len(offsets):
            frames = np.stack(
                [buffer[:, o - carry_offset : o - carry_offset + OVERVIEW_N_FFT] for o in offsets]
            )
            power = np.abs(np.fft.rfft(frames * window, axis=-1)) ** 2
            columns.append(power.mean(axis=1))
            starts.extend(offsets.tolist())
            next_frame = int(offsets[-1]) + hop
        keep = min(next_frame, carry_offset + length) - carry_offset
        carry, carry_offset = buffer[:, keep:], carry_offset + keep
    if not columns:
        return np.zeros(1), np.zeros((OVERVIEW_N_FFT // 2 + 1, 1))
    power = np.concatenate(columns).T
    times = (np.asarray(starts) + OVERVIEW_N_FFT / 2) / sr
    return times, 10.0 * np.log10(np.maximum(power, 10.0 ** (OVERVIEW_FLOOR_DB / 10.0)))
