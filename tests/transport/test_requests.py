"""Requests and answers through the request engine: bodies intact, redirects not followed,
error statuses mapped, chunked, read-until-close and compressed answers."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest

from tap_gong_flows.errors import (
    GongAPIError,
    GongDailyLimitError,
    GongRequestFailed,
)

from .raw_servers import RawServerFactory, body_until_close
from .servers import CREDENTIAL, FLOWS, PROSPECTS, EngineFactory, RecordingServer

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
