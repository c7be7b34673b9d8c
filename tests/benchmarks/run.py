"""petbrowser's benchmarks: one command, a table of medians and ratios.

    python tests/benchmarks/run.py            # the full run (docs/performance.md)
    python tests/benchmarks/run.py --quick    # small sizes, 2-3 runs (CI keeps it working)

Every baseline is measured in the same run as the number it is compared to,
on stores and modules this script generates in a temporary folder.  It
starts its own moto S3 server (a child process on 127.0.0.1) and latency
proxy; it needs nothing but the project's virtualenv.  No threshold fails the
run: a missed goal is a ``MISS`` in the table, an error is a non-zero exit.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from store_generator import StoreSpec, write_store  # noqa: E402
from timing import Row  # noqa: E402

BENCHES = ("listing", "status", "gui", "hashing", "diff")


@dataclass(frozen=True)
class Sizes:
    listing: StoreSpec
    s3_listing: StoreSpec
    runs: int
    s3_runs: int
    s3_pointer_runs: int
    s3_meta_runs: int
    status_classes: int
    status_runs: int
    gui_runs: int
    tree: StoreSpec
    tree_runs: int
    hash_classes: int
    diff_methods: int
    diff_baseline_runs: int


# moto answers each ListObjectsV2 page in time proportional to the bucket's
# size, so a 61,000-key listing costs ~90 s of server time there: the S3 store
# is smaller than the local one (see docs/performance.md).
FULL = Sizes(
    listing=StoreSpec(1000, 20),
    s3_listing=StoreSpec(200, 20),
    runs=5,
    s3_runs=5,
    s3_pointer_runs=3,
    s3_meta_runs=1,
    status_classes=300,
    status_runs=5,
    # 15 interleaved pairs: a bare window's own first paint swings by +-15% from
    # run to run on this shared machine, and 5 pairs moved the ratio by +-0.15.
    gui_runs=15,
    tree=StoreSpec(1000, 20),
    tree_runs=3,
    hash_classes=500,
    diff_methods=200,
    diff_baseline_runs=1,
)
QUICK = Sizes(
    listing=StoreSpec(100, 5),
    s3_listing=StoreSpec(40, 4),
    runs=3,
    s3_runs=2,
    s3_pointer_runs=2,
    s3_meta_runs=1,
    status_classes=20,
    status_runs=2,
    gui_runs=2,
    tree=StoreSpec(100, 5),
    tree_runs=1,
    hash_classes=100,
    diff_methods=40,
    diff_baseline_runs=3,
)


def _isolate_aws(work: Path) -> None:
    """Fake credentials for the local moto server; never the user's real AWS setup."""
    os.environ.update(
        AWS_ACCESS_KEY_ID="benchmark",
        AWS_SECRET_ACCESS_KEY="benchmark",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(work / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(work / "aws-credentials"),
    )
    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        os.environ.pop(var, None)
    # petbrowser's caches (listing cache, code cache) in the run's folder, never the user's
    os.environ["XDG_CACHE_HOME"] = str(work / "user-cache")
    os.environ.pop("PETBROWSER_LISTING_CACHE", None)


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return f"{model}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value * 1000:.2f} ms" if value < 1 else f"{value:.2f} s"
    return f"{value:.1f} {unit}"


def table(rows: list[Row]) -> str:
    head = "| benchmark | case | petbrowser | baseline | ratio | goal | verdict | runs | notes |"
    lines = [head, "|" + "---|" * 9]
    for r in rows:
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "-"
        if r.min_speedup is not None and r.ratio:
            ratio += f" ({1 / r.ratio:.1f}x faster)"
        base = f"{_fmt(r.baseline, r.unit)} ({r.baseline_name})" if r.baseline is not None else "-"
        lines.append(
            f"| {r.bench} | {r.case} | {_fmt(r.value, r.unit)} | {base} | {ratio} | {r.goal or '-'} "
            f"| {r.verdict} | {r.runs} | {r.note} |"
        )
    return "\n".join(lines)


def run_all(sizes: Sizes, only: set[str], work: Path) -> tuple[list[Row], list[str]]:
    rows: list[Row] = []
    errors: list[str] = []

    def stage(name: str, fn) -> None:
        if name not in only:
            return
        t0 = time.perf_counter()
        print(f"== {name} ...", file=sys.stderr, flush=True)
        try:
            got = fn()
            rows.extend(got)
        except Exception as exc:  # report and go on: one broken bench must not hide the others
            traceback.print_exc()
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
        print(f"== {name} done in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)

    store_root = work / "listing_store"
    if only & {"listing", "gui"}:
        write_store(store_root, sizes.listing)
    tree_root = store_root
    if "gui" in only and sizes.tree != sizes.listing:
        tree_root = work / "tree_store"
        write_store(tree_root, sizes.tree)
    s3_root = store_root
    if "listing" in only and sizes.s3_listing != sizes.listing:
        s3_root = work / "s3_store"
        write_store(s3_root, sizes.s3_listing)

    def listing() -> list[Row]:
        import bench_listing
        from s3_server import S3Server

        out = bench_listing.run_local(store_root, sizes.listing, sizes.runs)
        out += bench_listing.run_local_second_open(store_root, sizes.listing, sizes.runs)
        with S3Server("bench-listing", "team/", s3_root) as server:
            out += bench_listing.run_s3(
                server.endpoint,
                "bench-listing",
                "team",
                sizes.s3_listing,
                sizes.s3_runs,
                sizes.s3_pointer_runs,
                sizes.s3_meta_runs,
            )
            out += bench_listing.run_s3_second_open(
                "s3://bench-listing/team", server.endpoint, sizes.s3_listing, sizes.s3_runs
            )
        return out

    def status() -> list[Row]:
        import bench_status

        return bench_status.run(work, sizes.status_classes, sizes.status_runs, scan_runs=sizes.status_runs)

    def gui() -> list[Row]:
        import bench_gui

        return bench_gui.run(work, tree_root, sizes.tree, sizes.gui_runs, sizes.tree_runs)

    def hashing() -> list[Row]:
        import bench_hashing

        return bench_hashing.run(work, sizes.hash_classes, sizes.runs)

    def diff() -> list[Row]:
        import bench_diff

        return bench_diff.run(work, sizes.diff_methods, sizes.runs, sizes.diff_baseline_runs)

    for name, fn in (("listing", listing), ("status", status), ("gui", gui), ("hashing", hashing), ("diff", diff)):
        stage(name, fn)
    return rows, errors


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes and 2-3 runs (a smoke run)")
    ap.add_argument("--only", default=",".join(BENCHES), help=f"comma-separated subset of {','.join(BENCHES)}")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON here")
    ap.add_argument("--keep", action="store_true", help="keep the generated stores (path printed)")
    args = ap.parse_args(argv)
    only = {b.strip() for b in args.only.split(",") if b.strip()}
    unknown = only - set(BENCHES)
    if unknown:
        ap.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    sizes = QUICK if args.quick else FULL

    work = Path(tempfile.mkdtemp(prefix="petbrowser-bench-"))
    _isolate_aws(work)
    started = time.time()
    try:
        rows, errors = run_all(sizes, only, work)
    finally:
        if args.keep:
            print(f"generated data kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    mode = "quick" if args.quick else "full"
    print(f"# petbrowser benchmarks ({mode} run, {time.time() - started:.0f} s)\n")
    print(f"Machine: {machine()}\n")
    print(table(rows))
    if errors:
        print("\nErrors:")
        for e in errors:
            print(f"- {e}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "mode": mode,
                    "machine": machine(),
                    "rows": [asdict(r) | {"ratio": r.ratio, "verdict": r.verdict, "goal": r.goal} for r in rows],
                    "errors": errors,
                },
                indent=1,
                default=str,
            )
        )
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
