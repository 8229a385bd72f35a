"""Typed configs: dataclasses with a help string per field, read from YAML and overridden by flags.

Every config class is a plain dataclass whose fields carry `metadata={"help": ...}` (made with `arg`); a field's
constraints sit under one key, `"check"`, next to `"action": CheckedStore`. `crossin.cli.options` turns the fields into
flags. `transformers.HfArgumentParser(Config)` reads them too, as TRL's configs: it hands every metadata key to
argparse's `add_argument`, where `CheckedStore` takes the `check` key and applies the same constraints to the flags
it parses (tests/test_config_parsers.py runs it on every config).
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import os
import re
import types
import typing
from pathlib import Path
from typing import Any, Callable, TypeVar

import yaml

from .errors import CrossinError
from .io import read_text, short

T = TypeVar("T")


def url_problem(value: str) -> str | None:
    """Why `value` is not an http(s) URL with a host and a valid port, or None."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
        port = parts.port  # ValueError when out of 0-65535 or not a number
    except ValueError as e:
        return f"{short(value)} is not a valid URL ({e})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{short(value)} is not an http(s)://HOST URL"
    if port == 0:
        return f"{short(value)}: port 0 is not a server's port"
    return None


CHECK = "check"  # the metadata key of a field's constraints


class CheckedStore(argparse._StoreAction):
    """argparse's store action that also takes a field's constraints (`check=`), so `HfArgumentParser`, which passes
    every metadata key to `add_argument`, builds parsers of crossin's configs that refuse what `build_config` refuses."""

    def __init__(self, option_strings, dest, check: dict | None = None, **kwargs):
        super().__init__(option_strings, dest, **kwargs)
        self.check = check or {}
        choices, convert = self.check.get("choices"), self.type
        if choices and convert is not None:  # a choice is read as itself: `auto` for an int field with choices=("auto",)
            def read(text: str):
                named = [c for c in choices if str(c) == text]
                return named[0] if named else convert(text)

            read.__name__ = getattr(convert, "__name__", "value")  # argparse's "invalid int value" message
            self.type = read

    def __call__(self, parser, namespace, values, option_string=None):
        for v in (values if isinstance(values, list) else [values]):
            problem = None if v is None else _violation(v, self.check)
            if problem:
                parser.error(f"{option_string}: {problem}")
        super().__call__(parser, namespace, values, option_string)


def field_checks(f: dataclasses.Field) -> dict:
    """A field's declared constraints (see `arg`)."""
    return f.metadata.get(CHECK, {})


def arg(default: Any = dataclasses.MISSING, help: str = "", *, min: Any = None, max: Any = None,  # noqa: A002
        above: Any = None, below: Any = None, choices: tuple | None = None, pattern: str | None = None,
        url: bool | None = None, valid: Callable[[Any], str | None] | None = None, **kwargs) -> Any:
    """A dataclass field with a help string and its constraints, checked by `build_config` (`check_fields`):
    min/max (inclusive) and above/below (exclusive) bound numbers, `choices` lists the allowed values (a value
    in choices passes even where it is outside the bounds, e.g. -1 = "all"), `pattern` is a regex a string must
    match in full, `url` asks for an http(s) URL with a host and a valid port, `valid(value)` says what is wrong
    with a value (or None) where the allowed values live elsewhere (transformers' optimizer names). A list field
    has them checked per element. List/dict defaults are copied per instance."""
    check = {k: v for k, v in (("min", min), ("max", max), ("above", above), ("below", below), ("choices", choices),
                               ("pattern", pattern), ("url", url), ("valid", valid)) if v is not None}
    if check and isinstance(default, bool):
        raise TypeError("a bool field takes no constraints")  # HfArgumentParser's --no-X twin would get them too
    metadata = {"help": help, **({CHECK: check, "action": CheckedStore} if check else {})}
    if isinstance(default, (list, dict, set)):
        value = default
        return dataclasses.field(default_factory=lambda: type(value)(value), metadata=metadata, **kwargs)
    return dataclasses.field(default=default, metadata=metadata, **kwargs)


def _violation(value: Any, meta: dict) -> str | None:
    """Why `value` breaks the field's constraints, or None."""
    choices = meta.get("choices")
    if choices is not None and value in choices and not isinstance(value, bool):
        return None
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    bounds = [(k, meta[k]) for k in ("min", "max", "above", "below") if k in meta]
    if is_number and bounds:
        if value != value:  # NaN
            return "must be a number, got nan"
        for key, bound in bounds:
            ok = {"min": value >= bound, "max": value <= bound, "above": value > bound, "below": value < bound}[key]
            if not ok:
                sign = {"min": ">=", "max": "<=", "above": ">", "below": "<"}[key]
                extra = f" (or {', '.join(map(str, choices))})" if choices else ""
                return f"must be {sign} {bound}{extra}, got {short(value)}"
        return None
    if choices is not None and bounds:  # a word or a number, e.g. batch_size: auto or >= 1
        limits = " and ".join(f"{ {'min': '>=', 'max': '<=', 'above': '>', 'below': '<'}[k]} {b}" for k, b in bounds)
        return f"must be {' or '.join(map(str, choices))} or a number {limits}; got {value!r}"
    if choices is not None:
        return f"must be one of {', '.join(map(str, choices))}; got {short(value)}"
    pattern = meta.get("pattern")
    if pattern is not None and isinstance(value, str) and not re.fullmatch(pattern, value):
        return f"{short(value)} does not match {pattern}"
    if meta.get("url") and isinstance(value, str) and value:
        return url_problem(value)
    if meta.get("valid") is not None:
        return meta["valid"](value)
    return None


def check_fields(cfg: Any, where: str = "config", lines: dict[str, int] | None = None,
                 flagged: set[str] | frozenset = frozenset()) -> None:
    """Every declared constraint of a config's fields (see `arg`); the first broken one is a CrossinError.
    A field in `flagged` was typed as a flag: the error names the flag, not the file."""
    for f in dataclasses.fields(cfg):
        meta = field_checks(f)
        if not meta:
            continue
        value = getattr(cfg, f.name)
        for v in (value if isinstance(value, (list, tuple)) else [value]):
            if v is None:
                continue
            problem = _violation(v, meta)
            if problem and f.name in flagged:
                raise CrossinError(f"{flag_name(f.name)}: {problem}")
            if problem:
                raise CrossinError(f"{f.name}: {problem}", path=where, line=(lines or {}).get(f.name))


def flag_name(field_name: str) -> str:
    return "--" + field_name.replace("_", "-")


def check_template(template: str, allowed: tuple[str, ...], *, required: tuple[str, ...] = (), name: str = "template",
                   where: str = "config") -> None:
    """A user's `str.format` template may use only its named fields, plainly: `{0}`, `{}`, `{x}`, `{a.b}`, `{a[0]}`,
    `{a!r}`, `{a:>9999}` and a stray brace are each an error (str.format would raise, evaluate attributes, or write
    a huge string). `{{` and `}}` are literal braces."""
    import string

    fields = []
    try:
        for _, field, spec, conversion in string.Formatter().parse(template):
            if field is None:
                continue
            if field == "" or field.isdigit():
                raise CrossinError(f"{name}: positional field {{{field}}} (use a named one: "
                                   f"{', '.join('{' + a + '}' for a in allowed)})", path=where)
            if field not in allowed:
                raise CrossinError(f"{name}: unknown field {short('{' + field + '}', 40)}; allowed: "
                                   f"{', '.join('{' + a + '}' for a in allowed)} ({{{{ and }}}} for literal braces)",
                                   path=where)
            if spec or conversion:
                raise CrossinError(f"{name}: {{{field}}} with a format spec or conversion is not allowed "
                                   f"({short(spec or '!' + conversion, 40)})", path=where)
            fields.append(field)
    except ValueError as e:
        raise CrossinError(f"{name}: {e} (write {{{{ and }}}} for literal braces)", path=where) from None
    missing = [f for f in required if f not in fields]
    if missing:
        raise CrossinError(f"{name} must contain {', '.join('{' + f + '}' for f in missing)}", path=where)


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
        raise CrossinError(f"{name}: cannot read {short(value)} as {tp}", path=where)
    if origin in (list, tuple):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)):
            raise CrossinError(f"{name}: expected a list, got {short(value)}", path=where)
        inner = args[0] if args else str
        items = [_coerce(v, inner, name, where) for v in value]
        return items if origin is list else tuple(items)
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            raise CrossinError(f"{name}: expected a mapping, got {short(value)}", path=where)
        return value
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on", "false", "0", "no", "off"):
            return value.lower() in ("true", "1", "yes", "on")
        raise CrossinError(f"{name}: expected true/false, got {short(value)}", path=where)
    if tp in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise CrossinError(f"{name}: expected a number, got {short(value)}", path=where)
        try:
            if tp is int and isinstance(value, str) and not re.fullmatch(r"\s*[-+]?[0-9]+\s*", value):
                # 1e3 is a float's spelling: an integer field takes digits (a count, a seed), nothing rounded
                raise ValueError
            if tp is int and isinstance(value, float) and not value.is_integer():
                raise ValueError
            number = tp(value)
            if tp is float and number in (float("inf"), float("-inf")) or number != number:
                raise ValueError
            return number
        except (TypeError, ValueError, OverflowError):
            raise CrossinError(f"{name}: expected {tp.__name__}, got {short(value)}", path=where) from None
    if tp is str or tp is Path:
        # A YAML number is fine as a string (a name like 2024); a mapping or list is a mistake, not a name.
        if isinstance(value, (dict, list, tuple, set)) or value is None:
            raise CrossinError(f"{name}: expected a string, got {short(value)}", path=where)
        return tp(str(value))
    return value


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser: 10-20x faster
    """safe_load that refuses duplicate keys (YAML says a key is unique; PyYAML lets the last one win)."""


def _mapping_without_duplicates(loader, node, deep=False):
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            first = seen.get(key)
        except TypeError:  # an unhashable key (a list) is PyYAML's own error below
            first = None
        if first is not None:
            raise CrossinError(f"duplicate key {short(key)} (first on line {first})", path=loader.name,
                               line=key_node.start_mark.line + 1)
        try:
            seen[key] = key_node.start_mark.line + 1
        except TypeError:
            pass
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


MAX_YAML_NODES = 1_000_000  # what a config could need, many times over; an alias bomb expands to billions


def _expanded_size_within(node, budget: int) -> bool:
    """Whether `node`, with every alias expanded (as a loaded value is printed or walked), has at most `budget`
    nodes. Stops counting at the budget, so a bomb is refused in milliseconds instead of exhausting the memory."""
    stack, seen = [node], 0
    while stack:
        seen += 1
        if seen > budget:
            return False
        n = stack.pop()
        if isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
        elif isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                stack.extend((k, v))
    return True


def load_yaml(path: str | os.PathLike, *, what: str = "config file") -> tuple[Any, dict[str, int]]:
    """A user's YAML file (duplicate keys refused) and the line of each top-level key, for errors."""
    text = read_text(path, what=what)
    try:
        loader = _UniqueKeyLoader(text)
        loader.name = str(path)
        try:
            node = loader.get_single_node()
            if node is not None and not _expanded_size_within(node, MAX_YAML_NODES):
                raise CrossinError(f"YAML aliases expand to more than {MAX_YAML_NODES:,} values (an alias bomb?)",
                                   path=str(path))
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        reason = " ".join(str(getattr(e, "problem", None) or e).split())
        raise CrossinError(f"invalid YAML: {reason}", path=str(path), line=mark.line + 1 if mark else None) from None
    except RecursionError:
        raise CrossinError("invalid YAML: nested too deeply", path=str(path)) from None
    lines = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                lines[key_node.value] = key_node.start_mark.line + 1
    return data, lines


def build_config(cls: type[T], yaml_path: str | os.PathLike | None = None, overrides: dict[str, Any] | None = None,
                 *, typed: bool = False) -> T:
    """cls defaults <- YAML file <- overrides (flags). Unknown keys are errors naming the file. `typed`: the
    overrides are flags typed on the command line, and an error in one names the flag (`--n-boot`)."""
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    where = str(yaml_path) if yaml_path else "flags"
    if yaml_path:
        loaded, lines = load_yaml(yaml_path)
        loaded = {} if loaded is None else loaded
        if not isinstance(loaded, dict):
            raise CrossinError("a config file must be a mapping of field: value", path=str(yaml_path))
        values.update(loaded)
    flags = {k: v for k, v in (overrides or {}).items() if v is not None}
    values.update(flags)
    lines = {k: n for k, n in lines.items() if k not in flags}  # a flag's value is not on the file's line
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - fields, key=str)
    if unknown:
        guesses = [f"{u} -> {m[0]}" for u in unknown if (m := difflib.get_close_matches(str(u), fields, n=1))]
        # A suggestion is enough; the list of every field only when nothing is close (it is long: 34 for train).
        hint = f"; did you mean {', '.join(guesses)}?" if guesses else f"; known: {', '.join(sorted(fields))}"
        raise CrossinError(f"unknown config field(s) {', '.join(map(str, unknown))}{hint}",
                           path=where, line=lines.get(unknown[0]))
    flagged = set(flags) if typed else set()
    kwargs = {}
    for k, v in values.items():
        try:
            kwargs[k] = _coerce(v, hints[k], flag_name(k) if k in flagged else k, where)
        except CrossinError as e:
            raise CrossinError(e.reason, path=None if k in flagged else where, line=lines.get(k)) from None
    cfg = cls(**kwargs)
    check_fields(cfg, where, lines, flagged)
    return cfg


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


def differs(cfg: Any, name: str) -> bool:
    """Whether a config field was set to something other than its default (a flag or YAML key that was used)."""
    f = next(f for f in dataclasses.fields(cfg) if f.name == name)
    default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
    return getattr(cfg, name) != default


def refuse_no_ops(rules: list[tuple[bool, str]]) -> None:
    """Option combinations that would change nothing are refused rather than accepted in silence: the first
    rule that holds is one line saying what to use instead."""
    for holds, message in rules:
        if holds:
            raise CrossinError(message)


def expand_path(value: str | None) -> str | None:
    """`$VARS` and `~` of a path from a config (a shipped YAML says `${CROSSIN_DATA_DIR}/...`); an `hf:` dataset
    name stays as it is; a variable that is not set is an error rather than a folder named `$X`."""
    if not value or value.startswith("hf:"):
        return value
    expanded = os.path.expanduser(os.path.expandvars(value))
    left = re.findall(r"\$\{?(\w+)", expanded)
    if left:
        raise CrossinError(f"{short(value)}: environment variable ${left[0]} is not set")
    return expanded


def parse_pair(value: str, what: str = "--compare") -> tuple[str, str]:
    """`A:B` -> (A, B), spaces around each name dropped; names may hold anything but the colon."""
    a, sep, b = value.partition(":")
    if not sep or not a.strip() or not b.strip():
        raise CrossinError(f"{what} expects A:B (two run names), got {short(value)}")
    return a.strip(), b.strip()
