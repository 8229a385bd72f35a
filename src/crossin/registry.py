"""The one lazy registry (lm-eval's `Registry` idea) behind benchmarks, eval backends and translation engines: a name
maps to an object, or to a "module:attribute" string imported on first use, so the registering module never imports
the implementations (no import circles; torch loads only for the entries that need it)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

from .errors import CrossinError


class Registry:
    def __init__(self, what: str, lazy: dict[str, str] | None = None):
        """`what` names an entry in errors ("benchmark"); `lazy`: {name: "module:attribute"}."""
        self.what = what
        self._objects: dict[str, object] = {}
        self._lazy: dict[str, str] = dict(lazy or {})

    def register(self, name: str, obj):
        self._objects[name] = obj
        return obj

    def register_lazy(self, name: str, target: str) -> None:
        """Register `name` by "module:attribute"; the module is imported by `get`."""
        if ":" not in target:
            raise ValueError(f"{target!r} is not 'module:attribute'")
        self._lazy[name] = target

    def names(self) -> list[str]:
        """Every registered name, sorted, without importing anything."""
        return sorted({*self._objects, *self._lazy})

    def __contains__(self, name: object) -> bool:
        return name in self._objects or name in self._lazy

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def get(self, name: str):
        """The entry, imported on first use; an unknown name is one line listing the known ones. A lazy entry is
        looked up in its module every time (Python keeps the module): the registry holds no copy that could differ
        from `module.attribute` (a patched or reloaded class is the one used)."""
        if name not in self._objects and name in self._lazy:
            module, _, attr = self._lazy[name].partition(":")
            return getattr(importlib.import_module(module), attr)
        if name not in self._objects:
            raise CrossinError(f"unknown {self.what} {name!r}; known: {', '.join(self.names())}")
        return self._objects[name]
