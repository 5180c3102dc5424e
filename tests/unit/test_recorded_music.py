"""sounddetect.recorded_music and ``sounddetect music`` on Debian packages built here.

Each test serves a ``.deb`` made in the test (an ``ar`` archive with a ``data.tar.xz``)
from a ``file://`` mirror, so nothing leaves the machine.
"""

import hashlib
import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sounddetect.cli import EXIT_FAILED, main
from sounddetect.exceptions import ParameterError, SoundDetectError, TransientError
from sounddetect.recorded_music import (
    CLIP_SR,
    DEBIAN_MIRROR,
    DEFAULT_CLIP_COUNT,
    KIND,
    MANIFEST_NAME,
    DebianPackage,
    fetch_music,
    make_music_clips,
    read_track,
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


def publish(mirror: Path, deb: bytes, *, name: str = "testmusic") -> DebianPackage:
    pool_path = f"pool/main/t/{name}/{name}_1.0_all.deb"
    (mirror / pool_path).parent.mkdir(parents=True, exist_ok=True)
    (mirror / pool_path).write_bytes(deb)
    return DebianPackage(
        name, "1.0", pool_path, hashlib.sha256(deb).hexdigest(), f"{MUSIC_DIR}/*.ogg", "test"
    )


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
    files = fetch_music(package, cache_dir=tmp_path / "cache", mirror=root.as_uri())
    assert [f.name for f in files] == [
        "jingle.ogg",
        *(f"track{i}.ogg" for i in range(5)),
    ]
    assert not (tmp_path / "cache" / "testmusic" / "usr" / "share" / "doc").exists()
    # Once unpacked, the mirror is not needed.
    (root / package.pool_path).unlink()
    again = fetch_music(package, cache_dir=tmp_path / "cache", mirror=root.as_uri())
    assert again == files


def test_a_download_that_does_not_match_the_checksum_is_refused(tmp_path, mirror):
    root, package = mirror
    wrong = DebianPackage(**{**package.to_dict(), "sha256": "0" * 64})
    with pytest.raises(SoundDetectError, match=r"testmusic_1.0_all.deb: sha256 .* does not match"):
        fetch_music(wrong, cache_dir=tmp_path / "cache", mirror=root.as_uri())
    assert not (tmp_path / "cache" / "testmusic").exists()


def test_an_unreachable_package_is_a_transient_error_naming_the_url(tmp_path, mirror):
    root, package = mirror
    with pytest.raises(TransientError, match=r"missing/pool/main/t/testmusic/.*download failed"):
        fetch_music(package, cache_dir=tmp_path / "cache", mirror=(root / "missing").as_uri())


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
        fetch_music(package, cache_dir=tmp_path / "cache", mirror=(tmp_path / "mirror").as_uri())


def test_read_track_mixes_to_mono_at_the_asked_rate(tmp_path):
    stereo = np.stack([sweep(1000.0, seconds=2.0), -sweep(1000.0, seconds=2.0)], axis=1)
    sf.write(tmp_path / "s.ogg", 0.5 * stereo + 0.1, SR, format="OGG", subtype="VORBIS")
    y = read_track(tmp_path / "s.ogg", sr=16000)
    assert y.ndim == 1 and abs(y.size - 32000) <= 1
    assert abs(np.mean(y) - 0.1) < 0.02  # the channels' opposite tones cancel
    (tmp_path / "bad.ogg").write_bytes(b"OggS broken")
    with pytest.raises(SoundDetectError, match="bad.ogg: cannot decode"):
        read_track(tmp_path / "bad.ogg")


def clip_pitch_hz(path: Path) -> float:
    """The strongest frequency of a clip's first second."""
    y, sr = sf.read(path)
    spectrum = np.abs(np.fft.rfft(y[:sr] * np.hanning(sr)))
    return float(np.argmax(spectrum)) * sr / sr  # bins of 1 Hz: sr samples at sr Hz


def test_clips_come_from_the_stretch_their_manifest_names(tmp_path, mirror):
    root, package = mirror
    corpus = tmp_path / "audio"
    summary = make_music_clips(
        corpus, packages=(package,), count=4, seed=3, cache_dir=tmp_path / "c", mirror=root.as_uri()
    )
    manifest = json.loads((corpus / MANIFEST_NAME).read_text())
    assert summary["written"] == 4 and manifest["clips"] == summary["clips"]
    assert [c["path"] for c in manifest["clips"]] == [
        f"background/{KIND}_{i:04d}.wav" for i in range(4)
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
    options = {"packages": (package,), "count": 2, "cache_dir": tmp_path / "c"}
    options["mirror"] = root.as_uri()
    make_music_clips(tmp_path / "a", seed=5, **options)
    make_music_clips(tmp_path / "b", seed=5, **options)
    for name in ("recmusic_0000.wav", "recmusic_0001.wav"):
        a = (tmp_path / "a" / "background" / name).read_bytes()
        assert a == (tmp_path / "b" / "background" / name).read_bytes()
    with pytest.raises(ParameterError, match="--skip-existing"):
        make_music_clips(tmp_path / "a", seed=5, **options)
    assert make_music_clips(tmp_path / "a", seed=5, skip_existing=True, **options)["written"] == 0
    # Kept only while the recipe is the same: clips of another seed replace this one's.
    assert make_music_clips(tmp_path / "b", seed=7, skip_existing=True, **options)["written"] == 2
    assert json.loads((tmp_path / "b" / MANIFEST_NAME).read_text())["recipe"]["seed"] == 7
    # Another recipe replaces the clips it wrote before, and only those.
    (tmp_path / "a" / "background" / "fan_0000.wav").write_bytes(b"the user's")
    replaced = make_music_clips(
        tmp_path / "a",
        seed=6,
        count=1,
        overwrite=True,
        **{k: v for k, v in options.items() if k != "count"},
    )
    assert [c["path"] for c in replaced["clips"]] == ["background/recmusic_0000.wav"]
    assert not (tmp_path / "a" / "background" / "recmusic_0001.wav").exists()
    assert (tmp_path / "a" / "background" / "fan_0000.wav").read_bytes() == b"the user's"


def test_a_clip_name_no_manifest_lists_is_not_overwritten(tmp_path, mirror):
    root, package = mirror
    (tmp_path / "a" / "background").mkdir(parents=True)
    (tmp_path / "a" / "background" / "recmusic_0000.wav").write_bytes(b"someone's")
    options = {"packages": (package,), "count": 1, "cache_dir": tmp_path / "c"}
    options["mirror"] = root.as_uri()
    with pytest.raises(ParameterError, match="recmusic_0000.wav exists but no"):
        make_music_clips(tmp_path / "a", skip_existing=True, **options)
    assert (tmp_path / "a" / "background" / "recmusic_0000.wav").read_bytes() == b"someone's"
    assert make_music_clips(tmp_path / "a", overwrite=True, **options)["written"] == 1


def test_asking_for_more_clips_than_tracks_leaves_nothing_behind(tmp_path, mirror):
    root, package = mirror
    with pytest.raises(ParameterError, match="only 5 of the packages' 6 tracks"):
        make_music_clips(
            tmp_path / "a",
            packages=(package,),
            count=6,
            cache_dir=tmp_path / "c",
            mirror=root.as_uri(),
        )
    assert list((tmp_path / "a" / "background").iterdir()) == []
    assert not (tmp_path / "a" / MANIFEST_NAME).exists()


@pytest.mark.parametrize("count", [0, 1.5, True])
def test_bad_counts_are_refused(tmp_path, count):
    with pytest.raises(ParameterError, match="count"):
        make_music_clips(tmp_path, count=count)


def test_the_command_names_the_package_it_could_not_fetch(tmp_path, capsys):
    code = main(["music", str(tmp_path / "audio"), "--mirror", (tmp_path / "none").as_uri()])
    assert code == EXIT_FAILED
    err = capsys.readouterr().err
    assert "wesnoth-1.16-music_1.16.9-1_all.deb: download failed" in err
    assert not (tmp_path / "audio" / MANIFEST_NAME).exists()


def test_the_command_s_help_names_the_library_s_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["music", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"clips, one per track (default: {DEFAULT_CLIP_COUNT})" in text
    assert f"Debian mirror URL (default: {DEBIAN_MIRROR})" in text
