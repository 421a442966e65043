"""Registries keyed by name, imported lazily: one shape for loaders, exporters and backends.

As RDFLib's ``plugin.register(name, kind, module, class)``: an entry names the module and
attribute that implement it, so nothing is imported until it is used; ``"turtle"`` and
``"ttl"`` are just aliases; an unknown name raises :class:`~consultgraph.errors.UnknownNameError`
listing the choices; what an entry can do is said by capability flags, not by subclasses.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from consultgraph.errors import UnknownNameError


@dataclass(frozen=True)
class Plugin:
    """One registered implementation.

    Attributes
    ----------
    kind : str
        What it is: ``"loader"``, ``"exporter"``, ``"backend"``.
    name : str
        Its name on the command line and in code.
    module, attribute : str
        Where it lives, imported on first use (:meth:`load`).
    description : str
    aliases : tuple of str
        Other names for it.
    flags : dict
        Capabilities, e.g. ``{"suffix": ".ttl", "reader": "skos"}`` for an exporter whose
        files a loader reads back; read with :meth:`flag`.
    """

    kind: str
    name: str
    module: str
    attribute: str
    description: str = ""
    aliases: tuple = ()
    flags: dict = field(default_factory=dict, compare=False)

    def load(self):
        """The function or class this entry names."""
        return getattr(importlib.import_module(self.module), self.attribute)

    def flag(self, name, default=None):
        """The capability ``name`` (``default`` when the entry does not declare it)."""
        return self.flags.get(name, default)


class Registry:
    """Plugins of one kind by name and alias.

    Examples
    --------
    >>> formats = Registry("exporter", "export format")
    >>> _ = formats.register("turtle", "consultgraph.graph.rdf", "write_rdf", aliases=("ttl",), suffix=".ttl")
    >>> formats.get("ttl").name, formats.get("turtle").flag("suffix")
    ('turtle', '.ttl')
    >>> formats.get("pdf")
    Traceback (most recent call last):
    ...
    consultgraph.errors.UnknownNameError: unknown export format 'pdf'; choose one of: turtle
    """

    def __init__(self, kind, what):
        self.kind, self.what = kind, what
        self._by_name = {}

    def register(self, name, module, attribute, description="", aliases=(), **flags):
        """Register ``module.attribute`` as ``name`` (and ``aliases``) with capability ``flags``."""
        plugin = Plugin(self.kind, name, module, attribute, description, tuple(aliases), dict(flags))
        for key in (name, *aliases):
            self._by_name[key] = plugin
        return plugin

    def get(self, name):
        """The plugin called ``name`` (or an alias of it)."""
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownNameError(self.what, name, self.names()) from None

    def names(self):
        """Every plugin's name (aliases not included)."""
        return [plugin.name for plugin in self.all()]

    def all(self):
        """Every plugin once, in the order registered."""
        seen = {}
        for plugin in self._by_name.values():
            seen.setdefault(plugin.name, plugin)
        return list(seen.values())

    def __contains__(self, name):
        return name in self._by_name
