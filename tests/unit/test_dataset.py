"""Datasets: layout, side files, manifests, splits, determinism, rebuilding, bad input."""

import dataclasses
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from helpers.permissions import run_as_a_user
from helpers.signals import encode_with_ffmpeg

from sounddetect import dataset as dataset_module
from sounddetect.audio import CLIPPED_SHARE, LevelMeter
from sounddetect.dataset import (
    DATASET_FORMAT,
    SAMPLE_COLUMNS,
    SPLITS,
    STAGING,
    GeneratorSettings,
    assign_splits,
    dataset_config,
    generate_dataset,
    image_path,
    load_sources,
    read_dataset_info,
    read_samples,
    rebuild_sample,
    source_digests,
    type_folder,
)
from sounddetect.exceptions import AudioError, ParameterError, SoundDetectWarning
from sounddetect.ffmpeg import FFMPEG_ENV
from sounddetect.mixing import source_kind
from sounddetect.spectrum import (
    SpectrogramConfig,
    decode_png,
    encode_png,
    image_row_frequencies,
    render_spectrogram,
)
from sounddetect.train import data_hash

SR = 16000
TYPES = ("mel", "mfcc")
#: What TARGET_PATH holds once a dataset of one type is written (its tree is TARGET_PATH's own).
ONE_TYPE_LAYOUT = [
    "dataset.json",
    "manifests",
    "run.json",
    "samples.csv",
    "test",
    "train",
    "validate",
]


def write_beeps(path: Path, *, seconds: float, freq: float, sr: int = SR, channels: int = 1):
    t = np.arange(int(seconds * sr)) / sr
    y = 0.3 * np.sin(2 * np.pi * freq * t) * ((t % 1.0) < 0.5)
    sf.write(path, np.repeat(y[:, None], channels, axis=1), sr)


def write_noise(path: Path, *, seconds: float, seed: int, sr: int = SR, channels: int = 1):
    rng = np.random.default_rng(seed)
    sf.write(path, rng.normal(0, 0.05, (int(seconds * sr), channels)), sr)


def write_corpus(root: Path) -> tuple[Path, Path]:
    """Four beeping alarms and three background kinds of three recordings each."""
    alarms, backgrounds = root / "alarms", root / "background"
    alarms.mkdir(parents=True)
    backgrounds.mkdir(parents=True)
    for i in range(4):
        write_beeps(alarms / f"piezo_{i:02d}.wav", seconds=5.0, freq=2800 + 150 * i)
    for k, kind in enumerate(("noise", "fan", "tv")):
        for i in range(3):
            write_noise(backgrounds / f"{kind}_{i:02d}.wav", seconds=5.0, seed=10 * k + i)
    return alarms, backgrounds


def settings(alarms, backgrounds, target, **changes):
    values = {
        "alarm_source": alarms,
        "background_source": backgrounds,
        "target_path": target,
        "seed": 3,
        "samples_per_layer": 10,
        "max_background_layers": 2,
        "types": TYPES,
        "workers": 1,
    }
    return GeneratorSettings(**{**values, **changes})


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def dataset(corpus, tmp_path_factory):
    target = tmp_path_factory.mktemp("data") / "training-data"
    summary = generate_dataset(settings(*corpus, target), progress=False)
    return target, summary


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != "run.json"
    }


def test_layout_has_an_image_per_sample_and_type(dataset):
    target, summary = dataset
    rows = read_samples(target)
    assert len(rows) == summary["samples"] == 20
    for kind in TYPES:
        pngs = sorted(target.glob(f"{kind}/*/*/*.png"))
        assert len(pngs) == len(rows)
        for row in rows:
            path = image_path(type_folder(target, kind), row)
            assert path == target / kind / row["split"] / row["label"] / f"{row['sample_id']}.png"
            image = decode_png(path.read_bytes())
            assert image.shape == (128, 128)
    assert {p.name for p in target.iterdir()} == {*TYPES, "dataset.json", "samples.csv", "run.json"}


def test_samples_csv_has_the_documented_columns_and_balanced_labels(dataset):
    target, _ = dataset
    rows = read_samples(target)
    assert tuple(rows[0]) == SAMPLE_COLUMNS
    assert sum(row["label"] == "alarm" for row in rows) == 10
    for row in rows:
        assert row["background_kinds"].split(";") == [
            source_kind(name) for name in row["background_files"].split(";")
        ]
        # Every alarm has its file and ratio; a non-alarm may hold an alarm snippet, with both.
        assert (row["snr_db"] != "") == (row["alarm_file"] != "")
        assert row["label"] == "no_alarm" or row["alarm_file"] != ""
        assert int(row["n_layers"]) == len(row["background_files"].split(";"))


def test_samples_csv_records_where_the_alarm_sounds(dataset, corpus):
    # The corpus alarms beep 0.5 s on, 0.5 s off from 0 s: the recorded times must be those
    # beeps, moved from the clip's time to the window's.
    target, _ = dataset
    rows = [row for row in read_samples(target) if row["alarm_file"]]
    assert any(row["label"] == "alarm" for row in rows)
    for row in rows:
        intervals = [
            tuple(map(float, pair.split(":"))) for pair in row["alarm_sounding_s"].split(";")
        ]
        offset, onset = float(row["alarm_offset_s"]), float(row["alarm_onset_s"])
        end = onset + float(row["alarm_duration_s"])
        assert intervals, row["sample_id"]
        for start, stop in intervals:
            assert onset - 1e-3 <= start < stop <= end + 1e-3
            # In the clip, the interval is one beep or part of it, k to k + 0.5 s (frames of
            # 16 ms round its edges outwards).
            clip_start, clip_stop = start - onset + offset, stop - onset + offset
            beep = round(clip_start)
            assert beep - 0.016 <= clip_start and clip_stop <= beep + 0.5 + 0.016
    others = [row for row in read_samples(target) if not row["alarm_file"]]
    assert all(row["alarm_sounding_s"] == "" for row in others)


def test_alarm_samples_of_recordings_made_in_room_noise_hold_the_alarm(tmp_path):
    # GIVEN a user's own alarm recordings: 20 s of a plant room's hiss 15 dB under the
    # beeps, with one temporal-three group at 8-10.5 s
    alarms, backgrounds = tmp_path / "alarms", tmp_path / "background"
    alarms.mkdir()
    backgrounds.mkdir()
    rng = np.random.default_rng(5)
    t = np.arange(20 * SR) / SR
    beeps = [(8.0, 8.5), (9.0, 9.5), (10.0, 10.5)]
    gate = np.any([(t >= a) & (t < b) for a, b in beeps], axis=0)
    for i in range(4):
        tone = 0.5 * np.sin(2 * np.pi * (3000 + 50 * i) * t) * gate
        hiss = np.sqrt(0.125 * 10 ** (-15 / 10)) * rng.standard_normal(t.size)
        sf.write(alarms / f"stairwell-{i}.wav", (tone + hiss).astype(np.float32), SR)
    for i in range(4):
        write_noise(backgrounds / f"plantroom-{i}.wav", seconds=8.0, seed=i)
    # WHEN training data is made of them
    target = tmp_path / "training-data"
    generate_dataset(
        settings(alarms, backgrounds, target, types=("mel",), split=(1.0, 0.0, 0.0)),
        progress=False,
    )
    # THEN every alarm sample's excerpt holds a beep: the hiss, within 20 dB of the beeps,
    # had counted as alarm sound, and most alarm samples had held none
    rows = [row for row in read_samples(target) if row["label"] == "alarm"]
    assert rows
    for row in rows:
        start = float(row["alarm_offset_s"])
        end = start + float(row["alarm_duration_s"])
        assert any(min(b, end) - max(a, start) > 0.1 for a, b in beeps), row["sample_id"]


def test_dataset_json_records_configs_sources_and_counts(dataset, corpus):
    target, summary = dataset
    info = read_dataset_info(target)
    assert info["format"] == DATASET_FORMAT and info["complete"] is True
    assert info["seed"] == 3
    for kind in TYPES:
        config = SpectrogramConfig.from_dict(info["configs"][kind])
        assert config == SpectrogramConfig(kind=kind, sr=SR, duration=4.0)
    assert len(info["sources"]) == 13
    assert all(len(entry["sha256"]) == 64 for entry in info["sources"])
    test = source_digests(target, splits=("test",))
    heard = source_digests(target, splits=("train", "validate"))
    assert test and heard and not set(test) & set(heard)
    assert sorted(test + heard) == sorted(entry["sha256"] for entry in info["sources"])
    assert info["counts"] == summary["counts"]
    assert sum(sum(c.values()) for c in info["counts"]["by_split"].values()) == 20
    assert info["settings"]["alarm_source"] == str(corpus[0].resolve())
    run = json.loads((target / "run.json").read_text())
    assert run["images"] == 40 and run["images_per_second"] > 0


def test_manifests_list_every_image_of_their_split(dataset):
    target, _ = dataset
    rows = read_samples(target)
    for kind in TYPES:
        for split in SPLITS:
            lines = (target / kind / "manifests" / f"{split}.manifest").read_text().splitlines()
            expected = [row for row in rows if row["split"] == split]
            assert len(lines) == len(expected)
            for line, row in zip(lines, expected, strict=True):
                entry = json.loads(line)
                assert (target / entry["source-ref"]) == image_path(type_folder(target, kind), row)
                assert entry["sound-label"] == (row["label"] == "alarm")
                metadata = entry["sound-label-metadata"]
                assert metadata["class-name"] == row["label"]
                assert metadata["type"] == "groundtruth/image-classification"
                assert metadata["human-annotated"] == "yes"


def test_no_recording_sits_in_two_splits(dataset):
    target, _ = dataset
    info = read_dataset_info(target)
    split_of = {entry["file"]: entry["split"] for entry in info["sources"]}
    used_in = {}
    for row in read_samples(target):
        for name in [row["alarm_file"], *row["background_files"].split(";")]:
            if name:
                used_in.setdefault(name, set()).add(row["split"])
    assert used_in
    for name, splits in used_in.items():
        assert splits == {split_of[name]}, name
    for split in SPLITS:
        roles = {e["role"] for e in info["sources"] if e["split"] == split}
        assert roles == {"alarm", "background"}, split


def test_same_seed_gives_byte_identical_output_whatever_the_workers(dataset, corpus, tmp_path):
    target, _ = dataset
    again = tmp_path / "again"
    generate_dataset(settings(*corpus, again, workers=2), progress=False)
    assert files_of(again) == files_of(target)
    other = tmp_path / "other-seed"
    generate_dataset(settings(*corpus, other, seed=4), progress=False)
    assert files_of(other)["samples.csv"] != files_of(target)["samples.csv"]


def test_the_same_data_made_in_another_checkout_has_the_same_hash(corpus, tmp_path):
    # GIVEN the corpus, with a file that is not audio among its recordings, in two checkouts
    # at different depths (or on two machines), and the dataset made in each
    made = []
    for checkout in (tmp_path / "one", tmp_path / "two" / "deeper"):
        audio = checkout / "audio"
        shutil.copytree(corpus[0].parent, audio)
        (audio / "alarms" / "notes.wav").write_text("not audio")
        made.append(checkout / "training-data")
        with pytest.warns(SoundDetectWarning, match="notes.wav: skipped"):
            generate_dataset(
                settings(audio / "alarms", audio / "background", made[-1]), progress=False
            )
    one, two = made
    # THEN only dataset.json, which names the folders and the skipped file, differs, and the
    # data hash does not
    assert {name for name, data in files_of(one).items() if files_of(two)[name] != data} == {
        "dataset.json"
    }
    assert data_hash(one) == data_hash(two)
    # AND a change to what the data is, not where it was made, still counts
    info = json.loads((two / "dataset.json").read_text())
    info["settings"]["snr_db"] = [0.0, 20.0]
    (two / "dataset.json").write_text(json.dumps(info))
    assert data_hash(one) != data_hash(two)


def test_rebuilt_samples_render_to_the_same_bytes(dataset):
    target, _ = dataset
    config = SpectrogramConfig(kind="mel", sr=SR, duration=4.0)
    rows = read_samples(target)
    snippet = next(row for row in rows if row["label"] == "no_alarm" and row["alarm_file"])
    for row in [rows[0], rows[1], rows[-1], snippet]:
        y = rebuild_sample(target, row["sample_id"])
        png = encode_png(render_spectrogram(y, config=config))
        assert png == image_path(type_folder(target, "mel"), row).read_bytes()
    with pytest.raises(ParameterError, match="no sample 'nope'"):
        rebuild_sample(target, "nope")


def test_a_source_folder_of_links_to_recordings_kept_elsewhere(tmp_path):
    # GIVEN background clips that are links to recordings in another folder
    alarms, backgrounds = write_corpus(tmp_path / "corpus")
    elsewhere = tmp_path / "archive"
    elsewhere.mkdir()
    for clip in sorted(backgrounds.glob("tv_*.wav")):
        clip.rename(elsewhere / clip.name)
        clip.symlink_to(elsewhere / clip.name)
    target = tmp_path / "data"
    # WHEN the dataset is generated THEN the links are named as they lie in their folder,
    # and a sample mixed from one is rebuilt exactly
    generate_dataset(settings(alarms, backgrounds, target, types=("mel",)), progress=False)
    rows = read_samples(target)
    row = next(row for row in rows if "background/tv_" in row["background_files"])
    assert all(name.startswith("background/") for name in row["background_files"].split(";"))
    config = SpectrogramConfig(kind="mel", sr=SR, duration=4.0)
    png = encode_png(render_spectrogram(rebuild_sample(target, row["sample_id"]), config=config))
    assert png == image_path(type_folder(target, "mel"), row).read_bytes()


def test_a_linked_folder_of_sources_is_followed(tmp_path):
    # GIVEN alarm clips of one kind kept in another folder, linked into the alarm folder
    alarms, backgrounds = write_corpus(tmp_path / "corpus")
    elsewhere = tmp_path / "t4_archive"
    elsewhere.mkdir()
    for clip in sorted(alarms.glob("piezo_0[0-2].wav")):
        clip.rename(elsewhere / clip.name)
    (alarms / "linked").symlink_to(elsewhere)
    (elsewhere / "back").symlink_to(alarms)  # and a link back up the tree
    # WHEN the sources are loaded THEN the linked clips are among them, each once
    sources = load_sources(alarms, backgrounds, sample_duration=4.0)
    names = [clip.name for clip in sources.clips["alarm"]]
    linked = [name for name in names if name.startswith("alarms/linked/")]
    assert len(linked) == 3 and len(names) == len(set(names))
    assert len(names) == len(list(alarms.glob("*.wav"))) + 3


def test_copies_of_a_source_are_skipped_naming_the_first(tmp_path):
    # GIVEN a backup copy of an alarm clip in a sub-folder, and the same clip among the
    # backgrounds
    alarms, backgrounds = write_corpus(tmp_path / "corpus")
    (alarms / "spare").mkdir()
    original = alarms / "piezo_01.wav"
    (alarms / "spare" / "piezo_01.wav").write_bytes(original.read_bytes())
    (backgrounds / "tv_99.wav").write_bytes(original.read_bytes())
    # WHEN the sources are loaded
    with pytest.warns(SoundDetectWarning) as caught:
        sources = load_sources(alarms, backgrounds, sample_duration=4.0)
    # THEN each copy is skipped, and would neither sit in two splits nor be a background
    messages = sorted(str(w.message) for w in caught)
    assert messages == [
        f"{alarms / 'spare' / 'piezo_01.wav'}: skipped: the same file as alarms/piezo_01.wav",
        f"{backgrounds / 'tv_99.wav'}: skipped: the same file as alarms/piezo_01.wav",
    ]
    names = {entry["file"] for entry in sources.files}
    assert "alarms/piezo_01.wav" in names
    assert not {"alarms/spare/piezo_01.wav", "background/tv_99.wav"} & names


def test_a_semicolon_in_a_folder_name_is_skipped_as_in_a_file_name(tmp_path):
    # samples.csv joins a sample's background files with ";"
    alarms, backgrounds = write_corpus(tmp_path / "corpus")
    evening = backgrounds / "living room; evening"
    evening.mkdir()
    write_noise(evening / "tv_50.wav", seconds=6.0, seed=50)
    with pytest.warns(SoundDetectWarning, match=r"tv_50\.wav: skipped: ';' in the file or folder"):
        sources = load_sources(alarms, backgrounds, sample_duration=4.0)
    assert not any(";" in clip.name for clip in sources.clips["background"])


def test_splits_too_small_for_both_labels_are_said(corpus, tmp_path):
    # GIVEN 4 samples per layer count over 0.7/0.15/0.15: validate and test get none
    target = tmp_path / "data"
    with pytest.warns(SoundDetectWarning) as caught:
        generate_dataset(
            settings(*corpus, target, types=("mel",), samples_per_layer=4), progress=False
        )
    (message,) = [str(w.message) for w in caught if "too few" in str(w.message)]
    assert message.startswith(
        f"{target}: --samples-per-layer 4 over the split 0.7/0.15/0.15 gives validate 0 and test "
        "0 samples per layer count, too few for an alarm and a non-alarm;"
    )
    assert "raise --samples-per-layer" in message
    assert {row["split"] for row in read_samples(target)} == {"train"}


def test_a_train_split_over_rekognitions_manifest_limit_is_said(corpus, tmp_path, monkeypatch):
    # GIVEN a manifest limit below the train split's images (250,000 would take hours here)
    monkeypatch.setattr(dataset_module, "REKOGNITION_MANIFEST_LINES", 20)
    target = tmp_path / "data"
    with pytest.warns(SoundDetectWarning) as caught:
        generate_dataset(
            settings(*corpus, target, types=("mel",), samples_per_layer=20), progress=False
        )
    # THEN one line says so before rendering, with the count the manifest then holds
    (message,) = [str(w.message) for w in caught if "Rekognition" in str(w.message)]
    lines = (target / "manifests" / "train.manifest").read_text().splitlines()
    assert message == (
        f"{target}: the train split will hold {len(lines):,} images per type, and its manifest "
        "as many lines; Rekognition Custom Labels imports at most 20: `sounddetect train` "
        "takes them all, but for Rekognition lower --samples-per-layer"
    )
    assert len(lines) > 20


def test_a_train_split_within_the_manifest_limit_is_not_warned_of(corpus, tmp_path, monkeypatch):
    monkeypatch.setattr(dataset_module, "REKOGNITION_MANIFEST_LINES", 28)
    target = tmp_path / "data"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        generate_dataset(
            settings(*corpus, target, types=("mel",), samples_per_layer=20), progress=False
        )
    assert (
        len((target / "manifests" / "train.manifest").read_text().splitlines()) == 28
    )  # at the limit
    assert not [w for w in caught if "Rekognition" in str(w.message)]


def test_a_target_path_inside_a_file_is_refused(corpus, tmp_path):
    (tmp_path / "notes").write_text("a file, not a folder")
    target = tmp_path / "notes" / "data"
    with pytest.raises(ParameterError) as caught:
        generate_dataset(settings(*corpus, target, types=("mel",)), progress=False)
    assert str(caught.value) == (
        f"{target}: TARGET_PATH lies inside {tmp_path / 'notes'}, which is a file"
    )


def test_rebuild_refuses_a_changed_source(corpus, tmp_path):
    alarms, backgrounds = write_corpus(tmp_path / "corpus")
    target = tmp_path / "data"
    generate_dataset(settings(alarms, backgrounds, target, types=("mel",)), progress=False)
    row = next(row for row in read_samples(target) if row["label"] == "alarm")
    write_beeps(tmp_path / "corpus" / row["alarm_file"], seconds=5.0, freq=1000)
    with pytest.raises(AudioError, match="changed since the dataset was generated"):
        rebuild_sample(target, row["sample_id"])


def test_manifests_use_the_s3_prefix_and_a_test_only_split(corpus, tmp_path):
    target = tmp_path / "holdout"
    prefix = "s3://bucket/data/"
    generate_dataset(
        settings(*corpus, target, types=("mel",), split=(0, 0, 1), s3_prefix=prefix),
        progress=False,
    )
    assert {row["split"] for row in read_samples(target)} == {"test"}
    # one type: its tree is the dataset's own (DESIGN.md), and so are the paths
    assert (target / "manifests" / "train.manifest").read_text() == ""
    entry = json.loads((target / "manifests" / "test.manifest").read_text().split("\n")[0])
    assert entry["source-ref"].startswith("s3://bucket/data/test/")


# -- splits -----------------------------------------------------------------------------------


def test_splits_are_stratified_by_kind_and_deterministic():
    names = [f"{kind}_{i}.wav" for kind in ("fan", "tv", "rain") for i in range(5)]
    names += ["chirp_0.wav"]
    splits = assign_splits(names, fractions=(0.7, 0.15, 0.15), seed=1)
    assert splits == assign_splits(list(reversed(names)), fractions=(0.7, 0.15, 0.15), seed=1)
    assert set(splits) == set(names)
    for kind in ("fan", "tv", "rain"):
        assert {splits[f"{kind}_{i}.wav"] for i in range(5)} == set(SPLITS)
    assert sum(split == "train" for split in splits.values()) >= 10


def test_splits_fill_every_used_split_or_refuse():
    splits = assign_splits(["a_1.wav", "a_2.wav", "a_3.wav"], fractions=(0.9, 0.05, 0.05), seed=0)
    assert sorted(splits.values()) == sorted(SPLITS)
    assert set(assign_splits(["a_1.wav"], fractions=(0, 0, 1), seed=0).values()) == {"test"}
    with pytest.raises(ParameterError, match="2 usable alarm file"):
        assign_splits(["a_1.wav", "b_1.wav"], fractions=(0.7, 0.15, 0.15), seed=0, role="alarm")


# -- bad input --------------------------------------------------------------------------------


def test_missing_and_empty_source_folders_are_usage_errors(tmp_path):
    alarms, backgrounds = write_corpus(tmp_path / "corpus")
    with pytest.raises(ParameterError, match="missing.*alarm source folder does not exist"):
        load_sources(tmp_path / "missing", backgrounds)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ParameterError, match="empty: background source folder is empty"):
        load_sources(alarms, tmp_path / "empty")
    with pytest.raises(ParameterError, match="overlap"):
        load_sources(alarms, tmp_path / "corpus")


def test_unusable_files_are_skipped_with_a_warning_naming_them(tmp_path):
    alarms, backgrounds = write_corpus(tmp_path / "corpus")
    (alarms / "notes.txt").write_text("not audio")
    (alarms / "empty_0.wav").write_bytes(b"")
    (alarms / "garbage_0.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunk" * 10)
    whole = (alarms / "piezo_00.wav").read_bytes()
    (alarms / "truncated_0.wav").write_bytes(whole[:44] + b"\x00")
    sf.write(alarms / "silent_0.wav", np.zeros(SR * 3), SR)
    write_noise(backgrounds / "short_0.wav", seconds=2.0, seed=1)
    (alarms / ".hidden.wav").write_bytes(b"")
    write_beeps(alarms / "click_0.wav", seconds=0.5, freq=3000)
    write_beeps(alarms / "latin1.wav", seconds=5.0, freq=3000)
    (alarms / "latin1.wav").rename(alarms / os.fsdecode(b"caf\xe9_0.wav"))
    (alarms / "on_the_share_0.wav").symlink_to(tmp_path / "unmounted" / "beeps.wav")
    with pytest.warns(SoundDetectWarning) as caught:
        sources = load_sources(alarms, backgrounds, sample_duration=4.0)
    messages = "\n".join(str(w.message) for w in caught)
    for name, reason in [
        ("notes.txt", "not an audio file name"),
        ("empty_0.wav", "empty"),
        ("garbage_0.wav", ""),
        ("truncated_0.wav", ""),
        ("silent_0.wav", "silent"),
        ("short_0.wav", "shorter than SAMPLE_DURATION (2.00 s < 4 s)"),
        ("on_the_share_0.wav", f"a link to {tmp_path}/unmounted/beeps.wav, which does not exist"),
        ("click_0.wav", "too short to hold an alarm (0.50 s < 1 s)"),
        (os.fsdecode(b"caf\xe9_0.wav"), "file name not in UTF-8; rename it"),
    ]:
        assert f"{name}: skipped: {reason}" in messages, name
    assert ".hidden" not in messages
    assert len(caught) == 9
    assert len(sources.clips["alarm"]) == 4 and len(sources.clips["background"]) == 9
    assert {entry["file"].split("/")[-1] for entry in sources.skipped} == {
        "notes.txt",
        "empty_0.wav",
        "garbage_0.wav",
        "truncated_0.wav",
        "silent_0.wav",
        "short_0.wav",
        "on_the_share_0.wav",
        "click_0.wav",
        os.fsdecode(b"caf\xe9_0.wav"),
    }


@pytest.mark.parametrize("ffmpeg", ["on", "off"])
def test_phone_recordings_are_sources_when_ffmpeg_decodes_them(tmp_path, monkeypatch, ffmpeg):
    # GIVEN the user's own alarm recorded on a phone (AAC in M4A) among the WAV sources
    alarms, backgrounds = write_corpus(tmp_path / "corpus")
    beeps = sf.read(alarms / "piezo_00.wav", dtype="float32")[0]
    encode_with_ffmpeg(alarms / "phone_00.m4a", beeps, SR, "-c:a", "aac")
    if ffmpeg == "off":
        monkeypatch.setenv(FFMPEG_ENV, "off")
    else:
        monkeypatch.delenv(FFMPEG_ENV, raising=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sources = load_sources(alarms, backgrounds, sr=SR)
    messages = [str(w.message) for w in caught if issubclass(w.category, SoundDetectWarning)]
    # THEN with ffmpeg it is decoded like the WAVs; without it, it is skipped with its codec
    if ffmpeg == "on":
        assert messages == []
        decoded = sources.audio["alarms/phone_00.m4a"]
        assert len(decoded) == pytest.approx(len(beeps), abs=0.1 * SR)  # AAC pads the end
    else:
        assert "alarms/phone_00.m4a" not in sources.audio
        (message,) = messages
        assert "phone_00.m4a: skipped: unsupported codec: MP4/M4A" in message


def test_a_folder_with_nothing_usable_fails(tmp_path):
    alarms, backgrounds = write_corpus(tmp_path / "corpus")
    shutil.rmtree(alarms)
    alarms.mkdir()
    (alarms / "a.txt").write_text("x")
    (alarms / "b_0.wav").write_bytes(b"not a wav")
    with pytest.warns(SoundDetectWarning), pytest.raises(AudioError, match="no usable alarm"):
        load_sources(alarms, backgrounds)


def test_mixed_rates_are_resampled_and_channels_kept(tmp_path):
    alarms, backgrounds = write_corpus(tmp_path / "corpus")
    write_beeps(alarms / "piezo_8k.wav", seconds=5.0, freq=2000, sr=8000, channels=2)
    write_noise(backgrounds / "fan_96k.wav", seconds=5.0, seed=5, sr=96000, channels=3)
    sources = load_sources(alarms, backgrounds, sr=SR)
    assert sources.audio["alarms/piezo_8k.wav"].shape == (2, 5 * SR)
    assert sources.audio["background/fan_96k.wav"].shape == (3, 5 * SR)
    assert sources.audio["alarms/piezo_00.wav"].shape == (5 * SR,)
    assert {clip.n_samples for clips in sources.clips.values() for clip in clips} == {5 * SR}
    target = tmp_path / "data"
    generate_dataset(settings(alarms, backgrounds, target, types=("mel",)), progress=False)
    rows = read_samples(target)
    assert len(rows) == 20
    config = SpectrogramConfig(kind="mel", sr=SR, duration=4.0)
    wide = [row for row in rows if "_8k" in row["alarm_file"] or "_96k" in row["background_files"]]
    assert wide
    for row in wide:
        y = rebuild_sample(target, row["sample_id"])
        assert y.shape == (3 if "_96k" in row["background_files"] else 2, 4 * SR)
        png = encode_png(render_spectrogram(y, config=config))
        assert png == image_path(type_folder(target, "mel"), row).read_bytes()


def test_an_alarm_in_antiphase_between_channels_is_kept(tmp_path):
    """A stereo recording whose second microphone is wired with inverted polarity averages
    to silence; mixed channel by channel and combined in power, its tone is in the image."""
    alarms, backgrounds = write_corpus(tmp_path / "corpus")
    for path in alarms.iterdir():
        path.unlink()
    t = np.arange(5 * SR) / SR
    freqs = {f"piezo_{i:02d}.wav": 2700.0 + 300 * i for i in range(3)}
    for name, freq in freqs.items():
        y = 0.3 * np.sin(2 * np.pi * freq * t) * ((t % 1.0) < 0.5)
        sf.write(alarms / name, np.stack([y, -y], axis=1), SR)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SoundDetectWarning)
        sources = load_sources(alarms, backgrounds, sr=SR)
    assert len(sources.clips["alarm"]) == 3
    target = tmp_path / "data"
    generate_dataset(settings(alarms, backgrounds, target, types=("mel",)), progress=False)
    config = SpectrogramConfig(kind="mel", sr=SR, duration=4.0)
    rows_hz = image_row_frequencies(config)
    alarm_rows = [row for row in read_samples(target) if row["label"] == "alarm"]
    assert alarm_rows
    for row in alarm_rows:
        freq = freqs[Path(row["alarm_file"]).name]
        image = decode_png(image_path(type_folder(target, "mel"), row).read_bytes()).astype(float)
        tone = image[np.abs(rows_hz - freq) < 60].max(axis=1)
        # The tone's rows reach the window's loudest bin, 50-130 grey levels over the median
        # (white noise fills every row, 5 dB over the tone at the lowest ratio).
        assert tone.max() > 240, row["sample_id"]
        assert tone.max() - np.median(image) > 40, row["sample_id"]


@pytest.mark.parametrize(
    ("target", "match"),
    [
        ("corpus/background/training-data", "lies inside the background source"),
        ("corpus/alarms", "lies inside the alarm source"),
        ("corpus", "holds the alarm source"),
    ],
)
def test_a_target_inside_or_around_the_sources_is_refused(tmp_path, target, match):
    # A dataset inside a source folder would be scanned as recordings by the next run (a
    # warning line for each of its 24,000 images); one around them could be cleared.
    alarms, backgrounds = write_corpus(tmp_path / "corpus")
    before = files_of(tmp_path)
    with pytest.raises(ParameterError, match=match):
        generate_dataset(settings(alarms, backgrounds, tmp_path / target), progress=False)
    assert files_of(tmp_path) == before


def test_an_existing_target_is_refused_without_overwrite(dataset, corpus):
    target, _ = dataset
    before = files_of(target)
    with pytest.raises(ParameterError, match="exists and is not empty; use --overwrite"):
        generate_dataset(settings(*corpus, target), progress=False)
    assert files_of(target) == before


def test_overwrite_replaces_our_dataset_and_keeps_other_files(corpus, tmp_path):
    # GIVEN a dataset of two types, a tree in a folder of each, and the user's notes beside
    target = tmp_path / "data"
    generate_dataset(settings(*corpus, target, types=("mel", "mfcc")), progress=False)
    (target / "notes.md").write_text("mine")
    own = {"dataset.json", "samples.csv", "run.json", "notes.md"}
    assert {p.name for p in target.iterdir()} == own | {"mel", "mfcc"}
    # WHEN it is replaced by one of one type, THEN that tree is the dataset's own
    generate_dataset(settings(*corpus, target, types=("mel",), overwrite=True), progress=False)
    assert (target / "notes.md").read_text() == "mine"
    assert {p.name for p in target.iterdir()} == own | {"train", "validate", "test", "manifests"}
    assert read_dataset_info(target)["settings"]["types"] == ["mel"]
    assert type_folder(target, "mel") == target
    # AND back to two types, each in its folder again
    generate_dataset(
        settings(*corpus, target, types=("mfcc", "mel"), overwrite=True), progress=False
    )
    assert (target / "notes.md").read_text() == "mine"
    assert {p.name for p in target.iterdir()} == own | {"mel", "mfcc"}
    assert type_folder(target, "mfcc") == target / "mfcc"


def test_a_dataset_of_one_type_in_its_own_folder_is_read_and_replaced(corpus, tmp_path):
    # GIVEN a dataset of one type as sounddetect wrote it before 2026-12-03: in mel/
    target = tmp_path / "data"
    generate_dataset(settings(*corpus, target, types=("mel",)), progress=False)
    (target / "mel").mkdir()
    for name in ("train", "validate", "test", "manifests"):
        (target / name).rename(target / "mel" / name)
    (target / "notes.md").write_text("mine")
    # THEN its images are found there
    mel = type_folder(target, "mel")
    assert mel == target / "mel"
    assert all(image_path(mel, row).is_file() for row in read_samples(target))
    # AND --overwrite replaces it with the tree at TARGET_PATH, the notes kept
    generate_dataset(settings(*corpus, target, types=("mel",), overwrite=True), progress=False)
    assert not (target / "mel").exists() and type_folder(target, "mel") == target
    assert (target / "notes.md").read_text() == "mine"
    assert all(image_path(target, row).is_file() for row in read_samples(target))


def interrupted_after(n_chunks, real_render_all):
    """A stand-in for ``_render_all`` that yields the first ``n_chunks`` chunks, then is
    interrupted (Ctrl-C, SIGTERM)."""

    def interrupted(*args, **kwargs):
        chunks = iter(real_render_all(*args, **kwargs))
        for _ in range(n_chunks):
            yield next(chunks)
        raise KeyboardInterrupt

    return interrupted


def counting(rendered, real_render_all):
    """A stand-in for ``_render_all`` that adds the id of every sample it renders to
    ``rendered``."""

    def render_all(specs, **kwargs):
        rendered.extend(spec.sample_id for spec in specs)
        return real_render_all(specs, **kwargs)

    return render_all


def test_an_interrupted_run_leaves_no_type_folder_to_import(corpus, tmp_path, monkeypatch):
    # GIVEN a run interrupted after its first chunk of samples (Ctrl-C, a full disk)
    real_render_all = dataset_module._render_all
    target = tmp_path / "data"
    monkeypatch.setattr(dataset_module, "_render_all", interrupted_after(1, real_render_all))
    with pytest.warns(SoundDetectWarning, match=r"16 of 20 samples are kept in .*--resume"):
        with pytest.raises(KeyboardInterrupt):
            generate_dataset(settings(*corpus, target, types=("mel",)), progress=False)
    # THEN no train/ tree exists for an S3 sync and a folder-name import to take as whole;
    # the samples finished wait in the hidden staging folder
    assert not (target / "train").exists() and not (target / "mel").exists()
    assert len(list((target / STAGING).rglob("*.png"))) == dataset_module.CHUNK_SIZE
    assert read_dataset_info(target)["complete"] is False
    # AND a sample is not rebuilt from it, which says why rather than "no samples.csv"
    with pytest.raises(ParameterError, match="an interrupted `sounddetect generate` left this"):
        rebuild_sample(target, "train-1bg-0000")
    # AND a run with neither --resume nor --overwrite names both
    monkeypatch.setattr(dataset_module, "_render_all", real_render_all)
    with pytest.raises(ParameterError, match="left incomplete; use --resume .* or --overwrite"):
        generate_dataset(settings(*corpus, target, types=("mel",)), progress=False)
    # AND a run with --overwrite starts over, leaving only the finished tree
    generate_dataset(settings(*corpus, target, types=("mel",), overwrite=True), progress=False)
    assert not (target / STAGING).exists()
    assert sorted(p.name for p in target.iterdir()) == ONE_TYPE_LAYOUT
    mel = type_folder(target, "mel")
    assert all(image_path(mel, row).is_file() for row in read_samples(target))


def test_resume_renders_only_the_samples_an_interrupted_run_did_not_finish(
    corpus, tmp_path, monkeypatch
):
    # GIVEN the dataset of a run never interrupted (80 samples), and the same run interrupted
    # twice
    whole = tmp_path / "whole"
    generate_dataset(settings(*corpus, whole, samples_per_layer=40), progress=False)
    target = tmp_path / "data"
    real_render_all = dataset_module._render_all
    monkeypatch.setattr(dataset_module, "_render_all", interrupted_after(1, real_render_all))
    with pytest.warns(SoundDetectWarning, match="16 of 80 samples are kept"):
        with pytest.raises(KeyboardInterrupt):
            generate_dataset(settings(*corpus, target, samples_per_layer=40), progress=False)
    monkeypatch.setattr(dataset_module, "_render_all", interrupted_after(2, real_render_all))
    again = settings(*corpus, target, samples_per_layer=40, resume=True)
    with pytest.warns(SoundDetectWarning, match="48 of 80 samples are kept"):
        with pytest.raises(KeyboardInterrupt):
            generate_dataset(again, progress=False)
    # WHEN it is resumed once more, counting the samples it renders
    rendered = []
    monkeypatch.setattr(dataset_module, "_render_all", counting(rendered, real_render_all))
    generate_dataset(again, progress=False)
    # THEN only the 32 samples not finished were rendered
    assert len(rendered) == 32
    # AND the dataset is the uninterrupted run's, byte for byte, with no staging left
    assert files_of(target) == files_of(whole)
    assert not (target / STAGING).exists()
    assert read_dataset_info(target)["complete"] is True


def test_resume_renders_a_finished_sample_again_when_its_image_is_gone(
    corpus, tmp_path, monkeypatch
):
    # GIVEN an interrupted run whose log ends in a line cut short, and one of whose finished
    # samples lost an image
    target = tmp_path / "data"
    real_render_all = dataset_module._render_all
    monkeypatch.setattr(dataset_module, "_render_all", interrupted_after(1, real_render_all))
    with pytest.warns(SoundDetectWarning), pytest.raises(KeyboardInterrupt):
        generate_dataset(settings(*corpus, target), progress=False)
    staging = target / STAGING
    with open(staging / dataset_module.FINISHED_FILE, "a", encoding="utf-8") as log:
        log.write('["train-2bg-00')
    lost = next(iter(sorted((staging / "mfcc").rglob("*.png"))))
    lost.unlink()
    # WHEN it is resumed
    rendered = []
    monkeypatch.setattr(dataset_module, "_render_all", counting(rendered, real_render_all))
    generate_dataset(settings(*corpus, target, resume=True), progress=False)
    # THEN that sample is rendered again with the 4 never finished, and every image is there
    assert len(rendered) == 5 and lost.stem in rendered
    for kind in TYPES:
        folder = type_folder(target, kind)
        assert all(image_path(folder, row).is_file() for row in read_samples(target))


def test_resume_refuses_an_interrupted_run_of_other_settings(corpus, tmp_path, monkeypatch):
    # GIVEN a run with seed 3 interrupted
    target = tmp_path / "data"
    real_render_all = dataset_module._render_all
    monkeypatch.setattr(dataset_module, "_render_all", interrupted_after(1, real_render_all))
    with pytest.warns(SoundDetectWarning), pytest.raises(KeyboardInterrupt):
        generate_dataset(settings(*corpus, target), progress=False)
    kept = files_of(target / STAGING)
    # WHEN it is resumed with seed 4
    monkeypatch.setattr(dataset_module, "_render_all", real_render_all)
    with pytest.raises(ParameterError, match="the interrupted run drew other samples"):
        generate_dataset(settings(*corpus, target, seed=4, resume=True), progress=False)
    # THEN its samples are kept as they were
    assert files_of(target / STAGING) == kept


def test_resume_without_an_interrupted_run_generates_every_sample(corpus, tmp_path):
    target = tmp_path / "data"
    with pytest.warns(SoundDetectWarning, match="no interrupted run's samples to go on from"):
        generate_dataset(settings(*corpus, target, types=("mel",), resume=True), progress=False)
    assert len(read_samples(target)) == 20
    # AND --resume does not replace a finished dataset
    with pytest.raises(ParameterError, match="exists and is not empty; use --overwrite"):
        generate_dataset(settings(*corpus, target, types=("mel",), resume=True), progress=False)


def test_a_run_stopped_before_its_first_sample_leaves_no_staging(corpus, tmp_path, monkeypatch):
    target = tmp_path / "data"
    real_render_all = dataset_module._render_all
    monkeypatch.setattr(dataset_module, "_render_all", interrupted_after(0, real_render_all))
    with pytest.raises(KeyboardInterrupt):
        generate_dataset(settings(*corpus, target, types=("mel",)), progress=False)
    assert not (target / STAGING).exists()


def test_an_interrupted_overwrite_leaves_the_old_dataset_as_it_was(corpus, tmp_path, monkeypatch):
    # GIVEN a dataset, and a run with --overwrite that stops after its first chunk of samples
    # (Ctrl-C, a full disk, a crash)
    target = tmp_path / "data"
    generate_dataset(settings(*corpus, target, types=("mel", "mfcc")), progress=False)
    before = files_of(target) | {"run.json": (target / "run.json").read_bytes()}
    real_render_all = dataset_module._render_all
    monkeypatch.setattr(dataset_module, "_render_all", interrupted_after(1, real_render_all))
    new = settings(*corpus, target, types=("mel",), seed=1, overwrite=True)
    with pytest.warns(SoundDetectWarning, match="samples are kept"):
        with pytest.raises(KeyboardInterrupt):
            generate_dataset(new, progress=False)
    # THEN every file of the old dataset is there, unchanged, and beside it only the hidden
    # staging folder of the samples finished
    kept = {name: data for name, data in files_of(target).items() if not name.startswith(STAGING)}
    assert kept | {"run.json": (target / "run.json").read_bytes()} == before
    assert sorted(path.name for path in target.iterdir()) == [
        STAGING,
        "dataset.json",
        "mel",
        "mfcc",
        "run.json",
        "samples.csv",
    ]
    assert read_dataset_info(target)["complete"] is True
    # AND --resume alone does not replace the old dataset; with --overwrite it finishes
    monkeypatch.setattr(dataset_module, "_render_all", real_render_all)
    with pytest.raises(ParameterError, match="exists and is not empty; use --overwrite"):
        generate_dataset(dataclasses.replace(new, overwrite=False, resume=True), progress=False)
    generate_dataset(dataclasses.replace(new, resume=True), progress=False)
    assert sorted(path.name for path in target.iterdir()) == ONE_TYPE_LAYOUT
    assert read_dataset_info(target)["settings"]["seed"] == 1


def test_an_overwrite_interrupted_while_deleting_the_old_layout_leaves_it_owned(
    corpus, tmp_path, monkeypatch
):
    # GIVEN a dataset of one type, its tree at TARGET_PATH, and an --overwrite with two types
    # interrupted after it deleted the first of the old folders
    target = tmp_path / "data"
    generate_dataset(settings(*corpus, target, types=("mel",)), progress=False)
    real_clear = dataset_module._clear

    def interrupted_clear(paths):
        if any(path.name == "train" for path in paths):  # the old dataset's folders
            real_clear(paths[:1])
            raise KeyboardInterrupt
        real_clear(paths)

    monkeypatch.setattr(dataset_module, "_clear", interrupted_clear)
    two_types = settings(*corpus, target, types=("mel", "mfcc"), overwrite=True)
    with pytest.raises(KeyboardInterrupt):
        generate_dataset(two_types, progress=False)
    # THEN the folders left are still the dataset's, and the next --overwrite removes them
    assert read_dataset_info(target)["complete"] is False
    monkeypatch.setattr(dataset_module, "_clear", real_clear)
    generate_dataset(two_types, progress=False)
    assert {p.name for p in target.iterdir()} == {
        "dataset.json",
        "samples.csv",
        "run.json",
        "mel",
        "mfcc",
    }


def test_overwrite_refuses_a_type_folder_that_is_a_link(corpus, tmp_path):
    # GIVEN a dataset whose mel/ was moved to another disk and linked back
    target = tmp_path / "data"
    generate_dataset(settings(*corpus, target, types=("mel", "mfcc")), progress=False)
    elsewhere = tmp_path / "big-disk" / "mel"
    elsewhere.parent.mkdir()
    (target / "mel").rename(elsewhere)
    (target / "mel").symlink_to(elsewhere, target_is_directory=True)
    before = files_of(elsewhere)
    # THEN --overwrite refuses it in one line, before any work, and nothing is deleted
    with pytest.raises(ParameterError, match=r"mel: this folder of the dataset is a link \(to "):
        generate_dataset(settings(*corpus, target, types=("mel",), overwrite=True), progress=False)
    assert (target / "mel").is_symlink() and files_of(elsewhere) == before


def test_overwrite_never_deletes_a_folder_that_is_not_a_dataset(corpus, tmp_path):
    target = tmp_path / "photos"
    target.mkdir()
    (target / "holiday.png").write_bytes(b"precious")
    with pytest.raises(ParameterError, match="not a sounddetect dataset.*even with --overwrite"):
        generate_dataset(settings(*corpus, target, overwrite=True), progress=False)
    assert (target / "holiday.png").read_bytes() == b"precious"


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"types": ("mel", "spectral")}, "need distinct types"),
        ({"split": (0.5, 0.5, 0.5)}, "summing to 1"),
        ({"split": (float("nan"), 0.5, 0.5)}, "summing to 1"),
        (
            {"sample_duration": float("inf")},
            r"SAMPLE_DURATION \(--sample-duration\) must be a finite number",
        ),
        ({"snr_db": (10, -10)}, "MIN <= MAX"),
        ({"snr_db": (7000, 7000)}, r"need numbers from -30 to 60 dB"),
        ({"snr_db": (-300, -300)}, r"need numbers from -30 to 60 dB \(an alarm further under"),
        ({"max_background_layers": 100_000}, r"MAX_BACKGROUND_LAYERS\) 100000: at most 16"),
        ({"samples_per_layer": 0}, "samples_per_layer must be at least 1"),
        ({"s3_prefix": "bucket/x"}, "must be s3://BUCKET"),
        ({"s3_prefix": "s3://"}, "must be s3://BUCKET"),
        ({"sr": 8000}, r"--sr 8000 Hz: the images show up to 8000 Hz, which takes a rate of at"),
        ({"s3_prefix": "s3:///datasets"}, "must be s3://BUCKET"),
        ({"s3_prefix": "s3://bucket//datasets"}, "none empty"),
        ({"s3_prefix": "s3://192.168.1.1/datasets"}, "not an IP address"),
        ({"s3_prefix": "s3://my..bucket/datasets"}, "must be s3://BUCKET"),
        ({"s3_prefix": "s3://bucket/data sets"}, "without spaces"),
        ({"s3_prefix": "s3://bucket/x?y"}, "'?'"),
        ({"sample_duration": 0.01}, "shorter than one FFT frame"),
    ],
)
def test_bad_settings_are_refused(changes, match, tmp_path):
    with pytest.raises(ParameterError, match=match):
        settings(tmp_path, tmp_path, tmp_path / "out", **changes)


def test_readers_refuse_a_folder_that_is_not_a_dataset(tmp_path):
    with pytest.raises(ParameterError, match="samples.csv: not readable"):
        read_samples(tmp_path)
    with pytest.raises(ParameterError, match="dataset.json: not a readable"):
        read_dataset_info(tmp_path)


def write_dataset_json(path, **info):
    """A dataset.json as the generator writes it (one mel config), with ``info`` merged (a
    None removes the key)."""
    written = {"format": DATASET_FORMAT, "complete": True}
    written["configs"] = {"mel": SpectrogramConfig().to_dict()}
    written.update(info)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({key: value for key, value in written.items() if value is not None}))
    return path


def test_dataset_config_reads_a_folder_or_its_dataset_json_under_any_name(tmp_path):
    mel, cqt = SpectrogramConfig(n_mels=64), SpectrogramConfig(kind="cqt")
    write_dataset_json(tmp_path / "data" / "dataset.json", configs={"mel": mel.to_dict()})
    copy = shutil.copy(tmp_path / "data" / "dataset.json", tmp_path / "mel-dataset.json")
    assert dataset_config(tmp_path / "data") == dataset_config(copy) == mel
    both = write_dataset_json(
        tmp_path / "both.json", configs={"mel": mel.to_dict(), "cqt": cqt.to_dict()}
    )
    assert dataset_config(both, kind="cqt") == cqt
    # kind None: the only type, whichever it is
    only_cqt = write_dataset_json(tmp_path / "cqt.json", configs={"cqt": cqt.to_dict()})
    assert dataset_config(only_cqt, kind=None) == cqt


def test_dataset_config_in_a_folder_that_cannot_be_searched_is_a_parameter_error(tmp_path):
    locked = tmp_path / "locked"
    write_dataset_json(locked / "data" / "dataset.json")
    locked.chmod(0)
    try:
        out = run_as_a_user(
            "import sys\n"
            "from sounddetect.dataset import dataset_config\n"
            "from sounddetect.exceptions import ParameterError\n"
            "try:\n"
            "    dataset_config(sys.argv[1])\n"
            "except ParameterError as exc:\n"
            "    print(exc)\n",
            str(locked / "data"),
        )
    finally:
        locked.chmod(0o755)
    assert out.startswith(f"{locked}/data/dataset.json: not a readable dataset.json (")
    assert "Permission denied" in out


@pytest.mark.parametrize(
    ("info", "kind", "message"),
    [
        ({"complete": False}, "mel", "an interrupted `sounddetect generate` left this dataset"),
        ({"format": None}, "mel", r"not a sounddetect dataset \(format sounddetect-dataset/1\)"),
        ({"configs": {}}, None, "the dataset.json holds no spectrogram configs"),
        ({"configs": {"mel": {}, "cqt": {}}}, None, "types cqt, mel; say which with --type"),
        ({}, "cqt", "has no 'cqt' images; types present: mel"),
        ({"configs": {"mel": {"n_melz": 64}}}, "mel", "its mel config: unknown .* keys: n_melz"),
        ({"configs": {"mel": [128]}}, "mel", r"its mel config: .* JSON object\), got list \[128\]"),
    ],
)
def test_dataset_config_refuses_what_it_cannot_read_naming_the_file(tmp_path, info, kind, message):
    path = write_dataset_json(tmp_path / "dataset.json", **info)
    with pytest.raises(ParameterError, match=f"^{path}.*{message}"):
        dataset_config(path, kind=kind)


def test_a_target_that_is_a_file_is_refused(corpus, tmp_path):
    target = tmp_path / "data.txt"
    target.write_text("keep")
    with pytest.raises(ParameterError, match="data.txt: TARGET_PATH exists and is not a folder"):
        generate_dataset(settings(*corpus, target, overwrite=True), progress=False)
    assert target.read_text() == "keep"


def test_a_dc_offset_is_removed_and_a_constant_file_is_silent(tmp_path):
    # GIVEN a quiet beeping alarm on a recorder's DC offset (a tenth of its amplitude), a
    # background of a constant offset and nothing else, and one with a slight offset (4 % of
    # its RMS, as the default corpus's clips carry)
    alarms, backgrounds = write_corpus(tmp_path / "corpus")
    t = np.arange(5 * SR) / SR
    beeps = 0.05 * np.sin(2 * np.pi * 3000 * t) * ((t % 1.0) < 0.5)
    sf.write(alarms / "piezo_dc.wav", beeps + 0.005, SR, subtype="FLOAT")
    sf.write(backgrounds / "hum_00.wav", np.full(5 * SR, 0.3), SR, subtype="FLOAT")
    fan = sf.read(backgrounds / "fan_00.wav", dtype="float32")[0]
    sf.write(backgrounds / "fan_dc.wav", fan + 0.04 * fan.std(), SR, subtype="FLOAT")
    # WHEN the sources are loaded
    with pytest.warns(SoundDetectWarning) as caught:
        sources = load_sources(alarms, backgrounds, sr=SR)
    # THEN the alarm's offset is gone, and only its beeps (half its frames) are active
    assert abs(float(np.mean(sources.audio["alarms/piezo_dc.wav"]))) < 1e-6
    (clip,) = [clip for clip in sources.clips["alarm"] if clip.name == "alarms/piezo_dc.wav"]
    assert np.mean(clip.active) == pytest.approx(0.5, abs=0.02)
    # AND the constant file is skipped as silent, and the slight offset is left as it is
    assert [str(w.message) for w in caught] == [
        f"{backgrounds / 'hum_00.wav'}: skipped: silent (a constant offset)"
    ]
    expected = sf.read(backgrounds / "fan_dc.wav", dtype="float32")[0]
    np.testing.assert_array_equal(sources.audio["background/fan_dc.wav"], expected)


def test_a_long_source_is_hashed_and_decoded_without_holding_it_twice(tmp_path):
    # GIVEN a 5-minute recording: 9.6 MB of 16-bit WAV, 19.2 MB decoded
    path = tmp_path / "long.wav"
    sf.write(path, np.random.default_rng(0).normal(0, 0.1, 300 * SR), SR, subtype="PCM_16")
    # WHEN it is hashed and decoded
    tracemalloc.start()
    try:
        dataset_module._sha256(path)
        hashing = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        y = dataset_module._load_source(path, sr=SR)
        decoding = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # THEN hashing reads it in chunks, and decoding holds little more than the audio
    assert hashing < path.stat().st_size / 10
    assert decoding < 1.5 * y.nbytes


def test_of_copies_the_shallowest_is_taken_and_the_clips_keep_their_order(tmp_path):
    # GIVEN a backup copy of a background in a sub-folder that sorts before the original
    alarms, backgrounds = write_corpus(tmp_path / "corpus")
    without = load_sources(alarms, backgrounds, sample_duration=4.0)
    (backgrounds / "backup").mkdir()
    shutil.copy(backgrounds / "fan_01.wav", backgrounds / "backup" / "fan_01 (old).wav")
    # WHEN the sources are loaded
    with pytest.warns(SoundDetectWarning) as caught:
        sources = load_sources(alarms, backgrounds, sample_duration=4.0)
    # THEN the copy in the sub-folder is skipped, naming the original
    assert [str(w.message) for w in caught] == [
        f"{backgrounds / 'backup' / 'fan_01 (old).wav'}: skipped: the same file as "
        "background/fan_01.wav"
    ]
    # AND the clips are listed, so drawn, as without the copy
    assert [clip.name for clip in sources.clips["background"]] == [
        clip.name for clip in without.clips["background"]
    ]


def test_one_recording_in_several_formats_sits_in_one_split(tmp_path):
    # GIVEN a kitchen recording kept as WAV, as FLAC (the same samples) and as Ogg Vorbis
    alarms, backgrounds = write_corpus(tmp_path / "corpus")
    write_noise(backgrounds / "tv_kitchen.wav", seconds=5.0, seed=99)
    y = sf.read(backgrounds / "tv_kitchen.wav")[0]
    sf.write(backgrounds / "tv_kitchen.flac", y, SR)
    sf.write(backgrounds / "tv_kitchen.ogg", y, SR)
    # WHEN the sources are loaded
    with pytest.warns(SoundDetectWarning) as caught:
        sources = load_sources(alarms, backgrounds, sample_duration=4.0)
    # THEN the WAV, decoded as the FLAC is, is skipped as a copy
    assert [str(w.message) for w in caught] == [
        f"{backgrounds / 'tv_kitchen.wav'}: skipped: the same audio as background/tv_kitchen.flac"
    ]
    names = [clip.name for clip in sources.clips["background"]]
    assert {"background/tv_kitchen.flac", "background/tv_kitchen.ogg"} <= set(names)
    # AND the FLAC and the Ogg go to one split, and the other recordings where they go
    # without the second format
    one = [name for name in names if name != "background/tv_kitchen.ogg"]
    for seed in range(5):
        splits = assign_splits(names, fractions=(0.7, 0.15, 0.15), seed=seed)
        assert splits["background/tv_kitchen.flac"] == splits["background/tv_kitchen.ogg"]
        splits.pop("background/tv_kitchen.ogg")
        assert splits == assign_splits(one, fractions=(0.7, 0.15, 0.15), seed=seed)


def test_overwrite_refuses_to_delete_files_put_in_a_type_folder(corpus, tmp_path):
    # GIVEN a user's own recording and notes put in an old dataset's folders (of one type:
    # its train/, validate/, test/ and manifests/ at TARGET_PATH)
    target = tmp_path / "data"
    generate_dataset(settings(*corpus, target, types=("mel",)), progress=False)
    (target / "train" / "alarm" / "my_recording.wav").write_bytes(b"precious")
    (target / "manifests" / "NOTES.txt").write_text("labelling notes")
    before = files_of(target)
    # WHEN the dataset is generated again with --overwrite THEN it is refused, naming the
    # first file and how many, and nothing is deleted
    with pytest.raises(ParameterError) as caught:
        generate_dataset(settings(*corpus, target, types=("mel",), overwrite=True), progress=False)
    first = target / "train" / "alarm" / "my_recording.wav"
    assert str(caught.value) == (
        f"{target}: 2 file(s) in the old dataset's folders were not written by sounddetect "
        f"(the first: {first}); --overwrite would delete them with the folders, so move them "
        "away first"
    )
    assert files_of(target) == before
    # AND once they are moved away it goes ahead, a file manager's folder file or not
    first.unlink()
    (target / "manifests" / "NOTES.txt").unlink()
    (target / "train" / ".DS_Store").write_bytes(b"Finder")
    generate_dataset(settings(*corpus, target, types=("mel",), overwrite=True), progress=False)
    assert files_of(target) == {
        name: data for name, data in before.items() if not name.endswith((".wav", ".txt"))
    }


def test_the_readme_rebuilds_a_sample_after_the_project_is_moved(tmp_path, monkeypatch):
    # GIVEN a project folder holding its recordings and the dataset made from them, moved
    project, moved = tmp_path / "project", tmp_path / "moved"
    alarms, backgrounds = write_corpus(project / "audio")
    target = project / "training-data"
    generate_dataset(settings(alarms, backgrounds, target, types=("mel",)), progress=False)
    project.rename(moved)
    # WHEN the README's example runs in it
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    example = readme.split("rebuilt from its row", 1)[1].split("```python\n", 1)[1]
    monkeypatch.chdir(moved)
    namespace: dict = {}
    exec(compile(example.split("```", 1)[0], "README.md", "exec"), namespace)
    # THEN it gives the sample that was rendered, its recordings found beside the dataset
    target = moved / "training-data"
    (row,) = [row for row in read_samples(target) if row["sample_id"] == "train-2bg-0004"]
    config = SpectrogramConfig(kind="mel", sr=SR, duration=4.0)
    png = encode_png(render_spectrogram(namespace["y"], config=config))
    assert png == image_path(type_folder(target, "mel"), row).read_bytes()
    # AND recordings kept apart from the dataset are named with source_root=
    (moved / "audio").rename(tmp_path / "elsewhere")
    with pytest.raises(AudioError, match="pass source_root=, the folder that now holds alarms/"):
        rebuild_sample(target, "train-2bg-0004")
    y = rebuild_sample(target, "train-2bg-0004", source_root=tmp_path / "elsewhere")
    np.testing.assert_array_equal(y, namespace["y"])


# -- probe of the generator with user-supplied audio ------------------------------------------


def write_dither(path: Path, *, seconds: float, seed: int, sr: int = SR):
    """A muted microphone's 16-bit recording: dither of a few LSB, peak -84 dBFS."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    y = (rng.integers(-1, 2, n) + rng.integers(-1, 2, n)).astype(np.int16)
    sf.write(path, y, sr, subtype="PCM_16")


def test_many_files_whose_names_are_not_audio_are_one_warning_and_all_recorded(tmp_path):
    # GIVEN a background folder into which a dataset's images were copied
    alarms, backgrounds = write_corpus(tmp_path / "corpus")
    (backgrounds / "old").mkdir()
    for index in range(5):
        (backgrounds / "old" / f"train-1bg-{index:04d}.png").write_bytes(b"\x89PNG")
    # WHEN the sources are loaded
    with pytest.warns(SoundDetectWarning) as caught:
        sources = load_sources(alarms, backgrounds, sample_duration=4.0)
    # THEN one warning says how many and names three, and every one is recorded
    assert [str(w.message) for w in caught] == [
        f"{backgrounds}: skipped: 5 files whose names are not audio (old/train-1bg-0000.png, "
        "old/train-1bg-0001.png, old/train-1bg-0002.png, ...); dataset.json lists them"
    ]
    assert sorted(entry["file"] for entry in sources.skipped) == [
        str(backgrounds / "old" / f"train-1bg-{index:04d}.png") for index in range(5)
    ]


def test_a_source_the_user_may_not_read_is_skipped_and_the_rest_loaded(tmp_path):
    # GIVEN a corpus with one alarm and one background recording only their owner may read
    alarms, backgrounds = write_corpus(tmp_path / "corpus")
    locked = [sorted(alarms.iterdir())[0], sorted(backgrounds.iterdir())[0]]
    for path in locked:
        path.chmod(0)
    # WHEN the sources are loaded by a user, not root
    out = run_as_a_user(
        "import sys, warnings\n"
        "from sounddetect.dataset import load_sources\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    sources = load_sources(sys.argv[1], sys.argv[2], sample_duration=4.0)\n"
        "print(len(sources.clips['alarm']), len(sources.clips['background']))\n"
        "for w in caught:\n"
        "    print(w.message)\n",
        str(alarms),
        str(backgrounds),
    )
    # THEN each is one warning naming it, and the others are loaded
    counts, *messages = out.splitlines()
    n_alarms = sum(1 for _ in alarms.iterdir()) - 1
    n_backgrounds = sum(1 for _ in backgrounds.iterdir()) - 1
    assert counts == f"{n_alarms} {n_backgrounds}"
    assert messages == [f"{path}: skipped: cannot be read (Permission denied)" for path in locked]


def test_a_named_pipe_among_the_sources_is_skipped_not_waited_on(tmp_path):
    # GIVEN a corpus whose alarm folder holds a named pipe called as a recording (a
    # recorder's live output), which nothing writes to
    alarms, backgrounds = write_corpus(tmp_path / "corpus")
    os.mkfifo(alarms / "live.wav")
    # WHEN the sources are loaded (in a process of its own: were it opened, it would wait)
    code = (
        "import sys, warnings\n"
        "from sounddetect.dataset import load_sources\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    sources = load_sources(sys.argv[1], sys.argv[2], sample_duration=4.0)\n"
        "for w in caught:\n"
        "    print(w.message)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(alarms), str(backgrounds)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(dataset_module.__file__).parents[1])},
    )
    # THEN it is one warning naming it
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"{alarms / 'live.wav'}: skipped: not a regular file (a named pipe, socket or device)"
    ]


def test_a_muted_microphone_recording_is_skipped_as_silent_as_detect_calls_it(tmp_path):
    # GIVEN a muted microphone's recording (16-bit dither, peak -84 dBFS) among the alarms
    # and among the backgrounds, and a quiet but live room tone (peak about -70 dBFS)
    alarms, backgrounds = write_corpus(tmp_path / "corpus")
    write_dither(alarms / "stair3_mic_muted.wav", seconds=8.0, seed=1)
    write_dither(backgrounds / "hall_muted.wav", seconds=8.0, seed=2)
    rng = np.random.default_rng(3)
    sf.write(backgrounds / "room_quiet.wav", rng.normal(0, 8e-5, 6 * SR), SR, subtype="FLOAT")
    # WHEN the sources are loaded
    with pytest.warns(SoundDetectWarning) as caught:
        sources = load_sources(alarms, backgrounds, sr=SR)
    # THEN both muted recordings are skipped, one line each naming the file and the reason,
    # at the level `detect` calls silent, and the quiet room is kept
    reason = (
        "skipped: silent (nothing louder than -84 dBFS about its mean, under -80 dBFS): is "
        "the microphone muted or disconnected?"
    )
    assert sorted(str(w.message) for w in caught) == [
        f"{alarms / 'stair3_mic_muted.wav'}: {reason}",
        f"{backgrounds / 'hall_muted.wav'}: {reason}",
    ]
    assert "alarms/stair3_mic_muted.wav" not in sources.audio
    assert "background/room_quiet.wav" in sources.audio
    assert dataset_module.SILENT_PEAK_DBFS == -80.0  # detect's own constant


def test_a_clipped_source_is_taken_with_a_warning_as_detect_gives_one(tmp_path):
    # GIVEN an alarm recorded too close (a tone 20 dB over full scale, clipped to 16 bits)
    # and a loud background clipped in one slam, under a thousandth of its samples
    alarms, backgrounds = write_corpus(tmp_path / "corpus")
    t = np.arange(3 * SR) / SR
    sf.write(alarms / "close_up.wav", np.clip(10 * np.sin(2 * np.pi * 3100 * t), -1, 1), SR)
    loud = 0.5 * np.sin(2 * np.pi * 200 * np.arange(6 * SR) / SR)
    slam = int(CLIPPED_SHARE * len(loud)) // 2
    loud[SR : SR + slam] = 1.0
    sf.write(backgrounds / "loud_hum.wav", loud, SR)
    # WHEN the sources are loaded
    with pytest.warns(SoundDetectWarning) as caught:
        sources = load_sources(alarms, backgrounds, sr=SR)
    # THEN the clipped one is named with its share of clipped samples, once, and taken; the
    # other is taken without a word
    (line,) = [str(w.message) for w in caught]
    assert re.fullmatch(
        rf"{re.escape(str(alarms / 'close_up.wav'))}: clipped \(\d+(\.\d+)? % of its samples "
        r"flat at full scale\); taken as it is, its distortion in every alarm mix it goes into",
        line,
    )
    assert "alarms/close_up.wav" in sources.audio and "background/loud_hum.wav" in sources.audio
    # AND its share is the one detect's meter gives of the file's samples
    meter = LevelMeter()
    meter.observe(sf.read(alarms / "close_up.wav", always_2d=True)[0])
    assert meter.is_clipped and f"({100 * meter.clipped_share:.3g} % of" in line
    # AND the slam is clipping that meter counts, under the share worth a warning
    meter = LevelMeter()
    meter.observe(sf.read(backgrounds / "loud_hum.wav", always_2d=True)[0])
    assert 0 < meter.clipped and not meter.is_clipped


def test_skip_reasons_say_the_length_first_with_digits_enough(tmp_path):
    # GIVEN a background 1 ms short of the window, and a one-sample alarm and background
    alarms, backgrounds = write_corpus(tmp_path / "corpus")
    write_noise(backgrounds / "fan_short.wav", seconds=3.999, seed=5)
    sf.write(alarms / "one_frame.wav", np.array([0.25]), SR)
    sf.write(backgrounds / "one_frame.wav", np.array([0.25]), SR)
    # WHEN the sources are loaded
    with pytest.warns(SoundDetectWarning) as caught:
        load_sources(alarms, backgrounds, sr=SR, sample_duration=4.0)
    # THEN the short one shows it is short, and the one-sample files are too short, not silent
    assert sorted(str(w.message) for w in caught) == [
        f"{alarms / 'one_frame.wav'}: skipped: too short to hold an alarm (0.00 s < 1 s)",
        f"{backgrounds / 'fan_short.wav'}: skipped: shorter than SAMPLE_DURATION (3.999 s < 4 s)",
        f"{backgrounds / 'one_frame.wav'}: skipped: shorter than SAMPLE_DURATION (0.00 s < 4 s)",
    ]


def test_splits_follow_the_fractions_when_file_names_make_small_kinds():
    # GIVEN 30 alarm recordings named by date and time, three a day: ten "kinds" of three
    names = [f"2024-03-{day:02d}_{hm}.wav" for day in range(1, 11) for hm in ("0930", "1215")]
    names += [f"2024-03-{day:02d}_1640.wav" for day in range(1, 11)]
    # WHEN they are split 70/15/15
    splits = assign_splits(names, fractions=(0.7, 0.15, 0.15), seed=0, role="alarm")
    # THEN the counts follow the fractions (21/4.5/4.5), not one recording per split per kind
    counts = [list(splits.values()).count(split) for split in SPLITS]
    assert counts[0] == 21 and sorted(counts[1:]) == [4, 5]
    # AND a kind large enough still has a recording in every split beside them
    names += [f"piezo_{i:02d}.wav" for i in range(8)]
    splits = assign_splits(names, fractions=(0.7, 0.15, 0.15), seed=0, role="alarm")
    assert {splits[f"piezo_{i:02d}.wav"] for i in range(8)} == set(SPLITS)
    counts = [list(splits.values()).count(split) for split in SPLITS]
    assert counts[0] in (26, 27) and all(5 <= n <= 6 for n in counts[1:])


def test_an_empty_looking_target_names_what_blocks_it_and_ignores_file_manager_litter(
    corpus, tmp_path
):
    # GIVEN a target that holds only a file manager's .DS_Store, and one that holds a .gitkeep
    litter, kept = tmp_path / "litter", tmp_path / "kept"
    litter.mkdir()
    (litter / ".DS_Store").write_bytes(b"finder")
    kept.mkdir()
    (kept / ".gitkeep").write_bytes(b"")
    # WHEN a dataset is generated into each
    generate_dataset(settings(*corpus, litter, types=("mel",)), progress=False)
    # THEN the .DS_Store counts as nothing (and is left), and the .gitkeep is named as what
    # blocks, with and without --overwrite, and is left too
    assert (litter / ".DS_Store").read_bytes() == b"finder"
    assert read_dataset_info(litter)["complete"] is True
    for overwrite in (False, True):
        with pytest.raises(ParameterError) as caught:
            generate_dataset(settings(*corpus, kept, overwrite=overwrite), progress=False)
        message = str(caught.value)
        assert message.startswith(f"{kept}: TARGET_PATH is not empty (it holds .gitkeep)")
        assert "not a sounddetect dataset" in message and "move those away" in message
    assert [path.name for path in kept.iterdir()] == [".gitkeep"]
    # AND a folder of other files names the first two
    other = tmp_path / "other"
    other.mkdir()
    for name in ("b.txt", "a.txt", "c.txt", ".DS_Store"):
        (other / name).write_text("mine")
    with pytest.raises(ParameterError, match=r"not empty \(it holds a.txt, b.txt and 1 more\)"):
        generate_dataset(settings(*corpus, other, overwrite=True), progress=False)


def test_a_split_with_fewer_backgrounds_than_layers_is_said_once(tmp_path):
    # GIVEN a train-only dataset of two background recordings and up to three layers
    alarms, backgrounds = write_corpus(tmp_path / "corpus")
    for path in sorted(backgrounds.iterdir())[2:]:
        path.unlink()
    target = tmp_path / "data"
    # WHEN it is generated
    with pytest.warns(SoundDetectWarning) as caught:
        generate_dataset(
            settings(
                alarms,
                backgrounds,
                target,
                split=(1, 0, 0),
                max_background_layers=3,
                samples_per_layer=4,
                types=("mel",),
            ),
            progress=False,
        )
    # THEN one line says so, naming the split, its recordings and the layers
    assert [str(w.message) for w in caught] == [
        f"{target}: the train split has 2 background recording(s) for up to 3 layers, so its "
        "samples of more than 2 layer(s) layer one recording on itself; add background "
        "recordings or lower --max-background-layers"
    ]
    # AND its 3-layer samples are drawn as before, with a recording twice
    rows = [row for row in read_samples(target) if row["n_layers"] == "3"]
    assert rows and all(len(set(row["background_files"].split(";"))) == 2 for row in rows)


def test_a_window_too_long_names_the_setting(tmp_path):
    with pytest.raises(ParameterError) as caught:
        settings(tmp_path, tmp_path, tmp_path / "out", sample_duration=1e9)
    assert str(caught.value) == (
        "SAMPLE_DURATION (--sample-duration) 1e+09 s is above the longest supported window, 60 s"
    )


def sleep_once_started(started, seconds):
    started.set()
    time.sleep(seconds)


def test_a_worker_forked_while_the_lock_is_held_does_not_keep_it(tmp_path):
    # GIVEN a worker process forked while a run holds its TARGET_PATH's lock, still alive
    context = multiprocessing.get_context("fork")
    started = context.Event()
    with dataset_module._only_run_writing(tmp_path):
        worker = context.Process(target=sleep_once_started, args=(started, 30))
        worker.start()
        assert started.wait(timeout=30)
    try:
        # WHEN the run ends THEN the next run may take the lock at once
        with dataset_module._only_run_writing(tmp_path):
            pass
    finally:
        worker.kill()
        worker.join()
