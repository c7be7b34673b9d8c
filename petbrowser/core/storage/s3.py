"""A store in an S3 bucket (AWS, MinIO, anything speaking S3), through boto3.

boto3 is imported here, when an S3 store is opened, never at import time of
petbrowser: a local-only user starts faster and a missing or broken boto3
cannot break local browsing.  Configuration follows boto3's own chain
(profiles, ``AWS_ENDPOINT_URL``, environment credentials, instance roles);
petbrowser adds only explicit overrides.

Create-only writes are ``PutObject`` with ``If-None-Match: *``; the pointer's
compare-and-swap is ``PutObject`` with ``If-Match: <ETag>``.  Error messages
name the bucket, key and error code, never credentials.

Every operation has a time budget (``timeout``, the user's ``--timeout``): it
bounds the connect, the reads and botocore's retries *together*, so a hung
endpoint is reported within it instead of after five full read timeouts.
botocore keeps deciding what to retry and how long to back off; two event
hooks only refuse a retry that could not finish in the time left and, where
botocore supports per-request read timeouts, shorten the last attempt's.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from petbrowser.core.errors import (
    AccessDeniedError,
    AlreadyExistsError,
    ConfigError,
    ConflictError,
    NotFoundError,
    StorageError,
    StoreNotFoundError,
    StoreUnreachableError,
)
from petbrowser.core.models import ObjectInfo
from petbrowser.core.storage import DEFAULT_STORAGE_TIMEOUT
from petbrowser.core.storage.base import Storage

__all__ = ["S3Storage"]

_DENIED = {
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "TokenRefreshRequired",
    "AllAccessDisabled",
    "403",
    "Forbidden",
}
_MISSING_KEY = {"NoSuchKey", "404", "NotFound"}
_CONFLICT = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}
#: Error codes of a request a server does not implement (a listing delimiter other than ``/``).
_REFUSED = {"InvalidArgument", "NotImplemented", "BadRequest", "400", "501"}
_THROTTLED = {"Throttling", "ThrottlingException", "SlowDown", "RequestLimitExceeded", "RequestTimeout"}


#: The form S3 gives every key's LastModified in a listing (3 or 6 digit
#: fractions: what ``datetime.fromisoformat`` reads on every Python we run on).
_ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{3}|\.\d{6})?Z\Z")


def _parse_timestamp(value: Any) -> datetime:
    """botocore's timestamp parser, with S3's listing form read directly.

    Why: botocore hands every timestamp to ``dateutil``'s general parser,
    ~100 us each, one per key of a 1,000-key listing page: most of the
    client's CPU for a listing (0.3 s of a 300-class status).  Anything not
    in that exact form (headers' RFC 822 dates, epochs) goes to botocore's.
    """
    if isinstance(value, str) and _ISO_UTC.match(value):
        return datetime.fromisoformat(value[:-1]).replace(tzinfo=timezone.utc)
    from botocore.utils import parse_timestamp

    return parse_timestamp(value)


class _OutOfTime(Exception):
    """Raised inside botocore's hooks when the operation's budget cannot cover another try."""

    def __init__(self, cause: BaseException | int | None = None) -> None:
        super().__init__("out of time")
        #: the last attempt's failure: an exception, an HTTP status, or None
        self.cause = cause


def _per_request_read_timeout() -> bool:
    """Does this botocore honour ``read_timeout`` in a request's context (1.44+)?"""
    from botocore.httpsession import URLLib3Session

    return hasattr(URLLib3Session, "_get_request_timeout")


def _pruned_page_ok(page: dict[str, Any], full: str, delimiter: str, last: str | None, seen: set[str]) -> bool:
    """Whether a page listed with ``delimiter`` is what S3 promises.

    Objects and common prefixes lie under the prefix, after everything before
    (no repeats), each in order; no object has the delimiter below the
    prefix; each common prefix ends at its first one; a truncated page
    carries a continuation token never seen before.
    """
    cut = len(full)
    previous = last or ""
    keys = []
    for obj in page.get("Contents", ()):
        key = obj.get("Key")
        if not isinstance(key, str) or not key.startswith(full) or delimiter in key[cut:]:
            return False
        keys.append(key)
    folders = []
    for p in page.get("CommonPrefixes", ()):
        key = p.get("Prefix")
        if not isinstance(key, str) or not key.startswith(full) or key[cut:].find(delimiter) != len(key) - cut - len(delimiter):
            return False
        folders.append(key)
    for run in (keys, folders):
        if any(b <= a for a, b in zip([previous, *run], run, strict=False)):
            return False
    if page.get("IsTruncated"):
        token = page.get("NextContinuationToken")
        if not isinstance(token, str) or not token or token in seen:
            return False
    return True


def _safe_endpoint(url: str | None) -> str:
    """The endpoint without any user:password part, for messages."""
    if not url:
        return "the S3 endpoint"
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}" if parts.scheme else "the S3 endpoint"


class S3Storage(Storage):
    """Objects under ``s3://bucket/prefix``."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        region: str | None = None,
        profile: str | None = None,
        endpoint_url: str | None = None,
        *,
        timeout: float = DEFAULT_STORAGE_TIMEOUT,
        connect_timeout: float = 5,
        read_timeout: float = 15,
        max_attempts: int = 5,
    ) -> None:
        if not bucket:
            raise ConfigError("an s3:// storage URL needs a bucket name")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise ConfigError("the storage timeout must be a positive number of seconds")
        import boto3
        import botocore.session
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ProfileNotFound

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.url = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        # Why these settings: "standard" retries back off on throttling and
        # transient 5xx, 5 attempts ride out a flaky link without hanging a
        # GUI action for minutes; a short connect timeout makes a wrong
        # endpoint fail fast (the GUI shows an error instead of a spinner);
        # the read timeout is generous for big .pkl downloads; 32 pooled
        # connections cover the listing's concurrent fetches (max_workers=16)
        # without "connection pool is full" churn.  One stalled attempt may
        # take at most half the budget, so a stall is retried once within it.
        self.timeout = float(timeout)
        self._connect_timeout = min(float(connect_timeout), self.timeout / 4)
        self._read_timeout = min(float(read_timeout), self.timeout / 2)
        self._clamp_reads = _per_request_read_timeout()
        self._local = threading.local()
        self._prune_fails = False  # the server mishandled a pruned listing (list_pruned)
        config = Config(
            retries={"mode": "standard", "max_attempts": max_attempts},
            connect_timeout=self._connect_timeout,
            read_timeout=self._read_timeout,
            max_pool_connections=32,
        )
        try:
            core = botocore.session.Session()  # our own: the parser setting stays ours
            core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=_parse_timestamp)
            session = boto3.session.Session(botocore_session=core, profile_name=profile, region_name=region)
            self._client: Any = session.client("s3", endpoint_url=endpoint_url, config=config)
        except ProfileNotFound:
            raise ConfigError(f"AWS profile {profile!r} is not configured") from None
        except (BotoCoreError, ValueError) as exc:
            raise ConfigError(f"cannot set up the S3 client: {type(exc).__name__}") from None
        self._endpoint = _safe_endpoint(self._client.meta.endpoint_url)
        events = self._client.meta.events
        events.register_first("before-send.s3", self._before_send)
        events.register_first("needs-retry.s3", self._before_retry)

    def __repr__(self) -> str:
        return f"S3Storage({self.url!r})"

    # ------------------------------------------------------- time budget
    @contextmanager
    def _budget(self, doing: str, key: str | None = None) -> Iterator[None]:
        """Run one operation (its requests, retries and our own re-reads) within ``timeout``.

        The deadline lives in a thread-local: botocore runs every attempt of
        a call on the calling thread, and the listing's worker threads each
        get their own budget.
        """
        outer = getattr(self._local, "deadline", None)
        if outer is None:
            self._local.deadline = time.monotonic() + self.timeout
        try:
            yield
        except _OutOfTime as exc:
            raise self._timed_out(exc.cause, key, doing) from None
        finally:
            if outer is None:
                self._local.deadline = None

    def _remaining(self) -> float | None:
        deadline = getattr(self._local, "deadline", None)
        return None if deadline is None else deadline - time.monotonic()

    def _before_send(self, request: Any, **_: Any) -> None:
        """botocore hook: no attempt starts after the deadline; the last one gets what is left."""
        remaining = self._remaining()
        if remaining is None:
            return
        if remaining <= 0.05:
            raise _OutOfTime()
        context = getattr(request, "context", None)
        if self._clamp_reads and isinstance(context, dict):
            context["read_timeout"] = min(self._read_timeout, remaining)

    def _before_retry(
        self,
        attempts: int,
        response: Any = None,
        caught_exception: BaseException | None = None,
        **_: Any,
    ) -> None:
        """botocore hook: refuse a retry that could not complete within the budget.

        Runs before botocore's own retry handler and never asks for a retry
        itself: when the failure is one botocore would retry and the longest
        backoff botocore may pick (``2 ** (attempts - 1)`` s) plus a connect
        (plus a full read where reads cannot be shortened) no longer fits,
        the operation ends now with the failure it had.
        """
        remaining = self._remaining()
        if remaining is None:
            return
        if isinstance(caught_exception, _OutOfTime):
            raise caught_exception  # _before_send found the budget spent
        cause: BaseException | int | None = caught_exception
        if caught_exception is None:
            meta = (response[1] if response else {}) or {}
            status = meta.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            code = str(meta.get("Error", {}).get("Code") or "")
            if not (status >= 500 or status == 429 or code in _THROTTLED):
                return  # a success or an answer no one retries
            cause = status
        needed = min(2 ** (attempts - 1), 20) + self._connect_timeout
        if not self._clamp_reads:
            needed += self._read_timeout
        if remaining < needed:
            raise _OutOfTime(cause)

    def _timed_out(self, cause: BaseException | int | None, key: str | None, doing: str) -> Exception:
        """The one line for an operation that ran out of time."""
        from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

        where = f"'{key}' in {self.url}" if key else self.url
        hint = "--timeout SECONDS sets how long to wait"
        if cause is None or isinstance(cause, (ReadTimeoutError, ConnectTimeoutError)):
            return StoreUnreachableError(
                f"{self._endpoint} did not answer within {self.timeout:g} s "
                f"(while trying to {doing} {where}); {hint}"
            )
        if isinstance(cause, int):
            return StorageError(
                f"could not {doing} {where}: S3 error {cause}; gave up within the "
                f"{self.timeout:g} s timeout ({hint})"
            )
        err = self._error(cause, key, doing)
        return type(err)(f"{err}; gave up within the {self.timeout:g} s timeout ({hint})")

    # ----------------------------------------------------------- helpers
    def _key(self, key: str) -> str:
        if not key or key.startswith("/") or any(p in ("", ".", "..") for p in key.split("/")):
            raise StorageError(f"refused object key {key[:200]!r}: not a plain relative path")
        return f"{self.prefix}/{key}" if self.prefix else key

    def _rel(self, full: str) -> str:
        return full[len(self.prefix) + 1 :] if self.prefix else full

    def _error(self, exc: BaseException, key: str | None, doing: str) -> Exception:
        """A typed, credential-free error for a boto3/botocore exception."""
        from botocore.exceptions import (
            ClientError,
            ConnectionClosedError,
            ConnectTimeoutError,
            EndpointConnectionError,
            NoCredentialsError,
            PartialCredentialsError,
            ReadTimeoutError,
        )

        where = f"'{key}' in {self.url}" if key else self.url
        if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
            return AccessDeniedError(
                f"no usable AWS credentials for {self.url} (set a profile, "
                "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or an instance role)"
            )
        if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError, ConnectionClosedError)):
            return StoreUnreachableError(
                f"{self._endpoint} does not answer (while trying to {doing} {where})"
            )
        if isinstance(exc, ReadTimeoutError):
            return StoreUnreachableError(
                f"{self._endpoint} stopped answering (while trying to {doing} {where})"
            )
        if isinstance(exc, ClientError):
            err = exc.response.get("Error", {}) or {}
            code = str(err.get("Code") or "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code == "NoSuchBucket":
                return StoreNotFoundError(
                    f"bucket '{self.bucket}' does not exist at {self._endpoint}"
                )
            if code in _DENIED or status == 403:
                return AccessDeniedError(
                    f"access to {where} was refused ({code or status}): check the credentials and permissions"
                )
            if code in _MISSING_KEY or status == 404:
                return NotFoundError(f"{where} does not exist")
            return StorageError(f"could not {doing} {where}: S3 error {code or status}")
        return StorageError(f"could not {doing} {where}: {type(exc).__name__}")

    @property
    def cache_identity(self) -> str:
        """What names this store in petbrowser's local caches (no credentials in it)."""
        return f"s3|{self._endpoint}|{self.bucket}|{self.prefix}"

    # --------------------------------------------------------- interface
    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """One paginated ``ListObjectsV2`` pass: no per-class requests.

        Every object comes with its ETag, which the listing cache
        (``core/cache.py``) uses to know a pointer or sidecar is unchanged.
        """
        return self._list_plain(self._full_prefix(prefix), None)

    def _full_prefix(self, prefix: str) -> str:
        return f"{self.prefix}/{prefix}" if self.prefix else prefix

    def _object(self, obj: dict[str, Any]) -> ObjectInfo:
        modified = obj.get("LastModified")
        return ObjectInfo(
            key=self._rel(obj["Key"]),
            size=int(obj.get("Size", 0)),
            modified=modified.timestamp() if modified is not None else None,
            etag=obj.get("ETag"),
        )

    def _page(self, *, refusal_ok: bool = False, **kwargs: Any) -> dict[str, Any] | None:
        """One ``ListObjectsV2`` page within its own budget (a big listing may take long).

        ``refusal_ok``: None instead of an error when the server refuses the
        request as one it does not implement (400, 501).
        """
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            with self._budget("list"):
                return self._client.list_objects_v2(Bucket=self.bucket, **kwargs)  # type: ignore[no-any-return]
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            code = str((exc.response.get("Error", {}) or {}).get("Code") or "")
            if refusal_ok and (status in (400, 501) or code in _REFUSED):
                return None
            raise self._error(exc, None, "list") from None
        except BotoCoreError as exc:
            raise self._error(exc, None, "list") from None

    def _list_plain(self, full: str, start_after: str | None) -> Iterator[ObjectInfo]:
        kwargs: dict[str, Any] = {"Prefix": full}
        if start_after is not None:
            kwargs["StartAfter"] = start_after
        seen: set[str] = set()
        while True:
            page = self._page(**kwargs)
            assert page is not None
            for obj in page.get("Contents", ()):
                yield self._object(obj)
            if not page.get("IsTruncated"):
                return
            token = page.get("NextContinuationToken")
            if not token or token in seen:
                raise StorageError(f"could not list {self.url}: {self._endpoint} sent a broken page (continuation token)")
            seen.add(token)
            kwargs["ContinuationToken"] = token

    @property
    def prunes(self) -> bool:
        """Whether :meth:`list_pruned` still leaves folders out (False once this
        server mishandled it: its listings then hold every object)."""
        return not self._prune_fails

    def list_pruned(self, prefix: str, folder: str, pruned: Callable[[str], None]) -> Iterator[ObjectInfo]:
        """Every object under ``prefix`` but those inside a folder named ``folder``
        (below ``prefix``, at any depth): each such folder's key (``.../folder/``)
        goes to ``pruned`` instead.

        Why: a class listing never needs the history records, a third of a
        store's keys or more, and S3 leaves them out itself when asked with the
        delimiter ``/folder/`` (they come back as one common prefix per class):
        fewer keys to send, parse and page through.  AWS takes any delimiter;
        some S3-compatible servers refuse one other than ``/``, or mishandle it
        (repeat a continuation token, read it as ``/``).  Each page is checked
        before anything of it is used; at the first sign of trouble the listing
        goes on without the delimiter after the last key it had, and this
        storage never asks with it again.  Without the delimiter the records
        are listed as objects, so the answer is complete either way.
        """
        full = self._full_prefix(prefix)
        if self._prune_fails:
            yield from self._list_plain(full, None)
            return
        delimiter = f"/{folder}/"
        kwargs: dict[str, Any] = {"Prefix": full, "Delimiter": delimiter}
        last: str | None = None  # everything up to here is listed (or pruned)
        seen: set[str] = set()
        while True:
            page = self._page(refusal_ok=last is None, **kwargs)
            if page is None or not _pruned_page_ok(page, full, delimiter, last, seen):
                self._prune_fails = True
                yield from self._list_plain(full, last)
                return
            objects = page.get("Contents", ())
            folders = page.get("CommonPrefixes", ())
            for obj in objects:
                yield self._object(obj)
            for p in folders:
                pruned(self._rel(p["Prefix"]))
            ends = [run[-1][k] for run, k in ((objects, "Key"), (folders, "Prefix")) if run]
            last = max(ends, default=last)  # the page was checked: all of it comes after ``last``
            if not page.get("IsTruncated"):
                return
            token = page["NextContinuationToken"]
            seen.add(token)
            kwargs["ContinuationToken"] = token

    def read(self, key: str) -> bytes:
        return self.read_with_token(key)[0]

    def read_with_token(self, key: str) -> tuple[bytes, str]:
        with self._budget("read", key):
            return self._read_with_token(key)

    def _read_with_token(self, key: str) -> tuple[bytes, str]:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            IncompleteReadError,
            ResponseStreamingError,
        )

        for attempt in range(3):
            try:
                resp = self._client.get_object(Bucket=self.bucket, Key=self._key(key))
                return resp["Body"].read(), resp["ETag"]
            except (ResponseStreamingError, IncompleteReadError):
                # botocore retries requests, not body reads: a body cut short is fetched again.
                if attempt == 2:
                    raise StoreUnreachableError(
                        f"{self._endpoint} broke off while sending '{key}' in {self.url}"
                    ) from None
            except (ClientError, BotoCoreError) as exc:
                raise self._error(exc, key, "read") from None
        raise AssertionError("unreachable")

    def exists(self, key: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            with self._budget("look up", key):
                self._client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except (ClientError, BotoCoreError) as exc:
            err = self._error(exc, key, "look up")
            if type(err) is NotFoundError:
                return False
            raise err from None

    def create(self, key: str, data: bytes) -> None:
        with self._budget("write", key):
            self._create(key, data)

    def _create(self, key: str, data: bytes) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        for attempt in range(4):
            try:
                self._client.put_object(
                    Bucket=self.bucket, Key=self._key(key), Body=data, IfNoneMatch="*"
                )
                return
            except ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code") or "")
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
                if code == "PreconditionFailed" or status == 412:
                    raise AlreadyExistsError(f"'{key}' already exists in {self.url}") from None
                if code == "ConditionalRequestConflict" or status == 409:
                    if attempt < 3:
                        # Two conditional writes raced; S3 asks for a retry, which then meets
                        # the winner's object (412 above) or writes ours.
                        time.sleep(0.05 * 2**attempt)
                        continue
                    raise ConflictError(
                        f"another writer was writing '{key}' in {self.url} at the same moment; try again"
                    ) from None
                raise self._error(exc, key, "write") from None
            except BotoCoreError as exc:
                raise self._error(exc, key, "write") from None

    def replace(self, key: str, data: bytes, expected_token: str | None) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        cond = {"IfNoneMatch": "*"} if expected_token is None else {"IfMatch": expected_token}
        try:
            with self._budget("write", key):
                resp = self._client.put_object(
                    Bucket=self.bucket, Key=self._key(key), Body=data, **cond
                )
            return str(resp["ETag"])
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code") or "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if (
                code in _CONFLICT
                or status in (409, 412)
                or (expected_token is not None and (code in _MISSING_KEY or status == 404))
            ):
                raise ConflictError(
                    f"'{key}' changed since it was read; nothing was written"
                ) from None
            raise self._error(exc, key, "write") from None
        except BotoCoreError as exc:
            raise self._error(exc, key, "write") from None

    def check(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            with self._budget("open"):
                self._client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            code = str(exc.response.get("Error", {}).get("Code") or "")
            if status == 404 or code in ("404", "NoSuchBucket"):
                raise StoreNotFoundError(
                    f"bucket '{self.bucket}' does not exist at {self._endpoint}"
                ) from None
            raise self._error(exc, None, "open") from None
        except BotoCoreError as exc:
            raise self._error(exc, None, "open") from None
