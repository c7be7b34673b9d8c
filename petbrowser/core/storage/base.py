"""The byte-level storage interface both backends implement.

Deliberately small: everything above it (layout, pointers, history, listing
into classes) is written once in terms of these calls, so local and S3 stores
behave the same and tests can run one suite against both.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

from petbrowser.core.models import ObjectInfo


class Storage(ABC):
    """A flat key/value object store rooted at one folder or bucket prefix.

    Keys are ``/``-separated and relative to the store root, e.g.
    ``plugins/MyFilter/latest.json``.
    """

    #: A short, secret-free label for titles and messages ("s3://bucket/prefix", a path).
    url: str

    @abstractmethod
    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every object under ``prefix``, recursively, in one paginated pass."""

    @abstractmethod
    def read(self, key: str) -> bytes:
        """The object's bytes; ``NotFoundError`` when absent."""

    @abstractmethod
    def read_with_token(self, key: str) -> tuple[bytes, str]:
        """The bytes plus the compare-and-swap token for ``replace``."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def create(self, key: str, data: bytes) -> None:
        """Write an object that must not exist yet; ``AlreadyExistsError`` if it does.

        Atomic: readers see nothing or all of ``data``.
        """

    @abstractmethod
    def replace(self, key: str, data: bytes, expected_token: str | None) -> str:
        """Compare-and-swap: write ``data`` only if the object's token is still
        ``expected_token`` (``None``: only if the object does not exist).
        Returns the new token; ``ConflictError`` when the object changed.
        """

    @abstractmethod
    def check(self) -> None:
        """Raise a typed error if the store cannot be reached or does not exist."""
