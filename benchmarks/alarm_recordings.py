"""Alarms found in fresh 40 s recordings, as a user's microphone would hear them.

    .venv/bin/python benchmarks/alarm_recordings.py [--model models/default] [--count 8]

The held-out alarm clips are mostly one window long (57 of 68 are 4 s), so they say whether a
window is recognised, not whether a recording that holds an alarm among other sound raises
one. This check renders recordings the way the examples are made: 40 s of a household
background (a quiet room, air conditioning, a kitchen, television, conversation, music or a
street), and an alarm that starts 2-20 s in and sounds for 12-30 s (to the end of the
recording, or stopping before it). The alarms are drawn as the holdout draws them
(``synth.draw_alarm(..., holdout=True)``: interconnected units out of step, asymmetric
square-wave drivers, speakers that barely reproduce their fundamental, longer voice
messages) from seeds the corpus does not use; the alarm is 1-8 m from the microphone and the
background 1-3 m, in a held-out room, through a held-out microphone, at -5 to 15 dB SNR
(measured where the alarm sounds). Then ``sounddetect detect`` runs on them.

``--through door`` or ``--through wall`` puts the alarm in another held-out room, 1-5 m
behind a closed door or a wall (``synth.heard_through``), and the microphone 1-8 m from it:
the same recordings, each otherwise drawn as without it, so that runs with and without
compare recording by recording. ``--stereo`` records with two microphones 2-20 cm apart, as
a phone filming in stereo: each channel with its own reverberation, the second hearing the
alarm up to 0.58 ms earlier or later (``foreign_sounds.pair_delay_s``), which can cancel its
tone in an average of the channels; the recordings are otherwise drawn as without.

``--pulsing`` makes every alarm beep steadily, with no group pause, as some smoke and heat
alarms do (their manuals: "a single beep every second", "a short and a longer beep every
second", "a constant pulsed tone"): one beep of 0.1-0.6 s, or two of 0.08-0.3 s, every
0.7-1.4 s (longer where two long beeps need it), the sounder, room and scene otherwise drawn
as without it. Meant for the piezo
kind (``--kinds t3piezo``), with ``--detect-option=--pulse-patterns``.

``--beeper DB`` adds a reversing lorry's beeper recorded in a held-out room (a 1.1 kHz
square wave as ``steady_beepers.py`` makes it, beeps and pauses of 0.3-0.7 s, its own
stream) at DB against the recording's level, beeping all along, or with ``--beeper-span
alarm`` only while the alarm sounds: the case in which the event rule's check for steady
beepers (docs/detection.md, "Steady beepers") could cost an alarm.

An alarm is found when an event overlaps the time it sounds; an event more than a window
away from it is a false alarm. The script prints, per alarm kind and per SNR band, how many
recordings were found, and every miss and false event; then how far the found alarms'
events start and end from the alarm's first and last sound (its first beep or message, and
its last one or the end of the recording).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Iterator

import numpy as np
from foreign_sounds import (
    PARTITIONS,
    SR,
    delayed,
    pair_delay_s,
    partition,
    record,
    recordings_parser,
    run_detect,
    write_recording,
)
from steady_beepers import STEPS_S, TIMBRES, beeper

from sounddetect import synth

KINDS = tuple(synth.ALARM_COUNTS)
#: Household scenes an alarm sounds over.
BACKGROUNDS = ("roomtone", "hvac", "kitchen", "tv", "speech", "music", "street")
RECORDING_S = 40.0
#: An event this far (s) from the alarm's sound still belongs to it: the windows around the
#: alarm hold its first and last beeps, and a room's reverberation.
TOLERANCE_S = 4.0
SNR_BANDS_DB = ((-5.0, 0.0), (0.0, 5.0), (5.0, 15.0))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = recordings_parser(__doc__, work="/tmp/sounddetect-alarm-recordings", kinds=KINDS)
    parser.add_argument("--count", type=int, default=8, help="recordings per alarm kind")
    parser.add_argument(
        "--through",
        choices=tuple(PARTITIONS),
        help="the alarm sounds in another room, behind a closed door or a wall",
    )
    parser.add_argument("--stereo", action="store_true", help="two microphones 2-20 cm apart")
    parser.add_argument(
        "--pulsing",
        action="store_true",
        help="every alarm beeps steadily with no group pause (a beep or two every 0.7-1.4 s)",
    )
    parser.add_argument(
        "--beeper",
        type=float,
        metavar="DB",
        help="a 1.1 kHz reversing beeper in the microphone's room, DB against the recording",
    )
    parser.add_argument(
        "--beeper-span",
        choices=("recording", "alarm"),
        default="recording",
        help="the beeper beeps all along (default) or only while the alarm sounds",
    )
    args = parser.parse_args(argv)
    if args.beeper is not None and args.stereo:
        parser.error("--beeper records in mono; leave out --stereo")
    return args


def pulsing(spec: synth.AlarmSpec, *, seed: int) -> synth.AlarmSpec:
    """``spec`` beeping steadily: one beep or two a cycle, every 0.7-1.4 s (own stream)."""
    rng = np.random.default_rng([seed, 7919])
    period = float(rng.uniform(0.7, 1.4))
    if rng.random() < 0.6:
        on = float(rng.uniform(0.1, min(0.6, 0.65 * period)))
        timing = {"pattern": "pulse", "on_s": on, "off_s": on, "gap_s": period - on}
    else:  # the pause after the second beep at least as long as the one between them
        on, off = float(rng.uniform(0.08, 0.3)), float(rng.uniform(0.1, 0.25))
        gap = max(period - 2 * on - off, off)
        timing = {"pattern": "pulse2", "on_s": on, "off_s": off, "gap_s": gap}
    return dataclasses.replace(spec, **timing, start_s=-float(rng.uniform(0.0, period)))


def with_beeper(
    audio: np.ndarray, truth: dict, *, index: int, seed: int, level_db: float, span: str
) -> tuple[np.ndarray, dict]:
    """``audio`` with a reversing beeper recorded in a held-out room, ``level_db`` against
    the recording's level, beeping all along or (``span="alarm"``) while the alarm sounds;
    the truth says how it beeps."""
    rng = np.random.default_rng([seed, 6007])  # its own stream: the alarm draws as without
    on_s, off_s = (float(rng.choice(STEPS_S)) for _ in range(2))
    dry = beeper(
        on_s,
        off_s,
        partials_db=TIMBRES["square wave"],
        frequency_hz=1100.0,
        start_s=-float(rng.uniform(0.0, on_s + off_s)),
    )
    heard = record(dry, index=index, rng=rng)[: len(audio)]
    gain = np.sqrt(np.mean(audio**2) / np.mean(heard**2)) * 10.0 ** (level_db / 20.0)
    if span == "alarm":
        heard[: round(truth["start"] * SR)] = 0.0
        heard[round(truth["end"] * SR) :] = 0.0
    mixed = audio.copy()
    mixed[: len(heard)] += gain * heard
    return mixed, {**truth, "beeper": {"on_s": on_s, "off_s": off_s, "level_db": level_db}}


def render(
    kind: str,
    *,
    index: int,
    seed: int,
    through: str | None = None,
    stereo: bool = False,
    pulses: bool = False,
    beeper_db: float | None = None,
    beeper_span: str = "recording",
) -> tuple[np.ndarray, dict]:
    """One recording of an alarm of ``kind`` over a household scene (the alarm ``through``
    a door or a wall, if given; in ``stereo``, (n, 2); beeping steadily with ``pulses``;
    with a reversing beeper at ``beeper_db``, :func:`with_beeper`), and its truth."""
    rng = np.random.default_rng(seed)
    room = synth.HOLDOUT_ROOMS[index % len(synth.HOLDOUT_ROOMS)]
    mic = synth.HOLDOUT_MICROPHONES[index % len(synth.HOLDOUT_MICROPHONES)]
    background = BACKGROUNDS[int(rng.integers(len(BACKGROUNDS)))]
    alarm_s = float(rng.uniform(12.0, 30.0))
    at_s = float(rng.uniform(2.0, min(20.0, RECORDING_S - alarm_s)))
    if rng.random() < 0.5:  # half sound on past the end of the recording
        alarm_s = RECORDING_S - at_s
    snr_db = float(rng.uniform(-5.0, 15.0))
    spec = synth.draw_alarm(kind, rng, holdout=True, duration_s=alarm_s)
    if pulses:
        spec = pulsing(spec, seed=seed)

    # A pre-roll lets the room's reverberation and the microphone's filters build up.
    n_pre = round((min(synth.ROOMS[room].rt60_s, 1.5) + 0.1) * SR)
    n = round(RECORDING_S * SR) + n_pre
    scene = synth.render_background(background, duration=n / SR, sr=SR, seed=seed)
    channels = 2 if stereo else 1
    scene = synth.apply_room(
        scene,
        sr=SR,
        room=room,
        distance_m=float(rng.uniform(1.0, 3.0)),
        channels=channels,
        seed=seed,
    )
    dry = synth.render_alarm(spec, sr=SR, seed=seed)
    start = n_pre + round(at_s * SR)
    dry = dry[: n - start]
    arriving = dry
    if through is not None:
        behind = partition(through, room=room, seed=seed)
        arriving = synth.heard_through(dry, sr=SR, partition=behind, seed=seed)
    wet = synth.apply_room(
        arriving,
        sr=SR,
        room=room,
        distance_m=float(np.exp(rng.uniform(0.0, np.log(8.0)))),
        channels=channels,
        seed=seed,
    )
    if stereo:
        wet[:, 1] = delayed(wet[:, 1], seconds=pair_delay_s(seed=seed, index=index))
    sounding = np.abs(dry) > 1e-3
    scene_rms = np.sqrt(np.mean(scene[start : start + dry.size][sounding] ** 2))
    alarm_rms = np.sqrt(np.mean(wet[sounding] ** 2))
    scene[start : start + len(wet)] += wet * (scene_rms / alarm_rms * 10.0 ** (snr_db / 20.0))
    audio = synth.apply_microphone(
        scene,
        sr=SR,
        mic=mic,
        level_dbfs=float(rng.uniform(-30.0, -18.0)),
        preroll_s=n_pre / SR,
        seed=seed,
    )
    beeps, messages = synth.alarm_intervals(spec, seed=seed)
    heard = np.concatenate([beeps, messages]) + at_s
    heard = heard[heard[:, 0] < RECORDING_S]
    truth = {
        "kind": kind,
        "through": through,
        "background": background,
        "snr_db": snr_db,
        "start": float(heard[:, 0].min()),
        "end": float(min(heard[:, 1].max(), RECORDING_S)),
    }
    if beeper_db is not None:
        return with_beeper(
            audio, truth, index=index, seed=seed, level_db=beeper_db, span=beeper_span
        )
    return audio, truth


def score(result: dict, truth: dict) -> tuple[bool, list[dict], tuple[float, float] | None]:
    """Whether an event overlaps the alarm, the events away from it (false alarms), and
    how far (s) the overlapping events' first start and last end are from the alarm's."""
    events = result["events"]
    overlapping = [e for e in events if e["start"] < truth["end"] and e["end"] > truth["start"]]
    false = [
        e
        for e in events
        if e["end"] < truth["start"] - TOLERANCE_S or e["start"] > truth["end"] + TOLERANCE_S
    ]
    bounds = None
    if overlapping:
        bounds = (
            min(e["start"] for e in overlapping) - truth["start"],
            max(e["end"] for e in overlapping) - truth["end"],
        )
    return bool(overlapping), false, bounds


def recordings(kind: str, *, seed: int, count: int, **options) -> Iterator[tuple[np.ndarray, dict]]:
    """The ``count`` recordings of ``kind`` that ``--seed seed`` renders, with their truth
    (``options``: :func:`render`'s, ``through`` to ``beeper_span``)."""
    # Seeds drawn from (seed, kind): the corpus seeds its files from (seed, section, index).
    seeds = np.random.SeedSequence([seed, KINDS.index(kind), 104729]).generate_state(count)
    for index, file_seed in enumerate(seeds.tolist()):
        yield render(kind, index=index, seed=file_seed, **options)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    paths, truths = [], []
    for kind in args.kinds:
        folder = args.work / kind
        folder.mkdir(parents=True, exist_ok=True)
        drawn = recordings(
            kind,
            seed=args.seed,
            count=args.count,
            through=args.through,
            stereo=args.stereo,
            pulses=args.pulsing,
            beeper_db=args.beeper,
            beeper_span=args.beeper_span,
        )
        for index, (audio, truth) in enumerate(drawn):
            paths.append(folder / f"{kind}_{index:02d}.{args.file_format}")
            write_recording(paths[-1], audio, sample_rate=args.sample_rate)
            truths.append(truth)
    # The truth goes next to the recordings, so other event rules can be scored on them.
    (args.work / "truth.json").write_text(
        json.dumps({str(p): t for p, t in zip(paths, truths, strict=True)}, indent=1)
    )
    detected = run_detect(paths, model=args.model, options=args.detect_option)
    results = {r["file"]: r for r in detected}
    if len(results) != len(paths):
        print(f"detect returned {len(results)} results for {len(paths)} recordings")
        return 1
    outcomes, errors = [], []
    for path, truth in zip(paths, truths, strict=True):
        found, false, bounds = score(results[str(path)], truth)
        outcomes.append((truth, found, bool(false)))
        if bounds is not None:
            errors.append(bounds)
        where = f"{truth['background']}, {truth['snr_db']:+.1f} dB"
        sounds = f"alarm {truth['start']:.0f}-{truth['end']:.0f} s"
        if not found:
            print(f"missed: {path.name} ({where}, {sounds})")
        for e in false:
            print(f"false event: {path.name} {e['start']:.0f}-{e['end']:.0f} s ({where}, {sounds})")

    def line(name: str, chosen: list[tuple[dict, bool, bool]]) -> str:
        found = sum(o[1] for o in chosen)
        false = sum(o[2] for o in chosen)
        return f"  {name:<12} {found:>3} of {len(chosen):<3} found, {false} with a false event"

    print(
        f"{args.model}: alarm recordings"
        + (f" through a {args.through}" if args.through else "")
        + (" in stereo" if args.stereo else "")
        + (", beeping steadily" if args.pulsing else "")
        + (
            f", a reversing beeper at {args.beeper:+g} dB"
            + (" while the alarm sounds" if args.beeper_span == "alarm" else "")
            if args.beeper is not None
            else ""
        )
    )
    for kind in args.kinds:
        print(line(kind, [o for o in outcomes if o[0]["kind"] == kind]))
    for low, high in SNR_BANDS_DB:
        band = [o for o in outcomes if low <= o[0]["snr_db"] < high]
        print(line(f"{low:+.0f}..{high:+.0f} dB", band))
    print(line("all", outcomes))
    if errors:
        print(f"event bounds of the {len(errors)} found, event minus alarm:")
        for name, error in zip(("start", "end"), np.array(errors).T, strict=True):
            size = np.abs(error)
            print(
                f"  {name:<5} median {np.median(error):+.2f} s, |error| median "
                f"{np.median(size):.2f} s, 90th percentile {np.percentile(size, 90):.2f} s, "
                f"within 0.5 s {np.mean(size <= 0.5):.0%}, within 1 s {np.mean(size <= 1.0):.0%}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
