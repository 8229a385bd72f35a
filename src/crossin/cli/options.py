"""Command-line options, one way for every command (the idea of TRL's `HfArgumentParser`, on top of typer).

- `config_options(Config)` turns every field of a config dataclass into a `--kebab-case` option whose help,
  default and choices come from the field (`crossin.config.arg`), next to `--config YAML`; only flags actually
  typed override the YAML, and values are read by `build_config` (one-line errors, like a YAML value).
- `CrossinCommand`, the class of every command (`CrossinTyper.command`): accepts `--snake_case` for each
  `--kebab-case` option, shows every default the same way in the help table, and adds lm-eval's spellings
  `--tasks` (= `--bench`) and `--output_path` (= `--out`).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
import types
import typing
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperCommand, TyperOption

from ..config import field_checks

LM_EVAL_ALIASES = {"--bench": "--tasks", "--out": "--output_path"}
_DEFAULT_IN_HELP = re.compile(r"\s*\(default:? ([^()]*(?:\([^()]*\)[^()]*)*)\)\.?")


class CrossinCommand(TyperCommand):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, TyperOption):
                for name, alias in LM_EVAL_ALIASES.items():
                    if name in param.opts and alias not in param.opts:
                        param.opts.append(alias)
                _show_default(param)

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        known = {o for p in self.params if isinstance(p, TyperOption) for o in (*p.opts, *p.secondary_opts)}
        fixed = []
        for i, token in enumerate(args):
            if token == "--":
                fixed.extend(args[i:])
                break
            name, eq, value = token.partition("=")
            if name.startswith("--") and "_" in name and name not in known and name.replace("_", "-") in known:
                token = name.replace("_", "-") + eq + value
            fixed.append(token)
        return super().parse_args(ctx, fixed)


def _show_default(param: TyperOption) -> None:
    """Every option's default in the table as `[default: X]`; descriptive ones (`(default: ...)` in the help,
    none, off) as `[default: (X)]`, so the help text itself never carries a default."""
    if param.required or param.hidden:
        return
    default = param.default
    if param.is_flag and not param.secondary_opts:
        param.show_default = "on" if default else "off"
        return
    if default is None or default == "" or (isinstance(default, (list, tuple)) and not default):
        found = _DEFAULT_IN_HELP.search(param.help or "")
        if found:
            param.help = (param.help[: found.start()] + param.help[found.end():]).strip()
            if param.help and param.help[-1] not in ".?!)":
                param.help += "."
        param.show_default = found.group(1).strip() if found else ("none" if default is None else "''")
        return
    param.show_default = True


class CrossinTyper(typer.Typer):
    """A Typer whose commands are `CrossinCommand`s."""

    def command(self, *args, cls=None, **kwargs):
        return super().command(*args, cls=cls or CrossinCommand, **kwargs)


def option_names(field_name: str, tp: Any, extra: tuple[str, ...] = ()) -> list[str]:
    """`--kebab-case` (a flag `--x/--no-x`) plus `extra`; an extra `--x/--other` replaces the flag's pair."""
    kebab = field_name.replace("_", "-")
    if tp is bool and any("/" in name for name in extra):
        return list(extra)
    if tp is bool and not field_name.startswith("no_"):
        return [f"--{kebab}/--no-{kebab}", *extra]
    return [f"--{kebab}", *extra]


def _plain(tp: Any) -> tuple[Any, bool]:
    """(type without None, whether None is allowed)."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        plain = args[0] if len(args) == 1 else typing.Union[tuple(args)]
        return plain, len(args) < len(typing.get_args(tp))
    return tp, False


# typer's own spelling (`<str>`, `<int>`), so config-made options and hand-written ones read the same in --help.
_METAVARS = {int: "<int>", float: "<float>", str: "<str>", Path: "<path>"}


def _metavar(tp: Any, choices) -> str:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        kinds = [_METAVARS.get(a, "<str>") for a in typing.get_args(tp) if a is not str]
        if choices:  # e.g. `auto` or a number: --batch-size auto|<int>
            return "|".join([*map(str, choices), *kinds])
        return "|".join(_METAVARS.get(a, "<str>") for a in typing.get_args(tp))
    if choices:
        return "[" + "|".join(str(c) for c in choices) + "]"
    if typing.get_origin(tp) in (list, tuple):
        inner = (typing.get_args(tp) or (str,))[0]
        return f"{_METAVARS.get(inner, '<str>')},..."
    return _METAVARS.get(tp, "<str>")


def field_default(f: dataclasses.Field) -> Any:
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None if f.default is dataclasses.MISSING else f.default


def field_parameter(f: dataclasses.Field, tp: Any, extra_names: tuple[str, ...] = (),
                    defaults: dict[str, Any] | None = None) -> inspect.Parameter:
    """The typer option of one config field. Values stay text (lists: one item per comma) until build_config."""
    plain, _ = _plain(tp)
    is_list = typing.get_origin(plain) in (list, tuple)
    annotation = bool if plain is bool else list[str] if is_list else str
    default = (defaults or {}).get(f.name, field_default(f))
    if is_list and default is not None:
        default = [str(v) for v in default]
    option = typer.Option(default, *option_names(f.name, plain, extra_names), help=f.metadata.get("help", ""),
                          metavar=None if plain is bool else _metavar(plain, field_checks(f).get("choices")))
    return inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=annotation)


def _flaggable(tp: Any) -> bool:
    """Mappings (and lists of them) stay YAML-only."""
    plain, _ = _plain(tp)
    inner = (typing.get_args(plain) or (str,))[0] if typing.get_origin(plain) in (list, tuple) else plain
    return not (inner is dict or typing.get_origin(inner) is dict)


def config_options(cls: type, *, names: dict[str, tuple[str, ...]] | None = None, skip: tuple[str, ...] = (),
                   only: tuple[str, ...] | None = None, defaults: dict[str, Any] | None = None,
                   overrides_only: bool = False, convert: dict[str, Any] | None = None):
    """Decorate `fn(cfg, **own_options)` into a typer command taking `--config` plus one option per field of `cls`.

    The config is cls defaults <- `--config` YAML <- the flags typed on the command line.
    `names`: extra spellings per field (`{"model": ("-m",)}`); `skip` / `only`: which fields are flags (mappings
    never are). `defaults`: this command's own defaults (shown in --help; such a command takes no --config).
    `overrides_only`: no --config either; `fn` gets the typed {field: value} for a config it reads itself.
    `convert`: {field: function} applied to a typed flag's text instead of the comma split of list flags
    (e.g. `\\n` escapes of a stop string, which may hold commas). An `extra_args` parameter of `fn` gets the
    words click left over (a command with `allow_extra_args`).
    """
    from ..config import build_config

    names, defaults, convert = names or {}, defaults or {}, convert or {}
    hints = typing.get_type_hints(cls)
    fields = [f for f in dataclasses.fields(cls) if f.name not in skip and (only is None or f.name in only)
              and _flaggable(hints[f.name])]
    by_name = {f.name: f for f in fields}
    with_config = not (defaults or overrides_only)

    def decorate(fn):
        own = list(inspect.signature(fn, eval_str=True).parameters.values())[1:]
        wants_extra = any(p.name == "extra_args" for p in own)  # the words click left over (allow_extra_args)
        own = [p for p in own if p.name != "extra_args"]
        clash = sorted({p.name for p in own} & (set(by_name) | {"ctx", "config"}))
        if clash:
            raise TypeError(f"{fn.__name__}: own options clash with config fields: {clash}")
        config_param = inspect.Parameter("config", inspect.Parameter.KEYWORD_ONLY, annotation=Path | None,
                                         default=typer.Option(None, "--config", "-c", help=f"YAML file of "
                                                              f"{cls.__name__} fields; flags override it."))
        params = [
            inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context),
            *([config_param] if with_config else []),
            *(field_parameter(f, hints[f.name], names.get(f.name, ()), defaults) for f in fields),
            *(p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own),
        ]

        @functools.wraps(fn)
        def command(ctx: typer.Context, config: Path | None = None, **kwargs):
            overrides = dict(defaults)
            for name in by_name:
                value = kwargs.pop(name)
                source = ctx.get_parameter_source(name)  # click's ParameterSource (typer may vendor click)
                if source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT"):
                    if name in convert:
                        value = convert[name](value)
                    elif isinstance(value, (list, tuple)):  # `--langs en,zh` and `--langs en --langs zh` alike
                        value = [v.strip() for item in value for v in item.split(",") if v.strip()]
                    overrides[name] = value
            if wants_extra:
                kwargs["extra_args"] = list(ctx.args)
            if overrides_only:
                return fn(overrides, **kwargs)
            return fn(build_config(cls, config, overrides, typed=True), **kwargs)

        del command.__wrapped__  # typer must see the signature below, not fn's
        command.__signature__ = inspect.Signature(params)
        command.__annotations__ = {p.name: p.annotation for p in params}
        return command

    return decorate
