"""The headless command line: the same core calls the GUI makes.

The command set, flags, JSON field names and exit codes are a contract
(DESIGN.md, "Command line"): 0 success, 1 error, 2 usage, 3 conflict,
4 integrity or safety.  Every ``PetBrowserError`` becomes one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from petbrowser import __version__
from petbrowser.core.errors import PetBrowserError

COMMANDS = ("ls", "log", "status", "hash", "push", "pull", "rollback", "diff", "inspect", "verify", "demo")


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line, as the contract wants."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"petbrowser: usage error: {message}\n")
        raise SystemExit(2)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--storage", help="store URL: a path, file://..., or s3://bucket/prefix")
    p.add_argument("--project", help="project folder (default: the current folder)")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.add_argument("--endpoint-url", help="S3 endpoint URL (e.g. a MinIO server)")
    p.add_argument("--profile", help="AWS profile for S3 stores")
    p.add_argument("--region", help="AWS region for S3 stores")
    p.add_argument("--python", help="the project's interpreter (overrides the project setting)")
    p.add_argument("--timeout", type=float, help="seconds before a child process is killed (default 60)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="petbrowser", description="Browse and steer a LabChain class store.")
    parser.add_argument("--version", action="version", version=f"petbrowser {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("ls", help="classes, versions, latest")
    _common(p)

    p = sub.add_parser("log", help="versions and pointer history of a class")
    _common(p)
    p.add_argument("cls", metavar="CLASS")

    for name, helptext in (("status", "local classes against the store"), ("hash", "local hashes")):
        p = sub.add_parser(name, help=helptext)
        _common(p)
        p.add_argument("--module", "-m", action="append", default=[], help="module name or .py path")

    p = sub.add_parser("push", help="push classes as new versions and move latest")
    _common(p)
    p.add_argument("classes", nargs="*", metavar="CLASS")
    p.add_argument("--all", action="store_true", help="every class of the module(s) not synced")
    p.add_argument("--module", "-m", action="append", default=[])

    p = sub.add_parser("pull", help="verify a version and rebuild it in the project's interpreter")
    _common(p)
    p.add_argument("cls", metavar="CLASS")
    p.add_argument("--hash", dest="hash", help="version hash or unique prefix (default: latest)")
    p.add_argument("--restore", metavar="DIR", help="write the version's source into DIR")
    p.add_argument("--force", action="store_true", help="overwrite an existing file with --restore")
    p.add_argument("--allow-unsafe", action="store_true", help="load a pickle flagged unsafe or without digest")

    p = sub.add_parser("rollback", help="move latest to an existing version (compare-and-swap)")
    _common(p)
    p.add_argument("cls", metavar="CLASS")
    p.add_argument("--to", required=True, metavar="H")
    p.add_argument("--expect", metavar="H", help="fail with exit 3 unless latest is still H")

    p = sub.add_parser("diff", help="bytecode and source diff between two versions")
    _common(p)
    p.add_argument("cls", metavar="CLASS")
    p.add_argument("a", metavar="A", help="hash, prefix (>= 6), latest or local")
    p.add_argument("b", metavar="B", nargs="?", help="default: local if A is a version, else latest")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--source", action="store_true", help="source diff only")
    g.add_argument("--bytecode", action="store_true", help="bytecode diff only")
    p.add_argument("--module", "-m", action="append", default=[])

    p = sub.add_parser("inspect", help="what a version holds, without unpickling it")
    _common(p)
    p.add_argument("cls", metavar="CLASS")
    p.add_argument("hash", metavar="H", nargs="?", help="default: latest")

    p = sub.add_parser("verify", help="check every object of the store")
    _common(p)

    p = sub.add_parser("demo", help="create the demo project and store, print where")
    p.add_argument("dir", nargs="?", help="where to create it (default: the user data folder)")
    p.add_argument("--json", action="store_true")
    return parser


def build_gui_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="petbrowser", description="Open the petbrowser window.")
    parser.add_argument("--version", action="version", version=f"petbrowser {__version__}")
    parser.add_argument("project_dir", nargs="?", metavar="PROJECT_DIR")
    parser.add_argument("--storage", help="store URL")
    parser.add_argument("--demo", action="store_true", help="open the demo project (created if needed)")
    parser.add_argument("--endpoint-url")
    parser.add_argument("--profile")
    parser.add_argument("--region")
    return parser


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """Print ``data`` as JSON with --json, else ``text``."""
    if getattr(args, "json", False):
        json.dump(data, sys.stdout, indent=2, sort_keys=False, default=str)
        sys.stdout.write("\n")
    elif text:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


Handler = Callable[[argparse.Namespace], int]
HANDLERS: dict[str, Handler] = {}


def handler(name: str) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return deco


# ---------------------------------------------------------------- commands
# Each handler is a thin shell over one core call; see petbrowser.core.manager.


# -- store commands (ls, log, rollback, verify) --------------------------------
def _open_manager(args: argparse.Namespace) -> Any:
    """The manager for ``--storage``, else ``PETBROWSER_STORAGE``, else the project's setting."""
    from petbrowser.core.manager import PetClassManager

    return PetClassManager.open(
        getattr(args, "project", None),
        storage=getattr(args, "storage", None) or os.environ.get("PETBROWSER_STORAGE") or None,
        python=getattr(args, "python", None),
        timeout=getattr(args, "timeout", None),
        endpoint_url=getattr(args, "endpoint_url", None),
        profile=getattr(args, "profile", None),
        region=getattr(args, "region", None),
    )


def _open_store_manager(args: argparse.Namespace) -> Any:
    """The manager, after checking the store exists: reading a missing store is an error."""
    manager = _open_manager(args)
    manager.storage.check()
    return manager


def _short(h: str | None) -> str:
    return h[:12] if h else "-"


@handler("ls")
def _cmd_ls(args: argparse.Namespace) -> int:
    classes = _open_store_manager(args).list_classes()
    rows = [("CLASS", "LATEST", "VERSIONS")]
    rows += [(c.name, _short(c.latest), str(len(c.versions))) for c in classes]
    width = max(len(r[0]) for r in rows)
    lines = [f"{r[0]:<{width}}  {r[1]:<12}  {r[2]}" for r in rows]
    for c in classes:
        lines += [f"! {c.name}: {p}" for p in c.problems]
    if not classes:
        lines = ["(no classes in this store)"]
    _emit(args, [c.to_json() for c in classes], "\n".join(lines))
    return 0


@handler("log")
def _cmd_log(args: argparse.Namespace) -> int:
    manager = _open_store_manager(args)
    info = manager.store.get_class(args.cls)
    history = manager.history(args.cls)
    lines = [f"{info.name}  (latest {_short(info.latest)}, {len(info.versions)} versions)"]
    for v in info.versions:
        marks = []
        if v.by_reference:
            marks.append("by reference - no code captured")
        if not v.has_meta:
            marks.append("no metadata")
        star = "*" if v.hash == info.latest else " "
        lines.append(
            f"{star} {_short(v.hash)}  {v.pushed_at or '-':<27} {v.pushed_by or '-':<20} "
            f"{v.size:>8} B  {', '.join(marks)}".rstrip()
        )
    lines += [f"! {p}" for p in info.problems]
    if history:
        lines.append("")
        lines.append("pointer history (oldest first):")
        for e in history:
            lines.append(f"  {e.at}  {e.action:<8} {_short(e.from_hash)} -> {_short(e.to_hash)}  {e.by}")
    data = {
        "name": info.name,
        "latest": info.latest,
        "versions": [v.to_json() for v in info.versions],
        "history": [e.to_json() for e in history],
        "problems": list(info.problems),
    }
    _emit(args, data, "\n".join(lines))
    return 0


@handler("rollback")
def _cmd_rollback(args: argparse.Namespace) -> int:
    from petbrowser.core.store import ANY

    manager = _open_store_manager(args)
    to_hash = manager.resolve(args.cls, args.to)
    expected: Any = ANY
    if args.expect is not None:
        want = args.expect.strip().lower()
        if want in ("none", "unset"):
            expected = None  # "there must be no pointer yet"
        elif len(want) == 64:
            expected = want  # a full hash needs no lookup (it may be a dangling pointer's)
        else:
            expected = manager.resolve(args.cls, want)
    entry = manager.move_latest(args.cls, to_hash, expected, action="rollback")
    if not entry.key:
        text = f"latest of {args.cls} already is {_short(to_hash)}; nothing to do"
    else:
        text = f"latest of {args.cls}: {_short(entry.from_hash)} -> {_short(entry.to_hash)}"
    _emit(args, {**entry.to_json(), "changed": bool(entry.key)}, text)
    return 0


@handler("verify")
def _cmd_verify(args: argparse.Namespace) -> int:
    manager = _open_store_manager(args)
    report = manager.verify()
    lines = [f"checked {report.checked} objects: {len(report.problems)} problems, {len(report.warnings)} warnings"]
    lines += [f"PROBLEM  {i.key}: {i.message}" for i in report.problems]
    lines += [f"warning  {i.key}: {i.message}" for i in report.warnings]
    _emit(args, report.to_json(), "\n".join(lines))
    if report.ok:
        return 0
    n = len(report.problems)
    sys.stderr.write(f"petbrowser: verify found {n} problem{'s' if n != 1 else ''} in {manager.storage.url}\n")
    return 4


# -- class snapshots (hash, status, push, pull, demo) ----------------------------
def _load_project(args: argparse.Namespace) -> Any:
    """The project alone: hashing needs no store."""
    from petbrowser.core.project import Project

    return Project.load(
        getattr(args, "project", None),
        storage=getattr(args, "storage", None),
        python=getattr(args, "python", None),
        timeout=getattr(args, "timeout", None),
    )


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )


@handler("hash")
def _cmd_hash(args: argparse.Namespace) -> int:
    from petbrowser.core import snapshots

    classes = snapshots.scan(_load_project(args), args.module or None)
    rows = [("CLASS", "MODULE", "PB1", "LABCHAIN")]
    rows += [(c.name, c.module, _short(c.hashes["pb1"]), _short(c.hashes["labchain"])) for c in classes]
    text = _table(rows) if classes else "(no classes in the module(s))"
    _emit(args, [c.to_json() for c in classes], text)
    return 0


@handler("status")
def _cmd_status(args: argparse.Namespace) -> int:
    entries = _open_store_manager(args).check_status(args.module or None)
    rows = [("STATUS", "CLASS", "LOCAL", "LATEST")]
    rows += [(e.status, e.name, _short(e.local_hash), _short(e.latest)) for e in entries]
    text = _table(rows) if entries else "(no classes, local or in the store)"
    _emit(args, [e.to_json() for e in entries], text)
    return 0


@handler("push")
def _cmd_push(args: argparse.Namespace) -> int:
    from petbrowser.core.errors import UsageError

    if not args.classes and not args.all:
        raise UsageError("name the class(es) to push, or pass --all")
    results = _open_manager(args).push(args.classes, args.module or None, all_=args.all)
    lines = []
    for r in results:
        was = f" (latest was {_short(r.from_hash)})" if r.moved and r.from_hash else ""
        lines.append(f"{r.name}: {r.status} {_short(r.hash)}{was}")
    _emit(args, [r.to_json() for r in results], "\n".join(lines) or "nothing to push: all synced")
    return 0


@handler("pull")
def _cmd_pull(args: argparse.Namespace) -> int:
    res = _open_store_manager(args).pull(
        args.cls,
        args.hash,
        restore_dir=args.restore,
        force=args.force,
        allow_unsafe=args.allow_unsafe,
    )
    check = "digest verified" if res.verified else "digest NOT verified"
    lines = [f"{res.name} {_short(res.hash)}: rebuilt in a child process ({check})"]
    lines += [f"  {name}{sig or ''}" for name, sig in res.methods.items()]
    if res.restored_path is not None:
        lines.append(f"source written to {res.restored_path}")
    for w in res.warnings:
        sys.stderr.write(f"petbrowser: warning: {w}\n")
    _emit(args, res.to_json(), "\n".join(lines))
    return 0


@handler("demo")
def _cmd_demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from petbrowser.core.demo import create_demo

    if args.dir:
        dest = Path(args.dir)
    else:
        import platformdirs

        dest = platformdirs.user_data_path("petbrowser") / "demo"
    project = create_demo(dest)
    _emit(args, {"project": str(project), "store": str(project.parent / "store")}, str(project))
    return 0


# -- inspection (diff, inspect) ----------------------------------------------------
@handler("diff")
def _cmd_diff(args: argparse.Namespace) -> int:
    from petbrowser.core import inspection

    manager = _open_store_manager(args)
    result = inspection.diff_refs(manager, args.cls, args.a, args.b, modules=args.module or None)
    text = result.format_text(source=not args.bytecode, bytecode=not args.source)
    _emit(args, result.to_json(), text)
    return 0


def _inspect_text(res: Any) -> str:
    desc = res.describe
    lines = [f"{res.name} {res.hash}"]
    where = f"{desc.get('module') or '?'}.{desc.get('qualname') or desc.get('class_name') or '?'}"
    lines.append(f"  defined as: {where}")
    python = desc.get("python_version") or "unknown"
    if res.meta is None and python != "unknown":
        python += " (read from the bytecode)"
    lines.append(f"  python:     {python}")
    lines.append(f"  metadata:   {'yes' if res.meta is not None else 'none (inspected statically)'}")
    if res.by_reference:
        lines.append("  BY REFERENCE - no code captured: loading imports the module as it is now")
    bases = desc.get("bases") or []
    lines.append(f"  bases:      {', '.join(bases) if bases else '-'}")
    attrs = desc.get("attributes") or {}
    if attrs:
        lines.append("  attributes:")
        lines += [f"    {k} = {v}" for k, v in attrs.items()]
    methods = desc.get("methods") or {}
    if methods:
        lines.append("  methods:")
        for key, m in methods.items():
            if m.get("kind") == "code":
                continue
            kind = "" if m.get("kind") == "function" else f"  [{m.get('kind')}]"
            lines.append(f"    {key}{m.get('signature') or ''}{kind}")
    deps = desc.get("globals") or []
    if deps:
        lines.append("  references: " + ", ".join(deps))
    for p in res.problems:
        lines.append(f"  PROBLEM: {p}")
    if res.unsafe:
        lines.append("  UNSAFE: loading this pickle would call " + ", ".join(res.unsafe))
    else:
        lines.append("  safe: loading calls only cloudpickle's rebuilding functions")
    return "\n".join(lines)


@handler("inspect")
def _cmd_inspect(args: argparse.Namespace) -> int:
    res = _open_store_manager(args).inspect(args.cls, args.hash or "latest")
    _emit(args, res.to_json(), _inspect_text(res))
    if res.unsafe:
        sys.stderr.write(
            f"petbrowser: {res.name} {_short(res.hash)} is unsafe: loading it would call "
            + ", ".join(res.unsafe)
            + "\n"
        )
        return 4
    if res.problems:
        sys.stderr.write(f"petbrowser: {res.name} {_short(res.hash)}: {res.problems[0]}\n")
        return 4
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in COMMANDS:
            args = build_parser().parse_args(argv)
            return HANDLERS[args.command](args)
        if argv and argv[0] in ("-h", "--help"):
            build_parser().print_help()
            return 0
        args = build_gui_parser().parse_args(argv)
        from petbrowser.gui.app import run_gui  # Qt is imported only for the GUI

        return run_gui(args)
    except PetBrowserError as exc:
        sys.stderr.write(f"petbrowser: {exc.message}\n")
        if exc.detail and os.environ.get("PETBROWSER_DEBUG"):
            sys.stderr.write(exc.detail + "\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("petbrowser: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
