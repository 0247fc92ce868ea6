"""Where queries run: worker processes for a knowledge base on disk.

Why processes. pyoxigraph has no timeout or cancellation in Python, and a
query can crash it (a few thousand nested groups, or tens of thousands of
chained operators, overflow its parser's stack: SIGSEGV). The only way to stop
a query is to end the process running it, and the only way to survive a crash
is to have it happen in a process of its own. So the web process never opens
the store: it hands each job to one of ``workers`` processes and waits on the
pipe with a deadline. A job past the deadline gets its worker killed (SIGKILL)
and replaced, and the client a 503; a worker that dies costs that one request
(400, since a crash is caused by the query) and is replaced. Other requests
keep being served by the other workers meanwhile.

Why read-only readers, one writer, and a lock. RocksDB allows many processes
to open a store read-only, but only while nobody writes it: a read-only handle
is a snapshot of the files at open time, and a writer's flush or compaction
deletes files under it (seen here as ``Corruption ... .sst: No such file``).
So:

- readers open the store read-only, and only while no process has it open for
  writing;
- the web process holds the store's RocksDB ``LOCK`` file (an fcntl lock, the
  very lock RocksDB takes) for as long as it serves, so ``ontomed load`` and
  any other writer are refused with "in use" instead of corrupting readers;
- a write (SPARQL Update, Graph Store PUT/POST/DELETE; off unless an update
  token is configured) waits for in-flight reads to end, stops every reader,
  passes the lock to one writer process, which applies the change in one
  transaction, flushes and exits; then the web process takes the lock back
  and starts fresh readers, which see the change. A writer killed at the
  deadline leaves the store as it was (the transaction is not committed).

Writes are rare on this endpoint, so stopping readers for each is cheap next to
the alternative: a reader that silently reads deleted files. New workers are
forked from a forkserver that has already imported pyoxigraph, so starting one
takes milliseconds, not an interpreter start-up.

An in-memory knowledge base (tests, notebooks) cannot be shared with another
process; :class:`InlineEngine` runs its jobs in threads. Its timeout answers
503 but cannot stop the work, and a crash there ends the process: serve a
knowledge base on disk when that matters (``ontomed serve`` always does).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import fcntl
import gc
import logging
import math
import multiprocessing
import os
import queue
import select
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from ..errors import NotFoundError, StoreError
from ..kb import STORE_DIR, KnowledgeBase
from . import jobs, worker
from .config import ServerConfig
from .errors import HTTPError
from .jobs import Outcome

log = logging.getLogger("ontomed.web")


class Engine(Protocol):
    """What the web layer needs from whatever runs jobs."""

    #: Incremented after every successful write (caches key on it).
    generation: int

    def run(self, job: str, **params: Any) -> Any: ...

    def status(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


def open_engine(kb: KnowledgeBase | str | os.PathLike[str], config: ServerConfig) -> Engine:
    from ..kb.remote import is_url

    if is_url(kb):  # a SPARQL server holds the store: its queries cannot crash this process
        assert isinstance(kb, str)
        return InlineEngine(KnowledgeBase(kb, create=False), config)
    if isinstance(kb, KnowledgeBase):
        if kb.path is None:  # in memory, or a backend handed over as an object
            return InlineEngine(kb, config)
        path = kb.path
        kb.close()  # one process at a time may hold the store: the workers will
        gc.collect()  # RocksDB lets go of its lock when the Store object is freed
        assert path is not None
        return ProcessEngine(path, config)
    return ProcessEngine(Path(kb), config)


def _store_dir(kb_path: str | os.PathLike[str]) -> Path:
    store_dir = Path(kb_path) / STORE_DIR
    if not store_dir.is_dir():
        raise NotFoundError(f"no knowledge base at {kb_path} "
                            f"(create one with: ontomed init --kb {kb_path})")
    return store_dir


def check_servable(kb_path: str | os.PathLike[str]) -> None:
    """Raise the error :class:`ProcessEngine` would, without starting it: no knowledge
    base there, or another process holds it. (``ontomed serve`` asks before it forks.)"""
    lock = _StoreLock(_store_dir(kb_path), Path(kb_path))
    lock.acquire()
    lock.release()


def _timed_out(config: ServerConfig, job: str, note: str = "") -> HTTPError:
    what = "query" if job == "query" else "update" if job in jobs.WRITE_JOBS else "request"
    return HTTPError(503, f"the {what} ran longer than {config.timeout:g} s and was stopped "
                     f"(the server's --timeout){note}")


# -- in memory ---------------------------------------------------------------

def _written(result: Any) -> Any:
    """A job's answer with its body serialized (in this thread, under the deadline)."""
    return result.written() if isinstance(result, Outcome) else result


class InlineEngine:
    """Jobs in threads of this process, for an in-memory knowledge base or one on a SPARQL
    server (whose engine runs elsewhere; the deadline still answers 503 in time)."""

    def __init__(self, kb: KnowledgeBase, config: ServerConfig) -> None:
        self.kb, self.config, self.generation = kb, config, 0
        self._pool = concurrent.futures.ThreadPoolExecutor(config.workers, "ontomed-query")
        self._write_lock = threading.Lock()

    def run(self, job: str, **params: Any) -> Any:
        future = self._pool.submit(self._call, job, params)
        try:
            return future.result(timeout=self.config.timeout)
        except concurrent.futures.TimeoutError:
            raise _timed_out(self.config, job, "; in memory the work itself goes on") from None

    def _call(self, job: str, params: dict[str, Any]) -> Any:
        if job not in jobs.WRITE_JOBS:
            return _written(jobs.run(self.kb, job, params))
        with self._write_lock:
            result = _written(jobs.run(self.kb, job, params))
            self.generation += 1
            return result

    def status(self) -> dict[str, Any]:
        return {"engine": "threads", "workers": self.config.workers,
                "store": "memory" if self.kb.in_memory else self.kb.location}

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


# -- on disk: worker processes ---------------------------------------------------

class _Stream:
    """The body of a streamed answer: the chunks a worker sends, as a WSGI iterable.

    The worker stays out of the pool until the stream ends; a stream closed
    before its end (the client went away) gets its worker killed and replaced,
    since it is still writing. A stream past the deadline, or whose worker died
    or failed half-way, raises :class:`StreamBroken`: the status line has been
    sent, so the server can only cut the connection (the client sees an
    incomplete response, not a short one that looks whole).
    """

    def __init__(self, engine: ProcessEngine, w: _Worker, job: str, deadline: float) -> None:
        self.engine, self.worker, self.job, self.deadline = engine, w, job, deadline
        self._held, self._ended = True, False

    def __iter__(self) -> Iterator[bytes]:
        while self._held:
            try:
                chunk = self.worker.next_chunk(self.deadline)
            except _Lost as lost:
                self._release()
                message = str(self.engine._lost_error(self.job, lost))
                log.warning("streamed answer cut: %s", message)
                raise StreamBroken(message) from None
            except _Aborted as aborted:
                self._ended = True  # the worker finished its side and is ready again
                self._release()
                log.warning("streamed answer cut: %s", aborted)
                raise StreamBroken(str(aborted)) from None
            if chunk is None:
                self._ended = True
                self._release()
                return
            yield chunk

    def close(self) -> None:
        self._release()

    def _release(self) -> None:
        if self._held:
            self._held = False
            self.engine._done(self.worker, healthy=self._ended)

    def __del__(self) -> None:  # a body never handed to a server still frees its worker
        self._release()


class _StoreLock:
    """The store's RocksDB ``LOCK`` file, held with the fcntl lock RocksDB itself takes.

    POSIX record locks belong to the process and end when it closes any
    descriptor of the file: the web process never opens the store, so only
    this descriptor touches ``LOCK`` here.
    """

    def __init__(self, store_dir: Path, kb_path: Path) -> None:
        self.path, self.kb_path, self.fd = store_dir / "LOCK", kb_path, None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise StoreError(f"the knowledge base at {self.kb_path} is in use by another process "
                             "(another `ontomed serve`, or a load in progress)") from None
        self.fd = fd

    def acquire_patiently(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while True:
            try:
                self.acquire()
                return True
            except StoreError:
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.02)

    def release(self) -> None:
        if self.fd is not None:
            fcntl.lockf(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


class _Lost(Exception):
    """The worker did not answer: it ran out of time or it died."""

    def __init__(self, timed_out: bool, detail: str = "") -> None:
        super().__init__(detail)
        self.timed_out, self.detail = timed_out, detail


class _Aborted(Exception):
    """The worker stopped a streamed answer half-way (evaluation failed)."""


class StreamBroken(Exception):
    """A streamed answer could not be finished: the connection must be cut, not ended."""


@dataclass(frozen=True)
class _Head:
    """A worker's first message of a streamed answer: the outcome, without its body."""

    outcome: Outcome


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, ctx: Any, kb_path: Path, mode: str) -> None:
        self.conn, child = ctx.Pipe()
        self.mode = mode
        self.process = ctx.Process(target=worker.main, args=(child, str(kb_path), mode),
                                   name=f"ontomed-{mode}-worker", daemon=True)
        self.process.start()
        child.close()
        self.ready = False
        self.unusable = False  # it could not open the store: replace it, never reuse it
        self._poller = select.poll()  # one per worker: multiprocessing's poll() builds a selector each time
        self._poller.register(self.conn.fileno(), select.POLLIN)

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def call(self, job: str, params: dict[str, Any], deadline: float) -> Any:
        """The job's answer, or a :class:`_Head` when the worker goes on to stream it."""
        if not self.ready:
            try:
                self._receive(deadline)  # ("ready", pid), or the error that kept it from opening
            except HTTPError:
                self.unusable = True
                raise
            self.ready = True
        try:
            self.conn.send((job, params))
        except (OSError, ValueError) as exc:
            raise _Lost(False, self._death()) from exc
        message = self._receive(deadline)
        if message[0] == "stream":
            return _Head(message[1])
        return message[1]

    def next_chunk(self, deadline: float) -> bytes | None:
        """The next chunk of a streamed answer; None at its end."""
        message = self._receive(deadline)
        if message[0] == "chunk":
            return message[1]
        if message[0] == "end":
            return None
        raise _Aborted(message[1])

    def _receive(self, deadline: float) -> tuple[Any, ...]:
        remaining = deadline - time.monotonic()
        try:
            if remaining <= 0 or not self._poller.poll(math.ceil(remaining * 1000)):
                raise _Lost(True)
            message = self.conn.recv()
        except (EOFError, OSError):
            raise _Lost(False, self._death()) from None
        if message[0] == "error":
            raise HTTPError(message[1], message[2])
        return message

    def _death(self) -> str:
        self.process.join(2)
        code = self.process.exitcode
        if code is not None and code < 0:
            with contextlib.suppress(ValueError):
                return signal.Signals(-code).name
        return f"exit status {code}"

    def stop(self, grace: float = 5.0) -> None:
        """Let it close the store (a writer flushes) and exit; kill it if it will not."""
        if self.alive:
            with contextlib.suppress(OSError, ValueError):
                self.conn.send(None)
            self.process.join(grace)
        self.kill()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


class _Gate:
    """Many readers or one writer; a waiting writer holds back new readers."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    def enter_reading(self, deadline: float) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: not self._writing and not self._writers_waiting,
                                       max(deadline - time.monotonic(), 0)):
                raise HTTPError(503, "the store is being updated; try again in a moment")
            self._readers += 1

    def leave_reading(self) -> None:
        with self._cond:
            self._readers -= 1
            self._cond.notify_all()

    @contextlib.contextmanager
    def writing(self, deadline: float) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            try:
                ok = self._cond.wait_for(lambda: not self._writing and self._readers == 0,
                                         max(deadline - time.monotonic(), 0))
            finally:
                self._writers_waiting -= 1
                self._cond.notify_all()
            if not ok:
                raise HTTPError(503, "queries kept the store busy until the deadline; "
                                "nothing was written")
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


class ProcessEngine:
    """Read-only worker processes over a knowledge base on disk, and one writer at a time."""

    def __init__(self, kb_path: Path, config: ServerConfig) -> None:
        self.kb_path, self.config, self.generation = Path(kb_path), config, 0
        self._lock = _StoreLock(_store_dir(kb_path), self.kb_path)
        self._lock.acquire()
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload([worker.__name__])
        self._gate = _Gate()
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._unavailable: str | None = None
        self._closed = False
        self._workers: set[_Worker] = set()  # every live one, idle or busy, for close()
        self.restarts = 0
        for _ in range(config.workers):
            self._idle.put(self._start(worker.READ_ONLY))

    def _start(self, mode: str) -> _Worker:
        w = _Worker(self._ctx, self.kb_path, mode)
        self._workers.add(w)
        return w

    def _end(self, w: _Worker, *, kill: bool = False) -> None:
        if kill:
            w.kill()
        else:
            w.stop()
        self._workers.discard(w)

    # -- reads ------------------------------------------------------------
    def run(self, job: str, **params: Any) -> Any:
        """A job's answer. An :class:`Outcome` may come back with a streaming body: its
        worker and its place at the gate are held until the body is read or closed."""
        deadline = time.monotonic() + self.config.timeout
        if self._unavailable or self._closed:
            raise StoreError(self._unavailable or "the server is shutting down")
        if job in jobs.WRITE_JOBS:
            return self._write(job, params, deadline)
        self._gate.enter_reading(deadline)
        try:
            w = self._idle.get(timeout=max(deadline - time.monotonic(), 0))
        except queue.Empty:
            self._gate.leave_reading()
            raise HTTPError(503, f"all {self.config.workers} query workers stayed busy until "
                            "the deadline; try again") from None
        try:
            result = w.call(job, params, deadline)
        except _Lost as lost:
            self._done(w, healthy=False)
            raise self._lost_error(job, lost) from None
        except BaseException:
            self._done(w, healthy=not w.unusable and w.alive)
            raise
        if isinstance(result, _Head):
            return replace(result.outcome, body=_Stream(self, w, job, deadline))
        self._done(w)
        return result

    def _done(self, w: _Worker, *, healthy: bool = True) -> None:
        """Give a reader back to the pool (a fresh one if it is dead or mid-answer) and leave the gate."""
        try:
            if not healthy:  # timed out, died, could not open the store, or abandoned mid-answer
                w = self._replace(w)
            self._idle.put(w)
        finally:
            self._gate.leave_reading()

    def _replace(self, w: _Worker) -> _Worker:
        self._end(w, kill=True)
        self.restarts += 1
        return self._start(w.mode)

    def _lost_error(self, job: str, lost: _Lost) -> HTTPError:
        if lost.timed_out:
            return _timed_out(self.config, job)
        log.warning("worker died running %s (%s)", job, lost.detail)
        if lost.detail in ("SIGSEGV", "SIGBUS", "SIGABRT", "SIGILL"):
            return HTTPError(400, f"the SPARQL engine crashed on this request ({lost.detail}); "
                             "it was not answered, and the server goes on")
        return HTTPError(503, f"the worker running this request died ({lost.detail}); "
                         "the server goes on")

    # -- writes -----------------------------------------------------------
    def _write(self, job: str, params: dict[str, Any], deadline: float) -> Any:
        with self._gate.writing(deadline):
            for _ in range(self._idle.qsize()):
                self._end(self._idle.get_nowait())
            self._lock.release()
            try:
                writer = self._start(worker.READ_WRITE)
                try:
                    result = writer.call(job, params, deadline)
                except _Lost as lost:
                    self._end(writer, kill=True)  # now, before it can commit
                    raise self._lost_error(job, lost) from None
                finally:
                    self._end(writer)  # closes the store: flushed, lock released
                self.generation += 1
                return result
            finally:
                self._reopen()

    def _reopen(self) -> None:
        if not self._lock.acquire_patiently(10.0):
            self._unavailable = (f"another process took the knowledge base at {self.kb_path} "
                                 "during an update; restart the server")
            log.error(self._unavailable)
            return
        for _ in range(self.config.workers):
            self._idle.put(self._start(worker.READ_ONLY))

    # -- the rest ---------------------------------------------------------
    def status(self) -> dict[str, Any]:
        return {"engine": "processes", "workers": self.config.workers,
                "idle": self._idle.qsize(), "restarts": self.restarts,
                "store": str(self.kb_path), "available": not self._unavailable}

    def close(self) -> None:
        """Stop the workers (in-flight jobs get a few seconds) and release the store."""
        if self._closed:
            return
        self._closed = True
        deadline = time.monotonic() + 5.0
        for _ in range(self.config.workers):
            try:
                self._end(self._idle.get(timeout=max(deadline - time.monotonic(), 0.01)))
            except queue.Empty:
                break
        for w in list(self._workers):  # still busy after the grace period
            self._end(w, kill=True)
        self._lock.release()
