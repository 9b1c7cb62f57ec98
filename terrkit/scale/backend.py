"""The one place that knows whether a table is a pandas or a Dask DataFrame.

The account-level steps (sales per account, potential, segments, workload, unit totals) are
written once, as column-wise operations on a frame, and call the few functions here where the two
back ends differ: running a function on every partition, collecting per-partition results and
materialising a (small) result. A pandas DataFrame is treated as a single partition, so the pandas
back end runs exactly the code the Dask back end runs, partition by partition.

Dask is imported only when a Dask object is met or a cluster is started, so the pandas back end
does not pay for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from terrkit.exceptions import ConfigError

#: The back ends of the account-level steps (``engine`` in the report config and on the CLI).
ENGINES = ("pandas", "dask")

#: Memory each local worker may use before it spills to disk: the machine's memory shared by the
#: workers, keeping a quarter for the scheduler, the client and the operating system.
LOCAL_MEMORY_SHARE = 0.75


def is_dask(obj: Any) -> bool:
    """Whether ``obj`` is a Dask collection (DataFrame, Series, scalar), without importing Dask."""
    return type(obj).__module__.split(".")[0] in ("dask", "dask_expr")


def engine_of(frame: Any) -> str:
    """``"dask"`` for a Dask collection, ``"pandas"`` otherwise."""
    return "dask" if is_dask(frame) else "pandas"


def check_engine(engine: str) -> str:
    """The engine name, lower-cased; a clear error when it is not one of :data:`ENGINES`."""
    key = str(engine).strip().lower()
    if key not in ENGINES:
        raise ConfigError(f"engine must be one of {', '.join(ENGINES)}; got {engine!r}")
    return key


def compute(*objs: Any) -> Any:
    """Materialise Dask collections in one pass over their common inputs; pandas objects pass through.

    Returns the single object for one argument, a tuple otherwise.
    """
    if any(is_dask(o) for o in objs):
        import dask

        out = dask.compute(*objs)
    else:
        out = objs
    return out[0] if len(objs) == 1 else tuple(out)


def npartitions(frame: Any) -> int:
    """Number of partitions (1 for a pandas object)."""
    return int(frame.npartitions) if is_dask(frame) else 1


def map_partitions(frame: Any, func: Callable[..., Any], *args: Any, meta: Any = None, **kwargs: Any) -> Any:
    """Apply ``func(partition, *args, **kwargs)`` to every partition; the result is of the frame's kind.

    ``func`` receives pandas objects. When it has a ``partition_info`` parameter it also gets
    ``{"number": i}``, the partition's position (0 for a pandas frame), which lets a row-wise step
    know the global order of rows (:func:`partition_offsets`). ``meta`` is the empty pandas object
    the result looks like (needed by Dask; ignored for pandas).
    """
    if is_dask(frame):
        if meta is None:
            return frame.map_partitions(func, *args, **kwargs)
        return frame.map_partitions(func, *args, meta=meta, **kwargs)
    if _takes_partition_info(func):
        kwargs = {**kwargs, "partition_info": {"number": 0}}
    return func(frame, *args, **kwargs)


def partition_results(frame: Any, func: Callable[..., Any], *args: Any, **kwargs: Any) -> list[Any]:
    """``func(partition, *args, **kwargs)`` for every partition, in partition order.

    The reduction step of the exact algorithms (:mod:`terrkit.scale.order_stats`): each partition
    returns a small summary (counts, a sample, the values inside a bracket) that the caller combines.
    A pandas frame gives a list of one result.
    """
    if not is_dask(frame):
        return [func(frame, *args, **kwargs)]
    import dask

    parts = frame.to_delayed()
    return list(dask.compute(*[dask.delayed(func)(p, *args, **kwargs) for p in parts]))


def partition_offsets(frame: Any) -> np.ndarray:
    """Global position of the first row of each partition (``[0]`` for a pandas frame)."""
    if not is_dask(frame):
        return np.zeros(1, dtype=np.int64)
    lengths = np.asarray(compute(frame.map_partitions(len)), dtype=np.int64).ravel()
    return np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)


def colocate(frame: Any, column: str) -> Any:
    """The frame with all rows of each ``column`` value in one partition (Dask's hash shuffle).

    The exact group statistics that have no partition-wise form (a group quantile, an account's
    history over its sales rows) then run per partition on whole groups. A pandas frame is already
    one partition.
    """
    return frame.shuffle(column) if is_dask(frame) else frame


def persist(frame: Any) -> Any:
    """Keep a Dask frame's partitions in (cluster) memory for the passes that follow; pandas unchanged."""
    return frame.persist() if is_dask(frame) else frame


def start_client(
    scheduler: str | None = None, workers: int | None = None, memory_limit: str | int | None = None
) -> Any:
    """A Dask ``distributed.Client``: to the cluster at ``scheduler``, else a local cluster.

    The local cluster is sized to the machine: one single-threaded worker process per core (the
    account steps are pandas and NumPy code that holds the GIL) sharing :data:`LOCAL_MEMORY_SHARE`
    of the memory, so the workers spill to disk before the machine runs out.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler, e.g. ``"tcp://10.0.0.5:8786"`` (``--scheduler`` on the CLI).
    workers : int, optional
        Local worker processes; default the number of cores.
    memory_limit : str or int, optional
        Memory per local worker (``"3GB"``); default the machine's share divided by the workers.
    """
    import logging

    from distributed import Client, LocalCluster

    # the scheduler logs every shuffle it starts and ends as a warning: routine, not a problem
    logging.getLogger("distributed.shuffle._scheduler_plugin").setLevel(logging.ERROR)
    if scheduler:
        try:
            return Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as err:
            raise ConfigError(f"cannot reach the Dask scheduler at {scheduler!r}: {err}") from None
    n = int(workers or os.cpu_count() or 1)
    if n < 1:
        raise ConfigError(f"workers must be a positive number; got {workers!r}")
    if memory_limit is None:
        memory_limit = int(_machine_memory() * LOCAL_MEMORY_SHARE / n)
    cluster = LocalCluster(
        n_workers=n, threads_per_worker=1, processes=True, memory_limit=memory_limit, dashboard_address=":0"
    )
    return Client(cluster)


def persist_with_progress(collection: Any, show: bool = True) -> Any:
    """Persist a Dask collection on the cluster, showing a text progress bar until it is done.

    The bar (``distributed.progress``) prints in a terminal and in a notebook alike, so a headless
    report keeps it in its output. A pandas object is returned as it is; without a distributed
    client the collection is computed with Dask's own progress bar.
    """
    if not is_dask(collection):
        return collection
    try:
        from distributed import default_client, progress

        default_client()
    except (ImportError, ValueError):
        if not show:
            return collection.persist()
        from dask.diagnostics import ProgressBar

        with ProgressBar():
            return collection.persist()
    done = collection.persist()
    if show:
        progress(done, notebook=False)
        print()
    return done


def dashboard_link(client: Any) -> str | None:
    """The address of the client's Dask dashboard (task stream, progress, memory), if it serves one."""
    link = getattr(client, "dashboard_link", None)
    return str(link) if link else None


def _machine_memory() -> int:
    """Total memory in bytes (from the OS; 8 GB when it cannot be read)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8 * 1024**3


def _takes_partition_info(func: Callable[..., Any]) -> bool:
    import inspect

    try:
        return "partition_info" in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False
