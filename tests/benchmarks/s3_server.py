"""A moto S3 server in its own process, optionally pre-loaded from a local store.

Why a process of its own: moto answers requests in Python, so sharing the
runner's interpreter (and its GIL) with the boto3 client being measured would
charge the server's work to the client.  Why pre-loading through moto's own
backend: uploading 60,000 objects through HTTP takes minutes and measures
nothing; the benchmarks only read, and they read through boto3 over HTTP.

Run as a script: prints one JSON line ``{"endpoint": ...}`` when ready, serves
until its stdin closes.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _preload(bucket: str, prefix: str, local_root: Path) -> int:
    """Put every file of ``local_root`` into ``bucket`` under ``prefix``."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    count = 0
    for dirpath, _dirs, files in os.walk(local_root):
        for name in files:
            path = Path(dirpath) / name
            key = prefix + path.relative_to(local_root).as_posix()
            backend.put_object(bucket, key, path.read_bytes())
            count += 1
    return count


def serve(bucket: str | None, prefix: str, local_root: Path | None) -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    count = 0
    if bucket:
        import boto3

        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
        if local_root is not None:
            count = _preload(bucket, prefix, local_root)
    sys.stdout.write(json.dumps({"endpoint": endpoint, "objects": count}) + "\n")
    sys.stdout.flush()
    sys.stdin.read()  # until the parent closes our stdin (or dies)
    server.stop()


class S3Server:
    """The parent's handle: starts the child, knows its endpoint, stops it."""

    def __init__(self, bucket: str | None = None, prefix: str = "", local_root: Path | None = None) -> None:
        cmd = [sys.executable, str(HERE / "s3_server.py")]
        if bucket:
            cmd += ["--bucket", bucket, "--prefix", prefix]
        if local_root is not None:
            cmd += ["--from", str(local_root)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            self.proc.kill()
            raise RuntimeError("the moto S3 server child did not start")
        info = json.loads(line)
        self.endpoint: str = info["endpoint"]
        self.objects: int = info["objects"]
        self.port = int(self.endpoint.rsplit(":", 1)[1])

    def stop(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> S3Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--bucket")
    ap.add_argument("--prefix", default="")
    ap.add_argument("--from", dest="local_root", type=Path)
    a = ap.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "benchmark")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "benchmark")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    serve(a.bucket, a.prefix, a.local_root)
