"""Group commit: the one path by which anything is written to the store.

Handlers call ``submit(action)`` and wait; one background task takes everything that is waiting,
applies it as one batch (one fsync) off the event loop, and hands each caller its own result.
A caller is answered only after its batch is committed, so an ack always means "durable".
It must not decide anything about meetings: that is the domain's and the store's work.

The store code it runs off the event loop (in a real thread) may use only what the writer owns:
never the event loop's green locks or the store's read connection (``WRITING`` marks the
thread, and the SQLite store refuses a read there). A writer that dies or stops moving is not
left as a silent zombie: ``health`` answers for ``/healthz``, and ``watch`` ends the process
with a clear message so a supervisor (systemd, the platform, the person at the laptop) restarts it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from live.store import WRITING, Action, Store

log = logging.getLogger(__name__)


class _Job:
    __slots__ = ("action", "call", "done", "result", "error")

    def __init__(self, action=None, call=None):
        self.action, self.call = action, call
        self.done = threading.Event()
        self.result = None
        self.error = None


class Writer:
    """Serialises and batches writes; see the module docstring."""

    def __init__(self, store: Store, spawn: Callable, offload: Callable, max_batch: int = 500):
        self.store = store
        self._spawn = spawn
        self._offload = offload
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._pending: list[_Job] = []
        self._wake = threading.Event()
        self._started = False
        self.batches = 0
        # Jobs not yet done, and since when the writer has finished none of them (None: no job
        # waits); why the writer's loop ended, if it did.
        self._unfinished = 0
        self._inflight: list[_Job] = []
        self._stuck_since: float | None = None
        self.died: BaseException | None = None

    def submit(self, action: Action) -> dict:
        """Apply one action and return its ack once it is committed."""
        return self._wait(_Job(action=action))

    def call(self, fn: Callable, *args):
        """Run another store write (create a meeting, purge) in turn with the batches."""
        return self._wait(_Job(call=(fn, args)))

    def health(self, timeout: float) -> bool:
        """Whether a write round trip (an empty job through the writer's thread) comes back
        within ``timeout`` seconds."""
        job = _Job(call=(_nothing, ()))
        try:
            self._enqueue(job)
        except RuntimeError:  # it died
            return False
        return job.done.wait(timeout) and job.error is None

    def stalled_for(self) -> float:
        """Seconds the writer has had work waiting without finishing any (0: it is moving)."""
        if self.died is not None:
            return float("inf")
        since = self._stuck_since
        return 0.0 if since is None else time.monotonic() - since

    def watch(self, limit: float, sleep: Callable, on_stall: Callable) -> None:
        """Forever: call ``on_stall(reason)`` once the writer has died or stalled for ``limit`` s."""
        while True:
            sleep(min(limit / 4, 5.0))
            if self.died is not None:
                on_stall(f"the writer stopped: {self.died!r}")
                return
            if self.stalled_for() > limit:
                on_stall(f"the writer finished nothing for {limit:.0f} s")
                return

    def _wait(self, job: _Job):
        self._enqueue(job)
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result

    def _enqueue(self, job: _Job) -> None:
        with self._lock:
            if self.died is not None:
                raise RuntimeError("the writer has stopped") from self.died
            self._unfinished += 1
            if self._stuck_since is None:
                self._stuck_since = time.monotonic()
            self._pending.append(job)
            if not self._started:
                self._started = True
                self._spawn(self._run)
        self._wake.set()

    def _run(self) -> None:
        try:
            self._loop()
        except BaseException as exc:  # never a zombie: ``watch`` sees this and ends the process
            log.critical("the writer stopped", exc_info=True)
            with self._lock:
                self.died = exc
                jobs, self._pending = self._inflight + self._pending, []
            for job in jobs:
                if not job.done.is_set():
                    job.error = RuntimeError("the writer has stopped")
                    job.done.set()

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            while True:
                with self._lock:
                    jobs, self._pending = self._pending, []
                if not jobs:
                    break
                self._inflight = jobs
                self._flush(jobs)
                self._inflight = []

    def _flush(self, jobs: list[_Job]) -> None:
        actions = [job for job in jobs if job.action is not None]
        for start in range(0, len(actions), self._max_batch):
            batch = actions[start : start + self._max_batch]
            try:
                results = self._offload(_writing, self.store.apply, [job.action for job in batch])
                self.batches += 1
            except Exception as exc:  # the batch rolled back: nobody gets a false "saved"
                log.exception("write batch failed")
                for job in batch:
                    job.error = exc
            else:
                for job, result in zip(batch, results, strict=True):
                    job.result = result
            for job in batch:
                job.done.set()
            self._moved(len(batch))
        for job in jobs:
            if job.call is not None:
                fn, args = job.call
                try:
                    job.result = self._offload(_writing, fn, *args)
                except Exception as exc:
                    job.error = exc
                job.done.set()
                self._moved(1)

    def _moved(self, done: int) -> None:
        """Jobs finished: the stall clock starts again from now if more wait."""
        with self._lock:
            self._unfinished -= done
            self._stuck_since = time.monotonic() if self._unfinished else None


def _nothing() -> None:
    """The empty job of ``Writer.health``."""


def _writing(fn: Callable, *args):
    """Run ``fn`` marked as the writer's thread (see ``WRITING``)."""
    WRITING.active = True
    try:
        return fn(*args)
    finally:
        WRITING.active = False
