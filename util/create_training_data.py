#!/usr/bin/env python3
"""Create training data: the seed's entry point, now a thin wrapper of ``sounddetect generate``.

Environment variables (flags of ``sounddetect generate`` win over them; relative defaults are
resolved against the repository root, so the script works from any directory; a folder variable
set but empty is an error, not its default):

    ALARM_AUDIO_SOURCE       folder of alarm recordings       (default: audio/alarms)
    BACKGROUND_AUDIO_SOURCE  folder of background recordings  (default: audio/background)
    TARGET_PATH              output folder                    (default: training-data)
    SAMPLE_DURATION          window length in seconds         (default: 4.0)
    MAX_BACKGROUND_LAYERS    samples have 1..N backgrounds    (default: 3)

Usage: python util/create_training_data.py [sounddetect generate flags, e.g. --types all]
"""

import os
import sys
from pathlib import Path

from sounddetect.cli import main

REPO_ROOT = Path(__file__).resolve().parents[1]

DEFAULTS = {
    "ALARM_AUDIO_SOURCE": REPO_ROOT / "audio" / "alarms",
    "BACKGROUND_AUDIO_SOURCE": REPO_ROOT / "audio" / "background",
    "TARGET_PATH": REPO_ROOT / "training-data",
}


if __name__ == "__main__":
    for variable, default in DEFAULTS.items():
        # Only when unset: one set but empty (an unset "$DIR" in a script) is refused by
        # `sounddetect generate`, not read as the repository's folder.
        if variable not in os.environ:
            os.environ[variable] = str(default)
    sys.exit(main(["generate", *sys.argv[1:]]))
