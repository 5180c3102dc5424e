"""The ``sounddetect`` command line: one module per subcommand.

Each subcommand module defines ``add_parser(subparsers)`` (which registers its parser and
``set_defaults(run=...)``) and a ``run(args) -> int`` returning the exit code:
0 every input processed, 1 at least one input failed, 2 usage or configuration error.
Logs and warnings go to stderr; results (``--format json``) go to stdout.

:func:`build_parser` imports every subcommand module, so at module level they import only
what the core dependencies provide; the library modules a subcommand runs (the generator,
training) are imported in its ``run``. ``detect`` thus works on a core install, without the
optional extras, and starts without loading the generator.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import logging
import os
import sys
import warnings

from sounddetect import __version__
from sounddetect.exceptions import ParameterError, SoundDetectError, SoundDetectWarning

#: Subcommand modules under ``sounddetect.cli``, in the order ``--help`` lists them.
SUBCOMMANDS = ("synth", "recorded", "generate", "preview", "train", "evaluate", "compare", "detect")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Show defaults and keep the description's line breaks.

    A help text that already says its default in words, or an option whose default is
    ``None`` (decided at run time), gets no ``(default: ...)`` suffix.
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or "default:" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sounddetect",
        description="Detect smoke alarms in recordings through spectrogram images.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"sounddetect {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"sounddetect.cli.{name}").add_parser(subparsers)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None):
    # One clean line per skipped input instead of Python's two-line warning format.
    print(f"warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the ``sounddetect`` command line and return its exit code."""
    # Before the subcommands import numpy: OpenBLAS starts one thread per core, and they spin
    # between calls, taking the cores from onnxruntime's threads (`detect` over a folder ran
    # 1.9 times slower) or the generator's worker processes. Our matrices are small; a
    # value the user set is kept.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        parser = build_parser()
    except KeyboardInterrupt:  # Ctrl-C while the subcommands import
        print("interrupted", file=sys.stderr)
        return 130
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    warnings.simplefilter("always", SoundDetectWarning)
    warnings.showwarning = _show_warning
    # A file name that is not UTF-8 (a camera's, a FAT stick's) reaches Python with
    # surrogates; printed strictly it would end the run. As "\udcff" it is still valid JSON.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
    try:
        return args.run(args)
    except ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SoundDetectError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output stopped (`sounddetect detect DIR | head -1`): end as a
        # Unix tool that SIGPIPE ends, without a traceback, and send the rest of what is
        # buffered nowhere (Python flushes stdout once more on the way out).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EIO, errno.EDQUOT):
            raise
        # A full disk: one line, not a traceback. Without a file name it was the standard
        # output (`> results.jsonl`), and nothing more is sent to it.
        print(f"error: {exc.filename or 'standard output'}: {exc.strerror}", file=sys.stderr)
        if exc.filename is None:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
