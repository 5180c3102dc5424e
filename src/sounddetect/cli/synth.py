"""``sounddetect synth DIR``: render the default sound corpus.

Writes DIR/alarms, DIR/background (training), DIR/holdout/{alarms,background} (sounds never
used in training, for the generalisation check), DIR/examples (longer recordings with
DIR/examples/truth.json) and DIR/corpus.json (every file's recipe). See audio/README.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

from sounddetect.cli import EXIT_OK, HelpFormatter, require_modules
from sounddetect.cli.argtypes import non_negative_int, nonempty_path, positive_float, positive_int

logger = logging.getLogger(__name__)


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "synth",
        help="render the synthetic alarm/background corpus",
        description=__doc__,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("dir", type=nonempty_path, metavar="DIR", help="corpus directory to write")
    parser.add_argument(
        "--seed",
        type=non_negative_int,
        default=0,
        help="random seed; the same seed gives byte-identical files",
    )
    parser.add_argument(
        "--scale",
        type=positive_float,
        default=1.0,
        help="multiplier on the number of clips per kind",
    )
    existing = parser.add_mutually_exclusive_group()
    existing.add_argument(
        "--skip-existing",
        action="store_true",
        help="keep an existing corpus; render only missing files",
    )
    existing.add_argument("--overwrite", action="store_true", help="replace existing files")
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=os.cpu_count() or 1,
        help="processes that render (the files do not depend on it)",
    )
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    require_modules("sounddetect synth", ["scipy", "threadpoolctl", "tqdm"], extra="generate")
    # The generator needs scipy; import it here so other subcommands start without it.
    from sounddetect.synth import make_corpus

    started = time.perf_counter()
    summary = make_corpus(
        args.dir,
        seed=args.seed,
        scale=args.scale,
        skip_existing=args.skip_existing,
        overwrite=args.overwrite,
        workers=args.workers,
        progress=sys.stderr.isatty(),
    )
    for section, kinds in summary["counts"].items():
        if kinds:
            listing = ", ".join(f"{kind} {count}" for kind, count in kinds.items())
            logger.info("%s: %d files (%s)", section, sum(kinds.values()), listing)
    logger.info(
        "%s: %d written, %d kept, %.1f MB, %.1f s",
        summary["dir"],
        summary["written"],
        summary["skipped"],
        summary["bytes"] / 1e6,
        time.perf_counter() - started,
    )
    return EXIT_OK
