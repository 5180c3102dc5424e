"""Recorded music for the corpus: game soundtracks packaged by Debian, fetched and cut.

    DebianPackage       -- one pinned ``.deb``: where it lies, its checksum, where its music is
    TRAINING_MUSIC      -- the packages whose music the training corpus hears
    HOLDOUT_MUSIC       -- packages never heard in training (``benchmarks/recorded_music.py``)
    fetch_music         -- download, verify and unpack a package's music files (cached)
    read_track          -- a music file as mono float samples at a given rate
    make_music_clips    -- background clips of recorded music, heard in the corpus's rooms

The synthetic corpus's music (additive tones) and General MIDI played by sampled instruments
were all the music training knew, and real recordings of orchestral, folk and pop game
music raised an alarm in a third of 40 s excerpts (README, "Recorded music"): sustained
strings, flutes and brass hold tones in the band of piezo alarms. These packages are free
software in Debian's main archive; their files are downloaded when the corpus is built, never
bundled, and each clip's source (package, version, file, offset) is recorded beside it.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import io
import json
import logging
import os
import tarfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import soundfile as sf
import soxr

from sounddetect import synth
from sounddetect.exceptions import AudioError, ParameterError, SoundDetectError, TransientError

logger = logging.getLogger(__name__)

#: Where ``.deb`` files are fetched from: Debian's own mirror redirector.
DEBIAN_MIRROR = "http://deb.debian.org/debian"
#: The background kind of the clips, the prefix of their file names.
KIND = "recmusic"
#: The manifest written beside the corpus's own ``corpus.json``.
MANIFEST_NAME = "recorded_music.json"
#: Clips cut by default: 24 of 326 training backgrounds. With 41, held-out recorded music
#: raised no alarm at all, but continuous alarms were found in 32 instead of 38 of 40
#: recordings and household false alarms doubled (sustained notes and held chords look like a
#: continuous tone); 24 keep most of the gain (docs/model-trials.md, "Recorded music").
DEFAULT_CLIP_COUNT = 24
#: Clip rate (Hz): the model hears 16 kHz.
CLIP_SR = 16000


@dataclass(frozen=True)
class DebianPackage:
    """One pinned Debian package whose music files the corpus uses.

    Attributes
    ----------
    name, version : str
    pool_path : str
        Path under the mirror's root, as ``apt-cache show`` prints it (``Filename``).
    sha256 : str
        Of the ``.deb``; a download that does not match is refused.
    music_glob : str
        Pattern of the music files among the package's paths (``fnmatch``, no leading ``./``).
    licence : str
        The music's licence, from the package's ``copyright`` file.
    """

    name: str
    version: str
    pool_path: str
    sha256: str
    music_glob: str
    licence: str

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


#: Orchestral and folk (Battle for Wesnoth) and pop, rock and chiptune (SuperTux).
TRAINING_MUSIC = (
    DebianPackage(
        "wesnoth-1.16-music",
        "1:1.16.9-1",
        "pool/main/w/wesnoth-1.16/wesnoth-1.16-music_1.16.9-1_all.deb",
        "f9bc3cde92b4ab30db5d7b85f89b4bcc3d788dd92602956d0347250850bf59bb",
        "usr/share/games/wesnoth/1.16/data/core/music/*.ogg",
        "GPL-2+",
    ),
    DebianPackage(
        "supertux-data",
        "0.6.3-2",
        "pool/main/s/supertux/supertux-data_0.6.3-2_all.deb",
        "a6ad8865972f1dbb5e7b49f4e1b381dd16a68f3028a3502cfeaca2400285d27f",
        "usr/share/games/supertux2/music/*.ogg",
        "GPL-3+ and CC-BY-SA (per track, see the package's copyright file)",
    ),
)

#: Other games and composers, for the benchmark only.
HOLDOUT_MUSIC = (
    DebianPackage(
        "hedgewars-data",
        "1.0.2-6",
        "pool/main/h/hedgewars/hedgewars-data_1.0.2-6_all.deb",
        "722225903a72604403e6e0026e40e9a6953f47a74d94efc5f55504bc05bb4761",
        "usr/share/games/hedgewars/Data/Music/*.ogg",
        "GPL-2 and others (see the package's copyright file)",
    ),
    DebianPackage(
        "freedroidrpg-data",
        "1.0-1",
        "pool/main/f/freedroidrpg/freedroidrpg-data_1.0-1_all.deb",
        "16c3cfeb82b1ec20c98493bbe1de2e356bd1aec832845630a5a7f12e303baa2b",
        "usr/share/freedroidrpg/data/sound/music/*.ogg",
        "GPL-2+",
    ),
    DebianPackage(
        "drascula-music",
        "1.0+ds4-2",
        "pool/main/d/drascula/drascula-music_1.0+ds4-2_all.deb",
        "340e0beb1bacf005cbabebc07ebdd88adf6aee363d437f8a7d73cb0c77a93e79",
        "usr/share/scummvm/drascula/audio/*.ogg",
        "freely redistributable (see the package's copyright file)",
    ),
    DebianPackage(
        "lincity-ng-data",
        "2.9~git20150314-5",
        "pool/main/l/lincity-ng/lincity-ng-data_2.9~git20150314-5_all.deb",
        "8f5e85bd42879abdc7099b035d7a3d7468eceb6b93b52a12270c28f3f3c792f9",
        "usr/share/games/lincity-ng/music/default/*.ogg",
        "GPL-2+",
    ),
    DebianPackage(
        "asc-music",
        "1.3-6",
        "pool/main/a/asc-music/asc-music_1.3-6_all.deb",
        "369f2d396adb8db9003ef73b797d529e284a7764a5ff4b59a50a4c8b9294da5f",
        "usr/share/games/asc/music/*.mp3",
        "GPL-2+",
    ),
)

_STAMP = ".complete"


def fetch_music(
    package: DebianPackage, *, cache_dir, mirror: str = DEBIAN_MIRROR, timeout_s: float = 60.0
) -> list[Path]:
    """The package's music files, downloaded, checked and unpacked once into ``cache_dir``.

    Parameters
    ----------
    package : DebianPackage
    cache_dir : str or Path
        Files go to ``cache_dir/<package name>/<path in the package>``; a later call with
        the same package reads them from there.
    mirror : str
        Base URL of a Debian mirror (``file://`` works too).
    timeout_s : float
        Network timeout in seconds.

    Returns
    -------
    list of Path
        The music files, sorted.

    Raises
    ------
    TransientError
        The download failed (no network, a server error): worth retrying.
    SoundDetectError
        The download does not match the pinned checksum, is not a Debian package, or holds
        no file matching ``music_glob``.
    """
    target = Path(cache_dir) / package.name
    stamp = target / _STAMP
    if stamp.is_file() and stamp.read_text().strip() == package.sha256:
        return _music_files(target)
    url = f"{mirror.rstrip('/')}/{package.pool_path}"
    logger.info("fetching %s %s from %s", package.name, package.version, url)
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            deb = response.read()
    except (urllib.error.URLError, OSError) as exc:
        raise TransientError(f"{url}: download failed: {exc}") from exc
    digest = hashlib.sha256(deb).hexdigest()
    if digest != package.sha256:
        raise SoundDetectError(
            f"{url}: sha256 {digest} does not match the pinned {package.sha256} "
            f"({package.name} {package.version} changed or the download is corrupt)"
        )
    written = 0
    with _open_data_tar(deb, name=url) as tar:
        for member in tar:
            path = member.name.removeprefix("./")
            if not (member.isfile() and fnmatch.fnmatch(path, package.music_glob)):
                continue
            if PurePosixPath(path).is_absolute() or ".." in PurePosixPath(path).parts:
                raise SoundDetectError(f"{url}: unsafe path {member.name!r} in the package")
            out = target / path
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(tar.extractfile(member).read())
            written += 1
    if not written:
        raise SoundDetectError(f"{url}: no file matches {package.music_glob!r}")
    stamp.write_text(package.sha256 + "\n")
    return _music_files(target)


def _music_files(target: Path) -> list[Path]:
    return sorted(p for p in target.rglob("*") if p.is_file() and p.name != _STAMP)


def _open_data_tar(deb: bytes, *, name: str) -> tarfile.TarFile:
    """The ``data.tar.*`` member of a ``.deb`` (an ``ar`` archive), opened for streaming."""
    if not deb.startswith(b"!<arch>\n"):
        raise SoundDetectError(f"{name}: not a Debian package (no ar header)")
    offset = 8
    while offset + 60 <= len(deb):
        header = deb[offset : offset + 60]
        member = header[:16].decode("ascii", "replace").strip().rstrip("/")
        size = int(header[48:58].decode("ascii").strip())
        start = offset + 60
        if member.startswith("data.tar"):
            mode = {"data.tar.xz": "r|xz", "data.tar.gz": "r|gz", "data.tar.bz2": "r|bz2"}
            if member not in mode:
                raise SoundDetectError(f"{name}: unsupported package compression {member}")
            return tarfile.open(fileobj=io.BytesIO(deb[start : start + size]), mode=mode[member])
        offset = start + size + (size % 2)  # ar pads members to even offsets
    raise SoundDetectError(f"{name}: no data.tar member")


def read_track(path, *, sr: int = CLIP_SR) -> np.ndarray:
    """A music file (OGG, MP3, ...) as mono float64 samples at ``sr`` Hz.

    Raises
    ------
    AudioError
        The file cannot be decoded.
    """
    try:
        y, native_sr = sf.read(path, dtype="float64", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise AudioError(f"{path}: cannot decode: {exc}") from exc
    return soxr.resample(y.mean(axis=1), native_sr, sr) if native_sr != sr else y.mean(axis=1)


def make_music_clips(
    corpus_dir,
    *,
    packages: tuple[DebianPackage, ...] = TRAINING_MUSIC,
    count: int = DEFAULT_CLIP_COUNT,
    seed: int = 0,
    cache_dir=None,
    mirror: str = DEBIAN_MIRROR,
    skip_existing: bool = False,
    overwrite: bool = False,
) -> dict:
    """Write ``count`` clips of recorded music into ``corpus_dir/background``.

    Each clip is a 12-22 s stretch of its own track (tracks drawn without replacement from
    the packages' music; the first tenth of a track, often an intro or silence, is never
    used), played in one of the corpus's training rooms and recorded through one of its
    microphones (:func:`sounddetect.synth.record`), as the synthetic backgrounds are. The
    clips are ``background/recmusic_NNNN.wav`` (16 kHz, 16-bit) and
    ``corpus_dir/recorded_music.json`` records each one's package, file, offset, length
    and recording, so the same seed and packages give the same clips.

    Parameters
    ----------
    corpus_dir : str or Path
        The corpus (``sounddetect synth DIR``); the generator reads ``DIR/background``.
    packages : tuple of DebianPackage
    count : int >= 1
        Clips to cut; at most one per track.
    seed : int >= 0
    cache_dir : str or Path or None
        Where packages are unpacked; default ``corpus_dir/.cache``.
    mirror : str
        Debian mirror (see :func:`fetch_music`).
    skip_existing, overwrite : bool
        Without either, an existing manifest is an error. With ``skip_existing`` the clips
        of a manifest with the same recipe are kept and another recipe's are replaced; only
        ``overwrite`` replaces a ``recmusic_*.wav`` that no manifest lists.

    Returns
    -------
    summary : dict
        ``written``, ``skipped``, ``clips`` (the manifest's entries).

    Raises
    ------
    ParameterError
        Bad ``count`` or ``seed``, both or neither of ``skip_existing``/``overwrite`` with
        clips present, a clip file no manifest lists, or fewer usable tracks than ``count``.
    TransientError, SoundDetectError
        From :func:`fetch_music`.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ParameterError(f"count must be an integer >= 1, got {count!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    if skip_existing and overwrite:
        raise ParameterError("choose one of skip_existing and overwrite, not both")
    corpus = Path(corpus_dir)
    manifest_path = corpus / MANIFEST_NAME
    recipe = {
        "seed": seed,
        "count": count,
        "packages": [package.to_dict() for package in packages],
    }
    previous = _read_manifest(manifest_path)
    if previous is not None and not overwrite:
        if not skip_existing:
            raise ParameterError(
                f"{manifest_path} exists already; pass --skip-existing to keep its clips or "
                "--overwrite to replace them"
            )
        if previous.get("recipe") == recipe and all(
            (corpus / clip["path"]).is_file() for clip in previous.get("clips", [])
        ):
            return {"written": 0, "skipped": len(previous["clips"]), "clips": previous["clips"]}
    ours = {clip["path"] for clip in (previous or {}).get("clips", [])}
    strays = [
        path
        for path in sorted((corpus / "background").glob(f"{KIND}_*.wav"))
        if f"background/{path.name}" not in ours
    ]
    if strays and not overwrite:
        raise ParameterError(
            f"{strays[0]} exists but no {MANIFEST_NAME} lists it; pass --overwrite to replace "
            f"such files or move them away"
        )
    for path in ours:
        (corpus / path).unlink(missing_ok=True)

    cache = Path(cache_dir) if cache_dir is not None else corpus / ".cache"
    tracks = [
        (package, path)
        for package in packages
        for path in fetch_music(package, cache_dir=cache, mirror=mirror)
    ]
    order = np.random.default_rng([seed, 6]).permutation(len(tracks))
    clips: list[dict] = []
    (corpus / "background").mkdir(parents=True, exist_ok=True)
    for track_index in order:
        if len(clips) == count:
            break
        index = len(clips)
        rng = np.random.default_rng([seed, 6, index])
        package, path = tracks[track_index]
        source = {
            "package": package.name,
            "version": package.version,
            "file": path.relative_to(cache / package.name).as_posix(),
            "licence": package.licence,
        }
        clip = _cut_clip(
            path, source=source, rng=rng, name=f"background/{KIND}_{index:04d}.wav", corpus=corpus
        )
        if clip is not None:
            clips.append(clip)
    if len(clips) < count:
        for clip in clips:
            (corpus / clip["path"]).unlink(missing_ok=True)
        raise ParameterError(
            f"only {len(clips)} of the packages' {len(tracks)} tracks are long and loud "
            f"enough for a clip; ask for at most that many (count {count})"
        )
    partial = manifest_path.with_name(manifest_path.name + ".part")
    partial.write_text(json.dumps({"recipe": recipe, "clips": clips}, indent=1) + "\n")
    os.replace(partial, manifest_path)
    return {"written": len(clips), "skipped": 0, "clips": clips}


def _read_manifest(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ParameterError(f"{path}: unreadable manifest ({exc}); pass --overwrite") from exc


def _cut_clip(
    track: Path, *, source: dict, rng: np.random.Generator, name: str, corpus: Path
) -> dict | None:
    """Cut, record and write one clip, its manifest entry naming ``source`` and the offset;
    None when the track is too short or too quiet."""
    y = read_track(track, sr=CLIP_SR)
    duration = round(float(rng.uniform(*synth.BACKGROUND_S)), 2)
    recording = synth.draw_recording(
        rng,
        holdout=False,
        place="indoor",
        channels=1,
        level_dbfs=synth.BACKGROUND_KINDS["music"].level_dbfs,
        may_clip=False,
    )
    n = round(duration * CLIP_SR)
    # Recorded from a second or so earlier, so the room's reverberation has built up.
    n_pre = synth.preroll_samples(recording.room, sr=CLIP_SR)
    first = max(y.size // 10, n_pre)
    if y.size - n <= first:
        return None
    offset = int(rng.integers(first, y.size - n))
    # A fade-out or a pause between movements is no music to learn from.
    if np.sqrt(np.mean(y[offset : offset + n] ** 2)) < 1e-3:
        return None
    recorded = synth.record(
        y[offset - n_pre : offset + n],
        sr=CLIP_SR,
        recording=recording,
        preroll_s=n_pre / CLIP_SR,
        seed=int(rng.integers(2**31)),
    )
    synth.write_wav(corpus / name, recorded, sr=CLIP_SR)
    return {
        "path": name,
        "kind": KIND,
        "label": "no_alarm",
        "sr": CLIP_SR,
        "duration_s": duration,
        "recording": recording.to_dict(),
        "source": {**source, "offset_s": round(offset / CLIP_SR, 4)},
    }
