"""Spectrogram rendering: parity with librosa for every type, images, PNGs, render_windows.

Signals are analytic (tones at 520 Hz and 3.1 kHz, a chirp, a temporal-three beep pattern)
or seeded noise. Tolerances are stated where they are asserted; cqt and reassigned use
looser, documented criteria because the algorithms differ from librosa's in known ways.
"""

from __future__ import annotations

import librosa
import matplotlib
import numpy as np
import pytest

from sounddetect import audio, spectrum
from sounddetect.exceptions import AudioError, ParameterError
from sounddetect.spectrum import (
    COLORMAPS,
    SPECTROGRAM_TYPES,
    SpectrogramConfig,
    compute_spectrogram,
    decode_png,
    encode_png,
    image_row_frequencies,
    image_to_pixels,
    image_to_tensor,
    render_spectrogram,
    render_windows,
    row_frequencies,
    spectrogram_to_image,
)
from sounddetect.windows import window_starts

CONFIG = SpectrogramConfig()
SR = CONFIG.sr
N_FFT, HOP, TOP_DB = CONFIG.n_fft, CONFIG.hop_length, CONFIG.top_db


def _time(n_samples: int = CONFIG.window_samples) -> np.ndarray:
    return np.arange(n_samples) / SR


def tone(frequency_hz: float, n_samples: int = CONFIG.window_samples) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * frequency_hz * _time(n_samples))).astype(np.float32)


def chirp(n_samples: int = CONFIG.window_samples) -> np.ndarray:
    """Linear sweep from 200 Hz to 7 kHz over the window."""
    t = _time(n_samples)
    rate = (7000 - 200) / t[-1]
    return (0.5 * np.sin(2 * np.pi * (200 * t + rate / 2 * t**2))).astype(np.float32)


def temporal_three(n_samples: int = CONFIG.window_samples) -> np.ndarray:
    """3.1 kHz smoke-alarm pattern: three 0.5 s beeps 0.5 s apart, then 1.5 s quiet."""
    t = _time(n_samples)
    cycle = t % 4.0
    on = (cycle < 3.0) & (cycle % 1.0 < 0.5)
    return (tone(3100, n_samples) * on).astype(np.float32)


def noise(n_samples: int = CONFIG.window_samples, seed: int = 20260101) -> np.ndarray:
    return (0.1 * np.random.default_rng(seed).standard_normal(n_samples)).astype(np.float32)


SIGNALS = {
    "tone520": lambda: tone(520),
    "tone3100": lambda: tone(3100),
    "chirp": chirp,
    "temporal_three": temporal_three,
    "noise": noise,
}
TONAL = ("tone520", "tone3100", "chirp", "temporal_three")


def _db(power: np.ndarray) -> np.ndarray:
    return librosa.power_to_db(power, ref=np.max, amin=spectrum.AMIN, top_db=TOP_DB)


def _librosa_power(y: np.ndarray) -> np.ndarray:
    """Power spectrogram; of (channels, n) audio, the mean of the channels' power."""
    stft = librosa.stft(y, n_fft=N_FFT, hop_length=HOP, window="hann", center=False)
    power = np.abs(stft) ** 2
    return power.mean(axis=0) if y.ndim == 2 else power


def _linear_rows() -> slice:
    freqs = librosa.fft_frequencies(sr=SR, n_fft=N_FFT)
    inside = np.flatnonzero((freqs >= CONFIG.fmin) & (freqs <= CONFIG.fmax))
    return slice(inside[0], inside[-1] + 1)


def _librosa_reference(kind: str, y: np.ndarray) -> np.ndarray:
    """What librosa computes for ``kind`` with our parameters (center=False, Hann)."""
    power = _librosa_power(y)
    rows = _linear_rows()
    mel = librosa.feature.melspectrogram(
        S=power, sr=SR, n_mels=CONFIG.n_mels, fmin=CONFIG.fmin, fmax=CONFIG.fmax
    )
    if kind == "linear":
        return _db(power[rows])
    if kind == "mel":
        return _db(mel)
    if kind in ("harmonic", "percussive"):
        harmonic, percussive = librosa.decompose.hpss(
            np.sqrt(power), kernel_size=31, power=2.0, margin=1.0
        )
        return _db((harmonic if kind == "harmonic" else percussive)[rows] ** 2)
    if kind == "mfcc":
        log_mel = librosa.power_to_db(mel, ref=1.0, amin=spectrum.AMIN, top_db=TOP_DB)
        return librosa.feature.mfcc(S=log_mel, n_mfcc=CONFIG.n_mfcc)
    if kind == "chroma":
        return librosa.feature.chroma_stft(S=power, sr=SR, n_chroma=CONFIG.n_chroma, tuning=0.0)
    raise AssertionError(kind)


# Max abs difference allowed from librosa: dB for power types, MFCC units (dB-like; the
# values reach ~700, so 0.01 is float32 rounding), chroma is in [0, 1].
EXACT_TOLERANCE = {
    "linear": 0.01,
    "mel": 0.01,
    "harmonic": 0.01,
    "percussive": 0.01,
    "mfcc": 0.01,
    "chroma": 1e-5,
}


@pytest.mark.parametrize("signal", SIGNALS)
@pytest.mark.parametrize("kind", EXACT_TOLERANCE)
def test_matches_librosa(kind, signal):
    y = SIGNALS[signal]()
    ours = compute_spectrogram(y, config=CONFIG.replace(kind=kind))
    reference = _librosa_reference(kind, y)
    assert ours.shape == reference.shape
    assert ours.dtype == np.float32
    assert np.max(np.abs(ours - reference)) < EXACT_TOLERANCE[kind]


@pytest.mark.parametrize("signal", SIGNALS)
def test_cqt_close_to_librosa(signal):
    """Ours filters at the full rate with one kernel; librosa.cqt downsamples per octave.

    Criterion, on frames at least 12 hops from the window edges (we zero-pad at the window
    edges, librosa at the signal's): in the cells within 30 dB of the maximum of either,
    median |diff| < 0.25 dB and 90th percentile < 1 dB; the dB images correlate > 0.95;
    on tonal signals the loudest row of each frame with sound agrees within one bin.
    Our frame t is centred at t * hop + n_fft / 2, which is librosa's frame t of the signal
    from sample n_fft / 2 on.
    """
    config = CONFIG.replace(kind="cqt")
    y = SIGNALS[signal]()
    freqs = row_frequencies(config)
    cqt = librosa.cqt(
        y[N_FFT // 2 :],
        sr=SR,
        hop_length=HOP,
        fmin=config.fmin,
        n_bins=freqs.size,
        bins_per_octave=config.bins_per_octave,
        tuning=0.0,
    )
    reference = _db(np.abs(cqt) ** 2)[:, : config.n_frames]
    ours = compute_spectrogram(y, config=config)
    assert ours.shape == reference.shape
    interior = slice(12, -12)
    ours, reference = ours[:, interior], reference[:, interior]
    loud = (ours > -30) | (reference > -30)
    diff = np.abs(ours - reference)[loud]
    assert np.median(diff) < 0.25
    assert np.percentile(diff, 90) < 1.0
    assert np.corrcoef(ours.ravel(), reference.ravel())[0, 1] > 0.95
    if signal in TONAL:
        sounding = reference.max(axis=0) > -30
        peak_gap = np.abs(ours.argmax(axis=0) - reference.argmax(axis=0))[sounding]
        assert np.all(peak_gap <= 1)


# librosa's own np.less(where=...) without out= (its bins below ref_power are filled anyway)
@pytest.mark.filterwarnings("ignore:'where' used without 'out'")
@pytest.mark.parametrize("signal", SIGNALS)
def test_reassigned_close_to_librosa(signal):
    """librosa.reassigned_spectrogram gives per-bin estimates; we bin them into the grid.

    The reference puts librosa's reassigned (frequency, time, magnitude) points into the
    same grid (rows: linear bins fmin..fmax, columns: frame centres). Rounding to a cell
    can go the other way where float32 and float64 estimates straddle a cell edge, so the
    criterion is: median |diff| < 0.01 dB over cells within 60 dB of the maximum of either,
    fewer than 0.5% of all cells differ by more than 0.1 dB, and the loudest row of every
    frame agrees on tonal signals.
    """
    config = CONFIG.replace(kind="reassigned")
    y = SIGNALS[signal]()
    floor = 10 ** (-TOP_DB / 10)
    freqs, times, mags = librosa.reassigned_spectrogram(
        y=y,
        sr=SR,
        n_fft=N_FFT,
        hop_length=HOP,
        center=False,
        ref_power=lambda power: power.max() * floor,
        fill_nan=True,
        clip=True,
    )
    rows = _linear_rows()
    row = np.rint(freqs / (SR / N_FFT)).astype(int)
    column = np.rint((times * SR - N_FFT / 2) / HOP).astype(int).clip(0, config.n_frames - 1)
    inside = (row >= rows.start) & (row < rows.stop)
    grid = np.zeros((rows.stop - rows.start, config.n_frames))
    np.add.at(grid, (row[inside] - rows.start, column[inside]), mags[inside] ** 2)
    reference = _db(grid)
    ours = compute_spectrogram(y, config=config)
    assert ours.shape == reference.shape
    diff = np.abs(ours - reference)
    assert np.median(diff[(ours > -60) | (reference > -60)]) < 0.01
    assert np.mean(diff > 0.1) < 0.005
    if signal in TONAL:
        sounding = reference.max(axis=0) > -30
        assert np.array_equal(ours.argmax(axis=0)[sounding], reference.argmax(axis=0)[sounding])


@pytest.mark.parametrize("frequency_hz", [520, 3100])
def test_mel_tone_lands_on_its_row(frequency_hz):
    """Image row 0 is the top: a tone lights the row of the mel band centred nearest it."""
    image = render_spectrogram(tone(frequency_hz), config=CONFIG)
    centres = row_frequencies(CONFIG)
    expected_row = CONFIG.height - 1 - int(np.argmin(np.abs(centres - frequency_hz)))
    brightest_row = int(np.argmax(image.mean(axis=1)))
    assert abs(brightest_row - expected_row) <= 1
    assert image[brightest_row].min() == 255


def test_low_tone_is_below_high_tone():
    low = np.argmax(render_spectrogram(tone(520), config=CONFIG).mean(axis=1))
    high = np.argmax(render_spectrogram(tone(3100), config=CONFIG).mean(axis=1))
    assert high < low


@pytest.mark.parametrize("cmap", COLORMAPS)
@pytest.mark.parametrize("kind", SPECTROGRAM_TYPES)
def test_image_shape_dtype_channels(kind, cmap):
    config = CONFIG.replace(kind=kind, cmap=cmap, width=96, height=64)
    image = render_spectrogram(chirp(), config=config)
    expected = (64, 96) if cmap == "gray" else (64, 96, 3)
    assert image.shape == expected
    assert image.dtype == np.uint8
    assert image.max() > image.min()  # not blank
    assert decode_png(encode_png(image)).shape == expected


@pytest.mark.parametrize("kind", SPECTROGRAM_TYPES)
def test_silence_renders_black(kind):
    y = np.zeros(CONFIG.window_samples, dtype=np.float32)
    S = compute_spectrogram(y, config=CONFIG.replace(kind=kind))
    assert np.all(np.isfinite(S))
    assert np.all(render_spectrogram(y, config=CONFIG.replace(kind=kind)) == 0)
    magma_black = np.array([0, 0, 3], dtype=np.uint8)  # magma's first colour
    assert np.all(
        render_spectrogram(y, config=CONFIG.replace(kind=kind, cmap="magma")) == magma_black
    )


def _lowpassed_noise(cutoff_hz: float) -> np.ndarray:
    """White noise with nothing above ``cutoff_hz``: a recording made at 2 * cutoff_hz."""
    spectrum_ = np.fft.rfft(noise())
    spectrum_[np.fft.rfftfreq(CONFIG.window_samples, 1 / SR) > cutoff_hz] = 0
    return np.fft.irfft(spectrum_, CONFIG.window_samples).astype(np.float32)


@pytest.mark.parametrize("kind", ["mel", "linear", "cqt", "harmonic"])
@pytest.mark.parametrize("signal", ["temporal_three", "band_limited"])
@pytest.mark.parametrize("level_db", [-50.0, -90.0])
def test_a_quiet_recording_renders_as_a_loud_one(kind, signal, level_db):
    """Images are relative to the window's loudest bin at any level: a clean alarm or a
    recording with an empty top band renders alike at full scale and 50 or 90 dB quieter
    (with librosa's absolute floor of 1e-10 the quiet ones showed it as a flat grey band)."""
    y = temporal_three() if signal == "temporal_three" else _lowpassed_noise(3800.0)
    config = CONFIG.replace(kind=kind)
    loud = render_spectrogram(y, config=config).astype(int)
    quiet = render_spectrogram(y * np.float32(10 ** (level_db / 20)), config=config).astype(int)
    assert loud.min() == 0  # the black floor the quiet window must keep
    assert np.abs(loud - quiet).max() <= 1


def stuck_microphone(value: float, *, orig_sr: int = 44100, seconds: float = 8.0) -> np.ndarray:
    """A digital microphone stuck at one sample value, recorded at ``orig_sr`` and resampled
    to the config's rate as detect resamples it: a constant plus the resampler's ripple."""
    stuck = np.full(int(seconds * orig_sr), value, dtype=np.float32)
    return audio.resample(stuck, orig_sr=orig_sr, target_sr=SR)


@pytest.mark.parametrize("kind", SPECTROGRAM_TYPES)
@pytest.mark.parametrize(("value", "orig_sr"), [(-1 / 32768, 44100), (-1.0, 44100), (0.5, 22050)])
def test_a_stuck_microphone_renders_as_digital_silence(kind, value, orig_sr):
    """The ripple (about 1e-7 of the value) is no sound: relative to the window's loudest
    bin it had been drawn at full contrast, a comb of steady tones that the default model
    called an alarm with a confidence of 1.00 (at 44.1 kHz, not at 16 or 48 kHz)."""
    config = CONFIG.replace(kind=kind)
    y = stuck_microphone(value, orig_sr=orig_sr)[SR : SR + config.window_samples]
    assert np.ptp(y) > 0  # the ripple is there
    silence = render_spectrogram(np.zeros_like(y), config=config)
    assert np.array_equal(render_spectrogram(y, config=config), silence)


@pytest.mark.parametrize("kind", ["mel", "chroma"])
def test_render_windows_renders_the_windows_of_a_stuck_microphone_as_silence(kind):
    # GIVEN 4 s of an alarm, then the microphone stuck at -1 step of 16 bits
    config = CONFIG.replace(kind=kind)
    stuck = stuck_microphone(-1 / 32768)
    y = np.concatenate([temporal_three(), stuck]).astype(np.float32)
    starts = window_starts(
        y.size, window_samples=config.window_samples, hop_samples=config.window_samples // 2
    )
    # WHEN its windows are rendered together, THEN the alarm's are drawn and those wholly
    # after the resampler's step into the stuck value are digital silence, as each alone
    images = render_windows(y, config=config, starts=starts)
    silence = render_spectrogram(np.zeros(config.window_samples, np.float32), config=config)
    silent = [np.array_equal(image, silence) for image in images]
    assert silent[0] is False and silent[3:] == [True] * (len(starts) - 3)
    for image, start in zip(images, starts, strict=True):
        window = y[start : start + config.window_samples]
        assert np.array_equal(image, render_spectrogram(window, config=config))


def test_a_tone_just_above_the_silence_span_still_renders_as_a_loud_one():
    level = 2 * spectrum.SILENCE_SPAN / np.ptp(temporal_three())
    loud = render_spectrogram(temporal_three(), config=CONFIG).astype(int)
    quiet = render_spectrogram(temporal_three() * np.float32(level), config=CONFIG).astype(int)
    assert quiet.max() == 255 and np.abs(loud - quiet).max() <= 1


@pytest.mark.parametrize("kind", SPECTROGRAM_TYPES)
def test_identical_input_gives_identical_png_bytes(kind):
    config = CONFIG.replace(kind=kind, cmap="viridis")
    y = temporal_three() + noise()
    first = encode_png(render_spectrogram(y, config=config))
    second = encode_png(render_spectrogram(y.copy(), config=config))
    assert first == second
    assert first.startswith(b"\x89PNG")
    assert b"tIME" not in first and b"tEXt" not in first


@pytest.mark.parametrize("name", ["magma", "viridis"])
def test_stored_colormaps_equal_matplotlib(name):
    expected = matplotlib.colormaps[name](np.arange(256), bytes=True)[:, :3]
    np.testing.assert_array_equal(spectrum._colormap_lut(name), expected)


def test_dynamic_range_maps_to_pixels():
    """0 dB (the loudest bin) is 255, -top_db and below are 0, linear in between."""
    config = CONFIG.replace(width=CONFIG.n_frames, height=CONFIG.n_mels)  # no resampling
    S = np.full((CONFIG.n_mels, CONFIG.n_frames), -TOP_DB, dtype=np.float32)
    S[0, 0], S[1, 0] = 0.0, -TOP_DB / 2
    image = spectrogram_to_image(S, config=config)
    assert image[-1, 0] == 255  # lowest row is at the bottom
    assert image[-2, 0] == 128
    assert image[:-2].max() == 0


def antiphase_stereo(seed: int = 5) -> np.ndarray:
    """A temporal-three tone reaching two microphones half a period apart (the right
    channel's tone inverted), over quieter noise of its own in each channel."""
    rng = np.random.default_rng(seed)
    alarm = 0.6 * temporal_three()
    left, right = (0.01 * rng.standard_normal((2, CONFIG.window_samples))).astype(np.float32)
    return np.stack([alarm + left, -alarm + right])


@pytest.mark.parametrize("kind", EXACT_TOLERANCE)
def test_multichannel_matches_librosa_on_the_channels_mean_power(kind):
    y = antiphase_stereo()
    ours = compute_spectrogram(y, config=CONFIG.replace(kind=kind))
    reference = _librosa_reference(kind, y)
    assert ours.shape == reference.shape
    assert np.max(np.abs(ours - reference)) < EXACT_TOLERANCE[kind]


@pytest.mark.parametrize("kind", SPECTROGRAM_TYPES)
def test_identical_channels_render_as_one(kind):
    config = CONFIG.replace(kind=kind)
    y = _long_recording(4.0)
    one = render_spectrogram(y, config=config)
    assert render_spectrogram(np.stack([y, y]), config=config).tobytes() == one.tobytes()
    assert render_spectrogram(y[np.newaxis], config=config).tobytes() == one.tobytes()


@pytest.mark.parametrize("kind", SPECTROGRAM_TYPES)
def test_a_tone_in_antiphase_is_kept_where_the_average_cancels_it(kind):
    # Measured (grey levels, mean absolute difference from the left channel's image):
    # 4-22 for the channels combined in power, 45-145 for the average of their samples.
    config = CONFIG.replace(kind=kind)
    y = antiphase_stereo()
    left = render_spectrogram(y[0], config=config).astype(np.float64)
    combined = render_spectrogram(y, config=config).astype(np.float64)
    averaged = render_spectrogram(y.mean(axis=0), config=config).astype(np.float64)
    assert np.abs(combined - left).mean() < 25
    assert np.abs(averaged - left).mean() > 40


def test_multichannel_shapes_are_checked():
    with pytest.raises(ParameterError, match="window has 10 samples"):
        compute_spectrogram(np.zeros((2, 10), dtype=np.float32), config=CONFIG)
    with pytest.raises(ParameterError, match=r"\(channels, n\)"):
        compute_spectrogram(np.zeros((0, CONFIG.window_samples), dtype=np.float32), config=CONFIG)
    with pytest.raises(ParameterError, match=r"\(channels, n\)"):
        render_windows(np.zeros((1, 2, 80000), dtype=np.float32), config=CONFIG, starts=[0])
    with pytest.raises(ParameterError, match="outside the recording"):
        render_windows(np.zeros((2, 80000), dtype=np.float32), config=CONFIG, starts=[32000])


@pytest.mark.parametrize("length", [CONFIG.window_samples - 1, CONFIG.window_samples + 1])
def test_wrong_window_length_raises(length):
    with pytest.raises(ParameterError, match=f"window has {length} samples"):
        compute_spectrogram(np.zeros(length, dtype=np.float32), config=CONFIG)


def test_bad_windows_raise():
    with pytest.raises(AudioError, match="NaN"):
        compute_spectrogram(np.full(CONFIG.window_samples, np.nan, dtype=np.float32), config=CONFIG)
    with pytest.raises(ParameterError, match="floating-point"):
        compute_spectrogram(np.zeros(CONFIG.window_samples, dtype=np.int16), config=CONFIG)
    with pytest.raises(ParameterError, match="shape"):
        spectrogram_to_image(np.zeros((3, 3), dtype=np.float32), config=CONFIG)


def _long_recording(seconds: float) -> np.ndarray:
    n = int(seconds * SR)
    t = _time(n)
    sweep = np.sin(2 * np.pi * (300 * t + 200 * t**2 / seconds)).astype(np.float32)
    return temporal_three(n) + 0.3 * sweep + noise(n)


@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("kind", SPECTROGRAM_TYPES)
def test_render_windows_equals_rendering_each_window(kind, channels, monkeypatch):
    # Small shared batches, so that several batches and block edges are crossed.
    monkeypatch.setattr(spectrum, "_SHARED_BATCH_FRAMES", 700)
    config = CONFIG.replace(kind=kind, cmap="magma" if kind == "mel" else "gray")
    y = _long_recording(13.3)
    if channels == 2:  # the right channel half a period late at 3.1 kHz, over other noise
        y = np.stack([y, np.roll(y, 3) + noise(y.size, seed=7)])
    starts = window_starts(y.shape[-1], window_samples=config.window_samples, hop_samples=SR * 2)
    assert starts[-1] % HOP != 0  # the tail window is off the hop grid: rendered alone
    mixed = np.append(starts, [HOP * 7, 0])  # hop multiples, off-grid, unsorted, repeated
    frames_computed = []
    compute_frames = spectrum._frame_features

    def recording_frame_features(segment, config, *, n_frames):
        frames_computed.append(n_frames)
        return compute_frames(segment, config, n_frames=n_frames)

    monkeypatch.setattr(spectrum, "_frame_features", recording_frame_features)
    images = render_windows(y, config=config, starts=mixed)
    if kind != "cqt":  # the shared path really ran: frames of several windows at once
        assert max(frames_computed) > config.n_frames
    assert images.shape == (mixed.size, *render_spectrogram(y[..., :64000], config=config).shape)
    for image, start in zip(images, mixed, strict=True):
        one = render_spectrogram(y[..., start : start + config.window_samples], config=config)
        assert image.tobytes() == one.tobytes()


@pytest.mark.parametrize("kind", ["mel", "linear"])
def test_frame_levels_are_the_frames_windows_are_rendered_from(kind, monkeypatch):
    monkeypatch.setattr(spectrum, "_SHARED_BATCH_FRAMES", 700)  # several batches
    config = CONFIG.replace(kind=kind)
    y = _long_recording(13.3)
    levels = spectrum.frame_levels(y, config=config)
    assert levels.shape == (1 + (y.size - N_FFT) // HOP, row_frequencies(config).size)
    # Relative to a window's loudest value and clipped, they are its spectrogram (dB).
    window = levels[64 : 64 + config.n_frames]
    expected = np.maximum(window - window.max(), -TOP_DB).T
    np.testing.assert_allclose(
        expected, compute_spectrogram(y[64 * HOP : 64 * HOP + 64000], config=config), atol=1e-4
    )
    # render_windows hands on the same frames, batch by batch, counted from the start of y.
    handed = {}

    def keep(first, features):
        for k, frame in enumerate(features):
            handed.setdefault(first + k, frame.copy())

    starts = window_starts(y.size, window_samples=config.window_samples, hop_samples=SR * 2)
    assert starts[-1] % HOP  # the last window, ending at the end of y, is off the frame grid
    render_windows(y, config=config, starts=starts, on_frames=keep)
    # ... up to the last whole frame of y, the last window's too (computed on their own,
    # its frames may differ from the whole recording's in the last bits of float32).
    assert sorted(handed) == list(range(len(levels)))
    for index, frame in handed.items():
        np.testing.assert_allclose(frame, levels[index], rtol=0, atol=1e-4)


def test_frame_levels_of_channels_are_the_db_of_their_mean_power():
    y = antiphase_stereo()
    mel = librosa.feature.melspectrogram(
        S=_librosa_power(y), sr=SR, n_mels=CONFIG.n_mels, fmin=CONFIG.fmin, fmax=CONFIG.fmax
    )
    reference = librosa.power_to_db(mel, ref=1.0, amin=spectrum.AMIN, top_db=None).T
    np.testing.assert_allclose(spectrum.frame_levels(y, config=CONFIG), reference, atol=0.01)


def test_frame_levels_of_short_audio_and_other_kinds():
    assert spectrum.frame_levels(np.zeros(N_FFT - 1, np.float32), config=CONFIG).shape == (0, 128)
    with pytest.raises(ParameterError, match="mel or linear"):
        spectrum.frame_levels(noise(SR), config=CONFIG.replace(kind="cqt"))


def test_render_windows_rejects_bad_starts():
    y = noise(CONFIG.window_samples * 2)
    with pytest.raises(ParameterError, match="outside the recording"):
        render_windows(y, config=CONFIG, starts=[CONFIG.window_samples + 1])
    with pytest.raises(ParameterError, match="outside the recording"):
        render_windows(y, config=CONFIG, starts=[-HOP])
    with pytest.raises(ParameterError, match="integers"):
        render_windows(y, config=CONFIG, starts=[0.5])
    assert render_windows(y, config=CONFIG, starts=[]).shape == (0, CONFIG.height, CONFIG.width)


def test_png_round_trip_and_bad_bytes():
    image = render_spectrogram(chirp(), config=CONFIG.replace(cmap="magma"))
    np.testing.assert_array_equal(decode_png(encode_png(image)), image)
    with pytest.raises(ParameterError, match="PNG"):
        decode_png(b"not a png at all")
    with pytest.raises(ParameterError, match="uint8"):
        encode_png(image.astype(np.float32))


def test_image_to_tensor_is_pixels_over_255():
    gray = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    np.testing.assert_array_equal(
        image_to_tensor(gray), np.array([[[[0, 1], [0.2, 0.4]]]], dtype=np.float32)
    )
    colour = np.zeros((2, 4, 5, 3), dtype=np.uint8)
    colour[..., 2] = 255
    tensor = image_to_tensor(colour)
    assert tensor.shape == (2, 3, 4, 5) and tensor.dtype == np.float32
    assert np.all(tensor[:, 2] == 1) and np.all(tensor[:, :2] == 0)
    with pytest.raises(ParameterError, match="shape"):
        image_to_tensor(np.zeros((4, 5), dtype=np.uint8))


def test_image_to_pixels_is_the_tensor_layout_in_uint8():
    rng = np.random.default_rng(0)
    for images in (
        rng.integers(0, 256, size=(3, 4, 5), dtype=np.uint8),
        rng.integers(0, 256, size=(3, 4, 5, 3), dtype=np.uint8),
    ):
        pixels = image_to_pixels(images)
        assert pixels.dtype == np.uint8 and np.shares_memory(pixels, images)
        np.testing.assert_array_equal(pixels / np.float32(255), image_to_tensor(images))
    with pytest.raises(ParameterError, match="uint8"):
        image_to_pixels(np.zeros((1, 4, 5), dtype=np.float32))


def test_image_row_frequencies_put_the_highest_at_the_top():
    rows_hz = row_frequencies(CONFIG)
    image_hz = image_row_frequencies(CONFIG)
    assert len(image_hz) == CONFIG.height and np.all(np.diff(image_hz) < 0)
    assert image_hz[0] == pytest.approx(rows_hz[-1]) and image_hz[-1] == pytest.approx(rows_hz[0])
    half = image_row_frequencies(CONFIG.replace(height=CONFIG.height // 2))
    assert len(half) == CONFIG.height // 2 and half[0] == pytest.approx(rows_hz[-1])


def test_row_frequencies_follow_the_config():
    assert np.all(np.diff(row_frequencies(CONFIG)) > 0)
    cqt = row_frequencies(CONFIG.replace(kind="cqt"))
    assert cqt[0] == CONFIG.fmin and cqt[-1] <= CONFIG.fmax
    np.testing.assert_allclose(cqt[1:] / cqt[:-1], 2 ** (1 / CONFIG.bins_per_octave))
    with pytest.raises(ParameterError, match="not frequencies"):
        row_frequencies(CONFIG.replace(kind="chroma"))


@pytest.mark.parametrize("kind", ["mel", "linear", "mfcc", "chroma"])
def test_a_window_of_samples_that_would_overflow_the_power_is_refused(kind):
    # a window scaled by 1e19 had rendered NaN spectrograms and images off by 255 levels
    config = SpectrogramConfig(kind=kind)
    y = np.zeros(config.window_samples, np.float32)
    y[100] = 1e19
    with pytest.raises(AudioError, match="beyond what float audio holds"):
        render_spectrogram(y, config=config)
    with pytest.raises(AudioError, match="beyond what float audio holds"):
        compute_spectrogram(y, config=config)


def test_a_config_given_as_a_dict_says_how_to_make_one():
    # a config read from JSON, passed as it is: an AttributeError before
    y = np.zeros(CONFIG.window_samples, np.float32)
    for render in (render_spectrogram, compute_spectrogram, spectrum.frame_levels):
        with pytest.raises(
            ParameterError, match=r"SpectrogramConfig\.from_dict of a dict\), got dict"
        ):
            render(y, config=CONFIG.to_dict())
