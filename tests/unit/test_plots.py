"""Pictures: the contact sheet of spectrogram examples (timelines: test_detect_cli.py)."""

import numpy as np
from PIL import Image

from sounddetect.plots import write_contact_sheet


def test_contact_sheet_has_a_row_per_label_and_a_column_per_type(tmp_path):
    # GIVEN black alarm images and mid-grey no-alarm images of a gray and a colour type
    images = {
        label: {
            "mel": np.full((128, 128), level, dtype=np.uint8),
            "cqt": np.full((128, 128, 3), level, dtype=np.uint8),
        }
        for label, level in (("alarm", 0), ("no_alarm", 128))
    }
    # WHEN they are drawn into a folder that does not exist yet
    path = tmp_path / "img" / "types.png"
    write_contact_sheet(images, path, kinds=("mel", "cqt"))
    # THEN the sheet has two 190 x 210 pixel cells a row, the alarm images above
    with Image.open(path) as sheet:
        assert sheet.format == "PNG" and sheet.size == (2 * 190, 2 * 210)
        pixels = np.asarray(sheet.convert("L")).astype(int)
    top, bottom = pixels[:210], pixels[210:]
    assert np.mean(top < 10) > 0.5 and np.mean(bottom < 10) < 0.05
    assert np.mean(abs(bottom - 128) < 3) > 0.5 and np.mean(abs(top - 128) < 3) < 0.05
