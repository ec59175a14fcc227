"""The writer: one thread that owns the workspace's only read-write connection.

Every write in Labeler is a function of a ``WriteStore`` handed to ``Writer.submit`` (or
``run``, which waits). Each runs on the writer thread in its own ``BEGIN IMMEDIATE`` ...
``COMMIT``, rolled back whole on any error, so two writes never interleave and a label saved
during a long bundle import waits in line instead of failing with "database is locked".
Driver errors come back as a ``StoreError`` sentence.

Rule for callers: never hold a reader's transaction open while waiting on the writer.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from labeler.store.connection import Store, WriteStore
from labeler.store.errors import DatabaseError, StoreError, explain

T = TypeVar("T")
Work = Callable[[WriteStore], T]
_Job = tuple[Future[Any], Callable[[WriteStore], Any], bool]


class Writer:
    """Runs writes one at a time on its own thread, each in one transaction."""

    def __init__(self, store: Store) -> None:
        if not store.writable:
            raise ValueError("the writer needs the writable connection")
        self.store = store
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="labeler-writer", daemon=True)
        self._closed = False
        self._thread.start()

    @property
    def path(self) -> Any:
        return self.store.path

    def on_writer_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def submit(self, work: Work[T], *, transaction: bool = True) -> Future[T]:
        """Queue ``work``; the future holds its result or its (sentence) error."""
        if self._closed:
            raise RuntimeError("the workspace is closed")
        future: Future[T] = Future()
        if self.on_writer_thread():  # a write inside a write: already in its transaction
            future.set_running_or_notify_cancel()
            try:
                future.set_result(work(WriteStore(self.store)))
            except BaseException as err:
                future.set_exception(err)
            return future
        self._jobs.put((future, work, transaction))
        return future

    def run(self, work: Work[T], *, transaction: bool = True) -> T:
        """Run ``work`` on the writer and wait for it."""
        return self.submit(work, transaction=transaction).result()

    def close(self) -> None:
        """Finish the queued writes, stop the thread, close the connection."""
        if self._closed:
            return
        self._closed = True
        self._jobs.put(None)
        self._thread.join()
        self.store.close()

    def _loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            future, work, transaction = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = self._execute(work, transaction)
            except BaseException as err:  # handed to whoever waits on the future
                future.set_exception(err)
            else:
                future.set_result(result)

    def _execute(self, work: Callable[[WriteStore], Any], transaction: bool) -> Any:
        conn = self.store.conn
        tx = WriteStore(self.store)
        if self.store.refusal is not None:  # a damaged page: nothing is written into it
            raise StoreError(self.store.refusal)
        try:
            if not transaction:
                return work(tx)
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = work(tx)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return result
        except DatabaseError as err:
            raise explain(err, self.store.path, writing=True) from None
