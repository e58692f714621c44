"""KeepAliveTransport against real HTTP servers on loopback.

Well-behaved answers come from a threaded ``http.server``; misbehaviour (truncated
bodies, silent closes, TLS mismatches, proxies) from raw socket servers whose scripts
write exact bytes. Nothing in the transport is mocked.
"""

from __future__ import annotations

import gzip
import json
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import trustme
from requests.structures import CaseInsensitiveDict

from tap_gong_flows.transport import KeepAliveTransport

# Long enough never to fire on a healthy loopback answer, short enough to keep tests fast.
TIMEOUT = 2.0
SHORT_TIMEOUT = 0.2

JSON_BODY = json.dumps({"flows": [{"id": i, "name": f"flow {i}"} for i in range(40)]}).encode()


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
        self.release = threading.Event()  # lets /slow answer
        self.barrier = threading.Barrier(2, timeout=TIMEOUT)  # for /together

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def ports(self) -> list[int]:
        with self.lock:
            return [seen.client_port for seen in self.seen]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # /slow writes to a socket its client gave up on; that is expected here.
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
        with server.lock:
            server.seen.append(
                Seen(self.command, self.path, dict(self.headers), body, self.client_address[1])
            )
        url = urlsplit(self.path)
        route = url.path

        if route == "/echo":
            answer = json.dumps(
                {"method": self.command, "target": self.path, "body": body.decode("utf-8")}
            ).encode()
            self._answer(
                200,
                answer,
                [
                    ("Content-Type", "application/json; charset=utf-8"),
                    ("X-Trace", "abc-123"),
                    ("X-Dup", "one"),
                    ("X-Dup", "two"),
                    ("x-dup", "three"),
                ],
            )
        elif route == "/close":
            self._answer(200, b"bye", [("Connection", "close")])
        elif route == "/gzip":
            self._answer(200, gzip.compress(JSON_BODY), [("Content-Encoding", "gzip")])
        elif route == "/deflate":
            self._answer(200, zlib.compress(JSON_BODY), [("Content-Encoding", "deflate")])
        elif route == "/raw-deflate":
            # Some servers send deflate without the zlib header.
            raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
            body = raw.compress(JSON_BODY) + raw.flush()
            self._answer(200, body, [("Content-Encoding", "deflate")])
        elif route == "/bad-gzip":
            self._answer(200, b"\x1f\x8b this is not gzip", [("Content-Encoding", "gzip")])
        elif route == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (b'{"part": ', b"1", b"}"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        elif route == "/slow":
            server.release.wait(5)
            self._answer(200, b"late")
        elif route == "/delay":
            time.sleep(float(parse_qs(url.query)["s"][0]))
            self._answer(200, b"delayed")
        elif route == "/redirect":
            self._answer(302, b"", [("Location", "/elsewhere")])
        elif route == "/unavailable":
            self._answer(503, b'{"error": "busy"}', [("Retry-After", "3")])
        elif route == "/together":
            # Answers only once two requests wait here at the same time.
            try:
                server.barrier.wait()
            except threading.BrokenBarrierError:
                self._answer(500, b"alone")
            else:
                self._answer(200, b"together")
        else:
            self._answer(404, b"no such route")

    def _answer(
        self, status: int, body: bytes, headers: list[tuple[str, str]] | None = None
    ) -> None:
        self.send_response(status)
        for name, value in headers or []:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    running = RecordingServer()
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
def transport() -> Iterator[KeepAliveTransport]:
    sending = KeepAliveTransport(requests.Session())
    yield sending
    sending.close()


def post(
    url: str, body: bytes = b"{}", headers: dict[str, str] | None = None
) -> requests.PreparedRequest:
    return requests.Request("POST", url, data=body, headers=headers or {}).prepare()


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

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

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


def answer_once_then_close(server: RawServer, conn: socket.socket) -> None:
    """A complete keep-alive answer, then the server drops the connection unannounced,
    as servers do with idle connections."""
    request = read_request(conn)
    if request is not None:
        server.heads.append(request[0])
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


def truncated_body(server: RawServer, conn: socket.socket) -> None:
    if read_request(conn) is not None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a part")


def truncated_chunks(server: RawServer, conn: socket.socket) -> None:
    if read_request(conn) is not None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")


def close_without_answer(server: RawServer, conn: socket.socket) -> None:
    read_request(conn)


def reset_without_answer(server: RawServer, conn: socket.socket) -> None:
    read_request(conn)
    # Linger 0: close sends RST instead of FIN.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def body_until_close(server: RawServer, conn: socket.socket) -> None:
    """HTTP/1.0 style: no length, the body ends where the connection does."""
    if read_request(conn) is not None:
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end")


def not_tls(server: RawServer, conn: socket.socket) -> None:
    conn.recv(65536)  # the TLS ClientHello
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")


def proxy(server: RawServer, conn: socket.socket) -> None:
    """Records what reaches it and answers for the origin, as a forward proxy would."""
    while (request := read_request(conn)) is not None:
        head, body = request
        server.heads.append(head)
        if "/redirect " in head.split("\r\n")[0]:
            conn.sendall(
                b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/moved\r\n"
                b"Content-Length: 0\r\n\r\n"
            )
        else:
            answer = b"via proxy: " + body
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(answer), answer))


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A port bound but not listening: connecting to it is refused, and nobody else
    can take it while the test runs."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


# Requests and answers


def test_post_body_headers_and_answer_arrive_intact(
    server: RecordingServer, transport: KeepAliveTransport
) -> None:
    payload = json.dumps({"cursor": "c1", "filter": {"flowIds": ["f1", "f2"]}}).encode()
    request = post(
        server.url("/echo?cursor=abc&limit=5"),
        payload,
        {"Content-Type": "application/json", "Authorization": "Basic c2VjcmV0"},
    )

    response = transport.send(request, TIMEOUT)

    [seen] = server.seen
    assert seen.method == "POST"
    assert seen.target == "/echo?cursor=abc&limit=5"
    assert seen.body == payload
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["Authorization"] == "Basic c2VjcmV0"
    assert seen.headers["Content-Length"] == str(len(payload))
    assert seen.headers["Host"] == f"127.0.0.1:{server.server_address[1]}"

    assert isinstance(response, requests.Response)
    assert response.status_code == 200
    assert response.reason == "OK"
    assert response.ok
    assert response.json() == {
        "method": "POST",
        "target": "/echo?cursor=abc&limit=5",
        "body": payload.decode(),
    }
    assert isinstance(response.headers, CaseInsensitiveDict)
    assert response.headers["x-trace"] == "abc-123"
    assert response.url == server.url("/echo?cursor=abc&limit=5")
    assert response.request is request
    assert response.encoding == "utf-8"
    assert isinstance(response.elapsed, timedelta)
    assert timedelta(0) < response.elapsed < timedelta(seconds=TIMEOUT)


def test_url_without_path_asks_for_root(
    server: RecordingServer, transport: KeepAliveTransport
) -> None:
    response = transport.send(post(server.url("")), TIMEOUT)

    assert response.status_code == 404  # the server has no route "/", but it was asked
    assert [seen.target for seen in server.seen] == ["/"]


def test_str_body_is_sent_as_utf8(server: RecordingServer, transport: KeepAliveTransport) -> None:
    text = '{"name": "Zoë Müller"}'
    request = requests.PreparedRequest()
    request.prepare(method="POST", url=server.url("/echo"))
    request.body = text
    request.headers["Content-Length"] = str(len(text.encode("utf-8")))

    response = transport.send(request, TIMEOUT)

    assert server.seen[0].body == text.encode("utf-8")
    assert response.json()["body"] == text


def test_duplicate_response_headers_are_joined(
    server: RecordingServer, transport: KeepAliveTransport
) -> None:
    response = transport.send(post(server.url("/echo")), TIMEOUT)

    assert response.headers["X-Dup"] == "one, two, three"
    assert response.headers["x-dup"] == "one, two, three"


def test_error_status_is_returned_not_raised(
    server: RecordingServer, transport: KeepAliveTransport
) -> None:
    response = transport.send(post(server.url("/unavailable")), TIMEOUT)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "3"
    assert response.json() == {"error": "busy"}
    with pytest.raises(requests.HTTPError):
        response.raise_for_status()


def test_redirect_is_returned_not_followed(
    server: RecordingServer, transport: KeepAliveTransport
) -> None:
    response = transport.send(post(server.url("/redirect")), TIMEOUT)

    assert response.status_code == 302
    assert response.headers["Location"] == "/elsewhere"
    assert response.is_redirect
    assert response.history == []
    assert [seen.target for seen in server.seen] == ["/redirect"]


def test_chunked_answer_is_reassembled(
    server: RecordingServer, transport: KeepAliveTransport
) -> None:
    response = transport.send(post(server.url("/chunked")), TIMEOUT)
    transport.send(post(server.url("/echo")), TIMEOUT)

    assert response.json() == {"part": 1}
    assert len(set(server.ports())) == 1  # the chunked body was read to its end


def test_answer_read_until_close_without_length(
    raw_server: RawServerFactory, transport: KeepAliveTransport
) -> None:
    origin = raw_server(body_until_close)

    first = transport.send(post(origin.url("/a")), TIMEOUT)
    second = transport.send(post(origin.url("/b")), TIMEOUT)

    assert first.content == second.content == b"until the end"
    assert origin.accepted == 2


# Compression


@pytest.mark.parametrize("route", ["/gzip", "/deflate", "/raw-deflate"])
def test_compressed_answer_is_decoded(
    server: RecordingServer, transport: KeepAliveTransport, route: str
) -> None:
    response = transport.send(
        post(server.url(route), headers={"Accept-Encoding": "gzip, deflate"}), TIMEOUT
    )

    assert response.content == JSON_BODY
    assert response.json()["flows"][39] == {"id": 39, "name": "flow 39"}


def test_corrupt_gzip_raises_content_decoding_error(
    server: RecordingServer, transport: KeepAliveTransport
) -> None:
    with pytest.raises(requests.exceptions.ContentDecodingError):
        transport.send(post(server.url("/bad-gzip")), TIMEOUT)

    # The body was read in full, so the connection is still good.
    assert transport.send(post(server.url("/echo")), TIMEOUT).status_code == 200


# Connections


def test_consecutive_requests_share_one_connection(
    server: RecordingServer, transport: KeepAliveTransport
) -> None:
    for number in range(5):
        response = transport.send(post(server.url("/echo"), b"%d" % number), TIMEOUT)
        assert response.json()["body"] == str(number)

    assert len(server.ports()) == 5
    assert len(set(server.ports())) == 1


def test_server_closing_after_each_answer_costs_nothing(
    server: RecordingServer, transport: KeepAliveTransport
) -> None:
    for _ in range(3):
        response = transport.send(post(server.url("/close")), TIMEOUT)
        assert response.content == b"bye"

    assert len(set(server.ports())) == 3


def test_idle_connection_closed_by_server_is_replaced(
    raw_server: RawServerFactory, transport: KeepAliveTransport
) -> None:
    origin = raw_server(answer_once_then_close)

    assert transport.send(post(origin.url("/first")), TIMEOUT).content == b"ok"
    # The server closed the kept-alive connection without saying so in the answer.
    assert origin.closed.wait(TIMEOUT)
    time.sleep(0.05)  # the FIN reaches the client's socket

    assert transport.send(post(origin.url("/second")), TIMEOUT).content == b"ok"
    assert origin.accepted == 2
    assert [head.split("\r\n")[0] for head in origin.heads] == [
        "POST /first HTTP/1.1",
        "POST /second HTTP/1.1",
    ]


def test_each_thread_has_its_own_connection(
    server: RecordingServer, transport: KeepAliveTransport
) -> None:
    results: dict[str, list[int]] = {}
    failures: list[BaseException] = []

    def work(name: str) -> None:
        try:
            # /together answers only when both threads are in it at once.
            together = transport.send(
                post(server.url("/together"), headers={"X-Who": name}), TIMEOUT
            )
            again = transport.send(post(server.url("/echo"), headers={"X-Who": name}), TIMEOUT)
            results[name] = [together.status_code, again.status_code]
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(2 * TIMEOUT)

    assert failures == []
    assert results == {"a": [200, 200], "b": [200, 200]}
    ports = {
        name: {seen.client_port for seen in server.seen if seen.headers["X-Who"] == name}
        for name in ("a", "b")
    }
    assert len(ports["a"]) == 1  # each thread reused its connection
    assert len(ports["b"]) == 1
    assert ports["a"] != ports["b"]


def test_close_reaches_connections_of_threads_that_have_ended(
    server: RecordingServer, transport: KeepAliveTransport
) -> None:
    def ask() -> None:
        transport.send(post(server.url("/echo")), TIMEOUT)

    worker = threading.Thread(target=ask)
    worker.start()
    worker.join(TIMEOUT)
    (connection,) = transport._all
    assert connection.sock is not None  # kept alive after its thread ended
    transport.close()
    assert connection.sock is None
    ask()  # and the transport still works, on a new connection
    assert len(set(server.ports())) == 2


def test_close_then_send_opens_a_new_connection(
    server: RecordingServer, transport: KeepAliveTransport
) -> None:
    transport.send(post(server.url("/echo")), TIMEOUT)
    transport.close()
    transport.send(post(server.url("/echo")), TIMEOUT)

    assert len(set(server.ports())) == 2


# Failures


def test_read_timeout_then_next_request_works(
    server: RecordingServer, transport: KeepAliveTransport
) -> None:
    transport.send(post(server.url("/echo")), TIMEOUT)  # a connection with a long timeout

    started = time.perf_counter()
    with pytest.raises(requests.exceptions.ReadTimeout):
        transport.send(post(server.url("/slow")), SHORT_TIMEOUT)
    # The short timeout applied to the reused connection.
    assert time.perf_counter() - started < SHORT_TIMEOUT + 0.5

    response = transport.send(post(server.url("/echo"), b"after"), TIMEOUT)
    assert response.json()["body"] == "after"
    first, slow, after = server.ports()
    assert slow == first
    assert after != slow  # the timed-out connection was dropped, not reused mid-answer


def test_longer_timeout_applies_to_reused_connection(
    server: RecordingServer, transport: KeepAliveTransport
) -> None:
    transport.send(post(server.url("/echo")), 0.1)

    response = transport.send(post(server.url("/delay?s=0.3")), TIMEOUT)

    assert response.content == b"delayed"
    assert len(set(server.ports())) == 1


def test_truncated_body_raises_chunked_encoding_error(
    raw_server: RawServerFactory, transport: KeepAliveTransport
) -> None:
    origin = raw_server(truncated_body)

    with pytest.raises(requests.exceptions.ChunkedEncodingError, match="of 100"):
        transport.send(post(origin.url("/")), TIMEOUT)


def test_truncated_chunked_body_raises_chunked_encoding_error(
    raw_server: RawServerFactory, transport: KeepAliveTransport
) -> None:
    origin = raw_server(truncated_chunks)

    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        transport.send(post(origin.url("/")), TIMEOUT)


@pytest.mark.parametrize("script", [close_without_answer, reset_without_answer])
def test_connection_dropped_without_answer_raises_connection_error(
    raw_server: RawServerFactory,
    transport: KeepAliveTransport,
    script: Script,
) -> None:
    origin = raw_server(script)

    with pytest.raises(requests.exceptions.ConnectionError) as raised:
        transport.send(post(origin.url("/")), TIMEOUT)

    # Not a timeout: the retry rules treat those differently.
    assert not isinstance(raised.value, requests.exceptions.Timeout)


def test_refused_port_raises_connection_error(
    refusing_port: int, transport: KeepAliveTransport
) -> None:
    with pytest.raises(requests.exceptions.ConnectionError):
        transport.send(post(f"http://127.0.0.1:{refusing_port}/"), TIMEOUT)


@pytest.mark.skipif(sys.platform != "linux", reason="relies on Linux dropping SYNs")
def test_unanswered_connect_raises_connect_timeout(transport: KeepAliveTransport) -> None:
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
            time.sleep(0.05)

            started = time.perf_counter()
            with pytest.raises(requests.exceptions.ConnectTimeout):
                transport.send(post(f"http://127.0.0.1:{port}/"), SHORT_TIMEOUT)
            assert time.perf_counter() - started < SHORT_TIMEOUT + 0.5
        finally:
            for filler in fillers:
                filler.close()


def test_tls_failure_raises_ssl_error(
    raw_server: RawServerFactory, transport: KeepAliveTransport
) -> None:
    origin = raw_server(not_tls)

    with pytest.raises(requests.exceptions.SSLError):
        transport.send(post(f"https://127.0.0.1:{origin.port}/"), TIMEOUT)


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[RecordingServer, Path]]:
    """The recording server behind TLS, with a certificate for 127.0.0.1 from a throwaway CA;
    yields the server and the CA's bundle file."""
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    certificate.configure_cert(context)
    running = RecordingServer()
    running.socket = context.wrap_socket(running.socket, server_side=True)
    thread = threading.Thread(
        target=running.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    yield running, bundle
    running.shutdown()
    running.server_close()
    thread.join(TIMEOUT)


def test_https_with_a_trusted_certificate_keeps_one_connection(
    tls_server: tuple[RecordingServer, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    running, bundle = tls_server
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    sending = KeepAliveTransport(requests.Session())
    url = f"https://127.0.0.1:{running.server_address[1]}/echo"
    try:
        answers = [sending.send(post(url, b'{"n": 1}'), TIMEOUT) for _ in range(3)]
    finally:
        sending.close()
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0].json()["body"] == '{"n": 1}'
    assert len(set(running.ports())) == 1  # one TLS handshake for the three requests


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_https_with_a_folder_of_authorities(
    tls_server: tuple[RecordingServer, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    running, bundle = tls_server
    folder = tmp_path / "cas"
    folder.mkdir()
    # OpenSSL finds a certificate in a folder by the hash of its subject: <hash>.0
    subject_hash = subprocess.run(
        ["openssl", "x509", "-noout", "-subject_hash", "-in", str(bundle)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    shutil.copy(bundle, folder / f"{subject_hash}.0")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(folder))
    sending = KeepAliveTransport(requests.Session())
    url = f"https://127.0.0.1:{running.server_address[1]}/echo"
    try:
        answer = sending.send(post(url), TIMEOUT)
    finally:
        sending.close()
    assert answer.status_code == 200


def test_https_with_an_unknown_authority_is_refused(
    tls_server: tuple[RecordingServer, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    running, _bundle = tls_server
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    sending = KeepAliveTransport(requests.Session())  # certifi's authorities only
    url = f"https://127.0.0.1:{running.server_address[1]}/echo"
    with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        sending.send(post(url), TIMEOUT)
    assert running.ports() == []  # nothing was sent over the unverified connection


# Proxies


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> Iterator[requests.Session]:
    for name in ("NO_PROXY", "no_proxy"):  # loopback must not bypass the test's proxy
        monkeypatch.delenv(name, raising=False)
    with requests.Session() as opened:
        yield opened


def test_request_goes_through_session_proxy(
    raw_server: RawServerFactory, session: requests.Session, refusing_port: int
) -> None:
    forward = raw_server(proxy)
    session.proxies = {"http": forward.url("")}
    # The origin refuses connections: only the proxy can have answered.
    origin = f"http://127.0.0.1:{refusing_port}/v2/flows?cursor=x"

    response = KeepAliveTransport(session).send(post(origin, b'{"q": 1}'), TIMEOUT)

    assert response.status_code == 200
    assert response.content == b'via proxy: {"q": 1}'
    [head] = forward.heads
    assert head.split("\r\n")[0] == f"POST {origin} HTTP/1.1"


def test_redirect_through_proxy_is_not_followed(
    raw_server: RawServerFactory, session: requests.Session, refusing_port: int
) -> None:
    forward = raw_server(proxy)
    session.proxies = {"http": forward.url("")}

    response = KeepAliveTransport(session).send(
        post(f"http://127.0.0.1:{refusing_port}/redirect"), TIMEOUT
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "http://127.0.0.1:9/moved"
    assert len(forward.heads) == 1


def test_proxy_for_other_scheme_is_not_used(
    server: RecordingServer, raw_server: RawServerFactory, session: requests.Session
) -> None:
    forward = raw_server(proxy)
    session.proxies = {"https": forward.url("")}

    response = KeepAliveTransport(session).send(post(server.url("/echo")), TIMEOUT)

    assert response.status_code == 200
    assert forward.heads == []
    assert len(server.seen) == 1


# Suspected transport bugs: each test below shows a gap against what requests does.


def test_response_can_be_closed_and_iterated_like_a_requests_response(
    server: RecordingServer, transport: KeepAliveTransport
) -> None:
    # requests reads the body of a non-streamed answer and marks it consumed, so close(),
    # ``with response:`` and iter_content() work on the stored content.
    response = transport.send(post(server.url("/echo"), b"x"), TIMEOUT)

    assert b"".join(response.iter_content(8)) == response.content
    assert list(response.iter_lines())
    with response:
        pass
    response.close()


def test_streamed_request_body_is_sent_chunked(
    raw_server: RawServerFactory, transport: KeepAliveTransport
) -> None:
    received: list[bytes] = []

    def record_raw(server: RawServer, conn: socket.socket) -> None:
        data = b""
        conn.settimeout(SHORT_TIMEOUT)
        try:
            while not data.endswith(b"0\r\n\r\n"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
        except TimeoutError:
            pass
        received.append(data)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    origin = raw_server(record_raw)
    # requests declares Transfer-Encoding: chunked for a generator body.
    request = requests.Request("POST", origin.url("/"), data=iter([b"ab", b"cd"])).prepare()

    transport.send(request, TIMEOUT)

    head, _, body = received[0].partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    assert body == b"2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n"


def test_ca_bundle_follows_requests_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    import certifi

    from tap_gong_flows.transport import ca_bundle

    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    assert ca_bundle() == certifi.where()
    monkeypatch.setenv("CURL_CA_BUNDLE", "/etc/curl-cas.pem")
    assert ca_bundle() == "/etc/curl-cas.pem"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/company-cas.pem")
    assert ca_bundle() == "/etc/company-cas.pem"
