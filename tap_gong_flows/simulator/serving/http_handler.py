"""HTTP/1.1 plumbing: reads requests off the socket and writes replies back.

What to answer is decided elsewhere (:class:`Responder`); this module only deals with
framing, keep-alive and connection bookkeeping.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any, Protocol

from tap_gong_flows.simulator.serving.replies import Reply, error_reply

MAX_BODY_BYTES = 64 * 1024 * 1024
_IDLE_CONNECTION_TIMEOUT_SECONDS = 60


class Responder(Protocol):
    """Decides the answer to one request (and records it) before it is sent."""

    verbose: bool

    def now(self) -> float:
        """The reading of the responder's clock that stamps a request's arrival."""
        ...

    def respond(
        self,
        method: str,
        target: str,
        authorization: str | None,
        body: bytes | None,
        arrived: float,
    ) -> Reply: ...


class SimulatorHTTPServer(ThreadingHTTPServer):
    """Threaded HTTP server that can also sever its open keep-alive connections."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, host: str, port: int, responder: Responder) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.responder = responder
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__((host, port), _RequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, which can stall on machines
        # without working reverse DNS; the name is never used here.
        TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Cut every open connection so idle keep-alive clients cannot linger."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if self.responder.verbose:
            super().handle_error(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GongApiSimulator/1.0"
    timeout = _IDLE_CONNECTION_TIMEOUT_SECONDS
    # Error answers from http.server itself leave head and body in separate writes;
    # without TCP_NODELAY, Nagle's algorithm meeting the client's delayed ACK would
    # stall them by about 40 ms.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_OPTIONS(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle(head_only=True)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        if self._responder.verbose:
            super().log_message(format, *args)

    @property
    def _responder(self) -> Responder:
        server = self.server
        assert isinstance(server, SimulatorHTTPServer)
        return server.responder

    def _handle(self, head_only: bool = False) -> None:
        arrived = self._responder.now()
        try:
            body = self._read_body()
            try:
                reply = self._responder.respond(
                    self.command, self.path, self.headers.get("Authorization"), body, arrived
                )
            except Exception:
                traceback.print_exc(file=sys.stderr)
                reply = error_reply(500, "The simulator failed to handle this request")
            self._send(reply, head_only)
            if body is None:
                # The body's framing was unusable, so the stream cannot be trusted further.
                self.close_connection = True
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _send(self, reply: Reply, head_only: bool) -> None:
        if reply.status is None:
            self.close_connection = True
            return
        self.send_response(reply.status)
        if reply.content_type is not None:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        # end_headers() writes the head at once; here the body joins it, so an answer
        # leaves in one system call instead of two.
        # (_headers_buffer is http.server's list of the head's lines, there since 3.3.)
        head: list[bytes] = self._headers_buffer  # type: ignore[attr-defined]
        head.append(b"\r\n")
        if not head_only:
            cutoff = len(reply.body) if reply.body_cutoff is None else reply.body_cutoff
            head.append(reply.body[:cutoff])
        self.flush_headers()
        if reply.body_cutoff is not None and not head_only:
            self.wfile.flush()
            self.close_connection = True

    def _read_body(self) -> bytes | None:
        """The request body; ``None`` when its framing is broken or it is too large."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked_body()
        declared = self.headers.get("Content-Length")
        if declared is None:
            return b""
        try:
            length = int(declared)
        except ValueError:
            return None
        if not 0 <= length <= MAX_BODY_BYTES:
            return None
        body = self.rfile.read(length)
        return body if len(body) == length else None

    def _read_chunked_body(self) -> bytes | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024)
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                return None
            if size == 0:
                break
            total += size
            if total > MAX_BODY_BYTES:
                return None
            chunk = self.rfile.read(size)
            if len(chunk) != size or self.rfile.readline(1024).strip():
                return None
            chunks.append(chunk)
        while self.rfile.readline(1024).strip():
            pass  # trailer fields carry nothing the simulator needs
        return b"".join(chunks)
