"""Progress bars that make way for an error: one `error:` line must be all a failed command leaves on the screen."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def progress_bar(**kwargs) -> Iterator:
    """A tqdm bar (kwargs as tqdm's) kept on screen when the work finishes and cleared when an exception ends it."""
    from tqdm import tqdm

    bar = tqdm(**kwargs)
    try:
        yield bar
    except BaseException:
        bar.leave = False  # tqdm.close() then erases the bar's line instead of ending it with a newline
        raise
    finally:
        bar.close()
