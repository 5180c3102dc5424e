"""Recorded sound for the corpus: game soundtracks and sound effects packaged by Debian.

    DebianPackage        -- one pinned ``.deb``: where it lies, its checksum, which files to use
    TRAINING_MUSIC       -- the packages whose music the training corpus hears
    HOLDOUT_MUSIC        -- packages never heard in training (``benchmarks/recorded_music.py``)
    DEVICE_SOUNDS        -- phones, alarm clocks and computer beeps, never heard in training
                            (``benchmarks/device_sounds.py``)
    TUXPAINT_STAMPS      -- Tux Paint's stamps: sound effects and spoken descriptions
    fetch_package        -- download, verify and unpack a package's files (cached)
    read_sound           -- a sound file as mono float samples at a given rate
    sort_stamp_sounds    -- Tux Paint's files as spoken descriptions by language and effects
    split_effects        -- the effects the corpus hears and the ones it never does
    join_with_pauses     -- sounds one after another with random pauses
    make_recorded_clips  -- background clips of recorded music and effects, heard in the
                            corpus's rooms

The synthetic corpus's music (additive tones) and General MIDI played by sampled instruments
were all the music training knew, and real recordings of orchestral, folk and pop game
music raised an alarm in a third of 40 s excerpts (docs/model-quality.md, "Recorded
music"): sustained strings, flutes and brass hold tones in the band of piezo alarms. Real
animals, birds, insects and instruments, repeated, raised an alarm in one of five
recordings: a meowing cat, a bleating lamb or a violin holds a loud tone with harmonics,
again and again (docs/model-quality.md, "Recorded speech and sound effects"). These
packages are free software in Debian's main archive; their files are downloaded when the
corpus is built, never bundled, and each clip's source (package, version, file, offset or
pauses) is recorded beside it.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import io
import itertools
import json
import logging
import re
import tarfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import soundfile as sf
import soxr

from sounddetect import folders, synth
from sounddetect.exceptions import AudioError, ParameterError, SoundDetectError, TransientError

logger = logging.getLogger(__name__)

#: Where ``.deb`` files are fetched from: Debian's own mirror redirector.
DEBIAN_MIRROR = "http://deb.debian.org/debian"
#: The background kinds of the clips, the prefixes of their file names.
MUSIC_KIND = "recmusic"
EFFECT_KIND = "receffect"
#: The manifest written beside the corpus's own ``corpus.json``.
MANIFEST_NAME = "recorded.json"
#: The manifest of the music clips that ``sounddetect music`` wrote before 2026-11-30: its
#: clips are replaced like this module's own, and it is removed once ``recorded.json`` is
#: written, so a corpus made then needs no ``--overwrite``.
OLD_MANIFEST_NAME = "recorded_music.json"
#: The clips' paths in the corpus, as the manifests list them.
_CLIP_PATH = rf"background/({MUSIC_KIND}|{EFFECT_KIND})_\d{{4}}\.wav"
#: Music clips cut by default: 24 of 356 training backgrounds. With 41, held-out recorded
#: music raised no alarm at all, but continuous alarms were found in 32 instead of 38 of 40
#: recordings and household false alarms doubled (sustained notes and held chords look like a
#: continuous tone); 24 keep most of the gain (docs/model-trials.md, "Recorded music").
DEFAULT_MUSIC_CLIPS = 24
#: Effect clips cut by default, each of its own effect: 30 of the 54 training effects.
DEFAULT_EFFECT_CLIPS = 30
#: RMS level range of the effect clips in dBFS, as the corpus's kitchen and doorbell sounds.
EFFECT_LEVEL_DBFS = (-40.0, -20.0)
#: Pauses between the repeats of an effect, in seconds: a dog barking, a cat meowing again.
EFFECT_PAUSE_S = (0.3, 3.0)
#: Clip rate (Hz): the model hears 16 kHz.
CLIP_SR = 16000


@dataclass(frozen=True)
class DebianPackage:
    """One pinned Debian package whose sound files the corpus or a benchmark uses.

    Attributes
    ----------
    name, version : str
    pool_path : str
        Path under the mirror's root, as ``apt-cache show`` prints it (``Filename``).
    sha256 : str
        Of the ``.deb``; a download that does not match is refused.
    file_glob : str
        Pattern of the files to use among the package's paths (``fnmatch``, no leading
        ``./``).
    licence : str
        The sounds' licence, from the package's ``copyright`` file.
    """

    name: str
    version: str
    pool_path: str
    sha256: str
    file_glob: str
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

#: Sounds of telephones, alarm clocks and computers, for ``benchmarks/device_sounds.py`` only:
#: recorded and synthesised ring tones, a bell telephone, ringback and busy tones, alarm
#: clocks, digital beeps and notification chimes, the electronic beeps of a home that are
#: not smoke alarms.
DEVICE_SOUNDS = (
    DebianPackage(
        "sound-theme-freedesktop",
        "0.8-2",
        "pool/main/s/sound-theme-freedesktop/sound-theme-freedesktop_0.8-2_all.deb",
        "135cc4893ba590d428577bc3bf42df756a165c05a2a43f84311ad7db779a70ea",
        "usr/share/sounds/freedesktop/stereo/*.oga",
        "GPL-2+, CC-BY-3.0, CC-BY-SA (per file, see the package's copyright file)",
    ),
    DebianPackage(
        "gnome-audio",
        "2.22.2-1.2",
        "pool/main/g/gnome-audio/gnome-audio_2.22.2-1.2_all.deb",
        "05d5eb10c07dfbe251a637cb83784ec9ed44ec54a6c26339c8d8fea9a4d886c0",
        "usr/share/sounds/*.wav",
        "CC-BY-SA-2.0, CC-BY-3.0 (see the package's copyright file)",
    ),
    DebianPackage(
        "oxygen-sounds",
        "4:5.27.5-2",
        "pool/main/o/oxygen-sounds/oxygen-sounds_5.27.5-2_all.deb",
        "2230772aea70fb6508a38eeb8fb29f56357d9e00751477fe1954057c41541960",
        "usr/share/sounds/Oxygen-*.ogg",
        "LGPL-3.0-or-later",
    ),
    DebianPackage(
        "linphone-common",
        "5.1.65-4",
        "pool/main/l/linphone/linphone-common_5.1.65-4_all.deb",
        "4d6fa3b4401a7f320387351241a917b9945f8afbe342ab8bbf5ac8cec4713bfa",
        "usr/share/sounds/linphone/*.wav",
        "GPL-3+ (see the package's copyright file)",
    ),
    DebianPackage(
        "twinkle-common",
        "1:1.10.2+dfsg-2",
        "pool/main/t/twinkle/twinkle-common_1.10.2+dfsg-2_all.deb",
        "91efd4b036ca3bfa230384913dd4c119e5d31d7f5ba5fc8bc28fa1cfd1443804",
        "usr/share/twinkle/*.wav",
        "GPL-2+",
    ),
    DebianPackage(
        "orage-data",
        "4.16.0-2",
        "pool/main/o/orage/orage-data_4.16.0-2_all.deb",
        "b12d019a7392221f08c78845327d895b99cdb04d9685fcb63ba22008703f8cc4",
        "usr/share/orage/sounds/*",
        "GPL-2+ (see the package's copyright file)",
    ),
    DebianPackage(
        "libjs-jsxc",
        "3.4.4+dfsg-2",
        "pool/main/libj/libjs-jsxc/libjs-jsxc_3.4.4+dfsg-2_all.deb",
        "8a50af44eb84812bcbff0cd340676a41b649b7aebd7b68d02e9ee0f2daf60f57",
        "usr/share/libjs-jsxc/sound/*.mp3",
        "public domain (Rotary-Phone6.mp3), CC-BY-3.0 (Ping1.mp3)",
    ),
    DebianPackage(
        "sonic-pi-samples",
        "3.2.2~repack-8",
        "pool/main/s/sonic-pi/sonic-pi-samples_3.2.2~repack-8_all.deb",
        "25f2312d2fae005e6ad0f4726b8ed3084e776006a5a132083506e960224ac79d",
        "usr/share/sonic-pi/samples/mehackit_phone*.flac",
        "MIT",
    ),
)

#: Tux Paint's stamps: pictures with their spoken descriptions (about 20 languages, each read
#: by its own volunteer) and 108 recorded sound effects (animals, birds, insects,
#: instruments, tools, household machines, vehicles).
TUXPAINT_STAMPS = DebianPackage(
    "tuxpaint-stamps-default",
    "2022.06.04-1",
    "pool/main/t/tuxpaint-stamps/tuxpaint-stamps-default_2022.06.04-1_all.deb",
    "6db6c1bfc870a47f1499d6203b083522eacb57c5f9c87d468f2e92eb6d9d5f34",
    "usr/share/tuxpaint/stamps/*.ogg",
    "GPL-2",
)
#: Tracks in TRAINING_MUSIC's packages and training effects (:func:`split_effects`) in
#: TUXPAINT_STAMPS, as their pinned sha256 sums fix them: ``sounddetect recorded`` refuses
#: more clips than these before it downloads anything.
TRAINING_MUSIC_TRACKS = 92
TUXPAINT_TRAINING_EFFECTS = 54
#: ``NAME_desc.ogg`` is an English description, ``NAME_desc_LANG.ogg`` another language's.
_DESCRIPTION = re.compile(r"_desc(?:_(?P<lang>[A-Za-z_]+))?\.ogg$")
#: ``NAME_LANG.ogg`` files and the ``symbols`` folder hold spoken names, letters and digits.
_SPOKEN_NAME = re.compile(r"_[a-z]{2}(?:_[A-Za-z]{2})?\.ogg$")

_STAMP = ".complete"


def fetch_package(
    package: DebianPackage, *, cache_dir, mirror: str = DEBIAN_MIRROR, timeout_s: float = 60.0
) -> list[Path]:
    """The package's files matching ``file_glob``, downloaded, checked and unpacked once
    into ``cache_dir``.

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
        The files, sorted.

    Raises
    ------
    TransientError
        The download failed (no network, a server error): worth retrying.
    SoundDetectError
        The download does not match the pinned checksum, is not a Debian package, or holds
        no file matching ``file_glob``.
    """
    target = Path(cache_dir) / package.name
    stamp = target / _STAMP
    if stamp.is_file() and stamp.read_text().strip() == package.sha256:
        return _package_files(target)
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
            if not (member.isfile() and fnmatch.fnmatch(path, package.file_glob)):
                continue
            if PurePosixPath(path).is_absolute() or ".." in PurePosixPath(path).parts:
                raise SoundDetectError(f"{url}: unsafe path {member.name!r} in the package")
            out = target / path
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(tar.extractfile(member).read())
            written += 1
    if not written:
        raise SoundDetectError(f"{url}: no file matches {package.file_glob!r}")
    stamp.write_text(package.sha256 + "\n")
    return _package_files(target)


def _package_files(target: Path) -> list[Path]:
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


def read_sound(path, *, sr: int = CLIP_SR) -> np.ndarray:
    """A sound file (OGG, MP3, ...) as mono float64 samples at ``sr`` Hz.

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


def sort_stamp_sounds(files) -> tuple[dict[str, list[Path]], list[Path]]:
    """Tux Paint's stamp sounds as spoken descriptions by language and sound effects.

    Parameters
    ----------
    files : iterable of Path
        :data:`TUXPAINT_STAMPS`'s files, as :func:`fetch_package` returns them.

    Returns
    -------
    descriptions : dict of str to list of Path
        By language code (``"en"`` for the files without one), in the order given.
    effects : list of Path
        The sounds that are not speech, in the order given: no description, no spoken name
        (``NAME_LANG.ogg``) and nothing from the ``symbols`` folder (letters and digits).
    """
    descriptions: dict[str, list[Path]] = {}
    effects = []
    for path in map(Path, files):
        match = _DESCRIPTION.search(path.name)
        if match is not None:
            descriptions.setdefault(match["lang"] or "en", []).append(path)
        elif not (
            "_desc" in path.name or _SPOKEN_NAME.search(path.name) or "symbols" in path.parts
        ):
            effects.append(path)
    return descriptions, effects


def split_effects(effects: list[Path]) -> tuple[list[Path], list[Path]]:
    """The sound effects the corpus hears and the ones only ``benchmarks/recorded_sounds.py``
    plays: every other effect in sorted order, so both halves hold animals, birds, insects,
    instruments and household sounds."""
    ordered = sorted(map(Path, effects))
    return ordered[0::2], ordered[1::2]


def join_with_pauses(
    clips, *, n: int, pause_s: tuple[float, float], rng: np.random.Generator
) -> tuple[np.ndarray, list[int]]:
    """Sounds one after another, each followed by a random pause, until ``n`` samples.

    Parameters
    ----------
    clips : iterable of np.ndarray
        Sample arrays, taken in order until the samples reach ``n`` (an endless iterator
        repeats one sound: ``itertools.repeat(y)``).
    n : int
        Length of the result in samples.
    pause_s : (float, float)
        Range of each pause in seconds (at :data:`CLIP_SR`), drawn uniformly from ``rng``.
    rng : np.random.Generator

    Returns
    -------
    y : np.ndarray
        ``n`` samples (fewer if ``clips`` ran out).
    pauses : list of int
        Each pause's length in samples.
    """
    parts, pauses, total = [], [], 0
    for clip in clips:
        if total >= n:
            break
        pauses.append(round(rng.uniform(*pause_s) * CLIP_SR))
        parts += [clip, np.zeros(pauses[-1])]
        total += clip.size + pauses[-1]
    return np.concatenate(parts)[:n], pauses


def make_recorded_clips(
    corpus_dir,
    *,
    music: tuple[DebianPackage, ...] = TRAINING_MUSIC,
    music_count: int = DEFAULT_MUSIC_CLIPS,
    effects: DebianPackage | None = TUXPAINT_STAMPS,
    effect_count: int = DEFAULT_EFFECT_CLIPS,
    seed: int = 0,
    cache_dir=None,
    mirror: str = DEBIAN_MIRROR,
    skip_existing: bool = False,
    overwrite: bool = False,
) -> dict:
    """Write clips of recorded music and sound effects into ``corpus_dir/background``.

    Each music clip is a 12-22 s stretch of its own track (tracks drawn without replacement
    from the ``music`` packages; the first tenth of a track, often an intro or silence, is
    never used). Each effect clip is one of the training half of the ``effects`` package's
    sound effects (:func:`split_effects`), each used once, repeated with 0.3-3 s pauses for
    12-22 s. Every clip is played in one of the corpus's training rooms and recorded through
    one of its microphones (:func:`sounddetect.synth.record`), as the synthetic backgrounds
    are, and written as ``background/recmusic_NNNN.wav`` or ``background/receffect_NNNN.wav``
    (16 kHz, 16-bit). ``corpus_dir/recorded.json`` records each clip's package, file, offset
    or pauses, length and recording, so the same seed and packages give the same clips.

    Parameters
    ----------
    corpus_dir : str or Path
        The corpus (``sounddetect synth DIR``); the generator reads ``DIR/background``.
    music : tuple of DebianPackage
    music_count : int >= 0
        Music clips to cut; at most one per track.
    effects : DebianPackage or None
        A package laid out as :data:`TUXPAINT_STAMPS` is.
    effect_count : int >= 0
        Effect clips to make; at most one per training effect. ``music_count`` and
        ``effect_count`` are not both 0.
    seed : int >= 0
    cache_dir : str or Path or None
        Where packages are unpacked; default ``corpus_dir/.cache``.
    mirror : str
        Debian mirror (see :func:`fetch_package`).
    skip_existing, overwrite : bool
        Without either, an existing manifest is an error. With ``skip_existing`` the clips
        of a manifest with the same recipe are kept and another recipe's are replaced; only
        ``overwrite`` replaces a ``recmusic_*.wav`` or ``receffect_*.wav`` that no manifest
        lists.

    Returns
    -------
    summary : dict
        ``written``, ``skipped``, ``clips`` (the manifest's entries).

    Raises
    ------
    ParameterError
        Bad counts or ``seed``, both or neither of ``skip_existing``/``overwrite`` with clips
        present, a clip file no manifest lists, or fewer usable tracks or effects than asked.
    TransientError, SoundDetectError
        From :func:`fetch_package`.
    """
    for name, value in (("music_count", music_count), ("effect_count", effect_count)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ParameterError(f"{name} must be an integer >= 0, got {value!r}")
    if music_count + effect_count == 0:
        raise ParameterError(
            "music_count and effect_count (--music, --effects) are both 0: no clips to make"
        )
    if effect_count and effects is None:
        raise ParameterError(f"effect_count is {effect_count} but no effects package is given")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    if skip_existing and overwrite:
        raise ParameterError("choose one of skip_existing and overwrite, not both")
    corpus = Path(corpus_dir)
    manifest_path = corpus / MANIFEST_NAME
    recipe = {
        "seed": seed,
        "music_count": music_count,
        "music": [package.to_dict() for package in music],
        "effect_count": effect_count,
        "effects": effects.to_dict() if effects is not None else None,
    }
    previous = _read_manifest(manifest_path)
    old = _read_manifest(corpus / OLD_MANIFEST_NAME)
    if (previous is not None or old is not None) and not (overwrite or skip_existing):
        raise ParameterError(
            f"{manifest_path if previous is not None else corpus / OLD_MANIFEST_NAME} exists "
            "already; pass --skip-existing to keep its clips or --overwrite to replace them"
        )
    if previous is not None and skip_existing:
        if previous.get("recipe") == recipe and all(
            (corpus / clip["path"]).is_file() for clip in previous.get("clips", [])
        ):
            return {"written": 0, "skipped": len(previous["clips"]), "clips": previous["clips"]}
    ours = {
        clip["path"] for manifest in (previous, old) for clip in (manifest or {}).get("clips", [])
    }
    strays = [
        path
        for kind in (MUSIC_KIND, EFFECT_KIND)
        for path in sorted((corpus / "background").glob(f"{kind}_*.wav"))
        if f"background/{path.name}" not in ours
    ]
    if strays and not overwrite:
        raise ParameterError(
            f"{strays[0]} exists but no {MANIFEST_NAME} lists it; pass --overwrite to replace "
            f"such files or move them away"
        )
    cache = Path(cache_dir) if cache_dir is not None else corpus / ".cache"
    # Everything is fetched before anything is removed or written: a failed download
    # leaves the corpus as it was.
    tracks = [
        (package, path)
        for package in (music if music_count else ())
        for path in fetch_package(package, cache_dir=cache, mirror=mirror)
    ]
    training_effects = []
    if effect_count:
        _, found = sort_stamp_sounds(fetch_package(effects, cache_dir=cache, mirror=mirror))
        training_effects, _ = split_effects(found)
        if effect_count > len(training_effects):
            raise ParameterError(
                f"{effects.name} has {len(training_effects)} training effects; ask for at "
                f"most that many effect clips (count {effect_count})"
            )
    for path in ours:
        (corpus / path).unlink(missing_ok=True)
    (corpus / "background").mkdir(parents=True, exist_ok=True)
    clips: list[dict] = []
    try:
        clips += _music_clips(corpus, tracks, count=music_count, seed=seed, cache=cache)
        clips += _effect_clips(
            corpus, effects, training_effects, count=effect_count, seed=seed, cache=cache
        )
    except BaseException:
        # No clip without its manifest entry: a later run would take them for the user's.
        for kind, count in ((MUSIC_KIND, music_count), (EFFECT_KIND, effect_count)):
            for index in range(count):
                (corpus / "background" / f"{kind}_{index:04d}.wav").unlink(missing_ok=True)
        raise
    manifest = json.dumps({"recipe": recipe, "clips": clips}, indent=1) + "\n"
    folders.write_aside(manifest_path, manifest.encode())
    (corpus / OLD_MANIFEST_NAME).unlink(missing_ok=True)
    return {"written": len(clips), "skipped": 0, "clips": clips}


def _read_manifest(path: Path) -> dict | None:
    """The manifest an earlier run wrote, or None if there is none; one of any other shape
    is the user's file, neither read for clips to delete nor replaced."""

    def is_ours(manifest: Any) -> bool:
        clips = manifest.get("clips") if isinstance(manifest, dict) else None
        return isinstance(clips, list) and all(
            isinstance(clip, dict) and _is_clip_path(clip.get("path")) for clip in clips
        )

    return synth.read_own_manifest(
        path, is_ours=is_ours, writer="sounddetect recorded", advice="move it away"
    )


def _is_clip_path(path: object) -> bool:
    """Whether ``path`` is a clip name this module writes (``background/recmusic_0003.wav``):
    only such files are ever deleted."""
    return isinstance(path, str) and re.fullmatch(_CLIP_PATH, path) is not None


def _source(package: DebianPackage, path: Path, cache: Path) -> dict:
    return {
        "package": package.name,
        "version": package.version,
        "file": path.relative_to(cache / package.name).as_posix(),
        "licence": package.licence,
    }


def _music_clips(corpus: Path, tracks, *, count: int, seed: int, cache: Path) -> list[dict]:
    order = np.random.default_rng([seed, 6]).permutation(len(tracks))
    clips: list[dict] = []
    for track_index in order:
        if len(clips) == count:
            break
        index = len(clips)
        package, path = tracks[track_index]
        clip = _cut_music_clip(
            path,
            source=_source(package, path, cache),
            rng=np.random.default_rng([seed, 6, index]),
            name=f"background/{MUSIC_KIND}_{index:04d}.wav",
            corpus=corpus,
        )
        if clip is not None:
            clips.append(clip)
    if len(clips) < count:
        raise ParameterError(
            f"only {len(clips)} of the packages' {len(tracks)} tracks are long and loud "
            f"enough for a clip; ask for at most that many music clips (count {count})"
        )
    return clips


def _cut_music_clip(
    track: Path, *, source: dict, rng: np.random.Generator, name: str, corpus: Path
) -> dict | None:
    """Cut, record and write one clip, its manifest entry naming ``source`` and the offset;
    None when the track is too short or too quiet."""
    y = read_sound(track, sr=CLIP_SR)
    duration, recording, n_pre = _draw_clip(
        rng, level_dbfs=synth.BACKGROUND_KINDS["music"].level_dbfs
    )
    n = round(duration * CLIP_SR)
    first = max(y.size // 10, n_pre)
    if y.size - n <= first:
        return None
    offset = int(rng.integers(first, y.size - n))
    # A fade-out or a pause between movements is no music to learn from.
    if np.sqrt(np.mean(y[offset : offset + n] ** 2)) < 1e-3:
        return None
    return _write_clip(
        y[offset - n_pre : offset + n],
        kind=MUSIC_KIND,
        duration=duration,
        recording=recording,
        n_pre=n_pre,
        rng=rng,
        name=name,
        corpus=corpus,
        source={**source, "offset_s": round(offset / CLIP_SR, 4)},
    )


def _draw_clip(rng: np.random.Generator, *, level_dbfs) -> tuple[float, synth.Recording, int]:
    """A clip's length (s), recording situation and pre-roll (samples), drawn in that order."""
    duration = round(float(rng.uniform(*synth.BACKGROUND_S)), 2)
    recording = synth.draw_recording(
        rng, holdout=False, place="indoor", channels=1, level_dbfs=level_dbfs, may_clip=False
    )
    # Recorded from a second or so earlier, so the room's reverberation has built up.
    return duration, recording, synth.preroll_samples(recording.room, sr=CLIP_SR)


def _write_clip(
    y: np.ndarray,
    *,
    kind: str,
    duration: float,
    recording: synth.Recording,
    n_pre: int,
    rng: np.random.Generator,
    name: str,
    corpus: Path,
    source: dict,
) -> dict:
    """Record ``y`` (``n_pre`` samples of pre-roll, then the clip) in ``recording``, write
    it to ``corpus/name`` and return its manifest entry."""
    recorded = synth.record(
        y, sr=CLIP_SR, recording=recording, preroll_s=n_pre / CLIP_SR, seed=int(rng.integers(2**31))
    )
    synth.write_wav(corpus / name, recorded, sr=CLIP_SR)
    return {
        "path": name,
        "kind": kind,
        "label": "no_alarm",
        "sr": CLIP_SR,
        "duration_s": duration,
        "recording": recording.to_dict(),
        "source": source,
    }


def _effect_clips(
    corpus: Path, package, effects: list[Path], *, count: int, seed: int, cache: Path
) -> list[dict]:
    order = np.random.default_rng([seed, 9]).permutation(len(effects))
    return [
        _effect_clip(
            effects[order[index]],
            source=_source(package, effects[order[index]], cache),
            rng=np.random.default_rng([seed, 9, index]),
            name=f"background/{EFFECT_KIND}_{index:04d}.wav",
            corpus=corpus,
        )
        for index in range(count)
    ]


def _effect_clip(
    effect: Path, *, source: dict, rng: np.random.Generator, name: str, corpus: Path
) -> dict:
    """Repeat, record and write one effect, its manifest entry naming ``source``, the
    silence before the first repeat and the pauses after each."""
    y = read_sound(effect, sr=CLIP_SR)
    duration, recording, n_pre = _draw_clip(rng, level_dbfs=EFFECT_LEVEL_DBFS)
    n = round(duration * CLIP_SR) + n_pre
    # The clip starts anywhere in the pattern: up to 2 s of silence before the first repeat.
    lead = int(rng.integers(0, 2 * CLIP_SR))
    repeats, pauses = join_with_pauses(
        itertools.repeat(y), n=n - lead, pause_s=EFFECT_PAUSE_S, rng=rng
    )
    return _write_clip(
        np.concatenate([np.zeros(lead), repeats]),
        kind=EFFECT_KIND,
        duration=duration,
        recording=recording,
        n_pre=n_pre,
        rng=rng,
        name=name,
        corpus=corpus,
        source={
            **source,
            "lead_s": round(lead / CLIP_SR, 4),
            "pauses_s": [round(p / CLIP_SR, 4) for p in pauses],
        },
    )
