"""The Gong API simulator: a local server answering like Gong's Engage flows, users and tasks
endpoints (see :mod:`tap_gong_flows.simulator.serving.routes` for the list)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tap_gong_flows.simulator.faults.plan import Fault, FaultPlan
from tap_gong_flows.simulator.faults.replies import fault_reply
from tap_gong_flows.simulator.model.dataset import GongDataset
from tap_gong_flows.simulator.serving.credentials import AuthResult, Credentials
from tap_gong_flows.simulator.serving.http_handler import SimulatorHTTPServer
from tap_gong_flows.simulator.serving.latency import AnswerDelay
from tap_gong_flows.simulator.serving.oauth import TOKEN_PATH, OAuthIssuer
from tap_gong_flows.simulator.serving.paging import (
    DEFAULT_CURSOR_TTL_SECONDS,
    DEFAULT_PAGE_SIZE,
    CursorBook,
)
from tap_gong_flows.simulator.serving.rate_limits import RequestLimiter
from tap_gong_flows.simulator.serving.replies import Answer, Reply, error_reply, json_reply
from tap_gong_flows.simulator.serving.request_parsing import (
    ApiError,
    ApiRequest,
    decode_json,
    loggable,
)
from tap_gong_flows.simulator.serving.routes import (
    PROSPECTS_PATH,
    REQUIRED_SCOPES,
    Route,
    build_routes,
)
from tap_gong_flows.simulator.serving.scopes import ScopeGrant


@dataclass(frozen=True)
class RequestLogEntry:
    """One request as the simulator saw and answered it.

    ``arrived`` is a reading of the simulator's clock (``time.monotonic()`` unless
    given); ``status`` is None when the
    connection was closed without an answer; ``body`` is the parsed JSON body (None if
    absent or not JSON); ``auth_scheme`` is the lowercase scheme the client used;
    ``fault`` names the injected fault kind, if any; ``answered`` is the
    clock's reading when the answer was ready to send (after any latency).
    """

    arrived: float
    method: str
    path: str
    status: int | None
    body: Any
    auth_scheme: str | None
    fault: str | None = None
    answered: float = 0.0


class GongSimulator:
    """Serves a :class:`GongDataset` over HTTP on a background thread.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. All endpoints
    share the credentials, the quotas, the fault plan and the request log.
    ``page_size`` is the number of items per page of the cursor-paged endpoints (users,
    flows, folders); ``cursor_ttl_seconds`` is how long their cursors stay valid.
    ``max_ids_per_request`` caps the IDs of a prospects request (the steps endpoint has
    its own fixed cap of 20 flow IDs). ``latency`` delays every answer like a network
    and a busy server would (none by default).

    ``scopes`` are the OAuth scopes the credentials hold (the access key pair and the
    bearer token alike); ``None``, the default, grants every scope. A request to an
    endpoint whose scope (see :data:`.routes.REQUIRED_SCOPES`) is not granted answers
    403 ``Insufficient scope: <scope>``, after the credentials were found valid and
    before the quotas count it. Change the grant while running with the :attr:`scopes`
    property, :meth:`grant` or :meth:`revoke`.

    ``clock`` stamps arrivals and answers (and so the per-second quota's window) and
    ``sleep`` carries out slow faults and latency; tests pass their own to control time.

    ``oauth`` is the app side of Gong's OAuth (:mod:`.oauth`): its token endpoint at
    ``/oauth2/generate-customer-token`` rotates single-use refresh tokens, and the access
    tokens it issues are accepted as Bearer tokens until they expire.
    """

    def __init__(
        self,
        dataset: GongDataset,
        *,
        access_key: str = "sim-access-key",
        access_key_secret: str = "sim-access-key-secret",
        access_token: str = "sim-access-token",
        rate_limit_per_second: float | None = 3.0,
        daily_limit: int | None = 10000,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultPlan | None = None,
        max_ids_per_request: int | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        cursor_ttl_seconds: float | None = DEFAULT_CURSOR_TTL_SECONDS,
        verbose: bool = False,
        latency: AnswerDelay | None = None,
        scopes: Iterable[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        oauth: OAuthIssuer | None = None,
    ) -> None:
        if max_ids_per_request is not None and max_ids_per_request < 1:
            raise ValueError(f"max_ids_per_request must be at least 1: {max_ids_per_request}")
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1: {page_size}")
        self.dataset = dataset
        self.page_size = page_size
        self.credentials = Credentials(access_key, access_key_secret, access_token)
        self.oauth = oauth if oauth is not None else OAuthIssuer()
        self._grant = ScopeGrant(scopes)
        self.faults = faults if faults is not None else FaultPlan()
        self.max_ids_per_request = max_ids_per_request
        self.verbose = verbose
        self.latency = latency
        self._clock = clock
        self._sleep = sleep
        self._limiter = RequestLimiter(rate_limit_per_second, daily_limit)
        self._routes = build_routes(
            dataset,
            page_size=page_size,
            cursors=CursorBook(cursor_ttl_seconds),
            max_ids_per_request=max_ids_per_request,
        )
        self._host = host
        self._requested_port = port
        self._httpd: SimulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._log: list[RequestLogEntry] = []
        self._log_lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> GongSimulator:
        """Bind the port and start serving; returns self."""
        if self._httpd is not None:
            raise RuntimeError("the simulator is already running")
        httpd = SimulatorHTTPServer(self._host, self._requested_port, self)
        thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"gong-simulator:{httpd.port}",
            daemon=True,
        )
        thread.start()
        self._httpd, self._thread = httpd, thread
        return self

    def stop(self) -> None:
        """Stop serving and cut open connections. Safe to call more than once."""
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        httpd.shutdown()
        httpd.server_close()
        httpd.close_connections()
        thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> GongSimulator:
        if self._httpd is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._httpd is not None

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the simulator is not running")
        return self._httpd.port

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321``."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    # -- observation -----------------------------------------------------------------

    @property
    def request_log(self) -> list[RequestLogEntry]:
        """A snapshot of every request answered so far, in the order answered."""
        with self._log_lock:
            return list(self._log)

    def reset_log(self) -> None:
        with self._log_lock:
            self._log.clear()

    def most_in_flight(self) -> int:
        """The most requests the simulator was answering at one moment, from its log."""
        events = sorted(
            [(entry.arrived, 1) for entry in self.request_log]
            + [(entry.answered, -1) for entry in self.request_log]
        )
        most = current = 0
        for _moment, change in events:
            current += change
            most = max(most, current)
        return most

    def reset_limits(self) -> None:
        """Forget the requests counted against the per-second and daily quotas."""
        self._limiter.reset()

    # -- scopes ----------------------------------------------------------------------

    @property
    def scopes(self) -> frozenset[str] | None:
        """The scopes granted to the credentials, or None when every scope is."""
        return self._grant.scopes

    @scopes.setter
    def scopes(self, scopes: Iterable[str] | None) -> None:
        self._grant.replace(scopes)

    def grant(self, *scopes: str) -> None:
        """Grant ``scopes`` as well; no change while every scope is granted."""
        self._grant.grant(scopes)

    def revoke(self, *scopes: str) -> None:
        """Withdraw ``scopes``. If every scope was granted, the scopes the endpoints
        need stay granted, except these."""
        self._grant.revoke(scopes, REQUIRED_SCOPES.values())

    # -- answering -------------------------------------------------------------------

    def now(self) -> float:
        """The simulator's clock, which stamps each request's arrival."""
        return self._clock()

    def respond(
        self,
        method: str,
        target: str,
        authorization: str | None,
        body: bytes | None,
        arrived: float,
    ) -> Reply:
        """Decide the answer to one request and log it (called by the HTTP handler)."""
        parts = urlsplit(target)
        parsed = decode_json(body or b"")
        request = ApiRequest(
            method, parts.path, parse_qs(parts.query, keep_blank_values=True), parsed, arrived
        )
        auth = self.credentials.check(authorization, self.oauth.check_bearer)
        fault = self.faults.next_fault(parts.path, body) if body is not None else None
        if body is None:
            reply = error_reply(400, "Malformed or oversized request body")
        elif parts.path == TOKEN_PATH:
            reply = self._token_reply(request, authorization, fault)
        else:
            if fault is not None:
                self._sleep(fault.delay_seconds)  # a slow answer, or a slow failure
            if fault is not None and fault.kind != "slow":
                reply = fault_reply(fault, self._answer_for_fault(request))
            else:
                reply = self._normal_reply(request, auth)
        if self.latency is not None:
            self._sleep(self.latency.draw())
        entry = RequestLogEntry(
            arrived,
            method,
            target,
            reply.status,
            loggable(parsed),
            auth.scheme,
            None if fault is None else fault.kind,
            self._clock(),
        )
        with self._log_lock:
            self._log.append(entry)
        return reply

    def _token_reply(
        self, request: ApiRequest, authorization: str | None, fault: Fault | None
    ) -> Reply:
        # The token endpoint has no records to tamper with: only faults of the transport
        # (a status, a 429, a dropped connection, a slow answer) apply to it.
        if fault is not None and fault.kind in ("status", "rate_limited", "drop_connection"):
            return fault_reply(fault, self._answer_for_fault(request))
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay_seconds)
        return self.oauth.exchange(request.method, request.params, authorization, self.url)

    def _normal_reply(self, request: ApiRequest, auth: AuthResult) -> Reply:
        route = self._routes.get(request.path)
        if route is None:
            return error_reply(404, f"No API endpoint at {request.path}")
        if request.method != route.method:
            return error_reply(
                405,
                f"Method {request.method} is not allowed on {request.path}",
                {"Allow": route.method},
            )
        if not auth.authorized:
            challenge = 'Basic realm="Gong API"'
            if auth.expired:
                challenge = 'Bearer realm="Gong API", error="invalid_token"'
            return error_reply(
                401, f"Unauthorized: {auth.problem}", {"WWW-Authenticate": challenge}
            )
        if not self._grant.allows(route.scope):
            return error_reply(403, f"Insufficient scope: {route.scope}")
        rejection = self._limiter.admit(request.arrived)
        if rejection is not None:
            return error_reply(429, rejection.message, {"Retry-After": str(rejection.retry_after)})
        try:
            answer = route.endpoint.answer(request)
        except ApiError as problem:
            return error_reply(problem.status, str(problem))
        return json_reply(200, answer.payload)

    def _answer_for_fault(self, request: ApiRequest) -> Answer:
        """What the endpoint would answer, skipping auth, scopes and quotas as faults do.

        Requests to unknown paths are treated as prospects requests, the simulator's
        first endpoint, so path-less faults keep their old shape there.
        """
        route: Route = self._routes.get(request.path) or self._routes[PROSPECTS_PATH]
        try:
            return route.endpoint.answer(request)
        except ApiError:
            return route.endpoint.fallback(request)
