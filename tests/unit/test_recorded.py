"""sounddetect.recorded and ``sounddetect recorded`` on Debian packages built here.

Each test serves a ``.deb`` made in the test (an ``ar`` archive with a ``data.tar.xz``)
from a ``file://`` mirror, so nothing leaves the machine.
"""

import hashlib
import io
import itertools
import json
import signal
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sounddetect.cli import EXIT_FAILED, main
from sounddetect.exceptions import ParameterError, SoundDetectError, TransientError
from sounddetect.recorded import (
    CLIP_SR,
    DEBIAN_MIRROR,
    DEFAULT_EFFECT_CLIPS,
    DEFAULT_MUSIC_CLIPS,
    EFFECT_KIND,
    MANIFEST_NAME,
    MUSIC_KIND,
    TRAINING_MUSIC,
    DebianPackage,
    fetch_package,
    join_with_pauses,
    make_recorded_clips,
    read_sound,
    sort_stamp_sounds,
    split_effects,
)

SR = 22050
TRACK_S = 40.0
MUSIC_DIR = "usr/share/games/test/music"


def sweep(start_hz: float, *, seconds: float = TRACK_S) -> np.ndarray:
    """A tone rising 50 Hz per second from ``start_hz``: its pitch says where in it one is."""
    t = np.arange(int(seconds * SR)) / SR
    return 0.3 * np.sin(2 * np.pi * (start_hz * t + 25.0 * t**2))


def ogg_bytes(y: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, y, SR, format="OGG", subtype="VORBIS")
    return buffer.getvalue()


def ar_member(name: str, data: bytes) -> bytes:
    header = f"{name + '/':<16}{0:<12}{0:<6}{0:<6}{'100644':<8}{len(data):<10}`\n".encode()
    return header + data + (b"\n" if len(data) % 2 else b"")


def make_deb(files: dict[str, bytes]) -> bytes:
    """A Debian package whose data.tar.xz holds ``files`` (paths without a leading ./)."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:xz") as tar:
        for path, content in files.items():
            info = tarfile.TarInfo(f"./{path}")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return (
        b"!<arch>\n"
        + ar_member("debian-binary", b"2.0\n")
        + ar_member("control.tar.xz", b"")
        + ar_member("data.tar.xz", data.getvalue())
    )


def publish(
    mirror: Path, deb: bytes, *, name: str = "testmusic", glob: str = f"{MUSIC_DIR}/*.ogg"
) -> DebianPackage:
    pool_path = f"pool/main/t/{name}/{name}_1.0_all.deb"
    (mirror / pool_path).parent.mkdir(parents=True, exist_ok=True)
    (mirror / pool_path).write_bytes(deb)
    return DebianPackage(name, "1.0", pool_path, hashlib.sha256(deb).hexdigest(), glob, "test")


@pytest.fixture(scope="module")
def tracks() -> dict[str, bytes]:
    """Five 40 s tracks starting 500 Hz apart, a jingle too short for a clip, and a README."""
    files = {f"{MUSIC_DIR}/track{i}.ogg": ogg_bytes(sweep(500.0 + 500 * i)) for i in range(5)}
    files[f"{MUSIC_DIR}/jingle.ogg"] = ogg_bytes(sweep(300.0, seconds=3.0))
    files["usr/share/doc/testmusic/README"] = b"not music"
    return files


@pytest.fixture
def mirror(tmp_path, tracks):
    root = tmp_path / "mirror"
    return root, publish(root, make_deb(tracks))


def test_fetch_unpacks_only_the_music_and_then_reads_it_from_the_cache(tmp_path, mirror):
    root, package = mirror
    files = fetch_package(package, cache_dir=tmp_path / "cache", mirror=root.as_uri())
    assert [f.name for f in files] == [
        "jingle.ogg",
        *(f"track{i}.ogg" for i in range(5)),
    ]
    assert not (tmp_path / "cache" / "testmusic" / "usr" / "share" / "doc").exists()
    # Once unpacked, the mirror is not needed.
    (root / package.pool_path).unlink()
    again = fetch_package(package, cache_dir=tmp_path / "cache", mirror=root.as_uri())
    assert again == files


def test_a_download_that_does_not_match_the_checksum_is_refused(tmp_path, mirror):
    root, package = mirror
    wrong = DebianPackage(**{**package.to_dict(), "sha256": "0" * 64})
    with pytest.raises(SoundDetectError, match=r"testmusic_1.0_all.deb: sha256 .* does not match"):
        fetch_package(wrong, cache_dir=tmp_path / "cache", mirror=root.as_uri())
    assert not (tmp_path / "cache" / "testmusic").exists()


def test_an_unreachable_package_is_a_transient_error_naming_the_url(tmp_path, mirror):
    root, package = mirror
    with pytest.raises(TransientError, match=r"missing/pool/main/t/testmusic/.*download failed"):
        fetch_package(package, cache_dir=tmp_path / "cache", mirror=(root / "missing").as_uri())


@pytest.mark.parametrize(
    ("deb", "match"),
    [
        (b"PK\x03\x04 a zip file", "not a Debian package"),
        (b"!<arch>\n" + ar_member("debian-binary", b"2.0\n"), "no data.tar member"),
        (make_deb({"usr/share/doc/README": b"x"}), "no file matches"),
    ],
)
def test_a_package_without_music_is_refused(tmp_path, deb, match):
    package = publish(tmp_path / "mirror", deb)
    with pytest.raises(SoundDetectError, match=match):
        fetch_package(package, cache_dir=tmp_path / "cache", mirror=(tmp_path / "mirror").as_uri())


def test_read_sound_mixes_to_mono_at_the_asked_rate(tmp_path):
    stereo = np.stack([sweep(1000.0, seconds=2.0), -sweep(1000.0, seconds=2.0)], axis=1)
    sf.write(tmp_path / "s.ogg", 0.5 * stereo + 0.1, SR, format="OGG", subtype="VORBIS")
    y = read_sound(tmp_path / "s.ogg", sr=16000)
    assert y.ndim == 1 and abs(y.size - 32000) <= 1
    assert abs(np.mean(y) - 0.1) < 0.02  # the channels' opposite tones cancel
    (tmp_path / "bad.ogg").write_bytes(b"OggS broken")
    with pytest.raises(SoundDetectError, match="bad.ogg: cannot decode"):
        read_sound(tmp_path / "bad.ogg")


def clip_pitch_hz(path: Path) -> float:
    """The strongest frequency of a clip's first second."""
    y, sr = sf.read(path)
    spectrum = np.abs(np.fft.rfft(y[:sr] * np.hanning(sr)))
    return float(np.argmax(spectrum)) * sr / sr  # bins of 1 Hz: sr samples at sr Hz


def test_clips_come_from_the_stretch_their_manifest_names(tmp_path, mirror):
    root, package = mirror
    corpus = tmp_path / "audio"
    summary = make_recorded_clips(
        corpus,
        music=(package,),
        music_count=4,
        effect_count=0,
        seed=3,
        cache_dir=tmp_path / "c",
        mirror=root.as_uri(),
    )
    manifest = json.loads((corpus / MANIFEST_NAME).read_text())
    assert summary["written"] == 4 and manifest["clips"] == summary["clips"]
    assert [c["path"] for c in manifest["clips"]] == [
        f"background/{MUSIC_KIND}_{i:04d}.wav" for i in range(4)
    ]
    sources = [c["source"] for c in manifest["clips"]]
    # One clip per track, never the jingle, never from the track's first tenth.
    assert len({s["file"] for s in sources}) == 4
    assert all(s["file"].startswith(f"{MUSIC_DIR}/track") for s in sources)
    assert all(s["offset_s"] >= TRACK_S / 10 for s in sources)
    for clip in manifest["clips"]:
        info = sf.info(corpus / clip["path"])
        assert info.samplerate == CLIP_SR and abs(info.duration - clip["duration_s"]) < 1e-3
        assert 12.0 <= clip["duration_s"] <= 22.0
        # The sweep's pitch at the recorded offset (its first second's middle) is the clip's.
        start_hz = 500.0 + 500 * int(clip["source"]["file"][-5])
        expected = start_hz + 50.0 * (clip["source"]["offset_s"] + 0.5)
        assert abs(clip_pitch_hz(corpus / clip["path"]) - expected) < 30.0


def test_the_same_seed_gives_the_same_clips_and_existing_clips_are_kept(tmp_path, mirror):
    root, package = mirror
    options = {"music": (package,), "music_count": 2, "effect_count": 0, "mirror": root.as_uri()}
    options["cache_dir"] = tmp_path / "c"
    make_recorded_clips(tmp_path / "a", seed=5, **options)
    make_recorded_clips(tmp_path / "b", seed=5, **options)
    for name in ("recmusic_0000.wav", "recmusic_0001.wav"):
        a = (tmp_path / "a" / "background" / name).read_bytes()
        assert a == (tmp_path / "b" / "background" / name).read_bytes()
    with pytest.raises(ParameterError, match="--skip-existing"):
        make_recorded_clips(tmp_path / "a", seed=5, **options)
    assert (
        make_recorded_clips(tmp_path / "a", seed=5, skip_existing=True, **options)["written"] == 0
    )
    # Kept only while the recipe is the same: clips of another seed replace this one's.
    assert (
        make_recorded_clips(tmp_path / "b", seed=7, skip_existing=True, **options)["written"] == 2
    )
    assert json.loads((tmp_path / "b" / MANIFEST_NAME).read_text())["recipe"]["seed"] == 7
    # Another recipe replaces the clips it wrote before, and only those.
    (tmp_path / "a" / "background" / "fan_0000.wav").write_bytes(b"the user's")
    replaced = make_recorded_clips(
        tmp_path / "a",
        seed=6,
        overwrite=True,
        **{**options, "music_count": 1},
    )
    assert [c["path"] for c in replaced["clips"]] == ["background/recmusic_0000.wav"]
    assert not (tmp_path / "a" / "background" / "recmusic_0001.wav").exists()
    assert (tmp_path / "a" / "background" / "fan_0000.wav").read_bytes() == b"the user's"


def test_a_clip_name_no_manifest_lists_is_not_overwritten(tmp_path, mirror):
    root, package = mirror
    (tmp_path / "a" / "background").mkdir(parents=True)
    (tmp_path / "a" / "background" / "recmusic_0000.wav").write_bytes(b"someone's")
    options = {"music": (package,), "music_count": 1, "effect_count": 0, "mirror": root.as_uri()}
    options["cache_dir"] = tmp_path / "c"
    with pytest.raises(ParameterError, match="recmusic_0000.wav exists but no"):
        make_recorded_clips(tmp_path / "a", skip_existing=True, **options)
    assert (tmp_path / "a" / "background" / "recmusic_0000.wav").read_bytes() == b"someone's"
    assert make_recorded_clips(tmp_path / "a", overwrite=True, **options)["written"] == 1


@pytest.mark.parametrize(
    "manifest",
    [
        '{"title": "my log", "clips": [{"path": "mine/take1.wav"}, {"path": "../keep.txt"}]}',
        '{"recipe": {}, "clips": [{"path": "background/recmusic_0000.wav"}, '
        '{"path": "../keep.txt"}]}',
        "{oops",
        '{"clips": [1]}',
    ],
)
def test_a_recorded_json_of_another_shape_is_the_user_s(tmp_path, mirror, manifest):
    # GIVEN a recorded.json that is not ours, listing files of the user's, in and out of
    # the corpus folder
    root, package = mirror
    corpus = tmp_path / "a"
    (corpus / "mine").mkdir(parents=True)
    (corpus / "mine" / "take1.wav").write_bytes(b"the user's")
    (tmp_path / "keep.txt").write_bytes(b"the user's")
    (corpus / "recorded.json").write_text(manifest)
    options = {"music": (package,), "music_count": 1, "effect_count": 0, "mirror": root.as_uri()}
    options["cache_dir"] = tmp_path / "c"
    # WHEN clips are made, even with --overwrite THEN it is refused, and nothing is deleted
    for flag in ("skip_existing", "overwrite"):
        with pytest.raises(ParameterError, match=r"recorded.json is not a manifest of "):
            make_recorded_clips(corpus, **{flag: True}, **options)
    assert (corpus / "mine" / "take1.wav").read_bytes() == b"the user's"
    assert (tmp_path / "keep.txt").read_bytes() == b"the user's"
    assert (corpus / "recorded.json").read_text() == manifest


def test_asking_for_more_clips_than_tracks_leaves_nothing_behind(tmp_path, mirror):
    root, package = mirror
    with pytest.raises(ParameterError, match="only 5 of the packages' 6 tracks"):
        make_recorded_clips(
            tmp_path / "a",
            music=(package,),
            music_count=6,
            effect_count=0,
            cache_dir=tmp_path / "c",
            mirror=root.as_uri(),
        )
    assert list((tmp_path / "a" / "background").iterdir()) == []
    assert not (tmp_path / "a" / MANIFEST_NAME).exists()


@pytest.mark.parametrize(
    ("counts", "match"),
    [
        ({"music_count": -1}, "music_count must be an integer >= 0"),
        ({"music_count": 1.5}, "music_count must be"),
        ({"effect_count": True}, "effect_count must be"),
        ({"music_count": 0, "effect_count": 0}, "both 0"),
        ({"effect_count": 1, "effects": None}, "no effects package"),
    ],
)
def test_bad_counts_are_refused(tmp_path, counts, match):
    with pytest.raises(ParameterError, match=match):
        make_recorded_clips(tmp_path, **counts)
    assert not tmp_path.joinpath("background").exists()


def synth_corpus(folder: Path) -> Path:
    """A folder as ``sounddetect synth`` leaves it, as far as ``recorded`` looks: its
    corpus.json."""
    folder.mkdir(parents=True)
    (folder / "corpus.json").write_text(json.dumps({"format": "sounddetect-corpus/1"}))
    return folder


def test_the_command_names_the_package_it_could_not_fetch(tmp_path, capsys):
    synth_corpus(tmp_path / "audio")
    code = main(["recorded", str(tmp_path / "audio"), "--mirror", (tmp_path / "none").as_uri()])
    assert code == EXIT_FAILED
    err = capsys.readouterr().err
    assert "wesnoth-1.16-music_1.16.9-1_all.deb: download failed" in err
    assert not (tmp_path / "audio" / MANIFEST_NAME).exists()


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("typo", None, "no such folder; make the corpus first: sounddetect synth {folder}"),
        ("notes.txt", Path.touch, "not a folder; give the corpus folder sounddetect synth made"),
        (
            "audio",
            Path.mkdir,
            "not a corpus (no corpus.json); make it first: sounddetect synth {folder}",
        ),
    ],
)
def test_the_command_refuses_a_folder_synth_did_not_make_before_any_download(
    tmp_path, capsys, name, make, reason
):
    # GIVEN a folder that is missing, a file, or not a corpus; the mirror is unreachable, so
    # a download would fail
    folder = tmp_path / name
    if make is not None:
        make(folder)
    before = sorted(tmp_path.rglob("*"))
    # WHEN clips are to be added to it
    code = main(["recorded", str(folder), "--mirror", (tmp_path / "none").as_uri()])
    # THEN it is a usage error of one line naming the folder, and nothing is written
    assert code == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {folder}: {reason.format(folder=folder)}"
    ]
    assert sorted(tmp_path.rglob("*")) == before


@pytest.mark.parametrize(
    ("flag", "count", "reason"),
    [
        ("--music", 93, "there are 92 tracks in the music packages"),
        ("--effects", 55, "there are 54 training effects in tuxpaint-stamps-default"),
    ],
)
def test_the_command_refuses_more_clips_than_the_packages_hold_before_any_download(
    tmp_path, capsys, flag, count, reason
):
    corpus = synth_corpus(tmp_path / "audio")
    argv = ["recorded", str(corpus), flag, str(count), "--mirror", (tmp_path / "none").as_uri()]
    assert main(argv) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {flag} {count}: {reason}; ask for at most that many"
    ]
    assert sorted(corpus.iterdir()) == [corpus / "corpus.json"]


#: Runs the command line, the process receiving SIGTERM when the second clip is to be written.
TERMINATED_AT_THE_SECOND_CLIP = f"""
import os, signal, sys
import soundfile
from sounddetect.cli import main

write = soundfile.write

def write_unless_second_clip(file, *args, **kwargs):
    if str(file).endswith("{MUSIC_KIND}_0001.wav.part"):
        os.kill(os.getpid(), signal.SIGTERM)
    return write(file, *args, **kwargs)

soundfile.write = write_unless_second_clip
sys.exit(main(sys.argv[1:]))
"""


def test_sigterm_while_recording_leaves_no_clip_and_ends_as_ctrl_c_does(tmp_path, tracks):
    # GIVEN a corpus, and the music packages unpacked in the cache (no download)
    corpus = synth_corpus(tmp_path / "audio")
    cache = tmp_path / "cache"
    for package, track in zip(TRAINING_MUSIC, list(tracks)[:2], strict=True):
        (cache / package.name / track).parent.mkdir(parents=True)
        (cache / package.name / track).write_bytes(tracks[track])
        (cache / package.name / ".complete").write_text(package.sha256 + "\n")
    # WHEN SIGTERM (timeout's, systemd's) arrives after the first clip is written
    argv = ["recorded", str(corpus), "--music", "2", "--effects", "0", "--cache", str(cache)]
    done = subprocess.run(
        [sys.executable, "-c", TERMINATED_AT_THE_SECOND_CLIP, *argv],
        capture_output=True,
        text=True,
    )
    # THEN the command cleans up as after Ctrl-C, says so in one line, and exits 128 + 15
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    assert done.stderr.splitlines()[-1] == "terminated"
    assert "Traceback" not in done.stderr
    assert sorted(corpus.rglob("*")) == [corpus / "background", corpus / "corpus.json"]


@pytest.mark.parametrize("mirror", ["notaurl", "", "http://", "deb.debian.org/debian"])
def test_a_mirror_that_is_not_a_url_is_a_usage_error(tmp_path, capsys, mirror):
    with pytest.raises(SystemExit) as stopped:
        main(["recorded", str(tmp_path / "audio"), "--mirror", mirror])
    assert stopped.value.code == 2
    assert f"argument --mirror: not a mirror URL: {mirror!r}" in capsys.readouterr().err


def test_the_command_s_help_names_the_library_s_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["recorded", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"music clips, one per track (default: {DEFAULT_MUSIC_CLIPS})" in text
    assert f"sound effect clips, one per effect (default: {DEFAULT_EFFECT_CLIPS})" in text
    assert f"Debian mirror URL (default: {DEBIAN_MIRROR})" in text


STAMPS = "usr/share/tuxpaint/stamps"
#: Sound effects of the fake stamps package, each a tone of its own pitch (Hz).
EFFECT_PITCHES = {
    "animals/cat": 400.0,
    "animals/dog": 700.0,
    "birds/lark": 1000.0,
    "household/kettle": 1300.0,
    "insects/bee": 1600.0,
    "tools/saw": 1900.0,
}


def tone(hz: float, seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return 0.3 * np.sin(2 * np.pi * hz * t)


@pytest.fixture(scope="module")
def stamps() -> dict[str, bytes]:
    """Tux Paint's layout: effects, descriptions in three languages, spoken names and digits,
    and a description with a doubled suffix as the real package has one."""
    files = {f"{STAMPS}/{n}.ogg": ogg_bytes(tone(hz, 0.6)) for n, hz in EFFECT_PITCHES.items()}
    speech = ogg_bytes(tone(200.0, 1.0))
    for name in (
        "animals/cat_desc",
        "animals/cat_desc_fr",
        "animals/dog_desc_es",
        "animals/dog_desc_pt_BR",
        "animals/cat_fr",
        "symbols/math/1",
        "symbols/math/1_fr",
        "town/monuments/inukshuk_desc_da.ogg",
    ):
        files[f"{STAMPS}/{name}.ogg"] = speech
    return files


@pytest.fixture
def stamps_mirror(tmp_path, stamps, tracks):
    root = tmp_path / "mirror"
    music = publish(root, make_deb(tracks))
    effects = publish(root, make_deb(stamps), name="teststamps", glob=f"{STAMPS}/*.ogg")
    return root, music, effects


def test_stamp_sounds_are_sorted_into_descriptions_by_language_and_effects(tmp_path):
    files = [tmp_path / STAMPS / f"{name}.ogg" for name in ("animals/cat_desc", "tools/saw")]
    files += [
        tmp_path / STAMPS / f"{name}.ogg"
        for name in (
            "animals/cat_desc_fr",
            "animals/dog_desc_pt_BR",
            "animals/cat_fr",
            "animals/dog",
            "symbols/math/1",
            "town/monuments/inukshuk_desc_da.ogg",
        )
    ]
    descriptions, effects = sort_stamp_sounds(files)
    assert {lang: [p.name for p in paths] for lang, paths in descriptions.items()} == {
        "en": ["cat_desc.ogg"],
        "fr": ["cat_desc_fr.ogg"],
        "pt_BR": ["dog_desc_pt_BR.ogg"],
    }
    assert [p.name for p in effects] == ["saw.ogg", "dog.ogg"]


def test_effects_are_split_in_alternation_whatever_their_order():
    effects = [Path(f"stamps/{name}.ogg") for name in EFFECT_PITCHES]
    training, held_out = split_effects(effects[::-1])
    assert training == [
        Path(f"stamps/{n}.ogg") for n in ("animals/cat", "birds/lark", "insects/bee")
    ]
    assert held_out == [
        Path(f"stamps/{n}.ogg") for n in ("animals/dog", "household/kettle", "tools/saw")
    ]
    assert split_effects(effects) == (training, held_out)


def strongest_hz(path: Path) -> float:
    """The strongest frequency over a whole clip."""
    y, sr = sf.read(path)
    spectrum = np.abs(np.fft.rfft(y * np.hanning(y.size)))
    return float(np.argmax(spectrum)) * sr / y.size


def test_effect_clips_repeat_a_training_effect_their_manifest_names(tmp_path, stamps_mirror):
    root, music, effects = stamps_mirror
    corpus = tmp_path / "audio"
    summary = make_recorded_clips(
        corpus,
        music=(music,),
        music_count=2,
        effects=effects,
        effect_count=3,
        seed=1,
        cache_dir=tmp_path / "c",
        mirror=root.as_uri(),
    )
    manifest = json.loads((corpus / MANIFEST_NAME).read_text())
    assert summary["written"] == 5 and manifest["clips"] == summary["clips"]
    assert manifest["recipe"]["effects"]["name"] == "teststamps"
    clips = [c for c in manifest["clips"] if c["kind"] == EFFECT_KIND]
    assert [c["path"] for c in clips] == [f"background/{EFFECT_KIND}_{i:04d}.wav" for i in range(3)]
    # The three training effects, once each; never a held-out effect or a voice.
    assert sorted(c["source"]["file"] for c in clips) == [
        f"{STAMPS}/{n}.ogg" for n in ("animals/cat", "birds/lark", "insects/bee")
    ]
    for clip in clips:
        info = sf.info(corpus / clip["path"])
        assert info.samplerate == CLIP_SR and abs(info.duration - clip["duration_s"]) < 1e-3
        # Repeated with 0.3-3 s pauses until the clip (and its pre-roll) is full.
        pauses = clip["source"]["pauses_s"]
        assert all(0.3 <= p <= 3.0 for p in pauses)
        assert 0.0 <= clip["source"]["lead_s"] < 2.0
        heard = clip["source"]["lead_s"] + len(pauses) * 0.6 + sum(pauses)
        assert heard >= clip["duration_s"] > heard - 0.6 - pauses[-1] - 1.7
        name = clip["source"]["file"].removeprefix(f"{STAMPS}/").removesuffix(".ogg")
        assert abs(strongest_hz(corpus / clip["path"]) - EFFECT_PITCHES[name]) < 5.0


def test_more_effect_clips_than_training_effects_are_refused_before_anything_is_written(
    tmp_path, stamps_mirror
):
    root, music, effects = stamps_mirror
    options = {"music": (music,), "effects": effects, "mirror": root.as_uri()}
    with pytest.raises(ParameterError, match="teststamps has 3 training effects"):
        make_recorded_clips(tmp_path / "a", effect_count=4, cache_dir=tmp_path / "c", **options)
    assert not (tmp_path / "a" / "background").exists()


def test_a_failed_download_leaves_the_corpus_as_it_was(tmp_path, stamps_mirror):
    root, music, effects = stamps_mirror
    options = {"music": (music,), "music_count": 1, "effects": effects, "effect_count": 1}
    corpus = tmp_path / "a"
    make_recorded_clips(corpus, cache_dir=tmp_path / "c", mirror=root.as_uri(), **options)
    before = {p.name: p.read_bytes() for p in (corpus / "background").iterdir()}
    manifest = (corpus / MANIFEST_NAME).read_text()
    (root / effects.pool_path).unlink()
    with pytest.raises(TransientError, match="teststamps_1.0_all.deb: download failed"):
        # Another seed and a fresh cache: the clips would be replaced, the package is gone.
        make_recorded_clips(
            corpus,
            seed=1,
            skip_existing=True,
            cache_dir=tmp_path / "fresh",
            mirror=root.as_uri(),
            **options,
        )
    assert {p.name: p.read_bytes() for p in (corpus / "background").iterdir()} == before
    assert (corpus / MANIFEST_NAME).read_text() == manifest


def test_an_effect_clip_no_manifest_lists_is_not_overwritten(tmp_path, stamps_mirror):
    root, music, effects = stamps_mirror
    (tmp_path / "a" / "background").mkdir(parents=True)
    (tmp_path / "a" / "background" / "receffect_0000.wav").write_bytes(b"someone's")
    options = {"music": (music,), "music_count": 0, "effects": effects, "effect_count": 1}
    with pytest.raises(ParameterError, match="receffect_0000.wav exists but no"):
        make_recorded_clips(
            tmp_path / "a",
            skip_existing=True,
            cache_dir=tmp_path / "c",
            mirror=root.as_uri(),
            **options,
        )
    assert (tmp_path / "a" / "background" / "receffect_0000.wav").read_bytes() == b"someone's"


def test_music_clips_of_the_manifest_before_are_replaced_with_skip_existing(tmp_path, mirror):
    """A corpus made by ``sounddetect music`` (before 2026-11-30) needs no --overwrite."""
    root, package = mirror
    corpus = tmp_path / "a"
    (corpus / "background").mkdir(parents=True)
    (corpus / "background" / "recmusic_0000.wav").write_bytes(b"an old clip")
    old = {"recipe": {"seed": 0, "count": 1}, "clips": [{"path": "background/recmusic_0000.wav"}]}
    (corpus / "recorded_music.json").write_text(json.dumps(old))
    options = {"music": (package,), "music_count": 1, "effect_count": 0, "mirror": root.as_uri()}
    options["cache_dir"] = tmp_path / "c"
    with pytest.raises(ParameterError, match="recorded_music.json exists already"):
        make_recorded_clips(corpus, **options)
    assert make_recorded_clips(corpus, skip_existing=True, **options)["written"] == 1
    assert (corpus / "background" / "recmusic_0000.wav").read_bytes() != b"an old clip"
    assert not (corpus / "recorded_music.json").exists()
    assert (corpus / MANIFEST_NAME).exists()


def test_join_with_pauses_puts_a_drawn_pause_after_each_sound():
    rng = np.random.default_rng(0)
    sounds = [np.ones(1000), 2 * np.ones(500), 3 * np.ones(800)]
    y, pauses = join_with_pauses(iter(sounds), n=10**6, pause_s=(0.1, 0.2), rng=rng)
    assert len(pauses) == 3 and all(1600 <= p <= 3200 for p in pauses)
    # The sounds ran out before n: all of them, each followed by its pause.
    assert y.size == 2300 + sum(pauses)
    assert np.array_equal(y[1000 : 1000 + pauses[0]], np.zeros(pauses[0]))
    assert y[1000 + pauses[0]] == 2.0
    # An endless repeat stops at n, and draws no pause once n is reached.
    y, pauses = join_with_pauses(
        itertools.repeat(np.ones(1000)), n=5000, pause_s=(0.1, 0.1), rng=rng
    )
    assert y.size == 5000 and pauses == [1600, 1600]
