"""Alarms found and false alarms raised in short recordings: a clip of a few seconds.

    .venv/bin/python benchmarks/short_recordings.py [--model models/default] [--seconds 2 4 8]

The other recording checks play 30-50 s recordings, long enough for an event of three alarm
windows. A clip that a user records on a phone, or that a sound library holds, is often a
few seconds long, and in it the event rule has less to go by. This check renders the
recordings ``alarm_recordings.py`` and ``household_sounds.py`` render for the same
``--seed``, and cuts one excerpt of each length (``--seconds``) out of each: from an alarm
recording an excerpt wholly inside the time the alarm sounds (from its first sound to its
last, or to the end of the recording; an alarm that sounds for less than the length gives
none), from a household recording an excerpt anywhere. Excerpts shorter than one window
(``--seconds 1 2 3``) are classified as one window, continued with their own quietest
sound (:func:`sounddetect.windows.pad_to_window`); in a recording shorter than an event
the model must also hear :data:`sounddetect.events.MIN_SHORT_EVENT_SOUNDING_S` of alarm
sound.
Then ``sounddetect detect`` runs on each length's excerpts, and the script prints per
length how many alarm excerpts raise an alarm (by alarm kind) and how many household ones
do (by household kind).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

import alarm_recordings
import household_sounds
import numpy as np
from foreign_sounds import SR, recordings_parser, run_detect, write_recording

from sounddetect.windows import MIN_RECORDING_S


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = recordings_parser(
        __doc__,
        work="/tmp/sounddetect-short-recordings",
        kinds=alarm_recordings.KINDS + household_sounds.KINDS,
    )
    parser.add_argument(
        "--seconds",
        type=float,
        nargs="+",
        default=[4.0, 4.5, 5.0, 6.0, 7.0, 8.0, 10.0],
        help="excerpt lengths in seconds, at least 1 (detect continues one shorter than a "
        "4 s window with its own quietest sound)",
    )
    parser.add_argument("--alarm-count", type=int, default=8, help="recordings per alarm kind")
    parser.add_argument(
        "--household-count", type=int, default=24, help="recordings per household kind"
    )
    args = parser.parse_args(argv)
    if min(args.seconds) < MIN_RECORDING_S:
        parser.error(f"--seconds: detect refuses recordings shorter than {MIN_RECORDING_S:g} s")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rng = np.random.default_rng([args.seed, 31337])
    excerpts: dict[float, list[tuple[str, str]]] = {length: [] for length in args.seconds}

    def cut(audio: np.ndarray, *, group: str, kind: str, index: int, low_s: float, high_s: float):
        for length in args.seconds:
            if high_s - low_s < length:
                continue
            start = round(rng.uniform(low_s, high_s - length) * SR)
            folder = args.work / f"{length:g}s" / group / kind
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{kind}_{index:02d}.{args.file_format}"
            excerpt = audio[start : start + round(length * SR)]
            write_recording(path, excerpt, sample_rate=args.sample_rate)
            excerpts[length].append((str(path), kind))

    for kind in args.kinds:
        if kind in alarm_recordings.KINDS:
            pairs = alarm_recordings.recordings(kind, seed=args.seed, count=args.alarm_count)
            for index, (audio, truth) in enumerate(pairs):
                cut(
                    audio,
                    group="alarm",
                    kind=kind,
                    index=index,
                    low_s=truth["start"],
                    high_s=truth["end"],
                )
        else:
            audios = household_sounds.recordings(kind, seed=args.seed, count=args.household_count)
            for index, audio in enumerate(audios):
                cut(
                    audio,
                    group="household",
                    kind=kind,
                    index=index,
                    low_s=0.0,
                    high_s=audio.size / SR,
                )

    print(f"{args.model}: excerpts raising an alarm")
    status = 0
    for length, pairs in excerpts.items():
        results = run_detect(
            [path for path, _ in pairs], model=args.model, options=args.detect_option
        )
        raised = {r["file"]: bool(r["alarm"]) for r in results}
        if len(raised) != len(pairs) or any(r["error"] for r in results):
            print(f"{length:g} s: detect failed on some excerpts")
            status = 1
        totals, counts = Counter(), Counter()
        for path, kind in pairs:
            totals[kind] += 1
            counts[kind] += raised.get(path, False)
        for group, kinds in (
            ("alarms", alarm_recordings.KINDS),
            ("household", household_sounds.KINDS),
        ):
            chosen = [k for k in kinds if totals[k]]
            if chosen:
                found = sum(counts[k] for k in chosen)
                of = sum(totals[k] for k in chosen)
                detail = ", ".join(f"{k} {counts[k]}/{totals[k]}" for k in chosen)
                print(f"  {length:>4g} s  {group:<9} {found:>3} of {of:<3} ({detail})")
    return status


if __name__ == "__main__":
    sys.exit(main())
