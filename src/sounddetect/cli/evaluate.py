"""``sounddetect evaluate``: score an exported model on a dataset split.

Runs MODEL/model.onnx (onnxruntime, as detection does) on the PNG images of one split of
TARGET_PATH and prints precision, recall, F1, ROC-AUC, the confusion matrix, and breakdowns
by alarm SNR and background kind (from samples.csv). Writes report.json and plots
(pr_curve.png, confusion_matrix.png, f1_by_snr.png) into --out.

It also runs the split's source clips (dataset.json lists them) through detection as
whole recordings, as `sounddetect detect` does: how many alarm clips raise an alarm event,
how many background clips do.

TARGET_PATH is a dataset folder, or a corpus folder with alarms/ and background/ (such as
audio/holdout, the sounds never used in training): its clips are first rendered with the
model's config (so --type, if given, must be the model's) into a test-only dataset in
OUT/data.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from sounddetect.cli import EXIT_OK, EXIT_USAGE, HelpFormatter, require_modules
from sounddetect.cli.argtypes import nonempty_path
from sounddetect.exceptions import ModelError
from sounddetect.spectrum import SPECTROGRAM_TYPES

logger = logging.getLogger(__name__)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "evaluate",
        help="score a trained model on a dataset split (metrics, breakdowns, plots)",
        description=__doc__,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("model", type=nonempty_path, metavar="MODEL", help="model folder")
    parser.add_argument(
        "target_path",
        type=nonempty_path,
        metavar="TARGET_PATH",
        help="dataset folder or corpus folder",
    )
    parser.add_argument(
        "--type",
        dest="kind",
        choices=SPECTROGRAM_TYPES,
        help="spectrogram type to read (default: the model's)",
    )
    parser.add_argument(
        "--split", choices=("train", "validate", "test"), default="test", help="split to score"
    )
    parser.add_argument(
        "--out", type=nonempty_path, metavar="DIR", help="report folder (default: MODEL/evaluation)"
    )
    parser.add_argument("--no-plots", action="store_true", help="write report.json only")
    parser.add_argument(
        "--no-recordings",
        action="store_true",
        help="skip running the split's source clips through detection as whole recordings",
    )
    parser.add_argument(
        "--format", choices=("table", "json"), default="table", help="what goes to stdout"
    )
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    # Imported here, so other subcommands start without them.
    from sounddetect.classifiers.onnx import read_model_json
    from sounddetect.evaluate import (
        check_report_dir,
        dataset_from_corpus,
        evaluate,
        format_summary,
        is_corpus,
    )

    out_dir = args.out or args.model / "evaluation"
    target_path = args.target_path
    if (args.model / "dataset.json").is_file() and (target_path / "model.json").is_file():
        print(
            f"error: {args.model} is a dataset and {target_path} a model: the model comes "
            "first (sounddetect evaluate MODEL TARGET_PATH)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    # scikit-learn for the metrics, matplotlib for the plots, the generator's threadpoolctl
    # and tqdm to render a corpus; all of the train extra.
    needed = ["sklearn", *([] if args.no_plots else ["matplotlib"])]
    if is_corpus(target_path):
        needed += ["threadpoolctl", "tqdm"]
    require_modules("sounddetect evaluate", needed, extra="train")
    try:
        check_report_dir(out_dir)  # before a corpus's test images are written into it
        if is_corpus(target_path):
            config = read_model_json(args.model)["config"]
            if args.kind not in (None, config.kind):
                # Before rendering: images of another type are refused after it anyway.
                raise ModelError(
                    f"model {args.model} was trained on {config.kind} images, not "
                    f"{args.kind}; leave out --type to render {target_path} as {config.kind}"
                )
            logger.info("%s is a corpus: generating its test images into %s", target_path, out_dir)
            target_path = dataset_from_corpus(target_path, out_dir / "data", config=config)
        report = evaluate(
            args.model,
            target_path,
            kind=args.kind,
            split=args.split,
            out_dir=out_dir,
            plots=not args.no_plots,
            recordings=not args.no_recordings,
        )
    except ModelError as exc:  # a missing or mismatched model is a configuration error
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "json":
        print(json.dumps(report), file=sys.stdout)
    else:
        print(format_summary(report), file=sys.stdout)
        written = "report" if args.no_plots else "report and plots"
        print(f"\n{written}: {out_dir}", file=sys.stdout)
    return EXIT_OK
