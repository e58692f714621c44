"""A raw socket server and the scripts it plays, for answers ``http.server`` would never
give: truncated bodies, silent closes, resets, plaintext where TLS was expected, proxies."""

from __future__ import annotations

import itertools
import json
import select
import socket
import struct
import threading
from collections.abc import Callable
from typing import Any

from .servers import TIMEOUT

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
