"""Detection for recordings uploaded to S3: the library half of the Lambda handler.

    S3Upload          -- one uploaded object of an S3 event record
    process_upload    -- refuse, download, detect, alert and store one upload, idempotently
    RecordOutcome     -- what happened to one upload, for the handler's logs and metrics
    result_key        -- uploads/<path> -> results/<path>.json
    download_upload   -- stream an object to a local file, refusing more than a size limit
    alert_message     -- SNS subject and text for a result with alarms
    result_for_log    -- the result object as CloudWatch log lines: one, or its lists split

Errors follow DESIGN.md. A permanent input error (a folder marker, a key that is not audio,
an object too large, deleted, not decodable or too short:
:func:`sounddetect.result.is_permanent`) becomes a result object with ``error`` set: it
is stored (except for keys that are not files under the upload prefix) and never
retried. Anything else (a model not running, throttling, a network fault, a wrong ARN or
permission) leaves no result behind and is reported as ``failed``, so the handler can
raise after the other records and Lambda's retries and the on-failure destination keep
the event.

Idempotency: a stored result carries the upload's ETag and version id in its S3 metadata.
A repeated delivery of the same event finds it, returns the stored object unchanged and
sends no second alert. The alert is published before the result is stored, so a crash
between the two repeats the alert rather than losing it (alerts are at least once).
"""

from __future__ import annotations

import json
import tempfile
import time
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from urllib.parse import unquote_plus

from botocore.exceptions import BotoCoreError, ClientError

from sounddetect.audio import AUDIO_SUFFIXES, FFMPEG_AUDIO_SUFFIXES
from sounddetect.classifiers.base import Classifier
from sounddetect.detect import detect_file
from sounddetect.exceptions import (
    AlertNotSentError,
    AudioError,
    SoundDetectWarning,
    TransientError,
)
from sounddetect.ffmpeg import find_ffmpeg
from sounddetect.lambda_config import LambdaSettings
from sounddetect.result import error_result, is_permanent, to_json

#: S3 error codes a retry may fix.
TRANSIENT_S3_CODES = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestTimeout",
    "RequestTimeTooSkewed",
    "InternalError",
    "ServiceUnavailable",
    "503",
    "500",
}
#: S3 error codes saying the uploaded object (or the version the event names) is gone.
MISSING_CODES = {"NoSuchKey", "NoSuchVersion", "404", "NotFound"}
#: S3 error codes of a request the function's role may not make (a GET's, a HEAD's).
DENIED_CODES = {"AccessDenied", "403"}
#: Metadata keys of a stored result naming the upload it was computed from.
ETAG_METADATA, VERSION_METADATA = "source-etag", "source-version-id"
#: Versions of a result searched for an older upload's result when its event comes again.
EARLIER_RESULTS_SEARCHED = 20
#: Bytes per read while streaming an upload to disk.
CHUNK_BYTES = 1 << 20
#: Largest log line CloudWatch keeps whole is 256 KB; leave room for the logger's own keys.
LOG_RESULT_MAX_CHARS = 200_000
#: S3's limit on a key's length, in UTF-8 bytes.
S3_KEY_MAX_BYTES = 1024
#: SNS limits: subject under 100 ASCII characters.
SUBJECT_MAX_CHARS = 99
#: Events an alert lists; the stored result holds every one. A day's recording of a beeping
#: machine can hold thousands, and SNS refuses a message over 256 KB on every retry.
ALERT_MAX_EVENTS = 100
#: Seconds of an invocation's time kept for storing a result and sending its alert: a
#: recording that would leave less is refused rather than timed out.
RESULT_MARGIN_S = 20.0


@dataclass(frozen=True)
class S3Upload:
    """One uploaded object, as an S3 event record names it.

    Attributes
    ----------
    bucket : str
    key : str
        The object key, already URL-decoded (S3 events send it ``quote_plus``-encoded).
    version_id : str or None
        The version the event is about (versioned buckets).
    etag : str
        The object's ETag without quotes; ``""`` when the event has none.
    size : int or None
        Bytes, as the event reports them.
    """

    bucket: str
    key: str
    version_id: str | None = None
    etag: str = ""
    size: int | None = None

    @property
    def uri(self) -> str:
        """``s3://bucket/key``: the result's ``file``."""
        return f"s3://{self.bucket}/{self.key}"

    @classmethod
    def from_record(cls, record: Any) -> S3Upload:
        """The upload one record of an S3 event notification names.

        Raises
        ------
        AudioError
            The record is not an S3 object notification (a record of another service, a
            test event missing its bucket or key).
        """
        try:
            bucket, obj = record["s3"]["bucket"]["name"], record["s3"]["object"]
            key = obj["key"]
        except (KeyError, TypeError):
            key = bucket = None
        if not (isinstance(bucket, str) and bucket and isinstance(key, str) and key):
            shape = (
                f"eventSource {record.get('eventSource')!r}, keys {', '.join(sorted(record))}"
                if isinstance(record, dict)
                else type(record).__name__
            )
            raise AudioError(
                f"not an S3 object notification ({shape}): the function takes the "
                "ObjectCreated events of its bucket, with s3.bucket.name and s3.object.key"
            )
        size = obj.get("size")
        return cls(
            bucket=bucket,
            key=unquote_plus(key),
            version_id=obj.get("versionId") or None,
            etag=obj.get("eTag") or "",
            size=int(size) if isinstance(size, int | str) and str(size).isdigit() else None,
        )


#: What :func:`process_upload` did with an upload (:attr:`RecordOutcome.status`).
RecordStatus = Literal["processed", "duplicate", "rejected", "failed", "superseded"]


@dataclass(frozen=True)
class RecordOutcome:
    """What :func:`process_upload` did with one upload.

    Attributes
    ----------
    result : dict
        The result object (DESIGN.md); on failure ``error`` is set.
    status : {"processed", "duplicate", "rejected", "failed", "superseded"}
        ``processed``: detection ran and the result was stored. ``duplicate``: a result for
        the same ETag was already stored; nothing was redone. ``rejected``: a permanent
        input error (not audio, corrupt, too short), whose result is stored
        (``result_uri`` says where) unless the upload is not a file under the upload prefix
        (a folder marker), its key is too long for a result's key, or a newer upload of the
        key, whose result is stored, has replaced it (an event naming a version the bucket
        no longer holds).
        ``failed``: a retry or a configuration fix may help; nothing stored.
        ``superseded``: detection ran (and alerted) on a version of the key that a newer
        upload, whose result is stored, has replaced; its result was not stored over that.
    result_uri : str or None
        Where the result is stored.
    alert_id : str or None
        The SNS message id of the alert this delivery sent.
    seconds : float
        Wall-clock seconds spent on the upload.
    warnings : tuple of str
        :class:`~sounddetect.exceptions.SoundDetectWarning` messages raised while
        detecting (e.g. a sample rate too low for the model's frequency range).
    """

    result: dict[str, Any]
    status: RecordStatus
    result_uri: str | None = None
    alert_id: str | None = None
    seconds: float = 0.0
    warnings: tuple[str, ...] = ()

    @property
    def retry(self) -> bool:
        """True when the event must fail so that Lambda retries it."""
        return self.status == "failed"


def result_key(key: str, *, upload_prefix: str, results_prefix: str) -> str:
    """Where the result of an upload is stored: ``uploads/a/b.wav`` -> ``results/a/b.wav.json``.

    Raises
    ------
    AudioError
        ``key`` is not under ``upload_prefix``, is a folder marker (ends in ``/``), or so
        long that the result's key would pass S3's limit of :data:`S3_KEY_MAX_BYTES`.
    """
    if not key.startswith(upload_prefix):
        raise AudioError(
            f"s3 key {key!r} is outside the upload prefix {upload_prefix!r}; not processed"
        )
    if key.endswith("/"):
        raise AudioError(f"s3 key {key!r} is a folder marker, not a recording")
    stored = f"{results_prefix}{key[len(upload_prefix) :]}.json"
    if len(stored.encode("utf-8")) > S3_KEY_MAX_BYTES:
        # S3 would refuse to store the result, and the retries would detect it again
        raise AudioError(
            f"s3 key of {len(key.encode('utf-8'))} bytes: its result's key would pass S3's "
            f"{S3_KEY_MAX_BYTES}-byte limit; upload it under a shorter name"
        )
    return stored


def process_upload(
    upload: S3Upload,
    *,
    classifier: Classifier,
    settings: LambdaSettings,
    s3: Any,
    sns: Any = None,
    time_left_s: float | None = None,
    invocation_s: float | None = None,
) -> RecordOutcome:
    """Run detection on one uploaded recording, store the result and alert on alarms.

    Parameters
    ----------
    upload : S3Upload
    classifier : Classifier
    settings : LambdaSettings
        Prefixes, window hop, minimum event length, size limit, topic.
    s3, sns : botocore clients
        ``sns`` may be ``None`` when ``settings.topic_arn`` is.
    time_left_s : float or None
        The invocation's time left (the Lambda context's remaining time). A recording that
        would not be downloaded and classified with :data:`RESULT_MARGIN_S` of it to spare
        is refused (:func:`download_upload`'s and
        :func:`sounddetect.detect.detect_file`'s ``deadline``), where a timed-out
        invocation would store nothing. A download not done in time is a failure for Lambda
        to retry. If even a whole invocation (``invocation_s``) would not classify it with
        a local model, the refusal is an error result that says how long a recording may
        be, not retried; otherwise, and always with Rekognition, whose pace may be
        throttling's, it is a failure for Lambda to retry. None: no limit.
    invocation_s : float or None
        A whole invocation's time, what a retry of the event has for it: the remaining
        time when the invocation began (the function's timeout). None: ``time_left_s``
        (the upload is the invocation's first).

    Returns
    -------
    RecordOutcome

    Raises
    ------
    TransientError
        S3 throttled or could not be reached, but for the download (a failed outcome).
    AlertNotSentError
        An alarm was detected, but SNS refused or failed its alert (a deleted topic, a
        missing permission, throttling); the exception carries the result.
    botocore.exceptions.ClientError
        Any other S3 refusal (permissions, a missing bucket).
    """
    started = time.monotonic()
    deadline = None if time_left_s is None else started + time_left_s - RESULT_MARGIN_S
    described = classifier.describe()
    name = upload.uri

    caught: list[warnings.WarningMessage] = []

    def outcome(result, status, **extra) -> RecordOutcome:
        messages = tuple(str(w.message) for w in caught if w.category is SoundDetectWarning)
        return RecordOutcome(
            result, status, seconds=time.monotonic() - started, warnings=messages, **extra
        )

    try:
        stored_key = result_key(
            upload.key,
            upload_prefix=settings.upload_prefix,
            results_prefix=settings.results_prefix,
        )
    except AudioError as exc:
        return outcome(error_result(name, exc, classifier=described), "rejected")
    result_uri = f"s3://{upload.bucket}/{stored_key}"

    if not upload.etag:
        upload = _with_current_etag(s3, upload)
    stored = _stored_result(s3, upload, stored_key)
    if stored is not None:
        return outcome(stored, "duplicate", result_uri=result_uri)

    # A download must not run the invocation out of time; but when no invocation has any,
    # detect_file says so in a result (with the local model) that no retry would change.
    download_deadline = None
    whole_s = invocation_s if invocation_s is not None else time_left_s
    if deadline is not None and whole_s is not None and whole_s > RESULT_MARGIN_S:
        download_deadline = deadline

    # A private folder of the temporary directory (/tmp on Lambda), removed afterwards.
    with tempfile.TemporaryDirectory(prefix="sounddetect-") as tmp:
        suffix = PurePosixPath(upload.key).suffix.lower()
        try:
            check_audio_key(upload.key)
            path = download_upload(
                s3,
                upload,
                Path(tmp) / f"upload{suffix}",
                max_bytes=settings.max_upload_bytes,
                deadline=download_deadline,
            )
        # A failed result: stored for a key that is not audio or an upload too large
        # (AudioError), retried by the handler when out of time or S3 failed (TransientError).
        except (AudioError, TransientError) as exc:
            result = error_result(name, exc, classifier=described)
        else:
            retry_s = None
            if deadline is not None and invocation_s is not None:
                # A retry has the whole invocation, less the time spent before detection.
                retry_s = invocation_s - RESULT_MARGIN_S - (time.monotonic() - started)
            with warnings.catch_warnings(record=True) as recorded:
                warnings.simplefilter("always", SoundDetectWarning)
                result = detect_file(
                    path,
                    classifier,
                    hop_s=settings.hop_s,
                    min_event_s=settings.min_event_s,
                    min_windows=settings.min_windows,
                    merge_gap_s=settings.merge_gap_s,
                    beep_patterns=settings.pattern_groups > 0,
                    min_pattern_groups=max(settings.pattern_groups, 1),
                    pulse_patterns=settings.pulse_patterns,
                    continuous_tones=settings.continuous_tones,
                    name=name,
                    deadline=deadline,
                    retry_s=retry_s,
                )
            caught.extend(recorded)

    if result["error"] is not None and not is_permanent(result):
        return outcome(result, "failed")

    # A late delivery (a retry) of an upload replaced since: its result must not take the
    # place of the newer one's, and its alert must not point to the newer one's result.
    superseded = bool(upload.version_id) and _newer_result_stored(s3, upload, stored_key)
    alert_id = None
    if result["alarm"] and settings.topic_arn:
        subject, message = alert_message(
            result,
            result_uri=None if superseded else result_uri,
            upload_prefix=settings.upload_prefix,
            older_version=upload.version_id if superseded else None,
        )
        try:
            response = _call(
                sns.publish, TopicArn=settings.topic_arn, Subject=subject, Message=message
            )
        except (ClientError, TransientError) as exc:
            raise AlertNotSentError(result, exc) from exc
        alert_id = response["MessageId"]
    if superseded:
        # Its alert went out; the log keeps its result. An input error (most often its
        # version deleted since) is no detection to keep.
        if result["error"] is not None:
            return outcome(result, "rejected")
        return outcome(result, "superseded", alert_id=alert_id)
    _call(
        s3.put_object,
        Bucket=upload.bucket,
        Key=stored_key,
        Body=to_json(result).encode("utf-8"),
        ContentType="application/json",
        Metadata={ETAG_METADATA: upload.etag, VERSION_METADATA: upload.version_id or "null"},
    )
    status: RecordStatus = "processed" if result["error"] is None else "rejected"
    return outcome(result, status, result_uri=result_uri, alert_id=alert_id)


def check_audio_key(key: str) -> None:
    """Raise :class:`AudioError` unless the key ends in one of the decodable suffixes, or in
    none.

    The suffixes only ffmpeg decodes (M4A, MP4, WMA, ...) pass when ffmpeg is installed, e.g.
    from a Lambda layer (:mod:`sounddetect.ffmpeg`). A key without a suffix (a device that
    names its uploads by time) is decoded by its content, as ``sounddetect detect`` decodes
    a file so named; a key with another suffix (``notes.txt``) is refused unread.
    """
    suffix = PurePosixPath(key).suffix.lower()
    with_ffmpeg = find_ffmpeg() is not None
    if not suffix or suffix in AUDIO_SUFFIXES or (with_ffmpeg and suffix in FFMPEG_AUDIO_SUFFIXES):
        return
    if suffix in FFMPEG_AUDIO_SUFFIXES:
        reason = f"{suffix} audio is not supported without ffmpeg"
    else:
        reason = f"not an audio file (suffix {suffix})"
    decodable = AUDIO_SUFFIXES + (FFMPEG_AUDIO_SUFFIXES if with_ffmpeg else ())
    formats = ", ".join(s.lstrip(".").upper() for s in decodable)
    raise AudioError(f"{reason}; upload one of {formats}")


def download_upload(
    s3: Any, upload: S3Upload, path: Path, *, max_bytes: int, deadline: float | None = None
) -> Path:
    """Stream the upload (the event's version) to ``path``, refusing more than ``max_bytes``.

    The size is checked three times: the event's ``upload.size`` (when known), before
    anything is requested; S3's ``ContentLength``, before the body is read; and the bytes
    read, chunk by chunk (:data:`CHUNK_BYTES`). When an error is raised while streaming, what
    was written to ``path`` so far is left there.

    Parameters
    ----------
    s3 : boto3 S3 client
        Its ``get_object`` is called.
    upload : S3Upload
        Bucket and key, and the version (``upload.version_id``) when the event names one,
        else the current object.
    path : Path
        The local file to write; its folder must exist, and a file already there is
        overwritten.
    max_bytes : int
        The upload limit in bytes; an object of exactly ``max_bytes`` passes. Messages give
        it in MB of 2**20 bytes.
    deadline : float or None
        ``time.monotonic()`` by which the download must be done, or it is given up (None:
        no limit): a download must not run the invocation past its timeout, where nothing
        of it would be stored or logged. It is checked before the request and after each
        chunk is read.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    AudioError
        The object is larger than ``max_bytes``, empty, archived (Glacier, Deep Archive), or
        no longer exists.
    TransientError
        S3 throttled or failed with a server error, the connection failed, or ``deadline``
        passed before the download began or was done.
    botocore.exceptions.ClientError
        Any other S3 error (e.g. access denied), as S3 gave it.
    """
    limit = f"the {max_bytes / 2**20:.4g} MB upload limit (SAM parameter MaxUploadSizeMB)"
    if upload.size is not None and upload.size > max_bytes:
        raise AudioError(f"{upload.size / 2**20:.1f} MB is larger than {limit}")
    if deadline is not None and time.monotonic() >= deadline:
        raise TransientError("not analysed: the time left ran out before it began")
    request = {"Bucket": upload.bucket, "Key": upload.key}
    if upload.version_id:
        request["VersionId"] = upload.version_id
    try:
        response = _call(s3.get_object, **request)
    except ClientError as exc:
        if _code(exc) == "NoSuchVersion" or (
            upload.version_id and _code(exc) == "InvalidArgument"
        ):  # S3 answers InvalidArgument to a version id that is not one of its own
            raise AudioError(
                f"no longer exists: the version the event names ({upload.version_id}) is not "
                "in the bucket (deleted before it was processed, or an event written by "
                "hand: leave out versionId, eTag and size to take the current object)"
            ) from exc
        if _code(exc) in MISSING_CODES:
            raise AudioError("no longer exists (deleted before it was processed)") from exc
        if _code(exc) == "InvalidObjectState":  # no retry reads it before a restore
            raise AudioError(
                "stored in an archive storage class or tier, which S3 reads only after a "
                "restore; upload recordings with the STANDARD class"
            ) from exc
        raise
    body = response["Body"]
    if response.get("ContentLength", 0) > max_bytes:
        body.close()
        raise AudioError(f"{response['ContentLength'] / 2**20:.1f} MB is larger than {limit}")
    written = 0
    try:
        with open(path, "wb") as out:
            for chunk in body.iter_chunks(CHUNK_BYTES):
                written += len(chunk)
                if written > max_bytes:
                    raise AudioError(f"more than {limit}")
                if deadline is not None and time.monotonic() >= deadline:
                    raise TransientError(
                        f"not analysed: the time left ran out while downloading it "
                        f"({written / 2**20:.1f} MB read)"
                    )
                out.write(chunk)
    except BotoCoreError as exc:
        raise TransientError(f"download interrupted ({exc})") from exc
    finally:
        body.close()
    if written == 0:
        raise AudioError("empty file (0 bytes)")
    return path


def alert_message(
    result: dict[str, Any],
    *,
    result_uri: str | None = None,
    upload_prefix: str = "",
    older_version: str | None = None,
) -> tuple[str, str]:
    """SNS ``Subject`` and ``Message`` for a result with alarm events.

    The subject names the upload by its key below ``upload_prefix`` (its folders tell
    ``cam1/latest.wav`` from ``cam2/latest.wav``), in printable ASCII, shorter than 100
    characters, as SNS requires: accents are dropped (``Küche`` -> ``Kuche``), other
    characters become ``?``, and a long name keeps its end. The text lists the first
    :data:`ALERT_MAX_EVENTS` events and points to the stored result (``result_uri``), or,
    for ``older_version``, the version ID of an upload replaced since under the same key,
    says that its result is in the function's log only.
    """
    file = result["file"]
    if file.startswith("s3://"):
        where = file.removeprefix("s3://").partition("/")[2].removeprefix(upload_prefix)
    else:
        where = PurePosixPath(file).name
    where = _subject_text(where or file)
    prefix = "Smoke alarm detected in "
    if len(prefix) + len(where) > SUBJECT_MAX_CHARS:
        where = "..." + where[-(SUBJECT_MAX_CHARS - len(prefix) - 3) :]
    subject = prefix + where
    events = result["events"]
    lines = [
        f"{len(events)} smoke alarm event{'s' if len(events) != 1 else ''} in {file} "
        f"({result['duration_s']:g} s recording):",
        "",
    ]
    # Clock times are what a reader scrubs to in an audio player; seconds match the JSON.
    hours = result["duration_s"] >= 3600
    lines += [
        f"  {_clock(event['start'], hours=hours)} - {_clock(event['end'], hours=hours)}"
        f"  ({event['start']:.1f}-{event['end']:.1f} s)   confidence {event['confidence']:.2f}"
        for event in events[:ALERT_MAX_EVENTS]
    ]
    if len(events) > ALERT_MAX_EVENTS:
        lines.append(f"  ... and {len(events) - ALERT_MAX_EVENTS} more (the full result has all)")
    classifier = result.get("classifier") or {}
    lines += ["", f"Classifier: {classifier.get('backend', '?')} {classifier.get('model', '')}"]
    if older_version:
        lines.append(
            f"This was version {older_version} of the upload, replaced since by a newer one "
            "under the same key: its full result is in the function's log, not stored."
        )
    if result_uri:
        lines.append(f"Full result: {result_uri}")
    return subject, "\n".join(lines) + "\n"


def _subject_text(text: str) -> str:
    """``text`` in printable ASCII: SNS refuses a subject with non-ASCII, line breaks or
    other control characters, and a refused alert would fail the upload on every retry."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return "".join(c if " " <= c <= "~" else "?" for c in plain)


def _clock(seconds: float, *, hours: bool) -> str:
    """``m:ss.s``, or ``h:mm:ss.s`` when ``hours``: 2712.04 -> ``45:12.0``."""
    tenths = round(seconds * 10)
    minutes, tenths = divmod(tenths, 600)
    text = f"{tenths // 10:02d}.{tenths % 10}"
    if hours:
        return f"{minutes // 60}:{minutes % 60:02d}:{text}"
    return f"{minutes}:{text}"


#: The lists of a result that :func:`result_for_log` may move to lines of their own.
_LOGGED_LISTS = ("events", "windows")


def result_for_log(result: dict[str, Any]) -> tuple[dict, list[dict]]:
    """The result object for the file's log line, and the lines its lists continue on.

    The object is the result with its ``events`` and ``windows`` lists last. When the whole
    would not fit one log event (a recording of a few hours), the file's line holds it
    without its windows (``windows`` empty, ``windows_parts`` saying how many lines follow)
    and each further line holds the next run of windows; when even that is too long (a
    day's recording of thousands of events), its events go on lines of their own in the
    same way (``events_parts``). So the log still holds the whole object the stored result
    does. CloudWatch Logs Insights discovers the first 1,000 fields of a JSON log line, and
    each window or event is four: after the windows of a recording of 8 minutes, ``error``
    and ``classifier`` would not be found by a query, so they come first.

    Parameters
    ----------
    result : dict
        A result object (DESIGN.md).

    Returns
    -------
    summary : dict
        The object for the file's log line.
    parts : list of dict
        Empty when the lists fit the file's line; else one dict per further line, its
        windows' first: ``file``, ``part`` (from 1), ``parts`` (of its list), and
        ``first_window`` and ``windows``, or ``first_event`` and ``events`` (the index of
        its first item in the result's list, and the run of items), each at most
        :data:`LOG_RESULT_MAX_CHARS` characters as JSON.
    """
    summary = {key: value for key, value in result.items() if key not in _LOGGED_LISTS}
    summary.update({key: result[key] for key in _LOGGED_LISTS})
    parts: list[dict] = []
    for key in reversed(_LOGGED_LISTS):  # windows first: the longer list
        if len(to_json(summary)) <= LOG_RESULT_MAX_CHARS:
            break
        if not result[key]:  # nothing to move
            continue
        runs = _runs_within(result[key], name=result["file"])
        summary.update({key: [], f"{key}_parts": len(runs)})
        parts += [
            {
                "file": result["file"],
                "part": number,
                "parts": len(runs),
                f"first_{key[:-1]}": start,
                key: result[key][start:stop],
            }
            for number, (start, stop) in enumerate(runs, 1)
        ]
    # The counts of parts before the emptied lists, which stay last.
    lists = {key: summary.pop(key) for key in _LOGGED_LISTS}
    return {**summary, **lists}, parts


def _runs_within(items: list[dict], *, name: str) -> list[tuple[int, int]]:
    """(start, stop) runs of ``items`` that fit a log line beside the file ``name``."""
    # Room for the part's own keys and the file name, which every part repeats.
    room = LOG_RESULT_MAX_CHARS - len(to_json({"file": name})) - 100
    runs, first, size = [], 0, 0
    for index, item in enumerate(items):
        chars = len(to_json(item)) + 2  # its comma and space
        if index > first and size + chars > room:
            runs.append((first, index))
            first, size = index, 0
        size += chars
    runs.append((first, len(items)))
    return runs


def _with_current_etag(s3: Any, upload: S3Upload) -> S3Upload:
    # Hand-made events may lack the ETag the idempotency check needs: ask S3.
    request = {"Bucket": upload.bucket, "Key": upload.key}
    if upload.version_id:
        request["VersionId"] = upload.version_id
    try:
        head = _call(s3.head_object, **request)
    except ClientError as exc:
        if _code(exc) in MISSING_CODES:
            return upload  # download_upload reports it as a permanent error
        raise
    return S3Upload(
        upload.bucket,
        upload.key,
        version_id=upload.version_id or head.get("VersionId"),
        etag=head["ETag"].strip('"'),
        size=head.get("ContentLength", upload.size),
    )


def _newer_result_stored(s3: Any, upload: S3Upload, key: str) -> bool:
    """Whether the upload is an older version of its key, and the current version's result
    is stored already."""
    current = _current_version(s3, upload)
    if current in (None, upload.version_id):
        return False
    try:
        stored = _call(s3.head_object, Bucket=upload.bucket, Key=key)
    except ClientError as exc:
        if _code(exc) in MISSING_CODES:  # no result yet
            return False
        raise
    return stored.get("Metadata", {}).get(VERSION_METADATA) == current


def _current_version(s3: Any, upload: S3Upload) -> str | None:
    """The version id of the upload's key now; None when the key is gone (or unversioned)."""
    try:
        return _call(s3.head_object, Bucket=upload.bucket, Key=upload.key).get("VersionId")
    except ClientError as exc:
        if _code(exc) in MISSING_CODES:
            return None
        raise


def _stored_result(s3: Any, upload: S3Upload, key: str) -> dict[str, Any] | None:
    """The result stored earlier for this very upload (same ETag and version), else None:
    the current result, or, for an older version of the key, one of its earlier results."""
    try:
        response = _call(s3.get_object, Bucket=upload.bucket, Key=key)
    except ClientError as exc:
        if _code(exc) in MISSING_CODES:
            return None
        raise
    with response["Body"] as body:
        data = body.read()
    if _stored_for(upload, response.get("Metadata", {})):
        return json.loads(data)
    if not (upload.version_id and upload.etag):
        return None
    if _current_version(s3, upload) == upload.version_id:
        return None  # the current upload, not yet stored
    # Replaced by a newer upload since, or its key deleted: its result may be an older one.
    return _earlier_stored_result(s3, upload, key)


def _stored_for(upload: S3Upload, metadata: dict[str, str]) -> bool:
    """Whether a stored result's metadata names this very upload (ETag and version)."""
    return bool(upload.etag) and (
        metadata.get(ETAG_METADATA) == upload.etag
        and metadata.get(VERSION_METADATA) == (upload.version_id or "null")
    )


def _earlier_stored_result(s3: Any, upload: S3Upload, key: str) -> dict[str, Any] | None:
    """The result stored for this upload before a newer upload's result took its key's place:
    among the :data:`EARLIER_RESULTS_SEARCHED` latest earlier versions of the result, else
    None.

    A late repeat of an older version's event (the retry of an event with another record
    that failed) must not be classified and alerted again.
    """
    try:
        # MaxKeys counts delete markers too; the current version was read already.
        listing = _call(
            s3.list_object_versions,
            Bucket=upload.bucket,
            Prefix=key,
            MaxKeys=EARLIER_RESULTS_SEARCHED + 1,
        )
    except ClientError as exc:
        if _code(exc) in DENIED_CODES:  # a role that may not list versions
            return None
        raise
    # Versions of the key, newest first; longer keys with it as their prefix sort after it.
    earlier = [v for v in listing.get("Versions", []) if v["Key"] == key and not v.get("IsLatest")]
    for version in earlier[:EARLIER_RESULTS_SEARCHED]:
        request = {"Bucket": upload.bucket, "Key": key, "VersionId": version["VersionId"]}
        try:
            if not _stored_for(upload, _call(s3.head_object, **request).get("Metadata", {})):
                continue
            with _call(s3.get_object, **request)["Body"] as body:
                return json.loads(body.read())
        except ClientError as exc:
            # Expired meanwhile, or a role that may not read versions: classified again.
            if _code(exc) in MISSING_CODES:
                continue
            if _code(exc) in DENIED_CODES:
                return None
            raise
    return None


def _call(method, **kwargs) -> dict[str, Any]:
    """Call a boto3 client method, raising TransientError for throttling and network faults."""
    try:
        return method(**kwargs)
    except ClientError as exc:
        if (
            _code(exc) in TRANSIENT_S3_CODES
            or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500
        ):
            operation = getattr(exc, "operation_name", method.__name__)
            raise TransientError(f"{operation}: {_code(exc)}, retry later") from exc
        raise
    except BotoCoreError as exc:
        raise TransientError(f"{method.__name__}: {exc}") from exc


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
