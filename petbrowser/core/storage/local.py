"""A store in a local (or mounted) folder.

Writes are atomic and durable the boring way: a temporary file in the same
folder, ``fsync``, then ``os.link`` (create-only: fails if the name exists) or
``os.replace`` (compare-and-swap, under an exclusive ``flock``), then an
``fsync`` of the folder.  Readers therefore see nothing or everything, and a
crash leaves at worst a hidden temporary or lock file, which ``verify``
reports (see :meth:`LocalStorage.list_internal`).

Only regular files inside the root are objects (issue 13): listing skips
FIFOs, devices, sockets and symlinks that resolve outside the store (verify
warns about each, :meth:`LocalStorage.list_skipped`); a read opens without
blocking and refuses anything that is not a regular file inside the root; a
write never follows a symlink out of the root (its folder is resolved and
checked, lock files are opened with ``O_NOFOLLOW``).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import stat
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


def _fd_path(fd: int) -> str | None:
    """Where an open file really is (Linux), so a symlink swapped in after a check is seen."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return None


def _token(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def weak_etag(st: os.stat_result) -> str:
    """A weak validator of a file's bytes (HTTP's ``W/"..."`` form): size, mtime_ns,
    ctime_ns and inode.

    Why: a listing's cache (core/cache.py) needs to know, without reading a
    file, that it is the file it read before.  A write through this module
    is a new inode renamed into place, which changes the inode, mtime and
    ctime; ``utime`` can put an mtime back but not a ctime.  ``W/`` says it is
    derived from metadata with a clock's granularity, not from the bytes:
    the cache does not trust one that is too young (core/cache.py, "racy").
    """
    return f'W/"{st.st_size}-{st.st_mtime_ns}-{st.st_ctime_ns}-{st.st_ino}"'


class LocalStorage(Storage):
    """A store rooted at ``root``; the folder is created by the first write."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().absolute()
        self.url = str(self.root)
        self._root_resolved: str | None = None

    def __repr__(self) -> str:
        return f"LocalStorage({self.url!r})"

    @property
    def cache_identity(self) -> str:
        """What names this store in petbrowser's local caches: the real path of its folder."""
        return f"file|{os.path.realpath(self.root)}"

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

    def _real_root(self, fresh: bool = False) -> str:
        """The root with its symlinks resolved, remembered: resolving it for every
        read cost a quarter of a first listing's reads (docs/performance.md)."""
        if fresh or self._root_resolved is None:
            self._root_resolved = os.path.realpath(self.root)
        return self._root_resolved

    def _inside(self, real: str) -> bool:
        """Whether a resolved path is inside the root: the root as first resolved
        (a store is the folder it was when opened) or, for a path outside that,
        the root resolved now (a root symlink re-pointed since is followed)."""
        for fresh in (False, True):
            root = self._real_root(fresh)
            if real == root or real.startswith(root.rstrip(os.sep) + os.sep):
                return True
        return False

    def _check_folder(self, folder: Path, key: str) -> None:
        """Refuse to write where a symlink leads out of the store."""
        if not self._inside(os.path.realpath(folder)):
            raise StorageError(
                f"refused to write '{key}': its folder leads outside store '{self.url}' (a symlink)"
            )

    def _read_regular(self, path: Path, key: str) -> bytes:
        """The bytes of a regular file inside the root; never blocks on a FIFO or a device."""
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
        try:
            st = os.fstat(fd)
            if stat.S_ISDIR(st.st_mode):
                raise StorageError(
                    f"cannot read '{key}' in store '{self.url}': a folder is where a file should be"
                )
            if not stat.S_ISREG(st.st_mode):
                raise StorageError(f"'{key}' in store '{self.url}' is not a regular file; not read")
            real = _fd_path(fd) or os.path.realpath(path)
            if not self._inside(real):
                raise StorageError(
                    f"'{key}' in store '{self.url}' is a symlink to a file outside the store; not read"
                )
            chunks = []
            while True:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

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
        self._check_folder(path.parent, str(path))
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
        self._check_folder(lock.parent, str(lock))
        while True:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
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
    def _walk(
        self, prefix: str, internal: bool, skipped: list[tuple[str, str]] | None = None
    ) -> Iterator[ObjectInfo]:
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
                why = self._not_an_object(entry, st)
                if why is not None:
                    if skipped is not None:
                        skipped.append((key, why))
                    continue
                yield ObjectInfo(key=key, size=st.st_size, modified=st.st_mtime, etag=weak_etag(st))

    def _not_an_object(self, entry: os.DirEntry[str], st: os.stat_result) -> str | None:
        """Why a folder entry is not an object (None: a regular file inside the root)."""
        if entry.is_symlink():
            real = os.path.realpath(entry.path)
            if not self._inside(real):
                return "a symlink to something outside the store; skipped"
            if stat.S_ISDIR(st.st_mode):
                return "a symlink to a folder; not followed"
        if stat.S_ISREG(st.st_mode):
            return None
        kind = (
            "a FIFO" if stat.S_ISFIFO(st.st_mode)
            else "a socket" if stat.S_ISSOCK(st.st_mode)
            else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
            else "not a regular file"
        )  # fmt: skip
        return f"{kind}; skipped"

    def list_folders(self, prefix: str) -> Iterator[tuple[str, list[os.DirEntry[str]]]]:
        """Each folder directly under ``prefix`` (a folder key such as ``plugins/``)
        with the objects directly inside it, in no order: ``(folder name, entries)``.

        Why: listing classes needs each class folder's own files and nothing
        deeper (a third of a store's keys are history records), and building,
        sorting and classifying every key cost three times the walk itself
        (docs/performance.md).  One ``scandir`` per folder; the file type
        comes with the folder entry, so nothing is ``stat``'ed here: the
        caller calls ``entry.stat()`` (cached by the entry) for the objects
        whose size, time or validator (:func:`weak_etag`) it needs.  The
        entries are the objects :meth:`list` returns (regular files inside
        the root, no temporary or lock files); skipped ones are left out.  A
        folder that holds neither objects nor folders is not yielded.
        """
        if not prefix.endswith("/"):
            raise StorageError(f"list_folders needs a folder prefix, not {prefix[:200]!r}")
        if not self.root.is_dir():
            raise self._missing_store()
        top = self._path(prefix.rstrip("/"))
        try:
            with os.scandir(top) as it:
                folders = [(e.name, e.path) for e in it if e.is_dir(follow_symlinks=False)]
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            raise self._os_error(exc, prefix, "list") from None
        for name, path in folders:
            try:
                with os.scandir(path) as it:
                    found = list(it)
            except (FileNotFoundError, NotADirectoryError):
                continue
            except OSError as exc:
                raise self._os_error(exc, f"{prefix}{name}/", "list") from None
            entries, folders_inside = [], False
            for e in found:
                if e.is_file(follow_symlinks=False):  # d_type says so: no syscall
                    if not (e.name[0] == "." and is_internal_name(e.name)):
                        entries.append(e)
                elif e.is_dir(follow_symlinks=False):
                    folders_inside = True
                elif e.is_symlink() and self._is_object(e):
                    entries.append(e)
            if entries or folders_inside:
                yield name, entries  # an empty folder holds no key: no class, as in list()

    def _is_object(self, entry: os.DirEntry[str]) -> bool:
        """Whether a folder entry is an object (a regular file, or a link to one, inside the root)."""
        leaf = entry.name
        if leaf[0] == "." and is_internal_name(leaf):
            return False
        try:
            if entry.is_file(follow_symlinks=False):
                return True
            if not entry.is_symlink():
                return False  # a folder (history/), FIFO, socket or device
            return self._not_an_object(entry, entry.stat()) is None
        except OSError:
            return False  # vanished (or a dangling link) between scandir and stat

    def list_skipped(self, prefix: str) -> list[tuple[str, str]]:
        """``(key, why)`` of what listing skips: FIFOs, devices, sockets, symlinks out of the root."""
        skipped: list[tuple[str, str]] = []
        for _ in self._walk(prefix, internal=False, skipped=skipped):
            pass
        return skipped

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Objects under ``prefix``, without our temporary and lock files."""
        return self._walk(prefix, internal=False)

    def list_internal(self, prefix: str) -> Iterator[ObjectInfo]:
        """Only the temporary and lock files under ``prefix``: what a crash left behind."""
        return self._walk(prefix, internal=True)

    def read(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return self._read_regular(path, key)
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
        path = self._path(key)
        return path.is_file() and self._inside(os.path.realpath(path))

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
                    current: str | None = _token(self._read_regular(path, key))
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
