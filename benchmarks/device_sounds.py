"""False alarms on the beeps of a home: telephones ringing, alarm clocks, computer sounds.

    .venv/bin/python benchmarks/device_sounds.py [--model models/default] [--seed 0]

A smoke alarm is a loud tone in a pattern, and so is much that a home's devices play. The
corpus's household beeps are synthesised (``household_sounds.py`` plays more of them); this
check downloads sounds that people made for telephones and desktops, packaged by Debian
(``sounddetect.recorded.DEVICE_SOUNDS``, eight packages, 38 MB, once, into ``--cache``), none
of which training ever hears, and sorts the distinct files into four kinds by name:

- ``ringing``: ring tones and telephones ringing (an electronic ring tone at 3.2 kHz, a
  bell telephone recorded, desktop ring tones).
- ``call-tones``: what a caller hears: ringback and busy tones at 425-440 Hz.
- ``alarm-clocks``: an alarm clock going off and digital watch beeps.
- ``notifications``: every other sound: chimes, error beeps, spoken channel names, log-in
  jingles, clicks.

Each sound is played again and again with 0.3-3 s pauses for 30 s, as a phone rings or an
alarm clock beeps until someone comes, recorded through a held-out room and microphone over
a room tone (as ``foreign_sounds.py`` does), ``--per-sound`` times with other pauses, rooms
and levels, and ``sounddetect detect`` runs on them. Any
alarm event is a false alarm; the script prints how many recordings of each kind raise one,
and which. An alarm clock is the closest to a smoke alarm of these (a loud beep in a
pattern), so its count is the hardest to bring to 0.
"""

from __future__ import annotations

import hashlib
import itertools
import sys
from pathlib import Path

import numpy as np
from foreign_sounds import (
    SR,
    add_cache_option,
    count_false_alarms,
    record,
    recordings_parser,
    write_recording,
)

from sounddetect.recorded import (
    DEVICE_SOUNDS,
    EFFECT_PAUSE_S,
    fetch_package,
    join_with_pauses,
    read_sound,
)

RECORDING_S = 30.0
#: Kinds in the order a file's name is tried against them (lower case); the last takes the rest.
KINDS = {
    "call-tones": ("ringback", "outgoing"),
    "ringing": ("ring", "phone"),
    "alarm-clocks": ("alarm", "beep_digital"),
    "notifications": ("",),
}


def parse_args(argv: list[str] | None = None):
    parser = recordings_parser(__doc__, work="/tmp/sounddetect-device-sounds", kinds=tuple(KINDS))
    add_cache_option(parser, default="/tmp/sounddetect-debian-sounds")
    parser.add_argument(
        "--per-sound",
        type=int,
        default=3,
        help="recordings of each sound, each with its own pauses, room and level (default 3)",
    )
    return parser.parse_args(argv)


def kind_of(path: Path) -> str:
    """The kind of :data:`KINDS` whose first name part ``path``'s file name holds."""
    name = path.name.lower()
    return next(kind for kind, parts in KINDS.items() if any(part in name for part in parts))


def distinct_sounds(cache: Path) -> dict[str, list[tuple[str, Path]]]:
    """Every package's sound files by kind, as (recording name, path); a file whose bytes
    another file already has (the themes share some sounds) is left out."""
    by_kind: dict[str, list[tuple[str, Path]]] = {kind: [] for kind in KINDS}
    seen = set()
    for package in DEVICE_SOUNDS:
        for path in fetch_package(package, cache_dir=cache):
            digest = hashlib.sha256(path.read_bytes()).digest()
            if digest not in seen:
                seen.add(digest)
                by_kind[kind_of(path)].append((f"{package.name}-{path.stem}", path))
    return by_kind


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sounds = distinct_sounds(args.cache)
    status = 0
    for kind in args.kinds:
        rng = np.random.default_rng([args.seed, 9, list(KINDS).index(kind)])
        folder = args.work / kind
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, source in sounds[kind]:
            sound = read_sound(source, sr=SR)  # once for all its takes
            for take in range(args.per_sound):
                audio, _ = join_with_pauses(
                    itertools.repeat(sound),
                    n=round(RECORDING_S * SR),
                    pause_s=EFFECT_PAUSE_S,
                    rng=rng,
                )
                paths.append(folder / f"{name}_{take}.{args.file_format}")
                recording = record(audio, index=len(paths) - 1, rng=rng)
                write_recording(paths[-1], recording, sample_rate=args.sample_rate)
        status |= count_false_alarms(paths, model=args.model, kind=kind, options=args.detect_option)
    return status


if __name__ == "__main__":
    sys.exit(main())
