"""detect_file end to end with the tiny ONNX model: result schema, events, every bad input."""

import inspect
import io
import json
import re
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from helpers.signals import (
    encode_with_ffmpeg,
    left_unclosed,
    noise,
    plant_room,
    t3_alarm,
    tone,
    write_wav,
)

from sounddetect import plots, spectrum, windows
from sounddetect.audio import LevelMeter
from sounddetect.classifiers import OnnxClassifier
from sounddetect.detect import (
    WindowScores,
    _recording_sounds,
    classify_stream,
    detect_audio,
    detect_file,
    pace_refusal,
)
from sounddetect.events import START_EDGE_MAX_RECORDING_S
from sounddetect.exceptions import ParameterError, SoundDetectWarning, TransientError
from sounddetect.result import (
    RESULT_KEYS,
    is_permanent,
    is_transient,
    to_json,
    window_alarm_probability,
)

SR = 44100


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    from helpers.tiny_model import write_tiny_model

    return OnnxClassifier.from_dir(write_tiny_model(tmp_path_factory.mktemp("m") / "tiny"))


def alarm_in_noise(rng, *, sr=SR, before=10.0, alarm=12.0, after=10.0):
    """Quiet noise with a loud steady 3.1 kHz tone from ``before`` for ``alarm`` seconds."""
    y = noise(before + alarm + after, sr=sr, rng=rng, amplitude=0.01)
    start = int(before * sr)
    y[start : start + int(alarm * sr)] += tone(alarm, sr=sr)
    return y


def assert_schema(result):
    assert tuple(result) == RESULT_KEYS
    assert isinstance(result["file"], str)
    assert isinstance(result["events"], list) and isinstance(result["windows"], list)
    assert set(result["classifier"]) == {"backend", "model", "config", "threshold"}
    json.loads(to_json(result))  # strict JSON: no NaN
    if result["error"] is None:
        assert isinstance(result["duration_s"], float)
        assert isinstance(result["sample_rate"], int)
        assert isinstance(result["alarm"], bool)
        assert result["alarm"] == bool(result["events"])
        for event in result["events"]:
            assert set(event) == {"label", "start", "end", "confidence"}
            assert event["label"] == "alarm" and event["start"] < event["end"]
            assert 0.0 <= event["confidence"] <= 1.0
        for window in result["windows"]:
            assert set(window) == {"start", "end", "label", "confidence"}
            assert window["label"] in ("alarm", "no_alarm")
            assert 0.0 <= window["confidence"] <= 1.0
    else:
        assert set(result["error"]) == {"type", "message"}
        assert result["alarm"] is None and result["events"] == [] and result["windows"] == []
        assert result["duration_s"] is None and result["sample_rate"] is None
        assert result["file"] in result["error"]["message"]


def test_alarm_in_noise_gives_one_event_over_the_alarm(tmp_path, rng, classifier):
    path = write_wav(tmp_path / "kitchen.wav", alarm_in_noise(rng), SR)
    result = detect_file(path, classifier)
    assert_schema(result)
    assert result["error"] is None and result["alarm"] is True
    assert (result["file"], result["duration_s"], result["sample_rate"]) == (str(path), 32.0, SR)
    (event,) = result["events"]
    assert 6.0 <= event["start"] <= 12.0 and 20.0 <= event["end"] <= 26.0
    assert event["confidence"] > 0.99
    # 4 s windows every 2 s, plus none extra: 32 s is covered exactly
    assert [w["start"] for w in result["windows"]] == [2.0 * i for i in range(15)]
    labels = {w["start"]: w["label"] for w in result["windows"]}
    assert labels[0.0] == labels[28.0] == "no_alarm" and labels[14.0] == "alarm"
    assert result["classifier"]["backend"] == "onnx" and result["classifier"]["threshold"] == 0.5


@pytest.mark.parametrize(
    ("seconds", "alarm"), [(3.0, True), (2.0, True), (3.0, False), (1.5, False)]
)
def test_a_recording_shorter_than_a_window_is_classified_as_one(
    tmp_path, rng, classifier, seconds, alarm
):
    # GIVEN a clip of a few seconds: quiet noise, with or without a loud tone for most of it
    y = noise(seconds, sr=SR, rng=rng, amplitude=0.01)
    if alarm:
        sound = tone(seconds - 0.4, sr=SR)
        y[int(0.2 * SR) : int(0.2 * SR) + sound.size] += sound
    path = write_wav(tmp_path / "clip.wav", y, SR)

    # WHEN it is detected
    with pytest.warns(SoundDetectWarning, match=r"clip.wav: .* shorter than one 4 s window"):
        result = detect_file(path, classifier)

    # THEN its one window, continued with the clip's own noise, decides, within the clip
    assert_schema(result)
    assert result["error"] is None and result["duration_s"] == seconds
    (window,) = result["windows"]
    assert (window["start"], window["end"]) == (0.0, seconds)
    assert result["alarm"] is alarm
    assert all(0.0 <= e["start"] < e["end"] <= seconds for e in result["events"])


def test_a_phone_s_m4a_gives_the_result_of_its_wav(tmp_path, rng, classifier):
    # GIVEN the same recording as WAV and as a phone's voice memo (AAC in M4A, 64 kbit/s)
    y = alarm_in_noise(rng)
    wav = write_wav(tmp_path / "kitchen.wav", y, SR)
    m4a = encode_with_ffmpeg(tmp_path / "kitchen.m4a", y, SR, "-c:a", "aac", "-b:a", "64k")

    # WHEN both are detected
    from_wav, from_m4a = detect_file(wav, classifier), detect_file(m4a, classifier)

    # THEN ffmpeg decoded the M4A (AAC pads it by a few ms), its windows score as the WAV's
    # and it raises the alarm where the WAV does
    assert_schema(from_m4a)
    assert from_m4a["error"] is None and from_m4a["sample_rate"] == SR
    assert from_m4a["duration_s"] == pytest.approx(32.0, abs=0.05)
    wav_p, m4a_p = (
        np.array([window_alarm_probability(w) for w in result["windows"][:15]])
        for result in (from_wav, from_m4a)
    )
    np.testing.assert_allclose(m4a_p, wav_p, atol=0.05)
    (event,) = from_m4a["events"]
    assert event["start"] == from_wav["events"][0]["start"] == 10.0


def test_a_model_that_says_when_the_alarm_sounds_places_the_event_on_it(tmp_path, rng):
    # GIVEN the tiny model with a per-time-step output, and a tone from 10.3 s to 22.3 s
    from helpers.tiny_model import write_tiny_model

    model_dir = write_tiny_model(tmp_path / "tiny-sounding", sounding=True)
    classifier = OnnxClassifier.from_dir(model_dir)
    path = write_wav(tmp_path / "kitchen.wav", alarm_in_noise(rng, before=10.3), SR)
    # WHEN detect runs
    result = detect_file(path, classifier)
    # THEN the windows are those of the model without that output
    assert_schema(result)
    plain = detect_file(path, OnnxClassifier.from_dir(write_tiny_model(tmp_path / "plain")))
    assert result["windows"] == plain["windows"]
    # AND the event starts and ends with the tone (0.0625 s steps), not with its windows
    (event,) = result["events"]
    assert event["start"] == pytest.approx(10.3, abs=0.1)
    assert event["end"] == pytest.approx(22.3, abs=0.1)
    (window_event,) = plain["events"]
    assert (window_event["start"], window_event["end"]) == (10.0, 24.0)
    assert event["confidence"] == window_event["confidence"]


@pytest.mark.parametrize("seconds", [3.0, 4.0, 6.0])
def test_a_short_recording_raises_an_alarm_only_when_the_model_hears_the_alarm_sound(
    tmp_path, rng, seconds
):
    # GIVEN a recording too short for a whole event (one window, or two at 6 s), a steady
    # tone over quiet noise, and two tiny models that both call its windows alarms: one
    # hears the tone sound, the other hears nothing
    from helpers.tiny_model import write_tiny_model

    hears = OnnxClassifier.from_dir(write_tiny_model(tmp_path / "hears", sounding=True))
    deaf = OnnxClassifier.from_dir(
        write_tiny_model(tmp_path / "deaf", sounding=True, column_contrast_at_half=2.0)
    )
    y = noise(seconds, sr=SR, rng=rng, amplitude=0.01) + tone(seconds, sr=SR)
    path = write_wav(tmp_path / "clip.wav", y, SR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SoundDetectWarning)  # the 3 s clip is padded
        heard, unheard = detect_file(path, hears), detect_file(path, deaf)

    # THEN the windows are alarm windows for both, but only the model that hears the alarm
    # sound for MIN_SHORT_EVENT_SOUNDING_S makes an alarm of a recording so short
    assert [w["label"] for w in heard["windows"]] == [w["label"] for w in unheard["windows"]]
    assert {w["label"] for w in heard["windows"]} == {"alarm"}
    assert heard["alarm"] is True and unheard["alarm"] is False and unheard["events"] == []


def test_a_clip_of_a_lone_low_battery_chirp_raises_no_alarm():
    # GIVEN 3 s around a smoke detector's low-battery chirp (0.05-0.2 s of piezo tone) in a
    # quiet room, cut by benchmarks/chirp_clips.py --seed 0, which the shipped model calls
    # an alarm window and hears over 0.5 s of alarm sound in, smeared around the chirp
    from pathlib import Path

    from sounddetect.classifiers import default_model_dir

    clip = Path(__file__).resolve().parents[1] / "data" / "lowbattery_chirp_3s.flac"
    model = OnnxClassifier.from_dir(default_model_dir())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SoundDetectWarning)  # padded to one window
        result = detect_file(clip, model)
        without_patterns = detect_file(clip, model, beep_patterns=False)
    # THEN its one brief sound, and alarm sound heard only around it, raise no alarm, with
    # or without the beep-pattern search, whose frames the recording's sounds are found in
    assert result["windows"][0]["label"] == "alarm"
    assert result["alarm"] is False and result["events"] == []
    assert without_patterns == result


def test_the_recording_s_sounds_leave_out_the_padding_of_a_short_one():
    config = spectrum.SpectrogramConfig(sr=16000)  # frames of 1,024 samples every 500
    sounds = np.array([[-np.inf, 0.2], [1.0, 1.1], [2.4, 2.5], [2.9, 3.5], [3.6, 3.8]])
    # 3 s = 48,000 samples: 94 whole frames, the last starting 2.906 s in (frame 93 of
    # 0.03125 s): a sound reaching it may go on
    kept = _recording_sounds(sounds, n_samples=48000, config=config)
    assert kept.tolist() == [[-np.inf, 0.2], [1.0, 1.1], [2.4, 2.5], [2.9, np.inf]]
    assert _recording_sounds(None, n_samples=48000, config=config) is None


def test_a_recording_long_enough_for_a_whole_event_needs_no_alarm_sound_heard(tmp_path, rng):
    from helpers.tiny_model import write_tiny_model

    deaf = OnnxClassifier.from_dir(
        write_tiny_model(tmp_path / "deaf", sounding=True, column_contrast_at_half=2.0)
    )
    y = noise(8.0, sr=SR, rng=rng, amplitude=0.01) + tone(8.0, sr=SR)
    result = detect_file(write_wav(tmp_path / "long.wav", y, SR), deaf)
    assert len(result["windows"]) == 3 and result["alarm"] is True


def test_an_event_refined_to_the_end_of_the_recording_ends_there(tmp_path, rng):
    from helpers.tiny_model import write_tiny_model

    classifier = OnnxClassifier.from_dir(write_tiny_model(tmp_path / "t", sounding=True))
    # The tone lasts to the end; the last window starts 17.3 s in, between 0.0625 s steps.
    path = write_wav(tmp_path / "a.wav", alarm_in_noise(rng, before=9.0, alarm=12.3, after=0), SR)
    result = detect_file(path, classifier)
    (event,) = result["events"]
    assert result["windows"][-1]["start"] == 17.3
    assert event["start"] == pytest.approx(9.0, abs=0.1) and event["end"] == 21.3


def test_result_is_one_json_line(tmp_path, rng, classifier):
    path = write_wav(tmp_path / "a.wav", alarm_in_noise(rng), SR)
    line = to_json(detect_file(path, classifier))
    assert "\n" not in line and json.loads(line)["alarm"] is True


def test_tail_window_ends_at_the_end(tmp_path, rng, classifier):
    path = write_wav(tmp_path / "odd.wav", noise(9.5, sr=16000, rng=rng), 16000)
    result = detect_file(path, classifier)
    assert [(w["start"], w["end"]) for w in result["windows"]] == [
        (0.0, 4.0),
        (2.0, 6.0),
        (4.0, 8.0),
        (5.5, 9.5),
    ]


def test_silence_is_no_alarm(tmp_path, classifier):
    path = write_wav(tmp_path / "quiet.wav", np.zeros(10 * SR), SR)
    with pytest.warns(SoundDetectWarning, match="silent throughout"):
        result = detect_file(path, classifier)
    assert_schema(result)
    assert result["alarm"] is False
    assert all(w["label"] == "no_alarm" for w in result["windows"])


def test_clipped_alarm_is_still_found_and_said_to_be_clipped(tmp_path, rng, classifier):
    y = np.clip(alarm_in_noise(rng) * 8.0, -1.0, 1.0)
    path = write_wav(tmp_path / "clipped.wav", y, SR)
    with pytest.warns(SoundDetectWarning) as caught:
        result = detect_file(path, classifier)
    assert_schema(result)
    assert result["alarm"] is True
    (message,) = [str(w.message) for w in caught]
    assert re.fullmatch(
        rf"{re.escape(str(path))}: clipped \([\d.]+ % of its samples flat at full scale\): "
        "too loud for the microphone or its gain, and distorted sound can look like an alarm "
        "or hide one",
        message,
    )


def square_wave(seconds, *, sr=SR, half_period=10):
    """A full-scale square wave: runs of ``half_period`` samples at +1.0 and -1.0, each
    run's samples from its third on (``half_period - 2`` of ``half_period``) flat at full
    scale after the two before them."""
    n = int(seconds * sr)
    return np.where((np.arange(n) // half_period) % 2 == 0, 1.0, -1.0).astype(np.float32)


@pytest.mark.parametrize("block_seconds", [1.0, 30.0])
def test_a_clipped_recording_is_said_to_be_at_any_block_size(classifier, block_seconds):
    # GIVEN a square wave of 10-sample runs at full scale: 8 of every 10 samples continue a
    # flat run, 80 %
    y = square_wave(8.0)
    # WHEN it is checked in the shortest blocks and in one block
    with pytest.warns(SoundDetectWarning) as caught:
        detect_audio(y, sr=SR, classifier=classifier, name="siren", block_seconds=block_seconds)
    # THEN both count 80 %
    (message,) = [str(w.message) for w in caught]
    assert message.startswith("siren: clipped (80 % of its samples flat at full scale)")


def test_a_clipped_share_counts_the_runs_that_cross_blocks():
    # GIVEN the square wave in blocks of 44 samples, which cut a run almost every block
    y = square_wave(8.0)[:, np.newaxis]
    level = LevelMeter()
    for start in range(0, len(y), 44):
        level.observe(y[start : start + 44])
    # THEN a run cut by a block's edge still counts: 8 of every 10 samples
    assert level.clipped == 0.8 * len(y) and level.samples == len(y)


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "PCM_U8", "ULAW", "ALAW", "FLOAT"])
def test_clipping_is_found_in_every_sample_format(tmp_path, classifier, subtype):
    # 8-bit, A-law and mu-law files clip short of 1.0 (0.992, 0.984 and 0.980); 16-bit
    # clips at -1.0 and 32767/32768
    path = write_wav(tmp_path / f"{subtype}.wav", square_wave(8.0), SR, subtype=subtype)
    with pytest.warns(SoundDetectWarning, match=r"clipped \(80 % of its samples"):
        detect_file(path, classifier)


@pytest.mark.parametrize(
    "recording",
    [
        "peaks at 0.999",  # loud, and one step under full scale
        "float over full scale",  # a float WAV holds 1.5 without clipping it
        "normalised",  # an editor's normalisation: the loudest sample is exactly 1.0
        "a few clipped slams",  # 0.05 % of a minute's samples clipped
    ],
)
def test_loud_recordings_that_are_not_clipped_are_not_called_so(
    tmp_path, rng, classifier, recording
):
    y = alarm_in_noise(rng)
    if recording == "peaks at 0.999":
        y = y / np.max(np.abs(y)) * 0.999
    elif recording == "float over full scale":
        y = y / np.max(np.abs(y)) * 1.5
    elif recording == "normalised":
        y = y / np.max(np.abs(y))
    else:
        y = noise(60.0, sr=SR, rng=rng, amplitude=0.05)
        for start in (10.0, 30.0, 50.0):  # three slams, 10 ms of each clipped
            at = int(start * SR)
            y[at : at + int(0.01 * SR)] = 1.0
    subtype = "FLOAT" if recording == "float over full scale" else "PCM_16"
    path = write_wav(tmp_path / "loud.wav", y, SR, subtype=subtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SoundDetectWarning)
        assert detect_file(path, classifier)["error"] is None


def test_a_microphone_stuck_at_full_scale_is_silent_not_clipped(tmp_path, classifier):
    path = tmp_path / "stuck.wav"
    sf.write(path, np.full(20 * SR, -32768, np.int16), SR, subtype="PCM_16")
    with pytest.warns(SoundDetectWarning) as caught:
        assert detect_file(path, classifier)["alarm"] is False
    assert [str(w.message) for w in caught] == [
        f"{path}: silent throughout (no sound at all): is the microphone muted or disconnected?"
    ]


def test_multichannel_alarm_on_one_channel(tmp_path, rng, classifier):
    quiet = noise(32.0, sr=SR, rng=rng, amplitude=0.01)
    y = np.stack([quiet, quiet, alarm_in_noise(rng), quiet, quiet, quiet], axis=1)
    result = detect_file(write_wav(tmp_path / "5.1.wav", y, SR), classifier)
    assert_schema(result)
    assert result["alarm"] is True and result["sample_rate"] == SR


def stereo_alarm_half_a_period_apart(rng, *, seconds, alarm):
    """Quiet noise of its own in each of two channels, and a loud 3,150 Hz tone from
    ``alarm[0]`` to ``alarm[1]`` s that the right channel hears 7 samples (half a period at
    44.1 kHz) after the left, (samples, 2)."""
    start, stop = (int(t * SR) for t in alarm)
    channels = np.stack([noise(seconds, sr=SR, rng=rng, amplitude=0.01) for _ in range(2)])
    sound = tone((stop - start) / SR, sr=SR, freq_hz=3150.0)
    channels[0, start:stop] += sound
    channels[1, start + 7 : stop + 7] += sound[: channels.shape[1] - start - 7]
    return channels.T


def test_an_alarm_two_microphones_hear_half_a_period_apart_is_found(tmp_path, rng, classifier):
    # GIVEN a stereo recording whose right microphone hears a 3,150 Hz alarm 7 samples (half
    # a period at 44.1 kHz; 5.4 cm of path) after the left, each over noise of its own
    stereo = stereo_alarm_half_a_period_apart(rng, seconds=32.0, alarm=(10.0, 22.0))
    # WHEN it is detected as it is, and as the average of its channels
    result = detect_file(write_wav(tmp_path / "phone_video.wav", stereo, SR), classifier)
    averaged = write_wav(tmp_path / "averaged.wav", stereo.mean(axis=1), SR)
    # THEN the channels combined in power hold the alarm, where their average cancels it
    assert_schema(result)
    assert result["alarm"] is True
    (event,) = result["events"]
    assert 6.0 <= event["start"] <= 12.0 and 20.0 <= event["end"] <= 26.0
    assert detect_file(averaged, classifier)["alarm"] is False


def test_a_short_stereo_clip_is_continued_channel_by_channel(tmp_path, rng, classifier):
    stereo = stereo_alarm_half_a_period_apart(rng, seconds=3.0, alarm=(0.2, 2.6))
    with pytest.warns(SoundDetectWarning, match="shorter than one 4 s window"):
        result = detect_file(write_wav(tmp_path / "clip.wav", stereo, SR), classifier)
        averaged = write_wav(tmp_path / "averaged.wav", stereo.mean(axis=1), SR)
        assert detect_file(averaged, classifier)["alarm"] is False
    assert_schema(result)
    assert result["alarm"] is True and result["duration_s"] == 3.0


def test_the_timeline_shows_the_tone_the_channels_hear_half_a_period_apart(tmp_path, rng):
    stereo = stereo_alarm_half_a_period_apart(rng, seconds=12.0, alarm=(4.0, 8.0))
    path = write_wav(tmp_path / "phone_video.wav", stereo, SR)
    times, overview = plots._overview_spectrogram(path, sr=16000, duration_s=12.0, max_columns=60)
    row = round(3150 / 16000 * plots.OVERVIEW_N_FFT)
    during = overview[row, (times > 4.5) & (times < 7.5)]
    before = overview[row, times < 3.5]
    assert during.min() > before.max() + 30  # dB: averaged, the tone would cancel


def stereo_dull_alarm_in_antiphase(rng, *, sr=SR):
    """:func:`dull_alarm_in_noise` heard by two microphones, the right one's 520 Hz beeps
    inverted (half a period), each over noise of its own, (samples, 2)."""
    alarm = np.zeros(32 * sr, dtype=np.float32)
    alarm[6 * sr : 26 * sr] = t3_alarm(20.0, sr=sr, freq_hz=520.0, amplitude=0.05)
    left, right = (noise(32.0, sr=sr, rng=rng, amplitude=0.1) for _ in range(2))
    return np.stack([left + alarm, right - alarm], axis=1)


@pytest.mark.parametrize("hop_s", [2.0, 1.7])
def test_a_beep_pattern_in_antiphase_is_found_at_any_hop(tmp_path, rng, classifier, hop_s):
    # At 1.7 s the search computes its frames from the decoded channels itself.
    stereo = stereo_dull_alarm_in_antiphase(rng)
    result = detect_file(write_wav(tmp_path / "two_mics.wav", stereo, SR), classifier, hop_s=hop_s)
    (event,) = result["events"]
    assert event["start"] == pytest.approx(6.0, abs=0.1)
    assert event["end"] == pytest.approx(24.5, abs=0.15)
    averaged = write_wav(tmp_path / "averaged.wav", stereo.mean(axis=1), SR)
    assert detect_file(averaged, classifier, hop_s=hop_s)["events"] == []


@pytest.mark.parametrize(
    ("recording", "level"),
    [
        ("zeros", "no sound at all"),
        ("dither", "nothing louder than -90 dBFS"),  # 16-bit, +-1 step
        ("offset", "no sound at all"),  # a constant 0.3: a DC offset
    ],
)
def test_a_silent_recording_says_so(tmp_path, rng, classifier, recording, level):
    # GIVEN 20 s from a muted or disconnected microphone
    n = 20 * 16000
    y = {
        "zeros": np.zeros(n),
        "dither": rng.integers(-1, 2, n) / 32768,
        "offset": np.full(n, 0.3),
    }[recording]
    path = write_wav(tmp_path / "plant_room.wav", y.astype(np.float32), 16000, subtype="PCM_16")
    # WHEN it is checked, THEN the result is an ordinary one, with one warning line
    with pytest.warns(SoundDetectWarning) as caught:
        result = detect_file(path, classifier)
    assert result["alarm"] is False and result["error"] is None
    (message,) = [str(w.message) for w in caught]
    assert message.startswith(f"{path}: silent throughout ({level}")
    assert message.endswith("is the microphone muted or disconnected?")


@pytest.mark.parametrize("sr", [44100, 48000])
def test_a_muted_microphone_with_an_offset_is_called_silent_at_a_rate_detect_resamples(
    tmp_path, rng, classifier, sr
):
    # GIVEN 20 s of 16-bit dither about an offset of 655 steps (-34 dBFS), a muted
    # microphone behind a cheap converter, at a rate the model's 16 kHz is not
    y = ((655 + rng.integers(-1, 2, 20 * sr)) / 32768).astype(np.float32)
    path = write_wav(tmp_path / "plant_room.wav", y, sr, subtype="PCM_16")
    # WHEN it is checked as a file and as an array, THEN both say it is silent: the
    # resampler's step into the offset at the recording's edges had counted as sound
    for check in (
        lambda: detect_file(path, classifier),
        lambda: detect_audio(y, sr=sr, classifier=classifier, name=str(path)),
    ):
        with pytest.warns(SoundDetectWarning, match=r"silent throughout \(nothing louder than -90"):
            assert check()["alarm"] is False


def test_a_quiet_room_is_not_called_silent(tmp_path, rng, classifier):
    # A quiet room through a working microphone: noise at -70 dBFS, an offset as cheap
    # converters have
    y = noise(20.0, sr=16000, rng=rng, amplitude=10 ** (-70 / 20)) + 0.2
    path = write_wav(tmp_path / "quiet.wav", y, 16000, subtype="PCM_24")
    with warnings.catch_warnings():
        warnings.simplefilter("error", SoundDetectWarning)
        assert detect_file(path, classifier)["error"] is None


def test_8khz_file_works_and_warns_about_the_missing_band(tmp_path, rng, classifier):
    path = write_wav(tmp_path / "phone.wav", alarm_in_noise(rng, sr=8000), 8000)
    with pytest.warns(
        SoundDetectWarning, match=r"phone\.wav: sample rate 8000 Hz .* above 4000 Hz"
    ):
        result = detect_file(path, classifier)
    assert_schema(result)
    assert (result["alarm"], result["sample_rate"], result["duration_s"]) == (True, 8000, 32.0)


def test_a_quiet_8khz_recording_is_classified_as_its_loud_copy(tmp_path, rng, classifier):
    # 60 dB quieter, stored as float so nothing is lost to quantisation: the same images,
    # where librosa's absolute power floor once lit the empty band above 4 kHz grey.
    y = alarm_in_noise(rng, sr=8000)
    results = []
    for name, gain in (("loud.wav", 1.0), ("quiet.wav", 1e-3)):
        path = write_wav(tmp_path / name, y * np.float32(gain), 8000, subtype="FLOAT")
        with pytest.warns(SoundDetectWarning, match="above 4000 Hz"):
            results.append(detect_file(path, classifier))
    loud, quiet = ([w["confidence"] for w in r["windows"]] for r in results)
    assert results[1]["alarm"] is True
    np.testing.assert_allclose(quiet, loud, atol=0.01)


def test_a_recording_whose_recorder_died_is_detected_and_named(tmp_path, rng, classifier):
    # A recorder that lost power leaves its header's data size at 0: the alarm is all there.
    y = alarm_in_noise(rng, sr=16000)
    closed = write_wav(tmp_path / "closed.wav", y, 16000, subtype="PCM_16")
    path = tmp_path / "crashed.wav"
    path.write_bytes(left_unclosed(closed.read_bytes()))
    with pytest.warns(
        SoundDetectWarning, match=r"crashed\.wav: WAV header without the audio.s size"
    ):
        result = detect_file(path, classifier)
    assert_schema(result)
    expected = detect_file(closed, classifier)
    assert {k: v for k, v in result.items() if k != "file"} == {
        k: v for k, v in expected.items() if k != "file"
    }
    assert result["alarm"] is True


def test_an_ogg_recording_cut_short_is_detected_with_a_warning(tmp_path, rng, classifier):
    # An Ogg recorder that stopped without closing its file: what it holds is read, and the
    # user is told the recording may be longer than what was checked.
    whole = tmp_path / "whole.ogg"
    sf.write(whole, alarm_in_noise(rng, sr=16000), 16000, format="OGG")
    path = tmp_path / "stopped.ogg"
    data = whole.read_bytes()
    path.write_bytes(data[: data.rfind(b"OggS")])
    with pytest.warns(
        SoundDetectWarning,
        match=r"stopped\.ogg: Ogg file without the page that ends its stream .* reading the "
        r"\d+\.\d s up to its last whole page",
    ):
        result = detect_file(path, classifier)
    assert_schema(result)
    assert result["alarm"] is True and result["error"] is None
    with warnings.catch_warnings():
        warnings.simplefilter("error", SoundDetectWarning)
        assert detect_file(whole, classifier)["error"] is None


def test_96khz_file(tmp_path, rng, classifier):
    path = write_wav(tmp_path / "studio.wav", alarm_in_noise(rng, sr=96000), 96000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SoundDetectWarning)
        result = detect_file(path, classifier)
    assert (result["alarm"], result["sample_rate"], result["duration_s"]) == (True, 96000, 32.0)


def test_small_blocks_and_batches_give_the_same_result(tmp_path, rng, classifier):
    """The streaming path (many blocks, small batches) equals one block and one batch."""
    path = write_wav(tmp_path / "long.wav", alarm_in_noise(rng, before=40.0, after=27.3), SR)
    streamed = detect_file(path, classifier, block_seconds=3.3, batch_size=4)
    whole = detect_file(path, classifier, block_seconds=1000.0, batch_size=1000)
    assert streamed == whole
    n_samples = int(round(streamed["duration_s"] * 16000))
    expected = windows.window_starts(n_samples, window_samples=64000, hop_samples=32000) / 16000
    assert [w["start"] for w in streamed["windows"]] == pytest.approx(expected.tolist())


def test_memory_is_bounded_by_the_batch(monkeypatch, rng, classifier):
    """Each render call sees at most one batch of windows' audio, whatever the length."""
    seen = []
    real = spectrum.render_windows

    def spy(y, **options):
        seen.append(len(y))
        return real(y, **options)

    monkeypatch.setattr(spectrum, "render_windows", spy)
    blocks = (noise(5.0, sr=16000, rng=rng) for _ in range(60))  # 300 s in 5 s blocks
    scores = classify_stream(blocks, classifier, hop_samples=32000, batch_size=8)
    assert len(scores.starts) == 149
    assert max(seen) <= 7 * 32000 + 64000


def test_a_batch_of_many_channels_holds_the_samples_of_a_stereo_batch(monkeypatch, rng, classifier):
    """32 channels: a sixteenth of the windows per render call, however the blocks begin."""
    seen = []
    real = spectrum.render_windows

    def spy(y, **options):
        seen.append(y.size)
        return real(y, **options)

    monkeypatch.setattr(spectrum, "render_windows", spy)
    empty = np.zeros((32, 0), dtype=np.float32)
    blocks = [empty, empty] + [
        np.tile(noise(5.0, sr=16000, rng=rng), (32, 1)) for _ in range(24)
    ]  # 120 s
    scores = classify_stream(iter(blocks), classifier, hop_samples=32000, batch_size=64)
    assert len(scores.starts) == 59
    assert max(seen) == 32 * (3 * 32000 + 64000)  # 4 windows of 32 channels, not 1


def detect_with_peak(path, classifier):
    """``detect_file``'s result and the peak of the memory Python allocated meanwhile."""
    tracemalloc.start()
    try:
        return detect_file(path, classifier), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_long_file_is_decoded_in_blocks_with_bounded_memory(tmp_path, rng, classifier):
    def night(minutes):
        # a recording at 8 kHz, written a minute at a time, with an alarm in its last minute
        path = tmp_path / f"night_{minutes}.wav"
        with sf.SoundFile(path, "w", samplerate=8000, channels=1, subtype="PCM_16") as out:
            for _ in range(minutes - 1):
                out.write(noise(60.0, sr=8000, rng=rng, amplitude=0.01))
            out.write(noise(60.0, sr=8000, rng=rng, amplitude=0.01) + tone(60.0, sr=8000))
        return path

    # GIVEN recordings of 10 and 30 minutes, WHEN each is run, decoding and all
    (_, peak_10), (result, peak_30) = [detect_with_peak(night(m), classifier) for m in (10, 30)]
    # THEN all of the long one was heard, the alarm at its end, and three times the length
    # took about the same memory (the 30 minutes are 115 MB of float32 at 16 kHz)
    assert result["error"] is None and result["duration_s"] == 1800.0
    assert result["alarm"] and abs(result["events"][0]["start"] - 1740.0) <= 4.0
    assert peak_30 < 1.15 * peak_10 and peak_30 < 60e6


def test_memory_does_not_grow_with_the_channels_of_a_recording(tmp_path, rng, classifier):
    # 3 minutes at 8 kHz, an alarm in the last one, as each microphone of an array hears it
    minutes = [noise(60.0, sr=8000, rng=rng, amplitude=0.01) for _ in range(3)]
    minutes[2] = minutes[2] + tone(60.0, sr=8000)

    def array(channels):
        path = tmp_path / f"array_{channels}.wav"
        with sf.SoundFile(path, "w", samplerate=8000, channels=channels, subtype="PCM_16") as out:
            for y in minutes:
                out.write(np.tile(y[:, None], channels))
        return path

    # GIVEN the same recording in 2 and in 16 channels, WHEN each is run
    (stereo, peak_2), (array_16, peak_16) = [
        detect_with_peak(array(n), classifier) for n in (2, 16)
    ]
    # THEN both give the same result, and 16 channels take about the memory of two (a batch
    # of 16 channels' audio held at once was 8 times a stereo one's)
    assert stereo["alarm"] and {**array_16, "file": ""} == {**stereo, "file": ""}
    assert peak_16 < 1.3 * peak_2


# --- samples in an array: detect_audio ----------------------------------------------------


def kitchen_array(rng, recording):
    """A recording as an array (channels first when stereo), its rate, and the WAV subtype
    that holds the same samples."""
    if recording == "float mono 44.1 kHz":
        return alarm_in_noise(rng), SR, "FLOAT"
    if recording == "int16 stereo 48 kHz":
        left = alarm_in_noise(rng, sr=48000)
        right = noise(32.0, sr=48000, rng=rng, amplitude=0.01)
        return (np.stack([left, right]) * 32767).astype(np.int16), 48000, "PCM_16"
    return alarm_in_noise(rng, sr=16000).astype(np.float64), 16000, "DOUBLE"


@pytest.mark.parametrize(
    "recording", ["float mono 44.1 kHz", "int16 stereo 48 kHz", "float64 mono 16 kHz"]
)
def test_an_array_gives_the_result_of_a_wav_of_it(tmp_path, rng, classifier, recording):
    # GIVEN a recording as a microphone's buffer, and a WAV of the same samples
    y, sr, subtype = kitchen_array(rng, recording)
    path = write_wav(tmp_path / "kitchen.wav", y.T, sr, subtype=subtype)
    # WHEN each is detected (in several resampling blocks)
    from_file = detect_file(path, classifier, block_seconds=7.0)
    from_array = detect_audio(y, sr=sr, classifier=classifier, name="mic", block_seconds=7.0)
    # THEN the results are the same, windows and events, but for the name
    assert_schema(from_array)
    assert from_array["file"] == "mic" and from_array["alarm"] is True
    assert {**from_array, "file": str(path)} == from_file


def test_an_array_s_unusable_samples_are_reported_as_a_file_s(tmp_path, rng, classifier):
    y = alarm_in_noise(rng)
    y[20 * SR] = np.nan
    result = detect_audio(y, sr=SR, classifier=classifier, name="mic")
    assert_schema(result)
    assert result["error"] == {
        "type": "AudioError",
        "message": "mic: contains NaN or infinite samples (first at 20.000 s)",
    }
    short = detect_audio(y[: SR // 2], sr=SR, classifier=classifier, name="mic")
    assert short["error"]["message"] == "mic: too short to hold an alarm (0.50 s < 1 s)"


@pytest.mark.parametrize(
    "y",
    [np.zeros(0, np.float32), np.zeros((2, 0), np.float32), np.zeros(0, np.int16)],
    ids=["mono", "stereo", "int16"],
)
def test_an_empty_array_is_reported_as_an_empty_file_is(classifier, y):
    result = detect_audio(y, sr=SR, classifier=classifier, name="mic")
    assert_schema(result)
    assert result["error"] == {"type": "AudioError", "message": "mic: no samples"}


def test_a_sample_too_large_for_float32_is_damage_not_infinity(rng, classifier):
    # GIVEN float64 samples with one of 1e300, which a cast to float32 makes infinite
    y = alarm_in_noise(rng).astype(np.float64)
    y[5 * SR] = 1e300
    # WHEN it is detected, THEN it is called what it is, without numpy's overflow warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = detect_audio(y, sr=SR, classifier=classifier, name="mic")
    assert result["error"]["message"] == (
        "mic: a sample of 1e+300 at 5.000 s, beyond what float audio holds (+-1, or +-32768 "
        "as some programs write it): damaged"
    )


def test_big_endian_int16_is_int16(rng, classifier):
    # GIVEN int16 samples as a network stream or an AIFF's raw data holds them: big-endian
    y = (alarm_in_noise(rng) * 32767).astype(np.int16)
    # WHEN it is detected, THEN the result is the native array's
    result = detect_audio(y.astype(">i2"), sr=SR, classifier=classifier)
    assert result == detect_audio(y, sr=SR, classifier=classifier) and result["alarm"] is True


def test_detect_audio_names_the_audio_audio_unless_told(rng, classifier):
    y = noise(5.0, sr=SR, rng=rng)
    assert detect_audio(y, sr=SR, classifier=classifier, name=None)["file"] == "audio"


@pytest.mark.parametrize(
    ("y", "sr", "match"),
    [
        (np.zeros(SR * 5, np.float32), 16000.5, r"^mic: sample rate 16000.5 Hz is not a whole"),
        (np.zeros((SR * 5, 2), np.float32), SR, r"mic: .*channels first.*pass y\.T"),
        ([0.0] * SR * 5, SR, "mic: expected a numpy array, got list"),
        (np.zeros(SR * 5, np.uint8), SR, r"mic: expected float, int16 or int32 .* uint8"),
        (np.zeros(SR * 5, np.complex64), SR, "mic: expected float, int16 or int32"),
        (np.zeros((1, 1, SR * 5), np.float32), SR, r"expected \(n,\) or \(channels, n\)"),
        (np.zeros(SR * 5, np.float32), 0, r"mic: sample rate 0 Hz, outside"),
        (np.zeros(SR * 5, np.float32), 1_000_000, "outside what recordings use"),
        (np.zeros(SR * 5, np.float32), "44100", r"^mic: sample rate '44100' is no number of Hz$"),
        (np.zeros(SR * 5, np.float32), True, r"^mic: sample rate True is no number of Hz$"),
    ],
)
def test_detect_audio_refuses_what_is_not_audio_at_a_known_rate(classifier, y, sr, match):
    with pytest.raises(ParameterError, match=match):
        detect_audio(y, sr=sr, classifier=classifier, name="mic")


def test_an_array_s_warnings_name_the_caller(classifier):
    # GIVEN 12 s of a muted 8 kHz microphone
    zeros = np.zeros(12 * 8000, np.int16)
    # WHEN it is detected, THEN the warnings point at this file, as warnings filters expect
    with pytest.warns(SoundDetectWarning) as caught:
        result = detect_audio(zeros, sr=8000, classifier=classifier, name="mic")
    assert result["error"] is None and result["sample_rate"] == 8000
    assert [str(w.message)[:20] for w in caught] == ["mic: sample rate 800", "mic: silent througho"]
    assert {w.filename for w in caught} == {__file__}


@pytest.mark.parametrize(
    ("source", "match"),
    [
        (np.zeros(SR * 5, np.float32), r"got ndarray: .* detect_audio\(y, sr=\.\.\."),
        ((np.zeros(SR * 5, np.float32), SR), "got tuple: .* detect_audio"),
        (b"RIFF" + bytes(100), r"got bytes: .*io\.BytesIO\(data\)"),
        (io.StringIO("RIFF"), r"got StringIO: open it in binary mode"),
    ],
)
def test_detect_file_refuses_what_is_not_a_path_or_binary_file(classifier, source, match):
    with pytest.raises(ParameterError, match=f"takes a path or a binary file object, {match}"):
        detect_file(source, classifier)


def test_a_path_in_bytes_is_a_path(tmp_path, rng, classifier):
    path = write_wav(tmp_path / "kitchen.wav", alarm_in_noise(rng), SR)
    result = detect_file(bytes(path), classifier)
    assert result == detect_file(path, classifier) and result["alarm"] is True


def test_a_closed_file_object_is_refused_by_its_name(tmp_path, rng, classifier):
    path = write_wav(tmp_path / "kitchen.wav", noise(5.0, sr=SR, rng=rng), SR)
    with open(path, "rb") as handle:
        pass
    with pytest.raises(ParameterError, match=f"^{path}: the file object is closed"):
        detect_file(handle, classifier)


def test_an_empty_path_is_named_as_such(classifier):
    # Path("") is the current folder, which had been "not a regular file" under no name
    result = detect_file("", classifier)
    assert_schema(result)
    assert result["error"] == {"type": "AudioError", "message": "'': an empty path"}


@pytest.mark.parametrize(
    "options",
    [{"hop_samples": 0}, {"hop_samples": -5}, {"hop_samples": 32000.0}, {"batch_size": 0}],
)
def test_classify_stream_refuses_a_hop_or_batch_that_is_not_a_positive_integer(
    rng, classifier, options
):
    # GIVEN a stream that records whether it was read (a hop of 0 used to loop forever)
    read = []

    def blocks():
        read.append(True)
        yield noise(0.5, sr=16000, rng=rng)

    # WHEN it is classified with such an option, THEN it is refused before any audio is read
    with pytest.raises(ParameterError, match=f"{next(iter(options))} must be a positive integer"):
        classify_stream(blocks(), classifier, **{"hop_samples": 32000, **options})
    assert not read


@pytest.mark.parametrize(
    ("blocks", "match"),
    [
        ([[0.0] * 64000], "audio block 0: expected a numpy array, got list"),
        ([np.zeros(64000, np.complex64)], "audio block 0: expected floating-point.*complex64"),
        ([np.zeros(64000, np.int16)], r"audio block 0: .*int16 by 2\*\*-15"),
        ([np.zeros((64000, 2), np.float32)], r"block 0: .*channels first.*pass y\.T"),
        ([np.zeros((1, 1, 64000), np.float32)], r"expected \(n,\) or \(channels, n\)"),
        (
            [np.zeros(64000, np.float32), np.zeros((2, 64000), np.float32)],
            r"audio block 1: shape \(2, 64000\) after blocks of mono \(n,\): every block must",
        ),
        (
            [np.zeros((2, 64000), np.float32), np.zeros(64000, np.float32)],
            r"audio block 1: shape \(64000,\) after blocks of \(2, n\)",
        ),
    ],
)
def test_classify_stream_refuses_blocks_that_are_not_float_audio_of_one_layout(
    classifier, blocks, match
):
    with pytest.raises(ParameterError, match=match):
        classify_stream(blocks, classifier, hop_samples=32000)


def test_a_stream_may_end_with_a_few_samples_of_many_channels(rng, classifier):
    # GIVEN 8 channels in a window's block, a resampler's 5-sample tail, and empty blocks
    window = classifier.config.window_samples
    head = np.stack([noise(4.0, sr=16000, rng=rng) for _ in range(8)])
    blocks = [np.zeros(0, np.float32), head, np.zeros((8, 0), np.float32), head[:, :5]]
    # WHEN they are classified, THEN every sample counts
    scores = classify_stream(blocks, classifier, hop_samples=32000)
    assert scores.n_samples == window + 5 and scores.starts.tolist() == [0, 5]


def test_file_object_and_name(rng, classifier):
    buffer = io.BytesIO()
    sf.write(buffer, alarm_in_noise(rng), SR, format="FLAC")
    name = "s3://bucket/uploads/caf\u00e9 + kitchen.flac"
    result = detect_file(buffer, classifier, name=name)
    assert (result["file"], result["alarm"]) == (name, True)


def test_options_hop_threshold_and_min_event(tmp_path, rng, classifier):
    path = write_wav(tmp_path / "a.wav", alarm_in_noise(rng), SR)
    fine = detect_file(path, classifier, hop_s=1.0)
    assert len(fine["windows"]) == 29
    strict = detect_file(path, classifier, threshold=1.0)
    assert strict["alarm"] is False and strict["classifier"]["threshold"] == 1.0
    assert detect_file(path, classifier, min_event_s=30.0)["events"] == []


def test_a_recording_shorter_than_the_min_event_keeps_its_whole_alarm(tmp_path, rng, classifier):
    # 5 s of alarm: windows 0-4 and 1-5, one 5 s event, shorter than the default 8 s
    # minimum but spanning the whole recording, so nothing contradicts it.
    y = noise(5.0, sr=SR, rng=rng, amplitude=0.01) + tone(5.0, sr=SR)
    result = detect_file(write_wav(tmp_path / "short.wav", y, SR), classifier)
    assert [(e["start"], e["end"]) for e in result["events"]] == [(0.0, 5.0)]
    assert result["alarm"] is True


def test_a_recording_too_short_for_an_event_is_judged_on_its_windows_mean(
    tmp_path, rng, classifier
):
    # 6 s, windows 0-4 and 2-6: a tone over the first 3.5 s fills the first window and
    # less than half the second; a tone over the first 2.5 s, less of each.
    def windows_and_result(tone_s):
        y = noise(6.0, sr=SR, rng=rng, amplitude=0.01)
        y[: int(tone_s * SR)] += tone(tone_s, sr=SR)
        result = detect_file(write_wav(tmp_path / f"{tone_s}.wav", y, SR), classifier)
        probs = [window_alarm_probability(w) for w in result["windows"]]
        return [w["label"] for w in result["windows"]], np.mean(probs), result

    labels, mean, longer = windows_and_result(3.5)
    assert labels == ["alarm", "no_alarm"] and mean >= 0.5
    assert [(e["start"], e["end"]) for e in longer["events"]] == [(0.0, 4.0)]
    labels, mean, shorter = windows_and_result(2.5)
    assert labels == ["alarm", "no_alarm"] and mean < 0.5
    assert shorter["events"] == [] and shorter["alarm"] is False


def test_an_alarm_cut_short_by_the_recording_needs_two_windows_not_three(tmp_path, rng, classifier):
    # Two windows hear most of a tone at the end of a 16 s recording (10-14 and 12-16, tone
    # from 11 s) and two in its middle (4-8 and 6-10, tone 5-9 s): at the end the recording
    # may have cut the alarm short, in the middle the windows either side say it stopped.
    at_end = alarm_in_noise(rng, before=11.0, alarm=5.0, after=0.0)
    inside = alarm_in_noise(rng, before=5.0, alarm=4.0, after=7.0)
    end_result = detect_file(write_wav(tmp_path / "end.wav", at_end, SR), classifier)
    inside_result = detect_file(write_wav(tmp_path / "inside.wav", inside, SR), classifier)
    assert [(e["start"], e["end"]) for e in end_result["events"]] == [(10.0, 16.0)]
    assert [w["label"] for w in inside_result["windows"][2:5]] == ["alarm", "alarm", "no_alarm"]
    assert inside_result["events"] == [] and inside_result["alarm"] is False
    # Asked for longer events, the edge still needs only two windows (window + hop).
    assert detect_file(write_wav(tmp_path / "e.wav", at_end, SR), classifier, min_event_s=12.0)[
        "alarm"
    ]


def test_a_long_recording_keeps_no_event_of_two_windows_at_its_start(tmp_path, rng, classifier):
    # A tone over the first 5 s, heard by the windows 0-4 and 2-6 and no later one. In a
    # 16 s recording the recording may have cut an alarm short, as at its end; in one of
    # START_EDGE_MAX_RECORDING_S or more an alarm sounding at its start would have gone on.
    assert 16.0 < START_EDGE_MAX_RECORDING_S <= 24.0
    short = alarm_in_noise(rng, before=0.0, alarm=5.0, after=11.0)
    long = alarm_in_noise(rng, before=0.0, alarm=5.0, after=19.0)
    short_result = detect_file(write_wav(tmp_path / "short.wav", short, SR), classifier)
    long_result = detect_file(write_wav(tmp_path / "long.wav", long, SR), classifier)
    assert [(e["start"], e["end"]) for e in short_result["events"]] == [(0.0, 6.0)]
    assert [w["label"] for w in long_result["windows"][:3]] == ["alarm", "alarm", "no_alarm"]
    assert long_result["events"] == [] and long_result["alarm"] is False


def test_beep_groups_each_in_one_window_make_one_event_across_the_pauses(tmp_path, rng, classifier):
    # A CO alarm's beep groups come every ~6 s and fill only the window that holds them
    # (4-8, 10-14, ...), with two quiet windows between: the default merge gap joins them,
    # while without it each group is one window, which no event keeps. (3 s tones, so that
    # the tiny model is sure of the windows that hold a whole one: threshold 0.8.)
    y = noise(36.0, sr=SR, rng=rng, amplitude=0.01)
    for onset in range(4, 32, 6):
        y[onset * SR : (onset + 3) * SR] += tone(3.0, sr=SR)
    path = write_wav(tmp_path / "groups.wav", y, SR)
    result = detect_file(path, classifier, threshold=0.8)
    assert [w["start"] for w in result["windows"] if w["label"] == "alarm"] == [4, 10, 16, 22, 28]
    assert [(e["start"], e["end"]) for e in result["events"]] == [(4.0, 32.0)]
    assert detect_file(path, classifier, threshold=0.8, merge_gap_s=0.0)["events"] == []
    # Asked for six alarm windows, five groups are not enough.
    assert detect_file(path, classifier, threshold=0.8, min_windows=6)["events"] == []


def dull_alarm_in_noise(rng, *, sr=SR):
    """A 520 Hz temporal-three alarm without harmonics from 6 s to 26 s, 9 dB under white
    noise: plain to see as a pattern, too faint for the tiny model's contrast."""
    y = noise(32.0, sr=sr, rng=rng, amplitude=0.1)
    y[6 * sr : 26 * sr] += t3_alarm(20.0, sr=sr, freq_hz=520.0, amplitude=0.05)
    return y


def test_a_beep_pattern_the_classifier_misses_is_an_event(tmp_path, rng, classifier):
    path = write_wav(tmp_path / "next_room.wav", dull_alarm_in_noise(rng), SR)
    result = detect_file(path, classifier)
    assert_schema(result)
    assert all(w["label"] == "no_alarm" for w in result["windows"])
    (event,) = result["events"]
    assert event["start"] == pytest.approx(6.0, abs=0.1)
    assert event["end"] == pytest.approx(24.5, abs=0.15)  # the last of five whole groups
    assert event["confidence"] == pytest.approx(0.9375)  # five groups in a row
    assert detect_file(path, classifier, min_pattern_groups=6)["events"] == []
    assert detect_file(path, classifier, beep_patterns=False)["alarm"] is False


def test_steady_piezo_beeping_is_an_event_only_with_pulse_patterns(tmp_path, rng, classifier):
    # GIVEN a 3.1 kHz piezo beeping 0.4 s every second from 4 s to 28 s (a smoke or heat
    # alarm that does not use the temporal-three pattern), faint under noise
    y = noise(32.0, sr=SR, rng=rng, amplitude=0.1)
    for onset in np.arange(4.0, 28.0, 1.0):
        start = int(onset * SR)
        y[start : start + int(0.4 * SR)] += tone(0.4, sr=SR, freq_hz=3100.0, amplitude=0.05)
    path = write_wav(tmp_path / "pulsing.wav", y, SR)
    # WHEN detected with and without the pulse search
    with pytest.warns(SoundDetectWarning) as said:
        plain = detect_file(path, classifier)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (event,) = detect_file(path, classifier, pulse_patterns=True)["events"]
    # THEN only the pulse search raises an alarm, over the beeping; without it a warning
    # says where the beeping is and how to raise it
    assert [str(w.message) for w in said] == [
        f"{path}: steady beeping in the piezo band from 4.0 to 27.4 s, not the temporal-three "
        "pattern: no alarm raised (an alarm that beeps so, or a timer or an alarm clock; "
        "--pulse-patterns, PulsePatterns=true in the Lambda, raises one)"
    ]
    assert plain["alarm"] is False
    assert all(w["label"] == "no_alarm" for w in plain["windows"])
    assert event["start"] == pytest.approx(4.0, abs=0.1)
    assert event["end"] == pytest.approx(27.4, abs=0.15)
    assert detect_file(path, classifier, pulse_patterns=True, beep_patterns=False)["alarm"]


def test_a_beep_pattern_is_found_at_any_hop(tmp_path, rng, classifier):
    # At 1.7 s the windows share no frames, and the search computes its own.
    path = write_wav(tmp_path / "next_room.wav", dull_alarm_in_noise(rng), SR)
    shared = detect_file(path, classifier)["events"]
    assert len(shared) == 1 and detect_file(path, classifier, hop_s=1.7)["events"] == shared


@pytest.mark.parametrize("length_s", [10.5, 10.6, 11.3, 11.95])
def test_a_beep_pattern_in_the_last_hop_of_a_recording_is_found(
    tmp_path, rng, classifier, length_s
):
    # GIVEN three beep groups the tiny model does not hear, the last ending at 10.5 s, and
    # the recording stopped 0-1.45 s later: its last window ends at its end, off the frame
    # grid, and holds the third group
    y = noise(length_s, sr=SR, rng=rng, amplitude=0.1)
    y[: int(10.5 * SR)] += t3_alarm(10.5, sr=SR, freq_hz=520.0, amplitude=0.05)
    path = write_wav(tmp_path / "cut.wav", y, SR)
    # THEN the search hears all three groups, as it does at a hop whose windows share no
    # frames (it then computes its own)
    (event,) = detect_file(path, classifier)["events"]
    assert event["start"] == pytest.approx(0.0, abs=0.1)
    assert event["end"] == pytest.approx(10.5, abs=0.1)
    assert detect_file(path, classifier, hop_s=1.7)["events"] == [event]


def test_the_classifier_s_event_and_a_pattern_that_follows_it_are_one_event(
    tmp_path, rng, classifier
):
    # GIVEN a loud steady tone the tiny model hears (4-14 s), then a dull beep pattern it
    # does not (14-34 s)
    y = noise(36.0, sr=SR, rng=rng, amplitude=0.1)
    y[4 * SR : 14 * SR] += tone(10.0, sr=SR)
    y[14 * SR : 34 * SR] += t3_alarm(20.0, sr=SR, freq_hz=520.0, amplitude=0.05)
    path = write_wav(tmp_path / "alarm.wav", y, SR)
    (model_event,) = detect_file(path, classifier, beep_patterns=False)["events"]
    # WHEN both are looked for THEN the events join, with the higher confidence
    (event,) = detect_file(path, classifier)["events"]
    assert (event["start"], model_event["start"]) == (4.0, 4.0)
    assert model_event["end"] == 14.0 and event["end"] == pytest.approx(32.5, abs=0.15)
    assert event["confidence"] == max(model_event["confidence"], 0.9375)


def test_at_a_4_s_hop_the_default_rule_follows_the_hop(tmp_path, rng, classifier):
    # Beep groups every 8 s fill the windows 4-8, 12-16, 20-24 and 28-32 of a 4 s hop, each
    # with one quiet window between: the rule for that hop (two windows, a 4 s gap) makes
    # one event of them, where the 2 s hop's rule (three windows, a 2 s gap) would keep none.
    y = noise(36.0, sr=SR, rng=rng, amplitude=0.01)
    for onset in range(4, 32, 8):
        y[onset * SR : (onset + 3) * SR] += tone(3.0, sr=SR)
    path = write_wav(tmp_path / "groups.wav", y, SR)
    result = detect_file(path, classifier, hop_s=4.0, threshold=0.8)
    assert [w["start"] for w in result["windows"] if w["label"] == "alarm"] == [4, 12, 20, 28]
    assert [(e["start"], e["end"]) for e in result["events"]] == [(4.0, 32.0)]
    assert not detect_file(path, classifier, hop_s=4.0, threshold=0.8, merge_gap_s=2.0)["alarm"]
    # Two groups cover two windows' length at this hop: enough, as three windows are at 2 s.
    y = noise(36.0, sr=SR, rng=rng, amplitude=0.01)
    for onset in (12, 20):
        y[onset * SR : (onset + 3) * SR] += tone(3.0, sr=SR)
    path = write_wav(tmp_path / "two.wav", y, SR)
    two = detect_file(path, classifier, hop_s=4.0, threshold=0.8)
    assert [(e["start"], e["end"]) for e in two["events"]] == [(12.0, 24.0)]
    assert not detect_file(path, classifier, hop_s=4.0, threshold=0.8, min_windows=3)["alarm"]


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"hop_s": 0.0}, "hop_s"),
        ({"hop_s": 5.0}, "hop_s"),
        ({"threshold": 1.5}, "threshold"),
        ({"min_event_s": -1.0}, "min_event_s"),
        ({"min_windows": 0}, "min_windows"),
        ({"merge_gap_s": -1.0}, "merge_gap_s"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 2.5}, "batch_size must be an integer"),
        ({"block_seconds": 0.0}, "block_seconds"),
        ({"min_pattern_groups": 0}, "min_pattern_groups"),
        # not numbers, or not the number meant: refused by their names, not taken for another
        ({"merge_gap_s": float("nan")}, "^merge_gap_s must be a finite number, got nan$"),
        ({"min_event_s": float("nan")}, "^min_event_s must be a finite number, got nan$"),
        ({"min_pattern_groups": float("nan")}, "^min_pattern_groups must be an integer"),
        ({"min_pattern_groups": 2.5}, "^min_pattern_groups must be an integer, got 2.5$"),
        ({"threshold": True}, "^threshold must be a number, got True$"),
        ({"hop_s": True}, "^hop_s must be a number, got True$"),
        ({"batch_size": True}, "^batch_size must be an integer, got True$"),
        ({"hop_s": "2"}, "^hop_s must be a number, got '2'$"),
        ({"threshold": "0.5"}, "^threshold must be a number, got '0.5'$"),
        ({"min_event_s": "2"}, "^min_event_s must be a number, got '2'$"),
        ({"beep_patterns": "no"}, "^beep_patterns must be True or False, got 'no'$"),
        ({"pulse_patterns": 1}, "^pulse_patterns must be True or False, got 1$"),
        ({"block_seconds": float("inf")}, "^block_seconds must be a finite number, got inf$"),
        ({"deadline": float("nan")}, "^deadline must be a finite number, got nan$"),
        ({"deadline": "1"}, "^deadline must be a number, got '1'$"),
        ({"retry_s": float("inf")}, "^retry_s must be a finite number, got inf$"),
        ({"name": 5}, "^name must be a string or None, got 5$"),
        # a hop or a block so short it only costs time
        ({"hop_s": 0.001}, r"^hop_s must be in \[0.1, 4\] s, got 0.001$"),
        ({"block_seconds": 1 / SR}, "^block_seconds must be >= 1 s, got"),
    ],
)
def test_bad_options_raise_before_reading(classifier, options, match):
    with pytest.raises(ParameterError, match=match):
        detect_file("never-read.wav", classifier, **options)
    with pytest.raises(ParameterError, match=match):
        detect_audio(np.zeros(5 * SR, np.float32), sr=SR, classifier=classifier, **options)


def test_a_model_s_name_given_as_the_classifier_says_how_to_load_it():
    # it had been an AttributeError on 'str' object has no attribute 'config'
    match = r"^classifier must be a Classifier, got the name 'models/default': load_classifier"
    with pytest.raises(ParameterError, match=match):
        detect_file("never-read.wav", "models/default")
    with pytest.raises(ParameterError, match=match):
        detect_audio(np.zeros(5 * SR, np.float32), sr=SR, classifier=Path("models/default"))


# --- bad inputs: an error result naming the file and the reason ---------------------------


def wav_bytes(y, sr, subtype=None):
    buffer = io.BytesIO()
    sf.write(buffer, y, sr, format="WAV", subtype=subtype)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("zero.wav", b"", r"empty file \(0 bytes\)"),
        ("text.wav", b"not audio at all\n" * 64, "not readable audio"),
        ("cut.wav", wav_bytes(np.zeros(80000, np.float32), 16000)[:60000], "truncated"),
        ("voice.m4a", b"\x00\x00\x00\x20ftypM4A " + bytes(300), r"not readable audio \(ffprobe"),
        (
            "short.wav",
            wav_bytes(np.zeros(SR // 2, np.float32), SR),
            r"too short to hold an alarm \(0.50 s < 1 s\)",
        ),
    ],
)
def test_bad_inputs_become_error_results(tmp_path, classifier, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    result = detect_file(path, classifier)
    assert_schema(result)
    assert result["error"]["type"] == "AudioError"
    assert result["error"]["message"].startswith(f"{path}: ")
    assert len(re.findall(reason, result["error"]["message"])) == 1


def test_nan_samples_become_an_error_result(tmp_path, rng, classifier):
    y = alarm_in_noise(rng)
    y[20 * SR] = np.nan
    path = write_wav(tmp_path / "nan.wav", y, SR, subtype="FLOAT")
    result = detect_file(path, classifier)
    assert_schema(result)
    assert result["error"] == {
        "type": "AudioError",
        "message": f"{path}: contains NaN or infinite samples (first at 20.000 s)",
    }


def test_a_recording_the_machine_has_no_memory_for_fails_alone(tmp_path, rng, classifier):
    class OutOfMemory:
        backend, model, config, threshold = "onnx", "tiny", classifier.config, 0.5

        def classify(self, images):
            raise MemoryError("Unable to allocate 2.1 GiB for an array")

        def describe(self):
            return classifier.describe()

    path = write_wav(tmp_path / "a.wav", alarm_in_noise(rng), SR)
    # a result naming the file, where the MemoryError had ended the command line's batch
    result = detect_file(path, OutOfMemory())
    assert_schema(result)
    assert result["error"] == {
        "type": "MemoryError",
        "message": f"{path}: Unable to allocate 2.1 GiB for an array",
    }
    assert not is_transient(result) and not is_permanent(result)


def test_transient_classifier_failure_is_marked_for_retry(tmp_path, rng, classifier):
    class NotRunning:
        backend, model, config, threshold = "rekognition", "arn", classifier.config, 0.5

        def classify(self, images):
            raise TransientError("model arn is not running")

        def describe(self):
            return {"backend": "rekognition", "model": "arn", "config": {}, "threshold": 0.5}

    path = write_wav(tmp_path / "a.wav", alarm_in_noise(rng), SR)
    result = detect_file(path, NotRunning())
    assert_schema(result)
    assert result["error"]["type"] == "TransientError" and is_transient(result)
    assert result["error"]["message"] == f"{path}: model arn is not running"
    assert not is_transient(detect_file(path, classifier))


class ManualClock:
    """A monotonic clock that only a test moves: deadlines checked without wall time."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now


class SlowService:
    """The tiny model behind a service's latency (0.2 s a request on ``clock``), as
    Rekognition has."""

    def __init__(self, classifier, clock):
        self.inner, self.config, self.threshold = classifier, classifier.config, 0.5
        self.clock = clock

    def classify(self, images):
        self.clock.now += 0.2
        return self.inner.classify(images)

    def describe(self):
        return self.inner.describe()


@pytest.mark.parametrize("remote", [False, True])
def test_a_recording_that_would_outlast_its_deadline_is_refused_early(
    tmp_path, rng, classifier, remote, monkeypatch
):
    # GIVEN a 2 min recording, 4 windows a request at 0.2 s a request (15 requests, 3 s)
    clock = ManualClock()
    monkeypatch.setattr("sounddetect.detect.time", clock)
    path = write_wav(tmp_path / "night.wav", noise(120.0, sr=16000, rng=rng), 16000)
    slow = SlowService(classifier, clock)
    slow.remote = remote
    options = {"block_seconds": 2.0, "batch_size": 4}
    # WHEN it must be done in 1 s
    result = detect_file(path, slow, deadline=clock.monotonic() + 1.0, **options)
    # THEN it is refused once its first tenth shows the pace, before the time is up (the
    # message says what the rest would take, not that the time ran out): for good, unless
    # the pace is a service's, which may be throttling that passes
    assert_schema(result)
    assert result["error"]["type"] == ("TransientError" if remote else "AudioError")
    assert is_transient(result) is remote
    message = result["error"]["message"]
    assert message.startswith(f"{path}: too long to analyse in the time left: ")
    assert re.search(r"of 2 min done in 0 s, the rest would take about \d+ s, and \d s", message)
    assert re.search(r"split it into recordings of at most \d+ s$", message)
    # and with time to spare the result is the one without a deadline
    plenty = detect_file(path, classifier, deadline=clock.monotonic() + 3600, **options)
    assert plenty == detect_file(path, classifier, **options)
    # and with none left it is not begun
    result = detect_file(path, classifier, deadline=clock.monotonic() - 1)
    reason = "not analysed: the time left ran out before it began"
    assert result["error"]["message"] == f"{path}: {reason}"


@pytest.mark.parametrize(
    ("done_s", "total_s", "elapsed_s", "left_s", "expected"),
    [
        (0.0, 36000.0, 0.0, 880.0, None),  # nothing to judge the pace by yet
        (3500.0, 36000.0, 80.0, 800.0, None),  # under a tenth done
        (3600.0, 36000.0, 80.0, 800.0, None),  # the rest needs 720 s
        (3600.0, 36000.0, 100.0, 780.0, None),  # 900 s: within the slack of 1.5
        (
            3600.0,
            36000.0,
            300.0,
            580.0,
            "too long to analyse in the time left: 1.0 h of 10.0 h done in 300 s, the rest "
            "would take about 2700 s, and 580 s are left; split it into recordings of at most "
            "2.3 h",
        ),
        (
            5400.0,
            0.0,
            880.0,
            -1.0,
            "too long to analyse in the time left: 1.5 h done in 880 s, and the time left ran "
            "out; split it into recordings of at most 1.2 h",
        ),
        (0.0, 60.0, 0.5, -0.5, "not analysed: the time left ran out before it began"),
    ],
)
def test_pace_refusal_judges_the_rest_by_the_pace_so_far(
    done_s, total_s, elapsed_s, left_s, expected
):
    reason = pace_refusal(done_s=done_s, total_s=total_s, elapsed_s=elapsed_s, left_s=left_s)
    assert reason == expected


def test_a_recording_out_of_time_that_a_retry_has_time_for_is_transient(tmp_path, rng, classifier):
    # GIVEN a recording with no time left for it, where a fresh attempt (a Lambda retry,
    # a whole invocation) would have 600 s
    y = noise(12.0, sr=16000, rng=rng)
    path = write_wav(tmp_path / "garage.wav", y, 16000)
    past = time.monotonic() - 1.0
    # WHEN it is detected THEN it is refused for a retry, with the local model too
    result = detect_file(path, classifier, deadline=past, retry_s=600.0)
    reason = "not analysed: the time left ran out before it began"
    assert result["error"] == {"type": "TransientError", "message": f"{path}: {reason}"}
    result = detect_audio(y, sr=16000, classifier=classifier, deadline=past, retry_s=600.0)
    assert result["error"] == {"type": "TransientError", "message": f"audio: {reason}"}
    # and where no attempt has more time, for good
    assert detect_file(path, classifier, deadline=past)["error"]["type"] == "AudioError"


@pytest.mark.parametrize(
    ("done_s", "total_s", "elapsed_s", "left_s", "retry_s", "expected", "final"),
    [
        (  # the rest needs 540 s, 340 s are left; a retry's 820 s, 760 of them left, will do
            720.0,
            7200.0,
            60.0,
            340.0,
            820.0,
            "too long to analyse in the time left: 12 min of 2.0 h done in 60 s, the rest "
            "would take about 540 s, and 340 s are left",
            False,
        ),
        (  # the rest needs 2700 s: a retry's 880 s will not do; the advice is by those
            3600.0,
            36000.0,
            300.0,
            280.0,
            880.0,
            "too long to analyse in the time left: 1.0 h of 10.0 h done in 300 s, the rest "
            "would take about 2700 s, and 280 s are left; split it into recordings of at most "
            "2.3 h",
            True,
        ),
    ],
)
def test_pace_refusal_advises_by_the_whole_time_a_retry_has(
    done_s, total_s, elapsed_s, left_s, retry_s, expected, final
):
    progress = {"done_s": done_s, "total_s": total_s, "elapsed_s": elapsed_s}
    assert pace_refusal(**progress, left_s=left_s, retry_s=retry_s) == expected
    # what a fresh attempt would say at the same point: detect_file's AudioError, or not
    assert (pace_refusal(**progress, left_s=retry_s - elapsed_s) is not None) is final


def documented_parameters():
    from sounddetect import audio, result
    from sounddetect.classifiers import base

    return [
        audio.resample,
        audio.iter_array_blocks,
        audio.to_mono,
        result.make_result,
        result.error_result,
        result.window_records,
        base.check_images,
        detect_audio,
    ]


@pytest.mark.parametrize("function", documented_parameters(), ids=lambda f: f.__qualname__)
def test_public_functions_document_each_parameter(function):
    doc = inspect.getdoc(function)
    assert "\nParameters\n----------\n" in doc
    described = doc.split("\nParameters\n----------\n", 1)[1].split("\n\n", 1)[0]
    names = set(re.findall(r"^(\w+(?:, \w+)*)(?: :|$)", described, flags=re.MULTILINE))
    documented = {name for group in names for name in group.split(", ")}
    assert set(inspect.signature(function).parameters) <= documented


@pytest.mark.parametrize(
    ("member", "words"),
    [
        (WindowScores, "window_samples : int\n    Window length in samples"),
        (WindowScores.starts_s, "seconds"),
        (WindowScores.ends_s, "seconds"),
        (spectrum.SpectrogramConfig.to_dict, "dict"),
        (spectrum.SpectrogramConfig.to_json, "JSON"),
    ],
)
def test_window_times_and_config_serialisation_are_documented(member, words):
    assert words in (inspect.getdoc(member) or "")


def test_continuous_tones_can_be_left_out_and_beeping_alarms_stay(rng):
    # GIVEN the shipped model, a steady 3.4 kHz whine over a room's noise for 30 s (a
    # variable-frequency drive, or a continuous-tone alarm: the model hears both as an
    # alarm) and a temporal-three alarm of the same tone in the same noise
    from sounddetect.classifiers import default_model_dir

    model = OnnxClassifier.from_dir(default_model_dir())
    sr = 16000
    whine, beeping = plant_room(30.0, sr=sr, rng=rng)
    # WHEN each is detected with continuous tones and without, the model alone (without the
    # beep-pattern search, which would find the alarm by itself)
    options = {"classifier": model, "beep_patterns": False}
    with_tones = [detect_audio(y, sr=sr, **options) for y in (whine, beeping)]
    without = [detect_audio(y, sr=sr, continuous_tones=False, **options) for y in (whine, beeping)]
    # THEN both are alarms by default; without continuous tones the whine is not, and the
    # beeping alarm's event is the same
    assert [r["alarm"] for r in with_tones] == [True, True]
    assert [r["alarm"] for r in without] == [False, True]
    assert without[1]["events"] == with_tones[1]["events"]
    assert without[0]["windows"] == with_tones[0]["windows"]  # the windows' scores stay
    # AND an alarm sounding over the whine joins it into one event, which only the
    # beep-pattern search brings back
    both = whine + t3_alarm(30.0, sr=sr, freq_hz=3100.0, amplitude=0.1)
    assert not detect_audio(both, sr=sr, continuous_tones=False, **options)["alarm"]
    assert detect_audio(both, sr=sr, classifier=model, continuous_tones=False)["alarm"]


def test_a_steady_beeper_the_model_hears_as_an_alarm_raises_none(rng):
    # GIVEN the shipped model and a 1.1 kHz beeper sampled as a bare square wave (its
    # partials above 8 kHz fold back into a mesh of tones, as a digital device's may),
    # 0.5 s every 1.2 s for 40 s over quiet noise
    from sounddetect.classifiers import default_model_dir

    model = OnnxClassifier.from_dir(default_model_dir())
    sr = 16000
    t = np.arange(40 * sr) / sr
    beeper = 0.1 * np.sign(np.sin(2 * np.pi * 1100 * t)) * ((t % 1.2) < 0.5)
    beeper = (beeper + noise(40.0, sr=sr, rng=rng, amplitude=0.003)).astype(np.float32)
    # WHEN it is detected
    result = detect_audio(beeper, sr=sr, classifier=model)
    # THEN the model hears every window as an alarm, but the beeper raises none
    assert all(w["label"] == "alarm" for w in result["windows"])
    assert not result["alarm"]
    # AND a temporal-three alarm sounding with it raises one, by the model alone too
    both = beeper + t3_alarm(40.0, sr=sr, freq_hz=3100.0, amplitude=0.1)
    assert detect_audio(both, sr=sr, classifier=model, beep_patterns=False)["alarm"]


def test_a_co_alarm_sounding_with_a_reversing_beeper_is_found(rng):
    # GIVEN the shipped model, a CO alarm (four 0.1 s pips at 3.1 kHz every 5.8 s) and a
    # 1.1 kHz square-wave beeper (0.5 s every 1.2 s) sounding with it all along
    from sounddetect.classifiers import default_model_dir

    model = OnnxClassifier.from_dir(default_model_dir())
    sr = 16000
    t = np.arange(40 * sr) / sr
    phase = t % 5.8
    co = 0.1 * np.sin(2 * np.pi * 3100 * t) * ((phase < 0.8) & (phase % 0.2 < 0.1))
    square = sum(np.sin(2 * np.pi * k * 1100 * t) / k for k in (1, 3, 5, 7))
    beeper = 0.1 * square * ((t % 1.2) < 0.5)
    quiet = noise(40.0, sr=sr, rng=rng, amplitude=0.003)
    # WHEN each and both are detected
    alone = [
        detect_audio((y + quiet).astype(np.float32), sr=sr, classifier=model) for y in (co, beeper)
    ]
    both = detect_audio((co + beeper + quiet).astype(np.float32), sr=sr, classifier=model)
    # THEN the alarm is found with the beeper as without it: the beeper covers the event, but
    # the model hears the alarm only in the pips, not in the beeping
    assert [r["alarm"] for r in alone] == [True, False]
    assert both["alarm"]
    assert both["events"][0]["start"] < 1.0 and both["events"][-1]["end"] > 35.0


def test_leaving_out_continuous_tones_needs_a_model_that_says_when_the_alarm_sounds(
    classifier,
):
    # GIVEN a model without the alarm-sounding output
    assert classifier.sounding_output is None
    y = tone(8.0, sr=SR)
    # THEN asking to leave out continuous tones is refused by name, before any audio is read
    with pytest.raises(ParameterError, match="continuous_tones=False needs a model that says"):
        detect_audio(y, sr=SR, classifier=classifier, continuous_tones=False)
    with pytest.raises(ParameterError, match="continuous_tones must be True or False"):
        detect_audio(y, sr=SR, classifier=classifier, continuous_tones="no")
