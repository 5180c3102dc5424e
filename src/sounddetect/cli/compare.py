"""``sounddetect compare``: which spectrogram type works best?

Trains one model per spectrogram type present in TARGET_PATH (or those given with --types),
evaluates each on the test split, and prints one Markdown table: F1, ROC-AUC, precision,
recall, training seconds and milliseconds per window (onnxruntime, one thread), best F1
first. Models go to OUT/<type>; the table also goes to OUT/compare.md and the figures to
OUT/compare.json. A type whose data cannot be trained on or scored gets an error line and a
"failed" row, the others are compared all the same, and the exit code is 1; when none can
be, no table is written and the exit code is 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sounddetect.cli import EXIT_FAILED, EXIT_OK, HelpFormatter, require_modules
from sounddetect.cli.argtypes import nonempty_path
from sounddetect.cli.generate import parse_types
from sounddetect.cli.train import TRAINING_MODULES, add_training_arguments, training_options
from sounddetect.exceptions import ParameterError
from sounddetect.folders import write_aside
from sounddetect.spectrum import SPECTROGRAM_TYPES


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "compare",
        help="train and evaluate one model per spectrogram type, print a table",
        description=__doc__,
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "target_path", type=nonempty_path, metavar="TARGET_PATH", help="dataset folder"
    )
    parser.add_argument(
        "--types",
        nargs="+",
        metavar="TYPE",
        help=f"types to compare, of {', '.join(SPECTROGRAM_TYPES)}; commas or spaces between "
        "them (default, or all: every type in the dataset)",
    )
    parser.add_argument(
        "--out",
        type=nonempty_path,
        default=Path("models/compare"),
        metavar="DIR",
        help="models folder",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace existing models in OUT")
    add_training_arguments(parser)
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    # Each model's evaluation draws its plots.
    require_modules("sounddetect compare", [*TRAINING_MODULES, "matplotlib"], extra="train")
    # Imported here: torch is an optional extra, and detection must not need it.
    from sounddetect.train import check_comparison, compare_types, format_comparison

    # all: every type of the dataset (generate's all is every type it can render)
    asked = [kind.strip() for value in args.types or [] for kind in value.split(",")]
    every = not args.types or [kind for kind in asked if kind] == ["all"]
    types = None if every else parse_types(args.types)
    tables = [args.out / "compare.md", args.out / "compare.json"]
    check_tables(tables, overwrite=args.overwrite)
    check_comparison(args.target_path, args.out, types=types, overwrite=args.overwrite)
    # An earlier comparison's tables describe the models about to be replaced: were this run
    # to fail or be interrupted, they would stand beside models they no longer describe.
    # (Tables there mean the folder can be written: check_comparison found it so.)
    for path in tables:
        path.unlink(missing_ok=True)
    rows = compare_types(
        args.target_path,
        args.out,
        types=types,
        overwrite=args.overwrite,
        **training_options(args),
    )
    table = format_comparison(rows)
    # Shown before the files are written: a table refused there is not lost.
    print(table, file=sys.stdout)
    check_tables(tables, overwrite=args.overwrite)  # again: made while the models trained?
    args.out.mkdir(parents=True, exist_ok=True)
    write_aside(tables[0], (table + "\n").encode())
    write_aside(tables[1], (json.dumps(rows, indent=2) + "\n").encode())
    return EXIT_FAILED if any(row.get("error") for row in rows) else EXIT_OK


def check_tables(paths: list[Path], *, overwrite: bool) -> None:
    """Refuse to write ``compare.md`` and ``compare.json`` over anything but an earlier
    comparison's, and over that without ``overwrite``.

    A ``compare.md`` is ours when it is nothing but a table whose first line is
    :func:`~sounddetect.train.format_comparison`'s header; a ``compare.json`` when it is a
    list of its rows (each with ``type``, ``f1``, ``roc_auc`` and ``model``). A user's notes
    of the same name are kept even with ``--overwrite``.

    Raises
    ------
    ParameterError
        Naming the first file that may not be replaced, and why.
    """
    for path in paths:
        if not (path.exists() or path.is_symlink()):
            continue
        if not overwrite:
            raise ParameterError(f"{path} exists; pass --overwrite to replace it")
        if not _is_comparison(path):
            raise ParameterError(
                f"{path} is not a table sounddetect compare wrote; --overwrite replaces only "
                "its own, so choose another --out"
            )


def _is_comparison(path: Path) -> bool:
    from sounddetect.train import format_comparison

    if path.is_symlink():  # writing over it would change the file it points to
        return False
    try:
        text = path.read_text()
        if path.suffix == ".json":
            rows = json.loads(text)
            return (
                isinstance(rows, list)
                and bool(rows)
                and all(
                    isinstance(row, dict) and {"type", "f1", "roc_auc", "model"} <= row.keys()
                    for row in rows
                )
            )
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    lines = text.splitlines()
    header = format_comparison([]).splitlines()[0]
    return bool(lines) and lines[0] == header and all(line.startswith("|") for line in lines)
