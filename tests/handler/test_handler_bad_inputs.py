"""Every bad input of DESIGN.md that can reach the Lambda: one clear result line naming the
upload and the reason, no retry for permanent errors, and the rest of the batch goes on."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf
from helpers.signals import encode_with_ffmpeg, noise, t3_alarm, tone
from lambda_helpers import (
    ContentRekognition,
    LambdaContext,
    emitted_metrics,
    event_for,
    handler_environment,
    load_event,
)

from sounddetect.exceptions import FailedRecordsError, TransientError
from sounddetect.ffmpeg import FFMPEG_ENV
from sounddetect.s3_detect import CHUNK_BYTES, S3Upload, download_upload

SR = 16000


@pytest.fixture
def app(aws, load_app):
    loaded = load_app(handler_environment(aws))
    loaded.rekognition = ContentRekognition(loaded.CLASSIFIER.client)
    return loaded


def wav_bytes(y, sr=SR, subtype=None) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, y, sr, format="WAV", subtype=subtype)
    return buffer.getvalue()


def alarm_bytes(rng) -> bytes:
    y = noise(8.0, sr=SR, rng=rng, amplitude=0.003) + t3_alarm(8.0, sr=SR)
    return wav_bytes(y)


def float_wav_with(value: float) -> bytes:
    y = tone(6.0, sr=SR, amplitude=0.1)
    y[3 * SR] = value
    return wav_bytes(y, subtype="FLOAT")


def truncated_wav() -> bytes:
    return wav_bytes(tone(6.0, sr=SR, amplitude=0.1))[: 2 * SR]


def damaged_mp3() -> bytes:
    """An MP3 with 3 kB of zeros in the middle: its decoder gives up looking for a frame."""
    buffer = io.BytesIO()
    sf.write(buffer, tone(6.0, sr=SR, amplitude=0.1), SR, format="MP3")
    data = buffer.getvalue()
    return data[: len(data) // 2] + bytes(3000) + data[len(data) // 2 + 3000 :]


def wav_of_rate_1_hz() -> bytes:
    """A WAV of 3,000 samples whose header says 1 Hz: 50 minutes, were it believed."""
    wav = wav_bytes(tone(3000 / SR, sr=SR, amplitude=0.1))
    return wav[:24] + (1).to_bytes(4, "little") + wav[28:]


def m4a_header() -> bytes:
    return b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom" + bytes(200)


@pytest.mark.parametrize(
    ("key", "body", "reason"),
    [
        ("uploads/empty.wav", b"", "empty"),
        ("uploads/text.wav", b"this is not audio\n" * 100, "not"),
        ("uploads/notes.txt", b"meeting notes\n", "not an audio file (suffix .txt)"),
        ("uploads/README", b"no suffix\n", "README: not readable audio (Format not recognised)"),
        ("uploads/voice.m4a", m4a_header(), "not readable audio (ffprobe: "),
        ("uploads/cut.wav", truncated_wav(), "truncated"),
        ("uploads/damaged.mp3", damaged_mp3(), "Illegal Audio-MPEG-Header 0x00000000"),
        ("uploads/rate.wav", wav_of_rate_1_hz(), "sample rate 1 Hz, outside what recordings"),
        ("uploads/short.wav", wav_bytes(tone(0.5, sr=SR)), "too short to hold an alarm"),
        ("uploads/nan.wav", float_wav_with(np.nan), "NaN"),
        ("uploads/inf.wav", float_wav_with(np.inf), "infinite"),
        ("uploads/header.wav", wav_bytes(np.zeros(0, dtype=np.float32)), "no samples"),
    ],
)
def test_permanent_input_errors_are_stored_and_not_retried(
    aws, app, lambda_context, capsys, key, body, reason
):
    # GIVEN an upload that no retry can fix
    aws.upload(key, body)

    # WHEN it is delivered, the handler returns normally (no retry)
    response = app.lambda_handler(event_for(aws, "s3-put-wav.json", key), lambda_context)

    # THEN the stored result says why, naming the upload, and nothing was classified
    assert response["results"][0]["status"] == "rejected"
    result = aws.stored_result(f"results/{key.removeprefix('uploads/')}.json")
    assert result["alarm"] is None and result["events"] == []
    assert result["error"]["type"] == "AudioError"
    assert reason in result["error"]["message"]
    assert result["error"]["message"].startswith(f"s3://{aws.bucket}/{key}")
    assert app.rekognition.requests == []
    assert aws.alerts() == []
    (line,) = [line for line in app.logs() if "result" in line]
    assert line["level"] == "INFO" and line["message"].startswith("rejected: s3://")
    # a query for status "rejected" finds it, and where its result is
    assert line["status"] == "rejected"
    assert (
        line["result_location"] == f"s3://{aws.bucket}/results/{key.removeprefix('uploads/')}.json"
    )
    assert emitted_metrics(capsys.readouterr().out)["FilesRejected"] == 1


def test_without_ffmpeg_an_m4a_upload_is_refused_unread(
    aws, app, lambda_context, monkeypatch, rng, tmp_path
):
    # GIVEN a function without an ffmpeg layer, and a phone's recording of an alarm
    monkeypatch.setenv(FFMPEG_ENV, "off")
    memo = tmp_path / "memo.m4a"
    alarm = noise(8.0, sr=SR, rng=rng, amplitude=0.003) + t3_alarm(8.0, sr=SR)
    aws.upload("uploads/memo.m4a", encode_with_ffmpeg(memo, alarm, SR, "-c:a", "aac"))

    app.lambda_handler(event_for(aws, "s3-put-wav.json", "uploads/memo.m4a"), lambda_context)

    message = aws.stored_result("results/memo.m4a.json")["error"]["message"]
    assert ".m4a audio is not supported without ffmpeg; upload one of WAV, FLAC" in message
    assert "M4A" not in message.split("upload one of")[1]
    assert app.rekognition.requests == []


def test_with_ffmpeg_an_m4a_upload_is_detected(
    aws, app, lambda_context, monkeypatch, rng, tmp_path
):
    # GIVEN ffmpeg on PATH (as a layer's /opt/bin is), and a phone's recording of an alarm
    monkeypatch.delenv(FFMPEG_ENV, raising=False)
    memo = tmp_path / "memo.m4a"
    alarm = noise(8.0, sr=SR, rng=rng, amplitude=0.003) + t3_alarm(8.0, sr=SR)
    aws.upload("uploads/memo.m4a", encode_with_ffmpeg(memo, alarm, SR, "-c:a", "aac"))

    app.lambda_handler(event_for(aws, "s3-put-wav.json", "uploads/memo.m4a"), lambda_context)

    result = aws.stored_result("results/memo.m4a.json")
    assert result["error"] is None and result["alarm"] is True
    assert result["duration_s"] == pytest.approx(8.0, abs=0.05)
    assert len(aws.alerts()) == 1


@pytest.mark.parametrize("encoding", ["wav", "m4a"])
def test_an_upload_without_a_suffix_is_decoded_by_its_content(
    aws, app, lambda_context, monkeypatch, rng, tmp_path, encoding
):
    # GIVEN a device that names its uploads by time alone, one a WAV and one an M4A (with
    # ffmpeg, as from a layer), each of an alarm
    monkeypatch.delenv(FFMPEG_ENV, raising=False)
    alarm = noise(8.0, sr=SR, rng=rng, amplitude=0.003) + t3_alarm(8.0, sr=SR)
    if encoding == "wav":
        body = wav_bytes(alarm)
    else:
        body = encode_with_ffmpeg(tmp_path / "memo.m4a", alarm, SR, "-c:a", "aac")
    aws.upload("uploads/cam1/20261203T101500", body)

    # WHEN it is delivered
    event = event_for(aws, "s3-put-wav.json", "uploads/cam1/20261203T101500")
    app.lambda_handler(event, lambda_context)

    # THEN it is detected, as `sounddetect detect` detects a file so named
    result = aws.stored_result("results/cam1/20261203T101500.json")
    assert result["error"] is None and result["alarm"] is True
    assert result["duration_s"] == pytest.approx(8.0, abs=0.05)
    assert len(aws.alerts()) == 1


def test_a_recorder_s_rf64_upload_is_detected(aws, app, lambda_context, rng):
    # RF64 is what a field recorder writes once a WAV would pass 4 GB
    alarm = noise(8.0, sr=SR, rng=rng, amplitude=0.003) + t3_alarm(8.0, sr=SR)
    buffer = io.BytesIO()
    sf.write(buffer, alarm, SR, format="RF64", subtype="PCM_24")
    aws.upload("uploads/plant room.rf64", buffer.getvalue())

    app.lambda_handler(event_for(aws, "s3-put-wav.json", "uploads/plant room.rf64"), lambda_context)

    result = aws.stored_result("results/plant room.rf64.json")
    assert result["error"] is None and result["alarm"] is True


def test_a_recording_out_of_time_with_rekognition_is_retried(aws, app, rng):
    # GIVEN an invocation with 10 s left, under the time kept for storing a result
    aws.upload("uploads/night.wav", alarm_bytes(rng))
    context = LambdaContext(remaining_ms=10_000)

    # WHEN the upload is delivered THEN the event fails for Lambda to retry: how fast
    # Rekognition answers may be throttling's, which passes; nothing is stored or alerted
    with pytest.raises(FailedRecordsError, match="the time left ran out before it began"):
        app.lambda_handler(event_for(aws, "s3-put-wav.json", "uploads/night.wav"), context)
    assert aws.result_keys() == [] and app.rekognition.requests == [] and aws.alerts() == []


class SteppingClock:
    """A monotonic clock a second later at every reading: a download slow chunk by chunk."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        self.now += 1.0
        return self.now


def test_a_download_the_time_left_cannot_finish_is_given_up(aws, tmp_path, monkeypatch):
    # GIVEN a 4 MB upload that arrives a 1 MB chunk a second, and 2.5 s until the deadline
    aws.upload("uploads/long.wav", bytes(4 * CHUNK_BYTES))
    monkeypatch.setattr("sounddetect.s3_detect.time", SteppingClock())
    upload = S3Upload(aws.bucket, "uploads/long.wav")
    # WHEN it is downloaded, THEN it is given up for a retry at the deadline, not read on
    # past it: the invocation would time out with nothing stored or logged
    with pytest.raises(TransientError, match=r"ran out while downloading it \(2\.0 MB read\)"):
        download_upload(
            aws.s3, upload, tmp_path / "upload.wav", max_bytes=8 * CHUNK_BYTES, deadline=1002.5
        )


def test_silence_is_processed_as_no_alarm(aws, app, lambda_context):
    aws.upload("uploads/silent.wav", wav_bytes(np.zeros(6 * SR, dtype=np.float32)))

    app.lambda_handler(event_for(aws, "s3-put-wav.json", "uploads/silent.wav"), lambda_context)

    result = aws.stored_result("results/silent.wav.json")
    assert result["error"] is None and result["alarm"] is False


def test_a_clip_shorter_than_a_window_is_classified_as_one(aws, app, lambda_context, rng):
    clip = noise(2.5, sr=SR, rng=rng, amplitude=0.003) + t3_alarm(2.5, sr=SR)
    aws.upload("uploads/clip.wav", wav_bytes(clip))

    app.lambda_handler(event_for(aws, "s3-put-wav.json", "uploads/clip.wav"), lambda_context)

    result = aws.stored_result("results/clip.wav.json")
    assert result["error"] is None and result["duration_s"] == 2.5
    assert [(w["start"], w["end"]) for w in result["windows"]] == [(0.0, 2.5)]
    assert len(app.rekognition.requests) == 1  # the one window, padded, was classified
    assert result["alarm"] is True and len(aws.alerts()) == 1
    name = f"s3://{aws.bucket}/uploads/clip.wav"
    messages = [line["message"] for line in app.logs() if line["level"] == "WARNING"]
    assert f"{name}: 2.50 s is shorter than one 4 s window" in messages[0]


def test_folder_marker_is_skipped_without_a_result(aws, app, lambda_context):
    aws.upload("uploads/2026-11-25/", b"")

    response = app.lambda_handler(event_for(aws, "s3-put-folder-marker.json"), lambda_context)

    assert response["results"][0]["status"] == "rejected"
    assert aws.result_keys() == []
    (line,) = [line for line in app.logs() if "result" in line]
    assert "folder marker" in line["result"]["error"]["message"]


def test_a_key_too_long_for_its_result_s_key_is_refused_unread(aws, app, lambda_context, rng):
    # GIVEN a key S3 takes (1,022 bytes) whose result key would have 1,027
    key = "uploads/" + "ü" * 505 + ".wav"
    aws.upload(key, alarm_bytes(rng))

    response = app.lambda_handler(event_for(aws, "s3-put-wav.json", key), lambda_context)

    # THEN it is refused, not retried, and nothing was classified
    assert response["results"][0]["status"] == "rejected"
    assert aws.result_keys() == [] and app.rekognition.requests == []
    (line,) = [line for line in app.logs() if "result" in line]
    assert line["result"]["error"]["message"].endswith(
        "s3 key of 1022 bytes: its result's key would pass S3's 1024-byte limit; upload it "
        "under a shorter name"
    )


def test_an_archived_upload_gets_a_result_not_retries(aws, app, lambda_context, rng):
    # GIVEN a recording uploaded straight into Deep Archive (aws s3 cp --storage-class)
    key = "uploads/archived.wav"
    aws.s3.put_object(
        Bucket=aws.bucket, Key=key, Body=alarm_bytes(rng), StorageClass="DEEP_ARCHIVE"
    )

    response = app.lambda_handler(event_for(aws, "s3-put-wav.json", key), lambda_context)

    # THEN a result says why, and the event is not failed for Lambda to retry in vain
    assert response["results"][0]["status"] == "rejected"
    message = aws.stored_result("results/archived.wav.json")["error"]["message"]
    assert message == (
        f"s3://{aws.bucket}/{key}: stored in an archive storage class or tier, which S3 reads "
        "only after a restore; upload recordings with the STANDARD class"
    )


def test_the_sample_event_with_its_own_version_id_says_so(aws, app, lambda_context, rng):
    # GIVEN the sample event as it is in events/, but for the bucket: its versionId is the
    # sample's, not one of this bucket's (a user trying the function by hand)
    aws.upload("uploads/kitchen_alarm.wav", alarm_bytes(rng))
    event = load_event("s3-put-wav.json")
    event["Records"][0]["s3"]["bucket"]["name"] = aws.bucket
    sample_version = event["Records"][0]["s3"]["object"]["versionId"]

    app.lambda_handler(event, lambda_context)

    # THEN the result says the version is not there, not that the recording was deleted
    message = aws.stored_result("results/kitchen_alarm.wav.json")["error"]["message"]
    assert message.endswith(
        f"kitchen_alarm.wav: no longer exists: the version the event names ({sample_version}) "
        "is not in the bucket (deleted before it was processed, or an event written by hand: "
        "leave out versionId, eTag and size to take the current object)"
    )
    # and without them the current object is detected
    del event["Records"][0]["s3"]["object"]["versionId"]
    del event["Records"][0]["s3"]["object"]["eTag"]
    del event["Records"][0]["s3"]["object"]["size"]
    app.lambda_handler(event, lambda_context)
    assert aws.stored_result("results/kitchen_alarm.wav.json")["alarm"] is True


@pytest.mark.parametrize(
    "event",
    [
        {},  # the console's hello-world test event
        {"detail-type": "Object Created", "source": "aws.s3", "detail": {}},  # EventBridge
    ],
)
def test_an_event_that_is_not_s3_s_is_said_and_not_retried(aws, app, lambda_context, capsys, event):
    assert app.lambda_handler(event, lambda_context) == {"results": []}
    (line,) = [line for line in app.logs() if line["level"] == "ERROR"]
    assert line["message"].startswith("not an S3 event notification (no Records; keys: ")
    assert aws.result_keys() == []
    assert emitted_metrics(capsys.readouterr().out)["EventsRejected"] == 1


def test_a_malformed_record_is_rejected_and_the_others_go_on(aws, app, lambda_context, rng):
    # GIVEN a two-record event whose first record lacks its key, and one from SQS
    aws.upload("uploads/a.wav", alarm_bytes(rng))
    event = event_for(aws, "s3-put-two-records.json", "uploads/a.wav", "uploads/a.wav")
    del event["Records"][0]["s3"]["object"]["key"]
    event["Records"].append({"eventSource": "aws:sqs", "body": "{}"})

    response = app.lambda_handler(event, lambda_context)

    # THEN each malformed record gets one line, the good one its result; nothing is retried
    statuses = [r["status"] for r in response["results"]]
    assert statuses == ["rejected", "processed", "rejected"]
    assert aws.stored_result("results/a.wav.json")["alarm"] is True
    rejected = [line["message"] for line in app.logs() if line["message"].startswith("rejected")]
    assert rejected[0].startswith(
        "rejected: event record: not an S3 object notification (eventSource 'aws:s3', keys "
    )
    assert "eventSource 'aws:sqs', keys body, eventSource)" in rejected[1]


def test_an_alarm_whose_alert_fails_is_in_the_log_and_retried(aws, app, lambda_context, rng):
    # GIVEN an alarm recording and an alert topic deleted since the deployment
    aws.upload("uploads/kitchen.wav", alarm_bytes(rng))
    aws.sns.delete_topic(TopicArn=aws.topic_arn)

    # WHEN it is delivered THEN the event fails for a retry, nothing is stored (the retry
    # alerts again), and the alarm is in the log all the same
    with pytest.raises(FailedRecordsError, match="alarm detected, but its alert was not sent"):
        app.lambda_handler(event_for(aws, "s3-put-wav.json", "uploads/kitchen.wav"), lambda_context)
    assert aws.result_keys() == []
    warnings = [line["message"] for line in app.logs() if line["level"] == "WARNING"]
    assert warnings and all(
        message.startswith("smoke alarm ") and message.endswith("(its alert was not sent)")
        for message in warnings
    )


def test_key_outside_the_upload_prefix_is_never_processed(aws, app, lambda_context, rng):
    # A result key (or anything outside uploads/) reaching the function must not loop.
    aws.upload("results/kitchen.wav", alarm_bytes(rng))

    response = app.lambda_handler(
        event_for(aws, "s3-put-wav.json", "results/kitchen.wav"), lambda_context
    )

    assert response["results"][0]["status"] == "rejected"
    assert aws.result_keys() == ["results/kitchen.wav"]  # no results/kitchen.wav.json
    assert app.rekognition.requests == []


def test_upload_over_the_size_limit_is_refused_unread(aws, load_app, lambda_context, rng):
    app = load_app(handler_environment(aws, MAX_UPLOAD_MB="0.1"))
    aws.upload("uploads/long.wav", alarm_bytes(rng))  # 256 kB

    app.lambda_handler(event_for(aws, "s3-put-wav.json", "uploads/long.wav"), lambda_context)

    result = aws.stored_result("results/long.wav.json")
    assert result["error"]["type"] == "AudioError"
    assert (
        "larger than the 0.1 MB upload limit (SAM parameter MaxUploadSizeMB)"
        in (result["error"]["message"])
    )


def test_object_deleted_before_processing(aws, app, lambda_context, rng):
    aws.upload("uploads/gone.wav", alarm_bytes(rng))
    event = event_for(aws, "s3-put-wav.json", "uploads/gone.wav")
    aws.s3.delete_object(
        Bucket=aws.bucket,
        Key="uploads/gone.wav",
        VersionId=event["Records"][0]["s3"]["object"]["versionId"],
    )

    app.lambda_handler(event, lambda_context)

    result = aws.stored_result("results/gone.wav.json")
    assert "no longer exists" in result["error"]["message"]


def test_one_bad_record_does_not_stop_the_others(aws, app, lambda_context, rng):
    aws.upload("uploads/empty.wav", b"")
    aws.upload("uploads/kitchen.wav", alarm_bytes(rng))
    event = event_for(aws, "s3-put-two-records.json", "uploads/empty.wav", "uploads/kitchen.wav")

    response = app.lambda_handler(event, lambda_context)

    assert [r["status"] for r in response["results"]] == ["rejected", "processed"]
    assert aws.stored_result("results/empty.wav.json")["error"]["type"] == "AudioError"
    assert aws.stored_result("results/kitchen.wav.json")["alarm"] is True
    assert len(aws.alerts()) == 1


def test_s3_throttling_is_retried_after_the_other_records(aws, app, lambda_context, rng):
    # GIVEN S3 refuses the second download with SlowDown
    from botocore.exceptions import ClientError

    aws.upload("uploads/a.wav", alarm_bytes(rng))
    aws.upload("uploads/b.wav", alarm_bytes(rng))
    event = event_for(aws, "s3-put-two-records.json", "uploads/b.wav", "uploads/a.wav")
    real_get = app.S3.get_object

    def get_object(**kwargs):
        if kwargs["Key"] == "uploads/b.wav":
            error = {"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."}}
            raise ClientError(error, "GetObject")
        return real_get(**kwargs)

    app.S3.get_object = get_object

    # WHEN the event is handled, THEN the good record is done first and the call fails after
    with pytest.raises(FailedRecordsError, match="GetObject: SlowDown, retry later"):
        app.lambda_handler(event, lambda_context)
    assert aws.result_keys() == ["results/a.wav.json"]
