"""The exceptions consultgraph raises.

Everything derives from :class:`ConsultGraphError`, so a caller can catch one class;
the CLI turns each into a one-line message that says how to fix the problem.
"""

from __future__ import annotations


class ConsultGraphError(Exception):
    """Root of every error consultgraph raises on purpose."""


class InputError(ConsultGraphError):
    """Bad input: names the file, the line or record, and the field.

    Parameters
    ----------
    message : str
        What is wrong, in the user's words.
    file, line, field : optional
        Where it is wrong. ``line`` is 1-based (a CSV header is line 1).
    hint : str, optional
        How to fix it, e.g. the nearest valid values.
    """

    def __init__(self, message, *, file=None, line=None, field=None, hint=None):
        self.message = message
        self.file = None if file is None else str(file)
        self.line = line
        self.field = field
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self):
        where = []
        if self.file:
            where.append(self.file)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(f"field '{self.field}'")
        text = ", ".join(where)
        text = f"{text}: {self.message}" if text else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class SchemaError(ConsultGraphError):
    """The schema in ``schema/`` is inconsistent, or data breaks it."""


class UnknownNameError(ConsultGraphError, KeyError):
    """A registry (format, loader, backend, query) has no entry of that name."""

    def __init__(self, kind, name, choices, nearest=()):
        self.kind, self.name, self.choices = kind, name, sorted(choices)
        near = f" (nearest: {', '.join(nearest)})" if nearest else ""
        super().__init__(f"unknown {kind} '{name}'{near}; choose one of: {', '.join(self.choices)}")

    def __str__(self):
        return self.args[0]


class StoreError(ConsultGraphError):
    """A project store cannot be read or written (missing, wrong version, corrupt)."""


class BackendUnavailable(ConsultGraphError):
    """A server (Neo4j, a SPARQL endpoint) cannot be reached or refused us."""


class QueryError(ConsultGraphError):
    """A query is malformed, or misses a declared parameter."""


class LoadWarning(UserWarning):
    """Part of an input was not loaded, or was read in a way the user should know; the load went on.

    Loaders issue it with :func:`warnings.warn`; :func:`consultgraph.loaders.load` collects
    those of a load into ``LoadReport.notes`` (the library never prints), and the CLI shows
    each as a ``note:`` line.
    """
