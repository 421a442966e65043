"""Memory a finished step no longer uses, handed back to the system.

Freed buffers stay with the allocator that made them (Arrow's memory pool, the C
library's heap) and still count as the process's memory; a later step then grows the
process instead of reusing them. A step that frees a lot calls :func:`release_memory`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    """glibc's ``malloc_trim``, or None on another C library or system."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # musl and others have no malloc_trim
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def release_memory():
    """Return the free memory of Arrow's pool and of the C heap to the system.

    Cheap (milliseconds for gigabytes): only free pages are released, so nothing a
    live table uses is touched. Returns True when the C heap was trimmed too.

    Examples
    --------
    >>> release_memory() in (True, False)
    True
    """
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
