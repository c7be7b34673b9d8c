"""Reading and writing ``latest.json``, in both encodings found in the wild.

LabChain 1.2.11 reads every pointer with plain ``pickle.load``, so every
pointer petbrowser writes is a *pickled plain dict of strings*:
``{"hash", "class_name"}`` plus petbrowser's optional ``updated_at``,
``updated_by``, ``previous`` and ``action`` (LabChain only reads ``hash``).
Pickled pointers are read without running anything: the unpickler refuses
every global, so the only things it can build are the plain containers and
strings a pointer is made of.  petbrowser 0.1.0 wrote JSON pointers; they are
still read (LabChain cannot read them: ``verify`` warns, ``repair`` rewrites
them, and any move writes the pickled form).
"""

from __future__ import annotations

import io
import json
import pickle
from typing import Any

from petbrowser.core.bounded import is_plain_pickled_dict, load_json
from petbrowser.core.errors import CorruptPointerError
from petbrowser.core.models import Pointer
from petbrowser.core.names import is_hash

__all__ = [
    "ENCODINGS",
    "WRITE_ENCODING",
    "encode_pointer",
    "parse_pointer",
    "sniff_encoding",
    "written_by_petbrowser",
]

ENCODINGS = ("json", "pickle")
#: A pointer is a few hundred bytes; anything far bigger is not one (and is not unpickled).
MAX_POINTER_BYTES = 64 * 1024
#: LabChain reads the pickled dict with plain ``pickle``; protocol 4 works on every Python 3.8+.
PICKLE_PROTOCOL = 4
#: What every pointer petbrowser writes is encoded as: what LabChain can read.
WRITE_ENCODING = "pickle"
_KNOWN = ("hash", "class_name", "updated_at", "updated_by", "previous")


class _NoGlobalsUnpickler(pickle.Unpickler):
    """An unpickler that can build dicts, lists and strings, and nothing callable."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refused global {module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("refused persistent id")


def sniff_encoding(data: bytes) -> str:
    """``pickle`` for bytes that start like a binary pickle, else ``json``."""
    return "pickle" if data[:1] == b"\x80" else "json"


def _load(data: bytes, class_name: str) -> tuple[Any, str]:
    if len(data) > MAX_POINTER_BYTES:
        raise CorruptPointerError(
            f"latest.json of {class_name!r} is {len(data)} bytes, too big to be a pointer"
        )
    if sniff_encoding(data) == "json":
        try:
            return load_json(data, MAX_POINTER_BYTES), "json"  # depth-bounded (issue 13)
        except ValueError:
            pass
    plain = is_plain_pickled_dict(data)  # no tuple keys to hash, no nesting to recurse
    if plain is False:
        raise CorruptPointerError(
            f"latest.json of {class_name!r} is a pickle that needs code to load or is not a "
            "plain dict of text; not loaded"
        )
    if plain is None:
        raise CorruptPointerError(
            f"latest.json of {class_name!r} is neither JSON nor a plain pickled dict"
        )
    try:
        return _NoGlobalsUnpickler(io.BytesIO(data)).load(), "pickle"
    except pickle.UnpicklingError as exc:
        if str(exc).startswith("refused"):
            raise CorruptPointerError(
                f"latest.json of {class_name!r} is a pickle that needs code to load ({exc}); not loaded"
            ) from None
    except Exception:  # noqa: BLE001 - any failure of a malformed pickle means "not a pointer"
        pass
    raise CorruptPointerError(
        f"latest.json of {class_name!r} is neither JSON nor a plain pickled dict"
    )


def parse_pointer(data: bytes, class_name: str) -> Pointer:
    """The pointer in ``data`` (the bytes of ``plugins/<class_name>/latest.json``).

    Raises ``CorruptPointerError`` naming the class and what is wrong.
    """
    obj, encoding = _load(data, class_name)
    where = f"latest.json of {class_name!r}"
    if not isinstance(obj, dict):
        raise CorruptPointerError(f"{where} is a {type(obj).__name__}, not an object with a hash")
    for k, v in obj.items():
        if not isinstance(k, str):
            raise CorruptPointerError(f"{where} has a non-text key")
        if encoding == "pickle" and not (v is None or isinstance(v, str)):
            raise CorruptPointerError(f"{where} has a {type(v).__name__} for {k!r}, not text")
    h = obj.get("hash")
    if not isinstance(h, str):
        raise CorruptPointerError(f"{where} has no 'hash' text field")
    if not is_hash(h):
        raise CorruptPointerError(f"{where}: hash {h[:80]!r} is not 64 hex characters")
    named = obj.get("class_name", class_name)
    if named != class_name:
        raise CorruptPointerError(f"{where} names another class ({str(named)[:80]!r})")
    optional: dict[str, str | None] = {}
    for k in ("updated_at", "updated_by", "previous"):
        v = obj.get(k)
        if v is not None and not isinstance(v, str):
            raise CorruptPointerError(f"{where}: {k!r} is a {type(v).__name__}, not text")
        optional[k] = v
    prev = optional["previous"]
    if prev is not None and not is_hash(prev):
        raise CorruptPointerError(f"{where}: previous hash {prev[:80]!r} is not 64 hex characters")
    return Pointer(
        hash=h,
        class_name=class_name,
        encoding=encoding,
        updated_at=optional["updated_at"],
        updated_by=optional["updated_by"],
        previous=prev,
        extra={k: v for k, v in obj.items() if k not in _KNOWN},
    )


def written_by_petbrowser(pointer: Pointer) -> bool:
    """True for a pointer petbrowser wrote: it records when and by whom it moved.

    LabChain's own pointers are the bare ``{"hash", "class_name"}`` dict, so a
    pickled pointer without ``updated_at``/``updated_by`` tells that LabChain
    (also) writes this store.
    """
    return pointer.encoding == "json" or bool(pointer.updated_at and pointer.updated_by)


def encode_pointer(pointer: Pointer, encoding: str | None = None) -> bytes:
    """The bytes of ``latest.json`` for ``pointer``, in ``encoding`` (default: its own).

    Both forms carry the same fields: ``hash``, ``class_name``, then
    ``updated_at``/``updated_by``/``previous``/``action`` when set, then any
    extra text fields the pointer already had.  The pickle form is a plain
    dict of strings (no ``None``: LabChain expects text), protocol 4, which
    plain ``pickle.loads`` reads on every Python 3.8+.  JSON is only kept for
    reading 0.1.0 stores and for tests that build one.
    """
    encoding = encoding or pointer.encoding
    doc: dict[str, Any] = {"hash": pointer.hash, "class_name": pointer.class_name}
    for k in ("updated_at", "updated_by", "previous"):
        if getattr(pointer, k) is not None:
            doc[k] = getattr(pointer, k)
    doc.update({k: v for k, v in pointer.extra.items() if k not in doc})
    if encoding == "json":
        return (json.dumps(doc, indent=2) + "\n").encode("utf-8")
    if encoding == "pickle":
        plain = {k: v for k, v in doc.items() if isinstance(v, str)}
        return pickle.dumps(plain, protocol=PICKLE_PROTOCOL)
    raise ValueError(f"unknown pointer encoding {encoding!r}")
