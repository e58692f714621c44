"""Fixtures of the transport tests: loopback only, engines built the way the tap builds
them, and the servers of servers.py and raw_servers.py."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from tap_gong_flows.auth import GongAuth
from tap_gong_flows.engine import EngineSettings, RequestEngine

from .raw_servers import RawServer, RawServerFactory, Script
from .servers import (
    CREDENTIAL,
    GONG_HOST,
    TIMEOUT,
    EngineFactory,
    RecordingServer,
    TLSServer,
    serve,
)

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


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    yield from serve(RecordingServer())


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


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A port bound but not listening: connecting to it is refused, and nobody else
    can take it while the test runs."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]
