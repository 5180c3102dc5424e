"""Worker processes: results in order, one BLAS thread per worker."""

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from sounddetect.workers import map_in_processes


def blas_threads(_item) -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def square_in_process(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


_state: dict = {}


def remember(offset: int) -> None:
    _state["offset"] = offset


def add_offset(x: int) -> int:
    return x + _state["offset"]


@pytest.mark.parametrize("workers", [1, 2])
def test_results_come_in_the_order_of_the_items(workers):
    results = list(map_in_processes(square_in_process, range(20), workers=workers))
    assert [square for square, _ in results] == [x * x for x in range(20)]
    in_this_process = {pid for _, pid in results} == {os.getpid()}
    assert in_this_process == (workers == 1)


@pytest.mark.parametrize("workers", [1, 2])
def test_every_worker_runs_blas_on_one_thread(workers):
    np.ones((2, 2)) @ np.ones((2, 2))  # numpy's BLAS is loaded
    threads = list(map_in_processes(blas_threads, range(4), workers=workers))
    assert all(found == [1] * len(found) for found in threads)
    assert threads[0], "numpy's BLAS was not found"


def test_the_limit_ends_with_the_work_in_this_process():
    before = blas_threads(None)
    list(map_in_processes(blas_threads, range(2), workers=1))
    assert blas_threads(None) == before


@pytest.mark.parametrize("workers", [1, 2])
def test_the_initializer_runs_before_the_first_item(workers):
    results = map_in_processes(
        add_offset, [1, 2, 3], workers=workers, initializer=remember, initargs=(10,)
    )
    assert list(results) == [11, 12, 13]
    _state.clear()


def test_workers_that_finished_every_item_exit_on_their_own():
    # Terminating them signalled workers about to wait for more work: one that caught the
    # signal just before its wait hung, and with it the command (make demo, 2026-12-03).
    results = map_in_processes(square_in_process, range(20), workers=2)
    assert next(results)[0] == 0
    workers = multiprocessing.active_children()
    assert len(workers) == 2
    assert len(list(results)) == 19
    assert [worker.exitcode for worker in workers] == [0, 0]


#: Workers on which the pool's SIGTERM has no effect, as on one that caught it just before
#: waiting for the task queue's lock (its handler never runs), busy with items that would
#: take an hour, and an item that fails: the error must come back, not a pool waiting for
#: its workers, and a process the caller started meanwhile must be left alone.
UNKILLABLE_POOL = textwrap.dedent(
    """
    import multiprocessing
    import signal
    import time
    from sounddetect import workers

    def ignore_sigterm():
        signal.signal(signal.SIGTERM, signal.SIG_IGN)

    def fail_second(x):
        if x == 1:
            raise ValueError("item 1 failed")
        if x > 1:
            time.sleep(3600)
        return x

    if __name__ == "__main__":
        workers.TERMINATE_GRACE_S = 0.5
        results = workers.map_in_processes(
            fail_second, range(4), workers=2, initializer=ignore_sigterm
        )
        # a child of the caller's own, started while the pool works, which must live on
        own = multiprocessing.get_context("fork").Process(target=time.sleep, args=(2.0,))
        try:
            next(results)
            own.start()
            list(results)
        except ValueError as error:
            print("raised:", error)
        own.join()
        print("own child's exit code:", own.exitcode)
    """
)


def test_workers_that_outlive_the_pools_sigterm_are_killed():
    # GIVEN busy workers that ignore SIGTERM and an item that fails
    with subprocess.Popen(
        [sys.executable, "-c", UNKILLABLE_POOL],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as run:
        try:
            # WHEN the pool is ended after the error
            out, _ = run.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)  # the workers too
            raise
    # THEN the workers were killed, the error reached the caller, and the caller's own child
    # process was left alone
    assert run.returncode == 0
    assert out.splitlines() == ["raised: item 1 failed", "own child's exit code: 0"]
