"""Loaders: one per input format, in a registry keyed by name, imported lazily.

Every loader is a function ``read(path, *, namespace, source_id)`` that yields records
(:mod:`consultgraph.graph.records`). The registry and format detection are in
:mod:`~consultgraph.loaders.registry`; :func:`load` (in :mod:`~consultgraph.loaders.pipeline`)
runs loaders, hands every record to the translator, merges the batch into the project and
saves it, all or nothing.
"""

from consultgraph.loaders.pipeline import (  # noqa: F401  (the package's API)
    DATASETS_DIR, DEFAULT_DATASET, PREBUILT_DIR, LoadReport, builtin, iter_records, load, open_graph, read_dataset,
    source_record,
)
from consultgraph.loaders.registry import LOADERS, detect, loader, loaders, register, stdin_suffix  # noqa: F401
