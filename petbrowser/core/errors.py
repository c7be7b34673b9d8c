"""Typed errors of the core.

Every failure a user can cause is one of these, so the CLI can print one line
and pick the exit code of DESIGN.md, and the GUI can show a message without a
traceback.  ``exit_code`` is the CLI contract: 1 error, 2 usage, 3 conflict,
4 integrity or safety.
"""

from __future__ import annotations


class PetBrowserError(Exception):
    """Base of every error petbrowser reports to a user (exit code 1)."""

    exit_code: int = 1

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: Longer text shown "on demand" (GUI details, CLI --verbose); never secrets.
        self.detail = detail

    def __str__(self) -> str:
        return self.message


class UsageError(PetBrowserError):
    """The caller asked for something malformed: a bad flag, an ambiguous prefix."""

    exit_code = 2


class ConfigError(PetBrowserError):
    """The project's settings or a storage URL cannot be used."""


class StorageError(PetBrowserError):
    """The store could not be reached or answered with an error."""


class StoreNotFoundError(StorageError):
    """The store itself does not exist (a missing folder or bucket)."""


class AccessDeniedError(StorageError):
    """The credentials were refused or lack permission."""


class StoreUnreachableError(StorageError):
    """The endpoint did not answer (connection refused, timed out)."""


class NotFoundError(PetBrowserError):
    """A class, a version or an object that was asked for does not exist."""


class AlreadyExistsError(PetBrowserError):
    """A create-only write found the object already there."""


class InvalidNameError(UsageError):
    """A class name or hash is not acceptable (path separators, ``..``, not hex...)."""


class ConflictError(PetBrowserError):
    """A compare-and-swap lost: the pointer moved since the caller last saw it."""

    exit_code = 3

    def __init__(
        self,
        message: str,
        *,
        expected: str | None = None,
        actual: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message, detail=detail)
        self.expected = expected
        self.actual = actual


class IntegrityError(PetBrowserError):
    """Stored content is corrupt: a digest mismatch, a truncated object, a bad pointer."""

    exit_code = 4


class CorruptPointerError(IntegrityError):
    """A ``latest.json`` that does not parse, holds a bad hash, or points nowhere."""


class UnsafePickleError(IntegrityError):
    """A pickle would call something beyond cloudpickle's rebuilding machinery."""

    def __init__(self, message: str, *, offending: list[str] | None = None, detail: str | None = None) -> None:
        super().__init__(message, detail=detail)
        self.offending = list(offending or [])


class ProjectError(PetBrowserError):
    """The user's project could not be used: a module failed to import, hung, or crashed."""


class ChildTimeoutError(ProjectError):
    """The project interpreter's child process did not answer in time and was killed."""
