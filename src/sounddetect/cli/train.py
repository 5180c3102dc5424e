"""``sounddetect train``: fit the local CNN on a generated dataset and export it to ONNX.

Trains on the type's train/ (TARGET_PATH/train, or TARGET_PATH/<type>/train in a dataset of
several types), stops early on validate/, quantizes the network to int8
(calibrated on training images), chooses the decision threshold on the int8 model's validate
scores and writes OUT/model.onnx with OUT/model.json beside it. One progress line per
epoch goes to stderr; the summary goes to stdout. Needs the ``train`` extra (PyTorch, CPU).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sounddetect.classifiers.base import MAX_THREADS
from sounddetect.cli import EXIT_OK, HelpFormatter, require_modules
from sounddetect.cli.argtypes import (
    bounded_int,
    non_negative_float,
    non_negative_int,
    nonempty_path,
    positive_float,
    positive_int,
    probability,
)
from sounddetect.spectrum import SPECTROGRAM_TYPES


def training_seed(text: str) -> int:
    """A seed PyTorch takes whole: 0 to 2**32 - 1 (a larger one overflows or wraps)."""
    value = non_negative_int(text)
    if value >= 2**32:
        raise argparse.ArgumentTypeError(f"must be below 2**32, got {text!r}")
    return value


def batch_size(text: str) -> int:
    """Images per step, at least 2: batch norm needs two images in a batch, and the batches
    of one that training skips would leave the model untrained."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 2:  # 0 too: "at least 1" would send the user to 1, refused in turn
        raise argparse.ArgumentTypeError(
            f"must be at least 2, got {text!r}: batch norm needs two images in a batch"
        )
    return value


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags shared with ``sounddetect compare``."""
    parser.add_argument(
        "--epochs",
        type=positive_int,
        default=10,
        help="most epochs to train (10 suit the default 16,800 training images; a smaller "
        "dataset needs more)",
    )
    parser.add_argument(
        "--patience",
        type=positive_int,
        default=10,
        help="stop after this many epochs without a better validate loss",
    )
    parser.add_argument(
        "--batch-size", type=batch_size, default=32, help="images per step (at least 2)"
    )
    parser.add_argument(
        "--learning-rate", type=positive_float, default=3e-3, help="peak AdamW learning rate"
    )
    parser.add_argument(
        "--seed", type=training_seed, default=0, help="seed of weights, order, augmentation"
    )
    parser.add_argument(
        "--threads",
        type=bounded_int(1, MAX_THREADS),
        default=2,
        metavar="N",
        help=f"PyTorch threads for training, at most {MAX_THREADS}",
    )
    parser.add_argument("--no-augment", action="store_true", help="train on the images as they are")
    parser.add_argument(
        "--frame-loss",
        type=non_negative_float,
        default=1.0,
        metavar="WEIGHT",
        help="weight of the loss on where in the window the alarm sounds (0: labels only, "
        "and the model has no alarm_sounding output to place events' bounds)",
    )
    parser.add_argument(
        "--precision",
        # sounddetect.train.PRECISIONS, spelled out: that module imports torch, an extra.
        choices=("auto", "bfloat16", "float32"),
        default="auto",
        help="forward passes of training under bfloat16 autocast or in float32; auto: "
        "bfloat16 where the CPU has bfloat16 instructions (the weights are float32 either way; "
        "the export is int8 unless --no-quantize)",
    )
    parser.add_argument(
        "--min-recall",
        type=probability,
        default=0.9,
        help="validate recall the decision threshold must keep (then the best F1)",
    )
    parser.add_argument(
        "--no-quantize",
        action="store_true",
        help="export the float network instead of its int8 copy (whose CNN a CPU with VNNI "
        "instructions runs about 1.7 times as fast, detection 13-28%% faster; either way the "
        "threshold is chosen on the exported model's validate scores)",
    )


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "train",
        help="train the local CNN on a generated dataset, export ONNX",
        description=__doc__,
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "target_path", type=nonempty_path, metavar="TARGET_PATH", help="dataset folder"
    )
    parser.add_argument(
        "--type", dest="kind", choices=SPECTROGRAM_TYPES, default="mel", help="spectrogram type"
    )
    parser.add_argument(
        "--out",
        type=nonempty_path,
        default=Path("models/default"),
        metavar="DIR",
        help="model folder",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing model folder")
    add_training_arguments(parser)
    parser.set_defaults(run=run)
    return parser


def training_options(args: argparse.Namespace) -> dict:
    """Keyword arguments of :func:`sounddetect.train.train` from the shared flags."""
    from sounddetect.train import Augmentation

    return {
        "epochs": args.epochs,
        "patience": args.patience,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "seed": args.seed,
        "num_threads": args.threads,
        "precision": args.precision,
        "min_recall": args.min_recall,
        "quantize": not args.no_quantize,
        "augmentation": None if args.no_augment else Augmentation(),
        "frame_loss_weight": args.frame_loss,
    }


#: What training imports of the train extra: onnx to export, scikit-learn for the metrics.
TRAINING_MODULES = ("torch", "onnx", "sklearn")


def run(args: argparse.Namespace) -> int:
    require_modules("sounddetect train", TRAINING_MODULES, extra="train")
    # Imported here: torch is an optional extra, and detection must not need it.
    from sounddetect.train import train

    card = train(
        args.target_path,
        args.out,
        kind=args.kind,
        overwrite=args.overwrite,
        **training_options(args),
    )
    m = card["metrics"]
    v = m["validate"]
    int8 = ", int8" if card["quantization"] else ""
    print(
        f"{args.out}: {card['config']['kind']} model{int8}, best epoch {m['best_epoch']} of "
        f"{m['epochs_run']}, {m['training_seconds']:.0f} s\n"
        f"validate: threshold {card['threshold']:.3f}  precision {v['precision']:.4f}  "
        f"recall {v['recall']:.4f}  F1 {v['f1']:.4f}  ROC-AUC {v['roc_auc']:.4f}",
        file=sys.stdout,
    )
    return EXIT_OK
