"""Worker processes for the generator's CPU-bound work (``synth``, ``generate``).

    map_in_processes -- a function over items in worker processes, results in order

Each worker is one process per core, so it runs numpy's BLAS on one thread: OpenBLAS's own
threads, two per process on a 2-core machine, spin while they wait and took the cores from
the other workers (``generate`` ran 3.4 times slower with two workers, its images the same).
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from threadpoolctl import threadpool_limits

#: Seconds the pool's terminate() gets after an error, Ctrl-C or SIGTERM before the workers
#: still alive are killed (SIGKILL), and then before the caller goes on without it
#: (:func:`_terminate`).
TERMINATE_GRACE_S = 2.0


def _on_sigterm(signum: int, frame: object, *, stopping: Any) -> None:
    # The pool's terminate(), once the main process holds the pool's locks: die of it, as
    # without a handler. SIGTERM to every process before (timeout's, systemd's) is left to
    # the main process, which handles it: killed then, while waiting for work or sending a
    # result, a worker would keep a lock or half a message the main process waits for.
    if stopping.value:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


def _start_worker(stopping: Any, initializer: Callable[..., None] | None, initargs: tuple) -> None:
    # Ctrl-C reaches every process of the terminal's group: the main process alone stops,
    # and ends the pool, without a traceback from each worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN, None):
        # A handler of the main process's (the command line's): it ends the pool itself.
        signal.signal(signal.SIGTERM, functools.partial(_on_sigterm, stopping=stopping))
    threadpool_limits(limits=1)
    if initializer is not None:
        initializer(*initargs)


def map_in_processes(
    function: Callable[[Any], Any],
    items: Iterable[Any],
    *,
    workers: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple = (),
) -> Iterator[Any]:
    """``function(item)`` for each item, in order, computed by ``workers`` processes.

    Parameters
    ----------
    function : callable
        Applied to each item; with more than one worker it and its results are pickled.
    items : iterable
    workers : int >= 1
        1 computes in this process (BLAS limited to one thread meanwhile), more in a pool
        of forked processes where the platform forks (they share the parent's memory
        without a copy), else spawned ones.
    initializer : callable or None
        Called with ``initargs`` in each worker before its first item (in this process
        when ``workers`` is 1).
    initargs : tuple

    Yields
    ------
    Any
        The results, in the order of ``items``.
    """
    if workers == 1:
        with threadpool_limits(limits=1):
            if initializer is not None:
                initializer(*initargs)
            yield from map(function, items)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    stopping = context.RawValue("b", 0)
    initargs = (stopping, initializer, initargs)
    pool = context.Pool(workers, initializer=_start_worker, initargs=initargs)
    try:
        yield from pool.imap(function, items)
        # Done: the workers leave their loop and exit. Terminating them here signalled
        # workers about to wait for the task queue, whose lock terminate() holds: a signal
        # caught just before that wait left its handler unrun and the worker, and the
        # command, waiting for ever (once, in make demo's generate).
        pool.close()
        pool.join()
    except BaseException:  # an error, Ctrl-C, SIGTERM, or the caller stopping early
        stopping.value = 1
        _terminate(pool)
        raise


def _terminate(pool: Any) -> None:
    """``pool.terminate()``, given up on when it cannot end.

    terminate() waits for the queues' locks. A worker that caught its SIGTERM just before
    it waited for the task queue never runs its handler; one writing a large result when
    the result handler stopped reading holds the result queue's lock, which stays taken
    once it is killed. So terminate() runs in a thread of its own: workers still alive
    :data:`TERMINATE_GRACE_S` after it began are killed, and after as long again the
    caller goes on without it (its daemon thread ends with the process).
    """
    ending = threading.Thread(target=pool.terminate, name="pool-terminate", daemon=True)
    ending.start()
    ending.join(TERMINATE_GRACE_S)
    if ending.is_alive():
        _kill_workers(pool)
        ending.join(TERMINATE_GRACE_S)


def _kill_workers(pool: Any) -> None:
    # terminate() takes the task queue's lock before it signals the workers: one still
    # alive this long after holds no lock the pool waits for. The pool's own list (private,
    # but what terminate() itself joins) holds the workers it started in place of any that
    # died (one SIGTERM to the process group can do that), and no other process.
    for worker in list(pool._pool):
        if worker.is_alive():
            worker.kill()
