"""Work done one batch behind, in a thread of its own: while a batch is being handled there, the
caller prepares the next one (polars, pyarrow and hashlib release the GIL, so the two overlap).
At most one batch waits, so memory stays bounded; results come back in order, and a failure in
the thread is raised to the caller at the next `submit` or at `finish`."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class OneBehind:
    def __init__(self, name: str):
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._pending: Future | None = None
        self._results: list[Any] = []

    def submit(self, work: Callable[..., Any], *args: Any) -> None:
        """Run `work(*args)` in the thread, once the batch before it is done."""
        self._collect()
        self._pending = self._pool.submit(work, *args)

    def finish(self) -> list[Any]:
        """Wait for the last batch; every result, in the order submitted."""
        try:
            self._collect()
        finally:
            self._pool.shutdown()
        return self._results

    def abandon(self) -> None:
        """Stop without the results (after a failure elsewhere): waits for the running batch."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _collect(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._results.append(pending.result())
