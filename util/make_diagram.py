"""Draw img/architecture.png: the deployed flow from an upload to results and alerts.

    .venv/bin/python util/make_diagram.py [--out img/architecture.png]

The picture follows template.yaml: the S3 notification on uploads/, the function and its
pipeline, the two classifier backends, and where results, logs, alerts and failed events go.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

#: Fill colours by kind of box.
COLOURS = {
    "actor": "#f2f2f2",
    "storage": "#d9ead3",
    "compute": "#fde9c9",
    "model": "#e8dcf1",
    "notify": "#dbe7f6",
    "failure": "#f6d6d6",
}


def box(ax, x, y, w, h, title, body="", *, kind):
    """A rounded box whose lower-left corner is (x, y); returns that corner and its size."""
    ax.add_patch(
        FancyBboxPatch(
            (x, y),
            w,
            h,
            boxstyle="round,pad=0.02,rounding_size=0.12",
            facecolor=COLOURS[kind],
            edgecolor="#444444",
            linewidth=1.2,
        )
    )
    ax.text(x + w / 2, y + h - 0.22, title, ha="center", va="top", fontsize=11, weight="bold")
    if body:
        ax.text(x + w / 2, y + h - 0.55, body, ha="center", va="top", fontsize=8.5, linespacing=1.4)
    return {"x": x, "y": y, "w": w, "h": h}


def arrow(ax, start, end, label="", *, style="-|>", dashed=False, at=None, ha="center"):
    """An arrow from ``start`` to ``end``; ``label`` at ``at`` (default above the middle)."""
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle=style,
            mutation_scale=14,
            linewidth=1.3,
            color="#333333",
            linestyle="--" if dashed else "-",
            shrinkA=2,
            shrinkB=2,
        )
    )
    if label:
        at = at or ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + 0.1)
        ax.text(*at, label, ha=ha, va="bottom", fontsize=8, style="italic", color="#222222")


def draw(out: Path) -> Path:
    """Draw the flow and save it as a PNG at ``out``."""
    fig, ax = plt.subplots(figsize=(15, 7.4))
    ax.set_xlim(0, 15)
    ax.set_ylim(0, 7.4)
    ax.axis("off")

    user = box(
        ax, 0.2, 4.5, 2.2, 1.3, "Recording", "WAV, FLAC, OGG, MP3\naws s3 cp ...", kind="actor"
    )
    uploads = box(
        ax,
        3.1,
        4.3,
        2.6,
        1.7,
        "S3 bucket",
        "uploads/<path>\nencrypted, versioned,\nTLS only, no public access",
        kind="storage",
    )
    function = box(
        ax,
        6.6,
        2.8,
        3.9,
        4.1,
        "Lambda: DetectFunction",
        "python3.12, BuildMethod makefile\n\n"
        "1  download to /tmp (size limit)\n"
        "2  decode, resample (blocks, channels kept)\n"
        "3  windows: SampleDuration, WindowHop\n"
        "4  render a spectrogram image per window\n"
        "    (the generator's renderer and config)\n"
        "5  classify the windows\n"
        "6  merge alarm windows into events",
        kind="compute",
    )
    rekognition = box(
        ax,
        6.2,
        0.2,
        2.3,
        1.6,
        "Rekognition",
        "Custom Labels model\nDetectCustomLabels\n(Classifier=rekognition)",
        kind="model",
    )
    onnx = box(
        ax,
        8.7,
        0.2,
        2.3,
        1.6,
        "ONNX model",
        "model.onnx + model.json\nin the artifact\n(Classifier=onnx)",
        kind="model",
    )
    results = box(
        ax,
        11.5,
        5.5,
        3.3,
        1.3,
        "S3 results/",
        "results/<path>.json per upload\n(outside uploads/: no re-trigger)",
        kind="storage",
    )
    logs = box(
        ax,
        11.5,
        3.95,
        3.3,
        1.3,
        "CloudWatch",
        "a log line per file, a WARNING\nper alarm event; EMF metrics",
        kind="notify",
    )
    topic = box(
        ax,
        11.5,
        2.4,
        3.3,
        1.3,
        "SNS topic",
        "one message per file with alarms\n-> optional e-mail subscription",
        kind="notify",
    )
    failed = box(
        ax,
        2.9,
        1.9,
        2.8,
        1.5,
        "SQS failed events",
        "after 2 retries: model not\nrunning, throttling, permissions",
        kind="failure",
    )

    def middle(b):
        return b["y"] + b["h"] / 2

    edge = function["x"] + function["w"]
    arrow(ax, (user["x"] + user["w"], middle(user)), (uploads["x"], middle(user)), "put object")
    arrow(
        ax,
        (uploads["x"] + uploads["w"], middle(uploads)),
        (function["x"], middle(uploads)),
        "ObjectCreated\nprefix uploads/",
    )
    for target, label in ((results, "result JSON"), (logs, "log lines"), (topic, "alarm alert")):
        arrow(ax, (edge, middle(target)), (target["x"], middle(target)), label)
    for target, label in ((rekognition, "PNG per window"), (onnx, "image tensors")):
        x = target["x"] + target["w"] / 2 + 0.2
        arrow(
            ax,
            (x, function["y"]),
            (x, target["y"] + target["h"]),
            label,
            style="<|-|>",
            at=(x + 0.1, 2.2),
            ha="left",
        )
    arrow(
        ax,
        (function["x"], 3.3),
        (failed["x"] + failed["w"], middle(failed)),
        "on failure",
        dashed=True,
        at=(6.1, 3.25),
    )

    ax.text(
        7.5,
        7.35,
        "sounddetect on AWS: smoke alarms in uploaded recordings",
        ha="center",
        va="top",
        fontsize=14,
        weight="bold",
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parents[1] / "img" / "architecture.png"
    )
    args = parser.parse_args(argv)
    print(draw(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
