"""False alarms on steady beepers: one tone beeping at one rate, with no group gap.

    .venv/bin/python benchmarks/steady_beepers.py [--model models/default] [--seed 0]

A reversing truck's beeper, a forklift's or a lorry's, beeps on and on at its own rate:
nothing in it is a smoke alarm's temporal-three group (three 0.5 s beeps and a 1.5 s pause)
or a CO alarm's four pips. Beepers differ in how long they sound and pause and in the
wave they drive: a sine, a tone with a few odd partials, or a square wave (and, as a
digital device might, a square wave sampled without a band limit). This check plays every
combination of a beep of 0.3, 0.4, 0.5, 0.6 or 0.7 s and a pause of 0.3-0.7 s (25 periods
from 0.6 to 1.4 s) with each of the four timbres, at 1.1 kHz (``--frequency``) from
before the recording to its end, 40 s each, recorded through a held-out room and microphone
over a room tone (as ``foreign_sounds.py`` does), and runs ``sounddetect detect`` on them.
Any alarm event is a false alarm; the script prints, for each timbre, a grid of the beep
and pause lengths with the recordings that raise one, and every event.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from foreign_sounds import SR, record, recordings_parser, run_detect, write_recording

from sounddetect import synth

#: Beep and pause lengths (s) of the grid.
STEPS_S = (0.3, 0.4, 0.5, 0.6, 0.7)
#: Partial levels (dB, from the fundamental up) of each timbre; None: a sampled square wave.
TIMBRES = {
    "sine": (0.0,),
    "odd partials": (0.0, -np.inf, -12.0, -np.inf, -20.0),
    # A square wave's odd partials fall as 1/k (harmonic_tone keeps those under 0.45 x SR).
    "square wave": tuple(-20 * np.log10(k) if k % 2 else -np.inf for k in range(1, 16)),
    # The sign of a sine at 16 kHz: its partials above 8 kHz fold back below, a mesh of
    # tones that no sounder plays but a digital device with a naive synthesiser may.
    "aliased square wave": None,
}
SECONDS = 40.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = recordings_parser(
        __doc__, work="/tmp/sounddetect-steady-beepers", kinds=tuple(TIMBRES)
    )
    parser.add_argument(
        "--frequency", type=float, default=1100.0, help="the beeper's fundamental (Hz)"
    )
    return parser.parse_args(argv)


def beeper(on_s: float, off_s: float, *, partials_db, frequency_hz: float, start_s: float):
    """A dry beeper at -20 dBFS: ``on_s`` beeps, ``off_s`` pauses, from ``start_s`` (<= 0)."""
    intervals = synth.beep_pattern(
        duration=SECONDS, on_s=on_s, off_s=0.0, n_beeps=1, gap_s=off_s, start_s=start_s
    )
    n = round(SECONDS * SR)
    envelope = synth.pattern_envelope(intervals, n_samples=n, sr=SR, attack_s=0.01)
    if partials_db is None:
        tone = np.sign(np.sin(2 * np.pi * frequency_hz * np.arange(n) / SR))
    else:
        tone = synth.harmonic_tone(frequency_hz, sr=SR, duration=SECONDS, partials_db=partials_db)
    audio = envelope * tone[:n]
    return 0.1 * audio / np.abs(audio).max()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    status = 0
    for timbre in args.kinds:
        # Each timbre's rooms and phases from (seed, timbre): the same with any --kinds.
        rng = np.random.default_rng([args.seed, 4021, list(TIMBRES).index(timbre)])
        folder = args.work / timbre.replace(" ", "_")
        folder.mkdir(parents=True, exist_ok=True)
        paths, grid = [], {}
        for index, (on_s, off_s) in enumerate((on, off) for on in STEPS_S for off in STEPS_S):
            dry = beeper(
                on_s,
                off_s,
                partials_db=TIMBRES[timbre],
                frequency_hz=args.frequency,
                start_s=-rng.uniform(0.0, on_s + off_s),
            )
            audio = record(dry, index=index, rng=rng)
            paths.append(folder / f"on{on_s:.1f}_off{off_s:.1f}.{args.file_format}")
            grid[paths[-1].name] = (on_s, off_s)
            write_recording(paths[-1], audio, sample_rate=args.sample_rate)
        results = run_detect(paths, model=args.model, options=args.detect_option)
        status |= int(len(results) != len(paths))
        raised = {}
        for result in results:
            name = Path(result["file"]).name
            if result["alarm"]:
                raised[grid[name]] = result["events"]
        print(
            f"{args.model}: {len(raised)} of {len(paths)} {timbre} beepers at "
            f"{args.frequency:.0f} Hz raise an alarm (A: an alarm; rows: beep s, columns: pause s)"
        )
        print("  beep \\ pause " + " ".join(f"{off:>4.1f}" for off in STEPS_S))
        for on_s in STEPS_S:
            marks = ("A" if (on_s, off) in raised else "." for off in STEPS_S)
            print(f"  {on_s:>12.1f} " + " ".join(f"{m:>4}" for m in marks))
        for (on_s, off_s), events in sorted(raised.items()):
            spans = ", ".join(f"{e['start']:.0f}-{e['end']:.0f} s" for e in events)
            print(f"false alarm: {timbre}, beep {on_s} s, pause {off_s} s ({spans})")
    return status


if __name__ == "__main__":
    sys.exit(main())
