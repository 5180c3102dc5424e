"""Analytic test signals: T3 smoke-alarm tones, noise, silence; writing them as WAV, or
through ffmpeg in the formats libsndfile cannot write, or as a recorder that died leaves a WAV."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf


def tone(duration_s: float, *, sr: int, freq_hz: float = 3100.0, amplitude: float = 0.5):
    """A sine, float32."""
    t = np.arange(int(round(duration_s * sr))) / sr
    return (amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def plant_room(duration_s: float, *, sr: int, rng: np.random.Generator):
    """A machine's steady 3.4 kHz whine over a room's noise (a variable-frequency drive),
    and a temporal-three alarm of that tone in the same noise, float32."""
    room = noise(duration_s, sr=sr, rng=rng, amplitude=0.02)
    whine = room + tone(duration_s, sr=sr, freq_hz=3400.0, amplitude=0.1)
    return whine, room + t3_alarm(duration_s, sr=sr, freq_hz=3400.0, amplitude=0.1)


def t3_alarm(duration_s: float, *, sr: int, freq_hz: float = 3100.0, amplitude: float = 0.5):
    """A temporal-three smoke alarm: three 0.5 s beeps 0.5 s apart, then 1.5 s pause."""
    y = tone(duration_s, sr=sr, freq_hz=freq_hz, amplitude=amplitude)
    t = np.arange(len(y)) / sr
    phase = t % 4.0
    on = (phase < 2.5) & ((phase % 1.0) < 0.5)
    return (y * on).astype(np.float32)


def noise(duration_s: float, *, sr: int, rng: np.random.Generator, amplitude: float = 0.1):
    """White Gaussian noise, float32."""
    return (amplitude * rng.standard_normal(int(round(duration_s * sr)))).astype(np.float32)


def dominant_frequency(y, sr: int) -> float:
    """The frequency (Hz) of the strongest bin of ``y``'s Hann-windowed spectrum."""
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return float(np.fft.rfftfreq(len(y), 1 / sr)[np.argmax(spectrum)])


def write_wav(path, y, sr: int, *, subtype: str | None = None, extensible: bool = False) -> Path:
    """Write ``y`` (``(n,)`` or ``(n, channels)``) as WAV (WAVE_EXTENSIBLE, as ffmpeg writes
    24-bit, float and multichannel audio, with ``extensible``) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, y, sr, subtype=subtype, format="WAVEX" if extensible else "WAV")
    return path


def encode_with_ffmpeg(path, y, sr: int, *codec: str) -> Path:
    """Write ``y`` to ``path`` through Debian's ffmpeg with the ``codec`` options (e.g.
    ``"-c:a", "aac", "-b:a", "64k"``): the formats libsndfile cannot write."""
    path = Path(path)
    wav = write_wav(path.with_name(path.name + ".source.wav"), y, sr, subtype="FLOAT")
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), *codec, f"file:{path}"]
    subprocess.run(command, check=True)
    wav.unlink()
    return path


def left_unclosed(
    wav: bytes, *, riff_size: int = 0, data_size: int = 0, keep_bytes: int | None = None
) -> bytes:
    """``wav`` as a recorder that never closed it leaves it: placeholder sizes in the header
    (0 by default) and only the first ``keep_bytes`` of its audio written (all by default)."""
    out, offset = bytearray(wav), 12
    while out[offset : offset + 4] != b"data":
        offset += 8 + struct.unpack("<I", out[offset + 4 : offset + 8])[0]
    out[4:8] = struct.pack("<I", riff_size)
    out[offset + 4 : offset + 8] = struct.pack("<I", data_size)
    return bytes(out if keep_bytes is None else out[: offset + 8 + keep_bytes])
