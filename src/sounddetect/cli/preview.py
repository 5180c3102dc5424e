"""``sounddetect preview``: example images of every spectrogram type.

Mixes one alarm sample and one no-alarm sample from the corpus (one background layer each),
renders both as every type, writes the PNGs exactly as the generator would, and draws a
contact sheet (rows: alarm, no alarm; columns: types) for the README.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sounddetect.cli import HelpFormatter, require_modules
from sounddetect.cli.argtypes import finite_float, nonempty_path
from sounddetect.cli.generate import add_source_arguments, from_environment, parse_types
from sounddetect.exceptions import ParameterError
from sounddetect.spectrum import encode_png, render_spectrogram


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "preview",
        help="write example images of every spectrogram type",
        description=__doc__,
        formatter_class=HelpFormatter,
    )
    add_source_arguments(parser)
    parser.add_argument(
        "--out", type=nonempty_path, default=Path("img/preview"), help="folder for the example PNGs"
    )
    parser.add_argument(
        "--sheet",
        type=nonempty_path,
        default=Path("img/spectrogram-types.png"),
        help="contact sheet of all examples",
    )
    parser.add_argument("--types", nargs="+", default=["all"], metavar="TYPE", help="types")
    parser.add_argument(
        "--snr-db", type=finite_float, default=10.0, help="alarm-to-background ratio of the example"
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace example PNGs and a sheet that exist"
    )
    parser.set_defaults(run=run)
    return parser


def check_outputs(out: Path, sheet: Path, kinds: Sequence[str], *, overwrite: bool) -> None:
    """Refuse, before any work, outputs that cannot be written or would replace files
    without ``overwrite``."""
    from sounddetect.dataset import check_creatable
    from sounddetect.events import LABELS

    if sheet.suffix.lower() != ".png":
        raise ParameterError(f"--sheet {sheet}: the contact sheet is a PNG; name it *.png")
    if out.exists() and not out.is_dir():
        raise ParameterError(f"--out {out}: exists and is not a folder")
    check_creatable(out, what="--out")
    check_creatable(sheet, what="--sheet")
    examples = [out / f"{kind}_{label}.png" for kind in kinds for label in LABELS]
    if sheet.resolve() in {path.resolve() for path in examples}:
        raise ParameterError(
            f"--sheet {sheet}: the name of one of the example images; name the sheet otherwise"
        )
    existing = [path for path in [*examples, sheet] if path.exists()]
    if existing and not overwrite:
        raise ParameterError(
            f"{existing[0]} exists ({len(existing)} of the outputs do); pass --overwrite to "
            "replace them"
        )


def run(args: argparse.Namespace) -> int:
    require_modules("sounddetect preview", ["matplotlib"], extra="generate")
    # The generator's modules and matplotlib: imported here, so other subcommands start
    # without them.
    from sounddetect.dataset import SNR_DB_LIMITS, load_sources, spectrogram_configs
    from sounddetect.mixing import draw_sample_specs, mix_sample
    from sounddetect.plots import write_contact_sheet

    kinds = parse_types(args.types)
    check_outputs(args.out, args.sheet, kinds, overwrite=args.overwrite)
    low_db, high_db = SNR_DB_LIMITS
    if not low_db <= args.snr_db <= high_db:
        raise ParameterError(
            f"--snr-db {args.snr_db}: need a number from {low_db:g} to {high_db:g} dB"
        )
    duration = from_environment(args, "sample_duration")
    # Checked before the sources are read: a rate too low for the images, a window too short
    # for one FFT frame, or too long.
    configs = spectrogram_configs(kinds, sr=args.sr, duration=duration)
    sources = load_sources(
        from_environment(args, "alarm_source"),
        from_environment(args, "background_source"),
        sr=args.sr,
        sample_duration=duration,
    )
    specs = draw_sample_specs(
        sources.clips["alarm"],
        sources.clips["background"],
        seed=args.seed,
        sr=args.sr,
        duration_s=duration,
        samples_per_layer=2,
        max_background_layers=1,
        snr_db=("const", args.snr_db),
        background_gain_db=("const", 0.0),
        level_db=("const", -20.0),
        partial_alarm_probability=0.0,
        id_prefix="preview",
    )
    args.out.mkdir(parents=True, exist_ok=True)
    images: dict[str, dict[str, np.ndarray]] = {}
    for spec in specs:
        y = mix_sample(spec, sources=sources.audio, sr=args.sr)
        images[spec.label] = {}
        for kind, config in configs.items():
            image = render_spectrogram(y, config=config)
            images[spec.label][kind] = image
            (args.out / f"{kind}_{spec.label}.png").write_bytes(encode_png(image))
        sounds = ", ".join(filter(None, [spec.alarm_file, *spec.background_files]))
        print(f"{spec.label}: {sounds}", file=sys.stdout)
    write_contact_sheet(images, args.sheet, kinds=kinds)
    print(f"wrote {2 * len(kinds)} images to {args.out} and {args.sheet}", file=sys.stdout)
    return 0
