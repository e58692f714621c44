"""HTTP through the request engine (``requests``) against real servers on loopback.

Every test sends through :class:`RequestEngine.call` (or its fan-out), so what is
checked is what a sync gets: the answer's JSON object, or the engine's error for it
(retried or not). Well-behaved answers come from a threaded ``http.server``, over plain
HTTP or TLS with a throwaway authority from ``trustme``; misbehaviour (truncated bodies,
silent closes, resets, plaintext where TLS was expected, forward and tunnelling proxies)
comes from raw socket servers whose scripts write exact bytes. Connections and TLS
handshakes are counted on the server's side. Nothing in requests or the engine is
mocked; name lookups other than loopback's are refused, so no test can leave the
machine.
"""

from __future__ import annotations

import gzip
import itertools
import json
import logging
import select
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import trustme

from tap_gong_flows.auth import GongAuth
from tap_gong_flows.engine import EngineSettings, RequestEngine
from tap_gong_flows.errors import (
    GongAPIError,
    GongDailyLimitError,
    GongRequestFailed,
)

# Long enough never to fire on a healthy loopback answer, short enough to keep tests fast.
TIMEOUT = 2.0
SHORT_TIMEOUT = 0.2

CREDENTIAL = "dGVzdDp0ZXN0"  # base64 of "test:test"
PROSPECTS = "/v2/flows/prospects"
# A name that only a proxy can reach: the test refuses to look it up (see loopback_only).
GONG_HOST = "api.gong.test"

FLOWS = {"flows": [{"id": i, "name": f"flow {i}"} for i in range(40)]}
JSON_BODY = json.dumps(FLOWS).encode()

PROXY_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
)


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy from the machine's environment, and no name lookup beyond loopback: a
    request meant for a proxy that went direct fails here instead of leaving the host."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in ("127.0.0.1", "localhost"):
            raise socket.gaierror(socket.EAI_NONAME, f"this test looks up loopback only: {name}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


# The engine under test

EngineFactory = Callable[..., RequestEngine]


@pytest.fixture
def make_engine() -> Iterator[EngineFactory]:
    """Builds request engines (closed after the test) the way the tap does, for one api_url."""
    made: list[RequestEngine] = []

    def make(
        api_url: str,
        *,
        max_retries: int = 0,
        timeout: float = TIMEOUT,
        in_flight: int = 4,
    ) -> RequestEngine:
        settings = EngineSettings(
            api_url=api_url,
            max_requests_per_second=1000,
            max_requests_in_flight=in_flight,
            request_timeout_seconds=timeout,
            max_retries=max_retries,
            max_retry_after_seconds=300,
            max_requests_per_sync=None,
        )
        engine = RequestEngine(settings, GongAuth("Basic", CREDENTIAL))
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.close()


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


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    yield from serve(RecordingServer())


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


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[TLSServer]:
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1", "localhost", GONG_HOST)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    certificate.configure_cert(context)
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    other_bundle = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_bundle))
    yield from serve(TLSServer(context, bundle, other_bundle))


# A raw socket server, for answers http.server would never give


def read_request(conn: socket.socket) -> tuple[str, bytes] | None:
    """The head and Content-Length body of one request; None when the client closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head.decode("latin-1"), body


def request_line(head: str) -> str:
    return head.split("\r\n")[0]


def header(head: str, name: str) -> str | None:
    for line in head.split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None


class RawServer:
    """Accepts connections and runs ``script(server, connection)`` for each in a thread."""

    def __init__(self, script: Callable[[RawServer, socket.socket], None]) -> None:
        self.script = script
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)  # so the accept loop notices stop
        self.port: int = self.listener.getsockname()[1]
        self.accepted = 0
        self.heads: list[str] = []
        self.closed = threading.Event()  # set once a script ended and its connection closed
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            conn.settimeout(TIMEOUT)
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        try:
            with conn:
                self.script(self, conn)
        except OSError:
            pass
        self.closed.set()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(TIMEOUT)
        self.listener.close()


Script = Callable[[RawServer, socket.socket], None]
RawServerFactory = Callable[[Script], RawServer]


@pytest.fixture
def raw_server() -> Iterator[RawServerFactory]:
    started: list[RawServer] = []

    def start(script: Script) -> RawServer:
        running = RawServer(script)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


def json_answer(payload: Any, version: bytes = b"HTTP/1.1") -> bytes:
    body = json.dumps(payload).encode()
    return b"%s 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
        version,
        len(body),
        body,
    )


def keep_alive(server: RawServer, conn: socket.socket) -> None:
    """Answers every request on the connection until the client closes it."""
    while (request := read_request(conn)) is not None:
        server.heads.append(request[0])
        conn.sendall(json_answer({"answer": len(server.heads)}))


def answer_once_then_close(server: RawServer, conn: socket.socket) -> None:
    """A complete keep-alive answer, then the server drops the connection unannounced,
    as servers do with idle connections."""
    request = read_request(conn)
    if request is not None:
        server.heads.append(request[0])
        conn.sendall(json_answer({"answer": len(server.heads)}))


def truncated_body(server: RawServer, conn: socket.socket) -> None:
    if read_request(conn) is not None:
        conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"only": "a part')


def truncated_chunks(server: RawServer, conn: socket.socket) -> None:
    if read_request(conn) is not None:
        conn.sendall(b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n')


def close_without_answer(server: RawServer, conn: socket.socket) -> None:
    read_request(conn)


def reset_without_answer(server: RawServer, conn: socket.socket) -> None:
    read_request(conn)
    # Linger 0: close sends RST instead of FIN.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def first_connection_fails(failing: Script) -> Script:
    """``failing`` on the first connection; on later ones, a good JSON answer."""
    numbers = itertools.count(1)

    def script(server: RawServer, conn: socket.socket) -> None:
        if next(numbers) == 1:
            failing(server, conn)
        else:
            answer_once_then_close(server, conn)

    return script


def body_until_close(server: RawServer, conn: socket.socket) -> None:
    """HTTP/1.0 style: no length, the body ends where the connection does."""
    if read_request(conn) is not None:
        conn.sendall(b'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"until": "close"}')


def not_tls(server: RawServer, conn: socket.socket) -> None:
    conn.recv(65536)  # the TLS ClientHello
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")


def forward_proxy(server: RawServer, conn: socket.socket) -> None:
    """Records what reaches it and answers for the origin, as a forward proxy would."""
    while (request := read_request(conn)) is not None:
        head, body = request
        server.heads.append(head)
        if "/redirect " in request_line(head):
            conn.sendall(
                b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/moved\r\n"
                b"Content-Length: 0\r\n\r\n"
            )
        else:
            conn.sendall(json_answer({"via": "proxy", "body": body.decode()}))


def tunnelling_proxy(target_port: int) -> Script:
    """Answers CONNECT by opening a tunnel to 127.0.0.1:``target_port`` (whatever host
    was asked for) and relaying bytes both ways until either side closes."""

    def script(server: RawServer, conn: socket.socket) -> None:
        request = read_request(conn)
        if request is None:
            return
        server.heads.append(request[0])
        if not request_line(request[0]).startswith("CONNECT "):
            conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        with socket.create_connection(("127.0.0.1", target_port), timeout=TIMEOUT) as upstream:
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            relay(conn, upstream)

    return script


def relay(one: socket.socket, other: socket.socket) -> None:
    peers = {one: other, other: one}
    while True:
        readable, _, _ = select.select(list(peers), [], [], 5)
        if not readable:
            return
        for sock in readable:
            data = sock.recv(65536)
            if not data:
                return
            peers[sock].sendall(data)


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A port bound but not listening: connecting to it is refused, and nobody else
    can take it while the test runs."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


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


# Requests and answers


def test_request_and_answer_arrive_intact(
    server: RecordingServer, make_engine: EngineFactory
) -> None:
    engine = make_engine(server.api_url)
    body = {"crmProspectsIds": ["a", "b"], "filter": {"name": "Zoë Müller"}}

    posted = engine.call("POST", PROSPECTS, params={"cursor": "c1", "limit": 5}, body=body)
    got = engine.call("GET", "/echo", params={"flowId": "f 1"})

    first, second = server.seen
    assert first.method == "POST"
    assert first.target == f"{PROSPECTS}?cursor=c1&limit=5"
    assert json.loads(first.body) == body
    assert first.headers["Content-Type"] == "application/json"
    assert first.headers["Content-Length"] == str(len(first.body))
    assert first.headers["Authorization"] == f"Basic {CREDENTIAL}"
    assert first.headers["Accept"] == "application/json"
    assert first.headers["User-Agent"].startswith("tap-gong-flows/")
    assert first.headers["Host"] == f"127.0.0.1:{server.port}"
    assert posted == {
        "method": "POST",
        "target": f"{PROSPECTS}?cursor=c1&limit=5",
        "body": first.body.decode(),
    }
    assert (second.method, second.target, second.body) == ("GET", "/echo?flowId=f+1", b"")
    assert second.headers["Authorization"] == f"Basic {CREDENTIAL}"
    assert got == {"method": "GET", "target": "/echo?flowId=f+1", "body": ""}


def test_redirect_is_not_followed_and_fails_at_once(
    server: RecordingServer, make_engine: EngineFactory
) -> None:
    engine = make_engine(server.api_url, max_retries=3)

    with pytest.raises(GongAPIError, match="check api_url") as raised:
        engine.call("POST", "/redirect", body={})

    assert raised.value.status == 302
    assert "/elsewhere" in str(raised.value)
    assert server.targets() == ["/redirect"]  # neither followed nor retried
    assert engine.stats.retries == 0


@pytest.mark.parametrize(
    ("query", "error", "attempts", "words"),
    [
        ("code=500", GongRequestFailed, 2, "answered 500"),
        ("code=503", GongRequestFailed, 2, "answered 503"),
        ("code=408", GongRequestFailed, 2, "answered 408"),
        ("code=429&retry_after=0", GongRequestFailed, 2, "answered 429"),
        ("code=429&retry_after=3600", GongDailyLimitError, 1, "daily limit"),
        ("code=400", GongAPIError, 1, "answered 400"),
        ("code=401", GongAPIError, 1, "Check the credentials"),
        ("code=403", GongAPIError, 1, "Check the credentials"),
        ("code=404", GongAPIError, 1, "answered 404"),
    ],
)
def test_error_statuses_map_to_engine_errors(
    server: RecordingServer,
    make_engine: EngineFactory,
    query: str,
    error: type[Exception],
    attempts: int,
    words: str,
) -> None:
    engine = make_engine(server.api_url, max_retries=1)

    with pytest.raises(error, match=words) as raised:
        engine.call("POST", f"/status?{query}", body={}, about="batch 3")

    assert len(server.seen) == attempts
    assert engine.stats.retries == attempts - 1
    code = int(parse_qs(query)["code"][0])
    if isinstance(raised.value, GongAPIError):
        assert raised.value.status == code
    message = str(raised.value)
    assert f"Gong says: status {code}" in message
    assert "requestId r-7" in message
    assert message.endswith("[batch 3]")


def test_error_status_then_success_is_retried(
    server: RecordingServer, make_engine: EngineFactory
) -> None:
    engine = make_engine(server.api_url, max_retries=1)

    assert engine.call("POST", "/status?code=503&then=200", body={}) == {"attempt": 2}
    assert len(server.seen) == 2
    assert engine.stats.retries == 1


@pytest.mark.parametrize(
    ("route", "words"), [("/not-json", "not valid JSON"), ("/json-array", "not an object")]
)
def test_answer_that_is_not_a_json_object_is_retried(
    server: RecordingServer, make_engine: EngineFactory, route: str, words: str
) -> None:
    engine = make_engine(server.api_url, max_retries=1)

    with pytest.raises(GongRequestFailed, match=words):
        engine.call("GET", route)

    assert server.targets() == [route, route]


def test_chunked_answer_is_reassembled(server: RecordingServer, make_engine: EngineFactory) -> None:
    engine = make_engine(server.api_url)

    assert engine.call("GET", "/chunked") == {"part": 1}
    assert engine.call("GET", "/echo")["target"] == "/echo"
    assert len(set(server.ports())) == 1  # the chunked body was read to its end


def test_answer_read_until_close_without_length(
    raw_server: RawServerFactory, make_engine: EngineFactory
) -> None:
    origin = raw_server(body_until_close)
    engine = make_engine(origin.api_url)

    assert engine.call("GET", "/a") == {"until": "close"}
    assert engine.call("GET", "/b") == {"until": "close"}
    assert origin.accepted == 2


# Compression


@pytest.mark.parametrize("route", ["/gzip", "/deflate", "/raw-deflate"])
def test_compressed_answer_is_decoded(
    server: RecordingServer, make_engine: EngineFactory, route: str
) -> None:
    engine = make_engine(server.api_url)

    assert engine.call("GET", route) == FLOWS
    [seen] = server.seen
    offered = {coding.strip() for coding in seen.headers["Accept-Encoding"].split(",")}
    assert {"gzip", "deflate"} <= offered


def test_corrupt_gzip_is_a_retryable_failure(
    server: RecordingServer, make_engine: EngineFactory
) -> None:
    engine = make_engine(server.api_url, max_retries=2)

    with pytest.raises(GongRequestFailed, match=r"after 3 attempts.*ContentDecodingError"):
        engine.call("GET", "/bad-gzip")

    assert server.targets() == ["/bad-gzip"] * 3
    assert engine.stats.retries == 2


# Connections


def test_consecutive_requests_share_one_connection(
    server: RecordingServer, make_engine: EngineFactory
) -> None:
    engine = make_engine(server.api_url)

    for number in range(5):
        assert engine.call("POST", "/echo", body={"n": number})["body"] == f'{{"n": {number}}}'

    assert len(server.ports()) == 5
    assert len(set(server.ports())) == 1


def test_server_closing_after_each_answer_still_works(
    server: RecordingServer, make_engine: EngineFactory
) -> None:
    engine = make_engine(server.api_url)

    for _ in range(3):
        assert engine.call("GET", "/close") == {"closing": True}

    assert len(set(server.ports())) == 3
    assert engine.stats.retries == 0


def test_idle_connection_closed_by_server_is_replaced(
    raw_server: RawServerFactory, make_engine: EngineFactory
) -> None:
    origin = raw_server(answer_once_then_close)
    engine = make_engine(origin.api_url)  # no retries: the replacement must be transparent

    assert engine.call("GET", "/first") == {"answer": 1}
    # The server closed the kept-alive connection without saying so in the answer.
    assert origin.closed.wait(TIMEOUT)
    wait_until_pooled_connections_see_close(engine)

    assert engine.call("GET", "/second") == {"answer": 2}
    assert origin.accepted == 2
    assert [request_line(head) for head in origin.heads] == [
        "GET /first HTTP/1.1",
        "GET /second HTTP/1.1",
    ]


def test_close_closes_kept_alive_connections(
    raw_server: RawServerFactory, make_engine: EngineFactory
) -> None:
    origin = raw_server(keep_alive)
    engine = make_engine(origin.api_url)
    engine.call("GET", "/one")
    engine.call("GET", "/two")
    assert origin.accepted == 1
    assert not origin.closed.is_set()  # kept alive between requests

    engine.close()

    assert origin.closed.wait(TIMEOUT)  # the server read the client's close


def test_requests_in_flight_side_by_side_share_the_pool(
    server: RecordingServer, make_engine: EngineFactory, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(server.api_url, in_flight=4)
    # /together answers only when four requests wait in it at once.
    server.barrier = threading.Barrier(4, timeout=TIMEOUT)

    def ask(item: int) -> dict[str, Any]:
        return engine.call("GET", f"/together?item={item}")

    with caplog.at_level(logging.WARNING, logger="urllib3"):
        first = list(engine.fan_out(range(4), ask).results())
        first_ports = set(server.ports())
        second = list(engine.fan_out(range(4, 8), ask).results())

    assert first == second == [{"together": True}] * 4
    assert len(first_ports) == 4  # one connection per request in flight
    assert set(server.ports()) == first_ports  # the second round reused all four
    assert engine.stats.most_in_flight == 4
    assert engine.stats.retries == 0
    assert [record.getMessage() for record in caplog.records] == []  # e.g. "pool is full"


# Failures


@pytest.mark.parametrize(
    "script", [close_without_answer, reset_without_answer, truncated_body, truncated_chunks]
)
def test_dropped_connection_or_truncated_body_is_retried(
    raw_server: RawServerFactory, make_engine: EngineFactory, script: Script
) -> None:
    origin = raw_server(first_connection_fails(script))
    engine = make_engine(origin.api_url, max_retries=1)

    assert engine.call("GET", "/flows") == {"answer": 1}
    assert origin.accepted == 2
    assert engine.stats.retries == 1


@pytest.mark.parametrize(
    ("script", "words"),
    [
        (close_without_answer, "ConnectionError.*RemoteDisconnected"),
        (reset_without_answer, "ConnectionError.*ConnectionResetError"),
        (truncated_body, "ChunkedEncodingError.*IncompleteRead"),
        (truncated_chunks, "ChunkedEncodingError: Response ended prematurely"),
    ],
)
def test_dropped_connection_or_truncated_body_without_retries_fails_naming_it(
    raw_server: RawServerFactory, make_engine: EngineFactory, script: Script, words: str
) -> None:
    origin = raw_server(script)
    engine = make_engine(origin.api_url, max_retries=0)

    with pytest.raises(GongRequestFailed, match=f"after 1 attempts; last error: {words}") as raised:
        engine.call("GET", "/flows")

    assert isinstance(raised.value.__cause__, requests.exceptions.RequestException)
    # Not a timeout: nothing waited for an answer that was never coming.
    assert not isinstance(raised.value.__cause__, requests.exceptions.Timeout)
    assert origin.accepted == 1


def test_read_timeout_is_retried_on_a_new_connection(
    server: RecordingServer, make_engine: EngineFactory
) -> None:
    engine = make_engine(server.api_url, timeout=SHORT_TIMEOUT, max_retries=1)
    engine.call("GET", "/echo")  # a kept-alive connection

    assert engine.call("GET", "/slow-first") == {"attempt": 2}

    warm, timed_out, retried = server.ports()
    assert timed_out == warm  # the first attempt went out on the kept-alive connection
    assert retried != timed_out  # the timed-out one was dropped, not reused mid-answer
    assert engine.stats.retries == 1


def test_read_timeout_without_retries_fails_naming_it(
    server: RecordingServer, make_engine: EngineFactory
) -> None:
    engine = make_engine(server.api_url, timeout=SHORT_TIMEOUT)

    with pytest.raises(GongRequestFailed, match="after 1 attempts; last error: ReadTimeout"):
        engine.call("GET", "/slow-first")

    assert server.targets() == ["/slow-first"]


def test_refused_port_is_a_connection_failure(
    refusing_port: int, make_engine: EngineFactory
) -> None:
    engine = make_engine(f"http://127.0.0.1:{refusing_port}", max_retries=2)

    with pytest.raises(GongRequestFailed, match="after 3 attempts; last error: ConnectionError"):
        engine.call("GET", "/flows")

    assert engine.stats.requests == 3
    assert engine.stats.retries == 2


@pytest.mark.skipif(sys.platform != "linux", reason="relies on Linux dropping SYNs")
def test_unanswered_connect_is_a_connect_timeout(make_engine: EngineFactory) -> None:
    # A listener whose accept queue is full: Linux drops further SYNs, so connect hangs.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(3)]
        try:
            for filler in fillers:
                filler.setblocking(False)
                filler.connect_ex(("127.0.0.1", port))
            # Once the first filler is connected the queue is full.
            select.select([], fillers[:1], [], TIMEOUT)
            engine = make_engine(f"http://127.0.0.1:{port}", timeout=SHORT_TIMEOUT)

            with pytest.raises(GongRequestFailed, match="last error: ConnectTimeout"):
                engine.call("GET", "/flows")
        finally:
            for filler in fillers:
                filler.close()


# TLS


def test_plaintext_server_is_a_fatal_tls_failure(
    raw_server: RawServerFactory, make_engine: EngineFactory
) -> None:
    origin = raw_server(not_tls)
    engine = make_engine(f"https://127.0.0.1:{origin.port}", max_retries=3)

    with pytest.raises(requests.exceptions.SSLError):
        engine.call("GET", "/flows")

    assert origin.accepted == 1  # raised at once, not retried
    assert engine.stats.retries == 0


def test_https_with_a_trusted_certificate_keeps_one_connection(
    tls_server: TLSServer, make_engine: EngineFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_server.bundle))
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    engine = make_engine(tls_server.api_url)

    answers = [engine.call("POST", PROSPECTS, body={"n": n}) for n in range(3)]

    assert [answer["body"] for answer in answers] == ['{"n": 0}', '{"n": 1}', '{"n": 2}']
    assert (tls_server.connections, tls_server.handshakes) == (1, 1)
    assert len(set(tls_server.ports())) == 1


@pytest.mark.parametrize(
    ("requests_bundle", "curl_bundle", "trusted"),
    [
        ("ours", None, True),
        (None, "ours", True),
        ("ours", "other", True),  # REQUESTS_CA_BUNDLE comes first
        ("other", "ours", False),
    ],
)
def test_ca_bundle_variables_are_honoured(
    tls_server: TLSServer,
    make_engine: EngineFactory,
    monkeypatch: pytest.MonkeyPatch,
    requests_bundle: str | None,
    curl_bundle: str | None,
    trusted: bool,
) -> None:
    bundles = {"ours": tls_server.bundle, "other": tls_server.other_bundle}
    for variable, which in (
        ("REQUESTS_CA_BUNDLE", requests_bundle),
        ("CURL_CA_BUNDLE", curl_bundle),
    ):
        if which is None:
            monkeypatch.delenv(variable, raising=False)
        else:
            monkeypatch.setenv(variable, str(bundles[which]))
    engine = make_engine(tls_server.api_url, max_retries=2)

    if trusted:
        assert engine.call("GET", "/echo")["target"] == "/echo"
        assert tls_server.handshakes == 1
    else:
        with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
            engine.call("GET", "/echo")
        tls_server.wait_for_failed_handshakes(1)
        assert (tls_server.connections, tls_server.handshakes) == (1, 0)
        assert tls_server.seen == []


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_https_with_a_folder_of_authorities(
    tls_server: TLSServer,
    make_engine: EngineFactory,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    folder = tmp_path / "cas"
    folder.mkdir()
    # OpenSSL finds a certificate in a folder by the hash of its subject: <hash>.0 (.1 ...).
    # Both authorities go in; only one of them issued the server's certificate.
    for bundle in (tls_server.other_bundle, tls_server.bundle):
        subject_hash = subprocess.run(
            ["openssl", "x509", "-noout", "-subject_hash", "-in", str(bundle)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        taken = len(list(folder.glob(f"{subject_hash}.*")))
        shutil.copy(bundle, folder / f"{subject_hash}.{taken}")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(folder))
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    engine = make_engine(tls_server.api_url)

    assert engine.call("GET", "/echo")["target"] == "/echo"
    assert tls_server.handshakes == 1


def test_https_with_an_unknown_authority_is_refused_at_once(
    tls_server: TLSServer, make_engine: EngineFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    engine = make_engine(tls_server.api_url, max_retries=3)  # certifi's authorities only

    with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        engine.call("POST", PROSPECTS, body={"crmProspectsIds": ["a"]})

    tls_server.wait_for_failed_handshakes(1)
    assert (tls_server.connections, tls_server.handshakes) == (1, 0)  # not retried
    assert tls_server.seen == []  # nothing was sent over the unverified connection
    assert (engine.stats.requests, engine.stats.retries) == (1, 0)


# Proxies


@pytest.mark.parametrize("given", ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "session"])
def test_request_goes_through_the_http_proxy(
    raw_server: RawServerFactory,
    make_engine: EngineFactory,
    monkeypatch: pytest.MonkeyPatch,
    given: str,
) -> None:
    forward = raw_server(forward_proxy)
    proxy_url = f"http://user:secret@127.0.0.1:{forward.port}"
    # Only the proxy can answer: the test refuses to look up GONG_HOST.
    engine = make_engine(f"http://{GONG_HOST}")
    if given == "session":
        engine.session.proxies = {"http": proxy_url}
    else:
        monkeypatch.setenv(given, proxy_url)

    payload = engine.call("POST", PROSPECTS, params={"cursor": "x"}, body={"q": 1})

    assert payload == {"via": "proxy", "body": '{"q": 1}'}
    [head] = forward.heads
    assert request_line(head) == f"POST http://{GONG_HOST}{PROSPECTS}?cursor=x HTTP/1.1"
    assert header(head, "Host") == GONG_HOST
    assert header(head, "Proxy-Authorization") == "Basic dXNlcjpzZWNyZXQ="  # user:secret
    assert header(head, "Authorization") == f"Basic {CREDENTIAL}"


def test_https_goes_through_a_tunnel_from_https_proxy(
    tls_server: TLSServer,
    raw_server: RawServerFactory,
    make_engine: EngineFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tunnel = raw_server(tunnelling_proxy(tls_server.port))
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{tunnel.port}")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_server.bundle))
    engine = make_engine(f"https://{GONG_HOST}")

    answers = [engine.call("POST", PROSPECTS, body={"n": n}) for n in range(3)]

    assert [answer["body"] for answer in answers] == ['{"n": 0}', '{"n": 1}', '{"n": 2}']
    [head] = tunnel.heads  # one tunnel, kept for the three requests
    assert request_line(head).startswith(f"CONNECT {GONG_HOST}:443 HTTP/1.")
    assert (tls_server.connections, tls_server.handshakes) == (1, 1)
    assert tls_server.targets() == [PROSPECTS] * 3
    assert tls_server.seen[0].headers["Host"] == GONG_HOST  # inside the tunnel, for Gong
    assert tls_server.seen[0].headers["Authorization"] == f"Basic {CREDENTIAL}"


def test_redirect_through_proxy_is_not_followed(
    raw_server: RawServerFactory, make_engine: EngineFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    forward = raw_server(forward_proxy)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{forward.port}")
    engine = make_engine(f"http://{GONG_HOST}", max_retries=2)

    with pytest.raises(GongAPIError, match="check api_url") as raised:
        engine.call("POST", "/redirect", body={})

    assert raised.value.status == 302
    assert "http://127.0.0.1:9/moved" in str(raised.value)
    assert len(forward.heads) == 1


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "HTTP_PROXY"])
def test_proxy_for_the_other_scheme_is_not_used(
    server: RecordingServer,
    tls_server: TLSServer,
    raw_server: RawServerFactory,
    make_engine: EngineFactory,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    forward = raw_server(forward_proxy)
    monkeypatch.setenv(variable, f"http://127.0.0.1:{forward.port}")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_server.bundle))
    # An https proxy for an http api_url, or the other way round.
    origin: RecordingServer = server if variable == "HTTPS_PROXY" else tls_server
    engine = make_engine(origin.api_url)

    assert engine.call("GET", "/echo")["target"] == "/echo"

    assert origin.targets() == ["/echo"]  # went straight to the origin
    assert forward.accepted == 0


def test_no_proxy_sends_its_hosts_direct(
    server: RecordingServer,
    raw_server: RawServerFactory,
    make_engine: EngineFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    forward = raw_server(forward_proxy)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{forward.port}")
    engine = make_engine(server.api_url)

    # Loopback is not special: without NO_PROXY it goes through the proxy too.
    assert engine.call("GET", "/echo") == {"via": "proxy", "body": ""}
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # read again for every request
    assert engine.call("GET", "/echo")["target"] == "/echo"

    assert [request_line(head) for head in forward.heads] == [
        f"GET http://127.0.0.1:{server.port}/echo HTTP/1.1"
    ]
    assert server.targets() == ["/echo"]
