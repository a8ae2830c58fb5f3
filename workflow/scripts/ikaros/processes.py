"""One way to spread a cohort's samples over worker processes.

Cohort-level steps (simulation, coverage batches, copy-number calls, RNA evidence) run one
function per sample. With several processes they use a pool of forked workers, so a job pays
the library's import cost once; each worker can be set up once (a reference read, settings
kept) by an initializer. Results come back in the order of the items, whatever order the
workers finish in, and each sample's randomness is seeded by the sample, so outputs do not
depend on the number of processes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable


def map_in_processes(
    function: Callable,
    items: Iterable,
    processes: int = 1,
    initializer: Callable | None = None,
    initargs: tuple = (),
) -> list:
    """`function` over `items` in item order; in `processes` forked workers when there is
    more than one of each, else in this process (after `initializer(*initargs)`)."""
    items = list(items)
    if processes <= 1 or len(items) <= 1:
        if initializer is not None:
            initializer(*initargs)
        return [function(item) for item in items]
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(processes, initializer, initargs) as pool:
        return pool.map(function, items, chunksize=1)
