"""The typer application and what every command shares: one-line errors, the results table."""

from __future__ import annotations

import functools
import sys

import typer
from rich.console import Console
from rich.table import Table

from ..errors import CrossinError
from .options import CrossinTyper

app = CrossinTyper(
    name="crossin",
    help="Cross-lingual knowledge alignment: benchmarks, consistency metrics, CrossIn data, LoRA tuning, reports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
bench_app = CrossinTyper(help="Build benchmarks (Cross-XQuAD).", no_args_is_help=True)
data_app = CrossinTyper(help="CrossIn instruction mixes.", no_args_is_help=True)
experiment_app = CrossinTyper(help="The paper's comparisons as one resumable run.", no_args_is_help=True)
export_app = CrossinTyper(help="Our benchmarks for other tools (lm-evaluation-harness).", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
app.add_typer(data_app, name="data")
app.add_typer(experiment_app, name="experiment")
app.add_typer(export_app, name="export")

console = Console(stderr=False)
err_console = Console(stderr=True)


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
            err_console.print(f"[bold red]error:[/] {e}", markup=True, highlight=False, soft_wrap=True)
            sys.exit(2)

    return wrapper


def results_table(results: dict, title: str = "") -> Table:
    """Per language: accuracy, unparsed and answer positions; then consistency@k, AC3@k and kappa@k per k."""
    from ..benchmarks import LETTERS

    langs = results["languages"]
    table = Table(title=title or None, show_lines=False)
    for name in ("", "accuracy", "unparsed", "answers " + "/".join(LETTERS[: len(results["gold_distribution"])])):
        table.add_column(name, justify="right" if name else "left")
    acc, unparsed, dist = results["language_accuracy"], results.get("unparsed", {}), results["answer_distribution"]
    for lang in langs:
        table.add_row(lang, f"{acc[lang]:.3f}", str(unparsed.get(lang, 0)), " ".join(str(x) for x in dist[lang]))
    ci = results.get("ci95", {})
    acc_ci = f" [{ci['accuracy'][0]:.3f}, {ci['accuracy'][1]:.3f}]" if "accuracy" in ci else ""
    table.add_row("[bold]mean[/]", f"[bold]{results['accuracy']:.3f}[/]{acc_ci}", str(sum(unparsed.values())),
                  "gold " + " ".join(str(x) for x in results["gold_distribution"]), end_section=True)
    table.add_row("", "consistency", "AC3", "kappa (chance-corrected)")
    for k in results["consistency"]:
        cons, ac3 = f"{results['consistency'][k]:.3f}", f"{results['ac3'][k]:.3f}"
        if k == "3" and "ac3_3" in ci:
            cons += f" [{ci['consistency_3'][0]:.3f}, {ci['consistency_3'][1]:.3f}]"
            ac3 += f" [{ci['ac3_3'][0]:.3f}, {ci['ac3_3'][1]:.3f}]"
        style = "bold" if k == "3" else ""
        table.add_row(f"@{k}", cons, ac3, f"{results['kappa'][k]:.3f}".replace("-0.000", "0.000"), style=style)
    table.caption = f"{results['n_sets']} sets; \\[lo, hi] = 95% bootstrap CI over sets"
    return table


def templates_table(summary: dict, title: str = "") -> Table:
    """`--template all`: accuracy, consistency@3 and AC3@3 per template, then their median and min-max range."""
    metrics = list(summary["median"])
    table = Table(title=title or None)
    table.add_column("template")
    for m in metrics:
        table.add_column(m, justify="right")
    for name, row in summary["templates"].items():
        table.add_row(name, *(f"{row[m]:.3f}" for m in metrics))
    table.add_section()
    table.add_row("[bold]median[/]", *(f"[bold]{summary['median'][m]:.3f}[/]" for m in metrics))
    table.add_row("range", *(f"{lo:.3f}-{hi:.3f}" for lo, hi in (summary["range"][m] for m in metrics)))
    table.caption = f"{summary['n_sets']} sets x {len(summary['languages'])} languages per template"
    return table
