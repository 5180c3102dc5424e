"""The Lambda handler end to end against moto S3, SNS and SQS.

Rekognition answers from the image content (lambda_helpers.ContentRekognition): a
recording with a smoke alarm must come out as an alarm and one without as no alarm,
whatever order the windows are sent in.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from helpers.signals import left_unclosed, noise, t3_alarm, tone, write_wav
from lambda_helpers import (
    ContentRekognition,
    emitted_metrics,
    event_for,
    handler_environment,
    load_event,
)

from sounddetect import s3_detect
from sounddetect.result import to_json
from sounddetect.s3_detect import ALERT_MAX_EVENTS, alert_message, result_for_log

SR = 16000


@pytest.fixture
def app(aws, load_app):
    """The handler with the Rekognition backend answering from image content."""
    loaded = load_app(handler_environment(aws))
    loaded.rekognition = ContentRekognition(loaded.CLASSIFIER.client)
    return loaded


@pytest.fixture
def alarm_wav(tmp_path, rng):
    """12 s: quiet noise, a temporal-three alarm from 4 s to 10 s."""
    y = noise(12.0, sr=SR, rng=rng, amplitude=0.003)
    y[4 * SR : 10 * SR] += t3_alarm(6.0, sr=SR)
    return write_wav(tmp_path / "alarm.wav", y, SR)


@pytest.fixture
def quiet_wav(tmp_path, rng):
    """12 s of broadband noise: no alarm."""
    return write_wav(tmp_path / "quiet.wav", noise(12.0, sr=SR, rng=rng, amplitude=0.2), SR)


def invoke(app, event, context):
    return app.lambda_handler(event, context)


def test_alarm_and_quiet_files_are_told_apart(aws, app, alarm_wav, quiet_wav, lambda_context):
    # GIVEN one recording with an alarm and one without, delivered in one event
    aws.upload("uploads/kitchen.wav", alarm_wav)
    aws.upload("uploads/lounge.wav", quiet_wav)
    event = event_for(aws, "s3-put-two-records.json", "uploads/kitchen.wav", "uploads/lounge.wav")

    # WHEN the handler runs
    response = invoke(app, event, lambda_context)

    # THEN each file has its own stored result, judged by content
    assert [r["status"] for r in response["results"]] == ["processed", "processed"]
    kitchen = aws.stored_result("results/kitchen.wav.json")
    lounge = aws.stored_result("results/lounge.wav.json")
    assert kitchen["file"] == f"s3://{aws.bucket}/uploads/kitchen.wav"
    assert kitchen["alarm"] is True and kitchen["error"] is None
    assert lounge["alarm"] is False and lounge["events"] == []
    (event_,) = kitchen["events"]
    assert event_["start"] <= 4.0 and event_["end"] >= 10.0
    alarm_windows = [w for w in kitchen["windows"] if w["label"] == "alarm"]
    assert all(w["end"] > 4.0 and w["start"] < 10.0 for w in alarm_windows)
    assert kitchen["classifier"]["backend"] == "rekognition"
    # one request per window of both files, each validated by botocore
    windows = len(kitchen["windows"]) + len(lounge["windows"])
    assert len(app.rekognition.requests) == windows == 2 * 5


def test_alarm_and_quiet_in_reverse_order_give_the_same_results(
    aws, app, alarm_wav, quiet_wav, lambda_context
):
    aws.upload("uploads/lounge.wav", quiet_wav)
    aws.upload("uploads/kitchen.wav", alarm_wav)
    event = event_for(aws, "s3-put-two-records.json", "uploads/lounge.wav", "uploads/kitchen.wav")

    invoke(app, event, lambda_context)

    assert aws.stored_result("results/kitchen.wav.json")["alarm"] is True
    assert aws.stored_result("results/lounge.wav.json")["alarm"] is False


def test_one_alert_per_file_with_alarms_not_per_window(
    aws, app, alarm_wav, quiet_wav, lambda_context
):
    aws.upload("uploads/kitchen.wav", alarm_wav)
    aws.upload("uploads/lounge.wav", quiet_wav)
    event = event_for(aws, "s3-put-two-records.json", "uploads/kitchen.wav", "uploads/lounge.wav")

    invoke(app, event, lambda_context)

    (alert,) = aws.alerts()
    assert alert["Subject"] == "Smoke alarm detected in kitchen.wav"
    assert f"s3://{aws.bucket}/uploads/kitchen.wav" in alert["Message"]
    assert f"s3://{aws.bucket}/results/kitchen.wav.json" in alert["Message"]
    (event,) = aws.stored_result("results/kitchen.wav.json")["events"]
    assert f"({event['start']:.1f}-{event['end']:.1f} s)" in alert["Message"]


def test_alert_subject_keeps_to_what_sns_takes():
    # A key may hold a tab, line breaks or non-ASCII; SNS refuses them in a subject.
    event = {"label": "alarm", "start": 1.0, "end": 9.0, "confidence": 0.9}
    result = {"duration_s": 10.0, "events": [event]}
    for name, expected in [
        ("front door\t2026-01-01.wav", "front door?2026-01-01.wav"),
        ("cam1\r\nhall\x7f.wav", "cam1??hall?.wav"),
        ("Küche.wav", "Kuche.wav"),
        ("台所.wav", "??.wav"),
        ("x" * 120 + "-hall.wav", "..." + "x" * 63 + "-hall.wav"),
    ]:
        subject, _ = alert_message(
            {**result, "file": f"s3://b/uploads/{name}"}, upload_prefix="uploads/"
        )
        assert subject == f"Smoke alarm detected in {expected}"
        assert len(subject) < 100


def test_alert_subjects_tell_recordings_of_one_name_in_two_folders_apart():
    event = {"label": "alarm", "start": 1.0, "end": 9.0, "confidence": 0.9}
    subjects = [
        alert_message(
            {"duration_s": 10.0, "events": [event], "file": f"s3://b/uploads/{camera}/latest.wav"},
            upload_prefix="uploads/",
        )[0]
        for camera in ("cam1", "cam2")
    ]
    assert subjects == [
        "Smoke alarm detected in cam1/latest.wav",
        "Smoke alarm detected in cam2/latest.wav",
    ]


def test_alert_events_are_given_in_clock_time_and_seconds():
    # GIVEN a result of an hour-long and one of a short recording
    event = {"label": "alarm", "start": 2712.04, "end": 3741.3, "confidence": 0.974}
    long = {"file": "s3://b/uploads/night.wav", "duration_s": 4000.0, "events": [event]}
    short = {**long, "duration_s": 70.0, "events": [{**event, "start": 5.0, "end": 49.7}]}
    # THEN each event line reads as a player's position would, with the JSON's seconds
    _, message = alert_message(long, result_uri="s3://b/results/night.wav.json")
    assert "  0:45:12.0 - 1:02:21.3  (2712.0-3741.3 s)   confidence 0.97\n" in message
    assert message.endswith("Full result: s3://b/results/night.wav.json\n")
    _, message = alert_message(short)
    assert "  0:05.0 - 0:49.7  (5.0-49.7 s)   confidence 0.97\n" in message


def test_an_alert_lists_at_most_its_share_of_a_day_of_events():
    # GIVEN a day's recording of a machine beeping every 20 s: 4,320 events, whose lines
    # would pass SNS's 256 KB (refused on every retry)
    events = [
        {"label": "alarm", "start": 20.0 * i, "end": 20.0 * i + 9.5, "confidence": 0.81}
        for i in range(4320)
    ]
    result = {"file": "s3://b/uploads/plant.mp3", "duration_s": 86400.0, "events": events}
    _, message = alert_message(result, result_uri="s3://b/results/plant.mp3.json")
    # THEN it lists the first events, says how many more there are, and stays small
    assert message.startswith("4320 smoke alarm events in s3://b/uploads/plant.mp3")
    assert message.count("confidence 0.81") == ALERT_MAX_EVENTS
    assert f"  ... and {4320 - ALERT_MAX_EVENTS} more (the full result has all)\n" in message
    assert len(message.encode()) < 32 * 1024


def test_log_lines_carry_result_bucket_key_and_request_id(
    aws, app, alarm_wav, quiet_wav, lambda_context
):
    aws.upload("uploads/kitchen.wav", alarm_wav)
    aws.upload("uploads/lounge.wav", quiet_wav)
    event = event_for(aws, "s3-put-two-records.json", "uploads/kitchen.wav", "uploads/lounge.wav")

    invoke(app, event, lambda_context)

    logs = app.logs()
    per_file = [line for line in logs if "result" in line]
    assert [line["level"] for line in per_file] == ["INFO", "INFO"]
    assert [line["key"] for line in per_file] == ["uploads/kitchen.wav", "uploads/lounge.wav"]
    assert per_file[0]["result"] == aws.stored_result("results/kitchen.wav.json")
    warnings = [line for line in logs if line["level"] == "WARNING"]
    assert len(warnings) == 1 and warnings[0]["alarm_event"]["label"] == "alarm"
    for line in per_file + warnings:
        assert line["bucket"] == aws.bucket
        assert line["function_request_id"] == lambda_context.aws_request_id


def flattened_fields(value, prefix: str = "") -> list[str]:
    """The field names CloudWatch Logs Insights makes of a JSON log line, in order
    (``result.windows.0.start``)."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((str(i), item) for i, item in enumerate(value))
    else:
        return [prefix]
    return [name for key, item in items for name in flattened_fields(item, f"{prefix}{key}.")] or [
        prefix
    ]


def test_a_long_recording_keeps_its_summary_within_the_fields_a_query_finds(
    aws, app, lambda_context, tmp_path
):
    # GIVEN a recording of 10 minutes: 299 windows, 1,196 fields of the log line
    path = write_wav(tmp_path / "night.wav", tone(600.0, sr=SR, amplitude=0.01), SR)
    aws.upload("uploads/night.wav", path)
    invoke(app, event_for(aws, "s3-put-wav.json", "uploads/night.wav"), lambda_context)
    (line,) = [line for line in app.logs() if "result" in line]
    fields = [name.rstrip(".") for name in flattened_fields(line)]
    assert len(fields) > 1000
    # THEN the fields the README's queries read are among the first 1,000 Insights discovers
    first = set(fields[:1000])
    for name in ("status", "key", "result_location", "result.alarm", "result.duration_s"):
        assert name in first, name
    assert {"result.error", "result.classifier.backend"} <= first


def logged_windows(logs: list[dict], file: str) -> list[dict]:
    """The windows of ``file``'s result as its log lines hold them, in order."""
    (line,) = [line for line in logs if line.get("result", {}).get("file") == file]
    parts = [
        line["windows_part"] for line in logs if line.get("windows_part", {}).get("file") == file
    ]
    assert [part["part"] for part in parts] == list(
        range(1, line["result"].get("windows_parts", 0) + 1)
    )
    return line["result"]["windows"] + [window for part in parts for window in part["windows"]]


@pytest.mark.parametrize("deliveries", [1, 2])
def test_a_result_too_large_for_one_log_event_continues_on_lines_of_its_windows(
    aws, app, lambda_context, tmp_path, monkeypatch, deliveries
):
    # GIVEN a log event limit that a 2-minute recording's 59 windows pass (a few hours' do)
    monkeypatch.setattr(s3_detect, "LOG_RESULT_MAX_CHARS", 1500)
    path = write_wav(tmp_path / "night.wav", tone(120.0, sr=SR, amplitude=0.01), SR)
    aws.upload("uploads/night.wav", path)
    event = event_for(aws, "s3-put-wav.json", "uploads/night.wav")

    # WHEN it is processed (and, delivered twice, found stored)
    for _ in range(deliveries):
        invoke(app, event, lambda_context)

    # THEN the file's line and the lines after it hold every window of the stored result,
    # each line within the limit, the repeated delivery's lines too
    stored = aws.stored_result("results/night.wav.json")
    assert len(stored["windows"]) == 59
    logs = app.logs()
    file_lines = [line for line in logs if "result" in line]
    assert len(file_lines) == deliveries
    assert file_lines[-1]["result"]["windows"] == []
    part_lines = [line for line in logs if "windows_part" in line]
    assert len(part_lines) == deliveries * file_lines[-1]["result"]["windows_parts"]
    assert file_lines[-1]["result"]["windows_parts"] > 1
    for line in part_lines:
        assert len(to_json(line["windows_part"])) <= 1500
        assert line["key"] == "uploads/night.wav"
        first = line["windows_part"]["first_window"]
        assert line["message"].startswith(f"windows {first + 1}-")
    if deliveries == 1:
        assert logged_windows(logs, stored["file"]) == stored["windows"]
    summary = {key: value for key, value in file_lines[-1]["result"].items() if key != "windows"}
    assert summary.pop("windows_parts") > 1
    assert summary == {key: value for key, value in stored.items() if key != "windows"}


def test_a_result_within_one_log_event_keeps_its_windows_on_its_line():
    result = {
        "file": "x.wav",
        "alarm": False,
        "events": [],
        "windows": [{"start": 0.0}] * 3,
        "error": None,
    }

    summary, parts = result_for_log(result)

    assert summary == result and list(summary)[-2:] == ["events", "windows"] and parts == []


def test_windows_are_split_so_every_part_fits_and_none_is_lost(monkeypatch):
    monkeypatch.setattr(s3_detect, "LOG_RESULT_MAX_CHARS", 400)
    windows = [
        {"start": 2.0 * i, "end": 2.0 * i + 4, "label": "no_alarm", "confidence": 0.9}
        for i in range(40)
    ]
    result = {
        "file": "s3://bucket/uploads/night.wav",
        "alarm": False,
        "events": [],
        "windows": windows,
    }

    summary, parts = result_for_log(result)

    assert summary["windows"] == [] and summary["windows_parts"] == len(parts) > 1
    assert [window for part in parts for window in part["windows"]] == windows
    assert [part["first_window"] for part in parts] == [
        sum(len(p["windows"]) for p in parts[:i]) for i in range(len(parts))
    ]
    assert all(len(to_json(part)) <= 400 for part in parts)
    assert {part["parts"] for part in parts} == {len(parts)}


def test_empty_lists_are_not_split_off_whatever_the_line_s_length(monkeypatch):
    # An error result holds no windows or events: no line may be promised for them
    monkeypatch.setattr(s3_detect, "LOG_RESULT_MAX_CHARS", 50)
    result = {"file": "s3://bucket/uploads/x.wav", "events": [], "windows": [], "error": "e"}

    summary, parts = result_for_log(result)

    assert summary == result and parts == []


def test_metrics_are_emitted_as_emf(aws, app, alarm_wav, quiet_wav, lambda_context, capsys):
    aws.upload("uploads/kitchen.wav", alarm_wav)
    aws.upload("uploads/lounge.wav", quiet_wav)
    event = event_for(aws, "s3-put-two-records.json", "uploads/kitchen.wav", "uploads/lounge.wav")

    invoke(app, event, lambda_context)

    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["FilesProcessed"] == 2
    assert metrics["WindowsClassified"] == 10
    assert metrics["AlarmsDetected"] == 1
    assert metrics["ProcessingSeconds"] > 0
    assert metrics["ColdStart"] == 1


def test_same_event_twice_gives_same_result_and_one_alert(aws, app, alarm_wav, lambda_context):
    aws.upload("uploads/kitchen.wav", alarm_wav)
    event = event_for(aws, "s3-put-wav.json", "uploads/kitchen.wav")

    first = invoke(app, event, lambda_context)
    stored_first = aws.s3.get_object(Bucket=aws.bucket, Key="results/kitchen.wav.json")
    requests_first = len(app.rekognition.requests)
    second = invoke(app, event, lambda_context)

    assert first["results"][0]["status"] == "processed"
    assert second["results"][0]["status"] == "duplicate"
    stored_second = aws.s3.get_object(Bucket=aws.bucket, Key="results/kitchen.wav.json")
    assert stored_second["VersionId"] == stored_first["VersionId"]  # not rewritten
    assert len(app.rekognition.requests) == requests_first  # not classified again
    assert len(aws.alerts()) == 1
    duplicate_line = [line for line in app.logs() if line.get("status") == "duplicate"]
    assert duplicate_line[0]["result"] == aws.stored_result("results/kitchen.wav.json")


def test_a_new_upload_under_the_same_key_is_processed_again(
    aws, app, alarm_wav, quiet_wav, lambda_context
):
    aws.upload("uploads/room.wav", alarm_wav)
    invoke(app, event_for(aws, "s3-put-wav.json", "uploads/room.wav"), lambda_context)
    aws.upload("uploads/room.wav", quiet_wav)  # overwritten: new ETag and version
    response = invoke(app, event_for(aws, "s3-put-wav.json", "uploads/room.wav"), lambda_context)

    assert response["results"][0]["status"] == "processed"
    assert aws.stored_result("results/room.wav.json")["alarm"] is False
    versions = aws.s3.list_object_versions(Bucket=aws.bucket, Prefix="results/room.wav.json")
    assert len(versions["Versions"]) == 2  # the first result is kept as an older version


def test_a_late_event_of_an_older_version_keeps_the_newer_result(
    aws, app, alarm_wav, quiet_wav, lambda_context
):
    # GIVEN an alarm uploaded, then a quiet recording under the same key (a device that
    # uploads to latest.wav), and the first upload's event delivered last (a retry)
    aws.upload("uploads/latest.wav", alarm_wav)
    first = event_for(aws, "s3-put-wav.json", "uploads/latest.wav")
    aws.upload("uploads/latest.wav", quiet_wav)
    second = event_for(aws, "s3-put-wav.json", "uploads/latest.wav")
    invoke(app, second, lambda_context)

    response = invoke(app, first, lambda_context)

    # THEN the older recording's alarm is alerted and logged, but the stored result stays
    # the current recording's, and a repeat of the second event is a duplicate
    assert response["results"][0]["status"] == "superseded"
    assert aws.stored_result("results/latest.wav.json")["alarm"] is False
    # AND its alert names the older version and points to no result: the one stored says
    # "no alarm", of the newer recording (the alert had linked it as its full result)
    (alert,) = aws.alerts()
    version = first["Records"][0]["s3"]["object"]["versionId"]
    assert f"This was version {version} of the upload, replaced since" in alert["Message"]
    assert "Full result:" not in alert["Message"]
    (line,) = [line for line in app.logs() if line.get("status") == "superseded"]
    assert line["message"].startswith("ALARM: ") and line["result"]["alarm"] is True
    assert invoke(app, second, lambda_context)["results"][0]["status"] == "duplicate"


@pytest.mark.parametrize("then_deleted", [False, True])
def test_a_repeated_event_of_an_older_version_is_not_alerted_again(
    aws, app, alarm_wav, quiet_wav, lambda_context, then_deleted
):
    # GIVEN an alarm uploaded and processed, then a quiet recording under the same key
    aws.upload("uploads/latest.wav", alarm_wav)
    first = event_for(aws, "s3-put-wav.json", "uploads/latest.wav")
    invoke(app, first, lambda_context)
    stored_first = aws.stored_result("results/latest.wav.json")
    aws.upload("uploads/latest.wav", quiet_wav)
    invoke(app, event_for(aws, "s3-put-wav.json", "uploads/latest.wav"), lambda_context)
    if then_deleted:  # and the recordings deleted since (a delete marker is the current one)
        aws.s3.delete_object(Bucket=aws.bucket, Key="uploads/latest.wav")
    requests = len(app.rekognition.requests)

    # WHEN the first upload's event comes again (the retry of an event whose other record
    # failed), twice
    statuses = [invoke(app, first, lambda_context)["results"][0]["status"] for _ in range(2)]

    # THEN it is found among the stored results' versions: a duplicate, not classified or
    # alerted again, and the current recording's result stays in place
    assert statuses == ["duplicate", "duplicate"]
    assert len(aws.alerts()) == 1 and len(app.rekognition.requests) == requests
    assert aws.stored_result("results/latest.wav.json")["alarm"] is False
    lines = [line for line in app.logs() if line.get("status") == "duplicate"]
    assert [line["result"] for line in lines] == [stored_first, stored_first]


def test_an_event_naming_a_version_not_in_the_bucket_is_rejected(
    aws, app, quiet_wav, lambda_context
):
    # GIVEN a recording processed, and the sample event of its key delivered as it is,
    # naming a version the bucket does not hold (S3's own, in events/s3-put-wav.json)
    aws.upload("uploads/kitchen_alarm.wav", quiet_wav)
    invoke(app, event_for(aws, "s3-put-wav.json"), lambda_context)
    stored = aws.s3.get_object(Bucket=aws.bucket, Key="results/kitchen_alarm.wav.json")

    response = invoke(app, load_event("s3-put-wav.json"), lambda_context)

    # THEN it is rejected, as its log line says, and the current recording's result stays
    assert response["results"][0] == {
        "file": f"s3://{aws.bucket}/uploads/kitchen_alarm.wav",
        "status": "rejected",
        "location": None,
    }
    (line,) = [line for line in app.logs() if line.get("status") == "rejected"]
    assert line["message"].startswith(f"rejected: s3://{aws.bucket}/uploads/kitchen_alarm.wav: ")
    assert "no longer exists: the version the event names" in line["message"]
    current = aws.s3.get_object(Bucket=aws.bucket, Key="results/kitchen_alarm.wav.json")
    assert current["VersionId"] == stored["VersionId"]


def test_encoded_key_with_spaces_plus_and_non_ascii(aws, app, alarm_wav, lambda_context):
    event = load_event("s3-put-encoded-key.json")
    key = "uploads/Küche Alarm+Test (1).wav"
    assert (
        event["Records"][0]["s3"]["object"]["key"] == "uploads/K%C3%BCche+Alarm%2BTest+%281%29.wav"
    )
    aws.upload(key, alarm_wav)

    invoke(app, event_for(aws, "s3-put-encoded-key.json"), lambda_context)

    result = aws.stored_result("results/Küche Alarm+Test (1).wav.json")
    assert result["file"] == f"s3://{aws.bucket}/{key}"
    assert result["alarm"] is True
    (alert,) = aws.alerts()
    assert alert["Subject"] == "Smoke alarm detected in Kuche Alarm+Test (1).wav"  # ASCII only


@pytest.mark.parametrize(
    ("name", "write"),
    [
        ("stereo.wav", lambda p, y: sf.write(p, np.stack([y, 0.5 * y], axis=1), SR)),
        # one microphone wired with its polarity inverted: averaged, the channels cancel
        ("inverted.wav", lambda p, y: sf.write(p, np.stack([y, -y], axis=1), SR)),
        ("rate8k.wav", lambda p, y: sf.write(p, y[::2], SR // 2)),
        ("rate96k.flac", lambda p, y: sf.write(p, np.repeat(y, 6), 6 * SR)),
        ("clipped.wav", lambda p, y: sf.write(p, np.clip(8 * y, -1, 1), SR)),
        ("alarm.ogg", lambda p, y: sf.write(p, y, SR, format="OGG", subtype="VORBIS")),
        ("alarm.mp3", lambda p, y: sf.write(p, y, SR, format="MP3", subtype="MPEG_LAYER_III")),
    ],
)
def test_formats_rates_and_channels_are_decoded(
    aws, app, tmp_path, rng, lambda_context, name, write
):
    y = noise(10.0, sr=SR, rng=rng, amplitude=0.003) + tone(10.0, sr=SR, amplitude=0.1)
    write(tmp_path / name, y)
    aws.upload(f"uploads/{name}", tmp_path / name)

    response = invoke(app, event_for(aws, "s3-put-mp3.json", f"uploads/{name}"), lambda_context)

    result = aws.stored_result(f"results/{name}.json")
    assert response["results"][0]["status"] == "processed"
    assert result["error"] is None
    assert result["alarm"] is True  # the steady tone is in every window
    assert abs(result["duration_s"] - 10.0) < 0.1


def test_a_recording_whose_recorder_died_is_processed_with_a_warning(
    aws, app, tmp_path, rng, lambda_context
):
    y = noise(10.0, sr=SR, rng=rng, amplitude=0.003) + tone(10.0, sr=SR, amplitude=0.1)
    wav = write_wav(tmp_path / "closed.wav", y, SR, subtype="PCM_16").read_bytes()
    (tmp_path / "camera.wav").write_bytes(left_unclosed(wav))
    aws.upload("uploads/camera.wav", tmp_path / "camera.wav")

    invoke(app, event_for(aws, "s3-put-wav.json", "uploads/camera.wav"), lambda_context)

    result = aws.stored_result("results/camera.wav.json")
    assert result["error"] is None and result["alarm"] is True
    assert abs(result["duration_s"] - 10.0) < 0.01
    (warning,) = [line for line in app.logs() if "without the audio" in line["message"]]
    assert warning["level"] == "WARNING" and warning["key"] == "uploads/camera.wav"


def test_a_rate_too_low_for_the_model_is_logged_as_a_warning(
    aws, app, tmp_path, rng, lambda_context
):
    sf.write(tmp_path / "phone.wav", noise(6.0, sr=8000, rng=rng), 8000)
    aws.upload("uploads/phone.wav", tmp_path / "phone.wav")

    invoke(app, event_for(aws, "s3-put-wav.json", "uploads/phone.wav"), lambda_context)

    (warning,) = [line for line in app.logs() if "sample rate" in line["message"]]
    assert warning["level"] == "WARNING"
    assert "sample rate 8000 Hz holds nothing above 4000 Hz" in warning["message"]
    assert warning["key"] == "uploads/phone.wav"


def test_a_clipped_upload_is_analysed_and_logged_as_a_warning(
    aws, app, tmp_path, rng, lambda_context
):
    # A plant room's microphone with its gain far too high: every beep clips
    y = np.clip(8 * (noise(10.0, sr=SR, rng=rng, amplitude=0.003) + tone(10.0, sr=SR)), -1, 1)
    sf.write(tmp_path / "boiler_room.wav", y, SR, subtype="PCM_16")
    aws.upload("uploads/boiler_room.wav", tmp_path / "boiler_room.wav")

    invoke(app, event_for(aws, "s3-put-wav.json", "uploads/boiler_room.wav"), lambda_context)

    result = aws.stored_result("results/boiler_room.wav.json")
    assert result["error"] is None and result["alarm"] is True
    (warning,) = [line for line in app.logs() if ": clipped (" in line["message"]]
    assert warning["level"] == "WARNING" and warning["key"] == "uploads/boiler_room.wav"
    assert "too loud for the microphone or its gain" in warning["message"]


def test_an_upload_from_a_dead_microphone_is_logged_as_a_warning(
    aws, app, tmp_path, lambda_context
):
    # A plant room's microphone came unplugged: its recorder uploads digital silence
    sf.write(tmp_path / "plant_room.wav", np.zeros(30 * SR, dtype=np.float32), SR)
    aws.upload("uploads/plant_room.wav", tmp_path / "plant_room.wav")

    invoke(app, event_for(aws, "s3-put-wav.json", "uploads/plant_room.wav"), lambda_context)

    result = aws.stored_result("results/plant_room.wav.json")
    assert result["error"] is None and result["alarm"] is False
    (warning,) = [line for line in app.logs() if "silent throughout" in line["message"]]
    assert warning["level"] == "WARNING" and warning["key"] == "uploads/plant_room.wav"
    assert "is the microphone muted or disconnected?" in warning["message"]


def test_a_result_of_too_many_events_for_one_log_event_continues_on_lines_of_its_events(
    aws, app, lambda_context, tmp_path, rng, monkeypatch
):
    # GIVEN a recording of five alarms, and a log event limit that its result without the
    # windows does not pass (a day's recording of thousands of events does not pass 256 KB)
    y = noise(120.0, sr=SR, rng=rng, amplitude=0.003)
    for start in range(4, 120, 24):
        y[start * SR : (start + 10) * SR] += t3_alarm(10.0, sr=SR)
    aws.upload("uploads/day.wav", write_wav(tmp_path / "day.wav", y, SR))
    monkeypatch.setattr(s3_detect, "LOG_RESULT_MAX_CHARS", 400)

    # WHEN it is processed
    invoke(app, event_for(aws, "s3-put-wav.json", "uploads/day.wav"), lambda_context)

    # THEN the file's line holds the result without its lists, and the lines after it hold
    # every event and every window of the stored result, each within the limit
    stored = aws.stored_result("results/day.wav.json")
    assert len(stored["events"]) == 5
    assert len(to_json({k: v for k, v in stored.items() if k != "windows"})) > 400
    logs = app.logs()
    (line,) = [line for line in logs if "result" in line]
    summary = dict(line["result"])
    assert summary.pop("events") == [] and summary.pop("windows") == []
    assert summary.pop("events_parts") > 1 and summary.pop("windows_parts") > 1
    assert summary == {k: v for k, v in stored.items() if k not in ("events", "windows")}
    event_lines = [line for line in logs if "events_part" in line]
    for event_line in event_lines:
        first = event_line["events_part"]["first_event"]
        assert event_line["message"].startswith(f"events {first + 1}-")
        assert event_line["message"].endswith(" of 5: " + stored["file"])
    parts = [event_line["events_part"] for event_line in event_lines]
    assert [part["part"] for part in parts] == list(range(1, len(parts) + 1))
    assert [event for part in parts for event in part["events"]] == stored["events"]
    assert all(len(to_json(part)) <= 400 for part in parts)
    assert [part["first_event"] for part in parts] == [
        sum(len(p["events"]) for p in parts[:i]) for i in range(len(parts))
    ]
    assert logged_windows(logs, stored["file"]) == stored["windows"]
