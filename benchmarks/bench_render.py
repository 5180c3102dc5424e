"""Rendering speed on one core: sounddetect's renderer against librosa + matplotlib.

    .venv/bin/python benchmarks/bench_render.py --n 50 --types mel,linear,cqt

Both sides render the same mixed 4 s samples (seeded noise, 520 Hz and 3.1 kHz alarm
beeps, a sweep; or cuts of ``audio/`` WAV files when ``--audio`` names a corpus folder).

- sounddetect: ``encode_png(render_spectrogram(y, config))``, the default config's
  128x128 image, PNG bytes included.
- librosa + matplotlib: how the original sample and most tutorials make a spectrogram
  image: the librosa feature, ``librosa.display.specshow`` on a 19.2 x 9.6 inch figure,
  ``savefig`` at 100 dpi (a 1920x960 PNG); reassigned uses ``scatter`` as librosa's docs do.

Every thread pool is limited to one thread (set before numpy is imported) and the process
is pinned to one CPU. Times are CPU time of this process (``time.process_time``), so other
load on a shared machine inflates them less than wall time would; the load average is
printed with the results. Prints images per second per type and the ratio as a Markdown
table, and the speed of ``render_windows`` on a long recording (the detection path).
Targets for mel: >= 150 images/s and >= 20x librosa + matplotlib.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import io  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from sounddetect.spectrum import (  # noqa: E402
    SPECTROGRAM_TYPES,
    SpectrogramConfig,
    encode_png,
    render_spectrogram,
    render_windows,
)
from sounddetect.windows import window_starts  # noqa: E402

TARGET_IMAGES_PER_S = 150.0
TARGET_RATIO = 20.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=50, help="samples rendered by sounddetect")
    parser.add_argument(
        "--n-matplotlib", type=int, default=20, help="samples rendered by librosa + matplotlib"
    )
    parser.add_argument(
        "--types", default=",".join(SPECTROGRAM_TYPES), help="comma-separated types"
    )
    parser.add_argument("--cmap", default="gray", help="colour map of our images")
    parser.add_argument("--audio", type=Path, help="corpus folder with alarms/ and background/")
    parser.add_argument(
        "--long-seconds",
        type=float,
        default=600.0,
        help="length of the recording for render_windows (0 skips it)",
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    args.types = [kind.strip() for kind in args.types.split(",") if kind.strip()]
    unknown = sorted(set(args.types) - set(SPECTROGRAM_TYPES))
    if unknown:
        parser.error(f"unknown types {unknown}; choose from {', '.join(SPECTROGRAM_TYPES)}")
    return args


# --- samples ----------------------------------------------------------------------------


def synthetic_samples(n: int, *, config: SpectrogramConfig, seed: int) -> list[np.ndarray]:
    """Seeded noise plus, at random, a 520 Hz or 3.1 kHz temporal-three alarm and a sweep."""
    rng = np.random.default_rng(seed)
    t = np.arange(config.window_samples) / config.sr
    beeping = (t % 1.0 < 0.5) & (t % 4.0 < 3.0)
    samples = []
    for _ in range(n):
        y = rng.standard_normal(t.size) * 10 ** rng.uniform(-3, -1)
        if rng.random() < 0.5:
            frequency = rng.choice([520.0, 3100.0])
            y += 0.3 * np.sin(2 * np.pi * frequency * (t - rng.uniform(0, 1))) * beeping
        if rng.random() < 0.5:
            start = rng.uniform(300, 2000)
            y += 0.1 * np.sin(2 * np.pi * (start * t + rng.uniform(100, 800) * t**2))
        samples.append(y.astype(np.float32))
    return samples


def corpus_samples(
    folder: Path, n: int, *, config: SpectrogramConfig, seed: int
) -> list[np.ndarray]:
    """4 s cuts of background files, half of them with an alarm file mixed in."""
    from sounddetect.audio import load_audio

    rng = np.random.default_rng(seed)
    alarms = sorted((folder / "alarms").glob("*.wav"))
    backgrounds = sorted((folder / "background").glob("*.wav"))
    if not alarms or not backgrounds:
        raise SystemExit(f"{folder}: need WAV files in alarms/ and background/")
    size = config.window_samples

    def cut(path: Path) -> np.ndarray:
        y, _ = load_audio(path, sr=config.sr)
        y = np.pad(y, (0, max(0, size - y.size)))
        start = rng.integers(0, y.size - size + 1)
        return y[start : start + size]

    samples = []
    for _ in range(n):
        y = cut(backgrounds[rng.integers(len(backgrounds))])
        if rng.random() < 0.5:
            y = y + cut(alarms[rng.integers(len(alarms))])
        samples.append(y.astype(np.float32))
    return samples


# --- the two renderers ------------------------------------------------------------------


def render_ours(y: np.ndarray, config: SpectrogramConfig) -> bytes:
    return encode_png(render_spectrogram(y, config=config))


def render_matplotlib(y: np.ndarray, config: SpectrogramConfig) -> bytes:
    """The tutorial way: a librosa feature, specshow on a 1920x960 figure, savefig."""
    import librosa
    import librosa.display
    import matplotlib.pyplot as plt

    sr, n_fft, hop = config.sr, config.n_fft, config.hop_length
    stft_args = {"n_fft": n_fft, "hop_length": hop, "center": False}
    show_args = {"sr": sr, "hop_length": hop, "x_axis": "time"}
    fig, ax = plt.subplots(figsize=(19.2, 9.6), dpi=100)
    kind = config.kind
    if kind == "mel":
        S = librosa.feature.melspectrogram(
            y=y, sr=sr, n_mels=config.n_mels, fmin=config.fmin, fmax=config.fmax, **stft_args
        )
        S_db = librosa.power_to_db(S, ref=np.max, top_db=config.top_db)
        librosa.display.specshow(
            S_db, y_axis="mel", fmin=config.fmin, fmax=config.fmax, ax=ax, **show_args
        )
    elif kind in ("linear", "harmonic", "percussive"):
        D = np.abs(librosa.stft(y, **stft_args))
        if kind != "linear":
            harmonic, percussive = librosa.decompose.hpss(D, kernel_size=31)
            D = harmonic if kind == "harmonic" else percussive
        S_db = librosa.amplitude_to_db(D, ref=np.max, top_db=config.top_db)
        librosa.display.specshow(S_db, y_axis="linear", ax=ax, **show_args)
        ax.set_ylim(config.fmin, config.fmax)
    elif kind == "cqt":
        n_bins = int(config.bins_per_octave * np.log2(config.fmax / config.fmin))
        n_bins = min(n_bins, 127)  # librosa refuses filters that pass Nyquist
        C = np.abs(
            librosa.cqt(
                y,
                sr=sr,
                hop_length=hop,
                fmin=config.fmin,
                n_bins=n_bins,
                bins_per_octave=config.bins_per_octave,
            )
        )
        S_db = librosa.amplitude_to_db(C, ref=np.max, top_db=config.top_db)
        librosa.display.specshow(
            S_db,
            y_axis="cqt_hz",
            fmin=config.fmin,
            bins_per_octave=config.bins_per_octave,
            ax=ax,
            **show_args,
        )
    elif kind == "reassigned":
        freqs, times, mags = librosa.reassigned_spectrogram(y=y, sr=sr, **stft_args)
        mags_db = librosa.amplitude_to_db(mags, ref=np.max, top_db=config.top_db)
        ax.scatter(times, freqs, c=mags_db, cmap="magma", alpha=0.1, s=5)
        ax.set_ylim(config.fmin, config.fmax)
    elif kind == "chroma":
        S = np.abs(librosa.stft(y, **stft_args)) ** 2
        chroma = librosa.feature.chroma_stft(S=S, sr=sr, n_chroma=config.n_chroma)
        librosa.display.specshow(chroma, y_axis="chroma", ax=ax, **show_args)
    else:  # mfcc
        mfcc = librosa.feature.mfcc(
            y=y, sr=sr, n_mfcc=config.n_mfcc, n_mels=config.n_mels, **stft_args
        )
        librosa.display.specshow(mfcc, ax=ax, **show_args)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def images_per_second(
    render: Callable[[np.ndarray, SpectrogramConfig], bytes],
    samples: list[np.ndarray],
    config: SpectrogramConfig,
) -> float:
    # Warm up: imports, cached filterbanks, first figure, the allocator's first pages.
    for y in samples[: 1 if render is render_matplotlib else 5]:
        first = render(y, config)
    expected = (1920, 960) if render is render_matplotlib else (config.width, config.height)
    if png_size(first) != expected:
        raise SystemExit(f"{render.__name__} made a {png_size(first)} PNG, not {expected}")
    start = time.process_time()
    for y in samples:
        render(y, config)
    return len(samples) / (time.process_time() - start)


def render_windows_speed(seconds: float, config: SpectrogramConfig, *, seed: int) -> str:
    """Windows per second and x real time of render_windows (4 s windows, 2 s hop)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * config.sr)
    t = np.arange(n) / config.sr
    y = 0.05 * rng.standard_normal(n) + 0.3 * np.sin(2 * np.pi * 3100 * t) * (t % 1 < 0.5)
    y = y.astype(np.float32)
    starts = window_starts(n, window_samples=config.window_samples, hop_samples=config.sr * 2)
    render_windows(y[: config.window_samples * 2], config=config, starts=[0])  # warm up
    start = time.process_time()
    render_windows(y, config=config, starts=starts)
    elapsed = time.process_time() - start
    return (
        f"render_windows ({config.kind}, {seconds:g} s recording, {starts.size} windows of "
        f"{config.duration:g} s every 2 s): {elapsed:.2f} s, "
        f"{1000 * elapsed / starts.size:.3f} ms CPU per window, {seconds / elapsed:.0f}x real time"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    import matplotlib

    matplotlib.use("Agg")
    # librosa.reassigned_spectrogram warns about its own np.less(where=) call on every image.
    warnings.filterwarnings("ignore", message="'where' used without 'out'")
    base = SpectrogramConfig(cmap=args.cmap)
    n_total = max(args.n, args.n_matplotlib)
    if args.audio:
        samples = corpus_samples(args.audio, n_total, config=base, seed=args.seed)
    else:
        samples = synthetic_samples(n_total, config=base, seed=args.seed)
    print(
        f"{args.n} samples for sounddetect ({base.width}x{base.height} {args.cmap} PNG), "
        f"{args.n_matplotlib} for librosa + matplotlib (1920x960 PNG), one core, "
        f"images per CPU second; load average {os.getloadavg()[0]:.1f}\n"
    )
    print("| type | sounddetect (images/s) | librosa + matplotlib (images/s) | speed-up |")
    print("| --- | ---: | ---: | ---: |")
    # The first second or so of a process runs slower (measured: up to 2x); spend it here.
    images_per_second(render_ours, samples[:20], base.replace(kind=args.types[0]))
    images_per_second(render_matplotlib, samples[:2], base.replace(kind=args.types[0]))
    results = {}
    for kind in args.types:
        config = base.replace(kind=kind)
        ours = images_per_second(render_ours, samples[: args.n], config)
        theirs = images_per_second(render_matplotlib, samples[: args.n_matplotlib], config)
        results[kind] = (ours, theirs)
        print(f"| {kind} | {ours:.1f} | {theirs:.2f} | {ours / theirs:.0f}x |", flush=True)
    if "mel" in results:
        ours, theirs = results["mel"]
        verdict = ours >= TARGET_IMAGES_PER_S and ours / theirs >= TARGET_RATIO
        print(
            f"\nmel target (>= {TARGET_IMAGES_PER_S:.0f} images/s and >= {TARGET_RATIO:.0f}x): "
            f"{'met' if verdict else 'NOT met'}"
        )
    if args.long_seconds > 0:
        print(render_windows_speed(args.long_seconds, base.replace(kind="mel"), seed=args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
