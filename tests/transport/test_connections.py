"""Connections kept alive, replaced and closed, and the failures of a connection: drops,
truncated bodies, timeouts, refused ports."""

from __future__ import annotations

import logging
import select
import socket
import sys
import threading
from typing import Any

import pytest
import requests

from tap_gong_flows.errors import (
    GongRequestFailed,
)

from .raw_servers import (
    RawServerFactory,
    Script,
    answer_once_then_close,
    close_without_answer,
    first_connection_fails,
    keep_alive,
    request_line,
    reset_without_answer,
    truncated_body,
    truncated_chunks,
)
from .servers import (
    SHORT_TIMEOUT,
    TIMEOUT,
    EngineFactory,
    RecordingServer,
    wait_until_pooled_connections_see_close,
)

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
    # Normal answers must fit the timeout on a loaded machine too, so it is not short; the
    # slow one is held past it for certain.
    engine = make_engine(server.api_url, timeout=TIMEOUT, max_retries=1)
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
