"""Alarms found and false alarms raised in recordings that share no code with the corpus.

    apt-get install espeak-ng ffmpeg
    .venv/bin/python benchmarks/independent_sounds.py --model models/default --seed 1

Every other recording check draws its sounds from ``sounddetect.synth``, the corpus's own
recipes, or plays them through its rooms and microphones, so a model that has learnt those
recipes is judged on them. This check is a reviewer's test-set generator, written from
scratch without ``sounddetect`` and ported here draw for draw (its numbers are the point:
the recordings are the generator's, byte for byte, except that its square waves are
band-limited, as a sounder's are: :func:`bandlimited_square`): no recipe, room, microphone
or codec is shared with the corpus, so its figures are not flattered by the corpus's own
recipes.

Each recording is rendered at 48 kHz: a source, then a room's impulse response (early
reflections and a noise tail, RT60 0.2-1.2 s; the direct sound falls as 1/d, the reverberant
field is set by the critical distance), for some a door (open, ajar or closed: a low-pass
and 6-32 dB of loss) to another room and that room's reverberation (15% of alarm recordings,
10% of the others, no speech or music), then a background (television speech and music, a
kitchen, a street, air conditioning or a quiet room) set below the source's level at 1 m, a
microphone (a studio one, a phone's or a laptop's: band limits, automatic gain, self-noise;
one recording in ten clips), a rate of 8-48 kHz, and WAV, FLAC, MP3 at 64 kbit/s, AAC in M4A
or Ogg Vorbis (ffmpeg). Recordings are 20-90 s long.

- Alarms (146): temporal-three patterns of a piezo horn (2.8-3.6 kHz with partials, wobble,
  an onset chirp, some with a rasp), of a 520 Hz square wave and of a loudspeaker
  (400-1000 Hz, 4-8 partials); a voice alarm (three beeps, then espeak-ng's message,
  "Fire! Fire!" or the like, through a small horn); a CO alarm's temporal-four; a
  continuous tone; temporal-three alarms in another room; and temporal-three alarms far
  away, filmed on a phone (2-10 m, 8-16 kHz, MP3 or AAC). Half start within the first
  second, half within the first 40% of the recording; 70% sound to its end.
- Non-alarms (162): low-battery chirps, microwaves (keypad beeps, a hum, end beeps), bell
  and electronic telephones in UK, US and European cadences, ring tones (a melody, or a
  phone vibrating on a table), kettle whistles (gliding, steady, vibrato, two-tone),
  reversing beepers (tonal or white noise), music (chords, flute, strings, pop), speech
  (espeak-ng, 16 English voices, one to three speakers, some as on television) and
  ambience (a background alone).

Each recording has its own seed (``--seed`` x 100000 + the kind's index x 1000 + its
index); ``--work``/manifest.jsonl holds it with every parameter of the source and the
chain, and ``--only NAME`` renders one recording. Then ``sounddetect detect`` runs on them
in one process. An alarm recording is found when an event overlaps the time its alarm
sounds (from its first sound to its last); a non-alarm recording with an event raises a
false alarm. The script prints how many recordings of each kind are found or raise an alarm
(kettles, bell telephones, microwaves, reversing beepers, music and ring tones also by how
they are made), the totals, and one line per failure. Rendering takes about 6 minutes on
one core, detection half a minute.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import soundfile as sf
from foreign_sounds import run_detect
from scipy import signal

#: Every source, room and microphone is rendered at this rate (Hz).
SR = 48000
#: A recording's seed: --seed x RUN_SEED_STEP + the kind's index x KIND_SEED_STEP + its index.
RUN_SEED_STEP = 100000
KIND_SEED_STEP = 1000

#: What a kind's source gives: audio at SR, its length (s), the (start, end) times (s) the
#: alarm sounds (none for a non-alarm), and the parameters it was drawn with.
Source = tuple[np.ndarray, float, list[tuple[float, float]], dict]

# The recipes below are the reviewer's, draw for draw: reordering two random draws, or
# drawing one fewer, changes every recording after it.


# ---------------------------------------------------------------- signal helpers


def db(x):
    """The amplitude ratio of ``x`` dB."""
    return 10 ** (x / 20.0)


def rms(x):
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2) + 1e-20))


def tvec(n):
    """The times (s) of ``n`` samples."""
    return np.arange(n) / SR


def fade(x, a=0.003, r=0.005):
    """``x`` with linear fades in (``a`` s) and out (``r`` s)."""
    n = len(x)
    na, nr = min(n // 2, max(1, int(a * SR))), min(n // 2, max(1, int(r * SR)))
    x = x.copy()
    x[:na] *= np.linspace(0, 1, na)
    x[n - nr :] *= np.linspace(1, 0, nr)
    return x


def butter(x, kind, f, order=2):
    """``x`` through a Butterworth filter; unchanged when a corner is at Nyquist or above."""
    f = np.atleast_1d(f)
    if np.any(f >= SR / 2 * 0.98):
        return x
    sos = signal.butter(order, f / (SR / 2) if len(f) > 1 else f[0] / (SR / 2), kind, output="sos")
    return signal.sosfilt(sos, x)


def pink(rng, n):
    w = rng.standard_normal(n)
    f = np.fft.rfftfreq(n, 1 / SR)
    s = np.fft.rfft(w)
    s[1:] /= np.sqrt(f[1:])
    s[0] = 0
    y = np.fft.irfft(s, n)
    return y / rms(y)


def brown(rng, n):
    y = np.cumsum(rng.standard_normal(n))
    y = butter(y, "highpass", 20)
    return y / rms(y)


def osc(freq_inst):
    """The phase of an oscillator whose frequency (Hz) is ``freq_inst``, sample by sample."""
    return 2 * np.pi * np.cumsum(freq_inst) / SR


def place(buf, x, t):
    """Add ``x`` into ``buf`` from ``t`` s on, cut to ``buf``."""
    i = int(round(t * SR))
    if i >= len(buf) or i + len(x) <= 0:
        return
    j0 = max(0, -i)
    x = x[j0:]
    i = max(i, 0)
    m = min(len(x), len(buf) - i)
    buf[i : i + m] += x[:m]


# ---------------------------------------------------------------- speech

VOICES = (
    *("en-us+m1", "en-us+m3", "en-us+m7", "en-us+f2", "en-us+f4"),
    *("en-gb+m2", "en-gb+f1", "en-gb+f3"),
    *("en-us+Alex", "en-us+annie", "en-gb+david", "en-us+belinda"),
    *("en-gb-scotland+m4", "en-us+ed", "en-gb-x-rp+f5", "en-029+m2"),
)
SENTENCES = (
    "And now the weather for the rest of the week, with rain spreading from the west by Thursday.",
    "I told him we should leave early, but he insisted on finishing his coffee first.",
    "The committee will meet again on Monday to discuss the budget for next year.",
    "Could you pass me the salt please? Thanks. This soup is really good.",
    "Scientists say the discovery could change how we think about the early universe.",
    "Turn left at the next junction and then keep going until you see the station.",
    "We interrupt this programme to bring you a special report from our correspondent.",
    "Honestly, I have no idea where I left my keys. Have you seen them anywhere?",
    "The match ended two nil after a late goal in the ninetieth minute.",
    "Welcome back. Before the break we were talking about gardening in the winter.",
    "She said the train was delayed by twenty minutes because of a signal failure.",
    "Prices rose by three percent last month, the fastest increase in two years.",
    "Yeah, yeah, I know. I will call you back in five minutes, okay? Bye.",
    "Add the flour slowly and keep stirring until the mixture is smooth.",
    "In other news, the city council approved plans for a new bridge across the river.",
    "What time does the film start? I think it starts at half past eight.",
)


def speak(text, voice, speed, pitch):
    """espeak-ng's ``text`` at SR, at an rms of 0.1 over its sounding samples."""
    # Not foreign_sounds.speak: this generator shares no code with the project's sounds,
    # and the review's scipy resampling and level keep its recordings byte for byte.
    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout
    y, sr = sf.read(io.BytesIO(wav), dtype="float64")
    y = signal.resample_poly(y, SR, sr)
    return y / (rms(y[np.abs(y) > 1e-4]) + 1e-9) * 0.1 if np.any(np.abs(y) > 1e-4) else y


def speech_track(rng, dur, n_speakers, gap=(0.2, 1.5)):
    """``dur`` s of ``n_speakers`` voices taking turns (mostly in order), and the voices."""
    out = np.zeros(int(dur * SR))
    voices = list(rng.choice(VOICES, size=n_speakers, replace=False))
    params = [(v, int(rng.integers(140, 190)), int(rng.integers(30, 70))) for v in voices]
    t = float(rng.uniform(0, 1.0))
    k = 0
    while t < dur:
        v, s, p = (
            params[k % n_speakers] if rng.random() < 0.7 else params[int(rng.integers(n_speakers))]
        )
        y = speak(str(rng.choice(SENTENCES)), v, s, p) * db(rng.uniform(-4, 4))
        place(out, y, t)
        t += len(y) / SR + rng.uniform(*gap)
        k += 1
    return out, voices


# ---------------------------------------------------------------- alarm tones


def piezo(rng, dur, f0, harm=None, wobble=None, am=None):
    """Piezo horn: fundamental with 2nd/3rd partials, slow wobble + chirp at onset,
    optional rasp AM."""
    n = int(dur * SR)
    t = tvec(n)
    wob = wobble if wobble is not None else rng.uniform(0.002, 0.012)
    # onset frequency settle (self-oscillating driver) + slow wobble
    f = f0 * (
        1
        + wob * np.sin(2 * np.pi * rng.uniform(3, 12) * t + rng.uniform(0, 6))
        + rng.uniform(-0.02, 0.02) * np.exp(-t / 0.015)
    )
    ph = osc(f)
    harm = harm if harm is not None else [1.0, db(rng.uniform(-22, -8)), db(rng.uniform(-30, -12))]
    y = sum(a * np.sin((k + 1) * ph + k * 0.7) for k, a in enumerate(harm))
    if am:
        y *= 1 + am * np.sin(2 * np.pi * rng.uniform(80, 400) * t)
    return fade(y, rng.uniform(0.001, 0.006), rng.uniform(0.002, 0.02))


def bandlimited_square(phase, f_max):
    """A square wave of ``phase`` (rad), its odd partials up to 20 kHz for a top pitch of
    ``f_max`` (Hz). A sounder drives a square wave in analogue; ``signal.square`` sampled at
    SR also folds its partials above 24 kHz back below, a mesh of tones no device plays
    (and the model calls an alarm: docs/model-quality.md, "Recordings made by an
    independent generator")."""
    y = np.zeros_like(phase)
    for k in range(1, int(20000 / f_max) + 1, 2):
        y += np.sin(k * phase) / k
    return 4 / np.pi * y


def square(dur, f0):
    """A square wave through a driver's bandwidth."""
    n = int(dur * SR)
    ph = osc(np.full(n, f0))
    y = bandlimited_square(ph, f0)
    y = butter(y, "lowpass", 12000, 2)  # driver bandwidth
    return fade(y, 0.002, 0.004) * 0.6


def speaker_tone(dur, f0, partials, sweep):
    """A loudspeaker's tone: partials, optionally swept, driven into saturation."""
    n = int(dur * SR)
    t = tvec(n)
    f = f0 * (1 + sweep * t / max(dur, 1e-3))
    ph = osc(f)
    y = sum(a * np.sin((k + 1) * ph) for k, a in enumerate(partials))
    y = np.tanh(1.5 * y / (np.max(np.abs(y)) + 1e-9))
    return fade(y, 0.004, 0.01)


def alarm_tone(rng, family) -> tuple[Callable[[float], np.ndarray], dict]:
    """One alarm unit of ``family``: its sound of a given length (s), and its parameters."""
    if family == "piezo":
        f0 = float(rng.uniform(2800, 3600))
        harm = [1.0, db(rng.uniform(-22, -6)), db(rng.uniform(-30, -10))]
        wob = float(rng.uniform(0.002, 0.015))
        am = float(rng.uniform(0.1, 0.5)) if rng.random() < 0.3 else 0.0
        params = dict(
            tone="piezo",
            f0=round(f0),
            h2_db=round(20 * np.log10(harm[1]), 1),
            wobble=round(wob, 4),
            rasp_am=round(am, 2),
        )
        return (
            lambda d: piezo(rng, d, f0 * (1 + rng.uniform(-0.004, 0.004)), harm, wob, am)
        ), params
    if family == "square520":
        f0 = float(rng.uniform(505, 535))
        return (lambda d: square(d, f0)), dict(tone="square520", f0=round(f0))
    if family == "speaker":
        f0 = float(rng.uniform(400, 1000))
        np_ = int(rng.integers(4, 9))
        partials = [1.0] + [
            float(rng.uniform(0.3, 1.0) / (k ** rng.uniform(0.2, 0.8))) for k in range(2, np_ + 1)
        ]
        sweep = float(rng.choice([0.0, 0.0, rng.uniform(-0.15, 0.3)]))
        params = dict(tone="speaker", f0=round(f0), n_partials=np_, sweep=round(sweep, 3))
        return (lambda d: speaker_tone(d, f0, partials, sweep)), params
    raise ValueError(family)


def t3_schedule(rng, start, end, jitter=0.15):
    """A temporal-three pattern's beeps from ``start`` until ``end`` s, each time within
    ``jitter`` of the standard's, and its on, off and gap times."""
    on = 0.5 * (1 + rng.uniform(-jitter, jitter))
    off = 0.5 * (1 + rng.uniform(-jitter, jitter))
    gap = 1.5 * (1 + rng.uniform(-jitter, jitter))
    ivs = []
    t = start
    while True:
        for k in range(3):
            if t + on > end:
                return ivs, dict(on=round(on, 3), off=round(off, 3), gap=round(gap, 3))
            ivs.append((t, t + on))
            t += on + (off if k < 2 else gap)


def render(ivs, tone, n):
    """``n`` samples holding ``tone`` over each (start, end) of ``ivs``."""
    out = np.zeros(n)
    for a, b in ivs:
        place(out, tone(b - a), a)
    return out


# ---------------------------------------------------------------- room, microphone, file


def room_ir(rng, rt60, dist, volume):
    """A room's impulse response at ``dist`` m from the source."""
    rc = 0.057 * np.sqrt(volume / rt60)  # critical distance
    L = int(min(rt60 * 1.3, 1.6) * SR)
    h = np.zeros(L)
    h[0] = 1.0 / max(dist, 0.3)
    for _ in range(int(rng.integers(5, 14))):  # early reflections
        extra = rng.uniform(0.5, 8.0)
        i = int((extra / 343.0) * SR)
        if i < L:
            h[i] += rng.choice([-1, 1]) * rng.uniform(0.3, 0.9) / (dist + extra)
    t0 = int(rng.uniform(0.005, 0.02) * SR)
    tt = np.arange(L - t0) / SR
    nlo = butter(rng.standard_normal(L - t0), "lowpass", 2000) * np.exp(-6.9 * tt / rt60)
    nhi = butter(rng.standard_normal(L - t0), "highpass", 2000) * np.exp(
        -6.9 * tt / (rt60 * rng.uniform(0.45, 0.8))
    )
    tail = nlo + nhi
    tail *= (1.0 / rc) / np.sqrt(np.sum(tail**2) + 1e-12)
    h[t0:] += tail
    if dist > 4:  # air absorption / furnishing shadow
        h = butter(h, "lowpass", float(np.interp(dist, [4, 12], [14000, 7000])))
    return h


def conv(x, h):
    return signal.fftconvolve(x, h)[: len(x)]


def agc(x, target=0.1, attack=0.01, release=0.6, ratio=0.75):
    """A phone's or a laptop's automatic gain control."""
    win = int(0.02 * SR)
    e = np.sqrt(signal.lfilter(np.ones(win) / win, [1], x**2) + 1e-10)
    # one-pole attack/release on the envelope (downsampled for speed)
    d = 80
    ed = e[::d]
    g = np.empty_like(ed)
    s = ed[0]
    aa, ar = np.exp(-d / (attack * SR)), np.exp(-d / (release * SR))
    for i, v in enumerate(ed):
        c = aa if v > s else ar
        s = c * s + (1 - c) * v
        g[i] = s
    env = np.repeat(g, d)[: len(x)]
    gain = (target / env) ** ratio
    gain = np.minimum(gain, db(40))
    return x * gain


def mic_chain(x, rng, mic, sr_out):
    """``x`` as ``mic`` records it for a file at ``sr_out`` Hz, and its parameters."""
    p = {"mic": mic}
    if mic == "studio":
        y = x + db(-95) * rng.standard_normal(len(x))
    elif mic == "phone":
        hp = float(rng.uniform(80, 300))
        lp = float(min(rng.uniform(6000, 11000), 0.45 * sr_out))
        y = butter(x, "highpass", hp, 2)
        y = butter(y, "lowpass", lp, 4)
        y = agc(y, ratio=float(rng.uniform(0.5, 0.9)))
        y = y + db(rng.uniform(-70, -55)) * rng.standard_normal(len(y))
        p.update(hp=round(hp), lp=round(lp), agc=True)
    elif mic == "laptop":
        hp = float(rng.uniform(150, 400))
        lp = float(min(rng.uniform(5000, 9000), 0.45 * sr_out))
        y = butter(x, "highpass", hp, 2)
        y = butter(y, "lowpass", lp, 4)
        # plastic resonance
        b, a = signal.iirpeak(rng.uniform(1500, 4000) / (SR / 2), 3)
        y = y + 0.5 * signal.lfilter(b, a, y)
        fan = butter(rng.standard_normal(len(y)), "bandpass", [200, 3000]) * db(
            rng.uniform(-60, -45)
        )
        y = agc(y, ratio=float(rng.uniform(0.4, 0.8))) + fan
        p.update(hp=round(hp), lp=round(lp), agc=True)
    y = y / (np.max(np.abs(y)) + 1e-9) * db(rng.uniform(-12, -0.5))
    if rng.random() < 0.1:  # a hot recording that clips
        y = np.clip(y * db(6), -1, 1)
        p["clipped"] = True
    return y, p


#: File suffix and ffmpeg's encoder options, by codec; WAV and FLAC are libsndfile's.
FFMPEG_CODECS = {
    "mp3": (".mp3", ["-c:a", "libmp3lame", "-b:a", "64k"]),
    "aac": (".m4a", ["-c:a", "aac", "-b:a", "64k"]),
    "ogg": (".ogg", ["-c:a", "libvorbis", "-q:a", "2"]),
    "mp3_32k": (".mp3", ["-c:a", "libmp3lame", "-b:a", "32k"]),
}


def export(y, sr_out, codec, stem: Path) -> Path:
    """``y`` at ``sr_out`` Hz, 16-bit, written as ``codec`` to ``stem`` with its suffix."""
    z = signal.resample_poly(y, sr_out, SR) if sr_out != SR else y
    z = np.clip(z, -1, 1).astype(np.float32)
    if codec in ("wav", "flac"):
        path = stem.with_name(f"{stem.name}.{codec}")
        sf.write(path, z, sr_out, subtype="PCM_16")
        return path
    suffix, options = FFMPEG_CODECS[codec]
    path = stem.with_name(stem.name + suffix)
    pcm = io.BytesIO()
    sf.write(pcm, z, sr_out, format="WAV", subtype="PCM_16")
    command = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "wav", "-i", "pipe:0"]
    subprocess.run([*command, *options, str(path)], input=pcm.getvalue(), check=True)
    return path


# ---------------------------------------------------------------- backgrounds


def music_pad(rng, dur):
    """Held chords of sines, 2-4 s each, at an rms of 1."""
    n = int(dur * SR)
    y = np.zeros(n)
    root = rng.uniform(110, 220)
    t = 0
    while t < dur:
        L = rng.uniform(2, 4)
        chord = (
            root
            * 2 ** (np.array([0, rng.choice([3, 4]), 7, 12]) / 12)
            * 2 ** (rng.choice([0, 2, 5, 7, -3]) / 12)
        )
        seg = sum(
            np.sin(2 * np.pi * f * tvec(int(L * SR)))
            + 0.3 * np.sin(4 * np.pi * f * tvec(int(L * SR)))
            for f in chord
        )
        place(y, fade(seg, 0.3, 0.3), t)
        t += L
    return y / (rms(y) + 1e-9)


def bg_tv(rng, dur):
    y, _ = speech_track(rng, dur, int(rng.integers(1, 4)))
    y = butter(y, "bandpass", [120, 7000])
    if rng.random() < 0.5:
        y += 0.3 * music_pad(rng, dur)
    return y


def bg_kitchen(rng, dur):
    n = int(dur * SR)
    water = butter(rng.standard_normal(n), "bandpass", [800, 8000]) * (
        0.5 + 0.5 * np.abs(np.sin(2 * np.pi * 0.05 * tvec(n)))
    )
    y = water * (rng.random() < 0.6) + 0.3 * brown(rng, n) * 0.2
    t = 0
    while t < dur:  # clinks of cutlery / plates
        t += rng.exponential(1.5)
        L = int(rng.uniform(0.05, 0.4) * SR)
        f = rng.uniform(1500, 6000)
        c = (
            np.sin(2 * np.pi * f * tvec(L))
            * np.exp(-tvec(L) / rng.uniform(0.01, 0.1))
            * rng.uniform(0.5, 3)
        )
        place(y, c, t)
    # fridge hum
    y += 0.2 * np.sin(2 * np.pi * rng.choice([50, 60]) * tvec(n)) + 0.1 * np.sin(
        2 * np.pi * rng.choice([100, 120]) * tvec(n)
    )
    return y


def bg_street(rng, dur):
    n = int(dur * SR)
    y = brown(rng, n)
    y = butter(y, "lowpass", 1500)
    t = rng.uniform(0, 10)
    while t < dur:  # car passes
        L = int(rng.uniform(3, 8) * SR)
        env = np.hanning(L) ** 2
        car = (
            butter(rng.standard_normal(L), "bandpass", [60, rng.uniform(1500, 5000)])
            * env
            * rng.uniform(1, 4)
        )
        place(y, car, t)
        t += rng.uniform(4, 15)
    return y


def bg_hvac(rng, dur):
    n = int(dur * SR)
    f = rng.choice([50, 60])
    t = tvec(n)
    y = sum(db(-6 * k) * np.sin(2 * np.pi * f * k * t + rng.uniform(0, 6)) for k in range(1, 6))
    y = y + 2 * butter(pink(rng, n), "lowpass", rng.uniform(500, 2000))
    return y


def bg_quiet(rng, dur):
    return pink(rng, int(dur * SR))


class Background(NamedTuple):
    render: Callable[[np.random.Generator, float], np.ndarray]
    probability: float
    #: How far (dB) it lies below the source at 1 m in the same room: an alarm is about
    #: 95 dB SPL at 1 m; TV and a kitchen 50-70, a street heard indoors 45-65, air
    #: conditioning 40-60, a quiet room 30-45.
    below_source_db: tuple[float, float]


BACKGROUNDS = {
    "tv": Background(bg_tv, 0.3, (25, 45)),
    "kitchen": Background(bg_kitchen, 0.2, (25, 45)),
    "street": Background(bg_street, 0.15, (30, 50)),
    "hvac": Background(bg_hvac, 0.15, (35, 55)),
    "quiet": Background(bg_quiet, 0.2, (50, 65)),
}
#: Microphones, rates (Hz) and codecs, each with its probability.
MICROPHONES = {"studio": 0.35, "phone": 0.45, "laptop": 0.2}
RATES = {8000: 0.1, 11025: 0.08, 16000: 0.17, 22050: 0.12, 32000: 0.1, 44100: 0.23, 48000: 0.2}
CODECS = {"wav": 0.3, "flac": 0.1, "mp3": 0.3, "aac": 0.2, "ogg": 0.1}
#: A door to another room, by how far it is open: its low-pass corner (Hz) and loss (dB).
DOORS = {
    "open": ((2500, 5000), (6, 12)),
    "ajar": ((1200, 2500), (12, 20)),
    "closed": ((500, 1200), (20, 32)),
}


# ---------------------------------------------------------------- the acoustic chain


def through_door(rng, y, vol):
    """``y`` heard in another room through a door, and the door's parameters."""
    door = str(rng.choice(list(DOORS)))
    # Every door's corner and loss is drawn, whichever door it is.
    fc = {name: rng.uniform(*corner) for name, (corner, _) in DOORS.items()}[door]
    att = {name: rng.uniform(*loss) for name, (_, loss) in DOORS.items()}[door]
    y = butter(y, "lowpass", fc, 2) * db(-att)
    y = conv(y, room_ir(rng, float(rng.uniform(0.2, 0.8)), float(rng.uniform(2, 6)), vol))
    return y, dict(door=door, wall_lp=round(fc), wall_att_db=round(att, 1))


def background(rng, src, dur, rt60, vol, force):
    """A background for ``src`` (``dur`` s), at its level relative to the source at 1 m in
    the same room, and its parameters."""
    probabilities = [b.probability for b in BACKGROUNDS.values()]
    bgk = force.get("bg", str(rng.choice(list(BACKGROUNDS), p=probabilities)))
    bsnr = force.get("bg_snr_1m", float(rng.uniform(*BACKGROUNDS[bgk].below_source_db)))
    ref = rms(src[np.abs(src) > 1e-3]) if np.any(np.abs(src) > 1e-3) else rms(src)
    bg = BACKGROUNDS[bgk].render(rng, dur)
    if bgk in ("tv", "kitchen"):  # in the room; the others come from everywhere
        bg = conv(bg, room_ir(rng, rt60, float(rng.uniform(1, 4)), vol))
    bg = bg[: len(src)] / (rms(bg) + 1e-12) * ref * db(-bsnr)
    return bg, dict(bg=bgk, bg_snr_1m_db=round(bsnr, 1))


def acoustic(rng, src, dur, force):
    """``src`` (at SR, active parts at an rms near 0.1-0.5) through a room, maybe another
    room, a background and a microphone, and the chain's parameters; ``force`` sets some of
    them (dist, other_room, bg, bg_snr_1m, mic, sr, codec)."""
    # A forced parameter is drawn all the same, so that the draws after it stay as they are.
    rt60 = float(rng.uniform(0.2, 1.2))
    vol = float(rng.uniform(25, 150))
    dist = force.get("dist", float(np.exp(rng.uniform(np.log(0.5), np.log(8)))))
    other = force.get("other_room", rng.random() < 0.15)
    p = dict(rt60=round(rt60, 2), room_m3=round(vol), dist_m=round(dist, 2), other_room=bool(other))
    # In another room, the source is 1-4 m from the door.
    y = conv(src, room_ir(rng, rt60, dist if not other else float(rng.uniform(1, 4)), vol))
    if other:
        y, door = through_door(rng, y, vol)
        p.update(door)
    bg, bp = background(rng, src, dur, rt60, vol, force)
    y = y + bg
    p.update(bp)
    mic = force.get("mic", str(rng.choice(list(MICROPHONES), p=list(MICROPHONES.values()))))
    sr_out = int(force.get("sr", rng.choice(list(RATES), p=list(RATES.values()))))
    y, mp = mic_chain(y, rng, mic, sr_out)
    p.update(mp)
    codec = force.get("codec", str(rng.choice(list(CODECS), p=list(CODECS.values()))))
    p.update(sr=sr_out, codec=codec)
    return y, p


# ---------------------------------------------------------------- alarm kinds


def rec_len(rng, lo, hi):
    return float(rng.uniform(lo, hi))


def alarm_span(rng, dur):
    """When the alarm starts and stops (s) in a recording of ``dur`` s."""
    start = float(rng.uniform(0, 0.4 * dur)) if rng.random() < 0.5 else float(rng.uniform(0, 1.0))
    end = dur if rng.random() < 0.7 else float(rng.uniform(start + min(15, dur - start) * 0.9, dur))
    return start, end


VOICE_MESSAGES = (
    "Fire! Fire!",
    "Fire! Fire! Fire!",
    "Warning! Fire!",
    "Evacuate! Evacuate!",
    "Fire! Leave the building now!",
    "Warning! Smoke detected!",
)


def t3_alarm(rng, family, voice=False) -> Source:
    """A temporal-three alarm of ``family``; with ``voice``, its beeps and a message."""
    dur = rec_len(rng, 20, 80)
    start, end = alarm_span(rng, dur)
    tone, tp = alarm_tone(rng, family)
    n = int(dur * SR)
    if voice:
        return voice_alarm(rng, dur, start, end, tone, tp)
    ivs, sp = t3_schedule(rng, start, end)
    src = render(ivs, tone, n)
    return src, dur, ivs, {**tp, **sp}


def voice_alarm(rng, dur, start, end, tone, tp) -> Source:
    """Three beeps of ``tone``, a spoken message through a small horn, again and again."""
    n = int(dur * SR)
    msg = str(rng.choice(VOICE_MESSAGES))
    v = str(rng.choice(VOICES))
    vy = speak(msg, v, int(rng.integers(130, 170)), int(rng.integers(30, 60)))
    vy = np.tanh(2 * butter(vy, "bandpass", [450, 4000], 2) / 0.3) * 0.3  # small horn speaker
    vlevel = db(rng.uniform(-6, 3))
    j = 0.15
    on, off = 0.5 * (1 + rng.uniform(-j, j)), 0.5 * (1 + rng.uniform(-j, j))
    pre, post = rng.uniform(0.3, 1.0), rng.uniform(0.3, 1.5)
    src = np.zeros(n)
    ivs = []
    t = start
    while t + on <= end:
        for _ in range(3):
            if t + on > end:
                break
            ivs.append((t, t + on))
            t += on + off
        t += pre - off
        if t + len(vy) / SR > end:
            break
        place(src, vy * vlevel * 3, t)
        ivs.append((t, t + len(vy) / SR))  # the voice is part of the alarm sounding
        t += len(vy) / SR + post
    src += render([iv for iv in ivs if abs((iv[1] - iv[0]) - on) < 1e-6], tone, n)
    params = {
        **tp,
        "on": round(on, 3),
        "off": round(off, 3),
        "msg": msg,
        "voice": v,
        "voice_db": round(20 * np.log10(vlevel), 1),
    }
    return src, dur, ivs, params


def co_alarm(rng) -> Source:
    """A CO alarm's temporal-four: four 0.1 s beeps every 4-6 s."""
    dur = rec_len(rng, 20, 90)
    start, end = alarm_span(rng, dur)
    tone, tp = alarm_tone(rng, "piezo" if rng.random() < 0.8 else "speaker")
    on, off = 0.1 * (1 + rng.uniform(-0.2, 0.2)), 0.1 * (1 + rng.uniform(-0.2, 0.2))
    pause = float(rng.uniform(4.0, 6.0))
    ivs = []
    t = start
    while t + 4 * on + 3 * off <= end:
        for _ in range(4):
            ivs.append((t, t + on))
            t += on + off
        t += pause - off
    src = render(ivs, tone, int(dur * SR))
    return src, dur, ivs, {**tp, "on": round(on, 3), "off": round(off, 3), "pause": round(pause, 2)}


def continuous_alarm(rng) -> Source:
    dur = rec_len(rng, 20, 80)
    start, end = alarm_span(rng, dur)
    fam = str(rng.choice(["piezo", "piezo", "square520", "speaker"]))
    tone, tp = alarm_tone(rng, fam)
    src = np.zeros(int(dur * SR))
    y = tone(end - start)
    place(src, y, start)
    return src, dur, [(start, end)], tp


def t3_any_family(rng) -> Source:
    """A temporal-three alarm, half of them piezo horns."""
    return t3_alarm(rng, str(rng.choice(["piezo", "piezo", "speaker", "square520"])))


# ---------------------------------------------------------------- non-alarm kinds


def lowbat_chirp(rng) -> Source:
    """A low-battery chirp (or two) every 30-60 s."""
    dur = rec_len(rng, 60, 90)
    f0 = float(rng.uniform(3000, 4000))
    L = float(rng.uniform(0.03, 0.15))
    period = float(rng.uniform(30, 60))
    double = rng.random() < 0.3
    src = np.zeros(int(dur * SR))
    t = float(rng.uniform(1, period))
    while t < dur - 1:
        c = piezo(rng, L, f0)
        place(src, c, t)
        if double:
            place(src, c, t + L + 0.08)
        t += period * (1 + rng.uniform(-0.02, 0.02))
    params = dict(f0=round(f0), chirp_s=round(L, 3), period_s=round(period, 1), double=bool(double))
    return src, dur, [], params


def microwave(rng) -> Source:
    """Keypad beeps, the oven's hum, then its end beeps (once or twice)."""
    dur = rec_len(rng, 20, 75)
    n = int(dur * SR)
    src = np.zeros(n)
    f_key = float(
        rng.choice([rng.uniform(1800, 2500), rng.uniform(2500, 4000), rng.uniform(900, 1500)])
    )
    f_end = float(rng.choice([f_key, rng.uniform(2000, 4000), rng.uniform(1000, 2000)]))
    t = float(rng.uniform(0.5, 3))
    for _ in range(int(rng.integers(2, 6))):  # keypad
        place(
            src,
            square(rng.uniform(0.05, 0.15), f_key) * 0.4
            if rng.random() < 0.5
            else piezo(rng, rng.uniform(0.05, 0.15), f_key),
            t,
        )
        t += rng.uniform(0.3, 0.9)
    run = float(min(rng.uniform(10, 45), dur - t - 6))
    run = max(run, 3)
    hum_n = int(run * SR)
    tt = tvec(hum_n)
    hum = 0.05 * (
        np.sin(2 * np.pi * 120 * tt) + 0.5 * np.sin(2 * np.pi * 240 * tt)
    ) + 0.04 * butter(rng.standard_normal(hum_n), "bandpass", [100, 3000])
    place(src, fade(hum, 0.2, 0.2), t + 0.3)
    t += run + 0.5
    nb = int(rng.integers(3, 6))
    on, off = float(rng.uniform(0.2, 1.0)), float(rng.uniform(0.2, 0.8))
    reps = 1 if rng.random() < 0.6 else 2
    for _ in range(reps):
        for _ in range(nb):
            place(src, piezo(rng, on, f_end) if rng.random() < 0.6 else square(on, f_end) * 0.5, t)
            t += on + off
        t += rng.uniform(8, 20)
    params = dict(
        f_key=round(f_key),
        f_end=round(f_end),
        n_end=nb,
        end_on=round(on, 2),
        end_off=round(off, 2),
        reps=reps,
    )
    return src, dur, [], params


def bell(rng, dur, f1, f2):
    """Two-gong bell struck by a clapper at ~20 Hz."""
    n = int(dur * SR)
    y = np.zeros(n)
    rate = rng.uniform(17, 25)
    ratios = [1.0, 2.76, 5.4, 8.93]
    k = 0
    t = 0
    while t < dur:
        f = f1 if k % 2 == 0 else f2
        L = int(0.6 * SR)
        st = sum(
            np.sin(2 * np.pi * f * r * tvec(L)) * np.exp(-tvec(L) * (3 + 2 * r)) * (0.8**i)
            for i, r in enumerate(ratios)
        )
        place(y, st, t)
        k += 1
        t += 1 / rate
    return y[:n] / (np.max(np.abs(y[:n])) + 1e-9)


#: A telephone's ring cadences: (ring s, silence s), repeated.
CADENCES = {"uk": ((0.4, 0.2), (0.4, 2.0)), "us": ((2.0, 4.0),), "eu": ((1.0, 4.0),)}


def cadence(style, dur, start=0.5):
    """The (start, end) times of the rings of ``style``, from ``start`` until ``dur`` s."""
    ivs = []
    t = start
    while t < dur:
        for a, b in CADENCES[style]:
            ivs.append((t, t + a))
            t += a + b
    return [iv for iv in ivs if iv[1] < dur]


def phone_bell(rng) -> Source:
    dur = rec_len(rng, 20, 60)
    style = str(rng.choice(list(CADENCES)))
    f1 = float(rng.uniform(600, 1200))
    f2 = f1 * rng.uniform(1.1, 1.3)
    ivs = cadence(style, dur - 0.5, rng.uniform(0.5, 5))
    src = np.zeros(int(dur * SR))
    for a, b in ivs:
        place(src, fade(bell(rng, b - a, f1, f2), 0.001, 0.05), a)
    return src, dur, [], dict(style=style, f1=round(f1), f2=round(f2))


def phone_electronic(rng) -> Source:
    """An electronic ringer: a trill between two tones, in a telephone cadence."""
    dur = rec_len(rng, 20, 60)
    style = str(rng.choice(list(CADENCES)))
    fa = float(rng.uniform(800, 3000))
    fb = fa * rng.uniform(1.15, 1.4)
    rate = float(rng.uniform(12, 25))
    ivs = cadence(style, dur - 0.5, rng.uniform(0.5, 5))
    src = np.zeros(int(dur * SR))
    for a, b in ivs:
        L = int((b - a) * SR)
        tt = tvec(L)
        sel = (np.floor(tt * rate * 2) % 2).astype(bool)
        f = np.where(sel, fb, fa)
        y = bandlimited_square(osc(f), fb) if rng.random() < 0.5 else np.sin(osc(f))
        place(src, fade(butter(y, "lowpass", 6000) * 0.5), a)
    return src, dur, [], dict(style=style, fa=round(fa), fb=round(fb), trill_hz=round(rate, 1))


def marimba(rng, f, L):
    tt = tvec(int(L * SR))
    return (
        np.sin(2 * np.pi * f * tt)
        + 0.4 * np.sin(2 * np.pi * 4 * f * tt) * np.exp(-tt * 20)
        + 0.2 * np.sin(2 * np.pi * 10 * f * tt) * np.exp(-tt * 40)
    ) * np.exp(-tt * rng.uniform(3, 8))


def ringtone(rng) -> Source:
    """A phone's melody, or (35%) the phone vibrating on a table."""
    dur = rec_len(rng, 20, 60)
    src = np.zeros(int(dur * SR))
    if rng.random() < 0.35:
        return vibrating_phone(rng, dur, src)
    base = float(rng.uniform(400, 900))
    scale = [0, 2, 4, 5, 7, 9, 11, 12, 14, 16]
    motif = [
        (int(rng.choice(scale)), float(rng.choice([0.125, 0.25, 0.25, 0.5])))
        for _ in range(int(rng.integers(5, 12)))
    ]
    tempo = float(rng.uniform(0.8, 1.3))
    t = rng.uniform(0.5, 3)
    while t < dur - 1:
        for semi, L in motif:
            f = base * 2 ** (semi / 12)
            place(src, marimba(rng, f, 0.6) + 0.3 * marimba(rng, 2 * f, 0.6), t)
            t += L * tempo
        t += rng.uniform(0.2, 1.0)
    params = dict(sub="melodic", base=round(base), motif_len=len(motif), tempo=round(tempo, 2))
    return src, dur, [], params


def vibrating_phone(rng, dur, src) -> Source:
    fb = float(rng.uniform(140, 260))
    on, off = float(rng.uniform(0.4, 1.0)), float(rng.uniform(0.4, 1.5))
    t = rng.uniform(0.5, 3)
    while t < dur - on:
        L = int(on * SR)
        tt = tvec(L)
        buzz = np.sign(np.sin(2 * np.pi * fb * tt)) * 0.3 + butter(
            rng.standard_normal(L), "bandpass", [fb, 4000]
        ) * 0.3 * (np.sin(2 * np.pi * fb * tt) > 0.8)
        place(src, fade(buzz, 0.02, 0.02), t)
        t += on + off
    return src, dur, [], dict(sub="vibrate", f=round(fb), on=round(on, 2), off=round(off, 2))


def kettle(rng) -> Source:
    """A kettle boiling, then whistling for 10-30 s."""
    dur = rec_len(rng, 25, 70)
    n = int(dur * SR)
    src = np.zeros(n)
    # boiling rumble
    boil = (
        butter(rng.standard_normal(n), "bandpass", [100, 2500]) * 0.03 * np.clip(tvec(n) / 10, 0, 1)
    )
    src += boil
    ws = float(rng.uniform(2, min(20, dur - 12)))
    wl = float(min(rng.uniform(10, 30), dur - ws))
    style = str(rng.choice(["glide", "steady", "vibrato", "two_tone"]))
    f_end = float(rng.uniform(1800, 4000))
    L = int(wl * SR)
    tt = tvec(L)
    if style == "glide":
        f = f_end * (0.5 + 0.5 * (1 - np.exp(-tt / rng.uniform(1, 4))))
    else:
        f = f_end * (1 + 0.03 * (1 - np.exp(-tt / 1.0)))
    if style == "vibrato":
        f = f * (1 + rng.uniform(0.01, 0.04) * np.sin(2 * np.pi * rng.uniform(4, 9) * tt))
    f = f * (1 + 0.005 * np.cumsum(rng.standard_normal(L)) / np.sqrt(SR) * 10)
    amp = np.clip(tt / rng.uniform(0.5, 3), 0, 1) * (
        1 + 0.2 * butter(rng.standard_normal(L), "lowpass", 8)
    )
    y = np.sin(osc(f)) * amp
    if style == "two_tone":
        y += 0.7 * np.sin(osc(f * rng.uniform(1.02, 1.08))) * amp
    breath = butter(rng.standard_normal(L), "bandpass", [1000, 8000]) * 0.15 * amp
    place(src, fade(0.3 * (y + breath), 0.1, 0.5), ws)
    params = dict(
        style=style, f_end=round(f_end), whistle_s=round(wl, 1), whistle_start=round(ws, 1)
    )
    return src, dur, [], params


def reversing(rng) -> Source:
    """A truck's engine and its reversing beeper: a 1-1.2 kHz tone or (35%) white noise."""
    dur = rec_len(rng, 20, 60)
    n = int(dur * SR)
    src = np.zeros(n)
    white = rng.random() < 0.35
    f0 = float(rng.uniform(1000, 1200))
    on = 0.5 * (1 + rng.uniform(-0.2, 0.2))
    off = 0.5 * (1 + rng.uniform(-0.2, 0.2))
    engine = brown(rng, n) * 0.1 + 0.1 * np.sin(osc(np.full(n, rng.uniform(25, 45)))) ** 3
    src += butter(engine, "lowpass", 800)
    t = float(rng.uniform(0, 5))
    stop = float(rng.uniform(dur * 0.6, dur))
    while t + on < stop:
        L = int(on * SR)
        if white:
            y = butter(rng.standard_normal(L), "bandpass", [400, rng.uniform(4000, 8000)])
            y /= rms(y)
        else:
            ph = osc(np.full(L, f0))
            y = bandlimited_square(ph, f0) * 0.7 + 0.3 * np.sin(ph)
        place(src, fade(y * 0.3, 0.005, 0.01), t)
        t += on + off
    return src, dur, [], dict(white=bool(white), f0=round(f0), on=round(on, 3), off=round(off, 3))


def speech(rng) -> Source:
    """One to three speakers; 40% as on television, band-limited over music."""
    dur = rec_len(rng, 20, 60)
    ns = int(rng.integers(1, 4))
    y, v = speech_track(rng, dur, ns, (0.1, 1.0))
    tv = rng.random() < 0.4
    if tv:
        y = butter(y, "bandpass", [150, 6000]) + 0.2 * music_pad(rng, dur) * rms(y)
    return y, dur, [], dict(speakers=ns, voices=v, tv=bool(tv))


def chords(rng, dur):
    """Organ-like held chords with upper partials."""
    y = music_pad(rng, dur)
    y += 0.5 * butter(y, "highpass", 1000)
    return y


def melody(rng, dur, style):
    """A flute's (1-2 kHz) or strings' (0.4-1.2 kHz) notes with vibrato, over chords."""
    y = np.zeros(int(dur * SR))
    base = rng.uniform(1000, 2000) if style == "flute" else rng.uniform(400, 1200)
    t = 0
    while t < dur:
        L = float(rng.choice([0.5, 1, 1.5, 2, 3]))
        f = base * 2 ** (int(rng.choice([0, 2, 4, 5, 7, 9, 11, 12, 14])) / 12)
        tt = tvec(int(L * SR))
        vib = 1 + rng.uniform(0.005, 0.015) * np.sin(
            2 * np.pi * rng.uniform(4.5, 6.5) * tt
        ) * np.clip(tt / 0.3, 0, 1)
        ph = osc(f * vib)
        if style == "flute":
            note = (
                np.sin(ph)
                + 0.2 * np.sin(2 * ph)
                + 0.05
                * butter(rng.standard_normal(len(tt)), "bandpass", [f * 0.8, min(f * 1.2, 20000)])
            )
        else:
            note = sum(np.sin(k * ph) / k for k in range(1, 12))
        place(y, fade(note, 0.08, 0.1), t)
        t += L
    y += 0.3 * music_pad(rng, dur) * rms(y)
    return y


def pop(rng, dur):
    """Drums, bass and chords, and a sawtooth lead, at 90-135 beats per minute."""
    bpm = rng.uniform(90, 135)
    beat = 60 / bpm
    y = 0.5 * music_pad(rng, dur)
    kick_t = tvec(int(0.3 * SR))
    kick = np.sin(2 * np.pi * (50 + 100 * np.exp(-kick_t * 30)) * kick_t) * np.exp(-kick_t * 12)
    t = 0
    i = 0
    while t < dur:
        if i % 2 == 0:
            place(y, 2 * kick, t)
        else:
            sn = butter(rng.standard_normal(int(0.2 * SR)), "bandpass", [200, 8000]) * np.exp(
                -tvec(int(0.2 * SR)) * 20
            )
            place(y, 1.5 * sn, t)
        for h in (0, 0.5):
            hh = butter(rng.standard_normal(int(0.05 * SR)), "highpass", 6000) * np.exp(
                -tvec(int(0.05 * SR)) * 80
            )
            place(y, 0.6 * hh, t + h * beat)
        t += beat
        i += 1
    lead_f = rng.uniform(600, 1500)
    t = 0
    while t < dur:
        L = beat * float(rng.choice([0.5, 1, 2]))
        f = lead_f * 2 ** (int(rng.choice([0, 2, 4, 7, 9, 12])) / 12)
        tt = tvec(int(L * SR))
        lead = signal.sawtooth(osc(np.full(len(tt), f))) * np.exp(-tt * 2)
        place(y, 0.5 * fade(lead, 0.01, 0.05), t)
        t += L
    return y


def music(rng) -> Source:
    dur = rec_len(rng, 20, 70)
    style = str(rng.choice(["chords", "flute", "strings", "pop"]))
    if style == "chords":
        y = chords(rng, dur)
    elif style in ("flute", "strings"):
        y = melody(rng, dur, style)
    else:
        y = pop(rng, dur)
    return y, dur, [], dict(style=style)


def ambience(rng) -> Source:
    """No source: a constant 1e-6 that the background is levelled to (0 dB below), before
    the microphone normalises the recording."""
    dur = rec_len(rng, 20, 60)
    return np.full(int(dur * SR), 1e-6), dur, [], {}


# ---------------------------------------------------------------- the set


class Kind(NamedTuple):
    label: int  # 1: holds an alarm
    count: int
    source: Callable[[np.random.Generator], Source]


#: The kinds in the order their seeds are numbered.
KINDS = {
    "piezo_t3": Kind(1, 20, lambda rng: t3_alarm(rng, "piezo")),
    "square520_t3": Kind(1, 18, lambda rng: t3_alarm(rng, "square520")),
    "speaker_t3": Kind(1, 18, lambda rng: t3_alarm(rng, "speaker")),
    "voice_t3": Kind(
        1,
        18,
        lambda rng: t3_alarm(rng, str(rng.choice(["piezo", "speaker", "square520"])), voice=True),
    ),
    "co_t4": Kind(1, 18, co_alarm),
    "continuous": Kind(1, 18, continuous_alarm),
    "other_room": Kind(1, 18, t3_any_family),
    "phone_far": Kind(1, 18, t3_any_family),
    "lowbat_chirp": Kind(0, 18, lowbat_chirp),
    "microwave": Kind(0, 18, microwave),
    "phone_bell": Kind(0, 14, phone_bell),
    "phone_electronic": Kind(0, 14, phone_electronic),
    "ringtone": Kind(0, 14, ringtone),
    "kettle": Kind(0, 18, kettle),
    "reversing": Kind(0, 18, reversing),
    "speech": Kind(0, 18, speech),
    "music": Kind(0, 18, music),
    "ambience": Kind(0, 12, ambience),
}


def forced_chain(kind, rng):
    """The chain parameters ``kind`` sets, drawn after its source."""
    if kind == "phone_far":  # an alarm filmed on a phone, far away, uploaded
        return {
            "mic": "phone",
            "dist": float(rng.uniform(2, 10)),
            "sr": int(rng.choice([8000, 11025, 16000])),
            "codec": str(rng.choice(["mp3", "aac", "mp3_32k"])),
            "bg": str(rng.choice(["tv", "kitchen", "street", "hvac"])),
            "bg_snr_1m": float(rng.uniform(18, 35)),
        }
    if kind == "other_room":
        return {"other_room": True}
    if kind in ("speech", "music"):  # in the room, 1-4 m away
        return {"other_room": False, "dist": float(rng.uniform(1, 4))}
    force = {"bg_snr_1m": 0.0} if kind == "ambience" else {}
    if KINDS[kind].label == 0:  # 10% from another room (alarms: 15%)
        force["other_room"] = bool(rng.random() < 0.1)
    return force


def render_recording(kind, index, seed, work: Path) -> dict:
    """Render recording ``index`` of ``kind`` from ``seed`` under ``work``/``kind``; its
    manifest entry."""
    rng = np.random.default_rng(seed)
    src, dur, ivs, sp = KINDS[kind].source(rng)
    y, cp = acoustic(rng, src, dur, forced_chain(kind, rng))
    name = f"{kind}_{index:03d}"
    (work / kind).mkdir(parents=True, exist_ok=True)
    path = export(y, cp["sr"], cp["codec"], work / kind / name)
    truth = [[round(a, 3), round(b, 3)] for a, b in ivs]
    return dict(
        file=path.relative_to(work).as_posix(),
        name=name,
        kind=kind,
        label=KINDS[kind].label,
        seed=int(seed),
        duration=round(dur, 2),
        alarm_start=truth[0][0] if truth else None,
        alarm_end=truth[-1][1] if truth else None,
        n_sounding=len(truth),
        source=sp,
        chain=cp,
    )


def render_set(args: argparse.Namespace) -> list[dict]:
    """Render the recordings ``args`` choose; their manifest entries, sorted by name."""
    entries = []
    for kind_index, (kind, spec) in enumerate(KINDS.items()):
        names = [f"{kind}_{i:03d}" for i in range(spec.count)]
        indices = [i for i in range(spec.count) if args.only in (None, names[i])]
        if kind not in args.kinds or not indices:
            continue
        print(f"rendering {kind} ({len(indices)})", file=sys.stderr)
        for index in indices:
            seed = args.seed * RUN_SEED_STEP + kind_index * KIND_SEED_STEP + index
            entries.append(render_recording(kind, index, seed, args.work))
    return sorted(entries, key=lambda entry: entry["name"])


# ---------------------------------------------------------------- scoring


def found(entry: dict, result: dict) -> bool:
    """Whether an event overlaps the time the alarm of ``entry`` sounds."""
    start, end = entry["alarm_start"], entry["alarm_end"]
    return any(e["start"] < end and e["end"] > start for e in result["events"])


def counted(entry: dict, result: dict) -> bool:
    """What the tables count: an alarm recording found, a non-alarm one raising an alarm."""
    return found(entry, result) if entry["label"] else bool(result["alarm"])


#: Microwaves are split by their end beeps' frequency (Hz).
MICROWAVE_SPLIT_HZ = 2000
#: The make of each non-alarm kind whose false alarms depend most on it.
SUBTYPES: dict[str, Callable[[dict], str]] = {
    "kettle": lambda source: source["style"],
    "phone_bell": lambda source: source["style"],  # the ring cadence
    "microwave": lambda source: (
        "below 2 kHz" if source["f_end"] < MICROWAVE_SPLIT_HZ else "2-4 kHz"
    ),
    "reversing": lambda source: "white" if source["white"] else "tonal",
    "music": lambda source: source["style"],
    "ringtone": lambda source: source["sub"],
}


#: Each kind's recordings: (manifest entry, detect's result).
Rows = dict[str, list[tuple[dict, dict]]]


def by_subtype(kind: str, rows: Rows) -> str:
    """How many of each make of ``kind`` are counted, e.g. "eu 2/5, uk 3/5, us 2/4"."""
    groups = defaultdict(list)
    for entry, result in rows[kind]:
        groups[SUBTYPES[kind](entry["source"])].append(counted(entry, result))
    return ", ".join(f"{make} {sum(hits)}/{len(hits)}" for make, hits in sorted(groups.items()))


def print_counts(model: Path, rows: Rows) -> None:
    """Per kind and in all, alarm recordings found and non-alarm ones raising an alarm."""
    for label, title in (
        (1, "alarm recordings found"),
        (0, "non-alarm recordings raising an alarm"),
    ):
        kinds = [kind for kind in KINDS if kind in rows and KINDS[kind].label == label]
        if not kinds:
            continue
        print(f"{model}: {title}")
        for kind in kinds:
            hits = sum(counted(entry, result) for entry, result in rows[kind])
            subtypes = f"  {by_subtype(kind, rows)}" if kind in SUBTYPES else ""
            print(f"  {kind:<17} {hits:>3} of {len(rows[kind]):<3}{subtypes}".rstrip())
        every = [counted(entry, result) for kind in kinds for entry, result in rows[kind]]
        print(f"  {'all':<17} {sum(every):>3} of {len(every)}")


def chain_summary(chain: dict) -> str:
    where = f"another room, door {chain['door']}" if chain["other_room"] else "same room"
    return (
        f"{chain['codec']} {chain['sr']} Hz, {chain['mic']} mic"
        + (" clipped" if chain.get("clipped") else "")
        + f", {chain['dist_m']} m, {where}, RT60 {chain['rt60']} s"
        + f", {chain['bg']} {chain['bg_snr_1m_db']:.0f} dB below"
    )


def failure_line(entry: dict, result: dict) -> str:
    """A missed alarm or a false alarm: file, kind, source and chain, events."""
    source = " ".join(f"{key}={value}" for key, value in entry["source"].items())
    events = ", ".join(
        f"{e['start']:.0f}-{e['end']:.0f} s ({e['confidence']:.2f})" for e in result["events"]
    )
    truth = f"alarm {entry['alarm_start']}-{entry['alarm_end']} s; " if entry["label"] else ""
    verdict = "missed" if entry["label"] else "false alarm"
    return (
        f"{verdict}: {entry['file']} ({entry['kind']}) {source}; {chain_summary(entry['chain'])}"
        f"; {truth}events: {events or 'none'}"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=Path("models/default"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/sounddetect-independent-sounds"))
    parser.add_argument("--kinds", nargs="+", choices=tuple(KINDS), default=list(KINDS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", help="render and detect on one recording, e.g. kettle_006")
    parser.add_argument(
        "--detect-option",
        action="append",
        default=[],
        help="passed on to sounddetect detect, e.g. --detect-option=--hop=4",
    )
    args = parser.parse_args(argv)
    names = {f"{kind}_{i:03d}" for kind, spec in KINDS.items() for i in range(spec.count)}
    if args.only is not None and args.only not in names:
        parser.error(f"--only: no recording is named {args.only}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    missing = [tool for tool in ("espeak-ng", "ffmpeg") if shutil.which(tool) is None]
    if missing:
        print(f"missing: {', '.join(missing)} (apt-get install espeak-ng ffmpeg)", file=sys.stderr)
        return 2
    entries = render_set(args)
    args.work.mkdir(parents=True, exist_ok=True)
    with open(args.work / "manifest.jsonl", "w") as manifest:
        manifest.writelines(json.dumps(entry) + "\n" for entry in entries)
    paths = [args.work / entry["file"] for entry in entries]
    detected = run_detect(paths, model=args.model, options=args.detect_option)
    if len(detected) != len(paths):
        print(f"detect returned {len(detected)} results for {len(paths)} recordings")
        return 1
    results = {Path(r["file"]).stem: r for r in detected}
    rows = defaultdict(list)
    for entry in entries:
        rows[entry["kind"]].append((entry, results[entry["name"]]))
    print_counts(args.model, rows)
    for kind in KINDS:
        for entry, result in rows.get(kind, []):
            if counted(entry, result) != bool(entry["label"]):
                print(failure_line(entry, result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
