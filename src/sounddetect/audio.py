"""Audio input: decoding, validation, resampling and mono mix-down.

Only numpy, soundfile and soxr: this module runs inside the Lambda. What libsndfile cannot
decode (MP4/M4A, AAC, WMA, AMR, WebM, CAF with Apple Lossless, Ogg with Speex) goes through
ffmpeg when it is installed (:mod:`sounddetect.ffmpeg`).

Decoding
    audio_info          -- sample rate, length and format of a file, or a clear AudioError
    iter_audio_blocks   -- a file as consecutive float32 blocks at a target rate, mono or
                           with its channels (bounded memory: hours of audio never sit in
                           memory at once)
    load_audio          -- a whole file as float32 at a target rate, mono or with its channels
Level
    LevelMeter          -- peak and clipped share of the native-rate blocks decoding sees
Arrays
    iter_array_blocks   -- an array (float, int16 or int32) as the blocks of a file of it
    valid_audio         -- check an array is finite float audio, mono or (channels, n)
    to_mono             -- average channels (channels first)
    resample            -- soxr high-quality resampling (channels first)
Paths
    is_audio_path       -- does a file name look like audio?

Every :class:`~sounddetect.exceptions.AudioError` message starts with the file's name and
says why it is not usable: empty file, not audio, unsupported codec (without ffmpeg),
truncated, no samples, NaN or infinite samples.
"""

from __future__ import annotations

import io
import mmap
import os
import re
import struct
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

import numpy as np
import soundfile as sf
import soxr

from sounddetect._checks import is_number
from sounddetect.exceptions import AudioError, ParameterError, SoundDetectWarning
from sounddetect.ffmpeg import find_ffmpeg, how_to_enable_ffmpeg, iter_pcm_blocks, probe_audio

#: File suffixes libsndfile decodes (Opus in Ogg, Apple's CAF among them); decoding decides
#: in the end. RF64 and Sony's Wave64 are what field recorders and audio editors write once
#: a WAV would pass 4 GB, ``.bwf`` a broadcast WAV, ``.aifc`` a compressed or float AIFF.
AUDIO_SUFFIXES = (
    *(".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3"),
    *(".aif", ".aiff", ".aifc", ".au", ".caf"),
    *(".rf64", ".w64", ".bwf"),
)

#: Suffixes of common recording formats libsndfile cannot decode: phones' voice memos
#: (M4A, AMR, 3GP), cameras' and browsers' videos (MP4, MOV, WebM, MKV), security cameras'
#: and DVRs' (AVI, MPEG transport streams), camcorders' (MTS, M2TS), Windows' WMA, Speex
#: (``.spx``), Ogg video (``.ogv``), Matroska audio (``.mka``) and WavPack archives
#: (``.wv``). They are decoded through ffmpeg when it is installed;
#: without it a folder scan still includes them, so each one is reported ("unsupported
#: codec") instead of being skipped without a word.
FFMPEG_AUDIO_SUFFIXES = (
    *(".m4a", ".aac", ".amr", ".3gp"),
    *(".mp4", ".mov", ".webm", ".mkv"),
    *(".avi", ".ts", ".mts", ".m2ts"),
    *(".wma", ".spx", ".ogv", ".mka", ".wv"),
)

#: Largest float sample taken as audio. Float audio is scaled to +-1 (some programs write
#: +-32768, or +-2**31); a word of a float file damaged into 1e18 or 1e30 would overflow
#: the spectrogram's float32 power and silently turn its windows into noise.
MAX_FLOAT_SAMPLE = 1e10

#: A recording whose loudest sample, measured from its mean, is under this level (dBFS) is
#: silent, to ``detect`` and to the generator (of a source clip): a muted or disconnected
#: microphone reports "no alarm" as a working one does, and a user watching a room must hear
#: of it. 16-bit dither peaks at -84 to -90 dBFS; a quiet room through any working
#: microphone is louder than -70.
SILENT_PEAK_DBFS = -80.0

#: Samples at this level or beyond (0.3 dB under full scale, so that 8-bit, A-law and
#: µ-law files, whose largest values fall short of 1.0, clip there too) that hold one value
#: for three samples or more are clipped: a sound too loud for the microphone or its gain.
#: An unclipped sound that loud seldom stays on one value for three samples.
CLIP_LEVEL = 10.0 ** (-0.3 / 20.0)

#: A recording with at least this share of its samples clipped is said to be: its distorted
#: sounds can look like an alarm (a microwave's beeps clipped) or hide one. A few clipped
#: slams in a long recording are not worth a warning.
CLIPPED_SHARE = 0.001

#: Default decoding block in seconds: 5.3 MB of float32 per channel at 44.1 kHz, large
#: enough that per-block overhead is negligible and small enough that memory stays flat.
DEFAULT_BLOCK_SECONDS = 30.0

#: Channels a decoding block (and detection's batch of windows) is sized for: a file of
#: more has shorter blocks of as many samples as a stereo one's, so memory does not grow
#: with the channels of a microphone array's recording.
BLOCK_CHANNELS = 2

#: WAV format tags libsndfile decodes (PCM, ADPCM, float, A-law, mu-law, GSM, G.72x, MP3, ...).
_WAV_SUPPORTED_TAGS = {
    0x0001,
    0x0002,
    0x0003,
    0x0006,
    0x0007,
    0x0011,
    0x0031,
    0x0040,
    0x0055,
    0xFFFE,
}
#: Names for WAV format tags seen in the wild that libsndfile does not decode.
_WAV_TAG_NAMES = {
    0x0050: "MPEG-1 audio",
    0x00FF: "AAC",
    0x0160: "WMA v1",
    0x0161: "WMA v2",
    0x0162: "WMA Pro",
    0x1610: "HE-AAC",
    0x2000: "Dolby AC-3",
}
#: CAF format IDs libsndfile decodes; a CAF file it fails on holds one of these only if it
#: is damaged. iOS apps record CAF with others (Apple Lossless, IMA4, AAC), which ffmpeg
#: decodes.
_CAF_SUPPORTED_FORMATS = {b"lpcm", b"alaw", b"ulaw"}
#: Names for CAF format IDs seen in the wild that libsndfile does not decode.
_CAF_FORMAT_NAMES = {
    b"alac": "Apple Lossless",
    b"ima4": "IMA 4:1 ADPCM",
    b"aac ": "AAC",
    b".mp3": "MP3",
    b"opus": "Opus",
}

#: Ogg streams libsndfile decodes, by the start of their first packet; a file whose first
#: stream is one of these and fails is damaged. Others are decoded through ffmpeg.
_OGG_SUPPORTED_CODECS = (b"\x01vorbis", b"OpusHead")
#: Names for the first packets of Ogg streams libsndfile fails on: Speex (old voice
#: recorders and VoIP), FLAC in Ogg, Theora video with its sound in a later stream, and a
#: Skeleton index before the streams (common in .ogv files).
_OGG_CODEC_NAMES = {
    b"Speex   ": "Speex",
    b"\x7fFLAC": "FLAC",
    b"\x80theora": "Theora video",
    b"fishead\x00": "Skeleton",
}

#: MPEG audio layer III bitrates in kbit/s by bitrate index: MPEG-1, and MPEG-2 and 2.5.
_MP3_BITRATES = (
    (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
)
#: Sample rates in Hz by the header's version bits (3 MPEG-1, 2 MPEG-2, 0 MPEG-2.5).
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
#: Tags in an MP3's first frame that give its length: Xing (Info when the bitrate is
#: constant), as LAME and ffmpeg write it into a file they can seek back in, and VBRI.
_MP3_LENGTH_TAGS = (b"Xing", b"Info", b"VBRI")
#: How far past the ID3 tag the first MP3 frame is looked for, in bytes.
_MP3_SEARCH_BYTES = 65536

#: libsndfile's frame count for a stream whose header leaves the length open.
_SF_COUNT_MAX = 2**63 - 1

#: Sample rates in Hz a recording can have. No recorder records under 2 kHz (telephones
#: take 8 kHz) or over 768 kHz; a header that says so is damaged, and decoding its 1 Hz
#: would have made 27 hours of nothing of 6 s of sound.
RECORDING_RATES_HZ = (2000, 768000)

#: Read steps (frames) that recover the last samples of such a stream after a failed read,
#: and that find how far a damaged stream decodes.
_OPEN_LENGTH_STEPS = (1024, 1)

#: What libmpg123 puts before the notes it prints: "Note: Illegal Audio-MPEG-Header ...",
#: "[src/libmpg123/parse.c:wetwork():1349] error: Giving up resync ...".
_NOTE_PREFIX = re.compile(r"^(\[[^\]]*\]\s*)?(note|warning|error):\s*", re.IGNORECASE)

#: Integer subtypes: the integer type to read them as and the scale to [-1, 1).
_INTEGER_READS = {
    **dict.fromkeys(("PCM_S8", "PCM_U8", "PCM_16", "ALAW", "ULAW"), ("int16", np.float32(2**-15))),
    **dict.fromkeys(("PCM_24", "PCM_32"), ("int32", np.float32(2**-31))),
}

#: Integer arrays taken as PCM, by dtype: the scale to [-1, 1) of the subtypes read so.
_ARRAY_SCALES = {np.dtype(dtype): scale for dtype, scale in _INTEGER_READS.values()}

AudioSource = str | bytes | os.PathLike | BinaryIO


@dataclass(frozen=True)
class AudioInfo:
    """What a file's header says.

    Attributes
    ----------
    sr : int
        Native sample rate in Hz.
    frames : int
        Samples per channel the header declares (for an MP3 without a length tag, counted
        from its frames); 0 when it leaves the length open (a FLAC written to a pipe, a raw
        AAC stream, a chained Ogg file).
    channels : int
    format, subtype : str
        libsndfile's names, e.g. ``"WAV"``, ``"PCM_16"``; ffmpeg's container and codec
        names, e.g. ``"mov,mp4,m4a,3gp,3g2,mj2"``, ``"aac"``, when ffmpeg decodes the file.
    decoder : {"libsndfile", "ffmpeg"}
    raw_data_offset : int or None
        Set for a WAV whose header cannot give its audio's size: 0 left by a recorder that
        never closed the file, or a size past 4 GB that wrapped around its 32 bits. The
        byte where the audio starts; it is read from there to the end of the file, and
        ``frames`` counts what is there.
    unterminated : bool
        Set for an Ogg file that does not end with the page that ends its stream (a
        recorder that stopped without closing it, or a file cut short); ``frames`` counts
        the audio up to its last whole page, which is all that is read.
    audio_streams : int
        Audio streams in a file ffmpeg decodes (a video's second language, a recorder's
        second microphone); only the first is read.
    """

    sr: int
    frames: int
    channels: int
    format: str
    subtype: str
    decoder: str = "libsndfile"
    raw_data_offset: int | None = None
    unterminated: bool = False
    audio_streams: int = 1

    @property
    def duration(self) -> float:
        """Declared length in seconds."""
        return self.frames / self.sr


def is_audio_path(path: str | os.PathLike) -> bool:
    """True when the file name has one of :data:`AUDIO_SUFFIXES` or
    :data:`FFMPEG_AUDIO_SUFFIXES` (case-insensitive)."""
    return Path(path).suffix.lower() in AUDIO_SUFFIXES + FFMPEG_AUDIO_SUFFIXES


def valid_audio(y: np.ndarray, *, name: str = "audio", multichannel: bool = False) -> None:
    """Raise unless ``y`` is non-empty, finite float audio.

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (channels, n)]
    name : str
        Name used in error messages.
    multichannel : bool
        Also accept ``(channels, n)`` (channels first, as librosa); else ``y`` must be 1-D.

    Raises
    ------
    ParameterError
        Not a float array of an accepted shape. A 2-D array with more channels than
        samples is refused as what it almost surely is, ``(n, channels)`` audio (the layout
        of soundfile and sounddevice), rather than read as thousands of channels.
    AudioError
        No samples, or NaN, infinite or impossibly large samples (over
        :data:`MAX_FLOAT_SAMPLE`: a damaged float file; at 1e19 a spectrogram's float32
        power overflows).
    """
    if not isinstance(y, np.ndarray):
        raise ParameterError(f"{name}: expected a numpy array, got {type(y).__name__}")
    if not np.issubdtype(y.dtype, np.floating):
        scale = " (integer PCM: scale it to [-1, 1], int16 by 2**-15)"
        raise ParameterError(
            f"{name}: expected floating-point samples, got dtype {y.dtype}"
            + (scale if np.issubdtype(y.dtype, np.integer) else "")
        )
    if multichannel:
        _check_channels_first(y, name=name)
    elif y.ndim != 1:
        raise ParameterError(f"{name}: expected mono (1-D) samples, got shape {y.shape}")
    if y.size == 0:
        raise AudioError(f"{name}: no samples")
    # Two reductions, no array-sized temporary: this runs on every block and render batch.
    # NaN fails both comparisons; float() keeps float16 from overflowing at the limit.
    if not (float(y.max()) <= MAX_FLOAT_SAMPLE and float(y.min()) >= -MAX_FLOAT_SAMPLE):
        if not np.all(np.isfinite(y)):
            raise AudioError(f"{name}: contains NaN or infinite samples")
        raise AudioError(
            f"{name}: a sample of {float(np.max(np.abs(y))):.3g}, beyond what float audio "
            "holds (+-1, or +-32768 as some programs write it)"
        )


def _check_channels_first(y: np.ndarray, *, name: str) -> None:
    """Raise unless ``y`` is (n,) or (channels, n); one with more channels than samples is
    taken for (n, channels) audio, the layout of soundfile and sounddevice."""
    if y.ndim not in (1, 2) or (y.ndim == 2 and y.shape[0] == 0):
        raise ParameterError(f"{name}: expected (n,) or (channels, n) samples, got {y.shape}")
    if y.ndim == 2 and y.shape[0] > y.shape[1] > 0:
        raise ParameterError(
            f"{name}: expected (channels, n) samples, channels first; got {y.shape}, more "
            "channels than samples: pass y.T for (n, channels) audio"
        )


def _is_rate(value: object) -> bool:
    """A positive finite number (not a bool)."""
    return is_number(value) and 0 < value < np.inf


def to_mono(y: np.ndarray) -> np.ndarray:
    """Average the channels of audio, channels first; mono audio is returned as it is.

    An average cancels a tone that reaches two microphones half a period apart; detection
    combines channels in power instead (:func:`sounddetect.spectrum.compute_spectrogram`).

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (channels, n)], float

    Returns
    -------
    np.ndarray [shape=(n,)]
        float32 for several channels; ``y`` itself (1-D) or its one channel otherwise.

    Raises
    ------
    ParameterError, AudioError
        As :func:`valid_audio` with ``multichannel=True``: an ``(n, channels)`` array is
        refused, not averaged along the wrong axis.

    Examples
    --------
    >>> to_mono(np.array([[1.0, 1.0, 1.0], [0.0, 0.0, -1.0]], dtype=np.float32))
    array([0.5, 0.5, 0. ], dtype=float32)
    """
    valid_audio(y, multichannel=True)
    if y.ndim == 1:
        return y
    if y.shape[0] == 1:
        return y[0]
    return y.mean(axis=0, dtype=np.float32)


def resample(y: np.ndarray, *, orig_sr: float, target_sr: float) -> np.ndarray:
    """Resample with soxr (high quality); a no-op when the rates match.

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (channels, n)], float
        Audio, channels first as sounddetect decodes and detects it (soxr's own layout is
        ``(n, channels)``; the transposition is done here).
    orig_sr, target_sr : float > 0
        Sample rates of ``y`` and of the result, in Hz.

    Returns
    -------
    np.ndarray [shape=(m,) or (channels, m), dtype=float32]
        ``m`` is about ``n * target_sr / orig_sr``.

    Raises
    ------
    ParameterError
        A rate is not a positive number, or ``y`` is not float audio of those shapes (as
        :func:`valid_audio` with ``multichannel=True``: an ``(n, channels)`` array is
        refused).
    AudioError
        ``y`` has no samples, or NaN or infinite ones.

    Examples
    --------
    >>> resample(np.zeros((2, 48000), dtype=np.float32), orig_sr=48000, target_sr=16000).shape
    (2, 16000)
    """
    for name, rate in (("orig_sr", orig_sr), ("target_sr", target_sr)):
        if not _is_rate(rate):
            raise ParameterError(f"{name} must be a positive rate in Hz, got {rate!r}")
    valid_audio(y, multichannel=True)
    if orig_sr == target_sr:
        return y.astype(np.float32, copy=False)
    # soxr reads float32 and float64 only
    dtype = np.float64 if y.dtype == np.float64 else np.float32
    resampled = soxr.resample(
        np.ascontiguousarray(y.T, dtype=dtype), orig_sr, target_sr, quality="HQ"
    )
    return np.ascontiguousarray(resampled.T, dtype=np.float32)


def source_name(source: AudioSource) -> str:
    """The name error messages use for a path or an open file."""
    if isinstance(source, str | os.PathLike):
        return str(source)
    return str(getattr(source, "name", "<stream>"))


def audio_info(source: AudioSource, *, name: str | None = None) -> AudioInfo:
    """Read a file's header, or explain why it is not usable audio.

    Parameters
    ----------
    source : path-like (str, bytes, os.PathLike) or binary file object
        WAV, FLAC, OGG/Vorbis/Opus, MP3, AIFF or anything else libsndfile decodes; also,
        given by path, MP4/M4A, AAC, WMA, AMR, WebM or Ogg Speex when ffmpeg is installed. A
        file object is left at the position it had.
    name : str or None
        Name used in error messages; default the path or the file object's ``name``.

    Returns
    -------
    AudioInfo

    Raises
    ------
    AudioError
        The file is missing, empty (0 bytes), not audio, or in a codec libsndfile cannot
        decode (MP4/AAC, WMA, MP3-in-WAV, ...) while ffmpeg is not installed or cannot
        read it either; or its header declares a sample rate outside
        :data:`RECORDING_RATES_HZ`.
    ParameterError
        ``source`` is bytes holding a NUL (a file's contents, not its path).
    """
    source = _path_or_file(source)
    name = name or source_name(source)
    head = _read_head(source, name=name)
    notes: list[str] = []
    try:
        with _native_notes(notes), _open(source) as sound:
            info = AudioInfo(
                sr=int(sound.samplerate),
                # 0 for a length the header leaves open, as for ffmpeg's raw streams
                frames=0 if sound.frames == _SF_COUNT_MAX else int(sound.frames),
                channels=int(sound.channels),
                format=sound.format,
                subtype=sound.subtype,
            )
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        failure = exc
    else:
        _check_rate(info.sr, name=name)
        return (
            _wav_of_unknown_size(source, info, head)
            or _mp3_length_from_frames(source, info, name=name)
            or _ogg_info(source, info, name=name)
            or info
        )
    # Only a codec recognised by its first bytes or its file name goes to ffmpeg: a damaged
    # WAV or MP3 stays refused as such instead of being decoded leniently.
    codec = _unsupported_codec(head) or _codec_by_suffix(source)
    tools = find_ffmpeg() if codec and isinstance(source, str | os.PathLike) else None
    if tools is None:
        # ffmpeg reads named files only: a file object of its codecs is refused even with it
        from_path = isinstance(source, str | os.PathLike)
        remedy = how_to_enable_ffmpeg() if from_path else "pass its path for ffmpeg to decode"
        reason = _open_failure(codec, failure, notes, remedy=remedy)
        if not codec and head.startswith(b"ID3") and not _has_mp3_frames(source):
            # where libsndfile says "File does not exist or is not a regular file"
            reason = "not readable audio (an ID3 tag without MP3 audio after it)"
        elif "SF_INFO struct incomplete" in reason and (rate := _wav_rate(head)) is not None:
            _check_rate(rate, name=name)  # libsndfile's words for a rate of 0 or over 2**31
        elif "possibly a pipe" in reason:
            # libsndfile's words for a file named .mp3 of a few bytes (a download cut off);
            # the file was read above, so it is there and it is no pipe
            size = f"{len(head)} byte" if len(head) == 1 else f"{len(head)} bytes"
            reason = f"not readable audio (no audio frame in its {size})"
        raise AudioError(f"{name}: {reason}") from failure
    stream = probe_audio(source, tools, name=name)
    _check_rate(stream.sr, name=name)
    return AudioInfo(
        sr=stream.sr,
        frames=0 if stream.duration is None else round(stream.duration * stream.sr),
        channels=stream.channels,
        format=stream.container,
        subtype=stream.codec,
        decoder="ffmpeg",
        audio_streams=stream.audio_streams,
    )


def iter_audio_blocks(
    source: AudioSource,
    *,
    sr: int | None = 16000,
    block_seconds: float = DEFAULT_BLOCK_SECONDS,
    mono: bool = True,
    name: str | None = None,
    info: AudioInfo | None = None,
    on_native_block: Callable[[np.ndarray], None] | None = None,
) -> Iterator[np.ndarray]:
    """Decode a file block by block as float32 at ``sr``, mono or with its channels.

    Memory stays bounded by one block whatever the file's length: each block of
    ``block_seconds`` at the native rate is mixed to mono (or not) and pushed through one
    streaming soxr resampler, so the concatenated blocks equal a one-shot resampling of
    the whole file (to float rounding).

    Parameters
    ----------
    source : path-like (str, bytes, os.PathLike) or binary file object
    sr : int or None
        Target rate in Hz; ``None`` keeps the native rate.
    block_seconds : float > 0
        Decoding block length in seconds of native audio; for a file of more than
        :data:`BLOCK_CHANNELS` channels, shortened in proportion (a block of 32 channels
        holds a sixteenth of it), but not under a second.
    mono : bool
        Average the channels. False keeps them, for an analysis that combines them in power
        (:func:`sounddetect.spectrum.render_windows`): in an average, a tone that reaches
        two microphones half a period apart cancels.
    name : str or None
        Name used in error messages.
    info : AudioInfo or None
        What :func:`audio_info` already said of ``source``, so the header is not read (nor
        ffprobe run) twice; read here when None.
    on_native_block : callable or None
        Called with each decoded block at the native rate before it is resampled, float32
        of shape (frames,) if ``mono`` else (frames, channels): for a measure of the
        recording itself, which the resampler's edges and ripple would blur.

    Yields
    ------
    y : np.ndarray [shape=(n,) if mono else (info.channels, n), dtype=float32]
        Consecutive non-empty blocks of about ``block_seconds`` (resampling shifts the
        boundaries by a few samples); without ``mono``, channels first (as librosa), even
        for a mono file.

    Raises
    ------
    AudioError
        As :func:`audio_info`, and while decoding: NaN or infinite samples (with the time
        they start), a truncated or corrupt stream, no samples at all.
    ParameterError
        ``block_seconds`` is not positive, or ``sr`` is not a whole rate in Hz of
        :data:`RECORDING_RATES_HZ`.

    Examples
    --------
    >>> import io
    >>> buf = io.BytesIO()
    >>> sf.write(buf, np.zeros(44100, dtype=np.float32), 44100, format="WAV")
    >>> _ = buf.seek(0)
    >>> sum(len(b) for b in iter_audio_blocks(buf, sr=16000, block_seconds=0.25))
    16000
    """
    if block_seconds <= 0:
        raise ParameterError(f"block_seconds must be positive, got {block_seconds}")
    sr = _target_rate(sr)
    source = _path_or_file(source)
    name = name or source_name(source)
    info = info or audio_info(source, name=name)
    target_sr = info.sr if sr is None else sr
    # Shortened for many channels, but not under a second (a block's mean is taken for the
    # microphone's offset: in a block of a few samples it would be the sound itself).
    block_frames = max(
        1,
        int(round(block_seconds * info.sr * min(1.0, BLOCK_CHANNELS / info.channels))),
        int(round(min(block_seconds, 1.0) * info.sr)),
    )
    decode = _ffmpeg_blocks if info.decoder == "ffmpeg" else _libsndfile_blocks
    yield from _resampled(
        decode(source, info, block_frames=block_frames, mono=mono, name=name),
        orig_sr=info.sr,
        target_sr=target_sr,
        channels=None if mono else info.channels,
        on_native_block=on_native_block,
    )


def iter_array_blocks(
    y: np.ndarray,
    *,
    orig_sr: float,
    target_sr: float,
    block_seconds: float = DEFAULT_BLOCK_SECONDS,
    name: str = "audio",
    on_native_block: Callable[[np.ndarray], None] | None = None,
) -> Iterator[np.ndarray]:
    """Audio in an array as the blocks :func:`iter_audio_blocks` gives of a file of it.

    The same checks and the same resampling, block by block, as a file's with ``mono``
    False: a float32 array gives the blocks of a float WAV of it and an int16 array those
    of a 16-bit WAV, to the bit, so that detecting alarms in an array and in its file agree
    (:func:`sounddetect.detect.detect_audio`).

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (channels, n)]
        Float samples in [-1, 1], or int16 or int32 PCM (of either byte order), scaled by
        2**-15 or 2**-31 as soundfile reads such files as float; channels first.
    orig_sr : float
        Sample rate of ``y`` in Hz, a whole number within :data:`RECORDING_RATES_HZ`.
    target_sr : float > 0
        Sample rate of the blocks in Hz.
    block_seconds : float > 0
        Block length in seconds of ``y``.
    name : str
        Name used in error messages.
    on_native_block : callable or None
        As :func:`iter_audio_blocks` (blocks of shape (frames, channels)).

    Returns
    -------
    iterator of np.ndarray [shape=(channels, m), dtype=float32]
        Channels first; mono ``y`` as one channel.

    Raises
    ------
    ParameterError
        At the call, before any block: ``y`` is not such an array (an ``(n, channels)``
        one, with more channels than samples, is refused), ``orig_sr`` is not a whole
        number of Hz, or a rate or ``block_seconds`` is out of range.
    AudioError
        While iterating, as for a float file: no samples; NaN, infinite or impossibly large
        samples (over :data:`MAX_FLOAT_SAMPLE`, checked before the cast to float32), with
        the time of the first.

    Examples
    --------
    >>> y = np.zeros((2, 48000), dtype=np.int16)
    >>> blocks = list(iter_array_blocks(y, orig_sr=48000, target_sr=16000, block_seconds=0.25))
    >>> blocks[0].shape[0], sum(b.shape[1] for b in blocks)
    (2, 16000)
    """
    if not isinstance(y, np.ndarray):
        raise ParameterError(f"{name}: expected a numpy array, got {type(y).__name__}")
    # by kind and size: big-endian int16 (read from a network stream) is int16 too
    scale = _ARRAY_SCALES.get(y.dtype.newbyteorder("="))
    if scale is None and not np.issubdtype(y.dtype, np.floating):
        raise ParameterError(
            f"{name}: expected float, int16 or int32 samples (as soundfile reads them), "
            f"got dtype {y.dtype}"
        )
    _check_channels_first(y, name=name)
    low, high = RECORDING_RATES_HZ
    if not (is_number(orig_sr) and (orig_sr <= 0 or _is_rate(orig_sr))):
        raise ParameterError(f"{name}: sample rate {orig_sr!r} is no number of Hz")
    if not _is_rate(orig_sr) or not low <= orig_sr <= high:
        raise ParameterError(
            f"{name}: sample rate {orig_sr!r} Hz, outside what recordings use ({low}-{high} Hz)"
        )
    if orig_sr != int(orig_sr):
        raise ParameterError(
            f"{name}: sample rate {orig_sr!r} Hz is not a whole number of Hz, as a recording's is"
        )
    if not _is_rate(target_sr):
        raise ParameterError(f"target_sr must be a positive rate in Hz, got {target_sr!r}")
    if not _is_rate(block_seconds):
        raise ParameterError(f"block_seconds must be positive and finite, got {block_seconds!r}")
    frames = y if y.ndim == 2 else y[np.newaxis]
    block_frames = max(1, int(round(block_seconds * orig_sr)))
    return _resampled(
        _array_frames(frames, block_frames=block_frames, scale=scale, sr=orig_sr, name=name),
        orig_sr=orig_sr,
        target_sr=target_sr,
        channels=frames.shape[0],
        on_native_block=on_native_block,
    )


def _array_frames(
    y: np.ndarray, *, block_frames: int, scale: np.float32 | None, sr: float, name: str
) -> Iterator[np.ndarray]:
    """float32 blocks of (channels, n) audio as a decoder gives them: (frames, channels),
    scaled when integer, checked when float."""
    if not y.shape[1]:
        raise AudioError(f"{name}: no samples")
    for start in range(0, y.shape[1], block_frames):
        block = y[:, start : start + block_frames].T
        if scale is None:
            # before the cast to float32, which would make a float64 of 1e300 infinite
            _check_finite(block, n_read=start, sr=sr, name=name)
        block = np.array(block, dtype=np.float32, order="C")
        if scale is not None:
            block *= scale
        yield block


def _resampled(
    blocks: Iterable[np.ndarray],
    *,
    orig_sr: float,
    target_sr: float,
    channels: int | None,
    on_native_block: Callable[[np.ndarray], None] | None = None,
) -> Iterator[np.ndarray]:
    """Decoded float32 blocks, mono (``channels`` None) or (frames, channels), pushed
    through one streaming soxr resampler, as contiguous float32, channels first
    (``on_native_block`` sees each before)."""
    stream = None
    if target_sr != orig_sr:
        stream = soxr.ResampleStream(
            orig_sr, target_sr, channels or 1, dtype="float32", quality="HQ"
        )
    for y in blocks:
        if on_native_block is not None:
            on_native_block(y)
        if stream is not None:
            y = stream.resample_chunk(y)
        # The decoders give (frames, channels) without mono, the layout soxr streams take;
        # .T makes it channels first (and leaves mono as it is).
        if len(y):
            yield np.ascontiguousarray(y.T, dtype=np.float32)
    if stream is not None:
        empty = np.zeros((0,) if channels is None else (0, channels), dtype=np.float32)
        tail = stream.resample_chunk(empty, last=True)
        if len(tail):
            yield np.ascontiguousarray(tail.T, dtype=np.float32)


def _libsndfile_blocks(
    source: AudioSource, info: AudioInfo, *, block_frames: int, mono: bool, name: str
) -> Iterator[np.ndarray]:
    """float32 blocks at the native rate, decoded by libsndfile, checked as they come:
    mono, or (frames, channels)."""
    # Integer PCM cannot hold NaN or infinity, and numpy scales it to [-1, 1) several times
    # faster than libsndfile's float conversion (same values).
    read_dtype, scale = _INTEGER_READS.get(info.subtype, ("float32", None))
    if info.subtype == "DOUBLE":  # its damaged values stay what they are, not float32's inf
        read_dtype = "float64"
    n_read, log, failure = 0, "", None
    # libmpg123 prints notes on damaged frames to stderr; they are taken in, and said in
    # the error or in one warning.
    notes: list[str] = []
    mpeg = info.format == "MP3"
    # A stream whose header leaves its length open (frames 0: a FLAC written to a pipe, or
    # by a recorder that died) ends where it can no longer be decoded. libsndfile's FLAC
    # decoder fails at that end, and the read that fails returns nothing, so what that read
    # held is read again from where it began in smaller steps. A damaged stream of declared
    # length is read so too, to say where the damage lies.
    for step in (block_frames, *_OPEN_LENGTH_STEPS):
        try:
            with ExitStack() as stack:
                with _native_notes(notes, capture=mpeg):
                    sound = stack.enter_context(_open(source, info))
                log = sound.extra_info
                _check_declared_size(log, name=name)
                if n_read:
                    sound.seek(n_read)
                # Not SoundFile.blocks(): it pads a file shorter than its header with stale
                # data.
                while True:
                    with _native_notes(notes, capture=mpeg):
                        block = sound.read(step, dtype=read_dtype, always_2d=True)
                    if not len(block):
                        break
                    if scale is None:  # the file's own values, before any mixing
                        _check_finite(block, n_read=n_read, sr=info.sr, name=name)
                    y = _mixed(block, mono=mono).astype(np.float32, copy=scale is None)
                    if scale is not None:
                        y *= scale
                    n_read += len(y)
                    yield y
            failure = None
            break
        except (sf.LibsndfileError, RuntimeError) as exc:
            failure = exc
    if failure is not None and (info.frames or not n_read):
        reason = _reason(failure, notes)
        raise AudioError(
            f"{name}: truncated or corrupt after {n_read / info.sr:.3f} s ({reason})"
        ) from failure
    if n_read == 0:
        if "ended unexpectedly" in log:
            raise AudioError(f"{name}: truncated (the stream ends before its first samples)")
        raise AudioError(f"{name}: no samples")
    _check_complete(log, info, n_read, name=name)
    if notes:
        more = f" (and {len(notes) - 1} more)" if len(notes) > 1 else ""
        warnings.warn(
            f"{name}: decoded to its end, but the MP3 decoder noted: {notes[0]}{more}",
            SoundDetectWarning,
            stacklevel=2,
        )


def _ffmpeg_blocks(
    source: AudioSource, info: AudioInfo, *, block_frames: int, mono: bool, name: str
) -> Iterator[np.ndarray]:
    """float32 blocks at the native rate, decoded by ffmpeg, checked as they come: mono, or
    (frames, channels)."""
    tools = find_ffmpeg()
    if tools is None:  # removed between audio_info and decoding
        raise AudioError(f"{name}: ffmpeg is gone; it is needed to decode {info.subtype}")
    n_read = 0
    for block in iter_pcm_blocks(
        source, tools, sr=info.sr, channels=info.channels, block_frames=block_frames, name=name
    ):
        _check_finite(block, n_read=n_read, sr=info.sr, name=name)
        y = _mixed(block, mono=mono).astype(np.float32)
        n_read += len(y)
        yield y
    if n_read == 0:
        raise AudioError(f"{name}: no samples")
    _check_complete("", info, n_read, name=name)


def _mixed(block: np.ndarray, *, mono: bool) -> np.ndarray:
    """A decoded (frames, channels) block, integer or float, averaged to mono or kept."""
    if not mono:
        return block
    if block.shape[1] == 1:
        return block[:, 0]
    return block.mean(axis=1, dtype=np.float32)


def _check_finite(y: np.ndarray, *, n_read: int, sr: int, name: str) -> None:
    """Raise AudioError at the first NaN, infinite or impossibly large sample (over
    :data:`MAX_FLOAT_SAMPLE`) of a block starting at n_read (mono, or (frames, channels))."""
    usable = np.abs(y) <= MAX_FLOAT_SAMPLE  # False for NaN too
    if usable.all():
        return
    per_frame = usable if y.ndim == 1 else usable.all(axis=1)
    frame = int(np.argmin(per_frame))
    first_s = (n_read + frame) / sr
    values = y[frame] if y.ndim == 1 else y[frame][~usable[frame]][0]
    if np.isfinite(values):
        raise AudioError(
            f"{name}: a sample of {float(values):.3g} at {first_s:.3f} s, beyond what float "
            f"audio holds (+-1, or +-32768 as some programs write it): damaged"
        )
    raise AudioError(f"{name}: contains NaN or infinite samples (first at {first_s:.3f} s)")


class LevelMeter:
    """What the native-rate blocks (frames[, channels]) handed to :meth:`observe` say of
    the recording's level, measured before resampling, whose step into an offset at the
    recording's edges would count as sound and whose ripple would round a clipped top
    (``on_native_block`` of :func:`iter_audio_blocks` and :func:`load_audio`).

    ``peak`` is the largest absolute sample about each block's mean (a microphone that
    gives only a DC offset hears nothing); ``clipped`` counts the samples at
    :data:`CLIP_LEVEL` or beyond that continue a flat run of three or more in their
    channel (runs across blocks too), of ``samples`` in all.
    """

    def __init__(self) -> None:
        self.peak = 0.0
        self.clipped = 0
        self.samples = 0
        self._tail: np.ndarray | None = None  # the last two frames observed

    def observe(self, block: np.ndarray) -> None:
        """Add a block of samples, shape (frames, channels), the recording's next."""
        if not block.size:
            return
        highs, lows = block.max(axis=0), block.min(axis=0)
        # max |x - mean| without a copy of the block
        mean = block.mean(axis=0)
        self.peak = max(self.peak, float(np.max(highs - mean)), float(np.max(mean - lows)))
        self.samples += block.size
        tail, self._tail = self._tail, block[-2:].copy()
        # Most blocks come nowhere near full scale: their extremes say so at no extra cost.
        if max(float(np.max(highs)), -float(np.min(lows))) < CLIP_LEVEL:
            return
        if tail is not None and tail.shape[0] == 2:
            block = np.concatenate([tail, block])
        flat = (block[2:] == block[1:-1]) & (block[1:-1] == block[:-2])
        self.clipped += int(np.count_nonzero(flat & (np.abs(block[2:]) >= CLIP_LEVEL)))

    @property
    def clipped_share(self) -> float:
        """The share of the samples observed that are clipped, 0 when none were."""
        return self.clipped / self.samples if self.samples else 0.0

    @property
    def is_clipped(self) -> bool:
        """Whether at least :data:`CLIPPED_SHARE` of the samples are clipped."""
        return self.clipped_share >= CLIPPED_SHARE


def load_audio(
    path: AudioSource,
    *,
    sr: int | None = 16000,
    name: str | None = None,
    mono: bool = True,
    on_native_block: Callable[[np.ndarray], None] | None = None,
) -> tuple[np.ndarray, int]:
    """Load a whole audio file as float32, mono or with its channels.

    Parameters
    ----------
    path : path-like (str, bytes, os.PathLike) or binary file object
        WAV, FLAC, OGG/Vorbis, MP3 or anything else libsndfile decodes, and what
        :func:`audio_info` says ffmpeg decodes.
    sr : int or None
        Target sample rate in Hz; ``None`` keeps the file's rate.
    name : str or None
        Name used in error messages.
    mono : bool
        Average the channels (the default), or keep them, channels first.
    on_native_block : callable or None
        As :func:`iter_audio_blocks`: sees each decoded block at the file's rate, such as
        :meth:`LevelMeter.observe`.

    Returns
    -------
    y : np.ndarray [shape=(n,) if mono else (channels, n), dtype=float32]
    sr : int

    Raises
    ------
    AudioError
        The file is missing, empty, not decodable audio, truncated, or holds NaN/inf samples.
    ParameterError
        ``sr`` is not a whole rate in Hz of :data:`RECORDING_RATES_HZ`.

    See Also
    --------
    iter_audio_blocks : the same decoding with bounded memory, for long files.
    """
    sr = _target_rate(sr)
    path = _path_or_file(path)
    name = name or source_name(path)
    info = audio_info(path, name=name)
    target_sr = info.sr if sr is None else sr
    # The blocks fill an array of the declared length (soxr's output rounds half up), so a
    # long file is not held twice, as a list of blocks and their concatenation. A length
    # the header does not give exactly (an MP3's estimate, an open-ended or cut stream)
    # takes a copy at the end; the samples are the same either way.
    expected = (2 * info.frames * target_sr + info.sr) // (2 * info.sr)
    y = np.empty((expected,) if mono else (info.channels, expected), dtype=np.float32)
    n, rest = 0, []
    blocks = iter_audio_blocks(
        path, sr=target_sr, name=name, info=info, mono=mono, on_native_block=on_native_block
    )
    for block in blocks:
        fits = min(block.shape[-1], expected - n)
        y[..., n : n + fits] = block[..., :fits]
        n += fits
        if fits < block.shape[-1]:
            rest.append(block[..., fits:])
    if rest:
        return np.concatenate([y, *rest], axis=-1), target_sr
    return (y if n == expected else y[..., :n].copy()), target_sr


@contextmanager
def _open(source: AudioSource, info: AudioInfo | None = None) -> Iterator[sf.SoundFile]:
    """libsndfile on the file, or on the audio of a WAV of unknown size as raw samples."""
    offset = None if info is None else info.raw_data_offset
    with ExitStack() as stack:
        if isinstance(source, str | os.PathLike):
            # As bytes: libsndfile's wrapper encodes a str strictly, so a name that is not
            # UTF-8 (a camera's, a FAT stick's) would not open.
            path = os.fsencode(source)
            handle = path if offset is None else stack.enter_context(open(path, "rb"))
        else:
            source.seek(0)
            handle = source
        if offset is None:
            yield stack.enter_context(sf.SoundFile(handle))
            return
        raw = {"samplerate": info.sr, "channels": info.channels, "subtype": info.subtype}
        yield stack.enter_context(
            sf.SoundFile(_FileTail(handle, offset), format="RAW", endian="LITTLE", **raw)
        )


@contextmanager
def _native_notes(notes: list[str], *, capture: bool = True) -> Iterator[None]:
    """Take in what C libraries print on file descriptor 2 while the block runs, as lines
    added to ``notes`` without their "Note:" prefixes.

    libmpg123, libsndfile's MP3 decoder, prints notes on damaged frames straight to stderr
    ("Note: Illegal Audio-MPEG-Header 0x21bcfb2a at offset 50173."), lines of its own around
    the one line a bad input gets. Only a decoder call runs inside the block, so nothing
    else is taken (no other thread writes while it decodes). ``capture=False`` does nothing.
    """
    if not capture:
        yield
        return
    try:
        saved = os.dup(2)
    except OSError:  # no stderr to take over
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            for line in sink.read().decode(errors="replace").splitlines():
                if note := _NOTE_PREFIX.sub("", line.strip()).rstrip("."):
                    notes.append(note)


class _FileTail:
    """A read-only view of a binary file from byte ``offset`` on (what libsndfile's virtual
    I/O needs: read, seek, tell)."""

    def __init__(self, handle: BinaryIO, offset: int) -> None:
        self._handle, self._offset = handle, offset
        handle.seek(offset)

    def read(self, size: int = -1) -> bytes:
        return self._handle.read(size)

    def seek(self, position: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            position += self._offset
        return max(0, self._handle.seek(position, whence) - self._offset)

    def tell(self) -> int:
        return self._handle.tell() - self._offset


#: Bytes per sample of the WAV subtypes an unclosed file is read as raw samples in.
_RAW_SAMPLE_BYTES = {
    "PCM_U8": 1,
    "ALAW": 1,
    "ULAW": 1,
    "PCM_16": 2,
    "PCM_24": 3,
    "PCM_32": 4,
    "FLOAT": 4,
    "DOUBLE": 8,
}


def _wav_of_unknown_size(source: AudioSource, info: AudioInfo, head: bytes) -> AudioInfo | None:
    """The AudioInfo of a WAV whose header cannot give its audio's size, or None for any
    other file.

    Recorders write a WAV's header first with the sizes unknown and fill them in when they
    close the file; one that crashes or loses power leaves them as they were. libsndfile
    reads the audio of such a file when the placeholder is -1 or its own (a RIFF size of
    8), but takes a data size of 0 (what hand-written recorders put there) as no audio: the
    recording would be lost though every sample of it is there. It also stops where a
    placeholder says (:data:`_UNKNOWN_DATA_SIZES`), and ffmpeg's -1 is 4 GB: of a longer
    recording the rest was lost without a word. And a writer that knows no RF64 stores the
    size of more than 4 GB of audio modulo 2**32: libsndfile would read the remainder and
    stop there without a word. WAVE_EXTENSIBLE files (ffmpeg's of 24-bit, float or more
    than two channels) are read alike.
    """
    if info.format not in ("WAV", "WAVEX") or info.subtype not in _RAW_SAMPLE_BYTES:
        return None
    chunk = _wav_data_chunk(head)
    if chunk is None and head[:4] == b"RIFF":
        # Field recorders put kilobytes of bext, iXML and padding chunks before the audio.
        with _bytes_of(source) as data:
            chunk = _wav_data_chunk(data)
    if chunk is None:
        return None
    offset, declared = chunk
    if isinstance(source, str | os.PathLike):
        size = Path(source).stat().st_size
    else:
        size = source.seek(0, io.SEEK_END)
        source.seek(0)
    beyond = size - offset - declared
    unclosed = declared == 0 and not info.frames
    # A closed file's audio can be a placeholder's size by chance; a chunk then follows it.
    outgrown = (
        declared
        and declared in _UNKNOWN_DATA_SIZES
        and beyond > 0
        and not _chunk_at(source, offset + declared + (declared & 1), size)
    )
    wrapped = declared and beyond > 0 and beyond % 2**32 == 0
    if not (unclosed or outgrown or wrapped):
        return None
    frames = (size - offset) // (info.channels * _RAW_SAMPLE_BYTES[info.subtype])
    return replace(info, frames=frames, raw_data_offset=offset) if frames > 0 else None


def _chunk_at(source: AudioSource, position: int, size: int) -> bool:
    """Whether a RIFF chunk header lies at byte ``position`` of a file of ``size`` bytes:
    an id of four printable ASCII characters and a size that fits the file."""
    if position + 8 > size:
        return False
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as handle:
            handle.seek(position)
            header = handle.read(8)
    else:
        source.seek(position)
        header = source.read(8)
        source.seek(0)
    if len(header) < 8 or not all(32 <= byte < 127 for byte in header[:4]):
        return False
    return position + 8 + struct.unpack("<I", header[4:])[0] <= size


def _target_rate(sr: object) -> int | None:
    """``sr`` as an int (16000.0 is 16000), None kept; a rate that is not a whole number
    of Hz of :data:`RECORDING_RATES_HZ` is a ParameterError (a bool is no rate)."""
    if sr is None:
        return None
    low, high = RECORDING_RATES_HZ
    if _is_rate(sr) and float(sr).is_integer() and low <= sr <= high:
        return int(sr)
    raise ParameterError(f"sr must be a whole rate in Hz, {low}-{high}, or None; got {sr!r}")


def _path_or_file(source: AudioSource) -> AudioSource:
    """A bytes path (``os.fsencode``'s, a name that is not UTF-8) as the str it decodes to;
    bytes holding a NUL are a file's contents, which a path cannot hold."""
    if not isinstance(source, bytes):
        return source
    if b"\0" in source:
        raise ParameterError(
            "bytes holding a NUL are no path: for a file's contents, pass io.BytesIO(data)"
        )
    return os.fsdecode(source)


def _check_rate(sr: int, *, name: str) -> None:
    low, high = RECORDING_RATES_HZ
    if not low <= sr <= high:
        raise AudioError(
            f"{name}: sample rate {sr} Hz, outside what recordings use ({low}-{high} Hz): "
            "a damaged header"
        )


def _mp3_length_from_frames(source: AudioSource, info: AudioInfo, *, name: str) -> AudioInfo | None:
    """The AudioInfo of an MP3 whose length libsndfile gets wrong, or None for any other
    file.

    libsndfile takes an MP3's length from the Xing tag in its first frame and decodes no
    further. An encoder writing to a pipe cannot go back to put the tag there; of such a
    file of variable bitrate libsndfile estimates the length from the first frames: of a
    40 s recording it gave 19 s, or 6 s when the first seconds were loud, without a word,
    or more than there is, and the file was refused as truncated. Files joined with ``cat``
    keep the first one's tag, and only the first one was decoded. The frame headers give
    the true length; a file libsndfile would not decode to its end goes to ffmpeg, or is
    refused without it.

    Raises
    ------
    AudioError
        libsndfile would stop short of the end and ffmpeg is not installed.
    """
    if info.format != "MP3":
        return None
    with _bytes_of(source) as data:
        counted = _count_mp3_frames(data)
    if counted is None:
        return None
    samples, tagged = counted
    if samples <= info.frames + _lossy_slack(info.frames):  # libsndfile reaches the end
        return None if tagged else replace(info, frames=samples)
    return _through_ffmpeg(
        source,
        replace(info, frames=samples),
        name=name,
        why=f"MP3 longer than its header says (variable bitrate without a length tag, or "
        f"files joined): libsndfile decodes only {info.duration:.1f} s of its "
        f"{samples / info.sr:.1f} s",
    )


def _ogg_info(source: AudioSource, info: AudioInfo, *, name: str) -> AudioInfo | None:
    """The AudioInfo of an Ogg file that libsndfile would not read as it is, or None for
    any other file.

    A dump of an internet radio stream starts a new Ogg stream at every song, and Ogg files
    joined with ``cat`` are such a chain too. libsndfile decodes the first stream and takes
    it for the whole file: of two 70 s recordings joined it gave 70 s, without a word.
    ffmpeg decodes every stream; the length is left open (the streams' own lengths are not
    added up), or the file is refused without ffmpeg.

    A recorder that stops without closing its file, or a download cut short, leaves an Ogg
    file whose last page does not end the stream. Both decoders read the audio up to its
    last whole page as if it were all; ``unterminated`` says it was not.

    Raises
    ------
    AudioError
        The file is chained and ffmpeg is not installed.
    """
    if info.format != "OGG":
        return None
    with _bytes_of(source) as data:
        streams, terminated = _walk_ogg_pages(data)
    if streams < 2:
        return None if terminated else replace(info, unterminated=True)
    # Where the last stream passes the end of the file libsndfile searches for its length,
    # it gives none.
    first = f" ({info.duration:.1f} s)" if info.frames else ""
    return _through_ffmpeg(
        source,
        replace(info, frames=0, unterminated=not terminated),
        name=name,
        why=f"Ogg file of {streams} streams one after another (a stream dump, or files "
        f"joined): libsndfile decodes only the first{first}",
    )


def _through_ffmpeg(source: AudioSource, info: AudioInfo, *, name: str, why: str) -> AudioInfo:
    """``info`` decoded through ffmpeg, for a file libsndfile opens but would decode only
    in part; refused with ``why`` when ffmpeg is not installed (or the source is no path)."""
    if not isinstance(source, str | os.PathLike):
        raise AudioError(f"{name}: {why}; pass its path for ffmpeg to decode, or re-encode it")
    if find_ffmpeg() is None:
        raise AudioError(f"{name}: {why}; {how_to_enable_ffmpeg()}, or re-encode it")
    return replace(info, decoder="ffmpeg")


def _walk_ogg_pages(data: bytes | mmap.mmap) -> tuple[int, bool]:
    """The Ogg streams one after another in ``data``, by their first pages (the first pages
    of streams played together, video and sound, follow each other and count once), and
    whether the data ends with a whole page that ends a stream."""
    streams, position, in_first_pages, last_page_ends = 0, 0, False, False
    while data[position : position + 4] == b"OggS" and position + 27 <= len(data):
        segments = data[position + 26]
        first_page = bool(data[position + 5] & 0x02)  # "beginning of stream"
        if first_page and not in_first_pages:
            streams += 1
        in_first_pages = first_page
        last_page_ends = bool(data[position + 5] & 0x04)  # "end of stream"
        position += 27 + segments + sum(data[position + 27 : position + 27 + segments])
    return streams, last_page_ends and position == len(data)


@contextmanager
def _bytes_of(source: AudioSource) -> Iterator[bytes | mmap.mmap]:
    """The whole file's bytes: mapped for a path, read for a file object (left where it
    was)."""
    if isinstance(source, str | os.PathLike):
        with (
            open(source, "rb") as handle,
            mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data,
        ):
            yield data
    else:
        position = source.tell()
        try:
            yield source.read()
        finally:
            source.seek(position)


def _has_mp3_frames(source: AudioSource) -> bool:
    with _bytes_of(source) as data:
        return _count_mp3_frames(data) is not None


def _count_mp3_frames(data: bytes | mmap.mmap) -> tuple[int, bool] | None:
    """Samples per channel of an MP3 counted frame by frame, and whether its first frame
    holds a length tag; None when no frame is found."""
    position = _after_id3(data, 0)
    # The first frame is the first header another one follows: junk before the audio may
    # hold a stray sync pattern.
    for start in range(position, min(len(data), position + _MP3_SEARCH_BYTES)):
        first = _mp3_frame(data, start)
        if first is not None and _mp3_frame(data, start + first[0]) is not None:
            break
    else:
        return None
    tagged = any(data.find(tag, start, start + first[0]) >= 0 for tag in _MP3_LENGTH_TAGS)
    samples, position = 0, start
    while True:
        # Joined files: the next one's ID3v2 tag, or this one's 128-byte ID3v1 tag.
        if data[position : position + 3] == b"TAG" and position + 128 < len(data):
            position += 128
        position = _after_id3(data, position)
        frame = _mp3_frame(data, position)
        if frame is None:
            return samples, tagged
        samples += frame[1]
        position += frame[0]


def _after_id3(data: bytes | mmap.mmap, position: int) -> int:
    """Where the ID3v2 tag at ``position`` ends, or ``position`` when none starts there."""
    if data[position : position + 3] != b"ID3" or position + 10 > len(data):
        return position
    header = data[position : position + 10]
    size = int.from_bytes(bytes(b & 0x7F for b in header[6:10]), "big")  # 7 bits a byte
    return position + 10 + size + (10 if header[5] & 0x10 else 0)  # and a footer, if flagged


def _mp3_frame(data: bytes | mmap.mmap, position: int) -> tuple[int, int] | None:
    """Length in bytes and samples per channel of the layer III frame whose header starts at
    ``position``, or None when none does."""
    if position + 4 > len(data):
        return None
    sync, flags, rates = data[position], data[position + 1], data[position + 2]
    version, layer = (flags >> 3) & 3, (flags >> 1) & 3
    bitrate_index, rate_index = rates >> 4, (rates >> 2) & 3
    if sync != 0xFF or flags & 0xE0 != 0xE0 or version == 1 or layer != 1:
        return None
    if bitrate_index in (0, 15) or rate_index == 3:  # free format, or invalid
        return None
    mpeg1 = version == 3
    samples = 1152 if mpeg1 else 576
    bitrate = 1000 * _MP3_BITRATES[0 if mpeg1 else 1][bitrate_index]
    padding = (rates >> 1) & 1
    return samples // 8 * bitrate // _MP3_RATES[version][rate_index] + padding, samples


def _wav_data_chunk(head: bytes | mmap.mmap) -> tuple[int, int] | None:
    """Where the audio starts in a little-endian WAV whose ``data`` chunk header lies
    within ``head``, and the size it declares; None otherwise."""
    if head[:4] != b"RIFF":
        return None
    for chunk_id, start, size in _wav_chunks(head):
        if chunk_id == b"data":
            return start, size
    return None


def _read_head(source: AudioSource, *, name: str, size: int = 4096) -> bytes:
    """The first bytes of the file (for format sniffing), after the missing/empty checks."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not os.fspath(source):  # Path("") is the current folder
            raise AudioError(f"{name or repr('')}: an empty path")
        if not path.exists():
            raise AudioError(f"{name}: no such file")
        if not path.is_file():
            raise AudioError(f"{name}: not a regular file")
        try:
            if path.stat().st_size == 0:
                raise AudioError(f"{name}: empty file (0 bytes)")
            with path.open("rb") as handle:
                return handle.read(size)
        except OSError as exc:  # permission denied, an I/O error of the disk or share
            raise AudioError(f"{name}: cannot be read ({exc.strerror or exc})") from exc
    try:
        source.seek(0)
        head = source.read(size)
        source.seek(0)
    # ValueError: a closed file
    except (OSError, io.UnsupportedOperation, ValueError) as exc:
        raise ParameterError(f"{name}: need a seekable binary file object ({exc})") from exc
    if not head:
        raise AudioError(f"{name}: empty file (0 bytes)")
    return head


def _open_failure(codec: str | None, exc: Exception, notes: Sequence[str], *, remedy: str) -> str:
    """Why a file could not be opened, in words a user can act on."""
    if codec:
        return f"unsupported codec: {codec}; convert it to WAV, FLAC, OGG or MP3, or {remedy}"
    return f"not readable audio ({_reason(exc, notes)})"


def _unsupported_codec(head: bytes) -> str | None:
    """Recognise containers and codecs libsndfile does not decode from the first bytes."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "MP4/M4A container (AAC or ALAC)"
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return "ASF container (WMA)"
    if head.startswith(b"#!AMR"):
        return "AMR"
    if head.startswith(b"wvpk"):
        return "WavPack"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "Matroska/WebM container"
    # An ADTS frame header: 12 sync bits and layer 0 (an MP3 frame's layer is not), at the
    # start or after an ID3 tag (a stream recorder's, an HLS segment's timestamps).
    adts = _after_id3(head, 0)
    if len(head) >= adts + 2 and head[adts] == 0xFF and head[adts + 1] & 0xF6 == 0xF0:
        return "raw AAC (ADTS)"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "AVI container"
    # Three MPEG-TS packets, each starting with the sync byte 0x47 ("G"); M2TS puts a 4-byte
    # time code before each.
    for first, size in ((0, 188), (4, 192)):
        if head[first::size][:3] == b"GGG":
            return "MPEG transport stream"
    # CAF: an 8-byte file header, then the "desc" chunk (4-byte type, 8-byte size), whose
    # format ID follows its 8-byte sample rate.
    if head.startswith(b"caff") and head[8:12] == b"desc" and len(head) >= 32:
        format_id = head[28:32]
        if format_id not in _CAF_SUPPORTED_FORMATS:
            label = _CAF_FORMAT_NAMES.get(format_id, format_id.decode("latin-1").strip())
            return f"CAF container ({label})"
    # Ogg: a 27-byte page header and a segment table as long as its last byte says, then
    # the first packet, whose first bytes name the first stream's codec.
    if head.startswith(b"OggS") and len(head) > 27:
        packet = head[27 + head[26] :]
        if packet and not packet.startswith(_OGG_SUPPORTED_CODECS):
            label = next(
                (name for magic, name in _OGG_CODEC_NAMES.items() if packet.startswith(magic)),
                "not Vorbis or Opus",
            )
            return f"Ogg container ({label})"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        tag = _wav_format_tag(head)
        if tag is not None and tag not in _WAV_SUPPORTED_TAGS:
            label = _WAV_TAG_NAMES.get(tag, "unknown")
            return f"WAV format tag 0x{tag:04X} ({label})"
    return None


def _codec_by_suffix(source: AudioSource) -> str | None:
    """A format only ffmpeg decodes, named by the file's suffix (a QuickTime file without
    ``ftyp``, whose first bytes do not tell)."""
    if not isinstance(source, str | os.PathLike):
        return None
    suffix = Path(source).suffix.lower()
    if suffix not in FFMPEG_AUDIO_SUFFIXES:
        return None
    return f"{suffix.lstrip('.').upper()} (by the file name)"


def _wav_format_tag(head: bytes) -> int | None:
    """The format tag of the first ``fmt `` chunk within ``head``, if it is there."""
    fmt = _wav_fmt(head)
    return struct.unpack("<H", fmt[:2])[0] if len(fmt) >= 2 else None


def _wav_rate(head: bytes) -> int | None:
    """The sample rate of a RIFF/WAVE file's first ``fmt `` chunk within ``head``, if it is
    there."""
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    fmt = _wav_fmt(head)
    return struct.unpack("<I", fmt[4:8])[0] if len(fmt) >= 8 else None


def _wav_fmt(head: bytes) -> bytes:
    """What lies within ``head`` of the first ``fmt `` chunk's contents (b"" without one)."""
    for chunk_id, start, size in _wav_chunks(head):
        if chunk_id == b"fmt ":
            return head[start : start + size]
    return b""


def _wav_chunks(head: bytes | mmap.mmap) -> Iterator[tuple[bytes, int, int]]:
    """Each chunk of a RIFF/WAVE file whose header lies within ``head``: its id, the offset
    of its contents and the size it declares."""
    offset = 12
    while offset + 8 <= len(head):
        (size,) = struct.unpack("<I", head[offset + 4 : offset + 8])
        yield head[offset : offset + 4], offset + 8, size
        offset += 8 + size + (size & 1)


# libsndfile logs "data : 264600 (should be 132278)" when a WAV's data chunk is cut short,
# "SSND : ..." for AIFF, "Data Size : ..." for AU and "riff : ..." for Wave64 (whose data
# chunk runs to the end of its riff), each "(should be N)".
_DATA_TOO_LONG = re.compile(
    r"^\s*(?:data|SSND|Data Size|riff)\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE
)
# ... and for RF64, whose 32-bit sizes are placeholders, the frame count of its ds64 chunk.
_FRAMES_TOO_MANY = re.compile(
    r"Calculated frame count (\d+) does not match value from 'ds64' chunk of (\d+)"
)
# Recorders that stream WAV write these sizes before they know the length (0x7FFFF000 is
# SoX's, left by a `rec` that was killed): not truncation.
_UNKNOWN_DATA_SIZES = {0, 0xFFFFFFFF, 0x7FFFFFFF, 0x7FFFF000}


def _check_declared_size(log: str, *, name: str) -> None:
    """Raise AudioError when libsndfile's header log says the data chunk is cut short
    (checked before decoding, so a truncated WAV costs nothing to refuse)."""
    match = _DATA_TOO_LONG.search(log)
    if match and int(match.group(1)) not in _UNKNOWN_DATA_SIZES:
        declared, present = int(match.group(1)), int(match.group(2))
        if present < declared:
            raise AudioError(
                f"{name}: truncated (header declares {declared} bytes of audio, "
                f"the file holds {present})"
            )
    match = _FRAMES_TOO_MANY.search(log)
    if match and int(match.group(1)) < int(match.group(2)):
        raise AudioError(
            f"{name}: truncated (header declares {match.group(2)} frames of audio, "
            f"the file holds {match.group(1)})"
        )


def _check_complete(log: str, info: AudioInfo, n_read: int, *, name: str) -> None:
    """Raise AudioError when the file decoded to fewer samples than its header declares."""
    # MP3 lengths come from a Xing/Info header or an estimate, and lossy codecs' containers
    # may count their padding; allow 1 % slack there.
    lossy = info.format == "MP3" or info.subtype == "MPEG_LAYER_III" or info.decoder == "ffmpeg"
    slack = _lossy_slack(info.frames) if lossy else 0
    if n_read + slack < info.frames or "ended unexpectedly" in log:
        raise AudioError(
            f"{name}: truncated (header declares {info.duration:.3f} s, "
            f"only {n_read / info.sr:.3f} s decodable)"
        )


def _lossy_slack(frames: int) -> int:
    """Samples a lossy stream may decode short of the length it declares: 1 % (an MP3's
    length may be an estimate) and two MP3 frames of encoder padding."""
    return int(0.01 * frames) + 2304


def _reason(exc: Exception, notes: Sequence[str] = ()) -> str:
    """The decoder's words for a failure: its first note when it printed one (libsndfile
    says only "Unspecified internal error" when its MP3 decoder gives up)."""
    if notes:
        return notes[0]
    text = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    text = text.split(": ", 1)[-1] if "Error opening" in text else text
    return text.removeprefix("Error : ").rstrip(".")
