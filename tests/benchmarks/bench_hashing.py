"""Benchmark 4: pb1 against the LabChain-compatible hash, same classes, same process.

pb1 does more work on purpose (nested code objects recursed into, closures,
attributes, a typed encoding); the goal bounds what that costs per class.
"""

from __future__ import annotations

from pathlib import Path

from module_generator import filters_module_source, import_path, write_module
from timing import Row, measure_interleaved


def run(work: Path, classes: int, runs: int) -> list[Row]:
    from petbrowser.core.agent.hashing import labchain_hash, pb1_hash

    path = write_module(work / "hashing", "bench_hash_module", filters_module_source(classes))
    module = import_path(path, "bench_hash_module")
    targets = [v for k, v in vars(module).items() if k.startswith("Filter") and isinstance(v, type)]
    assert len(targets) == classes

    # Warm both (imports, inspect caches) so neither pays a first-call cost.
    pb1_hash(targets[0])
    labchain_hash(targets[0])
    got = measure_interleaved(
        {
            "pb1": (lambda: [pb1_hash(c) for c in targets], runs),
            "labchain": (lambda: [labchain_hash(c) for c in targets], runs),
        }
    )
    pb1, lab = got["pb1"], got["labchain"]
    assert len(set(pb1.result)) == classes, "pb1 must tell the generated classes apart"
    return [
        Row(
            "4 hashing",
            f"pb1, {classes} classes (per class)",
            pb1.median / classes,
            lab.median / classes,
            "labchain hash",
            runs=runs,
            max_ratio=2.0,
            extra={"total_s": pb1.median, "baseline_total_s": lab.median},
        )
    ]
