"""The servers the transport tests talk to: a well-behaved threaded HTTP/1.1 server that
records what it saw, the same behind TLS with a throwaway authority, and the engine factory's
type."""

from __future__ import annotations

import gzip
import json
import select
import ssl
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import parse_qs, urlsplit

from tap_gong_flows.engine import RequestEngine

# Long enough never to fire on a healthy loopback answer, short enough to keep tests fast.
TIMEOUT = 2.0
SHORT_TIMEOUT = 0.2

CREDENTIAL = "dGVzdDp0ZXN0"  # base64 of "test:test"
PROSPECTS = "/v2/flows/prospects"
# A name that only a proxy can reach: the test refuses to look it up (see loopback_only).
GONG_HOST = "api.gong.test"

FLOWS = {"flows": [{"id": i, "name": f"flow {i}"} for i in range(40)]}
JSON_BODY = json.dumps(FLOWS).encode()


# The engine under test

EngineFactory = Callable[..., RequestEngine]


# A well-behaved HTTP/1.1 server


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    client_port: int


class RecordingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.release = threading.Event()  # lets a held /slow-first answer
        self.barrier = threading.Barrier(2, timeout=TIMEOUT)  # for /together
        self.asked: dict[str, int] = {}  # how often each route was asked

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ports(self) -> list[int]:
        with self.lock:
            return [seen.client_port for seen in self.seen]

    def targets(self) -> list[str]:
        with self.lock:
            return [seen.target for seen in self.seen]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A held answer goes to a socket its client gave up on; that is expected here.
        pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless an answer says otherwise
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    timeout = 5  # a handler thread waiting on an idle connection ends eventually

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        server = cast(RecordingServer, self.server)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        route = url.path
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        with server.lock:
            server.seen.append(
                Seen(self.command, self.path, dict(self.headers), body, self.client_address[1])
            )
            asked = server.asked[route] = server.asked.get(route, 0) + 1

        if route == "/echo" or route == PROSPECTS:
            echoed = {"method": self.command, "target": self.path, "body": body.decode()}
            self._json(200, echoed)
        elif route == "/close":
            self._json(200, {"closing": True}, [("Connection", "close")])
        elif route == "/gzip":
            self._answer(200, gzip.compress(JSON_BODY), [("Content-Encoding", "gzip")])
        elif route == "/deflate":
            self._answer(200, zlib.compress(JSON_BODY), [("Content-Encoding", "deflate")])
        elif route == "/raw-deflate":
            # Some servers send deflate without the zlib header.
            raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
            compressed = raw.compress(JSON_BODY) + raw.flush()
            self._answer(200, compressed, [("Content-Encoding", "deflate")])
        elif route == "/bad-gzip":
            self._answer(200, b"\x1f\x8b this is not gzip", [("Content-Encoding", "gzip")])
        elif route == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (b'{"part": ', b"1", b"}"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        elif route == "/slow-first":
            # The first request is held past any short timeout; later ones answer at once.
            if asked == 1:
                server.release.wait(5)
            self._json(200, {"attempt": asked})
        elif route == "/redirect":
            self._answer(302, b"", [("Location", "/elsewhere")])
        elif route == "/status":
            # ?code=N&retry_after=S&then=M: answers N (with Gong's error body), then M.
            code = int(query["then"] if asked > 1 and "then" in query else query["code"])
            headers = [("Retry-After", query["retry_after"])] if "retry_after" in query else []
            if code == 200:
                self._json(200, {"attempt": asked})
            else:
                self._json(code, {"errors": [f"status {code}"], "requestId": "r-7"}, headers)
        elif route == "/not-json":
            self._answer(200, b"<html>maintenance</html>", [("Content-Type", "text/html")])
        elif route == "/json-array":
            self._json(200, [1, 2, 3])
        elif route == "/together":
            # Answers only once every party of the barrier waits here at the same time.
            try:
                server.barrier.wait()
            except threading.BrokenBarrierError:
                self._json(500, {"errors": ["alone"]})
            else:
                self._json(200, {"together": True})
        else:
            self._json(404, {"errors": ["no such route"]})

    def _json(
        self, status: int, payload: Any, headers: list[tuple[str, str]] | None = None
    ) -> None:
        content = [("Content-Type", "application/json; charset=utf-8"), *(headers or [])]
        self._answer(status, json.dumps(payload).encode(), content)

    def _answer(
        self, status: int, body: bytes, headers: list[tuple[str, str]] | None = None
    ) -> None:
        self.send_response(status)
        for name, value in headers or []:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


ServerT = TypeVar("ServerT", bound=RecordingServer)


def serve(running: ServerT) -> Iterator[ServerT]:
    """Runs ``running`` on a thread for the duration of a fixture."""
    thread = threading.Thread(
        target=running.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield running
    running.release.set()
    running.shutdown()
    running.server_close()
    thread.join(TIMEOUT)


# The same server behind TLS, with a throwaway certificate authority


class TLSServer(RecordingServer):
    """Counts TCP connections and TLS handshakes (the listening socket stays plain; each
    accepted connection is wrapped here, so a failed handshake is seen too)."""

    def __init__(self, context: ssl.SSLContext, bundle: Path, other_bundle: Path) -> None:
        super().__init__()
        self.context = context
        self.bundle = bundle  # the authority that issued the server's certificate
        self.other_bundle = other_bundle  # an authority that did not
        self.connections = 0
        self.handshakes = 0
        self.failed_handshakes = 0
        self.changed = threading.Condition(self.lock)

    @property
    def api_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def get_request(self) -> tuple[Any, Any]:
        sock, address = self.socket.accept()
        with self.changed:
            self.connections += 1
        sock.settimeout(TIMEOUT)
        try:
            wrapped = self.context.wrap_socket(sock, server_side=True)
        except OSError:
            sock.close()
            with self.changed:
                self.failed_handshakes += 1
                self.changed.notify_all()
            raise
        with self.changed:
            self.handshakes += 1
            self.changed.notify_all()
        return wrapped, address

    def wait_for_failed_handshakes(self, count: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: self.failed_handshakes >= count, TIMEOUT)


def wait_until_pooled_connections_see_close(engine: RequestEngine) -> None:
    """Block until every idle pooled connection of the engine's session has the server's
    FIN to read, so that urllib3's check before reuse sees it dropped. On loopback the FIN
    is there at once; this only rules out a race. It reads urllib3's pool, asserts nothing
    about it, and does nothing if that layout ever changes."""
    adapter = engine.session.get_adapter("http://")
    pools = getattr(getattr(adapter, "poolmanager", None), "pools", None)
    if pools is None:
        return
    for key in list(pools.keys()):  # the container refuses plain iteration
        queue = getattr(getattr(pools.get(key), "pool", None), "queue", None) or []
        for connection in list(queue):
            sock = getattr(connection, "sock", None)
            if sock is not None:
                select.select([sock], [], [], TIMEOUT)
