"""Progress bars for long commands: one tqdm bar on standard error, only when it is a terminal.

Logs, pipes and tests stay clean (nothing is drawn there), and ``--quiet`` turns the bar off.
The library reports progress through a callback; :class:`Progress` is that callback.
"""

from __future__ import annotations

import contextlib
import sys
import threading


class Progress:
    """A progress callback drawing one tqdm bar: ``progress(done, total=None, step=None)``.

    ``done`` is how much is finished (absolute, not an increment), ``total`` how much there
    is (None: unknown, the bar shows a count and the time), ``step`` names what is being
    done; ``done`` going back (a new stage from 0) starts the bar again.
    """

    def __init__(self, label, *, unit="step", quiet=False, stream=None):
        from tqdm import tqdm

        stream = stream or sys.stderr
        self.label, self.step = label, None
        self.enabled = not quiet and bool(getattr(stream, "isatty", lambda: False)())
        self.bar = tqdm(desc=label, unit=unit, file=stream, leave=False, disable=not self.enabled,
                        dynamic_ncols=True)

    def __call__(self, done, total=None, step=None):
        if not self.enabled:
            return
        if done < self.bar.n:
            self.bar.reset(total=total)
        elif total is not None and total != self.bar.total:
            self.bar.total = total
        if step is not None and step != self.step:
            self.step = step
            self.bar.set_description(f"{self.label}: {step}"[:60], refresh=False)
        self.bar.update(done - self.bar.n)

    def close(self):
        self.bar.close()


@contextlib.contextmanager
def progress_bar(label, *, unit="step", quiet=False, ticking=False):
    """A :class:`Progress` for the ``with`` block, closed (the line erased) at its end.

    ``ticking=True`` redraws the bar twice a second, so the time keeps moving during one
    long library call that reports no progress of its own.

    >>> with progress_bar("reading") as progress:   # not a terminal here: draws nothing
    ...     progress(1, 2, step="first half")
    """
    progress = Progress(label, unit=unit, quiet=quiet)
    stop = threading.Event()
    if ticking and progress.enabled:
        def tick():
            while not stop.wait(0.5):
                progress.bar.refresh()

        threading.Thread(target=tick, daemon=True).start()
    try:
        yield progress
    finally:
        stop.set()
        progress.close()
