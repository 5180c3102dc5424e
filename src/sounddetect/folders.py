"""Folders of recordings as users lay them out: shares linked in, hidden files, links gone.

    visible_files -- every file under a folder, linked folders followed once, and the
                     folders that could not be read
    is_broken_link -- a link whose file or folder is gone

``detect`` scans a folder of recordings with it and the generator its source folders, so
both see the same files.
"""

from __future__ import annotations

import os
from pathlib import Path


def visible_files(folder: str | os.PathLike) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The files under ``folder`` and the folders that could not be read.

    Hidden entries (``.name``) are left out. Linked folders are followed (a share linked
    into the folder), each real folder once, so a link back up the tree ends there. A link
    whose file or folder is gone is listed among the files, for the caller to report
    rather than pass over.

    Parameters
    ----------
    folder : path-like

    Returns
    -------
    files : list of Path
        Sorted; regular files and links to them, and broken links.
    unreadable : list of (Path, str)
        Each folder that could not be listed, with the reason (``Permission denied``).
    """
    files: list[Path] = []
    unreadable: list[tuple[Path, str]] = []
    seen: set[str] = set()

    def refused(error: OSError) -> None:
        unreadable.append((Path(error.filename or folder), str(error.strerror or error)))

    for root, dirs, names in os.walk(folder, onerror=refused, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:  # a link back up the tree, or a second link to one folder
            dirs.clear()
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            path = Path(root) / name
            if not name.startswith(".") and (path.is_file() or is_broken_link(path)):
                files.append(path)
    return sorted(files), unreadable


def is_broken_link(path: Path) -> bool:
    """A symbolic link whose target does not exist."""
    return path.is_symlink() and not path.exists()
