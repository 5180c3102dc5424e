"""The ``sounddetect`` command line: one module per subcommand.

Each subcommand module defines ``add_parser(subparsers)`` (which registers its parser and
``set_defaults(run=...)``) and a ``run(args) -> int`` returning the exit code:
0 every input processed, 1 at least one input failed, 2 usage or configuration error.
Logs and warnings go to stderr; results (``--format json``) go to stdout.

:func:`build_parser` imports every subcommand module, so at module level they import only
what the core dependencies provide; the library modules a subcommand runs (the generator,
training) are imported in its ``run``, after :func:`require_modules` has checked that the
optional extras it needs are installed. ``detect`` thus works on a core install, without the
optional extras, and starts without loading the generator.

SIGTERM (``kill``, ``timeout``, systemd stopping a unit) ends a command as Ctrl-C does, with
the same clean-up, and exit code 143 instead of 130.
"""

from __future__ import annotations

import argparse
import errno
import functools
import importlib
import importlib.util
import logging
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterable

from sounddetect import __version__
from sounddetect.exceptions import ParameterError, SoundDetectError, SoundDetectWarning
from sounddetect.folders import FULL_DISK_ERRNOS

#: Subcommand modules under ``sounddetect.cli``, in the order ``--help`` lists them.
SUBCOMMANDS = ("synth", "recorded", "generate", "preview", "train", "evaluate", "compare", "detect")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
#: Exit codes after Ctrl-C and SIGTERM: 128 + the signal's number, as a shell reports them.
EXIT_INTERRUPTED, EXIT_TERMINATED = 128 + signal.SIGINT, 128 + signal.SIGTERM

#: pip's name of a module whose distribution is named otherwise.
_DISTRIBUTIONS = {"sklearn": "scikit-learn"}


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised as Ctrl-C's KeyboardInterrupt is: every clean-up that runs after
    Ctrl-C (half-written files removed, an old dataset kept) runs after it too."""


def require_modules(what: str, modules: Iterable[str], *, extra: str) -> None:
    """Refuse, before any work, what needs optional dependencies that are not installed.

    Parameters
    ----------
    what : str
        What needs them, as the message names it: ``"sounddetect generate"``, ``"--plot"``.
    modules : iterable of str
        The top-level modules it imports.
    extra : str
        The optional extra of pyproject.toml that installs them.

    Raises
    ------
    ParameterError
        Naming ``what``, the missing packages and the extra, in one line: a core install
        gets that, not a traceback after minutes of work and a half-written folder.
    """
    missing = [_DISTRIBUTIONS.get(module, module) for module in modules if not _found(module)]
    if missing:
        names = " and ".join(filter(None, [", ".join(missing[:-1]), missing[-1]]))
        raise ParameterError(f"{what} needs {names}: pip install 'sounddetect[{extra}]'")


def _found(module: str) -> bool:
    # find_spec locates a module without importing it: the check costs no start-up time.
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:  # an import hook that refuses it
        return False


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


#: How one_line writes the control characters a name may hold.
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(text: str) -> str:
    """``text`` with line breaks, tabs and every other character that is not printable
    written as escapes (``\\n``, ``\\x1b``, ``\\udcff`` for a byte of a name that is not
    UTF-8): a file name may hold them, and an error or a table row must stay one line that
    does not move the terminal's cursor."""
    if text.isprintable():
        return text
    return "".join(
        char
        if char.isprintable()
        else _ESCAPES.get(char) or char.encode("unicode_escape", "backslashreplace").decode("ascii")
        for char in text
    )


class _LineFormatter(logging.Formatter):
    """The library's warnings and errors logged as the lines the CLI prints itself
    (``warning: ...``, ``error: ...``); progress and debug lines, and other libraries'
    records, keep their level and logger."""

    def format(self, record: logging.LogRecord) -> str:
        if record.levelno < logging.WARNING or not record.name.startswith("sounddetect"):
            return super().format(record)
        label = "warning" if record.levelno == logging.WARNING else "error"
        lines = [f"{label}: {one_line(record.getMessage())}"]
        if record.exc_info:
            lines.append(self.formatException(record.exc_info))
        if record.stack_info:
            lines.append(self.formatStack(record.stack_info))
        return "\n".join(lines)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    # One clean line per skipped input instead of Python's two-line warning format.
    print(f"warning: {one_line(str(message))}", file=sys.stderr)


def _terminate(signum: int, frame: object, *, pid: int) -> None:
    if os.getpid() != pid:
        # A process forked from this one, before it set its own handler (a pool's worker
        # does, sounddetect.workers): it dies of the signal as without the handler. An
        # exception could be swallowed, by the hooks that run just after a fork.
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
    raise Terminated


def main(argv: list[str] | None = None) -> int:
    """Run the ``sounddetect`` command line and return its exit code."""
    # Only the main thread may set a handler: main() run in another thread (an application
    # embedding the command line) leaves SIGTERM to that application.
    handling = threading.current_thread() is threading.main_thread()
    if handling:
        previous = signal.signal(signal.SIGTERM, functools.partial(_terminate, pid=os.getpid()))
    try:
        return _run(argv)
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM, after the command's clean-up
        terminated = isinstance(exc, Terminated)
        print("terminated" if terminated else "interrupted", file=sys.stderr)
        return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
    finally:
        if handling:
            # None: a handler set outside Python, which cannot be put back; the default can.
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def _run(argv: list[str] | None) -> int:
    # Before the subcommands import numpy: OpenBLAS starts one thread per core, and they spin
    # between calls, taking the cores from onnxruntime's threads (`detect` over a folder ran
    # 1.9 times slower) or the generator's worker processes. Our matrices are small; a
    # value the user set is kept.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    args = build_parser().parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LineFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, handlers=[handler])
    if not args.verbose:
        # Its quantization tools log each step at INFO: not the user's progress lines.
        logging.getLogger("onnxruntime").setLevel(logging.WARNING)
    warnings.simplefilter("always", SoundDetectWarning)
    warnings.showwarning = _show_warning
    # A file name that is not UTF-8 (a camera's, a FAT stick's) reaches Python with
    # surrogates; printed strictly it would end the run. As "\udcff" it is still valid JSON.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
    try:
        return args.run(args)
    except ParameterError as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except SoundDetectError as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:
        # The reader of our output stopped (`sounddetect detect DIR | head -1`): end as a
        # Unix tool that SIGPIPE ends, without a traceback, and send the rest of what is
        # buffered nowhere (Python flushes stdout once more on the way out).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG and exc.filename:
            # A name the user gave with a part longer than the file system allows (255
            # bytes), met wherever a command first looks at it: a usage error.
            print(f"error: {one_line(str(exc.filename))}: {exc.strerror}", file=sys.stderr)
            return EXIT_USAGE
        if exc.errno not in FULL_DISK_ERRNOS:
            raise
        # A full disk or a file size limit: one line, not a traceback. Without a file name
        # it was the standard output (`> results.jsonl`), and nothing more is sent to it.
        print(f"error: {exc.filename or 'standard output'}: {exc.strerror}", file=sys.stderr)
        if exc.filename is None:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
