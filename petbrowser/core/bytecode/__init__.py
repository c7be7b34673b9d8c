"""Bytecode of any CPython 3.8-3.13, read as data: its version, its listing, its signature.

A class pickled by another Python (LabChain's pushes from the project's 3.11
while petbrowser runs on 3.12, say) holds code objects this interpreter must
not build or hand to its own ``dis``: the instruction sets differ, and a
crafted code object corrupts CPython 3.11's heap through ``dis``.  So:

- :class:`StaticCode` keeps a pickled code object's constructor arguments;
- :func:`detect` tells which Python minor version(s) the bytecode is
  consistent with (``"3.11"``, or ``"3.8 or 3.9"`` when it cannot be told);
- :func:`code_entries` disassembles it with that version's instruction set,
  producing exactly the normalized listing ``core/agent/disasm.py`` prints
  on that version;
- :func:`signature_text` rebuilds ``str(inspect.signature(f))`` from the
  code's argument counts and names, without a function object.

Pure Python and the standard library only; every walk is bounded.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from .code import StaticCode
from .decode import MAX_CODE_UNITS, Decoded, Inconsistent, TooLarge, decode
from .render import describe_decoded, nested_names
from .spec import SPECS, VERSIONS
from .verdict import MAX_TOTAL_UNITS, Verdict, detect, format_versions, parse_versions

__all__ = [
    "StaticCode",
    "Verdict",
    "VERSIONS",
    "detect",
    "format_versions",
    "parse_versions",
    "walk_codes",
    "code_entries",
    "describe_static",
    "signature_text",
    "MAX_CODE_UNITS",
    "MAX_TOTAL_UNITS",
]

#: Nested code objects followed below one method (lambdas in comprehensions in ...).
MAX_NESTING = 50
#: Code objects read per method, nested ones included.
MAX_CODES = 10_000

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def walk_codes(root: Any, key: str | None = None) -> list[tuple[str, StaticCode]]:
    """``root`` and its nested code objects, keyed as the agent's method table keys them.

    Pre-order, like ``disasm.code_entries``; iterative and capped at
    :data:`MAX_NESTING` levels and :data:`MAX_CODES` objects.
    """
    if not isinstance(root, StaticCode):
        return []
    out: list[tuple[str, StaticCode]] = []
    stack: list[tuple[str, StaticCode, int]] = [(key if key is not None else root.name, root, 0)]
    while stack and len(out) < MAX_CODES:
        path, code, depth = stack.pop()
        out.append((path, code))
        if depth >= MAX_NESTING or code.problem:
            continue
        children = nested_names(code, path)
        for index in sorted(children, reverse=True):
            stack.append((children[index], code.consts[index], depth + 1))
    return out


def describe_static(code: StaticCode, versions: tuple[str, ...], path: str) -> str:
    """The normalized listing of one code object (nested code referenced, not inlined).

    With one version, exactly what the agent prints on it.  With several
    (the bytecode fits each), their common listing, or the newest one's
    with a first line saying the others read it differently.
    """
    if code.problem:
        return f"<not a code object of Python 3.8-3.13: {code.problem}>"
    if code.skipped:
        return f"<{code.skipped}>"
    if not versions:
        return _unrecognized(code, path)
    texts: dict[str, str] = {}
    for v in versions:
        try:
            texts[v] = describe_decoded(code, decode(code, SPECS[v]), SPECS[v], path)
        except TooLarge as exc:
            return f"<not disassembled: {exc}>"
        except Inconsistent as exc:
            return f"<not Python {v} bytecode: {exc}>"
    newest = versions[-1]
    if len(set(texts.values())) == 1:
        return texts[newest]
    others = format_versions(versions[:-1])
    return f"# read as Python {newest}; {others} would read it differently\n{texts[newest]}"


def _unrecognized(code: StaticCode, path: str) -> str:
    """A code object outside the class's verdict: its own versions, or why none fits.

    Only what detection already decoded is used: nothing is decoded again here.
    """
    tried = {v: got for v, got in code.decoded.items()}
    own = tuple(v for v in VERSIONS if isinstance(tried.get(v), Decoded))
    if own:
        note = f"# read as Python {format_versions(own)}: the class's other code is not"
        return note + "\n" + describe_static(code, own, path)
    why = "; ".join(f"{v}: {got}" for v, got in tried.items() if isinstance(got, Exception))
    if not why:
        return "<not disassembled: the class's code is not that of one Python 3.8-3.13 version>"
    return f"<not disassembled: not bytecode of Python 3.8-3.13 ({why})>"


def code_entries(
    key: str, kind: str, signature: str | None, code: Any, versions: tuple[str, ...]
) -> dict[str, dict[str, Any]]:
    """Method-table entries for one method and its nested code, as ``disasm.code_entries``."""
    if not isinstance(code, StaticCode):
        return {key: {"kind": kind, "signature": signature, "disassembly": "<no Python bytecode>"}}
    out: dict[str, dict[str, Any]] = {}
    for sub_key, sub_code in walk_codes(code, key):
        top = sub_key == key and sub_code is code
        out[sub_key] = {
            "kind": kind if top else "code",
            "signature": signature if top else None,
            "disassembly": describe_static(sub_code, versions, sub_key),
        }
    return out


_CO_VARARGS = 0x04
_CO_VARKEYWORDS = 0x08


def signature_text(
    code: Any, *, defaults: Any = None, kwdefaults: Any = None, annotations: Any = None
) -> str | None:
    """``str(inspect.signature(f))`` for a function of ``code``, built from data alone.

    Follows ``inspect._signature_from_function`` (which does not validate a
    real function's parameters either); None when the names are not valid.
    """
    if not isinstance(code, StaticCode) or code.problem:
        return None
    empty = inspect.Parameter.empty
    names = code.varnames
    pos_count, kw_count = code.argcount, code.kwonlyargcount
    positional = names[:pos_count]
    keyword_only = names[pos_count : pos_count + kw_count]
    ann = annotations if isinstance(annotations, dict) else {}
    defaults = defaults if isinstance(defaults, tuple) and defaults else None
    kwdefaults = kwdefaults if isinstance(kwdefaults, dict) else None
    params = []
    try:
        # inspect._signature_from_function, step by step (slicing included)
        non_default = pos_count - (len(defaults) if defaults else 0)
        posonly_left = code.posonlyargcount
        with_defaults = [(n, empty) for n in positional[:non_default]]
        with_defaults += [(n, defaults[i]) for i, n in enumerate(positional[non_default:])]
        for name, default in with_defaults:
            kind = (
                inspect.Parameter.POSITIONAL_ONLY
                if posonly_left
                else inspect.Parameter.POSITIONAL_OR_KEYWORD
            )
            params.append(
                inspect.Parameter(name, kind, default=default, annotation=ann.get(name, empty))
            )
            if posonly_left:
                posonly_left -= 1
        index = pos_count + kw_count
        if code.flags & _CO_VARARGS:
            name = names[index]
            index += 1
            params.append(
                inspect.Parameter(
                    name, inspect.Parameter.VAR_POSITIONAL, annotation=ann.get(name, empty)
                )
            )
        for name in keyword_only:
            default = kwdefaults.get(name, empty) if kwdefaults is not None else empty
            params.append(
                inspect.Parameter(
                    name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=default,
                    annotation=ann.get(name, empty),
                )
            )
        if code.flags & _CO_VARKEYWORDS:
            name = names[index]
            params.append(
                inspect.Parameter(
                    name, inspect.Parameter.VAR_KEYWORD, annotation=ann.get(name, empty)
                )
            )
        sig = inspect.Signature(
            params, return_annotation=ann.get("return", empty), __validate_parameters__=False
        )
        return _ADDRESS.sub("", str(sig))
    except Exception:  # odd names, defaults or annotations from the pickle: no signature
        return None
