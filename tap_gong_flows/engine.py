"""The request engine: every request of a sync goes through one object.

It owns what all requests share: the credentials, the pace of request starts under
Gong's per-second limit, how many requests are in flight, the retry rules, the per-sync
request budget, the counters and the stop flag. The tap builds one and hands it to the
streams; they ask it for answers (one at a time with :meth:`RequestEngine.call`, or many
side by side with :meth:`RequestEngine.fan_out`) and never see HTTP.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from singer_sdk import metrics

from tap_gong_flows import __version__
from tap_gong_flows.answers import Payload, answer_payload
from tap_gong_flows.auth import ApiAuth
from tap_gong_flows.errors import (
    GongError,
    GongRequestFailed,
    GongSyncStopped,
    GongTransientError,
)
from tap_gong_flows.fan_out import OrderedFanOut
from tap_gong_flows.pacing import InFlightWindow, RequestBudget, RequestPacer
from tap_gong_flows.retries import retry_waits
from tap_gong_flows.settings import setting_value
from tap_gong_flows.urls import normalized_api_url

T = TypeVar("T")
R = TypeVar("R")

# Failures worth another attempt; everything else ends the sync at once.
RETRYABLE_EXCEPTIONS: tuple[type[Exception], ...] = (
    GongTransientError,
    ConnectionResetError,
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes, and the errors urllib3 wraps in ``args`` or ``reason``."""
    todo, seen = [exc], set()
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        linked += list(getattr(current, "args", ()))
        todo += [e for e in linked if isinstance(e, BaseException)]


def _is_tls_misconfiguration(exc: BaseException) -> bool:
    """A TLS failure that asking again cannot mend: a certificate the tap does not trust,
    a server that does not speak TLS. A handshake cut short (the server or a load
    balancer closed the connection) is worth another attempt, like any dropped connection."""
    if not isinstance(exc, requests.exceptions.SSLError):
        return False
    return not any(isinstance(e, ssl.SSLEOFError | ssl.SSLZeroReturnError) for e in _chain(exc))


@dataclass(frozen=True)
class EngineSettings:
    """The settings the engine reads, taken from the tap's config once."""

    api_url: str
    max_requests_per_second: float
    max_requests_in_flight: int
    request_timeout_seconds: float
    max_retries: int
    max_retry_after_seconds: float
    max_requests_per_sync: int | None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> EngineSettings:
        budget = setting_value(config, "max_requests_per_sync")
        return cls(
            api_url=normalized_api_url(str(setting_value(config, "api_url"))),
            max_requests_per_second=float(setting_value(config, "max_requests_per_second")),
            max_requests_in_flight=int(setting_value(config, "max_requests_in_flight")),
            request_timeout_seconds=float(setting_value(config, "request_timeout_seconds")),
            max_retries=int(setting_value(config, "max_retries")),
            max_retry_after_seconds=float(setting_value(config, "max_retry_after_seconds")),
            max_requests_per_sync=None if budget is None else int(budget),
        )


@dataclass(frozen=True)
class GongCall:
    """One request as a stream asks for it (the engine adds auth, pace and retries)."""

    method: str
    path: str
    params: Mapping[str, Any] | None
    body: Mapping[str, Any] | None
    stream: str | None  # the metrics' stream tag


class SyncStats:
    """What the sync cost so far, for progress lines and the final summary. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0  # every attempt sent, retries included
        self.retries = 0
        self.rate_limited = 0
        self.records = 0
        self.in_flight = 0
        self.most_in_flight = 0

    def count(self, name: str, amount: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)

    @contextmanager
    def flying(self) -> Iterator[None]:
        with self._lock:
            self.in_flight += 1
            self.requests += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1


def _describe_failure(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, GongTransientError) else f"{type(exc).__name__}: {text}"


class RequestEngine:
    """Sends Gong requests for every stream of one sync: paced, overlapped, retried."""

    # The exponential backoff of retries other than Retry-After waits; tests shorten it.
    retry_base_seconds = 1.0
    retry_max_seconds = 60.0

    def __init__(
        self,
        settings: EngineSettings,
        auth: ApiAuth,
        *,
        logger: logging.Logger | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.settings = settings
        self._auth = auth
        self.logger = logger or logging.getLogger("tap-gong-flows")
        self._stopping = threading.Event()
        self._failure: BaseException | None = None
        self._clock = clock
        # Waits end early when the sync stops, so a failing sync does not sleep first.
        self._sleep = sleep or self._interruptible_sleep
        self.pacer = RequestPacer(
            settings.max_requests_per_second,
            clock=clock,
            sleep=self._sleep,
            stopped=self._stopping.is_set,
        )
        cap = settings.max_requests_in_flight
        self.window = InFlightWindow(settings.max_requests_per_second, cap, clock=clock)
        self.budget = RequestBudget(settings.max_requests_per_sync)
        self.stats = SyncStats()
        self.session = session or self._new_session(cap)
        self._in_flight = threading.BoundedSemaphore(cap)
        self._workers: ThreadPoolExecutor | None = None
        self._workers_lock = threading.Lock()

    def _interruptible_sleep(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    @staticmethod
    def _new_session(pool_size: int) -> requests.Session:
        session = requests.Session()
        # One kept-alive connection per request in flight; retries are the engine's.
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers.update(
            {"Accept": "application/json", "User-Agent": f"tap-gong-flows/{__version__}"}
        )
        return session

    # One request

    @property
    def max_tries(self) -> int:
        return self.settings.max_retries + 1

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        about: str | None = None,
        stream: str | None = None,
    ) -> Payload:
        """One request, paced and retried; Gong's JSON object, or an error that says why not.

        ``about`` says what was asked (which batch, which user); a failure carries it.
        A failure that retrying cannot mend stops the whole sync: nothing new is sent.
        """
        try:
            return self._call_with_retries(GongCall(method, path, params, body, stream))
        except GongSyncStopped:
            raise
        except GongError as exc:
            if about:
                exc.with_context(about)
            self.stop(exc)
            raise
        except BaseException as exc:
            self.stop(exc)
            raise

    def probe(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Payload:
        """One request, paced and retried like any other, whose refusal does not stop the
        engine: the preflight asks every endpoint, whatever the one before answered."""
        return self._call_with_retries(GongCall(method, path, params, body, None))

    def _call_with_retries(self, call: GongCall) -> Payload:
        what = f"{call.method} {call.path}"
        waits = retry_waits(
            base_seconds=self.retry_base_seconds, max_seconds=self.retry_max_seconds
        )
        next(waits)  # primed: it is sent each failure and answers with the wait
        tries = 0
        while True:
            self._check_running(what)
            self.budget.spend(what)
            tries += 1
            try:
                # The cap holds for every request: fan-out workers and direct calls alike.
                with self._in_flight:
                    self.pacer.wait()
                    self._check_running(what)
                    return self._exchange(call)
            except RETRYABLE_EXCEPTIONS as exc:
                if _is_tls_misconfiguration(exc):
                    raise
                if tries >= self.max_tries:
                    raise GongRequestFailed(
                        f"{what} failed after {tries} attempts; "
                        f"last error: {_describe_failure(exc)}"
                    ) from exc
                self._wait_before_retry(what, exc, waits.send(exc), tries)

    def _wait_before_retry(self, what: str, exc: Exception, wait: float, tries: int) -> None:
        self._check_running(what)
        self.stats.count("retries")
        self.logger.warning(
            "Retrying %s in %.1f s (attempt %d of %d): %s",
            what,
            wait,
            tries + 1,
            self.max_tries,
            _describe_failure(exc),
        )
        if getattr(exc, "rate_limited", False):
            # Gong's quota is the company's: no request of this sync starts before then.
            self.stats.count("rate_limited")
            self.pacer.hold(wait)
        else:
            self._sleep(wait)

    def _exchange(self, call: GongCall) -> Payload:
        authorization = self._auth.authorization()
        response = self._send(call, authorization)
        if response.status_code == 401 and self._auth.renew_after(authorization, response):
            # The token expired under this request: once more with the renewed one.
            self.budget.spend(f"{call.method} {call.path}")
            response = self._send(call, self._auth.authorization())
        return answer_payload(
            response, max_retry_after_seconds=self.settings.max_retry_after_seconds
        )

    def _send(self, call: GongCall, authorization: str) -> requests.Response:
        number = self.window.sent()
        try:
            with self.stats.flying():
                response = self.session.request(
                    call.method,
                    self._auth.base_url(self.settings.api_url) + call.path,
                    params=call.params,
                    json=call.body,
                    headers={"Authorization": authorization},
                    timeout=self.settings.request_timeout_seconds,
                    allow_redirects=False,  # a redirect would carry the Authorization header on
                )
        finally:
            self.window.answered(number)
        self._log_duration(call.path, response, call.stream)
        return response

    def _log_duration(self, path: str, response: requests.Response, stream: str | None) -> None:
        tags: dict[str, Any] = {
            metrics.Tag.ENDPOINT: path,
            metrics.Tag.HTTP_STATUS_CODE: response.status_code,
            metrics.Tag.STATUS: (
                metrics.Status.SUCCEEDED if response.status_code < 400 else metrics.Status.FAILED
            ),
        }
        if stream:
            tags[metrics.Tag.STREAM] = stream
        seconds = response.elapsed.total_seconds()
        point = metrics.Point("timer", metrics.Metric.HTTP_REQUEST_DURATION, seconds, tags)
        metrics.log(logging.getLogger(metrics.METRICS_LOGGER_NAME), point)

    # Many requests

    def fan_out(self, items: Iterable[T], work: Callable[[T], R]) -> OrderedFanOut[T, R]:
        """``work(item)`` for every item on the engine's workers, as many at once as the
        window allows; results come back in the items' order."""
        return OrderedFanOut(items, work, submit=self._submit, window=self.window, engine=self)

    def _submit(self, work: Callable[[T], R], item: T) -> Future[R]:
        with self._workers_lock:
            if self._workers is None:
                self._workers = ThreadPoolExecutor(
                    max_workers=self.settings.max_requests_in_flight,
                    thread_name_prefix="gong-request",
                )
            return self._workers.submit(work, item)

    # Stopping

    def stop(self, cause: BaseException) -> None:
        """The sync is failing: nothing new is sent, and retries give up."""
        if self._failure is None:
            self._failure = cause
        self._stopping.set()

    @property
    def failure(self) -> BaseException | None:
        """What stopped the sync, if anything did."""
        return self._failure

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def _check_running(self, what: str) -> None:
        if self._stopping.is_set():
            raise GongSyncStopped(f"{what} not sent: the sync is stopping")

    def close(self) -> None:
        """Let the workers go once their queued work is done, and close idle connections
        (at the end of a sync). Work sent later gets new workers and connections."""
        with self._workers_lock:
            workers, self._workers = self._workers, None
        if workers is not None:
            workers.shutdown(wait=False)
        self.session.close()
