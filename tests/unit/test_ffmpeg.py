"""Decoding through ffmpeg: phones' M4A, videos' audio, and the bad files among them.

Real ffmpeg and ffprobe (Debian's ``ffmpeg`` package, which ``make test`` installs) encode
the files and decode them; nothing is faked.
"""

import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr
from helpers.signals import dominant_frequency, encode_with_ffmpeg, noise, t3_alarm, tone, write_wav
from helpers.tiny_model import write_tiny_model

from sounddetect.audio import audio_info, iter_audio_blocks, load_audio
from sounddetect.classifiers import OnnxClassifier
from sounddetect.detect import detect_file
from sounddetect.exceptions import AudioError, ParameterError, SoundDetectWarning
from sounddetect.ffmpeg import FFMPEG_ENV, find_ffmpeg
from sounddetect.plots import _overview_spectrogram, plot_detection

SR = 44100
AAC = ("-c:a", "aac", "-b:a", "96k")


@pytest.fixture
def with_ffmpeg(monkeypatch):
    monkeypatch.delenv(FFMPEG_ENV, raising=False)
    assert find_ffmpeg() is not None, "the tests need ffmpeg and ffprobe on PATH"


@pytest.fixture
def without_ffmpeg(monkeypatch):
    monkeypatch.setenv(FFMPEG_ENV, "off")


@pytest.fixture
def stereo(rng):
    """8 s of a T3 alarm at 3.1 kHz in the left channel and noise in the right, 44.1 kHz."""
    return np.stack([t3_alarm(8.0, sr=SR, amplitude=0.4), noise(8.0, sr=SR, rng=rng)], axis=1)


def rms_db(y):
    return 10 * np.log10(np.mean(np.square(y, dtype=np.float64)))


def test_m4a_decodes_like_its_source(tmp_path, with_ffmpeg, stereo):
    # GIVEN a stereo AAC recording in an M4A container, as a phone's voice memo app writes,
    # under a name ffmpeg could take for an option or a protocol
    path = encode_with_ffmpeg(tmp_path / "-memo: take 1 ü.m4a", stereo, SR, *AAC)

    # WHEN it is described and decoded to 16 kHz mono
    info = audio_info(path)
    y, sr = load_audio(path, sr=16000)
    wav_y, _ = load_audio(write_wav(tmp_path / "memo.wav", stereo, SR), sr=16000)

    # THEN ffmpeg decoded it: the same length (AAC's padding aside), tone and level
    assert (info.decoder, info.subtype, info.channels, info.sr) == ("ffmpeg", "aac", 2, SR)
    assert info.duration == pytest.approx(8.0, abs=0.05)
    assert sr == 16000 and y.dtype == np.float32
    assert len(y) == pytest.approx(len(wav_y), abs=0.05 * sr)
    assert dominant_frequency(y, sr) == pytest.approx(3100, abs=5)
    assert rms_db(y) == pytest.approx(rms_db(wav_y), abs=0.5)


def test_ffmpeg_blocks_equal_one_block(tmp_path, with_ffmpeg, stereo):
    path = encode_with_ffmpeg(tmp_path / "memo.m4a", stereo, SR, *AAC)
    small = list(iter_audio_blocks(path, sr=16000, block_seconds=0.37))
    whole = np.concatenate(list(iter_audio_blocks(path, sr=16000, block_seconds=60)))
    assert len(small) > 20
    np.testing.assert_allclose(np.concatenate(small), whole, atol=1e-6)


def test_ffmpeg_blocks_keep_the_channels_when_asked(tmp_path, with_ffmpeg, stereo):
    path = encode_with_ffmpeg(tmp_path / "memo.m4a", stereo, SR, *AAC)
    blocks = list(iter_audio_blocks(path, sr=16000, block_seconds=0.37, mono=False))
    kept = np.concatenate(blocks, axis=1)
    assert all(block.shape[0] == 2 for block in blocks)
    # the alarm stays in the left channel and the noise in the right, at their levels
    source = soxr.resample(stereo, SR, 16000, quality="HQ").T
    assert dominant_frequency(kept[0], 16000) == pytest.approx(3100, abs=5)
    for channel in (0, 1):
        assert rms_db(kept[channel]) == pytest.approx(rms_db(source[channel]), abs=0.5)
    mono = np.concatenate(list(iter_audio_blocks(path, sr=16000, block_seconds=0.37)))
    np.testing.assert_allclose(kept.mean(axis=0), mono, atol=1e-6)


def child_processes() -> set[int]:
    """Process ids of this process's living children (every thread's)."""
    tasks = Path("/proc/self/task").iterdir()
    return {int(pid) for task in tasks for pid in (task / "children").read_text().split()}


def test_stopping_early_ends_the_decoder(tmp_path, with_ffmpeg, stereo):
    # GIVEN a minute of M4A, decoded in 1 s blocks (ffmpeg waits on the full pipe)
    path = encode_with_ffmpeg(tmp_path / "long.m4a", np.tile(stereo, (8, 1)), SR, *AAC)
    before = child_processes()
    blocks = iter_audio_blocks(path, sr=16000, block_seconds=1.0)
    next(blocks)
    assert child_processes() - before  # ffmpeg is running
    # WHEN the caller stops after one block, THEN no ffmpeg is left behind
    blocks.close()
    assert child_processes() == before


@pytest.mark.parametrize(
    ("name", "codec"),
    [
        ("call.3gp", ("-ar", "8000", "-ac", "1", "-c:a", "aac", "-b:a", "24k")),
        ("clip.webm", ("-c:a", "libopus")),
        ("meeting.wma", ("-c:a", "wmav2")),
        ("camera.mov", ("-c:a", "aac")),
        ("dvr.avi", ("-ar", "8000", "-c:a", "pcm_mulaw")),
        ("camera.ts", ("-c:a", "aac")),
        ("camcorder.m2ts", ("-c:a", "ac3")),
        ("mp2_in.wav", ("-c:a", "mp2")),
        ("memo.caf", ("-c:a", "alac")),
        ("memo_ima4.caf", ("-c:a", "adpcm_ima_qt")),
        ("voip.spx", ("-ar", "16000", "-c:a", "libspeex")),
        ("archive.oga", ("-c:a", "flac")),
        ("archive.wv", ("-c:a", "wavpack")),
        ("interview.mka", ("-c:a", "libvorbis")),
    ],
)
def test_other_formats_libsndfile_cannot_read(tmp_path, with_ffmpeg, name, codec):
    path = encode_with_ffmpeg(tmp_path / name, tone(6.0, sr=SR, freq_hz=1000), SR, *codec)
    y, sr = load_audio(path, sr=16000)
    assert audio_info(path).decoder == "ffmpeg"
    assert len(y) == pytest.approx(6 * sr, abs=0.1 * sr)
    assert dominant_frequency(y, sr) == pytest.approx(1000, abs=5)


def test_mp3_in_wav_is_libsndfile_s(tmp_path, with_ffmpeg):
    # libsndfile decodes MP3 in a WAV container itself; its length is MP3's, padding and all.
    path = encode_with_ffmpeg(tmp_path / "mp3_in.wav", tone(6.0, sr=SR), SR, "-c:a", "libmp3lame")
    y, sr = load_audio(path, sr=16000)
    assert audio_info(path).decoder == "libsndfile"
    assert len(y) == pytest.approx(6 * sr, abs=0.1 * sr)
    assert dominant_frequency(y, sr) == pytest.approx(3100, abs=5)


def mp3_through_a_pipe(path, y, sr, *options):
    """``y`` as an MP3 that ffmpeg wrote to a pipe: it cannot seek back to put the length
    tag (Xing/Info) in the first frame, as a recorder streaming to a file cannot."""
    wav = write_wav(path.with_name(path.name + ".source.wav"), y, sr, subtype="FLOAT")
    command = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-c:a", "libmp3lame"]
    with path.open("wb") as out:
        subprocess.run([*command, *options, "-f", "mp3", "pipe:"], stdout=out, check=True)
    assert b"Xing" not in path.read_bytes()[:4096] and b"Info" not in path.read_bytes()[:4096]
    return path


def loud_then_quiet(rng, *, loud_s, quiet_s):
    """Noise, then a quiet alarm: a variable-bitrate encoder spends far more bits on the
    first part than on the second."""
    loud = 0.3 * noise(loud_s, sr=SR, rng=rng)
    return np.concatenate([loud, t3_alarm(quiet_s, sr=SR, amplitude=0.01)])


def test_an_mp3_without_its_length_decodes_to_its_end(tmp_path, with_ffmpeg, rng):
    # GIVEN a variable-bitrate MP3 without a length tag, loud at first
    path = mp3_through_a_pipe(
        tmp_path / "stream.mp3", loud_then_quiet(rng, loud_s=3, quiet_s=17), SR, "-q:a", "4"
    )
    # (libsndfile's estimate of its length falls short, and it decodes no further)
    assert sf.info(path).duration < 15
    # THEN the frame headers give its length, and ffmpeg decodes all of it
    info = audio_info(path)
    assert info.decoder == "ffmpeg"
    assert info.duration == pytest.approx(20, abs=0.1)
    y, sr = load_audio(path, sr=16000)
    assert len(y) == pytest.approx(20 * sr, abs=0.1 * sr)
    assert dominant_frequency(y[-5 * sr :], sr) == pytest.approx(3100, abs=5)


def test_without_ffmpeg_an_mp3_that_would_be_cut_short_is_refused(tmp_path, without_ffmpeg, rng):
    # (the file is still encoded by the ffmpeg program; sounddetect is told not to use it)
    path = mp3_through_a_pipe(
        tmp_path / "stream.mp3", loud_then_quiet(rng, loud_s=3, quiet_s=17), SR, "-q:a", "4"
    )
    with pytest.raises(
        AudioError,
        match=r"stream\.mp3: MP3 longer than its header says \(variable bitrate without a "
        r"length tag, or files joined\): libsndfile decodes only \d+\.\d s of its 20\.0 s; "
        r"unset SOUNDDETECT_FFMPEG \(set to 'off', it turns ffmpeg off\), or re-encode it$",
    ):
        load_audio(path)


@pytest.mark.parametrize(
    ("name", "options", "quiet_first"),
    [("overestimated.mp3", ("-q:a", "4"), True), ("constant.mp3", ("-b:a", "128k"), False)],
)
def test_an_mp3_without_its_length_that_libsndfile_reads_whole(
    tmp_path, with_ffmpeg, rng, name, options, quiet_first
):
    # A variable-bitrate MP3 quiet at first (libsndfile's estimate is too long: it was
    # refused as truncated), and one of constant bitrate (the estimate is right).
    y = loud_then_quiet(rng, loud_s=15, quiet_s=5)
    path = mp3_through_a_pipe(tmp_path / name, y[::-1].copy() if quiet_first else y, SR, *options)
    assert (sf.info(path).duration > 25) == quiet_first
    info = audio_info(path)
    assert info.decoder == "libsndfile"
    assert info.duration == pytest.approx(20, abs=0.1)
    decoded, sr = load_audio(path, sr=16000)
    assert len(decoded) == pytest.approx(20 * sr, abs=0.1 * sr)


def test_mp3_files_joined_decode_whole(tmp_path, with_ffmpeg):
    # Three MP3s joined with `cat`: the first one's length tag says 6 s.
    part = tmp_path / "part.mp3"
    sf.write(part, tone(6.0, sr=SR, freq_hz=1000), SR, format="MP3")
    path = tmp_path / "joined.mp3"
    path.write_bytes(part.read_bytes() * 3)
    assert sf.info(path).duration == pytest.approx(6, abs=0.1)
    y, sr = load_audio(path, sr=16000)
    assert audio_info(path).decoder == "ffmpeg"
    assert len(y) == pytest.approx(18 * sr, abs=0.2 * sr)
    assert dominant_frequency(y[-3 * sr :], sr) == pytest.approx(1000, abs=5)


def chained_ogg(tmp_path, subtype, *, second=None):
    """Two Ogg files joined with `cat`, a 1 kHz tone then a 3.1 kHz one (4 s each, or
    ``second`` at 48 kHz), as a radio stream dump chains a stream per song."""
    parts = []
    first = tone(4.0, sr=48000, freq_hz=1000)
    for i, y in enumerate([first, tone(4.0, sr=48000, freq_hz=3100) if second is None else second]):
        part = tmp_path / f"part{i}.ogg"
        sf.write(part, y, 48000, format="OGG", subtype=subtype)
        parts.append(part.read_bytes())
    path = tmp_path / "dump.ogg"
    path.write_bytes(b"".join(parts))
    assert audio_info(part).decoder == "libsndfile"  # one stream
    return path


@pytest.mark.parametrize("subtype", ["VORBIS", "OPUS"])
def test_a_chained_ogg_decodes_whole(tmp_path, with_ffmpeg, subtype):
    path = chained_ogg(tmp_path, subtype)
    y, sr = load_audio(path, sr=16000)
    assert audio_info(path).decoder == "ffmpeg"
    assert len(y) == pytest.approx(8 * sr, abs=0.1 * sr)
    assert dominant_frequency(y[: 3 * sr], sr) == pytest.approx(1000, abs=5)
    assert dominant_frequency(y[-3 * sr :], sr) == pytest.approx(3100, abs=5)


def test_a_chained_ogg_cut_short_is_marked_unterminated(tmp_path, with_ffmpeg):
    path = chained_ogg(tmp_path, "VORBIS")
    data = path.read_bytes()
    assert audio_info(path).unterminated is False
    path.write_bytes(data[: data.rfind(b"OggS")])
    info = audio_info(path)
    assert (info.decoder, info.unterminated) == ("ffmpeg", True)


@pytest.mark.parametrize(("loud", "first"), [(False, " (4.0 s)"), (True, "")])
def test_without_ffmpeg_a_chained_ogg_is_refused(tmp_path, without_ffmpeg, rng, loud, first):
    # (where the last stream passes 64 kB, libsndfile gives no length, and none is said)
    second = noise(8.0, sr=48000, rng=rng, amplitude=0.3) if loud else None
    path = chained_ogg(tmp_path, "VORBIS", second=second)
    with pytest.raises(AudioError) as raised:
        load_audio(path)
    assert str(raised.value) == (
        f"{path}: Ogg file of 2 streams one after another (a stream dump, or files joined): "
        f"libsndfile decodes only the first{first}; unset SOUNDDETECT_FFMPEG (set to 'off', it "
        "turns ffmpeg off), or re-encode it"
    )


def test_a_raw_aac_stream_is_not_called_truncated(tmp_path, with_ffmpeg, rng):
    # ADTS has no index: ffprobe estimates its length from the bitrate (62.9 s for this one)
    y = noise(60.0, sr=SR, rng=rng) + tone(60.0, sr=SR, amplitude=0.3)
    path = encode_with_ffmpeg(tmp_path / "radio.aac", y, SR, "-c:a", "aac", "-b:a", "128k")
    decoded, sr = load_audio(path, sr=16000)
    assert audio_info(path).frames == 0  # unknown, not a wrong declaration
    assert len(decoded) == pytest.approx(60 * sr, abs=0.1 * sr)


def test_the_timeline_of_a_raw_stream_keeps_to_its_columns(tmp_path, with_ffmpeg, rng):
    # GIVEN a raw AAC stream, whose header gives no length, and its detection result
    y = noise(60.0, sr=SR, rng=rng) + tone(60.0, sr=SR, amplitude=0.3)
    path = encode_with_ffmpeg(tmp_path / "radio.aac", y, SR, "-c:a", "aac")
    classifier = OnnxClassifier.from_dir(write_tiny_model(tmp_path / "tiny"))
    result = detect_file(path, classifier)
    # WHEN its timeline is drawn, THEN the overview's hop comes from the decoded length
    _, overview = _overview_spectrogram(
        path, sr=16000, duration_s=result["duration_s"], max_columns=100
    )
    assert 90 <= overview.shape[1] <= 101
    plot_detection(result, path, tmp_path / "radio.png", max_columns=100)
    assert (tmp_path / "radio.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_tagged_aac_stream_goes_to_ffmpeg_by_its_name_or_its_first_frame(
    tmp_path, with_ffmpeg, rng
):
    # GIVEN ADTS AAC behind an ID3 tag, as internet radio recorders and HLS segments hold
    # it: its first bytes are the tag's, not a codec's
    y = tone(6.0, sr=SR, amplitude=0.3)
    path = encode_with_ffmpeg(tmp_path / "radio.aac", y, SR, "-c:a", "aac", "-write_id3v2", "1")
    assert path.read_bytes()[:3] == b"ID3"
    # THEN ffmpeg decodes it, found by the file name, and without one (standard input's
    # copy, an upload's key without a suffix) by the frame after the tag
    unnamed = tmp_path / "upload"
    unnamed.write_bytes(path.read_bytes())
    for source in (path, unnamed):
        decoded, sr = load_audio(source, sr=16000)
        assert dominant_frequency(decoded, sr) == pytest.approx(3100, abs=5)


def test_without_ffmpeg_a_format_is_named_by_the_file_name(tmp_path, without_ffmpeg):
    path = tmp_path / "radio.aac"
    path.write_bytes(b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(500))
    with pytest.raises(
        AudioError, match=r"radio\.aac: unsupported codec: AAC \(by the file name\); convert"
    ):
        load_audio(path)


def test_truncated_m4a(tmp_path, with_ffmpeg, stereo):
    # An M4A with its index first (as streaming apps write it), cut in the middle of the audio.
    full = encode_with_ffmpeg(tmp_path / "full.m4a", stereo, SR, *AAC, "-movflags", "+faststart")
    path = tmp_path / "cut.m4a"
    path.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(AudioError, match=r"cut\.m4a: truncated \(header declares 8\.0\d\d s, only"):
        load_audio(path)


def test_m4a_without_its_index(tmp_path, with_ffmpeg, stereo):
    # ffmpeg writes the index (moov) last by default: a cut file has none.
    full = encode_with_ffmpeg(tmp_path / "full.m4a", stereo, SR, *AAC)
    path = tmp_path / "cut.m4a"
    path.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(AudioError, match=r"cut\.m4a: not readable audio \(ffprobe: .+\)$"):
        load_audio(path)


def test_video_without_sound(tmp_path, with_ffmpeg):
    path = tmp_path / "silent_film.mp4"
    pattern = ["-f", "lavfi", "-i", "testsrc=duration=2:size=64x64:rate=10", "-c:v", "mpeg4"]
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", *pattern, str(path)], check=True)
    with pytest.raises(AudioError, match=r"silent_film\.mp4: no audio stream"):
        load_audio(path)


def test_a_codec_ffmpeg_does_not_know_is_named_unsupported(tmp_path, with_ffmpeg):
    # GIVEN a WAV whose format tag no decoder knows, so libsndfile passes it to ffmpeg
    fmt = struct.pack("<HHIIHH", 0x1234, 1, 16000, 32000, 2, 16)
    data = bytes(4000)
    riff = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data"
    riff += struct.pack("<I", len(data)) + data
    path = tmp_path / "codec2.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(riff)) + riff)
    # THEN it is refused as an unsupported codec, not as a truncated or corrupt file
    with pytest.raises(AudioError, match=r"codec2\.wav: unsupported codec \(format tag 0x1234,"):
        load_audio(path)


def test_the_sound_of_an_ogg_video(tmp_path, with_ffmpeg):
    # Theora video comes first in the file, its Vorbis sound in a later stream.
    sound = write_wav(tmp_path / "sound.wav", tone(6.0, sr=SR, freq_hz=1000), SR)
    path = tmp_path / "film.ogv"
    pattern = ["-f", "lavfi", "-i", "testsrc=duration=6:size=64x64:rate=10", "-i", str(sound)]
    codecs = ["-c:v", "libtheora", "-c:a", "libvorbis"]
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", *pattern, *codecs, str(path)], check=True)
    y, sr = load_audio(path, sr=16000)
    assert audio_info(path).decoder == "ffmpeg"
    assert len(y) == pytest.approx(6 * sr, abs=0.1 * sr)
    assert dominant_frequency(y, sr) == pytest.approx(1000, abs=5)


@pytest.mark.parametrize(
    ("name", "codecs", "declared_s"),
    [
        ("film.mkv", ["-c:v", "mpeg4", "-c:a", "libvorbis"], 6.0),
        ("film.webm", ["-c:v", "libvpx", "-c:a", "libopus"], 6.0),
        # a browser's recording, which says no length at all
        ("live.webm", ["-c:v", "libvpx", "-c:a", "libopus", "-live", "1"], 0.0),
    ],
)
def test_a_video_whose_sound_stops_before_it_ends_is_not_called_truncated(
    tmp_path, with_ffmpeg, name, codecs, declared_s
):
    # GIVEN 10 s of video with 6 s of sound, in Matroska, whose streams' lengths are tags
    sound = write_wav(tmp_path / "sound.wav", tone(6.0, sr=SR, freq_hz=1000), SR)
    path = tmp_path / name
    pattern = ["-f", "lavfi", "-i", "testsrc=duration=10:size=64x64:rate=10", "-i", str(sound)]
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", *pattern, *codecs, str(path)], check=True)
    # THEN its sound is read whole, as long as it is
    y, sr = load_audio(path, sr=16000)
    assert len(y) == pytest.approx(6 * sr, abs=0.1 * sr)
    assert dominant_frequency(y, sr) == pytest.approx(1000, abs=5)
    assert audio_info(path).duration == pytest.approx(declared_s, abs=0.1)


def test_matroska_sound_cut_short_is_truncated_with_or_without_its_length_tag(
    tmp_path, with_ffmpeg
):
    # GIVEN an MKA of 6 s, and a copy whose writer put no DURATION tag (renamed here), so
    # only the container says how long it is; each cut at 60 %
    sound = write_wav(tmp_path / "sound.wav", tone(6.0, sr=SR, freq_hz=1000), SR)
    whole = tmp_path / "sound.mka"
    command = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(sound), "-c:a", "libvorbis"]
    subprocess.run([*command, str(whole)], check=True)
    tagged = whole.read_bytes()
    untagged = tagged.replace(b"DURATION", b"DURATIOX")
    assert untagged != tagged
    for label, data in (("tagged", tagged), ("untagged", untagged)):
        path = tmp_path / f"{label}.mka"
        path.write_bytes(data[: len(data) * 6 // 10])
        # THEN each is refused as truncated, against the tag or the container's length
        with pytest.raises(AudioError, match=rf"{label}\.mka: truncated \(header declares 6\.0"):
            load_audio(path)


def test_only_the_first_of_several_audio_streams_is_analysed_and_that_is_said(
    tmp_path, with_ffmpeg, rng
):
    # GIVEN a recording with two audio streams, noise first and an alarm second
    quiet = write_wav(tmp_path / "quiet.wav", noise(12.0, sr=SR, rng=rng), SR)
    alarm = write_wav(tmp_path / "alarm.wav", t3_alarm(12.0, sr=SR), SR)
    path = tmp_path / "two.m4a"
    command = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(quiet), "-i", str(alarm)]
    subprocess.run([*command, "-map", "0", "-map", "1", *AAC, str(path)], check=True)
    assert audio_info(path).audio_streams == 2
    # THEN detection says it heard the first only
    classifier = OnnxClassifier.from_dir(write_tiny_model(tmp_path / "model"))
    with pytest.warns(SoundDetectWarning, match=r"two\.m4a: 2 audio streams; only the first"):
        detect_file(path, classifier)


def test_a_damaged_ogg_vorbis_stays_refused(tmp_path, with_ffmpeg):
    # libsndfile decodes Ogg Vorbis itself: one it fails on is damaged, not one for ffmpeg.
    full = tmp_path / "full.ogg"
    sf.write(full, tone(6.0, sr=SR), SR, format="OGG")
    path = tmp_path / "cut.ogg"
    path.write_bytes(full.read_bytes()[:300])
    with pytest.raises(AudioError, match=r"cut\.ogg: not readable audio \(.+\)$"):
        load_audio(path)


def test_nan_samples_through_ffmpeg(tmp_path, with_ffmpeg):
    y = tone(3.0, sr=16000)
    y[24000] = np.nan
    # Float PCM in Matroska: libsndfile cannot open the container, ffmpeg keeps the NaN.
    path = encode_with_ffmpeg(tmp_path / "bad.mka", y, 16000, "-c:a", "pcm_f32le")
    with pytest.raises(AudioError, match=r"bad\.mka: contains NaN .* \(first at 1\.500 s\)"):
        list(iter_audio_blocks(path, sr=16000, block_seconds=0.7))


@pytest.mark.parametrize(
    ("where", "remedy"),
    [
        ("turned off", "unset SOUNDDETECT_FFMPEG (set to 'off', it turns ffmpeg off)"),
        ("not installed", "install ffmpeg"),
        ("a Lambda function", "deploy with FfmpegLayerArn, a layer holding ffmpeg"),
    ],
)
def test_without_ffmpeg_the_codec_is_named_and_how_to_decode_it(
    tmp_path, monkeypatch, stereo, where, remedy
):
    path = encode_with_ffmpeg(tmp_path / "memo.m4a", stereo, SR, *AAC)
    if where == "turned off":
        monkeypatch.setenv(FFMPEG_ENV, "off")
    else:  # no ffmpeg on PATH
        monkeypatch.delenv(FFMPEG_ENV, raising=False)
        monkeypatch.setenv("PATH", str(tmp_path))
    if where == "a Lambda function":
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "sounddetect-DetectFunction")
    with pytest.raises(AudioError) as raised:
        load_audio(path)
    assert str(raised.value) == (
        f"{path}: unsupported codec: MP4/M4A container (AAC or ALAC); convert it to WAV, FLAC, "
        f"OGG or MP3, or {remedy}"
    )


def test_an_open_m4a_file_is_told_to_pass_its_path(tmp_path, with_ffmpeg, stereo):
    # ffmpeg decodes named files only: "install ffmpeg" had been the advice with it installed
    path = encode_with_ffmpeg(tmp_path / "memo.m4a", stereo, SR, *AAC)
    with (
        open(path, "rb") as opened,
        pytest.raises(AudioError, match=r"or pass its path for ffmpeg to decode$"),
    ):
        load_audio(opened)
    assert load_audio(path)[0].size > 0


def test_without_ffmpeg_wavpack_is_named(tmp_path, without_ffmpeg):
    path = encode_with_ffmpeg(tmp_path / "archive", tone(3.0, sr=16000), 16000, "-f", "wv")
    with pytest.raises(AudioError, match=r"archive: unsupported codec: WavPack; convert"):
        load_audio(path)


def test_without_ffmpeg_an_ogg_codec_is_named(tmp_path, without_ffmpeg):
    path = encode_with_ffmpeg(tmp_path / "voip.ogg", tone(3.0, sr=16000), 16000, "-c:a", "libspeex")
    with pytest.raises(
        AudioError, match=r"voip\.ogg: unsupported codec: Ogg container \(Speex\); convert"
    ):
        load_audio(path)


def test_the_environment_chooses_the_executable(tmp_path, monkeypatch):
    ffmpeg = shutil.which("ffmpeg")
    monkeypatch.setenv(FFMPEG_ENV, ffmpeg)
    assert find_ffmpeg().ffprobe == shutil.which("ffprobe")
    monkeypatch.setenv(FFMPEG_ENV, "off")
    assert find_ffmpeg() is None


@pytest.mark.parametrize("setting", ["missing", "folder", "not executable", "no ffprobe"])
def test_a_setting_that_names_no_ffmpeg_is_a_configuration_error(tmp_path, monkeypatch, setting):
    # GIVEN SOUNDDETECT_FFMPEG naming something that is no ffmpeg with ffprobe beside it
    path = tmp_path / "bin" / "ffmpeg"
    path.parent.mkdir()
    reason = "not found"
    if setting == "folder":
        path.mkdir()
        reason = "a folder"
    elif setting == "not executable":
        path.write_text("#!/bin/sh\n")
        reason = "not executable"
    elif setting == "no ffprobe":
        path.symlink_to(shutil.which("ffmpeg"))
        reason = f"no ffprobe beside it \\({path.parent / 'ffprobe'}: not found\\)"
    monkeypatch.setenv(FFMPEG_ENV, str(path))
    # WHEN it is looked up, THEN it is refused by the variable's name and value, rather than
    # taken for "no ffmpeg installed"
    with pytest.raises(ParameterError, match=f"^{FFMPEG_ENV}={path}: {reason}"):
        find_ffmpeg()
