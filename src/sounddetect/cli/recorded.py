"""``sounddetect recorded DIR``: add clips of recorded music and sound effects to a corpus.

Downloads the Debian packages of ``sounddetect.recorded.TRAINING_MUSIC`` and
``TUXPAINT_STAMPS`` (about 475 MB, once, checked against pinned sha256 sums; kept unpacked in
DIR/.cache). Cuts a 12-22 s clip from each of MUSIC tracks and repeats each of EFFECTS of
Tux Paint's recorded sound effects (animals, birds, insects, instruments, tools; the half
that benchmarks/recorded_sounds.py never plays) with pauses for 12-22 s, plays every clip
in one of the corpus's rooms and records it through one of its microphones, and writes
DIR/background/recmusic_NNNN.wav, DIR/background/receffect_NNNN.wav and DIR/recorded.json
(each clip's package, file, offset or pauses, and recording). Run it after
``sounddetect synth DIR``: a folder that is not such a corpus, and more clips than the
packages hold, are refused before the download.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from sounddetect.cli import EXIT_OK, HelpFormatter, require_modules
from sounddetect.cli.argtypes import mirror_url, non_negative_int, nonempty_path
from sounddetect.exceptions import ParameterError

logger = logging.getLogger(__name__)


def add_parser(subparsers) -> argparse.ArgumentParser:
    # Defaults are left to make_recorded_clips: importing it here would load scipy for every
    # subcommand.
    parser = subparsers.add_parser(
        "recorded",
        help="add clips of recorded music and sound effects (from Debian) to a corpus",
        description=__doc__,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("dir", type=nonempty_path, metavar="DIR", help="corpus directory")
    parser.add_argument(
        "--music",
        type=non_negative_int,
        metavar="N",
        help="music clips, one per track (default: 24)",
    )
    parser.add_argument(
        "--effects",
        type=non_negative_int,
        metavar="N",
        help="sound effect clips, one per effect (default: 30)",
    )
    parser.add_argument(
        "--seed", type=non_negative_int, default=0, help="which tracks, effects and stretches"
    )
    parser.add_argument(
        "--cache",
        type=nonempty_path,
        metavar="DIR",
        help="where packages are unpacked (default: DIR/.cache)",
    )
    parser.add_argument(
        "--mirror",
        type=mirror_url,
        help="Debian mirror URL (default: http://deb.debian.org/debian)",
    )
    existing = parser.add_mutually_exclusive_group()
    existing.add_argument(
        "--skip-existing", action="store_true", help="keep clips made by the same recipe"
    )
    existing.add_argument("--overwrite", action="store_true", help="replace existing clips")
    parser.set_defaults(run=run)
    return parser


def check_request(folder: Path, *, music: int | None, effects: int | None) -> None:
    """Refuse, before the download of about 475 MB, a folder that is not a corpus of
    ``sounddetect synth`` (a typo would get a new folder of recorded clips alone) and more
    clips than the pinned packages hold.

    Raises
    ------
    ParameterError
        Naming the folder or the flag, and why.
    """
    from sounddetect import synth
    from sounddetect.recorded import (
        TRAINING_MUSIC_TRACKS,
        TUXPAINT_STAMPS,
        TUXPAINT_TRAINING_EFFECTS,
    )

    if folder.exists() and not folder.is_dir():
        raise ParameterError(
            f"{folder}: not a folder; give the corpus folder sounddetect synth made"
        )
    if not folder.exists():
        raise ParameterError(
            f"{folder}: no such folder; make the corpus first: sounddetect synth {folder}"
        )
    if synth.read_corpus_manifest(folder / synth.MANIFEST_NAME) is None:
        raise ParameterError(
            f"{folder}: not a corpus (no {synth.MANIFEST_NAME}); make it first: "
            f"sounddetect synth {folder}"
        )
    limits = (
        ("--music", music, TRAINING_MUSIC_TRACKS, "tracks in the music packages"),
        (
            "--effects",
            effects,
            TUXPAINT_TRAINING_EFFECTS,
            f"training effects in {TUXPAINT_STAMPS.name}",
        ),
    )
    for flag, count, most, what in limits:
        if count is not None and count > most:
            raise ParameterError(
                f"{flag} {count}: there are {most} {what}; ask for at most that many"
            )


def run(args: argparse.Namespace) -> int:
    # The room and microphone recordings are the synthetic corpus's (scipy).
    require_modules("sounddetect recorded", ["scipy", "threadpoolctl", "tqdm"], extra="generate")
    from sounddetect.recorded import make_recorded_clips

    check_request(args.dir, music=args.music, effects=args.effects)
    started = time.perf_counter()
    given = {"music_count": args.music, "effect_count": args.effects, "mirror": args.mirror}
    summary = make_recorded_clips(
        args.dir,
        seed=args.seed,
        cache_dir=args.cache,
        skip_existing=args.skip_existing,
        overwrite=args.overwrite,
        **{name: value for name, value in given.items() if value is not None},
    )
    logger.info(
        "%s: %d recorded clips written, %d kept, %.1f s",
        args.dir,
        summary["written"],
        summary["skipped"],
        time.perf_counter() - started,
    )
    return EXIT_OK
