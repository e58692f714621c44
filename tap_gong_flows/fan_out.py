"""Many requests side by side, their results handed back in order.

Writing in order keeps a sync deterministic and its STATE simple: a bookmark always
covers an unbroken run of finished work. Sending side by side keeps Gong's rate limit
full while answers take their time. :class:`OrderedFanOut` does both: it keeps up to the
engine's window of items in flight and yields each result once every earlier one has
been yielded.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import CancelledError, Future
from typing import Generic, Protocol, Self, TypeVar

from tap_gong_flows.errors import GongSyncStopped

# How often the window is looked at again while the oldest answer is awaited.
REFILL_SECONDS = 0.05

T = TypeVar("T")
R = TypeVar("R")


class Window(Protocol):
    @property
    def size(self) -> int: ...


class StopSignal(Protocol):
    """What the fan-out needs to know about the sync stopping."""

    def stop(self, cause: BaseException) -> None: ...

    @property
    def failure(self) -> BaseException | None: ...


class OrderedFanOut(Generic[T, R]):
    """``work(item)`` for each item, up to ``window.size`` at once, results in item order.

    Items are taken from the iterable on the consumer's thread, lazily: a million
    prospect IDs are never all in memory. :meth:`start` sends the first window before
    anyone iterates, so the next stream's requests can overlap the current one's tail.
    When an item fails, the sync stops: later items are not sent, and the error raised
    is the failure that stopped it (an item that merely saw the stop says nothing new).
    """

    def __init__(
        self,
        items: Iterable[T],
        work: Callable[[T], R],
        *,
        submit: Callable[[Callable[[T], R], T], Future[R]],
        window: Window,
        engine: StopSignal,
    ) -> None:
        self._items = iter(items)
        self._work = work
        self._submit = submit
        self._window = window
        self._engine = engine
        self._pending: deque[tuple[T, Future[R]]] = deque()
        self._exhausted = False
        self._started = False

    def start(self) -> Self:
        """Send the first requests now (iterating later finds them under way)."""
        self._fill()
        return self

    @property
    def in_flight(self) -> int:
        """Items sent whose results have not been handed back yet."""
        return len(self._pending)

    def _fill(self) -> None:
        self._started = True
        while not self._exhausted and len(self._pending) < self._window.size:
            if self._engine.failure is not None:
                return
            try:
                item = next(self._items)
            except StopIteration:
                self._exhausted = True
                return
            self._pending.append((item, self._submit(self._work, item)))

    def __iter__(self) -> Iterator[tuple[T, R]]:
        try:
            self._fill()
            while self._pending:
                item, _future = self._pending[0]
                try:
                    result = self._result_of_oldest()
                except GongSyncStopped:
                    failure = self._engine.failure
                    if failure is not None:
                        raise failure from None
                    raise
                except BaseException as exc:
                    self._engine.stop(exc)
                    raise
                self._pending.popleft()
                self._fill()  # the next ones go out while this result is written
                yield item, result
        finally:
            self.cancel()

    def _result_of_oldest(self) -> R:
        item, future = self._pending[0]
        while True:
            try:
                return future.result(timeout=REFILL_SECONDS)
            except TimeoutError:
                # While the oldest answer is awaited the window may grow (it counts the
                # wait): keep the pace fed instead of idling behind one slow answer.
                self._fill()
            except CancelledError:
                # Its worker pool was shut down before it ran: send it again.
                future = self._submit(self._work, item)
                self._pending[0] = (item, future)

    def results(self) -> Iterator[R]:
        """Only the results, in order."""
        for _item, result in self:
            yield result

    def cancel(self) -> None:
        """Drop what has not started; what is in flight finishes and is discarded."""
        while self._pending:
            _item, future = self._pending.popleft()
            future.cancel()
        self._exhausted = True
