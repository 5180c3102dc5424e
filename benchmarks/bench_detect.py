"""Detection speed and memory on one core: a one-hour recording, and a folder of short files.

    .venv/bin/python benchmarks/bench_detect.py [--model models/default] [--files 200] [--m4a]
        [--stereo]

Audio is generated (seeded) under ``--work`` (default ``/tmp/sounddetect-bench``, never the
repository) and reused on later runs. The model is ``--model`` when it exists, else the
training code's CNN (``sounddetect.train.AlarmNet``) with random weights exported to ONNX
and quantized to int8 as ``sounddetect train`` ships it, so the classify time is that of
the real architecture.

Each measurement runs in a fresh child process pinned to one CPU with every thread pool
(OpenMP, BLAS, onnxruntime) at one thread; the child reports its own wall and CPU time
(``time.process_time``: on a shared machine the wall time includes waiting for the core),
the CPU time spent rendering (``spectrum.render_windows``), classifying (the classifier's
``classify`` or ``classify_with_sounding``) and looking for beep patterns in the frames
rendering shares with it (``patterns.PatternSearch.add_frames`` and ``.events``) per
window, the rest (decoding, resampling, slicing, events and their bounds) as "decode", and
its peak RSS (``VmHWM``). Targets: >= 1000x real time and
<= 400 MB peak RSS.

``--m4a`` adds the long file encoded as AAC in M4A (by ffmpeg, once), which ``detect``
decodes through an ffmpeg process: its CPU time (``RUSAGE_CHILDREN``) counts as decode, and
it runs on the same core; its memory is its own, not in the peak RSS.

``--stereo`` adds the long file in stereo (written once): each channel has noise of its own,
and the right one hears the alarm 7 samples (half a period of 3.1 kHz) after the left.
``detect`` decodes, resamples and transforms both channels and combines them in power.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ONE_CORE_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
}
TARGET_X_REAL_TIME = 1000.0
TARGET_PEAK_RSS_MB = 400.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=Path("models/default"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/sounddetect-bench"))
    parser.add_argument("--hours", type=float, default=1.0, help="length of the long file")
    parser.add_argument("--sr", type=int, default=44100, help="rate of the generated audio")
    parser.add_argument("--files", type=int, default=200, help="short files in the folder case")
    parser.add_argument("--file-seconds", type=float, default=30.0)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--hop", type=float, help="window hop in s (default: half a window)")
    parser.add_argument(
        "--m4a", action="store_true", help="also the long file as AAC in M4A, through ffmpeg"
    )
    parser.add_argument(
        "--stereo", action="store_true", help="also the long file in stereo (two microphones)"
    )
    parser.add_argument("--child", nargs=2, metavar=("MODEL", "INPUT"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --- audio and model --------------------------------------------------------------------


def write_recording(path: Path, *, seconds: float, sr: int, seed: int, channels: int = 1) -> Path:
    """Noise at a varying level with a 3.1 kHz temporal-three alarm in every 10th minute,
    written block by block (16-bit WAV) so generating an hour needs little memory. With
    two channels each has noise of its own, and the second hears the alarm 7 samples later."""
    import numpy as np
    import soundfile as sf

    if (
        path.exists()
        and sf.info(path).duration == round(seconds * sr) / sr
        and sf.info(path).channels == channels
    ):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    block = 10 * sr
    n_total = int(round(seconds * sr))
    delays = (0, 7)[:channels]

    def alarm(t):
        alarm_on = (t % 600 >= 300) & (t % 600 < 330)  # 30 s of alarm per 10 min
        beeping = ((t % 4.0) < 2.5) & (((t % 4.0) % 1.0) < 0.5)
        return 0.3 * np.sin(2 * np.pi * 3100 * t) * (alarm_on & beeping)

    with sf.SoundFile(path, "w", samplerate=sr, channels=channels, subtype="PCM_16") as out:
        for first in range(0, n_total, block):
            n = min(block, n_total - first)
            level = 0.02 + 0.05 * rng.random()
            y = np.stack(
                [
                    level * rng.standard_normal(n) + alarm((first - delay + np.arange(n)) / sr)
                    for delay in delays
                ],
                axis=1,
            )
            out.write(y.astype(np.float32))
    return path


def encode_m4a(wav: Path, *, bitrate: str = "96k") -> Path:
    """``wav`` as AAC in M4A beside it, encoded by ffmpeg once."""
    path = wav.with_suffix(".m4a")
    if not path.exists():
        command = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-c:a", "aac"]
        subprocess.run([*command, "-b:a", bitrate, str(path.with_suffix(".part.m4a"))], check=True)
        path.with_suffix(".part.m4a").rename(path)
    return path


def write_folder(folder: Path, *, n_files: int, seconds: float, sr: int) -> Path:
    for i in range(n_files):
        write_recording(folder / f"clip_{i:04d}.wav", seconds=seconds, sr=sr, seed=1000 + i)
    return folder


def benchmark_model(model: Path, work: Path) -> tuple[Path, str]:
    """``model`` when it exists, else AlarmNet (random weights) exported with the default config
    and quantized as ``sounddetect train`` quantizes (calibrated on noise: the int8 model's
    cost does not depend on its weights or ranges)."""
    if (model / "model.onnx").is_file() and (model / "model.json").is_file():
        return model, f"{model} (trained)"
    out = work / "alarmnet-random"
    if not (out / "model.json").is_file():
        from bench_train import write_untrained_model  # torch: only without a trained model

        write_untrained_model(out)
    return out, "AlarmNet, random weights (no trained model found)"


# --- the measured child -------------------------------------------------------------------


def child(model: str, input_path: str, *, batch_size: int, hop_s: float | None) -> dict:
    """Detect over a file or every WAV of a folder, one core; print timings as JSON."""
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from sounddetect import patterns, spectrum
    from sounddetect.classifiers import OnnxClassifier
    from sounddetect.detect import detect_file

    classifier = OnnxClassifier.from_dir(model, threads=1)
    spent = {"render": 0.0, "classify": 0.0, "patterns": 0.0, "frames": 0.0}

    def timed(key, function):
        def wrapper(*args, **kwargs):
            start = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[key] += time.process_time() - start

        return wrapper

    spectrum.render_windows = timed("render", spectrum.render_windows)
    # render_windows hands its frames to the search (add_frames) from inside: that time is
    # the search's, not the renderer's (every hop measured here is on the frames' grid).
    patterns.PatternSearch.add_frames = timed("frames", patterns.PatternSearch.add_frames)
    patterns.PatternSearch.events = timed("patterns", patterns.PatternSearch.events)
    # detect_file calls classify_with_sounding (model.json names a sounding output) or
    # classify; neither calls the other.
    for method in ("classify", "classify_with_sounding"):
        setattr(classifier, method, timed("classify", getattr(classifier, method)))

    path = Path(input_path)
    files = sorted(path.glob("*.wav")) if path.is_dir() else [path]
    start, cpu_start, decoders_start = time.perf_counter(), time.process_time(), decoders_cpu()
    results = [detect_file(f, classifier, batch_size=batch_size, hop_s=hop_s) for f in files]
    total = time.perf_counter() - start
    cpu = time.process_time() - cpu_start + decoders_cpu() - decoders_start
    failed = [r["error"] for r in results if r["error"]]
    if failed:
        raise SystemExit(f"detection failed: {failed[:3]}")
    return {
        "files": len(files),
        "audio_s": sum(r["duration_s"] for r in results),
        "windows": sum(len(r["windows"]) for r in results),
        "events": sum(len(r["events"]) for r in results),
        "total_s": total,
        "cpu_s": cpu,
        "render_s": spent["render"] - spent["frames"],
        "classify_s": spent["classify"],
        "patterns_s": spent["patterns"] + spent["frames"],
        "decode_s": cpu - spent["render"] - spent["classify"] - spent["patterns"],
        "peak_rss_mb": peak_rss_mb(),
    }


def decoders_cpu() -> float:
    """CPU seconds of the finished child processes (ffprobe and ffmpeg for an M4A)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM). Not getrusage's ru_maxrss: Linux carries
    that over from the forking parent across exec, so a child would report the parent's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def measure(model: Path, input_path: Path, *, batch_size: int, hop_s: float | None) -> dict:
    env = {**os.environ, **ONE_CORE_ENV}
    command = [
        sys.executable,
        __file__,
        "--child",
        str(model),
        str(input_path),
        "--batch-size",
        str(batch_size),
        *(["--hop", str(hop_s)] if hop_s else []),
    ]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def table(rows: list[tuple[str, dict]]) -> str:
    lines = [
        "| case | files | audio | wall (s) | x real time | CPU (s) | x real time (CPU) | windows "
        "| CPU ms/window: decode | render | classify | patterns | peak RSS (MB) |",
        "| --- |" + " ---: |" * 12,
    ]
    for name, m in rows:
        per_window = {
            k: 1000 * m[f"{k}_s"] / max(m["windows"], 1)
            for k in ("decode", "render", "classify", "patterns")
        }
        lines.append(
            f"| {name} | {m['files']} | {m['audio_s'] / 60:.1f} min | {m['total_s']:.2f} | "
            f"{m['audio_s'] / m['total_s']:.0f}x | {m['cpu_s']:.2f} | "
            f"{m['audio_s'] / m['cpu_s']:.0f}x | {m['windows']} | {per_window['decode']:.3f} | "
            f"{per_window['render']:.3f} | {per_window['classify']:.3f} | "
            f"{per_window['patterns']:.3f} | {m['peak_rss_mb']:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child, batch_size=args.batch_size, hop_s=args.hop)))
        return 0
    model, model_label = benchmark_model(args.model, args.work)
    long_path = args.work / f"long_{args.hours:g}h_{args.sr}.wav"
    print(f"generating audio under {args.work} ...", file=sys.stderr)
    write_recording(long_path, seconds=args.hours * 3600, sr=args.sr, seed=0)
    folder = write_folder(
        args.work / f"folder_{args.files}x{args.file_seconds:g}s_{args.sr}",
        n_files=args.files,
        seconds=args.file_seconds,
        sr=args.sr,
    )
    window_s = json.loads((model / "model.json").read_text())["config"]["duration"]
    hop_s = args.hop or window_s / 2
    cases = [
        (f"one {args.hours:g} h file, {args.sr / 1000:g} kHz, hop {hop_s:g} s", long_path, hop_s),
        (f"same, hop {window_s:g} s (no overlap)", long_path, window_s),
        (f"{args.files} files of {args.file_seconds:g} s, one process", folder, hop_s),
    ]
    if args.stereo:
        stereo = write_recording(
            args.work / f"long_{args.hours:g}h_{args.sr}_stereo.wav",
            seconds=args.hours * 3600,
            sr=args.sr,
            seed=0,
            channels=2,
        )
        cases.append((f"the {args.hours:g} h file in stereo", stereo, hop_s))
    if args.m4a:
        m4a = encode_m4a(long_path)
        cases.append((f"the {args.hours:g} h file as M4A (AAC 96 kbit/s), ffmpeg", m4a, hop_s))
    rows = []
    for name, path, hop in cases:
        print(f"measuring: {name} ...", file=sys.stderr)
        rows.append((name, measure(model, path, batch_size=args.batch_size, hop_s=hop)))
    print(
        f"Model: {model_label}; one core (affinity 1 CPU, all thread pools 1), "
        f"batch {args.batch_size} windows, {window_s:g} s windows; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.\n"
    )
    print(table(rows))
    long = rows[0][1]
    speed, rss = long["audio_s"] / long["total_s"], long["peak_rss_mb"]
    cpu_speed = long["audio_s"] / long["cpu_s"]
    verdict = "meets" if speed >= TARGET_X_REAL_TIME and rss <= TARGET_PEAK_RSS_MB else "misses"
    print(
        f"\nTarget >= {TARGET_X_REAL_TIME:g}x real time and <= {TARGET_PEAK_RSS_MB:g} MB peak "
        f"RSS on the long file: {verdict} it ({speed:.0f}x wall, {cpu_speed:.0f}x CPU, "
        f"{rss:.0f} MB)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
