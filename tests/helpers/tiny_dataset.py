"""A tiny dataset in the generator's layout, drawn directly as images (no audio, fast).

Alarm images show a temporal-three pattern: three half-second bright beeps (16 columns of a
128-column, 4 s image) on one band of rows, 32 columns apart, then a pause; no-alarm
images show noise, sometimes with one short chirp on a band. Both sit on a dark noise floor.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from sounddetect.dataset import DATASET_FORMAT, SAMPLE_COLUMNS, SPLITS, image_path, type_folder
from sounddetect.events import LABELS
from sounddetect.spectrum import SpectrogramConfig, encode_png

#: Background kinds cycled through the samples, for the breakdowns.
KINDS = ("noise", "chirp", "speech")


def alarm_image(
    rng: np.random.Generator, *, height: int = 128, width: int = 128
) -> tuple[np.ndarray, str]:
    """A T3 pattern at a random band and phase on a noise floor.

    Returns the uint8 (height, width) image and where its beeps sound, as samples.csv's
    ``alarm_sounding_s`` for a 4 s window (a beep across the right edge wraps round).
    """
    image = rng.integers(0, 70, (height, width)).astype(np.uint8)
    row = int(rng.integers(10, height - 20))
    phase = int(rng.integers(0, width))
    sounding = np.zeros(width, dtype=bool)
    for beep in range(3):
        columns = (phase + 32 * beep + np.arange(16)) % width
        image[row : row + 3][:, columns] = 255
        sounding[columns] = True
    edges = np.flatnonzero(np.diff(np.r_[0, sounding.astype(np.int8), 0]))
    seconds = 4.0 / width
    intervals = ";".join(
        f"{start * seconds:.3f}:{stop * seconds:.3f}"
        for start, stop in zip(edges[::2], edges[1::2], strict=True)
    )
    return image, intervals


def no_alarm_image(rng: np.random.Generator, *, height: int = 128, width: int = 128) -> np.ndarray:
    """uint8 (height, width): a noise floor, half the time with one 2-column chirp."""
    image = rng.integers(0, 110, (height, width)).astype(np.uint8)
    if rng.random() < 0.5:
        row, column = int(rng.integers(10, height - 20)), int(rng.integers(0, width - 2))
        image[row : row + 3, column : column + 2] = 255
    return image


def write_tiny_dataset(
    root: str | Path,
    *,
    per_split: dict[str, int] | None = None,
    types: tuple[str, ...] = ("mel",),
    seed: int = 0,
) -> Path:
    """Write dataset.json, samples.csv and the images under ``root``: ``<split>/<label>/<id>.png``
    for one type, ``<type>/<split>/<label>/<id>.png`` for several (as the generator lays them out).

    Samples alternate alarm, no_alarm; alarm rows get SNRs cycling through -8, 2, 12 dB.
    Every type gets the same images (the types differ only in their config's ``kind``).
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    info = {
        "format": DATASET_FORMAT,
        "seed": seed,
        "configs": {kind: SpectrogramConfig(kind=kind).to_dict() for kind in types},
    }
    (root / "dataset.json").write_text(json.dumps(info, indent=2))
    per_split = per_split or {"train": 24, "validate": 12, "test": 12}
    rng = np.random.default_rng(seed)
    rows = []
    for split in SPLITS:
        for index in range(per_split.get(split, 0)):
            label = "alarm" if index % 2 == 0 else "no_alarm"
            kind = KINDS[index // 2 % len(KINDS)]
            row = dict.fromkeys(SAMPLE_COLUMNS, "")
            row.update(
                sample_id=f"{split}-1bg-{index:04d}",
                split=split,
                label=label,
                n_layers="1",
                background_files=f"background/{kind}_000.wav",
                background_kinds=kind,
                background_offsets_s="0.0",
                background_gains_db="0.0",
                level_db="-20.0",
                output_gain_db="0.0",
                seed=str(index),
            )
            if label == "alarm":
                row.update(
                    snr_db=str((-8.0, 2.0, 12.0)[index // 2 % 3]),
                    alarm_file="alarms/t3_000.wav",
                    alarm_kind="t3",
                    alarm_offset_s="0.0",
                    alarm_onset_s="0.0",
                    alarm_duration_s="4.0",
                    alarm_gain_db="0.0",
                )
                image, row["alarm_sounding_s"] = alarm_image(rng)
            else:
                image = no_alarm_image(rng)
            for spectrogram_type in types:
                path = image_path(type_folder(root, spectrogram_type), row)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(encode_png(image))
            rows.append(row)
    with open(root / "samples.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SAMPLE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    # As the generator counts them, once the dataset is whole.
    by_split = {
        split: {
            label: sum(r["split"] == split and r["label"] == label for r in rows)
            for label in LABELS
        }
        for split in SPLITS
    }
    info["counts"] = {"samples": len(rows), "by_split": by_split}
    (root / "dataset.json").write_text(json.dumps(info, indent=2))
    return root
