"""The headless command line: the same core calls the GUI makes.

The command set, flags, JSON field names and exit codes are a contract
(DESIGN.md, "Command line"): 0 success, 1 error, 2 usage, 3 conflict,
4 integrity or safety.  Every ``PetBrowserError`` becomes one line on stderr.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from petbrowser import __version__
from petbrowser.core.errors import PetBrowserError, UsageError

if TYPE_CHECKING:
    from petbrowser.core.manager import PetClassManager
    from petbrowser.core.models import ClassDescription, InspectResult, MoveBatch, RestorePlan

# core.models (and msgspec under it) load with the command that needs them:
# the window's start-up does not (docs/performance.md, GUI first paint).

COMMANDS = ("ls", "log", "status", "hash", "push", "pull", "rollback", "diff", "inspect", "verify", "demo")
COMMANDS += ("restore", "undo", "redo", "blame", "watch")  # time travel
COMMANDS += ("repair",)  # LabChain round trip: rewrite 0.1.0's JSON pointers
HASH_SCHEMES = ("pb1", "labchain")


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
    _timeout_flag(p)


def _seconds(text: str) -> float:
    """argparse type of --timeout: a positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 1e9:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, not {text!r}")
    return value


def _timeout_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help="the longest wait for anything outside petbrowser: one store operation "
        "(S3 connect, reads and retries together; default 30) and one child-process "
        "call (default 60); also PETBROWSER_TIMEOUT",
    )


def _hash_scheme(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--hash-scheme",
        choices=HASH_SCHEMES,
        help="name versions by petbrowser's hash (pb1) or LabChain's get_class_hash (labchain); "
        "default: the project's hash_scheme, else labchain for a store LabChain also writes, else pb1",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="petbrowser", description="Browse and steer a LabChain class store.")
    parser.add_argument("--version", action="version", version=f"petbrowser {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("ls", help="classes, versions, latest")
    _common(p)

    p = sub.add_parser("log", help="versions and pointer history of a class, or --all classes")
    _common(p)
    p.add_argument("cls", metavar="CLASS", nargs="?")
    p.add_argument("--all", action="store_true", help="one timeline of every pointer move")
    p.add_argument("--since", metavar="T", help="only moves at or after T (ISO 8601 or 3d, 2h)")

    for name, helptext in (("status", "local classes against the store"), ("hash", "local hashes")):
        p = sub.add_parser(name, help=helptext)
        _common(p)
        p.add_argument("--module", "-m", action="append", default=[], help="module name or .py path")
        _hash_scheme(p)

    p = sub.add_parser("push", help="push classes as new versions and move latest")
    _common(p)
    p.add_argument("classes", nargs="*", metavar="CLASS")
    p.add_argument("--all", action="store_true", help="every class of the module(s) not synced")
    p.add_argument("--module", "-m", action="append", default=[])
    _hash_scheme(p)

    p = sub.add_parser(
        "repair", help="rewrite JSON pointers (petbrowser 0.1.0) in the form LabChain reads"
    )
    _common(p)
    p.add_argument("classes", nargs="*", metavar="CLASS", help="default: every JSON pointer")

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

    _time_travel_parsers(sub)

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
    _timeout_flag(parser)
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
def _open_manager(args: argparse.Namespace, *, require_store: bool = True) -> PetClassManager:
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
        hash_scheme=getattr(args, "hash_scheme", None),
        require_store=require_store,
    )


def _open_store_manager(args: argparse.Namespace) -> PetClassManager:
    """The manager, after checking the store exists: reading a missing store is an error."""
    manager = _open_manager(args)
    manager.check()
    return manager


def _short(h: str | None) -> str:
    """A hash as people read it (``models.short_hash``), ``-`` for none."""
    from petbrowser.core.models import short_hash

    return short_hash(h) or "-"


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
    from petbrowser.core.models import format_size

    if args.all or args.cls is None:
        if args.cls is not None or not args.all:
            raise UsageError("name one CLASS, or pass --all for every class")
        return _log_all(args)
    manager = _open_store_manager(args)
    info = manager.class_info(args.cls)
    history = manager.history(args.cls)
    if args.since:
        since = manager.parse_time(args.since)
        history = list(reversed(manager.timeline(since, [args.cls]).entries))
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
            f"{format_size(v.size):>9}  {', '.join(marks)}".rstrip()
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
    from petbrowser.core.manager import ANY

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
    sys.stderr.write(f"petbrowser: verify found {n} problem{'s' if n != 1 else ''} in {manager.store_url}\n")
    return 4


# -- time travel (log --all, restore, undo, redo, blame, watch) ------------------
def _time_travel_parsers(sub: Any) -> None:
    p = sub.add_parser("restore", help="every (or each named) class's latest back to where it was at T")
    _common(p)
    p.add_argument("classes", nargs="*", metavar="CLASS")
    p.add_argument("--at", required=True, metavar="T", help="ISO 8601 (local time unless it says) or 3d, 2h")
    p.add_argument("--dry-run", action="store_true", help="show the plan, move nothing")

    for name, helptext in (
        ("undo", "revert the last move of a class's latest (compare-and-swap)"),
        ("redo", "re-apply the move the last undo reverted (compare-and-swap)"),
    ):
        p = sub.add_parser(name, help=helptext)
        _common(p)
        p.add_argument("cls", metavar="CLASS")

    p = sub.add_parser("blame", help="the versions in which each method (or one) changed")
    _common(p)
    p.add_argument("cls", metavar="CLASS")
    p.add_argument("method", metavar="METHOD", nargs="?")

    p = sub.add_parser("watch", help="print store changes as others make them, until interrupted")
    _common(p)
    p.add_argument("--interval", type=float, default=2.0, metavar="S", help="seconds between polls (default 2)")


def _local(at: str | None, fmt: str = "%a %Y-%m-%d %H:%M:%S") -> str:
    """A store time (UTC) as this machine's local time (``models.local_time``), else as written."""
    from petbrowser.core.models import local_time

    return local_time(at, fmt) or at or "-"


def _log_all(args: argparse.Namespace) -> int:
    manager = _open_store_manager(args)
    since = manager.parse_time(args.since) if args.since else None
    timeline = manager.timeline(since)
    lines: list[str] = []
    day = None
    width = max((len(e.class_name) for e in timeline.entries), default=5)
    for e in timeline.entries:
        this_day = _local(e.at, "%a %Y-%m-%d")
        if this_day != day:
            lines.append(this_day)
            day = this_day
        lines.append(
            f"  {_local(e.at, '%H:%M:%S')}  {e.class_name:<{width}}  {e.action:<8} "
            f"{_short(e.from_hash)} -> {_short(e.to_hash)}  {e.by}"
        )
    if not timeline.entries:
        lines.append(
            f"no pointer moves recorded since {_local(timeline.since)}"
            if timeline.since
            else "no pointer moves recorded in this store"
        )
    if timeline.without_history:
        lines.append(
            f"no records for {', '.join(timeline.without_history)} "
            "(LabChain keeps no history; petbrowser records moves from its first one on)"
        )
    _emit(args, timeline.to_json(), "\n".join(lines))
    return 0


def _restore_text(plan: RestorePlan, batch: MoveBatch | None) -> list[str]:
    lines = [f"restore to {_local(plan.at)} (local time; {plan.at[:19]}Z)"]
    width = max((len(s.class_name) for s in plan.steps + plan.skipped), default=5)
    for s in plan.steps:
        if not s.moves:
            lines.append(f"  {s.class_name:<{width}}  already at {_short(s.then)}")
            continue
        what = s.changes.summary() if s.changes is not None else ""
        lines.append(f"  {s.class_name:<{width}}  {_short(s.now)} -> {_short(s.then)}  {what}".rstrip())
    if plan.skipped:
        lines.append("left alone:")
        lines += [f"  {s.class_name:<{width}}  {s.message}" for s in plan.skipped]
    if plan.first_record_at:
        lines.append(f"records exist from {_local(plan.first_record_at)} on")
    if batch is not None:
        lines.append("")
        for o in batch.outcomes:
            if o.status == "moved":
                lines.append(f"{o.class_name}: restored {_short(o.from_hash)} -> {_short(o.to_hash)}")
            else:
                lines.append(f"{o.class_name}: {o.status}: {o.message}")
        n = len(batch.moved)
        tail = f"restored {n} of {len(batch.outcomes)} class{'es' if len(batch.outcomes) != 1 else ''}"
        if batch.conflicts:
            tail += f"; {len(batch.conflicts)} moved meanwhile and kept"
        if batch.failed:
            tail += f"; {len(batch.failed)} failed"
        lines.append(tail)
    return lines


@handler("restore")
def _cmd_restore(args: argparse.Namespace) -> int:
    from petbrowser.core.errors import NotFoundError

    manager = _open_store_manager(args)
    at = manager.parse_time(args.at)
    plan = manager.plan_restore(at, args.classes or None)
    if not plan.steps:
        if plan.first_record_at is None:
            raise NotFoundError(
                f"no pointer moves are recorded in {manager.store_url} (LabChain keeps no "
                "history): there is no record to restore from"
            )
        raise NotFoundError(
            f"nothing to restore: no class has a record at or before {_local(plan.at)}; "
            f"records exist from {_local(plan.first_record_at)} on"
        )
    batch = None if args.dry_run or not plan.moves else manager.execute_restore(plan)
    lines = _restore_text(plan, batch)
    if not plan.moves:
        lines.append("nothing to move: every class is already where it was then")
    elif args.dry_run:
        lines.append("dry run: nothing moved")
    data = {"plan": plan.to_json(), "result": batch.to_json() if batch is not None else None}
    _emit(args, data, "\n".join(lines))
    if batch is not None and batch.conflicts:
        names = ", ".join(o.class_name for o in batch.conflicts)
        sys.stderr.write(f"petbrowser: {names} moved since the plan was made; left as they are\n")
        return 3
    if batch is not None and batch.failed:
        sys.stderr.write(f"petbrowser: {batch.failed[0].class_name}: {batch.failed[0].message}\n")
        return 1
    return 0


def _cmd_step(args: argparse.Namespace, action: str) -> int:
    manager = _open_store_manager(args)
    state = manager.undo_state(args.cls)
    move = state.undo if action == "undo" else state.redo
    entry = manager.undo_latest(args.cls) if action == "undo" else manager.redo_latest(args.cls)
    what = f"the {move.action} of {_local(move.at)} by {move.by or '?'}" if move else "a move"
    verb = "undid" if action == "undo" else "redid"
    text = f"{args.cls}: {verb} {what}: latest {_short(entry.from_hash)} -> {_short(entry.to_hash)}"
    data = {**entry.to_json(), "class": args.cls, "step": move.to_json() if move else None}
    _emit(args, data, text)
    return 0


@handler("undo")
def _cmd_undo(args: argparse.Namespace) -> int:
    return _cmd_step(args, "undo")


@handler("redo")
def _cmd_redo(args: argparse.Namespace) -> int:
    return _cmd_step(args, "redo")


@handler("blame")
def _cmd_blame(args: argparse.Namespace) -> int:
    result = _open_store_manager(args).blame(args.cls, args.method)
    lines = [f"{result.class_name}  ({len(result.versions)} versions read, newest change first)"]
    marks = {"added": "+", "changed": "~", "renamed": ">", "removed": "-"}
    for m in result.methods:
        extra = []
        if len(m.names) > 1:
            extra.append("was " + ", ".join(m.names[1:]))
        if not m.present:
            extra.append("removed")
        lines.append(m.name + (f"  ({'; '.join(extra)})" if extra else ""))
        for c in m.changes:
            how = c.change
            if c.change == "renamed":
                how = f"renamed from {c.old_name}"
            if c.what:
                how += f" ({', '.join(c.what)})"
            lines.append(
                f"  {marks[c.change]} {_short(c.hash)}  {_local(c.pushed_at, '%Y-%m-%d %H:%M')}  "
                f"{c.pushed_by or '-':<16} {how}"
            )
    lines += [f"note: {n}" for n in result.notes]
    if not result.methods and not args.method:
        lines.append("(no version holds code to compare)")
    _emit(args, result.to_json(), "\n".join(lines))
    return 0


@handler("watch")
def _cmd_watch(args: argparse.Namespace) -> int:
    import time
    from datetime import datetime

    from petbrowser.core.errors import StorageError

    if not args.interval >= 0.1:
        raise UsageError("--interval must be at least 0.1 seconds")
    manager = _open_store_manager(args)
    watcher = manager.watcher()
    try:
        watcher.poll()  # the baseline
        sys.stderr.write(
            f"petbrowser: watching {manager.store_url} every {args.interval:g} s (Ctrl+C to stop)\n"
        )
        sys.stderr.flush()
        while True:
            time.sleep(args.interval)
            try:
                changes = watcher.poll()
            except StorageError as exc:
                sys.stderr.write(f"petbrowser: {exc.message} (still watching)\n")
                sys.stderr.flush()
                continue
            stamp = datetime.now().strftime("%H:%M:%S")
            if args.json:
                for c in changes:
                    sys.stdout.write(json.dumps({**c.to_json(), "text": watcher.describe(c)}) + "\n")
            else:
                for line in watcher.lines(changes):
                    sys.stdout.write(f"{stamp}  {line}\n")
            sys.stdout.flush()
    except KeyboardInterrupt:
        return 0


# -- class snapshots (hash, status, push, pull, demo) ----------------------------
def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )


@handler("hash")
def _cmd_hash(args: argparse.Namespace) -> int:
    found = _open_manager(args, require_store=False).local_hashes(args.module or None)
    if found.warning:
        sys.stderr.write(f"petbrowser: warning: {found.warning}\n")
    rows = [("CLASS", "MODULE", "PB1", "LABCHAIN")]
    rows += [(c.name, c.module, _short(c.hashes["pb1"]), _short(c.hashes["labchain"])) for c in found.classes]
    text = _table(rows) if found.classes else "(no classes in the module(s))"
    text += f"\nhash scheme in effect: {found.scheme} ({found.why})"
    _emit(args, found.to_json(), text)
    return 0


@handler("status")
def _cmd_status(args: argparse.Namespace) -> int:
    entries = _open_store_manager(args).check_status(args.module or None, hash_scheme=args.hash_scheme)
    rows = [("STATUS", "CLASS", "LOCAL", "LATEST")]
    rows += [(e.status, e.name, _short(e.local_hash), _short(e.latest)) for e in entries]
    text = _table(rows) if entries else "(no classes, local or in the store)"
    _emit(args, [e.to_json() for e in entries], text)
    return 0


@handler("push")
def _cmd_push(args: argparse.Namespace) -> int:
    if not args.classes and not args.all:
        raise UsageError("name the class(es) to push, or pass --all")
    results = _open_manager(args).push(
        args.classes, args.module or None, all_=args.all, hash_scheme=args.hash_scheme
    )
    lines = []
    for r in results:
        was = f" (latest was {_short(r.from_hash)})" if r.moved and r.from_hash else ""
        lines.append(f"{r.name}: {r.status} {_short(r.hash)} [{r.hash_scheme}]{was}")
    for w in results.warnings:
        sys.stderr.write(f"petbrowser: warning: {w}\n")
    _emit(args, results.to_json(), "\n".join(lines) or "nothing to push: all synced")
    return 0


@handler("repair")
def _cmd_repair(args: argparse.Namespace) -> int:
    """Each named (or every JSON) pointer rewritten as a recorded CAS move; one failure stops no other."""
    manager = _open_store_manager(args)
    names = list(dict.fromkeys(args.classes)) or manager.pointers_to_repair()
    lines, data, code = [], [], 0
    for name in names:
        try:
            entry = manager.repair_pointer(name)
        except PetBrowserError as exc:
            sys.stderr.write(f"petbrowser: {name}: {exc.message}\n")
            data.append({"class": name, "changed": False, "error": exc.message})
            code = max(code, exc.exit_code)
            continue
        if entry.key:
            lines.append(f"{name}: latest {_short(entry.to_hash)} rewritten in LabChain's form (recorded: repair)")
        else:
            lines.append(f"{name}: latest {_short(entry.to_hash)} already is LabChain's form; nothing to do")
        data.append({"class": name, **entry.to_json(), "changed": bool(entry.key)})
    if not names:
        lines.append("nothing to repair: LabChain can read every pointer")
    _emit(args, data, "\n".join(lines))
    return code


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
    from petbrowser.core.manager import PetClassManager

    project = PetClassManager.create_demo(args.dir or None)
    _emit(args, {"project": str(project), "store": str(project.parent / "store")}, str(project))
    return 0


# -- inspection (diff, inspect) ----------------------------------------------------
@handler("diff")
def _cmd_diff(args: argparse.Namespace) -> int:
    manager = _open_store_manager(args)
    result = manager.diff(args.cls, args.a, args.b, modules=args.module or None)
    text = result.format_text(source=not args.bytecode, bytecode=not args.source)
    _emit(args, result.to_json(), text)
    return 0


def _methods_text(desc: ClassDescription) -> list[str]:
    """A description's methods, one line each (nested code is shown by the diff, not here)."""
    lines = []
    for key, m in desc.methods.items():
        if m.kind == "code":
            continue
        kind = "" if m.kind == "function" else f"  [{m.kind}]"
        lines.append(f"    {key}{m.signature or ''}{kind}")
    return ["  methods:", *lines] if desc.methods else []


def _inspect_text(res: InspectResult) -> str:
    desc = res.describe
    lines = [f"{res.name} {res.hash}", f"  defined as: {desc.defined_as}"]
    python = desc.python_version or "unknown"
    if not res.has_meta and python != "unknown":
        python += " (read from the bytecode)"
    lines.append(f"  python:     {python}")
    lines.append(f"  metadata:   {'yes' if res.has_meta else 'none (inspected statically)'}")
    lines.append(f"  hash:       {res.hash_scheme or 'unknown'} scheme")
    if res.by_reference:
        lines.append("  BY REFERENCE - no code captured: loading imports the module as it is now")
    lines.append(f"  bases:      {', '.join(desc.bases) if desc.bases else '-'}")
    if desc.attributes:
        lines.append("  attributes:")
        lines += [f"    {k} = {v}" for k, v in desc.attributes.items()]
    lines += _methods_text(desc)
    if desc.globals:
        lines.append("  references: " + ", ".join(desc.globals))
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


# -- the window -----------------------------------------------------------------
def _run_gui(args: argparse.Namespace) -> int:
    """Open the window, after checking that Qt can: Qt aborts (exit 134) when it cannot.

    The check (``gui/platform_check.py``, no Qt import) asks the dynamic loader
    about the platform plugin in a child process while Qt's modules load here,
    unless an unchanged desktop already answered yes (its cache file).
    ``PETBROWSER_NO_PLATFORM_CHECK=1`` skips it.
    """
    # Start-up allocates thousands of long-lived objects (Qt's enums, the window)
    # and no garbage worth a cyclic collection: ~70 collections cost 20-30 ms
    # before the first frame.  Once the window lives, its UiThreadCollector
    # collects from a timer on the UI thread; this ``finally`` restores it after.
    collecting = gc.isenabled()
    gc.disable()
    try:
        check = None
        if not os.environ.get("PETBROWSER_NO_PLATFORM_CHECK"):
            from petbrowser.gui.platform_check import default_cache_file, start_check

            check = start_check(cache=default_cache_file())  # a clean answer is remembered: no ldd next time
        try:
            from petbrowser.gui.app import run_gui  # Qt is imported only for the GUI
        except ImportError as exc:  # QtGui itself failed to load (a library it links is missing)
            problem = check.message() if check is not None else None
            sys.stderr.write(f"petbrowser: {problem or f'cannot load Qt: {exc}'}\n")
            return 1
        problem = check.message() if check is not None else None
        if problem:
            sys.stderr.write(f"petbrowser: {problem}\n")
            return 1
        if args.timeout is not None:
            # the window opens stores and projects in many places: the environment reaches them all
            os.environ["PETBROWSER_TIMEOUT"] = repr(args.timeout)
        return run_gui(args)
    finally:
        if collecting:
            gc.enable()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in COMMANDS:
            args = build_parser().parse_args(argv)
            return HANDLERS[args.command](args)
        if argv and argv[0] in ("-h", "--help"):
            build_parser().print_help()
            return 0
        return _run_gui(build_gui_parser().parse_args(argv))
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
