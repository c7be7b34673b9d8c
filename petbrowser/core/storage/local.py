"""A store in a local (or mounted) folder.

Writes are atomic and durable the boring way: a temporary file in the same
folder, ``fsync``, then ``os.link`` (create-only: fails if the name exists) or
``os.replace`` (compare-and-swap, under an exclusive ``flock``), then an
``fsync`` of the folder.  Readers therefore see nothing or everything, and a
crash leaves at worst a hidden temporary or lock file, which ``verify``
reports (see :meth:`LocalStorage.list_internal`).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from petbrowser.core.errors import (
    AlreadyExistsError,
    ConflictError,
    NotFoundError,
    StorageError,
    StoreNotFoundError,
)
from petbrowser.core.models import ObjectInfo
from petbrowser.core.storage.base import Storage

__all__ = ["LocalStorage", "is_internal_name"]

_TMP_SUFFIX = ".tmp"
_LOCK_SUFFIX = ".lock"


def is_internal_name(name: str) -> bool:
    """True for our own temporary and lock files (``.<name>.<id>.tmp``, ``.<name>.lock``)."""
    return name.startswith(".") and (name.endswith(_TMP_SUFFIX) or name.endswith(_LOCK_SUFFIX))


def _token(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class LocalStorage(Storage):
    """A store rooted at ``root``; the folder is created by the first write."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().absolute()
        self.url = str(self.root)

    def __repr__(self) -> str:
        return f"LocalStorage({self.url!r})"

    # ----------------------------------------------------------- helpers
    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if (
            not key
            or key.startswith("/")
            or "\x00" in key
            or "\\" in key
            or any(p in ("", ".", "..") for p in parts)
        ):
            raise StorageError(f"refused object key {key[:200]!r}: not a plain relative path")
        return self.root.joinpath(*parts)

    def _missing_store(self) -> StoreNotFoundError:
        return StoreNotFoundError(f"store folder '{self.url}' does not exist")

    def _os_error(self, exc: OSError, key: str, doing: str) -> StorageError:
        if isinstance(exc, FileNotFoundError) and not self.root.is_dir():
            return self._missing_store()
        reason = exc.strerror or type(exc).__name__
        if isinstance(exc, IsADirectoryError):
            reason = "a folder is where a file should be"
        return StorageError(f"cannot {doing} '{key}' in store '{self.url}': {reason}")

    @staticmethod
    def _fsync_dir(folder: Path) -> None:
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass  # some filesystems refuse fsync on folders; the rename is still atomic
        finally:
            os.close(fd)

    def _write_temp(self, path: Path, data: bytes) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}{_TMP_SUFFIX}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        os.close(fd)
        return tmp

    @contextmanager
    def _locked(self, path: Path) -> Iterator[None]:
        """Hold an exclusive flock on ``.<name>.lock`` beside ``path``.

        The lock file is removed when done; a waiter that then wakes up on the
        removed file notices (its inode is no longer the one at the path) and
        tries again, so two writers can never both hold "the" lock.  flock is
        released by the kernel if the process dies.
        """
        lock = path.with_name(f".{path.name}{_LOCK_SUFFIX}")
        lock.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                same = os.stat(lock).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            except BaseException:
                os.close(fd)
                raise
            if same:
                break
            os.close(fd)
        try:
            yield
        finally:
            try:
                lock.unlink()
            except FileNotFoundError:
                pass
            os.close(fd)

    # --------------------------------------------------------- interface
    def _walk(self, prefix: str, internal: bool) -> Iterator[ObjectInfo]:
        if not self.root.is_dir():
            raise self._missing_store()
        base = prefix.rpartition("/")[0]
        start = self._path(base) if base else self.root
        # Keys are cut out of the scandir paths as strings: a Path per entry
        # (relative_to, as_posix) cost more than the walk itself on a
        # 60,000-object store (docs/performance.md).
        root = str(self.root)
        cut = len(root) if root.endswith(os.sep) else len(root) + 1
        posix = os.sep == "/"
        stack = [str(start)]
        while stack:
            folder = stack.pop()
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except (FileNotFoundError, NotADirectoryError):
                continue
            except OSError as exc:
                raise self._os_error(exc, folder[cut:], "list") from None
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                    continue
                key = entry.path[cut:] if posix else entry.path[cut:].replace(os.sep, "/")
                if not key.startswith(prefix) or is_internal_name(entry.name) != internal:
                    continue
                try:
                    st = entry.stat()
                except OSError:
                    continue  # vanished (or a dangling link) between scandir and stat
                yield ObjectInfo(key=key, size=st.st_size, modified=st.st_mtime)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Objects under ``prefix``, without our temporary and lock files."""
        return self._walk(prefix, internal=False)

    def list_internal(self, prefix: str) -> Iterator[ObjectInfo]:
        """Only the temporary and lock files under ``prefix``: what a crash left behind."""
        return self._walk(prefix, internal=True)

    def read(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, NotADirectoryError) as exc:
            if not self.root.is_dir():
                raise self._missing_store() from None
            raise NotFoundError(f"'{key}' is not in store '{self.url}'") from exc
        except OSError as exc:
            raise self._os_error(exc, key, "read") from None

    def read_with_token(self, key: str) -> tuple[bytes, str]:
        data = self.read(key)
        return data, _token(data)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def create(self, key: str, data: bytes) -> None:
        path = self._path(key)
        tmp: Path | None = None
        try:
            tmp = self._write_temp(path, data)
            os.link(tmp, path)
        except FileExistsError:
            raise AlreadyExistsError(f"'{key}' already exists in store '{self.url}'") from None
        except OSError as exc:
            if exc.errno in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP) and tmp is not None:
                # A filesystem without hard links: O_EXCL claims the name, then the
                # rename publishes the complete bytes over the empty placeholder.
                self._create_without_link(path, tmp, key)
            else:
                raise self._os_error(exc, key, "write") from None
        finally:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
        self._fsync_dir(path.parent)

    def _create_without_link(self, path: Path, tmp: Path, key: str) -> None:
        with self._locked(path):
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            except FileExistsError:
                raise AlreadyExistsError(f"'{key}' already exists in store '{self.url}'") from None
            os.replace(tmp, path)

    def replace(self, key: str, data: bytes, expected_token: str | None) -> str:
        path = self._path(key)
        try:
            with self._locked(path):
                try:
                    current: str | None = _token(path.read_bytes())
                except FileNotFoundError:
                    current = None
                if current != expected_token:
                    what = (
                        "was created"
                        if expected_token is None
                        else ("was removed" if current is None else "changed")
                    )
                    raise ConflictError(f"'{key}' {what} since it was read; nothing was written")
                tmp = self._write_temp(path, data)
                try:
                    os.replace(tmp, path)
                finally:
                    tmp.unlink(missing_ok=True)
                self._fsync_dir(path.parent)
        except OSError as exc:
            raise self._os_error(exc, key, "write") from None
        return _token(data)

    def check(self) -> None:
        if not self.root.is_dir():
            raise self._missing_store()
