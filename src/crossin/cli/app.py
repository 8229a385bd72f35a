"""The typer application and what every command shares: one-line errors, the results table."""

from __future__ import annotations

import functools
import sys

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from ..errors import CrossinError
from .options import CrossinTyper

try:  # typer >= 0.26 runs its own copy of click; older typer uses click itself
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover
    from click import exceptions as click_exceptions


def _one_line_error(message: str) -> None:
    err_console.print(Text.assemble(("error:", "bold red"), " " + " ".join(message.split())), highlight=False,
                      soft_wrap=True)


class OneLineErrors(TyperGroup):
    """A bad flag or value (click's usage errors) is one `error: ...` line and exit 2, like a CrossinError,
    instead of click's usage box."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click_exceptions.NoArgsIsHelpError as e:
            print(e.ctx.get_help())
            sys.exit(2)  # as click does: the command was incomplete
        except click_exceptions.ClickException as e:
            hint = f" (see {e.ctx.command_path} --help)" if getattr(e, "ctx", None) is not None else ""
            _one_line_error(e.format_message() + hint)
            sys.exit(2)
        sys.exit(code if isinstance(code, int) else 0)


app = CrossinTyper(
    cls=OneLineErrors,
    name="crossin",
    help="Cross-lingual knowledge alignment: benchmarks, consistency metrics, CrossIn data, LoRA tuning, reports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
bench_app = CrossinTyper(help="Build benchmarks (Cross-XQuAD).", no_args_is_help=True)
data_app = CrossinTyper(help="CrossIn instruction mixes.", no_args_is_help=True)
experiment_app = CrossinTyper(help="The paper's comparisons as one resumable run.", no_args_is_help=True)
export_app = CrossinTyper(help="Our benchmarks for other tools (lm-evaluation-harness), and merged models for vLLM.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
app.add_typer(data_app, name="data")
app.add_typer(experiment_app, name="experiment")
app.add_typer(export_app, name="export")

def _console(stderr: bool) -> Console:
    """No markup: what is printed is often the user's (ids, paths, run names; `[/]` in one would crash rich, and
    `[bold red]` would vanish); styles are given as rich Text. A terminal that cannot show a character (e.g.
    PYTHONIOENCODING=ascii) gets an escape instead of a crash after the work is done."""
    stream = sys.stderr if stderr else sys.stdout
    if hasattr(stream, "reconfigure") and (getattr(stream, "errors", None) or "strict") == "strict":
        try:
            stream.reconfigure(errors="backslashreplace")
        except (ValueError, OSError):  # pragma: no cover - a detached or closed stream
            pass
    return Console(stderr=stderr, markup=False)


console = _console(stderr=False)
err_console = _console(stderr=True)


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        console.print(f"crossin {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """Cross-lingual knowledge alignment: benchmarks, consistency metrics, CrossIn data, LoRA tuning, reports."""


def user_errors(fn):
    """Turn a CrossinError into one 'error: ...' line and exit code 2, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except CrossinError as e:
            _one_line_error(str(e))
            sys.exit(2)
        except BrokenPipeError:  # `crossin ... | head`: the reader left; nothing to say
            sys.exit(1)
        except OSError as e:  # the environment (a full disk, a name too long, no permission) not caught earlier
            where = f"{e.filename}: " if e.filename else ""
            _one_line_error(f"{where}{e.strerror or e}")
            sys.exit(2)

    return wrapper


def results_table(results: dict, title: str = "") -> Table:
    """Per language: accuracy, unparsed and answer positions; then consistency@k, AC3@k and kappa@k per k."""
    from ..benchmarks import LETTERS
    from ..metrics import headline_k

    langs = results["languages"]
    table = Table(title=title or None, show_lines=False, caption_justify="left")
    for name in ("", "accuracy", "unparsed", "answers " + "/".join(LETTERS[: len(results["gold_distribution"])])):
        table.add_column(name, justify="right" if name else "left")
    acc, unparsed, dist = results["language_accuracy"], results.get("unparsed", {}), results["answer_distribution"]
    for lang in langs:
        table.add_row(lang, f"{acc[lang]:.3f}", _unread(unparsed.get(lang, 0), results["n_sets"]),
                      " ".join(str(x) for x in dist[lang]))
    ci = results.get("ci95", {})
    acc_ci = f" [{ci['accuracy'][0]:.3f}, {ci['accuracy'][1]:.3f}]" if "accuracy" in ci else ""
    table.add_row(Text("mean", style="bold"), Text.assemble((f"{results['accuracy']:.3f}", "bold"), acc_ci),
                  _unread(sum(unparsed.values()), results["n_sets"] * len(langs)),
                  "gold " + " ".join(str(x) for x in results["gold_distribution"]), end_section=True)
    table.add_row("", "consistency", "AC3", "kappa (chance-corrected)")
    for k in results["consistency"]:
        cons, ac3 = f"{results['consistency'][k]:.3f}", f"{results['ac3'][k]:.3f}"
        if k == "3" and "ac3_3" in ci:
            cons += f" [{ci['consistency_3'][0]:.3f}, {ci['consistency_3'][1]:.3f}]"
            ac3 += f" [{ci['ac3_3'][0]:.3f}, {ci['ac3_3'][1]:.3f}]"
        kap = f"{results['kappa'][k]:.3f}".replace("-0.000", "0.000")
        if k == "3" and "kappa_3" in ci:
            kap += f" [{ci['kappa_3'][0]:.3f}, {ci['kappa_3'][1]:.3f}]"
        style = "bold" if k == str(headline_k(len(langs))) else ""
        table.add_row(f"@{k}", cons, ac3, kap, style=style)
    _measure_rows(table, results, ci)
    table.caption = f"{results['n_sets']} sets; [lo, hi] = 95% bootstrap CI over sets" + warning_lines(results)
    return table


def _unread(count: int, total: int) -> str:
    """The unread answers and their share, beside the accuracy they lower."""
    return f"{count} ({count / total:.1%})" if total else str(count)


def warning_lines(results: dict) -> str:
    """The run's answer warnings (crossin.metrics.answer_warnings) as caption lines under its numbers."""
    from ..metrics import answer_warnings

    found = results["warnings"] if "warnings" in results else answer_warnings(results)
    if isinstance(results.get("extraction"), dict) and "texts" in results["extraction"]:
        from ..extraction import extraction_warnings

        found = [*found, *(w for w in extraction_warnings(results["extraction"]) if not w.startswith(
            results["extraction"].get("extractor") or "-"))]  # the unread share is in answer_warnings already
    return "".join(f"\nwarning: {w}" for w in found)  # the consoles print without markup


def _measure_rows(table: Table, results: dict, ci: dict) -> None:
    """RankC (option-score modes) and the answer-language share (generate mode), when the run has them."""
    rank = results.get("rankc")
    if rank:
        interval = f" [{ci['rankc'][0]:.3f}, {ci['rankc'][1]:.3f}]" if "rankc" in ci else ""
        table.add_row("RankC", f"{rank['overall']:.3f}{interval}", f"chance {rank['chance']:.3f}", "ranking overlap")
    lang = results.get("answer_language")
    if lang and lang.get("overall") is not None:
        shares = " ".join(f"{c} {v['share']:.2f}" for c, v in lang["languages"].items() if v.get("share") is not None)
        table.add_row("in language", f"{lang['overall']:.3f}", shares, "answers in the asked language")


def templates_table(summary: dict, title: str = "") -> Table:
    """`--template all`: accuracy, consistency@3, AC3@3 and kappa@3 (CI) per template with the answers per option and
    the template's answer warnings, then the median and min-max range of each metric."""
    from ..benchmarks import LETTERS

    metrics = list(summary["median"])
    rows = summary["templates"]
    n_options = max((len(r.get("answers", [])) for r in rows.values()), default=0)
    table = Table(title=title or None)
    table.add_column("template")
    for m in metrics:
        table.add_column(m, justify="right")
    table.add_column("answers " + "/".join(LETTERS[:n_options]), justify="right")
    table.add_column("warning")
    for name, row in rows.items():
        cells = [f"{row[m]:.3f}" for m in metrics]
        if row.get("kappa@3_ci95") and "kappa@3" in metrics:
            lo, hi = row["kappa@3_ci95"]
            cells[metrics.index("kappa@3")] += f" [{lo:.3f}, {hi:.3f}]"
        table.add_row(name, *cells, " ".join(map(str, row.get("answers", []))),
                      "; ".join(row.get("warnings", [])))  # the consoles print without markup
    table.add_section()
    table.add_row("median", *(f"{summary['median'][m]:.3f}" for m in metrics), "", "", style="bold")
    table.add_row("range", *(f"{lo:.3f}-{hi:.3f}" for lo, hi in (summary["range"][m] for m in metrics)), "", "")
    table.caption = f"{summary['n_sets']} sets x {len(summary['languages'])} languages per template"
    return table
