"""visible_files: the files under a folder as users lay them out, and what could not be read;
move_folder and replace_folder: a folder put in place without taking anything's;
write_aside: a file replaced whole or not at all."""

import errno
import json
import os

import pytest
from helpers.permissions import run_as_a_user, run_with_a_read_only_folder

from sounddetect.folders import move_folder, replace_folder, visible_files, write_aside


def test_hidden_entries_are_left_out_linked_folders_followed_once_and_gone_links_kept(tmp_path):
    # GIVEN a folder with a hidden file and folder, a share linked in twice, a link back up
    # the tree, a link whose file is gone, and a named pipe
    root, share = tmp_path / "rec", tmp_path / "share"
    for path in [root / "a.wav", root / ".b.wav", root / ".hidden" / "c.wav", share / "d.wav"]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    (root / "share").symlink_to(share)
    (root / "share2").symlink_to(share)
    (root / "sub").mkdir()
    (root / "sub" / "up").symlink_to(root)
    (root / "sub" / "gone.wav").symlink_to(tmp_path / "nowhere.wav")
    os.mkfifo(root / "pipe")
    # WHEN it is searched
    files, unreadable = visible_files(root)
    # THEN the share's file comes once, by the first link in name order, the gone link and
    # the pipe are kept (for the caller to refuse by name, not to open: it would wait)
    assert files == [
        root / "a.wav",
        root / "pipe",
        root / "share" / "d.wav",
        root / "sub" / "gone.wav",
    ]
    assert unreadable == []


def test_a_folder_a_thousand_levels_deep_is_searched(tmp_path):
    # os.walk's recursion ended this with a RecursionError
    deep = tmp_path
    for _ in range(1000):
        deep = deep / "d"
        deep.mkdir()
    (deep / "x.wav").touch()
    try:
        assert visible_files(tmp_path) == ([deep / "x.wav"], [])
    finally:
        # pytest removes old temporary folders with shutil.rmtree, which recurses too
        (deep / "x.wav").unlink()
        while deep != tmp_path:
            deep.rmdir()
            deep = deep.parent


def test_folders_that_cannot_be_read_or_searched_are_reported_and_the_rest_listed(tmp_path):
    # GIVEN a folder that can be listed but not searched (drw-r--r--, `chmod -R 644`), one
    # that cannot be listed, and a link into a folder that cannot be searched
    root, secret = tmp_path / "rec", tmp_path / "secret"
    for path in [root / "day1" / "a.wav", root / "day2" / "b.wav", secret / "s.wav"]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    (root / "day3").mkdir()
    (root / "day2" / "link.wav").symlink_to(secret / "s.wav")
    modes = {root / "day1": 0o644, root / "day3": 0o311, secret: 0o600}
    try:
        for folder, mode in modes.items():
            folder.chmod(mode)
        # WHEN a user searches it
        out = run_as_a_user(
            "import json, sys; from sounddetect.folders import visible_files;"
            "files, unreadable = visible_files(sys.argv[1]);"
            "print(json.dumps([[str(f) for f in files], [[str(p), r] for p, r in unreadable]]))",
            str(root),
        )
    finally:
        for folder in modes:
            folder.chmod(0o755)
    # THEN each is reported with the reason, and the readable file is listed
    assert json.loads(out) == [
        [str(root / "day2" / "b.wav")],
        [
            [str(root / "day1"), "Permission denied"],
            [str(root / "day2" / "link.wav"), "Permission denied"],
            [str(root / "day3"), "Permission denied"],
        ],
    ]


@pytest.mark.parametrize("there", ["folder", "empty_folder", "file", "dangling_link"])
def test_move_folder_never_takes_the_place_of_anything(tmp_path, there):
    # GIVEN a folder to move, and something at the name it is to take
    source, target = tmp_path / "new", tmp_path / "target"
    source.mkdir()
    (source / "model.json").write_text("new")
    if there == "folder":
        target.mkdir()
        (target / "notes.txt").write_text("mine")
    elif there == "empty_folder":  # os.rename alone would replace it without a word
        target.mkdir()
    elif there == "file":
        target.write_text("mine")
    else:
        target.symlink_to("gone")
    before = os.readlink(target) if target.is_symlink() else sorted(os.listdir(tmp_path))
    # WHEN moved THEN FileExistsError, and both are as they were
    with pytest.raises(FileExistsError):
        move_folder(source, target)
    assert (source / "model.json").read_text() == "new"
    after = os.readlink(target) if target.is_symlink() else sorted(os.listdir(tmp_path))
    assert after == before


def test_replace_folder_puts_the_old_folder_back_when_stopped(tmp_path, monkeypatch):
    # GIVEN an old folder and a new one, and the new one's move in stopped (Ctrl-C)
    old, new = tmp_path / "model", tmp_path / ".model-new"
    for folder, text in ((old, "old"), (new, "new")):
        folder.mkdir()
        (folder / "model.json").write_text(text)
    rename = os.rename

    def interrupted(source, target):
        if os.path.basename(source) == ".model-new":
            raise KeyboardInterrupt
        rename(source, target)

    monkeypatch.setattr(os, "rename", interrupted)
    with pytest.raises(KeyboardInterrupt):
        replace_folder(new, old)
    monkeypatch.undo()
    # THEN the old folder is back in place, the new one where it was, nothing else left
    assert (old / "model.json").read_text() == "old"
    assert (new / "model.json").read_text() == "new"
    assert sorted(os.listdir(tmp_path)) == [".model-new", "model"]
    # AND unstopped, the new one takes the old one's place, and the old one is gone
    replace_folder(new, old)
    assert (old / "model.json").read_text() == "new"
    assert os.listdir(tmp_path) == ["model"]


def test_a_write_the_file_system_refuses_leaves_the_file_as_it_was(tmp_path):
    # GIVEN a file of ours, and a process that may write no file over 1 KiB (the size
    # limit a full disk or a quota imposes, without filling this machine's disk)
    path = tmp_path / "dataset.json"
    path.write_text('{"complete": true}\n')
    code = (
        "import resource, signal, sys\n"
        "from sounddetect.folders import write_aside\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))\n"
        "try:\n"
        "    write_aside(sys.argv[1], b'x' * 4096)\n"
        "except OSError as exc:\n"
        "    print(exc.filename, exc.strerror, sep='|')\n"
    )
    printed = run_as_a_user(code, str(path))
    # THEN the error names the file, not the hidden name written first, and the file,
    # truncated by a write in place, is whole; nothing is left beside it
    assert printed.strip() == f"{path}|File too large"
    assert path.read_text() == '{"complete": true}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset.json"]


def test_a_file_written_aside_keeps_its_permissions_and_its_link(tmp_path):
    # GIVEN a dataset.json only its owner may read, reached through a symbolic link
    real = tmp_path / "store" / "dataset.json"
    real.parent.mkdir()
    real.write_text("old\n")
    real.chmod(0o600)
    link = tmp_path / "dataset.json"
    link.symlink_to(real)
    # WHEN it is written through the link
    write_aside(link, b"new\n")
    # THEN the link stays a link, its target holds the new content with the old permissions,
    # and nothing is left beside either
    assert link.is_symlink() and real.read_text() == "new\n"
    assert real.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["dataset.json", "dataset.json", "store"]


def test_a_write_on_a_read_only_file_system_names_the_file(tmp_path):
    # GIVEN a folder mounted read-only
    folder = tmp_path / "mounted"
    folder.mkdir()
    (folder / "dataset.json").write_text("old\n")
    code = (
        "import sys\n"
        "from sounddetect.folders import write_aside\n"
        "try:\n"
        "    write_aside(sys.argv[1], b'new')\n"
        "except OSError as exc:\n"
        "    print(exc.errno, exc.filename)\n"
    )
    done = run_with_a_read_only_folder(folder, ["-c", code, str(folder / "dataset.json")])
    # THEN the error is EROFS naming dataset.json, not the hidden name written first, and the
    # file is as it was
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(errno.EROFS), str(folder / "dataset.json")]
    assert (folder / "dataset.json").read_text() == "old\n"
