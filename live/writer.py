"""Group commit: the one path by which anything is written to the store.

Handlers call ``submit(action)`` and wait; one background task takes everything that is waiting,
applies it as one batch (one fsync) off the event loop, and hands each caller its own result.
A caller is answered only after its batch is committed, so an ack always means "durable".
It must not decide anything about meetings: that is the domain's and the store's work.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from live.store import Action, Store

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

    def submit(self, action: Action) -> dict:
        """Apply one action and return its ack once it is committed."""
        return self._wait(_Job(action=action))

    def call(self, fn: Callable, *args):
        """Run another store write (create a meeting, purge) in turn with the batches."""
        return self._wait(_Job(call=(fn, args)))

    def _wait(self, job: _Job):
        with self._lock:
            self._pending.append(job)
            if not self._started:
                self._started = True
                self._spawn(self._run)
        self._wake.set()
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            while True:
                with self._lock:
                    jobs, self._pending = self._pending, []
                if not jobs:
                    break
                self._flush(jobs)

    def _flush(self, jobs: list[_Job]) -> None:
        actions = [job for job in jobs if job.action is not None]
        for start in range(0, len(actions), self._max_batch):
            batch = actions[start : start + self._max_batch]
            try:
                results = self._offload(self.store.apply, [job.action for job in batch])
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
        for job in jobs:
            if job.call is not None:
                fn, args = job.call
                try:
                    job.result = self._offload(fn, *args)
                except Exception as exc:
                    job.error = exc
                job.done.set()
