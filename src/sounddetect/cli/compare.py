"""``sounddetect compare``: which spectrogram type works best?

Trains one model per spectrogram type present in TARGET_PATH (or those given with --types),
evaluates each on the test split, and prints one Markdown table: F1, ROC-AUC, training
seconds and milliseconds per window (onnxruntime, one thread). Models go to OUT/<type>;
the table also goes to OUT/compare.md and the figures to OUT/compare.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sounddetect.cli import EXIT_OK, HelpFormatter
from sounddetect.cli.train import add_training_arguments, training_options
from sounddetect.exceptions import ParameterError
from sounddetect.spectrum import SPECTROGRAM_TYPES


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "compare",
        help="train and evaluate one model per spectrogram type, print a table",
        description=__doc__,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("target_path", type=Path, metavar="TARGET_PATH", help="dataset folder")
    parser.add_argument(
        "--types",
        nargs="+",
        choices=SPECTROGRAM_TYPES,
        metavar="TYPE",
        help="types to compare (default: every type in the dataset)",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("models/compare"), metavar="DIR", help="models folder"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace existing models in OUT")
    add_training_arguments(parser)
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    # Imported here: torch is an optional extra, and detection must not need it.
    from sounddetect.train import compare_types, format_comparison

    tables = [args.out / "compare.md", args.out / "compare.json"]
    for path in tables:
        if path.exists() and not args.overwrite:
            raise ParameterError(f"{path} exists; pass --overwrite to replace it")
    rows = compare_types(
        args.target_path,
        args.out,
        types=args.types,
        overwrite=args.overwrite,
        **training_options(args),
    )
    table = format_comparison(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    tables[0].write_text(table + "\n")
    tables[1].write_text(json.dumps(rows, indent=2) + "\n")
    print(table, file=sys.stdout)
    return EXIT_OK
