"""TLS (trusted, unknown and configured authorities, plaintext servers) and proxies
(forward, tunnelling, per scheme, NO_PROXY), all on loopback."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from tap_gong_flows.errors import (
    GongAPIError,
)

from .raw_servers import (
    RawServerFactory,
    forward_proxy,
    header,
    not_tls,
    request_line,
    tunnelling_proxy,
)
from .servers import CREDENTIAL, GONG_HOST, PROSPECTS, EngineFactory, RecordingServer, TLSServer

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
