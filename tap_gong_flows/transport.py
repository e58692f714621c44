"""Sending one prepared request to Gong and reading the whole answer.

``requests`` spends about three times the CPU of the request itself on each call
(merging session settings, cookie jars, adapters, urllib3's pool). A sync sends
thousands of small POSTs, so the tap talks HTTP/1.1 through the standard library's
``http.client`` instead: one kept-alive connection per thread, the body read in full,
and the answer handed back as a ``requests.Response``, so everything above this layer
(the SDK, retries, ``validate_response``) is unchanged. Failures are raised as the
``requests`` exceptions they would have been, which the retry rules know.

When a proxy applies to the API URL, the request goes through ``requests`` as before:
proxies are rare for this tap and ``requests`` already handles them well.
"""

from __future__ import annotations

import atexit
import http.client
import os
import select
import socket
import ssl
import threading
import time
import weakref
import zlib
from datetime import timedelta
from functools import cached_property
from urllib.parse import urlsplit

import certifi
import requests
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers


class KeepAliveTransport:
    """One kept-alive HTTP/1.1 connection per thread and host; see the module doc."""

    def __init__(self, session: requests.Session) -> None:
        # The session carries the proxies read from the environment, and serves the
        # requests that must go through one.
        self._session = session
        self._local = threading.local()
        # Every connection made, whichever thread uses it, so that close() reaches those
        # of worker threads that have ended too.
        self._all: list[http.client.HTTPConnection] = []
        self._all_lock = threading.Lock()
        atexit.register(_close_if_alive, weakref.ref(self))

    def send(self, request: requests.PreparedRequest, timeout: float) -> requests.Response:
        url = urlsplit(str(request.url))
        if url.scheme in self._session.proxies or "all" in self._session.proxies:
            return self._session.send(request, timeout=timeout, allow_redirects=False)
        target = url.path or "/"
        if url.query:
            target += "?" + url.query
        started = time.perf_counter()
        connection = self._connection(url.scheme, url.hostname or "", url.port, timeout)
        try:
            status, reason, headers, body = _exchange(connection, request, target)
        except BaseException:
            connection.close()  # half a conversation: the next request starts afresh
            raise
        return _response(request, status, reason, headers, body, time.perf_counter() - started)

    def close(self) -> None:
        """Close every connection, of every thread. Call it when no request is in flight;
        a later request opens a new connection."""
        with self._all_lock:
            connections, self._all = self._all, []
        for connection in connections:
            connection.close()

    # Connections

    def _connections(self) -> dict[tuple[str, str, int | None], http.client.HTTPConnection]:
        connections: dict[tuple[str, str, int | None], http.client.HTTPConnection] | None
        connections = getattr(self._local, "connections", None)
        if connections is None:
            connections = self._local.connections = {}
        return connections

    def _connection(
        self, scheme: str, host: str, port: int | None, timeout: float
    ) -> http.client.HTTPConnection:
        """The thread's connection to the host, connected."""
        key = (scheme, host, port)
        connections = self._connections()
        connection = connections.get(key)
        if connection is not None and connection.sock is not None:
            if _closed_by_peer(connection.sock):
                connection.close()
            else:
                connection.timeout = timeout
                connection.sock.settimeout(timeout)
                return connection
        if connection is None:
            if scheme == "https":
                connection = http.client.HTTPSConnection(
                    host, port, timeout=timeout, context=self._tls_context
                )
            else:
                connection = http.client.HTTPConnection(host, port, timeout=timeout)
            connections[key] = connection
        if connection not in self._all:
            with self._all_lock:
                self._all.append(connection)
        connection.timeout = timeout
        try:
            connection.connect()
        except TimeoutError as exc:
            connection.close()
            raise requests.exceptions.ConnectTimeout(
                f"Connecting to {host} timed out after {timeout:g} s"
            ) from exc
        except ssl.SSLError as exc:
            connection.close()
            raise requests.exceptions.SSLError(f"TLS with {host} failed: {exc}") from exc
        except OSError as exc:
            connection.close()
            raise requests.exceptions.ConnectionError(
                f"Cannot connect to {host}: {exc.strerror or exc}"
            ) from exc
        return connection

    @cached_property
    def _tls_context(self) -> ssl.SSLContext:
        bundle = ca_bundle()
        if os.path.isdir(bundle):  # a folder of hashed certificates, as requests allows
            return ssl.create_default_context(capath=bundle)
        return ssl.create_default_context(cafile=bundle)


def ca_bundle() -> str:
    """The certificate authorities to trust: the file ``REQUESTS_CA_BUNDLE`` (or
    ``CURL_CA_BUNDLE``) names, as for any requests-based tool, else certifi's."""
    return (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or certifi.where()
    )


def _close_if_alive(transport: weakref.ref[KeepAliveTransport]) -> None:
    alive = transport()
    if alive is not None:
        alive.close()


def _closed_by_peer(sock: socket.socket) -> bool:
    """True when an idle connection has become readable: the server closed it (or sent
    something nobody asked for), so it cannot carry another request."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _exchange(
    connection: http.client.HTTPConnection, request: requests.PreparedRequest, target: str
) -> tuple[int, str, list[tuple[str, str]], bytes]:
    body = request.body
    if isinstance(body, str):
        body = body.encode("utf-8")
    try:
        connection.request(
            str(request.method),
            target,
            body=body,
            headers=dict(request.headers),
            # requests marks a body of unknown length (a generator) this way.
            encode_chunked="chunked" in request.headers.get("Transfer-Encoding", "").lower(),
        )
        answer = connection.getresponse()
        content = answer.read()
    except TimeoutError as exc:
        raise requests.exceptions.ReadTimeout(
            f"No answer within {connection.timeout:g} s", request=request
        ) from exc
    except http.client.IncompleteRead as exc:
        raise requests.exceptions.ChunkedEncodingError(
            f"Connection broken: the answer ended after {len(exc.partial)} bytes"
            + (f" of {exc.expected + len(exc.partial)}" if exc.expected else ""),
            request=request,
        ) from exc
    except (http.client.HTTPException, OSError) as exc:
        raise requests.exceptions.ConnectionError(
            f"Connection broken: {type(exc).__name__}: {exc}", request=request
        ) from exc
    if answer.will_close:
        connection.close()
    headers = answer.getheaders()
    return answer.status, answer.reason, headers, content


def _decoded(body: bytes, encoding: str | None, request: requests.PreparedRequest) -> bytes:
    if not encoding or not body:
        return body
    encoding = encoding.strip().lower()
    try:
        if encoding in ("gzip", "x-gzip"):
            return zlib.decompress(body, 16 + zlib.MAX_WBITS)
        if encoding == "deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:
                return zlib.decompress(body, -zlib.MAX_WBITS)  # raw deflate, no zlib header
    except zlib.error as exc:
        raise requests.exceptions.ContentDecodingError(
            f"The {encoding} answer cannot be decompressed: {exc}", request=request
        ) from exc
    return body


def _response(
    request: requests.PreparedRequest,
    status: int,
    reason: str,
    header_pairs: list[tuple[str, str]],
    body: bytes,
    seconds: float,
) -> requests.Response:
    headers: CaseInsensitiveDict[str] = CaseInsensitiveDict()
    for name, value in header_pairs:
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    response = requests.Response()
    response.status_code = status
    response.reason = reason
    response.headers = headers
    response._content = _decoded(body, headers.get("Content-Encoding"), request)
    response._content_consumed = True  # type: ignore[attr-defined]  # read in full: nothing left to stream or release
    response.url = str(request.url)
    response.request = request
    response.encoding = get_encoding_from_headers(headers)
    response.elapsed = timedelta(seconds=seconds)
    return response
