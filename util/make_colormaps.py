"""Regenerate ``src/sounddetect/_colormaps.py`` from matplotlib's colour maps.

The renderer runs inside the Lambda, where matplotlib is not installed, so the 256-entry
lookup tables are stored as data. Run once after a matplotlib upgrade and review the diff::

    .venv/bin/python util/make_colormaps.py

``tests/unit/test_spectrum.py`` checks that the stored tables equal matplotlib's.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib
import numpy as np

#: The colour maps stored (``gray`` needs no table: it is the identity).
NAMES = ("magma", "viridis")
TARGET = Path(__file__).resolve().parents[1] / "src" / "sounddetect" / "_colormaps.py"

HEADER = '''"""Colour lookup tables for spectrogram images (generated: do not edit).

Made by ``util/make_colormaps.py`` from matplotlib {version}: for each map, the RGB bytes that
``matplotlib.colormaps[name](np.arange(256), bytes=True)`` gives, as hex (768 bytes each).
Stored as data because matplotlib is not part of the Lambda artifact.
"""

COLORMAP_HEX = {{
'''


def colormap_bytes(name: str) -> bytes:
    """The 256 x RGB uint8 table of a matplotlib colour map, row-major."""
    rgba = matplotlib.colormaps[name](np.arange(256), bytes=True)
    return np.ascontiguousarray(rgba[:, :3], dtype=np.uint8).tobytes()


def main() -> None:
    lines = [HEADER.format(version=matplotlib.__version__)]
    for name in NAMES:
        chunks = textwrap.wrap(colormap_bytes(name).hex(), 88)
        lines.append(f'    "{name}": (\n')
        lines.extend(f'        "{chunk}"\n' for chunk in chunks)
        lines.append("    ),\n")
    lines.append("}\n")
    TARGET.write_text("".join(lines))
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
