"""Benchmark 5: structural diff of two versions of a 200-method class.

petbrowser's ``diff_describe`` on the two descriptions (normalized
disassembly per method, plus sources) against ``difflib.unified_diff`` over
the plain ``dis.dis`` output of the same two classes.  Both inputs are built
before timing: the comparison is the diff itself.
"""

from __future__ import annotations

import difflib
import dis
import io
from pathlib import Path

from module_generator import big_class_source, import_path, write_module
from timing import Row, measure_interleaved


def _plain_dis(cls: type) -> list[str]:
    buf = io.StringIO()
    dis.dis(cls, file=buf)
    return buf.getvalue().splitlines()


def run(work: Path, methods: int, runs: int, baseline_runs: int) -> list[Row]:
    from petbrowser.core.agent.describe import describe_class
    from petbrowser.core.diff import diff_describe
    from petbrowser.core.models import ClassDescription

    classes = []
    for variant in (0, 1):
        name = f"bench_big_v{variant}"
        path = write_module(work / "diff", name, big_class_source(methods, variant))
        classes.append(import_path(path, name).Big)
    a, b = (ClassDescription.from_json(describe_class(c)) for c in classes)
    dis_a, dis_b = (_plain_dis(c) for c in classes)

    # The baseline can take a minute at 200 methods (difflib's matcher degrades on
    # thousands of near-identical dis lines), hence its own, smaller run count.
    got = measure_interleaved(
        {
            "ours": (lambda: diff_describe(a, b), runs),
            "difflib": (
                lambda: list(difflib.unified_diff(dis_a, dis_b, "A", "B", lineterm="")),
                baseline_runs,
            ),
        }
    )
    ours, base = got["ours"], got["difflib"]
    changed = [m for m in ours.result.methods if m.status != "unchanged"]
    assert changed and len(changed) < methods // 2, f"{len(changed)} methods differ"
    assert base.result, "the plain dis outputs must differ"
    return [
        Row(
            "5 diff",
            f"{methods}-method class, {len(changed)} methods differ",
            ours.median,
            base.median,
            "difflib over plain dis",
            runs=runs,
            max_ratio=3.0,
            note=f"baseline runs: {baseline_runs}; {len(dis_a)} vs {len(dis_b)} dis lines",
            extra={"changed_methods": len(changed)},
        )
    ]
