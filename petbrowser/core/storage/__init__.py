"""Byte-level stores: a local folder or an S3 bucket, behind one interface.

``open_storage(url)`` picks the backend from the URL.  ``S3Storage`` is
imported lazily so opening a local store never imports boto3.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from petbrowser.core.errors import ConfigError
from petbrowser.core.storage.base import Storage
from petbrowser.core.storage.local import LocalStorage

if TYPE_CHECKING:
    from petbrowser.core.storage.s3 import S3Storage

__all__ = ["DEFAULT_STORAGE_TIMEOUT", "LocalStorage", "S3Storage", "Storage", "open_storage", "timeout_from_env"]

NO_STORE_MESSAGE = "no store configured: pass --storage URL or set PETBROWSER_STORAGE"

#: Seconds one store operation may take, retries included (S3; a local disk does not hang).
#: ``--timeout`` / ``PETBROWSER_TIMEOUT`` / ``storage_timeout`` in the project choose another.
DEFAULT_STORAGE_TIMEOUT = 30.0
TIMEOUT_ENV = "PETBROWSER_TIMEOUT"


def timeout_from_env() -> float | None:
    """``PETBROWSER_TIMEOUT`` in seconds, or None when unset; anything else is a ConfigError."""
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise ConfigError(f"{TIMEOUT_ENV} must be a positive number of seconds, not {raw[:40]!r}")
    return value


def __getattr__(name: str) -> Any:
    if name == "S3Storage":
        from petbrowser.core.storage.s3 import S3Storage

        return S3Storage
    raise AttributeError(name)


def open_storage(
    url: str | Path | None,
    *,
    endpoint_url: str | None = None,
    profile: str | None = None,
    region: str | None = None,
    timeout: float | None = None,
) -> Storage:
    """The store at ``url``: a path, ``file://...`` or ``s3://bucket/prefix``.

    Opening does no I/O (call ``check()`` for that): a local store that does
    not exist yet is fine to open, since the first push creates it.
    ``timeout`` bounds each S3 operation, retries included (None:
    ``PETBROWSER_TIMEOUT``, else ``DEFAULT_STORAGE_TIMEOUT``).
    """
    if url is None or not str(url).strip():
        raise ConfigError(NO_STORE_MESSAGE)
    if isinstance(url, Path):
        return LocalStorage(url)
    text = str(url).strip()
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme == "s3":
        parts = urlsplit(text)
        if "@" in parts.netloc or (":" in parts.netloc and not parts.netloc.startswith("arn:")):
            # Never echo the URL: the part before '@' may be a secret (and a secret with
            # a '/' in it ends the netloc early, leaving "KEY:SECRET..." with no '@').
            raise ConfigError(
                "an s3:// URL must not hold credentials; use a profile or the AWS_* environment"
            )
        if endpoint_url and "@" in urlsplit(str(endpoint_url)).netloc:
            raise ConfigError(
                "the endpoint URL must not hold credentials; use a profile or the AWS_* environment"
            )
        from petbrowser.core.storage.s3 import S3Storage

        if timeout is None:
            timeout = timeout_from_env() or DEFAULT_STORAGE_TIMEOUT
        return S3Storage(
            parts.netloc,
            unquote(parts.path).strip("/"),
            region=region,
            profile=profile,
            endpoint_url=endpoint_url,
            timeout=timeout,
        )
    if scheme == "file":
        parts = urlsplit(text)
        if parts.netloc not in ("", "localhost"):
            raise ConfigError(
                f"file:// URL names a remote host ({parts.netloc!r}); use a local path"
            )
        if not parts.path:
            raise ConfigError("file:// URL has no path")
        return LocalStorage(unquote(parts.path))
    if scheme:
        raise ConfigError(
            f"unsupported storage URL scheme '{scheme}://' (use a path, file:// or s3://)"
        )
    return LocalStorage(text)
