"""A fault-injecting HTTP proxy for S3 tests: a bad network on loopback.

It sits between boto3 and moto's server and, for a share of the requests,
answers like a struggling S3 would (500 InternalError, 503 SlowDown with the
real XML bodies), resets the connection, stalls past the client's read
timeout, cuts a response body short, or forwards the request and then resets
(the write happened, the client never heard).  Faults are drawn from a seeded
RNG, or scripted one by one with ``plan``, so a failing run can be replayed.

``delimiter`` makes it an S3-compatible server that does not take a listing
delimiter other than ``/`` the way AWS does (see :data:`DELIMITER_QUIRKS`).
"""

from __future__ import annotations

import collections
import http.client
import random
import re
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

#: Every fault the proxy knows, with what the client sees.
FAULTS = (
    "error500",  # 500 InternalError, nothing forwarded
    "slowdown",  # 503 SlowDown, nothing forwarded
    "reset",  # TCP reset before anything was forwarded
    "stall",  # no answer for ``stall_seconds``, nothing forwarded
    "truncate",  # forwarded; the response body is cut in half, then the connection closes
    "reset_after",  # forwarded (the server acted on it); then a reset instead of the answer
    "forbidden",  # 403 InvalidAccessKeyId: what S3 says to wrong credentials
    "conflict409",  # 409 ConditionalRequestConflict: S3's answer to two racing conditional writes
)

#: How servers met in the wild treat a ``ListObjectsV2`` delimiter other than ``/``.
DELIMITER_QUIRKS = (
    "honoured",  # as AWS: any string
    "refused501",  # 501 NotImplemented (SiaFoundation s3d)
    "refused400",  # 400 InvalidArgument (lakeFS's gateway said BadRequest)
    "as_slash",  # read as "/" (only "/" implemented, the parameter not checked)
    "ignored",  # left out: every key listed (s3rver)
    "repeat_token",  # a continuation token on every page, the same one again (MinIO #20682)
)
#: The token ``repeat_token`` hands out.
QUIRK_TOKEN = "quirk-token"

_ERRORS = {
    "error500": (500, "InternalError", "We encountered an internal error. Please try again."),
    "slowdown": (503, "SlowDown", "Please reduce your request rate."),
    "conflict409": (
        409,
        "ConditionalRequestConflict",
        "A conflicting conditional operation is currently in progress against this resource. Please try again.",
    ),
    "forbidden": (
        403,
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
    ),
}

_HOP_HEADERS = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"}


class FaultProxy:
    """A threaded proxy on 127.0.0.1 in front of ``upstream`` (``http://host:port``).

    ``rates`` maps fault names to probabilities (their sum at most 1);
    ``eligible(method, path)`` limits which requests may be hit.  ``counts``
    records what was injected, ``requests`` how many requests went through.
    """

    def __init__(
        self,
        upstream: str,
        *,
        rates: dict[str, float] | None = None,
        seed: int = 0,
        stall_seconds: float = 2.5,
        eligible: Callable[[str, str], bool] | None = None,
        delimiter: str = "honoured",
    ) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.rates = dict(rates or {})
        unknown = set(self.rates) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults: {sorted(unknown)}")
        self.stall_seconds = stall_seconds
        if delimiter not in DELIMITER_QUIRKS:
            raise ValueError(f"unknown delimiter quirk: {delimiter}")
        self.delimiter = delimiter
        self.eligible = eligible or (lambda method, path: True)
        self.plan: collections.deque[str | None] = collections.deque()
        self.counts: collections.Counter[str] = collections.Counter()
        self.requests = 0
        self.log: list[tuple[str, str, str | None]] = []
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._released = threading.Event()
        self._released.set()
        #: Requests currently held by :meth:`hold` (they wait for :meth:`release`).
        self.held = 0
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)

    # ---------------------------------------------------------------- life
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -------------------------------------------------------------- control
    def set_rates(self, rates: dict[str, float]) -> None:
        with self._lock:
            self.rates = dict(rates)

    def script(self, faults: Iterable[str | None]) -> None:
        """Faults for the next eligible requests, in order (``None``: pass through)."""
        with self._lock:
            self.plan.extend(faults)

    def hold(self) -> None:
        """Make every new request wait (unanswered) until :meth:`release`: a network that hangs
        for as long as the test needs, with no clock involved."""
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def _wait_if_held(self, limit: float = 120.0) -> None:
        """Wait for release (or stop, or ``limit`` seconds: a test that forgot must not hang CI)."""
        if self._released.is_set():
            return
        with self._lock:
            self.held += 1
        self._released.wait(limit)

    @property
    def injected(self) -> int:
        return sum(self.counts.values())

    def _choose(self, method: str, path: str) -> str | None:
        with self._lock:
            self.requests += 1
            if not self.eligible(method, path):
                fault = None
            elif self.plan:
                fault = self.plan.popleft()
            else:
                fault = None
                draw = self._rng.random()
                for name, rate in self.rates.items():
                    if draw < rate:
                        fault = name
                        break
                    draw -= rate
            if fault:
                self.counts[fault] += 1
            self.log.append((method, path, fault))
            return fault


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    proxy: FaultProxy

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet: clients that time out and hang up are the point of this server."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        """Quiet: the test reads ``counts``, not an access log."""

    def _handle(self) -> None:
        proxy = self.server.proxy
        body = self._read_body()
        proxy._wait_if_held()
        fault = proxy._choose(self.command, self.path)
        if fault in _ERRORS:
            self._send_error_xml(*_ERRORS[fault])
            return
        if fault == "reset":
            self._reset()
            return
        if fault == "stall":
            proxy._stop.wait(proxy.stall_seconds)
            self._reset()
            return
        quirk = self._delimiter_quirk()
        if quirk == "refused501":
            self._send_error_xml(501, "NotImplemented", "A delimiter other than / is not implemented")
            return
        if quirk == "refused400":
            self._send_error_xml(400, "InvalidArgument", "Invalid delimiter")
            return
        try:
            status, reason, headers, payload = self._forward(body)
        except OSError:
            self._send_error_xml(502, "BadGateway", "upstream unreachable")
            return
        if fault == "reset_after":
            self._reset()
            return
        if quirk == "repeat_token" and status == 200:
            payload = re.sub(rb"<IsTruncated>false</IsTruncated>", b"<IsTruncated>true</IsTruncated>", payload)
            payload = re.sub(rb"<NextContinuationToken>[^<]*</NextContinuationToken>", b"", payload)
            token = f"<NextContinuationToken>{QUIRK_TOKEN}</NextContinuationToken>".encode()
            payload = payload.replace(b"</ListBucketResult>", token + b"</ListBucketResult>")
        self.send_response_only(status, reason)
        for name, value in headers:
            if name.lower() not in _HOP_HEADERS and name.lower() != "content-length":
                self.send_header(name, value)
        declared = len(payload)
        if self.command == "HEAD":
            declared = int(dict((k.lower(), v) for k, v in headers).get("content-length", "0"))
        self.send_header("Content-Length", str(declared))
        self.end_headers()
        if self.command == "HEAD":
            return
        if fault == "truncate" and len(payload) > 1:
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self._reset()
            return
        self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

    # ------------------------------------------------------------- pieces
    def _delimiter_quirk(self) -> str | None:
        """The quirk this request meets (a listing with a delimiter other than ``/``),
        after rewriting ``self.path`` the way the quirk reads the request."""
        mode = self.server.proxy.delimiter
        parts = urlsplit(self.path)
        query = parse_qsl(parts.query, keep_blank_values=True)
        delimiter = dict(query).get("delimiter")
        if mode == "honoured" or self.command != "GET" or not delimiter or delimiter == "/":
            return None
        if mode == "as_slash":
            query = [(k, "/" if k == "delimiter" else v) for k, v in query]
        elif mode == "ignored":
            query = [(k, v) for k, v in query if k != "delimiter"]
        elif mode == "repeat_token":  # the server's own token: it lists the first page again
            query = [(k, v) for k, v in query if not (k == "continuation-token" and v == QUIRK_TOKEN)]
        self.path = urlunsplit(parts._replace(query=urlencode(query)))
        return mode

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is not None:
            return self.rfile.read(int(length))
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raw = bytearray()
            while True:
                line = self.rfile.readline()
                raw += line
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while True:  # trailers, up to the blank line
                        trailer = self.rfile.readline()
                        raw += trailer
                        if trailer in (b"\r\n", b"\n", b""):
                            return bytes(raw)
                raw += self.rfile.read(size + 2)
        return b""

    def _forward(self, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
        proxy = self.server.proxy
        conn = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=30)
        try:
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() in ("connection", "keep-alive", "proxy-connection"):
                    continue
                conn.putheader(name, value)
            conn.endheaders()
            if body:
                conn.send(body)
            resp = conn.getresponse()
            payload = resp.read()
            return resp.status, resp.reason, resp.getheaders(), payload
        finally:
            conn.close()

    def _send_error_xml(self, status: int, code: str, message: str) -> None:
        request_id = uuid.uuid4().hex[:16].upper()
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{message}</Message>"
            f"<RequestId>{request_id}</RequestId><HostId>fault-proxy</HostId></Error>"
        ).encode()
        self.send_response_only(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amz-request-id", request_id)
        self.send_header("Date", time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _reset(self) -> None:
        """Close with RST (SO_LINGER 0), the way a dropped connection looks."""
        self.close_connection = True
        try:
            self.wfile.flush()
        except OSError:
            pass
        sock = self.connection
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        except OSError:
            pass
