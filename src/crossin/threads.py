"""The one thread-pool loop of crossin's HTTP clients (eval's server backend, the translation engine, the answer
judge, the Cross-XQuAD distractor writer): requests to OpenAI-compatible servers wait on the network, so threads
overlap them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed


def map_concurrent(fn: Callable, items: Sequence, *, workers: int,
                   on_result: Callable[[int, object], None] | None = None, progress: dict | None = None) -> list:
    """[fn(item) for item in items], `workers` at a time; results in the items' order.

    `on_result(i, result)` runs in the calling thread as each call finishes (completion order): the place to commit
    it, so an interrupted run keeps every finished answer. `progress`: tqdm's arguments for a bar (None: no bar).
    The first error (or Ctrl-C) cancels the calls not started yet and is raised once the running ones end.
    """
    from .progress import progress_bar

    out: list = [None] * len(items)
    if not items:
        return out
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items)))) as pool, \
            progress_bar(total=len(items), **(progress or {"disable": True})) as bar:
        futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
        try:
            for future in as_completed(futures):
                i = futures[future]
                out[i] = future.result()
                if on_result is not None:
                    on_result(i, out[i])
                bar.update(1)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return out
