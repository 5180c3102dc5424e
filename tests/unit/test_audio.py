"""Audio decoding: block decoding, formats, and every bad file of DESIGN.md."""

import io
import os
import re
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr
from helpers.signals import dominant_frequency, left_unclosed, noise, tone, write_wav

from sounddetect.audio import (
    audio_info,
    is_audio_path,
    iter_audio_blocks,
    load_audio,
    resample,
    to_mono,
    valid_audio,
)
from sounddetect.exceptions import AudioError, ParameterError, SoundDetectWarning
from sounddetect.ffmpeg import FFMPEG_ENV


def wav_with_format_tag(tag: int) -> bytes:
    """A RIFF/WAVE file whose fmt chunk declares codec ``tag`` (18-byte fmt, cbSize 0)."""
    fmt = struct.pack("<HHIIHHH", tag, 1, 16000, 32000, 2, 16, 0)
    data = bytes(1000)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def caf_with_format(format_id: bytes) -> bytes:
    """A CAF file whose desc chunk declares ``format_id``, with no audio behind it."""
    desc = struct.pack(">d4sIIIII", 44100.0, format_id, 0, 0, 4096, 1, 0)
    return b"caff" + struct.pack(">HH", 1, 0) + b"desc" + struct.pack(">q", len(desc)) + desc


def test_block_decode_equals_whole_file_decode(tmp_path, rng):
    # GIVEN a 95 s stereo 44.1 kHz recording (many blocks and a partial last one)
    sr = 44100
    stereo = np.stack([noise(95, sr=sr, rng=rng), tone(95, sr=sr, amplitude=0.3)], axis=1)
    path = write_wav(tmp_path / "long.wav", stereo, sr, subtype="FLOAT")
    # WHEN it is decoded in 7 s blocks and, separately, in one piece
    blocks = list(iter_audio_blocks(path, sr=16000, block_seconds=7.0))
    whole, _ = sf.read(path, dtype="float32")
    reference = soxr.resample(whole.mean(axis=1), sr, 16000, quality="HQ")
    # THEN the blocks are bounded and their concatenation equals the one-shot decode
    assert len(blocks) >= 13
    assert max(len(b) for b in blocks) <= 7.0 * 16000 + 1024  # + resampler latency
    streamed = np.concatenate(blocks)
    assert streamed.dtype == np.float32
    assert len(streamed) == len(reference)
    np.testing.assert_allclose(streamed, reference, atol=1e-5)


def test_native_rate_blocks_are_the_exact_samples(tmp_path, rng):
    y = noise(10, sr=8000, rng=rng)
    path = write_wav(tmp_path / "n.wav", y, 8000, subtype="FLOAT")
    streamed = np.concatenate(list(iter_audio_blocks(path, sr=None, block_seconds=1.5)))
    np.testing.assert_array_equal(streamed, y)


@pytest.mark.parametrize(
    ("fmt", "subtype", "suffix", "sr"),
    [
        ("FLAC", None, ".flac", 44100),
        ("OGG", None, ".ogg", 44100),
        ("OGG", "OPUS", ".opus", 48000),  # WhatsApp's and browsers' voice notes
        ("MP3", None, ".mp3", 44100),
        ("WAV", None, ".wav", 44100),
        ("CAF", None, ".caf", 44100),  # Apple's Core Audio Format
        ("RF64", None, ".rf64", 48000),  # field recorders' files over 4 GB
        ("W64", None, ".w64", 48000),  # Sony Wave64, audio editors' files over 4 GB
        ("WAV", None, ".bwf", 48000),  # broadcast WAV
        ("AIFF", "FLOAT", ".aifc", 44100),
    ],
)
def test_formats_decode_to_the_right_length_and_pitch(tmp_path, fmt, subtype, suffix, sr):
    path = tmp_path / f"tone{suffix}"
    sf.write(path, tone(3.0, sr=sr, freq_hz=3100.0), sr, format=fmt, subtype=subtype)
    assert is_audio_path(path) and audio_info(path).decoder == "libsndfile"
    y, out_sr = load_audio(path, sr=16000)
    assert out_sr == 16000
    assert abs(len(y) - 48000) <= 16000 * 0.06  # MP3 encoder delay and padding
    assert dominant_frequency(y, out_sr) == pytest.approx(3100.0, abs=10.0)


@pytest.mark.parametrize(("file_sr", "n_out"), [(8000, 32000), (96000, 32000), (16000, 32000)])
def test_any_rate_resamples_to_the_target(tmp_path, file_sr, n_out):
    path = write_wav(tmp_path / "t.wav", tone(2.0, sr=file_sr, freq_hz=1000.0), file_sr)
    y, sr = load_audio(path, sr=16000)
    assert (sr, len(y)) == (16000, n_out)
    assert dominant_frequency(y, sr) == pytest.approx(1000.0, abs=5.0)


def with_rate(wav: bytes, rate: int) -> bytes:
    """``wav`` (a plain PCM WAV) with its fmt chunk's sample rate set to ``rate``."""
    assert wav[12:16] == b"fmt "
    return wav[:24] + struct.pack("<I", rate) + wav[28:]


@pytest.mark.parametrize("rate", [0, 1, 1999, 768001, 2**31 - 1, 2**31, 2**32 - 1])
def test_a_header_with_no_recording_s_rate_is_refused(tmp_path, rate):
    # GIVEN 6 s of 16 kHz audio whose header says another rate: at 1 Hz that would decode
    # as 27 hours, at 2 GHz as 45 microseconds; libsndfile opens none of 0 or over 2**31 - 1
    good = write_wav(tmp_path / "good.wav", tone(6.0, sr=16000), 16000, subtype="PCM_16")
    path = tmp_path / "damaged.wav"
    path.write_bytes(with_rate(good.read_bytes(), rate))
    with pytest.raises(AudioError, match=rf"damaged\.wav: sample rate {rate} Hz, outside what"):
        audio_info(path)
    # while the lowest and highest rates a recording may have decode
    for edge in (2000, 768000):
        path.write_bytes(with_rate(good.read_bytes(), edge))
        assert audio_info(path).sr == edge


def test_multichannel_is_averaged_or_kept(tmp_path):
    # 4 channels: constant 0.4, -0.4, 0.2, 0.2 -> mean 0.1
    y = np.tile(np.array([0.4, -0.4, 0.2, 0.2], dtype=np.float32), (16000, 1))
    path = write_wav(tmp_path / "quad.wav", y, 16000, subtype="FLOAT")
    assert audio_info(path).channels == 4
    mono, _ = load_audio(path, sr=None)
    np.testing.assert_allclose(mono, 0.1, atol=1e-6)
    # Kept, the channels come first, each as it is in the file.
    channels, _ = load_audio(path, sr=8000, mono=False)
    assert channels.shape == (4, 8000)
    np.testing.assert_allclose(channels[:, 100:-100], y[:7800].T, atol=1e-4)


def test_blocks_keep_the_channels_when_asked(tmp_path, rng):
    # GIVEN a stereo 44.1 kHz recording of 20 s: noise left, a tone right
    sr = 44100
    stereo = np.stack([noise(20, sr=sr, rng=rng), tone(20, sr=sr, amplitude=0.3)], axis=1)
    path = write_wav(tmp_path / "stereo.wav", stereo, sr, subtype="PCM_16")
    # WHEN it is decoded in 3 s blocks without mixing to mono
    blocks = list(iter_audio_blocks(path, sr=16000, block_seconds=3.0, mono=False))
    # THEN each block is (channels, n), and together they are each channel resampled alone
    assert len(blocks) >= 7 and all(b.shape[0] == 2 and b.dtype == np.float32 for b in blocks)
    whole, _ = sf.read(path, dtype="float32")
    reference = soxr.resample(whole, sr, 16000, quality="HQ").T
    streamed = np.concatenate(blocks, axis=1)
    assert streamed.shape == reference.shape
    np.testing.assert_allclose(streamed, reference, atol=1e-5)
    # and at the native rate they are the file's own samples
    native = np.concatenate(list(iter_audio_blocks(path, sr=None, mono=False)), axis=1)
    np.testing.assert_array_equal(native, whole.T)


def test_a_mono_file_kept_in_channels_is_one_channel(tmp_path, rng):
    y = noise(2.0, sr=16000, rng=rng)
    path = write_wav(tmp_path / "n.wav", y, 16000, subtype="FLOAT")
    (block,) = iter_audio_blocks(path, sr=None, mono=False)
    assert block.shape == (1, 32000)
    np.testing.assert_array_equal(block[0], y)


def test_nan_in_one_channel_is_found_at_its_time(tmp_path):
    stereo = np.stack([tone(3.0, sr=16000), tone(3.0, sr=16000)], axis=1)
    stereo[24000, 1] = np.nan
    path = write_wav(tmp_path / "bad.wav", stereo, 16000, subtype="FLOAT")
    with pytest.raises(AudioError, match=r"bad\.wav: contains NaN .* \(first at 1\.500 s\)"):
        list(iter_audio_blocks(path, sr=16000, block_seconds=0.7, mono=False))


def test_file_objects_decode_like_paths(tmp_path, rng):
    y = noise(2.0, sr=16000, rng=rng)
    path = write_wav(tmp_path / "n.wav", y, 16000, subtype="FLOAT")
    stream = io.BytesIO(path.read_bytes())
    from_stream, _ = load_audio(stream, sr=None)
    np.testing.assert_array_equal(from_stream, y)


def test_info_reports_header(tmp_path):
    path = write_wav(tmp_path / "t.wav", np.zeros((44100, 2), np.float32), 44100)
    info = audio_info(path)
    assert (info.sr, info.frames, info.channels, info.format) == (44100, 44100, 2, "WAV")
    assert info.duration == 1.0


# --- bad inputs: one AudioError each, naming the file and the reason -------------------


def test_missing_file(tmp_path):
    with pytest.raises(AudioError, match=r"nope\.wav: no such file"):
        load_audio(tmp_path / "nope.wav")


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.touch()
    with pytest.raises(AudioError, match=r"empty\.wav: empty file \(0 bytes\)"):
        load_audio(path)


def test_zero_byte_stream():
    with pytest.raises(AudioError, match=r"upload: empty file"):
        load_audio(io.BytesIO(b""), name="upload")


def test_non_audio_file(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("these are meeting notes, not audio\n" * 20)
    with pytest.raises(AudioError, match=r"notes\.wav: not readable audio \(Format not recognised"):
        load_audio(path)


def test_truncated_wav(tmp_path):
    full = write_wav(tmp_path / "full.wav", tone(4.0, sr=16000), 16000).read_bytes()
    path = tmp_path / "cut.wav"
    path.write_bytes(full[: len(full) // 2])
    with pytest.raises(AudioError, match=r"cut\.wav: truncated \(header declares 128000 bytes"):
        load_audio(path)


@pytest.mark.parametrize(
    ("fmt", "suffix", "declared"),
    [
        ("AIFF", ".aiff", "header declares 128008 bytes"),
        ("AU", ".au", "header declares 128000 bytes"),
        ("W64", ".w64", "header declares 128104 bytes"),
        ("RF64", ".rf64", "header declares 64000 frames"),
    ],
)
def test_truncated_files_of_other_uncompressed_formats(tmp_path, fmt, suffix, declared):
    # GIVEN a recording cut to half its bytes (an interrupted copy), in the formats field
    # recorders and editors write besides WAV
    full = tmp_path / f"full{suffix}"
    sf.write(full, tone(4.0, sr=16000), 16000, format=fmt, subtype="PCM_16")
    path = tmp_path / f"cut{suffix}"
    path.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    # THEN it is refused as truncated, not taken for a 2 s recording
    with pytest.raises(AudioError, match=rf"cut\{suffix}: truncated \({declared}"):
        load_audio(path)
    assert len(load_audio(full)[0]) == 64000


@pytest.mark.parametrize(
    ("riff_size", "data_size"),
    [
        (0, 0),  # hand-written recorders
        (36, 0),
        (8, 0),  # libsndfile's own
        (0xFFFFFFFF, 0xFFFFFFFF),  # ffmpeg's
        (0x7FFFFFFF, 0x7FFFFFFF),  # arecord's
        (0x7FFFF000 + 36, 0x7FFFF000),  # SoX's
    ],
)
@pytest.mark.parametrize(
    ("subtype", "channels", "extensible"),
    [("PCM_16", 1, False), ("PCM_24", 6, False), ("FLOAT", 2, False), ("PCM_24", 6, True)],
)
def test_a_recording_never_closed_decodes_to_its_last_whole_frame(
    tmp_path, rng, riff_size, data_size, subtype, channels, extensible
):
    # GIVEN 3 s of a recording whose header sizes were never filled in, cut mid-frame
    sr = 16000
    y = np.stack([noise(3.0, sr=sr, rng=rng) for _ in range(channels)], axis=1)
    whole = write_wav(tmp_path / "whole.wav", y, sr, subtype=subtype, extensible=extensible)
    assert sf.info(whole).format == ("WAVEX" if extensible else "WAV")
    wav = whole.read_bytes()
    frame_bytes = channels * {"PCM_16": 2, "PCM_24": 3, "FLOAT": 4}[subtype]
    kept = 2 * sr + 100
    unclosed = left_unclosed(
        wav, riff_size=riff_size, data_size=data_size, keep_bytes=kept * frame_bytes + 1
    )
    path = tmp_path / "crashed.wav"
    path.write_bytes(unclosed)
    expected = load_audio(tmp_path / "whole.wav", sr=None)[0][:kept]
    # WHEN it is read from a path and from a file object
    # THEN every whole frame written is there, and nothing else
    for source in (path, io.BytesIO(unclosed)):
        assert audio_info(source).frames == kept
        np.testing.assert_array_equal(load_audio(source, sr=None)[0], expected)


def test_an_unclosed_wav_with_kilobytes_of_chunks_before_its_audio(tmp_path, rng):
    # GIVEN a field recorder's crashed file: 8 KB of padding (JUNK) between fmt and data,
    # which lies beyond the first 4 KB read to sniff the format, and the data size left 0
    sr = 16000
    wav = write_wav(tmp_path / "whole.wav", noise(3.0, sr=sr, rng=rng), sr).read_bytes()
    fmt_end = wav.index(b"data")
    padded = wav[:fmt_end] + b"JUNK" + struct.pack("<I", 8192) + bytes(8192) + wav[fmt_end:]
    path = tmp_path / "crashed.wav"
    path.write_bytes(left_unclosed(padded, riff_size=0, data_size=0))
    # THEN all of its audio is read
    assert audio_info(path).frames == 3 * sr
    np.testing.assert_array_equal(
        load_audio(path, sr=None)[0], load_audio(tmp_path / "whole.wav", sr=None)[0]
    )


@pytest.mark.parametrize(
    ("declared", "extensible"),
    [
        ("wrapped", False),  # a writer that knows no RF64
        ("wrapped", True),
        (0xFFFFFFFF, False),  # ffmpeg's placeholder, which libsndfile takes for 4 GB
        (0xFFFFFFFF, True),  # ffmpeg's float WAV
        (0x7FFFFFFF, False),  # arecord's
    ],
)
def test_a_wav_over_4_gb_is_read_whole_whatever_its_header_declares(tmp_path, declared, extensible):
    # GIVEN a WAV of 4 GB and 1 s of audio whose writer stored the data size modulo 2**32,
    # or left a placeholder there (a sparse file: the 4 GB of silence take no disk)
    sr = 16000
    start = write_wav(
        tmp_path / "start.wav", tone(1.0, sr=sr), sr,
        subtype="FLOAT" if extensible else "PCM_16", extensible=extensible,
    )  # fmt: skip
    wav = start.read_bytes()
    data = wav.index(b"data") + 8
    if declared != "wrapped":
        wav = left_unclosed(wav, riff_size=0xFFFFFFFF, data_size=declared)
    path = tmp_path / "day.wav"
    path.write_bytes(wav)
    with path.open("r+b") as handle:
        handle.truncate(len(wav) + 2**32)
    frames = (len(wav) - data + 2**32) // (4 if extensible else 2)
    # WHEN its header is read and its first block decoded
    info = audio_info(path)
    first = next(iter_audio_blocks(path, sr=None, block_seconds=1.0, info=info))
    # THEN every frame counts, not the remainder the header declares, and the audio starts
    # where it does
    assert info.frames == frames and info.raw_data_offset == data
    np.testing.assert_array_equal(first, load_audio(start, sr=None)[0])


def test_a_closed_wav_whose_audio_is_a_placeholder_s_size_keeps_its_chunks_apart(tmp_path):
    # GIVEN a whole WAV holding exactly 0x7FFFF000 bytes of audio (SoX's placeholder, by
    # chance) and a LIST chunk after them, as editors append (sparse: no disk taken)
    sr, audio_bytes = 16000, 0x7FFFF000
    wav = write_wav(tmp_path / "start.wav", tone(1.0, sr=sr), sr, subtype="PCM_16").read_bytes()
    data = wav.index(b"data") + 8
    listing = (
        b"LIST"
        + struct.pack("<I", 26)
        + b"INFOISFT"
        + struct.pack("<I", 14)
        + b"an editor\0\0\0\0\0"
    )
    header = left_unclosed(
        wav[:data], riff_size=data - 8 + audio_bytes + len(listing), data_size=audio_bytes
    )
    path = tmp_path / "edited.wav"
    with path.open("wb") as handle:
        handle.write(header + wav[data:])
        handle.seek(data + audio_bytes)
        handle.write(listing)
    # THEN its audio is what the header declares, and the chunk is not read as samples
    info = audio_info(path)
    assert info.frames == audio_bytes // 2 and info.raw_data_offset is None


def test_a_wav_that_declares_no_audio_and_holds_none_has_no_samples(tmp_path):
    wav = write_wav(tmp_path / "whole.wav", tone(1.0, sr=16000), 16000).read_bytes()
    path = tmp_path / "hollow.wav"
    path.write_bytes(left_unclosed(wav, riff_size=0, data_size=0, keep_bytes=1))
    assert audio_info(path).raw_data_offset is None
    with pytest.raises(AudioError, match=r"hollow\.wav: no samples"):
        load_audio(path)


@pytest.mark.parametrize("fmt", ["FLAC", "MP3", "OGG"])
def test_truncated_compressed_files(tmp_path, capfd, fmt):
    full = tmp_path / f"full.{fmt.lower()}"
    sf.write(full, tone(6.0, sr=44100), 44100, format=fmt)
    data = full.read_bytes()
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(data[: len(data) // 2])
    capfd.readouterr()
    with pytest.raises(AudioError, match=rf"cut\.{fmt.lower()}: truncated"):
        load_audio(path)
    # libmpg123 warns of the MP3's Xing tag on stderr; the error says it all.
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("subtype, suffix", [("VORBIS", ".ogg"), ("OPUS", ".opus")])
def test_an_ogg_file_cut_short_is_read_and_marked_unterminated(tmp_path, rng, subtype, suffix):
    # GIVEN a 10 s Ogg recording, whole, without its last page, and cut within a page (a
    # recorder that stopped without closing the file, a download cut short)
    whole = tmp_path / f"whole{suffix}"
    sf.write(whole, noise(10.0, sr=48000, rng=rng), 48000, format="OGG", subtype=subtype)
    data = whole.read_bytes()
    cuts = {"page": data[: data.rfind(b"OggS")], "within": data[: len(data) * 3 // 5]}
    # THEN the whole file is not marked; each cut one is, and reads to its last whole page
    assert audio_info(whole).unterminated is False
    for label, cut in cuts.items():
        path = tmp_path / f"{label}{suffix}"
        path.write_bytes(cut)
        info = audio_info(path)
        assert info.unterminated, label
        assert 0 < info.frames < 9.9 * 48000
        assert len(load_audio(path, sr=None)[0]) == info.frames


@pytest.mark.parametrize(("content", "size"), [(b"x", "1 byte"), (b"\xff\xfb", "2 bytes")])
def test_a_tiny_mp3_is_not_called_a_pipe(tmp_path, content, size):
    # A download cut off after its first bytes: libsndfile says "possibly a pipe?"
    path = tmp_path / "cut.mp3"
    path.write_bytes(content)
    with pytest.raises(AudioError) as raised:
        audio_info(path)
    assert str(raised.value) == f"{path}: not readable audio (no audio frame in its {size})"


def test_an_id3_tag_without_audio_says_so(tmp_path):
    # A tag (title, album art) saved without its audio, as a failed download leaves it
    tag = b"ID3\x03\x00\x00\x00\x00\x00\x0a" + bytes(10)
    path = tmp_path / "song.mp3"
    path.write_bytes(tag)
    with pytest.raises(AudioError, match=r"song\.mp3: not readable audio \(an ID3 tag without"):
        audio_info(path)
    # while an ID3 tag before the MP3 frames is read as ever
    full = tmp_path / "full.mp3"
    sf.write(full, tone(3.0, sr=44100), 44100, format="MP3")
    path.write_bytes(tag + full.read_bytes())
    assert audio_info(path).duration == pytest.approx(3.0, abs=0.1)


def mp3_with_zeros(tmp_path, *, at: float, n_bytes: int) -> tuple[Path, int, float]:
    """A 10 s MP3 with ``n_bytes`` zero bytes written over it ``at`` a fraction of its size:
    its path, where the zeros start (bytes) and its bytes per second."""
    full = tmp_path / "full.mp3"
    sf.write(full, tone(10.0, sr=44100), 44100, format="MP3")
    data = bytearray(full.read_bytes())
    start = int(len(data) * at)
    data[start : start + n_bytes] = bytes(n_bytes)
    path = tmp_path / "damaged.mp3"
    path.write_bytes(bytes(data))
    return path, start, len(data) / 10.0


def test_a_damaged_mp3_is_refused_with_where_and_why(tmp_path, capfd):
    # GIVEN an MP3 with 3 kB of zeros inside, more than libmpg123 searches for a frame
    path, start, bytes_per_s = mp3_with_zeros(tmp_path, at=0.4, n_bytes=3000)
    capfd.readouterr()
    # WHEN it is decoded, THEN one error says when the damage comes and the decoder's note
    with pytest.raises(AudioError) as raised:
        load_audio(path)
    found = re.fullmatch(
        r".*damaged\.mp3: truncated or corrupt after (\d+\.\d+) s "
        r"\(Illegal Audio-MPEG-Header 0x00000000 at offset (\d+)\)",
        str(raised.value),
    )
    assert found, str(raised.value)
    assert float(found[1]) == pytest.approx(start / bytes_per_s, abs=0.3)
    assert start <= int(found[2]) < start + 1500  # the first frame header it could not read
    # and the decoder's own lines ("Note: Trying to resync...") are not printed
    assert capfd.readouterr().err == ""


def test_an_mp3_the_decoder_resyncs_decodes_with_one_warning(tmp_path, capfd):
    # GIVEN an MP3 with 300 zero bytes inside: libmpg123 skips them to the next frame
    path, start, _ = mp3_with_zeros(tmp_path, at=0.4, n_bytes=300)
    capfd.readouterr()
    # WHEN it is decoded, THEN it decodes to its end with one warning naming the damage
    with pytest.warns(SoundDetectWarning) as caught:
        y, sr = load_audio(path, sr=None)
    assert len(y) / sr == pytest.approx(10.0, abs=0.1)
    (warning,) = [str(w.message) for w in caught]
    assert re.fullmatch(
        r".*damaged\.mp3: decoded to its end, but the MP3 decoder noted: Illegal "
        r"Audio-MPEG-Header 0x00000000 at offset \d+ \(and \d+ more\)",
        warning,
    ), warning
    assert capfd.readouterr().err == ""


def with_open_length(flac: bytes) -> bytes:
    """``flac`` with STREAMINFO's total samples set to 0, "unknown", as an encoder writing
    to a pipe (or one that died before it could go back to the header) leaves it."""
    out = bytearray(flac)
    assert out[:4] == b"fLaC" and out[4] & 0x7F == 0  # the first block is STREAMINFO
    (packed,) = struct.unpack(">Q", out[18:26])  # rate 20 bits, channels 3, bits 5, total 36
    out[18:26] = struct.pack(">Q", packed & ~(2**36 - 1))
    return bytes(out)


@pytest.mark.parametrize("kept", [1.0, 0.6])
def test_a_flac_of_open_length_decodes_to_its_end(tmp_path, rng, kept):
    # GIVEN a FLAC whose header does not give its length, whole or cut mid-frame (a
    # recorder that died)
    sr = 16000
    y = np.stack([noise(6.0, sr=sr, rng=rng), tone(6.0, sr=sr, amplitude=0.3)], axis=1)
    flac = tmp_path / "whole.flac"
    sf.write(flac, y, sr, subtype="PCM_16")
    expected = load_audio(flac, sr=None)[0]
    data = with_open_length(flac.read_bytes())
    path = tmp_path / "open.flac"
    path.write_bytes(data[: int(len(data) * kept)])
    # WHEN it is decoded in blocks of 2 s or in one block, from a path and a file object
    for source, block_seconds in ((path, 2.0), (io.BytesIO(path.read_bytes()), 30.0)):
        assert audio_info(source).frames == 0
        blocks = iter_audio_blocks(source, sr=None, block_seconds=block_seconds)
        decoded = np.concatenate(list(blocks))
        # THEN every sample libsndfile can decode is there: up to the last one of a whole
        # file (its FLAC decoder fails on that one), up to the cut of a cut one
        least = len(expected) - 1 if kept == 1.0 else int(len(expected) * kept) - 2 * 4096
        assert least <= len(decoded) <= len(expected)
        np.testing.assert_array_equal(decoded, expected[: len(decoded)])


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("mp2_in.wav", wav_with_format_tag(0x0050), r"WAV format tag 0x0050 \(MPEG-1 audio\)"),
        ("aac_in.wav", wav_with_format_tag(0x00FF), r"WAV format tag 0x00FF \(AAC\)"),
        ("voice.m4a", b"\x00\x00\x00\x20ftypM4A " + bytes(200), r"MP4/M4A container"),
        ("voice.wma", b"\x30\x26\xb2\x75\x8e\x66\xcf\x11" + bytes(200), r"ASF container \(WMA\)"),
        ("memo.caf", caf_with_format(b"alac"), r"CAF container \(Apple Lossless\)"),
        ("memo.caf", caf_with_format(b"QDM2"), r"CAF container \(QDM2\)"),
    ],
)
def test_unsupported_codecs(tmp_path, monkeypatch, name, content, match):
    # GIVEN headers of codecs libsndfile cannot decode, with nothing decodable behind them
    path = tmp_path / name
    path.write_bytes(content)
    # WHEN ffmpeg is off, THEN the codec is named
    monkeypatch.setenv(FFMPEG_ENV, "off")
    with pytest.raises(AudioError, match=rf"{name}: unsupported codec: {match}"):
        load_audio(path)
    # WHEN ffmpeg is on, THEN it is asked, and says why it cannot decode them either
    monkeypatch.delenv(FFMPEG_ENV)
    with pytest.raises(AudioError, match=rf"{name}: .*\((ffprobe|ffmpeg): .*Invalid data"):
        load_audio(path)


def test_a_damaged_pcm_caf_is_not_sent_to_ffmpeg(tmp_path):
    # GIVEN a CAF file that declares PCM, which libsndfile decodes, but holds no audio chunk
    path = tmp_path / "memo.caf"
    path.write_bytes(caf_with_format(b"lpcm") + bytes(200))
    # THEN it is refused as damaged, not decoded leniently by ffmpeg (which is installed)
    with pytest.raises(AudioError, match=r"memo\.caf: not readable audio \("):
        load_audio(path)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"RIFF\x00\x10\x00\x00AVI LIST" + bytes(200), "AVI container"),
        ((b"G" + bytes(187)) * 4, "MPEG transport stream"),
        ((bytes(4) + b"G" + bytes(187)) * 4, "MPEG transport stream"),  # M2TS
    ],
)
def test_cameras_containers_are_named_by_their_first_bytes(tmp_path, monkeypatch, content, match):
    path = tmp_path / "export.bin"
    path.write_bytes(content)
    monkeypatch.setenv(FFMPEG_ENV, "off")
    with pytest.raises(AudioError, match=rf"export\.bin: unsupported codec: {match}"):
        load_audio(path)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_samples(tmp_path, bad):
    y = tone(3.0, sr=16000)
    y[16000] = bad
    path = write_wav(tmp_path / "bad.wav", y, 16000, subtype="FLOAT")
    with pytest.raises(
        AudioError, match=r"bad\.wav: contains NaN or infinite samples \(first at 1\.000 s\)"
    ):
        list(iter_audio_blocks(path, sr=16000, block_seconds=0.7))


@pytest.mark.parametrize(("subtype", "damage"), [("FLOAT", 1e30), ("DOUBLE", 1e300)])
def test_a_float_sample_damaged_into_a_huge_value_is_refused(tmp_path, subtype, damage):
    # GIVEN float audio at +-32768 (as some programs write it), which is audio, and the same
    # with one word damaged into a huge value in its second channel at 2 s (in a 64-bit
    # file, one a 32-bit float cannot hold)
    y = np.stack([tone(3.0, sr=16000), tone(3.0, sr=16000)], axis=1).astype(np.float64) * 32768
    loud = write_wav(tmp_path / "loud.wav", y, 16000, subtype=subtype)
    assert np.abs(load_audio(loud, sr=None, mono=False)[0]).max() == pytest.approx(32768 * 0.5)
    y[32000, 1] = damage
    path = write_wav(tmp_path / "bad.wav", y, 16000, subtype=subtype)
    # THEN it is refused where the damage is, as NaN is: its spectrogram would overflow
    with pytest.raises(AudioError) as caught:
        list(iter_audio_blocks(path, sr=16000, block_seconds=0.7))
    assert str(caught.value) == (
        f"{path}: a sample of {damage:.3g} at 2.000 s, beyond what float audio holds (+-1, or "
        "+-32768 as some programs write it): damaged"
    )


def test_header_only_wav_has_no_samples(tmp_path):
    path = write_wav(tmp_path / "hollow.wav", np.zeros(0, np.float32), 16000)
    with pytest.raises(AudioError, match=r"hollow\.wav: no samples"):
        load_audio(path)


def test_bad_block_length():
    with pytest.raises(ParameterError, match="block_seconds"):
        next(iter_audio_blocks("x.wav", block_seconds=0))


# --- array helpers ---------------------------------------------------------------------


def test_valid_audio_rejects_nan_int_and_2d():
    with pytest.raises(AudioError, match="NaN"):
        valid_audio(np.array([0.0, np.nan], dtype=np.float32))
    with pytest.raises(ParameterError, match="floating"):
        valid_audio(np.zeros(4, dtype=np.int16))
    with pytest.raises(ParameterError, match="mono"):
        valid_audio(np.zeros((4, 2), dtype=np.float32))
    valid_audio(np.zeros((2, 4), dtype=np.float32), multichannel=True)
    for shape in ((0, 4), (2, 2, 4)):
        with pytest.raises(ParameterError, match=r"\(channels, n\)"):
            valid_audio(np.zeros(shape, dtype=np.float32), multichannel=True)
    with pytest.raises(AudioError, match="no samples"):
        valid_audio(np.zeros((2, 0), dtype=np.float32), multichannel=True)
    with pytest.raises(AudioError, match="no samples"):
        valid_audio(np.zeros(0, dtype=np.float32))


def test_valid_audio_refuses_samples_that_would_overflow_a_spectrogram():
    # a sample of 1e19 squares past float32: the render had returned NaN or garbage images
    with pytest.raises(AudioError, match=r"a sample of 1e\+19, beyond what float audio holds"):
        valid_audio(np.array([0.1, -1e19], dtype=np.float32))
    valid_audio(np.array([32768.0, -1e9], dtype=np.float64))  # +-32768 floats are audio


def test_valid_audio_takes_float16_without_an_overflow_warning():
    # GIVEN half-precision samples, which cannot hold the largest-sample limit
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        valid_audio(np.array([0.5, -65504.0], dtype=np.float16))
        with pytest.raises(AudioError, match="NaN or infinite"):
            valid_audio(np.array([0.5, np.inf], dtype=np.float16))


@pytest.mark.parametrize("sr", [True, -1, 0, 10**9, 22050.5, "16000", 1000])
def test_a_target_rate_that_is_no_recording_rate_is_a_parameter_error(tmp_path, sr):
    # a float rate had been a TypeError, 10**9 a MemoryError, True taken for 1 Hz
    path = write_wav(tmp_path / "a.wav", np.zeros(16000, np.float32), 16000)
    with pytest.raises(ParameterError, match=r"^sr must be a whole rate in Hz"):
        load_audio(path, sr=sr)
    with pytest.raises(ParameterError, match=r"^sr must be a whole rate in Hz"):
        next(iter_audio_blocks(path, sr=sr))


def test_a_whole_float_rate_and_a_bytes_path_are_taken(tmp_path, rng):
    # GIVEN a recording, named as bytes (os.fsencode's, a name that is not UTF-8)
    y = noise(2, sr=16000, rng=rng)
    name = os.fsencode(tmp_path / "caf\udcfc.wav")
    os.rename(write_wav(tmp_path / "written.wav", y, 16000), name)
    assert audio_info(name).sr == 16000
    loaded, sr = load_audio(name, sr=16000.0)
    assert sr == 16000 and type(sr) is int
    np.testing.assert_allclose(loaded, y, atol=1e-4)
    assert sum(block.size for block in iter_audio_blocks(name)) == loaded.size
    # and bytes that hold a NUL are a file's contents, not a name
    with pytest.raises(ParameterError, match=r"io\.BytesIO"):
        audio_info(b"RIFF\0\0\0\0WAVE")


def test_to_mono_and_resample_shapes():
    assert to_mono(np.ones((3, 10), np.float32)).shape == (10,)
    assert resample(np.zeros(44100, np.float32), orig_sr=44100, target_sr=16000).shape == (16000,)


def test_to_mono_averages_channels_first():
    y = np.stack([np.ones(480, np.float32), np.zeros(480, np.float32)])
    np.testing.assert_array_equal(to_mono(y), np.full(480, 0.5, np.float32))
    with pytest.raises(ParameterError, match=r"got \(480, 2\), more channels than samples.*y\.T"):
        to_mono(y.T)


def test_resample_takes_channels_first(rng):
    # GIVEN two channels of 48 kHz audio, channels first as the rest of the library holds them
    y = (0.1 * rng.standard_normal((2, 1000))).astype(np.float32)
    # WHEN they are resampled to 16 kHz
    out = resample(y, orig_sr=48000, target_sr=16000)
    # THEN each channel is resampled on its own, as mono audio would be
    assert out.shape == (2, 333) and out.dtype == np.float32 and out.flags.c_contiguous
    for channel, alone in zip(out, y, strict=True):
        mono = resample(alone, orig_sr=48000, target_sr=16000)
        np.testing.assert_allclose(channel, mono, atol=1e-6)


@pytest.mark.parametrize(
    ("y", "rates", "error", "match"),
    [
        (np.zeros((48000, 2), np.float32), {}, ParameterError, r"channels first.*pass y\.T"),
        (np.zeros(48000, np.int16), {}, ParameterError, r"floating-point.*int16 by 2\*\*-15"),
        (np.zeros(48000, np.complex64), {}, ParameterError, "floating-point"),
        (np.array([0.0, np.nan, 0.0], np.float32), {}, AudioError, "NaN or infinite"),
        (np.array([0.0, np.inf, 0.0], np.float32), {}, AudioError, "NaN or infinite"),
        (np.zeros(480, np.float32), {"orig_sr": 0}, ParameterError, "orig_sr .* got 0"),
        (np.zeros(480, np.float32), {"orig_sr": -48000}, ParameterError, "orig_sr"),
        (np.zeros(480, np.float32), {"target_sr": float("inf")}, ParameterError, "target_sr"),
        (np.zeros(480, np.float32), {"target_sr": "16k"}, ParameterError, "target_sr"),
    ],
)
def test_resample_refuses_what_is_not_float_audio_at_positive_rates(y, rates, error, match):
    with pytest.raises(error, match=match):
        resample(y, **{"orig_sr": 48000, "target_sr": 16000, **rates})
