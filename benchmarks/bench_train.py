"""Speed of the local CNN: classification per window, and training per epoch.

    .venv/bin/python benchmarks/bench_train.py [--model models/default] [--data training-data]

- classify: CPU milliseconds per window of ``MODEL/model.onnx`` through ``OnnxClassifier``
  (onnxruntime, one thread, uint8-to-tensor included) for several batch sizes. Without a
  model there, ``AlarmNet`` with random weights is exported and quantized to int8, as
  ``sounddetect train`` ships it, in a temporary folder: the cost does not depend on the
  weights. Target: well under 1 ms at batch 64, so that detection
  (decode + render + classify) runs >= 1000x real time on one core.
- train (when ``--data`` is a dataset): wall seconds per epoch of ``fit`` on its train/ and
  validate/ splits with the default augmentation and two threads. The target is <= 10 min
  for a whole training run on the default dataset.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import torch

from sounddetect.evaluate import dataset_config, load_split, measure_ms_per_window
from sounddetect.spectrum import SpectrogramConfig
from sounddetect.train import AlarmNet, export_onnx, fit, quantize_onnx

TARGET_MS_PER_WINDOW = 1.0
TARGET_TRAINING_S = 600.0
#: Epochs of a default training run (``fit``'s default), for the whole-run estimate.
FULL_EPOCHS = inspect.signature(fit).parameters["epochs"].default


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=Path("models/default"))
    parser.add_argument("--data", type=Path, default=Path("training-data"))
    parser.add_argument("--type", dest="kind", default="mel")
    parser.add_argument("--epochs", type=int, default=2, help="epochs to time")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 16, 64, 256])
    return parser.parse_args(argv)


def classify_table(model_dir: Path, batch_sizes: list[int]) -> list[str]:
    lines = ["| batch | ms/window (CPU, 1 thread) |", "| ---: | ---: |"]
    for batch_size in batch_sizes:
        ms = measure_ms_per_window(model_dir, batch_size=batch_size, min_seconds=2.0)
        lines.append(f"| {batch_size} | {ms:.3f} |")
    return lines


def write_untrained_model(model_dir: Path) -> Path:
    """``AlarmNet`` with random weights (seed 0), exported with the default config and
    quantized to int8 as ``sounddetect train`` ships it (calibrated on noise), with the
    ``model.json`` detection reads: what it costs to classify does not depend on the weights
    or their ranges."""
    torch.manual_seed(0)
    config = SpectrogramConfig()
    model_dir.mkdir(parents=True, exist_ok=True)
    path = export_onnx(AlarmNet(config.channels).eval(), model_dir / "model.onnx", config=config)
    noise = np.random.default_rng(0).random(
        (64, config.channels, config.height, config.width), dtype=np.float32
    )
    quantize_onnx(path, path, calibration=noise)
    card = {
        "format": "sounddetect-model/1",
        "labels": ["no_alarm", "alarm"],
        "threshold": 0.5,
        "config": config.to_dict(),
        "input": "image",
        "output": "alarm_probability",
        "name": "alarmnet-random",
    }
    (model_dir / "model.json").write_text(json.dumps(card, indent=2))
    return model_dir


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.2f} (2 cores shared: figures vary with it)\n")
    with tempfile.TemporaryDirectory() as scratch:
        model_dir = args.model
        if not (model_dir / "model.onnx").is_file():
            model_dir = Path(scratch)
            write_untrained_model(model_dir)
        print(f"classify: {model_dir} (target: well under {TARGET_MS_PER_WINDOW:g} ms at batch 64)")
        print("\n".join(classify_table(model_dir, args.batch_sizes)))
    if (args.data / "dataset.json").is_file():
        config = dataset_config(args.data, kind=args.kind)
        train_data = load_split(args.data, kind=args.kind, split="train")
        validate_data = load_split(args.data, kind=args.kind, split="validate")
        result = fit(train_data, validate_data, config=config, epochs=args.epochs, num_threads=2)
        per_epoch = [entry["seconds"] for entry in result.history]
        print(
            f"\ntrain: {len(train_data.labels)} images, {min(per_epoch):.1f} s per epoch "
            f"(fastest of {len(per_epoch)}; {FULL_EPOCHS} epochs would take "
            f"{FULL_EPOCHS * min(per_epoch):.0f} s, "
            f"target <= {TARGET_TRAINING_S:.0f} s)"
        )


if __name__ == "__main__":
    main()
