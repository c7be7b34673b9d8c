"""Static looks at a pickle's opcodes (no unpickling): is it whole, does it
only name a class (pickled by reference)?"""

from __future__ import annotations

import pickletools

_REFERENCE_OPS = {
    "PROTO", "FRAME", "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE",
    "MEMOIZE", "BINPUT", "LONG_BINPUT", "PUT", "STACK_GLOBAL", "GLOBAL", "STOP",
}  # fmt: skip
_BYTES_OPS = {"SHORT_BINBYTES", "BINBYTES", "BINBYTES8"}
_WRAPPER_OPS = {"PROTO", "FRAME", "MEMOIZE", "BINPUT", "LONG_BINPUT", "PUT", "STOP"}


def walk_pickle(data: bytes) -> list[str]:
    """Opcode names of ``data``, read without executing anything.

    Raises ``ValueError`` for a truncated or malformed pickle.
    """
    ops: list[str] = []
    for op, _arg, _pos in pickletools.genops(data):
        ops.append(op.name)
    if not ops or ops[-1] != "STOP":
        raise ValueError("pickle ends before its STOP opcode")
    return ops


def sniff_by_reference(data: bytes) -> bool | None:
    """True when the pickle only names one global (``module.Class``) and holds no code.

    That is how pickle stores a class from an importable module; loading it
    just imports the module.  A pickle that only wraps one bytes object (a
    storage layer that pickles the cloudpickle bytes again) is judged by the
    pickle inside.  None when the bytes are not a readable pickle.
    """
    try:
        ops = walk_pickle(data)
        args = [arg for op, arg, _pos in pickletools.genops(data)]
    except Exception:  # noqa: BLE001 - genops raises several types on garbage
        return None
    payload = [a for op, a in zip(ops, args, strict=True) if op in _BYTES_OPS]
    if len(payload) == 1 and all(op in _WRAPPER_OPS | _BYTES_OPS for op in ops):
        return sniff_by_reference(payload[0])
    globals_ = sum(1 for op in ops if op in ("STACK_GLOBAL", "GLOBAL"))
    return globals_ == 1 and all(op in _REFERENCE_OPS for op in ops)
