"""Typed configs: dataclasses with a help string per field, read from YAML and overridden by flags.

Every config class is a plain dataclass whose fields carry `metadata={"help": ...}` (made with `arg`),
so `transformers.HfArgumentParser` can also turn it into flags, as TRL does.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from .errors import CrossinError
from .io import read_text

T = TypeVar("T")


def arg(default: Any = dataclasses.MISSING, help: str = "", choices=None, **kwargs) -> Any:  # noqa: A002 - mirrors argparse
    """A dataclass field with a help string (and the allowed values, listed by --help); list/dict defaults are
    copied per instance."""
    metadata = {"help": help, **({"choices": tuple(choices)} if choices else {})}
    if isinstance(default, (list, dict, set)):
        value = default
        return dataclasses.field(default_factory=lambda: type(value)(value), metadata=metadata, **kwargs)
    return dataclasses.field(default=default, metadata=metadata, **kwargs)


def _coerce(value: Any, tp: Any, name: str, where: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        for option in args:
            if option is type(None):
                continue
            try:
                return _coerce(value, option, name, where)
            except (CrossinError, TypeError, ValueError):
                continue
        raise CrossinError(f"{name}: cannot read {value!r} as {tp}", path=where)
    if origin in (list, tuple):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)):
            raise CrossinError(f"{name}: expected a list, got {value!r}", path=where)
        inner = args[0] if args else str
        items = [_coerce(v, inner, name, where) for v in value]
        return items if origin is list else tuple(items)
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            raise CrossinError(f"{name}: expected a mapping, got {value!r}", path=where)
        return value
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on", "false", "0", "no", "off"):
            return value.lower() in ("true", "1", "yes", "on")
        raise CrossinError(f"{name}: expected true/false, got {value!r}", path=where)
    if tp in (int, float):
        if isinstance(value, bool):
            raise CrossinError(f"{name}: expected a number, got {value!r}", path=where)
        try:
            return tp(value) if not (tp is int and isinstance(value, float) and not value.is_integer()) else _fail()
        except (TypeError, ValueError):
            raise CrossinError(f"{name}: expected {tp.__name__}, got {value!r}", path=where) from None
    if tp is str:
        return str(value)
    if tp is Path:
        return Path(value)
    return value


def _fail():
    raise ValueError


def build_config(cls: type[T], yaml_path: str | os.PathLike | None = None, overrides: dict[str, Any] | None = None) -> T:
    """cls defaults <- YAML file <- overrides (flags). Unknown keys are errors naming the file."""
    values: dict[str, Any] = {}
    where = str(yaml_path) if yaml_path else "flags"
    if yaml_path:
        try:
            loaded = yaml.safe_load(read_text(yaml_path, what="config file")) or {}
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            raise CrossinError(f"invalid YAML: {getattr(e, 'problem', e)}", path=str(yaml_path),
                               line=mark.line + 1 if mark else None) from None
        if not isinstance(loaded, dict):
            raise CrossinError("a config file must be a mapping of field: value", path=str(yaml_path))
        values.update(loaded)
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - fields)
    if unknown:
        guesses = [f"{u} -> {m[0]}" for u in unknown if (m := difflib.get_close_matches(u, fields, n=1))]
        hint = f"; did you mean {', '.join(guesses)}?" if guesses else ""
        raise CrossinError(f"unknown config field(s) {', '.join(unknown)}{hint}; known: {', '.join(sorted(fields))}",
                           path=where)
    kwargs = {k: _coerce(v, hints[k], k, where) for k, v in values.items()}
    return cls(**kwargs)


def config_to_dict(cfg: Any) -> dict:
    """JSON/YAML-able dict of a config (Paths as strings), for manifests and results."""
    def plain(v):
        if isinstance(v, Path):
            return str(v)
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v
    return {f.name: plain(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)}
