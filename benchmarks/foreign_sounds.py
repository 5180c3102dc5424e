"""False alarms on speech and music made by other synthesisers than the corpus's.

    apt-get install espeak-ng fluidsynth fluid-soundfont-gm
    .venv/bin/python benchmarks/foreign_sounds.py [--model models/default] [--kinds speech music]

The corpus's voices and music come from our own synthesisers (``sounddetect.synth``); a
model could learn to pass those and still take other voices or instruments for an alarm.
This check makes recordings that only hold such sounds, from tools the corpus never used:

- ``speech``: espeak-ng speaks two of four paragraphs in each of 24 voices (12 languages and
  accents, men's and women's variants, a whisper) at varied pitch and speed.
- ``music``: 24 pieces of General MIDI, rendered by fluidsynth with the FluidR3 sound font
  (sampled instruments): a repeated melody of a high instrument (flute, piccolo, violin,
  glockenspiel, square lead, ...; up to 3 kHz fundamentals), chords, bass and drums, at
  70-150 beats per minute.

Each is recorded through a held-out room and microphone of the corpus (``synth.record``)
with a room tone 25-45 dB below it, and ``sounddetect detect`` runs on the folder. Any alarm
event is a false alarm; the script prints how many recordings of each kind raise one.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import mido
import numpy as np
import soundfile as sf
import soxr

from sounddetect import synth

SR = 16000
SOUND_FONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")

TEXTS = (
    "Good evening, here is the news. The council has announced a new plan for the city "
    "centre, with more buses, wider pavements and a market on Saturdays. Opposition members "
    "said the plan would cost too much and take years to finish.",
    "Could you pass me the salt, please? Thanks. I was thinking we could go to the coast "
    "next weekend if the weather holds. Your sister said she might come along, and we could "
    "stop for lunch at that little place by the harbour.",
    "Attention please. The train now arriving at platform two is the late service to the "
    "airport, calling at all stations. Please stand back from the edge of the platform and "
    "mind the gap between the train and the platform.",
    "Tomorrow will start cloudy with a chance of rain in the north, clearing in the "
    "afternoon. Temperatures will reach eighteen degrees in the south, and winds will be "
    "light. The weekend looks dry and bright for most of the country.",
)

#: espeak-ng voices (language or accent, variant): men's and women's, other languages.
VOICES = (
    ("en-gb", "+m1"),
    ("en-gb", "+f2"),
    ("en-us", "+m3"),
    ("en-us", "+f1"),
    ("en-gb-scotland", "+m5"),
    ("en-gb-x-rp", "+f3"),
    ("en-029", "+f4"),
    ("de", "+m1"),
    ("de", "+f2"),
    ("fr", "+m3"),
    ("fr", "+f1"),
    ("es", "+m5"),
    ("es", "+f4"),
    ("it", "+klatt"),
    ("nl", "+m2"),
    ("pl", "+f3"),
    ("pt", "+f1"),
    ("sv", "+m4"),
    ("ru", "+f2"),
    ("hi", "+m1"),
    ("ja", "+f5"),
    ("cmn", "+m3"),
    ("tr", "+f3"),
    ("en-us", "+whisper"),
)

#: General MIDI programs (0-based) of the melodies.
MELODY_PROGRAMS = (
    *(73, 72, 74, 78, 79),  # flute, piccolo, recorder, whistle, ocarina
    *(40, 68, 71, 56, 64),  # violin, oboe, clarinet, trumpet, soprano sax
    *(80, 81),  # square and sawtooth synth leads
    *(9, 10, 8, 13, 11),  # glockenspiel, music box, celesta, xylophone, vibraphone
    *(0, 4, 16, 21),  # piano, electric piano, organ, accordion
    *(22, 52, 24),  # harmonica, choir, nylon guitar
)
#: Chords: piano, strings, warm pad, organ; bass: finger and picked electric bass.
CHORD_PROGRAMS = (0, 48, 89, 19)
BASS_PROGRAMS = (33, 34)
#: Steps of a major and a minor scale, in semitones above the tonic.
SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}


def recordings_parser(
    description: str, *, work: str, kinds: tuple[str, ...]
) -> argparse.ArgumentParser:
    """The options every benchmark that renders recordings and detects on them takes."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=Path("models/default"))
    parser.add_argument("--work", type=Path, default=Path(work))
    parser.add_argument("--kinds", nargs="+", choices=kinds, default=list(kinds))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--sample-rate",
        type=int,
        default=SR,
        help=f"write the recordings at this rate in Hz (default {SR}); 8000 is an IP camera's, "
        "an intercom's or a phone's: nothing above 4 kHz",
    )
    parser.add_argument(
        "--file-format",
        choices=("wav", "mp3", "m4a"),
        default="wav",
        help="write the recordings as WAV (default), as MP3 at a constant bitrate "
        "(libsndfile's encoder; 48 kbit/s at 16 kHz), as recordings are often uploaded, or "
        f"as AAC in M4A at {M4A_BITRATE} (ffmpeg's encoder), as phones save voice memos",
    )
    parser.add_argument(
        "--detect-option",
        action="append",
        default=[],
        help="passed on to sounddetect detect, e.g. --detect-option=--hop=4",
    )
    return parser


def add_cache_option(parser: argparse.ArgumentParser, *, default: str) -> None:
    """``--cache``: where downloaded Debian packages are unpacked and kept between runs."""
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(default),
        help="where the downloaded packages' files are kept",
    )


#: libsndfile's MP3 compression level (0 best, 1 smallest) for ``--file-format mp3``.
MP3_COMPRESSION_LEVEL = 0.75


#: AAC bitrate for ``--file-format m4a``: a phone's voice memo app at its compact setting.
M4A_BITRATE = "64k"


def write_recording(path: Path, audio: np.ndarray, *, sample_rate: int) -> None:
    """A 16 kHz recording written at ``sample_rate`` (resampled by soxr), as WAV, as MP3 when
    ``path`` ends in ``.mp3``, or as AAC in M4A (by ffmpeg) when it ends in ``.m4a``."""
    if sample_rate != SR:
        audio = soxr.resample(audio, SR, sample_rate)
    audio = np.clip(audio, -1.0, 1.0)
    if path.suffix == ".m4a":
        pcm = io.BytesIO()
        sf.write(pcm, audio, sample_rate, format="WAV", subtype="FLOAT")
        command = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "wav", "-i", "pipe:0"]
        command += ["-c:a", "aac", "-b:a", M4A_BITRATE, str(path)]
        subprocess.run(command, input=pcm.getvalue(), check=True)
        return
    mp3 = {"format": "MP3", "compression_level": MP3_COMPRESSION_LEVEL, "bitrate_mode": "CONSTANT"}
    sf.write(path, audio, sample_rate, **(mp3 if path.suffix == ".mp3" else {}))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = recordings_parser(
        __doc__, work="/tmp/sounddetect-foreign-sounds", kinds=("speech", "music")
    )
    return parser.parse_args(argv)


def speak(text: str, *, voice: str, pitch: int, speed: int) -> np.ndarray:
    """espeak-ng's speech of ``text`` at :data:`SR` Hz."""
    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(speed), "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout
    y, sr = sf.read(io.BytesIO(wav), dtype="float64")
    return soxr.resample(y, sr, SR)


def speech_pieces(rng: np.random.Generator):
    """(name, audio) of one speech recording per voice in :data:`VOICES`."""
    for i, (language, variant) in enumerate(VOICES):
        texts = [TEXTS[(i + k) % len(TEXTS)] for k in range(2)]
        pitch, speed = int(rng.integers(25, 80)), int(rng.integers(140, 190))
        audio = [speak(text, voice=language + variant, pitch=pitch, speed=speed) for text in texts]
        yield f"speech_{i:02d}_{language}{variant.replace('+', '_')}", np.concatenate(audio)


def midi_piece(rng: np.random.Generator, *, melody_program: int, seconds: float = 30.0):
    """A General MIDI piece: a repeated four-bar melody over chords, bass and drums."""
    song = mido.MidiFile(ticks_per_beat=480)
    beat = song.ticks_per_beat
    bpm = float(rng.uniform(70, 150))
    tonic = int(rng.integers(60, 72))
    scale = SCALES[str(rng.choice(list(SCALES)))]
    octave = 12 * int(rng.integers(1, 3))  # melody one or two octaves above the chords
    bars = int(np.ceil(seconds * bpm / 60 / 4))
    # One four-bar phrase of eighth and quarter notes and rests, repeated: music repeats.
    phrase, position = [], 0
    while position < 16 * beat:
        length = int(rng.choice([beat // 2, beat, beat, 2 * beat]))
        step = int(rng.integers(0, 10))
        note = tonic + octave + 12 * (step // 7) + scale[step % 7]
        phrase.append(
            (position, min(length, 16 * beat - position), None if rng.random() < 0.15 else note)
        )
        position += length
    degrees = [int(d) for d in rng.choice([0, 3, 4, 5], size=4)]

    def track(channel: int, program: int, notes: list[tuple[int, int, int, int]]) -> None:
        """notes: (start tick, length, pitch, velocity), written as delta-timed events."""
        events = [(0, mido.Message("program_change", channel=channel, program=program))]
        for start, length, pitch, velocity in notes:
            events.append(
                (start, mido.Message("note_on", channel=channel, note=pitch, velocity=velocity))
            )
            events.append((start + length, mido.Message("note_off", channel=channel, note=pitch)))
        midi_track, now = mido.MidiTrack(), 0
        for tick, message in sorted(events, key=lambda e: (e[0], e[1].type == "note_on")):
            midi_track.append(message.copy(time=tick - now))
            now = tick
        song.tracks.append(midi_track)

    tempo = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))])
    song.tracks.append(tempo)
    melody, chords, bass, drums = [], [], [], []
    for bar in range(bars):
        start = bar * 4 * beat
        if bar % 4 == 0:
            for position, length, note in phrase:
                if note is not None:
                    melody.append((start + position, length, note, int(rng.integers(80, 120))))
        root = tonic + scale[degrees[bar % 4]] - 12
        for offset in (0, 4 if scale[2] == 4 else 3, 7):
            chords.append((start, 4 * beat, root + offset, 60))
        bass += [(start + k * beat, beat, root - 12, 90) for k in range(4)]
        drums += [(start + k * beat, beat // 4, 36 if k % 2 == 0 else 38, 90) for k in range(4)]
        drums += [(start + k * beat // 2, beat // 4, 42, 60) for k in range(8)]
    track(0, melody_program, melody)
    track(1, int(rng.choice(CHORD_PROGRAMS)), chords)
    track(2, int(rng.choice(BASS_PROGRAMS)), bass)
    track(9, 0, drums)
    return song


def music_pieces(rng: np.random.Generator, work: Path):
    """(name, audio) of one piece per program in :data:`MELODY_PROGRAMS`, via fluidsynth."""
    for i, program in enumerate(MELODY_PROGRAMS):
        midi_path, wav_path = work / f"music_{i:02d}.mid", work / f"music_{i:02d}_raw.wav"
        midi_piece(rng, melody_program=program).save(midi_path)
        subprocess.run(
            [
                "fluidsynth",
                "-ni",
                "-g",
                "0.5",
                "-r",
                str(SR),
                "-F",
                str(wav_path),
                str(SOUND_FONT),
                str(midi_path),
            ],
            check=True,
            capture_output=True,
        )
        y, sr = sf.read(wav_path, dtype="float64")
        yield (
            f"music_{i:02d}_gm{program:03d}",
            soxr.resample(y.mean(axis=1) if y.ndim > 1 else y, sr, SR),
        )


#: ``--through``: what passes the partition, as ``synth.transmit`` takes it: above the
#: corner the loss grows by 6 dB per octave (the mass law); a door's gaps leak more of
#: every frequency than a wall's.
PARTITIONS = {
    "door": {"corner_hz": (250.0, 700.0), "leak_db": (-35.0, -20.0)},
    "wall": {"corner_hz": (60.0, 150.0), "leak_db": (-60.0, -45.0)},
}


def partition(kind: str, *, room: str, seed: int) -> synth.Partition:
    """A door or a wall (``kind``) between another held-out room, 1-5 m from it, and
    ``room``."""
    # A stream of its own: the rest of the recording is drawn as without a partition.
    rng = np.random.default_rng([seed, 999])
    ranges = PARTITIONS[kind]
    return synth.Partition(
        kind=kind,
        room=str(rng.choice([r for r in synth.HOLDOUT_ROOMS if r != room])),
        distance_m=float(rng.uniform(1.0, 5.0)),
        corner_hz=float(np.exp(rng.uniform(*np.log(ranges["corner_hz"])))),
        leak_db=float(rng.uniform(*ranges["leak_db"])),
    )


#: Two microphones of a phone or a camera filming in stereo are this far apart (m).
PAIR_SPACING_M = (0.02, 0.2)
SPEED_OF_SOUND_M_S = 343.0


def pair_delay_s(*, seed: int, index: int) -> float:
    """How much later (s; negative: earlier) the second of two microphones 2-20 cm apart hears
    a sound from a direction drawn uniformly in angle; drawn from ``seed`` and ``index``
    alone, so that a stereo recording is otherwise drawn as its mono one."""
    rng = np.random.default_rng([seed, index, 2718])
    spacing_m = rng.uniform(*PAIR_SPACING_M)
    return float(spacing_m * np.cos(rng.uniform(0.0, np.pi)) / SPEED_OF_SOUND_M_S)


def delayed(y: np.ndarray, *, seconds: float) -> np.ndarray:
    """``y`` (n,) at :data:`SR` delayed by ``seconds``, a fraction of a sample or more, as a
    linear phase: circular, the few samples pushed past the end return at the start."""
    frequencies = np.fft.rfftfreq(y.size, 1.0 / SR)
    return np.fft.irfft(np.fft.rfft(y) * np.exp(-2j * np.pi * frequencies * seconds), y.size)


def record(
    audio: np.ndarray,
    *,
    index: int,
    rng: np.random.Generator,
    through: str | None = None,
    seed: int = 0,
    stereo: bool = False,
) -> np.ndarray:
    """``audio`` as heard in a held-out room through a held-out microphone, over a room tone;
    with ``through``, from another room behind a door or a wall (drawn from ``seed``). With
    ``stereo``, (n, 2) from two microphones: each channel with its own reverberation
    (``synth.apply_room``), the second delayed by :func:`pair_delay_s`."""
    # Synthesised pauses are digital silence; no room is that quiet.
    room_tone = synth.render_background("roomtone", duration=audio.size / SR, sr=SR, seed=index)
    ratio = np.sqrt(np.mean(audio**2) / np.mean(room_tone**2))
    audio = audio + ratio * 10.0 ** (rng.uniform(-45.0, -25.0) / 20.0) * room_tone[: audio.size]
    room = synth.HOLDOUT_ROOMS[index % len(synth.HOLDOUT_ROOMS)]
    recording = synth.Recording(
        room=room,
        distance_m=float(rng.uniform(1.0, 4.0)),
        mic=synth.HOLDOUT_MICROPHONES[index % len(synth.HOLDOUT_MICROPHONES)],
        level_dbfs=float(rng.uniform(-30.0, -18.0)),
        through=None if through is None else partition(through, room=room, seed=seed),
        channels=2 if stereo else 1,
    )
    recorded = synth.record(audio, sr=SR, recording=recording, seed=index)
    if stereo:
        recorded[:, 1] = delayed(recorded[:, 1], seconds=pair_delay_s(seed=seed, index=index))
    return recorded


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tools = {"speech": ["espeak-ng"], "music": ["fluidsynth"]}
    missing = [tool for kind in args.kinds for tool in tools[kind] if shutil.which(tool) is None]
    if "music" in args.kinds and not SOUND_FONT.exists():
        missing.append(str(SOUND_FONT))
    if missing:
        print(
            f"missing: {', '.join(missing)} "
            "(apt-get install espeak-ng fluidsynth fluid-soundfont-gm)",
            file=sys.stderr,
        )
        return 2
    status = 0
    for kind in args.kinds:
        rng = np.random.default_rng([args.seed, len(kind)])
        folder = args.work / kind
        folder.mkdir(parents=True, exist_ok=True)
        pieces = speech_pieces(rng) if kind == "speech" else music_pieces(rng, folder)
        paths = []
        for index, (name, audio) in enumerate(pieces):
            paths.append(folder / f"{name}.{args.file_format}")
            write_recording(
                paths[-1], record(audio, index=index, rng=rng), sample_rate=args.sample_rate
            )
        status |= count_false_alarms(paths, model=args.model, kind=kind, options=args.detect_option)
    return status


def run_detect(paths: list[Path], *, model: Path, options: Sequence[str] = ()) -> list[dict]:
    """``sounddetect detect --format json`` on ``paths``: one result object per file."""
    detect = subprocess.run(
        [
            str(Path(sys.executable).parent / "sounddetect"),
            "detect",
            *map(str, paths),
            "--model",
            str(model),
            "--format",
            "json",
            *options,
        ],
        capture_output=True,
        text=True,
    )
    return [json.loads(line) for line in detect.stdout.splitlines()]


def count_false_alarms(
    paths: list[Path], *, model: Path, kind: str, options: Sequence[str] = ()
) -> int:
    """Run ``sounddetect detect`` (with ``options``) on recordings that hold no alarm and
    print every event.

    Returns 1 if a recording got no result (a failed run), else 0.
    """
    results = run_detect(paths, model=model, options=options)
    raised = [r for r in results if r["alarm"]]
    for r in raised:
        events = ", ".join(f"{e['start']:.0f}-{e['end']:.0f} s" for e in r["events"])
        print(f"false alarm: {Path(r['file']).name} ({events})")
    print(f"{model}: {len(raised)} of {len(results)} {kind} recordings raise an alarm")
    return int(len(results) != len(paths))


if __name__ == "__main__":
    sys.exit(main())
