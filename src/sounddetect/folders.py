"""Folders of recordings as users lay them out: shares linked in, hidden files, links gone.

    visible_files -- every file under a folder, linked folders followed once, and the
                     folders that could not be read
    is_broken_link -- a link whose file or folder is gone
    move_folder    -- rename a folder to a name nothing holds, never over anything
    replace_folder -- put a finished folder in place of another, one whole folder always
                      there or set aside
    partial_path   -- a hidden name beside a file, to write it aside before moving it in

``detect`` scans a folder of recordings with it and the generator its source folders, so
both see the same files. ``train`` puts its model folder in place with the last two.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import stat
import tempfile
import uuid
from pathlib import Path

logger = logging.getLogger(__name__)

#: errno of a path that is not there: a link to one is broken (as for ``Path.exists``).
_GONE = (errno.ENOENT, errno.ENOTDIR, errno.ELOOP)

#: Files that file managers leave in the folders they show (Finder, Explorer): not a user's.
FOLDER_METADATA = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


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
        Sorted; regular files and links to them, broken links, and other entries that are
        no folders (a named pipe, a socket, a device: not to be opened, which could wait
        for ever, but refused by name).
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
            else:  # a pipe, socket or device too, for the caller to refuse by name
                files.append(path)
        pending.extend(reversed(subfolders))
    return sorted(files), unreadable


#: Write errors of a full disk, an I/O failure, a quota or a file size limit: what the CLI
#: reports as one line, and what a library's write raises without naming its file.
FULL_DISK_ERRNOS = (errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG)


def partial_path(path: str | os.PathLike) -> Path:
    """A hidden name beside ``path`` that no other writer uses, to write a file aside and
    then move it into place (``os.replace``): an interrupted write leaves no truncated
    file, and two processes writing the same file at once do not write into one another's
    half-written file (``.<name>.<pid>-<random>.partial``)."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:12]}.partial")


def write_aside(path: str | os.PathLike, content: bytes) -> None:
    """Write ``content`` to a :func:`partial_path` beside ``path`` and move it into place.

    A write that fails (a full disk, a file size limit) or is interrupted leaves ``path`` as
    it was, never truncated. The file keeps its permissions, and a symbolic link at ``path``
    stays one: its target is replaced. The OSError raised names ``path``, not the hidden
    name.
    """
    path = Path(path)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    partial = partial_path(target)
    try:
        partial.write_bytes(content)
        if target.exists():
            shutil.copymode(target, partial)
        os.replace(partial, target)
    except BaseException as exc:  # Ctrl-C too: no partial file is left
        with contextlib.suppress(OSError):  # on a read-only file system even this fails
            partial.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        raise


def is_broken_link(path: Path) -> bool:
    """A symbolic link whose target does not exist."""
    return path.is_symlink() and not path.exists()


def move_folder(source: Path, target: Path) -> None:
    """Rename the folder ``source`` to ``target``, where nothing may be.

    ``os.rename`` silently replaces an empty folder at ``target`` (and Python has no
    ``RENAME_NOREPLACE``), so ``target`` is claimed first with ``mkdir``, which fails if
    anything at all is there (a folder, a file, a link, a dangling one), and ``source`` is
    renamed over that empty folder of ours. Of two runs moving to the same ``target``, one
    gets it and the other a FileExistsError; neither replaces the other's folder.

    Parameters
    ----------
    source : Path
        A folder on the same file system as ``target``.
    target : Path
        Where it goes; its parent must exist.

    Raises
    ------
    FileExistsError
        If anything is at ``target``, or something was put into it between the claim and
        the rename. ``source`` is then where it was, and ``target`` as the other left it.
    """
    os.mkdir(target)
    try:
        os.rename(source, target)
    except OSError as error:
        _release(target)
        if error.errno in (errno.ENOTEMPTY, errno.EEXIST):
            raise FileExistsError(error.errno, "filled while being claimed", str(target)) from error
        raise
    except BaseException:  # Ctrl-C between the claim and the rename
        _release(target)
        raise


def _release(claimed: Path) -> None:
    # rmdir removes only an empty folder: never one that someone filled in the meantime.
    with contextlib.suppress(OSError):
        os.rmdir(claimed)


def replace_folder(new: Path, target: Path) -> None:
    """Put the finished folder ``new`` at ``target``, replacing the folder there.

    The folder at ``target`` (the caller has checked that it may be replaced) is renamed
    aside to a hidden sibling, ``new`` is moved in (:func:`move_folder`), and only then is
    the aside folder deleted. Whatever stops it (an error, Ctrl-C), one whole folder is at
    ``target`` at every moment but the two renames, and nothing half-written: until ``new``
    is in place, an exception puts the old folder back before it propagates.

    Parameters
    ----------
    new : Path
        A complete folder on the same file system as ``target``.
    target : Path
        A folder, or nothing.

    Raises
    ------
    FileExistsError
        If something appears at ``target`` while the old folder is aside (another run's);
        ``new`` is then where it was, and the old folder back at ``target`` if that is free,
        else in the sibling a log line names.
    """
    aside = None
    if target.exists() or target.is_symlink():
        aside = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
        try:
            os.rename(target, aside)  # over the empty folder mkdtemp made for the name
        except FileNotFoundError:  # gone since the caller looked: nothing to replace
            _release(aside)
            aside = None
        except BaseException:  # Ctrl-C: before the rename, or just after it returned
            if target.exists() or target.is_symlink():
                _release(aside)
            else:
                _restore(aside, target)
            raise
    try:
        move_folder(new, target)
    except BaseException:
        if aside is not None:
            _restore(aside, target)
        raise
    if aside is not None:
        try:
            shutil.rmtree(aside)
        except OSError as error:
            logger.warning(
                "%s: could not delete the folder it replaced, %s: %s", target, aside, error
            )
        except BaseException:  # Ctrl-C: the new folder is in place, the old one partly gone
            logger.warning("%s: the folder it replaced is left in %s", target, aside)
            raise


def _restore(aside: Path, target: Path) -> None:
    """Put the folder set aside back at ``target``, or say where it is kept."""
    try:
        move_folder(aside, target)
    except OSError as error:
        logger.error("%s: the folder it held is kept in %s (%s)", target, aside, _reason(error))


def _reason(error: OSError) -> str:
    return str(error.strerror or error)
