"""False alarms on recorded speech and sound effects: real voices, animals and household noises.

    .venv/bin/python benchmarks/recorded_sounds.py [--model models/default] [--seed 0]

The corpus's voices are synthesised, and ``foreign_sounds.py``'s speech comes from another
synthesiser. This check downloads Tux Paint's stamps from Debian
(``sounddetect.recorded.TUXPAINT_STAMPS``, 161 MB, once, into ``--cache``), which hold real
recordings made for children: spoken descriptions of the pictures, each language read by
its own volunteer, and sound effects (animals, birds, insects, instruments, tools, a vacuum
cleaner, a kettle, a washing machine, a fire engine, ...). It makes two kinds of recordings:

- ``speech``: 40 s of one language's descriptions in random order with 0.15-0.7 s pauses
  (a person naming pictures), ``--per-language`` recordings for each of the 12 languages
  with at least 40 descriptions. The corpus has no recorded speech.
- ``effects``: each of the 54 held-out sound effects (``split_effects``: the corpus hears
  the other 54) repeated with 0.3-3 s pauses for 30 s, as in the corpus's effect clips (a
  cat meowing, a lamb bleating, a blackbird singing, a saw going back and forth).

Each is recorded through a held-out room and microphone with a room tone (as
``foreign_sounds.py`` does) and ``sounddetect detect`` runs on them. Any alarm event is a
false alarm; the script prints how many recordings of each kind raise one, and which.
"""

from __future__ import annotations

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
    EFFECT_PAUSE_S,
    TUXPAINT_STAMPS,
    fetch_package,
    join_with_pauses,
    read_sound,
    sort_stamp_sounds,
    split_effects,
)

#: Languages with fewer descriptions than this would repeat them within a recording.
FEWEST_DESCRIPTIONS = 40
SPEECH_S = 40.0
EFFECTS_S = 30.0


def parse_args(argv: list[str] | None = None):
    parser = recordings_parser(
        __doc__, work="/tmp/sounddetect-recorded-sounds", kinds=("speech", "effects")
    )
    add_cache_option(parser, default="/tmp/sounddetect-debian-sounds")
    parser.add_argument(
        "--per-language", type=int, default=4, help="speech recordings per language (default 4)"
    )
    return parser.parse_args(argv)


def speech_recordings(descriptions: dict[str, list[Path]], *, per_language: int, rng):
    for lang, files in sorted(descriptions.items()):
        if len(files) < FEWEST_DESCRIPTIONS:
            continue
        for k in range(per_language):
            clips = (read_sound(files[i], sr=SR) for i in rng.permutation(len(files)))
            y, _ = join_with_pauses(clips, n=round(SPEECH_S * SR), pause_s=(0.15, 0.7), rng=rng)
            yield f"{lang}_{k}", y


def effect_recordings(effects: list[Path], *, rng):
    for path in effects:
        repeats = itertools.repeat(read_sound(path, sr=SR))  # the same effect, again and again
        y, _ = join_with_pauses(repeats, n=round(EFFECTS_S * SR), pause_s=EFFECT_PAUSE_S, rng=rng)
        yield f"{path.parent.name}-{path.stem}", y


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    files = fetch_package(TUXPAINT_STAMPS, cache_dir=args.cache)
    descriptions, effects = sort_stamp_sounds(files)
    _, held_out_effects = split_effects(effects)
    status = 0
    for kind in args.kinds:
        rng = np.random.default_rng([args.seed, 8, len(kind)])
        folder = args.work / kind
        folder.mkdir(parents=True, exist_ok=True)
        if kind == "speech":
            pieces = speech_recordings(descriptions, per_language=args.per_language, rng=rng)
        else:
            pieces = effect_recordings(held_out_effects, rng=rng)
        paths = []
        for index, (name, audio) in enumerate(pieces):
            paths.append(folder / f"{name}.{args.file_format}")
            write_recording(
                paths[-1], record(audio, index=index, rng=rng), sample_rate=args.sample_rate
            )
        status |= count_false_alarms(
            paths, model=args.model, kind=f"recorded {kind}", options=args.detect_option
        )
    return status


if __name__ == "__main__":
    sys.exit(main())
