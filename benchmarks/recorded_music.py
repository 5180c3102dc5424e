"""False alarms on recorded music: game soundtracks the model never heard.

    .venv/bin/python benchmarks/recorded_music.py [--model models/default] [--seed 0]

``benchmarks/foreign_sounds.py`` plays General MIDI through a sound font; real music is
produced and mixed, with sustained strings, flutes, brass and synthesisers. This check
downloads the held-out packages of ``sounddetect.recorded.HOLDOUT_MUSIC`` from Debian
(about 460 MB, once, into ``--cache``): the soundtracks of Hedgewars, FreedroidRPG, Drascula,
LinCity-NG and Advanced Strategic Command, other games and composers than the training
corpus's (``TRAINING_MUSIC``). It takes a 40 s excerpt of every track (the whole track if
shorter, at least 8 s), records it through a held-out room and microphone with a room tone
(as ``foreign_sounds.py`` does), and runs ``sounddetect detect`` on them. Any alarm event is a
false alarm; the script prints how many recordings of each package raise one.
"""

from __future__ import annotations

import sys
from collections import Counter

import numpy as np
from foreign_sounds import (
    SR,
    add_cache_option,
    count_false_alarms,
    record,
    recordings_parser,
    write_recording,
)

from sounddetect.recorded import HOLDOUT_MUSIC, fetch_package, read_sound

#: Excerpt length in seconds, as the other recordings' benchmarks use.
EXCERPT_S = 40.0
#: Shorter tracks (jingles) are skipped.
SHORTEST_S = 8.0


def parse_args(argv: list[str] | None = None):
    parser = recordings_parser(
        __doc__, work="/tmp/sounddetect-recorded-music", kinds=tuple(p.name for p in HOLDOUT_MUSIC)
    )
    add_cache_option(parser, default="/tmp/sounddetect-debian-music")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rng = np.random.default_rng([args.seed, 7])
    args.work.mkdir(parents=True, exist_ok=True)
    paths = []
    for package in (p for p in HOLDOUT_MUSIC if p.name in args.kinds):
        for track in fetch_package(package, cache_dir=args.cache):
            y = read_sound(track, sr=SR)
            if y.size > EXCERPT_S * SR:
                start = int(rng.integers(0, y.size - int(EXCERPT_S * SR)))
                y = y[start : start + int(EXCERPT_S * SR)]
            if y.size < SHORTEST_S * SR or np.sqrt(np.mean(y**2)) < 1e-3:
                continue
            paths.append(args.work / f"{package.name}_{track.stem}.{args.file_format}")
            recording = record(y, index=len(paths), rng=rng)
            write_recording(paths[-1], recording, sample_rate=args.sample_rate)
    print("recordings per package:", dict(Counter(p.name.split("_", 1)[0] for p in paths)))
    return count_false_alarms(
        paths, model=args.model, kind="recorded music", options=args.detect_option
    )


if __name__ == "__main__":
    sys.exit(main())
