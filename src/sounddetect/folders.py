"""Folders of recordings as users lay them out: shares linked in, hidden files, links gone.

    visible_files -- every file under a folder, linked folders followed once, and the
                     folders that could not be read
    is_broken_link -- a link whose file or folder is gone

``detect`` scans a folder of recordings with it and the generator its source folders, so
both see the same files.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

#: errno of a path that is not there: a link to one is broken (as for ``Path.exists``).
_GONE = (errno.ENOENT, errno.ENOTDIR, errno.ELOOP)


def visible_files(folder: str | os.PathLike) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The files under ``folder`` and the folders that could not be read.

    Hidden entries (``.name``) are left out. Linked folders are followed (a share linked
    into the folder), each real folder once, so a link back up the tree ends there. A link
    whose file or folder is gone is listed among the files, for the caller to report
    rather than pass over. Folders are visited depth first in name order, as ``os.walk``
    does, but without its recursion, so a folder thousands of levels deep is searched too.

    Parameters
    ----------
    folder : path-like

    Returns
    -------
    files : list of Path
        Sorted; regular files and links to them, and broken links.
    unreadable : list of (Path, str)
        Each folder that could not be listed or searched (``r`` without ``x``), and each
        link whose target could not be reached, with the reason (``Permission denied``).
    """
    files: list[Path] = []
    unreadable: list[tuple[Path, str]] = []
    seen: set[tuple[int, int]] = set()  # (device, inode) of each folder listed
    # A stack rather than os.walk, whose recursion (Python 3.11) ends a folder about 1,000
    # levels deep with a RecursionError; subfolders go on it in reverse to come off in order.
    pending = [Path(folder)]
    while pending:
        root = pending.pop()
        try:
            info = root.stat()
            if (info.st_dev, info.st_ino) in seen:  # a link back up the tree, or a second link
                continue
            seen.add((info.st_dev, info.st_ino))
            names = sorted(name for name in os.listdir(root) if not name.startswith("."))
        except OSError as error:
            unreadable.append((root, _reason(error)))
            continue
        subfolders = []
        for name in names:
            path = root / name
            try:
                mode = path.lstat().st_mode
            except FileNotFoundError:  # removed since the listing
                continue
            except OSError as error:  # root can be listed but not searched (r without x)
                unreadable.append((root, _reason(error)))
                break
            if stat.S_ISLNK(mode):
                try:
                    mode = path.stat().st_mode
                except OSError as error:
                    if error.errno in _GONE:  # a broken link, for the caller to report
                        files.append(path)
                    else:  # the target is in a folder that cannot be searched
                        unreadable.append((path, _reason(error)))
                    continue
            if stat.S_ISDIR(mode):
                subfolders.append(path)
            elif stat.S_ISREG(mode):
                files.append(path)
        pending.extend(reversed(subfolders))
    return sorted(files), unreadable


def is_broken_link(path: Path) -> bool:
    """A symbolic link whose target does not exist."""
    return path.is_symlink() and not path.exists()


def _reason(error: OSError) -> str:
    return str(error.strerror or error)
