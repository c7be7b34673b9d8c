"""A threaded TCP proxy on 127.0.0.1 that delays every byte by a fixed time.

It stands in for a distant S3 endpoint: each chunk is held for ``delay``
seconds in each direction, then forwarded in order.  Chunks are queued with
their due time instead of sleeping in the reader, so latency is added without
throttling bandwidth (a pipelined stream is not slowed further), which is how
a long network path behaves.
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
from collections.abc import Callable


class _Pipe:
    """One direction of one connection: read, stamp, and forward when due."""

    def __init__(
        self, src: socket.socket, dst: socket.socket, delay: float, on_done: Callable[[], None]
    ) -> None:
        self.src, self.dst, self.delay, self.on_done = src, dst, delay, on_done
        self.queue: list[tuple[float, int, bytes]] = []
        self.seq = itertools.count()
        self.cond = threading.Condition()
        self.closed = False

    def start(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._write, daemon=True).start()

    def _read(self) -> None:
        try:
            while True:
                data = self.src.recv(65536)
                if not data:
                    break
                with self.cond:
                    heapq.heappush(self.queue, (time.monotonic() + self.delay, next(self.seq), data))
                    self.cond.notify()
        except OSError:
            pass
        with self.cond:
            heapq.heappush(self.queue, (time.monotonic() + self.delay, next(self.seq), b""))
            self.cond.notify()

    def _write(self) -> None:
        try:
            self._forward()
        finally:
            self.on_done()

    def _forward(self) -> None:
        while True:
            with self.cond:
                while not self.queue:
                    self.cond.wait()
                due, _, data = self.queue[0]
                now = time.monotonic()
                if due > now:
                    self.cond.wait(due - now)
                    continue
                heapq.heappop(self.queue)
            try:
                if not data:  # end of stream: pass the half-close on
                    self.dst.shutdown(socket.SHUT_WR)
                    return
                self.dst.sendall(data)
            except OSError:
                return


def _closer(a: socket.socket, b: socket.socket) -> Callable[[], None]:
    """Close both sockets once both directions have finished."""
    state = {"left": 2}
    lock = threading.Lock()

    def done() -> None:
        with lock:
            state["left"] -= 1
            last = state["left"] == 0
        if last:
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass

    return done


class LatencyProxy:
    """Listen on 127.0.0.1:<port>; forward to ``target`` with ``delay`` each way.

    Use as a context manager; ``url`` is the endpoint to give boto3.
    """

    def __init__(self, target_host: str, target_port: int, delay: float) -> None:
        self.target = (target_host, target_port)
        self.delay = delay
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(128)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self._stop = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LatencyProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop = True
        self.server.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            done = _closer(client, upstream)
            _Pipe(client, upstream, self.delay, done).start()
            _Pipe(upstream, client, self.delay, done).start()


class LatencyProxyProcess:
    """The same proxy in a child process, so its threads do not compete with the
    measured client for the runner's GIL.  Context manager; ``url`` as above."""

    def __init__(self, target_host: str, target_port: int, delay: float) -> None:
        import subprocess
        import sys

        self.proc = subprocess.Popen(
            [sys.executable, __file__, target_host, str(target_port), str(delay)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.strip():
            self.proc.kill()
            raise RuntimeError("the latency proxy child did not start")
        self.port = int(line)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LatencyProxyProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()


if __name__ == "__main__":
    import sys

    host, port, delay = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    with LatencyProxy(host, port, delay) as proxy:
        sys.stdout.write(f"{proxy.port}\n")
        sys.stdout.flush()
        sys.stdin.read()  # until the parent closes our stdin (or dies)
