"""The class store on top of a byte-level ``Storage``: classes, versions,
the ``latest`` pointer and its history, and ``verify``.

Written once for both backends.  Nothing here unpickles anything: pickles
are only ever walked opcode by opcode (``pickletools.genops``), pointers are
read by an unpickler that refuses every global (``petbrowser.core.pointer``).

Crash consistency, in one place:

- a version is its ``.pkl``; the ``.pkl`` is written before its
  ``.meta.json``, both create-only.  A crash in between leaves a valid
  old-style version without metadata (a later push adds the sidecar); a
  ``.meta.json`` without its ``.pkl`` is never listed as a version (verify
  warns about it).
- a pointer move is a compare-and-swap of ``latest.json`` first, then the
  history object.  The Storage interface cannot delete, so an "intent"
  record written first could never be withdrawn when the CAS loses; writing
  history second means history never claims a move that did not happen.  A
  crash in the window leaves a moved pointer without a record: the
  pointer itself (LabChain-readable) still says ``previous``/``updated_at``/``updated_by``, and
  verify warns "moved without a history record".
"""

from __future__ import annotations

from petbrowser.core.store.common import ACTIONS, ANY, MIN_PREFIX, SNIFF_LIMIT, short
from petbrowser.core.store.history import HistoryMixin
from petbrowser.core.store.listing import ListingMixin
from petbrowser.core.store.pointers import PointerMixin
from petbrowser.core.store.resolve import ResolveMixin
from petbrowser.core.store.sniff import sniff_by_reference, walk_pickle
from petbrowser.core.store.verify import VerifyMixin
from petbrowser.core.store.versions import VersionsMixin

__all__ = [
    "ACTIONS",
    "ANY",
    "MIN_PREFIX",
    "SNIFF_LIMIT",
    "Store",
    "short",
    "sniff_by_reference",
    "walk_pickle",
]


class Store(ListingMixin, VersionsMixin, PointerMixin, HistoryMixin, ResolveMixin, VerifyMixin):
    """Classes, versions, pointer and history of one store.

    Every method is one blocking call, safe to run on a worker thread; reads
    fan out over at most ``max_workers`` concurrent requests.
    """
