"""Decoding through ffmpeg, for the recordings libsndfile cannot read.

Phones save voice memos as AAC in MP4/M4A, cameras and browsers write MP4 and WebM, and
Windows recorders write WMA: formats libsndfile does not decode. When an ``ffmpeg`` and an
``ffprobe`` executable are at hand (Debian's ``ffmpeg`` package, or a Lambda layer's
``/opt/bin``), :mod:`sounddetect.audio` decodes them through ffmpeg instead of refusing them.
Only the standard library and numpy: this module runs inside the Lambda.

find_ffmpeg      -- the ffmpeg and ffprobe executables to use, or None
probe_audio      -- rate, channels, length and codec of a file's first audio stream
iter_pcm_blocks  -- that stream as float32 blocks at its own rate and channel count

The environment variable ``SOUNDDETECT_FFMPEG`` chooses: unset, ``ffmpeg`` and ``ffprobe``
are looked up on ``PATH``; ``off`` (or empty) turns the fallback off; anything else is the
path of the ffmpeg executable, with ffprobe beside it (a ParameterError when either is not
an executable file there).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sounddetect.exceptions import AudioError, ParameterError

#: The environment variable that chooses the ffmpeg executable (see the module's docstring).
FFMPEG_ENV = "SOUNDDETECT_FFMPEG"
#: Values of :data:`FFMPEG_ENV` that turn decoding through ffmpeg off.
_OFF = ("", "off", "none", "0")
#: ffprobe reads the container's header only; a minute is for a very slow network disk.
_PROBE_TIMEOUT_S = 60.0
#: ffprobe's names of containers whose length it estimates rather than reads: raw streams
#: (ADTS AAC, AMR, ...) have no index, so it comes from the bitrate (62.9 s for a 60 s ADTS
#: file at 128 kbit/s); an AVI's audio length it takes from packet timings (6.145 or 6.789 s
#: for 6 s of 8 kHz mu-law, whose 48,000 frames it counts right).
_ESTIMATED_LENGTH = {"aac", "amr", "ac3", "eac3", "mp3", "avi"}


@dataclass(frozen=True)
class FFmpeg:
    """Paths of the two executables."""

    ffmpeg: str
    ffprobe: str


@dataclass(frozen=True)
class StreamInfo:
    """What ffprobe says of a file's first audio stream.

    Attributes
    ----------
    sr : int
        Sample rate in Hz.
    channels : int
    duration : float or None
        Length in seconds (the stream's, else the container's); None when neither says, or
        when ffprobe only estimates it (a raw stream, an AVI).
    codec, container : str
        ffmpeg's names, e.g. ``"aac"`` and ``"mov,mp4,m4a,3gp,3g2,mj2"``.
    audio_streams : int
        Audio streams in the file (a video's second language, a recorder's second
        microphone); only the first is decoded.
    """

    sr: int
    channels: int
    duration: float | None
    codec: str
    container: str
    audio_streams: int = 1


def find_ffmpeg() -> FFmpeg | None:
    """The executables :data:`FFMPEG_ENV` chooses, or None when it is off, or unset and they
    are not on ``PATH``.

    Returns
    -------
    FFmpeg or None

    Raises
    ------
    ParameterError
        :data:`FFMPEG_ENV` names an ffmpeg that is not an executable file (missing, a folder,
        not executable), or one without an executable ffprobe beside it: a setting to fix,
        which silently decoding without ffmpeg would hide.
    """
    setting = os.environ.get(FFMPEG_ENV)
    if setting is None:
        ffmpeg, ffprobe = shutil.which("ffmpeg"), shutil.which("ffprobe")
        return None if ffmpeg is None or ffprobe is None else FFmpeg(ffmpeg, ffprobe)
    if setting.strip().lower() in _OFF:
        return None
    ffmpeg = shutil.which(setting)
    ffprobe_path = str(Path(setting).with_name("ffprobe"))
    ffprobe = shutil.which(ffprobe_path)
    if ffmpeg is None:
        raise ParameterError(
            f"{FFMPEG_ENV}={setting}: {_unusable(setting)}; set it to the ffmpeg executable "
            "(with ffprobe beside it), or to off"
        )
    if ffprobe is None:
        raise ParameterError(
            f"{FFMPEG_ENV}={setting}: no ffprobe beside it ({ffprobe_path}: "
            f"{_unusable(ffprobe_path)})"
        )
    return FFmpeg(ffmpeg=ffmpeg, ffprobe=ffprobe)


def how_to_enable_ffmpeg() -> str:
    """What to do so that ffmpeg decodes, in words for an error message: unset
    :data:`FFMPEG_ENV` when it turns ffmpeg off, deploy a layer in a Lambda function
    (``AWS_LAMBDA_FUNCTION_NAME`` is set), else install it."""
    setting = os.environ.get(FFMPEG_ENV)
    if setting is not None and setting.strip().lower() in _OFF:
        return f"unset {FFMPEG_ENV} (set to {setting!r}, it turns ffmpeg off)"
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return "deploy with FfmpegLayerArn, a layer holding ffmpeg"
    return "install ffmpeg"


def _unusable(path: str) -> str:
    """Why ``shutil.which`` found no executable at ``path``."""
    if os.path.isdir(path):
        return "a folder"
    return "not executable" if os.path.exists(path) else "not found"


def probe_audio(path: str | os.PathLike, tools: FFmpeg, *, name: str) -> StreamInfo:
    """Describe the first audio stream of ``path`` with ffprobe.

    Parameters
    ----------
    path : path-like
    tools : FFmpeg
    name : str
        Named in errors.

    Returns
    -------
    StreamInfo

    Raises
    ------
    AudioError
        ffprobe cannot read the file, the file holds no audio stream (a silent video), or
        its stream is of a codec ffmpeg does not know.
    """
    command = [
        tools.ffprobe,
        *("-v", "error", "-of", "json"),
        *("-show_entries", "stream=codec_type,codec_name,codec_tag,sample_rate,channels,duration"),
        *("-show_entries", "stream_tags:stream_disposition=attached_pic"),
        *("-show_entries", "format=format_name,duration"),
        f"file:{os.fspath(path)}",
    ]
    try:
        done = subprocess.run(command, capture_output=True, timeout=_PROBE_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AudioError(f"{name}: ffprobe failed ({exc})") from exc
    if done.returncode != 0:
        reason = _last_line(done.stderr, path=path)
        raise AudioError(f"{name}: not readable audio (ffprobe: {reason})")
    found = json.loads(done.stdout or b"{}")
    container = found.get("format", {})
    every = found.get("streams") or []
    streams = [stream for stream in every if stream.get("codec_type") == "audio"]
    if not streams:
        raise AudioError(f"{name}: no audio stream (ffprobe found none)")
    stream = streams[0]
    if not stream.get("codec_name"):
        # a stream of a codec ffmpeg does not know, as a WAV's unknown format tag
        raise AudioError(
            f"{name}: unsupported codec (format tag {stream.get('codec_tag', 'unknown')}, "
            "which ffmpeg does not know); convert it to WAV, FLAC, OGG or MP3"
        )
    sr, channels = int(stream.get("sample_rate") or 0), int(stream.get("channels") or 0)
    if sr <= 0 or channels <= 0:
        raise AudioError(f"{name}: no usable audio stream ({sr} Hz, {channels} channels)")
    # Matroska (MKV, WebM) gives a stream's length only in a tag, when its writer put one
    # there; the container's is the longest stream's, a video's that may outlast the sound.
    duration = _seconds(stream.get("duration"))
    matroska = str(container.get("format_name")).startswith("matroska")
    if duration is None and matroska:
        duration = _tagged_seconds(stream.get("tags") or {})
    has_video = any(
        other.get("codec_type") == "video"
        and not (other.get("disposition") or {}).get("attached_pic")  # cover art
        for other in every
    )
    if duration is None and not (matroska and has_video):
        duration = _seconds(container.get("duration"))
    if container.get("format_name") in _ESTIMATED_LENGTH:
        duration = None
    return StreamInfo(
        sr=sr,
        channels=channels,
        duration=duration,
        codec=str(stream.get("codec_name", "unknown")),
        container=str(container.get("format_name", "unknown")),
        audio_streams=len(streams),
    )


def iter_pcm_blocks(
    path: str | os.PathLike,
    tools: FFmpeg,
    *,
    sr: int,
    channels: int,
    block_frames: int,
    name: str,
) -> Iterator[np.ndarray]:
    """Decode the first audio stream of ``path`` through an ffmpeg process, block by block.

    The stream is decoded at its own rate and channel count (``sr`` and ``channels`` as
    :func:`probe_audio` reads them), so mixing down and resampling stay the same code for
    every format. Memory stays bounded by one block; the process is ended when the caller
    stops early.

    Parameters
    ----------
    path : path-like
    tools : FFmpeg
    sr : int
        The stream's rate in Hz.
    channels : int
        The stream's channel count.
    block_frames : int > 0
        Samples per channel per block.
    name : str
        Named in errors.

    Yields
    ------
    block : np.ndarray [shape=(n, channels), dtype=float32]
        Consecutive non-empty blocks of ``block_frames`` (the last may be shorter).

    Raises
    ------
    AudioError
        ffmpeg cannot start, or stops with an error (a corrupt stream).
    """
    command = [
        tools.ffmpeg,
        *("-nostdin", "-v", "error", "-i", f"file:{os.fspath(path)}", "-map", "0:a:0"),
        *("-f", "f32le", "-c:a", "pcm_f32le", "-ar", str(sr), "-ac", str(channels), "pipe:1"),
    ]
    frame_bytes = 4 * channels
    n_read = 0
    # stderr goes to a file: a pipe nobody reads could fill and stall the decoder.
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors)
        except OSError as exc:
            raise AudioError(f"{name}: ffmpeg failed to start ({exc})") from exc
        try:
            while data := process.stdout.read(block_frames * frame_bytes):
                usable = len(data) - len(data) % frame_bytes
                block = np.frombuffer(data[:usable], dtype="<f4").reshape(-1, channels)
                n_read += len(block)
                if len(block):
                    yield block
        finally:
            process.stdout.close()
            if process.poll() is None:
                process.kill()
            process.wait()
        if process.returncode != 0:
            errors.seek(0)
            raise AudioError(
                f"{name}: truncated or corrupt after {n_read / sr:.3f} s "
                f"(ffmpeg: {_last_line(errors.read(), path=path)})"
            )


def _seconds(value: object) -> float | None:
    try:
        seconds = float(value)  # ffprobe writes "N/A" when it does not know
    except (TypeError, ValueError):
        return None
    return seconds if np.isfinite(seconds) and seconds >= 0 else None


def _tagged_seconds(tags: dict[str, str]) -> float | None:
    """The seconds of a Matroska stream's ``DURATION`` tag (``DURATION-eng`` as some writers
    name it), ``"00:00:30.000000000"``; None without one."""
    for key, value in tags.items():
        if re.fullmatch(r"DURATION(-\w+)?", key.upper()):
            return _clock_seconds(value)
    return None


def _clock_seconds(value: object) -> float | None:
    """Seconds of ``"HH:MM:SS.fraction"``; None for anything else."""
    hours, _, rest = str(value).partition(":")
    minutes, _, seconds = rest.partition(":")
    try:
        total = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    except ValueError:
        return None
    return total if np.isfinite(total) and total >= 0 else None


def _last_line(stderr: bytes, *, path: str | os.PathLike) -> str:
    """The last line ffmpeg or ffprobe wrote, without the file name the caller names."""
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    if not lines:
        return "no message"
    return lines[-1].strip().removeprefix(f"file:{os.fspath(path)}: ")
